/*
 * cmd_bundle.c - export, import and bundle inspect.
 */
#include "sync/bundle.h"
#include "cli/cli.h"
#include "cli/table.h"
#include "sync/report.h"
#include "sync/sync.h"
#include "crdt/crdt.h"
#include "store/ledger.h"
#include "store/records.h"
#include "sync/trust.h"
#include "util/error.h"
#include "util/util.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPT_JSON 1000

static int json_only(vios_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { { "json", no_argument, NULL, OPT_JSON }, { NULL, 0, NULL, 0 } };
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c != OPT_JSON)
			return cli_usage(cli, "unknown option");
		cli->json = 1;
	}
	return optind;
}

int cmd_export(vios_cli *cli, int argc, char **argv)
{
	vios_export_report rep;
	int first, error;

	if ((first = json_only(cli, argc, argv)) < 0)
		return first;
	if (first != argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[first]);
	if ((error = cli_open(cli)) < 0 || (error = vios_sync_export(&rep, cli->store)) < 0)
		return error;
	if (cli->json)
		return cli_json_out(json_pack("{s:I, s:I}", "bundles", (json_int_t)rep.bundles, "ops", (json_int_t)rep.ops));
	if (rep.bundles == 0)
		printf("nothing to export: no changes since the last bundle\n");
	else
		printf("sealed %zu bundle%s (%zu changes) into the outbox; 'vios sync' sends them\n", rep.bundles,
		       rep.bundles == 1 ? "" : "s", rep.ops);
	return 0;
}

/* Reads FILE and FILE.minisig. */
static int read_pair(uint8_t **age, size_t *agelen, uint8_t **sig, size_t *siglen, const char *path)
{
	char sigpath[PATH_MAX];
	int error;

	*age = *sig = NULL;
	if (vios_snprintf(sigpath, sizeof(sigpath), "%s.minisig", path) < 0)
		return VIOS_EUSAGE;
	if ((error = vios_file_read(age, agelen, path, VIOS_BUNDLE_MAX_AGE)) < 0)
		return error;
	if ((error = vios_file_read(sig, siglen, sigpath, VIOS_BUNDLE_SIG_MAX)) < 0) {
		if (error == VIOS_ENOTFOUND)
			vios_error_set(VIOS_ERR_INPUT, "%s has no signature beside it (%s); refused", path, sigpath);
		free(*age);
		*age = NULL;
		return error == VIOS_ENOTFOUND ? VIOS_EVERIFY : error;
	}
	return 0;
}

int cmd_import(vios_cli *cli, int argc, char **argv)
{
	json_t *results = json_array();
	size_t held_now = 0, skipped = 0;
	int first, error = 0;

	if (results == NULL)
		return vios_error_nomem();
	if ((first = json_only(cli, argc, argv)) < 0) {
		json_decref(results);
		return first;
	}
	if (first == argc) {
		json_decref(results);
		return cli_usage(cli, "expected one or more FILE.age");
	}
	if ((error = cli_open(cli)) < 0) {
		json_decref(results);
		return error;
	}
	/*
	 * The files in the order sync takes bundles: each pass imports what it
	 * can (a bundle that changes a record another file brings waits);
	 * when nothing moves, the waiting bundle sealed first is taken as it is.
	 */
	unsigned char *done = calloc((size_t)(argc - first), 1);
	if (done == NULL) {
		json_decref(results);
		return vios_error_nomem();
	}
	for (int left = argc - first, force = -1; left > 0 && error == 0;) {
		int i = first, moved = 0, earliest = -1;
		uint64_t first_hlc = UINT64_MAX;
		for (; i < argc && error == 0; i++) {
			uint8_t *age = NULL, *sig = NULL;
			size_t agelen, siglen;
			vios_import_result r;
			vios_reg_node sender;
			const char *what = "";

			if (done[i - first] || (force >= 0 && i != force))
				continue;
			if ((error = read_pair(&age, &agelen, &sig, &siglen, argv[i])) < 0)
				break;
			error = vios_bundle_import_flags(&r, cli->store, age, agelen, (char *)sig, siglen,
							 i == force ? 0 : VIOS_IMPORT_WAIT);
			free(age);
			free(sig);
			if (error == VIOS_EWAIT) {
				if (r.wait_hlc < first_hlc) {
					first_hlc = r.wait_hlc;
					earliest = i;
				}
				error = 0;
				continue;
			}
			done[i - first] = 1;
			left--;
			moved = 1;
			if (error < 0) {
				char *why = strdup(vios_error_last());
				vios_error_set(VIOS_ERR_BUNDLE, "%s: %s", argv[i], why ? why : "?");
				free(why);
				break;
			}
			if (vios_trust_node(&sender, cli->store, r.hdr.sender) < 0)
				strcpy(sender.name, "?");
			switch (r.status) {
			case VIOS_IMPORT_APPLIED: what = "applied"; break;
			case VIOS_IMPORT_SKIPPED: what = "not addressed to this node: chain checked, recorded"; skipped++; break;
			case VIOS_IMPORT_DUPLICATE: what = "imported before: nothing changed"; break;
			case VIOS_IMPORT_HELD: what = "held: an earlier seq of this sender is missing"; held_now++; break;
			case VIOS_IMPORT_QUARANTINED: what = "in quarantine"; break; /* comes with an error, above */
			}
			if (!cli->json) {
				printf("%s: seq %lld from \"%s\": %s", argv[i], r.hdr.seq, sender.name, what);
				if (r.status == VIOS_IMPORT_APPLIED)
					printf(" (%zu changes)", r.ops_applied);
				if (r.released)
					printf("; %zu held bundle%s applied after it", r.released, r.released == 1 ? "" : "s");
				if (r.future)
					printf("; NOTE: the sender's clock is more than 24 h ahead");
				putchar('\n');
			} else {
				json_array_append_new(results, json_pack("{s:s, s:s, s:I, s:s, s:I, s:I, s:b}", "file", argv[i], "sender",
									 r.hdr.sender, "seq", (json_int_t)r.hdr.seq, "status", what,
									 "ops_applied", (json_int_t)r.ops_applied, "released",
									 (json_int_t)r.released, "future", r.future));
			}
			vios_bundle_header_dispose(&r.hdr);
		}
		force = moved || force >= 0 ? -1 : earliest;
		if (!moved && earliest < 0 && force < 0)
			break; /* cannot happen: a pass without a move has a waiting file */
	}
	free(done);
	if (cli->json)
		cli_json(stdout, results);
	json_decref(results);
	if (error < 0)
		return error;
	{
		vios_ledger_held_group *held = NULL;
		size_t nheld = 0;
		if ((error = vios_ledger_held_list(&held, &nheld, cli->store)) < 0)
			return error;
		if (nheld > 0 && held[0].quarantined[0]) {
			vios_error_set(VIOS_ERR_BUNDLE, "%lld bundle(s) held, not applied: sender %s's seq %s; its later bundles"
				       " wait behind it (vios status)", (long long)held[0].n, held[0].sender, held[0].quarantined);
			free(held);
			return VIOS_EVERIFY;
		}
		if (nheld > 0) {
			vios_error_set(VIOS_ERR_BUNDLE, "%lld bundle(s) held, not applied: sender %s has a gap before seq %lld; they are applied when the missing bundles arrive",
				       (long long)held[0].n, held[0].sender, held[0].first_seq);
			free(held);
			return VIOS_ERROR;
		}
		free(held);
	}
	(void)held_now;
	if (skipped > 0) {
		vios_error_set(VIOS_ERR_BUNDLE, "%zu bundle(s) were not addressed to this node: their chain was checked and recorded, nothing was applied", skipped);
		return VIOS_ERROR;
	}
	return 0;
}

