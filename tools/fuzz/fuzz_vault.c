/*
 * fuzz_vault.c - the key vault reader: vios_vault_parse on the input (the
 * bytes of a keys.vault, docs/formats.md). It runs before anything in the
 * vault is authenticated, and its bounds are what keep a patched vault from
 * making Argon2id take gigabytes or hours, so a vault it accepts must be
 * version 1 (224 bytes, no preset) or 2 (226 bytes, a known preset), with
 * both slots' costs inside the bounds and, in version 2, at least the
 * preset's. No Argon2id runs here: opening a slot is the library's own
 * crypto, tested in tests/unit/test_node.c.
 */
#include "tools/fuzz/fuzz.h"

#include "crypto/secret.h"
#include "node/node.h"

static int fuzz_vault_ready;

static void fuzz_vault_init(void)
{
	if (fuzz_vault_ready)
		return;
	if (sodium_init() < 0) {
		fprintf(stderr, "fuzz_vault: sodium_init failed\n");
		abort();
	}
	fuzz_vault_ready = 1;
}

int fuzz_vault(const uint8_t *data, size_t size)
{
	vios_vault_info info;

	fuzz_vault_init();
	if (vios_vault_parse(&info, data, size) == 0) {
		uint64_t pops = 0, pmem = 0;
		FUZZ_CHECK((info.version == 1 && size == 224 && info.preset == 0) ||
			   (info.version == 2 && size == 226 && info.preset >= VIOS_KDF_INTERACTIVE &&
			    info.preset <= VIOS_KDF_SENSITIVE));
		if (info.preset != 0)
			vios_kdf_preset_limits((vios_kdf_preset)info.preset, &pops, &pmem);
		for (int i = 0; i < 2; i++) {
			FUZZ_CHECK(info.ops[i] >= VIOS_VAULT_OPS_MIN && info.ops[i] <= VIOS_VAULT_OPS_MAX);
			FUZZ_CHECK(info.mem[i] >= VIOS_VAULT_MEM_MIN && info.mem[i] <= VIOS_VAULT_MEM_MAX);
			FUZZ_CHECK(info.ops[i] >= pops && info.mem[i] >= pmem);
		}
	}
	return 0;
}

FUZZ_ENTRY_INIT(fuzz_vault_init, fuzz_vault)
