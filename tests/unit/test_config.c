/*
 * Proves that the configuration reader takes the tutorial's config.cfg
 * once its placeholder number is filled in (with the documented defaults
 * for what it leaves out), reads every quoting style and line ending a hand-written file has,
 * refuses every invalid value of every key with one log line that names the key (and never the API
 * key's value), only warns about unknown keys, and fails cleanly on a missing file or a directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "bounds.h"
#include "limit.h"
#include "message.h"
#include "phone.h"
#include "unit.h"

/* The API key every test uses: it must never show up in the log. */
#define SECRET "KEY0123SECRETVALUE"
#define BASE   "API_KEY='" SECRET "'\nFROM_NUMBER='+15550001111'\n"

/*
 * The tutorial's config.cfg, as its page shows it, with the sending number
 * its reader is told to put in (FROM_NUMBER must be a sender Telnyx takes;
 * test_tutorial_placeholder() has the file verbatim).
 */
#define TUTORIAL(from)                                                                             \
	"API_KEY='YOUR_API_KEY'\n"                                                                 \
	"FROM_NUMBER='" from "'\n"                                                                 \
	"\n"                                                                                       \
	"DEBUG=True\n"                                                                             \
	"COUNTRY_CODE='+1'\n"                                                                      \
	"TOKEN_LENGTH=4\n"

static const char tutorial[] = TUTORIAL("+15550001111");

/* config_parse() on text, stderr captured into *log (caller frees). */
static int
parse(struct config *cfg, const char *text, size_t len, char **log)
{
	char *copy = unit_exact(text, len);
	int rc;

	unit_cap_begin();
	rc = config_parse(cfg, copy, len, "test.conf");
	*log = unit_cap_end();
	free(copy);
	return rc;
}

/* A config that must be refused, with a log line naming what. */
static void
assert_refused(const char *text, size_t len, const char *names)
{
	struct config cfg;
	char *log;
	int rc = parse(&cfg, text, len, &log);

	if (rc != -1 || strstr(log, names) == NULL || strstr(log, SECRET) != NULL)
		print_error("config:\n%.*s\nlog:\n%s\n", (int)len, text, log);
	if (rc == 0)
		config_free(&cfg); /* wrongly accepted: free before failing */
	assert_int_equal(rc, -1);
	assert_non_null(strstr(log, names));
	assert_null(strstr(log, SECRET));
	/* Exactly one line: the one that says why. */
	assert_non_null(strchr(log, '\n'));
	assert_null(strchr(strchr(log, '\n') + 1, '\n'));
	/* Freed on failure: nothing left to leak, and freeing again is safe. */
	assert_null(cfg.api_key);
	assert_null(cfg.secret_key);
	assert_null(cfg.db_path);
	config_free(&cfg);
	free(log);
}

#define REFUSED(text, names) assert_refused(text, sizeof(text) - 1, names)

/* A config that must be accepted; cfg is left for the caller to check. */
static void
assert_accepted(struct config *cfg, const char *text, char **log)
{
	int rc = parse(cfg, text, strlen(text), log);

	if (rc != 0)
		print_error("config:\n%s\nlog:\n%s\n", text, *log);
	assert_int_equal(rc, 0);
	assert_null(strstr(*log, SECRET));
}

static void
test_tutorial_file(void **state)
{
	struct config cfg;
	char *log;

	(void)state;
	assert_accepted(&cfg, tutorial, &log);
	assert_string_equal(cfg.api_key, "YOUR_API_KEY");
	assert_string_equal(cfg.from_number, "+15550001111");
	assert_int_equal(cfg.debug, 1);
	assert_string_equal(cfg.country_code, "+1");
	assert_int_equal(cfg.token_length, 4);
	/* Everything else: the defaults of DESIGN.md section 3. */
	assert_int_equal(cfg.alphabet, ALPHABET_HEX);
	assert_int_equal(cfg.token_ttl, 300);
	assert_int_equal(cfg.max_attempts, 5);
	assert_string_equal(cfg.secret_key, "YOUR_API_KEY");
	assert_string_equal(cfg.api_base_url, "https://api.telnyx.com");
	assert_null(cfg.messaging_profile_id);
	assert_string_equal(cfg.db_path, OTP_DB_DEFAULT);
	assert_string_equal(cfg.template_dir, OTP_TEMPLATE_DEFAULT);
	assert_int_equal(cfg.transport, TRANSPORT_TELNYX);
	assert_null(cfg.outbox_path);
	assert_string_equal(cfg.message_text, "{code} is your verification code. Do not share it.");
	/* 4 hex characters are 16 bits: accepted, with a warning. */
	assert_non_null(strstr(log, "warning: TOKEN_LENGTH 4"));
	assert_null(strstr(log, "YOUR_API_KEY"));
	config_free(&cfg);
	assert_null(cfg.api_key);
	free(log);
}

/*
 * The verbatim file, placeholder number and all, parses: the syntax and
 * keys work unchanged.  What is not a sender Telnyx takes gets a warning
 * naming FROM_NUMBER (Telnyx is the judge when it sends).
 */
static void
test_tutorial_placeholder(void **state)
{
	struct config cfg;
	char *log;
	const char *text = TUTORIAL("YOUR_TELNYX_NUMBER");

	(void)state;
	assert_int_equal(parse(&cfg, text, strlen(text), &log), 0);
	assert_string_equal(cfg.from_number, "YOUR_TELNYX_NUMBER");
	assert_string_equal(cfg.api_key, "YOUR_API_KEY");
	assert_int_equal(cfg.token_length, 4);
	assert_true(cfg.debug);
	assert_non_null(strstr(log, "warning: FROM_NUMBER"));
	config_free(&cfg);
	free(log);
}

static void
test_defaults(void **state)
{
	struct config cfg;
	char *log;

	(void)state;
	assert_accepted(&cfg, "API_KEY='" SECRET "'\nFROM_NUMBER=+15550001111\n", &log);
	assert_int_equal(cfg.token_length, 6);
	assert_int_equal(cfg.debug, 0);
	assert_string_equal(cfg.country_code, "+1");
	assert_string_equal(cfg.secret_key, SECRET);
	/* A long enough key and 24 bits of code: nothing to warn about. */
	assert_string_equal(log, "");
	config_free(&cfg);
	free(log);
}

static void
test_every_key_set(void **state)
{
	struct config cfg;
	char *log;

	(void)state;
	assert_accepted(&cfg,
			"API_KEY=" SECRET "\n"
			"FROM_NUMBER=+15550001111\n"
			"COUNTRY_CODE=+44\n"
			"TOKEN_LENGTH=10\n"
			"DEBUG=False\n"
			"TOKEN_ALPHABET=digits\n"
			"TOKEN_TTL=600\n"
			"MAX_ATTEMPTS=10\n"
			"SECRET_KEY=another-secret-of-some-length\n"
			"API_BASE_URL=https://api.example.net/\n"
			"MESSAGING_PROFILE_ID=4001-abcd\n"
			"DB_PATH=/var/tmp/otp.db\n"
			"TEMPLATE_DIR=/srv/templates\n"
			"SMS_TRANSPORT=outbox\n"
			"OUTBOX_PATH=/var/tmp/outbox.jsonl\n"
			"MESSAGE_TEXT=Code: {code}\n",
			&log);
	assert_string_equal(cfg.country_code, "+44");
	assert_int_equal(cfg.token_length, 10);
	assert_int_equal(cfg.debug, 0);
	assert_int_equal(cfg.alphabet, ALPHABET_DIGITS);
	assert_int_equal(cfg.token_ttl, 600);
	assert_int_equal(cfg.max_attempts, 10);
	assert_string_equal(cfg.secret_key, "another-secret-of-some-length");
	/* The trailing slash goes: the endpoint is {API_BASE_URL}/v2/messages. */
	assert_string_equal(cfg.api_base_url, "https://api.example.net");
	assert_string_equal(cfg.messaging_profile_id, "4001-abcd");
	assert_string_equal(cfg.db_path, "/var/tmp/otp.db");
	assert_string_equal(cfg.template_dir, "/srv/templates");
	assert_int_equal(cfg.transport, TRANSPORT_OUTBOX);
	assert_string_equal(cfg.outbox_path, "/var/tmp/outbox.jsonl");
	assert_string_equal(cfg.message_text, "Code: {code}");
	assert_string_equal(log, "");
	config_free(&cfg);
	free(log);
}

static void
test_lowest_values(void **state)
{
	struct config cfg;
	char *log;

	(void)state;
	assert_accepted(&cfg, BASE "TOKEN_TTL=1\nMAX_ATTEMPTS=1\nTOKEN_LENGTH=4\n", &log);
	assert_int_equal(cfg.token_ttl, 1);
	assert_int_equal(cfg.max_attempts, 1);
	assert_int_equal(cfg.token_length, 4);
	config_free(&cfg);
	free(log);
}

static void
test_quoting_values(void **state)
{
	struct config cfg;
	char *log;

	(void)state;
	assert_accepted(&cfg,
			"# a comment line\n"
			"   # an indented comment\n"
			"\n"
			"API_KEY=\"" SECRET "\"\n"
			"FROM_NUMBER = '+15550001111'   # trailing comment\n"
			"  COUNTRY_CODE\t=\t+44   # bare, then a comment\n"
			"MESSAGE_TEXT='Code #{code}'\n"
			"MESSAGING_PROFILE_ID=\"it's\"\n"
			"TEMPLATE_DIR='/a \"b\" c'  \n"
			"DEBUG = 'True'\n",
			&log);
	assert_string_equal(cfg.api_key, SECRET);
	assert_string_equal(cfg.from_number, "+15550001111");
	assert_string_equal(cfg.country_code, "+44");
	/* '#' inside quotes is text, not a comment. */
	assert_string_equal(cfg.message_text, "Code #{code}");
	assert_string_equal(cfg.messaging_profile_id, "it's");
	assert_string_equal(cfg.template_dir, "/a \"b\" c");
	assert_int_equal(cfg.debug, 1);
	config_free(&cfg);
	free(log);
}

