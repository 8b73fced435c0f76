/*
 * libFuzzer harness for the configuration reader: config_parse() on
 * arbitrary bytes, then config_free().  Whatever it accepts must satisfy
 * the ranges of DESIGN.md section 3; whatever it refuses must be freed
 * (LeakSanitizer) and freeing twice must be harmless.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "bounds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Every refused input logs a line; fd 2 stays libFuzzer's. */
	stderr = fopen("/dev/null", "w");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size > 0 ? size : 1);
	struct config cfg;

	if (buf == NULL)
		abort();
	memcpy(buf, data, size);
	if (config_parse(&cfg, buf, size, "fuzz") == 0) {
		if (cfg.token_length < OTP_CODE_MIN || cfg.token_length > OTP_CODE_MAX ||
		    cfg.token_ttl < 1 || cfg.token_ttl > 600 || cfg.max_attempts < 1 ||
		    cfg.max_attempts > 10 || cfg.secret_key == NULL || cfg.secret_key[0] == '\0' ||
		    cfg.message_text == NULL || strstr(cfg.message_text, "{code}") == NULL ||
		    cfg.db_path == NULL || cfg.db_path[0] != '/' || cfg.api_base_url == NULL ||
		    cfg.country_code == NULL || cfg.country_code[0] != '+')
			abort();
		if (cfg.transport == TRANSPORT_TELNYX &&
		    (cfg.api_key == NULL || cfg.api_key[0] == '\0'))
			abort();
		if (cfg.transport == TRANSPORT_OUTBOX &&
		    (cfg.outbox_path == NULL || cfg.outbox_path[0] != '/'))
			abort();
		if (strncmp(cfg.api_base_url, "https://", 8) != 0 &&
		    strncmp(cfg.api_base_url, "http://", 7) != 0)
			abort();
	}
	config_free(&cfg);
	config_free(&cfg);
	free(buf);
	return 0;
}
