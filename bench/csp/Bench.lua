-- ./Vendor/Bench: the CSP of the engine benchmark (bench/bench_engine.c).
-- It keeps leaf values in a Lua table and does nothing else, so that the
-- benchmark measures the engine and the C<->Lua bridge, not a subtree's
-- work. It is written against the raw contract of core/csp.h (no SDK).
--
-- Every leaf directly under the mount exists (a dynamic node set, as a
-- vendor CSP over a device registry would have): Replace stores the value,
-- Get returns it, 404 until a value was stored.
local values = {}

local function leaf(path)
  return path ~= "" and not path:find("/", 1, true)
end

return {
  mount = "./Vendor/Bench",

  stat = function(ctx, path)
    if path == "" then
      return { format = "node", access = "Get" }
    end
    if leaf(path) then
      return { format = "chr", type = "text/plain",
        access = "Add Get Replace Delete" }
    end
    return nil
  end,

  get = function(ctx, path)
    if path == "" then
      local names = {}
      for k in pairs(values) do
        names[#names + 1] = k
      end
      table.sort(names)
      return names
    end
    local v = values[path]
    if v == nil then
      return nil, 404, path .. ": no value stored"
    end
    return v, "chr", "text/plain"
  end,

  add = function(ctx, path, value, format, type)
    if not leaf(path) or format == "node" then
      return nil, 405, "only leaves directly under the mount"
    end
    values[path] = value or ""
  end,

  replace = function(ctx, path, value, format, type)
    if not leaf(path) then
      return nil, 405, "only leaves directly under the mount"
    end
    values[path] = value or ""
  end,

  delete = function(ctx, path)
    if values[path] == nil then
      return nil, 404, path .. ": no value stored"
    end
    values[path] = nil
  end,
}
