/*
 * report_cairo.c - the published report (report.h) as PDF and PNG, drawn
 * with cairo from the same chart as the SVG (report_chart.h): the
 * municipality's name, the period, a legend, the numbers shown as lines and
 * points, "<5" and "x" as hollow marks on the band at the foot of a panel,
 * all at one place (0 looks like 1-4). The PDF opens with the one-page
 * summary for the steering meeting: the municipality's totals per theme and
 * month as a table, its chart, the legend and how to read "<5" and "x".
 *
 * Only the published report is drawn; nothing here sees an exact count.
 */
#include "sync/report.h"
#include "sync/report_chart.h"
#include "util/error.h"

#include <assert.h>
#include <cairo-pdf.h>
#include <cairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NTHEMES VIOS_THEME_COUNT
#define PNG_W 960.0
#define PANEL_H 250.0
#define A4_W 595.0
#define A4_H 842.0

static void color(cairo_t *cr, const char *hex)
{
	unsigned v = (unsigned)strtoul(hex + 1, NULL, 16);
	cairo_set_source_rgb(cr, ((v >> 16) & 0xff) / 255.0, ((v >> 8) & 0xff) / 255.0, (v & 0xff) / 255.0);
}

static void text(cairo_t *cr, double x, double y, double size, int bold, const char *s, int align)
{
	cairo_text_extents_t e;

	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, size);
	cairo_text_extents(cr, s, &e);
	cairo_move_to(cr, align == 0 ? x : align == 1 ? x - e.x_advance / 2 : x - e.x_advance, y);
	cairo_show_text(cr, s);
}

static void legend(cairo_t *cr, double x0, double y0, double colw, int percol)
{
	for (int t = 0; t < NTHEMES; t++) {
		double x = x0 + (t % percol) * colw, y = y0 + (t / percol) * 14;
		color(cr, vios_chart_colors[t]);
		cairo_rectangle(cr, x, y, 10, 10);
		cairo_fill(cr);
		cairo_set_source_rgb(cr, 0, 0, 0);
		text(cr, x + 14, y + 9, 10, 0, vios_theme_name(t), 0);
	}
}

static void header(cairo_t *cr, json_t *pub, double x, double y, double wrap)
{
	char line[512];

	snprintf(line, sizeof(line), "%s: signals per theme per month, %s to %s",
		 json_string_value(json_object_get(pub, "municipality")) ?: "", json_string_value(json_object_get(pub, "from")) ?: "",
		 json_string_value(json_object_get(pub, "to")) ?: "");
	cairo_set_source_rgb(cr, 0, 0, 0);
	text(cr, x, y, wrap < 700 ? 14 : 18, 1, line, 0);
	snprintf(line, sizeof(line), "Counts from the theme data the schools send, no personal data. %s: fewer than %d (0 included);",
		 VIOS_REPORT_BELOW, VIOS_REPORT_MIN_COUNT);
	cairo_set_source_rgb(cr, 0.33, 0.33, 0.33);
	text(cr, x, y + 18, 10, 0, line, 0);
	snprintf(line, sizeof(line), "%s: not shown, so that no count below %d can be worked out from the others.",
		 VIOS_REPORT_HIDDEN, VIOS_REPORT_MIN_COUNT);
	text(cr, x, y + 31, 10, 0, line, 0);
}

