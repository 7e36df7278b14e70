/*
 * unlock.c - unlocking the node for a command (cli_open), and the unlock
 * agent's commands: vios unlock [--for DURATION] and vios lock.
 *
 * cli_open asks the home's agent (node/agent.h) for the master key first;
 * when it answers, no passphrase is asked and no Argon2id runs. When none
 * runs, the passphrase is asked as before. An agent that is there but does
 * not answer in time costs one warning line and falls back to the
 * passphrase; an agent whose key does not open the home is an error.
 *
 * vios unlock checks the passphrase (Argon2id, once), replaces a running
 * agent of the home (the new one's --for counts from now), puts the new
 * agent's socket in place, and only then detaches the agent process, so the
 * next command finds it. The detached process keeps no terminal, no
 * inherited descriptor and no passphrase in its environment.
 */
#include "cli/cli.h"
#include "cli/table.h"
#include "crdt/crdt.h"
#include "node/agent.h"
#include "sync/consent.h"
#include "util/error.h"
#include "util/util.h"

#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

/* The node's key from the home's agent: 0 with cli->node open,
 * VIOS_ENOTFOUND when no agent answered (a warning said why when one is
 * there but mute), another error when its key does not open the home. */
static int open_by_agent(vios_node **out, const vios_cli *cli, const vios_node *pub)
{
	vios_agent_reply r;
	int error;

	if ((error = vios_agent_ask(&r, cli->home, VIOS_AGENT_KEY, VIOS_AGENT_TIMEOUT_MS)) < 0) {
		if (error != VIOS_ENOTFOUND) {
			fprintf(stderr, "vios: warning: %s; asking for the passphrase instead\n", vios_error_last());
			error = VIOS_ENOTFOUND;
		}
		return error;
	}
	if (strcmp(r.node_id, pub->node_id) != 0) {
		vios_error_set(VIOS_ERR_KEYS, "the unlock agent of %s holds the key of another node (%s): "
			       "run 'vios lock', then 'vios unlock'", cli->home, r.node_id);
		error = VIOS_EAUTH;
	} else
		error = vios_node_open_key(out, cli->home, r.key, r.kdf_preset);
	vios_agent_reply_dispose(&r);
	return error;
}

int cli_node_from_agent(vios_node **out, const vios_cli *cli)
{
	vios_node *pub = NULL;
	int error;

	*out = NULL;
	if ((error = vios_node_open_public(&pub, cli->home)) == 0)
		error = open_by_agent(out, cli, pub);
	vios_node_free(pub);
	return error;
}

int cli_open(vios_cli *cli)
{
	vios_node *pub = NULL;
	vios_secret *pass = NULL;
	int error = 0;

	if ((cli->flags & NEEDS_NODE) && cli->node == NULL) {
		/* a home of ours before any key is looked for */
		if ((error = vios_node_open_public(&pub, cli->home)) < 0)
			goto done;
		if ((error = open_by_agent(&cli->node, cli, pub)) == VIOS_ENOTFOUND &&
		    ((error = cli_passphrase(&pass, cli, 0)) == 0))
			error = vios_node_open(&cli->node, cli->home, pass);
		if (error < 0)
			goto done;
	}
	if ((cli->flags & NEEDS_STORE) == NEEDS_STORE && cli->store == NULL &&
	    (error = vios_crdt_store_open(&cli->store, cli->node)) == 0)
		/* a local write's themes: the base list and the approved covenant's */
		vios_store_set_themes(cli->store, vios_consent_themes);
done:
	vios_secret_free(pass);
	vios_node_free(pub);
	return error;
}

int cli_agent_status(char *buf, size_t len, long long *pid, const char *home)
{
	vios_agent_reply r;
	char until[21];

	*pid = 0;
	if (vios_agent_ask(&r, home, VIOS_AGENT_STATUS, VIOS_AGENT_TIMEOUT_MS) < 0)
		return 0;
	vios_time_format(until, r.expires);
	snprintf(buf, len, "%s", until);
	*pid = r.pid;
	vios_agent_reply_dispose(&r);
	return 1;
}

/* Wipes the passphrases' bytes where the environment holds them, so the
 * detached agent does not carry them for hours (/proc/PID/environ). */
static void wipe_env(void)
{
	static const char *const names[] = { "VIOS_PASSPHRASE=", "VIOS_NEW_PASSPHRASE=", NULL };

	for (char **e = environ; e && *e; e++)
		for (const char *const *n = names; *n; n++)
			if (!strncmp(*e, *n, strlen(*n)))
				sodium_memzero(*e + strlen(*n), strlen(*e + strlen(*n)));
}

