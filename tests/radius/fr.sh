# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2154 # bin, port: set by the part
# Two FreeRADIUS 3.2 servers for the RADIUS tests, sourced after
# tests/lib/check.sh:
#   visited  127.0.0.1:1812/1813 in the test's netns: the server muispd
#            talks to (client 127.0.0.0/8, secret "nas-secret"); proxies
#            realm partner.example to home
#   home     127.0.0.2:1812/1813: the partner ISP (users in
#            tests/radius/freeradius/home/users)
# Each logs one line per accounting request to log/acct.log (linelog,
# '|' separated: 1 Status-Type, 2 Acct-Session-Id, 3 Multi-Session-Id,
# 5 Event-Timestamp as an integer, ... see freeradius/*/mods/basic) and
# one per authentication to log/auth.log.
#
#   fr_setup DIR         instantiate the configurations under DIR
#   fr_start DIR NAME NS start server NAME (visited|home) in netns NS
#                        ("" : this one) and wait until it is ready
#   fr_stop DIR NAME     stop it (SIGTERM, waits)
#   fr_dedup FILE        acct.log lines as the server deduplicates them
#                        (Status-Type|Session-Id|Event-Timestamp), each
#                        with its count, in first-seen order
# MUISP_RADIUS_DEBUG=1 runs the servers with -X (log/stdout.log).
# muispd's side, with NS (the netns), T (the test's directory, muispd.conf
# in it, the operator socket $T/muispd.sock) and bin set by the part:
#   fr_muispd_start      start muispd in NS, logging to $T/muispd.log,
#                        and wait for its socket; $pid is muispd's own
#   fr_op ARGS...        an operator request (muisp-client op)
#   fr_cl DIR SRC ARGS...  muisp-client from address SRC over ESP to
#                        127.0.0.1:$port, its state in $T/DIR
#   fr_field KEY TEXT    the value of KEY=... in TEXT
#   fr_need PROG...      fail unless root, with freeradius and radclient
#                        installed and each PROG built in $bin
#   fr_part NAME [SERVER...]  a part's start: NS=muisp-rad-NAME-PID (lo
#                        up), T a new directory, the servers SERVER...
#                        (default: home visited) in NS ($T/fr); at exit
#                        muispd $pid is killed (its $T/muispd.log shown if
#                        the part failed), the part's fr_at_exit RC called
#                        if it has one (more to show or to stop), the
#                        servers stopped, NS and T removed
#   nsx CMD...           CMD in NS
#   fr_kill PID          kill PID (if set) and wait for it
#   fr_muispd_check      fail unless muispd -n accepts $T/muispd.conf
#   fr_secret NAME TEXT  $T/NAME holds the secret TEXT, mode 600
#   fr_conf              the head of muispd.conf every part shares:
#                        listen 127.0.0.1:$port, socket and database in
#                        $T, kernel no, checkpoint-interval 1 and TLS with
#                        $T/router.{crt,key} (testca_router "$T" makes
#                        them; tests/lib/testca.sh, sourced here)
#   FR_PLAIN=1           no TLS: fr_conf says tls no and allow-plain yes,
#                        fr_cl --plain

_fr_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$_fr_top/tests/lib/testca.sh"

fr_setup() {
	local d=$1
	mkdir -p "$d"
	cp -r "$_fr_top/tests/radius/freeradius/visited" \
		"$_fr_top/tests/radius/freeradius/home" "$d/"
	sed -i "s#@DIR@#$d#g" "$d/visited/radiusd.conf" "$d/home/radiusd.conf"
	mkdir -p "$d"/{visited,home}/{log,run,acct}
	# freeradius refuses world-writable configuration directories
	chmod -R go-w "$d"
}

fr_start() {
	local d=$1 name=$2 ns=$3 x=()
	[ "${MUISP_RADIUS_DEBUG:-0}" = 1 ] && x=(-X)
	: >"$d/$name/log/stdout.log"
	if [ -n "$ns" ]; then
		ip netns exec "$ns" freeradius -f "${x[@]}" -d "$d/$name" \
			-l "$d/$name/log/stdout.log" >>"$d/$name/log/stdout.log" 2>&1 &
	else
		freeradius -f "${x[@]}" -d "$d/$name" \
			-l "$d/$name/log/stdout.log" >>"$d/$name/log/stdout.log" 2>&1 &
	fi
	eval "_fr_pid_$name=$!"
	wait_until -t 20 -m "freeradius $name ready" \
		grep -q 'Ready to process' "$d/$name/log/stdout.log"
}

