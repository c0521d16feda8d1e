/*
 * test_mqtt.c - t118: the Home Assistant integration's parts that need
 * no broker: the mqtt: section (defaults, every mistake at file:line:col,
 * secrets only from a file), the discovery payloads (what each platform
 * needs, stable ids, MAC connections), command parsing (every topic,
 * payload and JSON shape, retained ones refused), carrying commands out
 * through a fake action layer, and which hosts are published (the cap,
 * eviction from the inventory, a past run's hosts first, presence,
 * quarantine state, hostile host names).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "labwarden/mqtt.h"
#include "../../scenes/mqtt_link_int.h"

/* ---- a section as config.c would make it ---- */

static void sec_init(struct lw_section *sec)
{
	memset(sec, 0, sizeof *sec);
	sec->file = strdup("/etc/lw.yaml");
	sec->where = strdup("mqtt");
	sec->name = strdup("mqtt");
	sec->line = 10;
	sec->col = 1;
}

static void sec_add(struct lw_section *sec, const char *key, const char *val)
{
	struct lw_kv *kv = &sec->kv[sec->n];

	kv->key = strdup(key);
	kv->value = strdup(val);
	kv->line = 11 + (unsigned)sec->n;
	kv->col = 3;
	sec->n++;
}

static bool diag_has(const struct lw_diag *d, const char *text)
{
	for (size_t i = 0; i < d->count; i++)
		if (strstr(d->msgs[i], text))
			return true;
	return false;
}

/* A conf for sensor "pi1" with extra key/value pairs. */
static void conf_with(struct lw_mqtt_conf *c, const char *const *kv)
{
	struct lw_section sec;
	struct lw_diag diag;

	sec_init(&sec);
	sec_add(&sec, "sensor_id", "pi1");
	for (; kv && kv[0]; kv += 2)
		sec_add(&sec, kv[0], kv[1]);
	lw_diag_init(&diag);
	assert_true(lw_mqtt_conf_load(&sec, c, true, &diag));
	assert_int_equal(diag.count, 0);
	lw_diag_free(&diag);
	lw_section_free(&sec);
}

static void test_conf_defaults(void **state)
{
	struct lw_mqtt_conf c;
	(void)state;

	conf_with(&c, NULL);
	assert_string_equal(c.host, "127.0.0.1");
	assert_int_equal(c.port, 1883);
	assert_string_equal(c.root, "labwarden/pi1");
	assert_string_equal(c.birth_topic, "homeassistant/status");
	assert_string_equal(c.client_id, "labwarden-pi1");
	assert_int_equal(c.max_hosts, 50);
	assert_int_equal(c.spool_bytes, 16u << 20);
	assert_int_equal(c.keepalive_s, 60);
	assert_true(c.discovery);
	assert_false(c.tls);
	assert_null(c.password);
	assert_int_equal(c.lockdown_ns, 3600 * LW_NS_PER_SEC);
	assert_int_equal(c.quarantine_ns, 86400 * LW_NS_PER_SEC);
	lw_mqtt_conf_free(&c);

	const char *tls[] = { "ca_file", "/dev/null", "base_topic", "lab/lw",
	    "discovery_prefix", "ha", NULL };
	conf_with(&c, tls);
	assert_true(c.tls);
	assert_int_equal(c.port, 8883);
	assert_string_equal(c.root, "lab/lw/pi1");
	assert_string_equal(c.birth_topic, "ha/status");
	lw_mqtt_conf_free(&c);
}

static void test_conf_mistakes(void **state)
{
	struct lw_section sec;
	struct lw_diag diag;
	struct lw_mqtt_conf c;
	(void)state;

	sec_init(&sec);
	sec_add(&sec, "port", "70000");			/* line 11 */
	sec_add(&sec, "base_topic", "a/+/b");		/* 12 */
	sec_add(&sec, "sensor_id", "pi 1");		/* 13 */
	sec_add(&sec, "max_hosts", "5000");		/* 14 */
	sec_add(&sec, "keepalive", "1s");		/* 15 */
	sec_add(&sec, "prot", "1");			/* 16 */
	sec_add(&sec, "password", "hunter2");		/* 17 */
	sec_add(&sec, "cert_file", "/dev/null");	/* 18 */
	sec_add(&sec, "stats_interval", "soon");	/* 19 */
	lw_diag_init(&diag);
	assert_false(lw_mqtt_conf_load(&sec, &c, true, &diag));
	assert_true(diag_has(&diag, "/etc/lw.yaml:11:3: mqtt.port:"));
	assert_true(diag_has(&diag, "/etc/lw.yaml:12:3: mqtt.base_topic:"));
	assert_true(diag_has(&diag, "/etc/lw.yaml:13:3: mqtt.sensor_id:"));
	assert_true(diag_has(&diag, "/etc/lw.yaml:14:3: mqtt.max_hosts:"));
	assert_true(diag_has(&diag, "/etc/lw.yaml:15:3: mqtt.keepalive:"));
	assert_true(diag_has(&diag, "unknown key 'prot' - did you mean 'port'"));
	assert_true(diag_has(&diag, "/etc/lw.yaml:17:3: mqtt.password: "
	    "secrets are not config values"));
	assert_true(diag_has(&diag, "/etc/lw.yaml:18:3: mqtt.cert_file: a "
	    "client certificate needs both"));
	assert_true(diag_has(&diag, "/etc/lw.yaml:19:3: mqtt.stats_interval"));
	for (size_t i = 0; i < diag.count; i++)
		assert_null(strstr(diag.msgs[i], "hunter2"));
	lw_diag_free(&diag);
	lw_mqtt_conf_free(&c);
	lw_section_free(&sec);
}

