/*
 * pass.c - where passphrases come from: a file named on the command line,
 * an environment variable, or a no-echo prompt on the controlling terminal.
 * Never from a non-terminal stdin, so a script that forgot to set one gets
 * a clear error instead of a hang. Each way refuses a passphrase longer than
 * PASS_MAX bytes (usage error); none cuts one short.
 */
#include "cli/cli.h"
#include "util/error.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define PASS_MAX 1024
#define HINT "set VIOS_PASSPHRASE, use --passphrase-file FILE"

static int from_file(vios_secret **out, const char *path, const char *what)
{
	uint8_t *buf = NULL;
	size_t len, total;
	int error;

	/* room for a line end after a passphrase of PASS_MAX bytes */
	if ((error = vios_file_read(&buf, &len, path, PASS_MAX + 2)) < 0) {
		if (error == VIOS_ENOTFOUND)
			vios_error_set(VIOS_ERR_INPUT, "%s file %s does not exist", what, path);
		if (error == VIOS_ECORRUPT)
			vios_error_set(VIOS_ERR_INPUT, "%s file %s is longer than %d bytes", what, path, PASS_MAX);
		return error == VIOS_ECORRUPT ? VIOS_EUSAGE : error;
	}
	/* The first line is the passphrase. */
	total = len;
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\n' || buf[i] == '\r') {
			len = i;
			break;
		}
	if (len > PASS_MAX) {
		vios_error_set(VIOS_ERR_INPUT, "%s file %s is longer than %d bytes", what, path, PASS_MAX);
		error = VIOS_EUSAGE;
	} else
		error = vios_secret_new(out, buf, len);
	sodium_memzero(buf, total); /* the whole file, not only the first line */
	free(buf);
	return error;
}

/* A passphrase from the environment, as long as the other ways allow. */
static int from_env(vios_secret **out, const char *name, const char *value)
{
	if (strlen(value) > PASS_MAX) {
		vios_error_set(VIOS_ERR_INPUT, "%s is longer than %d bytes", name, PASS_MAX);
		return VIOS_EUSAGE;
	}
	return vios_secret_new(out, value, strlen(value));
}

static int prompt(vios_secret **out, const char *question, const char *what, const char *hint)
{
	struct termios old, quiet;
	vios_secret *s = NULL;
	int fd, error = VIOS_ERROR;
	size_t n = 0;

	*out = NULL;
	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) < 0 || !isatty(fd)) {
		if (fd >= 0)
			close(fd);
		vios_error_set(VIOS_ERR_INPUT, "no %s: %s, or run vios on a terminal", what, hint);
		return VIOS_ERROR;
	}
	if (tcgetattr(fd, &old) < 0) {
		error = vios_error_os("cannot read the terminal settings");
		goto done;
	}
	quiet = old;
	quiet.c_lflag &= (tcflag_t)~(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if ((error = vios_secret_alloc(&s, PASS_MAX)) < 0)
		goto done;
	if (write(fd, question, strlen(question)) < 0 || tcsetattr(fd, TCSAFLUSH, &quiet) < 0) {
		error = vios_error_os("cannot use the terminal");
		goto done;
	}
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r <= 0 || c == '\n' || c == '\r')
			break;
		if (n < PASS_MAX)
			s->buf[n] = (uint8_t)c;
		n++; /* counted past PASS_MAX: too long is refused, not cut */
		sodium_memzero(&c, sizeof(c));
	}
	tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0) {
		/* nothing to do: the passphrase was read */
	}
	if (n > PASS_MAX) {
		/* as from_file: vios_file_read refuses a file over PASS_MAX bytes */
		vios_error_set(VIOS_ERR_INPUT, "the %s typed is longer than %d bytes", what, PASS_MAX);
		error = VIOS_EUSAGE;
		goto done;
	}
	s->len = n;
	*out = s;
	s = NULL;
	error = 0;
