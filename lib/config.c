/*
 * The configuration file: read (its lines by kv.c, the tutorial's
 * config.cfg syntax), checked and held; what the values decide is the
 * modules' whose policy it is (limit.c: countries; message.c: the text
 * message of a language).  A later line overrides an earlier one, as in
 * Python.  Every key is described once, in config_keys[]: its type,
 * default, range or length, choices and validator; config_check() then
 * checks only what depends on more than one key.
 */
#include <assert.h>
#include <ctype.h>
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
#include "kv.h"
#include "lang.h"
#include "log.h"
#include "phone.h"
#include "return_to.h"
#include "text.h"
#include "url.h"
#include "webhook.h"

#ifndef OTP_CONFIG_DEFAULT
#define OTP_CONFIG_DEFAULT "/etc/otp/otp.conf"
#endif
#ifndef OTP_DB_DEFAULT
#define OTP_DB_DEFAULT "/var/lib/otp/otp.db"
#endif

enum config_type {
	TYPE_STR,   /* text without control characters, of min to max characters */
	TYPE_PATH,  /* an absolute path, as TYPE_STR otherwise */
	TYPE_INT,   /* a decimal in [min, max] */
	TYPE_BOOL,  /* True/False (and true/false, 1/0, yes/no, on/off) */
	TYPE_CHOICE /* one of choices[], stored as its index (the enum's value) */
};

/*
 * One key: everything about it is here.  valid() sees a copy of the
 * value that it may normalise in place (never longer); it returns 0 for
 * a value it refuses, and why says what it wants, for the log line.
 */
struct config_key {
	const char *name;
	enum config_type type;
	size_t offset;
	long min, max;              /* TYPE_INT: the range; TYPE_STR, TYPE_PATH: the length's */
	const char *def;            /* the default, as the file would write it; NULL: none */
	const char *const *choices; /* TYPE_CHOICE: the names in enum order, NULL-terminated */
	int (*valid)(char *value);
	const char *why;
	int warn_only; /* valid()'s no is a warning, and the value is kept */
};

#define FIELD(f) offsetof(struct config, f)
#define STR(n, f, lo, hi, d, v, w)                                                                 \
	{                                                                                          \
		.name = n, .type = TYPE_STR, .offset = FIELD(f), .min = lo, .max = hi, .def = d,   \
		.valid = v, .why = w                                                               \
	}
#define PATH(n, f, d)                                                                              \
	{                                                                                          \
		.name = n, .type = TYPE_PATH, .offset = FIELD(f), .max = OTP_CONFIG_LINE, .def = d \
	}
#define INT(n, f, lo, hi, d)                                                                       \
	{                                                                                          \
		.name = n, .type = TYPE_INT, .offset = FIELD(f), .min = lo, .max = hi, .def = d    \
	}
#define BOOL(n, f, d)                                                                              \
	{                                                                                          \
		.name = n, .type = TYPE_BOOL, .offset = FIELD(f), .def = d                         \
	}
#define CHOICE(n, f, c, d)                                                                         \
	{                                                                                          \
		.name = n, .type = TYPE_CHOICE, .offset = FIELD(f), .def = d, .choices = c         \
	}
#define ANY OTP_CONFIG_LINE /* no length limit but the line's */

/* TYPE_CHOICE stores an int into the enum. */
_Static_assert(sizeof(enum config_alphabet) == sizeof(int) &&
		   sizeof(enum config_transport) == sizeof(int) &&
		   sizeof(enum config_delivery) == sizeof(int) &&
		   sizeof(enum config_format) == sizeof(int) &&
		   sizeof(enum config_voice_mode) == sizeof(int),
	       "an enum of the config is not an int");

static const char *const config_alphabets[] = {
    [ALPHABET_HEX] = "hex", [ALPHABET_DIGITS] = "digits", NULL};
static const char *const config_transports[] = {
    [TRANSPORT_TELNYX] = "telnyx", [TRANSPORT_OUTBOX] = "outbox", NULL};
static const char *const config_conversions[] = {[CONVERSION_ENFORCE] = "enforce",
						 [CONVERSION_MONITOR] = "monitor",
						 [CONVERSION_OFF] = "off",
						 NULL};
static const char *const config_deliveries[] = {
    [DELIVERY_QUERY] = "query", [DELIVERY_COOKIE] = "cookie", NULL};
static const char *const config_formats[] = {[FORMAT_V1] = "v1", [FORMAT_JWT] = "jwt", NULL};
static const char *const config_voice_modes[] = {
    [VOICE_CODE] = "code", [VOICE_CONFIRM] = "confirm", NULL};

static int config_country_code_ok(char *s);
static int config_sender_ok(char *s);
static int config_api_url_ok(char *s);
static int config_message_ok(char *s);
static int config_languages_ok(char *s);
static int config_domain_ok(char *s);
static int config_return_list_ok(char *s);
static int config_site_origin_ok(char *s);
static int config_region_ok(char *s);
static int config_line_types_ok(char *s);
static int config_public_key_ok(char *s);
static int config_webhook_url_ok(char *s);
static int config_database_url_ok(char *s);
static int config_channels_ok(char *s);
static int config_e164_ok(char *s);
static int config_amount_ok(char *s);
static int config_fraction_ok(char *s);
static int config_currency_ok(char *s);
static int config_cc_list_ok(char *s);
static int config_key_files_ok(char *s);
static int config_claim_ok(char *s);
static int config_connection_ok(char *s);

