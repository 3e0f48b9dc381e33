# SPDX-License-Identifier: GPL-2.0
# tests/contract: estab-load, the concurrent contract-establishment client
# of the VM scenario contract-200, the benchmark vm-contract and the soak
# tests/soak/run.sh (in build/bin so the VM finds it on $PATH; never
# installed).
$(eval $(call program,estab-load,tests/contract/estab_load.c lib/proto.c,$(shell $(PKG_CONFIG) --libs openssl),noinst))
