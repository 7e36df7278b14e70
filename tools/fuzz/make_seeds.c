/*
 * make_seeds.c - writes the seed corpora of the fuzz targets into
 * OUT/<target>/ (tests/resources/fuzz, see its README.md). Run by
 * tools/fuzz/make-seeds.sh; not part of the library or of `make check`.
 *
 *   make_seeds OUT [AGE_VECTORS_DIR]
 *
 * It builds a small real world in a temporary directory (a hub, a school
 * and a police partner, enrolled and joined; records written; bundles
 * exported) and takes its real artefacts: bundle headers, enrollment
 * requests, ops. Payloads are built with the reader's own schema from real
 * ops re-signed to FUZZ_SENDER, so they pass against the fixed header;
 * age files are the CCTV vectors' (stripped of their test header) and files
 * made by vios for the fixed identity; minisign files are made with the
 * fixed key. Every seed a reader should accept is checked to be accepted.
 * Keys, ids and clocks are fresh on every run, so the bytes change; the
 * names and what each file is do not.
 */
#include "tools/fuzz/fuzz.h"

#include <errno.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "crdt/crdt.h"
#include "crypto/age.h"
#include "crypto/minisign.h"
#include "store/records.h"
#include "sync/bundle.h"
#include "sync/git.h"
#include "sync/hub.h"
#include "sync/registry.h"
#include "sync/sync.h"
#include "sync/report.h"
#include "sync/trust.h"
#include "util/error.h"
#include "util/util.h"

static const char *out_dir;
static char tmp_dir[64];

static void die(const char *what)
{
	fprintf(stderr, "make_seeds: %s: %s\n", what, vios_error_last());
	if (tmp_dir[0])
		vios_rm_rf(tmp_dir);
	exit(1);
}

static void check(int rc, const char *what)
{
	if (rc < 0)
		die(what);
}

static void put(const char *target, const char *name, const void *data, size_t len)
{
	char dir[512], path[600];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/%s", out_dir, target);
	check(vios_mkdir_p(dir, 0755), dir);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "make_seeds: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	printf("  %-16s %-32s %7zu bytes\n", target, name, len);
}

static void put_text(const char *target, const char *name, const char *text)
{
	put(target, name, text, strlen(text));
}

static vios_node *mknode(const char *name, const char *kind, const char *role)
{
	char home[128], code[VIOS_RECOVERY_LEN + 1];
	vios_secret *pass = NULL;
	vios_node *n = NULL;

	snprintf(home, sizeof(home), "%s/%s", tmp_dir, name);
	check(vios_secret_new(&pass, "seed generator passphrase", 25), "passphrase");
	check(vios_node_init(&n, code, home, kind, name, role, pass, VIOS_KDF_INTERACTIVE), "node init");
	vios_secret_free(pass);
	return n;
}

static void add(char id[37], vios_store *st, const char *table, const vios_field *f, size_t n)
{
	check(vios_record_add(id, st, table, f, n), table);
}

static void tx_sql(vios_store *st, const char *zSql)
{
	check(vios_store_tx_begin(st), "begin");
	if (sqlite3_exec(st->db, zSql, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "make_seeds: %s: %s\n", zSql, sqlite3_errmsg(st->db));
		exit(1);
	}
	check(vios_store_tx_commit(st), "commit");
}

/* ---- key vaults ----------------------------------------------------------------- */

/*
 * keys.vault seeds from a node's home: the vault as vios_node_init wrote it
 * (version 2, the interactive preset), the same bytes as version 1 (the
 * 12-byte header without the preset, as an older vios wrote it; the reader
 * authenticates nothing, so they parse), and two it must refuse: the preset
 * raised to sensitive above the slots' costs, and the passphrase slot's
 * costs lowered to (1 pass, 8 KiB).
 */
