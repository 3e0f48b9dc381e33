# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers for the ike-* VM scenarios: a PKI made at test time with
# muispctl ca (no key is ever committed), and one charon per network
# namespace, each with its own strongswan.conf (STRONGSWAN_CONF), swanctl
# directory (SWANCTL_DIR), VICI socket and a private /run (charon's pid
# file is fixed at /var/run/charon.pid).
#
#   ike_scenario [--bare] [--watch] [--router OPTS] [CLIENT_OPTS...]
#                                     the set-up every ike-* scenario shares
#   ike_initiate [NAME]               alice brings her CHILD_SA up
#   ike_alice_conf [CLIENT_OPTS...]   alice's connection made again, loaded
#   ike_wait_up                       the watcher saw it: IKE_UP, IKE_REQID,
#                                     IKE_SPI
#   ike_router_conf                   the router's swanctl dir from the PKI
#   ike_native_conf NAME USER PASS    a phone's IKEv2 client: EAP-MSCHAPv2
#   ike_spoof_pcap FILE N SRC DST...  spoofed UDP from alice's MAC, to replay
#   ike_inet_counters, ike_seen NAME  what reaches the internet host
#   ike_modules
#   ike_pki DIR                       DIR/ca.{pem,key} router.{pem,key}
#   ike_charon NS NAME                start charon NAME in NS
#   ike_swanctl NAME ARGS...          swanctl against charon NAME
#   ike_vici NAME                     the URI of charon NAME's socket
#
# Charon state lives in $IKE_DIR/NAME/ (default $SCRATCH/ike).

IKE_DIR=${IKE_DIR:-$SCRATCH/ike}
IKE_WATCH=${IKE_WATCH:-$SCRATCH/watch.out}
ROUTER_ID=router.muisp.test

# ike_scenario [--bare] [--watch] [--router OPTS] [CLIENT_OPTS...]: the
# topology (topo_up), every log shown if the scenario fails (ike_trap), the
# IPsec modules and the two charons' directories; then, unless --bare, the
# PKI and both charons configured and running (ike_router_alice: OPTS go to
# `muisp-ike conf router`, CLIENT_OPTS to `muisp-ike conf client`), and with
# --watch ikewatch-print following the router's charon into $IKE_WATCH.
ike_scenario() {
	local bare=0 watch=0
	while [ $# -gt 0 ]; do
		case $1 in
		--bare) bare=1; shift ;;
		--watch) watch=1; shift ;;
		--router) IKE_ROUTER_OPTS=$2; shift 2 ;;
		*) break ;;
		esac
	done
	topo_up
	ike_trap
	ike_modules
	if [ $bare -eq 1 ]; then
		ike_setup router
		ike_setup alice
		return 0
	fi
	ike_router_alice "$@"
	[ $watch -eq 0 ] || ike_watch_start "$IKE_WATCH"
}

# ike_initiate [NAME]: alice initiates her CHILD_SA "muisp" and waits for
# it (swanctl's output in $SCRATCH/NAME.log, default init.log).
ike_initiate() {
	local f=$SCRATCH/${1:-init}.log
	ike_swanctl alice --initiate --child muisp --timeout 120 >"$f" 2>&1 ||
		fail "initiate: $(tail -5 "$f")"
}

# ike_wait_up: wait until the watcher reports alice's SA up; IKE_UP is its
# line, IKE_REQID its reqid and IKE_SPI its inbound SPI.
ike_wait_up() {
	wait_until -t 60 grep -q "^up addr $ALICE4 " "$IKE_WATCH"
	IKE_UP=$(grep "^up addr $ALICE4 " "$IKE_WATCH")
	IKE_REQID=$(ike_field "$IKE_UP" reqid)
	IKE_SPI=$(ike_field "$IKE_UP" spi_in)
}

