/*
 * agent.c - the unlock agent's wire format, its client and its server; see
 * agent.h and docs/formats.md ("Unlock agent").
 *
 * request (12 bytes): magic "VIOSAGT1" | u16 version (1) | u16 op
 *   op 1 key, 2 lock, 3 status
 * reply (100 bytes):  magic "VIOSAGT1" | u16 version (1) | u16 status
 *   | u16 op (echoed) | u16 kdf preset | u64 pid | u64 expires (Unix s)
 *   | node id [36] (ASCII) | key [32] (op 1; zero bytes otherwise)
 * Integers are little-endian. The reader checks every field before it
 * uses one; the key is only ever copied between sodium buffers.
 *
 * The server handles one connection at a time: a peer of another uid is
 * closed on at once; one of ours gets 1 s to send its request and take the
 * reply, so a stuck client cannot keep others waiting for long.
 */
#include "node/agent.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SERVER_IO_MS 1000

struct vios_agent {
	int fd;            /* listening socket */
	ino_t ino;         /* of the socket file, to remove only our own */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint8_t *key;      /* 32 bytes, sodium_malloc'd; no access between uses */
	int kdf_preset;
	char node_id[37];
	long long secs;    /* how long from listen */
	long long expires; /* Unix seconds */
};

/* ---- the format -------------------------------------------------------- */

void vios_agent_request_encode(uint8_t out[VIOS_AGENT_REQ_LEN], vios_agent_op op)
{
	memcpy(out, VIOS_AGENT_MAGIC, 8);
	vios_store_le16(out + 8, VIOS_AGENT_VERSION);
	vios_store_le16(out + 10, (uint16_t)op);
}

int vios_agent_request_parse(int *op, const uint8_t *buf, size_t len)
{
	int v = 0, error = VIOS_ECORRUPT;

	assert(op != NULL && (buf != NULL || len == 0));
	*op = 0;
	if (len != VIOS_AGENT_REQ_LEN || memcmp(buf, VIOS_AGENT_MAGIC, 8) != 0)
		vios_error_set(VIOS_ERR_INPUT, "agent request: not %d bytes starting %s", VIOS_AGENT_REQ_LEN,
			       VIOS_AGENT_MAGIC);
	else if ((v = vios_load_le16(buf + 8)) != VIOS_AGENT_VERSION)
		vios_error_set(VIOS_ERR_INPUT, "agent request: version %d, not %d", v, VIOS_AGENT_VERSION);
	else if ((v = vios_load_le16(buf + 10)) != VIOS_AGENT_KEY && v != VIOS_AGENT_LOCK && v != VIOS_AGENT_STATUS)
		vios_error_set(VIOS_ERR_INPUT, "agent request: unknown op %d", v);
	else {
		*op = v;
		error = 0;
	}
	return error;
}

void vios_agent_reply_encode(uint8_t out[VIOS_AGENT_REPLY_LEN], const vios_agent_reply *r)
{
	assert(out != NULL && r != NULL);
	memset(out, 0, VIOS_AGENT_REPLY_LEN);
	memcpy(out, VIOS_AGENT_MAGIC, 8);
	vios_store_le16(out + 8, VIOS_AGENT_VERSION);
	vios_store_le16(out + 10, (uint16_t)r->status);
	vios_store_le16(out + 12, (uint16_t)r->op);
	vios_store_le16(out + 14, (uint16_t)r->kdf_preset);
	vios_store_le64(out + 16, (uint64_t)r->pid);
	vios_store_le64(out + 24, (uint64_t)r->expires);
	memcpy(out + 32, r->node_id, strnlen(r->node_id, 36));
	if (r->key)
		memcpy(out + 68, r->key, 32);
}

