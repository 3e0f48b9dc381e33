#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test of `muispctl ca` (no kernel module, no root): a CA, router
# and agent (--client) certificates made in a temp dir and checked with
# the openssl CLI, an independent implementation — init writes ca.pem and
# a 0600 ca.key, issue gives certificates `openssl verify -CAfile` accepts
# with the right CN, SAN, lifetime, user notice and purpose (a --client
# one for sslclient only, a router's for sslserver), show prints exactly
# what openssl reads,
# verify tells the CA's certificates from another CA's, nothing is
# overwritten without --force, and bad arguments exit 2 writing nothing.
#
# Usage: tests/ca/run.sh        (`make userspace` first)
# Env:   MUISP_BIN (default build/bin), KEEP=1 keeps the temp dir.
# Prints one line per check and "ca: N passed, N failed"; exit 0 iff all
# passed (tests/lib/check.sh).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/check.sh"
CHECK_SUITE=ca
ctl=$(realpath -m "${MUISP_BIN:-$top/build/bin}/muispctl")

[ -x "$ctl" ] && command -v openssl >/dev/null ||
	fail "needs $ctl (make userspace) and openssl"
T=$(mktemp -d /tmp/muisp-ca.XXXXXX)
cleanup() {
	if [ "${KEEP:-0}" = 1 ] || [ "$CHECK_FAIL" -ne 0 ]; then
		echo "ca: files kept in $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
cd "$T" || exit 1

# run STATUS ARGS...: muispctl ARGS with its output in $out, stderr in $err
run() {
	local want=$1 st
	shift
	out=$("$ctl" "$@" 2>"$T/stderr")
	st=$?
	err=$(cat "$T/stderr")
	[ "$st" = "$want" ] || {
		echo "    muispctl $*: status $st, want $want; stderr: $err"
		return 1
	}
}
mode() { stat -c %a "$1"; }
hash() { sha256sum "$1" | cut -d' ' -f1; }
# the openssl view of a certificate
subj() { openssl x509 -noout -subject -nameopt RFC2253 -in "$1" | sed 's/^subject=//'; }
iss() { openssl x509 -noout -issuer -nameopt RFC2253 -in "$1" | sed 's/^issuer=//'; }
san() { openssl x509 -noout -ext subjectAltName -in "$1" | sed -n 2p | tr -d ' '; }
date_of() { openssl x509 -noout "-$1" -in "$2" | cut -d= -f2; }
secs() { date -u -d "$1" +%s; }

echo "ca: muispctl ca against openssl $(openssl version | cut -d' ' -f2)"

# ---- init ---------------------------------------------------------------
check "init exits 0" run 0 ca init "$T/ca" "muisp test CA" --days 30
expect "init names its files" "certificate: $T/ca/ca.pem
key:         $T/ca/ca.key" "$out"
expect "ca.key mode" 600 "$(mode ca/ca.key)"
expect "new CA directory mode" 700 "$(mode ca)"
expect "CA subject" "CN=muisp test CA" "$(subj ca/ca.pem)"
expect "CA is self-issued" "CN=muisp test CA" "$(iss ca/ca.pem)"
expect "CA basic constraints" "CA:TRUE" \
	"$(openssl x509 -noout -ext basicConstraints -in ca/ca.pem | sed -n 2p | tr -d ' ')"
expect "CA key usage" "CertificateSign,CRLSign" \
	"$(openssl x509 -noout -ext keyUsage -in ca/ca.pem | sed -n 2p | tr -d ' ')"
expect "CA lifetime (30 days + 300 s back-dating)" $((30 * 86400 + 300)) \
	$(($(secs "$(date_of enddate ca/ca.pem)") - $(secs "$(date_of startdate ca/ca.pem)")))
expect "CA key is RSA-2048 and matches ca.pem" \
	"$(openssl x509 -noout -pubkey -in ca/ca.pem)" \
	"$(openssl pkey -pubout -in ca/ca.key)"
expect "CA key size" "Private-Key: (2048 bit, 2 primes)" \
	"$(openssl pkey -noout -text -in ca/ca.key | head -1)"
expect "openssl verifies the CA against itself" "ca/ca.pem: OK" \
	"$(openssl verify -CAfile ca/ca.pem ca/ca.pem 2>&1)"

# a second init is refused and changes nothing; --force replaces both
h_pem=$(hash ca/ca.pem) h_key=$(hash ca/ca.key)
check "init over an existing CA refused" run 1 ca init "$T/ca" "other CA"
expect "refusal names the file" \
	"muispctl: ca init: $T/ca/ca.pem exists (--force replaces the CA)" "$err"
expect "refused init left ca.pem alone" "$h_pem" "$(hash ca/ca.pem)"
expect "refused init left ca.key alone" "$h_key" "$(hash ca/ca.key)"
mkdir other && cp ca/ca.key other/ca.key
check "init over an orphaned ca.key refused" run 1 ca init "$T/other" "x"
expect "orphaned key untouched, no ca.pem" "$h_key no" \
	"$(hash other/ca.key) $([ -e other/ca.pem ] && echo yes || echo no)"
rm -r other
mkdir f && cp ca/ca.pem ca/ca.key f/ && chmod 644 f/ca.key
check "init --force" run 0 ca init "$T/f" "forced CA" --force
expect "forced CA is new" "CN=forced CA" "$(subj f/ca.pem)"
check "forced CA has a new key" [ "$(hash f/ca.key)" != "$h_key" ]
expect "forced key mode (was 0644)" 600 "$(mode f/ca.key)"

# a rogue CA for the negative checks
run 0 ca init "$T/rogue" "rogue CA" --days 30 >/dev/null || bad "rogue CA"

# ---- issue --------------------------------------------------------------
NOTICE="Hotel Foo lobby, 802.11g"
check "issue exits 0" run 0 ca issue router.muisp.test --ca "$T/ca" \
	--notice "$NOTICE" --days 7 --out-cert "$T/router.pem" \
	--out-key "$T/router.key"
expect "issue names its files" "certificate: $T/router.pem
key:         $T/router.key" "$out"
expect "openssl verify -CAfile accepts it" "router.pem: OK" \
	"$(openssl verify -CAfile ca/ca.pem router.pem 2>&1)"
expect "router CN" "CN=router.muisp.test" "$(subj router.pem)"
expect "router issuer" "CN=muisp test CA" "$(iss router.pem)"
expect "router SAN" "DNS:router.muisp.test" "$(san router.pem)"
expect "router key mode" 600 "$(mode router.key)"
expect "router key matches" "$(openssl x509 -noout -pubkey -in router.pem)" \
	"$(openssl pkey -pubout -in router.key)"
expect "router is not a CA" "CA:FALSE" \
	"$(openssl x509 -noout -ext basicConstraints -in router.pem | sed -n 2p | tr -d ' ')"
expect "router lifetime (7 days + 300 s)" $((7 * 86400 + 300)) \
	$(($(secs "$(date_of enddate router.pem)") - $(secs "$(date_of startdate router.pem)")))
expect "user notice (openssl's reading)" "Explicit Text: $NOTICE" \
	"$(openssl x509 -noout -text -in router.pem | grep -o 'Explicit Text: .*')"
# native IKEv2 clients (Windows, macOS) want serverAuth on the router's
expect "router EKU: serverAuth, IKE intermediate" "TLSWebServerAuthentication,1.3.6.1.5.5.8.2.2" \
	"$(openssl x509 -noout -ext extendedKeyUsage -in router.pem | sed -n 2p | tr -d ' ')"
expect "openssl verify refuses it against another CA" 2 \
	"$(openssl verify -CAfile rogue/ca.pem router.pem >/dev/null 2>&1; echo $?)"

# an address is an IP SAN; default files NAME.pem/NAME.key in the cwd; the
# default lifetime is 365 days
check "issue for an address" run 0 ca issue 192.0.2.1 --ca "$T/ca"
expect "address SAN" "IPAddress:192.0.2.1" "$(san 192.0.2.1.pem)"
expect "default files in the cwd" "600 192.0.2.1.pem: OK" \
	"$(mode 192.0.2.1.key) $(openssl verify -CAfile ca/ca.pem 192.0.2.1.pem 2>&1)"
expect "default lifetime 365 days" $((365 * 86400 + 300)) \
	$(($(secs "$(date_of enddate 192.0.2.1.pem)") - $(secs "$(date_of startdate 192.0.2.1.pem)")))
expect "no notice unless asked" "" \
	"$(openssl x509 -noout -text -in 192.0.2.1.pem | grep 'Explicit Text' || true)"

# --client: muisp-uinfod's certificate, for TLS client authentication
check "issue --client exits 0" run 0 ca issue 192.0.2.50 --client --ca "$T/ca" \
	--days 7 --out-cert "$T/host.pem" --out-key "$T/host.key"
expect "issue --client names its files" "certificate: $T/host.pem
key:         $T/host.key" "$out"
expect "client: openssl verify -CAfile accepts it" "host.pem: OK" \
	"$(openssl verify -CAfile ca/ca.pem host.pem 2>&1)"
expect "client: openssl verify -purpose sslclient accepts it" "host.pem: OK" \
	"$(openssl verify -CAfile ca/ca.pem -purpose sslclient host.pem 2>&1)"
expect "client CN" "CN=192.0.2.50" "$(subj host.pem)"
expect "client SAN" "IPAddress:192.0.2.50" "$(san host.pem)"
expect "client EKU: clientAuth only" "TLSWebClientAuthentication" \
	"$(openssl x509 -noout -ext extendedKeyUsage -in host.pem | sed -n 2p | tr -d ' ')"
expect "client key usage: digitalSignature, critical" \
	"X509v3 Key Usage: critical|Digital Signature" \
	"$(openssl x509 -noout -ext keyUsage -in host.pem | sed 's/^ *//' | paste -sd'|')"
expect "client key mode" 600 "$(mode host.key)"
expect "client: no notice" "" \
	"$(openssl x509 -noout -text -in host.pem | grep 'Explicit Text' || true)"
# a router certificate is no TLS client's, a client's no server's
check "router: openssl verify -purpose sslclient refuses it" \
	[ "$(openssl verify -CAfile ca/ca.pem -purpose sslclient router.pem >/dev/null 2>&1; echo $?)" != 0 ]
check "client: openssl verify -purpose sslserver refuses it" \
	[ "$(openssl verify -CAfile ca/ca.pem -purpose sslserver host.pem >/dev/null 2>&1; echo $?)" != 0 ]
check "issue --client for a host name" run 0 ca issue host.muisp.test --client \
	--ca "$T/ca" --out-cert "$T/hostn.pem" --out-key "$T/hostn.key"
expect "client DNS SAN" "DNS:host.muisp.test" "$(san hostn.pem)"

# overwrite refused, files untouched; --force replaces
h_pem=$(hash router.pem) h_key=$(hash router.key)
check "issue over an existing cert refused" run 1 ca issue router.muisp.test \
	--ca "$T/ca" --out-cert "$T/router.pem" --out-key "$T/new.key"
expect "refusal names the file" \
	"muispctl: ca issue: $T/router.pem exists (--force replaces it)" "$err"
check "issue over an existing key refused" run 1 ca issue router.muisp.test \
	--ca "$T/ca" --out-cert "$T/new.pem" --out-key "$T/router.key"
expect "refused issues wrote nothing" "$h_pem $h_key no no" \
	"$(hash router.pem) $(hash router.key) $([ -e new.key ] && echo yes || echo no) $([ -e new.pem ] && echo yes || echo no)"
check "issue --force" run 0 ca issue router.muisp.test --ca "$T/ca" \
	--out-cert "$T/router.pem" --out-key "$T/router.key" --force \
	--notice="$NOTICE"
check "forced issue has a new key" [ "$(hash router.key)" != "$h_key" ]
expect "forced certificate verifies" "router.pem: OK" \
	"$(openssl verify -CAfile ca/ca.pem router.pem 2>&1)"

# a CA that is not there, a key that is not the CA's
check "issue without a CA fails" run 1 ca issue x --ca "$T/nowhere"
expect "missing CA message" \
	"muispctl: ca issue: $T/nowhere/ca.pem: No such file or directory (no CA there: --ca DIR, or muispctl ca init DIR CN)" "$err"
mkdir mixed && cp ca/ca.pem mixed/ && cp rogue/ca.key mixed/
check "issue with a foreign CA key fails" run 1 ca issue x --ca "$T/mixed"
# (then OpenSSL's own reason, whose wording is OpenSSL's)
case $err in
"muispctl: ca issue: $T/mixed/ca.key does not belong to $T/mixed/ca.pem"*) ok "foreign key message" ;;
*) bad "foreign key message" "$err" ;;
esac
expect "failed issues wrote nothing" "" "$(ls x.* 2>/dev/null)"

