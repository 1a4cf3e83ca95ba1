#!/usr/bin/env bash
# The golden domain XML files (tests/vm-manager/domxml/*.xml, which
# test-vmd-domxml keeps equal to what vmd_domxml() writes) against libvirt itself:
#  - every one passes libvirt's RNG schema (virt-xml-validate);
#  - QEMU-flavour ones become a QEMU command line (virsh domxml-to-native),
#    with VNC on the unix socket only and no network card.
# domxml-to-native runs libvirt's QEMU driver embedded in virsh
# (qemu:///embed, package libvirt-daemon-driver-qemu), so no libvirtd is
# needed or disturbed.  Each call costs 10-20 s of QEMU capability probing
# here (libvirt re-probes when /dev/kvm exists but is unusable), so only a
# representative subset runs, plus the hostile-strings case below;
# TSR_VMD_NATIVE_ALL=1 converts every *.qemu.xml.
source "$TSR_ROOT/tests/lib/tap.sh"

dir=$TSR_ROOT/tests/vm-manager/domxml
tmp=${TSR_TMP:-$(mktemp -d)}

# --- schema ---------------------------------------------------------------
n=0
for f in "$dir"/*.xml; do
	[ -e "$f" ] || continue
	ok "$(basename "$f") is valid libvirt domain XML" \
	    virt-xml-validate "$f" domain
	n=$((n + 1))
done
[ "$n" -gt 0 ] && pass "found $n golden XML files" || fail "found golden XML files"

# A broken file must fail, or the checks above prove nothing.
sed 's/<vcpu placement/<vcpus placement/;s#</vcpu>#</vcpus>#' \
    "$dir/appvm-blue.qemu.xml" >"$tmp/broken.xml"
nok "virt-xml-validate refuses an element libvirt does not know" \
    virt-xml-validate "$tmp/broken.xml" domain

# --- QEMU command lines ---------------------------------------------------
# libvirt waits for its QEMU probe processes to be reaped; where PID 1 does
# not reap orphans (containers, this VM), virsh needs a subreaper around it.
cat >"$tmp/reap.py" <<'EOF'
# reap.py CMD...: runs CMD as a child subreaper, reaping orphans; kills CMD
# after 180 s and whatever orphans are left when it ends.
import ctypes, os, signal, sys
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)    # PR_SET_CHILD_SUBREAPER
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
signal.signal(signal.SIGALRM, lambda *_: os.kill(pid, signal.SIGKILL))
signal.alarm(180)
rc = 1
while True:
    p, st = os.wait()
    if p == pid:
        rc = os.waitstatus_to_exitcode(st)
        break
for d in os.listdir("/proc"):
    try:
        with open("/proc/%s/stat" % d) as f:
            if int(f.read().rsplit(")", 1)[1].split()[1]) == os.getpid():
                os.kill(int(d), signal.SIGKILL)
    except (OSError, ValueError, IndexError):
        pass
try:
    while True:
        os.wait()
except ChildProcessError:
    pass
sys.exit(rc)
EOF

# The embedded driver keeps this suite off any running libvirtd.
if compgen -G '/usr/lib/*/libvirt/connection-driver/libvirt_driver_qemu.so' \
    >/dev/null; then
	uri="qemu:///embed?root=$tmp/virt"
	if [ -n "${TSR_VMD_NATIVE_ALL:-}" ]; then
		files=$(cd "$dir" && ls *.qemu.xml)
	else
		files="appvm-blue.qemu.xml standalone-disk-boot.qemu.xml"
	fi
else
	uri=
fi

argv_ok() {	# file: prints the argv; fails unless it has what we expect
	local out
	out=$(python3 "$tmp/reap.py" virsh -q -c "$uri" \
	    domxml-to-native qemu-argv \
	    --xml "$1" 2>&1) || { echo "$out"; return 1; }
	echo "$out"
	grep -q -- '-vnc .*unix:' <<<"$out" || { echo "no -vnc unix:"; return 1; }
	grep -qE -- 'virtio-(vga|gpu)' <<<"$out" || { echo "no virtio-vga or virtio-gpu"; return 1; }
	if grep -qE -- '-netdev|-nic |virtio-net|e1000' <<<"$out"; then
		echo "a network card"
		return 1
	fi
}

if [ -z "$uri" ]; then
	pass "domxml-to-native # SKIP libvirt's QEMU driver is not installed"
else
	diag "domxml-to-native through $uri"
	for f in $files; do
		ok "$f: QEMU command line with VNC on its socket, no NIC" \
		    argv_ok "$dir/$f"
	done
	out=$(python3 "$tmp/reap.py" virsh -q -c "$uri" \
	    domxml-to-native qemu-argv \
	    --xml "$dir/hostile-strings.qemu.xml" 2>&1)
	is "$(grep -o 'unix:/run/x,,password=off,,to=99' <<<"$out")" \
	    "unix:/run/x,,password=off,,to=99" \
	    "commas in the VNC socket path stay part of the path"
fi
pass "kvm.kvm.xml to QEMU argv # SKIP needs a usable /dev/kvm; schema-checked above"

done_testing
