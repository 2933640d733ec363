-- Tests of the shipped Linux CSPs in plain Lua (fake dm, fake ctx), for
-- what `luadm tree` cannot show: the exact ctx:background request of
-- Packages, its dpkg-query cache, and the Atomic rollback of Files. The
-- shell tests (tests/cli/test_csp_*.sh) cover the rest on a real binary.

local DPKG = "vim\t2:9.0.1378-2\tinstalled\n"
    .. "curl\t7.88.1-10\tinstalled\n"
    .. "gone\t\tconfig-files\n"

-- A fake dm whose run answers dpkg-query with DPKG and counts the calls.
local function dpkg_dm()
  local d = use_dm {}
  d._runs = {}
  function d.run(argv)
    d._runs[#d._runs + 1] = table.concat(argv, " ")
    return { code = 0, stdout = DPKG, stderr = "" }
  end
  return d
end

-- A ctx whose background records its request and answers as told.
local function bg_ctx(answer, err)
  local ctx = { scope = "device", mount = "./Vendor/luadm/Packages" }
  function ctx.background(self, argv, opts)
    ctx.argv, ctx.opts = argv, opts
    ok(self == ctx, "background is called as a method")
    return answer, err
  end
  return ctx
end

test("Packages: the installed list, read once per message", function()
  local d = dpkg_dm()
  local c = load_csp("Packages")
  local ctx = { scope = "device" }
  eq(table.concat(c.get(ctx, "Installed"), "/"), "curl/vim")
  eq(c.get(ctx, "Installed/vim/Version"), "2:9.0.1378-2")
  eq(status_of(c.get, ctx, "Installed/gone/Version"), 404)
  eq(#d._runs, 1, "dpkg-query runs")
  eq(d._runs[1], "dpkg-query -W -f "
      .. "${binary:Package}\\t${Version}\\t${db:Status-Status}\\n")
  c.flush(ctx)
  eq(c.get(ctx, "Installed/curl/Version"), "7.88.1-10")
  eq(#d._runs, 2, "dpkg-query runs after flush")
end)

test("Packages: Install asks ctx:background for apt-get and answers 202",
    function()
  dpkg_dm()
  local c = load_csp("Packages")
  local ctx = bg_ctx(true)
  eq(c.exec(ctx, "Install", "vim  curl=7.88.1-10,libc6:i386", "corr-9"), 202)
  eq(table.concat(ctx.argv, " "), "env DEBIAN_FRONTEND=noninteractive "
      .. "apt-get install -y vim curl=7.88.1-10 libc6:i386")
  eq(ctx.opts.type, "com.luadm.packages.install")
  eq(ctx.opts.correlator, "corr-9")
  eq(ctx.opts.source, "./Vendor/luadm/Packages/Install")
  ctx = bg_ctx(true)
  eq(c.exec(ctx, "Remove", "vim"), 202)
  eq(ctx.opts.type, "com.luadm.packages.remove")
  eq(ctx.opts.correlator, nil)
  eq(ctx.argv[4], "remove")
end)

test("Packages: a job that cannot start, or no ctx:background, is 500",
    function()
  dpkg_dm()
  local c = load_csp("Packages")
  local st, msg = status_of(c.exec, bg_ctx(nil, "no server to report to"),
      "Install", "vim")
  eq(st, 500)
  eq(msg, "./Vendor/luadm/Packages/Install: cannot start apt-get: "
      .. "no server to report to")
  st, msg = status_of(c.exec, { mount = "./Vendor/luadm/Packages" },
      "Install", "vim")
  eq(st, 500)
  ok(msg:find("ctx:background is missing); nothing was done", 1, true), msg)
end)

test("Packages: bad names are 400 and start nothing", function()
  dpkg_dm()
  local c = load_csp("Packages")
  for _, data in ipairs { "", "  ", "-y", "--purge vim", "Vim", "a",
      "vim;reboot", "vim=", "x:y:z", "$(reboot)" } do
    local ctx = bg_ctx(true)
    local st, msg = status_of(c.exec, ctx, "Install", data)
    eq(st, 400, "data " .. data)
    ok(msg:find("^%./Vendor/luadm/Packages/Install: "), msg)
    eq(ctx.argv, nil, "apt-get for " .. data)
  end
  local many = string.rep("pkg ", 101)
  eq(status_of(c.exec, bg_ctx(true), "Install", many), 400)
end)

-- A fake dm for Files: an allow-list, passwd/group, and a run that
-- records chown/chmod.
local function files_dm()
  local d = use_dm {
    files = {
      ["/etc/passwd"] = "root:x:0:0::/root:/bin/sh\n",
      ["/etc/group"] = "root:x:0:\n",
      ["/etc/motd"] = "old motd\n",
    },
    csp = { allow = { "/etc/motd", "/etc/app/" } },
  }
  d._runs = {}
  function d.run(argv)
    d._runs[#d._runs + 1] = table.concat(argv, " ")
    return { code = 0, stdout = "", stderr = "" }
  end
  return d
end

test("Files: rollback puts back the records and the files", function()
  local d = files_dm()
  local c = load_csp("Files")
  local ctx = { scope = "device", mount = "./Vendor/luadm/Files" }
  c.add(ctx, "keep", nil, "node")
  c.replace(ctx, "keep/Path", "/etc/app/keep.conf")
  c.replace(ctx, "keep/Content", "v1")
  eq(d._files["/etc/app/keep.conf"], "v1")

  c.begin(ctx)
  c.replace(ctx, "keep/Content", "v2")
  c.add(ctx, "motd", nil, "node")
  c.replace(ctx, "motd/Path", "/etc/motd")
  c.replace(ctx, "motd/Content", "new motd\n")
  c.add(ctx, "fresh", nil, "node")
  c.replace(ctx, "fresh/Path", "/etc/app/fresh")
  c.replace(ctx, "fresh/Content", "x")
  eq(d._files["/etc/motd"], "new motd\n")
  c.rollback(ctx)

  eq(d._files["/etc/app/keep.conf"], "v1")
  eq(d._files["/etc/motd"], "old motd\n")
  eq(table.concat(c.get(ctx, ""), "/"), "keep")
  eq(c.get(ctx, "keep/Content"), "v1")
  eq(status_of(c.get, ctx, "motd/Path"), 404)
end)

test("Files: commit keeps what the Atomic did", function()
  local d = files_dm()
  local c = load_csp("Files")
  local ctx = { scope = "device", mount = "./Vendor/luadm/Files" }
  c.begin(ctx)
  c.add(ctx, "motd", nil, "node")
  c.replace(ctx, "motd/Path", "/etc/motd")
  c.replace(ctx, "motd/Content", "committed\n")
  c.commit(ctx)
  c.rollback(ctx) -- nothing left to undo
  eq(d._files["/etc/motd"], "committed\n")
  eq(table.concat(c.get(ctx, ""), "/"), "motd")
  eq(c.get(ctx, "motd/Mode"), "0644")
end)
