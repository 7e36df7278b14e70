/*
 * web_job.c - the web interface's long jobs (sync now, merge now): run in
 * a child process, watched by a page that reloads itself.
 *
 * Why a process and not a thread: the store's run lock (src/node/run.h)
 * is an fcntl lock, which belongs to a process and does not keep threads
 * apart. A forked child holds the node's key already (no passphrase, no
 * agent needed), opens its own store, takes the run lock as any vios
 * command does, and the server's own requests take turns with it exactly
 * as a `vios sync` from a timer would: the job lets go of the store while
 * it waits on the network (vios_sync does), and a page that cannot get the
 * store within the run lock's wait says who holds it.
 *
 * The child writes progress lines to a pipe; the last line it writes is
 * "\x1e" followed by its result: "0 " and the summary, or the error code
 * and the one-line error. The server reads the pipe without blocking when
 * the job's page is asked for, and reaps the child then.
 */
#include "web/web.h"
#include "web/web_internal.h"

#include "crdt/crdt.h"
#include "sync/consent.h"
#include "sync/git.h"
#include "sync/sync.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define JOB_TEXT 4096

typedef struct {
	char name[16];
	pid_t pid;
	int fd;             /* the pipe's reading end, -1 when closed */
	char text[JOB_TEXT]; /* what the child wrote so far */
	size_t len;
	int done;
	int code;           /* the job's result, once done */
	char result[512];   /* its summary or error line */
} web_job;

static web_job job; /* one job at a time, for the whole server */
static int job_fd = -1; /* the child's writing end */

/* libgit2's progress in the child, as one line per step. */
static void job_progress(void *ctx, const char *what, size_t done, size_t total, size_t bytes)
{
	(void)ctx;
	web_job_line("%s: %zu/%zu objects, %zu KiB", what, done, total, bytes / 1024);
}

