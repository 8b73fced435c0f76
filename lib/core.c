/*
 * The verification core: checking a code, and what the store holds for a
 * visitor.  All reads and writes of one check are one immediate
 * transaction, so two processes never both accept a code, nor both count
 * the same try.  Debug lines (DEBUG=True) follow each step; they name the
 * masked number and the first 8 characters of the id, never a code, a key
 * or a whole number.
 */
#include <stdio.h>
#include <string.h>

#include "code.h"
#include "core.h"
#include "eddsa.h"
#include "jwt.h"
#include "limit.h"
#include "log.h"
#include "phone.h"
#include "store.h"

void
core_init(struct core *c, const struct config *cfg)
{
	c->cfg = cfg;
	c->st = NULL;
}

void
core_close(struct core *c)
{
	store_close(c->st);
	c->st = NULL;
}

void
core_idle(struct core *c)
{
	if (c->st != NULL)
		store_idle(c->st);
}

struct store *
core_store(struct core *c, time_t *now)
{
	time_t t;

	/* Kept from an earlier request: still the file at DB_PATH, still connected? */
	if (c->st != NULL && store_stale(c->st))
		core_close(c);
	if (c->st == NULL)
		c->st = store_open(config_database(c->cfg));
	/* The request's time from the clock every web server shares. */
	if (c->st != NULL && now != NULL) {
		if ((t = store_now(c->st, *now)) == (time_t)-1) {
			core_close(c);
			return NULL;
		}
		*now = t;
	}
	return c->st;
}

void
core_result_init(struct core_result *r, enum outcome o)
{
	memset(r, 0, sizeof(*r));
	r->outcome = o;
	r->attempts_left = -1;
}

static const char *const core_calls[FATE__MAX] = {
    [FATE_NONE] = "none",         [FATE_RINGING] = "ringing",     [FATE_ON] = "answered",
    [FATE_DONE] = "done",         [FATE_NO_ANSWER] = "no_answer", [FATE_BUSY] = "busy",
    [FATE_REJECTED] = "rejected", [FATE_MACHINE] = "machine",     [FATE_FAILED] = "failed",
};

const char *
core_call_word(enum core_call c)
{
	return c >= FATE_NONE && c < FATE__MAX ? core_calls[c] : "none";
}

void
core_offers(unsigned ways, unsigned way, struct core_result *r)
{
	r->alternatives |= ways & (way == CHANNEL_VOICE ? ALT_SMS
				   : way == CHANNEL_SMS ? ALT_VOICE
							: ALT_VOICE | ALT_SMS);
}

/*
 * What became of call c, by its stage and cause (Telnyx's hangup_cause,
 * or the answering machine's verdict, which the store keeps over the
 * hang-up that follows it).  An answered call ends in normal_clearing,
 * whoever hung up: it did its part.
 */
static enum core_call
core_call_fate(const struct store_call *c)
{
	static const struct {
		const char *cause;
		enum core_call fate;
	} causes[] = {
	    {"machine", FATE_MACHINE},
	    {"not_sure", FATE_MACHINE},
	    {"no_answer", FATE_NO_ANSWER},
	    {"timeout", FATE_NO_ANSWER},
	    {"originator_cancel", FATE_NO_ANSWER},
	    {"user_busy", FATE_BUSY},
	    {"call_rejected", FATE_REJECTED},
	    {"normal_clearing", FATE_DONE},
	};
	size_t i;

	if (c->stage < CALL_ENDED) {
		if (c->stage >= CALL_DETECTED && !strcmp(c->cause, "machine"))
			return FATE_MACHINE;
		return c->stage >= CALL_ANSWERED ? FATE_ON : FATE_RINGING;
	}
	for (i = 0; i < sizeof(causes) / sizeof(causes[0]); i++)
		if (!strcmp(c->cause, causes[i].cause))
			return causes[i].fate;
	return FATE_FAILED;
}

