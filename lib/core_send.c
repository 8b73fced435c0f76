/*
 * The verification core, first step: make, store and send a code.  Apart
 * from core.c because it sends: only request.cgi links it (and the
 * channel table, channel.o, with the providers' files), so verify.cgi
 * carries no provider code at all.  A code goes out through the row of
 * the channel table (channel.h) for its way; what the core makes of the
 * row's answer is core_sends[], one line per outcome: no provider's
 * codes, no transport's name.
 */
#include <stdio.h>
#include <string.h>

#include "channel.h"
#include "code.h"
#include "core.h"
#include "lang.h"
#include "limit.h"
#include "log.h"
#include "message.h"
#include "number.h"
#include "phone.h"
#include "store.h"
#include "text.h"
#include "webhook.h"

/* The store's way of a start's way (CHANNEL_*). */
static enum store_way
core_way(unsigned way)
{
	return way == CHANNEL_INBOUND ? WAY_INBOUND : way == CHANNEL_VOICE ? WAY_VOICE : WAY_SMS;
}

/*
 * Whether a call may go to n: limit_voice_allowed() (VOICE_COUNTRY_CODES,
 * VOICE_LINE_TYPES), and with no VOICE_COUNTRY_CODES the site's own
 * region only, not all of its calling code: +1 is also Jamaica's and the
 * Dominican Republic's, where toll fraud earns.
 */
static int
core_voice_ok(const struct config *cfg, const struct phone_number *n)
{
	return limit_voice_allowed(cfg, n->e164, n->calling_code, n->type) &&
	       (cfg->voice_country_codes != NULL ||
		(n->region[0] != '\0' && !strcmp(n->region, n->home_region)));
}

/* The ways n may take (ALT_VOICE, ALT_SMS), judged whole: what its
 * verification's pages may offer (struct verification's ways). */
static unsigned
core_number_ways(const struct config *cfg, const struct phone_number *n)
{
	unsigned ways = 0;

	if (core_voice_ok(cfg, n))
		ways |= ALT_VOICE;
	if ((cfg->channels & CHANNEL_SMS) && limit_country_allowed(cfg, n->e164, n->calling_code) &&
	    n->type >= 0 && n->type < PHONE_TYPE__MAX && (cfg->line_types & (1u << n->type)))
		ways |= ALT_SMS;
	return ways;
}

/*
 * Check the send limits and store the code's hash for in->number: in the
 * visitor's pending verification for the same number if there is one
 * (its wrong-try count carries over), else in a new one.  Fills v.  All
 * in one transaction, so that concurrent requests are counted exactly.
 * Returns 0, 429 (with *hit), or -1 (logged).
 */
static int
core_store_code(struct store *st, const struct config *cfg, const struct core_start_in *in,
		const struct limit_req *q, const char *code, struct verification *v,
		struct limit_hit *hit)
{
	const struct phone_number *n = in->number;
	const enum store_way way = core_way(in->way);
	enum core_call fate;
	struct limit_req req = *q;
	int found = 0, rc, seed = 0;

