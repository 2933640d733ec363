-- Large objects from the server (OMA DM 1.2): an Add/Replace whose Item
-- has MoreData is reassembled across messages (213 per chunk, Alert 1222
-- while the server's package goes on), checked against the Meta Size of
-- the first chunk (424 on a mismatch, nothing committed), cut off by any
-- other command (Alert 1225), and handed to the CSP as a file (a Blob).
-- Results larger than the server's MaxObjSize get 413; with large objects
-- off, luadm refuses chunks and aborts like Windows (Alert 1223). The log
-- shows the progress (a line a tenth, then the total and the time).

use_csp "tests/data/csp/Sink.lua"
use_csp "tests/data/csp/Store.lua"

-- sha256 of a string, computed outside luadm
local function sha256(data)
  local path = tmpdir .. "/sha-input"
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
  local p = assert(io.popen("sha256sum " .. path))
  local out = p:read("*a")
  p:close()
  return out:match("^(%x+)")
end

-- the codes of the reply's Alerts
local function alert_codes(r)
  local codes = {}
  for _, a in ipairs(r:alerts()) do codes[#codes + 1] = tostring(a.code) end
  return codes
end

local function pattern(n)
  local unit = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_"
  local s = string.rep(unit, n // #unit + 1)
  return s:sub(1, n)
end

local function chunk_cmd(id, kind, uri, data, opts)
  opts = opts or {}
  local meta = opts.size and string.format(
      '<Meta><Size xmlns="syncml:metinf">%d</Size></Meta>', opts.size) or ""
  return string.format("<%s><CmdID>%d</CmdID><Item><Target><LocURI>%s</LocURI></Target>%s<Data>%s</Data>%s</Item></%s>",
      kind, id, uri, meta, data, opts.more and "<MoreData/>" or "", kind)
end

scenario "a 10 MB Add in chunks of odd sizes reaches the CSP whole, as a file"
local big = pattern(10 * 1024 * 1024)
local s = session { server_id = "srv", devid = "DEV" }
local step, off, n = 1234567, 1, 0
while off <= #big do
  local piece = big:sub(off, off + step - 1)
  off = off + #piece
  n = n + 1
  local last = off > #big
  s:send(chunk_cmd(10 + n, "Add", "./Vendor/Test/Sink/big", piece,
      { more = not last, size = n == 1 and #big or nil }), { final = last })
end
for i = 1, n - 1 do
  local r = s:reply(i)
  r:status(10 + i):is(213)
  expect(alert_codes(r), "reply " .. i .. " asks for the next message"):contains("1222")
  ok(not r:final(), "no Final while the object is incomplete")
end
s:reply(n):status(10 + n):is(200)
s:finish()
tree_get("./Vendor/Test/Sink/big"):is("blob " .. #big .. " " .. sha256(big))

scenario "the log shows the progress of the object received"
local steps, last, final = {}, -1, {}
for line in s:stderr():gmatch("[^\n]+") do
  local pct = line:match("large object %./Vendor/Test/Sink/big: [%d.]+ of 10%.0 MiB received %((%d+)%%%)$")
  if pct then
    steps[#steps + 1] = line
    ok(tonumber(pct) > last, "percentages grow: " .. line)
    last = tonumber(pct)
  end
  if line:find("large object ./Vendor/Test/Sink/big: 10.0 MiB received in ", 1, true) then
    final[#final + 1] = line
  end
end
expect(#steps, "a line a tenth or so"):at_least(5)
expect(#steps, "at most one line a chunk"):at_most(n - 1)
expect(#final, "a final line with the total and the time"):is(1)
expect(final[1] or ""):matches("received in [%d.]+ s %(" .. #big .. " bytes%), Add 200$")

scenario "the chunks do not add up to Meta Size: 424, nothing committed"
local s2 = session { server_id = "srv", devid = "DEV" }
s2:send(chunk_cmd(2, "Add", "./Vendor/Test/Sink/short", pattern(3000),
    { more = true, size = 5000 }), { final = false })
s2:send(chunk_cmd(3, "Add", "./Vendor/Test/Sink/short", pattern(1000)))
s2:reply(1):status(2):is(213)
s2:reply(2):status(3):is(424)
s2:finish()
tree_get("./Vendor/Test/Sink/short"):fails(404)

scenario "a new command before the last chunk cuts the object off: Alert 1225"
local s3 = session { server_id = "srv", devid = "DEV" }
s3:send(chunk_cmd(2, "Add", "./Vendor/Test/Sink/cut", pattern(2000),
    { more = true, size = 4000 }), { final = false })
s3:send(Get(3, "./Vendor/Test/Store/b"))
local r3 = s3:reply(2)
expect(alert_codes(r3), "Alert 1225 for the cut-off object"):contains("1225")
expect(r3:text("//s:Alert[s:Data='1225']/s:Item/s:Target/s:LocURI"))
    :is("./Vendor/Test/Sink/cut")
r3:results(3):data():is("two")
s3:finish()
tree_get("./Vendor/Test/Sink/cut"):fails(404)

scenario "a Get result over the server's MaxObjSize: 413, the session goes on"
local s4 = session { server_id = "srv", devid = "DEV" }
s4:send(Add(2, "./Vendor/Test/Store/large", pattern(3000)))
s4:send(Get(3, "./Vendor/Test/Store/large") .. Get(4, "./Vendor/Test/Store/b"),
    { hdr = '<Meta><MaxObjSize xmlns="syncml:metinf">2000</MaxObjSize></Meta>' })
local r4 = s4:reply(2)
r4:status(3):is(413)
r4:results(4):data():is("two")
expect(r4:count("//s:Results[s:CmdRef='3']"), "no Results for the refused Get"):is(0)
s4:finish()

scenario "large objects off: chunks refused (406), a result too large aborts with 1223"
config { session = { large_objects = false } }
local s5 = session { server_id = "srv", devid = "DEV" }
s5:send(chunk_cmd(2, "Add", "./Vendor/Test/Sink/off", pattern(100),
    { more = true, size = 200 }), { final = false })
s5:reply(1):status(2):is(406)
s5:finish()
local s6 = session { server_id = "srv", devid = "DEV" }
s6:send(Get(2, "./Vendor/Test/Store/large"),
    { hdr = '<Meta><MaxMsgSize xmlns="syncml:metinf">1200</MaxMsgSize></Meta>' })
local r6 = s6:reply(1)
expect(r6:commands(), "SyncHdr Status, Alert 1223 (recorded/14's shape)")
    :is({ "Status", "Alert", "Final" })
expect(alert_codes(r6)):is({ "1223" })
r6:status(0):is(200)
ok(r6:final(), "the abort message is final")
expect(s6:exit_code(), "luadm replay reports the abort"):is(1)
