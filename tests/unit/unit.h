/*
 * Helpers shared by the unit tests: capturing what the library logs to
 * stderr, scratch directories, small files.  Everything is static inline
 * so that each test includes only what it uses without unused warnings.
 */
#ifndef OTP_TEST_UNIT_H
#define OTP_TEST_UNIT_H

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where the log goes while captured, and the real stderr meanwhile. */
static FILE *unit_cap_file;
static int unit_cap_saved = -1;

/* Send fd 2 to a temporary file until unit_cap_end(). */
static inline void
unit_cap_begin(void)
{
	fflush(stderr);
	unit_cap_file = tmpfile();
	if (unit_cap_file == NULL) {
		perror("tmpfile");
		abort();
	}
	unit_cap_saved = dup(2);
	if (unit_cap_saved < 0 || dup2(fileno(unit_cap_file), 2) < 0) {
		perror("dup");
		abort();
	}
}

/*
 * Put stderr back and return what was logged meanwhile (caller frees).
 * Call it before asserting, so that cmocka's messages reach the terminal.
 */
static inline char *
unit_cap_end(void)
{
	long n;
	char *s;

	fflush(stderr);
	dup2(unit_cap_saved, 2);
	close(unit_cap_saved);
	unit_cap_saved = -1;
	n = lseek(fileno(unit_cap_file), 0, SEEK_END);
	s = malloc(n > 0 ? (size_t)n + 1 : 1);
	if (s == NULL)
		abort();
	if (n > 0 && pread(fileno(unit_cap_file), s, (size_t)n, 0) != n)
		abort();
	s[n > 0 ? n : 0] = '\0';
	fclose(unit_cap_file);
	unit_cap_file = NULL;
	return s;
}

/* A new directory under $TMPDIR or /tmp, its path in dir. */
static inline void
unit_tmpdir(char *dir, size_t size)
{
	const char *t = getenv("TMPDIR");

	snprintf(dir, size, "%s/otp-unit-XXXXXX", t != NULL && *t != '\0' ? t : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		abort();
	}
}

static inline int
unit_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* rm -rf dir. */
static inline void
unit_rmtree(const char *dir)
{
	nftw(dir, unit_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write len bytes of data to path (created or truncated, mode 0600). */
static inline void
unit_write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		perror(path);
		abort();
	}
	close(fd);
}

/* The whole file at path, NUL-terminated (caller frees), or NULL. */
static inline char *
unit_read_file(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *s;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = malloc((size_t)n + 1);
	if (s == NULL || fread(s, 1, (size_t)n, f) != (size_t)n)
		abort();
	s[n] = '\0';
	fclose(f);
	if (lenp != NULL)
		*lenp = (size_t)n;
	return s;
}

/* A copy of s without its NUL, so that ASan sees any read past len. */
static inline char *
unit_exact(const char *s, size_t len)
{
	char *p = malloc(len > 0 ? len : 1);

	if (p == NULL)
		abort();
	memcpy(p, s, len);
	return p;
}

#endif
