/*
 * stats.c - counters for --stats and the stats event.
 */
#include <inttypes.h>
#include <string.h>

#include "labwarden/stats.h"

static const char *const proto_names[LW_P_COUNT] = {
	[LW_P_ETHERNET] = "ethernet", [LW_P_VLAN] = "vlan",
	[LW_P_ARP] = "arp", [LW_P_IPV4] = "ipv4", [LW_P_IPV6] = "ipv6",
	[LW_P_FRAGMENT] = "fragment", [LW_P_TCP] = "tcp", [LW_P_UDP] = "udp",
	[LW_P_ICMP] = "icmp", [LW_P_ICMPV6] = "icmpv6",
};

/* Which layer bit feeds which counter. */
static const uint32_t proto_layer[LW_P_COUNT] = {
	[LW_P_ETHERNET] = LW_L_ETH, [LW_P_VLAN] = LW_L_VLAN,
	[LW_P_ARP] = LW_L_ARP, [LW_P_IPV4] = LW_L_IPV4,
	[LW_P_IPV6] = LW_L_IPV6, [LW_P_FRAGMENT] = LW_L_FRAG,
	[LW_P_TCP] = LW_L_TCP, [LW_P_UDP] = LW_L_UDP,
	[LW_P_ICMP] = LW_L_ICMP, [LW_P_ICMPV6] = LW_L_ICMPV6,
};

const char *lw_proto_name(enum lw_proto_counter proto)
{
	return (unsigned)proto < LW_P_COUNT ? proto_names[proto] : "unknown";
}

void lw_stats_init(struct lw_stats *stats)
{
	memset(stats, 0, sizeof *stats);
}

void lw_stats_begin_link(struct lw_stats *stats, int linktype)
{
	for (unsigned i = 0; i < stats->nlinks; i++) {
		if (stats->links[i].linktype == linktype) {
			stats->cur_link = i;
			return;
		}
	}
	/* More distinct link types than slots: share the last one. */
	if (stats->nlinks < LW_STATS_MAX_LINKS)
		stats->links[stats->nlinks++].linktype = linktype;
	stats->cur_link = stats->nlinks - 1;
}

void lw_stats_count(struct lw_stats *stats, const struct lw_packet *pkt)
{
	if (stats->packets++ == 0 || pkt->ts_ns < stats->first_ns)
		stats->first_ns = pkt->ts_ns;
	if (pkt->ts_ns > stats->last_ns)
		stats->last_ns = pkt->ts_ns;
	stats->bytes += pkt->wirelen;
	stats->captured += pkt->caplen;
	/* Live sources of several link types deliver in turn. */
	if (stats->nlinks && stats->links[stats->cur_link].linktype !=
	    pkt->linktype)
		lw_stats_begin_link(stats, pkt->linktype);
	if (stats->nlinks)
		stats->links[stats->cur_link].packets++;
	for (unsigned i = 0; i < LW_P_COUNT; i++)
		if (pkt->layers & proto_layer[i])
			stats->proto[i]++;
	if (pkt->malformed != LW_OK) {
		stats->malformed_packets++;
		stats->malformed[pkt->malformed]++;
	}
}

static double span_seconds(const struct lw_stats *stats)
{
	if (stats->packets == 0)
		return 0;
	return (double)(stats->last_ns - stats->first_ns) / 1e9;
}

void lw_stats_print(const struct lw_stats *stats, FILE *out)
{
	double wall = stats->wall_seconds > 0 ? stats->wall_seconds : 1e-9;

	fprintf(out, "labwarden: %u file(s), %u failed\n", stats->files,
	    stats->files_failed);
	fprintf(out, "  packets   %" PRIu64 "\n", stats->packets);
	fprintf(out, "  bytes     %" PRIu64 " (captured %" PRIu64 ")\n",
	    stats->bytes, stats->captured);
	fprintf(out, "  seconds   %.3f of traffic in %.3f s\n",
	    span_seconds(stats), stats->wall_seconds);
	fprintf(out, "  rate      %.0f packets/s\n",
	    (double)stats->packets / wall);
	fprintf(out, "  link types:");
	for (unsigned i = 0; i < stats->nlinks; i++)
		fprintf(out, " %s=%" PRIu64,
		    lw_link_name(stats->links[i].linktype),
		    stats->links[i].packets);
	fprintf(out, "\n  protocols:");
	for (unsigned i = 0; i < LW_P_COUNT; i++)
		fprintf(out, " %s=%" PRIu64, proto_names[i], stats->proto[i]);
	fprintf(out, "\n  malformed: %" PRIu64, stats->malformed_packets);
	for (unsigned i = 1; i < LW_MF_COUNT; i++)
		if (stats->malformed[i])
			fprintf(out, " %s=%" PRIu64, lw_malformed_name(i),
			    stats->malformed[i]);
	fprintf(out, "\n");
}

void lw_stats_to_json(const struct lw_stats *stats, json_t *event)
{
	json_t *links = json_object(), *protos = json_object();
	json_t *bad = json_object();

	for (unsigned i = 0; i < stats->nlinks; i++)
		json_object_set_new(links,
		    lw_link_name(stats->links[i].linktype),
		    json_integer((json_int_t)stats->links[i].packets));
	for (unsigned i = 0; i < LW_P_COUNT; i++)
		json_object_set_new(protos, proto_names[i],
		    json_integer((json_int_t)stats->proto[i]));
	for (unsigned i = 1; i < LW_MF_COUNT; i++)
		if (stats->malformed[i])
			json_object_set_new(bad, lw_malformed_name(i),
			    json_integer((json_int_t)stats->malformed[i]));
	json_object_set_new(event, "files", json_integer(stats->files));
	json_object_set_new(event, "files_failed",
	    json_integer(stats->files_failed));
	json_object_set_new(event, "packets",
	    json_integer((json_int_t)stats->packets));
	json_object_set_new(event, "bytes",
	    json_integer((json_int_t)stats->bytes));
	json_object_set_new(event, "seconds", json_real(span_seconds(stats)));
	json_object_set_new(event, "link_types", links);
	json_object_set_new(event, "protocols", protos);
	json_object_set_new(event, "malformed_packets",
	    json_integer((json_int_t)stats->malformed_packets));
	json_object_set_new(event, "malformed", bad);
}
