/*
 * Proves the sending side: the JSON body for Telnyx (fields, the profile
 * only when set, escaping), the parse of Telnyx's answers (success with
 * data.id, errors with string or numeric codes, junk), the outbox
 * transport (one JSON line per message, mode 0600, appending, no symlink),
 * and a real request over HTTP to a small server this test forks on
 * 127.0.0.1: the request line, the bearer key and the body; 200, 401, a
 * closed connection, a redirect not followed, an oversized answer, a retry
 * after 503, a port where nothing listens, and a server that never
 * answers (given up within OTP_SMS_TOTAL_MS).  Nothing leaves 127.0.0.1.
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

#include "sms.h"
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
}

static char telnyx_url[] = "https://api.telnyx.com";

/* ---- sms_telnyx_body ---- */

/* The body as JSON (caller deletes), checked to be one object. */
static cJSON *
body_json(const struct config *cfg, const char *to, const char *text, char **raw)
{
	char *s = sms_telnyx_body(cfg, to, text);
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

/* ---- sms_telnyx_parse ---- */

/* Parse body (copied without a NUL after it, so ASan sees overreads). */
static int
parse(long status, const char *body, struct sms_result *res)
{
	size_t len = strlen(body);
	char *copy = unit_exact(body, len);
	int rc;

	memset(res, 0, sizeof(*res));
	rc = sms_telnyx_parse(status, copy, len, res);
	free(copy);
	return rc;
}

static void
test_parse_success(void **state)
{
	struct sms_result res;

	(void)state;
	assert_int_equal(
	    parse(200,
		  "{\"data\":{\"record_type\":\"message\",\"direction\":\"outbound\","
		  "\"id\":\"40385f64-5717-4562-b3fc-2c963f66afa6\",\"type\":\"SMS\","
		  "\"to\":[{\"phone_number\":\"+12025550143\",\"status\":\"queued\"}]}}",
		  &res),
	    0);
	assert_string_equal(res.message_id, "40385f64-5717-4562-b3fc-2c963f66afa6");
	assert_int_equal(res.http_status, 200);
	assert_string_equal(res.error_code, "");
}

static void
test_parse_success_without_id(void **state)
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
	    "{\"data\":{\"id\":\"12345678901234567890123456789012345678901234567890"
	    "123456789012345\"}}",
	};
	struct sms_result res;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(200, bad[i], &res), -1);
		assert_string_equal(res.message_id, "");
		assert_string_not_equal(res.reason, "");
	}
}

static void
test_parse_errors(void **state)
{
	struct sms_result res;

	(void)state;
	assert_int_equal(parse(401,
			       "{\"errors\":[{\"code\":\"10009\",\"title\":\"Authentication "
			       "failed\",\"detail\":\"The API key looks malformed.\"}]}",
			       &res),
			 -1);
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
			 -1);
	assert_string_equal(res.reason, "Invalid: to??X-Injected: 1");
	/* A detail too long for the reason is cut, the title kept. */
	{
		char body[1200];

		snprintf(body, sizeof(body),
			 "{\"errors\":[{\"code\":\"1\",\"title\":\"T\",\"detail\":\"%0*d\"}]}",
			 1000, 0);
		assert_int_equal(parse(400, body, &res), -1);
		assert_int_equal(strncmp(res.reason, "T: 000", 6), 0);
		assert_int_equal(strlen(res.reason), sizeof(res.reason) - 1);
	}

	/* A numeric code, as some answers have it. */
	assert_int_equal(
	    parse(422, "{\"errors\":[{\"code\":40310,\"title\":\"Invalid 'to' address\"}]}", &res),
	    -1);
	assert_int_equal(res.http_status, 422);
	assert_string_equal(res.error_code, "40310");
	assert_string_equal(res.reason, "Invalid 'to' address");

	/* No title: the status says it. */
	assert_int_equal(parse(500, "{\"errors\":[{\"code\":\"10007\"}]}", &res), -1);
	assert_string_equal(res.error_code, "10007");
	assert_string_equal(res.reason, "HTTP 500");
	/* No errors at all. */
	assert_int_equal(parse(503, "{}", &res), -1);
	assert_string_equal(res.error_code, "");
	assert_string_equal(res.reason, "HTTP 503");
	/* Even with a data.id, an error status is an error. */
	assert_int_equal(parse(400, "{\"data\":{\"id\":\"x\"}}", &res), -1);
	assert_string_equal(res.message_id, "");
}

