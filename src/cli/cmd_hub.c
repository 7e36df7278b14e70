/*
 * cmd_hub.c - trust commands: hub (create, enroll, revoke, nodes, covenant
 * set, registry refresh), join and status.
 */
#include "cli/cli.h"
#include "cli/table.h"
#include "sync/checkpush.h"
#include "sync/hub.h"
#include "sync/report.h"
#include "crdt/crdt.h"
#include "store/directory.h"
#include "store/ledger.h"
#include "store/records.h"
#include "sync/trust.h"
#include "util/error.h"
#include "util/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPT_JSON 1000

/* Positional arguments after options; getopt permutes them to the end. */
static int positional(vios_cli *cli, int argc, char **argv, const struct option *extra, const char **val)
{
	struct option longopts[4];
	int c, n = 0;

	if (extra)
		longopts[n++] = *extra;
	longopts[n++] = (struct option){ "json", no_argument, NULL, OPT_JSON };
	longopts[n] = (struct option){ NULL, 0, NULL, 0 };
	while ((c = getopt_long(argc, argv, extra ? "" : "+", longopts, NULL)) != -1) {
		if (c == OPT_JSON)
			cli->json = 1;
		else if (extra && c == extra->val)
			*val = optarg;
		else
			return cli_usage(cli, "unknown option");
	}
	return optind;
}

static int read_input(uint8_t **buf, size_t *len, const char *path, size_t max)
{
	int error = vios_file_read(buf, len, path, max);

	if (error == VIOS_ECORRUPT)
		vios_error_set(VIOS_ERR_INPUT, "%s is larger than %zu bytes: not what vios expects here", path, max);
	return error;
}

enum { OUT_CSV, OUT_SVG, OUT_PDF, OUT_PNG, OUT_SUMMARY, OUT_N };

/*
 * Writes the published report in format k to path, "-" meaning standard
 * output. A file is written whole or not at all, by vios_file_write_atomic:
 * a new file beside it renamed over it, so a symbolic link at path is
 * replaced, never followed, and nothing at path is truncated before the new
 * content is complete.
 */
static int report_file(const char *path, json_t *pub, int k, vios_csv_dialect d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int error;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return vios_error_nomem();
	switch (k) {
	case OUT_CSV: error = vios_report_csv(f, pub, d); break;
	case OUT_SVG: error = vios_report_svg(f, pub); break;
	case OUT_PDF: error = vios_report_pdf(f, pub, 0); break;
	case OUT_PNG: error = vios_report_png(f, pub); break;
	default: error = vios_report_pdf(f, pub, 1); break;
	}
	if (fclose(f) != 0 && error == 0)
		error = vios_error_nomem();
	if (error == 0) {
		if (!strcmp(path, "-"))
			error = fwrite(buf, 1, len, stdout) == len && fflush(stdout) == 0
					? 0 : vios_error_os("cannot write the output");
		else
			error = vios_file_write_atomic(path, buf, len, 0644, 1);
	}
	free(buf);
	return error;
}

/* vios hub report [--from YYYY-MM] [--to YYYY-MM] [--csv FILE|-]
 *   [--csv-dialect rfc4180|excel-nl] [--svg FILE|-] [--pdf FILE|-]
 *   [--png FILE|-] [--summary FILE|-] */
