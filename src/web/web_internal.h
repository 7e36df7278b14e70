/*
 * web_internal.h - what the web's own files share and no page needs.
 */
#ifndef VIOS_WEB_INTERNAL_H
#define VIOS_WEB_INTERNAL_H

/* The style sheet, served at /static/vios.css (web_css.c). */
extern const char web_css[];

/* The catalog's language for what follows: "nl" or "en" (web_text.c). The
 * server runs its requests one at a time in one thread, so the process's
 * language is the request's. */
void web_i18n_lang(const char *lang);

#endif
