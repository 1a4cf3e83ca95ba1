#!/usr/bin/env bash
# Suite: a qube's resolution follows its window in tessera-view.
#
# A host of its own (a CA, tessera-vmd on libvirt with a tessera-render per
# running qube, mutual TLS), one test qube, tvr-work, on virtio-gpu (every
# QEMU/KVM qube's video), that follows its display's preferred mode (no
# tessera.size), and tessera-view under Xvfb at 1600x1000.  The chain:
# the viewer asks (TV_RESIZE, SetDesktopSize), tessera-render forwards to
# QEMU's VNC, QEMU gives virtio-gpu the size, the qube sets its new
# preferred mode ("TESSERA-QUBE-MODE WxH" on its console).  Checked: at
# the first connection, after dragging the window's corner (in 20 steps:
# the qube is asked a few times at most, not at every motion), and
# maximised, the qube's mode on its console, the picture size in the
# viewer's state file and a screenshot (view-check --fills: the picture is
# the inside's size and its every gradient pixel is the pattern's, so no
# empty band) all equal the window's inside.  Then a VNC client asks
# tessera-render for absurd sizes: refused with the RFB status for each,
# the qube keeps its mode, and the server and the viewer keep serving.
#
# Then the same with tessera-view --protocol rdp on a screen of another
# size (its width leaves insides that are not multiples of 4): the
# decoder asks over RDP's Display Control channel, tessera-render takes
# the monitor layout.  Then xfreerdp /dynamic-resolution, a framed
# third-party viewer: its window's size, less the frame, becomes the
# qube's; windows too large and too small for a qube are refused, the
# qube keeps its mode, and the server keeps serving both viewers.
source "$TSR_ROOT/tests/lib/tap.sh"
source "$TSR_ROOT/tests/lib/libvirt.sh"
source "$TSR_ROOT/tests/lib/viewstate.sh"
source "$TSR_ROOT/tests/thin-client/lib.sh"

BIN=$TSR_BUILD/bin
CHECK=$TSR_BUILD/tests/view-check
PROBE=$TSR_ROOT/tests/render-server/rfbprobe.py
TMP=$TSR_TMP
S=$TMP/state
CA=$TMP/ca
LOGS=$TSR_BUILD/test-logs
VIRSH="virsh -q -c qemu:///system"
RUSER=tessera-render
Q=tvr-work
DOMAINS="tvr-tmpl $Q"
VIEW_LSAN="suppressions=$TSR_ROOT/tests/thin-client/lsan.supp:print_suppressions=0"
chmod 711 "$TMP"

T() { "$BIN/tessera" --state "$S" "$@"; }

VMD_PID='' XPID='' VPID='' XFPID='' XF2PID=''

cleanup() {
	[ -n "$XFPID" ] && kill "$XFPID" 2>/dev/null && wait "$XFPID" 2>/dev/null
	[ -n "$XF2PID" ] && kill "$XF2PID" 2>/dev/null && wait "$XF2PID" 2>/dev/null
	[ -n "$VPID" ] && kill "$VPID" 2>/dev/null && wait "$VPID" 2>/dev/null
	[ -n "$VMD_PID" ] && kill "$VMD_PID" 2>/dev/null && wait "$VMD_PID" 2>/dev/null
	libvirt_forget "$S" $DOMAINS
	[ -n "$XPID" ] && kill "$XPID" 2>/dev/null && wait "$XPID" 2>/dev/null
	libvirt_down
}
trap cleanup EXIT
trap 'exit 1' INT TERM

