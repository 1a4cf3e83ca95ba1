#!/usr/bin/env bash
# Suite: the qube's screen size, followed from its device model to
# tessera-render's viewers.
#
# A test qube on bochs-display whose preferred mode is 1280x800 and which
# sets 640x480 (tessera.size) once booted: its display starts at the
# firmware's size, goes to 1280x800 (the kernel's console), then 640x480.
#   - qube-probe, connected to QEMU's VNC socket from before the boot,
#     sees the pattern at 640x480;
#   - tessera-render, started before the qube, follows every change on its
#     one connection to the device model, and a viewer (X509None, unframed)
#     gets exact 640x480 frames;
#   - a reset of the qube (firmware, console, pattern again) under a
#     connected VNC viewer and a connected xfreerdp: the VNC viewer is told
#     each new size (DesktopSize) and gets exact 640x480 frames after it
#     (its bars and counter: xfreerdp moves the qube's pointer);
#     the RDP client is resized and shows the 640x480 picture in its frame.
#
# Then the qube is replaced by one on virtio-gpu that follows its display's
# preferred mode (run-qube --follow yes), on the same display socket, and
# VNC viewers resize it live with SetDesktopSize (ExtendedDesktopSize):
#   - one with a certificate (X509None, the unframed screen) asks for
#     1000x700: tessera-render passes it to QEMU, the qube sets 1000x700,
#     and the viewer's answer is "done, 1000x700"; a render-viewer then gets
#     exact 1000x700 frames;
#   - one with a password (X509Plain, the framed screen) asks for
#     1208x828, the frame's size: the qube sets 1200x800;
#   - sizes out of bounds are refused with their status, and nothing
#     reaches the qube.
source "$TSR_ROOT/tests/lib/tap.sh"

RUN_QUBE=$TSR_ROOT/tests/images/run-qube
RENDER=$TSR_BUILD/bin/tessera-render
VIEWER=$TSR_BUILD/tests/render-viewer
PROBE=$TSR_BUILD/tests/qube-probe
CHECK=$TSR_BUILD/tests/rdp-check
CA_BIN=$TSR_BUILD/bin/tessera-ca
IMAGES=${TSR_IMAGES:-$TSR_ROOT/build/images}
TMP=${TSR_TMP:-$(mktemp -d)}
RUSER=tessera-render
QW=640 QH=480
# under ASan: libvncclient's own leaks in the viewers, FreeRDP's in
# tessera-render (see the file; FreeRDP's need the slow unwinder)
export LSAN_OPTIONS="suppressions=$TSR_ROOT/tests/render-server/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
qpid='' rpid='' ppid_='' xpid='' fpid=''

