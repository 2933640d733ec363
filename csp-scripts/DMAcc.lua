-- ./DMAcc (also ./Vendor/MSFT/DMAcc and ./SyncML/DMAcc, where Windows
-- servers such as Fleet look for it): the OMA DM accounts
-- (urn:oma:mo:oma-dm-dmacc:1.0), a thin view of the account files of
-- core/account.h through dm.account_* (core/lua_account.h).
--
--   ./DMAcc/<AccountID>/<key path>
--
-- The children of the mount are the AccountIDs; below an account, the
-- account's keys ("AppAuth/CLCRED/AAuthName", ...) are the paths of the
-- leaves and their prefixes the interior nodes. A key ending in "/" marks
-- an interior node with no leaves yet (made by Add of an interior node).
--
-- Rules:
--   * A server (ctx.server_id set) sees only its own account: the others
--     do not exist for it (404, not listed). The local administrator sees
--     all of them.
--   * AAuthSecret and AAuthData have no Get (405): secrets are write-only.
--   * Every AppAuth/<x> has the leaves AAuthLevel, AAuthType, AAuthName,
--     AAuthSecret and AAuthData, empty when the account has no value, as on
--     Windows, so that a server can Replace one the bootstrap did not set.
--   * ServerID and AppID are Get only (the AccountID derives from the
--     ServerID). Ext/luadm holds local settings (CA file, client
--     certificate, session counter): servers may read it, only the local
--     administrator may change it.
--   * Replace and Add check values: AAuthLevel CLCRED|SRVCRED, AAuthType
--     BASIC|DIGEST|HMAC|HTTP-BASIC|HTTP-DIGEST, AddrType URI|IPv4|IPv6,
--     decimal numbers for ports, retry counts and back-off times, true|false
--     for booleans. AAuthData is binary: a value sent as b64 is decoded.
--   * Delete removes a subtree. An account itself cannot be deleted (405):
--     unenrolling removes it.
--   * Changes are saved at once. In an Atomic, begin/commit/rollback keep
--     the old values of the keys touched and put them back on rollback.

local MOUNTS = { "./DMAcc", "./Vendor/MSFT/DMAcc", "./SyncML/DMAcc" }

local AUTH_LEAVES = { "AAuthData", "AAuthLevel", "AAuthName", "AAuthSecret",
  "AAuthType" }
local is_auth_leaf = {}
for _, n in ipairs(AUTH_LEAVES) do
  is_auth_leaf[n] = true
end

local function fail(status, fmt, ...)
  error({ status = status, message = string.format(fmt, ...) }, 0)
end

local function label(ctx, path)
  local m = ctx.mount or MOUNTS[1]
  return path == "" and m or m .. "/" .. path
end

local function set_of(list)
  local s = {}
  for _, v in ipairs(list) do
    s[v] = true
  end
  return s
end

-- What a leaf is, by its key: format, allowed values, number or boolean,
-- secret (no Get), readonly (Get only), local (admin-only changes).
local RULES = {
  { "^ServerID$", { readonly = true } },
  { "^AppID$", { readonly = true } },
  { "^AppAuth/[^/]+/AAuthSecret$", { secret = true } },
  { "^AppAuth/[^/]+/AAuthData$", { secret = true, format = "bin" } },
  { "^AppAuth/[^/]+/AAuthLevel$", { values = { "CLCRED", "SRVCRED" } } },
  { "^AppAuth/[^/]+/AAuthType$", { values = { "BASIC", "DIGEST", "HMAC",
      "HTTP-BASIC", "HTTP-DIGEST" } } },
  { "^AppAddr/[^/]+/AddrType$", { values = { "URI", "IPv4", "IPv6" } } },
  { "^AppAddr/[^/]+/Port/[^/]+/PortNbr$", { number = true, max = 65535 } },
  { "^Ext/Microsoft/ConnRetryFreq$", { number = true } },
  { "^Ext/Microsoft/InitialBackOffTime$", { number = true } },
  { "^Ext/Microsoft/MaxBackOffTime$", { number = true } },
  { "^Ext/Microsoft/BackCompatRetryDisabled$", { bool = true } },
  { "^Ext/Microsoft/UseHwDevID$", { bool = true } },
  { "^Ext/Microsoft/UseNonceResync$", { bool = true } },
  { "^Ext/Microsoft/CRLCheck$", { bool = true } },
  { "^Ext/Microsoft/DisableOnRoaming$", { bool = true } },
  { "^Ext/Microsoft/Init$", { bool = true } },
  { "^DMClient/Poll/NumberOf%a+$", { number = true } },
  { "^DMClient/Poll/IntervalFor%a+$", { number = true } },
  { "^DMClient/Poll/PollOnLogin$", { bool = true } },
  { "^DMClient/Poll/AllUsersPollOnFirstLogin$", { bool = true } },
  { "^Ext/luadm/SessionCounter$", { number = true, ["local"] = true } },
  { "^Ext/luadm/RequireServerAuth$", { bool = true, ["local"] = true } },
  { "^Ext/luadm/", { ["local"] = true } },
}
for _, r in ipairs(RULES) do
  if r[2].values then
    r[2].allowed = set_of(r[2].values)
  end
