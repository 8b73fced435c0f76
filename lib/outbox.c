/*
 * The outbox, as the channel table's row outbox_text (SMS_TRANSPORT=outbox):
 * a channel that sends nothing.  Each message is appended to OUTBOX_PATH
 * as one JSON line, {"to","from","text"}, under flock(), for `make run`
 * and the tests: the flow without a provider's account.  Its messages
 * are taken as "outbox", get no receipts and cost nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "channel.h"

/* The row's send: one line appended whole, or SEND_MISCONFIGURED. */
static enum channel_outcome
outbox_send(const struct config *cfg, const char *to, const char *text, const char *state,
	    struct channel_result *res)
{
	cJSON *o = cJSON_CreateObject();
	enum channel_outcome rc = SEND_MISCONFIGURED;
	char *line = NULL;
	size_t len = 0, off = 0;
	ssize_t n;
	int fd = -1;

	(void)state; /* nobody reports on a line in a file */
	snprintf(res->reason, sizeof(res->reason), "out of memory");
	if (o == NULL)
		goto out;
	cJSON_AddStringToObject(o, "to", to);
	cJSON_AddStringToObject(o, "from", cfg->from_number != NULL ? cfg->from_number : "");
	cJSON_AddStringToObject(o, "text", text);
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

const struct channel outbox_text = {
    .name = "sms",
    .way = CHANNEL_SMS,
    .transport = TRANSPORT_OUTBOX,
    .receipts = 0, /* nobody reports on a line in a file */
    .spend_limit = NULL,
    .send = outbox_send,
};
