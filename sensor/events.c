/*
 * events.c - event names, --emit parsing, and JSON lines out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labwarden/clock.h"
#include "labwarden/diag.h"
#include "labwarden/events.h"

static const char *const event_names[LW_EV_COUNT + 1] = {
	[LW_EV_NEW_MAC] = "new_mac",
	[LW_EV_MAC_IP_CHANGE] = "mac_ip_change",
	[LW_EV_DHCP] = "dhcp",
	[LW_EV_DNS_QUERY] = "dns_query",
	[LW_EV_DNS_RESPONSE] = "dns_response",
	[LW_EV_NEW_DOMAIN] = "new_domain",
	[LW_EV_CONN_START] = "conn_start",
	[LW_EV_TABLE_PRESSURE] = "table_pressure",
	[LW_EV_SCENE] = "scene",
	[LW_EV_CAPTURE_DONE] = "capture_done",
	[LW_EV_ACTION] = "action",
	[LW_EV_KEY_ROTATION] = "key_rotation",
	[LW_EV_STATS] = "stats",
	[LW_EV_PACKET] = "packet",
	[LW_EV_COUNT] = NULL,
};

const char *lw_event_name(enum lw_event_type type)
{
	return (unsigned)type < LW_EV_COUNT ? event_names[type] : "unknown";
}

int lw_event_lookup(const char *name)
{
	for (int i = 0; i < LW_EV_COUNT; i++)
		if (strcmp(name, event_names[i]) == 0)
			return i;
	return -1;
}

/* One --emit word: a type, "all" or "none", or "-type" to leave out. */
static bool emit_word(const char *word, lw_event_mask *mask, char *err,
    size_t errlen)
{
	bool drop = word[0] == '-';
	const char *name = word + drop;
	lw_event_mask bits;

	if (strcmp(name, "all") == 0)
		bits = LW_EV_ALL;
	else if (strcmp(name, "none") == 0 && !drop) {
		*mask = 0;
		return true;
	} else {
		int type = lw_event_lookup(name);
		if (type < 0) {
			const char *near = lw_suggest(name, event_names);
			snprintf(err, errlen, "--emit: unknown event type "
			    "'%s'%s%s%s", name, near ? " - did you mean '" : "",
			    near ? near : "", near ? "'?" : " (see --help)");
			return false;
		}
		bits = LW_EV_BIT(type);
	}
	*mask = drop ? *mask & ~bits : *mask | bits;
	return true;
}

bool lw_emit_parse(const char *spec, lw_event_mask *mask, char *err,
    size_t errlen)
{
	char buf[512];

	*mask = 0;
	if (strlen(spec) >= sizeof buf) {
		snprintf(err, errlen, "--emit: list too long");
		return false;
	}
	strcpy(buf, spec);
	char *save = NULL;
	for (char *tok = strtok_r(buf, ",", &save); tok;
	    tok = strtok_r(NULL, ",", &save)) {
		tok += strspn(tok, " ");
		if (!emit_word(tok, mask, err, errlen))
			return false;
	}
	return true;
}

void lw_writer_init(struct lw_writer *w, FILE *out, lw_event_mask mask,
    enum lw_format format)
{
	w->out = out;
	w->mask = mask;
	w->format = format;
	w->written = 0;
	w->failed = false;
	w->tap = NULL;
	w->tap_ctx = NULL;
	w->tap_mask = 0;
}

/* "lockdown 192.168.1.40 (dry-run)" for each action of a scene. */
static void put_actions(json_t *actions, FILE *out)
{
	size_t i;
	json_t *a;

	json_array_foreach(actions, i, a) {
		const char *name = json_string_value(json_object_get(a,
		    "action"));
		const char *target = json_string_value(json_object_get(a,
		    "target"));
		const char *status = json_string_value(json_object_get(a,
		    "status"));
		const char *detail = json_string_value(json_object_get(a,
		    "detail"));
		fprintf(out, "\n          -> %s", name ? name : "?");
		if (target)
			fprintf(out, " %s", target);
		fprintf(out, " [%s]", status ? status : "?");
		if (detail)
			fprintf(out, " %s", detail);
	}
}

/* A scene firing: its name, key and value, then one line per action. */
static void put_scene_text(json_t *event, FILE *out)
{
	const char *key;
	json_t *val;

	fprintf(out, " %s", json_string_value(json_object_get(event,
	    "scene")));
	json_object_foreach(json_object_get(event, "key"), key, val)
		fprintf(out, " %s=%s", key, json_string_value(val));
	if (json_object_get(event, "value"))
		fprintf(out, " count=%lld", (long long)json_integer_value(
		    json_object_get(event, "value")));
	put_actions(json_object_get(event, "actions"), out);
}

/* "08:26:40  new_mac  mac=aa:.. ip=10.0.0.5": a line a person scans. */
static int put_text(json_t *event, FILE *out)
{
	const char *ts = json_string_value(json_object_get(event, "ts"));
	const char *type = json_string_value(json_object_get(event, "type"));
	const char *key;
	json_t *val;

	fprintf(out, "%.8s  %-14s", ts && strlen(ts) > 19 ? ts + 11 : "",
	    type ? type : "?");
	if (type && strcmp(type, "scene") == 0) {
		put_scene_text(event, out);
		return fputc('\n', out) == EOF ? -1 : 0;
	}
	json_object_foreach(event, key, val) {
		if (strcmp(key, "ts") == 0 || strcmp(key, "type") == 0)
			continue;
		if (json_is_string(val)) {
			fprintf(out, " %s=%s", key, json_string_value(val));
			continue;
		}
		char *text = json_dumps(val, JSON_COMPACT |
		    JSON_PRESERVE_ORDER | JSON_ENCODE_ANY |
		    JSON_REAL_PRECISION(9));
		fprintf(out, " %s=%s", key, text ? text : "?");
		free(text);
	}
	return fputc('\n', out) == EOF ? -1 : 0;
}