fr_stop() {
	local d=$1 name=$2 pid
	eval "pid=\${_fr_pid_$name:-}"
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	eval "_fr_pid_$name="
}

fr_dedup() {
	cut -d'|' -f1,2,5 "$1" | awk '{ if (!($0 in n)) o[k++] = $0; n[$0]++ }
		END { for (i = 0; i < k; i++) print n[o[i]] " " o[i] }'
}

fr_secret() {
	printf '%s\n' "$2" >"$T/$1"
	chmod 600 "$T/$1"
}

fr_conf() {
	cat <<-EOF
	listen 127.0.0.1
	port $port
	socket $T/muispd.sock
	database $T/muispd.db
	EOF
	if [ "${FR_PLAIN:-0}" = 1 ]; then
		printf 'tls no\nallow-plain yes\n'
	else
		printf 'cert %s\nkey %s\n' "$T/router.crt" "$T/router.key"
	fi
	printf 'kernel no\ncheckpoint-interval 1\n'
}

fr_muispd_start() {
	rm -f "$T/muispd.sock"
	# not through a function: $! is then muispd's own pid (ip execs it)
	ip netns exec "$NS" "$bin/muispd" -d -v -f "$T/muispd.conf" \
		>>"$T/muispd.log" 2>&1 &
	pid=$!
	wait_until -t 10 -m "muispd's socket (or its exit)" \
		eval '[ -S "$T/muispd.sock" ] || ! kill -0 "$pid"'
	[ -S "$T/muispd.sock" ] || fail "muispd exited at start"
}

fr_op() { "$bin/muisp-client" -O "$T/muispd.sock" op "$@"; }

fr_cl() {
	local sd=$1 src=$2
	shift 2
	local tls=(--ca "$T/ca.crt" --name router.muisp.test)
	[ "${FR_PLAIN:-0}" = 1 ] && tls=(--plain)
	ip netns exec "$NS" "$bin/muisp-client" -s 127.0.0.1 -p "$port" \
		-b "$src" "${tls[@]}" -S "$T/$sd" --esp "$@"
}

fr_field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2" | head -n1; }

fr_need() {
	local p
	[ "$(id -u)" = 0 ] || fail "needs root (a network namespace)"
	for p in "$@"; do
		[ -x "$bin/$p" ] || fail "build $p first"
	done
	command -v freeradius >/dev/null || fail "freeradius not installed"
	command -v radclient >/dev/null ||
		fail "radclient (freeradius-utils) not installed"
}

nsx() { ip netns exec "$NS" "$@"; }

fr_kill() {
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

fr_muispd_check() {
	"$bin/muispd" -n -f "$T/muispd.conf" 2>"$T/check.err" ||
		fail "config check: $(cat "$T/check.err")"
}

fr_part() {
	local s servers=("${@:2}")
	[ $# -gt 1 ] || servers=(home visited)
	NS=muisp-rad-$1-$$
	T=$(mktemp -d "/tmp/muisp-$1.XXXXXX")
	pid=
	trap _fr_part_end EXIT
	ip netns add "$NS"
	ip -n "$NS" link set lo up
	fr_setup "$T/fr"
	for s in "${servers[@]}"; do
		fr_start "$T/fr" "$s" "$NS"
	done
}

_fr_part_end() {
	local rc=$?
	if [ $rc -ne 0 ] && [ -e "$T/muispd.log" ]; then
		echo "--- muispd log" >&2
		tail -n 40 "$T/muispd.log" >&2
	fi
	fr_kill "$pid"
	if declare -F fr_at_exit >/dev/null; then
		fr_at_exit $rc || true
	fi
	fr_stop "$T/fr" visited
	fr_stop "$T/fr" home
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$T"
}
