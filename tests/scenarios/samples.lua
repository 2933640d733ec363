-- Every server -> client message of the reference samples
-- (shared/reference/samples/ and samples/recorded/, see their README.md),
-- replayed as it was written, each in its own session, with the statuses
-- the spec implies for each command. Client -> server messages and the
-- provisioning document are not server messages and are left out; the
-- auth examples are replayed from their `.normalized.xml` copies (the
-- originals are not well-formed); recorded/06 is a fragment and is wrapped
-- in a message, as recorded.lua does.
--
-- Part 1 replays them on a bare device (the shipped CSPs only): DevInfo
-- and DevDetail answer from a fake system root and the configuration, and
-- a node no CSP serves is 404. Part 2 adds CSPs for the nodes the samples
-- address (tests/data/samples-csp/Fake.lua, configured per copy), so that
-- their Add, Replace and Delete succeed, and compares the replies with the
-- client's side of the same exchange where the samples have it.
--
-- Rules used below (omadm-spec.md, oma-dm-protocol-support.md):
-- - the SyncHdr Status comes first: CmdRef 0, MsgRef = the server's MsgID
--   [MS-MDM 2.2.6.1]; the server's own Statuses get none back, every
--   command does, in order, a Sequence's before its children's;
-- - replay does no authentication, so a server Cred is not checked: 200
--   (212 would claim the server was authenticated);
-- - Status + Final only: no reply, the session ends (exit 0) [OMA-PRO
--   2.3]; no Final: Status for SyncHdr + Alert 1222, no Final [OMA-PRO 2.1];
-- - Get of an existing node: 200 then Results with the value; a node the
--   device does not have: 404, no Results [MS-OMA status table];
-- - Replace of a node no CSP serves: 404 (Replace never creates) [OMA-REP
--   4.1.6.11]; an Item without Target: 400 (malformed);
-- - UI alerts (1100, 1101) follow the ui policy, 406 by default; a 1101
--   not answered 200 stops its Sequence: what follows is 215 [OMA-REP
--   4.1.6.14]; Alert 1201 is the client's own code: 406 [OMA-REP 4.1.6.2].

local SAMPLES = "reference/samples/"
local function sample(name)
  return shared(SAMPLES .. name)
end
local function rec(name)
  return sample("recorded/" .. name)
end

sysroot { ["/etc/machine-id"] = "0123456789abcdef0123456789abcdef\n" }
local DEVICE = {
  Man = "ACME Corp.", Mod = "Model 1", Lang = "en-GB",
  DevTyp = "laptop", OEM = "ACME OEM", FwV = "1.0.7",
  SwV = "Debian GNU/Linux 12 (bookworm)", HwV = "rev B",
}
config { device = DEVICE }

-- generous under a wrapper such as valgrind
local QUICK = os.getenv("LUADM_WRAP") and 60 or 10

---------------------------------------------------------------- helpers

-- "Cmd CmdRef Code" of every Status of r, in order.
local function summary(r)
  local out = {}
  for _, st in ipairs(r:statuses()) do
    out[#out + 1] = string.format("%s %s %s", tostring(st.cmd),
        tostring(st.cmdref), tostring(st.data))
  end
  return out
end

