/*
 * cmd_records.c - the school's record commands: pupil, signal, trend,
 * meeting, case, agreement, log. Options map one to one onto record fields
 * (see the spec tables); validation lives in src/store/records.c.
 */
#include "cli/cli.h"
#include "cli/table.h"
#include "cli/text.h"
#include "store/records.h"
#include "store/meldcode.h"
#include "store/rhythm.h"
#include "util/error.h"
#include "util/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OPT_JSON 1000
#define MAXOPT 16

/* One command-line option of an add command and the field it fills. */
typedef struct {
	const char *opt;
	const char *col;
	int kind; /* 0 value, 1 flag (sets "1"), 2 yes/no value, 3 free text (cli/text.h: "-" reads
		   * standard input or the editor), 4 free text an add needs (asked in the editor when
		   * missing on a terminal), 5 a switch that is no field: --no-name-check, which
		   * turns the name guard off for this write (vios_records_name_check; logged) */
} addopt;

#define NO_NAME_CHECK { "no-name-check", NULL, 5 }

/*
 * Parses an add or edit command's options into fields (MAXOPT of them).
 * Each option of spec is one column; a yes/no option is stored as 1 or 0.
 * A flag of add (kind 1) takes yes|no in an edit, so an edit can turn it
 * off too: the one spec serves both.
 */
static int parse_fields(vios_cli *cli, int argc, char **argv, const addopt *spec, int edit,
			vios_field *fields, size_t *nfields, int *no_name_check)
{
	struct option longopts[MAXOPT + 2];
	size_t n = 0, nopt = 0;
	int c, idx, error;

	for (; spec[nopt].opt; nopt++) {
		longopts[nopt].name = spec[nopt].opt;
		longopts[nopt].has_arg = (spec[nopt].kind == 1 && !edit) || spec[nopt].kind == 5 ? no_argument : required_argument;
		longopts[nopt].flag = NULL;
		longopts[nopt].val = (int)nopt;
	}
	longopts[nopt] = (struct option){ "json", no_argument, NULL, OPT_JSON };
	longopts[nopt + 1] = (struct option){ NULL, 0, NULL, 0 };
	while ((c = getopt_long(argc, argv, "", longopts, &idx)) != -1) {
		const char *val;
		if (c == OPT_JSON) {
			cli->json = 1;
			continue;
		}
		if (c < 0 || (size_t)c >= nopt)
			return cli_usage(cli, "unknown option");
		if (spec[c].kind == 5) {
			*no_name_check = 1; /* applied once the store is open */
			continue;
		}
		val = spec[c].kind == 1 && !edit ? "1" : optarg;
		if (spec[c].kind >= 3 && (error = cli_text(&val, cli, spec[c].opt, optarg)) < 0)
			return error;
		if (spec[c].kind == 2 || (spec[c].kind == 1 && edit)) {
			if (!strcmp(optarg, "yes"))
				val = "1";
			else if (!strcmp(optarg, "no"))
				val = "0";
			else
				return cli_usage(cli, "--%s takes yes or no", spec[c].opt);
		}
		for (size_t i = 0; i < n; i++)
			if (!strcmp(fields[i].col, spec[c].col))
				return cli_usage(cli, "--%s given twice", spec[c].opt);
		fields[n].col = spec[c].col;
		fields[n].val = val;
		n++;
	}
	*nfields = n;
	return 0;
}

static int add_record(vios_cli *cli, int argc, char **argv, const char *table, const addopt *spec)
{
	vios_field fields[MAXOPT];
	size_t n = 0;
	char id[37];
	int error, no_check = 0;

	if ((error = parse_fields(cli, argc, argv, spec, 0, fields, &n, &no_check)) < 0)
		return error;
	if (optind + 1 != argc)
		return cli_usage(cli, "unexpected argument '%s'", optind + 1 < argc ? argv[optind + 1] : "");
	/* a text the record needs and the command line left out: the editor, on a terminal */
	for (const addopt *o = spec; o->opt && cli_text_can_edit(); o++) {
		size_t i = 0;
		if (o->col == NULL)
			continue;
		while (i < n && strcmp(fields[i].col, o->col))
			i++;
		if (o->kind != 4 || i < n)
			continue;
		if ((error = cli_text(&fields[n].val, cli, o->opt, "-")) < 0)
			return error;
		fields[n++].col = o->col;
	}
	if ((error = cli_open(cli)) < 0)
		return error;
	if (no_check)
		vios_records_name_check(cli->store, 0);
	if ((error = vios_record_add(id, cli->store, table, fields, n)) < 0)
		return error;
	if (cli->json)
		return cli_json_out(json_pack("{s:s}", "id", id));
	else
		printf("%s\n", id);
	return 0;
}

/* vios X VERB ID [options] (VERB is edit, or case info): the options of
 * spec, each a column to change; prints the id, or {"id", "changed":
 * [columns written]}. */
