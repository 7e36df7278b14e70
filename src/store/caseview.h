/*
 * caseview.h - which roles have been sent each case this node owns
 * (schema/0007_case_view.sql, docs/architecture.md "Sharing"), and the
 * queries the exporter needs around it: the only code that touches the
 * case_view table, and the one place that says which rows of a case its
 * owner forwards to a role added later.
 *
 *   case_view   (case_id, role, since): after every export, one row per
 *               role in the roles of each case the node made, and the row
 *               role '' for the case itself (an export saw it)
 *
 * Role sets are masks of node/vocab.h (vios_role_bit, vios_role_mask).
 * Writers run inside the caller's write transaction; every function returns
 * 0 or a vios error from vios_store_error naming what was being done.
 */
#ifndef VIOS_CASEVIEW_H
#define VIOS_CASEVIEW_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "node/node.h"
#include "store/store.h"

typedef struct {
	char id[37];
	uint32_t roles; /* case_file.roles as the row holds it now */
	uint32_t sent;  /* the roles recorded as sent the case */
	int known;      /* an export recorded the case before (its '' row) */
} vios_caseview_case;

/* The cases made by origin (case_file.origin), by id, each with its roles
 * now and what was recorded; *out malloc'd (NULL when none), free(). */
int vios_caseview_list(vios_caseview_case **out, size_t *n, vios_store *st, const char *origin);

/*
 * Records that every role of `roles` has been sent case_id, as of since
 * (a role recorded before keeps its since), with the case's '' row; drops
 * the rows of roles not in it.
 */
int vios_caseview_record(vios_store *st, const char *case_id, uint32_t roles, const char *since);

/* Drops the rows of cases not made by origin or no longer held (deleted
 * for good). */
int vios_caseview_prune(vios_store *st, const char *origin);

typedef struct {
	char tbl[16];
	char id[37];
} vios_caseview_row;

/*
 * The rows of case case_id made by origin, in the order a receiver must
 * merge them (a referenced row before the rows naming it): its pupil, the
 * signals its `signals` list names, the case_file row, its case meetings,
 * the agreements on the case or on one of those meetings. Rows made by
 * another node are left out: only a row's owner forwards its state (the
 * importer takes an op by a node other than the sender only for rows the
 * sender owns), and those rows reach the role from their own makers. *out
 * malloc'd (NULL when none), free().
 */
int vios_caseview_rows(vios_caseview_row **out, size_t *n, vios_store *st, const char *case_id,
		       const char *origin);

/*
 * 1 when a case row (its origin and roles as held) is in the view of node:
 * node made it, node is not a partner (a school, the hub, the auditor see
 * what they hold), or node's role is among roles. 0 for a partner whose
 * role the case's roles no longer name: the owner took it off the case, and
 * nothing of the case reaches it any more. Pure; for `vios case list/show`.
 */
int vios_case_in_view(const vios_node *node, const char *origin, const char *roles);

/*
 * Sets "in_view" (true or false, vios_case_in_view) on case rows as
 * vios_query gives them: cases is one object or an array of objects, each
 * read by its "origin" and "roles" members. For `case list` and `case show`
 * (JSON "in_view": false, and a line in text, for a case that left this
 * node's view). 0, or VIOS_ERROR when out of memory.
 */
int vios_case_view_mark(json_t *cases, const vios_node *node);

#endif
