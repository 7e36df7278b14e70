/*
 * test_bundle.c - convergence at the level of bundles (docs/architecture.md, "Merge"):
 * nodes that hold the same set of bundles have the same digests, whatever
 * the order and repetition of delivery; early bundles are held until their
 * gap fills; a fork is refused and changes nothing.
 *
 * One sandbox per test (fixture.h): a hub (vios_hub_create) publishing a covenant under
 * which schools also receive theme data; an auditor, a second auditor that
 * stays fresh (the receiver of the delivery schedules), a police partner and
 * three schools, all enrolled (vios_node_enroll_request, vios_hub_enroll) and
 * joined (vios_trust_join with the hub's path and fingerprint). Homes use the
 * cheap Argon2id preset. Bundles are read back from each sender's
 * HOME/outbox.git at refs/heads/nodes/<id>, as a hub would fetch them.
 *
 * The convergence test is seeded: it prints its seed, and VIOS_TEST_SEED=N
 * replays its choices (what each school writes, when it exports, which
 * bundles go where in which order; ids and clocks are new on every run);
 * VIOS_TEST_SCHEDULES=N changes how many delivery schedules
 * the fresh receiver goes through (default 30, 15 under sanitizers).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sync/bundle.h"
#include "crdt/crdt.h"
#include "sync/git.h"
#include "sync/hub.h"
#include "sync/registry.h"
#include "store/records.h"
#include "sync/trust.h"
#include "util/error.h"
#include "util/util.h"

#include "fixture.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_SAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_SAN 1
#endif
#endif
#ifndef UNDER_SAN
#define UNDER_SAN 0
#endif

#define NW 3           /* writer schools */
#define MAXSEQ 64      /* per sender, for the held bitmask */
#define KEEP_PERIOD "2025-09" /* random writes use 2026 */

typedef fx_node tnode;

typedef struct {
	fx_world world; /* the hub: world.hub, world.repo, world.fp */
	tnode aud, rx, pol;
	tnode w[NW];
} sandbox;

/* One bundle as read from a sender's outbox repository. */
typedef struct {
	int w; /* the writer that sealed it */
	long long seq;
	uint8_t *age;
	size_t agelen;
	char *sig;
	size_t siglen;
	int theme; /* its header lists the theme category */
} bundle;

typedef struct {
	bundle *v;
	size_t n, cap;
} blist;

/* What an importer should hold: per writer the last seq in order and the held seqs. */
typedef struct {
	long long last[NW];
	uint64_t held[NW];
} model;

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible from the printed seed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(2685821657736338717);
}

static size_t pick(size_t n)
{
	return (size_t)(rnd() % n);
}

/* ---- sandbox ------------------------------------------------------------------ */

/* Schools at one table share trends and thematic meetings with each other. */
static const char covenant_v2[] =
	"{\"format\":\"vios-covenant-1\",\"version\":2,\"title\":\"schools share themes\","
	"\"parties\":[\"school\",\"police\",\"youth-protection\",\"social-team\",\"attendance\",\"youth-work\",\"municipality\"],"
	"\"receives\":{\"theme\":[\"hub\",\"auditor\",\"school\",\"police\",\"youth-protection\",\"social-team\",\"attendance\",\"youth-work\",\"municipality\"],"
	"\"case\":[\"auditor\",\"police\",\"youth-protection\",\"social-team\",\"attendance\",\"youth-work\",\"municipality\"]},"
	"\"case_scope\":\"roles-in-case\",\"hub_role\":null,\"retention_months\":{\"theme\":60,\"case\":24}}";

static int setup(void **state)
{
	sandbox *sb = calloc(1, sizeof(*sb));
	vios_covenant cov;

	assert_non_null(sb);
	FX_OK(fx_world_make(&sb->world, "vios-bundle"));
	FX_OK(fx_world_hub(&sb->world));
	FX_OK(vios_hub_covenant_set(&cov, sb->world.hub.st, covenant_v2, strlen(covenant_v2)));
	vios_covenant_dispose(&cov);

	FX_OK(fx_node_make(&sb->aud, &sb->world, "aud", "auditor", NULL));
	FX_OK(fx_node_make(&sb->rx, &sb->world, "rx", "auditor", NULL));
	FX_OK(fx_node_make(&sb->pol, &sb->world, "pol", "partner", "police"));
	for (int i = 0; i < NW; i++) {
		char name[16];
		snprintf(name, sizeof(name), "school%d", i);
		FX_OK(fx_node_make(&sb->w[i], &sb->world, name, "school", NULL));
	}
	/* everyone enrolled before anyone joins: every seal sees every node */
	{
		tnode *all[3 + NW] = { &sb->aud, &sb->rx, &sb->pol };
		for (int i = 0; i < NW; i++)
			all[3 + i] = &sb->w[i];
		FX_OK(fx_enroll_join(&sb->world, all, 3 + NW));
	}
	*state = sb;
	return 0;
}