static void
test_crlf(void **state)
{
	struct config cfg;
	char *log;

	(void)state;
	assert_accepted(&cfg,
			"# written on Windows\r\n"
			"\r\n"
			"API_KEY='" SECRET "'\r\n"
			"FROM_NUMBER=+15550001111\r\n"
			"TOKEN_LENGTH=8\r\n"
			"DEBUG=True \r\n"
			"MESSAGE_TEXT='Your code: {code}'  \r\n"
			"TOKEN_ALPHABET=digits\r\n",
			&log);
	assert_string_equal(cfg.api_key, SECRET);
	assert_string_equal(cfg.from_number, "+15550001111");
	assert_int_equal(cfg.token_length, 8);
	assert_int_equal(cfg.debug, 1);
	assert_string_equal(cfg.message_text, "Your code: {code}");
	assert_int_equal(cfg.alphabet, ALPHABET_DIGITS);
	config_free(&cfg);
	free(log);
}

static void
test_last_line_without_newline_and_override(void **state)
{
	struct config cfg;
	char *log;

	(void)state;
	/* A later line wins, as in Python; the file may end without '\n'. */
	assert_accepted(&cfg, BASE "TOKEN_LENGTH=5\nTOKEN_LENGTH=7", &log);
	assert_int_equal(cfg.token_length, 7);
	config_free(&cfg);
	free(log);
}

static void
test_booleans(void **state)
{
	static const struct {
		const char *text;
		int value;
	} cases[] = {
	    {"True", 1},  {"true", 1},  {"1", 1}, {"yes", 1}, {"on", 1},
	    {"False", 0}, {"false", 0}, {"0", 0}, {"no", 0},  {"off", 0},
	};
	char text[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config cfg;
		char *log;

		snprintf(text, sizeof(text), BASE "DEBUG=%s\n", cases[i].text);
		assert_accepted(&cfg, text, &log);
		assert_int_equal(cfg.debug, cases[i].value);
		config_free(&cfg);
		free(log);
	}
	REFUSED(BASE "DEBUG=maybe\n", "DEBUG");
	REFUSED(BASE "DEBUG=2\n", "DEBUG");
	REFUSED(BASE "DEBUG=\n", "DEBUG");
}

static void
test_bad_numbers(void **state)
{
	(void)state;
	REFUSED(BASE "TOKEN_LENGTH=3\n", "invalid TOKEN_LENGTH");
	REFUSED(BASE "TOKEN_LENGTH=11\n", "invalid TOKEN_LENGTH");
	REFUSED(BASE "TOKEN_LENGTH=abc\n", "invalid TOKEN_LENGTH");
	REFUSED(BASE "TOKEN_LENGTH=4x\n", "invalid TOKEN_LENGTH");
	REFUSED(BASE "TOKEN_LENGTH=\n", "invalid TOKEN_LENGTH");
	REFUSED(BASE "TOKEN_LENGTH=-6\n", "invalid TOKEN_LENGTH");
	REFUSED(BASE "TOKEN_LENGTH=99999999999999999999\n", "invalid TOKEN_LENGTH");
	REFUSED(BASE "TOKEN_LENGTH='6 '\n", "invalid TOKEN_LENGTH");
	REFUSED(BASE "TOKEN_TTL=0\n", "invalid TOKEN_TTL");
	REFUSED(BASE "TOKEN_TTL=601\n", "invalid TOKEN_TTL");
	REFUSED(BASE "TOKEN_TTL=-1\n", "invalid TOKEN_TTL");
	REFUSED(BASE "MAX_ATTEMPTS=0\n", "invalid MAX_ATTEMPTS");
	REFUSED(BASE "MAX_ATTEMPTS=11\n", "invalid MAX_ATTEMPTS");
}

static void
test_bad_choices(void **state)
{
	(void)state;
	REFUSED(BASE "TOKEN_ALPHABET=base64\n", "invalid TOKEN_ALPHABET");
	REFUSED(BASE "TOKEN_ALPHABET=\n", "invalid TOKEN_ALPHABET");
	REFUSED(BASE "SMS_TRANSPORT=x\n", "invalid SMS_TRANSPORT");
	REFUSED(BASE "SMS_TRANSPORT=Telnyx \n", "invalid SMS_TRANSPORT");
}

static void
test_country_code(void **state)
{
	(void)state;
	REFUSED(BASE "COUNTRY_CODE=1\n", "COUNTRY_CODE");
	REFUSED(BASE "COUNTRY_CODE=+0\n", "COUNTRY_CODE");
	REFUSED(BASE "COUNTRY_CODE=+\n", "COUNTRY_CODE");
	REFUSED(BASE "COUNTRY_CODE=+1234\n", "COUNTRY_CODE");
	REFUSED(BASE "COUNTRY_CODE=+1a\n", "COUNTRY_CODE");
	REFUSED(BASE "COUNTRY_CODE=\n", "COUNTRY_CODE");
}

static void
test_api_base_url(void **state)
{
	static const char *const good[] = {
	    "http://127.0.0.1:8080", "http://127.0.0.1", "http://localhost:1/",
	    "http://[::1]:9",        "https://x",        "https://api.telnyx.com",
	};
	char text[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct config cfg;
		char *log;

		snprintf(text, sizeof(text), BASE "API_BASE_URL=%s\n", good[i]);
		assert_accepted(&cfg, text, &log);
		config_free(&cfg);
		free(log);
	}
	/* Plain http would carry the API key in clear text. */
	REFUSED(BASE "API_BASE_URL=http://example.com\n", "API_BASE_URL");
	REFUSED(BASE "API_BASE_URL=http://127.0.0.1.example.com\n", "API_BASE_URL");
	REFUSED(BASE "API_BASE_URL=http://localhost@example.com\n", "API_BASE_URL");
	REFUSED(BASE "API_BASE_URL=ftp://127.0.0.1\n", "API_BASE_URL");
	REFUSED(BASE "API_BASE_URL=https://\n", "API_BASE_URL");
	REFUSED(BASE "API_BASE_URL=https:///x\n", "API_BASE_URL");
	REFUSED(BASE "API_BASE_URL=api.telnyx.com\n", "API_BASE_URL");
	REFUSED(BASE "API_BASE_URL=\n", "API_BASE_URL");
}

/*
 * In "http://127.0.0.1:80@evil.example" the "127.0.0.1:80" is userinfo
 * and libcurl would connect to evil.example in plain http, sending the
 * bearer API key in clear: not loopback, refused.
 */
static void
test_api_base_url_userinfo_is_not_loopback(void **state)
{
	(void)state;
	REFUSED(BASE "API_BASE_URL=http://127.0.0.1:80@evil.example\n", "API_BASE_URL");
}

/* DATABASE_URL: a PostgreSQL URI, or refused; the value never in the log
 * (it may hold a password); config_database() picks it over DB_PATH. */
static void
test_database_url(void **state)
{
	struct config cfg;
	char *log = NULL;

	(void)state;
	assert_accepted(&cfg, BASE "DB_PATH=/var/tmp/otp.db\n", &log);
	assert_null(cfg.database_url);
	assert_string_equal(config_database(&cfg), "/var/tmp/otp.db");
	config_free(&cfg);
	free(log);
	log = NULL;
	assert_accepted(&cfg,
			BASE
			"DB_PATH=/var/tmp/otp.db\n"
			"DATABASE_URL='postgresql://otp:s3cret@db.example/otp?sslmode=require'\n",
			&log);
	assert_string_equal(config_database(&cfg),
			    "postgresql://otp:s3cret@db.example/otp?sslmode=require");
	config_free(&cfg);
	free(log);
	log = NULL;
	assert_accepted(&cfg, BASE "DATABASE_URL=postgres:///otp?host=/run/postgresql\n", &log);
	assert_string_equal(config_database(&cfg), "postgres:///otp?host=/run/postgresql");
	config_free(&cfg);
	free(log);
	REFUSED(BASE "DATABASE_URL='mysql://otp:s3cret@db/otp'\n", "invalid DATABASE_URL");
	REFUSED(BASE "DATABASE_URL='host=db user=otp password=s3cret'\n", "invalid DATABASE_URL");
	REFUSED(BASE "DATABASE_URL='postgresql://otp:s3cret@db/otp x'\n", "invalid DATABASE_URL");
	REFUSED(BASE "DATABASE_URL=\n", "DATABASE_URL");
	/* The refusal names the key, never the password. */
	assert_int_equal(parse(&cfg, BASE "DATABASE_URL='mysql://otp:s3cret@db/otp'\n",
			       sizeof(BASE "DATABASE_URL='mysql://otp:s3cret@db/otp'\n") - 1, &log),
			 -1);
	assert_non_null(log);
	assert_null(strstr(log, "s3cret"));
	free(log);
}

