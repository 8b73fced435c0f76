/*
 * libFuzzer harness for the assertions a site reads from the visitor's
 * browser: assertion_check() under a fixed key and a fixed clock.  Each
 * input is tried three ways, so that mutations get past the MAC:
 *
 *	1. as it is (the corpus holds real assertions made with
 *	   assertion_make() under KEY: a mutation must fail);
 *	2. as the payload JSON, encoded and signed here with KEY;
 *	3. as the signed part ("v1.<payload64>", up to the last '.'),
 *	   signed here with KEY, so that odd base64 reaches the decoder.
 *
 * Checks on every success: the phone is E.164, the vid an id, verified_at
 * within [NOW - MAX_AGE, NOW + 60], return_to at most OTP_RETURN_MAX, why
 * is NULL, and each is what the payload says, read by the harness (no
 * string cut, no fraction of a second dropped); assertion_make() of what was read checks again to
 *the same fields, and for an input taken as it is, gives back the same string (only one spelling of
 *an assertion passes).  A failure says why.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "assertion.h"
#include "code.h"
#include "phone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define KEY     "fuzz-signing-key-0123456789abcdef"
#define NOW     ((time_t)1800000000)
#define MAX_AGE 300L

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	stderr = fopen("/dev/null", "w"); /* fd 2 stays libFuzzer's */
	return 0;
}

/* base64url without padding of in (len bytes) at out, which holds
 * 4 * ((len + 2) / 3) + 1 bytes; returns the end of what was written. */
static char *
b64url(const unsigned char *in, size_t len, char *out)
{
	size_t n = (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)len), i;

	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (i = 0; i < n; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	return out + n;
}

/* Append "." and the base64url MAC of s under KEY to s (room for 45 more). */
static void
sign(char *s)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	size_t len = strlen(s);

	if (HMAC(EVP_sha256(), KEY, (int)strlen(KEY), (unsigned char *)s, len, mac, &n) == NULL ||
	    n != OTP_MAC_LEN)
		abort();
	s[len] = '.';
	b64url(mac, n, s + len + 1);
}

/*
 * Whether a holds what the payload of s says, read here on its own: each
 * string whole (none cut to fit), verified_at the very number.
 */
static int
as_signed(const char *s, const struct assertion *a)
{
	const char *p = s + 3, *dot = strchr(p, '.');
	size_t len = (size_t)(dot - p), pad = (4 - len % 4) % 4, i;
	char *b64 = malloc(len + pad + 1);
	unsigned char *json = malloc(len + pad + 1);
	const cJSON *phone, *at, *vid, *ret;
	cJSON *o;
	int n, ok;

	if (b64 == NULL || json == NULL)
		abort();
	for (i = 0; i < len; i++)
		b64[i] = p[i] == '-' ? '+' : p[i] == '_' ? '/' : p[i];
	memset(b64 + len, '=', pad);
	b64[len + pad] = '\0';
	n = EVP_DecodeBlock(json, (unsigned char *)b64, (int)(len + pad));
	if (n < (int)pad)
		abort(); /* assertion_check() read it */
	o = cJSON_ParseWithLength((char *)json, (size_t)n - pad);
	phone = cJSON_GetObjectItemCaseSensitive(o, "phone");
	at = cJSON_GetObjectItemCaseSensitive(o, "verified_at");
	vid = cJSON_GetObjectItemCaseSensitive(o, "vid");
	ret = cJSON_GetObjectItemCaseSensitive(o, "return_to");
	ok = cJSON_IsString(phone) && !strcmp(phone->valuestring, a->phone) && cJSON_IsNumber(at) &&
	     at->valuedouble == (double)a->verified_at && cJSON_IsString(vid) &&
	     !strcmp(vid->valuestring, a->vid) &&
	     (ret == NULL ? a->return_to[0] == '\0'
			  : cJSON_IsString(ret) && !strcmp(ret->valuestring, a->return_to));
	cJSON_Delete(o);
	free(b64);
	free(json);
	return ok;
}

static int
same(const struct assertion *a, const struct assertion *b)
{
	return !strcmp(a->phone, b->phone) && a->verified_at == b->verified_at &&
	       !strcmp(a->vid, b->vid) && !strcmp(a->return_to, b->return_to);
}

/* Whether each string of a ends within its array. */
static int
terminated(const struct assertion *a)
{
	return memchr(a->phone, '\0', sizeof(a->phone)) != NULL &&
	       memchr(a->vid, '\0', sizeof(a->vid)) != NULL &&
	       memchr(a->return_to, '\0', sizeof(a->return_to)) != NULL;
}

/* assertion_check() on s, and the contracts.  exact: s came from outside
 * the harness, and a success must be the one spelling of what it holds. */
static void
check(const char *s, int exact)
{
	char again[ASSERTION_MAX + 1], sig[2 * OTP_MAC_LEN + 1];
	struct assertion a, b;
	const char *why = "unset";

	memset(&a, 'X', sizeof(a));
	if (assertion_check(KEY, s, NOW, MAX_AGE, &a, &why) != 0) {
		if (why == NULL || why[0] == '\0')
			abort();
		return;
	}
	if (why != NULL || !terminated(&a) || !phone_is_e164(a.phone) || !code_is_id(a.vid) ||
	    a.verified_at < NOW - MAX_AGE || a.verified_at > NOW + 60 ||
	    strlen(a.return_to) > OTP_RETURN_MAX || !as_signed(s, &a))
		abort();
	if (assertion_make(KEY, &a, again, sizeof(again)) != 0) {
		/* Only the key holder can sign a payload whose fields grow
		 * past ASSERTION_MAX when written again (escapes). */
		if (exact)
			abort();
		return;
	}
	if (exact && strcmp(again, s) != 0)
		abort();
	if (assertion_check(KEY, again, NOW, MAX_AGE, &b, &why) != 0 || !same(&a, &b))
		abort();
	/* The number read signs and checks as a phone_sig; one digit off does not. */
	if (assertion_phone_sig(KEY, a.phone, sig) != 0 ||
	    !assertion_phone_sig_ok(KEY, a.phone, sig))
		abort();
	sig[0] = sig[0] == '0' ? '1' : '0';
	if (assertion_phone_sig_ok(KEY, a.phone, sig))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Room for the input base64-encoded behind "v1.", and a MAC. */
	size_t room = 3 + 4 * ((size + 2) / 3) + 1 + 1 + 4 * ((OTP_MAC_LEN + 2) / 3) + 1;
	char *raw = malloc(size + 1), *s = malloc(room), *dot;

	if (raw == NULL || s == NULL)
		abort();
	memcpy(raw, data, size);
	raw[size] = '\0';

	/* 1. As it is. */
	check(raw, 1);

	/* 2. The payload, signed. */
	memcpy(s, "v1.", 3);
	b64url(data, size, s + 3);
	sign(s);
	check(s, 0);

	/* 3. The signed part, signed: raw up to its last '.', if any. */
	memcpy(s, raw, size + 1);
	if ((dot = strrchr(s, '.')) != NULL && dot - s > 3)
		*dot = '\0';
	sign(s);
	check(s, 0);

	free(raw);
	free(s);
	return 0;
}
