/*
 * The verification core, what Telnyx reports back: a webhook's event,
 * already checked (signed, fresh) and read (webhook.h), applied to the
 * store once: a delivery report on its message, an inbound text on the
 * sender's inbound verification.  Apart from core.c and core_send.c
 * because only webhook.cgi links it.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "code.h"
#include "core.h"
#include "lang.h"
#include "log.h"
#include "message.h"
#include "phone.h"
#include "store.h"
#include "webhook.h"

/* A report on a message sent: message.sent, message.finalized. */
static int
core_hook_is_receipt(const struct webhook_event *ev)
{
	return !strcmp(ev->type, "message.sent") || !strcmp(ev->type, "message.finalized");
}

/*
 * Of an inbound text, what could be a code: letters and digits, upper
 * case, whatever is between them (spaces, line ends, other characters).
 * A text is one or a few SMS, the code at its start (the page fills it
 * in): the letters past these are not looked at.  The bound is on the
 * work (an HMAC per run of OTP_INBOUND_LEN per live verification) and on
 * how many codes one text tries (a wrong text is one wrong try).
 */
#define CORE_TEXT_LOOKED 480

static size_t
core_hook_letters(const char *text, char *out, size_t size)
{
	size_t n = 0;

	for (; *text != '\0' && n + 1 < size; text++)
		if (isalnum((unsigned char)*text) && !((unsigned char)*text & 0x80))
			out[n++] = (char)toupper((unsigned char)*text);
	out[n] = '\0';
	return n;
}

/*
 * Whether letters (n of them) hold v's code (or its previous one, still
 * live): every run of OTP_INBOUND_LEN is tried, each through the HMAC, as
 * typed codes are.  1, 0, or -1 when the HMAC cannot be computed.
 */
static int
core_hook_holds(const struct config *cfg, const struct verification *v, const char *letters,
		size_t n, time_t now)
{
	unsigned char mac[OTP_MAC_LEN];
	char run[OTP_INBOUND_LEN + 1];
	size_t i;
	int found = 0;

	for (i = 0; i + OTP_INBOUND_LEN <= n && !found; i++) {
		memcpy(run, letters + i, OTP_INBOUND_LEN);
		run[OTP_INBOUND_LEN] = '\0';
		if (code_mac(cfg->secret_key, v->id, run, mac) < 0)
			return -1;
		found = code_equal(mac, v->mac, OTP_MAC_LEN) |
			(code_equal(mac, v->prev_mac, OTP_MAC_LEN) & (v->prev_expires > now));
	}
	explicit_bzero(mac, sizeof(mac));
	explicit_bzero(run, sizeof(run));
	return found;
}

/*
 * message.received, inside the transaction that took the event: the
 * sender's live inbound verification whose code the text holds is
 * approved (and given a fresh TOKEN_TTL for the visitor to come back),
 * among every live one of the number (at most OTP_INBOUND_LIVE: starts
 * past it are refused), so that others started after it cannot hide it;
 * if none does, the newest one counts a wrong try.  Returns HOOK_TAKEN,
 * HOOK_IGNORED (no inbound verification of that number), or -1.
 */
static int
core_hook_inbound(struct store *st, const struct config *cfg, const struct webhook_event *ev,
		  time_t now, const char *masked)
{
	/* On the heap: OTP_INBOUND_LIVE of them are tens of kilobytes. */
	struct verification *v = xcalloc(OTP_INBOUND_LIVE, sizeof(*v));
	char letters[CORE_TEXT_LOOKED + 1];
	size_t len = core_hook_letters(ev->text, letters, sizeof(letters));
	int n, i, rc = HOOK_IGNORED, holds = 0;

	if ((n = store_inbound_live(st, ev->from, now, v, OTP_INBOUND_LIVE)) < 0)
		goto fail;
	for (i = 0; i < n && !holds; i++)
		if ((holds = core_hook_holds(cfg, &v[i], letters, len, now)) < 0) {
			log_msg("cannot compute HMAC");
			goto fail;
		}
	if (n == 0)
		goto out;
	if (holds) {
		i--;
		v[i].approved_at = now;
		v[i].expires = now + cfg->token_ttl;
		if (store_put(st, &v[i]) < 0 || store_add_verified(st, now, &v[i]) < 0)
			goto fail;
		log_audit("inbound_received", masked, NULL, v[i].id, "result=approved");
	} else {
		/* Anything else from that phone is a wrong try of its newest code. */
		i = 0;
		v[i].attempts++;
		if (v[i].attempts >= cfg->max_attempts)
			v[i].status = STATUS_LOCKED;
		if (store_put(st, &v[i]) < 0 ||
		    store_add_failure(st, now, v[i].phone, v[i].net) < 0)
			goto fail;
		log_audit("inbound_received", masked, NULL, v[i].id, "result=%s attempts=%d",
			  v[i].status == STATUS_LOCKED ? "locked" : "wrong", v[i].attempts);
	}
	rc = HOOK_TAKEN;
	goto out;
fail:
	rc = -1;
out:
	explicit_bzero(letters, sizeof(letters));
	explicit_bzero(v, OTP_INBOUND_LIVE * sizeof(*v));
	free(v);
	return rc;
}