static void panel(cairo_t *cr, const vios_chart *c, size_t p, double x0, double y0, double w, double h, const char *trends)
{
	double px = x0 + 48, pw = w - 100, py = y0 + 28, ph = h - 70, bh = 14;
	char buf[64];

	cairo_set_source_rgb(cr, 0, 0, 0);
	text(cr, x0 + 8, y0 + 18, 14, 1, p == 0 ? "Municipality (all schools)" : c->titles[p], 0);
	cairo_set_source_rgb(cr, 0.98, 0.98, 0.98);
	cairo_rectangle(cr, px, py, pw, ph);
	cairo_fill_preserve(cr);
	cairo_set_source_rgb(cr, 0.8, 0.8, 0.8);
	cairo_set_line_width(cr, 1);
	cairo_stroke(cr);
	cairo_set_source_rgb(cr, 0.93, 0.93, 0.93);
	cairo_rectangle(cr, px, py + ph - bh, pw, bh);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 0.53, 0.53, 0.53);
	snprintf(buf, sizeof(buf), "not shown: %s, %s", VIOS_REPORT_BELOW, VIOS_REPORT_HIDDEN);
	text(cr, px + 4, py + ph - 3, 9, 0, buf, 0);
	cairo_set_source_rgb(cr, 0, 0, 0);
	for (int k = 0; k <= 2; k++) {
		long long v = c->ymax * k / 2;
		snprintf(buf, sizeof(buf), "%lld", v);
		text(cr, px - 4, py + ph - bh - (ph - bh) * (double)v / (double)c->ymax + 3, 9, 0, buf, 2);
	}
	for (size_t m = 0; m < c->nmonths; m++)
		if (c->nmonths <= 12 || m % ((c->nmonths + 11) / 12) == 0)
			text(cr, VIOS_CHART_X(c, m, px, pw), py + ph + 12, 9, 0, c->months[m], 1);
	for (int t = 0; t < NTHEMES; t++) {
		int open = 0;
		color(cr, vios_chart_colors[t]);
		cairo_set_line_width(cr, 2);
		for (size_t m = 0; m < c->nmonths; m++) {
			long long v = VIOS_CHART_VAL(c, p, m, t);
			double x = VIOS_CHART_X(c, m, px, pw), y = py + ph - bh - (ph - bh) * (double)v / (double)c->ymax;
			if (v < 0) {
				if (open)
					cairo_stroke(cr);
				open = 0;
				continue;
			}
			if (open)
				cairo_line_to(cr, x, y);
			else
				cairo_move_to(cr, x, y);
			open = 1;
		}
		if (open)
			cairo_stroke(cr);
		for (size_t m = 0; m < c->nmonths; m++) {
			long long v = VIOS_CHART_VAL(c, p, m, t);
			double x = VIOS_CHART_X(c, m, px, pw);
			cairo_new_path(cr);
			if (v >= 0) {
				color(cr, vios_chart_colors[t]);
				cairo_arc(cr, x, py + ph - bh - (ph - bh) * (double)v / (double)c->ymax, 3, 0, 6.2832);
				cairo_fill(cr);
			} else {
				cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
				cairo_set_line_width(cr, 1);
				cairo_arc(cr, x, py + ph - bh / 2, 2.5, 0, 6.2832);
				cairo_stroke(cr);
			}
		}
	}
	if (trends && trends[0]) {
		char line[560];
		snprintf(line, sizeof(line), "trends: %s", trends);
		cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
		text(cr, px, py + ph + 28, 10, 0, line, 0);
	}
}

/* The one-page summary: the municipality's totals as a table (the last 12
 * months of the period when it is longer), its chart, the legend. */
static void summary(cairo_t *cr, const vios_chart *c, json_t *pub)
{
	size_t first = c->nmonths > 12 ? c->nmonths - 12 : 0, ncol = c->nmonths - first;
	double x0 = 40, y = 120, colw = ncol ? (A4_W - 80 - 110) / (double)ncol : 0;
	char buf[64];

	header(cr, pub, x0, 50, A4_W);
	cairo_set_source_rgb(cr, 0, 0, 0);
	text(cr, x0, 105, 12, 1, first ? "Municipality, all schools: the last 12 months" : "Municipality, all schools", 0);
	for (size_t m = 0; m < ncol; m++)
		text(cr, x0 + 110 + colw * ((double)m + 0.5), y, ncol > 8 ? 6.5 : 8, 1, c->months[first + m], 1);
	for (int t = 0; t < NTHEMES; t++) {
		double ry = y + 16 + 15 * t;
		if (t % 2 == 0) {
			cairo_set_source_rgb(cr, 0.95, 0.95, 0.95);
			cairo_rectangle(cr, x0, ry - 10, A4_W - 80, 15);
			cairo_fill(cr);
		}
		color(cr, vios_chart_colors[t]);
		cairo_rectangle(cr, x0 + 2, ry - 8, 8, 8);
		cairo_fill(cr);
		cairo_set_source_rgb(cr, 0, 0, 0);
		text(cr, x0 + 14, ry, 9, 0, vios_theme_name(t), 0);
		for (size_t m = 0; m < ncol; m++) {
			long long v = VIOS_CHART_VAL(c, 0, first + m, t);
			if (v >= 0)
				snprintf(buf, sizeof(buf), "%lld", v);
			else
				snprintf(buf, sizeof(buf), "%s", v == VIOS_CHART_BELOW ? VIOS_REPORT_BELOW : VIOS_REPORT_HIDDEN);
			text(cr, x0 + 110 + colw * ((double)m + 0.5), ry, 9, 0, buf, 1);
		}
	}
	panel(cr, c, 0, x0 - 10, y + 16 + 15 * NTHEMES + 10, A4_W - 60, 300, NULL);
	legend(cr, x0, y + 16 + 15 * NTHEMES + 320, 130, 4);
	cairo_set_source_rgb(cr, 0.33, 0.33, 0.33);
	snprintf(buf, sizeof(buf), "%zu schools; per school: the pages that follow", c->npanels - 1);
	text(cr, x0, A4_H - 40, 9, 0, buf, 0);
}

