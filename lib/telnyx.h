/*
 * Telnyx, the provider: its rows telnyx_text (a text through the Messages
 * API) and telnyx_call (a call through Call Control) are declared in
 * channel.h; here are the halves they are made of, public for the tests
 * and the fuzzer.
 */
#ifndef OTP_TELNYX_H
#define OTP_TELNYX_H

#include <stddef.h>

#include "channel.h"
#include "config.h"

/* The JSON body of POST /v2/messages sending text to to (caller frees
 * with cJSON_free()), or NULL when out of memory. */
char *telnyx_text_body(const struct config *cfg, const char *to, const char *text);

/*
 * Telnyx's answer to POST /v2/messages (its HTTP status, and the len
 * bytes of body, not NUL-terminated) into res, and the outcome the core
 * understands, also in res->outcome:
 *   2xx with data.id (at most OTP_MSGID_MAX): TAKEN, message_id, parts
 *     from data.parts (1 to 10; else 0);
 *   2xx without one, 1xx, 3xx, or not JSON below 400: UNSURE;
 *   409 with error 40300 (the number texted STOP): OPTED_OUT;
 *   429 with error 40333 (the messaging profile's daily spend limit):
 *     SPEND_LIMIT;
 *   any other status from 400 up: REFUSED.
 * http_status is status; error_code errors[0].code (a string, or a
 * number); reason its title and detail, or what was wrong with the
 * answer.  Every string printable ASCII, cut to fit.  cost_micros is
 * left for telnyx_text's send to estimate.
 */
enum channel_outcome telnyx_text_answer(long http_status, const char *body, size_t len,
					struct channel_result *res);

/*
 * The JSON body of POST /v2/calls calling to (caller frees with
 * cJSON_free()), or NULL when out of memory: connection_id
 * (VOICE_CONNECTION_ID), to, from (VOICE_FROM, else FROM_NUMBER),
 * webhook_url (WEBHOOK_URL) with webhook_url_method POST, client_state
 * (state, base64, when not NULL), answering machine detection ("detect"),
 * timeout_secs OTP_CALL_RING_S and time_limit_secs OTP_CALL_SPEAK_S
 * (VOICE_MODE=code) or OTP_CALL_CONFIRM_S (confirm).
 */
char *telnyx_call_body(const struct config *cfg, const char *to, const char *state);

/*
 * Telnyx's answer to POST /v2/calls into res, and the outcome, as
 * telnyx_text_answer() reads a message's: 2xx with
 * data.call_control_id (at most OTP_CALL_ID_MAX): TAKEN, message_id the
 * call_control_id; 2xx without one, 1xx, 3xx: UNSURE; 400 up: REFUSED
 * (no error code of Call Control is an outcome of its own yet).
 */
enum channel_outcome telnyx_call_answer(long http_status, const char *body, size_t len,
					struct channel_result *res);

/*
 * What a call is told to do once answered, as JSON bodies of Call
 * Control's actions (POST /v2/calls/{call_control_id}/actions/...; the
 * caller frees with cJSON_free(); NULL when out of memory).  Each carries
 * command_id (the event's id: Telnyx runs a command of one id once on a
 * call, so an event taken again after a failure cannot speak twice) and
 * client_state (the call's token), when not NULL.  voice and language
 * (Telnyx's "en-US") are the language file's.
 *   speak: payload said once;
 *   gather_using_speak: payload said, one digit of valid_digits awaited
 *     (10 s), three tries, invalid_payload said after a wrong one;
 *   hangup: the call ended.
 */
char *telnyx_speak_body(const char *payload, const char *voice, const char *language,
			const char *state, const char *command_id);
char *telnyx_gather_body(const char *payload, const char *invalid_payload, const char *valid_digits,
			 const char *voice, const char *language, const char *state,
			 const char *command_id);
char *telnyx_hangup_body(const char *state, const char *command_id);

#endif
