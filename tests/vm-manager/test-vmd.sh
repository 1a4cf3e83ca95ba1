#!/usr/bin/env bash
# tessera-vmd with real libvirt and real QEMU guests from the test image:
# templates, app qubes, disposables, lifecycle, events, policy on the unix
# socket and over mutual TLS, hostile input, and crash consistency.
source "$TSR_ROOT/tests/lib/tap.sh"
source "$TSR_ROOT/tests/lib/libvirt.sh"

BIN=$TSR_BUILD/bin
PROBE=$TSR_BUILD/tests/qube-probe
S=$TSR_TMP/state
LOG=$TSR_TMP/vmd.log
VIRSH="virsh -q -c qemu:///system"
QUBES="testqube disktmpl disk2 work banking dup disp1 disp2 crashy adopted savings notes banking2"
# QEMU runs as libvirt-qemu: it must be able to reach the state directory
chmod 711 "$TSR_TMP"

T() { "$BIN/tessera" --state "$S" "$@"; }

# Not inside ok/nok: they run their command in a subshell.
start_vmd() {
	"$BIN/tessera-vmd" -d -v --state "$S" --domain-type qemu "$@" \
	    >>"$LOG" 2>&1 &
	VMD_PID=$!
}
vmd_up() { WAIT_FOR_SECONDS=15 wait_for T label ls; }

# After a crash point: the daemon should be dead; never wait forever.
reap_crashed() {
	local i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$VMD_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$VMD_PID" 2>/dev/null
	wait "$VMD_PID" 2>/dev/null
	VMD_PID=
}

stop_vmd() {
	[ -n "${VMD_PID:-}" ] || return 0
	kill "$VMD_PID" 2>/dev/null
	wait "$VMD_PID" 2>/dev/null
	VMD_PID=
}

forget_domains() { libvirt_forget "$S" $QUBES; }

cleanup() {
	stop_vmd
	[ -n "${EV_PID:-}" ] && kill "$EV_PID" 2>/dev/null
	forget_domains
	libvirt_down
}
trap cleanup EXIT

