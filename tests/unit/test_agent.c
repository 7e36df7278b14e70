/*
 * test_agent.c - the unlock agent: its wire format (node/agent.h), its
 * client against no agent, a stale socket and a mute one, a served agent
 * in a child process (key, status, lock, deadline), and opening a home with
 * the master key (vios_node_open_key).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "node/agent.h"
#include "node/node.h"
#include "util/error.h"
#include "util/util.h"

#define NODE_ID "01a2308b-11e8-7bb8-90eb-f2237d6c5b8f"

typedef struct {
	char dir[64];
	char sock[128];
} sandbox;

static int setup(void **state)
{
	sandbox *sb = calloc(1, sizeof(*sb));
	strcpy(sb->dir, "/tmp/vios-agent.XXXXXX");
	assert_non_null(mkdtemp(sb->dir));
	snprintf(sb->sock, sizeof(sb->sock), "%s/%s", sb->dir, VIOS_AGENT_SOCK);
	*state = sb;
	return 0;
}

static int teardown(void **state)
{
	sandbox *sb = *state;
	vios_rm_rf(sb->dir);
	free(sb);
	return 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_agent_request__round_trip_and_strict(void **state)
{
	uint8_t b[VIOS_AGENT_REQ_LEN];
	int op;

	(void)state;
	vios_agent_request_encode(b, VIOS_AGENT_LOCK);
	assert_int_equal(vios_agent_request_parse(&op, b, sizeof(b)), 0);
	assert_int_equal(op, VIOS_AGENT_LOCK);
	/* 1. a length other than 12 */
	assert_int_equal(vios_agent_request_parse(&op, b, sizeof(b) - 1), VIOS_ECORRUPT);
	/* 2. the magic */
	b[0] ^= 1;
	assert_int_equal(vios_agent_request_parse(&op, b, sizeof(b)), VIOS_ECORRUPT);
	b[0] ^= 1;
	/* 3. the version */
	b[8] = 2;
	assert_int_equal(vios_agent_request_parse(&op, b, sizeof(b)), VIOS_ECORRUPT);
	b[8] = 1;
	/* 4. an unknown op */
	b[10] = 9;
	assert_int_equal(vios_agent_request_parse(&op, b, sizeof(b)), VIOS_ECORRUPT);
	assert_int_equal(op, 0);
}

static void test_agent_reply__round_trip_and_strict(void **state)
{
	uint8_t b[VIOS_AGENT_REPLY_LEN], key[32];
	vios_agent_reply r = { .op = VIOS_AGENT_KEY, .kdf_preset = 2, .pid = 4242, .expires = 1800000000 }, got;

	(void)state;
	randombytes_buf(key, sizeof(key));
	strcpy(r.node_id, NODE_ID);
	r.key = key;
	vios_agent_reply_encode(b, &r);
	assert_int_equal(vios_agent_reply_parse(&got, b, sizeof(b), VIOS_AGENT_KEY), 0);
	assert_memory_equal(got.key, key, 32);
	assert_string_equal(got.node_id, NODE_ID);
	assert_int_equal(got.pid, 4242);
	assert_int_equal(got.expires, 1800000000);
	assert_int_equal(got.kdf_preset, 2);
	vios_agent_reply_dispose(&got);
	assert_null(got.key);
	/* 1. an answer to another request */
	assert_int_equal(vios_agent_reply_parse(&got, b, sizeof(b), VIOS_AGENT_STATUS), VIOS_ECORRUPT);
	assert_null(got.key);
	/* 2. key bytes in a status answer */
	r.op = VIOS_AGENT_STATUS;
	vios_agent_reply_encode(b, &r);
	assert_int_equal(vios_agent_reply_parse(&got, b, sizeof(b), VIOS_AGENT_STATUS), VIOS_ECORRUPT);
	r.key = NULL;
	vios_agent_reply_encode(b, &r);
	assert_int_equal(vios_agent_reply_parse(&got, b, sizeof(b), VIOS_AGENT_STATUS), 0);
	assert_null(got.key);
	/* 3. status 1: not understood */
	r.status = 1;
	vios_agent_reply_encode(b, &r);
	assert_int_equal(vios_agent_reply_parse(&got, b, sizeof(b), VIOS_AGENT_STATUS), VIOS_ECORRUPT);
	r.status = 0;
	/* 4. no node id */
	strcpy(r.node_id, "not-a-node");
	vios_agent_reply_encode(b, &r);
	assert_int_equal(vios_agent_reply_parse(&got, b, sizeof(b), VIOS_AGENT_STATUS), VIOS_ECORRUPT);
	strcpy(r.node_id, NODE_ID);
	/* 5. the version, 6. the length, 7. an unknown preset, 8. pid 0 */
	vios_agent_reply_encode(b, &r);
	b[8] = 2;
	assert_int_equal(vios_agent_reply_parse(&got, b, sizeof(b), VIOS_AGENT_STATUS), VIOS_ECORRUPT);
	b[8] = 1;
	assert_int_equal(vios_agent_reply_parse(&got, b, sizeof(b) - 1, VIOS_AGENT_STATUS), VIOS_ECORRUPT);
	r.kdf_preset = 7;
	vios_agent_reply_encode(b, &r);
	assert_int_equal(vios_agent_reply_parse(&got, b, sizeof(b), VIOS_AGENT_STATUS), VIOS_ECORRUPT);
	r.kdf_preset = 2;
	r.pid = 0;
	vios_agent_reply_encode(b, &r);
	assert_int_equal(vios_agent_reply_parse(&got, b, sizeof(b), VIOS_AGENT_STATUS), VIOS_ECORRUPT);
}

