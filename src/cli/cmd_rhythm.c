/*
 * cmd_rhythm.c - the table's rhythm on the command line (docs/rhythm.md):
 * vios signal close, vios meeting plan, hold, agenda and list --upcoming.
 * cmd_signal and cmd_meeting (cmd_records.c) dispatch here; argv is theirs,
 * the action word moved last. The rules and the SQL live in
 * src/store/rhythm.c.
 *
 * An agenda prints as text, as JSON (--json), or with --html FILE as a
 * printable, self-contained page (inline CSS, no scripts, nothing
 * fetched) written whole or not at all, mode 0600. Every value reaches the
 * page through cli_html() (table.h), the one HTML escaping function of the CLI.
 */
#include "cli/cli.h"
#include "cli/table.h"
#include "cli/text.h"
#include "store/rhythm.h"
#include "util/error.h"
#include "util/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OPT_JSON 1000
/* A planned series: at most PLAN_MAX meetings, until --until or, without
 * it, PLAN_MONTHS months after --from (docs/rhythm.md). */
#define PLAN_MAX 60
#define PLAN_MONTHS 12
#define PLAN_MAX_DAYS 366

/* date (valid, YYYY-MM-DD) moved by months and days, by the calendar: a
 * month later is the same day of the month, or that month's last day when
 * it has none (31 January + 1 month = 28 or 29 February). -1 when the
 * result is past 9999-12-31. */
static int date_add(char out[11], const char *date, int months, long days)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	struct tm tm = { 0 };
	int y, m, last;
	time_t t;

	y = atoi(date);
	m = atoi(date + 5) - 1 + months;
	y += m / 12;
	m %= 12;
	last = mdays[m] + (m == 1 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
	tm.tm_year = y - 1900;
	tm.tm_mon = m;
	tm.tm_mday = atoi(date + 8) > last ? last : atoi(date + 8);
	tm.tm_hour = 12;
	t = timegm(&tm) + (time_t)days * 86400;
	gmtime_r(&t, &tm);
	if (tm.tm_year + 1900 > 9999 || strftime(out, 11, "%Y-%m-%d", &tm) != 10)
		return -1;
	return 0;
}

/* --every Nw|Nd as days (1 to PLAN_MAX_DAYS); 0 for anything else. */
static long interval_days(const char *s)
{
	char *end = NULL;
	long n;

	if (*s < '0' || *s > '9')
		return 0;
	n = strtol(s, &end, 10);
	if (end == s || end[0] == 0 || end[1] != 0 || n <= 0 || n > PLAN_MAX_DAYS)
		return 0;
	n *= end[0] == 'w' ? 7 : end[0] == 'd' ? 1 : 0;
	return n <= PLAN_MAX_DAYS ? n : 0;
}

/* ---- signal close ------------------------------------------------------- */

int cli_signal_close(vios_cli *cli, int argc, char **argv)
{
	static const struct option lo[] = { { "reason", required_argument, NULL, 'r' },
					    { "json", no_argument, NULL, OPT_JSON },
					    { NULL, 0, NULL, 0 } };
	const char *reason = NULL;
	int c, error;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == OPT_JSON)
			cli->json = 1;
		else if (c == 'r' && reason != NULL)
			return cli_usage(cli, "--reason given twice");
		else if (c == 'r') {
			if ((error = cli_text(&reason, cli, "reason", optarg)) < 0)
				return error;
		} else
			return cli_usage(cli, "unknown option");
	}
	if (optind + 2 != argc)
		return cli_usage(cli, "expected 'signal close ID --reason TEXT'");
	if (reason == NULL && cli_text_can_edit() && (error = cli_text(&reason, cli, "reason", "-")) < 0)
		return error;
	if (reason == NULL)
		return cli_usage(cli, "close: --reason TEXT is required (why no further action; '-' reads standard input)");
	if ((error = cli_open(cli)) < 0 || (error = vios_signal_close(cli->store, argv[optind], reason)) < 0)
		return error;
	if (cli->json)
		return cli_json_out(json_pack("{s:s, s:s}", "id", argv[optind], "triage", "closed"));
	printf("signal %s is closed\n", argv[optind]);
	return 0;
}

/* ---- meeting plan --------------------------------------------------------- */

