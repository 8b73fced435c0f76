/*
 * Writing answers.  answers[] holds, for every outcome, the status, the
 * page, the JSON error code, the audit event and reason, and the words
 * the visitor reads; reply_pages[] holds, for every page, its template
 * and the function that fills it.  reply_answer() turns an outcome into
 * headers and a page (or JSON) from those two rows alone.  When the
 * templates themselves cannot be read, a fixed page says only that
 * something went wrong.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgi.h"
#include "log.h"
#include "reply.h"
#include "webhook.h"

/* The pages: each is one row of reply_pages[] (its template, the
 * function that fills it), named here for answers[]. */
enum answer_page {
	PAGE_ERROR,
	PAGE_PHONE,
	PAGE_CODE,
	PAGE_SUCCESS,
	PAGE_INBOUND,
	PAGE_CALL,
	PAGE__MAX
};

/* What a JSON success carries besides "status". */
#define J_VID      0x01 /* verification_id */
#define J_EXPIRES  0x02 /* expires_in */
#define J_PHONE    0x04 /* phone, masked */
#define J_ATTEMPTS 0x08 /* attempts_left */
#define J_ASSERT   0x10 /* assertion, when made */
#define J_DELIVERY 0x20 /* delivery: Telnyx's last report of the text, or "unknown" */
#define J_INBOUND  0x40 /* channel "inbound", text_to, inbound_code when shown */
/* A call's verification, whatever the row: channel "voice", mode, call. */

struct answer {
	int status;
	enum answer_page page;
	const char *code;   /* JSON error code; NULL: a success, {"status": json} */
	const char *json;   /* JSON "status" of a success */
	int fields;         /* J_* of a success */
	const char *event;  /* audit event, or NULL: no audit line */
	const char *reason; /* audit "reason=", or NULL */
	/* Its words in the language's file: TITLE_<name> (of the error page)
	 * and MESSAGE_<name> (of the page or the JSON error), when there. */
	const char *name;
	int new_code; /* the error page offers a new code */
};

