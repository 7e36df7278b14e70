/*
 * fuzz_bundle_payload.c - the payload reader: vios_bundle_payload_read with
 * the input as the gzip'd payload (bounded gunzip, SQLite opened read-only
 * from memory, exact schema, ops checked) against the fixed header
 * FUZZ_HEADER_JSON. Ops it accepts must agree with the header.
 *
 * A gzip stream ends with a CRC of its contents, so byte mutations of the
 * input almost never get past gunzip. The custom mutator below mutates the
 * decompressed payload (the SQLite database) instead and compresses it
 * again; one mutation in eight works on the gzip bytes themselves.
 */
#include "tools/fuzz/fuzz.h"

#include "crdt/crdt.h"
#include "sync/bundle.h"
#include "sync/payload.h"

static vios_bundle_header fuzz_payload_hdr;
static int fuzz_payload_ready;

static void fuzz_payload_init(void)
{
	if (fuzz_payload_ready)
		return;
	if (sodium_init() < 0 || vios_bundle_header_parse(&fuzz_payload_hdr, FUZZ_HEADER_JSON) != 0) {
		fprintf(stderr, "fuzz_bundle_payload: the fixed header does not parse\n");
		abort();
	}
	fuzz_payload_ready = 1;
}

int fuzz_bundle_payload(const uint8_t *data, size_t size)
{
	vios_crdt_op *ops = NULL;
	size_t n = 0;

	fuzz_payload_init();
	if (vios_bundle_payload_read(&ops, &n, data, size, &fuzz_payload_hdr) == 0) {
		FUZZ_CHECK(n == (size_t)fuzz_payload_hdr.ops && ops != NULL);
		/* an op's node may differ from the sender (a forwarded op): the
		 * importer's mandate decides whether to take it, not the codec */
		for (size_t i = 0; i < n; i++)
			FUZZ_CHECK(vios_crdt_op_validate(&ops[i]) == 0);
	}
	vios_crdt_ops_free(ops, n);
	return 0;
}

FUZZ_ENTRY_INIT(fuzz_payload_init, fuzz_bundle_payload)

#ifndef FUZZ_NO_MAIN
#define FUZZ_PLAIN_MAX (64u << 10)

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max, unsigned int seed);

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max, unsigned int seed)
{
	static uint8_t plain[FUZZ_PLAIN_MAX];
	uint8_t *p = NULL, *gz = NULL;
	size_t plen = 0, glen = 0, out = 0;

	/* the codec's own gunzip and gzip, so seeds stay what the reader expects */
	if (seed % 8 != 0 && vios_payload_gunzip(&p, &plen, data, size, sizeof(plain)) == 0 && plen > 0) {
		memcpy(plain, p, plen);
		plen = LLVMFuzzerMutate(plain, plen, sizeof(plain));
		if (vios_payload_gzip(&gz, &glen, plain, plen, 0) == 0 && glen <= max) {
			memcpy(data, gz, glen);
			out = glen;
		}
	}
	free(p);
	free(gz);
	return out ? out : LLVMFuzzerMutate(data, size, max);
}
#endif