static int edit_record(vios_cli *cli, int argc, char **argv, const char *verb, const char *table,
		       const addopt *spec)
{
	vios_field fields[MAXOPT];
	json_t *changed = NULL;
	char opts[400] = "";
	size_t n = 0;
	int error, no_check = 0;

	if ((error = parse_fields(cli, argc, argv, spec, 1, fields, &n, &no_check)) < 0)
		return error;
	/* argv ends with the action word; the one word before it is the id */
	if (optind + 2 != argc)
		return cli_usage(cli, "expected '%s %s ID --OPTION VALUE...'", cli->command, verb);
	if (n == 0) {
		for (const addopt *o = spec; o->opt; o++)
			if (o->col != NULL)
				snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts), "%s--%s", o == spec ? "" : ", ",
				 o->opt);
		return cli_usage(cli, "%s: nothing to change, give one or more of %s", verb, opts);
	}
	if ((error = cli_open(cli)) < 0)
		return error;
	if (no_check)
		vios_records_name_check(cli->store, 0);
	if ((error = vios_record_edit(&changed, cli->store, table, argv[optind], fields, n)) < 0)
		return error;
	if (cli->json)
		return cli_json_out(json_pack("{s:s, s:o}", "id", argv[optind], "changed", changed));
	printf("%s\n", argv[optind]);
	json_decref(changed);
	return 0;
}

/* Parses [--json] and exactly `words` arguments after the action word
 * (which without_action put last); they are argv[optind...]. */
static int args_only(vios_cli *cli, int argc, char **argv, int words, const char *expect)
{
	static const struct option lo[] = { { "json", no_argument, NULL, OPT_JSON }, { NULL, 0, NULL, 0 } };
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c != OPT_JSON)
			return cli_usage(cli, "unknown option");
		cli->json = 1;
	}
	if (optind + words + 1 != argc)
		return cli_usage(cli, "expected '%s'", expect);
	return 0;
}

/* Parses [--json] and the given value options of a list command. */
static int list_opts(vios_cli *cli, int argc, char **argv, const char *const *names,
		     const char **vals, int *flag, const char *flagname)
{
	struct option longopts[8];
	size_t n = 0;
	int c;

	for (; names && names[n]; n++)
		longopts[n] = (struct option){ names[n], required_argument, NULL, (int)n };
	if (flagname)
		longopts[n++] = (struct option){ flagname, no_argument, NULL, 100 };
	longopts[n++] = (struct option){ "json", no_argument, NULL, OPT_JSON };
	longopts[n] = (struct option){ NULL, 0, NULL, 0 };
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == OPT_JSON)
			cli->json = 1;
		else if (c == 100)
			*flag = 1;
		else if (c >= 0 && c < 8 && names && names[c])
			vals[c] = optarg;
		else
			return cli_usage(cli, "unknown option");
	}
	if (optind + 1 != argc)
		return cli_usage(cli, "unexpected argument '%s'", optind + 1 < argc ? argv[optind + 1] : "");
	return 0;
}

static int show_rows(vios_cli *cli, vios_list_kind what, const char *const *params,
		     size_t n, const cli_col *cols, const char *why)
{
	json_t *rows = NULL;
	int error;

	if ((error = cli_open(cli)) < 0 || (error = vios_records_list_read(&rows, cli->store, what, params, n, why)) < 0)
		return error;
	if (cli->json)
		cli_json(stdout, rows);
	else if (json_array_size(rows) == 0)
		printf("(none)\n");
	else
		cli_table(stdout, rows, cols);
	json_decref(rows);
	return error;
}

/* The sub-action (argv[1]) or a usage error. */
static const char *action(vios_cli *cli, int argc, char **argv)
{
	/* getopt permutes: find the first non-option after the command. */
	for (int i = 1; i < argc; i++)
		if (argv[i][0] != '-')
			return argv[i];
	(void)cli;
	return "";
}

/* Moves the action word to argv[argc-1] so getopt's "optind + 1 == argc"
 * check above holds for every sub-command. */
static char **without_action(int argc, char **argv, const char *act)
{
	for (int i = 1; i < argc; i++)
		if (argv[i] == act) {
			memmove(argv + i, argv + i + 1, (size_t)(argc - i - 1) * sizeof(char *));
			argv[argc - 1] = (char *)act;
			break;
		}
	return argv;
}

#define DISPATCH_START(name) \
	const char *act = action(cli, argc, argv); \
	argv = without_action(argc, argv, act); \
	(void)(name)

static const cli_col pupil_cols[] = { { "id", "ID", 0 }, { "name", "NAME", 0 }, { "class", "CLASS", 0 },
				      { "birth_date", "BORN", 0 }, { NULL, NULL, 0 } };
static const cli_col signal_cols[] = { { "id", "ID", 0 }, { "seen_at", "SEEN", 0 }, { "theme", "THEME", 0 },
				       { "severity", "SEV", 0 }, { "location", "WHERE", 0 },
				       { "pupil_id", "PUPIL", 0 }, { "triage", "TRIAGE", 0 }, { "note", "NOTE", 1 },
				       { NULL, NULL, 0 } };
