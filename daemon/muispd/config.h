/* SPDX-License-Identifier: GPL-2.0 */
/*
 * muispd.conf parsing without files or logging (for tests and the fuzz
 * target); conf_load() in muispd.h reads a file with it.
 */
#ifndef MUISPD_CONFIG_H
#define MUISPD_CONFIG_H

#include <stddef.h>

struct muispd_conf;
struct price;

/* Parse text (called name in messages) over c, which conf_defaults()
 * filled.  0, or -1 with the first error in err: "NAME:LINE: KEY: 'VALUE':
 * what is wrong". */
int conf_parse(const char *name, const char *text, struct muispd_conf *c,
	       char *err, size_t errlen);

/* The price line EAP clients buy from (eap-offer), NULL if none. */
const struct price *eap_price(const struct muispd_conf *c);
/* ... and EAP roamers (radius-eap-relay): price METRIC roam esp. */
const struct price *eap_roam_price(const struct muispd_conf *c);

#endif
