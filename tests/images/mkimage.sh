#!/bin/sh
# Build the pieces of the Tessera test qube from Debian packages.
#
#   mkimage.sh kernel IMG           IMG/vmlinux (ELF with a PVH note, for QEMU
#                                   -kernel) and IMG/modules/ (the drivers the
#                                   qube needs + modules.list, in load order)
#   mkimage.sh font IMG             IMG/font.psf (console-setup's Lat15-Fixed16)
#   mkimage.sh busybox IMG          IMG/busybox (static)
#   mkimage.sh initramfs IMG PROG INIT OUT
#                                   the initramfs: busybox, INIT as /init,
#                                   PROG as /testqube, the modules
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
	rm -rf "$IMG/modules.new"
	mkdir -p "$IMG/modules.new"
	for m in $MODULES; do
		modprobe -d "$root" -S "$kver" --show-depends "$m" ||
			die "module $m not found"
	done >"$IMG/modules.new/deps"
	awk '$1 == "insmod" && !seen[$2]++ { print $2 }' "$IMG/modules.new/deps" | while read -r ko; do
		name=$(basename "$ko")
		cp "$ko" "$IMG/modules.new/$name"
		base=${name%.ko}
		echo "$name $(params_for "$(echo "$base" | tr - _)")"
	done >"$IMG/modules.new/modules.list"
	rm -f "$IMG/modules.new/deps"
	echo "$kver" >"$IMG/modules.new/version"
	rm -rf "$IMG/modules" "$root"
	mv "$IMG/modules.new" "$IMG/modules"
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

cmd_initramfs() {
	prog=$1 init=$2 out=$3
	is_static "$prog" || die "$prog is not a static executable"
	[ -f "$IMG/modules/modules.list" ] || die "no $IMG/modules (run: mkimage.sh kernel)"
	[ -x "$IMG/busybox" ] || die "no $IMG/busybox (run: mkimage.sh busybox)"
	tree="$out.tree"
	rm -rf "$tree"
	mkdir -p "$tree/bin" "$tree/dev" "$tree/proc" "$tree/sys" "$tree/lib/modules"
	cp "$IMG/busybox" "$tree/bin/busybox"
	ln -s busybox "$tree/bin/sh"
	cp "$init" "$tree/init"
	strip -o "$tree/testqube" "$prog"
	chmod 755 "$tree/init" "$tree/testqube" "$tree/bin/busybox"
	cp "$IMG/modules/"*.ko "$IMG/modules/modules.list" "$tree/lib/modules/"
	# Same inputs, same bytes: fixed times and owners, sorted entries.
	find "$tree" -exec touch -h -d @0 {} +
	(cd "$tree" && find . | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --reproducible --quiet | gzip -n -6) >"$out.new"
	rm -rf "$tree"
	mv "$out.new" "$out"
}

[ $# -ge 2 ] || die "usage: mkimage.sh kernel|font|busybox|initramfs IMG [...]"
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
*) die "unknown command $cmd" ;;
esac
