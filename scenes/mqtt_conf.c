/*
 * mqtt_conf.c - the mqtt: section of the configuration (mqtt.h).
 *
 * Every key is optional; a mistake is reported at its file:line:col
 * with the key's name, all of them at once.  The password comes only
 * from password_file or password_env (lw_section_secret), never from a
 * plain value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mosquitto.h>

#include "labwarden/mqtt.h"

static const char *const known_keys[] = {
	"host", "port", "username", "password_file", "password_env",
	"client_id", "base_topic", "discovery_prefix", "sensor_id",
	"keepalive", "tls", "ca_file", "cert_file", "key_file",
	"tls_insecure", "discovery", "max_hosts", "spool_mb", "queue",
	"reconnect_max", "stats_interval", "away_after", "flush_timeout",
	"birth_topic", "birth_delay", "lockdown_for", "quarantine_for", NULL
};

static bool id_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
}

/* The host name, as Home Assistant's object ids allow it. */
static void default_sensor_id(char *out, size_t len)
{
	char host[256] = "";
	size_t n = 0;

	if (gethostname(host, sizeof host - 1) != 0)
		host[0] = '\0';
	for (const char *p = host; *p && *p != '.' && n + 1 < len; p++)
		out[n++] = id_char(*p) ? *p : '_';
	out[n] = '\0';
	if (!n)
		snprintf(out, len, "labwarden");
}

/* A string key into a fixed buffer; too long is a mistake. */
static bool get_text(struct lw_section *sec, const char *key,
    const char *def, char *out, size_t outlen, struct lw_diag *diag)
{
	const char *v = lw_section_str(sec, key, def);

	if (strlen(v) >= outlen) {
		lw_section_error(sec, key, diag, "longer than %zu characters",
		    outlen - 1);
		snprintf(out, outlen, "%s", def);
		return false;
	}
	snprintf(out, outlen, "%s", v);
	return true;
}

/* A topic prefix: not empty, no wildcards, no '/' at either end. */
static bool check_prefix(struct lw_section *sec, const char *key,
    const char *v, struct lw_diag *diag)
{
	size_t n = strlen(v);

	if (!n || strpbrk(v, "+#") || v[0] == '/' || v[n - 1] == '/' ||
	    mosquitto_pub_topic_check(v) != MOSQ_ERR_SUCCESS) {
		lw_section_error(sec, key, diag, "'%s' is not a topic prefix "
		    "(no '+' or '#', no '/' at either end, not empty)", v);
		return false;
	}
	return true;
}

static bool check_id(struct lw_section *sec, const char *key, const char *v,
    struct lw_diag *diag)
{
	for (const char *p = v; *p; p++)
		if (!id_char(*p)) {
			lw_section_error(sec, key, diag, "'%s': only letters, "
			    "digits, '_' and '-' (Home Assistant's object ids)",
			    v);
			return false;
		}
	if (!*v) {
		lw_section_error(sec, key, diag, "empty");
		return false;
	}
	return true;
}

static bool read_topics(struct lw_section *sec, struct lw_mqtt_conf *c,
    struct lw_diag *diag)
{
	char host_id[LW_MQTT_ID_MAX];
	bool ok = true;

	default_sensor_id(host_id, sizeof host_id);
	ok &= get_text(sec, "base_topic", "labwarden", c->base_topic,
	    sizeof c->base_topic, diag);
	ok &= check_prefix(sec, "base_topic", c->base_topic, diag);
	ok &= get_text(sec, "discovery_prefix", "homeassistant",
	    c->discovery_prefix, sizeof c->discovery_prefix, diag);
	ok &= check_prefix(sec, "discovery_prefix", c->discovery_prefix,
	    diag);
	ok &= get_text(sec, "sensor_id", host_id, c->sensor_id,
	    sizeof c->sensor_id, diag);
	ok &= check_id(sec, "sensor_id", c->sensor_id, diag);
	snprintf(c->root, sizeof c->root, "%s/%s", c->base_topic,
	    c->sensor_id);
	char birth[LW_MQTT_TOPIC_MAX];
	snprintf(birth, sizeof birth, "%s/status", c->discovery_prefix);
	ok &= get_text(sec, "birth_topic", birth, c->birth_topic,
	    sizeof c->birth_topic, diag);
	ok &= check_prefix(sec, "birth_topic", c->birth_topic, diag);
	char client[128];
	snprintf(client, sizeof client, "labwarden-%s", c->sensor_id);
	ok &= get_text(sec, "client_id", client, c->client_id,
	    sizeof c->client_id, diag);
	return ok;
}

