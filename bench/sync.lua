-- wrk script: POST the requests in the file named after `--` (one JSON request per
-- line) in turn, count the answers that are not 2xx, and print the results as one
-- JSON line starting with "BENCH ".
-- Usage: wrk --script=bench/sync.lua URL -- REQUESTS_FILE

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  requests = {}
  local headers = {["Content-Type"] = "application/json"}
  for line in io.lines(args[1]) do
    table.insert(requests, wrk.format("POST", nil, headers, line))
  end
  next_request = 0
  non2xx = 0
end

function request()
  next_request = next_request % #requests + 1
  return requests[next_request]
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local non2xx_total = 0
  for _, thread in ipairs(threads) do
    non2xx_total = non2xx_total + thread:get("non2xx")
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "non2xx": %d, "p50_us": %d, "p99_us": %d, '
      .. '"socket_errors": %d}\n',
    summary.requests, summary.duration, non2xx_total, latency:percentile(50),
    latency:percentile(99), errors.connect + errors.read + errors.write + errors.timeout))
end
