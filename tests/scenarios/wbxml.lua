-- WBXML: the real binary DM 1.2 server messages (CyanogenMod's test
-- vectors, public id given as a literal "SyncML 1.1" string) replay and get
-- the same answers as their decoded XML (scenario samples). (The session
-- then answers in WBXML; replay shows the replies as XML.)

local function sample(name)
  return shared("reference/samples/" .. name)
end

sysroot { ["/etc/machine-id"] = "0123456789abcdef0123456789abcdef\n" }
config { device = { Man = "ACME Corp.", Lang = "en-GB" } }

local function summary(r)
  local out = {}
  for _, st in ipairs(r:statuses()) do
    out[#out + 1] = string.format("%s %s %s", tostring(st.cmd),
        tostring(st.cmdref), tostring(st.data))
  end
  return out
end

scenario "WBXML testget: Get ./DevDetail/URI/MaxDepth, answered"
local s = session { devid = false }
s:send_file(sample "cyanogenmod_omadm_dm12_testget.wbxml")
local r = s:reply()
expect(summary(r)):is { "SyncHdr 0 200", "Get 4 200" }
r:results(4):source():is("./DevDetail/URI/MaxDepth")
r:results(4):data():is(tree_get("./DevDetail/URI/MaxDepth").value)
r:results(4):format():is("int")
s:finish()

scenario "WBXML testdelete and testadd: the same statuses as in XML"
local s2 = session { devid = false }
s2:send_file(sample "cyanogenmod_omadm_dm12_testdelete.wbxml")
expect(summary(s2:reply())):is { "SyncHdr 0 200", "Delete 4 404", "Delete 5 404" }
s2:finish()
local s3 = session { devid = false }
s3:send_file(sample "cyanogenmod_omadm_dm12_testadd.wbxml")
expect(summary(s3:reply())):is { "SyncHdr 0 200", "Add 4 404" }
s3:finish()

scenario "truncated WBXML is refused, nothing runs"
local f = assert(io.open(sample "cyanogenmod_omadm_dm12_testget.wbxml", "rb"))
local bytes = f:read("a")
f:close()
local s4 = session { devid = false }
s4:send_raw(bytes:sub(1, #bytes // 2))
expect(s4:exit_code()):is(1)
expect(s4:stderr()):contains("refused")
s4:no_reply(1)
