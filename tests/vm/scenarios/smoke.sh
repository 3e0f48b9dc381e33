#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 60
# The topology forwards between LAN and WAN, and the module is loaded.
. "$MUISP_TOP/tests/vm/lib.sh"
topo_up
[ -d /sys/module/muisp ] || fail "muisp.ko not loaded"
on alice ping -c 1 -W 2 $INET4 >/dev/null
on bob ping -6 -c 1 -W 2 $INET6 >/dev/null
log "lan->wan forwarding works"
