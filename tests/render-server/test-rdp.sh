#!/usr/bin/env bash
# Suite: tessera-render's RDP output (render-server/rdp*.c, through
# rdp-harness) with real xfreerdp clients under Xvfb, screenshots checked
# pixel by pixel by rdp-check (the frame and its title as frame.c draws
# them).
#
#   - a certificate from tessera-ca (ECDSA P-256), checked by xfreerdp
#     against the host CA (SSL_CERT_FILE, /cert:deny: no prompt, no pinning);
#   - each codec: planar, GFX planar (exact), RemoteFX, GFX H.264 (with a
#     tolerance), and what a default xfreerdp picks;
#   - wrong password and unknown CA refused;
#   - keys typed with xdotool reach the qube (its echo line);
#   - several clients at once, one of them stopped (SIGSTOP), plus a
#     silent, a garbage and a half-TLS client: the others keep going;
#   - a real test qube under QEMU, read over its VNC socket: its picture
#     in the frame, and typed keys in its echo line;
#   - the real tessera-render on that qube with --vnc and --rdp, as its
#     unprivileged user under seccomp: each codec, the frame and its title,
#     a wrong password, typed keys, a VNC and an RDP viewer at once, and a
#     clean shutdown with no sanitizer report.
source "$TSR_ROOT/tests/lib/tap.sh"

HARNESS=$TSR_BUILD/tests/rdp-harness
CHECK=$TSR_BUILD/tests/rdp-check
CA=$TSR_BUILD/bin/tessera-ca
RUN_QUBE=$TSR_ROOT/tests/images/run-qube
IMAGES=${TSR_IMAGES:-$TSR_ROOT/build/images}
TMP=${TSR_TMP:-$(mktemp -d)}
SHOTS=$TSR_BUILD/test-logs/rdp-shots
QW=800 QH=600
USER_=alice PASS_=correct-horse
mkdir -p "$SHOTS"
pids=()
qube_pid=

cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	[ -n "$qube_pid" ] && "$RUN_QUBE" --stop "$qube_pid"
	wait 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM

for t in "$HARNESS" "$CHECK" "$CA"; do
	if [ ! -x "$t" ]; then
		fail "$(basename "$t") is built"
		done_testing
	fi
done
for t in Xvfb xfreerdp xdotool import; do
	if ! command -v $t >/dev/null; then
		fail "$t is installed (make deps)"
		done_testing
	fi
done

# ---- PKI ----
export TESSERA_CA_DIR=$TMP/ca
"$CA" init --name "RDP test CA" >/dev/null 2>&1 &&
	"$CA" issue server render --dns localhost --ip 127.0.0.1 >/dev/null 2>&1
CERT=$TMP/ca/issued/render.crt KEY=$TMP/ca/issued/render.key CACERT=$TMP/ca/ca.crt
ok "tessera-ca issues the render-server certificate" test -s "$CERT" -a -s "$KEY"
ok "its key is ECDSA P-256" sh -c "openssl pkey -in '$KEY' -noout -text | grep -q 'NIST CURVE: P-256'"

# ---- X servers ----
start_xvfb() {	# prints the display number
	local n
	for ((n = 40 + RANDOM % 50; n < 200; n++)); do
		[ -e /tmp/.X11-unix/X$n ] || [ -e /tmp/.X$n-lock ] && continue
		Xvfb :$n -screen 0 1400x900x24 -nolisten tcp >"$TMP/xvfb$n.log" 2>&1 &
		pids+=($!)
		WAIT_FOR_SECONDS=10 wait_for test -e /tmp/.X11-unix/X$n && { echo $n; return 0; }
		return 1
	done
	return 1
}
D1=$(start_xvfb) && D2=$(start_xvfb)
ok "two Xvfb servers start" test -n "$D1" -a -n "$D2" || done_testing

# An X server that went away (seen once: a display gone mid-suite while
# other suites ran) is replaced rather than failing everything after it.
xvfb_alive() {	# DISPLAY-NUMBER
	DISPLAY=:$1 xdotool getdisplaygeometry >/dev/null 2>&1
}
ensure_displays() {
	if ! xvfb_alive "$D1"; then
		diag "Xvfb :$D1 is gone; starting another"
		D1=$(start_xvfb)
	fi
	if ! xvfb_alive "$D2"; then
		diag "Xvfb :$D2 is gone; starting another"
		D2=$(start_xvfb)
	fi
}

