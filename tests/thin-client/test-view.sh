#!/usr/bin/env bash
# Suite: tessera-view end to end.  A host of its own (a CA, tessera-vmd on
# libvirt with a tessera-render per running qube, mutual TLS), four test
# qubes at 1280x800 (tv-red, tv-green, tv-blue, and tv-spoof, purple, whose
# picture draws a fake red frame titled "[tv-red] red"), and tessera-view
# under Xvfb at 2600x1700, where a 2x2 grid shows every picture 1:1.
# Screenshots are checked pixel by pixel against the viewer's state file
# by view-check: every frame pixel and title glyph, the
# pictures 1:1 inside (colour bars, frame counter), the desktop around the
# windows, the echo line of typed text, the overview's labels.  Then: keys
# go to the focused qube only and to none in the overview (Ctrl+Alt+Home);
# a killed decoder comes back while the others keep updating, and a hung
# one is replaced; windows move, resize, maximise and minimise; a viewer
# of two hosts shows each qube once per host; a viewer
# whose certificate the policy allows only tv-blue never learns of the
# others; the panel's stop and start buttons work; and a viewer over RDP
# (tickets instead of certificates) shows the same.
source "$TSR_ROOT/tests/lib/tap.sh"
source "$TSR_ROOT/tests/lib/libvirt.sh"
source "$TSR_ROOT/tests/lib/viewstate.sh"
source "$TSR_ROOT/tests/thin-client/lib.sh"

BIN=$TSR_BUILD/bin
CHECK=$TSR_BUILD/tests/view-check
TMP=$TSR_TMP
S=$TMP/state
CA=$TMP/ca
LOGS=$TSR_BUILD/test-logs
VIRSH="virsh -q -c qemu:///system"
RUSER=tessera-render
QUBES="tv-red tv-green tv-blue tv-spoof"
DOMAINS="tv-tmpl $QUBES"
SPOOF_TITLE="[tv-red] red"
SPOOF=(--spoof "tv-spoof=red:$SPOOF_TITLE")
# under ASan: libvncclient's and GnuTLS's own leaks in the decoders, and
# libdbus's in the viewer (see the file)
VIEW_LSAN="suppressions=$TSR_ROOT/tests/thin-client/lsan.supp:print_suppressions=0"
chmod 711 "$TMP"

T() { "$BIN/tessera" --state "$S" "$@"; }

VMD_PID='' XPIDS=() VPIDS=() WATCH_PID=''

