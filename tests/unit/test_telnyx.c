/*
 * Proves the Telnyx row of the channel table (lib/telnyx.c, over
 * lib/http.c): the JSON body (fields, the profile only when set,
 * escaping); each shape of Telnyx's answer mapped to the outcome the core
 * reads (taken with data.id and parts; opted out only for 409 with 40300;
 * the spend limit only for 429 with 40333; every other error from 400 up
 * refused; a 2xx without an id, a redirect or junk below 400 unsure), the
 * provider's words kept for the log as printable ASCII; and real requests
 * over HTTP to a small server this test forks on 127.0.0.1: the request
 * line, the bearer key and the body; 200 with the cost estimated, 401,
 * 409/40300 and 429/40333, a closed connection, a redirect not followed,
 * an oversized answer, a retry after 503, a port where nothing listens, a
 * server that never answers (given up within OTP_SMS_TOTAL_MS), and a URL
 * too long to try.  Nothing leaves 127.0.0.1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "channel.h"
#include "telnyx.h"
#include "unit.h"

#define KEY "KEY0123SECRETVALUE"

static char key[] = KEY;
static char from[] = "+15550001111";

/* A config for Telnyx at base_url (kept by reference, not copied). */
static void
telnyx_config(struct config *cfg, char *base_url)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->transport = TRANSPORT_TELNYX;
	cfg->api_key = key;
	cfg->from_number = from;
	cfg->api_base_url = base_url;
	cfg->sms_price = 50000; /* SMS_PRICE=0.05 */
	cfg->message_parts = 2;
}

static char telnyx_url[] = "https://api.telnyx.com";

/* ---- telnyx_text_body ---- */

/* The body as JSON (caller deletes), checked to be one object. */
static cJSON *
body_json(const struct config *cfg, const char *to, const char *text, char **raw)
{
	char *s = telnyx_text_body(cfg, to, text);
	cJSON *o;

	assert_non_null(s);
	o = cJSON_Parse(s);
	assert_non_null(o);
	assert_true(cJSON_IsObject(o));
	if (raw != NULL)
		*raw = s;
	else
		cJSON_free(s);
	return o;
}

static const char *
str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void
test_body_fields(void **state)
{
	struct config cfg;
	char *raw;
	cJSON *o;

	(void)state;
	telnyx_config(&cfg, telnyx_url);
	o = body_json(&cfg, "+12025550143", "Your token is 1A2B", &raw);
	assert_string_equal(str(o, "from"), "+15550001111");
	assert_string_equal(str(o, "to"), "+12025550143");
	assert_string_equal(str(o, "text"), "Your token is 1A2B");
	assert_null(cJSON_GetObjectItemCaseSensitive(o, "messaging_profile_id"));
	assert_int_equal(cJSON_GetArraySize(o), 3);
	/* The key never goes into the body. */
	assert_null(strstr(raw, KEY));
	cJSON_free(raw);
	cJSON_Delete(o);
}

static void
test_body_profile(void **state)
{
	static char profile[] = "4001767e-ce0f-4cae-9d5f-0d5e636e7809", empty[] = "",
		    short_profile[] = "prof";
	struct config cfg;
	cJSON *o;

	(void)state;
	telnyx_config(&cfg, telnyx_url);
	cfg.messaging_profile_id = profile;
	o = body_json(&cfg, "+12025550143", "t", NULL);
	assert_string_equal(str(o, "messaging_profile_id"), "4001767e-ce0f-4cae-9d5f-0d5e636e7809");
	assert_int_equal(cJSON_GetArraySize(o), 4);
	cJSON_Delete(o);
	/* Set but empty: left out. */
	cfg.messaging_profile_id = empty;
	o = body_json(&cfg, "+12025550143", "t", NULL);
	assert_null(cJSON_GetObjectItemCaseSensitive(o, "messaging_profile_id"));
	cJSON_Delete(o);
	/* A profile without a number: Telnyx picks the number, "from" is left out. */
	cfg.messaging_profile_id = short_profile;
	cfg.from_number = NULL;
	o = body_json(&cfg, "+12025550143", "t", NULL);
	assert_null(cJSON_GetObjectItemCaseSensitive(o, "from"));
	assert_string_equal(str(o, "messaging_profile_id"), "prof");
	cJSON_Delete(o);
}

static void
test_body_escaping(void **state)
{
	static const char text[] = "He said \"hi\"\nline two\\ \t</script> \xc3\xa9 {code}";
	struct config cfg;
	char *raw;
	cJSON *o;

	(void)state;
	telnyx_config(&cfg, telnyx_url);
	o = body_json(&cfg, "+12025550143", text, &raw);
	/* Round trip exact, and no raw newline or quote breaks the JSON. */
	assert_string_equal(str(o, "text"), text);
	assert_null(strchr(raw, '\n'));
	assert_null(strchr(raw, '\t'));
	assert_non_null(strstr(raw, "\\\"hi\\\""));
	assert_non_null(strstr(raw, "\\n"));
	cJSON_free(raw);
	cJSON_Delete(o);
}

/* ---- telnyx_text_answer: each answer, its outcome ---- */

/* Parse body (copied without a NUL after it, so ASan sees overreads). */
static enum channel_outcome
parse(long status, const char *body, struct channel_result *res)
{
	size_t len = strlen(body);
	char *copy = unit_exact(body, len);
	enum channel_outcome rc;

	memset(res, 0, sizeof(*res));
	rc = telnyx_text_answer(status, copy, len, res);
	assert_int_equal(res->outcome, rc);
	free(copy);
	return rc;
}

