#!/usr/bin/env bash
# tessera-vmd's policy against a low-rights caller (issue #11): a client
# certificate whose policy grants only @label:red may not boot a host file
# as a kernel or initrd, name a qube it may not list in a property, learn
# whether a hidden qube or a host path exists, or import a template; and
# template.import as root refuses a disk whose qcow2 names a host file.
# No guest boots: creating and setting is enough.
source "$TSR_ROOT/tests/lib/tap.sh"
source "$TSR_ROOT/tests/lib/libvirt.sh"

BIN=$TSR_BUILD/bin
S=$TSR_TMP/state
LOG=$TSR_TMP/vmd.log
CA=$TSR_TMP/ca
QUBES="ph-red ph-hidden ph-secret ph-q ph-disk ph-imp"
chmod 711 "$TSR_TMP"

T() { "$BIN/tessera" --state "$S" "$@"; }

cleanup() {
	[ -n "${VMD_PID:-}" ] && kill "$VMD_PID" 2>/dev/null && wait "$VMD_PID"
	libvirt_forget "$S" $QUBES
	libvirt_down
}
trap cleanup EXIT

ok "libvirt is up" libvirt_up
libvirt_forget "$S" $QUBES
taken=$(libvirt_taken $QUBES)
if [ -n "$taken" ]; then
	fail "libvirt domains named $(echo $taken) exist and are not this suite's"
	done_testing; exit 1
fi

"$BIN/tessera-ca" init --dir "$CA" --name "test host CA" >/dev/null
"$BIN/tessera-ca" issue server vmd --dir "$CA" --dns localhost --ip 127.0.0.1 >/dev/null
"$BIN/tessera-ca" issue client red1 --dir "$CA" --role viewer >/dev/null
mkdir -p "$S/policy.d"
printf '*\tuser:root\t*\tallow\n*\tcert:red1\t@label:red\tallow\n' \
    >"$S/policy.d/00-test.policy"
port=$(free_port)
"$BIN/tessera-vmd" -d -v --state "$S" --domain-type qemu \
    --listen "127.0.0.1:$port" --cert "$CA/issued/vmd.crt" \
    --key "$CA/issued/vmd.key" --ca "$CA/ca.crt" >>"$LOG" 2>&1 &
VMD_PID=$!
if ! WAIT_FOR_SECONDS=15 ok "tessera-vmd starts with a TLS listener" \
    wait_for T label ls; then
	diag "$(tail -n 5 "$LOG")"
	done_testing; exit 1
fi
R() { "$BIN/tessera" --host "localhost:$port" --ca "$CA/ca.crt" \
    --cert "$CA/issued/red1.crt" --key "$CA/issued/red1.key" "$@"; }

# What a call answers: its exit status and its message, with the name or
# path it was asked about (an argument) replaced by X.
answer() {	# WORD CMD...
	local w=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	printf '%s %s\n' "$rc" "${out//$w/X}"
}

ok "import a red template as root" T template import ph-red --label red \
    --kernel "$TSR_IMAGES/vmlinux" --initrd "$TSR_IMAGES/testqube.cpio.gz"
ok "and a black one" T template import ph-hidden --label black \
    --kernel "$TSR_IMAGES/vmlinux" --initrd "$TSR_IMAGES/testqube.cpio.gz"
ok "root makes a black app qube" T create ph-secret --label black --template ph-hidden
is "$(R ls --raw-list 2>&1)" "ph-red" "the red caller sees the red template only"

