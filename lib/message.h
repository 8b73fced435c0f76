/*
 * The text message a visitor is sent, in the visitor's language: which
 * words (MESSAGE_TEXT_<tag>, MESSAGE_TEXT, the language file's SMS), and
 * the check that each language's fits (otp-admin check-config); and what
 * a call says (CHANNELS=voice).  Its
 * codes and parts are text.c's; the sending is sms.c's.
 */
#ifndef OTP_MESSAGE_H
#define OTP_MESSAGE_H

#include "config.h"

struct lang;

/*
 * The text message in language tag: MESSAGE_TEXT_<tag>; else, for the
 * first of LANGUAGES, MESSAGE_TEXT when the file sets it; else file_text
 * (the language file's SMS, or NULL); else MESSAGE_TEXT.
 */
const char *message_text(const struct config *cfg, const char *tag, const char *file_text);

/* The language l's own text message: SMS, which names the site ({site}),
 * or, when the site's name is not known, SMS_NO_SITE (else SMS). */
const char *message_words(const struct config *cfg, const struct lang *l);

/*
 * What a call says in language l (a key l lacks, from base; may be
 * NULL): with code (VOICE_MODE=code), VOICE_CODE, whose {digits} become
 * the code's characters one by one ("4, 8, 1, 5"), so that a voice reads
 * them apart; without (confirm), VOICE_CONFIRM; {site} the site's name,
 * or the _NO_SITE words when it has none.  Into out (size bytes).
 * Returns 0, or -1 when l has no such words or they do not fit whole
 * (a code cut short must never be spoken).
 */
int message_voice(const struct config *cfg, const struct lang *l, const struct lang *base,
		  const char *code, char *out, size_t size);

/*
 * Each language of LANGUAGES: its file in TEMPLATE_DIR (else an error),
 * every key of the first language's in it, and its text message in one
 * part with its codes (else warnings); with CHANNELS=voice, what a call
 * says (message_voice(): else an error); log lines begin with name.
 * Forgets the languages read (lang_forget()).  Returns the problems.
 */
int message_lint(const struct config *cfg, const char *name);

#endif
