/*
 * The verification core, what Telnyx reports back: a webhook's event,
 * already checked (signed, fresh) and read (webhook.h), applied to the
 * store once.  Apart from core.c and core_send.c because only
 * webhook.cgi links it.
 */
#include <stdio.h>
#include <string.h>

#include "core.h"
#include "log.h"
#include "phone.h"
#include "store.h"
#include "webhook.h"

/* A report on a message sent: message.sent, message.finalized. */
static int
core_hook_is_receipt(const struct webhook_event *ev)
{
	return !strcmp(ev->type, "message.sent") || !strcmp(ev->type, "message.finalized");
}

enum core_hook
core_webhook(struct core *c, const struct webhook_event *ev, time_t now)
{
	struct store_receipt r;
	char masked[OTP_PHONE_MAX + 1] = "", id[128], status[64], ecode[64];
	struct store *st;
	int fresh;

	if (!core_hook_is_receipt(ev) || ev->message_id[0] == '\0' ||
	    webhook_stage(ev->status) == 0)
		return HOOK_IGNORED;
	memset(&r, 0, sizeof(r));
	r.message_id = ev->message_id;
	r.phone = phone_is_e164(ev->to) ? ev->to : "";
	r.status = ev->status;
	r.stage = webhook_stage(ev->status);
	r.error_code = ev->error_code;
	r.cost_micros = ev->cost[0] != '\0' ? webhook_micros(ev->cost) : -1;
	r.currency = r.cost_micros >= 0 ? ev->currency : "";
	r.parts = ev->parts;
	r.carrier = ev->carrier;
	r.line_type = ev->line_type;
	if ((st = core_store(c)) == NULL)
		return HOOK_UNAVAILABLE;
	/* The event and its effect in one transaction: taken once, or not at all. */
	if (store_begin(st) < 0)
		goto fail;
	if ((fresh = store_event_new(st, ev->id, now)) < 0 ||
	    (fresh && store_receipt(st, &r, now) < 0)) {
		store_rollback(st);
		goto fail;
	}
	if (store_commit(st) < 0)
		goto fail;
	if (!fresh)
		return HOOK_SEEN;
	if (r.phone[0] != '\0')
		phone_mask(r.phone, masked, sizeof(masked));
	log_audit(
	    webhook_failed(ev->status) ? "undelivered" : "delivery",
	    masked[0] != '\0' ? masked : NULL, NULL, NULL, "message_id=%s status=%s error_code=%s",
	    log_value(ev->message_id, id, sizeof(id)),
	    log_value(ev->status, status, sizeof(status)),
	    log_value(ev->error_code[0] != '\0' ? ev->error_code : "-", ecode, sizeof(ecode)));
	return HOOK_TAKEN;
fail:
	core_close(c);
	return HOOK_UNAVAILABLE;
}
