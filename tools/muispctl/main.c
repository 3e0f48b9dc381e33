// SPDX-License-Identifier: GPL-2.0
/* muispctl entry point; the tool itself is muispctl_main() (tested). */
#include "muispctl.h"

int main(int argc, char **argv)
{
	return muispctl_main(argc, argv);
}