static void
test_parse_hostile(void **state)
{
	struct sms_result res;
	char body[1024];
	size_t i;

	(void)state;
	/* Control characters from the provider do not reach the log. */
	assert_int_equal(parse(401,
			       "{\"errors\":[{\"code\":\"10\\n09\",\"title\":\"a\\r\\nb\\u001bc"
			       "\"}]}",
			       &res),
			 -1);
	assert_string_equal(res.error_code, "10?09");
	for (i = 0; res.reason[i] != '\0'; i++)
		assert_true(res.reason[i] >= 0x20 && res.reason[i] < 0x7f);
	/* Long strings are cut, and terminated. */
	snprintf(body, sizeof(body), "{\"errors\":[{\"code\":\"%0200d\",\"title\":\"%0500d\"}]}", 0,
		 0);
	assert_int_equal(parse(400, body, &res), -1);
	assert_int_equal(strlen(res.error_code), sizeof(res.error_code) - 1);
	assert_int_equal(strlen(res.reason), sizeof(res.reason) - 1);
}

static void
test_parse_junk(void **state)
{
	static const char *const junk[] = {
	    "", "<html><body>502 Bad Gateway</body></html>", "{\"data\":", "null", "\"40385f64\"",
	};
	struct sms_result res;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		assert_int_equal(parse(200, junk[i], &res), -1);
		assert_string_equal(res.message_id, "");
		assert_string_not_equal(res.reason, "");
	}
	assert_int_equal(parse(200, "", &res), -1);
	assert_string_equal(res.reason, "answer is not JSON");
	/* The length is what counts, not a NUL. */
	memset(&res, 0, sizeof(res));
	assert_int_equal(sms_telnyx_parse(200, "{\"data\":{\"id\":\"abc\"}}XYZ", 23, &res), 0);
	assert_string_equal(res.message_id, "abc");
}

/* ---- outbox ---- */

static void
test_outbox(void **state)
{
	char dir[256], path[300];
	struct config cfg;
	struct sms_result res;
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
	assert_int_equal(sms_send(&cfg, "+12025550143", "Your token is 1A2B", &res), 0);
	umask(old);
	assert_string_equal(res.message_id, "outbox");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(sms_send(&cfg, "+442079460958", "two\nlines \"quoted\"", &res), 0);

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
	struct sms_result res;
	char *data;

	(void)state;
	unit_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/outbox.jsonl", dir);
	unit_write_file(path, "earlier\n", 8);
	memset(&cfg, 0, sizeof(cfg));
	cfg.transport = TRANSPORT_OUTBOX;
	cfg.outbox_path = path;
	/* No FROM_NUMBER: "from" is empty. */
	assert_int_equal(sms_send(&cfg, "+12025550143", "x", &res), 0);
	data = unit_read_file(path, NULL);
	assert_memory_equal(data, "earlier\n{", 9);
	assert_non_null(strstr(data, "\"from\":\"\""));
	free(data);

	/* A symbolic link is not followed. */
	snprintf(link, sizeof(link), "%s/link.jsonl", dir);
	assert_int_equal(symlink(path, link), 0);
	cfg.outbox_path = link;
	assert_int_equal(sms_send(&cfg, "+12025550143", "x", &res), -1);
	assert_non_null(strstr(res.reason, "cannot open outbox"));
	/* Nor can a missing directory be written. */
	snprintf(link, sizeof(link), "%s/missing/outbox.jsonl", dir);
	cfg.outbox_path = link;
	assert_int_equal(sms_send(&cfg, "+12025550143", "x", &res), -1);
	assert_non_null(strstr(res.reason, "cannot open outbox"));
	assert_string_equal(res.message_id, "");
	unit_rmtree(dir);
}

/* ---- Telnyx over HTTP, against a server forked on 127.0.0.1 ---- */

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

