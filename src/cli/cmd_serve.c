/*
 * cmd_serve.c - vios serve: the local web interface (src/web/web.h,
 * docs/web.md).
 */
#include "cli/cli.h"
#include "util/error.h"
#include "util/util.h"
#include "web/web.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int cmd_serve(vios_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { { "port", required_argument, NULL, 'p' },
						  { "lang", required_argument, NULL, 'l' },
						  { NULL, 0, NULL, 0 } };
	vios_web_opts opts = { .home = cli->home, .lang = "nl" };
	vios_secret *pass = NULL;
	int c, error;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'p') {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end || v < 1024 || v > 65535)
				return cli_usage(cli, "--port takes a number from 1024 to 65535");
			opts.port = (unsigned)v;
		} else if (c == 'l') {
			if (strcmp(optarg, "nl") && strcmp(optarg, "en"))
				return cli_usage(cli, "--lang takes nl or en");
			opts.lang = optarg;
		} else
			return cli_usage(cli, "unknown option");
	}
	if (optind != argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	/* The key: the unlock agent's, else a passphrase given without a
	 * terminal (--passphrase-file, VIOS_PASSPHRASE); else the node stays
	 * locked until the first sign-in on the login page. */
	if ((error = cli_node_from_agent(&opts.node, cli)) == VIOS_ENOTFOUND) {
		error = 0;
		if (cli->passphrase_file || getenv("VIOS_PASSPHRASE")) {
			if ((error = cli_passphrase(&pass, cli, 0)) == 0)
				error = vios_node_open(&opts.node, cli->home, pass);
			vios_secret_free(pass);
			/* read once: not left in the environment of a server that
			 * runs for hours, nor of the jobs it forks */
			unsetenv("VIOS_PASSPHRASE");
		}
	}
	if (error < 0)
		return error;
	/* times on the pages are Dutch local time unless the user chose a zone */
	if (getenv("TZ") == NULL)
		setenv("TZ", "Europe/Amsterdam", 1);
	tzset();
	/* vios_web_run takes the node */
	return vios_web_run(&opts);
}
