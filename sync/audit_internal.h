/*
 * audit_internal.h - what the audit's files share (not a public header):
 * the open audit (struct vios_audit), its nodes, covenants and refs, and the
 * helpers more than one of them calls. The files split along the audit's
 * seams:
 *
 *   audit.c             findings, the recipient rule, the registry history,
 *                       open and free, the home's pin, time parsing
 *   audit_mirror.c      the private working directory and the read-only mirror
 *   audit_checkpoint.c  loading, checking against and writing a checkpoint
 *   audit_verify.c      verification of every node ref, bundle by bundle
 *   audit_replay.c      replaying the verified history into a throwaway store
 */
#ifndef VIOS_AUDIT_INTERNAL_H
#define VIOS_AUDIT_INTERNAL_H

#include <git2.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>

#include "sync/audit.h"
#include "sync/bundle.h"
#include "crypto/minisign.h"

#define MAX_KEYS 4
/* Times in the registry have whole seconds; a bundle sealed within the
 * same second as an enrollment or revocation is given the benefit. */
#define GRACE_MS 1000

typedef struct {
	vios_audit_node pub;
	uint64_t enrolled_ms, revoked_ms; /* revoked_ms 0 when not revoked */
	vios_minisign_pub keys[MAX_KEYS];
	size_t nkeys;
	long long seen_in; /* the last registry version listing it */
} anode;

typedef struct {
	vios_covenant cov;
	long long registry_version; /* the first registry version carrying it */
} acov;

typedef struct {
	long long version;
	uint64_t signed_ms, expires_ms; /* the manifest's updated_at and expires_at */
} areg;

typedef struct {
	char id[37];
	git_oid head;
	long long last_seq;  /* the highest seq on the ref */
	long long cut;       /* the first untrustworthy seq, 0 when none */
	uint64_t cut_hlc;    /* that bundle's header clock, 0 when unknown */
	char cut_why[700];
	int bad;             /* the whole ref is untrustworthy (unknown sender) */
} aref;

struct vios_audit {
	char dir[PATH_MAX];
	char source[PATH_MAX];
	git_repository *repo;
	uint8_t pin[VIOS_FINGERPRINT_BYTES];
	vios_audit_root_source root_source;
	int have_root;
	size_t reg_versions;
	long long reg_version;
	git_oid reg_head;
	int have_reg_head;
	anode *nodes;
	size_t nnodes, capnodes;
	acov *covs;
	size_t ncovs;
	areg *regs;          /* every registry version that verified, in order */
	size_t nregs;
	aref *refs;
	size_t nrefs;
	vios_audit_finding *findings;
	size_t nfindings, capfindings;
	int nomem;
	int root_failed;     /* the first registry commit is not the trusted root's */
	json_t *checkpoint;
	size_t bundles;
	int verified;
	char objects[PATH_MAX];   /* one more object directory (a push's quarantine), "" when none */
	vios_audit_ref_at *only;  /* the node refs to verify and their heads (a push), NULL for all */
	size_t nonly;
};

/* Records a finding on node (or "" for the hub) at seq (0 for none). */
void audit_finding(vios_audit *a, const char *node, long long seq, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void audit_vfinding(vios_audit *a, const char *node, long long seq, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

/* The first 12 hex digits of oid, in out. */
const char *audit_short_oid(char out[13], const git_oid *oid);
/* The audit's record of node id, or NULL. */
anode *audit_find_anode(const vios_audit *a, const char *id);
/* The covenant of that version, or NULL. */
const acov *audit_find_cov(const vios_audit *a, long long version);
/* The newest registry version signed at or before ms, or NULL. */
const areg *audit_registry_at(const vios_audit *a, uint64_t ms);
/* 1 when id is among h's recipients. */
int audit_addressed(const vios_bundle_header *h, const char *id);
/* A blob of at most max bytes (malloc'd). */
int audit_read_blob(uint8_t **out, size_t *len, git_repository *repo, const git_oid *id, size_t max);
/* *ok = 1 when head descends from (or is) old. */
int audit_descends(int *ok, vios_audit *a, const git_oid *head, const git_oid *old);

/* audit_mirror.c: the working directory (a->dir) and the mirror (a->repo) of a->source. */
int audit_make_workdir(vios_audit *a);
int audit_fetch_mirror(vios_audit *a);

/* audit_checkpoint.c: loads the checkpoint at path into a->checkpoint, strictly. */
int audit_checkpoint_load(vios_audit *a, const char *path);
/* Findings (and a cut) when r was rewritten since the checkpoint. */
int audit_check_against_checkpoint(vios_audit *a, aref *r);

#endif
