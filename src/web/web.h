/*
 * web.h - vios serve: the local web interface (docs/web.md).
 *
 * One server process per home, bound to 127.0.0.1 only, on libmicrohttpd
 * with one internal thread: every request runs in that thread, one after
 * the other, on the one store the server holds open, so a page needs no
 * locking of its own. A page is a handler in a route table (web_school.c,
 * web_partner.c, web_hub.c); it reads its arguments with web_arg, writes
 * HTML with the h_* functions below and calls the same library functions
 * the CLI calls (src/store/records.h, sync/...): the mandate, the
 * validation and the one-line errors are theirs, never the page's.
 *
 * What the server does for every page, so no page can forget it:
 *   - a session cookie (HttpOnly; SameSite=Strict), signing in first;
 *   - a POST is answered 403 unless its csrf field matches the session's
 *     token, whatever its path, and a request whose Origin or Host is not
 *     this server is refused (Sec-Fetch-Site cross-site too);
 *   - headers: a strict Content-Security-Policy (no script at all, styles
 *     and images from this server only), X-Content-Type-Options,
 *     Referrer-Policy no-referrer, Cache-Control no-store, frame-ancestors
 *     none;
 *   - the request log names method, path and status: paths carry ids
 *     only, never a name (forms POST their values).
 *
 * Text: every word of the interface goes through _() (web_i18n.c: the
 * gettext catalog "vios", Dutch first, English on request); every value
 * goes out through the one escape function, h_esc, or h_printf's %s.
 */
#ifndef VIOS_WEB_H
#define VIOS_WEB_H

#include <jansson.h>
#include <libintl.h>
#include <stddef.h>

#include "node/node.h"
#include "store/store.h"

#define _(s) gettext(s)
#define N_(s) (s)

typedef struct vios_web vios_web;
typedef struct vios_web_req vios_web_req;

/* What vios serve starts with (src/cli/cmd_serve.c). */
typedef struct {
	const char *home;
	unsigned port;      /* 0: the default, 8470 */
	vios_node *node;    /* unlocked at start (agent or passphrase), or NULL: the login page asks */
	const char *code;   /* the sign-in code printed on the terminal when node is set */
	const char *lang;   /* "nl" (default) or "en" */
} vios_web_opts;

/* Runs the server until SIGINT or SIGTERM; takes node. 0, or an error
 * (VIOS_EEXISTS: the port is taken). */
int vios_web_run(const vios_web_opts *opts);

/* --- a page's view of its request --------------------------------------- */

/* A query (GET) or form (POST) field, NULL when absent; "" when empty. */
const char *web_arg(const vios_web_req *r, const char *name);
/* 1 for a POST (its csrf token already checked), 0 for a GET. */
int web_is_post(const vios_web_req *r);
vios_store *web_store(vios_web_req *r);
const vios_node *web_node(const vios_web_req *r);
const char *web_home(const vios_web_req *r);
/* "nl" or "en": the session's language. */
const char *web_lang(const vios_web_req *r);

/* --- output ------------------------------------------------------------- */

/* Raw HTML: literals and translated literals only, never a value. */
void h_raw(vios_web_req *r, const char *html);
/* THE escape function: text as HTML text or attribute value (& < > " '). */
void h_esc(vios_web_req *r, const char *text);
/* printf with %s, %d, %u, %ld, %lld, %zu, %% only; every %s argument is
 * escaped by h_esc (NULL shows as nothing). */
