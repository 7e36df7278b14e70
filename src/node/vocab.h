/*
 * vocab.h - the words vios agrees on with other nodes: node kinds, roles
 * and signal themes. Each is one table in vocab.c; everything else (node
 * identities, enrollment, records, the crdt's role bits, the registry's
 * covenant, reports) looks them up here and never spells the list again.
 *
 * Roles are numbered: the index is what covenants keep as a bit per role
 * (vios_covenant.receives) and, for the seven roles at the table (the
 * parties that take part in cases: the first VIOS_ROLE_TABLE_COUNT
 * indices), the bit in a case row's role mask (vios_role_bit). The order is
 * part of the digest and of what nodes store: never reorder, only append.
 *
 * All names returned are static strings. Lookups of NULL or unknown words
 * answer -1, 0 or NULL as documented; nothing here fails otherwise.
 */
#ifndef VIOS_VOCAB_H
#define VIOS_VOCAB_H

#include <stddef.h>
#include <stdint.h>

/* ---- node kinds ---- */
enum {
	VIOS_KIND_SCHOOL,
	VIOS_KIND_PARTNER,
	VIOS_KIND_HUB,
	VIOS_KIND_AUDITOR,
	VIOS_KIND_COUNT
};

/* The kind's index, or -1. */
int vios_kind_index(const char *kind);
/* The name of kind index i (0 <= i < VIOS_KIND_COUNT), NULL otherwise. */
const char *vios_kind_name(int i);
/* 1 when kind is a node kind (school, partner, hub, auditor). */
int vios_kind_valid(const char *kind);
/* The kinds as "a, b, c or d" for messages (static). */
const char *vios_kind_list(void);

/* ---- roles ---- */
enum {
	VIOS_ROLE_IDX_SCHOOL,
	VIOS_ROLE_IDX_POLICE,
	VIOS_ROLE_IDX_YOUTH_PROTECTION,
	VIOS_ROLE_IDX_SOCIAL_TEAM,
	VIOS_ROLE_IDX_ATTENDANCE,
	VIOS_ROLE_IDX_YOUTH_WORK,
	VIOS_ROLE_IDX_MUNICIPALITY,
	VIOS_ROLE_TABLE_COUNT, /* the roles above sit at the table */
	VIOS_ROLE_IDX_HUB = VIOS_ROLE_TABLE_COUNT,
	VIOS_ROLE_IDX_AUDITOR,
	VIOS_ROLE_COUNT
};

/* A case row's role mask: one bit per role at the table (vios_role_bit). */
#define VIOS_ROLE_SCHOOL (1u << VIOS_ROLE_IDX_SCHOOL)
#define VIOS_ROLE_POLICE (1u << VIOS_ROLE_IDX_POLICE)
#define VIOS_ROLE_YOUTH_PROTECTION (1u << VIOS_ROLE_IDX_YOUTH_PROTECTION)
#define VIOS_ROLE_SOCIAL_TEAM (1u << VIOS_ROLE_IDX_SOCIAL_TEAM)
#define VIOS_ROLE_ATTENDANCE (1u << VIOS_ROLE_IDX_ATTENDANCE)
#define VIOS_ROLE_YOUTH_WORK (1u << VIOS_ROLE_IDX_YOUTH_WORK)
#define VIOS_ROLE_MUNICIPALITY (1u << VIOS_ROLE_IDX_MUNICIPALITY)

/* The role's index (0 <= index < VIOS_ROLE_COUNT), or -1 for an unknown role. */
int vios_role_index(const char *role);
/* The name of role index i, NULL when i is out of range. */
const char *vios_role_name(int i);
/* 1 when role is a role (school, police, ..., municipality, hub, auditor). */
int vios_role_valid(const char *role);
/* 1 when role is one of the VIOS_ROLE_TABLE_COUNT roles at the table. */
int vios_role_at_table(const char *role);
/* The role's bit in a case row's mask (1 << index) for a role at the
 * table, 0 for anything else (hub, auditor, unknown, NULL). */
uint32_t vios_role_bit(const char *role);
/* The mask of a comma-separated role list as case_file.roles holds it
 * ("police,social-team"; spaces around names ignored, names not at the
 * table ignored; NULL or "" = 0). The one parser of that list: the crdt's
 * categories and the case view call it. */
uint32_t vios_role_mask(const char *list);
/*
 * 1 when a node of kind may play role: a partner plays one of the roles at
 * the table other than school; every other kind plays the role of its name.
 * 0 for an unknown kind or role.
 */