/* An inbound text for us: to INBOUND_NUMBER, from a number. */
static int
core_hook_is_inbound(const struct config *cfg, const struct webhook_event *ev)
{
	return !strcmp(ev->type, "message.received") && (cfg->channels & CHANNEL_INBOUND) &&
	       cfg->inbound_number != NULL && !strcmp(ev->to, cfg->inbound_number) &&
	       phone_is_e164(ev->from);
}

/* message.received: the event and its effect in one transaction. */
static enum core_hook
core_webhook_inbound(struct core *c, const struct webhook_event *ev, time_t now)
{
	char masked[OTP_PHONE_MAX + 1];
	struct store *st;
	int fresh, rc = HOOK_IGNORED;

	phone_mask(ev->from, masked, sizeof(masked));
	if ((st = core_store(c, &now)) == NULL)
		return HOOK_UNAVAILABLE;
	if (store_begin(st) < 0)
		goto fail;
	if ((fresh = store_event_new(st, ev->id, now)) < 0 ||
	    (fresh && (rc = core_hook_inbound(st, c->cfg, ev, now, masked)) < 0)) {
		store_rollback(st);
		goto fail;
	}
	/* Nothing of ours: the event need not be kept. */
	if (fresh && rc == HOOK_IGNORED) {
		store_rollback(st);
		log_debug("inbound text from %s: no inbound verification of that number", masked);
		return HOOK_IGNORED;
	}
	if (store_commit(st) < 0)
		goto fail;
	return fresh ? HOOK_TAKEN : HOOK_SEEN;
fail:
	core_close(c);
	return HOOK_UNAVAILABLE;
}

_Static_assert(CALL_RINGING == 2 && CALL_ANSWERED == 3 && CALL_DETECTED == 4 && CALL_SPOKEN == 5 &&
		   CALL_ENDED == 6,
	       "webhook_call_stage()'s stages are store.h's");

/* What a call is told after its event (core_hook_call()): a step, and
 * for a spoken code, the code and the verification's language. */
struct core_call_act {
	int act; /* 0: nothing */
	enum channel_step step;
	char code[OTP_CODE_MAX + 1];
	char lang[16];
	struct store_call call;
};

/*
 * The call's verification into v, if it is still live (pending, within
 * its time and tries, of the number called, not inbound), and its
 * language into a: 1, 0 (then the call only ends), or -1.
 */
static int
core_call_live(struct store *st, const struct config *cfg, time_t now, struct verification *v,
	       struct core_call_act *a)
{
	int n;

	if ((n = store_get(st, a->call.vid, v)) <= 0)
		return n;
	if (v->status != STATUS_PENDING || now >= v->expires || v->way == WAY_INBOUND ||
	    v->attempts >= cfg->max_attempts || strcmp(v->phone, a->call.phone) != 0)
		return 0;
	snprintf(a->lang, sizeof(a->lang), "%s", v->lang);
	return 1;
}

/*
 * VOICE_MODE=code, a person on the line: a fresh code for the call's
 * verification, made now rather than when the call was placed, so that
 * no code the store could give back waits for an answer (only its HMAC
 * is kept, as ever); the code it replaces stays good until it expires,
 * as a late text's does.  Into a: a step to speak it, or to hang up when
 * the verification is no longer live.  Returns 0 or -1.
 */
static int
core_call_code(struct store *st, const struct config *cfg, time_t now, struct core_call_act *a)
{
	struct verification v;
	unsigned char mac[OTP_MAC_LEN];
	int n, rc = -1;

	a->act = 1;
	a->step = STEP_HANG_UP;
	if ((n = core_call_live(st, cfg, now, &v, a)) <= 0)
		return n;
	if (code_random(a->code, cfg->token_length, cfg->alphabet) < 0 ||
	    code_mac(cfg->secret_key, v.id, a->code, mac) < 0)
		goto out;
	/* A call's verification holds no code until a call speaks one: the
	 * one before it (a text's) stays as it was. */
	if (!code_mac_none(v.mac)) {
		memcpy(v.prev_mac, v.mac, OTP_MAC_LEN);
		v.prev_expires = v.expires;
	}
	memcpy(v.mac, mac, OTP_MAC_LEN);
	v.expires = now + cfg->token_ttl;
	if (store_put(st, &v) < 0)
		goto out;
	a->step = STEP_SPEAK;
	rc = 0;
out:
	if (rc < 0)
		explicit_bzero(a->code, sizeof(a->code));
	explicit_bzero(mac, sizeof(mac));
	explicit_bzero(&v, sizeof(v));
	return rc;
}

