/*
 * bundle_import.c - see bundle.h. Verifying, importing (in seq order,
 * holding early bundles until the gap fills) and inspecting bundles.
 *
 * Readers verify before they decrypt and decrypt before they parse: the
 * signature and sender first (verify_bundle), then the age file, then the
 * payload through payload.c's codec. Nothing of it is ever written to disk
 * in plain text.
 */
#include "sync/bundle.h"
#include "sync/consent.h"
#include "sync/recipients.h"
#include "sync/chain.h"
#include "crdt/crdt.h"
#include "crdt/mandate.h"
#include "crypto/age.h"
#include "crypto/minisign.h"
#include "sync/layout.h"
#include "store/epoch.h"
#include "sync/payload.h"
#include "sync/registry.h"
#include "store/ledger.h"
#include "sync/trust.h"
#include "util/error.h"
#include "util/fault.h"
#include "util/util.h"

#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* The epoch a verified header announced, to the store (store/epoch.h). */
static int record_epoch(vios_store *st, const vios_bundle_header *h)
{
	vios_epoch_announcement a;

	a.n = h->epoch_n;
	memcpy(a.pk, h->epoch_pk, sizeof(a.pk));
	snprintf(a.since, sizeof(a.since), "%s", h->epoch_since);
	return vios_epoch_record(st, h->sender, h->seq, &a);
}

static int addressed_to(const vios_bundle_header *h, const char *node_id)
{
	assert(h != NULL && node_id != NULL && (h->recipients != NULL || h->nrecipients == 0));
	for (size_t i = 0; i < h->nrecipients; i++)
		if (!strcmp(h->recipients[i], node_id))
			return 1;
	return 0;
}

/* Decrypts with this node's live keys (its identity's age key and its
 * live epoch keys: epoch.h), gunzips and reads the ops. */
static int open_bundle(vios_crdt_op **ops, size_t *n, vios_store *st, const vios_bundle_header *h,
		       const uint8_t *age, size_t agelen)
{
	uint8_t **ids = NULL, *gz = NULL;
	size_t nids = 0, gone = 0, gzlen = 0;
	int error;

	assert(ops != NULL && n != NULL && h != NULL && h->sender[0] && (age != NULL || agelen == 0));
	*ops = NULL;
	*n = 0;
	if ((error = vios_epoch_keys(&ids, &nids, &gone, st)) < 0)
		goto done;
	if (nids == 0 || (error = vios_age_decrypt_buf(&gz, &gzlen, age, agelen, (const uint8_t *const *)ids, nids,
							  VIOS_BUNDLE_MAX_AGE)) < 0) {
		char why[300];
		if (nids == 0)
			error = VIOS_ENOTFOUND;
		snprintf(why, sizeof(why), "%s", nids ? vios_error_last() : "no live key");
		if (error == VIOS_ENOTFOUND && gone > 0)
			vios_error_set(VIOS_ERR_BUNDLE, "bundle %s seq %lld cannot be decrypted: it was sealed to none of this node's live keys (%zu epoch key%s destroyed: forward secrecy; 'vios keys list')",
				       h->sender, h->seq, gone, gone == 1 ? " was" : "s were");
		else
			vios_error_set(VIOS_ERR_BUNDLE, "bundle %s seq %lld cannot be decrypted: %s", h->sender, h->seq, why);
		error = error == VIOS_ENOTFOUND ? VIOS_EVERIFY : VIOS_ECORRUPT;
		goto done;
	}
	error = vios_bundle_payload_read(ops, n, gz, gzlen, h);
done:
	vios_epoch_keys_free(ids, nids);
	if (gz) {
		sodium_memzero(gz, gzlen);
		free(gz);
	}
	return error;
}

/* ---- verification -------------------------------------------------------- */

/*
 * Verifies signature and sender of a bundle: the header is authentic when
 * this returns 0. *sender gets the registry entry.
 */
