/*
 * inventory.c - devices, address bindings and DHCP identity (see
 * inventory.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "labwarden/dhcp.h"
#include "labwarden/inventory.h"
#include "labwarden/lines.h"
#include "labwarden/sensor.h"

#define ICMP6_OPT_SRC_LLADDR	1
#define ICMP6_OPT_TGT_LLADDR	2
#define ND_MAX_OPTIONS		16
#define DHCP_SERVER_PORT	67
#define DHCP_CLIENT_PORT	68
#define KNOWN_LINE_MAX		1024

enum same_as_reason { SAME_NONE, SAME_CLIENT_ID, SAME_HOSTNAME_FP };

static const char *const seen_names[] = {
	[LW_SEEN_FRAME] = "frame", [LW_SEEN_ARP] = "arp",
	[LW_SEEN_DHCP] = "dhcp", [LW_SEEN_NDP] = "ndp",
	[LW_SEEN_STATE] = "state",
};

const char *lw_seen_in_name(enum lw_seen_in seen)
{
	return (unsigned)seen <= LW_SEEN_STATE ? seen_names[seen] : "?";
}

static const char *same_as_name(uint8_t reason)
{
	return reason == SAME_CLIENT_ID ? "dhcp_client_id" :
	    reason == SAME_HOSTNAME_FP ? "dhcp_hostname_fingerprint" : NULL;
}

bool lw_inventory_init(struct lw_inventory *inv,
    const struct lw_inventory_caps *caps, char *err, size_t errlen)
{
	memset(inv, 0, sizeof *inv);
	if (!lw_table_init(&inv->devices, "devices", caps->devices, 6,
	    sizeof(struct lw_device)) ||
	    !lw_table_init(&inv->bindings, "bindings", caps->bindings,
	    sizeof(struct lw_addr), sizeof(struct lw_binding)) ||
	    !lw_table_init(&inv->identities, "identities", caps->identities,
	    sizeof(uint64_t), 6)) {
		snprintf(err, errlen, "inventory: out of memory");
		lw_inventory_free(inv);
		return false;
	}
	return true;
}

void lw_inventory_free(struct lw_inventory *inv)
{
	lw_table_free(&inv->devices);
	lw_table_free(&inv->bindings);
	lw_table_free(&inv->identities);
	for (size_t i = 0; i < inv->nknown; i++)
		free(inv->known[i].name);
	free(inv->known);
	inv->known = NULL;
	inv->nknown = 0;
}

/* ---- known devices file ---- */

static bool parse_mac(const char *text, uint8_t mac[6])
{
	unsigned b[6];
	char tail;

	if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
	    &b[3], &b[4], &b[5], &tail) != 6 &&
	    sscanf(text, "%2x-%2x-%2x-%2x-%2x-%2x%c", &b[0], &b[1], &b[2],
	    &b[3], &b[4], &b[5], &tail) != 6)
		return false;
	if (strlen(text) != 17)
		return false;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return true;
}

static int cmp_known(const void *a, const void *b)
{
	return memcmp(((const struct lw_known_device *)a)->mac,
	    ((const struct lw_known_device *)b)->mac, 6);
}

static const struct lw_known_device *find_known(
    const struct lw_inventory *inv, const uint8_t mac[6])
{
	struct lw_known_device key;

	if (!inv->nknown)
		return NULL;
	memcpy(key.mac, mac, 6);
	return bsearch(&key, inv->known, inv->nknown, sizeof key, cmp_known);
}

const char *lw_inventory_known_name(const struct lw_inventory *inv,
    const uint8_t mac[6])
{
	const struct lw_known_device *k = find_known(inv, mac);
	return k ? k->name : NULL;
}