	if (store_begin(st) < 0)
		return -1;
	if (store_purge(st, in->now, (long)cfg->retention_days * OTP_DAY) < 0)
		goto fail;
	if (in->vid != NULL) {
		if ((found = store_get(st, in->vid, v)) < 0)
			goto fail;
		found = found && v->status == STATUS_PENDING && !strcmp(v->phone, n->e164);
	}
	/* Telnyx reported the visitor's last text undelivered, or the last
	 * call ended undone (no answer, busy, a machine: "Call me again"): no
	 * cooldown for another of the same way. */
	if (found && v->way == WAY_SMS && webhook_failed(v->delivery))
		req.how |= LIMIT_UNDELIVERED;
	if (found && v->way == WAY_VOICE && in->way == CHANNEL_VOICE) {
		if (core_call_latest(st, cfg, v, &fate) < 0)
			goto fail;
		if (fate >= FATE_NO_ANSWER)
			req.how |= LIMIT_UNDELIVERED;
	}
	if ((rc = limit_send(st, cfg, &req, &seed, hit)) != 0) {
		store_rollback(st);
		return rc;
	}
	if (!found) {
		memset(v, 0, sizeof(*v));
		if (code_new_id(v->id) < 0) {
			log_msg("cannot make a verification id: no randomness");
			goto fail;
		}
		snprintf(v->phone, sizeof(v->phone), "%s", n->e164);
	}
	/* The language it was asked for in sticks to it, codes sent again too. */
	if (v->lang[0] == '\0' && in->lang != NULL)
		snprintf(v->lang, sizeof(v->lang), "%s", in->lang);
	snprintf(v->prefix, sizeof(v->prefix), "%s", q->prefix);
	snprintf(v->cc, sizeof(v->cc), "%s", q->cc);
	/* Its wrong tries count against the network that asked last. */
	snprintf(v->net, sizeof(v->net), "%s", q->net);
	v->ways = core_number_ways(cfg, n);
	/* The code it replaces stays good until its own expiry: its text may
	 * come after the visitor asked again (or for a call).  Two live codes
	 * at most, sent ones or shown ones: an inbound code was shown on the
	 * page, and typed it would prove nothing; a sent one texted back would
	 * prove the wrong thing. */
	if (found && v->expires > in->now && (v->way == WAY_INBOUND) == (way == WAY_INBOUND) &&
	    !code_mac_none(v->mac)) {
		memcpy(v->prev_mac, v->mac, OTP_MAC_LEN);
		v->prev_expires = v->expires;
	} else if (found && code_mac_none(v->mac) && way != WAY_INBOUND) {
		/* A call that spoke no code replaced nothing: the code before
		 * it (a text's, or a call's that spoke) stays as it was. */
	} else {
		explicit_bzero(v->prev_mac, OTP_MAC_LEN);
		v->prev_expires = 0;
	}
	/* No new code resets the number's wrong-try count (NIST SP 800-63B). */
	if (v->attempts < seed)
		v->attempts = seed;
	v->created = in->now;
	v->expires = in->now + cfg->token_ttl;
	v->status = STATUS_PENDING;
	v->way = way;
	v->approved_at = 0;
	v->message_id[0] = '\0';
	number_display(n, v->shown, sizeof(v->shown));
	/* "Send a new code" comes without return_to: keep the one the site gave. */
	if (in->return_to != NULL)
		snprintf(v->return_to, sizeof(v->return_to), "%s", in->return_to);
	/* A call's verification holds no code of its own until the call
	 * speaks one (core_webhook.c): none could be typed before. */
	if (way == WAY_VOICE)
		memset(v->mac, 0, OTP_MAC_LEN);
	else if (code_mac(cfg->secret_key, v->id, code, v->mac) < 0) {
		log_msg("cannot compute HMAC");
		goto fail;
	}
	if (store_put(st, v) < 0 || store_commit(st) < 0)
		goto fail;
	log_debug("start %.8s: code stored (%s verification, %d wrong tries carried)", v->id,
		  found ? "same" : "new", v->attempts);
	return 0;
fail:
	store_rollback(st);
	return -1;
}

/*
 * After a refusal (its transaction rolled back): the refusal recorded for
 * the stats and, when the conversion breaker tripped, the prefix blocked
 * for CONVERSION_BLOCK seconds, with one loud line when the block starts
 * (of requests that trip it at once, the first).  Failures are logged.
 */
static void
core_refused(struct store *st, const struct config *cfg, const struct limit_req *q,
	     const struct limit_hit *hit)
{
	struct store_block b;
	int found;

	if (store_begin(st) < 0)
		return;
	/* The limits' transaction, purge and all, was rolled back: purge here,
	 * or a site that refuses everything (a budget, a wave) never does. */
	if (store_purge(st, q->now, (long)cfg->retention_days * OTP_DAY) < 0)
		goto fail;
	if (hit->start_block) {
		if ((found = store_block_find(st, q->phone, q->now, &b)) < 0)
			goto fail;
		if (!found) {
			memset(&b, 0, sizeof(b));
			snprintf(b.prefix, sizeof(b.prefix), "%s", q->prefix);
			b.until = q->now + cfg->conversion_block;
			snprintf(b.reason, sizeof(b.reason), "conversion");
			b.created = q->now;
			if (store_block_set(st, &b) < 0)
				goto fail;
			log_msg(
			    "WARNING: SMS pumping? %s blocked for %d s: %ld of %ld codes sent to "
			    "it in %d s were verified, the others asked for from %ld networks "
			    "(CONVERSION_MIN %s); otp-admin unblock %s lifts it",
			    q->prefix, cfg->conversion_block, hit->verified, hit->sends,
			    cfg->conversion_window, hit->nets, cfg->conversion_min_text, q->prefix);
		}
	}
	if (store_add_refusal(st, q->now, hit->kind, q->phone, q->prefix) < 0 ||
	    store_commit(st) < 0)
		goto fail;
	return;
fail:
	store_rollback(st);
	log_msg("cannot record a refusal (%s)", hit->kind);
}

