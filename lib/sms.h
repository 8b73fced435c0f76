/*
 * Sending the code: the Telnyx Messages API (libcurl + cJSON) or the
 * outbox file that stands in for it.  Only request.cgi links this.
 */
#ifndef OTP_SMS_H
#define OTP_SMS_H

#include "config.h"
#include "bounds.h"

struct sms_result {
	long http_status;                   /* provider's HTTP status; 0 if none */
	char error_code[32];                /* provider's errors[0].code, or "" */
	char message_id[OTP_MSGID_MAX + 1]; /* data.id on success */
	char reason[128];                   /* what went wrong, for the log */
};

/*
 * Send text to the E.164 number to by the configured transport.
 * Returns 0 when the provider accepted the message (res->message_id
 * set), or -1 with res telling why.  Logs nothing itself: the caller
 * logs one line with the masked number.
 */
int sms_send(const struct config *cfg, const char *to, const char *text, struct sms_result *res);

/*
 * The helpers of sms_send(), public for the tests: the JSON body for
 * Telnyx (caller frees), and the parse of its answer into res (0 when
 * it is a success with data.id).
 */
char *sms_telnyx_body(const struct config *cfg, const char *to, const char *text);
int sms_telnyx_parse(long http_status, const char *body, size_t len, struct sms_result *res);

#endif
