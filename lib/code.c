/*
 * Codes, ids and the keyed hash that is stored instead of a code.  The
 * random bytes come from OpenSSL's RAND_bytes (seeded from the kernel);
 * values are drawn by rejection, so no character is likelier than another.
 */
#include <ctype.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "code.h"

static const char code_hex[] = "0123456789ABCDEF";

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
			if (RAND_bytes(pool, sizeof(pool)) != 1)
				return -1;
			used = 0;
		}
		b = pool[used++];
		if (alphabet == ALPHABET_HEX) {
			out[n++] = code_hex[b & 0x0f];
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

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	for (i = 0; i < sizeof(raw); i++) {
		out[2 * i] = "0123456789abcdef"[raw[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[raw[i] & 0x0f];
	}
	out[OTP_ID_LEN] = '\0';
	return 0;
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
	unsigned int maclen = 0;
	int rc;

	if (idlen > OTP_ID_LEN || clen > OTP_TOKEN_MAX || key == NULL)
		return -1;
	memcpy(msg, id, idlen);
	msg[idlen] = ':';
	for (i = 0; i < clen; i++)
		msg[idlen + 1 + i] = (unsigned char)toupper((unsigned char)code[i]);
	rc = HMAC(EVP_sha256(), key, (int)strlen(key), msg, idlen + 1 + clen, mac, &maclen) !=
			 NULL &&
		     maclen == OTP_MAC_LEN
		 ? 0
		 : -1;
	OPENSSL_cleanse(msg, sizeof(msg));
	return rc;
}

int
code_equal(const unsigned char *a, const unsigned char *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}