# find_window DISPLAY: the xfreerdp window, waiting up to 20 s
find_window() {
	local i w
	for ((i = 0; i < 40; i++)); do
		w=$(DISPLAY=:$1 xdotool search --class xfreerdp 2>/dev/null | head -n 1)
		[ -n "$w" ] && { echo "$w"; return 0; }
		sleep 0.5
	done
	return 1
}

# ---- helpers ----
harness_pid=
start_harness() {	# NAME ARGS...: starts rdp-harness, sets PORT
	local name=$1
	shift
	rm -f "$TMP/$name.port"
	# Sanitizer build: FreeRDP's own leaks are suppressed (lsan.supp says
	# which); the slow unwinder is needed to see their frames.
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0 \
	LSAN_OPTIONS=suppressions=$TSR_ROOT/tests/render-server/lsan.supp \
	"$HARNESS" --cert "$CERT" --key "$KEY" --user "$USER_" --pass "$PASS_" \
		--port-file "$TMP/$name.port" --stats "$TMP/$name.stats" \
		--input-log "$TMP/$name.input" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	harness_pid=$!
	pids+=($harness_pid)
	if wait_for test -s "$TMP/$name.port"; then
		PORT=$(cat "$TMP/$name.port")
		pass "$name: rdp-harness listens (port $PORT)"
	else
		fail "$name: rdp-harness listens"
		diag "$(cat "$TMP/$name.err")"
		return 1
	fi
}

stop_harness() {	# NAME
	kill -TERM "$harness_pid" 2>/dev/null
	local i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$harness_pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$harness_pid" 2>/dev/null; then
		fail "$1: rdp-harness stops on SIGTERM (rdp_stop returns)"
		kill -KILL "$harness_pid"
	else
		wait "$harness_pid"
		is "$?" 0 "$1: rdp-harness stops cleanly on SIGTERM (rdp_stop, no sanitizer report)" ||
			diag "$(grep -v "^rdp-harness: rdp:" "$TMP/$1.err" | head -n 60)"
	fi
}

stat_of() {	# NAME FIELD
	awk -v f="$2" '{ for (i = 1; i < NF; i++) if ($i == f) print $(i + 1) }' "$TMP/$1.stats" 2>/dev/null
}

xf_pid=
xfree() {	# DISPLAY LOG ARGS...: starts xfreerdp against $PORT, trusting the CA
	local d=$1 log=$2
	shift 2
	DISPLAY=:$d SSL_CERT_FILE=$CACERT HOME=$TMP/home-$d \
		xfreerdp /v:127.0.0.1:$PORT /sec:tls /cert:deny /cert:name:localhost \
		/u:$USER_ /size:$((QW + 8))x$((QH + 28)) "$@" >"$log" 2>&1 </dev/null &
	xf_pid=$!
	pids+=($xf_pid)
}

shot() {	# DISPLAY FILE
	DISPLAY=:$1 import -window root -depth 8 "$2" 2>/dev/null
}

# check_shot DESC DISPLAY SECONDS CHECK-ARGS...: screenshots until rdp-check
# passes or time runs out; its TAP lines become ours.
check_shot() {
	local desc=$1 d=$2 secs=$3 f line i n
	shift 3
	f=$SHOTS/$(echo "$desc" | tr -c 'A-Za-z0-9\n' '-').ppm
	for ((i = 0; i < secs * 2; i++)); do
		shot "$d" "$f"
		"$CHECK" "$f" --qube ${QW}x$QH --name "$QNAME" "$@" >"$TMP/check.out" 2>&1 && break
		sleep 0.5
	done
	n=0
	while IFS= read -r line; do
		case $line in
		"ok "*) pass "$desc: ${line#* - }"; n=$((n + 1)) ;;
		"not ok "*) fail "$desc: ${line#* - }"; n=$((n + 1)) ;;
		"#"*) echo "$line" ;;
		esac
	done <"$TMP/check.out"
	[ $n -gt 0 ] || fail "$desc: rdp-check ran"
	[ $i -lt $((secs * 2)) ] && rm -f "$f"	# keep failing shots only
}

counter_of() {	# DISPLAY: the qube's frame counter as shown (exact codecs)
	local f=$TMP/counter.ppm
	shot "$1" "$f"
	rm -f "$TMP/counter.txt"
	"$CHECK" "$f" --qube ${QW}x$QH --label blue --counter-file "$TMP/counter.txt" >/dev/null 2>&1
	cat "$TMP/counter.txt" 2>/dev/null
}

