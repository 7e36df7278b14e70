/*
 * json.c - strict-reader rules over jansson documents (see json.h).
 */
#include "util/json.h"

#include <assert.h>
#include <string.h>

const char *vios_json_unknown_key(json_t *o, const char *const *known)
{
	const char *key;
	json_t *v;

	assert(o != NULL && known != NULL);
	json_object_foreach(o, key, v) {
		const char *const *k;
		(void)v;
		for (k = known; *k && strcmp(*k, key) != 0; k++)
			;
		if (*k == NULL)
			return key;
	}
	return NULL;
}
