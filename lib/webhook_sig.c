/*
 * The signature of Telnyx's webhooks: Ed25519 (RFC 8032) over the bytes
 * "<telnyx-timestamp>|<raw body>", checked with libcrypto's EVP_PKEY.
 * Apart from webhook.c because only webhook.cgi needs it: the EVP_PKEY
 * machinery it pulls out of the static libcrypto is megabytes, which every
 * other program would load (and pay page faults for) at each start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "webhook.h"

/* The timestamp as seconds: digits only, at most 12 of them.  -1 if not. */
static long long
webhook_seconds(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 12 || strspn(s, "0123456789") != n)
		return -1;
	return strtoll(s, NULL, 10);
}

enum webhook_check
webhook_verify(const unsigned char key[WEBHOOK_KEY_LEN], const char *timestamp, const char *sig_b64,
	       const char *body, size_t len, time_t now)
{
	unsigned char sig[WEBHOOK_SIG_LEN], *msg = NULL;
	enum webhook_check rc = WEBHOOK_FAILED;
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *ctx = NULL;
	size_t tlen;
	long long ts;

	if (timestamp == NULL || sig_b64 == NULL || timestamp[0] == '\0' || sig_b64[0] == '\0')
		return WEBHOOK_MISSING;
	if ((ts = webhook_seconds(timestamp)) < 0 || ts > (long long)now + WEBHOOK_MAX_SKEW ||
	    ts < (long long)now - WEBHOOK_MAX_SKEW)
		return WEBHOOK_STALE;
	if (webhook_unb64(sig_b64, sig, sizeof(sig)) < 0)
		return WEBHOOK_BAD_SIGNATURE;
	tlen = strlen(timestamp);
	if (len > WEBHOOK_BODY_MAX || (msg = malloc(tlen + 1 + len)) == NULL)
		goto out;
	memcpy(msg, timestamp, tlen);
	msg[tlen] = '|';
	memcpy(msg + tlen + 1, body, len);
	if ((pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, key, WEBHOOK_KEY_LEN)) ==
		NULL ||
	    (ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) != 1)
		goto out;
	/* 1: good; 0: not this key's signature of these bytes; <0: malformed. */
	rc = EVP_DigestVerify(ctx, sig, sizeof(sig), msg, tlen + 1 + len) == 1
		 ? WEBHOOK_OK
		 : WEBHOOK_BAD_SIGNATURE;
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	free(msg);
	return rc;
}
