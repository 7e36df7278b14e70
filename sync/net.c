/*
 * net.c - see net.h.
 *
 * The stream. libgit2 1.5 makes every TCP connection through
 * git_socket_stream_new, which takes a registered GIT_STREAM_STANDARD stream
 * when there is one: git:// uses it as it is, https wraps it in mbedTLS
 * (whose reads and writes come back here), and ssh hands its socket to
 * libssh2. libgit2's ssh transport takes the socket out of the stream as a
 * git_socket_stream (GIT_CONTAINER_OF, then ->s), so net_stream begins with
 * exactly that struct's fields. Its reads and writes wait in poll() for at
 * most the idle timeout; since libssh2 never calls them, a watchdog thread
 * per connection shuts the socket down when, while the stream's own reads
 * and writes were never used, the kernel saw no data either way for the
 * idle timeout. Every blocked read then returns, and the transfer fails.
 * Which timeout ran out is kept for the message (timed_out); one transfer
 * runs at a time in a process.
 */
#include "sync/net.h"
#include "node/config.h"
#include "node/run.h"
#include "sync/git.h"
#include "util/error.h"
#include "util/util.h"

#include <git2/sys/stream.h>
#include <sodium.h>

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

typedef struct {
	git_stream parent;
	char *host;
	char *port;
	int s; /* the fields above: libgit2's git_socket_stream, which its ssh transport reads */
	atomic_int used;  /* the stream's own read or write ran: the watchdog stands down */
	pthread_t dog;
	int dog_running;
	pthread_mutex_t mu; /* guards s against the watchdog, and stop */
	pthread_cond_t wake;
	int stop;
} net_stream;

enum { TIMED_NOT, TIMED_CONNECT, TIMED_IDLE };

static int connect_ms = 30000, idle_ms = 120000;
static atomic_int timed_out;
static int registered;
static size_t stale_cleared;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Watchdog: shuts the socket down once no data moved for the idle timeout. */
static void *watchdog(void *arg)
{
	net_stream *ns = arg;

	pthread_mutex_lock(&ns->mu);
	while (!ns->stop) {
		struct timespec until;
		struct tcp_info ti;
		socklen_t len = sizeof(ti);

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 250 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&ns->wake, &ns->mu, &until);
		if (ns->stop || ns->s < 0 || atomic_load(&ns->used))
			continue;
		memset(&ti, 0, sizeof(ti));
		if (getsockopt(ns->s, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
			continue;
		if ((long long)ti.tcpi_last_data_recv >= idle_ms && (long long)ti.tcpi_last_data_sent >= idle_ms) {
			atomic_store(&timed_out, TIMED_IDLE);
			shutdown(ns->s, SHUT_RDWR);
			break;
		}
	}
	pthread_mutex_unlock(&ns->mu);
	return NULL;
}

/* One address, connected within the time left; 0, -1 failed (*why: errno), -2 timed out. */
static int connect_one(int *out, const struct addrinfo *p, long long deadline, int *why)
{
	int s, err = 0;
	socklen_t len = sizeof(err);

	*out = -1;
	if ((s = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, p->ai_protocol)) < 0) {
		*why = errno;
		return -1;
	}
	if (connect(s, p->ai_addr, p->ai_addrlen) < 0) {
		struct pollfd pfd = { s, POLLOUT, 0 };
		long long left = deadline - now_ms();
		int rc;
		if (errno != EINPROGRESS) {
			*why = errno;
			close(s);
			return -1;
		}
		do
			rc = poll(&pfd, 1, left > 0 ? (int)left : 0);
		while (rc < 0 && errno == EINTR && (left = deadline - now_ms()) > 0);
		if (rc == 0) {
			close(s);
			return -2;
		}
		if (rc < 0 || getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
			*why = err ? err : errno;
			close(s);
			return -1;
		}
	}
	/* blocking again: libssh2 expects it; reads and writes here poll first */
	if (fcntl(s, F_SETFL, fcntl(s, F_GETFL) & ~O_NONBLOCK) < 0) {
		close(s);
		return -1;
	}
	*out = s;
	return 0;
}