static int verify_bundle(vios_bundle_header *h, vios_reg_node *sender, vios_store *st, const uint8_t *age,
			 size_t agelen, const char *sig, size_t siglen)
{
	char *peek = NULL, *trusted = NULL;
	int error;

	assert(h != NULL && sender != NULL && st != NULL);
	assert((age != NULL || agelen == 0) && (sig != NULL || siglen == 0));
	memset(h, 0, sizeof(*h));
	if (agelen > VIOS_BUNDLE_MAX_AGE) {
		vios_error_set(VIOS_ERR_BUNDLE, "bundle: larger than %u bytes; refused", VIOS_BUNDLE_MAX_AGE);
		return VIOS_ECORRUPT;
	}
	if (siglen > VIOS_BUNDLE_SIG_MAX) {
		vios_error_set(VIOS_ERR_BUNDLE, "bundle signature: larger than %d bytes", VIOS_BUNDLE_SIG_MAX);
		return VIOS_ECORRUPT;
	}
	if ((error = vios_chain_peek_header(&peek, sig, siglen)) < 0)
		goto done;
	if ((error = vios_bundle_header_parse(h, peek)) < 0) {
		/* the comment is not a header: say so as a signature problem */
		error = VIOS_EVERIFY;
		goto done;
	}
	assert(peek != NULL && h->sender[0] && h->json != NULL);
	if ((error = vios_trust_node(sender, st, h->sender)) < 0) {
		if (error == VIOS_ENOTFOUND)
			vios_error_set(VIOS_ERR_BUNDLE, "bundle from %s: the sender is not enrolled at this hub; refused", h->sender);
		error = error == VIOS_ENOTFOUND ? VIOS_EVERIFY : error;
		goto done;
	}
	if ((error = vios_minisign_verify(&trusted, &sender->sign_pub, age, agelen, sig, siglen)) < 0) {
		char why[300];
		snprintf(why, sizeof(why), "%s", vios_error_last());
		vios_error_set(VIOS_ERR_BUNDLE, "bundle %s seq %lld: signature check failed: %s", h->sender, h->seq, why);
		error = VIOS_EVERIFY;
		goto done;
	}
	assert(trusted != NULL);
	if (strcmp(trusted, peek) != 0) {
		vios_error_set(VIOS_ERR_BUNDLE, "bundle %s seq %lld: the signed header differs", h->sender, h->seq);
		error = VIOS_EVERIFY;
		goto done;
	}
	if (sender->revoked_at[0] && h->seq > sender->last_seq) {
		vios_error_set(VIOS_ERR_BUNDLE, "bundle %s seq %lld: the sender was revoked at %s after seq %lld; refused",
			       h->sender, h->seq, sender->revoked_at, sender->last_seq);
		error = VIOS_EVERIFY;
		goto done;
	}
	error = 0;
done:
	free(peek);
	free(trusted);
	if (error < 0)
		vios_bundle_header_dispose(h);
	return error;
}

/* ---- import -------------------------------------------------------------- */

int vios_bundle_peer(long long *last, char hash[65], vios_store *st, const char *node)
{
	int error;

	assert(last != NULL && hash != NULL && st != NULL && node != NULL);
	if ((error = vios_ledger_peer_get(last, hash, st, node)) == 0 && *last == 0)
		strcpy(hash, VIOS_ZERO_HASH);
	return error;
}

/*
 * The header's markings (art9, art10) must be those of the fields its ops
 * write under its covenant version: the audit judges a flow of marked data
 * by the header alone. VIOS_EDENIED (quarantine) when they differ.
 */
