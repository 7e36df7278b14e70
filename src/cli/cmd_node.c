/*
 * cmd_node.c - init, whoami, identity export and backup, passphrase
 * change/recover.
 */
#include "cli/cli.h"
#include "store/epoch.h"
#include "cli/table.h"
#include "crypto/age.h"
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
#include <unistd.h>

#define OPT_JSON 1000

int cmd_init(vios_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "kind", required_argument, NULL, 'k' }, { "name", required_argument, NULL, 'n' },
		{ "role", required_argument, NULL, 'r' }, { "kdf", required_argument, NULL, 'K' },
		{ "json", no_argument, NULL, OPT_JSON },  { NULL, 0, NULL, 0 }
	};
	const char *kind = NULL, *name = NULL, *role = NULL;
	vios_kdf_preset kdf = VIOS_KDF_MODERATE;
	vios_secret *pass = NULL;
	vios_node *node = NULL;
	char *code = NULL, fp[VIOS_FINGERPRINT_STRLEN + 1];
	int c, error;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'k': kind = optarg; break;
		case 'n': name = optarg; break;
		case 'r': role = optarg; break;
		case 'K':
			if ((error = vios_kdf_preset_parse(&kdf, optarg)) < 0)
				return error;
			break;
		case OPT_JSON: cli->json = 1; break;
		default: return cli_usage(cli, "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (kind == NULL || name == NULL)
		return cli_usage(cli, "--kind and --name are required");
	if ((code = sodium_malloc(VIOS_RECOVERY_LEN + 1)) == NULL)
		return vios_error_nomem();
	if ((error = cli_passphrase(&pass, cli, 1)) < 0 ||
	    (error = vios_node_init(&node, code, cli->home, kind, name, role, pass, kdf)) < 0)
		goto done;
	/* the store is made here, and only here: a later open never makes one */
	{
		vios_store *st = NULL;
		error = vios_store_open(&st, node);
		vios_store_free(st);
		if (error < 0) {
			/* nobody saw the recovery code: the half-made home is of no use */
			vios_rm_rf(cli->home);
			goto done;
		}
	}
	vios_node_fingerprint(fp, node);
	if (cli->json) {
		error = cli_json_out(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "node_id", node->node_id,
					       "kind", node->kind, "name", node->name, "role", node->role,
					       "fingerprint", fp, "recovery_code", code));
	} else {
		printf("Created %s node \"%s\" (role %s) in %s\n", node->kind, node->name, node->role, cli->home);
		printf("node id      %s\nfingerprint  %s\n\n", node->node_id, fp);
		printf("Recovery code, shown only this once. Write it on paper and keep it\n"
		       "somewhere safe: with it a forgotten passphrase can be reset.\n\n"
		       "    %s\n", code);
	}
done:
	sodium_free(code);
	vios_secret_free(pass);
	vios_node_free(node);
	return error;
}

static int only_json_opts(vios_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { { "json", no_argument, NULL, OPT_JSON },
						  { NULL, 0, NULL, 0 } };
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c != OPT_JSON)
			return cli_usage(cli, "unknown option");
		cli->json = 1;
	}
	if (optind != argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	return 0;
}

