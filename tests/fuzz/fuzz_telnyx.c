/*
 * libFuzzer harness for the SMS provider's answer: telnyx_text_answer()
 * on the HTTP status and body as they come off the wire.  The input's
 * first line, when it is a number, is the status ("200\n{...}");
 * otherwise the status is 200 and the whole input is the body, which is
 * not NUL-terminated, so that ASan sees any read past its length.
 *
 * Checks what telnyx.h promises: res's strings end within their arrays
 * and hold printable ASCII only (what the caller logs and stores); the
 * outcome returned is res->outcome; TAKEN only for a 2xx status, with a
 * message_id that is data.id of the body (non-printable bytes as '?'),
 * non-empty and at most OTP_MSGID_MAX, and parts 0 to 10; any other
 * outcome leaves message_id empty and parts 0; from 400 up a refusal
 * (REFUSED, or OPTED_OUT only for 409 with error 40300, SPEND_LIMIT only
 * for 429 with 40333), below it UNSURE, never MISCONFIGURED; the status
 * is kept in res.  The same of telnyx_call_answer(), whose id is the
 * call_control_id, at most OTP_CALL_ID_MAX.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "telnyx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	stderr = fopen("/dev/null", "w"); /* fd 2 stays libFuzzer's */
	return 0;
}

/* Whether the array s (size bytes) holds a string of printable ASCII. */
static int
printable(const char *s, size_t size)
{
	const char *end = memchr(s, '\0', size);

	if (end == NULL)
		return 0;
	for (; s < end; s++)
		if (*s < 0x20 || *s > 0x7e)
			return 0;
	return 1;
}

/* The status from the first line of data, if it is one: "-1", "200". */
static long
status_of(const uint8_t *data, size_t size, size_t *skip)
{
	char line[24], *end;
	const uint8_t *nl = memchr(data, '\n', size < sizeof(line) ? size : sizeof(line));
	long status;

	*skip = 0;
	if (nl == NULL || nl == data)
		return 200;
	memcpy(line, data, (size_t)(nl - data));
	line[nl - data] = '\0';
	status = strtol(line, &end, 10);
	if (*end != '\0')
		return 200;
	*skip = (size_t)(nl - data) + 1;
	return status;
}

/* data.id of body as the harness reads it, whole, with '?' for what is
 * not printable (caller frees); "" when there is none. */
static char *
expected_id(const char *body, size_t len)
{
	cJSON *root = cJSON_ParseWithLength(body, len);
	const cJSON *id =
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "data"), "id");
	const char *v = cJSON_IsString(id) ? id->valuestring : "";
	char *out = malloc(strlen(v) + 1);
	size_t i;

	if (out == NULL)
		abort();
	for (i = 0; v[i] != '\0'; i++)
		out[i] = v[i] >= 0x20 && v[i] < 0x7f ? v[i] : '?';
	out[i] = '\0';
	cJSON_Delete(root);
	return out;
}

/* Whether outcome o is what telnyx.h says status and res's error code give. */
static int
outcome_fits(enum channel_outcome o, long status, const struct channel_result *res)
{
	switch (o) {
	case SEND_TAKEN:
		return status >= 200 && status <= 299;
	case SEND_OPTED_OUT:
		return status == 409 && !strcmp(res->error_code, "40300");
	case SEND_SPEND_LIMIT:
		return status == 429 && !strcmp(res->error_code, "40333");
	case SEND_REFUSED:
		return status >= 400 && !(status == 409 && !strcmp(res->error_code, "40300")) &&
		       !(status == 429 && !strcmp(res->error_code, "40333"));
	case SEND_UNSURE:
		return status < 400;
	default:
		return 0;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct channel_result res;
	size_t skip, len;
	char *body, *want;
	long status = status_of(data, size, &skip);
	enum channel_outcome o;

	len = size - skip;
	if ((body = malloc(len > 0 ? len : 1)) == NULL)
		abort();
	memcpy(body, data + skip, len);

	memset(&res, 0, sizeof(res)); /* as channel_send() does */
	o = telnyx_text_answer(status, body, len, &res);
	if (o != res.outcome || !outcome_fits(o, status, &res) || res.http_status != status ||
	    !printable(res.error_code, sizeof(res.error_code)) ||
	    !printable(res.message_id, sizeof(res.message_id)) ||
	    !printable(res.reason, sizeof(res.reason)) || res.parts < 0 || res.parts > 10 ||
	    res.cost_micros != 0)
		abort();
	if (o == SEND_TAKEN) {
		if (res.message_id[0] == '\0' || strlen(res.message_id) > OTP_MSGID_MAX)
			abort();
		/* All of it: an id cut short would name another message. */
		want = expected_id(body, len);
		if (strcmp(want, res.message_id) != 0)
			abort();
		free(want);
	} else if (res.message_id[0] != '\0' || res.parts != 0) {
		abort();
	}
	/* The same answer to POST /v2/calls: TAKEN only for a 2xx with a
	 * call_control_id (at most OTP_CALL_ID_MAX), REFUSED from 400 up (no
	 * outcome of its own for a call), else UNSURE. */
	memset(&res, 0, sizeof(res));
	o = telnyx_call_answer(status, body, len, &res);
	if (o != res.outcome || res.http_status != status ||
	    !printable(res.message_id, sizeof(res.message_id)) ||
	    !printable(res.reason, sizeof(res.reason)) ||
	    !printable(res.error_code, sizeof(res.error_code)) ||
	    (o == SEND_TAKEN) != (res.message_id[0] != '\0') ||
	    (o == SEND_TAKEN && (status < 200 || status > 299)) ||
	    strlen(res.message_id) > OTP_CALL_ID_MAX ||
	    (status >= 400 ? o == SEND_TAKEN || o == SEND_UNSURE
			   : o != SEND_TAKEN && o != SEND_UNSURE))
		abort();
	free(body);
	return 0;
}
