/*
 * web_internal.h - what the web's own files share and no page needs.
 */
#ifndef VIOS_WEB_INTERNAL_H
#define VIOS_WEB_INTERNAL_H

#include "web/web.h"

/* The style sheet, served at /static/vios.css (web_css.c). */
extern const char web_css[];

/* The catalog's language for what follows: "nl" or "en" (web_text.c). The
 * server runs its requests one at a time in one thread, so the process's
 * language is the request's. */
void web_i18n_lang(const char *lang);

/* A request with no connection, rendering into memory: the unit tests'
 * way to call h_* and the layout (tests/unit/test_web.c). */
vios_web_req *web_req_detached(const char *lang);
const char *web_req_html(const vios_web_req *r);
void web_req_free(vios_web_req *r);

/* Reads what a running job wrote and reaps it when it ended (web_job.c):
 * the server calls it for every request, so the job's pipe never fills. */
void web_job_poll(void);
/* In a forked job: closes the server's listening socket and the
 * connection of the request that started it (web_core.c). */
void web_close_server_fds(vios_web_req *r);

#endif