/* One line: "MAC [name...]"; returns a reason when it is bad. */
static const char *known_line(struct lw_inventory *inv, char *line,
    size_t *cap)
{
	char *hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	char *mac_text = line + strspn(line, " \t\r\n");
	if (*mac_text == '\0')
		return NULL;
	char *name = mac_text + strcspn(mac_text, " \t\r\n");
	if (*name)
		*name++ = '\0';
	name += strspn(name, " \t");
	name[strcspn(name, "\r\n")] = '\0';
	for (size_t n = strlen(name); n && isspace((unsigned char)name[n - 1]);)
		name[--n] = '\0';

	uint8_t mac[6];
	if (!parse_mac(mac_text, mac))
		return "not a MAC address (aa:bb:cc:dd:ee:ff)";
	if (inv->nknown == *cap) {
		size_t want = *cap ? *cap * 2 : 64;
		void *grown = realloc(inv->known, want * sizeof *inv->known);
		if (!grown)
			return "out of memory";
		inv->known = grown;
		*cap = want;
	}
	struct lw_known_device *k = &inv->known[inv->nknown];
	memcpy(k->mac, mac, 6);
	k->name = strdup(name);
	if (!k->name)
		return "out of memory";
	for (char *p = k->name; *p; p++)	/* names go into JSON */
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
	inv->nknown++;
	return NULL;
}

bool lw_inventory_load_known(struct lw_inventory *inv, const char *path,
    FILE *report, char *err, size_t errlen)
{
	char line[KNOWN_LINE_MAX];
	size_t cap = inv->nknown, lineno = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return false;
	}
	enum lw_line got;
	while ((got = lw_read_line(f, line, sizeof line)) != LW_LINE_EOF) {
		lineno++;
		const char *why = got == LW_LINE_TOO_LONG ? "line too long" :
		    got == LW_LINE_NUL ? "a NUL byte in the line" :
		    known_line(inv, line, &cap);
		if (why && report)
			fprintf(report, "%s:%zu: %s; line skipped\n", path,
			    lineno, why);
	}
	fclose(f);
	qsort(inv->known, inv->nknown, sizeof *inv->known, cmp_known);
	return true;
}

/* ---- new_mac ---- */

static void announce(struct lw_inventory *inv, struct lw_sensor *s,
    const uint8_t mac[6], struct lw_device *dev)
{
	struct lw_fact f;
	const char *vendor = lw_oui_vendor(&s->oui, mac);

	(void)inv;
	dev->announced = true;
	lw_fact_init(&f, LW_EV_NEW_MAC, lw_sensor_now(s));
	lw_fact_mac(&f, LW_NEWMAC_MAC, mac);
	lw_fact_ip(&f, LW_NEWMAC_IP, &dev->ip);
	if (dev->has_vlan)
		lw_fact_num(&f, LW_NEWMAC_VLAN, dev->vlan);
	lw_fact_str(&f, LW_NEWMAC_VENDOR, vendor);
	lw_fact_flag(&f, LW_NEWMAC_RANDOMIZED, lw_mac_is_local(mac));
	lw_fact_str(&f, LW_NEWMAC_SEEN_IN, lw_seen_in_name(dev->seen_in));
	if (dev->hostname[0])
		lw_fact_str(&f, LW_NEWMAC_HOSTNAME, dev->hostname);
	if (dev->linked) {
		lw_fact_mac(&f, LW_NEWMAC_SAME_AS, dev->same_as);
		lw_fact_str(&f, LW_NEWMAC_SAME_AS_REASON,
		    same_as_name(dev->same_as_reason));
	}
	lw_sensor_emit(s, &f);
}

static void pend(struct lw_inventory *inv, struct lw_sensor *s,
    const uint8_t mac[6], uint64_t deadline)
{
	if (inv->pending_count == LW_INV_PENDING_MAX) {
		/* Full: the oldest is announced early rather than lost. */
		struct lw_pending *old = &inv->pending[inv->pending_head];
		struct lw_device *dev = lw_table_peek(&inv->devices, old->mac);
		if (dev && !dev->announced)
			announce(inv, s, old->mac, dev);
		inv->pending_head = (inv->pending_head + 1) %
		    LW_INV_PENDING_MAX;
		inv->pending_count--;
	}
	unsigned tail = (inv->pending_head + inv->pending_count) %
	    LW_INV_PENDING_MAX;
	memcpy(inv->pending[tail].mac, mac, 6);
	inv->pending[tail].deadline_ns = deadline;
	inv->pending_count++;
}

/* Announce pending MACs whose deadline is <= now (all when flush). */
static void announce_due(struct lw_inventory *inv, struct lw_sensor *s,
    bool flush)
{
	uint64_t now = lw_sensor_now(s);

	while (inv->pending_count) {
		struct lw_pending *p = &inv->pending[inv->pending_head];
		if (!flush && p->deadline_ns > now)
			break;
		struct lw_device *dev = lw_table_peek(&inv->devices, p->mac);
		if (dev && !dev->announced)
			announce(inv, s, p->mac, dev);
		inv->pending_head = (inv->pending_head + 1) %
		    LW_INV_PENDING_MAX;
		inv->pending_count--;
	}
}

