-- POST /rakmao-po/api/v1/Buyer: the spec's create example (read from BODY_FILE), a new Draft PO
-- with the day's next PoCode each time.
--   wrk -t1 -c16 -d10s -H "Authorization: Bearer TOKEN" -s bench/lua/rakmao_create.lua \
--       http://127.0.0.1:PORT/rakmao-po/api/v1/Buyer -- BODY_FILE
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(here .. "report.lua")

setup = report.setup
done = report.done

local body = "{}"

function init(args)
  local file = assert(io.open(args[1], "rb"))
  body = file:read("*a")
  file:close()
  report.seed()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.body = body
end
