/*
 * audit_checkpoint.c - audit checkpoints: loading one strictly, checking refs against it, writing
 * one. See audit.h for the contract and audit_internal.h for how the audit's files divide the
 * work.
 */
#include "sync/audit_internal.h"
#include "crypto/minisign.h"
#include "sync/git.h"
#include "sync/layout.h"
#include "sync/registry.h"
#include "util/error.h"
#include "util/json.h"
#include "util/util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bad_checkpoint(const char *path, const char *why)
{
	vios_error_set(VIOS_ERR_INPUT, "checkpoint %s: %s; refusing it (move it away to start a new one)", path, why);
	return VIOS_ECORRUPT;
}

static int hex_oid_ok(json_t *v)
{
	const char *s = json_string_value(v);
	git_oid o;
	return s && strlen(s) == GIT_OID_HEXSZ && strspn(s, "0123456789abcdef") == GIT_OID_HEXSZ &&
	       git_oid_fromstr(&o, s) == 0;
}

/* 1 when fp is a fingerprint exactly as vios_fingerprint_format writes it. */
static int fingerprint_as_written(const char *fp)
{
	uint8_t pin[VIOS_FINGERPRINT_BYTES];
	char canon[VIOS_FINGERPRINT_STRLEN + 1];

	if (fp == NULL || strlen(fp) != VIOS_FINGERPRINT_STRLEN || vios_fingerprint_parse(pin, fp) < 0)
		return 0;
	vios_fingerprint_format(canon, pin);
	return strcmp(canon, fp) == 0;
}

int audit_checkpoint_load(vios_audit *a, const char *path)
{
	static const char *const known[] = { "format", "hub_fingerprint", "source", "written_at", "registry", "nodes", NULL };
	uint8_t *buf = NULL;
	size_t len;
	json_t *o = NULL, *v, *reg, *nodes;
	json_error_t jerr;
	const char *key;
	int error;

	if ((error = vios_file_read(&buf, &len, path, VIOS_AUDIT_CHECKPOINT_MAX)) == VIOS_ENOTFOUND)
		return 0; /* the first run makes it */
	if (error == VIOS_ECORRUPT)
		return bad_checkpoint(path, "too large");
	if (error < 0)
		return error;
	error = VIOS_ECORRUPT;
	if ((o = json_loadb((char *)buf, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL || !json_is_object(o) ||
	    strcmp(json_string_value(json_object_get(o, "format")) ?: "", VIOS_AUDIT_CHECKPOINT_FORMAT) != 0) {
		error = bad_checkpoint(path, "not a vios audit checkpoint (format " VIOS_AUDIT_CHECKPOINT_FORMAT ")");
		goto done;
	}
	if (vios_json_unknown_key(o, known) != NULL) {
		error = bad_checkpoint(path, "unknown field");
		goto done;
	}
	reg = json_object_get(o, "registry");
	nodes = json_object_get(o, "nodes");
	{
		const char *fp = json_string_value(json_object_get(o, "hub_fingerprint"));
		if (!fingerprint_as_written(fp)) {
			error = bad_checkpoint(path, "no valid hub_fingerprint");
			goto done;
		}
	}
	if (!json_is_object(reg) || json_object_size(reg) != 2 || !hex_oid_ok(json_object_get(reg, "head")) ||
	    !json_is_integer(json_object_get(reg, "version")) || json_integer_value(json_object_get(reg, "version")) < 1) {
		error = bad_checkpoint(path, "no valid registry head and version");
		goto done;
	}
	if (!json_is_object(nodes)) {
		error = bad_checkpoint(path, "no nodes");
		goto done;
	}
	json_object_foreach(nodes, key, v) {
		json_t *seq = json_object_get(v, "last_seq");
		if (!vios_uuid_valid(key) || !json_is_object(v) || json_object_size(v) != 2 ||
		    !hex_oid_ok(json_object_get(v, "head")) || !json_is_integer(seq) || json_integer_value(seq) < 0) {
			error = bad_checkpoint(path, "a node entry is malformed");
			goto done;
		}
	}
	a->checkpoint = o;
	o = NULL;
	error = 0;
done:
	json_decref(o);
	free(buf);
	return error;
}

int audit_check_against_checkpoint(vios_audit *a, aref *r)
{
	json_t *cn = json_object_get(json_object_get(a->checkpoint, "nodes"), r->id);
	git_oid old;
	int ok, error;

	if (cn == NULL)
		return 0;
	git_oid_fromstr(&old, json_string_value(json_object_get(cn, "head")));
	if ((error = audit_descends(&ok, a, &r->head, &old)) < 0)
		return error;
	if (!ok) {
		char c12[13];
		audit_finding(a, r->id, 0, "ref " VIOS_NODES_REFS "%s was rewritten since the checkpoint: its history no longer holds commit %s (seq %lld then); force-pushed",
			r->id, audit_short_oid(c12, &old), (long long)json_integer_value(json_object_get(cn, "last_seq")));
		/* what was verified before cannot be told from what replaced it */
		if (r->cut == 0 || r->cut > 1) {
			r->cut = 1;
			snprintf(r->cut_why, sizeof(r->cut_why), "ref " VIOS_NODES_REFS "%s was rewritten since the checkpoint", r->id);
		}
	}
	return 0;
}

/* ---- checkpoint ------------------------------------------------------------ */

int vios_audit_checkpoint_write(const vios_audit *a, const char *path)
{
	json_t *doc = NULL, *nodes = NULL;
	char fp[VIOS_FINGERPRINT_STRLEN + 1], hex[GIT_OID_HEXSZ + 1], now[21], *text = NULL;
	int error = VIOS_ERROR;

	if (!a->verified || a->nfindings > 0 || !a->have_reg_head) {
		vios_error_set(VIOS_ERR_INPUT, "the checkpoint is written only when everything verified");
		return VIOS_EVERIFY;
	}
	vios_fingerprint_format(fp, a->pin);
	vios_now_iso(now);
	git_oid_tostr(hex, sizeof(hex), &a->reg_head);
	if ((nodes = json_object()) == NULL)
		goto nomem;
	for (size_t i = 0; i < a->nrefs; i++) {
		char h[GIT_OID_HEXSZ + 1];
		git_oid_tostr(h, sizeof(h), &a->refs[i].head);
		if (json_object_set_new(nodes, a->refs[i].id, json_pack("{s:s, s:I}", "head", h, "last_seq",
									 (json_int_t)a->refs[i].last_seq)) < 0)
			goto nomem;
	}
	doc = json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:I}, s:O}", "format", VIOS_AUDIT_CHECKPOINT_FORMAT,
			"hub_fingerprint", fp, "source", a->source, "written_at", now, "registry", "head", hex, "version",
			(json_int_t)a->reg_version, "nodes", nodes);
	if (doc == NULL || (text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) == NULL)
		goto nomem;
	{
		size_t len = strlen(text);
		char *t2 = realloc(text, len + 2);
		if (t2 == NULL)
			goto nomem;
		text = t2;
		text[len] = '\n';
		text[len + 1] = 0;
		error = vios_file_write_atomic(path, text, len + 1, 0644, 1);
	}
	goto done;
nomem:
	error = vios_error_nomem();
done:
	free(text);
	json_decref(doc);
	json_decref(nodes);
	return error;
}