static const cli_col case_cols[] = { { "id", "ID", 0 }, { "pupil", "PUPIL", 0 }, { "status", "STATUS", 0 },
				     { "roles", "ROLES", 0 }, { "lead_role", "LEAD", 0 },
				     { "opened_at", "OPENED", 0 }, { NULL, NULL, 0 } };
static const cli_col meeting_cols[] = { { "id", "ID", 0 }, { "date", "DATE", 0 }, { "kind", "KIND", 0 },
				       { "roles", "ROLES", 0 }, { "minutes", "MINUTES", 1 }, { NULL, NULL, 0 } };
static const cli_col agreement_cols[] = { { "id", "ID", 0 }, { "due_date", "DUE", 0 },
					  { "owner_role", "OWNER", 0 }, { "status", "STATUS", 0 },
					  { "action", "ACTION", 1 }, { "feedback", "FEEDBACK", 0 },
					  { NULL, NULL, 0 } };

int cmd_pupil(vios_cli *cli, int argc, char **argv)
{
	static const addopt spec[] = { { "name", "name", 4 }, { "birth", "birth_date", 0 },
				       { "class", "class", 0 }, { "local-id", "local_id", 0 },
				       { "guardian", "guardian_contact", 3 }, { NULL, NULL, 0 } };
	DISPATCH_START(spec);
	/* over16 follows from the birth date (records.h): no flag sets it */
	for (int i = 1; i < argc; i++)
		if (!strncmp(argv[i], "--over16", 8) && (argv[i][8] == 0 || argv[i][8] == '='))
			return cli_usage(cli, "--over16 follows from --birth: give the birth date instead");
	if (!strcmp(act, "report"))
		return cmd_pupil_report(cli, argc, argv);
	if (!strcmp(act, "add"))
		return add_record(cli, argc, argv, "pupil", spec);
	if (!strcmp(act, "list")) {
		int error = list_opts(cli, argc, argv, NULL, NULL, NULL, NULL);
		if (error < 0)
			return error;
		return show_rows(cli, VIOS_LIST_PUPILS, NULL, 0, pupil_cols, NULL);
	}
	if (!strcmp(act, "edit"))
		return edit_record(cli, argc, argv, "edit", "pupil", spec);
	if (!strcmp(act, "erase")) return cmd_pupil_erase(cli, argc, argv); /* cmd_lifecycle.c */
	if (!strcmp(act, "show")) {
		json_t *doc = NULL, *p;
		int error;
		if ((error = args_only(cli, argc, argv, 1, "pupil show ID")) < 0)
			return error;
		if ((error = cli_open(cli)) < 0 || (error = vios_pupil_show(&doc, cli->store, argv[optind])) < 0)
			return error;
		if (cli->json) {
			cli_json(stdout, doc);
		} else {
			p = json_object_get(doc, "pupil");
			printf("Pupil %s  (%s)\n", json_string_value(json_object_get(p, "name")),
			       json_string_value(json_object_get(p, "id")));
			printf("  born %s, class %s, local id %s, 16+: %s\n",
			       json_string_value(json_object_get(p, "birth_date")) ?: "-",
			       json_string_value(json_object_get(p, "class")) ?: "-",
			       json_string_value(json_object_get(p, "local_id")) ?: "-",
			       json_is_null(json_object_get(p, "over16")) ? "unknown (no birth date)" :
			       json_is_true(json_object_get(p, "over16")) ? "yes" : "no");
			printf("\nSignals (%zu)\n", json_array_size(json_object_get(doc, "signals")));
			if (json_array_size(json_object_get(doc, "signals")))
				cli_table(stdout, json_object_get(doc, "signals"), signal_cols);
			printf("\nCases (%zu)\n", json_array_size(json_object_get(doc, "cases")));
			if (json_array_size(json_object_get(doc, "cases")))
				cli_table(stdout, json_object_get(doc, "cases"), case_cols);
			printf("\nAgreements (%zu)\n", json_array_size(json_object_get(doc, "agreements")));
			if (json_array_size(json_object_get(doc, "agreements")))
				cli_table(stdout, json_object_get(doc, "agreements"), agreement_cols);
		}
		json_decref(doc);
		return 0;
	}
	return cli_usage(cli, "expected add, edit, list, show, report or erase");
}

/* A text column of row for text output: "-" when absent. */
static const char *txt(const json_t *row, const char *key)
{
	const char *v = json_string_value(json_object_get(row, key));
	return v ? v : "-";
}

/* A yes/no column (0, 1 or null) for text output. */
static const char *yes_no(const json_t *row, const char *key)
{
	const json_t *v = json_object_get(row, key);
	return !json_is_integer(v) ? "-" : json_integer_value(v) ? "yes" : "no";
}

/* A case's marked field for text output: the label, then the text with
 * each further line indented under it; "(none held here)" when this node
 * holds none (none was written, or the covenant does not send it here). */
