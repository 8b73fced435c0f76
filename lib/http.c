/*
 * A POST to a provider's API: {base}{path} with a JSON body and a bearer
 * key, through one libcurl handle set up in http_setup(): https only
 * (http only to loopback, for the tests' fake), certificates checked
 * (against CA_FILE when set), connect and total timeouts, no redirects.
 * The provider's words (its paths, its JSON, its error codes) are its own
 * file's (telnyx.c); this file knows HTTP only.
 *
 * The handle lives as long as the process, with libcurl's cache of
 * connections in it: a FastCGI process sends every code over the one
 * connection (and TLS handshake) it made first, where each CGI process
 * makes its own.  It is kept only for what its connections were made
 * under (the key, the base URL, the CA file and that file: http_conn_get());
 * between two posts it holds no option of the last one (curl_easy_reset():
 * no pointer to its headers, body or error buffer, which are wiped).
 *
 * libcurl is loaded with dlopen() when a message is sent, not linked:
 * with the dozen libraries it pulls in it costs about 4 ms at every start
 * of request.cgi, which the phone form and every refused request (most of
 * an SMS-pumping wave) would pay for nothing.  `make bench` measures it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <dlfcn.h>

#include <curl/curl.h>

#include "bounds.h"
#include "code.h"
#include "http.h"
#include "log.h"

#define HTTP_LIBCURL "libcurl.so.4" /* the SONAME since curl 7.16 */

_Static_assert(CURL_ERROR_SIZE <= sizeof(((struct http_answer *)0)->reason),
	       "libcurl's error buffer fits in a reason");

/* The libcurl functions this file uses, from http_curl_load(). */
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
http_sym(void *fn, const char *name)
{
	void *p = dlsym(curl.lib, name);

	/* POSIX guarantees a function pointer survives this round trip. */
	memcpy(fn, &p, sizeof(p));
	return p == NULL ? -1 : 0;
}

