-- ./Vendor/MSFT/DeviceStatus: the Windows DeviceStatus CSP, for the nodes
-- that mean the same on Linux. Everything is Get only, as on Windows.
--
--   OS/Edition                            the distribution's edition
--                                         (os-release VARIANT, else NAME)
--   OS/Mode                               0: a standard system (1 would be
--                                         Windows' S mode)
--   NetworkIdentifiers/<MAC>/IPAddressV4  the card's first IPv4 address
--   NetworkIdentifiers/<MAC>/IPAddressV6  its first IPv6 address
--   NetworkIdentifiers/<MAC>/IsConnected  whether its link is up
--   NetworkIdentifiers/<MAC>/Type         1 wired, 2 wireless, 0 unknown
--   Battery/Status                        Windows' battery flag: 1 high,
--                                         2 low, 4 critical, plus 8 while
--                                         charging; 128 no battery, 255
--                                         unknown
--   Battery/EstimatedChargeRemaining      charge in percent, -1 unknown
--   Battery/EstimatedRuntime              seconds left on battery, -1
--                                         when charging or unknown
--
-- <MAC> is the card's address in upper-case hex without separators
-- (0A1B2C3D4E5F), as Windows writes it; cards come from /sys/class/net
-- (not lo, not those without an address), addresses from `ip -o addr`
-- (global ones first). The battery is the first power supply of type
-- Battery in /sys/class/power_supply.
local csp = require "dm.csp"
local sys = require "dm.sys"

local NET = "/sys/class/net/"
local POWER = "/sys/class/power_supply/"

-- MAC node name -> interface name, in /sys/class/net order.
local function cards()
  local by_mac, macs = {}, {}
  for _, ifname in ipairs(dm.list_dir(NET) or {}) do
    local addr = sys.read(NET .. ifname .. "/address") or ""
    local mac = addr:gsub(":", ""):upper()
    if ifname ~= "lo" and mac:find("^%x+$") and not mac:find("^0+$")
        and not by_mac[mac] then
      by_mac[mac] = ifname
      macs[#macs + 1] = mac
    end
  end
  return by_mac, macs
end

local function card(n)
  return (cards())[n.args[1]]
end

-- The first address of family ("inet" or "inet6") of the card at n: a
-- global one if there is one. "" when it has none.
local function address(n, family)
  local r, err = dm.run { "ip", "-o", "addr", "show", "dev", card(n) }
  if not r then
    return nil, 500, "ip: " .. err
  elseif r.code ~= 0 then
    return nil, 500, "ip: " .. sys.trim(r.stderr)
  end
  local first
  for line in r.stdout:gmatch("[^\n]+") do
    local fam, addr, rest = line:match("%s(inet6?)%s+([^/%s]+)%S*%s(.*)$")
    if fam == family then
      if rest:find("scope global", 1, true) then
        return addr
      end
      first = first or addr
    end
  end
  return first or ""
end

-- The directory of the first battery, or nil.
local function battery()
  for _, name in ipairs(dm.list_dir(POWER) or {}) do
    if sys.read(POWER .. name .. "/type") == "Battery" then
      return POWER .. name .. "/"
    end
  end
  return nil
end

local function number(path)
  return math.tointeger(tonumber(sys.read(path) or ""))
end

local function percent(bat)
  local p = bat and number(bat .. "capacity")
  return p and p >= 0 and p <= 100 and p or nil
end

return csp.define {
  mount = "./Vendor/MSFT/DeviceStatus",
  scope = "device",
  description = "Device inventory and state",

  OS = {
    Edition = {
      description = "The distribution's edition",
      get = function()
        local r = sys.os_release()
        return r.VARIANT or r.NAME or dm.uname().sysname
      end,
    },
    Mode = {
      format = "int",
      description = "0: standard configuration",
      default = 0,
    },
  },

  NetworkIdentifiers = {
    description = "Network cards, by MAC address",
    children = function()
      local _, macs = cards()
      return macs
    end,
    ["*"] = {
      title = "MacAddress",
      description = "One network card, by its MAC address",
      IPAddressV4 = {
        description = "The card's IPv4 address",
        get = function(ctx, n) return address(n, "inet") end,
      },
      IPAddressV6 = {
        description = "The card's IPv6 address",
        get = function(ctx, n) return address(n, "inet6") end,
      },
      IsConnected = {
        format = "bool",
        description = "Whether the card's link is up",
        get = function(ctx, n)
          local dir = NET .. card(n) .. "/"
          local state = sys.read(dir .. "operstate")
          return state == "up" or
              (state == "unknown" and sys.read(dir .. "carrier") == "1")
        end,
      },
      Type = {
        format = "int",
        description = "1: wired (LAN), 2: wireless (WLAN), 0: unknown",
        get = function(ctx, n)
          local dir = NET .. card(n) .. "/"
          if dm.exists(dir .. "wireless") or dm.exists(dir .. "phy80211") then
            return 2
          elseif sys.read(dir .. "type") == "1" then
            return 1
          end
          return 0
        end,
      },
    },
  },

  Battery = {
    description = "The battery",
    Status = {
      format = "int",
      description = "1 high, 2 low, 4 critical, +8 charging, 128 no "
          .. "battery, 255 unknown",
      get = function()
        local bat = battery()
        if not bat then
          return 128
        end
        local p = percent(bat)
        if not p then
          return 255
        end
        local flag = p > 66 and 1 or p < 5 and 4 or p < 33 and 2 or 0
        if sys.read(bat .. "status") == "Charging" then
          flag = flag | 8
        end
        return flag
      end,
    },
    EstimatedChargeRemaining = {
      format = "int",
      description = "Charge remaining in percent, -1 when unknown",
      get = function()
        return percent(battery()) or -1
      end,
    },
    EstimatedRuntime = {
      format = "int",
      description = "Seconds left on battery, -1 when charging or unknown",
      get = function()
        local bat = battery()
        if not bat or sys.read(bat .. "status") ~= "Discharging" then
          return -1
        end
        -- energy in uWh and power in uW, or charge in uAh and current in uA
        local left = number(bat .. "energy_now") or number(bat .. "charge_now")
        local rate = number(bat .. "power_now") or number(bat .. "current_now")
        if not left or not rate or rate <= 0 then
          return -1
        end
        return left * 3600 // rate
      end,
    },
  },
}
