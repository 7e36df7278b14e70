/*
 * t_forge.c - test tool: seals a bundle a reader must refuse, signed by a
 * real enrolled node (whose passphrase is in VIOS_PASSPHRASE).
 *
 *   t_forge HOME KIND
 *
 * KIND: bomb (gzip that inflates past the payload bound), extra-table,
 * trigger, view (payloads with more than the payload schema), not-sqlite,
 * not-gzip, opcount (the header claims more ops than the payload holds).
 * Payloads and gzip come from the codec (sync/payload.h); only the
 * tampering is the tool's own. Used by tests/e2e/bundles.sh; never installed.
 */
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/bundle.h"
#include "crdt/crdt.h"
#include "sync/payload.h"
#include "node/node.h"
#include "store/ledger.h"
#include "store/store.h"
#include "util/error.h"
#include "util/util.h"

/*
 * A payload image with one valid op, written by the codec; with extra, that
 * SQL is then run on it (what no exporter would write).
 */
static int payload(uint8_t **out, size_t *len, const char *sender, long long seq, const char *extra)
{
	vios_crdt_op op;
	const vios_crdt_op *ops[1] = { &op };
	sqlite3 *db = NULL;
	unsigned char *img = NULL, *ser = NULL;
	sqlite3_int64 n = 0;
	char id[37];
	int rc = -1;

	vios_uuid7(id);
	memset(&op, 0, sizeof(op));
	op.kind = VIOS_OP_SET;
	op.hlc = vios_now_ms() << 16;
	op.node = (char *)sender;
	op.tbl = "trend";
	op.pk = id;
	op.col = "theme";
	op.value.type = VIOS_VAL_TEXT;
	op.value.u.text.p = "weapons";
	op.value.u.text.len = strlen("weapons");
	if (vios_payload_image(out, len, ops, 1, sender, seq) < 0) {
		fprintf(stderr, "t_forge: %s\n", vios_error_last());
		return -1;
	}
	if (extra == NULL)
		return 0;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK || (img = sqlite3_malloc64(*len)) == NULL)
		goto done;
	memcpy(img, *out, *len);
	if (sqlite3_deserialize(db, "main", img, (sqlite3_int64)*len, (sqlite3_int64)*len,
				SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE) != SQLITE_OK) {
		img = NULL;
		goto done;
	}
	img = NULL;
	if (sqlite3_exec(db, extra, NULL, NULL, NULL) != SQLITE_OK ||
	    (ser = sqlite3_serialize(db, "main", &n, 0)) == NULL)
		goto done;
	free(*out);
	if ((*out = malloc((size_t)n)) == NULL)
		goto done;
	memcpy(*out, ser, (size_t)n);
	*len = (size_t)n;
	rc = 0;
done:
	if (rc < 0)
		fprintf(stderr, "t_forge: %s\n", db ? sqlite3_errmsg(db) : "out of memory");
	sqlite3_free(img);
	sqlite3_free(ser);
	sqlite3_close(db);
	return rc;
}

int main(int argc, char **argv)
{
	const char *pw = getenv("VIOS_PASSPHRASE");
	vios_secret *pass = NULL;
	vios_node *node = NULL;
	vios_store *st = NULL;
	uint8_t *plain = NULL, *zipped = NULL;
	size_t plen = 0, zlen = 0;
	long long ops = 1, seq;
	const char *kind;
	char last_hash[65];

	if (argc != 3 || pw == NULL || sodium_init() < 0) {
		fprintf(stderr, "usage: VIOS_PASSPHRASE=... t_forge HOME bomb|extra-table|trigger|view|not-sqlite|not-gzip|opcount\n");
		return 2;
	}
	kind = argv[2];
	if (vios_secret_new(&pass, pw, strlen(pw)) < 0 || vios_node_open(&node, argv[1], pass) < 0 ||
	    vios_crdt_store_open(&st, node) < 0) {
		fprintf(stderr, "t_forge: %s\n", vios_error_last());
		return 1;
	}
	if (vios_ledger_outbox_last(&seq, last_hash, st) < 0) {
		fprintf(stderr, "t_forge: %s\n", vios_error_last());
		return 1;
	}
	seq++;
	if (!strcmp(kind, "bomb")) {
		if (payload(&plain, &plen, node->node_id, seq, NULL) < 0 ||
		    vios_payload_gzip(&zipped, &zlen, plain, plen, (size_t)VIOS_BUNDLE_MAX_PLAIN + (16u << 20)) < 0)
			return 1;
	} else if (!strcmp(kind, "extra-table") || !strcmp(kind, "trigger") || !strcmp(kind, "view") ||
		   !strcmp(kind, "opcount")) {
		const char *extra = !strcmp(kind, "extra-table") ? "CREATE TABLE extra (x);"
				    : !strcmp(kind, "trigger")   ? "CREATE TRIGGER t AFTER INSERT ON ops BEGIN SELECT 1; END;"
				    : !strcmp(kind, "view")      ? "CREATE VIEW v AS SELECT * FROM ops;"
								 : NULL;
		if (!strcmp(kind, "opcount"))
			ops = 2;
		if (payload(&plain, &plen, node->node_id, seq, extra) < 0 ||
		    vios_payload_gzip(&zipped, &zlen, plain, plen, 0) < 0)
			return 1;
	} else if (!strcmp(kind, "not-sqlite")) {
		if (vios_payload_gzip(&zipped, &zlen, (const uint8_t *)"hello, not a database", 21, 4096) < 0)
			return 1;
	} else if (!strcmp(kind, "not-gzip")) {
		zlen = 4096;
		zipped = malloc(zlen);
		randombytes_buf(zipped, zlen);
	} else {
		fprintf(stderr, "t_forge: unknown kind %s\n", kind);
		return 2;
	}
	if (vios_bundle_seal_payload(st, zipped, zlen, ops) < 0) {
		fprintf(stderr, "t_forge: %s\n", vios_error_last());
		return 1;
	}
	printf("%lld\n", seq);
	free(plain);
	free(zipped);
	vios_store_free(st);
	vios_node_free(node);
	vios_secret_free(pass);
	return 0;
}
