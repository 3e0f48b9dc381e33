#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# `make demo`: the walk-in, on a real kernel in the VM (tests/vm/run.sh
# --demo).  A café LAN (alice, bob, mallory on one hub) behind a muisp
# router (muisp.ko, muisp-dhcpd, muispd, strongSwan's charon); an internet
# host behind its WAN.  Every command shown is run for real, and every step
# asserts what it says (tests/lib/check.sh): the demo is also a test, and
# exits non-zero if any step does not do what it says.
#
#   alice  plugs in (dhclient against muisp-dhcpd), registers her
#          self-signed certificate and brings up her AH tunnel (both by
#          muisp-client connect: no operator step), is offered prices, buys
#          with a voucher the operator issued (muispctl voucher issue),
#          gets her receipt, browses metered, is warned at the soft limit,
#          extends, is cut at the hard limit, and gets her statement;
#   mallory spoofs alice's address: dropped in the kernel, counted;
#   bob    connects as phones do (charon with EAP-MSCHAPv2, a voucher code
#          as credentials, no muisp-client): muispd makes, binds and starts
#          his contract when his SA comes up, and settles it when it goes
#          down;
#   the operator's muispctl views along the way.
#
# One function per step of the story, run in order at the end.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/ike/ike-lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/contract-lib.bash"
T=$SCRATCH
. "$MUISP_TOP/tests/vm/scenarios/dhcp-lib.bash"
P=$IKE_DIR/pki
EAP_POOL=$LAN4.224/27	# virtual IPs of EAP clients, outside the DHCP pool

# ---- how it speaks --------------------------------------------------------
STEP=0
say() { STEP=$((STEP + 1)); printf '\n\033[1m%d. %s\033[0m\n' $STEP "$*"; }
why() { printf '   %s\n' "$*"; }
# shown [-g RE] PROMPT FN ARGS...: run FN ARGS, shown as "PROMPT ARGS"
# with its output indented (only the lines matching RE with -g); the
# output is kept in OUT, the status returned.  Paths are shown relative to
# the demo's directory, its working directory.
shown() {
	local re=. p fn rc=0
	[ "$1" != -g ] || { re=$2; shift 2; }
	p=$1 fn=$2
	shift 2
	printf '   %s %s\n' "$p" "${*//$T\//./}"
	"$fn" "$@" >"$T/shown.out" 2>&1 || rc=$?
	OUT=$(<"$T/shown.out")
	grep -E -- "$re" "$T/shown.out" | sed "s|$T/|./|g; s/^/     | /" || true
	return $rc
}
# ---- the actors' commands ---------------------------------------------------
# The operator: muispctl in the router's namespace, muispd on its socket.
ctl() { on router muispctl --daemon $S/muispd.sock "$@"; }
# alice: muisp-client against the router (TLS control channel, and her
# own charon for the tunnel); her state in $S/alice.
alice_client() {
	on alice env STRONGSWAN_CONF="$IKE_DIR/alice/strongswan.conf" \
		muisp-client -s $ROUTER_LAN4 --ca $S/ca.crt --name $ROUTER_ID \
		-S $S/alice --uri "$(ike_vici alice)" --cacert "$P/ca.pem" \
		--wait 120 "$@"
}
# fetch BYTES: alice downloads a page of BYTES from the internet host
# (TCP), giving up after 2 s without data; FETCHED is what arrived.
fetch() {
	FETCHED=$(on alice timeout 20 socat -T 2 -u \
		TCP:$INET4:8080,connect-timeout=3 - 2>/dev/null | wc -c) || true
	printf '   alice$ fetch http://%s:8080/ (a %s-byte page) -> %s bytes arrived\n' \
		$INET4 "$1" "$FETCHED"
}
# alice's address entry in the module: state, contract, tunnel
ent() {
	on router muispctl --json addr show $A 2>/dev/null |
		jq -r '"\(.state) \(.contract // 0) \(.xfrm_proto // "-")"'
}
ent_is() { [ "$(ent)" = "$1" ]; }
kget() { on router muispctl --json contract show $serial kernel | jq -r ".$1"; }
drops() { on router muispctl --json stats | jq -r .drop_tunnel; }
drops_ge() { [ "$(drops)" -ge "$1" ]; }
router_swanctl() { ike_swanctl router "$@"; }
bob_swanctl() { ike_swanctl bob "$@"; }
# col NAME: column NAME of the first row of the table in OUT
col() {
	awk -v k="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == k) c = i }
		NR == 2 && c { print $c }' <<<"$OUT"
}
replay() { on mallory tcpreplay "$@"; }
pinged() { on "$1" ping -c 1 -W 1 -q $INET4 >/dev/null 2>&1; }

