/*
 * test_cred.c - logins and server trust (sync/cred.h): a URL with a
 * password refused without repeating it; an ssh host key against a
 * known_hosts file (known, unknown, changed, revoked, wildcards and
 * negation, [host]:port, hashed host names as ssh-keygen -H writes them);
 * an https certificate's
 * verdict; each login source once (key file, agent; credentials file,
 * git credential fill), then one line naming what was tried; files open to
 * others and malformed credentials files refused, never naming the password.
 *
 * Each test works in its own directory under $TMPDIR, removed afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <git2/sys/credential.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sync/cred.h"
#include "util/error.h"

#define PW "s3cret-Pw-4711"

typedef struct {
	char dir[PATH_MAX];
	char path[PATH_MAX + 64];
} sandbox;

static int setup(void **state)
{
	sandbox *sb = calloc(1, sizeof(*sb));
	const char *tmp = getenv("TMPDIR");

	assert_non_null(sb);
	snprintf(sb->dir, sizeof(sb->dir), "%s/vios-cred.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(sb->dir));
	assert_true(git_libgit2_init() > 0);
	*state = sb;
	return 0;
}

static int teardown(void **state)
{
	sandbox *sb = *state;
	char cmd[PATH_MAX + 16];

	vios_cred_configure(NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sb->dir);
	assert_int_equal(system(cmd), 0);
	git_libgit2_shutdown();
	free(sb);
	return 0;
}

/* Writes text to DIR/name with mode; the path in sb->path. */
static const char *put(sandbox *sb, const char *name, const char *text, mode_t mode)
{
	FILE *f;

	snprintf(sb->path, sizeof(sb->path), "%s/%s", sb->dir, name);
	assert_non_null(f = fopen(sb->path, "w"));
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(sb->path, mode), 0);
	return sb->path;
}

static const char *git_msg(void)
{
	const git_error *e = git_error_last();
	return e && e->message ? e->message : "";
}

