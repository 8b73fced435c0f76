/*
 * otp-admin: the operator's side, on the database the programs use (same
 * config file: $OTP_CONFIG, the built-in path, or -c FILE).
 *
 *	stats [--since DURATION] [--by prefix|country|hour] [--json]
 *	unlock NUMBER [--network NET]	end a number's locks and wrong-code counts
 *	locks [--json]			the numbers locked out, the networks behind each
 *	block PREFIX [--for DURATION]	refuse sends to a range, at once, everywhere
 *	unblock PREFIX
 *	blocks [--json]			the blocks in force (the breaker's too, with
 *					the networks behind them)
 *	forget NUMBER			erase every row about a number
 *	check-config			every problem of the config; 0 if the programs run
 *	keygen FILE			a new Ed25519 signing key in FILE (0600); prints its JWK
 *	jwks				the JWK Set of SIGNING_KEY_FILE's public keys
 *	report --html FILE [--since DURATION]
 *
 * A NUMBER is read as the programs read a typed one (libphonenumber, the
 * site's region). A DURATION is seconds, or a number with s, m, h, d or w.
 * Exit 0, 1 for a "no" (nothing to unblock, a config with problems), 2 for
 * usage or a failure (the database, the config).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "config.h"
#include "eddsa.h"
#include "jwt.h"
#include "limit.h"
#include "log.h"
#include "message.h"
#include "number.h"
#include "phone.h"
#include "store.h"

#define ADMIN_GROUPS     500 /* most groups a report or stats prints, most blocks listed */
#define ADMIN_LOCKS      500 /* most lockouts of each kind locks prints */
#define ADMIN_NETS       100 /* most networks read behind a block or lockout (--json) */
#define ADMIN_NETS_SHOWN 5   /* ... and shown in text, then "and N more" */

static const char admin_usage[] =
    "usage: otp-admin [-c FILE] stats [--since DURATION] [--by prefix|country|hour] [--json]\n"
    "       otp-admin [-c FILE] unlock NUMBER [--network NET]\n"
    "       otp-admin [-c FILE] locks [--json]\n"
    "       otp-admin [-c FILE] block PREFIX [--for DURATION]\n"
    "       otp-admin [-c FILE] unblock PREFIX\n"
    "       otp-admin [-c FILE] blocks [--json]\n"
    "       otp-admin [-c FILE] forget NUMBER\n"
    "       otp-admin [-c FILE] check-config\n"
    "       otp-admin keygen KEYFILE\n"
    "       otp-admin [-c FILE] jwks\n"
    "       otp-admin [-c FILE] report --html FILE [--since DURATION]\n"
    "DURATION: seconds, or a number with s, m, h, d or w (90m, 24h, 7d).\n"
    "NET: an address, or a network as locks shows it (203.0.113.0/24, 2001:db8:1::/48).\n";

static int
usage(void)
{
	fputs(admin_usage, stderr);
	return 2;
}

/* "90", "90s", "30m", "24h", "7d", "2w" in seconds; -1 if not that. */
static long
admin_duration(const char *s)
{
	char *end;
	long n, unit;

	errno = 0;
	n = strtol(s, &end, 10);
	if (end == s || errno != 0 || n < 0 || s[0] == '-' || s[0] == '+')
		return -1;
	switch (*end) {
	case '\0':
	case 's':
		unit = 1;
		break;
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'd':
		unit = 86400;
		break;
	case 'w':
		unit = 7 * 86400;
		break;
	default:
		return -1;
	}
	if (*end != '\0' && end[1] != '\0')
		return -1;
	if (n > 3650L * 86400 / unit)
		return -1;
	return n * unit;
}

/* A time as UTC ISO 8601 ("2026-12-02T05:00:00Z"). */
static const char *
admin_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "%lld", (long long)t);
	return buf;
}

/* Millionths as a decimal amount ("0.612000"). */
static const char *
admin_amount(long long micros, char *buf, size_t size)
{
	snprintf(buf, size, "%s%lld.%06lld", micros < 0 ? "-" : "", llabs(micros) / 1000000,
		 llabs(micros) % 1000000);
	return buf;
}

/* NUMBER as the programs read it, into e164.  0, or 2 after saying why. */
static int
admin_number(const struct config *cfg, const char *typed, char e164[OTP_PHONE_MAX + 1])
{
	struct phone_number n;

	switch (number_parse(typed, cfg->default_region, cfg->country_code, &n)) {
	case PHONE_OK:
		snprintf(e164, OTP_PHONE_MAX + 1, "%s", n.e164);
		return 0;
	case PHONE_NOT_A_NUMBER:
	case PHONE_INVALID:
		fprintf(stderr, "otp-admin: %s: not a phone number\n", typed);
		return 2;
	default:
		fprintf(stderr, "otp-admin: cannot read %s (libphonenumber)\n", typed);
		return 2;
	}
}

/*
 * NET as the limits count it (limit_net_key()), from an address or a
 * network as otp-admin locks shows it ("203.0.113.7", "203.0.113.0/24",
 * "2001:db8:1::/48"; "-" for clients of no known address), into net.
 * 0, or 2 after saying why.
 */
static int
admin_network(const char *typed, char net[OTP_NET_MAX + 1])
{
	const char *slash = strchr(typed, '/');
	size_t len = slash != NULL ? (size_t)(slash - typed) : strlen(typed);
	char addr[OTP_NET_MAX + 1];

	if (!strcmp(typed, "-")) {
		snprintf(net, OTP_NET_MAX + 1, "-");
		return 0;
	}
	if (len > 0 && len < sizeof(addr)) {
		memcpy(addr, typed, len);
		addr[len] = '\0';
		limit_net_key(addr, net, OTP_NET_MAX + 1);
		/* An address, and the length the limits count it by, if one is given. */
		if (strcmp(net, "-") != 0 && (slash == NULL || !strcmp(strchr(net, '/'), slash)))
			return 0;
	}
	fprintf(stderr,
		"otp-admin: %s: not a network (an address, or an IPv4 /24 or IPv6 /48 as "
		"otp-admin locks shows it)\n",
		typed);
	return 2;
}

