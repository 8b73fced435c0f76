/*
 * The abuse limits over a real store: the client key, the country list,
 * each send limit with the retry-after it gives and the kind it reports,
 * the wrong-code limit, and that a refused send is not counted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "limit.h"
#include "store.h"
#include "unit.h"

#define NOW   1800000000
#define PHONE "+12025550143"

struct fixture {
	char dir[256], path[300];
	struct config cfg;
	struct store *st;
};

/* A store in a new directory and a config of the keys given. */
static struct fixture *
fixture_new(const char *keys)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char conf[1024];
	int n;

	assert_non_null(f);
	unit_tmpdir(f->dir, sizeof(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/otp.db", f->dir);
	n = snprintf(conf, sizeof(conf),
		     "SECRET_KEY='limit-test-secret-0123'\nSMS_TRANSPORT=outbox\n"
		     "OUTBOX_PATH=%s/outbox\n%s",
		     f->dir, keys);
	assert_int_equal(config_parse(&f->cfg, conf, (size_t)n, "test"), 0);
	assert_non_null(f->st = store_open(f->path));
	return f;
}

static void
fixture_free(struct fixture *f)
{
	store_close(f->st);
	config_free(&f->cfg);
	unit_rmtree(f->dir);
	free(f);
}

/* limit_send() in its own transaction, as the core runs it. */
static int
send_one(struct fixture *f, const char *phone, const char *client, time_t now,
	 struct limit_hit *hit)
{
	const struct limit_req q = {phone, 0, client, "", "", 0, now};
	int attempts, rc;

	assert_int_equal(store_begin(f->st), 0);
	rc = limit_send(f->st, &f->cfg, &q, &attempts, hit);
	if (rc == 0)
		assert_int_equal(store_commit(f->st), 0);
	else
		store_rollback(f->st);
	return rc;
}

static void
test_client_key(void **state)
{
	char out[64];

	(void)state;
	limit_client_key("203.0.113.9", out, sizeof(out));
	assert_string_equal(out, "203.0.113.9");
	limit_client_key("2001:db8:1:2:3:4:5:6", out, sizeof(out));
	assert_string_equal(out, "2001:db8:1:2::/64");
	limit_client_key("2001:db8:1:2:ffff::1", out, sizeof(out));
	assert_string_equal(out, "2001:db8:1:2::/64"); /* the same /64 */
	limit_client_key("::ffff:198.51.100.7", out, sizeof(out));
	assert_string_equal(out, "198.51.100.7");
	limit_client_key("not an address", out, sizeof(out));
	assert_string_equal(out, "-");
	limit_client_key(NULL, out, sizeof(out));
	assert_string_equal(out, "-");
	limit_client_key("1.2.3.4 ", out, sizeof(out));
	assert_string_equal(out, "-");
}

/*
 * A burst: a request that read the clock a second later than this one
 * recorded its send first, so the oldest send counted is in this one's
 * future.  Retry-After stays within the window (found by the burst test
 * under CPU load: 3601 for IP_SEND_LIMIT's hour).
 */
static void
test_retry_after_never_past_the_window(void **state)
{
	struct fixture *f = fixture_new("IP_SEND_LIMIT=2\nRESEND_AFTER=0\n");
	struct limit_hit hit;
	const time_t now = 1800000000;

	(void)state;
	assert_int_equal(send_one(f, "+12025550101", "10.0.0.1", now + 1, &hit), 0);
	assert_int_equal(send_one(f, "+12025550102", "10.0.0.1", now + 1, &hit), 0);
	assert_int_equal(send_one(f, "+12025550103", "10.0.0.1", now, &hit), 429);
	assert_string_equal(hit.name, "IP_SEND_LIMIT");
	assert_int_equal(hit.retry_after, 3600);
	fixture_free(f);
}

static void
test_country_allowed(void **state)
{
	struct fixture *f = fixture_new("ALLOWED_COUNTRY_CODES='+1, +44'\n");

	(void)state;
	assert_true(limit_country_allowed(&f->cfg, PHONE, 0));
	assert_true(limit_country_allowed(&f->cfg, "+442079460958", 0));
	assert_false(limit_country_allowed(&f->cfg, "+4915123456789", 0));
	assert_false(limit_country_allowed(&f->cfg, "+33612345678", 0));
	fixture_free(f);
	f = fixture_new("ALLOWED_COUNTRY_CODES=*\n");
	assert_true(limit_country_allowed(&f->cfg, "+33612345678", 0));
	fixture_free(f);
}

static void
test_resend_cooldown(void **state)
{
	struct fixture *f = fixture_new("RESEND_AFTER=30\n");
	struct limit_hit hit;

	(void)state;
	assert_int_equal(send_one(f, PHONE, "10.0.0.1", NOW, &hit), 0);
	/* Whoever asks: the cooldown is the number's. */
	assert_int_equal(send_one(f, PHONE, "10.0.0.2", NOW + 10, &hit), 429);
	assert_string_equal(hit.name, "RESEND_AFTER");
	assert_int_equal(hit.retry_after, 20);
	assert_false(hit.budget);
	assert_false(hit.guesses);
	assert_int_equal(send_one(f, "+12025550199", "10.0.0.2", NOW + 10, &hit), 0);
	assert_int_equal(send_one(f, PHONE, "10.0.0.2", NOW + 31, &hit), 0);
	fixture_free(f);
}

static void
test_phone_and_client_limits(void **state)
{
	struct fixture *f = fixture_new(
	    "RESEND_AFTER=0\nPHONE_SEND_LIMIT=2\nPHONE_SEND_WINDOW=600\nIP_SEND_LIMIT=3\n");
	struct limit_hit hit;

	(void)state;
	assert_int_equal(send_one(f, PHONE, "10.0.0.1", NOW, &hit), 0);
	assert_int_equal(send_one(f, PHONE, "10.0.0.1", NOW + 100, &hit), 0);
	assert_int_equal(send_one(f, PHONE, "10.0.0.9", NOW + 200, &hit), 429);
	assert_string_equal(hit.name, "PHONE_SEND_LIMIT");
	assert_int_equal(hit.retry_after, 400); /* the oldest leaves the window */
	/* The refused send was not counted: the third number still gets one. */
	assert_int_equal(send_one(f, "+12025550101", "10.0.0.1", NOW + 200, &hit), 0);
	assert_int_equal(send_one(f, "+12025550102", "10.0.0.1", NOW + 300, &hit), 429);
	assert_string_equal(hit.name, "IP_SEND_LIMIT");
	assert_int_equal(hit.retry_after, 3300);
	assert_int_equal(send_one(f, PHONE, "10.0.0.1", NOW + 601, &hit), 429); /* still IP */
	assert_int_equal(send_one(f, PHONE, "10.0.0.2", NOW + 601, &hit), 0);
	fixture_free(f);
}

static void
test_phone_daily_limit(void **state)
{
	struct fixture *f =
	    fixture_new("RESEND_AFTER=0\nPHONE_SEND_LIMIT=5\nPHONE_SEND_WINDOW=600\n"
			"PHONE_DAILY_LIMIT=6\nIP_SEND_LIMIT=1000\n");
	struct limit_hit hit;
	char client[32];
	int i;

	(void)state;
	/* Six codes from six addresses, an hour apart: each window passes, the day does not. */
	for (i = 0; i < 6; i++) {
		snprintf(client, sizeof(client), "10.1.0.%d", i);
		assert_int_equal(send_one(f, PHONE, client, NOW + i * 3600, &hit), 0);
	}
	assert_int_equal(send_one(f, PHONE, "10.1.1.1", NOW + 6 * 3600, &hit), 429);
	assert_string_equal(hit.name, "PHONE_DAILY_LIMIT");
	assert_int_equal(hit.retry_after, 86400 - 6 * 3600);
	assert_false(hit.budget);
	assert_int_equal(send_one(f, "+12025550199", "10.1.1.1", NOW + 6 * 3600, &hit), 0);
	assert_int_equal(send_one(f, PHONE, "10.1.1.1", NOW + 86401, &hit), 0);
	fixture_free(f);
}

static void
test_budget_caps(void **state)
{
	struct fixture *f = fixture_new("RESEND_AFTER=0\nHOURLY_SEND_LIMIT=2\nIP_SEND_LIMIT=100\n");
	struct limit_hit hit;

	(void)state;
	assert_int_equal(send_one(f, "+12025550101", "10.0.0.1", NOW, &hit), 0);
	assert_int_equal(send_one(f, "+12025550102", "10.0.0.2", NOW + 1, &hit), 0);
	assert_int_equal(send_one(f, "+12025550103", "10.0.0.3", NOW + 2, &hit), 429);
	assert_string_equal(hit.name, "HOURLY_SEND_LIMIT");
	assert_true(hit.budget);
	assert_false(hit.guesses);
	assert_int_equal(hit.retry_after, 3598);
	assert_int_equal(send_one(f, "+12025550103", "10.0.0.3", NOW + 3601, &hit), 0);
	fixture_free(f);
}

static void
test_guess_limit(void **state)
{
	struct fixture *f = fixture_new("PHONE_FAILURE_LIMIT=2\n");
	struct limit_hit hit;

	(void)state;
	assert_int_equal(limit_guess(f->st, &f->cfg, PHONE, NOW, &hit), 0);
	assert_int_equal(store_add_failure(f->st, NOW, PHONE), 0);
	assert_int_equal(store_add_failure(f->st, NOW + 10, PHONE), 0);
	assert_int_equal(limit_guess(f->st, &f->cfg, PHONE, NOW + 20, &hit), 429);
	assert_string_equal(hit.name, "PHONE_FAILURE_LIMIT");
	assert_true(hit.guesses);
	assert_int_equal(hit.retry_after, 3580);
	assert_int_equal(limit_guess(f->st, &f->cfg, "+12025550199", NOW + 20, &hit), 0);
	/* The same cap stops sending to the number too. */
	assert_int_equal(send_one(f, PHONE, "10.0.0.1", NOW + 20, &hit), 429);
	assert_true(hit.guesses);
	assert_int_equal(limit_guess(f->st, &f->cfg, PHONE, NOW + 3601, &hit), 0);
	fixture_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_client_key),
	    cmocka_unit_test(test_retry_after_never_past_the_window),
	    cmocka_unit_test(test_country_allowed),
	    cmocka_unit_test(test_resend_cooldown),
	    cmocka_unit_test(test_phone_and_client_limits),
	    cmocka_unit_test(test_phone_daily_limit),
	    cmocka_unit_test(test_budget_caps),
	    cmocka_unit_test(test_guess_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
