-- One reading per POST, each with a station's own token and a new instant, so every request
-- is a real insert (not a duplicate). Tokens come from build/bench/tokens.txt (bench/run.py).
local tokens = {}
for line in io.lines("build/bench/tokens.txt") do
   tokens[#tokens + 1] = line
end

local counter = 0
-- 2026-06-15 00:00:00 +08:00: "today" of the benchmark's frozen clock (15:30).
local base = 1781452800
-- Each wrk run of a phase gets its own AQ_BENCH_RUN (0, 1, ...) and so its own keys.
local run = tonumber(os.getenv("AQ_BENCH_RUN") or "0")

function setup(thread)
   setup_count = (setup_count or 0) + 1
   thread:set("id", setup_count)
end

function request()
   counter = counter + 1
   local n = #tokens
   local token = tokens[(counter % n) + 1]
   -- Real-time posts: instants in the clock's current hour (15:00-15:35, the 300 s skew
   -- included), odd seconds: 1050 per station, 105 for each of 5 runs x 2 wrk threads, one
   -- per round over the stations. Past 105 rounds (105,000 requests per thread with 1000
   -- stations) keys repeat: duplicates, still 200.
   local slot = ((run % 5) * 2 + ((id or 1) - 1) % 2) * 105 + math.floor(counter / n) % 105
   local t = base + 54000 + 2 * slot + 1
   local body = string.format('{"observed_at":"%s","pm25":%d,"pm10":%d}',
                              os.date("!%Y-%m-%dT%H:%M:%SZ", t), 30 + counter % 40, 60 + counter % 70)
   return wrk.format("POST", "/api/v1/readings",
                     {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end
