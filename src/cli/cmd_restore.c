/*
 * cmd_restore.c - vios restore --backup FILE URL|PATH: a new home from an
 * identity backup (node/backup.h), its store rebuilt from the hub
 * (sync/restore.h).
 *
 * Nothing is created before the backup opened and its hub pin is known: a
 * wrong passphrase, a damaged backup or a home that is not empty leave the
 * disk as it was. When the home does not exist yet it is built beside it
 * (HOME.restore-XXXXXX) and renamed into place only once the store is
 * rebuilt, so a restore that is killed half way leaves no half-made home
 * that a later sync could continue from a wrong seq. A restore that fails
 * removes what it made (nobody saw its recovery code yet).
 */
#include "cli/cli.h"
#include "cli/table.h"
#include "crdt/crdt.h"
#include "node/backup.h"
#include "sync/restore.h"
#include "util/error.h"
#include "util/util.h"

#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPT_JSON 1000

/* --home, else VIOS_HOME, else ~/.vios (as the commands that open a home). */
static const char *restore_home(const vios_cli *cli, char *buf, size_t len)
{
	const char *env = getenv("VIOS_HOME"), *h;

	if (cli->home)
		return cli->home;
	if (env && *env)
		return env;
	if ((h = getenv("HOME")) == NULL || vios_snprintf(buf, len, "%s/.vios", h) < 0)
		return NULL;
	return buf;
}

