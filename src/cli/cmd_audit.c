/*
 * cmd_audit.c - vios audit verify | flows | replay (sync/audit.h does the
 * work; this file picks the trust root, prints and chooses exit codes).
 *
 * The command runs without unlocking a node (table flags 0): verify and
 * flows need no passphrase. The trust root is --hub-fingerprint when
 * given; otherwise, when the home is an auditor's that joined, the hub it
 * pinned at 'vios join'; otherwise the checkpoint's; otherwise the first
 * registry commit's key (reported). replay needs the home unlocked: its
 * keys decrypt.
 *
 * Findings are data: one line each on stdout, "finding: node <id> seq <n>:
 * <what>" ("finding: node <id>: ..." for a ref, "finding: registry: ..."),
 * then one "vios: error: N findings ..." line on stderr and exit 3.
 */
#include "sync/audit.h"
#include "cli/cli.h"
#include "cli/table.h"
#include "crdt/crdt.h"
#include "sync/trust.h"
#include "util/csv.h"
#include "util/error.h"
#include "util/util.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPT_JSON 1000
#define OPT_CHECKPOINT 1001
#define OPT_FP 1002
#define OPT_CSV 1003
#define OPT_UNTIL 1004
#define OPT_CATEGORY 1005
#define OPT_FOR 1006

typedef struct {
	const char *source, *checkpoint, *fp, *csv, *until, *category, *for_node;
} audit_args;

static const char *root_source_text(vios_audit_root_source s)
{
	switch (s) {
	case VIOS_AUDIT_ROOT_PINNED: return "pinned";
	case VIOS_AUDIT_ROOT_CHECKPOINT: return "from the checkpoint";
	case VIOS_AUDIT_ROOT_FIRST: return "trusted on first use: the key of the first registry commit; pin it with --hub-fingerprint";
	}
	return "none";
}

static const char *root_source_key(vios_audit_root_source s)
{
	switch (s) {
	case VIOS_AUDIT_ROOT_PINNED: return "pinned";
	case VIOS_AUDIT_ROOT_CHECKPOINT: return "checkpoint";
	case VIOS_AUDIT_ROOT_FIRST: return "first-commit";
	}
	return "none";
}

/*
 * The home's part. replay (required): the node, unlocked (its keys
 * decrypt), and the hub fingerprint its encrypted store pinned at join.
 * verify and flows: when the home is an auditor's, the pin, read without
 * the passphrase (vios_audit_home_pin); and when it is unlocked (vios
 * unlock) or its passphrase is given without a prompt (--passphrase-file,
 * VIOS_PASSPHRASE), the node unlocked too, so that its keys classify the content against the mandate
 * (*locked 1 when an auditor's home stays locked). *have_pin says whether
 * there was a pin.
 */
