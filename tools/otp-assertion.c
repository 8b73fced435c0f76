/*
 * otp-assertion: the site's side of the hand-over, for sites that can
 * run a command (PHP's exec, a shell CGI, Python's subprocess).
 *
 *	otp-assertion [-r RETURN_TO] [-j JWKS] verify ASSERTION	  (or - for stdin)
 *		checks a v1 assertion's MAC with SIGNING_KEY, or a JWT
 *		(ASSERTION_FORMAT=jwt): its signature with the public halves
 *		of SIGNING_KEY_FILE's keys, or of the JWK Set in the file
 *		JWKS, else with SIGNING_KEY (HS256), and its iss and aud
 *		(ASSERTION_ISSUER, ASSERTION_AUDIENCE, else SITE_ORIGIN);
 *		then the age against RESULT_MAX_AGE, that it was not accepted
 *		before (its vid or jti is recorded in the database) and, with
 *		-r, that it was made for that return_to (the site's, holding
 *		a state of the visitor's session); prints the E.164 number
 *		and exits 0, or prints why not to stderr and exits 1.
 *	otp-assertion sign-phone NUMBER
 *		prints the phone_sig a site passes with phone= to fix the
 *		number to verify.
 *	otp-assertion sign-phone-jwt NUMBER
 *		prints a phone_jwt for it (HS256 with SIGNING_KEY, good for
 *		an hour), the same as a JWT.
 *
 * The keys and the database come from the same config file as the CGI
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
#include "eddsa.h"
#include "jwt.h"
#include "log.h"
#include "phone.h"
#include "store.h"

static int
usage(void)
{
	fputs("usage: otp-assertion [-c config] [-r return_to] [-j jwks.json] verify ASSERTION|-\n"
	      "       otp-assertion [-c config] sign-phone E164-NUMBER\n"
	      "       otp-assertion [-c config] sign-phone-jwt E164-NUMBER\n",
	      stderr);
	return 2;
}

/*
 * The keys a JWT is checked with into keys: the JWK Set in the file jwks,
 * else the public halves of SIGNING_KEY_FILE's keys, else SIGNING_KEY
 * (HS256).  Returns how many, or -1 after saying why.
 */
static int
verify_keys(const struct config *cfg, const char *jwks, struct jwt_key keys[JWT_KEYS_MAX])
{
	char buf[JWT_JWKS_MAX + 1], path[OTP_CONFIG_LINE], why[512];
	struct eddsa_key ed;
	size_t len, n = 0;
	FILE *f;
	int got;

	if (jwks != NULL) {
		if ((f = fopen(jwks, "r")) == NULL) {
			log_msg("cannot open %s", jwks);
			return -1;
		}
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		if (len > JWT_JWKS_MAX ||
		    (got = jwt_jwks_read(buf, len, keys, JWT_KEYS_MAX)) <= 0) {
			log_msg("%s is no JWK Set with an Ed25519 key", jwks);
			return -1;
		}
		return got;
	}
	if (cfg->signing_key_file == NULL) {
		if (cfg->signing_key == NULL) {
			log_msg("missing SIGNING_KEY_FILE or SIGNING_KEY in the config");
			return -1;
		}
		keys[0] = (struct jwt_key){.alg = JWT_HS256, .secret = cfg->signing_key};
		return 1;
	}
	while (n < JWT_KEYS_MAX && config_key_file(cfg, n, path, sizeof(path))) {
		if (eddsa_load(path, &ed, why, sizeof(why)) < 0) {
			log_msg("SIGNING_KEY_FILE: %s", why);
			return -1;
		}
		keys[n] = (struct jwt_key){.alg = JWT_EDDSA};
		memcpy(keys[n].pub, ed.pub, sizeof(ed.pub));
		memcpy(keys[n].kid, ed.kid, sizeof(ed.kid));
		eddsa_free(&ed);
		n++;
	}
	return (int)n;
}

/* Check s, v1 or JWT, into a.  0, 1 (rejected, said), or 2 (configuration). */
static int
verify_check(const struct config *cfg, const char *s, const char *jwks, time_t now,
	     struct assertion *a)
{
	struct jwt_key keys[JWT_KEYS_MAX];
	struct jwt_scope sc = {cfg->assertion_issuer, cfg->assertion_audience, cfg->result_max_age};
	const char *why;
	int n, rc;

