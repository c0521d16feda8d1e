/*
 * policy.c - protected targets and the hourly cap (see policy.h).
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labwarden/decode.h"
#include "labwarden/policy.h"

#define LINE_MAX_LEN	512
#define ROUTE_LINES_MAX	4096	/* a routing table read stops here */
#define RTF_GATEWAY_FLAG 0x2

static bool mac_bytes(const char *text, uint8_t mac[6])
{
	unsigned b[6];
	char tail;

	if (strlen(text) != 17 || sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c",
	    &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
		return false;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return true;
}

static bool addr_parse(const char *text, struct lw_addr *a)
{
	memset(a, 0, sizeof *a);
	if (inet_pton(AF_INET, text, a->bytes) == 1)
		a->family = 4;
	else if (inet_pton(AF_INET6, text, a->bytes) == 1)
		a->family = 6;
	return a->family != 0;
}

static bool addr_eq(const struct lw_addr *a, const struct lw_addr *b)
{
	return a->family == b->family &&
	    memcmp(a->bytes, b->bytes, a->family == 4 ? 4 : 16) == 0;
}

bool lw_policy_init(struct lw_policy *p, const struct lw_config *cfg,
    char *err, size_t errlen)
{
	char why[128];

	memset(p, 0, sizeof *p);
	p->protected_net = lw_config_network(cfg, "protected");
	for (size_t i = 0; i < cfg->naction_never; i++) {
		const char *text = cfg->action_never[i];
		if (mac_bytes(text, p->never_mac[p->nnever_mac]))
			p->nnever_mac++;
		else if (lw_cidr_parse(text, &p->never[p->nnever], why,
		    sizeof why))
			p->nnever++;
		else {
			snprintf(err, errlen, "actions.never: %s", why);
			return false;
		}
	}
	p->cap = cfg->max_per_hour;
	if (p->cap && !(p->recent = calloc(p->cap, sizeof *p->recent))) {
		snprintf(err, errlen, "actions.max_per_hour: out of memory");
		return false;
	}
	return true;
}

void lw_policy_free(struct lw_policy *p)
{
	free(p->recent);
	p->recent = NULL;
}

static void add_addr(struct lw_addr *list, size_t *n, size_t max,
    const struct lw_addr *a)
{
	for (size_t i = 0; i < *n; i++)
		if (addr_eq(&list[i], a))
			return;
	if (*n < max)
		list[(*n)++] = *a;
}

bool lw_policy_add_own(struct lw_policy *p, const char *text)
{
	struct lw_addr a;

	if (!addr_parse(text, &a))
		return false;
	add_addr(p->own, &p->nown, LW_POLICY_MAX_OWN, &a);
	return true;
}

bool lw_policy_add_gateway(struct lw_policy *p, const char *text)
{
	struct lw_addr a;

	if (!addr_parse(text, &a))
		return false;
	add_addr(p->gw, &p->ngw, LW_POLICY_MAX_GW, &a);
	return true;
}

/* Gateways of /proc/net/route: hex of the address as the kernel holds
 * it (network order read as a host integer), flags with RTF_GATEWAY. */
static void read_route4(struct lw_policy *p, const char *path)
{
	FILE *f = fopen(path, "re");
	char line[LINE_MAX_LEN], iface[64];
	unsigned dest, gw, flags;

	if (!f)
		return;
	for (int n = 0; n < ROUTE_LINES_MAX && fgets(line, sizeof line, f);
	    n++) {
		if (sscanf(line, "%63s %x %x %x", iface, &dest, &gw,
		    &flags) != 4 || !(flags & RTF_GATEWAY_FLAG) || gw == 0)
			continue;
		struct lw_addr a = { .family = 4 };
		uint32_t raw = (uint32_t)gw;
		memcpy(a.bytes, &raw, 4);
		add_addr(p->gw, &p->ngw, LW_POLICY_MAX_GW, &a);
	}
	fclose(f);
}

static bool hex_bytes(const char *hex, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return false;
		out[i] = (uint8_t)v;
	}
	return true;
}

/* /proc/net/ipv6_route: dest plen src plen nexthop metric refcnt use
 * flags iface, addresses as 32 hex digits; a non-zero next hop. */
static void read_route6(struct lw_policy *p, const char *path)
{
	static const uint8_t zero[16];
	FILE *f = fopen(path, "re");
	char line[LINE_MAX_LEN], dest[40], src[40], hop[40];
	unsigned dplen, splen;

	if (!f)
		return;
	for (int n = 0; n < ROUTE_LINES_MAX && fgets(line, sizeof line, f);
	    n++) {
		struct lw_addr a = { .family = 6 };
		if (sscanf(line, "%32s %x %32s %x %32s", dest, &dplen, src,
		    &splen, hop) != 5 || strlen(hop) != 32 ||
		    !hex_bytes(hop, a.bytes, 16) ||
		    memcmp(a.bytes, zero, 16) == 0)
			continue;
		add_addr(p->gw, &p->ngw, LW_POLICY_MAX_GW, &a);
	}
	fclose(f);
}

/* /proc/net/arp: "IP HWtype Flags HWaddress Mask Device": the MACs of
 * the gateways, complete entries only. */
