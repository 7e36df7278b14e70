/*
 * fuzz_covenant.c - the covenant reader: vios_covenant_parse on the input
 * (JSON, the exact bytes). A covenant it accepts must have the auditor
 * receive every category, a version from 1, and keep its text as given.
 */
#include "tools/fuzz/fuzz.h"

#include "sync/registry.h"

int fuzz_covenant(const uint8_t *data, size_t size)
{
	vios_covenant c;
	int auditor = vios_role_index("auditor");

	if (vios_covenant_parse(&c, (const char *)data, size) == 0) {
		FUZZ_CHECK(c.version >= 1);
		FUZZ_CHECK(auditor >= 0);
		FUZZ_CHECK((c.receives[0] >> auditor) & 1);
		FUZZ_CHECK((c.receives[1] >> auditor) & 1);
		FUZZ_CHECK(c.text != NULL);
	}
	/* dispose is safe after a failure too (parse zeroes c first) */
	vios_covenant_dispose(&c);
	return 0;
}

FUZZ_ENTRY(fuzz_covenant)
