/*
 * test_repack.c - vios_git_repack (sync/git.h) on real repositories: a
 * repository pushed to commit by commit (one pack per push, as a hub's
 * schools leave it) is rolled up past the threshold into one pack holding
 * every object it held, reachable or not, loose ones too; under the
 * threshold nothing is touched; a large pack that is at least twice the
 * rest stays while the small ones roll up (geometric); pushes landing
 * while it rolls up, again and again, lose nothing. And
 * vios_git_config_nodelta: the key set once, a fetch from the repository
 * still brings every object.
 *
 * Each test has its own sandbox (fixture.h): DIR/a.git receives the pushes
 * from DIR/b.git.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sync/git.h"
#include "util/error.h"
#include "util/util.h"

#include "fixture.h"

#define REF "refs/heads/nodes/n1"
#define NAME "vios test"
#define EMAIL "test@vios.invalid"

typedef struct {
	fx_two_repos r;
	char packs[FX_PATH + 32]; /* a's objects/pack */
} sandbox;

static int setup(void **state)
{
	sandbox *sb = calloc(1, sizeof(*sb));

	assert_non_null(sb);
	FX_OK(fx_two_repos_make(&sb->r, "vios-repack"));
	FX_OK(vios_snprintf(sb->packs, sizeof(sb->packs), "%s/objects/pack", sb->r.a));
	*state = sb;
	return 0;
}

static int teardown(void **state)
{
	sandbox *sb = *state;
	fx_two_repos_dispose(&sb->r);
	free(sb);
	return 0;
}

/* n commits from `from` on, each pushed from b to a: 0, or the first error
 * (no cmocka assert: a forked child calls it too) */
static int push_some(git_repository *b, const char *a, int from, int n)
{
	static const char *const spec[] = { REF ":" REF };
	char path[64], data[256];
	int error;

	for (int i = from; i < from + n; i++) {
		vios_git_file f = { path, data, 0 };
		git_oid id;
		snprintf(path, sizeof(path), "bundles/%08d.age", i);
		/* a few hundred bytes that do not compress to nothing, as a bundle */
		for (size_t k = 0; k < sizeof(data); k++)
			data[k] = (char)((i * 131 + (int)k * 7919) % 251);
		f.len = sizeof(data);
		if ((error = vios_git_commit_files(&id, b, REF, &f, 1, "bundle", NAME, EMAIL)) < 0 ||
		    (error = vios_git_push(b, a, spec, 1)) < 0)
			return error;
	}
	return 0;
}

static void push_commits(git_repository *b, const char *a, int from, int n)
{
	FX_OK(push_some(b, a, from, n));
}

/* The .pack files of dir, by name, newline-separated, into buf. */
static size_t list_packs(char *buf, size_t size, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0, used = 0;

	assert_non_null(d);
	buf[0] = 0;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len > 5 && !strcmp(e->d_name + len - 5, ".pack")) {
			int k = snprintf(buf + used, size - used, "%s\n", e->d_name);
			assert_true(k > 0 && (size_t)k < size - used);
			used += (size_t)k;
			n++;
		}
	}
	closedir(d);
	return n;
}

typedef struct {
	git_oid *ids;
	size_t n, cap;
} oids;

static int collect(const git_oid *id, void *payload)
{
	oids *o = payload;

	if (o->n == o->cap) {
		o->cap = o->cap ? 2 * o->cap : 256;
		o->ids = realloc(o->ids, o->cap * sizeof(*o->ids));
		assert_non_null(o->ids);
	}
	o->ids[o->n++] = *id;
	return 0;
}

/* Every object of the repository at path, by a fresh handle. */
static void all_objects(oids *out, const char *path)
{
	git_repository *r = NULL;
	git_odb *odb = NULL;

	memset(out, 0, sizeof(*out));
	FX_OK(vios_git_open(&r, path, 0));
	assert_int_equal(git_repository_odb(&odb, r), 0);
	assert_int_equal(git_odb_foreach(odb, collect, out), 0);
	git_odb_free(odb);
	git_repository_free(r);
}

/* Each of ids reads whole from the repository at path (a fresh handle). */
static void assert_readable(const char *path, const oids *ids)
{
	git_repository *r = NULL;
	git_odb *odb = NULL;

	FX_OK(vios_git_open(&r, path, 0));
	assert_int_equal(git_repository_odb(&odb, r), 0);
	for (size_t i = 0; i < ids->n; i++) {
		git_odb_object *o = NULL;
		assert_int_equal(git_odb_read(&o, odb, &ids->ids[i]), 0);
		git_odb_object_free(o);
	}
	git_odb_free(odb);
	git_repository_free(r);
}