static const struct config_key config_keys[] = {
    STR("API_KEY", api_key, 0, ANY, NULL, NULL, NULL),
    /* A warning, not an error: the tutorial's own file holds a placeholder
     * here, and Telnyx is the judge of what it will send from. */
    {.name = "FROM_NUMBER",
     .type = TYPE_STR,
     .offset = FIELD(from_number),
     .max = 32,
     .valid = config_sender_ok,
     .warn_only = 1,
     .why = "is not an E.164 number (+ and 7 to 15 digits), a short code or an "
	    "alphanumeric sender id"},
    STR("COUNTRY_CODE", country_code, 0, ANY, "+1", config_country_code_ok,
	"must be + and 1 to 3 digits"),
    STR("DEFAULT_REGION", default_region, 2, 2, NULL, config_region_ok,
	"must be an ISO 3166 alpha-2 region such as GB"),
    STR("ALLOWED_LINE_TYPES", allowed_line_types, 1, ANY, "mobile,fixed_line_or_mobile",
	config_line_types_ok,
	"must be a list of mobile, fixed_line_or_mobile, fixed_line, voip, toll_free, "
	"premium_rate, shared_cost, personal_number, pager, uan, voicemail, unknown"),
    INT("TOKEN_LENGTH", token_length, OTP_CODE_MIN, OTP_CODE_MAX, "6"),
    BOOL("DEBUG", debug, "False"),
    CHOICE("TOKEN_ALPHABET", alphabet, config_alphabets, "hex"),
    INT("TOKEN_TTL", token_ttl, 1, OTP_TOKEN_TTL_MAX, "300"),
    INT("MAX_ATTEMPTS", max_attempts, 1, 10, "5"),
    STR("SECRET_KEY", secret_key, 0, ANY, NULL, NULL, NULL), /* else API_KEY: config_check() */
    STR("API_BASE_URL", api_base_url, 0, 512, "https://api.telnyx.com", config_api_url_ok,
	"must be https:// (http:// only to loopback)"),
    PATH("CA_FILE", ca_file, NULL),
    STR("MESSAGING_PROFILE_ID", messaging_profile_id, 0, 64, NULL, NULL, NULL),
    PATH("DB_PATH", db_path, OTP_DB_DEFAULT),
    STR("DATABASE_URL", database_url, 1, 1024, NULL, config_database_url_ok,
	"must be a PostgreSQL connection URI: postgresql://... or postgres://..."),
    PATH("TEMPLATE_DIR", template_dir, OTP_TEMPLATE_DEFAULT),
    CHOICE("SMS_TRANSPORT", transport, config_transports, "telnyx"),
    PATH("OUTBOX_PATH", outbox_path, NULL),
    /* Each {code} grows by at most 4 characters: OTP_MESSAGE_MAX of text
     * and the WebOTP line still fit in OTP_TEXT_MAX. */
    STR("LANGUAGES", languages, 2, 256, "en", config_languages_ok,
	"must be a list of language tags such as en,fr,pt-br (each with its file in "
	"TEMPLATE_DIR/lang/)"),
    STR("MESSAGE_TEXT", message_text, 0, OTP_MESSAGE_MAX,
	"{code} is your verification code. Do not share it.", config_message_ok,
	"must contain {code}"),
    STR("TELNYX_PUBLIC_KEY", telnyx_public_key, 1, 64, NULL, config_public_key_ok,
	"must be the base64 of a 32-byte Ed25519 key, as Telnyx's portal shows it"),
    STR("WEBHOOK_URL", webhook_url, 1, 512, NULL, config_webhook_url_ok,
	"must be the https:// URL of webhook.cgi (http:// only to loopback)"),
    STR("CHANNELS", channels_list, 1, 64, "sms", config_channels_ok,
	"must be a list of sms, inbound and voice, each at most once"),
    STR("INBOUND_NUMBER", inbound_number, 1, 16, NULL, config_e164_ok,
	"must be the E.164 Telnyx number visitors text (+ and 7 to 15 digits)"),
    STR("INBOUND_COUNTRY_CODES", inbound_country_codes, 1, ANY, NULL, config_cc_list_ok,
	"must be a list of calling codes such as +1,+44"),
    STR("VOICE_CONNECTION_ID", voice_connection_id, 1, 64, NULL, config_connection_ok,
	"must be the id of a Telnyx Call Control application (letters, digits, - and _)"),
    STR("VOICE_FROM", voice_from, 1, 16, NULL, config_e164_ok,
	"must be the E.164 Telnyx number calls come from (+ and 7 to 15 digits)"),
    CHOICE("VOICE_MODE", voice_mode, config_voice_modes, "code"),
    STR("VOICE_COUNTRY_CODES", voice_country_codes, 1, ANY, NULL, config_cc_list_ok,
	"must be a list of calling codes such as +1,+44"),
    STR("VOICE_LINE_TYPES", voice_line_types_list, 1, ANY, "fixed_line,mobile,fixed_line_or_mobile",
	config_line_types_ok,
	"must be a list of mobile, fixed_line_or_mobile, fixed_line, voip, toll_free, "
	"personal_number, pager, voicemail, unknown (never premium_rate, shared_cost or uan)"),
    STR("VOICE_PRICE", voice_price_text, 1, 16, "0.10", config_amount_ok,
	"must be an amount per call, such as 0.10"),
    INT("RESEND_AFTER", resend_after, 0, OTP_RESEND_AFTER_MAX, "30"),
    INT("PHONE_SEND_LIMIT", phone_send_limit, 1, 1000, "5"),
    INT("PHONE_SEND_WINDOW", phone_send_window, 60, OTP_PHONE_WINDOW_MAX, "600"),
    INT("PHONE_DAILY_LIMIT", phone_daily_limit, 1, 1000, "10"),
    INT("PHONE_NETWORK_LIMIT", phone_network_limit, 1, 1000, "3"),
    INT("VOICE_PHONE_LIMIT", voice_phone_limit, 1, 1000, "3"),
    INT("IP_SEND_LIMIT", ip_send_limit, 1, 1000000, "10"),
    INT("NETWORK_SEND_LIMIT", network_send_limit, 1, 1000000, "20"),
    INT("HOURLY_SEND_LIMIT", hourly_send_limit, 1, 1000000, "200"),
    INT("DAILY_SEND_LIMIT", daily_send_limit, 1, 10000000, "1000"),
    INT("PHONE_FAILURE_LIMIT", phone_failure_limit, 1, 100, "20"),
    /* Both lists are read into cfg->countries by config_countries(). */
    STR("ALLOWED_COUNTRY_CODES", allowed_country_codes, 0, ANY, NULL, NULL, NULL),
    STR("COUNTRY_HOURLY_LIMITS", country_hourly_limits, 0, ANY, NULL, NULL, NULL),
    STR("WEBOTP_DOMAIN", webotp_domain, 1, 253, NULL, config_domain_ok,
	"a lower-case host name such as example.com"),
    STR("SITE_NAME", site_name, 1, OTP_SITE_NAME_MAX, NULL, NULL, NULL),
    INT("CONVERSION_WINDOW", conversion_window, 60, OTP_DAY, "3600"),
    INT("CONVERSION_MIN_SENDS", conversion_min_sends, 1, 1000000, "20"),
    INT("CONVERSION_MIN_CLIENTS", conversion_min_clients, 1, 1000000, "8"),
    INT("CONVERSION_GRACE", conversion_grace, 0, OTP_TOKEN_TTL_MAX, "120"),
    STR("CONVERSION_MIN", conversion_min_text, 1, 16, "0.2", config_fraction_ok,
	"must be a fraction from 0 to 1, such as 0.2"),
    INT("CONVERSION_BLOCK", conversion_block, 60, 7 * OTP_DAY, "3600"),
    CHOICE("CONVERSION_MODE", conversion_mode, config_conversions, "enforce"),
    STR("DAILY_SPEND_LIMIT", spend_limit_text, 1, 16, NULL, config_amount_ok,
	"must be an amount such as 25 or 12.50"),
    STR("SPEND_CURRENCY", spend_currency, 3, 3, "USD", config_currency_ok,
	"must be a currency code of three capital letters, such as USD"),
    STR("SMS_PRICE", sms_price_text, 1, 16, "0.05", config_amount_ok,
	"must be an amount per message part, such as 0.05"),
    INT("RETENTION_DAYS", retention_days, 1, 3650, "30"),
    STR("SIGNING_KEY", signing_key, 16, ANY, NULL, NULL, NULL),
    STR("RETURN_TO_ALLOWED", return_to_allowed, 0, ANY, NULL, config_return_list_ok,
	"comma-separated paths (/account/) or https URLs with a path "
	"(https://app.example.com/)"),
    CHOICE("RESULT_DELIVERY", delivery, config_deliveries, "query"),
    INT("RESULT_MAX_AGE", result_max_age, 10, OTP_RESULT_AGE_MAX, "300"),
    CHOICE("ASSERTION_FORMAT", assertion_format, config_formats, "v1"),
    STR("SIGNING_KEY_FILE", signing_key_file, 1, ANY, NULL, config_key_files_ok,
	"must be a list of absolute paths of Ed25519 private keys (PEM), the first one signing"),
    STR("ASSERTION_ISSUER", assertion_issuer, 1, 256, NULL, config_claim_ok,
	"must be printable ASCII without quotes or backslashes"),
    STR("ASSERTION_AUDIENCE", assertion_audience, 1, 256, NULL, config_claim_ok,
	"must be printable ASCII without quotes or backslashes"),
    STR("SITE_ORIGIN", site_origin, 1, 512, NULL, config_site_origin_ok,
	"an origin such as https://example.com or http://127.0.0.1:8080: http or https, a "
	"host, a port if not the default, and no path"),
};

