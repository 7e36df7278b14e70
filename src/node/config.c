/*
 * config.c - the node's settings file (config.h) and the one table of its keys.
 */
#include "node/config.h"
#include "util/error.h"
#include "util/json.h"
#include "util/util.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_FORMAT "vios-config-1"

const vios_config_key vios_config_keys[] = {
	{ "net.connect_timeout", VIOS_CONFIG_SECONDS, 1, 3600, "30",
	  "seconds a connection to the hub (or a stick's URL) may take before the network step gives up" },
	{ "net.idle_timeout", VIOS_CONFIG_SECONDS, 1, 86400, "120",
	  "seconds a transfer may stay silent before the network step gives up (changes stay queued)" },
	{ "net.ssh_key", VIOS_CONFIG_PATH, 0, 0, NULL,
	  "private key file (mode 0600, no passphrase) for ssh:// hubs; tried before the ssh-agent (docs/logins.md)" },
	{ "net.ssh_known_hosts", VIOS_CONFIG_PATH, 0, 0, NULL,
	  "known_hosts file an ssh:// hub's host key must be in (unset: ~/.ssh/known_hosts)" },
	{ "net.credentials", VIOS_CONFIG_CHOICE, 0, 0, NULL,
	  "where an https:// login comes from: helper (git credential fill), file (net.credentials_file) or none; "
	  "unset: file when net.credentials_file is set, else helper" },
	{ "net.credentials_file", VIOS_CONFIG_PATH, 0, 0, NULL,
	  "file (mode 0600, vios-credentials-1) with the username and password or token for https:// hubs" },
	{ "net.ca_file", VIOS_CONFIG_PATH, 0, 0, NULL,
	  "PEM file of the CA certificates an https:// hub's certificate must chain to (unset: the system's)" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

/* The words a VIOS_CONFIG_CHOICE key takes, space-separated. */
static const struct {
	const char *key, *words;
} choices[] = {
	{ "net.credentials", "helper file none" },
	{ NULL, NULL }
};

static const char *choice_words(const char *key)
{
	for (size_t i = 0; choices[i].key; i++)
		if (!strcmp(choices[i].key, key))
			return choices[i].words;
	return "";
}

const vios_config_key *vios_config_find(const char *key)
{
	for (const vios_config_key *k = vios_config_keys; key && k->key; k++)
		if (!strcmp(k->key, key))
			return k;
	return NULL;
}

static int unknown_key(const char *key)
{
	vios_error_set(VIOS_ERR_INPUT, "no setting '%s' (see 'vios config list')", key);
	return VIOS_EUSAGE;
}

/* 0 when value suits k; otherwise the reason in `why`. */
static int check_value(const vios_config_key *k, const char *value, char *why, size_t len)
{
	switch (k->type) {
	case VIOS_CONFIG_SECONDS: {
		char *end;
		long long v;
		errno = 0;
		v = strtoll(value, &end, 10);
		if (errno || end == value || *end || value[0] == '+' || value[0] == '-' || value[0] == ' ' ||
		    v < k->min || v > k->max) {
			snprintf(why, len, "a whole number of seconds from %lld to %lld", k->min, k->max);
			return -1;
		}
		return 0;
	}
	case VIOS_CONFIG_PATH:
		if (value[0] != '/' || strlen(value) >= PATH_MAX || strchr(value, '\n')) {
			snprintf(why, len, "an absolute path");
			return -1;
		}
		return 0;
	case VIOS_CONFIG_TEXT:
		for (const unsigned char *p = (const unsigned char *)value; *p; p++)
			if (*p < 0x20 || *p == 0x7f) {
				snprintf(why, len, "one line of text");
				return -1;
			}
		if (!*value || strlen(value) > 200) {
			snprintf(why, len, "one line of text (1 to 200 characters)");
			return -1;
		}
		return 0;
	case VIOS_CONFIG_CHOICE: {
		const char *words = choice_words(k->key), *p = words;
		size_t n = strlen(value);
		/* one word of the list, never several ("helper file") */
		while (n && !strchr(value, ' ') && (p = strstr(p, value)) != NULL) {
			if ((p == words || p[-1] == ' ') && (p[n] == 0 || p[n] == ' '))
				return 0;
			p++;
		}
		snprintf(why, len, "one of: %s", words);
		return -1;
	}
	}
	snprintf(why, len, "a value");
	return -1;
}

static int config_path(char *buf, size_t len, const char *home)
{
	return vios_snprintf(buf, len, "%s/" VIOS_CONFIG_FILE, home);
}

/* The settings object of home's config ({} when there is no file), checked
 * whole: the format, every key known, every value good. */
static int load(json_t **out, const char *home)
{
	char path[PATH_MAX], why[120];
	uint8_t *data = NULL;
	size_t len;
	json_t *doc = NULL, *set;
	json_error_t jerr;
	const char *key, *bad;
	json_t *v;
	static const char *const top[] = { "format", "settings", NULL };
	int error;

	*out = NULL;
	if ((error = config_path(path, sizeof(path), home)) < 0)
		return error;
	if ((error = vios_file_read(&data, &len, path, VIOS_CONFIG_MAX)) == VIOS_ENOTFOUND) {
		vios_error_clear();
		return (*out = json_object()) ? 0 : vios_error_nomem();
	}
	if (error < 0)
		return error;
	doc = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &jerr);
	free(data);
	if (doc == NULL || !json_is_object(doc) || !json_is_string(json_object_get(doc, "format")) ||
	    strcmp(json_string_value(json_object_get(doc, "format")), CONFIG_FORMAT) ||
	    !json_is_object(set = json_object_get(doc, "settings")) || vios_json_unknown_key(doc, top)) {
		vios_error_set(VIOS_ERR_INPUT, "%s is not a vios settings file (" CONFIG_FORMAT "); fix or remove it", path);
		error = VIOS_ECORRUPT;
		goto done;
	}
	json_object_foreach(set, key, v) {
		const vios_config_key *k = vios_config_find(key);
		bad = !k ? "is not a setting vios knows" : !json_is_string(v) ? "is not a string" : NULL;
		if (!bad && check_value(k, json_string_value(v), why, sizeof(why)) < 0)
			bad = why;
		if (bad) {
			vios_error_set(VIOS_ERR_INPUT, "%s: '%s' %s%s; fix it with 'vios config set' or remove the line", path, key,
				       k && json_is_string(v) ? "takes " : "", bad);
			error = VIOS_ECORRUPT;
			goto done;
		}
	}
	*out = json_incref(set);
done:
	json_decref(doc);
	return error;
}

int vios_config_get(char **out, const char *home, const char *key)
{
	const vios_config_key *k;
	json_t *set = NULL, *v;
	const char *s;
	int error;

	assert(out != NULL && home != NULL && key != NULL);
	*out = NULL;
	if ((k = vios_config_find(key)) == NULL)
		return unknown_key(key);
	if ((error = load(&set, home)) < 0)
		return error;
	s = (v = json_object_get(set, key)) ? json_string_value(v) : k->def;
	if (s != NULL && (*out = strdup(s)) == NULL)
		error = vios_error_nomem();
	json_decref(set);
	return error;
}

int vios_config_seconds(long long *out, const char *home, const char *key)
{
	const vios_config_key *k = vios_config_find(key);
	char *v = NULL;
	int error;

	assert(out != NULL && k != NULL && k->type == VIOS_CONFIG_SECONDS);
	if ((error = vios_config_get(&v, home, key)) < 0)
		return error;
	*out = v ? strtoll(v, NULL, 10) : 0;
	free(v);
	return 0;
}

int vios_config_set(const char *home, const char *key, const char *value)
{
	const vios_config_key *k;
	json_t *set = NULL, *doc = NULL, *v = NULL;
	char path[PATH_MAX], why[120], *text = NULL;
	int error;

	assert(home != NULL && key != NULL);
	if ((k = vios_config_find(key)) == NULL)
		return unknown_key(key);
	if (value != NULL && check_value(k, value, why, sizeof(why)) < 0) {
		vios_error_set(VIOS_ERR_INPUT, "setting '%s' takes %s", key, why);
		return VIOS_EUSAGE;
	}
	if (value != NULL && (v = json_string(value)) == NULL) {
		vios_error_set(VIOS_ERR_INPUT, "setting '%s' takes UTF-8 text", key);
		return VIOS_EUSAGE;
	}
	if ((error = config_path(path, sizeof(path), home)) < 0 || (error = load(&set, home)) < 0)
		goto done;
	if ((v ? json_object_set(set, key, v) : (json_object_del(set, key), 0)) < 0 ||
	    (doc = json_pack("{s:s, s:O}", "format", CONFIG_FORMAT, "settings", set)) == NULL ||
	    (text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	error = vios_file_write_atomic(path, text, strlen(text), 0600, 1);
done:
	free(text);
	json_decref(v);
	json_decref(doc);
	json_decref(set);
	return error;
}

int vios_config_list(json_t **out, const char *home)
{
	json_t *set = NULL, *arr = NULL;
	int error;

	assert(out != NULL && home != NULL);
	*out = NULL;
	if ((error = load(&set, home)) < 0)
		return error;
	if ((arr = json_array()) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	for (const vios_config_key *k = vios_config_keys; k->key; k++) {
		json_t *v = json_object_get(set, k->key);
		const char *s = v ? json_string_value(v) : k->def;
		if (json_array_append_new(arr, json_pack("{s:s, s:s?, s:b, s:s}", "key", k->key, "value", s, "set", v != NULL,
							   "help", k->help)) < 0) {
			error = vios_error_nomem();
			goto done;
		}
	}
	*out = arr;
	arr = NULL;
done:
	json_decref(arr);
	json_decref(set);
	return error;
}
