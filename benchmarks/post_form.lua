-- wrk script for benchmarks/web.py: POST a form to the URL given to wrk, with a fresh one-time
-- submission token in every request, and count the responses by status.
--
--   BENCH_BODY="csrf_token=...&token=__TOKEN__&dx_1=..." wrk -s benchmarks/post_form.lua -H "Cookie: ..." URL
--
-- The url-encoded body comes from BENCH_BODY with __TOKEN__ where the token goes; the login cookie
-- (whose session holds the CSRF token in the body) comes from wrk's -H. done() prints one line
-- "STATUS <code> <count>" per status seen, summed over wrk's threads.

local threads = {}
statuses = {}
counter = 0

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  template = os.getenv("BENCH_BODY") or error("BENCH_BODY is not set")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  math.randomseed(os.time() + 7919 * (id or 0))
end

function request()
  counter = counter + 1
  local token = string.format("w%d-%d-%d-%d", os.time(), id or 0, counter, math.random(1, 2147483646))
  return wrk.format(nil, nil, nil, (template:gsub("__TOKEN__", token)))
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses") or {}) do
      total[status] = (total[status] or 0) + count
    end
  end
  for status, count in pairs(total) do
    io.write(string.format("STATUS %d %d\n", status, count))
  end
end