/* Telnyx's own success answer, as its reference has it (the fields the
 * Messages API documents, cost and all). */
#define SUCCESS_BODY                                                                               \
	"{\"data\":{\"record_type\":\"message\",\"direction\":\"outbound\","                       \
	"\"id\":\"40385f64-5717-4562-b3fc-2c963f66afa6\",\"type\":\"SMS\","                        \
	"\"messaging_profile_id\":\"4001767e-ce0f-4cae-9d5f-0d5e636e7809\","                       \
	"\"from\":{\"phone_number\":\"+15550001111\",\"carrier\":\"Telnyx\","                      \
	"\"line_type\":\"VoIP\"},"                                                                 \
	"\"to\":[{\"phone_number\":\"+12025550143\",\"status\":\"queued\","                        \
	"\"carrier\":\"T-Mobile USA\",\"line_type\":\"Wireless\"}],"                               \
	"\"text\":\"Your token is 1A2B\",\"media\":[],\"webhook_url\":null,"                       \
	"\"encoding\":\"GSM-7\",\"parts\":2,\"tags\":[],"                                          \
	"\"cost\":{\"amount\":\"0.0051\",\"currency\":\"USD\"},"                                   \
	"\"received_at\":\"2026-07-01T12:00:00.000+00:00\",\"errors\":[]}}"

static void
test_answer_success(void **state)
{
	struct channel_result res;

	(void)state;
	assert_int_equal(parse(200, SUCCESS_BODY, &res), SEND_TAKEN);
	assert_string_equal(res.message_id, "40385f64-5717-4562-b3fc-2c963f66afa6");
	assert_int_equal(res.parts, 2);
	assert_int_equal(res.http_status, 200);
	assert_string_equal(res.error_code, "");
	/* The estimate is the send's to make, from SMS_PRICE. */
	assert_int_equal(res.cost_micros, 0);
	/* Any 2xx is a success; parts only as Telnyx can count them (1 to 10). */
	assert_int_equal(parse(202, "{\"data\":{\"id\":\"a\",\"parts\":1}}", &res), SEND_TAKEN);
	assert_int_equal(res.parts, 1);
	assert_int_equal(parse(200, "{\"data\":{\"id\":\"a\",\"parts\":11}}", &res), SEND_TAKEN);
	assert_int_equal(res.parts, 0);
	assert_int_equal(parse(200, "{\"data\":{\"id\":\"a\",\"parts\":\"2\"}}", &res), SEND_TAKEN);
	assert_int_equal(res.parts, 0);
	assert_int_equal(parse(200, "{\"data\":{\"id\":\"a\",\"parts\":1e300}}", &res), SEND_TAKEN);
	assert_int_equal(res.parts, 0);
	assert_int_equal(parse(200, "{\"data\":{\"id\":\"a\",\"parts\":-1}}", &res), SEND_TAKEN);
	assert_int_equal(res.parts, 0);
}

/* A 2xx that names no message may still have sent one: unsure, not refused. */
static void
test_answer_success_without_id(void **state)
{
	static const char *const bad[] = {
	    "{\"data\":{}}",
	    "{\"data\":{\"id\":\"\"}}",
	    "{\"data\":{\"id\":42}}",
	    "{\"data\":{\"id\":null}}",
	    "{\"data\":\"x\"}",
	    "{}",
	    "[]",
	    "{\"id\":\"top-level\"}",
	    "{\"data\":{\"record_type\":\"message\",\"errors\":[]}}", /* the fake's 'nodata' */
	    "{\"data\":{\"id\":\"12345678901234567890123456789012345678901234567890"
	    "123456789012345\"}}",
	};
	struct channel_result res;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(200, bad[i], &res), SEND_UNSURE);
		assert_string_equal(res.message_id, "");
		assert_string_equal(res.reason, "answer has no data.id");
	}
}

/*
 * Every error of Telnyx's reference (telnyx-messages-api.md, its OpenAPI
 * spec's examples and error pages), with the outcome it is: two of them
 * an outcome of their own, every other a refusal (nothing sent, nothing
 * billed), whatever its code.
 */
