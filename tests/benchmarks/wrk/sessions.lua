-- GET one page as many signed-in sellers: each request carries the next seller's session cookie
-- (BENCH_COOKIES names a file of cookie values, one a line), so requests spread over 100 sessions.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local cookies = {}
for line in io.lines(os.getenv("BENCH_COOKIES")) do
   cookies[#cookies + 1] = line
end
local turn = 0

function request()
   turn = turn % #cookies + 1
   return wrk.format("GET", nil, {["Cookie"] = "portal_session=" .. cookies[turn]})
end

function done(summary, latency, requests)
   report(summary, latency)
end
