/*
 * clock.c - the hybrid logical clock (see crdt.h) and its one-row table
 * crdt_clock.
 *
 * Packed as ms << 16 | counter, the usual HLC rules become integer maxima:
 * a local event takes max(local + 1, now << 16) and a receive
 * max(local + 1, remote + 1, now << 16). When the counter would pass 0xffff
 * the +1 carries into the milliseconds, which keeps the clock increasing
 * (it runs ahead of wall time by at most a millisecond per 65536 events).
 */
#include "crdt/internal.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <time.h>

static uint64_t max2(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

uint64_t vios_hlc_next(uint64_t local, uint64_t now_ms)
{
	return max2(local + 1, VIOS_HLC_MAKE(now_ms, 0));
}

uint64_t vios_hlc_recv(uint64_t local, uint64_t remote, uint64_t now_ms)
{
	return max2(max2(local, remote) + 1, VIOS_HLC_MAKE(now_ms, 0));
}

int vios_hlc_is_future(uint64_t remote, uint64_t now_ms)
{
	return VIOS_HLC_MS(remote) > now_ms + VIOS_HLC_FUTURE_MS;
}

void vios_hlc_iso(char out[25], uint64_t hlc)
{
	uint64_t ms = VIOS_HLC_MS(hlc);
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	char buf[20];

	assert(out != NULL);
	if (gmtime_r(&secs, &tm) == NULL || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm) != 19) {
		snprintf(out, 25, "?");
		return;
	}
	snprintf(out, 25, "%s.%03uZ", buf, (unsigned)(ms % 1000));
}

int crdt_clock_load(sqlite3 *db, uint64_t *out)
{
	sqlite3_stmt *pStmt = NULL;
	int rc;

	assert(db != NULL && out != NULL);
	*out = 0;
	rc = sqlite3_prepare_v2(db, "SELECT hlc FROM crdt_clock WHERE id = 1", -1, &pStmt, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW)
		*out = (uint64_t)sqlite3_column_int64(pStmt, 0);
	else if (rc == SQLITE_DONE)
		rc = SQLITE_CORRUPT; /* the migration made the row */
	sqlite3_finalize(pStmt);
	return vios_store_error(db, rc, "reading the clock");
}

int crdt_clock_save(sqlite3 *db, uint64_t v)
{
	sqlite3_stmt *pStmt = NULL;
	int rc;

	assert(db != NULL);
	rc = sqlite3_prepare_v2(db, "UPDATE crdt_clock SET hlc = ?1 WHERE id = 1 AND hlc < ?1", -1, &pStmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(pStmt, 1, (sqlite3_int64)v);
		rc = sqlite3_step(pStmt);
	}
	sqlite3_finalize(pStmt);
	return vios_store_error(db, rc, "saving the clock");
}

int vios_crdt_clock_get(uint64_t *out, vios_store *st)
{
	assert(out != NULL && st != NULL);

	return crdt_clock_load(st->db, out);
}

int vios_crdt_clock_tick(uint64_t *out, vios_store *st)
{
	uint64_t local, next;
	int error;

	assert(st != NULL);
	if ((error = crdt_clock_load(st->db, &local)) < 0)
		return error;
	next = vios_hlc_next(local, vios_now_ms());
	if ((error = crdt_clock_save(st->db, next)) < 0)
		return error;
	if (out)
		*out = next;
	return 0;
}

int vios_crdt_clock_receive(uint64_t *out, int *future, vios_store *st, uint64_t remote)
{
	uint64_t local, next, now = vios_now_ms();
	int error;

	assert(st != NULL);
	if (remote == 0 || remote > VIOS_HLC_MAX) {
		vios_error_set(VIOS_ERR_INPUT, "a clock from another node is out of range");
		return VIOS_ECORRUPT;
	}
	if ((error = crdt_clock_load(st->db, &local)) < 0)
		return error;
	next = vios_hlc_recv(local, remote, now);
	if ((error = crdt_clock_save(st->db, next)) < 0)
		return error;
	if (out)
		*out = next;
	if (future)
		*future = vios_hlc_is_future(remote, now);
	return 0;
}
