/*
 * web_core.c - vios serve's server: libmicrohttpd on 127.0.0.1, sessions,
 * the CSRF and origin rules, the security headers, routing, the HTML
 * output and the layout. The rules every page shares live here once
 * (web.h says which); the pages live in web_school.c, web_partner.c and
 * web_hub.c.
 */
#include "web/web.h"
#include "web/web_internal.h"

#include "crdt/crdt.h"
#include "crypto/secret.h"
#include "sync/consent.h"
#include "util/error.h"
#include "util/html.h"
#include "util/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WEB_DEFAULT_PORT 8470
#define WEB_SESSIONS 32
#define WEB_SESSION_IDLE (30 * 60)   /* seconds a session lives unused */
#define WEB_BODY_MAX (64 * 1024)     /* a form's body */
#define WEB_FIELDS_MAX 64
#define WEB_LOGIN_FAILS 5            /* wrong passphrases before a pause */
#define WEB_LOGIN_PAUSE 30           /* seconds of that pause */
#define COOKIE "vios_session"
#define TOKEN_HEX 64                 /* 32 random bytes as hex */

typedef struct {
	char id[TOKEN_HEX + 1];
	char csrf[TOKEN_HEX + 1];
	int used;
	int authed;
	char lang[3];
	time_t last;
} web_session;

struct vios_web {
	const char *home;
	unsigned port;
	vios_node *node;   /* NULL until the first sign-in unlocks it */
	vios_store *store; /* open with node */
	int kind;          /* WEB_SCHOOL, WEB_PARTNER, WEB_HUB or 0 (auditor) */
	char lang[3];      /* a new session's language */
	web_session sessions[WEB_SESSIONS];
	int fails;         /* wrong passphrases in a row */
	time_t paused_until;
	struct MHD_Daemon *daemon;
	char origin[2][48]; /* http://127.0.0.1:PORT, http://localhost:PORT */
	char host[2][40];   /* 127.0.0.1:PORT, localhost:PORT */
};

typedef struct {
	char *name;
	char *val;
	size_t len;
} web_field;

struct vios_web_req {
	vios_web *w;
	struct MHD_Connection *c;
	const char *method;
	const char *url;
	int post;
	web_session *s;
	int new_session;
	/* the form */
	struct MHD_PostProcessor *pp;
	web_field fields[WEB_FIELDS_MAX];
	size_t nfields;
	size_t body;
	int overflow;
	/* the answer */
	char *out;
	size_t len, cap;
	int oom;
	unsigned status;
	char location[256];
	char ctype[64];
	int began;
	unsigned refresh;
	int held; /* the store is held for this request */
	int refused; /* answered before any page: the layout names no node, shows no menu */
};

static volatile sig_atomic_t stop_now;

static void on_signal(int sig)
{
	(void)sig;
	stop_now = 1;
}

/* --- output ------------------------------------------------------------- */

void web_write(vios_web_req *r, const void *buf, size_t len)
{
	if (r->oom || len == 0)
		return;
	if (r->len + len + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 8192;
		char *p;
		while (cap < r->len + len + 1)
			cap *= 2;
		if ((p = realloc(r->out, cap)) == NULL) {
			r->oom = 1;
			return;
		}
		r->out = p;
		r->cap = cap;
	}
	memcpy(r->out + r->len, buf, len);
	r->len += len;
	r->out[r->len] = '\0';
}

void h_raw(vios_web_req *r, const char *html)
{
	if (html)
		web_write(r, html, strlen(html));
}

void h_esc(vios_web_req *r, const char *text)
{
	const char *p, *run;

	if (text == NULL)
		return;
	for (p = run = text; *p; p++) {
		const char *rep = vios_html_entity((unsigned char)*p);
		if (rep == NULL)
			continue;
		web_write(r, run, (size_t)(p - run));
		h_raw(r, rep);
		run = p + 1;
	}
	web_write(r, run, (size_t)(p - run));
}

