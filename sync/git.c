/*
 * git.c - see git.h.
 */
#include "sync/git.h"
#include "util/error.h"
#include "util/fault.h"
#include "util/util.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void init_once(void)
{
	init_rc = git_libgit2_init();
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

int vios_git_commit_files(git_oid *out, git_repository *repo, const char *ref,
			  const vios_git_file *files, size_t n, const char *message,
			  const char *name, const char *email)
{
	git_index *index = NULL;
	git_commit *parent = NULL;
	git_tree *tree = NULL;
	git_signature *sig = NULL;
	git_reference *newref = NULL;
	git_oid head, tree_id;
	int have_head = 0, rc = 0, error;

	assert(out != NULL && repo != NULL && ref != NULL && (files != NULL || n == 0));
	assert(message != NULL && name != NULL && email != NULL);
	if ((error = vios_git_ref_oid(&head, repo, ref)) == 0)
		have_head = 1;
	else if (error != VIOS_ENOTFOUND)
		return error;
	if ((rc = git_index_new(&index)) < 0)
		goto done;
	if (have_head) {
		git_tree *old = NULL;
		if ((rc = git_commit_lookup(&parent, repo, &head)) < 0 ||
		    (rc = git_commit_tree(&old, parent)) < 0)
			goto done;
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
		const git_commit *parents[1] = { parent };
		if ((rc = git_commit_create(out, repo, NULL, sig, sig, "UTF-8", message, tree,
					    have_head ? 1 : 0, parents)) < 0)
			goto done;
	}
	if (have_head)
		rc = git_reference_create_matching(&newref, repo, ref, out, 1, &head, message);
	else
		rc = git_reference_create(&newref, repo, ref, out, 0, message);
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS) {
		vios_error_set(VIOS_ERR_GIT, "%s moved while vios was writing to it; run the command again", ref);
		error = VIOS_ERROR;
		goto out;
	}
done:
	error = vios_git_error(rc, ref);
out:
	git_reference_free(newref);
	git_signature_free(sig);
	git_tree_free(tree);
	git_commit_free(parent);
	git_index_free(index);
	return error;
}

static int tree_of(git_tree **out, git_repository *repo, const git_oid *commit)
{
	git_commit *c = NULL;
	int rc;

	assert(out != NULL && repo != NULL && commit != NULL);
	if ((rc = git_commit_lookup(&c, repo, commit)) == 0)
		rc = git_commit_tree(out, c);
	git_commit_free(c);
	return rc;
}

int vios_git_read_blob(uint8_t **out, size_t *len, git_repository *repo,
		       const git_oid *commit, const char *path, size_t max)
{
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	int rc, error = 0;

	assert(out != NULL && len != NULL && repo != NULL && commit != NULL && path != NULL);
	*out = NULL;
	*len = 0;
	if ((rc = tree_of(&tree, repo, commit)) < 0)
		goto done;
	if ((rc = git_tree_entry_bypath(&entry, tree, path)) == GIT_ENOTFOUND) {
		vios_error_set(VIOS_ERR_GIT, "%s is missing", path);
		error = VIOS_ENOTFOUND;
		goto out;
	}
	if (rc < 0)
		goto done;
	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB) {
		vios_error_set(VIOS_ERR_GIT, "%s is not a file", path);
		error = VIOS_ECORRUPT;
		goto out;
	}
	if ((rc = git_blob_lookup(&blob, repo, git_tree_entry_id(entry))) < 0)
		goto done;
	if ((size_t)git_blob_rawsize(blob) > max) {
		vios_error_set(VIOS_ERR_GIT, "%s is larger than %zu bytes", path, max);
		error = VIOS_ECORRUPT;
		goto out;
	}
	*len = (size_t)git_blob_rawsize(blob);
	if ((*out = malloc(*len + 1)) == NULL) {
		error = vios_error_nomem();
		goto out;
	}
	memcpy(*out, git_blob_rawcontent(blob), *len);
	(*out)[*len] = 0;
done:
	if (error == 0)
		error = vios_git_error(rc, path);
out:
	git_blob_free(blob);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	return error;
}

typedef struct {
	char **items;
	size_t n, cap;
	int failed;
} list_ctx;