static int open_home(vios_node **node, uint8_t pin[VIOS_FINGERPRINT_BYTES], int *have_pin, int *locked, vios_cli *cli, int required)
{
	vios_node *pub = NULL;
	vios_secret *pass = NULL;
	vios_store *st = NULL;
	char *fp = NULL;
	int error, auditor;

	*node = NULL;
	*have_pin = 0;
	*locked = 0;
	if ((error = vios_node_open_public(&pub, cli->home)) < 0) {
		if (!required)
			return 0;
		if (error == VIOS_ENOTFOUND)
			vios_error_set(VIOS_ERR_INPUT, "audit replay needs the auditor's home (--home DIR or VIOS_HOME), whose keys decrypt the history; %s is not a vios home",
				       cli->home);
		return error;
	}
	auditor = !strcmp(pub->kind, "auditor");
	if (!required) {
		if (auditor && (error = vios_audit_home_pin(pin, cli->home)) == 0)
			*have_pin = 1;
		vios_node_free(pub);
		if (error < 0 && error != VIOS_ENOTFOUND)
			return error;
		if (!auditor)
			return 0;
		/* unlocked (vios unlock): the agent's key; else only a passphrase given without a prompt */
		if ((error = cli_node_from_agent(node, cli)) != VIOS_ENOTFOUND)
			goto done;
		if (cli->passphrase_file == NULL && getenv("VIOS_PASSPHRASE") == NULL) {
			*locked = 1;
			return 0;
		}
		if ((error = cli_passphrase(&pass, cli, 0)) < 0 || (error = vios_node_open(node, cli->home, pass)) < 0)
			goto done;
		error = 0;
		goto done;
	}
	vios_node_free(pub);
	if ((error = cli_node_from_agent(node, cli)) == VIOS_ENOTFOUND &&
	    (error = cli_passphrase(&pass, cli, 0)) == 0)
		error = vios_node_open(node, cli->home, pass);
	if (error < 0 || (error = vios_crdt_store_open(&st, *node)) < 0)
		goto done;
	if ((error = vios_store_meta_get(&fp, st, "hub_fingerprint")) == 0) {
		if ((error = vios_fingerprint_parse(pin, fp)) < 0)
			goto done;
		*have_pin = 1;
	} else if (error != VIOS_ENOTFOUND)
		goto done;
	error = 0;
done:
	free(fp);
	vios_store_free(st);
	vios_secret_free(pass);
	if (error < 0) {
		vios_node_free(*node);
		*node = NULL;
	}
	return error;
}

/* Opens the audit with the trust root chosen as the file comment says. */
static int audit_start(vios_audit **a, vios_node **node, vios_cli *cli, const audit_args *args, int need_home)
{
	vios_audit_opts opts = { .source = args->source, .checkpoint = args->checkpoint };
	uint8_t pin[VIOS_FINGERPRINT_BYTES];
	int have_pin = 0, locked = 0, error;

	*a = NULL;
	*node = NULL;
	if (args->fp) {
		if (vios_fingerprint_parse(pin, args->fp) < 0) {
			char why[400];
			snprintf(why, sizeof(why), "%s", vios_error_last());
			return cli_usage(cli, "--hub-fingerprint: %s", why);
		}
		have_pin = 1;
	}
	{
		uint8_t home_pin[VIOS_FINGERPRINT_BYTES];
		int home_has = 0;
		if ((error = open_home(node, home_pin, &home_has, &locked, cli, need_home)) < 0)
			return error;
		if (!have_pin && home_has) {
			memcpy(pin, home_pin, VIOS_FINGERPRINT_BYTES);
			have_pin = 1;
		}
	}
	if (have_pin)
		opts.pin = pin;
	if (locked)
		fprintf(stderr, "vios: note: the auditor's home stays locked (no VIOS_PASSPHRASE or --passphrase-file):"
			" signatures, chains and flows are verified, the content is not classified against the mandate\n");
	cli_progress_on();
	if ((error = vios_audit_open(a, &opts)) < 0) {
		vios_node_free(*node);
		*node = NULL;
	}
	return error;
}

static int parse_args(audit_args *args, vios_cli *cli, int argc, char **argv, const char *verb)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "checkpoint", required_argument, NULL, OPT_CHECKPOINT },
		{ "hub-fingerprint", required_argument, NULL, OPT_FP },
		{ "csv", required_argument, NULL, OPT_CSV },
		{ "until", required_argument, NULL, OPT_UNTIL },
		{ "category", required_argument, NULL, OPT_CATEGORY },
		{ "for", required_argument, NULL, OPT_FOR },
		{ NULL, 0, NULL, 0 },
	};
	int c, verify = !strcmp(verb, "verify"), flows = !strcmp(verb, "flows"), replay = !strcmp(verb, "replay");

	memset(args, 0, sizeof(*args));
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: cli->json = 1; break;
		case OPT_FP: args->fp = optarg; break;
		case OPT_CHECKPOINT:
			if (!verify)
				return cli_usage(cli, "--checkpoint belongs to 'audit verify'");
			args->checkpoint = optarg;
			break;
		case OPT_CSV:
			if (!flows)
				return cli_usage(cli, "--csv belongs to 'audit flows'");
			args->csv = optarg;
			break;
		case OPT_UNTIL:
		case OPT_CATEGORY:
		case OPT_FOR:
			if (!replay)
				return cli_usage(cli, "--until, --category and --for belong to 'audit replay'");
			if (c == OPT_UNTIL)
				args->until = optarg;
			else if (c == OPT_CATEGORY)
				args->category = optarg;
			else
				args->for_node = optarg;
			break;
		default:
			return cli_usage(cli, "unknown option");
		}
	}
	/* getopt moved the operands after the options */
	if (optind + 1 != argc)
		return cli_usage(cli, optind >= argc ? "expected 'audit %s URL|PATH'" : "expected one URL|PATH after 'audit %s'", verb);
	args->source = argv[optind];
	if (args->category && strcmp(args->category, "theme") != 0 && strcmp(args->category, "case") != 0)
		return cli_usage(cli, "--category takes theme or case, not '%s'", args->category);
	return 0;
}