void h_printf(vios_web_req *r, const char *fmt, ...)
{
	va_list ap;
	const char *p, *run;
	char num[32];

	va_start(ap, fmt);
	for (p = run = fmt; *p; p++) {
		if (*p != '%')
			continue;
		web_write(r, run, (size_t)(p - run));
		run = p;
		p++;
		if (*p == 's')
			h_esc(r, va_arg(ap, const char *));
		else if (*p == 'd')
			snprintf(num, sizeof(num), "%d", va_arg(ap, int)), h_raw(r, num);
		else if (*p == 'u')
			snprintf(num, sizeof(num), "%u", va_arg(ap, unsigned)), h_raw(r, num);
		else if (p[0] == 'l' && p[1] == 'd')
			snprintf(num, sizeof(num), "%ld", va_arg(ap, long)), h_raw(r, num), p++;
		else if (p[0] == 'l' && p[1] == 'l' && p[2] == 'd')
			snprintf(num, sizeof(num), "%lld", va_arg(ap, long long)), h_raw(r, num), p += 2;
		else if (p[0] == 'z' && p[1] == 'u')
			snprintf(num, sizeof(num), "%zu", va_arg(ap, size_t)), h_raw(r, num), p++;
		else if (*p == '%')
			h_raw(r, "%");
		else {
			run = p; /* a conversion h_printf does not know: the rest is dropped, never misread */
			break;
		}
		run = p + 1;
	}
	if (*p == '\0')
		web_write(r, run, (size_t)(p - run));
	va_end(ap);
}

void web_content_type(vios_web_req *r, const char *type)
{
	snprintf(r->ctype, sizeof(r->ctype), "%s", type);
}

void web_refresh(vios_web_req *r, unsigned seconds)
{
	r->refresh = seconds;
}

void web_redirect(vios_web_req *r, const char *path)
{
	r->status = MHD_HTTP_SEE_OTHER;
	snprintf(r->location, sizeof(r->location), "%s", path);
}

void web_notice(vios_web_req *r, const char *text)
{
	h_printf(r, "<p class=\"notice\" role=\"status\">%s</p>\n", text);
}

void web_error_line(vios_web_req *r)
{
	h_printf(r, "<p class=\"error\" role=\"alert\">%s</p>\n", vios_error_last());
}

/* --- accessors ---------------------------------------------------------- */

/* A field of the POST body, or NULL. */
static const char *form_field(const vios_web_req *r, const char *name)
{
	for (size_t i = 0; i < r->nfields; i++)
		if (!strcmp(r->fields[i].name, name))
			return r->fields[i].val;
	return NULL;
}

const char *web_arg(const vios_web_req *r, const char *name)
{
	const char *v = form_field(r, name);

	if (v)
		return v;
	return r->c ? MHD_lookup_connection_value(r->c, MHD_GET_ARGUMENT_KIND, name) : NULL;
}

int web_is_post(const vios_web_req *r)
{
	return r->post;
}

vios_store *web_store(vios_web_req *r)
{
	return r->w->store;
}

int web_store_release(vios_web_req *r)
{
	int error = 0;

	if (r->held && r->w->store)
		error = vios_store_release(r->w->store);
	r->held = 0;
	return error;
}

void web_close_server_fds(vios_web_req *r)
{
	const union MHD_DaemonInfo *di = r->w->daemon ? MHD_get_daemon_info(r->w->daemon, MHD_DAEMON_INFO_LISTEN_FD) : NULL;
	const union MHD_ConnectionInfo *ci = r->c ? MHD_get_connection_info(r->c, MHD_CONNECTION_INFO_CONNECTION_FD) : NULL;

	if (di)
		close(di->listen_fd);
	if (ci)
		close(ci->connect_fd);
}

const vios_node *web_node(const vios_web_req *r)
{
	return r->w->node;
}

const char *web_home(const vios_web_req *r)
{
	return r->w->home;
}

const char *web_lang(const vios_web_req *r)
{
	return r->s ? r->s->lang : r->w->lang;
}

/* --- sessions ----------------------------------------------------------- */

static void token_new(char out[TOKEN_HEX + 1])
{
	unsigned char b[TOKEN_HEX / 2];

	randombytes_buf(b, sizeof(b));
	sodium_bin2hex(out, TOKEN_HEX + 1, b, sizeof(b));
	sodium_memzero(b, sizeof(b));
}

static void session_drop(web_session *s)
{
	sodium_memzero(s, sizeof(*s));
}

static web_session *session_find(vios_web *w, const char *id)
{
	time_t now = time(NULL);

	if (id == NULL || strlen(id) != TOKEN_HEX)
		return NULL;
	for (int i = 0; i < WEB_SESSIONS; i++) {
		web_session *s = &w->sessions[i];
		if (!s->used)
			continue;
		if (now - s->last > WEB_SESSION_IDLE) {
			session_drop(s);
			continue;
		}
		if (sodium_memcmp(s->id, id, TOKEN_HEX) == 0) {
			s->last = now;
			return s;
		}
	}
	return NULL;
}