static int hub_report(vios_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { { "from", required_argument, NULL, 'f' },
						   { "to", required_argument, NULL, 't' },
						   { "csv", required_argument, NULL, 'c' },
						   { "csv-dialect", required_argument, NULL, 'd' },
						   { "svg", required_argument, NULL, 's' },
						   { "pdf", required_argument, NULL, 'p' },
						   { "png", required_argument, NULL, 'g' },
						   { "summary", required_argument, NULL, 'y' },
						   { "json", no_argument, NULL, OPT_JSON },
						   { NULL, 0, NULL, 0 } };
	static const char *const names[OUT_N] = { "--csv", "--svg", "--pdf", "--png", "--summary" };
	const char *from = NULL, *to = NULL, *out[OUT_N] = { NULL };
	vios_csv_dialect dialect = VIOS_CSV_RFC4180;
	json_t *rep = NULL;
	int c, error = 0, to_stdout = 0, any = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'c': out[OUT_CSV] = optarg; break;
		case 's': out[OUT_SVG] = optarg; break;
		case 'p': out[OUT_PDF] = optarg; break;
		case 'g': out[OUT_PNG] = optarg; break;
		case 'y': out[OUT_SUMMARY] = optarg; break;
		case 'd':
			if (vios_csv_dialect_parse(&dialect, optarg) < 0)
				return cli_usage(cli, "--csv-dialect: '%s' is not rfc4180 or excel-nl", optarg);
			break;
		case OPT_JSON: cli->json = 1; break;
		default: return cli_usage(cli, "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	for (int k = 0; k < OUT_N; k++) {
		to_stdout += out[k] && !strcmp(out[k], "-");
		any += out[k] != NULL;
	}
	if (to_stdout > 1 || (to_stdout && cli->json))
		return cli_usage(cli, "only one of %s -, %s -, %s -, %s -, %s - and --json can write to standard output",
				 names[0], names[1], names[2], names[3], names[4]);
	/* the published report: exact counts stay in sync/report.c */
	if ((error = cli_open(cli)) < 0)
		return error;
	if ((error = vios_report_build(&rep, cli->store, from, to)) < 0)
		return error == VIOS_EUSAGE ? cli_usage(cli, "%s", vios_error_last()) : error;
	for (int k = 0; k < OUT_N && error == 0; k++)
		if (out[k] != NULL)
			error = report_file(out[k], rep, k, dialect);
	if (error == 0 && to_stdout) {
		/* the file went to standard output: no table after it */
	} else if (error == 0 && cli->json) {
		cli_json(stdout, rep);
	} else if (error == 0) {
		error = vios_report_text(stdout, rep);
		if (error == 0 && any) {
			printf("written:");
			for (int k = 0; k < OUT_N; k++)
				if (out[k] != NULL)
					printf(" %s", out[k]);
			putchar('\n');
		}
	}
	if (error == 0)
		error = vios_store_log(cli->store, "read", "signal_count", NULL, "hub report (counts, no personal data)");
	if (error == 0)
		error = vios_store_log(cli->store, "read", "school_figure", NULL, "hub report, steering section (figures)");
	json_decref(rep);
	return error;
}

/*
 * vios hub check-push: git's pre-receive hook. Runs in the bare repository
 * (GIT_DIR, else the current directory) with the pushed objects in
 * GIT_QUARANTINE_PATH; prints "vios hook: refused REF: WHY" per refusal.
 */
static int hub_check_push(vios_cli *cli)
{
	vios_push_update *u = NULL;
	vios_push_refusal *r = NULL;
	const char *repo = getenv("GIT_DIR");
	size_t n = 0, nr = 0;
	int error;

	if ((error = vios_push_read(&u, &n, stdin)) < 0 ||
	    (error = vios_push_check(&r, &nr, repo && *repo ? repo : ".", getenv("GIT_QUARANTINE_PATH"), u, n)) < 0)
		goto done;
	if (cli->json) {
		json_t *arr = json_array();
		for (size_t i = 0; arr && i < nr; i++)
			json_array_append_new(arr, json_pack("{s:s, s:s}", "ref", r[i].ref, "why", r[i].why));
		error = cli_json_out(json_pack("{s:i, s:o*}", "refs", (int)n, "refused", arr));
	} else {
		for (size_t i = 0; i < nr; i++)
			fprintf(stderr, "vios hook: refused %s: %s\n", r[i].ref, r[i].why);
	}
	if (error == 0 && nr > 0) {
		vios_error_set(VIOS_ERR_BUNDLE, "push refused: %zu finding%s on the pushed refs", nr, nr == 1 ? "" : "s");
		error = VIOS_EVERIFY;
	}
done:
	free(u);
	free(r);
	return error;
}

