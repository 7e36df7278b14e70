/*
 * meldcode.h - the steps of the Meldcode huiselijk geweld en
 * kindermishandeling on a case: the one reader and writer of the
 * case_file.meldcode column (format vios-meldcode-1, docs/formats.md).
 *
 * The five steps (docs/rhythm.md, "Meldcode"):
 *   1 map the signals, 2 consult a colleague and if needed Veilig Thuis,
 *   3 talk with the pupil and the parents, 4 weigh with the assessment
 *   framework, 5 decide: report to Veilig Thuis, organise help, both or
 *   neither.
 *
 * The column holds one JSON object:
 *   {"v": 1, "steps": {"1": {"at": "YYYY-MM-DD", "note": "..."}, ...},
 *    "report": true|false, "help": true|false}
 * "note" is optional; "report" and "help" are present exactly when step 5
 * is. A reader parses it whole before using any of it (vios_meldcode_parse).
 *
 * The rule that goes with it (vios_meldcode_escalation): a case is escalated
 * to Veilig Thuis only after step 5 decided to report.
 */
#ifndef VIOS_STORE_MELDCODE_H
#define VIOS_STORE_MELDCODE_H

#include <jansson.h>
#include <stddef.h>

#define VIOS_MELDCODE_STEPS 5
#define VIOS_MELDCODE_NOTE_MAX 4096 /* bytes of one step's note */

typedef struct {
	char at[VIOS_MELDCODE_STEPS][11]; /* "" for a step not recorded */
	char *note[VIOS_MELDCODE_STEPS];  /* NULL when none; owned */
	int report, help;                 /* step 5's decision; -1 before step 5 */
} vios_meldcode;

/* The step's name in English and in Dutch (static), NULL out of 1..5. */
const char *vios_meldcode_step_name(int step);
const char *vios_meldcode_step_name_nl(int step);

/* The outcomes of step 5 as --outcome takes them: "report", "help",
 * "report-and-help", "none". Sets *report and *help; -1 when unknown. */
int vios_meldcode_outcome(const char *word, int *report, int *help);
/* "report, help, report-and-help or none" (static). */
const char *vios_meldcode_outcome_list(void);

/* Empty steps (text NULL) or the column's text, strictly: VIOS_ECORRUPT
 * with one line for anything but vios-meldcode-1. Free with _clear. */
int vios_meldcode_parse(vios_meldcode *m, const char *text);
void vios_meldcode_clear(vios_meldcode *m);

/*
 * Records step (1..5) on m: date (YYYY-MM-DD, a real date, at the latest
 * tomorrow, the day of slack of every date of what happened), note (NULL: none; replaces the step's note), and for step 5 the
 * outcome word (required there, refused elsewhere). Step 5 needs steps 1 to
 * 4 first. VIOS_EUSAGE with one line otherwise; m unchanged on error.
 */
int vios_meldcode_set(vios_meldcode *m, int step, const char *date, const char *note, const char *outcome);

/* The column's text for m (malloc'd, compact JSON), NULL when no step is
 * recorded; VIOS_ENOMEM. */
int vios_meldcode_format(char **out, const vios_meldcode *m);

/* m as a JSON array for `case show`: one object per recorded step
 * {step, name, name_nl, at, note?}, step 5 with report and help. */
json_t *vios_meldcode_json(const vios_meldcode *m);

/*
 * Whether a case whose meldcode column holds text may be escalated to
 * target: 0 yes (any target but veilig-thuis, or step 5 decided to report);
 * VIOS_EUSAGE with one line saying what is missing; VIOS_ECORRUPT for a
 * column that does not parse.
 */
int vios_meldcode_escalation(const char *text, const char *target);

#endif
