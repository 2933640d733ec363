-- Server messages recorded from real servers (shared/reference/samples/
-- recorded, see its README), replayed as they were sent, against a fake
-- system root so that the shipped DevInfo CSP answers.
sysroot {
  ["/etc/machine-id"] = "0123456789abcdef0123456789abcdef\n",
  ["/sys/class/dmi/id/sys_vendor"] = "LENOVO\n",
  ["/sys/class/dmi/id/product_name"] = "20XW0055GE\n",
}
local function rec(name)
  return shared("reference/samples/recorded/" .. name)
end

scenario "02: a package 2 of Statuses only ends the session"
local s = session { devid = "B5B954E81FBCB94EB79BD08BE625F4EE" }
s:send_file(rec "02-pocserver-pkg2-status-only-reply.xml")
s:no_reply(1)
expect(s:exit_code()):is(0)

scenario "04: Replace of nodes this device does not have"
s = session {}
s:send_file(rec "04-pocserver-pkg2-replace-commands.xml")
local r = s:reply()
expect(r:statuses()[1].cmd):is("SyncHdr")
expect(r:statuses()[1].code):is(200)
expect(r:statuses()[1].msgref):is("1")
-- the server's Statuses get none back; each Replace gets one
expect(#r:statuses()):is(3)
r:status(5):is(404)
r:status(6):is(404)
expect(r:text(HDR .. "/s:Target/s:LocURI")):is(
    "https://pocmdmserver.com/ManagementServer/MDM.svc")
s:finish()

scenario "06: Fleet's Atomic with UUID CmdIDs and comments"
local f = assert(io.open(rec "06-fleet-atomic-command-uuid-cmdids.xml"))
local fragment = f:read("a"):gsub("^<!%-%-.-%-%->%s*", "")
f:close()
s = session {}
s:send(fragment)
r = s:reply()
-- the UUIDs come back as CmdRef, the Atomic first (as recorded/07 shows)
r:status("90dbfca8-d4ac-40c9-bf57-ba5b8cbf1ce0"):is(507)
r:status("81a141b2-5064-4dc3-a51a-128b8caa5438"):is(404)
expect(r:statuses()[2].cmdref):is("90dbfca8-d4ac-40c9-bf57-ba5b8cbf1ce0")
s:finish()

scenario "11: namespace SYNCML1.1 with VerDTD 1.2, Get ./DevInfo/Man"
s = session { devid = false }      -- the client takes ./DevInfo/DevId
s:send_file(rec "11-server-pkg2-get-namespace11.xml")
r = s:reply()
r:status(5):is(200)
r:results(5):data():is("LENOVO")
r:results(5):source():is("./DevInfo/Man")
expect(r:statuses()[1].msgref):is("2")
expect(r:hdr("SessionID")):is("3")
-- Source of the reply = ./DevInfo/DevId: 32 upper-case hex digits
expect(r:text(HDR .. "/s:Source/s:LocURI")):matches("^" .. ("[0-9A-F]"):rep(32) .. "$")
s:finish()
tree_get("./DevInfo/DevId"):matches("^" .. ("[0-9A-F]"):rep(32) .. "$")

scenario "config: a device override replaces what the system says"
config { device = { Man = "ACME Corp." } }
s = session {}
s:send_file(rec "11-server-pkg2-get-namespace11.xml")
s:reply():results(5):data():is("ACME Corp.")
s:finish()
tree_get("./DevInfo/Man"):is("ACME Corp.")
