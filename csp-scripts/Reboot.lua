-- ./Vendor/MSFT/Reboot: the Windows Reboot CSP on Linux, so that a Windows
-- MDM server can restart the machine or schedule restarts unchanged.
--
--   RebootNow                Exec Get             restart the machine
--   Schedule/Single          Get Replace Delete   one restart at a date and
--                                                 time
--   Schedule/DailyRecurrent  Get Replace Delete   a restart every day at a
--                                                 time
--
-- RebootNow runs `shutdown -r +1`: the restart comes a minute later, so the
-- session that asked can end first (Windows waits for the end of the
-- session too). csp = { Reboot = { delay_minutes = 5 } } changes the delay;
-- 0 restarts at once with `systemctl reboot`.
--
-- The schedules take an ISO 8601 local date and time,
-- 2025-10-07T22:30:00 (seconds optional; a final Z means UTC). An empty
-- value, 0000-00-00T00:00:00 or Delete removes the schedule. Each schedule
-- is a systemd timer written to /etc/systemd/system
-- (luadm-reboot-single.timer, luadm-reboot-daily.timer, both starting
-- luadm-reboot.service), enabled with systemctl; the timer file keeps the
-- value as the server sent it, and Get reads it back. DailyRecurrent
-- restarts every day at its time of day from the moment it is set (its date
-- is kept but not waited for).
--
-- Windows also allows Add on the schedules; here they always exist (empty
-- when unset), so a server uses Replace. Windows' WeeklyRecurrent is not
-- there.
local csp = require "dm.csp"
local sys = require "dm.sys"

local UNITS = "/etc/systemd/system/"
local SERVICE = "luadm-reboot.service"

local function fail(status, fmt, ...)
  error({ status = status, message = string.format(fmt, ...) }, 0)
end

-- Runs argv; raises 500 with what it printed on stderr when it fails.
local function run(argv)
  local r, err = dm.run(argv)
  if not r then
    fail(500, "%s: %s", argv[1], err)
  elseif r.code ~= 0 then
    local why = sys.trim(r.stderr)
    fail(500, "%s: %s", table.concat(argv, " "),
        why ~= "" and why or "failed")
  end
end

local function is_unset(value)
  return value == "" or value == "0000-00-00T00:00:00"
end

-- The date and time of an ISO 8601 value, as os.time fields plus utc =
-- true for a final Z; or nil and why.
local function parse(value)
  local y, mo, d, h, mi, s, z =
      value:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)T(%d%d):(%d%d):(%d%d)(Z?)$")
  if not y then
    y, mo, d, h, mi, z =
        value:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)T(%d%d):(%d%d)(Z?)$")
    s = "00"
  end
  if not y then
    return nil, "expected an ISO 8601 date and time such as "
        .. "2025-10-07T22:30:00"
  end
  local t = { year = tonumber(y), month = tonumber(mo), day = tonumber(d),
    hour = tonumber(h), min = tonumber(mi), sec = tonumber(s),
    utc = z == "Z" }
  -- os.time normalizes a copy (2099-02-30 becomes 2099-03-02): a date
  -- that does not come back the same does not exist
  local back = os.date("*t", os.time { year = t.year, month = t.month,
    day = t.day, hour = 12 })
  if t.year < 1970 or t.hour > 23 or t.min > 59 or t.sec > 59
      or back.month ~= t.month or back.day ~= t.day then
    return nil, "no such date or time: " .. value
  end
  return t
end

-- Seconds since the epoch of parsed time t.
local function epoch(t)
  local local_epoch = os.time { year = t.year, month = t.month, day = t.day,
    hour = t.hour, min = t.min, sec = t.sec }
  if not t.utc then
    return local_epoch
  end
  -- os.time read t as local time: shift by the local UTC offset
  local now = os.time()
  return local_epoch + os.difftime(now, os.time(os.date("!*t", now)))
end

