/*
 * cred.c - see cred.h; the settings and formats are in docs/logins.md.
 *
 * Three parts: the URL (its host, port and path, and the refusal of a
 * password in it), the server (an ssh host key against known_hosts, an
 * https certificate's verification) and the login (a key file, the agent,
 * a credentials file, git's credential helpers). Messages go to libgit2's
 * error slot (git_error_set_str), which sync/git.c turns into the one vios
 * error line of the failed fetch or push.
 */
#include "sync/cred.h"
#include "sync/git.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <ctype.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A credentials file or a helper's answer: at most this many bytes. */
#define CRED_TEXT_MAX 4096
/* A username or password: at most this many bytes. */
#define CRED_FIELD_MAX 1024
/* How long git credential fill may take. */
#define HELPER_SECONDS 30

static struct {
	char ssh_key[PATH_MAX];
	char known_hosts[PATH_MAX];
	vios_cred_source source;
	char credentials_file[PATH_MAX];
	char ca_file[PATH_MAX];
} conf;

static int copy_setting(char *dst, size_t size, const char *src, const char *what)
{
	dst[0] = 0;
	if (src == NULL)
		return 0;
	if (strlen(src) >= size) {
		vios_error_set(VIOS_ERR_INPUT, "%s: the path is too long", what);
		return VIOS_EUSAGE;
	}
	strcpy(dst, src);
	return 0;
}

int vios_cred_configure(const vios_cred_config *cfg)
{
	int rc, error;

	memset(&conf, 0, sizeof(conf));
	if (cfg == NULL)
		return 0;
	if ((error = copy_setting(conf.ssh_key, sizeof(conf.ssh_key), cfg->ssh_key, "net.ssh_key")) < 0 ||
	    (error = copy_setting(conf.known_hosts, sizeof(conf.known_hosts), cfg->known_hosts, "net.ssh_known_hosts")) < 0 ||
	    (error = copy_setting(conf.credentials_file, sizeof(conf.credentials_file), cfg->credentials_file,
				  "net.credentials_file")) < 0 ||
	    (error = copy_setting(conf.ca_file, sizeof(conf.ca_file), cfg->ca_file, "net.ca_file")) < 0)
		return error;
	conf.source = cfg->source;
	if (conf.ca_file[0] == 0)
		return 0;
	if ((error = vios_git_init()) < 0)
		return error;
	if (access(conf.ca_file, R_OK) < 0)
		return vios_error_os("net.ca_file %s", conf.ca_file);
	if ((rc = git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, conf.ca_file, NULL)) < 0) {
		const git_error *e = git_error_last();
		vios_error_set(VIOS_ERR_GIT, "net.ca_file %s: not a PEM file of CA certificates (%s)", conf.ca_file,
			       e && e->message ? e->message : "unreadable");
		return VIOS_ERROR;
	}
	return 0;
}

/* ------------------------------------------------------------------ URLs */

typedef struct {
	char scheme[16];
	char user[256];
	int has_password;
	char host[256];
	int port; /* 0: the scheme's default */
	char path[1024];
} url_parts;

/* Splits url (scheme://[user[:pass]@]host[:port]/path, or ssh's
 * [user@]host:path); -1 when it is neither. The password is not kept. */
