/*
 * login.c - the node's login settings (net.ssh_key, net.ssh_known_hosts,
 * net.credentials, net.credentials_file, net.ca_file: src/node/config.c)
 * handed to sync/cred.c before a command that may reach a hub over the
 * network (docs/logins.md). Commands that never do are left alone, so a
 * bad login setting never stands in the way of recording.
 */
#include "cli/cli.h"
#include "node/config.h"
#include "sync/cred.h"
#include "util/error.h"

#include <stdlib.h>
#include <string.h>

/* The commands that fetch or push (a hub, a stick's URL, an audit's URL). */
static const char *const network_commands[] = { "join", "sync", "hub", "audit", "restore", NULL };

int cli_login_apply(const vios_cli *cli)
{
	static const char *const keys[] = { "net.ssh_key", "net.ssh_known_hosts", "net.credentials",
					    "net.credentials_file", "net.ca_file" };
	char *v[5] = { NULL };
	const char *home;
	vios_cred_config cfg;
	size_t i;
	int error = 0, network = 0;

	for (i = 0; network_commands[i]; i++)
		network |= cli->command && !strcmp(cli->command, network_commands[i]);
	if (!network)
		return 0;
	home = cli->home ? cli->home : getenv("VIOS_HOME");
	for (i = 0; home && i < sizeof(keys) / sizeof(keys[0]); i++)
		if ((error = vios_config_get(&v[i], home, keys[i])) < 0)
			goto done;
	memset(&cfg, 0, sizeof(cfg));
	cfg.ssh_key = v[0];
	cfg.known_hosts = v[1];
	cfg.source = !v[2]                    ? VIOS_CRED_AUTO
		     : !strcmp(v[2], "helper") ? VIOS_CRED_HELPER
		     : !strcmp(v[2], "file")   ? VIOS_CRED_FILE
					       : VIOS_CRED_NONE;
	cfg.credentials_file = v[3];
	cfg.ca_file = v[4];
	error = vios_cred_configure(&cfg);
done:
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		free(v[i]);
	return error;
}
