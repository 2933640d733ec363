-- SyncML DM in WBXML (application/vnd.syncml.dm+wbxml) [OMA-DM-RepPro
-- 1.2 WBXML][MS-MDM DEFAULTENCODING]: package 1 follows the account's
-- DEFAULTENCODING; from the server's first message on, the client answers
-- in the server's encoding (also back to XML), says so in its
-- Content-Type, and writes WBXML 1.2 with public id 0x1201 in UTF-8. Text
-- survives both ways byte for byte (spaces, markup characters, UTF-8, LF,
-- CRLF and CR), HMAC signs the WBXML bytes, and the server's MaxMsgSize
-- bounds the WBXML luadm sends (a large value goes in chunks). The
-- harness's WBXML is libwbxml2's (xml2wbxml, wbxml2xml), not the core's
-- codec. The messages say wbxml = true or false themselves, so the file
-- checks the same in both runs.
use_csp "tests/data/csp/Store.lua"
local S = "./Vendor/Test/Store"
local CT_WBXML = "application/vnd.syncml.dm+wbxml"
local CT_XML = "application/vnd.syncml.dm+xml"
-- version 1.2, public id 0x1201 (mb_u_int32 A4 01), charset UTF-8 (106)
local HEAD = "\x02\xA4\x01\x6A"
local ODD = "  a < b & c > d \"e\" 'f' \xC3\xBC\xE2\x82\xAC  "   -- ü and €

scenario "DEFAULTENCODING wbxml: package 1 is WBXML, and so is the rest"
local srv = server { server_id = "wbxml-default" }
srv:enroll { encoding = "wbxml" }
srv:on_message(function(req)
  expect(req.wbxml, "package 1 is WBXML"):is(true)
  req:header("Content-Type"):is(CT_WBXML)
  expect(req.body:sub(1, 4), "WBXML 1.2, public id 0x1201, UTF-8"):is(HEAD)
  req:alert_data(1201)
  expect(req:items(4).cmd):is("Replace")
  expect(req:items(4)[4].data, "./DevInfo/DmV"):is("1.2")
  return srv:send(Replace(5, S .. "/a", ODD) .. Get(6, S .. "/b"),
      { wbxml = true })
end)
srv:on_message(function(req)
  expect(req.wbxml):is(true)
  req:header("Content-Type"):is(CT_WBXML)
  expect(req.body:sub(1, 4)):is(HEAD)
  req:status(0):is(200)
  req:status(5):is(200)
  req:results(6):data():is("two")
  return srv:send(Get(7, S .. "/a"), { wbxml = true })
end)
srv:on_message(function(req)
  expect(req.wbxml):is(true)
  req:results(7):data():is(ODD)       -- back through luadm's encoder
  return srv:finish { wbxml = true }
end)
local run = srv:run_session { server_id = true }
run:exit_code():is(0)
run:count():is(3)
tree_get(S .. "/a"):is(ODD)           -- stored as the server sent it

scenario "no DEFAULTENCODING: XML until the server speaks WBXML, then back"
local sw = server { server_id = "wbxml-switch" }
sw:enroll()
sw:on_message(function(req)
  expect(req.wbxml, "package 1 is XML"):is(false)
  req:header("Content-Type"):is(CT_XML)
  return sw:send(Get(5, "./DevInfo/DmV"), { wbxml = true })
end)
sw:on_message(function(req)
  expect(req.wbxml, "the answer to WBXML is WBXML"):is(true)
  req:header("Content-Type"):is(CT_WBXML)
  req:status(5):is(200)
  req:results(5):data():is("1.2")
  return sw:send(Get(6, "./DevInfo/Lang"), { wbxml = false })
end)
sw:on_message(function(req)
  expect(req.wbxml, "the answer to XML is XML again"):is(false)
  req:header("Content-Type"):is(CT_XML)
  req:status(6):is(200)
  return sw:finish { wbxml = false }
end)
run = sw:run_session { server_id = true }
run:exit_code():is(0)
run:count():is(3)

scenario "DEFAULTENCODING xml, the server answers in WBXML"
local sx = server { server_id = "wbxml-xml-default" }
sx:enroll { encoding = "xml" }
sx:on_message(function(req)
  expect(req.wbxml):is(false)
  req:header("Content-Type"):is(CT_XML)
  return sx:send(Replace(5, S .. "/b", "via WBXML"), { wbxml = true })
end)
sx:on_message(function(req)
  expect(req.wbxml):is(true)
  req:status(5):is(200)
  return sx:finish { wbxml = true }
end)
run = sx:run_session { server_id = true }
run:exit_code():is(0)
tree_get(S .. "/b"):is("via WBXML")