/* LANGUAGES and MESSAGE_TEXT_<tag>: which text message each language gets. */
/* SITE_NAME and WEBOTP_DOMAIN default to SITE_ORIGIN's host name. */
static void
test_site_defaults(void **state)
{
	struct config cfg;
	char *log = NULL;

	(void)state;
	assert_accepted(&cfg, BASE "SITE_ORIGIN='https://Shop.Example.com:8443'\n", &log);
	assert_string_equal(cfg.site_name, "shop.example.com");
	assert_string_equal(cfg.webotp_domain, "shop.example.com");
	config_free(&cfg);
	free(log);
	log = NULL;
	/* Set ones are kept. */
	assert_accepted(&cfg,
			BASE "SITE_ORIGIN='https://example.com'\nSITE_NAME='Acme'\n"
			     "WEBOTP_DOMAIN=login.example.com\n",
			&log);
	assert_string_equal(cfg.site_name, "Acme");
	assert_string_equal(cfg.webotp_domain, "login.example.com");
	config_free(&cfg);
	free(log);
	log = NULL;
	/* An address or localhost names no site and binds no code. */
	assert_accepted(&cfg, BASE "SITE_ORIGIN='http://127.0.0.1:8080'\n", &log);
	assert_null(cfg.site_name);
	assert_null(cfg.webotp_domain);
	config_free(&cfg);
	free(log);
	log = NULL;
	assert_accepted(&cfg, BASE "SITE_ORIGIN='http://localhost:8080'\n", &log);
	assert_null(cfg.site_name);
	assert_null(cfg.webotp_domain);
	config_free(&cfg);
	free(log);
}

static void
test_languages(void **state)
{
	struct config cfg;
	char *log = NULL;

	(void)state;
	assert_accepted(&cfg, BASE, &log);
	assert_string_equal(cfg.languages, "en");
	/* Neither set: the language's file, else MESSAGE_TEXT's default. */
	assert_string_equal(message_text(&cfg, "en", "File {code}"), "File {code}");
	assert_string_equal(message_text(&cfg, "en", NULL),
			    "{code} is your verification code. Do not share it.");
	config_free(&cfg);
	free(log);
	assert_accepted(&cfg,
			BASE
			"LANGUAGES=fr,EN,pt-BR\nMESSAGE_TEXT='Site {code}'\n"
			"MESSAGE_TEXT_pt_br='Seu codigo {code}'\nMESSAGE_TEXT_EN='Hi {code}'\n",
			&log);
	assert_string_equal(cfg.languages, "fr,en,pt-br");
	/* MESSAGE_TEXT set: the first language's; the others their own. */
	assert_string_equal(message_text(&cfg, "fr", "Fichier {code}"), "Site {code}");
	assert_string_equal(message_text(&cfg, "pt-br", "Arquivo {code}"), "Seu codigo {code}");
	assert_string_equal(message_text(&cfg, "en", "File {code}"), "Hi {code}");
	config_free(&cfg);
	free(log);
	REFUSED(BASE "LANGUAGES=english\n", "invalid LANGUAGES");
	REFUSED(BASE "LANGUAGES=en,fr,en\n", "invalid LANGUAGES");
	REFUSED(BASE "LANGUAGES=\n", "LANGUAGES");
	REFUSED(BASE "MESSAGE_TEXT_fr='Votre code'\n", "invalid MESSAGE_TEXT_fr");
	REFUSED(BASE "MESSAGE_TEXT_french='{code}'\n", "invalid MESSAGE_TEXT_french");
	REFUSED(BASE "MESSAGE_TEXT_='{code}'\n", "MESSAGE_TEXT_");
}

static void
test_paths(void **state)
{
	(void)state;
	REFUSED(BASE "DB_PATH=otp.db\n", "invalid DB_PATH");
	REFUSED(BASE "DB_PATH=./otp.db\n", "invalid DB_PATH");
	REFUSED(BASE "DB_PATH=\n", "invalid DB_PATH");
	REFUSED(BASE "TEMPLATE_DIR=templates\n", "invalid TEMPLATE_DIR");
	REFUSED(BASE "CA_FILE=ca.pem\n", "invalid CA_FILE");
	REFUSED("SECRET_KEY=0123456789abcdef\nSMS_TRANSPORT=outbox\nOUTBOX_PATH=out.jsonl\n",
		"invalid OUTBOX_PATH");
}

static void
test_message_text(void **state)
{
	struct config cfg;
	char text[1024], *log;

	(void)state;
	REFUSED(BASE "MESSAGE_TEXT='Your token'\n", "MESSAGE_TEXT");
	REFUSED(BASE "MESSAGE_TEXT='{cod}'\n", "MESSAGE_TEXT");
	REFUSED(BASE "MESSAGE_TEXT=\n", "MESSAGE_TEXT");
	/* At most OTP_MESSAGE_MAX characters, {code} included. */
	snprintf(text, sizeof(text), BASE "MESSAGE_TEXT=%0*d{code}\n", OTP_MESSAGE_MAX - 5, 0);
	assert_refused(text, strlen(text), "MESSAGE_TEXT");
	snprintf(text, sizeof(text), BASE "MESSAGE_TEXT=%0*d{code}\n", OTP_MESSAGE_MAX - 6, 0);
	assert_accepted(&cfg, text, &log);
	assert_int_equal(strlen(cfg.message_text), OTP_MESSAGE_MAX);
	/* 634 + a code of 6: five parts of GSM-7, each billed. */
	assert_non_null(strstr(log, "warning: MESSAGE_TEXT is 5 parts with its codes (640 GSM-7 "
				    "characters; one part holds 160)"));
	config_free(&cfg);
	free(log);
	/* 154 + 6 fill one part; one more character is two. */
	snprintf(text, sizeof(text), BASE "MESSAGE_TEXT=%0*d{code}\nTOKEN_LENGTH=6\n", 154, 0);
	assert_accepted(&cfg, text, &log);
	assert_string_equal(log, "");
	config_free(&cfg);
	free(log);
	snprintf(text, sizeof(text), BASE "MESSAGE_TEXT=%0*d{code}\nTOKEN_LENGTH=6\n", 155, 0);
	assert_accepted(&cfg, text, &log);
	assert_non_null(strstr(log, "warning: MESSAGE_TEXT is 2 parts"));
	config_free(&cfg);
	free(log);
	/* A dash outside GSM-7 makes it UCS-2: 64 + the dash + 6 = 71 units, two parts. */
	snprintf(text, sizeof(text), BASE "MESSAGE_TEXT='%0*d\xe2\x80\x94{code}'\nTOKEN_LENGTH=6\n",
		 64, 0);
	assert_accepted(&cfg, text, &log);
	assert_non_null(strstr(log, "warning: MESSAGE_TEXT is 2 parts with its codes (71 UCS-2 "
				    "units; one part holds 70)"));
	config_free(&cfg);
	free(log);
	/* With the WebOTP line of a long domain, UCS-2 passes ten parts: refused. */
	snprintf(text, sizeof(text),
		 BASE "MESSAGE_TEXT='\xe2\x80\x94%0*d{code}'\nWEBOTP_DOMAIN=%s.example.com\n", 600,
		 0,
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
		 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	assert_refused(text, strlen(text), "Telnyx sends at most 10");
}

static void
test_control_characters(void **state)
{
	(void)state;
	REFUSED(BASE "MESSAGE_TEXT='a\x01{code}'\n", "MESSAGE_TEXT");
	REFUSED(BASE "MESSAGE_TEXT='a\x7f{code}'\n", "MESSAGE_TEXT");
	REFUSED(BASE "FROM_NUMBER='+1555\t0001111'\n", "FROM_NUMBER");
	REFUSED(BASE "DB_PATH='/tmp/a\x1b'\n", "DB_PATH");
}

static void
test_senders(void **state)
{
	static const char *const good[] = {
	    "+15550001111", "+123456789012345", "12345",   "12345678",
	    "Acme",         "Acme Co",          "ACME2FA", "A1234567890",
	};
	static const char *const odd[] = {
	    "+123456",         "+1234567890123456", "+0123456789", "123",
	    "123456789",       "AcmeCorp1234",      "Acme-Co",     "   ",
	    "+1 555 000 1111",
	};
	char text[256];
	size_t i;

	(void)state;
	/* E.164, a short code (4 to 8 digits), an alphanumeric sender id. */
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct config cfg;
		char *log;

		/* An alphanumeric sender needs a messaging profile (Telnyx's spec). */
		snprintf(text, sizeof(text),
			 "API_KEY=" SECRET "\nFROM_NUMBER='%s'\nMESSAGING_PROFILE_ID=p1\n",
			 good[i]);
		assert_accepted(&cfg, text, &log);
		assert_string_equal(cfg.from_number, good[i]);
		config_free(&cfg);
		free(log);
	}
	/* Anything else is sent as it is, with a warning naming FROM_NUMBER:
	 * Telnyx has the last word, and the tutorial's file holds a placeholder. */
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		struct config cfg;
		char *log;

		snprintf(text, sizeof(text), "API_KEY=" SECRET "\nFROM_NUMBER='%s'\n", odd[i]);
		assert_accepted(&cfg, text, &log);
		assert_non_null(strstr(log, "warning: FROM_NUMBER"));
		config_free(&cfg);
		free(log);
	}
	REFUSED("API_KEY=" SECRET "\nFROM_NUMBER=123456789012345678901234567890123\n",
		"invalid FROM_NUMBER");
	REFUSED("API_KEY=" SECRET "\nFROM_NUMBER='Acme Co'\n", "missing MESSAGING_PROFILE_ID");
	REFUSED("API_KEY=" SECRET "\nFROM_NUMBER='Acme'\nALLOWED_COUNTRY_CODES=+44\n",
		"missing MESSAGING_PROFILE_ID");
	/* Not with the outbox, which sends to nobody. */
	{
		struct config cfg;
		char *log;

		assert_accepted(&cfg,
				"SECRET_KEY=" SECRET "\nFROM_NUMBER='Acme'\nSMS_TRANSPORT=outbox\n"
				"OUTBOX_PATH=/tmp/x\n",
				&log);
		assert_string_equal(log, "");
		config_free(&cfg);
		free(log);
		/* US and Canada allowed (the default COUNTRY_CODE, *, or a +1 area): warned. */
		assert_accepted(
		    &cfg, "API_KEY=" SECRET "\nFROM_NUMBER='Acme'\nMESSAGING_PROFILE_ID=p\n", &log);
		assert_non_null(strstr(log, "warning: an alphanumeric FROM_NUMBER cannot reach "
					    "numbers in the US and Canada"));
		config_free(&cfg);
		free(log);
		assert_accepted(&cfg,
				"API_KEY=" SECRET "\nFROM_NUMBER='Acme'\nMESSAGING_PROFILE_ID=p\n"
				"ALLOWED_COUNTRY_CODES=+44,+1876\n",
				&log);
		assert_non_null(strstr(log, "US and Canada"));
		config_free(&cfg);
		free(log);
		/* Only elsewhere: no warning. */
		assert_accepted(&cfg,
				"API_KEY=" SECRET "\nFROM_NUMBER='Acme'\nMESSAGING_PROFILE_ID=p\n"
				"COUNTRY_CODE=+44\n",
				&log);
		assert_string_equal(log, "");
		config_free(&cfg);
		free(log);
	}
	REFUSED(BASE "MESSAGING_PROFILE_ID="
		     "12345678901234567890123456789012345678901234567890123456789012345\n",
		"MESSAGING_PROFILE_ID");
}

