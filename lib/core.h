/*
 * The verification core: the two operations of the flow, start (make,
 * store and send a code for a number) and check (a typed code against a
 * verification), as library calls with no HTTP, no HTML and no SQL in
 * them.  Each fills a plain result: what happened (enum outcome) and what
 * a front end shows.  Limits, codes, hashing, the store and the channels
 * (channel.h: the providers' rows) are called from here, never from a
 * program.  core_send.c holds start (it sends, so only request.cgi links
 * it); core.c the rest.
 */
#ifndef OTP_CORE_H
#define OTP_CORE_H

#include <time.h>

#include "assertion.h"
#include "bounds.h"
#include "config.h"
#include "phonenumber.h"

struct store;

/*
 * Everything a request can end in, the door's and the front line's
 * refusals included: reply.c has one row per value (status, page, JSON
 * code, audit event and reason, message).
 */
enum outcome {
	/* The front line (reply_front()). */
	OUTCOME_METHOD,        /* 405 */
	OUTCOME_MALFORMED,     /* 400: bad CONTENT_LENGTH, short body */
	OUTCOME_TOO_LARGE,     /* 413 */
	OUTCOME_URI_TOO_LONG,  /* 414 */
	OUTCOME_MEDIA_TYPE,    /* 415 */
	OUTCOME_ORIGIN,        /* 403 */
	OUTCOME_MISCONFIGURED, /* 500 */
	/* The door: fields that did not pass. */
	OUTCOME_BAD_PHONE_FORM,    /* request.cgi: the form could not be read */
	OUTCOME_BAD_CODE_FORM,     /* verify.cgi: the form could not be read */
	OUTCOME_MISSING_PHONE,     /* POST without a number */
	OUTCOME_INVALID_PHONE,     /* no phone number at all */
	OUTCOME_NO_SUCH_NUMBER,    /* a number, but libphonenumber says none exists */
	OUTCOME_BAD_SIGNATURE,     /* phone_sig does not sign phone */
	OUTCOME_BAD_RETURN_TO,     /* return_to not allowed */
	OUTCOME_NO_VERIFICATION,   /* verify.cgi without an id */
	OUTCOME_MISSING_TOKEN,     /* no code typed; the form again */
	OUTCOME_MISSING_TOKEN_OFF, /* no code typed, and no live code to show a form for */
	/* start, and the phone form. */
	OUTCOME_READY,           /* GET request.cgi: the phone form */
	OUTCOME_COUNTRY,         /* the number's country is not allowed */
	OUTCOME_LINE_TYPE,       /* its line type is not in ALLOWED_LINE_TYPES */
	OUTCOME_CHANNEL,         /* the channel asked for is not offered (to this number) */
	OUTCOME_SENT,            /* a code went out */
	OUTCOME_CALLED,          /* a call was placed: it speaks the code (VOICE_MODE=code) */
	OUTCOME_CALLED_CONFIRM,  /* ... it asks for a 1 (VOICE_MODE=confirm) */
	OUTCOME_INBOUND,         /* a code to text back: shown (inbound_code) */
	OUTCOME_LIMITED_SENDS,   /* a send limit: retry_after */
	OUTCOME_LIMITED_GUESSES, /* a wrong-code limit: retry_after */
	OUTCOME_PROVIDER,        /* the provider refused or did not answer */
	OUTCOME_OPTED_OUT,       /* the number texted STOP: the provider refuses (SEND_OPTED_OUT) */
	OUTCOME_UNAVAILABLE_SEND, /* the store failed; nothing was sent */
	/* check, and the code form. */
	OUTCOME_APPROVED,          /* the right code: assertion, return_to */
	OUTCOME_WRONG,             /* a wrong code, attempts_left > 0 */
	OUTCOME_LOCKED,            /* a wrong code, and the last try */
	OUTCOME_EXPIRED,           /* the code's time is over */
	OUTCOME_DEAD,              /* used, locked, failed or unknown */
	OUTCOME_PENDING,           /* GET verify.cgi: a live code to show the form for */
	OUTCOME_INBOUND_WAITING,   /* an inbound code whose text has not come (yet) */
	OUTCOME_INBOUND_NOT_YET,   /* ... after "I have sent it" */
	OUTCOME_CALL_WAITING,      /* a call asking for a 1, not pressed (yet) */
	OUTCOME_CALL_NOT_YET,      /* ... after "I have pressed 1" */
	OUTCOME_NONE,              /* GET verify.cgi: no live code */
	OUTCOME_UNAVAILABLE_CHECK, /* the store failed */
	OUTCOME__MAX
};

