# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers of the per-user scenarios with muisp-uinfod on alice's host and
# muispd on the router (after contract-lib.bash, which makes the router's
# PKI):
#   ca NAME                 a CA: $S/NAME.{key,crt}
#   cert NAME CA SAN        $S/NAME.{key,crt} signed by CA, subjectAltName SAN
#   uinfod_conf HOST CERT   $S/HOST.conf for muisp-uinfod on HOST with CERT;
#                           its user lines from UINFOD_USERS (default: user
#                           1001 is 7001)
#   start_uinfod HOST       muisp-uinfod in HOST's namespace; UINFOD its pid
#   agent [ADDR]            the meter's agent for ADDR (default alice's IPv4):
#                           "STATE KEY-ID BLOCKED"
#   opened ADDR             the meter's opened count for ADDR
#   role                    alice's role: "STATE KEY-ID BLOCKED"
#   keyed [ID]              both ends keyed with the same key id, not ID
#   key_id                  the meter's key id for alice
#   as UID CMD...           CMD as UID (and its group) in alice's namespace
#   udp4 UID PORT N         N bytes from UID's port PORT to the internet
#                           host's 9100 (IPv4); udp6 the same over IPv6
#   ucl UID ARGS...         muisp-client as local user UID of alice's host
#                           (its state in $S/uUID, made by the caller)
# P-256 with openssl: RSA keys (muispctl ca issue --client, tested on the
# host by tests/ca and test_uinfod) take 40 s longer to make under TCG.
ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout $S/$1.key -out $S/$1.crt -days 2 -subj "/CN=$1" 2>/dev/null
}
cert() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout $S/$1.key -out $S/$1.csr -subj "/CN=$1" 2>/dev/null
	echo "subjectAltName=$3" >$S/$1.ext
	openssl x509 -req -in $S/$1.csr -CA $S/$2.crt -CAkey $S/$2.key \
		-CAcreateserial -out $S/$1.crt -days 2 -extfile $S/$1.ext 2>/dev/null
}
uinfod_conf() {
	cat >$S/$1.conf <<-EOC
	meter $ROUTER_LAN4 4433
	ca $S/ca.crt
	server-name router.muisp.test
	cert $S/$2.crt
	key $S/$2.key
	interface eth0
	retry-max 1
	${UINFOD_USERS:-user 1001 7001}
	EOC
}
start_uinfod() {
	ip netns exec "$1" muisp-uinfod -d -v -f $S/$1.conf >>$S/uinfod.log 2>&1 &
	UINFOD=$!
}
agent() { jctl agent list | jq -r ".[] | select(.addr == \"${1:-$ALICE4}\") | \"\(.state) \(.key_id) \(.blocked)\""; }
opened() { jctl agent list | jq -r ".[] | select(.addr == \"$1\") | .opened"; }
role() { on alice muispctl --json tag show | jq -r '"\(.state) \(.key_id) \(.blocked)"'; }
keyed() {
	local a r
	a=$(agent) r=$(role)
	[ "${a%% *}" = keyed ] && [ "${r%% *}" = keyed ] &&
		[ "$(cut -d' ' -f2 <<<"$a")" = "$(cut -d' ' -f2 <<<"$r")" ] &&
		[ "$(cut -d' ' -f2 <<<"$a")" != "${1-}" ]
}
key_id() { agent | cut -d' ' -f2; }
as() { local u=$1; shift; ip netns exec alice setpriv --reuid="$u" --regid="$u" --clear-groups "$@"; }
udp4() { printf "%0$3d" 0 | as "$1" socat -u - UDP4-SENDTO:$INET4:9100,sourceport=$2; }
udp6() { printf "%0$3d" 0 | as "$1" socat -u - UDP6-SENDTO:[$INET6]:9100,sourceport=$2; }
ucl() {
	local u=$1
	shift
	as "$u" muisp-client -s $ROUTER_LAN4 --ca $S/ca.crt \
		--name router.muisp.test -S $S/u$u "$@"
}
