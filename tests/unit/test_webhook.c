/*
 * Telnyx's webhook signatures (lib/webhook.c), against keys this test
 * makes: a good signature passes; a bad one, one over other bytes (the
 * body or the timestamp changed, the '|' moved), one of another key, a
 * timestamp more than 300 s from now either way, missing headers and
 * malformed base64 all fail, each with its own answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "webhook.h"

struct keypair {
	EVP_PKEY *pkey;
	unsigned char pub[WEBHOOK_KEY_LEN];
	char pub_b64[64];
};

static void
keypair_new(struct keypair *k)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	size_t n = sizeof(k->pub);

	k->pkey = NULL;
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
	assert_int_equal(EVP_PKEY_keygen(ctx, &k->pkey), 1);
	EVP_PKEY_CTX_free(ctx);
	assert_int_equal(EVP_PKEY_get_raw_public_key(k->pkey, k->pub, &n), 1);
	assert_int_equal(n, WEBHOOK_KEY_LEN);
	assert_int_equal(EVP_EncodeBlock((unsigned char *)k->pub_b64, k->pub, WEBHOOK_KEY_LEN), 44);
}

/* k's signature of "ts|body", base64, into out. */
static void
sign(const struct keypair *k, const char *ts, const char *body, char out[128])
{
	unsigned char msg[4096], sig[WEBHOOK_SIG_LEN];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int n = snprintf((char *)msg, sizeof(msg), "%s|%s", ts, body);

	assert_true(n > 0 && (size_t)n < sizeof(msg));
	assert_non_null(ctx);
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey), 1);
	assert_int_equal(EVP_DigestSign(ctx, sig, &siglen, msg, (size_t)n), 1);
	EVP_MD_CTX_free(ctx);
	assert_int_equal(EVP_EncodeBlock((unsigned char *)out, sig, WEBHOOK_SIG_LEN), 88);
}

static const char BODY[] = "{\"data\":{\"event_type\":\"message.finalized\",\"id\":\"e1\"}}";

static void
test_signatures(void **state)
{
	struct keypair k, other;
	unsigned char key[WEBHOOK_KEY_LEN];
	char ts[32], sig[128], bad[128];
	const time_t now = time(NULL);

	(void)state;
	keypair_new(&k);
	keypair_new(&other);
	assert_int_equal(webhook_key_parse(k.pub_b64, key), 0);
	assert_memory_equal(key, k.pub, WEBHOOK_KEY_LEN);
	snprintf(ts, sizeof(ts), "%lld", (long long)now);
	sign(&k, ts, BODY, sig);

	assert_int_equal(webhook_verify(key, ts, sig, BODY, strlen(BODY), now), WEBHOOK_OK);
	/* Other bytes: a body one byte shorter or changed, another timestamp. */
	assert_int_equal(webhook_verify(key, ts, sig, BODY, strlen(BODY) - 1, now),
			 WEBHOOK_BAD_SIGNATURE);
	{
		char changed[sizeof(BODY)];

		memcpy(changed, BODY, sizeof(BODY));
		changed[10] ^= 1;
		assert_int_equal(webhook_verify(key, ts, sig, changed, strlen(changed), now),
				 WEBHOOK_BAD_SIGNATURE);
	}
	{
		char ts2[32];

		snprintf(ts2, sizeof(ts2), "%lld", (long long)now + 1);
		assert_int_equal(webhook_verify(key, ts2, sig, BODY, strlen(BODY), now),
				 WEBHOOK_BAD_SIGNATURE);
	}
	/* Another key's signature of the same bytes. */
	sign(&other, ts, BODY, bad);
	assert_int_equal(webhook_verify(key, ts, bad, BODY, strlen(BODY), now),
			 WEBHOOK_BAD_SIGNATURE);
	/* A bit of the signature flipped (still base64 of 64 bytes). */
	snprintf(bad, sizeof(bad), "%s", sig);
	bad[10] = bad[10] == 'A' ? 'B' : 'A';
	assert_int_equal(webhook_verify(key, ts, bad, BODY, strlen(BODY), now),
			 WEBHOOK_BAD_SIGNATURE);
	EVP_PKEY_free(k.pkey);
	EVP_PKEY_free(other.pkey);
}