#define CONFIG_NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))

const char *
config_path(void)
{
	const char *p = getenv("OTP_CONFIG");

	return (p != NULL && *p != '\0') ? p : OTP_CONFIG_DEFAULT;
}

void
config_free(struct config *cfg)
{
	size_t i;

	return_to_free(&cfg->return_to);
	cfg->form_origins = NULL;
	for (i = 0; i < (size_t)cfg->n_message_langs; i++) {
		free(cfg->message_langs[i].text);
		cfg->message_langs[i].text = NULL;
	}
	cfg->n_message_langs = 0;
	cfg->message_text_set = 0;
	free(cfg->path);
	cfg->path = NULL;
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

/* Set a string key from value, through its length limits and validator.
 * Returns 0, or -1 after logging. */
static int
config_set_str(struct config *cfg, const struct config_key *k, const char *value, const char *name)
{
	char **field = (char **)((char *)cfg + k->offset);
	size_t n = strlen(value);
	char *copy;

	if (k->type == TYPE_PATH && value[0] != '/') {
		log_msg("%s: invalid %s: must be an absolute path", name, k->name);
		return -1;
	}
	if (config_has_ctl(value)) {
		log_msg("%s: invalid %s: control character", name, k->name);
		return -1;
	}
	if (n < (size_t)k->min || n > (size_t)k->max) {
		log_msg("%s: invalid %s: %s %ld characters", name, k->name,
			n < (size_t)k->min ? "at least" : "at most",
			n < (size_t)k->min ? k->min : k->max);
		return -1;
	}
	copy = xstrdup(value);
	if (k->valid != NULL && !k->valid(copy)) {
		if (k->warn_only)
			log_msg("%s: warning: %s %s", name, k->name, k->why);
		else {
			log_msg("%s: invalid %s: %s", name, k->name, k->why);
			explicit_bzero(copy, n);
			free(copy);
			return -1;
		}
	}
	if (*field != NULL) {
		explicit_bzero(*field, strlen(*field));
		free(*field);
	}
	*field = copy;
	return 0;
}

/* "a or b", "a, b or c" from a NULL-terminated list, into out. */
static const char *
config_choices(const char *const *c, char *out, size_t size)
{
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; c[i] != NULL; i++) {
		const char *sep = i == 0 ? "" : c[i + 1] == NULL ? " or " : ", ";
		int n = snprintf(out + used, size - used, "%s%s", sep, c[i]);

		if (n < 0 || (size_t)n >= size - used)
			break; /* cut short: the log line says less, nothing worse */
		used += (size_t)n;
	}
	return out;
}

