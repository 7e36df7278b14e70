/*
 * recipients.c - see recipients.h: the one recipient rule.
 */
#include "sync/recipients.h"
#include "node/vocab.h"
#include "sync/payload.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

static const char *cat_name(unsigned categories)
{
	if ((categories & (VIOS_CAT_BIT_THEME | VIOS_CAT_BIT_CASE)) == (VIOS_CAT_BIT_THEME | VIOS_CAT_BIT_CASE))
		return "theme and case";
	return categories & VIOS_CAT_BIT_CASE ? "case" : "theme";
}

static const char *scope_name(vios_auditor_scope s)
{
	return s == VIOS_AUDITOR_CONTENT ? "content" : s == VIOS_AUDITOR_THEME ? "theme" : "headers";
}

/* A partner role r (or the hub's hub_role) for case data: receives, in the case, listed for the field. */
static int partner_case(char *why, size_t len, const vios_recipient_q *q, int r, const char *as)
{
	const vios_covenant *cov = q->cov;

	if (!(cov->receives[1] & (1u << r))) {
		snprintf(why, len, "covenant v%lld does not let role %s receive case data", cov->version, vios_role_name(r));
		return 0;
	}
	if (!(q->case_roles & (1u << r))) {
		snprintf(why, len, "role %s%s takes no part in the case", vios_role_name(r), as);
		return 0;
	}
	if (!(q->marked & (1u << r))) {
		snprintf(why, len, "covenant v%lld does not list role %s%s for the marked (GDPR art. %s) data", cov->version,
			 vios_role_name(r), as,
			 (q->categories & VIOS_CAT_BIT_ART9) && (q->categories & VIOS_CAT_BIT_ART10) ? "9 and 10"
			 : q->categories & VIOS_CAT_BIT_ART9				      ? "9"
											      : "10");
		return 0;
	}
	return 1;
}

int vios_recipient_rule(char *why, size_t len, const vios_recipient_q *q)
{
	const vios_covenant *cov;
	int theme, cas;

	assert(why != NULL && len > 0 && q != NULL && q->cov != NULL && q->kind != NULL);
	cov = q->cov;
	theme = (q->categories & VIOS_CAT_BIT_THEME) != 0;
	/* a marking is always case data */
	cas = (q->categories & (VIOS_CAT_BIT_CASE | VIOS_CAT_BIT_ART9 | VIOS_CAT_BIT_ART10)) != 0;
	why[0] = 0;
	if (!strcmp(q->kind, "auditor")) {
		if (cov->auditor_scope == VIOS_AUDITOR_CONTENT || (cov->auditor_scope == VIOS_AUDITOR_THEME && !cas))
			return 1;
		snprintf(why, len, "covenant v%lld gives the auditor scope %s: it receives no %s data", cov->version,
			 scope_name(cov->auditor_scope), cas ? "case" : "theme");
		return 0;
	}
	if (!strcmp(q->kind, "school")) {
		if (q->sender_kind && strcmp(q->sender_kind, "school") != 0 && q->case_roles == VIOS_ROLES_ANY)
			return 1; /* back to the school that owns the record, as far as headers show */
		if (cas) {
			snprintf(why, len, "a school receives another node's case data only as the record's owner");
			return 0;
		}
		/* the hub's own theme data (its steering and evaluation meetings:
		 * the mandate lets a hub create meetings and nothing else) is for
		 * the whole region; every school is a party to the covenant */
		if (q->sender_kind && !strcmp(q->sender_kind, "hub"))
			return 1;
		if (!(cov->receives[0] & (1u << VIOS_ROLE_IDX_SCHOOL))) {
			snprintf(why, len, "covenant v%lld does not let a school receive another school's theme data", cov->version);
			return 0;
		}
		return 1;
	}
	if (!strcmp(q->kind, "hub")) {
		if (theme && !(cov->receives[0] & (1u << VIOS_ROLE_IDX_HUB))) {
			snprintf(why, len, "covenant v%lld does not give the hub theme data", cov->version);
			return 0;
		}
		if (cas) {
			int hr = cov->hub_role[0] ? vios_role_index(cov->hub_role) : -1;
			if (hr < 0) {
				snprintf(why, len, "covenant v%lld gives the hub no role for case data (hub_role is null)", cov->version);
				return 0;
			}
			return partner_case(why, len, q, hr, " (the hub's role)");
		}
		return 1;
	}
	if (!strcmp(q->kind, "partner")) {
		int r = q->role ? vios_role_index(q->role) : -1;
		if (r < 0) {
			snprintf(why, len, "a partner without a known role receives no data");
			return 0;
		}
		if (theme && !(cov->receives[0] & (1u << r))) {
			snprintf(why, len, "covenant v%lld does not let role %s receive theme data", cov->version, q->role);
			return 0;
		}
		if (cas && !partner_case(why, len, q, r, ""))
			return 0;
		if (q->in_table == 0) {
			snprintf(why, len, "covenant v%lld does not seat it at the sender's table", cov->version);
			return 0;
		}
		return 1;
	}
	snprintf(why, len, "a %s node receives no %s data", q->kind, cat_name(q->categories));
	return 0;
}

int vios_recipient_in_table(const vios_covenant *cov, const char *sender, const char *recipient)
{
	json_t *table, *p;
	size_t k;

	assert(cov != NULL && sender != NULL && recipient != NULL);
	if (cov->tables == NULL || (table = json_object_get(cov->tables, sender)) == NULL)
		return -1;
	json_array_foreach(table, k, p)
		if (!strcmp(json_string_value(p) ?: "", recipient))
			return 1;
	return 0;
}

uint32_t vios_recipient_marked_roles(const vios_covenant *cov, unsigned marks)
{
	uint32_t out = VIOS_ROLES_ANY;

	assert(cov != NULL);
	for (int m = VIOS_MARK_ART9; m <= VIOS_MARK_ART10; m++) {
		unsigned bit = m == VIOS_MARK_ART9 ? VIOS_CAT_BIT_ART9 : VIOS_CAT_BIT_ART10;
		uint32_t any = 0;
		if (!(marks & bit))
			continue;
		for (size_t i = 0; i < cov->nfields; i++)
			if (cov->fields[i].marking == m)
				any |= cov->fields[i].receives;
		out &= any;
	}
	return out;
}

unsigned vios_recipient_mark_bit(const vios_covenant_field *f)
{
	if (f == NULL)
		return 0;
	return f->marking == VIOS_MARK_ART9 ? VIOS_CAT_BIT_ART9 : f->marking == VIOS_MARK_ART10 ? VIOS_CAT_BIT_ART10 : 0;
}

const vios_covenant_field *vios_recipient_op_field(const vios_covenant *cov, const vios_crdt_op *op)
{
	assert(cov != NULL && op != NULL);
	if (op->kind != VIOS_OP_SET || op->col == NULL || op->value.type == VIOS_VAL_NULL)
		return NULL;
	return vios_covenant_field_find(cov, op->tbl, op->col);
}
