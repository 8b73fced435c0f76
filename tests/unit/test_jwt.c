/*
 * Proves the JWT assertion (jwt.h) and its Ed25519 keys (eddsa.h): what
 * jwt_make() writes, jwt_check() reads back, HS256 and EdDSA; RFC 8037's
 * own thumbprint and signature vectors; and each token a careless
 * verifier would take is refused, with its reason: alg none, an HS256
 * token whose secret is the public key (algorithm confusion), an unknown
 * kid, a tampered header or payload, exp past, iat ahead beyond the skew,
 * a wrong aud or iss, a token over ASSERTION_MAX.  Key files: missing,
 * open to group or others, not a file, not Ed25519, not PEM are refused
 * with a reason that names no key material.  phone_jwt and the JWK Set
 * round trip.
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

#include "code.h"
#include "eddsa.h"
#include "jwt.h"
#include "unit.h"

#define KEY   "unit-signing-key-0123456789abcdef"
#define NOW   ((time_t)1800000000)
#define PHONE "+12025550143"
#define VID   "00112233445566778899aabbccddeeff"
#define ISS   "https://otp.example.com"
#define AUD   "https://app.example.com"

static const struct jwt_scope scope = {ISS, AUD, 300};

/* A P-256 key and an X25519 key: PEM private keys that are not Ed25519. */
static const char p256_pem[] = "-----BEGIN PRIVATE KEY-----\n"
			       "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg45pxqUJwvJrTqx2n\n"
			       "ZyWugO6qUKyJtyEO5Hm2nF4rXsWhRANCAATNnGnbWlx81vnYaS0VjwXCeqzfyP22\n"
			       "Wi/eWMU69yDQTLzLxbU/nopGFCJQ7xmbiEcQ3Vmt4RObUQD8yNPYcsU0\n"
			       "-----END PRIVATE KEY-----\n";
static const char x25519_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VuBCIEIHj5wwt373LWga7nUAfM6ONqv9wXgF1qD7VxyqnDf61h\n"
    "-----END PRIVATE KEY-----\n";

static void
assertion_of(struct assertion *a, time_t at, const char *return_to)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->phone, sizeof(a->phone), "%s", PHONE);
	snprintf(a->vid, sizeof(a->vid), "%s", VID);
	snprintf(a->return_to, sizeof(a->return_to), "%s", return_to);
	a->verified_at = at;
}

/* A fresh Ed25519 key in a scratch directory; its path into path. */
static void
new_key(struct eddsa_key *k, char *path, size_t size, const char *name)
{
	static char dir[] = "/tmp/otp-jwt-XXXXXX";
	char why[256];

	if (dir[strlen(dir) - 1] == 'X')
		assert_non_null(mkdtemp(dir));
	snprintf(path, size, "%s/%s", dir, name);
	unlink(path);
	assert_int_equal(eddsa_generate(path, k, why, sizeof(why)), 0);
}

/* The checking side of an Ed25519 key. */
static struct jwt_key
public_of(const struct eddsa_key *k)
{
	struct jwt_key c = {.alg = JWT_EDDSA};

	memcpy(c.pub, k->pub, EDDSA_PUB_LEN);
	snprintf(c.kid, sizeof(c.kid), "%s", k->kid);
	return c;
}

/* "<b64(header)>.<b64(payload)>" signed with HMAC-SHA256 under secret
 * (slen bytes), or with the signature sig when secret is NULL. */
static void
craft(const char *header, const char *payload, const void *secret, size_t slen, const char *sig,
      char *out, size_t size)
{
	unsigned char mac[OTP_MAC_LEN];
	size_t n;

	assert_int_equal(assertion_b64url((const unsigned char *)header, strlen(header), out, size),
			 0);
	n = strlen(out);
	out[n++] = '.';
	assert_int_equal(
	    assertion_b64url((const unsigned char *)payload, strlen(payload), out + n, size - n),
	    0);
	n = strlen(out);
	out[n++] = '.';
	out[n] = '\0';
	if (secret == NULL) {
		snprintf(out + n, size - n, "%s", sig);
		return;
	}
	assert_int_equal(code_hmac(secret, slen, out, n - 1, mac), 0);
	assert_int_equal(assertion_b64url(mac, sizeof(mac), out + n, size - n), 0);
}