static void
test_timestamps(void **state)
{
	struct keypair k;
	char ts[32], sig[128];
	const time_t now = time(NULL);
	static const long skews[] = {-301, -300, 0, 300, 301, -86400, 86400};
	size_t i;

	(void)state;
	keypair_new(&k);
	for (i = 0; i < sizeof(skews) / sizeof(skews[0]); i++) {
		enum webhook_check want =
		    skews[i] >= -WEBHOOK_MAX_SKEW && skews[i] <= WEBHOOK_MAX_SKEW ? WEBHOOK_OK
										  : WEBHOOK_STALE;

		snprintf(ts, sizeof(ts), "%lld", (long long)now + skews[i]);
		sign(&k, ts, BODY, sig);
		assert_int_equal(webhook_verify(k.pub, ts, sig, BODY, strlen(BODY), now), want);
	}
	/* Not a number of seconds: refused before any signature is looked at. */
	for (i = 0; i < 4; i++) {
		static const char *const odd[] = {"-5", "12a", " 1700000000", "1e9"};

		sign(&k, odd[i], BODY, sig);
		assert_int_equal(webhook_verify(k.pub, odd[i], sig, BODY, strlen(BODY), now),
				 WEBHOOK_STALE);
	}
	EVP_PKEY_free(k.pkey);
}

static void
test_missing_and_malformed(void **state)
{
	struct keypair k;
	unsigned char key[WEBHOOK_KEY_LEN];
	char ts[32], sig[128], bad[160];
	const time_t now = time(NULL);

	(void)state;
	keypair_new(&k);
	snprintf(ts, sizeof(ts), "%lld", (long long)now);
	sign(&k, ts, BODY, sig);
	assert_int_equal(webhook_verify(k.pub, NULL, sig, BODY, strlen(BODY), now),
			 WEBHOOK_MISSING);
	assert_int_equal(webhook_verify(k.pub, ts, NULL, BODY, strlen(BODY), now), WEBHOOK_MISSING);
	assert_int_equal(webhook_verify(k.pub, "", sig, BODY, strlen(BODY), now), WEBHOOK_MISSING);
	assert_int_equal(webhook_verify(k.pub, ts, "", BODY, strlen(BODY), now), WEBHOOK_MISSING);
	/* Not base64 of 64 bytes: too short, too long, a bad character, padding inside. */
	snprintf(bad, sizeof(bad), "%.86s", sig);
	assert_int_equal(webhook_verify(k.pub, ts, bad, BODY, strlen(BODY), now),
			 WEBHOOK_BAD_SIGNATURE);
	snprintf(bad, sizeof(bad), "%sAAAA", sig);
	assert_int_equal(webhook_verify(k.pub, ts, bad, BODY, strlen(BODY), now),
			 WEBHOOK_BAD_SIGNATURE);
	snprintf(bad, sizeof(bad), "%s", sig);
	bad[5] = '*';
	assert_int_equal(webhook_verify(k.pub, ts, bad, BODY, strlen(BODY), now),
			 WEBHOOK_BAD_SIGNATURE);
	snprintf(bad, sizeof(bad), "%s", sig);
	bad[5] = '=';
	assert_int_equal(webhook_verify(k.pub, ts, bad, BODY, strlen(BODY), now),
			 WEBHOOK_BAD_SIGNATURE);
	/* Keys: base64 of 32 bytes only. */
	assert_int_equal(webhook_key_parse("", key), -1);
	assert_int_equal(webhook_key_parse(NULL, key), -1);
	assert_int_equal(webhook_key_parse("AAAA", key), -1);
	snprintf(bad, sizeof(bad), "%.43s", k.pub_b64);
	assert_int_equal(webhook_key_parse(bad, key), -1);
	snprintf(bad, sizeof(bad), "%s=", k.pub_b64);
	assert_int_equal(webhook_key_parse(bad, key), -1);
	assert_int_equal(webhook_key_parse(k.pub_b64, key), 0);
	EVP_PKEY_free(k.pkey);
}