ike_modules() {
	# one modprobe for all (process spawns are slow under TCG); some may
	# be built in or absent on other kernel lines: the scenario's own
	# checks tell whether what is needed works
	modprobe -qa ah4 esp4 ah6 esp6 xfrm_user xfrm_algo authenc hmac \
		sha256_generic gcm ghash_generic aes_generic ctr seqiv \
		echainiv 2>/dev/null || true
}

ike_pki() {
	local d=$1
	mkdir -p "$d"
	muispctl ca init "$d" "muisp test CA" --days 2 >/dev/null
	muispctl ca issue $ROUTER_ID --ca "$d" --out-cert "$d/router.pem" \
		--out-key "$d/router.key" --days 2 \
		--notice "muisp test LAN, VM scenario" >/dev/null
}

# ike_selfsign NAME CERT KEY in the background (2 vCPUs: overlap the
# RSA key generations); ike_pki_wait waits for all of them.
IKE_BG=()
ike_selfsign() {
	muispctl ca selfsign "$1" --out-cert "$2" --out-key "$3" --days 2 \
		>/dev/null &
	IKE_BG+=($!)
}
ike_pki_wait() {
	local p
	for p in "${IKE_BG[@]}"; do
		wait "$p" || fail "key generation failed"
	done
	IKE_BG=()
}

ike_vici() { echo "unix://$IKE_DIR/$1/charon.vici"; }

# ike_setup NAME [OPTS...]: directory skeleton and strongswan.conf for
# charon NAME; OPTS go to `muisp-ike conf strongswan` (--eap: the EAP
# plug-ins).  Run again, it writes strongswan.conf anew.
ike_setup() {
	local d=$IKE_DIR/$1
	shift
	mkdir -p "$d/run" "$d/swanctl/x509" "$d/swanctl/x509ca" \
		"$d/swanctl/private"
	muisp-ike conf strongswan --socket "$d/charon.vici" \
		--log "$d/charon.log" "$@" >"$d/strongswan.conf"
}

# ike_native_conf NAME USER PASSWORD: charon NAME's swanctl.conf as a
# phone's or laptop's built-in IKEv2 client is set up: the router's
# address, its certificate's name as remote ID (the CA installed in
# x509ca), EAP-MSCHAPv2 with USER and PASSWORD, no client certificate, a
# virtual IP requested, ESP with macOS/iOS' default proposals; the
# connection and its CHILD_SA are both "native".
ike_native_conf() {
	cat >"$IKE_DIR/$1/swanctl/swanctl.conf" <<-EOF
	connections {
		native {
			version = 2
			remote_addrs = $ROUTER_LAN4
			vips = 0.0.0.0
			proposals = aes256-sha256-modp2048
			local {
				auth = eap-mschapv2
				eap_id = $2
			}
			remote {
				auth = pubkey
				id = $ROUTER_ID
			}
			children {
				native {
					remote_ts = 0.0.0.0/0
					esp_proposals = aes256gcm16
					start_action = none
				}
			}
		}
	}
	secrets {
		eap-$1 {
			id = $2
			secret = $3
		}
	}
	EOF
}

ike_swanctl() {
	local n=$1
	shift
	STRONGSWAN_CONF=$IKE_DIR/$n/strongswan.conf \
		SWANCTL_DIR=$IKE_DIR/$n/swanctl \
		swanctl "$@" --uri "$(ike_vici "$n")"
}

ike_charon() {
	local ns=$1 n=$2 d=$IKE_DIR/$2
	on "$ns" unshare -m --propagation private sh -c \
		"mount --bind '$d/run' /run && STRONGSWAN_CONF='$d/strongswan.conf' exec /usr/lib/ipsec/charon" \
		>"$d/stdout" 2>&1 &
	echo $! >"$d/pid"
	# the socket exists before the daemon answers: wait for an answer
	wait_until -t 60 ike_swanctl "$n" --stats
	ike_swanctl "$n" --load-all >"$d/load.log" 2>&1 ||
		fail "swanctl --load-all for $n: $(cat "$d/load.log")"
}

