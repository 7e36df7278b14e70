/*
 * test_git.c - the libgit2 layer (sync/git.h): bare repositories made only
 * when asked, commits from in-memory trees that build on the ref's tree,
 * the compare-and-swap that refuses a ref another writer moved meanwhile,
 * ancestry (a descendant against a rewrite), fetch and push between two
 * local repositories, and the bounds on what is inflated: an object's type
 * and size from its header before it is read, regular files only where a
 * file is expected, a fetch that would bring an oversize object or a pack
 * over the fetch bound refused.
 *
 * Each test has its own sandbox directory (fixture.h) holding its
 * repositories, removed afterwards. The compare-and-swap test stands a
 * second writer between vios's read of the ref and its write by wrapping
 * the write of libgit2's own file refdb backend.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <git2/sys/refdb_backend.h>
#include <git2/sys/refs.h>
#include <git2/sys/repository.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sync/git.h"
#include "util/error.h"
#include "util/util.h"

#include "fixture.h"

#define REF "refs/heads/nodes/n1"
#define NAME "vios test"
#define EMAIL "test@vios.invalid"

typedef fx_two_repos sandbox;

static int setup(void **state)
{
	sandbox *sb = calloc(1, sizeof(*sb));

	assert_non_null(sb);
	FX_OK(fx_two_repos_make(sb, "vios-git"));
	*state = sb;
	return 0;
}

static int teardown(void **state)
{
	sandbox *sb = *state;
	fx_two_repos_dispose(sb);
	free(sb);
	return 0;
}

/* Commits one file (path, text) on ref; the new commit's id. */
static git_oid commit1(git_repository *repo, const char *ref, const char *path, const char *text)
{
	vios_git_file f = { path, text, strlen(text) };
	git_oid id;

	FX_OK(vios_git_commit_files(&id, repo, ref, &f, 1, "test commit", NAME, EMAIL));
	return id;
}

static void assert_blob(git_repository *repo, const git_oid *commit, const char *path, const char *want)
{
	uint8_t *data = NULL;
	size_t len = 0;

	FX_OK(vios_git_read_blob(&data, &len, repo, commit, path, 1024));
	assert_int_equal(len, strlen(want));
	assert_string_equal((char *)data, want);
	free(data);
}

static void assert_ref(git_repository *repo, const char *ref, const git_oid *want)
{
	git_oid id;

	FX_OK(vios_git_ref_oid(&id, repo, ref));
	if (!git_oid_equal(&id, want))
		fail_msg("%s is at %s, not at %s", ref, git_oid_tostr_s(&id), git_oid_tostr_s(want));
}

static void test_git_open__makes_a_bare_repository_only_when_asked(void **state)
{
	sandbox *sb = *state;
	git_repository *repo = NULL;

	assert_int_equal(vios_git_open(&repo, sb->a, 0), VIOS_ENOTFOUND);
	assert_null(repo);
	assert_false(vios_path_exists(sb->a));
	FX_OK(vios_git_open(&repo, sb->a, 1));
	assert_true(git_repository_is_bare(repo));
	git_repository_free(repo);
	FX_OK(vios_git_open(&repo, sb->a, 0));
	git_repository_free(repo);
}

