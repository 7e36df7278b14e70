/*
 * git.c - see git.h.
 */
#include "sync/git.h"
#include "sync/cred.h"
#include "util/error.h"
#include "util/fault.h"
#include "util/util.h"

#include <git2/sys/config.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* libgit2's message for its last failure: the one place it is read. */
static const char *git_message(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "git error";
}

int vios_git_error(int rc, const char *what)
{
	const char *msg = git_message();

	assert(what != NULL);
	if (rc >= 0)
		return 0;
	if (rc == GIT_ENOTFOUND) {
		vios_error_set(VIOS_ERR_GIT, "%s: not found", what);
		return VIOS_ENOTFOUND;
	}
	vios_error_set(VIOS_ERR_GIT, "%s: %s", what, msg);
	return VIOS_ERROR;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_rc;

/*
 * libgit2's memory, bounded for every repository vios opens (the audit's
 * mirror reads a whole hub's history, object by object): its object cache
 * holds at most GIT_CACHE_MAX bytes (libgit2's default is 256 MiB; vios
 * reads each commit, tree and blob once or twice, so a small cache loses
 * little), and pack files are mapped in windows of GIT_WINDOW_SIZE, at most
 * GIT_MAPPED_LIMIT at a time (the defaults on 64-bit, 1 GiB and 8 GiB, let
 * the mapped and touched pages of every pack read stay resident).
 */
#define GIT_CACHE_MAX (8 << 20)
#define GIT_WINDOW_SIZE (4 << 20)
#define GIT_MAPPED_LIMIT (16 << 20)

static void init_once(void)
{
	if ((init_rc = git_libgit2_init()) < 0)
		return;
	if ((init_rc = git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)GIT_CACHE_MAX)) < 0 ||
	    (init_rc = git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)GIT_WINDOW_SIZE)) < 0 ||
	    (init_rc = git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)GIT_MAPPED_LIMIT)) < 0 ||
	    /* libgit2 would read the header of every object a new tree or commit
	     * names (a node's whole outbox directory on each bundle's commit);
	     * vios writes those objects itself, and reads what others pushed
	     * through vios_git_check_object */
	    (init_rc = git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 0)) < 0)
		return;
}

int vios_git_init(void)
{
	pthread_once(&once, init_once);
	return init_rc < 0 ? vios_git_error(init_rc, "initialising libgit2") : 0;
}

int vios_git_open(git_repository **out, const char *path, int create)
{
	int rc, error;

	assert(out != NULL && path != NULL);
	*out = NULL;
	if ((error = vios_git_init()) < 0)
		return error;
	rc = git_repository_open_bare(out, path);
	if (rc == GIT_ENOTFOUND && create) {
		git_repository_init_options opts;
		git_repository_init_options_init(&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
		opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
		opts.initial_head = "registry";
		rc = git_repository_init_ext(out, path, &opts);
	}
	if (rc == GIT_ENOTFOUND) {
		vios_error_set(VIOS_ERR_GIT, "%s is not a git repository", path);
		return VIOS_ENOTFOUND;
	}
	return vios_git_error(rc, path);
}

int vios_git_ref_oid(git_oid *out, git_repository *repo, const char *ref)
{
	int rc;

	assert(out != NULL && repo != NULL && ref != NULL);
	rc = git_reference_name_to_id(out, repo, ref);
	if (rc == GIT_ENOTFOUND) {
		vios_error_set(VIOS_ERR_GIT, "no ref %s", ref);
		return VIOS_ENOTFOUND;
	}
	return vios_git_error(rc, ref);
}

int vios_git_commit_files_on(git_oid *out, git_repository *repo, const git_oid *parent,
			     const vios_git_file *files, size_t n, const char *message,
			     const char *name, const char *email)
{
	git_index *index = NULL;
	git_commit *pc = NULL;
	git_tree *tree = NULL;
	git_signature *sig = NULL;
	git_oid tree_id;
	int rc = 0, error;

	assert(out != NULL && repo != NULL && (files != NULL || n == 0));
	assert(message != NULL && name != NULL && email != NULL);
	if ((rc = git_index_new(&index)) < 0)
		goto done;
	if (parent) {
		git_tree *old = NULL;
		if ((error = vios_git_commit_lookup(&pc, repo, parent)) < 0 ||
		    (error = vios_git_tree_lookup(&old, repo, git_commit_tree_id(pc), message)) < 0)
			goto out;
		rc = git_index_read_tree(index, old);
		git_tree_free(old);
		if (rc < 0)
			goto done;
	}
	for (size_t i = 0; i < n; i++) {
		git_index_entry e;
		assert(files[i].path != NULL && (files[i].data != NULL || files[i].len == 0));
		memset(&e, 0, sizeof(e));
		if ((rc = git_blob_create_from_buffer(&e.id, repo, files[i].data, files[i].len)) < 0)
			goto done;
		e.mode = GIT_FILEMODE_BLOB;
		e.path = files[i].path;
		e.file_size = (uint32_t)files[i].len;
		if ((rc = git_index_add(index, &e)) < 0)
			goto done;
	}
	if ((rc = git_index_write_tree_to(&tree_id, index, repo)) < 0 ||
	    (rc = git_tree_lookup(&tree, repo, &tree_id)) < 0 ||
	    (rc = git_signature_now(&sig, name, email)) < 0)
		goto done;
	{
		const git_commit *parents[1] = { pc };
		rc = git_commit_create(out, repo, NULL, sig, sig, "UTF-8", message, tree, pc ? 1 : 0, parents);
	}
done:
	/* the commit's message names what it holds ("vios bundle 12", a registry version) */
	error = vios_git_error(rc, message);
out:
	git_signature_free(sig);
	git_tree_free(tree);
	git_commit_free(pc);
	git_index_free(index);
	return error;
}

int vios_git_ref_move(git_repository *repo, const char *ref, const git_oid *from, const git_oid *to,
		      const char *message)
{
	git_reference *newref = NULL;
	int rc;

	assert(repo != NULL && ref != NULL && to != NULL && message != NULL);
	if (from)
		rc = git_reference_create_matching(&newref, repo, ref, to, 1, from, message);
	else
		rc = git_reference_create(&newref, repo, ref, to, 0, message);
	git_reference_free(newref);
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS) {
		vios_error_set(VIOS_ERR_GIT, "%s moved while vios was writing to it; run the command again", ref);
		return VIOS_ERROR;
	}
	return vios_git_error(rc, ref);
}