/* A network as printed: "-" for the rows that have none. */
static const char *
admin_net(const char *net)
{
	return net[0] != '\0' ? net : "-";
}

/* Print o as JSON and free it.  0, or 2. */
static int
admin_json(cJSON *o)
{
	char *text = cJSON_Print(o);

	cJSON_Delete(o);
	if (text == NULL)
		return 2;
	printf("%s\n", text);
	cJSON_free(text);
	return 0;
}

/*
 * The networks behind a block or lockout: in text, each on an indented
 * line with its count of unit (one) or units (more), the first
 * ADMIN_NETS_SHOWN of them, then how many more; in JSON (o not NULL),
 * "networks" (each network and its count) and "more".
 */
static void
admin_nets(cJSON *o, const struct store_net *nets, int n, long total, const char *unit,
	   const char *units)
{
	cJSON *a;
	int i;

	if (total < n)
		total = n;
	if (o != NULL) {
		a = cJSON_AddArrayToObject(o, "networks");
		for (i = 0; i < n; i++) {
			cJSON *r = cJSON_CreateObject();

			cJSON_AddStringToObject(r, "network", admin_net(nets[i].net));
			cJSON_AddNumberToObject(r, "count", (double)nets[i].n);
			cJSON_AddItemToArray(a, r);
		}
		cJSON_AddNumberToObject(o, "more", (double)(total - n));
		return;
	}
	for (i = 0; i < n && i < ADMIN_NETS_SHOWN; i++)
		printf("    %-18s %ld %s\n", admin_net(nets[i].net), nets[i].n,
		       nets[i].n == 1 ? unit : units);
	if (total > i)
		printf("    and %ld more network%s\n", total - i, total - i == 1 ? "" : "s");
}

/* The store, or NULL after the store logged why. */
static struct store *
admin_store(const struct config *cfg)
{
	return store_open(config_database(cfg));
}

/* Run fn in one immediate transaction.  0, or 2 (logged). */
static int
admin_tx(struct store *st, int (*fn)(struct store *, void *), void *arg)
{
	if (store_begin(st) < 0)
		return 2;
	if (fn(st, arg) < 0 || store_commit(st) < 0) {
		store_rollback(st);
		return 2;
	}
	return 0;
}

static int
admin_purge_tx(struct store *st, void *arg)
{
	const struct config *cfg = arg;
	int i;

	/* A batch per table per call: a few, for a site that had none in a while. */
	for (i = 0; i < 20; i++)
		if (store_purge(st, time(NULL), (long)cfg->retention_days * 86400) < 0)
			return -1;
	return 0;
}

/* ---- check-config --------------------------------------------------------- */

/*
 * CA_FILE as libcurl will load it (OpenSSL's X509_STORE_load_file(), the
 * same library): a file that cannot be read, or holds no certificate,
 * fails every send.  Returns 0, or 1 after logging the problem.  Here and
 * not in lib/: the X.509 code it pulls in would weigh on every start of
 * request.cgi.
 */