static int net_connect(git_stream *stream)
{
	net_stream *ns = (net_stream *)stream;
	struct addrinfo hints, *info = NULL;
	long long deadline = now_ms() + connect_ms;
	int rc, s = -1, late = 0, why = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = AF_UNSPEC;
	if ((rc = getaddrinfo(ns->host, ns->port, &hints, &info)) != 0) {
		git_error_set(GIT_ERROR_NET, "failed to resolve address for %s: %s", ns->host, gai_strerror(rc));
		return -1;
	}
	for (struct addrinfo *p = info; p != NULL && s < 0 && now_ms() < deadline; p = p->ai_next) {
		int r = connect_one(&s, p, deadline, &why);
		if (r == -2)
			late = 1;
	}
	freeaddrinfo(info);
	if (s < 0) {
		if (late || now_ms() >= deadline) {
			atomic_store(&timed_out, TIMED_CONNECT);
			git_error_set(GIT_ERROR_NET, "failed to connect to %s: timed out", ns->host);
		} else {
			git_error_set(GIT_ERROR_NET, "failed to connect to %s port %s: %s", ns->host, ns->port,
				      strerror(why ? why : ECONNREFUSED));
		}
		return -1;
	}
	pthread_mutex_lock(&ns->mu);
	ns->s = s;
	pthread_mutex_unlock(&ns->mu);
	if (pthread_create(&ns->dog, NULL, watchdog, ns) == 0)
		ns->dog_running = 1;
	return 0;
}

/* Waits until s is ready for events, at most the idle timeout; 0 ready, -1 with an error set. */
static int wait_ready(net_stream *ns, short events)
{
	struct pollfd pfd = { ns->s, events, 0 };
	long long deadline = now_ms() + idle_ms, left = idle_ms;
	int rc;

	atomic_store(&ns->used, 1);
	do
		rc = poll(&pfd, 1, (int)left);
	while (rc < 0 && errno == EINTR && (left = deadline - now_ms()) > 0);
	if (rc > 0)
		return 0;
	if (rc == 0 || (rc < 0 && errno == EINTR)) {
		atomic_store(&timed_out, TIMED_IDLE);
		git_error_set(GIT_ERROR_NET, "%s did not answer within %d s", ns->host, idle_ms / 1000);
	} else {
		git_error_set(GIT_ERROR_NET, "waiting for %s: %s", ns->host, strerror(errno));
	}
	return -1;
}

static ssize_t net_read(git_stream *stream, void *data, size_t len)
{
	net_stream *ns = (net_stream *)stream;
	ssize_t n;

	if (wait_ready(ns, POLLIN) < 0)
		return -1;
	if ((n = recv(ns->s, data, len, 0)) < 0)
		git_error_set(GIT_ERROR_NET, "error receiving data: %s", strerror(errno));
	return n;
}

static ssize_t net_write(git_stream *stream, const char *data, size_t len, int flags)
{
	net_stream *ns = (net_stream *)stream;
	ssize_t n;

	if (wait_ready(ns, POLLOUT) < 0)
		return -1;
	if ((n = send(ns->s, data, len, flags | MSG_NOSIGNAL)) < 0)
		git_error_set(GIT_ERROR_NET, "error sending data: %s", strerror(errno));
	return n;
}

static void stop_dog(net_stream *ns)
{
	if (!ns->dog_running)
		return;
	pthread_mutex_lock(&ns->mu);
	ns->stop = 1;
	pthread_cond_signal(&ns->wake);
	pthread_mutex_unlock(&ns->mu);
	pthread_join(ns->dog, NULL);
	ns->dog_running = 0;
}

static int net_close(git_stream *stream)
{
	net_stream *ns = (net_stream *)stream;
	int rc = 0;

	stop_dog(ns);
	if (ns->s >= 0)
		rc = close(ns->s);
	ns->s = -1;
	return rc;
}

static void net_free(git_stream *stream)
{
	net_stream *ns = (net_stream *)stream;

	net_close(stream);
	pthread_mutex_destroy(&ns->mu);
	pthread_cond_destroy(&ns->wake);
	free(ns->host);
	free(ns->port);
	free(ns);
}

static int net_stream_new(git_stream **out, const char *host, const char *port)
{
	net_stream *ns;

	if ((ns = calloc(1, sizeof(*ns))) == NULL || (ns->host = strdup(host)) == NULL ||
	    (ns->port = strdup(port ? port : "")) == NULL) {
		if (ns)
			free(ns->host);
		free(ns);
		git_error_set_oom();
		return -1;
	}
	ns->parent.version = GIT_STREAM_VERSION;
	ns->parent.connect = net_connect;
	ns->parent.read = net_read;
	ns->parent.write = net_write;
	ns->parent.close = net_close;
	ns->parent.free = net_free;
	ns->s = -1;
	pthread_mutex_init(&ns->mu, NULL);
	pthread_cond_init(&ns->wake, NULL);
	*out = &ns->parent;
	return 0;
}

int vios_net_configure(const char *home)
{
	long long c = 30, i = 120;
	int error, rc;

	if (home != NULL && ((error = vios_config_seconds(&c, home, "net.connect_timeout")) < 0 ||
			     (error = vios_config_seconds(&i, home, "net.idle_timeout")) < 0))
		return error;
	atomic_store(&timed_out, TIMED_NOT);
	connect_ms = (int)(c * 1000);
	idle_ms = (int)(i * 1000);
	if (registered)
		return 0;
	if ((error = vios_git_init()) < 0)
		return error;
	{
		git_stream_registration reg = { GIT_STREAM_VERSION, net_stream_new, NULL };
		if ((rc = git_stream_register(GIT_STREAM_STANDARD, &reg)) < 0)
			return vios_git_error(rc, "setting up the network");
	}
	registered = 1;
	return 0;
}

