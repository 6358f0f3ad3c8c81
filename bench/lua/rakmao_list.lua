-- GET /rakmao-po/api/v1/Buyer/{OrgId}: a third of the requests a random page of everything, a
-- third filtered by a random status, a third by a random keyword (percent-encoded, from the
-- comma-separated KEYWORDS), perpage PERPAGE.
--   wrk -t1 -c16 -d10s -H "Authorization: Bearer TOKEN" -s bench/lua/rakmao_list.lua \
--       http://127.0.0.1:PORT/rakmao-po/api/v1/Buyer/ORG -- PAGES PERPAGE KEYWORDS
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(here .. "report.lua")

setup = report.setup
done = report.done

local pages, perpage = 100, 10
local keywords = {}
local statuses = {1, 2, 3, 4, -1, -2, -3, -4, -5, -6, -7}

function init(args)
  pages = tonumber(args[1]) or pages
  perpage = tonumber(args[2]) or perpage
  for word in string.gmatch(args[3] or "", "[^,]+") do
    keywords[#keywords + 1] = word
  end
  report.seed()
end

function request()
  local mode = math.random(1, 3)
  local query
  if mode == 1 or #keywords == 0 then
    query = string.format("?page=%d&perpage=%d", math.random(1, pages), perpage)
  elseif mode == 2 then
    query = string.format("?status=%d&page=%d&perpage=%d",
      statuses[math.random(1, #statuses)], math.random(1, 5), perpage)
  else
    query = string.format("?Keyword=%s&page=1&perpage=%d",
      keywords[math.random(1, #keywords)], perpage)
  end
  return wrk.format("GET", wrk.path .. query)
end
