-- check_tree fixture: overridden by tree-override/over_b.lua, which is in
-- a later csp_path directory and mounts the same URI.
return {
  mount = "./Vendor/Over",
  get = function(ctx, path) return "first dir" end,
}