cleanup() {
	local p
	[ -n "$WATCH_PID" ] && kill "$WATCH_PID" 2>/dev/null
	for p in "${VPIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	[ -n "$VMD_PID" ] && kill "$VMD_PID" 2>/dev/null && wait "$VMD_PID" 2>/dev/null
	libvirt_forget "$S" $DOMAINS
	for p in "${XPIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
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
for c in Xvfb xdotool xwd convert xdpyinfo virsh; do
	command -v "$c" >/dev/null || bail "$c is installed"
done

# --- the state file ---
live() { live_at 1280 800 "$@"; }

# --- screenshots ---
# shot DISPLAY STATE OUT: a screenshot (OUT.ppm) and the state it shows
# (OUT.state): the state file did not change while the screen was taken
shot() {
	local i
	for i in 1 2 3 4 5; do
		cp "$2" "$3.state" 2>/dev/null || return 1
		DISPLAY=":$1" xwd -root -silent >"$3.xwd" &&
		    convert "xwd:$3.xwd" "$3.ppm" || return 1
		rm -f "$3.xwd"
		cmp -s "$2" "$3.state" && return 0
	done
	return 1
}
# check_shot WAIT DISPLAY STATE OUT VIEW-CHECK-ARGS...: until view-check
# passes (WAIT seconds); its last output is in OUT.out, the screenshot
# goes to the logs if it never passes
check_shot() {
	check_until "$1" "$4" shot "$2" "$3" -- "${@:5}"
}

# --- Xvfb displays of our own ---
start_x() {	# SIZE: an Xvfb on a display number it finds free; sets XD
	local f=$TMP/xvfb-${#XPIDS[@]}
	Xvfb -displayfd 3 -screen 0 "${1}x24" -nolisten tcp -noreset \
	    3>"$f.display" >"$f.log" 2>&1 &
	XPIDS+=($!)
	WAIT_FOR_SECONDS=10 wait_for grep -q '^[0-9]' "$f.display" || return 1
	XD=$(head -n 1 "$f.display")
	WAIT_FOR_SECONDS=10 wait_for xdpyinfo -display ":$XD"
}
start_view() {	# DISPLAY NAME CERT ARGS...: its pid is ${VPIDS[-1]}
	local dpy=$1 name=$2 cert=$3
	shift 3
	DISPLAY=":$dpy" LSAN_OPTIONS="$VIEW_LSAN" "$BIN/tessera-view" -v \
	    --ca "$CA/ca.crt" --cert "$CA/issued/$cert.crt" \
	    --key "$CA/issued/$cert.key" --state-file "$TMP/$name.state" "$@" \
	    "127.0.0.1:$PORT" >"$TMP/$name.log" 2>&1 &
	VPIDS+=($!)
}

# ======================= the host =======================
# the render-servers' 8 ports, and the Admin API's after them
host_ports 9

{
	"$BIN/tessera-ca" init --dir "$CA" --name "view test CA" &&
	"$BIN/tessera-ca" issue server host --dir "$CA" --dns localhost --ip 127.0.0.1 &&
	"$BIN/tessera-ca" issue client lab --dir "$CA" --role viewer &&
	"$BIN/tessera-ca" issue client kiosk-blue --dir "$CA" --role viewer
} >"$TMP/ca.log" 2>&1
ok "tessera-ca makes the host's and two viewers' certificates" test $? -eq 0

# lab (role viewer) sees every qube and may stop and start tv-spoof;
# kiosk-blue, a viewer too, is allowed tv-blue and nothing else
mkdir -p "$S/policy.d"
cat >"$S/policy.d/50-view.policy" <<'POL'
*		 user:root	  *		allow
vm.list		 cert:kiosk-blue  tv-blue	allow
vm.get		 cert:kiosk-blue  tv-blue	allow
events.subscribe cert:kiosk-blue  @host		allow
display.endpoint cert:kiosk-blue  tv-blue	allow
display.connect	 cert:kiosk-blue  tv-blue	allow
*		 cert:kiosk-blue  *		deny
vm.list		 role:viewer	  *		allow
vm.get		 role:viewer	  *		allow
events.subscribe role:viewer	  @host		allow
display.endpoint role:viewer	  *		allow
display.connect	 role:viewer	  *		allow
vm.start	 role:viewer	  tv-spoof	allow
vm.shutdown	 role:viewer	  tv-spoof	allow
POL

host_vmd 127.0.0.1
WAIT_FOR_SECONDS=20 ok "tessera-vmd starts (Admin API over mutual TLS on $PORT)" \
    wait_for T label ls || bail "tessera-vmd runs" "$(tail -n 5 "$TMP/vmd.log")"

# tessera.size: the qubes keep 1280x800 whatever size their windows ask for
# (test-view-resize.sh has qubes that follow)
OPTS="console=ttyS0 tessera.fps=3 tessera.size=1280x800"
ok "import the test qube as template tv-tmpl (gray)" T template import tv-tmpl \
    --label gray --kernel "$TSR_IMAGES/vmlinux" \
    --initrd "$TSR_IMAGES/testqube.cpio.gz" --kernel-opts "$OPTS"
{
	T create tv-red --label red --template tv-tmpl &&
	T create tv-green --label green --template tv-tmpl &&
	T create tv-blue --label blue --template tv-tmpl &&
	T create tv-spoof --label purple --template tv-tmpl \
	    --kernel-opts "$OPTS tessera.spoof=red tessera.title=\"$SPOOF_TITLE\""
} >"$TMP/create.log" 2>&1
ok "create tv-red, tv-green, tv-blue, and tv-spoof (purple, drawing a red \"$SPOOF_TITLE\" frame)" \
    test $? -eq 0 || diag "$(cat "$TMP/create.log")"
ok "start the four" T start $QUBES || bail "the qubes start"

# ======================= 1. the compositor =======================
start_x 2600x1700 || bail "Xvfb starts" "$(cat "$TMP"/xvfb-*.log)"
D1=$XD
start_view "$D1" v1 lab --geometry 2600x1700 --scale 1
V1=${VPIDS[-1]}
ST1=$TMP/v1.state
WAIT_FOR_SECONDS=150 ok "tessera-view (lab) shows the four qubes, connected" \
    wait_for live "$ST1" $QUBES ||
    diag "$(cat "$ST1" 2>/dev/null)" "$(tail -n 15 "$TMP/v1.log")"
is "$(names "$ST1")" "tv-blue tv-green tv-red tv-spoof tv-tmpl" \
    "its state lists every qube (tv-tmpl halted, without a window)"
wid=$(DISPLAY=":$D1" xdotool search --name '^Tessera$' | head -n 1)
geom=$(DISPLAY=":$D1" xdotool getwindowgeometry "$wid" 2>/dev/null |
    awk '/Position/{p=$2} /Geometry/{g=$2} END{print p, g}')
is "$geom" "0,0 2600x1700" "its window covers the 2600x1700 screen"

if check_shot 60 "$D1" "$ST1" "$TMP/s1" --frames --content "${SPOOF[@]}"; then
	pass "screenshot: 4 frames in their label colours on every pixel, titles and buttons glyph-exact, pictures 1:1 inside"
else
	fail "screenshot: 4 frames in their label colours on every pixel, titles and buttons glyph-exact, pictures 1:1 inside"
	show "$TMP/s1"
fi
diag "$(grep -v '^counter' "$TMP/s1.out" | head -n 8)"
for q in $QUBES; do
	c=$(counter "$TMP/s1" "$q")
	ok "$q: frame counter decoded from the screenshot ($c)" test -n "$c"
done
# the same screenshot, read as the spoofing test
ok "tv-spoof's picture holds its fake red frame titled \"$SPOOF_TITLE\" (exact pixels)" \
    grep -q "^counter tv-spoof " "$TMP/s1.out"
ok "... while its real frame is purple on every pixel, titled [tv-spoof] purple" \
    grep -q "^# tv-spoof: frame #75507b .* \"\[tv-spoof\] purple\".*: 0 bad pixels" "$TMP/s1.out"
ok "... and every pixel outside the windows, below the panel, is the desktop's #303030" \
    grep -q "^# 4 frames; desktop: 0 bad pixels" "$TMP/s1.out"
# the checker is not blind: the same screenshot against a state that
# differs in one colour, one letter of a name, and with one frame pixel
# changed, fails
sed 's/^\(qube tv-spoof .* rgb \)75507b/\1cc0000/' "$TMP/s1.state" >"$TMP/neg1.state"
sed 's/^qube tv-red /qube tv-rex /' "$TMP/s1.state" >"$TMP/neg2.state"
ok "view-check fails when tv-spoof's frame should be red" fails \
    "$CHECK" --shot "$TMP/s1.ppm" --state "$TMP/neg1.state" --frames
ok "... when tv-red's title should read [tv-rex] red" fails \
    "$CHECK" --shot "$TMP/s1.ppm" --state "$TMP/neg2.state" --frames
read -r wx wy < <(qf "$TMP/s1.state" tv-blue win 2)
python3 - "$TMP/s1.ppm" "$TMP/neg3.ppm" $((wx + 1)) $((wy + 30)) <<'PY'
import re, sys
src, dst, x, y = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
data = bytearray(open(src, 'rb').read())
m = re.match(rb'P6\s+(?:#[^\n]*\n\s*)*(\d+)\s+(\d+)\s+255\s', data)
data[m.end() + (y * int(m.group(1)) + x) * 3] ^= 1
open(dst, 'wb').write(data)
PY
ok "... and when one pixel of tv-blue's left border is off by one in red" fails \
    "$CHECK" --shot "$TMP/neg3.ppm" --state "$TMP/s1.state" --frames
# the tiled layout: four windows side by side, none over another
ok "the four windows do not overlap and fit the screen" awk '
	$1 == "qube" && $12 == 1 { n++; x[n] = $14; y[n] = $15; w[n] = $16; h[n] = $17 }
	END {
		for (i = 1; i <= n; i++) {
			if (x[i] < 0 || y[i] < 24 || x[i] + w[i] > 2600 || y[i] + h[i] > 1700) exit 1
			for (j = i + 1; j <= n; j++)
				if (x[i] < x[j] + w[j] && x[j] < x[i] + w[i] &&
				    y[i] < y[j] + h[j] && y[j] < y[i] + h[i]) exit 1
		}
		exit n != 4
	}' "$TMP/s1.state"

# ======================= 3. keys =======================
TEXT="tessera view 42"
X=(env DISPLAY=":$D1" xdotool)
"${X[@]}" windowfocus --sync "$wid" >/dev/null 2>&1
read -r cx cy cw ch < <(qf "$ST1" tv-red content 4)
"${X[@]}" mousemove --sync $((cx + 640)) $((cy + 600)) click 1
WAIT_FOR_SECONDS=10 ok "a click into tv-red's picture focuses it" \
    wait_for head_is "$ST1" focus tv-red
# the focus mark moved: the frames again
check_shot 20 "$D1" "$ST1" "$TMP/s2" --frames
ok "tv-red's title bar now has the focus mark (frames checked again)" \
    grep -q '^# tv-red: frame .*(focused): 0 bad pixels' "$TMP/s2.out" || show "$TMP/s2"
"${X[@]}" type --delay 60 "$TEXT"
if check_shot 30 "$D1" "$ST1" "$TMP/s3" --echo "tv-red=$TEXT" --echo tv-green= \
    --echo tv-blue= --echo tv-spoof= "${SPOOF[@]}"; then
	pass "typed text: tv-red's echo line shows \"$TEXT\", the others' lines are empty"
else
	fail "typed text: tv-red's echo line shows \"$TEXT\", the others' lines are empty"
	show "$TMP/s3"
fi

"${X[@]}" key ctrl+alt+Home
WAIT_FOR_SECONDS=10 ok "Ctrl+Alt+Home: the state says overview 1" \
    wait_for head_is "$ST1" overview 1
if check_shot 20 "$D1" "$ST1" "$TMP/s4" --frames --overview; then
	pass "the overview: frames unchanged, each window's label box glyph-exact"
else
	fail "the overview: frames unchanged, each window's label box glyph-exact"
	show "$TMP/s4"
fi
"${X[@]}" type --delay 60 "zz"
"${X[@]}" mousemove --sync $((cx + 600)) $((cy + 560)) click 1
"${X[@]}" key Return
sleep 1
is "$(hf "$ST1" overview)" 1 "keys and clicks in the overview do not leave it"
"${X[@]}" key ctrl+alt+Home
WAIT_FOR_SECONDS=10 ok "Ctrl+Alt+Home again: overview 0" \
    wait_for head_is "$ST1" overview 0
# had "zz" or Return reached tv-red, its echo line would show them first
"${X[@]}" type --delay 60 "x"
if check_shot 30 "$D1" "$ST1" "$TMP/s5" --echo "tv-red=${TEXT}x" --echo tv-green= \
    --echo tv-blue= --echo tv-spoof= "${SPOOF[@]}"; then
	pass "no key typed in the overview reached a qube; after it tv-red gets keys again (\"${TEXT}x\")"
else
	fail "no key typed in the overview reached a qube; after it tv-red gets keys again (\"${TEXT}x\")"
	show "$TMP/s5"
fi
"${X[@]}" key ctrl+alt+Home
WAIT_FOR_SECONDS=10 wait_for head_is "$ST1" overview 1
"${X[@]}" key Escape
WAIT_FOR_SECONDS=10 ok "Esc leaves the overview too" \
    wait_for head_is "$ST1" overview 0
ok "the SAK was logged, never forwarded" grep -q "overview on" "$TMP/v1.log"

# ======================= 4. a decoder killed =======================
old=$(qf "$ST1" tv-green decoder)
check_shot 20 "$D1" "$ST1" "$TMP/s6" --content "${SPOOF[@]}" || show "$TMP/s6"
kill -9 "$old" 2>/dev/null
ok "kill -9 tv-green's decoder ($old)" test -n "$old" -a "$old" != 0
sleep 2
check_shot 20 "$D1" "$ST1" "$TMP/s7" --content --skip tv-green "${SPOOF[@]}" || show "$TMP/s7"
for q in tv-red tv-blue tv-spoof; do
	a=$(counter "$TMP/s6" "$q") b=$(counter "$TMP/s7" "$q")
	ok "$q keeps updating meanwhile (counter $a -> $b)" \
	    test -n "$a" -a -n "$b" -a "${b:-0}" -gt "${a:-0}"
done
back() {
	local pid
	pid=$(qf "$ST1" tv-green decoder)
	[ -n "$pid" ] && [ "$pid" != 0 ] && [ "$pid" != "$old" ] && live "$ST1" tv-green
}
WAIT_FOR_SECONDS=20 ok "tv-green's decoder comes back (pid $(qf "$ST1" tv-green decoder), connected)" \
    wait_for back
ok "the viewer says so" grep -q "tv-green: decoder $old killed by signal 9" "$TMP/v1.log"
if check_shot 20 "$D1" "$ST1" "$TMP/s8" --frames --content "${SPOOF[@]}"; then
	pass "tv-green's picture is back in its frame (counter $(counter "$TMP/s8" tv-green))"
else
	fail "tv-green's picture is back in its frame"
	show "$TMP/s8"
fi

# a hung decoder (stopped): it answers no ping, and is replaced
old=$(qf "$ST1" tv-red decoder)
kill -STOP "$old" 2>/dev/null
back_red() {
	local pid
	pid=$(qf "$ST1" tv-red decoder)
	[ -n "$pid" ] && [ "$pid" != 0 ] && [ "$pid" != "$old" ] && live "$ST1" tv-red
}
WAIT_FOR_SECONDS=30 ok "a hung decoder ($old, stopped) is replaced" wait_for back_red
ok "the viewer says why" grep -q "tv-red: decoder $old does not answer" "$TMP/v1.log"

# ======================= 5. policy: a viewer allowed tv-blue only =======================
start_x 1400x960 || bail "a second Xvfb starts" "$(cat "$TMP"/xvfb-*.log)"
D2=$XD
printf 'host 127.0.0.1:%s\nca %s\nfrobnicate yes\n' "$PORT" "$CA/ca.crt" >"$TMP/bad.conf"
out=$("$BIN/tessera-view" --config "$TMP/bad.conf" 2>&1)
is "$?" 2 "a config file with an unknown setting is refused"
ok "... naming its line" grep -q "bad.conf:3: not understood" <<<"$out"
start_view "$D2" v2 kiosk-blue --geometry 1400x960 --scale 2
V2=${VPIDS[-1]}
ST2=$TMP/v2.state
# every qube name the state file ever lists, while this viewer runs
(while :; do awk '$1 == "qube" { print $2 }' "$ST2" 2>/dev/null; sleep 0.1; done) \
    >"$TMP/v2.names" 2>/dev/null &
WATCH_PID=$!
WAIT_FOR_SECONDS=60 ok "tessera-view (kiosk-blue, scale 2) shows tv-blue, connected" \
    wait_for live "$ST2" tv-blue || diag "$(cat "$ST2" 2>/dev/null)" "$(tail -n 10 "$TMP/v2.log")"
HIDDEN_RGB=(--forbid cc0000 --forbid 73d216 --forbid 75507b --forbid 555555)
if check_shot 30 "$D2" "$ST2" "$TMP/p1" --frames --content "${HIDDEN_RGB[@]}"; then
	pass "its screenshot: tv-blue's frame at scale 2 exact, its picture 1:1; no pixel of red, green, purple or gray outside the picture"
else
	fail "its screenshot: tv-blue's frame at scale 2 exact, its picture 1:1; no pixel of red, green, purple or gray outside the picture"
	show "$TMP/p1"
fi
ok "... one frame only" grep -q "^# 1 frames; desktop: 0 bad pixels" "$TMP/p1.out"
sleep 1
kill "$WATCH_PID" 2>/dev/null; wait "$WATCH_PID" 2>/dev/null; WATCH_PID=''
is "$(sort -u "$TMP/v2.names" | tr '\n' ' ')" "tv-blue " \
    "its state file never listed another qube (sampled every 0.1 s)"
nok "its log (-v) never names a hidden qube" grep -E "tv-(red|green|spoof|tmpl)" "$TMP/v2.log"
ok "the daemon refused it nothing it asked about tv-blue" \
    test "$(grep -c "cert:kiosk-blue.*tv-blue.*denied" "$TMP/vmd.log")" = 0

# ======================= 6. the panel's buttons =======================
# the panel's entries as tessera-view lays them out, in name order: a
# swatch, "NAME (STATE)", then a button ("start" or "stop")
button_at() {	# STATE NAME: the centre of NAME's button
	awk -v want="$2" 'NR == 1 { for (i = 1; i < NF; i++) if ($i == "scale") s = $(i + 1); x = 8 * s }
	$1 == "qube" {
		text = $2 " (" $10 ")"; b = ""
		if ($10 == "halted") b = "start"
		if ($10 == "running" || $10 == "paused") b = "stop"
		w = 16 * s + 8 * s * length(text)
		if (b != "") w += 8 * s + 8 * s * length(b) + 8 * s
		if ($2 == want) {
			bw = 8 * s * length(b) + 8 * s
			print x + w - bw + int(bw / 2), 12 * s; exit
		}
		x += w + 16 * s
	}' "$1"
}
read -r bx by < <(button_at "$ST1" tv-spoof)
"${X[@]}" mousemove --sync "$bx" "$by" click 1
WAIT_FOR_SECONDS=60 ok "the panel's stop button stops tv-spoof (policy allows lab)" \
    wait_for qube_is "$ST1" tv-spoof state halted
gone() { [ "$(qf "$ST1" tv-spoof shown) $(qf "$ST1" tv-spoof decoder)" = "0 0" ]; }
WAIT_FOR_SECONDS=10 ok "its window and decoder are gone" wait_for gone ||
    diag "$(grep tv-spoof "$ST1")"
read -r bx by < <(button_at "$ST1" tv-spoof)
"${X[@]}" mousemove --sync "$bx" "$by" click 1
WAIT_FOR_SECONDS=90 ok "its start button starts it again: shown, connected" \
    wait_for live "$ST1" tv-spoof
if check_shot 30 "$D1" "$ST1" "$TMP/s9" --frames --content "${SPOOF[@]}"; then
	pass "the screen again: four exact frames, four pictures"
else
	fail "the screen again: four exact frames, four pictures"
	show "$TMP/s9"
fi
# kiosk-blue may not stop tv-blue: its panel's stop button is refused
read -r bx by < <(button_at "$ST2" tv-blue)
DISPLAY=":$D2" xdotool mousemove --sync "$bx" "$by" click 1 >/dev/null 2>&1
WAIT_FOR_SECONDS=10 ok "kiosk-blue's stop click on tv-blue is refused by the policy" \
    wait_for grep -q "vm.shutdown tv-blue: denied" "$TMP/v2.log"
sleep 1
is "$(qf "$ST2" tv-blue state)" running "... and tv-blue runs on"

# ======================= 7. windows: move, resize, maximise, minimise =======================
read -r wx wy ww wh < <(qf "$ST1" tv-blue win 4)
T1=$(hf "$ST1" title)
# drag the title bar (left of the title's buttons) 200 px right, 100 down
"${X[@]}" mousemove --sync $((wx + 60)) $((wy + T1 / 2)) mousedown 1 \
    mousemove --sync $((wx + 160)) $((wy + T1 / 2 + 50)) \
    mousemove --sync $((wx + 260)) $((wy + T1 / 2 + 100)) mouseup 1
moved() { [ "$(qf "$ST1" tv-blue win 2)" = "$((wx + 200)) $((wy + 100))" ]; }
WAIT_FOR_SECONDS=10 ok "dragging tv-blue's title bar moves its window by the drag" wait_for moved ||
    diag "win $(qf "$ST1" tv-blue win 4), was $wx $wy"
read -r wx wy ww wh < <(qf "$ST1" tv-blue win 4)
# drag the bottom right corner 100 px left and up
"${X[@]}" mousemove --sync $((wx + ww - 2)) $((wy + wh - 2)) mousedown 1 \
    mousemove --sync $((wx + ww - 52)) $((wy + wh - 52)) \
    mousemove --sync $((wx + ww - 102)) $((wy + wh - 102)) mouseup 1
resized() { [ "$(qf "$ST1" tv-blue win 4)" = "$wx $wy $((ww - 100)) $((wh - 100))" ]; }
WAIT_FOR_SECONDS=10 ok "dragging its corner resizes it" wait_for resized ||
    diag "win $(qf "$ST1" tv-blue win 4), was $wx $wy $ww $wh"
if check_shot 20 "$D1" "$ST1" "$TMP/s10" --frames; then
	pass "the moved window over the others: every frame exact, nothing outside"
else
	fail "the moved window over the others: every frame exact, nothing outside"
	show "$TMP/s10"
fi
# maximise with its button, then back
read -r wx wy ww wh < <(qf "$ST1" tv-blue win 4)
B=$(hf "$ST1" border) SC=$(hf "$ST1" scale)
bsz=$((T1 - 6 * SC))
"${X[@]}" mousemove --sync $((wx + ww - B - bsz / 2)) $((wy + T1 / 2)) click 1
read -r _ SW SH _ < "$ST1"
P1=$(hf "$ST1" panel)
maxed() { [ "$(qf "$ST1" tv-blue win 4)" = "0 $P1 $SW $((SH - P1))" ]; }
WAIT_FOR_SECONDS=10 ok "its maximise button fills the screen below the panel" wait_for maxed ||
    diag "win $(qf "$ST1" tv-blue win 4)"
"${X[@]}" mousemove --sync $((SW - B - bsz / 2)) $((P1 + T1 / 2)) click 1
restored() { [ "$(qf "$ST1" tv-blue win 4)" = "$wx $wy $ww $wh" ]; }
WAIT_FOR_SECONDS=10 ok "and again restores it" wait_for restored ||
    diag "win $(qf "$ST1" tv-blue win 4), was $wx $wy $ww $wh"
# minimise: the window goes, its panel entry brings it back
"${X[@]}" mousemove --sync $((wx + ww - B - bsz - 2 * SC - bsz / 2)) $((wy + T1 / 2)) click 1
WAIT_FOR_SECONDS=10 ok "its minimise button hides it" wait_for qube_is "$ST1" tv-blue shown 0
read -r bx by < <(button_at "$ST1" tv-blue)
"${X[@]}" mousemove --sync $((bx - 120)) "$by" click 1
back_focused() { qube_is "$ST1" tv-blue shown 1 && head_is "$ST1" focus tv-blue; }
WAIT_FOR_SECONDS=10 ok "a click on its panel entry shows it again, focused" wait_for back_focused

# ======================= 8. two hosts =======================
# the same daemon twice, over its unix socket (as root) and over mutual
# TLS: each qube shows once per host, as host/qube
start_view "$D2" v3 lab --geometry 1400x960 "$S/control.sock"
V3=${VPIDS[-1]}
ST3=$TMP/v3.state
per_host() {	# NAME: "hosts connected" over its lines
	awk -v q="$1" '$1 == "qube" && $2 == q { n++
		for (i = 3; i < NF; i++) if ($i == "connected") c += $(i + 1) }
		END { print n + 0, c + 0 }' "$ST3" 2>/dev/null
}
two_hosts() { [ "$(per_host tv-red)" = "2 2" ] && [ "$(per_host tv-blue)" = "2 2" ]; }
WAIT_FOR_SECONDS=60 ok "a viewer of two hosts shows tv-red and tv-blue from each, connected" \
    wait_for two_hosts || diag "$(cat "$ST3" 2>/dev/null)"
ok "... and logs both hosts connected" sh -c "grep -q 'host $S/control.sock: connected' '$TMP/v3.log' &&
    grep -q 'host 127.0.0.1:$PORT: connected' '$TMP/v3.log'"
kill "$V3" 2>/dev/null
wait "$V3"
is "$?" 0 "that viewer exits 0 on SIGTERM"
unset 'VPIDS[-1]'

# ======================= 9. over RDP =======================
# The same host, a viewer with --protocol rdp: its decoders log on to the
# render-servers' RDP side with tickets from tessera-vmd, and get the
# qubes' screens unframed and lossless (planar), drawn in our frames.
start_x 2600x1700 || bail "a third Xvfb starts" "$(cat "$TMP"/xvfb-*.log)"
D3=$XD
# (a HOME of its own, without FreeRDP's configuration directories)
HOME="$TMP/home-v4" start_view "$D3" v4 lab --geometry 2600x1700 --scale 1 \
    --protocol rdp
V4=${VPIDS[-1]}
ST4=$TMP/v4.state
WAIT_FOR_SECONDS=150 ok "tessera-view --protocol rdp shows the four qubes, connected" \
    wait_for live "$ST4" $QUBES ||
    diag "$(cat "$ST4" 2>/dev/null)" "$(tail -n 15 "$TMP/v4.log")"
ok "... through decoders running with --rdp" \
    pgrep -f "tessera-view-decoder --rdp --host 127.0.0.1 .*--ca $CA/ca.crt"
ok "... logged on with tickets that tessera-vmd redeemed for cert:lab" \
    grep -q "viewer .*cert:lab (ticket) on tv-green: allowed" "$TMP/vmd.log"
ok "... and served unframed" grep -q 'user "tessera-ticket" logged on (unframed)' \
    "$TMP/vmd.log"
# tv-red shows the pointer marker where the pointer last was (sections
# 3 and 7): moving the pointer over its picture, below the checked rows,
# moves the marker out of them, through RDP
wid4=$(DISPLAY=":$D3" xdotool search --name '^Tessera$' | head -n 1)
X4=(env DISPLAY=":$D3" xdotool)
"${X4[@]}" windowfocus --sync "$wid4" >/dev/null 2>&1
read -r cx cy cw ch < <(qf "$ST4" tv-red content 4)
"${X4[@]}" mousemove --sync $((cx + 600)) $((cy + 620))
if check_shot 60 "$D3" "$ST4" "$TMP/r1" --frames --content "${SPOOF[@]}"; then
	pass "RDP screenshot: 4 frames in their label colours, pictures 1:1 and exact (tv-red's pointer marker moved away)"
else
	fail "RDP screenshot: 4 frames in their label colours, pictures 1:1 and exact (tv-red's pointer marker moved away)"
	show "$TMP/r1"
fi
c1=$(counter "$TMP/r1" tv-blue)
RTEXT="rdp 7"
read -r cx cy cw ch < <(qf "$ST4" tv-green content 4)
"${X4[@]}" mousemove --sync $((cx + 640)) $((cy + 600)) click 1
WAIT_FOR_SECONDS=10 wait_for head_is "$ST4" focus tv-green
"${X4[@]}" type --delay 80 "$RTEXT"
# (tv-red's echo line still holds what section 3 typed)
if check_shot 30 "$D3" "$ST4" "$TMP/r2" --echo "tv-green=$RTEXT" \
    --echo tv-blue= --echo tv-spoof= "${SPOOF[@]}"; then
	pass "RDP keys: tv-green's echo line shows \"$RTEXT\", tv-blue's and tv-spoof's are empty"
else
	fail "RDP keys: tv-green's echo line shows \"$RTEXT\", tv-blue's and tv-spoof's are empty"
	show "$TMP/r2"
fi
check_shot 30 "$D3" "$ST4" "$TMP/r3" --content "${SPOOF[@]}"
c2=$(counter "$TMP/r3" tv-blue)
ok "tv-blue's picture keeps updating over RDP (counter $c1 -> $c2)" \
    test -n "$c1" -a -n "$c2" -a "${c2:-0}" != "${c1:-0}"
# a ticket nobody was given opens nothing
rdp=$(T display tv-red | awk '$1 == "rdp" { print $2 }')
DISPLAY=":$D3" timeout 20 xfreerdp /v:"$rdp" /u:tessera-ticket \
    /p:"$(printf '%064d' 0)" /sec:tls /cert:ignore /log-level:OFF \
    >/dev/null 2>&1
WAIT_FOR_SECONDS=10 ok "xfreerdp with a made-up ticket is refused by tv-red's render-server" \
    wait_for grep -q 'viewer with an unknown ticket on tv-red: refused' "$TMP/vmd.log"
kill "$V4" 2>/dev/null
wait "$V4"
is "$?" 0 "the RDP viewer exits 0 on SIGTERM"
unset 'VPIDS[-1]'
err=$(grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error|SIGSYS|killed by signal' "$TMP/v4.log" | head -n 3)
is "$err" "" "the RDP viewer's log has no sanitizer report and no decoder killed"
cp "$TMP/v4.log" "$LOGS/test-view-v4.log" 2>/dev/null

# ======================= the end =======================
for p in "$V1" "$V2"; do
	kill "$p" 2>/dev/null
	wait "$p"
	rc=$?
	is "$rc" 0 "tessera-view $p exits 0 on SIGTERM"
done
VPIDS=()
ok "its decoders are gone" test -z "$(pgrep -f "tessera-view-decoder .*--ca $CA/ca.crt")"
for f in v1 v2; do
	err=$(grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error' "$TMP/$f.log" | head -n 3)
	is "$err" "" "the $f viewer's log has no sanitizer report"
	cp "$TMP/$f.log" "$LOGS/test-view-$f.log" 2>/dev/null
done
kill "$VMD_PID" 2>/dev/null
wait "$VMD_PID" 2>/dev/null
VMD_PID=
nok "the daemon's and render-servers' log has no sanitizer report" \
    grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$TMP/vmd.log"
cp "$TMP/vmd.log" "$LOGS/test-view-vmd.log" 2>/dev/null
done_testing
