-- bench_idle.lua: the idle benchmark of `make bench` (bench/run.sh,
-- bench_idle), a dmtest scenario (tests/harness/README.md).
--
-- What `luadm run` holds once it has done its work and waits for the next
-- session: its resident memory (VmRSS), the peak of the session before
-- (VmHWM) and the CPU ticks it uses while idle (it should sleep in poll()).
-- The device is enrolled with dmtest's scripted HTTPS server and `luadm
-- run --interval 3600` runs under bench/idle.sh (run_session's `wrap`):
-- its first session runs at once, a real one over loopback HTTPS:
--
--   package 1    the server checks Alert 1201 and the DevInfo Replace,
--                then sends Get ./DevInfo/DevId, ./DevInfo/DmV,
--                ./DevDetail/SwV and a Replace on the test CSP
--                tests/data/csp/Store.lua;
--   package 3    the server checks each Status is 200 and the Results
--                (DevId is the client's Source, DmV is 1.2, SwV is not
--                empty), then ends the session.
--
-- luadm logs "next session in"; idle.sh lets it idle BENCH_IDLE s (2),
-- reads /proc, stops it with SIGTERM and appends the row to $BENCH_ROWS
-- (printed when it is unset). A broken session, a luadm that does not
-- exit 0 or a Replace that was not stored fails a check: dmtest exits 1
-- and run.sh shows a FAILED row. Figures are never judged.

use_csp "tests/data/csp/Store.lua"

local S = "./Vendor/Test/Store"

scenario "bench: luadm run idle after a session over HTTPS"
config { session = { login_status = "others", timeout_ms = 10000,
  connect_timeout_ms = 5000 } }

local srv = server { tls = true, server_id = "bench" }
srv:enroll()

local devid
srv:on_message(function(req)       -- package 1
  req:alert_data(1201)
  expect(req:commands(), "package 1 holds the DevInfo Replace")
      :contains("Replace")
  devid = req:source_uri()
  expect(devid, "the client's Source (its DevId)"):matches("%S")
  return srv:send(Get(10, "./DevInfo/DevId") .. Get(11, "./DevInfo/DmV") ..
      Get(12, "./DevDetail/SwV") .. Replace(13, S .. "/a", "idle-bench"))
end)
srv:on_message(function(req)       -- package 3
  for id = 10, 13 do
    req:status(id):is(200)
  end
  req:results(10):data():is(devid)
  req:results(11):data():is("1.2")
  req:results(12):data():matches("%S")
  return srv:finish()
end)

local run = srv:run_session { command = "run", verbose = false,
  args = { "--interval", "3600" }, wrap = { "sh", src("bench/idle.sh") } }
run:exit_code():is(0)
run:count():is(2)
expect(run.res.events, "no TLS or protocol failures"):is({})
run:stderr():contains("next session in 3600 s")
run:stderr():contains("stopping (signal)")
run:stderr():lacks("session failed")
tree_get(S .. "/a"):is("idle-bench")
