/*
 * test_net.c - the run lock (src/node/run.c) and the network's small rules
 * (sync/net.c).
 *
 * Proves: a run lock another process holds is refused with one line naming
 * its pid and command; the entry of a process killed with SIGKILL is stale
 * and the next hold takes it; holds in one process are counted; URLs are
 * told from paths (numbered cases); a password in a URL is never shown; a
 * stick is a bare repository, made only in a new or empty path, and a
 * missing one is refused without anything created; stale lock files are
 * cleared and nothing else.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "node/run.h"
#include "sync/net.h"
#include "util/error.h"

static char dir[64];

static int sandbox(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vios-test-net.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int cleanup(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A child that holds what and waits for a byte on fd, then exits (or is killed). */
static pid_t holder(vios_run_what what, int *wfd)
{
	int p[2], q[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(q), 0);
	if ((pid = fork()) == 0) {
		vios_run_set_command("sync");
		if (vios_run_hold(dir, what, 0) != 1)
			_exit(2);
		(void)!write(q[1], "r", 1);
		(void)!read(p[0], &c, 1);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(read(q[0], &c, 1), 1);
	close(q[0]);
	close(q[1]);
	close(p[0]);
	*wfd = p[1];
	return pid;
}

static void test_run__held_elsewhere_is_refused_naming_pid_and_command(void **state)
{
	char want[160], cmd[32];
	int fd, pid = 0, status;
	pid_t child;

	(void)state;
	child = holder(VIOS_RUN_STORE, &fd);
	vios_run_holder(&pid, cmd, sizeof(cmd), dir, VIOS_RUN_STORE);
	assert_int_equal(pid, (int)child);
	assert_string_equal(cmd, "sync");
	assert_int_equal(vios_run_hold(dir, VIOS_RUN_STORE, 100), VIOS_ERROR);
	snprintf(want, sizeof(want), "another vios (pid %d, sync) is using this store", (int)child);
	assert_non_null(strstr(vios_error_last(), want));
	/* the other resource is free */
	assert_int_equal(vios_run_hold(dir, VIOS_RUN_REPOS, 0), 1);
	vios_run_release(dir, VIOS_RUN_REPOS);
	(void)!write(fd, "x", 1);
	close(fd);
	waitpid(child, &status, 0);
	assert_int_equal(vios_run_hold(dir, VIOS_RUN_STORE, 0), 1);
	vios_run_release(dir, VIOS_RUN_STORE);
}

static void test_run__a_killed_holder_leaves_a_stale_entry_that_is_taken(void **state)
{
	int fd, pid = -1, status;
	pid_t child;

	(void)state;
	child = holder(VIOS_RUN_REPOS, &fd);
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	close(fd);
	vios_run_holder(&pid, NULL, 0, dir, VIOS_RUN_REPOS);
	assert_int_equal(pid, 0);
	assert_int_equal(vios_run_hold(dir, VIOS_RUN_REPOS, 0), 1);
	/* counted: a second hold in the process, and the lock stays until the last release */
	assert_int_equal(vios_run_hold(dir, VIOS_RUN_REPOS, 0), 0);
	vios_run_release(dir, VIOS_RUN_REPOS);
	vios_run_release(dir, VIOS_RUN_REPOS);
}

static void test_net__urls_are_told_from_paths(void **state)
{
	static const struct {
		const char *s;
		int url;
	} cases[] = {
		/* 1 */ { "git://127.0.0.1:4242/hub.git", 1 },
		/* 2 */ { "ssh://git@hub.example/vios/hub.git", 1 },
		/* 3 */ { "https://git.gemeente.example/vios/hub.git", 1 },
		/* 4 */ { "http://127.0.0.1:8080/hub.git", 1 },
		/* 5 */ { "file:///media/usb/vios.git", 1 },
		/* 6 */ { "git@hub.example:vios/hub.git", 1 },
		/* 7 */ { "/media/usb/vios.git", 0 },
		/* 8 */ { "usb/vios.git", 0 },
		/* 9 */ { "./a:b/vios.git", 0 },
		/* 10 */ { "vios.git", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (vios_net_is_url(cases[i].s) != cases[i].url)
			fail_msg("case %zu: %s", i + 1, cases[i].s);
	}
}

static void test_net__a_password_in_a_url_is_never_shown(void **state)
{
	char out[256];

	(void)state;
	vios_net_url_redact(out, sizeof(out), "https://school:s3cret@git.example/hub.git");
	assert_string_equal(out, "https://school:***@git.example/hub.git");
	vios_net_url_redact(out, sizeof(out), "ssh://git@hub.example/hub.git");
	assert_string_equal(out, "ssh://git@hub.example/hub.git");
	vios_net_url_redact(out, sizeof(out), "/media/usb/vios.git");
	assert_string_equal(out, "/media/usb/vios.git");
}

static void test_net__sticks_are_made_on_purpose(void **state)
{
	char path[128], file[160];
	struct stat sb;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/media/usb/vios.git", dir);
	assert_int_equal(vios_net_stick_check(path), VIOS_ENOTFOUND);
	assert_non_null(strstr(vios_error_last(), "is not a vios stick: mount it, or run 'vios stick init"));
	snprintf(path, sizeof(path), "%s/media", dir);
	assert_int_equal(stat(path, &sb), -1);
	snprintf(path, sizeof(path), "%s/stick.git", dir);
	assert_int_equal(vios_net_stick_init(path), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(vios_net_stick_check(path), 0);
	assert_int_equal(vios_net_stick_init(path), VIOS_EEXISTS);
	snprintf(path, sizeof(path), "%s/plain", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(file, sizeof(file), "%s/x", path);
	assert_non_null(f = fopen(file, "w"));
	fclose(f);
	assert_int_equal(vios_net_stick_check(path), VIOS_ENOTFOUND);
	assert_int_equal(vios_net_stick_init(path), VIOS_EEXISTS);
}

static void test_net__stale_locks_are_cleared_and_nothing_else(void **state)
{
	static const char *const stale[] = { "refs/vios/incoming/nodes/x.lock", "packed-refs.lock",
					     "objects/tmp_object_git2_AbC", "objects/pack/pack_git2_XyZ" };
	static const char *const kept[] = { "refs/heads/nodes/x", "objects/pack/pack-1.pack", "refs/heads/a_git2_b" };
	char repo[128], p[256], cmd[600];
	size_t n = 0;

	(void)state;
	snprintf(repo, sizeof(repo), "%s/outbox.git", dir);
	for (size_t i = 0; i < 4 + 3; i++) {
		const char *rel = i < 4 ? stale[i] : kept[i - 4];
		snprintf(p, sizeof(p), "%s/%s", repo, rel);
		snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\" && : > '%s'", p, p);
		assert_int_equal(system(cmd), 0);
	}
	assert_int_equal(vios_net_clear_stale(&n, repo), 0);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/%s", repo, stale[i]);
		assert_int_equal(access(p, F_OK), -1);
	}
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", repo, kept[i]);
		assert_int_equal(access(p, F_OK), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run__held_elsewhere_is_refused_naming_pid_and_command),
		cmocka_unit_test(test_run__a_killed_holder_leaves_a_stale_entry_that_is_taken),
		cmocka_unit_test(test_net__urls_are_told_from_paths),
		cmocka_unit_test(test_net__a_password_in_a_url_is_never_shown),
		cmocka_unit_test(test_net__sticks_are_made_on_purpose),
		cmocka_unit_test(test_net__stale_locks_are_cleared_and_nothing_else),
	};

	return cmocka_run_group_tests(tests, sandbox, cleanup);
}
