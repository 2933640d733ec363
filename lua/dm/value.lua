-- dm.value: OMA DM leaf formats. Syntax checks of incoming values and the
-- conversion of Lua values to the strings the protocol carries. Pure
-- functions; used by dm.csp and free for CSPs to use.

local value = {}

-- The Format values a node may have (OMA-TND 8.6 plus "b64").
value.formats = {
  bin = true, bool = true, b64 = true, chr = true, date = true, float = true,
  int = true, node = true, null = true, time = true, xml = true,
}

-- Each check returns nil when s is fine for the format, else a reason.
local checks = {}

function checks.int(s)
  if not s:match("^[-+]?%d+$") or math.tointeger(tonumber(s)) == nil then
    return "not a decimal integer"
  end
end

function checks.bool(s)
  if s ~= "true" and s ~= "false" then
    return 'not "true" or "false"'
  end
end

function checks.float(s)
  local mantissa, exponent = s:match("^([-+]?[%d.]+)(.*)$")
  local ok = mantissa and not mantissa:find("%..*%.") and mantissa:find("%d")
      and (exponent == "" or exponent:match("^[eE][-+]?%d+$"))
  if not ok or tonumber(s) == nil then
    return "not a decimal number"
  end
end

function checks.b64(s)
  local t = s:gsub("%s", "")
  if #t % 4 ~= 0 or not t:match("^[A-Za-z0-9+/]*=?=?$") then
    return "not valid base64"
  end
end

function checks.null(s)
  if s ~= "" then
    return "a null node takes no value"
  end
end

-- Returns nil when s is a valid value of format, else a reason.
function value.check(format, s)
  local check = checks[format]
  return check and check(s)
end

-- The number an int or float string stands for.
function value.number(s)
  return tonumber(s)
end

-- Converts what a get handler returned to the string sent on the wire:
-- strings as they are, integers in decimal, booleans as "true"/"false".
-- Returns nil, reason for anything else.
function value.tostring(v)
  local t = type(v)
  if t == "string" then
    return v
  elseif t == "number" then
    local i = math.tointeger(v)
    return i and string.format("%d", i) or tostring(v)
  elseif t == "boolean" then
    return v and "true" or "false"
  end
  return nil, "a " .. t .. " is not a node value"
end

return value
