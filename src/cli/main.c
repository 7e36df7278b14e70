/*
 * main.c - the vios command line: global options, the command table, and
 * the one place that turns error codes into messages and exit codes.
 *
 * Exit codes (docs/cli-output.md): 0 ok; 1 error; 2 usage; 3 verification
 * failed (bad signature, tampered, forked, wrong key, not enrolled).
 *
 * An error is one line on stderr: "vios: error: MESSAGE" ("vios: MESSAGE"
 * for a usage error), or under --json {"error":"MESSAGE","exit":N}
 * (docs/cli-output.md). print_error() is the only place that writes it.
 */
#include "cli/cli.h"
#include "cli/table.h"
#include "cli/text.h"
#include "crdt/crdt.h"
#include "node/run.h"
#include "store/vfs.h"
#include "sync/layout.h"
#include "util/error.h"
#include "util/i18n.h"

#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VIOS_VERSION "0.1.0"

/* Paragraphs more than one command's help shares: one text each. */
#define HELP_NAME_GUARD \
	"The name guard: a note, source or minutes that go out as theme data (a trend, a\n" \
	"signal about no pupil, a meeting that is no case meeting) naming one of this\n" \
	"school's pupils (full name, first or last name with the class, local id, class\n" \
	"with initials) is refused; --no-name-check writes it anyway, logged and reported\n" \
	"to the auditor in the bundle (docs/name-guard.md).\n"
#define HELP_FREE_TEXT \
	"Free text (--name, --note, --minutes, --action, ...) is best given as '-': it is then\n" \
	"read from standard input, or on a terminal written in $EDITOR (a note or action left\n" \
	"out opens it too); text on the command line shows in the process list and history.\n"

