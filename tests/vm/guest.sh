#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs as PID 1 inside the harness VM (see run.sh).  Loads muisp.ko, runs
# scenarios from the shared queue (/muisp-out/queue) one after another, each
# with its own time-out, scans the kernel log after each, unloads the module,
# writes results to the output share and powers off.  This guest is lane K
# (muisp_lane=K on the kernel command line): its files are in
# /muisp-out/lane-K/.  Results: one "PASS|FAIL name seconds reason" line per
# scenario in lane-K/results, then "DONE" once the queue is empty.

set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8
OUT=/muisp-out
. "$OUT/job.env"

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
ln -s /proc/self/fd /dev/fd	# bash's process substitution uses it
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mkdir -p /run/netns /var/run
ip link set lo up
hostname muisp-vm
# A task stuck in the kernel or a CPU that stops scheduling must end the
# run with a stack trace on the console, not stall it until the host gives up.
sysctl -qw kernel.hung_task_timeout_secs=90 kernel.hung_task_panic=1 \
	kernel.softlockup_panic=1 2>/dev/null

console() { echo "muisp-vm: $*" >/dev/console; }

lane=$(sed -n 's/.*muisp_lane=\([0-9]*\).*/\1/p' /proc/cmdline)
LANE=$OUT/lane-${lane:-1}
mkdir -p "$LANE/claimed"

# The next scenario's guest path.  Claiming is a rename into this lane's
# claimed/ on the host's file system: when two lanes try the same file, one
# rename fails and that lane tries the next.
claim() {
	local f
	for f in "$OUT"/queue/*; do
		[ -e "$f" ] || return 1
		mv "$f" "$LANE/claimed/" 2>/dev/null || continue
		cat "$LANE/claimed/${f##*/}"
		return 0
	done
	return 1
}

# Messages that mean the kernel misbehaved, whatever the scenario said.
BAD='WARNING:|BUG:|Oops|general protection fault|refcount_t|list_add corruption|list_del corruption|soft lockup|hard LOCKUP|rcu_sched self-detected stall|rcu: INFO|blocked for more than|UBSAN:|KASAN:|kernel BUG|Kernel panic|unregister_netdevice: waiting'

# Drain the kernel log into $1; fail (return 1) if it holds a bad message.
kmsg_check() {
	dmesg -c >"$1" 2>&1
	if grep -Eq "$BAD" "$1"; then
		grep -E "$BAD" "$1" | head -5 >/dev/console
		return 1
	fi
	return 0
}

module_loaded() { [ -d /sys/module/muisp ]; }

ensure_module() {
	module_loaded && return 0
	modprobe -q nf_conntrack 2>/dev/null # some scenarios compare against it
	# dyndbg=+p: the created/destroyed lines kmsg-lifecycle.sh pairs
	if [ "${MUISP_KO_MODPROBE:-0}" = 1 ]; then
		modprobe muisp dyndbg=+p $MUISP_KO_ARGS
	else
		insmod "$MUISP_KO" dyndbg=+p $MUISP_KO_ARGS
	fi
}

# run.sh --modprobe: the module where DKMS installs it, found by modprobe
# through the indexes run.sh made with depmod on the host.
if [ "${MUISP_KO_MODPROBE:-0}" = 1 ]; then
	mods=/lib/modules/$(uname -r)
	mkdir -p "$mods/updates/dkms" && cp "$MUISP_KO" "$mods/updates/dkms/" &&
		cp "$OUT"/modindex/modules.* "$mods/" ||
		console "cannot install $MUISP_KO in $mods/updates/dkms"
fi

: >"$LANE/results"
dmesg -c >"$LANE/boot.kmsg" 2>&1
console "kernel $(uname -r), $(nproc) cpus"

# Modules the topology and scenarios use; explicit so a failure is clear.
for m in veth bridge; do modprobe "$m" || console "modprobe $m failed"; done
# The CPU's AES-NI and GHASH modules, as udev's coldplug loads them on a
# real router (no udev here): the seals then use them (kmod/uinfo.c), under
# a CPU model that has them (MUISP_VM_CPU=max; QEMU's default has not).
if grep -qw aes /proc/cpuinfo && grep -qw pclmulqdq /proc/cpuinfo; then
	for m in aesni_intel ghash_clmulni_intel; do
		modprobe "$m" || console "modprobe $m failed"
	done