static void vault_seeds(const vios_node *n)
{
	char path[PATH_MAX];
	uint8_t *buf = NULL, v1[224];
	size_t len;
	vios_vault_info info;

	if ((size_t)snprintf(path, sizeof(path), "%s/keys.vault", n->home) >= sizeof(path))
		die("keys.vault path too long");
	check(vios_file_read(&buf, &len, path, 4096), "read keys.vault");
	if (len != 226)
		die("keys.vault is not 226 bytes");
	check(vios_vault_parse(&info, buf, len), "vault parse");
	put("vault", "v2-interactive.vault", buf, len);
	memcpy(v1, buf, 12);
	v1[8] = 1;
	memcpy(v1 + 12, buf + 14, 212);
	check(vios_vault_parse(&info, v1, sizeof(v1)), "vault v1 parse");
	put("vault", "v1-interactive.vault", v1, sizeof(v1));
	buf[12] = 3;
	put("vault", "reject-preset-above-costs.vault", buf, len);
	buf[12] = 1;
	vios_store_le64(buf + 14 + 2, 1);
	vios_store_le64(buf + 14 + 10, 8192);
	put("vault", "reject-weak-costs.vault", buf, len);
	free(buf);
}

/* ---- payloads ---------------------------------------------------------------- */

/*
 * The gzip'd payload of ops[0..n) as the codec builds it, every op
 * re-signed to `sender`: vios-payload-1 (vios_payload_build), or with v4
 * vios-payload-4 as the exporter seals it (vios_payload_build_v4, an
 * empty access log).
 */
static void payload_as(uint8_t **gz, size_t *gzlen, const vios_crdt_pending_op *ops, size_t n, const char *sender,
		       long long seq, int v4)
{
	static const vios_log_head empty_log;
	vios_crdt_op *copies = calloc(n ? n : 1, sizeof(*copies));
	const vios_crdt_op **v = calloc(n ? n : 1, sizeof(*v));

	if (copies == NULL || v == NULL)
		die("payload");
	for (size_t k = 0; k < n; k++) {
		copies[k] = ops[k].op; /* shallow: only node and base_node change */
		copies[k].node = (char *)sender;
		if (copies[k].kind == VIOS_OP_SET && copies[k].base_hlc)
			copies[k].base_node = (char *)sender;
		v[k] = &copies[k];
	}
	if (v4)
		check(vios_payload_build_v4(gz, gzlen, v, n, sender, seq, &empty_log, NULL), "payload v4");
	else
		check(vios_payload_build(gz, gzlen, v, n, sender, seq), "payload");
	free(v);
	free(copies);
}

static void payload(uint8_t **gz, size_t *gzlen, const vios_crdt_pending_op *ops, size_t n, const char *sender,
		    long long seq)
{
	payload_as(gz, gzlen, ops, n, sender, seq, 0);
}

/* Writes a payload seed for ops[0..FUZZ_PAYLOAD_OPS) (v4: vios-payload-4) and checks the reader takes it. */
static void payload_seed(const char *name, const vios_crdt_pending_op *ops, const vios_bundle_header *h, int v4)
{
	uint8_t *gz;
	size_t gzlen, n;
	vios_crdt_op *back = NULL;

	payload_as(&gz, &gzlen, ops, FUZZ_PAYLOAD_OPS, FUZZ_SENDER, FUZZ_PAYLOAD_SEQ, v4);
	check(vios_bundle_payload_read(&back, &n, gz, gzlen, h), name);
	vios_crdt_ops_free(back, n);
	put("bundle_payload", name, gz, gzlen);
	free(gz);
}

/*
 * A payload the reader must refuse, made to reach the value-type branches
 * the real ops never take: a real, a blob, an empty blob, empty text, a
 * large integer where text belongs. Named reject-*: not checked as accepted.
 */
