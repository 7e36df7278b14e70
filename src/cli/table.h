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

#endif