# ---- selfsign: a client's anonymous identity ------------------------------
check "selfsign exits 0" run 0 ca selfsign anon-0123abcd --days 2 \
	--out-cert "$T/anon.pem" --out-key "$T/anon.key"
expect "selfsign names its files" "certificate: $T/anon.pem
key:         $T/anon.key" "$out"
expect "selfsign: issuer is the subject" "subject=CN = anon-0123abcd issuer=CN = anon-0123abcd" \
	"$(openssl x509 -noout -subject -issuer -in anon.pem | tr '\n' ' ' | sed 's/ $//')"
expect "selfsign: verifies against itself" "anon.pem: OK" \
	"$(openssl verify -CAfile anon.pem anon.pem 2>&1)"
expect "selfsign: the key is the certificate's" \
	"$(openssl x509 -noout -pubkey -in anon.pem)" "$(openssl pkey -pubout -in anon.key 2>/dev/null)"
expect "selfsign: key mode 0600" "600" "$(stat -c %a anon.key)"
expect "selfsign: no EKU (a client, not a server)" "" \
	"$(openssl x509 -noout -ext extendedKeyUsage -in anon.pem 2>/dev/null)"
h_pem=$(hash anon.pem)
check "selfsign over an existing cert refused" run 1 ca selfsign anon-0123abcd \
	--out-cert "$T/anon.pem" --out-key "$T/anon.key"
