/*
 * payload.c - see payload.h: the bundle codec. The signed header (one line
 * of JSON, through jansson) and the payload (an SQLite database serialised
 * from memory, never a file, whose schema is exactly that of its version;
 * then gzip). Pure: no store, no keys, no git.
 *
 * The reader is strict (docs/formats.md): the header has exactly the
 * fields of its format (eleven for -3, ten for -2, nine for -1); gunzip stops at a bound; the database opens read-only and
 * defensively from memory, its schema is compared text for text, the
 * bundle table holds exactly the keys of its format version
 * (vios-payload-2 and -4: format, sender, seq, log_id, log_count, log_head;
 * -3 and -4 may add name_check_skipped; vios-payload-1: the first three),
 * and every op is validated and checked against the header. Version 4
 * (below) is one row per record, not per op; 1 to 3 are still read.
 * Plaintext images are wiped before they are freed.
 */
#include "sync/payload.h"
#include "crypto/age.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define HEADER_FORMAT_1 "vios-bundle-1"
#define HEADER_FORMAT "vios-bundle-2" /* adds approves and the markings (sync/consent.h) */
#define HEADER_FORMAT_3 "vios-bundle-3" /* adds epoch (store/epoch.h) */
#define HEADER_APPROVES_MAX 200
#define HEADER_EPOCH_MAX 1000000
#define PAYLOAD_FORMAT_1 "vios-payload-1"
#define PAYLOAD_FORMAT "vios-payload-2" /* adds the sender's access log head */
#define PAYLOAD_FORMAT_3 "vios-payload-3" /* adds the records written with --no-name-check */
#define PAYLOAD_FORMAT_4 "vios-payload-4" /* one row per record, not per op (below) */
#define LOG_COUNT_MAX (1LL << 62)
#define SQL_META VIOS_PAYLOAD_SQL_META
#define SQL_OPS VIOS_PAYLOAD_SQL_OPS
#define SQL_NODES VIOS_PAYLOAD_SQL_NODES
#define SQL_TABLES VIOS_PAYLOAD_SQL_TABLES
/* A payload's database in memory, used by the one thread that opened it:
 * no lock around each SQLite call */
#define P4_OPEN_FLAGS (SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY | SQLITE_OPEN_NOMUTEX)

void vios_bundle_header_dispose(vios_bundle_header *h)
{
	if (h == NULL)
		return;
	free(h->recipients);
	free(h->approves);
	free(h->json);
	memset(h, 0, sizeof(*h));
}

