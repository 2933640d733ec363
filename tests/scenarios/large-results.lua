-- Get results held in files (OMA DM 1.2 large objects, client to server):
-- a CSP answers a Get with a luadm.Blob (dm.blob_file) and luadm sends the
-- file in chunks within the server's MaxMsgSize, read a chunk at a time,
-- never whole in memory: text escaped and never cut inside a UTF-8
-- character, binary as base64 in whole 4-character groups, Meta Size (the
-- size as sent) in the first chunk. A file that fits a message goes in
-- one Results. A file that changes while it is sent fails that Results
-- only, and the session goes on. The log shows the progress.

use_csp "tests/data/csp/Blob.lua"

local BLOB = "./Vendor/Test/Blob/"

-- text with markup, a CR and 2-, 3- and 4-byte characters
local function text(n)
  local t, i = {}, 0
  local size = 0
  while size < n do
    i = i + 1
    local line = string.format("line %d <tag a=\"1\"> & é€😀\r\n", i)
    t[#t + 1] = line
    size = size + #line
  end
  local s = table.concat(t)
  -- cut at a character boundary
  local cut = n
  while cut > 0 and (s:byte(cut + 1) or 0) & 0xc0 == 0x80 do
    cut = cut - 1
  end
  return s:sub(1, cut)
end

-- n bytes of every value 0..255 (a fixed pseudo-random sequence)
local function binary(n)
  local t, x = {}, 12345
  for i = 1, n do
    x = (x * 1103515245 + 12345) % 2147483648
    t[i] = string.char(x >> 16 & 255)
  end
  return table.concat(t)
end

local big = text(200 * 1024)
local bin = binary(50 * 1024)
local bad = "not UTF-8: \xff\xfe\xc3(" .. string.rep("x", 30000)
local small = "hello <world> & é\n"
local mid = text(20 * 1024)
local grow = text(100 * 1024)
local files_big = text(100 * 1024)
sysroot {
  ["/blob/big.txt"] = big,
  ["/blob/data.bin"] = bin,
  ["/blob/bad.txt"] = bad,
  ["/blob/small.txt"] = small,
  ["/blob/small2.txt"] = small,
  ["/blob/mid.txt"] = mid,
  ["/blob/mid2.txt"] = mid,
  ["/blob/grow.txt"] = grow,
  ["/etc/app/big.conf"] = files_big,
}
config { csp = { Files = { allow = { "/etc/app/" } } } }

local function hdr_meta(max)
  return string.format('<Meta><MaxMsgSize xmlns="syncml:metinf">%d</MaxMsgSize></Meta>', max)
end

-- the server's "send the next message" answer to our message n
local function next_please(n)
  return string.format([[<Status><CmdID>1</CmdID><MsgRef>%d</MsgRef><CmdRef>0</CmdRef>
    <Cmd>SyncHdr</Cmd><Data>200</Data></Status>
    <Alert><CmdID>2</CmdID><Data>1222</Data></Alert>]], n)
end

-- Gets uri with MaxMsgSize max and asks for more until the package ends.
-- Returns what came: { data = the Data chunks, sizes = Meta Sizes, formats
-- = Meta Formats, more = MoreData count, replies = n, session = s }.
local function get_chunked(uri, max, nmsg)
  local s = session { server_id = "srv", devid = "DEV" }
  s:send(Get(2, uri), { hdr = hdr_meta(max) })
  for i = 1, nmsg do
    s:send(next_please(i + 1), { final = false })
  end
  local got = { data = {}, sizes = {}, formats = {}, more = 0, session = s }
  local R = "//s:Results[s:CmdRef='2']/s:Item"
  for i = 1, nmsg + 1 do
    local r = s:reply(i)
    ok(#r.xml <= max, "reply " .. i .. " is " .. #r.xml ..
        " bytes, over MaxMsgSize " .. max)
    for _, d in ipairs(r:xpath(R .. "/s:Data")) do
      got.data[#got.data + 1] = d
    end
    for _, v in ipairs(r:xpath(R .. "/s:Meta/m:Size")) do
      got.sizes[#got.sizes + 1] = v
    end
    for _, v in ipairs(r:xpath(R .. "/s:Meta/m:Format")) do
      got.formats[#got.formats + 1] = v
    end
    got.more = got.more + r:count(R .. "/s:MoreData")
    if r:final() then
      got.replies = i
      break
    end
  end
  ok(got.replies ~= nil, uri .. ": the package ended with Final")
  s:reply(1):status(2):is(200)
  return got
end

-- the lines of text that match pattern
local function lines(text, pattern)
  local t = {}
  for line in text:gmatch("[^\n]+") do
    if line:find(pattern) then t[#t + 1] = line end
  end
  return t
end

scenario "a text file larger than MaxMsgSize: chunks, escaped, whole characters"
local g = get_chunked(BLOB .. "big.txt", 16000, 40)
ok(#g.data >= 10, "the file went in many chunks (" .. #g.data .. ")")
expect(table.concat(g.data), "the chunks make up the file"):is(big)
expect(g.more, "MoreData in every chunk but the last"):is(#g.data - 1)
expect(g.sizes, "Meta Size (the file's size) in the first chunk only"):is({ tostring(#big) })
expect(g.formats, "chr is the default: no Format"):is({})
for i, d in ipairs(g.data) do
  if not utf8.len(d) then fail("chunk " .. i .. " is not whole UTF-8") end
end
g.session:finish()

scenario "the log shows the progress of the Results"
local err = g.session:stderr()
local uri = BLOB .. "big.txt"
expect(#lines(err, "Results for " .. uri:gsub("%p", "%%%0") .. ": sending " .. #big ..
    " bytes in chunks"), "a line when it starts"):is(1)
local steps = lines(err, "Results for " .. uri:gsub("%p", "%%%0") ..
    ": [%d.]+ of 200%.0 KiB sent %(%d+%%%)$")
expect(#steps, "a line a tenth or so"):at_least(5)
expect(#steps, "at most one line a chunk"):at_most(#g.data - 1)
local last = -1
for _, l in ipairs(steps) do
  local pct = tonumber(l:match("%((%d+)%%%)$"))
  ok(pct > last and pct < 100, "percentages grow: " .. l)
  last = pct
end
expect(#lines(err, "Results for " .. uri:gsub("%p", "%%%0") ..
    ": 200%.0 KiB sent in [%d.]+ s$"), "a final line with the total and the time"):is(1)

scenario "a binary file goes as base64 in whole groups of 4"
local g2 = get_chunked(BLOB .. "data.bin", 8000, 30)
local enc = auth.b64(bin)
ok(#g2.data >= 5, "in chunks (" .. #g2.data .. ")")
expect(table.concat(g2.data), "the chunks make up the base64 of the file"):is(enc)
expect(auth.unb64(table.concat(g2.data)) == bin, "it decodes to the file"):is(true)
for i, d in ipairs(g2.data) do
  expect(#d % 4, "chunk " .. i .. " is whole groups of 4"):is(0)
end
expect(g2.sizes, "Meta Size: the size as sent"):is({ tostring(#enc) })
expect(#g2.formats, "a Format in every chunk"):is(#g2.data)
for _, f in ipairs(g2.formats) do expect(f, "Format"):is("b64") end
g2.session:finish()

scenario "a chr file that is not UTF-8 text goes as base64"
local g3 = get_chunked(BLOB .. "bad.txt", 8000, 20)
expect(auth.unb64(table.concat(g3.data)) == bad, "it decodes to the file"):is(true)
expect(g3.formats[1], "Format b64"):is("b64")
g3.session:finish()

scenario "files that fit a message go whole, in one Results"
local s = session { server_id = "srv", devid = "DEV" }
s:send(Get(2, BLOB .. "small.txt") .. Get(3, BLOB .. "mid.txt"),
    { hdr = hdr_meta(65536) })
local r = s:reply(1)
r:status(2):is(200)
r:status(3):is(200)
r:results(2):data():is(small)
r:results(3):data():is(mid)
expect(r:count("//s:MoreData"), "no chunks"):is(0)
expect(r:count("//s:Results/s:Item/s:Meta/m:Size"), "no Meta Size"):is(0)
ok(r:final(), "one message")
s:finish()
expect(s:stderr(), "no progress lines for whole values"):lacks("in chunks")

scenario "a file removed after dm.blob_file opened it is still sent"
local s2 = session { server_id = "srv", devid = "DEV" }
s2:send(Get(2, BLOB .. "Held"))
s2:reply():results(2):data():is("held value\n")
s2:finish()

scenario "a file that is not there: 404, the session goes on"
local s3 = session { server_id = "srv", devid = "DEV" }
s3:send(Get(2, BLOB .. "nope.txt") .. Get(3, BLOB .. "small.txt"))
local r3 = s3:reply()
r3:status(2):is(404)
r3:results(3):data():is(small)
expect(r3:count("//s:Results[s:CmdRef='2']"), "no Results for the 404"):is(0)
s3:finish()

scenario "a file that changes size while it is sent: the rest is not sent, the session goes on"
local s4 = session { server_id = "srv", devid = "DEV" }
s4:send(Get(2, BLOB .. "grow.txt"), { hdr = hdr_meta(16000) })
s4:send(next_please(2), { final = false })
-- instead of asking for the next chunk, the server changes the file
s4:send(Exec(3, BLOB .. "grow.txt", "appended"))
local r4a, r4b = s4:reply(2), s4:reply(3)
expect(r4a:count("//s:Results[s:CmdRef='2']/s:Item/s:MoreData"), "a first chunk"):is(1)
r4b:status(3):is(200)
expect(r4b:count("//s:Results"), "no more of the changed file"):is(0)
ok(r4b:final(), "the package ends")
s4:finish()
expect(s4:stderr()):matches("Results for " .. (BLOB .. "grow.txt"):gsub("%p", "%%%0") ..
    ": the file changed size %(" .. #grow .. " bytes when queued, " .. #grow + 8 ..
    " now%) after %d+ of " .. #grow .. " bytes were sent: the rest is not sent")

scenario "a file that changes before it is sent: no Results for it, the rest goes"
local s5 = session { server_id = "srv", devid = "DEV" }
-- mid2 (20 KiB) is sent from the file; small2 was read when queued
s5:send(Get(2, BLOB .. "mid2.txt") .. Get(3, BLOB .. "small2.txt") ..
    Exec(4, BLOB .. "mid2.txt", "truncate") .. Exec(5, BLOB .. "small2.txt", "truncate"),
    { hdr = hdr_meta(65536) })
local r5 = s5:reply()
r5:status(2):is(200)
r5:status(4):is(200)
r5:status(5):is(200)
expect(r5:count("//s:Results[s:CmdRef='2']"), "no Results for the changed file"):is(0)
r5:results(3):data():is(small)
s5:finish()
expect(s5:stderr()):matches("Results for " .. (BLOB .. "mid2.txt"):gsub("%p", "%%%0") ..
    ": the file changed size %(" .. #mid .. " bytes when queued, 0 now%) after 0 of " ..
    #mid .. " bytes were sent: no Results for it")

scenario "the Files CSP sends a large Content from the file"
local F = "./Vendor/luadm/Files/big"
local s6 = session { server_id = "srv", devid = "DEV" }
s6:send(Add(2, F) .. Replace(3, F .. "/Path", "/etc/app/big.conf"))
s6:reply():status(2):is(200)
s6:reply():status(3):is(200)
s6:finish()
local g6 = get_chunked(F .. "/Content", 16000, 30)
ok(#g6.data >= 5, "in chunks (" .. #g6.data .. ")")
expect(table.concat(g6.data), "the chunks make up the file"):is(files_big)
g6.session:finish()
expect(g6.session:stderr()):contains("Results for " .. F .. "/Content: sending")