static void print_finding(FILE *f, const vios_audit_finding *x)
{
	if (!x->node[0])
		fprintf(f, "finding: %s\n", x->what);
	else if (x->seq > 0)
		fprintf(f, "finding: node %s seq %lld: %s\n", x->node, x->seq, x->what);
	else
		fprintf(f, "finding: node %s: %s\n", x->node, x->what);
}

static json_t *findings_json(const vios_audit_finding *f, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < n; i++) {
		json_t *o = json_pack("{s:s?, s:I?, s:s}", "node", f[i].node[0] ? f[i].node : NULL, "seq",
				      (json_int_t)f[i].seq, "what", f[i].what);
		if (o && f[i].seq == 0)
			json_object_set_new(o, "seq", json_null());
		json_array_append_new(arr, o);
	}
	return arr;
}

static int findings_error(size_t n)
{
	vios_error_set(VIOS_ERR_BUNDLE, "%zu finding%s: the repository does not verify (one line each above)", n,
		       n == 1 ? "" : "s");
	return VIOS_EVERIFY;
}

/*
 * With the auditor's node unlocked (NULL: nothing to do), every op its
 * keys decrypt is classified against the mandate of its covenant version:
 * each refused bundle becomes a finding (vios_audit_mandate).
 */
static int classify(vios_audit *a, const vios_node *node)
{
	vios_audit_replay_report rep;

	return node ? vios_audit_mandate(&rep, a, node) : 0;
}

/* ---- verify ------------------------------------------------------------------- */

static int audit_verify(vios_cli *cli, const audit_args *args)
{
	vios_audit *a = NULL;
	vios_node *node = NULL;
	vios_audit_summary sum;
	const vios_audit_finding *f;
	size_t n;
	int error, written = 0;

	if ((error = audit_start(&a, &node, cli, args, 0)) < 0)
		return error;
	if ((error = vios_audit_verify(a, NULL, NULL)) < 0 || (error = classify(a, node)) < 0)
		goto done;
	f = vios_audit_findings(a, &n);
	if (n == 0 && args->checkpoint) {
		if ((error = vios_audit_checkpoint_write(a, args->checkpoint)) < 0)
			goto done;
		written = 1;
	}
	vios_audit_get_summary(&sum, a);
	if (cli->json) {
		json_t *doc = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:o, s:s?, s:b}", "root", sum.root, "root_source",
					root_source_key(sum.root_source), "registry_versions", (json_int_t)sum.registry_versions,
					"registry_version", (json_int_t)sum.registry_version, "nodes", (json_int_t)sum.nodes,
					"bundles", (json_int_t)sum.bundles, "findings", findings_json(f, n), "checkpoint",
					args->checkpoint, "checkpoint_written", written);
		if (doc == NULL) {
			error = vios_error_nomem();
			goto done;
		}
		cli_json(stdout, doc);
		json_decref(doc);
	} else {
		printf("hub root key %s (%s)\n", sum.root, root_source_text(sum.root_source));
		for (size_t i = 0; i < n; i++)
			print_finding(stdout, &f[i]);
		if (n == 0)
			printf("verified: %zu registry versions, %zu nodes, %zu bundles, no findings\n", sum.registry_versions,
			       sum.nodes, sum.bundles);
		if (written)
			printf("checkpoint %s updated\n", args->checkpoint);
	}
	if (n > 0)
		error = findings_error(n);
