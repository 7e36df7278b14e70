/*
 * cmd_covenant.c - vios covenant: what this node has agreed to.
 *
 *   vios covenant show [--format text|markdown|json]
 *   vios covenant approve VERSION | --node NODE-ID     (cmd_consent.c)
 *
 * The covenant in force on this node, rendered by vios_covenant_render
 * (sync/covenant.c) with the enrolled nodes, and the version waiting for
 * this node's approval when the store holds a newer one.
 */
#include "cli/cli.h"
#include "cli/table.h"
#include "store/directory.h"
#include "sync/consent.h"
#include "sync/trust.h"
#include "util/error.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPT_JSON 1000

/*
 * The version of the covenant in force for this node's data: the one it
 * approved (sync/consent.h). VIOS_ENOTFOUND (with a message) before the
 * node joined a hub.
 */
static int in_force_version(vios_store *st, long long *version)
{
	return vios_consent_covenant(version, st);
}

/* Covenant `version` as the store keeps it, parsed. */
static int load_version(vios_covenant *c, vios_store *st, long long version)
{
	char *text = NULL;
	int error;

	memset(c, 0, sizeof(*c));
	if ((error = vios_store_covenant_get_version(&text, st, version)) < 0)
		return error;
	error = vios_covenant_parse(c, text, strlen(text));
	free(text);
	return error;
}

/* By kind, then name: how the nodes are listed under their party. */
static int cmp_kind_name(const void *x, const void *y)
{
	const vios_reg_node *a = x, *b = y;
	int c = strcmp(a->kind, b->kind);
	return c ? c : strcmp(a->name, b->name);
}

/* vios covenant show [--format text|markdown|json] */
static int covenant_show(vios_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { { "format", required_argument, NULL, 'f' },
						  { "json", no_argument, NULL, OPT_JSON },
						  { NULL, 0, NULL, 0 } };
	vios_covenant cur = { 0 }, pend = { 0 };
	vios_reg_node *nodes = NULL;
	const char *format = NULL;
	char *text = NULL, *ptext = NULL, *top = NULL;
	long long version, highest;
	size_t n = 0;
	int c, error;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'f')
			format = optarg;
		else if (c == OPT_JSON)
			cli->json = 1;
		else
			return cli_usage(cli, "unknown option");
	}
	if (optind != argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (format && strcmp(format, "text") && strcmp(format, "markdown") && strcmp(format, "json"))
		return cli_usage(cli, "--format takes text, markdown or json, not '%s'", format);
	if (cli->json && format && strcmp(format, "json") != 0)
		return cli_usage(cli, "--json prints JSON: it does not go with --format %s", format);
	if (cli->json)
		format = "json";
	else if (format == NULL)
		format = "text";
	/* 1. the version in force and the highest the store keeps */
	if ((error = cli_open(cli)) < 0 || (error = in_force_version(cli->store, &version)) < 0 || (error = load_version(&cur, cli->store, version)) < 0 ||
	    (error = vios_store_covenant_get(&top, cli->store)) < 0 ||
	    (error = vios_covenant_parse(&pend, top, strlen(top))) < 0)
		goto done;
	highest = pend.version;
	if (highest <= version)
		vios_covenant_dispose(&pend);
	/* 2. the page(s) */
	if (!strcmp(format, "json")) {
		json_t *p = highest > version
				    ? json_pack("{s:I, s:O}", "version", (json_int_t)pend.version, "covenant", pend.doc)
				    : json_null();
		error = cli_json_out(json_pack("{s:I, s:O, s:o*}", "version", (json_int_t)cur.version, "covenant",
					       cur.doc, "pending", p));
		goto done;
	}
	if ((error = vios_store_reg_node_list(&nodes, &n, cli->store)) < 0)
		goto done;
	if (n > 1)
		qsort(nodes, n, sizeof(*nodes), cmp_kind_name);
	if ((error = vios_covenant_render(&text, &cur, format, nodes, n)) < 0)
		goto done;
	fputs(text, stdout);
	if (highest > version) {
		if ((error = vios_covenant_render(&ptext, &pend, format, nodes, n)) < 0)
			goto done;
		printf("%sPending: version %lld (not yet approved by this node; vios covenant approve %lld)\n\n%s",
		       !strcmp(format, "markdown") ? "---\n\n" : "", pend.version, pend.version, ptext);
	}
done:
	free(text);
	free(ptext);
	free(top);
	free(nodes);
	vios_covenant_dispose(&cur);
	vios_covenant_dispose(&pend);
	return error;
}

static const struct {
	const char *name;
	int (*fn)(vios_cli *cli, int argc, char **argv);
} actions[] = {
	{ "show", covenant_show },
	{ "approve", cli_covenant_approve },
};

#define NACTIONS (sizeof(actions) / sizeof(actions[0]))

int cmd_covenant(vios_cli *cli, int argc, char **argv)
{
	char expected[128] = "expected";
	size_t used = strlen(expected);

	/* argv[0] is "covenant"; the action comes next, its options after it */
	if (argc >= 2)
		for (size_t i = 0; i < NACTIONS; i++)
			if (!strcmp(argv[1], actions[i].name))
				return actions[i].fn(cli, argc - 1, argv + 1);
	for (size_t i = 0; i < NACTIONS; i++) {
		int k = snprintf(expected + used, sizeof(expected) - used, "%s'covenant %s'",
				 i == 0 ? " " : i + 1 == NACTIONS ? " or " : ", ", actions[i].name);
		if (k < 0 || (size_t)k >= sizeof(expected) - used)
			break; /* a short table: not reached */
		used += (size_t)k;
	}
	if (argc >= 2 && argv[1][0] != '-')
		return cli_usage(cli, "unknown action '%s': %s", argv[1], expected);
	return cli_usage(cli, "%s", expected);
}
