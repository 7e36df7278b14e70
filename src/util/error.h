/*
 * error.h - the one place errors are recorded.
 *
 * Library code (src/, sync/) never prints: a failing function records one
 * human-readable line with vios_error_set() and returns a negative code.
 * The CLI prints vios_error_last() once as "vios: error: ..." and maps the
 * code to an exit status (see src/cli/main.c).
 *
 * Messages must never contain secrets or record contents (names, notes):
 * they may be logged or shown over a shoulder.
 */
#ifndef VIOS_ERROR_H
#define VIOS_ERROR_H

#include <stddef.h>

/* Return codes. 0 is success; callers act on the named ones. */
enum {
	VIOS_OK = 0,
	VIOS_ERROR = -1,     /* anything else */
	VIOS_ENOTFOUND = -2, /* a named thing does not exist */
	VIOS_EVERIFY = -3,   /* signature, MAC or chain check failed */
	VIOS_ECORRUPT = -4,  /* malformed or tampered data */
	VIOS_EAUTH = -5,     /* wrong passphrase or recovery code */
	VIOS_EEXISTS = -6,   /* refusing to overwrite */
	VIOS_EUSAGE = -7,    /* bad arguments given by the user */
	VIOS_ENOSPACE = -8,  /* disk full */
	VIOS_EDENIED = -9,   /* outside the mandate (crdt/mandate.h) */
	VIOS_EWAIT = -10     /* needs a record this node does not hold yet */
};

/* Which layer the message comes from (kept for callers that care). */
typedef enum {
	VIOS_ERR_NONE = 0,
	VIOS_ERR_OS,
	VIOS_ERR_NOMEM,
	VIOS_ERR_CRYPTO,
	VIOS_ERR_AGE,
	VIOS_ERR_MINISIGN,
	VIOS_ERR_KEYS,
	VIOS_ERR_STORE,
	VIOS_ERR_SQLITE,
	VIOS_ERR_GIT,
	VIOS_ERR_ZLIB,
	VIOS_ERR_JSON,
	VIOS_ERR_BUNDLE,
	VIOS_ERR_INPUT
} vios_error_class;

/* Records a message for the calling thread, replacing any earlier one. */
void vios_error_set(vios_error_class klass, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Like vios_error_set, and appends ": strerror(errno)". Returns -1, or
 * VIOS_ENOSPACE when errno is ENOSPC or EFBIG. */
int vios_error_os(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Records "out of memory" and returns VIOS_ERROR. */
int vios_error_nomem(void);

/* The last message, or "unknown error" when none was set. Never NULL. */
const char *vios_error_last(void);
vios_error_class vios_error_last_class(void);
void vios_error_clear(void);

#endif
