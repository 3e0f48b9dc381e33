#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 30
# Harness self-test: a scenario that passes.
. "$MUISP_TOP/tests/vm/lib.sh"
topo_up
on alice ping -c 1 -W 2 $INET4 >/dev/null