static int sqlerr(sqlite3 *db, int rc, const char *what)
{
	assert(what != NULL);
	if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	vios_error_set(VIOS_ERR_BUNDLE, "%s: %s", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	return VIOS_ERROR;
}

/* ---- header --------------------------------------------------------------- */

/* The category names in header order; bit i is VIOS_CAT_BIT_* 1 << i. */
static const char *const cat_names[] = { "theme", "case", "art9", "art10" };

static char *header_json(const vios_bundle_header *h)
{
	json_t *o, *rc = json_array(), *cats = json_array(), *ap = json_array();
	char *s = NULL, hlc[24], rcpt[100];

	assert(h != NULL && (h->recipients != NULL || h->nrecipients == 0) && (h->approves != NULL || h->napproves == 0));
	if (rc == NULL || cats == NULL || ap == NULL)
		goto done;
	for (size_t i = 0; i < h->nrecipients; i++)
		json_array_append_new(rc, json_string(h->recipients[i]));
	for (size_t i = 0; i < h->napproves; i++)
		json_array_append_new(ap, json_string(h->approves[i]));
	for (unsigned i = 0; i < 4; i++)
		if (h->categories & (1u << i))
			json_array_append_new(cats, json_string(cat_names[i]));
	/* The clock is a decimal string: JSON numbers lose precision past 2^53. */
	snprintf(hlc, sizeof(hlc), "%llu", (unsigned long long)h->hlc);
	o = json_pack("{s:s, s:s, s:I, s:s, s:s, s:I, s:O, s:O, s:I, s:{s:I, s:O}}", "format", HEADER_FORMAT, "sender",
		      h->sender, "seq", (json_int_t)h->seq, "prev", h->prev, "hlc", hlc, "covenant_version",
		      (json_int_t)h->covenant_version, "categories", cats, "recipients", rc, "ops",
		      (json_int_t)h->ops, "approves", "covenant", (json_int_t)h->approves_covenant, "nodes", ap);
	if (o && h->epoch_n > 0) {
		json_t *e = NULL;
		if (vios_age_recipient_format(rcpt, sizeof(rcpt), h->epoch_pk) < 0 ||
		    (e = json_pack("{s:I, s:s, s:s}", "n", (json_int_t)h->epoch_n, "recipient", rcpt, "since",
				   h->epoch_since)) == NULL ||
		    json_object_set_new(o, "epoch", e) < 0 || json_object_set_new(o, "format", json_string(HEADER_FORMAT_3)) < 0) {
			json_decref(o);
			o = NULL;
		}
	}
	if (o) {
		s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(o);
	}
done:
	json_decref(rc);
	json_decref(cats);
	json_decref(ap);
	return s;
}

static int bad_header(const char *why)
{
	assert(why != NULL);
	vios_error_set(VIOS_ERR_BUNDLE, "bundle header: %s", why);
	return VIOS_ECORRUPT;
}

int vios_bundle_header_format(char **out, const vios_bundle_header *h)
{
	assert(out != NULL && h != NULL && (h->recipients != NULL || h->nrecipients == 0));
	if ((*out = header_json(h)) == NULL)
		return vios_error_nomem();
	return 0;
}

/* approves: {"covenant": from covenant_version, "nodes": sorted node ids, each once, not the sender}. */
static int parse_approves(vios_bundle_header *h, json_t *a)
{
	json_t *c = json_object_get(a, "covenant"), *nodes = json_object_get(a, "nodes");
	size_t i;

	if (!json_is_object(a) || json_object_size(a) != 2 || !json_is_integer(c) || !json_is_array(nodes))
		return bad_header("approves must be {\"covenant\": N, \"nodes\": [...]}");
	if (json_integer_value(c) < h->covenant_version)
		return bad_header("approves.covenant is below the covenant version the bundle was sealed under");
	h->approves_covenant = json_integer_value(c);
	if (json_array_size(nodes) > HEADER_APPROVES_MAX)
		return bad_header("approves.nodes lists more than 200 node ids");
	if (json_array_size(nodes) && (h->approves = calloc(json_array_size(nodes), sizeof(*h->approves))) == NULL)
		return vios_error_nomem();
	for (i = 0; i < json_array_size(nodes); i++) {
		const char *s = json_string_value(json_array_get(nodes, i));
		if (s == NULL || !vios_uuid_valid(s) || (i > 0 && strcmp(h->approves[i - 1], s) >= 0) || !strcmp(s, h->sender))
			return bad_header("approves.nodes must be node ids other than the sender, sorted, each once");
		strcpy(h->approves[i], s);
	}
	h->napproves = json_array_size(nodes);
	return 0;
}

/* "YYYY-MM-DDTHH:MM:SSZ", digits where digits go (vios_now_iso's form). */
static int iso_valid(const char *s)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";

	if (s == NULL || strlen(s) != sizeof(pat) - 1)
		return 0;
	for (size_t i = 0; pat[i]; i++)
		if (pat[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != pat[i])
			return 0;
	return 1;
}

/* epoch: {"n": 1 to HEADER_EPOCH_MAX, "recipient": an age recipient (canonical), "since": ISO time}. */
static int parse_epoch(vios_bundle_header *h, json_t *e)
{
	json_t *n = json_object_get(e, "n");
	const char *r = json_string_value(json_object_get(e, "recipient"));
	const char *since = json_string_value(json_object_get(e, "since"));
	char again[100];

	if (!json_is_object(e) || json_object_size(e) != 3 || !json_is_integer(n) || r == NULL || since == NULL)
		return bad_header("epoch must be {\"n\": N, \"recipient\": \"age1...\", \"since\": TIME}");
	if (json_integer_value(n) < 1 || json_integer_value(n) > HEADER_EPOCH_MAX)
		return bad_header("epoch.n is not a number from 1 to 1000000");
	if (vios_age_recipient_parse(h->epoch_pk, r) < 0 || vios_age_recipient_format(again, sizeof(again), h->epoch_pk) < 0 ||
	    strcmp(again, r) != 0)
		return bad_header("epoch.recipient is not an age recipient");
	if (!iso_valid(since))
		return bad_header("epoch.since is not a time YYYY-MM-DDTHH:MM:SSZ");
	h->epoch_n = json_integer_value(n);
	strcpy(h->epoch_since, since);
	return 0;
}

int vios_bundle_header_parse(vios_bundle_header *h, const char *text)
{
	json_t *o = NULL, *v;
	json_error_t jerr;
	size_t i;
	const char *s;
	char *end;
	int error = VIOS_ECORRUPT;

	assert(h != NULL && text != NULL);
	memset(h, 0, sizeof(*h));
	if ((o = json_loads(text, JSON_REJECT_DUPLICATES, &jerr)) == NULL || !json_is_object(o)) {
		error = bad_header("not a JSON object");
		goto done;
	}
	s = json_string_value(json_object_get(o, "format")) ?: "";
	h->format = !strcmp(s, HEADER_FORMAT_3) ? 3 : !strcmp(s, HEADER_FORMAT) ? 2 : !strcmp(s, HEADER_FORMAT_1) ? 1 : 0;
	if (h->format == 0 || json_object_size(o) != (h->format == 3 ? 11u : h->format == 2 ? 10u : 9u) ||
	    (h->format == 3) != (json_object_get(o, "epoch") != NULL)) {
		error = bad_header("unknown format or unexpected fields");
		goto done;
	}
	s = json_string_value(json_object_get(o, "sender"));
	if (s == NULL || !vios_uuid_valid(s)) {
		error = bad_header("sender is not a node id");
		goto done;
	}
	strcpy(h->sender, s);
	v = json_object_get(o, "seq");
	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		error = bad_header("seq is not a number from 1");
		goto done;
	}
	h->seq = json_integer_value(v);
	s = json_string_value(json_object_get(o, "prev"));
	if (s == NULL || strlen(s) != 64 || strspn(s, "0123456789abcdef") != 64) {
		error = bad_header("prev is not a BLAKE2b-256 hash");
		goto done;
	}
	strcpy(h->prev, s);
	s = json_string_value(json_object_get(o, "hlc"));
	if (s == NULL || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 19) {
		error = bad_header("hlc is not a clock");
		goto done;
	}
	h->hlc = strtoull(s, &end, 10);
	v = json_object_get(o, "covenant_version");
	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		error = bad_header("covenant_version is not a number from 1");
		goto done;
	}
	h->covenant_version = json_integer_value(v);
	v = json_object_get(o, "categories");
	if (!json_is_array(v) || json_array_size(v) > (h->format >= 2 ? 4u : 2u)) {
		error = bad_header("categories must list theme and/or case (and art9, art10)");
		goto done;
	}
	for (i = 0; i < json_array_size(v); i++) {
		unsigned bit = 0;
		s = json_string_value(json_array_get(v, i));
		for (unsigned k = 0; s && k < (h->format >= 2 ? 4u : 2u); k++)
			if (!strcmp(s, cat_names[k]))
				bit = 1u << k;
		/* in the order written, each once */
		if (bit == 0 || (h->categories & bit) || h->categories >= bit) {
			error = bad_header("categories must list theme and/or case (and art9, art10), in that order, each once");
			goto done;
		}
		h->categories |= bit;
	}
	/* a marking is case data; only a bundle of approvals alone has no category */
	if (((h->categories & VIOS_CAT_MARKS) && !(h->categories & VIOS_CAT_BIT_CASE)) ||
	    (h->categories == 0) != (h->format >= 2 && json_integer_value(json_object_get(o, "ops")) == 0)) {
		error = bad_header("categories do not fit the ops (a marking needs case; none only with no ops)");
		goto done;
	}
	v = json_object_get(o, "recipients");
	if (!json_is_array(v) || json_array_size(v) < 1 || json_array_size(v) > 200) {
		error = bad_header("recipients must list 1 to 200 node ids");
		goto done;
	}
	if ((h->recipients = calloc(json_array_size(v), sizeof(*h->recipients))) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	for (i = 0; i < json_array_size(v); i++) {
		s = json_string_value(json_array_get(v, i));
		if (s == NULL || !vios_uuid_valid(s) || (i > 0 && strcmp(h->recipients[i - 1], s) >= 0)) {
			error = bad_header("recipients must be node ids, sorted, each once");
			goto done;
		}
		strcpy(h->recipients[i], s);
	}
	h->nrecipients = json_array_size(v);
	v = json_object_get(o, "ops");
	if (!json_is_integer(v) || json_integer_value(v) < (h->format >= 2 ? 0 : 1) ||
	    json_integer_value(v) > VIOS_BUNDLE_MAX_OPS) {
		error = bad_header("ops is not a count from 1 (0 for approvals alone) to the limit");
		goto done;
	}
	h->ops = json_integer_value(v);
	if (h->format >= 2 && (error = parse_approves(h, json_object_get(o, "approves"))) < 0)
		goto done;
	if (h->format == 3 && (error = parse_epoch(h, json_object_get(o, "epoch"))) < 0)
		goto done;
	if ((h->json = strdup(text)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	error = 0;
done:
	json_decref(o);
	if (error < 0)
		vios_bundle_header_dispose(h);
	return error;
}

/* ---- payload ------------------------------------------------------------- */

/* gzip at deflate level `level` (vios_payload_gzip: 6; vios-payload-4: P4_GZIP_LEVEL). */
static int gzip_level(uint8_t **out, size_t *outlen, const uint8_t *in, size_t inlen, size_t zeros, int level);

int vios_payload_gzip(uint8_t **out, size_t *outlen, const uint8_t *in, size_t inlen, size_t zeros)
{
	return gzip_level(out, outlen, in, inlen, zeros, 6);
}

static int gzip_level(uint8_t **out, size_t *outlen, const uint8_t *in, size_t inlen, size_t zeros, int level)
{
	static const uint8_t zero[1 << 16];
	z_stream zs;
	uLong cap = compressBound((uLong)inlen) + 64;
	uint8_t *buf;
	int rc;

	assert(out != NULL && outlen != NULL && (in != NULL || inlen == 0));
	*out = NULL;
	/* deflate never packs zeros tighter than 1032:1; 512:1 leaves room */
	if (zeros > 0)
		cap += zeros / 512 + 65536;
	if ((buf = malloc(cap)) == NULL)
		return vios_error_nomem();
	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(buf);
		vios_error_set(VIOS_ERR_ZLIB, "gzip: cannot start");
		return VIOS_ERROR;
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)inlen;
	zs.next_out = buf;
	zs.avail_out = (uInt)cap;
	if (zeros == 0) {
		rc = deflate(&zs, Z_FINISH);
	} else {
		for (rc = deflate(&zs, Z_NO_FLUSH); rc == Z_OK && zeros > 0;) {
			size_t k = zeros < sizeof(zero) ? zeros : sizeof(zero);
			zs.next_in = (Bytef *)zero;
			zs.avail_in = (uInt)k;
			rc = deflate(&zs, Z_NO_FLUSH);
			zeros -= k;
		}
		if (rc == Z_OK)
			rc = deflate(&zs, Z_FINISH);
	}
	*outlen = zs.total_out;
	deflateEnd(&zs);
	if (rc != Z_STREAM_END) {
		free(buf);
		vios_error_set(VIOS_ERR_ZLIB, "gzip: %s", zs.msg ? zs.msg : "failed");
		return VIOS_ERROR;
	}
	*out = buf;
	return 0;
}

int vios_payload_gunzip(uint8_t **out, size_t *outlen, const uint8_t *in, size_t inlen, size_t max)
{
	z_stream zs;
	uint8_t *buf = NULL;
	size_t cap = 1 << 16;
	int rc, error = VIOS_ECORRUPT;

	assert(out != NULL && outlen != NULL && (in != NULL || inlen == 0));
	*out = NULL;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 15 + 16) != Z_OK) {
		vios_error_set(VIOS_ERR_ZLIB, "gunzip: cannot start");
		return VIOS_ERROR;
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)inlen;
	for (;;) {
		if (buf == NULL || zs.total_out == cap) {
			uint8_t *nb;
			if (buf != NULL) {
				if (cap >= max) {
					vios_error_set(VIOS_ERR_BUNDLE, "bundle payload: decompresses to more than %zu bytes (a gzip bomb?); refused", max);
					goto done;
				}
				cap = cap * 2 > max ? max : cap * 2;
			}
			if ((nb = realloc(buf, cap)) == NULL) {
				error = vios_error_nomem();
				goto done;
			}
			buf = nb;
			zs.next_out = buf + zs.total_out;
			zs.avail_out = (uInt)(cap - zs.total_out);
		}
		assert(buf != NULL && zs.total_out < cap);
		rc = inflate(&zs, Z_NO_FLUSH);
		if (rc == Z_STREAM_END)
			break;
		if (rc != Z_OK && !(rc == Z_BUF_ERROR && zs.avail_out == 0)) {
			vios_error_set(VIOS_ERR_BUNDLE, "bundle payload: not valid gzip (%s)", zs.msg ? zs.msg : "truncated");
			goto done;
		}
	}
	if (zs.avail_in != 0) {
		vios_error_set(VIOS_ERR_BUNDLE, "bundle payload: data after the gzip stream");
		goto done;
	}
	*out = buf;
	*outlen = zs.total_out;
	buf = NULL;
	error = 0;
done:
	inflateEnd(&zs);
	free(buf);
	return error;
}

int vios_payload_image(uint8_t **out, size_t *outlen, const vios_crdt_op *const *ops, size_t n,
		       const char *sender, long long seq)
{
	return vios_payload_image_with_log(out, outlen, ops, n, sender, seq, NULL);
}

static int image(uint8_t **out, size_t *outlen, const vios_crdt_op *const *ops, size_t n, const char *sender,
		 long long seq, const vios_log_head *log, const char *skipped);

int vios_payload_image_with_log(uint8_t **out, size_t *outlen, const vios_crdt_op *const *ops, size_t n,
				const char *sender, long long seq, const vios_log_head *log)
{
	return image(out, outlen, ops, n, sender, seq, log, NULL);
}