static void
test_required_keys(void **state)
{
	struct config cfg;
	char *log;

	(void)state;
	REFUSED("FROM_NUMBER='+15550001111'\n", "API_KEY");
	REFUSED("API_KEY=''\nFROM_NUMBER='+15550001111'\n", "API_KEY");
	REFUSED("API_KEY=" SECRET "\n", "FROM_NUMBER");
	REFUSED("", "API_KEY");
	/* A messaging profile may stand in for FROM_NUMBER. */
	assert_accepted(&cfg, "API_KEY=" SECRET "\nMESSAGING_PROFILE_ID=prof-1\n", &log);
	assert_null(cfg.from_number);
	config_free(&cfg);
	free(log);
}

/*
 * An empty MESSAGING_PROFILE_ID is no sender: with no FROM_NUMBER either,
 * every send would fail at Telnyx, so the config is refused.
 */
static void
test_empty_profile_is_not_a_sender(void **state)
{
	(void)state;
	REFUSED("API_KEY=" SECRET "\nMESSAGING_PROFILE_ID=''\n", "FROM_NUMBER");
}

static void
test_outbox(void **state)
{
	struct config cfg;
	char *log;

	(void)state;
	REFUSED("SMS_TRANSPORT=outbox\nSECRET_KEY=0123456789abcdef\n", "OUTBOX_PATH");
	/* Without Telnyx no API_KEY is needed, but a SECRET_KEY is. */
	REFUSED("SMS_TRANSPORT=outbox\nOUTBOX_PATH=/tmp/o.jsonl\n", "SECRET_KEY");
	assert_accepted(&cfg,
			"SMS_TRANSPORT=outbox\nOUTBOX_PATH=/tmp/o.jsonl\n"
			"SECRET_KEY=0123456789abcdef\n",
			&log);
	assert_null(cfg.api_key);
	assert_int_equal(cfg.transport, TRANSPORT_OUTBOX);
	assert_string_equal(cfg.secret_key, "0123456789abcdef");
	config_free(&cfg);
	free(log);
}

static void
test_secret_key(void **state)
{
	struct config cfg;
	char *log;

	(void)state;
	/* Falls back to API_KEY, also when set but empty. */
	assert_accepted(&cfg, BASE "SECRET_KEY=''\n", &log);
	assert_string_equal(cfg.secret_key, SECRET);
	assert_ptr_not_equal(cfg.secret_key, cfg.api_key);
	config_free(&cfg);
	free(log);
	/* Its own value when given. */
	assert_accepted(&cfg, BASE "SECRET_KEY=a-different-hmac-key\n", &log);
	assert_string_equal(cfg.secret_key, "a-different-hmac-key");
	assert_string_equal(cfg.api_key, SECRET);
	config_free(&cfg);
	free(log);
	/* A short key works, with a warning that does not show it. */
	assert_accepted(&cfg, BASE "SECRET_KEY=short-key\n", &log);
	assert_non_null(strstr(log, "warning: SECRET_KEY"));
	assert_null(strstr(log, "short-key"));
	config_free(&cfg);
	free(log);
}

static void
test_syntax_errors(void **state)
{
	(void)state;
	REFUSED(BASE "MESSAGE_TEXT='unterminated {code}\n", "line 3 is not KEY=value");
	REFUSED(BASE "MESSAGE_TEXT=\"unterminated {code}'\n", "line 3 is not KEY=value");
	/* A quoted value cannot continue on the next line. */
	REFUSED(BASE "MESSAGE_TEXT='a\n{code}'\n", "line 3 is not KEY=value");
	REFUSED(BASE "API_KEY\n", "line 3 is not KEY=value");
	REFUSED(BASE "API_KEY " SECRET "\n", "line 3 is not KEY=value");
	REFUSED(BASE "=value\n", "line 3 is not KEY=value");
	REFUSED(BASE "1KEY=value\n", "line 3 is not KEY=value");
	REFUSED(BASE "TOKEN-LENGTH=6\n", "line 3 is not KEY=value");
	REFUSED(BASE "MESSAGE_TEXT='{code}' junk\n", "line 3 is not KEY=value");
	/* Quotes are not doubled or concatenated as in Python. */
	REFUSED(BASE "MESSAGE_TEXT='it''s {code}'\n", "line 3 is not KEY=value");
	REFUSED("\n\n" BASE "TOKEN_LENGTH = '6\n", "line 5 is not KEY=value");
}

static void
test_nul_byte(void **state)
{
	(void)state;
	REFUSED(BASE "TOKEN_LENGTH=6\0\n", "line 3 has a NUL byte");
	REFUSED(BASE "API_KEY='" SECRET "\0x'\n", "line 3 has a NUL byte");
}

static void
test_long_line(void **state)
{
	char *text;
	size_t n, i;

	(void)state;
	/* OTP_CONFIG_LINE - 1 characters fit; one more does not. */
	for (n = OTP_CONFIG_LINE - 1; n <= OTP_CONFIG_LINE; n++) {
		struct config cfg;
		char *log;
		int rc;

		text = malloc(sizeof(BASE) + n + 2);
		assert_non_null(text);
		memcpy(text, BASE, sizeof(BASE) - 1);
		memcpy(text + sizeof(BASE) - 1, "# ", 2);
		for (i = 2; i < n; i++)
			text[sizeof(BASE) - 1 + i] = 'x';
		text[sizeof(BASE) - 1 + n] = '\n';
		rc = parse(&cfg, text, sizeof(BASE) + n, &log);
		if (n < OTP_CONFIG_LINE) {
			assert_int_equal(rc, 0);
			config_free(&cfg);
		} else {
			assert_int_equal(rc, -1);
			assert_non_null(strstr(log, "line 3 is too long"));
		}
		free(log);
		free(text);
	}
}

static void
test_unknown_key_warns(void **state)
{
	struct config cfg;
	char *log;

	(void)state;
	assert_accepted(&cfg, BASE "FLASK_ENV='development'\nSERVER_NAME=x\n", &log);
	assert_non_null(strstr(log, "warning: unknown key FLASK_ENV on line 3"));
	assert_non_null(strstr(log, "warning: unknown key SERVER_NAME on line 4"));
	assert_null(strstr(log, "development"));
	config_free(&cfg);
	free(log);
	/* Keys are case-sensitive, as in Python: api_key is not API_KEY. */
	assert_int_equal(parse(&cfg, "api_key=x\nFROM_NUMBER=+15550001111\n", 35, &log), -1);
	assert_non_null(strstr(log, "warning: unknown key api_key on line 1"));
	assert_non_null(strstr(log, "missing API_KEY"));
	free(log);
}

/* The API key's value is never logged, whatever goes wrong. */
static void
test_key_never_logged(void **state)
{
	static const char *const bad[] = {
	    "API_KEY='" SECRET "\x01'\nFROM_NUMBER=+1\n",
	    "API_KEY='" SECRET "' trailing\n",
	    "API_KEY=" SECRET "\nFROM_NUMBER=+15550001111\nAPI_BASE_URL=http://" SECRET "\n",
	    "API_KEY=" SECRET "\nFROM_NUMBER=+15550001111\nTOKEN_LENGTH=" SECRET "\n",
	    "API_KEY=" SECRET "\nFROM_NUMBER=" SECRET SECRET "\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct config cfg;
		char *log;
		int rc = parse(&cfg, bad[i], strlen(bad[i]), &log);

		assert_int_equal(rc, -1);
		if (strstr(log, SECRET) != NULL)
			print_error("case %zu logs the key: %s\n", i, log);
		assert_null(strstr(log, SECRET));
		assert_string_not_equal(log, "");
		free(log);
	}
}

static void
test_load(void **state)
{
	char dir[256], path[300], *log;
	struct config cfg;
	int rc;

	(void)state;
	unit_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/config.cfg", dir);
	unit_write_file(path, tutorial, sizeof(tutorial) - 1);
	unit_cap_begin();
	rc = config_load(&cfg, path);
	log = unit_cap_end();
	assert_int_equal(rc, 0);
	assert_string_equal(cfg.api_key, "YOUR_API_KEY");
	assert_int_equal(cfg.token_length, 4);
	/* Log lines name the file. */
	assert_non_null(strstr(log, path));
	config_free(&cfg);
	free(log);

	/* A directory is not a config file. */
	unit_cap_begin();
	rc = config_load(&cfg, dir);
	log = unit_cap_end();
	assert_int_equal(rc, -1);
	assert_non_null(strstr(log, "not a regular file"));
	config_free(&cfg);
	free(log);

	/* Neither is a missing one. */
	snprintf(path, sizeof(path), "%s/missing.cfg", dir);
	unit_cap_begin();
	rc = config_load(&cfg, path);
	log = unit_cap_end();
	assert_int_equal(rc, -1);
	assert_non_null(strstr(log, "cannot open config file"));
	assert_non_null(strstr(log, "missing.cfg"));
	config_free(&cfg);
	free(log);

	/* An invalid file fails as config_parse() does. */
	snprintf(path, sizeof(path), "%s/bad.cfg", dir);
	unit_write_file(path, BASE "TOKEN_TTL=0\n", sizeof(BASE "TOKEN_TTL=0\n") - 1);
	unit_cap_begin();
	rc = config_load(&cfg, path);
	log = unit_cap_end();
	assert_int_equal(rc, -1);
	assert_non_null(strstr(log, "TOKEN_TTL"));
	free(log);
	unit_rmtree(dir);
}

