-- check_tree fixture: reached as ./device/vendor/msft/X too (mount
-- prefixes match case-insensitively, as Windows servers send them).
return {
  mount = "./Vendor/MSFT/X",
  get = function(ctx, path) return "msft:" .. path end,
}
