/*
 * vocab.c - the one table of node kinds, roles and themes (see vocab.h),
 * the base themes' Dutch labels, and the shape of a theme word.
 *
 * Each word is spelled once, as a macro below; the tables are indexed by
 * the enums of vocab.h (designated initializers, so an index cannot drift
 * from its name) and the "a, b, c" lists for messages are concatenated
 * from the same macros at compile time.
 */
#include "node/vocab.h"

#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define K_SCHOOL "school"
#define K_PARTNER "partner"
#define K_HUB "hub"
#define K_AUDITOR "auditor"

#define R_SCHOOL "school"
#define R_POLICE "police"
#define R_YOUTH_PROTECTION "youth-protection"
#define R_SOCIAL_TEAM "social-team"
#define R_ATTENDANCE "attendance"
#define R_YOUTH_WORK "youth-work"
#define R_MUNICIPALITY "municipality"
#define R_HUB "hub"
#define R_AUDITOR "auditor"

#define ROLE_TABLE_LIST R_SCHOOL ", " R_POLICE ", " R_YOUTH_PROTECTION ", " R_SOCIAL_TEAM ", " \
	R_ATTENDANCE ", " R_YOUTH_WORK ", " R_MUNICIPALITY
#define ROLE_LIST ROLE_TABLE_LIST ", " R_HUB ", " R_AUDITOR
#define ROLE_PARTNER_LIST R_POLICE ", " R_YOUTH_PROTECTION ", " R_SOCIAL_TEAM ", " R_ATTENDANCE ", " \
	R_YOUTH_WORK " or " R_MUNICIPALITY
#define KIND_LIST K_SCHOOL ", " K_PARTNER ", " K_HUB " or " K_AUDITOR

/* the base themes: name, Dutch label (the order is the report's: never reorder, only append) */
#define THEMES(X) X("weapons", "Wapens") X("drugs-use", "Drugsgebruik") X("drugs-trade", "Drugshandel") \
	X("alcohol", "Alcohol") X("exploitation", "Uitbuiting") X("sexting", "Sexting") \
	X("street-culture", "Straatcultuur") X("polarisation", "Polarisatie") X("nuisance", "Overlast") \
	X("vandalism", "Vandalisme") X("crime", "Criminaliteit") X("other", "Overig")

static const char *const kinds[VIOS_KIND_COUNT] = {
	[VIOS_KIND_SCHOOL] = K_SCHOOL,
	[VIOS_KIND_PARTNER] = K_PARTNER,
	[VIOS_KIND_HUB] = K_HUB,
	[VIOS_KIND_AUDITOR] = K_AUDITOR,
};

static const char *const roles[VIOS_ROLE_COUNT] = {
	[VIOS_ROLE_IDX_SCHOOL] = R_SCHOOL,
	[VIOS_ROLE_IDX_POLICE] = R_POLICE,
	[VIOS_ROLE_IDX_YOUTH_PROTECTION] = R_YOUTH_PROTECTION,
	[VIOS_ROLE_IDX_SOCIAL_TEAM] = R_SOCIAL_TEAM,
	[VIOS_ROLE_IDX_ATTENDANCE] = R_ATTENDANCE,
	[VIOS_ROLE_IDX_YOUTH_WORK] = R_YOUTH_WORK,
	[VIOS_ROLE_IDX_MUNICIPALITY] = R_MUNICIPALITY,
	[VIOS_ROLE_IDX_HUB] = R_HUB,
	[VIOS_ROLE_IDX_AUDITOR] = R_AUDITOR,
};

#define THEME_NAME(s, nl) s,
#define THEME_LABEL(s, nl) nl,
#define THEME_ITEM(s, nl) ", " s
static const char *const themes[] = { THEMES(THEME_NAME) };
static const char *const theme_labels[] = { THEMES(THEME_LABEL) };
/* ", a, b, c": the list for messages starts after the first separator */
static const char theme_list[] = THEMES(THEME_ITEM);

_Static_assert(sizeof(themes) / sizeof(themes[0]) == VIOS_THEME_COUNT, "VIOS_THEME_COUNT");
_Static_assert(sizeof(theme_labels) / sizeof(theme_labels[0]) == VIOS_THEME_COUNT, "a label per theme");
/* a case row's role mask is a uint32_t, a covenant's receives an unsigned */
_Static_assert(VIOS_ROLE_COUNT <= 32, "role bits fit a mask");

/* The index of s in list[0..n), or -1. */
static int lookup(const char *const *list, int n, const char *s)
{
	assert(list != NULL);
	for (int i = 0; s && i < n; i++)
		if (!strcmp(list[i], s))
			return i;
	return -1;
}

int vios_kind_index(const char *kind)
{
	return lookup(kinds, VIOS_KIND_COUNT, kind);
}

const char *vios_kind_name(int i)
{
	return i >= 0 && i < VIOS_KIND_COUNT ? kinds[i] : NULL;
}

int vios_kind_valid(const char *kind)
{
	return vios_kind_index(kind) >= 0;
}

const char *vios_kind_list(void)
{
	return KIND_LIST;
}

int vios_role_index(const char *role)
{
	return lookup(roles, VIOS_ROLE_COUNT, role);
}

const char *vios_role_name(int i)
{
	return i >= 0 && i < VIOS_ROLE_COUNT ? roles[i] : NULL;
}

int vios_role_valid(const char *role)
{
	return vios_role_index(role) >= 0;
}

int vios_role_at_table(const char *role)
{
	int i = vios_role_index(role);

	return i >= 0 && i < VIOS_ROLE_TABLE_COUNT;
}

