#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install what muisp needs to build, test, bench and demo on Debian 12.
# Idempotent and silent when everything is present.  Needs root (or sudo)
# only when something is missing.
set -euo pipefail

pkgs=(
	# build
	build-essential pkg-config clang libclang-rt-14-dev clang-format
	linux-headers-amd64 linux-headers-6.12-amd64 kmod linux-source-6.1
	# the module's static analysis (make check: stage sparse, C=2)
	sparse
	libmnl-dev libssl-dev libsqlite3-dev
	libcmocka-dev libsnmp-dev libsystemd-dev
	# muispd: the online payment provider's HTTP on the event loop
	libcurl4-openssl-dev
	# the uAPI generator (scripts/nlspec.py: make nlspec, check-nlspec)
	python3-yaml
	# host microbenchmarks (tests/bench: callgrind instruction counts)
	valgrind
	# VM harness
	qemu-system-x86 linux-image-amd64 busybox-static
	# the other kernel line's image: make check boots it too (vm-6.12)
	linux-image-6.12-amd64
	# tools used inside the VM (over the 9p root)
	iproute2 iputils-ping nftables tcpreplay iperf3 tcpdump ethtool
	python3-scapy procps psmisc socat sqlite3 jq openssl
	# User Information seals built apart from the module's code
	# (tests/vm/scenarios/uinfo-frames.py)
	python3-cryptography
	isc-dhcp-client dhcpcd5 strongswan-charon strongswan-swanctl
	# devices without muisp-client: EAP-MSCHAPv2 (extauth), EAP-Identity
	# (extra) and openssl for its MD4 and DES (standard)
	libcharon-extauth-plugins libcharon-extra-plugins
	libstrongswan-standard-plugins
	snmpd snmp freeradius freeradius-utils kea-admin
	# SNMP and IPFIX (issue 13): the MIB's lint (smilint), the traps'
	# receiver and the IPFIX test collector (nfacctd)
	smitools snmptrapd pmacct
	# NAPT beside the operator's rules (tests/vm/scenarios/napt.sh)
	iptables conntrack
	# Debian packages (make deb, make deb-lint: debian/) and the module's
	# DKMS build from them
	debhelper dh-dkms dkms dpkg-dev fakeroot lintian
	# the packages installed on a clean Debian root (tests/pkg/run.sh)
	debootstrap
	# DHCP benchmark peers (tests/dhcp/bench.sh; perfdhcp is in kea-admin)
	kea-dhcp4-server dnsmasq-base
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Services shipped by these packages must not start on the build host.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod 755 /usr/sbin/policy-rc.d
	trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
t0=$SECONDS
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: installed in $((SECONDS - t0))s" >&2