int cmd_whoami(vios_cli *cli, int argc, char **argv)
{
	vios_node *n;
	char fp[VIOS_FINGERPRINT_STRLEN + 1], pub[VIOS_MINISIGN_PUB_B64LEN + 1], rcpt[VIOS_AGE_RECIPIENT_LEN + 1];
	char until[32];
	long long agent = 0;
	int error, unlocked;

	if ((error = only_json_opts(cli, argc, argv)) < 0 || (error = cli_open(cli)) < 0)
		return error;
	n = cli->node;
	vios_node_fingerprint(fp, n);
	if ((error = vios_minisign_pub_format(pub, sizeof(pub), &n->sign_pub)) < 0 ||
	    (error = vios_age_recipient_format(rcpt, sizeof(rcpt), n->age_pk)) < 0)
		return error;
	unlocked = cli_agent_status(until, sizeof(until), &agent, cli->home);
	if (cli->json)
		return cli_json_out(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:o}",
					      "node_id", n->node_id, "kind", n->kind, "name", n->name,
					      "role", n->role, "fingerprint", fp, "age_recipient", rcpt,
					      "minisign_pubkey", pub, "created", n->created, "home", n->home,
					      "unlocked_until", unlocked ? until : NULL,
					      "agent_pid", unlocked ? json_integer(agent) : json_null()));
	printf("node id       %s\nkind          %s\nname          %s\nrole          %s\n"
	       "fingerprint   %s\nage recipient %s\nminisign key  %s\ncreated       %s\nhome          %s\n",
	       n->node_id, n->kind, n->name, n->role, fp, rcpt, pub, n->created, n->home);
	if (unlocked)
		printf("unlocked      until %s (agent pid %lld)\n", until, agent);
	else
		printf("unlocked      no (no unlock agent; 'vios unlock' starts one)\n");
	return 0;
}

/* 1 when path would land inside dir (both resolved as far as they exist),
 * 0 when not, VIOS_EUSAGE when path's directory is too long to resolve. */
static int inside(const char *dir, const char *path)
{
	char rd[PATH_MAX], rp[PATH_MAX], parent[PATH_MAX];
	const char *slash;
	size_t n;

	if (realpath(dir, rd) == NULL)
		return 0;
	if (realpath(path, rp) == NULL) {
		/* The file does not exist yet: resolve its directory. */
		slash = strrchr(path, '/');
		if (slash == NULL)
			strcpy(parent, ".");
		else if (slash == path)
			strcpy(parent, "/");
		else if (vios_snprintf(parent, sizeof(parent), "%.*s", (int)(slash - path), path) < 0)
			return VIOS_EUSAGE;
		if (realpath(parent, rp) == NULL)
			return 0;
	}
	n = strlen(rd);
	return !strncmp(rp, rd, n) && (rp[n] == 0 || rp[n] == '/');
}

static int export_secret(vios_cli *cli, const char *path, int force)
{
	vios_node *n;
	char *text = NULL, id[VIOS_AGE_IDENTITY_LEN + 1], rcpt[VIOS_AGE_RECIPIENT_LEN + 1], now[21];
	size_t cap = 512;
	int error;

	if ((error = inside(cli->home, path)) < 0)
		return error;
	if (error) {
		vios_error_set(VIOS_ERR_INPUT, "refusing to write the secret key inside the encrypted home %s; choose a path outside it", cli->home);
		return VIOS_EUSAGE;
	}
	if ((error = cli_open(cli)) < 0)
		return error;
	n = cli->node;
	if ((text = sodium_malloc(cap)) == NULL)
		return vios_error_nomem();
	vios_now_iso(now);
	if ((error = vios_node_age_identity(id, sizeof(id), n)) < 0 ||
	    (error = vios_age_recipient_format(rcpt, sizeof(rcpt), n->age_pk)) < 0 ||
	    (error = vios_snprintf(text, cap, "# vios node %s (%s), exported %s\n# public key: %s\n%s\n",
				   n->node_id, n->name, now, rcpt, id)) < 0)
		goto done;
	/* Logged first: an export that is not in the log must not happen. */
	{
		char why[PATH_MAX + 64];
		if ((error = vios_snprintf(why, sizeof(why), "age identity (secret key) written to %s", path)) < 0 ||
		    (error = vios_store_log(cli->store, "export", "identity", n->node_id, why)) < 0)
			goto done;
	}
	error = vios_file_write_atomic(path, text, strlen(text), 0600, force);
	if (error == VIOS_EEXISTS)
		vios_error_set(VIOS_ERR_INPUT, "%s exists; use --force to replace it", path);
	if (error == 0)
		fprintf(stderr, "vios: wrote the age identity of node %s to %s (mode 0600); delete it when done\n",
			n->node_id, path);
	if (error == 0 && cli->json)
		error = cli_json_out(json_pack("{s:s, s:s}", "node_id", n->node_id, "identity_file", path));
done:
	sodium_memzero(id, sizeof(id));
	sodium_free(text);
	return error;
}

