-- ./Vendor/luadm/Hostname: the machine's host name.
--
--   Name     Get Replace  the static host name, kept in /etc/hostname
--   Current  Get          the name the running kernel uses (uname -n)
--
-- Replace checks the name first (hostname(7): at most 64 characters, labels
-- of letters, digits and "-" separated by dots) and writes /etc/hostname
-- atomically. The running system keeps its name until the next boot, or
-- until someone runs `hostnamectl`; Current tells which name it uses now.
local csp = require "dm.csp"
local sys = require "dm.sys"

local FILE = "/etc/hostname"

-- true, or false and why name is not a valid host name.
local function valid(name)
  if name == "" then
    return false, "a host name cannot be empty"
  elseif #name > 64 then
    return false, "a host name has at most 64 characters"
  end
  for label in (name .. "."):gmatch("([^.]*)%.") do
    if label == "" then
      return false, "empty label in " .. string.format("%q", name)
    elseif not label:find("^[%w-]+$") then
      return false, "only letters, digits, \"-\" and \".\" are allowed"
    elseif label:find("^%-") or label:find("%-$") then
      return false, "a label cannot start or end with \"-\""
    end
  end
  return true
end

return csp.define {
  mount = "./Vendor/luadm/Hostname",
  description = "The host name of the machine",

  Name = {
    access = "Get Replace",
    description = "The static host name (" .. FILE .. "), used from the "
        .. "next boot",
    validate = valid,
    get = function(ctx, n)
      local name = sys.read(FILE)
      if not name then
        return nil, 404, FILE .. " does not exist or is empty"
      end
      return name
    end,
    replace = function(ctx, n, value)
      local ok, err = dm.write_file_atomic(FILE, value .. "\n", "0644")
      if not ok then
        return nil, 500, err
      end
    end,
  },

  Current = {
    description = "The host name the running system uses",
    get = function()
      return dm.uname().nodename
    end,
  },
}
