/*
 * t_forge.c - test tool: seals a bundle a reader must refuse, signed by a
 * real enrolled node (whose passphrase is in VIOS_PASSPHRASE).
 *
 *   t_forge HOME KIND
 *   t_forge HOME ops FILE.json
 *
 * KIND: bomb (gzip that inflates past the payload bound), extra-table,
 * trigger, view (payloads with more than the payload schema), not-sqlite,
 * not-gzip, opcount (the header claims more ops than the payload holds).
 *
 * ops: seals a hostile op set, as the node's next seq in its own outbox
 * (so 'vios sync' pushes it), with the node's real keys. FILE.json:
 *
 *   { "categories": ["theme"|"case", ...],       the header's categories
 *     "recipients": ["NODE_ID", ...],            optional: else the covenant's
 *     "roles": ["police", ...],                  for the covenant's case recipients
 *     "ops": [ { "kind": "set"|"delete", "tbl": T, "pk": ID, "col": C,
 *                "value": "text"|123|1.5|null, "hlc": N, "node": ID,
 *                "base_hlc": N, "base_node": ID, "base": "held" }, ... ],
 *     "log": { "count": N, "head": "64 hex", "id": "32 hex" } | null }
 *
 * "log" is the access log head the payload carries (vios-payload-2): by
 * default the store's own (what vios would seal), an object for any other
 * (a log that went back; id defaults to the store's log id), null for none
 * (a vios-payload-1 payload).
 * "base": "held" takes base_hlc/base_node from the clock this node holds for
 * the cell (what a client that saw the value would write).
 * hlc defaults to one fresh tick of the node's clock for the whole set,
 * node to the sealing node. The ops are not written to the node's store.
 * Prints the seq. Payloads and gzip come from the codec (sync/payload.h),
 * sealing from the exporter (vios_bundle_seal_payload_to); only the
 * tampering is the tool's own. Used by tests/e2e/bundles.sh and
 * tests/e2e/mandate_attacks.sh; never installed.
 */
#include <jansson.h>
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

static int bad_file(const char *path, const char *why)
{
	fprintf(stderr, "t_forge: %s: %s\n", path, why);
	return 2;
}

static uint64_t u64(json_t *v, uint64_t dflt)
{
	return json_is_integer(v) ? (uint64_t)json_integer_value(v) : json_is_string(v) ? strtoull(json_string_value(v), NULL, 10) : dflt;
}

/* The clock this node holds for op's cell, as op's base (node id into buf):
 * the clock of the op that wrote it (vios_crdt_row_state). */
static int held_clock(vios_crdt_op *op, vios_store *st, char *buf, size_t len)
{
	vios_crdt_op *ops = NULL;
	size_t n = 0, unclocked = 0;
	int error = vios_crdt_row_state(&ops, &n, &unclocked, st, op->tbl, op->pk, op->col);

	if (error == 0 && n == 1) {
		op->base_hlc = ops[0].hlc;
		snprintf(buf, len, "%s", ops[0].node);
		op->base_node = buf;
	}
	vios_crdt_ops_free(ops, n);
	if (error < 0 || n != 1) {
		fprintf(stderr, "t_forge: this node holds no clock for %s.%s of %s\n", op->tbl, op->col, op->pk);
		return -1;
	}
	return 0;
}