int cmd_restore(vios_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "backup", required_argument, NULL, 'B' },
		{ "backup-passphrase-file", required_argument, NULL, 'b' },
		{ "hub-fingerprint", required_argument, NULL, 'F' },
		{ "kdf", required_argument, NULL, 'K' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ NULL, 0, NULL, 0 }
	};
	const char *backup = NULL, *passfile = NULL, *fingerprint = NULL, *url, *home, *pin;
	vios_kdf_preset kdf = VIOS_KDF_MODERATE;
	vios_secret *pass = NULL, *homepass = NULL;
	vios_node *from = NULL, *node = NULL;
	vios_store *st = NULL;
	vios_backup_hub hub;
	vios_restore_report rep;
	char *code = NULL, fp[VIOS_FINGERPRINT_STRLEN + 1], homebuf[4096], build[PATH_MAX];
	int c, error, made = 0;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'B': backup = optarg; break;
		case 'b': passfile = optarg; break;
		case 'F': fingerprint = optarg; break;
		case 'K':
			if ((error = vios_kdf_preset_parse(&kdf, optarg)) < 0)
				return error;
			break;
		case OPT_JSON: cli->json = 1; break;
		default: return cli_usage(cli, "unknown option");
		}
	}
	if (backup == NULL)
		return cli_usage(cli, "--backup FILE is required (made by 'vios identity backup')");
	if (optind + 1 != argc)
		return cli_usage(cli, optind >= argc ? "the hub's URL or path is required"
						     : "one hub URL or path, not more");
	url = argv[optind];
	if ((home = restore_home(cli, homebuf, sizeof(homebuf))) == NULL)
		return cli_usage(cli, "no home: use --home DIR or set VIOS_HOME");
	if (!vios_dir_empty_or_absent(home)) {
		vios_error_set(VIOS_ERR_INPUT, "%s exists and is not empty; refusing to overwrite it (restore makes a new home)", home);
		return VIOS_EEXISTS;
	}
	/* 1. the backup, with its passphrase; nothing is written yet */
	if ((error = cli_backup_passphrase(&pass, cli, passfile, 0)) < 0 ||
	    (error = vios_backup_read(&from, &hub, backup, pass)) < 0)
		goto done;
	pin = fingerprint ? fingerprint : hub.public_key[0] ? hub.public_key : hub.fingerprint[0] ? hub.fingerprint : NULL;
	if (pin == NULL) {
		error = cli_usage(cli, "the backup holds no hub pin (the node had not joined): give --hub-fingerprint FP");
		goto done;
	}
	/* 2. the new home's passphrase: the backup's, unless that came from its own file */
	if (passfile != NULL && (error = cli_passphrase(&homepass, cli, 1)) < 0)
		goto done;
	if ((code = sodium_malloc(VIOS_RECOVERY_LEN + 1)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	/* 3. the home, as init makes it, with the backed-up identity; beside
	 * the home when it does not exist yet (an empty directory is used as
	 * it is: it may be a mount point, which a rename cannot replace) */
	if (vios_path_exists(home)) {
		if ((error = vios_snprintf(build, sizeof(build), "%s", home)) < 0)
			goto done;
	} else {
		if ((error = vios_snprintf(build, sizeof(build), "%s.restore-XXXXXX", home)) < 0)
			goto done;
		if (mkdtemp(build) == NULL) {
			error = vios_error_os("cannot create a directory beside %s", home);
			goto done;
		}
		made = 1;
	}
	if ((error = vios_node_init_from(&node, code, build, from, homepass ? homepass : pass, kdf)) < 0)
		goto done;
	made = 1;
	if ((error = vios_store_open(&st, node)) < 0)
		goto done;
	vios_store_free(st);
	st = NULL;
	if ((error = vios_crdt_store_open(&st, node)) < 0)
		goto done;
	/* 4. the store, rebuilt from the hub */
	{
		char why[PATH_MAX + 1200];
		if ((error = vios_snprintf(why, sizeof(why), "home restored from identity backup %s and hub %s", backup, url)) < 0 ||
		    (error = vios_store_log(st, "create", "identity", node->node_id, why)) < 0)
			goto done;
	}
	cli_progress_on();
	if ((error = vios_restore_from_hub(&rep, st, url, pin)) < 0)
		goto done;
	vios_store_free(st);
	st = NULL;
	if (strcmp(build, home) != 0 && rename(build, home) < 0) {
		error = vios_error_os("cannot move the restored home %s to %s", build, home);
		goto done;
	}
	made = 0; /* a home now, whatever follows */
	vios_node_fingerprint(fp, node);
	if (cli->json) {
		error = cli_json_out(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s?}",
					       "node_id", node->node_id, "kind", node->kind, "name", node->name,
					       "role", node->role, "fingerprint", fp, "recovery_code", code,
					       "own_seq", (json_int_t)rep.own_seq, "own_bundles", (json_int_t)rep.own_bundles,
					       "own_unreadable", (json_int_t)rep.own_unreadable,
					       "epoch_started", (json_int_t)rep.epoch_started,
					       "bundles", (json_int_t)rep.others.bundles, "applied", (json_int_t)rep.others.applied,
					       "alarms", (json_int_t)rep.others.alarms,
					       "first_alarm", rep.others.alarms ? rep.others.first_alarm : NULL));
	} else {
		printf("Restored %s node \"%s\" (role %s) in %s\n", node->kind, node->name, node->role, home);
		printf("node id      %s\nfingerprint  %s\n", node->node_id, fp);
		printf("from the hub %lld own bundle%s (up to seq %lld), %zu bundle%s of other nodes (%zu for this node)\n\n",
		       (long long)rep.own_bundles, rep.own_bundles == 1 ? "" : "s", rep.own_seq,
		       rep.others.bundles, rep.others.bundles == 1 ? "" : "s", rep.others.applied);
		if (rep.epoch_started)
			printf("epoch %lld started: this node had announced epoch %lld, whose key the backup does not hold; partners seal to the new one after this node's next sync\n\n",
			       rep.epoch_started, rep.own_epoch);
		printf("Recovery code, shown only this once. Write it on paper and keep it\n"
		       "somewhere safe: with it a forgotten passphrase can be reset.\n\n"
		       "    %s\n", code);
	}
	if (rep.own_unreadable)
		fprintf(stderr, "vios: warning: %zu of this node's bundles could not be read (not addressed to it, or sealed to an epoch key destroyed since: forward secrecy); what they held is not back\n",
			rep.own_unreadable);
	if (error == 0 && rep.others.alarms) {
		vios_error_set(VIOS_ERR_BUNDLE, "restored, but %zu alarm%s: %s", rep.others.alarms,
			       rep.others.alarms == 1 ? "" : "s", rep.others.first_alarm);
		error = VIOS_EVERIFY;
	}
done:
	vios_store_free(st);
	if (made)
		vios_rm_rf(build);
	vios_node_free(node);
	vios_node_free(from);
	vios_secret_free(pass);
	vios_secret_free(homepass);
	sodium_free(code);
	return error;
}