state_of() { T ls --json | python3 -c "
import json, sys
for q in json.load(sys.stdin):
    if q['name'] == '$1': print(q['state']); break
else: print('absent')"; }

wait_state() {	# NAME STATE
	local i
	for ((i = 0; i < 600; i++)); do
		[ "$(state_of "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# Every qube in the store has its directory and its libvirt domain; no
# directory or Tessera domain is left without a qube.
consistent() {
	local names q d xml
	names=$(T ls --raw-list) || return 1
	for q in $names; do
		[ -d "$S/qubes/$q" ] || { echo "no volumes for $q"; return 1; }
		$VIRSH dominfo "$q" >/dev/null 2>&1 || { echo "no domain $q"; return 1; }
	done
	for d in "$S"/qubes/*/; do
		[ -d "$d" ] || continue
		q=$(basename "$d")
		grep -qx "$q" <<<"$names" || { echo "stray volumes $q"; return 1; }
	done
	# ours: tessera's metadata and files under our state directory (the
	# libvirtd may be shared with other daemons and their qubes)
	for d in $($VIRSH list --all --name); do
		xml=$($VIRSH dumpxml "$d" 2>/dev/null) || continue
		if grep -q 'xmlns:tessera' <<<"$xml" && grep -qF "$S/" <<<"$xml"; then
			grep -qx "$d" <<<"$names" || { echo "stray domain $d"; return 1; }
		fi
	done
}

ok "libvirt is up" libvirt_up
forget_domains
taken=$(libvirt_taken $QUBES)
if [ -n "$taken" ]; then
	fail "libvirt domains named $(echo $taken) exist and are not this suite's"
	done_testing; exit 1
fi
mkdir -p "$S/policy.d"
echo '*	user:root	*	allow' >"$S/policy.d/00-root.policy"
start_vmd
ok "tessera-vmd starts" vmd_up

# --- templates and qubes ---
ok "import the test template" T template import testqube \
    --kernel "$TSR_IMAGES/vmlinux" --initrd "$TSR_IMAGES/testqube.cpio.gz" \
    --kernel-opts "console=ttyS0 tessera.fps=10"
qemu-img create -q -f raw "$TSR_TMP/disk.img" 16M
ok "import a template with a disk image" T template import disktmpl \
    --kernel "$TSR_IMAGES/vmlinux" --initrd "$TSR_IMAGES/testqube.cpio.gz" --disk "$TSR_TMP/disk.img"
ok "its root is the disk, as qcow2" sh -c "qemu-img info '$S/qubes/disktmpl/root.qcow2' | grep -q 'file format: qcow2' &&
    qemu-img info '$S/qubes/disktmpl/root.qcow2' | grep -q 'virtual size: 16 MiB'"
nok "a missing disk image is refused" T template import disk2 --kernel "$TSR_IMAGES/vmlinux" \
    --initrd "$TSR_IMAGES/testqube.cpio.gz" --disk "$TSR_TMP/nosuch.img"
ok "remove disktmpl" T rm disktmpl
ok "create work (blue)" T create work --label blue --template testqube
ok "create banking (green)" T create banking --label green --template testqube --memory 192
nok "a second work is refused" T create work --label red --template testqube
nok "an invalid name is refused" T create Work --label red --template testqube
nok "a reserved name is refused" T create disp7 --label red --template testqube
nok "an unknown label is refused" T create pink --label pink --template testqube
nok "a missing template is refused" T create x1 --label red --template nosuch
ok "an app qube may bring its own kernel options" \
    T create opts --label red --template testqube --kernel-opts "console=ttyS0 tessera.fps=2"
is "$(T prefs opts kernel_opts)" "console=ttyS0 tessera.fps=2" "it keeps them"
is "$(T prefs opts kernel)" "" "it still inherits its template's kernel"
ok "its domain boots the template's kernel" \
    sh -c "$VIRSH dumpxml opts | grep -qF '<kernel>$(T prefs testqube kernel)</kernel>'"
ok "remove it" T rm opts
json=$(T ls --json)
is "$(python3 -c 'import json,sys; d={q["name"]:(q["label"],q["color"],q["class"],q["template"]) for q in json.load(sys.stdin)}; print(d["work"], d["banking"], d["testqube"])' <<<"$json")" \
    "('blue', '#3465a4', 'app', 'testqube') ('green', '#73d216', 'app', 'testqube') ('black', '#000000', 'template', '')" \
    "ls --json: labels, colours, classes"
is "$(T prefs banking memory)" 192 "prefs reads a property"
ok "prefs sets a property" T prefs banking memory 200
is "$(T prefs banking memory)" 200 "and it sticks"
nok "prefs refuses a bad value" T prefs banking memory lots
ok "both are libvirt domains" $VIRSH dominfo banking
tty_ls=$(script -qec "'$BIN/tessera' --state '$S' ls" /dev/null)
ok "ls on a terminal draws a blue swatch for work" grep -q $'\e\[38;2;52;101;164m' <<<"$tty_ls"
ok "and a green one for banking" grep -q $'\e\[38;2;115;210;22m' <<<"$tty_ls"
nok "a template in use cannot be removed" T rm testqube

# --- lifecycle and displays ---
T events >"$TSR_TMP/events" 2>&1 &
EV_PID=$!
ok "events: subscribed" wait_for grep -q connection-established "$TSR_TMP/events"
ok "start work and banking" T start work banking
is "$(state_of work) $(state_of banking)" "running running" "both running"
for q in work banking; do
	sock=$S/display/$q.vnc
	is "$(stat -c %a "$sock" 2>/dev/null)" 600 "$q's display socket is mode 0600"
	out=$("$PROBE" "$sock" --timeout-ms 60000)
	ok "$q's display shows the test pattern ($out)" test "${out%% *}" = ok
done
nok "starting a running qube is refused" T start work
ok "shutdown --wait stops work" T shutdown --wait --timeout 60 work
is "$(state_of work)" halted "work is halted"
ok "kill stops banking" T kill banking
ok "banking is halted" wait_state banking halted
sleep 0.5
ev=$(cat "$TSR_TMP/events")
ok "events: connection-established first" test "$(head -n1 <<<"$ev" | cut -d' ' -f1)" = connection-established
ok "events: domain-start work" grep -q '^domain-start  *work' <<<"$ev"
ok "events: domain-shutdown work" grep -q '^domain-shutdown  *work' <<<"$ev"
ok "events: domain-stopped banking, killed" grep -q '^domain-stopped  *banking.*killed' <<<"$ev"

# a domain of the same libvirt that is not one of ours: its events are
# not ours either
cat >"$TSR_TMP/foreign.xml" <<XML
<domain type='qemu'><name>vmdtest-foreign</name><memory unit='MiB'>64</memory>
<os><type arch='x86_64' machine='q35'>hvm</type><kernel>$TSR_IMAGES/vmlinux</kernel></os>
</domain>
XML
if $VIRSH create "$TSR_TMP/foreign.xml" >/dev/null 2>&1; then
	sleep 0.5
	$VIRSH destroy vmdtest-foreign >/dev/null 2>&1
	sleep 0.5
	nok "a foreign domain's start and stop are not logged as a qube's" \
	    grep -q vmdtest-foreign "$LOG"
	nok "nor sent as events" grep -q vmdtest-foreign "$TSR_TMP/events"
else
	fail "a foreign domain could be started"
fi

# --- disposables ---
d=$(T run --dispvm work)
is "$d" disp1 "run --dispvm starts disp1"
ok "disp1 has volumes while it runs" test -f "$S/qubes/disp1/root.qcow2"
out=$("$PROBE" "$S/display/disp1.vnc" --timeout-ms 60000)
ok "disp1 shows the test pattern ($out)" test "${out%% *}" = ok
is "$(T prefs disp1 label)" blue "a disposable takes its base's label"
ok "shut disp1 down" T shutdown --wait disp1
ok "disp1 is gone" wait_state disp1 absent
ok "its volumes are gone" test ! -e "$S/qubes/disp1"
nok "its domain is gone" $VIRSH dominfo disp1

# --- pause, clone, and Qubes' command names ---
ok "start banking again" T start banking
ok "pause banking" T pause banking
is "$(state_of banking)" paused "banking is paused"
ok "unpause banking" T unpause banking
is "$(state_of banking)" running "banking runs again"
nok "a running qube cannot be cloned" T clone banking banking2
ok "kill banking" T kill banking
ok "banking is halted" wait_state banking halted
ok "clone banking as savings, label yellow" T clone banking savings --label yellow
is "$(T prefs savings label) $(T prefs savings template) $(T prefs savings memory)" \
    "yellow testqube 200" "the clone keeps its source's properties"
ok "the clone has its own private volume" test -f "$S/qubes/savings/private.qcow2"
mkdir -p "$TSR_TMP/qvm"
for c in qvm-ls qvm-create qvm-prefs qvm-remove qvm-start qvm-shutdown; do
	ln -s "$BIN/tessera" "$TSR_TMP/qvm/$c"
done
export TESSERA_SOCKET=$S/control.sock
ok "qvm-create -t TEMPLATE -l LABEL --class AppVM" "$TSR_TMP/qvm/qvm-create" -t testqube -l orange --class AppVM notes
is "$("$TSR_TMP/qvm/qvm-prefs" notes label)" orange "qvm-prefs reads it"
ok "qvm-ls --raw-list lists it" sh -c "'$TSR_TMP/qvm/qvm-ls' --raw-list | grep -qx notes"
ok "qvm-remove removes it" "$TSR_TMP/qvm/qvm-remove" notes
ok "and savings" "$TSR_TMP/qvm/qvm-remove" -f savings
unset TESSERA_SOCKET

# --- two concurrent creates of one name ---
T create dup --label red --template testqube >"$TSR_TMP/c1" 2>&1 & p1=$!
T create dup --label red --template testqube >"$TSR_TMP/c2" 2>&1 & p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
is "$(( (r1 == 0) + (r2 == 0) ))" 1 "two concurrent creates: exactly one succeeds"
ok "the other says it exists" grep -q "already exists" "$TSR_TMP/c1" "$TSR_TMP/c2"
ok "remove dup" T rm dup

# --- hostile input on the control socket ---
send_raw() {
	python3 - "$S/control.sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.settimeout(10)
try:
    s.sendall(sys.argv[2].encode('latin-1'))
except OSError:
    pass                    # the daemon may stop reading once it has seen enough
data = b''
try:
    while True:
        b = s.recv(65536)
        if not b: break
        data += b
except socket.timeout:
    print("no close"); sys.exit(1)
print(data.decode())
PY
}
out=$(send_raw 'this is not json
{"id":1,"method":"vm.list"}
')
ok "garbage gets an error reply" grep -q '"code":"bad-request"' <<<"$out"
ok "and the connection is closed before the next line" test "$(grep -c '"ok":true' <<<"$out")" -eq 0
out=$(python3 -c 'print("{" + "\"a\":1," * 20000)' | head -c 70000)
ok "an over-long line is refused" grep -q "too long" <<<"$(send_raw "$out")"
ok "the daemon still serves" T ls

# --- policy on the unix socket ---
chmod 666 "$S/control.sock"
N() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$BIN/tessera" --state "$S" "$@"; }
is "$(N ls --raw-list)" "" "nobody lists nothing without a rule"
out=$(N start work 2>&1)
ok "nobody cannot start work, and is told it does not exist" grep -q "no qube named work" <<<"$out"
printf 'vm.list\tuser:nobody\twork\tallow\nvm.get\tuser:nobody\twork\tallow\n' >"$S/policy.d/10-nobody.policy"
kill -HUP "$VMD_PID"; sleep 0.3
is "$(N ls --raw-list)" "work" "after SIGHUP nobody sees work only"
out=$(N start work 2>&1)
ok "nobody may list work but not start it: denied" grep -q "denied by policy" <<<"$out"
printf 'vm.start nobody\n' >"$S/policy.d/20-bad.policy"
kill -HUP "$VMD_PID"; sleep 0.3
ok "a bad policy on reload is refused with file:line" grep -q "20-bad.policy:1:" "$LOG"
is "$(N ls --raw-list)" "work" "and the old policy stays"
nok "tessera-vmd -n rejects it too" "$BIN/tessera-vmd" -n --state "$S"
ok "naming file and line" sh -c "'$BIN/tessera-vmd' -n --state '$S' 2>&1 | grep -q '20-bad.policy:1:'"
rm "$S/policy.d/20-bad.policy"

# --- mutual TLS ---
CA=$TSR_TMP/ca
"$BIN/tessera-ca" init --dir "$CA" --name "test host CA" >/dev/null
"$BIN/tessera-ca" issue server vmd --dir "$CA" --dns localhost --ip 127.0.0.1 >/dev/null
"$BIN/tessera-ca" issue client lab1 --dir "$CA" --role viewer >/dev/null
"$BIN/tessera-ca" issue client lab2 --dir "$CA" --role viewer >/dev/null
"$BIN/tessera-ca" revoke lab2 --dir "$CA" >/dev/null
OTHER=$TSR_TMP/other
"$BIN/tessera-ca" init --dir "$OTHER" --name "another CA" >/dev/null
"$BIN/tessera-ca" issue client lab1 --dir "$OTHER" --role viewer >/dev/null
printf 'vm.list\trole:viewer\t@label:blue\tallow\n' >"$S/policy.d/30-viewer.policy"
stop_vmd
port=$(free_port)
start_vmd --listen "127.0.0.1:$port" --cert "$CA/issued/vmd.crt" \
    --key "$CA/issued/vmd.key" --ca "$CA/ca.crt" --crl "$CA/crl.pem"
ok "tessera-vmd restarts with a TLS listener" vmd_up
R() { local who=$1 dir=$2; shift 2; "$BIN/tessera" --host "localhost:$port" --ca "$CA/ca.crt" \
    --cert "$dir/issued/$who.crt" --key "$dir/issued/$who.key" "$@"; }
out=$(R lab1 "$CA" ls --raw-list 2>&1)
is "$out" "work" "a viewer allowed blue qubes sees work only"
is "$(R lab1 "$CA" ls --json 2>&1 | grep -c banking)" 0 "banking's name never reaches it"
is "$(R lab1 "$CA" prefs banking label 2>&1)" "tessera: no qube named banking" \
    "asking for banking by name: it does not exist"
nok "a revoked certificate is refused" R lab2 "$CA" ls
nok "a certificate from another CA is refused" R lab1 "$OTHER" ls
nok "no certificate is refused" "$BIN/tessera" --host "localhost:$port" --ca "$CA/ca.crt" ls
ok "a stalled TLS client does not block others" python3 - "$port" "$BIN/tessera" "$S" <<'PY'
import socket, subprocess, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"\x16\x03\x01")          # half a ClientHello, then silence
r = subprocess.run([sys.argv[2], "--state", sys.argv[3], "ls"], timeout=10,
                   capture_output=True)
sys.exit(r.returncode)
PY

# --- crash consistency (kill -9 at chosen points, and at random) ---
stop_vmd
TESSERA_VMD_CRASH=create-volumes start_vmd; vmd_up
nok "the daemon dies during create (after the volumes)" T create crashy --label red --template testqube
ok "... at the crash point create-volumes" grep -q "crash point create-volumes: dying now" "$LOG"
reap_crashed
start_vmd
ok "it restarts" vmd_up
is "$(state_of crashy)" absent "the half-made qube is gone"
ok "store, volumes and libvirt agree" consistent
stop_vmd
TESSERA_VMD_CRASH=create-defined start_vmd; vmd_up
nok "the daemon dies during create (after the definition)" T create crashy --label red --template testqube
ok "... at the crash point create-defined" grep -q "crash point create-defined: dying now" "$LOG"
reap_crashed
start_vmd
ok "it restarts" vmd_up
ok "store, volumes and libvirt agree" consistent
ok "create adopted" T create adopted --label purple --template testqube
stop_vmd
TESSERA_VMD_CRASH=start-started start_vmd; vmd_up
nok "the daemon dies during start" T start adopted
ok "... at the crash point start-started" grep -q "crash point start-started: dying now" "$LOG"
reap_crashed
start_vmd
ok "it restarts" vmd_up
is "$(state_of adopted)" running "the running qube is re-adopted"
is "$(stat -c %a "$S/display/adopted.vnc")" 600 "its display socket is owned again"
out=$("$PROBE" "$S/display/adopted.vnc" --timeout-ms 60000)
ok "and shows its pattern ($out)" test "${out%% *}" = ok
ok "store, volumes and libvirt agree" consistent
for i in 1 2 3 4 5; do
	T create "crashy" --label red --template testqube >/dev/null 2>&1 &
	sleep "0.0$((RANDOM % 10))"
	kill -9 "$VMD_PID"; reap_crashed
	wait
	start_vmd; vmd_up
	consistent >"$TSR_TMP/cons" 2>&1 || break
	T rm crashy >/dev/null 2>&1
done
ok "five random kill -9 during create leave everything consistent" consistent

# --- autostart ---
ok "mark work autostart" T prefs work autostart true
stop_vmd
start_vmd
ok "the daemon restarts" vmd_up
ok "work is started with the daemon" wait_state work running
ok "kill work" T kill work
ok "work is halted" wait_state work halted

# --- libvirtd restarts; a qube stopped behind our back ---
before=$(grep -c 'connected to qemu' "$LOG")
pkill -x libvirtd
for ((i = 0; i < 100; i++)); do pgrep -x libvirtd >/dev/null || break; sleep 0.1; done
# a replacement: stopped at the end only if this suite started the first
setsid libvirtd -d
ok "libvirtd is back" wait_for $VIRSH uri
WAIT_FOR_SECONDS=30 ok "the daemon reconnects" wait_for sh -c "[ \$(grep -c 'connected to qemu' '$LOG') -gt $before ]"
$VIRSH destroy adopted >/dev/null
ok "a qube destroyed outside tessera is noticed" wait_state adopted halted
ok "remove adopted" T rm adopted
stop_vmd
nok "the daemon's log has no sanitizer report" grep -qE \
    'ERROR: (Address|Leak)Sanitizer|runtime error:' "$LOG"

done_testing
