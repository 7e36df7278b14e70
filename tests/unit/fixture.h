/*
 * fixture.h - the small world of nodes the unit tests and tools/bench.c
 * build: a sandbox directory, node homes made with the cheap Argon2id
 * preset and their stores open, a hub repository, nodes enrolled and
 * joined. Written once here; the tests and the bench call it instead of
 * keeping their own copies.
 *
 *   fx_world w;
 *   fx_node school, police;
 *   FX_OK(fx_world_make(&w, "vios-sync"));   a new directory under $TMPDIR
 *   FX_OK(fx_world_hub(&w));                 w.hub, w.repo, w.fp
 *   FX_OK(fx_node_make(&school, &w, "school", "school", NULL));
 *   FX_OK(fx_node_make(&police, &w, "police", "partner", "police"));
 *   fx_node *both[] = { &school, &police };
 *   FX_OK(fx_enroll_join(&w, both, 2));
 *   ...
 *   fx_node_dispose(&police);
 *   fx_node_dispose(&school);
 *   fx_world_dispose(&w);                    the hub, and the directory
 *
 * Header-only (static inline): a test program is one .c file linked with
 * libvios.a, nothing else. Every function returns 0 or a vios error code
 * with its message in vios_error_last(), so a cmocka test wraps the calls in
 * FX_OK() and a tool in its own checker. In a cmocka test only (after
 * cmocka.h), three helpers that fail the test themselves: fx_add (a record
 * that must be accepted), and fx_snap / fx_assert_unchanged (the digest and
 * the access log's length before and after a refused write). Homes are DIR/<name>, the hub's
 * DIR/hub and its bare repository DIR/hub.git; every home has the
 * passphrase FX_PASS. Stores are opened in one place, fx_store_open.
 */
#ifndef VIOS_TEST_FIXTURE_H
#define VIOS_TEST_FIXTURE_H

#include <jansson.h>
#include <limits.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "sync/hub.h"
#include "node/node.h"
#include "node/run.h"
#include "sync/registry.h"
#include "crdt/crdt.h"
#include "store/records.h"
#include "store/store.h"
#include "sync/trust.h"
#include "util/error.h"
#include "util/util.h"

#define FX_PASS "vios test passphrase"
#define FX_PATH PATH_MAX

/* In a cmocka test: a fixture call that must succeed, failing the test
 * with the library's message otherwise. */
#ifdef fail_msg
#define FX_OK(call)                                                            \
	do {                                                                   \
		if ((call) < 0)                                                \
			fail_msg("%s: %s", #call, vios_error_last());          \
	} while (0)
#endif

#ifdef fail_msg
/* In a cmocka test: adds a record that must be accepted, failing the test
 * with the table and the library's message otherwise. */
static inline void fx_add(char id[37], vios_store *st, const char *table, const vios_field *f, size_t n)
{
	if (vios_record_add(id, st, table, f, n) < 0)
		fail_msg("adding to %s: %s", table, vios_error_last());
}

/* Raw SQL as a merge would write it (what another node's bundle brings):
 * in an uncaptured transaction committed by the store, so the theme data's
 * version counts it (store.h). The statement's SQLite result code, or the
 * commit's error. */
static inline int fx_sql_merged(vios_store *st, const char *sql)
{
	int rc;

	FX_OK(vios_store_tx_begin_uncaptured(st));
	if ((rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL)) != SQLITE_OK) {
		vios_store_tx_rollback(st);
		return rc;
	}
	return vios_store_tx_commit(st);
}

/* What must not move when a write is refused: the state digest and the
 * access log's length (fx_snap, then fx_assert_unchanged after the write). */
typedef struct {
	char digest[65];
	long long log;
} fx_snapshot;

static inline void fx_snap(fx_snapshot *s, vios_store *st)
{
	FX_OK(vios_crdt_digest(s->digest, st, NULL));
	FX_OK(vios_store_row_count(&s->log, st, "access_log"));
}

static inline void fx_assert_unchanged(const fx_snapshot *before, vios_store *st)
{
	fx_snapshot now;

	fx_snap(&now, st);
	assert_string_equal(now.digest, before->digest);
	assert_int_equal(now.log, before->log);
}
#endif

