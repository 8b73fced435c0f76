/*
 * The configuration file: the tutorial's config.cfg syntax (KEY=value,
 * values bare or quoted, # comments) and the keys of DESIGN.md section 3.
 */
#ifndef OTP_CONFIG_H
#define OTP_CONFIG_H

#include <stddef.h>

enum config_alphabet {
	ALPHABET_HEX,
	ALPHABET_DIGITS
};

enum config_transport {
	TRANSPORT_TELNYX,
	TRANSPORT_OUTBOX
};

struct config {
	char *api_key;
	char *from_number;
	char *country_code;
	int token_length;
	int debug;
	enum config_alphabet alphabet;
	int token_ttl;
	int max_attempts;
	char *secret_key; /* API_KEY when not set */
	char *api_base_url;
	char *messaging_profile_id;
	char *db_path;
	char *template_dir;
	enum config_transport transport;
	char *outbox_path;
	char *message_text;
};

/* The path to read: $OTP_CONFIG, else the default built in. */
const char *config_path(void);

/*
 * Read and check the file at path into cfg (defaults for what it leaves
 * out).  Returns 0, or -1 after logging one line that names the key (or
 * the file) at fault; cfg is then freed.  Unknown keys are logged as
 * warnings and ignored.
 */
int config_load(struct config *cfg, const char *path);

/* As config_load() on a buffer; name is used in log lines only. */
int config_parse(struct config *cfg, const char *buf, size_t len, const char *name);

/* Free what config_load() or config_parse() allocated. */
void config_free(struct config *cfg);

#endif
