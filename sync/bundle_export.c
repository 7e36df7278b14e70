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
#include "crdt/crdt.h"
#include "crypto/age.h"
#include "crypto/minisign.h"
#include "sync/git.h"
#include "sync/layout.h"
#include "sync/payload.h"
#include "sync/registry.h"
#include "store/ledger.h"
#include "store/records.h"
#include "sync/trust.h"
#include "util/error.h"
#include "util/fault.h"
#include "util/util.h"

#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* ---- export -------------------------------------------------------------- */

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

/*
 * The nodes that own a row: the node that made it and the school whose
 * record it belongs to (a case's school for its agreements and meetings, a
 * pupil's school for its signals, a meeting's for agreements on it). They
 * receive every change of it, whoever makes the change.
 */
static int row_owners(json_t **out, vios_store *st, const char *tbl, const char *pk)
{
	static const struct {
		const char *tbl, *sql;
	} q[] = {
		{ "pupil", "SELECT origin FROM pupil WHERE id = ?1" },
		{ "signal", "SELECT origin FROM signal WHERE id = ?1 UNION SELECT p.origin FROM signal s"
			    " JOIN pupil p ON p.id = s.pupil_id WHERE s.id = ?1" },
		{ "trend", "SELECT origin FROM trend WHERE id = ?1" },
		{ "meeting", "SELECT origin FROM meeting WHERE id = ?1 UNION SELECT c.origin FROM meeting m"
			     " JOIN case_file c ON c.id = m.case_id WHERE m.id = ?1" },
		{ "case_file", "SELECT origin FROM case_file WHERE id = ?1" },
		{ "agreement", "SELECT origin FROM agreement WHERE id = ?1 UNION SELECT c.origin FROM agreement a"
			       " JOIN case_file c ON c.id = a.case_id WHERE a.id = ?1 UNION SELECT m.origin FROM agreement a"
			       " JOIN meeting m ON m.id = a.meeting_id WHERE a.id = ?1" },
	};
	const char *params[1] = { pk };

	assert(out != NULL && st != NULL && tbl != NULL && pk != NULL);
	*out = NULL;
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++)
		if (!strcmp(q[i].tbl, tbl))
			return vios_query(out, st, q[i].sql, params, 1);
	return (*out = json_array()) ? 0 : vios_error_nomem();
}

static int owns(json_t *owners, const char *id)
{
	size_t i;
	json_t *row;

	assert(owners != NULL && id != NULL);
	json_array_foreach(owners, i, row)
		if (!strcmp(json_string_value(json_object_get(row, "origin")) ?: "", id))
			return 1;
	return 0;
}

