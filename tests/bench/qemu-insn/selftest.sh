#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The instruction counter end to end (`make qemu-insn-check`, ~10 s): boot
# the kernel under QEMU (TCG, one vCPU) with build/qemu-insn.so and an
# initramfs of busybox + insn-mark that runs loops of known length, and
# check each window's count: 2 N instructions, plus the few around the
# markers and the timer interrupts the window took (< 1 % + 20,000), next
# to no busy-waiting among them; and a loop with a PAUSE, 3 N instructions,
# all of them counted as busy-waiting.
# Usage: tests/bench/qemu-insn/selftest.sh [KVER]
set -euo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
kver=${1:-$("$top/scripts/kver.sh")}
plugin=$top/build/qemu-insn.so mark=$top/build/bin/insn-mark
for f in "$plugin" "$mark" /boot/vmlinuz-"$kver" /bin/busybox; do
	[ -r "$f" ] || { echo "qemu-insn selftest: $f missing (make qemu-insn)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/root/bin"
cp /bin/busybox "$mark" "$tmp/root/bin/"
loops="10000000 1000000 100000" spins=1000000
{
	echo '#!/bin/busybox sh'
	for n in $loops; do echo "/bin/insn-mark loop $n"; done
	echo "/bin/insn-mark spin $spins"
	echo '/bin/insn-mark dump'
	echo '/bin/busybox poweroff -f'
} >"$tmp/root/init"
chmod +x "$tmp/root/init"
(cd "$tmp/root" && find . | cpio -o -H newc 2>/dev/null | gzip) >"$tmp/initrd.gz"
timeout 300 qemu-system-x86_64 -accel tcg -m 256 -smp 1 -nographic \
	-no-reboot -kernel /boot/vmlinuz-"$kver" -initrd "$tmp/initrd.gz" \
	-append "console=ttyS0 panic=-1 quiet" -nic none \
	-plugin "$plugin,out=$tmp/out" </dev/null >"$tmp/console" 2>&1 || {
	echo "qemu-insn selftest: qemu failed" >&2
	tail -20 "$tmp/console" >&2
	exit 1
}
sed 's/^/  /' "$tmp/out"
fail=0 i=0
for n in $loops; do
	i=$((i + 1))
	got=$(sed -n "s/^window $i cpu0=\([0-9]*\) spin0=.*/\1/p" "$tmp/out")
	spin=$(sed -n "s/^window $i cpu0=[0-9]* spin0=\([0-9]*\)\$/\1/p" "$tmp/out")
	if [ -n "$got" ] && [ "$got" -ge $((2 * n)) ] &&
		[ "$got" -le $((2 * n + 2 * n / 100 + 20000)) ]; then
		echo "ok   loop $n: $got instructions (2 x $n + $((got - 2 * n)))"
	else
		echo "FAIL loop $n: '${got}' instructions, want 2 x $n (+ < 1 % + 20000)"
		fail=1
	fi
	if [ -n "$spin" ] && [ "$spin" -le $((got / 100)) ]; then
		echo "ok   loop $n: $spin of them busy-waiting"
	else
		echo "FAIL loop $n: '${spin}' busy-waiting, want < 1 %"
		fail=1
	fi
done
i=$((i + 1))
got=$(sed -n "s/^window $i cpu0=\([0-9]*\) spin0=.*/\1/p" "$tmp/out")
spin=$(sed -n "s/^window $i cpu0=[0-9]* spin0=\([0-9]*\)\$/\1/p" "$tmp/out")
# the first PAUSE is in the start marker's block, counted before the window
# (each PAUSE leaves the CPU loop, so the window is long and takes more
# interrupts than the others: the total is not bounded, the waiting is)
if [ -n "$got" ] && [ -n "$spin" ] && [ "$spin" -ge $((3 * spins - 2)) ] &&
	[ "$spin" -le $((3 * spins + 3 * spins / 100)) ] && [ "$spin" -le "$got" ]; then
	echo "ok   spin $spins: $got instructions, $spin busy-waiting (3 x $spins)"
else
	echo "FAIL spin $spins: '${got}' instructions, '${spin}' busy-waiting, want 3 x $spins"
	fail=1
fi
grep -q "^total $((i + 1)) cpu0=[0-9]* spin0=[0-9]" "$tmp/out" || { echo "FAIL: no dump line"; fail=1; }
[ $fail -eq 0 ] && echo "qemu-insn selftest: passed"
exit $fail
