-- ./Vendor/luadm/TimeZone: the machine's time zone.
--
--   Name  Get Replace  an IANA zone name such as "Europe/Berlin" or "UTC"
--
-- Get reads the /etc/localtime link (its target below
-- /usr/share/zoneinfo), else /etc/timezone; with neither, the system runs
-- on UTC.
--
-- Replace accepts only a zone that exists under /usr/share/zoneinfo (a
-- TZif file), then sets it with `timedatectl set-timezone` when timedatectl
-- is installed (a failure of it is 500 with its message). Without
-- timedatectl, or with csp = { TimeZone = { timedatectl = false } } in the
-- configuration (containers without systemd), it writes /etc/timezone and
-- replaces the /etc/localtime link itself, atomically.
local csp = require "dm.csp"
local sys = require "dm.sys"

local ZONEINFO = "/usr/share/zoneinfo"

-- true, or false and why zone is not a time zone of this system.
local function known(zone)
  for seg in (zone .. "/"):gmatch("([^/]*)/") do
    if not seg:find("^[%w_+-]+$") then
      return false, string.format("%q is not a time zone name", zone)
    end
  end
  -- a zone file is a few KiB and starts with the magic "TZif"
  local data = dm.read_file(ZONEINFO .. "/" .. zone, 1024 * 1024)
  if not (data and data:sub(1, 4) == "TZif") then
    return false, string.format("unknown time zone %q (no %s/%s)", zone,
        ZONEINFO, zone)
  end
  return true
end

-- Runs argv; returns the result when it exited 0, else nil and a message.
-- A program that is not installed gives nil, message, "missing".
local function run(argv)
  local r, err = dm.run(argv)
  if not r then
    return nil, err, "missing"
  elseif r.code == 127 then
    -- the runner (e.g. env) found no such program
    return nil, sys.trim(r.stderr), "missing"
  elseif r.code ~= 0 then
    local why = sys.trim(r.stderr)
    return nil, argv[1] .. ": " .. (why ~= "" and why or "failed")
  end
  return r
end

-- The zone /etc/localtime points at, or nil.
local function linked_zone()
  if not dm.exists("/etc/localtime") then
    return nil
  end
  local r = run { "readlink", dm.path("/etc/localtime") }
  return r and r.stdout:match("zoneinfo/(.-)%s*$")
end

-- Sets the zone without timedatectl: /etc/timezone, then a new link put
-- in place of /etc/localtime by a rename (never a moment without one).
local function set_files(zone)
  local tmp = dm.path("/etc/.localtime.luadm")
  local ok, err = run { "ln", "-sfn", "../usr/share/zoneinfo/" .. zone, tmp }
  if ok then
    ok, err = run { "mv", "-fT", tmp, dm.path("/etc/localtime") }
  end
  if not ok then
    return nil, err
  end
  return dm.write_file_atomic("/etc/timezone", zone .. "\n", "0644")
end

return csp.define {
  mount = "./Vendor/luadm/TimeZone",
  description = "The time zone of the machine",

  Name = {
    access = "Get Replace",
    description = "IANA time zone name, e.g. Europe/Berlin",
    validate = known,
    get = function()
      local zone = linked_zone() or sys.read("/etc/timezone")
      if zone then
        return zone
      elseif not dm.exists("/etc/localtime") then
        return "UTC"
      end
      return nil, 404, "/etc/localtime is not a link into " .. ZONEINFO
          .. " and /etc/timezone does not exist"
    end,
    replace = function(ctx, n, zone)
      if dm.config.csp.timedatectl ~= false then
        local ok, err, missing = run { "timedatectl", "set-timezone", zone }
        if ok then
          -- Debian also keeps the name in /etc/timezone: keep it in step
          if dm.exists("/etc/timezone") then
            return dm.write_file_atomic("/etc/timezone", zone .. "\n",
                "0644")
          end
          return
        elseif not missing then
          return nil, 500, err
        end
      end
      local ok, err = set_files(zone)
      if not ok then
        return nil, 500, err
      end
    end,
  },
}