/* The way of a verification, as the config names it (CHANNEL_*). */
static unsigned
core_way_bit(enum store_way way)
{
	return way == WAY_INBOUND ? CHANNEL_INBOUND
	       : way == WAY_VOICE ? CHANNEL_VOICE
				  : CHANNEL_SMS;
}

/* Fill r's number and id from v. */
static void
core_result_of(struct core_result *r, const struct verification *v)
{
	r->way = core_way_bit(v->way);
	snprintf(r->vid, sizeof(r->vid), "%s", v->id);
	snprintf(r->phone, sizeof(r->phone), "%s", v->phone);
	if (v->phone[0] != '\0')
		phone_mask(v->phone, r->masked, sizeof(r->masked));
	snprintf(r->shown, sizeof(r->shown), "%s", v->shown);
	snprintf(r->delivery, sizeof(r->delivery), "%s", v->delivery);
	snprintf(r->lang, sizeof(r->lang), "%s", v->lang);
}

/* Whether v's code may still be tried (an inbound one only while the
 * site still offers inbound: there is no number to text otherwise). */
static int
core_live(const struct config *cfg, const struct verification *v, time_t now)
{
	return v->status == STATUS_PENDING && now < v->expires && v->attempts < cfg->max_attempts &&
	       (v->way != WAY_INBOUND ||
		((cfg->channels & CHANNEL_INBOUND) && cfg->inbound_number != NULL));
}

/* Whether v takes no typed code: its proof comes to webhook.cgi (the
 * visitor's text, a 1 pressed on its call: approved_at).  A code typed
 * (typed) for a call that asks for a 1 is checked as a code: the one
 * texted before the call ("Call me instead") lives on. */
static int
core_untyped(const struct config *cfg, const struct verification *v, int typed)
{
	return v->way == WAY_INBOUND || v->approved_at > 0 ||
	       (v->way == WAY_VOICE && cfg->voice_mode == VOICE_CONFIRM && !typed);
}

/*
 * The JWT of a into r (jwt.h): EdDSA with the first key of
 * SIGNING_KEY_FILE when there is one, else HS256 with SIGNING_KEY.  The
 * key file is read here, at each signing, so a key changed or made
 * unreadable takes effect at once.  Returns 0, or -1 with why set.
 */
static int
core_jwt(const struct config *cfg, const struct assertion *a, struct core_result *r, char *why,
	 size_t size)
{
	struct jwt_scope sc = {cfg->assertion_issuer, cfg->assertion_audience, cfg->result_max_age};
	struct jwt_key k = {.alg = JWT_HS256, .secret = cfg->signing_key};
	char path[OTP_CONFIG_LINE];
	struct eddsa_key ed;
	int rc;

	snprintf(why, size, "cannot make the JWT");
	if (!config_key_file(cfg, 0, path, sizeof(path)))
		return jwt_make(&k, &sc, a, r->assertion, sizeof(r->assertion));
	if (eddsa_load(path, &ed, why, size) < 0)
		return -1;
	k.alg = JWT_EDDSA;
	k.priv = &ed;
	snprintf(k.kid, sizeof(k.kid), "%s", ed.kid);
	snprintf(why, size, "cannot sign the JWT with %.300s", path);
	rc = jwt_make(&k, &sc, a, r->assertion, sizeof(r->assertion));
	eddsa_free(&ed);
	return rc;
}

/*
 * The assertion for the site into r, when it has a key to sign with, in
 * ASSERTION_FORMAT.  Returns 0, or -1 after logging one line: the caller
 * approves nothing then (no token signed with anything else).
 */
static int
core_assert(const struct config *cfg, const struct verification *v, time_t now,
	    struct core_result *r)
{
	char why[512];
	struct assertion a;
	int rc;

