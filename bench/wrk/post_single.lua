-- One reading per POST, each with a station's own token and a new instant, so every request
-- is a real insert (not a duplicate). Tokens come from build/bench/tokens.txt (bench/run.py).
local tokens = {}
for line in io.lines("build/bench/tokens.txt") do
   tokens[#tokens + 1] = line
end

local counter = 0
-- 2026-06-15 00:00:00 +08:00: "today" of the benchmark's frozen clock (15:30).
local base = 1781452800

function setup(thread)
   setup_count = (setup_count or 0) + 1
   thread:set("id", setup_count)
end

function request()
   counter = counter + 1
   local n = #tokens
   local token = tokens[(counter % n) + 1]
   -- Real-time posts: instants in the clock's current hour (15:00-15:35, the 300 s skew
   -- included), odd seconds, a separate range per wrk thread; after 2100 s of keys they wrap
   -- (duplicates, still 200).
   local t = base + 54000 + ((id or 0) * 500 + math.floor(counter / n) * 2 + 1) % 2100
   local body = string.format('{"observed_at":"%s","pm25":%d,"pm10":%d}',
                              os.date("!%Y-%m-%dT%H:%M:%SZ", t), 30 + counter % 40, 60 + counter % 70)
   return wrk.format("POST", "/api/v1/readings",
                     {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end
