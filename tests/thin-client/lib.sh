# What the viewer suites (test-view.sh, test-view-resize.sh,
# test-kiosk.sh) share: a host of their own (free ports and domain names,
# then tessera-vmd on libvirt with a tessera-render per running qube), and
# view-check run on screenshots until it passes.  Sourced after
# tests/lib/tap.sh and tests/lib/libvirt.sh; uses the suite's BIN, CHECK,
# LOGS, TMP, S, CA (a tessera-ca directory with issued/host.*), RUSER,
# VIRSH, DOMAINS and bail.

SUITE=$(basename "$0" .sh)

# host_ports N: N free ports, the render-servers' N-1 from $base and the
# Admin API's ($PORT) after them; libvirt is up and no domain of $DOMAINS
# exists; the render-servers' user exists.
host_ports() {
	local n=$1 d
	base=$(free_ports "$n")
	PORT=$((base + n - 1))
	[ -n "$base" ] || bail "found free ports"
	ok "libvirt is up" libvirt_up || done_testing
	libvirt_forget "$S" $DOMAINS
	for d in $DOMAINS; do
		$VIRSH dominfo "$d" >/dev/null 2>&1 &&
		    bail "no libvirt domain named $d exists (one does, and it is not this suite's)"
	done
	pass "free ports ($PORT, $base-$((base + n - 2))) and free domain names"
	id "$RUSER" >/dev/null 2>&1 ||
	    useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$RUSER"
}

# host_vmd RENDER_HOST [OPTION...]: starts tessera-vmd in the background
# (VMD_PID, its log $TMP/vmd.log): the Admin API on 127.0.0.1:$PORT over
# mutual TLS, render-servers from port $base, which it tells viewers are
# at RENDER_HOST; the OPTIONs are tessera-vmd's too.
host_vmd() {
	local rhost=$1
	shift
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0 \
	LSAN_OPTIONS="suppressions=$TSR_ROOT/tests/render-server/lsan.supp:print_suppressions=0" \
	"$BIN/tessera-vmd" -d -v --state "$S" --domain-type qemu \
	    --listen "127.0.0.1:$PORT" --cert "$CA/issued/host.crt" \
	    --key "$CA/issued/host.key" --ca "$CA/ca.crt" --crl "$CA/crl.pem" \
	    --render-bin "$BIN/tessera-render" --render-cert "$CA/issued/host.crt" \
	    --render-key "$CA/issued/host.key" --render-user "$RUSER" \
	    --render-host "$rhost" --render-port-base "$base" "$@" \
	    >"$TMP/vmd.log" 2>&1 &
	VMD_PID=$!
}

# check_until WAIT OUT SHOT... -- VIEW-CHECK-ARGS...: SHOT... OUT takes a
# screenshot (OUT.ppm) and the state file it shows (OUT.state), again
# until view-check passes on them (WAIT seconds); its last output is in
# OUT.out, and the screenshot goes to the logs if it never passes.
check_until() {
	local wait=$1 out=$2 end take=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		take+=("$1")
		shift
	done
	shift
	end=$((SECONDS + wait))
	while :; do
		if "${take[@]}" "$out"; then
			"$CHECK" --shot "$out.ppm" --state "$out.state" "$@" >"$out.out" 2>&1 &&
			    return 0
		else
			echo "no screenshot" >"$out.out"
		fi
		[ "$SECONDS" -ge "$end" ] && break
		sleep 0.5
	done
	cp "$out.ppm" "$LOGS/$SUITE-$(basename "$out").ppm" 2>/dev/null
	cp "$out.state" "$LOGS/$SUITE-$(basename "$out").state" 2>/dev/null
	return 1
}
