/*
 * fuzz_covenant.c - the covenant reader: vios_covenant_parse on the input
 * (JSON, the exact bytes), then the rendering of what it accepted. A
 * covenant it accepts has a version from 1, keeps its text and document;
 * in -1 and -2 the auditor receives every category (scope content), in -3
 * and -4 it is never among receives; local themes (-4 only) are theme words,
 * no base theme, each once, with a Dutch label; the hub never receives case data by its own
 * role; each marked field goes to partner roles that receive case data; and
 * every page renders.
 */
#include "tools/fuzz/fuzz.h"

#include "sync/registry.h"

int fuzz_covenant(const uint8_t *data, size_t size)
{
	static const char *const formats[] = { "text", "markdown", "json" };
	vios_covenant c;
	int auditor = vios_role_index("auditor"), hub = vios_role_index("hub");

	if (vios_covenant_parse(&c, (const char *)data, size) == 0) {
		int v3 = c.format >= 3;
		FUZZ_CHECK(c.format >= 1 && c.format <= 4);
		FUZZ_CHECK(c.version >= 1);
		FUZZ_CHECK(c.themes.n <= VIOS_THEME_LOCAL_MAX && (c.format == 4 || c.themes.n == 0));
		for (size_t i = 0; i < c.themes.n; i++) {
			FUZZ_CHECK(vios_theme_word_valid(c.themes.local[i].name) && !vios_theme_valid(c.themes.local[i].name));
			FUZZ_CHECK(vios_theme_local_find(&c.themes, c.themes.local[i].name) == &c.themes.local[i]);
			FUZZ_CHECK(c.themes.local[i].nl[0] != 0);
		}
		FUZZ_CHECK(auditor >= 0 && hub >= 0);
		FUZZ_CHECK(c.text != NULL && c.doc != NULL);
		if (v3)
			FUZZ_CHECK(!(((c.receives[0] | c.receives[1]) >> auditor) & 1));
		else
			FUZZ_CHECK(((c.receives[0] & c.receives[1]) >> auditor) & 1 && c.auditor_scope == VIOS_AUDITOR_CONTENT);
		FUZZ_CHECK(!((c.receives[1] >> hub) & 1));
		FUZZ_CHECK(c.nfields <= 64 && (v3 || c.nfields == 0));
		for (size_t i = 0; i < c.nfields; i++) {
			FUZZ_CHECK(c.fields[i].marking == VIOS_MARK_ART9 || c.fields[i].marking == VIOS_MARK_ART10);
			FUZZ_CHECK(c.fields[i].receives != 0 && (c.fields[i].receives & ~c.receives[1]) == 0);
			FUZZ_CHECK(vios_covenant_field_find(&c, c.fields[i].tbl, c.fields[i].col) == &c.fields[i]);
		}
		for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
			char *page = NULL;
			FUZZ_CHECK(vios_covenant_render(&page, &c, formats[i], NULL, 0) == 0 && page != NULL);
			free(page);
		}
	}
	/* dispose is safe after a failure too (parse zeroes c first) */
	vios_covenant_dispose(&c);
	return 0;
}

FUZZ_ENTRY(fuzz_covenant)
