-- Tests of csp-scripts/DevInfo.lua and DevDetail.lua against a fake
-- sysroot (files in a table, see fake_dm.lua).

local DEV = { scope = "device" }

local MACHINE_ID = "0123456789abcdef0123456789abcdef\n"
-- printf 'luadm-devid:0123456789abcdef0123456789abcdef' | sha256sum
local DEVID = "05846DA482444CA763929DB3A467DA79"

local function sysroot(extra)
  local files = {
    ["/etc/machine-id"] = MACHINE_ID,
    ["/sys/class/dmi/id/sys_vendor"] = "LENOVO\n",
    ["/sys/class/dmi/id/product_name"] = "20XW0055GE\n",
    ["/sys/class/dmi/id/product_version"] = "ThinkPad X1 Carbon Gen 9\n",
    ["/sys/class/dmi/id/bios_version"] = "N32ET75W (1.51 )\n",
    ["/sys/class/dmi/id/chassis_type"] = "10\n",
    ["/etc/os-release"] = 'NAME="Debian GNU/Linux"\nVERSION_ID="12"\n'
        .. 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n',
    ["/etc/hostname"] = "ws-42\n",
  }
  for k, v in pairs(extra or {}) do
    files[k] = v or nil
  end
  return files
end

local function get(csp, path)
  local v, f = csp.get(DEV, path)
  return v, f
end

