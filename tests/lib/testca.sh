# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# A throwaway CA and router certificate for the host suites that run
# muispd's TLS control channel on loopback (never committed).  Sourced.
#
#   testca_router DIR    DIR/ca.{key,crt}: the CA ("muisp test CA");
#                        DIR/router.{key,crt}: router.muisp.test and
#                        127.0.0.1, signed by it; EC P-256, 2 days

testca_router() {
	local d=$1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/ca.key" -out "$d/ca.crt" -days 2 \
		-subj "/CN=muisp test CA" 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/router.key" -out "$d/router.csr" \
		-subj "/CN=router.muisp.test" 2>/dev/null
	printf 'subjectAltName=DNS:router.muisp.test,IP:127.0.0.1\n' >"$d/ext"
	openssl x509 -req -in "$d/router.csr" -CA "$d/ca.crt" \
		-CAkey "$d/ca.key" -CAcreateserial -out "$d/router.crt" \
		-days 2 -extfile "$d/ext" 2>/dev/null
}
