/*
 * Sending the code.  Telnyx: POST {API_BASE_URL}/v2/messages with a JSON
 * body and a bearer key, through one libcurl handle set up in
 * sms_curl_setup(): https only (http only to loopback, for the tests'
 * fake), certificates checked (against CA_FILE when set), connect and
 * total timeouts, no redirects.
 * The outbox transport appends the message as a JSON line to a file, for
 * trying the flow without an account.
 *
 * The handle lives as long as the process, with libcurl's cache of
 * connections in it: a FastCGI process sends every code over the one
 * connection (and TLS handshake) it made first, where each CGI process
 * makes its own.  It is kept only for what its connections were made
 * under (API_KEY, API_BASE_URL, CA_FILE and that file: sms_conn_get());
 * between two sends it holds no option of the last one (curl_easy_reset():
 * no pointer to its headers, body or error buffer, which are wiped).
 *
 * libcurl is loaded with dlopen() when a message is sent, not linked:
 * with the dozen libraries it pulls in it costs about 4 ms at every start
 * of request.cgi, which the phone form and every refused request (most of
 * an SMS-pumping wave) would pay for nothing.  `make bench` measures it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <dlfcn.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "code.h"
#include "log.h"
#include "sms.h"

#define SMS_LIBCURL "libcurl.so.4" /* the SONAME since curl 7.16 */

/* The libcurl functions this file uses, from sms_curl_load(). */
static struct {
	void *lib;
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_reset)(CURL *);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} curl;

/* Look name up in libcurl into *fn.  Returns 0 or -1. */
static int
sms_sym(void *fn, const char *name)
{
	void *p = dlsym(curl.lib, name);

	/* POSIX guarantees a function pointer survives this round trip. */
	memcpy(fn, &p, sizeof(p));
	return p == NULL ? -1 : 0;
}

