/*
 * The text message in the visitor's language (message.h): the config
 * holds the texts (config.c), the language files the words (lang.c);
 * this is where one is chosen over the other.
 */
#include <stdio.h>
#include <string.h>

#include "bounds.h"
#include "kv.h"
#include "lang.h"
#include "log.h"
#include "message.h"
#include "text.h"

const char *
message_text(const struct config *cfg, const char *tag, const char *file_text)
{
	const char *first = cfg->languages;
	size_t n = strcspn(first, ",");
	int k;

	for (k = 0; k < cfg->n_message_langs; k++)
		if (!strcmp(cfg->message_langs[k].tag, tag))
			return cfg->message_langs[k].text;
	if (cfg->message_text_set && strlen(tag) == n && !strncmp(first, tag, n))
		return cfg->message_text;
	return file_text != NULL ? file_text : cfg->message_text;
}

const char *
message_words(const struct config *cfg, const struct lang *l)
{
	const char *s = cfg->site_name == NULL ? lang_str(l, NULL, "SMS_NO_SITE") : NULL;

	return s != NULL ? s : lang_str(l, NULL, "SMS");
}

int
message_voice(const struct config *cfg, const struct lang *l, const struct lang *base,
	      const char *code, char *out, size_t size)
{
	const char *key = code != NULL ? "VOICE_CODE" : "VOICE_CONFIRM";
	const char *words = NULL;
	char digits[OTP_CODE_MAX * 3 + 1], named[OTP_TEXT_MAX];
	size_t i, n = 0;
	int rc = -1;

	if (cfg->site_name == NULL)
		words = lang_str(l, base,
				 code != NULL ? "VOICE_CODE_NO_SITE" : "VOICE_CONFIRM_NO_SITE");
	if (words == NULL && (words = lang_str(l, base, key)) == NULL)
		return -1;
	digits[0] = '\0';
	for (i = 0; code != NULL && code[i] != '\0' && i < OTP_CODE_MAX; i++) {
		digits[n++] = code[i];
		if (code[i + 1] != '\0') {
			digits[n++] = ',';
			digits[n++] = ' ';
		}
		digits[n] = '\0';
	}
	if (code != NULL && code[i] != '\0')
		goto out; /* longer than any code */
	lang_subst(words, "{digits}", digits, named, sizeof(named));
	if (strlen(named) + 1 >= sizeof(named))
		goto out;
	lang_subst(named, "{site}", cfg->site_name != NULL ? cfg->site_name : "", out, size);
	rc = strlen(out) + 1 < size ? 0 : -1;
out:
	explicit_bzero(digits, sizeof(digits));
	explicit_bzero(named, sizeof(named));
	if (rc < 0 && size > 0)
		explicit_bzero(out, size);
	return rc;
}

/* What message_lint_key() compares with. */
struct message_lint_ctx {
	const struct lang *l;
	const char *tag;
	const char *name;
};

/* A key of the first language that another language's file lacks. */
static void
message_lint_key(void *arg, const char *key, const char *value)
{
	struct message_lint_ctx *c = arg;

	(void)value;
	if (lang_str(c->l, NULL, key) == NULL)
		log_msg("%s: warning: language %s lacks %s: the first language's is shown", c->name,
			c->tag, key);
}

/*
 * With CHANNELS=voice, what a call says in language l (tag): its words
 * (VOICE_CODE with {digits}, or VOICE_CONFIRM), its voice and Telnyx's
 * language, whole with the longest code.  Returns the problems (logged).
 */
static int
message_lint_voice(const struct config *cfg, const struct lang *l, const struct lang *first,
		   const char *tag, const char *code, const char *name)
{
	const char *words =
	    lang_str(l, first, cfg->site_name != NULL ? "VOICE_CODE" : "VOICE_CODE_NO_SITE");
	char said[OTP_TEXT_MAX];
	int problems = 0;

	if (!(cfg->channels & CHANNEL_VOICE))
		return 0;
	if (lang_str(l, first, "VOICE") == NULL || lang_str(l, first, "VOICE_LANGUAGE") == NULL) {
		log_msg("%s: language %s has no VOICE or VOICE_LANGUAGE for calls", name, tag);
		problems++;
	}
	if (cfg->voice_mode == VOICE_CODE && (words == NULL || strstr(words, "{digits}") == NULL)) {
		log_msg("%s: what a call says in %s does not speak the code ({digits})", name, tag);
		problems++;
	} else if (message_voice(cfg, l, first, cfg->voice_mode == VOICE_CODE ? code : NULL, said,
				 sizeof(said)) < 0) {
		log_msg("%s: what a call says in %s is missing or too long", name, tag);
		problems++;
	}
	explicit_bzero(said, sizeof(said));
	return problems;
}

int
message_lint(const struct config *cfg, const char *name)
{
	char tag[LANG_TAG_MAX + 1], code[OTP_CODE_MAX + 1], text[OTP_TEXT_MAX];
	const char *p = cfg->languages, *item;
	const struct lang *first = NULL, *l;
	struct message_lint_ctx c;
	struct text_parts tp;
	int problems = 0;
	size_t n;

	memset(code, '0', (size_t)cfg->token_length);
	code[cfg->token_length] = '\0';
	while ((n = kv_list_next(&p, &item)) > 0) {
		snprintf(tag, sizeof(tag), "%.*s", (int)n, item);
		if ((l = lang_get(cfg->template_dir, tag)) == NULL) {
			problems++;
			continue;
		}
		if (first == NULL)
			first = l;
		c = (struct message_lint_ctx){l, tag, name};
		lang_each(first, NULL, message_lint_key, &c);
		problems += message_lint_voice(cfg, l, first, tag, code, name);
		if (text_compose(message_text(cfg, tag, message_words(cfg, l)), cfg->site_name,
				 cfg->webotp_domain, code, text, sizeof(text)) < 0) {
			log_msg("%s: the text message of %s is too long with its codes", name, tag);
			problems++;
			continue;
		}
		text_parts(text, &tp);
		if (tp.parts > 1)
			log_msg(
			    "%s: warning: the text message of %s is %d parts with its codes (%zu "
			    "%s), and each part is billed",
			    name, tag, tp.parts, tp.units,
			    tp.ucs2 ? "UCS-2 units" : "GSM-7 characters");
	}
	lang_forget();
	return problems;
}
