#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 30
# Harness self-test: a broken assertion must fail the run.
. "$MUISP_TOP/tests/vm/lib.sh"
topo_up
expect "deliberately broken assertion" 1 2
