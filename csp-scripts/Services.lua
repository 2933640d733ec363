-- ./Vendor/luadm/Services: the systemd services of the machine.
--
--   <unit>/State    Get          active, inactive, failed, activating, ...
--                                (`systemctl is-active`)
--   <unit>/Enabled  Get Replace  true when the unit starts at boot
--                                (`systemctl is-enabled`, enable, disable)
--   <unit>/Start    Exec         `systemctl start`
--   <unit>/Stop     Exec         `systemctl stop`
--   <unit>/Restart  Exec         `systemctl restart`
--
-- <unit> is the unit's name without ".service" (ssh for ssh.service); the
-- units are those `systemctl list-unit-files --type=service` lists, less
-- templates (getty@.service). Every systemctl that fails answers 500 with
-- what systemctl said. Start, Stop and Restart wait for systemctl, so a
-- unit that takes longer than limits.csp_timeout_ms to start gets 500.
local csp = require "dm.csp"
local sys = require "dm.sys"

local function fail(status, fmt, ...)
  error({ status = status, message = string.format(fmt, ...) }, 0)
end

-- Runs `systemctl ARGS...` and returns its result; raises 500 when it
-- cannot run. ok_codes: exit codes that are answers, not failures
-- (is-active exits 3 for an inactive unit).
local function systemctl(args, ok_codes)
  local argv = { "systemctl", table.unpack(args) }
  local r, err = dm.run(argv)
  if not r then
    fail(500, "systemctl: %s", err)
  end
  if r.code ~= 0 and not (ok_codes and ok_codes[r.code]) then
    local why = sys.trim(r.stderr)
    fail(500, "systemctl %s: %s", table.concat(args, " "),
        why ~= "" and why or "exit code " .. tostring(r.code or r.signal))
  end
  return r
end

-- The unit file name of node name n.args[1].
local function unit(n)
  return n.args[1] .. ".service"
end

-- What systemctl printed, or 500 with its stderr when it printed nothing.
local function answer(r, what)
  local out = sys.trim(r.stdout)
  if out == "" then
    fail(500, "systemctl %s: %s", what, sys.trim(r.stderr))
  end
  return out
end

local function action(verb)
  return {
    access = "Exec",
    format = "null",
    description = "systemctl " .. verb .. " <unit>",
    exec = function(ctx, n)
      systemctl { verb, unit(n) }
    end,
  }
end

return csp.define {
  mount = "./Vendor/luadm/Services",
  description = "systemd services: state, start at boot, start and stop",
  children = function()
    local r = systemctl { "list-unit-files", "--type=service", "--no-legend",
      "--no-pager" }
    local names = {}
    for line in r.stdout:gmatch("[^\n]+") do
      local name = line:match("^%s*([%w:_.\\-]+)%.service%s")
      -- "@" only in templates, which cannot run as they are
      if name and not name:find("^%-") then
        names[#names + 1] = name
      end
    end
    return names
  end,

  ["*"] = {
    title = "Unit",
    description = "One service unit, named without .service",

    State = {
      description = "The unit's state: active, inactive, failed, ...",
      get = function(ctx, n)
        -- is-active exits non-zero for any state but active
        return answer(systemctl({ "is-active", unit(n) },
            { [1] = true, [2] = true, [3] = true, [4] = true }), "is-active")
      end,
    },

    Enabled = {
      access = "Get Replace",
      format = "bool",
      description = "Whether the unit starts at boot",
      get = function(ctx, n)
        local state = answer(systemctl({ "is-enabled", unit(n) },
            { [1] = true }), "is-enabled")
        return state == "enabled" or state == "enabled-runtime"
      end,
      replace = function(ctx, n, value)
        systemctl { value == "true" and "enable" or "disable", unit(n) }
      end,
    },

    Start = action("start"),
    Stop = action("stop"),
    Restart = action("restart"),
  },
}