/* A new session: a free slot, else the one unused longest (signed-out
 * ones first). */
static web_session *session_new(vios_web *w)
{
	web_session *pick = NULL;

	for (int i = 0; i < WEB_SESSIONS; i++) {
		web_session *s = &w->sessions[i];
		if (!s->used) {
			pick = s;
			break;
		}
		if (pick == NULL || (pick->authed && !s->authed) ||
		    (pick->authed == s->authed && s->last < pick->last))
			pick = s;
	}
	session_drop(pick);
	pick->used = 1;
	token_new(pick->id);
	token_new(pick->csrf);
	snprintf(pick->lang, sizeof(pick->lang), "%s", w->lang);
	pick->last = time(NULL);
	return pick;
}

/* --- the layout --------------------------------------------------------- */

static const vios_web_route *const route_tables[] = {
	vios_web_common_routes, vios_web_school_routes, vios_web_partner_routes, vios_web_hub_routes,
	vios_web_job_routes,
};

void web_form_begin(vios_web_req *r, const char *action)
{
	h_printf(r, "<form method=\"post\" action=\"%s\">\n<input type=\"hidden\" name=\"csrf\" value=\"%s\">\n",
		 action, r->s ? r->s->csrf : "");
}

void web_page_begin(vios_web_req *r, const char *title)
{
	vios_web *w = r->w;

	r->began = 1;
	h_printf(r, "<!doctype html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		    "<title>%s · vios</title>\n<link rel=\"stylesheet\" href=\"/static/vios.css\">\n",
		 web_lang(r), title);
	if (r->refresh)
		h_printf(r, "<meta http-equiv=\"refresh\" content=\"%u\">\n", r->refresh);
	h_raw(r, "</head>\n<body>\n<header class=\"top\">\n");
	h_raw(r, "<a class=\"brand\" href=\"/\">vios</a>");
	/* the node's name and role for a signed-in session only: a refusal or
	 * the sign-in page tells another site (a rebinding page) nothing */
	if (w->node && r->s && r->s->authed && !r->refused)
		h_printf(r, " <span class=\"who\">%s · %s</span>", w->node->name, web_role(w->node->role));
	h_raw(r, "\n");
	if (r->s && r->s->authed && !r->refused) {
		h_raw(r, "<nav>\n<ul>\n");
		for (size_t t = 0; t < sizeof(route_tables) / sizeof(route_tables[0]); t++)
			for (const vios_web_route *rt = route_tables[t]; rt->path; rt++)
				if (rt->menu && (rt->who & w->kind))
				{
					h_printf(r, "<li><a href=\"%s\"", rt->path);
					if (!strcmp(rt->path, r->url))
						h_raw(r, " aria-current=\"page\"");
					h_printf(r, ">%s</a></li>\n", _(rt->menu));
				}
		h_raw(r, "</ul>\n</nav>\n");
	}
	h_raw(r, "<div class=\"tools\">");
	web_form_begin(r, "/lang");
	h_printf(r, "<input type=\"hidden\" name=\"to\" value=\"%s\"><button class=\"link\">%s</button></form>",
		 !strcmp(web_lang(r), "nl") ? "en" : "nl", !strcmp(web_lang(r), "nl") ? "English" : "Nederlands");
	if (r->s && r->s->authed) {
		web_form_begin(r, "/logout");
		h_printf(r, "<button class=\"link\">%s</button></form>", _("Sign out"));
	}
	h_raw(r, "</div>\n</header>\n<main>\n");
	h_printf(r, "<h1>%s</h1>\n", title);
}

void web_page_end(vios_web_req *r)
{
	h_raw(r, "</main>\n</body>\n</html>\n");
}

void web_fail(vios_web_req *r, unsigned status, const char *why)
{
	r->len = 0;
	r->status = status;
	web_page_begin(r, status == 404					? _("Not found")
			  : status == 403 || status == MHD_HTTP_MISDIRECTED_REQUEST ? _("Refused")
			  : status == 405					? _("Not allowed")
			  : status == 413					? _("Too large")
			  : status == 503					? _("Busy")
			  : status >= 500					? _("Error")
									: _("Bad request"));
	h_printf(r, "<p class=\"error\" role=\"alert\">%s</p>\n", why);
	web_page_end(r);
}