int vios_git_commit_files(git_oid *out, git_repository *repo, const char *ref,
			  const vios_git_file *files, size_t n, const char *message,
			  const char *name, const char *email)
{
	git_oid head;
	int have_head = 0, error;

	assert(out != NULL && repo != NULL && ref != NULL);
	if ((error = vios_git_ref_oid(&head, repo, ref)) == 0)
		have_head = 1;
	else if (error != VIOS_ENOTFOUND)
		return error;
	if ((error = vios_git_commit_files_on(out, repo, have_head ? &head : NULL, files, n, message, name, email)) < 0 ||
	    (error = vios_git_sync(repo)) < 0 ||
	    (error = vios_git_ref_move(repo, ref, have_head ? &head : NULL, out, message)) < 0)
		return error;
	return vios_git_sync(repo);
}

int vios_git_sync(git_repository *repo)
{
	const char *path;
	int fd, rc;

	assert(repo != NULL);
	path = git_repository_path(repo);
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return vios_error_os("cannot open %s", path);
	rc = syncfs(fd);
	close(fd);
	return rc < 0 ? vios_error_os("cannot sync %s", path) : 0;
}

static const char *type_word(git_object_t t)
{
	switch (t) {
	case GIT_OBJECT_BLOB: return "file";
	case GIT_OBJECT_TREE: return "directory";
	case GIT_OBJECT_COMMIT: return "commit";
	case GIT_OBJECT_TAG: return "tag";
	default: return "object";
	}
}

/* Header check against an odb; object names `what` in the error. */
static int check_header(git_odb *odb, const git_oid *oid, git_object_t type, size_t max, const char *what)
{
	char hex[13];
	size_t size = 0;
	git_object_t got = GIT_OBJECT_INVALID;
	int rc;

	git_oid_tostr(hex, sizeof(hex), oid);
	if ((rc = git_odb_read_header(&size, &got, odb, oid)) < 0) {
		if (rc == GIT_ENOTFOUND) {
			vios_error_set(VIOS_ERR_GIT, "%s: object %s is missing", what, hex);
			return VIOS_ENOTFOUND;
		}
		return vios_git_error(rc, what);
	}
	if (got != type) {
		vios_error_set(VIOS_ERR_GIT, "%s: object %s is a %s, not a %s", what, hex, git_object_type2string(got),
			       git_object_type2string(type));
		return VIOS_ECORRUPT;
	}
	if (size > max) {
		vios_error_set(VIOS_ERR_GIT, "%s: %s %s is %zu bytes, more than the %zu vios reads there: refused unread",
			       what, type_word(type), hex, size, max);
		return VIOS_ECORRUPT;
	}
	return 0;
}

int vios_git_check_object(git_repository *repo, const git_oid *oid, git_object_t type, size_t max,
			  const char *what)
{
	git_odb *odb = NULL;
	int rc, error;

	assert(repo != NULL && oid != NULL && what != NULL);
	if ((rc = git_repository_odb(&odb, repo)) < 0)
		return vios_git_error(rc, what);
	error = check_header(odb, oid, type, max, what);
	git_odb_free(odb);
	return error;
}

int vios_git_read_object(uint8_t **out, size_t *len, git_repository *repo, const git_oid *oid,
			 git_object_t type, size_t max, const char *what)
{
	git_odb *odb = NULL;
	git_odb_object *obj = NULL;
	int rc = 0, error;

	assert(out != NULL && len != NULL && repo != NULL && oid != NULL && what != NULL);
	*out = NULL;
	*len = 0;
	if ((rc = git_repository_odb(&odb, repo)) < 0)
		return vios_git_error(rc, what);
	if ((error = check_header(odb, oid, type, max, what)) < 0)
		goto out;
	if ((rc = git_odb_read(&obj, odb, oid)) < 0) {
		error = vios_git_error(rc, what);
		goto out;
	}
	/* the header said so; a pack that lies about it is refused too */
	if (git_odb_object_type(obj) != type || git_odb_object_size(obj) > max) {
		vios_error_set(VIOS_ERR_GIT, "%s: the object's header does not match its content", what);
		error = VIOS_ECORRUPT;
		goto out;
	}
	*len = git_odb_object_size(obj);
	if ((*out = malloc(*len + 1)) == NULL) {
		*len = 0;
		error = vios_error_nomem();
		goto out;
	}
	memcpy(*out, git_odb_object_data(obj), *len);
	(*out)[*len] = 0;
out:
	git_odb_object_free(obj);
	git_odb_free(odb);
	return error;
}

int vios_git_commit_lookup(git_commit **out, git_repository *repo, const git_oid *oid)
{
	int error, rc;

	assert(out != NULL && repo != NULL && oid != NULL);
	*out = NULL;
	if ((error = vios_git_check_object(repo, oid, GIT_OBJECT_COMMIT, VIOS_GIT_COMMIT_MAX, "a commit")) < 0)
		return error;
	return (rc = git_commit_lookup(out, repo, oid)) < 0 ? vios_git_error(rc, "a commit") : 0;
}

int vios_git_tree_lookup(git_tree **out, git_repository *repo, const git_oid *oid, const char *what)
{
	int error, rc;

	assert(out != NULL && repo != NULL && oid != NULL && what != NULL);
	*out = NULL;
	if ((error = vios_git_check_object(repo, oid, GIT_OBJECT_TREE, VIOS_GIT_OBJECT_MAX, what)) < 0)
		return error;
	return (rc = git_tree_lookup(out, repo, oid)) < 0 ? vios_git_error(rc, what) : 0;
}

int vios_git_commit_tree(git_tree **out, git_repository *repo, const git_oid *commit)
{
	git_commit *c = NULL;
	int error;

	assert(out != NULL && repo != NULL && commit != NULL);
	*out = NULL;
	if ((error = vios_git_commit_lookup(&c, repo, commit)) < 0)
		return error;
	error = vios_git_tree_lookup(out, repo, git_commit_tree_id(c), "a commit's tree");
	git_commit_free(c);
	return error;
}

/* Where a file is expected: a regular file, nothing else. */
static int file_entry(const git_tree_entry *e, const char *path)
{
	switch (git_tree_entry_filemode(e)) {
	case GIT_FILEMODE_BLOB:
	case GIT_FILEMODE_BLOB_EXECUTABLE:
		return 0;
	case GIT_FILEMODE_LINK:
		vios_error_set(VIOS_ERR_GIT, "%s is a symbolic link, not a file: refused", path);
		break;
	case GIT_FILEMODE_COMMIT:
		vios_error_set(VIOS_ERR_GIT, "%s is a submodule link, not a file: refused", path);
		break;
	case GIT_FILEMODE_TREE:
		vios_error_set(VIOS_ERR_GIT, "%s is a directory, not a file", path);
		break;
	default:
		vios_error_set(VIOS_ERR_GIT, "%s has an unknown mode %o: refused", path, (unsigned)git_tree_entry_filemode(e));
		break;
	}
	return VIOS_ECORRUPT;
}