static void test_conf_password_file(void **state)
{
	char path[] = "/tmp/lw-t118-pw-XXXXXX";
	struct lw_section sec;
	struct lw_diag diag;
	struct lw_mqtt_conf c;
	(void)state;

	int fd = mkstemp(path);
	assert_true(write(fd, "s3cret\n", 7) == 7);
	close(fd);
	sec_init(&sec);
	sec_add(&sec, "password_file", path);
	lw_diag_init(&diag);
	assert_false(lw_mqtt_conf_load(&sec, &c, true, &diag));
	assert_true(diag_has(&diag, "mqtt.username: missing: a password "
	    "needs a user name"));
	lw_diag_free(&diag);
	lw_mqtt_conf_free(&c);
	sec_add(&sec, "username", "lw");
	lw_diag_init(&diag);
	assert_true(lw_mqtt_conf_load(&sec, &c, true, &diag));
	assert_string_equal(c.password, "s3cret");
	assert_string_equal(c.username, "lw");
	lw_mqtt_conf_free(&c);
	lw_diag_free(&diag);
	unlink(path);
	lw_diag_init(&diag);
	assert_false(lw_mqtt_conf_load(&sec, &c, true, &diag));
	assert_true(diag_has(&diag, "mqtt.password_file: "));
	lw_diag_free(&diag);
	lw_mqtt_conf_free(&c);
	lw_section_free(&sec);
}

/* ---- discovery ---- */

static void assert_component(json_t *cmp, const char *uid_prefix)
{
	static const char *const needs[][3] = {
		{ "sensor", "state_topic", NULL },
		{ "event", "state_topic", "event_types" },
		{ "button", "command_topic", NULL },
		{ "switch", "command_topic", "state_topic" },
		{ "device_tracker", "state_topic", "json_attributes_topic" },
	};
	const char *p = json_string_value(json_object_get(cmp, "p"));
	const char *uid = json_string_value(json_object_get(cmp, "unique_id"));
	bool known = false;

	assert_non_null(p);
	assert_non_null(uid);
	assert_memory_equal(uid, uid_prefix, strlen(uid_prefix));
	for (size_t i = 0; i < sizeof needs / sizeof needs[0]; i++) {
		if (strcmp(needs[i][0], p) != 0)
			continue;
		known = true;
		for (int k = 1; k < 3 && needs[i][k]; k++)
			assert_non_null(json_object_get(cmp, needs[i][k]));
	}
	assert_true(known);
}

static void test_sensor_config(void **state)
{
	const char *scenes[] = { "port-scan", "new-device" };
	const char *keys[] = { "openai", "wg_home" };
	struct lw_mqtt_conf c;
	char topic[LW_MQTT_TOPIC_MAX];
	const char *k;
	json_t *cmp;
	(void)state;

	conf_with(&c, NULL);
	json_t *cfg = lw_mqtt_sensor_config(&c, scenes, 2, keys, 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(
	    json_object_get(cfg, "dev"), "identifiers"), 0)), "labwarden_pi1");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    cfg, "o"), "name")), "labwarden");
	assert_string_equal(json_string_value(json_object_get(cfg,
	    "availability_topic")), "labwarden/pi1/status");
	json_t *cmps = json_object_get(cfg, "cmps");
	json_object_foreach(cmps, k, cmp)
		assert_component(cmp, "labwarden_pi1_");
	json_t *types = json_object_get(json_object_get(cmps, "scene"),
	    "event_types");
	assert_int_equal(json_array_size(types), 2);
	assert_string_equal(json_string_value(json_array_get(types, 0)),
	    "port-scan");
	json_t *rot = json_object_get(cmps, "rotate_wg_home");
	assert_string_equal(json_string_value(json_object_get(rot,
	    "payload_press")), "wg_home");
	assert_string_equal(json_string_value(json_object_get(rot,
	    "command_topic")), "labwarden/pi1/cmd/rotate_keys");
	assert_non_null(json_object_get(cmps, "pause"));
	assert_non_null(json_object_get(cmps, "release_all"));
	assert_non_null(json_object_get(cmps, "packet_rate"));
	/* no scenes: no event entity (event_types may not be empty) */
	json_t *bare = lw_mqtt_sensor_config(&c, NULL, 0, NULL, 0);
	assert_null(json_object_get(json_object_get(bare, "cmps"), "scene"));
	lw_mqtt_config_topic(&c, NULL, topic, sizeof topic);
	assert_string_equal(topic, "homeassistant/device/labwarden_pi1/config");
	json_decref(bare);
	json_decref(cfg);
	lw_mqtt_conf_free(&c);
}

