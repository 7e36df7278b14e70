/*
 * cred.h - logins for the network transports: who vios says it is to an
 * ssh:// or https:// git server, and whether vios trusts the server it
 * reached (docs/logins.md).
 *
 * The CLI reads the node's settings (net.ssh_key, net.ssh_known_hosts,
 * net.credentials, net.credentials_file, net.ca_file) and hands them to
 * vios_cred_configure once, before a fetch or push; sync/git.c's libgit2
 * callbacks then ask vios_cred_acquire for a login and
 * vios_cred_check_certificate about the server, with one vios_cred_session
 * per connection attempt (a fetch, a push).
 *
 * Invariants:
 * - Each source of a login is tried once per session: ssh: the key file,
 *   then the ssh-agent (when SSH_AUTH_SOCK is set); https: one username and
 *   password from the configured source. When they are used up the session
 *   fails with one line naming what was tried: never a loop, never a prompt.
 * - A password is read into sodium_malloc memory, handed to libgit2 (which
 *   wipes its copy when it frees the credential) and wiped here at once. It
 *   is never on a command line (git credential fill reads the request on
 *   stdin) and never in a message. A URL holding a password
 *   (user:password@) is refused before anything is connected or printed.
 * - An ssh host key must be in the known_hosts file; an unknown or changed
 *   key refuses the connection with one line giving its SHA256 fingerprint
 *   and how to add it. An https certificate must verify against the system
 *   CAs or net.ca_file.
 * - Key and credential files readable by group or others are refused.
 */
#ifndef VIOS_CRED_H
#define VIOS_CRED_H

#include <git2.h>

typedef enum {
	VIOS_CRED_AUTO = 0, /* file when a credentials file is named, else helper */
	VIOS_CRED_HELPER,   /* git credential fill */
	VIOS_CRED_FILE,     /* the credentials file (vios-credentials-1) */
	VIOS_CRED_NONE      /* no https login */
} vios_cred_source;

typedef struct {
	const char *ssh_key;          /* private key file, or NULL */
	const char *known_hosts;      /* NULL: $HOME/.ssh/known_hosts */
	vios_cred_source source;
	const char *credentials_file; /* or NULL */
	const char *ca_file;          /* PEM CA certificates, or NULL: the system's */
} vios_cred_config;

/*
 * Sets the process's login settings (copied) and, with a CA file, points
 * libgit2's TLS at it (GIT_OPT_SET_SSL_CERT_LOCATIONS: the file replaces the
 * system's CAs). A CA file that cannot be read is VIOS_ERROR with one line.
 * NULL restores the defaults.
 */
int vios_cred_configure(const vios_cred_config *cfg);

/* The file format of net.credentials_file, its first line. */
#define VIOS_CRED_FILE_FORMAT "vios-credentials-1"

/* One connection attempt's logins: what was tried, for the last message. */
typedef struct {
	const char *url;
	unsigned tried; /* VIOS_CRED_TRIED_* */
	char why[200];  /* what went wrong with the last source tried, or "" */
} vios_cred_session;

#define VIOS_CRED_TRIED_KEY 1u
#define VIOS_CRED_TRIED_AGENT 2u
#define VIOS_CRED_TRIED_HTTP 4u

void vios_cred_session_init(vios_cred_session *s, const char *url);

/*
 * libgit2's credentials callback: the next login to try for user at url
 * (allowed: libgit2's GIT_CREDENTIAL_* mask), or, when every source was
 * tried, GIT_EUSER with one line set through git_error_set_str naming what
 * was tried. Never prompts.
 */
int vios_cred_acquire(git_credential **out, vios_cred_session *s, const char *url, const char *user,
		      unsigned int allowed);

/*
 * libgit2's certificate_check callback: 0 when the server is trusted,
 * GIT_ECERTIFICATE with one line (git_error_set_str) when not. ssh: the
 * raw host key against the known_hosts file for host (and the session URL's
 * port); https: libgit2's verification (`valid`).
 */
int vios_cred_check_certificate(vios_cred_session *s, git_cert *cert, int valid, const char *host);

/*
 * Refuses a URL that holds a password (scheme://user:password@host/...):
 * VIOS_EUSAGE with one line that does not repeat the URL. 0 otherwise.
 */
int vios_cred_url_check(const char *url);

#endif