/* Load libcurl once.  Returns 0, or -1 with the reason in res. */
static int
sms_curl_load(struct sms_result *res)
{
	if (curl.lib != NULL)
		return 0;
	if ((curl.lib = dlopen(SMS_LIBCURL, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(res->reason, sizeof(res->reason), "cannot load %s: %s", SMS_LIBCURL,
			 dlerror());
		return -1;
	}
	if (sms_sym(&curl.global_init, "curl_global_init") < 0 ||
	    sms_sym(&curl.easy_init, "curl_easy_init") < 0 ||
	    sms_sym(&curl.easy_setopt, "curl_easy_setopt") < 0 ||
	    sms_sym(&curl.easy_perform, "curl_easy_perform") < 0 ||
	    sms_sym(&curl.easy_getinfo, "curl_easy_getinfo") < 0 ||
	    sms_sym(&curl.easy_reset, "curl_easy_reset") < 0 ||
	    sms_sym(&curl.easy_cleanup, "curl_easy_cleanup") < 0 ||
	    sms_sym(&curl.easy_strerror, "curl_easy_strerror") < 0 ||
	    sms_sym(&curl.slist_append, "curl_slist_append") < 0 ||
	    sms_sym(&curl.slist_free_all, "curl_slist_free_all") < 0 ||
	    curl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(res->reason, sizeof(res->reason), "%s lacks a function", SMS_LIBCURL);
		dlclose(curl.lib);
		curl.lib = NULL;
		return -1;
	}
	return 0;
}

/*
 * The handle of the process (NULL until the first send), and the
 * fingerprint of what its connections were made under (sms_conn_key()).
 */
static struct {
	CURL *c;
	unsigned char made_under[OTP_MAC_LEN];
	int keyed; /* made_under is known */
} sms_conn;

/*
 * What a connection to Telnyx is made under, as HMAC-SHA256 keyed with
 * API_KEY (no copy of the key is kept) of API_BASE_URL, CA_FILE and that
 * file's identity and mtime (replaced, it is read again).  0 or -1.
 */
static int
sms_conn_key(const struct config *cfg, unsigned char key[OTP_MAC_LEN])
{
	const char *api_key = cfg->api_key != NULL ? cfg->api_key : "";
	char msg[OTP_CONFIG_LINE + 1024];
	struct stat st;
	int n, rc;

	memset(&st, 0, sizeof(st));
	if (cfg->ca_file != NULL && stat(cfg->ca_file, &st) < 0)
		memset(&st, 0, sizeof(st));
	n = snprintf(msg, sizeof(msg), "%s\n%s\n%ju %ju %jd %jd.%09ld", cfg->api_base_url,
		     cfg->ca_file != NULL ? cfg->ca_file : "", (uintmax_t)st.st_dev,
		     (uintmax_t)st.st_ino, (intmax_t)st.st_size, (intmax_t)st.st_mtim.tv_sec,
		     (long)st.st_mtim.tv_nsec);
	rc = n < 0 || (size_t)n >= sizeof(msg)
		 ? -1
		 : code_hmac(api_key, strlen(api_key), msg, (size_t)n, key);
	explicit_bzero(msg, sizeof(msg));
	return rc;
}

/* End the handle of the process and its connections. */
static void
sms_conn_drop(void)
{
	if (sms_conn.c != NULL)
		curl.easy_cleanup(sms_conn.c);
	sms_conn.c = NULL;
	sms_conn.keyed = 0;
	explicit_bzero(sms_conn.made_under, sizeof(sms_conn.made_under));
}

/*
 * The handle for a send under cfg: the process's, when its connections
 * were made under the same API_KEY, API_BASE_URL and CA_FILE, else a new
 * one (the old one ended: a connection never outlives the config it was
 * made for).  NULL when out of memory.
 */
static CURL *
sms_conn_get(const struct config *cfg)
{
	unsigned char key[OTP_MAC_LEN] = {0};
	int keyed = sms_conn_key(cfg, key) == 0;

	if (sms_conn.c != NULL &&
	    (!keyed || !sms_conn.keyed || !code_equal(key, sms_conn.made_under, sizeof(key))))
		sms_conn_drop();
	if (sms_conn.c == NULL && (sms_conn.c = curl.easy_init()) != NULL) {
		memcpy(sms_conn.made_under, key, sizeof(key));
		sms_conn.keyed = keyed;
	}
	explicit_bzero(key, sizeof(key));
	return sms_conn.c;
}

struct sms_buf {
	char *data;
	size_t len;
	int overflow;
};

/* Wipe and free what b holds of an answer (the text, code and all, comes back in it). */
static void
sms_buf_clear(struct sms_buf *b)
{
	if (b->data != NULL) {
		explicit_bzero(b->data, b->len);
		free(b->data);
	}
	memset(b, 0, sizeof(*b));
}

static size_t
sms_collect(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct sms_buf *b = arg;
	size_t n = size * nmemb;

	if (b->len + n > OTP_SMS_REPLY_MAX) {
		b->overflow = 1;
		return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
	}
	b->data = xrealloc(b->data, b->len + n + 1);
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

char *
sms_telnyx_body(const struct config *cfg, const char *to, const char *text)
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
sms_copy(char *out, size_t size, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < size; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	out[i] = '\0';
}

/* Append sep and s to out (size bytes) as sms_copy() would, cut to fit. */
static void
sms_append(char *out, size_t size, const char *sep, const char *s)
{
	size_t n = strlen(out);

	if (n + strlen(sep) + 1 >= size)
		return;
	memcpy(out + n, sep, strlen(sep) + 1);
	n += strlen(sep);
	sms_copy(out + n, size - n, s);
}

int
sms_telnyx_parse(long http_status, const char *body, size_t len, struct sms_result *res)
{
	cJSON *root, *data, *id, *err, *code, *title, *detail;
	int rc = -1;

	res->http_status = http_status;
	if ((root = cJSON_ParseWithLength(body, len)) == NULL) {
		snprintf(res->reason, sizeof(res->reason), "answer is not JSON");
		return -1;
	}
	if (http_status >= 200 && http_status < 300) {
		data = cJSON_GetObjectItemCaseSensitive(root, "data");
		id = cJSON_GetObjectItemCaseSensitive(data, "id");
		if (cJSON_IsString(id) && id->valuestring[0] != '\0' &&
		    strlen(id->valuestring) <= OTP_MSGID_MAX) {
			sms_copy(res->message_id, sizeof(res->message_id), id->valuestring);
			rc = 0;
		} else
			snprintf(res->reason, sizeof(res->reason), "answer has no data.id");
	} else {
		err = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "errors"), 0);
		code = cJSON_GetObjectItemCaseSensitive(err, "code");
		title = cJSON_GetObjectItemCaseSensitive(err, "title");
		detail = cJSON_GetObjectItemCaseSensitive(err, "detail");
		if (cJSON_IsString(code))
			sms_copy(res->error_code, sizeof(res->error_code), code->valuestring);
		else if (cJSON_IsNumber(code))
			snprintf(res->error_code, sizeof(res->error_code), "%d", code->valueint);
		if (cJSON_IsString(title))
			sms_copy(res->reason, sizeof(res->reason), title->valuestring);
		else
			snprintf(res->reason, sizeof(res->reason), "HTTP %ld", http_status);
		/* What Telnyx says of this message in particular, for the log only. */
		if (cJSON_IsString(detail))
			sms_append(res->reason, sizeof(res->reason), ": ", detail->valuestring);
	}
	cJSON_Delete(root);
	return rc;
}

/* Milliseconds on a clock that does not jump. */
static long
sms_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Every option of the one request, in one place, from libcurl's defaults
 * (the handle is the process's: nothing of the send before it stays).
 * ca_file (CA_FILE) is then the only trust, without the system's
 * directory; NULL: the system's bundle.  errbuf (CURL_ERROR_SIZE) gets
 * libcurl's words for a failure.  Returns 0 or -1.
 */
static int
sms_curl_setup(CURL *c, const char *url, const char *ca_file, struct curl_slist *headers,
	       const char *body, struct sms_buf *buf, char *errbuf, long timeout_ms)
{
	/* API_BASE_URL's validator allows http:// only to loopback. */
	const char *protocols = strncmp(url, "https://", 8) == 0 ? "https" : "http";

	curl.easy_reset(c);
	if (curl.easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
	    curl.easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols) != CURLE_OK ||
	    curl.easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https") != CURLE_OK ||
	    curl.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl.easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl.easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    (ca_file != NULL && (curl.easy_setopt(c, CURLOPT_CAINFO, ca_file) != CURLE_OK ||
				 curl.easy_setopt(c, CURLOPT_CAPATH, NULL) != CURLE_OK)) ||
	    curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)OTP_SMS_CONNECT_MS) != CURLE_OK ||
	    curl.easy_setopt(c, CURLOPT_MAXAGE_CONN, (long)OTP_SMS_IDLE_S) != CURLE_OK ||
	    curl.easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms) != CURLE_OK ||
	    curl.easy_setopt(c, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
	    curl.easy_setopt(c, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
	    curl.easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body)) != CURLE_OK ||
	    curl.easy_setopt(c, CURLOPT_USERAGENT, "otp-cgi/1") != CURLE_OK ||
	    curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, sms_collect) != CURLE_OK ||
	    curl.easy_setopt(c, CURLOPT_WRITEDATA, buf) != CURLE_OK ||
	    curl.easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK)
		return -1;
	errbuf[0] = '\0';
	return 0;
}

