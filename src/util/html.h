/*
 * html.h - the one rule for HTML text: which characters are escaped and
 * how. Every page vios writes uses it: the CLI's pages (cli_html: the
 * subject access report, the meeting agenda) and the web interface (h_esc).
 */
#ifndef VIOS_HTML_H
#define VIOS_HTML_H

/* The entity for c (& < > " '), safe in text and in a quoted attribute;
 * NULL when c stands as it is. */
const char *vios_html_entity(int c);

#endif
