#!/bin/sh
# Build the pieces of the Tessera test qube from Debian packages.
#
#   mkimage.sh kernel IMG           IMG/vmlinux (ELF with a PVH note, for QEMU
#                                   -kernel), IMG/modules/ (the drivers the
#                                   qube needs + modules.list, in load order)
#                                   and IMG/viewer-modules/ (the viewer
#                                   guest's, likewise)
#   mkimage.sh font IMG             IMG/font.psf (console-setup's Lat15-Fixed16)
#   mkimage.sh busybox IMG          IMG/busybox (static)
#   mkimage.sh initramfs IMG PROG INIT OUT
#                                   the initramfs: busybox, INIT as /init,
#                                   PROG as /testqube, the modules
#   mkimage.sh viewer-initramfs IMG INIT OUT
#                                   the viewer guest's initramfs: busybox,
#                                   INIT as /init, the viewer's modules
#
# Packages are fetched with `apt-get download` into IMG/cache/ and kept there,
# so a second run downloads nothing.  `apt-get update` runs only when a
# download fails.  Needs: apt, dpkg-deb, xz-utils, kmod (modprobe, depmod),
# binutils (readelf), cpio, gzip, util-linux (flock).
set -eu

# Kernel modules the qube loads: display (bochs-display / std VGA, virtio-gpu),
# virtio transport, virtio-input (tablet, keyboard), evdev, the ACPI power
# button (so a host shutdown powers the qube off).  The PS/2 keyboard
# (i8042, atkbd) is built into Debian's kernel.
MODULES="bochs virtio-gpu virtio_pci virtio_input evdev button"
# The viewer guest's: the same display and input drivers, 9p over virtio
# (its root file system is the host's, shared read-only) and virtio-net.
VIEWER_MODULES="$MODULES 9p 9pnet_virtio virtio_net"
# Parameters per module (no fbdev emulation: nothing draws on the display but
# testqube, and the fbdev console would cost CPU).
params_for() {
	case "$1" in
	drm_kms_helper) echo "fbdev_emulation=0" ;;
	*) echo "" ;;
	esac
}
FONT=Lat15-Fixed16.psf.gz

die() {
	echo "mkimage.sh: $*" >&2
	exit 1
}

# One apt-get at a time (make -j runs several of these commands at once).
lock_cache() {
	mkdir -p "$IMG/cache"
	exec 9>"$IMG/cache/.lock"
	flock 9
}

# fetch PKG...: make sure IMG/cache holds a .deb of each package.
fetch() {
	mkdir -p "$IMG/cache"
	for pkg in "$@"; do
		ls "$IMG/cache/${pkg}"_*.deb >/dev/null 2>&1 && continue
		if ! (cd "$IMG/cache" && apt-get download "$pkg" >/dev/null 2>&1); then
			echo "mkimage.sh: apt-get download $pkg failed; running apt-get update" >&2
			apt-get update >/dev/null 2>&1 || die "apt-get update failed"
			(cd "$IMG/cache" && apt-get download "$pkg" >/dev/null) ||
				die "cannot download $pkg"
		fi
	done
}

# The versioned kernel package linux-image-amd64 depends on.
kernel_package() {
	cached=$(ls "$IMG"/cache/linux-image-6.1*-amd64_*.deb 2>/dev/null | head -n 1 || true)
	if [ -n "$cached" ]; then
		basename "$cached" | sed 's/_.*//'
		return
	fi
	dep=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-6\.1[^ ]*-amd64\)$/\1/p' | head -n 1)
	if [ -z "$dep" ]; then
		apt-get update >/dev/null 2>&1 || die "apt-get update failed"
		dep=$(apt-cache depends linux-image-amd64 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-6\.1[^ ]*-amd64\)$/\1/p' | head -n 1)
	fi
	[ -n "$dep" ] || die "cannot resolve linux-image-amd64's kernel package"
	echo "$dep"
}

# Decompress the payload of a bzImage into an ELF vmlinux.
extract_vmlinux() {
	in=$1 out=$2
	for fmt in xz gzip zstd; do
		case $fmt in
		xz) magic='\xfd7zXZ\x00' dec="xz -dc" ;;
		gzip) magic='\x1f\x8b\x08' dec="gzip -dc" ;;
		zstd) magic='\x28\xb5\x2f\xfd' dec="zstd -dcq" ;;
		esac
		for off in $(LC_ALL=C grep -obUaP "$magic" "$in" | head -n 5 | cut -d: -f1); do
			# Trailing data after the stream makes the decompressors complain:
			# judge by the result.
			tail -c +$((off + 1)) "$in" | $dec >"$out.tmp" 2>/dev/null || true
			if [ "$(head -c 4 "$out.tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
				mv "$out.tmp" "$out"
				return 0
			fi
		done
	done
	rm -f "$out.tmp"
	return 1
}

# modules_into DIR MODULE...: the modules and what they need, from the
# kernel tree $root ($kver), into DIR, with DIR/modules.list in load order.
modules_into() {
	dir=$1
	shift
	rm -rf "$dir"
	mkdir -p "$dir"
	for m in "$@"; do
		modprobe -d "$root" -S "$kver" --show-depends "$m" ||
			die "module $m not found"
	done >"$dir/deps"
	awk '$1 == "insmod" && !seen[$2]++ { print $2 }' "$dir/deps" | while read -r ko; do
		name=$(basename "$ko")
		cp "$ko" "$dir/$name"
		base=${name%.ko}
		echo "$name $(params_for "$(echo "$base" | tr - _)")"
	done >"$dir/modules.list"
	rm -f "$dir/deps"
	echo "$kver" >"$dir/version"
}

