/*
 * dnswatch.h - DNS facts: queries, responses, first-seen domains and
 * the shape of names, from DNS over UDP and TCP (port 53), mDNS (5353)
 * and LLMNR (5355).
 *
 * Per query it writes dns_query (dns_response for answers) with the
 * registered domain (Public Suffix List), the block list that has the
 * name, and what a tunnel detector needs: name length, longest label,
 * entropy of the subdomain, and, per host and registered domain over
 * dns.tunnel_window, the number of distinct subdomains and the share
 * of TXT/NULL queries.  After dns.learn_for it writes new_domain the
 * first time a host (scope "host") or the network (scope "network")
 * asks for a registered domain.  DNS over TCP is reassembled per
 * connection, in order only, into a bounded buffer.
 */
#ifndef LABWARDEN_DNSWATCH_H
#define LABWARDEN_DNSWATCH_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "labwarden/decode.h"
#include "labwarden/dns.h"
#include "labwarden/table.h"

struct lw_sensor;

#define LW_DNS_TCP_BUF		4096	/* per stream; longer messages are
					 * parsed from their first 4 KB */
#define LW_DNS_SUBDOMAIN_BITS	1024	/* linear-counting bitmap */

struct lw_dnswatch_caps {
	uint32_t host_domains, net_domains, shapes, tcp_streams;
};

struct lw_dnswatch {
	struct lw_table host_domains;	/* (host, domain hash) seen */
	struct lw_table net_domains;	/* domain hash seen */
	struct lw_table shapes;		/* (host, domain hash) window */
	struct lw_table tcp_streams;	/* one direction of a TCP flow */
	uint64_t learn_start_ns;	/* 0: no query yet */
	uint64_t messages, errors[LW_DNS_ERROR_COUNT];
	struct lw_dns_msg msg;		/* parse buffer, reused */
};

bool	 lw_dnswatch_init(struct lw_dnswatch *dw,
	    const struct lw_dnswatch_caps *caps, char *err, size_t errlen);
void	 lw_dnswatch_free(struct lw_dnswatch *dw);
void	 lw_dnswatch_packet(struct lw_dnswatch *dw, struct lw_sensor *s,
	    const struct lw_packet *pkt);

/* Estimated distinct values in a linear-counting bitmap. */
uint32_t lw_dnswatch_distinct(const uint64_t bits[LW_DNS_SUBDOMAIN_BITS / 64]);

/* Seen domains, for state_dir (hashes of the registered domains). */
json_t	*lw_dnswatch_to_json(const struct lw_dnswatch *dw);
void	 lw_dnswatch_from_json(struct lw_dnswatch *dw, const json_t *doc);

#endif