	snprintf(r->return_to, sizeof(r->return_to), "%s", v->return_to);
	if (cfg->signing_key == NULL && cfg->signing_key_file == NULL)
		return 0;
	memset(&a, 0, sizeof(a));
	snprintf(a.phone, sizeof(a.phone), "%s", v->phone);
	snprintf(a.vid, sizeof(a.vid), "%s", v->id);
	snprintf(a.return_to, sizeof(a.return_to), "%s", v->return_to);
	a.verified_at = now;
	snprintf(why, sizeof(why), "cannot make the assertion");
	if (cfg->assertion_format == FORMAT_JWT)
		rc = core_jwt(cfg, &a, r, why, sizeof(why));
	else
		rc = assertion_make(cfg->signing_key, &a, r->assertion, sizeof(r->assertion));
	explicit_bzero(&a, sizeof(a));
	if (rc < 0) {
		log_msg("no assertion for verification %.8s, left unused: %s", v->id, why);
		r->assertion[0] = '\0';
	}
	return rc;
}

/*
 * The check itself, inside one transaction: the outcome, with v as it
 * was read and then written.  typed: a code was typed (mac is its HMAC).
 */
static enum outcome
core_check_tx(struct store *st, const struct config *cfg, const char *vid,
	      const unsigned char mac[OTP_MAC_LEN], int typed, time_t now, struct verification *v,
	      struct core_result *r)
{
	struct limit_hit hit;
	enum outcome out;
	int found, right;

	if (store_begin(st) < 0)
		return OUTCOME_UNAVAILABLE_CHECK;
	if ((found = store_get(st, vid, v)) < 0)
		goto fail;
	if (!found || !core_live(cfg, v, now)) {
		store_rollback(st);
		log_debug("check %.8s: %s", vid,
			  found ? "code no longer live" : "no such verification");
		return found && v->status == STATUS_PENDING && now >= v->expires ? OUTCOME_EXPIRED
										 : OUTCOME_DEAD;
	}
	/* Inbound: the text from the phone is the proof, never a code typed
	 * here (the page showed it); nothing typed counts as a try.  So is a
	 * 1 pressed on a call (VOICE_MODE=confirm): approved_at is set. */
	if (core_untyped(cfg, v, typed)) {
		if (v->approved_at == 0) {
			store_rollback(st);
			return v->way == WAY_VOICE ? OUTCOME_CALL_NOT_YET : OUTCOME_INBOUND_NOT_YET;
		}
		v->status = STATUS_USED;
		/* Counted as verified when its text came (core_webhook.c). */
		if (core_assert(cfg, v, now, r) < 0 || store_put(st, v) < 0 || store_commit(st) < 0)
			goto fail;
		return OUTCOME_APPROVED;
	}
	switch (limit_guess(st, cfg, v->phone, v->net, now, &hit)) {
	case 0:
		break;
	case 429:
		store_rollback(st);
		r->retry_after = hit.retry_after;
		snprintf(r->kind, sizeof(r->kind), "%s", hit.kind);
		snprintf(r->detail, sizeof(r->detail), "limit=%s kind=%s retry_after=%ld", hit.name,
			 hit.kind, hit.retry_after);
		return OUTCOME_LIMITED_GUESSES;
	default:
		goto fail;
	}
	/* Either live code, both compared whatever the first gives; using
	 * one uses both, and a wrong try counts against both. */
	right = code_equal(mac, v->mac, OTP_MAC_LEN);
	right |= code_equal(mac, v->prev_mac, OTP_MAC_LEN) & (v->prev_expires > now);
	if (right) {
		v->status = STATUS_USED;
		out = OUTCOME_APPROVED;
		/* Signed before the commit: a key that fails leaves the code unused. */
		if (core_assert(cfg, v, now, r) < 0 || store_add_verified(st, now, v) < 0)
			goto fail;
	} else {
		v->attempts++;
		out = v->attempts >= cfg->max_attempts ? OUTCOME_LOCKED : OUTCOME_WRONG;
		if (out == OUTCOME_LOCKED)
			v->status = STATUS_LOCKED;
		if (store_add_failure(st, now, v->phone, v->net) < 0)
			goto fail;
	}
	if (store_put(st, v) < 0 || store_commit(st) < 0)
		goto fail;
	return out;
fail:
	store_rollback(st);
	r->assertion[0] = '\0';
	r->return_to[0] = '\0';
	return OUTCOME_UNAVAILABLE_CHECK;
}