/* Send code to v's number through ch, in the verification's language;
 * res says what became of it. */
static void
core_send_code(const struct config *cfg, const struct channel *ch, const struct verification *v,
	       const char *code, struct channel_result *res)
{
	char text[OTP_TEXT_MAX], first[LANG_TAG_MAX + 1];
	const char *tag = v->lang, *message;
	const struct lang *l;

	/* In the visitor's language: MESSAGE_TEXT_<tag>, or its file's SMS. */
	if (tag[0] == '\0' || !lang_offered(cfg->languages, tag)) {
		lang_choose(cfg->languages, NULL, NULL, first, sizeof(first));
		tag = first;
	}
	l = lang_get(cfg->template_dir, tag);
	message = message_text(cfg, tag, message_words(cfg, l));
	if (text_compose(message, cfg->site_name, cfg->webotp_domain, code, text, sizeof(text)) <
	    0) {
		log_msg("MESSAGE_TEXT does not fit in %d bytes", OTP_TEXT_MAX);
		memset(res, 0, sizeof(*res));
		res->outcome = SEND_MISCONFIGURED;
		snprintf(res->reason, sizeof(res->reason), "message too long");
		return;
	}
	channel_send(ch, cfg, v->phone, text, NULL, res);
	explicit_bzero(text, sizeof(text));
}

/*
 * What the core makes of each outcome of a send that was not taken: the
 * request's outcome, and whether nothing went out (the provider refused
 * it, nothing is billed), so that it counts only for its asker
 * (store_unsend()).  A send that may have gone out still counts.
 */
static const struct {
	enum outcome outcome;
	int refused;
} core_sends[SEND__MAX] = {
    [SEND_TAKEN] = {OUTCOME_SENT, 0},
    [SEND_OPTED_OUT] = {OUTCOME_OPTED_OUT, 1},       /* the visitor's to undo, not ours */
    [SEND_SPEND_LIMIT] = {OUTCOME_LIMITED_SENDS, 1}, /* our budget's page */
    [SEND_REFUSED] = {OUTCOME_PROVIDER, 1},
    [SEND_UNSURE] = {OUTCOME_PROVIDER, 0},
    [SEND_MISCONFIGURED] = {OUTCOME_PROVIDER, 0},
};

/*
 * The ways through that cost nothing, where the site has one for this
 * number, after a refusal that holds for every visitor (the inbound
 * channel: the visitor texts a code the page shows; nothing is sent or
 * paid).
 */
static void
core_alternatives(const struct config *cfg, const struct core_start_in *in, int everyone,
		  struct core_result *r)
{
	const struct phone_number *n = in->number;

	if (everyone && in->way != CHANNEL_INBOUND && (cfg->channels & CHANNEL_INBOUND) &&
	    limit_inbound_allowed(cfg, n->e164, n->calling_code))
		r->alternatives |= ALT_INBOUND;
}

/*
 * Whether start in may go ahead by its way: 1, or 0 with r's refusal set
 * (and the other way offered, where the number may have it).  A call
 * goes only where VOICE_COUNTRY_CODES and VOICE_LINE_TYPES say (toll
 * fraud); a text where ALLOWED_COUNTRY_CODES and ALLOWED_LINE_TYPES say;
 * inbound where INBOUND_COUNTRY_CODES says (where a sender cannot be
 * forged).
 */
