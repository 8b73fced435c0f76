/*
 * JWTs in a compact JWS (see jwt.h for the format): made with cJSON and
 * base64url, signed with HMAC-SHA256 (code_hmac()) or Ed25519 (eddsa.c).
 * A token is checked in this order, so nothing unsigned is trusted: its
 * size, its three parts, its header (alg and kid choose the key among
 * those the checker holds, never the other way round), the signature,
 * and only then the payload's claims.
 *
 * Written here over cJSON and libcrypto rather than taken from a JWT
 * library: Debian 12's libjwt (1.10.2) and cjose (0.6.2) have no EdDSA,
 * both bring a second JSON library (jansson) and the shared libssl, and
 * libjwt 1.10 lets the token's header choose the algorithm to check
 * with, the confusion this file is built to refuse.  What is left to
 * write is base64url and two JSON objects; the cryptography is libcrypto's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "code.h"
#include "jwt.h"
#include "phone.h"

static const char *const jwt_algs[] = {[JWT_HS256] = "HS256", [JWT_EDDSA] = "EdDSA"};

/* A token's parts: where each begins and how long it is. */
struct jwt_parts {
	const char *h, *p, *s;
	size_t hlen, plen, slen;
};

/* Split token at its two dots.  0, or -1 (why set). */
static int
jwt_split(const char *token, struct jwt_parts *t, const char **why)
{
	const char *d1, *d2;

	*why = "malformed";
	if (token == NULL)
		return -1;
	if (strnlen(token, ASSERTION_MAX + 1) > ASSERTION_MAX) {
		*why = "too large";
		return -1;
	}
	if ((d1 = strchr(token, '.')) == NULL || (d2 = strchr(d1 + 1, '.')) == NULL ||
	    strchr(d2 + 1, '.') != NULL)
		return -1;
	t->h = token;
	t->hlen = (size_t)(d1 - token);
	t->p = d1 + 1;
	t->plen = (size_t)(d2 - t->p);
	t->s = d2 + 1;
	t->slen = strlen(t->s);
	return t->hlen == 0 || t->plen == 0 || t->slen == 0 ? -1 : 0;
}

