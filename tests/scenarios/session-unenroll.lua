-- `luadm unenroll`: the unenrollment alert Windows sends (recorded/15:
-- Type com.microsoft:mdm.unenrollment.userrequest, Format int, Data 1,
-- Mark critical) goes in package 1 with the MDM-GenericAlert header, and
-- the account is removed once the server has taken it; a server that
-- refuses the alert keeps the account.

local UNENROLL = "com.microsoft:mdm.unenrollment.userrequest"

scenario "unenroll: the alert goes out, the server takes it, the account goes"
local srv = server { server_id = "leaving" }
srv:enroll()
srv:on_message(function(req)
  local a = req:alert_data(1226)
  expect(a.items[1].type):is(UNENROLL)
  expect(a.items[1].format):is("int")
  expect(a.items[1].data):is("1")
  req:header("MDM-GenericAlert"):is("<" .. UNENROLL .. ">")
  return srv:finish()
end)
local run = srv:run_session { command = "unenroll" }
run:exit_code():is(0)
expect(run:stdout()):contains("unenrolled")
local acc = tree("get", "./SyncML/DMAcc")
expect(acc.value, "no account is left"):is("")

scenario "unenroll refused by the server: the account stays, the alert too"
local srv2 = server { server_id = "staying" }
srv2:enroll()
srv2:on_message(function(req)
  local a = req:alert_data(1226)
  return srv2:send(string.format([[<Status><CmdID>2</CmdID><MsgRef>1</MsgRef>
    <CmdRef>%s</CmdRef><Cmd>Alert</Cmd><Data>500</Data></Status>]], a.cmdid),
    { final = true })
end)
srv2:otherwise(function(req) return srv2:finish() end)
local run2 = srv2:run_session { command = "unenroll" }
expect(run2:exit_code()):is(1)
expect(run2:stderr()):contains("did not take")
local q = luadm("alert", "--list", "staying")
expect(q.stdout):contains(UNENROLL)