static void
test_answer_errors_of_the_reference(void **state)
{
	static const struct {
		long status;
		const char *code, *title;
		enum channel_outcome want;
	} errs[] = {
	    {401, "10009", "Authentication failed", SEND_REFUSED},
	    {403, "10010", "Authorization failed", SEND_REFUSED},
	    {403, "10010", "Not authorized", SEND_REFUSED},
	    {429, "10011", "Too many requests", SEND_REFUSED},
	    {400, "40310", "Invalid 'to' address", SEND_REFUSED},
	    {400, "10002", "Invalid phone number", SEND_REFUSED},
	    {422, "10016", "Phone number must be in +E164 format", SEND_REFUSED},
	    {422, "10004", "Missing required parameter", SEND_REFUSED},
	    {400, "10015", "Bad Request", SEND_REFUSED},
	    {400, "10028", "Character encoding error", SEND_REFUSED},
	    {404, "10005", "Resource not found", SEND_REFUSED},
	    {500, "10007", "Unexpected error", SEND_REFUSED},
	    {503, "10007", "Unexpected error", SEND_REFUSED},
	    {400, "40302", "Message too long", SEND_REFUSED},
	    {400, "40305", "Invalid 'from' address", SEND_REFUSED},
	    {409, "40300", "Blocked due to STOP message", SEND_OPTED_OUT},
	    {429, "40333", "Spend limit reached", SEND_SPEND_LIMIT},
	    /* The code alone, or the status alone, is not the outcome. */
	    {400, "40300", "Blocked due to STOP message", SEND_REFUSED},
	    {409, "10015", "Conflict", SEND_REFUSED},
	    {409, "403000", "Blocked", SEND_REFUSED},
	    {403, "40333", "Spend limit reached", SEND_REFUSED},
	    {429, "4033", "Spend", SEND_REFUSED},
	};
	struct channel_result res;
	char body[512], code[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		snprintf(body, sizeof(body),
			 "{\"errors\":[{\"code\":\"%s\",\"title\":\"%s\",\"detail\":\"d\","
			 "\"source\":{\"pointer\":\"/to\"},\"meta\":{\"url\":\"https://"
			 "developers.telnyx.com/docs/overview/errors/%s\"}}]}",
			 errs[i].code, errs[i].title, errs[i].code);
		assert_int_equal(parse(errs[i].status, body, &res), errs[i].want);
		assert_int_equal(res.http_status, errs[i].status);
		assert_string_equal(res.error_code, errs[i].code);
		snprintf(body, sizeof(body), "%s: d", errs[i].title);
		assert_string_equal(res.reason, body);
		assert_string_equal(res.message_id, "");
		/* The same as a number, as some answers have it. */
		snprintf(body, sizeof(body), "{\"errors\":[{\"code\":%s,\"title\":\"t\"}]}",
			 errs[i].code);
		snprintf(code, sizeof(code), "%s", errs[i].code);
		assert_int_equal(parse(errs[i].status, body, &res), errs[i].want);
		assert_string_equal(res.error_code, code);
	}
}

static void
test_answer_errors(void **state)
{
	struct channel_result res;

	(void)state;
	assert_int_equal(parse(401,
			       "{\"errors\":[{\"code\":\"10009\",\"title\":\"Authentication "
			       "failed\",\"detail\":\"The API key looks malformed.\"}]}",
			       &res),
			 SEND_REFUSED);
	assert_int_equal(res.http_status, 401);
	assert_string_equal(res.error_code, "10009");
	/* The detail too, for the log (issue 10). */
	assert_string_equal(res.reason, "Authentication failed: The API key looks malformed.");
	assert_string_equal(res.message_id, "");
	/* Control characters in it never reach the log line as they are. */
	assert_int_equal(parse(400,
			       "{\"errors\":[{\"code\":\"40310\",\"title\":\"Invalid\","
			       "\"detail\":\"to\\r\\nX-Injected: 1\"}]}",
			       &res),
			 SEND_REFUSED);
	assert_string_equal(res.reason, "Invalid: to??X-Injected: 1");
	/* A detail too long for the reason is cut, the title kept. */
	{
		char body[1200];

		snprintf(body, sizeof(body),
			 "{\"errors\":[{\"code\":\"1\",\"title\":\"T\",\"detail\":\"%0*d\"}]}",
			 1000, 0);
		assert_int_equal(parse(400, body, &res), SEND_REFUSED);
		assert_int_equal(strncmp(res.reason, "T: 000", 6), 0);
		assert_int_equal(strlen(res.reason), sizeof(res.reason) - 1);
	}

	/* A numeric code, as some answers have it. */
	assert_int_equal(
	    parse(422, "{\"errors\":[{\"code\":40310,\"title\":\"Invalid 'to' address\"}]}", &res),
	    SEND_REFUSED);
	assert_int_equal(res.http_status, 422);
	assert_string_equal(res.error_code, "40310");
	assert_string_equal(res.reason, "Invalid 'to' address");
	/* 40300 as a number is still the opt-out. */
	assert_int_equal(parse(409, "{\"errors\":[{\"code\":40300}]}", &res), SEND_OPTED_OUT);

	/* No title: the status says it. */
	assert_int_equal(parse(500, "{\"errors\":[{\"code\":\"10007\"}]}", &res), SEND_REFUSED);
	assert_string_equal(res.error_code, "10007");
	assert_string_equal(res.reason, "HTTP 500");
	/* No errors at all. */
	assert_int_equal(parse(503, "{}", &res), SEND_REFUSED);
	assert_string_equal(res.error_code, "");
	assert_string_equal(res.reason, "HTTP 503");
	/* Even with a data.id, an error status is an error. */
	assert_int_equal(parse(400, "{\"data\":{\"id\":\"x\"}}", &res), SEND_REFUSED);
	assert_string_equal(res.message_id, "");
	/* A body that is not JSON from 400 up: refused all the same. */
	assert_int_equal(parse(502, "<html><body>502 Bad Gateway</body></html>", &res),
			 SEND_REFUSED);
	assert_string_equal(res.reason, "answer is not JSON");
	assert_int_equal(res.http_status, 502);
	assert_int_equal(parse(409, "", &res), SEND_REFUSED);
	/* Below 400 and not 2xx (a redirect is not followed): unsure. */
	assert_int_equal(parse(302, "", &res), SEND_UNSURE);
	assert_int_equal(parse(307, "{\"errors\":[{\"code\":\"40300\"}]}", &res), SEND_UNSURE);
	assert_string_equal(res.reason, "HTTP 307");
	assert_int_equal(parse(100, "{}", &res), SEND_UNSURE);
}