int cmd_bundle(vios_cli *cli, int argc, char **argv)
{
	uint8_t *age = NULL, *sig = NULL;
	size_t agelen, siglen;
	json_t *doc = NULL, *h, *v;
	size_t i;
	int first, error;

	if ((first = json_only(cli, argc, argv)) < 0)
		return first;
	if (first + 2 != argc || strcmp(argv[first], "inspect") != 0)
		return cli_usage(cli, "expected 'bundle inspect FILE.age'");
	if ((error = cli_open(cli)) < 0 || (error = read_pair(&age, &agelen, &sig, &siglen, argv[first + 1])) < 0)
		return error;
	error = vios_bundle_inspect(&doc, cli->store, age, agelen, (char *)sig, siglen);
	free(age);
	free(sig);
	if (error < 0)
		return error;
	if (cli->json) {
		cli_json(stdout, doc);
	} else {
		const char *key;
		h = json_object_get(doc, "header");
		printf("verified bundle: signature by %s \"%s\" (%s)\n", json_string_value(json_object_get(h, "sender")),
		       json_string_value(json_object_get(h, "sender_name")), json_string_value(json_object_get(h, "sender_role")));
		printf("  seq %lld, prev %.16s…, clock %s, covenant version %lld, %lld changes\n",
		       (long long)json_integer_value(json_object_get(h, "seq")), json_string_value(json_object_get(h, "prev")),
		       json_string_value(json_object_get(h, "hlc")),
		       (long long)json_integer_value(json_object_get(h, "covenant_version")),
		       (long long)json_integer_value(json_object_get(h, "ops")));
		printf("  categories:");
		json_array_foreach(json_object_get(h, "categories"), i, v)
			printf(" %s", json_string_value(v));
		printf("\n  recipients:\n");
		json_array_foreach(json_object_get(h, "recipients"), i, v) {
			vios_reg_node n;
			const char *id = json_string_value(v);
			if (vios_trust_node(&n, cli->store, id) == 0)
				printf("    %s  %-8s %-16s %s\n", id, n.kind, n.role, n.name);
			else
				printf("    %s  (not in this node's registry)\n", id);
		}
		if (json_is_true(json_object_get(doc, "addressed_to_me"))) {
			printf("  addressed to this node; contents:\n");
			json_object_foreach(json_object_get(doc, "summary"), key, v)
				printf("    %-20s %lld\n", key, (long long)json_integer_value(v));
		} else
			printf("  not addressed to this node: contents not shown\n");
	}
	json_decref(doc);
	return 0;
}