-- The distinct MsgRefs of r's Statuses.
local function msgrefs(r)
  local out, seen = {}, {}
  for _, st in ipairs(r:statuses()) do
    local m = tostring(st.msgref)
    if not seen[m] then
      seen[m] = true
      out[#out + 1] = m
    end
  end
  return out
end

local DEVID   -- ./DevInfo/DevId, read once the tree is up (below)

-- The reply's SyncHdr: our MsgID, the server's SessionID, Target = the
-- server's Source, Source = our DevId [omadm-spec 1.3]; every Status
-- answers the server's message msgref.
local function header(r, o)
  expect(r:hdr("VerDTD"), "VerDTD"):is("1.2")
  expect(r:hdr("VerProto"), "VerProto"):is("DM/1.2")
  expect(r:msgid(), "our MsgID"):is(o.msgid or 2)
  expect(r:hdr("SessionID"), "SessionID"):is(o.session)
  expect(r:text(HDR .. "/s:Target/s:LocURI"), "Target"):is(o.target)
  expect(r:text(HDR .. "/s:Source/s:LocURI"), "Source"):is(o.source or DEVID)
  expect(msgrefs(r), "MsgRef of every Status"):is { o.msgref or "1" }
  expect(r:statuses()[1].cmd, "first Status"):is("SyncHdr")
  expect(r:statuses()[1].cmdref, "first Status CmdRef"):is("0")
end

-- One sample alone in a session; the device id comes from ./DevInfo/DevId.
local function replay(file, ui)
  local s = session { devid = false, ui = ui }
  s:send_file(file)
  return s
end

-- A sample of Status (and Final) only: no reply, exit 0.
local function ends(file)
  local s = replay(file)
  s:no_reply(1)
  expect(s:stdout(), "stdout"):is("")
  expect(s:exit_code(), "exit code"):is(0)
  expect(s:stderr(), "stderr"):lacks("error")
  return s
end

-- recorded/06: a command fragment, wrapped in a message by s:send.
local function fragment06()
  local f = assert(io.open(rec "06-fleet-atomic-command-uuid-cmdids.xml"))
  local text = f:read("a"):gsub("^<!%-%-.-%-%->%s*", "")
  f:close()
  return text
end
local ATOMIC06 = "90dbfca8-d4ac-40c9-bf57-ba5b8cbf1ce0"
local REPLACE06 = "81a141b2-5064-4dc3-a51a-128b8caa5438"

-- A message as text with the XML declaration, comments and the
-- whitespace between tags removed, to compare two messages.
local function squeeze(text)
  return (text:gsub("<%?xml.-%?>", ""):gsub("<!%-%-.-%-%->", "")
      :gsub(">%s+<", "><"):gsub("^%s+", ""):gsub("%s+$", ""))
end
local function file_text(path)
  local f = assert(io.open(path, "rb"))
  local t = f:read("a")
  f:close()
  return t
end

scenario "the device: DevId from /etc/machine-id"
DEVID = tree_get("./DevInfo/DevId"):matches("^" .. ("[0-9A-F]"):rep(32) ..
    "$").value
tree_get("./DevInfo/Man"):is(DEVICE.Man)
tree_get("./DevDetail/SwV"):is(DEVICE.SwV)

---------------------------------------------------------------- part 1

scenario "cyanogenmod testadd: Add of ./TestLeafNode, which no CSP serves"
local s = replay(sample "cyanogenmod_omadm_dm12_testadd.decoded.xml")
local r = s:reply()
header(r, { session = "30483", target = "http://10.72.34.217:80/Manage" })
-- the server's three Statuses get none; the SyncHdr (with a Basic Cred
-- nobody checks) 200; no CSP is mounted there: 404
expect(summary(r)):is { "SyncHdr 0 200", "Add 4 404" }
expect(r:final()):is(true)
-- the DOCTYPE names an external DTD over HTTP: not fetched
expect(s:elapsed()):at_most(QUICK)
s:finish()
tree_get("./TestLeafNode"):fails(404)

scenario "cyanogenmod testdelete: Delete of nodes the device does not have"
s = replay(sample "cyanogenmod_omadm_dm12_testdelete.decoded.xml")
r = s:reply()
header(r, { session = "12463", target = "http://10.72.34.217:80/Manage" })
expect(summary(r)):is { "SyncHdr 0 200", "Delete 4 404", "Delete 5 404" }
s:finish()

