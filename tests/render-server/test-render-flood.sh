#!/usr/bin/env bash
# Suite: half-open connections against the real tessera-render (VNC and
# RDP at once, under its seccomp filter, its default limits), with no qube
# behind it (the screens exist without one): a few hundred connections
# from 127.0.0.2 that never finish their handshake, while a viewer from
# 127.0.0.1 logs on to each port with a password (rfbprobe.py X509Plain
# for VNC, xfreerdp +auth-only for RDP); then a flood from forty addresses
# with the render-server's descriptors limited so that accept() fails with
# EMFILE: it must not spin.  Every flood connection must be closed by the
# handshake deadline (5 s, RDP's watchdog 1 s later), and the render-server
# must serve afterwards.
source "$TSR_ROOT/tests/lib/tap.sh"
source "$TSR_ROOT/tests/lib/flood.sh"

RENDER=$TSR_BUILD/bin/tessera-render
CA_BIN=$TSR_BUILD/bin/tessera-ca
PROBE=$TSR_ROOT/tests/render-server/rfbprobe.py
TMP=$TSR_TMP
HOLD=9		# seconds a flood watches: past both deadlines
rpid=''

cleanup() {
	[ -n "$rpid" ] && kill "$rpid" 2>/dev/null
	[ ${#fpids[@]} -gt 0 ] && kill "${fpids[@]}" 2>/dev/null
	wait 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM

for t in "$RENDER" "$CA_BIN"; do
	if [ ! -x "$t" ]; then
		fail "$(basename "$t") is built"
		done_testing
	fi
done
for t in xvfb-run xfreerdp prlimit; do
	if ! command -v $t >/dev/null; then
		fail "$t is installed (make deps)"
		done_testing
	fi
done

export TESSERA_CA_DIR=$TMP/ca
"$CA_BIN" init --name "flood test CA" >/dev/null 2>&1 &&
	"$CA_BIN" issue server render --dns localhost --ip 127.0.0.1 >/dev/null 2>&1
C=$TMP/ca/issued
printf 'pw of alice\n' | "$RENDER" passwd "$TMP/passwd" alice

start_render() {	# NOFILE
	: >"$TMP/render.out"
	prlimit --nofile="$1" "$RENDER" --qube q --label red \
		--display "$TMP/no-qube" --vnc 127.0.0.1:0 --rdp 127.0.0.1:0 \
		--cert "$C/render.crt" --key "$C/render.key" \
		--ca "$TMP/ca/ca.crt" --passwd "$TMP/passwd" -d \
		>"$TMP/render.out" 2>>"$TMP/render.err" &
	rpid=$!
	wait_for grep -q '^rdp ' "$TMP/render.out"
	VPORT=$(awk '/^vnc /{print $2}' "$TMP/render.out")
	RPORT=$(awk '/^rdp /{print $2}' "$TMP/render.out")
	[ -n "$VPORT" ] && [ -n "$RPORT" ]
}

vnc_login() {	# prints how long it took, in ms; fails unless "ok"
	local t0 out
	t0=$(date +%s%3N)
	out=$(timeout 20 python3 "$PROBE" "$VPORT" plain "$TMP/ca/ca.crt" \
	    alice 'pw of alice' 2>&1)
	echo "$(($(date +%s%3N) - t0)) ms: $out"
	[[ $out == ok* ]]
}

rdp_login() {	# the same with xfreerdp, logon only
	local t0 rc
	t0=$(date +%s%3N)
	(cd "$TMP" && SSL_CERT_FILE=$TMP/ca/ca.crt HOME=$TMP timeout 30 \
	    xvfb-run -a xfreerdp /v:127.0.0.1:"$RPORT" /sec:tls /cert:deny \
	    /cert:name:localhost /u:alice '/p:pw of alice' +auth-only \
	    >>"$TMP/xfreerdp.log" 2>&1)
	rc=$?
	echo "$(($(date +%s%3N) - t0)) ms: exit $rc"
	[ "$rc" -eq 0 ]
}

if ! start_render 1024; then
	fail "tessera-render starts"
	diag "$(cat "$TMP/render.err")"
	done_testing
fi
pass "tessera-render starts (VNC $VPORT, RDP $RPORT)"
out=$(vnc_login) && pass "VNC logon, no flood: $out" || fail "VNC logon, no flood: $out"
out=$(rdp_login) && pass "RDP logon, no flood: $out" || fail "RDP logon, no flood: $out"

# --- a few hundred half-open connections from one address ---
t0=$(date +%s%3N)
flood vnc "$VPORT" vnc 300 127.0.0.2
flood rdp "$RPORT" rdp 100 127.0.0.2
diag "floods holding: $(cat "$TMP/flood-vnc.out" "$TMP/flood-rdp.out" | tr '\n' ' ')"
out=$(vnc_login) && pass "VNC logon during the flood: $out" ||
	fail "VNC logon during the flood: $out"
out=$(rdp_login) && pass "RDP logon during the flood: $out" ||
	fail "RDP logon during the flood: $out"
flood_wait
out=$(flood_done vnc) && pass "VNC flood: all closed by the deadline: $out" ||
	fail "VNC flood: all closed by the deadline: $out"
out=$(flood_done rdp) && pass "RDP flood: all closed by the deadline: $out" ||
	fail "RDP flood: all closed by the deadline: $out"
diag "the floods took $(($(date +%s%3N) - t0)) ms"
ok "tessera-render is still there" kill -0 "$rpid"
out=$(vnc_login) && pass "VNC logon after the flood: $out" ||
	fail "VNC logon after the flood: $out"
ok "refusals are logged with their reason" \
	grep -q 'vnc: refused a connection: 4 connections from this address' "$TMP/render.err"

# --- out of descriptors: forty addresses, 40 descriptors ---
kill "$rpid"
wait "$rpid" 2>/dev/null
rpid=
if ! start_render 40; then
	fail "tessera-render starts with 40 descriptors"
	diag "$(tail -n 20 "$TMP/render.err")"
	done_testing
fi
srcs=()
for i in $(seq 2 41); do
	srcs+=("127.0.0.$i")
done
# the backlog waits for descriptors: rounds of deadlines, each from accept
HOLD=18
c0=$(cpu_ticks "$rpid")
flood vnc2 "$VPORT" vnc 60 "${srcs[@]}"
flood rdp2 "$RPORT" rdp 30 "${srcs[@]}"
flood_wait
c1=$(cpu_ticks "$rpid")
ok "out of descriptors: accept failed with EMFILE (logged)" \
	grep -q 'Too many open files' "$TMP/render.err"
# a listener that spins burns a core the whole flood: HOLD s = HOLD*100 ticks
ok "... and tessera-render did not spin: $((c1 - c0)) ticks in ${HOLD} s" \
	test $((c1 - c0)) -lt $((HOLD * 100 / 4))
out=$(flood_done vnc2) && pass "VNC flood: all closed by the deadline: $out" ||
	fail "VNC flood: all closed by the deadline: $out"
out=$(flood_done rdp2) && pass "RDP flood: all closed by the deadline: $out" ||
	fail "RDP flood: all closed by the deadline: $out"
ok "tessera-render is still there" kill -0 "$rpid"
out=$(vnc_login) && pass "VNC logon after it: $out" || fail "VNC logon after it: $out"
out=$(rdp_login) && pass "RDP logon after it: $out" || fail "RDP logon after it: $out"
done_testing
