/*
 * Proves the channel table (lib/channel.c): the row a site's config
 * chooses for a way (CHANNELS and SMS_TRANSPORT), none for a way it does
 * not offer; what each row says of itself (receipts, the spend limit's
 * words); a send through a row clears what the one before left; and the
 * outbox row (lib/outbox.c): one JSON line per message, mode 0600,
 * appending, no symlink followed, taken as "outbox" at no cost, and
 * SEND_MISCONFIGURED when it cannot write.  The Telnyx row's answers are
 * test_telnyx.c's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "channel.h"
#include "unit.h"

static char from[] = "+15550001111";

static const char *
str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- the table ---- */

static void
test_row_for_the_transport(void **state)
{
	struct config cfg;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.channels = CHANNEL_SMS;
	cfg.transport = TRANSPORT_TELNYX;
	assert_ptr_equal(channel_for(&cfg, CHANNEL_SMS), &telnyx_text);
	cfg.transport = TRANSPORT_OUTBOX;
	assert_ptr_equal(channel_for(&cfg, CHANNEL_SMS), &outbox_text);
	/* Beside inbound, the same. */
	cfg.channels = CHANNEL_SMS | CHANNEL_INBOUND;
	assert_ptr_equal(channel_for(&cfg, CHANNEL_SMS), &outbox_text);
	/* Inbound sends nothing: no row, whatever the config. */
	assert_null(channel_for(&cfg, CHANNEL_INBOUND));
	/* A way the site does not offer has none. */
	cfg.channels = CHANNEL_INBOUND;
	assert_null(channel_for(&cfg, CHANNEL_SMS));
	cfg.transport = TRANSPORT_TELNYX;
	assert_null(channel_for(&cfg, CHANNEL_SMS));
	/* Calls, by transport, where the site offers them. */
	assert_null(channel_for(&cfg, CHANNEL_VOICE));
	cfg.channels = CHANNEL_SMS | CHANNEL_VOICE;
	assert_ptr_equal(channel_for(&cfg, CHANNEL_VOICE), &telnyx_call);
	assert_ptr_equal(channel_for(&cfg, CHANNEL_SMS), &telnyx_text);
	cfg.transport = TRANSPORT_OUTBOX;
	assert_ptr_equal(channel_for(&cfg, CHANNEL_VOICE), &outbox_call);
}

static void
test_rows_say_what_they_are(void **state)
{
	const struct channel *const rows[] = {&telnyx_text, &outbox_text};

	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_string_equal(rows[i]->name, "sms");
		assert_int_equal(rows[i]->way, CHANNEL_SMS);
		assert_non_null(rows[i]->send);
	}
	/* Telnyx reports on its messages (webhook.cgi); nobody on the outbox's. */
	assert_true(telnyx_text.receipts);
	assert_false(outbox_text.receipts);
	/* The calls: Telnyx's events drive its calls; the outbox's are written down. */
	assert_string_equal(telnyx_call.name, "voice");
	assert_string_equal(outbox_call.name, "voice");
	assert_int_equal(telnyx_call.way, CHANNEL_VOICE);
	assert_int_equal(outbox_call.way, CHANNEL_VOICE);
	assert_true(telnyx_call.receipts);
	assert_false(outbox_call.receipts);
	assert_null(telnyx_call.spend_limit);
	/* The operator's warning names the provider's limit as the old one did. */
	assert_string_equal(telnyx_text.spend_limit,
			    "Telnyx's spend limit of the messaging profile reached (40333)");
	assert_null(outbox_text.spend_limit);
}

static void
test_send_clears_the_result(void **state)
{
	char dir[256], path[300];
	struct channel_result res;
	struct config cfg;

	(void)state;
	unit_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/outbox.jsonl", dir);
	memset(&cfg, 0, sizeof(cfg));
	cfg.outbox_path = path;
	memset(&res, 'x', sizeof(res));
	res.outcome = SEND_REFUSED;
	assert_int_equal(channel_send(&outbox_text, &cfg, "+12025550143", "x", NULL, &res),
			 SEND_TAKEN);
	assert_int_equal(res.outcome, SEND_TAKEN);
	assert_string_equal(res.message_id, "outbox");
	assert_string_equal(res.reason, "");
	assert_string_equal(res.error_code, "");
	assert_int_equal(res.parts, 0);
	unit_rmtree(dir);
}

/* ---- the outbox rows ---- */

