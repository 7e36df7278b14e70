/*
 * fuzz_enroll.c - the enrollment request reader: vios_enroll_request_verify
 * on the input (JSON {"request": {...}, "signature": "..."}, the exact
 * bytes). A request it accepts must name a valid kind and role and carry a
 * key id bound to its signing key.
 */
#include "tools/fuzz/fuzz.h"

#include "node/node.h"
#include "util/util.h"

static int fuzz_enroll_ready;

static void fuzz_enroll_init(void)
{
	if (fuzz_enroll_ready)
		return;
	if (sodium_init() < 0) {
		fprintf(stderr, "fuzz_enroll: sodium_init failed\n");
		abort();
	}
	fuzz_enroll_ready = 1;
}

int fuzz_enroll(const uint8_t *data, size_t size)
{
	vios_enroll_info info;
	uint8_t keyid[VIOS_MINISIGN_KEYID];

	fuzz_enroll_init();
	if (vios_enroll_request_verify(&info, (const char *)data, size) == 0) {
		FUZZ_CHECK(vios_uuid_valid(info.node_id));
		FUZZ_CHECK(vios_kind_valid(info.kind));
		FUZZ_CHECK(vios_role_valid(info.role));
		FUZZ_CHECK(memchr(info.name, 0, sizeof(info.name)) != NULL);
		vios_keyid_from_pk(keyid, info.sign_pub.pk);
		FUZZ_CHECK(memcmp(keyid, info.sign_pub.keyid, sizeof(keyid)) == 0);
	}
	return 0;
}

FUZZ_ENTRY_INIT(fuzz_enroll_init, fuzz_enroll)
