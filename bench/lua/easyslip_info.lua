-- GET /easyslip/v2/info with the bench application's key.
--   wrk -t1 -c16 -d10s -H "Authorization: Bearer KEY" -s bench/lua/easyslip_info.lua \
--       http://127.0.0.1:PORT/easyslip/v2/info
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(here .. "report.lua")

setup = report.setup
done = report.done

function init(_args)
  report.seed()
  wrk.method = "GET"
end