test("the fake sha256 is right (so DevId expectations are)", function()
  eq(fake.sha256(""),
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
  eq(fake.sha256(string.rep("a", 64)),
      "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb")
end)

test("DevInfo reads the system", function()
  use_dm { files = sysroot() }
  local c = load_csp("DevInfo")
  eq(c.mount, "./DevInfo")
  eq(get(c, "DevId"), DEVID)
  eq(get(c, "Man"), "LENOVO")
  eq(get(c, "Mod"), "20XW0055GE")
  eq(get(c, "DmV"), "1.2")
  eq(get(c, "Lang"), "en-US")
  eq(table.concat(c.get(DEV, ""), "/"), "DevId/DmV/Ext/Lang/Man/Mod")
  eq(#c.get(DEV, "Ext"), 0)
  eq(c.stat(DEV, "Ext").format, "node")
  eq(c.stat(DEV, "DevId").access, "Get")
end)

test("DevId is 32 upper-case hex digits and hides the machine id",
    function()
  use_dm { files = sysroot() }
  local id = get(load_csp("DevInfo"), "DevId")
  ok(id:match("^[0-9A-F]+$") and #id == 32, id)
  ok(not id:lower():find("0123456789abcdef", 1, true), "machine id leaked")
end)

test("DevInfo: missing DMI files read Unknown; no machine-id is 500",
    function()
  use_dm { files = { ["/etc/os-release"] = "NAME=x\n" } }
  local c = load_csp("DevInfo")
  eq(get(c, "Man"), "Unknown")
  eq(get(c, "Mod"), "Unknown")
  local st, msg = status_of(c.get, DEV, "DevId")
  eq(st, 500)
  ok(msg:find("/etc/machine-id", 1, true), msg)
  dm._files["/etc/machine-id"] = "\n"
  st, msg = status_of(c.get, DEV, "DevId")
  eq(st, 500)
  ok(msg:find("empty"), msg)
end)

test("DevInfo: the device table of the configuration wins", function()
  use_dm { files = sysroot(), device = { DevId = "ABC", Man = "Acme",
    Mod = "M1", Lang = "de-DE", DmV = "9.9" } }
  local c = load_csp("DevInfo")
  eq(get(c, "DevId"), "ABC")
  eq(get(c, "Man"), "Acme")
  eq(get(c, "Mod"), "M1")
  eq(get(c, "Lang"), "de-DE")
  eq(get(c, "DmV"), "1.2", "DmV is fixed")
end)

test("DevInfo is read only", function()
  use_dm { files = sysroot() }
  local c = load_csp("DevInfo")
  eq(status_of(c.replace, DEV, "Lang", "fr-FR"), 405)
  eq(status_of(c.delete, DEV, "Man"), 405)
  eq(status_of(c.add, DEV, "Ext/X", "1"), 405)
end)

test("DevDetail reads the system", function()
  use_dm { files = sysroot(), uname = { machine = "aarch64" } }
  local c = load_csp("DevDetail")
  eq(c.mount, "./DevDetail")
  eq(get(c, "DevTyp"), "laptop")
  eq(get(c, "OEM"), "LENOVO")
  eq(get(c, "FwV"), "N32ET75W (1.51 )")
  eq(get(c, "HwV"), "ThinkPad X1 Carbon Gen 9")
  eq(get(c, "SwV"), "Debian GNU/Linux 12 (bookworm)")
  local v, f = get(c, "LrgObj")
  eq(v, "true")
  eq(f, "bool")
  v, f = get(c, "URI/MaxDepth")
  eq(v, "64")
  eq(f, "int")
  eq(get(c, "URI/MaxTotLen"), "4096")
  eq(get(c, "URI/MaxSegLen"), "255")
  eq(get(c, "Ext/Microsoft/ProcessorArchitecture"), "aarch64")
  eq(get(c, "Ext/Microsoft/OSPlatform"), "Debian GNU/Linux")
  eq(get(c, "Ext/Microsoft/DeviceName"), "ws-42")
  local t = get(c, "Ext/Microsoft/LocalTime")
  ok(t:match("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d[-+]%d%d:%d%d$"), t)
  eq(table.concat(c.get(DEV, ""), "/"),
      "DevTyp/Ext/FwV/HwV/LrgObj/OEM/SwV/URI")
  eq(table.concat(c.get(DEV, "URI"), "/"), "MaxDepth/MaxSegLen/MaxTotLen")
  eq(status_of(c.replace, DEV, "SwV", "x"), 405)
end)

test("DevDetail: fallbacks when the system says little", function()
  use_dm { files = { ["/usr/lib/os-release"] = "NAME='Alpine Linux'\n"
      .. "VERSION_ID=3.19.1\n" }, uname = { nodename = "box" },
    limits = { max_depth = 10, max_tot_len = 100, max_seg_len = 20 } }
  local c = load_csp("DevDetail")
  eq(get(c, "DevTyp"), "computer")
  eq(get(c, "OEM"), "Unknown")
  eq(get(c, "FwV"), "Unknown")
  eq(get(c, "HwV"), "Unknown")
  eq(get(c, "SwV"), "Alpine Linux 3.19.1")
  eq(get(c, "Ext/Microsoft/DeviceName"), "box")
  eq(get(c, "URI/MaxDepth"), "10")
  use_dm { files = {} }
  eq(get(c, "SwV"), "Unknown")
  eq(get(c, "Ext/Microsoft/OSPlatform"), "Linux")
end)

test("DevDetail: TotalRAM, TotalStorage, DNSComputerName, SMBIOSSerialNumber",
    function()
  local d = use_dm { files = sysroot {
    ["/proc/meminfo"] = "MemTotal:        8041232 kB\nMemFree: 1 kB\n",
    ["/sys/class/dmi/id/product_serial"] = "PF2ABCDE\n",
  } }
  local ran
  function d.run(argv)
    ran = table.concat(argv, " ")
    return { code = 0, stderr = "", stdout =
        "Filesystem 1024-blocks Used Available Capacity Mounted on\n"
        .. "/dev/sda2 61255492 9876543 48234567 17% /\n" }
  end
  local c = load_csp("DevDetail")
  eq(table.concat(c.get(DEV, "Ext/Microsoft"), "/"),
      "DNSComputerName/DeviceName/LocalTime/OSPlatform/"
      .. "ProcessorArchitecture/SMBIOSSerialNumber/TotalRAM/TotalStorage")
  local v, f = get(c, "Ext/Microsoft/TotalRAM")
  eq(v, "7852")
  eq(f, "int")
  v, f = get(c, "Ext/Microsoft/TotalStorage")
  eq(v, "59819")
  eq(f, "int")
  eq(ran, "df -Pk /fake-sysroot/")
  eq(get(c, "Ext/Microsoft/DNSComputerName"), "ws-42")
  eq(get(c, "Ext/Microsoft/SMBIOSSerialNumber"), "PF2ABCDE")
  eq(c.stat(DEV, "Ext/Microsoft/TotalRAM").access, "Get")

  -- what cannot be read is 500 with the reason, or Unknown for SMBIOS
  function d.run()
    return { code = 1, stdout = "", stderr = "df: /fake-sysroot/: No such "
        .. "file or directory\n" }
  end
  local st, msg = status_of(c.get, DEV, "Ext/Microsoft/TotalStorage")
  eq(st, 500)
  ok(msg:find("No such file", 1, true), msg)
  d._files["/proc/meminfo"] = "nothing useful\n"
  st, msg = status_of(c.get, DEV, "Ext/Microsoft/TotalRAM")
  eq(st, 500)
  ok(msg:find("MemTotal", 1, true), msg)
  d._files["/sys/class/dmi/id/product_serial"] = nil
  eq(get(c, "Ext/Microsoft/SMBIOSSerialNumber"), "Unknown")
end)

test("DevDetail: chassis types map to device types", function()
  local want = { ["3"] = "desktop", ["9"] = "laptop", ["17"] = "server",
    ["23"] = "server", ["30"] = "tablet", ["1"] = "computer",
    ["2"] = "computer", ["junk"] = "computer" }
  for chassis, typ in pairs(want) do
    use_dm { files = { ["/sys/class/dmi/id/chassis_type"] = chassis .. "\n" } }
    eq(get(load_csp("DevDetail"), "DevTyp"), typ, "chassis " .. chassis)
  end
end)

test("DevDetail: the device table of the configuration wins", function()
  use_dm { files = sysroot(), device = { DevTyp = "kiosk", OEM = "Acme",
    FwV = "fw1", SwV = "sw2", HwV = "hw3" } }
  local c = load_csp("DevDetail")
  eq(get(c, "DevTyp"), "kiosk")
  eq(get(c, "OEM"), "Acme")
  eq(get(c, "FwV"), "fw1")
  eq(get(c, "SwV"), "sw2")
  eq(get(c, "HwV"), "hw3")
end)
