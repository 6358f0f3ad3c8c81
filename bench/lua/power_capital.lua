-- GET /moi/api/v1/PowerCapital/{CitizenID}, a random one of the seeded citizens each time.
--   wrk -t1 -c16 -d10s -H "Token: $TOKEN" -s bench/lua/power_capital.lua \
--       http://127.0.0.1:PORT/moi/api/v1/PowerCapital/ -- CITIZENS PREFIX
-- Citizen n (1..CITIZENS) is PREFIX followed by n in 11 digits (bench/moi.py seeds them so).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(here .. "report.lua")

setup = report.setup
done = report.done

local citizens, prefix = 100000, "11"

function init(args)
  citizens = tonumber(args[1]) or citizens
  prefix = args[2] or prefix
  report.seed()
end

function request()
  local path = string.format("%s%s%011d", wrk.path, prefix, math.random(1, citizens))
  return wrk.format("GET", path)
end