static const vios_cmd commands[] = {
	{ "init", cmd_init, 0, "Create a node home: identity, keys, recovery code",
	  "usage: vios init --kind school|partner|hub|auditor --name NAME [--role ROLE] [--kdf PRESET]\n"
	  "\n"
	  "Creates the node home (--home, VIOS_HOME or ~/.vios): a node id, a signing key\n"
	  "(minisign) and an encryption key (age), and a random master key wrapped under your\n"
	  "passphrase and under a recovery code that is printed once. Write the code down.\n"
	  "\n"
	  "  --kind K        school, partner, hub or auditor\n"
	  "  --name NAME     how the node is shown to others (e.g. the school's name)\n"
	  "  --role ROLE     a partner's role: police, youth-protection, social-team,\n"
	  "                  attendance, youth-work, municipality (others take their kind)\n"
	  "  --kdf PRESET    Argon2id cost: interactive, moderate (default) or sensitive\n"
	  "\n"
	  "The passphrase comes from --passphrase-file FILE, VIOS_PASSPHRASE, or a prompt.\n"
	  "An existing, non-empty home is never overwritten.\n", NULL },
	{ "whoami", cmd_whoami, NEEDS_NODE, "Show this node's identity and public keys",
	  "usage: vios [--json] whoami\n"
	  "\n"
	  "Shows node id, kind, name, role, fingerprint (128 bits of the signing key, 8\n"
	  "groups of 4 hex digits), the age recipient (age1...) and the minisign public\n"
	  "key. Unlocks the node, so a wrong passphrase is reported here.\n", NULL },
	{ "identity", cmd_identity, NEEDS_STORE, "Export the enrollment request or the age identity; back up the identity",
	  "usage: vios identity export [-o FILE]\n"
	  "       vios identity export --secret -o FILE [--force]\n"
	  "       vios identity backup -o FILE [--backup-passphrase-file FILE] [--force]\n"
	  "\n"
	  "Without --secret: writes the signed enrollment request (public keys, kind, role,\n"
	  "name) for the hub operator, to FILE or stdout.\n"
	  "With --secret: writes this node's age identity (AGE-SECRET-KEY-1...) to FILE with\n"
	  "mode 0600 (epoch 0 only: 'vios keys export --secret' writes every live epoch key).\n"
	  "The file is outside the encrypted home: keep it safe and delete it after use.\n"
	  "Every secret export is written to the access log ('vios log').\n"
	  "It is never written inside the home; an existing FILE needs --force.\n"
	  "backup: writes this node's identity (node id, kind, name, role, both secret keys)\n"
	  "and the hub it joined (URL, fingerprint, public key) to FILE, mode 0600, as an age\n"
	  "file encrypted to a passphrase (scrypt): stock 'age -d FILE' opens it. The passphrase\n"
	  "is the node's (--passphrase-file, VIOS_PASSPHRASE or a prompt, asked twice) unless\n"
	  "--backup-passphrase-file FILE. Keep it off this machine; with it and the hub,\n"
	  "'vios restore' makes the node again. Every backup is written to the access log.\n", NULL },
	{ "passphrase", cmd_passphrase, 0, "Change the passphrase or recover with the recovery code",
	  "usage: vios passphrase change [--new-passphrase-file FILE]\n"
	  "       vios passphrase recover [--recovery-code-file FILE | --recovery-code -] [--new-passphrase-file FILE]\n"
	  "\n"
	  "change: unlocks with the current passphrase (--passphrase-file, VIOS_PASSPHRASE or\n"
	  "a prompt) and sets the new one (--new-passphrase-file, VIOS_NEW_PASSPHRASE or a\n"
	  "prompt, asked twice).\n"
	  "recover: sets a new passphrase with the recovery code printed by 'vios init',\n"
	  "asked on the terminal (not shown), or read from FILE or, with '-', from standard\n"
	  "input. (--recovery-code CODE still works, but shows the code in the process list.)\n"
	  "The node keeps its keys and data; the recovery code stays valid.\n", NULL },
	{ "unlock", cmd_unlock, NEEDS_HOME, "Unlock once: an agent holds the key for the commands that follow",
	  "usage: vios unlock [--for DURATION]\n"
	  "\n"
	  "Asks the passphrase once (--passphrase-file, VIOS_PASSPHRASE or a prompt), then\n"
	  "starts an agent process (like ssh-agent) that holds the node's master key in\n"
	  "locked memory and hands it, over HOME/agent.sock (mode 0600), only to processes\n"
	  "of the same user. Commands on this home then take the key from it: no prompt,\n"
	  "no Argon2id. The agent forgets the key and exits after DURATION (30s, 5m, 8h or\n"
	  "1d; a bare number is seconds; default 8h, at most 24h; time suspended counts),\n"
	  "on 'vios lock', and on SIGTERM, SIGINT or SIGHUP. A second unlock replaces a\n"
	  "running agent: the new DURATION counts from then. A wrong passphrase starts\n"
	  "nothing and leaves a running agent as it was. Prints until when the node is\n"
	  "unlocked and the agent's pid. While it is unlocked, anyone who can run programs\n"
	  "as this user can use the node. docs/formats.md, \"Unlock agent\".\n", NULL },
	{ "lock", cmd_lock, NEEDS_HOME, "Forget the unlocked key: stop the unlock agent",
	  "usage: vios lock\n"
	  "\n"
	  "Tells the home's unlock agent to forget the key and waits until it has exited;\n"
	  "commands need the passphrase again. With no agent running it says so and exits\n"
	  "0: the node is locked either way.\n", NULL },
	{ "restore", cmd_restore, 0, "Make a lost node again from its identity backup and the hub",
	  "usage: vios restore --backup FILE [--backup-passphrase-file FILE] [--hub-fingerprint FP]\n"
	  "                    [--kdf PRESET] URL|PATH\n"
	  "\n"
	  "Makes a new home (--home, VIOS_HOME or ~/.vios; it must not exist or be empty) with\n"
	  "the identity in FILE (from 'vios identity backup'), joins the hub at URL|PATH with the\n"
	  "hub key the backup pinned (or --hub-fingerprint FP), and rebuilds the store from every\n"
	  "bundle on the hub addressed to this node, its own included. The next 'vios sync'\n"
	  "continues the node's chain where the hub has it. A new recovery code is printed once.\n"
	  "\n"
	  "The backup's passphrase comes from --backup-passphrase-file FILE, else from\n"
	  "--passphrase-file, VIOS_PASSPHRASE or a prompt, and then also seals the new home;\n"
	  "with --backup-passphrase-file the new home's passphrase comes from those sources.\n"
	  "Restore, never a copied store.db: an old store would seal seqs the hub already has.\n", NULL },
	{ "pupil", cmd_pupil, NEEDS_STORE, "Record and show pupils",
	  "usage: vios pupil add --name NAME [--birth YYYY-MM-DD] [--class C] [--local-id X]\n"
	  "                      [--guardian CONTACT]\n"
	  "       vios pupil edit ID [--name NAME] [--birth YYYY-MM-DD] [--class C] [--local-id X]\n"
	  "                      [--guardian CONTACT]\n"
	  "       vios pupil list\n"
	  "       vios pupil show ID\n"
	  "       vios pupil report ID [-o FILE] [--format html|json] [--reason TEXT]\n"
	  "       vios pupil erase ID --reason TEXT\n"
	  "\n"
	  "add prints the new pupil's id. edit changes only the fields given, checked as\n"
	  "add checks them, and prints the id. show lists the pupil's signals, cases and\n"
	  "agreements together. Every read and change is written to the access log\n"
	  "('vios log').\n"
	  "16+ (over16) follows from --birth, counted today; no option sets it. A birth\n"
	  "date may not lie in the future.\n"
	  "report is the subject access report: everything this node holds about the\n"
	  "pupil, each signal's and case's legal basis and whether the parents were\n"
	  "informed, and which node received which record when. Other pupils' names in\n"
	  "free text are redacted. HTML (printable, self-contained) by default, or JSON\n"
	  "(format vios-subject-report-1); to stdout, or to a new FILE (mode 0600; an\n"
	  "existing file is never overwritten). Logged as a read, with the reason.\n"
	  "\n"
	  "erase (only on the school that recorded the pupil) deletes the pupil and\n"
	  "everything about them: signals, cases, case meetings and agreements, on this\n"
	  "node and, at their next sync, on every node that received them (tombstones\n"
	  "carry ids only). The reason goes to the local access log only. Prints\n"
	  "\"pupil ID erased: N records (M signals, ...)\". See docs/lifecycle.md.\n"
	  HELP_FREE_TEXT, NULL },
	{ "signal", cmd_signal, NEEDS_STORE, "Record, list and triage signals",
	  "usage: vios signal add --theme T --note TEXT [--pupil ID] [--at YYYY-MM-DD]\n"
	  "                       [--where in|around] [--severity low|medium|high] [--source TEXT]\n"
	  "                       [--basis B] [--parents-informed yes|no] [--not-informed-reason TEXT]\n"
	  "                       [--no-name-check]\n"
	  "       vios signal edit ID [the options of add]\n"
	  "       vios signal list [--theme T] [--since YYYY-MM-DD] [--pupil ID] [--new]\n"
	  "       vios signal show ID\n"
	  "       vios signal close ID --reason TEXT\n"
	  "\n"
	  "edit changes only the options given, checked as add checks them. show gives\n"
	  "the signal with its pupil and the cases that list it.\n"
	  "Triage (docs/rhythm.md): a signal is closed (signal close), else linked (a case\n"
	  "lists it), else discussed (a held meeting's --discussed lists it), else new.\n"
	  "list and show give the state (triage) and, where known, the first meeting that\n"
	  "discussed it (meeting, discussed_at) and the case (case, linked_at); --new lists\n"
	  "only new signals. close records the reason there is no further action and\n"
	  "today's date; only the node that recorded the signal closes it, once.\n"
	  "Themes: weapons, drugs-use, drugs-trade, alcohol, exploitation, sexting,\n"
	  "street-culture, polarisation, nuisance, vandalism, crime, other, and the local\n"
	  "themes of the covenant this node approved ('vios covenant show' lists them).\n"
	  "A signal without --pupil is about a phenomenon (thematic); with one, it is case data.\n"
	  "Keep the note factual and name its source. Legal bases: public-task, consent,\n"
	  "wpg-20, vital-interest, legal-obligation.\n"
	  "A signal about a pupil needs --basis and --parents-informed yes|no (with no,\n"
	  "--not-informed-reason TEXT). --at may be at most tomorrow.\n"
	  HELP_FREE_TEXT, NULL },
	{ "trend", cmd_trend, NEEDS_STORE, "Record and list thematic trends",
	  "usage: vios trend add --theme T --period YYYY-MM --level rising|stable|falling [--note TEXT]\n"
	  "                      [--no-name-check]\n"
	  "       vios trend list\n"
	  "\n"
	  "A trend is about a phenomenon at or around the school, never about a person; a\n"
	  "month that has not begun is refused. Its theme is one of signal's.\n"
	  HELP_NAME_GUARD
	  HELP_FREE_TEXT, NULL },
	{ "meeting", cmd_meeting, NEEDS_STORE, "Record, plan and hold meetings; print their agendas",
	  "usage: vios meeting add --kind thematic|case|steering|evaluation --date YYYY-MM-DD\n"
	  "                        [--roles R,...] [--minutes TEXT] [--case ID] [--discussed ID,...]\n"
	  "                        [--no-name-check]\n"
	  "       vios meeting edit ID [the options of add]\n"
	  "       vios meeting list [--upcoming]\n"
	  "       vios meeting plan --kind thematic|case --every Nw|Nd --from YYYY-MM-DD\n"
	  "                         [--until YYYY-MM-DD] [--roles R,...]\n"
	  "       vios meeting hold ID --minutes TEXT [--discussed ID,...] [--date YYYY-MM-DD]\n"
	  "                         [--no-name-check]\n"
	  "       vios meeting agenda ID|--next [--html FILE]\n"
	  "\n"
	  "edit changes only the options given, checked as add checks them.\n"
	  "--discussed lists the signals and cases the meeting discussed: each one this\n"
	  "node recorded; a signal a held meeting discussed is no longer new.\n"
	  "plan makes a series of planned meetings (not yet held), every N weeks or days\n"
	  "from --from up to --until (default: 12 months after --from), at most 60, and\n"
	  "prints their ids. hold records a planned meeting as held, with its minutes,\n"
	  "what it discussed and, when it moved, its --date (at the latest tomorrow).\n"
	  "list --upcoming lists the planned meetings from today on, by date.\n"
	  "agenda assembles a planned meeting's agenda (--next: the first one from today\n"
	  "on): the new signals seen by its date, the open cases with their overdue\n"
	  "agreements, and the trends recorded since the last held meeting of its kind.\n"
	  "A thematic meeting's agenda names no pupil. --html FILE writes it as a\n"
	  "printable page (mode 0600, replaced whole). See docs/rhythm.md.\n"
	  "A hub records the steering and evaluation meetings of the region only, never\n"
	  "with --case: they reach every school as theme data.\n"
	  HELP_NAME_GUARD
	  HELP_FREE_TEXT, NULL },
	{ "case", cmd_case, NEEDS_STORE, "Open cases and move them through their statuses",
	  "usage: vios case open --pupil ID [--signals ID,...] [--roles R,...] [--lead ROLE]\n"
	  "                      --basis public-task|consent|wpg-20|vital-interest|legal-obligation\n"
	  "                      [--parents-informed yes|no [--not-informed-reason TEXT]]\n"
	  "                      [--police-info TEXT] [--care-info TEXT]\n"
	  "       vios case info ID [--police-info TEXT] [--care-info TEXT]\n"
	  "       vios case show ID\n"
	  "       vios case status ID STATUS [--to TARGET]\n"
	  "       vios case roles ID [--add R,...] [--remove R,...]\n"
	  "       vios case lead ID ROLE\n"
	  "       vios case list [--status S]\n"
	  "       vios case meldcode ID --step N --date YYYY-MM-DD [--note TEXT]\n"
	  "                          [--outcome report|help|report-and-help|none]\n"
	  "\n"
	  "Statuses: reported -> discussed -> in-progress -> monitoring -> closed, and\n"
	  "escalated (with --to zorg-en-veiligheidshuis, veilig-thuis or\n"
	  "raad-kinderbescherming) from any open status. monitoring may go back to\n"
	  "in-progress; any open case may be closed; closed and escalated are final.\n"
	  "--roles are the partners taking part: only they receive the case's data. The\n"
	  "school owns the case and always takes part; --lead is the school or one of the\n"
	  "roles. show gives the case with its pupil, signals, meetings and agreements.\n"
	  "roles adds or removes partners (stored in role order); the school and the\n"
	  "lead cannot be removed. lead hands the lead to the school or one of the roles.\n"
	  "A case's pupil never changes.\n"
	  "--police-info is what the police shared at the table (criminal data, GDPR\n"
	  "art. 10), --care-info what care partners shared (health and other special-\n"
	  "category data, art. 9). The covenant marks both: each travels only to the\n"
	  "roles it names, even within the case. info sets the ones given (an empty\n"
	  "TEXT clears one); only the school that opened the case may. show prints them\n"
	  "as this node holds them.\n"
	  "open needs --basis and whether the parents were informed: --parents-informed\n"
	  "yes|no (with no, --not-informed-reason TEXT). Without it the case takes what its\n"
	  "--signals recorded when they all say the same (and, for no, give one reason).\n"
	  "meldcode records a step of the Meldcode huiselijk geweld en kindermishandeling:\n"
	  "1 map the signals, 2 consult a colleague and if needed Veilig Thuis, 3 talk\n"
	  "with the pupil and the parents, 4 weigh with the assessment framework,\n"
	  "5 decide (--outcome: report to Veilig Thuis, organise help, both or none).\n"
	  "Step 5 comes after steps 1 to 4; recording a step again replaces its date\n"
	  "(and its note, when given). A case is escalated --to veilig-thuis only after\n"
	  "step 5 decided to report. show lists the steps.\n"
	  HELP_FREE_TEXT, NULL },
	{ "agreement", cmd_agreement, NEEDS_STORE, "Record action agreements, mark them done",
	  "usage: vios agreement add (--case ID | --meeting ID) --owner ROLE --action TEXT --due YYYY-MM-DD\n"
	  "       vios agreement edit ID [--meeting ID] [--owner ROLE] [--action TEXT] [--due YYYY-MM-DD]\n"
	  "       vios agreement done ID [--feedback TEXT]\n"
	  "       vios agreement list [--overdue] [--case ID]\n"
	  "\n"
	  "edit changes only the options given, checked as add checks them; an\n"
	  "agreement made in a case stays with that case (--case cannot change).\n"
	  "--overdue lists open agreements whose due date has passed.\n"
	  HELP_FREE_TEXT, NULL },
	{ "retention", cmd_retention, NEEDS_STORE, "Erase what the covenant's retention periods no longer keep",
	  "usage: vios retention run [--json]\n"
	  "\n"
	  "Applies the retention of the covenant this node approved (the default\n"
	  "covenant's before joining) to every record this node holds: cases closed\n"
	  "longer ago than the case period, with their meetings, agreements and signals;\n"
	  "signals about a pupil in no case; pupils with nothing left; trends, thematic\n"
	  "meetings and signals without a pupil older than the theme period. Every\n"
	  "'vios sync' does the same before it seals. Prints the records erased per\n"
	  "table; each is in the access log. See docs/lifecycle.md.\n", NULL },
	{ "log", cmd_log, NEEDS_STORE, "Show the local access log",
	  "usage: vios log [--limit N] | vios log --verify\n"
	  "\n"
	  "Who (node, OS user) did what (create, read, update, export, import, erase) to\n"
	  "which record, and when. The log is append-only and never leaves this node.\n"
	  "\n"
	  "Each entry is chained to the one before by its hash. --verify recomputes the\n"
	  "chain: \"access log: N entries, chain intact, head H\", or exit 3 naming the\n"
	  "first entry that was edited, deleted or moved. The head (count and last hash)\n"
	  "goes inside every bundle this node seals, so the auditor sees a log that went\n"
	  "back (a store copied back from an old copy).\n", NULL },
	{ "store", cmd_store, NEEDS_STORE, "Check or compact the encrypted record store",
	  "usage: vios store check | vios store vacuum\n"
	  "\n"
	  "check runs SQLite's integrity check over the decrypted pages and counts the\n"
	  "rows of each table; vacuum rebuilds the store compactly (every page is encrypted\n"
	  "afresh) and then checks it. A page that fails authentication exits 3.\n", NULL },
	{ "hub", cmd_hub, NEEDS_STORE, "Hub operator: create the hub, enroll, list and revoke nodes, publish the covenant",
	  "usage: vios hub create PATH\n"
	  "       vios hub enroll FILE\n"
	  "       vios hub nodes\n"
	  "       vios hub revoke NODE-ID|NAME\n"
	  "       vios hub covenant set FILE\n"
	  "       vios hub registry refresh [--valid DAYS]\n"
	  "       vios hub merge [--via PATH|URL]\n"
	  "       vios hub report [--from YYYY-MM] [--to YYYY-MM] [--csv FILE|-]\n"
	  "                       [--csv-dialect rfc4180|excel-nl] [--svg FILE|-]\n"
	  "                       [--pdf FILE|-] [--png FILE|-] [--summary FILE|-]\n"
	  "       vios hub check-push\n"
	  "\n"
	  "Run on a hub node (vios init --kind hub). create makes a bare git repository at\n"
	  "PATH with a signed registry on refs/heads/registry: the hub root key, the hub\n"
	  "itself enrolled, and the default covenant. enroll checks a node's signed request\n"
	  "(from 'vios identity export') and publishes it; re-enrolling a node id with other\n"
	  "keys is refused. It prints the node's fingerprint (what 'vios whoami' shows on that\n"
	  "node): read it back by phone with the node's coordinator before you trust it.\n"
	  "nodes lists every enrolled node: id, kind, role, name, fingerprint, when it was\n"
	  "enrolled and revoked, the last seq its ref holds in the hub repository and the days\n"
	  "since that bundle was sealed (by its signed clock). revoke takes a node id or the\n"
	  "node's exact name (several nodes of that name: exit 2 listing their ids); it\n"
	  "records the time and the last seq the hub holds from the node; later bundles from\n"
	  "it are refused everywhere. covenant set validates a JSON covenant (see\n"
	  "docs/formats.md) with a higher version and publishes it.\n"
	  "Every change is a new registry version signed by the hub's key, valid 30 days.\n"
	  "registry refresh signs the same registry again as the next version, valid DAYS\n"
	  "days (1 to 365, default 30): run it from a timer (INSTALL.md). Nodes warn from\n"
	  "7 days before expiry; with an expired registry schools seal no case data.\n"
	  "merge verifies every node's bundles in the hub repository, imports the theme\n"
	  "data addressed to the hub, and quarantines what fails (kept, reported, never\n"
	  "applied; exit 3). --via PATH takes a USB stick's verified refs into the hub\n"
	  "repository and gives the stick the hub's registry and refs; PATH must be a\n"
	  "stick ('vios stick init PATH'), never made here. --via URL does the same\n"
	  "with a remote repository, within the network timeouts (docs/network.md).\n"
	  "report shows signals per theme per school per month, the municipality's totals\n"
	  "and the schools' trend levels, from the counts schools send as theme data (no\n"
	  "personal data), never for a month after the current one. Disclosure control\n"
	  "(docs/disclosure.md): a count below 5, 0 included, shows as <5 everywhere, and\n"
	  "a count or total that would let a <5 be worked out shows as x. --csv writes\n"
	  "month,school,theme,signals,trend (RFC 4180; an empty school is the\n"
	  "municipality); --csv-dialect excel-nl writes ';' and a UTF-8 byte order mark,\n"
	  "for a spreadsheet set to Dutch. --svg, --png: a chart (a panel for the\n"
	  "municipality and one per school); --pdf: the one-page summary for the steering\n"
	  "meeting, then a page per school; --summary: that page alone.\n"
	  "check-push is the git server's pre-receive hook (tools/pre-receive): run in the\n"
	  "bare hub repository with git's \"OLD NEW REF\" lines on stdin, it needs no home\n"
	  "and no passphrase, and accepts only fast-forwards of node refs whose every new\n"
	  "bundle passes the audit's chain verifier; one line per refusal, exit 3.\n",
	  "check-push" },
	{ "covenant", cmd_covenant, NEEDS_STORE, "Show the covenant in force; approve a new version or a new node",
	  "usage: vios covenant show [--format text|markdown|json]\n"
	  "       vios covenant approve VERSION\n"
	  "       vios covenant approve --node NODE-ID\n"
	  "\n"
	  "show prints the covenant in force on this node as the hub signed it: its purpose,\n"
	  "the privacy officer (FG), the parties with their legal basis and their enrolled\n"
	  "nodes (name and fingerprint; revoked ones marked), who receives theme and case\n"
	  "data and how long it is kept, the fields marked as GDPR art. 9 (special-category)\n"
	  "or art. 10 (criminal) data and who receives them, who may write what, what the\n"
	  "auditor receives, the hub's role, and a signature line per party.\n"
	  "--format text (the default) is for the terminal, markdown to print and sign at\n"
	  "the table, json (also --json) prints {\"version\": N, \"covenant\": {the signed\n"
	  "document}, \"pending\": null or {\"version\", \"covenant\"}}. When the store holds a\n"
	  "newer version than the one in force, it follows as pending (not yet approved by\n"
	  "this node). A node that has not joined a hub has no covenant (exit 1).\n"
	  "\n"
	  "approve: what the hub publishes takes effect for this node's data only once\n"
	  "this node approves it (docs/governance.md). A node joins approving the covenant\n"
	  "and the nodes enrolled then; later, 'covenant approve VERSION' makes a newer\n"
	  "covenant the one its data is sealed under, and 'covenant approve --node ID' lets\n"
	  "a node enrolled since receive what the covenant gives it (its next sync sends it\n"
	  "the current state of this node's records it may hold). Until then the node keeps\n"
	  "sealing under the version and to the nodes it approved; 'vios status' lists what\n"
	  "waits. The next 'vios sync' publishes the approval in this node's signed bundle\n"
	  "header, where the auditor reads it. A revocation needs no approval.\n", NULL },
	{ "join", cmd_join, NEEDS_STORE, "Join a hub: fetch and verify its registry and covenant",
	  "usage: vios join URL|PATH --hub-fingerprint FP\n"
	  "\n"
	  "Fetches refs/heads/registry from the hub (a path, file://, git://, ssh:// or\n"
	  "https:// URL) and checks every signature against the pinned hub key: FP is the\n"
	  "fingerprint the hub operator read to you ('vios whoami' on the hub): 32 hex\n"
	  "digits, in any case, with or without the '-' between groups, or the hub's\n"
	  "minisign public key line (RW...). A wrong fingerprint, an old 16-digit one, an\n"
	  "unsigned or altered entry, or a registry that does not extend the one verified\n"
	  "before exits 3 and stores nothing.\n"
	  "Logins come from the settings, never the URL (a URL with user:password@ is\n"
	  "refused): ssh:// a key file (net.ssh_key) or the ssh-agent, the host key checked\n"
	  "against known_hosts (net.ssh_known_hosts); https:// a credentials file\n"
	  "(net.credentials_file) or git's credential helpers, the certificate against the\n"
	  "system's CAs or net.ca_file. Each is tried once; see docs/logins.md.\n", NULL },
	{ "status", cmd_status, NEEDS_STORE, "Show the hub, its pinned key, registry and covenant versions",
	  "usage: vios status\n"
	  "\n"
	  "Shows the hub and its pinned fingerprint, the registry and covenant versions,\n"
	  "how many nodes are enrolled (revoked ones not counted) and how many revoked,\n"
	  "what waits to be sealed or sent, and each peer's last seq verified here.\n", NULL },
	{ "export", cmd_export, NEEDS_STORE, "Seal pending changes into signed, encrypted bundles",
	  "usage: vios export\n"
	  "\n"
	  "Seals every change not yet sent into bundles: one per set of recipients the\n"
	  "covenant in force allows (theme data to the hub, the partners and the auditor;\n"
	  "a case's data to the roles taking part in it and the auditor). Each bundle is\n"
	  "an age file signed with minisign, committed to " VIOS_NODES_REFS "<id> of the\n"
	  "node's outbox repository. Works offline; 'vios sync' sends them.\n", NULL },
	{ "import", cmd_import, NEEDS_STORE, "Verify and merge bundles from files",
	  "usage: vios import FILE.age...\n"
	  "\n"
	  "Each FILE.age needs its signature FILE.age.minisig beside it. A bundle is\n"
	  "verified (signature, sender enrolled and not revoked, seq and prev hash) before\n"
	  "it is decrypted, and merged in one transaction. A bundle for other nodes is\n"
	  "recorded and skipped; one that comes before an earlier seq is held until the\n"
	  "gap fills (exit 1 while anything is held). Failed checks exit 3.\n", NULL },
	{ "bundle", cmd_bundle, NEEDS_STORE, "Inspect a bundle: its verified header and contents",
	  "usage: vios bundle inspect FILE.age\n"
	  "\n"
	  "Verifies the signature and shows the signed header (sender, seq, prev hash,\n"
	  "clock, covenant version, categories, recipients, op count); when the bundle is\n"
	  "addressed to this node, also how many changes of each kind it holds.\n", NULL },
	{ "digest", cmd_digest, NEEDS_STORE, "Print the state digest (BLAKE2b-256 of every synced row)",
	  "usage: vios digest [--category theme|case]\n"
	  "\n"
	  "Nodes that hold the same bundles print the same digest, whatever the order\n"
	  "they received them in. --category restricts it to theme or case data, so a\n"
	  "school, a partner and the auditor can compare what they share.\n", NULL },
	{ "conflicts", cmd_conflicts, NEEDS_STORE, "List concurrent writes that lost, per record and column",
	  "usage: vios conflicts\n"
	  "\n"
	  "When two nodes changed the same field of the same record without having seen\n"
	  "each other's change, the later clock wins everywhere; the losing value is kept\n"
	  "here so a person can see it (e.g. the police marked an agreement done while the\n"
	  "school moved its due date).\n", NULL },
	{ "evaluate", cmd_evaluate, NEEDS_STORE, "A school's evaluation figures: signals, triage times, cases, agreements",
	  "usage: vios evaluate [--from YYYY-MM] [--to YYYY-MM]\n"
	  "\n"
	  "At a school: over the months from..to (default: the 12 months up to this\n"
	  "one), the school's signals per theme (by the month seen), the median days\n"
	  "from a signal to its first discussion (a held meeting that lists it) and to\n"
	  "a case (with n: the signals that got one; an even n takes the lower middle\n"
	  "value), the cases opened by status and escalation target, and the\n"
	  "agreements due: how many, how many done by their due date, the share.\n"
	  "The same figures per month go to the hub as theme data at every sync\n"
	  "(counts and medians only; docs/rhythm.md, Evaluation). --json: format\n"
	  "vios-evaluate-1.\n", NULL },
	{ "keys", cmd_keys, NEEDS_STORE, "Rotate and list this node's epoch keys (forward secrecy)",
	  "usage: vios keys rotate\n"
	  "       vios keys list\n"
	  "       vios keys export --secret -o FILE [--force]\n"
	  "\n"
	  "This node's age recipient rotates per epoch (a calendar month, UTC): 'vios sync'\n"
	  "starts a new epoch when the month ended and announces it in its next bundle's\n"
	  "signed header; partners seal to it from then on. An epoch's secret key is\n"
	  "destroyed 14 days after a later epoch was announced, once nothing waits undecrypted:\n"
	  "bundles sealed to it in git history can then be read by no one.\n"
	  "rotate starts a new epoch now (also the answer to a suspected key leak) and\n"
	  "says when the previous one will be destroyed. list shows every epoch (number,\n"
	  "started, ended, destroyed, recipient), never a secret. export --secret writes\n"
	  "every live secret key (AGE-SECRET-KEY-1..., one a line) to FILE, mode 0600, for\n"
	  "stock 'age -d -i FILE'; it is written to the access log first.\n", NULL },
	{ "sync", cmd_sync, NEEDS_STORE, "Fetch, verify and import, export, and push over git",
	  "usage: vios sync [--via URL|PATH]\n"
	  "\n"
	  "Fetches the hub's registry (verified against the pinned key) and every node's\n"
	  "bundles, imports what is addressed to this node in each sender's order, seals\n"
	  "pending changes with the fresh registry and covenant, and pushes this node's\n"
	  "own ref (fast-forward only). --via PATH uses a USB stick instead of the hub: a\n"
	  "bare repository made with 'vios stick init PATH' (a path that is not one, e.g.\n"
	  "an unmounted stick, is refused and nothing is created). --via URL (git://,\n"
	  "ssh://, https://, http://, file:// or user@host:path) syncs with that remote.\n"
	  "With the hub unreachable it exits 1 and keeps everything queued; a rewritten\n"
	  "ref or a bad bundle is an alarm (exit 3).\n"
	  "Every network transfer gives up after net.connect_timeout seconds to connect\n"
	  "(30) and net.idle_timeout seconds without an answer (120): one line, exit 1,\n"
	  "changes stay queued ('vios config set net.idle_timeout 60'). The store is not\n"
	  "held while the network is waited on: other commands run meanwhile. What a\n"
	  "killed vios left in outbox.git (git's lock files) is cleared, with a warning.\n"
	  "From 7 days before the registry expires one warning line goes to stderr. Once\n"
	  "it has expired, theme data is still sealed and sent, but case data stays queued\n"
	  "until a fresh registry arrives: exit 3 with one line saying so. A node the\n"
	  "registry lists as revoked seals and sends nothing (exit 3, one line).\n"
	  "An ssh:// or https:// hub is reached with the logins of 'vios help join'\n"
	  "(docs/logins.md); a refused login or an unknown host key exits 1 with one line.\n", NULL },
	{ "audit", cmd_audit, 0, "Auditor: verify every signature, chain and flow; list flows; replay history",
	  "usage: vios audit verify URL|PATH [--checkpoint FILE] [--hub-fingerprint FP]\n"
	  "       vios audit flows URL|PATH [--csv FILE] [--hub-fingerprint FP]\n"
	  "       vios audit replay URL|PATH [--until TIME] [--category theme|case] [--for NODE]\n"
	  "                                [--hub-fingerprint FP]\n"
	  "\n"
	  "Reads a hub repository (a path, file://, git:// or http(s) URL, or a copy such\n"
	  "as a USB stick) into a private temporary mirror; never writes to it.\n"
	  "\n"
	  "verify checks that every registry version and covenant is signed by the hub\n"
	  "root key and versions go up by one; that every node ref is a straight line of\n"
	  "commits each adding one bundle, seq 1, 2, 3..., with the signed header as its\n"
	  "message; that every bundle is signed by its sender's enrolled key, before any\n"
	  "revocation, chained to the previous bundle's hash; and that its recipients are\n"
	  "enrolled, include the auditor, and are allowed by the covenant version the\n"
	  "bundle names. Exit 0 with a summary line, or one 'finding: ...' line per\n"
	  "finding on stdout and exit 3.\n"
	  "--checkpoint FILE: also require that the registry and every node ref descend\n"
	  "from the heads FILE recorded (a rewritten or deleted ref is a finding); FILE is\n"
	  "written (created the first time) only when nothing was found.\n"
	  "\n"
	  "flows lists one row per bundle: time (UTC, from the sender's clock), sender,\n"
	  "role, recipients, categories, op count, covenant version and whether the bundle\n"
	  "complies. --csv FILE writes them as CSV (header: time,sender,sender_name,\n"
	  "sender_role,recipients,categories,ops,covenant_version,compliant; lists joined\n"
	  "with ';'), '-' for stdout; --json prints them with each bundle's findings.\n"
	  "\n"
	  "replay needs the auditor's home (the auditor is a recipient of every bundle):\n"
	  "it decrypts and merges the verified history, bundle by bundle in the order of\n"
	  "their clocks, into a throwaway encrypted store and prints its state digest, as\n"
	  "'vios digest' does on a node. --until TIME stops at bundles sealed after TIME\n"
	  "(UTC: YYYY-MM-DD means through that day, or YYYY-MM-DDTHH:MM[:SS[.mmm]][Z]).\n"
	  "--category theme|case digests one category. --for NODE (id or name) replays\n"
	  "only the bundles addressed to that node: the state it should hold. A sender's\n"
	  "history stops at its first bundle that fails verification (exit 3).\n"
	  "\n"
	  "verify and flows need no passphrase. Trust root: --hub-fingerprint FP; else,\n"
	  "when the home is an auditor's that joined, the hub it pinned at 'vios join';\n"
	  "else the checkpoint's; else the key of the first registry commit, printed so\n"
	  "you can compare it with the hub operator's fingerprint.\n", NULL },
	{ "stick", cmd_stick, 0, "Make a USB stick's repository for sync --via and hub merge --via",
	  "usage: vios stick init PATH\n"
	  "\n"
	  "Makes PATH (new, or an empty directory) a stick: a bare git repository, mode\n"
	  "0700, that 'vios sync --via PATH' and 'vios hub merge --via PATH' carry bundles\n"
	  "on between a school without a link and the hub. They refuse a PATH that is not\n"
	  "a stick (an unmounted stick, a typo) instead of making a folder there.\n", NULL },
	{ "serve", cmd_serve, NEEDS_HOME, "Serve the web interface on 127.0.0.1 (Dutch; English on request)",
	  "usage: vios serve [--port N] [--lang nl|en]\n"
	  "\n"
	  "Serves this node's web interface on http://127.0.0.1:N/ (default 8470), on the\n"
	  "loopback address only, until Ctrl-C. A school's coordinator gets the start page,\n"
	  "pupils, signals, trends, meetings, cases, agreements, the agenda, conflicts,\n"
	  "sync and the access log; a partner its cases and agreements; the hub its nodes,\n"
	  "covenant, report and merge. Every page calls what the commands call: the same\n"
	  "checks, the same mandate, the same one-line errors. The key comes from the\n"
	  "unlock agent ('vios unlock'), or from --passphrase-file or VIOS_PASSPHRASE;\n"
	  "without either the first sign-in unlocks the node. A browser signs in with the\n"
	  "node's passphrase, once per session (30 minutes unused ends it). The interface\n"
	  "speaks Dutch (--lang en: English first); times are shown in Europe/Amsterdam\n"
	  "unless TZ says otherwise. The log on stderr has one line per request: method,\n"
	  "path (ids only) and status. See docs/web.md.\n", NULL },
	{ "config", cmd_config, NEEDS_HOME, "Show and change this node's settings (timeouts, logins)",
	  "usage: vios config list\n"
	  "       vios config get KEY\n"
	  "       vios config set KEY VALUE\n"
	  "       vios config unset KEY\n"
	  "\n"
	  "Settings live in the home's config.json (mode 0600, no secrets: a credentials\n"
	  "file may be named there, never a password) and need no passphrase. list shows\n"
	  "every key with its value or default and what it does; set checks the value\n"
	  "(a key vios does not know, or a bad value, is refused and nothing changes);\n"
	  "unset goes back to the default. Keys include:\n"
	  "  net.connect_timeout  seconds to connect to the hub before giving up (30)\n"
	  "  net.idle_timeout     seconds a transfer may stay silent (120)\n"
	  "  net.ssh_key          private key file for ssh:// hubs (0600)\n"
	  "  net.ssh_known_hosts  known_hosts file for ssh host keys (~/.ssh/known_hosts)\n"
	  "  net.credentials      https logins from: helper, file or none\n"
	  "  net.credentials_file username and password or token for https:// (0600)\n"
	  "  net.ca_file          PEM CA certificates for https:// (the system's)\n"
	  "Logins: docs/logins.md.\n"
	  "See docs/formats.md, \"Settings\".\n", NULL },
	{ NULL, NULL, 0, NULL, NULL, NULL }
};

