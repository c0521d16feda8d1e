/*
 * mqtt_hosts.c - which LAN hosts Home Assistant gets as devices, and
 * their retained states (mqtt.h).
 *
 * At most mqtt.max_hosts hosts are published.  A published host keeps
 * its place while the inventory knows it (so a flood of random MACs
 * cannot push the real devices out of Home Assistant); when the
 * inventory evicts it, its config and states are cleared with empty
 * retained payloads and the place goes to another announced device.
 * The inventory is walked only when it changed and there is room.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mosquitto.h>

#include "labwarden/mqtt.h"

bool lw_mqtt_hosts_init(struct lw_mqtt_hosts *h, const struct lw_mqtt_conf *c)
{
	memset(h, 0, sizeof *h);
	h->conf = c;
	h->slots = calloc(c->max_hosts ? c->max_hosts : 1, sizeof *h->slots);
	return h->slots != NULL;
}

void lw_mqtt_hosts_free(struct lw_mqtt_hosts *h)
{
	free(h->slots);
	free(h->prefer);
	memset(h, 0, sizeof *h);
}

void lw_mqtt_hosts_prefer(struct lw_mqtt_hosts *h, const char *const *topics,
    size_t n)
{
	char head[LW_MQTT_TOPIC_MAX];
	int headlen = snprintf(head, sizeof head, "%s/device/labwarden_%s_",
	    h->conf->discovery_prefix, h->conf->sensor_id);

	free(h->prefer);
	h->nprefer = 0;
	h->prefer = calloc(h->conf->max_hosts ? h->conf->max_hosts : 1,
	    sizeof *h->prefer);
	for (size_t i = 0; h->prefer && i < n &&
	    h->nprefer < h->conf->max_hosts; i++) {
		const char *t = topics[i];
		unsigned b[6];
		char tail[16];
		if (strncmp(t, head, (size_t)headlen) != 0 ||
		    sscanf(t + headlen, "%2x%2x%2x%2x%2x%2x%15s", &b[0], &b[1],
		    &b[2], &b[3], &b[4], &b[5], tail) != 7 ||
		    strcmp(tail, "/config") != 0)
			continue;
		for (int k = 0; k < 6; k++)
			h->prefer[h->nprefer][k] = (uint8_t)b[k];
		h->nprefer++;
	}
}

/* ---- a small set of published MACs, for the walk ---- */

struct macset {
	uint8_t	(*keys)[6];
	bool	*used;
	size_t	 mask;
};

static size_t mac_hash(const uint8_t *mac)
{
	return (size_t)(mac[2] * 16777619u ^ mac[3] * 2654435761u ^
	    mac[4] * 40503u ^ mac[5]);
}

static bool macset_init(struct macset *s, size_t n)
{
	size_t cap = 16;
	while (cap < 2 * n)
		cap *= 2;
	s->keys = calloc(cap, sizeof *s->keys);
	s->used = calloc(cap, sizeof *s->used);
	s->mask = cap - 1;
	return s->keys && s->used;
}

static void macset_free(struct macset *s)
{
	free(s->keys);
	free(s->used);
}

/* True when mac was there already. */
static bool macset_add(struct macset *s, const uint8_t *mac)
{
	size_t i = mac_hash(mac) & s->mask;

	while (s->used[i]) {
		if (memcmp(s->keys[i], mac, 6) == 0)
			return true;
		i = (i + 1) & s->mask;
	}
	s->used[i] = true;
	memcpy(s->keys[i], mac, 6);
	return false;
}

static bool macset_has(const struct macset *s, const uint8_t *mac)
{
	for (size_t i = mac_hash(mac) & s->mask; s->used[i];
	    i = (i + 1) & s->mask)
		if (memcmp(s->keys[i], mac, 6) == 0)
			return true;
	return false;
}

/* ---- choosing ---- */

static void clear_host(struct lw_mqtt_hosts *h, size_t i, size_t base,
    lw_mqtt_state_fn fn, void *ctx)
{
	for (size_t k = 0; k < LW_MQTT_HOST_SLOTS; k++)
		fn(ctx, base + i * LW_MQTT_HOST_SLOTS + k, NULL, NULL);
	h->slots[i].used = false;
	h->used--;
}

static bool take_slot(struct lw_mqtt_hosts *h, const uint8_t *mac)
{
	for (size_t i = 0; i < h->conf->max_hosts; i++)
		if (!h->slots[i].used) {
			memcpy(h->slots[i].mac, mac, 6);
			h->slots[i].used = true;
			h->used++;
			return true;
		}
	return false;
}

/* Free places go to a past run's hosts, then to the newest ones. */
static void fill(struct lw_mqtt_hosts *h, const struct lw_inventory *inv)
{
	size_t room, k = 0;
	struct macset seen;

	if (!macset_init(&seen, h->conf->max_hosts + 1)) {
		macset_free(&seen);
		return;
	}
	for (size_t i = 0; i < h->conf->max_hosts; i++)
		if (h->slots[i].used)
			macset_add(&seen, h->slots[i].mac);
	for (size_t i = 0; i < h->nprefer && h->used < h->conf->max_hosts;
	    i++) {
		const struct lw_device *d = lw_table_peek(&inv->devices,
		    h->prefer[i]);
		if (d && d->announced && !macset_add(&seen, h->prefer[i]))
			take_slot(h, h->prefer[i]);
	}
	room = h->conf->max_hosts - h->used;
	uint8_t (*newest)[6] = room ? calloc(room, sizeof *newest) : NULL;
	/* oldest to newest: the ring keeps the last 'room' candidates.
	 * The set holds at most max_hosts published MACs: the walk only
	 * looks up (inventory keys are unique), so a network of thousands
	 * of devices never fills it. */
	for (const struct lw_device *d = newest ? lw_table_oldest(&inv->devices)
	    : NULL; d; d = lw_table_next_newer(&inv->devices, d)) {
		const uint8_t *mac = lw_table_key(&inv->devices, d);
		if (d->announced && !macset_has(&seen, mac))
			memcpy(newest[k++ % room], mac, 6);
	}
	for (size_t i = 0; i < k && i < room; i++)
		take_slot(h, newest[i]);
	free(newest);
	macset_free(&seen);
}

