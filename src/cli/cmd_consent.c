/*
 * cmd_consent.c - `vios covenant approve` and what `vios status` says about
 * approvals (sync/consent.h, docs/governance.md).
 */
#include "cli/cli.h"
#include "cli/table.h"
#include "sync/consent.h"
#include "util/error.h"
#include "util/json.h"
#include "util/util.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_covenant_approve(vios_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "node", required_argument, NULL, 'n' }, { NULL, 0, NULL, 0 } };
	const char *node = NULL;
	char *end = NULL;
	long long version = 0;
	int c, error;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'n')
			node = optarg;
		else
			return cli_usage(cli, "unknown option '%s' (expected 'covenant approve VERSION' or 'covenant approve --node NODE-ID')",
					 argv[optind - 1]);
	}
	if (node != NULL) {
		if (optind != argc)
			return cli_usage(cli, "give either a VERSION or --node NODE-ID, not both");
		if (!vios_uuid_valid(node))
			return cli_usage(cli, "'%s' is not a node id ('vios status' lists the nodes waiting)", node);
		if ((error = cli_open(cli)) < 0 || (error = vios_consent_approve_node(cli->store, node)) < 0)
			return error;
		if (cli->json)
			return cli_json_out(json_pack("{s:s, s:b}", "approved_node", node, "published", 0));
		printf("approved node %s as a recipient of this node's data; 'vios sync' publishes the approval and sends it what it may hold\n",
		       node);
		return 0;
	}
	if (optind + 1 != argc)
		return cli_usage(cli, "expected 'covenant approve VERSION' or 'covenant approve --node NODE-ID'");
	version = strtoll(argv[optind], &end, 10);
	if (end == argv[optind] || *end || version < 1)
		return cli_usage(cli, "'%s' is not a covenant version", argv[optind]);
	if ((error = cli_open(cli)) < 0 || (error = vios_consent_approve_covenant(cli->store, version)) < 0)
		return error;
	if (cli->json)
		return cli_json_out(json_pack("{s:I, s:b}", "approved_covenant", (json_int_t)version, "published", 0));
	printf("approved covenant version %lld for this node's data; 'vios sync' publishes the approval and seals under it\n",
	       version);
	return 0;
}

int cli_consent_status(json_t *doc, vios_store *st)
{
	vios_consent_pending p;
	json_t *nodes = json_array(), *o;
	int error;

	if (nodes == NULL)
		return vios_error_nomem();
	if ((error = vios_consent_pending_get(&p, st)) < 0) {
		json_decref(nodes);
		return error;
	}
	for (size_t i = 0; i < p.nnodes; i++)
		json_array_append_new(nodes, json_pack("{s:s, s:s, s:s, s:s}", "node_id", p.nodes[i].node_id, "kind",
						       p.nodes[i].kind, "role", p.nodes[i].role, "name", p.nodes[i].name));
	o = json_pack("{s:o, s:o, s:o}", "approved_covenant", p.approved ? json_integer(p.approved) : json_null(),
		      "covenant", p.covenant ? json_integer(p.covenant) : json_null(), "nodes", nodes);
	vios_consent_pending_dispose(&p);
	if (o == NULL)
		return vios_error_nomem();
	json_object_set_new(doc, "approval_pending", o);
	return 0;
}

void cli_consent_status_print(const json_t *doc)
{
	const json_t *p = json_object_get(doc, "approval_pending"), *n;
	const json_t *nodes = json_object_get(p, "nodes");
	size_t i;

	if (p == NULL)
		return;
	if (json_is_integer(json_object_get(p, "approved_covenant")))
		printf("approved      covenant version %lld (this node's data is sealed under it)\n",
		       (long long)json_integer_value(json_object_get(p, "approved_covenant")));
	if (json_is_integer(json_object_get(p, "covenant")))
		printf("approval      pending: covenant version %lld waits for this node's approval ('vios covenant show', then 'vios covenant approve %lld')\n",
		       (long long)json_integer_value(json_object_get(p, "covenant")),
		       (long long)json_integer_value(json_object_get(p, "covenant")));
	json_array_foreach(nodes, i, n)
		printf("approval      pending: node %s (%s%s%s \"%s\") receives nothing of this node's until 'vios covenant approve --node %s'\n",
		       json_string_value(json_object_get(n, "node_id")), json_string_value(json_object_get(n, "kind")),
		       *json_string_value(json_object_get(n, "role")) ? ", role " : "", json_string_value(json_object_get(n, "role")),
		       json_string_value(json_object_get(n, "name")), json_string_value(json_object_get(n, "node_id")));
}
