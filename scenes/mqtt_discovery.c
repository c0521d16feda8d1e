/*
 * mqtt_discovery.c - the Home Assistant discovery payloads (mqtt.h).
 *
 * Device-based discovery: one retained config per device on
 * <prefix>/device/<object id>/config with "dev" (the device), "o" (the
 * origin, required for device discovery) and "cmps" (its entities,
 * each with "p", its platform, and a unique_id).  Entity options use
 * their full names.  Object ids and unique_ids are built only from the
 * sensor id and MACs, so they stay the same across restarts of either
 * side; changing them would leave the old entities behind.
 */
#include <stdio.h>
#include <string.h>

#include "labwarden/clock.h"
#include "labwarden/mqtt.h"

void lw_mqtt_mac12(const uint8_t *mac, char out[13])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 6; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 15];
	}
	out[12] = '\0';
}

void lw_mqtt_config_topic(const struct lw_mqtt_conf *c, const uint8_t *mac,
    char *buf, size_t len)
{
	char m12[13];

	if (!mac) {
		snprintf(buf, len, "%s/device/labwarden_%s/config",
		    c->discovery_prefix, c->sensor_id);
		return;
	}
	lw_mqtt_mac12(mac, m12);
	snprintf(buf, len, "%s/device/labwarden_%s_%s/config",
	    c->discovery_prefix, c->sensor_id, m12);
}

void lw_mqtt_host_topic(const struct lw_mqtt_conf *c, const uint8_t *mac,
    const char *leaf, char *buf, size_t len)
{
	char m12[13];

	lw_mqtt_mac12(mac, m12);
	snprintf(buf, len, "%s/host/%s/%s", c->root, m12, leaf);
}

void lw_mqtt_topic(const struct lw_mqtt_conf *c, const char *leaf, char *buf,
    size_t len)
{
	snprintf(buf, len, "%s/%s", c->root, leaf);
}

static json_t *origin(void)
{
	return json_pack("{s:s, s:s}", "name", "labwarden", "sw", LW_VERSION);
}

/* One entity: its platform, name and unique_id "<prefix>_<what>". */
static json_t *component(const char *platform, const char *name,
    const char *uid_prefix, const char *what)
{
	json_t *cmp = json_object();

	json_object_set_new(cmp, "p", json_string(platform));
	json_object_set_new(cmp, "name", name ? json_string(name) : json_null());
	json_object_set_new(cmp, "unique_id", json_sprintf("%s_%s", uid_prefix,
	    what));
	return cmp;
}

static void set_topic(json_t *obj, const char *key,
    const struct lw_mqtt_conf *c, const char *leaf)
{
	char topic[LW_MQTT_TOPIC_MAX];

	lw_mqtt_topic(c, leaf, topic, sizeof topic);
	json_object_set_new(obj, key, json_string(topic));
}

/* A sensor reading one field of <root>/stats. */
static json_t *stat_sensor(const struct lw_mqtt_conf *c, const char *uid,
    const char *what, const char *name, const char *field, const char *unit,
    const char *state_class)
{
	json_t *cmp = component("sensor", name, uid, what);

	set_topic(cmp, "state_topic", c, "stats");
	json_object_set_new(cmp, "value_template", json_sprintf(
	    "{{ value_json.%s }}", field));
	if (unit)
		json_object_set_new(cmp, "unit_of_measurement",
		    json_string(unit));
	json_object_set_new(cmp, "state_class", json_string(state_class));
	return cmp;
}