# ike_router_alice [--self-service] [CLIENT_CONF_OPTIONS...]: PKI, the
# router's charon (its certificate from the test CA) and alice's (a
# self-signed certificate, registered with the router's charon over VICI
# by the operator: muisp-ike load-cert), both configured by muisp-ike
# conf.  Extra options go to `muisp-ike conf client`, those in
# IKE_ROUTER_OPTS (ike_scenario --router) to `muisp-ike conf router`.
# --self-service: alice's charon starts empty and nothing is registered:
# muisp-client connect makes her certificate, registers it with muispd
# and loads her connection (ike_client_connect).
ike_router_alice() {
	local p=$IKE_DIR/pki a=$IKE_DIR/alice/swanctl
	local self=0
	[ "${1:-}" != --self-service ] || { self=1; shift; }
	ike_setup router
	ike_setup alice
	log "pki"
	[ $self -eq 1 ] ||
		ike_selfsign alice.anon "$a/x509/alice.pem" "$a/private/alice.key"
	ike_pki "$p"
	ike_pki_wait
	log "pki done"
	ike_router_conf
	cp "$p/ca.pem" "$a/x509ca/"
	if [ $self -eq 1 ]; then
		: >"$a/swanctl.conf"
	else
		ike_alice_write "$@"
	fi
	log "charons"
	ike_charon router router
	ike_charon alice alice
	log "charons up"
	[ $self -eq 1 ] ||
		muisp-ike load-cert --uri "$(ike_vici router)" "$a/x509/alice.pem"
}

# ike_client_connect STATEDIR [OPTIONS...]: muisp-client connect as alice
# with her own charon (--self-service): registration with muispd over its
# TLS control channel (-s/--ca/--name: contract-lib's muispd), then IKE.
# Its output in $SCRATCH/connect.out and .err.
ike_client_connect() {
	local d=$1
	shift
	on alice env STRONGSWAN_CONF="$IKE_DIR/alice/strongswan.conf" \
		muisp-client -S "$d" -s $ROUTER_LAN4 --ca "$SCRATCH/ca.crt" \
		--name $ROUTER_ID --uri "$(ike_vici alice)" \
		--router-id $ROUTER_ID --cacert "$IKE_DIR/pki/ca.pem" \
		--wait 120 "$@" connect >"$SCRATCH/connect.out" \
		2>"$SCRATCH/connect.err"
}

# ike_alice_write [CLIENT_OPTS...]: alice's swanctl.conf by `muisp-ike conf
# client`; ike_alice_conf also loads it into her running charon (e.g.
# --privacy: her next CHILD_SA is ESP; the SAs up are left alone).
ike_alice_write() {
	muisp-ike conf client --router $ROUTER_LAN4 --router-id $ROUTER_ID \
		--cacert ca.pem --cert alice.pem "$@" \
		>"$IKE_DIR/alice/swanctl/swanctl.conf"
}
ike_alice_conf() {
	ike_alice_write "$@"
	ike_swanctl alice --load-conns >"$IKE_DIR/alice/conns.log" 2>&1 ||
		fail "alice's load-conns: $(cat "$IKE_DIR/alice/conns.log")"
}

# ike_router_conf: the router's swanctl directory from the PKI in
# $IKE_DIR/pki (ike_pki): its certificate, key and CA, and the
# configuration of `muisp-ike conf router` (options in IKE_ROUTER_OPTS).
ike_router_conf() {
	local p=$IKE_DIR/pki r=$IKE_DIR/router/swanctl
	cp "$p/router.pem" "$r/x509/"
	cp "$p/router.key" "$r/private/"
	cp "$p/ca.pem" "$r/x509ca/"
	muisp-ike conf router --cert router.pem --id $ROUTER_ID \
		--local-addrs $ROUTER_LAN4 ${IKE_ROUTER_OPTS:-} >"$r/swanctl.conf"
}