static int parse_url(url_parts *u, const char *url)
{
	const char *p = strstr(url, "://"), *auth, *end, *at, *h, *hend, *colon;

	memset(u, 0, sizeof(*u));
	if (p != NULL) {
		if ((size_t)(p - url) >= sizeof(u->scheme))
			return -1;
		memcpy(u->scheme, url, (size_t)(p - url));
		auth = p + 3;
	} else {
		/* scp-like: a colon before any slash */
		const char *c = strchr(url, ':'), *s = strchr(url, '/');
		if (c == NULL || (s != NULL && s < c))
			return -1;
		strcpy(u->scheme, "ssh");
		auth = url;
	}
	end = p != NULL ? auth + strcspn(auth, "/?#") : strchr(auth, ':');
	at = NULL;
	for (const char *q = auth; q < end; q++)
		if (*q == '@')
			at = q;
	h = auth;
	if (at != NULL) {
		const char *pc = memchr(auth, ':', (size_t)(at - auth));
		size_t n = (size_t)((pc ? pc : at) - auth);
		u->has_password = pc != NULL;
		if (n >= sizeof(u->user))
			return -1;
		memcpy(u->user, auth, n);
		h = at + 1;
	}
	if (*h == '[') {
		if ((hend = memchr(h, ']', (size_t)(end - h))) == NULL)
			return -1;
		h++;
		colon = hend + 1 < end && hend[1] == ':' ? hend + 1 : NULL;
	} else {
		colon = p != NULL ? memchr(h, ':', (size_t)(end - h)) : NULL;
		hend = colon ? colon : end;
	}
	if ((size_t)(hend - h) >= sizeof(u->host) || hend == h)
		return -1;
	memcpy(u->host, h, (size_t)(hend - h));
	if (colon != NULL && colon + 1 < end) {
		char *e;
		long v = strtol(colon + 1, &e, 10);
		if (e != end || v <= 0 || v > 65535)
			return -1;
		u->port = (int)v;
	}
	if (p == NULL)
		end++; /* past scp's ':' */
	if (strlen(end) >= sizeof(u->path))
		return -1;
	strcpy(u->path, end);
	return 0;
}

/* "host" or "host:port", as git's credential protocol spells it. */
static void host_port(char *out, size_t size, const url_parts *u)
{
	if (u->port)
		snprintf(out, size, "%s:%d", u->host, u->port);
	else
		snprintf(out, size, "%s", u->host);
}

int vios_cred_url_check(const char *url)
{
	url_parts u;
	char host[300];

	assert(url != NULL);
	if (parse_url(&u, url) == 0 && u.has_password && strcmp(u.scheme, "file")) {
		host_port(host, sizeof(host), &u);
		vios_error_set(VIOS_ERR_INPUT, "the URL holds a password (user:password@): give it as %s://%s@%s/... and "
			       "put the password in a credentials file or a git credential helper (docs/logins.md)",
			       u.scheme, u.user, host);
		return VIOS_EUSAGE;
	}
	return 0;
}

void vios_cred_session_init(vios_cred_session *s, const char *url)
{
	assert(s != NULL);
	memset(s, 0, sizeof(*s));
	s->url = url;
}

/* Sets libgit2's error (the line sync/git.c reports) and returns GIT_EUSER. */
static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	git_error_set_str(GIT_ERROR_NET, msg);
	return GIT_EUSER;
}

/* A key or credentials file: a regular file, not readable or writable by
 * group or others (as ssh wants of a key). what names the setting. */
static int private_file(const char *path, const char *what)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return fail("%s %s: %s", what, path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fail("%s %s is not a file", what, path);
	if (st.st_mode & 077)
		return fail("%s %s is open to others (mode %04o): refused; make it private with 'chmod 600 %s'", what, path,
			    (unsigned)(st.st_mode & 07777), path);
	return 0;
}

/* ------------------------------------------------------------ host keys */

static const char *known_hosts_path(char *buf, size_t size)
{
	const char *home = getenv("HOME");

	if (conf.known_hosts[0])
		return conf.known_hosts;
	if ((home == NULL || !*home) && getpwuid(geteuid()) != NULL)
		home = getpwuid(geteuid())->pw_dir;
	if (snprintf(buf, size, "%s/.ssh/known_hosts", home ? home : "") >= (int)size)
		return "~/.ssh/known_hosts";
	return buf;
}

/* OpenSSH's host pattern: * and ? are wildcards, nothing else is (a
 * "[host]:port" is literal); letters match in either case. */
static int glob(const char *pat, const char *s)
{
	for (; *pat; pat++, s++) {
		if (*pat == '*') {
			for (; *s; s++)
				if (glob(pat + 1, s))
					return 1;
			return glob(pat + 1, s);
		}
		if (*s == 0 || (*pat != '?' && tolower((unsigned char)*pat) != tolower((unsigned char)*s)))
			return 0;
	}
	return *s == 0;
}

/*
 * SHA-1 and HMAC-SHA-1 (RFC 3174, RFC 2104), for one purpose only: reading
 * OpenSSH's hashed host names, "|1|base64(salt)|base64(HMAC-SHA1(salt,
 * name))" (what HashKnownHosts writes). libsodium has no SHA-1; nothing
 * else in vios may use these.
 */