/* --- the common routes: sign in and out, language, style ---------------- */

/* The store opens with the node: once, at the first sign-in or at start. */
static int open_store(vios_web *w)
{
	int error;

	if (w->store)
		return 0;
	if ((error = vios_crdt_store_open(&w->store, w->node)) == 0) {
		/* a local write's themes: the base list and the approved covenant's (as cli_open) */
		vios_store_set_themes(w->store, vios_consent_themes);
		/* held only while a request runs: a command (a timer's sync)
		 * may use the store between requests (run.h) */
		error = vios_store_release(w->store);
	}
	return error;
}

static int kind_of(const vios_node *node)
{
	if (!strcmp(node->kind, "school"))
		return WEB_SCHOOL;
	if (!strcmp(node->kind, "partner"))
		return WEB_PARTNER;
	if (!strcmp(node->kind, "hub"))
		return WEB_HUB;
	return 0;
}

static void login_form(vios_web_req *r)
{
	web_form_begin(r, "/login");
	h_printf(r, "<p><label for=\"pass\">%s</label>\n"
		    "<input type=\"password\" id=\"pass\" name=\"passphrase\" autocomplete=\"current-password\" required autofocus></p>\n"
		    "<p><button>%s</button></p>\n</form>\n",
		 _("Passphrase of this node"), _("Sign in"));
}

/*
 * Sign-in: the node's passphrase, checked by opening the node's vault as
 * every command does (Argon2id). The first sign-in of a server started
 * locked keeps the node it opened; later ones only check. After
 * WEB_LOGIN_FAILS wrong ones in a row, sign-in pauses WEB_LOGIN_PAUSE
 * seconds. The session gets a new id and token when it signs in.
 */
static void page_login(vios_web_req *r, const char *rest)
{
	vios_web *w = r->w;
	const char *pass = web_arg(r, "passphrase");
	vios_secret *sec = NULL;
	vios_node *node = NULL;
	int error = 0;

	(void)rest;
	if (r->s->authed && !r->post) {
		web_redirect(r, "/");
		return;
	}
	if (r->post) {
		if (time(NULL) < w->paused_until) {
			vios_error_set(VIOS_ERR_INPUT, "%s", _("too many wrong passphrases: wait half a minute"));
			error = VIOS_EAUTH;
		} else if (pass == NULL || *pass == '\0') {
			vios_error_set(VIOS_ERR_INPUT, "%s", _("the passphrase is empty"));
			error = VIOS_EUSAGE;
		} else if ((error = vios_secret_new(&sec, pass, strlen(pass))) == 0 &&
			   (error = vios_node_open(&node, w->home, sec)) == 0) {
			if (w->node == NULL) {
				w->node = node;
				node = NULL;
				w->kind = kind_of(w->node);
			}
			error = open_store(w);
		}
		vios_secret_free(sec);
		vios_node_free(node);
		if (error == 0) {
			w->fails = 0;
			token_new(r->s->id);
			token_new(r->s->csrf);
			r->s->authed = 1;
			r->new_session = 1;
			web_redirect(r, "/");
			return;
		}
		/* a try during the pause is refused without counting: the pause
		 * cannot be drawn out by trying on */
		if (error == VIOS_EAUTH && time(NULL) >= w->paused_until && ++w->fails >= WEB_LOGIN_FAILS) {
			w->fails = 0;
			w->paused_until = time(NULL) + WEB_LOGIN_PAUSE;
		}
		r->status = MHD_HTTP_FORBIDDEN;
	}
	web_page_begin(r, _("Sign in"));
	if (r->post)
		web_error_line(r);
	login_form(r);
	web_page_end(r);
}

static void page_logout(vios_web_req *r, const char *rest)
{
	(void)rest;
	if (!r->post) {
		web_fail(r, 405, _("sign out with the button"));
		return;
	}
	session_drop(r->s);
	r->s = NULL;
	web_redirect(r, "/login");
}

static void page_lang(vios_web_req *r, const char *rest)
{
	const char *to = web_arg(r, "to");

	(void)rest;
	if (!r->post || to == NULL || (strcmp(to, "nl") && strcmp(to, "en"))) {
		web_fail(r, 400, _("no such language"));
		return;
	}
	snprintf(r->s->lang, sizeof(r->s->lang), "%s", to);
	web_redirect(r, r->s->authed ? "/" : "/login");
}

