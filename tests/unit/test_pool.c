/*
 * test_pool.c - the worker pool (src/util/pool.c) and the bulk allocator
 * (src/util/bulk.c) the exporter seals with: every job runs exactly once,
 * its results are there when its wait returns, a job no worker took runs
 * on the waiting thread, a pool of no workers runs every job at a wait,
 * freeing a pool drops what is still queued; VIOS_SEAL_THREADS is read as
 * documented; bulk arrays hold what was written through a grow.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/bulk.h"
#include "util/pool.h"

typedef struct {
	int in;
	int out;          /* in * in, once run */
	int started;      /* set when it starts */
	int runs;         /* how often it ran (atomic: a bug could run it twice at once) */
	pthread_t ran_on;
	useconds_t nap;   /* slows it, so workers are still busy when the caller waits */
} sq_job;

static void square(void *arg)
{
	sq_job *j = arg;

	__atomic_store_n(&j->started, 1, __ATOMIC_SEQ_CST);
	if (j->nap)
		usleep(j->nap);
	j->out = j->in * j->in;
	j->ran_on = pthread_self();
	__atomic_add_fetch(&j->runs, 1, __ATOMIC_SEQ_CST);
}

/* n jobs on `workers` threads, waited for in order or backwards. */
static void run_jobs(unsigned workers, size_t n, int backwards, useconds_t nap)
{
	vios_pool *p = NULL;
	sq_job *jobs = calloc(n, sizeof(*jobs));
	size_t *tickets = calloc(n, sizeof(*tickets));

	assert_non_null(jobs);
	assert_non_null(tickets);
	assert_int_equal(vios_pool_new(&p, workers), 0);
	for (size_t i = 0; i < n; i++) {
		jobs[i].in = (int)i;
		jobs[i].nap = i % 7 == 0 ? nap : 0;
		assert_int_equal(vios_pool_submit(p, square, &jobs[i], &tickets[i]), 0);
		assert_int_equal(tickets[i], i);
	}
	for (size_t k = 0; k < n; k++) {
		size_t i = backwards ? n - 1 - k : k;
		vios_pool_wait(p, tickets[i]);
		assert_true(vios_pool_done(p, tickets[i]));
		/* its results are there once its wait returned */
		assert_int_equal(jobs[i].out, (int)(i * i));
	}
	vios_pool_free(p);
	for (size_t i = 0; i < n; i++)
		if (jobs[i].runs != 1)
			fail_msg("%u workers: job %zu ran %d times", workers, i, jobs[i].runs);
	free(jobs);
	free(tickets);
}

static void test_pool__every_job_runs_once_and_its_results_are_there_at_its_wait(void **state)
{
	(void)state;
	for (unsigned w = 0; w <= 4; w++) {
		run_jobs(w, 200, 0, 0);
		run_jobs(w, 200, 1, 0);
		run_jobs(w, 40, 0, 2000);
		run_jobs(w, 40, 1, 2000);
	}
}

static void test_pool__without_workers_a_job_runs_on_the_thread_that_waits(void **state)
{
	vios_pool *p = NULL;
	sq_job j[3];
	size_t t[3];

	(void)state;
	memset(j, 0, sizeof(j));
	assert_int_equal(vios_pool_new(&p, 0), 0);
	for (int i = 0; i < 3; i++) {
		j[i].in = i + 2;
		assert_int_equal(vios_pool_submit(p, square, &j[i], &t[i]), 0);
	}
	/* nothing runs before a wait */
	usleep(20000);
	for (int i = 0; i < 3; i++) {
		assert_false(vios_pool_done(p, t[i]));
		assert_int_equal(j[i].runs, 0);
	}
	/* waiting for the last runs it, on this thread, and only it */
	vios_pool_wait(p, t[2]);
	assert_int_equal(j[2].runs, 1);
	assert_int_equal(j[0].runs + j[1].runs, 0);
	vios_pool_wait(p, t[0]);
	vios_pool_wait(p, t[1]);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(j[i].runs, 1);
		assert_int_equal(j[i].out, (i + 2) * (i + 2));
		assert_true(pthread_equal(j[i].ran_on, pthread_self()));
	}
	vios_pool_free(p);
}

static void test_pool__with_a_busy_worker_the_waiting_thread_runs_what_is_queued(void **state)
{
	vios_pool *p = NULL;
	sq_job slow, rest[4];
	size_t ts, tr[4];
	int here;

	(void)state;
	memset(&slow, 0, sizeof(slow));
	memset(rest, 0, sizeof(rest));
	slow.nap = 300000;
	assert_int_equal(vios_pool_new(&p, 1), 0);
	assert_int_equal(vios_pool_submit(p, square, &slow, &ts), 0);
	/* the one worker takes the slow job */
	while (!__atomic_load_n(&slow.started, __ATOMIC_SEQ_CST))
		usleep(1000);
	for (int i = 0; i < 4; i++)
		assert_int_equal(vios_pool_submit(p, square, &rest[i], &tr[i]), 0);
	vios_pool_wait(p, ts);
	/* while the worker slept, this thread ran the queued jobs */
	here = 0;
	for (int i = 0; i < 4; i++) {
		assert_int_equal(rest[i].runs, 1);
		here += pthread_equal(rest[i].ran_on, pthread_self()) != 0;
	}
	assert_true(here >= 1);
	assert_false(pthread_equal(slow.ran_on, pthread_self()));
	vios_pool_free(p);
}