void vios_net_url_redact(char *out, size_t len, const char *url)
{
	const char *scheme = strstr(url, "://"), *at, *colon, *slash;

	assert(out != NULL && len > 0 && url != NULL);
	if (scheme == NULL) {
		snprintf(out, len, "%s", url);
		return;
	}
	scheme += 3;
	slash = strchr(scheme, '/');
	at = memchr(scheme, '@', slash ? (size_t)(slash - scheme) : strlen(scheme));
	colon = at ? memchr(scheme, ':', (size_t)(at - scheme)) : NULL;
	if (colon == NULL)
		snprintf(out, len, "%s", url);
	else
		snprintf(out, len, "%.*s:***%s", (int)(colon - url), url, at);
}

/*
 * The last error's message with every copy of url's password replaced by
 * "***" (libgit2's messages, and git.c's, name the URL as given).
 */
static void hide_password(const char *url)
{
	const char *scheme = strstr(url, "://"), *at, *colon, *slash;
	char pw[256], msg[1024], out[1024];
	size_t n = 0, plen;

	if (scheme == NULL)
		return;
	scheme += 3;
	slash = strchr(scheme, '/');
	at = memchr(scheme, '@', slash ? (size_t)(slash - scheme) : strlen(scheme));
	colon = at ? memchr(scheme, ':', (size_t)(at - scheme)) : NULL;
	if (colon == NULL || (plen = (size_t)(at - colon - 1)) == 0 || plen >= sizeof(pw))
		return;
	memcpy(pw, colon + 1, plen);
	pw[plen] = 0;
	snprintf(msg, sizeof(msg), "%s", vios_error_last());
	for (const char *p = msg; *p && n + 4 < sizeof(out);) {
		if (!strncmp(p, pw, plen)) {
			memcpy(out + n, "***", 3);
			n += 3;
			p += plen;
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = 0;
	vios_error_set(VIOS_ERR_GIT, "%s", out);
	sodium_memzero(pw, sizeof(pw));
}

int vios_net_timed(int error, const char *url)
{
	int which = atomic_exchange(&timed_out, TIMED_NOT);
	char shown[1024];

	if (error < 0 && which == TIMED_NOT)
		hide_password(url);
	if (error >= 0 || which == TIMED_NOT)
		return error;
	vios_net_url_redact(shown, sizeof(shown), url);
	if (which == TIMED_CONNECT)
		vios_error_set(VIOS_ERR_GIT, "the hub at %s could not be reached within %d s (net.connect_timeout)", shown,
			       connect_ms / 1000);
	else
		vios_error_set(VIOS_ERR_GIT, "the hub at %s did not answer within %d s (net.idle_timeout)", shown,
			       idle_ms / 1000);
	return VIOS_ERROR;
}

/* Over the network: a URL other than file://. */
static int is_remote(const char *url)
{
	return vios_net_is_url(url) && strncmp(url, "file://", 7) != 0;
}

/* A fetch or a push (vios_git_fetch and vios_git_push take the same
 * arguments) within the timeouts, the store let go of while it runs over the
 * network. */
static int transfer(vios_store *st, git_repository *repo, const char *url, const char *const *refspecs, size_t n,
		    int (*fn)(git_repository *, const char *, const char *const *, size_t))
{
	int error, e2, remote = is_remote(url);

	assert(st != NULL && st->node != NULL && repo != NULL && url != NULL);
	if ((error = vios_net_configure(st->node->home)) < 0 || (remote && (error = vios_store_release(st)) < 0))
		return error;
	error = vios_net_timed(fn(repo, url, refspecs, n), url);
	/* a store not taken back wins over the transfer's own error: the caller
	 * must not go on with a closed store */
	if (remote && (e2 = vios_store_reacquire(st)) < 0)
		error = e2;
	return error;
}

int vios_net_fetch(vios_store *st, git_repository *repo, const char *url, const char *const *refspecs, size_t n)
{
	return transfer(st, repo, url, refspecs, n, vios_git_fetch);
}

int vios_net_push(vios_store *st, git_repository *repo, const char *url, const char *const *refspecs, size_t n)
{
	return transfer(st, repo, url, refspecs, n, vios_git_push);
}

int vios_net_wait_repo(vios_store *st)
{
	const char *home;
	int error, e2;

	assert(st != NULL && st->node != NULL);
	home = st->node->home;
	/* free, or this process's already: nothing to wait for (the probe's hold is given back) */
	if ((error = vios_run_hold(home, VIOS_RUN_REPOS, 0)) >= 0) {
		vios_run_release(home, VIOS_RUN_REPOS);
		return 0;
	}
	vios_error_clear();
	/* another vios has the repository: wait for it without keeping the store from anyone */
	if ((error = vios_store_release(st)) < 0)
		return error;
	if ((error = vios_run_hold(home, VIOS_RUN_REPOS, VIOS_RUN_WAIT_MS)) >= 0)
		vios_run_release(home, VIOS_RUN_REPOS);
	if ((e2 = vios_store_reacquire(st)) < 0)
		error = e2;
	return error < 0 ? error : 0;
}

int vios_net_is_url(const char *s)
{
	static const char *const schemes[] = { "git://", "ssh://", "http://", "https://", "file://", "git+ssh://",
					       "ssh+git://" };
	const char *colon, *slash;

	assert(s != NULL);
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (!strncmp(s, schemes[i], strlen(schemes[i])))
			return 1;
	/* scp-like, as git reads it: host:path, with a ':' before any '/' */
	colon = strchr(s, ':');
	slash = strchr(s, '/');
	return colon != NULL && colon != s && (slash == NULL || colon < slash);
}

int vios_net_stick_check(const char *path)
{
	git_repository *repo = NULL;
	struct stat sb;
	int rc, error = 0;

	assert(path != NULL);
	if (!strncmp(path, "file://", 7))
		path += 7;
	if ((error = vios_git_init()) < 0)
		return error;
	if (stat(path, &sb) < 0 || !S_ISDIR(sb.st_mode) ||
	    (rc = git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, NULL)) < 0 ||
	    !git_repository_is_bare(repo)) {
		git_error_clear();
		vios_error_set(VIOS_ERR_INPUT, "%s is not a vios stick: mount it, or run 'vios stick init %s'", path, path);
		error = VIOS_ENOTFOUND;
	}
	git_repository_free(repo);
	return error;
}

int vios_net_stick_init(const char *path)
{
	git_repository *repo = NULL;
	struct stat sb;
	DIR *d;
	int error;

	assert(path != NULL);
	if (stat(path, &sb) == 0) {
		struct dirent *e;
		int empty = 1;
		if (!S_ISDIR(sb.st_mode) || (d = opendir(path)) == NULL) {
			vios_error_set(VIOS_ERR_INPUT, "%s exists and is not an empty directory: a stick is made only in a new or empty one", path);
			return VIOS_EEXISTS;
		}
		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				empty = 0;
		closedir(d);
		if (!empty) {
			vios_error_set(VIOS_ERR_INPUT, "%s is not empty: a stick is made only in a new or empty directory", path);
			return VIOS_EEXISTS;
		}
	} else if (errno != ENOENT) {
		return vios_error_os("cannot read %s", path);
	} else if (mkdir(path, 0700) < 0) {
		return vios_error_os("cannot create %s (is the stick mounted?)", path);
	}
	if (chmod(path, 0700) < 0)
		return vios_error_os("cannot set the mode of %s", path);
	if ((error = vios_git_open(&repo, path, 1)) < 0)
		return error;
	git_repository_free(repo);
	return 0;
}

/* A leftover of a killed git writer: a lock file, or libgit2's temporary object or pack. */
static int is_stale(const char *name, int in_objects)
{
	size_t n = strlen(name);

	return (n > 5 && !strcmp(name + n - 5, ".lock")) || (in_objects && strstr(name, "_git2_") != NULL);
}

static int clear_dir(size_t *cleared, const char *dir, int in_objects, int depth)
{
	DIR *d;
	struct dirent *e;
	char path[PATH_MAX];
	int error = 0;

	if (depth > 16 || (d = opendir(dir)) == NULL)
		return 0;
	while (error == 0 && (e = readdir(d)) != NULL) {
		struct stat sb;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (vios_snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < 0) {
			vios_error_clear();
			continue;
		}
		if (lstat(path, &sb) < 0)
			continue;
		if (S_ISDIR(sb.st_mode))
			error = clear_dir(cleared, path, in_objects || (depth == 0 && !strcmp(e->d_name, "objects")), depth + 1);
		else if (S_ISREG(sb.st_mode) && is_stale(e->d_name, in_objects)) {
			if (unlink(path) < 0 && errno != ENOENT)
				error = vios_error_os("cannot remove %s, left by a vios that was killed", path);
			else
				(*cleared)++;
		}
	}
	closedir(d);
	return error;
}

int vios_net_clear_stale(size_t *cleared, const char *repo_path)
{
	int error;

	assert(cleared != NULL && repo_path != NULL);
	*cleared = 0;
	error = clear_dir(cleared, repo_path, 0, 0);
	stale_cleared += *cleared;
	return error;
}

size_t vios_net_stale_cleared(void)
{
	return stale_cleared;
}
