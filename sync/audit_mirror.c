/*
 * audit_mirror.c - the audit's private working directory and its read-only mirror of the source
 * repository. See audit.h for the contract and audit_internal.h for how the audit's files divide
 * the work.
 */
#include "sync/audit_internal.h"
#include "sync/git.h"
#include "sync/net.h"
#include "sync/layout.h"
#include "util/error.h"
#include "util/util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- opening: working directory, mirror, checkpoint ------------------------- */

int audit_make_workdir(vios_audit *a)
{
	const char *tmp = getenv("TMPDIR");

	if (tmp == NULL || !*tmp)
		tmp = "/tmp";
	if (vios_snprintf(a->dir, sizeof(a->dir), "%s/vios-audit.XXXXXX", tmp) < 0)
		return VIOS_ERROR;
	if (mkdtemp(a->dir) == NULL) {
		int error = vios_error_os("cannot make a working directory under %s", tmp);
		a->dir[0] = 0;
		return error;
	}
	return 0;
}

/*
 * A repository on a local path (or file://) is not fetched: fetching makes
 * libgit2 pack every tree of every commit afresh, and a node's bundles
 * tree grows with each commit, so that costs time quadratic in the
 * history. Instead the mirror borrows the source's object store read-only
 * as an alternate (objects are content-addressed; libgit2 checks each
 * object's hash when it reads it) and takes a snapshot of its refs.
 */
static int mirror_local(vios_audit *a, const char *path)
{
	git_repository *src = NULL;
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	git_odb *odb = NULL;
	char objects[PATH_MAX];
	int rc, error = 0;

	if ((rc = git_repository_open_ext(&src, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL)) < 0) {
		vios_error_set(VIOS_ERR_GIT, "%s is not a git repository", path);
		git_error_clear();
		return VIOS_ERROR;
	}
	if ((error = vios_snprintf(objects, sizeof(objects), "%sobjects", git_repository_commondir(src))) < 0)
		goto done;
	if ((rc = git_repository_odb(&odb, a->repo)) < 0 || (rc = git_odb_add_disk_alternate(odb, objects)) < 0 ||
	    (a->objects[0] && (rc = git_odb_add_disk_alternate(odb, a->objects)) < 0) ||
	    (rc = git_reference_iterator_glob_new(&it, src, VIOS_HEADS_GLOB)) < 0) {
		error = vios_git_error(rc, path);
		goto done;
	}
	while ((rc = git_reference_next(&ref, it)) == 0) {
		const char *name = git_reference_name(ref), *id;
		git_reference *resolved = NULL, *made = NULL;
		char dst[300];
		dst[0] = 0;
		if (!strcmp(name, VIOS_REGISTRY_REF))
			snprintf(dst, sizeof(dst), "%s", VIOS_MIRROR_REGISTRY_REF);
		else if ((id = vios_layout_ref_node(name, VIOS_NODES_REFS)) != NULL)
			snprintf(dst, sizeof(dst), "%s%s", VIOS_MIRROR_NODES, id);
		if (dst[0] && git_reference_resolve(&resolved, ref) == 0 && git_reference_target(resolved)) {
			rc = git_reference_create(&made, a->repo, dst, git_reference_target(resolved), 1, "vios audit: snapshot");
			git_reference_free(made);
			if (rc < 0) {
				git_reference_free(resolved);
				git_reference_free(ref);
				error = vios_git_error(rc, name);
				goto done;
			}
		}
		git_reference_free(resolved);
		git_reference_free(ref);
	}
	if (rc != GIT_ITEROVER) {
		error = vios_git_error(rc, path);
		goto done;
	}
	/* a push about to land: its refs as they will be */
	for (size_t i = 0; i < a->nonly; i++) {
		git_reference *made = NULL;
		char dst[VIOS_LAYOUT_REF_MAX];
		vios_layout_node_ref(dst, sizeof(dst), VIOS_MIRROR_NODES, a->only[i].node_id);
		/* the pushed head is a commit the push brought (libgit2 no longer
		 * checks what a new ref names: sync/git.c) */
		if ((error = vios_git_check_object(a->repo, &a->only[i].head, GIT_OBJECT_COMMIT, VIOS_GIT_COMMIT_MAX,
						   dst)) < 0)
			goto done;
		rc = git_reference_create(&made, a->repo, dst, &a->only[i].head, 1, "vios audit: pushed head");
		git_reference_free(made);
		if (rc < 0) {
			error = vios_git_error(rc, dst);
			goto done;
		}
	}
done:
	git_reference_iterator_free(it);
	git_odb_free(odb);
	git_repository_free(src);
	return error;
}

int audit_fetch_mirror(vios_audit *a)
{
	static const char *const specs[] = { "+" VIOS_REGISTRY_REF ":" VIOS_MIRROR_REGISTRY_REF,
					     "+" VIOS_NODES_REFS "*:" VIOS_MIRROR_NODES "*" };
	char path[PATH_MAX];
	const char *local = NULL;
	struct stat sb;
	int error;

	if (vios_snprintf(path, sizeof(path), "%s/mirror.git", a->dir) < 0)
		return VIOS_ERROR;
	if ((error = vios_git_open(&a->repo, path, 1)) < 0)
		return error;
	if (!strncmp(a->source, "file://", 7))
		local = a->source + 7;
	else if (strstr(a->source, "://") == NULL && strchr(a->source, ':') == NULL)
		local = a->source;
	if (local == NULL) {
		if (a->objects[0] || a->nonly) {
			vios_error_set(VIOS_ERR_INPUT, "a push is checked only in a repository on a local path");
			return VIOS_ERROR;
		}
		/* the auditor reads no home: the default timeouts (docs/network.md) */
		if ((error = vios_net_configure(NULL)) < 0)
			return error;
		return vios_net_timed(vios_git_fetch(a->repo, a->source, specs, 2), a->source);
	}
	if (stat(local, &sb) < 0) {
		vios_error_set(VIOS_ERR_INPUT, "cannot read %s: %s", local, strerror(errno));
		return VIOS_ERROR;
	}
	return mirror_local(a, local);
}

