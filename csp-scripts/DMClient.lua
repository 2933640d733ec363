-- ./Vendor/MSFT/DMClient (Windows): the management client's settings per
-- server, with the node names, formats and access types of Windows'
-- DMClient CSP. Reached as ./Device/Vendor/MSFT/DMClient too (the device
-- scope prefix); there is no user part.
--
--   HWDevID                         Get      a stable hardware device id
--   Unenroll                        Exec     data = the ProviderID to leave
--   Provider/<ProviderID>/...       one per DM account (ProviderID =
--                                   the account's ServerID)
--
-- The settings of a provider live in its DM account (core/account.h), under
-- the keys "DMClient/<path below Provider/<ProviderID>>": the keys `luadm
-- bootstrap` writes from a provisioning document's DMClient characteristic,
-- and the ones ./SyncML/DMAcc/<AccountID>/DMClient/... shows. So `luadm run`
-- picks up a Poll/IntervalForRemainingScheduledRetries that a server sets
-- here. A leaf with nothing stored reads as Windows' default, or empty.
--
-- Rules:
--   * A server (ctx.server_id set) sees only its own provider; the others
--     do not exist for it (404, not listed). The local administrator sees
--     all of them.
--   * Replace checks values (int: a decimal number 0..2^31-1, bool: true or
--     false, SyncApplicationVersion: "d" or "d.d") and saves them at once;
--     numbers are stored normalised ("+015" becomes "15").
--   * Unenroll leaves the server as `luadm unenroll` does: the generic alert
--     1226 com.microsoft:mdm.unenrollment.userrequest (Format int, Data 1,
--     Mark critical) is queued for the server, and the account is marked
--     (Ext/luadm/UnenrollAlert = the alert's id), so that the session that
--     delivers the alert removes the account (core/client.c).
--   * In an Atomic, begin/commit/rollback put back the keys a rolled-back
--     Replace changed. An Unenroll is not undone.
local csp = require "dm.csp"
local sys = require "dm.sys"

local UNENROLL_TYPE = "com.microsoft:mdm.unenrollment.userrequest"
local UNENROLL_MARK = "Ext/luadm/UnenrollAlert"
-- The session protocol luadm speaks: SessionIDs are decimal, and neither
-- msft:originalerror (3.0) nor the UserAgentOrigin header (4.0) is sent.
local MAX_SYNC_APP_VERSION = "1.0"
-- Push/Status when there is no channel: "no Channel URI assigned" (luadm
-- has no WNS client).
local PUSH_NO_CHANNEL = 4
local INT_MAX = 2147483647

local function fail(status, fmt, ...)
  error({ status = status, message = string.format(fmt, ...) }, 0)
end

local function label(n)
  return n.path == "" and n.mount or n.mount .. "/" .. n.path
end

-- The accounts ctx may see, as { { id = AccountID, sid = ServerID } },
-- sorted by ServerID. An account that cannot be read is left out (and
-- logged).
local function providers(ctx)
  local ids, err = dm.accounts()
  if not ids then
    fail(500, "DMClient: %s", tostring(err))
  end
  local out = {}
  for _, id in ipairs(ids) do
    local sid, why = dm.account_server_id(id)
    if sid and (ctx.server_id == nil or ctx.server_id == sid) then
      out[#out + 1] = { id = id, sid = sid }
    elseif not sid and why and ctx.server_id == nil then
      ctx:log("warn", string.format("account %s: %s", id, why))
    end
  end
  table.sort(out, function(a, b) return a.sid < b.sid end)
  return out
end

-- The AccountID of provider sid for ctx; raises 404 when ctx may not see
-- it (or it is gone).
local function account_of(ctx, n, sid)
  for _, p in ipairs(providers(ctx)) do
    if p.sid == sid then
      return p.id
    end
  end
  fail(404, "%s: no such provider: %s", label(n), tostring(sid))
end

-- A stable hardware id that does not reveal /etc/machine-id, and differs
-- from DevInfo's DevId: the upper-case hex SHA-256 of "luadm-hwdevid:" ..
-- machine-id. device.HWDevID in the configuration wins.
local function hwdevid()
  local v = sys.override("HWDevID")
  if v then
    return v
  end
  local id, err = dm.read_file("/etc/machine-id", 4096)
  id = id and sys.trim(id)
  if not id or id == "" then
    fail(500, "HWDevID: cannot read /etc/machine-id (%s); set "
        .. "device.HWDevID in the configuration", tostring(err or "empty"))
  end
  return dm.sha256("luadm-hwdevid:" .. id):upper()
end

-- Atomic: the old values of the keys changed since begin, per account
-- (false = the key did not exist); nil outside a transaction.
local tx = nil

local function remember(id, key)
  if not tx then
    return
  end
  tx[id] = tx[id] or {}
  if tx[id][key] == nil then
    local old = dm.account_get(id, key)
    if old == nil then
      old = false
    end
    tx[id][key] = old
  end
end

-- Whether stored value v is good for a leaf of format (else the default
-- is shown: a document may have carried anything).
local function fits(format, v)
  if format == "int" then
    return v:find("^%d+$") ~= nil and #v <= 10
  elseif format == "bool" then
    return v == "true" or v == "false"
  end
  return true
end

-- A setting of a provider, kept in its account under "DMClient/" .. key.
-- spec holds the node attributes (format, default, min, max, validate,
-- description); access is Get Replace unless spec.access says otherwise.
local function setting(key, spec)
  local format = spec.format or "chr"
  spec.access = spec.access or "Get Replace"
  spec.get = function(ctx, n)
    local id = account_of(ctx, n, n.args[1])
    local v = dm.account_get(id, "DMClient/" .. key)
    if v == nil or not fits(format, v) then
      if spec.default ~= nil then
        return spec.default
      end
      return ""
    end
    return v
  end
  if spec.access:find("Replace") then
    spec.replace = function(ctx, n, v)
      local id = account_of(ctx, n, n.args[1])
      if format == "int" then
        v = tostring(math.tointeger(tonumber(v)))
      end
      local k = "DMClient/" .. key
      remember(id, k)
      local ok, err = dm.account_set(id, k, v)
      if not ok then
        fail(500, "%s: %s", label(n), tostring(err))
      end
    end
  end
  return spec
end

local function poll_count(key, default, what)
  return setting("Poll/" .. key, { format = "int", min = 0, max = INT_MAX,
    default = default, description = what })
end

local function poll_bool(key, what)
  return setting("Poll/" .. key, { format = "bool", default = false,
    description = what })
end

-- Queues the unenrollment alert for provider sid (account id) and marks
-- the account, unless that was done already.
local function unenroll(ctx, n, id, sid)
  if dm.account_get(id, UNENROLL_MARK) ~= nil then
    ctx:log("info", string.format("%s is leaving already", sid))
    return
  end
  -- ctx:alert reports to ctx.server_id; the local administrator has none,
  -- so it speaks through a ctx of the provider's server
  local as = ctx
  if ctx.server_id ~= sid then
    as = setmetatable({ server_id = sid }, getmetatable(ctx))
  end
  local aid, err = as:alert { type = UNENROLL_TYPE, format = "int",
    data = "1", mark = "critical" }
  if not aid then
    fail(500, "%s: %s", label(n), tostring(err))
  end
  local ok, why = dm.account_set(id, UNENROLL_MARK, aid)
  if not ok then
    fail(500, "%s: %s", label(n), tostring(why))
  end
  ctx:log("info", string.format("unenrolling from %s: alert %s "
      .. "queued; the account goes after the session that delivers it",
      sid, aid))
end

local function empty(data)
  return data == nil or data == ""
end

return csp.define {
  mount = "./Vendor/MSFT/DMClient",
  scope = "device",
  description = "Management client settings per server (Windows DMClient)",

  HWDevID = {
    description = "Hardware device id: a hash of /etc/machine-id, or "
        .. "device.HWDevID",
    get = hwdevid,
  },

  Unenroll = {
    format = "null",
    access = "Exec Get",
    description = "Exec with the ProviderID as data: leave that server "
        .. "(for backward compatibility; see Provider/<ProviderID>/Unenroll)",
    get = function() return "" end,
    exec = function(ctx, n, data)
      if empty(data) then
        fail(400, "%s: the data must name the ProviderID to leave",
            label(n))
      end
      unenroll(ctx, n, account_of(ctx, n, data), data)
    end,
  },

  Provider = {
    description = "The settings of each management server",
    children = function(ctx)
      local names = {}
      for _, p in ipairs(providers(ctx)) do
        names[#names + 1] = p.sid
      end
      return names
    end,

    ["*"] = {
      title = "ProviderID",
      description = "One management server: its ServerID (the w7 "
          .. "PROVIDER-ID)",

      EntDMID = setting("EntDMID", {
        description = "Enterprise device id set by the server (sent as "
            .. "the client-request-id header)" }),
      EntDeviceName = setting("EntDeviceName", {
        description = "The device name the server's console shows" }),
      ExchangeID = setting("ExchangeID", {
        description = "Exchange device id" }),
      UPN = setting("UPN", {
        description = "User principal name of the enrolled user" }),
      SyncApplicationVersion = setting("SyncApplicationVersion", {
        default = "1.0",
        description = "DM session version the server set (luadm behaves "
            .. "as version " .. MAX_SYNC_APP_VERSION .. ")",
        validate = function(v)
          if v:find("^%d%.%d$") or v:find("^%d$") then
            return true
          end
          return false, string.format("%q is not a version such as 2.0", v)
        end }),
      MaxSyncApplicationVersion = {
        description = "Highest DM session version luadm speaks",
        default = MAX_SYNC_APP_VERSION,
      },
      HWDevID = {
        description = "Hardware device id (as ./Vendor/MSFT/DMClient/"
            .. "HWDevID)",
        get = function(ctx, n)
          account_of(ctx, n, n.args[1])
          return hwdevid()
        end,
      },

      Poll = {
        description = "Polling schedule; luadm run uses "
            .. "IntervalForRemainingScheduledRetries",
        NumberOfFirstRetries = poll_count("NumberOfFirstRetries", 10,
            "Sessions of the first set (0 = no end)"),
        IntervalForFirstSetOfRetries = poll_count(
            "IntervalForFirstSetOfRetries", 15,
            "Minutes between the sessions of the first set"),
        NumberOfSecondRetries = poll_count("NumberOfSecondRetries", 0,
            "Sessions of the second set"),
        IntervalForSecondSetOfRetries = poll_count(
            "IntervalForSecondSetOfRetries", 0,
            "Minutes between the sessions of the second set"),
        NumberOfRemainingScheduledRetries = poll_count(
            "NumberOfRemainingScheduledRetries", 0,
            "Sessions of the long-run schedule (0 = no end)"),
        IntervalForRemainingScheduledRetries = poll_count(
            "IntervalForRemainingScheduledRetries", 0,
            "Minutes between sessions in the long run (luadm run); 0 = "
                .. "run.interval_s of the configuration"),
        PollOnLogin = poll_bool("PollOnLogin",
            "Start a session at every user login"),
        AllUsersPollOnFirstLogin = poll_bool("AllUsersPollOnFirstLogin",
            "Start a session at each user's first login"),
      },

      Push = {
        description = "Windows push notification (WNS) channel; luadm has "
            .. "no WNS client",
        PFN = setting("Push/PFN", {
          description = "Package family name the server pushes with" }),
        ChannelURI = {
          description = "The WNS channel: always empty here",
          default = "",
        },
        Status = {
          format = "int",
          description = "4: no channel URI assigned",
          default = PUSH_NO_CHANNEL,
        },
      },

      Unenroll = {
        format = "null",
        access = "Exec Get",
        description = "Exec (data: this ProviderID) to leave this server: "
            .. "the unenrollment alert is sent, then the account removed",
        get = function(ctx, n)
          account_of(ctx, n, n.args[1])
          return ""
        end,
        exec = function(ctx, n, data)
          local sid = n.args[1]
          local id = account_of(ctx, n, sid)
          if not empty(data) and data ~= sid then
            fail(400, "%s: the data names provider %q, not %q", label(n),
                data, sid)
          end
          unenroll(ctx, n, id, sid)
        end,
      },
    },
  },

  begin = function()
    tx = {}
  end,
  commit = function()
    tx = nil
  end,
  -- Puts back every key changed since begin.
  rollback = function()
    local log = tx or {}
    tx = nil
    local errors = {}
    for id, keys in pairs(log) do
      for key, old in pairs(keys) do
        local ok, err
        if old == false then
          ok, err = dm.account_unset(id, key)
        else
          ok, err = dm.account_set(id, key, old)
        end
        if not ok then
          errors[#errors + 1] = tostring(err)
        end
      end
    end
    if #errors > 0 then
      fail(500, "DMClient rollback: %s", table.concat(errors, "; "))
    end
  end,
}