/* Load libcurl once.  Returns 0, or -1 with the reason in a. */
static int
http_curl_load(struct http_answer *a)
{
	if (curl.lib != NULL)
		return 0;
	if ((curl.lib = dlopen(HTTP_LIBCURL, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(a->reason, sizeof(a->reason), "cannot load %s: %s", HTTP_LIBCURL,
			 dlerror());
		return -1;
	}
	if (http_sym(&curl.global_init, "curl_global_init") < 0 ||
	    http_sym(&curl.easy_init, "curl_easy_init") < 0 ||
	    http_sym(&curl.easy_setopt, "curl_easy_setopt") < 0 ||
	    http_sym(&curl.easy_perform, "curl_easy_perform") < 0 ||
	    http_sym(&curl.easy_getinfo, "curl_easy_getinfo") < 0 ||
	    http_sym(&curl.easy_reset, "curl_easy_reset") < 0 ||
	    http_sym(&curl.easy_cleanup, "curl_easy_cleanup") < 0 ||
	    http_sym(&curl.easy_strerror, "curl_easy_strerror") < 0 ||
	    http_sym(&curl.slist_append, "curl_slist_append") < 0 ||
	    http_sym(&curl.slist_free_all, "curl_slist_free_all") < 0 ||
	    curl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(a->reason, sizeof(a->reason), "%s lacks a function", HTTP_LIBCURL);
		dlclose(curl.lib);
		curl.lib = NULL;
		return -1;
	}
	return 0;
}

/*
 * The handle of the process (NULL until the first post), and the
 * fingerprint of what its connections were made under (http_conn_key()).
 */
static struct {
	CURL *c;
	unsigned char made_under[OTP_MAC_LEN];
	int keyed; /* made_under is known */
} http_conn;

/*
 * What a connection is made under, as HMAC-SHA256 keyed with the bearer
 * key (no copy of the key is kept) of the base URL, the CA file and that
 * file's identity and mtime (replaced, it is read again).  0 or -1.
 */
static int
http_conn_key(const struct http_post *p, unsigned char key[OTP_MAC_LEN])
{
	const char *bearer = p->key != NULL ? p->key : "";
	char msg[OTP_CONFIG_LINE + 1024];
	struct stat st;
	int n, rc;

	memset(&st, 0, sizeof(st));
	if (p->ca_file != NULL && stat(p->ca_file, &st) < 0)
		memset(&st, 0, sizeof(st));
	n = snprintf(msg, sizeof(msg), "%s\n%s\n%ju %ju %jd %jd.%09ld", p->base,
		     p->ca_file != NULL ? p->ca_file : "", (uintmax_t)st.st_dev,
		     (uintmax_t)st.st_ino, (intmax_t)st.st_size, (intmax_t)st.st_mtim.tv_sec,
		     (long)st.st_mtim.tv_nsec);
	rc = n < 0 || (size_t)n >= sizeof(msg)
		 ? -1
		 : code_hmac(bearer, strlen(bearer), msg, (size_t)n, key);
	explicit_bzero(msg, sizeof(msg));
	return rc;
}

/* End the handle of the process and its connections. */
static void
http_conn_drop(void)
{
	if (http_conn.c != NULL)
		curl.easy_cleanup(http_conn.c);
	http_conn.c = NULL;
	http_conn.keyed = 0;
	explicit_bzero(http_conn.made_under, sizeof(http_conn.made_under));
}

/*
 * The handle for a post of p: the process's, when its connections were
 * made under the same key, base URL and CA file, else a new one (the old
 * one ended: a connection never outlives the config it was made for).
 * NULL when out of memory.
 */
static CURL *
http_conn_get(const struct http_post *p)
{
	unsigned char key[OTP_MAC_LEN] = {0};
	int keyed = http_conn_key(p, key) == 0;

	if (http_conn.c != NULL &&
	    (!keyed || !http_conn.keyed || !code_equal(key, http_conn.made_under, sizeof(key))))
		http_conn_drop();
	if (http_conn.c == NULL && (http_conn.c = curl.easy_init()) != NULL) {
		memcpy(http_conn.made_under, key, sizeof(key));
		http_conn.keyed = keyed;
	}
	explicit_bzero(key, sizeof(key));
	return http_conn.c;
}

/* What comes back, as it comes, up to OTP_SMS_REPLY_MAX. */
struct http_buf {
	char *data;
	size_t len;
	int overflow;
};

/* Wipe and free what b holds of an answer (the text, code and all, comes back in it). */
static void
http_buf_clear(struct http_buf *b)
{
	if (b->data != NULL) {
		explicit_bzero(b->data, b->len);
		free(b->data);
	}
	memset(b, 0, sizeof(*b));
}

static size_t
http_collect(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct http_buf *b = arg;
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

/* Milliseconds on a clock that does not jump. */
static long
http_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Every option of the one request, in one place, from libcurl's defaults
 * (the handle is the process's: nothing of the post before it stays).
 * ca_file (CA_FILE) is then the only trust, without the system's
 * directory; NULL: the system's bundle.  errbuf (CURL_ERROR_SIZE) gets
 * libcurl's words for a failure.  Returns 0 or -1.
 */
static int
http_setup(CURL *c, const char *url, const char *ca_file, struct curl_slist *headers,
	   const char *body, struct http_buf *buf, char *errbuf, long timeout_ms)
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
	    curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, http_collect) != CURLE_OK ||
	    curl.easy_setopt(c, CURLOPT_WRITEDATA, buf) != CURLE_OK ||
	    curl.easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK)
		return -1;
	errbuf[0] = '\0';
	return 0;
}

/*
 * Whether a failed attempt surely did not reach the provider's books and
 * may be tried again: no idempotency key, so a timeout is not retried.
 */
static int
http_retryable(CURLcode cc, long status)
{
	return cc == CURLE_COULDNT_CONNECT || (cc == CURLE_OK && (status == 429 || status == 503));
}

/* The request's headers into *headers (caller frees).  0, or -1 when out of memory. */
static int
http_headers(const char *auth, struct curl_slist **headers)
{
	static const char *const fixed[] = {"Content-Type: application/json",
					    "Accept: application/json"};
	struct curl_slist *h;
	size_t i;

	if ((h = curl.slist_append(*headers, auth)) == NULL)
		return -1;
	*headers = h;
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if ((h = curl.slist_append(*headers, fixed[i])) == NULL)
			return -1;
		*headers = h;
	}
	return 0;
}

