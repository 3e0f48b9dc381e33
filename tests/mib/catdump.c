// SPDX-License-Identifier: GPL-2.0
/*
 * mib-catdump: the catalogue of named counters (lib/stats_defs.c) as text,
 * for tests/mib/run.sh to compare with MUISP-MIB.  One line per entry,
 * tab-separated:
 *   def KEY MIB_NAME GROUP ARC TYPE     (TYPE Counter64 or Gauge32)
 * then the module's highest drop reason:
 *   drop_max N                          (MUISP_DROP_MAX)
 */
#include <stdio.h>

#include "stats_cat.h"

int main(void)
{
	unsigned int i;

	for (i = 0; i < stats_ndefs; i++) {
		const struct stats_def *d = &stats_defs[i];
		const char *type = d->type == STATS_COUNTER64 ? "Counter64" :
				   d->type == STATS_GAUGE32   ? "Gauge32" :
								"unknown";

		printf("def\t%s\t%s\t%u\t%u\t%s\n", d->key, d->mib_name,
		       d->mib_group, d->mib_arc, type);
	}
	printf("drop_max\t%d\n", MUISP_DROP_MAX);
	return ferror(stdout) || fflush(stdout) ? 1 : 0;
}
