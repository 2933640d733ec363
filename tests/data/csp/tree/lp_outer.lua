-- check_tree fixture: mounted above lp_inner.lua; the longest mount wins.
return {
  mount = "./Vendor/LP",
  get = function(ctx, path) return "outer:" .. path end,
}