static void page_css(vios_web_req *r, const char *rest)
{
	(void)rest;
	web_content_type(r, "text/css; charset=utf-8");
	h_raw(r, web_css);
}

const vios_web_route vios_web_common_routes[] = {
	{ "/login", WEB_ANY, page_login, NULL },
	{ "/logout", WEB_ANY, page_logout, NULL },
	{ "/lang", WEB_ANY, page_lang, NULL },
	{ "/static/vios.css", WEB_ANY, page_css, NULL },
	{ NULL, 0, NULL, NULL },
};

/* --- a request ---------------------------------------------------------- */

/* Every page but the common ones (sign-in, language, style) and the job's
 * reads the store. */
static int t_needs_store(const vios_web_route *rt)
{
	for (const vios_web_route *c = vios_web_common_routes; c->path; c++)
		if (c == rt)
			return 0;
	/* a job's page reads the job, not the store: it must answer while
	 * the job holds the store */
	for (const vios_web_route *c = vios_web_job_routes; c->path; c++)
		if (c == rt)
			return 0;
	return 1;
}

/* Paths a signed-out browser may ask for. */
static int public_path(const char *url)
{
	return !strcmp(url, "/login") || !strcmp(url, "/lang") || !strcmp(url, "/static/vios.css");
}

/* The route for url and this node's kind; *rest gets what follows a
 * prefix route. */
static const vios_web_route *route_find(const vios_web *w, const char *url, const char **rest, int authed)
{
	int kind = authed ? w->kind : 0;

	for (size_t t = 0; t < sizeof(route_tables) / sizeof(route_tables[0]); t++)
		for (const vios_web_route *rt = route_tables[t]; rt->path; rt++) {
			size_t n = strlen(rt->path);
			if (t > 0 && !(rt->who & kind))
				continue;
			if (!strcmp(rt->path, url)) {
				*rest = "";
				return rt;
			}
			if (n > 1 && rt->path[n - 1] == '/' && !strncmp(rt->path, url, n) && url[n]) {
				*rest = url + n;
				return rt;
			}
		}
	return NULL;
}

/* What follows a prefix route is an id or a word: letters, digits, '-'. */
static int rest_ok(const char *rest)
{
	size_t n = strlen(rest);

	if (n > 64)
		return 0;
	return strspn(rest, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == n;
}

static int is_ours(const char *v, const char set[2][48])
{
	return !strcmp(v, set[0]) || !strcmp(v, set[1]);
}

/*
 * The refusals that come before any page: a Host that is not this server
 * (a DNS rebinding page), an Origin that is not this server, a request a
 * browser marks as cross-site, and a POST whose csrf field does not match
 * its session's token. 0 when none applies, else the status.
 */
static unsigned refuse(vios_web_req *r, const char **why)
{
	vios_web *w = r->w;
	const char *host = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	const char *origin = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, "Origin");
	const char *site = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, "Sec-Fetch-Site");
	const char *csrf;

	if (host == NULL || (strcmp(host, w->host[0]) && strcmp(host, w->host[1]))) {
		*why = _("this server answers to 127.0.0.1 only");
		return MHD_HTTP_MISDIRECTED_REQUEST;
	}
	if (origin && !is_ours(origin, (const char(*)[48])w->origin)) {
		*why = _("a request from another site is refused");
		return MHD_HTTP_FORBIDDEN;
	}
	if (site && !strcmp(site, "cross-site")) {
		*why = _("a request from another site is refused");
		return MHD_HTTP_FORBIDDEN;
	}
	if (r->post) {
		/* from the form's body only, never the query string: a token in
		 * a URL would land in logs and history */
		csrf = form_field(r, "csrf");
		if (r->s == NULL || csrf == NULL || strlen(csrf) != TOKEN_HEX ||
		    sodium_memcmp(csrf, r->s->csrf, TOKEN_HEX) != 0) {
			*why = _("the form's token is missing or stale: open the page again");
			return MHD_HTTP_FORBIDDEN;
		}
	}
	return 0;
}