/* Writes text as roff body text: escapes backslashes and leading dots. */
static void roff_text(FILE *f, const char *text)
{
	int bol = 1;

	for (const char *p = text; *p; p++) {
		if (bol && (*p == '.' || *p == '\''))
			fputs("\\&", f);
		if (*p == '\\')
			fputs("\\e", f);
		else if (*p == '-')
			fputs("\\-", f);
		else
			fputc(*p, f);
		bol = *p == '\n';
	}
}

static const vios_cmd *find_cmd(const char *name);

/* vios help --man: the manual page, made from the same text as 'vios help'. */
static void man_page(FILE *f)
{
	fputs(".TH VIOS 1 \"\" \"vios " VIOS_VERSION "\" \"User Commands\"\n"
	      ".SH NAME\nvios \\- safe in and around school: encrypted records and signed, encrypted sharing over git\n"
	      ".SH SYNOPSIS\n.B vios\n[\\-\\-home DIR] [\\-\\-json] [\\-\\-passphrase\\-file FILE] COMMAND [ARGS]\n"
	      ".SH DESCRIPTION\n"
	      "vios keeps a school's VIOS records (signals, trends, meetings, cases, agreements) in an\n"
	      "encrypted store and shares them with the partners the covenant allows, as signed,\n"
	      "encrypted bundles that travel over git. The hub operator enrolls nodes, publishes the\n"
	      "covenant, merges bundles and reports trends; an auditor verifies every signature and\n"
	      "chain, lists every flow and replays history.\n"
	      ".PP\nThe node home is \\-\\-home DIR, or VIOS_HOME, or ~/.vios. The passphrase comes from\n"
	      "\\-\\-passphrase\\-file FILE, VIOS_PASSPHRASE, or a prompt on the terminal; while the node is\n"
	      "unlocked (vios unlock) no passphrase is asked: the key comes from the unlock agent.\n"
	      ".SH COMMANDS\n", f);
	for (const vios_cmd *c = commands; c->name; c++) {
		fprintf(f, ".SS %s\n", c->name);
		roff_text(f, c->summary);
		fputs(".\n.PP\n.nf\n", f);
		roff_text(f, c->usage);
		fputs(".fi\n", f);
	}
	fputs(".SH OUTPUT\nWith \\-\\-json every command prints its result as one JSON document on standard\n"
	      "output, and an error as one line of JSON on standard error instead of\n"
	      ".BR \"vios: error: MESSAGE\" :\n"
	      ".PP\n.nf\n{\"error\":\"MESSAGE\",\"exit\":N}\n.fi\n.PP\n"
	      "where N is the exit status. See docs/cli\\-output.md.\n"
	      ".SH EXIT STATUS\n0 ok; 1 error (one line on standard error); 2 usage; 3 verification failed\n"
	      "(bad signature, tampered, forked, wrong key, not enrolled).\n"
	      ".SH ENVIRONMENT\n.TP\nVIOS_HOME\nthe node home when \\-\\-home is not given\n"
	      ".TP\nVIOS_PASSPHRASE\nthe passphrase (prefer \\-\\-passphrase\\-file on shared machines)\n"
	      ".TP\nVIOS_NEW_PASSPHRASE\nthe new passphrase for passphrase change and recover\n"
	      ".SH FILES\n.TP\n~/.vios/\nthe node home: node.json, keys.vault, identity.sec, store.db, outbox.git, config.json, run/ (which vios\n"
	      "uses the store and the repository), and agent.sock while the node is unlocked (vios unlock)\n"
	      ".SH SEE ALSO\n.BR age (1),\n.BR minisign (1),\n.BR git (1);\nREADME.md, INSTALL.md and docs/ in the source.\n", f);
}

