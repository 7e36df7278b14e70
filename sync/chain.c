/*
 * chain.c - the one verifier of a node ref's history (see chain.h).
 */
#include "sync/chain.h"
#include "crypto/minisign.h"
#include "sync/bundle.h"
#include "sync/git.h"
#include "sync/layout.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vios_chain_message(char *out, size_t len, long long seq)
{
	snprintf(out, len, "vios bundle %lld", seq);
}

int vios_chain_peek_header(char **out, const char *sig, size_t siglen)
{
	vios_minisign_sig ms;

	assert(out != NULL && (sig != NULL || siglen == 0));
	*out = NULL;
	if (vios_minisign_sig_parse(&ms, sig, siglen) < 0) {
		char why[300];
		snprintf(why, sizeof(why), "%s", vios_error_last());
		vios_error_set(VIOS_ERR_BUNDLE, "bundle signature: %s", why);
		return VIOS_ECORRUPT;
	}
	if (ms.trusted_len == 0) {
		vios_error_set(VIOS_ERR_BUNDLE, "bundle signature: no trusted comment (not a vios bundle signature)");
		return VIOS_ECORRUPT;
	}
	return vios_minisign_sig_trusted(out, &ms);
}

/* The header of a commit's tree and of the directories in it, before a
 * walk's tree reads and diffs inflate them. */
static int check_trees(git_repository *repo, git_commit *c)
{
	git_tree *root = NULL;
	int error;

	if ((error = vios_git_tree_lookup(&root, repo, git_commit_tree_id(c), "a commit's tree")) < 0)
		return error;
	for (size_t i = 0; i < git_tree_entrycount(root) && error == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(root, i);
		if (git_tree_entry_filemode(e) == GIT_FILEMODE_TREE)
			error = vios_git_check_object(repo, git_tree_entry_id(e), GIT_OBJECT_TREE, VIOS_GIT_OBJECT_MAX,
						      git_tree_entry_name(e));
	}
	git_tree_free(root);
	return error;
}

int vios_chain_history(git_oid **out, size_t *n, size_t *merges, int *reached, git_repository *repo,
		       const git_oid *head, const git_oid *stop)
{
	git_oid *chain = NULL, oid = *head;
	size_t cap = 0, len = 0;
	int rc = 0;

	assert(out != NULL && n != NULL && reached != NULL && repo != NULL && head != NULL);
	*out = NULL;
	*n = 0;
	*reached = stop == NULL;
	if (merges)
		*merges = 0;
	for (;;) {
		git_commit *c = NULL;
		unsigned parents;
		if (stop && git_oid_equal(&oid, stop)) {
			*reached = 1;
			break;
		}
		if (len == VIOS_CHAIN_MAX_COMMITS) {
			free(chain);
			vios_error_set(VIOS_ERR_GIT, "a node's history of more than %d commits", VIOS_CHAIN_MAX_COMMITS);
			return VIOS_ECORRUPT;
		}
		if (len == cap) {
			git_oid *nc = realloc(chain, (cap = cap ? cap * 2 : 64) * sizeof(*nc));
			if (nc == NULL) {
				free(chain);
				return vios_error_nomem();
			}
			chain = nc;
		}
		chain[len++] = oid;
		/* its header first: a commit is never inflated unbounded */
		if ((rc = vios_git_commit_lookup(&c, repo, &oid)) < 0 || (rc = check_trees(repo, c)) < 0) {
			git_commit_free(c);
			free(chain);
			return rc;
		}
		parents = git_commit_parentcount(c);
		if (parents > 1 && merges)
			(*merges)++;
		if (parents > 0)
			oid = *git_commit_parent_id(c, 0);
		git_commit_free(c);
		if (parents == 0)
			break;
	}
	for (size_t i = 0; i < len / 2; i++) {
		git_oid t = chain[i];
		chain[i] = chain[len - 1 - i];
		chain[len - 1 - i] = t;
	}
	*out = chain;
	*n = len;
	return 0;
}

/* ---- the walk ------------------------------------------------------------ */

