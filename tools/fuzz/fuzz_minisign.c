/*
 * fuzz_minisign.c - the minisign readers: vios_minisign_verify with the
 * fixed public key (fuzz_minisign_key) over FUZZ_MINISIGN_MESSAGE, the
 * input as the signature file; and vios_minisign_pub_parse on the input as
 * a key line or .pub file. A signature it accepts must verify again the
 * same way, and a key it parses must format back to a key that parses to
 * the same bytes.
 */
#include "tools/fuzz/fuzz.h"

#include "crypto/minisign.h"

static vios_minisign_pub fuzz_minisign_pub;
static int fuzz_minisign_ready;

static void fuzz_minisign_init(void)
{
	if (fuzz_minisign_ready)
		return;
	if (sodium_init() < 0) {
		fprintf(stderr, "fuzz_minisign: sodium_init failed\n");
		abort();
	}
	fuzz_minisign_key(&fuzz_minisign_pub, NULL);
	fuzz_minisign_ready = 1;
}

int fuzz_minisign(const uint8_t *data, size_t size)
{
	static const char msg[] = FUZZ_MINISIGN_MESSAGE;
	vios_minisign_pub pub, again;
	char *trusted = NULL, *text, line[VIOS_MINISIGN_PUB_B64LEN + 1];

	fuzz_minisign_init();
	/* the exact bytes, no NUL after them: the verifier must stay inside */
	if (vios_minisign_verify(&trusted, &fuzz_minisign_pub, (const uint8_t *)msg, sizeof(msg) - 1,
				 (const char *)data, size) == 0) {
		FUZZ_CHECK(trusted != NULL && strlen(trusted) <= VIOS_MINISIGN_TRUSTED_TEXT_MAX);
		FUZZ_CHECK(strchr(trusted, '\n') == NULL);
		/* the signature is over this message only */
		FUZZ_CHECK(vios_minisign_verify(NULL, &fuzz_minisign_pub, (const uint8_t *)msg, sizeof(msg) - 2,
						(const char *)data, size) != 0);
	}
	free(trusted);

	if ((text = fuzz_strndup(data, size)) == NULL)
		return 0;
	if (vios_minisign_pub_parse(&pub, text) == 0) {
		FUZZ_CHECK(vios_minisign_pub_format(line, sizeof(line), &pub) == 0);
		FUZZ_CHECK(vios_minisign_pub_parse(&again, line) == 0);
		FUZZ_CHECK(memcmp(&pub, &again, sizeof(pub)) == 0);
	}
	free(text);
	return 0;
}

FUZZ_ENTRY_INIT(fuzz_minisign_init, fuzz_minisign)
