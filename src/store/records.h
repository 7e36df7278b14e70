/*
 * records.h - the VIOS records on top of the store: validation, creation,
 * status changes and queries. Every change is one transaction that also
 * appends to the access log.
 *
 * Records are written as (column, value) lists of text, as they come from
 * the command line; each table's rules say which columns exist, which are
 * required and how each is checked (theme, role, date, enumeration, a
 * reference to an existing record). Queries return jansson arrays of
 * objects, one per row, keyed by column name.
 */
#ifndef VIOS_RECORDS_H
#define VIOS_RECORDS_H

#include <jansson.h>

#include "store/store.h"

typedef struct {
	const char *col;
	const char *val; /* NULL = not given */
} vios_field;

/* Validators (1 = valid). Themes and roles: node/vocab.h
 * (vios_theme_valid, vios_role_at_table). */
int vios_date_valid(const char *date);       /* YYYY-MM-DD, a real date */
int vios_month_valid(const char *month);     /* YYYY-MM */

/*
 * Creates a record in table (pupil, signal, trend, meeting, case_file,
 * agreement) from fields; writes the new UUIDv7 to id. VIOS_EUSAGE with a
 * message naming the field for invalid input; VIOS_ENOTFOUND when a
 * referenced record does not exist.
 */
int vios_record_add(char id[37], vios_store *st, const char *table,
		    const vios_field *fields, size_t n);

/*
 * Moves a case to status (and escalation target for "escalated"). Illegal
 * transitions are VIOS_EUSAGE with the allowed next statuses named.
 */
int vios_case_set_status(vios_store *st, const char *id, const char *status,
			 const char *target);
/* The statuses a case may move to from `from`, as "a, b" (static text). */
const char *vios_case_next_statuses(const char *from);

/* Marks an agreement done with optional feedback. */
int vios_agreement_done(vios_store *st, const char *id, const char *feedback);

/*
 * Runs a read-only query with text parameters and returns the rows as a
 * JSON array of objects (NULL columns as JSON null, integers as integers).
 */
int vios_query(json_t **out, vios_store *st, const char *zSql,
	       const char *const *params, size_t n);

/* The pupil with its signals, cases and agreements, as one JSON object. */
int vios_pupil_show(json_t **out, vios_store *st, const char *id);

#endif
