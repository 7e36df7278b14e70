/*
 * agent.h - the unlock agent: one process per home that holds the node's
 * master key after `vios unlock`, so that commands run without asking for
 * the passphrase and without Argon2id until it ends.
 *
 * The agent listens on HOME/agent.sock (mode 0600, inside the 0700 home),
 * answers only peers of its own uid (SO_PEERCRED: any other uid, root
 * included, is closed on without a byte), keeps the key in sodium_malloc
 * memory (mlock'd where the system allows; no access between requests) in a
 * process that cannot be dumped or traced (PR_SET_DUMPABLE 0, core size 0),
 * and forgets it (sodium_free) and exits at its deadline, on a lock request,
 * and on SIGTERM, SIGINT or SIGHUP. The deadline runs on CLOCK_BOOTTIME, so
 * time spent suspended counts.
 *
 * Protocol (docs/formats.md, "Unlock agent"): one connection per request;
 * the client sends a 12-byte request, the agent one 100-byte reply. Every
 * read is of a fixed size and bounded in time on both sides: a hung agent
 * costs a command VIOS_AGENT_TIMEOUT_MS, never a hang.
 *
 * Nothing here forks or prints: the CLI (src/cli/unlock.c) detaches the
 * agent process and says what happened.
 */
#ifndef VIOS_AGENT_H
#define VIOS_AGENT_H

#include <stddef.h>
#include <stdint.h>

#define VIOS_AGENT_SOCK "agent.sock"
#define VIOS_AGENT_MAGIC "VIOSAGT1"
#define VIOS_AGENT_VERSION 1
#define VIOS_AGENT_REQ_LEN 12
#define VIOS_AGENT_REPLY_LEN 100
#define VIOS_AGENT_FOR_DEFAULT (8 * 3600) /* vios unlock without --for */
#define VIOS_AGENT_FOR_MAX (24 * 3600)    /* the longest --for */
#define VIOS_AGENT_TIMEOUT_MS 2000        /* a client's bound on connect, send and reply */

/* What a request asks. */
typedef enum {
	VIOS_AGENT_KEY = 1,    /* the master key */
	VIOS_AGENT_LOCK = 2,   /* forget the key and exit */
	VIOS_AGENT_STATUS = 3, /* who and until when, no key */
} vios_agent_op;

/* A reply as the client reads it. */
typedef struct {
	int op;            /* the request's op, echoed */
	int status;        /* 0 answered; 1 the request was not understood */
	int kdf_preset;    /* the vault's creation preset the unlock authenticated */
	long long pid;     /* the agent's process id */
	long long expires; /* Unix seconds (UTC) when it forgets the key */
	char node_id[37];  /* the node whose key it holds */
	uint8_t *key;      /* 32 bytes in sodium memory (op KEY, status 0); else NULL */
} vios_agent_reply;

/* The request for op, 12 bytes. */
void vios_agent_request_encode(uint8_t out[VIOS_AGENT_REQ_LEN], vios_agent_op op);
/* The op of a request: magic, version and a known op, else VIOS_ECORRUPT. */
int vios_agent_request_parse(int *op, const uint8_t *buf, size_t len);
/* The reply r, 100 bytes; key bytes are zero unless r->key is set. */
void vios_agent_reply_encode(uint8_t out[VIOS_AGENT_REPLY_LEN], const vios_agent_reply *r);
/*
 * Parses a reply to a request for op: magic, version, the op echoed, status
 * 0, a node id, a known preset; the key copied into sodium memory for op
 * KEY, zero bytes required otherwise. 0 or VIOS_ECORRUPT with the rule.
 * Free with vios_agent_reply_dispose.
 */
int vios_agent_reply_parse(vios_agent_reply *out, const uint8_t *buf, size_t len, vios_agent_op op);
/* Wipes and frees the key a parsed reply holds. */
void vios_agent_reply_dispose(vios_agent_reply *r);

/* HOME/agent.sock into out; VIOS_ERROR when it does not fit a socket address. */
int vios_agent_path(char *out, size_t len, const char *home);

/*
 * "30s", "5m", "8h", "1d" (or bare seconds) as seconds, from 1 to
 * VIOS_AGENT_FOR_MAX; VIOS_EUSAGE with a message otherwise.
 */
int vios_agent_duration_parse(long long *out, const char *text);

/*
 * Asks home's agent for op, waiting at most timeout_ms for each step. 0 with
 * the reply in out (dispose it); for VIOS_AGENT_LOCK, 0 only once the agent
 * forgot the key and closed its end (it exits right after). VIOS_ENOTFOUND
 * when no agent runs there: no socket, or a stale one (nobody listens: a
 * killed agent), which is removed, or a home too long for a socket path. VIOS_ERROR when an agent is there but
 * does not answer in time or answers nonsense (the message says which).
 */
int vios_agent_ask(vios_agent_reply *out, const char *home, vios_agent_op op, int timeout_ms);

/* A listening agent, before and while it serves. */
typedef struct vios_agent vios_agent;

/*
 * Makes the agent for home: copies key (32 bytes) into sodium memory and
 * puts a listening socket, mode 0600, at HOME/agent.sock (bound under a
 * temporary name and hard-linked into place, so the path never names a
 * socket nobody listens on, and of two unlocks at once one gets it and the
 * other VIOS_EEXISTS). A stale socket there is replaced; a live agent is not
 * (VIOS_EEXISTS: stop it first). The home must be absolute. secs from 1 to
 * VIOS_AGENT_FOR_MAX; the deadline counts from now.
 */
int vios_agent_listen(vios_agent **out, const char *home, const uint8_t key[32], int kdf_preset,
		      const char *node_id, long long secs);
/* When it will forget the key (Unix seconds, UTC). */
long long vios_agent_expires(const vios_agent *a);
/* Its listening socket (close-on-exec), which a detaching process keeps open. */
int vios_agent_fd(const vios_agent *a);

/*
 * Serves requests until the deadline, a lock request or SIGTERM, SIGINT or
 * SIGHUP; then wipes the key, removes the socket (when it is still its own)
 * and frees a. Call it in the process that is to hold the key (the CLI's
 * detached child): it makes that process undumpable first. 0, or an error
 * when the process could not be made safe or waited on (a freed, wiped a).
 */
int vios_agent_serve(vios_agent *a);

/* Frees a without serving it: wipes the key, closes the socket and leaves
 * the path alone (the process that serves it has its own copy). */
void vios_agent_free(vios_agent *a);

#endif