static int
core_way_allowed(const struct config *cfg, const struct core_start_in *in,
		 const struct channel **ch, struct core_result *r)
{
	const struct phone_number *n = in->number;
	const char *type = phone_type_name(n->type) != NULL ? phone_type_name(n->type) : "-";
	const int typed = n->type >= 0 && n->type < PHONE_TYPE__MAX;

	*ch = NULL;
	if (in->way == CHANNEL_INBOUND) {
		if (limit_inbound_allowed(cfg, n->e164, n->calling_code))
			return 1;
		r->outcome = OUTCOME_CHANNEL;
		snprintf(r->detail, sizeof(r->detail), "channel=inbound");
		return 0;
	}
	if ((*ch = channel_for(cfg, in->way)) == NULL) {
		r->outcome = OUTCOME_CHANNEL;
		snprintf(r->detail, sizeof(r->detail), "channel=%s",
			 in->way == CHANNEL_VOICE ? "voice" : "sms");
		return 0;
	}
	if (in->way == CHANNEL_VOICE) {
		if (!typed || !(cfg->voice_line_types & (1u << n->type)))
			r->outcome = OUTCOME_LINE_TYPE;
		else if (!core_voice_ok(cfg, n))
			r->outcome = OUTCOME_COUNTRY;
		else
			return 1;
		core_offers(core_number_ways(cfg, n), CHANNEL_VOICE, r);
	} else {
		if (!limit_country_allowed(cfg, n->e164, n->calling_code))
			r->outcome = OUTCOME_COUNTRY;
		else if (!typed || !(cfg->line_types & (1u << n->type)))
			r->outcome = OUTCOME_LINE_TYPE;
		else
			return 1;
		/* A fixed line takes no text: it may take a call. */
		core_offers(core_number_ways(cfg, n), CHANNEL_SMS, r);
	}
	snprintf(r->detail, sizeof(r->detail), "channel=%s line_type=%s", (*ch)->name, type);
	return 0;
}

/*
 * The text of v did not go out as far as we know: its code dies.  If the
 * provider refused it (core_sends[]: nothing sent, nothing billed), it
 * counts no more as a text sent (the number's day, the caps, the breaker,
 * the spend), only for its asker.  A timeout or an answer without an id
 * may have sent it: that one still counts.
 */
static void
core_unsent(struct store *st, const struct verification *v, const struct limit_req *q, int refused)
{
	if (store_begin(st) < 0 || store_fail(st, v->id, v->mac, q->now) < 0 ||
	    (refused && store_unsend(st, q->now, q->phone, q->client, v->way) < 0) ||
	    store_commit(st) < 0) {
		store_rollback(st);
		log_msg("cannot mark verification %.8s failed", v->id);
	}
}

/*
 * Place a call to v's number through ch: its client_state, a token made
 * for this call alone, written down with the call before the call is
 * placed (its first event may come before POST /v2/calls answers), and
 * then its call_control_id.  res says what became of it.
 */
static void
core_place_call(struct core *c, struct store *st, const struct channel *ch,
		const struct verification *v, time_t now, struct channel_result *res)
{
	char state[OTP_CALL_STATE_LEN + 1];

	memset(res, 0, sizeof(*res));
	res->outcome = SEND_MISCONFIGURED;
	if (code_call_state(state) < 0) {
		snprintf(res->reason, sizeof(res->reason), "no randomness");
		return;
	}
	if (store_begin(st) < 0 || store_call_add(st, state, v->id, v->phone, now) < 0 ||
	    store_commit(st) < 0) {
		store_rollback(st);
		snprintf(res->reason, sizeof(res->reason), "cannot record the call");
		return;
	}
	if (channel_send(ch, c->cfg, v->phone, NULL, state, res) != SEND_TAKEN) {
		/* Refused, nothing placed: the call ended before it rang (its
		 * page says it failed, and offers it again).  One that may
		 * have been placed (no answer from Telnyx) is left to its
		 * events. */
		if (core_sends[res->outcome].refused &&
		    (store_begin(st) < 0 ||
		     store_call_stage(st, state, CALL_ENDED, "refused", "", now) < 0 ||
		     store_commit(st) < 0))
			store_rollback(st);
		return;
	}
	if (store_begin(st) < 0 || store_call_set_id(st, state, res->message_id, now) < 0 ||
	    store_commit(st) < 0) {
		store_rollback(st);
		/* The call is placed: its first event tells its id. */
		log_msg("cannot record the call id for verification %.8s", v->id);
		core_close(c);
	}
}