/* Set key k from the text value.  Returns 0, or -1 after logging. */
static int
config_set(struct config *cfg, const struct config_key *k, const char *value, const char *name)
{
	void *field = (char *)cfg + k->offset;
	char *end, list[128];
	long n;
	int i;

	switch (k->type) {
	case TYPE_PATH:
	case TYPE_STR:
		return config_set_str(cfg, k, value, name);
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
	case TYPE_CHOICE:
		for (i = 0; k->choices[i] != NULL; i++)
			if (!strcmp(value, k->choices[i])) {
				*(int *)field = i;
				return 0;
			}
		log_msg("%s: invalid %s: must be %s", name, k->name,
			config_choices(k->choices, list, sizeof(list)));
		return -1;
	}
	return -1;
}

/* Every key at its default: the table's, through the same checks. */
static void
config_defaults(struct config *cfg)
{
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < CONFIG_NKEYS; i++)
		if (config_keys[i].def != NULL) {
			int rc = config_set(cfg, &config_keys[i], config_keys[i].def, "default");

			assert(rc == 0); /* the table's defaults pass its own checks */
			(void)rc;
		}
}

/* Whether s is an alphanumeric sender id: 1 to 11 letters, digits and
 * spaces, at least one letter. */
static int
config_is_alphanumeric(const char *s)
{
	size_t i, n = strlen(s), letters = 0;

	if (n == 0 || n > 11)
		return 0;
	for (i = 0; i < n; i++) {
		if ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z'))
			letters++;
		else if (!(s[i] >= '0' && s[i] <= '9') && s[i] != ' ')
			return 0;
	}
	return letters > 0;
}

/*
 * Whether s is a sender Telnyx takes: an E.164 number, a short code (4 to
 * 8 digits) or an alphanumeric sender id.  Empty is no sender:
 * config_check() says.
 */
static int
config_sender_ok(char *s)
{
	size_t n = strlen(s);

	if (n == 0)
		return 1;
	if (s[0] == '+')
		return phone_is_e164(s);
	if (n >= 4 && n <= 8 && strspn(s, "0123456789") == n)
		return 1;
	return config_is_alphanumeric(s);
}

/* DEFAULT_REGION: two letters, made upper case ("gb" is GB).  Whether
 * libphonenumber knows the region is its to say, when a number is parsed. */
static int
config_region_ok(char *s)
{
	size_t i;

	for (i = 0; i < 2; i++) {
		if (s[i] >= 'a' && s[i] <= 'z')
			s[i] = (char)(s[i] - 'a' + 'A');
		if (s[i] < 'A' || s[i] > 'Z')
			return 0;
	}
	return s[2] == '\0';
}

/* ALLOWED_LINE_TYPES: a list of line type names (config_line_types() reads it). */
static int
config_line_types_ok(char *s)
{
	const char *p = s, *item;
	size_t n;
	int any = 0;

	while ((n = kv_list_next(&p, &item)) > 0) {
		if (phone_type_of(item, n) < 0)
			return 0;
		any = 1;
	}
	return any;
}

/* A list of line type names (a validator took it) as bits (1u << type). */
static unsigned
config_type_bits(const char *p)
{
	const char *item;
	unsigned bits = 0;
	size_t n;
	int t;

	while ((n = kv_list_next(&p, &item)) > 0)
		if ((t = phone_type_of(item, n)) >= 0)
			bits |= 1u << t;
	return bits;
}

/*
 * ALLOWED_LINE_TYPES into cfg->line_types, with a warning for the types
 * that SMS pumping aims at: a text to them earns their owner money; and
 * VOICE_LINE_TYPES into cfg->voice_line_types, where the same types (and
 * UAN numbers) are an error: a call to them is toll fraud's whole aim,
 * and it is billed by the minute.  Returns 0 or -1 (logged).
 */
static int
config_line_types(struct config *cfg, const char *name)
{
	const unsigned fraud = 1u << PHONE_PREMIUM_RATE | 1u << PHONE_SHARED_COST | 1u << PHONE_UAN;

	cfg->line_types = config_type_bits(cfg->allowed_line_types);
	if (cfg->line_types & (1u << PHONE_PREMIUM_RATE | 1u << PHONE_SHARED_COST))
		log_msg("%s: WARNING: ALLOWED_LINE_TYPES lets codes go to premium_rate or "
			"shared_cost numbers, the usual targets of SMS pumping: every code "
			"sent there earns their owner money at your cost",
			name);
	cfg->voice_line_types = config_type_bits(cfg->voice_line_types_list);
	if (cfg->voice_line_types & fraud) {
		log_msg("%s: invalid VOICE_LINE_TYPES: no calls to premium_rate, shared_cost or "
			"uan numbers (toll fraud)",
			name);
		return -1;
	}
	return 0;
}