static int check_marks(vios_store *st, const vios_bundle_header *h, const vios_crdt_op *ops, size_t n)
{
	vios_covenant cov;
	char *text = NULL;
	unsigned marks = 0;
	int error;

	if (h->format < 2)
		return 0; /* a vios-bundle-1 predates markings */
	/* a version not kept here (a node that joined later, or a bundle
	 * imported by hand before the registry that published it) cannot be
	 * judged: another version may mark other fields. The audit, which
	 * holds every version, judges the header's markings by the rule. */
	error = vios_store_covenant_get_version(&text, st, h->covenant_version);
	if (error == VIOS_ENOTFOUND)
		return 0;
	if (error < 0)
		return error;
	error = vios_covenant_parse(&cov, text, strlen(text));
	free(text);
	if (error < 0)
		return error;
	for (size_t i = 0; i < n; i++)
		marks |= vios_recipient_mark_bit(vios_recipient_op_field(&cov, &ops[i]));
	vios_covenant_dispose(&cov);
	if (marks != (h->categories & VIOS_CAT_MARKS)) {
		vios_error_set(VIOS_ERR_BUNDLE, "bundle %s seq %lld: its header's markings (art9 %s, art10 %s) differ from the fields its ops write under covenant v%lld (art9 %s, art10 %s)",
			       h->sender, h->seq, h->categories & VIOS_CAT_BIT_ART9 ? "yes" : "no",
			       h->categories & VIOS_CAT_BIT_ART10 ? "yes" : "no", h->covenant_version,
			       marks & VIOS_CAT_BIT_ART9 ? "yes" : "no", marks & VIOS_CAT_BIT_ART10 ? "yes" : "no");
		return VIOS_EDENIED;
	}
	return 0;
}

/*
 * Merges the ops of a bundle under the mandate of its covenant version and
 * checks its header's categories, in a savepoint of the caller's tx:
 * VIOS_EDENIED (nothing merged) when an op is outside the mandate or the
 * categories differ, VIOS_EWAIT with VIOS_IMPORT_WAIT (see bundle.h).
 */
static int merge_checked(vios_crdt_report *rep, vios_store *st, const vios_bundle_header *h, const vios_crdt_op *ops,
			 size_t n, unsigned flags)
{
	vios_mandate m;
	vios_crdt_check chk;
	int error;

	memset(&chk, 0, sizeof(chk));
	if ((error = vios_mandate_load(&m, st, h->covenant_version)) < 0)
		return error;
	chk.mandate = &m;
	chk.wait_unknown = (flags & VIOS_IMPORT_WAIT) != 0;
	if ((error = vios_store_error(st->db, sqlite3_exec(st->db, "SAVEPOINT import_merge", NULL, NULL, NULL),
				      "importing")) < 0)
		return error;
	chk.categories = h->categories & VIOS_CAT_DATA;
	error = check_marks(st, h, ops, n);
	if (error == 0)
		error = vios_crdt_apply_checked(rep, st, ops, n, h->sender, &chk);
	if (error == 0)
		return vios_store_error(st->db, sqlite3_exec(st->db, "RELEASE import_merge", NULL, NULL, NULL), "importing");
	sqlite3_exec(st->db, "ROLLBACK TO import_merge; RELEASE import_merge", NULL, NULL, NULL);
	if (error == VIOS_EDENIED && (flags & VIOS_IMPORT_WAIT))
		error = VIOS_EWAIT; /* perhaps what allows it is in a bundle not imported yet */
	return error;
}