int vios_agent_reply_parse(vios_agent_reply *out, const uint8_t *buf, size_t len, vios_agent_op op)
{
	const char *rule = NULL;
	int error = VIOS_ECORRUPT;

	assert(out != NULL && (buf != NULL || len == 0));
	memset(out, 0, sizeof(*out));
	if (len != VIOS_AGENT_REPLY_LEN || memcmp(buf, VIOS_AGENT_MAGIC, 8) != 0)
		rule = "not " "100 bytes starting " VIOS_AGENT_MAGIC;
	else if (vios_load_le16(buf + 8) != VIOS_AGENT_VERSION)
		rule = "another version (from another vios?)";
	else if (vios_load_le16(buf + 10) != 0)
		rule = "the agent did not understand the request (another vios version?)";
	else if (vios_load_le16(buf + 12) != (uint16_t)op)
		rule = "the answer is to another request";
	else if (vios_load_le16(buf + 14) > 3)
		rule = "unknown key derivation preset";
	else if (vios_load_le64(buf + 16) == 0 || vios_load_le64(buf + 16) > INT32_MAX ||
		 vios_load_le64(buf + 24) > INT64_MAX)
		rule = "a pid or time out of range";
	else if (op != VIOS_AGENT_KEY && !sodium_is_zero(buf + 68, 32))
		rule = "key bytes in an answer that carries no key";
	if (rule == NULL) {
		memcpy(out->node_id, buf + 32, 36);
		out->node_id[36] = 0;
		if (!vios_uuid_valid(out->node_id))
			rule = "no node id";
	}
	if (rule != NULL) {
		vios_error_set(VIOS_ERR_INPUT, "unlock agent: bad answer: %s", rule);
		goto done;
	}
	out->op = (int)op;
	out->kdf_preset = vios_load_le16(buf + 14);
	out->pid = (long long)vios_load_le64(buf + 16);
	out->expires = (long long)vios_load_le64(buf + 24);
	if (op == VIOS_AGENT_KEY) {
		if ((out->key = sodium_malloc(32)) == NULL) {
			error = vios_error_nomem();
			goto done;
		}
		memcpy(out->key, buf + 68, 32);
	}
	error = 0;
done:
	if (error < 0)
		vios_agent_reply_dispose(out);
	return error;
}

void vios_agent_reply_dispose(vios_agent_reply *r)
{
	if (r == NULL)
		return;
	sodium_free(r->key);
	r->key = NULL;
}

int vios_agent_path(char *out, size_t len, const char *home)
{
	assert(out != NULL && home != NULL);
	if (len > sizeof(((struct sockaddr_un *)0)->sun_path))
		len = sizeof(((struct sockaddr_un *)0)->sun_path);
	if (snprintf(out, len, "%s/%s", home, VIOS_AGENT_SOCK) >= (int)len) {
		vios_error_set(VIOS_ERR_INPUT, "the home path %s is too long for the unlock agent's socket", home);
		return VIOS_ERROR;
	}
	return 0;
}

int vios_agent_duration_parse(long long *out, const char *text)
{
	char *end = NULL;
	long long n, unit = 1;

	assert(out != NULL && text != NULL);
	*out = 0;
	errno = 0;
	n = (text[0] >= '0' && text[0] <= '9') ? strtoll(text, &end, 10) : -1;
	if (n >= 0 && errno == 0 && end != NULL) {
		if (!strcmp(end, "") || !strcmp(end, "s"))
			unit = 1;
		else if (!strcmp(end, "m"))
			unit = 60;
		else if (!strcmp(end, "h"))
			unit = 3600;
		else if (!strcmp(end, "d"))
			unit = 86400;
		else
			n = -1;
	} else
		n = -1;
	if (n < 1 || n > VIOS_AGENT_FOR_MAX / unit) {
		vios_error_set(VIOS_ERR_INPUT, "--for takes a duration from 1s to %dh, such as 30s, 5m or 8h",
			       VIOS_AGENT_FOR_MAX / 3600);
		return VIOS_EUSAGE;
	}
	*out = n * unit;
	return 0;
}

/* ---- the client -------------------------------------------------------- */

static void set_timeouts(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Reads exactly len bytes (the socket's timeout bounds each read):
 * 0, 1 at end of file before len bytes, -1 on a timeout or error. */
static int read_exact(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = recv(fd, buf + got, len - got, 0);
		if (r == 0)
			return 1;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}

/* Connects to path: 0 with *fd; VIOS_ENOTFOUND when nobody listens there
 * (a stale socket, removed); VIOS_ERROR when it does not answer. */
static int agent_connect(int *fd, const char *path, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st, again;
	int s = -1, e, error;

	*fd = -1;
	if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		error = VIOS_ENOTFOUND;
		goto done;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		error = vios_error_os("cannot make a socket");
		goto done;
	}
	set_timeouts(s, timeout_ms);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		*fd = s;
		s = -1;
		error = 0;
		goto done;
	}
	e = errno;
	if (e != ECONNREFUSED && e != ENOENT) {
		error = vios_error_os("the unlock agent (%s) does not answer", path);
		goto done;
	}
	/* nobody listens: a killed agent's socket; remove it (the same file
	 * only: a new agent links its own into place) */
	if (e == ECONNREFUSED && lstat(path, &again) == 0 && again.st_ino == st.st_ino && S_ISSOCK(again.st_mode))
		unlink(path);
	error = VIOS_ENOTFOUND;
done:
	if (error == VIOS_ENOTFOUND)
		vios_error_set(VIOS_ERR_INPUT, "no unlock agent runs for this home");
	if (s >= 0)
		close(s);
	return error;
}

