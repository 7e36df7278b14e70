/*
 * cmd_subject.c - vios pupil report ID [-o FILE] [--format html|json]
 * [--reason TEXT]: the subject access report (src/store/subject.h).
 *
 * The store assembles one JSON document; this file prints it as JSON or
 * renders it as a printable, self-contained HTML page (inline CSS, no
 * scripts, nothing fetched). Every value reaches the page through cli_html(),
 * the one escaping function. A file is created O_EXCL|O_NOFOLLOW, mode
 * 0600, before the report is made, so an existing file or a link is
 * refused with nothing read or logged; a report that fails removes it.
 */
#include "cli/cli.h"
#include "cli/text.h"
#include "cli/table.h"
#include "store/subject.h"
#include "util/error.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OPT_JSON 1000


/* A value of the document as text: strings as they are, yes/no, numbers, "-". */
static void value(FILE *f, const json_t *v)
{
	char num[32];

	if (json_is_string(v))
		cli_html(f, json_string_value(v));
	else if (json_is_boolean(v))
		cli_html(f, json_is_true(v) ? "yes" : "no");
	else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		cli_html(f, num);
	} else
		cli_html(f, "-");
}

/* A column name as a label: underscores as spaces. */
static void label(FILE *f, const char *key)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%s", key);
	for (char *p = buf; *p; p++)
		if (*p == '_')
			*p = ' ';
	cli_html(f, buf);
}

/* Yes/no columns the schema keeps as 0 or 1. */
static int yes_no_col(const char *key)
{
	return !strcmp(key, "parents_informed") || !strcmp(key, "over16");
}