static void payload_reject_types(const vios_crdt_pending_op *real, const vios_bundle_header *h, int v4)
{
	vios_crdt_pending_op ops[FUZZ_PAYLOAD_OPS];
	vios_crdt_op *back = NULL;
	uint8_t *gz;
	size_t gzlen, n;

	memcpy(ops, real, sizeof(ops)); /* shallow: only values are replaced, nothing is freed */
	ops[0].op.value = (vios_crdt_value){ .type = VIOS_VAL_REAL, .u.d = 1.5 };
	ops[1].op.value = (vios_crdt_value){ .type = VIOS_VAL_BLOB, .u.blob = { (uint8_t *)"ab", 2 } };
	ops[2].op.value = (vios_crdt_value){ .type = VIOS_VAL_BLOB, .u.blob = { (uint8_t *)"", 0 } };
	ops[3].op.value = (vios_crdt_value){ .type = VIOS_VAL_TEXT, .u.text = { "", 0 } };
	ops[4].op.value = (vios_crdt_value){ .type = VIOS_VAL_INT, .u.i = INT64_C(1) << 62 };
	payload_as(&gz, &gzlen, ops, FUZZ_PAYLOAD_OPS, FUZZ_SENDER, FUZZ_PAYLOAD_SEQ, v4);
	if (vios_bundle_payload_read(&back, &n, gz, gzlen, h) == 0)
		die("a payload with a real and blobs was accepted");
	put("bundle_payload", v4 ? "reject-v4-value-types.gz" : "reject-value-types.gz", gz, gzlen);
	free(gz);
}

/* ---- age --------------------------------------------------------------------- */

/* A CCTV vector without its test header (text up to the first empty line). */
static void age_vector(const char *dir, const char *name)
{
	char path[512];
	uint8_t *buf = NULL;
	size_t len;
	const uint8_t *body;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	check(vios_file_read(&buf, &len, path, 1 << 20), path);
	if ((body = memmem(buf, len, "\n\n", 2)) == NULL)
		die("age vector without a header");
	body += 2;
	if (memmem(buf, (size_t)(body - buf), "compressed:", 11) != NULL)
		die("compressed age vector (not taken as a seed)");
	put("age", name, body, len - (size_t)(body - buf));
	free(buf);
}

static void age_made(const char *name, const void *plain, size_t len, int extra_recipient)
{
	uint8_t *sk = sodium_malloc(32), rc[2][32], other_sk[32], *ct = NULL, *back = NULL;
	const uint8_t *ids[1];
	size_t ctlen, backlen;

	if (sk == NULL)
		die("sodium_malloc");
	check(vios_age_identity_parse(sk, FUZZ_AGE_IDENTITY), "identity");
	crypto_scalarmult_base(rc[0], sk);
	randombytes_buf(other_sk, sizeof(other_sk));
	crypto_scalarmult_base(rc[1], other_sk);
	check(vios_age_encrypt_buf(&ct, &ctlen, plain, len, (const uint8_t(*)[32])rc, extra_recipient ? 2 : 1), name);
	ids[0] = sk;
	check(vios_age_decrypt_buf(&back, &backlen, ct, ctlen, ids, 1, SIZE_MAX), name);
	if (backlen != len || memcmp(back, plain, len) != 0)
		die("age round trip");
	put("age", name, ct, ctlen);
	free(ct);
	free(back);
	sodium_free(sk);
}

/* ---- minisign ---------------------------------------------------------------- */

static void minisign_seeds(void)
{
	static const char msg[] = FUZZ_MINISIGN_MESSAGE;
	vios_minisign_pub pub;
	vios_minisign_sec *sec = NULL;
	uint8_t sk[64];
	char *sig = NULL, line[VIOS_MINISIGN_PUB_B64LEN + 1], keyid[17], comment[64], *pubfile = NULL;

	fuzz_minisign_key(&pub, sk);
	check(vios_minisign_sec_from(&sec, pub.keyid, sk), "minisign key");
	sodium_memzero(sk, sizeof(sk));

	check(vios_minisign_sign(&sig, sec, (const uint8_t *)msg, sizeof(msg) - 1, FUZZ_HEADER_JSON, "vios bundle"), "sign");
	check(vios_minisign_verify(NULL, &pub, (const uint8_t *)msg, sizeof(msg) - 1, sig, strlen(sig)), "verify");
	put_text("minisign", "sig-header-comment.minisig", sig);
	free(sig);
	check(vios_minisign_sign(&sig, sec, (const uint8_t *)msg, sizeof(msg) - 1, "timestamp:1767225600\tfile:msg", NULL), "sign");
	check(vios_minisign_verify(NULL, &pub, (const uint8_t *)msg, sizeof(msg) - 1, sig, strlen(sig)), "verify");
	put_text("minisign", "sig-short-comment.minisig", sig);
	free(sig);

	check(vios_minisign_pub_format(line, sizeof(line), &pub), "pub");
	vios_minisign_keyid_hex(keyid, pub.keyid);
	put_text("minisign", "key-line.txt", line);
	snprintf(comment, sizeof(comment), "minisign public key %s", keyid);
	check(vios_minisign_pub_file(&pubfile, &pub, comment), "pub file");
	put_text("minisign", "key.pub", pubfile);
	free(pubfile);
	vios_minisign_sec_free(sec);
}

