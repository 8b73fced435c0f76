/*
 * Telnyx, the provider, as the channel table's rows: telnyx_text, a text
 * through the Messages API (POST {API_BASE_URL}/v2/messages with a JSON
 * body and API_KEY, over http.c), and telnyx_call, a call through Call
 * Control (POST {API_BASE_URL}/v2/calls; what the call says is webhook.cgi's
 * to order, on its events).  Telnyx's words end here: its JSON, its
 * error codes (40300, a number that texted STOP; 40333, the messaging
 * profile's daily spend limit) become the outcomes of channel.h, and what
 * it said goes to the log as printable ASCII only.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "http.h"
#include "telnyx.h"

/* Telnyx's refusals that are an outcome of their own, not a failure. */
static const struct {
	long status;
	const char *code;
	enum channel_outcome outcome;
} telnyx_refusals[] = {
    /* "Blocked due to STOP message": the number must text START. */
    {409, "40300", SEND_OPTED_OUT},
    /* "Spend limit reached": the messaging profile's daily spend limit. */
    {429, "40333", SEND_SPEND_LIMIT},
};

char *
telnyx_text_body(const struct config *cfg, const char *to, const char *text)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	if (o == NULL)
		return NULL;
	if (cfg->from_number != NULL && cfg->from_number[0] != '\0')
		cJSON_AddStringToObject(o, "from", cfg->from_number);
	cJSON_AddStringToObject(o, "to", to);
	cJSON_AddStringToObject(o, "text", text);
	if (cfg->messaging_profile_id != NULL && cfg->messaging_profile_id[0] != '\0')
		cJSON_AddStringToObject(o, "messaging_profile_id", cfg->messaging_profile_id);
	/* Else Telnyx posts the receipts to the messaging profile's webhook. */
	if (cfg->webhook_url != NULL)
		cJSON_AddStringToObject(o, "webhook_url", cfg->webhook_url);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* Copy a string from the provider, printable ASCII only, into out. */
static void
telnyx_copy(char *out, size_t size, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < size; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	out[i] = '\0';
}

/* Append sep and s to out (size bytes) as telnyx_copy() would, cut to fit. */
static void
telnyx_append(char *out, size_t size, const char *sep, const char *s)
{
	size_t n = strlen(out);

	if (n + strlen(sep) + 1 >= size)
		return;
	memcpy(out + n, sep, strlen(sep) + 1);
	n += strlen(sep);
	telnyx_copy(out + n, size - n, s);
}

/* A 2xx answer: TAKEN with data.id, else UNSURE (it may have been sent). */
static enum channel_outcome
telnyx_taken(const cJSON *root, struct channel_result *res)
{
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(data, "id");
	const cJSON *parts = cJSON_GetObjectItemCaseSensitive(data, "parts");

	if (!cJSON_IsString(id) || id->valuestring[0] == '\0' ||
	    strlen(id->valuestring) > OTP_MSGID_MAX) {
		snprintf(res->reason, sizeof(res->reason), "answer has no data.id");
		return SEND_UNSURE;
	}
	telnyx_copy(res->message_id, sizeof(res->message_id), id->valuestring);
	/* Telnyx sends at most 10 parts (error 40302 beyond). */
	if (cJSON_IsNumber(parts) && parts->valuedouble >= 1 && parts->valuedouble <= 10)
		res->parts = (int)parts->valuedouble;
	return SEND_TAKEN;
}