/* What happened, and what a front end shows of it. */
/* A way through a refusal that holds for everyone (core_result). */
enum core_alt {
	ALT_INBOUND = 0x1, /* the inbound channel: text a code the page shows */
	ALT_VOICE = 0x2,   /* a call, within the limits (CHANNELS=voice) */
	ALT_SMS = 0x4      /* a text, within the limits */
};

/* What became of a verification's latest call, as pages and JSON say it. */
enum core_call {
	FATE_NONE,      /* no call */
	FATE_RINGING,   /* placed, not answered yet */
	FATE_ON,        /* answered: speaking, or asking */
	FATE_DONE,      /* ended after the code was said, or the key asked for */
	FATE_NO_ANSWER, /* not answered in time, or cancelled */
	FATE_BUSY,      /* busy */
	FATE_REJECTED,  /* rejected */
	FATE_MACHINE,   /* an answering machine, or not sure: nothing was said */
	FATE_FAILED,    /* ended otherwise before anything was said */
	FATE__MAX
};

/* The word of a call's fate ("no_answer"), for JSON and the page. */
const char *core_call_word(enum core_call c);

struct verification;

/* What became of the latest call of verification v (a call's), into
 * *fate: 0, or -1 when the store failed. */
int core_call_latest(struct store *st, const struct config *cfg, const struct verification *v,
		     enum core_call *fate);

struct core_result {
	enum outcome outcome;
	char vid[OTP_ID_LEN + 1];           /* the verification, or "" */
	char phone[OTP_PHONE_MAX + 1];      /* E.164, or "": never shown as it is */
	char masked[OTP_PHONE_MAX + 1];     /* for logs (and pages without shown), or "" */
	char shown[OTP_PHONE_TEXT_MAX];     /* for pages: as written there, masked, or "" */
	char return_to[OTP_RETURN_MAX + 1]; /* approved: where the site wants the visitor */
	char assertion[ASSERTION_MAX + 1];  /* approved with SIGNING_KEY: for the site */
	long retry_after;                   /* limited: seconds */
	long expires_in;                    /* sent, pending: seconds the code lives */
	int attempts_left;                  /* wrong, pending; -1: not said */
	char delivery[OTP_STATUS_MAX + 1];  /* the text's state Telnyx reported, or "" */
	char kind[16];                      /* limited: the limit's kind (limit_hit), or "" */
	/* limited: ALT_* ways through that cost nothing; a line type refused
	 * for texts, a code page, a call that failed: the other ways offered */
	unsigned alternatives;
	unsigned way;        /* the verification's CHANNEL_* (0: not known) */
	enum core_call call; /* a call's verification: what became of its latest call */
	int calls_spent;     /* its number had its calls of the day (VOICE_PHONE_LIMIT) */
	char inbound_code[OTP_INBOUND_LEN + 1]; /* inbound: the code to text back, or "" */
	char lang[16];                          /* the verification's language, or "" */
	char detail[256];                       /* more for the audit line ("attempts=2") */
};

/*
 * Into r->alternatives, of ways (the ALT_VOICE and ALT_SMS a number may
 * take, as core_start() decided them whole and its verification keeps
 * them), those other than way (CHANNEL_*): what a code page offers
 * ("Call me instead"), and a refusal of one way.
 */
void core_offers(unsigned ways, unsigned way, struct core_result *r);

/*
 * The core for one process: the config and the store, opened on first
 * need and kept (a FastCGI loop serves many requests with one).
 */