static void marked(const char *label, const json_t *row, const char *key)
{
	const char *v = json_string_value(json_object_get(row, key));

	printf("  %s: ", label);
	if (v == NULL || *v == 0) {
		printf("(none held here)\n");
		return;
	}
	for (; *v; v++) {
		putchar(*v);
		if (*v == '\n' && v[1])
			fputs("    ", stdout);
	}
	if (v[-1] != '\n')
		putchar('\n');
}

/* A titled section of rows, like pupil show's. */
static void section(const char *title, const json_t *rows, const cli_col *cols)
{
	printf("\n%s (%zu)\n", title, json_array_size(rows));
	if (json_array_size(rows))
		cli_table(stdout, (json_t *)rows, cols);
}

/* A signal's triage state (store/rhythm.h) in words, for signal show. */
static void triage_line(const json_t *sg)
{
	const char *t = txt(sg, "triage");

	printf("  triage: %s", t);
	if (!strcmp(t, "closed"))
		printf(" on %s: %s", txt(sg, "closed_at"), txt(sg, "closed_reason"));
	else if (!strcmp(t, "linked"))
		printf(" to case %s", txt(sg, "case"));
	else if (!strcmp(t, "discussed"))
		printf(" at meeting %s on %s", txt(sg, "meeting"), txt(sg, "discussed_at"));
	putchar('\n');
}

int cmd_signal(vios_cli *cli, int argc, char **argv)
{
	static const addopt spec[] = { { "theme", "theme", 0 }, { "note", "note", 4 },
				       { "pupil", "pupil_id", 0 }, { "at", "seen_at", 0 },
				       { "where", "location", 0 }, { "severity", "severity", 0 },
				       { "source", "source", 3 }, { "basis", "basis", 0 },
				       { "parents-informed", "parents_informed", 2 },
				       { "not-informed-reason", "not_informed_reason", 3 },
				       NO_NAME_CHECK, { NULL, NULL, 0 } };
	DISPATCH_START(spec);
	if (!strcmp(act, "close"))
		return cli_signal_close(cli, argc, argv); /* cmd_rhythm.c */
	if (!strcmp(act, "add"))
		return add_record(cli, argc, argv, "signal", spec);
	if (!strcmp(act, "edit"))
		return edit_record(cli, argc, argv, "edit", "signal", spec);
	if (!strcmp(act, "show")) {
		json_t *doc = NULL, *sg, *pu;
		int error;
		if ((error = args_only(cli, argc, argv, 1, "signal show ID")) < 0 || (error = cli_open(cli)) < 0 ||
		    (error = vios_signal_show(&doc, cli->store, argv[optind])) < 0)
			return error;
		if (cli->json)
			return cli_json_out(doc);
		sg = json_object_get(doc, "signal");
		pu = json_object_get(doc, "pupil");
		printf("Signal %s  (%s, seen %s)\n", txt(sg, "id"), txt(sg, "theme"), txt(sg, "seen_at"));
		printf("  severity %s, where %s, source %s, basis %s\n", txt(sg, "severity"), txt(sg, "location"),
		       txt(sg, "source"), txt(sg, "basis"));
		printf("  parents informed: %s%s%s\n", yes_no(sg, "parents_informed"),
		       json_is_string(json_object_get(sg, "not_informed_reason")) ? ", not because: " : "",
		       json_is_string(json_object_get(sg, "not_informed_reason")) ? txt(sg, "not_informed_reason") : "");
		if (json_is_object(pu))
			printf("  pupil %s  (%s), class %s\n", txt(pu, "name"), txt(pu, "id"), txt(pu, "class"));
		else if (json_is_string(json_object_get(sg, "pupil_id")))
			printf("  pupil %s (not held here)\n", txt(sg, "pupil_id"));
		else
			printf("  no pupil: a thematic signal\n");
		printf("  note: %s\n", txt(sg, "note"));
		triage_line(sg);
		section("Cases", json_object_get(doc, "cases"), case_cols);
		json_decref(doc);
		return 0;
	}
	if (!strcmp(act, "list")) {
		static const char *const names[] = { "theme", "since", "pupil", NULL };
		const char *v[3] = { NULL, NULL, NULL };
		char why[160];
		int fresh = 0, error = list_opts(cli, argc, argv, names, v, &fresh, "new");
		if (error < 0)
			return error;
		/* a theme word: local themes, and those merged from a covenant not approved here, are listed too */
		if (v[0] && !vios_theme_word_valid(v[0]))
			return cli_usage(cli, "--theme: '%s' is not a theme word (a-z, 0-9 and '-'; themes: %s, or a local "
					 "theme of the covenant)", v[0], vios_theme_list());
		if (v[1] && !vios_date_valid(v[1]))
			return cli_usage(cli, "--since: '%s' is not a date (YYYY-MM-DD)", v[1]);
		if (v[2] && !vios_uuid_valid(v[2]))
			return cli_usage(cli, "--pupil: '%s' is not a pupil id", v[2]);
		if (vios_snprintf(why, sizeof(why), "theme=%s since=%s pupil=%s%s", v[0] ?: "*", v[1] ?: "*", v[2] ?: "*",
				  fresh ? " new" : "") < 0)
			return VIOS_ERROR;
		{
			const char *p[] = { v[0], v[1], v[2], fresh ? vios_triage_name(VIOS_TRIAGE_NEW) : NULL };
			return show_rows(cli, VIOS_LIST_SIGNALS, p, 4, signal_cols, why);
		}
	}
	return cli_usage(cli, "expected add, edit, close, list or show");
}

