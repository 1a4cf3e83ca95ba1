# shellcheck shell=bash
# Ports and processes, for the suites (through tap.sh) and the benchmarks.

# free_port: prints a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# free_ports N: prints a base port with N free TCP ports from it on
# 127.0.0.1 (bound and let go, each), or nothing.
free_ports() {
	python3 - "$1" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
for _ in range(200):
    base = random.randrange(20000, 60000 - n)
    socks = []
    try:
        for p in range(base, base + n):
            s = socket.socket()
            s.bind(("127.0.0.1", p))
            socks.append(s)
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(base)
    break
PY
}

# cpu_ticks PID...: their user + system CPU, in clock ticks, summed
cpu_ticks() {
	local p t=0 f
	for p in "$@"; do
		f=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		f=${f##*) }
		# fields 14 and 15 of the line, 12 and 13 after "pid (comm) "
		t=$((t + $(awk '{ print $12 + $13 }' <<<"$f")))
	done
	echo "$t"
}