int vios_agent_ask(vios_agent_reply *out, const char *home, vios_agent_op op, int timeout_ms)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint8_t req[VIOS_AGENT_REQ_LEN], *reply = NULL, tail;
	int fd = -1, error, r;

	assert(out != NULL && home != NULL && timeout_ms > 0);
	memset(out, 0, sizeof(*out));
	if (vios_agent_path(path, sizeof(path), home) < 0) {
		error = VIOS_ENOTFOUND; /* no agent can listen there */
		goto done;
	}
	if ((error = agent_connect(&fd, path, timeout_ms)) < 0)
		goto done;
	if ((reply = sodium_malloc(VIOS_AGENT_REPLY_LEN)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	vios_agent_request_encode(req, op);
	if (send(fd, req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req)) {
		error = vios_error_os("the unlock agent (%s) does not take a request", path);
		goto done;
	}
	if ((r = read_exact(fd, reply, VIOS_AGENT_REPLY_LEN)) != 0) {
		vios_error_set(VIOS_ERR_INPUT, "the unlock agent (%s) %s", path,
			       r > 0 ? "closed the connection without answering (not this user's agent?)"
				     : "did not answer in time");
		error = VIOS_ERROR;
		goto done;
	}
	if ((error = vios_agent_reply_parse(out, reply, VIOS_AGENT_REPLY_LEN, op)) < 0)
		goto done;
	/* lock: the agent closes its end once the key is gone, as it exits */
	if (op == VIOS_AGENT_LOCK && (r = read_exact(fd, &tail, 1)) != 1) {
		vios_agent_reply_dispose(out);
		vios_error_set(VIOS_ERR_INPUT, "the unlock agent (%s) answered but did not exit in time", path);
		error = VIOS_ERROR;
	}
done:
	if (fd >= 0)
		close(fd);
	sodium_free(reply);
	return error;
}

/* ---- the server -------------------------------------------------------- */

void vios_agent_free(vios_agent *a)
{
	if (a == NULL)
		return;
	if (a->fd >= 0)
		close(a->fd);
	sodium_free(a->key);
	free(a);
}

long long vios_agent_expires(const vios_agent *a)
{
	assert(a != NULL);
	return a->expires;
}

int vios_agent_fd(const vios_agent *a)
{
	assert(a != NULL);
	return a->fd;
}

int vios_agent_listen(vios_agent **out, const char *home, const uint8_t key[32], int kdf_preset,
		      const char *node_id, long long secs)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	vios_agent *a = NULL;
	vios_agent_reply probe;
	struct stat st;
	mode_t old;
	int error, bound = 0;

	assert(out != NULL && home != NULL && key != NULL && node_id != NULL);
	*out = NULL;
	if (home[0] != '/' || secs < 1 || secs > VIOS_AGENT_FOR_MAX || !vios_uuid_valid(node_id)) {
		vios_error_set(VIOS_ERR_INPUT, "unlock agent: a relative home, a bad duration or no node id");
		return VIOS_ERROR;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return vios_error_nomem();
	a->fd = -1;
	if ((error = vios_agent_path(a->path, sizeof(a->path), home)) < 0 ||
	    (error = vios_snprintf(sa.sun_path, sizeof(sa.sun_path), "%s.%ld", a->path, (long)getpid())) < 0)
		goto done;
	/* a live agent stays; a stale socket is removed by asking */
	if ((error = vios_agent_ask(&probe, home, VIOS_AGENT_STATUS, VIOS_AGENT_TIMEOUT_MS)) == 0) {
		vios_agent_reply_dispose(&probe);
		vios_error_set(VIOS_ERR_INPUT, "an unlock agent runs for this home already");
		error = VIOS_EEXISTS;
		goto done;
	}
	if (error != VIOS_ENOTFOUND)
		goto done;
	if ((a->key = sodium_malloc(32)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	memcpy(a->key, key, 32);
	sodium_mprotect_noaccess(a->key);
	a->kdf_preset = kdf_preset;
	memcpy(a->node_id, node_id, 37);
	a->secs = secs;
	a->expires = (long long)time(NULL) + secs;
	if ((a->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		error = vios_error_os("cannot make the unlock agent's socket");
		goto done;
	}
	unlink(sa.sun_path);
	old = umask(0177); /* the socket file is made 0600 */
	error = bind(a->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (error < 0) {
		error = vios_error_os("cannot make the unlock agent's socket %s", sa.sun_path);
		goto done;
	}
	bound = 1;
	if (chmod(sa.sun_path, 0600) < 0 || listen(a->fd, 16) < 0 || lstat(sa.sun_path, &st) < 0) {
		error = vios_error_os("cannot make the unlock agent's socket %s", sa.sun_path);
		goto done;
	}
	/* linked, not renamed: two unlocks at once cannot both take the path */
	if (link(sa.sun_path, a->path) < 0) {
		if (errno == EEXIST) {
			vios_error_set(VIOS_ERR_INPUT, "another vios unlock has just started an agent for this home");
			error = VIOS_EEXISTS;
		} else
			error = vios_error_os("cannot put the unlock agent's socket at %s", a->path);
		goto done;
	}
	a->ino = st.st_ino;
	error = 0;
done:
	if (bound)
		unlink(sa.sun_path); /* the temporary name; the path keeps the socket */
	if (error < 0)
		vios_agent_free(a);
	else
		*out = a;
	return error;
}

/* Answers one connection (fd, ours to close). 1 when it asked to lock. */
static int serve_one(vios_agent *a, int fd)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	uint8_t req[VIOS_AGENT_REQ_LEN], *reply = NULL;
	vios_agent_reply r;
	int op = 0, lock = 0;

	/* only our own uid: another user (root too) gets nothing */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 || clen != sizeof(cred) ||
	    cred.uid != geteuid())
		goto done;
	set_timeouts(fd, SERVER_IO_MS);
	if (read_exact(fd, req, sizeof(req)) != 0 || (reply = sodium_malloc(VIOS_AGENT_REPLY_LEN)) == NULL)
		goto done;
	memset(&r, 0, sizeof(r));
	if (vios_agent_request_parse(&op, req, sizeof(req)) < 0) {
		r.status = 1;
		r.op = vios_load_le16(req + 10);
	} else
		r.op = op;
	r.kdf_preset = a->kdf_preset;
	r.pid = (long long)getpid();
	r.expires = a->expires;
	memcpy(r.node_id, a->node_id, 37);
	if (op == VIOS_AGENT_LOCK) {
		/* forget first: the reply says the key is gone */
		sodium_free(a->key);
		a->key = NULL;
		lock = 1;
	}
	if (op == VIOS_AGENT_KEY) {
		sodium_mprotect_readonly(a->key);
		r.key = a->key;
		vios_agent_reply_encode(reply, &r);
		sodium_mprotect_noaccess(a->key);
	} else
		vios_agent_reply_encode(reply, &r);
	if (send(fd, reply, VIOS_AGENT_REPLY_LEN, MSG_NOSIGNAL) < 0) {
		/* the client went: nothing to tell anyone */
	}
done:
	sodium_free(reply);
	if (lock) {
		/* the client waits for our end to close: that is after the key went */
		return 1;
	}
	close(fd);
	return 0;
}

int vios_agent_serve(vios_agent *a)
{
	struct rlimit none = { 0, 0 };
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };
	struct pollfd pf[3];
	struct stat st;
	sigset_t mask;
	int sfd = -1, tfd = -1, keep = -1, error;

	assert(a != NULL);
	/*
	 * Memory locks are not inherited across fork(2): the key the parent
	 * sodium_malloc'd (mlock'd) is swappable here. A fresh sodium_malloc in
	 * this process locks it again.
	 */
	if (a->key != NULL) {
		uint8_t *k = sodium_malloc(32);
		if (k == NULL) {
			error = vios_error_nomem();
			goto done;
		}
		sodium_mprotect_readonly(a->key);
		memcpy(k, a->key, 32);
		sodium_free(a->key);
		a->key = k;
		sodium_mprotect_noaccess(a->key);
	}
	/* no core file, no ptrace or /proc/PID/mem by our own uid */
	if (setrlimit(RLIMIT_CORE, &none) < 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		error = vios_error_os("cannot make the unlock agent undumpable");
		goto done;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	its.it_value.tv_sec = (time_t)a->secs;
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 || (sfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0 ||
	    (tfd = timerfd_create(CLOCK_BOOTTIME, TFD_CLOEXEC)) < 0 || timerfd_settime(tfd, 0, &its, NULL) < 0) {
		error = vios_error_os("cannot set up the unlock agent");
		goto done;
	}
	pf[0] = (struct pollfd){ .fd = a->fd, .events = POLLIN };
	pf[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	pf[2] = (struct pollfd){ .fd = tfd, .events = POLLIN };
	for (;;) {
		if (poll(pf, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			error = vios_error_os("the unlock agent cannot wait");
			goto done;
		}
		if (pf[1].revents || pf[2].revents)
			break; /* a signal, or the deadline */
		if (pf[0].revents & POLLIN) {
			int c = accept4(a->fd, NULL, NULL, SOCK_CLOEXEC);
			if (c >= 0 && serve_one(a, c) == 1) {
				keep = c;
				break;
			}
		}
	}
	error = 0;
done:
	sodium_free(a->key);
	a->key = NULL;
	/* remove the socket only while it is still ours */
	if (lstat(a->path, &st) == 0 && st.st_ino == a->ino && S_ISSOCK(st.st_mode))
		unlink(a->path);
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	vios_agent_free(a);
	if (keep >= 0)
		close(keep); /* last: the lock request's client waits for this */
	return error;
}