/*
 * MESSAGE_TEXT as it is sent (its codes, the WebOTP line): more parts
 * than Telnyx sends is an error, more than one a warning (each is
 * billed); cfg->message_parts gets the count.  Returns 0 or -1 (logged).
 */
static int
config_parts(struct config *cfg, const char *name)
{
	char code[OTP_CODE_MAX + 1], text[OTP_TEXT_MAX];
	struct text_parts tp;

	/* Every code is token_length characters of GSM-7: 0 counts as any. */
	memset(code, '0', (size_t)cfg->token_length);
	code[cfg->token_length] = '\0';
	if (text_compose(cfg->message_text, cfg->site_name, cfg->webotp_domain, code, text,
			 sizeof(text)) < 0) {
		log_msg("%s: invalid MESSAGE_TEXT: too long with its codes", name);
		return -1;
	}
	text_parts(text, &tp);
	cfg->message_parts = tp.parts;
	if (tp.parts > TEXT_PARTS_MAX) {
		log_msg("%s: invalid MESSAGE_TEXT: %d parts with its codes (%zu %s), and Telnyx "
			"sends at most %d",
			name, tp.parts, tp.units, tp.ucs2 ? "UCS-2 units" : "GSM-7 characters",
			TEXT_PARTS_MAX);
		return -1;
	}
	if (tp.parts > 1)
		log_msg("%s: warning: MESSAGE_TEXT is %d parts with its codes (%zu %s; one part "
			"holds %d), and each part is billed",
			name, tp.parts, tp.units, tp.ucs2 ? "UCS-2 units" : "GSM-7 characters",
			tp.ucs2 ? 70 : 160);
	return 0;
}

/*
 * Telnyx's rules for alphanumeric senders ("MyShop"): a messaging profile
 * is required, and they reach no number in the US or Canada.  Returns 0
 * or -1 (logged).
 */
static int
config_sender(const struct config *cfg, const char *name)
{
	size_t i;
	int nanp = cfg->all_countries;

	/* Not one (a placeholder such as the tutorial's): warned of already. */
	if (cfg->transport != TRANSPORT_TELNYX || cfg->from_number == NULL ||
	    !config_is_alphanumeric(cfg->from_number))
		return 0;
	if (cfg->messaging_profile_id == NULL || cfg->messaging_profile_id[0] == '\0') {
		log_msg("%s: missing MESSAGING_PROFILE_ID (Telnyx requires one with the "
			"alphanumeric FROM_NUMBER)",
			name);
		return -1;
	}
	for (i = 0; i < (size_t)cfg->ncountries; i++)
		nanp |= cfg->countries[i].allowed && !strncmp(cfg->countries[i].code, "+1", 2);
	if (nanp)
		log_msg("%s: warning: an alphanumeric FROM_NUMBER cannot reach numbers in the "
			"US and Canada, which ALLOWED_COUNTRY_CODES allows",
			name);
	return 0;
}

/* COUNTRY_CODE: '+', then 1 to 3 digits, not 0 first. */
static int
config_country_code_ok(char *s)
{
	size_t n = strlen(s);

	return n >= 2 && n <= 4 && s[0] == '+' && s[1] >= '1' && s[1] <= '9' &&
	       strspn(s + 1, "0123456789") == n - 1;
}

/* https, or http to this machine only (the tests' servers); a, if not NULL, gets its parts. */
static int
config_url_ok(const char *s, struct url_authority *out)
{
	static const char *const local[] = {"127.0.0.1", "localhost", "[::1]"};
	struct url_authority a;
	size_t i;

	if (url_authority(s, &a) < 0)
		return 0;
	if (out != NULL)
		*out = a;
	if (url_is_scheme(&a, "https"))
		return 1;
	if (!url_is_scheme(&a, "http"))
		return 0;
	for (i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		if (a.host_len == strlen(local[i]) && !memcmp(a.host, local[i], a.host_len))
			return 1;
	return 0;
}

/*
 * API_BASE_URL: https, or http to this machine only (the tests' fake),
 * with no trailing '/' (the endpoint is {API_BASE_URL}/v2/messages).
 */
static int
config_api_url_ok(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
	return config_url_ok(s, NULL);
}

static int
config_e164_ok(char *s)
{
	return phone_is_e164(s);
}

/* An amount of money: digits, maybe a point and more (webhook_micros()). */
static int
config_amount_ok(char *s)
{
	return webhook_micros(s) >= 0;
}

static int
config_fraction_ok(char *s)
{
	long long m = webhook_micros(s);

	return m >= 0 && m <= 1000000;
}

static int
config_currency_ok(char *s)
{
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 3 && s[3] == '\0';
}

/* The CHANNEL_* bit of the CHANNELS word of n bytes at item, or 0. */
static unsigned
config_channel_of(const char *item, size_t n)
{
	static const struct {
		const char *word;
		unsigned bit;
	} words[] = {{"sms", CHANNEL_SMS}, {"inbound", CHANNEL_INBOUND}, {"voice", CHANNEL_VOICE}};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (n == strlen(words[i].word) && !strncmp(item, words[i].word, n))
			return words[i].bit;
	return 0;
}

/* CHANNELS: sms, inbound and voice, each at most once. */
static int
config_channels_ok(char *s)
{
	const char *p = s, *item;
	unsigned seen = 0, bit;
	size_t n;

	while ((n = kv_list_next(&p, &item)) > 0) {
		if ((bit = config_channel_of(item, n)) == 0 || (seen & bit))
			return 0;
		seen |= bit;
	}
	return seen != 0;
}

/* The CHANNELS list as bits (its validator took it). */
static unsigned
config_channel_bits(const char *s)
{
	const char *item;
	unsigned bits = 0;
	size_t n;

	while ((n = kv_list_next(&s, &item)) > 0)
		bits |= config_channel_of(item, n);
	return bits;
}

/* VOICE_CONNECTION_ID: Telnyx's ids are digits or a UUID; nothing else
 * goes into the JSON of a call. */
static int
config_connection_ok(char *s)
{
	size_t n = strlen(s);

	return n > 0 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				  "0123456789-_") == n;
}

