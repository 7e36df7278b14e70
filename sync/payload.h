/*
 * payload.h - the bundle codec: the signed header and the payload, with
 * one reader and one writer each (docs/formats.md). Pure functions: no
 * store, no keys, no repository; bundle_export.c seals and bundle_import.c opens what they make,
 * and the test tools and fuzz targets call them instead of copying them.
 *
 * Header: one line of compact JSON with sorted keys, exactly format
 * ("vios-bundle-2"), sender, seq, prev, hlc (a decimal string),
 * covenant_version, categories (theme, case, and the GDPR markings art9,
 * art10 of the fields its ops write), recipients (sorted node ids), ops,
 * approves ({"covenant": the covenant version the sender approved, "nodes":
 * the node ids it approves with this bundle}: sync/consent.h). A bundle of
 * no ops carries approvals only (no categories). "vios-bundle-3" is -2
 * with one more field, epoch ({"n": N from 1, "recipient": "age1...",
 * "since": ISO time}: the sender's new epoch recipient, signed with the
 * bundle; store/epoch.h), written only by a bundle that announces one; a
 * -3 without an epoch, or a -2 with one, is refused. "vios-bundle-1" (no
 * approves, no markings, ops from 1) is still read. It is the trusted
 * comment of the bundle's minisign signature.
 *
 * Payload: an SQLite database image (page size 4096), then gzip. What the
 * exporter seals is "vios-payload-4" (vios_payload_build_v4): the bundle
 * table (VIOS_PAYLOAD_SQL_META: format, sender, seq and the sender's access
 * log head when it sealed: log_id, log_count, log_head), a node list
 * (VIOS_PAYLOAD_SQL_NODES), a table list (VIOS_PAYLOAD_SQL_TABLES) and per
 * listed table one row per record written (a column bitmap, the values,
 * the clock as a delta; payload.c, docs/formats.md), gzip'd (the level
 * is no part of the format: payload.c, P4_GZIP_LEVEL).
 * Versions 1 to 3 (VIOS_PAYLOAD_SQL_OPS: one row per op numbered from 1;
 * "vios-payload-1" without the log head, -3 with name_check_skipped) are
 * still read, and still written by the functions below for tests and
 * tools that make old bundles. The reader bounds gunzip by
 * VIOS_BUNDLE_MAX_PLAIN, opens the image read-only and defensively from
 * memory, compares the schema text for text and checks every op and the
 * bundle table against the signed header.
 */
#ifndef VIOS_PAYLOAD_H
#define VIOS_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "crdt/crdt.h"
#include "store/store.h"

#define VIOS_BUNDLE_MAX_AGE (64u << 20)      /* bytes of the .age file */
#define VIOS_BUNDLE_MAX_PLAIN (256u << 20)   /* bytes of the decompressed payload */
#define VIOS_BUNDLE_MAX_OPS 1000000          /* ops in one bundle */
#define VIOS_BUNDLE_SIG_MAX 16384

/* The payload schema, exactly (a payload with anything else is refused). */
#define VIOS_PAYLOAD_SQL_META "CREATE TABLE bundle (key TEXT NOT NULL, value TEXT NOT NULL)"
#define VIOS_PAYLOAD_SQL_OPS                                                                 \
	"CREATE TABLE ops (n INTEGER PRIMARY KEY, kind TEXT NOT NULL, hlc INTEGER NOT NULL, " \
	"node TEXT NOT NULL, tbl TEXT NOT NULL, pk TEXT NOT NULL, col TEXT, value, "          \
	"base_hlc INTEGER, base_node TEXT)"
/* vios-payload-4: bundle, these two, and one ops_<table> per row of tables (payload.c) */
#define VIOS_PAYLOAD_SQL_NODES "CREATE TABLE nodes (i INTEGER PRIMARY KEY, node TEXT NOT NULL)"
#define VIOS_PAYLOAD_SQL_TABLES "CREATE TABLE tables (name TEXT NOT NULL, cols TEXT NOT NULL)"

