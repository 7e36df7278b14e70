/*
 * subject.h - the subject access report (GDPR art. 15): everything this
 * node holds about one pupil, and who received which record when, as one
 * JSON document ("format": "vios-subject-report-1", docs/formats.md).
 *
 * The document is the one source of truth: the CLI prints it as JSON or
 * renders its HTML from it (src/cli/cmd_subject.c), never from the store.
 * Other pupils' names in free text are redacted; the document says what
 * redaction cannot know (names of other people).
 */
#ifndef VIOS_STORE_SUBJECT_H
#define VIOS_STORE_SUBJECT_H

#include <jansson.h>

#include "store/store.h"

/* What replaces another pupil's name in free text. */
#define VIOS_SUBJECT_REDACTED "[redacted: another pupil]"

/*
 * The report on pupil id into *out (a new reference the caller frees):
 *   format, generated_at (UTC), node {id, name, role}, reason (or null),
 *   pupil (its row, over16 as of today),
 *   signals, cases, meetings, agreements: every row held about the pupil
 *     (signals and cases with its pupil_id; the meetings and agreements of
 *     those cases, agreements made at those meetings too), each with
 *     "made_by" {node_id, name, here: true when this node made it, else
 *     the node it was received from} and "sent" [{node_id, name, seq, at}]:
 *     the nodes this node's bundles carried the record's changes to,
 *   notes: [texts the reader needs: how sending is known, what redaction
 *     cannot do].
 * Free text of every row (notes, minutes, actions, feedback, reasons,
 * marked fields) has each other pupil's name, as a whole word and in any
 * letter case, replaced by VIOS_SUBJECT_REDACTED.
 * Logged as a read of the pupil with why "subject access: REASON" (reason
 * may be NULL). VIOS_EUSAGE for a malformed id, VIOS_ENOTFOUND when the
 * pupil is not held here; nothing is logged then.
 */
int vios_subject_report(json_t **out, vios_store *st, const char *id, const char *reason);

/*
 * text with every name of names (a JSON array of strings) that occurs as a
 * whole word, in any ASCII letter case, replaced by VIOS_SUBJECT_REDACTED;
 * malloc'd into *out. Longer names are replaced first.
 */
int vios_subject_redact(char **out, const char *text, const json_t *names);

#endif