/* Applies (or skips) one verified in-order bundle; in the caller's tx. */
static int apply_in_order(vios_import_result *res, vios_store *st, const vios_bundle_header *h, const char *hash,
			  const uint8_t *age, size_t agelen, unsigned flags)
{
	vios_crdt_op *ops = NULL;
	size_t n = 0;
	vios_crdt_report rep;
	char now[21];
	int error, mine;

	assert(res != NULL && st != NULL && h != NULL && h->sender[0] && hash != NULL);
	mine = addressed_to(h, st->node->node_id);
	memset(&rep, 0, sizeof(rep));
	if (mine) {
		if ((error = open_bundle(&ops, &n, st, h, age, agelen)) < 0 ||
		    (error = merge_checked(&rep, st, h, ops, n, flags)) < 0)
			goto done;
	} else if ((error = vios_crdt_clock_receive(NULL, NULL, st, h->hlc)) < 0)
		goto done;
	vios_now_iso(now);
	if ((error = vios_ledger_peer_set(st, h->sender, h->seq, hash)) < 0 ||
	    (error = record_epoch(st, h)) < 0 ||
	    (error = vios_ledger_seen_add(st, h->sender, h->seq, hash, mine ? "applied" : "skipped", h->json, now)) < 0 ||
	    (error = vios_ledger_held_delete(st, h->sender, h->seq)) < 0)
		goto done;
	{
		char why[128];
		snprintf(why, sizeof(why), "bundle seq %lld, %s, %zu ops", h->seq, mine ? "applied" : "not addressed to this node", rep.applied);
		if ((error = vios_store_log(st, "import", "bundle", h->sender, why)) < 0)
			goto done;
	}
	res->ops_applied += rep.applied;
	res->future |= rep.future > 0 || vios_hlc_is_future(h->hlc, vios_now_ms());
	error = 0;
done:
	if (ops)
		vios_crdt_ops_free(ops, n);
	return error;
}

/* Keeps a bundle refused for the mandate in quarantine; in the caller's tx. */
static int quarantine(vios_store *st, const vios_bundle_header *h, const char *hash, const uint8_t *age,
		      size_t agelen, const char *sig)
{
	char why[400], now[21];
	int error;

	snprintf(why, sizeof(why), "%s", vios_error_last());
	vios_now_iso(now);
	if ((error = vios_ledger_quarantine_put(st, h->sender, h->seq, hash, sig, now, age, agelen, why)) < 0 ||
	    (error = vios_store_log(st, "import", "bundle", h->sender, "refused: outside the mandate; quarantined")) < 0)
		return error;
	vios_error_set(VIOS_ERR_BUNDLE, "bundle %s seq %lld: %s; refused and quarantined", h->sender, h->seq, why);
	return 0;
}

/* Applies held bundles of sender that now follow on; in the caller's tx. */
static int release_held(vios_import_result *res, vios_store *st, const char *sender, unsigned flags)
{
	assert(res != NULL && st != NULL && sender != NULL);
	for (;;) {
		long long last;
		char lasthash[65], hash[65];
		uint8_t *age = NULL;
		char *sig = NULL;
		size_t agelen = 0;
		vios_bundle_header h;
		vios_reg_node node;
		int error;

		if ((error = vios_bundle_peer(&last, lasthash, st, sender)) < 0)
			return error;
		if ((error = vios_ledger_held_get(&age, &agelen, &sig, st, sender, last + 1)) < 0)
			return error == VIOS_ENOTFOUND ? 0 : error;
		assert(age != NULL && sig != NULL);
		error = verify_bundle(&h, &node, st, age, agelen, sig, strlen(sig));
		if (error == 0) {
			vios_blake2b_hex(hash, age, agelen);
			if (strcmp(h.prev, lasthash) != 0) {
				vios_error_set(VIOS_ERR_BUNDLE, "bundle %s seq %lld does not follow seq %lld (prev hash differs): the chain is forked", sender, h.seq, last);
				error = VIOS_EVERIFY;
			} else
				error = apply_in_order(res, st, &h, hash, age, agelen, flags);
		}
		if (error == VIOS_EDENIED || error == VIOS_EWAIT) {
			/* it stays held (in quarantine when refused); the bundle before it stands */
			error = error == VIOS_EDENIED ? quarantine(st, &h, hash, age, agelen, sig) : 0;
			vios_bundle_header_dispose(&h);
			free(age);
			free(sig);
			return error;
		}
		if (error == 0)
			res->released++;
		vios_bundle_header_dispose(&h);
		free(age);
		free(sig);
		if (error < 0)
			return error;
	}
}

