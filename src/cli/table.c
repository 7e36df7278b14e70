/*
 * table.c - prints query results (JSON arrays of row objects) as aligned
 * text tables or as JSON, for every list and show command.
 *
 * Every JSON document vios prints goes through cli_json (stdout, indented)
 * or cli_json_line (one line: the --json error on stderr); nothing in the
 * CLI writes JSON with printf.
 */
#include "cli/table.h"
#include "util/html.h"
#include "util/error.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#define CELL_MAX 48

/* The cell text of one value: NULL as "-", integers as numbers. A value
 * longer than out is cut on purpose, unchecked: cut() below shortens every
 * cell to at most 60 characters, far less than out (4096 bytes) holds, so
 * what is shown is the same either way. */
static void cell(char *out, size_t len, json_t *v)
{
	assert(out != NULL && len > 0);
	if (v == NULL || json_is_null(v))
		snprintf(out, len, "-");
	else if (json_is_integer(v))
		snprintf(out, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_string(v))
		snprintf(out, len, "%s", json_string_value(v));
	else
		snprintf(out, len, "?");
	for (char *p = out; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
}

/* Display width of UTF-8 text (code points), and a cut at `max` of them. */
static size_t width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void cut(char *s, size_t max)
{
	size_t w = 0;
	for (char *p = s; *p; p++) {
		if (((unsigned char)*p & 0xc0) != 0x80 && ++w > max) {
			/* keep max-1 characters and an ellipsis */
			char *q = p;
			do
				q--;
			while (q > s && ((unsigned char)*q & 0xc0) == 0x80);
			strcpy(q, "\xe2\x80\xa6");
			return;
		}
	}
}

void cli_table(FILE *f, json_t *rows, const cli_col *cols)
{
	size_t ncol = 0, w[16] = { 0 };
	char buf[4096];
	size_t i;
	json_t *row;

	assert(f != NULL);
	assert(rows != NULL);
	assert(cols != NULL);
	while (cols[ncol].key && ncol < 16)
		ncol++;
	for (size_t c = 0; c < ncol; c++)
		w[c] = width(cols[c].header);
	json_array_foreach(rows, i, row) {
		for (size_t c = 0; c < ncol; c++) {
			cell(buf, sizeof(buf), json_object_get(row, cols[c].key));
			cut(buf, cols[c].wide ? 60 : CELL_MAX);
			if (width(buf) > w[c])
				w[c] = width(buf);
		}
	}
	for (size_t c = 0; c < ncol; c++)
		fprintf(f, "%s%-*s", c ? "  " : "", c + 1 < ncol ? (int)w[c] : 0, cols[c].header);
	fputc('\n', f);
	json_array_foreach(rows, i, row) {
		for (size_t c = 0; c < ncol; c++) {
			cell(buf, sizeof(buf), json_object_get(row, cols[c].key));
			cut(buf, cols[c].wide ? 60 : CELL_MAX);
			fputs(c ? "  " : "", f);
			fputs(buf, f);
			if (c + 1 < ncol)
				for (size_t pad = width(buf); pad < w[c]; pad++)
					fputc(' ', f);
		}
		fputc('\n', f);
	}
}

void cli_json(FILE *f, json_t *v)
{
	assert(f != NULL);
	assert(v != NULL);
	json_dumpf(v, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', f);
}

void cli_json_line(FILE *f, json_t *v)
{
	assert(f != NULL);
	assert(v != NULL);
	json_dumpf(v, f, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputc('\n', f);
}

int cli_json_out(json_t *v)
{
	if (v == NULL) {
		vios_error_set(VIOS_ERR_JSON, "cannot build the JSON output (out of memory, or text that is not UTF-8)");
		return VIOS_ERROR;
	}
	cli_json(stdout, v);
	json_decref(v);
	return 0;
}

void cli_html(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		const char *e = vios_html_entity((unsigned char)*s);
		if (e)
			fputs(e, f);
		else
			fputc(*s, f);
	}
}