/* Any other answer: errors[0] for the log; by its status and code, what it means. */
static enum channel_outcome
telnyx_refused(long status, const cJSON *root, struct channel_result *res)
{
	const cJSON *err = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "errors"), 0);
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(err, "code");
	const cJSON *title = cJSON_GetObjectItemCaseSensitive(err, "title");
	const cJSON *detail = cJSON_GetObjectItemCaseSensitive(err, "detail");
	size_t i;

	if (cJSON_IsString(code))
		telnyx_copy(res->error_code, sizeof(res->error_code), code->valuestring);
	else if (cJSON_IsNumber(code))
		snprintf(res->error_code, sizeof(res->error_code), "%d", code->valueint);
	if (cJSON_IsString(title))
		telnyx_copy(res->reason, sizeof(res->reason), title->valuestring);
	else
		snprintf(res->reason, sizeof(res->reason), "HTTP %ld", status);
	/* What Telnyx says of this message in particular, for the log only. */
	if (cJSON_IsString(detail))
		telnyx_append(res->reason, sizeof(res->reason), ": ", detail->valuestring);
	/* A redirect (not followed) or an informational status took nothing
	 * that we know of: not a refusal. */
	if (status < 400)
		return SEND_UNSURE;
	for (i = 0; i < sizeof(telnyx_refusals) / sizeof(telnyx_refusals[0]); i++)
		if (status == telnyx_refusals[i].status &&
		    !strcmp(res->error_code, telnyx_refusals[i].code))
			return telnyx_refusals[i].outcome;
	return SEND_REFUSED;
}

enum channel_outcome
telnyx_text_answer(long http_status, const char *body, size_t len, struct channel_result *res)
{
	cJSON *root;

	res->http_status = http_status;
	if ((root = cJSON_ParseWithLength(body, len)) == NULL) {
		snprintf(res->reason, sizeof(res->reason), "answer is not JSON");
		res->outcome = http_status >= 400 ? SEND_REFUSED : SEND_UNSURE;
		return res->outcome;
	}
	res->outcome = http_status >= 200 && http_status < 300
			   ? telnyx_taken(root, res)
			   : telnyx_refused(http_status, root, res);
	cJSON_Delete(root);
	return res->outcome;
}

/* The row's send: the body, the POST, the answer read; the cost estimated. */
static enum channel_outcome
telnyx_text_send(const struct config *cfg, const char *to, const char *text, const char *state,
		 struct channel_result *res)
{
	struct http_post p = {cfg->api_base_url, "/v2/messages", cfg->api_key, cfg->ca_file, NULL};
	struct http_answer a;
	enum http_result hr;
	char *body;

	(void)state; /* a text's reports carry its id */
	if ((body = telnyx_text_body(cfg, to, text)) == NULL) {
		snprintf(res->reason, sizeof(res->reason), "out of memory");
		return SEND_MISCONFIGURED;
	}
	p.body = body;
	hr = http_post_json(&p, &a);
	explicit_bzero(body, strlen(body));
	cJSON_free(body);
	if (hr != HTTP_ANSWERED) {
		res->http_status = a.status;
		telnyx_copy(res->reason, sizeof(res->reason), a.reason);
		return hr == HTTP_UNTRIED ? SEND_MISCONFIGURED : SEND_UNSURE;
	}
	telnyx_text_answer(a.status, a.body != NULL ? a.body : "", a.len, res);
	http_answer_free(&a);
	/* SMS_PRICE a part, until a webhook reports what Telnyx billed. */
	if (res->outcome == SEND_TAKEN)
		res->cost_micros =
		    cfg->sms_price * (res->parts > 0 ? res->parts : cfg->message_parts);
	return res->outcome;
}

const struct channel telnyx_text = {
    .name = "sms",
    .way = CHANNEL_SMS,
    .transport = TRANSPORT_TELNYX,
    .receipts = 1, /* message.sent and message.finalized, to webhook.cgi */
    .spend_limit = "Telnyx's spend limit of the messaging profile reached (40333)",
    .send = telnyx_text_send,
};

char *
telnyx_call_body(const struct config *cfg, const char *to, const char *state)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "connection_id",
				cfg->voice_connection_id != NULL ? cfg->voice_connection_id : "");
	cJSON_AddStringToObject(o, "to", to);
	cJSON_AddStringToObject(o, "from",
				cfg->voice_from != NULL    ? cfg->voice_from
				: cfg->from_number != NULL ? cfg->from_number
							   : "");
	/* The call's events come to webhook.cgi, not to the application's
	 * URL: they drive it (config.c requires WEBHOOK_URL with voice). */
	if (cfg->webhook_url != NULL) {
		cJSON_AddStringToObject(o, "webhook_url", cfg->webhook_url);
		cJSON_AddStringToObject(o, "webhook_url_method", "POST");
	}
	/* Handed back with every event: the token that finds the verification. */
	if (state != NULL)
		cJSON_AddStringToObject(o, "client_state", state);
	/* call.machine.detection.ended says human, machine or not_sure: no code
	 * is left on a voicemail, which others may be able to play. */
	cJSON_AddStringToObject(o, "answering_machine_detection", "detect");
	cJSON_AddNumberToObject(o, "timeout_secs", OTP_CALL_RING_S);
	/* Telnyx's default is four hours of a billed line. */
	cJSON_AddNumberToObject(o, "time_limit_secs",
				cfg->voice_mode == VOICE_CONFIRM ? OTP_CALL_CONFIRM_S
								 : OTP_CALL_SPEAK_S);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