/*
 * Whether a failed attempt surely did not send the SMS and may be tried
 * again: Telnyx documents no idempotency key, so a timeout is not retried.
 */
static int
sms_retryable(CURLcode cc, long status)
{
	return cc == CURLE_COULDNT_CONNECT || (cc == CURLE_OK && (status == 429 || status == 503));
}

static int
sms_telnyx(const struct config *cfg, const char *to, const char *text, struct sms_result *res)
{
	struct curl_slist *headers = NULL, *h;
	struct sms_buf buf = {NULL, 0, 0};
	char url[600], auth[1024], errbuf[CURL_ERROR_SIZE] = "";
	char *body = NULL;
	long start = sms_now_ms(), left, status = 0;
	CURLcode cc = CURLE_OK;
	CURL *c = NULL;
	int try, rc = -1;

	if ((size_t)snprintf(url, sizeof(url), "%s/v2/messages", cfg->api_base_url) >=
		sizeof(url) ||
	    (size_t)snprintf(auth, sizeof(auth), "Authorization: Bearer %s", cfg->api_key) >=
		sizeof(auth)) {
		snprintf(res->reason, sizeof(res->reason), "API_BASE_URL or API_KEY too long");
		goto out;
	}
	if (sms_curl_load(res) < 0)
		goto out;
	if ((body = sms_telnyx_body(cfg, to, text)) == NULL)
		goto oom;
	if ((c = sms_conn_get(cfg)) == NULL)
		goto oom;
	if ((h = curl.slist_append(headers, auth)) == NULL)
		goto oom;
	headers = h;
	if ((h = curl.slist_append(headers, "Content-Type: application/json")) == NULL)
		goto oom;
	headers = h;
	if ((h = curl.slist_append(headers, "Accept: application/json")) == NULL)
		goto oom;
	headers = h;

	for (try = 0; try < 2; try++) {
		left = OTP_SMS_TOTAL_MS - (sms_now_ms() - start);
		if (try > 0) {
			/* A second try only with time for it: the visitor is waiting. */
			if (!sms_retryable(cc, status) || left < OTP_SMS_TOTAL_MS / 2)
				break;
			usleep(500 * 1000);
			left -= 500;
		}
		sms_buf_clear(&buf);
		status = 0;
		if (sms_curl_setup(c, url, cfg->ca_file, headers, body, &buf, errbuf, left) < 0) {
			snprintf(res->reason, sizeof(res->reason), "cannot set up libcurl");
			goto out;
		}
		cc = curl.easy_perform(c);
		if (cc == CURLE_OK)
			curl.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	}
	res->http_status = status;
	if (cc != CURLE_OK) {
		/* libcurl's own words say which failure it was (which check of
		 * the certificate, which timeout); its code's string does not. */
		if (buf.overflow)
			snprintf(res->reason, sizeof(res->reason), "answer too large");
		else
			sms_copy(res->reason, sizeof(res->reason),
				 errbuf[0] != '\0' ? errbuf : curl.easy_strerror(cc));
		goto out;
	}
	rc = sms_telnyx_parse(status, buf.data != NULL ? buf.data : "", buf.len, res);
	goto out;
oom:
	snprintf(res->reason, sizeof(res->reason), "out of memory");
out:
	/* The handle stays, its connection open, but points at nothing of this send. */
	if (c != NULL)
		curl.easy_reset(c);
	for (h = headers; h != NULL; h = h->next)
		explicit_bzero(h->data, strlen(h->data));
	if (headers != NULL)
		curl.slist_free_all(headers);
	explicit_bzero(auth, sizeof(auth));
	explicit_bzero(errbuf, sizeof(errbuf));
	if (body != NULL) {
		explicit_bzero(body, strlen(body));
		cJSON_free(body);
	}
	sms_buf_clear(&buf);
	return rc;
}