/* The dates of a series from `from` every `days` days up to until, into
 * dates (PLAN_MAX); their count, or -1 when there would be more. */
static int series_dates(char (*dates)[11], const char *from, const char *until, long days)
{
	char d[11];

	for (int n = 0;; n++) {
		if (date_add(d, from, 0, days * n) < 0 || strcmp(d, until) > 0)
			return n; /* past 9999 is past any until */
		if (n == PLAN_MAX)
			return -1;
		memcpy(dates[n], d, sizeof(d));
	}
}

int cli_meeting_plan(vios_cli *cli, int argc, char **argv)
{
	static const struct option lo[] = { { "kind", required_argument, NULL, 'k' },
					    { "every", required_argument, NULL, 'e' },
					    { "from", required_argument, NULL, 'f' },
					    { "until", required_argument, NULL, 'u' },
					    { "roles", required_argument, NULL, 'r' },
					    { "json", no_argument, NULL, OPT_JSON },
					    { NULL, 0, NULL, 0 } };
	const char *kind = NULL, *every = NULL, *from = NULL, *until = NULL, *roles = NULL, *dp[PLAN_MAX];
	char dates[PLAN_MAX][11], ids[PLAN_MAX][37], last[11];
	vios_field f[3];
	size_t nf = 0;
	long days;
	int c, n, error;
	json_t *out;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		const char **slot = c == 'k' ? &kind : c == 'e' ? &every : c == 'f' ? &from : c == 'u' ? &until
				  : c == 'r' ? &roles : NULL;
		if (c == OPT_JSON)
			cli->json = 1;
		else if (slot == NULL)
			return cli_usage(cli, "unknown option");
		else if (*slot != NULL)
			return cli_usage(cli, "an option given twice");
		else
			*slot = optarg;
	}
	if (optind + 1 != argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (kind == NULL || every == NULL || from == NULL)
		return cli_usage(cli, "plan needs --kind thematic|case, --every Nw|Nd and --from YYYY-MM-DD");
	if (strcmp(kind, "thematic") && strcmp(kind, "case"))
		return cli_usage(cli, "--kind: '%s' is not one of thematic, case", kind);
	if ((days = interval_days(every)) == 0)
		return cli_usage(cli, "--every: '%s' is not an interval of 1 to %d days (Nd) or weeks (Nw)", every,
				 PLAN_MAX_DAYS);
	if (!vios_date_valid(from))
		return cli_usage(cli, "--from: '%s' is not a date (YYYY-MM-DD)", from);
	if (until != NULL && !vios_date_valid(until))
		return cli_usage(cli, "--until: '%s' is not a date (YYYY-MM-DD)", until);
	if (until != NULL && strcmp(until, from) < 0)
		return cli_usage(cli, "--until %s lies before --from %s", until, from);
	if (until == NULL) {
		if (date_add(last, from, PLAN_MONTHS, 0) < 0)
			return cli_usage(cli, "--from %s: give --until, %d months later is past 9999", from, PLAN_MONTHS);
		until = last;
	}
	if ((n = series_dates(dates, from, until, days)) < 0)
		return cli_usage(cli, "more than %d meetings from %s to %s: give a longer --every or an earlier --until",
				 PLAN_MAX, from, until);
	f[nf++] = (vios_field){ "kind", kind };
	f[nf++] = (vios_field){ "planned", "1" };
	if (roles)
		f[nf++] = (vios_field){ "roles", roles };
	for (int i = 0; i < n; i++)
		dp[i] = dates[i];
	if ((error = cli_open(cli)) < 0 ||
	    (error = vios_record_add_series(ids, cli->store, "meeting", f, nf, "date", dp, (size_t)n)) < 0)
		return error;
	if (!cli->json) {
		for (int i = 0; i < n; i++)
			printf("%s\n", ids[i]);
		return 0;
	}
	if ((out = json_array()) == NULL)
		return vios_error_nomem();
	for (int i = 0; i < n; i++)
		if (json_array_append_new(out, json_pack("{s:s, s:s}", "id", ids[i], "date", dates[i])) < 0) {
			json_decref(out);
			return vios_error_nomem();
		}
	return cli_json_out(json_pack("{s:o}", "meetings", out));
}

/* ---- meeting hold ----------------------------------------------------------- */

