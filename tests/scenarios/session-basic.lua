-- A whole DM session over HTTPS [OMA-PRO 2.3][MS-MDM 2.2][FLEET-DUMP]:
-- package 1 as Windows sends it (Alert 1201 CmdID 2, Alert 1224
-- LoginStatus CmdID 3, Replace of the five DevInfo leaves CmdID 4, Final;
-- SyncHdr VerDTD 1.2, VerProto DM/1.2, SessionID 1, MsgID 1, Target = the
-- server's ADDR without the query string the POST URL carries), the
-- request headers of a Windows client, a Get answered in package 3, the
-- end of the session when the server sends nothing but Status and Final,
-- one TLS connection for the whole session, and the SessionID counting
-- up from one session to the next.

scenario "package 1, the request headers, a Get answered in package 3"
local srv = server { tls = true }
srv:enroll()
srv:set_query("mode=Maintenance&Platform=WoA")

local cv
srv:on_message(function(req)
  -- the HTTP request
  expect(req.method):is("POST")
  expect(req.path):is("/dm")
  expect(req.query, "query string of the POST URL")
      :is("mode=Maintenance&Platform=WoA")
  req:header("Content-Type"):is("application/vnd.syncml.dm+xml")
  req:header("Accept"):contains("application/vnd.syncml.dm+xml")
  req:header("Accept"):contains("application/vnd.syncml.dm+wbxml")
  req:header("Accept-Charset"):is("UTF-8")
  req:header("Client-Request-Id"):is("0")
  req:header("MS-CV"):matches("^[%w+/]+=*%.%d+$")
  req:header("User-Agent"):matches("^luadm/%d")
  cv = req.header_map["ms-cv"]
  -- SyncHdr
  expect(req:hdr("VerDTD")):is("1.2")
  expect(req:hdr("VerProto")):is("DM/1.2")
  expect(req:session_id(), "SessionID"):is("1")
  expect(req:msgid(), "MsgID"):is(1)
  expect(req:target_uri(), "SyncHdr Target"):is(srv.url)  -- no query
  req:no_cred()
  -- SyncBody
  expect(req:commands()):is { "Alert", "Alert", "Replace", "Final" }
  expect(req:cmdids()):is { 2, 3, 4 }
  expect(req:alert_data(1201).cmdid):is(2)
  local login = req:alert_data(1224)
  expect(login.cmdid):is(3)
  expect(login.items[1].type):is("com.microsoft/MDM/LoginStatus")
  expect(login.items[1].data, "LoginStatus"):matches("^[a-z]+$")
  expect(({ user = 1, others = 1, none = 1 })[login.items[1].data],
      "LoginStatus is user, others or none"):is(1)
  local items = req:items(4)
  expect(items.cmd):is("Replace")
  local sources = {}
  for i, it in ipairs(items) do
    sources[i] = it.source
  end
  expect(sources):is { "./DevInfo/DevId", "./DevInfo/Man", "./DevInfo/Mod",
    "./DevInfo/DmV", "./DevInfo/Lang" }
  expect(items[4].data):is("1.2")
  expect(items[1].data):matches("%S")
  expect(req:source_uri()):is(items[1].data)   -- the DevId
  expect(req:final()):is(true)
  return srv:send [[
    <Get><CmdID>5</CmdID>
      <Item><Target><LocURI>./DevInfo/DmV</LocURI></Target></Item>
    </Get>
  ]]
end)

srv:on_message(function(req)
  expect(req.path):is("/dm")
  expect(req.query, "query string of the POST URL")
      :is("mode=Maintenance&Platform=WoA")
  expect(req.conn):is(1)                       -- the same connection
  expect(req:session_id()):is("1")
  expect(req:msgid()):is(2)
  local hs = req:statuses()[1]
  expect(hs.cmdref):is("0")                    -- SyncHdr's Status first
  expect(hs.cmd):is("SyncHdr")
  expect(hs.cmdid):is("1")
  expect(hs.msgref):is("1")
  req:status(0):is(200)
  req:status(5):is(200)
  req:results(5):data():is("1.2")
  req:results(5):source():is("./DevInfo/DmV")
  expect(req:alerts()):is {}
  expect(req:final()):is(true)
  req:header("MS-CV"):is(cv)                   -- one correlation vector
  return srv:finish()                          -- Status and Final only
end)

local run = srv:run_session()
run:exit_code():is(0)
run:count():is(2)          -- nothing answers a message of Statuses only
run:connections():is(1)    -- one TLS connection for the whole session
run:stderr():lacks("warn")

scenario "three packages; the next session is SessionID 2"
-- the configuration fixes the LoginStatus (else a hook asks logind)
config { session = { login_status = "others", timeout_ms = 10000,
  connect_timeout_ms = 5000 } }
srv:on_message(function(req)
  expect(req:session_id()):is("2")
  expect(req:msgid()):is(1)
  req:alert_data(1201)
  expect(req:alert_data(1224).items[1].data, "LoginStatus"):is("others")
  req:header("MS-CV"):is_not(cv)               -- a new session, a new one
  return srv:send(Get(7, "./DevInfo/Man", "./DevInfo/Lang"))
end)
srv:on_message(function(req)
  expect(req:session_id()):is("2")
  expect(req:msgid()):is(2)
  req:status(7):is(200)
  expect(#req:results(7)):is(2)
  return srv:send(Get(8, "./DevInfo/NoSuchLeaf"))
end)
srv:on_message(function(req)
  expect(req:msgid()):is(3)
  req:status(8):is(404)
  expect(#req:results(8)):is(0)
  return srv:finish()
end)
run = srv:run_session()
run:exit_code():is(0)
run:count():is(3)
run:connections():is(1)

scenario "plain HTTP works the same way"
local plain = server { tls = false, server_id = "plain", path = "/plain" }
plain:enroll()
plain:on_message(function(req)
  expect(req.tls):is(false)
  expect(req.path):is("/plain")
  expect(req:target_uri()):is(plain.url)
  expect(req:session_id()):is("1")             -- a counter per account
  return plain:send(Get(5, "./DevInfo/DmV"))
end)
plain:on_message(function(req)
  req:results(5):data():is("1.2")
  return plain:finish()
end)
run = plain:run_session { server_id = true }
run:exit_code():is(0)
run:connections():is(1)