static int teardown(void **state)
{
	sandbox *sb = *state;

	fx_node_dispose(&sb->aud);
	fx_node_dispose(&sb->rx);
	fx_node_dispose(&sb->pol);
	for (int i = 0; i < NW; i++)
		fx_node_dispose(&sb->w[i]);
	fx_world_dispose(&sb->world);
	free(sb);
	return 0;
}

/* ---- helpers ------------------------------------------------------------------ */

static void sql(tnode *t, const char *zSql)
{
	char *err = NULL;
	if (sqlite3_exec(t->st->db, zSql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s: %s", t->name, zSql, err ? err : "?");
}

static int64_t one_int(tnode *t, const char *zSql)
{
	sqlite3_stmt *pStmt = NULL;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(t->st->db, zSql, -1, &pStmt, NULL), SQLITE_OK);
	if (sqlite3_step(pStmt) == SQLITE_ROW)
		v = sqlite3_column_int64(pStmt, 0);
	sqlite3_finalize(pStmt);
	return v;
}

typedef struct {
	char all[65], theme[65], kase[65];
} digests;

static void digest3(digests *d, tnode *t)
{
	assert_int_equal(vios_crdt_digest(d->all, t->st, NULL), 0);
	assert_int_equal(vios_crdt_digest(d->theme, t->st, "theme"), 0);
	assert_int_equal(vios_crdt_digest(d->kase, t->st, "case"), 0);
}

static void assert_digests_equal(const digests *a, const digests *b, const char *what)
{
	if (strcmp(a->all, b->all) || strcmp(a->theme, b->theme) || strcmp(a->kase, b->kase))
		fail_msg("%s: digests differ (all %.12s/%.12s theme %.12s/%.12s case %.12s/%.12s)", what, a->all,
			 b->all, a->theme, b->theme, a->kase, b->kase);
}

/* The conflict list without the local recorded_at, as canonical JSON. */
static char *conflicts_canon(tnode *t)
{
	json_t *rows = NULL, *row;
	size_t i;
	char *s;

	assert_int_equal(vios_crdt_conflicts(&rows, t->st), 0);
	json_array_foreach(rows, i, row)
		json_object_del(row, "recorded_at");
	s = json_dumps(rows, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(rows);
	assert_non_null(s);
	return s;
}

/* A random id of the rows zSql selects into out; 0 when there is none. */
static int random_id(char out[37], tnode *t, const char *zSql)
{
	json_t *rows = NULL;
	size_t n;
	int found = 0;

	assert_int_equal(vios_query(&rows, t->st, zSql, NULL, 0), 0);
	if ((n = json_array_size(rows)) > 0) {
		snprintf(out, 37, "%s", json_string_value(json_object_get(json_array_get(rows, pick(n)), "id")));
		found = 1;
	}
	json_decref(rows);
	return found;
}

/* ---- bundles from the outbox repositories ------------------------------------- */

static void blist_add(blist *l, const bundle *b)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 32;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		assert_non_null(l->v);
	}
	l->v[l->n++] = *b;
}

static void blist_free(blist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].age);
		free(l->v[i].sig);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Reads seqs from..to of t's bundles from HOME/outbox.git into l. */
static void collect(blist *l, tnode *t, int w, long long from, long long to)
{
	git_repository *repo = NULL;
	git_oid head;
	char path[FX_PATH + 16], ref[64];

	snprintf(path, sizeof(path), "%s/outbox.git", t->home);
	vios_layout_node_ref(ref, sizeof(ref), VIOS_NODES_REFS, t->node->node_id);
	assert_int_equal(vios_git_open(&repo, path, 0), 0);
	assert_int_equal(vios_git_ref_oid(&head, repo, ref), 0);
	for (long long seq = from; seq <= to; seq++) {
		bundle b = { .w = w, .seq = seq };
		char bpath[40], spath[48];
		uint8_t *sig = NULL;
		vios_bundle_header h;
		char *trusted = NULL;

		vios_layout_bundle_path(bpath, seq, 0);
		snprintf(spath, sizeof(spath), "%s.minisig", bpath);
		if (vios_git_read_blob(&b.age, &b.agelen, repo, &head, bpath, VIOS_BUNDLE_MAX_AGE) != 0 ||
		    vios_git_read_blob(&sig, &b.siglen, repo, &head, spath, VIOS_BUNDLE_SIG_MAX) != 0)
			fail_msg("%s seq %lld: %s", t->name, seq, vios_error_last());
		b.sig = (char *)sig;
		assert_int_equal(vios_minisign_verify(&trusted, &t->node->sign_pub, b.age, b.agelen, b.sig, b.siglen), 0);
		assert_int_equal(vios_bundle_header_parse(&h, trusted), 0);
		assert_int_equal(h.seq, seq);
		b.theme = (h.categories & VIOS_CAT_BIT_THEME) != 0;
		vios_bundle_header_dispose(&h);
		free(trusted);
		blist_add(l, &b);
	}
	git_repository_free(repo);
}

