-- Assertions on csp-scripts/DMAcc.lua, run by tests/unit/check_account.c in
-- a bare Lua state that has dm.account_* (core/lua_account.c) and
-- dm.b64decode. Arguments: the CSP's table, the AccountID of
-- "TestMDMServer" (Name Test, CLCRED BASIC with a secret, SRVCRED DIGEST,
-- ConnRetryFreq 6, SessionCounter 4) and the AccountID of "Other".
local M, ID, OTHER = ...

local function ctx(server_id, mount)
  return { scope = "device", server_id = server_id, cmd = "Get",
    mount = mount or "./DMAcc", log = function() end }
end
local admin = ctx(nil)
local srv = ctx("TestMDMServer", "./SyncML/DMAcc")
local stranger = ctx("Nobody")

-- The DM status a call ends with (200 when it returns).
local function st(f, ...)
  local ok, e = pcall(f, ...)
  if ok then
    return 200
  end
  assert(type(e) == "table", tostring(e))
  return e.status, e.message
end

local function list(t)
  return table.concat(t, "/")
end

local function expect(want, got, msg)
  if want ~= got then
    error(string.format("%s: expected %s, got %s", msg or "?",
        tostring(want), tostring(got)), 2)
  end
end

local A = ID .. "/"

expect("./DMAcc/./Vendor/MSFT/DMAcc/./SyncML/DMAcc", list(M.mount), "mount")

