-- The server's MaxMsgSize: replies never exceed it. Statuses and Results
-- spill over into further messages (no Final until the package is
-- complete), and a value larger than a whole message goes in chunks
-- (MoreData, Meta Size in the first chunk only).

use_csp "tests/data/csp/Store.lua"

local function value(n)
  local t = {}
  for i = 1, n do t[i] = string.char(97 + (i * 7) % 26) end
  return table.concat(t)
end

local MAX = 1500
local function hdr_meta(max)
  return string.format('<Meta><MaxMsgSize xmlns="syncml:metinf">%d</MaxMsgSize></Meta>', max)
end

-- the server's "send the next message" answer to our message n
local function next_please(n)
  return string.format([[<Status><CmdID>1</CmdID><MsgRef>%d</MsgRef><CmdRef>0</CmdRef>
    <Cmd>SyncHdr</Cmd><Data>200</Data></Status>
    <Alert><CmdID>2</CmdID><Data>1222</Data></Alert>]], n)
end

scenario "a large Get result goes in chunks within MaxMsgSize"
local big = value(4000)
local s0 = session { server_id = "srv", devid = "DEV" }
s0:send(Add(2, "./Vendor/Test/Store/big", big))
s0:reply():status(2):is(200)
s0:finish()

local s = session { server_id = "srv", devid = "DEV" }
s:send(Get(2, "./Vendor/Test/Store/big"), { hdr = hdr_meta(MAX) })
for i = 1, 8 do
  s:send(next_please(i + 1), { final = false })
end
local got, finals, chunks, sizes = {}, 0, 0, {}
local done_at
for i = 1, 9 do
  local r = s:reply(i)
  ok(#r.xml <= MAX, "reply " .. i .. " is " .. #r.xml .. " bytes, over MaxMsgSize")
  for _, d in ipairs(r:xpath("//s:Results/s:Item/s:Data")) do
    got[#got + 1] = d
    chunks = chunks + 1
  end
  for _, sz in ipairs(r:xpath("//s:Results/s:Item/s:Meta/m:Size")) do
    sizes[#sizes + 1] = sz
  end
  local more = r:count("//s:Results/s:Item/s:MoreData")
  if r:final() then
    finals = finals + 1
    done_at = done_at or i
    expect(more, "no MoreData in the last chunk"):is(0)
  elseif r:count("//s:Results") > 0 then
    expect(more, "a chunk before the last has MoreData"):is(1)
  end
  if done_at then break end
end
ok(chunks >= 3, "the value went in several chunks (" .. chunks .. ")")
expect(table.concat(got), "the chunks make up the value"):is(big)
expect(sizes, "Meta Size only in the first chunk"):is({ "4000" })
ok(done_at ~= nil, "the package ended with Final")
s:reply(1):status(2):is(200)

scenario "many Statuses spill over into the next message"
local s2 = session { server_id = "srv", devid = "DEV" }
local body = {}
for i = 1, 40 do
  body[#body + 1] = Replace(100 + i, "./Vendor/Test/Store/a", "v" .. i)
end
s2:send(table.concat(body), { hdr = hdr_meta(MAX) })
for i = 1, 6 do
  s2:send(next_please(i + 1), { final = false })
end
local seen, last = {}, nil
for i = 1, 7 do
  local r = s2:reply(i)
  ok(#r.xml <= MAX, "reply " .. i .. " over MaxMsgSize")
  for _, st in ipairs(r:statuses()) do
    if st.cmd == "Replace" then seen[#seen + 1] = tonumber(st.cmdref) end
  end
  if r:final() then last = i break end
end
ok(last and last > 1, "more than one message")
expect(#seen, "every Replace got its Status"):is(40)
for i = 1, #seen do
  if seen[i] ~= 100 + i then fail("Status order: " .. tostring(seen[i])) break end
end

scenario "chunks never cut a UTF-8 character"
local utf = string.rep("é€😀", 400)	-- 2, 3 and 4-byte characters
local s3 = session { server_id = "srv", devid = "DEV" }
s3:send(Add(2, "./Vendor/Test/Store/utf", utf))
s3:reply():status(2):is(200)
s3:finish()
local s4 = session { server_id = "srv", devid = "DEV" }
s4:send(Get(3, "./Vendor/Test/Store/utf"), { hdr = hdr_meta(MAX) })
for i = 1, 8 do
  s4:send(next_please(i + 1), { final = false })
end
local parts, done = {}, false
for i = 1, 9 do
  local r = s4:reply(i)
  ok(#r.xml <= MAX, "reply " .. i .. " over MaxMsgSize")
  for _, d in ipairs(r:xpath("//s:Results/s:Item/s:Data")) do
    parts[#parts + 1] = d
  end
  if r:final() then done = true break end
end
ok(done, "the package ended")
ok(#parts >= 2, "the value went in chunks (" .. #parts .. ")")
expect(table.concat(parts), "the chunks make up the value"):is(utf)

scenario "the Alert 1222 asking for more fits within MaxMsgSize too"
-- the server's package goes on (no Final): our reply is Statuses up to
-- the limit plus the Alert 1222 for the server's next message, and all of
-- it stays within MaxMsgSize, wherever the limit falls among the Statuses
local b5 = {}
for i = 1, 40 do
  b5[#b5 + 1] = Replace(100 + i, "./Vendor/Test/Store/a", "v" .. i)
end
local over, closest = {}, 0
for max = 1400, 1520, 4 do
  local s5 = session { server_id = "srv", devid = "DEV" }
  s5:send(table.concat(b5), { hdr = hdr_meta(max), final = false })
  local r5 = s5:reply(1)
  if #r5.xml > max then
    over[#over + 1] = #r5.xml .. " > " .. max
  end
  closest = math.max(closest, #r5.xml - max)
  expect(r5:count("//s:Alert[s:Data='1222']"), "the Alert 1222"):is(1)
end
expect(over, "replies over MaxMsgSize"):is({})
ok(closest > -120, "the replies were filled up to the limit (" .. closest .. ")")