void lw_inventory_tick(struct lw_inventory *inv, struct lw_sensor *s)
{
	announce_due(inv, s, false);
}

void lw_inventory_flush(struct lw_inventory *inv, struct lw_sensor *s)
{
	announce_due(inv, s, true);
}

static bool usable_mac(const uint8_t *mac)
{
	static const uint8_t zero[6];
	return mac && !lw_mac_is_group(mac) && memcmp(mac, zero, 6) != 0;
}

/* An address worth remembering as a device's own. */
static bool inside_unicast(const struct lw_sensor *s, const struct lw_addr *a)
{
	if (a->family == 4)
		return a->bytes[0] != 0 && a->bytes[0] < 224 &&
		    lw_sensor_is_home(s, a);
	if (a->family == 6)
		return a->bytes[0] != 0xff && lw_sensor_is_home(s, a) &&
		    !(memcmp(a->bytes, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 15)
		    == 0);
	return false;
}

/*
 * A MAC was seen.  Creates its device on first sight and schedules or
 * writes its new_mac; returns the device (never NULL).
 */
static struct lw_device *device_seen(struct lw_inventory *inv,
    struct lw_sensor *s, const uint8_t mac[6], const struct lw_addr *ip,
    const struct lw_packet *pkt, enum lw_seen_in seen_in)
{
	bool created = false;
	uint64_t now = lw_sensor_now(s);
	unsigned slot = (mac[3] * 31u + mac[4] * 7u + mac[5]) % LW_INV_RECENT;
	struct lw_device *dev = inv->recent[slot];

	/* The cache skips the LRU refresh; do it once a second. */
	if (!dev || memcmp(lw_table_key(&inv->devices, dev), mac, 6) != 0 ||
	    now - dev->touched_ns >= LW_NS_PER_SEC) {
		dev = lw_table_put(&inv->devices, mac, &created);
		dev->touched_ns = now;
		inv->recent[slot] = dev;
	}
	dev->last_ns = now;
	if (ip && !dev->ip.family && inside_unicast(s, ip))
		dev->ip = *ip;
	if (!created)
		return dev;
	if (!inv->learn_start_ns)
		inv->learn_start_ns = now ? now : 1;
	dev->first_ns = now;
	dev->seen_in = (uint8_t)seen_in;
	dev->has_vlan = (pkt->layers & LW_L_VLAN) != 0;
	dev->vlan = pkt->vlan;
	dev->known = find_known(inv, mac) != NULL;
	dev->learning = now < inv->learn_start_ns +
	    s->cfg->inventory_learn_ns;
	/* Known and learned devices are recorded silently. */
	if (dev->known || dev->learning)
		dev->announced = true;
	else if (lw_mac_is_local(mac))
		pend(inv, s, mac, now + s->cfg->randomized_grace_ns);
	else if (seen_in != LW_SEEN_DHCP)	/* DHCP announces itself */
		announce(inv, s, mac, dev);
	return dev;
}

/* ---- bindings and mac_ip_change ---- */

static void addr_key(const struct lw_addr *a, struct lw_addr *key)
{
	memset(key, 0, sizeof *key);
	key->family = a->family;
	memcpy(key->bytes, a->bytes, a->family == 4 ? 4 : 16);
}

