#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages on a clean root, as an operator installs them:
#
#   1. `make deb` builds muisp, muisp-dkms and muisp-client (build/deb/)
#      while a minimal Debian 12 root (debootstrap --variant=minbase, the
#      host's own mirror) gets the kernel headers of every installed line
#      (the releases of the host's /boot images).  That base is cached in
#      build/pkg/base-KEY/ (KEY: the recipe and the day), and each run
#      works on a fresh overlay over it, so nothing of a previous run counts.
#   2. `apt-get install ./muisp*.deb` (no Recommends): apt resolves the
#      Depends, and DKMS builds muisp.ko for every line.  Checks: the
#      packages are installed, every program finds its libraries, the user
#      and directories exist, `dkms status`, the .ko under updates/dkms/ of
#      each line with the release's version and documented parameters, and
#      `systemd-analyze verify` of the installed units.
#   3. Each line boots in the VM harness (tests/vm/run.sh --modprobe), the
#      lines side by side: the guest installs that line's DKMS-built module
#      under updates/dkms/, runs depmod, loads it with `modprobe muisp`, and runs
#      tests/pkg/vm-dkms.sh (the loaded module is the package's) and smoke
#      with the package's programs first on PATH.
#   4. `apt-get purge`: nothing of the packages is left (files, DKMS
#      module, /etc/muisp, unit links) but /var/lib/muisp, the operator's
#      data, with a file planted in it.
#
# Needs root, debootstrap, the build dependencies of debian/control and
# the VM harness (scripts/deps.sh), and the Debian mirror.  A step that
# cannot run (no network) fails.  MUISP_VM_LOCK=FILE: hold flock FILE
# around each VM boot (machines shared by several runs).
# Logs: build/pkg/*.log.  Prints "pkg: N passed, N failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. "$top/tests/lib/check.sh"
CHECK_SUITE=pkg
CHECK_FATAL=1 # every step builds on the one before
out=$top/build/pkg
mkdir -p "$out"
t_start=$SECONDS

[ "$(id -u)" -eq 0 ] || fail "needs root (chroot, mounts)"
for t in debootstrap dpkg-buildpackage qemu-system-x86_64 chroot flock; do
	command -v "$t" >/dev/null || fail "$t missing (scripts/deps.sh)"
done
version=$(cat VERSION)
pkgs=(muisp muisp-dkms muisp-client)

# The kernel lines: every release with headers and an image on the host.
kvers=()
for d in $(ls -d /lib/modules/*/build 2>/dev/null | sort -V); do
	k=${d#/lib/modules/}
	k=${k%/build}
	[ -e "/boot/vmlinuz-$k" ] && kvers+=("$k")
done
[ ${#kvers[@]} -gt 0 ] || fail "no kernel line with headers and image (scripts/deps.sh)"
hdrs=()
for k in "${kvers[@]}"; do
	v=$(dpkg-query -W -f='${Version}' "linux-headers-$k" 2>/dev/null) ||
		fail "linux-headers-$k is not a package on the host"
	hdrs+=("linux-headers-$k=$v")
done
echo "pkg: kernel lines ${kvers[*]}"

# The host's Debian mirror, as apt uses it: "deb URI SUITE main" for
# bookworm, bookworm-updates and bookworm-security.
sources=$(apt-cache policy |
	sed -nE 's#^ +[0-9]+ ([a-z]+://[^ ]+) (bookworm(-updates|-security)?)/main amd64 Packages$#deb \1 \2 main#p' |
	sort -u)
mirror=$(awk '$3 == "bookworm" { print $2; exit }' <<<"$sources")
[ -n "$mirror" ] || fail "no bookworm mirror in the host's apt sources"

# --- mounts of the test root, always undone --------------------------------
root=$out/root
mounts=()
mnt() { # mount args... (the last one is the mount point)
	mount "$@" || return 1
	mounts+=("${!#}")
}
unmount_all() {
	local i
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
		umount "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}"
	done
	mounts=()
}
bind_sys() { # root: /proc, /sys, /dev for package scripts and DKMS
	mnt -t proc proc "$1/proc" &&
		mnt -t sysfs sysfs "$1/sys" &&
		mnt --bind /dev "$1/dev" &&
		mnt --bind /dev/pts "$1/dev/pts"
}
# Mounts left by a run that was killed: undone before anything else.
findmnt -rn -o TARGET | grep -E "^$out/" | sort -r | while read -r m; do
	umount -l "$m"
done
base_pid=
cleanup() {
	# A base still building is let finish: it is never used half-made.
	[ -z "$base_pid" ] || wait "$base_pid"
	unmount_all
}
trap cleanup EXIT

in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }

# Copy the .debs apt is about to fetch from the host's own cache when it
# holds them (apt checks every file's hash against the index).
seed_cache() { # root apt-get-install-args...
	local r=$1 f
	shift
	chroot "$r" apt-get install -qq --print-uris --no-install-recommends "$@" 2>/dev/null |
		sed -nE "s/^'[^']*' ([^ ]+\.deb) .*/\1/p" | while read -r f; do
		[ -e "/var/cache/apt/archives/$f" ] &&
			cp "/var/cache/apt/archives/$f" "$r/var/cache/apt/archives/"
	done
	return 0
}

