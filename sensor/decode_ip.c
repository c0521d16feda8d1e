/*
 * decode_ip.c - ARP, IPv4, IPv6 (bounded extension-header walk) and the
 * transport headers TCP, UDP, ICMP and ICMPv6.
 *
 * The IP layer narrows the cursor to the datagram's own length, so
 * Ethernet padding never reaches the transport layer and a header that
 * claims more than its datagram holds is reported, not trusted.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "decode_int.h"

#define ARP_FIXED_LEN	8
#define ARP_ETH_IP_LEN	28
#define IPV4_MIN_HDR	20
#define IPV6_HDR_LEN	40
#define TCP_MIN_HDR	20
#define UDP_HDR_LEN	8
#define ICMP_MIN_HDR	4

#define IPPROTO_HOPOPTS_	0
#define IPPROTO_ICMP_	1
#define IPPROTO_TCP_	6
#define IPPROTO_UDP_	17
#define IPPROTO_ROUTING_	43
#define IPPROTO_FRAGMENT_	44
#define IPPROTO_AH_	51
#define IPPROTO_ICMPV6_	58
#define IPPROTO_NONE_	59
#define IPPROTO_DSTOPTS_	60
#define IPPROTO_MH_	135

static const char *const malformed_names[LW_MF_COUNT] = {
	[LW_OK] = "ok",
	[LW_MF_TRUNCATED_LINK] = "truncated_link",
	[LW_MF_BAD_LINK] = "bad_link",
	[LW_MF_TRUNCATED_VLAN] = "truncated_vlan",
	[LW_MF_VLAN_TOO_DEEP] = "vlan_too_deep",
	[LW_MF_TRUNCATED_ARP] = "truncated_arp",
	[LW_MF_BAD_ARP] = "bad_arp",
	[LW_MF_TRUNCATED_IP] = "truncated_ip",
	[LW_MF_BAD_IP_VERSION] = "bad_ip_version",
	[LW_MF_BAD_IHL] = "bad_ihl",
	[LW_MF_BAD_IP_LEN] = "bad_ip_len",
	[LW_MF_TRUNCATED_IPV6] = "truncated_ipv6",
	[LW_MF_TRUNCATED_IPV6_EXT] = "truncated_ipv6_ext",
	[LW_MF_IPV6_EXT_TOO_MANY] = "ipv6_ext_too_many",
	[LW_MF_TRUNCATED_TCP] = "truncated_tcp",
	[LW_MF_BAD_TCP_OFFSET] = "bad_tcp_offset",
	[LW_MF_TRUNCATED_UDP] = "truncated_udp",
	[LW_MF_BAD_UDP_LEN] = "bad_udp_len",
	[LW_MF_TRUNCATED_ICMP] = "truncated_icmp",
	[LW_MF_TRUNCATED_ICMPV6] = "truncated_icmpv6",
};

const char *lw_malformed_name(enum lw_malformed reason)
{
	if ((unsigned)reason >= LW_MF_COUNT)
		return "unknown";
	return malformed_names[reason];
}

static void set_addr(struct lw_addr *a, uint8_t family, const uint8_t *src)
{
	a->family = family;
	memcpy(a->bytes, src, family == 4 ? 4 : 16);
}

enum lw_malformed lw_decode_arp(struct lw_packet *pkt, struct cursor *c)
{
	if (c->cap < ARP_FIXED_LEN)
		return fail(pkt, LW_MF_TRUNCATED_ARP);
	pkt->layers |= LW_L_ARP;
	uint16_t htype = rd16(c->p), ptype = rd16(c->p + 2);
	uint8_t hlen = c->p[4], plen = c->p[5];
	pkt->arp_op = rd16(c->p + 6);
	if (htype != 1 || ptype != 0x0800)
		return pkt->malformed;	/* not Ethernet/IPv4: count only */
	if (hlen != 6 || plen != 4)
		return fail(pkt, LW_MF_BAD_ARP);
	if (c->cap < ARP_ETH_IP_LEN)
		return fail(pkt, LW_MF_TRUNCATED_ARP);
	pkt->arp_sha = c->p + 8;
	set_addr(&pkt->arp_spa, 4, c->p + 14);
	pkt->arp_tha = c->p + 18;
	set_addr(&pkt->arp_tpa, 4, c->p + 24);
	return pkt->malformed;
}