static void test_agent_duration__units_and_bounds(void **state)
{
	static const struct {
		int id;
		const char *text;
		long long secs; /* 0: refused */
	} cases[] = {
		{ 1, "30s", 30 },  { 2, "5m", 300 },   { 3, "8h", 28800 }, { 4, "1d", 86400 }, { 5, "24h", 86400 },
		{ 6, "90", 90 },   { 7, "25h", 0 },    { 8, "0", 0 },      { 9, "", 0 },       { 10, "5x", 0 },
		{ 11, "-1", 0 },   { 12, "1w", 0 },    { 13, "2d", 0 },    { 14, "h", 0 },     { 15, "99999999999999999999", 0 },
		{ 16, "86401", 0 }, { 17, " 5m", 0 },  { 18, "5m ", 0 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long long s = -1;
		int rc = vios_agent_duration_parse(&s, cases[i].text);
		if (cases[i].secs ? rc != 0 || s != cases[i].secs : rc != VIOS_EUSAGE)
			fail_msg("case %d (\"%s\"): rc %d, %lld seconds", cases[i].id, cases[i].text, rc, s);
	}
}

static void test_agent_ask__no_agent_and_a_stale_socket(void **state)
{
	sandbox *sb = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	vios_agent_reply r;
	int fd;

	assert_int_equal(vios_agent_ask(&r, sb->dir, VIOS_AGENT_KEY, 500), VIOS_ENOTFOUND);
	/* a socket nobody listens on, as a killed agent leaves it */
	strcpy(sa.sun_path, sb->sock);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_true(vios_path_exists(sb->sock));
	assert_int_equal(vios_agent_ask(&r, sb->dir, VIOS_AGENT_KEY, 500), VIOS_ENOTFOUND);
	assert_false(vios_path_exists(sb->sock));
}

static void test_agent_listen__replaces_a_stale_socket_leaves_no_temporary(void **state)
{
	sandbox *sb = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	vios_agent *a = NULL;
	uint8_t key[32] = { 1 };
	struct stat st;
	char tmp[160];
	int fd;

	strcpy(sa.sun_path, sb->sock);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(vios_agent_listen(&a, sb->dir, key, 2, NODE_ID, 60), 0);
	assert_int_equal(lstat(sb->sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0600 && st.st_nlink == 1);
	snprintf(tmp, sizeof(tmp), "%s.%ld", sb->sock, (long)getpid());
	assert_false(vios_path_exists(tmp));
	/* 1. a relative home, 2. a duration out of bounds, 3. no node id */
	vios_agent_free(a);
	unlink(sb->sock);
	assert_int_equal(vios_agent_listen(&a, "relative/home", key, 2, NODE_ID, 60), VIOS_ERROR);
	assert_int_equal(vios_agent_listen(&a, sb->dir, key, 2, NODE_ID, VIOS_AGENT_FOR_MAX + 1), VIOS_ERROR);
	assert_int_equal(vios_agent_listen(&a, sb->dir, key, 2, "nope", 60), VIOS_ERROR);
	assert_null(a);
	assert_false(vios_path_exists(sb->sock));
}

static void test_agent_ask__a_mute_agent_costs_the_timeout_only(void **state)
{
	sandbox *sb = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	vios_agent_reply r;
	double t;
	int fd;

	/* listens, never accepts, never answers: a stopped agent */
	strcpy(sa.sun_path, sb->sock);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	t = now();
	assert_int_equal(vios_agent_ask(&r, sb->dir, VIOS_AGENT_KEY, 300), VIOS_ERROR);
	t = now() - t;
	assert_true(t >= 0.25 && t < 2.0);
	assert_non_null(strstr(vios_error_last(), "did not answer in time"));
	assert_null(r.key);
	assert_true(vios_path_exists(sb->sock)); /* live: not removed */
	close(fd);
}

/* A served agent in a child; its pid. */
static pid_t serve(sandbox *sb, const uint8_t key[32], long long secs)
{
	vios_agent *a = NULL;
	pid_t pid;

	assert_int_equal(vios_agent_listen(&a, sb->dir, key, 2, NODE_ID, secs), 0);
	assert_true(vios_path_exists(sb->sock));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(vios_agent_serve(a) < 0 ? 1 : 0);
	vios_agent_free(a);
	return pid;
}

static void test_agent_serve__key_status_lock(void **state)
{
	sandbox *sb = *state;
	uint8_t key[32];
	vios_agent_reply r;
	vios_agent *second = NULL;
	struct stat st;
	int status;
	pid_t pid;

	randombytes_buf(key, sizeof(key));
	pid = serve(sb, key, 60);
	assert_int_equal(stat(sb->sock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(vios_agent_ask(&r, sb->dir, VIOS_AGENT_KEY, 2000), 0);
	assert_memory_equal(r.key, key, 32);
	assert_string_equal(r.node_id, NODE_ID);
	assert_int_equal(r.pid, pid);
	assert_int_equal(r.kdf_preset, 2);
	assert_true(r.expires > (long long)time(NULL) + 50);
	vios_agent_reply_dispose(&r);
	assert_int_equal(vios_agent_ask(&r, sb->dir, VIOS_AGENT_STATUS, 2000), 0);
	assert_null(r.key);
	/* a live agent is not replaced by listening over it */
	assert_int_equal(vios_agent_listen(&second, sb->dir, key, 2, NODE_ID, 60), VIOS_EEXISTS);
	/* lock: answered once the key is gone, the agent exits */
	assert_int_equal(vios_agent_ask(&r, sb->dir, VIOS_AGENT_LOCK, 2000), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_false(vios_path_exists(sb->sock));
	assert_int_equal(vios_agent_ask(&r, sb->dir, VIOS_AGENT_KEY, 500), VIOS_ENOTFOUND);
}

static void test_agent_serve__exits_at_its_deadline_and_on_sigterm(void **state)
{
	sandbox *sb = *state;
	uint8_t key[32];
	vios_agent_reply r;
	double t;
	int status;
	pid_t pid;

	randombytes_buf(key, sizeof(key));
	t = now();
	pid = serve(sb, key, 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	t = now() - t;
	assert_true(t >= 0.9 && t < 5.0);
	assert_false(vios_path_exists(sb->sock));
	pid = serve(sb, key, 60);
	assert_int_equal(vios_agent_ask(&r, sb->dir, VIOS_AGENT_STATUS, 2000), 0);
	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_false(vios_path_exists(sb->sock));
}

static void test_node_open_key__opens_with_the_master_key_refuses_another(void **state)
{
	sandbox *sb = *state;
	char home[128], code[VIOS_RECOVERY_LEN + 1];
	vios_secret *pass = NULL;
	vios_node *a = NULL, *b = NULL;
	uint8_t wrong[32];

	snprintf(home, sizeof(home), "%s/home", sb->dir);
	assert_int_equal(vios_secret_new(&pass, "unit test passphrase", 20), 0);
	assert_int_equal(vios_node_init(&a, code, home, "school", "unit", NULL, pass, VIOS_KDF_INTERACTIVE), 0);
	assert_int_equal(vios_node_open_key(&b, home, a->master, a->kdf_preset), 0);
	assert_memory_equal(b->sign_sec->sk, a->sign_sec->sk, 64);
	assert_memory_equal(b->age_sk, a->age_sk, 32);
	assert_int_equal(b->kdf_preset, VIOS_KDF_INTERACTIVE);
	vios_node_free(b);
	b = NULL;
	memcpy(wrong, a->master, 32);
	wrong[0] ^= 1;
	assert_int_equal(vios_node_open_key(&b, home, wrong, a->kdf_preset), VIOS_EAUTH);
	assert_null(b);
	assert_non_null(strstr(vios_error_last(), "does not open"));
	vios_node_free(a);
	vios_secret_free(pass);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agent_request__round_trip_and_strict),
		cmocka_unit_test(test_agent_reply__round_trip_and_strict),
		cmocka_unit_test(test_agent_duration__units_and_bounds),
		cmocka_unit_test_setup_teardown(test_agent_ask__no_agent_and_a_stale_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_agent_listen__replaces_a_stale_socket_leaves_no_temporary, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_agent_ask__a_mute_agent_costs_the_timeout_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_agent_serve__key_status_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_agent_serve__exits_at_its_deadline_and_on_sigterm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_open_key__opens_with_the_master_key_refuses_another, setup,
						teardown),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
