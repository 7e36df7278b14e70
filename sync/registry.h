/*
 * registry.h - the hub's signed registry and covenant, as they live on
 * refs/heads/registry of the hub repository (docs/formats.md, "Hub repository"):
 *
 *   registry/hub.pub                  the hub root key (minisign .pub file)
 *   registry/manifest.json(.minisig)  version, signing time, expiry, and the
 *                                     BLAKE2b-256 of every other file:
 *                                     nothing can be added, dropped or
 *                                     swapped without the root key
 *   registry/nodes/<id>.json(.minisig) one enrolled node each
 *   covenant.json(.minisig)           who receives which category
 *
 * Every .json is signed by the root key (minisign "ED"); stock minisign can
 * verify each file. Readers check everything against a pinned fingerprint
 * (node.h, 128 bits of the root key) before they trust a byte
 * (vios_registry_load). A registry expires (expires_at, signed in the
 * manifest): the hub re-signs it before then (vios_registry_refresh).
 */
#ifndef VIOS_REGISTRY_H
#define VIOS_REGISTRY_H

#include <git2.h>
#include <jansson.h>

#include "crdt/mandate.h"
#include "crypto/minisign.h"
#include "sync/layout.h"
#include "node/node.h"
#include "node/vocab.h"
#include "store/directory.h"

#define VIOS_REGISTRY_MAX_NODES 10000
/* A registry is valid this many days after signing unless the hub says otherwise. */
#define VIOS_REGISTRY_VALID_DAYS 30
#define VIOS_REGISTRY_VALID_MAX 365

/* vios_reg_node, an enrolled node: store/directory.h (the store keeps them). */

/* What the auditor receives (covenant "auditor_scope"): headers only
 * (nothing sealed to it; verify and flows need no plaintext), theme data,
 * or the content of every category (what `vios audit replay` needs). */
typedef enum { VIOS_AUDITOR_HEADERS = 0, VIOS_AUDITOR_THEME = 1, VIOS_AUDITOR_CONTENT = 2 } vios_auditor_scope;

/* GDPR markings of a field (covenant "fields"): art. 9 special-category
 * (health) data, art. 10 criminal data. */
#define VIOS_MARK_ART9 9
#define VIOS_MARK_ART10 10

/* A marked field: it travels only to the roles listed for it (among the
 * case's roles), never to the others a case takes part in. */
typedef struct {
	char tbl[24];
	char col[32];
	int marking;               /* VIOS_MARK_ART9 or VIOS_MARK_ART10 */
	unsigned receives;         /* bit per role index (partner roles) */
} vios_covenant_field;

typedef struct {
	long long version;
	int format;                /* N of its "vios-covenant-N": 1 to 4 */
	char *text;                /* the signed file, as signed */
	unsigned receives[2];      /* bit per role index: [0] theme, [1] case */
	char hub_role[24];         /* role the hub plays for case data, "" for none */
	long long retention_months[2];
	json_t *tables;            /* optional: school node id -> [partner node ids] */
	vios_mandate mandate;      /* who may write what (crdt/mandate.h) */
	vios_auditor_scope auditor_scope; /* -1 and -2 covenants: content */
	vios_covenant_field *fields;      /* marked fields (-3), malloc'd */
	size_t nfields;
	json_t *doc;               /* the parsed covenant (for `covenant show`) */
	vios_theme_set themes;     /* local themes (-4): node/vocab.h */
} vios_covenant;

/* The marking of tbl.col under c, or NULL when the field is not marked. */
const vios_covenant_field *vios_covenant_field_find(const vios_covenant *c, const char *tbl, const char *col);

typedef struct {
	git_oid commit;
	long long version;
	char updated_at[21];       /* when the hub signed it */
	char expires_at[21];       /* signed too: after it, case data waits (trust.h) */
	vios_minisign_pub root;
	vios_reg_node *nodes;
	size_t n;
	vios_covenant covenant;
} vios_registry;

/* Role indices for vios_covenant.receives bits: vios_role_index (node/vocab.h). */

/* The covenant's functions live in covenant.c (its formats: docs/formats.md, "Covenant"). */

/* The default covenant (docs/architecture.md, "Sharing"), a vios-covenant-3,
 * as JSON text (static). */
const char *vios_covenant_default(void);