static int
admin_check_ca_file(const char *path, const char *ca_file)
{
	X509_STORE *store = X509_STORE_new();
	STACK_OF(X509_OBJECT) *objs;
	const char *why;
	struct stat st;
	int i, n = 0, bad = 1;

	if (store == NULL) {
		log_msg("%s: CA_FILE: out of memory", path);
		return 1;
	}
	ERR_clear_error();
	if (stat(ca_file, &st) < 0 || access(ca_file, R_OK) < 0)
		log_msg("%s: CA_FILE %s cannot be read: %s", path, ca_file, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		log_msg("%s: CA_FILE %s is not a file", path, ca_file);
	else if (X509_STORE_load_file(store, ca_file) != 1) {
		why = ERR_reason_error_string(ERR_peek_last_error());
		log_msg("%s: CA_FILE %s holds no PEM certificate that can be read (%s)", path,
			ca_file, why != NULL ? why : "no reason given");
	} else {
		objs = X509_STORE_get0_objects(store);
		for (i = 0; i < sk_X509_OBJECT_num(objs); i++)
			if (X509_OBJECT_get_type(sk_X509_OBJECT_value(objs, i)) == X509_LU_X509)
				n++;
		if (n == 0)
			log_msg("%s: CA_FILE %s holds no certificate", path, ca_file);
		else
			bad = 0;
	}
	ERR_clear_error();
	X509_STORE_free(store);
	return bad;
}

/*
 * The file's problems, every one logged (config_lint()), then, when it
 * has none, each language's (message_lint()).  Returns how many, or -1
 * if the file cannot be read.
 */
static int
admin_check_file(const char *path)
{
	struct config cfg;
	int problems = config_lint(&cfg, path);

	if (problems == 0) {
		problems = message_lint(&cfg, path);
		config_free(&cfg);
	}
	return problems;
}

/*
 * Each key of SIGNING_KEY_FILE as the programs read it when they sign
 * (eddsa_load()): missing, unreadable, open to group or others, not
 * Ed25519.  Returns the problems (logged, each with its file).
 */
static int
admin_check_keys(const char *path, const struct config *cfg)
{
	char file[OTP_CONFIG_LINE], why[512];
	struct eddsa_key k;
	int bad = 0;
	size_t i;

	for (i = 0; config_key_file(cfg, i, file, sizeof(file)); i++) {
		if (eddsa_load(file, &k, why, sizeof(why)) < 0) {
			log_msg("%s: SIGNING_KEY_FILE: %s", path, why);
			bad++;
		} else
			eddsa_free(&k);
	}
	return bad;
}

/* keygen: a new key at file, its JWK printed.  Returns the exit status. */
static int
cmd_keygen(const char *file)
{
	struct eddsa_key k;
	char why[512], *jwk;

	if (eddsa_generate(file, &k, why, sizeof(why)) < 0) {
		log_msg("%s", why);
		return 2;
	}
	jwk = jwt_jwks(&k, 1, 1);
	eddsa_free(&k);
	if (jwk == NULL)
		return 2;
	fputs(jwk, stdout);
	free(jwk);
	fprintf(stderr,
		"otp-admin: wrote %s (mode 0600); name it in SIGNING_KEY_FILE, first to sign "
		"with it, after the first to publish it before it signs\n",
		file);
	return 0;
}

/* jwks: the JWK Set of SIGNING_KEY_FILE.  Returns the exit status. */
static int
cmd_jwks(const struct config *cfg)
{
	struct eddsa_key keys[OTP_SIGNING_KEYS_MAX];
	char file[OTP_CONFIG_LINE], why[512], *set;
	size_t i, count = 0;
	int rc = 2;

	if (cfg->signing_key_file == NULL) {
		log_msg("%s: no SIGNING_KEY_FILE: nothing to publish", cfg->path);
		return 1;
	}
	while (count < OTP_SIGNING_KEYS_MAX && config_key_file(cfg, count, file, sizeof(file))) {
		if (eddsa_load(file, &keys[count], why, sizeof(why)) < 0) {
			log_msg("SIGNING_KEY_FILE: %s", why);
			goto out;
		}
		count++;
	}
	if ((set = jwt_jwks(keys, count, 0)) != NULL) {
		fputs(set, stdout);
		free(set);
		rc = 0;
	}
out:
	for (i = 0; i < count; i++)
		eddsa_free(&keys[i]);
	return rc;
}

/*
 * What admin_check_file() cannot see from the file alone: DATABASE_URL as
 * libpq reads it (a malformed one would fail every request), CA_FILE as
 * libcurl reads it, and the phone number library.  The problems found
 * (logged, never the URL).
 */
static int
admin_check_loaded(const char *path)
{
	struct config cfg;
	const char *from;
	char why[256];
	int bad = 0;

	if (config_load(&cfg, path) < 0)
		return 0; /* admin_check_file() said why */
	if (cfg.database_url != NULL && store_url_check(cfg.database_url, why, sizeof(why)) < 0) {
		log_msg("%s: DATABASE_URL %s", path, why);
		bad = 1;
	}
	if (cfg.ca_file != NULL)
		bad += admin_check_ca_file(path, cfg.ca_file);
	bad += admin_check_keys(path, &cfg);
	/* Sending parses numbers: the library must load here (logged if not). */
	if ((from = number_loaded_from()) == NULL)
		bad++;
	else if (strcmp(from, "memory") != 0)
		log_msg("warning: this host refuses to load the phone number library from memory "
			"(see the DEBUG log); it is loaded from %s",
			from);
	config_free(&cfg);
	return bad;
}

/* ---- unlock, forget ---------------------------------------------------- */

struct admin_unlock {
	const char *phone;
	const char *net; /* NULL: every network */
	long verifications, failures;
};

static int
admin_unlock_tx(struct store *st, void *arg)
{
	struct admin_unlock *u = arg;

	return store_unlock(st, u->phone, u->net, &u->verifications, &u->failures);
}

/* unlock NUMBER, of every network or (typed_net not NULL) of one. */
static int
cmd_unlock(const struct config *cfg, struct store *st, const char *typed, const char *typed_net)
{
	struct admin_unlock u = {0};
	char e164[OTP_PHONE_MAX + 1], masked[OTP_PHONE_MAX + 1], net[OTP_NET_MAX + 1];
	int rc;

	if ((rc = admin_number(cfg, typed, e164)) != 0 ||
	    (typed_net != NULL && (rc = admin_network(typed_net, net)) != 0))
		return rc;
	u.phone = e164;
	u.net = typed_net != NULL ? net : NULL;
	if ((rc = admin_tx(st, admin_unlock_tx, &u)) != 0)
		return rc;
	phone_mask(e164, masked, sizeof(masked));
	log_audit("unlocked", masked, NULL, NULL, "network=%s verifications=%ld failures=%ld",
		  u.net != NULL ? u.net : "all", u.verifications, u.failures);
	printf("%s%s%s: %ld verification%s unlocked, %ld wrong code%s forgotten\n", masked,
	       u.net != NULL ? " from " : "", u.net != NULL ? u.net : "", u.verifications,
	       u.verifications == 1 ? "" : "s", u.failures, u.failures == 1 ? "" : "s");
	return 0;
}

/* ---- locks --------------------------------------------------------------- */

/* By number, then kind, then network: a number's lockouts together. */
static int
admin_lock_cmp(const void *a, const void *b)
{
	const struct store_lock *x = a, *y = b;
	int c = strcmp(x->phone, y->phone);

	if (c == 0)
		c = (int)x->kind - (int)y->kind;
	return c != 0 ? c : strcmp(x->net, y->net);
}

/*
 * The numbers locked out now, each lockout with the limit that makes it,
 * when it ends and the networks behind it: the one it holds for, or, for
 * a limit over every network, those whose rows it counted.
 */
static int
cmd_locks(const struct config *cfg, struct store *st, int json)
{
	/* What each kind counts, for the words of the text. */
	static const char *const unit[][2] = {
	    [LOCK_NET_FAILURES] = {"wrong code", "wrong codes"},
	    [LOCK_FAILURES] = {"wrong code", "wrong codes"},
	    [LOCK_CODE] = {"locked code", "locked codes"},
	    [LOCK_NET_TEXTS] = {"text", "texts"},
	    [LOCK_TEXTS] = {"text", "texts"},
	};
	static struct store_lock locks[LIMIT_LOCKOUTS * ADMIN_LOCKS];
	static struct store_net nets[ADMIN_NETS];
	struct limit_lockout kinds[LIMIT_LOCKOUTS];
	const time_t now = time(NULL);
	char masked[OTP_PHONE_MAX + 1], until[32];
	cJSON *o = NULL, *list = NULL;
	int n = 0, k, i;
	long total;

	limit_lockouts(cfg, kinds);
	for (i = 0; i < LIMIT_LOCKOUTS; i++) {
		if ((k = store_locks(st, kinds[i].kind, now, kinds[i].window, kinds[i].max,
				     locks + n, ADMIN_LOCKS)) < 0)
			return 2;
		if (k == ADMIN_LOCKS)
			fprintf(stderr, "otp-admin: %s: the first %d numbers only\n", kinds[i].name,
				ADMIN_LOCKS);
		n += k;
	}
	qsort(locks, (size_t)n, sizeof(locks[0]), admin_lock_cmp);
	if (json) {
		o = cJSON_CreateObject();
		list = cJSON_AddArrayToObject(o, "locks");
	}
	for (i = 0; i < n; i++) {
		const struct store_lock *l = &locks[i];
		const struct limit_lockout *why = &kinds[l->kind];
		cJSON *r = NULL;

		/* A limit of every network: its networks; else the one it holds for. */
		if (l->kind == LOCK_FAILURES || l->kind == LOCK_TEXTS) {
			if ((k = store_lock_nets(st, l->kind, l->phone, now - why->window, nets,
						 ADMIN_NETS, &total)) < 0) {
				cJSON_Delete(o);
				return 2;
			}
		} else {
			snprintf(nets[0].net, sizeof(nets[0].net), "%s", l->net);
			nets[0].n = l->n;
			k = 1;
			total = 1;
		}
		phone_mask(l->phone, masked, sizeof(masked));
		admin_time(l->ends, until, sizeof(until));
		if (json) {
			r = cJSON_CreateObject();
			cJSON_AddStringToObject(r, "number", masked);
			cJSON_AddStringToObject(r, "kind", why->name);
			cJSON_AddNumberToObject(r, "count", (double)l->n);
			cJSON_AddStringToObject(r, "until", until);
			cJSON_AddItemToArray(list, r);
		} else
			printf("%-16s until %s  %-19s %ld %s\n", masked, until, why->name, l->n,
			       unit[l->kind][l->n != 1]);
		admin_nets(r, nets, k, total, unit[l->kind][0], unit[l->kind][1]);
	}
	return json ? admin_json(o) : 0;
}

struct admin_forget {
	const char *phone;
	struct store_forgotten out;
};

static int
admin_forget_tx(struct store *st, void *arg)
{
	struct admin_forget *f = arg;

	return store_forget(st, f->phone, &f->out);
}

static int
cmd_forget(const struct config *cfg, struct store *st, const char *typed)
{
	struct admin_forget f;
	char e164[OTP_PHONE_MAX + 1], masked[OTP_PHONE_MAX + 1];
	int rc;

	if ((rc = admin_number(cfg, typed, e164)) != 0)
		return rc;
	f.phone = e164;
	if ((rc = admin_tx(st, admin_forget_tx, &f)) != 0)
		return rc;
	phone_mask(e164, masked, sizeof(masked));
	log_audit("forgotten", masked, NULL, NULL,
		  "verification=%ld send=%ld failure=%ld message=%ld verified=%ld block=%ld "
		  "assertion=%ld call=%ld",
		  f.out.verification, f.out.send, f.out.failure, f.out.message, f.out.verified,
		  f.out.block, f.out.assertion, f.out.call);
	printf("%s: removed %ld verifications, %ld sends, %ld wrong codes, %ld messages, "
	       "%ld codes verified, %ld blocks, %ld assertions, %ld calls\n",
	       masked, f.out.verification, f.out.send, f.out.failure, f.out.message, f.out.verified,
	       f.out.block, f.out.assertion, f.out.call);
	return 0;
}

/* ---- blocks -------------------------------------------------------------- */

static int
admin_block_tx(struct store *st, void *arg)
{
	return store_block_set(st, arg);
}

static int
cmd_block(struct store *st, const char *prefix, long seconds)
{
	struct store_block b;
	char until[32];
	int rc;

	if (!phone_prefix_ok(prefix)) {
		fprintf(stderr,
			"otp-admin: %s: a prefix is + and 1 to %d digits (+1876, +1202555)\n",
			prefix, OTP_PREFIX_MAX - 1);
		return 2;
	}
	memset(&b, 0, sizeof(b));
	snprintf(b.prefix, sizeof(b.prefix), "%s", prefix);
	b.created = time(NULL);
	b.until = b.created + seconds;
	snprintf(b.reason, sizeof(b.reason), "operator");
	if ((rc = admin_tx(st, admin_block_tx, &b)) != 0)
		return rc;
	log_audit("blocked", NULL, NULL, NULL, "prefix=%s until=%s", prefix,
		  admin_time(b.until, until, sizeof(until)));
	printf("%s blocked until %s\n", prefix, until);
	return 0;
}

struct admin_unblock {
	const char *prefix;
	int found;
};

static int
admin_unblock_tx(struct store *st, void *arg)
{
	struct admin_unblock *u = arg;

	return (u->found = store_block_end(st, u->prefix, time(NULL))) < 0 ? -1 : 0;
}

static int
cmd_unblock(struct store *st, const char *prefix)
{
	struct admin_unblock u = {prefix, 0};
	int rc;

	if (!phone_prefix_ok(prefix)) {
		fprintf(stderr, "otp-admin: %s: not a prefix\n", prefix);
		return 2;
	}
	if ((rc = admin_tx(st, admin_unblock_tx, &u)) != 0)
		return rc;
	if (!u.found) {
		fprintf(stderr, "otp-admin: %s is not blocked\n", prefix);
		return 1;
	}
	log_audit("unblocked", NULL, NULL, NULL, "prefix=%s", prefix);
	printf("%s unblocked\n", prefix);
	return 0;
}

/*
 * The blocks in force, each with the networks behind it: for the
 * breaker's, those whose texts it counted as not verified when it made
 * the block, the most texts first; the operator's have none.
 */
static int
cmd_blocks(const struct config *cfg, struct store *st, int json)
{
	static struct store_block b[ADMIN_GROUPS];
	static struct store_net nets[ADMIN_NETS];
	char until[32], created[32];
	cJSON *o = NULL, *list = NULL;
	int n, k, i;
	long total;

	if ((n = store_blocks(st, time(NULL), b, ADMIN_GROUPS)) < 0)
		return 2;
	if (json) {
		o = cJSON_CreateObject();
		list = cJSON_AddArrayToObject(o, "blocks");
	}
	for (i = 0; i < n; i++) {
		cJSON *r = NULL;

		if ((k = store_block_nets(st, &b[i], cfg->conversion_window, cfg->conversion_grace,
					  nets, ADMIN_NETS, &total)) < 0) {
			cJSON_Delete(o);
			return 2;
		}
		admin_time(b[i].until, until, sizeof(until));
		admin_time(b[i].created, created, sizeof(created));
		if (json) {
			r = cJSON_CreateObject();
			cJSON_AddStringToObject(r, "prefix", b[i].prefix);
			cJSON_AddStringToObject(r, "until", until);
			cJSON_AddStringToObject(r, "reason", b[i].reason);
			cJSON_AddStringToObject(r, "since", created);
			cJSON_AddItemToArray(list, r);
		} else
			printf("%-13s until %s  %-10s since %s\n", b[i].prefix, until, b[i].reason,
			       created);
		admin_nets(r, nets, k, total, "text not verified", "texts not verified");
	}
	return json ? admin_json(o) : 0;
}

/* ---- stats --------------------------------------------------------------- */

/* verified / sent in percent, 0 with no sends. */
static double
admin_rate(long verified, long sent)
{
	return sent > 0 ? 100.0 * (double)verified / (double)sent : 0.0;
}

/* The channels as stats and the report name them (enum store_channel). */
static const char *const admin_channel[STORE_CHANNELS] = {
    [STORE_CH_SMS] = "sms",
    [STORE_CH_VOICE] = "voice",
    [STORE_CH_INBOUND] = "inbound",
};

/* How calls ended (struct store_call_ends), in its order: the JSON key
 * (and the report's ids), the words of the text. */
#define ADMIN_ENDS 6
static const struct {
	const char *key, *words;
} admin_end[ADMIN_ENDS] = {
    {"answered", "answered"}, {"no_answer", "no answer"}, {"busy", "busy"},
    {"rejected", "rejected"}, {"machine", "machine"},     {"other", "other"},
};

/* What stats and the report show per channel. */
struct admin_channels {
	struct store_channel_count ch[STORE_CHANNELS];
	long ends[ADMIN_ENDS]; /* the calls, by admin_end[] */
	long calls;            /* all of them */
};

/* The counts per channel after since into c.  0, or -1 (logged). */
static int
admin_channels(struct store *st, time_t since, struct admin_channels *c)
{
	struct store_call_ends e;
	int i;

	if (store_channels(st, since, c->ch) < 0 || store_call_ends(st, since, &e) < 0)
		return -1;
	c->ends[0] = e.answered;
	c->ends[1] = e.no_answer;
	c->ends[2] = e.busy;
	c->ends[3] = e.rejected;
	c->ends[4] = e.machine;
	c->ends[5] = e.other;
	for (c->calls = 0, i = 0; i < ADMIN_ENDS; i++)
		c->calls += c->ends[i];
	return 0;
}

/* "channels" of stats --json: each channel's counts, the calls' ends in voice. */
static void
admin_channels_json(cJSON *o, const struct admin_channels *c)
{
	cJSON *channels = cJSON_AddObjectToObject(o, "channels"), *calls;
	int i, j;

	for (i = 0; i < STORE_CHANNELS; i++) {
		const struct store_channel_count *n = &c->ch[i];
		cJSON *r = cJSON_AddObjectToObject(channels, admin_channel[i]);

		cJSON_AddNumberToObject(r, "sent", (double)n->sent);
		cJSON_AddNumberToObject(r, "verified", (double)n->verified);
		cJSON_AddNumberToObject(r, "conversion",
					n->sent > 0 ? (double)n->verified / (double)n->sent : 0.0);
		if (i != STORE_CH_VOICE)
			continue;
		calls = cJSON_AddObjectToObject(r, "calls");
		for (j = 0; j < ADMIN_ENDS; j++)
			cJSON_AddNumberToObject(calls, admin_end[j].key, (double)c->ends[j]);
	}
}

/* The channels in text: a table, and how the calls ended when there were any. */
static void
admin_channels_text(const struct admin_channels *c)
{
	int i;

	printf("\n%-20s %8s %8s %10s\n", "channel", "sent", "verified", "conversion");
	for (i = 0; i < STORE_CHANNELS; i++)
		printf("%-20s %8ld %8ld %9.1f%%\n", admin_channel[i], c->ch[i].sent,
		       c->ch[i].verified, admin_rate(c->ch[i].verified, c->ch[i].sent));
	if (c->calls == 0)
		return;
	printf("calls:");
	for (i = 0; i < ADMIN_ENDS; i++)
		printf(" %s %ld%s", admin_end[i].words, c->ends[i], i + 1 < ADMIN_ENDS ? "," : "");
	printf("\n");
}

static int
admin_stats_json(const struct config *cfg, time_t since, const struct store_totals *t,
		 const struct admin_channels *c, const struct store_group_row *g, int ng,
		 const struct store_group_row *k, int nk)
{
	cJSON *o = cJSON_CreateObject(), *total, *groups, *kinds;
	char buf[32];
	int i;

	cJSON_AddStringToObject(o, "since", admin_time(since, buf, sizeof(buf)));
	total = cJSON_AddObjectToObject(o, "total");
	cJSON_AddNumberToObject(total, "sent", (double)t->sent);
	cJSON_AddNumberToObject(total, "verified", (double)t->verified);
	cJSON_AddNumberToObject(total, "delivered", (double)t->delivered);
	cJSON_AddNumberToObject(total, "failed", (double)t->failed);
	cJSON_AddNumberToObject(total, "refused", (double)t->refused);
	cJSON_AddNumberToObject(total, "conversion",
				t->sent > 0 ? (double)t->verified / (double)t->sent : 0.0);
	cJSON_AddStringToObject(total, "spend", admin_amount(t->spend, buf, sizeof(buf)));
	cJSON_AddStringToObject(total, "currency", cfg->spend_currency);
	kinds = cJSON_AddObjectToObject(o, "refused_by_kind");
	for (i = 0; i < nk; i++)
		cJSON_AddNumberToObject(kinds, k[i].key, (double)k[i].sent);
	groups = cJSON_AddArrayToObject(o, "groups");
	for (i = 0; i < ng; i++) {
		cJSON *r = cJSON_CreateObject();

		cJSON_AddStringToObject(r, "key", g[i].key);
		cJSON_AddNumberToObject(r, "sent", (double)g[i].sent);
		cJSON_AddNumberToObject(r, "verified", (double)g[i].verified);
		cJSON_AddNumberToObject(r, "conversion",
					g[i].sent > 0 ? (double)g[i].verified / (double)g[i].sent
						      : 0.0);
		cJSON_AddNumberToObject(r, "refused", (double)g[i].refused);
		cJSON_AddItemToArray(groups, r);
	}
	admin_channels_json(o, c);
	return admin_json(o);
}

static int
cmd_stats(const struct config *cfg, struct store *st, long since_s, enum store_group by, int json)
{
	static const char *const by_name[] = {[GROUP_PREFIX] = "prefix",
					      [GROUP_COUNTRY] = "country",
					      [GROUP_HOUR] = "hour",
					      [GROUP_DAY] = "day"};
	static struct store_group_row g[ADMIN_GROUPS], k[32];
	time_t since = time(NULL) - since_s;
	struct store_totals t;
	struct admin_channels c;
	char buf[32], amount[32];
	int ng, nk, i;

	if (store_totals(st, since, cfg->spend_currency, &t) < 0 ||
	    (ng = store_groups(st, since, by, cfg->spend_currency, g, ADMIN_GROUPS)) < 0 ||
	    (nk = store_refusal_kinds(st, since, k, 32)) < 0 || admin_channels(st, since, &c) < 0)
		return 2;
	if (json)
		return admin_stats_json(cfg, since, &t, &c, g, ng, k, nk);
	printf("since %s\n", admin_time(since, buf, sizeof(buf)));
	printf(
	    "sent %ld  delivered %ld  failed %ld  verified %ld  conversion %.1f%%  refused %ld\n",
	    t.sent, t.delivered, t.failed, t.verified, admin_rate(t.verified, t.sent), t.refused);
	printf("spend %s %s reported by Telnyx for %ld texts\n",
	       admin_amount(t.spend, amount, sizeof(amount)), cfg->spend_currency, t.costed);
	if (nk > 0) {
		printf("refused by kind:");
		for (i = 0; i < nk; i++)
			printf(" %s %ld%s", k[i].key, k[i].sent, i + 1 < nk ? "," : "");
		printf("\n");
	}
	admin_channels_text(&c);
	printf("\n%-20s %8s %8s %10s %8s\n", by_name[by], "sent", "verified", "conversion",
	       "refused");
	for (i = 0; i < ng; i++)
		printf("%-20s %8ld %8ld %9.1f%% %8ld\n", g[i].key[0] != '\0' ? g[i].key : "-",
		       g[i].sent, g[i].verified, admin_rate(g[i].verified, g[i].sent),
		       g[i].refused);
	return 0;
}

/* ---- report --------------------------------------------------------------- */

/* s for HTML text and attributes. */
static void
admin_html(FILE *f, const char *s)
{
	for (; *s != '\0'; s++)
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
}

/* One series of a bar chart. */
struct admin_series {
	const char *name;  /* data-series */
	const char *color; /* fill */
	double value[ADMIN_GROUPS];
};

/*
 * A bar chart as inline SVG: n groups (labels), one bar per series in
 * each, scaled to the largest value; every bar carries data-series,
 * data-key and data-value, and a <title> for the mouse.
 */
static void
admin_chart(FILE *f, const char *id, const char *title, const char *const *labels, int n,
	    const struct admin_series *series, int ns, const char *unit)
{
	const int h = 270, left = 48, bottom = 110, top = 16;
	int w, i, j, bar;
	double max = 0;

	for (j = 0; j < ns; j++)
		for (i = 0; i < n; i++)
			if (series[j].value[i] > max)
				max = series[j].value[i];
	bar = n > 0 && n * ns * 14 > 640 ? 6 : 12;
	w = left + n * (ns * bar + 8) + 16;
	if (w < 320)
		w = 320;
	fprintf(f, "<section>\n<h2>");
	admin_html(f, title);
	fprintf(f, "</h2>\n");
	if (n == 0) {
		fprintf(f, "<p class=\"none\" id=\"%s\">Nothing in this period.</p>\n</section>\n",
			id);
		return;
	}
	fprintf(f,
		"<svg id=\"%s\" role=\"img\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"xmlns=\"http://www.w3.org/2000/svg\">\n",
		id, w, h, w, h);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n", left,
		h - bottom, w - 8, h - bottom);
	fprintf(f, "<text x=\"4\" y=\"%d\" font-size=\"11\">%g%s</text>\n", top + 4, max, unit);
	for (i = 0; i < n; i++) {
		int x = left + 4 + i * (ns * bar + 8);

		for (j = 0; j < ns; j++) {
			double v = series[j].value[i];
			int bh = max > 0 ? (int)((double)(h - bottom - top) * v / max + 0.5) : 0;

			fprintf(f,
				"<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" "
				"data-series=\"%s\" data-key=\"",
				x + j * bar, h - bottom - bh, bar - 1, bh, series[j].color,
				series[j].name);
			admin_html(f, labels[i]);
			fprintf(f, "\" data-value=\"%g\"><title>", v);
			admin_html(f, labels[i]);
			fprintf(f, ": %s %g%s</title></rect>\n", series[j].name, v, unit);
		}
		fprintf(f,
			"<text x=\"%d\" y=\"%d\" font-size=\"10\" "
			"transform=\"rotate(60 %d %d)\">",
			x, h - bottom + 12, x, h - bottom + 12);
		admin_html(f, labels[i]);
		fprintf(f, "</text>\n");
	}
	fprintf(f, "</svg>\n<p class=\"legend\">");
	for (j = 0; j < ns; j++)
		fprintf(f, "<span style=\"color:%s\">&#9632;</span> %s ", series[j].color,
			series[j].name);
	fprintf(f, "</p>\n</section>\n");
}