static void
test_outbox_call(void **state)
{
	char dir[256], path[300], voice_from[] = "+15550003333";
	struct channel_result res;
	struct config cfg;
	char *data;
	cJSON *o;

	(void)state;
	unit_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/outbox.jsonl", dir);
	memset(&cfg, 0, sizeof(cfg));
	cfg.transport = TRANSPORT_OUTBOX;
	cfg.outbox_path = path;
	cfg.from_number = from;
	cfg.voice_from = voice_from;
	assert_int_equal(channel_send(&outbox_call, &cfg, "+12025550143", NULL,
				      "q83vEjRWeJCrze8SNFZ4kA==", &res),
			 SEND_TAKEN);
	assert_string_equal(res.message_id, "outbox");
	assert_int_equal(res.cost_micros, 0);
	data = unit_read_file(path, NULL);
	o = cJSON_Parse(data);
	assert_non_null(o);
	assert_string_equal(cJSON_GetObjectItem(o, "to")->valuestring, "+12025550143");
	assert_string_equal(cJSON_GetObjectItem(o, "from")->valuestring, "+15550003333");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "call")));
	assert_string_equal(cJSON_GetObjectItem(o, "client_state")->valuestring,
			    "q83vEjRWeJCrze8SNFZ4kA==");
	assert_null(cJSON_GetObjectItem(o, "text"));
	cJSON_Delete(o);
	free(data);
	unit_rmtree(dir);
}

static void
test_outbox(void **state)
{
	char dir[256], path[300];
	struct config cfg;
	struct channel_result res;
	struct stat st;
	char *data, *nl;
	cJSON *o;
	mode_t old;

	(void)state;
	unit_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/outbox.jsonl", dir);
	memset(&cfg, 0, sizeof(cfg));
	cfg.transport = TRANSPORT_OUTBOX;
	cfg.outbox_path = path;
	cfg.from_number = from;
	/* 0600 because the code says so, not because of the umask. */
	old = umask(0);
	assert_int_equal(
	    channel_send(&outbox_text, &cfg, "+12025550143", "Your token is 1A2B", NULL, &res),
	    SEND_TAKEN);
	umask(old);
	assert_string_equal(res.message_id, "outbox");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(
	    channel_send(&outbox_text, &cfg, "+442079460958", "two\nlines \"quoted\"", NULL, &res),
	    SEND_TAKEN);
	/* Nothing to pay, nobody to report on it. */
	assert_int_equal(res.cost_micros, 0);
	assert_int_equal(res.http_status, 0);

	data = unit_read_file(path, NULL);
	assert_non_null(data);
	/* Exactly two lines, each one JSON object. */
	nl = strchr(data, '\n');
	assert_non_null(nl);
	*nl = '\0';
	o = cJSON_Parse(data);
	assert_non_null(o);
	assert_string_equal(str(o, "to"), "+12025550143");
	assert_string_equal(str(o, "from"), "+15550001111");
	assert_string_equal(str(o, "text"), "Your token is 1A2B");
	cJSON_Delete(o);
	o = cJSON_Parse(nl + 1);
	assert_non_null(o);
	assert_string_equal(str(o, "to"), "+442079460958");
	assert_string_equal(str(o, "text"), "two\nlines \"quoted\"");
	cJSON_Delete(o);
	assert_non_null(strchr(nl + 1, '\n'));
	assert_string_equal(strchr(nl + 1, '\n'), "\n");
	free(data);
	unit_rmtree(dir);
}

static void
test_outbox_appends(void **state)
{
	char dir[256], path[300], link[300];
	struct config cfg;
	struct channel_result res;
	char *data;

	(void)state;
	unit_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/outbox.jsonl", dir);
	unit_write_file(path, "earlier\n", 8);
	memset(&cfg, 0, sizeof(cfg));
	cfg.transport = TRANSPORT_OUTBOX;
	cfg.outbox_path = path;
	/* No FROM_NUMBER: "from" is empty. */
	assert_int_equal(channel_send(&outbox_text, &cfg, "+12025550143", "x", NULL, &res),
			 SEND_TAKEN);
	data = unit_read_file(path, NULL);
	assert_memory_equal(data, "earlier\n{", 9);
	assert_non_null(strstr(data, "\"from\":\"\""));
	free(data);

	/* A symbolic link is not followed. */
	snprintf(link, sizeof(link), "%s/link.jsonl", dir);
	assert_int_equal(symlink(path, link), 0);
	cfg.outbox_path = link;
	assert_int_equal(channel_send(&outbox_text, &cfg, "+12025550143", "x", NULL, &res),
			 SEND_MISCONFIGURED);
	assert_non_null(strstr(res.reason, "cannot open outbox"));
	/* Nor can a missing directory be written. */
	snprintf(link, sizeof(link), "%s/missing/outbox.jsonl", dir);
	cfg.outbox_path = link;
	assert_int_equal(channel_send(&outbox_text, &cfg, "+12025550143", "x", NULL, &res),
			 SEND_MISCONFIGURED);
	assert_non_null(strstr(res.reason, "cannot open outbox"));
	assert_string_equal(res.message_id, "");
	unit_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_row_for_the_transport),
	    cmocka_unit_test(test_rows_say_what_they_are),
	    cmocka_unit_test(test_send_clears_the_result),
	    cmocka_unit_test(test_outbox),
	    cmocka_unit_test(test_outbox_call),
	    cmocka_unit_test(test_outbox_appends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