static void test_git_commit_files__builds_on_the_refs_tree_and_replaces_same_paths(void **state)
{
	sandbox *sb = *state;
	git_repository *repo = NULL;
	git_commit *c = NULL;
	git_oid first, second, id;
	vios_git_file two[] = { { "dir/b.txt", "b v2", 4 }, { "c.txt", "c", 1 } };
	vios_git_file one[] = { { "a.txt", "a", 1 }, { "dir/b.txt", "b v1", 4 } };
	char **list = NULL;
	size_t n = 0;
	uint8_t *data = NULL;
	size_t len = 0;

	FX_OK(vios_git_open(&repo, sb->a, 1));
	assert_int_equal(vios_git_ref_oid(&id, repo, REF), VIOS_ENOTFOUND);

	/* no ref yet: a root commit, the ref made */
	FX_OK(vios_git_commit_files(&first, repo, REF, one, 2, "first", NAME, EMAIL));
	assert_ref(repo, REF, &first);
	FX_OK(git_commit_lookup(&c, repo, &first));
	assert_int_equal(git_commit_parentcount(c), 0);
	git_commit_free(c);

	/* on top: the other file kept, the same path replaced, a new one added */
	FX_OK(vios_git_commit_files(&second, repo, REF, two, 2, "second", NAME, EMAIL));
	assert_ref(repo, REF, &second);
	FX_OK(git_commit_lookup(&c, repo, &second));
	assert_int_equal(git_commit_parentcount(c), 1);
	assert_true(git_oid_equal(git_commit_parent_id(c, 0), &first));
	git_commit_free(c);
	FX_OK(vios_git_list(&list, &n, repo, &second));
	assert_int_equal(n, 3);
	assert_string_equal(list[0], "a.txt");
	assert_string_equal(list[1], "c.txt");
	assert_string_equal(list[2], "dir/b.txt");
	vios_git_list_free(list, n);
	assert_blob(repo, &second, "a.txt", "a");
	assert_blob(repo, &second, "dir/b.txt", "b v2");
	assert_blob(repo, &first, "dir/b.txt", "b v1");

	/* reads are bounded and name what is missing */
	assert_int_equal(vios_git_read_blob(&data, &len, repo, &second, "dir/b.txt", 3), VIOS_ECORRUPT);
	assert_null(data);
	assert_int_equal(vios_git_read_blob(&data, &len, repo, &second, "nope.txt", 1024), VIOS_ENOTFOUND);
	assert_non_null(strstr(vios_error_last(), "nope.txt"));
	assert_int_equal(vios_git_read_blob(&data, &len, repo, &second, "dir", 1024), VIOS_ECORRUPT);
	git_repository_free(repo);
}

/* ---- a second writer between vios's read of the ref and its write ----------- */

static struct {
	int (*write)(git_refdb_backend *, const git_reference *, int, const git_signature *, const char *,
		     const git_oid *, const char *);
	git_oid other; /* where the other writer moves the ref */
	int armed;
} racer;

static int racing_write(git_refdb_backend *be, const git_reference *ref, int force, const git_signature *who,
			const char *message, const git_oid *old, const char *old_target)
{
	if (racer.armed) {
		git_reference *moved = git_reference__alloc(git_reference_name(ref), &racer.other, NULL);
		int rc;

		racer.armed = 0;
		if (moved == NULL)
			return -1;
		rc = racer.write(be, moved, 1, who, "the other writer", NULL, NULL);
		git_reference_free(moved);
		if (rc < 0)
			return rc;
	}
	return racer.write(be, ref, force, who, message, old, old_target);
}

/* Gives repo a file refdb whose next write is preceded by another writer's. */
static void race_next_write(git_repository *repo, const git_oid *other)
{
	git_refdb *db = NULL;
	git_refdb_backend *be = NULL;

	FX_OK(vios_git_error(git_refdb_new(&db, repo), "refdb"));
	FX_OK(vios_git_error(git_refdb_backend_fs(&be, repo), "refdb backend"));
	racer.write = be->write;
	be->write = racing_write;
	FX_OK(vios_git_error(git_refdb_set_backend(db, be), "refdb backend"));
	FX_OK(vios_git_error(git_repository_set_refdb(repo, db), "refdb"));
	git_refdb_free(db);
	racer.other = *other;
	racer.armed = 1;
}

static void test_git_commit_files__refuses_a_ref_another_writer_moved_meanwhile(void **state)
{
	sandbox *sb = *state;
	git_repository *repo = NULL;
	git_oid base, theirs, mine;
	vios_git_file f = { "a.txt", "mine", 4 };

	FX_OK(vios_git_open(&repo, sb->a, 1));
	base = commit1(repo, REF, "a.txt", "base");
	theirs = commit1(repo, "refs/heads/theirs", "a.txt", "theirs");
	race_next_write(repo, &theirs);
	assert_int_equal(vios_git_commit_files(&mine, repo, REF, &f, 1, "mine", NAME, EMAIL), VIOS_ERROR);
	assert_int_equal(racer.armed, 0);
	assert_non_null(strstr(vios_error_last(), "moved while vios was writing"));
	assert_ref(repo, REF, &theirs); /* the other writer's commit is not lost */

	/* run again, it builds on what is there now */
	FX_OK(vios_git_commit_files(&mine, repo, REF, &f, 1, "mine", NAME, EMAIL));
	assert_ref(repo, REF, &mine);
	{
		int d = -1;
		FX_OK(vios_git_descends(&d, repo, &mine, &theirs));
		assert_int_equal(d, 1);
		FX_OK(vios_git_descends(&d, repo, &mine, &base));
		assert_int_equal(d, 0);
	}
	git_repository_free(repo);
}

