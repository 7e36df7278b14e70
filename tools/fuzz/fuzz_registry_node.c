/*
 * fuzz_registry_node.c - the registry's node entry reader:
 * vios_registry_node_parse on the input (JSON, the exact bytes), as
 * vios_registry_load calls it on every registry/nodes/<id>.json once its
 * signature checked out. An entry it accepts must name a valid node id,
 * kind and role, carry a key id bound to its signing key, be revoked
 * exactly when it says so, and survive the round trip through the one
 * writer, vios_registry_node_format: what that writes reads back the same.
 */
#include "tools/fuzz/fuzz.h"

#include "sync/registry.h"
#include "util/util.h"

static int fuzz_registry_node_ready;

static void fuzz_registry_node_init(void)
{
	if (fuzz_registry_node_ready)
		return;
	if (sodium_init() < 0) {
		fprintf(stderr, "fuzz_registry_node: sodium_init failed\n");
		abort();
	}
	fuzz_registry_node_ready = 1;
}

int fuzz_registry_node(const uint8_t *data, size_t size)
{
	vios_reg_node n, again;
	uint8_t keyid[VIOS_MINISIGN_KEYID];
	char *text;

	fuzz_registry_node_init();
	if (vios_registry_node_parse(&n, (const char *)data, size, "registry/nodes/fuzz.json") != 0)
		return 0;
	FUZZ_CHECK(vios_uuid_valid(n.node_id));
	FUZZ_CHECK(vios_kind_valid(n.kind));
	FUZZ_CHECK(vios_role_valid(n.role));
	FUZZ_CHECK(memchr(n.name, 0, sizeof(n.name)) != NULL);
	vios_keyid_from_pk(keyid, n.sign_pub.pk);
	FUZZ_CHECK(memcmp(keyid, n.sign_pub.keyid, sizeof(keyid)) == 0);
	FUZZ_CHECK((n.revoked_at[0] == 0) == (n.last_seq == -1));
	text = vios_registry_node_format(&n);
	FUZZ_CHECK(text != NULL);
	FUZZ_CHECK(vios_registry_node_parse(&again, text, strlen(text), "registry/nodes/fuzz.json") == 0);
	FUZZ_CHECK(memcmp(&n, &again, sizeof(n)) == 0);
	free(text);
	return 0;
}

FUZZ_ENTRY_INIT(fuzz_registry_node_init, fuzz_registry_node)