/* The limits' way of counting a start of way (CHANNEL_*). */
static int
core_limit_how(unsigned way)
{
	return way == CHANNEL_INBOUND ? LIMIT_INBOUND : way == CHANNEL_VOICE ? LIMIT_VOICE : 0;
}

/* A send refused by a limit (rc 429 from the store): r says which, with
 * the ways through that cost nothing; the refusal is recorded. */
static void
core_limited(struct store *st, const struct config *cfg, const struct core_start_in *in,
	     const struct limit_req *q, const struct limit_hit *hit, struct core_result *r)
{
	r->outcome = hit->guesses ? OUTCOME_LIMITED_GUESSES : OUTCOME_LIMITED_SENDS;
	r->retry_after = hit->retry_after;
	snprintf(r->kind, sizeof(r->kind), "%s", hit->kind);
	snprintf(r->detail, sizeof(r->detail), "limit=%s kind=%s retry_after=%ld channel=%s",
		 hit->name, hit->kind, hit->retry_after,
		 in->way == CHANNEL_INBOUND ? "inbound"
		 : in->way == CHANNEL_VOICE ? "voice"
					    : "sms");
	core_alternatives(cfg, in, hit->everyone, r);
	/* The calls' own cap leaves the texts, which the visitor may ask for. */
	if (in->way == CHANNEL_VOICE && !strcmp(hit->name, "VOICE_PHONE_LIMIT"))
		core_offers(core_number_ways(cfg, in->number), CHANNEL_VOICE, r);
	core_refused(st, cfg, q, hit);
	if (hit->budget)
		log_msg("WARNING: %s reached: no codes are sent to anyone until it "
			"passes (SMS pumping?)",
			hit->name);
}

/* The send through ch was not taken (res): r says what happened, and the
 * code dies (core_unsent()). */
static void
core_not_taken(struct store *st, const struct config *cfg, const struct channel *ch,
	       const struct core_start_in *in, const struct limit_req *q,
	       const struct verification *v, const struct channel_result *res,
	       struct core_result *r)
{
	char ecode[64], reason[256];
	struct limit_hit hit;

	r->outcome = core_sends[res->outcome].outcome;
	if (res->outcome == SEND_SPEND_LIMIT) {
		r->retry_after = limit_day_left(in->now);
		snprintf(r->kind, sizeof(r->kind), "budget");
		log_msg("WARNING: %s: no codes are sent to anyone until the day ends",
			ch->spend_limit != NULL ? ch->spend_limit
						: "the provider's spend limit reached");
		core_alternatives(cfg, in, 1, r);
	}
	snprintf(
	    r->detail, sizeof(r->detail), "http_status=%ld error_code=%s reason=%s channel=%s",
	    res->http_status,
	    log_value(res->error_code[0] != '\0' ? res->error_code : "-", ecode, sizeof(ecode)),
	    log_value(res->reason, reason, sizeof(reason)), ch->name);
	/* The visitor never saw the code: make sure nobody can use it. */
	core_unsent(st, v, q, core_sends[res->outcome].refused);
	if (res->outcome == SEND_SPEND_LIMIT) {
		memset(&hit, 0, sizeof(hit));
		hit.kind = "budget";
		core_refused(st, cfg, q, &hit);
	}
}

