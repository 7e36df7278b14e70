/*
 * cmd_keys.c - `vios keys rotate|list|export`: this node's epoch keys
 * (store/epoch.h; docs/lifecycle.md, "Epoch keys"). list never shows a
 * secret; export writes the live secret keys for stock `age -d` and is
 * written to the access log first, as `identity export --secret` is.
 */
#include "cli/cli.h"
#include "cli/table.h"
#include "crypto/age.h"
#include "store/epoch.h"
#include "util/error.h"
#include "util/util.h"

#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int keys_rotate(vios_cli *cli)
{
	vios_epoch_report rep;
	json_t *list = NULL, *cur;
	const char *rcpt;
	int error;

	if ((error = vios_epoch_maintain(&rep, cli->store, 1)) < 0)
		return error;
	if ((error = vios_epoch_list(&list, cli->store)) < 0)
		return error;
	cur = json_array_get(list, json_array_size(list) - 1);
	rcpt = json_string_value(json_object_get(cur, "recipient")) ?: "";
	{
		char why[160];
		snprintf(why, sizeof(why), "epoch %lld started (vios keys rotate)", rep.current);
		if ((error = vios_store_log(cli->store, "create", "epoch", cli->node->node_id, why)) < 0)
			goto done;
	}
	if (cli->json) {
		json_t *d = json_array();
		for (size_t i = 0; d && i < rep.ndestroyed; i++)
			json_array_append_new(d, json_integer(rep.destroyed[i]));
		error = cli_json_out(json_pack("{s:I, s:s, s:b, s:b, s:o, s:o}", "epoch", (json_int_t)rep.current, "recipient", rcpt,
					       "held_blocks_destruction", rep.held, "awaiting_announcement", rep.awaiting_announce,
					       "previous_destroyed_after",
					       rep.next_destroy[0] ? json_string(rep.next_destroy) : json_null(), "destroyed",
					       d ? d : json_array()));
		goto done;
	}
	printf("epoch %lld started; recipient %s; ", rep.current, rcpt);
	if (rep.next_destroy[0])
		printf("epoch %lld will be destroyed after %s\n", rep.current - 1, rep.next_destroy);
	else if (rep.awaiting_announce)
		printf("earlier epochs are destroyed %d days after 'vios sync' announces epoch %lld\n", VIOS_EPOCH_GRACE_DAYS,
		       rep.current);
	else
		printf("no earlier epoch key is left to destroy\n");
	for (size_t i = 0; i < rep.ndestroyed; i++)
		printf("epoch %lld destroyed\n", rep.destroyed[i]);
	if (rep.held)
		printf("no epoch key is destroyed while bundles are held undecrypted ('vios status' lists them)\n");
	cli_wal_warning(rep.wal_busy, "the destroyed keys'");
	printf("'vios sync' announces it; partners seal to it from their next sync\n");
done:
	json_decref(list);
	return error;
}

static int keys_list(vios_cli *cli)
{
	json_t *list = NULL, *e;
	size_t i;
	int error;

	if ((error = vios_epoch_list(&list, cli->store)) < 0)
		return error;
	if (cli->json)
		return cli_json_out(json_pack("{s:o}", "epochs", list));
	printf("%-6s %-20s %-20s %-20s %s\n", "epoch", "started", "ended", "destroyed", "recipient");
	json_array_foreach(list, i, e) {
		const char *s = json_string_value(json_object_get(e, "started")),
			   *en = json_string_value(json_object_get(e, "ended")),
			   *d = json_string_value(json_object_get(e, "destroyed"));
		printf("%-6lld %-20s %-20s %-20s %s\n", (long long)json_integer_value(json_object_get(e, "n")),
		       s ? s : (json_integer_value(json_object_get(e, "n")) == 0 ? "(identity)" : "-"), en ? en : "-",
		       d ? d : "-", json_string_value(json_object_get(e, "recipient")));
	}
	json_decref(list);
	return 0;
}

