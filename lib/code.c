/*
 * Codes, ids and the keyed hash that is stored instead of a code.  The
 * random bytes come from the kernel (getrandom(2), the source OpenSSL
 * seeds itself from); values are drawn by rejection, so no character is
 * likelier than another.
 *
 * Neither RAND_bytes() nor HMAC(): in OpenSSL 3 the first call of either
 * in a process fetches its algorithm from the provider, which first builds
 * the provider's whole method store.  Measured with callgrind, that was
 * 7.9 of the 12.1 million instructions of a POST request.cgi and 5.4 of
 * the 7.7 million of a POST verify.cgi, paid again by every CGI process.
 * code_hmac() is HMAC (RFC 2104) over libcrypto's SHA-256 functions, which
 * need no set-up; tests/unit/test_code.c checks it against RFC 4231 and
 * against HMAC() itself.
 */
/* SHA256_Init() and friends are deprecated in favour of the fetched EVP_MD. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "code.h"

static const char code_hex[] = "0123456789ABCDEF";

/* n random bytes from the kernel (n <= 256: getrandom() fills it whole).  0 or -1. */
static int
code_entropy(unsigned char *buf, size_t n)
{
	ssize_t got;

	do
		got = getrandom(buf, n, 0);
	while (got < 0 && errno == EINTR);
	return got == (ssize_t)n ? 0 : -1;
}

int
code_hmac(const void *key, size_t klen, const void *msg, size_t len, unsigned char mac[OTP_MAC_LEN])
{
	unsigned char k[SHA256_CBLOCK], pad[SHA256_CBLOCK], inner[SHA256_DIGEST_LENGTH];
	SHA256_CTX c;
	size_t i;
	int ok;

	memset(k, 0, sizeof(k));
	/* A key longer than a block is hashed first. */
	if (klen > sizeof(k))
		ok = SHA256_Init(&c) && SHA256_Update(&c, key, klen) && SHA256_Final(k, &c);
	else {
		memcpy(k, key, klen);
		ok = 1;
	}
	for (i = 0; i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x36;
	ok = ok && SHA256_Init(&c) && SHA256_Update(&c, pad, sizeof(pad)) &&
	     SHA256_Update(&c, msg, len) && SHA256_Final(inner, &c);
	for (i = 0; i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x5c;
	ok = ok && SHA256_Init(&c) && SHA256_Update(&c, pad, sizeof(pad)) &&
	     SHA256_Update(&c, inner, sizeof(inner)) && SHA256_Final(mac, &c);
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(pad, sizeof(pad));
	OPENSSL_cleanse(inner, sizeof(inner));
	OPENSSL_cleanse(&c, sizeof(c));
	return ok ? 0 : -1;
}

/* No 0 and O, no 1, I and L: read off a screen and typed into a text. */
static const char code_inbound[] = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

_Static_assert(sizeof(code_inbound) - 1 == 31, "the inbound alphabet has 31 characters");

int
code_random(char *out, int len, enum config_alphabet alphabet)
{
	unsigned char pool[64];
	size_t used = sizeof(pool);
	int n = 0;

	if (len < OTP_CODE_MIN || len > OTP_CODE_MAX)
		return -1;
	while (n < len) {
		unsigned char b;

		if (used == sizeof(pool)) {
			if (code_entropy(pool, sizeof(pool)) < 0)
				return -1;
			used = 0;
		}
		b = pool[used++];
		if (alphabet == ALPHABET_HEX) {
			out[n++] = code_hex[b & 0x0f];
		} else if (alphabet == ALPHABET_INBOUND) {
			/* 248 is the largest multiple of 31 that fits in a byte. */
			if (b >= 248)
				continue;
			out[n++] = code_inbound[b % 31];
		} else {
			/* 250 is the largest multiple of 10 that fits in a byte. */
			if (b >= 250)
				continue;
			out[n++] = (char)('0' + b % 10);
		}
	}
	out[n] = '\0';
	OPENSSL_cleanse(pool, sizeof(pool));
	return 0;
}

int
code_new_id(char out[OTP_ID_LEN + 1])
{
	unsigned char raw[OTP_ID_BYTES];
	size_t i;

	if (code_entropy(raw, sizeof(raw)) < 0)
		return -1;
	for (i = 0; i < sizeof(raw); i++) {
		out[2 * i] = "0123456789abcdef"[raw[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[raw[i] & 0x0f];
	}
	out[OTP_ID_LEN] = '\0';
	return 0;
}

static const char code_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

_Static_assert(OTP_CALL_STATE_BYTES % 3 == 1 &&
		   OTP_CALL_STATE_LEN == (OTP_CALL_STATE_BYTES + 2) / 3 * 4,
	       "a call token is whole groups of three bytes and one more (\"==\")");

int
code_call_state(char out[OTP_CALL_STATE_LEN + 1])
{
	unsigned char raw[OTP_CALL_STATE_BYTES + 2] = {0};
	size_t i, o = 0;

	if (code_entropy(raw, OTP_CALL_STATE_BYTES) < 0)
		return -1;
	for (i = 0; i < OTP_CALL_STATE_BYTES; i += 3) {
		unsigned long v =
		    (unsigned long)raw[i] << 16 | (unsigned long)raw[i + 1] << 8 | raw[i + 2];

		out[o++] = code_b64[v >> 18 & 63];
		out[o++] = code_b64[v >> 12 & 63];
		out[o++] = code_b64[v >> 6 & 63];
		out[o++] = code_b64[v & 63];
	}
	/* The last group held one byte: its two padding characters. */
	out[OTP_CALL_STATE_LEN - 2] = '=';
	out[OTP_CALL_STATE_LEN - 1] = '=';
	out[OTP_CALL_STATE_LEN] = '\0';
	explicit_bzero(raw, sizeof(raw));
	return 0;
}

int
code_is_call_state(const char *s)
{
	const char *last;

	if (s == NULL || strlen(s) != OTP_CALL_STATE_LEN ||
	    strspn(s, code_b64) != OTP_CALL_STATE_LEN - 2 ||
	    strcmp(s + OTP_CALL_STATE_LEN - 2, "=="))
		return 0;
	/* The last byte's low four bits are zero: one spelling per token. */
	last = strchr(code_b64, s[OTP_CALL_STATE_LEN - 3]);
	return ((last - code_b64) & 15) == 0;
}

int
code_is_id(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != OTP_ID_LEN)
		return 0;
	for (i = 0; i < OTP_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int
code_mac(const char *key, const char *id, const char *code, unsigned char mac[OTP_MAC_LEN])
{
	unsigned char msg[OTP_ID_LEN + 1 + OTP_TOKEN_MAX];
	size_t idlen = strlen(id), clen = strlen(code), i;
	int rc;

	if (idlen > OTP_ID_LEN || clen > OTP_TOKEN_MAX || key == NULL)
		return -1;
	memcpy(msg, id, idlen);
	msg[idlen] = ':';
	for (i = 0; i < clen; i++)
		msg[idlen + 1 + i] = (unsigned char)toupper((unsigned char)code[i]);
	rc = code_hmac(key, strlen(key), msg, idlen + 1 + clen, mac);
	OPENSSL_cleanse(msg, sizeof(msg));
	return rc;
}

int
code_equal(const unsigned char *a, const unsigned char *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

int
code_mac_none(const unsigned char mac[OTP_MAC_LEN])
{
	static const unsigned char none[OTP_MAC_LEN];

	return code_equal(mac, none, OTP_MAC_LEN);
}