end

local function rule_of(key)
  for _, r in ipairs(RULES) do
    if key:find(r[1]) then
      return r[2]
    end
  end
  return {}
end

-- Whether key lies in the local (admin-only) part of an account.
local function is_local(key)
  return key == "Ext/luadm" or key:sub(1, 10) == "Ext/luadm/"
end

-- Whether ctx may see account id. Raises 500 for the administrator when
-- the account cannot be read.
local function visible(ctx, id)
  local sid, err = dm.account_server_id(id)
  if not sid then
    if err and ctx.server_id == nil then
      fail(500, "%s: %s", id, err)
    end
    return false
  end
  return ctx.server_id == nil or ctx.server_id == sid
end

local function account_keys(id)
  local keys, err = dm.account_keys(id)
  if not keys then
    fail(500, "%s: %s", id, err or "the account vanished")
  end
  return keys
end

-- Looks key path k up among keys (sorted). Returns kind ("leaf", "node" or
-- nil), and for "node" the sorted child names; "leaf" also for the
-- standard AppAuth leaves of an existing AppAuth/<x>, with virtual = true
-- when the account has no value for it.
local function lookup(keys, k)
  local pre = k == "" and "" or k .. "/"
  local leaf, node, kids, seen = false, k == "", {}, {}
  for _, key in ipairs(keys) do
    if key == k then
      leaf = true
    elseif key:sub(1, #pre) == pre then
      node = true
      local name = key:sub(#pre + 1):match("^[^/]+")
      if name and not seen[name] then
        seen[name] = true
        kids[#kids + 1] = name
      end
    end
  end
  if leaf then
    return "leaf"
  end
  if node then
    if k:find("^AppAuth/[^/]+$") then
      for _, n in ipairs(AUTH_LEAVES) do
        if not seen[n] then
          kids[#kids + 1] = n
        end
      end
    end
    table.sort(kids)
    return "node", kids
  end
  local parent, name = k:match("^(AppAuth/[^/]+)/([^/]+)$")
  if parent and is_auth_leaf[name] and lookup(keys, parent) == "node" then
    return "leaf", nil, true
  end
  return nil
end

-- Splits a path below the mount into AccountID and key path ("" for the
-- account node); nil for the mount itself.
local function split(path)
  return (path or ""):match("^([^/]+)/?(.*)$")
end

-- Resolves path for ctx: id, k, keys, kind, kids, virtual. Raises 404
-- when the account is not there for ctx (kind is nil when only the node
-- is missing).
local function resolve(ctx, path)
  local id, k = split(path)
  if not visible(ctx, id) then
    fail(404, "%s: no such node", label(ctx, path))
  end
  local keys = account_keys(id)
  local kind, kids, virtual = lookup(keys, k)
  return id, k, keys, kind, kids, virtual
end

local function access_of(ctx, k, kind)
  if kind == "node" then
    if k == "" then
      return "Add Get"
    end
    return (ctx.server_id and is_local(k)) and "Get" or "Add Delete Get"
  end
  local r = rule_of(k)
  if r.readonly or (ctx.server_id and r["local"]) then
    return "Get"
  elseif r.secret then
    return "Add Delete Replace"
  end
  return "Add Delete Get Replace"
end

local function leaf_format(k)
  return rule_of(k).format or "chr"
end

local function leaf_type(k)
  return leaf_format(k) == "bin" and "application/octet-stream" or
      "text/plain"
end

-- The value of leaf k (virtual AppAuth leaves are empty, but AAuthLevel
-- says which level its AppAuth/<x> is).
local function leaf_value(id, k)
  local v = dm.account_get(id, k)
  if v == nil then
    local x = k:match("^AppAuth/([^/]+)/AAuthLevel$")
    v = (x == "CLCRED" or x == "SRVCRED") and x or ""
  end
  return v
end

-- Checks (and for bin nodes decodes) value v sent with format for leaf k.
-- Returns the bytes to store. Raises 415 or 400.
local MAX_VALUE = 65536

local function check_value(ctx, path, k, v, format)
  local r = rule_of(k)
  if dm.is_blob and dm.is_blob(v) then
    if v:size() > MAX_VALUE then
      fail(400, "%s: the value is larger than %d bytes", label(ctx, path),
          MAX_VALUE)
    end
    v = v:read()
  end
  v = v or ""
  if #v > MAX_VALUE then
    fail(400, "%s: the value is larger than %d bytes", label(ctx, path),
        MAX_VALUE)
  end
  if (r.format or "chr") == "bin" then
    if format == "b64" then
      v = dm.b64decode((v:gsub("%s", "")))
      if not v then
        fail(400, "%s: value is not valid base64", label(ctx, path))
      end
    elseif format == "node" then
      fail(415, "%s: a leaf takes a value, not format node",
          label(ctx, path))
    end
    return v
  end
  if format == "b64" or format == "bin" or format == "node" then
    fail(415, "%s: format %s sent to a node of format chr",
        label(ctx, path), format)
  end
  if r.allowed and not r.allowed[v] then
    fail(400, "%s: %q is not one of: %s", label(ctx, path), v,
        table.concat(r.values, ", "))
  end
  -- AppAuth/CLCRED holds the CLCRED credentials, and so on
  local x = k:match("^AppAuth/([^/]+)/AAuthLevel$")
  if (x == "CLCRED" or x == "SRVCRED") and v ~= x then
    fail(400, "%s: the AAuthLevel of AppAuth/%s is %s", label(ctx, path),
        x, x)
  end
  if r.number then
    if not v:find("^%d+$") or #v > 15 then
      fail(400, "%s: %q is not a decimal number", label(ctx, path), v)
    end
    if r.max and tonumber(v) > r.max then
      fail(400, "%s: %s is above the maximum %d", label(ctx, path), v,
          r.max)
    end
  end
  if r.bool and v ~= "true" and v ~= "false" then
    fail(400, "%s: %q is not true or false", label(ctx, path), v)
  end
  return v
end

-- Atomic: the old values of the keys changed since begin, per account
-- (false = the key did not exist). nil outside a transaction.
local tx = nil

local function remember(id, key)
  if not tx then
    return
  end
  local t = tx[id]
  if not t then
    t = {}
    tx[id] = t
  end
  if t[key] == nil then
    local v = dm.account_get(id, key)
    if v == nil then
      v = false
    end
    t[key] = v
  end
end

local function set(ctx, path, id, key, v)
  remember(id, key)
  local ok, err = dm.account_set(id, key, v)
  if not ok then
    fail(500, "%s: %s", label(ctx, path), err)
  end
end

local function unset(ctx, path, id, key)
  local ok, err = dm.account_unset(id, key)
  if not ok then
    fail(500, "%s: %s", label(ctx, path), err)
  end
end

local M = { mount = MOUNTS }

function M.stat(ctx, path)
  if path == "" then
    return { format = "node", access = "Get",
      description = "DM accounts, one per server" }
  end
  local id, k, _, kind = resolve(ctx, path)
  if not kind then
    return nil
  end
  local info = { access = access_of(ctx, k, kind) }
  if kind == "node" then
    info.format = "node"
  else
    info.format, info.type = leaf_format(k), leaf_type(k)
    if not rule_of(k).secret then
      info.size = #leaf_value(id, k)
    end
  end
  return info
end

function M.get(ctx, path)
  if path == "" then
    local ids, err = dm.accounts()
    if not ids then
      fail(500, "%s", err)
    end
    local out = {}
    for _, id in ipairs(ids) do
      local ok, vis = pcall(visible, ctx, id)
      if ok and vis then
        out[#out + 1] = id
      elseif not ok then
        ctx:log("warn", string.format("%s: cannot read the account",
            id))
      end
    end
    return out
  end
  local id, k, _, kind, kids = resolve(ctx, path)
  if not kind then
    fail(404, "%s: no such node", label(ctx, path))
  elseif kind == "node" then
    return kids
  end
  if rule_of(k).secret then
    fail(405, "%s: secrets cannot be read", label(ctx, path))
  end
  return leaf_value(id, k), leaf_format(k), leaf_type(k)
end

-- Refuses changes to Get-only and (for servers) local nodes.
local function writable(ctx, path, k)
  local r = rule_of(k)
  if r.readonly then
    fail(405, "%s: %s is read only", label(ctx, path), k)
  end
  if ctx.server_id and is_local(k) then
    fail(405, "%s: Ext/luadm is changed by the local administrator only",
        label(ctx, path))
  end
end

function M.replace(ctx, path, v, format)
  local id, k = split(path)
  if path == "" or k == "" then
    fail(405, "%s: an interior node has no value to replace",
        label(ctx, path))
  end
  local _, _, _, kind = resolve(ctx, path)
  if not kind then
    fail(404, "%s: no such node", label(ctx, path))
  elseif kind == "node" then
    fail(405, "%s: an interior node has no value to replace",
        label(ctx, path))
  end
  writable(ctx, path, k)
  set(ctx, path, id, k, check_value(ctx, path, k, v, format))
end

function M.add(ctx, path, v, format)
  local id, k = split(path)
  if path == "" then
    fail(418, "%s: already exists", label(ctx, path))
  end
  if k == "" then
    if visible(ctx, id) then
      fail(418, "%s: already exists", label(ctx, path))
    end
    fail(405, "%s: accounts are made by `luadm bootstrap`, not by Add",
        label(ctx, path))
  end
  local _, _, keys, kind = resolve(ctx, path)
  if kind then
    fail(418, "%s: already exists", label(ctx, path))
  end
  local parent = k:match("^(.*)/[^/]+$") or ""
  local pkind = lookup(keys, parent)
  if pkind == "leaf" then
    fail(405, "%s: a leaf takes no children", label(ctx, path))
  elseif pkind == nil then
    fail(404, "%s: the parent node does not exist", label(ctx, path))
  end
  writable(ctx, path, k)
  if format == "node" then
    set(ctx, path, id, k .. "/", "")
  else
    set(ctx, path, id, k, check_value(ctx, path, k, v, format))
  end
end

function M.delete(ctx, path)
  local id, k = split(path)
  if path == "" or k == "" then
    fail(405, "%s: %s", label(ctx, path), path == "" and
        "the accounts node is permanent" or
        "an account is removed by unenrolling, not by Delete")
  end
  local _, _, keys, kind, _, virtual = resolve(ctx, path)
  if not kind then
    fail(404, "%s: no such node", label(ctx, path))
  end
  writable(ctx, path, k)
  local pre = k .. "/"
  local doomed = {}
  for _, key in ipairs(keys) do
    if key == k or key:sub(1, #pre) == pre then
      if ctx.server_id and is_local(key) then
        fail(405, "%s: the subtree holds Ext/luadm, which only the "
            .. "local administrator may change", label(ctx, path))
      end
      doomed[#doomed + 1] = key
    end
  end
  if virtual then
    return
  end
  for _, key in ipairs(doomed) do
    remember(id, key)
  end
  unset(ctx, path, id, k)
  -- the parent stays, as an interior node, when it lost its last child
  local parent = k:match("^(.*)/[^/]+$")
  if parent and not lookup(account_keys(id), parent) then
    set(ctx, path, id, parent .. "/", "")
  end
end

function M.begin()
  tx = {}
end

function M.commit()
  tx = nil
end

-- Puts back the old values of every key changed since begin: first the
-- keys that did not exist are removed, then the others are set again.
function M.rollback(ctx)
  local log = tx or {}
  tx = nil
  local errors = {}
  for id, keys in pairs(log) do
    for key, old in pairs(keys) do
      if old == false then
        local ok, err = dm.account_unset(id, key)
        if not ok then
          errors[#errors + 1] = err
        end
      end
    end
    for key, old in pairs(keys) do
      if old ~= false then
        local ok, err = dm.account_set(id, key, old)
        if not ok then
          errors[#errors + 1] = err
        end
      end
    end
  end
  if #errors > 0 then
    fail(500, "DMAcc rollback: %s", table.concat(errors, "; "))
  end
end

return M
