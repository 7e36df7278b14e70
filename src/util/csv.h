/*
 * csv.h - the one CSV writer: the hub report (sync/report.c) and the audit
 * flows (src/cli/cmd_audit.c) write their files with it.
 *
 * Quoting is RFC 4180's: a cell holding a comma, a double quote, CR or LF,
 * or starting or ending with a space, is written between double quotes
 * with every double quote doubled; other cells are written as they are.
 * Records end with "\n" (RFC 4180 says CRLF; every reader takes LF, and
 * the files stay line-oriented for grep and cut).
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

/*
 * Writes one cell (quoted and neutralised as above; NULL is an empty cell)
 * without a separator. Returns 0, or the vios_error_os() code when the
 * stream has failed.
 */
int vios_csv_cell(FILE *f, const char *s);

/*
 * Writes one record: n cells separated by commas, then "\n". Returns 0, or
 * the vios_error_os() code ("cannot write the CSV") when the stream has
 * failed.
 */
int vios_csv_row(FILE *f, const char *const *cells, size_t n);

/* 1 when s would be written with a leading ' (see above), 0 otherwise. */
int vios_csv_neutralised(const char *s);

#endif