static void
test_load_too_large(void **state)
{
	char dir[256], path[300], *log, *text;
	struct config cfg;
	size_t n = OTP_CONFIG_MAX + 1;
	int rc;

	(void)state;
	unit_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/big.cfg", dir);
	/* Valid, but over OTP_CONFIG_MAX bytes: blank lines after BASE. */
	text = malloc(n);
	assert_non_null(text);
	memset(text, '\n', n);
	memcpy(text, BASE, sizeof(BASE) - 1);
	unit_write_file(path, text, n);
	unit_cap_begin();
	rc = config_load(&cfg, path);
	log = unit_cap_end();
	assert_int_equal(rc, -1);
	assert_non_null(strstr(log, "not a regular file of at most"));
	free(log);
	/* The same at the limit is fine. */
	unit_write_file(path, text, n - 1);
	unit_cap_begin();
	rc = config_load(&cfg, path);
	log = unit_cap_end();
	assert_int_equal(rc, 0);
	config_free(&cfg);
	free(log);
	free(text);
	unit_rmtree(dir);
}

static void
test_country_default(void **state)
{
	struct config cfg;
	const struct config_country *c;
	char *log;

	(void)state;
	/* Without ALLOWED_COUNTRY_CODES only COUNTRY_CODE's country is allowed. */
	assert_accepted(&cfg, BASE "COUNTRY_CODE=+44\n", &log);
	c = limit_country(&cfg, "+442079460958", 0, 1);
	assert_non_null(c);
	assert_string_equal(c->code, "+44");
	assert_int_equal(c->allowed, 1);
	assert_null(limit_country(&cfg, "+12025550143", 0, 1));
	assert_null(limit_country(&cfg, "+12025550143", 0, 0));
	assert_int_equal(cfg.all_countries, 0);
	config_free(&cfg);
	free(log);
}

static void
test_limit_keys(void **state)
{
	struct config cfg;
	const struct config_country *c;
	char *log;

	(void)state;
	assert_accepted(&cfg,
			BASE "ALLOWED_COUNTRY_CODES=+1, +44,+124\n"
			     "COUNTRY_HOURLY_LIMITS=+44:20,+33:5\n"
			     "WEBOTP_DOMAIN=example.com\n"
			     "RESEND_AFTER=0\nPHONE_SEND_LIMIT=3\nPHONE_SEND_WINDOW=60\n"
			     "IP_SEND_LIMIT=7\nHOURLY_SEND_LIMIT=8\nDAILY_SEND_LIMIT=9\n"
			     "PHONE_FAILURE_LIMIT=100\n",
			&log);
	assert_string_equal(log, "");
	assert_int_equal(cfg.resend_after, 0);
	assert_int_equal(cfg.phone_send_limit, 3);
	assert_int_equal(cfg.phone_send_window, 60);
	assert_int_equal(cfg.ip_send_limit, 7);
	assert_int_equal(cfg.hourly_send_limit, 8);
	assert_int_equal(cfg.daily_send_limit, 9);
	assert_int_equal(cfg.phone_failure_limit, 100);
	assert_string_equal(cfg.webotp_domain, "example.com");
	c = limit_country(&cfg, "+442079460958", 0, 1);
	assert_non_null(c);
	assert_string_equal(c->code, "+44");
	assert_int_equal(c->hourly, 20);
	/* The longest code that matches. */
	c = limit_country(&cfg, "+12425550143", 0, 1);
	assert_non_null(c);
	assert_string_equal(c->code, "+124");
	c = limit_country(&cfg, "+12025550143", 0, 1);
	assert_non_null(c);
	assert_string_equal(c->code, "+1");
	assert_int_equal(c->hourly, 0);
	/* A cap for a country does not allow it. */
	assert_null(limit_country(&cfg, "+33123456789", 0, 1));
	c = limit_country(&cfg, "+33123456789", 0, 0);
	assert_non_null(c);
	assert_int_equal(c->hourly, 5);
	assert_int_equal(c->allowed, 0);
	assert_null(limit_country(&cfg, "+4930123456", 0, 0));
	config_free(&cfg);
	free(log);

	assert_accepted(&cfg, BASE "ALLOWED_COUNTRY_CODES=*\n", &log);
	assert_int_equal(cfg.all_countries, 1);
	config_free(&cfg);
	free(log);
}

static void
test_limit_keys_refused(void **state)
{
	(void)state;
	REFUSED(BASE "RESEND_AFTER=-1\n", "invalid RESEND_AFTER");
	REFUSED(BASE "RESEND_AFTER=3601\n", "invalid RESEND_AFTER");
	REFUSED(BASE "PHONE_SEND_LIMIT=0\n", "invalid PHONE_SEND_LIMIT");
	REFUSED(BASE "PHONE_SEND_WINDOW=59\n", "invalid PHONE_SEND_WINDOW");
	REFUSED(BASE "IP_SEND_LIMIT=0\n", "invalid IP_SEND_LIMIT");
	REFUSED(BASE "HOURLY_SEND_LIMIT=0\n", "invalid HOURLY_SEND_LIMIT");
	REFUSED(BASE "DAILY_SEND_LIMIT=x\n", "invalid DAILY_SEND_LIMIT");
	REFUSED(BASE "PHONE_FAILURE_LIMIT=101\n", "invalid PHONE_FAILURE_LIMIT");
	REFUSED(BASE "ALLOWED_COUNTRY_CODES=1\n", "ALLOWED_COUNTRY_CODES");
	REFUSED(BASE "ALLOWED_COUNTRY_CODES=+0\n", "ALLOWED_COUNTRY_CODES");
	/* Up to 4 digits: a +1 area such as +1876 may be named; 5 is too many. */
	REFUSED(BASE "ALLOWED_COUNTRY_CODES=+12345\n", "ALLOWED_COUNTRY_CODES");
	REFUSED(BASE "ALLOWED_COUNTRY_CODES=+1;+44\n", "ALLOWED_COUNTRY_CODES");
	REFUSED(BASE "ALLOWED_COUNTRY_CODES=' , ,'\n", "ALLOWED_COUNTRY_CODES");
	REFUSED(BASE "ALLOWED_COUNTRY_CODES=\n", "ALLOWED_COUNTRY_CODES");
	REFUSED(BASE "COUNTRY_HOURLY_LIMITS=+44\n", "COUNTRY_HOURLY_LIMITS");
	REFUSED(BASE "COUNTRY_HOURLY_LIMITS=+44:0\n", "COUNTRY_HOURLY_LIMITS");
	REFUSED(BASE "COUNTRY_HOURLY_LIMITS=+44:x\n", "COUNTRY_HOURLY_LIMITS");
	REFUSED(BASE "COUNTRY_HOURLY_LIMITS=+44:20x\n", "COUNTRY_HOURLY_LIMITS");
	REFUSED(BASE "COUNTRY_HOURLY_LIMITS=44:20\n", "COUNTRY_HOURLY_LIMITS");
	REFUSED(BASE "COUNTRY_HOURLY_LIMITS=+44:1000001\n", "COUNTRY_HOURLY_LIMITS");
	REFUSED(BASE "WEBOTP_DOMAIN=Example.com\n", "WEBOTP_DOMAIN");
	REFUSED(BASE "WEBOTP_DOMAIN='a b'\n", "WEBOTP_DOMAIN");
	REFUSED(BASE "WEBOTP_DOMAIN=exa_mple.com\n", "WEBOTP_DOMAIN");
	REFUSED(BASE "WEBOTP_DOMAIN=''\n", "WEBOTP_DOMAIN");
	REFUSED(BASE "WEBOTP_DOMAIN='x.com #code'\n", "WEBOTP_DOMAIN");
}

/* A +1 area (4 digits) may have a cap of its own, below +1's. */
static void
test_area_prefix(void **state)
{
	struct config cfg;
	char *log;
	const struct config_country *c;

	(void)state;
	assert_accepted(&cfg, BASE "COUNTRY_HOURLY_LIMITS='+1876:5, +1:100'\n", &log);
	c = limit_country(&cfg, "+18765550123", 0, 0);
	assert_non_null(c);
	assert_string_equal(c->code, "+1876");
	assert_int_equal(c->hourly, 5);
	c = limit_country(&cfg, "+12025550143", 0, 0);
	assert_string_equal(c->code, "+1");
	assert_int_equal(c->hourly, 100);
	/* Allowed by the default list (+1), capped by its own entry. */
	assert_non_null(limit_country(&cfg, "+18765550123", 0, 1));
	/* With the number's calling code: an area of +1 is still within +1. */
	c = limit_country(&cfg, "+18765550123", 1, 0);
	assert_non_null(c);
	assert_string_equal(c->code, "+1876");
	config_free(&cfg);
	free(log);
	/* "+35" is a prefix of +353's numbers, but no calling code: it matches
	 * them only when the calling code is not known. */
	assert_accepted(&cfg, BASE "ALLOWED_COUNTRY_CODES='+35, +44'\n", &log);
	assert_null(limit_country(&cfg, "+353851234567", 353, 1));
	assert_non_null(limit_country(&cfg, "+353851234567", 0, 1));
	c = limit_country(&cfg, "+447911123456", 44, 1);
	assert_non_null(c);
	assert_string_equal(c->code, "+44");
	/* Another country: none. */
	assert_null(limit_country(&cfg, "+4915123456789", 49, 1));
	config_free(&cfg);
	free(log);
}