void
core_start(struct core *c, const struct core_start_in *asked, struct core_result *r)
{
	/* As asked (no way: a text), at the time of the store's clock (core_store()). */
	struct core_start_in at = *asked;
	const struct core_start_in *in = &at;
	const struct config *cfg = c->cfg;
	const struct phone_number *n = in->number;
	const int inbound = asked->way == CHANNEL_INBOUND;
	char code[OTP_CODE_MAX + 1], client[64], net[OTP_NET_MAX + 1], reason[256];
	struct verification v;
	char prefix[OTP_PREFIX_MAX + 1], cc[16];
	struct limit_hit hit;
	struct limit_req q;
	const struct channel *ch;
	struct channel_result res;
	const char *reported;
	struct store *st;
	int rc;

	if (at.way == 0)
		at.way = CHANNEL_SMS;
	core_result_init(r, OUTCOME_UNAVAILABLE_SEND);
	snprintf(r->phone, sizeof(r->phone), "%s", n->e164);
	phone_mask(n->e164, r->masked, sizeof(r->masked));
	/* Shown even when refused before a verification is made. */
	number_display(n, r->shown, sizeof(r->shown));
	r->way = in->way;
	if (!core_way_allowed(cfg, in, &ch, r))
		return;
	limit_client_key(in->client, client, sizeof(client));
	limit_net_key(in->client, net, sizeof(net));
	phone_prefix(n->e164, n->calling_code, prefix, sizeof(prefix));
	if (n->calling_code > 0)
		snprintf(cc, sizeof(cc), "+%d", n->calling_code);
	else
		cc[0] = '\0';
	if ((st = core_store(c, &at.now)) == NULL)
		return; /* logged by the store */
	q = (struct limit_req){n->e164, n->calling_code,         client, net, prefix,
			       cc,      core_limit_how(in->way), in->now};
	memset(code, 0, sizeof(code));
	rc = code_random(code, inbound ? OTP_INBOUND_LEN : cfg->token_length,
			 inbound ? ALPHABET_INBOUND : cfg->alphabet) < 0
		 ? -1
		 : core_store_code(st, cfg, in, &q, code, &v, &hit);
	if (rc == 429) {
		core_limited(st, cfg, in, &q, &hit, r);
		goto out;
	}
	if (rc < 0) {
		log_msg("no code sent to %s: cannot store it", r->masked);
		goto out;
	}
	snprintf(r->vid, sizeof(r->vid), "%s", v.id);
	log_audit("requested", r->masked, in->client, v.id, "attempts=%d channel=%s", v.attempts,
		  store_way_word(v.way));
	if (inbound) {
		/* Nothing to send: the page shows the code, the visitor texts it. */
		r->outcome = OUTCOME_INBOUND;
		snprintf(r->inbound_code, sizeof(r->inbound_code), "%.*s", OTP_INBOUND_LEN, code);
		r->expires_in = cfg->token_ttl;
		snprintf(r->detail, sizeof(r->detail), "channel=inbound");
		goto out;
	}
	if (in->way == CHANNEL_VOICE)
		core_place_call(c, st, ch, &v, in->now, &res);
	else
		core_send_code(cfg, ch, &v, code, &res);
	if ((st = c->st) == NULL) /* closed after the call was placed */
		st = core_store(c, NULL);
	if (res.outcome != SEND_TAKEN) {
		if (st != NULL)
			core_not_taken(st, cfg, ch, in, &q, &v, &res, r);
		else
			r->outcome = core_sends[res.outcome].outcome;
		goto out;
	}
	/* The message itself, for the webhooks of a text that has them (a
	 * call is found by its client_state: core_place_call()). */
	reported = ch->receipts ? v.phone : NULL;
	if (in->way != CHANNEL_VOICE &&
	    (store_begin(st) < 0 ||
	     store_set_message_id(st, v.id, res.message_id, reported, in->now) < 0 ||
	     store_commit(st) < 0)) {
		store_rollback(st);
		log_msg("cannot record message id for verification %.8s", v.id);
		/* The code is out: the answer stands, the next request opens afresh. */
		core_close(c);
	}
	r->outcome = in->way != CHANNEL_VOICE           ? OUTCOME_SENT
		     : cfg->voice_mode == VOICE_CONFIRM ? OUTCOME_CALLED_CONFIRM
							: OUTCOME_CALLED;
	r->expires_in = cfg->token_ttl;
	r->attempts_left = cfg->max_attempts - v.attempts;
	if (in->way == CHANNEL_VOICE)
		r->call = FATE_RINGING;
	core_offers(core_number_ways(cfg, n), in->way, r);
	/* Not a call the number had its share of today (VOICE_PHONE_LIMIT);
	 * the store may have been closed above. */
	if ((r->alternatives & ALT_VOICE) &&
	    (c->st == NULL || limit_calls_left(c->st, cfg, n->e164, in->now) != 1))
		r->alternatives &= ~(unsigned)ALT_VOICE;
	snprintf(r->detail, sizeof(r->detail), "message_id=%s channel=%s",
		 log_value(res.message_id, reason, sizeof(reason)), ch->name);
	log_debug("start %.8s: sent to %s by %s, cost estimate %lld millionths", v.id, r->masked,
		  ch->name, res.cost_micros);
out:
	explicit_bzero(code, sizeof(code));
	explicit_bzero(&v, sizeof(v));
	core_settle(c, r);
}