cmd_kernel() {
	lock_cache
	pkg=$(kernel_package)
	kver=${pkg#linux-image-}
	fetch "$pkg"
	deb=$(ls "$IMG/cache/${pkg}"_*.deb | head -n 1)
	root="$IMG/cache/kernel-root"
	rm -rf "$root"
	mkdir -p "$root"
	dpkg-deb -x "$deb" "$root"
	[ -f "$root/boot/vmlinuz-$kver" ] || die "no vmlinuz-$kver in $deb"

	extract_vmlinux "$root/boot/vmlinuz-$kver" "$IMG/vmlinux.new" ||
		die "cannot decompress vmlinuz-$kver"
	# XEN_ELFNOTE_PHYS32_ENTRY (18): the PVH entry point QEMU's -kernel needs.
	readelf -n "$IMG/vmlinux.new" | grep -q 'Xen.*(0x00000012)' ||
		die "vmlinux has no PVH entry note"

	depmod -b "$root" "$kver"
	# shellcheck disable=SC2086 # lists of names
	modules_into "$IMG/modules.new" $MODULES
	# shellcheck disable=SC2086
	modules_into "$IMG/viewer-modules.new" $VIEWER_MODULES
	rm -rf "$IMG/modules" "$IMG/viewer-modules" "$root"
	mv "$IMG/modules.new" "$IMG/modules"
	mv "$IMG/viewer-modules.new" "$IMG/viewer-modules"
	mv "$IMG/vmlinux.new" "$IMG/vmlinux"
}

cmd_font() {
	lock_cache
	if [ -f "/usr/share/consolefonts/$FONT" ]; then
		src="/usr/share/consolefonts/$FONT"
	else
		fetch console-setup-linux
		deb=$(ls "$IMG"/cache/console-setup-linux_*.deb | head -n 1)
		rm -rf "$IMG/cache/font-root"
		mkdir -p "$IMG/cache/font-root"
		dpkg-deb -x "$deb" "$IMG/cache/font-root"
		src="$IMG/cache/font-root/usr/share/consolefonts/$FONT"
	fi
	[ -f "$src" ] || die "no $FONT"
	gzip -dc "$src" >"$IMG/font.psf.new"
	rm -rf "$IMG/cache/font-root"
	mv "$IMG/font.psf.new" "$IMG/font.psf"
}

is_static() {
	[ -f "$1" ] && ! readelf -l "$1" 2>/dev/null | grep -q 'INTERP'
}

cmd_busybox() {
	lock_cache
	if is_static /bin/busybox; then
		src=/bin/busybox
	else
		fetch busybox-static
		deb=$(ls "$IMG"/cache/busybox-static_*.deb | head -n 1)
		rm -rf "$IMG/cache/bb-root"
		mkdir -p "$IMG/cache/bb-root"
		dpkg-deb -x "$deb" "$IMG/cache/bb-root"
		src="$IMG/cache/bb-root/bin/busybox"
		is_static "$src" || die "busybox-static's busybox is not static?"
	fi
	cp "$src" "$IMG/busybox.new"
	rm -rf "$IMG/cache/bb-root"
	mv "$IMG/busybox.new" "$IMG/busybox"
}

# new_tree DIR MODDIR INIT: a root with busybox, INIT as /init and the
# modules of MODDIR in /lib/modules.
new_tree() {
	tree=$1 moddir=$2 init=$3
	[ -f "$moddir/modules.list" ] || die "no $moddir (run: mkimage.sh kernel)"
	[ -x "$IMG/busybox" ] || die "no $IMG/busybox (run: mkimage.sh busybox)"
	rm -rf "$tree"
	mkdir -p "$tree/bin" "$tree/dev" "$tree/proc" "$tree/sys" "$tree/lib/modules"
	cp "$IMG/busybox" "$tree/bin/busybox"
	ln -s busybox "$tree/bin/sh"
	cp "$init" "$tree/init"
	chmod 755 "$tree/init" "$tree/bin/busybox"
	cp "$moddir/"*.ko "$moddir/modules.list" "$tree/lib/modules/"
}

# pack TREE OUT: TREE as a gzipped cpio archive; same inputs, same bytes
# (fixed times and owners, sorted entries).
pack() {
	tree=$1 out=$2
	find "$tree" -exec touch -h -d @0 {} +
	(cd "$tree" && find . | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --reproducible --quiet | gzip -n -6) >"$out.new"
	rm -rf "$tree"
	mv "$out.new" "$out"
}

cmd_initramfs() {
	prog=$1 init=$2 out=$3
	is_static "$prog" || die "$prog is not a static executable"
	new_tree "$out.tree" "$IMG/modules" "$init"
	strip -o "$out.tree/testqube" "$prog"
	chmod 755 "$out.tree/testqube"
	pack "$out.tree" "$out"
}

# The viewer guest: everything else comes from the host's root, shared.
cmd_viewer_initramfs() {
	init=$1 out=$2
	new_tree "$out.tree" "$IMG/viewer-modules" "$init"
	mkdir -p "$out.tree/root"
	pack "$out.tree" "$out"
}

[ $# -ge 2 ] ||
	die "usage: mkimage.sh kernel|font|busybox|initramfs|viewer-initramfs IMG [...]"
cmd=$1
IMG=$2
shift 2
mkdir -p "$IMG"
case "$cmd" in
kernel) cmd_kernel ;;
font) cmd_font ;;
busybox) cmd_busybox ;;
initramfs)
	[ $# -eq 3 ] || die "usage: mkimage.sh initramfs IMG PROG INIT OUT"
	cmd_initramfs "$@"
	;;
viewer-initramfs)
	[ $# -eq 2 ] || die "usage: mkimage.sh viewer-initramfs IMG INIT OUT"
	cmd_viewer_initramfs "$@"
	;;
*) die "unknown command $cmd" ;;
esac
