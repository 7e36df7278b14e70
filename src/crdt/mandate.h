/*
 * mandate.h - who may write what: the one policy function every writer
 * and every reader goes through (docs/mandate.md).
 *
 * The covenant's "mandate" object (format vios-covenant-2) says, per node
 * kind and optionally per partner role, which synced tables a node may
 * create rows in, which columns of an agreement assigned to its role it may
 * change, which columns of a case it leads it may change, and to which
 * statuses a lead may move a case. Around that data, fixed rules that are
 * part of the format:
 *
 *   - a row belongs to the node that made it: `origin` is set once, by the
 *     op that creates the row, to the writing node, and never changes;
 *   - the owner may change and delete its own rows; nobody else may delete;
 *   - a non-owner may change only the columns its assignment (agreement
 *     owner_role) or its lead (case_file lead_role) gives, and only when the
 *     owner gave that role the assignment or lead at a clock before the op;
 *   - references (pupil_id, case_id, meeting_id) of a row point only to
 *     rows of the same owner (checked where the referenced row is held);
 *   - a signal_count row's id is derived from (origin, month, theme)
 *     (vios_mandate_count_id), so no node can own another's count; a
 *     school_figure row's from (origin, month, figure) (vios_mandate_figure_id);
 *   - an op on a row this node neither holds nor sees created in the same
 *     batch cannot be judged here: the caller decides (wait or ignore).
 *
 * Every write goes through vios_mandate_judge: local commits (the capture
 * hook judges the ops of a transaction before COMMIT, so a command outside
 * the mandate writes nothing), bundle imports (vios_crdt_apply_checked)
 * and the audit's replay. There is no second copy of these rules.
 */
#ifndef VIOS_CRDT_MANDATE_H
#define VIOS_CRDT_MANDATE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "crdt/crdt.h"
#include "node/vocab.h"
#include "store/store.h"

/* What one class of writer may do. Table bits: index in
 * vios_crdt_tables(); column bits: index in vios_crdt_columns(tbl). */
typedef struct {
	uint32_t create;      /* tables it may create rows in */
	uint32_t assigned;    /* agreement columns it may change when assigned */
	uint32_t lead;        /* case_file columns it may change when it leads */
	uint32_t lead_status; /* case statuses (vios_case_status_index) a lead may set */
} vios_mandate_rule;

typedef struct {
	vios_mandate_rule kind[VIOS_KIND_COUNT];  /* by vios_kind_index */
	vios_mandate_rule role[VIOS_ROLE_COUNT];  /* partner overrides, by vios_role_index */
	uint32_t role_set;                        /* bit per role with an override */
} vios_mandate;

/* The defaults of docs/mandate.md. */
void vios_mandate_default(vios_mandate *m);
/*
 * Reads a covenant's "mandate" member (NULL: the defaults) strictly:
 * only the keys "school", "partner", "hub", "auditor" and partner role
 * names, each an object of "create" (table names), "assigned" (agreement
 * columns), "lead" (case_file columns), "lead_status" (case statuses).
 * VIOS_ECORRUPT with a one-line message naming the bad part.
 */
int vios_mandate_parse(vios_mandate *m, const json_t *obj);
/* The mandate as that JSON object (new reference), NULL on no memory. */
json_t *vios_mandate_json(const vios_mandate *m);
/* The rule that applies to a writer of kind and role. */
const vios_mandate_rule *vios_mandate_rule_for(const vios_mandate *m, int kind, int role);

/*
 * The mandate of covenant `version` kept in the store (0: the one in
 * force); the newest kept when that version is not kept; the defaults
 * when the store keeps no covenant. VIOS_ECORRUPT when the kept text does
 * not parse.
 */
int vios_mandate_load(vios_mandate *m, vios_store *st, long long version);

/* ---- judging one op ------------------------------------------------------ */

typedef struct {
	const char *node_id;
	int kind;        /* vios_kind_index */
	int role;        /* vios_role_index */
	const char *name;
} vios_mandate_writer;

/* What the judge needs to know of the row an op writes, before the op. */
typedef struct {
	int held;              /* the row exists here (made earlier in the batch included) */
	int deleted;           /* the row has a tombstone here */
	const char *origin;    /* its owner (held rows), NULL when unknown */
	const char *owner_name;/* for messages: the owner's name, else its id */
	const char *cur;       /* the column's value now (text columns; NULL = none) */
	int granted;           /* the writer's role was given the lead (case_file) or the
				* assignment (agreement) before the op's clock */
	const char *ref_owner; /* a reference column: the owner of the row it names, NULL
				* when that row is not held */
	int reopens;           /* a case's status op whose base is the case's final status:
				* its writer saw the case closed (or escalated) */
} vios_mandate_row;

enum {
	VIOS_MANDATE_OK = 0,
	VIOS_MANDATE_DENIED = 1,  /* outside the mandate: why says what */
	VIOS_MANDATE_UNKNOWN = 2  /* the row is not held here and the op does not create it */
};

/*
 * Judges one validated op by writer w against m. Pure: the caller gives
 * what the store knows (vios_mandate_row). Returns a VIOS_MANDATE_* value;
 * for DENIED, why gets one line like "the police role may not change the
 * status of a case_file owned by De Linde".
 */
int vios_mandate_judge(char *why, size_t len, const vios_mandate *m, const vios_mandate_writer *w,
		       const vios_mandate_row *row, const vios_crdt_op *op);

/* The id of the count row of (origin, month, theme): a UUID-shaped
 * BLAKE2b of the three, so every node derives the same one. */
void vios_mandate_count_id(char out[37], const char *origin, const char *month, const char *theme);
/* The same for the school_figure row of (origin, month, figure). */
void vios_mandate_figure_id(char out[37], const char *origin, const char *month, const char *figure);

/* ---- applying with the mandate ------------------------------------------- */

/* Who wrote an op: fills *w (strings must live until the call returns);
 * VIOS_ENOTFOUND for a node that is not enrolled. */
typedef int (*vios_mandate_writer_fn)(void *ctx, const char *node_id, vios_mandate_writer *w);

typedef struct {
	const vios_mandate *mandate;
	vios_mandate_writer_fn writer; /* NULL: the store's enrolled nodes */
	void *writer_ctx;
	int wait_unknown;              /* an op on a row not held: VIOS_EWAIT instead of ignoring it */
	unsigned categories;           /* the bundle header's: 1 theme, 2 case (payload.h's
					* VIOS_CAT_BIT_*); 0 = not checked */
	size_t bad_op;                 /* out: index of the op refused (DENIED or WAIT) */
} vios_crdt_check;

/*
 * vios_crdt_apply with every op judged first against chk->mandate, in
 * order, on the state the earlier ops of the batch left: an op outside the
 * mandate leaves nothing applied and returns VIOS_EDENIED with "mandate:
 * op N of M (table.column of ID): ..." recorded. An op on a row this node
 * does not hold and the batch does not create is ignored (counted in
 * report.ignored), or with wait_unknown returns VIOS_EWAIT, nothing
 * applied. Ops by a node other than sender are taken only when sender
 * owns the row (a school forwarding the current state of its case to a
 * role added later) and are judged as written by their own node.
 */
int vios_crdt_apply_checked(vios_crdt_report *out, vios_store *st, const vios_crdt_op *ops, size_t n,
			    const char *sender, vios_crdt_check *chk);

#endif
