/*
 * util.c - see util.h.
 */
#include "util/util.h"
#include "util/error.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int vios_file_read(uint8_t **out, size_t *len, const char *path, size_t max)
{
	uint8_t *buf = NULL;
	struct stat st;
	size_t got = 0;
	int fd, error = VIOS_ERROR;

	assert(out != NULL);
	assert(len != NULL);
	assert(path != NULL);
	*out = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT) {
			vios_error_set(VIOS_ERR_OS, "%s: no such file", path);
			return VIOS_ENOTFOUND;
		}
		return vios_error_os("cannot open %s", path);
	}
	if (fstat(fd, &st) < 0) {
		error = vios_error_os("cannot stat %s", path);
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		vios_error_set(VIOS_ERR_INPUT, "%s: not a regular file", path);
		goto done;
	}
	if ((uint64_t)st.st_size > max) {
		vios_error_set(VIOS_ERR_INPUT, "%s: file too large (%lld bytes, at most %zu)",
			       path, (long long)st.st_size, max);
		error = VIOS_ECORRUPT;
		goto done;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = vios_error_os("cannot read %s", path);
			goto done;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = 0;
	*out = buf;
	*len = got;
	buf = NULL;
	error = 0;
done:
	free(buf);
	close(fd);
	return error;
}

static int fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd;

	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == path)
		strcpy(dir, "/");
	else if ((size_t)(slash - path) < sizeof(dir)) {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = 0;
	} else
		return 0;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 0;
	fsync(fd);
	close(fd);
	return 0;
}

int vios_file_write_atomic(const char *path, const void *data, size_t len,
			   int mode, int replace)
{
	char tmp[PATH_MAX];
	const uint8_t *p = data;
	size_t done_bytes = 0;
	int fd = -1, error = VIOS_ERROR;

	assert(path != NULL);
	assert(data != NULL || len == 0);
	if (!replace && vios_path_exists(path)) {
		vios_error_set(VIOS_ERR_OS, "%s exists already; refusing to overwrite it", path);
		return VIOS_EEXISTS;
	}
	if (vios_snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid()) < 0)
		return VIOS_ERROR;
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return vios_error_os("cannot create %s", tmp);
	while (done_bytes < len) {
		ssize_t n = write(fd, p + done_bytes, len - done_bytes);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = vios_error_os("cannot write %s", path);
			goto done;
		}
		done_bytes += (size_t)n;
	}
	if (fsync(fd) < 0) {
		error = vios_error_os("cannot sync %s", path);
		goto done;
	}
	if (close(fd) < 0) {
		fd = -1;
		error = vios_error_os("cannot close %s", path);
		goto done;
	}
	fd = -1;
	if (!replace) {
		/* link() fails if path appeared meanwhile: no silent overwrite. */
		if (link(tmp, path) < 0) {
			error = errno == EEXIST ? VIOS_EEXISTS : VIOS_ERROR;
			if (error == VIOS_EEXISTS)
				vios_error_set(VIOS_ERR_OS, "%s exists already; refusing to overwrite it", path);
			else
				error = vios_error_os("cannot create %s", path);
			goto done;
		}
		unlink(tmp);
	} else if (rename(tmp, path) < 0) {
		error = vios_error_os("cannot replace %s", path);
		goto done;
	}
	fsync_dir_of(path);
	error = 0;
done:
	if (fd >= 0)
		close(fd);
	if (error < 0)
		unlink(tmp);
	return error;
}

int vios_path_exists(const char *path)
{
	struct stat st;

	assert(path != NULL);
	return lstat(path, &st) == 0;
}

int vios_dir_empty_or_absent(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int empty = 1;

	assert(path != NULL);
	if (lstat(path, &st) < 0)
		return errno == ENOENT;
	if (!S_ISDIR(st.st_mode) || (d = opendir(path)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = 0;
	closedir(d);
	return empty;
}

int vios_mkdir_p(const char *path, int mode)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	assert(path != NULL);
	if (n == 0 || n >= sizeof(buf)) {
		vios_error_set(VIOS_ERR_OS, "bad directory path");
		return VIOS_ERROR;
	}
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, (mode_t)mode) < 0 && errno != EEXIST)
			return vios_error_os("cannot create directory %s", buf);
		*p = '/';
	}
	if (mkdir(buf, (mode_t)mode) < 0 && errno != EEXIST)
		return vios_error_os("cannot create directory %s", buf);
	return 0;
}