enum channel_outcome
telnyx_call_answer(long http_status, const char *body, size_t len, struct channel_result *res)
{
	const cJSON *id;
	cJSON *root;

	res->http_status = http_status;
	if ((root = cJSON_ParseWithLength(body, len)) == NULL) {
		snprintf(res->reason, sizeof(res->reason), "answer is not JSON");
		res->outcome = http_status >= 400 ? SEND_REFUSED : SEND_UNSURE;
		return res->outcome;
	}
	if (http_status < 200 || http_status >= 300)
		res->outcome = telnyx_refused(http_status, root, res);
	else {
		id = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(root, "data"), "call_control_id");
		if (!cJSON_IsString(id) || id->valuestring[0] == '\0' ||
		    strlen(id->valuestring) > OTP_CALL_ID_MAX) {
			/* It may ring all the same: as a text without an id. */
			snprintf(res->reason, sizeof(res->reason),
				 "answer has no data.call_control_id");
			res->outcome = SEND_UNSURE;
		} else {
			telnyx_copy(res->message_id, sizeof(res->message_id), id->valuestring);
			res->outcome = SEND_TAKEN;
		}
	}
	cJSON_Delete(root);
	return res->outcome;
}

/* The call row's send: the body, the POST, the answer read; VOICE_PRICE. */
static enum channel_outcome
telnyx_call_send(const struct config *cfg, const char *to, const char *text, const char *state,
		 struct channel_result *res)
{
	struct http_post p = {cfg->api_base_url, "/v2/calls", cfg->api_key, cfg->ca_file, NULL};
	struct http_answer a;
	enum http_result hr;
	char *body;

	(void)text; /* spoken when answered, on the call's events */
	if ((body = telnyx_call_body(cfg, to, state)) == NULL) {
		snprintf(res->reason, sizeof(res->reason), "out of memory");
		return SEND_MISCONFIGURED;
	}
	p.body = body;
	hr = http_post_json(&p, &a);
	cJSON_free(body);
	if (hr != HTTP_ANSWERED) {
		res->http_status = a.status;
		telnyx_copy(res->reason, sizeof(res->reason), a.reason);
		return hr == HTTP_UNTRIED ? SEND_MISCONFIGURED : SEND_UNSURE;
	}
	telnyx_call_answer(a.status, a.body != NULL ? a.body : "", a.len, res);
	http_answer_free(&a);
	/* VOICE_PRICE a call, until call.hangup's cost is known. */
	if (res->outcome == SEND_TAKEN)
		res->cost_micros = cfg->voice_price;
	return res->outcome;
}

/* The fields every action carries, then the object as text (NULL: out of memory). */
static char *
telnyx_action(cJSON *o, const char *state, const char *command_id)
{
	char *s;

	if (o == NULL)
		return NULL;
	if (state != NULL)
		cJSON_AddStringToObject(o, "client_state", state);
	if (command_id != NULL)
		cJSON_AddStringToObject(o, "command_id", command_id);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* A body with what speaking needs: payload, voice, language. */
static cJSON *
telnyx_speech(const char *payload, const char *voice, const char *language)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "payload", payload);
	cJSON_AddStringToObject(o, "payload_type", "text");
	cJSON_AddStringToObject(o, "voice", voice);
	if (language != NULL)
		cJSON_AddStringToObject(o, "language", language);
	return o;
}

