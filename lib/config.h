/*
 * The configuration file: read (kv.h: the tutorial's config.cfg syntax,
 * KEY=value, values bare or quoted, # comments), checked against the keys
 * of DESIGN.md section 3, and held.  What the values decide is asked of
 * the modules whose policy it is: limit.h (countries, the inbound
 * channel's), message.h (the text message of a language).
 */
#ifndef OTP_CONFIG_H
#define OTP_CONFIG_H

#include <stddef.h>

#include "return_to.h"

/* Languages with a MESSAGE_TEXT_<tag> of their own, at most. */
#define CONFIG_MESSAGE_LANGS 16

/* Built in by the Makefile from its install paths. */
#ifndef OTP_TEMPLATE_DEFAULT
#define OTP_TEMPLATE_DEFAULT "/usr/share/otp/templates"
#endif

enum config_alphabet {
	ALPHABET_HEX,
	ALPHABET_DIGITS,
	/* Not a TOKEN_ALPHABET choice: the inbound channel's codes, upper-case
	 * letters and digits without look-alikes (no 0 O 1 I L). */
	ALPHABET_INBOUND
};

/* The ways a code can travel (CHANNELS), as bits of cfg->channels. */
enum config_channel {
	CHANNEL_SMS = 1,     /* sent to the visitor */
	CHANNEL_INBOUND = 2, /* shown to the visitor, who texts it to INBOUND_NUMBER */
	CHANNEL_VOICE = 4    /* spoken to the visitor by a phone call (issue 25) */
};

/* VOICE_MODE: what a call does once answered. */
enum config_voice_mode {
	VOICE_CODE,   /* speaks the code digit by digit, twice; the visitor types it */
	VOICE_CONFIRM /* asks for a 1 on the keypad, which approves the verification */
};

enum config_transport {
	TRANSPORT_TELNYX,
	TRANSPORT_OUTBOX
};

struct config {
	char *path; /* the file config_load() read, for log lines; NULL from config_parse() */
	char *api_key;
	char *from_number;
	char *country_code;
	char *default_region; /* "GB": national numbers' region; NULL: COUNTRY_CODE's */
	int token_length;
	int debug;
	enum config_alphabet alphabet;
	int token_ttl;
	int max_attempts;
	char *secret_key; /* API_KEY when not set */
	char *api_base_url;
	char *ca_file; /* CA bundle for Telnyx's certificate; NULL: the system's */
	char *messaging_profile_id;
	char *db_path;
	char *database_url; /* PostgreSQL instead of DB_PATH; NULL: not set */
	char *template_dir;
	enum config_transport transport;
	char *outbox_path;
	char *message_text;
	int message_parts;    /* MESSAGE_TEXT with its codes, in billed parts */
	int message_text_set; /* MESSAGE_TEXT is in the file (not the default) */
	char *languages;      /* LANGUAGES: lower-case tags, the first the fallback */
	/* MESSAGE_TEXT_<tag>: the text message of one language. */
	struct {
		char tag[16];
		char *text;
	} message_langs[CONFIG_MESSAGE_LANGS];
	int n_message_langs;

	/* Telnyx's webhooks (webhook.cgi). */
	char *telnyx_public_key;     /* base64 of the account's Ed25519 key, or NULL */
	char *webhook_url;           /* sent with each message, or NULL: the profile's */
	char *channels_list;         /* CHANNELS: "sms", "inbound", "sms,inbound" */
	unsigned channels;           /* ... as CHANNEL_* bits */
	char *inbound_number;        /* the Telnyx number the visitors text, E.164 */
	char *inbound_country_codes; /* where inbound is offered: "+1,+44"; default COUNTRY_CODE */

	/* Calls (CHANNELS=voice, Telnyx Call Control). */
	char *voice_connection_id; /* the Call Control application's id */
	char *voice_from;          /* the calling number, E.164; NULL: FROM_NUMBER */
	enum config_voice_mode voice_mode;
	char *voice_country_codes;   /* where calls go: "+1,+44"; default COUNTRY_CODE */
	char *voice_line_types_list; /* VOICE_LINE_TYPES: "fixed_line,mobile,..." */
	unsigned voice_line_types;   /* ... as bits (1u << enum phone_type) */
	char *voice_price_text;      /* VOICE_PRICE as written */
	long long voice_price;       /* ... in millionths, per call until Telnyx costs it */