/* In the forked child: no terminal, no inherited descriptor but the
 * agent's socket, no passphrase in the environment; then serve. Never
 * returns. */
static void detach_and_serve(vios_agent *a)
{
	int fd = vios_agent_fd(a), null;

	setsid();
	if (chdir("/") < 0) {
		/* the home is absolute: nothing depends on the directory */
	}
	if ((null = open("/dev/null", O_RDWR)) >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
	if (fd > 3)
		close_range(3, (unsigned)fd - 1, 0);
	close_range((unsigned)fd + 1, ~0U, 0);
	wipe_env();
	_exit(vios_agent_serve(a) < 0 ? 1 : 0);
}

int cmd_unlock(vios_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { { "for", required_argument, NULL, 'f' },
						  { "json", no_argument, NULL, 'j' },
						  { NULL, 0, NULL, 0 } };
	vios_node *node = NULL;
	vios_secret *pass = NULL;
	vios_agent *agent = NULL;
	vios_agent_reply old;
	char home[PATH_MAX], until[21], sock[PATH_MAX + 16];
	long long secs = VIOS_AGENT_FOR_DEFAULT;
	pid_t pid;
	int c, error;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'f') {
			if ((error = vios_agent_duration_parse(&secs, optarg)) < 0)
				return cli_usage(cli, "%s", vios_error_last());
		} else if (c == 'j')
			cli->json = 1;
		else
			return cli_usage(cli, "unknown option");
	}
	if (optind != argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	/* a home of ours, named absolutely: the agent leaves the working directory */
	if ((error = vios_node_open_public(&node, cli->home)) < 0)
		goto done;
	vios_node_free(node);
	node = NULL;
	if (realpath(cli->home, home) == NULL) {
		error = vios_error_os("cannot find the home %s", cli->home);
		goto done;
	}
	/* the passphrase, checked (Argon2id, once): a wrong one changes nothing */
	if ((error = cli_passphrase(&pass, cli, 0)) < 0 || (error = vios_node_open(&node, home, pass)) < 0)
		goto done;
	vios_secret_free(pass);
	pass = NULL;
	/* a running agent is replaced: it forgets its key and exits first */
	if ((error = vios_agent_ask(&old, home, VIOS_AGENT_LOCK, VIOS_AGENT_TIMEOUT_MS)) == 0)
		vios_agent_reply_dispose(&old);
	else if (error != VIOS_ENOTFOUND)
		goto done;
	if ((error = vios_agent_listen(&agent, home, node->master, node->kdf_preset, node->node_id, secs)) < 0)
		goto done;
	vios_node_free(node); /* wiped: the child gets no copy of the other secrets */
	node = NULL;
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		error = vios_error_os("cannot start the unlock agent");
		goto done;
	}
	if (pid == 0)
		detach_and_serve(agent);
	vios_time_format(until, vios_agent_expires(agent));
	if ((error = vios_agent_path(sock, sizeof(sock), home)) < 0)
		goto done;
	if (cli->json)
		error = cli_json_out(json_pack("{s:s, s:I, s:s, s:I}", "unlocked_until", until, "pid", (json_int_t)pid,
					       "socket", sock, "seconds", (json_int_t)secs));
	else
		printf("unlocked until %s (agent pid %ld); 'vios lock' locks again\n", until, (long)pid);
done:
	vios_agent_free(agent); /* ours only: the child serves its own copy */
	vios_secret_free(pass);
	vios_node_free(node);
	return error;
}

int cmd_lock(vios_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { { "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 } };
	vios_agent_reply r;
	int c, error;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'j')
			cli->json = 1;
		else
			return cli_usage(cli, "unknown option");
	}
	if (optind != argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	error = vios_agent_ask(&r, cli->home, VIOS_AGENT_LOCK, VIOS_AGENT_TIMEOUT_MS);
	if (error == VIOS_ENOTFOUND) {
		if (cli->json)
			return cli_json_out(json_pack("{s:b, s:n}", "locked", 0, "pid"));
		printf("not unlocked: no unlock agent runs for %s\n", cli->home);
		return 0;
	}
	if (error < 0)
		return error;
	if (cli->json)
		error = cli_json_out(json_pack("{s:b, s:I}", "locked", 1, "pid", (json_int_t)r.pid));
	else
		printf("locked: the unlock agent (pid %lld) forgot the key and exited\n", r.pid);
	vios_agent_reply_dispose(&r);
	return error;
}