/* Exports t's pending changes and collects the new bundles; returns how many. */
static size_t export(blist *all, long long *sealed, tnode *t, int w)
{
	vios_export_report rep;

	if (vios_bundle_export(&rep, t->st) != 0)
		fail_msg("export %s: %s", t->name, vios_error_last());
	if (rep.bundles > 0)
		collect(all, t, w, *sealed + 1, *sealed + (long long)rep.bundles);
	*sealed += (long long)rep.bundles;
	return rep.bundles;
}

static int addressed_to(const vios_bundle_header *h, const vios_node *n)
{
	for (size_t i = 0; i < h->nrecipients; i++)
		if (!strcmp(h->recipients[i], n->node_id))
			return 1;
	return 0;
}

/*
 * Imports b into t and checks the outcome against m: an earlier or equal
 * seq is a duplicate, the next one is applied (or skipped when not
 * addressed to t) and releases the held ones that follow, a later one is
 * held. Updates m. Returns the status.
 */
static vios_import_status import_one(tnode *t, model *m, const bundle *b)
{
	vios_import_result res;
	long long last = m->last[b->w];
	vios_import_status want;
	size_t released = 0;
	int rc;

	assert_true(b->seq < MAXSEQ);
	rc = vios_bundle_import(&res, t->st, b->age, b->agelen, b->sig, b->siglen);
	if (rc != 0)
		fail_msg("%s imports school%d seq %lld: %d %s", t->name, b->w, b->seq, rc, vios_error_last());
	if (b->seq <= last)
		want = VIOS_IMPORT_DUPLICATE;
	else if (b->seq > last + 1) {
		want = VIOS_IMPORT_HELD;
		m->held[b->w] |= UINT64_C(1) << b->seq;
	} else {
		want = addressed_to(&res.hdr, t->node) ? VIOS_IMPORT_APPLIED : VIOS_IMPORT_SKIPPED;
		m->last[b->w] = b->seq;
		while (m->held[b->w] & (UINT64_C(1) << (m->last[b->w] + 1))) {
			m->last[b->w]++;
			m->held[b->w] &= ~(UINT64_C(1) << m->last[b->w]);
			released++;
		}
	}
	if (res.status != want || (want != VIOS_IMPORT_DUPLICATE && want != VIOS_IMPORT_HELD && res.released != released))
		fail_msg("%s imports school%d seq %lld (last %lld): status %d released %zu, want %d released %zu", t->name,
			 b->w, b->seq, last, res.status, res.released, want, released);
	vios_bundle_header_dispose(&res.hdr);
	return res.status;
}

/* A random order of l's bundles (each once) and `extra` random repeats. */
static size_t *schedule(size_t *count, const blist *l, size_t extra)
{
	size_t n = l->n + extra, *order = malloc((n ? n : 1) * sizeof(size_t));

	assert_non_null(order);
	for (size_t i = 0; i < l->n; i++)
		order[i] = i;
	for (size_t i = l->n; i < n; i++)
		order[i] = pick(l->n);
	for (size_t i = n; i > 1; i--) {
		size_t j = pick(i), tmp = order[i - 1];
		order[i - 1] = order[j];
		order[j] = tmp;
	}
	*count = n;
	return order;
}

/* ---- the writers' work --------------------------------------------------------- */

static const char *const themes[] = { "weapons", "drugs-use", "alcohol", "sexting", "nuisance", "vandalism" };
static const char *const levels[] = { "rising", "stable", "falling" };
static const char *const severities[] = { "low", "medium", "high" };

/*
 * One random local transaction on writer t: an insert through the records
 * API (theme: trend, thematic meeting, signal without a pupil; case: pupil,
 * signal about a pupil, case), an update or a delete in plain SQL inside
 * vios_store_tx_begin/commit of a row of its own or one received from
 * another school, or a case status change. Updates and deletes of received
 * rows only touch rows this node holds whole (origin known), so its view
 * of their category is the sender's.
 */