fi

if ! ensure_module; then
	console "cannot load $MUISP_KO"
	echo "FAIL load-module 0 insmod-failed" >>"$LANE/results"
fi

# A scenario with a "# disk: SIZE" header gets a fresh ext4 file system on
# the virtio disk run.sh attached, mounted at $DISK_DIR (MUISP_DISK).
DISK_DIR=/run/muisp-disk
disk_up() {
	local i
	modprobe -q virtio_blk && modprobe -q ext4 || return 1
	for ((i = 0; i < 50; i++)); do
		[ -b /dev/vda ] && break
		sleep 0.1
	done
	mkdir -p "$DISK_DIR" &&
		mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 /dev/vda >"$LANE/mkfs.log" 2>&1 &&
		mount -t ext4 /dev/vda "$DISK_DIR"
}

pass=0 fail=0 ran=()
while s=$(claim); do
	name=$(basename "$s" .sh)
	ran+=("$name")
	limit=$(sed -n 's/^# timeout: *\([0-9]\+\).*/\1/p' "$s" | head -1)
	limit=${limit:-120}
	disk=
	if grep -q '^# disk: *[0-9]' "$s"; then
		if disk_up; then
			disk=$DISK_DIR
		else
			console "$name: no disk (/dev/vda: mkfs.ext4 or mount failed)"
		fi
	fi
	scratch=$(mktemp -d /tmp/scn-"$name".XXXX)
	ensure_module || console "$name: module reload failed"
	start=$(date +%s)
	console "RUN  $name (limit ${limit}s)"
	(
		cd "$scratch" || exit 1
		export SCRATCH=$scratch MUISP_SCENARIO=$name MUISP_DISK=$disk
		exec timeout -k 5 "$limit" bash "$s"
	) >"$OUT/$name.log" 2>&1 </dev/null
	rc=$?
	secs=$(($(date +%s) - start))
	reason=
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		reason=timeout
	elif [ $rc -ne 0 ]; then
		reason="exit-$rc"
	fi
	# Leftover namespaces from a scenario that died would confuse the next.
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	if [ -n "$disk" ]; then # (the killed processes may still hold it a moment)
		for ((i = 0; i < 50; i++)); do
			umount "$disk" 2>/dev/null && break
			sleep 0.1
		done
		! mountpoint -q "$disk" || console "$name: cannot unmount $disk"
	fi
	if ! kmsg_check "$OUT/$name.kmsg"; then
		reason="${reason:+$reason,}kernel-log"
	fi
	if [ -z "$reason" ]; then
		pass=$((pass + 1))
		echo "PASS $name $secs" >>"$LANE/results"
		console "PASS $name (${secs}s)"
	else
		fail=$((fail + 1))
		echo "FAIL $name $secs $reason" >>"$LANE/results"
		console "FAIL $name (${secs}s): $reason"
		tail -n 15 "$OUT/$name.log" | sed 's/^/    | /' >/dev/console
	fi
	rm -rf "$scratch"
done

# The module must unload cleanly after everything ran.
if module_loaded; then
	if rmmod muisp 2>"$LANE/rmmod.err"; then
		echo "PASS unload-module 0" >>"$LANE/results"
	else
		echo "FAIL unload-module 0 rmmod-failed" >>"$LANE/results"
	fi
fi
if ! kmsg_check "$LANE/final.kmsg"; then
	echo "FAIL final-kernel-log 0 kernel-log" >>"$LANE/results"
fi
# Every object the module logged as created was destroyed by the unload.
lc=("$LANE/boot.kmsg")
for name in "${ran[@]}"; do lc+=("$OUT/$name.kmsg"); done
if bash "$MUISP_TOP/tests/vm/kmsg-lifecycle.sh" "${lc[@]}" "$LANE/final.kmsg" \
	>"$LANE/lifecycle.log" 2>&1; then
	echo "PASS kmsg-lifecycle 0" >>"$LANE/results"
else
	echo "FAIL kmsg-lifecycle 0 unmatched" >>"$LANE/results"
	head -5 "$LANE/lifecycle.log" >/dev/console
fi
echo DONE >>"$LANE/results"
sync
console "finished"
poweroff -f