# --- 1. the base root (cached) and the packages -----------------------------
# The base: minbase + the headers of each line, apt lists current.  Built
# in a directory of its own and renamed when complete, so an interrupted
# build is never reused.
make_base() {
	local tmp=$base.tmp
	set -e
	rm -rf "$tmp"
	debootstrap --variant=minbase bookworm "$tmp" "$mirror"
	echo "$sources" >"$tmp/etc/apt/sources.list"
	# Services the packages ship must not start in the chroot; dpkg need
	# not fsync a throw-away root (what Debian's container images do).
	printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
	chmod 755 "$tmp/usr/sbin/policy-rc.d"
	echo force-unsafe-io >"$tmp/etc/dpkg/dpkg.cfg.d/unsafe-io"
	chroot "$tmp" apt-get update -qq
	seed_cache "$tmp" "${hdrs[@]}"
	# INITRD=No: no initramfs for the image the 6.12 headers depend on
	# (nothing boots from this root)
	chroot "$tmp" env DEBIAN_FRONTEND=noninteractive INITRD=No \
		apt-get install -y -qq --no-install-recommends "${hdrs[@]}"
	chroot "$tmp" apt-get clean
	rm -rf "$out"/base-*[0-9a-f] # older bases
	mv "$tmp" "$base"
}
recipe="${hdrs[*]} $sources $(declare -f seed_cache make_base)"
key=$(date -u +%Y%m%d)-$(md5sum <<<"$recipe" | cut -c1-8)
base=$out/base-$key
if [ -d "$base" ]; then
	echo "pkg: base root cached (${base#"$top"/})"
else
	echo "pkg: building the base root (${base#"$top"/}) beside make deb"
	(make_base) >"$out/base.log" 2>&1 &
	base_pid=$!
fi

t0=$SECONDS
rm -rf build/deb
if make -s deb >"$out/deb.log" 2>&1; then
	ok "make deb ($((SECONDS - t0))s)"
else
	tail -20 "$out/deb.log" | sed 's/^/    | /'
	fail "make deb (build/pkg/deb.log)"
fi
debs=()
for p in "${pkgs[@]}"; do
	f=$(ls build/deb/"${p}"_"$version"*.deb 2>/dev/null | head -1)
	[ -n "$f" ] || fail "build/deb/${p}_$version*.deb missing"
	debs+=("$f")
done
ok "three packages of $version in build/deb"

if [ -n "$base_pid" ]; then
	wait "$base_pid" ||
		{ tail -20 "$out/base.log" | sed 's/^/    | /'; base_pid=; fail "base root (build/pkg/base.log)"; }
	base_pid=
	ok "base root: debootstrap and headers (ready after $((SECONDS - t_start))s)"
fi

# --- 2. install --------------------------------------------------------------
# A fresh overlay over the base: the run's changes go to build/pkg/upper.
rm -rf "$out/upper" "$out/work"
mkdir -p "$out/upper" "$out/work" "$root"
mnt -t overlay overlay -o "lowerdir=$base,upperdir=$out/upper,workdir=$out/work" "$root" ||
	fail "overlay over the base root"
