/*
 * conntrack.c - new connections per host (see conntrack.h).
 */
#include <string.h>

#include "labwarden/conntrack.h"
#include "labwarden/sensor.h"

struct flow_state {
	uint64_t last_ns;
};

bool lw_conntrack_init(struct lw_conntrack *ct, uint32_t capacity,
    char *err, size_t errlen)
{
	if (!lw_table_init(&ct->flows, "flows", capacity,
	    sizeof(struct lw_flow_key), sizeof(struct flow_state))) {
		snprintf(err, errlen, "flows: out of memory");
		return false;
	}
	return true;
}

void lw_conntrack_free(struct lw_conntrack *ct)
{
	lw_table_free(&ct->flows);
}

void lw_flow_key_of(const struct lw_packet *pkt, bool reverse,
    struct lw_flow_key *key)
{
	size_t alen = pkt->src_ip.family == 4 ? 4 : 16;
	const struct lw_addr *src = reverse ? &pkt->dst_ip : &pkt->src_ip;
	const struct lw_addr *dst = reverse ? &pkt->src_ip : &pkt->dst_ip;

	memset(key, 0, sizeof *key);	/* padding is part of the key */
	key->family = pkt->src_ip.family;
	key->proto = pkt->ip_proto;
	key->src_port = reverse ? pkt->dst_port : pkt->src_port;
	key->dst_port = reverse ? pkt->src_port : pkt->dst_port;
	memcpy(key->src, src->bytes, alen);
	memcpy(key->dst, dst->bytes, alen);
}

static bool is_unicast(const struct lw_addr *a)
{
	if (a->family == 4)
		return a->bytes[0] < 224 && a->bytes[0] != 0 &&
		    !(a->bytes[0] == 169 && a->bytes[1] == 254);
	return a->bytes[0] != 0xff &&
	    !(a->bytes[0] == 0xfe && (a->bytes[1] & 0xc0) == 0x80);
}

static void emit_conn(struct lw_sensor *s, const struct lw_packet *pkt)
{
	struct lw_fact f;
	bool outbound = lw_sensor_is_home(s, &pkt->src_ip) &&
	    !lw_sensor_is_home(s, &pkt->dst_ip) && is_unicast(&pkt->dst_ip);

	lw_fact_init(&f, LW_EV_CONN_START, lw_sensor_now(s));
	lw_fact_ip(&f, LW_CONN_SRC_IP, &pkt->src_ip);
	lw_fact_ip(&f, LW_CONN_DEST_IP, &pkt->dst_ip);
	lw_fact_num(&f, LW_CONN_SRC_PORT, pkt->src_port);
	lw_fact_num(&f, LW_CONN_DEST_PORT, pkt->dst_port);
	lw_fact_str(&f, LW_CONN_PROTO, lw_proto_label(pkt->ip_proto));
	lw_fact_flag(&f, LW_CONN_OUTBOUND, outbound);
	lw_fact_mac(&f, LW_CONN_SRC_MAC, pkt->src_mac);
	if (pkt->layers & LW_L_VLAN)
		lw_fact_num(&f, LW_CONN_VLAN, pkt->vlan);
	lw_sensor_emit(s, &f);
}

/* True when key was seen within the timeout; refreshes it either way. */
static bool recently_seen(struct lw_conntrack *ct, const struct lw_flow_key *key,
    uint64_t now, uint64_t timeout, bool insert)
{
	bool created = false;
	struct flow_state *st = insert ?
	    lw_table_put(&ct->flows, key, &created) :
	    lw_table_get(&ct->flows, key);

	if (!st)
		return false;
	bool fresh = !created && now - st->last_ns < timeout;
	st->last_ns = now;
	return fresh;
}

void lw_conntrack_packet(struct lw_conntrack *ct, struct lw_sensor *s,
    const struct lw_packet *pkt)
{
	struct lw_flow_key key, rev;
	uint64_t now = lw_sensor_now(s);
	uint64_t timeout = s->cfg->udp_timeout_ns;

	if (pkt->layers & LW_L_TCP) {
		if ((pkt->tcp_flags & (LW_TCP_SYN | LW_TCP_ACK)) != LW_TCP_SYN)
			return;
		lw_flow_key_of(pkt, false, &key);
		/* A retransmitted SYN is the same attempt. */
		if (!recently_seen(ct, &key, now, timeout, true))
			emit_conn(s, pkt);
		return;
	}
	if (!(pkt->layers & LW_L_UDP))
		return;
	lw_flow_key_of(pkt, false, &key);
	lw_flow_key_of(pkt, true, &rev);
	if (recently_seen(ct, &rev, now, timeout, false))
		return;		/* a reply */
	if (!recently_seen(ct, &key, now, timeout, true))
		emit_conn(s, pkt);
}