/* hub registry refresh [--valid DAYS]: the same registry, signed again with a new expiry. */
static int hub_registry(vios_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { { "valid", required_argument, NULL, 'v' },
						  { "json", no_argument, NULL, OPT_JSON },
						  { NULL, 0, NULL, 0 } };
	git_repository *repo = NULL;
	vios_registry *reg = NULL, *fresh = NULL;
	uint8_t pin[VIOS_FINGERPRINT_BYTES];
	git_oid commit;
	long days = VIOS_REGISTRY_VALID_DAYS;
	char *end;
	int c, error;

	optind = 0; /* a full reset: positional() parsed with "+" */
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == OPT_JSON)
			cli->json = 1;
		else if (c == 'v') {
			days = strtol(optarg, &end, 10);
			if (*optarg == 0 || *end || days < 1 || days > VIOS_REGISTRY_VALID_MAX)
				return cli_usage(cli, "--valid takes a number of days from 1 to %d, not '%s'", VIOS_REGISTRY_VALID_MAX, optarg);
		} else
			return cli_usage(cli, "unknown option");
	}
	if (optind + 1 != argc || strcmp(argv[optind], "refresh") != 0)
		return cli_usage(cli, "expected 'hub registry refresh [--valid DAYS]'");
	if ((error = cli_open(cli)) < 0)
		return error;
	vios_fingerprint_from_pk(pin, cli->node->sign_pub.pk);
	if ((error = vios_hub_open(&repo, &reg, cli->store)) < 0 ||
	    (error = vios_registry_refresh(&commit, repo, cli->node, reg, (int)days)) < 0 ||
	    (error = vios_registry_load(&fresh, repo, &commit, pin)) < 0 ||
	    (error = vios_trust_install(cli->store, repo, fresh, NULL, pin)) < 0 ||
	    (error = vios_store_log(cli->store, "update", "registry", cli->node->node_id, "registry refreshed")) < 0)
		goto done;
	if (cli->json)
		error = cli_json_out(json_pack("{s:I, s:s, s:s}", "registry_version", (json_int_t)fresh->version,
					       "updated_at", fresh->updated_at, "expires_at", fresh->expires_at));
	else
		printf("published registry version %lld (nodes and covenant unchanged), valid until %s\n", fresh->version,
		       fresh->expires_at);
done:
	vios_registry_free(fresh);
	vios_registry_free(reg);
	git_repository_free(repo);
	return error;
}

/* Whole days from ms to now (Unix ms); 0 for a clock ahead of this one. */
static long long days_since(int64_t ms, uint64_t now)
{
	return ms < 0 || (uint64_t)ms >= now ? 0 : (long long)((now - (uint64_t)ms) / 86400000u);
}

/* vios hub nodes: one row per node of the hub's registry (vios_hub_node_list). */
static int hub_nodes(vios_cli *cli)
{
	static const cli_col cols[] = { { "node_id", "NODE ID", 0 },     { "kind", "KIND", 0 },
					{ "role", "ROLE", 0 },           { "name", "NAME", 0 },
					{ "fingerprint", "FINGERPRINT", 0 }, { "enrolled_at", "ENROLLED", 0 },
					{ "revoked_at", "REVOKED", 0 },   { "last_seq", "LAST SEQ", 0 },
					{ "days_since_last_bundle", "DAYS SINCE", 0 }, { NULL, NULL, 0 } };
	vios_hub_node *nodes = NULL;
	json_t *rows = NULL;
	uint64_t now = vios_now_ms();
	size_t n = 0;
	int error;

	if ((error = vios_hub_node_list(&nodes, &n, cli->store)) < 0)
		goto done;
	if ((rows = json_array()) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		const vios_reg_node *r = &nodes[i].node;
		json_t *row = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:I, s:o}", "node_id", r->node_id, "kind", r->kind,
					"role", r->role, "name", r->name, "fingerprint", nodes[i].fingerprint,
					"enrolled_at", r->enrolled_at, "revoked_at", r->revoked_at[0] ? r->revoked_at : NULL,
					"last_seq", (json_int_t)nodes[i].last_seq, "days_since_last_bundle",
					nodes[i].last_ms < 0 ? json_null() : json_integer(days_since(nodes[i].last_ms, now)));
		if (row == NULL || json_array_append_new(rows, row) < 0) {
			error = vios_error_nomem();
			goto done;
		}
	}
	if (cli->json)
		cli_json(stdout, rows);
	else {
		cli_table(stdout, rows, cols);
		printf("%zu node%s; read a fingerprint back with the node's coordinator before you trust it\n", n,
		       n == 1 ? "" : "s");
	}
done:
	json_decref(rows);
	free(nodes);
	return error;
}

