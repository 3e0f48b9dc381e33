# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# nfacctd (pmacct 1.7.7) as the tests' IPFIX collector.  Sourced by the
# parts of tests/ipfix (never run itself), after tests/lib/check.sh, with
# $top set to the tree.
#
#   nf_start DIR NS PORT   write DIR/nf.conf (print plugin, JSON lines to
#                          DIR/out.json every second, muisp's enterprise
#                          fields from docs/examples/pmacct/primitives.lst)
#                          and start nfacctd in netns NS on 127.0.0.1:PORT;
#                          returns once it listens
#   nf_stop DIR NS         stop that nfacctd: SIGKILL to the pid in
#                          DIR/nf.pid and its plugin child (it renames
#                          itself, so never by name, and lingers for more
#                          than 8 s after SIGTERM, measured; out.json is
#                          written every second, so nothing read is lost);
#                          waits until both are gone
#   nf_records DIR         the records nfacctd printed so far (JSON lines)
#
# The aggregation keys include export_proto_seqno and muispFlowId, so each
# record of a message is one line (nothing is summed across records).

nf_start() {
	local dir=$1 ns=$2 port=$3
	mkdir -p "$dir"
	: >"$dir/out.json"
	cat >"$dir/nf.conf" <<EOF
daemonize: true
pidfile: $dir/nf.pid
logfile: $dir/nf.log
nfacctd_ip: 127.0.0.1
nfacctd_port: $port
plugins: print[p]
aggregate[p]: src_host, dst_host, src_port, dst_port, proto, tcpflags, timestamp_start, timestamp_end, export_proto_seqno, muisp_contract_id, muisp_client_ipv4, muisp_client_ipv6, muisp_flow_id, flow_end_reason, flow_direction
aggregate_primitives: $top/docs/examples/pmacct/primitives.lst
print_output[p]: json
print_output_file[p]: $dir/out.json
print_output_file_append[p]: true
print_refresh_time[p]: 1
timestamps_secs: false
EOF
	ip netns exec "$ns" nfacctd -f "$dir/nf.conf" >"$dir/nf.out" 2>&1 ||
		{ cat "$dir/nf.out" "$dir/nf.log" >&2; return 1; }
	wait_until -t 10 -m "nfacctd did not start (see $dir/nf.log)" \
		eval "[ -s '$dir/nf.pid' ] && ip netns exec '$ns' ss -Hlun 'sport = :$port' | grep -q ."
}

nf_stop() {
	local dir=$1 ns=$2 p q pids
	[ -s "$dir/nf.pid" ] || return 0
	p=$(cat "$dir/nf.pid")
	# the core process and its plugin (its children), in our own netns
	pids=$p
	for q in $(ip netns pids "$ns" 2>/dev/null); do
		[ "$(ps -o ppid= -p "$q" | tr -d ' ')" = "$p" ] && pids="$pids $q"
	done
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null || true
	_nf_gone() {
		for q in $pids; do kill -0 "$q" 2>/dev/null && return 1; done
		return 0
	}
	wait_until -t 5 -m "nfacctd $pids still running" _nf_gone
	rm -f "$dir/nf.pid"
}

nf_records() {
	cat "$1/out.json"
}