typedef struct {
	git_repository *repo;
	const char *node;
	const vios_chain_fns *fns;
	long long last;      /* the seq of the previous bundle */
	char prev_hash[65];  /* its hash */
	int stop;            /* a callback's value > 0 */
} walk;

static int say(walk *w, long long seq, int breaking, long long cut, int of_bundle, uint64_t hlc, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

static int say(walk *w, long long seq, int breaking, long long cut, int of_bundle, uint64_t hlc, const char *fmt, ...)
{
	vios_chain_finding f;
	char what[600];
	va_list ap;
	int rc;

	if (w->fns->finding == NULL || w->stop)
		return 0; /* a caller that stopped hears nothing more */
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	f.seq = seq;
	f.breaking = breaking;
	f.cut = breaking ? cut : 0;
	f.of_bundle = of_bundle;
	f.hlc = hlc;
	f.what = what;
	rc = w->fns->finding(w->fns->ctx, &f);
	if (rc > 0 && w->stop == 0)
		w->stop = rc;
	return rc < 0 ? rc : 0;
}

/* say() about the bundle now checked; breaking ones cut at its seq */
#define BSAY(w, s, breaking, hlc, ...) say(w, s, breaking, s, 1, hlc, __VA_ARGS__)

static int message_is(const char *msg, long long seq)
{
	char want[48];
	size_t n;

	vios_chain_message(want, sizeof(want), seq);
	n = strlen(want);
	return msg && !strncmp(msg, want, n) && (msg[n] == 0 || (msg[n] == '\n' && msg[n + 1] == 0));
}

/* The chain's checks on the bundle commit added at seq s, then the caller's. */
static int check_bundle(walk *w, long long s, const uint8_t *age, size_t agelen, const git_oid *age_id,
			const char *sig, size_t siglen, const git_oid *sig_id, git_commit *commit)
{
	vios_bundle_header h;
	vios_chain_bundle b;
	char hash[65], *peek = NULL;
	int have_h = 0, prev_known = 1, sound = 1, error = 0;
	uint64_t hlc = 0;

	memset(&h, 0, sizeof(h));
	vios_blake2b_hex(hash, age, agelen);
	/* the header first, to date the findings */
	if (sig != NULL && vios_chain_peek_header(&peek, sig, siglen) == 0 && vios_bundle_header_parse(&h, peek) == 0) {
		have_h = 1;
		hlc = h.hlc;
	}
	vios_error_clear();
	if (s != w->last + 1) {
		sound = 0;
		if (s == w->last + 2)
			error = say(w, s, 1, w->last + 1, 1, hlc,
				    "seq %lld is missing: the chain jumps from seq %lld to %lld (a bundle commit was deleted or skipped)",
				    w->last + 1, w->last, s);
		else if (s > w->last + 2)
			error = say(w, s, 1, w->last + 1, 1, hlc,
				    "seq %lld to %lld are missing: the chain jumps from seq %lld to %lld (bundle commits were deleted or skipped)",
				    w->last + 1, s - 1, w->last, s);
		else
			error = BSAY(w, s, 1, hlc, "seq %lld comes again after seq %lld: two bundles with one seq (a fork or a replay)", s,
				     w->last);
		prev_known = 0;
	}
	if (error == 0 && sig == NULL) {
		char sigpath[VIOS_LAYOUT_PATH_MAX];
		vios_layout_bundle_path(sigpath, s, 1);
		sound = 0;
		error = BSAY(w, s, 1, 0, "no signature file %s beside the bundle", sigpath);
	} else if (error == 0 && !have_h) {
		sound = 0;
		error = BSAY(w, s, 1, 0, "its signature file carries no vios bundle header");
	} else if (error == 0) {
		if (strcmp(h.sender, w->node) != 0) {
			sound = 0;
			error = BSAY(w, s, 1, hlc, "the bundle names node %s as its sender, not the node whose ref it is on", h.sender);
		}
		if (error == 0 && h.seq != s) {
			sound = 0;
			error = BSAY(w, s, 1, hlc, "its signed header says seq %lld, its file name seq %lld", h.seq, s);
		}
		if (error == 0 && s == 1 && strcmp(h.prev, VIOS_ZERO_HASH) != 0) {
			sound = 0;
			error = BSAY(w, s, 1, hlc, "seq 1 must have an all-zero prev hash");
		} else if (error == 0 && s > 1 && prev_known && strcmp(h.prev, w->prev_hash) != 0) {
			sound = 0;
			error = BSAY(w, s, 1, hlc, "its prev hash is not the BLAKE2b-256 of seq %lld: the chain is forked or rewritten",
				     w->last);
		}
		if (error == 0 && !message_is(git_commit_message(commit), s)) {
			char c12[13];
			git_oid_tostr(c12, sizeof(c12), git_commit_id(commit));
			error = BSAY(w, s, 0, hlc, "commit %s's message is not \"vios bundle %lld\"", c12, s);
		}
	}
	w->last = s;
	memcpy(w->prev_hash, hash, sizeof(hash));
	if (error == 0 && w->stop == 0 && w->fns->bundle) {
		memset(&b, 0, sizeof(b));
		b.seq = s;
		b.age = age;
		b.agelen = agelen;
		b.age_id = age_id;
		b.sig = sig;
		b.siglen = sig ? siglen : 0;
		b.sig_id = sig ? sig_id : NULL;
		b.hdr = have_h ? &h : NULL;
		b.trusted = have_h ? peek : NULL;
		b.hash = hash;
		b.commit = commit;
		b.sound = sound;
		if ((error = w->fns->bundle(w->fns->ctx, &b)) > 0) {
			w->stop = error;
			error = 0;
		}
	}
	vios_bundle_header_dispose(&h);
	free(peek);
	return error;
}

typedef struct {
	long long seq;
	const git_oid *age, *sig;
} added_pair;

static int cmp_pair(const void *x, const void *y)
{
	long long a = ((const added_pair *)x)->seq, b = ((const added_pair *)y)->seq;
	return a < b ? -1 : a > b;
}

/* Checks the bundles one commit added (after the commit-level findings). */
static int check_pairs(walk *w, git_commit *commit, added_pair *pairs, size_t npairs)
{
	char c12[13];
	int error = 0;

	git_oid_tostr(c12, sizeof(c12), git_commit_id(commit));
	if (npairs == 0)
		error = say(w, 0, 0, 0, 0, 0, "commit %s adds no bundle: each commit adds exactly one", c12);
	else if (npairs > 1)
		error = say(w, pairs[0].seq, 0, 0, 0, 0, "commit %s adds %zu bundles: each commit adds exactly one", c12,
			    npairs);
	qsort(pairs, npairs, sizeof(*pairs), cmp_pair);
	for (size_t k = 0; k < npairs && error == 0 && w->stop == 0; k++) {
		uint8_t *age = NULL, *sig = NULL;
		size_t agelen = 0, siglen = 0;
		if (pairs[k].age == NULL) {
			error = say(w, pairs[k].seq, 1, pairs[k].seq, 0, 0, "commit %s adds a signature without its bundle", c12);
			continue;
		}
		/* its header first: an oversize blob is refused before it is inflated */
		error = vios_git_read_object(&age, &agelen, w->repo, pairs[k].age, GIT_OBJECT_BLOB, VIOS_BUNDLE_MAX_AGE, "a bundle");
		if (error == VIOS_ECORRUPT) {
			error = say(w, pairs[k].seq, 1, pairs[k].seq, 0, 0, "the bundle is larger than %u bytes", VIOS_BUNDLE_MAX_AGE);
			continue;
		}
		if (error == 0 && pairs[k].sig &&
		    (error = vios_git_read_object(&sig, &siglen, w->repo, pairs[k].sig, GIT_OBJECT_BLOB, VIOS_BUNDLE_SIG_MAX,
						  "a bundle's signature")) == VIOS_ECORRUPT) {
			free(sig);
			sig = NULL;
			error = 0;
		}
		if (error == 0)
			error = check_bundle(w, pairs[k].seq, age, agelen, pairs[k].age, (char *)sig, siglen, pairs[k].sig, commit);
		free(age);
		free(sig);
	}
	return error;
}

/*
 * Before a diff of root (the tree of commit): the diff inflates every
 * directory under the trees it compares, and the history checked them one
 * level down only. A node's tree is bundles/ holding files, so a directory
 * inside bundles/ (or inside any directory beside it) is refused unread:
 * VIOS_ECORRUPT, one line naming it. Its files' modes are the diff's to
 * judge (a finding each).
 */
static int check_flat(walk *w, const git_oid *commit, git_tree *root)
{
	int error = 0;

	for (size_t i = 0; i < git_tree_entrycount(root) && error == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(root, i);
		git_tree *dir = NULL;
		if (git_tree_entry_filemode(e) != GIT_FILEMODE_TREE)
			continue;
		if ((error = vios_git_tree_lookup(&dir, w->repo, git_tree_entry_id(e), git_tree_entry_name(e))) < 0)
			break;
		for (size_t k = 0; k < git_tree_entrycount(dir); k++) {
			const git_tree_entry *d = git_tree_entry_byindex(dir, k);
			char c12[13], d12[13];
			if (git_tree_entry_filemode(d) != GIT_FILEMODE_TREE)
				continue;
			git_oid_tostr(c12, sizeof(c12), commit);
			git_oid_tostr(d12, sizeof(d12), git_tree_entry_id(d));
			vios_error_set(VIOS_ERR_GIT, "%s/%s: directory %s in commit %s on node %s's ref: %s/ holds files only:"
				       " refused unread", git_tree_entry_name(e), git_tree_entry_name(d), d12, c12, w->node,
				       git_tree_entry_name(e));
			error = VIOS_ECORRUPT;
			break;
		}
		git_tree_free(dir);
	}
	return error;
}

/* One commit, the general way: what it changes against its parent (a tree
 * diff), then the bundle it adds. Both trees were checked flat (check_flat). */
static int check_commit(walk *w, git_commit *commit, git_tree *ptree, git_tree *tree)
{
	git_diff *diff = NULL;
	git_diff_options opts;
	added_pair *pairs = NULL;
	size_t npairs = 0, nd;
	char c12[13];
	int rc, error = 0;

	git_oid_tostr(c12, sizeof(c12), git_commit_id(commit));
	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	opts.flags = GIT_DIFF_SKIP_BINARY_CHECK;
	if ((rc = git_diff_tree_to_tree(&diff, w->repo, ptree, tree, &opts)) < 0)
		return vios_git_error(rc, "comparing commits");
	nd = git_diff_num_deltas(diff);
	if ((pairs = calloc(nd + 1, sizeof(*pairs))) == NULL) {
		git_diff_free(diff);
		return vios_error_nomem();
	}
	for (size_t i = 0; i < nd && error == 0 && w->stop == 0; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		const char *path = d->status == GIT_DELTA_DELETED ? d->old_file.path : d->new_file.path;
		int is_sig = 0;
		long long s = 0;
		const char *verb = d->status == GIT_DELTA_ADDED ? "adds" : d->status == GIT_DELTA_DELETED ? "deletes" : "modifies";
		if (vios_layout_bundle_path_parse(&s, &is_sig, path) < 0)
			s = 0;
		if (s > 0 && d->status == GIT_DELTA_ADDED && d->new_file.mode == GIT_FILEMODE_BLOB) {
			size_t k;
			for (k = 0; k < npairs && pairs[k].seq != s; k++)
				;
			if (k == npairs)
				pairs[npairs++].seq = s;
			if (is_sig)
				pairs[k].sig = &d->new_file.id;
			else
				pairs[k].age = &d->new_file.id;
		} else if (s > 0 && d->status == GIT_DELTA_ADDED) {
			error = say(w, s, 1, s, 0, 0, "commit %s adds %s with mode %06o: a bundle file is a regular file (100644)", c12,
				    path, (unsigned)d->new_file.mode);
		} else if (s > 0) {
			error = say(w, s, 1, s, 0, 0, "commit %s %s %s: a bundle once committed never changes", c12, verb, path);
		} else {
			error = say(w, 0, 0, 0, 0, 0, "commit %s %s %s, which is not a bundle file", c12, verb, path);
		}
	}
	if (error == 0 && w->stop == 0)
		error = check_pairs(w, commit, pairs, npairs);
	free(pairs);
	git_diff_free(diff);
	return error;
}

/*
 * The fast way for a well-formed ref. Commit k of a good chain has a root
 * tree with one entry, bundles/, whose tree is exactly the first 2k
 * entries of the head's bundles/ tree (entries sort by name, and names
 * grow with the seq). So instead of diffing two trees of up to 2n entries
 * per commit, the head's bundles/ tree is read once, raw, and commit k's
 * bundles/ tree id is compared with the hash of that raw prefix. When the
 * ids differ (anything else happened) the walk falls back to check_commit.
 */
typedef struct {
	git_odb_object *obj; /* the head's bundles/ tree, raw */
	const unsigned char *data;
	size_t *off;         /* off[i]: where entry i starts; off[n] = the end */
	size_t n;
	size_t pos;          /* entries the chain has matched so far */
	int usable;
} fastpath;

/* The bundles/ tree id of commit c: 1, or 0 when c has none or more (or
 * cannot be read); VIOS_ECORRUPT when the commit or its tree is refused
 * by its header (vios_git_commit_tree), never inflated. */
static int bundles_tree(git_oid *out, git_repository *repo, const git_oid *commit)
{
	git_tree *root = NULL;
	const git_tree_entry *e;
	int ok = 0;

	if ((ok = vios_git_commit_tree(&root, repo, commit)) == VIOS_ECORRUPT)
		return ok;
	ok = 0;
	if (root != NULL && git_tree_entrycount(root) == 1 && (e = git_tree_entry_byname(root, VIOS_BUNDLES_TREE)) != NULL &&
	    git_tree_entry_type(e) == GIT_OBJECT_TREE) {
		git_oid_cpy(out, git_tree_entry_id(e));
		ok = 1;
	}
	git_error_clear();
	git_tree_free(root);
	return ok;
}

/* Reads head's bundles/ tree raw; with from, the walk starts after from's
 * pairs (when from's tree is that prefix, as on a good chain). */
static void fastpath_init(fastpath *fp, git_repository *repo, const git_oid *head, const git_oid *from, long long from_seq)
{
	git_odb *odb = NULL;
	git_oid tid, want;
	size_t len, cap = 0;

	memset(fp, 0, sizeof(*fp));
	if (bundles_tree(&tid, repo, head) <= 0 || git_repository_odb(&odb, repo) < 0)
		goto done;
	if (vios_git_check_object(repo, &tid, GIT_OBJECT_TREE, VIOS_GIT_OBJECT_MAX, "a commit's tree") < 0 ||
	    git_odb_read(&fp->obj, odb, &tid) < 0)
		goto done;
	fp->data = git_odb_object_data(fp->obj);
	len = git_odb_object_size(fp->obj);
	for (size_t p = 0; p < len;) {
		const unsigned char *nul = memchr(fp->data + p, 0, len - p);
		if (nul == NULL || (size_t)(nul - fp->data) + 21 > len)
			goto done;
		if (fp->n + 1 >= cap) {
			size_t *no = realloc(fp->off, (cap = cap ? cap * 2 : 256) * sizeof(*no));
			if (no == NULL)
				goto done;
			fp->off = no;
		}
		fp->off[fp->n++] = p;
		p = (size_t)(nul - fp->data) + 21;
	}
	if (fp->off)
		fp->off[fp->n] = len;
	fp->usable = fp->off != NULL;
	if (fp->usable && from) {
		size_t k = (size_t)from_seq * 2;
		fp->usable = from_seq >= 0 && k <= fp->n && bundles_tree(&tid, repo, from) > 0 &&
			     git_odb_hash(&want, fp->data, fp->off[k], GIT_OBJECT_TREE) == 0 && git_oid_equal(&want, &tid);
		fp->pos = k;
	}
done:
	vios_error_clear();
	if (!fp->usable) {
		git_error_clear();
		git_odb_object_free(fp->obj);
		fp->obj = NULL;
	}
	git_odb_free(odb);
}

static void fastpath_free(fastpath *fp)
{
	git_odb_object_free(fp->obj);
	free(fp->off);
}

/* Entry i of the raw tree as a blob: its seq (0 when no bundle file), kind and id. */
static long long fast_entry(const fastpath *fp, size_t i, int *is_sig, git_oid *id)
{
	const char *e = (const char *)fp->data + fp->off[i];
	long long seq;
	size_t namelen;

	if (strncmp(e, "100644 ", 7) != 0)
		return 0;
	namelen = strlen(e + 7);
	git_oid_fromraw(id, (const unsigned char *)e + 7 + namelen + 1);
	return vios_layout_bundle_name_parse(&seq, is_sig, e + 7) == 0 ? seq : 0;
}

/* 1 when commit adds exactly the next pair of the head's tree (and *pair is it). */
static int fast_commit(fastpath *fp, git_commit *commit, added_pair *pair, git_oid ids[2])
{
	git_tree *root = NULL;
	const git_tree_entry *e;
	git_oid want;
	int sig0 = 0, sig1 = 0, ok = 0;
	long long s0, s1;

	if (!fp->usable || fp->pos + 2 > fp->n)
		return 0;
	/* commit is on the chain: its header and its tree's were checked (vios_chain_history) */
	if (git_commit_tree(&root, commit) < 0) {
		git_error_clear();
		return 0;
	}
	if (git_tree_entrycount(root) != 1 || (e = git_tree_entry_byindex(root, 0)) == NULL ||
	    strcmp(git_tree_entry_name(e), VIOS_BUNDLES_TREE) != 0 || git_tree_entry_type(e) != GIT_OBJECT_TREE)
		goto done;
	s0 = fast_entry(fp, fp->pos, &sig0, &ids[0]);
	s1 = fast_entry(fp, fp->pos + 1, &sig1, &ids[1]);
	if (s0 <= 0 || s0 != s1 || sig0 != 0 || sig1 != 1)
		goto done;
	if (git_odb_hash(&want, fp->data, fp->off[fp->pos + 2], GIT_OBJECT_TREE) < 0 ||
	    !git_oid_equal(&want, git_tree_entry_id(e)))
		goto done;
	pair->seq = s0;
	pair->age = &ids[0];
	pair->sig = &ids[1];
	fp->pos += 2;
	ok = 1;
done:
	git_tree_free(root);
	return ok;
}

int vios_chain_top(long long *seq, char hash[65], git_repository *repo, const git_oid *commit)
{
	git_oid tid;
	git_tree *t = NULL;
	size_t n;
	int error = 0;

	assert(seq != NULL && repo != NULL && commit != NULL);
	*seq = 0;
	if (hash)
		strcpy(hash, VIOS_ZERO_HASH);
	if ((error = bundles_tree(&tid, repo, commit)) <= 0)
		return error;
	if ((error = vios_git_tree_lookup(&t, repo, &tid, VIOS_BUNDLES_TREE)) < 0)
		return error;
	for (n = git_tree_entrycount(t); n > 0; n--) {
		const git_tree_entry *e = git_tree_entry_byindex(t, n - 1);
		long long s;
		int is_sig;
		if (vios_layout_bundle_name_parse(&s, &is_sig, git_tree_entry_name(e)) == 0 && !is_sig) {
			*seq = s;
			if (hash) {
				uint8_t *age = NULL;
				size_t len;
				if ((error = vios_git_read_object(&age, &len, repo, git_tree_entry_id(e), GIT_OBJECT_BLOB,
								  VIOS_BUNDLE_MAX_AGE, "a bundle")) == 0)
					vios_blake2b_hex(hash, age, len);
				free(age);
			}
			break;
		}
	}
	git_tree_free(t);
	return error;
}

/* The walk's state at from: its highest bundle and that bundle's hash. */
static int start_at(walk *w, const git_oid *from)
{
	w->last = 0;
	strcpy(w->prev_hash, VIOS_ZERO_HASH);
	return from ? vios_chain_top(&w->last, w->prev_hash, w->repo, from) : 0;
}

int vios_chain_walk(git_repository *repo, const char *node_id, const git_oid *head, const git_oid *from,
		    const vios_chain_fns *fns)
{
	git_oid *chain = NULL;
	size_t n = 0, merges = 0;
	git_tree *ptree = NULL;
	fastpath fp;
	walk w;
	int rc, reached = 0, error;

	assert(repo != NULL && node_id != NULL && head != NULL && fns != NULL);
	memset(&w, 0, sizeof(w));
	w.repo = repo;
	w.node = node_id;
	w.fns = fns;
	if ((error = vios_chain_history(&chain, &n, &merges, &reached, repo, head, from)) < 0)
		return error;
	if (!reached) {
		char c12[13];
		git_oid_tostr(c12, sizeof(c12), from);
		free(chain);
		if ((error = say(&w, 0, 1, 1, 0, 0,
				 "its history was rewritten: it no longer holds commit %s, which was verified before", c12)) < 0)
			return error;
		return w.stop;
	}
	if ((error = start_at(&w, from)) < 0) {
		free(chain);
		return error;
	}
	if (merges)
		error = say(&w, 0, 0, 0, 0, 0, "%zu merge commit%s on its ref: a node's ref is a straight line of commits",
			    merges, merges == 1 ? "" : "s");
	fastpath_init(&fp, repo, head, from, w.last);
	for (size_t i = 0; i < n && error == 0 && w.stop == 0; i++) {
		git_commit *c = NULL;
		git_tree *tree = NULL;
		added_pair pair;
		git_oid ids[2];
		/* chain[i] and its tree were checked by their headers (vios_chain_history) */
		if ((rc = git_commit_lookup(&c, repo, &chain[i])) < 0) {
			error = vios_git_error(rc, "reading a node's history");
			break;
		}
		if (fp.usable && ptree == NULL && fast_commit(&fp, c, &pair, ids)) {
			error = check_pairs(&w, c, &pair, 1);
			git_commit_free(c);
			continue;
		}
		/* the general way from here on: the parent's tree first, bounded
		 * (chain[0]'s parent is from, which the history did not read) */
		fp.usable = 0;
		if (ptree == NULL && git_commit_parentcount(c) > 0 &&
		    ((error = vios_git_commit_tree(&ptree, repo, git_commit_parent_id(c, 0))) < 0 ||
		     (error = check_flat(&w, git_commit_parent_id(c, 0), ptree)) < 0)) {
			git_commit_free(c);
			break;
		}
		if ((rc = git_commit_tree(&tree, c)) < 0) {
			git_commit_free(c);
			error = vios_git_error(rc, "reading a node's history");
			break;
		}
		if ((error = check_flat(&w, &chain[i], tree)) == 0)
			error = check_commit(&w, c, ptree, tree);
		git_tree_free(ptree);
		ptree = tree;
		git_commit_free(c);
	}
	git_tree_free(ptree);
	fastpath_free(&fp);
	free(chain);
	return error < 0 ? error : w.stop;
}

/* vios_chain_verify: the first finding, and stop. */
typedef struct {
	char *why;
	size_t len;
} first_finding;

static int first_of(void *ctx, const vios_chain_finding *f)
{
	first_finding *ff = ctx;

	if (f->seq)
		snprintf(ff->why, ff->len, "seq %lld: %s", f->seq, f->what);
	else
		snprintf(ff->why, ff->len, "%s", f->what);
	return 1;
}

int vios_chain_verify(char *why, size_t len, git_repository *repo, const char *node_id, const git_oid *head,
		      const git_oid *from)
{
	first_finding ff = { why, len };
	vios_chain_fns fns = { first_of, NULL, &ff };

	assert(why != NULL && len > 0);
	why[0] = 0;
	return vios_chain_walk(repo, node_id, head, from, &fns);
}
