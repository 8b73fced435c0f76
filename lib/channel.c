/*
 * The table of channels: every way request.cgi can send a code, one row
 * each, defined in its provider's file.  The core asks channel_for() for
 * the row of a way (CHANNELS) under the site's transport, and reads only
 * the outcome its send answers (channel.h).
 */
#include <assert.h>
#include <string.h>

#include "channel.h"

static const struct channel *const channel_rows[] = {
    &telnyx_text, /* a text through Telnyx's Messages API (telnyx.c) */
    &outbox_text, /* a text appended to OUTBOX_PATH: `make run`, the tests (outbox.c) */
    &telnyx_call, /* a call through Telnyx Call Control (telnyx.c) */
    &outbox_call, /* a call written down in OUTBOX_PATH (outbox.c) */
};

const struct channel *
channel_for(const struct config *cfg, unsigned way)
{
	size_t i;

	if (!(cfg->channels & way))
		return NULL;
	for (i = 0; i < sizeof(channel_rows) / sizeof(channel_rows[0]); i++)
		if (channel_rows[i]->way == way && channel_rows[i]->transport == cfg->transport)
			return channel_rows[i];
	return NULL;
}

enum channel_outcome
channel_send(const struct channel *ch, const struct config *cfg, const char *to, const char *text,
	     const char *state, struct channel_result *res)
{
	memset(res, 0, sizeof(*res));
	res->outcome = ch->send(cfg, to, text, state, res);
	assert(res->outcome >= SEND_TAKEN && res->outcome < SEND__MAX);
	/* A message taken is known by its id: the webhooks find it by that. */
	assert(res->outcome != SEND_TAKEN || res->message_id[0] != '\0');
	return res->outcome;
}

enum channel_outcome
channel_step(const struct channel *ch, const struct config *cfg, const char *call_id,
	     enum channel_step step, const struct channel_speech *sp, const char *state,
	     const char *command_id, struct channel_result *res)
{
	assert(ch->step != NULL);
	memset(res, 0, sizeof(*res));
	res->outcome = ch->step(cfg, call_id, step, sp, state, command_id, res);
	assert(res->outcome >= SEND_TAKEN && res->outcome < SEND__MAX);
	return res->outcome;
}
