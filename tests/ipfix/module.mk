# SPDX-License-Identifier: GPL-2.0
# tests/ipfix: IPFIX export (issue 13).  Each owner appends its own lines.

# ipfix-encode: lib/ipfix's messages for flows given as text (encoder.sh)
$(eval $(call program,ipfix-encode,tests/ipfix/ipfix_encode.c $(LIB_IPFIX_SRCS) $(LIB_PARSE_SRCS),,noinst))

# ipfix-gen: muisp-ipfixd --replay files (tests/ipfix/run.sh, the bench)
$(eval $(call program,ipfix-gen,tests/ipfix/ipfix_gen.c $(LIB_NL_SRCS) $(LIB_PARSE_SRCS),$(LIB_NL_LIBS),noinst))
