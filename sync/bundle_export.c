/*
 * bundle_export.c - see bundle.h. Sealing pending ops into bundles (one per
 * recipient set the covenant decides) and committing them to the outbox
 * repository.
 *
 * The header and payload formats are payload.c's (the codec); here the
 * payload is sealed with age and signed with minisign. Nothing of it is
 * ever written to disk in plain text.
 */
#include "sync/bundle.h"
#include "sync/chain.h"
#include "crdt/crdt.h"
#include "crypto/age.h"
#include "crypto/minisign.h"
#include "sync/git.h"
#include "sync/layout.h"
#include "sync/payload.h"
#include "sync/consent.h"
#include "store/epoch.h"
#include "sync/recipients.h"
#include "sync/registry.h"
#include "store/caseview.h"
#include "store/ledger.h"
#include "store/records.h"
#include "sync/trust.h"
#include "util/bulk.h"
#include "util/error.h"
#include "util/fault.h"
#include "util/pool.h"
#include "util/util.h"

#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* ---- export -------------------------------------------------------------- */

/* This node's epoch no own bundle announced yet, into h (h->epoch_n 0: none). */
static int header_epoch(vios_bundle_header *h, vios_store *st)
{
	vios_epoch_announcement a;
	int error;

	if ((error = vios_epoch_unpublished(&a, st)) < 0)
		return error;
	h->epoch_n = a.n;
	memcpy(h->epoch_pk, a.pk, sizeof(h->epoch_pk));
	snprintf(h->epoch_since, sizeof(h->epoch_since), "%s", a.since);
	return 0;
}

/* The last seq this node sealed and its hash (the next one's prev): 0 and zeros when none. */
static int outbox_last(long long *seq, char hash[65], vios_store *st)
{
	int error;

	assert(seq != NULL && hash != NULL && st != NULL);
	if ((error = vios_ledger_outbox_last(seq, hash, st)) == 0 && *seq == 0)
		strcpy(hash, VIOS_ZERO_HASH);
	return error;
}

typedef struct {
	char (*ids)[37];
	size_t n;
	uint8_t (*pks)[32];
} rcpt_set;

/* The header categories of an op of category cat on marked field f (NULL:
 * none): its row's category and its field's marking (VIOS_CAT_BIT_*, a byte). */
static unsigned cats_of(vios_crdt_category cat, const vios_covenant_field *f)
{
	return (cat == VIOS_CAT_THEME ? VIOS_CAT_BIT_THEME : VIOS_CAT_BIT_CASE) | vios_recipient_mark_bit(f);
}

/* 1 when a and b change the same row (the ops of one change share its strings). */
static int same_row(const vios_crdt_op *a, const vios_crdt_op *b)
{
	return (a->pk == b->pk && a->tbl == b->tbl) || (!strcmp(a->pk, b->pk) && !strcmp(a->tbl, b->tbl));
}

/*
 * Recipients of one op (NULL: of the row as a whole) by the recipient rule (recipients.h) under the covenant this
 * node approved, among the nodes it approved: sorted node ids.
 */
static int recipients_for(rcpt_set *out, const vios_reg_node *nodes, size_t nnodes, const vios_covenant *cov,
			  const vios_node *self, vios_crdt_category cat, uint32_t roles, const vios_crdt_owners *owners,
			  const vios_crdt_op *op)
{
	const vios_covenant_field *field = op ? vios_recipient_op_field(cov, op) : NULL;
	vios_recipient_q q;

	/* owners is optional (NULL: nobody owns the record beyond the sender) */
	assert(out != NULL && out->ids != NULL && out->pks != NULL && (nodes != NULL || nnodes == 0));
	assert(cov != NULL && self != NULL);
	memset(&q, 0, sizeof(q));
	q.cov = cov;
	q.sender_kind = self->kind;
	q.categories = cats_of(cat, field);
	q.case_roles = roles;
	q.marked = field ? field->receives : VIOS_ROLES_ANY;
	out->n = 0;
	for (size_t i = 0; i < nnodes; i++) {
		const char *id = nodes[i].node_id;
		char why[300];
		int take;
		if (nodes[i].revoked_at[0])
			continue;
		if (!strcmp(id, self->node_id) || vios_crdt_owns(owners, id))
			take = 1; /* the sender, and the nodes that own the record */
		else {
			q.kind = nodes[i].kind;
			q.role = nodes[i].role;
			q.in_table = vios_recipient_in_table(cov, self->node_id, id);
			take = vios_recipient_rule(why, sizeof(why), &q);
		}
		if (take) {
			/* at most one id per node: out has room for nnodes + 1 */
			assert(out->n <= i && strlen(id) < sizeof(out->ids[0]));
			strcpy(out->ids[out->n], id);
			memcpy(out->pks[out->n], nodes[i].age_pk, sizeof(nodes[i].age_pk));
			out->n++;
		}
	}
	/* rows come ordered by node_id: the list is sorted */
	return 0;
}

static int same_set(const rcpt_set *a, const rcpt_set *b)
{
	assert(a != NULL && b != NULL);
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->ids[i], b->ids[i]))
			return 0;
	return 1;
}

typedef struct {
	rcpt_set set;
	size_t *idx;
	uint8_t *cats_at; /* the header categories of each op idx names (cats_of) */
	size_t n;
	unsigned cats;
} group;

/* What the bundles of one export carry in their headers beyond their ops. */
typedef struct {
	const vios_covenant *cov; /* the covenant sealed under: the one this node approved */
	char (*approves)[37];     /* approvals not published yet: the first bundle carries them */
	size_t napproves;
	long long published_in;   /* the seq that carried them; 0 until sealed */
} seal_ctx;

/* Ops per bundle at most: a tenth of what a reader accepts. */
#define EXPORT_CHUNK (VIOS_BUNDLE_MAX_OPS / 10)

/*
 * The records among ops[0..n) that the access log says were written with
 * --no-name-check, as "table:id ..." in out (vios_payload_meta's form, at
 * most VIOS_PAYLOAD_SKIPPED_MAX; "" when none).
 */
static int skipped_among(char *out, size_t len, vios_store *st, const vios_crdt_op *const *ops, size_t n)
{
	json_t *rows = NULL, *r;
	size_t i, count = 0;
	int error;

	assert(out != NULL && len > 0 && st != NULL && (ops != NULL || n == 0));
	out[0] = 0;
	if ((error = vios_records_name_check_skipped(&rows, st)) < 0)
		return error;
	json_array_foreach(rows, i, r) {
		const char *tbl = json_string_value(json_object_get(r, "tbl")), *id = json_string_value(json_object_get(r, "record_id"));
		if (tbl == NULL || id == NULL || count == VIOS_PAYLOAD_SKIPPED_MAX || !vios_uuid_valid(id))
			continue;
		for (size_t k = 0; k < n; k++)
			if (!strcmp(ops[k]->tbl, tbl) && !strcmp(ops[k]->pk, id)) {
				if (strlen(out) + strlen(tbl) + 40 < len) {
					snprintf(out + strlen(out), len - strlen(out), "%s%s:%s", out[0] ? " " : "", tbl, id);
					count++;
				}
				break;
			}
	}
	json_decref(rows);
	return 0;
}

