-- The floor: GET / on bench/floor.py, a fixed small JSON. Run it like the others:
--   wrk -t1 -c16 -d10s -s bench/lua/floor.lua http://127.0.0.1:PORT/
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(here .. "report.lua")

setup = report.setup
done = report.done

function init(_args)
  report.seed()
  wrk.method = "GET"
end