/* A payload as jwt_make() writes one, issued at iat. */
static void
payload_at(time_t iat, const char *aud, char *out, size_t size)
{
	snprintf(out, size,
		 "{\"iss\":\"" ISS "\",\"aud\":%s,\"iat\":%lld,\"exp\":%lld,\"jti\":\"" VID
		 "\",\"phone_number\":\"" PHONE "\",\"phone_number_verified\":true}",
		 aud, (long long)iat, (long long)iat + 300);
}

static void
test_hs256_round_trip(void **state)
{
	struct jwt_key k = {.alg = JWT_HS256, .secret = KEY};
	char tok[ASSERTION_MAX + 1];
	struct assertion a, b;
	const char *why;

	(void)state;
	assertion_of(&a, NOW - 10, "/account/done?state=abc");
	assert_int_equal(jwt_make(&k, &scope, &a, tok, sizeof(tok)), 0);
	assert_int_equal(strncmp(tok, "eyJ", 3), 0);
	assert_int_equal(jwt_check(&k, 1, &scope, tok, NOW, &b, &why), 0);
	assert_null(why);
	assert_string_equal(b.phone, PHONE);
	assert_string_equal(b.vid, VID);
	assert_string_equal(b.return_to, "/account/done?state=abc");
	assert_int_equal(b.verified_at, NOW - 10);
	/* Another secret: refused. */
	k.secret = "another-signing-key-0123456789";
	assert_int_equal(jwt_check(&k, 1, &scope, tok, NOW, &b, &why), -1);
	assert_string_equal(why, "bad signature");
	assert_string_equal(b.phone, "");
}

static void
test_eddsa_round_trip(void **state)
{
	struct eddsa_key ed, again;
	struct jwt_key k = {.alg = JWT_EDDSA}, c;
	char path[256], why[256], tok[ASSERTION_MAX + 1];
	struct assertion a, b;
	const char *w;
	struct stat st;

	(void)state;
	new_key(&ed, path, sizeof(path), "ed.pem");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(strlen(ed.kid), EDDSA_KID_LEN);
	/* Loaded from its file: the same key. */
	assert_int_equal(eddsa_load(path, &again, why, sizeof(why)), 0);
	assert_memory_equal(again.pub, ed.pub, EDDSA_PUB_LEN);
	assert_string_equal(again.kid, ed.kid);
	k.priv = &again;
	snprintf(k.kid, sizeof(k.kid), "%s", again.kid);
	assertion_of(&a, NOW, "");
	assert_int_equal(jwt_make(&k, &scope, &a, tok, sizeof(tok)), 0);
	c = public_of(&ed);
	assert_int_equal(jwt_check(&c, 1, &scope, tok, NOW + 5, &b, &w), 0);
	assert_string_equal(b.phone, PHONE);
	assert_string_equal(b.return_to, "");
	eddsa_free(&again);
	/* The file exists: keygen never overwrites it. */
	assert_int_equal(eddsa_generate(path, &again, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "cannot create"));
	eddsa_free(&ed);
}