/* One record: its columns, then who made it and who it was sent to. */
static void record(FILE *f, const char *title, const json_t *row)
{
	const json_t *made = json_object_get(row, "made_by"), *sent = json_object_get(row, "sent"), *v, *e;
	const char *key;
	size_t i;

	fputs("<section class=\"rec\"><h3>", f);
	cli_html(f, title);
	fputs("</h3>\n<table>\n", f);
	json_object_foreach((json_t *)row, key, v) {
		if (!strcmp(key, "made_by") || !strcmp(key, "sent") || !strcmp(key, "origin") ||
		    !strcmp(key, "lost_values"))
			continue;
		fputs("<tr><th>", f);
		label(f, key);
		fputs("</th><td>", f);
		if (yes_no_col(key) && json_is_integer(v))
			cli_html(f, json_integer_value(v) ? "yes" : "no");
		else
			value(f, v);
		fputs("</td></tr>\n", f);
	}
	if (json_array_size(json_object_get(row, "lost_values")) > 0) {
		fputs("<tr><th>replaced values</th><td>", f);
		json_array_foreach(json_object_get(row, "lost_values"), i, e) {
			fputs(i ? "<br>\n" : "", f);
			label(f, json_string_value(json_object_get(e, "col")) ?: "");
			fputs(": ", f);
			value(f, json_object_get(e, "value"));
			fputs(" (replaced ", f);
			value(f, json_object_get(e, "recorded_at"));
			fputs(")", f);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("<tr><th>made by</th><td>", f);
	if (!json_is_true(json_object_get(made, "here")))
		fputs("received from ", f);
	value(f, json_object_get(made, "name"));
	fputs(json_is_true(json_object_get(made, "here")) ? " (this node)" : "", f);
	fputs("</td></tr>\n<tr><th>sent to</th><td>", f);
	if (json_array_size(sent) == 0)
		fputs("no other node, by this node", f);
	json_array_foreach(sent, i, e) {
		char seq[32];
		snprintf(seq, sizeof(seq), "%lld", (long long)json_integer_value(json_object_get(e, "seq")));
		fputs(i ? "<br>\n" : "", f);
		value(f, json_object_get(e, "name"));
		fputs(" (node ", f);
		value(f, json_object_get(e, "node_id"));
		fputs("), bundle ", f);
		cli_html(f, seq);
		fputs(", ", f);
		value(f, json_object_get(e, "at"));
	}
	fputs("</td></tr>\n</table></section>\n", f);
}

static void section(FILE *f, const char *title, const char *one, const json_t *rows)
{
	const json_t *row;
	size_t i;
	char n[32];

	snprintf(n, sizeof(n), " (%zu)", json_array_size(rows));
	fputs("<h2>", f);
	cli_html(f, title);
	cli_html(f, n);
	fputs("</h2>\n", f);
	if (json_array_size(rows) == 0)
		fputs("<p>None held here.</p>\n", f);
	json_array_foreach(rows, i, row)
		record(f, one, row);
}

static void render_html(FILE *f, const json_t *doc)
{
	const json_t *pupil = json_object_get(doc, "pupil"), *node = json_object_get(doc, "node"), *v;
	size_t i;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Subject access report: ", f);
	value(f, json_object_get(pupil, "name"));
	fputs("</title>\n<style>\n"
	      "body{font-family:sans-serif;max-width:52em;margin:2em auto;color:#000;background:#fff}\n"
	      "table{border-collapse:collapse;width:100%;margin:.3em 0 1em}\n"
	      "th,td{border:1px solid #999;padding:.25em .5em;text-align:left;vertical-align:top}\n"
	      "th{width:14em;background:#eee;font-weight:normal}\n"
	      "td{white-space:pre-wrap}\n"
	      ".rec{page-break-inside:avoid}\n"
	      "footer{border-top:1px solid #999;margin-top:2em;font-size:.9em}\n"
	      "@media print{body{margin:0}}\n"
	      "</style>\n</head>\n<body>\n<h1>Subject access report</h1>\n<p>About <strong>", f);
	value(f, json_object_get(pupil, "name"));
	fputs("</strong>, as held by node ", f);
	value(f, json_object_get(node, "name"));
	fputs(" (", f);
	value(f, json_object_get(node, "role"));
	fputs(", ", f);
	value(f, json_object_get(node, "id"));
	fputs("), made ", f);
	value(f, json_object_get(doc, "generated_at"));
	fputs(".<br>\nReason for the request: ", f);
	value(f, json_object_get(doc, "reason"));
	fputs("<br>\nFormat: ", f);
	value(f, json_object_get(doc, "format"));
	fputs("</p>\n<p>Every signal and case below names its legal basis (basis) and whether the parents"
	      " were informed (parents informed), with the reason when they were not.</p>\n", f);
	fputs("<h2>Pupil</h2>\n", f);
	record(f, "Pupil", pupil);
	section(f, "Signals", "Signal", json_object_get(doc, "signals"));
	section(f, "Cases", "Case", json_object_get(doc, "cases"));
	section(f, "Case meetings", "Meeting", json_object_get(doc, "meetings"));
	section(f, "Agreements", "Agreement", json_object_get(doc, "agreements"));
	fputs("<footer>\n", f);
	json_array_foreach(json_object_get(doc, "notes"), i, v) {
		fputs("<p>", f);
		value(f, v);
		fputs("</p>\n", f);
	}
	fputs("</footer>\n</body>\n</html>\n", f);
}

int cmd_pupil_report(vios_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { { "output", required_argument, NULL, 'o' },
						  { "format", required_argument, NULL, 'f' },
						  { "reason", required_argument, NULL, 'r' },
						  { "json", no_argument, NULL, OPT_JSON },
						  { NULL, 0, NULL, 0 } };
	const char *path = NULL, *format = NULL, *reason = NULL;
	json_t *doc = NULL;
	FILE *f = stdout;
	int c, error = 0, created = 0;

	while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		if (c == 'o' && path == NULL)
			path = optarg;
		else if (c == 'f' && format == NULL)
			format = optarg;
		else if (c == 'r' && reason == NULL) {
			if ((error = cli_text(&reason, cli, "reason", optarg)) < 0)
				return error;
		}
		else if (c == OPT_JSON)
			cli->json = 1;
		else if (c == 'o' || c == 'f' || c == 'r')
			return cli_usage(cli, "report: --%s given twice", c == 'o' ? "output" : c == 'f' ? "format" : "reason");
		else
			return cli_usage(cli, "unknown option");
	}
	/* argv ends with the action word; the one word before it is the id */
	if (optind + 2 != argc)
		return cli_usage(cli, "expected 'pupil report ID [-o FILE] [--format html|json] [--reason TEXT]'");
	if (format == NULL)
		format = cli->json && (path == NULL || !strcmp(path, "-")) ? "json" : "html";
	if (strcmp(format, "html") && strcmp(format, "json"))
		return cli_usage(cli, "--format: '%s' is not html or json", format);
	if (!vios_uuid_valid(argv[optind]))
		return cli_usage(cli, "'%s' is not a pupil id", argv[optind]);
	if ((error = cli_open(cli)) < 0)
		return error;
	if (path && strcmp(path, "-")) {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			vios_error_set(VIOS_ERR_INPUT, errno == EEXIST ? "%s exists; refusing to overwrite it" :
				       "cannot create %s: %s", path, strerror(errno));
			return VIOS_ERROR;
		}
		created = 1;
		if ((f = fdopen(fd, "w")) == NULL) {
			close(fd);
			f = NULL;
			error = vios_error_nomem();
			goto done;
		}
	}
	if ((error = vios_subject_report(&doc, cli->store, argv[optind], reason)) < 0)
		goto done;
	if (!strcmp(format, "json"))
		cli_json(f, doc);
	else
		render_html(f, doc);
	if (fflush(f) != 0 || ferror(f) || (f != stdout && fsync(fileno(f)) != 0)) {
		vios_error_set(VIOS_ERR_OS, "writing the report%s%s: %s", f != stdout ? " to " : "", f != stdout ? path : "",
			       strerror(errno));
		error = VIOS_ERROR;
		goto done;
	}
	if (f != stdout) {
		fprintf(stderr, "vios: wrote the subject access report (%s, mode 0600) to %s\n", format, path);
		if (cli->json)
			error = cli_json_out(json_pack("{s:s, s:s, s:s}", "pupil_id", argv[optind], "format", format,
						       "file", path));
	}
done:
	if (f != NULL && f != stdout && fclose(f) != 0 && error == 0) {
		vios_error_set(VIOS_ERR_OS, "writing the report to %s: %s", path, strerror(errno));
		error = VIOS_ERROR;
	}
	if (error < 0 && created)
		unlink(path);
	json_decref(doc);
	return error;
}
