/*
 * fault.h - named crash points for tests.
 *
 * VIOS_FAULT("sync.before_push") kills the process at once with SIGKILL, as
 * a power cut would, when the environment variable VIOS_FAULT names that
 * point ("name", or "name@N" for its N-th passage). Without the variable it
 * costs one getenv the first time. `make FAULTS=0` compiles them out.
 * tests/e2e/replication.sh walks them; docs/faults.md lists them.
 */
#ifndef VIOS_FAULT_H
#define VIOS_FAULT_H

#ifdef VIOS_NO_FAULTS
#define VIOS_FAULT(name) ((void)0)
#else
void vios_fault(const char *name);
#define VIOS_FAULT(name) vios_fault(name)
/* Tests: VIOS_FAULT is read again at the next crash point (a forked child
 * that sets it after its parent passed one). */
void vios_fault_reset(void);
#endif

#endif