static void
test_handover_keys(void **state)
{
	struct config cfg;
	char *log;

	(void)state;
	assert_accepted(&cfg,
			BASE "SIGNING_KEY=0123456789abcdef\nRESULT_DELIVERY=cookie\n"
			     "RESULT_MAX_AGE=10\n"
			     "RETURN_TO_ALLOWED='https://app.example.com/, /account/,"
			     "https://127.0.0.1:8443/x/'\n",
			&log);
	assert_string_equal(cfg.signing_key, "0123456789abcdef");
	assert_int_equal(cfg.delivery, DELIVERY_COOKIE);
	assert_int_equal(cfg.result_max_age, 10);
	/* The URLs' origins, for the CSP's form-action. */
	assert_string_equal(cfg.form_origins, " https://app.example.com https://127.0.0.1:8443");
	config_free(&cfg);
	assert_null(cfg.form_origins);
	free(log);

	assert_accepted(&cfg, BASE, &log);
	assert_int_equal(cfg.delivery, DELIVERY_QUERY);
	assert_int_equal(cfg.result_max_age, 300);
	assert_null(cfg.signing_key);
	config_free(&cfg);
	free(log);

	REFUSED(BASE "SIGNING_KEY=0123456789abcde\n", "SIGNING_KEY");
	REFUSED(BASE "RESULT_DELIVERY=header\n", "invalid RESULT_DELIVERY");
	REFUSED(BASE "RESULT_MAX_AGE=9\n", "invalid RESULT_MAX_AGE");
	REFUSED(BASE "RESULT_MAX_AGE=3601\n", "invalid RESULT_MAX_AGE");
	REFUSED(BASE "RETURN_TO_ALLOWED=//evil.example/\n", "RETURN_TO_ALLOWED");
	REFUSED(BASE "RETURN_TO_ALLOWED=https://app.example.com\n", "RETURN_TO_ALLOWED");
	REFUSED(BASE "RETURN_TO_ALLOWED=https://app.example.com@evil.example/\n",
		"RETURN_TO_ALLOWED");
	REFUSED(BASE "RETURN_TO_ALLOWED=javascript:alert(1)\n", "RETURN_TO_ALLOWED");
	REFUSED(BASE "RETURN_TO_ALLOWED=ftp://app.example.com/\n", "RETURN_TO_ALLOWED");
	/* The assertion travels in the URL: never over plain http. */
	REFUSED(BASE "RETURN_TO_ALLOWED=http://app.example.com/\n", "RETURN_TO_ALLOWED");
	REFUSED(BASE "RETURN_TO_ALLOWED='/\\evil.example/'\n", "RETURN_TO_ALLOWED");
	REFUSED(BASE "RETURN_TO_ALLOWED='https://a.example/\"><x'\n", "RETURN_TO_ALLOWED");
}

/*
 * Every key's default, as the README's configuration table documents it:
 * the table in config.c is the only place they are written.
 */
static void
test_every_default(void **state)
{
	struct config cfg;
	char *log;

	(void)state;
	assert_accepted(&cfg, BASE, &log);
	assert_string_equal(cfg.api_key, SECRET);
	assert_string_equal(cfg.from_number, "+15550001111");
	assert_null(cfg.messaging_profile_id);
	assert_string_equal(cfg.country_code, "+1");
	assert_int_equal(cfg.token_length, 6);
	assert_int_equal(cfg.alphabet, ALPHABET_HEX);
	assert_int_equal(cfg.token_ttl, 300);
	assert_int_equal(cfg.max_attempts, 5);
	assert_string_equal(cfg.secret_key, SECRET); /* API_KEY's */
	assert_int_equal(cfg.debug, 0);
	assert_string_equal(cfg.api_base_url, "https://api.telnyx.com");
	assert_string_equal(cfg.db_path, OTP_DB_DEFAULT);
	assert_string_equal(cfg.template_dir, OTP_TEMPLATE_DEFAULT);
	assert_int_equal(cfg.transport, TRANSPORT_TELNYX);
	assert_null(cfg.outbox_path);
	assert_string_equal(cfg.message_text, "{code} is your verification code. Do not share it.");
	assert_int_equal(cfg.resend_after, 30);
	assert_int_equal(cfg.phone_send_limit, 5);
	assert_int_equal(cfg.phone_send_window, 600);
	assert_int_equal(cfg.phone_daily_limit, 10);
	assert_int_equal(cfg.ip_send_limit, 10);
	assert_int_equal(cfg.hourly_send_limit, 200);
	assert_int_equal(cfg.daily_send_limit, 1000);
	assert_null(cfg.allowed_country_codes); /* COUNTRY_CODE's country */
	assert_int_equal(cfg.ncountries, 1);
	assert_string_equal(cfg.countries[0].code, "+1");
	assert_int_equal(cfg.countries[0].allowed, 1);
	assert_int_equal(cfg.all_countries, 0);
	assert_null(cfg.country_hourly_limits);
	assert_int_equal(cfg.phone_failure_limit, 20);
	assert_null(cfg.webotp_domain);
	assert_null(cfg.signing_key);
	assert_null(cfg.return_to_allowed);
	assert_int_equal(cfg.return_to.nprefixes, 0);
	assert_int_equal(cfg.return_to.paths, 0);
	assert_null(cfg.form_origins);
	assert_int_equal(cfg.delivery, DELIVERY_QUERY);
	assert_int_equal(cfg.result_max_age, 300);
	assert_null(cfg.site_origin);
	assert_string_equal(log, "");
	config_free(&cfg);
	free(log);
}

/* Every whole-number key: its lowest and highest value taken, one past
 * either end refused with a line naming it. */
static void
test_int_ranges(void **state)
{
	static const struct {
		const char *key;
		long lo, hi;
		size_t offset;
	} keys[] = {
	    {"TOKEN_LENGTH", OTP_CODE_MIN, OTP_CODE_MAX, offsetof(struct config, token_length)},
	    {"TOKEN_TTL", 1, 600, offsetof(struct config, token_ttl)},
	    {"MAX_ATTEMPTS", 1, 10, offsetof(struct config, max_attempts)},
	    {"RESEND_AFTER", 0, 3600, offsetof(struct config, resend_after)},
	    {"PHONE_SEND_LIMIT", 1, 1000, offsetof(struct config, phone_send_limit)},
	    {"PHONE_SEND_WINDOW", 60, 86400, offsetof(struct config, phone_send_window)},
	    {"PHONE_DAILY_LIMIT", 1, 1000, offsetof(struct config, phone_daily_limit)},
	    {"IP_SEND_LIMIT", 1, 1000000, offsetof(struct config, ip_send_limit)},
	    {"HOURLY_SEND_LIMIT", 1, 1000000, offsetof(struct config, hourly_send_limit)},
	    {"DAILY_SEND_LIMIT", 1, 10000000, offsetof(struct config, daily_send_limit)},
	    {"PHONE_FAILURE_LIMIT", 1, 100, offsetof(struct config, phone_failure_limit)},
	    {"PHONE_NETWORK_LIMIT", 1, 1000, offsetof(struct config, phone_network_limit)},
	    {"NETWORK_SEND_LIMIT", 1, 1000000, offsetof(struct config, network_send_limit)},
	    {"CONVERSION_MIN_CLIENTS", 1, 1000000, offsetof(struct config, conversion_min_clients)},
	    {"CONVERSION_GRACE", 0, 600, offsetof(struct config, conversion_grace)},
	    {"RESULT_MAX_AGE", 10, 3600, offsetof(struct config, result_max_age)},
	};
	char text[256], name[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		long ends[2] = {keys[i].lo, keys[i].hi};
		int j;

		snprintf(name, sizeof(name), "invalid %s", keys[i].key);
		for (j = 0; j < 2; j++) {
			struct config cfg;
			char *log;

			snprintf(text, sizeof(text), BASE "%s=%ld\n", keys[i].key, ends[j]);
			assert_accepted(&cfg, text, &log);
			assert_int_equal(*(int *)((char *)&cfg + keys[i].offset), ends[j]);
			config_free(&cfg);
			free(log);
			snprintf(text, sizeof(text), BASE "%s=%ld\n", keys[i].key,
				 j == 0 ? ends[j] - 1 : ends[j] + 1);
			assert_refused(text, strlen(text), name);
		}
	}
}

/* The other single-key rules, each in the key's own row: lengths at both
 * ends, and the validators. */
