#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 60
# VM scenario of tests/pkg/run.sh (tests/vm/run.sh --modprobe --bin): the
# loaded module is the one DKMS built for this line, installed under
# updates/dkms/ and loaded by modprobe, and the package's muispctl talks
# to it.  MUISP_PKG_VERSION: the release the packages carry.
. "$MUISP_TOP/tests/vm/lib.sh"
want=${MUISP_PKG_VERSION:?}
[ -d /sys/module/muisp ] || fail "muisp not loaded"
ko=$(modinfo -n muisp)
dir=/lib/modules/$(uname -r)/updates/dkms
case $ko in
"$dir"/muisp.ko | "$dir"/muisp.ko.*) ok "modprobe finds muisp in $ko" ;;
*) fail "modprobe finds muisp in $ko, not under $dir" ;;
esac
expect "loaded module's version" "$want" "$(cat /sys/module/muisp/version)"
expect "loaded module is the file's" "$(modinfo -F srcversion "$ko")" \
	"$(cat /sys/module/muisp/srcversion)"
expect "muispctl is the package's" "$MUISP_BIN/muispctl" "$(command -v muispctl)"
expect "muispctl's release" "muispctl $want" \
	"$(muispctl --version | cut -d' ' -f1-2)"
check "muispctl reads the module's counters" eval 'muispctl --json stats | jq -e . >/dev/null'
