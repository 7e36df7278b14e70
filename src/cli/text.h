/*
 * text.h - free text (a note, minutes, a name) that stays out of argv.
 *
 * A value on the command line shows in the process list and the shell's
 * history. So every free-text option also takes "-": the text then comes
 * from standard input, or, when standard input is a terminal, from the
 * editor ($VISUAL, $EDITOR, else editor or vi), git commit style: lines
 * starting with '#' are dropped, an empty text cancels the command. The
 * editor's file lives in a memory-backed directory ($XDG_RUNTIME_DIR or
 * /dev/shm, refused when neither is tmpfs), mode 0600, overwritten and
 * removed as soon as it is read: personal text never reaches a disk.
 *
 * The texts are kept by this module and wiped when the command ends
 * (cli_text_forget, called by main).
 */
#ifndef VIOS_CLI_TEXT_H
#define VIOS_CLI_TEXT_H

#include "cli/cli.h"

#define CLI_TEXT_MAX ((size_t)64 << 10)

/*
 * The text of option --opt: value itself, or for "-" standard input (read
 * once per command: a second "-" is a usage error) or the editor. A
 * trailing newline is dropped. *out stays valid until cli_text_forget.
 */
int cli_text(const char **out, vios_cli *cli, const char *opt, const char *value);

/* 1 when a text option that was not given would be asked for in the editor
 * (standard input and standard error are terminals). */
int cli_text_can_edit(void);

/* Wipes and frees every text this module read. */
void cli_text_forget(void);

#endif
