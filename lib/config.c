/*
 * The configuration file.  Its syntax is the tutorial's config.cfg, a
 * Python file of assignments, so that file works unchanged:
 *
 *	# comment
 *	API_KEY='KEY0123'
 *	TOKEN_LENGTH = 4
 *	DEBUG=True
 *
 * Values are bare (up to a '#' or the end of the line) or in single or
 * double quotes (no escapes).  A later line overrides an earlier one, as
 * in Python.  Every key is described once, in config_keys[], with its
 * type and range; config_check() then checks what depends on other keys.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "bounds.h"
#include "log.h"
#include "phone.h"
#include "return_to.h"

#ifndef OTP_CONFIG_DEFAULT
#define OTP_CONFIG_DEFAULT "/etc/otp/otp.conf"
#endif
#ifndef OTP_DB_DEFAULT
#define OTP_DB_DEFAULT "/var/lib/otp/otp.db"
#endif

enum config_type {
	TYPE_STR,  /* any text without control characters */
	TYPE_PATH, /* an absolute path */
	TYPE_INT,  /* a decimal in [min, max] */
	TYPE_BOOL, /* True/False (and true/false, 1/0, yes/no, on/off) */
	TYPE_ALPHABET,
	TYPE_TRANSPORT,
	TYPE_DELIVERY
};

struct config_key {
	const char *name;
	enum config_type type;
	size_t offset;
	long min, max;
};

#define KEY(n, t, f, lo, hi)                                                                       \
	{                                                                                          \
		n, t, offsetof(struct config, f), lo, hi                                           \
	}

static const struct config_key config_keys[] = {
    KEY("API_KEY", TYPE_STR, api_key, 0, 0),
    KEY("FROM_NUMBER", TYPE_STR, from_number, 0, 0),
    KEY("COUNTRY_CODE", TYPE_STR, country_code, 0, 0),
    KEY("TOKEN_LENGTH", TYPE_INT, token_length, OTP_CODE_MIN, OTP_CODE_MAX),
    KEY("DEBUG", TYPE_BOOL, debug, 0, 0),
    KEY("TOKEN_ALPHABET", TYPE_ALPHABET, alphabet, 0, 0),
    KEY("TOKEN_TTL", TYPE_INT, token_ttl, 1, OTP_TOKEN_TTL_MAX),
    KEY("MAX_ATTEMPTS", TYPE_INT, max_attempts, 1, 10),
    KEY("SECRET_KEY", TYPE_STR, secret_key, 0, 0),
    KEY("API_BASE_URL", TYPE_STR, api_base_url, 0, 0),
    KEY("MESSAGING_PROFILE_ID", TYPE_STR, messaging_profile_id, 0, 0),
    KEY("DB_PATH", TYPE_PATH, db_path, 0, 0),
    KEY("TEMPLATE_DIR", TYPE_PATH, template_dir, 0, 0),
    KEY("SMS_TRANSPORT", TYPE_TRANSPORT, transport, 0, 0),
    KEY("OUTBOX_PATH", TYPE_PATH, outbox_path, 0, 0),
    KEY("MESSAGE_TEXT", TYPE_STR, message_text, 0, 0),
    KEY("RESEND_AFTER", TYPE_INT, resend_after, 0, OTP_RESEND_AFTER_MAX),
    KEY("PHONE_SEND_LIMIT", TYPE_INT, phone_send_limit, 1, 1000),
    KEY("PHONE_SEND_WINDOW", TYPE_INT, phone_send_window, 60, OTP_PHONE_WINDOW_MAX),
    KEY("IP_SEND_LIMIT", TYPE_INT, ip_send_limit, 1, 1000000),
    KEY("HOURLY_SEND_LIMIT", TYPE_INT, hourly_send_limit, 1, 1000000),
    KEY("DAILY_SEND_LIMIT", TYPE_INT, daily_send_limit, 1, 10000000),
    KEY("PHONE_FAILURE_LIMIT", TYPE_INT, phone_failure_limit, 1, 100),
    KEY("ALLOWED_COUNTRY_CODES", TYPE_STR, allowed_country_codes, 0, 0),
    KEY("COUNTRY_HOURLY_LIMITS", TYPE_STR, country_hourly_limits, 0, 0),
    KEY("WEBOTP_DOMAIN", TYPE_STR, webotp_domain, 0, 0),
    KEY("SIGNING_KEY", TYPE_STR, signing_key, 0, 0),
    KEY("RETURN_TO_ALLOWED", TYPE_STR, return_to_allowed, 0, 0),
    KEY("RESULT_DELIVERY", TYPE_DELIVERY, delivery, 0, 0),
    KEY("RESULT_MAX_AGE", TYPE_INT, result_max_age, 10, OTP_RESULT_AGE_MAX),
};

