/*
 * Phone numbers parsed by libphonenumber.  The wrapper (lib/phonenumber.cc,
 * linked against libphonenumber, protobuf and ICU) is built as a shared
 * object and its bytes are part of this program (lib/number_so.S); on
 * first use they are written to an anonymous memory file (memfd_create)
 * and loaded from there.  So the program stays one file to drop into a
 * cgi-bin, with nothing to find at run time but the system's
 * libphonenumber, and loading that costs only the requests that parse a
 * number (about 12 ms of CPU here against 0.7 ms for a no-op program).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "number.h"

#ifdef MFD_EXEC
#define NUMBER_MFD_EXEC MFD_EXEC
#else
#define NUMBER_MFD_EXEC 0x0010U /* linux/memfd.h */
#endif

/* The wrapper's bytes (lib/number_so.S). */
extern const unsigned char number_so[];
extern const unsigned char number_so_end[];

static const struct phonenumber_api *number_loaded;

/* Write the wrapper into a memory file; its descriptor, or -1 (logged). */
static int
number_file(void)
{
	const unsigned char *p = number_so;
	size_t left = (size_t)(number_so_end - number_so);
	ssize_t w;
	int fd;

	/* Executable, said so where the kernel knows the flag (Linux 6.3). */
	if ((fd = memfd_create("otp-phonenumber.so", MFD_CLOEXEC | NUMBER_MFD_EXEC)) < 0 &&
	    errno == EINVAL)
		fd = memfd_create("otp-phonenumber.so", MFD_CLOEXEC);
	if (fd < 0) {
		log_msg("cannot load the phone number library: memfd_create: %s", strerror(errno));
		return -1;
	}
	while (left > 0) {
		if ((w = write(fd, p, left)) < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			log_msg("cannot load the phone number library: write: %s",
				w < 0 ? strerror(errno) : "nothing written");
			close(fd);
			return -1;
		}
		p += w;
		left -= (size_t)w;
	}
	return fd;
}

/*
 * The wrapper, loaded on the first call.  NULL after logging, with *why
 * (if not NULL) PHONE_FAILED when this process lacked the resources (a
 * later request may do better) or PHONE_UNAVAILABLE when the library
 * cannot be loaded at all.
 */
static const struct phonenumber_api *
number_load(int *why)
{
	const struct phonenumber_api *(*entry)(void);
	const struct phonenumber_api *api;
	char path[64];
	void *h;
	int fd;

	if (number_loaded != NULL)
		return number_loaded;
	if (why != NULL)
		*why = PHONE_FAILED;
	if ((fd = number_file()) < 0)
		return NULL;
	if (why != NULL)
		*why = PHONE_UNAVAILABLE;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	close(fd); /* the mapping stays */
	if (h == NULL) {
		/* Most often: libphonenumber8 is not installed. */
		log_msg("cannot load the phone number library: %s", dlerror());
		return NULL;
	}
	*(void **)&entry = dlsym(h, "phonenumber_entry");
	if (entry == NULL || (api = entry()) == NULL || api->abi != PHONENUMBER_ABI) {
		log_msg("cannot load the phone number library: not the wrapper this program was "
			"built with");
		dlclose(h);
		return NULL;
	}
	number_loaded = api;
	return api;
}

const struct phonenumber_api *
number_api(void)
{
	return number_load(NULL);
}

int
number_parse(const char *typed, const char *region, const char *calling_code,
	     struct phone_number *out)
{
	const struct phonenumber_api *api;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((api = number_load(&rc)) == NULL)
		return rc;
	if ((rc = api->parse(typed, region, calling_code, out)) == PHONE_FAILED)
		log_msg("cannot parse a phone number: libphonenumber failed (out of memory?)");
	return rc;
}

/* Whether c is an ASCII digit. */
static int
number_digit(char c)
{
	return c >= '0' && c <= '9';
}

void
number_display(const struct phone_number *n, char *out, size_t size)
{
	char cc[16];
	const char *s;
	size_t i, len, digits = 0, front, back = 3, seen = 0;
	int home = n->calling_code == n->home;

	if (size == 0)
		return;
	snprintf(cc, sizeof(cc), "+%d", n->calling_code);
	s = home ? n->national : n->international;
	len = strlen(s);
	if (len == 0 || len >= size) {
		snprintf(out, size, "%s", "+***");
		return;
	}
	for (i = 0; i < len; i++)
		digits += number_digit(s[i]);
	/* Abroad the country code shows, and one digit more; at home two. */
	front = home ? 2 : strlen(cc) - 1 + 1;
	/* At least three stars, whatever the length. */
	while (back > 0 && digits < front + back + 3)
		back--;
	while (front > 1 && digits < front + back + 3)
		front--;
	for (i = 0; i < len; i++) {
		out[i] = s[i];
		if (!number_digit(s[i]))
			continue;
		if (seen >= front && seen + back < digits)
			out[i] = '*';
		seen++;
	}
	out[len] = '\0';
}