int cli_identity_backup(vios_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' }, { "force", no_argument, NULL, 'f' },
		{ "backup-passphrase-file", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, OPT_JSON },    { NULL, 0, NULL, 0 }
	};
	vios_node *n;
	const char *path = NULL, *passfile = NULL;
	vios_secret *pass = NULL;
	vios_backup_hub hub;
	char why[PATH_MAX + 64];
	int c, force = 0, error;

	while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': path = optarg; break;
		case 'f': force = 1; break;
		case 'b': passfile = optarg; break;
		case OPT_JSON: cli->json = 1; break;
		default: return cli_usage(cli, "unknown option");
		}
	}
	if (optind >= argc || strcmp(argv[optind], "backup") != 0 || optind + 1 != argc)
		return cli_usage(cli, "expected 'identity backup -o FILE'");
	if (path == NULL || *path == 0 || !strcmp(path, "-"))
		return cli_usage(cli, "backup needs -o FILE (the backup is never printed)");
	if ((error = inside(cli->home, path)) < 0)
		return error;
	if (error) {
		vios_error_set(VIOS_ERR_INPUT, "refusing to write the backup inside the home %s: it must survive losing it; choose a path outside it", cli->home);
		return VIOS_EUSAGE;
	}
	if (!force && vios_path_exists(path)) {
		vios_error_set(VIOS_ERR_INPUT, "%s exists; use --force to replace it", path);
		return VIOS_EEXISTS;
	}
	if ((error = cli_open(cli)) < 0)
		return error;
	n = cli->node;
	/* the live epoch keys go with the identity (store/epoch.h) */
	if ((error = vios_restore_hub_pin(&hub, cli->store)) < 0 || (error = vios_epoch_node_load(n, cli->store)) < 0 ||
	    (error = cli_backup_passphrase(&pass, cli, passfile, 1)) < 0)
		goto done;
	if (pass->len < VIOS_PASSPHRASE_MIN) {
		vios_error_set(VIOS_ERR_INPUT, "the backup passphrase must have at least %d characters", VIOS_PASSPHRASE_MIN);
		error = VIOS_EUSAGE;
		goto done;
	}
	/* Logged first: a backup that is not in the log must not happen. */
	if ((error = vios_snprintf(why, sizeof(why), "identity backup (secret keys) written to %s", path)) < 0 ||
	    (error = vios_store_log(cli->store, "export", "identity", n->node_id, why)) < 0)
		goto done;
	if ((error = vios_backup_write(path, n, &hub, pass, VIOS_AGE_SCRYPT_LOGN, force)) < 0)
		goto done;
	fprintf(stderr, "vios: wrote the identity backup of node %s to %s (mode 0600, age, passphrase);\n"
			"vios: keep it off this machine; 'vios restore --backup %s HUB' makes the node again\n",
		n->node_id, path, path);
	if (cli->json)
		error = cli_json_out(json_pack("{s:s, s:s, s:s?}", "node_id", n->node_id, "backup_file", path,
					       "hub_url", hub.url[0] ? hub.url : NULL));
done:
	vios_secret_free(pass);
	return error;
}