static void add_stat_sensors(json_t *cmps, const struct lw_mqtt_conf *c,
    const char *uid)
{
	json_object_set_new(cmps, "packet_rate", stat_sensor(c, uid,
	    "packet_rate", "Packet rate", "pps", "pkt/s", "measurement"));
	json_object_set_new(cmps, "drops", stat_sensor(c, uid, "drops",
	    "Dropped packets", "drops", "packets", "total_increasing"));
	json_object_set_new(cmps, "devices", stat_sensor(c, uid, "devices",
	    "Known devices", "devices", NULL, "measurement"));
	json_object_set_new(cmps, "quarantines", stat_sensor(c, uid,
	    "quarantines", "Active quarantines", "quarantines", NULL,
	    "measurement"));
	json_object_set_new(cmps, "lockdowns", stat_sensor(c, uid, "lockdowns",
	    "Active lockdowns", "lockdowns", NULL, "measurement"));
	json_t *tp = stat_sensor(c, uid, "table_pressure", "Table evictions",
	    "table_evictions", NULL, "total_increasing");
	json_object_set_new(tp, "entity_category", json_string("diagnostic"));
	json_object_set_new(cmps, "table_pressure", tp);
}

static void add_controls(json_t *cmps, const struct lw_mqtt_conf *c,
    const char *uid, const char *const *keys, size_t nkeys)
{
	for (size_t i = 0; i < nkeys; i++) {
		char what[96], name[96];
		snprintf(what, sizeof what, "rotate_%s", keys[i]);
		snprintf(name, sizeof name, "Rotate %s", keys[i]);
		json_t *b = component("button", name, uid, what);
		set_topic(b, "command_topic", c, "cmd/rotate_keys");
		json_object_set_new(b, "payload_press", json_string(keys[i]));
		json_object_set_new(b, "entity_category", json_string("config"));
		json_object_set_new(cmps, what, b);
	}
	json_t *rel = component("button", "Release all", uid, "release_all");
	set_topic(rel, "command_topic", c, "cmd/release_all");
	json_object_set_new(rel, "payload_press", json_string("PRESS"));
	json_object_set_new(cmps, "release_all", rel);

	json_t *pause = component("switch", "Pause automatic actions", uid,
	    "pause");
	set_topic(pause, "command_topic", c, "pause/set");
	set_topic(pause, "state_topic", c, "pause");
	json_object_set_new(pause, "payload_on", json_string("ON"));
	json_object_set_new(pause, "payload_off", json_string("OFF"));
	json_object_set_new(pause, "entity_category", json_string("config"));
	json_object_set_new(cmps, "pause", pause);
}

json_t *lw_mqtt_sensor_config(const struct lw_mqtt_conf *c,
    const char *const *scenes, size_t nscenes, const char *const *keys,
    size_t nkeys)
{
	char uid[LW_MQTT_ID_MAX + 16];
	json_t *cmps = json_object();

	snprintf(uid, sizeof uid, "labwarden_%s", c->sensor_id);
	add_stat_sensors(cmps, c, uid);
	if (nscenes) {
		json_t *ev = component("event", "Scene", uid, "scene");
		set_topic(ev, "state_topic", c, "scene");
		json_t *types = json_array();
		for (size_t i = 0; i < nscenes; i++)
			json_array_append_new(types, json_string(scenes[i]));
		json_object_set_new(ev, "event_types", types);
		json_object_set_new(cmps, "scene", ev);
	}
	add_controls(cmps, c, uid, keys, nkeys);

	json_t *dev = json_pack("{s:[s], s:s, s:s, s:s, s:s}", "identifiers",
	    uid, "name", "", "manufacturer", "labwarden", "model",
	    "network sensor", "sw_version", LW_VERSION);
	json_object_set_new(dev, "name", json_sprintf("labwarden %s",
	    c->sensor_id));
	json_t *cfg = json_object();
	json_object_set_new(cfg, "dev", dev);
	json_object_set_new(cfg, "o", origin());
	set_topic(cfg, "availability_topic", c, "status");
	json_object_set_new(cfg, "qos", json_integer(1));
	json_object_set_new(cfg, "cmps", cmps);
	return cfg;
}