static void test_host_config(void **state)
{
	struct lw_mqtt_conf c;
	struct lw_mqtt_host_info h = { .mac = { 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
	    0x0f }, .name = "Espressif dd:ee:0f", .vendor = "Espressif",
	    .ip = "10.0.0.5", .vlan = -1 };
	char topic[LW_MQTT_TOPIC_MAX];
	const char *k;
	json_t *cmp;
	(void)state;

	conf_with(&c, NULL);
	json_t *cfg = lw_mqtt_host_config(&c, &h);
	json_t *dev = json_object_get(cfg, "dev");
	json_t *cns = json_array_get(json_object_get(dev, "connections"), 0);
	assert_string_equal(json_string_value(json_array_get(cns, 0)), "mac");
	assert_string_equal(json_string_value(json_array_get(cns, 1)),
	    "aa:bb:cc:dd:ee:0f");
	assert_string_equal(json_string_value(json_array_get(json_object_get(
	    dev, "identifiers"), 0)), "labwarden_pi1_aabbccddee0f");
	assert_string_equal(json_string_value(json_object_get(dev,
	    "via_device")), "labwarden_pi1");
	json_object_foreach(json_object_get(cfg, "cmps"), k, cmp)
		assert_component(cmp, "labwarden_pi1_aabbccddee0f_");
	json_t *q = json_object_get(json_object_get(cfg, "cmps"),
	    "quarantined");
	assert_string_equal(json_string_value(json_object_get(q,
	    "command_topic")), "labwarden/pi1/host/aabbccddee0f/quarantine/set");
	/* the same host gives the same text: stable ids */
	char *a = json_dumps(cfg, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_t *again = lw_mqtt_host_config(&c, &h);
	char *b = json_dumps(again, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(a, b);
	free(a);
	free(b);
	json_decref(again);
	lw_mqtt_config_topic(&c, h.mac, topic, sizeof topic);
	assert_string_equal(topic,
	    "homeassistant/device/labwarden_pi1_aabbccddee0f/config");
	json_t *attrs = lw_mqtt_host_attrs(&h);
	assert_null(json_object_get(attrs, "vlan"));
	assert_string_equal(json_string_value(json_object_get(attrs, "ip")),
	    "10.0.0.5");
	json_decref(attrs);
	json_decref(cfg);
	lw_mqtt_conf_free(&c);
}

/* ---- command parsing ---- */

struct parse_case {
	const char *topic, *payload;
	bool retained;
	const char *error;		/* NULL: parses */
	enum lw_mqtt_cmd_kind kind;
};

static void test_cmd_parse(void **state)
{
	static const struct parse_case cases[] = {
		{ "labwarden/pi1/cmd", "{\"action\":\"lockdown\",\"target\":"
		    "\"10.0.0.5\",\"for\":\"2h\"}", false, NULL, LW_MCMD_ACT },
		{ "labwarden/pi1/cmd", "{\"action\":\"release\",\"target\":"
		    "\"aa:bb:cc:dd:ee:ff\"}", false, NULL, LW_MCMD_ACT },
		{ "labwarden/pi1/cmd", "{\"action\":\"release\",\"target\":"
		    "\"10.0.0.5\",\"for\":\"1h\"}", false, "\"for\"", 0 },
		{ "labwarden/pi1/cmd", "{\"action\":\"lockdown\",\"target\":"
		    "\"10.0.0.5\"}", true, "retained", 0 },
		{ "labwarden/pi1/cmd", "{", false, "malformed JSON", 0 },
		{ "labwarden/pi1/cmd", "\"lockdown\"", false, "malformed JSON", 0 },
		{ "labwarden/pi1/cmd", "[]", false, "not an object", 0 },
		{ "labwarden/pi1/cmd", "{\"action\":\"lockdown\",\"action\":"
		    "\"release\",\"target\":\"10.0.0.5\"}", false,
		    "malformed JSON", 0 },
		{ "labwarden/pi1/cmd", "{\"action\":\"lockdown\",\"target\":5}",
		    false, "must be a string", 0 },
		{ "labwarden/pi1/cmd", "{\"action\":\"lockdown\",\"target\":"
		    "\"10.0.0.5; drop table\"}", false, "\"target\"", 0 },
		{ "labwarden/pi1/cmd", "{\"action\":\"lockdown\",\"target\":"
		    "\"10.0.0.5\",\"for\":\"31d\"}", false, "\"for\"", 0 },
		{ "labwarden/pi1/cmd", "{\"target\":\"10.0.0.5\"}", false,
		    "\"action\"", 0 },
		{ "labwarden/pi1/cmd", "{\"a\":{\"b\":[[[[1]]]]}}", false,
		    "unknown key", 0 },
		{ "labwarden/pi1/cmd/rotate_keys", "PRESS", false, NULL,
		    LW_MCMD_ROTATE },
		{ "labwarden/pi1/cmd/rotate_keys", "openai", false, NULL,
		    LW_MCMD_ROTATE },
		{ "labwarden/pi1/cmd/rotate_keys", "../etc", false, "key name",
		    0 },
		{ "labwarden/pi1/cmd/release_all", "PRESS", false, NULL,
		    LW_MCMD_RELEASE_ALL },
		{ "labwarden/pi1/cmd/release_all", "yes", false, "PRESS", 0 },
		{ "labwarden/pi1/cmd/reboot", "PRESS", false, "unknown command",
		    0 },
		{ "labwarden/pi1/pause/set", "ON", false, NULL, LW_MCMD_PAUSE },
		{ "labwarden/pi1/pause/set", "on", false, NULL, LW_MCMD_PAUSE },
		{ "labwarden/pi1/pause/set", "1", false, "ON or OFF", 0 },
		{ "labwarden/pi1/host/aabbccddeeff/quarantine/set", "OFF", false,
		    NULL, LW_MCMD_QUARANTINE },
		{ "labwarden/pi1/host/AABBCCDDEEFF/lockdown", "PRESS", false, NULL,
		    LW_MCMD_HOST_LOCKDOWN },
		{ "labwarden/pi1/host/aabbccddeef/lockdown", "PRESS", false,
		    "12 hex", 0 },
		{ "labwarden/pi1/host/aabbccddeefg/lockdown", "PRESS", false,
		    "12 hex", 0 },
		{ "labwarden/pi1/host/aabbccddeeff", "PRESS", false, "12 hex", 0 },
		{ "labwarden/pi1/host/aabbccddeeff/reboot", "PRESS", false,
		    "unknown host command", 0 },
		{ "labwarden/pi1/host/aabbccddeeff/lockdown", "PRESS", true,
		    "retained", 0 },
		{ "labwarden/pi2/cmd", "{}", false, "not a command topic", 0 },
		{ "labwarden/pi1", "{}", false, "not a command topic", 0 },
		{ "labwarden/pi1/status", "online", false, "not a command", 0 },
	};
	struct lw_mqtt_conf c;
	struct lw_mqtt_cmd cmd;
	char err[300];
	(void)state;

	conf_with(&c, NULL);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct parse_case *t = &cases[i];
		bool ok = lw_mqtt_cmd_parse(&c, t->topic, t->payload,
		    strlen(t->payload), t->retained, &cmd, err, sizeof err);
		if (t->error) {
			if (ok || !strstr(err, t->error))
				fail_msg("case %zu (%s %s): want '%s', got %s "
				    "'%s'", i, t->topic, t->payload, t->error,
				    ok ? "ok" : "error", ok ? "" : err);
		} else {
			if (!ok)
				fail_msg("case %zu (%s %s): %s", i, t->topic,
				    t->payload, err);
			assert_int_equal(cmd.kind, t->kind);
		}
	}
	/* a NUL inside, and more than a command may hold */
	assert_false(lw_mqtt_cmd_parse(&c, "labwarden/pi1/pause/set", "ON\0x",
	    4, false, &cmd, err, sizeof err));
	assert_non_null(strstr(err, "NUL"));
	char *big = calloc(1, LW_MQTT_PAYLOAD_MAX + 2);
	memset(big, '{', LW_MQTT_PAYLOAD_MAX + 1);
	assert_false(lw_mqtt_cmd_parse(&c, "labwarden/pi1/cmd", big,
	    LW_MQTT_PAYLOAD_MAX + 1, false, &cmd, err, sizeof err));
	free(big);
	/* the fields parsed */
	const char *js = "{\"action\":\"quarantine\",\"target\":"
	    "\"aa:bb:cc:dd:ee:ff\",\"for\":\"2h\"}";
	assert_true(lw_mqtt_cmd_parse(&c, "labwarden/pi1/cmd", js, strlen(js),
	    false, &cmd, err, sizeof err));
	assert_int_equal(cmd.op, LW_REQ_QUARANTINE);
	assert_string_equal(cmd.target, "aa:bb:cc:dd:ee:ff");
	assert_int_equal(cmd.for_ns, 7200 * LW_NS_PER_SEC);
	assert_true(lw_mqtt_cmd_parse(&c,
	    "labwarden/pi1/host/a823fe010203/quarantine/set", "ON", 2, false,
	    &cmd, err, sizeof err));
	assert_true(cmd.on);
	assert_int_equal(cmd.mac[0], 0xa8);
	assert_int_equal(cmd.mac[5], 0x03);
	lw_mqtt_conf_free(&c);
}

static void test_request_echo(void **state)
{
	(void)state;
	json_t *r = lw_mqtt_request_json("labwarden/pi1/cmd",
	    "a\x01\xff\"b", 5);
	assert_string_equal(json_string_value(json_object_get(r, "payload")),
	    "a??\"b");
	char *text = json_dumps(r, 0);
	assert_non_null(text);
	free(text);
	json_decref(r);
}

/* ---- carrying commands out ---- */

struct fake {
	int	 calls, pauses;
	struct lw_act_req last;
	char	 target[64];
	const char *status;
	bool	 paused;
	json_t	*active;
	char	 rotated[64];
};

static const char *fake_submit(void *ctx, const struct lw_act_req *req,
    json_t *out)
{
	struct fake *f = ctx;

	f->calls++;
	f->last = *req;
	snprintf(f->target, sizeof f->target, "%s", req->target.text);
	json_object_set_new(out, "detail", json_string("fake detail"));
	return f->status;
}

static void fake_pause(void *ctx, bool paused)
{
	((struct fake *)ctx)->paused = paused;
	((struct fake *)ctx)->pauses++;
}

static json_t *fake_active(void *ctx, uint64_t now)
{
	(void)now;
	return json_incref(((struct fake *)ctx)->active);
}

static const char *fake_rotate(void *ctx, const char *key, uint64_t now,
    char *detail, size_t len)
{
	(void)now;
	snprintf(((struct fake *)ctx)->rotated, 64, "%s", key[0] ? key : "*");
	snprintf(detail, len, "queued");
	return "pending";
}

static struct lw_inventory inv;

static struct lw_device *add_device(struct lw_inventory *in, const char *mac,
    const char *ip, uint64_t last_ns)
{
	uint8_t m[6];
	bool created;
	unsigned b[6];

	assert_int_equal(sscanf(mac, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2],
	    &b[3], &b[4], &b[5]), 6);
	for (int i = 0; i < 6; i++)
		m[i] = (uint8_t)b[i];
	struct lw_device *d = lw_table_put(&in->devices, m, &created);
	d->announced = true;
	d->first_ns = 1;
	d->last_ns = last_ns;
	if (ip) {
		d->ip.family = 4;
		assert_int_equal(sscanf(ip, "%u.%u.%u.%u", &b[0], &b[1], &b[2],
		    &b[3]), 4);
		for (int i = 0; i < 4; i++)
			d->ip.bytes[i] = (uint8_t)b[i];
	}
	return d;
}