int vios_rm_rf(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char sub[PATH_MAX];

	assert(path != NULL);
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : vios_error_os("cannot stat %s", path);
	if (!S_ISDIR(st.st_mode))
		return unlink(path) < 0 ? vios_error_os("cannot remove %s", path) : 0;
	if ((d = opendir(path)) == NULL)
		return vios_error_os("cannot open %s", path);
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (vios_snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) < 0 ||
		    vios_rm_rf(sub) < 0) {
			closedir(d);
			return VIOS_ERROR;
		}
	}
	closedir(d);
	return rmdir(path) < 0 ? vios_error_os("cannot remove %s", path) : 0;
}

int vios_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	assert(buf != NULL && size > 0);
	assert(fmt != NULL);
	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		vios_error_set(VIOS_ERR_INPUT, "text too long (%d bytes, room for %zu)", n, size);
		return -1;
	}
	return n;
}

void vios_hex(char *out, const uint8_t *in, size_t len)
{
	static const char digits[] = "0123456789abcdef";

	assert(out != NULL);
	assert(in != NULL || len == 0);
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = 0;
}

void vios_blake2b_hex(char out[65], const uint8_t *data, size_t len)
{
	uint8_t h[32];

	assert(out != NULL);
	assert(data != NULL || len == 0);
	crypto_generichash(h, sizeof(h), data, len, NULL, 0);
	vios_hex(out, h, sizeof(h));
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int vios_unhex(uint8_t *out, size_t len, const char *in)
{
	assert(out != NULL || len == 0);
	assert(in != NULL);
	if (strlen(in) != 2 * len)
		goto bad;
	for (size_t i = 0; i < len; i++) {
		int hi = hexval((unsigned char)in[2 * i]), lo = hexval((unsigned char)in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			goto bad;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
bad:
	vios_error_set(VIOS_ERR_INPUT, "not %zu bytes of hex", len);
	return VIOS_ECORRUPT;
}

/*
 * The one clock. A build with fault points (the default build, FAULTS=1,
 * which tests use) honours VIOS_TEST_DAYS_AHEAD=N (0..36500): every reading
 * of the time is N days later, so tests can let an epoch, a grace period or
 * a retention period pass. A release build (FAULTS=0, the Debian package)
 * ignores it.
 */
static long long test_skew_seconds(void)
{
#ifndef VIOS_NO_FAULTS
	static int read_env;
	static long long skew;
	if (!read_env) {
		const char *v = getenv("VIOS_TEST_DAYS_AHEAD");
		char *end;
		long long d;
		read_env = 1;
		if (v && *v) {
			errno = 0;
			d = strtoll(v, &end, 10);
			if (errno == 0 && *end == 0 && d >= 0 && d <= 36500)
				skew = d * 86400LL;
		}
	}
	return skew;
#else
	return 0;
#endif
}

time_t vios_now(void)
{
	return time(NULL) + (time_t)test_skew_seconds();
}

uint64_t vios_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)(ts.tv_sec + test_skew_seconds()) * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void vios_time_format(char out[21], long long secs)
{
	time_t t = (time_t)secs;
	struct tm tm;

	assert(out != NULL);
	if (gmtime_r(&t, &tm) == NULL || strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
		strcpy(out, "1970-01-01T00:00:00Z");
}

void vios_now_iso(char out[21])
{
	vios_time_format(out, (long long)vios_now());
}

void vios_uuid7(char out[37])
{
	uint8_t b[16];
	uint64_t ms = vios_now_ms();
	char hex[33];
	int n;

	assert(out != NULL);
	randombytes_buf(b, sizeof(b));
	for (int i = 0; i < 6; i++)
		b[i] = (uint8_t)(ms >> (40 - 8 * i));
	b[6] = (uint8_t)(0x70 | (b[6] & 0x0f));
	b[8] = (uint8_t)(0x80 | (b[8] & 0x3f));
	vios_hex(hex, b, 16);
	n = snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
	assert(n == 36);
	(void)n;
}

int vios_uuid_valid(const char *s)
{
	assert(s != NULL);
	if (strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	}
	return 1;
}
