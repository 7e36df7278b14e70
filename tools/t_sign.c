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
#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bundle.h"
#include "crdt/crdt.h"
#include "crypto/age.h"
#include "crypto/minisign.h"
#include "node/node.h"
#include "registry.h"
#include "store/store.h"
#include "trust.h"
#include "util/error.h"
#include "util/util.h"

static int die(const char *what)
{
	fprintf(stderr, "t_sign: %s: %s\n", what, vios_error_last());
	return 1;
}

static int gz(uint8_t **out, size_t *outlen, const uint8_t *in, size_t len)
{
	z_stream zs;
	size_t cap = len + 4096;

	memset(&zs, 0, sizeof(zs));
	if ((*out = malloc(cap)) == NULL || deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = *out;
	zs.avail_out = (uInt)cap;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
		return -1;
	*outlen = zs.total_out;
	deflateEnd(&zs);
	return 0;
}

/* A payload with one op by sender at hlc. */
static int payload(uint8_t **out, size_t *len, const char *sender, long long seq, uint64_t hlc, int is_case)
{
	sqlite3 *db = NULL;
	unsigned char *ser;
	sqlite3_int64 n;
	char sql[2048], id[37];

	vios_uuid7(id);
	snprintf(sql, sizeof(sql),
		 "PRAGMA page_size=4096; %s; %s;"
		 "INSERT INTO bundle VALUES ('format','vios-payload-1'),('sender','%s'),('seq','%lld');"
		 "INSERT INTO ops(n, kind, hlc, node, tbl, pk, col, value) VALUES (1, 'set', %llu, '%s', '%s', '%s', '%s', '%s');",
		 VIOS_PAYLOAD_SQL_META, VIOS_PAYLOAD_SQL_OPS, sender, seq, (unsigned long long)hlc, sender,
		 is_case ? "pupil" : "trend", id, is_case ? "name" : "theme", is_case ? "Sealed past the covenant" : "weapons");
	if (sqlite3_open(":memory:", &db) != SQLITE_OK || sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "t_sign: %s\n", sqlite3_errmsg(db));
		sqlite3_close(db);
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

static int cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int seal(vios_node *node, const char *list, long long covenant, const char *category)
{
	vios_store *st = NULL;
	sqlite3_stmt *p = NULL;
	char (*ids)[37] = NULL, prev[65] = "0000000000000000000000000000000000000000000000000000000000000000", hash[65],
	     hlcs[24], now[21], *header = NULL, *sig = NULL, *copy = strdup(list), *tok, *save = NULL;
	uint8_t (*pks)[32] = NULL, *plain = NULL, *zipped = NULL, *age = NULL, h[32];
	size_t n = 0, plen, zlen, agelen;
	long long seq = 1;
	uint64_t hlc;
	int is_case = !strcmp(category, "case"), rc = 1;
	json_t *o = NULL, *rcpt = json_array();

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
		json_array_append_new(rcpt, json_string(ids[i]));
	}
	if (vios_store_tx_begin_uncaptured(st) < 0) {
		rc = die("starting a write");
		goto done;
	}
	sqlite3_prepare_v2(st->db, "SELECT seq + 1, hash FROM outbox ORDER BY seq DESC LIMIT 1", -1, &p, NULL);
	if (sqlite3_step(p) == SQLITE_ROW) {
		seq = sqlite3_column_int64(p, 0);
		snprintf(prev, sizeof(prev), "%s", sqlite3_column_text(p, 1));
	}
	sqlite3_finalize(p);
	p = NULL;
	if (vios_crdt_clock_tick(&hlc, st) < 0) {
		rc = die("the clock");
		goto done;
	}
	snprintf(hlcs, sizeof(hlcs), "%llu", (unsigned long long)hlc);
	o = json_pack("{s:[s], s:I, s:s, s:s, s:I, s:s, s:O, s:s, s:I}", "categories", category, "covenant_version",
		      (json_int_t)covenant, "format", "vios-bundle-1", "hlc", hlcs, "ops", (json_int_t)1, "prev", prev,
		      "recipients", rcpt, "sender", node->node_id, "seq", (json_int_t)seq);
	header = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (payload(&plain, &plen, node->node_id, seq, hlc, is_case) < 0 || gz(&zipped, &zlen, plain, plen) < 0 ||
	    vios_age_encrypt_buf(&age, &agelen, zipped, zlen, (const uint8_t(*)[32])pks, n) < 0 ||
	    vios_minisign_sign(&sig, node->sign_sec, age, agelen, header, "vios bundle") < 0) {
		rc = die("sealing");
		goto done;
	}
	crypto_generichash(h, sizeof(h), age, agelen, NULL, 0);
	vios_hex(hash, h, sizeof(h));
	vios_now_iso(now);
	sqlite3_prepare_v2(st->db, "INSERT INTO outbox(seq, hash, header, sig, created_at, age) VALUES (?, ?, ?, ?, ?, ?)", -1, &p, NULL);
	sqlite3_bind_int64(p, 1, seq);
	sqlite3_bind_text(p, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(p, 3, header, -1, SQLITE_STATIC);
	sqlite3_bind_text(p, 4, sig, -1, SQLITE_STATIC);
	sqlite3_bind_text(p, 5, now, -1, SQLITE_STATIC);
	sqlite3_bind_blob(p, 6, age, (int)agelen, SQLITE_STATIC);
	if (sqlite3_step(p) != SQLITE_DONE || vios_store_tx_commit(st) < 0) {
		fprintf(stderr, "t_sign: queueing the bundle: %s\n", sqlite3_errmsg(st->db));
		goto done;
	}
	printf("%lld\n", seq);
	rc = 0;
done:
	sqlite3_finalize(p);
	vios_store_tx_rollback(st);
	vios_store_free(st);
	json_decref(o);
	json_decref(rcpt);
	free(ids);
	free(pks);
	free(copy);
	free(plain);
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
