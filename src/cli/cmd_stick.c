/*
 * cmd_stick.c - vios stick init PATH: a USB stick's repository, made on
 * purpose (sync/net.h). 'sync --via' and 'hub merge --via' use only a stick
 * made so, and never make one themselves: a stick that is not mounted must
 * not turn into a folder on the computer's own disk.
 */
#include "cli/cli.h"
#include "cli/table.h"
#include "sync/net.h"
#include "util/error.h"

#include <stdio.h>
#include <string.h>

int cmd_stick(vios_cli *cli, int argc, char **argv)
{
	int error;

	if (argc < 2 || strcmp(argv[1], "init") != 0)
		return cli_usage(cli, "expected 'stick init PATH'");
	if (argc != 3 || argv[2][0] == '-')
		return cli_usage(cli, "expected 'stick init PATH'");
	if (vios_net_is_url(argv[2]))
		return cli_usage(cli, "'%s' is a URL: a stick is a path on a mounted USB stick", argv[2]);
	if ((error = vios_net_stick_init(argv[2])) < 0)
		return error;
	if (cli->json)
		return cli_json_out(json_pack("{s:s}", "stick", argv[2]));
	printf("stick ready at %s: 'vios sync --via %s' on a school, 'vios hub merge --via %s' at the hub\n", argv[2],
	       argv[2], argv[2]);
	return 0;
}