static void
test_string_rules(void **state)
{
	struct config cfg;
	char text[1024], *log;

	(void)state;
	/* SIGNING_KEY: 16 characters at least. */
	assert_accepted(&cfg, BASE "SIGNING_KEY=0123456789abcdef\n", &log);
	config_free(&cfg);
	free(log);
	REFUSED(BASE "SIGNING_KEY=0123456789abcde\n", "invalid SIGNING_KEY: at least 16");
	REFUSED(BASE "SIGNING_KEY=''\n", "invalid SIGNING_KEY");
	/* FROM_NUMBER: at most 32; MESSAGING_PROFILE_ID: at most 64. */
	snprintf(text, sizeof(text), "API_KEY=" SECRET "\nFROM_NUMBER=%032d\n", 0);
	assert_accepted(&cfg, text, &log);
	config_free(&cfg);
	free(log);
	REFUSED("API_KEY=" SECRET "\nFROM_NUMBER=000000000000000000000000000000000\n",
		"invalid FROM_NUMBER: at most 32");
	snprintf(text, sizeof(text), BASE "MESSAGING_PROFILE_ID=%064d\n", 0);
	assert_accepted(&cfg, text, &log);
	config_free(&cfg);
	free(log);
	snprintf(text, sizeof(text), BASE "MESSAGING_PROFILE_ID=%065d\n", 0);
	assert_refused(text, strlen(text), "invalid MESSAGING_PROFILE_ID: at most 64");
	/* WEBOTP_DOMAIN: 1 to 253. */
	snprintf(text, sizeof(text), BASE "WEBOTP_DOMAIN=%0253d\n", 0);
	assert_accepted(&cfg, text, &log);
	config_free(&cfg);
	free(log);
	snprintf(text, sizeof(text), BASE "WEBOTP_DOMAIN=%0254d\n", 0);
	assert_refused(text, strlen(text), "invalid WEBOTP_DOMAIN");
	/* API_BASE_URL: at most 512. */
	snprintf(text, sizeof(text), BASE "API_BASE_URL=https://a.example/%0*d\n", 512 - 18, 0);
	assert_accepted(&cfg, text, &log);
	config_free(&cfg);
	free(log);
	snprintf(text, sizeof(text), BASE "API_BASE_URL=https://a.example/%0*d\n", 512 - 17, 0);
	assert_refused(text, strlen(text), "invalid API_BASE_URL");
	/* COUNTRY_CODE: the shape, checked where it is set. */
	REFUSED(BASE "COUNTRY_CODE=+1234\n", "invalid COUNTRY_CODE: must be + and 1 to 3 digits");
	/* A choice's message lists the choices. */
	REFUSED(BASE "RESULT_DELIVERY=header\n",
		"invalid RESULT_DELIVERY: must be query or cookie");
}