static void test_git_descends__a_descendant_yes_a_rewrite_no(void **state)
{
	sandbox *sb = *state;
	git_repository *repo = NULL;
	git_oid c1, c2, c3, rewritten;
	int d = -1;

	FX_OK(vios_git_open(&repo, sb->a, 1));
	c1 = commit1(repo, REF, "a.txt", "1");
	c2 = commit1(repo, REF, "a.txt", "2");
	c3 = commit1(repo, REF, "a.txt", "3");
	FX_OK(vios_git_descends(&d, repo, &c3, &c1));
	assert_int_equal(d, 1);
	FX_OK(vios_git_descends(&d, repo, &c2, &c2));
	assert_int_equal(d, 1); /* a commit counts as its own descendant */
	FX_OK(vios_git_descends(&d, repo, &c1, &c3));
	assert_int_equal(d, 0); /* behind is not after */

	/* history rewritten from c1 on: the new head does not descend from c3 */
	FX_OK(vios_git_set_ref(repo, REF, &c1, "rewind"));
	assert_ref(repo, REF, &c1);
	rewritten = commit1(repo, REF, "a.txt", "2, again");
	FX_OK(vios_git_descends(&d, repo, &rewritten, &c3));
	assert_int_equal(d, 0);
	FX_OK(vios_git_descends(&d, repo, &rewritten, &c2));
	assert_int_equal(d, 0);
	FX_OK(vios_git_descends(&d, repo, &rewritten, &c1));
	assert_int_equal(d, 1);
	git_repository_free(repo);
}

static void test_git_fetch__copies_refs_and_objects_between_local_repositories(void **state)
{
	sandbox *sb = *state;
	git_repository *a = NULL, *b = NULL;
	git_oid c1, c2;
	const char *specs[] = { "+refs/heads/nodes/*:refs/vios/incoming/nodes/*" };
	char nowhere[FX_PATH + 32];

	FX_OK(vios_git_open(&a, sb->a, 1));
	FX_OK(vios_git_open(&b, sb->b, 1));
	c1 = commit1(a, REF, "a.txt", "one");
	FX_OK(vios_git_fetch(b, sb->a, specs, 1));
	assert_ref(b, "refs/vios/incoming/nodes/n1", &c1);
	assert_blob(b, &c1, "a.txt", "one");

	/* again after a new commit: the incoming ref follows */
	c2 = commit1(a, REF, "a.txt", "two");
	FX_OK(vios_git_fetch(b, sb->a, specs, 1));
	assert_ref(b, "refs/vios/incoming/nodes/n1", &c2);
	assert_blob(b, &c2, "a.txt", "two");
	/* an anonymous remote: nothing written to b's config */
	{
		git_strarray remotes = { 0 };
		FX_OK(vios_git_error(git_remote_list(&remotes, b), "remotes"));
		assert_int_equal(remotes.count, 0);
		git_strarray_dispose(&remotes);
	}

	/* from a path that is no repository: an error naming it */
	FX_OK(vios_snprintf(nowhere, sizeof(nowhere), "%s/nowhere.git", sb->w.dir));
	assert_int_equal(vios_git_fetch(b, nowhere, specs, 1), VIOS_ERROR);
	assert_non_null(strstr(vios_error_last(), "nowhere.git"));
	git_repository_free(a);
	git_repository_free(b);
}

/* ---- bounded reads: the header first, regular files only --------------------- */

/* A commit on ref whose root tree holds ok.txt ("ok"), big.bin (bytes of
 * zeros), link (a symlink to ok.txt), sub (a submodule link) and dir/ok.txt;
 * the ids of big.bin and of the tree to *big and *tree. */
