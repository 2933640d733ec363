-- check_tree fixture: a mount right below the root, and a second mount of
-- the same script deeper down.
return {
  mount = { "./Top", "./Vendor/TopToo" },
  get = function(ctx, path) return "top:" .. ctx.mount .. ":" .. path end,
}
