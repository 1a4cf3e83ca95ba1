# shellcheck shell=bash
# flood.py from the suites (after tap.sh): $HOLD seconds each, output in
# $TSR_TMP/flood-NAME.out, their pids in fpids (the suite kills them at
# exit and waits for them with flood_wait).
fpids=()

# flood NAME PORT MODE COUNT FROM...: in the background, "holding" awaited
flood() {
	local name=$1
	shift
	python3 "$TSR_ROOT/tests/lib/flood.py" "$1" "$2" "$3" "$HOLD" "${@:4}" \
	    >"$TSR_TMP/flood-$name.out" 2>&1 &
	fpids+=($!)
	WAIT_FOR_SECONDS=10 wait_for grep -q holding "$TSR_TMP/flood-$name.out"
}

flood_wait() {
	wait "${fpids[@]}"
	fpids=()
}

# flood_done NAME: the flood's last line; fails unless none is left open
flood_done() {
	local last
	last=$(tail -n 1 "$TSR_TMP/flood-$1.out")
	echo "$last"
	[[ $last == *" open 0 "* ]]
}
