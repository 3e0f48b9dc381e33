# SPDX-License-Identifier: GPL-2.0
# tests/contract: estab-load, the concurrent contract-establishment client
# of the VM scenario contract-200 and the benchmark vm-contract (in
# build/bin so the VM finds it on $PATH; never installed).
$(eval $(call program,estab-load,tests/contract/estab_load.c lib/proto.c,$(shell $(PKG_CONFIG) --libs openssl),noinst))