typedef struct {
	uint32_t h[5];
	uint64_t len;
	unsigned char buf[64];
	size_t n;
} sha1_ctx;

#define ROL(x, k) (((x) << (k)) | ((x) >> (32 - (k))))

static void sha1_block(sha1_ctx *c, const unsigned char *p)
{
	uint32_t w[80], a = c->h[0], b = c->h[1], d = c->h[3], e = c->h[4], cc = c->h[2], t;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 80; i++)
		w[i] = ROL(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	for (int i = 0; i < 80; i++) {
		uint32_t f, k;
		if (i < 20)
			f = (b & cc) | (~b & d), k = 0x5a827999;
		else if (i < 40)
			f = b ^ cc ^ d, k = 0x6ed9eba1;
		else if (i < 60)
			f = (b & cc) | (b & d) | (cc & d), k = 0x8f1bbcdc;
		else
			f = b ^ cc ^ d, k = 0xca62c1d6;
		t = ROL(a, 5) + f + e + k + w[i];
		e = d, d = cc, cc = ROL(b, 30), b = a, a = t;
	}
	c->h[0] += a, c->h[1] += b, c->h[2] += cc, c->h[3] += d, c->h[4] += e;
}

static void sha1_init(sha1_ctx *c)
{
	static const uint32_t iv[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };

	memset(c, 0, sizeof(*c));
	memcpy(c->h, iv, sizeof(iv));
}

static void sha1_update(sha1_ctx *c, const unsigned char *p, size_t n)
{
	c->len += n;
	while (n > 0) {
		size_t k = 64 - c->n < n ? 64 - c->n : n;
		memcpy(c->buf + c->n, p, k);
		c->n += k, p += k, n -= k;
		if (c->n == 64) {
			sha1_block(c, c->buf);
			c->n = 0;
		}
	}
}

static void sha1_final(sha1_ctx *c, unsigned char out[20])
{
	uint64_t bits = c->len * 8;
	unsigned char pad = 0x80, len[8];

	sha1_update(c, &pad, 1);
	pad = 0;
	while (c->n != 56)
		sha1_update(c, &pad, 1);
	for (int i = 0; i < 8; i++)
		len[i] = (unsigned char)(bits >> (56 - 8 * i));
	sha1_update(c, len, 8);
	for (int i = 0; i < 20; i++)
		out[i] = (unsigned char)(c->h[i / 4] >> (24 - 8 * (i % 4)));
}