int vios_role_fits_kind(const char *role, const char *kind);
/* Every role as "a, b, c" for messages (static). */
const char *vios_role_list(void);
/* The roles at the table as "a, b, c" for messages (static). */
const char *vios_role_table_list(void);
/* The roles a partner may play as "a, b, c or d" for messages (static). */
const char *vios_role_partner_list(void);
/*
 * A case row's role mask as the canonical comma list, "police,social-team":
 * the roles at the table in index order, no spaces, each once ("" for 0).
 * The one spelling of a role list that is stored or shown: the records
 * write case and meeting roles this way, the crdt formats masks with it.
 * Returns 0, or -1 when buf (len bytes) is too small (buf then "").
 */
int vios_role_mask_format(char *buf, size_t len, uint32_t mask);

/* ---- signal themes ---- */
/*
 * The base themes are this table's, each with its Dutch label (what people
 * read at the table and in the hub's report). A covenant (vios-covenant-4,
 * sync/covenant.c) may add local themes, each a theme word with a Dutch and
 * optionally an English label; a node validates its own writes against the
 * base list plus the local themes of the covenant it approved (the store's
 * themes hook, store.h), and rows from other nodes by the shape alone
 * (vios_theme_word_valid; schema/0014 and 0016 check the same shape).
 */
#define VIOS_THEME_COUNT 12      /* the base themes */
#define VIOS_THEME_NAME_MAX 32   /* bytes of a theme word */
#define VIOS_THEME_LOCAL_MAX 32  /* local themes one covenant adds at most */
#define VIOS_THEME_LABEL_MAX 64  /* bytes of a label (UTF-8) */

/* A local theme, as the covenant in force states it. */
typedef struct {
	char name[VIOS_THEME_NAME_MAX + 1];
	char nl[VIOS_THEME_LABEL_MAX + 1]; /* the Dutch label, never empty */
	char en[VIOS_THEME_LABEL_MAX + 1]; /* the English label, "" when none */
} vios_theme_local;

/* The local themes of one covenant, in its order (n == 0: none). */
typedef struct {
	vios_theme_local local[VIOS_THEME_LOCAL_MAX];
	size_t n;
} vios_theme_set;

/* The base theme's index, or -1. */
int vios_theme_index(const char *theme);
/* The name of base theme index i (0 <= i < VIOS_THEME_COUNT), NULL otherwise. */
const char *vios_theme_name(int i);
/* The Dutch label of base theme index i ("Wapens"), NULL out of range. */
const char *vios_theme_label_nl(int i);
/* 1 when theme is a base theme. */
int vios_theme_valid(const char *theme);
/* The base themes as "a, b, c" for messages (static). */
const char *vios_theme_list(void);
/*
 * 1 when s has the shape of a theme word: 1 to VIOS_THEME_NAME_MAX bytes of
 * lower-case a-z, digits and '-', starting with a letter. The one shape
 * rule: the covenant's local themes and the schema's CHECK on signal.theme
 * and signal_count.theme (0014, 0016) say the same.
 */
int vios_theme_word_valid(const char *s);
/* The local theme named theme in set (NULL: none), or NULL. */
const vios_theme_local *vios_theme_local_find(const vios_theme_set *set, const char *theme);
/* 1 when theme is a base theme or one of set's local themes (set may be NULL). */
int vios_theme_known(const vios_theme_set *set, const char *theme);
/*
 * The one label lookup: a base theme's Dutch label, a local theme's (set,
 * may be NULL) Dutch label, else theme itself (a theme word this node's
 * covenant does not know, e.g. from a covenant it has not approved).
 * Borrowed from the table, set or theme.
 */
const char *vios_theme_label(const vios_theme_set *set, const char *theme);
/*
 * The base themes and set's local ones as "a, b, c, d" into buf (len
 * bytes), for the message that refuses an unknown theme. Returns 0, or -1
 * when buf is too small (buf then holds as many whole names as fit).
 */
int vios_theme_list_all(char *buf, size_t len, const vios_theme_set *set);

/* ---- case statuses ---- */
enum {
	VIOS_CASE_REPORTED,
	VIOS_CASE_DISCUSSED,
	VIOS_CASE_IN_PROGRESS,
	VIOS_CASE_MONITORING,
	VIOS_CASE_CLOSED,
	VIOS_CASE_ESCALATED,
	VIOS_CASE_STATUS_COUNT
};

/* The status's index, or -1. */
int vios_case_status_index(const char *status);
/* The name of status index i, NULL otherwise. */
const char *vios_case_status_name(int i);
/* 1 for a final status (closed, escalated): no op reopens such a case. */
int vios_case_status_final(const char *status);

#endif
