-- ./DevDetail: the OMA DM device details object
-- (urn:oma:mo:oma-dm-devdetail:1.0) with the Windows extensions a
-- Windows-style MDM server reads (Ext/Microsoft/...). Every node is Get
-- only, as on Windows.
--
-- Values come from the system (under the configured system root) unless the
-- configuration's device table sets them: device = { DevTyp = "...",
-- OEM = "...", FwV = "...", SwV = "...", HwV = "..." } wins.
local csp = require "dm.csp"
local sys = require "dm.sys"

-- SMBIOS chassis types (DMTF DSP0134, 7.4.1) -> a device type.
local CHASSIS = {
  [3] = "desktop", [4] = "desktop", [5] = "desktop", [6] = "desktop",
  [7] = "desktop", [13] = "desktop", [15] = "desktop", [16] = "desktop",
  [24] = "desktop", [35] = "desktop", [36] = "desktop",
  [8] = "laptop", [9] = "laptop", [10] = "laptop", [14] = "laptop",
  [31] = "laptop",
  [11] = "handheld", [30] = "tablet", [32] = "tablet",
  [17] = "server", [23] = "server", [25] = "server", [28] = "server",
  [29] = "server",
  [33] = "embedded", [34] = "embedded",
}

-- A value from the configuration, else the system file, else "Unknown".
local function fact(key, path)
  return function()
    return sys.override(key) or sys.read(path) or "Unknown"
  end
end

local function limit(key)
  return { format = "int", get = function() return dm.limits[key] end }
end

-- MiB of memory, from MemTotal of /proc/meminfo (kB).
local function total_ram()
  local kb = (dm.read_file("/proc/meminfo", 65536) or "")
      :match("MemTotal:%s*(%d+)")
  if not kb then
    return nil, 500, "/proc/meminfo has no MemTotal"
  end
  return tonumber(kb) // 1024
end

-- MiB of the file system holding /, from `df -Pk /` (1024-byte blocks).
local function total_storage()
  local r, err = dm.run { "df", "-Pk", dm.path("/") }
  if not r or r.code ~= 0 then
    return nil, 500, "df: " .. (r and sys.trim(r.stderr) or err)
  end
  local blocks = r.stdout:match("\n%S+%s+(%d+)")
  if not blocks then
    return nil, 500, "df: unexpected output"
  end
  return tonumber(blocks) // 1024
end

-- The static host name, else the running one.
local function hostname()
  return sys.read("/etc/hostname") or dm.uname().nodename
end

-- ISO 8601 local time with the UTC offset, as Windows reports it.
local function localtime()
  local offset = os.date("%z"):gsub("^([-+]%d%d)(%d%d)$", "%1:%2")
  return os.date("%Y-%m-%dT%H:%M:%S") .. offset
end

return csp.define {
  mount = "./DevDetail",
  description = "Device details",

  DevTyp = {
    description = "Device type",
    get = function()
      local t = sys.override("DevTyp")
      if t then
        return t
      end
      local n = tonumber(sys.read("/sys/class/dmi/id/chassis_type") or "")
      return CHASSIS[n] or "computer"
    end,
  },
  OEM = { description = "Original equipment manufacturer",
    get = fact("OEM", "/sys/class/dmi/id/sys_vendor") },
  FwV = { description = "Firmware version",
    get = fact("FwV", "/sys/class/dmi/id/bios_version") },
  HwV = { description = "Hardware version",
    get = fact("HwV", "/sys/class/dmi/id/product_version") },
  SwV = {
    description = "Software (operating system) version",
    get = function()
      local v = sys.override("SwV")
      if v then
        return v
      end
      local r = sys.os_release()
      return r.PRETTY_NAME
          or (r.NAME and r.VERSION_ID and r.NAME .. " " .. r.VERSION_ID)
          or r.NAME or "Unknown"
    end,
  },
  LrgObj = {
    description = "Whether the client supports large objects",
    format = "bool",
    -- the configuration's session.large_objects (on unless turned off)
    get = function(ctx)
      return dm.config.large_objects == false and "false" or "true"
    end,
  },
  URI = {
    description = "Limits of the URIs the client accepts",
    MaxDepth = limit("max_depth"),
    MaxTotLen = limit("max_tot_len"),
    MaxSegLen = limit("max_seg_len"),
  },
  Ext = {
    description = "Extensions",
    Microsoft = {
      ProcessorArchitecture = {
        get = function() return dm.uname().machine end,
      },
      OSPlatform = {
        get = function()
          return sys.os_release().NAME or dm.uname().sysname
        end,
      },
      DeviceName = { get = hostname },
      DNSComputerName = {
        description = "The host name (read only here)",
        get = hostname,
      },
      LocalTime = { get = localtime },
      TotalRAM = {
        format = "int",
        description = "Memory in MB",
        get = total_ram,
      },
      TotalStorage = {
        format = "int",
        description = "Size in MB of the file system holding /",
        get = total_storage,
      },
      SMBIOSSerialNumber = {
        description = "The serial number from SMBIOS",
        get = fact("SMBIOSSerialNumber", "/sys/class/dmi/id/product_serial"),
      },
    },
  },
}