bind_sys "$root" || fail "mounting /proc, /sys, /dev in the root"
mkdir -p "$root/tmp/debs"
cp "${debs[@]}" "$root/tmp/debs/"
cdebs=("${debs[@]##*/}")
cdebs=("${cdebs[@]/#//tmp/debs/}")
seed_cache "$root" "${cdebs[@]}"
t0=$SECONDS
if in_root apt-get install -y --no-install-recommends "${cdebs[@]}" >"$out/install.log" 2>&1; then
	ok "apt-get install of the three packages ($((SECONDS - t0))s, DKMS builds included)"
else
	tail -30 "$out/install.log" | sed 's/^/    | /'
	fail "apt-get install (build/pkg/install.log)"
fi
for p in "${pkgs[@]}"; do
	expect "$p installed" "install ok installed $version" \
		"$(in_root dpkg-query -W -f='${Status} ${Version}' "$p" 2>&1 | sed 's/-[^-]*$//')"
done

# Every program finds its libraries on the clean root (shlibs Depends).
progs=$(in_root dpkg -L muisp muisp-client | grep -E '^/usr/s?bin/')
[ -n "$progs" ] || fail "no programs in muisp, muisp-client"
for f in $progs; do
	missing=$(in_root ldd "$f" 2>&1 | grep 'not found')
	[ -z "$missing" ] || fail "$f: $missing"
done
ok "every program's libraries present ($(wc -w <<<"$progs") programs)"
check "system user muisp" eval 'in_root getent passwd muisp >/dev/null'
check "/etc/muisp" test -d "$root/etc/muisp"
check "/var/lib/muisp" test -d "$root/var/lib/muisp"
check "/usr/src/muisp-$version/dkms.conf" test -r "$root/usr/src/muisp-$version/dkms.conf"

# DKMS built and installed the module for each line (muisp.ko, or
# muisp.ko.xz where the line compresses its modules).
dkms_status=$(in_root dkms status muisp 2>/dev/null)
declare -A ko_of
for k in "${kvers[@]}"; do
	grep -Fqx "muisp/$version, $k, x86_64: installed" <<<"$dkms_status" ||
		fail "dkms status for $k: $dkms_status"
	ok "dkms: muisp/$version installed for $k"
	ko=$(cd "$root" && ls lib/modules/"$k"/updates/dkms/muisp.ko* 2>/dev/null)
	[ "$(wc -w <<<"$ko")" = 1 ] || fail "$k: one muisp.ko* under updates/dkms, found '$ko'"
	ko_of[$k]=/$ko
	expect "$k: module version" "$version" "$(in_root modinfo -F version "/$ko")"
	expect "$k: vermagic" "$k" "$(in_root modinfo -F vermagic "/$ko" | cut -d' ' -f1)"
	# Every parameter (none today) has a description (modinfo's parm).
	types=$(in_root modinfo -F parmtype "/$ko" | cut -d: -f1 | sort)
	descs=$(in_root modinfo -F parm "/$ko" | cut -d: -f1 | sort)
	expect "$k: every parameter documented ($(wc -w <<<"$types"))" "$types" "$descs"
done

# The installed units: systemd-analyze verify inside the root, where the
# programs they start live.  Its only allowed output is none.  The root
# has no man(1): the pages the units name are checked as files instead.
units=$(in_root dpkg -L muisp | grep -E '^/lib/systemd/system/[^/]+\.(service|socket|timer|path)$')
[ -n "$units" ] || fail "no systemd units in muisp"
# shellcheck disable=SC2086
verify=$(in_root systemd-analyze verify --man=no $units 2>&1)
[ -z "$verify" ] || { sed 's/^/    | /' <<<"$verify"; fail "systemd-analyze verify"; }
ok "systemd-analyze verify: $(wc -w <<<"$units") units clean"
pages=$(for u in $units; do sed -n 's/^Documentation=//p' "$root$u"; done | tr ' ' '\n' |
	sed -nE 's/^man:([^(]+)\(([0-9])\)$/\1 \2/p' | sort -u)
[ -n "$pages" ] || fail "the units name no man page"
while read -r name sec; do
	[ -e "$root/usr/share/man/man$sec/$name.$sec.gz" ] ||
		fail "man page $name($sec) named by a unit is not installed"