cleanup() {
	[ -n "$fpid" ] && kill "$fpid" 2>/dev/null
	[ -n "$xpid" ] && kill "$xpid" 2>/dev/null
	[ -n "$ppid_" ] && kill "$ppid_" 2>/dev/null
	[ -n "$rpid" ] && kill "$rpid" 2>/dev/null
	[ -n "$qpid" ] && "$RUN_QUBE" --stop "$qpid"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

for f in "$RENDER" "$VIEWER" "$PROBE" "$CA_BIN" "$IMAGES/vmlinux" \
    "$IMAGES/testqube.cpio.gz"; do
	if [ ! -e "$f" ]; then
		fail "$f is built"
		done_testing
	fi
done

# qmp COMMAND: one QMP command on the qube's monitor socket
qmp() {
	python3 - "$TMP/q/qmp" "$1" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
f = s.makefile("rw")
def reply():
    while True:
        m = json.loads(f.readline())
        if "return" in m or "error" in m:
            return m
f.readline()
f.write('{"execute":"qmp_capabilities"}\n'); f.flush(); reply()
f.write(json.dumps({"execute": sys.argv[2]}) + "\n"); f.flush()
sys.exit(0 if "return" in reply() else 1)
EOF
}

export TESSERA_CA_DIR=$TMP/ca
C=$TMP/ca/issued
{
	"$CA_BIN" init --name "resize test CA"
	"$CA_BIN" issue server render --dns localhost --ip 127.0.0.1
	"$CA_BIN" issue client alice
} >"$TMP/ca.log" 2>&1
is "$?" 0 "tessera-ca makes the certificates"
printf 'pass word\n' | "$RENDER" passwd "$TMP/passwd" bob

id "$RUSER" >/dev/null 2>&1 || useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$RUSER"
mkdir -p "$TMP/q"
chmod 711 "$TMP" "$TMP/q"

# --- tessera-render and qube-probe wait for the display socket ---
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0 \
"$RENDER" --qube work --label blue --display "$TMP/q/vnc" \
	--vnc 127.0.0.1:0 --rdp 127.0.0.1:0 --cert "$C/render.crt" \
	--key "$C/render.key" --ca "$TMP/ca/ca.crt" --passwd "$TMP/passwd" \
	--user "$RUSER" -d -v >"$TMP/render.out" 2>"$TMP/render.err" &
rpid=$!
WAIT_FOR_SECONDS=15 wait_for grep -q '^rdp ' "$TMP/render.out"
PORT=$(awk '/^vnc /{print $2}' "$TMP/render.out")
RPORT=$(awk '/^rdp /{print $2}' "$TMP/render.out")
if [ -z "$PORT" ] || [ -z "$RPORT" ]; then
	fail "tessera-render prints its ports"
	diag "$(tail -n 20 "$TMP/render.err")"
	done_testing
fi
pass "tessera-render, started before the qube, prints its ports ($PORT, $RPORT)"
"$PROBE" "$TMP/q/vnc" --timeout-ms 120000 --frames 3 >"$TMP/probe.out" 2>&1 &
ppid_=$!

# QEMU creates the socket as root; tessera-render connects as $RUSER, so
# the socket is opened up as soon as it exists (it retries until then).
( for ((i = 0; i < 600; i++)); do
	[ -S "$TMP/q/vnc" ] && { chmod 666 "$TMP/q/vnc"; exit 0; }
	sleep 0.05
done ) &
chmod_pid=$!
# a reset reboots the qube instead of ending QEMU (run-qube's -no-reboot)
if ! qpid=$("$RUN_QUBE" --name resize --vnc "$TMP/q/vnc" --qmp "$TMP/q/qmp" \
	--size 1280x800 --append "tessera.size=${QW}x$QH tessera.fps=10" \
	--qemu-arg -action --qemu-arg reboot=reset \
	--timeout 120 --lifetime 900 2>"$TMP/run-qube.err"); then
	fail "the qube boots"
	diag "$(cat "$TMP/run-qube.err")"
	done_testing
fi
wait "$chmod_pid"
ok "the qube boots and sets ${QW}x$QH" grep -q "^TESSERA-QUBE-READY ${QW}x$QH" "$TMP/q/resize.serial"

wait "$ppid_"
rc=$?
ppid_=''
is "$rc" 0 "qube-probe, connected from before the boot, sees the pattern: $(cat "$TMP/probe.out")"
ok "... at ${QW}x$QH" grep -q "^ok ${QW}x$QH " "$TMP/probe.out"

V=("$VIEWER" --port "$PORT" --ca "$TMP/ca/ca.crt" --cert "$C/alice.crt" --key "$C/alice.key")
ok "a viewer through tessera-render (X509None, unframed) gets exact ${QW}x$QH frames" \
	"${V[@]}" --frames 3 --want-size ${QW}x$QH --timeout 60
ok "tessera-render's shadow is ${QW}x$QH" grep -q "display: ${QW}x$QH\$" "$TMP/render.err"
ok "... followed on its one connection to the device model (no reconnection)" \
	test "$(grep -c 'display: connected to' "$TMP/render.err")" -eq 1

# --- a reset under connected viewers ---
ok "an RDP client can be started" command -v Xvfb xfreerdp import
for ((dn = 40 + RANDOM % 50; dn < 200; dn++)); do
	[ -e /tmp/.X11-unix/X$dn ] || [ -e /tmp/.X$dn-lock ] || break
done
Xvfb ":$dn" -screen 0 1400x900x24 -nolisten tcp >"$TMP/xvfb.log" 2>&1 &
xpid=$!
WAIT_FOR_SECONDS=10 wait_for test -e "/tmp/.X11-unix/X$dn"
DISPLAY=:$dn SSL_CERT_FILE=$TMP/ca/ca.crt HOME=$TMP/home \
	xfreerdp /v:127.0.0.1:$RPORT /sec:tls /cert:deny /cert:name:localhost \
	/u:bob /p:"pass word" /bpp:32 /size:$((QW + 8))x$((QH + 28)) \
	>"$TMP/xfreerdp.log" 2>&1 </dev/null &
fpid=$!
if WAIT_FOR_SECONDS=30 wait_for grep -q "rdp: .*, planar" "$TMP/render.err"; then
	pass "xfreerdp is connected (planar)"
else
	fail "xfreerdp is connected (planar)"
	diag "$(tail -n 10 "$TMP/xfreerdp.log")"
fi

# rows 0-175 (the colour bars and the frame counter): xfreerdp's window
# grows under the X pointer, which moves the qube's pointer marker and
# changes its status line
rm -f "$TMP/ready"
"${V[@]}" --frames 3 --want-size ${QW}x$QH --resizes 2 --ready-file "$TMP/ready" \
	--rows 0,176 --timeout 120 >"$TMP/across.out" 2>&1 &
vpid=$!
WAIT_FOR_SECONDS=30 wait_for test -e "$TMP/ready"
ok "a VNC viewer is connected and sees the pattern" test -e "$TMP/ready"
nrdp=$(grep -c "qube resized to" "$TMP/render.err")
nsizes=$(grep -c 'display: [0-9]*x[0-9]*$' "$TMP/render.err")
ok "QMP system_reset: the qube reboots" qmp system_reset
wait "$vpid"
is "$?" 0 "the connected VNC viewer is told each new size and gets exact ${QW}x$QH frames after them: $(cat "$TMP/across.out")"
ok "tessera-render followed the reset on the same connection" \
	test "$(grep -c 'display: connected to' "$TMP/render.err")" -eq 1
sizes=$(grep -o 'display: [0-9]*x[0-9]*$' "$TMP/render.err" | awk '{print $2}' |
	tail -n +$((nsizes + 1)) | tr '\n' ' ')
diag "sizes tessera-render read from the device model since the reset: $sizes"
ok "... through another size and back to ${QW}x$QH" \
	sh -c "echo '$sizes' | grep -Eq '^([0-9]+x[0-9]+ )+${QW}x$QH \$' && echo '$sizes' | grep -Evq '^(${QW}x$QH )+\$'"

if WAIT_FOR_SECONDS=30 wait_for sh -c "[ \$(grep -c 'qube resized to' '$TMP/render.err') -ge $((nrdp + 2)) ]"; then
	pass "the RDP client was resized twice"
else
	fail "the RDP client was resized twice"
	diag "$(grep 'rdp:' "$TMP/render.err" | tail -n 10)"
fi
ok "... back to ${QW}x$QH" sh -c "grep 'qube resized to' '$TMP/render.err' | tail -n 1 | grep -q 'to ${QW}x$QH\$'"
if [ -x "$CHECK" ]; then
	shot_ok() {
		DISPLAY=:$dn import -window root -depth 8 "$TMP/rdp.ppm" 2>/dev/null &&
		"$CHECK" "$TMP/rdp.ppm" --qube ${QW}x$QH --name work --label blue \
			--tol 0 >"$TMP/rdp-check.out" 2>&1
	}
	if WAIT_FOR_SECONDS=30 wait_for shot_ok; then
		pass "xfreerdp shows the ${QW}x$QH picture inside its blue frame"
	else
		fail "xfreerdp shows the ${QW}x$QH picture inside its blue frame"
		diag "$(grep -v '^ok' "$TMP/rdp-check.out" | head -n 15)" "$(tail -n 5 "$TMP/xfreerdp.log")"
		cp "$TMP/rdp.ppm" "$TSR_BUILD/test-logs/render-resize-rdp.ppm" 2>/dev/null
	fi
else
	fail "$CHECK is built"
fi
ok "xfreerdp is still connected" kill -0 "$fpid"
kill "$fpid" 2>/dev/null; wait "$fpid" 2>/dev/null; fpid=''
kill "$xpid" 2>/dev/null; wait "$xpid" 2>/dev/null; xpid=''

# --- SetDesktopSize: a qube that follows its display, resized live ---
"$RUN_QUBE" --stop "$qpid"
qpid=''
rm -f "$TMP/q/vnc"
( for ((i = 0; i < 600; i++)); do
	[ -S "$TMP/q/vnc" ] && { chmod 666 "$TMP/q/vnc"; exit 0; }
	sleep 0.05
done ) &
chmod_pid=$!
if ! qpid=$("$RUN_QUBE" --name follow --vnc "$TMP/q/vnc" --qmp "$TMP/q/qmp" \
	--device virtio-vga --follow yes --size 1280x800 --append "tessera.fps=10" \
	--timeout 120 --lifetime 900 2>"$TMP/run-qube.err"); then
	fail "a qube on virtio-vga that follows its display boots"
	diag "$(cat "$TMP/run-qube.err")"
	done_testing
fi
wait "$chmod_pid"
SERIAL=$TMP/q/follow.serial
ok "a qube on virtio-vga that follows its display boots at 1280x800" \
	grep -q "^TESSERA-QUBE-READY 1280x800 driver=virtio_gpu" "$SERIAL"
ok "tessera-render follows it on the same socket" \
	"${V[@]}" --frames 2 --want-size 1280x800 --timeout 60
PROBE=(python3 "$TSR_ROOT/tests/render-server/rfbprobe.py" "$PORT" desktop-size "$TMP/ca/ca.crt")
"${PROBE[@]}" "cert:$C/alice.crt:$C/alice.key" 1000x700 >"$TMP/ds1.out" 2>&1
diag "$(cat "$TMP/ds1.out")"
ok "a VNC viewer (X509None) asks for 1000x700: done, 1000x700" \
	grep -qx "1000x700: status 0, now 1000x700" "$TMP/ds1.out"
ok "... tessera-render passed it to the device model" \
	grep -q "display: asking the device model for 1000x700" "$TMP/render.err"
ok "... the qube set 1000x700" grep -q "^TESSERA-QUBE-MODE 1000x700" "$SERIAL"
ok "a viewer through tessera-render gets exact 1000x700 frames" \
	"${V[@]}" --frames 3 --want-size 1000x700 --timeout 60
"${PROBE[@]}" "user:bob:pass word" 1208x828 >"$TMP/ds2.out" 2>&1
diag "$(cat "$TMP/ds2.out")"
ok "a VNC viewer (X509Plain, framed) asks for 1208x828: done, 1208x828" \
	grep -qx "1208x828: status 0, now 1208x828" "$TMP/ds2.out"
ok "... the qube set 1200x800: the frame was taken off" \
	grep -q "^TESSERA-QUBE-MODE 1200x800" "$SERIAL"
n=$(grep -c "display: asking the device model" "$TMP/render.err")
"${PROBE[@]}" "user:bob:pass word" 100x100 4000x3000 >"$TMP/ds3.out" 2>&1
diag "$(cat "$TMP/ds3.out")"
ok "framed sizes out of bounds: 100x100 invalid (3), 4000x3000 too large (2)" \
	sh -c "grep -qx '100x100: status 3, now 1208x828' '$TMP/ds3.out' &&
	    grep -qx '4000x3000: status 2, now 1208x828' '$TMP/ds3.out'"
is "$(grep -c "display: asking the device model" "$TMP/render.err")" "$n" \
	"... and neither reached the device model"
ok "the qube is at 1200x800 still, served exactly" \
	"${V[@]}" --frames 2 --want-size 1200x800 --timeout 60

kill "$rpid"; wait "$rpid" 2>/dev/null
is "$?" 0 "SIGTERM: tessera-render shuts down cleanly"
rpid=''
err=$(grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error' "$TMP/render.err" | head -n 3)
is "$err" "" "tessera-render's log has no sanitizer report"
cp "$TMP/render.err" "$TSR_BUILD/test-logs/tessera-render-resize.log" 2>/dev/null
done_testing
