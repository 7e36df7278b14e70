/*
 * cmd_lifecycle.c - the end of a record's life: `vios pupil erase` (the
 * pupil dispatcher in cmd_records.c calls cmd_pupil_erase) and
 * `vios retention run` (docs/lifecycle.md). src/crdt/erase.c and
 * sync/retention.c do the work; this file reads options and prints.
 */
#include "cli/cli.h"
#include "cli/text.h"
#include "cli/table.h"
#include "crdt/crdt.h"
#include "sync/retention.h"
#include "util/error.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define OPT_JSON 1000
#define OPT_REASON 1001

/* Plural words per synced table, in vios_crdt_tables order. */
static const char *table_word(const char *tbl)
{
	static const char *const map[][2] = { { "pupil", "pupils" },	    { "signal", "signals" },
					      { "trend", "trends" },	    { "meeting", "meetings" },
					      { "case_file", "cases" },	    { "agreement", "agreements" },
					      { "signal_count", "signal_counts" }, { "school_figure", "school_figures" } };
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i][0], tbl))
			return map[i][1];
	return tbl;
}

/* "M signals, K cases, ..." for the tables with rows erased (skip: a table
 * left out, or NULL), into buf; the counts per table into obj when not NULL. */
static void erased_words(char *buf, size_t len, json_t *obj, const vios_crdt_erased *e, const char *skip)
{
	const char *const *tables = vios_crdt_tables();
	size_t used = 0;

	buf[0] = 0;
	for (int t = 0; tables[t]; t++) {
		if (obj)
			json_object_set_new(obj, table_word(tables[t]), json_integer((json_int_t)e->n[t]));
		if (e->n[t] == 0 || (skip && !strcmp(skip, tables[t])))
			continue;
		int k = snprintf(buf + used, len - used, "%s%zu %s", used ? ", " : "", e->n[t], table_word(tables[t]));
		if (k < 0 || (size_t)k >= len - used)
			break;
		used += (size_t)k;
	}
}

int cmd_pupil_erase(vios_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "reason", required_argument, NULL, OPT_REASON },
		{ "json", no_argument, NULL, OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	vios_crdt_erased e;
	const char *reason = NULL, *id;
	char words[400];
	int c, error;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == OPT_JSON)
			cli->json = 1;
		else if (c == OPT_REASON) {
			if ((error = cli_text(&reason, cli, "reason", optarg)) < 0)
				return error;
		}
		else
			return cli_usage(cli, "unknown option");
	}
	/* argv ends with the action word; the one word before it is the id */
	if (optind + 2 != argc)
		return cli_usage(cli, "expected 'pupil erase ID --reason TEXT'");
	if (reason == NULL || reason[strspn(reason, " \t")] == 0)
		return cli_usage(cli, "pupil erase needs --reason TEXT (it goes to the access log only)");
	id = argv[optind];
	if ((error = cli_open(cli)) < 0 || (error = vios_crdt_erase_pupil(&e, cli->store, id, reason)) < 0)
		return error;
	cli_wal_warning(e.wal_busy, "the erased records'");
	if (cli->json) {
		json_t *counts = json_object();
		if (counts == NULL)
			return vios_error_nomem();
		erased_words(words, sizeof(words), counts, &e, NULL);
		return cli_json_out(json_pack("{s:s, s:I, s:o}", "erased", id, "records", (json_int_t)e.total,
					      "counts", counts));
	}
	erased_words(words, sizeof(words), NULL, &e, "pupil");
	printf("pupil %s erased: %zu record%s%s%s%s\n", id, e.total, e.total == 1 ? "" : "s", words[0] ? " (" : "",
	       words, words[0] ? ")" : "");
	return 0;
}

int cmd_retention(vios_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	vios_crdt_erased e;
	long long months[2] = { 0, 0 };
	char words[400];
	int c, error;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == OPT_JSON)
			cli->json = 1;
		else
			return cli_usage(cli, "unknown option");
	}
	if (optind + 1 != argc || strcmp(argv[optind], "run") != 0)
		return cli_usage(cli, "expected 'retention run'");
	if ((error = cli_open(cli)) < 0 || (error = vios_retention_run(&e, months, cli->store)) < 0)
		return error;
	cli_wal_warning(e.wal_busy, "the erased records'");
	if (cli->json) {
		json_t *counts = json_object();
		if (counts == NULL)
			return vios_error_nomem();
		erased_words(words, sizeof(words), counts, &e, NULL);
		return cli_json_out(json_pack("{s:I, s:I, s:I, s:o}", "theme_months", (json_int_t)months[0],
					      "case_months", (json_int_t)months[1], "erased", (json_int_t)e.total,
					      "counts", counts));
	}
	erased_words(words, sizeof(words), NULL, &e, NULL);
	printf("retention (theme %lld months, case %lld months): erased %zu record%s%s%s%s\n", months[0], months[1],
	       e.total, e.total == 1 ? "" : "s", words[0] ? " (" : "", words, words[0] ? ")" : "");
	return 0;
}
