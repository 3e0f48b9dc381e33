/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one way a C benchmark reports a figure: the same line as
 * tests/lib/bench.sh's bench_result (see there for the fields).  kernel is
 * left to scripts/bench-json.py (the host's release) when NULL.
 */
#ifndef MUISP_TESTS_BENCH_H
#define MUISP_TESTS_BENCH_H

#include <stdio.h>

static inline void bench_result(const char *name, double value,
				const char *unit, const char *target,
				unsigned int rounds, double spread)
{
	printf("BENCH {\"name\": \"%s\", \"value\": %.6g, \"unit\": \"%s\", "
	       "\"target\": %s%s%s, \"rounds\": %u, ",
	       name, value, unit, target ? "\"" : "", target ? target : "null",
	       target ? "\"" : "", rounds ? rounds : 1);
	if (spread >= 0)
		printf("\"spread\": %.6g}\n", spread);
	else
		printf("\"spread\": null}\n");
	fflush(stdout);
}

#endif /* MUISP_TESTS_BENCH_H */