static cairo_status_t to_file(void *closure, const unsigned char *data, unsigned int length)
{
	return fwrite(data, 1, length, (FILE *)closure) == length ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

static int cairo_failed(cairo_status_t s, const char *what)
{
	vios_error_set(VIOS_ERR_OS, "cannot draw the %s: %s", what, cairo_status_to_string(s));
	return -1;
}

int vios_report_pdf(FILE *f, json_t *pub, int summary_only)
{
	cairo_surface_t *sf = NULL;
	cairo_t *cr = NULL;
	vios_chart c;
	cairo_status_t s;
	int error;

	assert(f != NULL && pub != NULL);
	if ((error = vios_chart_make(&c, pub)) < 0)
		return error;
	sf = cairo_pdf_surface_create_for_stream(to_file, f, A4_W, A4_H);
	cr = cairo_create(sf);
	cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_TITLE, "VIOS signals per theme per month");
	summary(cr, &c, pub);
	cairo_show_page(cr);
	for (size_t p = 1; !summary_only && p < c.npanels; p++) {
		char trends[512];
		/* a school per landscape page */
		cairo_pdf_surface_set_size(sf, A4_H, A4_W);
		header(cr, pub, 40, 40, A4_H);
		legend(cr, 40, 90, 130, 6);
		vios_chart_trends(trends, sizeof(trends), pub, c.titles[p]);
		panel(cr, &c, p, 20, 130, A4_H - 40, A4_W - 160, trends);
		cairo_show_page(cr);
	}
	cairo_destroy(cr);
	cairo_surface_finish(sf);
	if ((s = cairo_surface_status(sf)) != CAIRO_STATUS_SUCCESS)
		error = cairo_failed(s, "PDF");
	cairo_surface_destroy(sf);
	vios_chart_dispose(&c);
	if (error == 0 && ferror(f))
		error = vios_error_os("cannot write the PDF");
	return error;
}

int vios_report_png(FILE *f, json_t *pub)
{
	cairo_surface_t *sf = NULL;
	cairo_t *cr = NULL;
	vios_chart c;
	cairo_status_t s;
	int error;

	assert(f != NULL && pub != NULL);
	if ((error = vios_chart_make(&c, pub)) < 0)
		return error;
	sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)PNG_W, (int)(90 + PANEL_H * (double)c.npanels));
	cr = cairo_create(sf);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	header(cr, pub, 16, 26, PNG_W);
	legend(cr, 16, 62, 150, 6);
	for (size_t p = 0; p < c.npanels; p++) {
		char trends[512];
		vios_chart_trends(trends, sizeof(trends), pub, p == 0 ? "" : c.titles[p]);
		panel(cr, &c, p, 0, 94 + PANEL_H * (double)p, PNG_W, PANEL_H, p == 0 ? NULL : trends);
	}
	cairo_destroy(cr);
	cairo_surface_flush(sf);
	if ((s = cairo_surface_status(sf)) != CAIRO_STATUS_SUCCESS ||
	    (s = cairo_surface_write_to_png_stream(sf, to_file, f)) != CAIRO_STATUS_SUCCESS)
		error = cairo_failed(s, "PNG");
	cairo_surface_destroy(sf);
	vios_chart_dispose(&c);
	if (error == 0 && ferror(f))
		error = vios_error_os("cannot write the PNG");
	return error;
}