int vios_bundle_import(vios_import_result *out, vios_store *st, const uint8_t *age, size_t agelen,
		       const char *sig, size_t siglen)
{
	return vios_bundle_import_flags(out, st, age, agelen, sig, siglen, 0);
}

int vios_bundle_import_flags(vios_import_result *out, vios_store *st, const uint8_t *age, size_t agelen,
			     const char *sig, size_t siglen, unsigned flags)
{
	vios_reg_node sender;
	vios_bundle_header *h = &out->hdr;
	long long last;
	char lasthash[65], hash[65], seen[65], now[21], *sigz = NULL;
	int error, in_tx = 0;

	assert(out != NULL && st != NULL && st->node != NULL);
	assert((age != NULL || agelen == 0) && (sig != NULL || siglen == 0));
	memset(out, 0, sizeof(*out));
	if ((error = verify_bundle(&out->hdr, &sender, st, age, agelen, sig, siglen)) < 0)
		return error;
	if ((sigz = strndup(sig, siglen)) == NULL) {
		vios_bundle_header_dispose(h);
		return vios_error_nomem();
	}
	assert(h->sender[0] && h->seq >= 1);
	vios_blake2b_hex(hash, age, agelen);
	if ((error = vios_store_tx_begin_uncaptured(st)) < 0)
		goto done;
	in_tx = 1;
	if ((error = vios_ledger_seen_get(seen, st, h->sender, h->seq)) < 0 && error != VIOS_ENOTFOUND)
		goto done;
	if (error == 0) {
		if (strcmp(seen, hash) != 0) {
			vios_error_set(VIOS_ERR_BUNDLE, "bundle %s seq %lld differs from the seq %lld seen before: the sender's chain is forked; refused",
				       h->sender, h->seq, h->seq);
			error = VIOS_EVERIFY;
			goto done;
		}
		out->status = VIOS_IMPORT_DUPLICATE;
		error = 0;
		goto done;
	}
	if (!strcmp(h->sender, st->node->node_id)) {
		vios_error_set(VIOS_ERR_BUNDLE, "bundle seq %lld is signed with this node's own key but this node never sealed it; refused", h->seq);
		error = VIOS_EVERIFY;
		goto done;
	}
	if ((error = vios_bundle_peer(&last, lasthash, st, h->sender)) < 0)
		goto done;
	if (h->seq <= last) {
		vios_error_set(VIOS_ERR_BUNDLE, "bundle %s seq %lld: that seq was passed already (last %lld); refused", h->sender, h->seq, last);
		error = VIOS_EVERIFY;
		goto done;
	}
	if (h->seq > last + 1) {
		/* verified, but early: hold it until the gap fills */
		char held_hash[65];
		int held;
		if ((error = vios_ledger_held_hash(held_hash, st, h->sender, h->seq)) < 0 && error != VIOS_ENOTFOUND)
			goto done;
		held = error == 0;
		if (held && strcmp(held_hash, hash) != 0) {
			vios_error_set(VIOS_ERR_BUNDLE, "bundle %s seq %lld differs from the one held for that seq: the sender's chain is forked; refused", h->sender, h->seq);
			error = VIOS_EVERIFY;
			goto done;
		}
		if (!held) {
			vios_now_iso(now);
			if ((error = vios_ledger_held_put(st, h->sender, h->seq, hash, sigz, now, age, agelen)) < 0)
				goto done;
		}
		out->status = VIOS_IMPORT_HELD;
		error = vios_store_tx_commit(st);
		in_tx = 0;
		goto done;
	}
	if (strcmp(h->prev, lasthash) != 0) {
		vios_error_set(VIOS_ERR_BUNDLE, "bundle %s seq %lld does not follow seq %lld (prev hash differs): the chain is forked or rewritten; refused",
			       h->sender, h->seq, last);
		error = VIOS_EVERIFY;
		goto done;
	}
	{
		/* refused before: it stays refused (the same bytes, judged once) */
		char why[400];
		if ((error = vios_ledger_quarantined_get(why, sizeof(why), st, h->sender, h->seq, hash)) == 0) {
			/* the same line as when it was refused */
			vios_error_set(VIOS_ERR_BUNDLE, "bundle %s seq %lld: %s; refused and quarantined", h->sender, h->seq, why);
			out->status = VIOS_IMPORT_QUARANTINED;
			error = VIOS_EVERIFY;
			goto done;
		}
		if (error != VIOS_ENOTFOUND)
			goto done;
	}
	if ((error = apply_in_order(out, st, h, hash, age, agelen, flags)) == VIOS_EDENIED) {
		if ((error = quarantine(st, h, hash, age, agelen, sigz)) < 0)
			goto done;
		char why[600];
		snprintf(why, sizeof(why), "%s", vios_error_last());
		error = vios_store_tx_commit(st);
		in_tx = 0;
		if (error == 0) {
			vios_error_set(VIOS_ERR_BUNDLE, "%s", why);
			error = VIOS_EVERIFY;
		}
		goto done;
	}
	if (error == VIOS_EWAIT)
		out->wait_hlc = h->hlc; /* which waiting bundle was sealed first: sync forces that one */
	if (error < 0 || (error = release_held(out, st, h->sender, flags)) < 0)
		goto done;
	out->status = addressed_to(h, st->node->node_id) ? VIOS_IMPORT_APPLIED : VIOS_IMPORT_SKIPPED;
	VIOS_FAULT("import.before_commit");
	error = vios_store_tx_commit(st);
	if (error == 0)
		VIOS_FAULT("import.committed");
	in_tx = 0;
done:
	if (in_tx)
		vios_store_tx_rollback(st);
	free(sigz);
	if (error < 0)
		vios_bundle_header_dispose(h);
	return error;
}