/* Walks ref's history in the repository at path (want commits, the k-th
 * from the tip holding want - k files), reading every commit, tree and file. */
static void assert_history_whole(const char *path, size_t want)
{
	size_t got = 0, *n = &got;
	git_repository *r = NULL;
	git_revwalk *walk = NULL;
	git_oid id;

	*n = 0;
	FX_OK(vios_git_open(&r, path, 0));
	assert_int_equal(git_revwalk_new(&walk, r), 0);
	assert_int_equal(git_revwalk_push_ref(walk, REF), 0);
	while (git_revwalk_next(&id, walk) == 0) {
		char **files = NULL;
		size_t nf = 0;
		git_commit *c = NULL;
		FX_OK(vios_git_commit_lookup(&c, r, &id));
		git_commit_free(c);
		FX_OK(vios_git_list(&files, &nf, r, &id));
		for (size_t i = 0; i < nf; i++) {
			uint8_t *data = NULL;
			size_t len;
			FX_OK(vios_git_read_blob(&data, &len, r, &id, files[i], 1 << 20));
			free(data);
		}
		assert_int_equal(nf, want - *n); /* the commit of bundle k holds bundles 0..k */
		vios_git_list_free(files, nf);
		(*n)++;
	}
	assert_int_equal(got, want);
	git_revwalk_free(walk);
	git_repository_free(r);
}

static void test_repack__under_the_threshold_touches_nothing(void **state)
{
	sandbox *sb = *state;
	git_repository *a = NULL, *b = NULL;
	vios_git_repack_report rep;
	char before[8192], after[8192];

	FX_OK(vios_git_open(&a, sb->r.a, 1));
	FX_OK(vios_git_open(&b, sb->r.b, 1));
	push_commits(b, sb->r.a, 0, 5);
	assert_int_equal(list_packs(before, sizeof(before), sb->packs), 5);
	FX_OK(vios_git_repack(&rep, a, 5));
	assert_int_equal(rep.packs, 5);
	assert_int_equal(rep.rolled, 0);
	assert_int_equal(rep.left, 5);
	assert_int_equal(list_packs(after, sizeof(after), sb->packs), 5);
	assert_string_equal(before, after);
	git_repository_free(a);
	git_repository_free(b);
}

static void test_repack__rolls_up_every_object_reachable_or_not(void **state)
{
	sandbox *sb = *state;
	git_repository *a = NULL, *b = NULL;
	git_odb *odb = NULL;
	vios_git_repack_report rep;
	git_oid stray;
	oids before, after;
	char names[8192];

	FX_OK(vios_git_open(&a, sb->r.a, 1));
	FX_OK(vios_git_open(&b, sb->r.b, 1));
	push_commits(b, sb->r.a, 0, 12);
	/* a loose object no ref reaches: copied all the same */
	assert_int_equal(git_repository_odb(&odb, a), 0);
	assert_int_equal(git_odb_write(&stray, odb, "no ref reaches me", 17, GIT_OBJECT_BLOB), 0);
	git_odb_free(odb);
	all_objects(&before, sb->r.a);
	FX_OK(vios_git_repack(&rep, a, 4));
	assert_int_equal(rep.packs, 12);
	assert_int_equal(rep.rolled, 12);
	assert_true(rep.loose >= 1);
	assert_int_equal(rep.objects, before.n);
	assert_int_equal(rep.left, 1);
	assert_int_equal(list_packs(names, sizeof(names), sb->packs), 1);
	assert_readable(sb->r.a, &before);
	all_objects(&after, sb->r.a);
	assert_int_equal(after.n, before.n); /* and no loose copy is left beside the pack */
	assert_history_whole(sb->r.a, 12);
	/* a second call has nothing to do */
	FX_OK(vios_git_repack(&rep, a, 4));
	assert_int_equal(rep.rolled, 0);
	free(before.ids);
	free(after.ids);
	git_repository_free(a);
	git_repository_free(b);
}