# ---- the set-up (not part of the story) -----------------------------------
ike_scenario --bare
log "setting up: PKI, charons, muisp-dhcpd, muispd"
on router muispctl config set lan lan0 idle-timeout 30s
on alice ip -4 addr flush dev eth0	# no address until DHCP
on bob ip -4 addr flush dev eth0
ike_setup router --eap	# the router's charon also speaks EAP-MSCHAPv2
ike_setup bob --eap	# as a phone's IKEv2 client does
ike_pki "$P"
IKE_ROUTER_OPTS="--eap-pool $EAP_POOL --eap-dns $ROUTER_LAN4" ike_router_conf
cp "$P/ca.pem" "$IKE_DIR/bob/swanctl/x509ca/"	# bob installed the CA
: >"$IKE_DIR/alice/swanctl/swanctl.conf"	# alice's: muisp-client's
: >"$IKE_DIR/bob/swanctl/swanctl.conf"	# bob's: set up in his step
ike_charon router router
ike_charon alice alice
ike_charon bob bob
cat >"$T/dhcpd.conf" <<CONF
lease-db $T/leases.db
kernel-sync yes
interface lan0 {
	subnet 192.0.2.0/24
	server-id $ROUTER_LAN4
	pool 192.0.2.100 192.0.2.103
	router $ROUTER_LAN4
	lease-time 600
}
CONF
start_dhcpd
muispd_conf <<CONF
$FLOW_CONF
price bytes voucher esp 12 10000
price elapsed voucher ah 200 3600
vici $(ike_vici router)
eap yes
eap-offer bytes
CONF
start_muispd
wait_until -t 20 grep -q 'kernel hand-off: connected' "$T/dhcpd.log"
wait_until -t 30 grep -q 'vici: connected to charon' $S/muispd.log
on inet socat TCP-LISTEN:8080,reuseaddr,fork SYSTEM:"head -c 100000 /dev/zero" &
ike_inet_counters
wait_until -t 10 on inet sh -c 'ss -lnt | grep -q ":8080 "'
log "set up"

# ---- the story --------------------------------------------------------------
printf '\nThe café: alice, bob and mallory on one LAN behind the router (muisp.ko on\n'
printf 'lan0, muisp-dhcpd, muispd, charon with a certificate from the operator'"'"'s CA).\n'
printf 'Commands are shown without the options naming this VM'"'"'s sockets and files;\n'
printf 'each "ok" line is a check: the demo stops at the first that fails.\n'
alice_plugs_in() {
	say "Alice plugs in: muisp-dhcpd leases her an address; the kernel knows it, but forwards nothing for it"
	dhclient_in alice || fail "dhclient: $(cat "$T/alice.out")"
	A=$(addr_of alice)
	why "alice\$ dhclient eth0 -> $A, default router $(on alice ip -4 route show default | awk '{print $3}')"
	expect "alice's address from muisp-dhcpd" 192.0.2.100 "$A"
	shown "router# muispctl" ctl addr list
	expect "the kernel's entry for her: allocated, no contract, no tunnel" \
		"allocated 0 -" "$(ent)"
	check "unpaid: her packets do not reach the internet" eval '! pinged alice'
}

alice_connects() {
	say "Alice connects: muisp-client makes her an anonymous certificate, registers it over TLS (muispd checks it, loads it into charon: no operator step) and brings up her AH tunnel"
	shown 'alice$ muisp-client' alice_client connect ||
		fail "connect: $OUT"
	local subj
	subj=$(sed -n 's/^certificate=.* subject=\/\([^ ]*\) .*/\1/p' <<<"$OUT")
	check "registered by herself" grep -q "^registered $subj: charon trusts it" <<<"$OUT"
	check "connected with AH" grep -q "^connected .* proto=AH " <<<"$OUT"
	shown -g "subject: *\"$subj\"" "router# swanctl" router_swanctl --list-certs
	check "the router's charon holds her certificate" grep -q "$subj" <<<"$OUT"
	wait_until -t 30 ent_is "allocated 0 ah"
	ok "muispd, following charon, recorded her SA: only packets out of it count as hers"
	shown "router# muispctl" ctl addr list
}

