-- POST /depa/api/dp/GetDPVouchers, a random page of pageSize records each time.
--   wrk -t1 -c16 -d10s -H "x-api-key: KEY" -s bench/lua/get_dp_vouchers.lua \
--       http://127.0.0.1:PORT/depa/api/dp/GetDPVouchers -- PAGES PAGE_SIZE
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(here .. "report.lua")

setup = report.setup
done = report.done

local pages, page_size = 1000, 100

function init(args)
  pages = tonumber(args[1]) or pages
  page_size = tonumber(args[2]) or page_size
  report.seed()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local body = string.format('{"pageNumber":%d,"pageSize":%d}', math.random(1, pages), page_size)
  return wrk.format(nil, nil, nil, body)
end