struct core {
	const struct config *cfg;
	struct store *st;
};

/* What start needs, each checked at the door. */
struct core_start_in {
	const struct phone_number *number; /* parsed (number_parse()): E.164, type, calling code */
	const char *client;                /* remote address, as the server gave it, or NULL */
	const char *vid;                   /* the visitor's verification id, or NULL */
	const char *return_to;             /* allowed, or NULL (keep the verification's) */
	unsigned
	    way; /* CHANNEL_SMS (or 0) sent, CHANNEL_INBOUND texted back, CHANNEL_VOICE a call */
	const char *lang; /* the request's language (lang_choose()) */
	time_t now;
};

void core_init(struct core *c, const struct config *cfg);
/* Close the store; c may be used again (it reopens). */
void core_close(struct core *c);
/* Between two requests of a long-lived process: see store_idle(). */
void core_idle(struct core *c);

/*
 * Start a verification: the country and the limits, a new code stored
 * as its HMAC in the visitor's pending verification for the same number
 * (its wrong tries carry over) or a new one, the SMS sent.  Fills r:
 * SENT, COUNTRY, LINE_TYPE, LIMITED_*, PROVIDER, OPTED_OUT, UNAVAILABLE_SEND.  The code never
 * leaves this call.
 */
void core_start(struct core *c, const struct core_start_in *in, struct core_result *r);

/*
 * Check token (letters and digits, spaces and dashes dropped) against
 * verification vid, in one transaction, and record the outcome: APPROVED
 * (the code is used up; with SIGNING_KEY the assertion made), WRONG,
 * LOCKED, EXPIRED, DEAD, LIMITED_GUESSES, UNAVAILABLE_CHECK; MISSING_TOKEN
 * or MISSING_TOKEN_OFF for an empty token.  An inbound verification takes
 * no typed code (it proves only the text that came from the phone): it is
 * APPROVED once that text came, else INBOUND_NOT_YET, with shown, the
 * code the page showed, shown again if it is the verification's.
 */
void core_check(struct core *c, const char *vid, const char *token, const char *shown, time_t now,
		struct core_result *r);

/* The state of verification vid (NULL: none): PENDING, NONE,
 * UNAVAILABLE_CHECK; for an inbound one INBOUND_WAITING, or APPROVED
 * (used up, as core_check() does it) once its text came. */
void core_status(struct core *c, const char *vid, time_t now, struct core_result *r);

/*
 * The number of verification vid, for "send a new code" from its code
 * form: 1 with e164 set, 0 if there is no such verification, -1 when the
 * store failed (logged).
 */
int core_number(struct core *c, const char *vid, char e164[OTP_PHONE_MAX + 1]);

struct webhook_event;

/* What became of a webhook's event. */
enum core_hook {
	HOOK_TAKEN,      /* recorded (a delivery report, an inbound text for a verification) */
	HOOK_SEEN,       /* the same event (data.id) was taken before: no second effect */
	HOOK_IGNORED,    /* an event this project does not use */
	HOOK_UNAVAILABLE /* the store failed (logged): Telnyx should send it again */
};

/*
 * Apply the event of a webhook already checked (webhook_verify()) and
 * read: a message.sent or message.finalized is recorded on its message
 * (store_receipt()); a message.received to INBOUND_NUMBER whose text
 * holds the code of a live inbound verification of its sender approves
 * it, any other text from that sender is a wrong try of the newest one.
 * The event is noted as taken in the same transaction; an audit line
 * names the masked number and what happened.
 * core_webhook.c: only webhook.cgi links it.
 */
enum core_hook core_webhook(struct core *c, const struct webhook_event *ev, time_t now);

/* The store, opened on first use, with *now (unless NULL) set to its
 * clock's time (store_now()).  NULL after logging. */
struct store *core_store(struct core *c, time_t *now);

/* After a result: a store that failed is closed, to be opened afresh. */
void core_settle(struct core *c, const struct core_result *r);

/* Clear r, and set its outcome. */
void core_result_init(struct core_result *r, enum outcome o);

#endif