static int inv_setup(void **state)
{
	struct lw_inventory_caps caps = { 16, 16, 16 };
	char err[128];
	(void)state;
	return lw_inventory_init(&inv, &caps, err, sizeof err) ? 0 : -1;
}

static int inv_teardown(void **state)
{
	(void)state;
	lw_inventory_free(&inv);
	return 0;
}

static void test_cmd_run(void **state)
{
	struct fake f = { .status = "done" };
	struct lw_mqtt_actions acts = { fake_submit, fake_pause, NULL,
	    fake_active, NULL, &f };
	struct lw_mqtt_cmd cmd = { .kind = LW_MCMD_ACT, .op = LW_REQ_LOCKDOWN,
	    .target = "10.0.0.5", .for_ns = 5 };
	(void)state;

	json_t *res = lw_mqtt_cmd_run(&cmd, &acts, &inv, 100);
	assert_true(json_is_true(json_object_get(res, "ok")));
	assert_string_equal(f.last.origin, "mqtt");
	assert_false(f.last.automatic);
	assert_int_equal(f.last.for_ns, 5);
	assert_int_equal(f.last.now_ns, 100);
	assert_string_equal(f.target, "10.0.0.5");
	assert_string_equal(f.last.target.ip, "10.0.0.5");
	json_decref(res);

	f.status = "refused";
	res = lw_mqtt_cmd_run(&cmd, &acts, &inv, 100);
	assert_true(json_is_false(json_object_get(res, "ok")));
	assert_string_equal(json_string_value(json_object_get(res, "error")),
	    "fake detail");
	json_decref(res);
	f.status = "done";

	/* a host's button: its address from the inventory */
	add_device(&inv, "aa:bb:cc:dd:ee:01", "192.168.1.15", 10);
	add_device(&inv, "aa:bb:cc:dd:ee:02", NULL, 10);
	struct lw_mqtt_cmd host = { .kind = LW_MCMD_HOST_LOCKDOWN,
	    .mac = { 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x01 } };
	res = lw_mqtt_cmd_run(&host, &acts, &inv, 100);
	assert_string_equal(f.target, "192.168.1.15");
	assert_int_equal(f.last.op, LW_REQ_LOCKDOWN);
	json_decref(res);
	host.mac[5] = 2;
	int before = f.calls;
	res = lw_mqtt_cmd_run(&host, &acts, &inv, 100);
	assert_int_equal(f.calls, before);	/* no address: nothing asked */
	assert_non_null(strstr(json_string_value(json_object_get(res, "error")),
	    "no IP address"));
	json_decref(res);

	/* the quarantined switch */
	host.kind = LW_MCMD_QUARANTINE;
	host.on = true;
	res = lw_mqtt_cmd_run(&host, &acts, &inv, 100);
	assert_int_equal(f.last.op, LW_REQ_QUARANTINE);
	assert_string_equal(f.target, "aa:bb:cc:dd:ee:02");
	assert_string_equal(f.last.target.mac, "aa:bb:cc:dd:ee:02");
	json_decref(res);
	host.on = false;
	json_decref(lw_mqtt_cmd_run(&host, &acts, &inv, 100));
	assert_int_equal(f.last.op, LW_REQ_RELEASE);

	/* release all: every target in force */
	f.active = json_pack("[{s:s}, {s:s}, {s:i}]", "target", "10.0.0.7",
	    "target", "aa:bb:cc:dd:ee:03", "target", 5);
	before = f.calls;
	struct lw_mqtt_cmd all = { .kind = LW_MCMD_RELEASE_ALL };
	res = lw_mqtt_cmd_run(&all, &acts, &inv, 100);
	assert_int_equal(f.calls, before + 2);
	assert_int_equal(json_integer_value(json_object_get(res, "released")),
	    2);
	json_decref(res);
	json_decref(f.active);

	/* pause, and rotation that is not wired */
	struct lw_mqtt_cmd pause = { .kind = LW_MCMD_PAUSE, .on = true };
	json_decref(lw_mqtt_cmd_run(&pause, &acts, &inv, 100));
	assert_true(f.paused);
	struct lw_mqtt_cmd rot = { .kind = LW_MCMD_ROTATE, .key = "openai" };
	res = lw_mqtt_cmd_run(&rot, &acts, &inv, 100);
	assert_non_null(strstr(json_string_value(json_object_get(res, "error")),
	    "not available"));
	json_decref(res);
	acts.rotate = fake_rotate;
	res = lw_mqtt_cmd_run(&rot, &acts, &inv, 100);
	assert_true(json_is_true(json_object_get(res, "ok")));
	assert_string_equal(f.rotated, "openai");
	json_decref(res);

	/* no action layer at all */
	res = lw_mqtt_cmd_run(&cmd, NULL, &inv, 100);
	assert_true(json_is_false(json_object_get(res, "ok")));
	json_decref(res);
	lw_table_clear(&inv.devices);
}