int cmd_trend(vios_cli *cli, int argc, char **argv)
{
	static const addopt spec[] = { { "theme", "theme", 0 }, { "period", "period", 0 },
				       { "level", "level", 0 }, { "note", "note", 3 }, NO_NAME_CHECK, { NULL, NULL, 0 } };
	static const cli_col cols[] = { { "id", "ID", 0 }, { "period", "PERIOD", 0 }, { "theme", "THEME", 0 },
					{ "level", "LEVEL", 0 }, { "note", "NOTE", 1 }, { NULL, NULL, 0 } };
	DISPATCH_START(spec);
	if (!strcmp(act, "add"))
		return add_record(cli, argc, argv, "trend", spec);
	if (!strcmp(act, "list")) {
		int error = list_opts(cli, argc, argv, NULL, NULL, NULL, NULL);
		if (error < 0)
			return error;
		return show_rows(cli, VIOS_LIST_TRENDS, NULL, 0, cols, NULL);
	}
	return cli_usage(cli, "expected add or list");
}

int cmd_meeting(vios_cli *cli, int argc, char **argv)
{
	static const addopt spec[] = { { "kind", "kind", 0 }, { "date", "date", 0 }, { "roles", "roles", 0 },
				       { "minutes", "minutes", 3 }, { "case", "case_id", 0 },
				       { "discussed", "discussed", 0 }, NO_NAME_CHECK, { NULL, NULL, 0 } };
	DISPATCH_START(spec);
	if (!strcmp(act, "add"))
		return add_record(cli, argc, argv, "meeting", spec);
	if (!strcmp(act, "edit"))
		return edit_record(cli, argc, argv, "edit", "meeting", spec);
	/* the rhythm: cmd_rhythm.c */
	if (!strcmp(act, "plan"))
		return cli_meeting_plan(cli, argc, argv);
	if (!strcmp(act, "hold"))
		return cli_meeting_hold(cli, argc, argv);
	if (!strcmp(act, "agenda"))
		return cli_meeting_agenda(cli, argc, argv);
	if (!strcmp(act, "list")) {
		int upcoming = 0, error = list_opts(cli, argc, argv, NULL, NULL, &upcoming, "upcoming");
		if (error < 0)
			return error;
		if (upcoming)
			return cli_meeting_upcoming(cli);
		return show_rows(cli, VIOS_LIST_MEETINGS, NULL, 0, meeting_cols, NULL);
	}
	return cli_usage(cli, "expected add, edit, plan, hold, agenda or list");
}

/* The meldcode steps of `case show` (vios_meldcode_json's array). */
static void meldcode_steps(json_t *steps)
{
	size_t i;
	json_t *o;

	if (json_array_size(steps) == 0)
		return;
	printf("\nMeldcode\n");
	json_array_foreach(steps, i, o) {
		json_t *r = json_object_get(o, "report");
		printf("  step %lld  %s  %s", (long long)json_integer_value(json_object_get(o, "step")), txt(o, "at"),
		       txt(o, "name"));
		if (r != NULL)
			printf(": report to Veilig Thuis %s, help organised %s", json_is_true(r) ? "yes" : "no",
			       json_is_true(json_object_get(o, "help")) ? "yes" : "no");
		printf("\n");
		if (json_is_string(json_object_get(o, "note")))
			printf("          %s\n", txt(o, "note"));
	}
}

