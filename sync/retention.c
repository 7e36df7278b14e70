/*
 * retention.c - which covenant's retention applies, and the run
 * (retention.h). The rules themselves are src/crdt/erase.c's.
 */
#include "sync/retention.h"
#include "sync/consent.h"
#include "sync/registry.h"
#include "util/error.h"

#include <assert.h>
#include <string.h>

int vios_retention_run(vios_crdt_erased *out, long long months[2], vios_store *st)
{
	vios_covenant cov;
	const char *def;
	int error;

	assert(out != NULL && st != NULL);
	memset(out, 0, sizeof(*out));
	/* the covenant this node approved; a node that approved none keeps the default's periods */
	if ((error = vios_consent_covenant_load(&cov, st)) == VIOS_ENOTFOUND) {
		def = vios_covenant_default();
		error = vios_covenant_parse(&cov, def, strlen(def));
	}
	if (error < 0)
		return error;
	if (months) {
		months[0] = cov.retention_months[0];
		months[1] = cov.retention_months[1];
	}
	error = vios_crdt_retention(out, st, cov.retention_months[0], cov.retention_months[1]);
	vios_covenant_dispose(&cov);
	return error;
}