static void random_write(tnode *t, unsigned *counts)
{
	char id[37], pid[37], q[512], own[160];
	unsigned what = (unsigned)pick(15);

	snprintf(own, sizeof(own), "origin = '%s'", t->node->node_id);
	switch (what) {
	case 0:
	case 13: {
		char period[8];
		snprintf(period, sizeof(period), "2026-%02u", (unsigned)pick(12) + 1);
		vios_field f[] = { { "theme", themes[pick(6)] }, { "period", period }, { "level", levels[pick(3)] },
				   { "note", "trend note" } };
		assert_int_equal(vios_record_add(id, t->st, "trend", f, 4), 0);
		counts[0]++;
		break;
	}
	case 1: {
		vios_field f[] = { { "kind", pick(2) ? "thematic" : "steering" }, { "date", "2026-11-02" },
				   { "minutes", "agreed to watch the station" } };
		assert_int_equal(vios_record_add(id, t->st, "meeting", f, 3), 0);
		counts[0]++;
		break;
	}
	case 2: {
		vios_field f[] = { { "theme", themes[pick(6)] }, { "note", "seen at the gate" }, { "severity", severities[pick(3)] } };
		assert_int_equal(vios_record_add(id, t->st, "signal", f, 3), 0);
		counts[0]++;
		break;
	}
	case 3: {
		vios_field f[] = { { "name", "Pupil" }, { "class", "2B" } };
		assert_int_equal(vios_record_add(id, t->st, "pupil", f, 2), 0);
		counts[0]++;
		break;
	}
	case 4: {
		snprintf(q, sizeof(q), "SELECT id FROM pupil WHERE %s", own);
		if (!random_id(pid, t, q))
			return;
		vios_field f[] = { { "theme", themes[pick(6)] }, { "note", "talked about it" }, { "pupil_id", pid } };
		assert_int_equal(vios_record_add(id, t->st, "signal", f, 3), 0);
		if (pick(2)) {
			char cid[37];
			vios_field c[] = { { "pupil_id", pid }, { "signals", id }, { "roles", pick(2) ? "police" : "youth-work" } };
			assert_int_equal(vios_record_add(cid, t->st, "case_file", c, 3), 0);
		}
		counts[0]++;
		break;
	}
	case 5:
	case 6:
	case 7:
	case 8:
	case 9: {
		/* updates: own rows and received ones */
		static const char *const tbls[] = { "trend", "signal", "meeting", "pupil" };
		int k = (int)pick(4);
		unsigned v = (unsigned)pick(1000);
		char set[128];
		snprintf(q, sizeof(q), "SELECT id FROM %s WHERE origin IS NOT NULL", tbls[k]);
		if (!random_id(id, t, q))
			return;
		switch (k) {
		case 0: snprintf(set, sizeof(set), "level = '%s', note = 'updated %u'", levels[pick(3)], v); break;
		case 1: snprintf(set, sizeof(set), "severity = '%s', note = 'updated %u'", severities[pick(3)], v); break;
		case 2: snprintf(set, sizeof(set), "minutes = 'minutes %u'", v); break;
		default: snprintf(set, sizeof(set), "class = '%uB'", v % 8); break;
		}
		snprintf(q, sizeof(q), "SELECT count(*) FROM %s WHERE id = '%s' AND %s", tbls[k], id, own);
		if (one_int(t, q) == 0)
			counts[1]++;
		snprintf(q, sizeof(q), "UPDATE %s SET %s WHERE id = '%s'", tbls[k], set, id);
		assert_int_equal(vios_store_tx_begin(t->st), 0);
		sql(t, q);
		/* sometimes a second change in the same transaction: one clock for both */
		if (pick(3) == 0 && random_id(pid, t, "SELECT id FROM trend WHERE origin IS NOT NULL")) {
			snprintf(q, sizeof(q), "UPDATE trend SET note = 'same tx %u' WHERE id = '%s'", v, pid);
			sql(t, q);
		}
		assert_int_equal(vios_store_tx_commit(t->st), 0);
		break;
	}
	case 10:
	case 11:
	case 12: {
		/* deletes: own rows and received ones (the same received row may go on two schools) */
		static const char *const tbls[] = { "trend", "meeting", "signal" };
		const char *tbl = tbls[pick(3)];
		/* the trend that carries a conflict (period KEEP_PERIOD) stays */
		snprintf(q, sizeof(q), "SELECT id FROM %s WHERE origin IS NOT NULL%s", tbl,
			 !strcmp(tbl, "trend") ? " AND period IS NOT '" KEEP_PERIOD "'" : "");
		if (!random_id(id, t, q))
			return;
		snprintf(q, sizeof(q), "SELECT count(*) FROM %s WHERE id = '%s' AND %s", tbl, id, own);
		counts[one_int(t, q) ? 2 : 3]++;
		snprintf(q, sizeof(q), "DELETE FROM %s WHERE id = '%s'", tbl, id);
		assert_int_equal(vios_store_tx_begin(t->st), 0);
		sql(t, q);
		assert_int_equal(vios_store_tx_commit(t->st), 0);
		break;
	}
	default: {
		snprintf(q, sizeof(q), "SELECT id FROM case_file WHERE status = 'reported' AND %s", own);
		if (!random_id(id, t, q))
			return;
		assert_int_equal(vios_case_set_status(t->st, id, "discussed", NULL), 0);
		counts[4]++;
		break;
	}
	}
}