/*
 * VOICE_MODE=confirm, call.gather.ended: a 1 approves the call's
 * verification, as the right inbound text does (approved_at, a fresh
 * TOKEN_TTL for the visitor to come back, counted as verified); any
 * other answer changes nothing.  The call ends either way.  Returns 0 or
 * -1.
 */
static int
core_call_confirm(struct store *st, const struct config *cfg, const struct webhook_event *ev,
		  time_t now, struct core_call_act *a)
{
	struct verification v;
	int n;

	a->act = 1;
	a->step = STEP_HANG_UP;
	if (cfg->voice_mode != VOICE_CONFIRM || strcmp(ev->digits, "1") != 0)
		return 0;
	if ((n = core_call_live(st, cfg, now, &v, a)) <= 0)
		return n;
	v.approved_at = now;
	v.expires = now + cfg->token_ttl;
	n = store_put(st, &v) < 0 || store_add_verified(st, now, &v) < 0 ? -1 : 0;
	explicit_bzero(&v, sizeof(v));
	return n;
}

/*
 * What the call that moved to stage (its event ev) is told next, into a:
 * the answering machine's verdict decides (no code is left on a
 * voicemail, which others may play: the call ends, and a code is spoken
 * only when the verdict is human, not_sure included); a person hears the
 * code (code) or is asked for a 1 (confirm), which approves the
 * verification; once it is said, or the key pressed, the call ends.
 * Returns 0 or -1.
 */
static int
core_call_next(struct store *st, const struct config *cfg, const struct webhook_event *ev,
	       int stage, time_t now, struct core_call_act *a)
{
	switch (stage) {
	case CALL_DETECTED:
		/* A code is spoken to a person only: not_sure may be a voicemail
		 * too.  A question is harmless to a machine, which presses no 1. */
		if (!strcmp(ev->cause, "machine") ||
		    (cfg->voice_mode == VOICE_CODE && strcmp(ev->cause, "human") != 0)) {
			a->act = 1;
			a->step = STEP_HANG_UP;
			return 0;
		}
		if (cfg->voice_mode == VOICE_CODE)
			return core_call_code(st, cfg, now, a);
		{
			struct verification v;
			int n = core_call_live(st, cfg, now, &v, a);

			explicit_bzero(&v, sizeof(v));
			a->act = 1;
			a->step = n > 0 ? STEP_ASK : STEP_HANG_UP;
			return n < 0 ? -1 : 0;
		}
	case CALL_SPOKEN:
		if (!strcmp(ev->type, "call.gather.ended"))
			return core_call_confirm(st, cfg, ev, now, a);
		a->act = 1;
		a->step = STEP_HANG_UP;
		return 0;
	default:
		return 0;
	}
}

/*
 * A call's event, inside the transaction that took it: found by its
 * client_state, and only if the call_control_id is the call's (an event
 * of another call, even of the same verification, changes nothing); the
 * call moves to the event's stage if that is further, and what it is
 * told next goes into a.  HOOK_TAKEN, HOOK_IGNORED (no such call,
 * another call's id, or a stage it passed), or -1.
 */
static int
core_hook_call(struct store *st, const struct config *cfg, const struct webhook_event *ev,
	       int stage, const char *status, time_t now, struct core_call_act *a)
{
	struct store_call *call = &a->call;
	int n;

	if ((n = store_call_find(st, ev->client_state, call)) <= 0)
		return n < 0 ? -1 : HOOK_IGNORED;
	if (call->call_id[0] != '\0' && strcmp(call->call_id, ev->call_id) != 0)
		return HOOK_IGNORED;
	/* The first event can come before request.cgi wrote the id down. */
	if (call->call_id[0] == '\0') {
		if (store_call_set_id(st, call->state, ev->call_id, now) < 0)
			return -1;
		snprintf(call->call_id, sizeof(call->call_id), "%s", ev->call_id);
	}
	if ((n = store_call_stage(st, call->state, (enum store_call_stage)stage, status, ev->cause,
				  now)) < 0)
		return -1;
	if (n == 0)
		return HOOK_IGNORED;
	return core_call_next(st, cfg, ev, stage, now, a) < 0 ? -1 : HOOK_TAKEN;
}

