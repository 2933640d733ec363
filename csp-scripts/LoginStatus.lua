-- LoginStatus: who is logged in, for the 1224 LoginStatus alert of
-- package 1 (com.microsoft/MDM/LoginStatus): "user" when the enrolled user
-- has a session, "others" when only someone else has, "none" when no
-- person is logged in. The session reads ./Vendor/luadm/LoginStatus when
-- the configuration says session.login_status = "auto" (the default).
--
-- The enrolled user is csp.LoginStatus.user in the configuration; without
-- it, any person's session counts as the user's. Sessions come from
-- logind (`loginctl list-sessions`); people are uids from 1000 up
-- (csp.LoginStatus.min_uid). To decide differently, put a script of your
-- own mounted at the same URI in a later csp_path directory.
local function sessions()
  local r, err = dm.run({ "loginctl", "list-sessions", "--no-legend" },
    { timeout_ms = 5000 })
  if not r or r.code ~= 0 then
    dm.log("info", "loginctl: " .. tostring(err or (r and r.stderr) or "failed"))
    return {}
  end
  local out = {}
  local min_uid = tonumber(dm.config.csp.min_uid) or 1000
  for line in r.stdout:gmatch("[^\n]+") do
    local uid, user = line:match("^%s*%S+%s+(%d+)%s+(%S+)")
    if uid and tonumber(uid) >= min_uid then
      out[#out + 1] = user
    end
  end
  return out
end

local function status()
  local people = sessions()
  if #people == 0 then
    return "none"
  end
  local enrolled = dm.config.csp.user
  if enrolled == nil then
    return "user"
  end
  for _, u in ipairs(people) do
    if u == enrolled then
      return "user"
    end
  end
  return "others"
end

-- the raw contract (core/csp.h): the mount is one read-only leaf
return {
  mount = "./Vendor/luadm/LoginStatus",
  stat = function(ctx, path)
    if path ~= "" then return nil end
    return { format = "chr", access = "Get",
      description = "user, others or none: who is logged in (Alert 1224)" }
  end,
  get = function(ctx, path)
    if path ~= "" then return nil end
    return status()
  end,
}
