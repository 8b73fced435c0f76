/*
 * Ed25519 (RFC 8032) keys and signatures for the JWT assertion (EdDSA,
 * RFC 8037): the signing key from a PEM file (SIGNING_KEY_FILE), its
 * public half, signing, checking, and making a new key.  libcrypto's
 * EVP_PKEY does the work, loaded from the shared libcrypto with dlopen()
 * on first use (eddsa.c says why).
 */
#ifndef OTP_EDDSA_H
#define OTP_EDDSA_H

#include <stddef.h>

#define EDDSA_PUB_LEN  32   /* an Ed25519 public key */
#define EDDSA_SIG_LEN  64   /* an Ed25519 signature */
#define EDDSA_KID_LEN  43   /* a kid: base64url of a SHA-256 (RFC 7638 thumbprint) */
#define EDDSA_FILE_MAX 4096 /* largest key file read */

/* A private key, loaded (eddsa_load()). */
struct eddsa_key {
	void *pkey; /* libcrypto's EVP_PKEY */
	unsigned char pub[EDDSA_PUB_LEN];
	char kid[EDDSA_KID_LEN + 1];
};

/*
 * Load the PEM private key at path: a regular file of at most
 * EDDSA_FILE_MAX bytes that neither group nor others may read or write,
 * holding an Ed25519 key.  Returns 0 with k filled (eddsa_free() it), or
 * -1 with why (size bytes) saying what is wrong, for a log line; never
 * any of the key.
 */
int eddsa_load(const char *path, struct eddsa_key *k, char *why, size_t size);

/* Free what eddsa_load() or eddsa_generate() filled in k; k may be zeroed. */
void eddsa_free(struct eddsa_key *k);

/* Sign msg (len bytes) with k into sig.  Returns 0 or -1 (logged). */
int eddsa_sign(const struct eddsa_key *k, const void *msg, size_t len,
	       unsigned char sig[EDDSA_SIG_LEN]);

/* Whether sig is pub's signature of msg: 1 yes, 0 no (or libcrypto could
 * not be loaded, logged). */
int eddsa_verify(const unsigned char pub[EDDSA_PUB_LEN], const void *msg, size_t len,
		 const unsigned char sig[EDDSA_SIG_LEN]);

/*
 * A new key, written as PEM (PKCS #8) to path, which must not exist yet
 * (made with mode 0600), and loaded into k.  Returns 0, or -1 with why.
 */
int eddsa_generate(const char *path, struct eddsa_key *k, char *why, size_t size);

/*
 * The kid of pub: its RFC 7638 JWK thumbprint, base64url of the SHA-256
 * of {"crv":"Ed25519","kty":"OKP","x":"<base64url of pub>"}.  0 or -1.
 */
int eddsa_kid(const unsigned char pub[EDDSA_PUB_LEN], char kid[EDDSA_KID_LEN + 1]);

#endif