static void bind_addr(struct lw_inventory *inv, struct lw_sensor *s,
    const struct lw_addr *ip, const uint8_t mac[6], enum lw_seen_in seen_in,
    bool gratuitous, const struct lw_packet *pkt)
{
	struct lw_addr key;
	bool created;

	if (!inside_unicast(s, ip))
		return;
	addr_key(ip, &key);
	struct lw_binding *b = lw_table_put(&inv->bindings, &key, &created);
	if (!created && memcmp(b->mac, mac, 6) != 0 &&
	    seen_in != LW_SEEN_DHCP) {
		struct lw_fact f;
		lw_fact_init(&f, LW_EV_MAC_IP_CHANGE, lw_sensor_now(s));
		lw_fact_ip(&f, LW_MIC_IP, ip);
		lw_fact_mac(&f, LW_MIC_OLD_MAC, b->mac);
		lw_fact_mac(&f, LW_MIC_NEW_MAC, mac);
		lw_fact_flag(&f, LW_MIC_GRATUITOUS, gratuitous);
		if (pkt->layers & LW_L_VLAN)
			lw_fact_num(&f, LW_MIC_VLAN, pkt->vlan);
		lw_fact_str(&f, LW_MIC_SEEN_IN, lw_seen_in_name(seen_in));
		lw_fact_str(&f, LW_MIC_OLD_SEEN, lw_seen_in_name(b->seen_in));
		lw_sensor_emit(s, &f);
	}
	if (created || memcmp(b->mac, mac, 6) != 0)
		b->since_ns = lw_sensor_now(s);
	memcpy(b->mac, mac, 6);
	b->seen_in = (uint8_t)seen_in;
}

static void on_arp(struct lw_inventory *inv, struct lw_sensor *s,
    const struct lw_packet *pkt)
{
	if (!usable_mac(pkt->arp_sha))
		return;
	device_seen(inv, s, pkt->arp_sha, &pkt->arp_spa, pkt, LW_SEEN_ARP);
	/* Like arpwatch, do not trust an ARP whose sender differs from the
	 * frame's source ("ethernet mismatch"): proxies and corrupt frames
	 * would flip bindings back and forth. */
	if (pkt->src_mac && memcmp(pkt->src_mac, pkt->arp_sha, 6) != 0)
		return;
	/* A probe (sender 0.0.0.0) claims nothing yet. */
	bool gratuitous = memcmp(pkt->arp_spa.bytes, pkt->arp_tpa.bytes,
	    4) == 0;
	bind_addr(inv, s, &pkt->arp_spa, pkt->arp_sha, LW_SEEN_ARP,
	    gratuitous, pkt);
}

/* ---- IPv6 neighbour discovery ---- */

/* The link-layer address option of 'type' in an ND message, or NULL. */
static const uint8_t *nd_lladdr(const uint8_t *opts, uint32_t len,
    uint8_t type)
{
	for (int i = 0; i < ND_MAX_OPTIONS && len >= 8; i++) {
		uint32_t optlen = (uint32_t)opts[1] * 8;
		if (optlen == 0 || optlen > len)
			return NULL;
		if (opts[0] == type && optlen >= 8)
			return opts + 2;
		opts += optlen;
		len -= optlen;
	}
	return NULL;
}

static void on_ndp(struct lw_inventory *inv, struct lw_sensor *s,
    const struct lw_packet *pkt)
{
	/* payload starts after the 4-byte ICMPv6 header */
	const uint8_t *body = pkt->payload;
	uint32_t len = pkt->payload_len;
	struct lw_addr target = { .family = 6 };
	const uint8_t *mac;

	switch (pkt->icmp_type) {
	case LW_ICMP6_NS:	/* reserved(4) target(16) options */
		if (len < 20)
			return;
		mac = nd_lladdr(body + 20, len - 20, ICMP6_OPT_SRC_LLADDR);
		if (usable_mac(mac))
			bind_addr(inv, s, &pkt->src_ip, mac, LW_SEEN_NDP,
			    false, pkt);
		return;
	case LW_ICMP6_NA:	/* flags(4) target(16) options */
		if (len < 20)
			return;
		mac = nd_lladdr(body + 20, len - 20, ICMP6_OPT_TGT_LLADDR);
		memcpy(target.bytes, body + 4, 16);
		if (usable_mac(mac)) {
			device_seen(inv, s, mac, &target, pkt, LW_SEEN_NDP);
			bind_addr(inv, s, &target, mac, LW_SEEN_NDP,
			    (body[0] & 0x20) != 0, pkt);	/* override */
		}
		return;
	default:
		return;
	}
}

/* ---- DHCP ---- */