# --- boot files: never a host path ---
k_shadow=$(answer /etc/shadow R create ph-q --label red --template ph-red --kernel /etc/shadow)
k_none=$(answer /nonexistent/k R create ph-q --label red --template ph-red --kernel /nonexistent/k)
ok "vm.create with kernel=/etc/shadow is refused" grep -q '^1 ' <<<"$k_shadow"
is "$k_shadow" "$k_none" "... exactly as for a path that does not exist"
nok "... without repeating the path" grep -q /etc/shadow <<<"$k_shadow"
i_key=$(answer "$CA/ca.key" R create ph-q --label red --template ph-red --initrd "$CA/ca.key")
i_none=$(answer /nonexistent/i R create ph-q --label red --template ph-red --initrd /nonexistent/i)
ok "vm.create with the CA key as initrd is refused" grep -q '^1 ' <<<"$i_key"
nok "... without repeating the path" grep -q "$CA" <<<"$i_key"
is "$i_key" "$i_none" "... exactly as for a path that does not exist"
is "$(R ls --raw-list 2>&1)" "ph-red" "no qube was made"
ok "the red caller creates a red qube" R create ph-q --label red --template ph-red
nok "vm.set ph-q initrd /etc/shadow is refused" R prefs ph-q initrd /etc/shadow
is "$(R prefs ph-q initrd)" "" "and the initrd is unchanged"
ok "vm.set ph-q kernel ph-red (a template it sees) is taken" R prefs ph-q kernel ph-red
is "$(R prefs ph-q kernel)" "$(T prefs ph-red kernel)" "... as that template's stored kernel"
nok "vm.set ph-q kernel ph-hidden (a template it cannot list) is refused" \
    R prefs ph-q kernel ph-hidden

# --- names of qubes it may not list ---
t_hidden=$(answer ph-hidden R prefs ph-q template ph-hidden)
t_none=$(answer ph-nosuch R prefs ph-q template ph-nosuch)
ok "vm.set ph-q template ph-hidden is refused" grep -q '^1 ' <<<"$t_hidden"
is "$t_hidden" "$t_none" "... exactly as a template that does not exist"
is "$(T prefs ph-q template)" "ph-red" "and the template is unchanged"
d_hidden=$(answer ph-secret R prefs ph-q default_dispvm ph-secret)
d_none=$(answer ph-nosuch R prefs ph-q default_dispvm ph-nosuch)
ok "vm.set ph-q default_dispvm ph-secret is refused" grep -q '^1 ' <<<"$d_hidden"
is "$d_hidden" "$d_none" "... exactly as a qube that does not exist"
is "$(T prefs ph-q default_dispvm)" "" "and default_dispvm is unchanged"
g_hidden=$(answer ph-secret R prefs ph-secret)
g_none=$(answer ph-nosuch R prefs ph-nosuch)
ok "vm.get of a hidden qube is refused" grep -q '^1 ' <<<"$g_hidden"
is "$g_hidden" "$g_none" "... exactly as a qube that does not exist"
c_hidden=$(answer ph-hidden R create ph-c --label red --template ph-hidden)
c_none=$(answer ph-nosuch R create ph-c --label red --template ph-nosuch)
is "$c_hidden" "$c_none" "vm.create from a hidden template: as from a missing one"

# --- template.import: a root-decided act on the unix socket ---
out=$(R template import ph-imp --label red --kernel "$TSR_IMAGES/vmlinux" 2>&1)
ok "template.import over TLS is refused" grep -q "unix socket only" <<<"$out"
is "$(T ls --raw-list | grep -c ph-imp)" 0 "and nothing was imported"
qemu-img create -q -f qcow2 -b /etc/passwd -F raw "$TSR_TMP/back.qcow2" 1M
out=$(T template import ph-disk --kernel "$TSR_IMAGES/vmlinux" \
    --disk "$TSR_TMP/back.qcow2" 2>&1)
ok "root's import of a qcow2 backed by a host file is refused" \
    grep -q "backing file" <<<"$out" || diag "$out"
nok "... without repeating a path" grep -q / <<<"$out"
is "$(T ls --raw-list | grep -c ph-disk)" 0 "and no template was made"
qemu-img create -q -f qcow2 "$TSR_TMP/plain.qcow2" 1M
ok "a qcow2 without one imports" T template import ph-disk \
    --kernel "$TSR_IMAGES/vmlinux" --disk "$TSR_TMP/plain.qcow2"
ok "the daemon still serves" T label ls
done_testing