static int list_cb(const char *root, const git_tree_entry *entry, void *payload)
{
	list_ctx *ctx = payload;
	char *p;

	assert(root != NULL && ctx != NULL && ctx->n <= ctx->cap);
	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB)
		return 0;
	if (ctx->n == ctx->cap) {
		size_t cap = ctx->cap ? ctx->cap * 2 : 32;
		char **items = realloc(ctx->items, cap * sizeof(*items));
		if (items == NULL)
			goto nomem;
		ctx->items = items;
		ctx->cap = cap;
	}
	if ((p = malloc(strlen(root) + strlen(git_tree_entry_name(entry)) + 1)) == NULL)
		goto nomem;
	strcpy(p, root);
	strcat(p, git_tree_entry_name(entry));
	assert(ctx->n < ctx->cap);
	ctx->items[ctx->n++] = p;
	return 0;
nomem:
	ctx->failed = 1;
	return -1;
}

int vios_git_list(char ***out, size_t *n, git_repository *repo, const git_oid *commit)
{
	git_tree *tree = NULL;
	list_ctx ctx = { 0 };
	int rc;

	assert(out != NULL && n != NULL && repo != NULL && commit != NULL);
	*out = NULL;
	*n = 0;
	if ((rc = tree_of(&tree, repo, commit)) == 0)
		rc = git_tree_walk(tree, GIT_TREEWALK_PRE, list_cb, &ctx);
	git_tree_free(tree);
	if (ctx.failed || rc < 0) {
		vios_git_list_free(ctx.items, ctx.n);
		return ctx.failed ? vios_error_nomem() : vios_git_error(rc, "listing a tree");
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

static int on_transfer(const git_indexer_progress *stats, void *payload)
{
	(void)payload;
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

typedef struct {
	int asked;
	char rejected[256];
} cb_state;

/* One try with the ssh agent; never a loop of prompts or retries. */
static int on_credentials(git_credential **out, const char *url, const char *user, unsigned int allowed, void *payload)
{
	cb_state *st = payload;

	assert(out != NULL && st != NULL);
	(void)url;
	if (st->asked++ == 0 && (allowed & GIT_CREDENTIAL_SSH_KEY))
		return git_credential_ssh_key_from_agent(out, user ? user : "git");
	git_error_set_str(GIT_ERROR_NET, "authentication failed (vios tries the ssh agent once; see INSTALL.md)");
	return GIT_EUSER;
}

static int on_update_reference(const char *refname, const char *status, void *payload)
{
	cb_state *st = payload;

	assert(refname != NULL && st != NULL);
	if (status != NULL && st->rejected[0] == 0)
		snprintf(st->rejected, sizeof(st->rejected), "%s: %s", refname, status);
	return 0;
}

static void callbacks(git_remote_callbacks *cb, cb_state *st)
{
	git_remote_init_callbacks(cb, GIT_REMOTE_CALLBACKS_VERSION);
	cb->transfer_progress = on_transfer;
	cb->push_transfer_progress = on_push_transfer;
	cb->credentials = on_credentials;
	cb->push_update_reference = on_update_reference;
	cb->payload = st;
}

int vios_git_fetch(git_repository *repo, const char *url, const char *const *refspecs, size_t n)
{
	git_remote *remote = NULL;
	git_fetch_options opts;
	git_strarray specs = { (char **)refspecs, n };
	cb_state cbs = { 0 };
	int rc;

	assert(repo != NULL && url != NULL && (refspecs != NULL || n == 0));
	git_fetch_options_init(&opts, GIT_FETCH_OPTIONS_VERSION);
	callbacks(&opts.callbacks, &cbs);
	opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	opts.update_fetchhead = 0;
	if ((rc = git_remote_create_anonymous(&remote, repo, url)) == 0)
		rc = git_remote_fetch(remote, &specs, &opts, "vios fetch");
	git_remote_free(remote);
	if (rc < 0) {
		vios_error_set(VIOS_ERR_GIT, "cannot fetch from %s: %s", url, git_message());
		return VIOS_ERROR;
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
	git_push_options_init(&opts, GIT_PUSH_OPTIONS_VERSION);
	callbacks(&opts.callbacks, &cbs);
	if ((rc = git_remote_create_anonymous(&remote, repo, url)) == 0)
		rc = git_remote_push(remote, &specs, &opts);
	git_remote_free(remote);
	if (cbs.rejected[0]) {
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
	git_reference *r = NULL;
	int rc;

	assert(repo != NULL && ref != NULL && oid != NULL);
	rc = git_reference_create(&r, repo, ref, oid, 1, log);
	git_reference_free(r);
	return vios_git_error(rc, ref);
}
