/*
 * fault.c - see fault.h.
 */
#include "util/fault.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef VIOS_NO_FAULTS
static const char *want;
static int read_env, hits;

void vios_fault_reset(void)
{
	read_env = 0;
	hits = 0;
}

void vios_fault(const char *name)
{
	const char *at;
	size_t n;

	if (!read_env) {
		want = getenv("VIOS_FAULT");
		read_env = 1;
	}
	if (want == NULL || *want == 0)
		return;
	at = strchr(want, '@');
	n = at ? (size_t)(at - want) : strlen(want);
	if (strlen(name) != n || strncmp(name, want, n) != 0)
		return;
	if (++hits < (at ? atoi(at + 1) : 1))
		return;
	kill(getpid(), SIGKILL);
	_exit(137); /* not reached */
}
#endif
