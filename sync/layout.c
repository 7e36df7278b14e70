/*
 * layout.c - see layout.h. Builds and parses the node ref names and bundle
 * paths; every other file asks here instead of spelling them.
 */
#include "sync/layout.h"
#include "util/error.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#define SEQ_DIGITS 10
#define AGE_EXT ".age"
#define SIG_EXT ".age.minisig"

void vios_layout_node_ref(char *out, size_t outlen, const char *ns, const char *node_id)
{
	int n;

	assert(out != NULL && ns != NULL && node_id != NULL);
	n = snprintf(out, outlen, "%s%s", ns, node_id);
	assert(n > 0 && (size_t)n < outlen);
	(void)n;
}

const char *vios_layout_ref_node(const char *ref, const char *ns)
{
	size_t len;

	assert(ref != NULL && ns != NULL);
	len = strlen(ns);
	return strncmp(ref, ns, len) == 0 ? ref + len : NULL;
}

/* The name of bundle seq in outlen bytes at out (checked to fit). */
static void bundle_name(char *out, size_t outlen, long long seq, int sig)
{
	int n;

	assert(out != NULL && outlen > 0);
	assert(seq >= 1 && seq <= 9999999999LL);
	n = snprintf(out, outlen, "%010lld%s", seq, sig ? SIG_EXT : AGE_EXT);
	assert(n > 0 && (size_t)n < outlen);
	(void)n;
}

void vios_layout_bundle_name(char *out, long long seq, int sig)
{
	assert(out != NULL);
	bundle_name(out, VIOS_LAYOUT_PATH_MAX, seq, sig);
}

void vios_layout_bundle_path(char *out, long long seq, int sig)
{
	const size_t dir = sizeof(VIOS_BUNDLES_DIR) - 1;

	assert(out != NULL);
	memcpy(out, VIOS_BUNDLES_DIR, dir);
	bundle_name(out + dir, VIOS_LAYOUT_PATH_MAX - dir, seq, sig);
}

int vios_layout_bundle_name_parse(long long *seq, int *sig, const char *name)
{
	long long s = 0;

	assert(seq != NULL && sig != NULL && name != NULL);
	for (int i = 0; i < SEQ_DIGITS; i++) {
		if (name[i] < '0' || name[i] > '9')
			return VIOS_ENOTFOUND;
		s = s * 10 + (name[i] - '0');
	}
	if (s == 0)
		return VIOS_ENOTFOUND;
	if (!strcmp(name + SEQ_DIGITS, AGE_EXT))
		*sig = 0;
	else if (!strcmp(name + SEQ_DIGITS, SIG_EXT))
		*sig = 1;
	else
		return VIOS_ENOTFOUND;
	*seq = s;
	return 0;
}

int vios_layout_bundle_path_parse(long long *seq, int *sig, const char *path)
{
	assert(seq != NULL && sig != NULL && path != NULL);
	if (strncmp(path, VIOS_BUNDLES_DIR, sizeof(VIOS_BUNDLES_DIR) - 1) != 0)
		return VIOS_ENOTFOUND;
	return vios_layout_bundle_name_parse(seq, sig, path + sizeof(VIOS_BUNDLES_DIR) - 1);
}
