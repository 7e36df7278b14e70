/*
 * config.h - a node's settings: <home>/config.json (format vios-config-1,
 * docs/formats.md), what `vios config get|set|unset|list` reads and writes.
 *
 * Settings are what a node needs before (or without) unlocking: network
 * timeouts, where logins come from, the sync schedule. They are not secret
 * (a credentials *file* may be named, never a password) and not personal,
 * so the file is plain JSON, mode 0600, written atomically.
 *
 * The one table of keys is config.c's: each key has a type, bounds and a
 * default, and a value is checked against them when it is set and again
 * when it is read (a hand-edited file with a bad value is refused with one
 * line naming the key). A key the table does not know is refused both ways.
 */
#ifndef VIOS_CONFIG_H
#define VIOS_CONFIG_H

#include <jansson.h>

#define VIOS_CONFIG_FILE "config.json"
#define VIOS_CONFIG_MAX ((size_t)64 << 10)

typedef enum {
	VIOS_CONFIG_SECONDS, /* a whole number of seconds within the key's bounds */
	VIOS_CONFIG_PATH,    /* an absolute path */
	VIOS_CONFIG_TEXT,    /* one line of printable text */
	VIOS_CONFIG_CHOICE   /* one of the words config.c lists for the key */
} vios_config_type;

typedef struct {
	const char *key;
	vios_config_type type;
	long long min, max; /* VIOS_CONFIG_SECONDS */
	const char *def;    /* the default, or NULL: unset */
	const char *help;   /* one line for `vios config list` and the docs */
} vios_config_key;

/* The table of keys, ended by a NULL key. */
extern const vios_config_key vios_config_keys[];

/* The key's entry, or NULL when there is no such key. */
const vios_config_key *vios_config_find(const char *key);

/*
 * The value of key in home's config (its default when unset) in a malloc'd
 * string; *out is NULL when the key is unset and has no default.
 * VIOS_ENOTFOUND for a key the table does not know; VIOS_ECORRUPT for a
 * config file that is not vios-config-1 or holds a bad value.
 */
int vios_config_get(char **out, const char *home, const char *key);

/* A VIOS_CONFIG_SECONDS key as a number (its default when unset). */
int vios_config_seconds(long long *out, const char *home, const char *key);

/* Sets key to value (checked against the table) or, with value NULL,
 * removes it; writes the file atomically (mode 0600). A key the table does
 * not know or a bad value is VIOS_EUSAGE with one line naming the key and
 * what it takes; the file is then unchanged. */
int vios_config_set(const char *home, const char *key, const char *value);

/* Every key with its value (or null) and whether it is set: a JSON array of
 * {"key","value","set","help"} objects, in table order. */
int vios_config_list(json_t **out, const char *home);

#endif