int cmd_case(vios_cli *cli, int argc, char **argv)
{
	static const addopt spec[] = { { "pupil", "pupil_id", 0 }, { "signals", "signals", 0 },
				       { "roles", "roles", 0 }, { "lead", "lead_role", 0 },
				       { "basis", "basis", 0 }, { "police-info", "police_info", 3 },
				       { "care-info", "care_info", 3 },
				       { "parents-informed", "parents_informed", 2 },
				       { "not-informed-reason", "not_informed_reason", 3 }, { NULL, NULL, 0 } };
	/* the marked fields, art. 10 and art. 9: what case info changes */
	static const addopt info[] = { { "police-info", "police_info", 3 }, { "care-info", "care_info", 3 },
				       { NULL, NULL, 0 } };
	DISPATCH_START(spec);
	if (!strcmp(act, "open"))
		return add_record(cli, argc, argv, "case_file", spec);
	if (!strcmp(act, "info"))
		return edit_record(cli, argc, argv, "info", "case_file", info);
	if (!strcmp(act, "status")) {
		static const struct option longopts[] = { { "to", required_argument, NULL, 't' },
							  { "json", no_argument, NULL, OPT_JSON },
							  { NULL, 0, NULL, 0 } };
		const char *to = NULL;
		int c, error;
		while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
			if (c == 't')
				to = optarg;
			else if (c == OPT_JSON)
				cli->json = 1;
			else
				return cli_usage(cli, "unknown option");
		}
		if (optind + 3 != argc)
			return cli_usage(cli, "expected 'case status ID STATUS'");
		if ((error = cli_open(cli)) < 0 || (error = vios_case_set_status(cli->store, argv[optind], argv[optind + 1], to)) < 0)
			return error;
		if (cli->json)
			return cli_json_out(json_pack("{s:s, s:s}", "id", argv[optind], "status", argv[optind + 1]));
		else
			printf("case %s is now %s\n", argv[optind], argv[optind + 1]);
		return 0;
	}
	if (!strcmp(act, "meldcode")) {
		static const struct option longopts[] = { { "step", required_argument, NULL, 's' },
							  { "date", required_argument, NULL, 'd' },
							  { "note", required_argument, NULL, 'n' },
							  { "outcome", required_argument, NULL, 'o' },
							  { "json", no_argument, NULL, OPT_JSON },
							  { NULL, 0, NULL, 0 } };
		const char *step = NULL, *date = NULL, *note = NULL, *outcome = NULL;
		char *end = NULL;
		long n;
		int c, error;
		while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
			if (c == 's')
				step = optarg;
			else if (c == 'd')
				date = optarg;
			else if (c == 'n') {
				if ((error = cli_text(&note, cli, "note", optarg)) < 0)
					return error;
			} else if (c == 'o')
				outcome = optarg;
			else if (c == OPT_JSON)
				cli->json = 1;
			else
				return cli_usage(cli, "unknown option");
		}
		if (optind + 2 != argc)
			return cli_usage(cli, "expected 'case meldcode ID --step N --date YYYY-MM-DD [--note TEXT|-] [--outcome WORD]'");
		if (step == NULL || date == NULL)
			return cli_usage(cli, "meldcode: give --step N (1 to 5) and --date YYYY-MM-DD");
		n = strtol(step, &end, 10);
		if (end == step || *end || n < 1 || n > 5)
			return cli_usage(cli, "--step: the meldcode has steps 1 to 5, not '%s'", step);
		if ((error = cli_open(cli)) < 0 ||
		    (error = vios_case_meldcode(cli->store, argv[optind], (int)n, date, note, outcome)) < 0)
			return error;
		if (cli->json)
			return cli_json_out(json_pack("{s:s, s:i, s:s}", "id", argv[optind], "step", (int)n, "date", date));
		printf("case %s: meldcode step %ld (%s) recorded on %s\n", argv[optind], n, vios_meldcode_step_name((int)n),
		       date);
		return 0;
	}
	if (!strcmp(act, "list")) {
		static const char *const names[] = { "status", NULL };
		const char *v[1] = { NULL };
		int error = list_opts(cli, argc, argv, names, v, NULL, NULL);
		const char *p[] = { v[0] };
		if (error < 0)
			return error;
		return show_rows(cli, VIOS_LIST_CASES, p, 1, case_cols, v[0] ? "by status" : NULL);
	}
	if (!strcmp(act, "show")) {
		json_t *doc = NULL, *cf, *pu;
		int error;
		if ((error = args_only(cli, argc, argv, 1, "case show ID")) < 0 || (error = cli_open(cli)) < 0 ||
		    (error = vios_case_show(&doc, cli->store, argv[optind])) < 0)
			return error;
		if (cli->json)
			return cli_json_out(doc);
		cf = json_object_get(doc, "case");
		pu = json_object_get(doc, "pupil");
		printf("Case %s  (%s%s%s)\n", txt(cf, "id"), txt(cf, "status"),
		       json_is_string(json_object_get(cf, "escalation_target")) ? " to " : "",
		       json_is_string(json_object_get(cf, "escalation_target")) ? txt(cf, "escalation_target") : "");
		if (json_is_object(pu))
			printf("  pupil %s  (%s), class %s\n", txt(pu, "name"), txt(pu, "id"), txt(pu, "class"));
		else
			printf("  pupil %s (not held here)\n", txt(cf, "pupil_id"));
		printf("  roles %s, lead %s, basis %s\n",
		       *txt(cf, "roles") ? txt(cf, "roles") : "-", txt(cf, "lead_role"), txt(cf, "basis"));
		printf("  opened %s, closed %s\n", txt(cf, "opened_at"), txt(cf, "closed_at"));
		printf("  parents informed: %s%s%s\n", yes_no(cf, "parents_informed"),
		       json_is_string(json_object_get(cf, "not_informed_reason")) ? ", not because: " : "",
		       json_is_string(json_object_get(cf, "not_informed_reason")) ? txt(cf, "not_informed_reason") : "");
		marked("police information (art. 10)", cf, "police_info");
		marked("care information (art. 9)", cf, "care_info");
		if (json_is_false(json_object_get(cf, "in_view")))
			printf("  This case left this node's view: its roles no longer include %s; nothing more of it"
			       " reaches this node.\n", cli->node->role);
		meldcode_steps(json_object_get(cf, "meldcode"));
		section("Signals", json_object_get(doc, "signals"), signal_cols);
		section("Meetings", json_object_get(doc, "meetings"), meeting_cols);
		section("Agreements", json_object_get(doc, "agreements"), agreement_cols);
		json_decref(doc);
		return 0;
	}
	if (!strcmp(act, "roles")) {
		static const struct option longopts[] = { { "add", required_argument, NULL, 'a' },
							  { "remove", required_argument, NULL, 'r' },
							  { "json", no_argument, NULL, OPT_JSON },
							  { NULL, 0, NULL, 0 } };
		const char *add = NULL, *remove = NULL;
		char roles[256];
		int c, error;
		while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
			if (c == 'a' && add == NULL)
				add = optarg;
			else if (c == 'r' && remove == NULL)
				remove = optarg;
			else if (c == OPT_JSON)
				cli->json = 1;
			else if (c == 'a' || c == 'r')
				return cli_usage(cli, "--%s given twice", c == 'a' ? "add" : "remove");
			else
				return cli_usage(cli, "unknown option");
		}
		if (optind + 2 != argc)
			return cli_usage(cli, "expected 'case roles ID --add ROLE,... | --remove ROLE,...'");
		if (add == NULL && remove == NULL)
			return cli_usage(cli, "roles: give --add ROLE,... or --remove ROLE,...");
		if ((error = cli_open(cli)) < 0 || (error = vios_case_roles(roles, sizeof(roles), cli->store, argv[optind], add, remove)) < 0)
			return error;
		if (cli->json)
			return cli_json_out(json_pack("{s:s, s:s}", "id", argv[optind], "roles", roles));
		printf("case %s roles: %s\n", argv[optind], *roles ? roles : "(none but the school)");
		return 0;
	}
	if (!strcmp(act, "lead")) {
		int error;
		if ((error = args_only(cli, argc, argv, 2, "case lead ID ROLE")) < 0 || (error = cli_open(cli)) < 0 ||
		    (error = vios_case_lead(cli->store, argv[optind], argv[optind + 1])) < 0)
			return error;
		if (cli->json)
			return cli_json_out(json_pack("{s:s, s:s}", "id", argv[optind], "lead_role", argv[optind + 1]));
		printf("case %s is led by %s\n", argv[optind], argv[optind + 1]);
		return 0;
	}
	return cli_usage(cli, "expected open, info, show, status, roles, lead or list");
}

