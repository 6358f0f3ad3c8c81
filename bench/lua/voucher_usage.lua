-- POST /depa/api/dp/VoucherUsage: BATCH records for distinct, randomly chosen vouchers
-- (codes PREFIX000001 .. PREFIX<VOUCHERS>), each on a random day among the DAYS days before
-- TODAY (a UTC-midnight epoch of the Bangkok date the harness saw; never today itself, so
-- never in the server's future). The harness activated every voucher before that window.
--   wrk -t1 -c16 -d10s -H "x-api-key: KEY" -s bench/lua/voucher_usage.lua \
--       http://127.0.0.1:PORT/depa/api/dp/VoucherUsage -- VOUCHERS PREFIX TODAY DAYS BATCH
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(here .. "report.lua")

setup = report.setup
done = report.done

local vouchers, prefix, batch = 100000, "BV-", 100
local dates = {}

function init(args)
  vouchers = tonumber(args[1]) or vouchers
  prefix = args[2] or prefix
  local today = tonumber(args[3]) or (math.floor(os.time() / 86400) * 86400)
  local days = tonumber(args[4]) or 365
  batch = tonumber(args[5]) or batch
  for d = 1, days do
    dates[d] = os.date("!%Y-%m-%d", today - d * 86400)
  end
  report.seed()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local records, taken, n = {}, {}, 0
  while n < batch do
    local v = math.random(1, vouchers)
    if not taken[v] then
      taken[v] = true
      n = n + 1
      records[n] = string.format(
        '{"accessDate":"%s","voucherCode":"%s%06d","appUserId":"user-%06d",'
          .. '"accessCount":%d,"accessTime":%d,"lat":%.6f,"lon":%.6f}',
        dates[math.random(1, #dates)], prefix, v, v,
        math.random(1, 200), math.random(0, 1440),
        5.6 + math.random() * 15, 97.3 + math.random() * 8.3)
    end
  end
  local body = '{"isProduction":true,"vouchers":[' .. table.concat(records, ",") .. "]}"
  return wrk.format(nil, nil, nil, body)
end