uint32_t vios_role_bit(const char *role)
{
	int i = vios_role_index(role);

	return i >= 0 && i < VIOS_ROLE_TABLE_COUNT ? 1u << i : 0;
}

uint32_t vios_role_mask(const char *list)
{
	uint32_t mask = 0;
	char name[32];

	while (list && *list) {
		size_t n = strcspn(list, ",");
		size_t a = 0, b = n;
		while (a < b && list[a] == ' ')
			a++;
		while (b > a && list[b - 1] == ' ')
			b--;
		if (b - a < sizeof(name)) {
			memcpy(name, list + a, b - a);
			name[b - a] = 0;
			mask |= vios_role_bit(name);
		}
		list += n + (list[n] == ',');
	}
	return mask;
}

int vios_role_fits_kind(const char *role, const char *kind)
{
	int k = vios_kind_index(kind), r = vios_role_index(role);

	if (k < 0 || r < 0)
		return 0;
	if (k == VIOS_KIND_PARTNER)
		return r < VIOS_ROLE_TABLE_COUNT && r != VIOS_ROLE_IDX_SCHOOL;
	return !strcmp(kinds[k], roles[r]);
}

const char *vios_role_list(void)
{
	return ROLE_LIST;
}

const char *vios_role_table_list(void)
{
	return ROLE_TABLE_LIST;
}

const char *vios_role_partner_list(void)
{
	return ROLE_PARTNER_LIST;
}

int vios_role_mask_format(char *buf, size_t len, uint32_t mask)
{
	size_t used = 0;

	assert(buf != NULL);
	if (len == 0)
		return -1;
	buf[0] = 0;
	for (int i = 0; i < VIOS_ROLE_TABLE_COUNT; i++) {
		size_t need = strlen(roles[i]) + (used != 0);
		if (!(mask & (1u << i)))
			continue;
		if (used + need >= len) {
			buf[0] = 0;
			return -1;
		}
		snprintf(buf + used, len - used, "%s%s", used ? "," : "", roles[i]);
		used += need;
	}
	return 0;
}

int vios_theme_index(const char *theme)
{
	return lookup(themes, VIOS_THEME_COUNT, theme);
}

const char *vios_theme_name(int i)
{
	return i >= 0 && i < VIOS_THEME_COUNT ? themes[i] : NULL;
}

int vios_theme_valid(const char *theme)
{
	return vios_theme_index(theme) >= 0;
}

const char *vios_theme_list(void)
{
	return theme_list + 2;
}

const char *vios_theme_label_nl(int i)
{
	return i >= 0 && i < VIOS_THEME_COUNT ? theme_labels[i] : NULL;
}

int vios_theme_word_valid(const char *s)
{
	size_t n;

	if (s == NULL || !(*s >= 'a' && *s <= 'z'))
		return 0;
	n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-");
	return s[n] == '\0' && n <= VIOS_THEME_NAME_MAX;
}

const vios_theme_local *vios_theme_local_find(const vios_theme_set *set, const char *theme)
{
	assert(set == NULL || set->n <= VIOS_THEME_LOCAL_MAX);
	for (size_t i = 0; set && theme && i < set->n; i++)
		if (!strcmp(set->local[i].name, theme))
			return &set->local[i];
	return NULL;
}

int vios_theme_known(const vios_theme_set *set, const char *theme)
{
	return vios_theme_valid(theme) || vios_theme_local_find(set, theme) != NULL;
}

const char *vios_theme_label(const vios_theme_set *set, const char *theme)
{
	const vios_theme_local *l;
	int i = vios_theme_index(theme);

	if (i >= 0)
		return theme_labels[i];
	if ((l = vios_theme_local_find(set, theme)) != NULL)
		return l->nl;
	return theme;
}

int vios_theme_list_all(char *buf, size_t len, const vios_theme_set *set)
{
	size_t used;

	assert(buf != NULL && len > 0);
	assert(set == NULL || set->n <= VIOS_THEME_LOCAL_MAX);
	if ((used = strlen(vios_theme_list())) >= len) {
		buf[0] = 0;
		return -1;
	}
	memcpy(buf, vios_theme_list(), used + 1);
	for (size_t i = 0; set && i < set->n; i++) {
		size_t need = 2 + strlen(set->local[i].name);
		if (used + need >= len)
			return -1;
		snprintf(buf + used, len - used, ", %s", set->local[i].name);
		used += need;
	}
	return 0;
}

/* ---- case statuses ---- */

static const char *const case_statuses[VIOS_CASE_STATUS_COUNT] = {
	[VIOS_CASE_REPORTED] = "reported",
	[VIOS_CASE_DISCUSSED] = "discussed",
	[VIOS_CASE_IN_PROGRESS] = "in-progress",
	[VIOS_CASE_MONITORING] = "monitoring",
	[VIOS_CASE_CLOSED] = "closed",
	[VIOS_CASE_ESCALATED] = "escalated",
};

int vios_case_status_index(const char *status)
{
	for (int i = 0; status != NULL && i < VIOS_CASE_STATUS_COUNT; i++)
		if (!strcmp(case_statuses[i], status))
			return i;
	return -1;
}

const char *vios_case_status_name(int i)
{
	return i >= 0 && i < VIOS_CASE_STATUS_COUNT ? case_statuses[i] : NULL;
}

int vios_case_status_final(const char *status)
{
	int i = vios_case_status_index(status);

	return i == VIOS_CASE_CLOSED || i == VIOS_CASE_ESCALATED;
}
