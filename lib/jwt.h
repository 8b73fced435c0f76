/*
 * The assertion as a standard token (ASSERTION_FORMAT=jwt): a JWT (RFC
 * 7519) in a compact JWS (RFC 7515),
 *
 *	base64url(header) "." base64url(payload) "." base64url(signature)
 *
 * header {"alg":"HS256","typ":"JWT"} (HMAC-SHA256 with SIGNING_KEY) or
 * {"alg":"EdDSA","kid":"<RFC 7638 thumbprint>","typ":"JWT"} (Ed25519,
 * RFC 8037, with the first key of SIGNING_KEY_FILE); payload
 * {"iss","aud","iat","exp","jti","phone_number","phone_number_verified":
 * true[,"return_to"]}: exp is iat + RESULT_MAX_AGE, jti the verification
 * id.  The public keys are published as a JWK Set (jwt_jwks()).
 *
 * A checker accepts only the algorithm of the keys it holds: a token
 * never chooses how it is checked (no "none", no HS256 under a public
 * key), and an EdDSA token names its key by kid.
 */
#ifndef OTP_JWT_H
#define OTP_JWT_H

#include <stddef.h>
#include <time.h>

#include "assertion.h"
#include "eddsa.h"

#define JWT_SKEW      60                   /* seconds an iat may be ahead of the checker's clock */
#define JWT_KEYS_MAX  OTP_SIGNING_KEYS_MAX /* most keys in SIGNING_KEY_FILE or a JWK Set */
#define JWT_CLAIM_MAX 256                  /* longest iss or aud */
#define JWT_JWKS_MAX  (64 * 1024)          /* largest JWK Set read */

enum jwt_alg {
	JWT_HS256,
	JWT_EDDSA
};

/* A key that signs or checks. */
struct jwt_key {
	enum jwt_alg alg;
	const char *secret;               /* HS256: SIGNING_KEY */
	const struct eddsa_key *priv;     /* EdDSA: the private key, to sign; NULL to check */
	unsigned char pub[EDDSA_PUB_LEN]; /* EdDSA */
	char kid[EDDSA_KID_LEN + 1];      /* EdDSA */
};

/* The claims besides the assertion's own. */
struct jwt_scope {
	const char *iss;
	const char *aud;
	long max_age; /* jwt_make(): exp = iat + max_age; jwt_check(): at most this old */
};

/* The JWT of a, signed with k, into out.  Returns 0 or -1. */
int jwt_make(const struct jwt_key *k, const struct jwt_scope *sc, const struct assertion *a,
	     char *out, size_t size);

/*
 * Check token against keys (all of one algorithm): at most ASSERTION_MAX
 * bytes, its header's alg that of the keys, its kid one of theirs (EdDSA),
 * the signature, then the payload: iss and aud sc's, iat not more than
 * JWT_SKEW ahead of now, not expired (exp, and at most sc->max_age old),
 * jti an id, phone_number E.164, phone_number_verified true (sc->aud is
 * required).  Fills a
 * (verified_at is iat, vid jti) and returns 0, or returns -1 with *why
 * saying what failed.
 */
int jwt_check(const struct jwt_key *keys, size_t nkeys, const struct jwt_scope *sc,
	      const char *token, time_t now, struct assertion *a, const char **why);

/*
 * The site-fixed number as a JWT the site signs with SIGNING_KEY (the
 * phone_jwt field): HS256, payload {"phone_number": E.164[, "exp"]}.
 * Whether token is one for phone at now.
 */
int jwt_phone_ok(const char *secret, const char *phone, const char *token, time_t now);

/* A phone_jwt for phone (exp 0: none) into out.  Returns 0 or -1. */
int jwt_phone_make(const char *secret, const char *phone, time_t exp, char *out, size_t size);

/*
 * The JWK Set of n keys (their public halves, each with its kid, "use":
 * "sig", "alg":"EdDSA"), as JSON text with a newline (free() it); or the
 * JWK of one when one is set.  NULL on failure.
 */
char *jwt_jwks(const struct eddsa_key *keys, size_t n, int one);

/*
 * Read a JWK Set (len bytes of JSON) into keys (at most max): its Ed25519
 * keys, each with a kid; any other key is passed over.  Returns how many,
 * or -1 if it is no JWK Set.
 */
int jwt_jwks_read(const char *json, size_t len, struct jwt_key *keys, size_t max);

#endif