/*
 * The channels in the report: a table (id "channels"; each count's cell
 * "sms-sent", "voice-verified", "inbound-conversion", ...), and how the
 * calls ended (id "calls"; its cells "calls-answered", "calls-no_answer",
 * ...), or, with no calls, a line saying so (id "calls").
 */
static void
admin_channels_html(FILE *f, const struct admin_channels *c)
{
	int i;

	fprintf(f, "<section>\n<h2>Per channel</h2>\n<table id=\"channels\">\n<tr><th>channel</th>"
		   "<th>sent</th><th>verified</th><th>conversion</th></tr>\n");
	for (i = 0; i < STORE_CHANNELS; i++) {
		const char *name = admin_channel[i];

		fprintf(
		    f,
		    "<tr id=\"channel-%s\"><th>%s</th><td id=\"%s-sent\">%ld</td>"
		    "<td id=\"%s-verified\">%ld</td><td id=\"%s-conversion\">%.1f%%</td></tr>\n",
		    name, name, name, c->ch[i].sent, name, c->ch[i].verified, name,
		    admin_rate(c->ch[i].verified, c->ch[i].sent));
	}
	fprintf(f, "</table>\n<h2>How the calls ended</h2>\n");
	if (c->calls == 0) {
		fprintf(
		    f, "<p class=\"none\" id=\"calls\">No calls in this period.</p>\n</section>\n");
		return;
	}
	fprintf(f, "<table id=\"calls\">\n");
	for (i = 0; i < ADMIN_ENDS; i++)
		fprintf(f, "<tr><th>%s</th><td id=\"calls-%s\">%ld</td></tr>\n", admin_end[i].words,
			admin_end[i].key, c->ends[i]);
	fprintf(f, "</table>\n</section>\n");
}