int vios_git_read_blob(uint8_t **out, size_t *len, git_repository *repo,
		       const git_oid *commit, const char *path, size_t max)
{
	git_tree *tree = NULL;
	const git_tree_entry *e = NULL;
	const char *p = path;
	char name[256];
	int error;

	assert(out != NULL && len != NULL && repo != NULL && commit != NULL && path != NULL);
	*out = NULL;
	*len = 0;
	if ((error = vios_git_commit_tree(&tree, repo, commit)) < 0)
		return error;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || n >= sizeof(name)) {
			vios_error_set(VIOS_ERR_GIT, "%s is missing", path);
			error = VIOS_ENOTFOUND;
			break;
		}
		memcpy(name, p, n);
		name[n] = 0;
		if ((e = git_tree_entry_byname(tree, name)) == NULL) {
			vios_error_set(VIOS_ERR_GIT, "%s is missing", path);
			error = VIOS_ENOTFOUND;
			break;
		}
		if (slash == NULL) {
			if ((error = file_entry(e, path)) == 0)
				error = vios_git_read_object(out, len, repo, git_tree_entry_id(e), GIT_OBJECT_BLOB, max, path);
			break;
		}
		if (git_tree_entry_filemode(e) != GIT_FILEMODE_TREE) {
			vios_error_set(VIOS_ERR_GIT, "%s: %.*s is not a directory", path, (int)(slash - path), path);
			error = git_tree_entry_type(e) == GIT_OBJECT_BLOB && git_tree_entry_filemode(e) != GIT_FILEMODE_LINK
					? VIOS_ENOTFOUND
					: VIOS_ECORRUPT;
			break;
		}
		{
			git_tree *sub = NULL;
			if ((error = vios_git_tree_lookup(&sub, repo, git_tree_entry_id(e), path)) < 0)
				break;
			git_tree_free(tree);
			tree = sub;
		}
		p = slash + 1;
	}
	git_tree_free(tree);
	return error;
}

typedef struct {
	char **items;
	size_t n, cap;
} list_ctx;

static int list_add(list_ctx *ctx, const char *root, const char *name)
{
	char *p;

	assert(ctx->n <= ctx->cap);
	if (ctx->n == ctx->cap) {
		size_t cap = ctx->cap ? ctx->cap * 2 : 32;
		char **items = realloc(ctx->items, cap * sizeof(*items));
		if (items == NULL)
			return vios_error_nomem();
		ctx->items = items;
		ctx->cap = cap;
	}
	if ((p = malloc(strlen(root) + strlen(name) + 1)) == NULL)
		return vios_error_nomem();
	strcpy(p, root);
	strcat(p, name);
	ctx->items[ctx->n++] = p;
	return 0;
}

/* Every file under tree, whose path is root ("" or "dir/"); depth bounded. */
static int list_tree(list_ctx *ctx, git_repository *repo, git_tree *tree, const char *root, int depth)
{
	char path[1024];
	int error = 0;

	for (size_t i = 0; i < git_tree_entrycount(tree) && error == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		git_tree *sub = NULL;
		if (snprintf(path, sizeof(path), "%s%s", root, git_tree_entry_name(e)) >= (int)sizeof(path) - 1 ||
		    (git_tree_entry_filemode(e) == GIT_FILEMODE_TREE && depth >= 32)) {
			vios_error_set(VIOS_ERR_GIT, "%s...: the tree is nested too deep", root);
			return VIOS_ECORRUPT;
		}
		if (git_tree_entry_filemode(e) != GIT_FILEMODE_TREE) {
			if ((error = file_entry(e, path)) == 0)
				error = list_add(ctx, root, git_tree_entry_name(e));
			continue;
		}
		if ((error = vios_git_tree_lookup(&sub, repo, git_tree_entry_id(e), path)) < 0)
			break;
		strcat(path, "/");
		error = list_tree(ctx, repo, sub, path, depth + 1);
		git_tree_free(sub);
	}
	return error;
}

int vios_git_list(char ***out, size_t *n, git_repository *repo, const git_oid *commit)
{
	git_tree *tree = NULL;
	list_ctx ctx = { 0 };
	int error;

	assert(out != NULL && n != NULL && repo != NULL && commit != NULL);
	*out = NULL;
	*n = 0;
	if ((error = vios_git_commit_tree(&tree, repo, commit)) == 0)
		error = list_tree(&ctx, repo, tree, "", 0);
	git_tree_free(tree);
	if (error < 0) {
		vios_git_list_free(ctx.items, ctx.n);
		return error;
	}
	*out = ctx.items;
	*n = ctx.n;
	return 0;
}