#define CONFIG_NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))

const char *
config_path(void)
{
	const char *p = getenv("OTP_CONFIG");

	return (p != NULL && *p != '\0') ? p : OTP_CONFIG_DEFAULT;
}

static void
config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->country_code = xstrdup("+1");
	cfg->token_length = 6;
	cfg->alphabet = ALPHABET_HEX;
	cfg->token_ttl = 300;
	cfg->max_attempts = 5;
	cfg->api_base_url = xstrdup("https://api.telnyx.com");
	cfg->db_path = xstrdup(OTP_DB_DEFAULT);
	cfg->template_dir = xstrdup(OTP_TEMPLATE_DEFAULT);
	cfg->transport = TRANSPORT_TELNYX;
	cfg->message_text = xstrdup("Your token is {code}");
	cfg->resend_after = 30;
	cfg->phone_send_limit = 5;
	cfg->phone_send_window = 600;
	cfg->ip_send_limit = 10;
	cfg->hourly_send_limit = 200;
	cfg->daily_send_limit = 1000;
	cfg->phone_failure_limit = 20;
	cfg->delivery = DELIVERY_QUERY;
	cfg->result_max_age = 300;
}

void
config_free(struct config *cfg)
{
	size_t i;

	return_to_free(&cfg->return_to);
	cfg->form_origins = NULL;
	for (i = 0; i < CONFIG_NKEYS; i++) {
		const struct config_key *k = &config_keys[i];

		if (k->type == TYPE_STR || k->type == TYPE_PATH) {
			char **s = (char **)((char *)cfg + k->offset);

			if (*s != NULL) {
				/* Keys and secrets do not outlive the process' use. */
				memset(*s, 0, strlen(*s));
				free(*s);
				*s = NULL;
			}
		}
	}
}

static int
config_has_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* Set key k from the text value.  Returns 0, or -1 after logging. */
static int
config_set(struct config *cfg, const struct config_key *k, const char *value, const char *name)
{
	void *field = (char *)cfg + k->offset;
	char *end;
	long n;

	switch (k->type) {
	case TYPE_PATH:
		if (value[0] != '/') {
			log_msg("%s: invalid %s: must be an absolute path", name, k->name);
			return -1;
		}
		/* FALLTHROUGH */
	case TYPE_STR:
		if (config_has_ctl(value)) {
			log_msg("%s: invalid %s: control character", name, k->name);
			return -1;
		}
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		return 0;
	case TYPE_INT:
		errno = 0;
		n = strtol(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' || n < k->min || n > k->max) {
			log_msg("%s: invalid %s: must be a whole number from %ld to %ld", name,
				k->name, k->min, k->max);
			return -1;
		}
		*(int *)field = (int)n;
		return 0;
	case TYPE_BOOL:
		if (!strcasecmp(value, "true") || !strcmp(value, "1") ||
		    !strcasecmp(value, "yes") || !strcasecmp(value, "on"))
			*(int *)field = 1;
		else if (!strcasecmp(value, "false") || !strcmp(value, "0") ||
			 !strcasecmp(value, "no") || !strcasecmp(value, "off"))
			*(int *)field = 0;
		else {
			log_msg("%s: invalid %s: must be True or False", name, k->name);
			return -1;
		}
		return 0;
	case TYPE_ALPHABET:
		if (!strcmp(value, "hex"))
			*(enum config_alphabet *)field = ALPHABET_HEX;
		else if (!strcmp(value, "digits"))
			*(enum config_alphabet *)field = ALPHABET_DIGITS;
		else {
			log_msg("%s: invalid %s: must be hex or digits", name, k->name);
			return -1;
		}
		return 0;
	case TYPE_DELIVERY:
		if (!strcmp(value, "query"))
			*(enum config_delivery *)field = DELIVERY_QUERY;
		else if (!strcmp(value, "cookie"))
			*(enum config_delivery *)field = DELIVERY_COOKIE;
		else {
			log_msg("%s: invalid %s: must be query or cookie", name, k->name);
			return -1;
		}
		return 0;
	case TYPE_TRANSPORT:
		if (!strcmp(value, "telnyx"))
			*(enum config_transport *)field = TRANSPORT_TELNYX;
		else if (!strcmp(value, "outbox"))
			*(enum config_transport *)field = TRANSPORT_OUTBOX;
		else {
			log_msg("%s: invalid %s: must be telnyx or outbox", name, k->name);
			return -1;
		}
		return 0;
	}
	return -1;
}

