/*
 * Signed assertions and phone signatures (see assertion.h for the
 * format).  HMAC and base64 come from libcrypto, JSON from cJSON; the
 * MAC is checked before the payload is parsed, so nothing unsigned is
 * ever read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "assertion.h"
#include "code.h"
#include "phone.h"

static int
assertion_hmac(const char *key, const void *msg, size_t len, unsigned char mac[OTP_MAC_LEN])
{
	if (key == NULL || key[0] == '\0')
		return -1;
	return code_hmac(key, strlen(key), msg, len, mac);
}

int
assertion_b64url(const unsigned char *in, size_t len, char *out, size_t size)
{
	size_t n, i;

	if (size < 4 * ((len + 2) / 3) + 1)
		return -1;
	n = (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (i = 0; i < n; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	return 0;
}

long
assertion_unb64url(const char *in, size_t len, unsigned char *out, size_t size)
{
	char buf[ASSERTION_MAX + 4];
	size_t i, pad = (4 - len % 4) % 4;
	int n;

	if (len == 0 || len + pad >= sizeof(buf) || pad == 3 || size < (len + pad) / 4 * 3)
		return -1;
	for (i = 0; i < len; i++) {
		char c = in[i];

		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			   (c >= '0' && c <= '9')))
			return -1;
		buf[i] = c;
	}
	memset(buf + len, '=', pad);
	n = EVP_DecodeBlock(out, (unsigned char *)buf, (int)(len + pad));
	if (n < 0 || (size_t)n < pad)
		return -1;
	return (long)((size_t)n - pad);
}

_Static_assert(sizeof(time_t) >= 8, "time_t holds every second up to 2^53");

/* Checked before converting: casting NaN, an infinity or anything out of
 * time_t's range is undefined. */
int
assertion_time(const struct cJSON *at, time_t *t)
{
	double d;

	if (!cJSON_IsNumber(at))
		return -1;
	d = at->valuedouble;
	/* Written so that NaN fails too. */
	if (!(d >= 0 && d <= 9007199254740992.0) || d != (double)(long long)d)
		return -1;
	*t = (time_t)d;
	return 0;
}

int
assertion_make(const char *key, const struct assertion *a, char *out, size_t size)
{
	unsigned char mac[OTP_MAC_LEN];
	char p64[ASSERTION_MAX], m64[64];
	cJSON *o = cJSON_CreateObject();
	char *json = NULL;
	int rc = -1, n;

	if (o == NULL || cJSON_AddStringToObject(o, "phone", a->phone) == NULL ||
	    cJSON_AddNumberToObject(o, "verified_at", (double)a->verified_at) == NULL ||
	    cJSON_AddStringToObject(o, "vid", a->vid) == NULL ||
	    (a->return_to[0] != '\0' &&
	     cJSON_AddStringToObject(o, "return_to", a->return_to) == NULL) ||
	    (json = cJSON_PrintUnformatted(o)) == NULL)
		goto out;
	memcpy(p64, "v1.", 3);
	if (assertion_b64url((unsigned char *)json, strlen(json), p64 + 3, sizeof(p64) - 3) < 0 ||
	    assertion_hmac(key, p64, strlen(p64), mac) < 0 ||
	    assertion_b64url(mac, sizeof(mac), m64, sizeof(m64)) < 0)
		goto out;
	n = snprintf(out, size, "%s.%s", p64, m64);
	rc = (n < 0 || (size_t)n >= size) ? -1 : 0;
out:
	cJSON_free(json);
	cJSON_Delete(o);
	return rc;
}

int
assertion_check(const char *key, const char *s, time_t now, long max_age, struct assertion *a,
		const char **why)
{
	unsigned char mac[OTP_MAC_LEN], payload[ASSERTION_MAX];
	char want[64];
	const char *dot;
	cJSON *o = NULL, *phone, *at, *vid, *ret;
	long plen;
	int rc = -1;

	memset(a, 0, sizeof(*a));
	*why = "malformed";
	if (s == NULL || strlen(s) > ASSERTION_MAX)
		return -1;
	if (strncmp(s, "v1.", 3) != 0) {
		*why = "unknown version";
		return -1;
	}
	if ((dot = strchr(s + 3, '.')) == NULL || strchr(dot + 1, '.') != NULL)
		return -1;
	if (assertion_hmac(key, s, (size_t)(dot - s), mac) < 0) {
		*why = "no key";
		return -1;
	}
	/* Compare encodings, not decoded bytes: the last base64 character
	 * has bits a decoder ignores, and only one spelling may pass. */
	if (assertion_b64url(mac, sizeof(mac), want, sizeof(want)) < 0 ||
	    strlen(dot + 1) != strlen(want) || CRYPTO_memcmp(want, dot + 1, strlen(want)) != 0) {
		*why = "bad signature";
		return -1;
	}
	plen = assertion_unb64url(s + 3, (size_t)(dot - s - 3), payload, sizeof(payload) - 1);
	if (plen < 0 || (o = cJSON_ParseWithLength((char *)payload, (size_t)plen)) == NULL)
		return -1;
	phone = cJSON_GetObjectItemCaseSensitive(o, "phone");
	at = cJSON_GetObjectItemCaseSensitive(o, "verified_at");
	vid = cJSON_GetObjectItemCaseSensitive(o, "vid");
	ret = cJSON_GetObjectItemCaseSensitive(o, "return_to");
	if (!cJSON_IsString(phone) || !phone_is_e164(phone->valuestring) ||
	    assertion_time(at, &a->verified_at) < 0 || !cJSON_IsString(vid) ||
	    !code_is_id(vid->valuestring) ||
	    (ret != NULL && (!cJSON_IsString(ret) || strlen(ret->valuestring) > OTP_RETURN_MAX)))
		goto out;
	if (ret != NULL)
		snprintf(a->return_to, sizeof(a->return_to), "%s", ret->valuestring);
	snprintf(a->phone, sizeof(a->phone), "%s", phone->valuestring);
	snprintf(a->vid, sizeof(a->vid), "%s", vid->valuestring);
	if (a->verified_at > now + 60) {
		*why = "from the future";
		goto out;
	}
	if (now - a->verified_at > max_age) {
		*why = "expired";
		goto out;
	}
	*why = NULL;
	rc = 0;
out:
	cJSON_Delete(o);
	return rc;
}

int
assertion_phone_sig(const char *key, const char *phone, char out[2 * OTP_MAC_LEN + 1])
{
	unsigned char mac[OTP_MAC_LEN];
	size_t i;

	if (assertion_hmac(key, phone, strlen(phone), mac) < 0)
		return -1;
	for (i = 0; i < OTP_MAC_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
	return 0;
}

int
assertion_phone_sig_ok(const char *key, const char *phone, const char *sig)
{
	char want[2 * OTP_MAC_LEN + 1];

	if (sig == NULL || strlen(sig) != 2 * OTP_MAC_LEN ||
	    assertion_phone_sig(key, phone, want) < 0)
		return 0;
	return CRYPTO_memcmp(want, sig, 2 * OTP_MAC_LEN) == 0;
}