done:
	vios_audit_free(a);
	vios_node_free(node);
	return error;
}

/* ---- flows -------------------------------------------------------------------- */

typedef struct {
	vios_audit *a;
	json_t *rows;
} flows_ctx;

static int flow_row(void *ctx, const vios_audit_bundle *b)
{
	flows_ctx *fc = ctx;
	json_t *row, *rcpt = json_array(), *names = json_array(), *cats = json_array(), *why = json_array();
	char when[25] = "", hlc[24] = "", joined[4096] = "";
	size_t used = 0;
	int error;

	if (!rcpt || !names || !cats || !why)
		goto nomem;
	if (b->hdr) {
		vios_hlc_iso(when, b->hdr->hlc);
		if (vios_snprintf(hlc, sizeof(hlc), "%llu", (unsigned long long)b->hdr->hlc) < 0) {
			error = VIOS_ERROR;
			goto fail;
		}
		for (size_t i = 0; i < b->hdr->nrecipients; i++) {
			const vios_audit_node *n = vios_audit_find_node(fc->a, b->hdr->recipients[i]);
			const char *name = n ? n->name : b->hdr->recipients[i];
			json_array_append_new(rcpt, json_string(b->hdr->recipients[i]));
			json_array_append_new(names, json_string(name));
			/* display text for the table, which cuts it at 60
			 * characters anyway: a longer list is cut here too */
			if (used < sizeof(joined)) {
				int k = snprintf(joined + used, sizeof(joined) - used, "%s%s", i ? ", " : "", name);
				used += k > 0 ? (size_t)k : 0;
			}
		}
		if (b->hdr->categories & VIOS_CAT_BIT_THEME)
			json_array_append_new(cats, json_string("theme"));
		if (b->hdr->categories & VIOS_CAT_BIT_CASE)
			json_array_append_new(cats, json_string("case"));
		/* the GDPR markings of the fields it carries (docs/governance.md) */
		if (b->hdr->categories & VIOS_CAT_BIT_ART9)
			json_array_append_new(cats, json_string("art9"));
		if (b->hdr->categories & VIOS_CAT_BIT_ART10)
			json_array_append_new(cats, json_string("art10"));
	}
	for (size_t i = 0; i < b->nfindings; i++)
		json_array_append_new(why, json_string(b->findings[i].what));
	row = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:I, s:o, s:o, s:o, s:o?, s:o?, s:b, s:o, s:s, s:s}",
			"time", when, "hlc", hlc, "sender", b->node, "sender_name", b->sender ? b->sender->name : NULL,
			"sender_role", b->sender ? b->sender->role : NULL, "seq", (json_int_t)b->seq, "recipients", rcpt,
			"recipient_names", names, "categories", cats,
			"ops", b->hdr ? json_integer(b->hdr->ops) : NULL, "covenant_version",
			b->hdr ? json_integer(b->hdr->covenant_version) : NULL, "compliant", b->compliant, "findings", why,
			"recipients_text", joined, "compliant_text", b->compliant ? "yes" : "no");
	rcpt = names = cats = why = NULL;
	if (row == NULL)
		goto nomem;
	{
		char *c = NULL;
		size_t k;
		json_t *v;
		size_t len = 0;
		json_array_foreach(json_object_get(row, "categories"), k, v) len += strlen(json_string_value(v)) + 1;
		if ((c = calloc(1, len + 1)) == NULL) {
			json_decref(row);
			goto nomem;
		}
		json_array_foreach(json_object_get(row, "categories"), k, v) {
			if (k)
				strcat(c, ",");
			strcat(c, json_string_value(v));
		}
		json_object_set_new(row, "categories_text", json_string(c));
		free(c);
	}
	json_array_append_new(fc->rows, row);
	return 0;