scenario "cyanogenmod testget: Get ./DevDetail/URI/MaxDepth"
s = replay(sample "cyanogenmod_omadm_dm12_testget.decoded.xml")
r = s:reply()
header(r, { session = "22100", target = "http://10.72.34.217:80/Manage" })
expect(summary(r)):is { "SyncHdr 0 200", "Get 4 200" }
expect(r:commands()):is { "Status", "Status", "Results", "Final" }
local res = r:results(4)
expect(#res):is(1)
res:source():is("./DevDetail/URI/MaxDepth")
res:format():is("int")
res:data():matches("^%d+$")
res:data():is(tree_get("./DevDetail/URI/MaxDepth").value)
s:finish()

scenario "cyanogenmod testreplace: a client-shaped message sent to the client"
-- Alert 1201 is the client's own code: not something a client handles;
-- the Replace's Items have a Source and no Target: malformed, and one
-- Status covers the nine Items since their codes are equal
s = replay(sample "cyanogenmod_omadm_dm12_testreplace.decoded.xml")
r = s:reply()
header(r, { session = "24673", target = "000000011234564" })
expect(summary(r)):is { "SyncHdr 0 200", "Alert 1 406", "Replace 2 400" }
s:finish()
-- nothing of it reached DevInfo (whose nodes are Get only anyway)
tree_get("./DevInfo/Man"):is(DEVICE.Man)
tree_get("./DevInfo/Lang"):is(DEVICE.Lang)

scenario "fleetdm PoC package 2 of Statuses only: the session ends"
ends(sample "fleetdm_poc-mdm-server_ngrok_dump_session1_server_pkg2_" ..
    "status_only_final_ends_session.xml")

scenario "MS-MDM 4 package 2: Get ./DevDetail/SwV and ./ DevDetail/HwV"
s = replay(sample "msmdm_v20240423_s4_msg2_server_pkg2.xml")
r = s:reply()
header(r, { session = "1", target = "https://contoso.com/management-server" })
-- "./ DevDetail/HwV" (the spec's typo, kept) names a first segment
-- " DevDetail": no such node, 404 and no Results; SwV is read
expect(summary(r)):is { "SyncHdr 0 200", "Get 4 200", "Get 5 404" }
expect(r:commands()):is { "Status", "Status", "Results", "Status", "Final" }
r:results(4):source():is("./DevDetail/SwV")
r:results(4):data():is(DEVICE.SwV)
expect(#r:results(5)):is(0)
s:finish()

scenario "OMA DM 2.4 Basic: Status 407 with a challenge, no Final"
-- the example ends in "..." and has no Final: the server's package goes
-- on, so the client answers its SyncHdr and asks for the next message
-- (replay has no account: the challenge is not answered)
s = replay(sample "omadm_protocol_v12_s2_4_auth_basic_msg2_server_407_chal." ..
    "normalized.xml")
r = s:reply()
header(r, { session = "1", target = "http://www.syncml.org/mgmt-server" })
expect(summary(r)):is { "SyncHdr 0 200" }
expect(r:commands()):is { "Status", "Alert" }
expect(r:alerts()[1].code):is(1222)
expect(r:final()):is(false)
s:finish()

scenario "OMA DM 2.4 Basic: Status 212, no Final"
s = replay(sample "omadm_protocol_v12_s2_4_auth_basic_msg4_server_212.xml")
r = s:reply()
header(r, { session = "1", target = "http://www.syncml.org/mgmt-server",
    msgref = "2" })
expect(summary(r)):is { "SyncHdr 0 200" }
expect(r:commands()):is { "Status", "Alert" }
expect(r:alerts()[1].code):is(1222)
expect(r:final()):is(false)
s:finish()

scenario "OMA DM 2.4 MD5: Status 212 with NextNonce, no Final"
s = replay(sample "omadm_protocol_v12_s2_4_auth_md5_msg2_server_212_" ..
    "nextnonce.normalized.xml")
r = s:reply()
header(r, { session = "1", target = "http://www.syncml.org/mgmt-server",
    msgref = "2" })
expect(summary(r)):is { "SyncHdr 0 200" }
expect(r:commands()):is { "Status", "Alert" }
expect(r:alerts()[1].code):is(1222)
expect(r:final()):is(false)
s:finish()

scenario "OMA DM 2.4 Basic: 407 then 212 in one session"
s = session { devid = false }
s:send_file(sample "omadm_protocol_v12_s2_4_auth_basic_msg2_server_407_" ..
    "chal.normalized.xml")
s:send_file(sample "omadm_protocol_v12_s2_4_auth_basic_msg4_server_212.xml")
r = s:reply(1)
expect(r:msgid()):is(2)
expect(summary(r)):is { "SyncHdr 0 200" }
r = s:reply(2)
expect(r:msgid()):is(3)
expect(summary(r)):is { "SyncHdr 0 200" }
expect(r:statuses()[1].msgref):is("2")
expect(r:alerts()[1].code):is(1222)
s:finish()

local AV2 = sample "omadm_protocol_v12_s2_6_antivirus_msg2_server_pkg2_get.xml"
local AV4 = sample "omadm_protocol_v12_s2_6_antivirus_msg4_server_pkg2b_" ..
    "replace.xml"
local AV6 = sample "omadm_protocol_v12_s2_6_antivirus_msg6_server_end.xml"

scenario "OMA DM 2.6 antivirus package 2: Alert 1100, Get of a missing node"
s = replay(AV2)
r = s:reply()
header(r, { session = "1", target = "http://www.syncml.org/mgmt-server" })
-- the Statuses have their elements out of DTD order and still get none;
-- a display Alert is 406 by default; no ./antivirus_data: 404
expect(summary(r)):is { "SyncHdr 0 200", "Alert 2 406", "Get 4 404" }
expect(r:count(BODY .. "/s:Results")):is(0)
s:finish()

scenario "OMA DM 2.6 antivirus package 2, Alert 1100 with --ui accept"
s = replay(AV2, "accept")
r = s:reply()
expect(summary(r)):is { "SyncHdr 0 200", "Alert 2 200", "Get 4 404" }
s:finish()

scenario "OMA DM 2.6 antivirus package 4: Replace of a missing node"
s = replay(AV4)
r = s:reply()
header(r, { session = "1", target = "http://www.syncml.org/mgmt-server",
    msgref = "2" })
expect(summary(r)):is { "SyncHdr 0 200", "Replace 2 404" }
s:finish()
tree_get("./antivirus_data"):fails(404)

scenario "OMA DM 2.6 antivirus package 6: Status only, the session ends"
ends(AV6)

scenario "OMA DM 2.6 antivirus: the whole session on a bare device"
s = session { devid = false }
s:send_file(AV2)
s:send_file(AV4)
s:send_file(AV6)
expect(summary(s:reply(1))):is { "SyncHdr 0 200", "Alert 2 406", "Get 4 404" }
expect(s:reply(1):msgid()):is(2)
expect(summary(s:reply(2))):is { "SyncHdr 0 200", "Replace 2 404" }
expect(s:reply(2):msgid()):is(3)
s:no_reply(3)
expect(#s:run()):is(2)
s:finish()

local WAP2 = sample "omadm_protocol_v12_s2_6_wapctx_msg2_server_pkg2_" ..
    "sequence.xml"
local WAP4 = sample "omadm_protocol_v12_s2_6_wapctx_msg4_server_pkg4_end.xml"

scenario "OMA DM 2.6 WAP settings package 2: Sequence, Alert 1101 by default"
s = replay(WAP2)
r = s:reply()
header(r, { session = "1", target = "http://www.syncml.org/mgmt-server" })
-- the Sequence's own Status first; the confirmation cannot be asked (406)
-- so the Replace it guards does not run
expect(summary(r)):is { "SyncHdr 0 200", "Sequence 1 200", "Alert 2 406",
  "Replace 4 215" }
s:finish()

scenario "OMA DM 2.6 WAP settings package 2: the user says no"
s = replay(WAP2, "reject")
expect(summary(s:reply())):is { "SyncHdr 0 200", "Sequence 1 200",
  "Alert 2 304", "Replace 4 215" }
s:finish()

scenario "OMA DM 2.6 WAP settings package 2: the user says yes, no such node"
s = replay(WAP2, "accept")
expect(summary(s:reply())):is { "SyncHdr 0 200", "Sequence 1 200",
  "Alert 2 200", "Replace 4 404" }
s:finish()

scenario "OMA DM 2.6 WAP settings package 4: Status only, the session ends"
ends(WAP4)

local DEMO = sample "winmdmdemo_readme_server_pkg2_replace.xml"

scenario "Windows MDM demo package 2: Replace of Personalization, no CSP"
s = replay(DEMO)
r = s:reply()
header(r, { session = "1",
    target = "https://mdmwindows.com/ManagementServer/MDM.svc" })
-- Meta Type without the metinf namespace (the server's bug) is tolerated
expect(summary(r)):is { "SyncHdr 0 200", "Replace 5 404", "Replace 6 404" }
s:finish()

scenario "recorded/02: a package 2 of Statuses only ends the session"
ends(rec "02-pocserver-pkg2-status-only-reply.xml")

scenario "recorded/04: Replace of Personalization nodes, no CSP"
s = replay(rec "04-pocserver-pkg2-replace-commands.xml")
r = s:reply()
header(r, { session = "1",
    target = "https://pocmdmserver.com/ManagementServer/MDM.svc" })
expect(summary(r)):is { "SyncHdr 0 200", "Replace 5 404", "Replace 6 404" }
s:finish()

scenario "recorded/06: Fleet's Atomic on a Policy node no CSP serves"
s = session { devid = false }
s:send(fragment06())
r = s:reply()
header(r, { session = "1", target = "https://dm.example.test/dm" })
-- the Atomic's Status first, with the UUID CmdIDs echoed
expect(summary(r)):is { "SyncHdr 0 200", "Atomic " .. ATOMIC06 .. " 507",
  "Replace " .. REPLACE06 .. " 404" }
s:finish()

scenario "recorded/11: namespace SYNCML1.1, Get ./DevInfo/Man"
s = replay(rec "11-server-pkg2-get-namespace11.xml")
r = s:reply()
header(r, { session = "3", msgref = "2",
    target = "https://mdm.example.test/ManagementServer/MDM.svc" })
expect(summary(r)):is { "SyncHdr 0 200", "Get 5 200" }
r:results(5):source():is("./DevInfo/Man")
r:results(5):data():is(DEVICE.Man)
-- the reply speaks 1.2 whatever namespace the server used
expect(r.xml):contains('xmlns="SYNCML:SYNCML1.2"')
s:finish()

---------------------------------------------------------------- part 2

-- From here on the device has CSPs at the nodes the samples address. Every
-- session above has run already (their checks ran them), so they saw none.
local LOG = tmpdir .. "/csp-calls.log"
local FAKE = file_text(src "tests/data/samples-csp/Fake.lua")
local fakes = {}
local function fake(name, spec)
  spec.name = name
  spec.log = LOG
  fakes[name] = spec
  csp(name, FAKE)
  config { csp = fakes }
end

-- The CSP calls logged since the last look: { { csp, cmd, uri, path,
-- scope, server_id, value, format, type }, ... } ("nil" for nothing).
local seen = 0
local function new_calls()
  local f = io.open(LOG, "rb")
  local all = {}
  if f then
    all = assert(load("return { " .. f:read("a") .. " }"))()
    f:close()
  end
  local out = table.move(all, seen + 1, #all, 1, {})
  seen = #all
  return out
end

fake("TestLeafNode", { mount = "./TestLeafNode", nodes = {} })
fake("TestLeaf", { mount = "./TestLeaf", nodes = { [""] = "leaf" } })
fake("AntiVirus", { mount = "./antivirus_data",
  nodes = { [""] = true, version = "antivirus-inc/20010522b/5" } })
fake("WapSettings", { mount = "./settings/wap_settings",
  nodes = { [""] = true, CNN = "old settings" } })
-- Windows answers 202 for these: they finish asynchronously
fake("Personalization", { mount = "./Vendor/MSFT/Personalization",
  status = { Replace = 202 },
  nodes = { [""] = true, DesktopImageUrl = "", LockScreenImageUrl = "" } })
fake("Policy", { mount = "./Vendor/MSFT/Policy/Config",
  nodes = { [""] = true, Bluetooth = true,
    ["Bluetooth/AllowDiscoverableMode"] = "0" } })

scenario "with CSPs: cyanogenmod testadd adds ./TestLeafNode"
s = replay(sample "cyanogenmod_omadm_dm12_testadd.decoded.xml")
r = s:reply()
expect(summary(r)):is { "SyncHdr 0 200", "Add 4 200" }
s:finish()
local calls = new_calls()
expect(#calls):is(1)
expect(calls[1].cmd):is("Add")
expect(calls[1].uri):is("./TestLeafNode")
expect(calls[1].format):is("node")       -- an interior node: no value
expect(calls[1].value):is("nil")
expect(calls[1].server_id):is("srv")
tree_get("./TestLeafNode"):is("")          -- there, with no children

scenario "with CSPs: adding ./TestLeafNode again: 418"
s = replay(sample "cyanogenmod_omadm_dm12_testadd.decoded.xml")
expect(summary(s:reply())):is { "SyncHdr 0 200", "Add 4 418" }
s:finish()
expect(#new_calls()):is(0)

scenario "with CSPs: cyanogenmod testdelete deletes both nodes"
s = replay(sample "cyanogenmod_omadm_dm12_testdelete.decoded.xml")
r = s:reply()
expect(summary(r)):is { "SyncHdr 0 200", "Delete 4 200", "Delete 5 200" }
s:finish()
calls = new_calls()
expect(#calls):is(2)
expect(calls[1].cmd .. " " .. calls[1].uri):is("Delete ./TestLeafNode")
expect(calls[2].cmd .. " " .. calls[2].uri):is("Delete ./TestLeaf")
tree_get("./TestLeafNode"):fails(404)
tree_get("./TestLeaf"):fails(404)

scenario "with CSPs: cyanogenmod testdelete again: 404 twice"
s = replay(sample "cyanogenmod_omadm_dm12_testdelete.decoded.xml")
expect(summary(s:reply())):is { "SyncHdr 0 200", "Delete 4 404",
  "Delete 5 404" }
s:finish()

scenario "with CSPs: the antivirus session as the OMA DM example has it"
s = session { devid = false, ui = "accept" }
s:send_file(AV2)
s:send_file(AV4)
s:send_file(AV6)
-- msg3 of the example: Alert 200, Get 200 and its Results (the SyncHdr is
-- 212 there, as that client checked the server's Cred)
r = s:reply(1)
header(r, { session = "1", target = "http://www.syncml.org/mgmt-server" })
expect(summary(r)):is { "SyncHdr 0 200", "Alert 2 200", "Get 4 200" }
r:results(4):source():is("./antivirus_data/version")
r:results(4):data():is("antivirus-inc/20010522b/5")
-- msg5: the Replace 200, in our message 3
r = s:reply(2)
header(r, { session = "1", target = "http://www.syncml.org/mgmt-server",
    msgid = 3, msgref = "2" })
expect(summary(r)):is { "SyncHdr 0 200", "Replace 2 200" }
-- msg6 is Status only: no reply, the session ends
s:no_reply(3)
s:finish()
calls = new_calls()
expect(#calls):is(1)
expect(calls[1].cmd .. " " .. calls[1].uri):is("Replace ./antivirus_data")
expect(calls[1].format):is("b64")
-- the Type's surrounding white space (a line break in the sample) is gone
expect(calls[1].type):is("application/antivirus-inc.virusdef")
expect(calls[1].value):is("")           -- the Data holds only a comment

scenario "with CSPs: the WAP settings session, the user says yes"
s = session { devid = false, ui = "accept" }
s:send_file(WAP2)
s:send_file(WAP4)
r = s:reply(1)
header(r, { session = "1", target = "http://www.syncml.org/mgmt-server" })
-- msg3 of the example: Sequence, Alert and Replace all 200
expect(summary(r)):is { "SyncHdr 0 200", "Sequence 1 200", "Alert 2 200",
  "Replace 4 200" }
s:no_reply(2)
s:finish()
calls = new_calls()
expect(#calls):is(1)
expect(calls[1].cmd .. " " .. calls[1].uri):is(
    "Replace ./settings/wap_settings/CNN")
expect(calls[1].format):is("b64")
expect(calls[1].type):is("application/vnd.wap.connectivity-wbxml")
tree_get("./settings/wap_settings/CNN"):is("")

scenario "with CSPs: the WAP settings, the user says no: nothing changes"
tree("replace", "./settings/wap_settings/CNN", "kept")
new_calls()
s = replay(WAP2, "reject")
expect(summary(s:reply())):is { "SyncHdr 0 200", "Sequence 1 200",
  "Alert 2 304", "Replace 4 215" }
s:finish()
expect(#new_calls()):is(0)
tree_get("./settings/wap_settings/CNN"):is("kept")

local URL = "https://fleetdm.com/images/articles/fleet-4.24.0-cover-" ..
    "1600x900@2x.jpg"
local P = "./Vendor/MSFT/Personalization/"

scenario "with CSPs: recorded/04 answered as the Windows device did (05)"
-- the device of recorded/01..05, so that the whole reply can be compared
-- with what it sent: recorded/05, 202 for both Replaces
s = session { devid = "1E08C6E95D8BB843B1278FF45BC60CC6" }
s:send_file(rec "04-pocserver-pkg2-replace-commands.xml")
r = s:reply()
expect(summary(r)):is { "SyncHdr 0 200", "Replace 5 202", "Replace 6 202" }
expect(squeeze(r.xml)):is(squeeze(file_text(
    rec "05-win10-vmware-pkg3-status-202.xml")))
s:finish()
calls = new_calls()
expect(#calls):is(2)
expect(calls[1].uri):is(P .. "DesktopImageUrl")
expect(calls[2].uri):is(P .. "LockScreenImageUrl")
for _, c in ipairs(calls) do
  expect(c.value):is(URL)
  expect(c.format):is("chr")
  expect(c.type):is("text/plain")       -- read without its namespace
end
tree_get(P .. "DesktopImageUrl"):is(URL)

scenario "with CSPs: Windows MDM demo package 2 answered as its client did"
tree("replace", P .. "LockScreenImageUrl", "before")
new_calls()
s = session { devid = "1E08C6E95D8BB843B1278FF45BC60CC6" }
s:send_file(DEMO)
r = s:reply()
-- winmdmdemo_readme_win11_client_pkg3_status202.xml: 200, 202, 202
expect(summary(r)):is { "SyncHdr 0 200", "Replace 5 202", "Replace 6 202" }
header(r, { session = "1", source = "1E08C6E95D8BB843B1278FF45BC60CC6",
    target = "https://mdmwindows.com/ManagementServer/MDM.svc" })
s:finish()
expect(#new_calls()):is(2)
tree_get(P .. "LockScreenImageUrl"):is(URL)

scenario "with CSPs: recorded/06, Fleet's Atomic on a Policy node"
s = session { devid = false }
s:send(fragment06())
r = s:reply()
expect(summary(r)):is { "SyncHdr 0 200", "Atomic " .. ATOMIC06 .. " 200",
  "Replace " .. REPLACE06 .. " 200" }
s:finish()
calls = new_calls()
expect(#calls):is(1)
expect(calls[1].uri):is(
    "./Device/Vendor/MSFT/Policy/Config/Bluetooth/AllowDiscoverableMode")
expect(calls[1].path):is("Bluetooth/AllowDiscoverableMode")
expect(calls[1].scope):is("device")
expect(calls[1].format):is("int")
expect(calls[1].value):is("1")
tree_get("./Vendor/MSFT/Policy/Config/Bluetooth/AllowDiscoverableMode"):is("1")

scenario "with CSPs: the samples without commands for them answer the same"
-- a CSP at ./Vendor/MSFT/Personalization changes nothing for Gets of
-- DevInfo and DevDetail, nor for the Status-only messages
s = replay(rec "11-server-pkg2-get-namespace11.xml")
s:reply():results(5):data():is(DEVICE.Man)
s:finish()
s = replay(sample "msmdm_v20240423_s4_msg2_server_pkg2.xml")
expect(summary(s:reply())):is { "SyncHdr 0 200", "Get 4 200", "Get 5 404" }
s:finish()
ends(rec "02-pocserver-pkg2-status-only-reply.xml")
expect(#new_calls()):is(0)
