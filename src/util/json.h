/*
 * json.h - the strict-reader rules vios applies to every JSON document it
 * parses with jansson (covenants, audit checkpoints): one place for them.
 */
#ifndef VIOS_JSON_H
#define VIOS_JSON_H

#include <jansson.h>

/*
 * The first key of object o that is not in known (a NULL-terminated list),
 * or NULL when every key is known. A reader refuses a document with a key
 * it does not know rather than ignoring what it cannot check.
 */
const char *vios_json_unknown_key(json_t *o, const char *const *known);

#endif
