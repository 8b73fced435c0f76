/*
 * libFuzzer harness for Telnyx's webhooks: webhook_parse() on the bytes
 * as a body, and webhook_verify() with the bytes split into a timestamp,
 * a signature and a body.  Checks: every field of a parsed event is
 * terminated within its buffer and holds no control character (the text
 * but newlines and tabs); a refused body leaves the event empty; a cost
 * reads as millionths under 10^12 or -1, a status as a stage of 0 to 4;
 * a call event's type as a stage of 0 to 6 with its word; no signature
 * made of fuzz verifies against a fixed key.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webhook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_field(const char *s, size_t size, int text)
{
	const char *end = memchr(s, '\0', size);
	const char *p;

	if (end == NULL)
		abort();
	for (p = s; p < end; p++)
		if (((unsigned char)*p < 0x20 && !(text && (*p == '\n' || *p == '\t'))) ||
		    *p == 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char key[WEBHOOK_KEY_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
	struct webhook_event ev;
	char ts[16], sig[96];
	size_t n;

	if (webhook_parse((const char *)data, size, &ev) == 0) {
		if (ev.id[0] == '\0' || ev.type[0] == '\0')
			abort();
		check_field(ev.id, sizeof(ev.id), 0);
		check_field(ev.type, sizeof(ev.type), 0);
		check_field(ev.message_id, sizeof(ev.message_id), 0);
		check_field(ev.status, sizeof(ev.status), 0);
		check_field(ev.error_code, sizeof(ev.error_code), 0);
		check_field(ev.cost, sizeof(ev.cost), 0);
		check_field(ev.currency, sizeof(ev.currency), 0);
		check_field(ev.carrier, sizeof(ev.carrier), 0);
		check_field(ev.line_type, sizeof(ev.line_type), 0);
		check_field(ev.from, sizeof(ev.from), 0);
		check_field(ev.to, sizeof(ev.to), 0);
		check_field(ev.text, sizeof(ev.text), 1);
		check_field(ev.call_id, sizeof(ev.call_id), 0);
		check_field(ev.client_state, sizeof(ev.client_state), 0);
		check_field(ev.cause, sizeof(ev.cause), 0);
		check_field(ev.digits, sizeof(ev.digits), 0);
		{
			const char *status;
			int stage = webhook_call_stage(ev.type, &status);

			if (stage < 0 || stage > 6 || (stage > 0) != (status != NULL))
				abort();
		}
		if (ev.parts < 0 || ev.parts > 100)
			abort();
		{
			long long micros = webhook_micros(ev.cost);
			int stage = webhook_stage(ev.status);

			if (micros < -1 || micros >= 1000000000000LL || stage < 0 || stage > 4 ||
			    (webhook_failed(ev.status) && stage != 4))
				abort();
		}
	} else if (ev.id[0] != '\0' || ev.type[0] != '\0' || ev.text[0] != '\0') {
		abort();
	}
	/* The first bytes as a timestamp and a signature, the rest a body. */
	n = size < sizeof(ts) - 1 ? size : sizeof(ts) - 1;
	memcpy(ts, data, n);
	ts[n] = '\0';
	size -= n;
	data += n;
	n = size < sizeof(sig) - 1 ? size : sizeof(sig) - 1;
	memcpy(sig, data, n);
	sig[n] = '\0';
	if (webhook_verify(key, ts, sig, (const char *)data + n, size - n, 1700000000) ==
	    WEBHOOK_OK)
		abort();
	return 0;
}
