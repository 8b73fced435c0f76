/*
 * Telnyx's webhooks.  The signature: Ed25519 (RFC 8032) over the bytes
 * "<telnyx-timestamp>|<raw body>", base64 in the header
 * telnyx-signature-ed25519, checked with libcrypto against the account's
 * public key; a timestamp far from now is refused, so that a recorded
 * webhook cannot be played again later.  The event: the envelope
 * {"data": {"id", "event_type", "payload": <message>}} read with cJSON.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <openssl/evp.h> /* EVP_DecodeBlock() only: the signature is in webhook_sig.c */

#include "webhook.h"

int
webhook_unb64(const char *in, unsigned char *out, size_t want)
{
	unsigned char buf[128];
	size_t len = in != NULL ? strlen(in) : 0, pad = 0, i;
	int n;

	/* Exactly the encoding of want bytes: 4 characters for each 3. */
	if (len != (want + 2) / 3 * 4 || want + 3 > sizeof(buf))
		return -1;
	for (i = 0; i < len; i++) {
		char c = in[i];

		if (c == '=' && i >= len - 2) {
			pad++;
			continue;
		}
		if (pad > 0 || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
				 (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return -1;
	}
	n = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)len);
	if (n < 0 || (size_t)n - pad != want)
		return -1;
	memcpy(out, buf, want);
	return 0;
}

int
webhook_key_parse(const char *b64, unsigned char key[WEBHOOK_KEY_LEN])
{
	return webhook_unb64(b64, key, WEBHOOK_KEY_LEN);
}

/* s into out (size bytes) if it fits and holds no control character
 * (text: newlines and tabs allowed); else out stays empty. */
static void
webhook_copy(char *out, size_t size, const cJSON *item, int text)
{
	const char *s = cJSON_IsString(item) ? item->valuestring : NULL;
	size_t i, n;

	out[0] = '\0';
	if (s == NULL || (n = strlen(s)) >= size)
		return;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && !(text && (c == '\n' || c == '\t'))) || c == 0x7f)
			return;
	}
	memcpy(out, s, n + 1);
}