static const struct answer answers[OUTCOME__MAX] = {
    [OUTCOME_METHOD] = {405, PAGE_ERROR, "method_not_allowed", NULL, 0, "refused", NULL, "METHOD",
			0},
    [OUTCOME_MALFORMED] = {400, PAGE_ERROR, "bad_request", NULL, 0, "refused", NULL, "MALFORMED",
			   0},
    [OUTCOME_TOO_LARGE] = {413, PAGE_ERROR, "too_large", NULL, 0, "refused", NULL, "TOO_LARGE", 0},
    [OUTCOME_URI_TOO_LONG] = {414, PAGE_ERROR, "uri_too_long", NULL, 0, "refused", NULL,
			      "URI_TOO_LONG", 0},
    [OUTCOME_MEDIA_TYPE] = {415, PAGE_ERROR, "unsupported_media_type", NULL, 0, "refused", NULL,
			    "MEDIA_TYPE", 0},
    [OUTCOME_ORIGIN] = {403, PAGE_ERROR, "forbidden_origin", NULL, 0, "refused_origin", NULL,
			"ORIGIN", 0},
    [OUTCOME_MISCONFIGURED] = {500, PAGE_ERROR, "misconfigured", NULL, 0, NULL, NULL,
			       "MISCONFIGURED", 0},
    [OUTCOME_BAD_PHONE_FORM] = {400, PAGE_PHONE, "bad_request", NULL, 0, "refused", "form",
				"BAD_PHONE_FORM", 0},
    [OUTCOME_BAD_CODE_FORM] = {400, PAGE_ERROR, "bad_request", NULL, 0, "refused", "form",
			       "BAD_CODE_FORM", 1},
    [OUTCOME_MISSING_PHONE] = {400, PAGE_PHONE, "missing_phone", NULL, 0, "refused",
			       "missing_phone", "MISSING_PHONE", 0},
    [OUTCOME_INVALID_PHONE] = {400, PAGE_PHONE, "invalid_phone", NULL, 0, "refused",
			       "invalid_phone", "INVALID_PHONE", 0},
    [OUTCOME_NO_SUCH_NUMBER] = {400, PAGE_PHONE, "invalid_phone", NULL, 0, "refused",
				"invalid_phone", "NO_SUCH_NUMBER", 0},
    [OUTCOME_BAD_SIGNATURE] = {400, PAGE_PHONE, "bad_signature", NULL, 0, "refused", "phone_sig",
			       "BAD_SIGNATURE", 0},
    [OUTCOME_BAD_RETURN_TO] = {400, PAGE_ERROR, "invalid_return_to", NULL, 0, "refused",
			       "return_to", "BAD_RETURN_TO", 0},
    [OUTCOME_NO_VERIFICATION] = {400, PAGE_ERROR, "no_verification", NULL, 0, "refused",
				 "no_verification", "NO_VERIFICATION", 1},
    [OUTCOME_MISSING_TOKEN] = {400, PAGE_CODE, "missing_token", NULL, 0, "refused", "missing_token",
			       "MISSING_TOKEN", 0},
    [OUTCOME_MISSING_TOKEN_OFF] = {400, PAGE_ERROR, "missing_token", NULL, 0, "refused",
				   "missing_token", "MISSING_TOKEN_OFF", 1},
    [OUTCOME_READY] = {200, PAGE_PHONE, NULL, "ready", 0, NULL, NULL, "READY", 0},
    [OUTCOME_COUNTRY] = {400, PAGE_PHONE, "country_not_allowed", NULL, 0, "refused", "country",
			 "COUNTRY", 0},
    [OUTCOME_LINE_TYPE] = {400, PAGE_PHONE, "line_type_not_allowed", NULL, 0, "refused",
			   "line_type", "LINE_TYPE", 0},
    [OUTCOME_CHANNEL] = {400, PAGE_PHONE, "channel_not_allowed", NULL, 0, "refused", "channel",
			 "CHANNEL", 0},
    [OUTCOME_SENT] = {200, PAGE_CODE, NULL, "pending", J_VID | J_EXPIRES | J_PHONE, "sent", NULL,
		      "SENT", 0},
    [OUTCOME_CALLED] = {200, PAGE_CODE, NULL, "pending", J_VID | J_EXPIRES | J_PHONE, "called",
			NULL, "CALLED", 0},
    [OUTCOME_CALLED_CONFIRM] = {200, PAGE_CALL, NULL, "pending", J_VID | J_EXPIRES | J_PHONE,
				"called", NULL, "CALLED_CONFIRM", 0},
    [OUTCOME_INBOUND] = {200, PAGE_INBOUND, NULL, "pending",
			 J_VID | J_EXPIRES | J_PHONE | J_INBOUND, "awaiting_text", NULL, "INBOUND",
			 0},
    [OUTCOME_LIMITED_SENDS] = {429, PAGE_ERROR, "rate_limited", NULL, 0, "limited", NULL,
			       "LIMITED_SENDS", 0},
    [OUTCOME_LIMITED_GUESSES] = {429, PAGE_ERROR, "rate_limited", NULL, 0, "limited", NULL,
				 "LIMITED_GUESSES", 0},
    [OUTCOME_PROVIDER] = {502, PAGE_ERROR, "provider_error", NULL, 0, "provider_error", NULL,
			  "PROVIDER", 1},
    [OUTCOME_OPTED_OUT] = {409, PAGE_ERROR, "opted_out", NULL, 0, "opted_out", NULL, "OPTED_OUT",
			   0},
    [OUTCOME_UNAVAILABLE_SEND] = {503, PAGE_ERROR, "unavailable", NULL, 0, NULL, NULL,
				  "UNAVAILABLE_SEND", 0},
    [OUTCOME_APPROVED] = {200, PAGE_SUCCESS, NULL, "approved", J_PHONE | J_ASSERT, "verified", NULL,
			  "APPROVED", 0},
    [OUTCOME_WRONG] = {422, PAGE_CODE, "wrong_code", NULL, 0, "wrong", NULL, "WRONG", 0},
    [OUTCOME_LOCKED] = {410, PAGE_ERROR, "locked", NULL, 0, "locked", NULL, "LOCKED", 1},
    [OUTCOME_EXPIRED] = {410, PAGE_ERROR, "code_dead", NULL, 0, "expired", NULL, "EXPIRED", 1},
    [OUTCOME_DEAD] = {410, PAGE_ERROR, "code_dead", NULL, 0, "dead", NULL, "DEAD", 1},
    [OUTCOME_PENDING] = {200, PAGE_CODE, NULL, "pending",
			 J_VID | J_EXPIRES | J_ATTEMPTS | J_DELIVERY, NULL, NULL, "PENDING", 0},
    [OUTCOME_INBOUND_WAITING] = {200, PAGE_INBOUND, NULL, "pending", J_VID | J_EXPIRES | J_INBOUND,
				 NULL, NULL, "INBOUND_WAITING", 0},
    [OUTCOME_INBOUND_NOT_YET] = {200, PAGE_INBOUND, NULL, "pending", J_VID | J_EXPIRES | J_INBOUND,
				 NULL, NULL, "INBOUND_NOT_YET", 0},
    [OUTCOME_CALL_WAITING] = {200, PAGE_CALL, NULL, "pending", J_VID | J_EXPIRES, NULL, NULL,
			      "CALL_WAITING", 0},
    [OUTCOME_CALL_NOT_YET] = {200, PAGE_CALL, NULL, "pending", J_VID | J_EXPIRES, NULL, NULL,
			      "CALL_NOT_YET", 0},
    [OUTCOME_NONE] = {200, PAGE_ERROR, NULL, "none", 0, NULL, NULL, "NONE", 1},
    [OUTCOME_UNAVAILABLE_CHECK] = {503, PAGE_ERROR, "unavailable", NULL, 0, NULL, NULL,
				   "UNAVAILABLE_CHECK", 0},
};