/* ---- which hosts ---- */

struct recorder {
	char	*topic[64];
	char	*payload[64];
	int	 clears;
};

static void record(void *ctx, size_t slot, const char *topic,
    const char *payload)
{
	struct recorder *r = ctx;

	assert_true(slot < 64);
	free(r->topic[slot]);
	free(r->payload[slot]);
	r->topic[slot] = topic ? strdup(topic) : NULL;
	r->payload[slot] = payload ? strdup(payload) : NULL;
	r->clears += topic == NULL;
}

static void recorder_free(struct recorder *r)
{
	for (int i = 0; i < 64; i++) {
		free(r->topic[i]);
		free(r->payload[i]);
	}
	memset(r, 0, sizeof *r);
}

/* Is mac's config among the recorded slots? */
static bool published(const struct recorder *r, const char *mac12)
{
	for (int i = 0; i < 64; i++)
		if (r->topic[i] && strstr(r->topic[i], mac12) &&
		    strstr(r->topic[i], "/config"))
			return true;
	return false;
}

static void test_hosts(void **state)
{
	const char *cap3[] = { "max_hosts", "3", "away_after", "10m", NULL };
	struct lw_mqtt_conf c;
	struct lw_mqtt_hosts h;
	struct recorder r = { 0 };
	struct lw_oui oui = { 0 };
	uint64_t now = 3600 * LW_NS_PER_SEC;
	(void)state;

	conf_with(&c, cap3);
	assert_true(lw_mqtt_hosts_init(&h, &c));
	add_device(&inv, "02:00:00:00:00:01", "10.0.0.1", now);
	add_device(&inv, "02:00:00:00:00:02", "10.0.0.2", now);
	struct lw_device *quiet = add_device(&inv, "02:00:00:00:00:03",
	    "10.0.0.3", now - 3000 * LW_NS_PER_SEC);
	add_device(&inv, "02:00:00:00:00:04", "10.0.0.4", now);
	add_device(&inv, "02:00:00:00:00:05", NULL, now)->announced = false;
	(void)quiet;
	json_t *active = json_pack("[{s:s, s:s}]", "action", "quarantine",
	    "target", "02:00:00:00:00:04");
	lw_mqtt_hosts_sync(&h, &inv, &oui, active, now, 0, record, &r);
	/* the three newest announced ones; 5 was never announced */
	assert_int_equal(h.used, 3);
	assert_false(published(&r, "020000000001"));
	assert_true(published(&r, "020000000002"));
	assert_true(published(&r, "020000000003"));
	assert_true(published(&r, "020000000004"));
	assert_false(published(&r, "020000000005"));
	for (int i = 0; i < 12; i++) {
		assert_non_null(r.topic[i]);
		if (strstr(r.topic[i], "/config")) {
			json_t *doc = json_loads(r.payload[i], 0, NULL);
			assert_non_null(doc);
			json_decref(doc);
		}
		if (strstr(r.topic[i], "020000000003/presence"))
			assert_string_equal(r.payload[i], "not_home");
		if (strstr(r.topic[i], "020000000002/presence"))
			assert_string_equal(r.payload[i], "home");
		if (strstr(r.topic[i], "020000000004/quarantine"))
			assert_string_equal(r.payload[i], "ON");
		if (strstr(r.topic[i], "020000000002/quarantine"))
			assert_string_equal(r.payload[i], "OFF");
	}
	/* the inventory forgets one: cleared, and its place refilled */
	uint8_t gone[6] = { 2, 0, 0, 0, 0, 2 };
	assert_true(lw_table_del(&inv.devices, gone));
	lw_mqtt_hosts_sync(&h, &inv, &oui, active, now, 0, record, &r);
	assert_int_equal(r.clears, 4);
	assert_false(published(&r, "020000000002"));
	assert_true(published(&r, "020000000001"));
	assert_int_equal(h.used, 3);
	lw_mqtt_hosts_free(&h);
	recorder_free(&r);

	/* a past run's host comes first */
	const char *past[] = {
		"homeassistant/device/labwarden_pi1_020000000001/config",
		"homeassistant/device/labwarden_other_020000000003/config",
		"homeassistant/device/labwarden_pi1_zz/config",
	};
	const char *cap1[] = { "max_hosts", "1", NULL };
	lw_mqtt_conf_free(&c);
	conf_with(&c, cap1);
	lw_mqtt_hosts_init(&h, &c);
	lw_mqtt_hosts_prefer(&h, past, 3);
	assert_int_equal(h.nprefer, 1);
	lw_mqtt_hosts_sync(&h, &inv, &oui, active, now, 0, record, &r);
	assert_true(published(&r, "020000000001"));
	lw_mqtt_hosts_free(&h);
	recorder_free(&r);
	json_decref(active);
	lw_mqtt_conf_free(&c);
	lw_table_clear(&inv.devices);
}