static int config_is_cc(const char *s, size_t n);

/* INBOUND_COUNTRY_CODES: calling codes (or +1 areas), at least one. */
static int
config_cc_list_ok(char *s)
{
	const char *p = s, *item;
	size_t n, count = 0;

	while ((n = kv_list_next(&p, &item)) > 0) {
		if (!config_is_cc(item, n))
			return 0;
		count++;
	}
	return count > 0;
}

const char *
config_database(const struct config *cfg)
{
	return cfg->database_url != NULL ? cfg->database_url : cfg->db_path;
}

int
config_key_file(const struct config *cfg, size_t i, char *path, size_t size)
{
	const char *p = cfg->signing_key_file, *item;
	size_t n;

	if (p == NULL)
		return 0;
	while ((n = kv_list_next(&p, &item)) > 0)
		if (i-- == 0)
			return snprintf(path, size, "%.*s", (int)n, item) < (int)size;
	return 0;
}

/* TELNYX_PUBLIC_KEY: webhook.cgi parses it again per request (microseconds). */
static int
config_public_key_ok(char *s)
{
	unsigned char key[WEBHOOK_KEY_LEN];

	return webhook_key_parse(s, key) == 0;
}

/* WEBHOOK_URL: as API_BASE_URL, with a path (it names the program), and
 * printable ASCII only (it goes into the JSON of every send). */
static int
config_webhook_url_ok(char *s)
{
	struct url_authority a;
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return config_url_ok(s, &a) && a.rest[0] == '/';
}

/* DATABASE_URL: libpq's URI form (its own parser judges the rest when
 * the store connects), printable, no spaces. */
static int
config_database_url_ok(char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return !strncmp(s, "postgresql://", 13) || !strncmp(s, "postgres://", 11);
}

/* LANGUAGES: lang_list_ok(). */
static int
config_languages_ok(char *s)
{
	return lang_list_ok(s);
}

/*
 * MESSAGE_TEXT_<tag> (a language tag with "_" for "-": MESSAGE_TEXT_pt_br):
 * the text message in that language, checked as MESSAGE_TEXT is.  Returns
 * 0, or -1 after logging.
 */
static int
config_message_lang(struct config *cfg, const char *tag, const char *value, const char *name)
{
	char t[LANG_TAG_MAX + 1];
	size_t i, n = strlen(tag);
	int k;

	if (n == 0 || n > LANG_TAG_MAX) {
		log_msg("%s: invalid MESSAGE_TEXT_%s: not a language tag", name, tag);
		return -1;
	}
	for (i = 0; i <= n; i++)
		t[i] = tag[i] == '_' ? '-' : tag[i];
	if (!lang_tag_ok(t)) {
		log_msg("%s: invalid MESSAGE_TEXT_%s: not a language tag", name, tag);
		return -1;
	}
	if (strlen(value) > OTP_MESSAGE_MAX || config_has_ctl(value) ||
	    strstr(value, "{code}") == NULL) {
		log_msg(
		    "%s: invalid MESSAGE_TEXT_%s: must hold {code}, at most %d bytes, no control "
		    "characters",
		    name, tag, OTP_MESSAGE_MAX);
		return -1;
	}
	for (k = 0; k < cfg->n_message_langs && strcmp(cfg->message_langs[k].tag, t); k++)
		;
	if (k == cfg->n_message_langs) {
		if (k == CONFIG_MESSAGE_LANGS) {
			log_msg("%s: too many MESSAGE_TEXT_ keys (at most %d)", name,
				CONFIG_MESSAGE_LANGS);
			return -1;
		}
		cfg->n_message_langs++;
	} else
		free(cfg->message_langs[k].text);
	snprintf(cfg->message_langs[k].tag, sizeof(cfg->message_langs[k].tag), "%s", t);
	cfg->message_langs[k].text = xstrdup(value);
	return 0;
}

static int
config_message_ok(char *s)
{
	return strstr(s, "{code}") != NULL;
}

/* WEBOTP_DOMAIN: a lower-case host name. */
static int
config_domain_ok(char *s)
{
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789.-") == strlen(s);
}

/* RETURN_TO_ALLOWED: what return_to_parse() takes (config_parse() keeps it). */
static int
config_return_list_ok(char *s)
{
	struct return_to_policy pol;

	if (return_to_parse(&pol, s) < 0)
		return 0;
	return_to_free(&pol);
	return 1;
}

/*
 * SITE_ORIGIN: "http[s]://host[:port]", a lone '/' after it at most;
 * made lower case, without its default port or the '/', so that it reads
 * as browsers write an Origin header.
 */
