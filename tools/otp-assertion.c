/*
 * otp-assertion: the site's side of the hand-over, for sites that can
 * run a command (PHP's exec, a shell CGI, Python's subprocess).
 *
 *	otp-assertion [-r RETURN_TO] verify ASSERTION	  (or - for stdin)
 *		checks the MAC with SIGNING_KEY, the age against
 *		RESULT_MAX_AGE, that it was not accepted before (its id is
 *		recorded in the database) and, with -r, that it was made for
 *		that return_to (the site's, holding a state of the visitor's
 *		session); prints the E.164 number and exits 0, or prints why
 *		not to stderr and exits 1.
 *	otp-assertion sign-phone NUMBER
 *		prints the phone_sig a site passes with phone= to fix the
 *		number to verify.
 *
 * The key and the database come from the same config file as the CGI
 * programs ($OTP_CONFIG, else the built-in path, or -c FILE).  Exit 2:
 * usage or configuration error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "assertion.h"
#include "config.h"
#include "log.h"
#include "phone.h"
#include "store.h"

static int
usage(void)
{
	fputs("usage: otp-assertion [-c config] [-r return_to] verify ASSERTION|-\n"
	      "       otp-assertion [-c config] sign-phone E164-NUMBER\n",
	      stderr);
	return 2;
}

/* verify: returns the exit status. */
static int
cmd_verify(const struct config *cfg, const char *arg, const char *return_to)
{
	char buf[ASSERTION_MAX + 2];
	struct assertion a;
	struct store *st;
	const char *why;
	time_t now = time(NULL);
	int rc;

	if (!strcmp(arg, "-")) {
		if (fgets(buf, sizeof(buf), stdin) == NULL)
			return usage();
		buf[strcspn(buf, "\r\n")] = '\0';
		arg = buf;
	}
	if (assertion_check(cfg->signing_key, arg, now, cfg->result_max_age, &a, &why) < 0) {
		fprintf(stderr, "otp-assertion: rejected: %s\n", why);
		return 1;
	}
	if (return_to != NULL && strcmp(return_to, a.return_to) != 0) {
		fputs("otp-assertion: rejected: made for another return_to\n", stderr);
		return 1;
	}
	if ((st = store_open(config_database(cfg))) == NULL)
		return 2;
	rc = store_begin(st) == 0 ? store_mark_assertion(st, a.vid, now) : -1;
	if (rc < 0 || store_commit(st) < 0) {
		store_rollback(st);
		store_close(st);
		return 2;
	}
	store_close(st);
	if (rc == 0) {
		fputs("otp-assertion: rejected: already used\n", stderr);
		return 1;
	}
	printf("%s\n", a.phone);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct config cfg;
	const char *path = NULL, *return_to = NULL;
	char sig[2 * OTP_MAC_LEN + 1];
	int ch, rc;

	log_init("otp-assertion");
	umask(077);
	while ((ch = getopt(argc, argv, "c:r:")) != -1) {
		if (ch == 'c')
			path = optarg;
		else if (ch == 'r')
			return_to = optarg;
		else
			return usage();
	}
	argc -= optind;
	argv += optind;
	if (argc != 2)
		return usage();
	if (config_load(&cfg, path != NULL ? path : config_path()) < 0)
		return 2;
	if (cfg.signing_key == NULL) {
		log_msg("missing SIGNING_KEY in the config");
		config_free(&cfg);
		return 2;
	}
	if (!strcmp(argv[0], "verify"))
		rc = cmd_verify(&cfg, argv[1], return_to);
	else if (!strcmp(argv[0], "sign-phone")) {
		if (!phone_is_e164(argv[1]) ||
		    assertion_phone_sig(cfg.signing_key, argv[1], sig) < 0) {
			fputs("otp-assertion: not an E.164 number (+ and 8 to 15 digits)\n",
			      stderr);
			rc = 2;
		} else {
			printf("%s\n", sig);
			rc = 0;
		}
	} else
		rc = usage();
	config_free(&cfg);
	return rc;
}
