/*
 * secret.c - see secret.h.
 */
#include "crypto/secret.h"
#include "util/error.h"

#include <sodium.h>
#include <string.h>

int vios_secret_alloc(vios_secret **out, size_t cap)
{
	vios_secret *s;

	*out = NULL;
	if ((s = sodium_malloc(sizeof(*s))) == NULL)
		return vios_error_nomem();
	if ((s->buf = sodium_malloc(cap + 1)) == NULL) {
		sodium_free(s);
		return vios_error_nomem();
	}
	sodium_memzero(s->buf, cap + 1);
	s->len = 0;
	*out = s;
	return 0;
}

int vios_secret_new(vios_secret **out, const void *data, size_t len)
{
	int error;

	if ((error = vios_secret_alloc(out, len)) < 0)
		return error;
	memcpy((*out)->buf, data, len);
	(*out)->len = len;
	return 0;
}

void vios_secret_free(vios_secret *s)
{
	if (s == NULL)
		return;
	sodium_free(s->buf);
	sodium_free(s);
}

int vios_kdf_preset_parse(vios_kdf_preset *out, const char *name)
{
	if (!strcmp(name, "interactive"))
		*out = VIOS_KDF_INTERACTIVE;
	else if (!strcmp(name, "moderate"))
		*out = VIOS_KDF_MODERATE;
	else if (!strcmp(name, "sensitive"))
		*out = VIOS_KDF_SENSITIVE;
	else {
		vios_error_set(VIOS_ERR_INPUT, "unknown --kdf preset '%s' (use interactive, moderate or sensitive)", name);
		return VIOS_EUSAGE;
	}
	return 0;
}

void vios_kdf_preset_limits(vios_kdf_preset p, uint64_t *opslimit, uint64_t *memlimit)
{
	switch (p) {
	case VIOS_KDF_INTERACTIVE:
		*opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
		*memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
		break;
	case VIOS_KDF_SENSITIVE:
		*opslimit = crypto_pwhash_OPSLIMIT_SENSITIVE;
		*memlimit = crypto_pwhash_MEMLIMIT_SENSITIVE;
		break;
	default:
		*opslimit = crypto_pwhash_OPSLIMIT_MODERATE;
		*memlimit = crypto_pwhash_MEMLIMIT_MODERATE;
		break;
	}
}
