/*
 * checkpush.h - the server side of a push to the hub repository: what
 * `vios hub check-push` (git's pre-receive hook, tools/pre-receive) decides.
 *
 * git runs the hook in the bare hub repository before it moves any ref,
 * with one "OLD NEW REF" line per pushed ref on standard input and the
 * pushed objects in a quarantine directory (GIT_QUARANTINE_PATH) that the
 * repository itself does not see yet. A push is accepted only when every
 * pushed ref is a node ref, is not deleted, fast-forwards, and its whole
 * chain at NEW passes the audit's verifier (sync/audit.h) with no finding
 * that breaks the chain (signature, sender, seq, prev, revocation, a commit
 * that does more than add the next bundle). Compliance findings (recipients,
 * covenant) are the auditor's to report; they do not stop a chain.
 *
 * Every reader verifies everything again for itself: a push over a local
 * path runs no hook. The hook only stops a bad push at the door and tells
 * the pusher why.
 */
#ifndef VIOS_CHECKPUSH_H
#define VIOS_CHECKPUSH_H

#include <git2.h>
#include <stddef.h>
#include <stdio.h>

#define VIOS_PUSH_MAX_UPDATES 4096
#define VIOS_PUSH_REF_MAX 256

typedef struct {
	git_oid old_oid; /* zero when the ref is created */
	git_oid new_oid; /* zero when the ref is deleted */
	char ref[VIOS_PUSH_REF_MAX];
} vios_push_update;

typedef struct {
	char ref[VIOS_PUSH_REF_MAX];
	char why[700];
} vios_push_refusal;

/*
 * Reads git's pre-receive input from in: lines "OLD NEW REF" with 40-hex
 * object ids, at most VIOS_PUSH_MAX_UPDATES. VIOS_ECORRUPT (nothing in
 * *out) for a line of any other form.
 */
int vios_push_read(vios_push_update **out, size_t *n, FILE *in);

/*
 * Decides a push into the bare repository at repo_path whose new objects
 * are in the object directory `objects` (the quarantine; NULL when they are
 * already in the repository). *out (malloc'd, *nout entries, possibly none)
 * lists every refusal, one or more per refused ref. Returns 0 when it
 * decided, or an error that stops the decision (not a repository, no
 * registry): the caller then refuses the whole push.
 */
int vios_push_check(vios_push_refusal **out, size_t *nout, const char *repo_path, const char *objects,
		    const vios_push_update *updates, size_t n);

#endif