static git_oid odd_commit(git_repository *repo, const char *ref, size_t bytes, git_oid *big, git_oid *tree)
{
	git_treebuilder *tb = NULL, *sub = NULL;
	git_signature *sig = NULL;
	git_tree *t = NULL;
	git_oid ok, dir, id;
	uint8_t *zeros = calloc(1, bytes);

	assert_non_null(zeros);
	FX_OK(vios_git_error(git_blob_create_from_buffer(&ok, repo, "ok", 2), "blob"));
	FX_OK(vios_git_error(git_blob_create_from_buffer(big, repo, zeros, bytes), "blob"));
	free(zeros);
	FX_OK(vios_git_error(git_treebuilder_new(&sub, repo, NULL), "tb"));
	FX_OK(vios_git_error(git_treebuilder_insert(NULL, sub, "ok.txt", &ok, GIT_FILEMODE_BLOB), "tb"));
	FX_OK(vios_git_error(git_treebuilder_write(&dir, sub), "tb"));
	FX_OK(vios_git_error(git_treebuilder_new(&tb, repo, NULL), "tb"));
	FX_OK(vios_git_error(git_treebuilder_insert(NULL, tb, "ok.txt", &ok, GIT_FILEMODE_BLOB), "tb"));
	FX_OK(vios_git_error(git_treebuilder_insert(NULL, tb, "big.bin", big, GIT_FILEMODE_BLOB), "tb"));
	FX_OK(vios_git_error(git_treebuilder_insert(NULL, tb, "link", &ok, GIT_FILEMODE_LINK), "tb"));
	FX_OK(vios_git_error(git_treebuilder_insert(NULL, tb, "sub", &ok, GIT_FILEMODE_COMMIT), "tb"));
	FX_OK(vios_git_error(git_treebuilder_insert(NULL, tb, "dir", &dir, GIT_FILEMODE_TREE), "tb"));
	FX_OK(vios_git_error(git_treebuilder_write(tree, tb), "tb"));
	FX_OK(vios_git_error(git_tree_lookup(&t, repo, tree), "tree"));
	FX_OK(vios_git_error(git_signature_now(&sig, NAME, EMAIL), "sig"));
	FX_OK(vios_git_error(git_commit_create(&id, repo, ref, sig, sig, NULL, "odd", t, 0, NULL), "commit"));
	git_signature_free(sig);
	git_tree_free(t);
	git_treebuilder_free(tb);
	git_treebuilder_free(sub);
	return id;
}

static void test_git_read_object__refuses_a_wrong_type_or_an_oversize_object_unread(void **state)
{
	sandbox *sb = *state;
	git_repository *repo = NULL;
	git_oid c, big, tree;
	uint8_t *data = NULL;
	size_t len = 0;

	FX_OK(vios_git_open(&repo, sb->a, 1));
	c = odd_commit(repo, REF, 100000, &big, &tree);

	/* within the bound, the right type: read, NUL-terminated */
	FX_OK(vios_git_read_object(&data, &len, repo, &big, GIT_OBJECT_BLOB, 100000, "big.bin"));
	assert_int_equal(len, 100000);
	assert_int_equal(data[len], 0);
	free(data);
	data = NULL;
	FX_OK(vios_git_check_object(repo, &c, GIT_OBJECT_COMMIT, 4096, "a commit"));

	/* one byte over: refused by its header, naming what and the object */
	assert_int_equal(vios_git_read_object(&data, &len, repo, &big, GIT_OBJECT_BLOB, 99999, "big.bin"), VIOS_ECORRUPT);
	assert_null(data);
	assert_int_equal(len, 0);
	assert_non_null(strstr(vios_error_last(), "big.bin"));
	assert_non_null(strstr(vios_error_last(), "100000 bytes"));
	{
		char hex[13];
		git_oid_tostr(hex, sizeof(hex), &big);
		assert_non_null(strstr(vios_error_last(), hex));
	}
	assert_int_equal(vios_git_read_blob(&data, &len, repo, &c, "big.bin", 1024), VIOS_ECORRUPT);
	assert_null(data);
	assert_non_null(strstr(vios_error_last(), "big.bin"));

	/* a tree or a commit where a blob is expected, and the other way round */
	assert_int_equal(vios_git_read_object(&data, &len, repo, &tree, GIT_OBJECT_BLOB, 1 << 20, "x"), VIOS_ECORRUPT);
	assert_non_null(strstr(vios_error_last(), "tree"));
	assert_int_equal(vios_git_read_object(&data, &len, repo, &c, GIT_OBJECT_BLOB, 1 << 20, "x"), VIOS_ECORRUPT);
	assert_int_equal(vios_git_check_object(repo, &big, GIT_OBJECT_COMMIT, 1 << 20, "x"), VIOS_ECORRUPT);
	assert_null(data);
	git_repository_free(repo);
}

