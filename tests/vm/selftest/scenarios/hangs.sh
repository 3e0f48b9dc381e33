#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 3
# Harness self-test: never finishes; the time-out must fail it.
. "$MUISP_TOP/tests/vm/lib.sh"
sleep 60