#define VIOS_CAT_BIT_THEME 1u
#define VIOS_CAT_BIT_CASE 2u
#define VIOS_CAT_BIT_ART9 4u  /* carries a field marked GDPR art. 9 (special category) */
#define VIOS_CAT_BIT_ART10 8u /* carries a field marked GDPR art. 10 (criminal data) */
#define VIOS_CAT_DATA (VIOS_CAT_BIT_THEME | VIOS_CAT_BIT_CASE)
#define VIOS_CAT_MARKS (VIOS_CAT_BIT_ART9 | VIOS_CAT_BIT_ART10)

typedef struct {
	char sender[37];
	long long seq;
	char prev[65];
	uint64_t hlc;
	long long covenant_version;
	unsigned categories;
	char (*recipients)[37];
	size_t nrecipients;
	long long ops;
	int format;                  /* 1, 2 or 3 (vios-bundle-N); the writer writes 3 when
				      * it carries an epoch, else 2 */
	long long approves_covenant; /* -2: the covenant version the sender approved; -1: 0 */
	char (*approves)[37];        /* -2: nodes the sender approves with this bundle, sorted */
	size_t napproves;
	long long epoch_n;           /* -3: the sender's new epoch (n from 1); 0: none */
	uint8_t epoch_pk[32];        /* -3: that epoch's age recipient */
	char epoch_since[21];        /* -3: when it started, "YYYY-MM-DDTHH:MM:SSZ" */
	char *json; /* the header as signed */
} vios_bundle_header;

/* Frees recipients and json and zeroes *h. NULL-safe. */
void vios_bundle_header_dispose(vios_bundle_header *h);

/*
 * The header's JSON text (malloc'd in *out) from every field of h but json,
 * which it ignores. 0 or VIOS_ERROR (no memory).
 */
int vios_bundle_header_format(char **out, const vios_bundle_header *h);

/*
 * The reader's parsing stages, public for the fuzz targets and tools:
 * the header (the signature's trusted comment, strict JSON; h->json is a
 * copy of text), and the payload (gunzip bounded by VIOS_BUNDLE_MAX_PLAIN,
 * SQLite opened read-only and defensively from memory, schema checked
 * exactly, ops checked against the header h; *ops is malloc'd, free with
 * vios_crdt_ops_free). Both return 0 or VIOS_ECORRUPT with the rule that
 * failed (VIOS_ERROR when out of memory); on failure nothing is left to free.
 */
int vios_bundle_header_parse(vios_bundle_header *h, const char *text);
int vios_bundle_payload_read(vios_crdt_op **ops, size_t *n, const uint8_t *gz, size_t gzlen,
			     const vios_bundle_header *h);

/*
 * What a payload says besides its ops: its version (1 for vios-payload-1,
 * 2 for vios-payload-2, 3 for vios-payload-3, 4 for vios-payload-4) and, from version 2, the
 * sender's access log head when it sealed the bundle (store.h: the log's
 * id, a count and the last entry's hash, all zeros for an empty log); from
 * version 3, the records among the ops whose theme text the sender wrote
 * with --no-name-check (records.h), "table:id" separated by one space,
 * at most VIOS_PAYLOAD_SKIPPED_MAX of them (docs/name-guard.md); version 4
 * has the head always and name_check_skipped when there are any.
 */
#define VIOS_PAYLOAD_SKIPPED_MAX 64
typedef struct {
	int version;
	vios_log_head log; /* version 2 and 3; zeroed for version 1 */
	char name_check_skipped[VIOS_PAYLOAD_SKIPPED_MAX * 46 + 1]; /* version 3; "" before */
} vios_payload_meta;

/*
 * vios_bundle_payload_read, also giving what the payload says besides its
 * ops in *meta (which may be NULL). A vios-payload-2 bundle table holds
 * exactly format, sender, seq, log_id (32 lowercase hex digits), log_count
 * (a canonical decimal from 0) and log_head (64 lowercase hex digits, all
 * zeros exactly when log_count is 0); a vios-payload-3 one those and
 * name_check_skipped (1 to VIOS_PAYLOAD_SKIPPED_MAX "table:id", table
 * trend, meeting or signal, id a UUID, one space between); a
 * vios-payload-4 one the keys of -2, or of -3; a vios-payload-1 one
 * exactly format, sender and seq.
 */
