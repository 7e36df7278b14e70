/*
 * run.c - see run.h. The one reader and writer of <home>/run/ (vios-run-1).
 */
#include "node/run.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RUN_MAGIC "vios-run-1"
#define RUN_HOLDS 64

static const char *const run_file[] = { [VIOS_RUN_STORE] = "store", [VIOS_RUN_REPOS] = "repos" };
static const char *const run_words[] = { [VIOS_RUN_STORE] = "this store",
					 [VIOS_RUN_REPOS] = "this node's git repository (outbox.git)" };

/* This process's holds: one descriptor per file, counted. */
static struct {
	char path[PATH_MAX];
	int fd, count;
} holds[RUN_HOLDS];

static const char *command_word = "vios";

void vios_run_set_command(const char *command)
{
	assert(command != NULL);
	command_word = command;
}

static int run_path(char *out, size_t len, const char *home, vios_run_what what)
{
	assert(what == VIOS_RUN_STORE || what == VIOS_RUN_REPOS);
	return vios_snprintf(out, len, "%s/run/%s", home, run_file[what]);
}

static int find_hold(const char *path)
{
	for (int i = 0; i < RUN_HOLDS; i++)
		if (holds[i].count > 0 && !strcmp(holds[i].path, path))
			return i;
	return -1;
}

static void whole_file(struct flock *fl, short type)
{
	memset(fl, 0, sizeof(*fl));
	fl->l_type = type;
	fl->l_whence = SEEK_SET;
}

/* The holder of the lock on fd (another process's), from the kernel and the entry. */
static void holder_of(int fd, int *pid, char *command, size_t len)
{
	struct flock fl;
	char buf[128], word[64];
	ssize_t n;
	long p = 0;

	*pid = 0;
	if (command && len)
		command[0] = 0;
	whole_file(&fl, F_WRLCK);
	if (fcntl(fd, F_GETLK, &fl) < 0 || fl.l_type == F_UNLCK)
		return;
	*pid = (int)fl.l_pid;
	if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) <= 0)
		return;
	buf[n] = 0;
	/* the entry names the command only when it is the holder's own */
	if (sscanf(buf, RUN_MAGIC " %ld %63[a-z-]", &p, word) == 2 && p == (long)*pid && command && len)
		snprintf(command, len, "%s", word);
}

void vios_run_holder(int *pid, char *command, size_t len, const char *home, vios_run_what what)
{
	char path[PATH_MAX];
	int fd;

	assert(pid != NULL && home != NULL);
	*pid = 0;
	if (command && len)
		command[0] = 0;
	/* a file this process holds: closing another descriptor of it would drop the lock */
	if (run_path(path, sizeof(path), home, what) < 0 || find_hold(path) >= 0)
		return;
	vios_error_clear();
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return;
	holder_of(fd, pid, command, len);
	close(fd);
}

/* Writes this process's entry into the file it now holds. */
static int write_entry(int fd, const char *path)
{
	char line[128];
	int n = snprintf(line, sizeof(line), RUN_MAGIC " %ld %s\n", (long)getpid(), command_word);

	if (n < 0 || (size_t)n >= sizeof(line) || ftruncate(fd, 0) < 0 || pwrite(fd, line, (size_t)n, 0) != n)
		return vios_error_os("cannot write %s", path);
	return 0;
}

int vios_run_hold(const char *home, vios_run_what what, int wait_ms)
{
	char path[PATH_MAX], dir[PATH_MAX];
	struct flock fl;
	int fd = -1, slot = -1, error, waited = 0;

	assert(home != NULL && wait_ms >= 0);
	if ((error = run_path(path, sizeof(path), home, what)) < 0 ||
	    (error = vios_snprintf(dir, sizeof(dir), "%s/run", home)) < 0)
		goto done;
	if ((slot = find_hold(path)) >= 0) {
		holds[slot].count++;
		error = 0;
		goto done;
	}
	for (int i = 0; i < RUN_HOLDS && slot < 0; i++)
		if (holds[i].count == 0)
			slot = i;
	assert(slot >= 0);
	if (slot < 0) {
		vios_error_set(VIOS_ERR_INPUT, "%s: too many run locks held", path);
		error = VIOS_ERROR;
		goto done;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		error = vios_error_os("cannot create %s", dir);
		goto done;
	}
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		error = vios_error_os("cannot open %s", path);
		goto done;
	}
	for (;;) {
		whole_file(&fl, F_WRLCK);
		if (fcntl(fd, F_SETLK, &fl) == 0)
			break;
		if (errno != EACCES && errno != EAGAIN) {
			error = vios_error_os("cannot lock %s", path);
			goto done;
		}
		if (waited >= wait_ms) {
			char cmd[64];
			int pid;
			holder_of(fd, &pid, cmd, sizeof(cmd));
			if (pid > 0)
				vios_error_set(VIOS_ERR_INPUT, "another vios (pid %d, %s) is using %s; try again when it has finished",
					       pid, cmd[0] ? cmd : "?", run_words[what]);
			else
				vios_error_set(VIOS_ERR_INPUT, "another vios is using %s; try again when it has finished",
					       run_words[what]);
			error = VIOS_ERROR;
			goto done;
		}
		{
			struct timespec ts = { 0, 50 * 1000 * 1000 };
			nanosleep(&ts, NULL);
			waited += 50;
		}
	}
	if ((error = write_entry(fd, path)) < 0)
		goto done;
	snprintf(holds[slot].path, sizeof(holds[slot].path), "%s", path);
	holds[slot].fd = fd;
	holds[slot].count = 1;
	fd = -1;
	error = 1;
done:
	if (fd >= 0)
		close(fd);
	return error;
}

void vios_run_release(const char *home, vios_run_what what)
{
	char path[PATH_MAX];
	int slot;

	assert(home != NULL);
	if (run_path(path, sizeof(path), home, what) < 0 || (slot = find_hold(path)) < 0) {
		vios_error_clear();
		return;
	}
	if (--holds[slot].count > 0)
		return;
	/* the entry stays: without its lock it is stale, and the next holder overwrites it */
	close(holds[slot].fd);
	holds[slot].fd = -1;
	holds[slot].path[0] = 0;
}
