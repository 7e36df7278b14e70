/*
 * cli.h - what the command implementations share. Only src/cli talks to the
 * terminal and picks exit codes; everything below returns error codes.
 */
#ifndef VIOS_CLI_H
#define VIOS_CLI_H

#include <jansson.h>
#include <stdio.h>

#include "crypto/secret.h"
#include "node/node.h"

#include "store/store.h"

typedef struct {
	const char *home;            /* --home, VIOS_HOME or ~/.vios */
	int json;                    /* --json */
	const char *passphrase_file; /* --passphrase-file */
	const char *command;         /* the command's name, for messages */
	int flags;                   /* the command's NEEDS_* flags (what cli_open does) */
	vios_node *node;             /* unlocked by cli_open when the command needs it */
	vios_store *store;           /* opened by cli_open when the command needs it */
} vios_cli;

/* Flags of a command in the table. main() finds the home for each of them;
 * the command parses its arguments first, then calls cli_open. */
#define NEEDS_NODE 1  /* cli_open unlocks the node */
#define NEEDS_STORE 3 /* cli_open unlocks it and opens its record store */
#define NEEDS_HOME 4  /* only the home, no passphrase (vios unlock, lock, config) */

/*
 * Unlocks the node and opens its store as cli->flags ask; a command calls
 * it once its arguments parsed, so a usage error never costs a passphrase
 * prompt or Argon2id. The key comes from the home's unlock agent when one
 * answers (vios unlock; no passphrase is asked), else from the passphrase
 * (cli_passphrase). Does nothing for what is open already.
 */
int cli_open(vios_cli *cli);
/* The node unlocked by the home's agent alone: 0, VIOS_ENOTFOUND when no
 * agent answers (the caller may ask the passphrase), or an error. */
int cli_node_from_agent(vios_node **out, const vios_cli *cli);

typedef int (*vios_cmd_fn)(vios_cli *cli, int argc, char **argv);

typedef struct {
	const char *name;
	vios_cmd_fn fn;
	int flags;
	const char *summary;
	const char *usage; /* full help text, also `vios help NAME` */
	const char *bare;  /* a subcommand that needs neither home nor node (flags ignored), or NULL */
} vios_cmd;