int cmd_hub(vios_cli *cli, int argc, char **argv)
{
	const char *act;
	uint8_t *buf = NULL;
	size_t len;
	int first, error;

	if ((first = positional(cli, argc, argv, NULL, NULL)) < 0)
		return first;
	if (first >= argc)
		return cli_usage(cli, "expected create, enroll, revoke, nodes, covenant set or registry refresh");
	act = argv[first];
	if (!strcmp(act, "check-push")) {
		if (first + 1 != argc)
			return cli_usage(cli, "expected 'hub check-push' (git's lines on stdin)");
		return hub_check_push(cli);
	}
	if (!strcmp(act, "create")) {
		char fp[VIOS_FINGERPRINT_STRLEN + 1];
		const char *path = NULL, *covfile = NULL;
		for (int i = first + 1; i < argc; i++) {
			if (!strcmp(argv[i], "--covenant") && i + 1 < argc)
				covfile = argv[++i];
			else if (!strncmp(argv[i], "--covenant=", 11))
				covfile = argv[i] + 11;
			else if (argv[i][0] != '-' && path == NULL)
				path = argv[i];
			else
				return cli_usage(cli, "expected 'hub create PATH [--covenant FILE]'");
		}
		if (path == NULL)
			return cli_usage(cli, "expected 'hub create PATH [--covenant FILE]'");
		if ((error = cli_open(cli)) < 0)
			return error;
		if (covfile && (error = read_input(&buf, &len, covfile, 65536)) < 0)
			return error;
		if (buf && memchr(buf, 0, len)) {
			free(buf);
			return cli_usage(cli, "%s is not a JSON covenant", covfile);
		}
		{
			char *text = buf ? strndup((char *)buf, len) : NULL;
			free(buf);
			buf = NULL;
			if (covfile && text == NULL)
				return vios_error_nomem();
			error = vios_hub_create_with(cli->store, path, text);
			free(text);
		}
		if (error < 0)
			return error;
		argv[first + 1] = (char *)path;
		vios_node_fingerprint(fp, cli->node);
		if (cli->json)
			return cli_json_out(json_pack("{s:s, s:s, s:i}", "hub", argv[first + 1], "fingerprint", fp,
						      "registry_version", 1));
		printf("Created hub repository %s (registry v1, %s).\n"
		       "Nodes join it with: vios join %s --hub-fingerprint %s\n", path, covfile ? "the covenant given" : "default covenant",
		       path, fp);
		return 0;
	}
	if (!strcmp(act, "nodes")) {
		if (first + 1 != argc)
			return cli_usage(cli, "expected 'hub nodes'");
		return (error = cli_open(cli)) < 0 ? error : hub_nodes(cli);
	}
	if (!strcmp(act, "enroll")) {
		vios_enroll_info info;
		char fp[VIOS_FINGERPRINT_STRLEN + 1];
		int already;
		if (first + 2 != argc)
			return cli_usage(cli, "expected 'hub enroll FILE'");
		if ((error = cli_open(cli)) < 0 || (error = read_input(&buf, &len, argv[first + 1], 65536)) < 0)
			return error;
		error = vios_hub_enroll(&info, &already, cli->store, (char *)buf, len);
		free(buf);
		if (error < 0)
			return error;
		vios_fingerprint_of_key(fp, info.sign_pub.pk);
		if (cli->json)
			return cli_json_out(json_pack("{s:s, s:s, s:s, s:s, s:b}", "node_id", info.node_id, "kind", info.kind,
						      "role", info.role, "fingerprint", fp, "already", already));
		if (already)
			printf("node %s (%s) was enrolled already with these keys; nothing changed\n", info.node_id, info.name);
		else
			printf("enrolled %s node %s \"%s\" (role %s)\n", info.kind, info.node_id, info.name, info.role);
		printf("fingerprint: %s  (read it back with the node's coordinator before you trust it)\n", fp);
		if (!already)
			printf("nodes that joined before send it nothing until each approves it: vios covenant approve --node %s\n",
			       info.node_id);
		return 0;
	}
	if (!strcmp(act, "revoke")) {
		vios_reg_node n;
		if (first + 2 != argc)
			return cli_usage(cli, "expected 'hub revoke NODE-ID|NAME'");
		if ((error = cli_open(cli)) < 0 || (error = vios_hub_revoke(&n, cli->store, argv[first + 1])) < 0)
			return error;
		if (cli->json)
			return cli_json_out(json_pack("{s:s, s:s, s:I}", "node_id", n.node_id, "revoked_at", n.revoked_at,
						      "last_seq", (json_int_t)n.last_seq));
		printf("revoked node %s \"%s\" at %s; bundles after seq %lld are refused\n", n.node_id, n.name,
		       n.revoked_at, n.last_seq);
		return 0;
	}
	if (!strcmp(act, "merge")) {
		const char *via = NULL;
		if (first + 1 == argc)
			return (error = cli_open(cli)) < 0 ? error : cli_hub_merge(cli, NULL);
		if (first + 3 == argc && !strcmp(argv[first + 1], "--via"))
			via = argv[first + 2];
		else if (first + 2 == argc && !strncmp(argv[first + 1], "--via=", 6))
			via = argv[first + 1] + 6;
		else
			return cli_usage(cli, "expected 'hub merge [--via PATH|URL]'");
		return (error = cli_open(cli)) < 0 ? error : cli_hub_merge(cli, via);
	}
	if (!strcmp(act, "report"))
		return hub_report(cli, argc - first, argv + first);
	if (!strcmp(act, "covenant")) {
		vios_covenant c;
		if (first + 3 != argc || strcmp(argv[first + 1], "set") != 0)
			return cli_usage(cli, "expected 'hub covenant set FILE'");
		if ((error = cli_open(cli)) < 0 || (error = read_input(&buf, &len, argv[first + 2], 65536)) < 0)
			return error;
		error = vios_hub_covenant_set(&c, cli->store, (char *)buf, len);
		free(buf);
		if (error < 0)
			return error;
		if (cli->json)
			error = cli_json_out(json_pack("{s:I}", "covenant_version", (json_int_t)c.version));
		else
			printf("published covenant version %lld\n", c.version);
		vios_covenant_dispose(&c);
		return error;
	}
	if (!strcmp(act, "registry"))
		return hub_registry(cli, argc - first, argv + first);
	return cli_usage(cli, "unknown action '%s' (create, enroll, revoke, nodes, covenant set or registry refresh)", act);
}

