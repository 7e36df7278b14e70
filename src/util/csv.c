/*
 * csv.c - see csv.h: RFC 4180 quoting and the formula-injection rule, in
 * one place.
 */
#include "util/csv.h"
#include "util/error.h"

#include <assert.h>
#include <string.h>

/* 1 when s is [+-]digits[.digits]: a number, written as it is. */
static int is_number(const char *s)
{
	const char *p = s;

	if (*p == '+' || *p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

int vios_csv_neutralised(const char *s)
{
	if (s == NULL || strchr("=+-@\t\r", s[0]) == NULL || s[0] == '\0')
		return 0;
	return !is_number(s);
}

static int needs_quotes(const char *s, int neutralised, char sep)
{
	size_t n = strlen(s);

	if (strpbrk(s, "\"\r\n") != NULL || strchr(s, sep) != NULL)
		return 1;
	/* a leading ' makes a leading space an inner one */
	return n > 0 && ((!neutralised && s[0] == ' ') || s[n - 1] == ' ');
}

static int cell(FILE *f, const char *s, char sep)
{
	int neutral, quoted;

	assert(f != NULL);
	if (s == NULL)
		s = "";
	neutral = vios_csv_neutralised(s);
	quoted = needs_quotes(s, neutral, sep);
	if (quoted)
		fputc('"', f);
	if (neutral)
		fputc('\'', f);
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			fputc('"', f);
		fputc(*p, f);
	}
	if (quoted)
		fputc('"', f);
	return ferror(f) ? vios_error_os("cannot write the CSV") : 0;
}

int vios_csv_cell(FILE *f, const char *s)
{
	return cell(f, s, ',');
}

int vios_csv_dialect_parse(vios_csv_dialect *out, const char *name)
{
	assert(out != NULL && name != NULL);
	if (!strcmp(name, "rfc4180"))
		*out = VIOS_CSV_RFC4180;
	else if (!strcmp(name, "excel-nl"))
		*out = VIOS_CSV_EXCEL_NL;
	else
		return -1;
	return 0;
}

int vios_csv_begin(FILE *f, vios_csv_dialect d)
{
	assert(f != NULL);
	if (d == VIOS_CSV_EXCEL_NL)
		fputs("\xef\xbb\xbf", f);
	return ferror(f) ? vios_error_os("cannot write the CSV") : 0;
}

int vios_csv_row_as(FILE *f, vios_csv_dialect d, const char *const *cells, size_t n)
{
	char sep = d == VIOS_CSV_EXCEL_NL ? ';' : ',';

	assert(f != NULL);
	assert(cells != NULL || n == 0);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			fputc(sep, f);
		cell(f, cells[i], sep);
	}
	fputs(d == VIOS_CSV_LINES ? "\n" : "\r\n", f);
	return ferror(f) ? vios_error_os("cannot write the CSV") : 0;
}

int vios_csv_row(FILE *f, const char *const *cells, size_t n)
{
	return vios_csv_row_as(f, VIOS_CSV_LINES, cells, n);
}