int vios_bundle_inspect(json_t **out, vios_store *st, const uint8_t *age, size_t agelen, const char *sig,
			size_t siglen)
{
	vios_bundle_header h;
	vios_reg_node sender;
	vios_crdt_op *ops = NULL;
	size_t n = 0;
	json_t *doc = NULL, *hdr = NULL, *sum = NULL;
	int error, mine;

	assert(out != NULL && st != NULL && st->node != NULL);
	assert((age != NULL || agelen == 0) && (sig != NULL || siglen == 0));
	*out = NULL;
	if ((error = verify_bundle(&h, &sender, st, age, agelen, sig, siglen)) < 0)
		return error;
	mine = addressed_to(&h, st->node->node_id);
	if ((hdr = json_loads(h.json, 0, NULL)) == NULL || (sum = json_object()) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	json_object_set_new(hdr, "sender_name", json_string(sender.name));
	json_object_set_new(hdr, "sender_role", json_string(sender.role));
	if (mine) {
		if ((error = open_bundle(&ops, &n, st, &h, age, agelen)) < 0)
			goto done;
		for (size_t i = 0; i < n; i++) {
			char key[64];
			snprintf(key, sizeof(key), "%s %s", ops[i].tbl, ops[i].kind == VIOS_OP_DELETE ? "delete" : "set");
			json_object_set_new(sum, key, json_integer(json_integer_value(json_object_get(sum, key)) + 1));
		}
	}
	doc = json_pack("{s:O, s:b, s:O}", "header", hdr, "addressed_to_me", mine, "summary", sum);
	if (doc == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	*out = doc;
	error = 0;
done:
	if (ops)
		vios_crdt_ops_free(ops, n);
	json_decref(hdr);
	json_decref(sum);
	vios_bundle_header_dispose(&h);
	return error;
}

/* ---- restore: this node's own bundles back from the hub ------------------ */

int vios_bundle_import_own(vios_import_result *out, vios_store *st, const uint8_t *age, size_t agelen,
			   const char *sig, size_t siglen, unsigned flags)
{
	vios_reg_node sender;
	vios_bundle_header *h = &out->hdr;
	vios_crdt_op *ops = NULL;
	vios_crdt_report rep;
	long long last;
	char lasthash[65], hash[65], now[21], *sigz = NULL;
	size_t n = 0, pushed;
	int error, in_tx = 0, mine;

	assert(out != NULL && st != NULL && st->node != NULL);
	assert((age != NULL || agelen == 0) && (sig != NULL || siglen == 0));
	memset(out, 0, sizeof(*out));
	memset(&rep, 0, sizeof(rep));
	if ((error = verify_bundle(h, &sender, st, age, agelen, sig, siglen)) < 0)
		return error;
	if (strcmp(h->sender, st->node->node_id) != 0) {
		vios_error_set(VIOS_ERR_BUNDLE, "bundle seq %lld on this node's ref is by %s, not by this node; refused",
			       h->seq, h->sender);
		error = VIOS_EVERIFY;
		goto done;
	}
	if ((sigz = strndup(sig, siglen)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	vios_blake2b_hex(hash, age, agelen);
	if ((error = vios_store_tx_begin_uncaptured(st)) < 0)
		goto done;
	in_tx = 1;
	if ((error = vios_ledger_outbox_last(&last, lasthash, st)) < 0)
		goto done;
	if (last == 0)
		strcpy(lasthash, VIOS_ZERO_HASH);
	if (h->seq != last + 1 || strcmp(h->prev, lasthash) != 0) {
		vios_error_set(VIOS_ERR_BUNDLE, "this node's bundle seq %lld does not follow seq %lld (%s); refused",
			       h->seq, last, h->seq != last + 1 ? "seq skipped or repeated" : "prev hash differs");
		error = VIOS_EVERIFY;
		goto done;
	}
	mine = addressed_to(h, st->node->node_id);
	if (mine && (error = open_bundle(&ops, &n, st, h, age, agelen)) < 0) {
		if (error != VIOS_EVERIFY)
			goto done;
		/* sealed to an epoch key destroyed since (or one the backup did
		 * not carry): kept as sent, counted as not read back */
		vios_error_clear();
		mine = 0;
	}
	if (mine) {
		if ((error = merge_checked(&rep, st, h, ops, n, flags)) < 0) {
			if (error == VIOS_EWAIT)
				out->wait_hlc = h->hlc;
			if (error == VIOS_EDENIED) {
				char why[400];
				snprintf(why, sizeof(why), "%s", vios_error_last());
				vios_error_set(VIOS_ERR_BUNDLE, "this node's bundle seq %lld: %s", h->seq, why);
				error = VIOS_EVERIFY;
			}
			goto done;
		}
	}
	if ((error = vios_crdt_clock_receive(NULL, NULL, st, h->hlc)) < 0)
		goto done;
	vios_now_iso(now);
	if ((error = vios_ledger_outbox_add(st, h->seq, hash, h->json, sigz, now, age, agelen)) < 0 ||
	    (error = vios_ledger_outbox_mark_committed(st, h->seq)) < 0 ||
	    (error = vios_ledger_outbox_mark_pushed(&pushed, st, h->seq)) < 0 ||
	    (error = vios_consent_from_header(st, h)) < 0)
		goto done;
	{
		char why[128];
		snprintf(why, sizeof(why), "own bundle seq %lld restored from the hub, %s, %zu ops", h->seq,
			 mine ? "applied" : "not addressed to this node or not readable with its live keys", rep.applied);
		if ((error = vios_store_log(st, "import", "bundle", h->sender, why)) < 0)
			goto done;
	}
	out->ops_applied = rep.applied;
	out->status = mine ? VIOS_IMPORT_APPLIED : VIOS_IMPORT_SKIPPED;
	error = vios_store_tx_commit(st);
	in_tx = 0;
done:
	if (in_tx)
		vios_store_tx_rollback(st);
	if (ops)
		vios_crdt_ops_free(ops, n);
	free(sigz);
	if (error < 0)
		vios_bundle_header_dispose(h);
	return error;
}
