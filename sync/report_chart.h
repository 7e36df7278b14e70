/*
 * report_chart.h - the chart of a published report (report.h) as the SVG
 * writer (sync/report.c) and the cairo writer (sync/report_cairo.c) both
 * draw it: panel 0 the municipality's totals, then a panel per school; a
 * value per panel, month and theme, a number shown or a mark.
 */
#ifndef VIOS_REPORT_CHART_H
#define VIOS_REPORT_CHART_H

#include <jansson.h>
#include <stddef.h>

#include "node/vocab.h"

#define VIOS_CHART_BELOW (-1)  /* "<5" */
#define VIOS_CHART_HIDDEN (-2) /* "x" */

typedef struct {
	size_t nmonths, npanels, stride;
	char (*months)[8];
	const char **titles; /* borrowed from the published report */
	long long *vals;     /* [panel][stride][theme] */
	long long ymax;      /* from the numbers shown only */
} vios_chart;

#define VIOS_CHART_VAL(c, p, m, t) ((c)->vals[((p) * (c)->stride + (m)) * VIOS_THEME_COUNT + (size_t)(t)])
#define VIOS_CHART_X(c, m, px, pw) \
	((c)->nmonths > 1 ? (px) + (pw) * (double)(m) / (double)((c)->nmonths - 1) : (px) + (pw) / 2)

extern const char *const vios_chart_colors[VIOS_THEME_COUNT];

/* The chart of pub; the titles point into pub, which must outlive it. */
int vios_chart_make(vios_chart *out, json_t *pub);
void vios_chart_dispose(vios_chart *c);
/* The trends a school's rows carry, "theme level (month); ..." */
void vios_chart_trends(char *out, size_t len, json_t *pub, const char *school);

#endif
