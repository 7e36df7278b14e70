/*
 * i18n.c - binding the message catalog (i18n.h).
 */
#include "util/i18n.h"

#include <libintl.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef VIOS_LOCALEDIR
#define VIOS_LOCALEDIR "/usr/local/share/locale"
#endif

/* GNU gettext's counter of catalog changes: bumped, it makes gettext look
 * the language up again after LANGUAGE changed (the gettext manual,
 * "Being a gettext grok"). */
extern int _nl_msg_cat_cntr;

static int has_catalog(const char *dir)
{
	char path[PATH_MAX];
	struct stat sb;

	return snprintf(path, sizeof(path), "%s/nl/LC_MESSAGES/" VIOS_TEXTDOMAIN ".mo", dir) < (int)sizeof(path) &&
	       stat(path, &sb) == 0;
}

/* The folder of the catalogs, as i18n.h says, into buf. */
static const char *locale_dir(char *buf, size_t len)
{
	const char *env = getenv("VIOS_LOCALEDIR");
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	if (env && *env)
		return env;
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
			/* ./vios in a source tree, build/san/vios, build/rel/tests/test_* */
			if (snprintf(buf, len, "%s/build/locale", exe) < (int)len && has_catalog(buf))
				return buf;
			if (snprintf(buf, len, "%s/../locale", exe) < (int)len && has_catalog(buf))
				return buf;
			if (snprintf(buf, len, "%s/../../locale", exe) < (int)len && has_catalog(buf))
				return buf;
		}
	}
	return VIOS_LOCALEDIR;
}

void vios_i18n_init(void)
{
	static int done;
	char buf[PATH_MAX];

	if (done)
		return;
	done = 1;
	setlocale(LC_MESSAGES, "");
	bindtextdomain(VIOS_TEXTDOMAIN, locale_dir(buf, sizeof(buf)));
	bind_textdomain_codeset(VIOS_TEXTDOMAIN, "UTF-8");
	textdomain(VIOS_TEXTDOMAIN);
}

void vios_i18n_force(const char *lang)
{
	vios_i18n_init();
	/* gettext ignores LANGUAGE in the "C" locale; C.UTF-8 is built into
	 * glibc and lets it count, without any other locale installed */
	if (setlocale(LC_MESSAGES, "C.UTF-8") == NULL)
		setlocale(LC_MESSAGES, "");
	setenv("LANGUAGE", lang, 1);
	++_nl_msg_cat_cntr;
}