static void test_git_lookups__check_the_header_before_libgit2_inflates(void **state)
{
	sandbox *sb = *state;
	git_repository *repo = NULL;
	git_commit *commit = NULL;
	git_tree *t = NULL;
	git_oid c, big, tree;

	FX_OK(vios_git_open(&repo, sb->a, 1));
	c = odd_commit(repo, REF, 100000, &big, &tree);

	FX_OK(vios_git_commit_lookup(&commit, repo, &c));
	git_commit_free(commit);
	FX_OK(vios_git_commit_tree(&t, repo, &c));
	assert_true(git_oid_equal(git_tree_id(t), &tree));
	git_tree_free(t);
	FX_OK(vios_git_tree_lookup(&t, repo, &tree, "root"));
	git_tree_free(t);

	/* the wrong type is refused by the header, naming what, *out NULL */
	commit = (git_commit *)1;
	assert_int_equal(vios_git_commit_lookup(&commit, repo, &tree), VIOS_ECORRUPT);
	assert_null(commit);
	assert_non_null(strstr(vios_error_last(), "is a tree, not a commit"));
	t = (git_tree *)1;
	assert_int_equal(vios_git_tree_lookup(&t, repo, &big, "bundles"), VIOS_ECORRUPT);
	assert_null(t);
	assert_non_null(strstr(vios_error_last(), "bundles: object"));
	assert_int_equal(vios_git_commit_tree(&t, repo, &big), VIOS_ECORRUPT);
	assert_null(t);
	git_repository_free(repo);
}

static void test_git_read_blob__refuses_a_symlink_a_submodule_link_or_a_directory(void **state)
{
	sandbox *sb = *state;
	git_repository *repo = NULL;
	git_oid c, big, tree;
	uint8_t *data = NULL;
	size_t len = 0;
	char **list = NULL;
	size_t n = 0;

	FX_OK(vios_git_open(&repo, sb->a, 1));
	c = odd_commit(repo, REF, 10, &big, &tree);
	assert_blob(repo, &c, "ok.txt", "ok");
	assert_blob(repo, &c, "dir/ok.txt", "ok");

	/* a symlink to a good file is not followed, nor read as the file */
	assert_int_equal(vios_git_read_blob(&data, &len, repo, &c, "link", 1024), VIOS_ECORRUPT);
	assert_non_null(strstr(vios_error_last(), "link is a symbolic link"));
	assert_int_equal(vios_git_read_blob(&data, &len, repo, &c, "sub", 1024), VIOS_ECORRUPT);
	assert_non_null(strstr(vios_error_last(), "sub is a submodule link"));
	assert_int_equal(vios_git_read_blob(&data, &len, repo, &c, "dir", 1024), VIOS_ECORRUPT);
	assert_non_null(strstr(vios_error_last(), "dir is a directory"));
	/* nor walked through */
	assert_int_equal(vios_git_read_blob(&data, &len, repo, &c, "link/x", 1024), VIOS_ECORRUPT);
	assert_int_equal(vios_git_read_blob(&data, &len, repo, &c, "ok.txt/x", 1024), VIOS_ENOTFOUND);
	assert_int_equal(vios_git_read_blob(&data, &len, repo, &c, "dir/nope", 1024), VIOS_ENOTFOUND);
	assert_null(data);

	/* listing the tree refuses it rather than skipping the odd entries */
	assert_int_equal(vios_git_list(&list, &n, repo, &c), VIOS_ECORRUPT);
	assert_null(list);
	assert_int_equal(n, 0);
	git_repository_free(repo);
}

