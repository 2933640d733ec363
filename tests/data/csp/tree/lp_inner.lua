-- check_tree fixture: mounted below lp_outer.lua.
return {
  mount = "./Vendor/LP/Inner",
  get = function(ctx, path) return "inner:" .. path end,
}