void h_printf(vios_web_req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The layout: <!doctype html><html lang=".."> head, title, the menu for
 * this node's kind; and the closing tags. A page calls both, once. */
void web_page_begin(vios_web_req *r, const char *title);
void web_page_end(vios_web_req *r);
/* <form method="post" action="path"> with the hidden csrf field. */
void web_form_begin(vios_web_req *r, const char *action);
/* The one-line error of the last failed library call, as the CLI prints
 * it (vios_error_last), in a <p class="error" role="alert">. */
void web_error_line(vios_web_req *r);
/* A notice line (a success message) in a <p class="notice">. */
void web_notice(vios_web_req *r, const char *text);

/* The page reloads itself every seconds (a progress page): call before
 * web_page_begin. */
void web_refresh(vios_web_req *r, unsigned seconds);
/* Answers 303 See Other to path (after a POST that wrote). */
void web_redirect(vios_web_req *r, const char *path);
/* Answers status with a short page saying why (404, 403, 400). */
void web_fail(vios_web_req *r, unsigned status, const char *why);
/* Sets the response's content type (default text/html; charset=utf-8) and
 * attachment name (NULL: inline). For a page that is not HTML (an SVG). */
void web_content_type(vios_web_req *r, const char *type);
/* Appends bytes as they are (for a non-HTML body). */
void web_write(vios_web_req *r, const void *buf, size_t len);

/* --- what is shown ------------------------------------------------------ */

/* A date YYYY-MM-DD (or the date of a timestamp) as DD-MM-YYYY; other text
 * as it is. Into out (11+ bytes). */
void web_date_out(char *out, size_t len, const char *date);
/* A date typed in a form as DD-MM-YYYY or D-M-YYYY ('-', '/' or '.'), as
 * YYYY-MM-DD for the library (which validates it); anything else, and a
 * day that does not exist (31-02-2026), is passed through unchanged so the
 * library's one-line error names what was typed. NULL and "" stay as they
 * are. Returns out, or in when unchanged. */
const char *web_date_in(char *out, size_t len, const char *in);
/* A UTC timestamp (2026-12-01T10:00:00Z, with or without fraction) as
 * local time in Europe/Amsterdam: DD-MM-YYYY HH:MM. */
void web_time_out(char *out, size_t len, const char *stamp);
/* A date (DD-MM-YYYY) or a timestamp (local time) written as text; an
 * em dash when absent or empty. */
void web_date_cell(vios_web_req *r, const char *date);
void web_time_cell(vios_web_req *r, const char *stamp);
/* A string column of a vios_query row, or NULL. */
const char *web_col(const json_t *row, const char *key);
/* A theme's name in the session's language (Dutch label, or the covenant's
 * local label). */
const char *web_theme(vios_web_req *r, const char *theme);
/* A role's name in words (Dutch: "politie", ...). */
const char *web_role(const char *role);
/* A case status, triage state or kind in words. */
const char *web_word(const char *word);
/* A case's short reference: its number among this school's cases by the
 * order they were opened ("Zaak 12"), into out. */
int web_case_ref(char *out, size_t len, vios_web_req *r, const char *case_id);

/* --- long jobs: sync now, merge now (web_job.c) ---------------------------- */

/* What a job runs, in a child process, on its own store: 0 after calling
 * web_job_result with its summary, or an error (its one-line error becomes
 * the result). */
typedef int (*web_job_fn)(vios_store *st, void *ctx);
/*
 * Starts job name (one at a time for the whole server): fn(st, ctx) in a
 * forked child that holds the node's key and opens its own store (ctx is
 * the child's copy: stack data of the caller is fine). The server lets go
 * of the store first: a page must not use web_store after this.
 * VIOS_EEXISTS with one line when a job runs already.
 */
int web_job_start(vios_web_req *r, const char *name, web_job_fn fn, void *ctx);
/* In the job: a progress line (git's transfers write their own). */
void web_job_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* In the job: its result, code 0 or an error code, and a summary line. */
void web_job_result(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The state of job name: 0 never started here, 1 running, 2 done. text gets
 * its progress lines so far; code and result its result once done. */
int web_job_state(const char *name, const char **text, int *code, const char **result);
/* Lets go of the store for the rest of this request (the run lock: a
 * command or a job may take it). 0, or the error of a release that
 * failed. */
int web_store_release(vios_web_req *r);

/* --- routes ------------------------------------------------------------- */

/* Who may use a route: the node's kind. */
#define WEB_SCHOOL 1
#define WEB_PARTNER 2
#define WEB_HUB 4
#define WEB_ANY 7

typedef struct {
	const char *path;   /* "/pupils", or a prefix ending in '/': "/pupil/" gets the rest as arg */
	int who;            /* WEB_* mask */
	void (*fn)(vios_web_req *r, const char *rest);
	const char *menu;   /* the menu's label (N_(...)), or NULL: not in the menu */
} vios_web_route;

/* Each page file's table, ended by { NULL }. */
extern const vios_web_route vios_web_school_routes[];
extern const vios_web_route vios_web_partner_routes[];
extern const vios_web_route vios_web_hub_routes[];
extern const vios_web_route vios_web_common_routes[];
extern const vios_web_route vios_web_job_routes[]; /* /sync (web_job.c) */

#endif