/* RFC 8037 A.3 (thumbprint) and A.4 (a signature of "Example of Ed25519 signing"). */
static void
test_rfc8037_vectors(void **state)
{
	const char *x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
	const char *signing = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
	const char *sig = "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7"
			  "sVvpAr_MuM0KAg";
	unsigned char pub[EDDSA_PUB_LEN + 3], s[EDDSA_SIG_LEN + 3];
	char kid[EDDSA_KID_LEN + 1];

	(void)state;
	assert_int_equal(assertion_unb64url(x, strlen(x), pub, sizeof(pub)), EDDSA_PUB_LEN);
	assert_int_equal(eddsa_kid(pub, kid), 0);
	assert_string_equal(kid, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
	assert_int_equal(assertion_unb64url(sig, strlen(sig), s, sizeof(s)), EDDSA_SIG_LEN);
	assert_int_equal(eddsa_verify(pub, signing, strlen(signing), s), 1);
	s[10] ^= 1;
	assert_int_equal(eddsa_verify(pub, signing, strlen(signing), s), 0);
}

static void
test_alg_none(void **state)
{
	struct jwt_key k = {.alg = JWT_HS256, .secret = KEY};
	char payload[512], tok[ASSERTION_MAX + 1];
	struct assertion b;
	const char *why;

	(void)state;
	payload_at(NOW, "\"" AUD "\"", payload, sizeof(payload));
	/* The crafted payload passes when signed properly... */
	craft("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload, KEY, strlen(KEY), NULL, tok,
	      sizeof(tok));
	assert_int_equal(jwt_check(&k, 1, &scope, tok, NOW, &b, &why), 0);
	/* ... and unsigned, never: no signature, or any. */
	craft("{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, NULL, 0, "", tok, sizeof(tok));
	assert_int_equal(jwt_check(&k, 1, &scope, tok, NOW, &b, &why), -1);
	craft("{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, NULL, 0, "AAAA", tok, sizeof(tok));
	assert_int_equal(jwt_check(&k, 1, &scope, tok, NOW, &b, &why), -1);
	assert_string_equal(why, "unsigned (alg none)");
	craft("{\"alg\":\"None\"}", payload, KEY, strlen(KEY), NULL, tok, sizeof(tok));
	assert_int_equal(jwt_check(&k, 1, &scope, tok, NOW, &b, &why), -1);
	assert_string_equal(why, "algorithm not accepted");
}

/* An HS256 token whose HMAC secret is the public key, as raw bytes, as its
 * base64url x, and as the JWK's text: a checker holding the public key
 * takes none of them. */
static void
test_algorithm_confusion(void **state)
{
	struct eddsa_key ed;
	struct jwt_key c;
	char path[256], payload[512], header[128], x[64], jwk[256], tok[ASSERTION_MAX + 1];
	struct assertion b;
	const char *why;

	(void)state;
	new_key(&ed, path, sizeof(path), "confusion.pem");
	c = public_of(&ed);
	payload_at(NOW, "\"" AUD "\"", payload, sizeof(payload));
	snprintf(header, sizeof(header), "{\"alg\":\"HS256\",\"kid\":\"%s\",\"typ\":\"JWT\"}",
		 ed.kid);
	assert_int_equal(assertion_b64url(ed.pub, EDDSA_PUB_LEN, x, sizeof(x)), 0);
	snprintf(jwk, sizeof(jwk), "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", x);
	craft(header, payload, ed.pub, EDDSA_PUB_LEN, NULL, tok, sizeof(tok));
	assert_int_equal(jwt_check(&c, 1, &scope, tok, NOW, &b, &why), -1);
	assert_string_equal(why, "algorithm not accepted");
	craft(header, payload, x, strlen(x), NULL, tok, sizeof(tok));
	assert_int_equal(jwt_check(&c, 1, &scope, tok, NOW, &b, &why), -1);
	craft(header, payload, jwk, strlen(jwk), NULL, tok, sizeof(tok));
	assert_int_equal(jwt_check(&c, 1, &scope, tok, NOW, &b, &why), -1);
	assert_string_equal(b.phone, "");
	eddsa_free(&ed);
}

static void
test_unknown_kid(void **state)
{
	struct eddsa_key ed, other;
	struct jwt_key k = {.alg = JWT_EDDSA}, c;
	char path[256], tok[ASSERTION_MAX + 1];
	struct assertion a, b;
	const char *why;

	(void)state;
	new_key(&ed, path, sizeof(path), "kid1.pem");
	new_key(&other, path, sizeof(path), "kid2.pem");
	k.priv = &ed;
	snprintf(k.kid, sizeof(k.kid), "%s", ed.kid);
	assertion_of(&a, NOW, "");
	assert_int_equal(jwt_make(&k, &scope, &a, tok, sizeof(tok)), 0);
	c = public_of(&other);
	assert_int_equal(jwt_check(&c, 1, &scope, tok, NOW, &b, &why), -1);
	assert_string_equal(why, "unknown kid");
	/* The other key under ed's kid: the signature fails. */
	snprintf(c.kid, sizeof(c.kid), "%s", ed.kid);
	assert_int_equal(jwt_check(&c, 1, &scope, tok, NOW, &b, &why), -1);
	assert_string_equal(why, "bad signature");
	/* A rotation: both keys held, the token's found by its kid. */
	{
		struct jwt_key both[2] = {public_of(&other), public_of(&ed)};

		assert_int_equal(jwt_check(both, 2, &scope, tok, NOW, &b, &why), 0);
	}
	eddsa_free(&ed);
	eddsa_free(&other);
}

static void
test_tampered(void **state)
{
	struct jwt_key k = {.alg = JWT_HS256, .secret = KEY};
	char tok[ASSERTION_MAX + 1], t2[ASSERTION_MAX + 1], payload[512], h64[128];
	struct assertion a, b;
	const char *why, *d1, *d2;

	(void)state;
	assertion_of(&a, NOW, "");
	assert_int_equal(jwt_make(&k, &scope, &a, tok, sizeof(tok)), 0);
	d1 = strchr(tok, '.');
	d2 = strchr(d1 + 1, '.');
	/* Another payload under the same header and signature. */
	payload_at(NOW, "\"" AUD "\"", payload, sizeof(payload));
	*strstr(payload, "0143") = '9';
	assert_int_equal(
	    assertion_b64url((unsigned char *)payload, strlen(payload), t2 + (d1 - tok) + 1, 1024),
	    0);
	memcpy(t2, tok, (size_t)(d1 - tok) + 1);
	snprintf(t2 + strlen(t2), sizeof(t2) - strlen(t2), "%s", d2);
	assert_int_equal(jwt_check(&k, 1, &scope, t2, NOW, &b, &why), -1);
	assert_string_equal(why, "bad signature");
	/* Another header (a kid added) under the same payload and signature. */
	assert_int_equal(
	    assertion_b64url((const unsigned char *)"{\"alg\":\"HS256\",\"kid\":\"x\"}", 25, h64,
			     sizeof(h64)),
	    0);
	snprintf(t2, sizeof(t2), "%s%s", h64, d1);
	assert_int_equal(jwt_check(&k, 1, &scope, t2, NOW, &b, &why), -1);
	assert_string_equal(why, "bad signature");
	/* One character of the signature. */
	snprintf(t2, sizeof(t2), "%s", tok);
	t2[strlen(t2) - 5] = t2[strlen(t2) - 5] == 'A' ? 'B' : 'A';
	assert_int_equal(jwt_check(&k, 1, &scope, t2, NOW, &b, &why), -1);
	/* Parts missing or extra. */
	snprintf(t2, sizeof(t2), "%.*s", (int)(d2 - tok), tok);
	assert_int_equal(jwt_check(&k, 1, &scope, t2, NOW, &b, &why), -1);
	memcpy(t2, tok, strlen(tok));
	memcpy(t2 + strlen(tok), ".", 2);
	assert_int_equal(jwt_check(&k, 1, &scope, t2, NOW, &b, &why), -1);
	assert_int_equal(jwt_check(&k, 1, &scope, "", NOW, &b, &why), -1);
	assert_int_equal(jwt_check(&k, 1, &scope, NULL, NOW, &b, &why), -1);
}

static void
test_times(void **state)
{
	struct jwt_key k = {.alg = JWT_HS256, .secret = KEY};
	char tok[ASSERTION_MAX + 1];
	struct assertion a, b;
	const char *why;

	(void)state;
	assertion_of(&a, NOW, "");
	assert_int_equal(jwt_make(&k, &scope, &a, tok, sizeof(tok)), 0);
	/* exp is iat + 300: good up to its last second, not at it. */
	assert_int_equal(jwt_check(&k, 1, &scope, tok, NOW + 299, &b, &why), 0);
	assert_int_equal(jwt_check(&k, 1, &scope, tok, NOW + 300, &b, &why), -1);
	assert_string_equal(why, "expired");
	/* A checker's own max age, shorter than exp, holds too. */
	{
		struct jwt_scope short_age = {ISS, AUD, 60};

		assert_int_equal(jwt_check(&k, 1, &short_age, tok, NOW + 61, &b, &why), -1);
		assert_string_equal(why, "expired");
	}
	/* iat ahead of the clock: within JWT_SKEW, and beyond. */
	assert_int_equal(jwt_check(&k, 1, &scope, tok, NOW - JWT_SKEW, &b, &why), 0);
	assert_int_equal(jwt_check(&k, 1, &scope, tok, NOW - JWT_SKEW - 1, &b, &why), -1);
	assert_string_equal(why, "from the future");
}

static void
test_audience_issuer(void **state)
{
	struct jwt_key k = {.alg = JWT_HS256, .secret = KEY};
	struct jwt_scope other_aud = {ISS, "https://evil.example", 300};
	struct jwt_scope other_iss = {"https://evil.example", AUD, 300};
	char tok[ASSERTION_MAX + 1], payload[512];
	struct assertion a, b;
	const char *why;

	(void)state;
	assertion_of(&a, NOW, "");
	assert_int_equal(jwt_make(&k, &scope, &a, tok, sizeof(tok)), 0);
	assert_int_equal(jwt_check(&k, 1, &other_aud, tok, NOW, &b, &why), -1);
	assert_string_equal(why, "wrong audience");
	assert_int_equal(jwt_check(&k, 1, &other_iss, tok, NOW, &b, &why), -1);
	assert_string_equal(why, "wrong issuer");
	/* An aud list that holds ours passes; one that does not, and none, fail. */
	payload_at(NOW, "[\"https://x.example\",\"" AUD "\"]", payload, sizeof(payload));
	craft("{\"alg\":\"HS256\"}", payload, KEY, strlen(KEY), NULL, tok, sizeof(tok));
	assert_int_equal(jwt_check(&k, 1, &scope, tok, NOW, &b, &why), 0);
	payload_at(NOW, "[\"https://x.example\"]", payload, sizeof(payload));
	craft("{\"alg\":\"HS256\"}", payload, KEY, strlen(KEY), NULL, tok, sizeof(tok));
	assert_int_equal(jwt_check(&k, 1, &scope, tok, NOW, &b, &why), -1);
	payload_at(NOW, "null", payload, sizeof(payload));
	craft("{\"alg\":\"HS256\"}", payload, KEY, strlen(KEY), NULL, tok, sizeof(tok));
	assert_int_equal(jwt_check(&k, 1, &scope, tok, NOW, &b, &why), -1);
	assert_string_equal(why, "wrong audience");
	/* crit: an extension nobody here knows. */
	payload_at(NOW, "\"" AUD "\"", payload, sizeof(payload));
	craft("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", payload, KEY, strlen(KEY), NULL, tok,
	      sizeof(tok));
	assert_int_equal(jwt_check(&k, 1, &scope, tok, NOW, &b, &why), -1);
	assert_string_equal(why, "unsupported crit header");
}

static void
test_too_large(void **state)
{
	struct jwt_key k = {.alg = JWT_HS256, .secret = KEY};
	char *payload = malloc(ASSERTION_MAX + 512), *tok = malloc(2 * ASSERTION_MAX + 1024);
	struct assertion b;
	const char *why;
	int n;

	(void)state;
	assert_non_null(payload);
	assert_non_null(tok);
	/* A well-signed token with a claim that takes it past ASSERTION_MAX. */
	n = snprintf(payload, ASSERTION_MAX + 512,
		     "{\"iss\":\"" ISS "\",\"aud\":\"" AUD
		     "\",\"iat\":%lld,\"exp\":%lld,\"jti\":\"" VID "\",\"phone_number\":\"" PHONE
		     "\",\"phone_number_verified\":true,\"pad\":\"",
		     (long long)NOW, (long long)NOW + 300);
	memset(payload + n, 'a', ASSERTION_MAX - 200);
	memcpy(payload + n + ASSERTION_MAX - 200, "\"}", 3);
	craft("{\"alg\":\"HS256\"}", payload, KEY, strlen(KEY), NULL, tok,
	      2 * ASSERTION_MAX + 1024);
	assert_true(strlen(tok) > ASSERTION_MAX);
	assert_int_equal(jwt_check(&k, 1, &scope, tok, NOW, &b, &why), -1);
	assert_string_equal(why, "too large");
	free(payload);
	free(tok);
}

/* Write text to path with mode. */
static void
put(const char *path, const char *text, mode_t mode)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void
test_key_files(void **state)
{
	struct eddsa_key ed, k;
	char path[512], dir[256], why[512];
	char *log;

	(void)state;
	new_key(&ed, path, sizeof(path), "files.pem");
	snprintf(dir, sizeof(dir), "%.200s", path);
	*strrchr(dir, '/') = '\0';
	/* Open to the group, to others: refused, the mode named. */
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(eddsa_load(path, &k, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "open to group or others (mode 0640)"));
	assert_int_equal(chmod(path, 0604), 0);
	assert_int_equal(eddsa_load(path, &k, why, sizeof(why)), -1);
	assert_null(k.pkey);
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(eddsa_load(path, &k, why, sizeof(why)), 0);
	eddsa_free(&k);
	/* Missing; a directory; not PEM; another kind of key. */
	snprintf(path, sizeof(path), "%s/none.pem", dir);
	assert_int_equal(eddsa_load(path, &k, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "cannot open"));
	assert_int_equal(eddsa_load(dir, &k, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "not a regular file"));
	snprintf(path, sizeof(path), "%s/garbage.pem", dir);
	put(path, "not a key\n", 0600);
	unit_cap_begin();
	assert_int_equal(eddsa_load(path, &k, why, sizeof(why)), -1);
	log = unit_cap_end();
	assert_non_null(strstr(why, "holds no PEM private key"));
	free(log);
	snprintf(path, sizeof(path), "%s/p256.pem", dir);
	put(path, p256_pem, 0600);
	assert_int_equal(eddsa_load(path, &k, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "is not an Ed25519 key"));
	/* The reason names the file, never its bytes. */
	assert_null(strstr(why, "MIGHAgEA"));
	snprintf(path, sizeof(path), "%s/x25519.pem", dir);
	put(path, x25519_pem, 0600);
	assert_int_equal(eddsa_load(path, &k, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "is not an Ed25519 key"));
	snprintf(path, sizeof(path), "%s/empty.pem", dir);
	put(path, "", 0600);
	assert_int_equal(eddsa_load(path, &k, why, sizeof(why)), -1);
	eddsa_free(&ed);
}

static void
test_phone_jwt(void **state)
{
	char tok[ASSERTION_MAX + 1];

	(void)state;
	assert_int_equal(jwt_phone_make(KEY, PHONE, 0, tok, sizeof(tok)), 0);
	assert_true(jwt_phone_ok(KEY, PHONE, tok, NOW));
	assert_false(jwt_phone_ok(KEY, "+12025550144", tok, NOW));
	assert_false(jwt_phone_ok("another-key-0123456789", PHONE, tok, NOW));
	assert_int_equal(jwt_phone_make(KEY, PHONE, NOW + 60, tok, sizeof(tok)), 0);
	assert_true(jwt_phone_ok(KEY, PHONE, tok, NOW + 59));
	assert_false(jwt_phone_ok(KEY, PHONE, tok, NOW + 60));
	craft("{\"alg\":\"none\"}", "{\"phone_number\":\"" PHONE "\"}", NULL, 0, "", tok,
	      sizeof(tok));
	assert_false(jwt_phone_ok(KEY, PHONE, tok, NOW));
	craft("{\"alg\":\"HS256\"}", "{\"phone_number\":\"" PHONE "\"}", KEY, strlen(KEY), NULL,
	      tok, sizeof(tok));
	assert_true(jwt_phone_ok(KEY, PHONE, tok, NOW));
}

static void
test_jwks(void **state)
{
	struct eddsa_key ed[2];
	struct jwt_key keys[JWT_KEYS_MAX];
	char path[256], *set, *one;

	(void)state;
	new_key(&ed[0], path, sizeof(path), "set1.pem");
	new_key(&ed[1], path, sizeof(path), "set2.pem");
	set = jwt_jwks(ed, 2, 0);
	assert_non_null(set);
	assert_non_null(strstr(set, "\"keys\""));
	assert_null(strstr(set, "\"d\""));
	assert_int_equal(jwt_jwks_read(set, strlen(set), keys, JWT_KEYS_MAX), 2);
	assert_memory_equal(keys[0].pub, ed[0].pub, EDDSA_PUB_LEN);
	assert_string_equal(keys[1].kid, ed[1].kid);
	assert_int_equal(keys[1].alg, JWT_EDDSA);
	/* At most max read. */
	assert_int_equal(jwt_jwks_read(set, strlen(set), keys, 1), 1);
	one = jwt_jwks(ed, 1, 1);
	assert_non_null(one);
	assert_null(strstr(one, "\"keys\""));
	assert_non_null(strstr(one, ed[0].kid));
	assert_int_equal(jwt_jwks_read(one, strlen(one), keys, JWT_KEYS_MAX), -1);
	assert_int_equal(jwt_jwks_read("{\"keys\":[{\"kty\":\"RSA\"}]}", 24, keys, JWT_KEYS_MAX),
			 0);
	free(set);
	free(one);
	eddsa_free(&ed[0]);
	eddsa_free(&ed[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hs256_round_trip),
	    cmocka_unit_test(test_eddsa_round_trip),
	    cmocka_unit_test(test_rfc8037_vectors),
	    cmocka_unit_test(test_alg_none),
	    cmocka_unit_test(test_algorithm_confusion),
	    cmocka_unit_test(test_unknown_kid),
	    cmocka_unit_test(test_tampered),
	    cmocka_unit_test(test_times),
	    cmocka_unit_test(test_audience_issuer),
	    cmocka_unit_test(test_too_large),
	    cmocka_unit_test(test_key_files),
	    cmocka_unit_test(test_phone_jwt),
	    cmocka_unit_test(test_jwks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