	if (!strncmp(s, "v1.", 3)) {
		if (cfg->signing_key == NULL) {
			log_msg("missing SIGNING_KEY in the config (a v1 assertion)");
			return 2;
		}
		rc = assertion_check(cfg->signing_key, s, now, cfg->result_max_age, a, &why);
	} else if (cfg->assertion_format != FORMAT_JWT && jwks == NULL &&
		   cfg->signing_key_file == NULL) {
		/* A site on v1 takes nothing else. */
		why = "unknown version";
		rc = -1;
	} else {
		if (sc.iss == NULL)
			sc.iss = cfg->site_origin;
		if (sc.aud == NULL)
			sc.aud = cfg->site_origin;
		if (sc.iss == NULL || sc.aud == NULL) {
			log_msg(
			    "missing ASSERTION_ISSUER and ASSERTION_AUDIENCE (or SITE_ORIGIN) in "
			    "the config: a JWT's iss and aud are checked against them");
			return 2;
		}
		if ((n = verify_keys(cfg, jwks, keys)) < 0)
			return 2;
		rc = jwt_check(keys, (size_t)n, &sc, s, now, a, &why);
	}
	if (rc < 0) {
		fprintf(stderr, "otp-assertion: rejected: %s\n", why);
		return 1;
	}
	return 0;
}

/* verify: returns the exit status. */
static int
cmd_verify(const struct config *cfg, const char *arg, const char *return_to, const char *jwks)
{
	char buf[ASSERTION_MAX + 2];
	struct assertion a;
	struct store *st;
	time_t now = time(NULL);
	int rc;

	if (!strcmp(arg, "-")) {
		if (fgets(buf, sizeof(buf), stdin) == NULL)
			return usage();
		buf[strcspn(buf, "\r\n")] = '\0';
		arg = buf;
	}
	if ((rc = verify_check(cfg, arg, jwks, now, &a)) != 0)
		return rc;
	if (return_to != NULL && strcmp(return_to, a.return_to) != 0) {
		fputs("otp-assertion: rejected: made for another return_to\n", stderr);
		return 1;
	}
	/* Once only: the id (a v1's vid, a JWT's jti) is recorded. */
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

/* sign-phone, sign-phone-jwt: returns the exit status. */
static int
cmd_sign(const struct config *cfg, const char *phone, int jwt)
{
	char out[ASSERTION_MAX + 1];

	if (cfg->signing_key == NULL) {
		log_msg("missing SIGNING_KEY in the config");
		return 2;
	}
	if (!phone_is_e164(phone)) {
		fputs("otp-assertion: not an E.164 number (+ and 8 to 15 digits)\n", stderr);
		return 2;
	}
	if ((jwt ? jwt_phone_make(cfg->signing_key, phone, time(NULL) + OTP_HOUR, out, sizeof(out))
		 : assertion_phone_sig(cfg->signing_key, phone, out)) < 0)
		return 2;
	printf("%s\n", out);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct config cfg;
	const char *path = NULL, *return_to = NULL, *jwks = NULL;
	int ch, rc;

	log_init("otp-assertion");
	umask(077);
	while ((ch = getopt(argc, argv, "c:r:j:")) != -1) {
		if (ch == 'c')
			path = optarg;
		else if (ch == 'r')
			return_to = optarg;
		else if (ch == 'j')
			jwks = optarg;
		else
			return usage();
	}
	argc -= optind;
	argv += optind;
	if (argc != 2)
		return usage();
	if (config_load(&cfg, path != NULL ? path : config_path()) < 0)
		return 2;
	if (!strcmp(argv[0], "verify"))
		rc = cmd_verify(&cfg, argv[1], return_to, jwks);
	else if (!strcmp(argv[0], "sign-phone"))
		rc = cmd_sign(&cfg, argv[1], 0);
	else if (!strcmp(argv[0], "sign-phone-jwt"))
		rc = cmd_sign(&cfg, argv[1], 1);
	else
		rc = usage();
	config_free(&cfg);
	return rc;
}
