/*
 * util.h - small helpers shared by every layer: little-endian integers,
 * whole-file I/O with atomic replacement, hex, UUIDv7.
 *
 * Nothing here prints; failures are recorded with vios_error_set().
 */
#ifndef VIOS_UTIL_H
#define VIOS_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

static inline void vios_store_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void vios_store_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void vios_store_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t vios_load_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t vios_load_le32(const uint8_t *p)
{
	uint32_t v = 0;
	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static inline uint64_t vios_load_le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/*
 * Reads a whole regular file of at most max bytes into a malloc'd buffer
 * (NUL-terminated, the NUL not counted in *len). Returns 0, VIOS_ENOTFOUND,
 * VIOS_ECORRUPT when the file is larger than max, or VIOS_ERROR.
 */
int vios_file_read(uint8_t **out, size_t *len, const char *path, size_t max);

/*
 * Writes data to path atomically: a temporary file beside it (mode `mode`,
 * O_EXCL|O_NOFOLLOW), fsync, rename over path, fsync of the directory.
 * With replace == 0 an existing path is refused with VIOS_EEXISTS.
 */
int vios_file_write_atomic(const char *path, const void *data, size_t len,
			   int mode, int replace);

/* 1 when path exists (any type), 0 otherwise. */
int vios_path_exists(const char *path);

/* 1 when path does not exist or is an empty directory (a link is not). */
int vios_dir_empty_or_absent(const char *path);

/* mkdir -p with the given mode for the directories it creates. */
int vios_mkdir_p(const char *path, int mode);

/* rm -rf; for tests and throwaway directories. */
int vios_rm_rf(const char *path);

/* snprintf that records an error and returns -1 on truncation. */
int vios_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Lowercase hex of len bytes into out (2*len+1 bytes). */
void vios_hex(char *out, const uint8_t *in, size_t len);

/* BLAKE2b-256 of data as 64 lowercase hex digits plus NUL. */
void vios_blake2b_hex(char out[65], const uint8_t *data, size_t len);

/* Parses exactly 2*len hex digits. 0 or VIOS_ECORRUPT. */
int vios_unhex(uint8_t *out, size_t len, const char *in);

/* A new UUIDv7 (RFC 9562) as 36 lowercase characters plus NUL. */
void vios_uuid7(char out[37]);

/* 1 when s is a well-formed lowercase UUID (any version), 0 otherwise. */
int vios_uuid_valid(const char *s);

/* Seconds and milliseconds since the Unix epoch: the one clock every rule of
 * time reads (a test build may run it days ahead: util.c). */
time_t vios_now(void);
uint64_t vios_now_ms(void);

/* Current UTC time as "YYYY-MM-DDTHH:MM:SSZ". */
void vios_now_iso(char out[21]);

/* secs (UTC, seconds since 1970) as "YYYY-MM-DDTHH:MM:SSZ", the one
 * spelling of a time vios stores and signs; 1970-01-01T00:00:00Z when it
 * cannot be spelled so. */
void vios_time_format(char out[21], long long secs);

#endif