end_client() {
	kill "$xf_pid" 2>/dev/null
	wait "$xf_pid" 2>/dev/null
}

# ---- a synthetic qube: codecs, credentials, keys ----
QNAME=work
start_harness synthetic --synthetic ${QW}x$QH --fps 5 --label blue --name work ||
	done_testing

# codec CHECK-ARGS -- XFREERDP-ARGS: one client, its codec, its picture
codec() {
	local name=$1 want=$2 cargs=() 
	shift 2
	while [ "$1" != -- ]; do cargs+=("$1"); shift; done
	shift
	xfree "$D1" "$TMP/xf-$name.log" /p:$PASS_ "$@"
	check_shot "$name" "$D1" 20 --label blue "${cargs[@]}"
	if grep -q "$want" "$TMP/synthetic.err"; then
		pass "$name: the server picked $want"
	else
		fail "$name: the server picked $want"
		diag "$(grep 'rdp:' "$TMP/synthetic.err" | tail -3)"
	fi
	end_client
}
codec planar ", planar" --tol 0 -- /bpp:32
codec gfx-planar "GFX planar" --tol 0 -- /bpp:32 /gfx:rfx
codec remotefx "RemoteFX" --tol 24 --min 97 -- /bpp:32 /rfx
codec gfx-h264 "GFX H.264 (AVC420)" --tol 32 --min 95 -- /bpp:32 /gfx:avc420
n_h264=$(grep -c 'GFX H.264' "$TMP/synthetic.err")
codec default "GFX H.264 (AVC420)" --tol 32 --min 95 --
is "$(grep -c 'GFX H.264' "$TMP/synthetic.err")" $((n_h264 + 1)) \
	"default: a default xfreerdp (GFX with AVC offered) gets H.264"

# Credentials.
refused0=$(stat_of synthetic refused)
xfree "$D1" "$TMP/xf-badpass.log" /p:wrong-horse /bpp:32
if WAIT_FOR_SECONDS=20 wait_for sh -c "! kill -0 $xf_pid"; then
	wait "$xf_pid"
	rc=$?
	ok "wrong password: xfreerdp fails (exit $rc)" test "$rc" -ne 0
else
	fail "wrong password: xfreerdp fails"
	end_client
fi
sleep 0.6
ok "wrong password: the server refused the session" test "$(stat_of synthetic refused)" -gt "${refused0:-0}"
ok "wrong password: logged" grep -q 'refused user "alice"' "$TMP/synthetic.err"

DISPLAY=:$D1 HOME=$TMP/home-noca timeout 20 xfreerdp /v:127.0.0.1:$PORT /sec:tls /cert:deny \
	/cert:name:localhost /u:$USER_ /p:$PASS_ /bpp:32 >"$TMP/xf-noca.log" 2>&1 </dev/null
rc=$?
ok "a client without the host CA refuses the certificate (exit $rc)" test $rc -ne 0 -a $rc -ne 124
DISPLAY=:$D1 SSL_CERT_FILE=$CACERT HOME=$TMP/home-badname timeout 20 xfreerdp \
	/v:127.0.0.1:$PORT /sec:tls /cert:deny /cert:name:elsewhere /u:$USER_ /p:$PASS_ \
	/bpp:32 >"$TMP/xf-badname.log" 2>&1 </dev/null
rc=$?
ok "... and a name the certificate does not carry (exit $rc)" test $rc -ne 0 -a $rc -ne 124
nok "only TLS: a client asking for RDP security is refused" \
	env DISPLAY=:$D1 HOME=$TMP/home-rdpsec timeout 20 xfreerdp /v:127.0.0.1:$PORT /sec:rdp \
	/cert:ignore /u:$USER_ /p:$PASS_ /bpp:32

# Keys.
xfree "$D1" "$TMP/xf-keys.log" /p:$PASS_ /bpp:32
check_shot "keys: before typing" "$D1" 20 --label blue --tol 0
win=$(find_window "$D1")
# xfreerdp synchronises the keyboard state when it gains the focus: type
# after that, or the first shift can be reset under it
DISPLAY=:$D1 xdotool windowfocus --sync "$win"
sleep 0.5
DISPLAY=:$D1 xdotool type --delay 60 'Hello, qube #1!'
check_shot "keys: typed" "$D1" 10 --label blue --tol 0 --echo 'Hello, qube #1!'
ok "keys: shift went as XT 0x2a" grep -q 'xt 0x2a down' "$TMP/synthetic.input"
DISPLAY=:$D1 xdotool key --window "$win" Up
sleep 0.5
ok "keys: Up arrow went as E0 48 (XT 0xc8)" grep -q 'xt 0xc8 down' "$TMP/synthetic.input"
DISPLAY=:$D1 xdotool mousemove --window "$win" $((4 + 100)) $((24 + 300)) click 1
sleep 0.5
ok "pointer: framed (104,324) reaches the qube as (100,300)" \
	grep -q '^pointer 100 300 buttons 1$' "$TMP/synthetic.input"