void web_job_line(const char *fmt, ...)
{
	char line[400];
	va_list ap;
	int n;

	if (job_fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* the pipe is non-blocking: a progress line the server has not read
	 * in time is dropped, never waited for (the job may hold the store) */
	(void)!write(job_fd, line, (size_t)n);
}

/* Reads what the child wrote, and reaps it once the pipe closed. */
static void job_poll(void)
{
	char buf[1024];
	ssize_t n;
	char *mark;

	while (job.fd >= 0 && (n = read(job.fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			break;
		}
		if (job.len + (size_t)n >= sizeof(job.text)) {
			/* keep the end: the latest lines and the result */
			size_t keep = sizeof(job.text) / 2;
			memmove(job.text, job.text + job.len - keep, keep);
			job.len = keep;
		}
		memcpy(job.text + job.len, buf, (size_t)n);
		job.len += (size_t)n;
		job.text[job.len] = '\0';
	}
	if (job.fd >= 0) {
		close(job.fd);
		job.fd = -1;
	}
	waitpid(job.pid, NULL, 0);
	job.done = 1;
	if ((mark = strrchr(job.text, '\x1e')) != NULL) {
		char *nl;
		job.code = atoi(mark + 1);
		snprintf(job.result, sizeof(job.result), "%s", strchr(mark, ' ') ? strchr(mark, ' ') + 1 : "");
		if ((nl = strchr(job.result, '\n')) != NULL)
			*nl = '\0';
		*mark = '\0';
		job.len = strlen(job.text);
	} else {
		job.code = VIOS_ERROR;
		snprintf(job.result, sizeof(job.result), "%s", _("the job ended without a result"));
	}
}

/* The job's result, kept until the child has let go of the store. */
static int result_code;
static char result_line[512];
static int result_set;

void web_job_result(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(result_line, sizeof(result_line), fmt, ap);
	va_end(ap);
	result_code = code;
	result_set = 1;
}

/* In the child, last: the result, written whatever it takes (blocking),
 * once the store is closed, so a server that reads late holds nothing up. */
static void result_write(void)
{
	char line[600];
	int n = snprintf(line, sizeof(line), "\x1e%d %s\n", result_code, result_line);
	size_t off = 0;

	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	fcntl(job_fd, F_SETFL, 0);
	while (off < (size_t)n) {
		ssize_t w = write(job_fd, line + off, (size_t)n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

int web_job_start(vios_web_req *r, const char *name, web_job_fn fn, void *ctx)
{
	int p[2];
	pid_t pid;

	if (job.pid > 0 && !job.done) {
		job_poll();
		if (!job.done) {
			vios_error_set(VIOS_ERR_INPUT, "%s", _("a sync or merge is running already: wait for it to finish"));
			return VIOS_EEXISTS;
		}
	}
	if (pipe2(p, O_CLOEXEC) < 0)
		return vios_error_os("cannot start the job");
	/* the server lets go of the store first: the child takes it (a
	 * release that failed would leave this process counted as its holder,
	 * and the child with it) */
	if (web_store_release(r) < 0) {
		close(p[0]);
		close(p[1]);
		return VIOS_ERROR;
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		return vios_error_os("cannot start the job");
	}
	if (pid == 0) {
		vios_store *st = NULL;
		sigset_t none;
		int error;
		close(p[0]);
		job_fd = p[1];
		fcntl(job_fd, F_SETFL, O_NONBLOCK);
		/* not the server's sockets: the job answers no request */
		web_close_server_fds(r);
		/* the server's thread blocks SIGINT and SIGTERM (its main thread
		 * waits for them); the job takes SIGTERM as any vios does and
		 * ignores SIGINT, so a Ctrl-C of the server lets a sync finish */
		sigemptyset(&none);
		pthread_sigmask(SIG_SETMASK, &none, NULL);
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_DFL);
		/* a server that stopped closes the pipe: the job's next line
		 * then fails (EPIPE) instead of killing the sync halfway */
		signal(SIGPIPE, SIG_IGN);
		vios_git_set_progress(job_progress, NULL);
		if ((error = vios_crdt_store_open(&st, web_node(r))) == 0) {
			vios_store_set_themes(st, vios_consent_themes);
			error = fn(st, ctx);
		}
		if (error < 0)
			web_job_result(error, "%s", vios_error_last());
		else if (!result_set)
			web_job_result(VIOS_ERROR, "%s", _("the job ended without a result"));
		vios_store_free(st);
		result_write();
		_exit(0);
	}
	close(p[1]);
	memset(&job, 0, sizeof(job));
	snprintf(job.name, sizeof(job.name), "%s", name);
	job.pid = pid;
	job.fd = p[0];
	fcntl(job.fd, F_SETFL, O_NONBLOCK);
	return 0;
}


void web_job_poll(void)
{
	if (job.pid > 0 && !job.done)
		job_poll();
}

int web_job_state(const char *name, const char **text, int *code, const char **result)
{
	if (job.pid <= 0 || strcmp(job.name, name))
		return 0;
	if (!job.done)
		job_poll();
	*text = job.text;
	*code = job.code;
	*result = job.result;
	return job.done ? 2 : 1;
}

/* --- sync now (school and partner) --------------------------------------- */

static int job_sync(vios_store *st, void *ctx)
{
	vios_sync_report rep;
	int error;

	(void)ctx;
	memset(&rep, 0, sizeof(rep));
	web_job_line("%s", _("fetching from the hub"));
	error = vios_sync(&rep, st, NULL);
	if (error < 0 && error != VIOS_EVERIFY)
		return error;
	if (rep.alarms)
		web_job_line("%s %s", _("ALARM:"), rep.first_alarm);
	/* the words of `vios sync` (cmd_sync.c), counts first */
	web_job_result(error < 0 ? error : 0,
		       _("synced with the hub: %zu new bundles verified (%zu for this node, %zu changes merged), %zu sealed, %zu sent"),
		       rep.bundles, rep.applied, rep.ops, rep.exported, rep.pushed);
	return 0;
}

static void page_sync(vios_web_req *r, const char *rest)
{
	const char *text, *result;
	int code, state;

	(void)rest;
	if (web_is_post(r)) {
		if (web_job_start(r, "sync", job_sync, NULL) < 0) {
			web_page_begin(r, _("Sync"));
			web_error_line(r);
			web_page_end(r);
			return;
		}
		web_redirect(r, "/sync");
		return;
	}
	state = web_job_state("sync", &text, &code, &result);
	if (state == 1)
		web_refresh(r, 1);
	web_page_begin(r, _("Sync"));
	h_printf(r, "<p>%s</p>\n", _("Sync fetches what the hub holds for this node, checks and merges it, seals what waits "
				   "to be sent, and sends it. Only this node's own data leaves, sealed to the partners the "
				   "covenant allows."));
	if (state == 1)
		h_printf(r, "<p class=\"notice\" role=\"status\">%s</p>\n", _("Syncing…"));
	else if (state == 2 && code == 0)
		web_notice(r, result);
	else if (state == 2)
		h_printf(r, "<p class=\"error\" role=\"alert\">%s</p>\n", result);
	if (state && text[0])
		h_printf(r, "<pre class=\"progress\">%s</pre>\n", text);
	if (state != 1) {
		web_form_begin(r, "/sync");
		h_printf(r, "<p><button>%s</button></p>\n</form>\n", _("Sync now"));
	}
	web_page_end(r);
}

const vios_web_route vios_web_job_routes[] = {
	{ "/sync", WEB_SCHOOL | WEB_PARTNER, page_sync, N_("Sync") },
	{ NULL, 0, NULL, NULL },
};
