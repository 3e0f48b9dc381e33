/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The User Information seal on the host, with OpenSSL's AES-128-GCM: the
 * muisp_uinfo_aead() that kmod/uinfo_core.c calls in the unit tests and
 * the fuzz target (in muisp.ko it is the kernel's gcm(aes), kmod/uinfo.c).
 */
#ifndef MUISP_UINFO_AEAD_HOST_H
#define MUISP_UINFO_AEAD_HOST_H

#include "kmod/uinfo_core.h"

struct muisp_uinfo_key {
	u8 key[16];
	u8 salt[4];
	unsigned int calls; /* how many seals and opens it did */
};

#endif /* MUISP_UINFO_AEAD_HOST_H */
