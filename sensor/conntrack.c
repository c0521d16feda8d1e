/*
 * conntrack.c - new connections per host (see conntrack.h).
 */
#include <string.h>

#include "labwarden/conntrack.h"
#include "labwarden/sensor.h"

/* A flow is kept once for both directions (see flow_of). */
struct flow_state {
	uint64_t last_ns;
	bool	 opened_by_lo;	/* the lower endpoint sent first */
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
	char prefix[LW_NFLOG_PREFIX_MAX + 1];
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
	if (pkt->nflog_prefix)	/* which firewall rule logged it */
		lw_fact_str(&f, LW_CONN_NFLOG_PREFIX, lw_packet_nflog_prefix(pkt,
		    prefix, sizeof prefix));
	lw_sensor_emit(s, &f);
}

/*
 * The flow of a packet with its endpoints in a fixed order (the lower
 * address and port first), so that one lookup finds it from either
 * direction; *from_lo says whether this packet comes from the lower one.
 */
static void flow_of(const struct lw_packet *pkt, struct lw_flow_key *key,
    bool *from_lo)
{
	struct lw_flow_key fwd, rev;

	lw_flow_key_of(pkt, false, &fwd);
	lw_flow_key_of(pkt, true, &rev);
	int order = memcmp(fwd.src, fwd.dst, sizeof fwd.src);
	*from_lo = order < 0 || (order == 0 && fwd.src_port <= fwd.dst_port);
	*key = *from_lo ? fwd : rev;
}

void lw_conntrack_packet(struct lw_conntrack *ct, struct lw_sensor *s,
    const struct lw_packet *pkt)
{
	struct lw_flow_key key;
	bool from_lo, created;
	uint64_t now = lw_sensor_now(s);
	uint64_t timeout = s->cfg->udp_timeout_ns;

	if (pkt->layers & LW_L_TCP) {
		if ((pkt->tcp_flags & (LW_TCP_SYN | LW_TCP_ACK)) != LW_TCP_SYN)
			return;
	} else if (!(pkt->layers & LW_L_UDP))
		return;
	flow_of(pkt, &key, &from_lo);
	struct flow_state *st = lw_table_put(&ct->flows, &key, &created);
	bool fresh = !created && now - st->last_ns < timeout;
	st->last_ns = now;
	/* A retransmitted SYN, or any packet of a live UDP flow (a reply
	 * included), is not a new connection. */
	if (fresh && ((pkt->layers & LW_L_UDP) || st->opened_by_lo == from_lo))
		return;
	st->opened_by_lo = from_lo;
	emit_conn(s, pkt);
}