/*
 * Tell the call what a says, after the transaction: in the language of
 * its verification (else the first of LANGUAGES), by the call row of the
 * site's transport, the event's id as the command's so that it runs once.
 * What the provider answers goes to the log; the call's record stands.
 */
static void
core_call_tell(const struct config *cfg, const struct webhook_event *ev, struct core_call_act *a,
	       const char *masked)
{
	const struct channel *ch = channel_for(cfg, CHANNEL_VOICE);
	char first[LANG_TAG_MAX + 1], said[OTP_TEXT_MAX], reason[256];
	const struct lang *l, *base;
	struct channel_speech sp = {NULL, NULL, "1", NULL, NULL};
	struct channel_result res;
	const char *tag = a->lang;

	if (ch == NULL || ch->step == NULL)
		return;
	lang_choose(cfg->languages, NULL, NULL, first, sizeof(first));
	if (tag[0] == '\0' || !lang_offered(cfg->languages, tag))
		tag = first;
	l = lang_get(cfg->template_dir, tag);
	base = lang_get(cfg->template_dir, first);
	if (a->step != STEP_HANG_UP) {
		if (message_voice(cfg, l, base, a->step == STEP_SPEAK ? a->code : NULL, said,
				  sizeof(said)) < 0) {
			log_msg("call to %s: no words for it in %s: hanging up", masked, tag);
			a->step = STEP_HANG_UP;
		}
		sp.words = said;
		sp.again = lang_str(l, base, "VOICE_PRESS_1");
		sp.voice = lang_str(l, base, "VOICE");
		sp.language = lang_str(l, base, "VOICE_LANGUAGE");
		if (sp.voice == NULL)
			a->step = STEP_HANG_UP;
	}
	if (channel_step(ch, cfg, a->call.call_id, a->step, &sp, a->call.state, ev->id, &res) !=
	    SEND_TAKEN)
		log_msg("call to %s: the provider did not take its next step: %s", masked,
			log_value(res.reason, reason, sizeof(reason)));
	explicit_bzero(said, sizeof(said));
}

/* call.*: the event and its effect in one transaction, as the others;
 * then what the call is told. */
static enum core_hook
core_webhook_call(struct core *c, const struct webhook_event *ev, int stage, const char *status,
		  time_t now)
{
	char type[64], cause[64], masked[OTP_PHONE_MAX + 1];
	struct core_call_act a;
	struct store *st;
	int fresh, rc = HOOK_IGNORED;

	/* Not a token of ours (some other application's call): no look-up. */
	if (!code_is_call_state(ev->client_state) || ev->call_id[0] == '\0')
		return HOOK_IGNORED;
	memset(&a, 0, sizeof(a));
	if ((st = core_store(c, &now)) == NULL)
		return HOOK_UNAVAILABLE;
	if (store_begin(st) < 0)
		goto fail;
	if ((fresh = store_event_new(st, ev->id, now)) < 0 ||
	    (fresh && (rc = core_hook_call(st, c->cfg, ev, stage, status, now, &a)) < 0)) {
		store_rollback(st);
		goto fail;
	}
	if (store_commit(st) < 0)
		goto fail;
	if (!fresh) {
		rc = HOOK_SEEN;
		goto out;
	}
	if (rc != HOOK_TAKEN)
		goto out;
	phone_mask(a.call.phone, masked, sizeof(masked));
	log_audit("call", masked, NULL, a.call.vid, "event=%s cause=%s",
		  log_value(ev->type, type, sizeof(type)),
		  log_value(ev->cause[0] != '\0' ? ev->cause : "-", cause, sizeof(cause)));
	if (a.act)
		core_call_tell(c->cfg, ev, &a, masked);
	goto out;
fail:
	core_close(c);
	rc = HOOK_UNAVAILABLE;
out:
	explicit_bzero(&a, sizeof(a));
	return (enum core_hook)rc;
}

enum core_hook
core_webhook(struct core *c, const struct webhook_event *ev, time_t now)
{
	const char *call_status;
	int call_stage = webhook_call_stage(ev->type, &call_status);

	struct store_receipt r;
	char masked[OTP_PHONE_MAX + 1] = "", id[128], status[64], ecode[64];
	struct store *st;
	int fresh;

	if (core_hook_is_inbound(c->cfg, ev))
		return core_webhook_inbound(c, ev, now);
	if (call_stage > 0 && (c->cfg->channels & CHANNEL_VOICE))
		return core_webhook_call(c, ev, call_stage, call_status, now);
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
	if ((st = core_store(c, &now)) == NULL)
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
