/*
 * How a program serves: one request as a CGI program, or many as a
 * FastCGI application, from the same binary and with no flag.  A server
 * that starts the program as a FastCGI application (lighttpd mod_fastcgi
 * with bin-path, Apache mod_fcgid, spawn-fcgi) leaves a listening socket
 * on descriptor 0; anything else is CGI.
 */
#ifndef OTP_SERVE_H
#define OTP_SERVE_H

#include "cgi.h"
#include "core.h"
#include "reply.h"

/*
 * Answer one request that passed the front line: the program's own
 * steps.  rp, req and core are valid for this request only (core's store
 * may stay open for the next).
 */
typedef void serve_fn(struct reply *rp, struct cgi_req *req, struct core *core);

/*
 * Serve as CGI or FastCGI, calling handle for each request that passes
 * reply_front().  Between FastCGI requests the process keeps the parsed
 * config (reloaded when the file changes), the parsed templates and the
 * open database, and nothing of the request.  Returns the exit status.
 */
int serve(const char *prog, serve_fn *handle);

/*
 * A program that answers machines, not browsers (webhook.cgi), and so
 * has a front line of its own: it gets the config (NULL: it could not be
 * loaded; it answers 500) and the request as cgi_read_max() read it,
 * with a body of up to body_max bytes, and writes its whole answer to
 * out.  Served as serve() serves, CGI or FastCGI.
 */
typedef void serve_raw_fn(const struct config *cfg, struct cgi_req *req, FILE *out,
			  struct core *core);

int serve_raw(const char *prog, size_t body_max, serve_raw_fn *handle);

#endif