static int
config_site_origin_ok(char *s)
{
	struct url_authority a;
	size_t i, host_end, room;

	if (url_authority(s, &a) < 0 || (a.rest[0] != '\0' && strcmp(a.rest, "/") != 0))
		return 0;
	host_end = (size_t)(a.host - s) + a.host_len;
	room = strlen(s + host_end) + 1;
	for (i = 0; i < host_end; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
	if (!url_is_scheme(&a, "http") && !url_is_scheme(&a, "https"))
		return 0;
	s[host_end] = '\0';
	/* The port as a number ("0080" is 80): never longer than written. */
	if (a.port != 0 && a.port != (url_is_scheme(&a, "http") ? 80 : 443))
		snprintf(s + host_end, room, ":%d", a.port);
	return 1;
}

/* SIGNING_KEY_FILE: absolute paths, at most OTP_SIGNING_KEYS_MAX (the files
 * themselves are read when signing, and by otp-admin check-config). */
static int
config_key_files_ok(char *s)
{
	const char *p = s, *item;
	size_t n, count = 0;

	while ((n = kv_list_next(&p, &item)) > 0)
		if (item[0] != '/' || ++count > OTP_SIGNING_KEYS_MAX)
			return 0;
	return count > 0;
}

/* ASSERTION_ISSUER, ASSERTION_AUDIENCE: written into the JWT as they are. */
static int
config_claim_ok(char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x21 || *s > 0x7e || *s == '"' || *s == '\\')
			return 0;
	return 1;
}

/*
 * The assertion's keys together: ASSERTION_FORMAT=jwt wants SIGNING_KEY
 * or SIGNING_KEY_FILE, an issuer and an audience (SITE_ORIGIN by
 * default); v1 is signed with SIGNING_KEY only.  0 or -1 (logged).
 */
