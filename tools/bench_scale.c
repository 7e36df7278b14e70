/*
 * bench_scale.c - `make bench-scale` (issue 19): a municipality's school year
 * through the real paths, then the hub's and the auditor's work on all of it,
 * timed, with each phase's peak memory. Never a test, not part of make check:
 * it prints figures and fails only when a workload itself fails.
 *
 * The world (tests/unit/fixture.h): a hub, S schools and an auditor in DIR,
 * every node enrolled and joined (the fixture's covenant: auditor_scope
 * content, so the auditor receives everything and its replay holds it all).
 *
 * The generator (deterministic: splitmix64 seeded with --seed, school and
 * week; the same seed writes the same records in the same order, only
 * record ids, clocks and ciphertexts differ from run to run). A school year
 * of W weeks ending today; each school, each week, in two syncs (Monday to
 * Wednesday, Thursday and Friday), writes through the library as the CLI
 * does (vios_record_add, vios_case_set_status, vios_record_edit: captured,
 * validated, logged transactions):
 *   week 0     PUPILS pupils
 *   each half  4 to 6 signals (so about 10 a week), 3 in 10 about a pupil
 *              (basis, parents informed or a reason), the rest theme-only;
 *              1 trend (so 2 a week)
 *   1st half   a case moves one status on (reported, discussed, in progress,
 *              monitoring, then in progress again or closed)
 *   2nd half   1 meeting (thematic; every 4th week a case meeting); every
 *              2nd week a case opened on that week's signal about a pupil;
 *              one open case's care_info edited
 * then vios_sync_export seals the pending ops into bundles in its outbox and
 * the school's node ref is pushed to the hub repository (vios_git_push, as
 * vios sync pushes), so the hub holds S x W x 2 syncs' bundles.
 *
 * The phases, each the vios binary (VIOS) as a user runs it, one at a time:
 *   hub merge     vios --home HUB hub merge (fetch, verify, decrypt, merge)
 *   audit verify  vios --home AUDITOR audit verify HUB.git, the auditor's home
 *                 locked (signatures, chains and flows)
 *   audit flows   vios --home AUDITOR audit flows HUB.git (locked)
 *   audit replay  vios --home AUDITOR audit replay HUB.git
 *   verify+mandate  audit verify with the auditor unlocked: every op also
 *                 classified against the mandate (a replay)
 * A home that must be unlocked is unlocked by its agent first (vios unlock),
 * so no phase runs Argon2id. Wall time from fork to exit; peak RSS is the
 * phase process's own ru_maxrss (rss_of: a child forked from this tool
 * would keep, across execve, the high-water mark of the copy of the tool
 * that fork made).
 *
 * Raw baselines, timed in this process, of the same run's data:
 *   hub merge     the rows the hub holds after the merge, inserted into
 *                 plain SQLite (same schema, 1000 rows per transaction)
 *   audit verify  every bundle and signature read from the hub repository
 *                 (libgit2), BLAKE2b-512 and crypto_sign_verify_detached
 *   audit replay  every record of every school's store, inserted into plain
 *                 SQLite as above (the replay rebuilds all of it)
 * audit flows has none.
 *
 * Usage: bench_scale [--schools S] [--weeks W] [--seed N] [--dir DIR]
 *        (default 50 schools, 40 weeks, seed 19, a temp dir removed at exit;
 *        the vios binary from VIOS)
 */
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "node/vocab.h"
#include "store/records.h"
#include "sync/bundle.h"
#include "sync/git.h"
#include "sync/layout.h"
#include "sync/sync.h"
#include "tests/unit/fixture.h"
#include "tools/rss_of.h"

extern const char *const vios_schema_migrations[];
extern const size_t vios_schema_migration_count;

#define PUPILS 40
#define MAX_CASES 64
#define TX_ROWS 1000

/* the targets on this machine */
#define TARGET_MERGE_S 60.0
#define TARGET_VERIFY_S 10.0
#define TARGET_REPLAY_S 60.0
#define TARGET_RSS_MIB 128.0

typedef struct {
	char id[37];
	char status[24];
} scase;

typedef struct {
	fx_node n;
	char pupil[PUPILS][37];
	scase cases[MAX_CASES];
	int ncases;
	long long bundles; /* sealed, so the seqs on its ref are 1..bundles */
} school;

typedef struct {
	long pupils, signals, about, trends, meetings, opened, steps, edits, syncs, bundles, ops;
} counts;