static void test_hostile_names(void **state)
{
	const char *cap[] = { "max_hosts", "2", NULL };
	struct lw_mqtt_conf c;
	struct lw_mqtt_hosts h;
	struct recorder r = { 0 };
	struct lw_oui oui = { 0 };
	(void)state;

	conf_with(&c, cap);
	lw_mqtt_hosts_init(&h, &c);
	struct lw_device *d = add_device(&inv, "02:00:00:00:00:09", "10.0.0.9",
	    5);
	memcpy(d->hostname, "ev\x01il\"\xff\xfe\\n", 11);
	json_t *none = json_array();
	lw_mqtt_hosts_sync(&h, &inv, &oui, none, 5, 0, record, &r);
	for (int i = 0; i < 4; i++) {
		assert_non_null(r.payload[i]);
		if (!strstr(r.topic[i], "/config") &&
		    !strstr(r.topic[i], "/attrs"))
			continue;
		json_t *doc = json_loads(r.payload[i], 0, NULL);
		assert_non_null(doc);
		assert_null(strchr(r.payload[i], '\x01'));
		json_decref(doc);
	}
	json_decref(none);
	lw_mqtt_hosts_free(&h);
	recorder_free(&r);
	lw_mqtt_conf_free(&c);
	lw_table_clear(&inv.devices);
}