-- Who sees what: a server only its own account.
expect(2, #M.get(admin, ""), "admin list")
expect(ID, list(M.get(srv, "")), "server list")
expect(0, #M.get(stranger, ""), "stranger list")
expect(404, st(M.get, stranger, ID), "stranger get")
expect(404, st(M.get, stranger, A .. "ServerID"), "stranger leaf")
expect(404, st(M.stat, stranger, ID), "stranger stat")
expect(404, st(M.get, srv, OTHER), "other account")
expect(404, st(M.replace, srv, OTHER .. "/Name", "x"), "other replace")
expect("Other", M.get(admin, OTHER .. "/ServerID"), "admin sees all")

-- The shape: keys as a tree.
expect("AppAddr/AppAuth/AppID/Ext/Name/ServerID", list(M.get(srv, ID)),
    "account children")
expect("CLCRED/SRVCRED", list(M.get(srv, A .. "AppAuth")), "AppAuth")
expect("AAuthData/AAuthLevel/AAuthName/AAuthSecret/AAuthType",
    list(M.get(srv, A .. "AppAuth/CLCRED")), "CLCRED leaves")
expect("https://mdm.example/omadm", M.get(srv, A .. "AppAddr/1/Addr"), "Addr")
expect("6", M.get(srv, A .. "Ext/Microsoft/ConnRetryFreq"), "ConnRetryFreq")
expect("node", M.stat(srv, ID).format, "account stat")
expect("Get", M.stat(srv, "").access, "mount access")
expect("bin", M.stat(srv, A .. "AppAuth/CLCRED/AAuthData").format, "bin")
expect(4, M.stat(srv, A .. "Name").size, "size")
expect(nil, M.stat(srv, A .. "Nope"), "stat of nothing")
expect(404, st(M.get, srv, A .. "Nope"), "get of nothing")
expect(404, st(M.get, srv, A .. "Name/deeper"), "below a leaf")

-- Secrets are write-only; a missing standard AppAuth leaf reads empty.
expect(405, st(M.get, srv, A .. "AppAuth/CLCRED/AAuthSecret"), "secret")
expect(405, st(M.get, admin, A .. "AppAuth/SRVCRED/AAuthData"), "nonce")
assert(not M.stat(srv, A .. "AppAuth/CLCRED/AAuthSecret").access:find("Get"))
expect("", M.get(srv, A .. "AppAuth/CLCRED/AAuthName"), "virtual leaf")

-- What Fleet does mid-session.
expect(200, st(M.replace, srv, A .. "AppAuth/CLCRED/AAuthName", "fleet-user",
    "chr"), "Fleet AAuthName")
expect("fleet-user", M.get(srv, A .. "AppAuth/CLCRED/AAuthName"), "stored")
expect(200, st(M.replace, srv, A .. "AppAuth/CLCRED/AAuthSecret", "pw"),
    "Fleet AAuthSecret")
expect("pw", dm.account_get(ID, "AppAuth/CLCRED/AAuthSecret"), "secret set")

-- Values are checked.
expect(400, st(M.replace, srv, A .. "AppAuth/CLCRED/AAuthType", "NTLM"))
expect(200, st(M.replace, srv, A .. "AppAuth/CLCRED/AAuthType", "DIGEST"))
expect(200, st(M.replace, srv, A .. "AppAuth/CLCRED/AAuthType", "HMAC"))
expect(400, st(M.replace, srv, A .. "AppAuth/CLCRED/AAuthLevel", "SRVCRED"))
expect(400, st(M.replace, srv, A .. "AppAuth/CLCRED/AAuthLevel", "ROOT"))
expect(400, st(M.replace, srv, A .. "Ext/Microsoft/ConnRetryFreq", "3x"))
expect(400, st(M.replace, srv, A .. "Ext/Microsoft/ConnRetryFreq", "-1"))
expect(200, st(M.replace, srv, A .. "Ext/Microsoft/ConnRetryFreq", "5"))
expect("5", dm.account_get(ID, "Ext/Microsoft/ConnRetryFreq"))
expect(400, st(M.replace, srv, A .. "AppAddr/1/AddrType", "E164"))
expect(200, st(M.replace, srv, A .. "AppAddr/1/AddrType", "IPv6"))
expect(415, st(M.replace, srv, A .. "Name", "aGk=", "b64"))
expect(200, st(M.replace, srv, A .. "AppAuth/SRVCRED/AAuthData", "Tm9uY2U=",
    "b64"), "b64 nonce")
expect("Nonce", dm.account_get(ID, "AppAuth/SRVCRED/AAuthData"), "decoded")
expect(400, st(M.replace, srv, A .. "AppAuth/SRVCRED/AAuthData", "!!", "b64"))
expect(400, st(M.replace, srv, A .. "Name", string.rep("x", 70000)))

-- Read-only and local nodes; interior and missing nodes.
expect(405, st(M.replace, admin, A .. "ServerID", "x"))
expect(405, st(M.replace, srv, A .. "AppID", "w8"))
expect(405, st(M.replace, srv, A .. "Ext/luadm/SessionCounter", "9"))
expect(200, st(M.replace, admin, A .. "Ext/luadm/SessionCounter", "9"))
expect(405, st(M.delete, srv, A .. "Ext"), "Ext holds Ext/luadm")
expect("9", dm.account_get(ID, "Ext/luadm/SessionCounter"))
expect(405, st(M.replace, srv, A .. "AppAuth", "x"))
expect(405, st(M.replace, srv, ID, "x"))
expect(404, st(M.replace, srv, A .. "Nope", "x"))

-- Add.
expect(418, st(M.add, srv, A .. "Name", "x"))
expect(418, st(M.add, srv, ID, nil, "node"))
expect(418, st(M.add, admin, "", nil, "node"))
expect(405, st(M.add, admin, "0x0000800c" .. string.rep("0", 64), nil,
    "node"), "accounts are not added")
expect(405, st(M.add, srv, A .. "Name/x", "y"))
expect(404, st(M.add, srv, A .. "Ext/Custom/Leaf", "y"), "no parent")
expect(200, st(M.add, srv, A .. "Ext/Custom", nil, "node"))
expect("", list(M.get(srv, A .. "Ext/Custom")), "empty interior node")
expect(200, st(M.add, srv, A .. "Ext/Custom/Leaf", "y", "chr"))
expect("y", M.get(srv, A .. "Ext/Custom/Leaf"))
expect(405, st(M.add, srv, A .. "Ext/luadm/Query", "a=b"))
expect(200, st(M.add, admin, A .. "Ext/luadm/Query", "a=b"))
expect(200, st(M.add, srv, A .. "DMClient", nil, "node"))
expect(200, st(M.add, srv, A .. "DMClient/Poll", nil, "node"))
expect(400, st(M.add, srv, A .. "DMClient/Poll/NumberOfFirstRetries", "x"))
expect(200, st(M.add, srv, A .. "DMClient/Poll/NumberOfFirstRetries", "8"))
expect(200, st(M.add, srv, A .. "DMClient/Poll/PollOnLogin", "true"))
expect(400, st(M.add, srv, A .. "DMClient/Poll/AllUsersPollOnFirstLogin",
    "yes"))

-- Delete.
expect(405, st(M.delete, srv, ID), "an account")
expect(405, st(M.delete, admin, ""), "the mount")
expect(405, st(M.delete, srv, A .. "ServerID"))
expect(200, st(M.delete, srv, A .. "Ext/Custom/Leaf"))
expect("", list(M.get(srv, A .. "Ext/Custom")), "the parent stays")
expect(200, st(M.delete, srv, A .. "Ext/Custom"))
expect(404, st(M.get, srv, A .. "Ext/Custom"))
expect(200, st(M.delete, srv, A .. "AppAuth/SRVCRED"))
expect("CLCRED", list(M.get(srv, A .. "AppAuth")))
expect(nil, dm.account_get(ID, "AppAuth/SRVCRED/AAuthType"))
expect(404, st(M.delete, srv, A .. "Nope"))

-- Atomic: rollback puts back exactly the keys changed since begin.
local function snapshot()
  local s = {}
  for _, k in ipairs(dm.account_keys(ID)) do
    s[k] = dm.account_get(ID, k)
  end
  return s
end
local before = snapshot()
M.begin(srv)
expect(200, st(M.replace, srv, A .. "Name", "changed"))
expect(200, st(M.delete, srv, A .. "AppAuth/CLCRED"))
expect(200, st(M.add, srv, A .. "Ext/New", nil, "node"))
expect(200, st(M.add, srv, A .. "Ext/New/Leaf", "v"))
expect(200, st(M.replace, srv, A .. "Ext/New/Leaf", "w"))
expect(nil, dm.account_get(ID, "AppAuth/CLCRED/AAuthName"), "deleted in tx")
M.rollback(srv)
local after = snapshot()
for k, v in pairs(before) do
  expect(v, after[k], "rollback of " .. k)
end
for k, v in pairs(after) do
  expect(before[k], v, "rollback left " .. k)
end
M.begin(srv)
expect(200, st(M.replace, srv, A .. "Name", "Committed"))
M.commit(srv)
M.rollback(srv)  -- nothing to undo any more
expect("Committed", dm.account_get(ID, "Name"))
expect(200, st(M.replace, srv, A .. "Name", "Test"))
