-- ./Vendor/luadm/Users: the local accounts, from /etc/passwd and /etc/group.
--
--   <name>/UID     Get  the numeric user id
--   <name>/Home    Get  the home directory
--   <name>/Shell   Get  the login shell
--   <name>/Groups  Get  the supplementary groups, comma-separated and sorted
--
-- Read only by default. With csp = { Users = { writable = true } } in the
-- configuration, a server may also Replace Shell (one listed in
-- /etc/shells) and Groups (existing groups; empty removes the user from
-- every supplementary group), through `usermod` (with --root when
-- luadm's sysroot is not /).
local csp = require "dm.csp"
local sys = require "dm.sys"

local WRITABLE = dm.config.csp.writable == true

local function fail(status, fmt, ...)
  error({ status = status, message = string.format(fmt, ...) }, 0)
end

-- The accounts: name -> { uid, home, shell }, and the names in file order.
local function users()
  local data, err = dm.read_file("/etc/passwd")
  if not data then
    fail(500, "%s", err)
  end
  local by_name, names = {}, {}
  for line in data:gmatch("[^\n]+") do
    local name, uid, home, shell =
        line:match("^([^:]+):[^:]*:(%d+):%d*:[^:]*:([^:]*):([^:]*)$")
    if name and not by_name[name] then
      by_name[name] = { uid = uid, home = home, shell = shell }
      names[#names + 1] = name
    end
  end
  return by_name, names
end

local function account(n)
  local u = users()[n.args[1]]
  if not u then
    fail(404, "%s/%s: no such user", n.mount, n.args[1])
  end
  return u
end

-- The groups: name -> { members as a set }.
local function groups()
  local out = {}
  for line in (dm.read_file("/etc/group") or ""):gmatch("[^\n]+") do
    local name, members = line:match("^([^:]+):[^:]*:%d+:(.*)$")
    if name then
      local set = {}
      for m in members:gmatch("[^,%s]+") do
        set[m] = true
      end
      out[name] = set
    end
  end
  return out
end

local function groups_of(user)
  local list = {}
  for name, members in pairs(groups()) do
    if members[user] then
      list[#list + 1] = name
    end
  end
  table.sort(list)
  return table.concat(list, ",")
end

-- usermod ARGS... NAME, in luadm's sysroot; raises 500 with its stderr.
local function usermod(n, args)
  local argv = { "usermod" }
  local root = dm.path("/")
  if root ~= "/" then
    argv[#argv + 1] = "--root"
    argv[#argv + 1] = root
  end
  for _, a in ipairs(args) do
    argv[#argv + 1] = a
  end
  argv[#argv + 1] = n.args[1]
  local r, err = dm.run(argv)
  if not r then
    fail(500, "%s: %s", n.mount .. "/" .. n.path, err)
  elseif r.code ~= 0 then
    -- usermod names itself in its messages
    local why = sys.trim(r.stderr)
    fail(500, "%s: %s", n.mount .. "/" .. n.path,
        why ~= "" and why or "usermod failed")
  end
end

local function valid_shell(shell)
  for line in (dm.read_file("/etc/shells") or ""):gmatch("[^\n]+") do
    if sys.trim(line) == shell then
      return true
    end
  end
  return false, string.format("%q is not listed in /etc/shells", shell)
end

local function valid_groups(list)
  if list == "" then
    return true
  end
  local known = groups()
  for g in (list .. ","):gmatch("([^,]*),") do
    if g == "" then
      return false, "a comma-separated list of group names"
    elseif not known[g] then
      return false, string.format("no group %q in /etc/group", g)
    end
  end
  return true
end

return csp.define {
  mount = "./Vendor/luadm/Users",
  description = "Local user accounts (/etc/passwd)",
  children = function()
    local _, names = users()
    return names
  end,

  ["*"] = {
    title = "User",
    description = "One account, by login name",
    UID = {
      format = "int",
      description = "Numeric user id",
      get = function(ctx, n) return account(n).uid end,
    },
    Home = {
      description = "Home directory",
      get = function(ctx, n) return account(n).home end,
    },
    Shell = {
      access = WRITABLE and "Get Replace" or "Get",
      description = "Login shell",
      validate = valid_shell,
      get = function(ctx, n) return account(n).shell end,
      replace = WRITABLE and function(ctx, n, shell)
        usermod(n, { "--shell", shell })
      end or nil,
    },
    Groups = {
      access = WRITABLE and "Get Replace" or "Get",
      description = "Supplementary groups, comma-separated",
      validate = valid_groups,
      get = function(ctx, n)
        account(n)
        return groups_of(n.args[1])
      end,
      replace = WRITABLE and function(ctx, n, list)
        usermod(n, { "--groups", list })
      end or nil,
    },
  },
}
