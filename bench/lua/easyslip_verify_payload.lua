-- POST /easyslip/v2/verify/bank with a slip's QR payload, a random one of the ledger's each
-- time (payloads read from FILE, one a line).
--   wrk -t1 -c16 -d10s -H "Authorization: Bearer KEY" -s bench/lua/easyslip_verify_payload.lua \
--       http://127.0.0.1:PORT/easyslip/v2/verify/bank -- FILE
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(here .. "report.lua")

setup = report.setup
done = report.done

local payloads = {}

function init(args)
  for line in io.lines(args[1]) do
    payloads[#payloads + 1] = line
  end
  report.seed()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local payload = payloads[math.random(1, #payloads)]
  return wrk.format(nil, nil, nil, '{"payload":"' .. payload .. '","matchAmount":250}')
end
