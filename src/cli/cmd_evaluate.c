/*
 * cmd_evaluate.c - `vios evaluate`: a school's evaluation figures over a
 * period, as text or JSON (src/store/evaluate.c computes them;
 * docs/rhythm.md, "Evaluation").
 */
#include "cli/cli.h"
#include "cli/table.h"
#include "node/vocab.h"
#include "store/evaluate.h"
#include "store/records.h"
#include "util/error.h"
#include "util/util.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define OPT_JSON 1000
#define OPT_FROM 1001
#define OPT_TO 1002

static void print_median(const char *what, json_t *m)
{
	json_t *d = json_object_get(m, "median_days");

	if (json_is_integer(d))
		printf("%-28s median %lld days (n %lld)\n", what, (long long)json_integer_value(d),
		       (long long)json_integer_value(json_object_get(m, "n")));
	else
		printf("%-28s none in the period (n 0)\n", what);
}

static void print_text(json_t *doc)
{
	json_t *sig = json_object_get(doc, "signals"), *cases = json_object_get(doc, "cases");
	json_t *agr = json_object_get(doc, "agreements"), *r, *share;
	const char *key;
	size_t i;

	printf("evaluation, %s to %s\n", json_string_value(json_object_get(doc, "from")),
	       json_string_value(json_object_get(doc, "to")));
	printf("%-28s %lld\n", "signals", (long long)json_integer_value(json_object_get(sig, "total")));
	json_array_foreach(json_object_get(sig, "themes"), i, r)
		printf("  %-26s %lld\n", json_string_value(json_object_get(r, "theme")),
		       (long long)json_integer_value(json_object_get(r, "signals")));
	print_median("signal to first discussion", json_object_get(doc, "discussion"));
	print_median("signal to a case", json_object_get(doc, "case"));
	printf("%-28s %lld\n", "cases opened", (long long)json_integer_value(json_object_get(cases, "opened")));
	for (int s = 0; s < VIOS_CASE_STATUS_COUNT; s++) {
		long long n = json_integer_value(json_object_get(json_object_get(cases, "by_status"), vios_case_status_name(s)));
		if (n)
			printf("  %-26s %lld\n", vios_case_status_name(s), n);
	}
	json_object_foreach(json_object_get(cases, "escalated_to"), key, r)
		printf("  escalated to %-13s %lld\n", key, (long long)json_integer_value(r));
	share = json_object_get(agr, "share");
	printf("%-28s %lld\n", "agreements due", (long long)json_integer_value(json_object_get(agr, "due")));
	if (json_is_number(share))
		printf("%-28s %lld (%.0f%%)\n", "  done by their due date", (long long)json_integer_value(json_object_get(agr, "on_time")),
		       json_number_value(share) * 100.0);
	else
		printf("%-28s %lld\n", "  done by their due date", (long long)json_integer_value(json_object_get(agr, "on_time")));
}

int cmd_evaluate(vios_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "from", required_argument, NULL, OPT_FROM },
		{ "to", required_argument, NULL, OPT_TO },
		{ "json", no_argument, NULL, OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	const char *from = NULL, *to = NULL;
	json_t *doc = NULL;
	char note[80];
	int c, error;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == OPT_JSON)
			cli->json = 1;
		else if (c == OPT_FROM)
			from = optarg;
		else if (c == OPT_TO)
			to = optarg;
		else
			return cli_usage(cli, "unknown option");
	}
	if (optind != argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	{ /* refused before unlocking: the period needs no store */
		char lo[8], hi[8];
		if ((error = vios_evaluate_period(lo, hi, from, to)) < 0)
			return error;
	}
	if ((error = cli_open(cli)) < 0)
		return error;
	if (vios_kind_index(cli->node->kind) != VIOS_KIND_SCHOOL) {
		vios_error_set(VIOS_ERR_INPUT, "evaluate runs at a school; this node is a %s", cli->node->kind);
		return VIOS_ERROR;
	}
	if ((error = vios_evaluate(&doc, cli->store, cli->node->node_id, from, to)) < 0)
		return error;
	if ((error = vios_snprintf(note, sizeof(note), "evaluate %s to %s (counts and medians)",
				   json_string_value(json_object_get(doc, "from")),
				   json_string_value(json_object_get(doc, "to")))) < 0 ||
	    (error = vios_store_log(cli->store, "read", "signal", NULL, note)) < 0) {
		json_decref(doc);
		return error;
	}
	if (cli->json)
		cli_json(stdout, doc);
	else
		print_text(doc);
	json_decref(doc);
	return 0;
}
