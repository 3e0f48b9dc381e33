#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every object muisp.ko logs as created must be logged as destroyed by the
# time the module is unloaded (the check WireGuard's tests/netns.sh ends
# with).  The module logs its objects with pr_debug, which the harness turns
# on at every insmod it makes (dyndbg=+p):
#
#   muisp: created                  muisp: destroyed          (the module)
#   muisp: netns INUM created       muisp: netns INUM destroyed
#   muisp: flow table ID created: … muisp: flow table ID destroyed
#   muisp: flow cache created       muisp: flow cache destroyed
#
# A load without dyndbg logs neither half, so reloads inside scenarios keep
# the pairs intact.
#
#   kmsg-lifecycle.sh KMSG...     kernel logs of one boot, in order (guest.sh
#                                 passes what it drained after boot, after
#                                 each scenario and after the final rmmod)
#   kmsg-lifecycle.sh --self-test check the checker on canned logs
#
# Prints every object created twice, destroyed without being created, or
# still alive at the end, and exits 1 if there is any, or if no object was
# logged at all (dynamic debug off: nothing was checked).
set -uo pipefail

check() { # KMSG...
	local line obj ev n=0 bad=0
	local -A live=()
	while IFS= read -r line; do
		line=${line#\[*\] }	# dmesg's time stamp
		[[ $line =~ ^muisp:\ (.*\ )?(created|destroyed)(:.*)?$ ]] || continue
		obj=${BASH_REMATCH[1]% }
		obj=${obj:-module}
		ev=${BASH_REMATCH[2]}
		n=$((n + 1))
		if [ "$ev" = created ]; then
			[ -n "${live[$obj]:-}" ] && { echo "created twice: $obj"; bad=1; }
			live[$obj]=1
		else
			[ -z "${live[$obj]:-}" ] && { echo "destroyed, never created: $obj"; bad=1; }
			unset "live[$obj]"
		fi
	done <<<"$(cat -- "$@")"	# no <(...): the guest has no /dev/fd
	for obj in "${!live[@]}"; do
		echo "never destroyed: $obj"
		bad=1
	done
	if [ $n -eq 0 ]; then
		echo "no lifecycle lines (module loaded without dyndbg=+p?)"
		return 1
	fi
	echo "kmsg-lifecycle: $n lines, $([ $bad -eq 0 ] && echo "every object destroyed" || echo "unmatched")"
	return $bad
}

self_test() {
	local d ok=1
	d=$(mktemp -d)
	trap 'rm -rf "$d"' RETURN
	cat >"$d/a" <<-'EOF'
	[    5.100000] muisp: flow cache created
	[    5.100001] muisp: flow table 1 created: 512 buckets, max 65536 flows
	[    5.100002] muisp: netns 4026531840 created
	[    5.100003] muisp: created
	[    6.000000] muisp: netns 4026532290 created
	EOF
	cat >"$d/b" <<-'EOF'
	[    7.000000] muisp: netns 4026532290 destroyed
	[    7.100000] muisp: netns 4026532290 created
	[    8.000000] muisp: destroyed
	[    8.000001] muisp: netns 4026532290 destroyed
	[    8.000002] muisp: flow table 1 destroyed
	[    8.000003] muisp: netns 4026531840 destroyed
	[    8.000004] muisp: flow cache destroyed
	EOF
	grep -v 'table 1 destroyed' "$d/b" >"$d/leak"
	printf '[ 9.0] muisp: netns 5 destroyed\n' >"$d/stray"
	printf '[ 9.0] muisp: created\n' >"$d/twice"
	printf '[ 9.0] other: created\n' >"$d/none"
	expect() { # rc what files...
		local rc=$1 what=$2 got
		shift 2
		check "$@" >"$d/out"
		got=$?
		[ $got -eq "$rc" ] || { echo "self-test: $what: exit $got"; cat "$d/out"; ok=0; }
	}
	expect 0 "matched pairs" "$d/a" "$d/b"
	expect 1 "a flow table never destroyed" "$d/a" "$d/leak"
	grep -qx "never destroyed: flow table 1" "$d/out" || { echo "self-test: leak not named"; ok=0; }
	expect 1 "destroyed, never created" "$d/a" "$d/b" "$d/stray"
	expect 1 "created twice" "$d/a" "$d/twice" "$d/b"
	expect 1 "no lifecycle lines" "$d/none"
	[ $ok -eq 1 ] && echo "kmsg-lifecycle self-test: pass"
	[ $ok -eq 1 ]
}

if [ "${1:-}" = --self-test ]; then
	self_test
else
	[ $# -gt 0 ] || { echo "usage: kmsg-lifecycle.sh KMSG... | --self-test" >&2; exit 2; }
	check "$@"
fi
