/*
 * stats.h - what the sensor saw: packets, bytes, time span, counts by
 * link type, by protocol and by malformed reason.  Counting is a handful
 * of increments per packet; printing and JSON happen once at the end.
 */
#ifndef LABWARDEN_STATS_H
#define LABWARDEN_STATS_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "labwarden/decode.h"

enum lw_proto_counter {
	LW_P_ETHERNET, LW_P_VLAN, LW_P_ARP, LW_P_IPV4, LW_P_IPV6,
	LW_P_FRAGMENT, LW_P_TCP, LW_P_UDP, LW_P_ICMP, LW_P_ICMPV6,
	LW_P_COUNT
};

#define LW_STATS_MAX_LINKS 16

struct lw_stats {
	uint64_t packets;
	uint64_t bytes;		/* on-the-wire length */
	uint64_t captured;	/* captured length */
	uint64_t first_ns, last_ns;
	uint64_t malformed_packets;
	uint64_t proto[LW_P_COUNT];
	uint64_t malformed[LW_MF_COUNT];
	struct {
		int	 linktype;
		uint64_t packets;
	} links[LW_STATS_MAX_LINKS];
	unsigned nlinks;
	unsigned cur_link;	/* index into links for the open file */
	unsigned files, files_failed;
	double	 wall_seconds;
};

void	lw_stats_init(struct lw_stats *stats);
/* A new file (or source) of this link type starts. */
void	lw_stats_begin_link(struct lw_stats *stats, int linktype);
void	lw_stats_count(struct lw_stats *stats, const struct lw_packet *pkt);
const char *lw_proto_name(enum lw_proto_counter proto);
/* The --stats block, for a person. */
void	lw_stats_print(const struct lw_stats *stats, FILE *out);
/* The same figures as the body of a "stats" event. */
void	lw_stats_to_json(const struct lw_stats *stats, json_t *event);

#endif
