#!/usr/bin/env bash
# Suite: tessera-render's VNC side against a real test qube (QEMU, TCG) and
# real viewers: a libvncclient viewer with a client certificate (X509None,
# exact frames, typing), TigerVNC with a password (X509Plain) under Xvfb
# (the trust frame checked pixel by pixel on a screenshot), refusals,
# stalled and hostile clients, and the qube restarting under a viewer.
source "$TSR_ROOT/tests/lib/tap.sh"

RUN_QUBE=$TSR_ROOT/tests/images/run-qube
RENDER=$TSR_BUILD/bin/tessera-render
VIEWER=$TSR_BUILD/tests/render-viewer
PROBE=$TSR_ROOT/tests/render-server/rfbprobe.py
CA_BIN=$TSR_BUILD/bin/tessera-ca
IMAGES=${TSR_IMAGES:-$TSR_ROOT/build/images}
TMP=${TSR_TMP:-$(mktemp -d)}
RUSER=tessera-render
# under ASan: libvncclient's own leaks in the test viewer (see the file)
export LSAN_OPTIONS="suppressions=$TSR_ROOT/tests/render-server/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
qpid='' rpid='' xpid='' vpid=''

cleanup() {
	[ -n "$vpid" ] && kill "$vpid" 2>/dev/null
	[ -n "$xpid" ] && kill "$xpid" 2>/dev/null
	[ -n "$rpid" ] && kill "$rpid" 2>/dev/null
	[ -n "$qpid" ] && "$RUN_QUBE" --stop "$qpid"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

for f in "$RENDER" "$VIEWER" "$CA_BIN" "$IMAGES/vmlinux" "$IMAGES/testqube.cpio.gz"; do
	if [ ! -e "$f" ]; then
		fail "$f is built"
		done_testing
	fi
done

ok "--help" "$RENDER" --help
nok "no --display: usage" "$RENDER" --qube q --label red --vnc 127.0.0.1:0 \
	--cert x --key x --ca x
nok "a bad label is refused" "$RENDER" --qube q --label mauve --display x \
	--vnc 127.0.0.1:0 --cert x --key x --ca x -d

# --- the PKI: ours, and a stranger's ---
export TESSERA_CA_DIR=$TMP/ca
C=$TMP/ca/issued
{
	"$CA_BIN" init --name "render test CA"
	"$CA_BIN" issue server render --dns localhost --ip 127.0.0.1
	"$CA_BIN" issue client alice
	"$CA_BIN" issue client mallory
	"$CA_BIN" issue client old --not-before 2020-01-01 --days 30
	"$CA_BIN" revoke mallory
	"$CA_BIN" crl
	TESSERA_CA_DIR=$TMP/other "$CA_BIN" init --name "other CA"
	TESSERA_CA_DIR=$TMP/other "$CA_BIN" issue client eve
} >"$TMP/ca.log" 2>&1
is "$?" 0 "tessera-ca makes the certificates (incl. an expired and a revoked one)"

# --- passwords ---
printf 's3cret pass\n' | "$RENDER" passwd "$TMP/passwd" bob
is "$?" 0 "tessera-render passwd adds a user"
printf 'other\n' | "$RENDER" passwd "$TMP/passwd" carol
printf 'new pass\n' | "$RENDER" passwd "$TMP/passwd" bob
ok "... and replaces one: two lines, scrypt" sh -c \
	"[ \$(wc -l <'$TMP/passwd') -eq 2 ] && grep -q '^bob:scrypt\\\$32768\\\$8\\\$1\\\$' '$TMP/passwd'"
is "$(stat -c %a "$TMP/passwd")" 600 "the password file is 0600"
nok "a bad user name is refused" sh -c "echo x | '$RENDER' passwd '$TMP/passwd' 'a:b'"

# --- the qube, and tessera-render on its display as an unprivileged user ---
mkdir -p "$TMP/q"
if ! qpid=$("$RUN_QUBE" --name work --vnc "$TMP/q/vnc" --qmp "$TMP/q/qmp" \
	--size 1280x800 --append "tessera.fps=10" --timeout 120 --lifetime 900 \
	2>"$TMP/run-qube.err"); then
	fail "the qube boots"
	diag "$(cat "$TMP/run-qube.err")"
	done_testing
fi
pass "the qube boots"

id "$RUSER" >/dev/null 2>&1 || useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$RUSER"
ok "the $RUSER system user exists" id "$RUSER"
# the device model's socket must be reachable by that user
chmod 711 "$TMP" "$TMP/q"
chmod 666 "$TMP/q/vnc"

start_render() {	# extra args...
	"$RENDER" --qube work --label blue --display "$TMP/q/vnc" \
		--vnc 127.0.0.1:0 --cert "$C/render.crt" --key "$C/render.key" \
		--ca "$TMP/ca/ca.crt" --crl "$TMP/ca/crl.pem" --passwd "$TMP/passwd" \
		--user "$RUSER" -d -v "$@" >"$TMP/render.out" 2>>"$TMP/render.err" &
	rpid=$!
	WAIT_FOR_SECONDS=10 wait_for grep -q '^vnc ' "$TMP/render.out"
	PORT=$(awk '/^vnc /{print $2}' "$TMP/render.out")
}
start_render
if [ -z "$PORT" ]; then
	fail "tessera-render prints its VNC port"
	diag "$(cat "$TMP/render.err")"
	done_testing
fi
pass "tessera-render prints its VNC port ($PORT)"
is "$(ps -o user= -p "$rpid" | tr -d ' ')" "$RUSER" "it runs as $RUSER"
is "$(awk '/^Seccomp:/{print $2}' /proc/$rpid/status)" 2 "it runs under a seccomp filter"
is "$(awk '/^NoNewPrivs:/{print $2}' /proc/$rpid/status)" 1 "... with no_new_privs"
listeners=$(ss -Hltnp | grep "pid=$rpid," | awk '{print $4}' | sort | tr '\n' ' ')
is "$listeners" "127.0.0.1:$PORT " "it listens on its VNC port only (libvncserver does not listen)"

V=("$VIEWER" --port "$PORT" --ca "$TMP/ca/ca.crt")
ALICE=(--cert "$C/alice.crt" --key "$C/alice.key")

# --- X509None: tessera-view's way ---
ok "X509None viewer: frames advance and match the qube exactly (ZRLE, unframed)" \
	"${V[@]}" "${ALICE[@]}" --frames 5 --timeout 60
ok "X509None viewer: Tight with JPEG (quality 95, 4:4:4 by default) is close" \
	"${V[@]}" "${ALICE[@]}" --frames 3 --encodings "tight" --jpeg 24 --timeout 60

# --- refusals ---
out=$("${V[@]}" --timeout 15 2>&1); rc=$?
is "$rc" 3 "refused: no client certificate"; diag "$out"
out=$("${V[@]}" --cert "$TMP/other/issued/eve.crt" --key "$TMP/other/issued/eve.key" \
	--timeout 15 2>&1); rc=$?
is "$rc" 3 "refused: a certificate from another CA"
out=$("${V[@]}" --cert "$C/old.crt" --key "$C/old.key" --timeout 15 2>&1); rc=$?
is "$rc" 3 "refused: an expired certificate"
out=$("${V[@]}" --cert "$C/mallory.crt" --key "$C/mallory.key" --timeout 15 2>&1); rc=$?
is "$rc" 3 "refused: a revoked certificate (--crl)"
ok "we offer security type 19 (VeNCrypt) only" "$PROBE" "$PORT" offer
ok "VeNCrypt subtypes offered: X509None and X509Plain only" "$PROBE" "$PORT" subtypes
ok "a client choosing None (1) is closed" "$PROBE" "$PORT" sectype-1
ok "a client choosing VncAuth (2) is closed" "$PROBE" "$PORT" sectype-2
ok "a client choosing TLSNone (257, anonymous TLS) is refused" "$PROBE" "$PORT" tlsnone
ok "an RFB 3.3 client is closed" "$PROBE" "$PORT" version33
ok "garbage instead of a version: closed" "$PROBE" "$PORT" garbage
ok "X509Plain with the right password: SecurityResult OK" \
	"$PROBE" "$PORT" plain "$TMP/ca/ca.crt" bob "new pass"
nok "X509Plain with the old password: refused" \
	"$PROBE" "$PORT" plain "$TMP/ca/ca.crt" bob "s3cret pass"
nok "X509Plain with an unknown user: refused" \
	"$PROBE" "$PORT" plain "$TMP/ca/ca.crt" nobody "new pass"

# --- stalled clients never delay the others ---
"$PROBE" "$PORT" stall-version >"$TMP/stall1.out" 2>&1 &
s1=$!
"$PROBE" "$PORT" stall-tls >"$TMP/stall2.out" 2>&1 &
s2=$!
sleep 1
t0=$(date +%s%3N)
ok "while two clients stall mid-handshake, another gets exact frames" \
	"${V[@]}" "${ALICE[@]}" --frames 5 --timeout 30
diag "it took $(($(date +%s%3N) - t0)) ms"
wait "$s1"; r1=$?
wait "$s2"; r2=$?
is "$r1" 0 "the client stalled in the version exchange is closed: $(cat "$TMP/stall1.out")"
is "$r2" 0 "the client stalled in the TLS handshake is closed: $(cat "$TMP/stall2.out")"
ok "... and tessera-render is still there" kill -0 "$rpid"

# a slow viewer and a fast one at once
"${V[@]}" "${ALICE[@]}" --frames 3 --slow-ms 700 --timeout 60 >"$TMP/slow.out" 2>&1 &
slow=$!
ok "a fast viewer gets its frames beside a slow one" \
	"${V[@]}" "${ALICE[@]}" --frames 10 --timeout 30
wait "$slow"
is "$?" 0 "the slow viewer gets its frames too: $(cat "$TMP/slow.out")"

ok "typed keys reach the qube (its echo line shows them)" \
	"${V[@]}" "${ALICE[@]}" --frames 1 --type "tessera 42" --timeout 60

# --- TigerVNC (X509Plain, a password) sees the trust frame ---
if command -v Xvfb >/dev/null && command -v vncviewer >/dev/null; then
	dnum=$((100 + RANDOM % 400))
	Xvfb ":$dnum" -screen 0 1400x900x24 -nolisten tcp >"$TMP/xvfb.log" 2>&1 &
	xpid=$!
	WAIT_FOR_SECONDS=10 wait_for xdpyinfo -display ":$dnum" || \
		WAIT_FOR_SECONDS=5 wait_for test -e "/tmp/.X11-unix/X$dnum"
	DISPLAY=":$dnum" VNC_USERNAME=bob VNC_PASSWORD="new pass" vncviewer \
		-SecurityTypes=X509Plain -X509CA="$TMP/ca/ca.crt" -AutoSelect=0 -NoJPEG \
		-PreferredEncoding=ZRLE "127.0.0.1::$PORT" >"$TMP/tiger.log" 2>&1 &
	vpid=$!
	shot_ok() {
		DISPLAY=":$dnum" xwd -root -silent >"$TMP/shot.xwd" &&
		convert "xwd:$TMP/shot.xwd" "$TMP/shot.ppm" &&
		"$VIEWER" --check-shot "$TMP/shot.ppm" --qube work --label blue \
			--size 1280x800 >"$TMP/shot.out"
	}
	if WAIT_FOR_SECONDS=30 wait_for shot_ok; then
		pass "TigerVNC (X509Plain) shows the qube inside its blue frame: $(cat "$TMP/shot.out")"
	else
		fail "TigerVNC (X509Plain) shows the qube inside its blue frame"
		diag "$(cat "$TMP/shot.out")" "$(tail -n 15 "$TMP/tiger.log")"
		cp "$TMP/shot.ppm" "$TSR_BUILD/test-logs/render-tiger-shot.ppm" 2>/dev/null
	fi
	ok "... over TLS, as X509Plain" grep -q "Choosing security type X509Plain" "$TMP/tiger.log"
	kill "$vpid" 2>/dev/null; wait "$vpid" 2>/dev/null; vpid=''
	kill "$xpid" 2>/dev/null; wait "$xpid" 2>/dev/null; xpid=''
else
	fail "Xvfb and TigerVNC's vncviewer are installed"
fi

# --- the qube restarts (another size): a connected viewer sees it ---
"${V[@]}" "${ALICE[@]}" --frames 3 --want-size 1024x768 --timeout 120 \
	>"$TMP/restart.out" 2>&1 &
rv=$!
sleep 2
"$RUN_QUBE" --stop "$qpid"
qpid=''
if qpid=$("$RUN_QUBE" --name work2 --vnc "$TMP/q/vnc" --qmp "$TMP/q/qmp2" \
	--size 1024x768 --append "tessera.fps=10" --timeout 120 --lifetime 900 \
	2>"$TMP/run-qube2.err"); then
	chmod 666 "$TMP/q/vnc"
	pass "the qube boots again at 1024x768"
else
	fail "the qube boots again at 1024x768"
	diag "$(cat "$TMP/run-qube2.err")"
fi
wait "$rv"
is "$?" 0 "a viewer connected across the restart sees the new screen: $(cat "$TMP/restart.out")"
ok "tessera-render reconnected to the device model" \
	grep -q "display: 1024x768" "$TMP/render.err"

# --- seccomp: a forbidden system call (an AF_INET socket) kills it ---
kill "$rpid"; wait "$rpid" 2>/dev/null
is "$?" 0 "SIGTERM: a clean shutdown (threads stopped, memory freed), exit 0"
rpid=''
TSR_RENDER_SANDBOX_TEST=1 "$RENDER" --qube work --label blue --display "$TMP/q/vnc" \
	--vnc 127.0.0.1:0 --cert "$C/render.crt" --key "$C/render.key" \
	--ca "$TMP/ca/ca.crt" -d >/dev/null 2>"$TMP/sandbox-test.err"
is "$?" $((128 + 31)) "a forbidden system call after setup kills it (SIGSYS)"

err=$(grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error' "$TMP/render.err" | head -n 3)
is "$err" "" "tessera-render's log has no sanitizer report"
cp "$TMP/render.err" "$TSR_BUILD/test-logs/tessera-render.log" 2>/dev/null
done_testing