static char made_dir[PATH_MAX];
static char lock_homes[2][FX_PATH]; /* homes this run unlocked: locked again at exit */
static const char *vios_bin;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(const char *what)
{
	fprintf(stderr, "bench-scale: %s: %s\n", what, vios_error_last());
	exit(1);
}

static void check(int error, const char *what)
{
	if (error < 0)
		fail(what);
}

static void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void progress(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "bench-scale: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* splitmix64: the generator's one source of choices */
static uint64_t next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned pick(uint64_t *s, unsigned n)
{
	return (unsigned)(next(s) % n);
}

/* ---- running vios and measuring it ---- */

/* `bench_scale --rss-of FD PROG ARGS...` (internal): see tools/rss_of.h. */


typedef struct {
	double secs;
	long kib; /* peak RSS */
	int ok;
} phase;

/*
 * Runs `VIOS --home HOME ARGS...` (stdout and stderr appended to log; with
 * pass, VIOS_PASSPHRASE set, else unset); with ph, through rss_of, its wall
 * time and peak RSS in *ph. Returns its exit status (-1 when it did not run).
 */
static int run_vios(phase *ph, const char *log, int pass, const char *home, const char *const *args)
{
	const char *argv[24];
	char self[PATH_MAX], num[24] = "";
	int n = 0, p[2] = { -1, -1 }, status;
	ssize_t got;
	double t;
	pid_t pid;

	if (ph) {
		memset(ph, 0, sizeof(*ph));
		if ((got = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0 || pipe(p) < 0)
			return -1;
		self[got] = 0;
		snprintf(num, sizeof(num), "%d", p[1]);
		argv[n++] = "bench_scale";
		argv[n++] = "--rss-of";
		argv[n++] = num;
	}
	argv[n++] = vios_bin;
	argv[n++] = "--home";
	argv[n++] = home;
	for (; *args && n < 23; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	fflush(stdout);
	fflush(stderr);
	t = now();
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY), out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (in < 0 || out < 0)
			_exit(126);
		dup2(in, 0);
		dup2(out, 1);
		dup2(out, 2);
		if (p[0] >= 0)
			close(p[0]);
		if (pass)
			setenv("VIOS_PASSPHRASE", FX_PASS, 1);
		else
			unsetenv("VIOS_PASSPHRASE");
		execv(ph ? self : vios_bin, (char *const *)argv);
		_exit(127);
	}
	if (p[1] >= 0)
		close(p[1]);
	if (waitpid(pid, &status, 0) != pid)
		status = -1;
	if (ph) {
		ph->secs = now() - t;
		got = read(p[0], num, sizeof(num) - 1);
		num[got > 0 ? got : 0] = 0;
		ph->kib = atol(num);
		close(p[0]);
	}
	if (status < 0 || !WIFEXITED(status))
		return -1;
	if (ph)
		ph->ok = WEXITSTATUS(status) == 0 && ph->kib > 0;
	return WEXITSTATUS(status);
}

/* The packs in a repository's objects/pack (what vios hub merge rolls up). */
static size_t count_packs(const char *repo)
{
	char path[PATH_MAX];
	struct dirent *e;
	size_t n = 0, len;
	DIR *d;

	snprintf(path, sizeof(path), "%s/objects/pack", repo);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if ((len = strlen(e->d_name)) > 5 && !strcmp(e->d_name + len - 5, ".pack"))
			n++;
	closedir(d);
	return n;
}

static void unlock_home(int slot, const char *home, const char *log)
{
	static const char *const unlock[] = { "unlock", NULL };

	if (run_vios(NULL, log, 1, home, unlock) != 0) {
		fprintf(stderr, "bench-scale: vios unlock of %s failed (see %s)\n", home, log);
		exit(1);
	}
	snprintf(lock_homes[slot], sizeof(lock_homes[slot]), "%s", home);
}

static void lock_home(int slot, const char *log)
{
	static const char *const lock[] = { "lock", NULL };

	if (lock_homes[slot][0])
		run_vios(NULL, log, 0, lock_homes[slot], lock);
	lock_homes[slot][0] = 0;
}

/* No agent outlives the run; the sandbox it made goes. */
static void at_exit(void)
{
	lock_home(0, "/dev/null");
	lock_home(1, "/dev/null");
	if (made_dir[0])
		vios_rm_rf(made_dir);
}

/* ---- the generator ---- */

static const char *const seen_what[] = { "a group of pupils hanging around the bicycle shed",
				    "two pupils exchanging a small package",
				    "pupils sharing an image of a classmate",
				    "older youths waiting in a car at the gate",
				    "a fresh gang tag sprayed on the gym wall",
				    "pupils smoking cannabis behind the canteen",
				    "a fight between pupils, filmed by bystanders",
				    "a knife seen in a school bag" };
static const char *const place[] = { "the main entrance", "the bus stop", "the sports field",
				     "the shopping centre", "the park across the road" };
static const char *const source[] = { "the caretaker", "a mentor", "the care coordinator", "a parent",
				      "the community police officer", "a youth worker" };

/* The day `ago` days before today, YYYY-MM-DD. */
static void day(char out[11], int ago)
{
	vios_day_after(out, -ago);
}

static void add(char id[37], vios_store *st, const char *table, const vios_field *f, size_t n)
{
	char why[96];

	if (vios_record_add(id, st, table, f, n) < 0) {
		snprintf(why, sizeof(why), "adding a %s", table);
		fail(why);
	}
}

static void gen_pupils(school *sc, vios_store *st, uint64_t *rng, counts *c)
{
	for (int i = 0; i < PUPILS; i++) {
		char name[64], birth[11], klass[8], local[16];
		snprintf(name, sizeof(name), "Leerling%03d Achternaam%03u", i, pick(rng, 1000));
		snprintf(birth, sizeof(birth), "20%02u-%02u-%02u", 11 + pick(rng, 4), 1 + pick(rng, 12), 1 + pick(rng, 28));
		snprintf(klass, sizeof(klass), "%uH%u", 1 + pick(rng, 4), 1 + pick(rng, 3));
		snprintf(local, sizeof(local), "LL%05d", i);
		vios_field f[] = { { "name", name }, { "birth_date", birth }, { "class", klass }, { "local_id", local },
				   { "guardian_contact", "06-12345678" } };
		add(sc->pupil[i], st, "pupil", f, 5);
		c->pupils++;
	}
}

/* One sync's worth of writes: half 0 (Monday to Wednesday) or 1 of week. */
static void gen_half(school *sc, vios_store *st, uint64_t *rng, int week, int weeks, int half, counts *c)
{
	int ago0 = (weeks - week) * 7 - (half ? 3 : 0);
	int nsig = 4 + (int)pick(rng, 3);
	char about_sig[37] = "", about_pupil[37] = "";

	if (week == 0 && half == 0)
		gen_pupils(sc, st, rng, c);
	for (int i = 0; i < nsig; i++) {
		char id[37], seen[11], note[256];
		unsigned k = pick(rng, 8), about = pick(rng, 10) < 3, informed = pick(rng, 10) != 0;
		const char *pupil = sc->pupil[pick(rng, PUPILS)];
		vios_field f[10];
		size_t n = 0;
		day(seen, ago0 - (int)pick(rng, half ? 2 : 3));
		snprintf(note, sizeof(note), "%s near %s at %02u:%02u; %u involved. Source: %s.", seen_what[k],
			 place[pick(rng, 5)], 8 + pick(rng, 9), pick(rng, 60), 1 + pick(rng, 6), source[pick(rng, 6)]);
		f[n++] = (vios_field){ "theme", vios_theme_name((int)pick(rng, VIOS_THEME_COUNT)) };
		f[n++] = (vios_field){ "note", note };
		f[n++] = (vios_field){ "seen_at", seen };
		f[n++] = (vios_field){ "location", pick(rng, 3) ? "in" : "around" };
		f[n++] = (vios_field){ "severity", pick(rng, 7) == 0 ? "high" : pick(rng, 2) ? "medium" : "low" };
		if (about) {
			f[n++] = (vios_field){ "pupil_id", pupil };
			f[n++] = (vios_field){ "basis", "public-task" };
			f[n++] = (vios_field){ "parents_informed", informed ? "1" : "0" };
			if (!informed)
				f[n++] = (vios_field){ "not_informed_reason", "informing the parents would put the pupil at risk" };
		}
		add(id, st, "signal", f, n);
		c->signals++;
		if (about) {
			c->about++;
			memcpy(about_sig, id, sizeof(about_sig));
			memcpy(about_pupil, pupil, sizeof(about_pupil));
		}
	}
	{
		char id[37], d[11], month[8];
		static const char *const level[] = { "rising", "stable", "falling" };
		day(d, ago0);
		memcpy(month, d, 7);
		month[7] = 0;
		vios_field f[] = { { "theme", vios_theme_name((int)pick(rng, VIOS_THEME_COUNT)) }, { "period", month },
				   { "level", level[pick(rng, 3)] },
				   { "note", pick(rng, 2) ? "more reports from mentors this week" : "quieter near the station" } };
		add(id, st, "trend", f, 4);
		c->trends++;
	}
	if (half == 0 && sc->ncases > 0) {
		/* a case moves one status on */
		int k = (int)pick(rng, (unsigned)sc->ncases);
		for (int tries = 0; tries < sc->ncases && !vios_case_next_statuses(sc->cases[k].status)[0]; tries++)
			k = (k + 1) % sc->ncases;
		if (vios_case_next_statuses(sc->cases[k].status)[0]) {
			const char *to = !strcmp(sc->cases[k].status, "reported")    ? "discussed"
					 : !strcmp(sc->cases[k].status, "discussed")   ? "in-progress"
					 : !strcmp(sc->cases[k].status, "in-progress") ? "monitoring"
					 : pick(rng, 2)                                ? "closed"
											: "in-progress";
			check(vios_case_set_status(st, sc->cases[k].id, to, NULL), "a case status");
			snprintf(sc->cases[k].status, sizeof(sc->cases[k].status), "%s", to);
			c->steps++;
		}
	}
	if (half == 1) {
		char id[37], d[11];
		int k = sc->ncases > 0 && week % 4 == 3 ? (int)pick(rng, (unsigned)sc->ncases) : -1;
		vios_field f[5];
		size_t n = 0;
		day(d, ago0 - 1);
		f[n++] = (vios_field){ "kind", k >= 0 ? "case" : "thematic" };
		f[n++] = (vios_field){ "date", d };
		f[n++] = (vios_field){ "roles", k >= 0 ? "police,social-team" : "police,youth-work" };
		f[n++] = (vios_field){ "minutes", k >= 0 ? "agreed who talks to the parents and when to look again"
							 : "patterns near the station and the park; more presence at closing time" };
		if (k >= 0)
			f[n++] = (vios_field){ "case_id", sc->cases[k].id };
		add(id, st, "meeting", f, n);
		c->meetings++;
		if (week % 2 == 1 && about_sig[0] && sc->ncases < MAX_CASES) {
			vios_field g[] = { { "pupil_id", about_pupil }, { "signals", about_sig },
					   { "roles", "police,social-team" }, { "lead_role", "social-team" },
					   { "basis", "public-task" }, { "parents_informed", "1" } };
			add(sc->cases[sc->ncases].id, st, "case_file", g, 6);
			snprintf(sc->cases[sc->ncases].status, sizeof(sc->cases[0].status), "reported");
			sc->ncases++;
			c->opened++;
		}
		if (sc->ncases > 0) {
			char care[160];
			int j = (int)pick(rng, (unsigned)sc->ncases);
			snprintf(care, sizeof(care), "week %d: the family works with the neighbourhood team; next review in %u weeks",
				 week + 1, 2 + pick(rng, 4));
			vios_field g[] = { { "care_info", care } };
			check(vios_record_edit(NULL, st, "case_file", sc->cases[j].id, g, 1), "a case edit");
			c->edits++;
		}
	}
}

/* Pushes the school's node ref to the hub repository, as vios sync does. */
static void push(const school *sc, const char *url)
{
	git_repository *repo = NULL;
	char ref[64], spec[140];
	const char *specs[1] = { spec };

	vios_layout_node_ref(ref, sizeof(ref), VIOS_NODES_REFS, sc->n.node->node_id);
	snprintf(spec, sizeof(spec), "%s:%s", ref, ref);
	check(vios_trust_repo(&repo, sc->n.node), "opening the outbox");
	check(vios_git_push(repo, url, specs, 1), "vios_git_push");
	git_repository_free(repo);
}

static void sync_school(school *sc, vios_store *st, const char *url, counts *c)
{
	vios_export_report x;

	check(vios_sync_export(&x, st), "vios_sync_export");
	sc->bundles += (long long)x.bundles;
	c->bundles += (long)x.bundles;
	c->ops += (long)x.ops;
	c->syncs++;
	push(sc, url);
}

/* ---- raw baselines ---- */

static const char *const tables[] = { "pupil", "signal", "trend", "meeting", "case_file", "agreement" };
#define NTABLES (sizeof(tables) / sizeof(tables[0]))

/* Appends every row of the record tables of st to rows[t]. */
static void collect(json_t **rows, vios_store *st)
{
	for (size_t t = 0; t < NTABLES; t++) {
		char sql[64];
		json_t *r = NULL;
		snprintf(sql, sizeof(sql), "SELECT * FROM %s", tables[t]);
		check(vios_query(&r, st, sql, NULL, 0), "reading the records back");
		json_array_extend(rows[t], r);
		json_decref(r);
	}
}

static void sqlfail(sqlite3 *db, const char *what)
{
	fprintf(stderr, "bench-scale: plain SQLite: %s: %s\n", what, sqlite3_errmsg(db));
	exit(1);
}

/* Seconds to insert rows[] into a new plain SQLite database at path (the
 * schema's migrations, WAL, synchronous FULL, 64 MiB cache, as the store),
 * TX_ROWS per transaction; *n the rows. */
static double plain_insert(long *n, json_t **rows, const char *path)
{
	sqlite3 *db = NULL;
	double t;
	long k = 0;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		sqlfail(db, "open");
	if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536", NULL, NULL,
			 NULL) != SQLITE_OK)
		sqlfail(db, "pragmas");
	for (size_t i = 0; i < vios_schema_migration_count; i++)
		if (sqlite3_exec(db, vios_schema_migrations[i], NULL, NULL, NULL) != SQLITE_OK)
			sqlfail(db, "schema");
	t = now();
	for (size_t tb = 0; tb < NTABLES; tb++) {
		sqlite3_stmt *p = NULL;
		const char **cols = NULL;
		size_t ncols = 0, i;
		json_t *row;
		json_array_foreach(rows[tb], i, row) {
			if (p == NULL) {
				/* one statement per table, from its columns */
				char sql[4096];
				size_t len = 0;
				const char *key;
				json_t *v;
				ncols = json_object_size(row);
				if ((cols = calloc(ncols + 1, sizeof(*cols))) == NULL)
					sqlfail(db, "out of memory");
				len += (size_t)snprintf(sql + len, sizeof(sql) - len, "INSERT INTO %s(", tables[tb]);
				ncols = 0;
				json_object_foreach(row, key, v) {
					(void)v;
					cols[ncols] = key;
					len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s\"%s\"", ncols ? "," : "", key);
					ncols++;
				}
				len += (size_t)snprintf(sql + len, sizeof(sql) - len, ") VALUES (");
				for (size_t c = 0; c < ncols; c++)
					len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s?", c ? "," : "");
				snprintf(sql + len, sizeof(sql) - len, ")");
				if (sqlite3_prepare_v2(db, sql, -1, &p, NULL) != SQLITE_OK)
					sqlfail(db, sql);
			}
			if (k % TX_ROWS == 0 && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
				sqlfail(db, "begin");
			for (size_t c = 0; c < ncols; c++) {
				json_t *v = json_object_get(row, cols[c]);
				if (json_is_integer(v))
					sqlite3_bind_int64(p, (int)c + 1, json_integer_value(v));
				else if (json_is_string(v))
					sqlite3_bind_text(p, (int)c + 1, json_string_value(v), -1, SQLITE_STATIC);
				else if (json_is_true(v) || json_is_false(v))
					sqlite3_bind_int(p, (int)c + 1, json_is_true(v));
				else
					sqlite3_bind_null(p, (int)c + 1);
			}
			if (sqlite3_step(p) != SQLITE_DONE)
				sqlfail(db, tables[tb]);
			sqlite3_reset(p);
			if (++k % TX_ROWS == 0 && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
				sqlfail(db, "commit");
		}
		sqlite3_finalize(p);
		free(cols);
	}
	if (k % TX_ROWS != 0 && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		sqlfail(db, "commit");
	t = now() - t;
	sqlite3_close(db);
	*n = k;
	return t;
}

/* Seconds to read every bundle and signature of every school from the hub
 * repository and check each signature raw (BLAKE2b-512, Ed25519). */
static double raw_verify(long *n, const school *ss, int nschools, const char *repo_path)
{
	git_repository *repo = NULL;
	double t = now();

	*n = 0;
	check(vios_git_open(&repo, repo_path, 0), "opening the hub repository");
	for (int s = 0; s < nschools; s++) {
		char ref[64];
		git_oid head;
		vios_layout_node_ref(ref, sizeof(ref), VIOS_NODES_REFS, ss[s].n.node->node_id);
		check(vios_git_ref_oid(&head, repo, ref), "a school's ref at the hub");
		for (long long seq = 1; seq <= ss[s].bundles; seq++) {
			char path[40], sigpath[48], *line;
			uint8_t *age = NULL, *sig = NULL, bin[74], h[crypto_generichash_BYTES_MAX];
			size_t agelen = 0, siglen = 0, binlen = 0;
			vios_layout_bundle_path(path, seq, 0);
			vios_layout_bundle_path(sigpath, seq, 1);
			check(vios_git_read_blob(&age, &agelen, repo, &head, path, VIOS_BUNDLE_MAX_AGE), "reading a bundle");
			check(vios_git_read_blob(&sig, &siglen, repo, &head, sigpath, VIOS_BUNDLE_SIG_MAX), "reading a signature");
			/* the second line: "ED" || key id || signature over BLAKE2b-512(age) */
			line = strchr((char *)sig, '\n');
			if (line == NULL ||
			    sodium_base642bin(bin, sizeof(bin), line + 1, strcspn(line + 1, "\n"), NULL, &binlen, NULL,
					      sodium_base64_VARIANT_ORIGINAL) != 0 ||
			    binlen != sizeof(bin) || memcmp(bin, "ED", 2) != 0) {
				fprintf(stderr, "bench-scale: bundle %lld of %s: unexpected signature line\n", seq, ss[s].n.name);
				exit(1);
			}
			crypto_generichash(h, sizeof(h), age, agelen, NULL, 0);
			if (crypto_sign_verify_detached(bin + 10, h, sizeof(h), ss[s].n.node->sign_pub.pk) != 0) {
				fprintf(stderr, "bench-scale: raw verify of bundle %lld of %s failed\n", seq, ss[s].n.name);
				exit(1);
			}
			free(age);
			free(sig);
			(*n)++;
		}
	}
	git_repository_free(repo);
	return now() - t;
}

/* ---- the table ---- */

static void row(const char *what, const phase *ph, double base, const char *basetext, double target_s)
{
	char v[48], r[48], b[48] = "-", ratio[16] = "-", ok[40];

	if (!ph->ok) {
		printf("%-16s %-12s %-10s %-40s %8s  %s\n", what, "failed", "-", "-", "-", "see the log");
		return;
	}
	snprintf(v, sizeof(v), "%.2f s", ph->secs);
	snprintf(r, sizeof(r), "%.1f MiB", ph->kib / 1024.0);
	if (base > 0) {
		snprintf(b, sizeof(b), "%.3f s: %s", base, basetext);
		snprintf(ratio, sizeof(ratio), "%.1fx", ph->secs / base);
	}
	snprintf(ok, sizeof(ok), "%s%s", target_s > 0 ? (ph->secs <= target_s ? "time ok" : "TIME MISSED") : "",
		 ph->kib / 1024.0 < TARGET_RSS_MIB ? (target_s > 0 ? ", rss ok" : "rss ok") : ", RSS MISSED");
	printf("%-16s %-12s %-10s %-40s %8s  %s\n", what, v, r, b, ratio, ok);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = { { "schools", required_argument, NULL, 's' },
						   { "weeks", required_argument, NULL, 'w' },
						   { "seed", required_argument, NULL, 'e' },
						   { "dir", required_argument, NULL, 'd' },
						   { NULL, 0, NULL, 0 } };
	int nschools = 50, weeks = 40, c;
	unsigned long long seed = 19;
	char dir[PATH_MAX - 64] = "", log[PATH_MAX], path[PATH_MAX], hubrepo[PATH_MAX];
	school *ss;
	fx_world w;
	fx_node aud;
	fx_node **all;
	counts cnt;
	json_t *hub_rows[NTABLES], *all_rows[NTABLES];
	phase merge, verify, flows, replay, mandate;
	size_t packs_before = 0, packs_after = 0;
	double t_gen, t_merge_base, t_replay_base, t_verify_base;
	long n_merge_base, n_replay_base, n_verify_base;

	if (argc > 3 && !strcmp(argv[1], "--rss-of"))
		return rss_of(argv);
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 's')
			nschools = atoi(optarg);
		else if (c == 'w')
			weeks = atoi(optarg);
		else if (c == 'e')
			seed = strtoull(optarg, NULL, 10);
		else if (c == 'd')
			snprintf(dir, sizeof(dir), "%s", optarg);
		else {
			fprintf(stderr, "usage: bench_scale [--schools S] [--weeks W] [--seed N] [--dir DIR]\n");
			return 2;
		}
	}
	if (nschools < 1 || nschools > 500 || weeks < 1 || weeks > 52) {
		fprintf(stderr, "bench_scale: --schools takes 1 to 500, --weeks 1 to 52\n");
		return 2;
	}
	vios_bin = getenv("VIOS");
	if (vios_bin == NULL || access(vios_bin, X_OK) != 0) {
		fprintf(stderr, "bench_scale: VIOS must name the vios binary (make bench-scale sets it)\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/vios-scale.XXXXXX");
		if (mkdtemp(dir) == NULL)
			return 1;
		snprintf(made_dir, sizeof(made_dir), "%s", dir);
	} else if (vios_path_exists(dir)) {
		fprintf(stderr, "bench_scale: %s exists (an earlier run?): remove it or give another --dir\n", dir);
		return 1;
	}
	atexit(at_exit);
	snprintf(log, sizeof(log), "%s/phases.log", dir);
	memset(&cnt, 0, sizeof(cnt));
	if ((ss = calloc((size_t)nschools, sizeof(*ss))) == NULL || (all = calloc((size_t)nschools + 1, sizeof(*all))) == NULL)
		return 1;

	printf("bench-scale: %d schools x %d weeks x 2 syncs; generator splitmix64, seed %llu: per school %d pupils\n"
	       "  in week 0; per sync 4-6 signals (3 in 10 about a pupil) and 1 trend; per week 1 meeting (every\n"
	       "  4th a case meeting), a case status step, a case's care_info edited, every 2nd week a case\n"
	       "  opened; each sync exported (vios_sync_export) and pushed to the hub repository.\n",
	       nschools, weeks, seed, PUPILS);

	/* 1. the world */
	progress("making the hub, %d schools and the auditor", nschools);
	check(fx_world_at(&w, dir), "making the sandbox");
	check(fx_world_hub(&w), "the hub");
	snprintf(hubrepo, sizeof(hubrepo), "%s", w.repo);
	for (int s = 0; s <= nschools; s++) {
		char name[32];
		fx_node *n = s < nschools ? &ss[s].n : &aud;
		snprintf(name, sizeof(name), "school-%03d", s + 1);
		check(fx_node_make(n, &w, s < nschools ? name : "auditor", s < nschools ? "school" : "auditor", NULL),
		      "a node");
		/* a process holds a few stores at a time (node/run.h): each is
		 * opened again when its node joins and when it writes */
		vios_store_free(n->st);
		n->st = NULL;
		all[s] = n;
	}
	/* every enrollment before any join, so each one's registry names them all */
	check(fx_enroll(&w, all, (size_t)nschools + 1), "enrolling");
	for (int s = 0; s <= nschools; s++) {
		check(fx_store_open(&all[s]->st, all[s]->node), "opening a store");
		check(fx_join(&w, &all[s], 1), "joining");
		vios_store_free(all[s]->st);
		all[s]->st = NULL;
	}

	/* 2. the school year, week by week, school by school */
	t_gen = now();
	for (int wk = 0; wk < weeks; wk++) {
		progress("week %d of %d", wk + 1, weeks);
		for (int s = 0; s < nschools; s++) {
			uint64_t rng = seed ^ ((uint64_t)(s + 1) << 32) ^ (uint64_t)(wk + 1) * 0x100000001b3ULL;
			vios_store *st = NULL;
			check(fx_store_open(&st, ss[s].n.node), "opening a school's store");
			for (int half = 0; half < 2; half++) {
				gen_half(&ss[s], st, &rng, wk, weeks, half, &cnt);
				sync_school(&ss[s], st, hubrepo, &cnt);
			}
			vios_store_free(st);
		}
	}
	t_gen = now() - t_gen;
	progress("reading every school's records back (the replay's baseline)");
	for (size_t t = 0; t < NTABLES; t++) {
		all_rows[t] = json_array();
		hub_rows[t] = json_array();
	}
	for (int s = 0; s < nschools; s++) {
		vios_store *st = NULL;
		check(fx_store_open(&st, ss[s].n.node), "opening a school's store");
		collect(all_rows, st);
		vios_store_free(st);
	}
	/* the phases open these homes themselves */
	vios_store_free(w.hub.st);
	w.hub.st = NULL;

	/* 3. the phases */
	{
		static const char *const a_merge[] = { "hub", "merge", NULL };
		const char *a_verify[] = { "audit", "verify", hubrepo, NULL };
		const char *a_flows[] = { "audit", "flows", hubrepo, NULL };
		const char *a_replay[] = { "audit", "replay", hubrepo, NULL };

		progress("hub merge");
		unlock_home(0, w.hub.home, log);
		packs_before = count_packs(hubrepo);
		run_vios(&merge, log, 0, w.hub.home, a_merge);
		packs_after = count_packs(hubrepo);
		lock_home(0, log);
		progress("audit verify (the auditor locked)");
		run_vios(&verify, log, 0, aud.home, a_verify);
		progress("audit flows (the auditor locked)");
		run_vios(&flows, log, 0, aud.home, a_flows);
		unlock_home(1, aud.home, log);
		progress("audit replay");
		run_vios(&replay, log, 0, aud.home, a_replay);
		progress("audit verify (the auditor unlocked: the mandate classification)");
		run_vios(&mandate, log, 0, aud.home, a_verify);
		lock_home(1, log);
	}

	/* 4. the raw baselines */
	progress("raw baselines");
	{
		vios_store *st = NULL;
		check(fx_store_open(&st, w.hub.node), "opening the hub's store");
		collect(hub_rows, st);
		vios_store_free(st);
	}
	snprintf(path, sizeof(path), "%s/plain-hub.db", dir);
	t_merge_base = plain_insert(&n_merge_base, hub_rows, path);
	snprintf(path, sizeof(path), "%s/plain-all.db", dir);
	t_replay_base = plain_insert(&n_replay_base, all_rows, path);
	t_verify_base = raw_verify(&n_verify_base, ss, nschools, hubrepo);

	/* 5. the table */
	printf("  written: %ld pupils, %ld signals (%ld about a pupil), %ld trends, %ld meetings, %ld cases opened,\n"
	       "  %ld status steps, %ld case edits; %ld syncs sealed %ld bundles, %ld ops (%.1f s to generate,\n"
	       "  untimed below). Phases: the vios binary, homes unlocked by their agent (no Argon2id);\n"
	       "  peak RSS = the phase process's own ru_maxrss. ratio = vios / raw baseline.\n",
	       cnt.pupils, cnt.signals, cnt.about, cnt.trends, cnt.meetings, cnt.opened, cnt.steps, cnt.edits,
	       cnt.syncs, cnt.bundles, cnt.ops, t_gen);
	printf("%-16s %-12s %-10s %-40s %8s  %s\n", "phase", "time", "peak RSS", "raw baseline", "ratio",
	       "targets (merge/replay <= 60 s, verify <= 10 s, RSS < 128 MiB)");
	{
		char b1[64], b2[64], b3[64];
		snprintf(b1, sizeof(b1), "%ld rows into plain SQLite", n_merge_base);
		snprintf(b2, sizeof(b2), "%ld bundles read, raw sig checks", n_verify_base);
		snprintf(b3, sizeof(b3), "%ld rows into plain SQLite", n_replay_base);
		row("hub merge", &merge, t_merge_base, b1, TARGET_MERGE_S);
		row("audit verify", &verify, t_verify_base, b2, TARGET_VERIFY_S);
		row("audit flows", &flows, 0, "", 0);
		row("audit replay", &replay, t_replay_base, b3, TARGET_REPLAY_S);
		row("verify+mandate", &mandate, t_verify_base, b2, 0);
	}
	printf("hub repository: %zu packs before the merge, %zu after (vios_git_repack past %d)\n", packs_before,
	       packs_after, VIOS_GIT_REPACK_PACKS);
	printf("phase logs: %s%s\n", log, made_dir[0] ? " (removed at exit; give --dir to keep them)" : "");

	for (size_t t = 0; t < NTABLES; t++) {
		json_decref(all_rows[t]);
		json_decref(hub_rows[t]);
	}
	for (int s = 0; s < nschools; s++)
		fx_node_dispose(&ss[s].n);
	fx_node_dispose(&aud);
	fx_world_dispose(&w);
	free(all);
	free(ss);
	return merge.ok && verify.ok && flows.ok && replay.ok && mandate.ok ? 0 : 1;
}
