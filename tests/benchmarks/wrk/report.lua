-- Shared by the wrk scripts: one JSON line the benchmark reads back.
function report(summary, latency)
   local errors = summary.errors
   io.write(string.format(
      '\nBENCH {"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, ' ..
      '"non_2xx": %d, "socket_errors": %d}\n',
      summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
      latency.max / 1e3, errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
