-- check_csp fixture: begin and commit without rollback is not a
-- transaction.
return {
  mount = "./Vendor/HalfTx",
  get = function() return "x" end,
  begin = function() end,
  commit = function() end,
}
