-- A server message far too big: a well-formed message of 100 MB (one Data
-- element that large), written at test time into the scenario's temp dir.
-- luadm must refuse it as a whole before reading it: a clear error on
-- stderr, exit 1, no reply, nothing of it runs, quickly, and without
-- holding the file in memory (its peak RSS stays well under the file's
-- size; measured with /usr/bin/time when it is there).
use_csp "tests/data/csp/Store.lua"
local S = "./Vendor/Test/Store"
-- generous under a wrapper such as valgrind
local WRAPPED = os.getenv("LUADM_WRAP") ~= nil
local QUICK = WRAPPED and 60 or 10
local MB = 1024 * 1024
local SIZE = 100 * MB

-- Writes the message in 1 MB chunks: the harness never holds it either.
local path = tmpdir .. "/big-message.xml"
local head = '<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD>' ..
    '<VerProto>DM/1.2</VerProto><SessionID>1</SessionID><MsgID>1</MsgID>' ..
    '<Target><LocURI>DEV</LocURI></Target><Source><LocURI>' ..
    'https://dm.example.test/dm</LocURI></Source></SyncHdr><SyncBody>' ..
    '<Replace><CmdID>2</CmdID><Item><Target><LocURI>' .. S .. '/a' ..
    '</LocURI></Target><Data>'
local tail = '</Data></Item></Replace><Final/></SyncBody></SyncML>\n'
do
  local f = assert(io.open(path, "wb"))
  local chunk = string.rep("A", MB)
  local left = SIZE - #head - #tail
  assert(f:write(head))
  while left > 0 do
    local n = math.min(left, #chunk)
    assert(f:write(n == #chunk and chunk or chunk:sub(1, n)))
    left = left - n
  end
  assert(f:write(tail))
  assert(f:close())
end

scenario "a 100 MB message is refused before it is read"
local size = assert(io.open(path, "rb")):seek("end")
expect(size, "the message's size"):is(SIZE)
local res = luadm("replay", "--server-id", "srv", "--devid", "DEV", path)
expect(res.code, "exit code"):is(1)
expect(res.stdout, "stdout (no reply)"):is("")
-- one line naming the file and saying why
expect(res.stderr, "stderr"):matches("luadm: [^\n]*big%-message%.xml[^\n]*" ..
    "too big")
expect(res.elapsed, "seconds"):at_most(QUICK)
-- nothing of it ran
tree_get(S .. "/a"):is("old")

-- Peak memory of the same run, from /usr/bin/time (GNU time: %M is the
-- maximum resident set size in KB). Skipped under a wrapper, whose own
-- memory would be measured, and where /usr/bin/time is missing.
local function shq(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end
local time = io.open("/usr/bin/time", "rb")
if time and not WRAPPED then
  time:close()
  scenario "the refusal does not take the message's size in memory"
  local argv = {}
  for _, a in ipairs(res.argv) do
    argv[#argv + 1] = shq(a)
  end
  local out = tmpdir .. "/time.out"
  local cmd = "/usr/bin/time -f 'maxrss_kb=%M' -o " .. shq(out) .. " " ..
      table.concat(argv, " ") .. " >/dev/null 2>&1"
  os.execute(cmd)
  local f = io.open(out, "rb")
  local text = f and f:read("a") or ""
  if f then
    f:close()
  end
  local kb = tonumber(text:match("maxrss_kb=(%d+)"))
  ok(kb ~= nil, "/usr/bin/time reported the peak RSS: " .. text)
  if kb then
    -- well under the 100 MB it would take to hold the message (an
    -- AddressSanitizer build adds its own tens of MB)
    expect(kb, "peak RSS of luadm in KB"):at_most(64 * 1024)
  end
end