alice_buys() {
	say "Alice asks the router for its prices (over TLS, inside the tunnel)"
	shown 'alice$ muisp-client' alice_client offer || fail "offer: $OUT"
	check "the offer has bytes by voucher over AH at 1000 per 10^6" \
		grep -q "bytes *voucher *ah *1000 per 1000000" <<<"$OUT"

	say "The operator sells her a voucher at the desk (5.00)"
	shown "router# muispctl" ctl voucher issue 500 || fail "voucher: $OUT"
	code=$(awk 'NR == 2 { print $1 }' <<<"$OUT")
	expect "a voucher worth 500" "valid 500" \
		"$(awk 'NR == 2 { print $2, $3 }' <<<"$OUT")"

	say "Alice buys 200 kB (warned at 150 kB) with the voucher: deposit taken, receipt stored, her address bound"
	shown 'alice$ muisp-client' alice_client -m voucher -P "$code" --start \
		buy bytes 150000 200000 || fail "buy: $OUT"
	serial=$(field serial "$(head -n1 <<<"$OUT")")
	expect "deposit: 200000 bytes at 1000 per 10^6" 200 \
		"$(field deposit "$(head -n1 <<<"$OUT")")"
	expect "active" active "$(field state "$(tail -n1 <<<"$OUT")")"
	check "her receipt is on her disk" \
		test -s "$(ls $S/alice/receipts/* | head -n1)"
	expect "bound through her SA" "bound $serial ah" "$(ent)"
	expect "the voucher paid the deposit" 300 \
		"$(field balance "$(op voucher-show "$code")")"
	alice_client watch 300 >$S/watch.out 2>&1 &
	wait_until -t 20 grep -q watching $S/watch.out
	why "(alice keeps 'muisp-client watch' open: the router's warnings reach her)"
	shown "router# muispctl" ctl contract list
}

alice_browses() {
	say "Alice browses: every packet of her flow is metered, per direction, in the kernel"
	fetch 100000
	expect "the page arrived" 100000 "$FETCHED"
	local used
	used=$(kget used)
	check "metered: the page and its headers ($used bytes), under the soft limit" \
		eval '[ "$used" -gt 100000 ] && [ "$used" -lt 150000 ]'
	expect "up + down = used" "$used" "$(($(kget up_bytes) + $(kget down_bytes)))"
	shown "router# muispctl" ctl flow list
}

mallory_spoofs() {
	say "Mallory spoofs alice's address and MAC (1,000 UDP packets): not out of alice's SA, so the kernel drops them"
	local d0 u0
	d0=$(drops) u0=$(kget used)
	ike_spoof_pcap "$T/spoof.pcap" 1000 $A $INET4
	shown -g '^Actual' 'mallory$ tcpreplay' replay -q -i eth0 "$T/spoof.pcap" ||
		fail "tcpreplay: $OUT"
	wait_until -t 30 drops_ge $((d0 + 1000))
	expect "1,000 TUNNEL drops, none at the internet host, alice not charged" \
		"1000 0 $u0" "$(($(drops) - d0)) $(ike_seen spoof) $(kget used)"
	shown -g '^(up|down)-bytes|^drop (not-bound|tunnel)' \
		"router# muispctl" ctl stats show
}

# cut_off soft|hard: alice's next page crosses that limit: it is cut
# short, her watch shows the router's warning, nothing passes any more.
cut_off() {
	fetch 100000
	check "the page was cut short" eval '[ "$FETCHED" -lt 100000 ]'
	if ! CHECK_FATAL=0 wait_until -t 30 grep -q "warning: $1-limit serial=$serial" $S/watch.out; then
		# whose side lost the channel: both ends' sockets, the client's
		echo "--- router's and alice's control channels" >&2
		on router ss -tnoi '( sport = :4433 )' >&2
		on alice ss -tnoi '( dport = :4433 )' >&2
		pgrep -af "muisp-client.*watch" >&2
		fail "no $1-limit warning on alice's watch"
	fi
	why "alice's watch: $(grep "warning: $1-limit" $S/watch.out | head -n1)"
	check "nothing passes after the $1 limit" eval '! pinged alice'
}

alice_soft_limit() {
	say "Alice reads on: at 150 kB the kernel stops her (soft limit) and muispd warns her"
	cut_off soft
	expect "delinquent" delinquent "$(field state "$(alice_client status)")"

	say "Alice extends to the hard limit she paid for: forwarding resumes"
	shown 'alice$ muisp-client' alice_client extend 200000 ||
		fail "extend: $OUT"
	expect "active again" active "$(field state "$OUT")"
}

alice_hard_limit() {
	say "Alice downloads again: the kernel refuses the packet that would cross 200 kB and ends the contract"
	cut_off hard
	wait_until -t 20 ent_is "unallocated 0 ah"
	ok "her address is released (a new purchase binds it again)"

	say "Alice asks for her statement: at the hard limit the deposit is kept, no refund; the voucher was debited by it"
	shown 'alice$ muisp-client' alice_client statement || fail "statement: $OUT"
	local mine=$OUT
	expect "her statement: charge 200, refund 0" "$serial 200 200 0" \
		"$(fields "$mine" serial deposit charge refund)"
	shown -g '^(ID|STATE|USAGE|HARD|DEPOSIT|CHARGE|REFUND):' \
		"router# muispctl" ctl contract show $serial
	out=$(op contract-show $serial)
	expect "the operator's record says the same: extinguished, charge 200, refund 0, usage" \
		"extinguished 200 0 $(field usage "$mine")" \
		"$(fields "$out" state charge refund usage)"
	check "usage ($(field usage "$out")) within the hard limit" \
		eval '[ "$(field usage "$out")" -le 200000 ]'
	shown "router# muispctl" ctl voucher show "$code"
	check "300 left on the voucher" grep -q "\b300\b" <<<"$OUT"
}

