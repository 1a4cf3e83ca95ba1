#!/usr/bin/env bash
# Suite: half-open connections against tessera-vmd's TLS port (an empty
# store, the running libvirtd, no qube): three hundred from 127.0.0.2 that
# send half a ClientHello, while the CLI from 127.0.0.1 logs on with its
# certificate; then a flood from forty addresses with the daemon limited
# to 64 descriptors, so that accept() fails with EMFILE: it must not spin.
# Every flood connection must be closed by the handshake deadline (5 s)
# and the daemon must serve afterwards.
source "$TSR_ROOT/tests/lib/tap.sh"
source "$TSR_ROOT/tests/lib/flood.sh"

BIN=$TSR_BUILD/bin
S=$TSR_TMP/state
CA=$TSR_TMP/ca
LOG=$TSR_TMP/vmd.log
HOLD=8		# seconds a flood watches: past the deadline
VMD_PID=''

cleanup() {
	[ -n "$VMD_PID" ] && kill "$VMD_PID" 2>/dev/null
	[ ${#fpids[@]} -gt 0 ] && kill "${fpids[@]}" 2>/dev/null
	wait 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM

mkdir -p "$S/policy.d"
"$BIN/tessera-ca" init --dir "$CA" --name "flood test CA" >/dev/null
"$BIN/tessera-ca" issue server vmd --dir "$CA" --dns localhost --ip 127.0.0.1 >/dev/null
"$BIN/tessera-ca" issue client lab1 --dir "$CA" --role admin >/dev/null
port=$(free_port)

start_vmd() {	# NOFILE
	prlimit --nofile="$1" "$BIN/tessera-vmd" -d -v --state "$S" \
	    --domain-type qemu --listen "127.0.0.1:$port" \
	    --cert "$CA/issued/vmd.crt" --key "$CA/issued/vmd.key" \
	    --ca "$CA/ca.crt" >>"$LOG" 2>&1 &
	VMD_PID=$!
	WAIT_FOR_SECONDS=15 wait_for "$BIN/tessera" --state "$S" ls
}

cli_login() {	# prints how long it took; fails unless the CLI did
	local t0 rc
	t0=$(date +%s%3N)
	timeout 20 "$BIN/tessera" --host "127.0.0.1:$port" --ca "$CA/ca.crt" \
	    --cert "$CA/issued/lab1.crt" --key "$CA/issued/lab1.key" ls \
	    >"$TSR_TMP/cli.out" 2>&1
	rc=$?
	echo "$(($(date +%s%3N) - t0)) ms: exit $rc $(head -c 200 "$TSR_TMP/cli.out")"
	[ "$rc" -eq 0 ]
}

if ! start_vmd 1024; then
	fail "tessera-vmd starts with a TLS listener"
	diag "$(tail -n 20 "$LOG")"
	done_testing
fi
pass "tessera-vmd starts with a TLS listener"
out=$(cli_login) && pass "the CLI over mTLS, no flood: $out" ||
	fail "the CLI over mTLS, no flood: $out"

flood one "$port" tls 300 127.0.0.2
diag "$(cat "$TSR_TMP/flood-one.out")"
out=$(cli_login) && pass "the CLI over mTLS during the flood: $out" ||
	fail "the CLI over mTLS during the flood: $out"
flood_wait
out=$(flood_done one) && pass "all closed by the deadline: $out" ||
	fail "all closed by the deadline: $out"
ok "refusals are logged with their reason" \
	grep -q 'refused: 8 connections from this address' "$LOG"
ok "tessera-vmd is still there" kill -0 "$VMD_PID"

# --- out of descriptors ---
kill "$VMD_PID"
wait "$VMD_PID" 2>/dev/null
VMD_PID=
if ! start_vmd 64; then
	fail "tessera-vmd starts with 64 descriptors"
	diag "$(tail -n 20 "$LOG")"
	done_testing
fi
srcs=()
for i in $(seq 2 41); do
	srcs+=("127.0.0.$i")
done
# the backlog waits for descriptors: rounds of deadlines, each from accept
HOLD=18
c0=$(cpu_ticks "$VMD_PID")
flood two "$port" tls 100 "${srcs[@]}"
flood_wait
c1=$(cpu_ticks "$VMD_PID")
ok "out of descriptors: accept failed with EMFILE (logged)" \
	grep -q 'accept: Too many open files' "$LOG"
# a loop that spins burns a core the whole flood: HOLD s = HOLD*100 ticks
ok "... and tessera-vmd did not spin: $((c1 - c0)) ticks in ${HOLD} s" \
	test $((c1 - c0)) -lt $((HOLD * 100 / 4))
out=$(flood_done two) && pass "all closed by the deadline: $out" ||
	fail "all closed by the deadline: $out"
ok "tessera-vmd is still there" kill -0 "$VMD_PID"
out=$(cli_login) && pass "the CLI over mTLS after it: $out" ||
	fail "the CLI over mTLS after it: $out"
done_testing
