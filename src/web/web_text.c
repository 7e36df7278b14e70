/*
 * web_text.c - how the web interface says things: its language, dates
 * (DD-MM-YYYY), times (Europe/Amsterdam), themes, roles and the words of
 * the vocabulary, and the short reference of a case.
 */
#include "web/web.h"
#include "web/web_internal.h"

#include "node/vocab.h"
#include "store/records.h"
#include "util/i18n.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void web_i18n_lang(const char *lang)
{
	static char now[3];

	if (!strcmp(now, lang))
		return;
	snprintf(now, sizeof(now), "%s", lang);
	vios_i18n_force(lang);
}

void web_date_out(char *out, size_t len, const char *date)
{
	if (date && strlen(date) >= 10 && isdigit((unsigned char)date[0]) && date[4] == '-' && date[7] == '-')
		snprintf(out, len, "%.2s-%.2s-%.4s", date + 8, date + 5, date);
	else
		snprintf(out, len, "%s", date ? date : "");
}

const char *web_date_in(char *out, size_t len, const char *in)
{
	unsigned d, m, y;
	int n = 0;

	if (in == NULL || *in == '\0')
		return in;
	/* D-M-YYYY or DD-MM-YYYY (also with '/' or '.'), the whole text */
	if ((sscanf(in, "%2u-%2u-%4u%n", &d, &m, &y, &n) == 3 || sscanf(in, "%2u/%2u/%4u%n", &d, &m, &y, &n) == 3 ||
	     sscanf(in, "%2u.%2u.%4u%n", &d, &m, &y, &n) == 3) &&
	    in[n] == '\0' && y >= 1000 && y <= 9999 && m <= 12 && d <= 31 && isdigit((unsigned char)in[0])) {
		snprintf(out, len, "%04u-%02u-%02u", y, m, d);
		/* a day that does not exist stays as typed: the library's
		 * one-line error then names what the user wrote */
		if (vios_date_valid(out))
			return out;
	}
	return in;
}

void web_time_out(char *out, size_t len, const char *stamp)
{
	struct tm tm;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (stamp == NULL || sscanf(stamp, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
				    &tm.tm_min, &tm.tm_sec) != 6) {
		web_date_out(out, len, stamp);
		return;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	/* the server's zone is Europe/Amsterdam (vios serve sets TZ when unset) */
	localtime_r(&t, &tm);
	strftime(out, len, "%d-%m-%Y %H:%M", &tm);
}

void web_date_cell(vios_web_req *r, const char *date)
{
	char buf[32];

	if (date == NULL || *date == '\0') {
		h_raw(r, "&mdash;");
		return;
	}
	web_date_out(buf, sizeof(buf), date);
	h_esc(r, buf);
}

void web_time_cell(vios_web_req *r, const char *stamp)
{
	char buf[40];

	if (stamp == NULL || *stamp == '\0') {
		h_raw(r, "&mdash;");
		return;
	}
	web_time_out(buf, sizeof(buf), stamp);
	h_esc(r, buf);
}

const char *web_col(const json_t *row, const char *key)
{
	return json_string_value(json_object_get(row, key));
}

const char *web_theme(vios_web_req *r, const char *theme)
{
	int i = vios_theme_index(theme);

	if (i < 0)
		return theme ? theme : "";
	return !strcmp(web_lang(r), "nl") ? vios_theme_label_nl(i) : vios_theme_name(i);
}

/* A role in words, by the role's index (vocab.h owns the names). */
static const char *const role_words[VIOS_ROLE_COUNT] = {
	[VIOS_ROLE_IDX_SCHOOL] = N_("school"),
	[VIOS_ROLE_IDX_POLICE] = N_("police"),
	[VIOS_ROLE_IDX_YOUTH_PROTECTION] = N_("youth protection and probation"),
	[VIOS_ROLE_IDX_SOCIAL_TEAM] = N_("social district team"),
	[VIOS_ROLE_IDX_ATTENDANCE] = N_("attendance officer"),
	[VIOS_ROLE_IDX_YOUTH_WORK] = N_("youth work"),
	[VIOS_ROLE_IDX_MUNICIPALITY] = N_("municipality"),
	[VIOS_ROLE_IDX_HUB] = N_("hub"),
	[VIOS_ROLE_IDX_AUDITOR] = N_("auditor"),
};

/* The other words of the vocabulary as the catalog has them: kinds,
 * statuses, triage states. The msgid is the word in English, '-' and '_'
 * as spaces. */
static const char *const words[][2] = {
	{ "partner", N_("partner") },
	{ "reported", N_("reported") },
	{ "discussed", N_("discussed") },
	{ "in-progress", N_("in progress") },
	{ "monitoring", N_("monitoring") },
	{ "closed", N_("closed") },
	{ "escalated", N_("escalated") },
	{ "new", N_("new") },
	{ "open", N_("open") },
	{ "done", N_("done") },
	{ "overdue", N_("overdue") },
	{ "planned", N_("planned") },
	{ "held", N_("held") },
	{ "theme", N_("theme") },
	{ "case", N_("case") },
	{ "low", N_("low") },
	{ "medium", N_("medium") },
	{ "high", N_("high") },
	{ "in", N_("in school") },
	{ "around", N_("around the school") },
	{ "public-task", N_("public task") },
	{ "consent", N_("consent") },
	{ "wpg-20", N_("police data act, art. 20") },
	{ "vital-interest", N_("vital interest") },
	{ "legal-obligation", N_("legal obligation") },
	{ "rising", N_("rising") },
	{ "stable", N_("stable") },
	{ "falling", N_("falling") },
	{ "thematic", N_("thematic meeting") },
	{ "steering", N_("steering meeting") },
	{ "evaluation", N_("evaluation") },
	{ "zorg-en-veiligheidshuis", N_("Zorg- en Veiligheidshuis") },
	{ "veilig-thuis", N_("Veilig Thuis") },
	{ "raad-kinderbescherming", N_("Raad voor de Kinderbescherming") },
	{ "linked", N_("linked to a case") },
	{ "create", N_("created") },
	{ "read", N_("read") },
	{ "update", N_("changed") },
	{ "erase", N_("erased") },
	{ "export", N_("sent") },
	{ "import", N_("received") },
	{ "yes", N_("yes") },
	{ "no", N_("no") },
};

const char *web_word(const char *word)
{
	int role = vios_role_index(word);

	/* never _(""): gettext answers the empty msgid with the catalog's header */
	if (word == NULL || *word == '\0')
		return "";
	if (role >= 0 && role_words[role])
		return _(role_words[role]);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(words[i][0], word))
			return _(words[i][1]);
	return _(word);
}

const char *web_role(const char *role)
{
	return web_word(role);
}

/*
 * A case's short reference: "Zaak 7F3KQ" in Dutch, the last 25 bits of
 * its id (a UUIDv7's random part) in Crockford's base32. The same on every
 * node that holds the case and for as long as the case lives, which a
 * running number would not be: a partner holds only some of a school's
 * cases, and erasure removes cases. The id stays the key in every URL.
 */
int web_case_ref(char *out, size_t len, vios_web_req *r, const char *case_id)
{
	static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	unsigned long bits;
	char code[6];
	size_t n;

	(void)r;
	if (case_id == NULL || (n = strlen(case_id)) < 7)
		return snprintf(out, len, "%s", _("Case ?")), -1;
	bits = strtoul(case_id + n - 7, NULL, 16) & 0x1ffffffUL;
	for (int i = 4; i >= 0; i--, bits >>= 5)
		code[i] = b32[bits & 31];
	code[5] = '\0';
	snprintf(out, len, _("Case %s"), code);
	return 0;
}