bob_connects() {
	say "Bob plugs in too; his phone has no muisp-client, only its built-in IKEv2 VPN"
	dhclient_in bob || fail "dhclient: $(cat "$T/bob.out")"
	why "bob\$ dhclient eth0 -> $(addr_of bob)"
	shown "router# muispctl" ctl voucher issue 300 || fail "voucher: $OUT"
	local code user pass vip serial2 out
	code=$(col CODE) user=$(col EAP-USER) pass=$(col EAP-PASSWORD)
	expect "the EAP username and password are the code's halves" "$code" "$user-$pass"
	why "bob's phone: IKEv2, server $ROUTER_LAN4, remote ID $ROUTER_ID, the operator's CA,"
	why "  EAP-MSCHAPv2, username $user, password $pass"
	ike_native_conf bob "$user" "$pass"
	ike_swanctl bob --load-all --clear >"$T/bob-load.out" 2>&1 ||
		fail "bob's settings: $(cat "$T/bob-load.out")"

	say "Bob connects: when his SA comes up, muispd buys, binds and starts a contract on his voucher by itself"
	shown -g 'installing new virtual IP|IKE_SA native.* established|initiate completed' \
		'bob$ swanctl' bob_swanctl --initiate --child native ||
		fail "bob's IKE: $(tail -5 <<<"$OUT")"
	vip=$(sed -n 's/.*installing new virtual IP \([0-9.]*\).*/\1/p' <<<"$OUT")
	case $vip in
	$LAN4.22[4-9] | $LAN4.2[3-5][0-9]) ok "his virtual IP $vip, from the EAP pool" ;;
	*) fail "virtual IP '$vip' not from $EAP_POOL" ;;
	esac
	wait_until -t 30 grep -q "eap: $vip ($user): contract [0-9]* bound and started" $S/muispd.log
	serial2=$(sed -n "s/.*eap: $vip ($user): contract \([0-9]*\) bound.*/\1/p" $S/muispd.log)
	why "muispd: $(grep -o "eap: $vip ($user): contract .*" $S/muispd.log | head -n1)"
	out=$(op contract-show $serial2)
	expect "active on his virtual IP, the voucher's 300 as deposit" \
		"active $vip voucher 300" \
		"$(field state "$out") $(field addr "$out") $(field method "$out") $(field deposit "$out")"
	expect "the module: his virtual IP bound through his ESP SA" \
		"bound $serial2 esp" "$(on router muispctl --json addr show $vip |
			jq -r '"\(.state) \(.contract) \(.xfrm_proto)"')"
	on bob ping -c 3 -i 0.2 -W 5 -q -I $vip $INET4 >/dev/null ||
		fail "bob's pings through his tunnel"
	why "bob\$ ping -c 3 $INET4 (through his ESP tunnel)"
	expect "metered: 3 echoes each way, 504 bytes" "3 3 504" \
		"$(on router muispctl --json contract show $serial2 kernel |
			jq -r '"\(.up_packets) \(.down_packets) \(.used)"')"
	shown "router# muispctl" ctl contract list

	say "Bob hangs up: his SA goes down, muispd settles the contract and the unused deposit goes back to his voucher"
	shown -g 'IKE_SA native.* (deleted|terminated)|terminate completed' \
		'bob$ swanctl' bob_swanctl --terminate --ike native ||
		fail "bob's terminate: $(tail -5 <<<"$OUT")"
	wait_until -t 30 grep -q "contract $serial2: settled (terminated)" $S/muispd.log
	why "muispd: $(grep -o "contract $serial2: settled (terminated).*" $S/muispd.log)"
	out=$(op contract-show $serial2)
	local charge refund
	charge=$(field charge "$out") refund=$(field refund "$out")
	expect "extinguished; charge + refund = the deposit" "extinguished 300" \
		"$(field state "$out") $((charge + refund))"
	shown "router# muispctl" ctl voucher show "$code"
	expect "the refund is back on his voucher" "$refund" \
		"$(field balance "$(op voucher-show "$code")")"
}

alice_plugs_in
alice_connects
alice_buys
alice_browses
mallory_spoofs
alice_soft_limit
alice_hard_limit
bob_connects

say "The operator's view at the end"
shown "router# muispctl" ctl contract list
printf '\nDone: every step did what it said.\n'