/* t_forge HOME ops FILE.json: see the top of the file. */
static int forge_ops(vios_store *st, const vios_node *node, const char *path, long long seq)
{
	json_error_t jerr;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr), *arr, *v;
	vios_crdt_op *ops = NULL;
	const vios_crdt_op **pv = NULL;
	const char **rcpt = NULL;
	char (*bases)[37] = NULL;
	uint8_t *gz = NULL;
	size_t n, nr = 0, gzlen = 0, i;
	unsigned cats = 0;
	uint32_t roles = 0;
	uint64_t hlc;
	vios_log_head log;
	int rc = 1;

	if (doc == NULL)
		return bad_file(path, jerr.text);
	arr = json_object_get(doc, "ops");
	if (!json_is_array(arr) || (n = json_array_size(arr)) == 0) {
		json_decref(doc);
		return bad_file(path, "no ops");
	}
	json_array_foreach(json_object_get(doc, "categories"), i, v)
		cats |= !strcmp(json_string_value(v) ?: "", "case") ? VIOS_CAT_BIT_CASE
			: !strcmp(json_string_value(v) ?: "", "theme") ? VIOS_CAT_BIT_THEME : 0;
	json_array_foreach(json_object_get(doc, "roles"), i, v)
		roles |= vios_crdt_role_bit(json_string_value(v) ?: "");
	if (json_is_array(json_object_get(doc, "recipients"))) {
		nr = json_array_size(json_object_get(doc, "recipients"));
		rcpt = calloc(nr + 1, sizeof(*rcpt));
		json_array_foreach(json_object_get(doc, "recipients"), i, v)
			rcpt[i] = json_string_value(v) ?: "";
	}
	ops = calloc(n, sizeof(*ops));
	pv = calloc(n, sizeof(*pv));
	bases = calloc(n, sizeof(*bases));
	if (ops == NULL || pv == NULL || bases == NULL || vios_crdt_clock_tick(&hlc, st) < 0)
		goto done;
	json_array_foreach(arr, i, v) {
		vios_crdt_op *op = &ops[i];
		json_t *val = json_object_get(v, "value");
		const char *kind = json_string_value(json_object_get(v, "kind")) ?: "set";
		op->kind = !strcmp(kind, "delete") ? VIOS_OP_DELETE : VIOS_OP_SET;
		op->hlc = u64(json_object_get(v, "hlc"), hlc);
		op->node = (char *)(json_string_value(json_object_get(v, "node")) ?: node->node_id);
		op->tbl = (char *)(json_string_value(json_object_get(v, "tbl")) ?: "");
		op->pk = (char *)(json_string_value(json_object_get(v, "pk")) ?: "");
		if (op->kind == VIOS_OP_SET) {
			op->col = (char *)(json_string_value(json_object_get(v, "col")) ?: "");
			op->base_hlc = u64(json_object_get(v, "base_hlc"), 0);
			op->base_node = (char *)json_string_value(json_object_get(v, "base_node"));
			if (!strcmp(json_string_value(json_object_get(v, "base")) ?: "", "held") &&
			    held_clock(op, st, bases[i], sizeof(bases[i])) < 0)
				goto done;
			if (json_is_string(val)) {
				op->value.type = VIOS_VAL_TEXT;
				op->value.u.text.p = (char *)json_string_value(val);
				op->value.u.text.len = json_string_length(val);
			} else if (json_is_integer(val)) {
				op->value.type = VIOS_VAL_INT;
				op->value.u.i = json_integer_value(val);
			} else if (json_is_real(val)) {
				op->value.type = VIOS_VAL_REAL;
				op->value.u.d = json_real_value(val);
			} else
				op->value.type = VIOS_VAL_NULL;
		}
		pv[i] = op;
	}
	v = json_object_get(doc, "log");
	if (!json_is_null(v) && vios_store_log_head(&log, st) < 0)
		goto done;
	if (json_is_object(v)) {
		log.count = json_integer_value(json_object_get(v, "count"));
		if (vios_unhex(log.head, sizeof(log.head), json_string_value(json_object_get(v, "head")) ?: "") < 0 ||
		    (json_object_get(v, "id") &&
		     vios_unhex(log.id, sizeof(log.id), json_string_value(json_object_get(v, "id")) ?: "") < 0))
			goto done; /* "not N bytes of hex" */
	}
	if (vios_payload_build_with_log(&gz, &gzlen, pv, n, node->node_id, seq, json_is_null(v) ? NULL : &log) < 0 ||
	    vios_bundle_seal_payload_to(st, gz, gzlen, (long long)n, cats, roles, rcpt, nr) < 0)
		goto done;
	printf("%lld\n", seq);
	rc = 0;
done:
	if (rc)
		fprintf(stderr, "t_forge: %s\n", vios_error_last());
	free(gz);
	free(ops);
	free(pv);
	free(bases);
	free(rcpt);
	json_decref(doc);
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

	if ((argc != 3 && !(argc == 4 && !strcmp(argv[2], "ops"))) || pw == NULL || sodium_init() < 0) {
		fprintf(stderr, "usage: VIOS_PASSPHRASE=... t_forge HOME bomb|extra-table|trigger|view|not-sqlite|not-gzip|opcount\n"
				"       VIOS_PASSPHRASE=... t_forge HOME ops FILE.json\n");
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
	if (!strcmp(kind, "ops")) {
		int rc = forge_ops(st, node, argv[3], seq);
		vios_store_free(st);
		vios_node_free(node);
		vios_secret_free(pass);
		return rc;
	}
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