static void test_git_fetch__refuses_an_oversize_object_or_pack_before_fetching_it(void **state)
{
	sandbox *sb = *state;
	git_repository *a = NULL, *b = NULL;
	git_oid c1, big, id;
	const char *specs[] = { "+refs/heads/nodes/*:refs/vios/incoming/nodes/*" };
	const char *other[] = { "+refs/heads/other:refs/vios/other" };
	char url[FX_PATH + 32], path[FX_PATH + 32];
	FILE *f;

	FX_OK(vios_git_open(&a, sb->a, 1));
	FX_OK(vios_git_open(&b, sb->b, 1));
	c1 = commit1(a, REF, "a.txt", "one");

	/* a pack over the fetch bound: the transfer stops, nothing arrives */
	vios_git_set_fetch_max(16);
	assert_int_equal(vios_git_fetch(b, sb->a, specs, 1), VIOS_ECORRUPT);
	assert_non_null(strstr(vios_error_last(), "fetch bound"));
	assert_int_equal(vios_git_ref_oid(&id, b, "refs/vios/incoming/nodes/n1"), VIOS_ENOTFOUND);
	vios_git_set_fetch_max(0);
	FX_OK(vios_git_fetch(b, sb->a, specs, 1));
	assert_ref(b, "refs/vios/incoming/nodes/n1", &c1);

	/* a blob over VIOS_GIT_OBJECT_MAX (sparse on disk, streamed into git by
	 * libgit2): refused by its header before the local transport packs it,
	 * from a path and from a file:// URL */
	FX_OK(vios_snprintf(path, sizeof(path), "%s/big", sb->w.dir));
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(ftruncate(fileno(f), (off_t)VIOS_GIT_OBJECT_MAX + 1), 0);
	fclose(f);
	FX_OK(vios_git_error(git_blob_create_from_disk(&big, a, path), "blob"));
	{
		git_treebuilder *tb = NULL;
		git_signature *sig = NULL;
		git_tree *t = NULL;
		git_oid tree;
		FX_OK(vios_git_error(git_treebuilder_new(&tb, a, NULL), "tb"));
		FX_OK(vios_git_error(git_treebuilder_insert(NULL, tb, "big.bin", &big, GIT_FILEMODE_BLOB), "tb"));
		FX_OK(vios_git_error(git_treebuilder_write(&tree, tb), "tb"));
		FX_OK(vios_git_error(git_tree_lookup(&t, a, &tree), "tree"));
		FX_OK(vios_git_error(git_signature_now(&sig, NAME, EMAIL), "sig"));
		FX_OK(vios_git_error(git_commit_create(&id, a, "refs/heads/other", sig, sig, NULL, "big", t, 0, NULL), "c"));
		git_signature_free(sig);
		git_tree_free(t);
		git_treebuilder_free(tb);
	}
	assert_int_equal(vios_git_fetch(b, sb->a, other, 1), VIOS_ECORRUPT);
	assert_non_null(strstr(vios_error_last(), "big.bin on refs/heads/other"));
	assert_int_equal(vios_git_ref_oid(&id, b, "refs/vios/other"), VIOS_ENOTFOUND);
	{
		git_odb *odb = NULL;
		FX_OK(vios_git_error(git_repository_odb(&odb, b), "odb"));
		assert_false(git_odb_exists(odb, &big));
		git_odb_free(odb);
	}
	FX_OK(vios_snprintf(url, sizeof(url), "file://%s", sb->a));
	assert_int_equal(vios_git_fetch(b, url, other, 1), VIOS_ECORRUPT);
	/* the node refs beside it still fetch */
	FX_OK(vios_git_fetch(b, url, specs, 1));
	git_repository_free(a);
	git_repository_free(b);
}

static void test_git_push__fast_forwards_and_refuses_a_rewrite(void **state)
{
	sandbox *sb = *state;
	git_repository *a = NULL, *b = NULL;
	git_oid c1, c2;
	const char *specs[] = { REF ":" REF };

	FX_OK(vios_git_open(&a, sb->a, 1));
	FX_OK(vios_git_open(&b, sb->b, 1));
	c1 = commit1(a, REF, "a.txt", "one");
	FX_OK(vios_git_push(a, sb->b, specs, 1));
	assert_ref(b, REF, &c1);
	c2 = commit1(a, REF, "a.txt", "two");
	FX_OK(vios_git_push(a, sb->b, specs, 1));
	assert_ref(b, REF, &c2);

	/* a history that does not descend from what the remote holds */
	FX_OK(vios_git_set_ref(a, REF, &c1, "rewind"));
	commit1(a, REF, "a.txt", "two, rewritten");
	assert_int_equal(vios_git_push(a, sb->b, specs, 1), VIOS_EVERIFY);
	assert_non_null(strstr(vios_error_last(), "non-fastforward"));
	assert_ref(b, REF, &c2);
	git_repository_free(a);
	git_repository_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_git_open__makes_a_bare_repository_only_when_asked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_git_commit_files__builds_on_the_refs_tree_and_replaces_same_paths,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_git_commit_files__refuses_a_ref_another_writer_moved_meanwhile,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_git_descends__a_descendant_yes_a_rewrite_no, setup, teardown),
		cmocka_unit_test_setup_teardown(test_git_fetch__copies_refs_and_objects_between_local_repositories,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_git_push__fast_forwards_and_refuses_a_rewrite, setup, teardown),
		cmocka_unit_test_setup_teardown(test_git_read_object__refuses_a_wrong_type_or_an_oversize_object_unread,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_git_lookups__check_the_header_before_libgit2_inflates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_git_read_blob__refuses_a_symlink_a_submodule_link_or_a_directory,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_git_fetch__refuses_an_oversize_object_or_pack_before_fetching_it,
						setup, teardown),
	};
	if (sodium_init() < 0 || vios_git_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("git", tests, NULL, NULL);
}