int
core_call_latest(struct store *st, const struct config *cfg, const struct verification *v,
		 enum core_call *fate)
{
	struct store_call call;
	int n;

	if ((n = store_call_latest(st, v->id, &call)) < 0)
		return -1;
	*fate = n > 0 ? core_call_fate(&call) : FATE_NONE;
	/* Answered, then hung up before any call of it spoke a code (no
	 * verdict came: a person who heard silence hangs up): nothing was
	 * said, the call did not do its part. */
	if (*fate == FATE_DONE && cfg->voice_mode == VOICE_CODE && code_mac_none(v->mac))
		*fate = FATE_FAILED;
	return 0;
}

/*
 * A pending verification's calls into r: what became of its latest call
 * (a call's verification), and the other way its page offers: a call
 * for a text's ("Call me instead"), a text for a call's, as its number
 * was judged when it was asked for (v->ways).
 * Returns 0 or -1 (the store failed).
 */
static int
core_call_status(struct store *st, const struct config *cfg, const struct verification *v,
		 time_t now, struct core_result *r)
{
	/* What the site still offers of what the number could take. */
	core_offers(v->ways & ((cfg->channels & CHANNEL_VOICE ? ALT_VOICE : 0) |
			       (cfg->channels & CHANNEL_SMS ? ALT_SMS : 0)),
		    core_way_bit(v->way), r);
	/* Not a call the number had its share of today (VOICE_PHONE_LIMIT):
	 * neither "Call me instead" nor "Call me again". */
	if (((r->alternatives & ALT_VOICE) || v->way == WAY_VOICE) &&
	    limit_calls_left(st, cfg, v->phone, now) != 1) {
		r->alternatives &= ~(unsigned)ALT_VOICE;
		r->calls_spent = 1;
	}
	if (v->way != WAY_VOICE)
		return 0;
	return core_call_latest(st, cfg, v, &r->call);
}

/* The code the page showed (shown) into r, if it is v's: shown again. */
static void
core_show_inbound(const struct config *cfg, const struct verification *v, const char *shown,
		  struct core_result *r)
{
	unsigned char mac[OTP_MAC_LEN];

	if (shown == NULL || strlen(shown) != OTP_INBOUND_LEN ||
	    code_mac(cfg->secret_key, v->id, shown, mac) < 0)
		return;
	if (code_equal(mac, v->mac, OTP_MAC_LEN))
		snprintf(r->inbound_code, sizeof(r->inbound_code), "%s", shown);
	explicit_bzero(mac, sizeof(mac));
}

void
core_check(struct core *c, const char *vid, const char *token, const char *shown, time_t now,
	   struct core_result *r)
{
	const struct config *cfg = c->cfg;
	unsigned char mac[OTP_MAC_LEN];
	struct verification v;
	struct store *st;