DISPLAY=:$D1 xdotool mousemove --window "$win" 1 1
sleep 0.5
ok "pointer: over the frame it is clipped to the qube's corner" \
	grep -q '^pointer 0 0 buttons 0$' "$TMP/synthetic.input"
end_client
stop_harness synthetic

# ---- several clients, one stopped, and bad ones ----
ensure_displays
QNAME=banking
start_harness multi --synthetic ${QW}x$QH --fps 10 --label green --name banking \
	--handshake-ms 3000 --stall-ms 4000 --max-peers 10 --unauth-per-addr 5 ||
	done_testing
xfree "$D1" "$TMP/xf-m1.log" /p:$PASS_ /bpp:32
c1=$xf_pid
xfree "$D2" "$TMP/xf-m2.log" /p:$PASS_ /bpp:32 /gfx:avc420
c2=$xf_pid
# A client that says nothing, one that sends garbage, one that stops in TLS.
python3 - "$PORT" "$TMP/bad.out" <<'EOF' &
import os, socket, ssl, sys, time
port, out = int(sys.argv[1]), sys.argv[2]
silent = socket.create_connection(("127.0.0.1", port))
garbage = socket.create_connection(("127.0.0.1", port))
garbage.sendall(os.urandom(4096))
half = socket.create_connection(("127.0.0.1", port))
# X.224 connection request asking for TLS, then a TLS ClientHello cut short
half.sendall(bytes.fromhex("030000130ee000000000000100080001000000"))
time.sleep(0.5)
half.recv(64)
half.sendall(bytes.fromhex("16030100f8010000f40303") + os.urandom(20))
res = []
for name, s in (("garbage", garbage), ("silent", silent), ("half", half)):
    s.settimeout(15)
    t0 = time.time()
    try:
        while s.recv(4096):
            pass
        res.append("%s closed %.1f" % (name, time.time() - t0))
    except Exception as e:
        res.append("%s error %s" % (name, e))
open(out, "w").write("\n".join(res) + "\n")
EOF
bad=$!
pids+=($bad)
check_shot "multi: client 1 (planar)" "$D1" 25 --label green --tol 0
check_shot "multi: client 2 (H.264)" "$D2" 25 --label green --tol 32 --min 95
kill -STOP "$c1"

b1=$(counter_of "$D1")
sleep 2
b2=$(counter_of "$D1")
if [ -n "$b1" ] && [ "$b1" = "$b2" ]; then
	pass "multi: client 1 is stopped (its counter stays at $b1)"
else
	fail "multi: client 1 is stopped (counter $b1 then $b2)"
fi
# Client 2 is H.264, whose counter blocks may be blurred: watch the
# server's frame count instead while client 1 is stopped.
f1=$(stat_of multi frames)
sleep 2
f2=$(stat_of multi frames)
ok "multi: client 2 still gets frames while client 1 is stopped ($f1 -> $f2)" \
	test "${f2:-0}" -gt $(( ${f1:-0} + 5 ))
kill -CONT "$c1"
sleep 1
b3=$(counter_of "$D1")
c3=
for ((i = 0; i < 20; i++)); do
	c3=$(counter_of "$D1")
	[ -n "$c3" ] && [ -n "$b2" ] && [ "$c3" -gt "$((b2 + 20))" ] && break
	sleep 0.5
done
ok "multi: client 1 catches up after SIGCONT (counter $b2 -> $c3)" \
	test -n "$c3" -a -n "$b2" -a "${c3:-0}" -gt "$((${b2:-0} + 20))"
check_shot "multi: client 1 after catching up" "$D1" 10 --label green --tol 0
WAIT_FOR_SECONDS=20 wait_for test -s "$TMP/bad.out"
diag "$(cat "$TMP/bad.out" 2>/dev/null)"
ok "multi: the garbage client is disconnected" grep -q '^garbage closed' "$TMP/bad.out"
ok "multi: the silent client is disconnected at the handshake deadline" \
	grep -q '^silent closed' "$TMP/bad.out"