static void dhcp_fact(struct lw_sensor *s, const struct lw_packet *pkt,
    const struct lw_dhcp_msg *m)
{
	struct lw_fact f;
	struct lw_addr a = { .family = 4 };

	lw_fact_init(&f, LW_EV_DHCP, lw_sensor_now(s));
	if (m->chaddr_ether)
		lw_fact_mac(&f, LW_DHCP_F_MAC, m->chaddr);
	lw_fact_str(&f, LW_DHCP_F_TYPE, lw_dhcp_type_name(m->msg_type));
	if (m->hostname[0])
		lw_fact_str(&f, LW_DHCP_F_HOSTNAME, m->hostname);
	if (m->vendor_class[0])
		lw_fact_str(&f, LW_DHCP_F_VENDOR_CLASS, m->vendor_class);
	if (m->fingerprint[0])
		lw_fact_str(&f, LW_DHCP_F_FINGERPRINT, m->fingerprint);
	if (m->client_id[0])
		lw_fact_str(&f, LW_DHCP_F_CLIENT_ID, m->client_id);
	if (m->has_requested_ip) {
		memcpy(a.bytes, m->requested_ip, 4);
		lw_fact_ip(&f, LW_DHCP_F_REQUESTED_IP, &a);
	}
	if (memcmp(m->yiaddr, "\0\0\0\0", 4) != 0) {
		memcpy(a.bytes, m->yiaddr, 4);
		lw_fact_ip(&f, LW_DHCP_F_ASSIGNED_IP, &a);
	}
	if (m->has_server_id) {
		memcpy(a.bytes, m->server_id, 4);
		lw_fact_ip(&f, LW_DHCP_F_SERVER_ID, &a);
	}
	if (m->lease_time)
		lw_fact_num(&f, LW_DHCP_F_LEASE_TIME, m->lease_time);
	lw_fact_ip(&f, LW_DHCP_F_SRC_IP, &pkt->src_ip);
	lw_fact_ip(&f, LW_DHCP_F_DEST_IP, &pkt->dst_ip);
	lw_fact_num(&f, LW_DHCP_F_XID, m->xid);
	if (pkt->layers & LW_L_VLAN)
		lw_fact_num(&f, LW_DHCP_F_VLAN, pkt->vlan);
	lw_sensor_emit(s, &f);
}

static uint64_t identity_hash(char tag, const char *a, const char *b)
{
	char buf[2 * LW_DHCP_TEXT_MAX + 4];
	int n = snprintf(buf, sizeof buf, "%c|%s|%s", tag, a, b);
	return lw_hash64(buf, n > 0 ? (size_t)n : 0);
}

/*
 * Link a new randomized MAC to the device that used the same DHCP
 * identity before, then remember this MAC as the identity's newest.
 */
static void link_identity(struct lw_inventory *inv, const uint8_t mac[6],
    struct lw_device *dev, const struct lw_dhcp_msg *m)
{
	uint64_t keys[2] = { 0, 0 };
	uint8_t reasons[2] = { SAME_CLIENT_ID, SAME_HOSTNAME_FP };
	bool created;

	if (m->client_id[0])
		keys[0] = identity_hash('c', m->client_id, "");
	if (m->hostname[0] && m->fingerprint[0])
		keys[1] = identity_hash('h', m->hostname, m->fingerprint);
	for (int i = 0; i < 2; i++) {
		if (!keys[i])
			continue;
		uint8_t *owner = lw_table_put(&inv->identities, &keys[i],
		    &created);
		if (!created && !dev->announced && !dev->linked &&
		    lw_mac_is_local(mac) && memcmp(owner, mac, 6) != 0 &&
		    lw_table_peek(&inv->devices, owner)) {
			memcpy(dev->same_as, owner, 6);
			dev->same_as_reason = reasons[i];
			dev->linked = true;
		}
		memcpy(owner, mac, 6);
	}
}

