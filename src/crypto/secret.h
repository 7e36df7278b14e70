/*
 * secret.h - byte strings that must not linger: passphrases, recovery codes,
 * keys. They live in sodium_malloc memory (guard pages, mlock'd where the
 * system allows, wiped on free).
 */
#ifndef VIOS_SECRET_H
#define VIOS_SECRET_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint8_t *buf; /* sodium_malloc'd, len bytes plus a NUL */
	size_t len;
} vios_secret;

/* A new secret holding a copy of len bytes (NUL-terminated). */
int vios_secret_new(vios_secret **out, const void *data, size_t len);
/* An empty secret with room for cap bytes (len 0). */
int vios_secret_alloc(vios_secret **out, size_t cap);
void vios_secret_free(vios_secret *s);

/* Argon2id presets, as libsodium names them. */
typedef enum {
	VIOS_KDF_INTERACTIVE = 1,
	VIOS_KDF_MODERATE = 2,
	VIOS_KDF_SENSITIVE = 3
} vios_kdf_preset;

/* "interactive" | "moderate" | "sensitive" -> preset; VIOS_EUSAGE otherwise. */
int vios_kdf_preset_parse(vios_kdf_preset *out, const char *name);
void vios_kdf_preset_limits(vios_kdf_preset p, uint64_t *opslimit, uint64_t *memlimit);

#endif