expect "selfsign refusal names the file" \
	"muispctl: ca selfsign: $T/anon.pem exists (--force replaces it)" "$err"
expect "refused selfsign wrote nothing" "$h_pem" "$(hash anon.pem)"
check "selfsign takes no --notice" run 2 ca selfsign anon-0123abcd --notice x

# ---- show ---------------------------------------------------------------
serial=$(openssl x509 -noout -serial -in router.pem | cut -d= -f2)
fpr=$(openssl x509 -noout -fingerprint -sha256 -in router.pem | cut -d= -f2)
want="subject:     /CN=router.muisp.test
issuer:      /CN=muisp test CA
serial:      $serial
not before:  $(date_of startdate router.pem)
not after:   $(date_of enddate router.pem)
ca:          no
self-signed: no
san:         DNS:router.muisp.test
notice:      $NOTICE
sha256:      $fpr"
check "show exits 0" run 0 ca show "$T/router.pem"
expect "show router.pem, every line" "$want" "$out"
serial=$(openssl x509 -noout -serial -in ca/ca.pem | cut -d= -f2)
fpr=$(openssl x509 -noout -fingerprint -sha256 -in ca/ca.pem | cut -d= -f2)
want="subject:     /CN=muisp test CA
issuer:      /CN=muisp test CA
serial:      $serial
not before:  $(date_of startdate ca/ca.pem)
not after:   $(date_of enddate ca/ca.pem)
ca:          yes
self-signed: yes
sha256:      $fpr"
run 0 ca show "$T/ca/ca.pem"
expect "show ca.pem, every line" "$want" "$out"
run 0 ca show "$T/192.0.2.1.pem"
expect "show an address certificate's SAN" "san:         IP:192.0.2.1" \
	"$(grep '^san:' <<<"$out")"
