/*
 * Phone numbers parsed by libphonenumber.  The wrapper (lib/phonenumber.cc,
 * linked against libphonenumber, protobuf and ICU) is built as a shared
 * object and its bytes are part of this program (lib/number_so.S); on
 * first use they are written to an anonymous memory file (memfd_create)
 * and loaded from there.  So the program stays one file to drop into a
 * cgi-bin, with nothing to find at run time but the system's
 * libphonenumber, and loading that costs only the requests that parse a
 * number (about 12 ms of CPU here against 0.7 ms for a no-op program).
 *
 * A hardened kernel may refuse executable memory files (vm.memfd_noexec=2,
 * a seccomp filter, SELinux's execmem rules), or there is no /proc to
 * load one through.  Then the same wrapper is loaded as a file: beside the
 * program (a cgi-bin copy: lib/otp-phonenumber.so put next to
 * request.cgi), else from the library directory make install and the
 * Debian package put it in (OTP_PHONENUMBER_SO_DEFAULT).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "number.h"

#ifdef MFD_EXEC
#define NUMBER_MFD_EXEC MFD_EXEC
#else
#define NUMBER_MFD_EXEC 0x0010U /* linux/memfd.h */
#endif

#ifndef OTP_PHONENUMBER_SO_DEFAULT
#define OTP_PHONENUMBER_SO_DEFAULT "/usr/local/lib/otp/otp-phonenumber.so"
#endif
#define NUMBER_SO_NAME "otp-phonenumber.so"

/* The wrapper's bytes (lib/number_so.S). */
extern const unsigned char number_so[];
extern const unsigned char number_so_end[];

static const struct phonenumber_api *number_loaded;
/* Where it was loaded from: "" from memory, else the file's path. */
static char number_from[4096];

/*
 * Write the wrapper into a memory file; its descriptor, or -1 with why
 * (size bytes) saying what the kernel refused, and *scarce set when it
 * was this process's resources rather than a refusal.
 */
static int
number_memfd(char *why, size_t size, int *scarce)
{
	const unsigned char *p = number_so;
	size_t left = (size_t)(number_so_end - number_so);
	ssize_t w;
	int fd;

	/* Executable, said so where the kernel knows the flag (Linux 6.3). */
	if ((fd = memfd_create(NUMBER_SO_NAME, MFD_CLOEXEC | NUMBER_MFD_EXEC)) < 0 &&
	    errno == EINVAL)
		fd = memfd_create(NUMBER_SO_NAME, MFD_CLOEXEC);
	if (fd < 0) {
		*scarce = errno == EMFILE || errno == ENFILE || errno == ENOMEM;
		snprintf(why, size, "memfd_create: %s", strerror(errno));
		return -1;
	}
	while (left > 0) {
		if ((w = write(fd, p, left)) < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			*scarce = 1;
			snprintf(why, size, "write: %s",
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
 * The wrapper from a memory file: its handle, or NULL with why, and
 * *refused set when it is the host that will not have it (the kernel
 * refused the file or its mapping, or there is no /proc to load it
 * through) rather than, say, libphonenumber missing.
 */
static void *
number_open_memfd(char *why, size_t size, int *scarce, int *refused)
{
	char path[64];
	void *h;
	int fd;

	if ((fd = number_memfd(why, size, scarce)) < 0) {
		*refused = !*scarce;
		return NULL;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	close(fd); /* the mapping stays */
	if (h == NULL) {
		snprintf(why, size, "%s", dlerror());
		/* The wrapper itself could not be opened or mapped: not a
		 * library it needs ("libphonenumber.so.8: cannot open ..."). */
		*refused = !strncmp(why, path, strlen(path));
	}
	return h;
}

/*
 * The wrapper as a file: beside the program (the directory of the path it
 * was started by, when that is absolute: no /proc needed), else at
 * OTP_PHONENUMBER_SO_DEFAULT.  Its handle, or NULL with why (the last
 * error, or that there is none).
 */
static void *
number_open_file(char *why, size_t size, char *used, size_t used_size)
{
	const char *exe = (const char *)getauxval(AT_EXECFN), *slash;
	char beside[4096];
	const char *paths[2];
	size_t i, n = 0;
	void *h;

	if (exe != NULL && exe[0] == '/' && (slash = strrchr(exe, '/')) != NULL &&
	    snprintf(beside, sizeof(beside), "%.*s/" NUMBER_SO_NAME, (int)(slash - exe), exe) <
		(int)sizeof(beside))
		paths[n++] = beside;
	paths[n++] = OTP_PHONENUMBER_SO_DEFAULT;
	snprintf(why, size, "no %s beside the program or at %s", NUMBER_SO_NAME,
		 OTP_PHONENUMBER_SO_DEFAULT);
	for (i = 0; i < n; i++) {
		if (access(paths[i], F_OK) != 0)
			continue;
		if ((h = dlopen(paths[i], RTLD_NOW | RTLD_LOCAL)) != NULL) {
			snprintf(used, used_size, "%s", paths[i]);
			return h;
		}
		snprintf(why, size, "%s", dlerror());
	}
	return NULL;
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
	char mem[512], file[512], used[4096];
	int scarce = 0, refused = 0;
	void *h;

	if (number_loaded != NULL)
		return number_loaded;
	if (why != NULL)
		*why = PHONE_UNAVAILABLE;
	if ((h = number_open_memfd(mem, sizeof(mem), &scarce, &refused)) == NULL && !refused) {
		/* Out of descriptors or memory: a later request may do better.
		 * Else most often: libphonenumber8 is not installed. */
		if (why != NULL && scarce)
			*why = PHONE_FAILED;
		log_msg("cannot load the phone number library: %s", mem);
		return NULL;
	}
	if (h == NULL) {
		if ((h = number_open_file(file, sizeof(file), used, sizeof(used))) == NULL) {
			log_msg("cannot load the phone number library: the host refuses it from "
				"memory (%s: a kernel with vm.memfd_noexec=2, a seccomp filter, "
				"SELinux's execmem, or no /proc), and as a file: %s; make install "
				"puts lib/" NUMBER_SO_NAME " there, or copy it beside the program",
				mem, file);
			return NULL;
		}
		log_debug("phone number library loaded from %s (from memory: %s)", used, mem);
		snprintf(number_from, sizeof(number_from), "%s", used);
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

const char *
number_loaded_from(void)
{
	return number_load(NULL) == NULL ? NULL : number_from[0] != '\0' ? number_from : "memory";
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
