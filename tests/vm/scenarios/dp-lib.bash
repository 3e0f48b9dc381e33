# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Helpers for the datapath scenarios (dp-*.sh); sourced after lib.sh.
# Not a scenario itself (the harness runs *.sh only).

# ctl ARGS...: muispctl in the router namespace; jctl: the same with --json.
ctl() { on router muispctl "$@"; }
jctl() { on router muispctl --json "$@"; }

# stat KEY: one field of `muispctl stats show` (e.g. drop_not_bound).
stat() { jctl stats show | jq -r ".$1"; }

# cfield ID KEY: one field of a contract.
cfield() { jctl contract show "$1" | jq -r ".$2"; }

# Every stat as "key=value" lines, for deltas.
stats_snapshot() { jctl stats show | jq -r 'to_entries[] | "\(.key)=\(.value)"'; }

# delta BEFORE_FILE KEY: value now minus the value in a snapshot file.
delta() {
	local before now
	before=$(sed -n "s/^$2=//p" "$1")
	now=$(stat "$2")
	echo $((now - before))
}

# gate_up: enable the gate on the router's LAN interface.
# The datapath scenarios have no IPsec: the LAN is trusted (require-tunnel
# off, bindings by address alone); tunnel scenarios (ike-*) keep it on.
gate_up() {
	ctl config set lan lan0 require-tunnel off
	expect "gate on lan0" "$(on router cat /sys/class/net/lan0/ifindex)" \
		"$(jctl config show | jq -r .lan_ifindex)"
}

# A UDP echo service and a TCP sink/echo on inet.
inet_services() {
	on inet socat UDP-RECVFROM:9000,fork PIPE >/dev/null 2>&1 &
	on inet socat TCP-LISTEN:8080,reuseaddr,fork PIPE >/dev/null 2>&1 &
	# ipv6only: beside the IPv4 socket on the same port
	on inet socat UDP6-RECVFROM:9000,ipv6only=1,fork PIPE >/dev/null 2>&1 &
	wait_until -t 20 on inet sh -c 'ss -lnu | grep -q "0.0.0.0:9000 " &&
		ss -lnu | grep -q "\[::\]:9000 " && ss -lnt | grep -q ":8080 "'
}

# bind_alice ID [METRIC] [extra contract args...]: active contract, bound.
bind_addr() {
	local addr=$1 id=$2
	ctl addr set "$addr" state bound contract "$id"
}

# monitor_start FILE WHAT: muispctl monitor in the background, JSON lines
# to FILE (stderr to FILE.err); returns once its socket has joined the
# multicast group.  It runs until the namespaces go.
monitor_start() {
	on router muispctl --json monitor "$2" >"$1" 2>"$1.err" &
	wait_until -t 10 on router awk '$2 == 16 && $4 != "00000000" { f = 1 }
		END { exit !f }' /proc/net/netlink
}

# cfields ID KEY...: several contract fields on one line (one muispctl run).
cfields() {
	local id=$1 q=""
	shift
	for k in "$@"; do q="$q\(.$k) "; done
	jctl contract show "$id" | jq -r "\"${q% }\""
}

# ping_rx NS ARGS...: number of echo replies ping received.
ping_rx() {
	local ns=$1
	shift
	on "$ns" ping "$@" 2>/dev/null | sed -n 's/.* \([0-9]\+\) received.*/\1/p'
}

# events FILE TYPE FIELDS: "f1 f2 ..." of each event of TYPE in FILE.
events() {
	local q="" k
	for k in $3; do q="$q\\(.$k) "; done
	jq -r "select(.event.type == \"$2\") | .event | \"${q% }\"" "$1"
}

# Kprobes counting the calls of the module's three hook functions, in every
# namespace together (muisp_pre_routing, muisp_forward, muisp_local_in):
# the netfilter dispatches to the module.  hook_probes_on arms them (this
# patches the module's text: do it while no flood runs), hook_hits prints
# the totals "PRE FORWARD LOCAL_IN", hook_probes_off removes them.  Only
# the hit counts are kept: nothing goes to the trace buffer.
TRACEFS=/sys/kernel/tracing
HOOK_PROBES="pre_routing forward local_in"
hook_probes_on() {
	local f
	[ -e $TRACEFS/kprobe_events ] || mount -t tracefs nodev $TRACEFS
	echo 0 >$TRACEFS/tracing_on
	for f in $HOOK_PROBES; do
		echo "p:muisp_hooks/hk_$f muisp:muisp_$f" >>$TRACEFS/kprobe_events
	done
	echo 1 >$TRACEFS/events/muisp_hooks/enable
}
hook_hits() {
	awk '{ sub(/.*\//, "", $1) } $1 ~ /^hk_/ { h[$1] = $2 }
	     END { print h["hk_pre_routing"] + 0, h["hk_forward"] + 0,
		   h["hk_local_in"] + 0 }' $TRACEFS/kprobe_profile
}
hook_probes_off() {
	local f
	[ -e $TRACEFS/events/muisp_hooks/enable ] || return 0
	echo 0 >$TRACEFS/events/muisp_hooks/enable
	for f in $HOOK_PROBES; do
		echo "-:muisp_hooks/hk_$f" >>$TRACEFS/kprobe_events
	done
	echo 1 >$TRACEFS/tracing_on
}

# hook_delta CMD...: run CMD (its output and status dropped), print the
# hook calls it caused, as hook_hits.
hook_delta() {
	local b a
	read -ra b <<<"$(hook_hits)"
	"$@" >/dev/null 2>&1 || true
	read -ra a <<<"$(hook_hits)"
	echo "$((a[0] - b[0])) $((a[1] - b[1])) $((a[2] - b[2]))"
}