int cli_meeting_hold(vios_cli *cli, int argc, char **argv)
{
	static const struct option lo[] = { { "minutes", required_argument, NULL, 'm' },
					    { "discussed", required_argument, NULL, 'd' },
					    { "date", required_argument, NULL, 't' },
					    { "no-name-check", no_argument, NULL, 'n' },
					    { "json", no_argument, NULL, OPT_JSON },
					    { NULL, 0, NULL, 0 } };
	const char *minutes = NULL, *discussed = NULL, *date = NULL;
	vios_field f[3];
	size_t nf = 0;
	int c, error, no_check = 0;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == OPT_JSON)
			cli->json = 1;
		else if (c == 'n')
			no_check = 1;
		else if ((c == 'm' && minutes) || (c == 'd' && discussed) || (c == 't' && date))
			return cli_usage(cli, "an option given twice");
		else if (c == 'm') {
			if ((error = cli_text(&minutes, cli, "minutes", optarg)) < 0)
				return error;
		} else if (c == 'd')
			discussed = optarg;
		else if (c == 't')
			date = optarg;
		else
			return cli_usage(cli, "unknown option");
	}
	if (optind + 2 != argc)
		return cli_usage(cli, "expected 'meeting hold ID --minutes TEXT [--discussed ID,...] [--date YYYY-MM-DD]'");
	if (minutes == NULL && cli_text_can_edit() && (error = cli_text(&minutes, cli, "minutes", "-")) < 0)
		return error;
	if (minutes == NULL)
		return cli_usage(cli, "hold: --minutes TEXT is required ('-' reads standard input)");
	f[nf++] = (vios_field){ "minutes", minutes };
	if (discussed)
		f[nf++] = (vios_field){ "discussed", discussed };
	if (date)
		f[nf++] = (vios_field){ "date", date };
	if ((error = cli_open(cli)) < 0)
		return error;
	if (no_check)
		vios_records_name_check(cli->store, 0);
	if ((error = vios_meeting_hold(cli->store, argv[optind], f, nf)) < 0)
		return error;
	if (cli->json)
		return cli_json_out(json_pack("{s:s, s:b}", "id", argv[optind], "planned", 0));
	printf("meeting %s is held\n", argv[optind]);
	return 0;
}

/* ---- meeting list --upcoming ------------------------------------------------ */

int cli_meeting_upcoming(vios_cli *cli)
{
	static const cli_col cols[] = { { "id", "ID", 0 }, { "date", "DATE", 0 }, { "kind", "KIND", 0 },
					{ "roles", "ROLES", 0 }, { NULL, NULL, 0 } };
	json_t *rows = NULL;
	char day[11], note[64];
	int error;

	vios_today(day);
	if ((error = cli_open(cli)) < 0 || (error = vios_meeting_upcoming(&rows, cli->store, day)) < 0)
		return error;
	if ((error = vios_snprintf(note, sizeof(note), "list upcoming, %zu rows", json_array_size(rows))) < 0 ||
	    (error = vios_store_log(cli->store, "read", "meeting", NULL, note)) < 0)
		goto done;
	if (cli->json)
		cli_json(stdout, rows);
	else if (json_array_size(rows) == 0)
		printf("(none planned from %s on)\n", day);
	else
		cli_table(stdout, rows, cols);
done:
	json_decref(rows);
	return error;
}

/* ---- meeting agenda ------------------------------------------------------------ */

/* A string member of row, "-" when absent. */
static const char *str(const json_t *row, const char *key)
{
	const char *v = json_string_value(json_object_get(row, key));
	return v ? v : "-";
}

static const cli_col agenda_signal_cols[] = { { "seen_at", "SEEN", 0 }, { "theme", "THEME", 0 },
					      { "severity", "SEV", 0 }, { "location", "WHERE", 0 },
					      { "pupil", "PUPIL", 0 }, { "id", "ID", 0 }, { NULL, NULL, 0 } };
static const cli_col agenda_trend_cols[] = { { "period", "PERIOD", 0 }, { "theme", "THEME", 0 },
					     { "level", "LEVEL", 0 }, { "note", "NOTE", 1 }, { NULL, NULL, 0 } };