int cmd_agreement(vios_cli *cli, int argc, char **argv)
{
	static const addopt spec[] = { { "case", "case_id", 0 }, { "meeting", "meeting_id", 0 },
				       { "owner", "owner_role", 0 }, { "action", "action", 4 },
				       { "due", "due_date", 0 }, { NULL, NULL, 0 } };
	DISPATCH_START(spec);
	if (!strcmp(act, "add"))
		return add_record(cli, argc, argv, "agreement", spec);
	if (!strcmp(act, "edit"))
		return edit_record(cli, argc, argv, "edit", "agreement", spec);
	if (!strcmp(act, "done")) {
		static const struct option longopts[] = { { "feedback", required_argument, NULL, 'f' },
							  { "json", no_argument, NULL, OPT_JSON },
							  { NULL, 0, NULL, 0 } };
		const char *feedback = NULL;
		int c, error;
		while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
			if (c == 'f') {
				if ((error = cli_text(&feedback, cli, "feedback", optarg)) < 0)
					return error;
			} else if (c == OPT_JSON)
				cli->json = 1;
			else
				return cli_usage(cli, "unknown option");
		}
		if (optind + 2 != argc)
			return cli_usage(cli, "expected 'agreement done ID'");
		if ((error = cli_open(cli)) < 0 || (error = vios_agreement_done(cli->store, argv[optind], feedback)) < 0)
			return error;
		if (cli->json)
			return cli_json_out(json_pack("{s:s, s:s}", "id", argv[optind], "status", "done"));
		else
			printf("agreement %s is done\n", argv[optind]);
		return 0;
	}
	if (!strcmp(act, "list")) {
		static const char *const names[] = { "case", NULL };
		const char *v[1] = { NULL };
		int overdue = 0, error = list_opts(cli, argc, argv, names, v, &overdue, "overdue");
		char day[11];
		time_t t = vios_now();
		struct tm tm;
		if (error < 0)
			return error;
		localtime_r(&t, &tm);
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
		{
			const char *p[] = { v[0], overdue ? day : NULL };
			return show_rows(cli, VIOS_LIST_AGREEMENTS, p, 2, agreement_cols,
					 overdue ? "overdue" : NULL);
		}
	}
	return cli_usage(cli, "expected add, edit, done or list");
}

/*
 * vios log --verify: the access log's hash chain recomputed (store.h).
 * Intact: one line "access log: N entries, chain intact, head <16 hex>",
 * exit 0. Broken: the entry that breaks it, exit 3 (and under --json the
 * result document first: entries verified before it, broken_at, why).
 */