static const char reply_fallback[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>Service unavailable</title></head>\n<body data-page=\"error\">"
    "<h1>Something went wrong</h1><p>Please try again later.</p></body></html>\n";

int
reply_status(enum outcome o)
{
	return answers[o].status;
}

const char *
reply_code(enum outcome o)
{
	return answers[o].code;
}

/* The words of one answer: its language's, and the first language's for
 * what that one lacks. */
struct reply_words {
	const char *tag;
	const struct lang *l, *base;
	char first[LANG_TAG_MAX + 1]; /* the first of LANGUAGES: the fallback */
};

/* What a page's fill function has: the answer being written, and what
 * it may add to its headers (a 303 back to the site keeps url and
 * cookie, which live as long as the answer). */
struct reply_fill {
	const struct reply *rp;
	const struct answer *a;
	const struct core_result *r;
	const struct reply_words *w;
	const char *msg; /* the row's words, or NULL */
	struct cgi_reply *hdr;
	struct page *p;
	char url[OTP_RETURN_MAX + ASSERTION_MAX + 32];
	char cookie[ASSERTION_MAX + 512];
};

/*
 * The language r is answered in: the verification's, when it has one the
 * site still offers, else the request's.  w->base is NULL when not even
 * the first language's file can be read (logged).  w->tag points into r,
 * rp or w itself: w lives as long as the answer, and nothing of it in a
 * static.
 */
static void
reply_words(const struct reply *rp, const struct core_result *r, struct reply_words *w)
{
	const char *offered = rp->cfg != NULL ? rp->cfg->languages : "en";
	const char *dir = rp->cfg != NULL ? rp->cfg->template_dir : OTP_TEMPLATE_DEFAULT;

	lang_choose(offered, NULL, NULL, w->first, sizeof(w->first));
	if (r != NULL && r->lang[0] != '\0' && lang_offered(offered, r->lang))
		w->tag = r->lang;
	else
		w->tag = rp->lang[0] != '\0' ? rp->lang : w->first;
	w->base = lang_get(dir, w->first);
	w->l = strcmp(w->tag, w->first) ? lang_get(dir, w->tag) : w->base;
	if (w->l == NULL)
		w->tag = w->first;
}

/* The word key (prefix and the row's name) of w, or NULL. */
static const char *
reply_word(const struct reply_words *w, const char *prefix, const char *name, char *key,
	   size_t size)
{
	snprintf(key, size, "%s%s", prefix, name);
	return lang_str(w->l, w->base, key);
}

/*
 * The words of row a for r: the row's message, with what varies (tries
 * left, minutes to wait) added.  Into buf (size bytes).
 */
static const char *
reply_message(const struct config *cfg, const struct answer *a, const struct core_result *r,
	      const struct reply_words *w, char *buf, size_t size)
{
	long minutes = (r->retry_after + 59) / 60;
	const char *from = cfg != NULL ? cfg->from_number : NULL;
	const char *msg, *more = NULL, *ph = "{n}", *val;
	char key[64], n[32], add[1024];

	/* A call refused for the line type: not a word of text messages. */
	if (r->outcome == OUTCOME_LINE_TYPE && r->way == CHANNEL_VOICE)
		msg = reply_word(w, "MESSAGE_", "LINE_TYPE_VOICE", key, sizeof(key));
	else
		msg = reply_word(w, "MESSAGE_", a->name, key, sizeof(key));
	if (msg == NULL)
		return NULL;
	val = n;
	if (r->outcome == OUTCOME_OPTED_OUT) {
		more = lang_str(w->l, w->base, "S_OPTED_OUT");
		ph = "{number}";
		val = from != NULL && from[0] != '\0' ? from
						      : lang_str(w->l, w->base, "S_OUR_NUMBER");
	} else if (a->status == 429) {
		more = lang_str(w->l, w->base, minutes == 1 ? "S_WAIT_ONE" : "S_WAIT");
		snprintf(n, sizeof(n), "%ld", minutes);
	} else if (a->status == 422 && r->attempts_left >= 0) {
		more = lang_str(w->l, w->base, r->attempts_left == 1 ? "S_TRIES_ONE" : "S_TRIES");
		snprintf(n, sizeof(n), "%d", r->attempts_left);
	}
	if (more == NULL)
		return msg;
	lang_subst(more, ph, val != NULL ? val : "", add, sizeof(add));
	lang_join(buf, size, msg, add);
	return buf;
}

/* Write hdr with body (len bytes) to rp->out. */
static void
reply_write(struct reply *rp, struct cgi_reply *hdr, const char *body, size_t len)
{
	const struct config *cfg = rp->cfg;

	if (cfg != NULL && cfg->form_origins != NULL && cfg->form_origins[0] != '\0')
		hdr->form_origins = cfg->form_origins;
	hdr->body = body;
	hdr->body_len = len;
	if (cgi_write(hdr, rp->out) < 0)
		log_msg("cannot write the answer");
}

/* "alternatives": the other ways r offers, as channel= names them. */
static void
reply_json_alternatives(cJSON *o, const struct core_result *r)
{
	cJSON *alt = cJSON_AddArrayToObject(o, "alternatives");

	if (r->alternatives & ALT_INBOUND)
		cJSON_AddItemToArray(alt, cJSON_CreateString("inbound"));
	if (r->alternatives & ALT_VOICE)
		cJSON_AddItemToArray(alt, cJSON_CreateString("voice"));
	if (r->alternatives & ALT_SMS)
		cJSON_AddItemToArray(alt, cJSON_CreateString("sms"));
}

static void
reply_json(struct reply *rp, const struct answer *a, const struct core_result *r,
	   struct cgi_reply *hdr, const char *msg)
{
	cJSON *o = cJSON_CreateObject(), *e;
	char *text;

	if (a->code != NULL) {
		e = cJSON_AddObjectToObject(o, "error");
		cJSON_AddStringToObject(e, "code", a->code);
		cJSON_AddStringToObject(e, "message", msg != NULL ? msg : "");
		if (r->retry_after > 0)
			cJSON_AddNumberToObject(e, "retry_after", (double)r->retry_after);
		if (a->status == 429 && r->kind[0] != '\0')
			cJSON_AddStringToObject(e, "kind", r->kind);
		/* A way through that costs nothing (channel=inbound works), or
		 * the other way for a number one way refused. */
		if (r->alternatives & (ALT_INBOUND | ALT_VOICE | ALT_SMS))
			reply_json_alternatives(e, r);
		if (a->status == 422 && r->attempts_left >= 0)
			cJSON_AddNumberToObject(e, "attempts_left", r->attempts_left);
	} else {
		cJSON_AddStringToObject(o, "status", a->json);
		if (a->fields & J_VID)
			cJSON_AddStringToObject(o, "verification_id", r->vid);
		if (a->fields & J_EXPIRES)
			cJSON_AddNumberToObject(o, "expires_in", (double)r->expires_in);
		if (a->fields & J_PHONE)
			cJSON_AddStringToObject(o, "phone", r->masked);
		if (a->fields & J_ATTEMPTS)
			cJSON_AddNumberToObject(o, "attempts_left", r->attempts_left);
		if (a->fields & J_DELIVERY)
			cJSON_AddStringToObject(o, "delivery",
						r->delivery[0] != '\0' ? r->delivery : "unknown");
		if (a->fields & J_INBOUND) {
			cJSON_AddStringToObject(o, "channel", "inbound");
			if (r->inbound_code[0] != '\0')
				cJSON_AddStringToObject(o, "inbound_code", r->inbound_code);
			cJSON_AddStringToObject(o, "text_to", rp->cfg->inbound_number);
		}
		if ((a->fields & J_ASSERT) && r->assertion[0] != '\0')
			cJSON_AddStringToObject(o, "assertion", r->assertion);
		if ((a->fields & J_VID) && r->way == CHANNEL_VOICE) {
			cJSON_AddStringToObject(o, "channel", "voice");
			cJSON_AddStringToObject(
			    o, "mode", rp->cfg->voice_mode == VOICE_CONFIRM ? "confirm" : "code");
			cJSON_AddStringToObject(o, "call", core_call_word(r->call));
		}
		if ((a->fields & J_VID) && (r->alternatives & (ALT_VOICE | ALT_SMS)))
			reply_json_alternatives(o, r);
	}
	hdr->content_type = "application/json";
	if ((text = cJSON_PrintUnformatted(o)) == NULL) {
		hdr->status = 500;
		reply_write(rp, hdr, "{\"error\":{\"code\":\"internal\"}}", 29);
	} else
		reply_write(rp, hdr, text, strlen(text));
	cJSON_free(text);
	cJSON_Delete(o);
}

/*
 * A page's words: S_* of the language, its tag and direction.  The first
 * language's words are set once for every page of the process
 * (page_set_shared()), again only when its file is read anew: a FastCGI
 * process set its hundred-odd words into each page's dictionary, half of
 * what a phone form cost it (callgrind).  Another language's words are
 * set for the page, above them, where a word it lacks is the first
 * language's; the included templates see both.
 *
 * ctemplate keeps every shared value it is given, also the ones set over:
 * a process that goes from one site's config to another's and back would
 * grow at each change.  So the words are shared at most REPLY_SHARES_MAX
 * times in a process' life, then set for each page as any other value.
 */
#define REPLY_SHARES_MAX 16

static unsigned long reply_shared; /* lang_serial() of the words shared, or 0 */
static int reply_shares;           /* times words were shared */

static void
reply_shared_word(void *arg, const char *key, const char *value)
{
	(void)arg;
	if (!strncmp(key, "S_", 2))
		page_set_shared(key, value);
}

static void
reply_page_word(void *arg, const char *key, const char *value)
{
	if (!strncmp(key, "S_", 2))
		page_set_global(arg, key, value);
}

static void
reply_page_words(struct page *p, const struct reply_words *w)
{
	const char *dir = lang_str(w->l, w->base, "DIR");

	if (lang_serial(w->base) != reply_shared) {
		page_clear_shared();
		reply_shared = 0;
		if (w->base != NULL && reply_shares < REPLY_SHARES_MAX) {
			lang_each(w->base, NULL, reply_shared_word, NULL);
			reply_shared = lang_serial(w->base);
			reply_shares++;
		}
	}
	if (reply_shared == 0)
		lang_each(w->l, w->base, reply_page_word, p);
	else if (w->l != w->base)
		lang_each(w->l, NULL, reply_page_word, p);
	page_set_global(p, "LANG", w->tag);
	page_set_global(p, "DIR", dir != NULL && !strcmp(dir, "rtl") ? "rtl" : "ltr");
}

/* A code's life in minutes, said as one minute or as a number of them. */
static void
reply_ttl(const struct config *cfg, struct page *p)
{
	int minutes = (cfg->token_ttl + 59) / 60;

	page_set_int(p, "TTL_MINUTES", minutes);
	page_show(p, minutes == 1 ? "TTL_ONE" : "TTL_MANY");
}

static void reply_alt_way(const struct reply *rp, struct page *p, const char *section);

/* Fill the phone form. */
static void
reply_phone_form(struct reply_fill *f)
{
	const struct reply *rp = f->rp;
	struct page *p = f->p;
	/* Calls are offered after the number (issue 25): not a choice of this form. */
	unsigned channels =
	    (rp->cfg != NULL ? rp->cfg->channels : CHANNEL_SMS) & (CHANNEL_SMS | CHANNEL_INBOUND);

	page_set(p, "COUNTRY_CODE", rp->cfg != NULL ? rp->cfg->country_code : "+1");
	/* The words say what will happen: a code sent, one to text, or a choice. */
	page_show(p, channels == CHANNEL_SMS       ? "SMS_ONLY"
		     : channels == CHANNEL_INBOUND ? "INBOUND_ONLY"
						   : "CHANNEL_CHOICE");
	page_show(p, channels == CHANNEL_SMS ? "SMS_BUTTON" : "CONTINUE_BUTTON");
	if (rp->phone_sig != NULL) {
		page_show(p, "SIGNED");
		page_set(p, "PHONE", rp->phone);
		page_set(p, "PHONE_SIG", rp->phone_sig);
	} else {
		page_show(p, "UNSIGNED");
		if (rp->typed != NULL)
			page_set(p, "PHONE", rp->typed);
	}
	if (rp->return_to != NULL) {
		page_show(p, "RETURN_TO");
		page_set(p, "RETURN_TO_VALUE", rp->return_to);
	}
	/* A number refused for texts (a fixed line) that may take a call. */
	if (f->r->alternatives & ALT_VOICE)
		reply_alt_way(rp, p, "ALT_VOICE");
}

/*
 * Another way for the same number, as a form of section (its channel):
 * the way through a refusal that holds for everyone by the inbound
 * channel (ALT_INBOUND: the visitor texts a code the next page shows),
 * a call for a number that takes no text (ALT_VOICE: a fixed line), or a
 * text for a number that had its calls of the day (ALT_SMS), with what
 * the site gave (phone_sig, return_to).
 */
static void
reply_alt_way(const struct reply *rp, struct page *p, const char *section)
{
	const char *phone = rp->phone_sig != NULL ? rp->phone : rp->typed;

	if (phone == NULL || phone[0] == '\0')
		return;
	page_show(p, section);
	page_set(p, "ALT_PHONE", phone);
	if (rp->phone_sig != NULL) {
		page_show(p, "ALT_SIGNED");
		page_set(p, "ALT_PHONE_SIG", rp->phone_sig);
	}
	if (rp->return_to != NULL) {
		page_show(p, "ALT_RETURN_TO");
		page_set(p, "ALT_RETURN_TO_VALUE", rp->return_to);
	}
}

/*
 * What a page says of a call's verification (r->call): DATA_CALL, the
 * fate's word for the tests and scripts; CALL_ON while it rings or
 * speaks; CALL_ENDED with its words (S_CALL_<FATE>) once it ended
 * without doing its part, where "Call me again" and a text are offered.
 */
static void
reply_call_fate(struct page *p, const struct core_result *r)
{
	/* The section of each fate's words in CALL_ENDED: NO_ANSWER holds
	 * S_CALL_NO_ANSWER, and so on. */
	static const char *const sections[FATE__MAX] = {
	    [FATE_NO_ANSWER] = "NO_ANSWER", [FATE_BUSY] = "BUSY",     [FATE_REJECTED] = "REJECTED",
	    [FATE_MACHINE] = "MACHINE",     [FATE_FAILED] = "FAILED",
	};

	page_set(p, "DATA_CALL", core_call_word(r->call));
	if (r->call < FATE__MAX && sections[r->call] != NULL) {
		page_show(p, "CALL_ENDED");
		page_show(p, sections[r->call]);
	} else if (r->call == FATE_DONE)
		page_show(p, "CALL_DONE");
	else
		page_show(p, "CALL_ON");
}

/*
 * The other ways a code page offers (r->alternatives): a call ("Call me
 * instead", or again after a call that failed), a text; each a POST of
 * resend=1 with the verification and its channel.
 */
static void
reply_offers(struct page *p, const struct core_result *r)
{
	if (r->alternatives & ALT_VOICE)
		page_show(p, "OFFER_CALL");
	if (r->alternatives & ALT_SMS)
		page_show(p, "OFFER_TEXT");
	/* A call that ended undone may be placed again, within the limits. */
	if (r->way == CHANNEL_VOICE && r->call >= FATE_NO_ANSWER && r->call < FATE__MAX &&
	    !r->calls_spent)
		page_show(p, "OFFER_CALL_AGAIN");
}

/* Fill the code form. */
static void
reply_code_form(struct reply_fill *f)
{
	const struct config *cfg = f->rp->cfg;
	const struct core_result *r = f->r;
	struct page *p = f->p;

	page_set(p, "MASKED_PHONE", r->shown[0] != '\0' ? r->shown : r->masked);
	reply_offers(p, r);
	page_set(p, "VERIFICATION_ID", r->vid);
	page_set_int(p, "CODE_LENGTH", cfg->token_length);
	reply_ttl(cfg, p);
	page_set(p, "INPUTMODE", cfg->alphabet == ALPHABET_DIGITS ? "numeric" : "text");
	/* What Telnyx reported of the text: it failed, it arrived, or nothing
	 * yet; a call's verification says what became of the call. */
	page_set(p, "DELIVERY", r->delivery[0] != '\0' ? r->delivery : "unknown");
	/* Where the code comes from, in the hint and the link for a new one. */
	page_show(p, r->way == CHANNEL_VOICE ? "BY_CALL" : "BY_TEXT");
	if (r->way == CHANNEL_VOICE) {
		page_show(p, "CALLING");
		reply_call_fate(p, r);
		return;
	}
	/* A text's page says a fate's word too: none. */
	page_set(p, "DATA_CALL", core_call_word(FATE_NONE));
	if (webhook_failed(r->delivery))
		page_show(p, "UNDELIVERED");
	else {
		page_show(p, "SENT");
		if (!strcmp(r->delivery, "delivered"))
			page_show(p, "DELIVERED");
	}
}

/* Fill the page of an inbound verification: the code, if shown, and where to text it. */
static void
reply_inbound(struct reply_fill *f)
{
	const struct config *cfg = f->rp->cfg;
	const struct core_result *r = f->r;
	struct page *p = f->p;
	char href[64];

	page_set(p, "MASKED_PHONE", r->shown[0] != '\0' ? r->shown : r->masked);
	page_set(p, "VERIFICATION_ID", r->vid);
	page_set(p, "TEXT_TO", cfg->inbound_number);
	reply_ttl(cfg, p);
	if (r->inbound_code[0] == '\0') {
		page_show(p, "NO_CODE");
		return;
	}
	page_show(p, "CODE");
	page_set(p, "INBOUND_CODE", r->inbound_code);
	/* RFC 5724: the number (E.164, checked at load) and the code (of the
	 * inbound alphabet) need no escaping, and the template takes it as is. */
	snprintf(href, sizeof(href), "sms:%s?body=%s", cfg->inbound_number, r->inbound_code);
	page_set(p, "SMS_HREF", href);
}

/* Fill the page of a call that asks for a 1: its fate, "I have pressed
 * 1", the other ways. */
static void
reply_call(struct reply_fill *f)
{
	const struct config *cfg = f->rp->cfg;
	const struct core_result *r = f->r;
	struct page *p = f->p;

	page_set(p, "MASKED_PHONE", r->shown[0] != '\0' ? r->shown : r->masked);
	page_set(p, "VERIFICATION_ID", r->vid);
	reply_ttl(cfg, p);
	reply_call_fate(p, r);
	reply_offers(p, r);
}

/*
 * Where to send the visitor back: return_to with "otp_assertion=..." added
 * to its query (before any #fragment).  Returns 0 or -1 if it won't fit.
 */
static int
reply_return_url(const char *return_to, const char *assertion, char *out, size_t size)
{
	size_t frag = strcspn(return_to, "#");
	const char *sep = memchr(return_to, '?', frag) != NULL ? "&" : "?";
	int n;

	n = snprintf(out, size, "%.*s%sotp_assertion=%s%s", (int)frag, return_to, sep, assertion,
		     return_to + frag);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/*
 * The cookie carrying the assertion, for the directory of return_to (a
 * path on this site).  The path goes into a header attribute: anything
 * but plain path characters (a ';' would add attributes) falls back to
 * "/".  Returns 0, or -1 if it does not fit in out.
 */
static int
reply_result_cookie(const struct reply *rp, const char *return_to, const char *assertion, char *out,
		    size_t size)
{
	static const char safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				   "0123456789/._~-";
	const char *path = return_to, *end;
	size_t n;
	int w;

	end = path + strcspn(path, "?#");
	while (end > path && end[-1] != '/')
		end--;
	n = (size_t)(end - path);
	if (n == 0 || strspn(path, safe) < n) {
		path = "/";
		n = 1;
	}
	w = snprintf(out, size, "otp_assertion=%s; Path=%.*s; Max-Age=%d; HttpOnly; SameSite=Lax%s",
		     assertion, (int)n, path, rp->cfg->result_max_age,
		     rp->req->https ? "; Secure" : "");
	return w < 0 || (size_t)w >= size ? -1 : 0;
}

/*
 * After the right code: back to the site's return_to with the assertion
 * (303 and a Location; a cookie for a path here with
 * RESULT_DELIVERY=cookie), into url.  Leaves url "" when there is no way
 * back.
 */
static void
reply_way_back(const struct reply *rp, const struct core_result *r, struct cgi_reply *hdr,
	       char *url, size_t size, char *cookie, size_t csize)
{
	url[0] = '\0';
	if (r->assertion[0] == '\0' || r->return_to[0] == '\0')
		return;
	/* A cookie of this host is no use to another: a URL gets the query. */
	if (rp->cfg->delivery == DELIVERY_COOKIE && r->return_to[0] == '/' &&
	    reply_result_cookie(rp, r->return_to, r->assertion, cookie, csize) == 0) {
		hdr->set_cookie2 = cookie;
		snprintf(url, size, "%s", r->return_to);
	} else if (reply_return_url(r->return_to, r->assertion, url, size) < 0)
		url[0] = '\0';
	if (url[0] != '\0') {
		hdr->status = 303;
		hdr->location = url;
	}
}

/*
 * A text instead, as a form of section ALT_SMS: for the verification
 * asked for again (resend), or for the number as typed (reply_alt_way()).
 */
static void
reply_alt_text(const struct reply *rp, struct page *p)
{
	if (rp->vid[0] == '\0') {
		reply_alt_way(rp, p, "ALT_SMS");
		if (rp->phone_sig != NULL || rp->typed != NULL)
			page_show(p, "ALT_NUMBER");
		return;
	}
	page_show(p, "ALT_SMS");
	page_show(p, "ALT_RESEND");
	page_set(p, "ALT_VID", rp->vid);
}

/* Fill the error page: its title and words, a link for a new code, the
 * way through a refusal that holds for everyone. */
static void
reply_error_page(struct reply_fill *f)
{
	const char *title;
	char key[64];

	title = reply_word(f->w, "TITLE_", f->a->name, key, sizeof(key));
	page_set(f->p, "TITLE", title != NULL ? title : "");
	page_set(f->p, "MESSAGE", f->msg);
	if (f->a->new_code)
		page_show(f->p, "NEW_CODE");
	if (f->a->status == 429 && (f->r->alternatives & ALT_INBOUND))
		reply_alt_way(f->rp, f->p, "ALT_INBOUND");
	/* The calls' own cap (VOICE_PHONE_LIMIT) leaves the texts. */
	if (f->a->status == 429 && (f->r->alternatives & ALT_SMS))
		reply_alt_text(f->rp, f->p);
}

/* Fill the success page, and send the visitor back to the site when it
 * asked (reply_way_back()). */
static void
reply_success(struct reply_fill *f)
{
	const struct core_result *r = f->r;

	page_set(f->p, "MASKED_PHONE", r->shown[0] != '\0' ? r->shown : r->masked);
	reply_way_back(f->rp, r, f->hdr, f->url, sizeof(f->url), f->cookie, sizeof(f->cookie));
	if (f->hdr->location != NULL) {
		page_show(f->p, "CONTINUE");
		page_set(f->p, "CONTINUE_URL", f->url);
	}
}

/* Every page: its template in TEMPLATE_DIR and the function that fills it. */
static const struct reply_page {
	const char *file;
	void (*fill)(struct reply_fill *f);
} reply_pages[PAGE__MAX] = {
    /* The title, the message, maybe a link for a new code. */
    [PAGE_ERROR] = {"error.html", reply_error_page},
    [PAGE_PHONE] = {"index.html", reply_phone_form},
    [PAGE_CODE] = {"verify.html", reply_code_form},
    /* Or a 303 back to the site. */
    [PAGE_SUCCESS] = {"verify_success.html", reply_success},
    /* The code to text back, "I have sent it". */
    [PAGE_INBOUND] = {"inbound.html", reply_inbound},
    /* A call asking for a 1: "I have pressed 1". */
    [PAGE_CALL] = {"call.html", reply_call},
};

/* The audit line of row a: "status=N reason=R" for a refusal, then r's detail and extra. */
static void
reply_audit(const struct reply *rp, const struct answer *a, const struct core_result *r,
	    const char *extra)
{
	char detail[1024] = "";
	size_t n = 0;

	if (a->event == NULL)
		return;
	if (a->reason != NULL)
		n += (size_t)snprintf(detail, sizeof(detail), " status=%d reason=%s", a->status,
				      a->reason);
	if (r->detail[0] != '\0' && n < sizeof(detail))
		n += (size_t)snprintf(detail + n, sizeof(detail) - n, " %s", r->detail);
	if (extra != NULL && n < sizeof(detail))
		snprintf(detail + n, sizeof(detail) - n, " %s", extra);
	log_audit(a->event, r->masked[0] != '\0' ? r->masked : NULL,
		  rp->req != NULL ? rp->req->remote_addr : NULL, r->vid[0] != '\0' ? r->vid : NULL,
		  "%s", detail[0] != '\0' ? detail + 1 : "");
}

void
reply_answer(struct reply *rp, const struct core_result *r, const char *extra)
{
	const struct answer *a = &answers[r->outcome];
	char msgbuf[2048], cookie[512];
	struct reply_fill f;
	struct reply_words w;
	const char *msg;
	struct cgi_reply hdr;
	struct page *p;
	char *body = NULL;
	size_t len = 0;

	reply_words(rp, r, &w);
	msg = reply_message(rp->cfg, a, r, &w, msgbuf, sizeof(msgbuf));

	reply_audit(rp, a, r, extra);
	memset(&hdr, 0, sizeof(hdr));
	hdr.status = a->status;
	hdr.retry_after = r->retry_after;
	/* The verification's cookie: set once a code is out, cleared once it is used. */
	if (r->outcome == OUTCOME_SENT || r->outcome == OUTCOME_INBOUND ||
	    r->outcome == OUTCOME_CALLED || r->outcome == OUTCOME_CALLED_CONFIRM ||
	    r->outcome == OUTCOME_APPROVED)
		if (cgi_vid_cookie(rp->req, r->outcome != OUTCOME_APPROVED ? r->vid : NULL, cookie,
				   sizeof(cookie)) == 0)
			hdr.set_cookie = cookie;
	if (rp->json) {
		reply_json(rp, a, r, &hdr, msg);
		return;
	}
	/* Without the words of even the first language there is no page to show. */
	if (w.base == NULL) {
		memset(&hdr, 0, sizeof(hdr));
		hdr.status = 500;
		reply_write(rp, &hdr, reply_fallback, sizeof(reply_fallback) - 1);
		return;
	}
	p = page_new(reply_pages[a->page].file);
	reply_page_words(p, &w);
	f.rp = rp;
	f.a = a;
	f.r = r;
	f.w = &w;
	f.msg = msg;
	f.hdr = &hdr;
	f.p = p;
	reply_pages[a->page].fill(&f);
	if (a->page != PAGE_ERROR && msg != NULL) {
		page_show(p, "ERROR");
		page_set(p, "ERROR_MESSAGE", msg);
	}
	page_set_int(p, "STATUS", hdr.status);
	if (page_render(p, rp->cfg != NULL ? rp->cfg->template_dir : OTP_TEMPLATE_DEFAULT, &body,
			&len) < 0) {
		memset(&hdr, 0, sizeof(hdr));
		hdr.status = 500;
		reply_write(rp, &hdr, reply_fallback, sizeof(reply_fallback) - 1);
	} else
		reply_write(rp, &hdr, body, len);
	free(body);
	page_free(p);
}

void
reply_refuse(struct reply *rp, enum outcome o)
{
	struct core_result r;

	core_result_init(&r, o);
	reply_answer(rp, &r, NULL);
}

/*
 * The request's language: a lang field of the form or the query (the
 * form's wins), else Accept-Language, else the first of LANGUAGES.  A
 * form that cannot be read asks for nothing here: its refusal comes later.
 */
static void
reply_lang(struct reply *rp, const struct cgi_req *req)
{
	static const struct cgi_field field[] = {{"lang", NULL, 0}};
	char *body = NULL, *query = NULL;
	size_t bad;

	if (req->body != NULL &&
	    cgi_form(req->body, req->body_len, field, 1, NULL, &body, &bad) != 0)
		body = NULL;
	if (req->query != NULL &&
	    cgi_form(req->query, strlen(req->query), field, 1, NULL, &query, &bad) != 0)
		query = NULL;
	lang_choose(rp->cfg->languages, body != NULL ? body : query, req->accept_language, rp->lang,
		    sizeof(rp->lang));
	free(body);
	free(query);
}

/* Whether the client asked for JSON: "application/json" in Accept. */
static int
reply_wants_json(const char *accept)
{
	return accept != NULL && strstr(accept, "application/json") != NULL;
}

int
reply_front(struct reply *rp, struct cgi_req *req, char *const *env, const struct config *cfg,
	    FILE *in, FILE *out)
{
	struct core_result r;
	char origin[256], detail[512];
	enum outcome o;
	int status;

	memset(rp, 0, sizeof(*rp));
	rp->req = req;
	rp->out = out;
	cgi_read(req, env, in);
	rp->json = reply_wants_json(req->accept);
	if (cfg == NULL) {
		reply_refuse(rp, OUTCOME_MISCONFIGURED);
		cgi_free(req);
		return 500;
	}
	rp->cfg = cfg;
	log_set_debug(cfg->debug);
	reply_lang(rp, req);
	if ((status = cgi_check(req, cfg->site_origin)) == 0)
		return 0;
	/* The front line's row with cgi_check()'s status (405, 400, 413, 414, 415, 403). */
	for (o = OUTCOME_METHOD; o < OUTCOME_ORIGIN && answers[o].status != status; o++)
		;
	assert(answers[o].status == status);
	core_result_init(&r, o);
	snprintf(detail, sizeof(detail), "status=%d method=%s origin=%s", status,
		 req->method == CGI_GET    ? "GET"
		 : req->method == CGI_POST ? "POST"
					   : "other",
		 log_value(req->origin != NULL    ? req->origin
			   : req->referer != NULL ? req->referer
						  : "-",
			   origin, sizeof(origin)));
	reply_answer(rp, &r, detail);
	reply_done(rp, req);
	return status;
}

void
reply_done(struct reply *rp, struct cgi_req *req)
{
	cgi_free(req);
	memset(rp, 0, sizeof(*rp));
}