/* ---- covenants --------------------------------------------------------------- */

static void covenant_seed(const char *name, const char *text)
{
	vios_covenant c;
	check(vios_covenant_parse(&c, text, strlen(text)), name);
	vios_covenant_dispose(&c);
	put_text("covenant", name, text);
}

/* ---- registry node entries ---------------------------------------------------- */

static void registry_node_seed(const char *name, const vios_reg_node *n)
{
	vios_reg_node back;
	char *text = vios_registry_node_format(n);

	if (text == NULL)
		die(name);
	check(vios_registry_node_parse(&back, text, strlen(text), name), name);
	put_text("registry_node", name, text);
	free(text);
}

/* Every entry of the registry as the hub wrote it, and the first one revoked. */
static void registry_node_seeds(const vios_registry *reg)
{
	vios_reg_node revoked;

	for (size_t i = 0; i < reg->n; i++) {
		char name[96];
		snprintf(name, sizeof(name), "node-%s-%s.json", reg->nodes[i].kind, reg->nodes[i].role);
		registry_node_seed(name, &reg->nodes[i]);
	}
	if (reg->n == 0)
		die("an empty registry");
	revoked = reg->nodes[0];
	snprintf(revoked.revoked_at, sizeof(revoked.revoked_at), "%s", "2026-11-20T10:00:00Z");
	revoked.last_seq = 7;
	registry_node_seed("node-revoked.json", &revoked);
}

/* ---- store files (fuzz_vfs: a start, then mutations of 7 bytes) ---------------- */

/* One mutation: kind, file (0 db, 1 WAL, 2 journal), offset (24-bit LE), argument (16-bit LE). */
static size_t vfs_op(uint8_t *p, int kind, int file, uint32_t off, unsigned arg)
{
	p[0] = (uint8_t)kind;
	p[1] = (uint8_t)file;
	p[2] = (uint8_t)off;
	p[3] = (uint8_t)(off >> 8);
	p[4] = (uint8_t)(off >> 16);
	p[5] = (uint8_t)arg;
	p[6] = (uint8_t)(arg >> 8);
	return 7;
}

static void vfs_seed(const char *name, int start, int kind, int file, uint32_t off, unsigned arg)
{
	uint8_t buf[8];
	size_t n = 1;

	buf[0] = (uint8_t)start;
	if (kind >= 0)
		n += vfs_op(buf + 1, kind, file, off, arg);
	put("vfs", name, buf, n);
}