bail() { fail "$1"; [ $# -gt 1 ] && diag "${@:2}"; done_testing; }

for f in "$BIN/tessera-vmd" "$BIN/tessera" "$BIN/tessera-ca" "$BIN/tessera-render" \
    "$BIN/tessera-view" "$BIN/tessera-view-decoder" "$CHECK" \
    "$TSR_IMAGES/vmlinux" "$TSR_IMAGES/testqube.cpio.gz"; do
	[ -e "$f" ] || bail "$f is built"
done
for c in Xvfb xdotool xwd convert xdpyinfo virsh python3 xfreerdp; do
	command -v "$c" >/dev/null || bail "$c is installed"
done

# the window's inside and the picture, "W H" each
inside() { qf "$ST" "$Q" inside 4 | awk '{ print $3, $4 }'; }
picture() { qf "$ST" "$Q" fb 2; }
# the qube's picture is its window's inside, connected
follows() {
	[ "$(qf "$ST" "$Q" connected)" = 1 ] && [ -n "$(picture)" ] &&
	    [ "$(picture)" = "$(inside)" ]
}
# the qube's console: its last mode change, and how many it made
console() { find "$S" -name console.log -path "*$Q*" | head -n 1; }
last_mode() { grep -aoE 'TESSERA-QUBE-(READY|MODE) [0-9]+x[0-9]+' "$(console)" 2>/dev/null | tail -n 1 | awk '{ print $2 }'; }
nmodes() { grep -ac 'TESSERA-QUBE-MODE' "$(console)" 2>/dev/null; }
# requests tessera-render passed on to the device model
nasked() { grep -c 'display: asking the device model for' "$TMP/vmd.log"; }

shot() {	# OUT: a screenshot (OUT.ppm) and the state it shows (OUT.state)
	local i
	for i in 1 2 3 4 5; do
		cp "$ST" "$1.state" 2>/dev/null || return 1
		DISPLAY=":$XD" xwd -root -silent >"$1.xwd" &&
		    convert "xwd:$1.xwd" "$1.ppm" || return 1
		rm -f "$1.xwd"
		cmp -s "$ST" "$1.state" && return 0
	done
	return 1
}
check_shot() {	# WAIT OUT VIEW-CHECK-ARGS...: until view-check passes
	check_until "$1" "$2" shot -- "${@:3}"
}
# FOLLOWED OUT: the state, the console and a screenshot agree on the inside
followed() {
	local what=$1 out=$2 in
	WAIT_FOR_SECONDS=60 ok "$what: the qube's picture becomes the window's inside ($(inside | tr ' ' x))" \
	    wait_for follows ||
	    diag "inside $(inside), picture $(picture)" "$(grep "qube $Q" "$ST")"
	in=$(inside | tr ' ' x)
	is "$(last_mode)" "$in" "$what: the qube set that mode (its console's last READY or MODE)"
	if check_shot 30 "$out" --frames --content --fills "$Q"; then
		pass "$what: screenshot: frame exact, the ${in} picture fills the inside 1:1"
	else
		fail "$what: screenshot: frame exact, the ${in} picture fills the inside 1:1"
		show "$out"
	fi
}

# ======================= the host =======================
# the render-servers' 2 ports, and the Admin API's after them
host_ports 3

{
	"$BIN/tessera-ca" init --dir "$CA" --name "view resize test CA" &&
	"$BIN/tessera-ca" issue server host --dir "$CA" --dns localhost --ip 127.0.0.1 &&
	"$BIN/tessera-ca" issue client lab --dir "$CA" --role viewer
} >"$TMP/ca.log" 2>&1
ok "tessera-ca makes the host's and a viewer's certificates" test $? -eq 0
# a password for xfreerdp (framed)
TPASS=tvr-$RANDOM$RANDOM
printf '%s\n' "$TPASS" | "$BIN/tessera-render" passwd "$TMP/passwd" tp >/dev/null 2>&1
ok "a password for a third-party viewer" test -s "$TMP/passwd"

mkdir -p "$S/policy.d"
cat >"$S/policy.d/50-view.policy" <<'POL'
*		 user:root	  *		allow
vm.list		 role:viewer	  *		allow
vm.get		 role:viewer	  *		allow
events.subscribe role:viewer	  @host		allow
display.endpoint role:viewer	  *		allow
display.connect	 role:viewer	  *		allow
display.connect	 login:tp	  *		allow
POL

host_vmd 127.0.0.1 --render-passwd "$TMP/passwd"
WAIT_FOR_SECONDS=20 ok "tessera-vmd starts" wait_for T label ls ||
    bail "tessera-vmd runs" "$(tail -n 5 "$TMP/vmd.log")"

ok "import the test qube as template tvr-tmpl, following its display (no tessera.size)" \
    T template import tvr-tmpl --label gray --kernel "$TSR_IMAGES/vmlinux" \
    --initrd "$TSR_IMAGES/testqube.cpio.gz" --kernel-opts "console=ttyS0 tessera.fps=3"
ok "create $Q (blue)" T create "$Q" --label blue --template tvr-tmpl
ok "start it" T start "$Q" || bail "the qube starts"
ok "its domain has a virtio video device" \
    sh -c "$VIRSH dumpxml $Q | grep -q \"<model type='virtio'\""

# ======================= the viewers =======================
# start_viewer PROTO WxH TAG: an Xvfb of that size, tessera-view on it
# speaking PROTO (state $TMP/TAG.state, log $TMP/TAG.log)
start_viewer() {
	local proto=$1 geom=$2 tag=$3 xf=$TMP/xvfb-$3
	Xvfb -displayfd 3 -screen 0 "${geom}x24" -nolisten tcp -noreset \
	    3>"$xf.display" >"$xf.log" 2>&1 &
	XPID=$!
	WAIT_FOR_SECONDS=10 wait_for grep -q '^[0-9]' "$xf.display" || return 1
	XD=$(head -n 1 "$xf.display")
	WAIT_FOR_SECONDS=10 wait_for xdpyinfo -display ":$XD" || return 1
	GW=${geom%x*} GH=${geom#*x}
	ST=$TMP/$tag.state VLOG=$TMP/$tag.log
	X=(env DISPLAY=":$XD" xdotool)
	# (a HOME of its own, without FreeRDP's configuration directories)
	mkdir -p "$TMP/home-$tag"
	DISPLAY=":$XD" HOME="$TMP/home-$tag" LSAN_OPTIONS="$VIEW_LSAN" \
	    "$BIN/tessera-view" -v --protocol "$proto" \
	    --ca "$CA/ca.crt" --cert "$CA/issued/lab.crt" --key "$CA/issued/lab.key" \
	    --state-file "$ST" --geometry "$geom" --scale 1 \
	    "127.0.0.1:$PORT" >"$VLOG" 2>&1 &
	VPID=$!
}
connected() { [ "$(qf "$ST" "$Q" connected)" = 1 ]; }
# stop_viewer WHAT: SIGTERM, and its log clean
stop_viewer() {
	kill "$VPID" 2>/dev/null
	wait "$VPID"
	is "$?" 0 "$1: tessera-view exits 0 on SIGTERM"
	VPID=
	err=$(grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error|SIGSYS|killed by signal' "$VLOG" | head -n 3)
	is "$err" "" "$1: the viewer's log has no sanitizer report and no decoder killed"
	cp "$VLOG" "$LOGS/test-view-resize-$(basename "$VLOG")" 2>/dev/null
	kill "$XPID" 2>/dev/null
	wait "$XPID" 2>/dev/null
	XPID=
}

# follow_window WHAT TAG: the qube follows the window of the viewer on $XD
# at its first connection, after a drag of its corner, and maximised
follow_window() {
	local what=$1 tag=$2 wid wx wy ww wh asked0 modes0 asked modes i
	local T1 B SC P1 bsz ix iy iw ih
	# 1. the first connection: the qube takes the inside
	followed "$what: connected" "$TMP/$tag-s1"
	# the checker is not blind: the same screenshot with a 16 px band of
	# the viewer's empty colour along the bottom of the inside fails
	read -r ix iy iw ih < <(qf "$TMP/$tag-s1.state" "$Q" inside 4)
	python3 - "$TMP/$tag-s1.ppm" "$TMP/$tag-neg.ppm" "$ix" $((iy + ih - 16)) "$iw" 16 <<'PY'
import re, sys
src, dst = sys.argv[1], sys.argv[2]
x0, y0, w, h = (int(v) for v in sys.argv[3:7])
data = bytearray(open(src, 'rb').read())
m = re.match(rb'P6\s+(?:#[^\n]*\n\s*)*(\d+)\s+(\d+)\s+255\s', data)
sw = int(m.group(1))
for y in range(y0, y0 + h):
    o = m.end() + (y * sw + x0) * 3
    data[o:o + 3 * w] = b'\x10' * (3 * w)
open(dst, 'wb').write(data)
PY
	"$CHECK" --shot "$TMP/$tag-neg.ppm" --state "$TMP/$tag-s1.state" --fills "$Q" \
	    >"$TMP/$tag-neg.out" 2>&1
	is "$?" 1 "$what: view-check --fills fails on that screenshot with an empty band painted in"

	# 2. drag the bottom right corner 200 px left and 160 px up, in 20 steps
	wid=$("${X[@]}" search --name '^Tessera$' | head -n 1)
	"${X[@]}" windowfocus --sync "$wid" >/dev/null 2>&1
	read -r wx wy ww wh < <(qf "$ST" "$Q" win 4)
	asked0=$(nasked) modes0=$(nmodes)
	"${X[@]}" mousemove --sync $((wx + ww - 2)) $((wy + wh - 2)) mousedown 1
	for i in $(seq 1 20); do
		"${X[@]}" mousemove --sync $((wx + ww - 2 - 10 * i)) $((wy + wh - 2 - 8 * i))
		sleep 0.05
	done
	"${X[@]}" mouseup 1
	resized() { [ "$(qf "$ST" "$Q" win 4)" = "$wx $wy $((ww - 200)) $((wh - 160))" ]; }
	WAIT_FOR_SECONDS=10 ok "$what: dragging the corner resizes the window by the drag" \
	    wait_for resized || diag "win $(qf "$ST" "$Q" win 4), was $wx $wy $ww $wh"
	followed "$what: resized" "$TMP/$tag-s2"
	asked=$(( $(nasked) - asked0 )) modes=$(( $(nmodes) - modes0 ))
	ok "$what: a 20-step drag asked the qube $asked time(s) (1 to 3), and it changed mode $modes time(s)" \
	    test "$asked" -ge 1 -a "$asked" -le 3 -a "$modes" -ge 1 -a "$modes" -le "$asked"

	# 3. maximise with its button
	read -r wx wy ww wh < <(qf "$ST" "$Q" win 4)
	T1=$(hf "$ST" title) B=$(hf "$ST" border) SC=$(hf "$ST" scale) P1=$(hf "$ST" panel)
	bsz=$((T1 - 6 * SC))
	"${X[@]}" mousemove --sync $((wx + ww - B - bsz / 2)) $((wy + T1 / 2)) click 1
	maxed() { [ "$(qf "$ST" "$Q" win 4)" = "0 $P1 $GW $((GH - P1))" ]; }
	WAIT_FOR_SECONDS=10 ok "$what: the maximise button fills the screen below the panel" \
	    wait_for maxed || diag "win $(qf "$ST" "$Q" win 4)"
	followed "$what: maximised" "$TMP/$tag-s3"
}
# counter OUT: the qube's frame counter in view-check's output
counter() { awk -v q="$Q" '$1 == "counter" && $2 == q { print $3 }' "$1.out"; }

# ======================= over VNC =======================
start_viewer vnc 1600x1000 v || bail "Xvfb starts" "$(cat "$TMP"/xvfb-v.log)"
WAIT_FOR_SECONDS=120 ok "tessera-view shows $Q, connected" wait_for connected ||
    bail "the viewer connects" "$(tail -n 15 "$VLOG")"
follow_window VNC v

# 4. absurd sizes, straight to tessera-render over VNC: refused
vnc=$(T display "$Q" | awk '$1 == "vnc" { print $2 }')
vport=${vnc##*:}
modes0=$(nmodes) asked0=$(nasked) size=$(inside | tr ' ' x)
python3 "$PROBE" "$vport" desktop-size "$CA/ca.crt" \
    "cert:$CA/issued/lab.crt:$CA/issued/lab.key" \
    20000x20000 0x0 100x50 65535x1 >"$TMP/absurd.out" 2>&1
rc=$?
diag "$(cat "$TMP/absurd.out")"
is "$rc" 0 "a VNC client (X509None) asks tessera-render for four absurd sizes"
is "$(grep -c ': status ' "$TMP/absurd.out")" 4 "... and gets an answer to each"
ok "20000x20000: status 2 (out of resources), still $size" \
    grep -qx "20000x20000: status 2, now $size" "$TMP/absurd.out"
ok "0x0: status 3 (invalid screen layout)" grep -qx "0x0: status 3, now $size" "$TMP/absurd.out"
ok "100x50: status 3" grep -qx "100x50: status 3, now $size" "$TMP/absurd.out"
ok "65535x1: status 2" grep -qx "65535x1: status 2, now $size" "$TMP/absurd.out"
ok "... then the server keeps serving it the $size picture" grep -qx "serving $size" "$TMP/absurd.out"
is "$(( $(nasked) - asked0 )) $(( $(nmodes) - modes0 ))" "0 0" \
    "none of them reached the device model; the qube kept its mode"
if check_shot 30 "$TMP/v-s4" --frames --content --fills "$Q"; then
	pass "the viewer still shows the $size picture filling the maximised window"
else
	fail "the viewer still shows the $size picture filling the maximised window"
	show "$TMP/v-s4"
fi
c1=$(counter "$TMP/v-s3") c2=$(counter "$TMP/v-s4")
ok "... and it keeps updating (counter $c1 -> $c2)" \
    test -n "$c1" -a -n "$c2" -a "${c2:-0}" != "${c1:-0}"
stop_viewer VNC

# ======================= over RDP =======================
# another screen size, so that every step asks for a new one; its insides
# are even (RDP asks for even sizes) and 1434 wide, not a multiple of 4
start_viewer rdp 1442x902 r || bail "Xvfb starts" "$(cat "$TMP"/xvfb-r.log)"
WAIT_FOR_SECONDS=120 ok "tessera-view --protocol rdp shows $Q, connected" wait_for connected ||
    bail "the RDP viewer connects" "$(tail -n 15 "$VLOG")"
ok "... through a decoder running with --rdp" \
    pgrep -f "tessera-view-decoder --rdp --host 127.0.0.1 .*--ca $CA/ca.crt"
WAIT_FOR_SECONDS=20 ok "... which opens the Display Control channel with tessera-render" \
    wait_for grep -q 'rdp: .*: display control open' "$TMP/vmd.log"
follow_window RDP r
ok "the RDP decoder asked over the Display Control channel" \
    grep -q 'asked the server for ' "$VLOG"
ok "... and tessera-render passed the unframed monitor size on" \
    grep -qE 'rdp: .*: asked for [0-9]+x[0-9]+: the qube is asked for' "$TMP/vmd.log"

# 5. xfreerdp /dynamic-resolution, framed: its window less the frame (on
# an X server of its own, so that it covers nothing of tessera-view's)
rdp=$(T display "$Q" | awk '$1 == "rdp" { print $2 }')
nopen=$(grep -c 'rdp: .*: display control open' "$TMP/vmd.log")
Xvfb -displayfd 3 -screen 0 1400x1000x24 -nolisten tcp -noreset \
    3>"$TMP/xvfb-f.display" >"$TMP/xvfb-f.log" 2>&1 &
XF2PID=$!
WAIT_FOR_SECONDS=10 wait_for grep -q '^[0-9]' "$TMP/xvfb-f.display" ||
    bail "a second Xvfb starts" "$(cat "$TMP/xvfb-f.log")"
XD2=$(head -n 1 "$TMP/xvfb-f.display")
WAIT_FOR_SECONDS=10 wait_for xdpyinfo -display ":$XD2" || bail "the second Xvfb answers"
XF=(env DISPLAY=":$XD2" xdotool)
DISPLAY=":$XD2" HOME="$TMP/home-r" xfreerdp /v:"$rdp" /u:tp /p:"$TPASS" /sec:tls \
    /cert:ignore /log-level:OFF /dynamic-resolution /title:tvr-framed \
    >"$TMP/xfreerdp.log" 2>&1 &
XFPID=$!
xfwin() { "${XF[@]}" search --name '^tvr-framed$' | head -n 1; }
has_xfwin() { [ -n "$(xfwin)" ]; }
WAIT_FOR_SECONDS=30 ok "xfreerdp /dynamic-resolution logs on with a password (framed)" \
    wait_for has_xfwin || diag "$(tail -n 5 "$TMP/xfreerdp.log")"
open2() { [ "$(grep -c 'rdp: .*: display control open' "$TMP/vmd.log")" -gt "$nopen" ]; }
WAIT_FOR_SECONDS=20 ok "... and opens the Display Control channel" wait_for open2
xw=$(xfwin)
"${XF[@]}" windowsize "$xw" 1208 828
mode_is() { [ "$(last_mode)" = "$1" ]; }
WAIT_FOR_SECONDS=60 ok "its window made 1208x828: the qube takes 1200x800 (the frame, 8x28, taken off)" \
    wait_for mode_is 1200x800 || diag "mode $(last_mode)" \
    "$(grep 'rdp: .*asked for' "$TMP/vmd.log" | tail -n 3)"
ok "... which tessera-render asked for, as the framed 1208x828" \
    grep -q 'rdp: .*: asked for 1208x828 (framed): the qube is asked for 1200x800' "$TMP/vmd.log"
pic1200() { [ "$(picture)" = "1200 800" ]; }
WAIT_FOR_SECONDS=30 ok "... and tessera-view's RDP decoder got the 1200x800 picture (a desktop resize)" \
    wait_for pic1200 || diag "picture $(picture)"
if check_shot 30 "$TMP/r-s5" --frames --content; then
	pass "... and shows it, exactly"
else
	fail "... and shows it, exactly"
	show "$TMP/r-s5"
fi

# 6. absurd windows: refused, the qube keeps its mode, both keep serving
modes0=$(nmodes) asked0=$(nasked)
"${XF[@]}" windowsize "$xw" 6000 4000
WAIT_FOR_SECONDS=20 ok "xfreerdp's window made 6000x4000: refused as too large" \
    wait_for grep -q 'rdp: .*: asked for 6000x4000 (framed): refused (too large)' "$TMP/vmd.log" ||
    diag "$(grep 'rdp: .*asked for' "$TMP/vmd.log" | tail -n 3)"
"${XF[@]}" windowsize "$xw" 300 220
WAIT_FOR_SECONDS=20 ok "... made 300x220 (292x192 inside the frame): refused as too small" \
    wait_for grep -q 'rdp: .*: asked for 300x220 (framed): refused (too small)' "$TMP/vmd.log" ||
    diag "$(grep 'rdp: .*asked for' "$TMP/vmd.log" | tail -n 3)"
sleep 2
is "$(( $(nasked) - asked0 )) $(( $(nmodes) - modes0 )) $(last_mode)" "0 0 1200x800" \
    "none of them reached the device model; the qube kept 1200x800"
ok "... and xfreerdp is still connected" kill -0 "$XFPID"
if check_shot 30 "$TMP/r-s6" --frames --content; then
	pass "tessera-view still shows the 1200x800 picture over RDP"
else
	fail "tessera-view still shows the 1200x800 picture over RDP"
	show "$TMP/r-s6"
fi
c1=$(counter "$TMP/r-s5") c2=$(counter "$TMP/r-s6")
ok "... and it keeps updating (counter $c1 -> $c2)" \
    test -n "$c1" -a -n "$c2" -a "${c2:-0}" != "${c1:-0}"
nok "no RDP connection was closed for breaking the Display Control protocol" \
    grep -q 'display control: .*disconnecting' "$TMP/vmd.log"
kill "$XFPID" 2>/dev/null
wait "$XFPID" 2>/dev/null
XFPID=
kill "$XF2PID" 2>/dev/null
wait "$XF2PID" 2>/dev/null
XF2PID=
stop_viewer RDP

# ======================= the end =======================
cp "$(console)" "$LOGS/test-view-resize-console.log" 2>/dev/null
kill "$VMD_PID" 2>/dev/null
wait "$VMD_PID" 2>/dev/null
VMD_PID=
nok "the daemon's and render-server's log has no sanitizer report" \
    grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$TMP/vmd.log"
cp "$TMP/vmd.log" "$LOGS/test-view-resize-vmd.log" 2>/dev/null
done_testing