/* Reports a usage error for the current command; returns VIOS_EUSAGE. */
int cli_usage(vios_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* When busy (vios_store_wal_truncate): one warning line that what's old
 * pages (e.g. "the erased records'") wait in the store's journal. */
void cli_wal_warning(int busy, const char *what);
/* The registry's freshness in words (cmd_sync.c), in buf: 1 when it expires
 * within 7 days, 2 when it has expired; 0 when fresh or not joined; or an error. */
int cli_registry_warning(char *buf, size_t len, vios_store *st);
/* Prints a command's help to f. */
void cli_help(FILE *f, const char *name);

/* The passphrase from --passphrase-file, VIOS_PASSPHRASE or the terminal. */
int cli_passphrase(vios_secret **out, const vios_cli *cli, int confirm);
/* A new passphrase from --new-passphrase-file FILE (file may be NULL),
 * VIOS_NEW_PASSPHRASE or the terminal (asked twice). */
int cli_new_passphrase(vios_secret **out, const char *file);

/* The recovery code of passphrase recover: from file (may be NULL), else
 * code ("-": standard input; a code on the command line shows in the
 * process list), else a prompt on the terminal. */
int cli_recovery_code(vios_secret **out, const char *code, const char *file);

/* The passphrase of an identity backup: --backup-passphrase-file FILE (file
 * may be NULL), else the node's own sources as cli_passphrase reads them
 * (a prompt says it is the backup's; asked twice with confirm). */
int cli_backup_passphrase(vios_secret **out, const vios_cli *cli, const char *file, int confirm);

/* Hands the home's login settings to sync/cred.c when the command may
 * fetch or push (login.c); 0 for any other command. */
int cli_login_apply(const vios_cli *cli);

/* Command implementations (cmd_*.c). */
int cmd_init(vios_cli *cli, int argc, char **argv);
int cmd_whoami(vios_cli *cli, int argc, char **argv);
int cmd_identity(vios_cli *cli, int argc, char **argv);
int cmd_passphrase(vios_cli *cli, int argc, char **argv);
int cmd_pupil(vios_cli *cli, int argc, char **argv);
/* vios pupil report (cmd_subject.c); argv as cmd_pupil's, "report" last. */
int cmd_pupil_report(vios_cli *cli, int argc, char **argv);
/* vios pupil erase (cmd_lifecycle.c; cmd_pupil dispatches to it) and vios retention */
int cmd_pupil_erase(vios_cli *cli, int argc, char **argv);
int cmd_retention(vios_cli *cli, int argc, char **argv);
int cmd_signal(vios_cli *cli, int argc, char **argv);
int cmd_trend(vios_cli *cli, int argc, char **argv);
int cmd_meeting(vios_cli *cli, int argc, char **argv);
/* The table's rhythm (cmd_rhythm.c; cmd_signal and cmd_meeting dispatch to
 * them, argv as theirs with the action word last): signal close, meeting
 * plan, hold, agenda and list --upcoming. */
int cli_signal_close(vios_cli *cli, int argc, char **argv);
int cli_meeting_plan(vios_cli *cli, int argc, char **argv);
int cli_meeting_hold(vios_cli *cli, int argc, char **argv);
int cli_meeting_agenda(vios_cli *cli, int argc, char **argv);
int cli_meeting_upcoming(vios_cli *cli);
int cmd_case(vios_cli *cli, int argc, char **argv);
int cmd_agreement(vios_cli *cli, int argc, char **argv);
int cmd_log(vios_cli *cli, int argc, char **argv);
int cmd_store(vios_cli *cli, int argc, char **argv);
int cmd_hub(vios_cli *cli, int argc, char **argv);
int cmd_covenant(vios_cli *cli, int argc, char **argv);
int cmd_join(vios_cli *cli, int argc, char **argv);
int cmd_status(vios_cli *cli, int argc, char **argv);
int cmd_export(vios_cli *cli, int argc, char **argv);
int cmd_import(vios_cli *cli, int argc, char **argv);
int cmd_bundle(vios_cli *cli, int argc, char **argv);
int cmd_digest(vios_cli *cli, int argc, char **argv);
int cmd_sync(vios_cli *cli, int argc, char **argv);
int cmd_keys(vios_cli *cli, int argc, char **argv);
int cmd_audit(vios_cli *cli, int argc, char **argv);
int cmd_config(vios_cli *cli, int argc, char **argv);
/* vios evaluate (cmd_evaluate.c) */
int cmd_evaluate(vios_cli *cli, int argc, char **argv);
/* vios unlock and vios lock (unlock.c) */
int cmd_unlock(vios_cli *cli, int argc, char **argv);
int cmd_lock(vios_cli *cli, int argc, char **argv);
/* The home's unlock agent in words ("until ... (pid N)") into buf, for
 * status and whoami: 1 when one answers, 0 when none runs. */
int cli_agent_status(char *buf, size_t len, long long *pid, const char *home);
int cmd_stick(vios_cli *cli, int argc, char **argv);
/* hub merge, shared by cmd_hub */
int cli_hub_merge(vios_cli *cli, const char *via);
void cli_progress_on(void);
int cmd_conflicts(vios_cli *cli, int argc, char **argv);
/* vios serve (cmd_serve.c): the web interface */
int cmd_serve(vios_cli *cli, int argc, char **argv);
int cmd_restore(vios_cli *cli, int argc, char **argv);
/* vios identity backup (cmd_node.c dispatches to it) */
int cli_identity_backup(vios_cli *cli, int argc, char **argv);
/* vios covenant approve (argv from "approve"), and approvals in vios status (cmd_consent.c) */
int cli_covenant_approve(vios_cli *cli, int argc, char **argv);
int cli_consent_status(json_t *doc, vios_store *st);
void cli_consent_status_print(const json_t *doc);

#endif
