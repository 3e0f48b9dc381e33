# SPDX-License-Identifier: GPL-2.0
# lib/: code shared by daemons and tools.  Programs list the lib sources
# they use (LIB_LOG_SRCS, ...) in their own SOURCES.
LIB_LOG_SRCS := lib/log.c
