/*
 * CGI or FastCGI.  Under CGI the request is the process: its environment,
 * stdin and stdout.  Under FastCGI (libfcgi's fcgiapp, linked in) each
 * accepted request brings its own parameters, which struct cgi_req keeps
 * as the request's variables (as kcgi's struct kreq does), and its
 * streams, which become FILEs: in, out, and the error stream that log.c
 * writes to while the request is answered (its sink), which the server
 * logs.  Neither environ nor stderr is swapped: the process keeps its own
 * environment (what a server started it with: lighttpd's bin-environment,
 * mod_fcgid's FcgidInitialEnv; libcurl reads its proxy variables there,
 * libpq its PG* ones) and its own stderr for what happens between
 * requests.
 *
 * Kept from one FastCGI request to the next: the config, parsed (and
 * parsed again when its file's path, inode, size or mtime change), the
 * templates ctemplate parsed, and the core's open database (closed after a
 * request it failed, so that the next one opens it afresh); request.cgi's
 * connection to Telnyx is kept by lib/http.c itself.  Nothing of a
 * request: its struct cgi_req, struct reply and results live on the
 * stack of serve_one() and are wiped or freed when it returns, and log.c's
 * sink is cleared when it ends.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "config.h"
#include "lang.h"
#include "log.h"
#include "page.h"
#include "serve.h"

extern char **environ;

/* What the program does with a request. */
struct serve_prog {
	serve_fn *handle;  /* after reply_front(), or NULL */
	serve_raw_fn *raw; /* instead of it */
	size_t body_max;   /* for raw */
};

/* The config of the process, as last loaded (cfg.path its file). */
struct serve_config {
	int loaded;
	struct config cfg;
	struct stat st;
};

/* Whether the file at path is the one cached (same inode, size, mtime). */
static int
serve_config_same(const struct serve_config *sc, const char *path)
{
	struct stat st;

	if (!sc->loaded || strcmp(sc->cfg.path, path) != 0 || stat(path, &st) < 0)
		return 0;
	return st.st_ino == sc->st.st_ino && st.st_dev == sc->st.st_dev &&
	       st.st_size == sc->st.st_size && st.st_mtim.tv_sec == sc->st.st_mtim.tv_sec &&
	       st.st_mtim.tv_nsec == sc->st.st_mtim.tv_nsec;
}

/*
 * The config at path: the cached one when its file has not changed, else
 * loaded anew (and the core moved to it).  NULL, logged, when it cannot
 * be loaded.
 */
static const struct config *
serve_config(struct serve_config *sc, const char *path, struct core *core)
{
	if (serve_config_same(sc, path))
		return &sc->cfg;
	core_close(core);
	if (sc->loaded) {
		config_free(&sc->cfg);
		sc->loaded = 0;
	}
	/* Another file may name other templates, or the same changed; and a
	 * config that failed to load had its error page drawn from the
	 * built-in TEMPLATE_DIR. */
	page_forget();
	lang_forget();
	/* Before the load: a change after it makes the next request load again. */
	if (stat(path, &sc->st) < 0)
		memset(&sc->st, 0, sizeof(sc->st));
	if (config_load(&sc->cfg, path) < 0)
		return NULL;
	sc->loaded = 1;
	core_init(core, &sc->cfg);
	return &sc->cfg;
}

/*
 * One request from in to out, env its variables.  Its config is the file
 * its OTP_CONFIG names (a server's SetEnv or setenv.add-environment), else
 * process_config (the process' OTP_CONFIG, or the default built in).
 */
static void
serve_one(struct serve_config *sc, const char *process_config, struct core *core,
	  const struct serve_prog *prog, char *const *env, FILE *in, FILE *out)
{
	const char *path = cgi_param(env, "OTP_CONFIG");
	const struct config *cfg;
	struct cgi_req req;
	struct reply rp;

	cfg = serve_config(sc, path != NULL && path[0] != '\0' ? path : process_config, core);
	if (prog->raw != NULL) {
		cgi_read_max(&req, env, in, prog->body_max);
		if (cfg != NULL)
			log_set_debug(cfg->debug);
		prog->raw(cfg, &req, out, core);
		cgi_free(&req);
		return;
	}
	if (reply_front(&rp, &req, env, cfg, in, out) != 0)
		return;
	prog->handle(&rp, &req, core);
	reply_done(&rp, &req);
}

/* FILE functions over a FastCGI stream. */
static ssize_t
serve_read(void *stream, char *buf, size_t n)
{
	int got = FCGX_GetStr(buf, n > INT_MAX ? INT_MAX : (int)n, stream);

	return got < 0 ? -1 : got;
}

static ssize_t
serve_write(void *stream, const char *buf, size_t n)
{
	int put = FCGX_PutStr(buf, n > INT_MAX ? INT_MAX : (int)n, stream);

	return put < 0 ? 0 : put;
}

/* Serve FastCGI requests until the server closes the socket. */
static int
serve_fastcgi(struct serve_config *sc, const char *process_config, struct core *core,
	      const struct serve_prog *prog)
{
	static const cookie_io_functions_t in_fns = {serve_read, NULL, NULL, NULL};
	static const cookie_io_functions_t out_fns = {NULL, serve_write, NULL, NULL};
	FILE *in, *out, *err;
	FCGX_Request rq;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&rq, 0, 0) != 0) {
		log_msg("cannot set up FastCGI");
		return 1;
	}
	while (FCGX_Accept_r(&rq) >= 0) {
		in = fopencookie(rq.in, "r", in_fns);
		out = fopencookie(rq.out, "w", out_fns);
		err = fopencookie(rq.err, "w", out_fns);
		if (in == NULL || out == NULL || err == NULL) {
			log_msg("out of memory");
			exit(1);
		}
		log_set_sink(err);
		serve_one(sc, process_config, core, prog, rq.envp, in, out);
		/* Before the answer ends: whoever got it finds the file whole. */
		core_idle(core);
		log_set_sink(NULL);
		fclose(in);
		fclose(out);
		fclose(err);
		FCGX_Finish_r(&rq);
	}
	return 0;
}

static int
serve_prog(const char *name, const struct serve_prog *prog)
{
	/* Read once, before any request: the process' own environment. */
	const char *process_config = config_path();
	struct serve_config sc;
	struct core core;
	int rc = 0;

	log_init(name);
	umask(077); /* the database and outbox are for this user alone */
	memset(&sc, 0, sizeof(sc));
	core_init(&core, NULL);
	if (FCGX_IsCGI())
		serve_one(&sc, process_config, &core, prog, environ, stdin, stdout);
	else
		rc = serve_fastcgi(&sc, process_config, &core, prog);
	core_close(&core);
	if (sc.loaded)
		config_free(&sc.cfg);
	return rc;
}

int
serve(const char *prog, serve_fn *handle)
{
	const struct serve_prog p = {handle, NULL, 0};

	return serve_prog(prog, &p);
}

int
serve_raw(const char *prog, size_t body_max, serve_raw_fn *handle)
{
	const struct serve_prog p = {NULL, handle, body_max};

	return serve_prog(prog, &p);
}
