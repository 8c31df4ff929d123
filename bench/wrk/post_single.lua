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
   -- Odd seconds, a separate range per wrk thread: never a whole-minute reading of the loader.
   local t = base + (id or 0) * 20000 + math.floor(counter / n) * 2 + 1
   local body = string.format('{"observed_at":"%s","pm25":%d,"pm10":%d}',
                              os.date("!%Y-%m-%dT%H:%M:%SZ", t), 30 + counter % 40, 60 + counter % 70)
   return wrk.format("POST", "/api/v1/readings",
                     {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end