ok "multi: the client stalled inside TLS is disconnected" grep -q '^half closed' "$TMP/bad.out"
ok "multi: the server counted the timeouts" test "$(stat_of multi timed_out)" -ge 2
is "$(stat_of multi peers)" 2 "multi: the two good clients are still connected"
kill "$c1" "$c2" 2>/dev/null
wait "$c1" "$c2" 2>/dev/null
WAIT_FOR_SECONDS=10 wait_for test "$(stat_of multi peers)" = 0
is "$(stat_of multi peers)" 0 "multi: the server sees both clients leave"
stop_harness multi

# ---- a real qube, read over QEMU's VNC socket ----
if [ ! -f "$IMAGES/vmlinux" ] || [ ! -f "$IMAGES/testqube.cpio.gz" ]; then
	fail "the test qube image is built (make images)"
	done_testing
fi
mkdir -p "$TMP/qube"
if qube_pid=$("$RUN_QUBE" --name rdpqube --device bochs --size ${QW}x$QH \
	--append "tessera.fps=5" --vnc "$TMP/qube/vnc" --qmp "$TMP/qube/qmp" \
	--timeout 120 --lifetime 600 2>"$TMP/qube/run-qube.err"); then
	pass "qube: boots to its ready marker"
else
	fail "qube: boots to its ready marker"
	diag "$(cat "$TMP/qube/run-qube.err")"
	qube_pid=
	done_testing
fi
ensure_displays
QNAME=personal
start_harness qube --vnc "$TMP/qube/vnc" --label purple --name personal || done_testing
xfree "$D1" "$TMP/xf-qube.log" /p:$PASS_ /bpp:32
check_shot "qube: planar" "$D1" 30 --label purple --tol 0
win=$(find_window "$D1")
DISPLAY=:$D1 xdotool windowfocus --sync "$win"
sleep 0.5
DISPLAY=:$D1 xdotool type --delay 80 'typed via RDP'
check_shot "qube: keys" "$D1" 20 --label purple --tol 0 --echo 'typed via RDP'
end_client
xfree "$D1" "$TMP/xf-qube2.log" /p:$PASS_ /bpp:32 /gfx:avc420
check_shot "qube: H.264" "$D1" 30 --label purple --tol 32 --min 95
end_client
stop_harness qube

# ---- the real tessera-render: VNC and RDP at once, unprivileged, seccomp ----
RENDER=$TSR_BUILD/bin/tessera-render
VIEWER=$TSR_BUILD/tests/render-viewer
RUSER=tessera-render
QNAME=personal
id "$RUSER" >/dev/null 2>&1 || useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$RUSER"
# the device model's socket, the password file and the key are read as
# root before the privilege drop; the socket is connected to afterwards
chmod 711 "$TMP" "$TMP/qube"
chmod 666 "$TMP/qube/vnc"
"$CA" issue client alice >/dev/null 2>&1
printf '%s\n' "$PASS_" | "$RENDER" passwd "$TMP/render.passwd" "$USER_"
ensure_displays
rm -f "$TMP/render.out"
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0 \
LSAN_OPTIONS=suppressions=$TSR_ROOT/tests/render-server/lsan.supp \
"$RENDER" --qube personal --label purple --display "$TMP/qube/vnc" \
	--vnc 127.0.0.1:0 --rdp 127.0.0.1:0 --cert "$CERT" --key "$KEY" --ca "$CACERT" \
	--passwd "$TMP/render.passwd" --user "$RUSER" -d -v \
	>"$TMP/render.out" 2>"$TMP/render.err" &
render_pid=$!
pids+=($render_pid)
WAIT_FOR_SECONDS=15 wait_for grep -q '^rdp ' "$TMP/render.out"
VPORT=$(awk '/^vnc /{print $2}' "$TMP/render.out")
PORT=$(awk '/^rdp /{print $2}' "$TMP/render.out")
if [ -z "$PORT" ] || [ -z "$VPORT" ]; then
	fail "tessera-render: prints its VNC and RDP ports"
	diag "$(tail -n 20 "$TMP/render.err")"
	done_testing
fi
pass "tessera-render: prints its VNC and RDP ports ($VPORT, $PORT)"
is "$(ps -o user= -p "$render_pid" | tr -d ' ')" "$RUSER" "tessera-render: runs as $RUSER"
is "$(awk '/^Seccomp:/{print $2}' /proc/$render_pid/status)" 2 "tessera-render: under its seccomp filter"