static void hmac_sha1(unsigned char out[20], const unsigned char *key, size_t klen, const char *msg)
{
	unsigned char k[64] = { 0 }, pad[64], inner[20];
	sha1_ctx c;

	if (klen > 64) {
		sha1_init(&c);
		sha1_update(&c, key, klen);
		sha1_final(&c, k);
	} else {
		memcpy(k, key, klen);
	}
	for (int i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x36;
	sha1_init(&c);
	sha1_update(&c, pad, 64);
	sha1_update(&c, (const unsigned char *)msg, strlen(msg));
	sha1_final(&c, inner);
	for (int i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x5c;
	sha1_init(&c);
	sha1_update(&c, pad, 64);
	sha1_update(&c, inner, 20);
	sha1_final(&c, out);
}

/* 1 when entry ("|1|salt|hash") is name hashed, 0 when not or malformed. */
static int hashed_match(const char *entry, size_t len, const char *name)
{
	char e[200], lower[300];
	unsigned char salt[64], want[20], got[20];
	size_t slen = 0, wlen = 0;
	char *bar;

	if (len >= sizeof(e) || len < 3 || memcmp(entry, "|1|", 3))
		return 0;
	memcpy(e, entry + 3, len - 3);
	e[len - 3] = 0;
	if ((bar = strchr(e, '|')) == NULL)
		return 0;
	*bar = 0;
	if (sodium_base642bin(salt, sizeof(salt), e, strlen(e), NULL, &slen, NULL, sodium_base64_VARIANT_ORIGINAL) ||
	    sodium_base642bin(want, sizeof(want), bar + 1, strlen(bar + 1), NULL, &wlen, NULL,
			      sodium_base64_VARIANT_ORIGINAL) ||
	    wlen != sizeof(want))
		return 0;
	for (size_t i = 0; i < sizeof(lower) - 1 && (i == 0 || name[i - 1]); i++)
		lower[i] = (char)tolower((unsigned char)name[i]);
	lower[sizeof(lower) - 1] = 0;
	hmac_sha1(got, salt, slen, lower);
	return sodium_memcmp(got, want, sizeof(got)) == 0;
}

/* 1 when name matches the comma-separated patterns (OpenSSH's * and ?,
 * ! negates) or the hashed entry (|1|salt|hash), 0 when not. */
static int hosts_match(const char *patterns, size_t len, const char *name)
{
	char pat[512];
	int yes = 0;
	const char *p = patterns, *end = patterns + len;

	if (len > 3 && !memcmp(patterns, "|1|", 3))
		return hashed_match(patterns, len, name);
	while (p < end) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		size_t n = (size_t)((c ? c : end) - p);
		int neg = n > 0 && *p == '!';
		if (n - (size_t)neg < sizeof(pat)) {
			memcpy(pat, p + neg, n - (size_t)neg);
			pat[n - (size_t)neg] = 0;
			if (glob(pat, name)) {
				if (neg)
					return 0;
				yes = 1;
			}
		}
		p = c ? c + 1 : end;
	}
	return yes;
}

/* The key type named inside an ssh key blob ("ssh-ed25519"), or "ssh key". */
static void key_type(char *out, size_t size, const unsigned char *blob, size_t len)
{
	size_t n;

	snprintf(out, size, "ssh key");
	if (len < 4)
		return;
	n = (size_t)blob[0] << 24 | (size_t)blob[1] << 16 | (size_t)blob[2] << 8 | blob[3];
	if (n == 0 || n > len - 4 || n >= size)
		return;
	for (size_t i = 0; i < n; i++)
		if (blob[4 + i] < 0x21 || blob[4 + i] > 0x7e)
			return;
	memcpy(out, blob + 4, n);
	out[n] = 0;
}

typedef struct {
	int found;      /* a line with this host and this key */
	int revoked;    /* an @revoked line with this key */
	int other_line; /* a line with this host and another key of the same type: its number */
	int other_type; /* a line with this host and a key of another type */
} kh_result;

/* Looks name (host or [host]:port) up in the known_hosts file at path. */
static int kh_lookup(kh_result *r, const char *path, const char *name, const char *btype, const unsigned char *blob,
		     size_t len)
{
	FILE *f;
	char line[16384];
	unsigned char *key = NULL;
	int lineno = 0;

	memset(r, 0, sizeof(*r));
	if ((f = fopen(path, "r")) == NULL)
		return errno == ENOENT ? 0 : -1;
	if ((key = malloc(sizeof(line))) == NULL) {
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *hosts, *type, *b64;
		int revoked = 0;
		size_t klen = 0;
		lineno++;
		line[strcspn(line, "\r\n")] = 0;
		p += strspn(p, " \t");
		if (*p == 0 || *p == '#')
			continue;
		if (*p == '@') {
			if (!strncmp(p, "@revoked", 8) && (p[8] == ' ' || p[8] == '\t'))
				revoked = 1;
			else
				continue; /* @cert-authority: vios checks plain keys only */
			p += 8;
			p += strspn(p, " \t");
		}
		hosts = p;
		p += strcspn(p, " \t");
		if (*p == 0)
			continue;
		*p++ = 0;
		p += strspn(p, " \t");
		type = p;
		p += strcspn(p, " \t");
		if (*p == 0 && p == type)
			continue;
		if (*p)
			*p++ = 0;
		p += strspn(p, " \t");
		b64 = p;
		b64[strcspn(b64, " \t")] = 0;
		if (*b64 == 0)
			continue;
		if (sodium_base642bin(key, sizeof(line), b64, strlen(b64), NULL, &klen, NULL,
				      sodium_base64_VARIANT_ORIGINAL) != 0)
			continue;
		if (revoked) {
			if (klen == len && sodium_memcmp(key, blob, len) == 0)
				r->revoked = 1;
			continue;
		}
		if (!hosts_match(hosts, strlen(hosts), name))
			continue;
		if (klen == len && sodium_memcmp(key, blob, len) == 0)
			r->found = 1;
		else if (strcmp(type, btype))
			r->other_type = 1; /* libssh2 may prefer another type than ssh did */
		else if (!r->other_line)
			r->other_line = lineno;
	}
	free(key);
	fclose(f);
	return 0;
}

static int check_hostkey(vios_cred_session *s, const git_cert_hostkey *hk, const char *host)
{
	char khbuf[PATH_MAX], name[300], type[64], fp[64], portopt[16] = "", topt[64];
	unsigned char hash[crypto_hash_sha256_BYTES];
	const char *kh = known_hosts_path(khbuf, sizeof(khbuf));
	url_parts u;
	kh_result r;
	int port = 0;

	if (!(hk->type & GIT_CERT_SSH_RAW) || hk->hostkey == NULL || hk->hostkey_len == 0)
		return fail("the ssh server %s gave no host key vios can check: refused", host);
	if (s->url && parse_url(&u, s->url) == 0 && u.port && u.port != 22)
		port = u.port;
	if (port) {
		snprintf(name, sizeof(name), "[%s]:%d", host, port);
		snprintf(portopt, sizeof(portopt), "-p %d ", port);
	} else {
		snprintf(name, sizeof(name), "%s", host);
	}
	crypto_hash_sha256(hash, (const unsigned char *)hk->hostkey, hk->hostkey_len);
	strcpy(fp, "SHA256:");
	sodium_bin2base64(fp + 7, sizeof(fp) - 7, hash, sizeof(hash), sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	key_type(type, sizeof(type), (const unsigned char *)hk->hostkey, hk->hostkey_len);
	/* ssh-keyscan -t takes the short names */
	snprintf(topt, sizeof(topt), "%s", !strcmp(type, "ssh-ed25519") ? "ed25519"
					   : !strncmp(type, "ecdsa-", 6) ? "ecdsa"
					   : !strcmp(type, "ssh-rsa")    ? "rsa"
					   : !strcmp(type, "ssh-dss")    ? "dsa"
									 : type);
	if (kh_lookup(&r, kh, name, type, (const unsigned char *)hk->hostkey, hk->hostkey_len) < 0)
		return fail("cannot read the known hosts file %s: %s", kh, strerror(errno));
	if (r.revoked)
		return fail("the ssh host key of %s (%s %s) is marked @revoked in %s: refused", name, type, fp, kh);
	if (r.found)
		return 0;
	if (r.other_line)
		return fail("the ssh host key of %s has changed (it is now %s %s; %s line %d holds another): refused; if the "
			    "hub's operator confirms the new key, remove the old one with 'ssh-keygen -R %s -f %s' and add the new one",
			    name, type, fp, kh, r.other_line, name, kh);
	return fail("the ssh host key of %s is unknown (%s %s, not in %s%s): refused; if the hub's operator confirms "
		    "that fingerprint, add the key with 'ssh-keyscan -t %s %s%s >> %s'",
		    name, type, fp, kh, r.other_type ? ", which lists other types of key for it" : "", topt, portopt, host,
		    kh);
}

int vios_cred_check_certificate(vios_cred_session *s, git_cert *cert, int valid, const char *host)
{
	assert(s != NULL && cert != NULL);
	if (host == NULL)
		host = "the server";
	if (cert->cert_type == GIT_CERT_HOSTKEY_LIBSSH2)
		return check_hostkey(s, (const git_cert_hostkey *)cert, host) < 0 ? GIT_ECERTIFICATE : 0;
	if (valid)
		return 0;
	if (conf.ca_file[0])
		fail("the TLS certificate of %s is not trusted (not signed by a CA in net.ca_file %s, expired, or for another "
		     "name): refused", host, conf.ca_file);
	else
		fail("the TLS certificate of %s is not trusted (not signed by a CA of this system, expired, or for another "
		     "name): refused; for a hub with a private CA, set net.ca_file to its PEM certificate", host);
	return GIT_ECERTIFICATE;
}

/* ---------------------------------------------------------------- logins */

/* The local login name, the user an ssh URL without one logs in as. */
static const char *local_user(void)
{
	struct passwd *pw = getpwuid(geteuid());

	return pw && pw->pw_name && *pw->pw_name ? pw->pw_name : "git";
}

static int ssh_login(git_credential **out, vios_cred_session *s, const char *user)
{
	char pub[PATH_MAX + 8];
	struct stat st;
	int rc;

	if (conf.ssh_key[0] && !(s->tried & VIOS_CRED_TRIED_KEY)) {
		s->tried |= VIOS_CRED_TRIED_KEY;
		if ((rc = private_file(conf.ssh_key, "the ssh key file (net.ssh_key)")) < 0)
			return rc;
		snprintf(pub, sizeof(pub), "%s.pub", conf.ssh_key);
		return git_credential_ssh_key_new(out, user, stat(pub, &st) == 0 ? pub : NULL, conf.ssh_key, NULL);
	}
	if (getenv("SSH_AUTH_SOCK") && *getenv("SSH_AUTH_SOCK") && !(s->tried & VIOS_CRED_TRIED_AGENT)) {
		s->tried |= VIOS_CRED_TRIED_AGENT;
		return git_credential_ssh_key_from_agent(out, user);
	}
	switch (s->tried & (VIOS_CRED_TRIED_KEY | VIOS_CRED_TRIED_AGENT)) {
	case VIOS_CRED_TRIED_KEY | VIOS_CRED_TRIED_AGENT:
		return fail("the ssh server refused %s: tried the key file %s and the ssh-agent", user, conf.ssh_key);
	case VIOS_CRED_TRIED_KEY:
		return fail("the ssh server refused %s: tried the key file %s (no ssh-agent: SSH_AUTH_SOCK is not set)", user,
			    conf.ssh_key);
	case VIOS_CRED_TRIED_AGENT:
		return fail("the ssh server refused %s: tried the ssh-agent (no key file: net.ssh_key is not set)", user);
	default:
		return fail("no ssh login to try for %s: set net.ssh_key to a key file or start an ssh-agent (docs/logins.md)",
			    user);
	}
}

typedef struct {
	char *user; /* both in one sodium_malloc'd block */
	char *pass;
	char *mem;
	size_t size;
} login;

static void login_wipe(login *l)
{
	sodium_free(l->mem); /* sodium_free wipes the block */
	memset(l, 0, sizeof(*l));
}

/* Parses "key=value" lines of text (n bytes) into l; with strict, a first
 * line VIOS_CRED_FILE_FORMAT, no unknown or repeated key, '#' comments.
 * Returns 0, or -1 with the rule that failed in why. */
static int parse_login(login *l, const char *text, size_t n, int strict, char *why, size_t wlen)
{
	const char *p = text, *end = text + n;
	int first = 1, lineno = 0;

	if ((l->mem = sodium_malloc(2 * (CRED_FIELD_MAX + 1))) == NULL) {
		snprintf(why, wlen, "out of memory");
		return -1;
	}
	l->size = 2 * (CRED_FIELD_MAX + 1);
	l->user = l->mem;
	l->pass = l->mem + CRED_FIELD_MAX + 1;
	l->user[0] = l->pass[0] = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *eq;
		size_t len = (size_t)((nl ? nl : end) - p);
		char *dst = NULL;
		lineno++;
		if (strict && first) {
			first = 0;
			if (len != strlen(VIOS_CRED_FILE_FORMAT) || memcmp(p, VIOS_CRED_FILE_FORMAT, len)) {
				snprintf(why, wlen, "the first line is not '" VIOS_CRED_FILE_FORMAT "'");
				return -1;
			}
		} else if (len == 0 || *p == '#') {
			/* blank or comment */
		} else if ((eq = memchr(p, '=', len)) == NULL) {
			if (strict) {
				snprintf(why, wlen, "line %d is not key=value", lineno);
				return -1;
			}
		} else {
			size_t klen = (size_t)(eq - p), vlen = len - klen - 1;
			if (klen == 8 && !memcmp(p, "username", 8))
				dst = l->user;
			else if (klen == 8 && !memcmp(p, "password", 8))
				dst = l->pass;
			else if (strict) {
				snprintf(why, wlen, "line %d: unknown key (username and password only)", lineno);
				return -1;
			}
			if (dst != NULL) {
				if (strict && dst[0]) {
					snprintf(why, wlen, "line %d repeats its key", lineno);
					return -1;
				}
				if (vlen == 0 || vlen > CRED_FIELD_MAX || memchr(eq + 1, 0, vlen) || memchr(eq + 1, '\r', vlen)) {
					snprintf(why, wlen, "line %d: the value is empty, too long or holds a control character", lineno);
					return -1;
				}
				memcpy(dst, eq + 1, vlen);
				dst[vlen] = 0;
			}
		}
		p = nl ? nl + 1 : end;
	}
	if (!l->pass[0] || !l->user[0]) {
		snprintf(why, wlen, "it gives no %s", !l->user[0] ? "username" : "password");
		return -1;
	}
	return 0;
}

/* Reads the credentials file into l; GIT_EUSER with one line on failure. */
static int file_login(login *l)
{
	char *text = NULL, why[160];
	ssize_t got = 0;
	size_t n = 0;
	int fd = -1, rc;

	if (!conf.credentials_file[0])
		return fail("the hub asks for a login and net.credentials is file, but net.credentials_file is not set");
	if ((rc = private_file(conf.credentials_file, "the credentials file (net.credentials_file)")) < 0)
		return rc;
	if ((text = sodium_malloc(CRED_TEXT_MAX + 1)) == NULL)
		return fail("out of memory");
	if ((fd = open(conf.credentials_file, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = fail("the credentials file %s: %s", conf.credentials_file, strerror(errno));
		goto done;
	}
	while (n <= CRED_TEXT_MAX && (got = read(fd, text + n, CRED_TEXT_MAX + 1 - n)) > 0)
		n += (size_t)got;
	if (got < 0 || n > CRED_TEXT_MAX) {
		rc = fail("the credentials file %s: %s", conf.credentials_file,
			  got < 0 ? strerror(errno) : "larger than " "4096 bytes");
		goto done;
	}
	if (parse_login(l, text, n, 1, why, sizeof(why)) < 0) {
		login_wipe(l);
		rc = fail("the credentials file %s is not " VIOS_CRED_FILE_FORMAT ": %s (docs/logins.md)",
			  conf.credentials_file, why);
		goto done;
	}
	rc = 0;
done:
	if (fd >= 0)
		close(fd);
	sodium_free(text);
	return rc;
}

/* Writes all of buf to fd; -1 on failure. */
static int write_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Asks git's credential helpers (git credential fill) for a login to u:
 * the request on the child's stdin, never its argv; no terminal prompt, no
 * askpass program; its stderr to /dev/null; at most HELPER_SECONDS.
 */
static int helper_login(login *l, const url_parts *u, const char *user)
{
	char req[2048], why[160];
	char *out = NULL;
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 }, status = 0, rc = GIT_EUSER;
	size_t n = 0;
	pid_t pid = -1;
	struct sigaction ign, old;
	time_t deadline = time(NULL) + HELPER_SECONDS;
	char hostport[300];

	host_port(hostport, sizeof(hostport), u);
	if (snprintf(req, sizeof(req), "protocol=%s\nhost=%s\npath=%s\n%s%s%s\n", u->scheme, hostport,
		     u->path[0] == '/' ? u->path + 1 : u->path, user ? "username=" : "", user ? user : "",
		     user ? "\n" : "") >= (int)sizeof(req) ||
	    strpbrk(hostport, "\n") || strchr(u->path, '\n'))
		return fail("the hub's URL is too long or holds a line break for git credential fill");
	if ((out = sodium_malloc(CRED_TEXT_MAX + 1)) == NULL)
		return fail("out of memory");
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0) {
		rc = fail("cannot run git credential fill: %s", strerror(errno));
		goto done;
	}
	if ((pid = fork()) < 0) {
		rc = fail("cannot run git credential fill: %s", strerror(errno));
		goto done;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (dup2(in[0], 0) < 0 || dup2(outp[1], 1) < 0 || null < 0 || dup2(null, 2) < 0)
			_exit(127);
		closefrom(3); /* none of vios's files or sockets for the helper */
		setenv("GIT_TERMINAL_PROMPT", "0", 1);
		setenv("GIT_ASKPASS", "", 1);
		unsetenv("SSH_ASKPASS");
		execlp("git", "git", "-c", "core.askPass=", "credential", "fill", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(outp[1]);
	in[0] = outp[1] = -1;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, &old);
	rc = write_all(in[1], req, strlen(req));
	sigaction(SIGPIPE, &old, NULL);
	sodium_memzero(req, sizeof(req));
	close(in[1]);
	in[1] = -1;
	for (;;) {
		struct pollfd pfd = { outp[0], POLLIN, 0 };
		time_t left = deadline - time(NULL);
		ssize_t got;
		if (left <= 0 || poll(&pfd, 1, (int)left * 1000) == 0) {
			kill(pid, SIGKILL);
			rc = fail("git credential fill took more than %d seconds: stopped", HELPER_SECONDS);
			goto done;
		}
		if ((got = read(outp[0], out + n, CRED_TEXT_MAX - n)) < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
		if (n == CRED_TEXT_MAX) {
			kill(pid, SIGKILL);
			rc = fail("git credential fill answered more than %d bytes: refused", CRED_TEXT_MAX);
			goto done;
		}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || parse_login(l, out, n, 0, why, sizeof(why)) < 0) {
		login_wipe(l);
		rc = fail("git's credential helpers gave no login for %s://%s%s (%s; store one with 'git credential approve', "
			  "or name a file in net.credentials_file: docs/logins.md)",
			  u->scheme, hostport, u->path,
			  WIFEXITED(status) && WEXITSTATUS(status) == 127 ? "git is not installed"
			  : !WIFEXITED(status) || WEXITSTATUS(status) != 0 ? "no helper has one"
									   : "its answer has no username and password");
		goto done;
	}
	rc = 0;
done:
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (outp[i] >= 0)
			close(outp[i]);
	}
	sodium_free(out);
	return rc;
}

static vios_cred_source source(void)
{
	if (conf.source == VIOS_CRED_AUTO)
		return conf.credentials_file[0] ? VIOS_CRED_FILE : VIOS_CRED_HELPER;
	return conf.source;
}

static int http_login(git_credential **out, vios_cred_session *s, const char *url, const char *user)
{
	login l = { 0 };
	url_parts u;
	char host[300];
	vios_cred_source src = source();
	const char *from = src == VIOS_CRED_FILE ? conf.credentials_file : "git's credential helpers";
	int rc;

	if (parse_url(&u, s->url ? s->url : url) < 0 && parse_url(&u, url) < 0)
		return fail("the hub asks for a login and vios cannot read its URL");
	host_port(host, sizeof(host), &u);
	if (src == VIOS_CRED_NONE)
		return fail("%s://%s asks for a login and net.credentials is none (docs/logins.md)", u.scheme, host);
	if (s->tried & VIOS_CRED_TRIED_HTTP)
		return fail("%s://%s refused the login%s%s (from %s): check the username and password or token there",
			    u.scheme, host, s->why[0] ? " of " : "", s->why, from);
	s->tried |= VIOS_CRED_TRIED_HTTP;
	if ((rc = src == VIOS_CRED_FILE ? file_login(&l) : helper_login(&l, &u, user)) < 0)
		return rc;
	snprintf(s->why, sizeof(s->why), "%s", l.user);
	rc = git_credential_userpass_plaintext_new(out, l.user, l.pass);
	login_wipe(&l);
	return rc;
}

int vios_cred_acquire(git_credential **out, vios_cred_session *s, const char *url, const char *user,
		      unsigned int allowed)
{
	assert(out != NULL && s != NULL);
	if (allowed & GIT_CREDENTIAL_SSH_KEY)
		return ssh_login(out, s, user && *user ? user : local_user());
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user && *user ? user : local_user());
	if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT)
		return http_login(out, s, url ? url : "", user && *user ? user : NULL);
	return fail("the server asks for a kind of login vios does not give (docs/logins.md)");
}