static void test_repack__keeps_a_large_pack_and_rolls_up_the_small_ones(void **state)
{
	sandbox *sb = *state;
	git_repository *a = NULL, *b = NULL;
	vios_git_repack_report rep;
	char big[8192], now[8192];
	oids all;

	FX_OK(vios_git_open(&a, sb->r.a, 1));
	FX_OK(vios_git_open(&b, sb->r.b, 1));
	push_commits(b, sb->r.a, 0, 40);
	FX_OK(vios_git_repack(&rep, a, 4));
	assert_int_equal(list_packs(big, sizeof(big), sb->packs), 1);
	git_repository_free(a);
	FX_OK(vios_git_open(&a, sb->r.a, 0));
	push_commits(b, sb->r.a, 40, 5);
	FX_OK(vios_git_repack(&rep, a, 4));
	assert_int_equal(rep.packs, 6);
	assert_int_equal(rep.rolled, 5); /* the 40 commits' pack is more than twice the 5 */
	assert_int_equal(rep.left, 2);
	assert_int_equal(list_packs(now, sizeof(now), sb->packs), 2);
	big[strlen(big) - 1] = 0;
	assert_non_null(strstr(now, big));
	all_objects(&all, sb->r.a);
	assert_readable(sb->r.a, &all);
	free(all.ids);
	git_repository_free(a);
	git_repository_free(b);
}

static void test_repack__pushes_landing_meanwhile_lose_nothing(void **state)
{
	sandbox *sb = *state;
	git_repository *a = NULL, *b = NULL;
	vios_git_repack_report rep;
	int status = 0, rounds = 0, rolled = 0;
	pid_t pid;

	FX_OK(vios_git_open(&a, sb->r.a, 1));
	FX_OK(vios_git_open(&b, sb->r.b, 1));
	push_commits(b, sb->r.a, 0, 3);
	git_repository_free(a);
	git_repository_free(b);
	if ((pid = fork()) == 0) {
		/* the school: 60 more pushes, each its own pack */
		git_repository *c = NULL;
		if (vios_git_open(&c, sb->r.b, 0) < 0 || push_some(c, sb->r.a, 3, 60) < 0)
			_exit(2);
		git_repository_free(c);
		_exit(0);
	}
	assert_true(pid > 0);
	/* the hub: roll up again and again while they land */
	while (waitpid(pid, &status, WNOHANG) == 0) {
		FX_OK(vios_git_open(&a, sb->r.a, 0));
		FX_OK(vios_git_repack(&rep, a, 2));
		git_repository_free(a);
		rounds++;
		rolled += rep.rolled > 0;
	}
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(rolled >= 2);
	FX_OK(vios_git_open(&a, sb->r.a, 0));
	FX_OK(vios_git_repack(&rep, a, 2));
	git_repository_free(a);
	assert_history_whole(sb->r.a, 63);
	print_message("    %d roll-ups while 60 pushes landed (%d with something rolled)\n", rounds, rolled);
}

static void test_git_config_nodelta__sets_the_key_once_and_fetches_still_work(void **state)
{
	sandbox *sb = *state;
	static const char *const spec[] = { "+" REF ":" REF };
	git_repository *a = NULL, *b = NULL, *c = NULL;
	git_config *cfg = NULL;
	char dir[FX_PATH + 16];
	int64_t v = 0;

	FX_OK(vios_git_open(&a, sb->r.a, 1));
	FX_OK(vios_git_open(&b, sb->r.b, 1));
	push_commits(b, sb->r.a, 0, 6);
	FX_OK(vios_git_config_nodelta(a));
	FX_OK(vios_git_config_nodelta(a)); /* again: nothing to change */
	git_repository_free(a);
	FX_OK(vios_git_open(&a, sb->r.a, 0));
	assert_int_equal(git_repository_config_snapshot(&cfg, a), 0);
	assert_int_equal(git_config_get_int64(&v, cfg, "pack.deltaCacheSize"), 0);
	assert_int_equal(v, 1);
	git_config_free(cfg);
	/* a fetch from it (libgit2's local transport builds the pack) brings everything */
	FX_OK(vios_snprintf(dir, sizeof(dir), "%s/c.git", sb->r.w.dir));
	FX_OK(vios_git_open(&c, dir, 1));
	FX_OK(vios_git_fetch(c, sb->r.a, spec, 1));
	git_repository_free(c);
	assert_history_whole(dir, 6);
	git_repository_free(a);
	git_repository_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_repack__under_the_threshold_touches_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repack__rolls_up_every_object_reachable_or_not, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repack__keeps_a_large_pack_and_rolls_up_the_small_ones, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_repack__pushes_landing_meanwhile_lose_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_git_config_nodelta__sets_the_key_once_and_fetches_still_work, setup,
						teardown),
	};
	if (sodium_init() < 0 || vios_git_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("repack", tests, NULL, NULL);
}