/* A file name relative to the config, kept when given. */
static bool get_path(struct lw_section *sec, const char *key, char **out,
    struct lw_diag *diag)
{
	char path[4096];

	*out = NULL;
	if (!lw_section_file(sec, key, path, sizeof path))
		return true;
	if (access(path, R_OK) != 0) {
		lw_section_error(sec, key, diag, "cannot read %s", path);
		return false;
	}
	*out = strdup(path);
	return *out != NULL;
}

static bool read_tls(struct lw_section *sec, struct lw_mqtt_conf *c,
    struct lw_diag *diag)
{
	bool ok = true;

	ok &= get_path(sec, "ca_file", &c->ca_file, diag);
	ok &= get_path(sec, "cert_file", &c->cert_file, diag);
	ok &= get_path(sec, "key_file", &c->key_file, diag);

	ok &= lw_section_bool(sec, "tls", c->ca_file || c->cert_file, &c->tls,
	    diag);
	ok &= lw_section_bool(sec, "tls_insecure", false, &c->tls_insecure,
	    diag);
	if (!c->cert_file != !c->key_file && lw_section_find(sec,
	    c->cert_file ? "cert_file" : "key_file")) {
		lw_section_error(sec, c->cert_file ? "cert_file" : "key_file",
		    diag, "a client certificate needs both cert_file and "
		    "key_file");
		ok = false;
	}
	if (!c->tls && (c->ca_file || c->cert_file)) {
		lw_section_error(sec, "tls", diag, "false, but ca_file or "
		    "cert_file is set");
		ok = false;
	}
	return ok;
}

/* A number within [min, max], or a mistake. */
static bool get_uint(struct lw_section *sec, const char *key, uint64_t def,
    uint64_t min, uint64_t max, uint64_t *out, struct lw_diag *diag)
{
	if (!lw_section_uint(sec, key, def, max, out, diag))
		return false;
	if (*out < min) {
		lw_section_error(sec, key, diag, "at least %llu",
		    (unsigned long long)min);
		*out = def;
		return false;
	}
	return true;
}

static bool read_numbers(struct lw_section *sec, struct lw_mqtt_conf *c,
    struct lw_diag *diag)
{
	uint64_t port, hosts, spool, queue, ka_ns, rmax_ns;
	bool ok = true;

