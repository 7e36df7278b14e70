/*
 * cmd_crdt.c - `vios digest` and `vios conflicts`: the merge state as a
 * user or an auditor sees it (src/crdt does the work).
 */
#include "cli/cli.h"
#include "cli/table.h"
#include "crdt/crdt.h"
#include "util/error.h"
#include "util/util.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define OPT_JSON 1000
#define OPT_CATEGORY 1001

int cmd_digest(vios_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "category", required_argument, NULL, OPT_CATEGORY },
		{ "json", no_argument, NULL, OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	const char *cat = NULL;
	char hex[65];
	int c, error;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == OPT_JSON)
			cli->json = 1;
		else if (c == OPT_CATEGORY)
			cat = optarg;
		else
			return cli_usage(cli, "unknown option");
	}
	if (optind != argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (cat && strcmp(cat, "theme") != 0 && strcmp(cat, "case") != 0)
		return cli_usage(cli, "--category takes theme or case, not '%s'", cat);
	if ((error = cli_open(cli)) < 0 || (error = vios_crdt_digest(hex, cli->store, cat)) < 0)
		return error;
	if (cli->json) {
		json_t *doc = json_pack("{s:s, s:s?}", "digest", hex, "category", cat);
		if (doc == NULL)
			return vios_error_nomem();
		cli_json(stdout, doc);
		json_decref(doc);
	} else {
		printf("%s\n", hex);
	}
	return 0;
}

int cmd_conflicts(vios_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	static const cli_col cols[] = {
		{ "table", "TABLE", 0 },	      { "record", "RECORD", 0 },
		{ "column", "COLUMN", 0 },	      { "value", "LOSING VALUE", 0 },
		{ "node", "LOSING NODE", 0 },	      { "winner_node", "WINNING NODE", 0 },
		{ "at", "WHEN", 0 },		      { NULL, NULL, 0 },
	};
	json_t *rows = NULL;
	char why[64];
	int c, error;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == OPT_JSON)
			cli->json = 1;
		else
			return cli_usage(cli, "unknown option");
	}
	if (optind != argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if ((error = cli_open(cli)) < 0 || (error = vios_crdt_conflicts(&rows, cli->store)) < 0)
		return error;
	/* losing values are record content: the read is logged like any list */
	if ((error = vios_snprintf(why, sizeof(why), "conflicts, %zu rows", json_array_size(rows))) < 0 ||
	    (error = vios_store_log(cli->store, "read", "conflicts", NULL, why)) < 0)
		goto done;
	if (cli->json)
		cli_json(stdout, rows);
	else
		cli_table(stdout, rows, cols);
done:
	json_decref(rows);
	return error;
}