static int put_json(json_t *event, FILE *out)
{
	/* Key order is insertion order: ts and type come first. */
	if (json_dumpf(event, out, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(9)) != 0)
		return -1;
	return fputc('\n', out) == EOF ? -1 : 0;
}

void lw_writer_put(struct lw_writer *w, json_t *event)
{
	if (!event)
		return;
	if (w->tap_mask) {
		/* The writer gets built objects: the type by its name. */
		const char *name = json_string_value(json_object_get(event,
		    "type"));
		int type = lw_event_lookup(name ? name : "");
		if (type >= 0 && (w->tap_mask & LW_EV_BIT(type)) && w->tap)
			w->tap(w->tap_ctx, (enum lw_event_type)type, event);
		if (type >= 0 && !(w->mask & LW_EV_BIT(type))) {
			json_decref(event);
			return;
		}
	}
	if (w->out && !w->failed) {
		int rc = w->format == LW_FORMAT_TEXT ? put_text(event, w->out) :
		    put_json(event, w->out);
		if (rc == 0)
			w->written++;
		else
			w->failed = true;
	}
	json_decref(event);
}

json_t *lw_event_new(enum lw_event_type type, uint64_t ts_ns)
{
	char ts[LW_TIME_STRLEN];
	json_t *event = json_object();

	json_object_set_new(event, "ts",
	    json_string(lw_time_format(ts_ns, ts, sizeof ts)));
	json_object_set_new(event, "type", json_string(lw_event_name(type)));
	return event;
}

void lw_json_set_mac(json_t *obj, const char *key, const uint8_t *mac)
{
	char buf[18];

	if (mac)
		json_object_set_new(obj, key,
		    json_string(lw_mac_str(mac, buf, sizeof buf)));
}

void lw_json_set_addr(json_t *obj, const char *key,
    const struct lw_addr *addr)
{
	char buf[64];

	if (addr->family)
		json_object_set_new(obj, key,
		    json_string(lw_addr_str(addr, buf, sizeof buf)));
}

/* EVE's protocol names; other protocols by number. */
static json_t *proto_label(const struct lw_packet *pkt)
{
	if (pkt->layers & LW_L_TCP)
		return json_string("TCP");
	if (pkt->layers & LW_L_UDP)
		return json_string("UDP");
	if (pkt->layers & LW_L_ICMP)
		return json_string("ICMP");
	if (pkt->layers & LW_L_ICMPV6)
		return json_string("IPv6-ICMP");
	return json_sprintf("%u", pkt->ip_proto);
}

static void packet_l4(json_t *ev, const struct lw_packet *pkt)
{
	if (pkt->layers & (LW_L_TCP | LW_L_UDP)) {
		json_object_set_new(ev, "src_port",
		    json_integer(pkt->src_port));
		json_object_set_new(ev, "dest_port",
		    json_integer(pkt->dst_port));
	}
	if (pkt->layers & LW_L_TCP)
		json_object_set_new(ev, "tcp_flags",
		    json_integer(pkt->tcp_flags));
	if (pkt->layers & (LW_L_ICMP | LW_L_ICMPV6)) {
		json_object_set_new(ev, "icmp_type",
		    json_integer(pkt->icmp_type));
		json_object_set_new(ev, "icmp_code",
		    json_integer(pkt->icmp_code));
	}
}

static void packet_nflog(json_t *ev, const struct lw_packet *pkt)
{
	char prefix[LW_NFLOG_PREFIX_MAX + 1];

	json_object_set_new(ev, "nflog_group", json_integer(pkt->nflog_group));
	if (pkt->nflog_prefix)
		json_object_set_new(ev, "nflog_prefix", json_string(
		    lw_packet_nflog_prefix(pkt, prefix, sizeof prefix)));
}

json_t *lw_event_packet(const struct lw_packet *pkt)
{
	json_t *ev = lw_event_new(LW_EV_PACKET, pkt->ts_ns);

	json_object_set_new(ev, "link", json_string(lw_link_name(pkt->linktype)));
	json_object_set_new(ev, "len", json_integer(pkt->wirelen));
	lw_json_set_mac(ev, "src_mac", pkt->src_mac);
	lw_json_set_mac(ev, "dest_mac", pkt->dst_mac);
	if (pkt->layers & LW_L_VLAN)
		json_object_set_new(ev, "vlan", json_integer(pkt->vlan));
	if (pkt->linktype == LW_LINK_NFLOG)
		packet_nflog(ev, pkt);
	if (pkt->layers & LW_L_ARP) {
		json_object_set_new(ev, "arp_op", json_integer(pkt->arp_op));
		lw_json_set_addr(ev, "arp_spa", &pkt->arp_spa);
		lw_json_set_addr(ev, "arp_tpa", &pkt->arp_tpa);
	}
	if (pkt->layers & (LW_L_IPV4 | LW_L_IPV6)) {
		lw_json_set_addr(ev, "src_ip", &pkt->src_ip);
		lw_json_set_addr(ev, "dest_ip", &pkt->dst_ip);
		json_object_set_new(ev, "proto", proto_label(pkt));
		if (pkt->layers & LW_L_FRAG)
			json_object_set_new(ev, "fragment", json_true());
	}
	packet_l4(ev, pkt);
	if (pkt->malformed != LW_OK)
		json_object_set_new(ev, "malformed",
		    json_string(lw_malformed_name(pkt->malformed)));
	return ev;
}