/*
 * ---- sealing: prepared and finished in order here, payloads on the pool ----
 *
 * A bundle is sealed in three steps:
 *
 *   1. prepared on the export's thread, in seq order: its header but for
 *      prev (the clock, the epoch it announces, the approvals it carries),
 *      its recipients' keys, the access log's head and the names checks
 *      skipped that its payload carries, and what the store records of it
 *      (the epoch and approvals published in it, the log line);
 *   2. made on the pool (util/pool.h): the payload (image and gzip) and its
 *      age encryption, from copies and read-only ops, touching no store;
 *   3. finished on the export's thread, in seq order: prev is the hash of
 *      the bundle before, the header is signed with it, the bundle goes
 *      into the outbox.
 *
 * So one bundle's payload is made while the next ones are prepared, the
 * changes are marked sealed and earlier bundles are finished, on as many
 * cores as vios_pool_workers() gives. The store sees the same writes in the
 * same transaction as when each bundle was sealed whole in turn, and every
 * bundle's header, payload and chain are as they were (docs/performance.md,
 * "Seventh pass").
 */
typedef struct {
	vios_bundle_header h; /* recipients and approves owned; prev set when finished */
	const vios_crdt_op **v; /* its ops (NULL with raw) */
	size_t n;
	const uint8_t *raw;     /* an already gzip'd payload (vios_bundle_seal_payload_to) */
	size_t rawlen;
	vios_log_head log;
	char skipped[VIOS_PAYLOAD_SKIPPED_MAX * 46 + 1];
	uint8_t (*pks)[32];
	size_t npks;
	size_t ticket;          /* the pool's; SIZE_MAX while not submitted */
	/* made on the pool */
	uint8_t *age;
	size_t agelen;
	int error;
	vios_error_class klass;
	char why[512];
} seal_job;

/* One export's bundles on their way: the last seq given, the hash of the
 * last finished, the jobs not finished yet (first to njobs, in seq order). */
typedef struct {
	vios_pool *pool;
	seal_ctx *cx;
	long long seq;
	char prev[65];
	seal_job **jobs;
	size_t first, njobs, cap;
} sealer;

static void job_free(seal_job *j)
{
	if (j == NULL)
		return;
	free(j->h.recipients);
	free(j->h.approves);
	free(j->h.json);
	free(j->v);
	free(j->pks);
	free(j->age);
	free(j);
}

/* Step 2, on a worker or at its wait: the payload and its encryption. */
static void job_run(void *arg)
{
	seal_job *j = arg;
	uint8_t *gz = NULL;
	size_t gzlen = 0;
	int error = 0;

	if (j->raw == NULL)
		error = vios_payload_build_v4(&gz, &gzlen, j->v, j->n, j->h.sender, j->h.seq, &j->log, j->skipped);
	if (error == 0)
		error = vios_age_encrypt_buf(&j->age, &j->agelen, j->raw ? j->raw : gz, j->raw ? j->rawlen : gzlen,
					     (const uint8_t(*)[32])j->pks, j->npks);
	if (error < 0) {
		/* the error is this thread's: kept for the export's */
		j->error = error;
		j->klass = vios_error_last_class();
		snprintf(j->why, sizeof(j->why), "%s", vios_error_last());
	}
	if (gz) {
		sodium_memzero(gz, gzlen);
		free(gz);
	}
}

/* Step 3 for the first job not finished: waits for it. */
static int job_finish(sealer *sl, vios_store *st)
{
	seal_job *j = sl->jobs[sl->first];
	char *sig = NULL, now[21], hash[65];
	int error;

	assert(j->ticket != SIZE_MAX);
	vios_pool_wait(sl->pool, j->ticket);
	if (j->error < 0) {
		vios_error_set(j->klass, "%s", j->why);
		return j->error;
	}
	memcpy(j->h.prev, sl->prev, sizeof(j->h.prev));
	if ((error = vios_bundle_header_format(&j->h.json, &j->h)) < 0)
		goto done;
	if (strlen(j->h.json) > VIOS_MINISIGN_TRUSTED_TEXT_MAX) {
		vios_error_set(VIOS_ERR_BUNDLE, "bundle header too long for a minisign trusted comment (%zu recipients)",
			       j->h.nrecipients);
		error = VIOS_ERROR;
		goto done;
	}
	if ((error = vios_minisign_sign(&sig, st->node->sign_sec, j->age, j->agelen, j->h.json, "vios bundle")) < 0)
		goto done;
	vios_blake2b_hex(hash, j->age, j->agelen);
	vios_now_iso(now);
	if ((error = vios_ledger_outbox_add(st, j->h.seq, hash, j->h.json, sig, now, j->age, j->agelen)) < 0)
		goto done;
	memcpy(sl->prev, hash, sizeof(sl->prev));
	job_free(j);
	sl->jobs[sl->first++] = NULL;
done:
	free(sig);
	return error;
}

/* Finishes the jobs in order while they are done (all: waiting for each). */
static int sealer_reap(sealer *sl, vios_store *st, int all)
{
	int error;

	while (sl->first < sl->njobs && (all || vios_pool_done(sl->pool, sl->jobs[sl->first]->ticket)))
		if ((error = job_finish(sl, st)) < 0)
			return error;
	return 0;
}

/* The sealer of an export: its chain continues from the last bundle this node sealed. */
static int sealer_init(sealer *sl, vios_store *st, seal_ctx *cx)
{
	int error;

	memset(sl, 0, sizeof(*sl));
	sl->cx = cx;
	if ((error = outbox_last(&sl->seq, sl->prev, st)) < 0)
		return error;
	return vios_pool_new(&sl->pool, vios_pool_workers());
}

/* Stops the pool first (a worker may still read the ops), then frees what was not finished. */
static void sealer_dispose(sealer *sl)
{
	vios_pool_free(sl->pool);
	sl->pool = NULL;
	for (size_t k = sl->first; k < sl->njobs; k++)
		job_free(sl->jobs[k]);
	free(sl->jobs);
	sl->jobs = NULL;
	sl->first = sl->njobs = sl->cap = 0;
}

/*
 * Step 1 for the next bundle (seq one past the last): g's ops (of ops), or
 * raw, an already gzip'd payload of rawops ops; then on the pool. Finishes
 * the bundles already made on the way.
 */