static int
cmd_report(const struct config *cfg, struct store *st, const char *path, long since_s)
{
	static struct store_group_row hours[ADMIN_GROUPS], prefixes[ADMIN_GROUPS],
	    days[ADMIN_GROUPS], kinds[32];
	static struct admin_series s[2];
	static const char *labels[ADMIN_GROUPS];
	time_t now = time(NULL), since = now - since_s;
	struct store_totals t;
	struct admin_channels c;
	char a[32], b[32], tmp[PATH_MAX];
	int nh, np, nd, nk, i, fd, bad;
	FILE *f;

	if (store_totals(st, since, cfg->spend_currency, &t) < 0 ||
	    (nh = store_groups(st, since, GROUP_HOUR, cfg->spend_currency, hours, ADMIN_GROUPS)) <
		0 ||
	    (np = store_groups(st, since, GROUP_PREFIX, cfg->spend_currency, prefixes, 30)) < 0 ||
	    (nd = store_groups(st, since, GROUP_DAY, cfg->spend_currency, days, ADMIN_GROUPS)) <
		0 ||
	    (nk = store_refusal_kinds(st, since, kinds, 32)) < 0 ||
	    admin_channels(st, since, &c) < 0)
		return 2;
	/* A new file beside it (mkstemp: no name another user could have
	 * planted a link at), renamed over it once whole. */
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp) ||
	    (fd = mkstemp(tmp)) < 0) {
		fprintf(stderr, "otp-admin: cannot write %s: %s\n", path, strerror(errno));
		return 2;
	}
	if ((f = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "otp-admin: cannot write %s: %s\n", path, strerror(errno));
		close(fd);
		unlink(tmp);
		return 2;
	}
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		   "<title>otp report</title>\n<style>\n"
		   "body{font:15px/1.45 system-ui,sans-serif;margin:1.5rem;color:#1b1f24;"
		   "background:#fff}h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}"
		   "table{border-collapse:collapse}td,th{padding:.2rem .5rem;text-align:right;"
		   "border-bottom:1px solid #ddd}th:first-child,td:first-child{text-align:left}"
		   "svg{max-width:100%%;height:auto;display:block}.legend{font-size:.85rem}\n"
		   "</style>\n</head>\n<body>\n");
	fprintf(f, "<h1>Verification report</h1>\n<p>From %s to %s.</p>\n",
		admin_time(since, a, sizeof(a)), admin_time(now, b, sizeof(b)));
	fprintf(f,
		"<table id=\"totals\">\n<tr><th>codes sent</th><td id=\"sent\">%ld</td></tr>\n"
		"<tr><th>verified</th><td id=\"verified\">%ld</td></tr>\n"
		"<tr><th>conversion</th><td>%.1f%%</td></tr>\n"
		"<tr><th>delivered</th><td id=\"delivered\">%ld</td></tr>\n"
		"<tr><th>failed</th><td id=\"failed\">%ld</td></tr>\n"
		"<tr><th>refused</th><td id=\"refused\">%ld</td></tr>\n"
		"<tr><th>spend reported</th><td id=\"spend\">%s %s</td></tr>\n</table>\n",
		t.sent, t.verified, admin_rate(t.verified, t.sent), t.delivered, t.failed,
		t.refused, admin_amount(t.spend, a, sizeof(a)), cfg->spend_currency);
	admin_channels_html(f, &c);
	/* Codes sent and verified per hour. */
	s[0].name = "sent";
	s[0].color = "#0b5cad";
	s[1].name = "verified";
	s[1].color = "#1a7f37";
	for (i = 0; i < nh; i++) {
		labels[i] = hours[i].key;
		s[0].value[i] = (double)hours[i].sent;
		s[1].value[i] = (double)hours[i].verified;
	}
	admin_chart(f, "per-hour", "Codes sent and verified per hour (UTC)", labels, nh, s, 2, "");
	/* Conversion per prefix, the busiest first. */
	s[0].name = "conversion";
	for (i = 0; i < np; i++) {
		labels[i] = prefixes[i].key[0] != '\0' ? prefixes[i].key : "-";
		s[0].value[i] =
		    (double)(long)(admin_rate(prefixes[i].verified, prefixes[i].sent) * 10.0 +
				   0.5) /
		    10.0;
	}
	admin_chart(f, "per-prefix", "Conversion per prefix (the 30 with the most sends)", labels,
		    np, s, 1, "%");
	/* Refusals by kind. */
	s[0].name = "refused";
	s[0].color = "#b3261e";
	for (i = 0; i < nk; i++) {
		labels[i] = kinds[i].key;
		s[0].value[i] = (double)kinds[i].sent;
	}
	admin_chart(f, "refusals", "Sends refused, by limit", labels, nk, s, 1, "");
	/* Spend per day, as reported. */
	s[0].name = "spend";
	s[0].color = "#7a4d00";
	for (i = 0; i < nd; i++) {
		labels[i] = days[i].key;
		s[0].value[i] = (double)days[i].spend / 1e6;
	}
	admin_chart(f, "spend", "Spend per day (reported by Telnyx)", labels, nd, s, 1, "");
	fprintf(f, "</body>\n</html>\n");
	bad = ferror(f);
	if (fclose(f) != 0 || bad || rename(tmp, path) < 0) {
		fprintf(stderr, "otp-admin: cannot write %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return 2;
	}
	return 0;
}