done:
	vios_secret_free(s);
	close(fd);
	return error;
}

static int prompt_twice(vios_secret **out, const char *first, const char *hint)
{
	vios_secret *a = NULL, *b = NULL;
	int error;

	if ((error = prompt(&a, first, "passphrase", hint)) < 0 || (error = prompt(&b, "Repeat it: ", "passphrase", hint)) < 0)
		goto done;
	if (a->len != b->len || sodium_memcmp(a->buf, b->buf, a->len) != 0) {
		vios_error_set(VIOS_ERR_INPUT, "the two passphrases differ; nothing was changed");
		error = VIOS_EUSAGE;
		goto done;
	}
	*out = a;
	a = NULL;
done:
	vios_secret_free(a);
	vios_secret_free(b);
	return error;
}

int cli_passphrase(vios_secret **out, const vios_cli *cli, int confirm)
{
	const char *env;

	*out = NULL;
	if (cli->passphrase_file)
		return from_file(out, cli->passphrase_file, "passphrase");
	if ((env = getenv("VIOS_PASSPHRASE")) != NULL)
		return from_env(out, "VIOS_PASSPHRASE", env);
	return confirm ? prompt_twice(out, "New passphrase for this node: ", HINT)
		       : prompt(out, "Passphrase: ", "passphrase", HINT);
}

int cli_new_passphrase(vios_secret **out, const char *file)
{
	const char *env;

	*out = NULL;
	if (file)
		return from_file(out, file, "passphrase");
	if ((env = getenv("VIOS_NEW_PASSPHRASE")) != NULL)
		return from_env(out, "VIOS_NEW_PASSPHRASE", env);
	return prompt_twice(out, "New passphrase: ",
			    "set VIOS_NEW_PASSPHRASE, use --new-passphrase-file FILE");
}

int cli_backup_passphrase(vios_secret **out, const vios_cli *cli, const char *file, int confirm)
{
	const char *env;

	*out = NULL;
	if (file)
		return from_file(out, file, "passphrase");
	if (cli->passphrase_file)
		return from_file(out, cli->passphrase_file, "passphrase");
	if ((env = getenv("VIOS_PASSPHRASE")) != NULL)
		return from_env(out, "VIOS_PASSPHRASE", env);
	return confirm ? prompt_twice(out, "Passphrase for the backup: ", HINT ", --backup-passphrase-file FILE")
		       : prompt(out, "Passphrase of the backup: ", "passphrase", HINT ", --backup-passphrase-file FILE");
}

/* Up to PASS_MAX bytes (and a line end) from standard input. */
static int from_stdin(vios_secret **out)
{
	vios_secret *s = NULL;
	size_t n = 0;
	int error;

	if ((error = vios_secret_alloc(&s, PASS_MAX + 2)) < 0)
		return error;
	while (n < PASS_MAX + 2) {
		ssize_t r = read(STDIN_FILENO, s->buf + n, PASS_MAX + 2 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			vios_secret_free(s);
			return vios_error_os("cannot read standard input");
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	s->len = n;
	*out = s;
	return 0;
}

int cli_recovery_code(vios_secret **out, const char *code, const char *file)
{
	vios_secret *s = NULL;
	int error;

	*out = NULL;
	if (file)
		error = from_file(&s, file, "recovery code");
	else if (code && !strcmp(code, "-"))
		error = from_stdin(&s);
	else if (code)
		error = from_env(&s, "--recovery-code", code);
	else
		error = prompt(&s, "Recovery code: ", "recovery code",
			       "use --recovery-code-file FILE or --recovery-code - (standard input)");
	if (error < 0)
		return error;
	/* the code as text: up to the first newline */
	for (size_t i = 0; i < s->len; i++)
		if (s->buf[i] == '\n' || s->buf[i] == '\r') {
			sodium_memzero(s->buf + i, s->len - i);
			s->len = i;
			break;
		}
	*out = s;
	return 0;
}
