/*
 * Telnyx's webhooks: the Ed25519 signature every one carries, checked
 * before anything is read from it, and the event it reports.
 */
#ifndef OTP_WEBHOOK_H
#define OTP_WEBHOOK_H

#include <stddef.h>
#include <time.h>

#include "bounds.h"

#define WEBHOOK_KEY_LEN  32  /* an Ed25519 public key */
#define WEBHOOK_SIG_LEN  64  /* an Ed25519 signature */
#define WEBHOOK_MAX_SKEW 300 /* seconds a timestamp may be from now, either way */
#define WEBHOOK_BODY_MAX (64 * 1024)

/*
 * The account's public key, base64 of 32 bytes as Telnyx's portal shows
 * it, into key.  Returns 0, or -1 if it is not that.
 */
int webhook_key_parse(const char *b64, unsigned char key[WEBHOOK_KEY_LEN]);

/* Standard base64 of exactly want bytes (with its padding) into out: 0,
 * or -1 if in is anything else. */
int webhook_unb64(const char *in, unsigned char *out, size_t want);

enum webhook_check {
	WEBHOOK_OK,
	WEBHOOK_MISSING,       /* no signature or no timestamp */
	WEBHOOK_STALE,         /* the timestamp is more than WEBHOOK_MAX_SKEW from now */
	WEBHOOK_BAD_SIGNATURE, /* not base64 of 64 bytes, or not the key's over these bytes */
	WEBHOOK_FAILED         /* libcrypto could not check it (out of memory) */
};

/*
 * (lib/webhook_sig.c) Whether sig_b64 (the header telnyx-signature-ed25519) is key's
 * signature of timestamp (telnyx-timestamp, Unix seconds), '|' and the
 * len bytes of body, with the timestamp within WEBHOOK_MAX_SKEW of now.
 */
enum webhook_check webhook_verify(const unsigned char key[WEBHOOK_KEY_LEN], const char *timestamp,
				  const char *sig_b64, const char *body, size_t len, time_t now);

/* What a webhook reports, as far as this project uses it. */
struct webhook_event {
	char id[80];                        /* data.id: the event, for deduplication */
	char type[48];                      /* data.event_type: "message.finalized" */
	char message_id[OTP_MSGID_MAX + 1]; /* data.payload.id */
	char status[32];                    /* payload.to[0].status, or "" */
	char error_code[16];                /* payload.errors[0].code, or "" */
	char cost[24];                      /* payload.cost.amount ("0.0051"), or "" */
	char currency[8];                   /* payload.cost.currency, or "" */
	int parts;                          /* payload.parts, or 0 */
	char carrier[64];                   /* payload.to[0].carrier, or "" */
	char line_type[32];                 /* payload.to[0].line_type, or "" */
	char from[OTP_PHONE_MAX + 1];       /* payload.from.phone_number (inbound), or "" */
	char to[OTP_PHONE_MAX + 1];         /* payload.to[0].phone_number, or "" */
	char text[OTP_TEXT_MAX];            /* payload.text (inbound), or "" */
	/* A call's events (call.*): */
	char call_id[OTP_CALL_ID_MAX + 1];         /* payload.call_control_id, or "" */
	char client_state[OTP_CALL_STATE_LEN + 1]; /* payload.client_state, or "" */
	char cause[32];  /* payload.hangup_cause (call.hangup), payload.result
			    (call.machine.detection.ended), or "" */
	char digits[16]; /* payload.digits (call.gather.ended), or "" */
};

/*
 * Read the webhook body (JSON, len bytes) into *ev (zeroed first).
 * Returns 0, or -1 if it is not JSON or has no data.id and
 * data.event_type.  A field that is too long or holds control characters
 * is left empty (the text keeps newlines and tabs); never more than the
 * bytes given is read.
 */
int webhook_parse(const char *body, size_t len, struct webhook_event *ev);

/*
 * How far along a message is by its status (to[0].status): 1 queued, 2
 * sending, 3 sent, 4 a final state (delivered, delivery_failed,
 * sending_failed, expired, delivery_unconfirmed); 0 for a status Telnyx
 * does not define.  Reports can come out of order: a message's state
 * only ever moves to a higher stage.
 */
int webhook_stage(const char *status);

/*
 * The stage of a call event type (enum store_call_stage: 2 call.initiated,
 * 3 call.answered, 4 call.machine.detection.ended, 5 call.speak.ended and
 * call.gather.ended, 6 call.hangup), and the word the store keeps for it
 * ("answered") into *status; 0 for a type that is no call event of ours.
 */
int webhook_call_stage(const char *type, const char **status);

/* Whether status says the text never reached the phone (delivery_failed,
 * sending_failed, expired): the visitor may ask again at once. */
int webhook_failed(const char *status);

/*
 * A cost.amount ("0.0051": digits, maybe a point and more digits) in
 * millionths, the digits past the sixth dropped; -1 for anything else,
 * or an amount of a million or more.
 */
long long webhook_micros(const char *amount);

#endif
