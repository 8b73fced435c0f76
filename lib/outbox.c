/*
 * The outbox, as the channel table's rows outbox_text and outbox_call
 * (SMS_TRANSPORT=outbox): channels that send nothing.  Each message is
 * appended to OUTBOX_PATH as one JSON line, {"to","from","text"}, and each
 * call as {"to","from","call":true,"client_state"}, under flock(), for
 * `make run` and the tests: the flow without a provider's account.  What
 * they take is "outbox", gets no reports and costs nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "channel.h"

/* o (NULL: out of memory; deleted here) appended as one line whole:
 * SEND_TAKEN, or SEND_MISCONFIGURED. */
static enum channel_outcome
outbox_append(const struct config *cfg, cJSON *o, struct channel_result *res)
{
	enum channel_outcome rc = SEND_MISCONFIGURED;
	char *line = NULL;
	size_t len = 0, off = 0;
	ssize_t n;
	int fd = -1;

	snprintf(res->reason, sizeof(res->reason), "out of memory");
	if (o == NULL)
		goto out;
	if ((line = cJSON_PrintUnformatted(o)) == NULL)
		goto out;
	len = strlen(line);
	line[len] = '\n'; /* cJSON's buffer holds the NUL we replace */
	fd = open(cfg->outbox_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		snprintf(res->reason, sizeof(res->reason), "cannot open outbox: %s",
			 strerror(errno));
		goto out;
	}
	while (off < len + 1) {
		if ((n = write(fd, line + off, len + 1 - off)) < 0) {
			if (errno == EINTR)
				continue;
			snprintf(res->reason, sizeof(res->reason), "cannot write outbox: %s",
				 strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	res->reason[0] = '\0';
	snprintf(res->message_id, sizeof(res->message_id), "outbox");
	rc = SEND_TAKEN;
out:
	if (fd >= 0)
		close(fd);
	if (line != NULL) {
		explicit_bzero(line, len + 1);
		cJSON_free(line);
	}
	cJSON_Delete(o);
	return rc;
}

/* The text row's send: the message as a line. */
static enum channel_outcome
outbox_send(const struct config *cfg, const char *to, const char *text, const char *state,
	    struct channel_result *res)
{
	cJSON *o = cJSON_CreateObject();

	(void)state; /* nobody reports on a line in a file */
	if (o != NULL) {
		cJSON_AddStringToObject(o, "to", to);
		cJSON_AddStringToObject(o, "from",
					cfg->from_number != NULL ? cfg->from_number : "");
		cJSON_AddStringToObject(o, "text", text);
	}
	return outbox_append(cfg, o, res);
}

/* The call row's send: the call as a line, with the token its events
 * would carry, so that a test can play them. */
static enum channel_outcome
outbox_call_send(const struct config *cfg, const char *to, const char *text, const char *state,
		 struct channel_result *res)
{
	cJSON *o = cJSON_CreateObject();

	(void)text; /* a call speaks when answered */
	if (o != NULL) {
		cJSON_AddStringToObject(o, "to", to);
		cJSON_AddStringToObject(o, "from",
					cfg->voice_from != NULL    ? cfg->voice_from
					: cfg->from_number != NULL ? cfg->from_number
								   : "");
		cJSON_AddBoolToObject(o, "call", 1);
		if (state != NULL)
			cJSON_AddStringToObject(o, "client_state", state);
	}
	return outbox_append(cfg, o, res);
}

/* The call row's step: the step as a line ({"call_id","step","words"}),
 * for the tests to read what a call would have said. */
static enum channel_outcome
outbox_call_step(const struct config *cfg, const char *call_id, enum channel_step step,
		 const struct channel_speech *sp, const char *state, const char *command_id,
		 struct channel_result *res)
{
	static const char *const steps[] = {
	    [STEP_SPEAK] = "speak", [STEP_ASK] = "ask", [STEP_HANG_UP] = "hang_up"};
	cJSON *o = cJSON_CreateObject();

	(void)state;
	if (o != NULL) {
		cJSON_AddStringToObject(o, "call_id", call_id);
		cJSON_AddStringToObject(o, "step", steps[step]);
		if (sp != NULL && sp->words != NULL)
			cJSON_AddStringToObject(o, "words", sp->words);
		if (command_id != NULL)
			cJSON_AddStringToObject(o, "command_id", command_id);
	}
	return outbox_append(cfg, o, res);
}

const struct channel outbox_call = {
    .name = "voice",
    .way = CHANNEL_VOICE,
    .transport = TRANSPORT_OUTBOX,
    .receipts = 0, /* nobody calls: a test plays the events */
    .spend_limit = NULL,
    .send = outbox_call_send,
    .step = outbox_call_step,
};

const struct channel outbox_text = {
    .name = "sms",
    .way = CHANNEL_SMS,
    .transport = TRANSPORT_OUTBOX,
    .receipts = 0, /* nobody reports on a line in a file */
    .spend_limit = NULL,
    .send = outbox_send,
};