/*
 * Split one line (NUL-terminated, no newline) into key and value, in
 * place.  Returns 1 with *key and *value set, 0 for a blank or comment
 * line, -1 for a line that is not an assignment.
 */
static int
config_split(char *line, char **key, char **value)
{
	char *p = line, *v, *end;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '#' || *p == '\r')
		return 0;
	*key = p;
	if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_'))
		return -1;
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_' ||
	       (*p >= '0' && *p <= '9'))
		p++;
	end = p;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '=')
		return -1;
	*end = '\0';
	p++;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\'' || *p == '"') {
		char quote = *p++;

		v = p;
		if ((p = strchr(v, quote)) == NULL)
			return -1;
		*p++ = '\0';
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (*p != '\0' && *p != '#')
			return -1;
	} else {
		v = p;
		if ((p = strchr(v, '#')) != NULL)
			*p = '\0';
		p = v + strlen(v);
		while (p > v && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\r'))
			*--p = '\0';
	}
	*value = v;
	return 1;
}

/*
 * Whether s is a sender Telnyx takes: an E.164 number, a short code (4 to
 * 8 digits) or an alphanumeric sender id (1 to 11 letters, digits and
 * spaces, at least one letter).
 */
static int
config_sender_ok(const char *s)
{
	size_t i, n = strlen(s), letters = 0;

	if (s[0] == '+')
		return phone_is_e164(s);
	if (n >= 4 && n <= 8 && strspn(s, "0123456789") == n)
		return 1;
	if (n < 1 || n > 11)
		return 0;
	for (i = 0; i < n; i++) {
		if ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z'))
			letters++;
		else if (!(s[i] >= '0' && s[i] <= '9') && s[i] != ' ')
			return 0;
	}
	return letters > 0;
}

/* Whether url is https, or http to this machine only (the tests' fake). */
static int
config_url_ok(const char *url)
{
	static const char *const local[] = {"http://127.0.0.1", "http://localhost", "http://[::1]"};
	const char *host, *end;
	size_t i, n;

	if (!strncmp(url, "https://", 8))
		host = url + 8;
	else if (!strncmp(url, "http://", 7))
		host = url + 7;
	else
		return 0;
	/* No user-info: in "http://127.0.0.1:80@evil.example" the host is evil. */
	end = host + strcspn(host, "/?#");
	if (end == host || memchr(host, '@', (size_t)(end - host)) != NULL)
		return 0;
	if (host == url + 8)
		return 1;
	for (i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
		n = strlen(local[i]);
		if (strncmp(url, local[i], n) != 0)
			continue;
		if (url + n == end)
			return 1;
		/* Only a port may follow the loopback host. */
		if (url[n] == ':' && url + n + 1 < end &&
		    strspn(url + n + 1, "0123456789") == (size_t)(end - (url + n + 1)))
			return 1;
	}
	return 0;
}

size_t
config_list_next(const char **p, const char **item)
{
	size_t n;

	*p += strspn(*p, " ,");
	*item = *p;
	n = strcspn(*p, " ,");
	*p += n;
	return n;
}

/*
 * Whether s is a calling-code prefix for the lists: '+', 1 to 4 digits,
 * not 0 first (4 lets a list name a +1 area such as +1876).
 */
