-- check_csp fixture: every way a CSP call can fail, and a stored value that
-- must survive each failure. get(path) picks the failure by path.
local stored = "initial"

local get = {
  ok = function() return "fine" end,
  stored = function() return stored end,
  raise = function()
    error("boom")
  end,
  status = function() error({ status = 404, message = "x" }) end,
  loop = function() while true do end end,
  pcall_loop = function()
    while true do pcall(function() while true do end end) end
  end,
  coroutine_loop = function()
    coroutine.wrap(function()
      while true do pcall(function() while true do end end) end
    end)()
  end,
  bomb = function()
    local t = {}
    for i = 1, math.huge do t[i] = string.rep("x", 256 * 1024) .. i end
  end,
  -- Lua code that Lua runs with hooks off: a message handler called for
  -- an error raised by the hook, and finalizers.
  xpcall_loop = function()
    local spin = function() while true do end end
    while true do xpcall(spin, spin) end
  end,
  gc_loop = function()
    setmetatable({}, { __gc = function() while true do end end })
    collectgarbage()
    return "collected"
  end,
  gc_later = function()
    setmetatable({}, { __gc = function() while true do end end })
    return "armed"
  end,
  -- Error tables whose fields run Lua code when read.
  meta_error = function()
    error(setmetatable({ status = 404 },
        { __index = function() error("nested") end }))
  end,
  meta_error_loop = function()
    error(setmetatable({}, { __index = function() while true do end end }))
  end,
  -- Needs more than the 8 MiB cap unless the garbage 'big' is collected;
  -- Lua's emergency collection does that and the call goes on.
  recovered = function()
    local big = string.rep("x", 3 * 1024 * 1024)
    big = nil
    big = string.rep("y", 3 * 1024 * 1024)
    return #big
  end,
  -- The same, then a DM status: it must arrive as raised.
  recovered_status = function()
    local big = string.rep("x", 3 * 1024 * 1024)
    big = nil
    big = string.rep("y", 3 * 1024 * 1024)
    error({ status = 404, message = "x" })
  end,
}

return {
  mount = "./Vendor/Errors",
  get = function(ctx, path) return get[path]() end,
  replace = function(ctx, path, value) stored = value end,
}