/* Recipients of one op, by the covenant in force: sorted node ids. */
static int recipients_for(rcpt_set *out, const vios_reg_node *nodes, size_t nnodes, const vios_covenant *cov,
			  const char *self, vios_crdt_category cat, uint32_t roles, json_t *owners)
{
	json_t *table;
	int c = cat == VIOS_CAT_THEME ? 0 : 1;

	/* owners is optional (NULL: nobody owns the record beyond the sender) */
	assert(out != NULL && out->ids != NULL && out->pks != NULL && (nodes != NULL || nnodes == 0));
	assert(cov != NULL && self != NULL);
	table = cov->tables ? json_object_get(cov->tables, self) : NULL;
	out->n = 0;
	for (size_t i = 0; i < nnodes; i++) {
		const char *id = nodes[i].node_id, *kind = nodes[i].kind;
		int r = vios_role_index(nodes[i].role), take = 0;
		if (nodes[i].revoked_at[0])
			continue;
		if (!strcmp(id, self) || (owners && owns(owners, id)))
			take = 1; /* the sender, and the nodes that own the record */
		else if (!strcmp(kind, "auditor"))
			take = 1;
		else if (!strcmp(kind, "hub")) {
			if (c == 0)
				take = (cov->receives[0] >> vios_role_index("hub")) & 1;
			else if (cov->hub_role[0]) {
				int hr = vios_role_index(cov->hub_role);
				take = ((cov->receives[1] >> hr) & 1) && ((roles >> hr) & 1);
			}
		} else if (!strcmp(kind, "partner") && r >= 0) {
			take = (cov->receives[c] >> r) & 1;
			if (c == 1)
				take = take && ((roles >> r) & 1);
			if (take && table) {
				size_t k;
				json_t *p;
				int listed = 0;
				json_array_foreach(table, k, p)
					listed |= !strcmp(json_string_value(p) ?: "", id);
				take = listed;
			}
		} else if (!strcmp(kind, "school") && c == 0)
			take = (cov->receives[0] >> 0) & 1;
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
	size_t n;
	unsigned cats;
} group;

/* Ops per bundle at most: a tenth of what a reader accepts. */
#define EXPORT_CHUNK (VIOS_BUNDLE_MAX_OPS / 10)

static int seal_group(vios_store *st, const group *g, const vios_crdt_pending_op *ops, long long seq,
		      const char *prev, long long covenant_version, char hash_out[65], const uint8_t *raw,
		      size_t rawlen, long long rawops)
{
	vios_bundle_header h;
	const vios_crdt_op **v = NULL;
	uint8_t *gz = NULL, *age = NULL;
	size_t gzlen = 0, agelen = 0;
	char *sig = NULL, now[21];
	int error;

	/* ops for a group of pending ops, raw for an already gzip'd payload */
	assert(st != NULL && st->node != NULL && g != NULL && (raw != NULL || ops != NULL || g->n == 0));
	assert(seq >= 1 && prev != NULL && hash_out != NULL && (g->set.ids != NULL || g->set.n == 0));
	memset(&h, 0, sizeof(h));
	snprintf(h.sender, sizeof(h.sender), "%s", st->node->node_id);
	h.seq = seq;
	snprintf(h.prev, sizeof(h.prev), "%s", prev);
	h.covenant_version = covenant_version;
	h.categories = g->cats;
	h.recipients = g->set.ids;
	h.nrecipients = g->set.n;
	h.ops = raw ? rawops : (long long)g->n;
	if ((error = vios_crdt_clock_tick(&h.hlc, st)) < 0)
		return error;
	if ((error = vios_bundle_header_format(&h.json, &h)) < 0)
		return error;
	if (strlen(h.json) > VIOS_MINISIGN_TRUSTED_TEXT_MAX) {
		vios_error_set(VIOS_ERR_BUNDLE, "bundle header too long for a minisign trusted comment (%zu recipients)", h.nrecipients);
		error = VIOS_ERROR;
		goto done;
	}
	if (raw == NULL) {
		if ((v = malloc((g->n ? g->n : 1) * sizeof(*v))) == NULL) {
			error = vios_error_nomem();
			goto done;
		}
		assert(g->idx != NULL || g->n == 0);
		for (size_t k = 0; k < g->n; k++)
			v[k] = &ops[g->idx[k]].op;
		if ((error = vios_payload_build(&gz, &gzlen, v, g->n, h.sender, seq)) < 0)
			goto done;
	}
	if ((error = vios_age_encrypt_buf(&age, &agelen, raw ? raw : gz, raw ? rawlen : gzlen,
					  (const uint8_t(*)[32])g->set.pks, g->set.n)) < 0 ||
	    (error = vios_minisign_sign(&sig, st->node->sign_sec, age, agelen, h.json, "vios bundle")) < 0)
		goto done;
	vios_blake2b_hex(hash_out, age, agelen);
	vios_now_iso(now);
	if ((error = vios_ledger_outbox_add(st, seq, hash_out, h.json, sig, now, age, agelen)) < 0)
		goto done;
	{
		char why[96];
		snprintf(why, sizeof(why), "bundle seq %lld sealed, %zu ops, %zu recipients", seq, g->n, g->set.n);
		error = vios_store_log(st, "export", "bundle", st->node->node_id, why);
	}
done:
	if (gz) {
		sodium_memzero(gz, gzlen);
		free(gz);
	}
	free(v);
	free(age);
	free(sig);
	free(h.json);
	return error;
}

int vios_bundle_flush(vios_store *st, git_repository *repo)
{
	char ref[VIOS_LAYOUT_REF_MAX], email[80];
	int error = 0;

	assert(st != NULL && st->node != NULL && repo != NULL);
	vios_layout_node_ref(ref, sizeof(ref), VIOS_NODES_REFS, st->node->node_id);
	snprintf(email, sizeof(email), "%s@vios.invalid", st->node->node_id);
	for (;;) {
		vios_ledger_outbox_entry e;
		long long seq;
		const uint8_t *age;
		size_t agelen;
		char path[VIOS_LAYOUT_PATH_MAX], sigpath[VIOS_LAYOUT_PATH_MAX];
		git_oid head, commit;
		int have = 0;

		if ((error = vios_ledger_outbox_next_uncommitted(&e, st)) < 0) {
			if (error == VIOS_ENOTFOUND)
				error = 0;
			goto next;
		}
		have = 1;
		assert(e.seq >= 1 && e.sig != NULL && e.header != NULL && (e.age != NULL || e.agelen == 0));
		seq = e.seq;
		age = e.age;
		agelen = e.agelen;
		vios_layout_bundle_path(path, seq, 0);
		vios_layout_bundle_path(sigpath, seq, 1);
		/* After a crash the commit may be there already. */
		if (vios_git_ref_oid(&head, repo, ref) == 0) {
			uint8_t *there = NULL;
			size_t tlen;
			if (vios_git_read_blob(&there, &tlen, repo, &head, path, VIOS_BUNDLE_MAX_AGE) == 0) {
				int same = tlen == agelen && !memcmp(there, age, agelen);
				free(there);
				if (!same) {
					vios_error_set(VIOS_ERR_BUNDLE, "the outbox repository holds another bundle seq %lld than this node sealed", seq);
					error = VIOS_EVERIFY;
					goto next;
				}
				goto mark;
			}
		}
		{
			vios_git_file files[2] = { { path, age, agelen }, { sigpath, e.sig, strlen(e.sig) } };
			if ((error = vios_git_commit_files(&commit, repo, ref, files, 2, e.header, st->node->name, email)) < 0)
				goto next;
		}
		VIOS_FAULT("export.committed");
mark:
		error = vios_ledger_outbox_mark_committed(st, seq);
next:
		if (have)
			vios_ledger_outbox_entry_dispose(&e);
		if (error < 0 || !have)
			return error;
	}
}

int vios_bundle_export(vios_export_report *out, vios_store *st)
{
	vios_crdt_pending_op *ops = NULL;
	size_t n = 0, ngroups = 0;
	group *groups = NULL;
	vios_reg_node *nodes = NULL;
	size_t nnodes = 0;
	vios_covenant cov;
	git_repository *repo = NULL;
	long long seq;
	char prev[65];
	int error, in_tx = 0;

	assert(out != NULL && st != NULL && st->node != NULL);
	memset(out, 0, sizeof(*out));
	memset(&cov, 0, sizeof(cov));
	if ((error = vios_trust_repo(&repo, st->node)) < 0 || (error = vios_bundle_flush(st, repo)) < 0)
		goto done;
	if ((error = vios_trust_covenant(&cov, st)) < 0) {
		if (error == VIOS_ENOTFOUND)
			vios_error_set(VIOS_ERR_BUNDLE, "this node has not joined a hub yet: run 'vios join URL --hub-fingerprint FP' first; the changes stay queued");
		goto done;
	}
	if ((error = vios_store_tx_begin_uncaptured(st)) < 0)
		goto done;
	in_tx = 1;
	/* The registry's nodes, ordered by node id (so recipient lists are sorted). */
	if ((error = vios_store_reg_node_list(&nodes, &nnodes, st)) < 0)
		goto done;
	if ((error = vios_crdt_pending(&ops, &n, st, 0, 0, VIOS_PENDING_CLASSIFY)) < 0)
		goto done;
	if (n == 0)
		goto commit;
	if ((groups = calloc(n, sizeof(*groups))) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	for (size_t i = 0, g = 0; i < n; i++) {
		rcpt_set s;
		/* ops of one row come together: they share its recipients */
		if (i > 0 && ops[i].category == ops[i - 1].category && ops[i].roles == ops[i - 1].roles &&
		    !strcmp(ops[i].op.tbl, ops[i - 1].op.tbl) && !strcmp(ops[i].op.pk, ops[i - 1].op.pk))
			goto add;
		s.ids = calloc(nnodes + 1, sizeof(*s.ids));
		s.pks = calloc(nnodes + 1, sizeof(*s.pks));
		if (s.ids == NULL || s.pks == NULL) {
			free(s.ids);
			free(s.pks);
			error = vios_error_nomem();
			goto done;
		}
		json_t *owners = NULL;
		if ((error = row_owners(&owners, st, ops[i].op.tbl, ops[i].op.pk)) < 0 ||
		    (error = recipients_for(&s, nodes, nnodes, &cov, st->node->node_id, ops[i].category, ops[i].roles, owners)) < 0) {
			json_decref(owners);
			free(s.ids);
			free(s.pks);
			goto done;
		}
		json_decref(owners);
		for (g = 0; g < ngroups && !same_set(&groups[g].set, &s); g++)
			;
		if (g == ngroups) {
			groups[g].set = s;
			if ((groups[g].idx = calloc(n, sizeof(size_t))) == NULL) {
				error = vios_error_nomem();
				goto done;
			}
			ngroups++;
		} else {
			free(s.ids);
			free(s.pks);
		}
add:
		/* ops of one row follow a group made for an earlier op of it */
		assert(g < ngroups && groups[g].n < n);
		groups[g].idx[groups[g].n++] = i;
		groups[g].cats |= ops[i].category == VIOS_CAT_THEME ? VIOS_CAT_BIT_THEME : VIOS_CAT_BIT_CASE;
	}
	if ((error = outbox_last(&seq, prev, st)) < 0)
		goto done;
	for (size_t g = 0; g < ngroups; g++) {
		/* a large change goes out in several bundles, each well under the
		 * readers' bounds (ops, decompressed size) */
		for (size_t from = 0; from < groups[g].n; from += EXPORT_CHUNK) {
			group part = groups[g];
			char hash[65];
			part.idx = groups[g].idx + from;
			part.n = groups[g].n - from < EXPORT_CHUNK ? groups[g].n - from : EXPORT_CHUNK;
			part.cats = 0;
			for (size_t k = 0; k < part.n; k++)
				part.cats |= ops[part.idx[k]].category == VIOS_CAT_THEME ? VIOS_CAT_BIT_THEME : VIOS_CAT_BIT_CASE;
			seq++;
			if ((error = seal_group(st, &part, ops, seq, prev, cov.version, hash, NULL, 0, 0)) < 0)
				goto done;
			memcpy(prev, hash, sizeof(prev));
			out->bundles++;
			out->ops += part.n;
		}
	}
	{
		char ref[32];
		assert(n > 0);
		snprintf(ref, sizeof(ref), "up to seq %lld", seq);
		if ((error = vios_crdt_mark_sealed(st, ops[n - 1].seq, ref)) < 0)
			goto done;
	}
commit:
	if ((error = vios_store_tx_commit(st)) < 0)
		goto done;
	in_tx = 0;
	VIOS_FAULT("export.sealed");
	error = vios_bundle_flush(st, repo);
done:
	if (in_tx)
		vios_store_tx_rollback(st);
	for (size_t g = 0; groups && g < ngroups; g++) {
		free(groups[g].set.ids);
		free(groups[g].set.pks);
		free(groups[g].idx);
	}
	free(groups);
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
	const char **sorted = NULL;
	group g;
	long long seq;
	char prev[65], hash[65];
	int error, in_tx = 0;

	assert(st != NULL && st->node != NULL && (gz != NULL || len == 0));
	assert(recipients != NULL || nrecipients == 0);
	memset(&g, 0, sizeof(g));
	memset(&cov, 0, sizeof(cov));
	if ((error = vios_trust_repo(&repo, st->node)) < 0 || (error = vios_trust_covenant(&cov, st)) < 0 ||
	    (error = vios_store_reg_node_list(&nodes, &nnodes, st)) < 0)
		goto done;
	g.set.ids = calloc(nnodes + nrecipients + 1, sizeof(*g.set.ids));
	g.set.pks = calloc(nnodes + nrecipients + 1, sizeof(*g.set.pks));
	if (g.set.ids == NULL || g.set.pks == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	g.cats = categories;
	if (recipients == NULL) {
		vios_crdt_category cat = categories & VIOS_CAT_BIT_CASE ? VIOS_CAT_CASE : VIOS_CAT_THEME;
		if ((error = recipients_for(&g.set, nodes, nnodes, &cov, st->node->node_id, cat, roles, NULL)) < 0)
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
			if (k == nnodes || strlen(sorted[i]) >= sizeof(g.set.ids[0])) {
				vios_error_set(VIOS_ERR_INPUT, "recipient %s is not an enrolled node", sorted[i]);
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
	if ((error = outbox_last(&seq, prev, st)) < 0 ||
	    (error = seal_group(st, &g, NULL, seq + 1, prev, cov.version, hash, gz, len, ops)) < 0 ||
	    (error = vios_store_tx_commit(st)) < 0)
		goto done;
	in_tx = 0;
	error = vios_bundle_flush(st, repo);
done:
	if (in_tx)
		vios_store_tx_rollback(st);
	free(sorted);
	free(g.set.ids);
	free(g.set.pks);
	free(nodes);
	vios_covenant_dispose(&cov);
	git_repository_free(repo);
	return error;
}
