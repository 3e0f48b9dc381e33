# SPDX-License-Identifier: GPL-2.0
# nat: the NAPT ruleset (nft), its parameters and the unit that loads it
# (docs/NAT.md).
DATA += nat/muisp-nat.nft
MAN8 += nat/muisp-nat.8
UNITS += nat/muisp-nat.service
CONFS += nat/nat.conf