render_codec() {	# NAME WANT CHECK-ARGS -- XFREERDP-ARGS
	local name=$1 want=$2 cargs=()
	shift 2
	while [ "$1" != -- ]; do cargs+=("$1"); shift; done
	shift
	xfree "$D1" "$TMP/xf-render-$name.log" /p:$PASS_ "$@"
	check_shot "tessera-render $name" "$D1" 30 --label purple "${cargs[@]}"
	if WAIT_FOR_SECONDS=5 wait_for grep -q "$want" "$TMP/render.err"; then
		pass "tessera-render $name: the server picked $want"
	else
		fail "tessera-render $name: the server picked $want"
	fi
	end_client
}
render_codec planar ", planar" --tol 0 -- /bpp:32
render_codec default "GFX H.264 (AVC420)" --tol 32 --min 95 --
render_codec remotefx "RemoteFX" --tol 24 --min 97 -- /bpp:32 /rfx
ok "tessera-render: alive after three codecs under seccomp" kill -0 "$render_pid"

xfree "$D1" "$TMP/xf-render-badpass.log" /p:wrong-horse /bpp:32
if WAIT_FOR_SECONDS=20 wait_for sh -c "! kill -0 $xf_pid"; then
	wait "$xf_pid"
	rc=$?
	ok "tessera-render: wrong password, xfreerdp fails (exit $rc)" test "$rc" -ne 0
else
	fail "tessera-render: wrong password, xfreerdp fails"
	end_client
fi
ok "tessera-render: wrong password refused (logged)" grep -q 'refused user "alice"' "$TMP/render.err"

# keys, and a VNC viewer and an RDP viewer at the same time
xfree "$D1" "$TMP/xf-render-keys.log" /p:$PASS_ /bpp:32
check_shot "tessera-render keys: before typing" "$D1" 30 --label purple --tol 0
win=$(find_window "$D1")
# Return clears the qube's echo line (it still shows what was typed above)
DISPLAY=:$D1 xdotool windowfocus --sync "$win"
sleep 0.5
DISPLAY=:$D1 xdotool key Return type --delay 80 'render rdp 7'
check_shot "tessera-render keys: typed" "$D1" 20 --label purple --tol 0 --echo 'render rdp 7'
DISPLAY=:$D1 xdotool key --window "$win" Return
sleep 1
# (the RDP viewer moved the qube's pointer and pressed keys, which its
# status line shows: compare the colour bars and the counter rows only;
# the viewer's own libvncclient leaks are suppressed as in tests/render)
LSAN_OPTIONS=suppressions=$TSR_ROOT/tests/render-server/lsan.supp:print_suppressions=0 \
"$VIEWER" --port "$VPORT" --ca "$CACERT" --cert "$TMP/ca/issued/alice.crt" \
	--key "$TMP/ca/issued/alice.key" --frames 10 --rows 0,176 --timeout 60 \
	>"$TMP/render-vnc.out" 2>&1 &
vv=$!
pids+=($vv)
c0=$(counter_of "$D1")
sleep 3
c1=$(counter_of "$D1")
wait "$vv"
is "$?" 0 "tessera-render: a VNC viewer gets exact frames while an RDP viewer is connected: $(tail -n 1 "$TMP/render-vnc.out")"
ok "tessera-render: ... and the RDP viewer's picture advances meanwhile (counter $c0 -> $c1)" \
	test -n "$c0" -a -n "$c1" -a "${c1:-0}" -gt "${c0:-0}"
end_client

# a clean shutdown: threads stopped, everything freed (LeakSanitizer runs)
kill -TERM "$render_pid"
if WAIT_FOR_SECONDS=30 wait_for sh -c "! kill -0 $render_pid"; then
	wait "$render_pid"
	is "$?" 0 "tessera-render: exits 0 on SIGTERM, after a clean shutdown"
else
	fail "tessera-render: exits on SIGTERM"
	kill -KILL "$render_pid"
fi
ok "tessera-render: ... it said so" grep -q 'tessera-render: stopped' "$TMP/render.err"
err=$(grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error|SUMMARY: ' "$TMP/render.err" | head -n 3)
is "$err" "" "tessera-render: its log has no sanitizer report" ||
	diag "$(grep -A 30 'ERROR: ' "$TMP/render.err" | head -n 60)"
cp "$TMP/render.err" "$TSR_BUILD/test-logs/rdp-tessera-render.log" 2>/dev/null

"$RUN_QUBE" --stop "$qube_pid"
qube_pid=

done_testing