static void vfs_seeds(void)
{
	enum { FLIP, SET, CUT, SPLICE, REPLAY, DELETE, REPLACE, HOLE };
	/* sound-*: one store's own files, which must open and read (A's
	 * database alone lacks the WAL its page index says is live) */
	static const char *const starts[] = {
		"sound-a-wal", "sound-j-hot-journal", "mix-a-db-b-wal", "mix-b-db-a-wal",
		"mix-a-wal-and-j-journal", "mix-a-db-without-its-live-wal", "mix-j-db-a-wal", "mix-a-db-j-journal",
	};
	const uint32_t frame = 24 + 4096;

	for (int s = 0; s < 8; s++)
		vfs_seed(starts[s], s, -1, 0, 0, 0);
	vfs_seed("flip-page-3", 0, FLIP, 0, 2 * 4096 + 100, 0x01);
	vfs_seed("flip-page-1-header", 0, FLIP, 0, 16, 0x10);
	vfs_seed("flip-wal-frame-2", 0, FLIP, 1, 32 + frame + 30, 0x04);
	vfs_seed("wal-header-salt-set", 0, SET, 1, 16, 0x55);
	vfs_seed("cut-wal-mid-frame", 0, CUT, 1, 32 + frame + 2000, 0);
	vfs_seed("cut-db-mid-page", 0, CUT, 0, 5000, 0);
	vfs_seed("splice-b-frame-0-as-frame-1", 0, SPLICE, 1, 1, (0 << 2) | 2);
	vfs_seed("replay-frame-0-as-frame-1", 0, REPLAY, 1, 1, 0);
	vfs_seed("replay-page-2-as-page-3", 0, REPLAY, 0, 2, 1);
	vfs_seed("hole-page-2", 0, HOLE, 0, 1, 0);
	vfs_seed("journal-nrec-set", 1, SET, 2, 11, 0x40);
	vfs_seed("journal-replay-record-0-as-1", 1, REPLAY, 2, 1, 0);
	vfs_seed("delete-db", 0, DELETE, 0, 0, 0);
	vfs_seed("replace-wal-by-b", 0, REPLACE, 1, 0, 2);
}

/* ---- the real world ---------------------------------------------------------- */

static void enroll(vios_store *hst, vios_node *n, const char *seed_name)
{
	char *req = NULL;
	vios_enroll_info info;
	int already;

	check(vios_node_enroll_request(&req, n), "enroll request");
	check(vios_enroll_request_verify(&info, req, strlen(req)), "enroll verify");
	check(vios_hub_enroll(&info, &already, hst, req, strlen(req)), "enroll");
	if (seed_name)
		put_text("enroll", seed_name, req);
	free(req);
}

/* The trusted comment (signed header) of bundle seq in a node's outbox. */
static char *bundle_header(const vios_node *n, long long seq)
{
	git_repository *repo = NULL;
	git_oid head;
	char ref[64], path[40], sigpath[48], *trusted = NULL;
	uint8_t *age = NULL, *sig = NULL;
	size_t agelen, siglen;

	vios_layout_node_ref(ref, sizeof(ref), VIOS_NODES_REFS, n->node_id);
	vios_layout_bundle_path(path, seq, 0);
	snprintf(sigpath, sizeof(sigpath), "%s.minisig", path);
	check(vios_trust_repo(&repo, n), "outbox");
	check(vios_git_ref_oid(&head, repo, ref), "outbox ref");
	check(vios_git_read_blob(&age, &agelen, repo, &head, path, VIOS_BUNDLE_MAX_AGE), path);
	check(vios_git_read_blob(&sig, &siglen, repo, &head, sigpath, VIOS_BUNDLE_SIG_MAX), sigpath);
	check(vios_minisign_verify(&trusted, &n->sign_pub, age, agelen, (const char *)sig, siglen), "bundle signature");
	free(age);
	free(sig);
	git_repository_free(repo);
	return trusted;
}

