-- miltertest.lua - one message through a running smime-milter over the
-- milter protocol (miltertest, the independent MTA side from OpenDKIM).
-- Environment: SOCK (milter socket), MSG (message file), WANT (the exact
-- Authentication-Results value, unfolded), SIGNER ("yes" when an
-- X-SMIME-Signer must be inserted), DELETES (space-separated field names
-- whose deletion must be requested, may be empty).

local sock, msgfile, want = os.getenv("SOCK"), os.getenv("MSG"), os.getenv("WANT")
local signer, deletes = os.getenv("SIGNER"), os.getenv("DELETES") or ""

-- miltertest exits 1 on error() without showing the message: echo it.
local function fail(msg)
	mt.echo("FAIL: " .. msg)
	error(msg)
end

local f = assert(io.open(msgfile, "rb"))
local text = f:read("*a")
f:close()
text = text:gsub("\r\n", "\n")
local hdr, body = text:match("^(.-)\n\n(.*)$")
if hdr == nil then fail("no header/body split in " .. msgfile) end

mt.set_timeout(30)
local conn = mt.connect(sock, 40, 0.25)
if conn == nil then fail("mt.connect() failed") end
if mt.conninfo(conn, "mx.example.org", "192.0.2.25") ~= nil then
	fail("mt.conninfo() failed")
end
if mt.getreply(conn) ~= SMFIR_CONTINUE then fail("conninfo reply") end
mt.macro(conn, SMFIC_MAIL, "i", "MTTEST1")
if mt.mailfrom(conn, "<sender@example.jp>") ~= nil then fail("mailfrom") end
-- The recipient is sent implicitly by the first mt.header() (an explicit
-- mt.rcptto() aborts the script in the Debian build of miltertest).

-- Header fields as an MTA hands them over: folding kept as LF + WSP.
local name, value
local function send()
	if name ~= nil then
		if mt.header(conn, name, value) ~= nil then
			fail("mt.header(" .. name .. ") failed")
		end
	end
end
for line in (hdr .. "\n"):gmatch("(.-)\n") do
	if line:match("^[ \t]") and name ~= nil then
		value = value .. "\n" .. line
	else
		send()
		name, value = line:match("^([^:]+):[ ]?(.*)$")
	end
end
send()
if mt.eoh(conn) ~= nil then fail("mt.eoh() failed") end

-- Body with CRLF line ends, in chunks of at most 65535 bytes (the
-- protocol limit MTAs keep to).
body = body:gsub("\n", "\r\n")
local pos = 1
while pos <= #body do
	if mt.bodystring(conn, body:sub(pos, pos + 65534)) ~= nil then
		fail("mt.bodystring() failed")
	end
	pos = pos + 65535
end
if mt.eom(conn) ~= nil then fail("mt.eom() failed") end
if mt.getreply(conn) ~= SMFIR_ACCEPT and mt.getreply(conn) ~= SMFIR_CONTINUE then
	fail("unexpected end-of-message reply")
end

local ar = mt.getheader(conn, "Authentication-Results", 0)
if ar == nil then fail("no Authentication-Results inserted") end
local unfolded = ar:gsub("\r?\n[ \t]", " ")
if unfolded ~= want then
	fail("A-R mismatch\n  want: " .. want .. "\n  got:  " .. unfolded)
end
if not mt.eom_check(conn, MT_HDRINSERT, "Authentication-Results", ar, 0) then
	fail("Authentication-Results not inserted at the top")
end
local has_signer = mt.eom_check(conn, MT_HDRINSERT, "X-SMIME-Signer")
if (signer == "yes") ~= has_signer then
	fail("X-SMIME-Signer presence wrong")
end
for d in deletes:gmatch("%S+") do
	if not mt.eom_check(conn, MT_HDRDELETE, d) then
		fail("deletion of " .. d .. " not requested")
	end
end
if mt.eom_check(conn, MT_BODYCHANGE) then fail("body changed") end
if mt.eom_check(conn, MT_HDRADD) then fail("field appended") end
mt.disconnect(conn)
