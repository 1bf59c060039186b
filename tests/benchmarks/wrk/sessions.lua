-- GET one page as many signed-in sellers: each request carries the next seller's session cookie
-- (BENCH_COOKIES names a file of cookie values, one a line), so requests spread over 100 sessions.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local cookies = {}
for line in io.lines(os.getenv("BENCH_COOKIES")) do
   cookies[#cookies + 1] = line
end
local turn = 0
-- BENCH_THINK_MS: each connection (a seller) waits between its requests, at random from none to
-- twice this, as people do between pages; unset, connections ask as fast as answers come.
local think = tonumber(os.getenv("BENCH_THINK_MS") or "0")

function delay()
   if think > 0 then
      return math.random(0, 2 * think)
   end
   return 0
end

function request()
   turn = turn % #cookies + 1
   return wrk.format("GET", nil, {["Cookie"] = "portal_session=" .. cookies[turn]})
end

function done(summary, latency, requests)
   report(summary, latency)
end
