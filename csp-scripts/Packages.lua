-- ./Vendor/luadm/Packages: the Debian packages of the machine (dpkg, apt).
--
--   Installed/<name>/Version  Get   the installed version
--   Install                   Exec  data: package names -> apt-get install
--   Remove                    Exec  data: package names -> apt-get remove
--
-- The installed packages come from `dpkg-query`, read once per message
-- (flush forgets them). Names are binary package names as dpkg shows them,
-- with ":<arch>" for a foreign architecture (libc6:i386).
--
-- Install and Remove take one or more names separated by spaces or commas,
-- each optionally pinned to a version (name=version). They are
-- asynchronous: the Exec answers 202 at once, apt-get runs in the
-- background, and when it ends the server gets a generic alert 1226 whose
-- data is apt-get's exit code (0 = success), with the type
-- com.luadm.packages.install (or .remove), the Exec's correlator and the
-- Exec's URI as its source. This needs a luadm whose ctx has background();
-- without it the Exec fails with 500 and nothing is installed.
local csp = require "dm.csp"
local sys = require "dm.sys"

local MAX_NAMES = 100

-- name -> version, or nil until read (see flush below).
local cache = nil

local function fail(status, fmt, ...)
  error({ status = status, message = string.format(fmt, ...) }, 0)
end

-- The installed packages, name -> version. Raises 500 when dpkg-query fails.
local function installed()
  if cache then
    return cache
  end
  -- dpkg-query itself turns \t and \n into a tab and a newline
  local r, err = dm.run({ "dpkg-query", "-W", "-f",
    [[${binary:Package}\t${Version}\t${db:Status-Status}\n]] },
    { cap = 16 * 1024 * 1024 })
  if not r then
    fail(500, "dpkg-query: %s", err)
  elseif r.code ~= 0 then
    fail(500, "dpkg-query: %s", sys.trim(r.stderr))
  end
  local list = {}
  for line in r.stdout:gmatch("[^\n]+") do
    local name, version, status = line:match("^([^\t]+)\t([^\t]*)\t(.*)$")
    if status == "installed" then
      list[name] = version
    end
  end
  cache = list
  return list
end

-- The names in data ("vim curl=7.88.1-10", "vim,curl"), or nil and why.
-- A Debian package name is lower-case letters, digits, "+", "-" and ".",
-- two characters at least, starting with a letter or digit (so it can
-- never pass for an option of apt-get).
local function names_of(data)
  local names = {}
  for word in (data or ""):gmatch("[^%s,]+") do
    local name, arch, version = word:match("^([^:=]+):?([^=]*)=?(.*)$")
    if not (name and name:find("^[a-z0-9][a-z0-9+.-]+$"))
        or not arch:find("^[a-z0-9-]*$")
        or not version:find("^[%w.+~:-]*$")
        or (word:find("=", 1, true) and version == "") then
      return nil, string.format("%q is not a package name", word)
    end
    names[#names + 1] = word
  end
  if #names == 0 then
    return nil, "give the package names as the Exec's data"
  elseif #names > MAX_NAMES then
    return nil, "at most " .. MAX_NAMES .. " packages at a time"
  end
  return names
end

-- The exec handler of Install or Remove: `apt-get <verb> -y NAME...` in
-- the background.
local function apt(verb)
  return function(ctx, n, data, correlator)
    local uri = n.mount .. "/" .. n.path
    local names, why = names_of(data)
    if not names then
      return nil, 400, uri .. ": " .. why
    end
    if not ctx.background then
      return nil, 500, uri .. ": this luadm cannot run background jobs "
          .. "(ctx:background is missing); nothing was done"
    end
    local argv = { "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", verb,
      "-y", table.unpack(names) }
    local ok, err = ctx:background(argv, {
      type = "com.luadm.packages." .. verb,
      correlator = correlator,
      source = uri,
    })
    if not ok then
      return nil, 500, uri .. ": cannot start apt-get: " .. tostring(err)
    end
    cache = nil
    return 202
  end
end

return csp.define {
  mount = "./Vendor/luadm/Packages",
  description = "Debian packages: the installed ones, and installing or "
      .. "removing some",

  Installed = {
    description = "The installed packages",
    children = function()
      local names = {}
      for name in pairs(installed()) do
        names[#names + 1] = name
      end
      table.sort(names)
      return names
    end,
    ["*"] = {
      title = "Package",
      description = "One installed package",
      Version = {
        description = "The installed version",
        get = function(ctx, n)
          return installed()[n.args[1]]
        end,
      },
    },
  },

  Install = {
    access = "Exec",
    format = "null",
    description = "Installs the packages named in the data with apt-get "
        .. "(202; a 1226 alert follows)",
    exec = apt("install"),
  },

  Remove = {
    access = "Exec",
    format = "null",
    description = "Removes the packages named in the data with apt-get "
        .. "(202; a 1226 alert follows)",
    exec = apt("remove"),
  },

  -- after every message: read the list afresh next time
  flush = function()
    cache = nil
  end,
}
