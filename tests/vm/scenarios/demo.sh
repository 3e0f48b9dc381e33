#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# `make demo` in the suite: the walk-in story (tests/vm/demo.sh) asserts
# every step it tells, so the suite fails when the demo would.
exec bash "$MUISP_TOP/tests/vm/demo.sh"