static void dispatch(vios_web_req *r)
{
	vios_web *w = r->w;
	const vios_web_route *rt;
	const char *rest = "", *why = NULL;
	unsigned status;

	web_job_poll();
	r->s = session_find(w, MHD_lookup_connection_value(r->c, MHD_COOKIE_KIND, COOKIE));
	web_i18n_lang(r->s ? r->s->lang : w->lang);
	if ((status = refuse(r, &why)) != 0) {
		r->refused = 1;
		web_fail(r, status, why);
		return;
	}
	if (r->s == NULL) {
		r->s = session_new(w);
		r->new_session = 1;
	}
	web_i18n_lang(r->s->lang);
	if (!r->s->authed && !public_path(r->url)) {
		web_redirect(r, "/login");
		return;
	}
	if ((rt = route_find(w, r->url, &rest, r->s->authed)) == NULL || !rest_ok(rest)) {
		web_fail(r, 404, _("there is no such page"));
		return;
	}
	vios_error_clear();
	/* the store, for pages of a signed-in session: taken for this request
	 * only, waiting as a command does for another vios to let go */
	if (r->s->authed && w->store && t_needs_store(rt)) {
		if (vios_store_reacquire(w->store) < 0) {
			web_fail(r, MHD_HTTP_SERVICE_UNAVAILABLE, vios_error_last());
			return;
		}
		r->held = 1;
	}
	rt->fn(r, rest);
	web_store_release(r);
	if (r->status == 0 && r->len == 0 && !r->oom)
		web_fail(r, 404, _("there is no such page"));
}

static void add_headers(struct MHD_Response *resp, const vios_web_req *r)
{
	char cookie[160];

	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
				"frame-ancestors 'none'; base-uri 'none'");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	/* same-origin, not no-referrer: with no-referrer a browser sends "Origin: null"
	 * on a form POST, which the origin rule must refuse */
	MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				r->ctype[0] ? r->ctype : "text/html; charset=utf-8");
	if (r->location[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, r->location);
	if (r->new_session && r->s) {
		snprintf(cookie, sizeof(cookie), COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict", r->s->id);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, cookie);
	} else if (r->s == NULL) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE,
					COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
	}
}

static enum MHD_Result post_field(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
				  const char *content_type, const char *transfer_encoding, const char *data,
				  uint64_t off, size_t size)
{
	vios_web_req *r = cls;
	web_field *f = NULL;

	(void)kind, (void)filename, (void)content_type, (void)transfer_encoding;
	if (r->nfields > 0 && !strcmp(r->fields[r->nfields - 1].name, key) && off > 0)
		f = &r->fields[r->nfields - 1];
	if (f == NULL) {
		if (r->nfields == WEB_FIELDS_MAX) {
			r->overflow = 1;
			return MHD_NO;
		}
		f = &r->fields[r->nfields];
		if ((f->name = strdup(key)) == NULL || (f->val = calloc(1, 1)) == NULL) {
			r->overflow = 1;
			return MHD_NO;
		}
		f->len = 0;
		r->nfields++;
	}
	if (size) {
		/* grown by copying, and the old copy wiped: a field may be a passphrase */
		char *p = malloc(f->len + size + 1);
		if (p == NULL) {
			r->overflow = 1;
			return MHD_NO;
		}
		memcpy(p, f->val, f->len);
		memcpy(p + f->len, data, size);
		p[f->len + size] = '\0';
		sodium_memzero(f->val, f->len);
		free(f->val);
		f->val = p;
		f->len += size;
	}
	return MHD_YES;
}

static void req_free(vios_web_req *r)
{
	if (r == NULL)
		return;
	if (r->pp)
		MHD_destroy_post_processor(r->pp);
	for (size_t i = 0; i < r->nfields; i++) {
		free(r->fields[i].name);
		if (r->fields[i].val)
			sodium_memzero(r->fields[i].val, r->fields[i].len);
		free(r->fields[i].val);
	}
	free(r->out);
	free(r);
}

vios_web_req *web_req_detached(const char *lang)
{
	static vios_web w;
	vios_web_req *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	snprintf(w.lang, sizeof(w.lang), "%s", lang);
	r->w = &w;
	r->url = "/";
	return r;
}

const char *web_req_html(const vios_web_req *r)
{
	return r->out ? r->out : "";
}