json_t *lw_mqtt_host_config(const struct lw_mqtt_conf *c,
    const struct lw_mqtt_host_info *h)
{
	char m12[13], uid[LW_MQTT_ID_MAX + 32], mac[18], topic[LW_MQTT_TOPIC_MAX];
	json_t *cmps = json_object();

	lw_mqtt_mac12(h->mac, m12);
	snprintf(uid, sizeof uid, "labwarden_%s_%s", c->sensor_id, m12);
	snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", h->mac[0],
	    h->mac[1], h->mac[2], h->mac[3], h->mac[4], h->mac[5]);

	/* "name": null: the tracker is the device's main feature */
	json_t *trk = component("device_tracker", NULL, uid, "presence");
	lw_mqtt_host_topic(c, h->mac, "presence", topic, sizeof topic);
	json_object_set_new(trk, "state_topic", json_string(topic));
	lw_mqtt_host_topic(c, h->mac, "attrs", topic, sizeof topic);
	json_object_set_new(trk, "json_attributes_topic", json_string(topic));
	json_object_set_new(trk, "source_type", json_string("router"));
	json_object_set_new(trk, "payload_home", json_string("home"));
	json_object_set_new(trk, "payload_not_home", json_string("not_home"));
	json_object_set_new(cmps, "presence", trk);

	json_t *q = component("switch", "Quarantined", uid, "quarantined");
	lw_mqtt_host_topic(c, h->mac, "quarantine/set", topic, sizeof topic);
	json_object_set_new(q, "command_topic", json_string(topic));
	lw_mqtt_host_topic(c, h->mac, "quarantine", topic, sizeof topic);
	json_object_set_new(q, "state_topic", json_string(topic));
	json_object_set_new(q, "payload_on", json_string("ON"));
	json_object_set_new(q, "payload_off", json_string("OFF"));
	json_object_set_new(cmps, "quarantined", q);

	json_t *lock = component("button", "Lock down", uid, "lockdown");
	lw_mqtt_host_topic(c, h->mac, "lockdown", topic, sizeof topic);
	json_object_set_new(lock, "command_topic", json_string(topic));
	json_object_set_new(lock, "payload_press", json_string("PRESS"));
	json_object_set_new(cmps, "lockdown", lock);

	json_t *dev = json_object();
	json_object_set_new(dev, "identifiers", json_pack("[s]", uid));
	json_object_set_new(dev, "connections", json_pack("[[s,s]]", "mac",
	    mac));
	json_object_set_new(dev, "name", json_string(h->name));
	if (h->vendor[0])
		json_object_set_new(dev, "manufacturer",
		    json_string(h->vendor));
	json_object_set_new(dev, "via_device", json_sprintf("labwarden_%s",
	    c->sensor_id));

	json_t *cfg = json_object();
	json_object_set_new(cfg, "dev", dev);
	json_object_set_new(cfg, "o", origin());
	set_topic(cfg, "availability_topic", c, "status");
	json_object_set_new(cfg, "qos", json_integer(1));
	json_object_set_new(cfg, "cmps", cmps);
	return cfg;
}

json_t *lw_mqtt_host_attrs(const struct lw_mqtt_host_info *h)
{
	char ts[LW_TIME_STRLEN], mac[18];
	json_t *a = json_object();

	snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", h->mac[0],
	    h->mac[1], h->mac[2], h->mac[3], h->mac[4], h->mac[5]);
	json_object_set_new(a, "mac", json_string(mac));
	if (h->ip[0])
		json_object_set_new(a, "ip", json_string(h->ip));
	if (h->vendor[0])
		json_object_set_new(a, "vendor", json_string(h->vendor));
	if (h->hostname[0])
		json_object_set_new(a, "hostname", json_string(h->hostname));
	json_object_set_new(a, "first_seen", json_string(lw_time_format(
	    h->first_ns, ts, sizeof ts)));
	json_object_set_new(a, "last_seen", json_string(lw_time_format(
	    h->last_ns, ts, sizeof ts)));
	json_object_set_new(a, "randomized", json_boolean(h->randomized));
	json_object_set_new(a, "known", json_boolean(h->known));
	if (h->vlan >= 0)
		json_object_set_new(a, "vlan", json_integer(h->vlan));
	return a;
}