/* sms_send() to a server answering answers[0..n-1]; the first request in req. */
static int
send_to(const char *const *answers, int n, struct sms_result *res, char *req, size_t size,
	int *requests, long *ms)
{
	struct server s;
	struct config cfg;
	char url[64];
	long t0;
	int rc;

	server_start(&s, answers, n);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", s.port);
	telnyx_config(&cfg, url);
	t0 = now_ms();
	rc = sms_send(&cfg, "+12025550143", "Your token is 1A2B", res);
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
	struct sms_result res;
	char req[8192], *body;
	int n;
	cJSON *o;

	(void)state;
	assert_int_equal(send_to(answers, 1, &res, req, sizeof(req), &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(res.http_status, 200);
	assert_string_equal(res.message_id, MSG_ID);
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

static void
test_http_401(void **state)
{
	char buf[512];
	const char *answers[] = {
	    answer(buf, sizeof(buf), "401 Unauthorized",
		   "{\"errors\":[{\"code\":\"10009\",\"title\":\"Authentication failed\","
		   "\"detail\":\"Could not authenticate\"}]}")};
	struct sms_result res;
	char req[8192];
	int n;

	(void)state;
	assert_int_equal(send_to(answers, 1, &res, req, sizeof(req), &n, NULL), -1);
	/* Not tried again: the key will not get better. */
	assert_int_equal(n, 1);
	assert_int_equal(res.http_status, 401);
	assert_string_equal(res.error_code, "10009");
	assert_string_equal(res.reason, "Authentication failed: Could not authenticate");
	assert_string_equal(res.message_id, "");
}

static void
test_http_closed(void **state)
{
	const char *answers[] = {NULL};
	struct sms_result res;
	char req[8192];
	int n;

	(void)state;
	assert_int_equal(send_to(answers, 1, &res, req, sizeof(req), &n, NULL), -1);
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
	struct sms_result res;
	char req[8192];
	int n;

	(void)state;
	assert_int_equal(send_to(answers, 2, &res, req, sizeof(req), &n, NULL), -1);
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
	struct sms_result res;
	char req[8192];
	int n;

	(void)state;
	/* 503 (and 429) mean the message was not taken: one more try. */
	assert_int_equal(send_to(answers, 2, &res, req, sizeof(req), &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_string_equal(res.message_id, MSG_ID);
}

static void
test_http_too_large(void **state)
{
	static char big[OTP_SMS_REPLY_MAX + 4096];
	const char *answers[] = {big};
	struct sms_result res;
	char req[8192];
	size_t head;
	int n;

	(void)state;
	head = (size_t)snprintf(
	    big, sizeof(big), "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: %d\r\n\r\n",
	    OTP_SMS_REPLY_MAX + 1);
	memset(big + head, ' ', OTP_SMS_REPLY_MAX + 1);
	big[head + OTP_SMS_REPLY_MAX + 1] = '\0';
	assert_int_equal(send_to(answers, 1, &res, req, sizeof(req), &n, NULL), -1);
	assert_string_equal(res.reason, "answer too large");
}

static void
test_http_nothing_listening(void **state)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	struct sms_result res;
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
	assert_int_equal(sms_send(&cfg, "+12025550143", "x", &res), -1);
	ms = now_ms() - t0;
	assert_int_equal(res.http_status, 0);
	assert_string_not_equal(res.reason, "");
	assert_true(ms < OTP_SMS_TOTAL_MS);
}

static void
test_http_timeout(void **state)
{
	const char *answers[] = {HANG};
	struct sms_result res;
	char req[8192];
	long ms;
	int n;

	(void)state;
	/* The visitor waits at most OTP_SMS_TOTAL_MS, then gets a 502. */
	assert_int_equal(send_to(answers, 1, &res, req, sizeof(req), &n, &ms), -1);
	assert_int_equal(n, 1);
	assert_int_equal(res.http_status, 0);
	assert_true(ms >= OTP_SMS_TOTAL_MS - 1000);
	assert_true(ms < OTP_SMS_TOTAL_MS + 2000);
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
	    cmocka_unit_test(test_parse_success),
	    cmocka_unit_test(test_parse_success_without_id),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_parse_hostile),
	    cmocka_unit_test(test_parse_junk),
	    cmocka_unit_test(test_outbox),
	    cmocka_unit_test(test_outbox_appends),
	    cmocka_unit_test(test_http_success),
	    cmocka_unit_test(test_http_401),
	    cmocka_unit_test(test_http_closed),
	    cmocka_unit_test(test_http_no_redirect),
	    cmocka_unit_test(test_http_retry_after_503),
	    cmocka_unit_test(test_http_too_large),
	    cmocka_unit_test(test_http_nothing_listening),
	    cmocka_unit_test(test_http_timeout),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