void web_req_free(vios_web_req *r)
{
	req_free(r);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			      const char *version, const char *upload, size_t *upload_size, void **state)
{
	vios_web *w = cls;
	vios_web_req *r = *state;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned status;

	(void)version;
	if (r == NULL) {
		if ((r = calloc(1, sizeof(*r))) == NULL)
			return MHD_NO;
		r->w = w;
		r->c = c;
		r->method = method;
		r->url = url;
		r->post = !strcmp(method, MHD_HTTP_METHOD_POST);
		if (r->post)
			/* NULL for a body that is not a form: it has no csrf field then, and is refused */
			r->pp = MHD_create_post_processor(c, 4096, post_field, r);
		*state = r;
		return MHD_YES;
	}
	if (*upload_size) {
		r->body += *upload_size;
		if (r->body > WEB_BODY_MAX)
			r->overflow = 1;
		if (r->pp && !r->overflow && MHD_post_process(r->pp, upload, *upload_size) != MHD_YES)
			r->overflow = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	/* the body is whole: ending the post processor hands over what it
	 * still holds (a last field that is empty comes only then) */
	if (r->pp) {
		/* a malformed tail is dropped: the fields before it stand, and
		 * the csrf rule still judges the request */
		(void)MHD_destroy_post_processor(r->pp);
		r->pp = NULL;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD) && !r->post) {
		web_fail(r, 405, _("only GET and POST"));
	} else if (r->overflow) {
		web_fail(r, 413, _("the form is too large"));
	} else {
		dispatch(r);
	}
	if (r->oom) {
		free(r->out);
		r->out = NULL;
		r->len = 0;
		r->status = 500;
	}
	status = r->status ? r->status : MHD_HTTP_OK;
	resp = MHD_create_response_from_buffer(r->len, r->out, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL)
		return MHD_NO;
	r->out = NULL;
	add_headers(resp, r);
	/* the log: method, path (ids only: no page puts a name in a path), status */
	fprintf(stderr, "vios serve: %s %s %u\n", method, url, status);
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void finished(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode toe)
{
	(void)cls, (void)c, (void)toe;
	req_free(*state);
	*state = NULL;
}

int vios_web_run(const vios_web_opts *opts)
{
	vios_web *w;
	struct MHD_Daemon *d;
	struct sockaddr_in sa;
	struct sigaction act;
	sigset_t block, old;
	char why[512];
	int error = 0;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return vios_error_nomem();
	w->home = opts->home;
	w->port = opts->port ? opts->port : WEB_DEFAULT_PORT;
	w->node = opts->node;
	snprintf(w->lang, sizeof(w->lang), "%s", opts->lang && !strcmp(opts->lang, "en") ? "en" : "nl");
	snprintf(w->origin[0], sizeof(w->origin[0]), "http://127.0.0.1:%u", w->port);
	snprintf(w->origin[1], sizeof(w->origin[1]), "http://localhost:%u", w->port);
	snprintf(w->host[0], sizeof(w->host[0]), "127.0.0.1:%u", w->port);
	snprintf(w->host[1], sizeof(w->host[1]), "localhost:%u", w->port);
	/* the signals that stop the server reach this thread only: blocked
	 * before the daemon's thread starts (it inherits the mask), waited for
	 * below */
	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal;
	sigaction(SIGINT, &act, NULL);
	sigaction(SIGTERM, &act, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	if (w->node) {
		w->kind = kind_of(w->node);
		if ((error = open_store(w)) < 0)
			goto done;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)w->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* one internal thread: requests run one after the other on the one store */
	/* no MHD_USE_ERROR_LOG: its lines ("Failed to bind to port 0") would
	 * come beside ours, and a failure here gets one line of its own */
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, answer, w,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED, finished, w,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
			     MHD_OPTION_END);
	w->daemon = d;
	if (d == NULL) {
		vios_error_set(VIOS_ERR_OS, "cannot listen on 127.0.0.1:%u (in use by another program?)", w->port);
		error = VIOS_EEXISTS;
		goto done;
	}
	printf("vios serve: http://127.0.0.1:%u/ (sign in with this node's passphrase; Ctrl-C stops)\n", w->port);
	fflush(stdout);
	while (!stop_now)
		sigsuspend(&old);
	MHD_stop_daemon(d);
done:
	/* the one line survives the cleanup (freeing a store clears errors) */
	snprintf(why, sizeof(why), "%s", error < 0 ? vios_error_last() : "");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	vios_store_free(w->store);
	vios_node_free(w->node);
	sodium_memzero(w->sessions, sizeof(w->sessions));
	free(w);
	if (error < 0)
		vios_error_set(VIOS_ERR_OS, "%s", why);
	return error;
}
