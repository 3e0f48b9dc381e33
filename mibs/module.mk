# SPDX-License-Identifier: GPL-2.0
# mibs/: MUISP-MIB, installed where net-snmp's tools and snmpd look
# (MIBDIR, net-snmp-config --default-mibdirs).  Not named MIBS: that is
# net-snmp's environment variable, which make would export to recipes.
SNMP_MIBS += mibs/MUISP-MIB.txt