static void test_cred_url_check__refuses_a_password_without_repeating_it(void **state)
{
	static const struct {
		int id;
		const char *url;
		int refused;
	} rows[] = {
		{ 1, "https://school:" PW "@hub.example/vios/hub.git", 1 },
		{ 2, "ssh://vios:" PW "@hub.example:2222/srv/hub.git", 1 },
		{ 3, "https://school@hub.example/vios/hub.git", 0 },
		{ 4, "ssh://vios@[::1]:2222/srv/hub.git", 0 },
		{ 5, "vios@hub.example:srv/hub.git", 0 },
		{ 6, "/media/usb/a:b@c/vios.git", 0 },
		{ 7, "git://hub.example/hub.git", 0 },
		{ 8, "file:///tmp/x:y@z", 0 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = vios_cred_url_check(rows[i].url);
		printf("row %d\n", rows[i].id);
		assert_int_equal(rc, rows[i].refused ? VIOS_EUSAGE : 0);
		if (rows[i].refused) {
			assert_null(strstr(vios_error_last(), PW));
			assert_non_null(strstr(vios_error_last(), "holds a password"));
		}
	}
}

/* An ed25519-shaped host key blob: the type string, then 32 bytes of k. */
static size_t blob(unsigned char *out, unsigned char k)
{
	static const char type[] = "ssh-ed25519";
	size_t n = 0;

	out[n++] = 0, out[n++] = 0, out[n++] = 0, out[n++] = (unsigned char)strlen(type);
	memcpy(out + n, type, strlen(type));
	n += strlen(type);
	out[n++] = 0, out[n++] = 0, out[n++] = 0, out[n++] = 32;
	memset(out + n, k, 32);
	return n + 32;
}

static void b64(char *out, size_t size, const unsigned char *bin, size_t n)
{
	sodium_bin2base64(out, size, bin, n, sodium_base64_VARIANT_ORIGINAL);
}

static void test_cred_check_certificate__host_key_against_known_hosts(void **state)
{
	sandbox *sb = *state;
	unsigned char key[64], other[64];
	char k64[128], o64[128], text[2048];
	size_t klen = blob(key, 0x11), olen = blob(other, 0x22);
	git_cert_hostkey hk;
	vios_cred_config cfg = { 0 };
	vios_cred_session s;

	b64(k64, sizeof(k64), key, klen);
	b64(o64, sizeof(o64), other, olen);
	memset(&hk, 0, sizeof(hk));
	hk.parent.cert_type = GIT_CERT_HOSTKEY_LIBSSH2;
	hk.type = GIT_CERT_SSH_RAW;
	hk.raw_type = GIT_CERT_SSH_RAW_TYPE_KEY_ED25519;
	hk.hostkey = (const char *)key;
	hk.hostkey_len = klen;
	snprintf(text, sizeof(text),
		 "# comment\n"
		 "[127.0.0.1]:2222 ssh-ed25519 %s\n"
		 "*.example,!bad.example ssh-ed25519 %s\n"
		 "changed.test ssh-ed25519 %s\n"
		 "othertype.test ecdsa-sha2-nistp256 %s\n"
		 "|1|c2FsdHNhbHRzYWx0c2FsdHNhbHQ=|aGFzaGhhc2hoYXNoaGFzaGhhc2g= ssh-ed25519 %s\n"
		 /* made by ssh-keygen -H from "hashed.example" and "[127.0.0.1]:2299" with key 0x11 */
		 "|1|bNPklU5LpITuhR8f2yNFlnUx900=|V4VerDvC4lWmxPjsUCMfuCnXgmI= ssh-ed25519 %s\n"
		 "|1|cwFDHdUJb8Ytmhg0j+1sxccSzfA=|GViyhoKDDPxdaDqkpUFvhiu6ziU= ssh-ed25519 %s\n"
		 "@cert-authority * ssh-ed25519 %s\n",
		 k64, k64, o64, o64, k64, k64, k64, k64);
	cfg.known_hosts = put(sb, "known_hosts", text, 0644);
	assert_int_equal(vios_cred_configure(&cfg), 0);
	static const struct {
		int id;
		const char *url, *host, *says; /* says: NULL when trusted */
	} rows[] = {
		{ 1, "ssh://vios@127.0.0.1:2222/srv/hub.git", "127.0.0.1", NULL },
		{ 2, "ssh://vios@127.0.0.1/srv/hub.git", "127.0.0.1", "is unknown" },
		{ 3, "ssh://vios@127.0.0.1:2223/srv/hub.git", "127.0.0.1", "'ssh-keyscan -t ed25519 -p 2223 127.0.0.1 >> " },
		{ 4, "ssh://vios@hub.example/srv/hub.git", "hub.example", NULL },
		{ 5, "vios@HUB.Example:srv/hub.git", "HUB.Example", NULL },
		{ 6, "ssh://vios@bad.example/srv/hub.git", "bad.example", "is unknown" },
		{ 7, "ssh://vios@changed.test/srv/hub.git", "changed.test", "has changed" },
		{ 8, "ssh://vios@hashed.only/srv/hub.git", "hashed.only", "is unknown" },
		{ 9, "ssh://vios@hashed.example/srv/hub.git", "hashed.example", NULL },
		{ 10, "ssh://vios@127.0.0.1:2299/srv/hub.git", "127.0.0.1", NULL },
		{ 11, "ssh://vios@127.0.0.1:2298/srv/hub.git", "127.0.0.1", "is unknown" },
		/* a host known by another type of key only: unknown, not changed (libssh2 may
		 * choose another host key type than ssh did) */
		{ 12, "ssh://vios@othertype.test/srv/hub.git", "othertype.test", "lists other types of key for it" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc;
		printf("row %d\n", rows[i].id);
		vios_cred_session_init(&s, rows[i].url);
		git_error_clear();
		rc = vios_cred_check_certificate(&s, (git_cert *)&hk, 0, rows[i].host);
		if (rows[i].says == NULL) {
			assert_int_equal(rc, 0);
			continue;
		}
		assert_int_equal(rc, GIT_ECERTIFICATE);
		assert_non_null(strstr(git_msg(), rows[i].says));
		assert_non_null(strstr(git_msg(), "ssh-ed25519 SHA256:"));
		assert_null(strchr(git_msg(), '\n'));
	}
	/* the fingerprint is ssh-keygen's: SHA256 of the blob, base64 without padding */
	{
		unsigned char h[32];
		char fp[64], want[80];
		crypto_hash_sha256(h, key, klen);
		sodium_bin2base64(fp, sizeof(fp), h, sizeof(h), sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
		snprintf(want, sizeof(want), "SHA256:%s", fp);
		vios_cred_session_init(&s, "ssh://vios@nowhere.invalid/x");
		assert_int_equal(vios_cred_check_certificate(&s, (git_cert *)&hk, 0, "nowhere.invalid"), GIT_ECERTIFICATE);
		assert_non_null(strstr(git_msg(), want));
	}
	/* @revoked wins over a plain line with the same key */
	snprintf(text, sizeof(text), "@revoked * ssh-ed25519 %s\nhub.example ssh-ed25519 %s\n", k64, k64);
	put(sb, "known_hosts", text, 0644);
	vios_cred_session_init(&s, "ssh://vios@hub.example/srv/hub.git");
	assert_int_equal(vios_cred_check_certificate(&s, (git_cert *)&hk, 0, "hub.example"), GIT_ECERTIFICATE);
	assert_non_null(strstr(git_msg(), "@revoked"));
	/* no known_hosts file at all: unknown */
	cfg.known_hosts = "/nonexistent/known_hosts";
	assert_int_equal(vios_cred_configure(&cfg), 0);
	assert_int_equal(vios_cred_check_certificate(&s, (git_cert *)&hk, 0, "hub.example"), GIT_ECERTIFICATE);
	assert_non_null(strstr(git_msg(), "is unknown"));
}

static void test_cred_check_certificate__tls_follows_verification(void **state)
{
	git_cert_x509 x = { { GIT_CERT_X509 }, NULL, 0 };
	vios_cred_session s;

	(void)state;
	vios_cred_session_init(&s, "https://hub.example/hub.git");
	assert_int_equal(vios_cred_check_certificate(&s, (git_cert *)&x, 1, "hub.example"), 0);
	assert_int_equal(vios_cred_check_certificate(&s, (git_cert *)&x, 0, "hub.example"), GIT_ECERTIFICATE);
	assert_non_null(strstr(git_msg(), "TLS certificate of hub.example is not trusted"));
	assert_non_null(strstr(git_msg(), "net.ca_file"));
}

static void assert_userpass(git_credential *c, const char *user, const char *pass)
{
	git_credential_userpass_plaintext *up = (git_credential_userpass_plaintext *)c;

	assert_non_null(c);
	assert_int_equal(c->credtype, GIT_CREDENTIAL_USERPASS_PLAINTEXT);
	assert_string_equal(up->username, user);
	assert_string_equal(up->password, pass);
	git_credential_free(c);
}

static void test_cred_acquire__a_credentials_file_once(void **state)
{
	sandbox *sb = *state;
	vios_cred_config cfg = { 0 };
	vios_cred_session s;
	git_credential *c = NULL;
	const char *url = "https://hub.example/vios/hub.git";

	cfg.credentials_file = put(sb, "hub.cred", "vios-credentials-1\n# the hub\nusername=school\npassword=" PW "\n", 0600);
	assert_int_equal(vios_cred_configure(&cfg), 0); /* source unset: the file, since one is named */
	vios_cred_session_init(&s, url);
	assert_int_equal(vios_cred_acquire(&c, &s, url, NULL, GIT_CREDENTIAL_USERPASS_PLAINTEXT), 0);
	assert_userpass(c, "school", PW);
	c = NULL;
	/* the server refused it: no second try, one line naming user and file */
	assert_int_equal(vios_cred_acquire(&c, &s, url, NULL, GIT_CREDENTIAL_USERPASS_PLAINTEXT), GIT_EUSER);
	assert_null(c);
	assert_non_null(strstr(git_msg(), "refused the login of school"));
	assert_non_null(strstr(git_msg(), "hub.cred"));
	assert_null(strstr(git_msg(), PW));

	/* open to others */
	chmod(cfg.credentials_file, 0640);
	vios_cred_session_init(&s, url);
	assert_int_equal(vios_cred_acquire(&c, &s, url, NULL, GIT_CREDENTIAL_USERPASS_PLAINTEXT), GIT_EUSER);
	assert_non_null(strstr(git_msg(), "chmod 600"));

	static const struct {
		int id;
		const char *text, *says;
	} bad[] = {
		{ 1, "username=school\npassword=" PW "\n", "first line" },
		{ 2, "vios-credentials-2\nusername=school\npassword=" PW "\n", "first line" },
		{ 3, "vios-credentials-1\nusername=school\npassword=" PW "\ntoken=x\n", "unknown key" },
		{ 4, "vios-credentials-1\nusername=school\npassword=" PW "\npassword=" PW "\n", "repeats" },
		{ 5, "vios-credentials-1\nusername=school\n", "no password" },
		{ 6, "vios-credentials-1\npassword=" PW "\n", "no username" },
		{ 7, "vios-credentials-1\nusername=school\npassword=" PW "\r\n", "control character" },
		{ 8, "vios-credentials-1\nusername=school\n" PW "\n", "not key=value" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		printf("row %d\n", bad[i].id);
		put(sb, "hub.cred", bad[i].text, 0600);
		vios_cred_session_init(&s, url);
		assert_int_equal(vios_cred_acquire(&c, &s, url, NULL, GIT_CREDENTIAL_USERPASS_PLAINTEXT), GIT_EUSER);
		assert_null(c);
		assert_non_null(strstr(git_msg(), bad[i].says));
		assert_null(strstr(git_msg(), PW));
	}

	/* net.credentials none */
	cfg.source = VIOS_CRED_NONE;
	assert_int_equal(vios_cred_configure(&cfg), 0);
	vios_cred_session_init(&s, url);
	assert_int_equal(vios_cred_acquire(&c, &s, url, NULL, GIT_CREDENTIAL_USERPASS_PLAINTEXT), GIT_EUSER);
	assert_non_null(strstr(git_msg(), "net.credentials is none"));
}

static void test_cred_acquire__git_credential_fill(void **state)
{
	sandbox *sb = *state;
	vios_cred_config cfg = { 0 };
	vios_cred_session s;
	git_credential *c = NULL;
	const char *url = "https://hub.example:8443/vios/hub.git";
	char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	char req[PATH_MAX + 64], text[PATH_MAX * 2];

	/* a helper that records its request (stdin) and answers one login */
	snprintf(req, sizeof(req), "%s/request", sb->dir);
	snprintf(text, sizeof(text),
		 "[credential]\n\thelper = \"!f() { cat > '%s'; echo username=partner; echo password=" PW "; }; f\"\n", req);
	put(sb, ".gitconfig", text, 0600);
	setenv("HOME", sb->dir, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	cfg.source = VIOS_CRED_AUTO; /* no file named: the helper */
	assert_int_equal(vios_cred_configure(&cfg), 0);
	vios_cred_session_init(&s, url);
	assert_int_equal(vios_cred_acquire(&c, &s, url, NULL, GIT_CREDENTIAL_USERPASS_PLAINTEXT), 0);
	assert_userpass(c, "partner", PW);
	c = NULL;
	{
		FILE *f = fopen(req, "r");
		char got[512] = "";
		assert_non_null(f);
		assert_true(fread(got, 1, sizeof(got) - 1, f) > 0);
		fclose(f);
		assert_non_null(strstr(got, "protocol=https\n"));
		assert_non_null(strstr(got, "host=hub.example:8443\n"));
	}
	assert_int_equal(vios_cred_acquire(&c, &s, url, NULL, GIT_CREDENTIAL_USERPASS_PLAINTEXT), GIT_EUSER);
	assert_non_null(strstr(git_msg(), "git's credential helpers"));
	assert_null(strstr(git_msg(), PW));

	/* no helper: git credential fill fails (no prompt), one line */
	put(sb, ".gitconfig", "", 0600);
	vios_cred_session_init(&s, url);
	assert_int_equal(vios_cred_acquire(&c, &s, url, NULL, GIT_CREDENTIAL_USERPASS_PLAINTEXT), GIT_EUSER);
	assert_non_null(strstr(git_msg(), "gave no login"));
	if (old_home)
		setenv("HOME", old_home, 1);
	free(old_home);
	unsetenv("GIT_CONFIG_NOSYSTEM");
}

static void test_cred_acquire__ssh_key_file_then_agent_once_each(void **state)
{
	sandbox *sb = *state;
	vios_cred_config cfg = { 0 };
	vios_cred_session s;
	git_credential *c = NULL;
	const char *url = "ssh://vios@hub.example/srv/hub.git";
	char *old_sock = getenv("SSH_AUTH_SOCK") ? strdup(getenv("SSH_AUTH_SOCK")) : NULL;

	cfg.ssh_key = put(sb, "id_vios", "not read until libssh2 uses it\n", 0600);
	assert_int_equal(vios_cred_configure(&cfg), 0);

	unsetenv("SSH_AUTH_SOCK");
	vios_cred_session_init(&s, url);
	assert_int_equal(vios_cred_acquire(&c, &s, url, "vios", GIT_CREDENTIAL_SSH_KEY), 0);
	assert_int_equal(c->credtype, GIT_CREDENTIAL_SSH_KEY);
	git_credential_free(c);
	c = NULL;
	assert_int_equal(vios_cred_acquire(&c, &s, url, "vios", GIT_CREDENTIAL_SSH_KEY), GIT_EUSER);
	assert_non_null(strstr(git_msg(), "tried the key file"));
	assert_non_null(strstr(git_msg(), "SSH_AUTH_SOCK is not set"));

	setenv("SSH_AUTH_SOCK", "/nonexistent/agent.sock", 1);
	vios_cred_session_init(&s, url);
	assert_int_equal(vios_cred_acquire(&c, &s, url, "vios", GIT_CREDENTIAL_SSH_KEY), 0);
	git_credential_free(c);
	c = NULL;
	assert_int_equal(vios_cred_acquire(&c, &s, url, "vios", GIT_CREDENTIAL_SSH_KEY), 0); /* the agent */
	git_credential_free(c);
	c = NULL;
	assert_int_equal(vios_cred_acquire(&c, &s, url, "vios", GIT_CREDENTIAL_SSH_KEY), GIT_EUSER);
	assert_non_null(strstr(git_msg(), "tried the key file"));
	assert_non_null(strstr(git_msg(), "and the ssh-agent"));

	/* a key file open to others is refused before it is offered */
	chmod(cfg.ssh_key, 0644);
	vios_cred_session_init(&s, url);
	assert_int_equal(vios_cred_acquire(&c, &s, url, "vios", GIT_CREDENTIAL_SSH_KEY), GIT_EUSER);
	assert_null(c);
	assert_non_null(strstr(git_msg(), "chmod 600"));

	/* nothing to try */
	assert_int_equal(vios_cred_configure(NULL), 0);
	unsetenv("SSH_AUTH_SOCK");
	vios_cred_session_init(&s, url);
	assert_int_equal(vios_cred_acquire(&c, &s, url, "vios", GIT_CREDENTIAL_SSH_KEY), GIT_EUSER);
	assert_non_null(strstr(git_msg(), "no ssh login to try"));
	if (old_sock)
		setenv("SSH_AUTH_SOCK", old_sock, 1);
	free(old_sock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cred_url_check__refuses_a_password_without_repeating_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cred_check_certificate__host_key_against_known_hosts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cred_check_certificate__tls_follows_verification, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cred_acquire__a_credentials_file_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cred_acquire__git_credential_fill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cred_acquire__ssh_key_file_then_agent_once_each, setup, teardown),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