static void
test_answer_hostile(void **state)
{
	struct channel_result res;
	char body[1024];
	size_t i;

	(void)state;
	/* Control characters from the provider do not reach the log. */
	assert_int_equal(parse(401,
			       "{\"errors\":[{\"code\":\"10\\n09\",\"title\":\"a\\r\\nb\\u001bc"
			       "\"}]}",
			       &res),
			 SEND_REFUSED);
	assert_string_equal(res.error_code, "10?09");
	for (i = 0; res.reason[i] != '\0'; i++)
		assert_true(res.reason[i] >= 0x20 && res.reason[i] < 0x7f);
	/* Nor into a message id. */
	assert_int_equal(parse(200, "{\"data\":{\"id\":\"ab\\u0007\\ncd\"}}", &res), SEND_TAKEN);
	assert_string_equal(res.message_id, "ab??cd");
	/* Long strings are cut, and terminated. */
	snprintf(body, sizeof(body), "{\"errors\":[{\"code\":\"%0200d\",\"title\":\"%0500d\"}]}", 0,
		 0);
	assert_int_equal(parse(400, body, &res), SEND_REFUSED);
	assert_int_equal(strlen(res.error_code), sizeof(res.error_code) - 1);
	assert_int_equal(strlen(res.reason), sizeof(res.reason) - 1);
	/* A code cut to fit is not 40300 by accident. */
	snprintf(body, sizeof(body), "{\"errors\":[{\"code\":\"40300%0100d\"}]}", 0);
	assert_int_equal(parse(409, body, &res), SEND_REFUSED);
}

static void
test_answer_junk(void **state)
{
	static const char *const junk[] = {
	    "", "<html><body>502 Bad Gateway</body></html>", "{\"data\":", "null", "\"40385f64\"",
	};
	struct channel_result res;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		assert_int_equal(parse(200, junk[i], &res), SEND_UNSURE);
		assert_string_equal(res.message_id, "");
		assert_string_not_equal(res.reason, "");
	}
	assert_int_equal(parse(200, "", &res), SEND_UNSURE);
	assert_string_equal(res.reason, "answer is not JSON");
	/* The length is what counts, not a NUL. */
	memset(&res, 0, sizeof(res));
	assert_int_equal(telnyx_text_answer(200, "{\"data\":{\"id\":\"abc\"}}XYZ", 23, &res),
			 SEND_TAKEN);
	assert_string_equal(res.message_id, "abc");
}

/* ---- Telnyx over HTTP, against a server forked on 127.0.0.1 ---- */

/* ---- telnyx_call_body, telnyx_call_answer ---- */

static char connection[] = "1494404757140276705";
static char webhook[] = "https://example.com/cgi-bin/webhook.cgi";
static char voice_from[] = "+15550003333";
#define CALL_STATE "q83vEjRWeJCrze8SNFZ4kA==" /* 16 random bytes, base64 */

/* telnyx_config() with what calls need. */
static void
voice_config(struct config *cfg, char *base_url)
{
	telnyx_config(cfg, base_url);
	cfg->channels = CHANNEL_SMS | CHANNEL_VOICE;
	cfg->voice_connection_id = connection;
	cfg->webhook_url = webhook;
	cfg->voice_price = 100000; /* VOICE_PRICE=0.10 */
}

/*
 * s (freed here) must be, to the byte, the file path (its last newline
 * aside): tests/cgi/test_voice_spec.py checks those files against
 * Telnyx's schemas of their paths, so what is sent is what was checked.
 */
static void
assert_pinned(char *s, const char *path)
{
	size_t len = 0;
	char *want = unit_read_file(path, &len);

	while (len > 0 && want[len - 1] == '\n')
		want[--len] = '\0';
	assert_non_null(s);
	if (strcmp(s, want) != 0)
		print_error("%s is now:\n%s\n", path, s);
	assert_string_equal(s, want);
	/* The key never goes into a body. */
	assert_null(strstr(s, KEY));
	cJSON_free(s);
	free(want);
}

#define EVENT_ID "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0" /* the answered event's data.id */

static void
test_call_body_is_the_checked_one(void **state)
{
	struct config cfg;

	(void)state;
	voice_config(&cfg, telnyx_url);
	assert_pinned(telnyx_call_body(&cfg, "+12025550143", CALL_STATE),
		      "tests/data/telnyx-call-body.json");
	/* The actions on the call, as webhook.cgi will post them. */
	assert_pinned(telnyx_speak_body("Your code is: 4. 8. 1. 5. 2. 9. Again: 4. 8. 1. 5. 2. 9.",
					"female", "en-US", CALL_STATE, EVENT_ID),
		      "tests/data/telnyx-speak-body.json");
	assert_pinned(telnyx_gather_body("To confirm, press 1.", "Press 1.", "1", "female", "fr-FR",
					 CALL_STATE, EVENT_ID),
		      "tests/data/telnyx-gather-body.json");
	assert_pinned(telnyx_hangup_body(CALL_STATE, EVENT_ID),
		      "tests/data/telnyx-hangup-body.json");
}

static void
test_call_body_fields(void **state)
{
	struct config cfg;
	const cJSON *n;
	char *s;
	cJSON *o;

	(void)state;
	voice_config(&cfg, telnyx_url);
	cfg.voice_from = voice_from;
	cfg.voice_mode = VOICE_CONFIRM;
	s = telnyx_call_body(&cfg, "+442079460958", NULL);
	assert_non_null(s);
	o = cJSON_Parse(s);
	assert_non_null(o);
	/* VOICE_FROM before FROM_NUMBER; no client_state without a state. */
	assert_string_equal(str(o, "from"), "+15550003333");
	assert_string_equal(str(o, "to"), "+442079460958");
	assert_string_equal(str(o, "connection_id"), connection);
	assert_string_equal(str(o, "answering_machine_detection"), "detect");
	assert_null(cJSON_GetObjectItemCaseSensitive(o, "client_state"));
	/* The line is held no longer than three tries at pressing 1. */
	n = cJSON_GetObjectItemCaseSensitive(o, "time_limit_secs");
	assert_true(cJSON_IsNumber(n));
	assert_int_equal(n->valueint, OTP_CALL_CONFIRM_S);
	_Static_assert(OTP_CALL_SPEAK_S >= 30 && OTP_CALL_CONFIRM_S <= 14400,
		       "time_limit_secs is 30 to 14400 (the spec)");
	cJSON_Delete(o);
	cJSON_free(s);
}

