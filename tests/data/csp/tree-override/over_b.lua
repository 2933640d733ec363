-- check_tree fixture: a later csp_path directory; overrides over.lua's
-- mount ./Vendor/Over (matched case-insensitively).
return {
  mount = "./vendor/over",
  get = function(ctx, path) return "second dir" end,
}