int main(int argc, char **argv)
{
	const char *vectors = argc > 2 ? argv[2] : "tests/resources/age";
	vios_node *hub, *school, *police;
	vios_store *hst = NULL, *sst = NULL, *pst = NULL;
	vios_registry *reg = NULL;
	vios_bundle_header fixed;
	vios_crdt_pending_op *ops = NULL;
	vios_export_report rep;
	size_t nops = 0;
	char repo[128], fp[VIOS_FINGERPRINT_STRLEN + 1], pupil[37], sig1[37], sig2[37], trend[37], meeting[37], cid[37], aid[37], q[1024];
	char *hdr;

	if (argc < 2) {
		fprintf(stderr, "usage: make_seeds OUT [AGE_VECTORS_DIR]\n");
		return 2;
	}
	out_dir = argv[1];
	if (sodium_init() < 0 || vios_git_init() < 0)
		die("init");
	strcpy(tmp_dir, "/tmp/vios-seeds.XXXXXX");
	if (mkdtemp(tmp_dir) == NULL) {
		tmp_dir[0] = 0;
		die("mkdtemp");
	}

	/* the world: a hub, a school and the police, enrolled and joined */
	hub = mknode("hub", "hub", NULL);
	school = mknode("school", "school", NULL);
	police = mknode("police", "partner", "police");
	vault_seeds(hub);
	snprintf(repo, sizeof(repo), "%s/hub.git", tmp_dir);
	check(vios_crdt_store_open(&hst, hub), "hub store");
	check(vios_hub_create(hst, repo), "hub create");
	enroll(hst, school, "request-school.json");
	enroll(hst, police, "request-partner-police.json");
	{
		char *req = NULL;
		check(vios_node_enroll_request(&req, hub), "hub request");
		put_text("enroll", "request-hub.json", req);
		free(req);
	}
	vios_node_fingerprint(fp, hub);
	check(vios_crdt_store_open(&sst, school), "school store");
	check(vios_crdt_store_open(&pst, police), "police store");
	check(vios_trust_join(&reg, sst, repo, fp), "school join");
	registry_node_seeds(reg);
	vios_registry_free(reg);
	check(vios_trust_join(&reg, pst, repo, fp), "police join");
	vios_registry_free(reg);

	/* records of every kind, then an update, a status change and a delete */
	{
		vios_field ft[] = { { "theme", "weapons" }, { "period", "2026-11" }, { "level", "rising" }, { "note", "knives near the station" } };
		vios_field fm[] = { { "kind", "thematic" }, { "date", "2026-11-02" }, { "roles", "school,police" }, { "minutes", "patrols agreed" } };
		vios_field fs[] = { { "theme", "nuisance" }, { "note", "noise at the gate" }, { "severity", "low" } };
		vios_field fp1[] = { { "name", "Pupil Seed" }, { "birth_date", "2011-05-14" }, { "class", "2B" } };
		add(trend, sst, "trend", ft, 4);
		add(meeting, sst, "meeting", fm, 4);
		add(sig1, sst, "signal", fs, 3);
		add(pupil, sst, "pupil", fp1, 3);
		{
			vios_field fsp[] = { { "theme", "drugs-trade" }, { "note", "runner" }, { "pupil_id", pupil }, { "location", "around" },
						 { "basis", "public-task" }, { "parents_informed", "1" } };
			add(sig2, sst, "signal", fsp, 6);
		}
		{
			vios_field fc[] = { { "pupil_id", pupil }, { "signals", sig2 }, { "roles", "police" }, { "lead_role", "police" },
						{ "basis", "public-task" } };
			add(cid, sst, "case_file", fc, 5);
		}
		{
			vios_field fa[] = { { "case_id", cid }, { "owner_role", "police" }, { "action", "talk to the family" }, { "due_date", "2026-12-20" } };
			add(aid, sst, "agreement", fa, 4);
		}
		check(vios_case_set_status(sst, cid, "discussed", NULL), "case status");
		snprintf(q, sizeof(q), "UPDATE trend SET level = 'stable', note = NULL WHERE id = '%s'", trend);
		tx_sql(sst, q);
		snprintf(q, sizeof(q), "DELETE FROM meeting WHERE id = '%s'", meeting);
		tx_sql(sst, q);
	}
	check(vios_crdt_pending(&ops, &nops, sst, 0, 0, 0), "pending");
	if (nops < 3 * FUZZ_PAYLOAD_OPS)
		die("too few ops");

	/* bundle headers: the fixed one and the real ones of the export */
	put_text("bundle_header", "fixed.json", FUZZ_HEADER_JSON);
	check(vios_sync_export(&rep, sst), "export");
	if (rep.bundles < 2)
		die("expected a theme and a case bundle");
	for (long long seq = 1; seq <= (long long)rep.bundles; seq++) {
		char name[64];
		vios_bundle_header h;
		hdr = bundle_header(school, seq);
		check(vios_bundle_header_parse(&h, hdr), "real header");
		snprintf(name, sizeof(name), "export-seq%lld-%s.json", seq,
			 h.categories == VIOS_CAT_BIT_THEME ? "theme" : h.categories == VIOS_CAT_BIT_CASE ? "case" : "both");
		vios_bundle_header_dispose(&h);
		put_text("bundle_header", name, hdr);
		free(hdr);
	}

	/* payloads: real ops (inserts of every table, updates with base clocks, a tombstone) */
	check(vios_bundle_header_parse(&fixed, FUZZ_HEADER_JSON), "fixed header");
	payload_seed("ops-first.gz", ops, &fixed, 0);
	payload_seed("ops-middle.gz", ops + FUZZ_PAYLOAD_OPS, &fixed, 0);
	payload_seed("ops-last-update-delete.gz", ops + nops - FUZZ_PAYLOAD_OPS, &fixed, 0);
	payload_reject_types(ops, &fixed, 0);
	/* the same as vios-payload-4, what the exporter seals now */
	payload_seed("v4-ops-first.gz", ops, &fixed, 1);
	payload_seed("v4-ops-middle.gz", ops + FUZZ_PAYLOAD_OPS, &fixed, 1);
	payload_seed("v4-ops-last-update-delete.gz", ops + nops - FUZZ_PAYLOAD_OPS, &fixed, 1);
	payload_reject_types(ops, &fixed, 1);

	/* age: CCTV vectors and vios-made files for the fixed identity */
	age_vector(vectors, "x25519");
	age_vector(vectors, "x25519_multiple_recipients");
	age_vector(vectors, "x25519_grease");
	age_vector(vectors, "x25519_identity");
	age_vector(vectors, "stream_no_final");
	age_vector(vectors, "stream_empty_payload");
	{
		uint8_t *gz;
		size_t gzlen;
		payload(&gz, &gzlen, ops, FUZZ_PAYLOAD_OPS, FUZZ_SENDER, FUZZ_PAYLOAD_SEQ);
		age_made("vios-payload-one-recipient.age", gz, gzlen, 0);
		age_made("vios-payload-two-recipients.age", gz, gzlen, 1);
		free(gz);
	}
	{
		/* two chunks: one full 64 KiB chunk and a short final one */
		size_t len = VIOS_AGE_CHUNK + 100;
		uint8_t *big = malloc(len);
		if (big == NULL)
			die("malloc");
		for (size_t i = 0; i < len; i++)
			big[i] = (uint8_t)(i * 7);
		age_made("vios-two-chunks.age", big, len, 0);
		free(big);
	}

	minisign_seeds();

	/* store files: every start, and one of each kind of mutation */
	vfs_seeds();

	/* covenants: the default (a -3), a narrower one, one with a hub role and
	 * tables (default.json, the -1 an older vios published, stays as it was) */
	covenant_seed("default-3.json", vios_covenant_default());
	covenant_seed("narrow.json",
		      "{\"format\":\"vios-covenant-1\",\"version\":2,\"parties\":[\"school\",\"police\"],"
		      "\"receives\":{\"theme\":[\"hub\",\"auditor\",\"police\"],\"case\":[\"auditor\",\"police\"]},"
		      "\"retention_months\":{\"theme\":60,\"case\":24}}");
	snprintf(q, sizeof(q),
		 "{\"format\":\"vios-covenant-1\",\"version\":3,\"title\":\"tables\",\"parties\":[\"school\",\"police\",\"municipality\"],"
		 "\"receives\":{\"theme\":[\"school\",\"auditor\",\"police\",\"municipality\"],\"case\":[\"auditor\",\"police\",\"municipality\"]},"
		 "\"case_scope\":\"roles-in-case\",\"hub_role\":\"municipality\",\"retention_months\":{\"theme\":60,\"case\":24},"
		 "\"tables\":{\"%s\":[\"%s\"]}}", school->node_id, police->node_id);
	covenant_seed("hub-role-and-tables.json", q);

	vios_crdt_pending_free(ops, nops);
	vios_bundle_header_dispose(&fixed);
	vios_store_free(hst);
	vios_store_free(sst);
	vios_store_free(pst);
	vios_node_free(hub);
	vios_node_free(school);
	vios_node_free(police);
	vios_rm_rf(tmp_dir);
	return 0;
}
