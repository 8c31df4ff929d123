-- A dashboard's poll: one request, then a pause of 500 ms (2 polls a second per connection).
function delay()
   return 500
end