static enum lw_malformed decode_tcp(struct lw_packet *pkt, struct cursor *c)
{
	if (c->cap < TCP_MIN_HDR)
		return fail(pkt, LW_MF_TRUNCATED_TCP);
	uint32_t hlen = (uint32_t)(c->p[12] >> 4) * 4;
	pkt->layers |= LW_L_TCP;
	pkt->src_port = rd16(c->p);
	pkt->dst_port = rd16(c->p + 2);
	pkt->tcp_seq = rd32(c->p + 4);
	pkt->tcp_ack = rd32(c->p + 8);
	pkt->tcp_flags = c->p[13];
	if (hlen < TCP_MIN_HDR || hlen > c->wire)
		return fail(pkt, LW_MF_BAD_TCP_OFFSET);
	if (hlen > c->cap)	/* options cut by the snap length */
		return fail(pkt, LW_MF_TRUNCATED_TCP);
	cursor_skip(c, hlen);	/* options skipped, never parsed here */
	pkt->payload = c->p;
	pkt->payload_len = c->cap;
	return pkt->malformed;
}

/* 'whole' is false for a first fragment: the UDP length then covers
 * bytes that are in later fragments and cannot be checked here. */
static enum lw_malformed decode_udp(struct lw_packet *pkt, struct cursor *c,
    bool whole)
{
	if (c->cap < UDP_HDR_LEN)
		return fail(pkt, LW_MF_TRUNCATED_UDP);
	pkt->layers |= LW_L_UDP;
	pkt->src_port = rd16(c->p);
	pkt->dst_port = rd16(c->p + 2);
	uint32_t ulen = rd16(c->p + 4);
	if (ulen < UDP_HDR_LEN || (whole && ulen > c->wire))
		return fail(pkt, LW_MF_BAD_UDP_LEN);
	cursor_skip(c, UDP_HDR_LEN);
	uint32_t body = ulen - UDP_HDR_LEN;
	pkt->payload = c->p;
	pkt->payload_len = body < c->cap ? body : c->cap;
	return pkt->malformed;
}

static enum lw_malformed decode_icmp(struct lw_packet *pkt, struct cursor *c,
    bool v6)
{
	if (c->cap < ICMP_MIN_HDR)
		return fail(pkt, v6 ? LW_MF_TRUNCATED_ICMPV6 :
		    LW_MF_TRUNCATED_ICMP);
	pkt->layers |= v6 ? LW_L_ICMPV6 : LW_L_ICMP;
	pkt->icmp_type = c->p[0];
	pkt->icmp_code = c->p[1];
	cursor_skip(c, ICMP_MIN_HDR);
	pkt->payload = c->p;
	pkt->payload_len = c->cap;
	return pkt->malformed;
}

static enum lw_malformed decode_l4(struct lw_packet *pkt, struct cursor *c,
    bool whole)
{
	switch (pkt->ip_proto) {
	case IPPROTO_TCP_:
		return decode_tcp(pkt, c);
	case IPPROTO_UDP_:
		return decode_udp(pkt, c, whole);
	case IPPROTO_ICMP_:
		return decode_icmp(pkt, c, false);
	case IPPROTO_ICMPV6_:
		return decode_icmp(pkt, c, true);
	default:
		pkt->payload = c->p;
		pkt->payload_len = c->cap;
		return pkt->malformed;
	}
}

/*
 * Narrow the cursor to 'len' bytes claimed by a length field.  Bytes
 * captured beyond it are link padding; a claim beyond the capture is a
 * snapped packet, decoded as far as it goes.
 */
static void narrow(struct cursor *c, uint32_t len)
{
	c->wire = len;
	if (c->cap > len)
		c->cap = len;
}

enum lw_malformed lw_decode_ipv4(struct lw_packet *pkt, struct cursor *c)
{
	if (c->cap < IPV4_MIN_HDR)
		return fail(pkt, LW_MF_TRUNCATED_IP);
	if (c->p[0] >> 4 != 4)
		return fail(pkt, LW_MF_BAD_IP_VERSION);
	uint32_t ihl = (uint32_t)(c->p[0] & 0x0f) * 4;
	uint32_t total = rd16(c->p + 2);
	if (ihl < IPV4_MIN_HDR)
		return fail(pkt, LW_MF_BAD_IHL);
	if (total == 0)		/* segmentation offload: length unknown */
		total = c->wire;
	if (total < ihl)
		return fail(pkt, LW_MF_BAD_IP_LEN);

	pkt->layers |= LW_L_IPV4;
	pkt->ttl = c->p[8];
	pkt->ip_proto = c->p[9];
	set_addr(&pkt->src_ip, 4, c->p + 12);
	set_addr(&pkt->dst_ip, 4, c->p + 16);
	uint16_t frag = rd16(c->p + 6);
	bool more = frag & 0x2000;
	pkt->frag_offset = (uint16_t)((frag & 0x1fff) * 8);
	if (more || pkt->frag_offset)
		pkt->layers |= LW_L_FRAG;
	if (ihl > c->cap)	/* options cut by the snap length */
		return fail(pkt, LW_MF_TRUNCATED_IP);
	if (total > c->wire)	/* claims more than the frame carried */
		fail(pkt, LW_MF_TRUNCATED_IP);

