/*
 * conntrack.h - conn_start facts: a TCP SYN without ACK, or the first
 * UDP packet of a 5-tuple not seen (in either direction) within
 * connections.udp_timeout.  'outbound' means from networks.home to a
 * unicast address outside it.  High rate: scenes count them, the
 * writer writes them only when asked (--emit conn_start).
 */
#ifndef LABWARDEN_CONNTRACK_H
#define LABWARDEN_CONNTRACK_H

#include <stdbool.h>
#include <stdint.h>

#include "labwarden/decode.h"
#include "labwarden/table.h"

struct lw_sensor;

/* A direction of a flow; also the key of DNS-over-TCP streams. */
struct lw_flow_key {
	uint8_t	 family;
	uint8_t	 proto;
	uint16_t src_port, dst_port;
	uint8_t	 src[16], dst[16];
};

struct lw_conntrack {
	struct lw_table flows;		/* lw_flow_key -> last packet time */
};

bool	 lw_conntrack_init(struct lw_conntrack *ct, uint32_t capacity,
	    char *err, size_t errlen);
void	 lw_conntrack_free(struct lw_conntrack *ct);
void	 lw_conntrack_packet(struct lw_conntrack *ct, struct lw_sensor *s,
	    const struct lw_packet *pkt);

/* Fill key for pkt's direction (reverse: the other direction). */
void	 lw_flow_key_of(const struct lw_packet *pkt, bool reverse,
	    struct lw_flow_key *key);

#endif
