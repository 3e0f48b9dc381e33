#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot Debian's kernel under QEMU (TCG) with the host root shared read-only
# over virtio-9p, load the build tree's muisp.ko and run VM scenarios.  The
# checkout is a 9p share of its own (/muisp-top in the guest, read-only) and
# the run directory another (/muisp-out): the guest finds the module, the
# binaries, the scenarios and their libraries there, whatever the checkout's
# host path (the guest mounts tmpfs over /tmp, /run, ...).
#
#   tests/vm/run.sh [--kver KVER] [--dir DIR] [--demo] [NAME|FILE ...]
#
#   --kver KVER   kernel line (headers + image of the same release must be
#                 installed; default: scripts/kver.sh)
#   --dir DIR     scenario directory (default tests/vm/scenarios)
#   --ko PATH     module to load (default kmod/muisp.ko; copied, with
#                 build/bin, into the run directory at start)
#   --modprobe    install the module in the guest's
#                 /lib/modules/KVER/updates/dkms/ (where DKMS puts it), with
#                 indexes depmod made on the host, and load it with modprobe
#                 instead of insmod
#   --bin DIR     the programs the scenarios run (default build/bin)
#   --demo        run tests/vm/demo.sh and stream its output
#   --show-log    print each scenario's output after the run (benchmarks)
#   --lanes N     boot N guests side by side, each taking the next scenario
#                 from one shared queue (default MUISP_VM_LANES or 1; one
#                 when counting instructions and for the demo), each with
#                 its vCPUs on one host thread (-accel tcg,thread=single
#                 unless MUISP_VM_ACCEL says otherwise): make check runs one
#                 per core.
#   NAME          run only these scenarios (file names without .sh)
#   FILE          a scenario given by its path (one with a /)
#
# Prints one PASS/FAIL line per scenario and "vm: N passed, N failed"; exits
# non-zero on any failure, a time-out, a kernel warning, or a failed unload.
# Per-run logs: build/vm/run-*/ (NAME.log, NAME.kmsg; per lane K, in
# lane-K/: console.log, the scenarios it claimed in the order it ran them).
# MUISP_* variables reach the scenarios as set; MUISP_TOP, MUISP_KO and
# MUISP_BIN are the guest's paths.  MUISP_VM_ACCEL sets QEMU's -accel
# (default tcg: multi-threaded, one host thread per vCPU; with lanes,
# tcg,thread=single); MUISP_VM_ICOUNT
# adds "-icount VALUE" (e.g. shift=3,sleep=off: the guest's clock advances
# with the instructions it executes, the vCPUs take turns on one thread).
#
# Scenario headers: "# timeout: SECONDS" (default 120); "# disk: SIZE"
# (as truncate(1) reads it: 1G, 512M): the guest gets a raw image of the
# largest SIZE asked (build/vm/run-*/disk.img, sparse) as virtio disk
# /dev/vda, and each such scenario a fresh ext4 file system on it, mounted
# at the path in MUISP_DISK (empty for other scenarios).
#
# Instruction counts (tests/bench/qemu-insn/, docs/PERFORMANCE.md):
#   MUISP_VM_INSN=1     build and load the TCG plugin build/qemu-insn.so,
#                       writing to insn.out and insn.prof in the run
#                       directory (/muisp-out/ in the guest, where
#                       insn-mark's windows appear); a scenario with a
#                       "# qemu-insn: yes" line turns it on itself
#   MUISP_VM_PLUGIN=ARG another QEMU plugin: "-plugin ARG" (FILE[,k=v...])
# MUISP_VM_APPEND adds to the guest kernel's command line (e.g.
# "clocksource=tsc tsc=reliable": clock reads without an emulated HPET),
# as does a scenario's "# qemu-append: ARGS" line.

set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
kver=${KVER:-}
dir=$top/tests/vm/scenarios
ko=$top/kmod/muisp.ko
bin=$top/build/bin
demo=0 show_log=0 modprobe=0 lanes=${MUISP_VM_LANES:-1}
names=()
while [ $# -gt 0 ]; do
	case $1 in
	--kver) kver=$2; shift 2 ;;
	--dir) dir=$(cd "$2" && pwd); shift 2 ;;
	--ko) ko=$(readlink -f "$2"); shift 2 ;;
	--modprobe) modprobe=1; shift ;;
	--bin) bin=$(cd "$2" && pwd); shift 2 ;;
	--demo) demo=1; shift ;;
	--show-log) show_log=1; shift ;;
	--lanes) lanes=$2; shift 2 ;;
	-h|--help) sed -n '3,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) names+=("$1"); shift ;;
	esac