int cmd_join(vios_cli *cli, int argc, char **argv)
{
	const struct option fpopt = { "hub-fingerprint", required_argument, NULL, 'f' };
	const char *fp = NULL;
	vios_registry *reg = NULL;
	int first, error;

	if ((first = positional(cli, argc, argv, &fpopt, &fp)) < 0)
		return first;
	if (first + 1 != argc || fp == NULL)
		return cli_usage(cli, "expected 'join URL|PATH --hub-fingerprint FP'");
	if ((error = cli_open(cli)) < 0 || (error = vios_trust_join(&reg, cli->store, argv[first], fp)) < 0)
		return error;
	if (cli->json)
		error = cli_json_out(json_pack("{s:I, s:I, s:I}", "registry_version", (json_int_t)reg->version,
					       "covenant_version", (json_int_t)reg->covenant.version, "nodes",
					       (json_int_t)reg->n));
	else
		printf("joined the hub at %s: registry v%lld verified (%zu nodes), covenant version %lld\n", argv[first],
		       reg->version, reg->n, reg->covenant.version);
	vios_registry_free(reg);
	return error;
}

/* By kind, then name: how status lists the registry. */
static int cmp_kind_name(const void *x, const void *y)
{
	const vios_reg_node *a = x, *b = y;
	int c = strcmp(a->kind, b->kind);
	return c ? c : strcmp(a->name, b->name);
}

/* The registry's nodes with the last seq this node verified from each (null when none). */
static int status_nodes(json_t **out, vios_store *st)
{
	vios_reg_node *nodes = NULL;
	json_t *arr = json_array();
	size_t n = 0;
	int error;

	if (arr == NULL)
		return vios_error_nomem();
	if ((error = vios_store_reg_node_list(&nodes, &n, st)) < 0)
		goto done;
	if (n > 1)
		qsort(nodes, n, sizeof(*nodes), cmp_kind_name);
	for (size_t i = 0; i < n && error == 0; i++) {
		long long last = 0;
		char hash[65];
		if ((error = vios_ledger_peer_get(&last, hash, st, nodes[i].node_id)) < 0)
			break;
		if (json_array_append_new(arr, json_pack("{s:s, s:s, s:s?, s:s, s:s?, s:o}", "node_id", nodes[i].node_id,
							 "kind", nodes[i].kind, "role", nodes[i].role[0] ? nodes[i].role : NULL,
							 "name", nodes[i].name,
							 "revoked_at", nodes[i].revoked_at[0] ? nodes[i].revoked_at : NULL,
							 "seq_seen", last ? json_integer(last) : json_null())) < 0)
			error = vios_error_nomem();
	}
done:
	free(nodes);
	if (error < 0)
		json_decref(arr);
	else
		*out = arr;
	return error;
}

