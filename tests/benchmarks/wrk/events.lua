-- POST signed Stripe events read from BENCH_EVENTS (one per line: signature header, a tab, the
-- JSON body). wrk's Lua cannot sign, so the benchmark signs them just before the run; each is
-- sent once, and the run stops early if they run out.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local events = io.open(os.getenv("BENCH_EVENTS"))
local last

function request()
   local line = events:read("*l")
   if line == nil then
      wrk.thread:stop()
      return last
   end
   local tab = line:find("\t", 1, true)
   last = wrk.format("POST", "/webhooks/stripe", {
      ["Content-Type"] = "application/json",
      ["Stripe-Signature"] = line:sub(1, tab - 1),
   }, line:sub(tab + 1))
   return last
end

function done(summary, latency, requests)
   report(summary, latency)
end
