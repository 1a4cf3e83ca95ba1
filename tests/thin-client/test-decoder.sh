#!/usr/bin/env bash
# Suite: tessera-view-decoder against a real test qube (QEMU, TCG) behind
# tessera-render, driven by decoder-probe (a stand-in compositor): frames
# in a sealed memfd, damage, typing, the sandbox, refusals (certificates,
# downgrades), the server going away, and garbage from the compositor.
source "$TSR_ROOT/tests/lib/tap.sh"

RUN_QUBE=$TSR_ROOT/tests/images/run-qube
RENDER=$TSR_BUILD/bin/tessera-render
DECODER=$TSR_BUILD/bin/tessera-view-decoder
PROBE=$TSR_BUILD/tests/decoder-probe
FAKE=$TSR_ROOT/tests/thin-client/fakerfb.py
CA_BIN=$TSR_BUILD/bin/tessera-ca
IMAGES=${TSR_IMAGES:-$TSR_ROOT/build/images}
TMP=${TSR_TMP:-$(mktemp -d)}
RUSER=tessera-render
DLOG=$TMP/decoder.err
# under ASan: libvncclient's own leaks in the decoder (see the file)
export LSAN_OPTIONS="suppressions=$TSR_ROOT/tests/thin-client/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
qpid='' rpid='' fpid='' bpid=''