/* SITE_ORIGIN: scheme://host[:port], normalised as browsers write Origin. */
static void
test_site_origin(void **state)
{
	static const struct {
		const char *value, *want;
	} good[] = {
	    {"https://example.com", "https://example.com"},
	    {"https://example.com/", "https://example.com"},
	    {"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
	    {"HTTPS://Example.COM", "https://example.com"},
	    {"https://example.com:443", "https://example.com"},
	    {"http://example.com:80/", "http://example.com"},
	    {"https://example.com:80", "https://example.com:80"},
	    {"http://example.com:443", "http://example.com:443"},
	    {"http://example.com:0080", "http://example.com"},
	    {"http://example.com:08080", "http://example.com:8080"},
	    {"http://[::1]:8080", "http://[::1]:8080"},
	};
	static const char *const bad[] = {
	    "example.com",
	    "https://",
	    "https://example.com/path",
	    "https://example.com//",
	    "https://example.com?x=1",
	    "https://example.com#top",
	    "https://user@example.com",
	    "https://example.com:",
	    "https://example.com:0",
	    "https://example.com:65536",
	    "ftp://example.com",
	    "null",
	    "",
	};
	char text[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct config cfg;
		char *log;

		snprintf(text, sizeof(text), BASE "SITE_ORIGIN=%s\n", good[i].value);
		assert_accepted(&cfg, text, &log);
		assert_string_equal(cfg.site_origin, good[i].want);
		config_free(&cfg);
		free(log);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* Quoted: '#' would start a comment. */
		snprintf(text, sizeof(text), BASE "SITE_ORIGIN='%s'\n", bad[i]);
		assert_refused(text, strlen(text), "invalid SITE_ORIGIN");
	}
}

static void
test_path(void **state)
{
	(void)state;
	unsetenv("OTP_CONFIG");
	assert_string_equal(config_path(), OTP_CONFIG_DEFAULT);
	setenv("OTP_CONFIG", "", 1);
	assert_string_equal(config_path(), OTP_CONFIG_DEFAULT);
	setenv("OTP_CONFIG", "/srv/otp/site.conf", 1);
	assert_string_equal(config_path(), "/srv/otp/site.conf");
	unsetenv("OTP_CONFIG");
}

static void
test_channels(void **state)
{
	struct config cfg;
	char *log;

	(void)state;
	assert_accepted(&cfg, TUTORIAL("+15550001111") "SECRET_KEY=" SECRET "\n", &log);
	assert_int_equal(cfg.channels, CHANNEL_SMS);
	assert_false(limit_inbound_allowed(&cfg, "+12025550143", 0));
	config_free(&cfg);
	free(log);
	assert_accepted(
	    &cfg,
	    TUTORIAL("+15550001111") "SECRET_KEY=" SECRET "\n"
				     "CHANNELS=sms, inbound\nINBOUND_NUMBER=+15550002222\n",
	    &log);
	assert_int_equal(cfg.channels, CHANNEL_SMS | CHANNEL_INBOUND);
	/* INBOUND_COUNTRY_CODES falls back to COUNTRY_CODE. */
	assert_true(limit_inbound_allowed(&cfg, "+12025550143", 0));
	assert_false(limit_inbound_allowed(&cfg, "+447911123456", 0));
	config_free(&cfg);
	free(log);
	assert_accepted(&cfg,
			"SECRET_KEY=" SECRET "\nCHANNELS=inbound\nINBOUND_NUMBER=+15550002222\n"
			"INBOUND_COUNTRY_CODES=+44,+1876\n",
			&log);
	assert_int_equal(cfg.channels, CHANNEL_INBOUND);
	assert_true(limit_inbound_allowed(&cfg, "+447911123456", 0));
	assert_true(limit_inbound_allowed(&cfg, "+18765550143", 0));
	assert_false(limit_inbound_allowed(&cfg, "+12025550143", 0));
	/* With the number's calling code: an area within it, never a part of another. */
	assert_true(limit_inbound_allowed(&cfg, "+447911123456", 44));
	assert_true(limit_inbound_allowed(&cfg, "+18765550143", 1));
	config_free(&cfg);
	free(log);
	assert_accepted(&cfg,
			"SECRET_KEY=" SECRET "\nCHANNELS=inbound\nINBOUND_NUMBER=+15550002222\n"
			"INBOUND_COUNTRY_CODES=+35\n",
			&log);
	assert_false(limit_inbound_allowed(&cfg, "+353861234567", 353));
	assert_false(limit_inbound_allowed(&cfg, "+35312345678", 353));
	config_free(&cfg);
	free(log);
	assert_refused(TUTORIAL("+15550001111") "CHANNELS=inbound\n",
		       strlen(TUTORIAL("+15550001111") "CHANNELS=inbound\n"), "INBOUND_NUMBER");
	assert_refused("CHANNELS=sms,sms\n", 17, "CHANNELS");
	assert_refused("CHANNELS=\n", 10, "CHANNELS");
	assert_refused("CHANNELS=fax\n", 13, "CHANNELS");
	assert_refused("CHANNELS=voice,voice\n", 21, "CHANNELS");
	assert_refused("INBOUND_NUMBER=15550002222\n", 27, "INBOUND_NUMBER");
	assert_refused("INBOUND_COUNTRY_CODES=+0\n", 25, "INBOUND_COUNTRY_CODES");
	assert_refused("INBOUND_COUNTRY_CODES=,\n", 24, "INBOUND_COUNTRY_CODES");
}

/* What a call needs, through Telnyx, beside BASE and a webhook. */
#define VOICE_BASE                                                                                 \
	BASE "WEBHOOK_URL=https://example.com/cgi-bin/webhook.cgi\n"                               \
	     "TELNYX_PUBLIC_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"                    \
	     "VOICE_CONNECTION_ID=1494404757140276705\n"
#define VOICE_REFUSED(text, names) REFUSED(VOICE_BASE text, names)

static void
test_voice_keys(void **state)
{
	struct config cfg;
	char *log;

	(void)state;
	/* The defaults: codes spoken, the site's own country, fixed lines and mobiles. */
	assert_accepted(&cfg, VOICE_BASE "CHANNELS=sms,voice\n", &log);
	/* Hex codes are spoken letter by letter: a warning. */
	assert_non_null(strstr(log, "warning: TOKEN_ALPHABET=hex with VOICE_MODE=code"));
	assert_int_equal(cfg.channels, CHANNEL_SMS | CHANNEL_VOICE);
	assert_int_equal(cfg.voice_mode, VOICE_CODE);
	assert_null(cfg.voice_from); /* FROM_NUMBER calls */
	assert_int_equal(cfg.voice_price, 100000);
	assert_int_equal(cfg.voice_line_types, 1u << PHONE_FIXED_LINE | 1u << PHONE_MOBILE |
						   1u << PHONE_FIXED_LINE_OR_MOBILE);
	assert_true(limit_voice_allowed(&cfg, "+12025550143", 1, PHONE_FIXED_LINE));
	assert_true(limit_voice_allowed(&cfg, "+12025550143", 1, PHONE_MOBILE));
	assert_false(limit_voice_allowed(&cfg, "+447911123456", 44, PHONE_MOBILE));
	assert_false(limit_voice_allowed(&cfg, "+12025550143", 1, PHONE_VOIP));
	assert_false(limit_voice_allowed(&cfg, "+19005550143", 1, PHONE_PREMIUM_RATE));
	/* A type not known: no call. */
	assert_false(limit_voice_allowed(&cfg, "+12025550143", 1, -1));
	assert_false(limit_voice_allowed(&cfg, "+12025550143", 1, PHONE_TYPE__MAX));
	config_free(&cfg);
	free(log);
	assert_accepted(&cfg,
			VOICE_BASE
			"CHANNELS=voice,sms\nVOICE_FROM=+15550003333\nVOICE_MODE=confirm\n"
			"VOICE_COUNTRY_CODES=+44,+1\nVOICE_LINE_TYPES=fixed_line\n"
			"VOICE_PRICE=0.02\n",
			&log);
	assert_string_equal(cfg.voice_from, "+15550003333");
	assert_int_equal(cfg.voice_mode, VOICE_CONFIRM);
	assert_int_equal(cfg.voice_price, 20000);
	assert_true(limit_voice_allowed(&cfg, "+447911123456", 44, PHONE_FIXED_LINE));
	assert_false(limit_voice_allowed(&cfg, "+447911123456", 44, PHONE_MOBILE));
	config_free(&cfg);
	free(log);
	/* Without CHANNELS=voice, the keys are read and nothing is called. */
	assert_accepted(&cfg, BASE "VOICE_MODE=confirm\n", &log);
	assert_false(limit_voice_allowed(&cfg, "+12025550143", 1, PHONE_FIXED_LINE));
	config_free(&cfg);
	free(log);
	/* The outbox writes calls down: no Telnyx keys needed. */
	assert_accepted(&cfg,
			"SECRET_KEY=" SECRET "\nSMS_TRANSPORT=outbox\nOUTBOX_PATH=/tmp/outbox\n"
			"CHANNELS=sms,voice\n",
			&log);
	config_free(&cfg);
	free(log);

	VOICE_REFUSED("CHANNELS=voice\n", "CHANNELS");
	VOICE_REFUSED("CHANNELS=inbound,voice\nINBOUND_NUMBER=+15550002222\n", "CHANNELS");
	REFUSED(BASE "CHANNELS=sms,voice\nWEBHOOK_URL=https://example.com/w\n"
		     "TELNYX_PUBLIC_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
		"VOICE_CONNECTION_ID");
	REFUSED(BASE "CHANNELS=sms,voice\nVOICE_CONNECTION_ID=1\n", "WEBHOOK_URL");
	REFUSED(BASE "CHANNELS=sms,voice\nVOICE_CONNECTION_ID=1\n"
		     "WEBHOOK_URL=https://example.com/w\n",
		"TELNYX_PUBLIC_KEY");
	/* An alphanumeric sender texts, but cannot call. */
	REFUSED("API_KEY=" SECRET "\nFROM_NUMBER=MyShop\nMESSAGING_PROFILE_ID=p\n"
		"ALLOWED_COUNTRY_CODES=+44\nCHANNELS=sms,voice\nVOICE_CONNECTION_ID=1\n"
		"WEBHOOK_URL=https://example.com/w\n"
		"TELNYX_PUBLIC_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
		"VOICE_FROM");
	VOICE_REFUSED("VOICE_FROM=MyShop\n", "VOICE_FROM");
	VOICE_REFUSED("VOICE_CONNECTION_ID=a\"b\n", "VOICE_CONNECTION_ID");
	VOICE_REFUSED("VOICE_MODE=sms\n", "VOICE_MODE");
	VOICE_REFUSED("VOICE_COUNTRY_CODES=44\n", "VOICE_COUNTRY_CODES");
	VOICE_REFUSED("VOICE_LINE_TYPES=landline\n", "VOICE_LINE_TYPES");
	VOICE_REFUSED("VOICE_PRICE=ten\n", "VOICE_PRICE");
	/* Toll fraud's numbers are never called, whatever the file says. */
	VOICE_REFUSED("VOICE_LINE_TYPES=fixed_line,premium_rate\n", "VOICE_LINE_TYPES");
	VOICE_REFUSED("VOICE_LINE_TYPES=shared_cost\n", "VOICE_LINE_TYPES");
	VOICE_REFUSED("VOICE_LINE_TYPES=uan\n", "VOICE_LINE_TYPES");
}

static void
test_webhook_keys(void **state)
{
	struct config cfg;
	char *log;

	(void)state;
	assert_accepted(
	    &cfg,
	    TUTORIAL(
		"+15550001111") "SECRET_KEY=" SECRET "\n"
				"TELNYX_PUBLIC_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
				"WEBHOOK_URL=https://example.com/cgi-bin/webhook.cgi\n",
	    &log);
	assert_string_equal(cfg.webhook_url, "https://example.com/cgi-bin/webhook.cgi");
	config_free(&cfg);
	free(log);
	assert_refused("TELNYX_PUBLIC_KEY=AAAA\n", 23, "TELNYX_PUBLIC_KEY");
	assert_refused("WEBHOOK_URL=http://example.com/w\n", 33, "WEBHOOK_URL");
	assert_refused("WEBHOOK_URL=https://example.com\n", 32, "WEBHOOK_URL");
}

/* ASSERTION_FORMAT and the keys that go with it (issue 26). */
static void
test_assertion_keys(void **state)
{
	struct config cfg;
	char *log;

	(void)state;
	assert_accepted(&cfg, BASE, &log);
	assert_int_equal(cfg.assertion_format, FORMAT_V1);
	assert_null(cfg.signing_key_file);
	config_free(&cfg);
	free(log);
	/* jwt: iss and aud from SITE_ORIGIN unless set. */
	assert_accepted(
	    &cfg,
	    BASE "ASSERTION_FORMAT=jwt\nSIGNING_KEY='0123456789abcdef0123'\n"
		 "SITE_ORIGIN='https://Example.com'\nASSERTION_AUDIENCE='https://app.example'\n",
	    &log);
	assert_int_equal(cfg.assertion_format, FORMAT_JWT);
	assert_string_equal(cfg.assertion_issuer, "https://example.com");
	assert_string_equal(cfg.assertion_audience, "https://app.example");
	config_free(&cfg);
	free(log);
	assert_accepted(&cfg,
			BASE "ASSERTION_FORMAT=jwt\nSIGNING_KEY_FILE='/k/a.pem, /k/b.pem'\n"
			     "ASSERTION_ISSUER=iss\nASSERTION_AUDIENCE=aud\n",
			&log);
	assert_string_equal(cfg.signing_key_file, "/k/a.pem, /k/b.pem");
	config_free(&cfg);
	free(log);
	REFUSED(BASE "ASSERTION_FORMAT=JWT\n", "invalid ASSERTION_FORMAT");
	REFUSED(BASE "ASSERTION_FORMAT=jwt\nASSERTION_ISSUER=i\nASSERTION_AUDIENCE=a\n",
		"missing SIGNING_KEY_FILE or SIGNING_KEY");
	REFUSED(BASE "ASSERTION_FORMAT=jwt\nSIGNING_KEY='0123456789abcdef0123'\n",
		"missing ASSERTION_ISSUER");
	REFUSED(BASE
		"ASSERTION_FORMAT=jwt\nSIGNING_KEY='0123456789abcdef0123'\nASSERTION_ISSUER=i\n",
		"missing ASSERTION_AUDIENCE");
	REFUSED(BASE "SIGNING_KEY_FILE=/k/a.pem\n", "SIGNING_KEY_FILE signs only");
	REFUSED(BASE "SIGNING_KEY_FILE=k/a.pem\n", "invalid SIGNING_KEY_FILE");
	REFUSED(BASE "SIGNING_KEY_FILE='/1,/2,/3,/4,/5,/6,/7,/8,/9'\n", "invalid SIGNING_KEY_FILE");
	REFUSED(BASE "ASSERTION_AUDIENCE='a\"b'\n", "invalid ASSERTION_AUDIENCE");
	REFUSED(BASE "ASSERTION_ISSUER='a b'\n", "invalid ASSERTION_ISSUER");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_area_prefix),
	    cmocka_unit_test(test_tutorial_file),
	    cmocka_unit_test(test_tutorial_placeholder),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_every_key_set),
	    cmocka_unit_test(test_channels),
	    cmocka_unit_test(test_webhook_keys),
	    cmocka_unit_test(test_lowest_values),
	    cmocka_unit_test(test_quoting_values),
	    cmocka_unit_test(test_crlf),
	    cmocka_unit_test(test_last_line_without_newline_and_override),
	    cmocka_unit_test(test_booleans),
	    cmocka_unit_test(test_bad_numbers),
	    cmocka_unit_test(test_bad_choices),
	    cmocka_unit_test(test_country_code),
	    cmocka_unit_test(test_api_base_url),
	    cmocka_unit_test(test_api_base_url_userinfo_is_not_loopback),
	    cmocka_unit_test(test_paths),
	    cmocka_unit_test(test_message_text),
	    cmocka_unit_test(test_control_characters),
	    cmocka_unit_test(test_senders),
	    cmocka_unit_test(test_required_keys),
	    cmocka_unit_test(test_empty_profile_is_not_a_sender),
	    cmocka_unit_test(test_outbox),
	    cmocka_unit_test(test_secret_key),
	    cmocka_unit_test(test_syntax_errors),
	    cmocka_unit_test(test_nul_byte),
	    cmocka_unit_test(test_long_line),
	    cmocka_unit_test(test_unknown_key_warns),
	    cmocka_unit_test(test_key_never_logged),
	    cmocka_unit_test(test_load),
	    cmocka_unit_test(test_load_too_large),
	    cmocka_unit_test(test_country_default),
	    cmocka_unit_test(test_limit_keys),
	    cmocka_unit_test(test_limit_keys_refused),
	    cmocka_unit_test(test_handover_keys),
	    cmocka_unit_test(test_every_default),
	    cmocka_unit_test(test_int_ranges),
	    cmocka_unit_test(test_string_rules),
	    cmocka_unit_test(test_site_origin),
	    cmocka_unit_test(test_path),
	    cmocka_unit_test(test_database_url),
	    cmocka_unit_test(test_site_defaults),
	    cmocka_unit_test(test_voice_keys),
	    cmocka_unit_test(test_languages),
	    cmocka_unit_test(test_assertion_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