static int
config_assertion(struct config *cfg, const char *name)
{
	if (cfg->assertion_format == FORMAT_V1) {
		if (cfg->signing_key_file != NULL && cfg->signing_key == NULL) {
			log_msg("%s: SIGNING_KEY_FILE signs only ASSERTION_FORMAT=jwt (set it, or "
				"SIGNING_KEY for v1)",
				name);
			return -1;
		}
		return 0;
	}
	if (cfg->assertion_issuer == NULL && cfg->site_origin != NULL)
		cfg->assertion_issuer = xstrdup(cfg->site_origin);
	if (cfg->assertion_audience == NULL && cfg->site_origin != NULL)
		cfg->assertion_audience = xstrdup(cfg->site_origin);
	if (cfg->signing_key == NULL && cfg->signing_key_file == NULL) {
		log_msg("%s: missing SIGNING_KEY_FILE or SIGNING_KEY (required with "
			"ASSERTION_FORMAT=jwt)",
			name);
		return -1;
	}
	if (cfg->assertion_issuer == NULL || cfg->assertion_audience == NULL) {
		log_msg("%s: missing ASSERTION_%s (or SITE_ORIGIN, its default; required with "
			"ASSERTION_FORMAT=jwt)",
			name, cfg->assertion_issuer == NULL ? "ISSUER" : "AUDIENCE");
		return -1;
	}
	return 0;
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
	while ((n = kv_list_next(&p, &it)) > 0) {
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
	while ((n = kv_list_next(&p, &it)) > 0) {
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

/*
 * SITE_NAME and WEBOTP_DOMAIN when not set: SITE_ORIGIN's host, which is
 * the page's own (the WebOTP line binds the code to it), when it is a host
 * name, not an address or localhost, which browsers do not bind codes to
 * and a text would not name a site by.
 */
static void
config_site_defaults(struct config *cfg)
{
	struct url_authority a;
	char host[OTP_HOST_MAX + 1];
	size_t i;

	if (cfg->site_origin == NULL || url_authority(cfg->site_origin, &a) < 0 ||
	    a.host_len == 0 || a.host_len > OTP_HOST_MAX)
		return;
	for (i = 0; i < a.host_len; i++)
		host[i] = (char)tolower((unsigned char)a.host[i]);
	host[a.host_len] = '\0';
	/* A name, not an address: a dot, a letter, no brackets. */
	if (strchr(host, '.') == NULL || host[0] == '[' ||
	    strspn(host, "0123456789.") == strlen(host) || !config_domain_ok(host))
		return;
	if (cfg->site_name == NULL && strlen(host) <= OTP_SITE_NAME_MAX)
		cfg->site_name = xstrdup(host);
	if (cfg->webotp_domain == NULL)
		cfg->webotp_domain = xstrdup(host);
}

/* What calls through Telnyx need.  Returns 0 or -1 (logged). */
static int
config_voice_telnyx(const struct config *cfg, const char *name)
{
	const char *from = cfg->voice_from != NULL ? cfg->voice_from : cfg->from_number;

	if (cfg->voice_connection_id == NULL) {
		log_msg("%s: missing VOICE_CONNECTION_ID (required with CHANNELS=%s)", name,
			cfg->channels_list);
		return -1;
	}
	if (from == NULL || !phone_is_e164(from)) {
		log_msg("%s: missing VOICE_FROM (FROM_NUMBER is no E.164 number to call from)",
			name);
		return -1;
	}
	if (cfg->webhook_url == NULL || cfg->telnyx_public_key == NULL) {
		log_msg("%s: missing %s (a call is driven by its signed events, to webhook.cgi)",
			name, cfg->webhook_url == NULL ? "WEBHOOK_URL" : "TELNYX_PUBLIC_KEY");
		return -1;
	}
	return 0;
}

/*
 * What calls need (CHANNELS=voice) through Telnyx: the key, the Call
 * Control application, a number to call from (a call has no alphanumeric
 * sender), and the webhook whose signed events (call.answered ...) drive
 * the call.  Until the core offers a call on its own (issue 25), voice
 * comes beside sms.  Hex codes spoken are a warning.  Returns 0 or -1
 * (logged).
 */
static int
config_voice(const struct config *cfg, const char *name)
{
	if (!(cfg->channels & CHANNEL_VOICE))
		return 0;
	if (!(cfg->channels & CHANNEL_SMS)) {
		log_msg("%s: invalid CHANNELS: voice needs sms beside it (a call is offered "
			"instead of a text)",
			name);
		return -1;
	}
	/* The outbox writes calls down: OUTBOX_PATH, checked for sms. */
	if (cfg->transport == TRANSPORT_TELNYX && config_voice_telnyx(cfg, name) < 0)
		return -1;
	if (cfg->voice_mode == VOICE_CODE && cfg->alphabet == ALPHABET_HEX)
		log_msg("%s: warning: TOKEN_ALPHABET=hex with VOICE_MODE=code: letters are "
			"misheard on a call (B, D, E); digits are safer",
			name);
	return 0;
}

/*
 * The rules that involve more than one key (each key's own are in
 * config_keys[]), then what is built from the keys once they are all
 * read.  Returns 0 or -1 (logged).
 */
static int
config_check(struct config *cfg, const char *name)
{
	/* The amounts as millionths (their validators took them). */
	cfg->conversion_min = webhook_micros(cfg->conversion_min_text);
	cfg->spend_limit =
	    cfg->spend_limit_text != NULL ? webhook_micros(cfg->spend_limit_text) : -1;
	cfg->sms_price = webhook_micros(cfg->sms_price_text);
	cfg->voice_price = webhook_micros(cfg->voice_price_text);
	cfg->channels = config_channel_bits(cfg->channels_list);
	config_site_defaults(cfg);
	if ((cfg->channels & CHANNEL_INBOUND) && cfg->inbound_number == NULL) {
		log_msg("%s: missing INBOUND_NUMBER (required with CHANNELS=%s)", name,
			cfg->channels_list);
		return -1;
	}
	if (!(cfg->channels & CHANNEL_SMS)) {
		/* Nothing is sent: no provider keys are needed. */
	} else if (cfg->transport == TRANSPORT_TELNYX) {
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
	/* Fewer than about a million possible codes (20 bits) is weak. */
	if ((cfg->alphabet == ALPHABET_HEX && cfg->token_length < 5) ||
	    (cfg->alphabet == ALPHABET_DIGITS && cfg->token_length < 6))
		log_msg("%s: warning: TOKEN_LENGTH %d gives fewer than 20 bits per code", name,
			cfg->token_length);
	/* ALLOWED_COUNTRY_CODES falls back to COUNTRY_CODE. */
	if (config_countries(cfg, name) < 0)
		return -1;
	if (config_line_types(cfg, name) < 0 || config_voice(cfg, name) < 0)
		return -1;
	if (config_parts(cfg, name) < 0 || config_sender(cfg, name) < 0)
		return -1;
	/* Its validator took the list already: this cannot fail. */
	if (return_to_parse(&cfg->return_to, cfg->return_to_allowed) < 0) {
		log_msg("%s: invalid RETURN_TO_ALLOWED", name);
		return -1;
	}
	cfg->form_origins = cfg->return_to.form_origins;
	return config_assertion(cfg, name);
}

/* What config_key_line() needs. */
struct config_ctx {
	struct config *cfg;
	const char *name;
};

/* One KEY=value of otp.conf into the config. */
static int
config_key_line(void *arg, const char *key, const char *value, int lineno)
{
	struct config_ctx *c = arg;
	size_t i;

	for (i = 0; i < CONFIG_NKEYS; i++)
		if (!strcmp(key, config_keys[i].name))
			break;
	if (i == CONFIG_NKEYS) {
		if (!strncmp(key, "MESSAGE_TEXT_", 13))
			return config_message_lang(c->cfg, key + 13, value, c->name);
		log_msg("%s: warning: unknown key %s on line %d", c->name, key, lineno);
		return 0;
	}
	if (!strcmp(key, "MESSAGE_TEXT"))
		c->cfg->message_text_set = 1;
	return config_set(c->cfg, &config_keys[i], value, c->name);
}

/*
 * config_parse(), and with all (otp-admin check-config) every problem
 * logged rather than the first: a line or a value in error counts and the
 * rest is read on (with its default for that key), and the rules across
 * keys are checked at the end all the same.  Returns the problems found
 * (0: cfg is loaded; else it is freed).
 */
static int
config_parse_all(struct config *cfg, const char *buf, size_t len, const char *name, int all)
{
	struct config_ctx c = {cfg, name};
	int problems;

	config_defaults(cfg);
	problems = kv_each(buf, len, name, all, config_key_line, &c);
	if ((problems == 0 || all) && config_check(cfg, name) < 0)
		problems++;
	if (problems > 0)
		config_free(cfg);
	return problems;
}

int
config_parse(struct config *cfg, const char *buf, size_t len, const char *name)
{
	return config_parse_all(cfg, buf, len, name, 0) == 0 ? 0 : -1;
}

/* The file at path into cfg as config_parse_all() reads it: the problems
 * found, -1 if it cannot be read (logged). */
static int
config_load_all(struct config *cfg, const char *path, int all)
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
	rc = config_parse_all(cfg, buf, len, path, all);
	explicit_bzero(buf, len);
	free(buf);
	return rc;
}

int
config_load(struct config *cfg, const char *path)
{
	if (config_load_all(cfg, path, 0) != 0)
		return -1;
	cfg->path = xstrdup(path);
	return 0;
}

int
config_lint(struct config *cfg, const char *path)
{
	int problems = config_load_all(cfg, path, 1);

	if (problems == 0)
		cfg->path = xstrdup(path);
	return problems;
}
