#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 30
# Harness self-test: exits 0, but the kernel logs a WARNING; must fail.
. "$MUISP_TOP/tests/vm/lib.sh"
insmod "$MUISP_TOP/build/vm/warnmod/warnmod.ko"
rmmod warnmod