cleanup() {
	[ -n "$bpid" ] && kill "$bpid" 2>/dev/null
	[ -n "$fpid" ] && kill "$fpid" 2>/dev/null
	[ -n "$rpid" ] && kill "$rpid" 2>/dev/null
	[ -n "$qpid" ] && "$RUN_QUBE" --stop "$qpid"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

for f in "$RENDER" "$DECODER" "$PROBE" "$CA_BIN" "$IMAGES/vmlinux" \
    "$IMAGES/testqube.cpio.gz"; do
	if [ ! -e "$f" ]; then
		fail "$f is built"
		done_testing
	fi
done

# --- usage ---
ok "--help" "$DECODER" --help
"$DECODER" --port 1 --ca x --cert x --key x 3</dev/null 2>/dev/null
is "$?" 2 "no --host: usage (exit 2)"
"$DECODER" --host 127.0.0.1 --port 99999 --ca /dev/null --cert /dev/null \
	--key /dev/null 3</dev/null 2>/dev/null
is "$?" 2 "a bad --port: usage (exit 2)"
"$DECODER" --host 127.0.0.1 --port 5900 --ca /dev/null --cert /dev/null \
	--key /dev/null 3</dev/null 2>/dev/null
is "$?" 2 "fd 3 not a SOCK_SEQPACKET socket: usage (exit 2)"

# --- the PKI: ours, and a stranger's ---
export TESSERA_CA_DIR=$TMP/ca
C=$TMP/ca/issued
{
	"$CA_BIN" init --name "view test CA"
	"$CA_BIN" issue server render --dns localhost --ip 127.0.0.1
	"$CA_BIN" issue client viewer
	"$CA_BIN" issue client old --not-before 2020-01-01 --days 30
	TESSERA_CA_DIR=$TMP/other "$CA_BIN" init --name "other CA"
	TESSERA_CA_DIR=$TMP/other "$CA_BIN" issue client eve
	TESSERA_CA_DIR=$TMP/other "$CA_BIN" issue server render --dns localhost \
		--ip 127.0.0.1
} >"$TMP/ca.log" 2>&1
is "$?" 0 "tessera-ca makes the certificates"

# --- a refused connection needs no qube ---
port=$(free_port)
"$PROBE" --frames 0 --want-exit 3 --timeout 30 -- "$DECODER" --host 127.0.0.1 \
	--port "$port" --ca "$TMP/ca/ca.crt" --cert "$C/viewer.crt" \
	--key "$C/viewer.key" --name work >"$TMP/p.out" 2>>"$DLOG"
is "$?" 0 "nothing listening: exit 3 ($(cat "$TMP/p.out"))"

# --- downgrades from a fake server ---
fake() {	# mode: runs the fake server and a decoder against it
	rm -f "$TMP/fake.port"
	"$FAKE" "$TMP/fake.port" "$1" >"$TMP/fake.out" 2>&1 &
	fpid=$!
	WAIT_FOR_SECONDS=10 wait_for test -s "$TMP/fake.port"
	"$PROBE" --frames 0 --want-exit 3 --timeout 60 -- "$DECODER" \
		--host 127.0.0.1 --port "$(cat "$TMP/fake.port")" \
		--ca "$TMP/ca/ca.crt" --cert "$C/viewer.crt" \
		--key "$C/viewer.key" --name fake >"$TMP/p.out" 2>>"$DLOG"
	local rc=$?
	wait "$fpid"
	fpid=''
	return $rc
}
fake none
is "$?" 0 "security type None only: refused, exit 3 ($(cat "$TMP/fake.out"))"
fake vnc-none
is "$?" 0 "VeNCrypt without TLS (subtype None): refused, exit 3"
diag "fake server: $(cat "$TMP/fake.out")"
nok "... before anything but ClientInit was sent" \
	grep -q "after ServerInit the client sent: b'.\+'" "$TMP/fake.out"
fake vnc-plain
is "$?" 0 "VeNCrypt Plain (a password in clear): refused, exit 3"
ok "... the log says why" grep -q "refused:" "$DLOG"

# --- the qube, and tessera-render on its display ---
mkdir -p "$TMP/q"
if ! qpid=$("$RUN_QUBE" --name work --vnc "$TMP/q/vnc" --qmp "$TMP/q/qmp" \
	--size 1024x768 --append "tessera.fps=10" --timeout 120 --lifetime 900 \
	2>"$TMP/run-qube.err"); then
	fail "the qube boots"
	diag "$(cat "$TMP/run-qube.err")"
	done_testing
fi
pass "the qube boots"

id "$RUSER" >/dev/null 2>&1 || useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$RUSER"
chmod 711 "$TMP" "$TMP/q"
chmod 666 "$TMP/q/vnc"

start_render() {
	: >"$TMP/render.out"
	"$RENDER" --qube work --label blue --display "$TMP/q/vnc" \
		--vnc 127.0.0.1:0 --rdp 127.0.0.1:0 \
		--cert "$C/render.crt" --key "$C/render.key" \
		--ca "$TMP/ca/ca.crt" --user "$RUSER" -d -v \
		>"$TMP/render.out" 2>>"$TMP/render.err" &
	rpid=$!
	WAIT_FOR_SECONDS=10 wait_for grep -q '^vnc ' "$TMP/render.out"
	PORT=$(awk '/^vnc /{print $2}' "$TMP/render.out")
	WAIT_FOR_SECONDS=10 wait_for grep -q '^rdp ' "$TMP/render.out"
	RPORT=$(awk '/^rdp /{print $2}' "$TMP/render.out")
}
start_render
if [ -z "$PORT" ]; then
	fail "tessera-render prints its VNC port"
	diag "$(cat "$TMP/render.err")"
	done_testing
fi
pass "tessera-render serves the qube on port $PORT"

D=("$DECODER" --host 127.0.0.1 --port "$PORT" --ca "$TMP/ca/ca.crt" --name work)
VIEWER=(--cert "$C/viewer.crt" --key "$C/viewer.key")

# --- frames ---
out=$("$PROBE" --frames 5 --timeout 90 -- "${D[@]}" "${VIEWER[@]}" 2>>"$DLOG")
rc=$?
is "$rc" 0 "frames arrive in the memfd and the counter advances; EOF on fd 3: exit 0"
diag "$out"
frames=$(grep '^frames:' <<<"$out")
ok "the buffer is the qube's 1024x768 screen" grep -q ', 1024x768,' <<<"$frames"
bars=$(sed -n 's/.*bars within \([0-9]*\).*/\1/p' <<<"$frames")
ok "0x00RRGGBB: the colour bars are right (largest error ${bars:-?})" \
	test "${bars:-999}" -le 24
is "$(sed -n 's/.*seccomp \([0-9]*\).*/\1/p' <<<"$frames")" 2 \
	"the decoder runs under a seccomp filter (Seccomp: 2) once connected"
ok "TV_PING is answered with TV_PONG" grep -q ', pong,' <<<"$frames"
ok "its log lines carry the qube's name" \
	grep -q '^tessera-view-decoder\[work\]: handshake done: VeNCrypt X509None' "$DLOG"

out=$("$PROBE" --frames 1 --type "tessera 42" --timeout 90 -- "${D[@]}" \
	"${VIEWER[@]}" 2>>"$DLOG")
is "$?" 0 "typed keys (TV_KEY) reach the qube: its echo line shows them"
diag "$out"

# --- refusals by the server and by the decoder ---
for c in "other/issued/eve:a certificate from another CA" \
    "ca/issued/old:an expired certificate"; do
	f=$TMP/${c%%:*}
	"$PROBE" --frames 0 --want-exit 3 --timeout 60 -- "${D[@]}" \
		--cert "$f.crt" --key "$f.key" >"$TMP/p.out" 2>>"$DLOG"
	is "$?" 0 "refused by tessera-render: ${c#*:}, exit 3 ($(cat "$TMP/p.out"))"
done
"$PROBE" --frames 0 --want-exit 3 --timeout 60 -- "${D[@]}" --cert /dev/null \
	--key /dev/null >"$TMP/p.out" 2>>"$DLOG"
is "$?" 0 "no client certificate: exit 3 ($(cat "$TMP/p.out"))"
"$PROBE" --frames 0 --want-exit 3 --timeout 60 -- "$DECODER" --host 127.0.0.1 \
	--port "$PORT" --ca "$TMP/other/ca.crt" "${VIEWER[@]}" --name work \
	>"$TMP/p.out" 2>>"$DLOG"
is "$?" 0 "a server certificate from another CA (--ca): exit 3 ($(cat "$TMP/p.out"))"

# --- RDP: refusals (a logon needs tessera-vmd's ticket: test-view.sh) ---
# (a HOME without FreeRDP's configuration directories: it must not make them)
R=(/usr/bin/env HOME="$TMP/no-home" "$DECODER" --rdp --host 127.0.0.1 --port "$RPORT"
	--name work "${VIEWER[@]}")
"$PROBE" --frames 0 --want-exit 2 --timeout 30 -- "${R[@]}" --ca "$TMP/ca/ca.crt" \
	</dev/null >"$TMP/p.out" 2>>"$DLOG"
is "$?" 0 "--rdp without a ticket on stdin: usage, exit 2 ($(cat "$TMP/p.out"))"
printf 'tessera-ticket\n%064d\n' 0 >"$TMP/ticket"
"$PROBE" --frames 0 --want-exit 3 --timeout 60 -- "${R[@]}" --ca "$TMP/other/ca.crt" \
	<"$TMP/ticket" >"$TMP/p.out" 2>>"$DLOG"
is "$?" 0 "--rdp: a server certificate from another CA: exit 3 ($(cat "$TMP/p.out"))"
ok "... refused by the decoder's own check, before logging on" \
	grep -q "tessera-view-decoder\[work\]: refused: the server's certificate" "$DLOG"
nok "... so tessera-render never saw the ticket" \
	grep -q 'user:tessera-ticket' "$TMP/render.err" "$TMP/render.out"
"$PROBE" --frames 0 --want-exit 3 --timeout 60 -- "${R[@]}" --ca "$TMP/ca/ca.crt" \
	<"$TMP/ticket" >"$TMP/p.out" 2>>"$DLOG"
is "$?" 0 "--rdp: a ticket a render-server without tessera-vmd cannot redeem: exit 3 ($(cat "$TMP/p.out"))"
ok "... tessera-render says why" grep -q 'user:tessera-ticket: tickets need --vmd' \
	"$TMP/render.err" "$TMP/render.out"
ok "... and nothing was made in HOME" test ! -e "$TMP/no-home"

# --- garbage from the compositor ---
for kind in short long unknown badkey badpointer fd; do
	"$PROBE" --frames 1 --send "$kind" --want-exit 1 --timeout 60 -- \
		"${D[@]}" "${VIEWER[@]}" >"$TMP/p.out" 2>>"$DLOG"
	is "$?" 0 "garbage on fd 3 ($kind): the decoder exits 1, no crash ($(tail -n 1 "$TMP/p.out"))"
done

# --- the qube restarts at another size: a new buffer, under stage 2 ---
"$PROBE" --frames 2 --want-size 800x600 --timeout 150 -- "${D[@]}" "${VIEWER[@]}" \
	>"$TMP/resize.out" 2>>"$DLOG" &
bpid=$!
sleep 2
"$RUN_QUBE" --stop "$qpid"
qpid=''
if qpid=$("$RUN_QUBE" --name work2 --vnc "$TMP/q/vnc" --qmp "$TMP/q/qmp2" \
	--size 800x600 --append "tessera.fps=10" --timeout 120 --lifetime 900 \
	2>"$TMP/run-qube2.err"); then
	chmod 666 "$TMP/q/vnc"
	pass "the qube boots again at 800x600"
else
	fail "the qube boots again at 800x600"
	diag "$(cat "$TMP/run-qube2.err")"
fi
wait "$bpid"
is "$?" 0 "a decoder connected across the restart gets a new 800x600 buffer and frames"
bpid=''
diag "$(cat "$TMP/resize.out")"
ok "... in a second TV_FB" grep -q ', 800x600, .* 2 buffers' "$TMP/resize.out"

# --- the server goes away ---
"$PROBE" --frames 1 --hold --want-exit 1 --timeout 60 -- "${D[@]}" "${VIEWER[@]}" \
	>"$TMP/hold.out" 2>>"$DLOG" &
bpid=$!
if WAIT_FOR_SECONDS=60 wait_for grep -q '^frames:' "$TMP/hold.out"; then
	kill "$rpid"
	wait "$rpid" 2>/dev/null
	rpid=''
	wait "$bpid"
	is "$?" 0 "tessera-render stopped under a connected decoder: exit 1 ($(tail -n 1 "$TMP/hold.out"))"
else
	fail "tessera-render stopped under a connected decoder: exit 1"
	diag "$(cat "$TMP/hold.out")"
fi
bpid=''
ok "... and it says so" grep -q 'tessera-view-decoder\[work\]: connection lost' "$DLOG"

err=$(grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error|SIGSYS|Bad system call' "$DLOG" | head -n 3)
is "$err" "" "the decoders' log has no sanitizer report"
cp "$DLOG" "$TSR_BUILD/test-logs/tessera-view-decoder.log" 2>/dev/null
done_testing
