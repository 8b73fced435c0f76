/*
 * Codes and ids: random codes without modulo bias, random verification
 * ids, the keyed hash stored instead of the code, constant-time compare.
 * Randomness and HMAC come from libcrypto.
 */
#ifndef OTP_CODE_H
#define OTP_CODE_H

#include <stddef.h>
#include "config.h"
#include "bounds.h"

/* A code of len (OTP_CODE_MIN..OTP_CODE_MAX) characters: upper-case hex,
 * digits, or the inbound alphabet (upper-case letters and digits but 0 O 1
 * I L).  Returns 0, or -1 if the random source failed. */
int code_random(char *out, int len, enum config_alphabet alphabet);

/* A new verification id: OTP_ID_LEN lower-case hex characters. */
int code_new_id(char out[OTP_ID_LEN + 1]);

/* Whether s is a well-formed verification id. */
int code_is_id(const char *s);

/*
 * A new call token (a call's client_state, issue 25): OTP_CALL_STATE_BYTES
 * random bytes as standard base64 with its padding (OTP_CALL_STATE_LEN
 * characters), the form Telnyx requires.  Random rather than derived (an
 * HMAC of the verification id would do as well at hiding it): each call
 * of a verification gets its own, so that an event of an earlier call
 * finds that call, and nothing rests on a key that may be rotated.
 * Returns 0, or -1 if the random source failed.
 */
int code_call_state(char out[OTP_CALL_STATE_LEN + 1]);

/* Whether s is a well-formed call token (as code_call_state() makes). */
int code_is_call_state(const char *s);

/* HMAC-SHA256 (RFC 2104) of msg (len bytes) under key (klen bytes).  0 or -1. */
int code_hmac(const void *key, size_t klen, const void *msg, size_t len,
	      unsigned char mac[OTP_MAC_LEN]);

/*
 * HMAC-SHA256 with key over the id and the code, upper-cased (so hex
 * codes compare case-insensitively).  Binding the id into the MAC means a
 * stored hash is worth nothing for any other verification.
 */
int code_mac(const char *key, const char *id, const char *code, unsigned char mac[OTP_MAC_LEN]);

/* Whether a and b (n bytes) are equal, in time that does not depend on
 * where they differ. */
int code_equal(const unsigned char *a, const unsigned char *b, size_t n);

/* Whether mac is no code's: all zero, as a call's verification holds
 * until the call speaks a code (no HMAC is all zero but by 2^-256). */
int code_mac_none(const unsigned char mac[OTP_MAC_LEN]);

#endif