check "show of a non-certificate fails" run 1 ca show /etc/hostname
case $err in
"muispctl: ca show: /etc/hostname: not a PEM certificate"*) ok "show says why" ;;
*) bad "show says why" "$err" ;;
esac

# ---- verify -------------------------------------------------------------
check "verify the CA's certificate" run 0 ca verify "$T/ca/ca.pem" "$T/router.pem"
expect "verify prints OK" "$T/router.pem: OK" "$out"
run 0 ca issue router.muisp.test --ca "$T/rogue" --out-cert "$T/rogue.pem" \
	--out-key "$T/rogue.key" >/dev/null || bad "rogue router certificate"
check "verify refuses another CA's certificate" run 1 ca verify "$T/ca/ca.pem" "$T/rogue.pem"
expect "verify says why" \
	"muispctl: ca verify: $T/rogue.pem: unable to get local issuer certificate" "$err"
expect "and openssl agrees" 2 \
	"$(openssl verify -CAfile ca/ca.pem rogue.pem >/dev/null 2>&1; echo $?)"

# ---- usage errors: status 2, nothing written ----------------------------
mkdir u && cd u || exit 1
usage_case() { # DESCRIPTION EXPECTED-STDERR ARGS...
	local d=$1 e=$2
	shift 2
	if run 2 "$@" && [ "$err" = "$e" ] && [ -z "$(ls -A)" ]; then
		ok "usage: $d"
	else
		bad "usage: $d" "stderr '$err', files: $(ls -A | tr '\n' ' ')"
	fi
}
usage_case "no verb" "$(printf '%s\n' \
	'usage: muispctl ca init DIR CN [--days N] [--force]' \
	'       muispctl ca issue NAME [--ca DIR] [--client | --notice TEXT] [--days N] [--out-cert FILE --out-key FILE] [--force]' \
	'       muispctl ca selfsign NAME [--days N] [--out-cert FILE --out-key FILE] [--force]' \
	'       muispctl ca show CERT' \
	'       muispctl ca verify CACERT CERT')" ca