static void on_dhcp(struct lw_inventory *inv, struct lw_sensor *s,
    const struct lw_packet *pkt)
{
	static struct lw_dhcp_msg m;	/* ~5 KB: not on the stack per packet */

	if (lw_dhcp_parse(pkt->payload, pkt->payload_len, &m) != LW_DHCP_OK &&
	    m.msg_type == 0)
		return;
	dhcp_fact(s, pkt, &m);
	if (!m.chaddr_ether || !usable_mac(m.chaddr))
		return;
	struct lw_addr yiaddr = { .family = 4 };
	memcpy(yiaddr.bytes, m.yiaddr, 4);
	if (m.op == 1) {	/* from the client: who it is */
		struct lw_device *dev = device_seen(inv, s, m.chaddr,
		    &pkt->src_ip, pkt, LW_SEEN_DHCP);
		if (m.hostname[0]) {	/* cut to fit, on purpose */
			size_t n = strnlen(m.hostname, sizeof dev->hostname - 1);
			memcpy(dev->hostname, m.hostname, n);
			dev->hostname[n] = '\0';
		}
		link_identity(inv, m.chaddr, dev, &m);
		if (!dev->announced)
			announce(inv, s, m.chaddr, dev);
	} else if (m.msg_type == 5) {	/* ACK: the address is theirs now */
		struct lw_device *dev = device_seen(inv, s, m.chaddr, &yiaddr,
		    pkt, LW_SEEN_DHCP);
		if (!dev->announced && !lw_mac_is_local(m.chaddr))
			announce(inv, s, m.chaddr, dev);
		bind_addr(inv, s, &yiaddr, m.chaddr, LW_SEEN_DHCP, false, pkt);
	}
}

/* ---- per packet ---- */

static bool is_dhcp(const struct lw_packet *pkt)
{
	return (pkt->layers & LW_L_UDP) && (pkt->layers & LW_L_IPV4) &&
	    ((pkt->src_port == DHCP_CLIENT_PORT &&
	    pkt->dst_port == DHCP_SERVER_PORT) ||
	    (pkt->src_port == DHCP_SERVER_PORT &&
	    pkt->dst_port == DHCP_CLIENT_PORT));
}

void lw_inventory_packet(struct lw_inventory *inv, struct lw_sensor *s,
    const struct lw_packet *pkt)
{
	if (pkt->layers & LW_L_ARP) {
		on_arp(inv, s, pkt);
	} else if (is_dhcp(pkt)) {
		on_dhcp(inv, s, pkt);
	} else if ((pkt->layers & LW_L_ICMPV6) && pkt->malformed == LW_OK &&
	    (pkt->icmp_type == LW_ICMP6_NS || pkt->icmp_type == LW_ICMP6_NA)) {
		on_ndp(inv, s, pkt);
	}
	/* Any frame: its source MAC is a station on this segment (after
	 * ARP and DHCP, which know more about it). */
	if (usable_mac(pkt->src_mac)) {
		const struct lw_addr *ip = (pkt->layers &
		    (LW_L_IPV4 | LW_L_IPV6)) ? &pkt->src_ip : NULL;
		device_seen(inv, s, pkt->src_mac, ip, pkt, LW_SEEN_FRAME);
	}
}

/* ---- persistence ---- */

static json_t *mac_json(const uint8_t mac[6])
{
	char buf[18];
	return json_string(lw_mac_str(mac, buf, sizeof buf));
}

static json_t *device_json(const uint8_t *mac, const struct lw_device *d)
{
	char ip[64];
	json_t *o = json_pack("{s:o, s:I, s:I, s:s, s:b, s:b}",
	    "mac", mac_json(mac), "first_ns", (json_int_t)d->first_ns,
	    "last_ns", (json_int_t)d->last_ns,
	    "seen_in", lw_seen_in_name(d->seen_in),
	    "known", d->known, "learning", d->learning);
	if (d->ip.family)
		json_object_set_new(o, "ip", json_string(lw_addr_str(&d->ip,
		    ip, sizeof ip)));
	if (d->has_vlan)
		json_object_set_new(o, "vlan", json_integer(d->vlan));
	if (d->hostname[0])
		json_object_set_new(o, "hostname", json_string(d->hostname));
	if (d->linked) {
		json_object_set_new(o, "same_as", mac_json(d->same_as));
		json_object_set_new(o, "same_as_reason",
		    json_string(same_as_name(d->same_as_reason)));
	}
	return o;
}