/* Telnyx's message.finalized, as its spec's example has it. */
static const char FINALIZED[] =
    "{\"data\":{\"event_type\":\"message.finalized\",\"id\":\"4ee8c3a6-4995-4309-a3c6-"
    "38e3db9ea4be\","
    "\"occurred_at\":\"2026-12-01T12:00:01.000+00:00\",\"record_type\":\"event\","
    "\"payload\":{\"id\":\"40317b4f-3b1b-4c6e-9c55-1b0e33f4e3a5\",\"record_type\":\"message\","
    "\"direction\":\"outbound\",\"type\":\"SMS\",\"parts\":2,"
    "\"from\":{\"phone_number\":\"+15550001111\"},"
    "\"to\":[{\"phone_number\":\"+12025550143\",\"status\":\"delivery_failed\","
    "\"carrier\":\"T-MOBILE USA, INC.\",\"line_type\":\"Wireless\"}],"
    "\"text\":\"Your token is 1A2B\",\"cost\":{\"amount\":\"0.0102\",\"currency\":\"USD\"},"
    "\"errors\":[{\"code\":\"40008\",\"title\":\"Undeliverable\"}]}},"
    "\"meta\":{\"attempt\":1,\"delivered_to\":\"https://example.com/otp/webhook.cgi\"}}";

static void
test_parse_events(void **state)
{
	struct webhook_event ev;
	char body[2048];

	(void)state;
	assert_int_equal(webhook_parse(FINALIZED, strlen(FINALIZED), &ev), 0);
	assert_string_equal(ev.id, "4ee8c3a6-4995-4309-a3c6-38e3db9ea4be");
	assert_string_equal(ev.type, "message.finalized");
	assert_string_equal(ev.message_id, "40317b4f-3b1b-4c6e-9c55-1b0e33f4e3a5");
	assert_string_equal(ev.status, "delivery_failed");
	assert_string_equal(ev.error_code, "40008");
	assert_string_equal(ev.cost, "0.0102");
	assert_string_equal(ev.currency, "USD");
	assert_int_equal(ev.parts, 2);
	assert_string_equal(ev.carrier, "T-MOBILE USA, INC.");
	assert_string_equal(ev.line_type, "Wireless");
	assert_string_equal(ev.to, "+12025550143");
	assert_string_equal(ev.from, "+15550001111");
	/* Only the bytes given: cut short, it is no JSON. */
	assert_int_equal(webhook_parse(FINALIZED, strlen(FINALIZED) - 1, &ev), -1);
	assert_string_equal(ev.id, "");
	/* An inbound text keeps its newlines. */
	snprintf(body, sizeof(body),
		 "{\"data\":{\"event_type\":\"message.received\",\"id\":\"e2\",\"payload\":"
		 "{\"id\":\"m2\",\"from\":{\"phone_number\":\"+447911123456\"},"
		 "\"to\":[{\"phone_number\":\"+15550001111\"}],\"text\":\"AB CD\\nEF\"}}}");
	assert_int_equal(webhook_parse(body, strlen(body), &ev), 0);
	assert_string_equal(ev.text, "AB CD\nEF");
	assert_string_equal(ev.from, "+447911123456");
	assert_string_equal(ev.status, "");
	/* A numeric error code, out-of-range parts, a control character in a field. */
	snprintf(body, sizeof(body),
		 "{\"data\":{\"event_type\":\"message.sent\",\"id\":\"e3\",\"payload\":"
		 "{\"id\":\"m3\\r\\nX: y\",\"parts\":1000,\"errors\":[{\"code\":40300}],"
		 "\"to\":[{\"status\":\"sent\"}]}}}");
	assert_int_equal(webhook_parse(body, strlen(body), &ev), 0);
	assert_string_equal(ev.message_id, "");
	assert_string_equal(ev.error_code, "40300");
	assert_int_equal(ev.parts, 0);
	assert_string_equal(ev.status, "sent");
}

