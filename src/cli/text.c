/*
 * text.c - free text from standard input or the editor (text.h).
 */
#include "cli/text.h"
#include "util/error.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define KEPT_MAX 16

static struct {
	char *buf;
	size_t len;
} kept[KEPT_MAX];
static size_t nkept;
static int stdin_taken;
/* the signal mask before edit() held back SIGHUP and SIGTERM (the editor gets it back) */
static sigset_t edit_mask;

void cli_text_forget(void)
{
	for (size_t i = 0; i < nkept; i++) {
		sodium_memzero(kept[i].buf, kept[i].len);
		free(kept[i].buf);
	}
	nkept = 0;
}

int cli_text_can_edit(void)
{
	return isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
}

/* Keeps buf (len bytes + NUL) for cli_text_forget; frees it on failure. */
static int keep(const char **out, char *buf, size_t len)
{
	if (nkept == KEPT_MAX) {
		sodium_memzero(buf, len);
		free(buf);
		vios_error_set(VIOS_ERR_INPUT, "too many texts in one command");
		return VIOS_EUSAGE;
	}
	kept[nkept].buf = buf;
	kept[nkept].len = len;
	nkept++;
	*out = buf;
	return 0;
}

/* The text in buf as an option's value: no NUL inside, a trailing newline
 * (\n or \r\n) dropped. */
static int finish(const char **out, char *buf, size_t len, const char *opt, const char *from)
{
	if (memchr(buf, '\0', len) != NULL) {
		sodium_memzero(buf, len);
		free(buf);
		vios_error_set(VIOS_ERR_INPUT, "--%s: %s holds a NUL byte; nothing was recorded", opt, from);
		return VIOS_EUSAGE;
	}
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	return keep(out, buf, len);
}

static int read_stdin(const char **out, const char *opt)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap + 1), *grown;
	ssize_t r;

	if (buf == NULL)
		return vios_error_nomem();
	for (;;) {
		if (len == cap) {
			if (cap >= CLI_TEXT_MAX + 1) {
				sodium_memzero(buf, len);
				free(buf);
				vios_error_set(VIOS_ERR_INPUT, "--%s: standard input holds more than %zu KiB; nothing was recorded",
					       opt, CLI_TEXT_MAX >> 10);
				return VIOS_EUSAGE;
			}
			cap = cap * 2 > CLI_TEXT_MAX + 1 ? CLI_TEXT_MAX + 1 : cap * 2;
			if ((grown = malloc(cap + 1)) == NULL) {
				sodium_memzero(buf, len);
				free(buf);
				return vios_error_nomem();
			}
			memcpy(grown, buf, len);
			sodium_memzero(buf, len);
			free(buf);
			buf = grown;
		}
		r = read(STDIN_FILENO, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			sodium_memzero(buf, len);
			free(buf);
			errno = e;
			return vios_error_os("--%s: cannot read standard input", opt);
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	return finish(out, buf, len, opt, "standard input");
}

/* A directory in memory (tmpfs) for the editor's file, or NULL. */
static const char *memory_dir(void)
{
	const char *dirs[] = { getenv("XDG_RUNTIME_DIR"), "/dev/shm" };
	struct statfs fs;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (dirs[i] && dirs[i][0] == '/' && statfs(dirs[i], &fs) == 0 && fs.f_type == TMPFS_MAGIC &&
		    access(dirs[i], W_OK | X_OK) == 0)
			return dirs[i];
	return NULL;
}

/* Runs the editor on path, as git does: through sh, so EDITOR may hold arguments. */
static int run_editor(const char *path)
{
	const char *ed = getenv("VISUAL");
	void (*sigint)(int) = SIG_DFL, (*sigquit)(int) = SIG_DFL;
	int status;
	pid_t pid;

	if (ed == NULL || !*ed)
		ed = getenv("EDITOR");
	if (ed == NULL || !*ed)
		ed = access("/usr/bin/editor", X_OK) == 0 ? "editor" : "vi";
	if ((pid = fork()) < 0)
		return vios_error_os("cannot start the editor");
	/* as git does: ^C and ^\ are the editor's; vios waits and then removes the file */
	if (pid == 0) {
		char cmd[PATH_MAX + 16];
		sigprocmask(SIG_SETMASK, &edit_mask, NULL);
		snprintf(cmd, sizeof(cmd), "%s \"$@\"", ed);
		execl("/bin/sh", "sh", "-c", cmd, ed, path, (char *)NULL);
		_exit(127);
	}
	if (pid > 0) {
		sigint = signal(SIGINT, SIG_IGN);
		sigquit = signal(SIGQUIT, SIG_IGN);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			signal(SIGINT, sigint);
			signal(SIGQUIT, sigquit);
			return vios_error_os("waiting for the editor");
		}
	signal(SIGINT, sigint);
	signal(SIGQUIT, sigquit);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		vios_error_set(VIOS_ERR_INPUT, "the editor (%s) failed; nothing was recorded", ed);
		return VIOS_ERROR;
	}
	return 0;
}