-- The schedules: node name -> timer unit, its OnCalendar for a parsed
-- time, and whether a time in the past is refused.
local SCHEDULES = {
  Single = {
    unit = "luadm-reboot-single.timer",
    calendar = function(t)
      return string.format("%04d-%02d-%02d %02d:%02d:%02d", t.year, t.month,
          t.day, t.hour, t.min, t.sec)
    end,
    future = true,
  },
  DailyRecurrent = {
    unit = "luadm-reboot-daily.timer",
    calendar = function(t)
      return string.format("*-*-* %02d:%02d:%02d", t.hour, t.min, t.sec)
    end,
  },
}

local function validate(value, ctx, n)
  if is_unset(value) then
    return true
  end
  local t, why = parse(value)
  if not t then
    return false, why
  elseif SCHEDULES[n.name].future and epoch(t) <= os.time() then
    return false, value .. " is in the past"
  end
  return true
end

-- The value a schedule was set to, from the first line of its timer.
local function scheduled(ctx, n)
  local timer = dm.read_file(UNITS .. SCHEDULES[n.name].unit, 65536)
  return timer and timer:match("^# Reboot/Schedule/[%w]+=([^\n]*)") or ""
end

local function unschedule(ctx, n)
  local unit = SCHEDULES[n.name].unit
  if not dm.exists(UNITS .. unit) then
    return
  end
  run { "systemctl", "disable", "--now", unit }
  local ok, err = os.remove(dm.path(UNITS .. unit))
  if not ok then
    fail(500, "%s", err)
  end
  run { "systemctl", "daemon-reload" }
end

local function schedule(ctx, n, value)
  if is_unset(value) then
    return unschedule(ctx, n)
  end
  local s, t = SCHEDULES[n.name], parse(value)
  local calendar = s.calendar(t) .. (t.utc and " UTC" or "")
  local files = {
    [SERVICE] = "# Written by luadm for ./Vendor/MSFT/Reboot\n"
        .. "[Unit]\nDescription=Reboot scheduled by the device "
        .. "management server\n\n"
        .. "[Service]\nType=oneshot\nExecStart=/bin/systemctl reboot\n",
    [s.unit] = "# Reboot/Schedule/" .. n.name .. "=" .. value .. "\n"
        .. "[Unit]\nDescription=Reboot at " .. calendar .. " (luadm, "
        .. "Reboot/Schedule/" .. n.name .. ")\n\n"
        .. "[Timer]\nOnCalendar=" .. calendar .. "\nUnit=" .. SERVICE
        .. "\n\n[Install]\nWantedBy=timers.target\n",
  }
  local before = dm.read_file(UNITS .. s.unit, 65536)
  for name, text in pairs(files) do
    local ok, err = dm.write_file_atomic(UNITS .. name, text, "0644")
    if not ok then
      fail(500, "%s", err)
    end
  end
  local ok, err = pcall(function()
    run { "systemctl", "daemon-reload" }
    run { "systemctl", "enable", s.unit }
    run { "systemctl", "restart", s.unit }
  end)
  if not ok then
    -- put the timer back as it was, so Get still tells the truth
    if before then
      dm.write_file_atomic(UNITS .. s.unit, before, "0644")
    else
      os.remove(dm.path(UNITS .. s.unit))
    end
    dm.run { "systemctl", "daemon-reload" } -- best effort
    error(err, 0)
  end
end

local function schedule_node(what)
  return {
    access = "Get Replace Delete",
    description = what .. " (ISO 8601 local time, e.g. "
        .. "2025-10-07T22:30:00; empty: none)",
    validate = validate,
    get = scheduled,
    replace = schedule,
    delete = unschedule,
  }
end

return csp.define {
  mount = "./Vendor/MSFT/Reboot",
  scope = "device",
  description = "Restarting the machine",

  RebootNow = {
    access = "Exec Get",
    format = "null",
    default = "",
    description = "Restarts the machine (after delay_minutes, 1 by "
        .. "default, so the session can end)",
    exec = function(ctx, n)
      local delay = math.tointeger(tonumber(dm.config.csp.delay_minutes))
          or 1
      if delay <= 0 then
        run { "systemctl", "reboot" }
      else
        run { "shutdown", "-r", "+" .. delay,
          "Restart requested by the device management server" }
      end
    end,
  },

  Schedule = {
    description = "Scheduled restarts",
    Single = schedule_node("One restart at this date and time"),
    DailyRecurrent = schedule_node("A restart every day at this time"),
  },
}
