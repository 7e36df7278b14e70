/*
 * cmd_sync.c - vios sync and vios hub merge's output.
 */
#include "cli/cli.h"
#include "cli/table.h"
#include "sync/git.h"
#include "sync/hub.h"
#include "sync/net.h"
#include "sync/sync.h"
#include "sync/trust.h"
#include "util/error.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define OPT_JSON 1000

/* Progress on a terminal only: objects and bytes, on one line. */
static void progress(void *ctx, const char *what, size_t done, size_t total, size_t bytes)
{
	(void)ctx;
	fprintf(stderr, "\r%s objects %zu/%zu, %zu KiB   ", what, done, total, bytes / 1024);
	if (done == total)
		fputc('\n', stderr);
}

void cli_progress_on(void)
{
	if (isatty(STDERR_FILENO))
		vios_git_set_progress(progress, NULL);
}

int cli_registry_warning(char *buf, size_t len, vios_store *st)
{
	vios_trust_fresh f;
	int error;

	if ((error = vios_trust_freshness(&f, st)) == VIOS_ENOTFOUND)
		return 0;
	if (error < 0)
		return error;
	if (f.state == VIOS_REGISTRY_EXPIRED)
		snprintf(buf, len, "the registry (version %lld) expired at %s; case data waits for a fresh registry from the hub "
			 "('vios hub registry refresh' there); theme data was still sealed and sent", f.version, f.expires_at);
	else if (f.state == VIOS_REGISTRY_EXPIRING)
		snprintf(buf, len, "the registry (version %lld) expires at %s, in %lld day%s; after that case data waits until the hub "
			 "runs 'vios hub registry refresh'", f.version, f.expires_at, (f.seconds_left + 86399) / 86400,
			 (f.seconds_left + 86399) / 86400 == 1 ? "" : "s");
	else
		return 0;
	return f.state == VIOS_REGISTRY_EXPIRED ? 2 : 1;
}

int cmd_sync(vios_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { { "via", required_argument, NULL, 'v' },
						  { "json", no_argument, NULL, OPT_JSON },
						  { NULL, 0, NULL, 0 } };
	const char *via = NULL;
	vios_sync_report rep;
	char why[400];
	int c, error, warned;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'v')
			via = optarg;
		else if (c == OPT_JSON)
			cli->json = 1;
		else
			return cli_usage(cli, "unknown option");
	}
	if (optind != argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if ((error = cli_open(cli)) < 0)
		return error;
	cli_progress_on();
	error = vios_sync(&rep, cli->store, via);
	if (vios_net_stale_cleared() > 0)
		fprintf(stderr, "vios: warning: cleared %zu lock or temporary file%s left in outbox.git by a vios that was killed\n",
			vios_net_stale_cleared(), vios_net_stale_cleared() == 1 ? "" : "s");
	if (error < 0 && error != VIOS_EVERIFY)
		return error;
	/* revoked: the refusal is the one line (exit 3), nothing was sealed or sent */
	if (error == VIOS_EVERIFY && vios_trust_may_seal(cli->store) < 0)
		return VIOS_EVERIFY;
	/* expiring: a warning; expired: the one error line of exit 3 (the bad-input rule: docs/cli-output.md),
	 * after the theme data went out and the results were printed */
	if ((warned = cli_registry_warning(why, sizeof(why), cli->store)) < 0)
		return warned;
	if (warned == 1 || (warned == 2 && error < 0))
		fprintf(stderr, "vios: warning: %s\n", why);
	if (cli->json) {
		int jerr = cli_json_out(json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s?}", "registry", rep.registry,
						  "nodes", (json_int_t)rep.nodes, "bundles", (json_int_t)rep.bundles,
						  "applied", (json_int_t)rep.applied, "ops", (json_int_t)rep.ops,
						  "exported", (json_int_t)rep.exported, "pushed", (json_int_t)rep.pushed,
						  "alarms", (json_int_t)rep.alarms, "in_quarantine", (json_int_t)rep.quarantined,
						  "registry_warning", warned ? why : NULL));
		if (jerr < 0)
			return jerr;
	} else
		printf("synced%s%s: %s%zu new bundles verified (%zu for this node, %zu changes merged), "
		       "%zu sealed, %zu sent%s\n",
		       via ? " via " : " with the hub", via ? via : "", rep.registry ? "registry verified, " : "",
		       rep.bundles, rep.applied, rep.ops, rep.exported, rep.pushed,
		       rep.alarms ? "; ALARMS, see below" : "");
	if (!cli->json && rep.quarantined)
		printf("%zu sender%s wait%s behind a bundle in quarantine (vios status)\n", rep.quarantined,
		       rep.quarantined == 1 ? "" : "s", rep.quarantined == 1 ? "s" : "");
	if (warned == 2 && error == 0) {
		vios_error_set(VIOS_ERR_INPUT, "%s", why);
		error = VIOS_EVERIFY;
	}
	return error;
}

int cli_hub_merge(vios_cli *cli, const char *via)
{
	vios_sync_report rep;
	size_t taken, given;
	int error;

	cli_progress_on();
	error = vios_hub_merge(&rep, &taken, &given, cli->store, via);
	if (error < 0 && error != VIOS_EVERIFY)
		return error;
	if (vios_hub_repack_failed())
		fprintf(stderr, "vios: warning: %s (the merge stands; the next merge tries again)\n", vios_hub_repack_failed());
	if (cli->json) {
		int jerr = cli_json_out(json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "nodes", (json_int_t)rep.nodes,
						  "bundles", (json_int_t)rep.bundles, "applied", (json_int_t)rep.applied,
						  "ops", (json_int_t)rep.ops, "quarantined", (json_int_t)rep.alarms,
						  "taken", (json_int_t)taken, "given", (json_int_t)given));
		if (jerr < 0)
			return jerr;
	} else {
		printf("hub merge%s%s: %zu nodes, %zu new bundles, %zu for the hub (%zu changes applied), %zu quarantined\n",
		       via ? " via " : "", via ? via : "", rep.nodes, rep.bundles, rep.applied, rep.ops, rep.alarms);
		if (via)
			printf("  %zu node refs taken from the stick into the hub, %zu hub refs given to the stick\n", taken, given);
	}
	return error;
}
