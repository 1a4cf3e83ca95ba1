# TAP for shell suites.  Source it, call the checks, end with done_testing.
#   ok DESC CMD...     passes when CMD exits 0
#   nok DESC CMD...    passes when CMD exits non-zero
#   is GOT WANT DESC   passes when the strings are equal
#   pass DESC / fail DESC
# Output of a failing command is shown as TAP diagnostics.

_tap_n=0
_tap_failed=0

_tap_result() {	# status desc
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_tap_n - $2"
	else
		_tap_failed=$((_tap_failed + 1))
		echo "not ok $_tap_n - $2"
	fi
}

diag() { printf '%s\n' "$@" | sed 's/^/# /'; }

pass() { _tap_result 0 "$1"; }
fail() { _tap_result 1 "$1"; }

ok() {
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1); rc=$?
	_tap_result $rc "$desc"
	[ $rc -eq 0 ] || diag "command: $*" "exit $rc" "$out"
	return $rc
}

nok() {
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1); rc=$?
	if [ $rc -ne 0 ]; then
		_tap_result 0 "$desc"
		return 0
	fi
	_tap_result 1 "$desc"
	diag "command unexpectedly succeeded: $*" "$out"
	return 1
}

is() {
	if [ "$1" = "$2" ]; then
		_tap_result 0 "$3"
	else
		_tap_result 1 "$3"
		diag "got:  '$1'" "want: '$2'"
		return 1
	fi
}

done_testing() {
	echo "1..$_tap_n"
	[ "$_tap_failed" -eq 0 ]
	exit $?
}

# free_port, free_ports, cpu_ticks
source "$TSR_ROOT/tests/lib/sys.sh"

# wait_for CMD...: retry CMD every 0.1 s for up to $WAIT_FOR_SECONDS (10).
wait_for() {
	local i n=$(( ${WAIT_FOR_SECONDS:-10} * 10 ))
	for ((i = 0; i < n; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