	core_result_init(r, OUTCOME_UNAVAILABLE_CHECK);
	snprintf(r->vid, sizeof(r->vid), "%s", vid);
	if ((st = core_store(c, &now)) == NULL)
		return;
	/* "I have sent it", for an inbound verification (or one a call
	 * approved): no code is typed. */
	if ((token == NULL || token[0] == '\0') && store_get(st, vid, &v) == 1 &&
	    core_untyped(cfg, &v, 0))
		token = "";
	else if (token == NULL || token[0] == '\0') {
		/* The form again, if there is one to show. */
		r->outcome = store_get(st, vid, &v) == 1 && core_live(cfg, &v, now)
				 ? OUTCOME_MISSING_TOKEN
				 : OUTCOME_MISSING_TOKEN_OFF;
		if (r->outcome == OUTCOME_MISSING_TOKEN) {
			core_result_of(r, &v);
			core_call_status(st, cfg, &v, now, r);
		}
		return;
	}
	/* Computed before the lookup, whatever it finds: no timing hint. */
	if (code_mac(cfg->secret_key, vid, token, mac) < 0) {
		log_msg("cannot compute HMAC");
		return;
	}
	memset(&v, 0, sizeof(v));
	r->outcome = core_check_tx(st, cfg, vid, mac, token[0] != '\0', now, &v, r);
	explicit_bzero(mac, sizeof(mac));
	if (v.phone[0] != '\0')
		core_result_of(r, &v);
	switch (r->outcome) {
	case OUTCOME_APPROVED:
		snprintf(r->detail, sizeof(r->detail), "attempts=%d", v.attempts);
		break;
	case OUTCOME_WRONG:
		r->attempts_left = cfg->max_attempts - v.attempts;
		/* The form again says what became of the call, offers the other way. */
		core_call_status(st, cfg, &v, now, r);
		snprintf(r->detail, sizeof(r->detail), "attempts=%d max=%d", v.attempts,
			 cfg->max_attempts);
		break;
	case OUTCOME_LOCKED:
		snprintf(r->detail, sizeof(r->detail), "attempts=%d", v.attempts);
		break;
	case OUTCOME_EXPIRED:
	case OUTCOME_DEAD:
		snprintf(r->detail, sizeof(r->detail), "status=%d", (int)v.status);
		break;
	case OUTCOME_INBOUND_NOT_YET:
		r->expires_in = (long)(v.expires - now);
		core_show_inbound(cfg, &v, shown, r);
		break;
	case OUTCOME_CALL_NOT_YET:
		r->expires_in = (long)(v.expires - now);
		core_call_status(st, cfg, &v, now, r);
		break;
	default:
		break;
	}
	if (v.way != WAY_SMS && r->outcome == OUTCOME_APPROVED)
		snprintf(r->detail, sizeof(r->detail), "channel=%s", store_way_word(v.way));
	explicit_bzero(&v, sizeof(v));
	log_debug("check %.8s: outcome %d", vid, (int)r->outcome);
	core_settle(c, r);
}

void
core_status(struct core *c, const char *vid, time_t now, struct core_result *r)
{
	struct verification v;
	struct store *st;

	core_result_init(r, OUTCOME_NONE);
	if (vid == NULL)
		return;
	if ((st = core_store(c, &now)) == NULL) {
		r->outcome = OUTCOME_UNAVAILABLE_CHECK;
		return;
	}
	if (store_get(st, vid, &v) == 1 && core_live(c->cfg, &v, now)) {
		/* Its text came (or a 1 on its call): done, as after "I have sent it". */
		if (v.approved_at > 0) {
			core_check(c, vid, NULL, NULL, now, r);
			return;
		}
		r->outcome = v.way == WAY_INBOUND          ? OUTCOME_INBOUND_WAITING
			     : core_untyped(c->cfg, &v, 0) ? OUTCOME_CALL_WAITING
							   : OUTCOME_PENDING;
		core_result_of(r, &v);
		r->expires_in = (long)(v.expires - now);
		r->attempts_left = c->cfg->max_attempts - v.attempts;
		if (v.way != WAY_INBOUND && core_call_status(st, c->cfg, &v, now, r) < 0) {
			r->outcome = OUTCOME_UNAVAILABLE_CHECK;
			core_close(c);
		}
	}
	explicit_bzero(&v, sizeof(v));
}

int
core_number(struct core *c, const char *vid, char e164[OTP_PHONE_MAX + 1])
{
	struct verification v;
	struct store *st;
	int rc;

	e164[0] = '\0';
	if ((st = core_store(c, NULL)) == NULL)
		return -1;
	if ((rc = store_get(st, vid, &v)) == 1)
		snprintf(e164, OTP_PHONE_MAX + 1, "%s", v.phone);
	else if (rc < 0)
		core_close(c);
	explicit_bzero(&v, sizeof(v));
	return rc;
}

void
core_settle(struct core *c, const struct core_result *r)
{
	/* A store that failed is opened afresh for the next request. */
	if (r->outcome == OUTCOME_UNAVAILABLE_SEND || r->outcome == OUTCOME_UNAVAILABLE_CHECK)
		core_close(c);
}