static void test_pool__freeing_a_pool_drops_what_is_queued(void **state)
{
	vios_pool *p = NULL;
	sq_job j[5];
	size_t t[5];

	(void)state;
	memset(j, 0, sizeof(j));
	assert_int_equal(vios_pool_new(&p, 0), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(vios_pool_submit(p, square, &j[i], &t[i]), 0);
	vios_pool_wait(p, t[0]);
	vios_pool_free(p);
	assert_int_equal(j[0].runs, 1);
	for (int i = 1; i < 5; i++)
		assert_int_equal(j[i].runs, 0);
	/* with workers: what ran, ran once; nothing runs after the free */
	assert_int_equal(vios_pool_new(&p, 2), 0);
	memset(j, 0, sizeof(j));
	for (int i = 0; i < 5; i++) {
		j[i].nap = 5000;
		assert_int_equal(vios_pool_submit(p, square, &j[i], &t[i]), 0);
	}
	vios_pool_free(p);
	usleep(20000);
	for (int i = 0; i < 5; i++)
		assert_true(j[i].runs == 0 || j[i].runs == 1);
	vios_pool_free(NULL);
}

static void test_pool__seal_threads_from_the_environment(void **state)
{
	static const struct {
		const char *v;
		int want; /* -1: the machine's default */
	} cases[] = { { "0", 0 }, { "1", 1 }, { "3", 3 }, { "8", 8 }, { "9", -1 }, { "-1", -1 },
		      { "two", -1 }, { "2x", -1 }, { "", -1 } };
	unsigned dflt;

	(void)state;
	unsetenv("VIOS_SEAL_THREADS");
	dflt = vios_pool_workers();
	assert_true(dflt <= 3);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setenv("VIOS_SEAL_THREADS", cases[i].v, 1);
		if (vios_pool_workers() != (cases[i].want < 0 ? dflt : (unsigned)cases[i].want))
			fail_msg("VIOS_SEAL_THREADS=%s: %u workers", cases[i].v, vios_pool_workers());
	}
	unsetenv("VIOS_SEAL_THREADS");
}

static void test_bulk__arrays_keep_what_was_written_through_a_grow(void **state)
{
	static const size_t sizes[] = { 1, 100, VIOS_BULK_MIN - 1, VIOS_BULK_MIN, 3 * VIOS_BULK_MIN + 17 };

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i], big = 2 * n + VIOS_BULK_MIN;
		uint8_t *p = vios_bulk_alloc(n), *q;
		assert_non_null(p);
		assert_true((uintptr_t)p % 16 == 0);
		for (size_t k = 0; k < n; k++)
			p[k] = (uint8_t)(k * 31 + i);
		/* grown: from malloc's to a mapping, or a mapping to a larger one */
		q = vios_bulk_realloc(p, big);
		assert_non_null(q);
		for (size_t k = 0; k < n; k++)
			if (q[k] != (uint8_t)(k * 31 + i))
				fail_msg("size %zu: byte %zu lost in the grow", n, k);
		memset(q + n, 0xa5, big - n);
		/* shrunk back: the first bytes kept */
		p = vios_bulk_realloc(q, n);
		assert_non_null(p);
		for (size_t k = 0; k < n; k++)
			if (p[k] != (uint8_t)(k * 31 + i))
				fail_msg("size %zu: byte %zu lost in the shrink", n, k);
		vios_bulk_free(p);
	}
	assert_null(vios_bulk_alloc(0));
	assert_null(vios_bulk_alloc(SIZE_MAX));
	vios_bulk_free(NULL);
	{
		uint8_t *p = vios_bulk_realloc(NULL, 10);
		assert_non_null(p);
		memset(p, 1, 10);
		vios_bulk_free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool__every_job_runs_once_and_its_results_are_there_at_its_wait),
		cmocka_unit_test(test_pool__without_workers_a_job_runs_on_the_thread_that_waits),
		cmocka_unit_test(test_pool__with_a_busy_worker_the_waiting_thread_runs_what_is_queued),
		cmocka_unit_test(test_pool__freeing_a_pool_drops_what_is_queued),
		cmocka_unit_test(test_pool__seal_threads_from_the_environment),
		cmocka_unit_test(test_bulk__arrays_keep_what_was_written_through_a_grow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
