/*
 * table.h - text tables and JSON output for query results.
 */
#ifndef VIOS_CLI_TABLE_H
#define VIOS_CLI_TABLE_H

#include <jansson.h>
#include <stdio.h>

typedef struct {
	const char *key;    /* column in the row objects */
	const char *header; /* what the table shows */
	int wide;           /* allow 60 characters instead of 48 */
} cli_col;

/* Prints rows (array of objects) under the given columns ({NULL} ends). */
void cli_table(FILE *f, json_t *rows, const cli_col *cols);
/* Prints v as indented JSON and a newline. */
void cli_json(FILE *f, json_t *v);
/* Prints v as compact JSON on one line and a newline. */
void cli_json_line(FILE *f, json_t *v);
/* Prints v to stdout with cli_json and releases it (the reference is
 * stolen, as json_pack's results are built to be). Returns 0, or
 * VIOS_ERROR when v is NULL (json_pack failed: out of memory or a string
 * that is not UTF-8), so that
 * `return cli_json_out(json_pack(...));` is a whole JSON output. */
int cli_json_out(json_t *v);

/* Writes s to f escaped for HTML text and attribute values (& < > " ').
 * The one escaping function of every HTML page the CLI writes (the subject
 * access report, the meeting agenda); NULL writes nothing. */
void cli_html(FILE *f, const char *s);

#endif
