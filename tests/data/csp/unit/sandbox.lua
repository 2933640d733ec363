-- check_csp fixture: what a CSP's globals look like. get(path) answers
-- with a description check_csp compares.
local dumped = string.dump(function() return 1 end)

local get = {
  undefined = function() return no_such_global end,
  absent = function()
    return tostring(rawget(_G, "debug")) .. " " ..
        tostring(rawget(_G, "dofile")) .. " " ..
        tostring(rawget(_G, "loadfile"))
  end,
  require_debug = function() return tostring((pcall(require, "debug"))) end,
  load_bytecode = function()
    local f, err = load(dumped)
    return tostring(f) .. " " .. tostring(err)
  end,
  load_bytecode_mode_b = function()
    local f, err = load(dumped, "=dumped", "b")
    return tostring(f) .. " " .. tostring(err)
  end,
  load_text = function() return load("return 6 * 7")() end,
}

return {
  mount = "./Vendor/Sandbox",
  get = function(ctx, path) return get[path]() end,
}