	/* Abuse limits (each with a safe default). */
	int resend_after;            /* seconds between two codes to one phone */
	int phone_send_limit;        /* codes to one phone per phone_send_window, per network */
	int phone_send_window;       /* seconds */
	int phone_network_limit;     /* texts to one phone per day asked from one network */
	int ip_send_limit;           /* codes per client address (IPv6: /64) per hour */
	int network_send_limit;      /* texts per network per hour not verified since */
	int hourly_send_limit;       /* codes per hour, all together */
	int daily_send_limit;        /* codes per day, all together */
	int phone_failure_limit;     /* wrong codes per phone and network per hour */
	int phone_daily_limit;       /* texts to one phone per day, whoever asks */
	int voice_phone_limit;       /* calls to one phone per day, whoever asks */
	char *allowed_country_codes; /* "+1,+44", "*"; default COUNTRY_CODE */
	char *country_hourly_limits; /* "+44:20,+1:100", or NULL */
	char *webotp_domain;         /* adds "@domain #code" to the SMS; default SITE_ORIGIN's */
	char *site_name;             /* {site} of the SMS; default SITE_ORIGIN's host */
	char *allowed_line_types;    /* "mobile,fixed_line_or_mobile" */
	unsigned line_types;         /* ... as bits (1u << enum phone_type) */
	struct config_country {
		char code[6]; /* "+44", "+1876" */
		int hourly;   /* codes per hour to it; 0: no cap of its own */
		int allowed;  /* in ALLOWED_COUNTRY_CODES */
	} countries[32];
	int ncountries;
	int all_countries; /* ALLOWED_COUNTRY_CODES=* */

	/* The operator's side (issue 12): the conversion breaker, the budget, retention. */
	int conversion_window;      /* seconds sends and verifications are counted over */
	int conversion_min_sends;   /* sends to a prefix before its conversion is judged */
	int conversion_min_clients; /* networks a block needs among the unverified sends */
	int conversion_grace;       /* seconds a code has to be typed before its send is judged */
	char *conversion_min_text;  /* CONVERSION_MIN as written ("0.2") */
	long long conversion_min;   /* ... in millionths (200000) */
	int conversion_block;       /* seconds a prefix stays blocked */
	enum config_conversion {
		CONVERSION_ENFORCE, /* block the prefix, refuse its sends */
		CONVERSION_MONITOR, /* log what it would refuse */
		CONVERSION_OFF
	} conversion_mode;
	char *spend_limit_text; /* DAILY_SPEND_LIMIT as written, or NULL: none */
	long long spend_limit;  /* ... in millionths of spend_currency; -1: none */
	char *spend_currency;   /* "USD" */
	char *sms_price_text;   /* SMS_PRICE as written */
	long long sms_price;    /* ... in millionths, per part, for texts not yet costed */
	int retention_days;     /* nothing about a number is kept longer */

	/* Handing the result to the site. */
	char *signing_key;       /* HMAC key shared with the site */
	char *return_to_allowed; /* "https://app.example.com/,/account/" */
	enum config_delivery {
		DELIVERY_QUERY, /* otp_assertion=... on the return_to URL */
		DELIVERY_COOKIE /* Set-Cookie: otp_assertion=... */
	} delivery;
	int result_max_age; /* seconds an assertion is good for */
	enum config_format {
		FORMAT_V1, /* v1.<payload>.<HMAC> (assertion.h) */
		FORMAT_JWT /* a JWT (jwt.h) */
	} assertion_format;
	char *signing_key_file;            /* Ed25519 PEM files, the first signs (jwt), or NULL */
	char *assertion_issuer;            /* the JWT's iss; default SITE_ORIGIN */
	char *assertion_audience;          /* the JWT's aud; default SITE_ORIGIN */
	struct return_to_policy return_to; /* RETURN_TO_ALLOWED, parsed at load */
	const char *form_origins;          /* return_to.form_origins, the name reply.c reads */

	/* "https://example.com": the one origin POSTs may come from, or NULL
	 * (then the Host header's).  Lower case, no default port, no '/'. */
	char *site_origin;
};

/*
 * The path to read: $OTP_CONFIG of the process' environment, else the
 * default built in.  A FastCGI request's own OTP_CONFIG is serve.c's to
 * read; a loaded config names its file in cfg->path.
 */
const char *config_path(void);

/*
 * Read and check the file at path into cfg (defaults for what it leaves
 * out; cfg->path a copy of path).  Returns 0, or -1 after logging one line that names the key (or
 * the file) at fault; cfg is then freed.  Unknown keys are logged as
 * warnings and ignored.
 */
int config_load(struct config *cfg, const char *path);

/*
 * Read and check the file at path into cfg as config_load() does, but
 * log every problem (each line naming its key) rather than stop at the
 * first, for otp-admin check-config.  Returns how many (0: the programs
 * would run, and cfg is loaded: free it with config_free()), or -1 if
 * the file cannot be read.
 */
int config_lint(struct config *cfg, const char *path);

/* As config_load() on a buffer; name is used in log lines only. */
int config_parse(struct config *cfg, const char *buf, size_t len, const char *name);

/* Where the store is: DATABASE_URL when set, else DB_PATH (store_open()). */
const char *config_database(const struct config *cfg);

/*
 * The i-th (from 0) path of SIGNING_KEY_FILE into path (size bytes): 1,
 * or 0 when there is none (or it does not fit: the validator keeps every
 * path shorter than a config line).
 */
int config_key_file(const struct config *cfg, size_t i, char *path, size_t size);

/* Free what config_load() or config_parse() allocated. */
void config_free(struct config *cfg);

#endif