static int
config_is_cc(const char *s, size_t n)
{
	size_t i;

	if (n < 2 || n > 5 || s[0] != '+' || s[1] == '0')
		return 0;
	for (i = 1; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* The entry for code (n bytes), added if new; NULL when the table is full. */
static struct config_country *
config_country_add(struct config *cfg, const char *code, size_t n)
{
	int i;

	for (i = 0; i < cfg->ncountries; i++)
		if (strlen(cfg->countries[i].code) == n &&
		    !strncmp(cfg->countries[i].code, code, n))
			return &cfg->countries[i];
	if (cfg->ncountries == (int)(sizeof(cfg->countries) / sizeof(cfg->countries[0])))
		return NULL;
	memcpy(cfg->countries[cfg->ncountries].code, code, n);
	cfg->countries[cfg->ncountries].code[n] = '\0';
	cfg->countries[cfg->ncountries].hourly = 0;
	cfg->countries[cfg->ncountries].allowed = 0;
	return &cfg->countries[cfg->ncountries++];
}

/*
 * ALLOWED_COUNTRY_CODES ("+1, +44" or "*") and COUNTRY_HOURLY_LIMITS
 * ("+44:20,+1:100") into cfg->countries.  Returns 0 or -1 (logged).
 */
static int
config_countries(struct config *cfg, const char *name)
{
	const char *p =
	    cfg->allowed_country_codes != NULL ? cfg->allowed_country_codes : cfg->country_code;
	const char *it;
	struct config_country *cc;
	size_t n;

	cfg->ncountries = 0;
	cfg->all_countries = 0;
	while ((n = config_list_next(&p, &it)) > 0) {
		if (n == 1 && *it == '*')
			cfg->all_countries = 1;
		else if (!config_is_cc(it, n) || (cc = config_country_add(cfg, it, n)) == NULL) {
			log_msg("%s: invalid ALLOWED_COUNTRY_CODES: a list such as +1,+44, or *",
				name);
			return -1;
		} else
			cc->allowed = 1;
	}
	if (cfg->ncountries == 0 && !cfg->all_countries) {
		/* Only separators: as good as an empty list. */
		log_msg("%s: invalid ALLOWED_COUNTRY_CODES: empty", name);
		return -1;
	}
	p = cfg->country_hourly_limits != NULL ? cfg->country_hourly_limits : "";
	while ((n = config_list_next(&p, &it)) > 0) {
		const char *colon = memchr(it, ':', n);
		char *end = NULL;
		long lim = colon != NULL ? strtol(colon + 1, &end, 10) : 0;

		if (colon == NULL || !config_is_cc(it, (size_t)(colon - it)) || end != it + n ||
		    lim < 1 || lim > 1000000 ||
		    (cc = config_country_add(cfg, it, (size_t)(colon - it))) == NULL) {
			log_msg("%s: invalid COUNTRY_HOURLY_LIMITS: a list such as +44:20,+1:100",
				name);
			return -1;
		}
		cc->hourly = (int)lim;
	}
	return 0;
}

const struct config_country *
config_country(const struct config *cfg, const char *phone, int allowed_only)
{
	const struct config_country *best = NULL;
	int i;

	for (i = 0; i < cfg->ncountries; i++) {
		const struct config_country *c = &cfg->countries[i];
		size_t n = strlen(c->code);

		if ((allowed_only && !c->allowed) || strncmp(phone, c->code, n) != 0)
			continue;
		if (best == NULL || n > strlen(best->code))
			best = c;
	}
	return best;
}

/* The checks that involve more than one key.  Returns 0 or -1. */
static int
config_check(struct config *cfg, const char *name)
{
	size_t n;
	const char *p;

	if (cfg->country_code[0] != '+' || cfg->country_code[1] < '1' ||
	    cfg->country_code[1] > '9' || strlen(cfg->country_code) > 4 ||
	    strspn(cfg->country_code + 1, "0123456789") != strlen(cfg->country_code + 1)) {
		log_msg("%s: invalid COUNTRY_CODE: must be + and 1 to 3 digits", name);
		return -1;
	}
	if (cfg->transport == TRANSPORT_TELNYX) {
		if (cfg->api_key == NULL || cfg->api_key[0] == '\0') {
			log_msg("%s: missing API_KEY (required with SMS_TRANSPORT=telnyx)", name);
			return -1;
		}
		if ((cfg->from_number == NULL || cfg->from_number[0] == '\0') &&
		    (cfg->messaging_profile_id == NULL || cfg->messaging_profile_id[0] == '\0')) {
			log_msg("%s: missing FROM_NUMBER (or MESSAGING_PROFILE_ID)", name);
			return -1;
		}
	} else if (cfg->outbox_path == NULL) {
		log_msg("%s: missing OUTBOX_PATH (required with SMS_TRANSPORT=outbox)", name);
		return -1;
	}
	if (cfg->from_number != NULL && strlen(cfg->from_number) > 32) {
		log_msg("%s: invalid FROM_NUMBER: longer than 32 characters", name);
		return -1;
	}
	/* A warning, not an error: the tutorial's own file holds a placeholder
	 * here, and Telnyx is the judge of what it will send from. */
	if (cfg->from_number != NULL && cfg->from_number[0] != '\0' &&
	    !config_sender_ok(cfg->from_number))
		log_msg("%s: warning: FROM_NUMBER is not an E.164 number (+ and 8 to 15 digits), "
			"a short code or an alphanumeric sender id",
			name);
	if (cfg->messaging_profile_id != NULL && strlen(cfg->messaging_profile_id) > 64) {
		log_msg("%s: invalid MESSAGING_PROFILE_ID: too long", name);
		return -1;
	}
	n = strlen(cfg->api_base_url);
	while (n > 0 && cfg->api_base_url[n - 1] == '/')
		cfg->api_base_url[--n] = '\0';
	if (!config_url_ok(cfg->api_base_url) || n > 512) {
		log_msg("%s: invalid API_BASE_URL: must be https:// (http:// only to loopback)",
			name);
		return -1;
	}
	if (cfg->secret_key == NULL || cfg->secret_key[0] == '\0') {
		if (cfg->api_key == NULL || cfg->api_key[0] == '\0') {
			log_msg("%s: missing SECRET_KEY (required without API_KEY)", name);
			return -1;
		}
		free(cfg->secret_key);
		cfg->secret_key = xstrdup(cfg->api_key);
	}
	if (strlen(cfg->secret_key) < 16)
		log_msg("%s: warning: SECRET_KEY (or API_KEY) is shorter than 16 characters", name);
	/* Each {code} grows by at most 4 characters: OTP_MESSAGE_MAX of text
	 * and the WebOTP line still fit in OTP_TEXT_MAX. */
	p = strstr(cfg->message_text, "{code}");
	if (p == NULL || strlen(cfg->message_text) > OTP_MESSAGE_MAX) {
		log_msg("%s: invalid MESSAGE_TEXT: must contain {code} and be at most %d long",
			name, OTP_MESSAGE_MAX);
		return -1;
	}
	if (config_countries(cfg, name) < 0)
		return -1;
	if (return_to_parse(&cfg->return_to, cfg->return_to_allowed) < 0) {
		log_msg("%s: invalid RETURN_TO_ALLOWED: comma-separated paths (/account/) or https "
			"URLs with a path (https://app.example.com/)",
			name);
		return -1;
	}
	cfg->form_origins = cfg->return_to.form_origins;
	if (cfg->signing_key != NULL && strlen(cfg->signing_key) < 16) {
		log_msg("%s: invalid SIGNING_KEY: at least 16 characters", name);
		return -1;
	}
	if (cfg->webotp_domain != NULL &&
	    (cfg->webotp_domain[0] == '\0' || strlen(cfg->webotp_domain) > 253 ||
	     strspn(cfg->webotp_domain, "abcdefghijklmnopqrstuvwxyz0123456789.-") !=
		 strlen(cfg->webotp_domain))) {
		log_msg("%s: invalid WEBOTP_DOMAIN: a lower-case host name such as example.com",
			name);
		return -1;
	}
	/* Fewer than about a million possible codes (20 bits) is weak. */
	if ((cfg->alphabet == ALPHABET_HEX && cfg->token_length < 5) ||
	    (cfg->alphabet == ALPHABET_DIGITS && cfg->token_length < 6))
		log_msg("%s: warning: TOKEN_LENGTH %d gives fewer than 20 bits per code", name,
			cfg->token_length);
	return 0;
}

int
config_parse(struct config *cfg, const char *buf, size_t len, const char *name)
{
	char line[OTP_CONFIG_LINE];
	size_t pos = 0, i;
	int lineno = 0;

	config_defaults(cfg);
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = (nl != NULL ? (size_t)(nl - buf) : len) - pos;
		char *key, *value;
		int rc;

		lineno++;
		if (n >= sizeof(line)) {
			log_msg("%s: line %d is too long", name, lineno);
			goto fail;
		}
		memcpy(line, buf + pos, n);
		line[n] = '\0';
		pos += n + 1;
		if (strlen(line) != n) {
			log_msg("%s: line %d has a NUL byte", name, lineno);
			goto fail;
		}
		if ((rc = config_split(line, &key, &value)) == 0)
			continue;
		if (rc < 0) {
			log_msg("%s: line %d is not KEY=value", name, lineno);
			goto fail;
		}
		for (i = 0; i < CONFIG_NKEYS; i++)
			if (!strcmp(key, config_keys[i].name))
				break;
		if (i == CONFIG_NKEYS) {
			log_msg("%s: warning: unknown key %s on line %d", name, key, lineno);
			continue;
		}
		if (config_set(cfg, &config_keys[i], value, name) < 0)
			goto fail;
	}
	if (config_check(cfg, name) < 0)
		goto fail;
	return 0;
fail:
	explicit_bzero(line, sizeof(line));
	config_free(cfg);
	return -1;
}

int
config_load(struct config *cfg, const char *path)
{
	char *buf;
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd, rc;

	memset(cfg, 0, sizeof(*cfg));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		log_msg("cannot open config file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > OTP_CONFIG_MAX) {
		log_msg("config file %s: not a regular file of at most %d bytes", path,
			OTP_CONFIG_MAX);
		close(fd);
		return -1;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (len < (size_t)st.st_size &&
	       (n = read(fd, buf + len, (size_t)st.st_size - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_msg("cannot read config file %s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		len += (size_t)n;
	}
	close(fd);
	rc = config_parse(cfg, buf, len, path);
	explicit_bzero(buf, len);
	free(buf);
	return rc;
}
