/*
 * fuzz_bundle_header.c - the bundle header parser (the trusted comment of a
 * bundle's signature, strict JSON): vios_bundle_header_parse on the input
 * as text. A header it accepts must have the shape it promises.
 */
#include "tools/fuzz/fuzz.h"

#include "sync/bundle.h"
#include "util/util.h"

int fuzz_bundle_header(const uint8_t *data, size_t size)
{
	vios_bundle_header h;
	char *text = fuzz_strndup(data, size);

	if (text == NULL)
		return 0;
	if (vios_bundle_header_parse(&h, text) == 0) {
		FUZZ_CHECK(vios_uuid_valid(h.sender));
		FUZZ_CHECK(h.seq >= 1 && h.ops >= 1 && h.ops <= VIOS_BUNDLE_MAX_OPS);
		FUZZ_CHECK(h.nrecipients >= 1 && h.recipients != NULL);
		FUZZ_CHECK(h.categories != 0 && (h.categories & ~3u) == 0);
		FUZZ_CHECK(h.json != NULL && strcmp(h.json, text) == 0);
		for (size_t i = 1; i < h.nrecipients; i++)
			FUZZ_CHECK(strcmp(h.recipients[i - 1], h.recipients[i]) < 0);
		vios_bundle_header_dispose(&h);
	}
	free(text);
	return 0;
}

FUZZ_ENTRY(fuzz_bundle_header)