/*
 * Parses and validates covenant JSON, vios-covenant-1, -2, -3 or -4: format,
 * version >= 1, known roles, parties (-3/-4: with their legal basis), who
 * receives each category and its retention, the auditor (-1/-2: it receives
 * every category, auditor_scope content; -3/-4: never in receives, its
 * auditor_scope stated), marked fields (-3/-4), the mandate (-2 on), local
 * themes (-4, optional: c->themes). A -4 is a -3 that may add themes. Fills c
 * (c->text a malloc'd copy, c->doc the parsed document, c->fields malloc'd);
 * vios_covenant_dispose frees them. VIOS_ERROR with a one-line
 * "covenant: ..." naming the rule that failed (c is then zeroed).
 */
int vios_covenant_parse(vios_covenant *c, const char *text, size_t len);
void vios_covenant_dispose(vios_covenant *c);

/*
 * c for people, into *out (malloc'd, the caller frees it): format "text"
 * or "markdown" (the same page; markdown to print and sign at the table:
 * purpose, the privacy officer, parties with their legal basis, categories,
 * marked fields, the mandate, the auditor's scope, the hub, a signature
 * line per party), or "json" (c->doc, indented). nodes (optional, nnodes of
 * them: the enrolled nodes) adds each party's nodes with name and
 * fingerprint, revoked ones marked. Pure. VIOS_EUSAGE for another format.
 */
int vios_covenant_render(char **out, const vios_covenant *c, const char *format, const vios_reg_node *nodes,
			 size_t nnodes);

/*
 * A node entry (registry/nodes/<node_id>.json, format
 * "vios-registry-node-1"): the one writer and the one reader. _format
 * returns the JSON text (sorted keys, indented; malloc'd, the caller frees
 * it) or NULL. _parse reads exactly len bytes of text into *out (zeroed
 * first): exactly the ten fields, a valid node id, kind and role, parsable
 * keys with the key id derived from the key, revoked_at and last_seq both
 * null or both set. 0, or VIOS_ECORRUPT with a message naming path.
 */
char *vios_registry_node_format(const vios_reg_node *n);
int vios_registry_node_parse(vios_reg_node *out, const char *text, size_t len, const char *path);

/*
 * Reads the registry at commit and verifies all of it against the pinned
 * fingerprint: hub.pub's key id is derived from its key and the key's
 * fingerprint equals `pin`;
 * the manifest and every .json are signed by it; every file is named in
 * the manifest with its hash and no other file exists; every entry is well
 * formed; the manifest is a "vios-registry-2" with an expiry after its
 * signing time. An expired registry loads (the caller judges freshness).
 * VIOS_EVERIFY / VIOS_ECORRUPT with the first finding.
 */
int vios_registry_load(vios_registry **out, git_repository *repo, const git_oid *commit,
		       const uint8_t pin[VIOS_FINGERPRINT_BYTES]);
void vios_registry_free(vios_registry *reg);

/* The entry for node_id, or NULL. */
const vios_reg_node *vios_registry_find(const vios_registry *reg, const char *node_id);

/*
 * Hub side: writes a new registry version to refs/heads/registry of repo,
 * signed with the hub's key: the given nodes (replacing the current set)
 * and covenant text. version = current + 1 (1 for the first). It expires
 * VIOS_REGISTRY_VALID_DAYS after now; _until takes the expiry as Unix
 * seconds (after now; tests/tools/t_registry alone gives one in the past).
 */
int vios_registry_publish(git_oid *out, git_repository *repo, const vios_node *hub,
			  const vios_reg_node *nodes, size_t n, const char *covenant_text,
			  long long version, const char *message);
int vios_registry_publish_until(git_oid *out, git_repository *repo, const vios_node *hub,
				const vios_reg_node *nodes, size_t n, const char *covenant_text,
				long long version, const char *message, long long expires);

/*
 * Hub side: `vios hub registry refresh`: publishes cur again (its nodes and
 * covenant, unchanged) as version cur->version + 1, valid `days` days
 * (1 to VIOS_REGISTRY_VALID_MAX; VIOS_EUSAGE otherwise).
 */
int vios_registry_refresh(git_oid *out, git_repository *repo, const vios_node *hub,
			  const vios_registry *cur, int days);

/*
 * A registry time ("YYYY-MM-DDTHH:MM:SSZ", UTC, exactly so) as Unix
 * seconds: 0, or VIOS_ECORRUPT. Back: vios_time_format (util/util.h).
 */
int vios_registry_time_parse(long long *out, const char *iso);

/* vios_fingerprint_parse (a pin as a person types it): node/node.h. */

#endif