static const cJSON *
webhook_get(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

int
webhook_parse(const char *body, size_t len, struct webhook_event *ev)
{
	const cJSON *data, *payload, *to, *err, *cost, *parts;
	cJSON *root;
	int rc = -1;

	memset(ev, 0, sizeof(*ev));
	if (len > WEBHOOK_BODY_MAX || (root = cJSON_ParseWithLength(body, len)) == NULL)
		return -1;
	data = webhook_get(root, "data");
	webhook_copy(ev->id, sizeof(ev->id), webhook_get(data, "id"), 0);
	webhook_copy(ev->type, sizeof(ev->type), webhook_get(data, "event_type"), 0);
	if (ev->id[0] == '\0' || ev->type[0] == '\0')
		goto out;
	payload = webhook_get(data, "payload");
	webhook_copy(ev->message_id, sizeof(ev->message_id), webhook_get(payload, "id"), 0);
	to = cJSON_GetArrayItem(webhook_get(payload, "to"), 0);
	webhook_copy(ev->status, sizeof(ev->status), webhook_get(to, "status"), 0);
	webhook_copy(ev->carrier, sizeof(ev->carrier), webhook_get(to, "carrier"), 0);
	webhook_copy(ev->line_type, sizeof(ev->line_type), webhook_get(to, "line_type"), 0);
	webhook_copy(ev->to, sizeof(ev->to), webhook_get(to, "phone_number"), 0);
	err = cJSON_GetArrayItem(webhook_get(payload, "errors"), 0);
	if (cJSON_IsNumber(webhook_get(err, "code")) &&
	    webhook_get(err, "code")->valuedouble >= 0 &&
	    webhook_get(err, "code")->valuedouble < 1e9)
		snprintf(ev->error_code, sizeof(ev->error_code), "%d",
			 (int)webhook_get(err, "code")->valuedouble);
	else
		webhook_copy(ev->error_code, sizeof(ev->error_code), webhook_get(err, "code"), 0);
	cost = webhook_get(payload, "cost");
	if (cJSON_IsNumber(webhook_get(cost, "amount")) &&
	    webhook_get(cost, "amount")->valuedouble >= 0 &&
	    webhook_get(cost, "amount")->valuedouble < 1e6)
		snprintf(ev->cost, sizeof(ev->cost), "%.6f",
			 webhook_get(cost, "amount")->valuedouble);
	else
		webhook_copy(ev->cost, sizeof(ev->cost), webhook_get(cost, "amount"), 0);
	webhook_copy(ev->currency, sizeof(ev->currency), webhook_get(cost, "currency"), 0);
	parts = webhook_get(payload, "parts");
	if (cJSON_IsNumber(parts) && parts->valuedouble >= 1 && parts->valuedouble <= 100)
		ev->parts = (int)parts->valuedouble;
	webhook_copy(ev->from, sizeof(ev->from),
		     webhook_get(webhook_get(payload, "from"), "phone_number"), 0);
	webhook_copy(ev->text, sizeof(ev->text), webhook_get(payload, "text"), 1);
	webhook_copy(ev->call_id, sizeof(ev->call_id), webhook_get(payload, "call_control_id"), 0);
	webhook_copy(ev->client_state, sizeof(ev->client_state),
		     webhook_get(payload, "client_state"), 0);
	webhook_copy(ev->cause, sizeof(ev->cause), webhook_get(payload, "hangup_cause"), 0);
	if (ev->cause[0] == '\0')
		webhook_copy(ev->cause, sizeof(ev->cause), webhook_get(payload, "result"), 0);
	webhook_copy(ev->digits, sizeof(ev->digits), webhook_get(payload, "digits"), 0);
	rc = 0;
out:
	cJSON_Delete(root);
	if (rc < 0)
		memset(ev, 0, sizeof(*ev));
	return rc;
}

/* Telnyx's delivery states, with their stage. */
static const struct {
	const char *name;
	int stage;
	int failed;
} webhook_states[] = {
    {"queued", 1, 0},
    {"sending", 2, 0},
    {"sent", 3, 0},
    {"delivered", 4, 0},
    {"delivery_unconfirmed", 4, 0},
    {"delivery_failed", 4, 1},
    {"sending_failed", 4, 1},
    {"expired", 4, 1},
};

#define WEBHOOK_NSTATES (sizeof(webhook_states) / sizeof(webhook_states[0]))

int
webhook_stage(const char *status)
{
	size_t i;

	for (i = 0; status != NULL && i < WEBHOOK_NSTATES; i++)
		if (!strcmp(status, webhook_states[i].name))
			return webhook_states[i].stage;
	return 0;
}

int
webhook_failed(const char *status)
{
	size_t i;

	for (i = 0; status != NULL && i < WEBHOOK_NSTATES; i++)
		if (!strcmp(status, webhook_states[i].name))
			return webhook_states[i].failed;
	return 0;
}

/* Call Control's events that move a call, with their stage (store.h's
 * enum store_call_stage, which store.h keeps apart from this file). */
static const struct {
	const char *type;
	const char *status;
	int stage;
} webhook_calls[] = {
    {"call.initiated", "initiated", 2},
    {"call.answered", "answered", 3},
    {"call.machine.detection.ended", "detected", 4},
    {"call.speak.ended", "spoken", 5},
    {"call.gather.ended", "gathered", 5},
    {"call.hangup", "hangup", 6},
};

int
webhook_call_stage(const char *type, const char **status)
{
	size_t i;

	for (i = 0; type != NULL && i < sizeof(webhook_calls) / sizeof(webhook_calls[0]); i++)
		if (!strcmp(type, webhook_calls[i].type)) {
			*status = webhook_calls[i].status;
			return webhook_calls[i].stage;
		}
	*status = NULL;
	return 0;
}

long long
webhook_micros(const char *amount)
{
	long long units = 0, frac = 0;
	size_t i = 0, n;

	for (n = 0; isdigit((unsigned char)amount[i]) && n < 7; i++, n++)
		units = units * 10 + (amount[i] - '0');
	if (n == 0 || n == 7)
		return -1;
	if (amount[i] == '.') {
		for (i++, n = 0; isdigit((unsigned char)amount[i]); i++, n++)
			if (n < 6)
				frac = frac * 10 + (amount[i] - '0');
		if (n == 0)
			return -1;
		for (; n < 6; n++)
			frac *= 10;
	}
	if (amount[i] != '\0' || units >= 1000000)
		return -1;
	return units * 1000000 + frac;
}