done
[ -n "$kver" ] || kver=$("$top/scripts/kver.sh")
[ -n "$kver" ] || { echo "run.sh: no kernel installed (scripts/deps.sh)" >&2; exit 2; }
kernel=/boot/vmlinuz-$kver
[ -r "$kernel" ] || { echo "run.sh: $kernel missing" >&2; exit 2; }
[ -r "$ko" ] || { echo "run.sh: $ko missing (make kmod)" >&2; exit 2; }
[[ $lanes =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --lanes wants a count, not '$lanes'" >&2; exit 2; }

# Which scenarios, and the time budget they add up to.
scenarios=()
if [ $demo -eq 1 ]; then
	scenarios=("$top/tests/vm/demo.sh")
elif [ ${#names[@]} -gt 0 ]; then
	for n in "${names[@]}"; do
		f=$dir/$n.sh
		[[ $n == */* ]] && f=$(readlink -f "$n")
		[ -r "$f" ] || { echo "run.sh: no scenario $f" >&2; exit 2; }
		for g in "${scenarios[@]}"; do
			# one log and kernel log per name: a second run would
			# write over the first's and unpair the lifecycle check
			[ "$(basename "$g")" != "$(basename "$f")" ] || {
				echo "run.sh: scenario $(basename "$f" .sh) given twice (to repeat one, copy it under another name)" >&2
				exit 2
			}
		done
		scenarios+=("$f")
	done
else
	for f in "$dir"/*.sh; do [ -e "$f" ] && scenarios+=("$f"); done
fi
[ ${#scenarios[@]} -gt 0 ] || { echo "run.sh: no scenarios in $dir" >&2; exit 2; }
# The instruction counter, asked for by the caller or by a scenario.
if [ "${MUISP_VM_INSN:-0}" != 1 ] &&
	grep -qx '# qemu-insn: yes' "${scenarios[@]}"; then
	export MUISP_VM_INSN=1
fi
if [ "${MUISP_VM_INSN:-0}" = 1 ]; then
	make -s -C "$top" qemu-insn >&2 || { echo "run.sh: cannot build the qemu-insn plugin" >&2; exit 2; }
fi
# The emulated CPU model: MUISP_VM_CPU, or a scenario's "# qemu-cpu: MODEL"
# (the first one's), or QEMU's default (qemu64: no AES-NI, no PCLMULQDQ).
: "${MUISP_VM_CPU:=$(sed -n 's/^# qemu-cpu: \([a-z0-9-]*\)$/\1/p' "${scenarios[@]}" | head -n1)}"
: "${MUISP_VM_APPEND:=$(sed -n 's/^# qemu-append: \([a-z0-9=. -]*\)$/\1/p' "${scenarios[@]}" | head -n1)}"
budget=120 disk=0
for s in "${scenarios[@]}"; do
	t=$(sed -n 's/^# timeout: *\([0-9]\+\).*/\1/p' "$s" | head -1)
	budget=$((budget + ${t:-120} + 10))
	d=$(sed -n 's/^# disk: *\([0-9][0-9]*[KMGT]\{0,1\}\).*/\1/p' "$s" | head -1)
	if [ -n "$d" ]; then
		d=$(numfmt --from=iec "$d")
		if [ "$d" -gt "$disk" ]; then disk=$d; fi
	fi
done

# The initramfs depends only on the kernel release and the two scripts.
mkdir -p "$top/build/vm"
stamp=$(cat "$top/tests/vm/mkinitrd.sh" "$top/tests/vm/initramfs-init" | md5sum | cut -c1-8)
initrd=$top/build/vm/initrd-$kver-$stamp.gz
[ -s "$initrd" ] || "$top/tests/vm/mkinitrd.sh" "$kver" "$initrd"

run=$(mktemp -d "$top/build/vm/run-$(date +%Y%m%d-%H%M%S)-XXXX")
chmod 777 "$run"
# The guest runs a snapshot of the binaries and the module, so a rebuild on
# the host while the VM runs cannot change them under it.
cp -a "$bin" "$run/bin"
# (muisp.ko, or muisp.ko.xz as DKMS installs it for a line that compresses)
kofile=muisp.ko${ko##*.ko}
cp "$ko" "$run/$kofile"
# --modprobe: the line's module indexes with the module in updates/dkms/,
# made here by depmod at native speed over a tree of links to the line's
# modules; the guest copies them in.  depmod -a in the guest reads every
# module of the line over 9p under emulation: minutes on a loaded machine,
# past the watchdog's allowance for the boot.
if [ $modprobe -eq 1 ]; then
	idx=$run/modroot
	mkdir -p "$idx/lib/modules" "$run/modindex"
	cp -as "/lib/modules/$kver" "$idx/lib/modules/"
	mkdir -p "$idx/lib/modules/$kver/updates/dkms"
	rm -f "$idx/lib/modules/$kver/updates/dkms/muisp.ko"*
	cp "$ko" "$idx/lib/modules/$kver/updates/dkms/$kofile"
	depmod -b "$idx" "$kver" ||
		{ echo "run.sh: depmod for $kver failed" >&2; exit 2; }
	cp "$idx/lib/modules/$kver"/modules.* "$run/modindex/"
	rm -rf "$idx"
fi
# The guest's paths (mount points made by initramfs-init).
gtop=/muisp-top gout=/muisp-out
guest_path() { # a scenario's host path -> its guest path
	case $1 in
	"$top"/*) echo "$gtop/${1#"$top"/}" ;;
	*)	# outside the checkout: a copy in the run directory
		mkdir -p "$run/scenarios"
		cp "$1" "$run/scenarios/"
		echo "$gout/scenarios/${1##*/}" ;;
	esac
}
# The guests' job: the environment in job.env, the scenarios in queue/, one
# file each (NNN-NAME, holding its guest path).  Each lane's guest claims
# the next one by moving it into its lane-K/claimed/ (a rename on the host:
# one lane wins), so the lanes share the work however long each scenario is.
{
	# Every MUISP_* variable of the caller reaches the scenarios.
	for v in "${!MUISP_@}"; do printf 'export %s=%q\n' "$v" "${!v}"; done
	printf 'MUISP_TOP=%q\n' "$gtop"
	printf 'MUISP_KO=%q\n' "$gout/$kofile"
	printf 'MUISP_KO_ARGS=%q\n' "${MUISP_KO_ARGS:-}"
	printf 'MUISP_KO_MODPROBE=%q\n' "$modprobe"
	printf 'MUISP_BIN=%q\n' "$gout/bin"
	echo 'export MUISP_TOP MUISP_KO MUISP_BIN'
} >"$run/job.env"
mkdir "$run/queue"
i=0
for s in "${scenarios[@]}"; do
	i=$((i + 1))
	guest_path "$s" >"$run/queue/$(printf %03d $i)-$(basename "$s" .sh)"
done

# Lanes: guests booted side by side, each on its own host thread(s).  The
# instruction counter's files are one per run, and the demo streams one log.
if [ "${MUISP_VM_INSN:-0}" = 1 ] || [ -n "${MUISP_VM_PLUGIN:-}" ] || [ $demo -eq 1 ]; then
	lanes=1
fi
[ "$lanes" -le ${#scenarios[@]} ] || lanes=${#scenarios[@]}

# Two multi-threaded TCG guests on two host cores preempt each other's
# vCPU threads while the guest kernel spins for the other vCPU (a lock, an
# IPI): each ran 3x slower than alone.  Lanes therefore run each guest's
# vCPUs on one host thread (both vCPUs still interleave, at the emulator's
# switches); one lane keeps a thread per vCPU, where races are truest.
accel=${MUISP_VM_ACCEL:-tcg}
[ "$lanes" -gt 1 ] && accel=${MUISP_VM_ACCEL:-tcg,thread=single}
lanes_note=
[ "$lanes" -gt 1 ] && lanes_note=", $lanes lanes ($accel)"
echo "vm: kernel $kver, ${#scenarios[@]} scenario(s)$lanes_note, budget ${budget}s, logs in ${run#$top/}"
qemu=(qemu-system-x86_64 -accel "$accel" -m 2048 -smp 2 -nographic -no-reboot
	-kernel "$kernel" -initrd "$initrd"
	-virtfs "local,path=/,mount_tag=root,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=${top//,/,,},mount_tag=top,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=${run//,/,,},mount_tag=out,security_model=none"
	-nic none)
append="console=ttyS0 panic=-1 oops=panic loglevel=4 net.ifnames=0 ${MUISP_VM_APPEND:-}"
[ -z "$MUISP_VM_CPU" ] || qemu+=(-cpu "$MUISP_VM_CPU")
[ "${MUISP_VM_INSN:-0}" = 1 ] &&
	qemu+=(-plugin "$top/build/qemu-insn.so,out=$run/insn.out,prof=$run/insn.prof")
[ -n "${MUISP_VM_PLUGIN:-}" ] && qemu+=(-plugin "$MUISP_VM_PLUGIN")
[ -n "${MUISP_VM_ICOUNT:-}" ] && qemu+=(-icount "$MUISP_VM_ICOUNT")

# Watchdog: the guest enforces each scenario's time-out itself, but a task
# stuck in the kernel (D state) or a wedged guest would never report.  If no
# progress line arrives within the running scenario's limit plus $grace
# seconds, QEMU is killed and the scenario fails as "hang".
grace=${MUISP_VM_GRACE:-60}
watch_guest() { # qemu-pid console-file lane-dir
	local qpid=$1 con=$2 last= line lim=120 since=$SECONDS
	while kill -0 "$qpid" 2>/dev/null; do
		sleep 2
		line=$(grep -a -E '^muisp-vm: (RUN|PASS|FAIL) ' "$con" 2>/dev/null | tail -1)
		if [ "$line" != "$last" ]; then
			last=$line since=$SECONDS lim=120
			[[ $line =~ ^muisp-vm:\ RUN\ .*\(limit\ ([0-9]+)s\) ]] &&
				lim=${BASH_REMATCH[1]}
		elif [ $((SECONDS - since)) -gt $((lim + grace)) ]; then
			echo "vm: guest made no progress for $((SECONDS - since))s; killing it" >&2
			echo hang >"$3/watchdog"
			kill "$qpid" 2>/dev/null
			return
		fi
	done
}

# One lane: boots its guest until the queue is empty.  A guest that dies or
# hangs fails the scenario it had claimed, and a new boot goes on with the
# queue (at most $max_boots boots per lane).  A guest that dies before its
# userspace starts (no "muisp-vm: kernel" line: muisp.ko is not loaded yet,
# no scenario claimed) is the kernel's boot under the emulator, not the
# module: multi-threaded TCG can run a stale copy of code the kernel
# live-patched while the other vCPU was in it (6.12: an int3 Oops in
# sched_clock_cpu as a static key flips at boot; see README.md).  That boot
# is reported and retried; it fails the run only if every boot of the lane
# dies so.  Results: lane-K/all-results; lane-K/early counts such boots.
max_boots=${MUISP_VM_MAX_BOOTS:-3}
run_lane() { # K
	local k=$1 dir=$run/lane-$1 boot=0 con qpid qrc why f n tag= lost
	local q=("${qemu[@]}")
	[ "$lanes" -gt 1 ] && tag="[$k] "
	mkdir -p "$dir/claimed"
	[ "$disk" -gt 0 ] && truncate -s "$disk" "$dir/disk.img" &&
		q+=(-drive "file=${dir//,/,,}/disk.img,format=raw,if=virtio")
	: >"$dir/all-results"
	: >"$dir/early"
	while :; do
		boot=$((boot + 1))
		con=$dir/console.log
		[ $boot -gt 1 ] && con=$dir/console-$boot.log
		rm -f "$dir/results" "$dir/watchdog"
		: >"$con"
		local a=$append
		# the harness self-test's fault: the first boot never reaches init
		[ "${MUISP_VM_BREAK_BOOT:-0}" = "$k" ] && [ $boot -eq 1 ] &&
			a+=" rdinit=/no-such-init root=/dev/no-such-disk"
		timeout "$budget" "${q[@]}" -append "$a muisp_lane=$k" </dev/null >"$con" 2>&1 &
		qpid=$!
		if [ $demo -eq 1 ]; then
			# Stream the demo's own output as it is written.
			echo "vm: booting (about 10 s) ..."
			while [ ! -e "$run/demo.log" ] && kill -0 $qpid 2>/dev/null; do sleep 0.5; done
			[ -e "$run/demo.log" ] && tail -n +1 -f --pid=$qpid "$run/demo.log"
		else
			# Echo the guest's progress lines while it runs.
			tail -n +1 -f --pid=$qpid "$con" 2>/dev/null |
				grep -a --line-buffered '^muisp-vm: ' | sed -u "s/^muisp-vm: /  $tag/" &
			watch_guest $qpid "$con" "$dir"
		fi
		wait $qpid
		qrc=$?
		grep -E '^(PASS|FAIL) ' "$dir/results" >>"$dir/all-results" 2>/dev/null
		grep -qx DONE "$dir/results" 2>/dev/null && break
		[ $demo -eq 1 ] && break
		# The guest stopped early.
		why=crash
		if [ -e "$dir/watchdog" ] || grep -aq 'blocked for more than' "$con"; then
			why=hang
		elif [ $qrc -eq 124 ]; then
			why=timeout
		fi
		lost=
		for f in "$dir"/claimed/*; do
			[ -e "$f" ] || continue
			n=${f##*/} n=${n#*-}
			grep -q "^[A-Z]* $n " "$dir/all-results" && continue
			echo "FAIL $n 0 $why" >>"$dir/all-results"
			lost=$n
		done
		if [ -n "$lost" ]; then
			echo "  ${tag}FAIL $lost: guest $why (qemu exit $qrc; see ${con#$top/})"
		# anywhere in its line: the firmware's escape codes may come first
		elif grep -aq 'muisp-vm: kernel ' "$con"; then
			# up, but not in a scenario: loading the module or the end
			n=vm-shutdown
			[ -n "$(ls "$run/queue")" ] && n=vm-boot
			echo "FAIL $n 0 $why" >>"$dir/all-results"
			echo "  ${tag}FAIL $n: guest $why outside a scenario (qemu exit $qrc; see ${con#$top/})"
		else
			echo "boot $boot" >>"$dir/early"
			echo "  ${tag}boot $boot: the guest kernel died before userspace started, before muisp.ko was loaded (qemu exit $qrc; see ${con#$top/})"
		fi
		grep -a -E 'Kernel panic|BUG:|Oops|blocked for more than|RIP:' "$con" | head -8 | sed 's/^/    | /'
		[ -n "$(ls "$run/queue")" ] || break
		if [ $boot -ge "$max_boots" ]; then
			echo "FAIL vm-boot 0 lane-$k-gave-up-after-$boot-boots" >>"$dir/all-results"
			break
		fi
		echo "  ${tag}booting again for the rest of the queue"
	done
	rm -f "$dir/disk.img"
}

set +e
pids=()
for ((k = 1; k <= lanes; k++)); do
	run_lane $k &
	pids+=($!)
done
wait "${pids[@]}"
set -e
cat "$run"/lane-*/all-results >"$run/all-results"
# What no lane ran (every lane gave up): failed, not silently skipped.
for f in "$run"/queue/*; do
	[ -e "$f" ] && echo "FAIL ${f##*/[0-9][0-9][0-9]-} 0 not-run" >>"$run/all-results"
done
[ $demo -eq 1 ] && ! grep -qx DONE "$run/lane-1/results" 2>/dev/null &&
	echo "FAIL vm 0 guest-did-not-finish" >>"$run/all-results"

pass=0 fail=0
while read -r verdict name secs reason; do
	case $verdict in
	PASS) pass=$((pass + 1)); echo "PASS $name (${secs}s)" ;;
	FAIL)
		fail=$((fail + 1))
		echo "FAIL $name (${secs}s): $reason"
		# the scenario's first failed checks: a CI log is read by its tail
		grep -a -m 3 -E '^ *FAIL ' "$run/$name.log" 2>/dev/null |
			sed "s/^ */    | $name: /" || :
		;;
	esac
done <"$run/all-results"
if [ $show_log -eq 1 ]; then
	for s in "${scenarios[@]}"; do
		n=$(basename "$s" .sh)
		[ -r "$run/$n.log" ] && sed "s/^/[$n] /" "$run/$n.log"
	done
fi
early=$(cat "$run"/lane-*/early | wc -l)
[ "$early" -eq 0 ] ||
	echo "vm: $early boot(s) died before userspace (the kernel under the emulator, before muisp.ko was loaded)"
echo "vm: $pass passed, $fail failed"
[ $fail -eq 0 ]