/* A node: its home, the unlocked node and its open store. */
typedef struct {
	char name[VIOS_NAME_MAX + 1];
	char home[FX_PATH];
	vios_node *node;
	vios_store *st;
} fx_node;

/* The sandbox and, once fx_world_hub ran, the hub. */
typedef struct {
	char dir[FX_PATH];
	char repo[FX_PATH]; /* DIR/hub.git */
	char fp[VIOS_FINGERPRINT_STRLEN + 1]; /* the hub's fingerprint, as vios join takes it */
	uint8_t pin[VIOS_FINGERPRINT_BYTES];  /* the same, as vios_registry_load takes it */
	fx_node hub;
	int made; /* 1 when fx_world_make made dir: fx_world_dispose removes it */
} fx_world;

/* Opens the store of an unlocked node: the one place the fixture's users
 * open stores, also when a test reopens one. */
static inline int fx_store_open(vios_store **out, const vios_node *node)
{
	return vios_crdt_store_open(out, node);
}

/* A new sandbox directory $TMPDIR/<stem>.XXXXXX (/tmp without TMPDIR),
 * removed by fx_world_dispose. */
static inline int fx_world_make(fx_world *w, const char *stem)
{
	const char *tmp = getenv("TMPDIR");
	int error;

	memset(w, 0, sizeof(*w));
	if ((error = vios_snprintf(w->dir, sizeof(w->dir), "%s/%s.XXXXXX", tmp && tmp[0] ? tmp : "/tmp", stem)) < 0)
		return error;
	if (mkdtemp(w->dir) == NULL)
		return vios_error_os("making a sandbox under %s", tmp && tmp[0] ? tmp : "/tmp");
	w->made = 1;
	return 0;
}

/* A new sandbox with two repository paths, DIR/a.git and DIR/b.git (not
 * made: vios_git_open makes them), for the git layer's tests. */
typedef struct {
	fx_world w;
	char a[FX_PATH + 16], b[FX_PATH + 16];
} fx_two_repos;

static inline int fx_two_repos_make(fx_two_repos *r, const char *stem)
{
	int error;

	memset(r, 0, sizeof(*r));
	if ((error = fx_world_make(&r->w, stem)) < 0 ||
	    (error = vios_snprintf(r->a, sizeof(r->a), "%s/a.git", r->w.dir)) < 0 ||
	    (error = vios_snprintf(r->b, sizeof(r->b), "%s/b.git", r->w.dir)) < 0)
		return error;
	return 0;
}

/* A sandbox in dir, made when missing and left in place by
 * fx_world_dispose (for a tool that lays out and removes its own tree). */
static inline int fx_world_at(fx_world *w, const char *dir)
{
	int error;

	memset(w, 0, sizeof(*w));
	if ((error = vios_snprintf(w->dir, sizeof(w->dir), "%s", dir)) < 0)
		return error;
	return vios_mkdir_p(w->dir, 0700);
}

/*
 * Makes the node home DIR/<name> (kind and role as vios_node_init takes
 * them; role NULL = the kind's default) with passphrase FX_PASS and the
 * cheap KDF preset, and opens its store. On failure *t is left empty.
 */
