/*
 * cmd_config.c - vios config get|set|unset|list: the node's settings
 * (node/config.h). Needs the home, never the passphrase.
 */
#include "cli/cli.h"
#include "cli/table.h"
#include "node/config.h"
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_config(vios_cli *cli, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;
	vios_node *pub = NULL;
	json_t *list = NULL;
	char *value = NULL;
	int error = 0, want;

	if (sub == NULL)
		return cli_usage(cli, "config needs get, set, unset or list");
	want = !strcmp(sub, "get") || !strcmp(sub, "unset") ? 3 : !strcmp(sub, "set") ? 4 : !strcmp(sub, "list") ? 2 : 0;
	if (want == 0)
		return cli_usage(cli, "unknown config command '%s'", sub);
	for (int i = 2; i < argc; i++)
		if (argv[i][0] == '-' && strcmp(argv[i], "--json"))
			return cli_usage(cli, "unknown option '%s'", argv[i]);
		else if (!strcmp(argv[i], "--json")) {
			cli->json = 1;
			memmove(&argv[i], &argv[i + 1], (size_t)(argc - i - 1) * sizeof(*argv));
			argc--;
			i--;
		}
	if (argc != want)
		return cli_usage(cli, "config %s takes %s", sub,
				 want == 2 ? "no argument" : want == 3 ? "KEY" : "KEY VALUE");
	if (want > 2 && vios_config_find(argv[2]) == NULL) {
		vios_error_set(VIOS_ERR_INPUT, "no setting '%s' (see 'vios config list')", argv[2]);
		return VIOS_EUSAGE;
	}
	/* the home must be a node's, and safe (node.h), before its settings are read or written */
	if ((error = vios_node_open_public(&pub, cli->home)) < 0)
		goto done;
	if (!strcmp(sub, "list")) {
		if ((error = vios_config_list(&list, cli->home)) < 0)
			goto done;
		if (cli->json) {
			error = cli_json_out(json_incref(list));
			goto done;
		}
		for (size_t i = 0; i < json_array_size(list); i++) {
			json_t *e = json_array_get(list, i);
			const char *v = json_string_value(json_object_get(e, "value"));
			printf("%-22s %-12s%s  %s\n", json_string_value(json_object_get(e, "key")), v ? v : "(unset)",
			       json_is_true(json_object_get(e, "set")) ? "" : " (default)",
			       json_string_value(json_object_get(e, "help")));
		}
	} else if (!strcmp(sub, "get")) {
		if ((error = vios_config_get(&value, cli->home, argv[2])) < 0)
			goto done;
		if (cli->json)
			error = cli_json_out(json_pack("{s:s, s:s?}", "key", argv[2], "value", value));
		else if (value)
			puts(value);
		else {
			vios_error_set(VIOS_ERR_INPUT, "setting '%s' is not set and has no default", argv[2]);
			error = VIOS_ENOTFOUND;
		}
	} else {
		if ((error = vios_config_set(cli->home, argv[2], !strcmp(sub, "set") ? argv[3] : NULL)) < 0)
			goto done;
		if (cli->json)
			error = cli_json_out(json_pack("{s:s, s:s?}", "key", argv[2], "value", want == 4 ? argv[3] : NULL));
	}
done:
	free(value);
	json_decref(list);
	vios_node_free(pub);
	return error;
}
