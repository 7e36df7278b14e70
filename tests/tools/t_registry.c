/*
 * t_registry.c - test tool: the hub publishes its registry again (same
 * nodes, same covenant, the next version) expiring SECONDS from now, which
 * 'vios hub registry refresh' cannot do (it takes whole days, 1 to 365).
 *
 *   VIOS_PASSPHRASE=... t_registry HUBHOME SECONDS
 *
 * With SECONDS small (2), the registry expires while a test waits, on the
 * real clock: vios has no test clock, and this tool gives none either. The
 * hub's own store installs the version as 'vios hub' does. Prints the new
 * version and its expiry. Publishing goes through the registry's one writer
 * (vios_registry_publish_until); nothing here writes a registry file itself.
 * Used by tests/e2e/freshness.sh; never installed.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crdt/crdt.h"
#include "node/node.h"
#include "store/store.h"
#include "sync/hub.h"
#include "sync/registry.h"
#include "sync/trust.h"
#include "util/error.h"

int main(int argc, char **argv)
{
	const char *pw = getenv("VIOS_PASSPHRASE");
	vios_secret *pass = NULL;
	vios_node *node = NULL;
	vios_store *st = NULL;
	git_repository *repo = NULL;
	vios_registry *reg = NULL, *next = NULL;
	uint8_t pin[VIOS_FINGERPRINT_BYTES];
	git_oid commit;
	char *end;
	long long secs;
	int rc = 1;

	if (argc != 3 || pw == NULL || sodium_init() < 0 || (secs = strtoll(argv[2], &end, 10)) < 1 || *end) {
		fprintf(stderr, "usage: VIOS_PASSPHRASE=... t_registry HUBHOME SECONDS (1 or more)\n");
		return 2;
	}
	if (vios_secret_new(&pass, pw, strlen(pw)) < 0 || vios_node_open(&node, argv[1], pass) < 0 ||
	    vios_crdt_store_open(&st, node) < 0 || vios_hub_open(&repo, &reg, st) < 0)
		goto done;
	vios_fingerprint_from_pk(pin, node->sign_pub.pk);
	if (vios_registry_publish_until(&commit, repo, node, reg->nodes, reg->n, reg->covenant.text, reg->version + 1,
					"registry: test expiry (t_registry)", (long long)time(NULL) + secs) < 0 ||
	    vios_registry_load(&next, repo, &commit, pin) < 0 || vios_trust_install(st, repo, next, NULL, pin) < 0)
		goto done;
	printf("%lld %s\n", next->version, next->expires_at);
	rc = 0;
done:
	if (rc != 0)
		fprintf(stderr, "t_registry: %s\n", vios_error_last());
	vios_registry_free(next);
	vios_registry_free(reg);
	git_repository_free(repo);
	vios_store_free(st);
	vios_node_free(node);
	vios_secret_free(pass);
	return rc;
}