static enum channel_outcome
call_answer(long status, const char *body, struct channel_result *res)
{
	memset(res, 0, sizeof(*res));
	return telnyx_call_answer(status, body, strlen(body), res);
}

#define CALL_ID "v3:MdI91X4lWFEs7IgbBEOT9M4AigoY08M0WWZFISt1Yw2axZ_IiE4pqg"

static void
test_call_answer(void **state)
{
	struct channel_result res;
	char long_id[OTP_CALL_ID_MAX + 40];

	(void)state;
	assert_int_equal(call_answer(200,
				     "{\"data\":{\"call_control_id\":\"" CALL_ID
				     "\",\"call_leg_id\":\"2dc6fc34\",\"is_alive\":false,"
				     "\"record_type\":\"call\",\"client_state\":\"" CALL_STATE
				     "\"}}",
				     &res),
			 SEND_TAKEN);
	assert_string_equal(res.message_id, CALL_ID);
	assert_int_equal(res.http_status, 200);
	/* Without an id it may ring all the same. */
	assert_int_equal(call_answer(200, "{\"data\":{\"record_type\":\"call\"}}", &res),
			 SEND_UNSURE);
	assert_string_equal(res.message_id, "");
	assert_int_equal(call_answer(200, "{\"data\":{\"call_control_id\":\"\"}}", &res),
			 SEND_UNSURE);
	memset(long_id, 'a', sizeof(long_id));
	memcpy(long_id, "{\"data\":{\"call_control_id\":\"", 29);
	memcpy(long_id + sizeof(long_id) - 5, "\"}}", 4);
	long_id[sizeof(long_id) - 1] = '\0';
	assert_int_equal(call_answer(200, long_id, &res), SEND_UNSURE);
	assert_int_equal(call_answer(200, "not json", &res), SEND_UNSURE);
	/* Refused: nothing rings, nothing is billed. */
	assert_int_equal(
	    call_answer(422,
			"{\"errors\":[{\"code\":\"90015\",\"title\":\"Invalid connection\","
			"\"detail\":\"The connection_id is invalid.\"}]}",
			&res),
	    SEND_REFUSED);
	assert_string_equal(res.error_code, "90015");
	assert_string_equal(res.reason, "Invalid connection: The connection_id is invalid.");
	assert_int_equal(call_answer(503, "<html>", &res), SEND_REFUSED);
}

#define HANG "hang" /* an answer that is no answer: read, then wait */

struct server {
	pid_t pid;
	int port;
	int requests; /* read end of a pipe: each request, length-prefixed */
};

/* Read one HTTP request (head and Content-Length body) from fd into buf. */
static size_t
server_read(int fd, char *buf, size_t size)
{
	size_t len = 0, want = 0;
	char *head_end = NULL;
	ssize_t n;

	while (len < size - 1) {
		n = recv(fd, buf + len, size - 1 - len, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (head_end == NULL && (head_end = strstr(buf, "\r\n\r\n")) != NULL) {
			const char *cl = strcasestr(buf, "\r\nContent-Length:");

			want = (size_t)(head_end - buf) + 4 +
			       (cl != NULL ? strtoul(cl + 17, NULL, 10) : 0);
		}
		if (head_end != NULL && len >= want)
			break;
	}
	buf[len] = '\0';
	return len;
}

/* The server's life: answer connection i with answers[i], then exit. */
static void
server_run(int lfd, int out, const char *const *answers, int n)
{
	static char buf[65536];
	int i;

	for (i = 0; i < n; i++) {
		int fd = accept(lfd, NULL, NULL);
		size_t len;

		if (fd < 0)
			_exit(1);
		len = server_read(fd, buf, sizeof(buf));
		if (write(out, &len, sizeof(len)) != sizeof(len) ||
		    write(out, buf, len) != (ssize_t)len)
			_exit(1);
		if (answers[i] != NULL && !strcmp(answers[i], HANG)) {
			sleep(60);
			_exit(0);
		}
		if (answers[i] != NULL)
			send(fd, answers[i], strlen(answers[i]), MSG_NOSIGNAL);
		close(fd);
	}
	/* More connections than expected stay unanswered in the backlog. */
	sleep(60);
	_exit(0);
}

static void
server_start(struct server *s, const char *const *answers, int n)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int lfd, p[2], one = 1;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = 0;
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 8), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pipe(p), 0);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		close(p[0]);
		server_run(lfd, p[1], answers, n);
	}
	close(lfd);
	close(p[1]);
	s->requests = p[0];
}

