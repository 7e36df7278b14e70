/*
 * t_forge.c - test tool: seals a bundle a reader must refuse, signed by a
 * real enrolled node (whose passphrase is in VIOS_PASSPHRASE).
 *
 *   t_forge HOME KIND
 *
 * KIND: bomb (gzip that inflates past the payload bound), extra-table,
 * trigger, view (payloads with more than the payload schema), not-sqlite,
 * not-gzip, opcount (the header claims more ops than the payload holds).
 * Used by tests/e2e/bundles.sh; never installed.
 */
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bundle.h"
#include "crdt/crdt.h"
#include "node/node.h"
#include "store/store.h"
#include "util/error.h"
#include "util/util.h"

static int gz(uint8_t **out, size_t *outlen, const uint8_t *in, size_t len, size_t zeros)
{
	z_stream zs;
	size_t cap = (len + zeros) / 100 + len + 4096;
	static uint8_t zero[1 << 16];

	memset(&zs, 0, sizeof(zs));
	if ((*out = malloc(cap)) == NULL || deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	zs.next_out = *out;
	zs.avail_out = (uInt)cap;
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	if (deflate(&zs, Z_NO_FLUSH) != Z_OK)
		return -1;
	while (zeros > 0) {
		size_t n = zeros < sizeof(zero) ? zeros : sizeof(zero);
		zs.next_in = zero;
		zs.avail_in = (uInt)n;
		if (deflate(&zs, Z_NO_FLUSH) != Z_OK)
			return -1;
		zeros -= n;
	}
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
		return -1;
	*outlen = zs.total_out;
	deflateEnd(&zs);
	return 0;
}

/* A payload with one valid op and `extra` SQL appended. */
static int payload(uint8_t **out, size_t *len, const char *sender, long long seq, const char *extra)
{
	sqlite3 *db = NULL;
	unsigned char *ser;
	sqlite3_int64 n;
	char sql[2048], id[37];

	vios_uuid7(id);
	snprintf(sql, sizeof(sql),
		 "PRAGMA page_size=4096; %s; %s;"
		 "INSERT INTO bundle VALUES ('format','vios-payload-1'),('sender','%s'),('seq','%lld');"
		 "INSERT INTO ops(n, kind, hlc, node, tbl, pk, col, value) VALUES"
		 " (1, 'set', %llu, '%s', 'trend', '%s', 'theme', 'weapons');"
		 "%s",
		 VIOS_PAYLOAD_SQL_META, VIOS_PAYLOAD_SQL_OPS, sender, seq,
		 (unsigned long long)(vios_now_ms() << 16), sender, id, extra ? extra : "");
	if (sqlite3_open(":memory:", &db) != SQLITE_OK || sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "t_forge: %s\n", sqlite3_errmsg(db));
		return -1;
	}
	ser = sqlite3_serialize(db, "main", &n, 0);
	*out = malloc((size_t)n);
	memcpy(*out, ser, (size_t)n);
	*len = (size_t)n;
	sqlite3_free(ser);
	sqlite3_close(db);
	return 0;
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
	sqlite3_stmt *p = NULL;

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
	sqlite3_prepare_v2(st->db, "SELECT coalesce(max(seq), 0) + 1 FROM outbox", -1, &p, NULL);
	sqlite3_step(p);
	seq = sqlite3_column_int64(p, 0);
	sqlite3_finalize(p);
	if (!strcmp(kind, "bomb")) {
		if (payload(&plain, &plen, node->node_id, seq, NULL) < 0 ||
		    gz(&zipped, &zlen, plain, plen, (size_t)VIOS_BUNDLE_MAX_PLAIN + (16u << 20)) < 0)
			return 1;
	} else if (!strcmp(kind, "extra-table") || !strcmp(kind, "trigger") || !strcmp(kind, "view") ||
		   !strcmp(kind, "opcount")) {
		const char *extra = !strcmp(kind, "extra-table") ? "CREATE TABLE extra (x);"
				    : !strcmp(kind, "trigger")   ? "CREATE TRIGGER t AFTER INSERT ON ops BEGIN SELECT 1; END;"
				    : !strcmp(kind, "view")      ? "CREATE VIEW v AS SELECT * FROM ops;"
								 : NULL;
		if (!strcmp(kind, "opcount"))
			ops = 2;
		if (payload(&plain, &plen, node->node_id, seq, extra) < 0 || gz(&zipped, &zlen, plain, plen, 0) < 0)
			return 1;
	} else if (!strcmp(kind, "not-sqlite")) {
		if (gz(&zipped, &zlen, (const uint8_t *)"hello, not a database", 21, 4096) < 0)
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
