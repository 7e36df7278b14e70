/*
 * t_sign.c - test tool: makes a real enrolled node (its passphrase in
 * VIOS_PASSPHRASE) sign what the audit must refuse or flag.
 *
 *   t_sign sign HOME FILE TRUSTED-COMMENT
 *       prints a minisign "ED" signature of FILE by HOME's node key, with
 *       that trusted comment (stock minisign -V verifies it): how another
 *       enrolled node re-signs someone else's bundle.
 *   t_sign seal HOME RECIPIENT-ID,... COVENANT-VERSION theme|case
 *       seals HOME's next bundle (one op: a new pupil's name, or a trend's
 *       theme) addressed to exactly the given node ids, naming the given
 *       covenant version, and queues it in the node's outbox like the
 *       exporter does (the next 'vios sync' commits and pushes it): a node
 *       that breaks the covenant with its own, valid signature.
 *
 * Used by tests/e2e/audit.sh; never installed.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/bundle.h"
#include "sync/layout.h"
#include "sync/payload.h"
#include "crdt/crdt.h"
#include "crypto/age.h"
#include "crypto/minisign.h"
#include "node/node.h"
#include "sync/registry.h"
#include "store/ledger.h"
#include "store/store.h"
#include "sync/trust.h"
#include "util/error.h"
#include "util/util.h"

static int die(const char *what)
{
	fprintf(stderr, "t_sign: %s: %s\n", what, vios_error_last());
	return 1;
}

/* The gzip'd payload of one op by sender at hlc, from the codec. */
static int payload(uint8_t **out, size_t *len, const char *sender, long long seq, uint64_t hlc, int is_case)
{
	vios_crdt_op op;
	const vios_crdt_op *ops[1] = { &op };
	const char *value = is_case ? "Sealed past the covenant" : "weapons";
	char id[37];

	vios_uuid7(id);
	memset(&op, 0, sizeof(op));
	op.kind = VIOS_OP_SET;
	op.hlc = hlc;
	op.node = (char *)sender;
	op.tbl = is_case ? "pupil" : "trend";
	op.pk = id;
	op.col = is_case ? "name" : "theme";
	op.value.type = VIOS_VAL_TEXT;
	op.value.u.text.p = (char *)value;
	op.value.u.text.len = strlen(value);
	return vios_payload_build(out, len, ops, 1, sender, seq);
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int seal(vios_node *node, const char *list, long long covenant, const char *category)
{
	vios_store *st = NULL;
	char (*ids)[37] = NULL, prev[65] = VIOS_ZERO_HASH, last_hash[65], hash[65], now[21], *header = NULL, *sig = NULL,
	     *copy = strdup(list), *tok, *save = NULL;
	uint8_t (*pks)[32] = NULL, *zipped = NULL, *age = NULL;
	size_t n = 0, zlen, agelen;
	long long seq = 1;
	uint64_t hlc;
	int is_case = !strcmp(category, "case"), rc = 1;
	vios_bundle_header hd;

	if (vios_crdt_store_open(&st, node) < 0)
		return die("opening the store");
	ids = calloc(256, sizeof(*ids));
	pks = calloc(256, sizeof(*pks));
	for (tok = strtok_r(copy, ",", &save); tok && n < 256; tok = strtok_r(NULL, ",", &save))
		snprintf(ids[n++], 37, "%s", tok);
	qsort(ids, n, sizeof(*ids), cmp_id);
	for (size_t i = 0; i < n; i++) {
		vios_reg_node r;
		if (vios_trust_node(&r, st, ids[i]) < 0) {
			rc = die(ids[i]);
			goto done;
		}
		memcpy(pks[i], r.age_pk, 32);
	}
	if (vios_store_tx_begin_uncaptured(st) < 0) {
		rc = die("starting a write");
		goto done;
	}
	if (vios_ledger_outbox_last(&seq, last_hash, st) < 0) {
		rc = die("reading the outbox");
		goto done;
	}
	if (seq++ > 0)
		snprintf(prev, sizeof(prev), "%s", last_hash);
	if (vios_crdt_clock_tick(&hlc, st) < 0) {
		rc = die("the clock");
		goto done;
	}
	memset(&hd, 0, sizeof(hd));
	snprintf(hd.sender, sizeof(hd.sender), "%s", node->node_id);
	hd.seq = seq;
	snprintf(hd.prev, sizeof(hd.prev), "%s", prev);
	hd.hlc = hlc;
	hd.covenant_version = covenant;
	hd.approves_covenant = covenant; /* approves no node: a flow to one it never approved is the audit's finding */
	hd.categories = is_case ? VIOS_CAT_BIT_CASE : VIOS_CAT_BIT_THEME;
	hd.recipients = ids;
	hd.nrecipients = n;
	hd.ops = 1;
	if (vios_bundle_header_format(&header, &hd) < 0 || payload(&zipped, &zlen, node->node_id, seq, hlc, is_case) < 0 ||
	    vios_age_encrypt_buf(&age, &agelen, zipped, zlen, (const uint8_t(*)[32])pks, n) < 0 ||
	    vios_minisign_sign(&sig, node->sign_sec, age, agelen, header, "vios bundle") < 0) {
		rc = die("sealing");
		goto done;
	}
	vios_blake2b_hex(hash, age, agelen);
	vios_now_iso(now);
	if (vios_ledger_outbox_add(st, seq, hash, header, sig, now, age, agelen) < 0 || vios_store_tx_commit(st) < 0) {
		rc = die("queueing the bundle");
		goto done;
	}
	printf("%lld\n", seq);
	rc = 0;
done:
	vios_store_tx_rollback(st);
	vios_store_free(st);
	free(ids);
	free(pks);
	free(copy);
	free(zipped);
	free(age);
	free(sig);
	free(header);
	return rc;
}

int main(int argc, char **argv)
{
	const char *pw = getenv("VIOS_PASSPHRASE");
	vios_secret *pass = NULL;
	vios_node *node = NULL;
	int rc = 1;

	if (argc < 3 || pw == NULL || sodium_init() < 0 ||
	    !((!strcmp(argv[1], "sign") && argc == 5) || (!strcmp(argv[1], "seal") && argc == 6))) {
		fprintf(stderr, "usage: VIOS_PASSPHRASE=... t_sign sign HOME FILE TRUSTED-COMMENT\n"
				"       VIOS_PASSPHRASE=... t_sign seal HOME ID,... COVENANT-VERSION theme|case\n");
		return 2;
	}
	if (vios_secret_new(&pass, pw, strlen(pw)) < 0 || vios_node_open(&node, argv[2], pass) < 0) {
		vios_secret_free(pass);
		return die(argv[2]);
	}
	if (!strcmp(argv[1], "sign")) {
		uint8_t *data = NULL;
		size_t len;
		char *sig = NULL;
		if (vios_file_read(&data, &len, argv[3], VIOS_BUNDLE_MAX_AGE) < 0)
			rc = die(argv[3]);
		else if (vios_minisign_sign(&sig, node->sign_sec, data, len, argv[4], "signature from vios secret key") < 0)
			rc = die("signing");
		else {
			fputs(sig, stdout);
			rc = 0;
		}
		free(sig);
		free(data);
	} else
		rc = seal(node, argv[3], atoll(argv[4]), argv[5]);
	vios_node_free(node);
	vios_secret_free(pass);
	return rc;
}
