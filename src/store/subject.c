/*
 * subject.c - see subject.h.
 *
 * Who received a record is read from this node's own sending: every change
 * it made is a row of crdt_change, and an export marks the rows it sealed
 * "up to seq N", N the last bundle of that export. The bundles of that
 * export (seq after the previous export's last, up to N) whose signed
 * header says they carry case data name the recipients. A record's row
 * is counted sent to every recipient of those bundles: an export may seal
 * several cases to different nodes, so this can name a node that got only
 * another case of the same export, never one that got nothing. The report
 * says so in its notes.
 */
#include "store/subject.h"
#include "store/directory.h"
#include "store/records.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define SEALED_PREFIX "up to seq "

/* ---- redaction ----------------------------------------------------------- */

static int word_byte(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* 1 when name occurs at text + i as a whole word. */
static int match_at(const char *text, size_t i, const char *name, size_t len)
{
	for (size_t k = 0; k < len; k++)
		if (ascii_lower((unsigned char)text[i + k]) != ascii_lower((unsigned char)name[k]))
			return 0;
	if (i > 0 && word_byte((unsigned char)text[i - 1]))
		return 0;
	return !word_byte((unsigned char)text[i + len]);
}

static int by_length_desc(const void *a, const void *b)
{
	size_t la = strlen(*(const char *const *)a), lb = strlen(*(const char *const *)b);
	return la < lb ? 1 : la > lb ? -1 : 0;
}

int vios_subject_redact(char **out, const char *text, const json_t *names)
{
	const char **sorted = NULL;
	size_t nnames = 0, cap, len = 0, i = 0, rlen = strlen(VIOS_SUBJECT_REDACTED);
	char *buf = NULL;
	const json_t *v;
	size_t k;
	int error = 0;

	assert(out != NULL && text != NULL && json_is_array(names));
	*out = NULL;
	if ((sorted = calloc(json_array_size(names) + 1, sizeof(*sorted))) == NULL)
		return vios_error_nomem();
	json_array_foreach(names, k, v)
		if (json_string_value(v) && *json_string_value(v))
			sorted[nnames++] = json_string_value(v);
	qsort(sorted, nnames, sizeof(*sorted), by_length_desc);
	/* each replacement at most rlen for at least one byte */
	cap = strlen(text) * (rlen + 1) + 1;
	if ((buf = malloc(cap)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	while (text[i]) {
		size_t hit = 0;
		for (size_t n = 0; n < nnames && !hit; n++) {
			/* match_at stops at the text's end (a NUL never equals a name byte) */
			size_t nl = strlen(sorted[n]);
			if (nl > 0 && match_at(text, i, sorted[n], nl))
				hit = nl;
		}
		if (hit) {
			memcpy(buf + len, VIOS_SUBJECT_REDACTED, rlen);
			len += rlen;
			i += hit;
		} else {
			buf[len++] = text[i++];
		}
	}
	buf[len] = 0;
	*out = buf;
	buf = NULL;
done:
	free(buf);
	free(sorted);
	return error;
}

/* Redacts the free-text columns cols (NULL-terminated) of every row. */
static int redact_rows(json_t *rows, const char *const *cols, const json_t *names)
{
	json_t *row;
	size_t i;
	int error;

	json_array_foreach(rows, i, row)
		for (const char *const *c = cols; *c; c++) {
			const char *v = json_string_value(json_object_get(row, *c));
			char *r = NULL;
			if (v == NULL)
				continue;
			if ((error = vios_subject_redact(&r, v, names)) < 0)
				return error;
			error = json_object_set_new(row, *c, json_string(r)) < 0 ? vios_error_nomem() : 0;
			free(r);
			if (error < 0)
				return error;
		}
	return 0;
}

/* Each row's "lost_values": the values a concurrent edit replaced that the
 * merge keeps (crdt_conflict, `vios conflicts`), free text redacted as the
 * row's own: the node holds them too. */
static int lost_values(json_t *rows, vios_store *st, const char *tbl, const json_t *names)
{
	json_t *row, *lost = NULL, *e;
	size_t i, k;
	int error = 0;

	json_array_foreach(rows, i, row) {
		const char *p[] = { tbl, json_string_value(json_object_get(row, "id")) };
		if (p[1] == NULL)
			continue;
		if ((error = vios_query(&lost, st, "SELECT col, value, recorded_at FROM crdt_conflict"
					" WHERE tbl = ?1 AND pk = ?2 ORDER BY recorded_at, col, hlc", p, 2)) < 0)
			goto done;
		json_array_foreach(lost, k, e) {
			const char *v = json_string_value(json_object_get(e, "value"));
			char *r = NULL;
			if (v == NULL)
				continue;
			if ((error = vios_subject_redact(&r, v, names)) < 0)
				goto done;
			error = json_object_set_new(e, "value", json_string(r)) < 0 ? vios_error_nomem() : 0;
			free(r);
			if (error < 0)
				goto done;
		}
		if (json_object_set_new(row, "lost_values", lost) < 0) {
			lost = NULL;
			error = vios_error_nomem();
			goto done;
		}
		lost = NULL;
	}
done:
	json_decref(lost);
	return error;
}

/* ---- who made and who received ------------------------------------------ */

/* A node's name: this node's own, the registry's, else its id. */
static void node_name(char *out, size_t len, vios_store *st, const char *node_id)
{
	vios_reg_node n;

	if (node_id == NULL) {
		snprintf(out, len, "(unknown)");
		return;
	}
	if (!strcmp(node_id, st->node->node_id))
		snprintf(out, len, "%s", st->node->name);
	else if (vios_store_reg_node_get(&n, st, node_id) == 0)
		snprintf(out, len, "%s", n.name);
	else
		snprintf(out, len, "%s", node_id);
	vios_error_clear();
}

/* What the report needs of this node's sending, read once. */
typedef struct {
	json_t *exports; /* [{upto}] ascending: the last seq of every export that sealed changes */
	json_t *bundles; /* [{seq, header (parsed), created_at}] ascending */
} sending;

static int sending_load(sending *s, vios_store *st)
{
	json_t *rows = NULL, *row;
	size_t i;
	int error;

	s->exports = s->bundles = NULL;
	if ((error = vios_query(&s->exports, st,
				"SELECT DISTINCT CAST(substr(sealed_in, 11) AS INTEGER) AS upto FROM crdt_change"
				" WHERE sealed_in LIKE '" SEALED_PREFIX "%' ORDER BY upto", NULL, 0)) < 0 ||
	    (error = vios_query(&rows, st, "SELECT seq, header, created_at FROM outbox ORDER BY seq", NULL, 0)) < 0)
		goto done;
	json_array_foreach(rows, i, row) {
		json_t *h = json_loads(json_string_value(json_object_get(row, "header")) ?: "", 0, NULL);
		/* a header that does not parse is left out, as one with no recipients */
		if (h != NULL && json_object_set_new(row, "header", h) < 0) {
			error = vios_error_nomem();
			goto done;
		}
		if (h == NULL)
			json_object_del(row, "header");
	}
	s->bundles = rows;
	rows = NULL;
done:
	json_decref(rows);
	return error;
}

static void sending_dispose(sending *s)
{
	json_decref(s->exports);
	json_decref(s->bundles);
}

static int has_string(const json_t *arr, const char *s)
{
	const json_t *v;
	size_t i;

	json_array_foreach(arr, i, v)
		if (json_string_value(v) && !strcmp(json_string_value(v), s))
			return 1;
	return 0;
}

/* Adds the recipients of the case bundles with seq in (lo, hi] to sent. */
static int sent_by_export(json_t *sent, vios_store *st, const sending *s, long long lo, long long hi)
{
	json_t *b, *r;
	size_t i, k;
	char name[VIOS_NAME_MAX + 40];

	json_array_foreach(s->bundles, i, b) {
		long long seq = json_integer_value(json_object_get(b, "seq"));
		json_t *h = json_object_get(b, "header");
		if (seq <= lo || seq > hi || !has_string(json_object_get(h, "categories"), "case"))
			continue;
		json_array_foreach(json_object_get(h, "recipients"), k, r) {
			const char *id = json_string_value(r);
			json_t *e;
			size_t j;
			int known = 0;
			if (id == NULL || !strcmp(id, st->node->node_id))
				continue;
			json_array_foreach(sent, j, e)
				known |= !strcmp(json_string_value(json_object_get(e, "node_id")), id);
			if (known)
				continue;
			node_name(name, sizeof(name), st, id);
			if (json_array_append_new(sent, json_pack("{s:s, s:s, s:I, s:O}", "node_id", id, "name", name,
								   "seq", (json_int_t)seq, "at",
								   json_object_get(b, "created_at"))) < 0)
				return vios_error_nomem();
		}
	}
	return 0;
}

/* Sets "made_by" and "sent" on every row of rows (records of tbl). */
static int provenance(json_t *rows, vios_store *st, const char *tbl, const sending *s)
{
	json_t *row, *uptos = NULL, *u, *e, *sent = NULL;
	size_t i, k, j;
	char name[VIOS_NAME_MAX + 40];
	int error = 0;

	json_array_foreach(rows, i, row) {
		const char *origin = json_string_value(json_object_get(row, "origin"));
		const char *p[] = { tbl, json_string_value(json_object_get(row, "id")) };
		int here = origin && !strcmp(origin, st->node->node_id);

		node_name(name, sizeof(name), st, origin);
		if (json_object_set_new(row, "made_by", json_pack("{s:s?, s:s, s:b}", "node_id", origin, "name", name,
								  "here", here)) < 0 ||
		    (sent = json_array()) == NULL) {
			error = vios_error_nomem();
			goto done;
		}
		if (p[1] && (error = vios_query(&uptos, st,
						"SELECT DISTINCT CAST(substr(sealed_in, 11) AS INTEGER) AS upto"
						" FROM crdt_change WHERE tbl = ?1 AND pk = ?2"
						" AND sealed_in LIKE '" SEALED_PREFIX "%' ORDER BY upto", p, 2)) < 0)
			goto done;
		json_array_foreach(uptos, k, u) {
			long long hi = json_integer_value(json_object_get(u, "upto")), lo = 0;
			json_array_foreach(s->exports, j, e) {
				long long v = json_integer_value(json_object_get(e, "upto"));
				if (v < hi && v > lo)
					lo = v;
			}
			if ((error = sent_by_export(sent, st, s, lo, hi)) < 0)
				goto done;
		}
		json_decref(uptos);
		uptos = NULL;
		if (json_object_set_new(row, "sent", sent) < 0) {
			sent = NULL;
			error = vios_error_nomem();
			goto done;
		}
		sent = NULL;
	}
done:
	json_decref(uptos);
	json_decref(sent);
	return error;
}

/* ---- the report ---------------------------------------------------------- */

static const char *const notes[] = {
	"Sent: the nodes this node's bundles carried a record's changes to, with the bundle and its"
	" time. One sending may carry several cases to different nodes, so a node can be named for a"
	" record it received with others; a node is never left out. Rows forwarded later to a role"
	" added to a case are named in that case's sending.",
	"Received from: a record another node made and sent here.",
	"Replaced values: when two nodes changed the same field at once, the value that lost is kept"
	" with the record (\"lost_values\") and shown here with the field and when it was replaced.",
	"Redaction: the names of other pupils held here are replaced by \"" VIOS_SUBJECT_REDACTED "\""
	" in free text. Names of other people (parents, staff, partners) cannot be known to the software"
	" and are not redacted: read the free text before handing the report over.",
	NULL
};

int vios_subject_report(json_t **out, vios_store *st, const char *id, const char *reason)
{
	static const char *const t_pupil[] = { "guardian_contact", NULL };
	static const char *const t_signal[] = { "note", "source", "not_informed_reason", NULL };
	static const char *const t_case[] = { "police_info", "care_info", "not_informed_reason", NULL };
	static const char *const t_meeting[] = { "minutes", NULL };
	static const char *const t_agreement[] = { "action", "feedback", NULL };
	json_t *pupil = NULL, *signals = NULL, *cases = NULL, *meetings = NULL, *agreements = NULL;
	json_t *others = NULL, *names = NULL, *nl = NULL, *doc = NULL, *v;
	sending s = { NULL, NULL };
	const char *p[] = { id };
	char now[21], why[4200];
	size_t i;
	int error;

	assert(out != NULL && st != NULL && st->node != NULL && id != NULL);
	*out = NULL;
	if (reason && strlen(reason) > 4000) {
		vios_error_set(VIOS_ERR_INPUT, "--reason: longer than 4000 characters");
		return VIOS_EUSAGE;
	}
	if ((error = vios_pupil_row(&pupil, st, id)) < 0)
		goto done;
	if ((error = vios_query(&signals, st, "SELECT * FROM signal s WHERE " VIOS_SQL_SIGNAL_ABOUT("s", "?1") " ORDER BY seen_at, id",
				p, 1)) < 0 ||
	    (error = vios_query(&cases, st, "SELECT * FROM case_file WHERE pupil_id = ? ORDER BY opened_at, id", p, 1)) < 0 ||
	    (error = vios_query(&meetings, st,
				"SELECT * FROM meeting WHERE case_id IN (SELECT id FROM case_file WHERE pupil_id = ?1)"
				" ORDER BY date, id", p, 1)) < 0 ||
	    (error = vios_query(&agreements, st,
				"SELECT * FROM agreement WHERE case_id IN (SELECT id FROM case_file WHERE pupil_id = ?1)"
				" OR meeting_id IN (SELECT m.id FROM meeting m JOIN case_file c ON m.case_id = c.id"
				" WHERE c.pupil_id = ?1) ORDER BY due_date, id", p, 1)) < 0 ||
	    (error = vios_query(&others, st, "SELECT DISTINCT name FROM pupil WHERE id != ?1 AND name IS NOT NULL",
				p, 1)) < 0)
		goto done;
	if ((names = json_array()) == NULL || (nl = json_array()) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	json_array_foreach(others, i, v)
		if (json_array_append(names, json_object_get(v, "name")) < 0) {
			error = vios_error_nomem();
			goto done;
		}
	for (const char *const *n = notes; *n; n++)
		if (json_array_append_new(nl, json_string(*n)) < 0) {
			error = vios_error_nomem();
			goto done;
		}
	if ((error = vios_pupil_age_mark(pupil)) < 0 || (error = sending_load(&s, st)) < 0 ||
	    (error = redact_rows(pupil, t_pupil, names)) < 0 || (error = redact_rows(signals, t_signal, names)) < 0 ||
	    (error = redact_rows(cases, t_case, names)) < 0 || (error = redact_rows(meetings, t_meeting, names)) < 0 ||
	    (error = redact_rows(agreements, t_agreement, names)) < 0 ||
	    (error = provenance(pupil, st, "pupil", &s)) < 0 || (error = provenance(signals, st, "signal", &s)) < 0 ||
	    (error = provenance(cases, st, "case_file", &s)) < 0 ||
	    (error = provenance(meetings, st, "meeting", &s)) < 0 ||
	    (error = provenance(agreements, st, "agreement", &s)) < 0 ||
	    (error = lost_values(pupil, st, "pupil", names)) < 0 || (error = lost_values(signals, st, "signal", names)) < 0 ||
	    (error = lost_values(cases, st, "case_file", names)) < 0 ||
	    (error = lost_values(meetings, st, "meeting", names)) < 0 ||
	    (error = lost_values(agreements, st, "agreement", names)) < 0)
		goto done;
	vios_now_iso(now);
	if ((doc = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:s?, s:O, s:O, s:O, s:O, s:O, s:O}",
			     "format", "vios-subject-report-1", "generated_at", now,
			     "node", "id", st->node->node_id, "name", st->node->name, "kind", st->node->kind,
			     "role", st->node->role, "reason", reason,
			     "pupil", json_array_get(pupil, 0), "signals", signals, "cases", cases,
			     "meetings", meetings, "agreements", agreements, "notes", nl)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	if ((error = vios_snprintf(why, sizeof(why), "subject access: %s",
				   reason && *reason ? reason : "(no reason given)")) < 0 ||
	    (error = vios_store_log(st, "read", "pupil", id, why)) < 0)
		goto done;
	*out = doc;
	doc = NULL;
done:
	sending_dispose(&s);
	json_decref(pupil);
	json_decref(signals);
	json_decref(cases);
	json_decref(meetings);
	json_decref(agreements);
	json_decref(others);
	json_decref(names);
	json_decref(nl);
	json_decref(doc);
	return error;
}