enum http_result
http_post_json(const struct http_post *p, struct http_answer *a)
{
	struct curl_slist *headers = NULL, *h;
	struct http_buf buf = {NULL, 0, 0};
	char url[600], auth[1024], errbuf[CURL_ERROR_SIZE] = "";
	long start = http_now_ms(), left, status = 0;
	enum http_result rc = HTTP_UNTRIED;
	CURLcode cc = CURLE_OK;
	CURL *c = NULL;
	int try;

	memset(a, 0, sizeof(*a));
	if ((size_t)snprintf(url, sizeof(url), "%s%s", p->base, p->path) >= sizeof(url) ||
	    (size_t)snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
			     p->key != NULL ? p->key : "") >= sizeof(auth)) {
		snprintf(a->reason, sizeof(a->reason), "API_BASE_URL or API_KEY too long");
		goto out;
	}
	if (http_curl_load(a) < 0)
		goto out;
	if ((c = http_conn_get(p)) == NULL || http_headers(auth, &headers) < 0)
		goto oom;

	for (try = 0; try < 2; try++) {
		left = OTP_SMS_TOTAL_MS - (http_now_ms() - start);
		if (try > 0) {
			/* A second try only with time for it: the visitor is waiting. */
			if (!http_retryable(cc, status) || left < OTP_SMS_TOTAL_MS / 2)
				break;
			usleep(500 * 1000);
			left -= 500;
		}
		http_buf_clear(&buf);
		status = 0;
		if (http_setup(c, url, p->ca_file, headers, p->body, &buf, errbuf, left) < 0) {
			snprintf(a->reason, sizeof(a->reason), "cannot set up libcurl");
			goto out;
		}
		cc = curl.easy_perform(c);
		if (cc == CURLE_OK)
			curl.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	}
	a->status = status;
	if (cc != CURLE_OK) {
		/* libcurl's own words say which failure it was (which check of
		 * the certificate, which timeout); its code's string does not. */
		rc = HTTP_NO_ANSWER;
		if (buf.overflow)
			snprintf(a->reason, sizeof(a->reason), "answer too large");
		else
			snprintf(a->reason, sizeof(a->reason), "%s",
				 errbuf[0] != '\0' ? errbuf : curl.easy_strerror(cc));
		goto out;
	}
	/* The answer is the caller's now, to read and then to wipe. */
	rc = HTTP_ANSWERED;
	a->body = buf.data;
	a->len = buf.len;
	memset(&buf, 0, sizeof(buf));
	goto out;
oom:
	snprintf(a->reason, sizeof(a->reason), "out of memory");
out:
	/* The handle stays, its connection open, but points at nothing of this post. */
	if (c != NULL)
		curl.easy_reset(c);
	for (h = headers; h != NULL; h = h->next)
		explicit_bzero(h->data, strlen(h->data));
	if (headers != NULL)
		curl.slist_free_all(headers);
	explicit_bzero(auth, sizeof(auth));
	explicit_bzero(errbuf, sizeof(errbuf));
	http_buf_clear(&buf);
	return rc;
}

void
http_answer_free(struct http_answer *a)
{
	if (a->body != NULL) {
		explicit_bzero(a->body, a->len);
		free(a->body);
	}
	a->body = NULL;
	a->len = 0;
}