/* Overwrites path's content with zeros (best effort) and removes it. */
static void shred(const char *path)
{
	struct stat sb;
	int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0) {
		if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
			char zero[4096] = { 0 };
			for (off_t done = 0; done < sb.st_size;) {
				ssize_t w = write(fd, zero, (size_t)(sb.st_size - done) < sizeof(zero) ? (size_t)(sb.st_size - done) : sizeof(zero));
				if (w <= 0)
					break;
				done += w;
			}
		}
		close(fd);
	}
	unlink(path);
}

/* Drops comment lines and trailing blank space from the editor's text. */
static size_t strip_comments(char *buf, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		size_t e = i;
		while (e < len && buf[e] != '\n')
			e++;
		if (buf[i] != '#') {
			memmove(buf + o, buf + i, e - i);
			o += e - i;
			if (e < len)
				buf[o++] = '\n';
		}
		i = e + 1;
	}
	while (o > 0 && (buf[o - 1] == '\n' || buf[o - 1] == ' ' || buf[o - 1] == '\t' || buf[o - 1] == '\r'))
		o--;
	sodium_memzero(buf + o, len - o); /* what moved down leaves no copy behind */
	buf[o] = '\0';
	return o;
}

static int edit(const char **out, vios_cli *cli, const char *opt)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	const char *base = memory_dir();
	uint8_t *data = NULL;
	size_t len = 0;
	int fd = -1, error, made = 0;
	FILE *f = NULL;
	sigset_t hold;

	if (base == NULL) {
		vios_error_set(VIOS_ERR_INPUT, "--%s: no memory-backed directory ($XDG_RUNTIME_DIR or /dev/shm on tmpfs) for "
			       "the editor's file; give the text on standard input instead (--%s - <FILE)", opt, opt);
		return VIOS_ERROR;
	}
	if ((error = vios_snprintf(dir, sizeof(dir), "%s/vios-edit.XXXXXX", base)) < 0)
		return error;
	/* a hangup or kill while the editor runs waits until the file is gone */
	sigemptyset(&hold);
	sigaddset(&hold, SIGHUP);
	sigaddset(&hold, SIGTERM);
	sigprocmask(SIG_BLOCK, &hold, &edit_mask);
	if (mkdtemp(dir) == NULL) {
		error = vios_error_os("cannot make a directory in %s for the editor", base);
		sigprocmask(SIG_SETMASK, &edit_mask, NULL);
		return error;
	}
	made = 1;
	if ((error = vios_snprintf(path, sizeof(path), "%s/%s.txt", dir, opt)) < 0)
		goto done;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0 ||
	    (f = fdopen(fd, "w")) == NULL) {
		error = vios_error_os("cannot make the editor's file");
		goto done;
	}
	fd = -1;
	fprintf(f, "\n# Write the %s for 'vios %s' above. Lines starting with '#' are left out;\n"
		   "# an empty text cancels the command. This file is in memory and removed when you quit.\n",
		opt, cli->command ? cli->command : "");
	if (fclose(f) != 0) {
		f = NULL;
		error = vios_error_os("cannot write the editor's file");
		goto done;
	}
	f = NULL;
	if ((error = run_editor(path)) < 0 || (error = vios_file_read(&data, &len, path, CLI_TEXT_MAX)) < 0)
		goto done;
	len = strip_comments((char *)data, len);
	if (len == 0) {
		vios_error_set(VIOS_ERR_INPUT, "--%s: the text is empty; nothing was recorded", opt);
		error = VIOS_ERROR;
		goto done;
	}
	error = finish(out, (char *)data, len, opt, "the editor's text");
	data = NULL;
done:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	if (data) {
		sodium_memzero(data, len);
		free(data);
	}
	if (made) {
		shred(path);
		rmdir(dir);
	}
	sigprocmask(SIG_SETMASK, &edit_mask, NULL); /* a signal held back ends vios now */
	return error;
}

int cli_text(const char **out, vios_cli *cli, const char *opt, const char *value)
{
	if (value == NULL || strcmp(value, "-")) {
		*out = value;
		return 0;
	}
	if (stdin_taken)
		return cli_usage(cli, "only one option can take '-' (standard input)");
	stdin_taken = 1;
	return cli_text_can_edit() ? edit(out, cli, opt) : read_stdin(out, opt);
}