scenario "HMAC signs the WBXML bytes, both ways"
local sh = server { server_id = "wbxml-hmac",
  client_auth = { type = "hmac", name = "dev", secret = "devpass",
    nonce = "wbxml client nonce" },
  server_auth = { type = "md5", name = "srv", secret = "srvpass",
    nonce = "wbxml server nonce" } }
sh:enroll { encoding = "wbxml" }
sh:on_message(function(req)
  expect(req.wbxml):is(true)
  req:hmac_ok()                       -- over the body as received
  return sh:send(Replace(5, S .. "/b", "signed in WBXML"), { wbxml = true })
end)
sh:on_message(function(req)
  expect(req.wbxml):is(true)
  req:hmac_ok()
  req:status(0):is(200)               -- it verified our WBXML's mac
  req:status(5):is(200)
  return sh:send(Replace(6, S .. "/b", "forged"),
      { wbxml = true, hmac = "wrong" })
end)
sh:on_message(function(req)
  expect(req.wbxml):is(true)
  req:hmac_ok()
  req:status(0):is(401)               -- a wrong mac: nothing runs
  req:status(6):is_not(200)
  return sh:finish { wbxml = true }
end)
run = sh:run_session { server_id = true }
run:exit_code():is(0)
run:count():is(3)
tree_get(S .. "/b"):is("signed in WBXML")

scenario "line ends: LF, CRLF and a lone CR come back through luadm's WBXML"
local LINES = "line 1\nline 2\r\nline 3\rline 4\n"
local sl = server { server_id = "wbxml-lines" }
sl:enroll()
sl:on_message(function(req)
  -- in XML, with the CRs as references (a raw CR would be a line end)
  return sl:send("<Replace><CmdID>5</CmdID><Item><Target><LocURI>" .. S ..
      "/a</LocURI></Target><Data>" .. esc(LINES):gsub("\r", "&#13;") ..
      "</Data></Item></Replace>", { wbxml = false })
end)
sl:on_message(function(req)
  expect(req.wbxml):is(false)
  req:status(5):is(200)
  return sl:send(Get(6, S .. "/a"), { wbxml = true })
end)
sl:on_message(function(req)
  expect(req.wbxml):is(true)
  req:results(6):data():is(LINES)
  return sl:finish { wbxml = true }
end)
run = sl:run_session { server_id = true }
run:exit_code():is(0)
run:count():is(3)

scenario "MaxMsgSize bounds luadm's WBXML on the wire; a large value in chunks"
local MAX = 1500
local BIG = string.rep("0123456789abcdef", 250)     -- 4000 bytes
local sm = server { server_id = "wbxml-size" }
sm:enroll { encoding = "wbxml" }
local chunks, sizes = {}, {}
sm:on_message(function(req)
  return sm:send(Add(5, S .. "/big", BIG) .. Get(6, S .. "/big"),
      { wbxml = true, hdr = '<Meta><MaxMsgSize xmlns="syncml:metinf">' ..
      MAX .. "</MaxMsgSize></Meta>" })
end)
sm:otherwise(function(req)
  expect(req.wbxml):is(true)
  sizes[#sizes + 1] = #req.body
  for _, d in ipairs(req:xpath(BODY .. "/s:Results/s:Item/s:Data")) do
    chunks[#chunks + 1] = d
  end
  if req:final() or #sizes > 10 then
    return sm:finish { wbxml = true }
  end
  return sm:send("<Alert><CmdID>2</CmdID><Data>1222</Data></Alert>",
      { wbxml = true, final = false })
end)
run = sm:run_session { server_id = true }
sm:otherwise(nil)
run:exit_code():is(0)
expect(#chunks, "the value went in chunks"):at_least(3)
expect(table.concat(chunks), "the chunks make up the value"):is(BIG)
for i, n in ipairs(sizes) do
  expect(n, "bytes of the client's WBXML message " .. (i + 1)):at_most(MAX)
end

scenario "replay: WBXML and XML messages in one session get the same answers"
local s = session {}
s:send(Replace(2, S .. "/a", ODD) .. Get(3, S .. "/a", S .. "/nope"),
    { wbxml = true })
s:send(Get(4, S .. "/a", S .. "/nope"), { wbxml = false })
local r1, r2 = s:reply(1), s:reply(2)
r1:status(2):is(200)
r1:results(3):data():is(ODD)
r1:status_for(3, S .. "/nope"):is(404)
r2:results(4):data():is(ODD)
r2:status_for(4, S .. "/nope"):is(404)
s:finish()
-- a value with line ends: xml2wbxml would write them as CRLF, so the
-- harness sends such a message as XML (a note) and the value is intact
local s2 = session {}
s2:send(Replace(2, S .. "/b", "one\ntwo\n"), { wbxml = true })
s2:send(Get(3, S .. "/b"), { wbxml = true })
s2:reply(1):status(2):is(200)
s2:reply(2):results(3):data():is("one\ntwo\n")
s2:finish()
