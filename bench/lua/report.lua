-- Shared by every bench script: done() prints one parseable line with the run's figures.
--   WRK_RESULT requests=N duration_us=N rps=F p50_us=N p90_us=N p99_us=N max_us=N
--              bytes=N status_errors=N connect_errors=N read_errors=N write_errors=N
--              timeout_errors=N
-- Latencies are wrk's own per-request measurements, in microseconds. status_errors counts
-- responses with a status above 399 (wrk's own rule); bench also reads wrk's
-- "Non-2xx or 3xx responses" line.
local M = {}

function M.done(summary, latency, _requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT requests=%d duration_us=%d rps=%.2f p50_us=%d p90_us=%d p99_us=%d max_us=%d"
      .. " bytes=%d status_errors=%d connect_errors=%d read_errors=%d write_errors=%d"
      .. " timeout_errors=%d\n",
    summary.requests, summary.duration, summary.requests / seconds,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    summary.bytes, e.status, e.connect, e.read, e.write, e.timeout))
end

-- Give each wrk thread its own random sequence: setup() runs in the main state, init() in
-- the thread's own.
local threads = 0
function M.setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

function M.seed()
  math.randomseed(os.time() * 7919 + (thread_id or 0) * 104729)
  -- LuaJIT's first values after seeding are poorly mixed; discard a few.
  for _ = 1, 10 do math.random() end
end

return M