	narrow(c, total);
	cursor_skip(c, ihl);	/* options: skipped, length checked above */
	if (pkt->frag_offset)	/* only the first fragment has L4 */
		return pkt->malformed;
	return decode_l4(pkt, c, !more);
}

static bool ipv6_is_ext(uint8_t nh)
{
	return nh == IPPROTO_HOPOPTS_ || nh == IPPROTO_ROUTING_ ||
	    nh == IPPROTO_FRAGMENT_ || nh == IPPROTO_DSTOPTS_ ||
	    nh == IPPROTO_AH_ || nh == IPPROTO_MH_;
}

/* Length of the extension header at c->p, 0 if it is not captured. */
static uint32_t ipv6_ext_len(uint8_t nh, const struct cursor *c)
{
	if (c->cap < 2)
		return 0;
	if (nh == IPPROTO_FRAGMENT_)
		return 8;
	if (nh == IPPROTO_AH_)
		return ((uint32_t)c->p[1] + 2) * 4;
	return ((uint32_t)c->p[1] + 1) * 8;
}

enum lw_malformed lw_decode_ipv6(struct lw_packet *pkt, struct cursor *c)
{
	if (c->cap < IPV6_HDR_LEN)
		return fail(pkt, LW_MF_TRUNCATED_IPV6);
	if (c->p[0] >> 4 != 6)
		return fail(pkt, LW_MF_BAD_IP_VERSION);
	uint32_t plen = rd16(c->p + 4);
	uint8_t nh = c->p[6];
	pkt->layers |= LW_L_IPV6;
	pkt->ttl = c->p[7];
	set_addr(&pkt->src_ip, 6, c->p + 8);
	set_addr(&pkt->dst_ip, 6, c->p + 24);
	cursor_skip(c, IPV6_HDR_LEN);
	if (plen > c->wire)	/* claims more than the frame carried */
		fail(pkt, LW_MF_TRUNCATED_IPV6);
	if (plen != 0)		/* 0: jumbogram or offload, keep what we have */
		narrow(c, plen);

	bool more = false;
	for (unsigned n = 0; ipv6_is_ext(nh); n++) {
		if (n >= LW_MAX_IPV6_EXT)
			return fail(pkt, LW_MF_IPV6_EXT_TOO_MANY);
		uint32_t len = ipv6_ext_len(nh, c);
		if (len == 0 || len > c->cap)
			return fail(pkt, LW_MF_TRUNCATED_IPV6_EXT);
		if (nh == IPPROTO_FRAGMENT_) {
			uint16_t off = rd16(c->p + 2);
			more = off & 1;
			pkt->frag_offset = off & 0xfff8;
			pkt->layers |= LW_L_FRAG;
		}
		nh = c->p[0];
		cursor_skip(c, len);
		if (pkt->frag_offset)	/* later fragment: the rest is data */
			break;
	}
	pkt->ip_proto = nh;
	if (pkt->frag_offset || nh == IPPROTO_NONE_)
		return pkt->malformed;
	return decode_l4(pkt, c, !more);
}

enum lw_malformed lw_decode_ip_any(struct lw_packet *pkt, struct cursor *c)
{
	if (c->cap < 1)
		return fail(pkt, LW_MF_TRUNCATED_IP);
	switch (c->p[0] >> 4) {
	case 4:
		return lw_decode_ipv4(pkt, c);
	case 6:
		return lw_decode_ipv6(pkt, c);
	default:
		return fail(pkt, LW_MF_BAD_IP_VERSION);
	}
}

const char *lw_addr_str(const struct lw_addr *addr, char *buf, size_t len)
{
	int af = addr->family == 6 ? AF_INET6 : AF_INET;
	if (addr->family == 0 || !inet_ntop(af, addr->bytes, buf,
	    (socklen_t)len))
		snprintf(buf, len, "-");
	return buf;
}

const char *lw_mac_str(const uint8_t *mac, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";

	if (len < 18) {
		if (len)
			buf[0] = '\0';
		return buf;
	}
	for (int i = 0; i < 6; i++) {
		buf[i * 3] = hex[mac[i] >> 4];
		buf[i * 3 + 1] = hex[mac[i] & 15];
		buf[i * 3 + 2] = i == 5 ? '\0' : ':';
	}
	return buf;
}
