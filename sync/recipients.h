/*
 * recipients.h - the recipient rule: which node may receive which data
 * under a covenant (docs/architecture.md, "Sharing"; docs/formats.md,
 * "Covenant"). One owner for the exporter, which addresses bundles by it,
 * and the audit, which judges every flow by it: they cannot disagree.
 *
 * The exporter knows more than the audit: the roles of the case a row
 * belongs to, and which field an op writes. The audit sees only signed
 * headers: their categories (theme, case) and markings (art. 9, art. 10).
 * Both ask the same question; what a caller does not know it passes as
 * VIOS_ROLES_ANY, and the answer is the widest the covenant allows.
 *
 * What the rule does not decide: the sender and the nodes that own a
 * record always receive it (the exporter adds them; the audit cannot see
 * ownership, so a partner's data back to a school is allowed), a revoked
 * node receives nothing, and a node the sender has not approved receives
 * nothing (sync/consent.h).
 */
#ifndef VIOS_RECIPIENTS_H
#define VIOS_RECIPIENTS_H

#include <stddef.h>
#include <stdint.h>

#include "crdt/crdt.h"
#include "sync/payload.h"
#include "sync/registry.h"

/* A role mask that does not restrict: "not known" or "no marking". */
#define VIOS_ROLES_ANY 0xffffffffu

typedef struct {
	const vios_covenant *cov;
	const char *sender_kind;
	const char *kind, *role;  /* the recipient's, as enrolled */
	unsigned categories;      /* VIOS_CAT_BIT_*: what the data is */
	uint32_t case_roles;      /* the case's roles; VIOS_ROLES_ANY when not known */
	uint32_t marked;          /* roles a marked field may go to; VIOS_ROLES_ANY: not marked */
	int in_table;             /* -1: no table for the sender; else listed or not */
} vios_recipient_q;

/*
 * 1 when q's recipient may receive the data; 0 with the reason in why
 * (one sentence naming the covenant version) otherwise:
 *   - the auditor by the covenant's auditor_scope: nothing (headers), theme
 *     data (theme), everything (content);
 *   - a school theme data from the hub (the hub's steering and evaluation
 *     meetings reach every school), and another node's theme data when the
 *     covenant lets schools receive it; a
 *     school's case data never reaches another school; from a partner it
 *     goes back to the school only as the record's owner (the exporter's
 *     owners; the audit, which cannot see owners, allows it);
 *   - the hub theme data when receives.theme has "hub"; case data only
 *     through hub_role, as a partner of that role;
 *   - a partner when its role receives every category, takes part in the
 *     case (case data), is listed for a marked field, and sits at the
 *     sender's table when the covenant seats one.
 */
int vios_recipient_rule(char *why, size_t len, const vios_recipient_q *q);

/* in_table for sender and recipient under cov: -1, 0 or 1 (see above). */
int vios_recipient_in_table(const vios_covenant *cov, const char *sender, const char *recipient);

/*
 * The roles the fields carrying `marks` (VIOS_CAT_BIT_ART9 | _ART10) may go
 * to under cov: the intersection over the markings present of the union of
 * their fields' receivers (the audit's view of a header). VIOS_ROLES_ANY
 * when marks is 0.
 */
uint32_t vios_recipient_marked_roles(const vios_covenant *cov, unsigned marks);

/* The header category bit of a marking (VIOS_MARK_ART9/10), 0 for none. */
unsigned vios_recipient_mark_bit(const vios_covenant_field *f);

/*
 * The marked field an op writes a value to under cov, or NULL: an op that
 * sets no value (NULL, or a tombstone) carries nothing marked and travels
 * with the rest of its row. Exporter, importer and audit all ask this.
 */
const vios_covenant_field *vios_recipient_op_field(const vios_covenant *cov, const vios_crdt_op *op);

#endif