int cmd_identity(vios_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' }, { "secret", no_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'f' },        { "json", no_argument, NULL, OPT_JSON },
		{ NULL, 0, NULL, 0 }
	};
	const char *out = NULL;
	char *req = NULL;
	int c, secret = 0, force = 0, error;

	for (int k = 1; k < argc; k++)
		if (!strcmp(argv[k], "backup") && strcmp(argv[k - 1], "-o") && strcmp(argv[k - 1], "--output") &&
		    strcmp(argv[k - 1], "--backup-passphrase-file"))
			return cli_identity_backup(cli, argc, argv);
	while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 's': secret = 1; break;
		case 'f': force = 1; break;
		case OPT_JSON: cli->json = 1; break;
		default: return cli_usage(cli, "unknown option");
		}
	}
	if (optind >= argc || strcmp(argv[optind], "export") != 0)
		return cli_usage(cli, "expected 'identity export' or 'identity backup'");
	if (optind + 1 != argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind + 1]);
	if (out != NULL && !strcmp(out, "-"))
		out = secret ? "" : NULL; /* "-" is standard output */
	if (secret) {
		if (out == NULL || *out == 0)
			return cli_usage(cli, "--secret needs -o FILE (the key is never printed)");
		return export_secret(cli, out, force);
	}
	if ((error = cli_open(cli)) < 0 || (error = vios_node_enroll_request(&req, cli->node)) < 0)
		return error;
	if (out == NULL) {
		printf("%s\n", req);
	} else {
		size_t len = strlen(req);
		req[len] = '\n';
		error = vios_file_write_atomic(out, req, len + 1, 0644, 1);
		req[len] = 0;
		if (error == 0)
			fprintf(stderr, "vios: wrote the enrollment request to %s; give it to the hub operator\n", out);
		if (error == 0 && cli->json)
			error = cli_json_out(json_pack("{s:s, s:s}", "node_id", cli->node->node_id, "request_file", out));
	}
	free(req);
	return error;
}

int cmd_passphrase(vios_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "recovery-code", required_argument, NULL, 'r' },
		{ "recovery-code-file", required_argument, NULL, 'f' },
		{ "new-passphrase-file", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ NULL, 0, NULL, 0 }
	};
	const char *code = NULL, *codefile = NULL, *newfile = NULL, *verb;
	vios_secret *pass = NULL, *newpass = NULL, *rc = NULL;
	vios_node *node = NULL;
	int c, error;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': code = optarg; break;
		case 'f': codefile = optarg; break;
		case 'n': newfile = optarg; break;
		case OPT_JSON: cli->json = 1; break;
		default: return cli_usage(cli, "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage(cli, "expected 'passphrase change' or 'passphrase recover'");
	verb = argv[optind];
	if (!strcmp(verb, "change")) {
		if (code || codefile)
			return cli_usage(cli, "--recovery-code goes with 'recover'");
		if ((error = cli_passphrase(&pass, cli, 0)) < 0 ||
		    (error = vios_node_open(&node, cli->home, pass)) < 0 ||
		    (error = cli_new_passphrase(&newpass, newfile)) < 0 ||
		    (error = vios_node_passphrase_change(node, newpass)) < 0)
			goto done;
		error = 0;
		if (cli->json)
			error = cli_json_out(json_pack("{s:s, s:s}", "node_id", node->node_id, "passphrase", "changed"));
		else
			printf("Passphrase changed for node %s.\n", node->node_id);
	} else if (!strcmp(verb, "recover")) {
		if (code && codefile)
			return cli_usage(cli, "give --recovery-code or --recovery-code-file, not both");
		if ((error = vios_node_open_public(&node, cli->home)) < 0 ||
		    (error = cli_recovery_code(&rc, code, codefile)) < 0 ||
		    (error = cli_new_passphrase(&newpass, newfile)) < 0 ||
		    (error = vios_node_passphrase_recover(cli->home, (const char *)rc->buf, newpass)) < 0)
			goto done;
		error = 0;
		if (cli->json)
			error = cli_json_out(json_pack("{s:s, s:s}", "node_id", node->node_id, "passphrase", "recovered"));
		else
			printf("Passphrase reset with the recovery code for node %s; its keys and records are unchanged.\n",
			       node->node_id);
	} else {
		return cli_usage(cli, "unknown action '%s' (change or recover)", verb);
	}
done:
	vios_secret_free(rc);
	vios_secret_free(pass);
	vios_secret_free(newpass);
	vios_node_free(node);
	return error;
}
