#!/usr/bin/env bash
# tessera-vmd runs a tessera-render per running qube: display.endpoint says
# where, the daemon's policy decides who may look (display.authorize over
# the line it gave the render-server), a render-server that dies is
# restarted, and one whose qube stops goes away.
source "$TSR_ROOT/tests/lib/tap.sh"
source "$TSR_ROOT/tests/lib/libvirt.sh"

BIN=$TSR_BUILD/bin
VIEWER=$TSR_BUILD/tests/render-viewer
S=$TSR_TMP/state
CA=$TSR_TMP/ca
LOG=$TSR_TMP/vmd.log
VIRSH="virsh -q -c qemu:///system"
QUBES="rtmpl rwork rbank"
RUSER=tessera-render
chmod 711 "$TSR_TMP"

T() { "$BIN/tessera" --state "$S" "$@"; }
forget() { libvirt_forget "$S" $QUBES; }
cleanup() {
	[ -n "${VMD_PID:-}" ] && kill "$VMD_PID" 2>/dev/null && wait "$VMD_PID" 2>/dev/null
	forget
	libvirt_down
}
trap cleanup EXIT

render_pid() { pgrep -f -- "tessera-render -d --qube $1 " | head -n 1 | grep .; }
no_render() { [ -z "$(render_pid "$1")" ]; }
new_render() { local p; p=$(render_pid "$1"); [ -n "$p" ] && [ "$p" != "$2" ]; }

# Ports: VNC base+2*slot, RDP base+2*slot+1; find 8 free ones in a row.
base=$(free_ports 8)
ok "found free ports" test -n "$base"

ok "libvirt is up" libvirt_up
forget
id "$RUSER" >/dev/null 2>&1 || useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$RUSER"

"$BIN/tessera-ca" init --dir "$CA" --name "render test CA" >/dev/null
"$BIN/tessera-ca" issue server render --dir "$CA" --dns localhost --ip 127.0.0.1 >/dev/null
"$BIN/tessera-ca" issue client lab1 --dir "$CA" --role viewer >/dev/null
# the render-server reads its key before it drops to its user
mkdir -p "$S/policy.d"
cat >"$S/policy.d/00.policy" <<'POL'
*		user:root	*		allow
display.connect	role:viewer	@label:blue	allow
POL

# FreeRDP's known leaks in the render-servers (see tests/render-server/lsan.supp)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0 \
LSAN_OPTIONS="suppressions=$TSR_ROOT/tests/render-server/lsan.supp:print_suppressions=0" \
"$BIN/tessera-vmd" -d -v --state "$S" --domain-type qemu \
    --render-bin "$BIN/tessera-render" --render-cert "$CA/issued/render.crt" \
    --render-key "$CA/issued/render.key" --render-ca "$CA/ca.crt" \
    --render-port-base "$base" --render-user "$RUSER" >>"$LOG" 2>&1 &
VMD_PID=$!
WAIT_FOR_SECONDS=15 ok "tessera-vmd starts with render-servers" wait_for T label ls

ok "import a template" T template import rtmpl --kernel "$TSR_IMAGES/vmlinux" \
    --initrd "$TSR_IMAGES/testqube.cpio.gz" --kernel-opts "console=ttyS0 tessera.fps=10"
ok "create rwork (blue)" T create rwork --label blue --template rtmpl
ok "create rbank (green)" T create rbank --label green --template rtmpl
ok "start both" T start rwork rbank
WAIT_FOR_SECONDS=20 ok "a render-server runs for rwork" wait_for render_pid rwork
WAIT_FOR_SECONDS=20 ok "and one for rbank" wait_for render_pid rbank
# it drops to its user once set up (slower in the sanitizer build)
runs_as() { [ "$(ps -o user= -p "$(render_pid "$1")" 2>/dev/null)" = "$RUSER" ]; }
WAIT_FOR_SECONDS=20 ok "it runs as $RUSER" wait_for runs_as rwork
is "$(stat -c %U "$S/display/rwork.vnc")" "$RUSER" "the display socket belongs to $RUSER"

ep=$(T --json display rwork)
port=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["vnc_port"])' <<<"$ep")
fp=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["fingerprint"])' <<<"$ep")
bport=$(T --json display rbank | python3 -c 'import json,sys; print(json.load(sys.stdin)["vnc_port"])')
ok "display.endpoint gives ports" test -n "$port" -a -n "$bport" -a "$port" != "$bport"
is "$fp" "$("$BIN/tessera-ca" fingerprint "$CA/issued/render.crt")" \
    "and the render-server's certificate fingerprint"
is "$(T display rwork | head -n 1)" "vnc 127.0.0.1:$port" "tessera display prints it"

# the test viewer's libvncclient/GnuTLS leaks are known (see lsan.supp)
V() { LSAN_OPTIONS="suppressions=$TSR_ROOT/tests/render-server/lsan.supp:print_suppressions=0" \
    "$VIEWER" --port "$1" --ca "$CA/ca.crt" --cert "$CA/issued/lab1.crt" \
    --key "$CA/issued/lab1.key" --timeout 60 --frames 2; }
out=$(V "$port" 2>&1)
ok "a viewer allowed blue qubes sees rwork ($out)" test $? -eq 0
out=$(V "$bport" 2>&1); rc=$?
is "$rc" 3 "but is refused by rbank's render-server ($out)"
ok "the daemon was asked, over the render-server's own line" grep -q "render:rbank: viewer cert:lab1 on rbank: refused" "$LOG"

old=$(render_pid rwork)
kill -9 "$old"
WAIT_FOR_SECONDS=20 ok "a killed render-server is restarted" wait_for new_render rwork "$old"
ok "the daemon says so" grep -q "rwork: render-server was killed" "$LOG"
out=$(WAIT_FOR_SECONDS=20 wait_for V "$port"; V "$port" 2>&1)
ok "and viewers get frames again ($out)" test $? -eq 0

ok "shut rwork down" T shutdown --wait rwork
WAIT_FOR_SECONDS=10 ok "its render-server goes away" wait_for no_render rwork
ok "kill rbank" T kill rbank
WAIT_FOR_SECONDS=10 ok "and rbank's too" wait_for no_render rbank
kill "$VMD_PID"; wait "$VMD_PID" 2>/dev/null; VMD_PID=
nok "the daemon's log has no sanitizer report" grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$LOG"
done_testing