/* ---- tests --------------------------------------------------------------------- */

static unsigned long env_num(const char *name, unsigned long dflt)
{
	const char *v = getenv(name);
	return v && *v ? strtoul(v, NULL, 10) : dflt;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_bundle_import__any_order_and_repetition_converges(void **state)
{
	sandbox *sb = *state;
	blist all = { 0 };
	long long sealed[NW] = { 0 };
	model wm[NW], am, rm;
	unsigned counts[5] = { 0 }; /* inserts, updates of received rows, own deletes, received deletes, status */
	size_t held = 0, dups = 0, nconf = 0, schedules, rounds = 6;
	uint64_t seed = env_num("VIOS_TEST_SEED", 0);
	digests d0, da, dr, dw, dp;
	uint8_t *pristine = NULL;
	size_t pristine_len = 0;
	char path[FX_PATH + 16], *ca;
	double t0 = now_s();

	if (seed == 0)
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	rng_state = seed | 1;
	schedules = env_num("VIOS_TEST_SCHEDULES", UNDER_SAN ? 15 : 30);
	printf("bundle convergence: seed %llu (VIOS_TEST_SEED=%llu replays it)\n", (unsigned long long)seed,
	       (unsigned long long)seed);
	memset(wm, 0, sizeof(wm));
	memset(&am, 0, sizeof(am));

	/* rounds: concurrent writes, export, import some of the others' bundles */
	for (size_t r = 0; r < rounds; r++) {
		for (int i = 0; i < NW; i++) {
			int writes = 6 + (int)pick(8);
			for (int k = 0; k < writes; k++)
				random_write(&sb->w[i], counts);
			/* sometimes two exports in a round: more, smaller bundles */
			export(&all, &sealed[i], &sb->w[i], i);
			if (pick(3) == 0) {
				random_write(&sb->w[i], counts);
				export(&all, &sealed[i], &sb->w[i], i);
			}
		}
		if (r == 1) {
			/* a trend of school0, received by school1 and school2, deleted on
			 * both while school0 updates it: one row, two tombstones, a loser */
			char id[37], q[256];
			vios_field f[] = { { "theme", "crime" }, { "period", "2026-10" }, { "level", "stable" } };
			assert_int_equal(vios_record_add(id, sb->w[0].st, "trend", f, 3), 0);
			export(&all, &sealed[0], &sb->w[0], 0);
			for (int i = 1; i < 3; i++)
				for (size_t k = 0; k < all.n; k++)
					if (all.v[k].w == 0)
						import_one(&sb->w[i], &wm[i], &all.v[k]);
			snprintf(q, sizeof(q), "UPDATE trend SET note = 'updated by its school' WHERE id = '%s'", id);
			assert_int_equal(vios_store_tx_begin(sb->w[0].st), 0);
			sql(&sb->w[0], q);
			assert_int_equal(vios_store_tx_commit(sb->w[0].st), 0);
			for (int i = 1; i < 3; i++) {
				snprintf(q, sizeof(q), "SELECT count(*) FROM trend WHERE id = '%s'", id);
				assert_int_equal(one_int(&sb->w[i], q), 1);
				snprintf(q, sizeof(q), "DELETE FROM trend WHERE id = '%s'", id);
				assert_int_equal(vios_store_tx_begin(sb->w[i].st), 0);
				sql(&sb->w[i], q);
				assert_int_equal(vios_store_tx_commit(sb->w[i].st), 0);
				counts[3]++;
				export(&all, &sealed[i], &sb->w[i], i);
			}
			export(&all, &sealed[0], &sb->w[0], 0);
		}
		if (r == 2) {
			/* a trend of school0 changed by school1 and school2, neither seeing
			 * the other's write: one value wins everywhere, the other is a conflict */
			char id[37], q[256];
			vios_field f[] = { { "theme", "alcohol" }, { "period", KEEP_PERIOD }, { "level", "stable" } };
			assert_int_equal(vios_record_add(id, sb->w[0].st, "trend", f, 3), 0);
			export(&all, &sealed[0], &sb->w[0], 0);
			for (int i = 1; i < 3; i++) {
				for (size_t k = 0; k < all.n; k++)
					if (all.v[k].w == 0)
						import_one(&sb->w[i], &wm[i], &all.v[k]);
				snprintf(q, sizeof(q), "UPDATE trend SET level = '%s' WHERE id = '%s'", i == 1 ? "rising" : "falling", id);
				assert_int_equal(vios_store_tx_begin(sb->w[i].st), 0);
				sql(&sb->w[i], q);
				assert_int_equal(vios_store_tx_commit(sb->w[i].st), 0);
				counts[1]++;
				export(&all, &sealed[i], &sb->w[i], i);
			}
		}
		for (int i = 0; i < NW; i++) {
			size_t n, *order = schedule(&n, &all, all.n / 4);
			for (size_t k = 0; k < n; k++) {
				const bundle *b = &all.v[order[k]];
				if (b->w == i || pick(2))
					continue;
				vios_import_status s = import_one(&sb->w[i], &wm[i], b);
				held += s == VIOS_IMPORT_HELD;
				dups += s == VIOS_IMPORT_DUPLICATE;
			}
			free(order);
		}
	}
	for (int i = 0; i < NW; i++) {
		random_write(&sb->w[i], counts);
		export(&all, &sealed[i], &sb->w[i], i);
	}
	assert_true(all.n >= (size_t)NW * rounds);
	assert_true(counts[1] > 0 && counts[3] > 0); /* updates and deletes of received rows happened */

	/* the fresh receiver as it is before any import, to start each schedule from */
	snprintf(path, sizeof(path), "%s/store.db", sb->rx.home);
	vios_store_free(sb->rx.st);
	sb->rx.st = NULL;
	assert_int_equal(vios_file_read(&pristine, &pristine_len, path, 64u << 20), 0);
	FX_OK(fx_store_open(&sb->rx.st, sb->rx.node));
	digest3(&d0, &sb->rx);

	/* the auditor: everything, in a random order, with repeats */
	{
		size_t n, *order = schedule(&n, &all, all.n / 2);
		for (size_t k = 0; k < n; k++) {
			vios_import_status s = import_one(&sb->aud, &am, &all.v[order[k]]);
			held += s == VIOS_IMPORT_HELD;
			dups += s == VIOS_IMPORT_DUPLICATE;
		}
		free(order);
	}
	assert_int_equal(one_int(&sb->aud, "SELECT count(*) FROM held"), 0);
	digest3(&da, &sb->aud);
	assert_string_not_equal(da.all, d0.all);
	ca = conflicts_canon(&sb->aud);
	{
		json_t *c = json_loads(ca, 0, NULL);
		nconf = json_array_size(c);
		json_decref(c);
	}
	assert_true(nconf > 0);

	/* the fresh receiver: many schedules, each from the pristine store */
	for (size_t s = 0; s < schedules; s++) {
		size_t n, *order;
		char *cr;
		if (s > 0) {
			vios_store_free(sb->rx.st);
			sb->rx.st = NULL;
			assert_int_equal(vios_file_write_atomic(path, pristine, pristine_len, 0600, 1), 0);
			FX_OK(fx_store_open(&sb->rx.st, sb->rx.node));
			digest3(&dr, &sb->rx);
			assert_digests_equal(&d0, &dr, "the restored fresh receiver");
		}
		memset(&rm, 0, sizeof(rm));
		order = schedule(&n, &all, pick(all.n + 1));
		for (size_t k = 0; k < n; k++) {
			vios_import_status st = import_one(&sb->rx, &rm, &all.v[order[k]]);
			held += st == VIOS_IMPORT_HELD;
			dups += st == VIOS_IMPORT_DUPLICATE;
		}
		free(order);
		assert_int_equal(one_int(&sb->rx, "SELECT count(*) FROM held"), 0);
		digest3(&dr, &sb->rx);
		assert_digests_equal(&da, &dr, "auditor and fresh receiver");
		cr = conflicts_canon(&sb->rx);
		assert_string_equal(ca, cr);
		free(cr);
	}

	/* the writers and the police take everything too: the theme state is one */
	for (int i = 0; i < NW; i++) {
		size_t n, *order = schedule(&n, &all, 3);
		for (size_t k = 0; k < n; k++)
			if (all.v[order[k]].w != i)
				import_one(&sb->w[i], &wm[i], &all.v[order[k]]);
		free(order);
		assert_int_equal(one_int(&sb->w[i], "SELECT count(*) FROM held"), 0);
		digest3(&dw, &sb->w[i]);
		if (strcmp(dw.theme, da.theme) != 0)
			fail_msg("school%d's theme digest differs from the auditor's", i);
	}
	{
		model pm;
		memset(&pm, 0, sizeof(pm));
		for (size_t k = 0; k < all.n; k++)
			import_one(&sb->pol, &pm, &all.v[k]);
		digest3(&dp, &sb->pol);
		assert_string_equal(dp.theme, da.theme);
	}
	/* nothing merged left anything pending to send */
	for (int i = 0; i < NW; i++) {
		size_t pend;
		assert_int_equal(vios_crdt_pending_count(&pend, sb->w[i].st), 0);
		assert_int_equal(pend, 0);
	}
	printf("bundle convergence: %zu bundles from %d schools (%u inserts, %u updates of received rows, "
	       "%u own and %u received deletes, %u status changes); auditor + %zu schedules of the fresh receiver; "
	       "%zu held, %zu duplicates; %zu conflicts; %.1f s\n",
	       all.n, NW, counts[0], counts[1], counts[2], counts[3], counts[4], schedules, held, dups, nconf, now_s() - t0);
	free(ca);
	free(pristine);
	blist_free(&all);
}

/* One trend on t, exported as one bundle; the new bundle is added to l. */
static void one_bundle(blist *l, long long *sealed, tnode *t, int w, const char *theme)
{
	char id[37];
	vios_field f[] = { { "theme", theme }, { "period", "2026-11" }, { "level", "rising" } };

	assert_int_equal(vios_record_add(id, t->st, "trend", f, 3), 0);
	assert_int_equal(export(l, sealed, t, w), 1);
}

static void test_bundle_import__early_bundle_is_held_until_the_gap_fills(void **state)
{
	sandbox *sb = *state;
	tnode *w = &sb->w[0], *a = &sb->aud;
	blist l = { 0 };
	long long sealed = 0;
	vios_import_result res;
	digests d0, d;

	one_bundle(&l, &sealed, w, 0, "weapons");
	one_bundle(&l, &sealed, w, 0, "alcohol");
	one_bundle(&l, &sealed, w, 0, "sexting");
	digest3(&d0, a);

	/* seq 3, then seq 2: verified, held, nothing applied */
	for (int k = 2; k >= 1; k--) {
		assert_int_equal(vios_bundle_import(&res, a->st, l.v[k].age, l.v[k].agelen, l.v[k].sig, l.v[k].siglen), 0);
		assert_int_equal(res.status, VIOS_IMPORT_HELD);
		assert_int_equal(res.ops_applied, 0);
		vios_bundle_header_dispose(&res.hdr);
		digest3(&d, a);
		assert_digests_equal(&d0, &d, "after a held bundle");
	}
	/* held again: still held, nothing new */
	assert_int_equal(vios_bundle_import(&res, a->st, l.v[2].age, l.v[2].agelen, l.v[2].sig, l.v[2].siglen), 0);
	assert_int_equal(res.status, VIOS_IMPORT_HELD);
	vios_bundle_header_dispose(&res.hdr);
	assert_int_equal(one_int(a, "SELECT count(*) FROM held"), 2);
	digest3(&d, a);
	assert_digests_equal(&d0, &d, "after a held bundle again");

	/* seq 1 fills the gap: it and both held ones are applied, in order */
	assert_int_equal(vios_bundle_import(&res, a->st, l.v[0].age, l.v[0].agelen, l.v[0].sig, l.v[0].siglen), 0);
	assert_int_equal(res.status, VIOS_IMPORT_APPLIED);
	assert_int_equal(res.released, 2);
	vios_bundle_header_dispose(&res.hdr);
	assert_int_equal(one_int(a, "SELECT count(*) FROM held"), 0);
	assert_int_equal(one_int(a, "SELECT count(*) FROM trend"), 3);
	digest3(&d, a);
	{
		digests dw;
		digest3(&dw, w);
		assert_string_equal(d.theme, dw.theme);
		assert_string_equal(d.all, dw.all);
	}
	/* every one of them again: duplicates, nothing changes */
	for (size_t k = 0; k < l.n; k++) {
		digests d2;
		assert_int_equal(vios_bundle_import(&res, a->st, l.v[k].age, l.v[k].agelen, l.v[k].sig, l.v[k].siglen), 0);
		assert_int_equal(res.status, VIOS_IMPORT_DUPLICATE);
		vios_bundle_header_dispose(&res.hdr);
		digest3(&d2, a);
		assert_digests_equal(&d, &d2, "after a duplicate");
	}
	blist_free(&l);
}

static void test_bundle_import__fork_is_refused_and_changes_nothing(void **state)
{
	sandbox *sb = *state;
	tnode *w = &sb->w[1], *a = &sb->aud, fork;
	blist l = { 0 }, lf = { 0 };
	long long sealed = 0, sealed_fork;
	vios_import_result res;
	vios_secret *pass = NULL;
	digests d0, d;
	char cmd[2 * FX_PATH + 16];
	int64_t seen;

	one_bundle(&l, &sealed, w, 1, "weapons");
	assert_int_equal(vios_bundle_import(&res, a->st, l.v[0].age, l.v[0].agelen, l.v[0].sig, l.v[0].siglen), 0);
	assert_int_equal(res.status, VIOS_IMPORT_APPLIED);
	vios_bundle_header_dispose(&res.hdr);

	/* the school's home copied: both copies seal a different seq 2 */
	memset(&fork, 0, sizeof(fork));
	snprintf(fork.name, sizeof(fork.name), "fork");
	FX_OK(vios_snprintf(fork.home, sizeof(fork.home), "%s/school1-fork", sb->world.dir));
	vios_rm_rf(fork.home);
	vios_store_free(w->st);
	w->st = NULL;
	FX_OK(vios_snprintf(cmd, sizeof(cmd), "cp -a '%s' '%s'", w->home, fork.home));
	assert_int_equal(system(cmd), 0);
	FX_OK(fx_store_open(&w->st, w->node));
	assert_int_equal(vios_secret_new(&pass, FX_PASS, strlen(FX_PASS)), 0);
	assert_int_equal(vios_node_open(&fork.node, fork.home, pass), 0);
	vios_secret_free(pass);
	assert_string_equal(fork.node->node_id, w->node->node_id);
	FX_OK(fx_store_open(&fork.st, fork.node));
	sealed_fork = sealed;
	one_bundle(&l, &sealed, w, 1, "alcohol");
	one_bundle(&lf, &sealed_fork, &fork, 1, "sexting");
	assert_int_equal(l.v[1].seq, 2);
	assert_int_equal(lf.v[0].seq, 2);
	assert_true(l.v[1].agelen != lf.v[0].agelen || memcmp(l.v[1].age, lf.v[0].age, l.v[1].agelen) != 0);

	assert_int_equal(vios_bundle_import(&res, a->st, l.v[1].age, l.v[1].agelen, l.v[1].sig, l.v[1].siglen), 0);
	assert_int_equal(res.status, VIOS_IMPORT_APPLIED);
	vios_bundle_header_dispose(&res.hdr);
	digest3(&d0, a);
	seen = one_int(a, "SELECT count(*) FROM bundle_seen");

	/* the other seq 2: refused as a fork, nothing changes */
	assert_int_equal(vios_bundle_import(&res, a->st, lf.v[0].age, lf.v[0].agelen, lf.v[0].sig, lf.v[0].siglen),
			 VIOS_EVERIFY);
	assert_non_null(strstr(vios_error_last(), "fork"));
	digest3(&d, a);
	assert_digests_equal(&d0, &d, "after a fork");
	assert_int_equal(one_int(a, "SELECT count(*) FROM bundle_seen"), seen);
	assert_int_equal(one_int(a, "SELECT count(*) FROM trend"), 2);

	/* a receiver that sees the fork's seq 2 early holds neither: the fork is named when seq 2 differs */
	{
		tnode *r = &sb->rx;
		assert_int_equal(vios_bundle_import(&res, r->st, lf.v[0].age, lf.v[0].agelen, lf.v[0].sig, lf.v[0].siglen), 0);
		assert_int_equal(res.status, VIOS_IMPORT_HELD);
		vios_bundle_header_dispose(&res.hdr);
		digest3(&d0, r);
		assert_int_equal(vios_bundle_import(&res, r->st, l.v[1].age, l.v[1].agelen, l.v[1].sig, l.v[1].siglen),
				 VIOS_EVERIFY);
		assert_non_null(strstr(vios_error_last(), "fork"));
		digest3(&d, r);
		assert_digests_equal(&d0, &d, "after a fork against a held bundle");
	}

	/* the legitimate seq 2 again: a duplicate, as before */
	assert_int_equal(vios_bundle_import(&res, a->st, l.v[1].age, l.v[1].agelen, l.v[1].sig, l.v[1].siglen), 0);
	assert_int_equal(res.status, VIOS_IMPORT_DUPLICATE);
	vios_bundle_header_dispose(&res.hdr);

	fx_node_dispose(&fork);
	blist_free(&l);
	blist_free(&lf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bundle_import__any_order_and_repetition_converges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundle_import__early_bundle_is_held_until_the_gap_fills, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundle_import__fork_is_refused_and_changes_nothing, setup, teardown),
	};
	if (sodium_init() < 0 || vios_git_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("bundle", tests, NULL, NULL);
}
