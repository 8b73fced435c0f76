/*
 * KEY=value lines and lists (kv.h).  The syntax is the tutorial's
 * config.cfg, a Python file of assignments, so that file works unchanged:
 *
 *	# comment
 *	API_KEY='KEY0123'
 *	TOKEN_LENGTH = 4
 *	DEBUG=True
 *
 * Values are bare (up to a '#' or the end of the line) or in single or
 * double quotes (no escapes).  Which keys mean what, and what a later
 * line for the same key does, is the caller's.
 */
#include <string.h>

#include "bounds.h"
#include "kv.h"
#include "log.h"

/*
 * Split one line (NUL-terminated, no newline) into key and value, in
 * place.  Returns 1 with *key and *value set, 0 for a blank or comment
 * line, -1 for a line that is not an assignment.
 */
static int
kv_split(char *line, char **key, char **value)
{
	char *p = line, *v, *end;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '#' || *p == '\r')
		return 0;
	*key = p;
	if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_'))
		return -1;
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_' ||
	       (*p >= '0' && *p <= '9'))
		p++;
	end = p;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '=')
		return -1;
	*end = '\0';
	p++;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\'' || *p == '"') {
		char quote = *p++;

		v = p;
		if ((p = strchr(v, quote)) == NULL)
			return -1;
		*p++ = '\0';
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (*p != '\0' && *p != '#')
			return -1;
	} else {
		v = p;
		if ((p = strchr(v, '#')) != NULL)
			*p = '\0';
		p = v + strlen(v);
		while (p > v && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\r'))
			*--p = '\0';
	}
	*value = v;
	return 1;
}

int
kv_each(const char *buf, size_t len, const char *name, int all,
	int (*fn)(void *arg, const char *key, const char *value, int lineno), void *arg)
{
	char line[OTP_CONFIG_LINE];
	size_t pos = 0;
	int lineno = 0, problems = 0;

	while (pos < len && (all || problems == 0)) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = (nl != NULL ? (size_t)(nl - buf) : len) - pos;
		char *key, *value;
		int rc;

		lineno++;
		if (n >= sizeof(line)) {
			log_msg("%s: line %d is too long", name, lineno);
			problems++;
			pos += n + 1;
			continue;
		}
		memcpy(line, buf + pos, n);
		line[n] = '\0';
		pos += n + 1;
		if (strlen(line) != n) {
			log_msg("%s: line %d has a NUL byte", name, lineno);
			problems++;
			continue;
		}
		if ((rc = kv_split(line, &key, &value)) == 0)
			continue;
		if (rc < 0) {
			log_msg("%s: line %d is not KEY=value", name, lineno);
			problems++;
			continue;
		}
		if (fn(arg, key, value, lineno) < 0)
			problems++;
	}
	/* The line may have held a secret (API_KEY). */
	explicit_bzero(line, sizeof(line));
	return problems;
}

size_t
kv_list_next(const char **p, const char **item)
{
	size_t n;

	*p += strspn(*p, " ,");
	*item = *p;
	n = strcspn(*p, " ,");
	*p += n;
	return n;
}