static int seal_submit(sealer *sl, vios_store *st, const group *g, const vios_crdt_pending_op *ops,
		       const uint8_t *raw, size_t rawlen, long long rawops)
{
	seal_ctx *cx = sl->cx;
	vios_bundle_header *h;
	seal_job *j;
	int error;

	/* ops for a group of pending ops, raw for an already gzip'd payload */
	assert(st != NULL && st->node != NULL && g != NULL && (raw != NULL || ops != NULL || g->n == 0));
	assert(g->set.ids != NULL || g->set.n == 0);
	if (sl->njobs == sl->cap) {
		size_t cap = sl->cap ? 2 * sl->cap : 16;
		seal_job **grown = realloc(sl->jobs, cap * sizeof(*grown));
		if (grown == NULL)
			return vios_error_nomem();
		sl->jobs = grown;
		sl->cap = cap;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return vios_error_nomem();
	sl->jobs[sl->njobs++] = j; /* freed with the sealer from here on */
	j->ticket = SIZE_MAX;
	h = &j->h;
	snprintf(h->sender, sizeof(h->sender), "%s", st->node->node_id);
	h->seq = ++sl->seq; /* prev comes when it is finished */
	h->covenant_version = cx->cov->version;
	h->approves_covenant = cx->cov->version; /* it seals under the version it approved */
	h->categories = g->cats;
	h->ops = raw ? rawops : (long long)g->n;
	h->nrecipients = g->set.n;
	if ((h->recipients = malloc((g->set.n ? g->set.n : 1) * sizeof(*h->recipients))) == NULL ||
	    (j->pks = malloc((g->set.n ? g->set.n : 1) * sizeof(*j->pks))) == NULL)
		return vios_error_nomem();
	memcpy(h->recipients, g->set.ids, g->set.n * sizeof(*h->recipients));
	if (cx->published_in == 0 && cx->napproves > 0) {
		if ((h->approves = malloc(cx->napproves * sizeof(*h->approves))) == NULL)
			return vios_error_nomem();
		memcpy(h->approves, cx->approves, cx->napproves * sizeof(*h->approves));
		h->napproves = cx->napproves;
	}
	/* a new epoch of this node rides in the first bundle after it started (vios-bundle-3) */
	if ((error = header_epoch(h, st)) < 0 || (error = vios_crdt_clock_tick(&h->hlc, st)) < 0)
		return error;
	/* each recipient's current epoch recipient (epoch.h), else its registry key */
	j->npks = g->set.n;
	for (size_t i = 0; i < g->set.n; i++)
		if ((error = vios_epoch_seal_pk(j->pks[i], st, g->set.ids[i], g->set.pks[i])) < 0)
			return error;
	if (raw == NULL) {
		if ((j->v = malloc((g->n ? g->n : 1) * sizeof(*j->v))) == NULL)
			return vios_error_nomem();
		assert(g->idx != NULL || g->n == 0);
		for (size_t k = 0; k < g->n; k++)
			j->v[k] = &ops[g->idx[k]].op;
		j->n = g->n;
		/* the access log's head goes inside (vios-payload-2): the auditor
		 * sees a log that went back (docs/formats.md, "Access log chain");
		 * and the records among the ops written with --no-name-check
		 * (vios-payload-3, only when there are any) */
		if ((error = vios_store_log_head(&j->log, st)) < 0 ||
		    (error = skipped_among(j->skipped, sizeof(j->skipped), st, j->v, j->n)) < 0)
			return error;
	} else {
		j->raw = raw;
		j->rawlen = rawlen;
	}
	/* what the store records of it, in seq order */
	if (h->epoch_n > 0 && (error = vios_epoch_published(st, h->epoch_n, h->seq)) < 0)
		return error;
	if (cx->published_in == 0) {
		if ((error = vios_consent_mark_published(st, (const char(*)[37])cx->approves, cx->napproves, h->seq)) < 0)
			return error;
		cx->published_in = h->seq;
	}
	{
		char why[96];
		snprintf(why, sizeof(why), "bundle seq %lld sealed, %zu ops, %zu recipients", h->seq, g->n, g->set.n);
		if ((error = vios_store_log(st, "export", "bundle", st->node->node_id, why)) < 0)
			return error;
	}
	if ((error = vios_pool_submit(sl->pool, job_run, j, &j->ticket)) < 0)
		return error;
	return sealer_reap(sl, st, 0);
}

/*
 * Commits every sealed bundle not committed yet, in seq order, one commit
 * each, chained on the head as this flush found it, then makes them
 * durable and reachable and marks them committed:
 *
 *   1. the commits' objects are written (nothing points at them yet);
 *   2. the file system is synced: the objects are on disk
 *      ("export.written" after it);
 *   3. the ref moves to the last commit, if it is still where it was;
 *   4. synced again: the ref is on disk ("export.committed" after it);
 *   5. they are marked committed in one store transaction, which drops
 *      the bundles' bytes from the outbox table.
 *
 * So the store forgets a bundle only once git holds it on disk: a power
 * cut anywhere leaves either the bundle in the store (steps 1 to 4: the
 * next flush writes it again; objects written and never named are left
 * unreferenced) or a head that holds it. A bundle the head holds already
 * (a crash between 3 and 5, or a ref moved by a vios that did not sync)
 * is recognised by its bytes and marked after the same sync of step 4,
 * not committed again; a bundle of that seq with other bytes at the head
 * stops the flush, and so does a head that holds a bundle but not the one
 * before it. What was committed before a failure is still made reachable
 * and marked, and the first failure is the error reported.
 */

/* The flush's first failure: its code, and its words kept while later steps
 * still run (and may fail and set their own). */
typedef struct {
	int code;
	vios_error_class klass;
	char why[512];
} first_error;

static void first_error_note(first_error *f, int code)
{
	if (code >= 0 || f->code < 0)
		return;
	f->code = code;
	f->klass = vios_error_last_class();
	snprintf(f->why, sizeof(f->why), "%s", vios_error_last());
}

int vios_bundle_flush(vios_store *st, git_repository *repo)
{
	char ref[VIOS_LAYOUT_REF_MAX], email[80];
	long long first = 0, found = 0, made = 0; /* first to mark; the last at the head, the last made */
	git_oid head, tip;
	first_error fe = { 0, VIOS_ERR_NONE, "" };
	int have_head, error;

	assert(st != NULL && st->node != NULL && repo != NULL);
	memset(&head, 0, sizeof(head));
	vios_layout_node_ref(ref, sizeof(ref), VIOS_NODES_REFS, st->node->node_id);
	snprintf(email, sizeof(email), "%s@vios.invalid", st->node->node_id);
	if ((error = vios_git_ref_oid(&head, repo, ref)) < 0 && error != VIOS_ENOTFOUND)
		return error;
	have_head = error == 0;
	tip = head;
	for (;;) {
		vios_ledger_outbox_entry e;
		long long seq;
		char path[VIOS_LAYOUT_PATH_MAX], sigpath[VIOS_LAYOUT_PATH_MAX];
		uint8_t *there = NULL;
		size_t tlen;
		int at_head = VIOS_ENOTFOUND;

		if ((error = vios_ledger_outbox_next_uncommitted(&e, st, made ? made : found)) < 0) {
			if (error != VIOS_ENOTFOUND)
				first_error_note(&fe, error);
			break;
		}
		assert(e.seq >= 1 && e.sig != NULL && e.header != NULL && (e.age != NULL || e.agelen == 0));
		seq = e.seq;
		vios_layout_bundle_path(path, seq, 0);
		vios_layout_bundle_path(sigpath, seq, 1);
		/* After a crash the commit may be there already; only a bundle
		 * the head does not have is committed (a head that cannot be
		 * read stops the flush) */
		if (have_head)
			at_head = vios_git_read_blob(&there, &tlen, repo, &head, path, VIOS_BUNDLE_MAX_AGE);
		if (at_head == 0 && made > 0) {
			vios_error_set(VIOS_ERR_BUNDLE, "the outbox repository holds bundle seq %lld but not seq %lld before it",
				       seq, made);
			error = VIOS_EVERIFY;
			made = 0; /* no chain to go on: nothing this flush wrote is made reachable */
		} else if (at_head == 0) {
			if (tlen == e.agelen && !memcmp(there, e.age, e.agelen)) {
				found = seq;
			} else {
				vios_error_set(VIOS_ERR_BUNDLE, "the outbox repository holds another bundle seq %lld than this node sealed",
					       seq);
				error = VIOS_EVERIFY;
			}
		} else if (at_head != VIOS_ENOTFOUND) {
			error = at_head;
		} else {
			vios_git_file files[2] = { { path, e.age, e.agelen }, { sigpath, e.sig, strlen(e.sig) } };
			char msg[48];
			git_oid commit;
			/* the message and author say no more than the path: the header stays in the .minisig */
			vios_chain_message(msg, sizeof(msg), seq);
			if ((error = vios_git_commit_files_on(&commit, repo, have_head || made ? &tip : NULL, files, 2, msg,
							      st->node->node_id, email)) == 0) {
				tip = commit;
				made = seq;
			}
		}
		free(there);
		if (error == 0 && first == 0)
			first = seq;
		vios_ledger_outbox_entry_dispose(&e);
		first_error_note(&fe, error);
		if (error < 0)
			break;
	}
	/* what this flush committed, made durable and reachable */
	if (made > 0) {
		char msg[48];

		vios_chain_message(msg, sizeof(msg), made);
		if ((error = vios_git_sync(repo)) == 0) {
			VIOS_FAULT("export.written");
			error = vios_git_ref_move(repo, ref, have_head ? &head : NULL, &tip, msg);
		}
		if (error < 0) {
			first_error_note(&fe, error);
			made = 0; /* not reachable: written again next time */
		}
	}
	/* marked once synced, also what was at the head already (a ref another
	 * flush moved may not be on disk yet); what is at the head is marked
	 * even when a later bundle failed */
	if (made > 0 || found > 0) {
		if ((error = vios_git_sync(repo)) == 0) {
			VIOS_FAULT("export.committed");
			error = vios_ledger_outbox_mark_committed_range(st, first, made > 0 ? made : found);
		}
		first_error_note(&fe, error);
	}
	if (fe.code < 0)
		vios_error_set(fe.klass, "%s", fe.why);
	return fe.code;
}

/* ---- grouping and sealing ------------------------------------------------ */

static void groups_free(group *groups, size_t ngroups)
{
	for (size_t g = 0; groups && g < ngroups; g++) {
		free(groups[g].set.ids);
		free(groups[g].set.pks);
		vios_bulk_free(groups[g].idx);
		vios_bulk_free(groups[g].cats_at);
	}
	free(groups);
}

/*
 * Groups ops[0..n) by their recipients (recipients_for, the covenant in
 * force): *groups malloc'd, each with the indices of its ops in order.
 * with_owners: the owners of each op's record receive it too (pending
 * ops); 0 for forwarded state, whose rows are all this node's own.
 */
static int group_ops(group **out, size_t *nout, vios_store *st, const vios_crdt_pending_op *ops, size_t n,
		     const vios_reg_node *nodes, size_t nnodes, const vios_covenant *cov, int with_owners)
{
	group *groups = NULL;
	size_t ngroups = 0;
	int error = 0;

	assert(out != NULL && nout != NULL && st != NULL && (ops != NULL || n == 0) && cov != NULL);
	*out = NULL;
	*nout = 0;
	if (n == 0)
		return 0;
	if ((groups = calloc(n, sizeof(*groups))) == NULL)
		return vios_error_nomem();
	const vios_crdt_owners *own = NULL, *last_own = NULL;
	/* each op's marked field looked up once (fld), the previous op's and
	 * the last decided op's kept */
	const vios_covenant_field *fld = NULL, *prev_fld = NULL, *last_fld = NULL;
	for (size_t i = 0, g = 0, last = 0; i < n; i++, prev_fld = fld) {
		int row_as_before = i > 0 && same_row(&ops[i].op, &ops[i - 1].op);
		rcpt_set s;
		own = with_owners ? ops[i].owners : NULL;
		fld = vios_recipient_op_field(cov, &ops[i].op);
		/* ops of one row come together: they share its recipients */
		if (row_as_before && ops[i].category == ops[i - 1].category && ops[i].roles == ops[i - 1].roles &&
		    fld == prev_fld)
			goto add;
		/* and so does an op whose recipients are decided by the same
		 * inputs as the last op's that was decided (recipients_for) */
		if (i > 0 && ops[i].category == ops[last].category && ops[i].roles == ops[last].roles && fld == last_fld &&
		    vios_crdt_owners_same(own, last_own))
			goto add;
		last = i;
		last_own = own;
		last_fld = fld;
		s.ids = calloc(nnodes + 1, sizeof(*s.ids));
		s.pks = calloc(nnodes + 1, sizeof(*s.pks));
		if (s.ids == NULL || s.pks == NULL) {
			free(s.ids);
			free(s.pks);
			error = vios_error_nomem();
			goto done;
		}
		if ((error = recipients_for(&s, nodes, nnodes, cov, st->node, ops[i].category, ops[i].roles, own,
					    &ops[i].op)) < 0) {
			free(s.ids);
			free(s.pks);
			goto done;
		}
		for (g = 0; g < ngroups && !same_set(&groups[g].set, &s); g++)
			;
		if (g == ngroups) {
			groups[ngroups++].set = s;
			/* room for every op, touched as far as the group's own */
			if ((groups[g].idx = vios_bulk_alloc(n * sizeof(size_t))) == NULL ||
			    (groups[g].cats_at = vios_bulk_alloc(n)) == NULL) {
				error = vios_error_nomem();
				goto done;
			}
		} else {
			free(s.ids);
			free(s.pks);
		}
add:
		/* ops of one row follow a group made for an earlier op of it */
		assert(g < ngroups && groups[g].n < n);
		groups[g].cats_at[groups[g].n] = (uint8_t)cats_of(ops[i].category, fld);
		groups[g].cats |= groups[g].cats_at[groups[g].n];
		groups[g].idx[groups[g].n++] = i;
	}
done:
	if (error < 0) {
		groups_free(groups, ngroups);
		return error;
	}
	*out = groups;
	*nout = ngroups;
	return 0;
}

/*
 * Seals every group as this node's next bundles (seq, prev advanced), a
 * large group in several, each well under the readers' bounds (ops,
 * decompressed size). A group addressed to exactly `skip` (when not NULL)
 * is left out.
 */
static int seal_groups(vios_export_report *out, vios_store *st, const group *groups, size_t ngroups,
		       const vios_crdt_pending_op *ops, sealer *sl, const rcpt_set *skip)
{
	int error;

	assert(out != NULL && st != NULL && (groups != NULL || ngroups == 0) && sl != NULL);
	for (size_t g = 0; g < ngroups; g++) {
		if (skip && same_set(&groups[g].set, skip))
			continue;
		for (size_t from = 0, len; from < groups[g].n; from += len) {
			group part = groups[g];
			part.idx = groups[g].idx + from;
			part.cats_at = groups[g].cats_at + from;
			len = groups[g].n - from < EXPORT_CHUNK ? groups[g].n - from : EXPORT_CHUNK;
			/* never split one row's ops: a reader classifies a row (and checks
			 * the header's categories) by the columns it holds */
			while (from + len < groups[g].n && len < 2 * EXPORT_CHUNK &&
			       same_row(&ops[part.idx[len - 1]].op, &ops[part.idx[len]].op))
				len++;
			part.n = len;
			part.cats = 0;
			for (size_t k = 0; k < part.n; k++)
				part.cats |= part.cats_at[k];
			if ((error = seal_submit(sl, st, &part, ops, NULL, 0, 0)) < 0)
				return error;
			out->bundles++;
			out->ops += part.n;
		}
	}
	return 0;
}

/* ---- the case view ----------------------------------------------------------
 *
 * Pending ops go to the roles a case has when they are sealed, so a role
 * added to a case later has missed the case so far, and a role taken off
 * would never learn it. For the cases this node made, store/caseview.h
 * keeps which roles have been sent each one; every export compares that
 * with the case's roles now:
 *
 *   - a role added since: its nodes are sent the current state of the
 *     case's rows this node made (vios_caseview_rows), each column as the
 *     op that wrote the value it holds (vios_crdt_row_state): the original
 *     writer's clock and node, so a cell a partner won (an agreement the
 *     social team marked done) is forwarded as the partner's op. Rows made
 *     by other nodes are not forwarded: only a row's owner forwards, and
 *     the importer takes another node's op only from the row's owner. In
 *     bundles of their own, sealed before the pending ops, so a receiver
 *     holds the rows before ops that change them arrive;
 *   - a role taken off: the pending ops that changed case_file.roles are
 *     sealed to its nodes too (their copy shows the roles without them),
 *     or, when the change is not this node's own op (a lead's), the roles
 *     cell as it is now; nothing of the case is addressed to it afterwards;
 *   - a case no export saw before: its rows go out with the pending ops;
 *     only rows sealed in earlier exports (a pupil registered before the
 *     case was opened) are sent as state. Rows whose making op is pending
 *     now are never sent as state: they go out whole with the pending ops.
 *
 * Then the case's roles are recorded, in the export's transaction.
 */

typedef struct {
	vios_crdt_pending_op *v; /* forwarded state, category case, roles = who it is for */
	size_t n, cap;
	char (*made)[54];        /* "tbl/pk" of the rows whose making op is pending, sorted */
	size_t nmade;
} fwd_plan;

static int made_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* 1 when op is a row's making op (the set of its origin). */
static int makes_row(const vios_crdt_pending_op *op)
{
	return op->op.kind == VIOS_OP_SET && op->op.col && !strcmp(op->op.col, "origin");
}

/* The rows whose making op is among the pending ops. */
static int plan_made(fwd_plan *p, const vios_crdt_pending_op *ops, size_t n)
{
	size_t k = 0;

	/* counted first: room for every op was 54 bytes an op, 27 MB of fresh
	 * memory for half a million ops (a seventh of an export's page faults) */
	for (size_t i = 0; i < n; i++)
		k += makes_row(&ops[i]);
	if (k == 0)
		return 0;
	if ((p->made = calloc(k, sizeof(*p->made))) == NULL)
		return vios_error_nomem();
	for (size_t i = 0; i < n; i++)
		if (makes_row(&ops[i]))
			snprintf(p->made[p->nmade++], sizeof(p->made[0]), "%s/%s", ops[i].op.tbl, ops[i].op.pk);
	qsort(p->made, p->nmade, sizeof(p->made[0]), made_cmp);
	return 0;
}

static int plan_is_made(const fwd_plan *p, const char *tbl, const char *pk)
{
	char key[54];

	snprintf(key, sizeof(key), "%s/%s", tbl, pk);
	return p->nmade && bsearch(key, p->made, p->nmade, sizeof(p->made[0]), made_cmp) != NULL;
}

/* Appends the state of (tbl, pk), or of its column col, for the roles `roles`. */
static int plan_row(fwd_plan *p, size_t *added, vios_store *st, const char *tbl, const char *pk, const char *col,
		    vios_crdt_category cat, uint32_t roles)
{
	vios_crdt_op *ops = NULL;
	size_t n = 0, unclocked = 0;
	int error;

	*added = 0;
	error = vios_crdt_row_state(&ops, &n, &unclocked, st, tbl, pk, col);
	if (error == VIOS_ENOTFOUND)
		return 0;
	if (error < 0)
		return error;
	if (unclocked) {
		/* a value no op wrote (a row made outside capture) has no clock
		 * to forward it under; a made-up one would make nodes disagree */
		char why[96];
		snprintf(why, sizeof(why), "%zu column(s) without a clock not forwarded to a role added to a case", unclocked);
		if ((error = vios_store_log(st, "export", tbl, pk, why)) < 0)
			goto done;
	}
	if (p->n + n > p->cap) {
		size_t cap = p->cap ? p->cap : 64;
		vios_crdt_pending_op *grown;
		while (cap < p->n + n)
			cap *= 2;
		/* freed with vios_crdt_pending_free, as a listing is (crdt.h) */
		if ((grown = vios_bulk_realloc(p->v, cap * sizeof(*grown))) == NULL) {
			error = vios_error_nomem();
			goto done;
		}
		p->v = grown;
		p->cap = cap;
	}
	for (size_t i = 0; i < n; i++) {
		vios_crdt_pending_op *f = NULL;
		/* a cell planned already (the pupil of two cases whose roles grew)
		 * goes once, to both cases' roles: a payload holds a cell once */
		for (size_t k = 0; k < p->n && f == NULL; k++)
			if (same_row(&p->v[k].op, &ops[i]) && !strcmp(p->v[k].op.col, ops[i].col))
				f = &p->v[k];
		if (f) {
			f->roles |= roles;
			vios_crdt_op_dispose(&ops[i]);
			continue;
		}
		f = &p->v[p->n++];
		memset(f, 0, sizeof(*f));
		f->op = ops[i]; /* moved: ops keeps nothing to free */
		f->category = cat;
		f->roles = roles;
		(*added)++;
	}
	free(ops);
	return 0;
done:
	vios_crdt_ops_free(ops, n);
	return error;
}

/*
 * Plans the case view for this export: forwarded state into p, the
 * pending ops that changed a case's roles widened to the roles taken off.
 * *cases (malloc'd) are this node's cases, recorded after sealing.
 */
static int plan_case_view(fwd_plan *p, vios_caseview_case **cases, size_t *ncases, vios_store *st,
			  vios_crdt_pending_op *ops, size_t n)
{
	const char *self = st->node->node_id;
	int error;

	if ((error = vios_caseview_list(cases, ncases, st, self)) < 0 || (error = plan_made(p, ops, n)) < 0)
		return error;
	for (size_t k = 0; k < *ncases; k++) {
		const vios_caseview_case *c = &(*cases)[k];
		uint32_t added = c->known ? c->roles & ~c->sent : c->roles;
		uint32_t removed = c->known ? c->sent & ~c->roles : 0;
		size_t fwd = 0, got;
		char names[128], why[200];

		if (removed) {
			int widened = 0;
			for (size_t i = 0; i < n; i++)
				if (ops[i].op.kind == VIOS_OP_SET && !strcmp(ops[i].op.tbl, "case_file") &&
				    !strcmp(ops[i].op.pk, c->id) && !strcmp(ops[i].op.col, "roles")) {
					ops[i].roles |= removed;
					widened = 1;
				}
			if (!widened && (error = plan_row(p, &got, st, "case_file", c->id, "roles", VIOS_CAT_CASE, removed)) < 0)
				return error;
			if ((error = vios_crdt_roles_format(names, sizeof(names), removed)) < 0)
				return error;
			snprintf(why, sizeof(why), "taken off the case: %s (sent the new roles, nothing more)", names);
			if ((error = vios_store_log(st, "export", "case_file", c->id, why)) < 0)
				return error;
		}
		if (added == 0)
			continue;
		{
			vios_caseview_row *rows = NULL;
			size_t nrows = 0;
			if ((error = vios_caseview_rows(&rows, &nrows, st, c->id, self)) < 0)
				return error;
			for (size_t r = 0; r < nrows && error == 0; r++) {
				if (plan_is_made(p, rows[r].tbl, rows[r].id))
					continue;
				if ((error = plan_row(p, &got, st, rows[r].tbl, rows[r].id, NULL, VIOS_CAT_CASE, added)) == 0)
					fwd += got;
			}
			free(rows);
			if (error < 0)
				return error;
		}
		if (fwd == 0)
			continue;
		if ((error = vios_crdt_roles_format(names, sizeof(names), added)) < 0)
			return error;
		snprintf(why, sizeof(why), "case state (%zu ops) forwarded to the nodes of role(s) %s", fwd, names);
		if ((error = vios_store_log(st, "export", "case_file", c->id, why)) < 0)
			return error;
	}
	return 0;
}

static void plan_dispose(fwd_plan *p)
{
	vios_crdt_pending_free(p->v, p->n);
	free(p->made);
	memset(p, 0, sizeof(*p));
}

/* After sealing: every owned case's roles recorded as sent. A case an
 * export recorded before whose roles are the ones recorded is left as it
 * is: recording it again writes nothing (a role keeps its since). */
static int record_case_view(vios_store *st, const vios_caseview_case *cases, size_t ncases)
{
	char now[21];
	int error;

	vios_now_iso(now);
	for (size_t k = 0; k < ncases; k++)
		if (!(cases[k].known && cases[k].sent == cases[k].roles) &&
		    (error = vios_caseview_record(st, cases[k].id, cases[k].roles, now)) < 0)
			return error;
	return vios_caseview_prune(st, st->node->node_id);
}

/* ---- nodes approved since the last export ------------------------------------
 *
 * A node this node approves after joining (sync/consent.h) has missed
 * everything sealed before. The next export sends it the current state of
 * every record this node made that the recipient rule gives it, each column
 * as the op that wrote its value (as the case view forwards a case to a role
 * added to it), in bundles addressed to it alone, before the pending ops.
 * Records whose making op is pending go out whole with the pending ops.
 */

/* The state of every record this node made (but those made in pending ops), classified as now. */
static int plan_own_rows(fwd_plan *p, vios_store *st, const fwd_plan *made)
{
	const char *const *tables = vios_crdt_tables();
	const char *self = st->node->node_id;
	int error = 0;

	for (size_t t = 0; tables[t] && error == 0; t++) {
		json_t *rows = NULL, *row;
		const char *params[1] = { self };
		char sql[96];
		size_t i;
		snprintf(sql, sizeof(sql), "SELECT id FROM %s WHERE origin = ?1 ORDER BY id", tables[t]);
		if ((error = vios_query(&rows, st, sql, params, 1)) < 0)
			return error;
		json_array_foreach(rows, i, row) {
			const char *id = json_string_value(json_object_get(row, "id"));
			vios_crdt_category cat;
			uint32_t roles;
			size_t got;
			if (id == NULL || plan_is_made(made, tables[t], id))
				continue;
			if ((error = vios_crdt_row_category(&cat, &roles, st, tables[t], id)) < 0 ||
			    (error = plan_row(p, &got, st, tables[t], id, NULL, cat, roles)) < 0)
				break;
		}
		json_decref(rows);
	}
	return error;
}

static int forward_to_approved(vios_export_report *out, vios_store *st, const vios_reg_node *nodes, size_t nnodes,
			       const fwd_plan *made, sealer *sl)
{
	const char *self = st->node->node_id;
	char (*due)[37] = NULL, only_self_id[1][37];
	uint8_t only_self_pk[1][32];
	rcpt_set only_self = { only_self_id, 0, only_self_pk };
	fwd_plan all;
	size_t ndue = 0, me;
	int error;

	memset(&all, 0, sizeof(all));
	if ((error = vios_consent_forward_due(&due, &ndue, st)) < 0 || ndue == 0)
		return error;
	for (me = 0; me < nnodes && strcmp(nodes[me].node_id, self) != 0; me++)
		;
	if (me == nnodes) {
		vios_error_set(VIOS_ERR_BUNDLE, "this node is not in the registry it holds");
		error = VIOS_EVERIFY;
		goto done;
	}
	snprintf(only_self_id[0], sizeof(only_self_id[0]), "%s", self);
	only_self.n = 1;
	if ((error = plan_own_rows(&all, st, made)) < 0)
		goto done;
	for (size_t d = 0; d < ndue; d++) {
		vios_reg_node pair[2];
		group *groups = NULL;
		size_t ngroups = 0, k, before = out->ops;
		char why[160];
		for (k = 0; k < nnodes && strcmp(nodes[k].node_id, due[d]) != 0; k++)
			;
		if (k < nnodes) {
			/* in node id order, as recipient lists are */
			int first = strcmp(self, due[d]) < 0;
			pair[0] = nodes[first ? me : k];
			pair[1] = nodes[first ? k : me];
			if ((error = group_ops(&groups, &ngroups, st, all.v, all.n, pair, 2, sl->cx->cov, 0)) < 0 ||
			    (error = seal_groups(out, st, groups, ngroups, all.v, sl, &only_self)) < 0) {
				groups_free(groups, ngroups);
				goto done;
			}
			groups_free(groups, ngroups);
			snprintf(why, sizeof(why), "current state (%zu ops) sent to node %s, approved since the last export",
				 out->ops - before, due[d]);
			if ((error = vios_store_log(st, "export", "consent", due[d], why)) < 0)
				goto done;
		}
		if ((error = vios_consent_forward_done(st, due[d])) < 0)
			goto done;
	}
done:
	/* its jobs read all's ops: finished (or, failing, stopped) before they go */
	if (error >= 0)
		error = sealer_reap(sl, st, 1);
	if (error < 0)
		sealer_dispose(sl);
	plan_dispose(&all);
	free(due);
	return error;
}

/*
 * Approvals alone, addressed to this node only (the header is what the hub
 * and the auditor read): while more are waiting than one header carries,
 * and, at the end of an export that sealed nothing, what a person approved
 * (force; consent.h).
 */
static int seal_approvals_only(vios_export_report *out, vios_store *st, sealer *sl, int force)
{
	seal_ctx *cx = sl->cx;
	char only_self_id[1][37];
	uint8_t only_self_pk[1][32];
	group g;
	int error;

	memset(&g, 0, sizeof(g));
	snprintf(only_self_id[0], sizeof(only_self_id[0]), "%s", st->node->node_id);
	memcpy(only_self_pk[0], st->node->age_pk, sizeof(only_self_pk[0]));
	g.set.ids = only_self_id;
	g.set.pks = only_self_pk;
	g.set.n = 1;
	for (;;) {
		int due;
		free(cx->approves);
		cx->approves = NULL;
		cx->published_in = 0;
		if ((error = vios_consent_unpublished(&due, &cx->approves, &cx->napproves, st, VIOS_CONSENT_HEADER_MAX + 1)) < 0)
			return error;
		if (cx->napproves <= VIOS_CONSENT_HEADER_MAX && !(force && due))
			return 0;
		if (cx->napproves > VIOS_CONSENT_HEADER_MAX)
			cx->napproves = VIOS_CONSENT_HEADER_MAX;
		if ((error = seal_submit(sl, st, &g, NULL, NULL, 0, 0)) < 0)
			return error;
		out->bundles++;
		force = 0;
	}
}

/*
 * A new epoch no bundle of this export carried: announced in a bundle of
 * no ops addressed to this node only (as approvals alone are), so every
 * reader of the hub learns it at the next sync.
 */
static int seal_epoch_only(vios_export_report *out, vios_store *st, sealer *sl)
{
	seal_ctx *cx = sl->cx;
	vios_bundle_header h;
	char only_self_id[1][37];
	uint8_t only_self_pk[1][32];
	group g;
	int error;

	memset(&h, 0, sizeof(h));
	if ((error = header_epoch(&h, st)) < 0 || h.epoch_n == 0)
		return error;
	memset(&g, 0, sizeof(g));
	snprintf(only_self_id[0], sizeof(only_self_id[0]), "%s", st->node->node_id);
	memcpy(only_self_pk[0], st->node->age_pk, sizeof(only_self_pk[0]));
	g.set.ids = only_self_id;
	g.set.pks = only_self_pk;
	g.set.n = 1;
	free(cx->approves);
	cx->approves = NULL;
	cx->napproves = 0;
	cx->published_in = 0;
	if ((error = seal_submit(sl, st, &g, NULL, NULL, 0, 0)) < 0)
		return error;
	out->bundles++;
	return 0;
}

/*
 * With an expired registry: the theme ops of ops[0..n) first, in their
 * order, then the rest (kept pending); *nseal = how many are theme.
 */
static int theme_first(size_t *nseal, vios_crdt_pending_op *ops, size_t n)
{
	vios_crdt_pending_op *tmp;
	size_t k = 0;

	assert(nseal != NULL && (ops != NULL || n == 0));
	*nseal = 0;
	if (n == 0)
		return 0;
	if ((tmp = malloc(n * sizeof(*tmp))) == NULL)
		return vios_error_nomem();
	for (size_t i = 0; i < n; i++)
		if (ops[i].category == VIOS_CAT_THEME)
			tmp[k++] = ops[i];
	*nseal = k;
	for (size_t i = 0; i < n; i++)
		if (ops[i].category != VIOS_CAT_THEME)
			tmp[k++] = ops[i];
	assert(k == n);
	memcpy(ops, tmp, n * sizeof(*tmp)); /* a permutation: each op's strings still owned once */
	free(tmp);
	return 0;
}

int vios_bundle_export(vios_export_report *out, vios_store *st)
{
	vios_crdt_pending_op *ops = NULL;
	size_t n = 0, nseal = 0, ngroups = 0, nfgroups = 0, ncases = 0;
	vios_trust_fresh fresh;
	int expired;
	group *groups = NULL, *fgroups = NULL;
	vios_reg_node *nodes = NULL;
	size_t nnodes = 0;
	vios_covenant cov;
	seal_ctx cx;
	vios_caseview_case *cases = NULL;
	fwd_plan plan;
	rcpt_set nobody_new = { NULL, 0, NULL };
	git_repository *repo = NULL;
	sealer sl;
	int error, in_tx = 0;

	assert(out != NULL && st != NULL && st->node != NULL);
	memset(out, 0, sizeof(*out));
	memset(&cov, 0, sizeof(cov));
	memset(&cx, 0, sizeof(cx));
	memset(&plan, 0, sizeof(plan));
	memset(&sl, 0, sizeof(sl));
	if ((error = vios_trust_repo(&repo, st->node)) < 0 || (error = vios_bundle_flush(st, repo)) < 0)
		goto done;
	if ((error = vios_consent_covenant_load(&cov, st)) < 0) {
		if (error == VIOS_ENOTFOUND)
			vios_error_set(VIOS_ERR_BUNDLE, "this node has not joined a hub yet: run 'vios join URL --hub-fingerprint FP' first; the changes stay queued");
		goto done;
	}
	cx.cov = &cov;
	/* a revoked node seals nothing; an expired registry seals no case data */
	if ((error = vios_trust_may_seal(st)) < 0)
		goto done;
	if ((error = vios_trust_freshness(&fresh, st)) < 0 && error != VIOS_ENOTFOUND)
		goto done;
	/* no expiry recorded (a registry installed before format 2): held as expired */
	expired = error == VIOS_ENOTFOUND || fresh.state == VIOS_REGISTRY_EXPIRED;
	if ((error = vios_store_tx_begin_uncaptured(st)) < 0)
		goto done;
	in_tx = 1;
	/* The registry's nodes this node approved, ordered by node id (so recipient lists are sorted). */
	if ((error = vios_consent_nodes(&nodes, &nnodes, st)) < 0)
		goto done;
	if ((error = vios_crdt_pending(&ops, &n, st, 0, 0, VIOS_PENDING_CLASSIFY)) < 0)
		goto done;
	nseal = n;
	if (expired && (error = theme_first(&nseal, ops, n)) < 0)
		goto done;
	out->held = n - nseal;
	if (!expired && (error = plan_case_view(&plan, &cases, &ncases, st, ops, n)) < 0)
		goto done;
	/* forwarded state addressed to nobody beyond the sender and the
	 * auditors (a role no enrolled node plays) is not sealed: they hold it */
	nobody_new.ids = calloc(nnodes + 1, sizeof(*nobody_new.ids));
	nobody_new.pks = calloc(nnodes + 1, sizeof(*nobody_new.pks));
	if (nobody_new.ids == NULL || nobody_new.pks == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	if ((error = recipients_for(&nobody_new, nodes, nnodes, &cov, st->node, VIOS_CAT_CASE, 0, NULL, NULL)) < 0 ||
	    (error = group_ops(&fgroups, &nfgroups, st, plan.v, plan.n, nodes, nnodes, &cov, 0)) < 0 ||
	    (error = group_ops(&groups, &ngroups, st, ops, nseal, nodes, nnodes, &cov, 1)) < 0 ||
	    (error = sealer_init(&sl, st, &cx)) < 0)
		goto done;
	/* approvals first (every recipient below is approved in a header at
	 * or before its bundle), then the state nodes approved since the last
	 * export missed, then the forwarded case state (a receiver then holds
	 * the rows before the pending ops that change them), then the ops */
	if ((error = seal_approvals_only(out, st, &sl, 0)) < 0 ||
	    (!expired && (error = forward_to_approved(out, st, nodes, nnodes, &plan, &sl)) < 0) ||
	    (error = seal_groups(out, st, fgroups, nfgroups, plan.v, &sl, &nobody_new)) < 0 ||
	    (error = seal_groups(out, st, groups, ngroups, ops, &sl, NULL)) < 0 ||
	    (error = seal_approvals_only(out, st, &sl, 1)) < 0 ||
	    (error = seal_epoch_only(out, st, &sl)) < 0)
		goto done;
	/* while the pool makes the payloads: the changes marked sealed, the
	 * case view recorded; then every bundle finished, in seq order */
	if (n > 0) {
		char ref[32];
		snprintf(ref, sizeof(ref), "up to seq %lld", sl.seq);
		/* every pending op, or (case data held back) each sealed one */
		if (nseal == n && (error = vios_crdt_mark_sealed(st, ops[n - 1].seq, ref)) < 0)
			goto done;
		for (size_t i = 0; nseal < n && i < nseal; i++)
			if ((error = vios_crdt_mark_sealed_one(st, ops[i].seq, ref)) < 0)
				goto done;
	}
	if ((!expired && (error = record_case_view(st, cases, ncases)) < 0) || (error = sealer_reap(&sl, st, 1)) < 0 ||
	    (error = vios_store_tx_commit(st)) < 0)
		goto done;
	in_tx = 0;
	sealer_dispose(&sl); /* every bundle finished: no thread idles through the flush */
	VIOS_FAULT("export.sealed");
	error = vios_bundle_flush(st, repo);
done:
	/* first: a worker may still be reading the ops */
	sealer_dispose(&sl);
	if (in_tx)
		vios_store_tx_rollback(st);
	groups_free(groups, ngroups);
	groups_free(fgroups, nfgroups);
	free(nobody_new.ids);
	free(nobody_new.pks);
	plan_dispose(&plan);
	free(cases);
	free(cx.approves);
	vios_crdt_pending_free(ops, n);
	free(nodes);
	vios_covenant_dispose(&cov);
	git_repository_free(repo);
	return error;
}

static int cmp_id(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

int vios_bundle_seal_payload(vios_store *st, const uint8_t *gz, size_t len, long long ops)
{
	return vios_bundle_seal_payload_to(st, gz, len, ops, VIOS_CAT_BIT_THEME, 0, NULL, 0);
}

int vios_bundle_seal_payload_to(vios_store *st, const uint8_t *gz, size_t len, long long ops, unsigned categories,
				uint32_t roles, const char *const *recipients, size_t nrecipients)
{
	git_repository *repo = NULL;
	vios_reg_node *nodes = NULL;
	size_t nnodes = 0;
	vios_covenant cov;
	seal_ctx cx;
	vios_export_report rep;
	const char **sorted = NULL;
	group g;
	sealer sl;
	int error, in_tx = 0;

	assert(st != NULL && st->node != NULL && (gz != NULL || len == 0));
	assert(recipients != NULL || nrecipients == 0);
	memset(&g, 0, sizeof(g));
	memset(&sl, 0, sizeof(sl));
	memset(&cov, 0, sizeof(cov));
	memset(&cx, 0, sizeof(cx));
	memset(&rep, 0, sizeof(rep));
	if ((error = vios_trust_repo(&repo, st->node)) < 0 || (error = vios_consent_covenant_load(&cov, st)) < 0 ||
	    (error = vios_consent_nodes(&nodes, &nnodes, st)) < 0)
		goto done;
	cx.cov = &cov;
	g.set.ids = calloc(nnodes + nrecipients + 1, sizeof(*g.set.ids));
	g.set.pks = calloc(nnodes + nrecipients + 1, sizeof(*g.set.pks));
	if (g.set.ids == NULL || g.set.pks == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	g.cats = categories;
	if (recipients == NULL) {
		vios_crdt_category cat = categories & VIOS_CAT_BIT_CASE ? VIOS_CAT_CASE : VIOS_CAT_THEME;
		if ((error = recipients_for(&g.set, nodes, nnodes, &cov, st->node, cat, roles, NULL, NULL)) < 0)
			goto done;
	} else {
		/* as given, in node id order (as the exporter lists them) */
		if ((sorted = malloc((nrecipients + 1) * sizeof(*sorted))) == NULL) {
			error = vios_error_nomem();
			goto done;
		}
		memcpy(sorted, recipients, nrecipients * sizeof(*sorted));
		qsort(sorted, nrecipients, sizeof(*sorted), cmp_id);
		for (size_t i = 0; i < nrecipients; i++) {
			size_t k;
			for (k = 0; k < nnodes && strcmp(nodes[k].node_id, sorted[i]) != 0; k++)
				;
			if (k == nnodes || nodes[k].revoked_at[0] || strlen(sorted[i]) >= sizeof(g.set.ids[0])) {
				vios_error_set(VIOS_ERR_INPUT, "recipient %s is not an enrolled, unrevoked node this node approved", sorted[i]);
				error = VIOS_ENOTFOUND;
				goto done;
			}
			strcpy(g.set.ids[g.set.n], sorted[i]);
			memcpy(g.set.pks[g.set.n], nodes[k].age_pk, sizeof(nodes[k].age_pk));
			g.set.n++;
		}
	}
	if ((error = vios_store_tx_begin_uncaptured(st)) < 0)
		goto done;
	in_tx = 1;
	if ((error = sealer_init(&sl, st, &cx)) < 0 || (error = seal_approvals_only(&rep, st, &sl, 0)) < 0 ||
	    (error = seal_submit(&sl, st, &g, NULL, gz, len, ops)) < 0 || (error = sealer_reap(&sl, st, 1)) < 0 ||
	    (error = vios_store_tx_commit(st)) < 0)
		goto done;
	in_tx = 0;
	error = vios_bundle_flush(st, repo);
done:
	sealer_dispose(&sl);
	if (in_tx)
		vios_store_tx_rollback(st);
	free(sorted);
	free(g.set.ids);
	free(g.set.pks);
	free(nodes);
	free(cx.approves);
	vios_covenant_dispose(&cov);
	git_repository_free(repo);
	return error;
}