static const vios_cmd *find_cmd(const char *name)
{
	for (const vios_cmd *c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static void usage_all(FILE *f)
{
	fprintf(f, "usage: vios [--home DIR] [--json] [--passphrase-file FILE] COMMAND [ARGS]\n\n"
		   "vios keeps a school's VIOS records in an encrypted store and shares them with\n"
		   "the partners the covenant allows, as signed, encrypted bundles over git.\n\n"
		   "Commands:\n");
	for (const vios_cmd *c = commands; c->name; c++)
		fprintf(f, "  %-12s %s\n", c->name, c->summary);
	fprintf(f, "\n'vios help COMMAND' or 'vios COMMAND --help' tells more.\n"
		   "Exit codes: 0 ok, 1 error, 2 usage, 3 verification failed.\n"
		   "--json: results are JSON on stdout; an error is one JSON line on stderr,\n"
		   "{\"error\":\"MESSAGE\",\"exit\":N}, instead of 'vios: error: MESSAGE'.\n"
		   "Free text given as '-' (--note -, --minutes -, ...) is read from standard input,\n"
		   "or on a terminal from $EDITOR: it then stays out of the process list and history.\n");
}

void cli_help(FILE *f, const char *name)
{
	const vios_cmd *c = find_cmd(name);

	if (c)
		fputs(c->usage, f);
	else
		usage_all(f);
}

void cli_wal_warning(int busy, const char *what)
{
	if (busy)
		fprintf(stderr, "vios: warning: another process has this store open: %s old pages stay in its journal"
			" until that process ends and vios runs again\n", what);
}

int cli_usage(vios_cli *cli, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(msg)) /* a long argument: show that it was cut */
		memcpy(msg + sizeof(msg) - 4, "...", 4);
	vios_error_set(VIOS_ERR_INPUT, "%s%s%s (see 'vios help %s')", cli->command ? cli->command : "",
		       cli->command ? ": " : "", msg, cli->command ? cli->command : "");
	return VIOS_EUSAGE;
}

static int exit_code(int error)
{
	switch (error) {
	case 0:
		return 0;
	case VIOS_EUSAGE:
		return 2;
	case VIOS_EVERIFY:
	case VIOS_ECORRUPT:
		return 3;
	default:
		return 1;
	}
}

/* The message as a JSON string; bytes that are not UTF-8 become '?'. */
static json_t *message_json(const char *msg)
{
	json_t *s = json_string(msg);
	char *copy;

	if (s != NULL || (copy = strdup(msg)) == NULL)
		return s;
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	s = json_string(copy);
	free(copy);
	return s;
}

/* Prints the last error once, on one line, as text or (json) as
 * {"error": MESSAGE, "exit": CODE}; returns the exit code. */
static int print_error(int error, int json)
{
	const char *msg = vios_error_last();

	if (json) {
		json_t *doc = json_pack("{s:o?, s:i}", "error", message_json(msg), "exit", exit_code(error));
		if (doc != NULL) {
			cli_json_line(stderr, doc);
			json_decref(doc);
			return exit_code(error);
		}
	}
	/* One line, always. */
	fputs(error == VIOS_EUSAGE ? "vios: " : "vios: error: ", stderr);
	for (const char *p = msg; *p; p++)
		fputc(*p == '\n' || *p == '\r' ? ' ' : *p, stderr);
	fputc('\n', stderr);
	return exit_code(error);
}

static const char *default_home(void)
{
	static char buf[4096];
	const char *env = getenv("VIOS_HOME"), *h;

	if (env && *env)
		return env;
	if ((h = getenv("HOME")) == NULL || snprintf(buf, sizeof(buf), "%s/.vios", h) >= (int)sizeof(buf))
		return NULL;
	return buf;
}

/* Takes "--opt VALUE" or "--opt=VALUE" at argv[*i]; returns the value or NULL. */
static const char *opt_value(int argc, char **argv, int *i, const char *opt)
{
	size_t n = strlen(opt);

	if (!strncmp(argv[*i], opt, n) && argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (!strcmp(argv[*i], opt) && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

int main(int argc, char **argv)
{
	vios_cli cli = { 0 };
	const vios_cmd *cmd;
	int i, flags, bare, error;

	/* Descriptors 0-2 open, so no file or socket vios opens lands on one
	 * (the unlock agent points them at /dev/null when it detaches). */
	for (;;) {
		int fd = open("/dev/null", O_RDWR);
		if (fd < 0)
			break;
		if (fd > 2) {
			close(fd);
			break;
		}
	}
	/* A file size limit (ulimit -f) must give "disk full", not a killed process. */
	signal(SIGXFSZ, SIG_IGN);
	if (sodium_init() < 0) {
		fputs("vios: error: libsodium could not initialise\n", stderr);
		return 1;
	}
	/* SQLite set up before anything opens a database (vfs.c, register_vfs);
	 * a failure is reported by the first store opened */
	(void)vios_vfs_register();
	/* messages in the user's language where the catalog has them (po/) */
	vios_i18n_init();
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *v;
		if (!strcmp(argv[i], "--json"))
			cli.json = 1;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage_all(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--version")) {
			puts("vios " VIOS_VERSION);
			return 0;
		} else if (!strncmp(argv[i], "--home", 6) && (v = opt_value(argc, argv, &i, "--home")))
			cli.home = v;
		else if (!strncmp(argv[i], "--passphrase-file", 17) &&
			 (v = opt_value(argc, argv, &i, "--passphrase-file")))
			cli.passphrase_file = v;
		else {
			vios_error_set(VIOS_ERR_INPUT, "unknown or incomplete option '%s' (see 'vios --help')", argv[i]);
			return print_error(VIOS_EUSAGE, cli.json);
		}
	}
	if (i >= argc) {
		if (cli.json) {
			vios_error_set(VIOS_ERR_INPUT, "no command given (see 'vios --help')");
			return print_error(VIOS_EUSAGE, cli.json);
		}
		usage_all(stderr);
		return 2;
	}
	if (!strcmp(argv[i], "help") && i + 1 < argc && !strcmp(argv[i + 1], "--man")) {
		man_page(stdout);
		return 0;
	}
	if (!strcmp(argv[i], "help")) {
		if (i + 1 < argc && !find_cmd(argv[i + 1])) {
			vios_error_set(VIOS_ERR_INPUT, "no command '%s' (see 'vios --help')", argv[i + 1]);
			return print_error(VIOS_EUSAGE, cli.json);
		}
		cli_help(stdout, i + 1 < argc ? argv[i + 1] : "");
		return 0;
	}
	if ((cmd = find_cmd(argv[i])) == NULL) {
		vios_error_set(VIOS_ERR_INPUT, "no command '%s' (see 'vios --help')", argv[i]);
		return print_error(VIOS_EUSAGE, cli.json);
	}
	cli.command = cmd->name;
	vios_run_set_command(cmd->name);
	for (int j = i + 1; j < argc; j++) {
		if (!strcmp(argv[j], "--"))
			break;
		if (!strcmp(argv[j], "--help") || !strcmp(argv[j], "-h")) {
			fputs(cmd->usage, stdout);
			return 0;
		}
	}
	bare = cmd->bare && i + 1 < argc && !strcmp(argv[i + 1], cmd->bare);
	flags = bare ? 0 : cmd->flags;
	/* every command but a bare one has a home: init, passphrase and audit
	 * (flags 0) as much as those main() unlocks */
	if (!bare && cli.home == NULL && (cli.home = default_home()) == NULL) {
		vios_error_set(VIOS_ERR_INPUT, "no home: use --home DIR or set VIOS_HOME");
		return print_error(VIOS_EUSAGE, cli.json);
	}
	if ((error = cli_login_apply(&cli)) < 0)
		goto done;
	/* the command parses its arguments, then unlocks (cli_open) */
	cli.flags = flags;
	optind = 0; /* each command runs getopt_long on its own argv */
	error = cmd->fn(&cli, argc - i, argv + i);
done:
	cli_text_forget();
	vios_store_free(cli.store);
	vios_node_free(cli.node);
	if (fflush(stdout) != 0 && error == 0)
		error = vios_error_os("cannot write the output");
	return error < 0 ? print_error(error, cli.json) : 0;
}
