# Starting libvirt for a suite (or the demo) on a machine where nothing
# runs it: CI has no systemd and no services.  Source this file, call
# libvirt_up, and libvirt_down at the end (it stops only what it started).

_libvirt_started=

libvirt_up() {
	# Debian's udev rule gives /dev/kvm to group kvm, mode 0660; without
	# udev the node stays root-only, libvirt then finds its cached QEMU
	# capabilities stale on every call and re-probes QEMU (a minute each
	# under TCG).
	if [ -c /dev/kvm ] && getent group kvm >/dev/null &&
	    [ "$(stat -c %G:%a /dev/kvm)" != kvm:660 ]; then
		chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
	fi
	# QEMU's logs go through virtlogd: a libvirtd without it starts no guest
	if ! pgrep -x virtlogd >/dev/null; then
		setsid virtlogd -d || return 1
		_libvirt_started=1
	fi
	if virsh -q -c qemu:///system uri >/dev/null 2>&1; then
		return 0
	fi
	setsid libvirtd -d || return 1
	_libvirt_started=1
	local i
	for ((i = 0; i < 100; i++)); do
		virsh -q -c qemu:///system uri >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "libvirtd did not come up" >&2
	return 1
}

libvirt_down() {
	[ -n "$_libvirt_started" ] || return 0
	pkill -x libvirtd
	pkill -x virtlogd
	# gone for good before the next suite looks for them
	local i
	for ((i = 0; i < 100; i++)); do
		pgrep -x 'libvirtd|virtlogd' >/dev/null || break
		sleep 0.1
	done
	pkill -KILL -x 'libvirtd|virtlogd'
	_libvirt_started=
}

# libvirt_forget STATE NAME...: destroys and undefines each domain NAME
# whose files are under STATE, or under the scratch directory ($TSR_TMP's
# name with another suffix) of an earlier run of the same suite that is
# gone.  Anyone else's domain of the same name is never touched.
libvirt_forget() {
	local state=$1 d xml dir prefix=${TSR_TMP%.*}
	shift
	for d in "$@"; do
		xml=$(virsh -q -c qemu:///system dumpxml "$d" 2>/dev/null) || continue
		if ! grep -qF "$state/" <<<"$xml"; then
			dir=$(grep -oE "${prefix//./\\.}\.[A-Za-z0-9]+" <<<"$xml" | head -n1)
			[ -n "$dir" ] && [ ! -e "$dir" ] || continue
		fi
		virsh -q -c qemu:///system destroy "$d" >/dev/null 2>&1
		virsh -q -c qemu:///system undefine "$d" >/dev/null 2>&1
	done
}

# libvirt_taken NAME...: prints the names libvirt already has a domain of.
libvirt_taken() {
	local d
	for d in "$@"; do
		virsh -q -c qemu:///system dominfo "$d" >/dev/null 2>&1 && echo "$d"
	done
}
