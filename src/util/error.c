/*
 * error.c - per-thread last error message; see error.h.
 */
#include "util/error.h"
#include "util/i18n.h"

#include <assert.h>
#include <errno.h>
#include <libintl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char last_msg[512];
static _Thread_local vios_error_class last_class;

void vios_error_set(vios_error_class klass, const char *fmt, ...)
{
	va_list ap;

	int n;

	assert(fmt != NULL);
	va_start(ap, fmt);
	/* the catalog's words for it (util/i18n.h): the msgid when none */
	n = vsnprintf(last_msg, sizeof(last_msg), dgettext(VIOS_TEXTDOMAIN, fmt), ap);
	va_end(ap);
	/* a message never fails: a long one is cut, visibly */
	if (n < 0 || (size_t)n >= sizeof(last_msg))
		memcpy(last_msg + sizeof(last_msg) - 4, "...", 4);
	last_class = klass;
}

int vios_error_os(const char *fmt, ...)
{
	int saved = errno, n;
	char what[400];
	va_list ap;

	assert(fmt != NULL);
	va_start(ap, fmt);
	n = vsnprintf(what, sizeof(what), dgettext(VIOS_TEXTDOMAIN, fmt), ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(what))
		memcpy(what + sizeof(what) - 4, "...", 4);
	if (saved == ENOSPC || saved == EFBIG || saved == EDQUOT) {
		vios_error_set(VIOS_ERR_OS, "%s: disk full (free some space and run the command again)", what);
		return VIOS_ENOSPACE;
	}
	vios_error_set(VIOS_ERR_OS, "%s: %s", what, strerror(saved));
	return VIOS_ERROR;
}

int vios_error_nomem(void)
{
	vios_error_set(VIOS_ERR_NOMEM, "out of memory");
	return VIOS_ERROR;
}

const char *vios_error_last(void)
{
	return last_msg[0] ? last_msg : "unknown error";
}

vios_error_class vios_error_last_class(void)
{
	return last_class;
}

void vios_error_clear(void)
{
	last_msg[0] = '\0';
	last_class = VIOS_ERR_NONE;
}