static const cli_col agenda_overdue_cols[] = { { "due_date", "DUE", 0 }, { "owner_role", "OWNER", 0 },
					       { "action", "ACTION", 1 }, { NULL, NULL, 0 } };

/* Whether the agenda may name pupils: a case meeting's (rhythm.h). */
static int names_pupils(const json_t *m)
{
	return vios_meeting_is_case(json_string_value(json_object_get(m, "kind")),
				    json_string_value(json_object_get(m, "case_id")));
}

static void agenda_text(FILE *f, const json_t *doc)
{
	const json_t *m = json_object_get(doc, "meeting"), *sig = json_object_get(doc, "signals"),
		     *cases = json_object_get(doc, "cases"), *trends = json_object_get(doc, "trends"), *c;
	cli_col scols[sizeof(agenda_signal_cols) / sizeof(agenda_signal_cols[0])];
	size_t i, k = 0;

	/* a thematic meeting's agenda has no pupil column */
	for (const cli_col *col = agenda_signal_cols; col->key; col++)
		if (strcmp(col->key, "pupil") || names_pupils(m))
			scols[k++] = *col;
	scols[k] = (cli_col){ NULL, NULL, 0 };
	fprintf(f, "Agenda: %s meeting on %s  (%s)\n", str(m, "kind"), str(m, "date"), str(m, "id"));
	fprintf(f, "  roles: %s\n", json_string_length(json_object_get(m, "roles")) ? str(m, "roles") : "-");
	fprintf(f, "\n1. New signals, seen on or before %s (%zu)\n", str(m, "date"), json_array_size(sig));
	if (json_array_size(sig))
		cli_table(f, (json_t *)sig, scols);
	fprintf(f, "\n2. Open cases (%zu)\n", json_array_size(cases));
	json_array_foreach(cases, i, c) {
		fprintf(f, "  case %s  %s, lead %s, opened %.10s%s%s\n", str(c, "id"), str(c, "status"), str(c, "lead_role"),
			str(c, "opened_at"), names_pupils(m) ? ", pupil " : "", names_pupils(m) ? str(c, "pupil") : "");
		if (json_array_size(json_object_get(c, "overdue"))) {
			fprintf(f, "  overdue agreements:\n");
			cli_table(f, json_object_get(c, "overdue"), agenda_overdue_cols);
		}
	}
	if (json_is_string(json_object_get(doc, "since")))
		fprintf(f, "\n3. Trends recorded since the last %s meeting, %s (%zu)\n", str(m, "kind"), str(doc, "since"),
			json_array_size(trends));
	else
		fprintf(f, "\n3. Trends (no %s meeting held yet) (%zu)\n", str(m, "kind"), json_array_size(trends));
	if (json_array_size(trends))
		cli_table(f, (json_t *)trends, agenda_trend_cols);
}


