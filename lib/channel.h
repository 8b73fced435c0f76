/*
 * The ways a code is sent to a phone, as one table the core reads
 * (channel.c): each row a channel through one provider (a text or a call
 * through Telnyx, the outbox that stands in for either), each answering a
 * send with an outcome the core understands (enum channel_outcome), never
 * with its provider's codes.  A second provider is one more file defining its rows,
 * and a line in the table.
 *
 * Inbound (the visitor texts a code the page shows to INBOUND_NUMBER) is
 * not a row: it sends nothing, so it has no send to make and no answer to
 * map; the core shows its code, and webhook.cgi hears the text
 * (core_webhook.c).
 *
 * Only request.cgi links this, and through it libcurl's loader (http.c).
 */
#ifndef OTP_CHANNEL_H
#define OTP_CHANNEL_H

#include "bounds.h"
#include "config.h"

/* What became of a send: all the core decides by. */
enum channel_outcome {
	/* The provider took it: message_id and cost_micros are set (a call:
	 * placed, and ringing; what became of it comes by its events). */
	SEND_TAKEN,
	/* The number opted out (texted STOP) or blocks us: its to undo. */
	SEND_OPTED_OUT,
	/* Over the provider account's own spend limit: nobody gets one today. */
	SEND_SPEND_LIMIT,
	/* Refused by the provider (an HTTP error): nothing sent, nothing billed. */
	SEND_REFUSED,
	/* Failed, and not known to be refused: a timeout, a closed connection,
	 * an answer without an id (it may have sent it), no connection, a
	 * redirect.  It counts as sent. */
	SEND_UNSURE,
	/* Not tried: what it needs is missing (libcurl, a writable outbox, a
	 * key or URL that fits, memory, a message that fits). */
	SEND_MISCONFIGURED,
	SEND__MAX
};

/* What a channel answers: the outcome, and for the log what it was. */
struct channel_result {
	enum channel_outcome outcome;
	/* taken: the provider's id of it: a message's (at most OTP_MSGID_MAX),
	 * a call's call_control_id */
	char message_id[OTP_CALL_ID_MAX + 1];
	int parts;             /* taken: billed parts the provider counted; 0: not said */
	long long cost_micros; /* taken: estimated cost, millionths of SPEND_CURRENCY */
	/* For the log only: the core never decides by these. */
	long http_status;    /* the provider's HTTP status; 0 if none */
	char error_code[32]; /* the provider's own code for it, or "" */
	char reason[128];    /* what went wrong, printable ASCII */
};

/* What a call is told to do next (a row of way CHANNEL_VOICE). */
enum channel_step {
	STEP_SPEAK,  /* say words, once */
	STEP_ASK,    /* say words and await one key of keys, a few tries */
	STEP_HANG_UP /* end the call */
};

/* The words of a step, in the verification's language (message_voice()). */
struct channel_speech {
	const char *words;    /* what is said (STEP_SPEAK, STEP_ASK) */
	const char *again;    /* STEP_ASK: said after a wrong key, or NULL */
	const char *keys;     /* STEP_ASK: the keys that answer ("1") */
	const char *voice;    /* the language file's VOICE */
	const char *language; /* ... and VOICE_LANGUAGE (Telnyx's "en-US") */
};

/* One row: a way to send, through one provider. */
struct channel {
	const char *name;                /* the CHANNELS word it serves, for the log ("sms") */
	unsigned way;                    /* ... as its bit (CHANNEL_SMS) */
	enum config_transport transport; /* the SMS_TRANSPORT that chooses it */
	int receipts;                    /* the provider reports on what it took (webhook.cgi):
					    the store keeps the number with the message id */
	const char *spend_limit;         /* SEND_SPEND_LIMIT in words for the operator's
					    warning, or NULL if it never answers that */
	/*
	 * Send text to the E.164 number to; fills res (cleared) and returns
	 * its outcome.  Logs nothing: the caller logs one line.  A call takes
	 * no text (NULL): it speaks when answered, on its events.  state,
	 * for a row with receipts, is base64 the provider hands back with
	 * each report of this send (a call's client_state: the token that
	 * finds its verification), or NULL; a text's reports carry its id.
	 */
	enum channel_outcome (*send)(const struct config *cfg, const char *to, const char *text,
				     const char *state, struct channel_result *res);
	/*
	 * A call's rows only (else NULL): tell the call call_id (its send's
	 * message_id) to take step, with sp's words (NULL to hang up), state
	 * (its client_state) and command_id (the event it answers: a provider
	 * runs one command of an id once).  Fills res as send does: TAKEN
	 * when the provider took it.  Logs nothing.
	 */
	enum channel_outcome (*step)(const struct config *cfg, const char *call_id,
				     enum channel_step step, const struct channel_speech *sp,
				     const char *state, const char *command_id,
				     struct channel_result *res);
};

/*
 * The row that sends by way (CHANNEL_SMS) under cfg (its transport), or
 * NULL when the site does not offer that way (CHANNELS).
 */
const struct channel *channel_for(const struct config *cfg, unsigned way);

/* Send text (and state) to to through ch: res cleared, then filled;
 * returns res->outcome. */
enum channel_outcome channel_send(const struct channel *ch, const struct config *cfg,
				  const char *to, const char *text, const char *state,
				  struct channel_result *res);

/* Tell a call to take a step through ch (a call's row): res cleared,
 * then filled; returns res->outcome. */
enum channel_outcome channel_step(const struct channel *ch, const struct config *cfg,
				  const char *call_id, enum channel_step step,
				  const struct channel_speech *sp, const char *state,
				  const char *command_id, struct channel_result *res);

/* The rows, each defined in its provider's file. */
/* telnyx.c */
extern const struct channel telnyx_text;
extern const struct channel telnyx_call;
/* outbox.c */
extern const struct channel outbox_text;
extern const struct channel outbox_call;

#endif