static int log_verify(vios_cli *cli)
{
	vios_log_head head;
	long long bad = 0;
	char hex[2 * VIOS_LOG_HASH_LEN + 1], id[2 * VIOS_LOG_ID_LEN + 1];
	int error = vios_store_log_verify(&head, &bad, cli->store);

	if (error < 0 && error != VIOS_EVERIFY)
		return error;
	vios_hex(hex, head.head, sizeof(head.head));
	vios_hex(id, head.id, sizeof(head.id));
	if (cli->json) {
		json_t *doc = error == 0
			? json_pack("{s:I, s:b, s:s, s:s}", "entries", (json_int_t)head.count, "intact", 1, "head", hex,
				    "log_id", id)
			: json_pack("{s:I, s:b, s:I, s:s}", "entries_verified", (json_int_t)head.count, "intact", 0,
				    "broken_at", (json_int_t)bad, "why", vios_error_last());
		if (doc == NULL)
			return vios_error_nomem();
		cli_json(stdout, doc);
		json_decref(doc);
	} else if (error == 0)
		printf("access log: %lld entr%s, chain intact, head %.16s\n", head.count, head.count == 1 ? "y" : "ies", hex);
	return error;
}

int cmd_log(vios_cli *cli, int argc, char **argv)
{
	static const cli_col cols[] = { { "seq", "#", 0 }, { "at", "AT", 0 }, { "os_user", "USER", 0 },
					{ "action", "ACTION", 0 }, { "tbl", "TABLE", 0 },
					{ "record_id", "RECORD", 0 }, { "why", "WHY", 1 }, { NULL, NULL, 0 } };
	static const char *const names[] = { "limit", NULL };
	const char *v[1] = { NULL };
	json_t *rows = NULL;
	int error, verify = 0;

	/* list_opts expects a trailing action word: pretend there is one. */
	char *args[64];
	if (argc > 62)
		return cli_usage(cli, "too many arguments");
	memcpy(args, argv, (size_t)argc * sizeof(char *));
	args[argc] = (char *)"log";
	if ((error = list_opts(cli, argc + 1, args, names, v, &verify, "verify")) < 0)
		return error;
	if (verify && v[0])
		return cli_usage(cli, "--verify checks the whole log: it takes no --limit");
	if (verify)
		return (error = cli_open(cli)) < 0 ? error : log_verify(cli);
	if (v[0] && (atoi(v[0]) <= 0 || strspn(v[0], "0123456789") != strlen(v[0])))
		return cli_usage(cli, "--limit takes a positive number");
	{
		const char *p[] = { v[0] ? v[0] : "-1" };
		if ((error = cli_open(cli)) < 0 ||
		    (error = vios_records_list(&rows, cli->store, VIOS_LIST_ACCESS_LOG, p, 1)) < 0)
			return error;
	}
	if (cli->json)
		cli_json(stdout, rows);
	else
		cli_table(stdout, rows, cols);
	json_decref(rows);
	return 0;
}

int cmd_store(vios_cli *cli, int argc, char **argv)
{
	static const char *const tabs[] = { "pupil", "signal", "trend", "meeting", "case_file",
					    "agreement", "access_log", NULL };
	const char *act = action(cli, argc, argv);
	json_t *counts = NULL;
	int error;

	argv = without_action(argc, argv, act);
	if ((error = list_opts(cli, argc, argv, NULL, NULL, NULL, NULL)) < 0)
		return error;
	if (strcmp(act, "vacuum") != 0 && strcmp(act, "check") != 0)
		return cli_usage(cli, "expected check or vacuum");
	if ((error = cli_open(cli)) < 0)
		return error;
	if (!strcmp(act, "vacuum")) {
		if ((error = vios_store_vacuum(cli->store)) < 0)
			return error;
	} else if (strcmp(act, "check") != 0) {
		return cli_usage(cli, "expected check or vacuum");
	}
	if ((error = vios_store_check(cli->store)) < 0)
		return error;
	if ((counts = json_object()) == NULL)
		return vios_error_nomem();
	for (const char *const *t = tabs; *t; t++) {
		long long n = 0;
		if ((error = vios_store_row_count(&n, cli->store, *t)) < 0) {
			json_decref(counts);
			return error;
		}
		json_object_set_new(counts, *t, json_integer(n));
	}
	if (cli->json) {
		return cli_json_out(json_pack("{s:s, s:i, s:o}", "integrity", "ok", "schema_version",
					      vios_store_schema_version(), "rows", counts));
	} else {
		const char *k;
		json_t *v;
		printf("integrity ok, schema version %d%s\n", vios_store_schema_version(),
		       !strcmp(act, "vacuum") ? ", vacuumed" : "");
		json_object_foreach(counts, k, v)
			printf("  %-11s %lld\n", k, (long long)json_integer_value(v));
		json_decref(counts);
	}
	return 0;
}
