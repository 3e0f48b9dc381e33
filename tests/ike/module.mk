# SPDX-License-Identifier: GPL-2.0
# tests/ike: test programs for the IKE VM scenarios (built with userspace
# into build/bin so the VM finds them on $PATH; never installed).
IKEWATCH_PRINT_SRCS := tests/ike/ikewatch_print.c $(LIB_IKE_WATCH_SRCS)
ALL_PROGRAMS += $(BUILD)/bin/ikewatch-print
$(BUILD)/bin/ikewatch-print: $(patsubst %.c,$(BUILD)/rel/%.o,$(IKEWATCH_PRINT_SRCS))
	@mkdir -p $(@D)
	$(CC) $(REL_LDFLAGS) -o $@ $^
