/*
 * rss_of.h - the benches' measure of a program's own peak memory.
 *
 * `TOOL --rss-of FD PROG ARGS...` (internal to tools/bench.c and
 * tools/bench_scale.c): runs PROG and writes its peak RSS in KiB to
 * descriptor FD; exits with its status. A child forked from a bench and
 * exec'd keeps in ru_maxrss the high-water mark of the copy of the bench
 * that fork made (Linux carries it across execve), so the bench execs
 * itself first: this small image forks the measured program, whose
 * ru_maxrss is then its own.
 */
#ifndef VIOS_TOOLS_RSS_OF_H
#define VIOS_TOOLS_RSS_OF_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static int rss_of(char **argv)
{
	struct rusage ru;
	int fd = atoi(argv[2]), status;
	pid_t pid = fork();

	if (pid < 0)
		return 126;
	if (pid == 0) {
		close(fd);
		execv(argv[3], argv + 3);
		_exit(127);
	}
	memset(&ru, 0, sizeof(ru));
	if (wait4(pid, &status, 0, &ru) != pid)
		return 126;
	dprintf(fd, "%ld\n", ru.ru_maxrss);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#endif