/* Stop the server; returns how many requests it got, the first in buf. */
static int
server_stop(struct server *s, char *buf, size_t size)
{
	size_t len;
	int n = 0, status;

	kill(s->pid, SIGTERM);
	waitpid(s->pid, &status, 0);
	buf[0] = '\0';
	while (read(s->requests, &len, sizeof(len)) == sizeof(len)) {
		char *req = malloc(len + 1);

		assert_non_null(req);
		assert_int_equal(read(s->requests, req, len), (ssize_t)len);
		req[len] = '\0';
		if (n++ == 0)
			snprintf(buf, size, "%s", req);
		free(req);
	}
	close(s->requests);
	return n;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The Telnyx row's send to a server answering answers[0..n-1]; the first
 * request in req. */
static enum channel_outcome
send_to(const char *const *answers, int n, struct channel_result *res, char *req, size_t size,
	int *requests, long *ms)
{
	struct server s;
	struct config cfg;
	char url[64];
	long t0;
	enum channel_outcome rc;

	server_start(&s, answers, n);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", s.port);
	telnyx_config(&cfg, url);
	t0 = now_ms();
	rc = channel_send(&telnyx_text, &cfg, "+12025550143", "Your token is 1A2B", NULL, res);
	if (ms != NULL)
		*ms = now_ms() - t0;
	*requests = server_stop(&s, req, size);
	return rc;
}

/* An HTTP answer with status line status and body, in a buffer of its own. */
static const char *
answer(char *buf, size_t size, const char *status, const char *body)
{
	size_t n = (size_t)snprintf(buf, size,
				    "HTTP/1.1 %s\r\nContent-Type: application/json\r\n"
				    "Connection: close\r\nContent-Length: %zu\r\n\r\n%s",
				    status, strlen(body), body);

	assert_true(n < size);
	return buf;
}

#define MSG_ID "40385f64-5717-4562-b3fc-2c963f66afa6"

static const char *
ok_200(void)
{
	static char buf[512];

	return answer(buf, sizeof(buf), "200 OK",
		      "{\"data\":{\"record_type\":\"message\",\"id\":\"" MSG_ID "\"}}");
}

static void
test_http_success(void **state)
{
	const char *answers[] = {ok_200()};
	struct channel_result res;
	char req[8192], *body;
	int n;
	cJSON *o;

	(void)state;
	assert_int_equal(send_to(answers, 1, &res, req, sizeof(req), &n, NULL), SEND_TAKEN);
	assert_int_equal(n, 1);
	assert_int_equal(res.http_status, 200);
	assert_string_equal(res.message_id, MSG_ID);
	/* No parts in the answer: the config's count of them, at SMS_PRICE. */
	assert_int_equal(res.cost_micros, 2 * 50000);
	/* The request as DESIGN.md section 4 has it. */
	assert_memory_equal(req, "POST /v2/messages HTTP/1.1\r\n", 28);
	assert_non_null(strstr(req, "\r\nAuthorization: Bearer " KEY "\r\n"));
	assert_non_null(strcasestr(req, "\r\nContent-Type: application/json\r\n"));
	assert_non_null(strstr(req, "\r\nHost: 127.0.0.1:"));
	body = strstr(req, "\r\n\r\n");
	assert_non_null(body);
	o = cJSON_Parse(body + 4);
	assert_non_null(o);
	assert_string_equal(str(o, "from"), "+15550001111");
	assert_string_equal(str(o, "to"), "+12025550143");
	assert_string_equal(str(o, "text"), "Your token is 1A2B");
	cJSON_Delete(o);
}

/* The call row through http.c: POST /v2/calls, the id, VOICE_PRICE. */
static void
test_http_call(void **state)
{
	static char buf[512];
	const char *answers[] = {
	    answer(buf, sizeof(buf), "200 OK",
		   "{\"data\":{\"record_type\":\"call\",\"call_control_id\":\"" CALL_ID
		   "\",\"is_alive\":false}}")};
	struct channel_result res;
	struct server s;
	struct config cfg;
	char url[64], req[8192], *body;
	cJSON *o;

	(void)state;
	server_start(&s, answers, 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", s.port);
	voice_config(&cfg, url);
	assert_ptr_equal(channel_for(&cfg, CHANNEL_VOICE), &telnyx_call);
	assert_int_equal(channel_send(&telnyx_call, &cfg, "+12025550143", NULL, CALL_STATE, &res),
			 SEND_TAKEN);
	assert_int_equal(server_stop(&s, req, sizeof(req)), 1);
	assert_string_equal(res.message_id, CALL_ID);
	assert_int_equal(res.cost_micros, 100000);
	assert_memory_equal(req, "POST /v2/calls HTTP/1.1\r\n", 25);
	assert_non_null(strstr(req, "\r\nAuthorization: Bearer " KEY "\r\n"));
	body = strstr(req, "\r\n\r\n");
	assert_non_null(body);
	o = cJSON_Parse(body + 4);
	assert_non_null(o);
	assert_string_equal(str(o, "client_state"), CALL_STATE);
	assert_string_equal(str(o, "webhook_url"), webhook);
	cJSON_Delete(o);
	/* Not offered: no row. */
	cfg.channels = CHANNEL_SMS;
	assert_null(channel_for(&cfg, CHANNEL_VOICE));
}

/* A call's step: POST /v2/calls/{id}/actions/..., the words and the token in it. */
static void
test_http_call_step(void **state)
{
	static char ok[256], bad[512];
	const char *answers[] = {
	    answer(ok, sizeof(ok), "200 OK", "{\"data\":{\"result\":\"ok\"}}"),
	    answer(bad, sizeof(bad), "422 Unprocessable Entity",
		   "{\"errors\":[{\"code\":\"90018\",\"title\":\"Call has already "
		   "ended\"}]}")};
	const struct channel_speech sp = {"Your code is: 4, 8.", NULL, "1", "female", "en-US"};
	struct channel_result res;
	struct server s;
	struct config cfg;
	char url[64], req[8192], *body;
	cJSON *o;

	(void)state;
	server_start(&s, answers, 2);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", s.port);
	voice_config(&cfg, url);
	assert_int_equal(
	    channel_step(&telnyx_call, &cfg, CALL_ID, STEP_SPEAK, &sp, CALL_STATE, EVENT_ID, &res),
	    SEND_TAKEN);
	assert_int_equal(
	    channel_step(&telnyx_call, &cfg, CALL_ID, STEP_HANG_UP, NULL, CALL_STATE, "e2", &res),
	    SEND_REFUSED);
	assert_int_equal(res.http_status, 422);
	assert_int_equal(server_stop(&s, req, sizeof(req)), 2);
	assert_non_null(strstr(req, "POST /v2/calls/" CALL_ID "/actions/speak HTTP/1.1\r\n"));
	body = strstr(req, "\r\n\r\n");
	assert_non_null(body);
	o = cJSON_Parse(body + 4);
	assert_non_null(o);
	assert_string_equal(str(o, "payload"), "Your code is: 4, 8.");
	assert_string_equal(str(o, "command_id"), EVENT_ID);
	cJSON_Delete(o);
	/* An id that cannot go into a path as it is: nothing is sent. */
	assert_int_equal(channel_step(&telnyx_call, &cfg, "v3:a/../b", STEP_HANG_UP, NULL,
				      CALL_STATE, "e3", &res),
			 SEND_MISCONFIGURED);
	assert_int_equal(
	    channel_step(&telnyx_call, &cfg, "", STEP_HANG_UP, NULL, CALL_STATE, "e3", &res),
	    SEND_MISCONFIGURED);
	assert_int_equal(
	    channel_step(&telnyx_call, &cfg, CALL_ID, STEP_SPEAK, NULL, CALL_STATE, "e3", &res),
	    SEND_MISCONFIGURED);
}

static void
test_http_401(void **state)
{
	char buf[512];
	const char *answers[] = {
	    answer(buf, sizeof(buf), "401 Unauthorized",
		   "{\"errors\":[{\"code\":\"10009\",\"title\":\"Authentication failed\","
		   "\"detail\":\"Could not authenticate\"}]}")};
	struct channel_result res;
	char req[8192];
	int n;

	(void)state;
	assert_int_equal(send_to(answers, 1, &res, req, sizeof(req), &n, NULL), SEND_REFUSED);
	/* Not tried again: the key will not get better. */
	assert_int_equal(n, 1);
	assert_int_equal(res.http_status, 401);
	assert_string_equal(res.error_code, "10009");
	assert_string_equal(res.reason, "Authentication failed: Could not authenticate");
	assert_string_equal(res.message_id, "");
}

static void
test_http_cost_of_the_parts(void **state)
{
	char buf[2048];
	const char *answers[] = {answer(buf, sizeof(buf), "200 OK", SUCCESS_BODY)};
	struct channel_result res;
	char req[8192];
	int n;

	(void)state;
	/* The parts Telnyx counted (2), at SMS_PRICE (0.05) each. */
	assert_int_equal(send_to(answers, 1, &res, req, sizeof(req), &n, NULL), SEND_TAKEN);
	assert_int_equal(res.parts, 2);
	assert_int_equal(res.cost_micros, 2 * 50000);
	assert_string_equal(res.message_id, MSG_ID);
}

static void
test_http_opted_out(void **state)
{
	char buf[512];
	const char *answers[] = {
	    answer(buf, sizeof(buf), "409 Conflict",
		   "{\"errors\":[{\"code\":\"40300\",\"title\":\"Blocked due to STOP message\","
		   "\"detail\":\"It must text START.\"}]}")};
	struct channel_result res;
	char req[8192];
	int n;

	(void)state;
	assert_int_equal(send_to(answers, 1, &res, req, sizeof(req), &n, NULL), SEND_OPTED_OUT);
	/* Not tried again: the number will not opt back in by itself. */
	assert_int_equal(n, 1);
	assert_int_equal(res.http_status, 409);
	assert_string_equal(res.error_code, "40300");
	assert_string_equal(res.message_id, "");
}

static void
test_http_spend_limit(void **state)
{
	char buf[512], buf2[512];
	const char *answers[] = {
	    answer(buf, sizeof(buf), "429 Too Many Requests",
		   "{\"errors\":[{\"code\":\"40333\",\"title\":\"Spend limit reached\"}]}"),
	    answer(buf2, sizeof(buf2), "429 Too Many Requests",
		   "{\"errors\":[{\"code\":\"40333\",\"title\":\"Spend limit reached\"}]}")};
	struct channel_result res;
	char req[8192];
	int n;

	(void)state;
	/* A 429 was surely not taken: tried once more, as any 429 is. */
	assert_int_equal(send_to(answers, 2, &res, req, sizeof(req), &n, NULL), SEND_SPEND_LIMIT);
	assert_int_equal(n, 2);
	assert_int_equal(res.http_status, 429);
	assert_string_equal(res.error_code, "40333");
}

static void
test_http_closed(void **state)
{
	const char *answers[] = {NULL};
	struct channel_result res;
	char req[8192];
	int n;

	(void)state;
	assert_int_equal(send_to(answers, 1, &res, req, sizeof(req), &n, NULL), SEND_UNSURE);
	/* The request went out, so it may have been sent: no second try. */
	assert_int_equal(n, 1);
	assert_int_equal(res.http_status, 0);
	assert_string_not_equal(res.reason, "");
	assert_string_equal(res.message_id, "");
}

static void
test_http_no_redirect(void **state)
{
	const char *answers[] = {"HTTP/1.1 302 Found\r\nLocation: /v2/elsewhere\r\n"
				 "Connection: close\r\nContent-Length: 0\r\n\r\n",
				 ok_200()};
	struct channel_result res;
	char req[8192];
	int n;

	(void)state;
	assert_int_equal(send_to(answers, 2, &res, req, sizeof(req), &n, NULL), SEND_UNSURE);
	assert_int_equal(n, 1);
	assert_int_equal(res.http_status, 302);
	assert_string_equal(res.message_id, "");
}

static void
test_http_retry_after_503(void **state)
{
	char buf[512];
	const char *answers[] = {answer(buf, sizeof(buf), "503 Service Unavailable", "{}"),
				 ok_200()};
	struct channel_result res;
	char req[8192];
	int n;

	(void)state;
	/* 503 (and 429) mean the message was not taken: one more try. */
	assert_int_equal(send_to(answers, 2, &res, req, sizeof(req), &n, NULL), SEND_TAKEN);
	assert_int_equal(n, 2);
	assert_string_equal(res.message_id, MSG_ID);
}

static void
test_http_too_large(void **state)
{
	static char big[OTP_SMS_REPLY_MAX + 4096];
	const char *answers[] = {big};
	struct channel_result res;
	char req[8192];
	size_t head;
	int n;

	(void)state;
	head = (size_t)snprintf(
	    big, sizeof(big), "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: %d\r\n\r\n",
	    OTP_SMS_REPLY_MAX + 1);
	memset(big + head, ' ', OTP_SMS_REPLY_MAX + 1);
	big[head + OTP_SMS_REPLY_MAX + 1] = '\0';
	assert_int_equal(send_to(answers, 1, &res, req, sizeof(req), &n, NULL), SEND_UNSURE);
	assert_string_equal(res.reason, "answer too large");
}

static void
test_http_nothing_listening(void **state)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	struct channel_result res;
	struct config cfg;
	char url[64];
	long t0, ms;
	int fd;

	(void)state;
	/* A port that was free a moment ago. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(a.sin_port));
	telnyx_config(&cfg, url);
	t0 = now_ms();
	/* Surely not sent, but counted as a send that may have been, as ever. */
	assert_int_equal(channel_send(&telnyx_text, &cfg, "+12025550143", "x", NULL, &res),
			 SEND_UNSURE);
	ms = now_ms() - t0;
	assert_int_equal(res.http_status, 0);
	assert_string_not_equal(res.reason, "");
	assert_true(ms < OTP_SMS_TOTAL_MS);
}

static void
test_http_timeout(void **state)
{
	const char *answers[] = {HANG};
	struct channel_result res;
	char req[8192];
	long ms;
	int n;

	(void)state;
	/* The visitor waits at most OTP_SMS_TOTAL_MS, then gets a 502. */
	assert_int_equal(send_to(answers, 1, &res, req, sizeof(req), &n, &ms), SEND_UNSURE);
	assert_int_equal(n, 1);
	assert_int_equal(res.http_status, 0);
	assert_true(ms >= OTP_SMS_TOTAL_MS - 1000);
	assert_true(ms < OTP_SMS_TOTAL_MS + 2000);
}

/* What cannot be tried is the site's to fix: misconfigured, nothing sent. */
static void
test_untried_is_misconfigured(void **state)
{
	static char long_url[700];
	struct channel_result res;
	struct config cfg;

	(void)state;
	memcpy(long_url, "http://127.0.0.1/", 17);
	memset(long_url + 17, 'a', sizeof(long_url) - 18);
	telnyx_config(&cfg, long_url);
	assert_int_equal(channel_send(&telnyx_text, &cfg, "+12025550143", "x", NULL, &res),
			 SEND_MISCONFIGURED);
	assert_int_equal(res.http_status, 0);
	assert_string_equal(res.reason, "API_BASE_URL or API_KEY too long");
	assert_string_equal(res.message_id, "");
	assert_int_equal(res.cost_micros, 0);
}

static int
group_setup(void **state)
{
	static const char *const vars[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
					   "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};
	size_t i;

	(void)state;
	/* The tests talk to 127.0.0.1 directly, whatever the environment. */
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_body_fields),
	    cmocka_unit_test(test_body_profile),
	    cmocka_unit_test(test_body_escaping),
	    cmocka_unit_test(test_answer_success),
	    cmocka_unit_test(test_answer_success_without_id),
	    cmocka_unit_test(test_answer_errors_of_the_reference),
	    cmocka_unit_test(test_answer_errors),
	    cmocka_unit_test(test_answer_hostile),
	    cmocka_unit_test(test_answer_junk),
	    cmocka_unit_test(test_call_body_is_the_checked_one),
	    cmocka_unit_test(test_call_body_fields),
	    cmocka_unit_test(test_call_answer),
	    cmocka_unit_test(test_http_call),
	    cmocka_unit_test(test_http_call_step),
	    cmocka_unit_test(test_http_success),
	    cmocka_unit_test(test_http_cost_of_the_parts),
	    cmocka_unit_test(test_http_401),
	    cmocka_unit_test(test_http_opted_out),
	    cmocka_unit_test(test_http_spend_limit),
	    cmocka_unit_test(test_http_closed),
	    cmocka_unit_test(test_http_no_redirect),
	    cmocka_unit_test(test_http_retry_after_503),
	    cmocka_unit_test(test_http_too_large),
	    cmocka_unit_test(test_http_nothing_listening),
	    cmocka_unit_test(test_http_timeout),
	    cmocka_unit_test(test_untried_is_misconfigured),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
