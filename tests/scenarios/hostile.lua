-- Hostile input: what a broken or malicious server may send. Each message
-- must be refused as a whole (nothing of it runs, no reply, exit 1) with a
-- clear message on stderr, quickly, without reading local files or the
-- network, and without blowing up memory or the stack.
use_csp "tests/data/csp/Store.lua"
local S = "./Vendor/Test/Store"
-- generous under a wrapper such as valgrind
local QUICK = os.getenv("LUADM_WRAP") and 60 or 10

local HEAD = '<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD>' ..
    '<VerProto>DM/1.2</VerProto><SessionID>1</SessionID><MsgID>1</MsgID>' ..
    '<Target><LocURI>DEV</LocURI></Target><Source><LocURI>https://dm.example.test/dm' ..
    '</LocURI></Source></SyncHdr><SyncBody>'
local TAIL = '<Final/></SyncBody></SyncML>'
local REPLACE_A = '<Replace><CmdID>2</CmdID><Item><Target><LocURI>' ..
    './Vendor/Test/Store/a</LocURI></Target><Data>%s</Data></Item></Replace>'

-- Sends one message alone in a session and checks it is refused.
local function refused(name, text)
  scenario(name)
  local s = session {}
  s:send_raw(text)
  expect(s:exit_code(), name .. ": luadm exit code"):is(1)
  s:no_reply(1)
  expect(s:stdout(), name .. ": stdout"):is("")
  expect(s:stderr(), name .. ": stderr"):matches("luadm: [^\n]*msg%-1%.xml: [^\n]*refused")
  expect(s:elapsed(), name .. ": seconds"):at_most(QUICK)
  tree_get(S .. "/a"):is("old")
  return s
end

refused("truncated XML",
    (HEAD .. REPLACE_A:format("cut") .. TAIL):sub(1, 250))

refused("truncated in the middle of a tag",
    HEAD .. '<Replace><CmdID>2</CmdID><Item><Tar')

local bomb = { '<?xml version="1.0"?>\n<!DOCTYPE SyncML [\n',
  '<!ENTITY lol "lol">\n' }
local prev = "lol"
for i = 1, 9 do
  local name = "lol" .. i
  bomb[#bomb + 1] = '<!ENTITY ' .. name .. ' "' ..
      string.rep("&" .. prev .. ";", 10) .. '">\n'
  prev = name
end
bomb[#bomb + 1] = ']>\n'
bomb[#bomb + 1] = HEAD .. REPLACE_A:format("&lol9;") .. TAIL
local s = refused("an entity bomb (billion laughs)", table.concat(bomb))
expect(s:stderr()):lacks("lollollol")

s = refused("an external entity (file:///etc/passwd)",
    '<?xml version="1.0"?>\n' ..
    '<!DOCTYPE SyncML [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>\n' ..
    HEAD .. REPLACE_A:format("&xxe;") .. TAIL)
expect(s:stderr()):lacks("root:")

-- An external DTD or parameter entity is never loaded: whether the message
-- is refused or not, the entity it defines must not reach the tree.
local evil = tmpdir .. "/evil.dtd"
local f = assert(io.open(evil, "w"))
f:write('<!ENTITY pw "LEAKED">\n')
f:close()
local function not_loaded(name, doctype)
  scenario(name)
  local s = session {}
  s:send_raw('<?xml version="1.0"?>\n' .. doctype .. '\n' ..
      HEAD .. REPLACE_A:format("&pw;"):gsub("Store/a", "Store/b") .. TAIL)
  expect(s:exit_code(), name .. ": luadm exit code"):at_most(1)
  expect(s:stdout(), name .. ": stdout"):lacks("LEAKED")
  expect(s:elapsed(), name .. ": seconds"):at_most(QUICK)
  tree_get(S .. "/b"):is_not("LEAKED")
  tree_get(S .. "/a"):is("old")
end
not_loaded("an external DTD is not loaded",
    '<!DOCTYPE SyncML SYSTEM "file://' .. evil .. '">')
not_loaded("an external parameter entity is not loaded",
    '<!DOCTYPE SyncML [ <!ENTITY % ext SYSTEM "file://' .. evil ..
    '"> %ext; ]>')
not_loaded("an external DTD over the network is not fetched",
    '<!DOCTYPE SyncML SYSTEM "http://127.0.0.1:9/syncml.dtd">')

local deep = {}
for i = 1, 100000 do
  deep[#deep + 1] = "<Sequence><CmdID>" .. i .. "</CmdID>"
end
deep[#deep + 1] = REPLACE_A:format("deep")
for _ = 1, 100000 do
  deep[#deep + 1] = "</Sequence>"
end
refused("100000-deep nesting", HEAD .. table.concat(deep) .. TAIL)

local deep_data = HEAD .. "<Replace><CmdID>2</CmdID><Item><Target><LocURI>" ..
    "./Vendor/Test/Store/a</LocURI></Target><Data>" ..
    string.rep("<x>", 100000) .. string.rep("</x>", 100000) ..
    "</Data></Item></Replace>" .. TAIL
refused("100000-deep nesting inside Data", deep_data)

-- deterministic garbage: a linear congruential generator, NUL bytes included
local bytes, x = {}, 12345
for i = 1, 65536 do
  x = (x * 1103515245 + 12345) % 2147483648
  bytes[i] = string.char((x >> 16) & 0xff)
end
refused("binary garbage", table.concat(bytes))
refused("binary garbage after a valid start", HEAD .. table.concat(bytes, "", 1, 4096))
refused("an empty message", "")
refused("XML that is not SyncML", '<html><body>Hello</body></html>')

scenario "a refused message ends the session: earlier replies stand"
s = session {}
s:send(Replace(2, S .. "/b", "first"))
s:send_raw((HEAD .. REPLACE_A:format("second") .. TAIL):sub(1, 200))
s:send(Replace(2, S .. "/b", "third"))
s:reply(1):status(2):is(200)
s:no_reply(2)
s:no_reply(3)
expect(s:exit_code()):is(1)
expect(s:stderr()):contains("msg-2.xml")
tree_get(S .. "/b"):is("first")
tree_get(S .. "/a"):is("old")