json_t *lw_inventory_to_json(const struct lw_inventory *inv)
{
	json_t *devices = json_array(), *bindings = json_array();
	json_t *ids = json_array();
	char ip[64];

	/* Oldest first, so a reload rebuilds the same LRU order. */
	for (const struct lw_device *d = lw_table_oldest(&inv->devices); d;
	    d = lw_table_next_newer(&inv->devices, d))
		if (d->announced)
			json_array_append_new(devices, device_json(
			    lw_table_key(&inv->devices, d), d));
	for (const struct lw_binding *b = lw_table_oldest(&inv->bindings); b;
	    b = lw_table_next_newer(&inv->bindings, b))
		json_array_append_new(bindings, json_pack("{s:s, s:o, s:s, "
		    "s:I}", "ip", lw_addr_str(lw_table_key(&inv->bindings, b),
		    ip, sizeof ip), "mac", mac_json(b->mac),
		    "seen_in", lw_seen_in_name(b->seen_in),
		    "since_ns", (json_int_t)b->since_ns));
	for (const uint8_t *m = lw_table_oldest(&inv->identities); m;
	    m = lw_table_next_newer(&inv->identities, m))
		json_array_append_new(ids, json_pack("{s:I, s:o}", "hash",
		    (json_int_t)*(const uint64_t *)lw_table_key(
		    &inv->identities, m), "mac", mac_json(m)));
	return json_pack("{s:I, s:o, s:o, s:o}", "learn_start_ns",
	    (json_int_t)inv->learn_start_ns, "devices", devices,
	    "bindings", bindings, "identities", ids);
}

static bool json_mac(const json_t *v, uint8_t mac[6])
{
	const char *text = json_string_value(v);
	return text && parse_mac(text, mac);
}

static bool json_addr(const json_t *v, struct lw_addr *a)
{
	struct lw_cidr c;
	char why[64];
	const char *text = json_string_value(v);

	if (!text || !lw_cidr_parse(text, &c, why, sizeof why) ||
	    c.prefix != (c.addr.family == 4 ? 32u : 128u))
		return false;
	addr_key(&c.addr, a);
	return true;
}

static void device_from_json(struct lw_inventory *inv, const json_t *o)
{
	uint8_t mac[6];
	bool created;

	if (!json_mac(json_object_get(o, "mac"), mac))
		return;
	struct lw_device *d = lw_table_put(&inv->devices, mac, &created);
	d->announced = true;
	d->seen_in = LW_SEEN_STATE;
	d->first_ns = (uint64_t)json_integer_value(json_object_get(o,
	    "first_ns"));
	d->last_ns = (uint64_t)json_integer_value(json_object_get(o,
	    "last_ns"));
	d->known = json_is_true(json_object_get(o, "known"));
	d->learning = json_is_true(json_object_get(o, "learning"));
	json_addr(json_object_get(o, "ip"), &d->ip);
	json_t *vlan = json_object_get(o, "vlan");
	if (json_is_integer(vlan)) {
		d->has_vlan = true;
		d->vlan = (uint16_t)(json_integer_value(vlan) & 0x0fff);
	}
	const char *host = json_string_value(json_object_get(o, "hostname"));
	if (host)
		snprintf(d->hostname, sizeof d->hostname, "%s", host);
	if (json_mac(json_object_get(o, "same_as"), d->same_as)) {
		d->linked = true;
		const char *why = json_string_value(json_object_get(o,
		    "same_as_reason"));
		d->same_as_reason = why && strcmp(why, "dhcp_client_id") == 0 ?
		    SAME_CLIENT_ID : SAME_HOSTNAME_FP;
	}
}

void lw_inventory_from_json(struct lw_inventory *inv, const json_t *doc)
{
	size_t i;
	json_t *o;
	bool created;

	inv->learn_start_ns = (uint64_t)json_integer_value(json_object_get(doc,
	    "learn_start_ns"));
	json_array_foreach(json_object_get(doc, "devices"), i, o)
		device_from_json(inv, o);
	json_array_foreach(json_object_get(doc, "bindings"), i, o) {
		struct lw_addr key;
		uint8_t mac[6];
		if (!json_addr(json_object_get(o, "ip"), &key) ||
		    !json_mac(json_object_get(o, "mac"), mac))
			continue;
		struct lw_binding *b = lw_table_put(&inv->bindings, &key,
		    &created);
		memcpy(b->mac, mac, 6);
		b->seen_in = LW_SEEN_STATE;
		b->since_ns = (uint64_t)json_integer_value(json_object_get(o,
		    "since_ns"));
	}
	json_array_foreach(json_object_get(doc, "identities"), i, o) {
		uint64_t hash = (uint64_t)json_integer_value(json_object_get(o,
		    "hash"));
		uint8_t mac[6];
		if (hash && json_mac(json_object_get(o, "mac"), mac))
			memcpy(lw_table_put(&inv->identities, &hash, &created),
			    mac, 6);
	}
}
