-- dm.sys: small helpers for CSPs that report facts about the system. They
-- read through dm.read_file, so paths fall under the configured system root
-- (tests point it at a fake one).

local sys = {}

-- s without leading and trailing white space.
function sys.trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

-- The trimmed contents of a small system file, or nil when it is missing,
-- unreadable or empty.
function sys.read(path)
  local data = dm.read_file(path, 65536)
  if data then
    data = sys.trim(data)
    if data ~= "" then
      return data
    end
  end
  return nil
end

-- The value the configuration's device table gives for key (as a string),
-- or nil. A key present there wins over whatever the system says.
function sys.override(key)
  local device = dm.config and dm.config.device
  local v = device and device[key]
  if v ~= nil then
    return tostring(v)
  end
  return nil
end

-- Undoes the shell-like quoting of an os-release value.
local function unquote(v)
  local q = v:sub(1, 1)
  if (q == '"' or q == "'") and v:sub(-1) == q and #v >= 2 then
    v = v:sub(2, -2)
    if q == '"' then
      v = v:gsub('\\([\\"$`])', "%1")
    end
  end
  return v
end

-- os-release(5) as a table (NAME, VERSION_ID, PRETTY_NAME, ...): from
-- /etc/os-release, else /usr/lib/os-release; {} when neither exists.
function sys.os_release()
  local data = dm.read_file("/etc/os-release", 65536)
      or dm.read_file("/usr/lib/os-release", 65536)
  local t = {}
  for line in (data or ""):gmatch("[^\n]+") do
    local k, v = line:match("^%s*([%w_]+)=(.*)$")
    if k then
      t[k] = unquote(sys.trim(v))
    end
  end
  return t
end

return sys
