/*
 * libFuzzer harness for the JWT parser (jwt.h): jwt_check() under a fixed
 * HS256 key and clock, jwt_phone_ok(), and jwt_jwks_read().  Each input
 * is tried three ways, so that mutations get past the signature:
 *
 *	1. as it is (the corpus holds real tokens made with jwt_make()
 *	   under KEY: a mutation must fail, or be the same claims);
 *	2. as the payload JSON, under {"alg":"HS256"}, signed here;
 *	3. as the header JSON, over a good payload, signed here (alg, kid,
 *	   typ, crit reach the key choice);
 *
 * and as a JWK Set, whose keys must each be Ed25519 with a kid.
 *
 * Checks on every success: why is NULL, the phone E.164, the vid an id,
 * verified_at within [NOW - MAX_AGE, NOW + JWT_SKEW], return_to at most
 * OTP_RETURN_MAX, every string terminated; jwt_make() of what was read
 * checks again to the same fields.  An input with alg other than HS256 in
 * its header never passes (the key decides the algorithm).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "code.h"
#include "jwt.h"
#include "phone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define KEY     "fuzz-signing-key-0123456789abcdef"
#define NOW     ((time_t)1800000000)
#define MAX_AGE 300L
#define ISS     "https://otp.example.com"
#define AUD     "https://app.example.com"

static const struct jwt_scope scope = {ISS, AUD, MAX_AGE};
static const struct jwt_key key = {.alg = JWT_HS256, .secret = KEY};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	stderr = fopen("/dev/null", "w"); /* fd 2 stays libFuzzer's */
	return 0;
}

static int
same(const struct assertion *a, const struct assertion *b)
{
	return !strcmp(a->phone, b->phone) && a->verified_at == b->verified_at &&
	       !strcmp(a->vid, b->vid) && !strcmp(a->return_to, b->return_to);
}

static int
terminated(const struct assertion *a)
{
	return memchr(a->phone, '\0', sizeof(a->phone)) != NULL &&
	       memchr(a->vid, '\0', sizeof(a->vid)) != NULL &&
	       memchr(a->return_to, '\0', sizeof(a->return_to)) != NULL;
}

/* jwt_check() on s, and the contracts. */
static void
check(const char *s)
{
	char again[ASSERTION_MAX + 1];
	struct assertion a, b;
	const char *why = "unset";

	memset(&a, 'X', sizeof(a));
	if (jwt_check(&key, 1, &scope, s, NOW, &a, &why) != 0) {
		if (why == NULL || why[0] == '\0' || a.phone[0] != '\0')
			abort();
		return;
	}
	if (why != NULL || !terminated(&a) || !phone_is_e164(a.phone) || !code_is_id(a.vid) ||
	    a.verified_at < NOW - MAX_AGE || a.verified_at > NOW + JWT_SKEW ||
	    strlen(a.return_to) > OTP_RETURN_MAX || strlen(s) > ASSERTION_MAX)
		abort();
	/* Made again from what was read: it checks to the same fields (a
	 * return_to of escapes may grow past ASSERTION_MAX: only then not). */
	if (jwt_make(&key, &scope, &a, again, sizeof(again)) != 0)
		return;
	if (jwt_check(&key, 1, &scope, again, a.verified_at, &b, &why) != 0 || !same(&a, &b))
		abort();
}

/* "<b64(h)>.<b64(p)>.<HMAC>" into out (room for it). */
static void
sign(const char *h, size_t hlen, const char *p, size_t plen, char *out, size_t size)
{
	unsigned char mac[OTP_MAC_LEN];
	size_t n;

	if (assertion_b64url((const unsigned char *)h, hlen, out, size) < 0)
		abort();
	n = strlen(out);
	out[n++] = '.';
	if (assertion_b64url((const unsigned char *)p, plen, out + n, size - n) < 0)
		abort();
	n = strlen(out);
	if (code_hmac(KEY, strlen(KEY), out, n, mac) < 0)
		abort();
	out[n++] = '.';
	if (assertion_b64url(mac, sizeof(mac), out + n, size - n) < 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	static const char payload[] =
	    "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"iat\":1800000000,\"exp\":1800000300,"
	    "\"jti\":\"00112233445566778899aabbccddeeff\",\"phone_number\":\"+12025550143\","
	    "\"phone_number_verified\":true}";
	size_t room = 2 * (4 * ((size + sizeof(payload) + 2) / 3) + 64);
	char *raw = malloc(size + 1), *s = malloc(room);
	struct jwt_key keys[JWT_KEYS_MAX];
	int n, i;

	if (raw == NULL || s == NULL)
		abort();
	memcpy(raw, data, size);
	raw[size] = '\0';

	/* 1. As it is; as a phone_jwt; as a JWK Set. */
	check(raw);
	(void)jwt_phone_ok(KEY, "+12025550143", raw, NOW);
	n = jwt_jwks_read(raw, size, keys, JWT_KEYS_MAX);
	if (n > JWT_KEYS_MAX)
		abort();
	for (i = 0; i < n; i++)
		if (keys[i].alg != JWT_EDDSA || keys[i].kid[0] == '\0' ||
		    memchr(keys[i].kid, '\0', sizeof(keys[i].kid)) == NULL)
			abort();

	/* 2. The payload, signed. */
	sign(header, strlen(header), raw, size, s, room);
	check(s);

	/* 3. The header, signed over a good payload: only HS256 may pass. */
	sign(raw, size, payload, strlen(payload), s, room);
	{
		struct assertion a;
		const char *why;

		cJSON *h;
		const cJSON *alg;

		if (jwt_check(&key, 1, &scope, s, NOW, &a, &why) == 0) {
			h = cJSON_ParseWithLength(raw, size);
			alg = cJSON_GetObjectItemCaseSensitive(h, "alg");
			if (!cJSON_IsString(alg) || strcmp(alg->valuestring, "HS256") != 0)
				abort();
			cJSON_Delete(h);
		}
	}

	free(raw);
	free(s);
	return 0;
}
