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
#   NAME          run only these scenarios (file names without .sh)
#   FILE          a scenario given by its path (one with a /)
#
# Prints one PASS/FAIL line per scenario and "vm: N passed, N failed"; exits
# non-zero on any failure, a time-out, a kernel warning, or a failed unload.
# Per-run logs: build/vm/run-*/ (NAME.log, NAME.kmsg, console.log).
# MUISP_* variables reach the scenarios as set; MUISP_TOP, MUISP_KO and
# MUISP_BIN are the guest's paths.  MUISP_VM_ACCEL sets QEMU's -accel
# (default tcg: multi-threaded, one host thread per vCPU); MUISP_VM_ICOUNT
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

set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
kver=${KVER:-}
dir=$top/tests/vm/scenarios
ko=$top/kmod/muisp.ko
bin=$top/build/bin
demo=0 show_log=0 modprobe=0
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
write_job() { # scenarios...: the guest's job file
	local s g=()
	for s in "$@"; do g+=("$(guest_path "$s")"); done
	{
		# Every MUISP_* variable of the caller reaches the scenarios.
		for v in "${!MUISP_@}"; do printf 'export %s=%q\n' "$v" "${!v}"; done
		printf 'MUISP_TOP=%q\n' "$gtop"
		printf 'MUISP_KO=%q\n' "$gout/$kofile"
		printf 'MUISP_KO_ARGS=%q\n' "${MUISP_KO_ARGS:-}"
		printf 'MUISP_KO_MODPROBE=%q\n' "$modprobe"
		printf 'MUISP_BIN=%q\n' "$gout/bin"
		printf 'MUISP_SCENARIOS=%q\n' "${g[*]}"
		echo 'export MUISP_TOP MUISP_KO MUISP_BIN'
	} >"$run/job.env"
}

echo "vm: kernel $kver, ${#scenarios[@]} scenario(s), budget ${budget}s, logs in ${run#$top/}"
qemu=(qemu-system-x86_64 -accel "${MUISP_VM_ACCEL:-tcg}" -m 2048 -smp 2 -nographic -no-reboot
	-kernel "$kernel" -initrd "$initrd"
	-append "console=ttyS0 panic=-1 oops=panic loglevel=4 net.ifnames=0"
	-virtfs "local,path=/,mount_tag=root,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=${top//,/,,},mount_tag=top,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=${run//,/,,},mount_tag=out,security_model=none"
	-nic none)
[ -z "$MUISP_VM_CPU" ] || qemu+=(-cpu "$MUISP_VM_CPU")
if [ "$disk" -gt 0 ]; then
	truncate -s "$disk" "$run/disk.img"
	qemu+=(-drive "file=${run//,/,,}/disk.img,format=raw,if=virtio")
fi
[ "${MUISP_VM_INSN:-0}" = 1 ] &&
	qemu+=(-plugin "$top/build/qemu-insn.so,out=$run/insn.out,prof=$run/insn.prof")
[ -n "${MUISP_VM_PLUGIN:-}" ] && qemu+=(-plugin "$MUISP_VM_PLUGIN")
[ -n "${MUISP_VM_ICOUNT:-}" ] && qemu+=(-icount "$MUISP_VM_ICOUNT")

# Watchdog: the guest enforces each scenario's time-out itself, but a task
# stuck in the kernel (D state) or a wedged guest would never report.  If no
# progress line arrives within the running scenario's limit plus $grace
# seconds, QEMU is killed and the scenario fails as "hang".
grace=${MUISP_VM_GRACE:-60}
watch_guest() { # qemu-pid console-file
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
			echo hang >"$run/watchdog"
			kill "$qpid" 2>/dev/null
			return
		fi
	done
}

set +e
if [ $demo -eq 1 ]; then
	write_job "${scenarios[@]}"
	timeout "$budget" "${qemu[@]}" </dev/null >"$run/console.log" 2>&1 &
	qpid=$!
	echo "vm: booting (about 10 s) ..."
	# Stream the demo's own output as it is written.
	while [ ! -e "$run/demo.log" ] && kill -0 $qpid 2>/dev/null; do sleep 0.5; done
	[ -e "$run/demo.log" ] && tail -n +1 -f --pid=$qpid "$run/demo.log"
	wait $qpid
	qrc=$?
	cp "$run/results" "$run/all-results" 2>/dev/null
	grep -qx DONE "$run/all-results" 2>/dev/null || echo "FAIL vm 0 guest-did-not-finish" >>"$run/all-results"
else
	# One boot runs every scenario; if the guest dies or hangs in one, it
	# fails and a new boot runs the rest (at most $max_boots boots).
	pending=("${scenarios[@]}") boot=0 max_boots=${MUISP_VM_MAX_BOOTS:-3}
	: >"$run/all-results"
	while [ ${#pending[@]} -gt 0 ]; do
		boot=$((boot + 1))
		con=$run/console.log
		[ $boot -gt 1 ] && con=$run/console-$boot.log
		write_job "${pending[@]}"
		rm -f "$run/results" "$run/watchdog"
		: >"$con"
		timeout "$budget" "${qemu[@]}" </dev/null >"$con" 2>&1 &
		qpid=$!
		# Echo the guest's progress lines while it runs.
		tail -n +1 -f --pid=$qpid "$con" 2>/dev/null |
			grep -a --line-buffered '^muisp-vm: ' | sed -u 's/^muisp-vm: /  /' &
		watch_guest $qpid "$con"
		wait $qpid
		qrc=$?
		grep -E '^(PASS|FAIL) ' "$run/results" >>"$run/all-results" 2>/dev/null
		grep -qx DONE "$run/results" 2>/dev/null && break
		# The guest stopped early: the scenario it was running fails.
		left=()
		for s in "${pending[@]}"; do
			n=$(basename "$s" .sh)
			grep -q "^[A-Z]* $n " "$run/all-results" || left+=("$s")
		done
		why=crash
		if [ -e "$run/watchdog" ] || grep -aq 'blocked for more than' "$con"; then
			why=hang
		elif [ $qrc -eq 124 ]; then
			why=timeout
		fi
		if [ ${#left[@]} -eq 0 ]; then
			echo "FAIL vm-shutdown 0 $why" >>"$run/all-results"
			break
		fi
		n=$(basename "${left[0]}" .sh)
		echo "FAIL $n 0 $why" >>"$run/all-results"
		echo "  FAIL $n: guest $why (qemu exit $qrc; see ${con#$top/})"
		grep -a -E 'Kernel panic|BUG:|Oops|blocked for more than|RIP:' "$con" | head -8 | sed 's/^/    | /'
		pending=("${left[@]:1}")
		if [ $boot -ge "$max_boots" ] && [ ${#pending[@]} -gt 0 ]; then
			for s in "${pending[@]}"; do
				echo "FAIL $(basename "$s" .sh) 0 not-run" >>"$run/all-results"
			done
			break
		fi
	done
fi
set -e
rm -f "$run/disk.img"

pass=0 fail=0
while read -r verdict name secs reason; do
	case $verdict in
	PASS) pass=$((pass + 1)); echo "PASS $name (${secs}s)" ;;
	FAIL) fail=$((fail + 1)); echo "FAIL $name (${secs}s): $reason" ;;
	esac
done <"$run/all-results"
if [ $show_log -eq 1 ]; then
	for s in "${scenarios[@]}"; do
		n=$(basename "$s" .sh)
		[ -r "$run/$n.log" ] && sed "s/^/[$n] /" "$run/$n.log"
	done
fi
echo "vm: $pass passed, $fail failed"
[ $fail -eq 0 ]
