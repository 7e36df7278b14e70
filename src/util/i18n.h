/*
 * i18n.h - the one message catalog, gettext domain "vios" (po/, docs/web.md).
 *
 * The CLI's messages and the web interface's text come from the same
 * catalog: po/nl.po translates them to Dutch. English is the msgid itself.
 * Library messages are translated where they are recorded
 * (vios_error_set), so the CLI, the web and any later front end say the
 * same words.
 */
#ifndef VIOS_I18N_H
#define VIOS_I18N_H

#define VIOS_TEXTDOMAIN "vios"

/*
 * Binds the catalog: the folder named by VIOS_LOCALEDIR in the
 * environment, else build/locale next to the running binary (a source
 * tree: ./vios, build/san/vios), else the installed one (DATADIR/locale,
 * compiled in). Sets LC_MESSAGES from the environment (LANG, LC_ALL,
 * LANGUAGE) and nothing else, so numbers and dates in output never change
 * with the user's locale. Safe to call more than once.
 */
void vios_i18n_init(void);

/*
 * Makes lang ("nl", "en") the language of the messages that follow in this
 * process, whatever the environment says (the web server, per request).
 */
void vios_i18n_force(const char *lang);

#endif