char *
telnyx_speak_body(const char *payload, const char *voice, const char *language, const char *state,
		  const char *command_id)
{
	return telnyx_action(telnyx_speech(payload, voice, language), state, command_id);
}

char *
telnyx_gather_body(const char *payload, const char *invalid_payload, const char *valid_digits,
		   const char *voice, const char *language, const char *state,
		   const char *command_id)
{
	cJSON *o = telnyx_speech(payload, voice, language);

	if (o == NULL)
		return NULL;
	if (invalid_payload != NULL)
		cJSON_AddStringToObject(o, "invalid_payload", invalid_payload);
	cJSON_AddStringToObject(o, "valid_digits", valid_digits);
	cJSON_AddNumberToObject(o, "minimum_digits", 1);
	cJSON_AddNumberToObject(o, "maximum_digits", 1);
	cJSON_AddNumberToObject(o, "maximum_tries", 3);
	cJSON_AddNumberToObject(o, "timeout_millis", 10000);
	return telnyx_action(o, state, command_id);
}

char *
telnyx_hangup_body(const char *state, const char *command_id)
{
	return telnyx_action(cJSON_CreateObject(), state, command_id);
}

/* Whether id can go into a URL's path as it is: Telnyx's ids are "v3:"
 * and base64url. */
static int
telnyx_id_ok(const char *id)
{
	size_t n = strlen(id);

	return n > 0 && n <= OTP_CALL_ID_MAX &&
	       strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_-") == n;
}

/* The call row's step: POST /v2/calls/{call_id}/actions/{action}. */
static enum channel_outcome
telnyx_call_step(const struct config *cfg, const char *call_id, enum channel_step step,
		 const struct channel_speech *sp, const char *state, const char *command_id,
		 struct channel_result *res)
{
	static const char *const actions[] = {
	    [STEP_SPEAK] = "speak", [STEP_ASK] = "gather_using_speak", [STEP_HANG_UP] = "hangup"};
	char path[OTP_CALL_ID_MAX + 64];
	struct http_post p = {cfg->api_base_url, path, cfg->api_key, cfg->ca_file, NULL};
	struct http_answer a;
	enum http_result hr;
	char *body;

	if (!telnyx_id_ok(call_id) || (step != STEP_HANG_UP && sp == NULL)) {
		snprintf(res->reason, sizeof(res->reason), "no call to act on");
		return SEND_MISCONFIGURED;
	}
	snprintf(path, sizeof(path), "/v2/calls/%s/actions/%s", call_id, actions[step]);
	body = step == STEP_SPEAK
		   ? telnyx_speak_body(sp->words, sp->voice, sp->language, state, command_id)
	       : step == STEP_ASK ? telnyx_gather_body(sp->words, sp->again, sp->keys, sp->voice,
						       sp->language, state, command_id)
				  : telnyx_hangup_body(state, command_id);
	if (body == NULL) {
		snprintf(res->reason, sizeof(res->reason), "out of memory");
		return SEND_MISCONFIGURED;
	}
	p.body = body;
	hr = http_post_json(&p, &a);
	/* The words may hold the code. */
	explicit_bzero(body, strlen(body));
	cJSON_free(body);
	res->http_status = a.status;
	if (hr != HTTP_ANSWERED) {
		telnyx_copy(res->reason, sizeof(res->reason), a.reason);
		return hr == HTTP_UNTRIED ? SEND_MISCONFIGURED : SEND_UNSURE;
	}
	http_answer_free(&a);
	if (res->http_status >= 200 && res->http_status < 300) {
		snprintf(res->message_id, sizeof(res->message_id), "%s", call_id);
		return SEND_TAKEN;
	}
	snprintf(res->reason, sizeof(res->reason), "HTTP %ld", res->http_status);
	return res->http_status >= 400 ? SEND_REFUSED : SEND_UNSURE;
}

const struct channel telnyx_call = {
    .name = "voice",
    .way = CHANNEL_VOICE,
    .transport = TRANSPORT_TELNYX,
    .receipts = 1, /* call.initiated ... call.hangup, to webhook.cgi */
    .spend_limit = NULL,
    .send = telnyx_call_send,
    .step = telnyx_call_step,
};
