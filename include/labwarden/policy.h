/*
 * policy.h - who must never be actioned, and how many automatic actions
 * an hour may bring.
 *
 * Never actioned: networks.protected, actions.never (addresses, prefixes
 * or MACs), the sensor's own addresses (getifaddrs) and the gateways of
 * its routing table (/proc/net/route, /proc/net/ipv6_route) with their
 * MACs (/proc/net/arp).  A target is refused when its text, or the MAC
 * or IP the sensor knows for it, is one of these, so quarantining "a new
 * device" that is really the gateway's MAC is refused too.
 *
 * The hourly cap counts automatic actions over a sliding hour of the
 * sensor's clock; past actions.max_per_hour they are refused, and the
 * first refusal in an hour says so once (a notify), so a flood of
 * spoofed MACs cannot quarantine the house nor flood the owner.
 *
 * Everything here runs on the caller's thread, takes no lock and does no
 * I/O except lw_policy_read_host().
 */
#ifndef LABWARDEN_POLICY_H
#define LABWARDEN_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "labwarden/backend.h"
#include "labwarden/config.h"
#include "labwarden/net.h"

#define LW_POLICY_MAX_OWN	64	/* addresses of this host */
#define LW_POLICY_MAX_GW	16	/* gateways, and their MACs */
#define LW_POLICY_HOUR_NS	(3600ull * 1000000000ull)

struct lw_policy {
	const struct lw_network *protected_net;	/* cfg's, or NULL */
	struct lw_cidr never[LW_MAX_LISTS];
	size_t	 nnever;
	uint8_t	 never_mac[LW_MAX_LISTS][6];
	size_t	 nnever_mac;
	struct lw_addr own[LW_POLICY_MAX_OWN];
	size_t	 nown;
	struct lw_addr gw[LW_POLICY_MAX_GW];
	size_t	 ngw;
	uint8_t	 gw_mac[LW_POLICY_MAX_GW][6];
	size_t	 ngw_mac;
	/* Times of the automatic actions of the last hour: a ring of cap. */
	uint64_t cap;
	uint64_t *recent;
	size_t	 head, n;
	uint64_t notified_ns;	/* when the cap was last announced */
	bool	 notified;
};

bool	 lw_policy_init(struct lw_policy *p, const struct lw_config *cfg,
	    char *err, size_t errlen);
void	 lw_policy_free(struct lw_policy *p);
/* Read this host's addresses and the gateways again (they change). */
void	 lw_policy_read_host(struct lw_policy *p);
/* The gateways of route4/route6 (/proc/net format) and, from arp, their
 * MACs; replaces what was read before.  For tests and read_host. */
void	 lw_policy_read_routes(struct lw_policy *p, const char *route4,
	    const char *route6, const char *arp);
/* Add an own address or a gateway by hand (tests). */
bool	 lw_policy_add_own(struct lw_policy *p, const char *addr);
bool	 lw_policy_add_gateway(struct lw_policy *p, const char *addr);
/* True when t must not be actioned; why says which rule and what. */
bool	 lw_policy_refuses(const struct lw_policy *p,
	    const struct lw_target *t, char *why, size_t whylen);
/*
 * One more automatic action at now_ns: true (and counted) when within
 * the cap.  When not, *announce is true the first time in an hour.
 */
bool	 lw_policy_take(struct lw_policy *p, uint64_t now_ns,
	    bool *announce);

#endif