/* A network of far more devices than max_hosts: the choice stays
 * bounded (the MAC set once filled up and its probe never ended). */
static void test_hosts_many(void **state)
{
	const char *cap3[] = { "max_hosts", "3", NULL };
	struct lw_inventory_caps caps = { 1024, 16, 16 };
	struct lw_inventory big;
	struct lw_mqtt_conf c;
	struct lw_mqtt_hosts h;
	struct recorder r = { 0 };
	struct lw_oui oui = { 0 };
	char err[128], mac[32];
	uint64_t now = 3600 * LW_NS_PER_SEC;
	(void)state;

	assert_true(lw_inventory_init(&big, &caps, err, sizeof err));
	for (int i = 0; i < 600; i++) {
		snprintf(mac, sizeof mac, "02:00:00:00:%02x:%02x", i >> 8,
		    i & 0xff);
		add_device(&big, mac, NULL, now);
	}
	conf_with(&c, cap3);
	assert_true(lw_mqtt_hosts_init(&h, &c));
	lw_mqtt_hosts_sync(&h, &big, &oui, NULL, now, 0, record, &r);
	assert_int_equal(h.used, 3);
	assert_true(published(&r, "020000000257"));	/* the newest */
	assert_false(published(&r, "020000000000"));
	lw_mqtt_hosts_free(&h);
	recorder_free(&r);
	lw_inventory_free(&big);
}