static void
test_parse_refused(void **state)
{
	static const char *const bad[] = {
	    "",
	    "not json",
	    "[]",
	    "{}",
	    "{\"data\":{}}",
	    "{\"data\":{\"id\":\"e1\"}}",
	    "{\"data\":{\"event_type\":\"message.sent\"}}",
	    "{\"data\":{\"id\":7,\"event_type\":\"message.sent\"}}",
	};
	struct webhook_event ev;
	size_t i;
	char big[200];

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&ev, 'x', sizeof(ev));
		if (webhook_parse(bad[i], strlen(bad[i]), &ev) != -1)
			print_error("parsed: %s\n", bad[i]);
		assert_int_equal(webhook_parse(bad[i], strlen(bad[i]), &ev), -1);
		assert_string_equal(ev.id, "");
		assert_string_equal(ev.type, "");
	}
	/* An id longer than any event's: refused, not cut. */
	snprintf(big, sizeof(big), "{\"data\":{\"id\":\"%0*d\",\"event_type\":\"message.sent\"}}",
		 90, 0);
	assert_int_equal(webhook_parse(big, strlen(big), &ev), -1);
}

/* Call Control's events, as its docs show them (trimmed). */
static const char HANGUP[] =
    "{\"data\":{\"event_type\":\"call.hangup\",\"id\":\"0ccc7b54-4df3-4bca-a65a-3da1ecc777f0\","
    "\"occurred_at\":\"2018-02-02T22:25:27.521992Z\",\"payload\":{"
    "\"call_control_id\":\"v3:MdI91X4lWFEs7IgbBEOT9M4AigoY08M0WWZFISt1Yw2axZ_IiE4pqg\","
    "\"call_leg_id\":\"428c31b6-7af4-4bcb-b7f5-5013ef9657c1\",\"client_state\":"
    "\"q83vEjRWeJCrze8SNFZ4kA==\",\"connection_id\":\"7267xxxxxxxxxxxxxx\","
    "\"from\":\"+35319605860\",\"to\":\"+12025550143\",\"hangup_cause\":\"call_rejected\","
    "\"hangup_source\":\"callee\",\"sip_hangup_cause\":\"603\"},\"record_type\":\"event\"}}";

static void
test_parse_call_events(void **state)
{
	struct webhook_event ev;
	const char *status;
	char body[1024];

	(void)state;
	assert_int_equal(webhook_parse(HANGUP, sizeof(HANGUP) - 1, &ev), 0);
	assert_string_equal(ev.type, "call.hangup");
	assert_string_equal(ev.call_id,
			    "v3:MdI91X4lWFEs7IgbBEOT9M4AigoY08M0WWZFISt1Yw2axZ_IiE4pqg");
	assert_string_equal(ev.client_state, "q83vEjRWeJCrze8SNFZ4kA==");
	assert_string_equal(ev.cause, "call_rejected");
	assert_string_equal(ev.message_id, ""); /* a call's payload has no id */
	/* The machine's verdict, the digits pressed. */
	snprintf(body, sizeof(body),
		 "{\"data\":{\"event_type\":\"call.machine.detection.ended\",\"id\":\"e2\","
		 "\"payload\":{\"call_control_id\":\"v3:x\",\"client_state\":\"AAAA\","
		 "\"result\":\"machine\"}}}");
	assert_int_equal(webhook_parse(body, strlen(body), &ev), 0);
	assert_string_equal(ev.cause, "machine");
	snprintf(body, sizeof(body),
		 "{\"data\":{\"event_type\":\"call.gather.ended\",\"id\":\"e3\","
		 "\"payload\":{\"call_control_id\":\"v3:x\",\"digits\":\"1\","
		 "\"status\":\"valid\"}}}");
	assert_int_equal(webhook_parse(body, strlen(body), &ev), 0);
	assert_string_equal(ev.digits, "1");
	/* A client_state longer than ours is none of ours: left empty. */
	snprintf(body, sizeof(body),
		 "{\"data\":{\"event_type\":\"call.answered\",\"id\":\"e4\","
		 "\"payload\":{\"call_control_id\":\"v3:x\",\"client_state\":"
		 "\"q83vEjRWeJCrze8SNFZ4kA==q83vEjRWeJCrze8SNFZ4kA==\"}}}");
	assert_int_equal(webhook_parse(body, strlen(body), &ev), 0);
	assert_string_equal(ev.client_state, "");
	/* The stages of a call, forward only. */
	assert_int_equal(webhook_call_stage("call.initiated", &status), 2);
	assert_string_equal(status, "initiated");
	assert_int_equal(webhook_call_stage("call.answered", &status), 3);
	assert_int_equal(webhook_call_stage("call.machine.detection.ended", &status), 4);
	assert_int_equal(webhook_call_stage("call.speak.ended", &status), 5);
	assert_int_equal(webhook_call_stage("call.gather.ended", &status), 5);
	assert_int_equal(webhook_call_stage("call.hangup", &status), 6);
	assert_string_equal(status, "hangup");
	assert_int_equal(webhook_call_stage("call.bridged", &status), 0);
	assert_null(status);
	assert_int_equal(webhook_call_stage("message.finalized", &status), 0);
	assert_int_equal(webhook_call_stage(NULL, &status), 0);
}