/* ---- main --------------------------------------------------------------------- */

/* The options after the command: "--since 24h --json".  0, or 2 for usage. */
struct admin_opts {
	long since, span;
	enum store_group by;
	int json;
	const char *html;
	const char *network; /* unlock --network */
	const char *args[2];
	int nargs;
};

static int
admin_opts(int argc, char **argv, struct admin_opts *o)
{
	int i;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if ((!strcmp(a, "--since") || !strcmp(a, "--for")) && i + 1 < argc) {
			long d = admin_duration(argv[++i]);

			if (d <= 0)
				return 2;
			if (!strcmp(a, "--since"))
				o->since = d;
			else
				o->span = d;
		} else if (!strcmp(a, "--by") && i + 1 < argc) {
			a = argv[++i];
			if (!strcmp(a, "prefix"))
				o->by = GROUP_PREFIX;
			else if (!strcmp(a, "country"))
				o->by = GROUP_COUNTRY;
			else if (!strcmp(a, "hour"))
				o->by = GROUP_HOUR;
			else
				return 2;
		} else if (!strcmp(a, "--json"))
			o->json = 1;
		else if (!strcmp(a, "--html") && i + 1 < argc)
			o->html = argv[++i];
		else if (!strcmp(a, "--network") && i + 1 < argc)
			o->network = argv[++i];
		else if (a[0] == '-' && a[1] != '\0')
			return 2;
		else if (o->nargs < 2)
			o->args[o->nargs++] = a;
		else
			return 2;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct admin_opts o = {.since = 86400, .span = 86400, .by = GROUP_PREFIX};
	const char *path = NULL, *cmd;
	struct config cfg;
	struct store *st;
	int ch, rc;

	log_init("otp-admin");
	umask(077);
	while ((ch = getopt(argc, argv, "+c:h")) != -1) {
		if (ch == 'c')
			path = optarg;
		else if (ch == 'h') {
			fputs(admin_usage, stdout);
			return 0;
		} else
			return usage();
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return usage();
	cmd = argv[0];
	if (admin_opts(argc - 1, argv + 1, &o) != 0)
		return usage();
	if (path == NULL)
		path = config_path();
	if (!strcmp(cmd, "check-config")) {
		if (o.nargs != 0)
			return usage();
		if ((rc = admin_check_file(path)) >= 0)
			rc += admin_check_loaded(path);
		if (rc == 0) {
			printf("%s: the programs would run with it\n", path);
			return 0;
		}
		if (rc < 0) /* not read at all (logged) */
			return 2;
		fprintf(stderr, "otp-admin: %s: %d problem%s\n", path, rc, rc == 1 ? "" : "s");
		return 1;
	}
	if (!strcmp(cmd, "keygen"))
		return o.nargs == 1 ? cmd_keygen(o.args[0]) : usage();
	if (!strcmp(cmd, "jwks")) {
		if (o.nargs != 0)
			return usage();
		if (config_load(&cfg, path) < 0)
			return 2;
		rc = cmd_jwks(&cfg);
		config_free(&cfg);
		return rc;
	}
	/* The commands and how many arguments each takes. */
	if (!((!strcmp(cmd, "stats") && o.nargs == 0) || (!strcmp(cmd, "blocks") && o.nargs == 0) ||
	      (!strcmp(cmd, "locks") && o.nargs == 0) ||
	      (!strcmp(cmd, "report") && o.nargs == 0 && o.html != NULL) ||
	      ((!strcmp(cmd, "unlock") || !strcmp(cmd, "forget") || !strcmp(cmd, "block") ||
		!strcmp(cmd, "unblock")) &&
	       o.nargs == 1)))
		return usage();
	if (o.network != NULL && strcmp(cmd, "unlock") != 0)
		return usage();
	if (config_load(&cfg, path) < 0)
		return 2;
	if ((st = admin_store(&cfg)) == NULL) {
		config_free(&cfg);
		return 2;
	}
	/* The purge the programs run, here too: a site without traffic keeps
	 * nothing past RETENTION_DAYS either (otp-admin stats from cron). */
	if (admin_tx(st, admin_purge_tx, &cfg) != 0) {
		store_close(st);
		config_free(&cfg);
		return 2;
	}
	if (!strcmp(cmd, "stats"))
		rc = cmd_stats(&cfg, st, o.since, o.by, o.json);
	else if (!strcmp(cmd, "unlock"))
		rc = cmd_unlock(&cfg, st, o.args[0], o.network);
	else if (!strcmp(cmd, "forget"))
		rc = cmd_forget(&cfg, st, o.args[0]);
	else if (!strcmp(cmd, "block"))
		rc = cmd_block(st, o.args[0], o.span);
	else if (!strcmp(cmd, "unblock"))
		rc = cmd_unblock(st, o.args[0]);
	else if (!strcmp(cmd, "blocks"))
		rc = cmd_blocks(&cfg, st, o.json);
	else if (!strcmp(cmd, "locks"))
		rc = cmd_locks(&cfg, st, o.json);
	else
		rc = cmd_report(&cfg, st, o.html, o.since);
	store_close(st);
	config_free(&cfg);
	return rc;
}
