// SPDX-License-Identifier: GPL-2.0
/* Secrets kept in files (secret.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret.h"

static int refuse(char *why, const char *text)
{
	snprintf(why, SECRET_WHY_LEN, "%s", text);
	return -1;
}

/* The file behind fd may hold a secret: refuse it otherwise. */
static int secret_file_ok(int fd, char *why)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return refuse(why, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return refuse(why, "not a regular file");
	if (st.st_mode & 077) {
		snprintf(why, SECRET_WHY_LEN,
			 "group or others may access it (mode %04o): "
			 "chmod 600 it",
			 (unsigned int)(st.st_mode & 07777));
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return refuse(why, "owned by another user (not root, not "
				   "this program's)");
	return 0;
}

long secret_read(const char *path, int allow_stdin, uint8_t *buf, size_t cap,
		 char why[SECRET_WHY_LEN])
{
	int is_stdin = allow_stdin && !strcmp(path, "-");
	size_t n = 0;
	uint8_t extra;
	ssize_t r;
	int fd;

	fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return refuse(why, strerror(errno));
	if (!is_stdin && secret_file_ok(fd, why) < 0)
		goto fail;
	/* up to cap bytes, then one more read to see that the file ends */
	for (;;) {
		r = read(fd, n < cap ? buf + n : &extra, n < cap ? cap - n : 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			refuse(why, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		if (n == cap) {
			snprintf(why, SECRET_WHY_LEN, "longer than %zu bytes",
				 cap);
			goto fail;
		}
		n += (size_t)r;
	}
	if (!is_stdin)
		close(fd);
	return (long)n;
fail:
	explicit_bzero(buf, cap);
	if (!is_stdin)
		close(fd);
	return -1;
}

long secret_one_line(uint8_t *buf, size_t n, size_t max,
		     char why[SECRET_WHY_LEN])
{
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n == 0 || n > max) {
		snprintf(why, SECRET_WHY_LEN,
			 "expected one line of 1 to %zu bytes", max);
	} else if (memchr(buf, '\n', n) || memchr(buf, '\0', n) ||
		   memchr(buf, '\r', n)) {
		snprintf(why, SECRET_WHY_LEN,
			 "expected one line (no NUL, CR or second line)");
	} else {
		return (long)n;
	}
	explicit_bzero(buf, n);
	return -1;
}