/* Every live secret key, one age identity line each, to path (0600). */
static int keys_export(vios_cli *cli, const char *path, int force)
{
	uint8_t **ids = NULL;
	size_t nids = 0, cap, len = 0;
	char *text = NULL, rd[PATH_MAX], rp[PATH_MAX];
	int error;

	{
		/* the file or, when it does not exist yet, its directory */
		char parent[PATH_MAX];
		const char *slash = strrchr(path, '/');
		if (realpath(path, rp) == NULL) {
			if (vios_snprintf(parent, sizeof(parent), "%.*s", slash ? (int)(slash - path) : 1, slash ? (slash == path ? "/" : path) : ".") < 0)
				return VIOS_EUSAGE;
			if (realpath(parent, rp) == NULL)
				rp[0] = '\0';
		}
	}
	if (realpath(cli->home, rd) != NULL && rp[0] && !strncmp(rp, rd, strlen(rd)) &&
	    (rp[strlen(rd)] == '\0' || rp[strlen(rd)] == '/')) {
		vios_error_set(VIOS_ERR_INPUT, "refusing to write secret keys inside the encrypted home %s; choose a path outside it", cli->home);
		return VIOS_EUSAGE;
	}
	if ((error = vios_epoch_keys(&ids, &nids, NULL, cli->store)) < 0)
		return error;
	cap = 128 + nids * (VIOS_AGE_IDENTITY_LEN + 2);
	if ((text = sodium_malloc(cap)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	len = (size_t)snprintf(text, cap, "# vios node %s: its %zu live secret key%s (epoch keys)\n", cli->node->node_id, nids,
			       nids == 1 ? "" : "s");
	for (size_t i = 0; i < nids; i++) {
		if ((error = vios_age_identity_format(text + len, cap - len, ids[i])) < 0)
			goto done;
		len += strlen(text + len);
		text[len++] = '\n';
		text[len] = '\0';
	}
	{
		char why[PATH_MAX + 64];
		if ((error = vios_snprintf(why, sizeof(why), "%zu live secret keys written to %s", nids, path)) < 0 ||
		    (error = vios_store_log(cli->store, "export", "keys", cli->node->node_id, why)) < 0)
			goto done;
	}
	error = vios_file_write_atomic(path, text, len, 0600, force);
	if (error == VIOS_EEXISTS)
		vios_error_set(VIOS_ERR_INPUT, "%s exists; use --force to replace it", path);
	if (error == 0)
		fprintf(stderr, "vios: wrote %zu live secret key%s of node %s to %s (mode 0600); delete it when done\n", nids,
			nids == 1 ? "" : "s", cli->node->node_id, path);
	if (error == 0 && cli->json)
		error = cli_json_out(json_pack("{s:s, s:I, s:s}", "node_id", cli->node->node_id, "keys", (json_int_t)nids,
					       "file", path));
done:
	if (text)
		sodium_memzero(text, cap);
	sodium_free(text);
	vios_epoch_keys_free(ids, nids);
	return error;
}

int cmd_keys(vios_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "output", required_argument, NULL, 'o' },
					      { "force", no_argument, NULL, 'f' },
					      { "secret", no_argument, NULL, 's' },
					      { NULL, 0, NULL, 0 } };
	const char *sub = argc > 1 ? argv[1] : NULL, *out = NULL;
	int c, force = 0, secret = 0, error;

	if (sub == NULL)
		return cli_usage(cli, "expected 'keys rotate', 'keys list' or 'keys export --secret -o FILE'");
	optind = 2;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+o:", opts, NULL)) != -1) {
		if (c == 'o')
			out = optarg;
		else if (c == 'f')
			force = 1;
		else if (c == 's')
			secret = 1;
		else
			return cli_usage(cli, "unknown option '%s'", argv[optind - 1]);
	}
	if (optind != argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (!strcmp(sub, "rotate") && !out && !secret && !force)
		return (error = cli_open(cli)) < 0 ? error : keys_rotate(cli);
	if (!strcmp(sub, "list") && !out && !secret && !force)
		return (error = cli_open(cli)) < 0 ? error : keys_list(cli);
	if (!strcmp(sub, "export")) {
		if (!secret || out == NULL)
			return cli_usage(cli, "expected 'keys export --secret -o FILE [--force]'");
		return (error = cli_open(cli)) < 0 ? error : keys_export(cli, out, force);
	}
	return cli_usage(cli, "expected 'keys rotate', 'keys list' or 'keys export --secret -o FILE'");
}