static void read_arp(struct lw_policy *p, const char *path)
{
	FILE *f = fopen(path, "re");
	char line[LINE_MAX_LEN], ip[64], mac[32];
	unsigned hwtype, flags;
	struct lw_addr a;

	if (!f)
		return;
	for (int n = 0; n < ROUTE_LINES_MAX && fgets(line, sizeof line, f);
	    n++) {
		if (sscanf(line, "%63s %x %x %31s", ip, &hwtype, &flags,
		    mac) != 4 || !(flags & 0x2) || !addr_parse(ip, &a) ||
		    p->ngw_mac == LW_POLICY_MAX_GW)
			continue;
		for (size_t i = 0; i < p->ngw; i++)
			if (addr_eq(&p->gw[i], &a) &&
			    mac_bytes(mac, p->gw_mac[p->ngw_mac])) {
				p->ngw_mac++;
				break;
			}
	}
	fclose(f);
}

void lw_policy_read_routes(struct lw_policy *p, const char *route4,
    const char *route6, const char *arp)
{
	p->ngw = p->ngw_mac = 0;
	if (route4)
		read_route4(p, route4);
	if (route6)
		read_route6(p, route6);
	if (arp)
		read_arp(p, arp);
}

void lw_policy_read_host(struct lw_policy *p)
{
	struct ifaddrs *ifs, *i;

	p->nown = 0;
	if (getifaddrs(&ifs) == 0) {
		for (i = ifs; i; i = i->ifa_next) {
			struct lw_addr a = { 0 };
			if (!i->ifa_addr)
				continue;
			if (i->ifa_addr->sa_family == AF_INET) {
				a.family = 4;
				memcpy(a.bytes, &((struct sockaddr_in *)(void *)
				    i->ifa_addr)->sin_addr, 4);
			} else if (i->ifa_addr->sa_family == AF_INET6) {
				a.family = 6;
				memcpy(a.bytes, &((struct sockaddr_in6 *)(void *)
				    i->ifa_addr)->sin6_addr, 16);
			} else
				continue;
			add_addr(p->own, &p->nown, LW_POLICY_MAX_OWN, &a);
		}
		freeifaddrs(ifs);
	}
	lw_policy_read_routes(p, "/proc/net/route", "/proc/net/ipv6_route",
	    "/proc/net/arp");
}

/* Why the address a may not be actioned, or NULL. */
static const char *addr_refused(const struct lw_policy *p,
    const struct lw_addr *a)
{
	const struct lw_network *net = p->protected_net;

	for (size_t i = 0; net && i < net->ncidrs; i++)
		if (lw_cidr_contains(&net->cidrs[i], a))
			return "a protected host (networks.protected)";
	for (size_t i = 0; i < p->nnever; i++)
		if (lw_cidr_contains(&p->never[i], a))
			return "listed in actions.never";
	for (size_t i = 0; i < p->nown; i++)
		if (addr_eq(&p->own[i], a))
			return "this sensor's own address";
	for (size_t i = 0; i < p->ngw; i++)
		if (addr_eq(&p->gw[i], a))
			return "a gateway of this host's routing table";
	return NULL;
}

static const char *mac_refused(const struct lw_policy *p, const uint8_t *m)
{
	for (size_t i = 0; i < p->nnever_mac; i++)
		if (memcmp(p->never_mac[i], m, 6) == 0)
			return "listed in actions.never";
	for (size_t i = 0; i < p->ngw_mac; i++)
		if (memcmp(p->gw_mac[i], m, 6) == 0)
			return "the MAC of a gateway of this host";
	return NULL;
}

/*
 * An IP target is judged by its address.  A MAC target by its MAC, and
 * by the address the sensor saw it at: a MAC at the gateway's address
 * may be the gateway itself (a "new device" that is the router) or a
 * spoofer; blocking the wrong one cuts the house off, so it is refused
 * and left to a person.  The MAC a routed IP arrives with is the
 * router's, so an IP target's MAC is not judged.
 */
bool lw_policy_refuses(const struct lw_policy *p, const struct lw_target *t,
    char *why, size_t whylen)
{
	struct lw_addr a;
	uint8_t mac[6];
	const char *reason;
	bool is_mac = *t->mac && strcmp(t->text, t->mac) == 0;

	if (is_mac && mac_bytes(t->mac, mac) &&
	    (reason = mac_refused(p, mac))) {
		snprintf(why, whylen, "%s is %s: never actioned", t->mac,
		    reason);
		return true;
	}
	if (*t->ip && addr_parse(t->ip, &a) && (reason = addr_refused(p, &a))) {
		if (is_mac)
			snprintf(why, whylen, "%s was seen at %s, %s: never "
			    "actioned (it may be that host, or pose as it)",
			    t->mac, t->ip, reason);
		else
			snprintf(why, whylen, "%s is %s: never actioned", t->ip,
			    reason);
		return true;
	}
	return false;
}

bool lw_policy_take(struct lw_policy *p, uint64_t now_ns, bool *announce)
{
	*announce = false;
	while (p->n && now_ns >= p->recent[p->head] &&
	    now_ns - p->recent[p->head] >= LW_POLICY_HOUR_NS) {
		p->head = (p->head + 1) % p->cap;
		p->n--;
	}
	if (p->n < p->cap) {
		p->recent[(p->head + p->n) % p->cap] = now_ns;
		p->n++;
		return true;
	}
	if (!p->notified || now_ns < p->notified_ns ||
	    now_ns - p->notified_ns >= LW_POLICY_HOUR_NS) {
		p->notified = true;
		p->notified_ns = now_ns;
		*announce = true;
	}
	return false;
}
