# SPDX-License-Identifier: GPL-2.0
# tests/radius: the RADIUS host suite (tests/radius/run.sh runs every
# tests/radius/PART.sh against two FreeRADIUS 3.2 in a netns; root).
# `make check` runs it with the other host suites (scripts/check.sh),
# before the VM stage; `make check-radius` runs it alone.
.PHONY: check-radius
check-radius: userspace $(BUILD)/san/tests/test_radclient
	tests/radius/run.sh
