#!/usr/bin/env bash
# Suite: boot the test qube under QEMU (TCG) and check its display and input
# through QEMU's VNC socket and QMP (test-qube-display), for each display
# device and for the spoofing variant.
source "$TSR_ROOT/tests/lib/tap.sh"

RUN_QUBE=$TSR_ROOT/tests/images/run-qube
PROG=$TSR_BUILD/tests/test-qube-display
IMAGES=${TSR_IMAGES:-$TSR_ROOT/build/images}
TMP=${TSR_TMP:-$(mktemp -d)}
DUMPS=$TSR_BUILD/test-logs/qube-frames
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do
		"$RUN_QUBE" --stop "$p"
	done
}
trap cleanup EXIT
trap 'exit 1' INT TERM

now_ms() { date +%s%3N; }

# relay PREFIX CMD...: run a TAP-producing program; its results become ours.
relay() {
	local prefix=$1 out=$TMP/relay.out rc line plan='' n=0 nfail=0
	shift
	"$@" >"$out" 2>&1
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*) pass "$prefix${line#* - }"; n=$((n + 1)) ;;
		"not ok "*) fail "$prefix${line#* - }"; n=$((n + 1)); nfail=$((nfail + 1)) ;;
		1..*) plan=${line#1..} ;;
		"#"*) echo "$line" ;;
		*) echo "# $line" ;;
		esac
	done <"$out"
	if [ -z "$plan" ] || [ "$plan" -ne "$n" ] || { [ "$rc" -ne 0 ] && [ "$nfail" -eq 0 ]; }; then
		fail "${prefix}test-qube-display finished (exit $rc, plan ${plan:-none}, $n results)"
	fi
}

# variant NAME DEVICE SIZE APPEND -- TEST-ARGS...
variant() {
	local name=$1 device=$2 size=$3 append=$4 pid t0 t1 err
	shift 5
	mkdir -p "$TMP/$name" "$DUMPS"
	t0=$(now_ms)
	if ! pid=$("$RUN_QUBE" --name "$name" --device "$device" --size "$size" \
		--append "$append" --vnc "$TMP/$name/vnc" --qmp "$TMP/$name/qmp" \
		--timeout 120 --lifetime 600 2>"$TMP/$name/run-qube.err"); then
		fail "$name: the qube boots to its ready marker"
		diag "$(cat "$TMP/$name/run-qube.err")"
		return
	fi
	pids+=("$pid")
	t1=$(now_ms)
	pass "$name: the qube boots to its ready marker ($((t1 - t0)) ms)"
	diag "$(grep '^TESSERA-QUBE-READY' "$TMP/$name/$name.serial")"

	relay "$name: " "$PROG" --vnc "$TMP/$name/vnc" --qmp "$TMP/$name/qmp" \
		--dump "$DUMPS" --prefix "$name-" "$@"
	diag "$name: test took $(($(now_ms) - t1)) ms"

	"$RUN_QUBE" --stop "$pid"
	if kill -0 "$pid" 2>/dev/null; then
		fail "$name: QEMU stops"
	else
		pass "$name: QEMU stops"
		pids=("${pids[@]/$pid/}")
	fi
	err=$(grep -E 'TESSERA-QUBE-(ERROR|WARNING)' "$TMP/$name/$name.serial")
	is "$err" "" "$name: the guest program reported no error or warning"
}

if [ ! -f "$IMAGES/vmlinux" ] || [ ! -f "$IMAGES/testqube.cpio.gz" ]; then
	fail "the test qube image is built (make images)"
	done_testing
fi
if [ ! -x "$PROG" ]; then
	fail "test-qube-display is built"
	done_testing
fi

nok "run-qube refuses an unknown display device" \
	"$RUN_QUBE" --device nosuch --vnc "$TMP/x.vnc" --qmp "$TMP/x.qmp"

# bochs-display, two buffers and page flips, animated.
variant bochs bochs 1280x800 "tessera.fps=10" -- --size 1280x800 --fps 10
# virtio-gpu, the same.
variant virtio virtio 1280x800 "tessera.fps=10" -- --size 1280x800 --fps 10
# virtio-gpu with one buffer and DIRTYFB, a static screen, a mode picked from
# the connector's list by tessera.size, and a fake trust frame in another
# label's colour with a quoted title.
variant spoof virtio 1280x800 \
	'tessera.fps=0 tessera.present=dirty tessera.size=1024x768 tessera.spoof=blue tessera.title="[vault] Tessera"' \
	-- --size 1024x768 --fps 0 --spoof blue --title "[vault] Tessera"

done_testing