static inline int fx_node_make(fx_node *t, const fx_world *w, const char *name, const char *kind, const char *role)
{
	char *code = NULL;
	vios_secret *pass = NULL;
	int error;

	memset(t, 0, sizeof(*t));
	if ((error = vios_snprintf(t->name, sizeof(t->name), "%s", name)) < 0 ||
	    (error = vios_snprintf(t->home, sizeof(t->home), "%s/%s", w->dir, name)) < 0)
		goto done;
	if ((code = sodium_malloc(VIOS_RECOVERY_LEN + 1)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	if ((error = vios_secret_new(&pass, FX_PASS, strlen(FX_PASS))) < 0 ||
	    (error = vios_node_init(&t->node, code, t->home, kind, name, role, pass, VIOS_KDF_INTERACTIVE)) < 0 ||
	    (error = fx_store_open(&t->st, t->node)) < 0)
		goto done;
done:
	sodium_free(code);
	vios_secret_free(pass);
	if (error < 0) {
		vios_node_free(t->node);
		t->node = NULL;
	}
	return error;
}

/* Closes the node's store and frees the node (its home stays). */
static inline void fx_node_dispose(fx_node *t)
{
	/* the repository's run lock, held from its first open until the
	 * process exits (sync/trust.c): let go with the node, so a test
	 * program of many homes does not run out of slots */
	if (t->node)
		vios_run_release(t->node->home, VIOS_RUN_REPOS);
	vios_store_free(t->st);
	vios_node_free(t->node);
	t->st = NULL;
	t->node = NULL;
}

/* The default covenant with auditor_scope "content" (malloc'd): the
 * fixture's auditors receive everything, as the replay tests need; a test
 * of the scope publishes its own. */
static inline char *fx_covenant_content(void)
{
	json_t *o = json_loads(vios_covenant_default(), 0, NULL);
	char *text = NULL;

	/* -1 and -2 covenants have no scope: their auditor receives everything */
	if (o && (strcmp(json_string_value(json_object_get(o, "format")) ?: "", "vios-covenant-3") != 0 ||
		  json_object_set_new(o, "auditor_scope", json_string("content")) == 0))
		text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(o);
	return text;
}

/* Makes the hub node DIR/hub and the hub repository DIR/hub.git with
 * registry v1 (vios_hub_create_with, fx_covenant_content); fills w->hub,
 * w->repo and w->fp. */
static inline int fx_world_hub(fx_world *w)
{
	char *cov = NULL;
	int error;

	if ((error = vios_snprintf(w->repo, sizeof(w->repo), "%s/hub.git", w->dir)) < 0 ||
	    (error = fx_node_make(&w->hub, w, "hub", "hub", NULL)) < 0)
		return error;
	if ((cov = fx_covenant_content()) == NULL)
		return vios_error_nomem();
	error = vios_hub_create_with(w->hub.st, w->repo, cov);
	free(cov);
	if (error < 0)
		return error;
	vios_node_fingerprint(w->fp, w->hub.node);
	vios_fingerprint_from_pk(w->pin, w->hub.node->sign_pub.pk);
	return 0;
}

/* Enrolls each node at the hub (a new registry version each). A node that
 * was enrolled before is VIOS_EEXISTS: the fixture enrolls new nodes. */
static inline int fx_enroll(fx_world *w, fx_node *const *nodes, size_t n)
{
	int error = 0;

	for (size_t i = 0; i < n && error == 0; i++) {
		char *req = NULL;
		vios_enroll_info info;
		int already = 0;

		if ((error = vios_node_enroll_request(&req, nodes[i]->node)) == 0 &&
		    (error = vios_hub_enroll(&info, &already, w->hub.st, req, strlen(req))) == 0 && already) {
			vios_error_set(VIOS_ERR_INPUT, "%s was enrolled before", nodes[i]->name);
			error = VIOS_EEXISTS;
		}
		free(req);
	}
	return error;
}

/* Each node joins the hub (vios_trust_join with w->repo and w->fp). */
static inline int fx_join(const fx_world *w, fx_node *const *nodes, size_t n)
{
	int error = 0;

	for (size_t i = 0; i < n && error == 0; i++) {
		vios_registry *reg = NULL;
		error = vios_trust_join(&reg, nodes[i]->st, w->repo, w->fp);
		vios_registry_free(reg);
	}
	return error;
}

/* Every node enrolled, then every node joined: each one's registry names
 * them all, so a seal sees every recipient. */
static inline int fx_enroll_join(fx_world *w, fx_node *const *nodes, size_t n)
{
	int error;

	if ((error = fx_enroll(w, nodes, n)) < 0)
		return error;
	return fx_join(w, nodes, n);
}

/* Frees the hub and, when fx_world_make made it, removes the sandbox.
 * The caller disposes its other nodes first. */
static inline void fx_world_dispose(fx_world *w)
{
	fx_node_dispose(&w->hub);
	if (w->made && w->dir[0])
		vios_rm_rf(w->dir);
	w->made = 0;
}

static inline void fx_two_repos_dispose(fx_two_repos *r)
{
	fx_world_dispose(&r->w);
}

#endif