/* Decode one base64url part and parse it as a JSON object.  NULL if not one. */
static cJSON *
jwt_json(const char *b64, size_t len)
{
	unsigned char buf[ASSERTION_MAX];
	long n = assertion_unb64url(b64, len, buf, sizeof(buf));
	cJSON *o;

	if (n <= 0 || (o = cJSON_ParseWithLength((char *)buf, (size_t)n)) == NULL)
		return NULL;
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* "<b64(header json)>.<b64(payload json)>" of h and p into out.  0 or -1. */
static int
jwt_signing_input(const cJSON *h, const cJSON *p, char *out, size_t size)
{
	char *hj = cJSON_PrintUnformatted(h), *pj = cJSON_PrintUnformatted(p);
	size_t n;
	int rc = -1;

	if (hj == NULL || pj == NULL ||
	    assertion_b64url((unsigned char *)hj, strlen(hj), out, size) < 0)
		goto out;
	n = strlen(out);
	if (n + 1 >= size)
		goto out;
	out[n] = '.';
	rc = assertion_b64url((unsigned char *)pj, strlen(pj), out + n + 1, size - n - 1);
out:
	cJSON_free(hj);
	cJSON_free(pj);
	return rc;
}

/* Append "." and the signature of out's signing input (its whole text) under k. */
static int
jwt_sign(const struct jwt_key *k, char *out, size_t size)
{
	unsigned char sig[EDDSA_SIG_LEN];
	size_t n = strlen(out), siglen;
	int rc;

	if (n + 1 >= size)
		return -1;
	if (k->alg == JWT_HS256) {
		if (k->secret == NULL || k->secret[0] == '\0' ||
		    code_hmac(k->secret, strlen(k->secret), out, n, sig) < 0)
			return -1;
		siglen = OTP_MAC_LEN;
	} else {
		if (k->priv == NULL || eddsa_sign(k->priv, out, n, sig) < 0)
			return -1;
		siglen = EDDSA_SIG_LEN;
	}
	out[n] = '.';
	rc = assertion_b64url(sig, siglen, out + n + 1, size - n - 1);
	explicit_bzero(sig, sizeof(sig));
	if (rc < 0)
		out[n] = '\0';
	return rc;
}

/* The header for k. */
static cJSON *
jwt_header(const struct jwt_key *k)
{
	cJSON *h = cJSON_CreateObject();

	if (h == NULL || cJSON_AddStringToObject(h, "alg", jwt_algs[k->alg]) == NULL ||
	    (k->alg == JWT_EDDSA && cJSON_AddStringToObject(h, "kid", k->kid) == NULL) ||
	    cJSON_AddStringToObject(h, "typ", "JWT") == NULL) {
		cJSON_Delete(h);
		return NULL;
	}
	return h;
}

int
jwt_make(const struct jwt_key *k, const struct jwt_scope *sc, const struct assertion *a, char *out,
	 size_t size)
{
	cJSON *h = jwt_header(k), *p = cJSON_CreateObject();
	int rc = -1;

	if (h == NULL || p == NULL || sc->iss == NULL || sc->aud == NULL ||
	    cJSON_AddStringToObject(p, "iss", sc->iss) == NULL ||
	    cJSON_AddStringToObject(p, "aud", sc->aud) == NULL ||
	    cJSON_AddNumberToObject(p, "iat", (double)a->verified_at) == NULL ||
	    cJSON_AddNumberToObject(p, "exp", (double)(a->verified_at + sc->max_age)) == NULL ||
	    cJSON_AddStringToObject(p, "jti", a->vid) == NULL ||
	    cJSON_AddStringToObject(p, "phone_number", a->phone) == NULL ||
	    cJSON_AddTrueToObject(p, "phone_number_verified") == NULL ||
	    (a->return_to[0] != '\0' &&
	     cJSON_AddStringToObject(p, "return_to", a->return_to) == NULL))
		goto out;
	if (jwt_signing_input(h, p, out, size) == 0 && jwt_sign(k, out, size) == 0)
		rc = 0;
out:
	cJSON_Delete(h);
	cJSON_Delete(p);
	if (rc < 0 && size > 0)
		out[0] = '\0';
	return rc;
}

/*
 * The key of keys that the header h names: its alg must be theirs, and an
 * EdDSA one must name one of them by kid.  NULL with *why if none.
 */
static const struct jwt_key *
jwt_key_of(const cJSON *h, const struct jwt_key *keys, size_t nkeys, const char **why)
{
	const cJSON *alg = cJSON_GetObjectItemCaseSensitive(h, "alg");
	const cJSON *kid = cJSON_GetObjectItemCaseSensitive(h, "kid");
	const cJSON *typ = cJSON_GetObjectItemCaseSensitive(h, "typ");
	size_t i;

	*why = "malformed header";
	if (!cJSON_IsString(alg) ||
	    (typ != NULL && !(cJSON_IsString(typ) && !strcmp(typ->valuestring, "JWT"))))
		return NULL;
	/* RFC 7515 4.1.11: an extension a checker does not know must fail it. */
	if (cJSON_GetObjectItemCaseSensitive(h, "crit") != NULL) {
		*why = "unsupported crit header";
		return NULL;
	}
	if (!strcmp(alg->valuestring, "none")) {
		*why = "unsigned (alg none)";
		return NULL;
	}
	*why = "algorithm not accepted";
	if (nkeys == 0 || strcmp(alg->valuestring, jwt_algs[keys[0].alg]) != 0)
		return NULL;
	if (keys[0].alg == JWT_HS256)
		return &keys[0];
	*why = "unknown kid";
	if (!cJSON_IsString(kid))
		return NULL;
	for (i = 0; i < nkeys; i++)
		if (keys[i].alg == JWT_EDDSA && !strcmp(keys[i].kid, kid->valuestring))
			return &keys[i];
	return NULL;
}

/* Whether t's signature is k's over its signing input. */
static int
jwt_signature_ok(const struct jwt_key *k, const struct jwt_parts *t)
{
	unsigned char mac[OTP_MAC_LEN], sig[EDDSA_SIG_LEN + 3];
	char want[96];
	size_t n = t->hlen + 1 + t->plen;

	if (k->alg == JWT_HS256) {
		/* Compare encodings, not decoded bytes: the last base64 character
		 * has bits a decoder ignores, and only one spelling may pass. */
		if (k->secret == NULL ||
		    code_hmac(k->secret, strlen(k->secret), t->h, n, mac) < 0 ||
		    assertion_b64url(mac, sizeof(mac), want, sizeof(want)) < 0)
			return 0;
		return t->slen == strlen(want) && CRYPTO_memcmp(want, t->s, t->slen) == 0;
	}
	if (assertion_unb64url(t->s, t->slen, sig, sizeof(sig)) != EDDSA_SIG_LEN ||
	    assertion_b64url(sig, EDDSA_SIG_LEN, want, sizeof(want)) < 0 ||
	    strlen(want) != t->slen || memcmp(want, t->s, t->slen) != 0)
		return 0;
	return eddsa_verify(k->pub, t->h, n, sig);
}

/* Whether the aud claim is aud, or a list that holds it (RFC 7519 4.1.3). */
static int
jwt_aud_ok(const cJSON *claim, const char *aud)
{
	const cJSON *e;

	if (cJSON_IsString(claim))
		return !strcmp(claim->valuestring, aud);
	if (!cJSON_IsArray(claim))
		return 0;
	cJSON_ArrayForEach(e, claim)
		if (cJSON_IsString(e) && !strcmp(e->valuestring, aud))
			return 1;
	return 0;
}

/* The claims of p into a, checked against sc at now.  0, or -1 with *why. */
static int
jwt_claims(const cJSON *p, const struct jwt_scope *sc, time_t now, struct assertion *a,
	   const char **why)
{
	const cJSON *iss = cJSON_GetObjectItemCaseSensitive(p, "iss");
	const cJSON *aud = cJSON_GetObjectItemCaseSensitive(p, "aud");
	const cJSON *iat = cJSON_GetObjectItemCaseSensitive(p, "iat");
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(p, "exp");
	const cJSON *jti = cJSON_GetObjectItemCaseSensitive(p, "jti");
	const cJSON *phone = cJSON_GetObjectItemCaseSensitive(p, "phone_number");
	const cJSON *ok = cJSON_GetObjectItemCaseSensitive(p, "phone_number_verified");
	const cJSON *ret = cJSON_GetObjectItemCaseSensitive(p, "return_to");
	time_t t_exp;

	*why = "malformed payload";
	if (!cJSON_IsString(phone) || !phone_is_e164(phone->valuestring) || !cJSON_IsTrue(ok) ||
	    assertion_time(iat, &a->verified_at) < 0 || assertion_time(exp, &t_exp) < 0 ||
	    !cJSON_IsString(jti) || !code_is_id(jti->valuestring) ||
	    (ret != NULL && (!cJSON_IsString(ret) || strlen(ret->valuestring) > OTP_RETURN_MAX)))
		return -1;
	if (sc->iss != NULL && !(cJSON_IsString(iss) && !strcmp(iss->valuestring, sc->iss))) {
		*why = "wrong issuer";
		return -1;
	}
	if (sc->aud == NULL || !jwt_aud_ok(aud, sc->aud)) {
		*why = "wrong audience";
		return -1;
	}
	if (a->verified_at > now + JWT_SKEW) {
		*why = "from the future";
		return -1;
	}
	if (now >= t_exp || now - a->verified_at > sc->max_age) {
		*why = "expired";
		return -1;
	}
	snprintf(a->phone, sizeof(a->phone), "%s", phone->valuestring);
	snprintf(a->vid, sizeof(a->vid), "%s", jti->valuestring);
	if (ret != NULL)
		snprintf(a->return_to, sizeof(a->return_to), "%s", ret->valuestring);
	return 0;
}

int
jwt_check(const struct jwt_key *keys, size_t nkeys, const struct jwt_scope *sc, const char *token,
	  time_t now, struct assertion *a, const char **why)
{
	const struct jwt_key *k;
	struct jwt_parts t;
	cJSON *h = NULL, *p = NULL;
	int rc = -1;

	memset(a, 0, sizeof(*a));
	if (jwt_split(token, &t, why) < 0)
		return -1;
	if ((h = jwt_json(t.h, t.hlen)) == NULL) {
		*why = "malformed header";
		return -1;
	}
	if ((k = jwt_key_of(h, keys, nkeys, why)) == NULL)
		goto out;
	if (!jwt_signature_ok(k, &t)) {
		*why = "bad signature";
		goto out;
	}
	if ((p = jwt_json(t.p, t.plen)) == NULL) {
		*why = "malformed payload";
		goto out;
	}
	if (jwt_claims(p, sc, now, a, why) < 0)
		goto out;
	*why = NULL;
	rc = 0;
out:
	if (rc < 0)
		memset(a, 0, sizeof(*a));
	cJSON_Delete(h);
	cJSON_Delete(p);
	return rc;
}

int
jwt_phone_make(const char *secret, const char *phone, time_t exp, char *out, size_t size)
{
	struct jwt_key k = {.alg = JWT_HS256, .secret = secret};
	cJSON *h = jwt_header(&k), *p = cJSON_CreateObject();
	int rc = -1;

	if (h != NULL && p != NULL && cJSON_AddStringToObject(p, "phone_number", phone) != NULL &&
	    (exp == 0 || cJSON_AddNumberToObject(p, "exp", (double)exp) != NULL) &&
	    jwt_signing_input(h, p, out, size) == 0 && jwt_sign(&k, out, size) == 0)
		rc = 0;
	cJSON_Delete(h);
	cJSON_Delete(p);
	return rc;
}

int
jwt_phone_ok(const char *secret, const char *phone, const char *token, time_t now)
{
	struct jwt_key k = {.alg = JWT_HS256, .secret = secret};
	const cJSON *num, *exp;
	const char *why;
	struct jwt_parts t;
	cJSON *h = NULL, *p = NULL;
	time_t t_exp;
	int ok = 0;

	if (secret == NULL || jwt_split(token, &t, &why) < 0 ||
	    (h = jwt_json(t.h, t.hlen)) == NULL || jwt_key_of(h, &k, 1, &why) == NULL ||
	    !jwt_signature_ok(&k, &t) || (p = jwt_json(t.p, t.plen)) == NULL)
		goto out;
	num = cJSON_GetObjectItemCaseSensitive(p, "phone_number");
	exp = cJSON_GetObjectItemCaseSensitive(p, "exp");
	ok = cJSON_IsString(num) && !strcmp(num->valuestring, phone) &&
	     (exp == NULL || (assertion_time(exp, &t_exp) == 0 && now < t_exp));
out:
	cJSON_Delete(h);
	cJSON_Delete(p);
	return ok;
}

/* The JWK of k's public half. */
static cJSON *
jwt_jwk(const struct eddsa_key *k)
{
	char x[64];
	cJSON *o = cJSON_CreateObject();

	if (o == NULL || assertion_b64url(k->pub, EDDSA_PUB_LEN, x, sizeof(x)) < 0 ||
	    cJSON_AddStringToObject(o, "kty", "OKP") == NULL ||
	    cJSON_AddStringToObject(o, "crv", "Ed25519") == NULL ||
	    cJSON_AddStringToObject(o, "x", x) == NULL ||
	    cJSON_AddStringToObject(o, "kid", k->kid) == NULL ||
	    cJSON_AddStringToObject(o, "use", "sig") == NULL ||
	    cJSON_AddStringToObject(o, "alg", "EdDSA") == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

char *
jwt_jwks(const struct eddsa_key *keys, size_t n, int one)
{
	cJSON *set = NULL, *list, *jwk;
	char *text = NULL, *out = NULL;
	size_t i, len;

	if (one) {
		if (n != 1 || (set = jwt_jwk(&keys[0])) == NULL)
			return NULL;
	} else {
		if ((set = cJSON_CreateObject()) == NULL ||
		    (list = cJSON_AddArrayToObject(set, "keys")) == NULL)
			goto out;
		for (i = 0; i < n; i++) {
			if ((jwk = jwt_jwk(&keys[i])) == NULL)
				goto out;
			cJSON_AddItemToArray(list, jwk);
		}
	}
	if ((text = cJSON_Print(set)) == NULL)
		goto out;
	len = strlen(text);
	if ((out = malloc(len + 2)) != NULL) {
		memcpy(out, text, len);
		memcpy(out + len, "\n", 2);
	}
out:
	cJSON_free(text);
	cJSON_Delete(set);
	return out;
}

int
jwt_jwks_read(const char *json, size_t len, struct jwt_key *keys, size_t max)
{
	const cJSON *list, *jwk, *kty, *crv, *x, *kid;
	cJSON *set;
	unsigned char pub[EDDSA_PUB_LEN + 3];
	char again[64];
	size_t n = 0;

	if (len > JWT_JWKS_MAX || (set = cJSON_ParseWithLength(json, len)) == NULL)
		return -1;
	list = cJSON_GetObjectItemCaseSensitive(set, "keys");
	if (!cJSON_IsArray(list)) {
		cJSON_Delete(set);
		return -1;
	}
	cJSON_ArrayForEach(jwk, list) {
		kty = cJSON_GetObjectItemCaseSensitive(jwk, "kty");
		crv = cJSON_GetObjectItemCaseSensitive(jwk, "crv");
		x = cJSON_GetObjectItemCaseSensitive(jwk, "x");
		kid = cJSON_GetObjectItemCaseSensitive(jwk, "kid");
		if (n == max || !cJSON_IsString(kty) || strcmp(kty->valuestring, "OKP") != 0 ||
		    !cJSON_IsString(crv) || strcmp(crv->valuestring, "Ed25519") != 0 ||
		    !cJSON_IsString(x) || !cJSON_IsString(kid) ||
		    strlen(kid->valuestring) > EDDSA_KID_LEN || kid->valuestring[0] == '\0' ||
		    assertion_unb64url(x->valuestring, strlen(x->valuestring), pub, sizeof(pub)) !=
			EDDSA_PUB_LEN ||
		    assertion_b64url(pub, EDDSA_PUB_LEN, again, sizeof(again)) < 0 ||
		    strcmp(again, x->valuestring) != 0)
			continue;
		memset(&keys[n], 0, sizeof(keys[n]));
		keys[n].alg = JWT_EDDSA;
		memcpy(keys[n].pub, pub, EDDSA_PUB_LEN);
		snprintf(keys[n].kid, sizeof(keys[n].kid), "%s", kid->valuestring);
		n++;
	}
	cJSON_Delete(set);
	return (int)n;
}