static int
sms_outbox(const struct config *cfg, const char *to, const char *text, struct sms_result *res)
{
	cJSON *o = cJSON_CreateObject();
	char *line = NULL;
	size_t len = 0, off = 0;
	ssize_t n;
	int fd = -1, rc = -1;

	if (o == NULL)
		goto out;
	cJSON_AddStringToObject(o, "to", to);
	cJSON_AddStringToObject(o, "from", cfg->from_number != NULL ? cfg->from_number : "");
	cJSON_AddStringToObject(o, "text", text);
	if ((line = cJSON_PrintUnformatted(o)) == NULL)
		goto out;
	len = strlen(line);
	line[len] = '\n'; /* cJSON's buffer holds the NUL we replace */
	fd = open(cfg->outbox_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		snprintf(res->reason, sizeof(res->reason), "cannot open outbox: %s",
			 strerror(errno));
		goto out;
	}
	while (off < len + 1) {
		if ((n = write(fd, line + off, len + 1 - off)) < 0) {
			if (errno == EINTR)
				continue;
			snprintf(res->reason, sizeof(res->reason), "cannot write outbox: %s",
				 strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	snprintf(res->message_id, sizeof(res->message_id), "outbox");
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (line != NULL) {
		explicit_bzero(line, len + 1);
		cJSON_free(line);
	}
	cJSON_Delete(o);
	return rc;
}

int
sms_send(const struct config *cfg, const char *to, const char *text, struct sms_result *res)
{
	memset(res, 0, sizeof(*res));
	if (cfg->transport == TRANSPORT_OUTBOX)
		return sms_outbox(cfg, to, text, res);
	return sms_telnyx(cfg, to, text, res);
}
