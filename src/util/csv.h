/*
 * csv.h - the one CSV writer: the hub report (sync/report.c) and the audit
 * flows (src/cli/cmd_audit.c) write their files with it.
 *
 * Quoting is RFC 4180's: a cell holding the separator, a double quote, CR
 * or LF, or starting or ending with a space, is written between double
 * quotes with every double quote doubled; other cells are written as they
 * are.
 *
 * Dialects (vios_csv_dialect):
 *   VIOS_CSV_LINES    ',' and records ending "\n": the audit flows, line-
 *                     oriented for grep and cut (every reader takes LF).
 *   VIOS_CSV_RFC4180  ',' and records ending "\r\n", as RFC 4180 writes.
 *   VIOS_CSV_EXCEL_NL ';' and "\r\n", the file starting with the UTF-8
 *                     byte order mark: what a spreadsheet set to Dutch
 *                     (decimal comma, list separator ';') opens as columns.
 *
 * Formula injection: a spreadsheet runs a cell starting with =, +, -, @,
 * tab or CR as a formula. Such a cell is written with a single quote ' in
 * front ("=1+1" becomes "'=1+1"), which spreadsheets show as text. A cell
 * that is wholly a decimal number ("-3", "+2.5", "42") is left alone:
 * numbers must stay numbers and cannot run anything. Nothing else is
 * changed; "<5" (a suppressed count) needs nothing.
 */
#ifndef VIOS_CSV_H
#define VIOS_CSV_H

#include <stddef.h>
#include <stdio.h>

typedef enum { VIOS_CSV_LINES, VIOS_CSV_RFC4180, VIOS_CSV_EXCEL_NL } vios_csv_dialect;

/* The dialect a command-line name spells ("rfc4180", "excel-nl"); -1 for
 * another name. */
int vios_csv_dialect_parse(vios_csv_dialect *out, const char *name);

/*
 * Writes one cell (quoted and neutralised as above; NULL is an empty cell)
 * without a separator, quoting for the ',' separator. Returns 0, or the
 * vios_error_os() code when the stream has failed.
 */
int vios_csv_cell(FILE *f, const char *s);

/* Starts a file in dialect d: the byte order mark for VIOS_CSV_EXCEL_NL,
 * nothing for the others. */
int vios_csv_begin(FILE *f, vios_csv_dialect d);

/* vios_csv_row in dialect d. */
int vios_csv_row_as(FILE *f, vios_csv_dialect d, const char *const *cells, size_t n);

/*
 * Writes one record: n cells separated by commas, then "\n". Returns 0, or
 * the vios_error_os() code ("cannot write the CSV") when the stream has
 * failed.
 */
int vios_csv_row(FILE *f, const char *const *cells, size_t n);

/* 1 when s would be written with a leading ' (see above), 0 otherwise. */
int vios_csv_neutralised(const char *s);

#endif
