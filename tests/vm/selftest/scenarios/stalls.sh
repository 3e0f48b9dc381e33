#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 5
# Harness self-test: the whole guest stops (every CPU held by stop_machine,
# lockup detectors off), so neither the scenario's time-out nor the kernel
# can report; the host watchdog must fail it, and the scenario after it
# must still run in a new boot.
. "$MUISP_TOP/tests/vm/lib.sh"
sysctl -qw kernel.watchdog=0 kernel.softlockup_panic=0
insmod "$MUISP_TOP/build/vm/warnmod/warnmod.ko" warn=0
echo 600 >/sys/module/warnmod/parameters/freeze_s