/* Clears of forgotten hosts past the queue's bound spill into a second
 * list (kept in the saved topic list) and come back as the queue
 * empties; only past both bounds are they counted lost. */
static void test_clears_spill(void **state)
{
	struct lw_link *l = calloc(1, sizeof *l);
	char topic[64];
	(void)state;

	assert_non_null(l);
	for (int i = 0; i < CLEARS_MAX + 10; i++) {
		snprintf(topic, sizeof topic, "homeassistant/device/h%d/config",
		    i);
		lw_link_clear_topic_locked(l, strdup(topic));
	}
	assert_int_equal(l->nclears, CLEARS_MAX);
	assert_int_equal(l->nspill, 10);
	assert_int_equal(l->clears_lost, 0);
	for (size_t i = 0; i < 25; i++)		/* 25 were published */
		free(l->clears[i]);
	memmove(l->clears, l->clears + 25, (l->nclears - 25) *
	    sizeof *l->clears);
	l->nclears -= 25;
	lw_link_refill_clears_locked(l);
	assert_int_equal(l->nclears, CLEARS_MAX - 15);
	assert_int_equal(l->nspill, 0);
	snprintf(topic, sizeof topic, "homeassistant/device/h%d/config",
	    CLEARS_MAX + 9);
	assert_string_equal(l->clears[l->nclears - 1], topic);
	for (int i = 0; i < 2 * CLEARS_MAX; i++)
		lw_link_clear_topic_locked(l, strdup("x/y/config"));
	assert_int_equal(l->nspill, CLEARS_MAX);
	assert_int_equal(l->clears_lost, CLEARS_MAX - 15);
	for (size_t i = 0; i < l->nclears; i++)
		free(l->clears[i]);
	for (size_t i = 0; i < l->nspill; i++)
		free(l->spill[i]);
	free(l->clears);
	free(l->spill);
	free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_defaults),
		cmocka_unit_test(test_conf_mistakes),
		cmocka_unit_test(test_conf_password_file),
		cmocka_unit_test(test_sensor_config),
		cmocka_unit_test(test_host_config),
		cmocka_unit_test(test_cmd_parse),
		cmocka_unit_test(test_request_echo),
		cmocka_unit_test(test_cmd_run),
		cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_clears_spill),
		cmocka_unit_test(test_hosts_many),
	};
	return cmocka_run_group_tests(tests, inv_setup, inv_teardown);
}