usage_case "unknown verb" "muispctl: unknown ca command 'sign'
$(printf '%s\n' \
	'usage: muispctl ca init DIR CN [--days N] [--force]' \
	'       muispctl ca issue NAME [--ca DIR] [--client | --notice TEXT] [--days N] [--out-cert FILE --out-key FILE] [--force]' \
	'       muispctl ca selfsign NAME [--days N] [--out-cert FILE --out-key FILE] [--force]' \
	'       muispctl ca show CERT' \
	'       muispctl ca verify CACERT CERT')" ca sign x
usage_case "init without CN" "muispctl: ca init: expected DIR CN (try --help)" ca init d
usage_case "init, extra argument" \
	"muispctl: ca init: unexpected argument 'z' (expected DIR CN) (try --help)" ca init d c z
usage_case "init --days 0" "muispctl: invalid --days '0': must be 1 or more" ca init d c --days 0
usage_case "init --days x" "muispctl: invalid --days 'x': not a decimal number" ca init d c --days x
usage_case "init --days 36501" "muispctl: invalid --days '36501': too large" ca init d c --days 36501
usage_case "init --days without value" "muispctl: ca init: '--days' needs a value (try --help)" ca init d c --days
usage_case "init bad CN" \
	"muispctl: invalid CN 'a/b': 1-64 characters, none of ,=+/\\\"<>;# or control characters" ca init d a/b
usage_case "init --notice (issue only)" "muispctl: ca init: unknown option '--notice' (try --help)" \
	ca init d c --notice x
usage_case "init --force=yes" "muispctl: ca init: '--force' takes no value (try --help)" ca init d c --force=yes
usage_case "issue without NAME" "muispctl: ca issue: expected NAME (try --help)" ca issue --ca "$T/ca"
usage_case "issue bad NAME" \
	"muispctl: invalid NAME 'a b': 1-64 ASCII characters, no blanks or ,=+/\\\"<>;#" ca issue "a b" --ca "$T/ca"
usage_case "issue --out-cert alone" \
	"muispctl: ca issue: --out-cert and --out-key go together (try --help)" \
	ca issue r --ca "$T/ca" --out-cert r.pem
usage_case "issue same file twice" \
	"muispctl: ca issue: --out-cert and --out-key name the same file (try --help)" \
	ca issue r --ca "$T/ca" --out-cert r --out-key r
usage_case "issue bad notice" \
	"muispctl: invalid --notice 'say \"hi\"': 1-200 characters without control characters, '\"', '\\' or '\$'" \
	ca issue r --ca "$T/ca" --notice 'say "hi"'
usage_case "issue --client --notice" \
	"muispctl: ca issue: --notice is for router certificates, not with --client (try --help)" \
	ca issue 192.0.2.50 --ca "$T/ca" --client --notice "Hotel Foo"
usage_case "issue --client=yes" "muispctl: ca issue: '--client' takes no value (try --help)" \
	ca issue 192.0.2.50 --ca "$T/ca" --client=yes
usage_case "issue unknown option" "muispctl: ca issue: unknown option '--bogus' (try --help)" \
	ca issue r --ca "$T/ca" --bogus
usage_case "show without CERT" "muispctl: ca show: expected CERT (try --help)" ca show
usage_case "show two certs" \
	"muispctl: ca show: unexpected argument 'b' (expected CERT) (try --help)" ca show a b
usage_case "verify one argument" "muispctl: ca verify: expected CACERT CERT (try --help)" \
	ca verify "$T/ca/ca.pem"
cd "$T" || exit 1

# help
if run 0 ca help && grep -q '^       muispctl ca verify CACERT CERT$' <<<"$out"; then
	ok "ca help lists the verbs"
else
	bad "ca help lists the verbs"
fi
if run 0 --help && grep -q '^  ca  ' <<<"$out"; then
	ok "--help lists ca"
else
	bad "--help lists ca"
fi
# batch mode runs ca too (no netlink opened)
printf 'ca verify %s %s\n' "$T/ca/ca.pem" "$T/router.pem" >"$T/cmds"
if run 0 -b "$T/cmds" && [ "$out" = "$T/router.pem: OK" ]; then
	ok "ca in a batch"
else
	bad "ca in a batch" "$out"
fi
summary