	ok &= get_uint(sec, "port", c->tls ? 8883 : 1883, 1, 65535, &port,
	    diag);
	ok &= get_uint(sec, "max_hosts", 50, 0, LW_MQTT_MAX_HOSTS, &hosts,
	    diag);
	ok &= get_uint(sec, "spool_mb", 16, 1, 4096, &spool, diag);
	ok &= get_uint(sec, "queue", 1024, 16, 65536, &queue, diag);
	ok &= lw_section_duration(sec, "keepalive", 60 * LW_NS_PER_SEC, &ka_ns,
	    diag);
	ok &= lw_section_duration(sec, "reconnect_max", 60 * LW_NS_PER_SEC,
	    &rmax_ns, diag);
	ok &= lw_section_duration(sec, "stats_interval", 30 * LW_NS_PER_SEC,
	    &c->stats_interval_ns, diag);
	ok &= lw_section_duration(sec, "away_after", 600 * LW_NS_PER_SEC,
	    &c->away_after_ns, diag);
	ok &= lw_section_duration(sec, "flush_timeout", 10 * LW_NS_PER_SEC,
	    &c->flush_timeout_ns, diag);
	ok &= lw_section_duration(sec, "birth_delay", 2 * LW_NS_PER_SEC,
	    &c->birth_delay_ns, diag);
	ok &= lw_section_duration(sec, "lockdown_for", 3600 * LW_NS_PER_SEC,
	    &c->lockdown_ns, diag);
	ok &= lw_section_duration(sec, "quarantine_for", 86400 * LW_NS_PER_SEC,
	    &c->quarantine_ns, diag);
	if (!c->lockdown_ns || !c->quarantine_ns) {
		lw_section_error(sec, c->lockdown_ns ? "quarantine_for" :
		    "lockdown_for", diag, "must be longer than 0s");
		ok = false;
	}
	if (ka_ns < 5 * LW_NS_PER_SEC || ka_ns > 65535 * LW_NS_PER_SEC) {
		lw_section_error(sec, "keepalive", diag, "from 5s to 65535s");
		ok = false;
	}
	if (rmax_ns < LW_NS_PER_SEC || rmax_ns > 3600 * LW_NS_PER_SEC) {
		lw_section_error(sec, "reconnect_max", diag, "from 1s to 1h");
		ok = false;
	}
	if (c->stats_interval_ns < LW_NS_PER_SEC / 10) {
		lw_section_error(sec, "stats_interval", diag, "at least 100ms");
		ok = false;
	}
	c->port = (unsigned)port;
	c->max_hosts = (unsigned)hosts;
	c->spool_bytes = spool << 20;
	c->queue_len = (unsigned)queue;
	c->keepalive_s = (unsigned)(ka_ns / LW_NS_PER_SEC);
	c->reconnect_max_s = (unsigned)(rmax_ns / LW_NS_PER_SEC);
	return ok;
}

static bool read_login(struct lw_section *sec, struct lw_mqtt_conf *c,
    bool read_secret, struct lw_diag *diag)
{
	char secret[LW_SECRET_MAX], why[768];
	bool ok = get_text(sec, "username", "", c->username,
	    sizeof c->username, diag);

	if (!read_secret) {
		lw_section_find(sec, "password_file");
		lw_section_find(sec, "password_env");
		return ok;
	}
	if (lw_section_secret(sec, "password", false, secret, sizeof secret,
	    why, sizeof why)) {
		if (!c->username[0]) {
			lw_section_error(sec, "username", diag, "missing: a "
			    "password needs a user name");
			ok = false;
		}
		c->password = strdup(secret);
	} else if (why[0]) {
		const char *key = lw_section_find(sec, "password") ? "password"
		    : lw_section_find(sec, "password_file") ? "password_file" :
		    "password_env";
		lw_section_error(sec, key, diag, "%s", strchr(why, ':') ?
		    strchr(why, ':') + 2 : why);
		ok = false;
	}
	explicit_bzero(secret, sizeof secret);
	return ok;
}

bool lw_mqtt_conf_load(struct lw_section *sec, struct lw_mqtt_conf *c,
    bool read_secret, struct lw_diag *diag)
{
	bool ok = true;

	memset(c, 0, sizeof *c);
	ok &= get_text(sec, "host", "127.0.0.1", c->host, sizeof c->host, diag);
	if (!c->host[0]) {
		lw_section_error(sec, "host", diag, "empty");
		ok = false;
	}
	ok &= read_topics(sec, c, diag);
	ok &= read_tls(sec, c, diag);
	ok &= read_numbers(sec, c, diag);
	ok &= read_login(sec, c, read_secret, diag);
	ok &= lw_section_bool(sec, "discovery", true, &c->discovery, diag);
	size_t before = diag->count;
	lw_section_unused(sec, known_keys, diag);
	return ok && diag->count == before;
}

void lw_mqtt_conf_free(struct lw_mqtt_conf *c)
{
	if (c->password) {
		explicit_bzero(c->password, strlen(c->password));
		free(c->password);
	}
	free(c->ca_file);
	free(c->cert_file);
	free(c->key_file);
	memset(c, 0, sizeof *c);
}

bool lw_mqtt_check_config(const struct lw_config *cfg, struct lw_diag *diag)
{
	struct lw_mqtt_conf c;

	if (!cfg->mqtt)
		return true;
	bool ok = lw_mqtt_conf_load(cfg->mqtt, &c, true, diag);
	lw_mqtt_conf_free(&c);
	return ok;
}