int cmd_status(vios_cli *cli, int argc, char **argv)
{
	static const char *const keys[] = { "hub_url", "hub_fingerprint", "registry_version", "registry_updated_at",
					     "registry_expires_at", "hub_repo", "last_sync", "last_sync_via", NULL };
	json_t *doc = json_object(), *nodes = NULL;
	vios_covenant cov;
	int first, error;

	if (doc == NULL)
		return vios_error_nomem();
	if ((first = positional(cli, argc, argv, NULL, NULL)) < 0) {
		json_decref(doc);
		return first;
	}
	if (first != argc) {
		json_decref(doc);
		return cli_usage(cli, "unexpected argument '%s'", argv[first]);
	}
	if ((error = cli_open(cli)) < 0) {
		json_decref(doc);
		return error;
	}
	json_object_set_new(doc, "node_id", json_string(cli->node->node_id));
	for (const char *const *k = keys; *k; k++) {
		char *v = NULL;
		if ((error = vios_store_meta_get(&v, cli->store, *k)) < 0 && error != VIOS_ENOTFOUND)
			goto done;
		/* the store keeps meta values as text; a version is a number */
		if (v && !strcmp(*k, "registry_version"))
			json_object_set_new(doc, *k, json_integer(strtoll(v, NULL, 10)));
		else
			json_object_set_new(doc, *k, v ? json_string(v) : json_null());
		free(v);
	}
	{
		/* null while the registry is fresh; else the line 'vios sync' warns with */
		char why[300];
		if ((error = cli_registry_warning(why, sizeof(why), cli->store)) < 0)
			goto done;
		json_object_set_new(doc, "registry_warning", error > 0 ? json_string(why) : json_null());
	}
	if ((error = vios_trust_covenant(&cov, cli->store)) == 0) {
		json_object_set_new(doc, "covenant_version", json_integer(cov.version));
		vios_covenant_dispose(&cov);
	} else if (error == VIOS_ENOTFOUND)
		json_object_set_new(doc, "covenant_version", json_null());
	else
		goto done;
	if ((error = status_nodes(&nodes, cli->store)) < 0 || (error = cli_consent_status(doc, cli->store)) < 0)
		goto done;
	json_object_set(doc, "nodes", nodes);
	{
		/* nodes lists every registry entry; enrolled counts those not revoked */
		json_int_t revoked = 0;
		size_t i;
		json_t *n;
		json_array_foreach(nodes, i, n)
			revoked += !json_is_null(json_object_get(n, "revoked_at"));
		json_object_set_new(doc, "enrolled_nodes", json_integer((json_int_t)json_array_size(nodes) - revoked));
		json_object_set_new(doc, "revoked_nodes", json_integer(revoked));
	}
	{
		vios_ledger_counts c;
		size_t pending = 0;
		if ((error = vios_ledger_count(&c, cli->store)) < 0 ||
		    (error = vios_crdt_pending_count(&pending, cli->store)) < 0)
			goto done;
		json_object_set_new(doc, "unsent_bundles", json_integer((json_int_t)c.unpushed));
		json_object_set_new(doc, "sealed_bundles", json_integer((json_int_t)c.sealed));
		json_object_set_new(doc, "held_bundles", json_integer((json_int_t)c.held));
		json_object_set_new(doc, "pending_changes", json_integer((json_int_t)pending));
	}
	{
		/* bundles refused for the mandate, kept in quarantine, and what waits behind them */
		vios_ledger_held_group *held = NULL;
		size_t nheld = 0;
		json_t *q = json_array();
		if (q == NULL || (error = vios_ledger_held_list(&held, &nheld, cli->store)) < 0) {
			json_decref(q);
			error = q ? error : vios_error_nomem();
			goto done;
		}
		for (size_t i = 0; i < nheld; i++) {
			vios_reg_node rn;
			if (!held[i].quarantined[0])
				continue;
			json_array_append_new(q, json_pack("{s:s, s:s?, s:I, s:s, s:I}", "sender", held[i].sender, "sender_name",
							   vios_store_reg_node_get(&rn, cli->store, held[i].sender) == 0 ? rn.name : NULL,
							   "seq", (json_int_t)strtoll(held[i].quarantined, NULL, 10), "reason",
							   strchr(held[i].quarantined, ':') ? strchr(held[i].quarantined, ':') + 2 : held[i].quarantined,
							   "held", (json_int_t)held[i].n));
		}
		free(held);
		json_object_set_new(doc, "quarantined", q);
	}
	if (cli->json) {
		cli_json(stdout, doc);
	} else {
		const char *url = json_string_value(json_object_get(doc, "hub_url"));
		printf("node          %s (%s \"%s\")\n", cli->node->node_id, cli->node->kind, cli->node->name);
		if (url == NULL) {
			printf("hub           none yet: run 'vios join URL --hub-fingerprint FP'\n");
		} else {
			printf("hub           %s\nfingerprint   %s (pinned)\nregistry      version %lld, verified, updated %s, expires %s\n"
			       "covenant      version %lld\nnodes         %lld enrolled, %lld revoked\n",
			       url, json_string_value(json_object_get(doc, "hub_fingerprint")),
			       (long long)json_integer_value(json_object_get(doc, "registry_version")),
			       json_string_value(json_object_get(doc, "registry_updated_at")),
			       json_string_value(json_object_get(doc, "registry_expires_at")) ?: "(unknown)",
			       (long long)json_integer_value(json_object_get(doc, "covenant_version")),
			       (long long)json_integer_value(json_object_get(doc, "enrolled_nodes")),
			       (long long)json_integer_value(json_object_get(doc, "revoked_nodes")));
			if (json_string_value(json_object_get(doc, "registry_warning")))
				printf("warning       %s\n", json_string_value(json_object_get(doc, "registry_warning")));
			cli_consent_status_print(doc);
		}
		printf("changes       %lld not sealed yet, %lld bundles sealed, %lld not sent yet\n",
		       (long long)json_integer_value(json_object_get(doc, "pending_changes")),
		       (long long)json_integer_value(json_object_get(doc, "sealed_bundles")),
		       (long long)json_integer_value(json_object_get(doc, "unsent_bundles")));
		printf("last sync     %s%s%s\n", json_string_value(json_object_get(doc, "last_sync")) ?: "never",
		       json_string_value(json_object_get(doc, "last_sync_via")) ? ", by USB stick " : "",
		       json_string_value(json_object_get(doc, "last_sync_via")) ?: "");
		if (json_integer_value(json_object_get(doc, "held_bundles")))
			printf("held          %lld bundles wait for an earlier seq\n",
			       (long long)json_integer_value(json_object_get(doc, "held_bundles")));
		{
			size_t i;
			json_t *q;
			json_array_foreach(json_object_get(doc, "quarantined"), i, q)
				printf("quarantined   %s seq %lld (%lld held in all): %s\n",
				       json_string_value(json_object_get(q, "sender_name")) ?: json_string_value(json_object_get(q, "sender")),
				       (long long)json_integer_value(json_object_get(q, "seq")),
				       (long long)json_integer_value(json_object_get(q, "held")),
				       json_string_value(json_object_get(q, "reason")));
		}
		{
			size_t i;
			json_t *n;
			printf("peers         kind     role             name                     last seq verified\n");
			json_array_foreach(nodes, i, n) {
				char seq[24] = "-";
				if (json_is_integer(json_object_get(n, "seq_seen")) &&
				    (error = vios_snprintf(seq, sizeof(seq), "%lld",
							   (long long)json_integer_value(json_object_get(n, "seq_seen")))) < 0)
					goto done;
				printf("              %-8s %-16s %-24s %s%s\n", json_string_value(json_object_get(n, "kind")),
				       json_string_value(json_object_get(n, "role")), json_string_value(json_object_get(n, "name")),
				       seq, json_is_null(json_object_get(n, "revoked_at")) ? "" : " (revoked)");
			}
		}
	}
	error = 0;
done:
	json_decref(nodes);
	json_decref(doc);
	return error;
}