/* A table of rows under cols, every cell through cli_html(); "none" when empty. */
static void html_table(FILE *f, const json_t *rows, const cli_col *cols, int pupils)
{
	const json_t *row;
	size_t i;

	if (json_array_size(rows) == 0) {
		fputs("<p class=\"none\">None.</p>\n", f);
		return;
	}
	fputs("<table>\n<tr>", f);
	for (const cli_col *c = cols; c->key; c++)
		if (strcmp(c->key, "pupil") || pupils) {
			fputs("<th>", f);
			cli_html(f, c->header);
			fputs("</th>", f);
		}
	fputs("</tr>\n", f);
	json_array_foreach(rows, i, row) {
		fputs("<tr>", f);
		for (const cli_col *c = cols; c->key; c++)
			if (strcmp(c->key, "pupil") || pupils) {
				fputs("<td>", f);
				cli_html(f, str(row, c->key));
				fputs("</td>", f);
			}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void agenda_html(FILE *f, const json_t *doc)
{
	const json_t *m = json_object_get(doc, "meeting"), *c;
	int pupils = names_pupils(m);
	size_t i;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Agenda: ", f);
	cli_html(f, str(m, "kind"));
	fputs(" meeting ", f);
	cli_html(f, str(m, "date"));
	fputs("</title>\n<style>\n"
	      "body { font-family: sans-serif; margin: 2em; color: #111; }\n"
	      "table { border-collapse: collapse; margin: 0.5em 0 1em; }\n"
	      "th, td { border: 1px solid #999; padding: 0.2em 0.5em; text-align: left; vertical-align: top; }\n"
	      "th { background: #eee; }\n"
	      ".none { color: #555; font-style: italic; }\n"
	      "@media print { body { margin: 0; font-size: 10pt; } h2 { page-break-after: avoid; }"
	      " tr { page-break-inside: avoid; } }\n"
	      "</style>\n</head>\n<body>\n<h1>Agenda: ", f);
	cli_html(f, str(m, "kind"));
	fputs(" meeting on ", f);
	cli_html(f, str(m, "date"));
	fputs("</h1>\n<p>Meeting ", f);
	cli_html(f, str(m, "id"));
	fputs(", roles: ", f);
	cli_html(f, json_string_length(json_object_get(m, "roles")) ? str(m, "roles") : "-");
	fputs("</p>\n<h2>1. New signals, seen on or before ", f);
	cli_html(f, str(m, "date"));
	fputs("</h2>\n", f);
	html_table(f, json_object_get(doc, "signals"), agenda_signal_cols, pupils);
	fputs("<h2>2. Open cases</h2>\n", f);
	if (json_array_size(json_object_get(doc, "cases")) == 0)
		fputs("<p class=\"none\">None.</p>\n", f);
	json_array_foreach(json_object_get(doc, "cases"), i, c) {
		fputs("<h3>Case ", f);
		cli_html(f, str(c, "id"));
		fputs("</h3>\n<p>Status ", f);
		cli_html(f, str(c, "status"));
		fputs(", lead ", f);
		cli_html(f, str(c, "lead_role"));
		fputs(", opened ", f);
		cli_html(f, str(c, "opened_at"));
		if (pupils) {
			fputs(", pupil ", f);
			cli_html(f, str(c, "pupil"));
		}
		fputs(".</p>\n<p>Overdue agreements:</p>\n", f);
		html_table(f, json_object_get(c, "overdue"), agenda_overdue_cols, pupils);
	}
	fputs("<h2>3. Trends recorded since ", f);
	cli_html(f, json_is_string(json_object_get(doc, "since")) ? str(doc, "since") : "the start");
	fputs("</h2>\n", f);
	html_table(f, json_object_get(doc, "trends"), agenda_trend_cols, pupils);
	fputs("</body>\n</html>\n", f);
}

/* Writes the agenda's page to path, whole or not at all, mode 0600. */
static int agenda_file(const char *path, const json_t *doc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int error;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return vios_error_nomem();
	agenda_html(f, doc);
	if (fclose(f) != 0) {
		free(buf);
		return vios_error_nomem();
	}
	error = vios_file_write_atomic(path, buf, len, 0600, 1);
	free(buf);
	return error;
}

int cli_meeting_agenda(vios_cli *cli, int argc, char **argv)
{
	static const struct option lo[] = { { "next", no_argument, NULL, 'n' },
					    { "html", required_argument, NULL, 'h' },
					    { "json", no_argument, NULL, OPT_JSON },
					    { NULL, 0, NULL, 0 } };
	const char *path = NULL;
	char next_id[37], day[11];
	const char *id;
	json_t *doc = NULL;
	int c, next = 0, error;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == OPT_JSON)
			cli->json = 1;
		else if (c == 'n')
			next = 1;
		else if (c == 'h' && path == NULL && *optarg)
			path = optarg;
		else
			return cli_usage(cli, c == 'h' ? "--html takes one file name" : "unknown option");
	}
	if (optind + 1 + !next != argc)
		return cli_usage(cli, "expected 'meeting agenda ID' or 'meeting agenda --next'");
	if ((error = cli_open(cli)) < 0)
		return error;
	vios_today(day);
	id = next ? next_id : argv[optind];
	if ((next && (error = vios_meeting_next(next_id, cli->store, day)) < 0) ||
	    (error = vios_meeting_agenda(&doc, cli->store, id)) < 0)
		return error;
	if (path != NULL && (error = agenda_file(path, doc)) < 0)
		goto done;
	if (cli->json)
		cli_json(stdout, doc);
	else if (path != NULL)
		printf("agenda of meeting %s written to %s\n", id, path);
	else
		agenda_text(stdout, doc);
done:
	json_decref(doc);
	return error;
}
