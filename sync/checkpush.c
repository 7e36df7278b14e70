/*
 * checkpush.c - vios hub check-push (see checkpush.h).
 *
 * The rules of a node ref's chain have one owner, the audit's verifier;
 * this file adds only what a push has and a repository does not: the
 * shape of git's input, deletions and fast-forwards, and the view of the
 * repository as it would be after the push (the audit reads the pushed
 * refs at their new commits, with the quarantined objects as an alternate).
 */
#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sync/audit.h"
#include "sync/checkpush.h"
#include "sync/git.h"
#include "sync/layout.h"
#include "util/error.h"
#include "util/util.h"

#define LINE_MAX_LEN (2 * GIT_OID_HEXSZ + 2 + VIOS_PUSH_REF_MAX + 2)

static int parse_line(vios_push_update *u, char *line)
{
	char *sp1 = strchr(line, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	size_t reflen;

	if (sp1 == NULL || sp2 == NULL || sp1 - line != GIT_OID_HEXSZ || sp2 - sp1 - 1 != GIT_OID_HEXSZ)
		return -1;
	*sp1 = *sp2 = 0;
	reflen = strlen(sp2 + 1);
	if (reflen == 0 || reflen >= sizeof(u->ref) || strchr(sp2 + 1, ' '))
		return -1;
	if (git_oid_fromstrn(&u->old_oid, line, GIT_OID_HEXSZ) < 0 ||
	    git_oid_fromstrn(&u->new_oid, sp1 + 1, GIT_OID_HEXSZ) < 0) {
		git_error_clear();
		return -1;
	}
	memcpy(u->ref, sp2 + 1, reflen + 1);
	return 0;
}

int vios_push_read(vios_push_update **out, size_t *n, FILE *in)
{
	vios_push_update *u = NULL;
	char line[LINE_MAX_LEN + 2];
	size_t count = 0, lineno = 0;
	int error = 0;

	assert(out && n && in);
	*out = NULL;
	*n = 0;
	while (fgets(line, sizeof(line), in) != NULL) {
		size_t len = strlen(line);
		lineno++;
		if (len == 0 || line[len - 1] != '\n') {
			vios_error_set(VIOS_ERR_INPUT, "push input line %zu is too long or not ended", lineno);
			error = VIOS_ECORRUPT;
			goto done;
		}
		line[len - 1] = 0;
		if (count == VIOS_PUSH_MAX_UPDATES) {
			vios_error_set(VIOS_ERR_INPUT, "a push of more than %d refs", VIOS_PUSH_MAX_UPDATES);
			error = VIOS_ECORRUPT;
			goto done;
		}
		if (count % 16 == 0) {
			vios_push_update *nu = realloc(u, (count + 16) * sizeof(*nu));
			if (nu == NULL) {
				error = vios_error_nomem();
				goto done;
			}
			u = nu;
		}
		if (parse_line(&u[count], line) < 0) {
			vios_error_set(VIOS_ERR_INPUT, "push input line %zu is not \"OLD NEW REF\"", lineno);
			error = VIOS_ECORRUPT;
			goto done;
		}
		count++;
	}
	if (ferror(in))
		error = vios_error_os("cannot read the push input");
done:
	if (error < 0) {
		free(u);
		return error;
	}
	*out = u;
	*n = count;
	return 0;
}

typedef struct {
	vios_push_refusal *v;
	size_t n;
} refusals;

static int refuse(refusals *r, const char *ref, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int refuse(refusals *r, const char *ref, const char *fmt, ...)
{
	vios_push_refusal *nv = realloc(r->v, (r->n + 1) * sizeof(*nv));
	va_list ap;

	if (nv == NULL)
		return vios_error_nomem();
	r->v = nv;
	snprintf(nv[r->n].ref, sizeof(nv[r->n].ref), "%s", ref);
	va_start(ap, fmt);
	vsnprintf(nv[r->n].why, sizeof(nv[r->n].why), fmt, ap);
	va_end(ap);
	r->n++;
	return 0;
}

/* The first checks, on the push itself: name, deletion, fast-forward. *pass = 1 when the ref goes on to the verifier. */
static int check_update(int *pass, refusals *r, git_repository *repo, const vios_push_update *u)
{
	const char *id = vios_layout_ref_node(u->ref, VIOS_NODES_REFS);
	int descends = 0, error;

	*pass = 0;
	if (id == NULL || !vios_uuid_valid(id))
		return refuse(r, u->ref, "only %s<node-id> may be pushed", VIOS_NODES_REFS);
	if (git_oid_is_zero(&u->new_oid))
		return refuse(r, u->ref, "deleting a node's ref");
	if (!git_oid_is_zero(&u->old_oid)) {
		if ((error = vios_git_descends(&descends, repo, &u->new_oid, &u->old_oid)) < 0)
			return error;
		if (!descends)
			return refuse(r, u->ref, "not a fast-forward (history may not be rewritten)");
	}
	*pass = 1;
	return 0;
}

int vios_push_check(vios_push_refusal **out, size_t *nout, const char *repo_path, const char *objects,
		    const vios_push_update *updates, size_t n)
{
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	vios_audit *a = NULL;
	vios_audit_ref_at *heads = NULL;
	refusals r = { 0 };
	size_t nheads = 0;
	int rc, error = 0;

	assert(out && nout && repo_path && (updates || n == 0));
	*out = NULL;
	*nout = 0;
	if ((error = vios_git_open(&repo, repo_path, 0)) < 0)
		goto done;
	if (objects && ((rc = git_repository_odb(&odb, repo)) < 0 || (rc = git_odb_add_disk_alternate(odb, objects)) < 0)) {
		error = vios_git_error(rc, objects);
		goto done;
	}
	if (n && (heads = calloc(n, sizeof(*heads))) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		int pass;
		if ((error = check_update(&pass, &r, repo, &updates[i])) < 0)
			goto done;
		if (pass) {
			snprintf(heads[nheads].node_id, sizeof(heads[nheads].node_id), "%s",
				 vios_layout_ref_node(updates[i].ref, VIOS_NODES_REFS));
			heads[nheads++].head = updates[i].new_oid;
		}
	}
	if (nheads) {
		vios_audit_opts opts = { .source = repo_path, .objects = objects, .only = heads, .nonly = nheads };
		const vios_audit_finding *f;
		size_t nf;
		if ((error = vios_audit_open(&a, &opts)) < 0 || (error = vios_audit_verify(a, NULL, NULL)) < 0)
			goto done;
		f = vios_audit_findings(a, &nf);
		for (size_t i = 0; i < nf; i++)
			for (size_t k = 0; k < nheads; k++) {
				char ref[VIOS_LAYOUT_REF_MAX];
				/* what every reader would refuse (the chain's rules, a bundle that is not
				 * trustworthy, the ref as a whole); a policy finding about an intact
				 * bundle (say, sealed to a partner revoked meanwhile) is the auditor's */
				if (strcmp(f[i].node, heads[k].node_id) != 0 || !(f[i].chain || f[i].breaking || f[i].seq == 0))
					continue;
				vios_layout_node_ref(ref, sizeof(ref), VIOS_NODES_REFS, heads[k].node_id);
				if (f[i].seq)
					error = refuse(&r, ref, "bundle %lld: %s", f[i].seq, f[i].what);
				else
					error = refuse(&r, ref, "%s", f[i].what);
				if (error < 0)
					goto done;
			}
	}
done:
	vios_audit_free(a);
	free(heads);
	git_odb_free(odb);
	git_repository_free(repo);
	if (error < 0) {
		free(r.v);
		return error;
	}
	*out = r.v;
	*nout = r.n;
	return 0;
}