/* The payload image; skipped (version 3) needs log. */
static int image(uint8_t **out, size_t *outlen, const vios_crdt_op *const *ops, size_t n, const char *sender,
		 long long seq, const vios_log_head *log, const char *skipped)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *p = NULL;
	unsigned char *ser = NULL;
	sqlite3_int64 serlen = 0;
	char num[24], count[24], head[2 * VIOS_LOG_HASH_LEN + 1], id[2 * VIOS_LOG_ID_LEN + 1];
	int rc, error = VIOS_ERROR;

	assert(out != NULL && outlen != NULL && (ops != NULL || n == 0) && sender != NULL);
	assert(log == NULL || (log->count >= 0 && log->count <= LOG_COUNT_MAX));
	assert(skipped == NULL || (log != NULL && *skipped));
	*out = NULL;
	*outlen = 0;
	if ((rc = sqlite3_open_v2(":memory:", &db, P4_OPEN_FLAGS | SQLITE_OPEN_CREATE, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_exec(db, "PRAGMA page_size=4096; " SQL_META "; " SQL_OPS "; BEGIN", NULL, NULL, NULL)) != SQLITE_OK) {
		error = sqlerr(db, rc, "building the payload");
		goto done;
	}
	snprintf(num, sizeof(num), "%lld", seq);
	if (log) {
		snprintf(count, sizeof(count), "%lld", log->count);
		vios_hex(head, log->head, sizeof(log->head));
		vios_hex(id, log->id, sizeof(log->id));
	}
	{
		const char *kv[][2] = { { "format", skipped ? PAYLOAD_FORMAT_3 : log ? PAYLOAD_FORMAT : PAYLOAD_FORMAT_1 },
					{ "sender", sender }, { "seq", num }, { "log_id", id }, { "log_count", count },
					{ "log_head", head }, { "name_check_skipped", skipped } };
		rc = sqlite3_prepare_v2(db, "INSERT INTO bundle(key, value) VALUES (?, ?)", -1, &p, NULL);
		for (int i = 0; rc == SQLITE_OK && i < (skipped ? 7 : log ? 6 : 3); i++) {
			sqlite3_bind_text(p, 1, kv[i][0], -1, SQLITE_STATIC);
			sqlite3_bind_text(p, 2, kv[i][1], -1, SQLITE_STATIC);
			if ((rc = sqlite3_step(p)) == SQLITE_DONE)
				rc = sqlite3_reset(p);
		}
		sqlite3_finalize(p);
		p = NULL;
		if ((error = sqlerr(db, rc, "building the payload")) < 0)
			goto done;
	}
	rc = sqlite3_prepare_v2(db, "INSERT INTO ops(n, kind, hlc, node, tbl, pk, col, value, base_hlc, base_node)"
				    " VALUES (?,?,?,?,?,?,?,?,?,?)", -1, &p, NULL);
	for (size_t k = 0; rc == SQLITE_OK && k < n; k++) {
		const vios_crdt_op *op = ops[k];
		assert(op != NULL);
		sqlite3_bind_int64(p, 1, (sqlite3_int64)k + 1);
		sqlite3_bind_text(p, 2, op->kind == VIOS_OP_DELETE ? "delete" : "set", -1, SQLITE_STATIC);
		sqlite3_bind_int64(p, 3, (sqlite3_int64)op->hlc);
		sqlite3_bind_text(p, 4, op->node, -1, SQLITE_STATIC);
		sqlite3_bind_text(p, 5, op->tbl, -1, SQLITE_STATIC);
		sqlite3_bind_text(p, 6, op->pk, -1, SQLITE_STATIC);
		sqlite3_bind_text(p, 7, op->col, -1, SQLITE_STATIC);
		vios_crdt_value_bind(p, 8, &op->value);
		if (op->kind == VIOS_OP_SET && op->base_hlc) {
			sqlite3_bind_int64(p, 9, (sqlite3_int64)op->base_hlc);
			sqlite3_bind_text(p, 10, op->base_node, -1, SQLITE_STATIC);
		}
		if ((rc = sqlite3_step(p)) == SQLITE_DONE) {
			sqlite3_reset(p);
			sqlite3_clear_bindings(p);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(p);
	p = NULL;
	if ((error = sqlerr(db, rc, "building the payload")) < 0 ||
	    (error = sqlerr(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), "building the payload")) < 0)
		goto done;
	if ((ser = sqlite3_serialize(db, "main", &serlen, 0)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	if ((*out = malloc((size_t)serlen)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	memcpy(*out, ser, (size_t)serlen);
	*outlen = (size_t)serlen;
	error = 0;
done:
	if (ser)
		sodium_memzero(ser, (size_t)serlen);
	sqlite3_free(ser);
	sqlite3_finalize(p);
	sqlite3_close(db);
	return error;
}

int vios_payload_build(uint8_t **out, size_t *outlen, const vios_crdt_op *const *ops, size_t n,
		       const char *sender, long long seq)
{
	return vios_payload_build_with_log(out, outlen, ops, n, sender, seq, NULL);
}

int vios_payload_build_with_log(uint8_t **out, size_t *outlen, const vios_crdt_op *const *ops, size_t n,
				const char *sender, long long seq, const vios_log_head *log)
{
	return vios_payload_build_v3(out, outlen, ops, n, sender, seq, log, NULL);
}

int vios_payload_build_v3(uint8_t **out, size_t *outlen, const vios_crdt_op *const *ops, size_t n,
			  const char *sender, long long seq, const vios_log_head *log, const char *skipped)
{
	uint8_t *plain = NULL;
	size_t plainlen = 0;
	int error;

	assert(out != NULL && outlen != NULL && (ops != NULL || n == 0) && sender != NULL);
	assert(skipped == NULL || !*skipped || log != NULL);
	*out = NULL;
	if ((error = image(&plain, &plainlen, ops, n, sender, seq, log, skipped && *skipped ? skipped : NULL)) < 0)
		goto done;
	error = vios_payload_gzip(out, outlen, plain, plainlen, 0);
done:
	if (plain) {
		sodium_memzero(plain, plainlen);
		free(plain);
	}
	return error;
}

static int bad_payload(const char *why)
{
	assert(why != NULL);
	vios_error_set(VIOS_ERR_BUNDLE, "bundle payload: %s", why);
	return VIOS_ECORRUPT;
}

/* What a payload's schema holds: its fixed tables, and the text of its ops_<table> ones (version 4). */
#define SCH_META 1u
#define SCH_OPS 2u
#define SCH_NODES 4u
#define SCH_TABLES 8u
typedef struct {
	unsigned has;
	size_t nent;
	char *sql[VIOS_CRDT_TABLES_MAX];
} schema_seen;

static void schema_dispose(schema_seen *s)
{
	for (size_t i = 0; i < s->nent; i++)
		free(s->sql[i]);
	memset(s, 0, sizeof(*s));
}

/*
 * Opens the decompressed payload read-only from memory, defensively, and
 * checks its schema: only tables, each the text of one of the payload
 * formats' (bundle, ops; nodes, tables) or named ops_... (at most
 * VIOS_CRDT_TABLES_MAX, their text in *sch for the version 4 reader to
 * compare). Which tables the version asks for is checked once the bundle
 * table said it. plain must outlive *out.
 */
static int payload_open(sqlite3 **out, schema_seen *sch, uint8_t *plain, size_t len)
{
	static const char *const fixed[][2] = { { "bundle", SQL_META }, { "ops", SQL_OPS }, { "nodes", SQL_NODES },
						{ "tables", SQL_TABLES } };
	sqlite3 *db = NULL;
	sqlite3_stmt *p = NULL;
	int rc, error = VIOS_ECORRUPT, on = 1, off = 0;

	assert(out != NULL && sch != NULL && (plain != NULL || len == 0));
	*out = NULL;
	memset(sch, 0, sizeof(*sch));
	if (len < 512 || memcmp(plain, "SQLite format 3", 16) != 0)
		return bad_payload("not an SQLite database");
	if ((rc = sqlite3_open_v2(":memory:", &db, P4_OPEN_FLAGS, NULL)) != SQLITE_OK) {
		error = sqlerr(db, rc, "opening the payload");
		goto done;
	}
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, on, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, off, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, off, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_VIEW, off, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, off, NULL);
	sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
	sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 1 << 20);
	if ((rc = sqlite3_deserialize(db, "main", plain, (sqlite3_int64)len, (sqlite3_int64)len,
				      SQLITE_DESERIALIZE_READONLY)) != SQLITE_OK) {
		error = bad_payload("not an SQLite database");
		goto done;
	}
	rc = sqlite3_prepare_v2(db, "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name", -1, &p, NULL);
	if (rc != SQLITE_OK) {
		error = bad_payload("its schema cannot be read");
		goto done;
	}
	while ((rc = sqlite3_step(p)) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(p, 0), *name = (const char *)sqlite3_column_text(p, 1),
			   *tbl = (const char *)sqlite3_column_text(p, 2), *sql = (const char *)sqlite3_column_text(p, 3);
		unsigned k = 0;
		if (!type || !name || !tbl || !sql || strcmp(type, "table") || strcmp(name, tbl)) {
			error = bad_payload("its schema is not the payload schema (extra or changed tables, indexes, triggers or views)");
			goto done;
		}
		while (k < 4 && strcmp(name, fixed[k][0]))
			k++;
		if (k < 4 ? strcmp(sql, fixed[k][1]) != 0
			  : strncmp(name, "ops_", 4) != 0 || sch->nent == VIOS_CRDT_TABLES_MAX) {
			error = bad_payload("its schema is not the payload schema (extra or changed tables, indexes, triggers or views)");
			goto done;
		}
		if (k < 4)
			sch->has |= 1u << k;
		else if ((sch->sql[sch->nent++] = strdup(sql)) == NULL) {
			error = vios_error_nomem();
			goto done;
		}
	}
	if (rc != SQLITE_DONE || !(sch->has & SCH_META)) {
		error = bad_payload("its schema is not the payload schema");
		goto done;
	}
	sqlite3_finalize(p);
	p = NULL;
	rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &p, NULL);
	if (rc != SQLITE_OK || sqlite3_step(p) != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(p, 0) ?: "", "ok")) {
		error = bad_payload("the database is damaged");
		goto done;
	}
	*out = db;
	db = NULL;
	error = 0;
done:
	sqlite3_finalize(p);
	sqlite3_close(db);
	if (error < 0)
		schema_dispose(sch);
	return error;
}

static int col_text(char **out, sqlite3_stmt *p, int i)
{
	const unsigned char *s = sqlite3_column_text(p, i);

	assert(out != NULL && p != NULL);
	if (sqlite3_column_type(p, i) == SQLITE_NULL) {
		*out = NULL;
		return 0;
	}
	if ((*out = strdup((const char *)s)) == NULL)
		return vios_error_nomem();
	return 0;
}

/* name_check_skipped: 1 to VIOS_PAYLOAD_SKIPPED_MAX "table:id", one
 * space between, table trend, meeting or signal, id a UUID. */
static int skipped_valid(const char *v)
{
	size_t count = 0;

	for (const char *p = v;;) {
		size_t len = strcspn(p, " ");
		const char *colon = memchr(p, ':', len);
		char id[37];
		size_t tl = colon ? (size_t)(colon - p) : 0;
		if (colon == NULL || len - tl - 1 != 36 || ++count > VIOS_PAYLOAD_SKIPPED_MAX ||
		    !((tl == 5 && !strncmp(p, "trend", 5)) || (tl == 7 && !strncmp(p, "meeting", 7)) ||
		      (tl == 6 && !strncmp(p, "signal", 6))))
			return 0;
		memcpy(id, colon + 1, 36);
		id[36] = 0;
		if (!vios_uuid_valid(id))
			return 0;
		if (p[len] == 0)
			return 1;
		p += len + 1;
	}
}

/* log_count: a canonical decimal from 0 (no sign, no leading zero). */
static int log_count_parse(long long *out, const char *v)
{
	size_t len = strlen(v);

	if (len == 0 || len > 19 || strspn(v, "0123456789") != len || (len > 1 && v[0] == '0'))
		return VIOS_ECORRUPT;
	*out = strtoll(v, NULL, 10);
	return *out <= LOG_COUNT_MAX ? 0 : VIOS_ECORRUPT;
}

/*
 * The bundle table's rules, one key at a time: its format (the version),
 * sender and seq equal to the signed header's, and from version 2 the log
 * head, each key exactly once and no other. meta_begin, meta_pair for each
 * pair, meta_end.
 */
enum { K_FORMAT, K_SENDER, K_SEQ, K_ID, K_COUNT, K_HEAD, K_SKIPPED, K_N };

typedef struct {
	vios_payload_meta *meta;
	const vios_bundle_header *h;
	char seq[24];
	unsigned seen;
} meta_reader;

static void meta_begin(meta_reader *r, vios_payload_meta *meta, const vios_bundle_header *h)
{
	assert(r != NULL && meta != NULL && h != NULL);
	memset(r, 0, sizeof(*r));
	memset(meta, 0, sizeof(*meta));
	r->meta = meta;
	r->h = h;
	snprintf(r->seq, sizeof(r->seq), "%lld", h->seq);
}

static int meta_pair(meta_reader *r, const char *k, const char *v)
{
	static const char *const keys[K_N] = { "format", "sender", "seq", "log_id", "log_count", "log_head",
					       "name_check_skipped" };
	vios_payload_meta *meta = r->meta;
	int key = K_N, ok = 0;

	for (int i = 0; k && i < K_N; i++)
		if (!strcmp(k, keys[i]))
			key = i;
	if (v == NULL || key == K_N || (r->seen & (1u << key)))
		return bad_payload("its bundle table holds an unknown, repeated or empty key");
	r->seen |= 1u << key;
	switch (key) {
	case K_FORMAT:
		meta->version = !strcmp(v, PAYLOAD_FORMAT_4) ? 4 : !strcmp(v, PAYLOAD_FORMAT_3) ? 3
			      : !strcmp(v, PAYLOAD_FORMAT) ? 2 : !strcmp(v, PAYLOAD_FORMAT_1) ? 1 : 0;
		ok = meta->version != 0;
		break;
	case K_SENDER:
		ok = !strcmp(v, r->h->sender);
		break;
	case K_SEQ:
		ok = !strcmp(v, r->seq);
		break;
	case K_ID:
		ok = strlen(v) == 2 * VIOS_LOG_ID_LEN && strspn(v, "0123456789abcdef") == strlen(v) &&
		     vios_unhex(meta->log.id, sizeof(meta->log.id), v) == 0;
		break;
	case K_COUNT:
		ok = log_count_parse(&meta->log.count, v) == 0;
		break;
	case K_HEAD:
		ok = strlen(v) == 2 * VIOS_LOG_HASH_LEN && strspn(v, "0123456789abcdef") == strlen(v) &&
		     vios_unhex(meta->log.head, sizeof(meta->log.head), v) == 0;
		break;
	case K_SKIPPED:
		ok = skipped_valid(v) && strlen(v) < sizeof(meta->name_check_skipped);
		if (ok)
			memcpy(meta->name_check_skipped, v, strlen(v) + 1);
		break;
	}
	if (!ok)
		return bad_payload(key <= K_SEQ ? "its sender, seq or format differ from the signed header"
				   : key == K_SKIPPED ? "its name_check_skipped is not a list of table:id"
						      : "its access log head is not an id, a count and a BLAKE2b-256 hash");
	return 0;
}

static int meta_end(meta_reader *r)
{
	vios_payload_meta *meta = r->meta;
	uint8_t zero[VIOS_LOG_HASH_LEN] = { 0 };
	unsigned seen = r->seen;

	if ((seen & 7u) != 7u)
		return bad_payload("its sender, seq or format differ from the signed header");
	/* version 4 carries the head always, name_check_skipped when there are any */
	if (meta->version == 4 ? (seen != 63u && seen != 127u)
			       : seen != (meta->version == 3 ? 127u : meta->version == 2 ? 63u : 7u))
		return bad_payload(meta->version == 4   ? "a vios-payload-4 bundle table without its access log head"
				   : meta->version == 3 ? "a vios-payload-3 bundle table without its access log head or its name_check_skipped"
				   : meta->version == 2 ? "a vios-payload-2 bundle table without its access log head, or with a name_check_skipped"
							: "a vios-payload-1 bundle table with an access log head");
	if (meta->version >= 2 && (meta->log.count == 0) != (sodium_memcmp(meta->log.head, zero, sizeof(zero)) == 0))
		return bad_payload("its access log head is all zeros exactly when the log is empty, and this one is not");
	return 0;
}

/* Reads an SQLite payload's bundle table by the rules above. */
static int payload_meta(vios_payload_meta *meta, sqlite3 *db, const vios_bundle_header *h)
{
	meta_reader r;
	sqlite3_stmt *p = NULL;
	int rc, error = 0;

	assert(meta != NULL && db != NULL && h != NULL);
	meta_begin(&r, meta, h);
	rc = sqlite3_prepare_v2(db, "SELECT key, value FROM bundle", -1, &p, NULL);
	for (rc = rc == SQLITE_OK ? sqlite3_step(p) : rc; rc == SQLITE_ROW && error == 0; rc = sqlite3_step(p))
		error = meta_pair(&r, (const char *)sqlite3_column_text(p, 0), (const char *)sqlite3_column_text(p, 1));
	if (error == 0 && rc != SQLITE_DONE)
		error = bad_payload("its sender, seq or format differ from the signed header");
	if (error == 0)
		error = meta_end(&r);
	sqlite3_finalize(p);
	if (error < 0)
		memset(meta, 0, sizeof(*meta));
	return error;
}

/* The value of column i of p (NULL, INT, REAL, TEXT or BLOB), malloc'd. */
static int col_value(vios_crdt_value *v, sqlite3_stmt *p, int i)
{
	switch (sqlite3_column_type(p, i)) {
	case SQLITE_INTEGER:
		v->type = VIOS_VAL_INT;
		v->u.i = sqlite3_column_int64(p, i);
		break;
	case SQLITE_FLOAT:
		v->type = VIOS_VAL_REAL;
		v->u.d = sqlite3_column_double(p, i);
		break;
	case SQLITE_TEXT:
		v->type = VIOS_VAL_TEXT;
		v->u.text.len = (size_t)sqlite3_column_bytes(p, i);
		if ((v->u.text.p = malloc(v->u.text.len + 1)) == NULL)
			return vios_error_nomem();
		memcpy(v->u.text.p, sqlite3_column_text(p, i), v->u.text.len + 1);
		break;
	case SQLITE_BLOB:
		v->type = VIOS_VAL_BLOB;
		v->u.blob.len = (size_t)sqlite3_column_bytes(p, i);
		if ((v->u.blob.p = malloc(v->u.blob.len + 1)) == NULL)
			return vios_error_nomem();
		/* an empty blob's pointer is NULL: memcpy must not see it */
		if (v->u.blob.len)
			memcpy(v->u.blob.p, sqlite3_column_blob(p, i), v->u.blob.len);
		break;
	default:
		v->type = VIOS_VAL_NULL;
	}
	return 0;
}

/* Reads the payload's ops and checks them against the header. */
static int payload_ops(vios_crdt_op **out, size_t *n, sqlite3 *db, const vios_bundle_header *h)
{
	sqlite3_stmt *p = NULL;
	vios_crdt_op *ops = NULL;
	size_t count = 0;
	int rc, error = VIOS_ECORRUPT;

	assert(out != NULL && n != NULL && db != NULL && h != NULL);
	*out = NULL;
	*n = 0;
	assert(h->ops >= 0 && h->ops <= VIOS_BUNDLE_MAX_OPS);
	if ((ops = calloc((size_t)h->ops, sizeof(*ops))) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	rc = sqlite3_prepare_v2(db, "SELECT n, kind, hlc, node, tbl, pk, col, value, base_hlc, base_node FROM ops ORDER BY n",
				-1, &p, NULL);
	for (rc = rc == SQLITE_OK ? sqlite3_step(p) : rc; rc == SQLITE_ROW; rc = sqlite3_step(p)) {
		vios_crdt_op *op;
		const char *kind = (const char *)sqlite3_column_text(p, 1);
		if (count >= (size_t)h->ops) {
			error = bad_payload("more ops than the signed header says");
			goto done;
		}
		assert(count < (size_t)h->ops);
		op = &ops[count++];
		if (sqlite3_column_int64(p, 0) != (sqlite3_int64)count || !kind ||
		    sqlite3_column_type(p, 2) != SQLITE_INTEGER || sqlite3_column_int64(p, 2) <= 0) {
			error = bad_payload("an op is malformed");
			goto done;
		}
		op->kind = !strcmp(kind, "set") ? VIOS_OP_SET : !strcmp(kind, "delete") ? VIOS_OP_DELETE : 0;
		op->hlc = (uint64_t)sqlite3_column_int64(p, 2);
		if ((error = col_text(&op->node, p, 3)) < 0 || (error = col_text(&op->tbl, p, 4)) < 0 ||
		    (error = col_text(&op->pk, p, 5)) < 0 || (error = col_text(&op->col, p, 6)) < 0 ||
		    (error = col_text(&op->base_node, p, 9)) < 0)
			goto done;
		if ((error = col_value(&op->value, p, 7)) < 0)
			goto done;
		error = VIOS_ECORRUPT;
		if (sqlite3_column_type(p, 8) == SQLITE_INTEGER)
			op->base_hlc = (uint64_t)sqlite3_column_int64(p, 8);
		else if (sqlite3_column_type(p, 8) != SQLITE_NULL) {
			error = bad_payload("an op is malformed");
			goto done;
		}
		if (vios_crdt_op_validate(op) < 0) {
			char why[300];
			snprintf(why, sizeof(why), "op %zu: %s", count, vios_error_last());
			error = bad_payload(why);
			goto done;
		}
		/* op->node may name another node than the sender: an owner
		 * forwards a row's state as the ops that wrote it (a role added to
		 * a case later). Whether the sender may forward it (it owns the
		 * row) is the importer's rule, judged on the store (crdt/mandate.h,
		 * vios_crdt_apply_checked); the codec cannot tell. */
	}
	if (rc != SQLITE_DONE || count != (size_t)h->ops) {
		error = bad_payload("it holds another number of ops than the signed header says");
		goto done;
	}
	*out = ops;
	*n = count;
	ops = NULL;
	error = 0;
done:
	sqlite3_finalize(p);
	if (ops)
		vios_crdt_ops_free(ops, count);
	return error;
}

/* ---- vios-payload-4 ------------------------------------------------------- */

/*
 * vios-payload-4 (docs/formats.md): one row per record written, not per
 * op. Its schema is VIOS_PAYLOAD_SQL_META, SQL_NODES, SQL_TABLES and, for
 * each row of tables (a synced table and the columns this payload writes
 * of it, in first use order, separated by one space), a table ops_<name>
 * (entry_sql) whose rows are the entries of that table:
 *
 *   n          the entry's place among all the payload's entries, 1 to N
 *   pk         the record's id
 *   hlc        its clock minus the previous entry's (by n; 0 before the first)
 *   node       the writer: i of nodes (node ids, i from 1, ascending)
 *   cols       the column bitmap: bit i for the table's i-th column; 0 is
 *              the record's tombstone
 *   base_hlc   NULL when no cell replaced a value; else hlc - the clock
 *   base_node  of the value every cell replaced, and its writer's i
 *   v_<col>    the value of each column whose bit is set; NULL otherwise
 *
 * An entry expands to one op per bit, lowest first; entries by n. The
 * writer makes an entry of each run of consecutive sets of one record,
 * clock, node and base whose columns ascend in the table's list (the list
 * is in first use order), so the ops come back exactly as given, in the
 * same order. The reader refuses a cell, or a tombstone, written twice.
 */
#define P4_COLS_MAX 63 /* the bitmap's bits: a positive SQLite integer */
#define P4_NAME_MAX 40 /* a table's or a column's name */
#define P4_SQL_MAX (200 + P4_COLS_MAX * (P4_NAME_MAX + 4))
#define P4_FIXED 7     /* n, pk, hlc, node, cols, base_hlc, base_node */
#define P4_PAGE_SIZE "4096"  /* 1024, 16384, 65536 measured larger after gzip */
/* deflate level 3: level 6 is 16% smaller for twice the time (2.8 ms
 * against 1.3 ms for a 1% change's 75 KB image), level 8 7 to 13% smaller
 * again for 3.4 times that; the export's time is the target it misses, not
 * its bytes (docs/formats.md) */
#define P4_GZIP_LEVEL 3

/* A table's or column's name as it goes into SQL: [a-z][a-z0-9_]*, bounded. */
static int name_ok(const char *s)
{
	size_t len = 0;

	/* a loop, not strspn: it runs for every op of an export, and glibc's
	 * strspn with a 37-byte set was a thirtieth of a first export */
	if (s == NULL || s[0] < 'a' || s[0] > 'z')
		return 0;
	for (; s[len] && len <= P4_NAME_MAX; len++)
		if (!((s[len] >= 'a' && s[len] <= 'z') || (s[len] >= '0' && s[len] <= '9') || s[len] == '_'))
			return 0;
	return len <= P4_NAME_MAX;
}

/* The CREATE TABLE of table tbl's entries with columns cols[0..ncols), names name_ok. */
static void entry_sql(char out[P4_SQL_MAX], const char *tbl, const char *const *cols, size_t ncols)
{
	size_t len;

	assert(name_ok(tbl) && ncols <= P4_COLS_MAX);
	len = (size_t)snprintf(out, P4_SQL_MAX,
			       "CREATE TABLE ops_%s (n INTEGER PRIMARY KEY, pk TEXT NOT NULL, hlc INTEGER NOT NULL, "
			       "node INTEGER NOT NULL, cols INTEGER NOT NULL, base_hlc INTEGER, base_node INTEGER",
			       tbl);
	for (size_t c = 0; c < ncols; c++) {
		assert(name_ok(cols[c]));
		len += (size_t)snprintf(out + len, P4_SQL_MAX - len, ", v_%s", cols[c]);
	}
	snprintf(out + len, P4_SQL_MAX - len, ")");
	assert(len + 1 < P4_SQL_MAX);
}

/* The writer's table list: each table's columns in first use order. */
typedef struct {
	const char *name;
	const char *cols[P4_COLS_MAX];
	size_t ncols;
} p4_table;

static int node_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* i (from 1) of node s in the sorted nodes[0..n). */
static sqlite3_int64 node_index(const char **nodes, size_t n, const char *s)
{
	const char **hit = bsearch(&s, nodes, n, sizeof(*nodes), node_cmp);

	assert(hit != NULL);
	return (sqlite3_int64)(hit - nodes) + 1;
}

static int p4_unfit(size_t k, const char *why)
{
	vios_error_set(VIOS_ERR_BUNDLE, "building the payload: op %zu: %s", k + 1, why);
	return VIOS_EUSAGE;
}

/* 1 when a and b are the same text: the same pointer first (the ops of one
 * change share their strings, and every op its column's name) */
static int same_str(const char *a, const char *b)
{
	return a == b || !strcmp(a, b);
}

/*
 * The tables, their columns and the nodes (sorted, each once) of
 * ops[0..n), and each op's table and column in ti[], ci[]; an op a
 * vios-payload-4 cannot carry (a reader would refuse it anyway) is
 * VIOS_EUSAGE.
 */
static int p4_lists(p4_table *tables, size_t *ntables, const char ***nodes, size_t *nnodes, uint8_t *ti, uint8_t *ci,
		    const vios_crdt_op *const *ops, size_t n)
{
	const char **nv = NULL;
	/* the strings last found fit: the ops of one change share theirs */
	const char *fit_tbl = NULL, *fit_pk = NULL, *fit_node = NULL;
	size_t nn = 0, cap = 0, nt = 0, hit = 0;
	int error = 0;

	for (size_t k = 0; k < n && error == 0; k++) {
		const vios_crdt_op *op = ops[k];
		const char *who[2] = { op->node, op->kind == VIOS_OP_SET && op->base_hlc ? op->base_node : NULL };
		size_t t, c;
		if ((op->kind != VIOS_OP_SET && op->kind != VIOS_OP_DELETE) || op->tbl == NULL ||
		    (op->tbl != fit_tbl && !name_ok(op->tbl)) || op->pk == NULL ||
		    (op->pk != fit_pk && !vios_uuid_valid(op->pk)) || op->node == NULL ||
		    (op->node != fit_node && !vios_uuid_valid(op->node)) || op->hlc == 0 || op->hlc > VIOS_HLC_MAX) {
			error = p4_unfit(k, "a kind, table, record id, node or clock a reader refuses");
			break;
		}
		if (op->kind == VIOS_OP_DELETE ? (op->col != NULL || op->value.type != VIOS_VAL_NULL || op->base_hlc ||
						  op->base_node != NULL)
					       : (!name_ok(op->col) || (op->base_hlc == 0) != (op->base_node == NULL) ||
						  op->base_hlc >= op->hlc || (op->base_node && !vios_uuid_valid(op->base_node)) ||
						  op->value.type > VIOS_VAL_BLOB)) {
			error = p4_unfit(k, "a column, value or base clock a reader refuses");
			break;
		}
		fit_tbl = op->tbl;
		fit_pk = op->pk;
		fit_node = op->node;
		for (t = nt; t > 0 && !same_str(tables[t - 1].name, op->tbl);)
			t--;
		if (t == 0) {
			if (nt == VIOS_CRDT_TABLES_MAX) {
				error = p4_unfit(k, "more tables than a reader takes");
				break;
			}
			tables[nt].name = op->tbl;
			tables[nt].ncols = 0;
			t = ++nt;
		}
		ti[k] = (uint8_t)(t - 1);
		ci[k] = 0;
		if (op->kind == VIOS_OP_SET) {
			p4_table *tb = &tables[t - 1];
			/* the next column is the likely one: records come column by column */
			c = k > 0 && ti[k - 1] == t - 1 && ci[k - 1] + 1u < tb->ncols &&
					    same_str(tb->cols[ci[k - 1] + 1], op->col)
				    ? ci[k - 1] + 1u
				    : 0;
			for (; c < tb->ncols && !same_str(tb->cols[c], op->col); c++)
				;
			if (c == tb->ncols) {
				if (c == P4_COLS_MAX) {
					error = p4_unfit(k, "more columns of one table than a reader takes");
					break;
				}
				tb->cols[tb->ncols++] = op->col;
			}
			ci[k] = (uint8_t)c;
		}
		for (int w = 0; w < 2; w++) {
			size_t i;
			if (who[w] == NULL || (hit < nn && same_str(nv[hit], who[w])))
				continue;
			for (i = nn; i > 0 && strcmp(nv[i - 1], who[w]);)
				i--;
			if (i > 0) {
				hit = i - 1;
				continue;
			}
			if (nn == cap) {
				const char **g = realloc(nv, (cap = cap ? cap * 2 : 16) * sizeof(*nv));
				if (g == NULL) {
					error = vios_error_nomem();
					break;
				}
				nv = g;
			}
			hit = nn;
			nv[nn++] = who[w];
		}
	}
	if (error < 0) {
		free(nv);
		return error;
	}
	if (nn)
		qsort(nv, nn, sizeof(*nv), node_cmp);
	*nodes = nv;
	*nnodes = nn;
	*ntables = nt;
	return 0;
}

/* An entry: what the writer seals of it and what the reader's pass 1 reads. */
typedef struct {
	uint64_t hlc, bits, base; /* hlc: the delta, then the clock; base: the delta, 0 for none */
	size_t pos;               /* its first op's index */
	uint32_t node, bnode;     /* indexes into nodes, from 0 */
	uint8_t tbl, del, seen, pk[16];
} p4_entry;

static int entry_cmp(const void *a, const void *b)
{
	const p4_entry *x = *(const p4_entry *const *)a, *y = *(const p4_entry *const *)b;
	int c;

	if (x->tbl != y->tbl)
		return x->tbl < y->tbl ? -1 : 1;
	if ((c = memcmp(x->pk, y->pk, 16)) != 0)
		return c;
	if (x->hlc != y->hlc)
		return x->hlc < y->hlc ? -1 : 1;
	if (x->node != y->node)
		return x->node < y->node ? -1 : 1;
	return (int)x->del - (int)y->del;
}

static void uuid_pack(uint8_t out[16], const char *s)
{
	char hex[33];
	size_t k = 0;

	for (const char *c = s; *c && k < 32; c++)
		if (*c != '-')
			hex[k++] = *c;
	hex[k] = 0;
	assert(k == 32);
	(void)vios_unhex(out, 16, hex);
}

/*
 * Whether entries order[0..n) (sorted here) write a cell, or a tombstone,
 * twice: two entries of one record, clock and node whose bitmaps meet, or
 * two such tombstones.
 */
static int entries_twice(p4_entry **order, size_t n)
{
	qsort(order, n, sizeof(*order), entry_cmp);
	for (size_t i = 1; i < n; i++) {
		uint64_t seen = order[i - 1]->bits;
		for (; i < n && entry_cmp(&order[i - 1], &order[i]) == 0; i++) {
			if (order[i]->del || (seen & order[i]->bits))
				return 1;
			seen |= order[i]->bits;
		}
	}
	return 0;
}

/* The vios-payload-4 image; log is required, skipped NULL for none. */
static int image4(uint8_t **out, size_t *outlen, const vios_crdt_op *const *ops, size_t n, const char *sender,
		  long long seq, const vios_log_head *log, const char *skipped)
{
	p4_table tables[VIOS_CRDT_TABLES_MAX];
	sqlite3_stmt *ins[VIOS_CRDT_TABLES_MAX] = { NULL };
	p4_entry *ents = NULL, **order = NULL;
	const char **nodes = NULL;
	size_t ntables = 0, nnodes = 0;
	uint8_t *ti = NULL, *ci = NULL;
	sqlite3 *db = NULL;
	sqlite3_stmt *p = NULL;
	unsigned char *ser = NULL;
	sqlite3_int64 serlen = 0, nent = 0;
	uint64_t prev = 0;
	char num[24], count[24], head[2 * VIOS_LOG_HASH_LEN + 1], lid[2 * VIOS_LOG_ID_LEN + 1], sql[P4_SQL_MAX];
	int rc, error;

	assert(out != NULL && outlen != NULL && (ops != NULL || n == 0) && sender != NULL && log != NULL);
	assert(log->count >= 0 && log->count <= LOG_COUNT_MAX && (skipped == NULL || *skipped));
	*out = NULL;
	*outlen = 0;
	if ((ti = malloc(n ? n : 1)) == NULL || (ci = malloc(n ? n : 1)) == NULL ||
	    (ents = calloc(n ? n : 1, sizeof(*ents))) == NULL || (order = calloc(n ? n : 1, sizeof(*order))) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	if ((error = p4_lists(tables, &ntables, &nodes, &nnodes, ti, ci, ops, n)) < 0)
		goto done;
	error = VIOS_ERROR;
	if ((rc = sqlite3_open_v2(":memory:", &db, P4_OPEN_FLAGS | SQLITE_OPEN_CREATE, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_exec(db, "PRAGMA page_size=" P4_PAGE_SIZE "; " SQL_META "; " SQL_NODES "; " SQL_TABLES "; BEGIN",
			       NULL, NULL, NULL)) != SQLITE_OK)
		goto sqlfail;
	snprintf(num, sizeof(num), "%lld", seq);
	snprintf(count, sizeof(count), "%lld", log->count);
	vios_hex(head, log->head, sizeof(log->head));
	vios_hex(lid, log->id, sizeof(log->id));
	{
		const char *kv[][2] = { { "format", PAYLOAD_FORMAT_4 }, { "sender", sender }, { "seq", num },
					{ "log_id", lid }, { "log_count", count }, { "log_head", head },
					{ "name_check_skipped", skipped } };
		rc = sqlite3_prepare_v2(db, "INSERT INTO bundle(key, value) VALUES (?, ?)", -1, &p, NULL);
		for (int i = 0; rc == SQLITE_OK && i < (skipped ? 7 : 6); i++) {
			sqlite3_bind_text(p, 1, kv[i][0], -1, SQLITE_STATIC);
			sqlite3_bind_text(p, 2, kv[i][1], -1, SQLITE_STATIC);
			if ((rc = sqlite3_step(p)) == SQLITE_DONE)
				rc = sqlite3_reset(p);
		}
		sqlite3_finalize(p);
		p = NULL;
		if (rc != SQLITE_OK)
			goto sqlfail;
	}
	rc = sqlite3_prepare_v2(db, "INSERT INTO nodes(i, node) VALUES (?, ?)", -1, &p, NULL);
	for (size_t i = 0; rc == SQLITE_OK && i < nnodes; i++) {
		sqlite3_bind_int64(p, 1, (sqlite3_int64)i + 1);
		sqlite3_bind_text(p, 2, nodes[i], -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(p)) == SQLITE_DONE)
			rc = sqlite3_reset(p);
	}
	sqlite3_finalize(p);
	p = NULL;
	if (rc != SQLITE_OK)
		goto sqlfail;
	rc = sqlite3_prepare_v2(db, "INSERT INTO tables(name, cols) VALUES (?, ?)", -1, &p, NULL);
	for (size_t t = 0; rc == SQLITE_OK && t < ntables; t++) {
		char cols[P4_COLS_MAX * (P4_NAME_MAX + 1) + 1] = "";
		size_t len = 0;
		for (size_t c = 0; c < tables[t].ncols; c++)
			len += (size_t)snprintf(cols + len, sizeof(cols) - len, "%s%s", c ? " " : "", tables[t].cols[c]);
		entry_sql(sql, tables[t].name, tables[t].cols, tables[t].ncols);
		sqlite3_bind_text(p, 1, tables[t].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(p, 2, cols, -1, SQLITE_TRANSIENT);
		if ((rc = sqlite3_step(p)) == SQLITE_DONE)
			rc = sqlite3_reset(p);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
		if (rc == SQLITE_OK) {
			size_t len2 = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO ops_%s VALUES (?", tables[t].name);
			for (size_t c = 1; c < P4_FIXED + tables[t].ncols; c++)
				len2 += (size_t)snprintf(sql + len2, sizeof(sql) - len2, ",?");
			snprintf(sql + len2, sizeof(sql) - len2, ")");
			rc = sqlite3_prepare_v2(db, sql, -1, &ins[t], NULL);
		}
	}
	sqlite3_finalize(p);
	p = NULL;
	if (rc != SQLITE_OK)
		goto sqlfail;
	for (size_t k = 0; k < n;) {
		const vios_crdt_op *op = ops[k];
		sqlite3_stmt *q = ins[ti[k]];
		size_t end = k + 1;
		uint64_t bits = 0;
		if (op->kind == VIOS_OP_SET) {
			/* the run: this record, clock, node and base, columns ascending */
			for (bits = 1ull << ci[k]; end < n; end++) {
				const vios_crdt_op *o = ops[end];
				if (o->kind != VIOS_OP_SET || ti[end] != ti[k] || ci[end] <= ci[end - 1] || o->hlc != op->hlc ||
				    o->base_hlc != op->base_hlc || !same_str(o->pk, op->pk) || !same_str(o->node, op->node) ||
				    (op->base_hlc && !same_str(o->base_node, op->base_node)))
					break;
				bits |= 1ull << ci[end];
			}
		}
		/* its key, to refuse ops that write a cell twice (every reader would) */
		ents[nent] = (p4_entry){ .hlc = op->hlc, .bits = bits, .node = (uint32_t)node_index(nodes, nnodes, op->node),
					 .tbl = ti[k], .del = op->kind == VIOS_OP_DELETE };
		uuid_pack(ents[nent].pk, op->pk);
		order[nent] = &ents[nent];
		sqlite3_bind_int64(q, 1, ++nent);
		sqlite3_bind_text(q, 2, op->pk, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 3, (sqlite3_int64)op->hlc - (sqlite3_int64)prev);
		sqlite3_bind_int64(q, 4, node_index(nodes, nnodes, op->node));
		sqlite3_bind_int64(q, 5, (sqlite3_int64)bits);
		if (op->kind == VIOS_OP_SET && op->base_hlc) {
			sqlite3_bind_int64(q, 6, (sqlite3_int64)(op->hlc - op->base_hlc));
			sqlite3_bind_int64(q, 7, node_index(nodes, nnodes, op->base_node));
		}
		prev = op->hlc;
		for (size_t j = k; op->kind == VIOS_OP_SET && j < end; j++)
			vios_crdt_value_bind(q, P4_FIXED + 1 + ci[j], &ops[j]->value);
		rc = sqlite3_step(q);
		sqlite3_reset(q);
		sqlite3_clear_bindings(q);
		if (rc != SQLITE_DONE)
			goto sqlfail;
		k = end;
	}
	if (entries_twice(order, (size_t)nent)) {
		vios_error_set(VIOS_ERR_BUNDLE, "building the payload: the ops write one cell or one tombstone twice");
		error = VIOS_EUSAGE;
		goto done;
	}
	rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		goto sqlfail;
	if ((ser = sqlite3_serialize(db, "main", &serlen, 0)) == NULL || (*out = malloc((size_t)serlen)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	memcpy(*out, ser, (size_t)serlen);
	*outlen = (size_t)serlen;
	error = 0;
	goto done;
sqlfail:
	error = sqlerr(db, rc, "building the payload");
done:
	if (ser)
		sodium_memzero(ser, (size_t)serlen);
	sqlite3_free(ser);
	for (size_t t = 0; t < VIOS_CRDT_TABLES_MAX; t++)
		sqlite3_finalize(ins[t]);
	sqlite3_finalize(p);
	sqlite3_close(db);
	free(nodes);
	free(ti);
	free(ci);
	free(ents);
	free(order);
	return error;
}

int vios_payload_image_v4(uint8_t **out, size_t *outlen, const vios_crdt_op *const *ops, size_t n,
			  const char *sender, long long seq, const vios_log_head *log, const char *skipped)
{
	assert(out != NULL && outlen != NULL && (ops != NULL || n == 0) && sender != NULL && log != NULL);
	return image4(out, outlen, ops, n, sender, seq, log, skipped && *skipped ? skipped : NULL);
}

int vios_payload_build_v4(uint8_t **out, size_t *outlen, const vios_crdt_op *const *ops, size_t n,
			  const char *sender, long long seq, const vios_log_head *log, const char *skipped)
{
	uint8_t *plain = NULL;
	size_t plainlen = 0;
	int error;

	assert(out != NULL && outlen != NULL && (ops != NULL || n == 0) && sender != NULL && log != NULL);
	*out = NULL;
	if ((error = image4(&plain, &plainlen, ops, n, sender, seq, log, skipped && *skipped ? skipped : NULL)) < 0)
		goto done;
	error = gzip_level(out, outlen, plain, plainlen, 0, P4_GZIP_LEVEL);
done:
	if (plain) {
		sodium_memzero(plain, plainlen);
		free(plain);
	}
	return error;
}

/* The reader's table list: names point at crdt's own (static) strings. */
typedef struct {
	const char *name;
	const char *cols[P4_COLS_MAX];
	size_t ncols;
} p4_rtable;

static void uuid_unpack(char out[37], const uint8_t in[16])
{
	char hex[33];

	vios_hex(hex, in, 16);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

/* The node list: i from 1 to m (at most max), node ids ascending. */
static int p4_nodes(char (**out)[37], size_t *m, sqlite3 *db, size_t max)
{
	sqlite3_stmt *p = NULL;
	char (*nodes)[37] = NULL;
	size_t count = 0, cap = 0;
	int rc, error = VIOS_ECORRUPT;

	*out = NULL;
	*m = 0;
	rc = sqlite3_prepare_v2(db, "SELECT i, node FROM nodes ORDER BY i", -1, &p, NULL);
	for (rc = rc == SQLITE_OK ? sqlite3_step(p) : rc; rc == SQLITE_ROW; rc = sqlite3_step(p)) {
		const char *s = (const char *)sqlite3_column_text(p, 1);
		if (count == max || sqlite3_column_int64(p, 0) != (sqlite3_int64)count + 1 ||
		    sqlite3_column_type(p, 1) != SQLITE_TEXT || !vios_uuid_valid(s) ||
		    (count > 0 && strcmp(nodes[count - 1], s) >= 0)) {
			error = bad_payload("its node list is not node ids numbered from 1, ascending, each once, as many as its ops name");
			goto done;
		}
		if (count == cap) {
			char (*g)[37] = realloc(nodes, (cap = cap ? cap * 2 : 8) * sizeof(*nodes));
			if (g == NULL) {
				error = vios_error_nomem();
				goto done;
			}
			nodes = g;
		}
		strcpy(nodes[count++], s);
	}
	if (rc != SQLITE_DONE) {
		error = bad_payload("its node list cannot be read");
		goto done;
	}
	*out = nodes;
	*m = count;
	nodes = NULL;
	error = 0;
done:
	sqlite3_finalize(p);
	free(nodes);
	return error;
}

/* The table list: synced tables, each once, and columns they have, each once. */
static int p4_tables(p4_rtable *tables, size_t *ntables, sqlite3 *db)
{
	const char *const *all = vios_crdt_tables();
	sqlite3_stmt *p = NULL;
	size_t nt = 0;
	int rc, error = VIOS_ECORRUPT;

	rc = sqlite3_prepare_v2(db, "SELECT name, cols FROM tables ORDER BY rowid", -1, &p, NULL);
	for (rc = rc == SQLITE_OK ? sqlite3_step(p) : rc; rc == SQLITE_ROW; rc = sqlite3_step(p)) {
		const char *name = (const char *)sqlite3_column_text(p, 0), *s = (const char *)sqlite3_column_text(p, 1);
		const char *const *cols;
		p4_rtable *t = &tables[nt];
		if (nt == VIOS_CRDT_TABLES_MAX || sqlite3_column_type(p, 0) != SQLITE_TEXT ||
		    sqlite3_column_type(p, 1) != SQLITE_TEXT) {
			error = bad_payload("its table list is not a list of tables and columns");
			goto done;
		}
		t->name = NULL;
		for (size_t i = 0; all[i]; i++)
			if (!strcmp(all[i], name))
				t->name = all[i];
		for (size_t i = 0; i < nt && t->name; i++)
			if (tables[i].name == t->name)
				t->name = NULL;
		if (t->name == NULL || !name_ok(t->name) || (cols = vios_crdt_columns(t->name)) == NULL) {
			error = bad_payload("its table list names a table that is not synced, or one twice");
			goto done;
		}
		/* cols: names separated by one space; none for a table of tombstones only */
		for (t->ncols = 0; *s;) {
			size_t len = strcspn(s, " ");
			const char *hit = NULL;
			for (size_t i = 0; cols[i]; i++)
				if (strlen(cols[i]) == len && !strncmp(cols[i], s, len) && name_ok(cols[i]))
					hit = cols[i];
			for (size_t i = 0; i < t->ncols && hit; i++)
				if (t->cols[i] == hit)
					hit = NULL;
			if (hit == NULL || t->ncols == P4_COLS_MAX) {
				error = bad_payload("its table list names a column its table lacks, or one twice");
				goto done;
			}
			t->cols[t->ncols++] = hit;
			if (s[len] == 0)
				break;
			s += len + 1;
		}
		nt++;
	}
	if (rc != SQLITE_DONE) {
		error = bad_payload("its table list cannot be read");
		goto done;
	}
	*ntables = nt;
	error = 0;
done:
	sqlite3_finalize(p);
	return error;
}

static int dupstr(char **out, const char *s)
{
	if ((*out = strdup(s)) == NULL)
		return vios_error_nomem();
	return 0;
}

/* Pass 1 over table t: each row's entry, in ents[n - 1], checked; *rows counts them. */
static int p4_entries(p4_entry *ents, size_t nent, size_t *rows, sqlite3 *db, const p4_rtable *t, uint8_t ti,
		      size_t nnodes)
{
	sqlite3_stmt *p = NULL;
	char sql[100];
	uint64_t all = t->ncols == 64 ? UINT64_MAX : (1ull << t->ncols) - 1;
	int rc, error = VIOS_ECORRUPT;

	snprintf(sql, sizeof(sql), "SELECT n, pk, hlc, node, cols, base_hlc, base_node FROM ops_%s", t->name);
	rc = sqlite3_prepare_v2(db, sql, -1, &p, NULL);
	for (rc = rc == SQLITE_OK ? sqlite3_step(p) : rc; rc == SQLITE_ROW; rc = sqlite3_step(p)) {
		sqlite3_int64 n = sqlite3_column_int64(p, 0), node = sqlite3_column_int64(p, 3),
			      bits = sqlite3_column_int64(p, 4), bh = sqlite3_column_int64(p, 5),
			      bn = sqlite3_column_int64(p, 6);
		const char *pk = (const char *)sqlite3_column_text(p, 1);
		int nobase = sqlite3_column_type(p, 5) == SQLITE_NULL;
		p4_entry *e;
		if (n < 1 || (uint64_t)n > nent || ents[n - 1].seen) {
			error = bad_payload("its entries are not numbered 1 to N, each once");
			goto done;
		}
		e = &ents[n - 1];
		if (sqlite3_column_type(p, 1) != SQLITE_TEXT || !vios_uuid_valid(pk)) {
			error = bad_payload("an entry's record id is not a UUID");
			goto done;
		}
		if (sqlite3_column_type(p, 2) != SQLITE_INTEGER) {
			error = bad_payload("an entry's clock delta is not an integer");
			goto done;
		}
		if (sqlite3_column_type(p, 3) != SQLITE_INTEGER || node < 1 || (uint64_t)node > nnodes) {
			error = bad_payload("an entry's node index is out of range");
			goto done;
		}
		if (sqlite3_column_type(p, 4) != SQLITE_INTEGER || bits < 0 || ((uint64_t)bits & ~all) != 0) {
			error = bad_payload("an entry's column bitmap names a column its table lacks");
			goto done;
		}
		if (nobase != (sqlite3_column_type(p, 6) == SQLITE_NULL) ||
		    (!nobase && (bits == 0 || sqlite3_column_type(p, 5) != SQLITE_INTEGER || bh < 1 ||
				 sqlite3_column_type(p, 6) != SQLITE_INTEGER || bn < 1 || (uint64_t)bn > nnodes))) {
			error = bad_payload("an entry's base clock or base node is out of range (or on a tombstone)");
			goto done;
		}
		e->seen = 1;
		e->tbl = ti;
		uuid_pack(e->pk, pk);
		e->hlc = (uint64_t)sqlite3_column_int64(p, 2);
		e->node = (uint32_t)(node - 1);
		e->bits = (uint64_t)bits;
		e->del = bits == 0;
		e->base = nobase ? 0 : (uint64_t)bh;
		e->bnode = nobase ? 0 : (uint32_t)(bn - 1);
		++*rows;
	}
	if (rc != SQLITE_DONE) {
		error = bad_payload("its entries cannot be read");
		goto done;
	}
	error = 0;
done:
	sqlite3_finalize(p);
	return error;
}

/* Pass 2 over table t: each entry's ops, at their places in ops[]. */
static int p4_values(vios_crdt_op *ops, const p4_entry *ents, sqlite3 *db, const p4_rtable *t, char (*nodes)[37])
{
	sqlite3_stmt *p = NULL;
	char sql[P4_SQL_MAX];
	size_t len;
	int rc, error = VIOS_ECORRUPT;

	len = (size_t)snprintf(sql, sizeof(sql), "SELECT n");
	for (size_t c = 0; c < t->ncols; c++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, ", v_%s", t->cols[c]);
	snprintf(sql + len, sizeof(sql) - len, " FROM ops_%s", t->name);
	rc = sqlite3_prepare_v2(db, sql, -1, &p, NULL);
	for (rc = rc == SQLITE_OK ? sqlite3_step(p) : rc; rc == SQLITE_ROW; rc = sqlite3_step(p)) {
		const p4_entry *e = &ents[sqlite3_column_int64(p, 0) - 1]; /* pass 1 checked n */
		char pk[37];
		size_t k = e->pos;
		uuid_unpack(pk, e->pk);
		for (size_t c = 0; c < (e->del ? 1 : t->ncols); c++) {
			vios_crdt_op *op;
			if (!e->del && !(e->bits >> c & 1)) {
				if (sqlite3_column_type(p, 1 + (int)c) != SQLITE_NULL) {
					error = bad_payload("an entry holds a value its column bitmap does not name");
					goto done;
				}
				continue;
			}
			op = &ops[k++];
			op->kind = e->del ? VIOS_OP_DELETE : VIOS_OP_SET;
			op->hlc = e->hlc;
			if ((error = dupstr(&op->node, nodes[e->node])) < 0 || (error = dupstr(&op->tbl, t->name)) < 0 ||
			    (error = dupstr(&op->pk, pk)) < 0)
				goto done;
			if (!e->del && ((error = dupstr(&op->col, t->cols[c])) < 0 || (error = col_value(&op->value, p, 1 + (int)c)) < 0))
				goto done;
			if (e->base) {
				op->base_hlc = e->hlc - e->base;
				if ((error = dupstr(&op->base_node, nodes[e->bnode])) < 0)
					goto done;
			}
			if (vios_crdt_op_validate(op) < 0) {
				char why[300];
				snprintf(why, sizeof(why), "op %zu: %s", k, vios_error_last());
				error = bad_payload(why);
				goto done;
			}
		}
		if (e->del) {
			for (size_t c = 0; c < t->ncols; c++)
				if (sqlite3_column_type(p, 1 + (int)c) != SQLITE_NULL) {
					error = bad_payload("an entry holds a value its column bitmap does not name");
					goto done;
				}
		}
	}
	if (rc != SQLITE_DONE) {
		error = bad_payload("its entries cannot be read");
		goto done;
	}
	error = 0;
done:
	sqlite3_finalize(p);
	return error;
}

/*
 * Reads a vios-payload-4's ops (its schema's fixed part and its bundle
 * table checked by the caller): the node and table lists, the schema of
 * each ops_<table> exactly, the entries (pass 1: numbering, clocks,
 * bitmaps, placement; a cell or tombstone twice), then their values (pass
 * 2), each op checked as versions 1 to 3 check theirs.
 */
static int payload4_ops(vios_crdt_op **out, size_t *n, sqlite3 *db, const schema_seen *sch, const vios_bundle_header *h)
{
	p4_rtable tables[VIOS_CRDT_TABLES_MAX];
	char (*nodes)[37] = NULL, sql[P4_SQL_MAX];
	p4_entry *ents = NULL, **order = NULL;
	vios_crdt_op *ops = NULL;
	size_t nnodes = 0, ntables = 0, nent = 0, rows = 0, count = 0;
	uint64_t prev = 0;
	int error;

	assert(out != NULL && n != NULL && db != NULL && sch != NULL && h != NULL);
	assert(h->ops >= 0 && h->ops <= VIOS_BUNDLE_MAX_OPS);
	*out = NULL;
	*n = 0;
	/* each op names at most two nodes */
	if ((error = p4_nodes(&nodes, &nnodes, db, 2 * (size_t)h->ops)) < 0 || (error = p4_tables(tables, &ntables, db)) < 0)
		goto done;
	error = VIOS_ECORRUPT;
	if (ntables != sch->nent) {
		error = bad_payload("its schema is not the payload schema (an ops table its table list does not name)");
		goto done;
	}
	for (size_t t = 0; t < ntables; t++) {
		size_t i = 0;
		entry_sql(sql, tables[t].name, tables[t].cols, tables[t].ncols);
		while (i < sch->nent && strcmp(sch->sql[i], sql))
			i++;
		if (i == sch->nent) {
			error = bad_payload("its schema is not the payload schema (an ops table not as its table list says)");
			goto done;
		}
	}
	for (size_t t = 0; t < ntables; t++) {
		sqlite3_stmt *p = NULL;
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM ops_%s", tables[t].name);
		if (sqlite3_prepare_v2(db, sql, -1, &p, NULL) != SQLITE_OK || sqlite3_step(p) != SQLITE_ROW) {
			sqlite3_finalize(p);
			error = bad_payload("its entries cannot be read");
			goto done;
		}
		nent += (size_t)sqlite3_column_int64(p, 0);
		sqlite3_finalize(p);
		if (nent > (size_t)h->ops) {
			error = bad_payload("more ops than the signed header says");
			goto done;
		}
	}
	if ((ents = calloc(nent ? nent : 1, sizeof(*ents))) == NULL ||
	    (order = calloc(nent ? nent : 1, sizeof(*order))) == NULL ||
	    (ops = calloc(h->ops ? (size_t)h->ops : 1, sizeof(*ops))) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	for (size_t t = 0; t < ntables; t++)
		if ((error = p4_entries(ents, nent, &rows, db, &tables[t], (uint8_t)t, nnodes)) < 0)
			goto done;
	error = VIOS_ECORRUPT;
	if (rows != nent) {
		error = bad_payload("its entries are not numbered 1 to N, each once");
		goto done;
	}
	/* clocks from their deltas, each op's place */
	for (size_t i = 0; i < nent; i++) {
		p4_entry *e = &ents[i];
		int64_t d = (int64_t)e->hlc;
		size_t k = e->del ? 1u : (size_t)__builtin_popcountll(e->bits);
		if (d > 0 ? (uint64_t)d > VIOS_HLC_MAX - prev : d <= -(int64_t)prev) {
			error = bad_payload("an entry's clock delta leaves the clock's range");
			goto done;
		}
		e->hlc = prev = prev + (uint64_t)d;
		if (e->base >= e->hlc) {
			error = bad_payload("an entry's base clock is not older than the entry");
			goto done;
		}
		if ((size_t)h->ops - count < k) {
			error = bad_payload("more ops than the signed header says");
			goto done;
		}
		e->pos = count;
		count += k;
		order[i] = e;
	}
	if (count != (size_t)h->ops) {
		error = bad_payload("it holds another number of ops than the signed header says");
		goto done;
	}
	if (entries_twice(order, nent)) {
		error = bad_payload("it writes one cell or one tombstone twice");
		goto done;
	}
	for (size_t t = 0; t < ntables; t++)
		if ((error = p4_values(ops, ents, db, &tables[t], nodes)) < 0)
			goto done;
	*out = ops;
	*n = count;
	ops = NULL;
	error = 0;
done:
	free(nodes);
	free(ents);
	free(order);
	if (ops)
		vios_crdt_ops_free(ops, (size_t)h->ops);
	return error;
}

int vios_bundle_payload_read(vios_crdt_op **ops, size_t *n, const uint8_t *gz, size_t gzlen,
			     const vios_bundle_header *h)
{
	return vios_bundle_payload_read_meta(ops, n, NULL, gz, gzlen, h);
}

int vios_bundle_payload_read_meta(vios_crdt_op **ops, size_t *n, vios_payload_meta *meta, const uint8_t *gz,
				  size_t gzlen, const vios_bundle_header *h)
{
	uint8_t *plain = NULL;
	size_t plainlen = 0;
	sqlite3 *db = NULL;
	schema_seen sch = { 0 };
	vios_payload_meta m;
	int error;

	assert(ops != NULL && n != NULL && (gz != NULL || gzlen == 0) && h != NULL);
	*ops = NULL;
	*n = 0;
	if (meta)
		memset(meta, 0, sizeof(*meta));
	if ((error = vios_payload_gunzip(&plain, &plainlen, gz, gzlen, VIOS_BUNDLE_MAX_PLAIN)) < 0 ||
	    (error = payload_open(&db, &sch, plain, plainlen)) < 0 || (error = payload_meta(&m, db, h)) < 0)
		goto done;
	/* the tables its version has, and no other */
	if (sch.has != (m.version == 4 ? SCH_META | SCH_NODES | SCH_TABLES : SCH_META | SCH_OPS) ||
	    (m.version < 4 && sch.nent != 0)) {
		error = bad_payload("its schema is not the payload schema of its version");
		goto done;
	}
	if ((error = m.version == 4 ? payload4_ops(ops, n, db, &sch, h) : payload_ops(ops, n, db, h)) < 0)
		goto done;
	if (meta)
		*meta = m;
done:
	schema_dispose(&sch);
	sqlite3_close(db);
	if (plain) {
		sodium_memzero(plain, plainlen);
		free(plain);
	}
	return error;
}