# ike_spoof_pcap FILE N SRC DST [FILE N SRC DST]...: for each FILE, a pcap
# of N identical UDP datagrams (port 40000 to 9999, 32 bytes) from SRC
# (IPv4 or IPv6) to DST in Ethernet frames from alice's MAC to the
# router's: a spoofer's replay for tcpreplay.  One Python run for all
# (scapy takes seconds to start under TCG).
ike_spoof_pcap() {
	/usr/bin/python3 - "$ALICE_MAC" "$ROUTER_LAN_MAC" "$@" <<'PY'
import struct, sys
from scapy.all import Ether, IP, IPv6, UDP, Raw
a = sys.argv[1:]
eth = Ether(src=a[0], dst=a[1])
for i in range(2, len(a), 4):
    path, n, src, dst = a[i], int(a[i + 1]), a[i + 2], a[i + 3]
    l3 = IPv6 if ":" in src else IP
    frame = bytes(eth / l3(src=src, dst=dst) / UDP(sport=40000, dport=9999) / Raw(b"x" * 32))
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        f.write((struct.pack("<IIII", 0, 0, len(frame), len(frame)) + frame) * n)
PY
}

# ike_inet_counters: the internet host counts what reaches it: the
# spoofer's UDP (counter "spoof") and echo requests ("echo");
# ike_seen NAME reads one.
ike_inet_counters() {
	on inet nft -f - <<'NFT'
table inet seen {
	counter spoof { }
	counter echo { }
	chain in {
		type filter hook input priority 0;
		udp dport 9999 counter name spoof
		icmp type echo-request counter name echo
	}
}
NFT
}
ike_seen() {
	on inet nft -j list counter inet seen "$1" |
		jq -r '.nftables[1].counter.packets'
}

# ike_watch_start FILE [SECONDS]: ikewatch-print on the router's charon.
ike_watch_start() {
	IKEWATCH_DUMP=1 ikewatch-print "$(ike_vici router)" "${2:-600}" >"$1" 2>&1 &
	wait_until -t 60 grep -q '^ready' "$1"
	log "watcher ready"
}

# On failure, show what charon said (the scratch directory goes away).
ike_dump() {
	local st=$? f
	if [ $st -ne 0 ]; then
		tail -n 40 "$SCRATCH"/*.out "$SCRATCH"/*.log \
			"$IKE_DIR"/*/charon.log "$IKE_DIR"/*/stdout 2>/dev/null
	fi
	topo_down
	return $st
}
ike_trap() {
	trap ike_dump EXIT
	trap 'exit 143' TERM
}

# ike_reload_router_creds: drop every credential of the router's charon
# and load its swanctl directory again (certificates swapped on disk; the
# connection embeds its certificate, so connections are reloaded too), then
# register alice's certificate again (clear-creds dropped it).
ike_reload_router_creds() {
	ike_swanctl router --load-all --clear >"$IKE_DIR/router/creds.log" 2>&1 ||
		fail "reload creds: $(cat "$IKE_DIR/router/creds.log")"
	muisp-ike load-cert --uri "$(ike_vici router)" \
		"$IKE_DIR/alice/swanctl/x509/alice.pem" >/dev/null
}

# ike_field LINE KEY: the word after KEY in a watcher line.
ike_field() {
	local w=($1) i
	for ((i = 0; i < ${#w[@]} - 1; i++)); do
		[ "${w[$i]}" = "$2" ] && { echo "${w[$((i + 1))]}"; return; }
	done
}

# ike_xstate NS SPI PROTO: the kernel's SA on one line, blanks squeezed.
ike_xstate() {
	local s
	s=$(on "$1" ip xfrm state list spi "$2" proto "$3")
	echo $s
}

# Conditions for wait_until (run afresh on every try).
ike_count_gt() { [ "$(grep -c "$1" "$2")" -gt "$3" ]; }	# RE FILE N
ike_no_state() { [ -z "$(on "$1" ip xfrm state ${2:+list spi "$2" proto "$3"})" ]; }
ike_size_is() { [ "$(stat -c %s "$1" 2>/dev/null)" = "$2" ]; }
