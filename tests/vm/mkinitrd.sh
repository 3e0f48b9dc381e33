#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the harness initramfs for kernel KVER: static busybox, the few modules
# needed to mount the host root over virtio-9p with a tmpfs overlay, and init.
# Usage: mkinitrd.sh KVER OUTPUT
set -euo pipefail
kver=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
mods=(virtio_pci 9pnet_virtio 9p overlay)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{bin,dev,proc,sys,lower,upper,newroot,lib/modules/"$kver"}
cp /bin/busybox "$tmp/bin/busybox"
for a in sh mount umount mkdir modprobe switch_root cat echo sleep poweroff; do
	ln -s busybox "$tmp/bin/$a"
done
for m in "${mods[@]}"; do
	modprobe -S "$kver" --show-depends "$m" | while read -r cmd path _; do
		[ "$cmd" = insmod ] || continue
		rel=${path#/lib/modules/$kver/}
		dst=$tmp/lib/modules/$kver/$rel
		mkdir -p "$(dirname "$dst")"
		# busybox modprobe loads only plain ELF (newer lines ship .ko.xz/.zst)
		case $path in
		*.xz) xz -dc "$path" >"${dst%.xz}" ;;
		*.zst) zstd -qdc "$path" >"${dst%.zst}" ;;
		*.gz) gzip -dc "$path" >"${dst%.gz}" ;;
		*) cp "$path" "$dst" ;;
		esac
	done
done
cp /lib/modules/"$kver"/modules.{order,builtin,builtin.modinfo} \
	"$tmp/lib/modules/$kver/" 2>/dev/null || true
depmod -b "$tmp" "$kver"
install -m 0755 "$here/initramfs-init" "$tmp/init"
(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
mv "$out.tmp" "$out"