int vios_bundle_payload_read_meta(vios_crdt_op **ops, size_t *n, vios_payload_meta *meta, const uint8_t *gz,
				  size_t gzlen, const vios_bundle_header *h);

/*
 * The payload database image of ops[0..n) by sender as bundle seq,
 * uncompressed (vios_payload_image), or gzip'd as it is sealed
 * (vios_payload_build). *out is malloc'd; the caller wipes and frees it.
 * The ops are written as they are (their node, base_node included).
 */
int vios_payload_image(uint8_t **out, size_t *outlen, const vios_crdt_op *const *ops, size_t n,
		       const char *sender, long long seq);
int vios_payload_build(uint8_t **out, size_t *outlen, const vios_crdt_op *const *ops, size_t n,
		       const char *sender, long long seq);

/*
 * The same, carrying the sender's access log head: vios-payload-2, what
 * the exporter sealed before version 4. log NULL writes vios-payload-1 (no head), as
 * vios_payload_image and vios_payload_build do: for tests and tools that
 * make old bundles.
 */
int vios_payload_image_with_log(uint8_t **out, size_t *outlen, const vios_crdt_op *const *ops, size_t n,
				const char *sender, long long seq, const vios_log_head *log);
int vios_payload_build_with_log(uint8_t **out, size_t *outlen, const vios_crdt_op *const *ops, size_t n,
				const char *sender, long long seq, const vios_log_head *log);

/*
 * vios_payload_build_with_log, naming the records written with
 * --no-name-check (skipped: "table:id ...", as vios_payload_meta holds it;
 * NULL or "" for none): vios-payload-3 when there are any, else exactly
 * vios-payload-2, so a bundle without an override stays readable by a vios
 * that knows only version 2.
 */
int vios_payload_build_v3(uint8_t **out, size_t *outlen, const vios_crdt_op *const *ops, size_t n,
			  const char *sender, long long seq, const vios_log_head *log, const char *skipped);

/*
 * What the exporter seals: vios-payload-4 (docs/formats.md), one row per
 * record written instead of one per op, always with the access log head
 * log, and name_check_skipped when skipped names any (NULL or "" for
 * none). Every op must be one a reader takes in shape (a known kind, UUID
 * record and node ids, clocks in range, a SET with a column, a DELETE with
 * nothing else, at most VIOS_CRDT_TABLES_MAX tables of at most 63
 * columns, no cell or tombstone twice): else VIOS_EUSAGE and nothing is
 * written.
 * The reader gives back exactly these ops in this order.
 * vios_payload_image_v4 is the same uncompressed, for tests and seeds.
 */
int vios_payload_build_v4(uint8_t **out, size_t *outlen, const vios_crdt_op *const *ops, size_t n,
			  const char *sender, long long seq, const vios_log_head *log, const char *skipped);
int vios_payload_image_v4(uint8_t **out, size_t *outlen, const vios_crdt_op *const *ops, size_t n,
			  const char *sender, long long seq, const vios_log_head *log, const char *skipped);

/*
 * gzip of in[0..inlen) followed by `zeros` zero bytes (0 for every real
 * payload; a test tool pads with zeros to make a gzip bomb without holding
 * it in memory), into malloc'd *out. 0 or VIOS_ERROR.
 */
int vios_payload_gzip(uint8_t **out, size_t *outlen, const uint8_t *in, size_t inlen, size_t zeros);
/*
 * gunzip of one whole gzip stream into malloc'd *out, at most max bytes: a
 * gzip bomb stops there. 0, VIOS_ECORRUPT (not gzip, truncated, trailing
 * data, over max) or VIOS_ERROR.
 */
int vios_payload_gunzip(uint8_t **out, size_t *outlen, const uint8_t *in, size_t inlen, size_t max);

#endif