static void
test_stages(void **state)
{
	(void)state;
	assert_int_equal(webhook_stage("queued"), 1);
	assert_int_equal(webhook_stage("sending"), 2);
	assert_int_equal(webhook_stage("sent"), 3);
	assert_int_equal(webhook_stage("delivered"), 4);
	assert_int_equal(webhook_stage("delivery_unconfirmed"), 4);
	assert_int_equal(webhook_stage("delivery_failed"), 4);
	assert_int_equal(webhook_stage("sending_failed"), 4);
	assert_int_equal(webhook_stage("expired"), 4);
	assert_int_equal(webhook_stage("webhook_delivered"), 0);
	assert_int_equal(webhook_stage("Delivered"), 0);
	assert_int_equal(webhook_stage(""), 0);
	assert_int_equal(webhook_stage(NULL), 0);
	assert_true(webhook_failed("delivery_failed"));
	assert_true(webhook_failed("sending_failed"));
	assert_true(webhook_failed("expired"));
	assert_false(webhook_failed("delivered"));
	assert_false(webhook_failed("delivery_unconfirmed"));
	assert_false(webhook_failed("sent"));
	assert_false(webhook_failed(""));
	assert_false(webhook_failed(NULL));
}

static void
test_micros(void **state)
{
	(void)state;
	assert_int_equal(webhook_micros("0.0051"), 5100);
	assert_int_equal(webhook_micros("0"), 0);
	assert_int_equal(webhook_micros("1"), 1000000);
	assert_int_equal(webhook_micros("12.5"), 12500000);
	assert_int_equal(webhook_micros("0.123456"), 123456);
	assert_int_equal(webhook_micros("0.1234569"), 123456); /* past the sixth: dropped */
	assert_int_equal(webhook_micros("999999.999999"), 999999999999LL);
	assert_int_equal(webhook_micros("1000000"), -1);
	assert_int_equal(webhook_micros("12345678"), -1);
	assert_int_equal(webhook_micros(""), -1);
	assert_int_equal(webhook_micros("."), -1);
	assert_int_equal(webhook_micros("1."), -1);
	assert_int_equal(webhook_micros(".5"), -1);
	assert_int_equal(webhook_micros("-1"), -1);
	assert_int_equal(webhook_micros("+1"), -1);
	assert_int_equal(webhook_micros("1e3"), -1);
	assert_int_equal(webhook_micros("1.5 "), -1);
	assert_int_equal(webhook_micros(" 1"), -1);
	assert_int_equal(webhook_micros("0x10"), -1);
	assert_int_equal(webhook_micros("1.2.3"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_signatures),
	    cmocka_unit_test(test_timestamps),
	    cmocka_unit_test(test_missing_and_malformed),
	    cmocka_unit_test(test_parse_events),
	    cmocka_unit_test(test_parse_refused),
	    cmocka_unit_test(test_parse_call_events),
	    cmocka_unit_test(test_stages),
	    cmocka_unit_test(test_micros),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
