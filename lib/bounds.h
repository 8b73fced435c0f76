/*
 * Every limit of the programs in one place: sizes of what comes off the
 * wire, timeouts, lifetimes.  Change them here and nowhere else.
 */
#ifndef OTP_BOUNDS_H
#define OTP_BOUNDS_H

#define OTP_BODY_MAX   (8 * 1024)    /* largest request body kept */
#define OTP_DRAIN_MAX  (1024 * 1024) /* most we read (and drop) of a larger one */
#define OTP_QUERY_MAX  (4 * 1024)    /* longest QUERY_STRING looked at */
#define OTP_FIELD_MAX  1024          /* longest decoded form value */
#define OTP_FIELDS_MAX 32            /* most name=value pairs in one form */
#define OTP_HEADER_MAX 4096          /* longest Origin/Referer/Host looked at */
#define OTP_COOKIE_MAX 16384         /* longest Cookie header looked at */
#define OTP_HOST_MAX   255           /* longest host of a URL or Host header (DNS: 253) */

#define OTP_ID_BYTES         16                 /* verification id: 128 random bits */
#define OTP_ID_LEN           (OTP_ID_BYTES * 2) /* ... as lower-case hex */
#define OTP_CODE_MIN         4
#define OTP_CODE_MAX         10
#define OTP_TOKEN_MAX        32  /* longest token field accepted before 400 */
#define OTP_INBOUND_LEN      8   /* an inbound code: 8 of 31 characters, 39 bits */
#define OTP_INBOUND_LIVE     256 /* most live inbound verifications of a number: a text checks all */
#define OTP_INBOUND_NET_LIVE 2   /* ... asked for from one network */
#define OTP_PHONE_MAX        16  /* '+' and at most 15 digits */
#define OTP_PHONE_TYPED_MAX  64  /* longest phone field (bytes): spaces, non-ASCII digits */
#define OTP_PHONE_TEXT_MAX   32  /* a number as written: "+44 7911 123456" */
#define OTP_NET_MAX          48  /* a network: "203.0.113.0/24", "2001:db8:1::/48" */
#define OTP_PREFIX_MAX                                                                             \
	12 /* a destination range: "+1202555", "+447911" (otp-admin: up to 11 digits) */
#define OTP_MAC_LEN          32  /* HMAC-SHA256 */
#define OTP_MSGID_MAX        64  /* Telnyx message id (a UUID) */
#define OTP_CALL_ID_MAX      128 /* Telnyx call_control_id ("v3:" and some 54 characters) */
#define OTP_CALL_STATE_BYTES 16  /* a call's client_state: 128 random bits ... */
#define OTP_CALL_STATE_LEN   24  /* ... as base64, with its padding */
#define OTP_CALL_RING_S      30  /* seconds a call rings before Telnyx gives up (timeout_secs) */
#define OTP_CALL_SPEAK_S     60 /* longest call that speaks a code twice (time_limit_secs, >= 30) */
#define OTP_CALL_CONFIRM_S   90 /* longest call that asks for a 1, three tries */
#define OTP_STATUS_MAX       23 /* a delivery status ("delivery_unconfirmed") */

#define OTP_CONFIG_MAX    (64 * 1024) /* largest config file */
#define OTP_CONFIG_LINE   4096        /* longest config line */
#define OTP_MESSAGE_MAX   640         /* longest MESSAGE_TEXT */
#define OTP_SITE_NAME_MAX 40          /* longest SITE_NAME, {site} of the text message */
#define OTP_TEXT_MAX      2048        /* longest SMS: MESSAGE_TEXT with its codes, WebOTP line */

#define OTP_SMS_CONNECT_MS 5000        /* connect timeout to the SMS provider */
#define OTP_SMS_TOTAL_MS   10000       /* whole request, retry included */
#define OTP_SMS_REPLY_MAX  (64 * 1024) /* largest provider answer read */
#define OTP_SMS_IDLE_S     30          /* a kept connection idle longer is not reused */

#define OTP_DB_BUSY_MS 10000 /* how long a writer waits for the lock */

/* The windows the limits count over, and the widest a config may set. */
#define OTP_HOUR           3600
#define OTP_DAY            86400
#define OTP_FAILURE_WINDOW OTP_HOUR /* PHONE_FAILURE_LIMIT counts wrong codes this long */
/* Wrong codes for one number from all networks in OTP_FAILURE_WINDOW
 * (PHONE_FAILURE_LIMIT counts per network): NIST SP 800-63B-4 allows an
 * authenticator at most 100 failed attempts. */
#define OTP_FAILURE_CAP      100
#define OTP_CLIENT_WINDOW    OTP_HOUR /* IP_SEND_LIMIT */
#define OTP_COUNTRY_WINDOW   OTP_HOUR /* COUNTRY_HOURLY_LIMITS */
#define OTP_PHONE_DAY_WINDOW OTP_DAY  /* PHONE_DAILY_LIMIT */
#define OTP_PHONE_WINDOW_MAX OTP_DAY  /* largest PHONE_SEND_WINDOW */
#define OTP_RESEND_AFTER_MAX OTP_HOUR /* largest RESEND_AFTER */
#define OTP_TOKEN_TTL_MAX    600      /* largest TOKEN_TTL */
#define OTP_RESULT_AGE_MAX   OTP_HOUR /* largest RESULT_MAX_AGE */

/* How long the store keeps rows (s); a purge never drops what a limit counts. */
#define OTP_PURGE_AFTER      OTP_HOUR /* dead verifications, past their expiry */
#define OTP_PURGE_SENDS      OTP_DAY  /* sends, for the send limits */
#define OTP_PURGE_FAILURES   OTP_HOUR /* wrong codes, for PHONE_FAILURE_LIMIT */
#define OTP_PURGE_ASSERTIONS OTP_DAY  /* assertions seen by otp-assertion */
#define OTP_PURGE_MESSAGES   OTP_DAY  /* messages and their receipts, past the last report */
#define OTP_PURGE_EVENTS     OTP_DAY  /* webhook events taken (Telnyx retries for minutes) */
#define OTP_PURGE_BATCH      500      /* most rows of a table one request purges */

#ifndef __cplusplus /* C++ (lib/phonenumber.cc) reads the sizes only */
_Static_assert(OTP_PURGE_SENDS >= OTP_PHONE_WINDOW_MAX,
	       "a purge drops sends PHONE_SEND_WINDOW counts");
_Static_assert(OTP_PURGE_SENDS >= OTP_PHONE_DAY_WINDOW,
	       "a purge drops sends PHONE_DAILY_LIMIT counts");
_Static_assert(OTP_PURGE_SENDS >= OTP_DAY && OTP_PURGE_SENDS >= OTP_CLIENT_WINDOW &&
		   OTP_PURGE_SENDS >= OTP_COUNTRY_WINDOW && OTP_PURGE_SENDS >= OTP_RESEND_AFTER_MAX,
	       "a purge drops sends a limit counts");
_Static_assert(OTP_PURGE_FAILURES >= OTP_FAILURE_WINDOW,
	       "a purge drops wrong codes a limit counts");
_Static_assert(OTP_PURGE_ASSERTIONS >= OTP_RESULT_AGE_MAX,
	       "a purge forgets an assertion while it may still be replayed");
#endif

#define OTP_RETURN_MAX       512 /* longest return_to */
#define OTP_SIGNING_KEYS_MAX 8   /* most Ed25519 keys in SIGNING_KEY_FILE (a rotation holds 2) */
#define OTP_COOKIE           "otp_vid" /* cookie carrying the verification id */

#endif
