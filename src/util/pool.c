/*
 * pool.c - see pool.h. One mutex guards the job list; a condition tells
 * workers a job was queued (or the pool stops), another tells waiters a
 * job finished. Jobs are kept in submission order and taken from the
 * first still queued, so a worker is never far ahead of its caller.
 */
#include "util/pool.h"
#include "util/error.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

typedef enum { JOB_QUEUED, JOB_RUNNING, JOB_DONE, JOB_DROPPED } job_state;

typedef struct {
	vios_pool_fn fn;
	void *arg;
	job_state state;
} job;

struct vios_pool {
	pthread_mutex_t lock;
	pthread_cond_t queued;   /* a job queued, or stop set */
	pthread_cond_t finished; /* a job done */
	job *jobs;
	size_t n, cap;
	size_t next;             /* no job before it is queued */
	unsigned want, started;  /* workers wanted, threads started */
	pthread_t threads[VIOS_POOL_MAX_WORKERS];
	int stop;
};

unsigned vios_pool_workers(void)
{
	const char *v = getenv("VIOS_SEAL_THREADS");
	cpu_set_t set;
	int cpus;

	if (v && *v) {
		char *end;
		long n;
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno == 0 && *end == 0 && n >= 0 && n <= VIOS_POOL_MAX_WORKERS)
			return (unsigned)n;
	}
	cpus = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
	return cpus <= 1 ? 0 : cpus - 1 > 3 ? 3 : (unsigned)(cpus - 1);
}

int vios_pool_new(vios_pool **out, unsigned workers)
{
	vios_pool *p;

	assert(out != NULL);
	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return vios_error_nomem();
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->queued, NULL);
	pthread_cond_init(&p->finished, NULL);
	p->want = workers > VIOS_POOL_MAX_WORKERS ? VIOS_POOL_MAX_WORKERS : workers;
	*out = p;
	return 0;
}

/* The first queued job from p->next on, marked running; SIZE_MAX when none. Under the lock. */
static size_t take_locked(vios_pool *p)
{
	while (p->next < p->n && p->jobs[p->next].state != JOB_QUEUED)
		p->next++;
	if (p->next == p->n)
		return (size_t)-1;
	p->jobs[p->next].state = JOB_RUNNING;
	return p->next++;
}

/* Runs job k (taken, so no one else runs it), then marks it done. */
static void run_job(vios_pool *p, size_t k)
{
	vios_pool_fn fn;
	void *arg;

	pthread_mutex_lock(&p->lock);
	fn = p->jobs[k].fn;
	arg = p->jobs[k].arg;
	pthread_mutex_unlock(&p->lock);
	fn(arg);
	pthread_mutex_lock(&p->lock);
	p->jobs[k].state = JOB_DONE;
	pthread_cond_broadcast(&p->finished);
	pthread_mutex_unlock(&p->lock);
}

static void *worker(void *arg)
{
	vios_pool *p = arg;

	for (;;) {
		size_t k;
		pthread_mutex_lock(&p->lock);
		while ((k = take_locked(p)) == (size_t)-1 && !p->stop)
			pthread_cond_wait(&p->queued, &p->lock);
		pthread_mutex_unlock(&p->lock);
		if (k == (size_t)-1)
			return NULL; /* stopped, nothing queued */
		run_job(p, k);
	}
}

int vios_pool_submit(vios_pool *p, vios_pool_fn fn, void *arg, size_t *ticket)
{
	assert(p != NULL && fn != NULL && ticket != NULL);
	pthread_mutex_lock(&p->lock);
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;
		job *grown = realloc(p->jobs, cap * sizeof(*grown));
		if (grown == NULL) {
			pthread_mutex_unlock(&p->lock);
			return vios_error_nomem();
		}
		p->jobs = grown;
		p->cap = cap;
	}
	/* the workers start with the first job: a pool that seals nothing costs no thread */
	while (p->started < p->want) {
		if (pthread_create(&p->threads[p->started], NULL, worker, p) != 0) {
			/* fewer workers than wanted still work, and none does too:
			 * every job not taken runs at its wait */
			p->want = p->started;
			break;
		}
		p->started++;
	}
	p->jobs[p->n].fn = fn;
	p->jobs[p->n].arg = arg;
	p->jobs[p->n].state = JOB_QUEUED;
	*ticket = p->n++;
	pthread_cond_signal(&p->queued);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

int vios_pool_done(vios_pool *p, size_t ticket)
{
	int done;

	assert(p != NULL);
	pthread_mutex_lock(&p->lock);
	assert(ticket < p->n);
	done = p->jobs[ticket].state == JOB_DONE;
	pthread_mutex_unlock(&p->lock);
	return done;
}

void vios_pool_wait(vios_pool *p, size_t ticket)
{
	assert(p != NULL);
	pthread_mutex_lock(&p->lock);
	assert(ticket < p->n && p->jobs[ticket].state != JOB_DROPPED);
	while (p->jobs[ticket].state != JOB_DONE) {
		/* the job itself when no worker took it, else any job still
		 * queued: the caller helps instead of waiting */
		size_t k = ticket;
		if (p->jobs[ticket].state == JOB_QUEUED)
			p->jobs[ticket].state = JOB_RUNNING;
		else
			k = take_locked(p);
		if (k == (size_t)-1) {
			pthread_cond_wait(&p->finished, &p->lock);
			continue;
		}
		pthread_mutex_unlock(&p->lock);
		run_job(p, k);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
}

void vios_pool_free(vios_pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	for (size_t k = 0; k < p->n; k++)
		if (p->jobs[k].state == JOB_QUEUED)
			p->jobs[k].state = JOB_DROPPED;
	p->stop = 1;
	pthread_cond_broadcast(&p->queued);
	pthread_mutex_unlock(&p->lock);
	/* a running job finishes: its worker sees stop and nothing queued */
	for (unsigned i = 0; i < p->started; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->queued);
	pthread_cond_destroy(&p->finished);
	pthread_mutex_destroy(&p->lock);
	free(p->jobs);
	free(p);
}