done <<<"$pages"
ok "the units' $(wc -l <<<"$pages") man pages installed"

# --- 3. each line boots and loads the package's module ----------------------
vmbin=$out/vm-bin waited=0
rm -rf "$vmbin"
mkdir -p "$vmbin"
for f in $progs; do cp -a "$root$f" "$vmbin/"; done
# The lines boot side by side, each guest's vCPUs on one host thread (as
# tests/vm/run.sh --lanes does: two guests with a thread per vCPU on two
# cores preempt each other's spinning vCPUs).
if [ -n "${MUISP_VM_LOCK:-}" ]; then
	t0=$SECONDS
	exec {lock}>>"$MUISP_VM_LOCK"
	flock "$lock"
	waited=$((SECONDS - t0))
fi
declare -A vm_pid
for k in "${kvers[@]}"; do
	(
		t0=$SECONDS
		MUISP_PKG_VERSION=$version MUISP_VM_ACCEL=${MUISP_VM_ACCEL:-tcg,thread=single} \
			tests/vm/run.sh --kver "$k" --modprobe \
			--ko "$root${ko_of[$k]}" --bin "$vmbin" tests/pkg/vm-dkms.sh smoke \
			>"$out/vm-$k.log" 2>&1
		rc=$?
		echo $((SECONDS - t0)) >"$out/vm-$k.secs"
		exit $rc
	) &
	vm_pid[$k]=$!
done
declare -A vm_rc
for k in "${kvers[@]}"; do
	wait "${vm_pid[$k]}"
	vm_rc[$k]=$?
done
for k in "${kvers[@]}"; do
	if [ "${vm_rc[$k]}" -eq 0 ]; then
		ok "$k: modprobe of the DKMS module, vm-dkms and smoke ($(cat "$out/vm-$k.secs")s)"
	else
		sed 's/^/    | /' "$out/vm-$k.log" | tail -25
		fail "$k: VM run (build/pkg/vm-$k.log)"
	fi
done
[ -z "${MUISP_VM_LOCK:-}" ] || exec {lock}>&-

# --- 4. purge -----------------------------------------------------------------
files=$(in_root dpkg -L "${pkgs[@]}" | grep -vx '/\.' | sort -u)
echo "the operator's leases" >"$root/var/lib/muisp/operator-data"
if in_root apt-get purge -y "${pkgs[@]}" >"$out/purge.log" 2>&1; then
	ok "apt-get purge"
else
	tail -20 "$out/purge.log" | sed 's/^/    | /'
	fail "apt-get purge (build/pkg/purge.log)"
fi
for p in "${pkgs[@]}"; do
	in_root dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'installed' &&
		fail "$p still installed"
done
ok "no package left installed"
left=()
for f in $files; do
	[ -e "$root$f" ] || [ -L "$root$f" ] || continue
	case $f in /var/lib/muisp | /var/lib/muisp/*) continue ;; esac
	# A directory stays if another package ships it too (/usr/sbin), or
	# if it is one of merged /usr's aliases (/lib -> usr/lib).
	if [ -d "$root$f" ]; then
		[ -L "$root$f" ] && continue
		in_root dpkg -S "$f" >/dev/null 2>&1 && continue
	fi
	left+=("$f")
done
[ ${#left[@]} -eq 0 ] || fail "left after purge: ${left[*]}"
ok "no file of the packages left ($(wc -w <<<"$files") paths)"
leftover=$(cd "$root" && ls -d etc/muisp usr/src/muisp-* var/lib/dkms/muisp \
	lib/modules/*/updates/dkms/muisp.ko etc/systemd/system/*/muisp* \
	etc/systemd/system/muisp* var/lib/systemd/deb-systemd-helper-enabled/*muisp* \
	2>/dev/null)
[ -z "$leftover" ] || fail "left after purge: $leftover"
ok "DKMS module of every line, /etc/muisp and unit links gone"
expect "dkms status after purge" "" "$(in_root dkms status muisp 2>/dev/null)"
expect "/var/lib/muisp and the operator's file kept" "the operator's leases" \
	"$(cat "$root/var/lib/muisp/operator-data" 2>&1)"

unmount_all
echo "pkg: $((SECONDS - t_start - waited))s in all (and ${waited}s waiting for the VM lock)"
summary
