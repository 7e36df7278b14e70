/*
 * t_report.c - test tool: the hub report's writers over a grid of exact
 * counts given as a file, without a store, so that the attacker
 * (tests/tools/report_attack.py) can be run on hundreds of random grids.
 *
 *   t_report GRID.json OUTDIR [--no-pdf]
 *
 * GRID.json has the members vios_report_grid makes (municipality, from, to,
 * rows: month, school, theme, signals, trend?). The tool publishes it with
 * vios_report_publish, the one disclosure rule, and writes what 'vios hub
 * report' writes from it: OUTDIR/r.csv (rfc4180), nl.csv (excel-nl), r.json,
 * r.txt, r.svg, s.pdf (the one-page summary; not with --no-pdf, which a long
 * sweep uses on most seeds to save time). Nothing else; exit 1 with the
 * error on a bad grid. Used by tests/e2e/report_attack.sh; never installed.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/report.h"
#include "util/error.h"

static int out(const char *dir, const char *name, json_t *pub, int k)
{
	char path[4096];
	FILE *f;
	int error;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -1;
	if ((f = fopen(path, "w")) == NULL)
		return vios_error_os("cannot open the output");
	switch (k) {
	case 0: error = vios_report_csv(f, pub, VIOS_CSV_RFC4180); break;
	case 1: error = vios_report_csv(f, pub, VIOS_CSV_EXCEL_NL); break;
	case 2: error = json_dumpf(pub, f, JSON_INDENT(2)) == 0 ? 0 : -1; break;
	case 3: error = vios_report_text(f, pub); break;
	case 4: error = vios_report_svg(f, pub); break;
	default: error = vios_report_pdf(f, pub, 1); break;
	}
	if (fclose(f) != 0 && error == 0)
		error = -1;
	return error;
}

int main(int argc, char **argv)
{
	static const char *const names[] = { "r.csv", "nl.csv", "r.json", "r.txt", "r.svg", "s.pdf" };
	json_t *grid = NULL, *pub = NULL;
	json_error_t jerr;
	int error = 0;

	if (argc != 3 && (argc != 4 || strcmp(argv[3], "--no-pdf"))) {
		fprintf(stderr, "usage: t_report GRID.json OUTDIR [--no-pdf]\n");
		return 2;
	}
	if ((grid = json_load_file(argv[1], 0, &jerr)) == NULL) {
		fprintf(stderr, "t_report: %s: %s\n", argv[1], jerr.text);
		return 1;
	}
	error = vios_report_publish(&pub, grid);
	for (int k = 0; k < (argc == 4 ? 5 : 6) && error == 0; k++)
		error = out(argv[2], names[k], pub, k);
	if (error < 0)
		fprintf(stderr, "t_report: %s\n", vios_error_last());
	json_decref(grid);
	json_decref(pub);
	return error < 0;
}