nomem:
	error = vios_error_nomem();
fail:
	json_decref(rcpt);
	json_decref(names);
	json_decref(cats);
	json_decref(why);
	return error;
}

static int cmp_rows(const void *x, const void *y)
{
	json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
	const char *ha = json_string_value(json_object_get(a, "hlc")), *hb = json_string_value(json_object_get(b, "hlc"));
	unsigned long long ua = strtoull(ha, NULL, 10), ub = strtoull(hb, NULL, 10);
	int k;
	long long sa, sb;

	if (ua != ub)
		return ua < ub ? -1 : 1;
	if ((k = strcmp(json_string_value(json_object_get(a, "sender")), json_string_value(json_object_get(b, "sender")))) != 0)
		return k;
	sa = json_integer_value(json_object_get(a, "seq"));
	sb = json_integer_value(json_object_get(b, "seq"));
	return sa < sb ? -1 : sa > sb;
}

/* The strings of a JSON array joined with ';' (malloc'd; NULL on no memory). */
static char *joined(json_t *arr)
{
	char *buf = NULL;
	size_t len = 0, i;
	json_t *v;
	FILE *m = open_memstream(&buf, &len);

	if (m == NULL)
		return NULL;
	json_array_foreach(arr, i, v) fprintf(m, "%s%s", i ? ";" : "", json_string_value(v));
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int write_csv(const char *path, json_t *rows)
{
	static const char *const header[] = { "time", "sender", "sender_name", "sender_role", "recipients",
					      "categories", "ops", "covenant_version", "compliant" };
	char *buf = NULL, ops[32], cov[32];
	size_t len = 0, i;
	json_t *row;
	FILE *m = open_memstream(&buf, &len);
	int error;

	if (m == NULL)
		return vios_error_nomem();
	error = vios_csv_row(m, header, 9);
	json_array_foreach(rows, i, row) {
		char *recipients, *categories;
		const char *cells[9];
		if (error < 0)
			break;
		recipients = joined(json_object_get(row, "recipient_names"));
		categories = joined(json_object_get(row, "categories"));
		if (recipients == NULL || categories == NULL) {
			free(recipients);
			free(categories);
			error = vios_error_nomem();
			break;
		}
		if (vios_snprintf(ops, sizeof(ops), "%lld", (long long)json_integer_value(json_object_get(row, "ops"))) < 0 ||
		    vios_snprintf(cov, sizeof(cov), "%lld",
				  (long long)json_integer_value(json_object_get(row, "covenant_version"))) < 0) {
			free(recipients);
			free(categories);
			error = VIOS_ERROR;
			break;
		}
		cells[0] = json_string_value(json_object_get(row, "time"));
		cells[1] = json_string_value(json_object_get(row, "sender"));
		cells[2] = json_string_value(json_object_get(row, "sender_name"));
		cells[3] = json_string_value(json_object_get(row, "sender_role"));
		cells[4] = recipients;
		cells[5] = categories;
		cells[6] = json_is_integer(json_object_get(row, "ops")) ? ops : "";
		cells[7] = json_is_integer(json_object_get(row, "covenant_version")) ? cov : "";
		cells[8] = json_string_value(json_object_get(row, "compliant_text"));
		error = vios_csv_row(m, cells, 9);
		free(recipients);
		free(categories);
	}
	if (fclose(m) != 0 && error == 0)
		error = vios_error_nomem();
	if (error < 0) {
		free(buf);
		return error;
	}
	if (!strcmp(path, "-")) {
		error = fwrite(buf, 1, len, stdout) == len ? 0 : vios_error_os("cannot write the output");
	} else
		error = vios_file_write_atomic(path, buf, len, 0644, 1);
	free(buf);
	return error;
}

static int audit_flows(vios_cli *cli, const audit_args *args)
{
	static const cli_col cols[] = {
		{ "time", "time", 0 },         { "sender_name", "sender", 0 }, { "sender_role", "role", 0 },
		{ "seq", "seq", 0 },           { "recipients_text", "recipients", 1 },
		{ "categories_text", "categories", 0 }, { "ops", "ops", 0 },
		{ "covenant_version", "covenant", 0 }, { "compliant_text", "compliant", 0 },
		{ NULL, NULL, 0 },
	};
	vios_audit *a = NULL;
	vios_node *node = NULL;
	flows_ctx fc = { NULL, json_array() };
	json_t **sorted = NULL, *rows = NULL;
	size_t n, bad = 0;
	int error;

	if (fc.rows == NULL)
		return vios_error_nomem();
	if ((error = audit_start(&a, &node, cli, args, 0)) < 0)
		goto done;
	fc.a = a;
	if ((error = vios_audit_verify(a, flow_row, &fc)) < 0)
		goto done;
	{
		/* the mandate's findings come after the walk: they mark their rows */
		size_t f0, nf;
		const vios_audit_finding *f;
		vios_audit_findings(a, &f0);
		if ((error = classify(a, node)) < 0)
			goto done;
		f = vios_audit_findings(a, &nf);
		for (size_t k = f0; k < nf; k++) {
			size_t i;
			json_t *row;
			json_array_foreach(fc.rows, i, row) {
				if (strcmp(json_string_value(json_object_get(row, "sender")), f[k].node) != 0 ||
				    json_integer_value(json_object_get(row, "seq")) != f[k].seq)
					continue;
				json_object_set_new(row, "compliant", json_false());
				json_object_set_new(row, "compliant_text", json_string("no"));
				json_array_append_new(json_object_get(row, "findings"), json_string(f[k].what));
			}
		}
	}
	n = json_array_size(fc.rows);
	if ((sorted = calloc(n + 1, sizeof(*sorted))) == NULL || (rows = json_array()) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		sorted[i] = json_array_get(fc.rows, i);
	qsort(sorted, n, sizeof(*sorted), cmp_rows);
	for (size_t i = 0; i < n; i++) {
		json_array_append(rows, sorted[i]);
		bad += !json_is_true(json_object_get(sorted[i], "compliant"));
	}
	if (args->csv) {
		if ((error = write_csv(args->csv, rows)) < 0)
			goto done;
		if (strcmp(args->csv, "-") != 0 && !cli->json)
			printf("wrote %zu flows to %s (%zu not compliant)\n", n, args->csv, bad);
	}
	if (cli->json) {
		size_t i;
		json_t *row;
		json_array_foreach(rows, i, row) {
			json_object_del(row, "recipients_text");
			json_object_del(row, "compliant_text");
			json_object_del(row, "categories_text");
		}
		if (!args->csv || strcmp(args->csv, "-") != 0)
			cli_json(stdout, rows);
	} else if (!args->csv) {
		cli_table(stdout, rows, cols);
		printf("%zu flows, %zu not compliant%s\n", n, bad, bad ? " ('vios audit verify' names each finding)" : "");
	}
	error = 0;
done:
	free(sorted);
	json_decref(rows);
	json_decref(fc.rows);
	vios_audit_free(a);
	vios_node_free(node);
	return error;
}

/* ---- replay ------------------------------------------------------------------- */

static int audit_replay(vios_cli *cli, const audit_args *args)
{
	vios_audit *a = NULL;
	vios_node *node = NULL;
	vios_audit_replay_report rep;
	const vios_audit_node *target = NULL;
	uint64_t until = 0;
	int error;

	if (args->until && (error = vios_audit_time_parse(&until, args->until)) < 0)
		return cli_usage(cli, "--until: %s", vios_error_last());
	if ((error = audit_start(&a, &node, cli, args, 1)) < 0)
		return error;
	if ((error = vios_audit_verify(a, NULL, NULL)) < 0)
		goto done;
	if (args->for_node && (target = vios_audit_resolve_node(a, args->for_node)) == NULL) {
		error = VIOS_EUSAGE;
		goto done;
	}
	if ((error = vios_audit_replay(&rep, a, node, until, target ? target->node_id : NULL, args->category)) < 0)
		goto done;
	if (cli->json) {
		char until_iso[25] = "";
		json_t *doc;
		if (until)
			vios_hlc_iso(until_iso, VIOS_HLC_MAKE(until, 0));
		doc = json_pack("{s:s, s:s?, s:s?, s:s?, s:I, s:I, s:I, s:I}", "digest", rep.digest, "category",
				args->category, "until", until ? until_iso : NULL, "for", target ? target->node_id : NULL,
				"bundles_applied", (json_int_t)rep.applied, "ops_applied", (json_int_t)rep.ops,
				"not_for_this_node", (json_int_t)rep.not_for_me, "left_out", (json_int_t)rep.cut);
		if (doc) {
			json_object_set_new(doc, "refused", json_integer((json_int_t)rep.refused));
			json_object_set_new(doc, "held", json_integer((json_int_t)rep.held));
			json_object_set_new(doc, "log_went_back", json_integer((json_int_t)rep.log_back));
			json_object_set_new(doc, "name_check_skipped", json_integer((json_int_t)rep.name_check_skipped));
		}
		if (doc == NULL) {
			error = vios_error_nomem();
			goto done;
		}
		cli_json(stdout, doc);
		json_decref(doc);
	} else
		printf("%s\n", rep.digest);
	if (rep.name_check_skipped && !cli->json)
		fprintf(stderr, "vios: note: %zu record%s of theme text written with --no-name-check (the name guard skipped; first: %s)\n",
			rep.name_check_skipped, rep.name_check_skipped == 1 ? "" : "s", rep.first_name_check_skipped);
	if (rep.not_for_me && !cli->json)
		fprintf(stderr, "vios: note: %zu bundle%s not addressed to this node (the covenant's auditor_scope leaves them out, or they were sealed before it was enrolled or approved; a replay needs scope content): their changes are not in the digest\n",
			rep.not_for_me, rep.not_for_me == 1 ? " was" : "s were");
	if (rep.cut) {
		vios_error_set(VIOS_ERR_BUNDLE, "%zu bundle%s left out of the replay: they fail verification (first: %s); 'vios audit verify' lists every finding",
			       rep.cut, rep.cut == 1 ? "" : "s", rep.first_cut);
		error = VIOS_EVERIFY;
	} else if (rep.refused) {
		vios_error_set(VIOS_ERR_BUNDLE, "%zu bundle%s refused for the mandate and %zu held behind them, as at every node (first: %s); 'vios audit verify' lists every finding",
			       rep.refused, rep.refused == 1 ? "" : "s", rep.held, rep.first_refused);
		error = VIOS_EVERIFY;
	} else if (rep.log_back) {
		vios_error_set(VIOS_ERR_BUNDLE, "%zu bundle%s an access log that went back (first: %s); 'vios audit"
			       " verify' lists every finding", rep.log_back, rep.log_back == 1 ? " carries" : "s carry",
			       rep.first_log_back);
		error = VIOS_EVERIFY;
	}
done:
	vios_audit_free(a);
	vios_node_free(node);
	return error;
}

int cmd_audit(vios_cli *cli, int argc, char **argv)
{
	audit_args args;
	const char *verb;
	int error;

	if (argc < 2 || argv[1][0] == '-')
		return cli_usage(cli, "expected verify, flows or replay");
	verb = argv[1];
	if (strcmp(verb, "verify") != 0 && strcmp(verb, "flows") != 0 && strcmp(verb, "replay") != 0)
		return cli_usage(cli, "expected verify, flows or replay, not '%s'", verb);
	/* the verb stands in for argv[0]: getopt starts after it */
	if ((error = parse_args(&args, cli, argc - 1, argv + 1, verb)) < 0)
		return error;
	if (!strcmp(verb, "verify"))
		return audit_verify(cli, &args);
	if (!strcmp(verb, "flows"))
		return audit_flows(cli, &args);
	return audit_replay(cli, &args);
}
