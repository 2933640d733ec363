-- ./DevInfo: the OMA DM device information object
-- (urn:oma:mo:oma-dm-devinfo:1.0). The client sends DevId, Man, Mod, DmV and
-- Lang in every package 1; a server may also Get them. All nodes are Get
-- only, as on Windows.
--
-- Values come from the system (under the configured system root) unless the
-- configuration's device table sets them: device = { DevId = "...",
-- Man = "...", Mod = "...", Lang = "..." } wins. DmV is fixed.
local csp = require "dm.csp"
local sys = require "dm.sys"

-- A stable device id that does not reveal /etc/machine-id: the first 32 hex
-- digits of sha256("luadm-devid:" .. machine-id), upper-case, the shape
-- Windows sends (e.g. B5B954E81FBCB94EB79BD08BE625F4EE).
local function devid()
  local id, err = dm.read_file("/etc/machine-id", 4096)
  if not id then
    error { status = 500, message = "DevId: cannot read /etc/machine-id ("
        .. tostring(err) .. "); set device.DevId in the configuration" }
  end
  id = sys.trim(id)
  if id == "" then
    error { status = 500, message = "DevId: /etc/machine-id is empty; set "
        .. "device.DevId in the configuration" }
  end
  return dm.sha256("luadm-devid:" .. id):sub(1, 32):upper()
end

return csp.define {
  mount = "./DevInfo",
  description = "Device information sent in every package 1",

  DevId = {
    description = "Unique device identifier",
    get = function()
      return sys.override("DevId") or devid()
    end,
  },
  Man = {
    description = "Manufacturer",
    get = function()
      return sys.override("Man") or sys.read("/sys/class/dmi/id/sys_vendor")
          or "Unknown"
    end,
  },
  Mod = {
    description = "Model",
    get = function()
      return sys.override("Mod")
          or sys.read("/sys/class/dmi/id/product_name") or "Unknown"
    end,
  },
  DmV = {
    description = "OMA DM client version",
    default = "1.2",
  },
  Lang = {
    description = "Current language (RFC 1766)",
    get = function()
      return sys.override("Lang") or "en-US"
    end,
  },
  Ext = {
    description = "Extensions",
    format = "node",
    store = true,
  },
}