void vios_git_list_free(char **list, size_t n)
{
	assert(list != NULL || n == 0);
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

static vios_git_progress_fn progress_fn;
static void *progress_ctx;

void vios_git_set_progress(vios_git_progress_fn fn, void *ctx)
{
	progress_fn = fn;
	progress_ctx = ctx;
}

static uint64_t fetch_max = VIOS_GIT_FETCH_MAX;

void vios_git_set_fetch_max(uint64_t bytes)
{
	fetch_max = bytes ? bytes : VIOS_GIT_FETCH_MAX;
}

typedef struct {
	vios_cred_session cred; /* the logins tried (sync/cred.h) */
	int too_big;     /* the fetch bound stopped the transfer */
	char rejected[256];
	char said[400];  /* what the server's hook said (sideband), printable, one line */
	size_t nsaid;
} cb_state;

/* The server's messages (a refusing hook's reason), kept to one printable line. */
static int on_sideband(const char *str, int len, void *payload)
{
	cb_state *st = payload;

	assert(st != NULL && (str != NULL || len == 0));
	for (int i = 0; i < len; i++) {
		unsigned char c = (unsigned char)str[i];
		if (st->nsaid + 1 >= sizeof(st->said)) {
			/* the last words count: a hook's reason comes after any progress */
			size_t keep = sizeof(st->said) / 2;
			memmove(st->said, st->said + st->nsaid - keep, keep);
			st->nsaid = keep;
		}
		if (c == '\n' || c == '\r' || c == '\t')
			c = ' ';
		if (c < 0x20 || c == 0x7f)
			continue;
		if (c == ' ' && (st->nsaid == 0 || st->said[st->nsaid - 1] == ' '))
			continue;
		st->said[st->nsaid++] = (char)c;
	}
	st->said[st->nsaid] = 0;
	return 0;
}

static int on_transfer(const git_indexer_progress *stats, void *payload)
{
	cb_state *st = payload;

	assert(st != NULL);
	if ((uint64_t)stats->received_bytes > fetch_max) {
		char msg[160];
		snprintf(msg, sizeof(msg), "the pack is larger than the fetch bound of %llu bytes: stopped",
			 (unsigned long long)fetch_max);
		git_error_set_str(GIT_ERROR_NET, msg);
		st->too_big = 1;
		return GIT_EUSER;
	}
	VIOS_FAULT("git.fetching");
	if (progress_fn)
		progress_fn(progress_ctx, "receiving", stats->received_objects, stats->total_objects, stats->received_bytes);
	return 0;
}

static int on_push_transfer(unsigned int current, unsigned int total, size_t bytes, void *payload)
{
	(void)payload;
	VIOS_FAULT("git.pushing");
	if (progress_fn)
		progress_fn(progress_ctx, "sending", current, total, bytes);
	return 0;
}

/* Logins and the server's key or certificate: sync/cred.c, each source once. */
static int on_credentials(git_credential **out, const char *url, const char *user, unsigned int allowed, void *payload)
{
	cb_state *st = payload;

	assert(out != NULL && st != NULL);
	return vios_cred_acquire(out, &st->cred, url, user, allowed);
}

static int on_certificate(git_cert *cert, int valid, const char *host, void *payload)
{
	cb_state *st = payload;

	assert(cert != NULL && st != NULL);
	return vios_cred_check_certificate(&st->cred, cert, valid, host);
}

static int on_update_reference(const char *refname, const char *status, void *payload)
{
	cb_state *st = payload;

	assert(refname != NULL && st != NULL);
	if (status != NULL && st->rejected[0] == 0)
		snprintf(st->rejected, sizeof(st->rejected), "%s: %s", refname, status);
	return 0;
}

static void callbacks(git_remote_callbacks *cb, cb_state *st, const char *url)
{
	git_remote_init_callbacks(cb, GIT_REMOTE_CALLBACKS_VERSION);
	vios_cred_session_init(&st->cred, url);
	cb->transfer_progress = on_transfer;
	cb->push_transfer_progress = on_push_transfer;
	cb->credentials = on_credentials;
	cb->certificate_check = on_certificate;
	cb->push_update_reference = on_update_reference;
	cb->sideband_progress = on_sideband;
	cb->payload = st;
}

/* A set of object ids (open addressing), for one fetch's check. */
typedef struct {
	git_oid *slot;
	unsigned char *used;
	size_t cap, n;
} oidset;

static size_t oid_hash(const git_oid *id)
{
	size_t h;
	memcpy(&h, id->id, sizeof(h));
	return h;
}

/* 1 when id was added, 0 when it was there, < 0 out of memory. */
static int oidset_add(oidset *s, const git_oid *id)
{
	size_t i;

	if (2 * (s->n + 1) > s->cap) {
		oidset t = { 0 };
		t.cap = s->cap ? s->cap * 2 : 1024;
		if ((t.slot = malloc(t.cap * sizeof(*t.slot))) == NULL || (t.used = calloc(t.cap, 1)) == NULL) {
			free(t.slot);
			return vios_error_nomem();
		}
		for (size_t k = 0; k < s->cap; k++)
			if (s->used[k]) {
				for (i = oid_hash(&s->slot[k]) & (t.cap - 1); t.used[i]; i = (i + 1) & (t.cap - 1))
					;
				t.used[i] = 1;
				t.slot[i] = s->slot[k];
			}
		t.n = s->n;
		free(s->slot);
		free(s->used);
		*s = t;
	}
	for (i = oid_hash(id) & (s->cap - 1); s->used[i]; i = (i + 1) & (s->cap - 1))
		if (git_oid_equal(&s->slot[i], id))
			return 0;
	s->used[i] = 1;
	s->slot[i] = *id;
	s->n++;
	return 1;
}

typedef struct {
	git_repository *src;
	git_odb *srcodb, *dstodb;
	oidset seen;
	const char *ref;
} vet_ctx;

/* 1 when the fetch would bring id (and its header passed), 0 when not, < 0
 * refused; the object is root + name (a path), built only when it is new. */
static int vet_object(vet_ctx *v, const git_oid *id, git_object_t type, const char *root, const char *name,
		      size_t namelen)
{
	char what[1200];
	int added;

	if ((added = oidset_add(&v->seen, id)) <= 0 || git_odb_exists(v->dstodb, id))
		return added < 0 ? added : 0;
	snprintf(what, sizeof(what), "%s%.*s on %s", root, (int)namelen, name, v->ref);
	return check_header(v->srcodb, id, type, type == GIT_OBJECT_COMMIT ? VIOS_GIT_COMMIT_MAX : VIOS_GIT_OBJECT_MAX,
			    what) < 0
		       ? VIOS_ECORRUPT
		       : 1;
}

/* A tree's entries read from its raw form ("<octal mode> <name>\0<20-byte
 * id>"...): a fetch of many bundles walks many large bundles/ trees, and
 * libgit2's parsed trees cost an allocation per entry. */
static int vet_tree(vet_ctx *v, const git_oid *id, const char *root, int depth)
{
	git_odb_object *obj = NULL;
	const char *p, *end;
	char path[1024];
	int rc, error;

	if ((error = vet_object(v, id, GIT_OBJECT_TREE, root[0] ? root : "the root directory", "", 0)) <= 0)
		return error;
	if ((rc = git_odb_read(&obj, v->srcodb, id)) < 0)
		return vios_git_error(rc, root);
	p = git_odb_object_data(obj);
	end = p + git_odb_object_size(obj);
	error = 0;
	while (p < end && error >= 0) {
		const char *name = memchr(p, ' ', (size_t)(end - p)), *nul;
		unsigned mode = 0;
		git_oid eid;
		if (name == NULL || name == p || name - p > 7 ||
		    (nul = memchr(name + 1, 0, (size_t)(end - name - 1))) == NULL || end - nul < 21) {
			vios_error_set(VIOS_ERR_GIT, "%s on %s: a malformed tree", root[0] ? root : "the root directory", v->ref);
			error = VIOS_ECORRUPT;
			break;
		}
		for (const char *q = p; q < name; q++)
			mode = mode * 8 + (unsigned)(*q - '0');
		name++;
		git_oid_fromraw(&eid, (const unsigned char *)nul + 1);
		p = nul + 21;
		if (mode == GIT_FILEMODE_TREE) {
			if (depth >= 32 || snprintf(path, sizeof(path), "%s%s/", root, name) >= (int)sizeof(path) - 1) {
				vios_error_set(VIOS_ERR_GIT, "%s on %s: the tree is nested too deep", root, v->ref);
				error = VIOS_ECORRUPT;
			} else {
				error = vet_tree(v, &eid, path, depth + 1);
			}
		} else if (mode != GIT_FILEMODE_COMMIT) { /* a submodule link brings no object */
			error = vet_object(v, &eid, GIT_OBJECT_BLOB, root, name, (size_t)(nul - name));
		}
	}
	git_odb_object_free(obj);
	return error < 0 ? error : 0;
}

/* Every commit, tree and blob the fetch would bring from ref's tip, by header. */
static int vet_ref(vet_ctx *v, const git_oid *tip)
{
	git_oid *stack = NULL;
	size_t n = 0, cap = 0;
	int error = 0;

	if ((stack = malloc((cap = 64) * sizeof(*stack))) == NULL)
		return vios_error_nomem();
	stack[n++] = *tip;
	while (n > 0 && error == 0) {
		git_oid id = stack[--n];
		git_commit *c = NULL;
		int rc;
		if ((error = vet_object(v, &id, GIT_OBJECT_COMMIT, "a commit", "", 0)) <= 0)
			continue;
		if ((rc = git_commit_lookup(&c, v->src, &id)) < 0) {
			error = vios_git_error(rc, v->ref);
			break;
		}
		error = vet_tree(v, git_commit_tree_id(c), "", 0);
		for (unsigned k = 0; k < git_commit_parentcount(c) && error == 0; k++) {
			if (n == cap) {
				git_oid *ns = realloc(stack, (cap *= 2) * sizeof(*ns));
				if (ns == NULL) {
					error = vios_error_nomem();
					break;
				}
				stack = ns;
			}
			stack[n++] = *git_commit_parent_id(c, k);
		}
		git_commit_free(c);
	}
	free(stack);
	return error < 0 ? error : 0;
}

/* The directory of a path or file:// URL; 0 for a network URL. */
static int local_dir(char *out, size_t size, const char *url)
{
	struct stat st;

	if (!strncmp(url, "file://", 7))
		url += 7;
	else if (strstr(url, "://") != NULL)
		return 0;
	if (stat(url, &st) < 0 || !S_ISDIR(st.st_mode) || strlen(url) >= size)
		return 0;
	strcpy(out, url);
	return 1;
}

/*
 * Before a fetch from a path: the header of every object the fetch would
 * bring (not yet in repo), because libgit2's local transport inflates each
 * one whole to pack it. A source vios cannot open is left to the fetch to
 * report.
 */
static int vet_local(git_repository *repo, const char *dir, const char *const *refspecs, size_t n)
{
	vet_ctx v;
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	git_refspec **specs = NULL;
	int rc = 0, error = 0;

	memset(&v, 0, sizeof(v));
	if (git_repository_open_ext(&v.src, dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		git_error_clear();
		return 0;
	}
	if ((specs = calloc(n + 1, sizeof(*specs))) == NULL) {
		error = vios_error_nomem();
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if ((rc = git_refspec_parse(&specs[i], refspecs[i], 1)) < 0)
			goto out;
	if ((rc = git_repository_odb(&v.srcodb, v.src)) < 0 || (rc = git_repository_odb(&v.dstodb, repo)) < 0 ||
	    (rc = git_reference_iterator_new(&it, v.src)) < 0)
		goto out;
	while (error == 0 && (rc = git_reference_next(&ref, it)) == 0) {
		const char *name = git_reference_name(ref);
		git_reference *resolved = NULL;
		for (size_t i = 0; i < n && error == 0; i++) {
			git_object_t type = GIT_OBJECT_INVALID;
			size_t size;
			if (!git_refspec_src_matches(specs[i], name))
				continue;
			if (git_reference_resolve(&resolved, ref) < 0 || git_reference_target(resolved) == NULL) {
				git_error_clear();
				break;
			}
			v.ref = name;
			if (git_odb_read_header(&size, &type, v.srcodb, git_reference_target(resolved)) == 0 &&
			    type != GIT_OBJECT_COMMIT) {
				vios_error_set(VIOS_ERR_GIT, "%s points at a %s, not a commit", name, git_object_type2string(type));
				error = VIOS_ECORRUPT;
			} else {
				git_error_clear();
				error = vet_ref(&v, git_reference_target(resolved));
			}
			break;
		}
		git_reference_free(resolved);
		git_reference_free(ref);
	}
	if (rc == GIT_ITEROVER)
		rc = 0;
out:
	if (error == 0 && rc < 0)
		error = vios_git_error(rc, dir);
	git_reference_iterator_free(it);
	for (size_t i = 0; specs && i < n; i++)
		git_refspec_free(specs[i]);
	free(specs);
	free(v.seen.slot);
	free(v.seen.used);
	git_odb_free(v.dstodb);
	git_odb_free(v.srcodb);
	git_repository_free(v.src);
	return error;
}

int vios_git_fetch(git_repository *repo, const char *url, const char *const *refspecs, size_t n)
{
	git_remote *remote = NULL;
	git_fetch_options opts;
	git_strarray specs = { (char **)refspecs, n };
	cb_state cbs = { 0 };
	int rc;

	char dir[4096], why[512];
	int error;

	assert(repo != NULL && url != NULL && (refspecs != NULL || n == 0));
	if ((error = vios_cred_url_check(url)) < 0)
		return error;
	if (local_dir(dir, sizeof(dir), url) && (error = vet_local(repo, dir, refspecs, n)) < 0) {
		snprintf(why, sizeof(why), "%s", vios_error_last());
		vios_error_set(VIOS_ERR_GIT, "cannot fetch from %s: %s", url, why);
		return error;
	}
	git_fetch_options_init(&opts, GIT_FETCH_OPTIONS_VERSION);
	callbacks(&opts.callbacks, &cbs, url);
	opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	opts.update_fetchhead = 0;
	if ((rc = git_remote_create_anonymous(&remote, repo, url)) == 0)
		rc = git_remote_fetch(remote, &specs, &opts, "vios fetch");
	git_remote_free(remote);
	if (rc < 0) {
		vios_error_set(VIOS_ERR_GIT, "cannot fetch from %s: %s", url, git_message());
		return cbs.too_big ? VIOS_ECORRUPT : VIOS_ERROR;
	}
	return 0;
}

int vios_git_push(git_repository *repo, const char *url, const char *const *refspecs, size_t n)
{
	git_remote *remote = NULL;
	git_push_options opts;
	git_strarray specs = { (char **)refspecs, n };
	cb_state cbs = { 0 };
	int rc;

	assert(repo != NULL && url != NULL && (refspecs != NULL || n == 0));
	if ((rc = vios_cred_url_check(url)) < 0)
		return rc;
	git_push_options_init(&opts, GIT_PUSH_OPTIONS_VERSION);
	callbacks(&opts.callbacks, &cbs, url);
	if ((rc = git_remote_create_anonymous(&remote, repo, url)) == 0)
		rc = git_remote_push(remote, &specs, &opts);
	git_remote_free(remote);
	if (cbs.rejected[0]) {
		if (cbs.nsaid && cbs.said[cbs.nsaid - 1] == ' ')
			cbs.said[--cbs.nsaid] = 0;
		if (cbs.nsaid)
			vios_error_set(VIOS_ERR_GIT, "the remote refused %s; it said: %s", cbs.rejected, cbs.said);
		else
			vios_error_set(VIOS_ERR_GIT, "the remote refused %s", cbs.rejected);
		return VIOS_EVERIFY;
	}
	if (rc < 0) {
		const char *msg = git_message();
		vios_error_set(VIOS_ERR_GIT, "cannot push to %s: %s", url, msg);
		/* libgit2's local transport reports a non-fast-forward here */
		return strstr(msg, "fast-forward") || strstr(msg, "fastforward") || strstr(msg, "not present locally")
			       ? VIOS_EVERIFY
			       : VIOS_ERROR;
	}
	return 0;
}

int vios_git_descends(int *out, git_repository *repo, const git_oid *commit, const git_oid *ancestor)
{
	int rc;

	assert(out != NULL && repo != NULL && commit != NULL && ancestor != NULL);
	if (git_oid_equal(commit, ancestor)) {
		*out = 1;
		return 0;
	}
	rc = git_graph_descendant_of(repo, commit, ancestor);
	if (rc < 0)
		return vios_git_error(rc, "checking history");
	*out = rc;
	return 0;
}

int vios_git_set_ref(git_repository *repo, const char *ref, const git_oid *oid, const char *log)
{
	git_transaction *tx = NULL;
	int rc;

	assert(repo != NULL && ref != NULL && oid != NULL);
	/* a transaction, so that a crash point sits where git's lock file
	 * (<ref>.lock) is held: what a killed vios leaves (docs/faults.md) */
	if ((rc = git_transaction_new(&tx, repo)) == 0 && (rc = git_transaction_lock_ref(tx, ref)) == 0 &&
	    (rc = git_transaction_set_target(tx, ref, oid, NULL, log)) == 0) {
		VIOS_FAULT("git.ref_locked");
		rc = git_transaction_commit(tx);
	}
	git_transaction_free(tx);
	return vios_git_error(rc, ref);
}

/*
 * The repack's configuration, the only one its pack builder sees: libgit2
 * (1.5, and its main branch still: packbuilder_config in
 * src/libgit2/pack-objects.c) reads its big-file threshold from
 * pack.deltaCacheSize, and tries no object above that threshold as a delta.
 * Both keys answer 1, so every object is "big" and the delta search (a
 * window of 10 objects inflated and compared, for each object, in size
 * order across every pack) is skipped; a libgit2 that reads
 * pack.bigFileThreshold by its name sees the same. Every other key is absent
 * (libgit2's defaults). Read-only: a write is refused.
 */
static void nodelta_entry_free(git_config_entry *e)
{
	(void)e; /* static */
}

static git_config_entry nodelta_entries[] = {
	{ "pack.deltacachesize", "1", 0, GIT_CONFIG_LEVEL_APP, nodelta_entry_free, NULL },
	{ "pack.bigfilethreshold", "1", 0, GIT_CONFIG_LEVEL_APP, nodelta_entry_free, NULL },
};

static int nodelta_open(git_config_backend *b, git_config_level_t level, const git_repository *repo)
{
	(void)b;
	(void)level;
	(void)repo;
	return 0;
}

static int nodelta_get(git_config_backend *b, const char *key, git_config_entry **out)
{
	(void)b;
	for (size_t i = 0; i < sizeof(nodelta_entries) / sizeof(nodelta_entries[0]); i++)
		if (!strcmp(key, nodelta_entries[i].name)) {
			*out = &nodelta_entries[i];
			return 0;
		}
	return GIT_ENOTFOUND;
}

static int nodelta_refuse(void)
{
	git_error_set_str(GIT_ERROR_CONFIG, "the repack's configuration is read-only");
	return GIT_ERROR;
}

static int nodelta_set(git_config_backend *b, const char *k, const char *v)
{
	(void)b, (void)k, (void)v;
	return nodelta_refuse();
}

static int nodelta_set_multivar(git_config_backend *b, const char *k, const char *re, const char *v)
{
	(void)b, (void)k, (void)re, (void)v;
	return nodelta_refuse();
}

static int nodelta_del(git_config_backend *b, const char *k)
{
	(void)b, (void)k;
	return nodelta_refuse();
}

static int nodelta_del_multivar(git_config_backend *b, const char *k, const char *re)
{
	(void)b, (void)k, (void)re;
	return nodelta_refuse();
}

static int nodelta_lock(git_config_backend *b)
{
	(void)b;
	return nodelta_refuse();
}

static int nodelta_unlock(git_config_backend *b, int success)
{
	(void)b, (void)success;
	return nodelta_refuse();
}

static int nodelta_iter_next(git_config_entry **e, git_config_iterator *it)
{
	(void)e, (void)it;
	return GIT_ITEROVER; /* listing the configuration shows nothing */
}

static void nodelta_iter_free(git_config_iterator *it)
{
	free(it);
}

static int nodelta_iterator(git_config_iterator **out, git_config_backend *b)
{
	git_config_iterator *it = calloc(1, sizeof(*it));

	if (it == NULL) {
		git_error_set_oom();
		return -1;
	}
	it->backend = b;
	it->next = nodelta_iter_next;
	it->free = nodelta_iter_free;
	*out = it;
	return 0;
}

static void nodelta_free(git_config_backend *b)
{
	free(b);
}

static int nodelta_snapshot(git_config_backend **out, git_config_backend *b);

static int nodelta_new(git_config_backend **out)
{
	git_config_backend *b = calloc(1, sizeof(*b));

	*out = NULL;
	if (b == NULL) {
		git_error_set_oom();
		return -1;
	}
	git_config_init_backend(b, GIT_CONFIG_BACKEND_VERSION);
	b->readonly = 1;
	b->open = nodelta_open;
	b->get = nodelta_get;
	b->set = nodelta_set;
	b->set_multivar = nodelta_set_multivar;
	b->del = nodelta_del;
	b->del_multivar = nodelta_del_multivar;
	b->iterator = nodelta_iterator;
	b->snapshot = nodelta_snapshot;
	b->lock = nodelta_lock;
	b->unlock = nodelta_unlock;
	b->free = nodelta_free;
	*out = b;
	return 0;
}

/* A snapshot of constants is another backend answering the same. */
static int nodelta_snapshot(git_config_backend **out, git_config_backend *b)
{
	(void)b;
	return nodelta_new(out);
}

/* A pack in objects/pack: "pack-<hex>" and its .pack's size. */
typedef struct {
	char name[80];
	uint64_t size;
} pack_file;

static int by_size(const void *a, const void *b)
{
	const pack_file *x = a, *y = b;

	return x->size < y->size ? -1 : x->size > y->size ? 1 : strcmp(x->name, y->name);
}

/* "pack-<hex>" with hex made of [0-9a-f], 40 or 64 of them. */
static int pack_name_ok(const char *s, size_t len)
{
	if (len < 5 || memcmp(s, "pack-", 5) != 0 || (len - 5 != 40 && len - 5 != 64))
		return 0;
	for (size_t i = 5; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/*
 * Every pack of dir with its index and no .keep, sorted by size (smallest
 * first): a .pack without its .idx, or an .idx without its .pack, is being
 * written (libgit2 1.5's indexer commits the .idx, then renames the .pack
 * into place), and is left alone.
 */
static int list_packs(pack_file **out, size_t *n, const char *dir)
{
	DIR *d;
	struct dirent *e;
	pack_file *v = NULL;
	size_t cap = 0;
	int error = 0;

	*out = NULL;
	*n = 0;
	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return 0;
		return vios_error_os("cannot list %s", dir);
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char path[PATH_MAX];
		struct stat st;
		if (len < 4 || strcmp(e->d_name + len - 4, ".idx") != 0 || !pack_name_ok(e->d_name, len - 4))
			continue;
		if (vios_snprintf(path, sizeof(path), "%s/%.*s.keep", dir, (int)(len - 4), e->d_name) < 0) {
			error = VIOS_ERROR;
			break;
		}
		if (lstat(path, &st) == 0)
			continue;
		memcpy(path + strlen(path) - 5, ".pack", 6);
		if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (*n == cap) {
			pack_file *nv = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*v));
			if (nv == NULL) {
				error = vios_error_nomem();
				break;
			}
			v = nv;
		}
		memcpy(v[*n].name, e->d_name, len - 4);
		v[*n].name[len - 4] = 0;
		v[*n].size = (uint64_t)st.st_size;
		(*n)++;
	}
	closedir(d);
	if (error < 0) {
		free(v);
		*n = 0;
		return error;
	}
	if (*n > 1)
		qsort(v, *n, sizeof(*v), by_size);
	*out = v;
	return 0;
}

/*
 * How many of the packs (sorted by size, smallest first) to roll up: git's
 * split_pack_geometry with factor 2. From the largest down, the packs that
 * are each at least twice the next smaller one stay; the rest are rolled
 * up, and so is every larger pack less than twice the roll-up's size.
 */
static size_t geometric_split(const pack_file *p, size_t n)
{
	uint64_t total = 0;
	size_t i, split;

	if (n == 0)
		return 0;
	for (i = n - 1; i > 0; i--)
		if (p[i].size / 2 < p[i - 1].size)
			break;
	split = i ? i + 1 : 0;
	for (i = 0; i < split; i++)
		total += p[i].size;
	for (; split < n && p[split].size / 2 < total; split++)
		total += p[split].size;
	return split;
}

/* What the repack copies: every object listed (to check the new pack
 * against), the loose ones apart (to remove). */
typedef struct {
	git_packbuilder *pb;
	git_oid *all, *loose;
	size_t nall, capall, nloose, caploose;
	int in_loose;
	git_oid failed; /* the object the builder could not take, for the message */
	int has_failed;
} repack_ctx;

static int push_oid(git_oid **v, size_t *n, size_t *cap, const git_oid *id)
{
	if (*n == *cap) {
		git_oid *nv = realloc(*v, (*cap = *cap ? *cap * 2 : 1024) * sizeof(**v));
		if (nv == NULL) {
			git_error_set_oom();
			return -1;
		}
		*v = nv;
	}
	(*v)[(*n)++] = *id;
	return 0;
}

static int repack_take(const git_oid *id, void *payload)
{
	repack_ctx *c = payload;
	int rc;

	if ((rc = push_oid(&c->all, &c->nall, &c->capall, id)) < 0 ||
	    (c->in_loose && (rc = push_oid(&c->loose, &c->nloose, &c->caploose, id)) < 0))
		return rc;
	/* grouped by pack, so the builder's header reads find each in the pack
	 * read last; the builder itself leaves out an id it has */
	if ((rc = git_packbuilder_insert(c->pb, id, NULL)) < 0) {
		git_oid_cpy(&c->failed, id);
		c->has_failed = 1;
	}
	return rc;
}

/* Every object of one backend (a pack, or the loose objects) into c. */
static int repack_list(repack_ctx *c, git_odb_backend *b)
{
	git_odb *odb = NULL;
	int rc;

	if ((rc = git_odb_new(&odb)) < 0) {
		b->free(b);
		return rc;
	}
	if ((rc = git_odb_add_backend(odb, b, 1)) < 0)
		b->free(b);
	else
		rc = git_odb_foreach(odb, repack_take, c);
	git_odb_free(odb);
	return rc;
}

static int fsync_path(const char *path, int dir)
{
	int fd = open(path, (dir ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return vios_error_os("cannot open %s", path);
	rc = fsync(fd);
	close(fd);
	return rc < 0 ? vios_error_os("cannot fsync %s", path) : 0;
}

/* Removes the files of pack `name` in dir, its index first: a reader finds
 * packs by their index, so it never sees an index without its pack. */
static void remove_pack(const char *dir, const char *name)
{
	static const char *const ext[] = { ".idx", ".pack", ".rev", ".bitmap", ".mtimes", ".promisor" };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if (vios_snprintf(path, sizeof(path), "%s/%s%s", dir, name, ext[i]) >= 0)
			(void)unlink(path);
}

/* The pack files libgit2 keeps open while a roll-up reads them (libgit2's
 * default: no bound), restored after. */
#define REPACK_OPEN_PACKS 128

int vios_git_repack(vios_git_repack_report *out, git_repository *repo, size_t threshold)
{
	git_repository *r = NULL;
	git_config *cfg = NULL;
	git_config_backend *nodelta = NULL;
	git_odb *check = NULL;
	git_odb_backend *b = NULL;
	repack_ctx c;
	pack_file *packs = NULL;
	size_t npacks = 0, split = 0, file_limit = 0;
	int limited = 0;
	char gitdir[PATH_MAX], objdir[PATH_MAX], packdir[PATH_MAX], path[PATH_MAX], path2[PATH_MAX];
	const char *name;
	int rc = 0, error = 0;

	assert(out != NULL && repo != NULL);
	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	if (vios_snprintf(gitdir, sizeof(gitdir), "%s", git_repository_path(repo)) < 0 ||
	    vios_snprintf(objdir, sizeof(objdir), "%sobjects", gitdir) < 0 ||
	    vios_snprintf(packdir, sizeof(packdir), "%s/pack", objdir) < 0)
		return VIOS_ERROR;
	/* 1. the packs as they are now: only these (and the loose objects
	 *    listed below) are ever removed */
	if ((error = list_packs(&packs, &npacks, packdir)) < 0)
		return error;
	out->packs = out->left = npacks;
	if (npacks <= threshold || (split = geometric_split(packs, npacks)) < 2)
		goto out;
	/* 2. a handle of its own, whose configuration turns deltas off; the
	 *    packs are read one after the other, so libgit2 keeps few open
	 *    (each open one holds a mapped window: 4000 packs, 98.7 MiB peak
	 *    with no bound, 83.3 MiB with this one, and faster) */
	if (git_libgit2_opts(GIT_OPT_GET_MWINDOW_FILE_LIMIT, &file_limit) == 0 &&
	    git_libgit2_opts(GIT_OPT_SET_MWINDOW_FILE_LIMIT, (size_t)REPACK_OPEN_PACKS) == 0)
		limited = 1;
	if ((rc = git_repository_open_bare(&r, gitdir)) < 0 || (rc = git_config_new(&cfg)) < 0 ||
	    (rc = nodelta_new(&nodelta)) < 0)
		goto done;
	if ((rc = git_config_add_backend(cfg, nodelta, GIT_CONFIG_LEVEL_APP, NULL, 0)) < 0) {
		nodelta->free(nodelta);
		goto done;
	}
	if ((rc = git_repository_set_config(r, cfg)) < 0 || (rc = git_packbuilder_new(&c.pb, r)) < 0)
		goto done;
	/* 3. every object of the rolled-up packs, then the loose ones */
	for (size_t i = 0; i < split; i++) {
		if (vios_snprintf(path, sizeof(path), "%s/%s.idx", packdir, packs[i].name) < 0) {
			error = VIOS_ERROR;
			goto out;
		}
		if ((rc = git_odb_backend_one_pack(&b, path)) < 0 || (rc = repack_list(&c, b)) < 0)
			goto done;
	}
	c.in_loose = 1;
	if ((rc = git_odb_backend_loose(&b, objdir, -1, 0, 0, 0)) < 0 || (rc = repack_list(&c, b)) < 0)
		goto done;
	/* 4. the new pack and its index, written (libgit2 renames them into
	 *    place when complete) and on disk */
	VIOS_FAULT("git.repacking");
	if ((rc = git_packbuilder_write(c.pb, packdir, 0, NULL, NULL)) < 0)
		goto done;
	name = git_packbuilder_name(c.pb);
	if (vios_snprintf(path, sizeof(path), "%s/pack-%s.pack", packdir, name) < 0 ||
	    vios_snprintf(path2, sizeof(path2), "%s/pack-%s.idx", packdir, name) < 0) {
		error = VIOS_ERROR;
		goto out;
	}
	if ((error = fsync_path(path, 0)) < 0 || (error = fsync_path(path2, 0)) < 0 ||
	    (error = fsync_path(packdir, 1)) < 0)
		goto out;
	/* 5. it holds every object listed, or nothing is removed */
	if ((rc = git_odb_new(&check)) < 0 || (rc = git_odb_backend_one_pack(&b, path2)) < 0)
		goto done;
	if ((rc = git_odb_add_backend(check, b, 1)) < 0) {
		b->free(b);
		goto done;
	}
	for (size_t i = 0; i < c.nall; i++)
		if (!git_odb_exists(check, &c.all[i])) {
			char hex[GIT_OID_HEXSZ + 1];
			git_oid_tostr(hex, sizeof(hex), &c.all[i]);
			vios_error_set(VIOS_ERR_GIT, "repacking %s: object %s is not in the new pack; nothing removed", gitdir,
				       hex);
			error = VIOS_ECORRUPT;
			goto out;
		}
	/* 6. exactly the listed packs and loose objects go */
	VIOS_FAULT("git.repacked");
	for (size_t i = 0; i < split; i++)
		if (strcmp(packs[i].name + 5, name) != 0) /* the same objects can make the same pack */
			remove_pack(packdir, packs[i].name);
	for (size_t i = 0; i < c.nloose; i++) {
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), &c.loose[i]);
		if (vios_snprintf(path, sizeof(path), "%s/%.2s/%s", objdir, hex, hex + 2) >= 0)
			(void)unlink(path);
	}
	out->rolled = split;
	out->loose = c.nloose;
	out->objects = git_packbuilder_object_count(c.pb);
	free(packs);
	packs = NULL;
	/* the roll-up is done: a failure to count what is left is no failure of it */
	if (list_packs(&packs, &out->left, packdir) < 0) {
		vios_error_clear();
		out->left = 0;
	}
	error = 0;
	goto out;
done:
	if (c.has_failed) {
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), &c.failed);
		if (vios_snprintf(path, sizeof(path), "repacking %s (object %s)", gitdir, hex) < 0)
			path[0] = 0;
	} else if (vios_snprintf(path, sizeof(path), "repacking %s", gitdir) < 0)
		path[0] = 0;
	error = vios_git_error(rc, path[0] ? path : "repacking");
out:
	git_odb_free(check);
	git_packbuilder_free(c.pb);
	free(c.all);
	free(c.loose);
	git_config_free(cfg);
	git_repository_free(r);
	free(packs);
	if (limited)
		git_libgit2_opts(GIT_OPT_SET_MWINDOW_FILE_LIMIT, file_limit);
	return error;
}

int vios_git_config_nodelta(git_repository *repo)
{
	git_config *cfg = NULL, *local = NULL;
	int64_t v = 0;
	int rc;

	assert(repo != NULL);
	if ((rc = git_repository_config(&cfg, repo)) == 0 &&
	    (rc = git_config_open_level(&local, cfg, GIT_CONFIG_LEVEL_LOCAL)) == 0) {
		rc = git_config_get_int64(&v, local, "pack.deltaCacheSize");
		if (rc == GIT_ENOTFOUND || (rc == 0 && v != 1))
			rc = git_config_set_int64(local, "pack.deltaCacheSize", 1);
	}
	git_config_free(local);
	git_config_free(cfg);
	return vios_git_error(rc, "setting pack.deltaCacheSize in the repository's config");
}