/* ---- what is published for a host ---- */

/* Printable, valid UTF-8 (from a DHCP packet or the IEEE file). */
static void clean_text(const char *in, char *out, size_t len)
{
	size_t n = 0;

	for (; in && *in && n + 1 < len; in++)
		out[n++] = (unsigned char)*in < 0x20 || *in == 0x7f ? ' ' : *in;
	out[n] = '\0';
	if (mosquitto_validate_utf8(out, (int)n) != MOSQ_ERR_SUCCESS)
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)out[i] >= 0x80)
				out[i] = '?';
}

static void host_info(const struct lw_inventory *inv, const struct lw_oui *oui,
    const uint8_t *mac, const struct lw_device *d,
    struct lw_mqtt_host_info *info)
{
	const char *known = lw_inventory_known_name(inv, mac);
	char macstr[18];

	memset(info, 0, sizeof *info);
	memcpy(info->mac, mac, 6);
	clean_text(oui ? lw_oui_vendor(oui, mac) : NULL, info->vendor,
	    sizeof info->vendor);
	clean_text(d->hostname, info->hostname, sizeof info->hostname);
	if (d->ip.family)
		lw_addr_str(&d->ip, info->ip, sizeof info->ip);
	info->first_ns = d->first_ns;
	info->last_ns = d->last_ns;
	info->randomized = lw_mac_is_local(mac);
	info->known = known != NULL;
	info->vlan = d->has_vlan ? d->vlan : -1;
	lw_mac_str(mac, macstr, sizeof macstr);
	if (known && *known)
		clean_text(known, info->name, sizeof info->name);
	else if (info->hostname[0])
		snprintf(info->name, sizeof info->name, "%s", info->hostname);
	else if (info->vendor[0])
		snprintf(info->name, sizeof info->name, "%.100s %s",
		    info->vendor, macstr + 9);
	else
		snprintf(info->name, sizeof info->name, "Host %s", macstr);
}

static bool quarantined(const json_t *active, const uint8_t *mac)
{
	char macstr[18];
	size_t i;
	json_t *rec;

	lw_mac_str(mac, macstr, sizeof macstr);
	json_array_foreach(active, i, rec) {
		const char *action = json_string_value(json_object_get(rec,
		    "action"));
		const char *target = json_string_value(json_object_get(rec,
		    "target"));
		if (action && target && strcmp(action, "quarantine") == 0 &&
		    strcasecmp(target, macstr) == 0)
			return true;
	}
	return false;
}

static void put_json(lw_mqtt_state_fn fn, void *ctx, size_t slot,
    const char *topic, json_t *doc)
{
	char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (text)
		fn(ctx, slot, topic, text);
	free(text);
	json_decref(doc);
}

static void publish_host(struct lw_mqtt_hosts *h, size_t slot,
    const struct lw_mqtt_host_info *info, bool home, bool q,
    lw_mqtt_state_fn fn, void *ctx)
{
	const struct lw_mqtt_conf *c = h->conf;
	char topic[LW_MQTT_TOPIC_MAX];

	if (c->discovery) {
		lw_mqtt_config_topic(c, info->mac, topic, sizeof topic);
		put_json(fn, ctx, slot, topic, lw_mqtt_host_config(c, info));
	}
	lw_mqtt_host_topic(c, info->mac, "presence", topic, sizeof topic);
	fn(ctx, slot + 1, topic, home ? "home" : "not_home");
	lw_mqtt_host_topic(c, info->mac, "attrs", topic, sizeof topic);
	put_json(fn, ctx, slot + 2, topic, lw_mqtt_host_attrs(info));
	lw_mqtt_host_topic(c, info->mac, "quarantine", topic, sizeof topic);
	fn(ctx, slot + 3, topic, q ? "ON" : "OFF");
}

void lw_mqtt_hosts_sync(struct lw_mqtt_hosts *h,
    const struct lw_inventory *inv, const struct lw_oui *oui,
    const json_t *active, uint64_t now_ns, size_t slot_base,
    lw_mqtt_state_fn fn, void *ctx)
{
	const struct lw_table *devices = &inv->devices;

	for (size_t i = 0; i < h->conf->max_hosts; i++)
		if (h->slots[i].used &&
		    !lw_table_peek(devices, h->slots[i].mac))
			clear_host(h, i, slot_base, fn, ctx);
	if (h->used < h->conf->max_hosts && (!h->scanned ||
	    devices->count != h->inv_count ||
	    devices->evictions != h->inv_evictions)) {
		fill(h, inv);
		h->scanned = true;
		h->inv_count = devices->count;
		h->inv_evictions = devices->evictions;
		free(h->prefer);
		h->prefer = NULL;
		h->nprefer = 0;
	}
	for (size_t i = 0; i < h->conf->max_hosts; i++) {
		struct lw_mqtt_host_info info;
		if (!h->slots[i].used)
			continue;
		const struct lw_device *d = lw_table_peek(devices,
		    h->slots[i].mac);
		host_info(inv, oui, h->slots[i].mac, d, &info);
		bool home = now_ns - d->last_ns < h->conf->away_after_ns ||
		    d->last_ns > now_ns;
		publish_host(h, slot_base + i * LW_MQTT_HOST_SLOTS, &info, home,
		    quarantined(active, h->slots[i].mac), fn, ctx);
	}
}
