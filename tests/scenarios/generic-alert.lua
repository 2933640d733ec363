-- Generic alerts (1226) queued with `luadm alert` and sent in package 1
-- [OMA-PRO 2.3.7][MS-MDM 2.1][recorded/03, 15]: one Alert per pending
-- alert after the Alert 1224, Meta Type/Format/Mark and Data as Windows
-- sends its unenrollment alert; the MDM-GenericAlert header naming the
-- critical ones on every message of the session; the alert leaves the
-- queue once the server took it (SyncHdr 200/212, no 4xx/5xx for its
-- CmdID), stays queued when the server refused it or the message, and
-- goes again in package 1 re-sent after a 401.

local UNENROLL = "com.microsoft:mdm.unenrollment.userrequest"

-- the pending alerts' ids, as a list of strings
local function pending(srv)
  local r = luadm("alert", "--list", srv.server_id)
  expect(r.code, "luadm alert --list exit code"):is(0)
  local ids = {}
  for id in r.stdout:gmatch("alert (%d+)\n") do
    ids[#ids + 1] = id
  end
  return ids
end

scenario "the unenrollment alert of recorded/15, taken by the server"
local srv = server { server_id = "alerts" }
srv:enroll()
local q = luadm("alert", "--type", UNENROLL, "--format", "int", "--mark",
  "critical", "--data", "1")
expect(q.code):is(0)
expect(q.stdout):is("1\n")
expect(pending(srv)):is { "1" }

srv:on_message(function(req)
  expect(req:commands()):is { "Alert", "Alert", "Alert", "Replace", "Final" }
  expect(req:cmdids()):is { 2, 3, 4, 5 }
  expect(req:alert_data(1224).cmdid):is(3)
  local a = req:alert_data(1226)
  expect(a.cmdid):is(4)
  expect(#a.items):is(1)
  expect(a.items[1].type):is(UNENROLL)
  expect(a.items[1].format):is("int")
  expect(a.items[1].data):is("1")
  expect(a.items[1].source):is_nil()
  expect(req:text(BODY .. "/s:Alert[3]/s:Item/s:Meta/m:Mark")):is("critical")
  req:header("MDM-GenericAlert"):is("<" .. UNENROLL .. ">")
  return srv:send(Get(6, "./DevInfo/DmV"))
end)
srv:on_message(function(req)
  req:header("MDM-GenericAlert"):is("<" .. UNENROLL .. ">")  -- every one
  req:status(6):is(200)
  return srv:finish()
end)
local run = srv:run_session()
run:exit_code():is(0)
expect(pending(srv)):is {}

scenario "the next session sends nothing more"
srv:on_message(function(req)
  expect(req:commands()):is { "Alert", "Alert", "Replace", "Final" }
  req:header("MDM-GenericAlert"):is_nil()
  return srv:finish()
end)
srv:run_session():exit_code():is(0)

scenario "a 500 for one alert keeps it; the others are taken"
expect(luadm("alert", "--type", "com.example/Done", "--source",
  "./Vendor/MSFT/Example/Job1", "--data", "a < b").code):is(0)
expect(luadm("alert", "--type", "com.example/Minor", "--mark", "minor")
  .code):is(0)
expect(pending(srv)):is { "2", "3" }
srv:on_message(function(req)
  expect(req:cmdids()):is { 2, 3, 4, 5, 6 }
  local a = req:alert_data(1226)
  expect(a.items[1].type):is("com.example/Done")
  expect(a.items[1].format):is("chr")
  expect(a.items[1].source):is("./Vendor/MSFT/Example/Job1")
  expect(a.items[1].data):is("a < b")
  req:header("MDM-GenericAlert"):is_nil()     -- none is critical or fatal
  return srv:send([[<Status><CmdID>90</CmdID><MsgRef>1</MsgRef>
    <CmdRef>4</CmdRef><Cmd>Alert</Cmd><Data>500</Data></Status>]],
    { statuses = false })
end)
srv:run_session():exit_code():is(0)
expect(pending(srv)):is { "2" }

scenario "a refused SyncHdr takes nothing; package 1 again carries it"
local auth_srv = server { server_id = "alerts-md5",
  client_auth = { type = "md5", name = "dev", secret = "devpass",
    nonce = "stale nonce" } }
auth_srv:enroll()
expect(luadm("alert", "--type", "com.example/Fatal", "--mark", "fatal",
  "alerts-md5").code):is(0)
auth_srv:on_message(function(req)
  expect(req:alert_data(1226).cmdid):is(4)
  req:header("MDM-GenericAlert"):is("<com.example/Fatal>")
  return auth_srv:send("", { hdr_status = 401, statuses = false,
    chal = { type = "md5", nonce = "challenge nonce" } })
end)
auth_srv:on_message(function(req)
  req:cred_ok()
  expect(req:commands()):is { "Status", "Alert", "Alert", "Alert",
    "Replace", "Final" }
  expect(req:alert_data(1226).cmdid):is(4)
  req:header("MDM-GenericAlert"):is("<com.example/Fatal>")
  expect(pending(auth_srv)):is { "1" }      -- not taken by the 401
  return auth_srv:finish()                   -- 212
end)
auth_srv:run_session { server_id = true }:exit_code():is(0)
expect(pending(auth_srv)):is {}
