/*
 * test_decode.c - t100: the L2-L4 decoder on hand-built packets.
 *
 * Every supported link type and header is decoded from a packet built
 * here byte by byte, and every such packet is then cut at every length
 * from 0 to one byte short of whole: each cut must report the header it
 * falls in (truncated_link, truncated_vlan, truncated_ip, ...), keep the
 * layers before it, and never read past the cut (each cut is decoded
 * from a heap buffer of exactly that size, so AddressSanitizer sees any
 * over-read).  Inconsistent length fields are checked one by one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "labwarden/decode.h"

/* ---- a tiny packet builder ---- */

struct pb {
	uint8_t	 b[2048];
	size_t	 n;
};

static void put8(struct pb *p, unsigned v)
{
	p->b[p->n++] = (uint8_t)v;
}

static void put16(struct pb *p, unsigned v)
{
	put8(p, v >> 8);
	put8(p, v);
}

static void put32(struct pb *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p, v & 0xffff);
}

static void putn(struct pb *p, const void *data, size_t len)
{
	memcpy(p->b + p->n, data, len);
	p->n += len;
}

static void fill(struct pb *p, size_t len, uint8_t byte)
{
	memset(p->b + p->n, byte, len);
	p->n += len;
}

static const uint8_t mac_a[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t mac_b[6] = { 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb };
static const uint8_t ip_a[4] = { 192, 168, 1, 10 };
static const uint8_t ip_b[4] = { 8, 8, 4, 4 };
static const uint8_t ip6_a[16] = { 0xfe, 0x80, [15] = 1 };
static const uint8_t ip6_b[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

static void eth(struct pb *p, unsigned ethertype)
{
	putn(p, mac_b, 6);
	putn(p, mac_a, 6);
	put16(p, ethertype);
}

/* IPv4 header with 'optlen' bytes of options (NOPs) before 'l4len'. */
static void ipv4(struct pb *p, unsigned proto, size_t optlen, size_t l4len,
    unsigned frag)
{
	put8(p, 0x40 | (unsigned)((20 + optlen) / 4));
	put8(p, 0);
	put16(p, (unsigned)(20 + optlen + l4len));
	put16(p, 0x1234);
	put16(p, frag);
	put8(p, 64);
	put8(p, proto);
	put16(p, 0);
	putn(p, ip_a, 4);
	putn(p, ip_b, 4);
	fill(p, optlen, 1);
}

static void ipv6(struct pb *p, unsigned next, size_t plen)
{
	put32(p, 0x60000000);
	put16(p, (unsigned)plen);
	put8(p, next);
	put8(p, 255);
	putn(p, ip6_a, 16);
	putn(p, ip6_b, 16);
}

/* A TCP header with 'optlen' bytes of options (NOPs). */
static void tcp(struct pb *p, unsigned flags, size_t optlen)
{
	put16(p, 40000);
	put16(p, 443);
	put32(p, 1000);
	put32(p, 2000);
	put8(p, (unsigned)((20 + optlen) / 4) << 4);
	put8(p, flags);
	put16(p, 65535);
	put32(p, 0);
	fill(p, optlen, 1);
}

static void udp(struct pb *p, size_t payload)
{
	put16(p, 5353);
	put16(p, 53);
	put16(p, (unsigned)(8 + payload));
	put16(p, 0);
}

static void arp(struct pb *p, unsigned op)
{
	put16(p, 1);
	put16(p, 0x0800);
	put8(p, 6);
	put8(p, 4);
	put16(p, op);
	putn(p, mac_a, 6);
	putn(p, ip_a, 4);
	fill(p, 6, 0);
	putn(p, ip_b, 4);
}

/* ---- decoding helpers ---- */

/* Decode the first n bytes of p from an exact-size heap copy. */
static enum lw_malformed decode_cut(const struct pb *p, size_t n,
    int linktype, struct lw_packet *pkt)
{
	uint8_t *copy = malloc(n ? n : 1);
	assert_non_null(copy);
	memcpy(copy, p->b, n);
	memset(pkt, 0, sizeof *pkt);
	pkt->linktype = linktype;
	pkt->caplen = (uint32_t)n;
	pkt->wirelen = (uint32_t)p->n;
	enum lw_malformed why = lw_decode(pkt, copy);
	/* payload must lie inside the captured bytes */
	if (pkt->payload_len)
		assert_true(pkt->payload >= copy &&
		    pkt->payload + pkt->payload_len <= copy + n);
	free(copy);
	return why;
}

/* Decode all of p in place: pointers in pkt stay valid for asserts. */
static enum lw_malformed decode_all(const struct pb *p, int linktype,
    struct lw_packet *pkt)
{
	memset(pkt, 0, sizeof *pkt);
	pkt->linktype = linktype;
	pkt->caplen = pkt->wirelen = (uint32_t)p->n;
	enum lw_malformed why = lw_decode(pkt, p->b);
	if (pkt->payload_len)
		assert_true(pkt->payload >= p->b &&
		    pkt->payload + pkt->payload_len <= p->b + p->n);
	return why;
}

/* Where each header ends, and what a cut inside it reports. */
struct region {
	size_t	 end;
	enum lw_malformed why;
	uint32_t layers_before;	/* layers still reported for such a cut */
};

/*
 * Cut p at every length short of whole: a cut at n falls in the first
 * region that ends after n; past the last region (in the payload) the
 * packet decodes clean.
 */
static void check_every_cut(const struct pb *p, int linktype,
    const struct region *regions, size_t nregions)
{
	struct lw_packet pkt;

	for (size_t n = 0; n < p->n; n++) {
		enum lw_malformed want = LW_OK;
		uint32_t layers = 0;
		for (size_t r = 0; r < nregions; r++) {
			if (n < regions[r].end) {
				want = regions[r].why;
				layers = regions[r].layers_before;
				break;
			}
		}
		enum lw_malformed got = decode_cut(p, n, linktype, &pkt);
		if (got != want)
			fail_msg("cut at %zu of %zu: got %s, want %s", n, p->n,
			    lw_malformed_name(got), lw_malformed_name(want));
		if ((pkt.layers & layers) != layers)
			fail_msg("cut at %zu: layers %#x lack %#x", n,
			    pkt.layers, layers);
	}
}

/* ---- Ethernet, VLAN, IPv4, TCP, UDP, ICMP, ARP ---- */

static void test_ethernet_ipv4_tcp(void **state)
{
	struct pb p = { .n = 0 };
	struct lw_packet pkt;
	(void)state;

	eth(&p, 0x0800);
	ipv4(&p, 6, 0, 20 + 12 + 5, 0x4000);
	tcp(&p, LW_TCP_SYN | LW_TCP_ACK, 12);
	putn(&p, "hello", 5);
	assert_int_equal(decode_all(&p, LW_LINK_ETHERNET, &pkt), LW_OK);
	assert_int_equal(pkt.layers, LW_L_ETH | LW_L_IPV4 | LW_L_TCP);
	assert_memory_equal(pkt.src_mac, mac_a, 6);
	assert_memory_equal(pkt.dst_mac, mac_b, 6);
	assert_int_equal(pkt.ethertype, 0x0800);
	assert_int_equal(pkt.src_ip.family, 4);
	assert_memory_equal(pkt.src_ip.bytes, ip_a, 4);
	assert_memory_equal(pkt.dst_ip.bytes, ip_b, 4);
	assert_int_equal(pkt.ttl, 64);
	assert_int_equal(pkt.ip_proto, 6);
	assert_int_equal(pkt.src_port, 40000);
	assert_int_equal(pkt.dst_port, 443);
	assert_int_equal(pkt.tcp_seq, 1000);
	assert_int_equal(pkt.tcp_ack, 2000);
	assert_int_equal(pkt.tcp_flags, LW_TCP_SYN | LW_TCP_ACK);
	assert_int_equal(pkt.payload_len, 5);
	assert_memory_equal(pkt.payload, "hello", 5);

	const struct region cuts[] = {
		{ 14, LW_MF_TRUNCATED_LINK, 0 },
		{ 34, LW_MF_TRUNCATED_IP, LW_L_ETH },
		{ 66, LW_MF_TRUNCATED_TCP, LW_L_ETH | LW_L_IPV4 },
	};
	check_every_cut(&p, LW_LINK_ETHERNET, cuts, 3);
}

static void test_ipv4_options_and_udp(void **state)
{
	struct pb p = { .n = 0 };
	struct lw_packet pkt;
	(void)state;

	eth(&p, 0x0800);
	ipv4(&p, 17, 8, 8 + 4, 0);
	udp(&p, 4);
	putn(&p, "dns!", 4);
	assert_int_equal(decode_all(&p, LW_LINK_ETHERNET, &pkt), LW_OK);
	assert_true(pkt.layers & LW_L_UDP);
	assert_int_equal(pkt.dst_port, 53);
	assert_int_equal(pkt.payload_len, 4);
	/* a cut inside the options is a truncated IP header */
	const struct region cuts[] = {
		{ 14, LW_MF_TRUNCATED_LINK, 0 },
		{ 42, LW_MF_TRUNCATED_IP, LW_L_ETH },
		{ 50, LW_MF_TRUNCATED_UDP, LW_L_ETH | LW_L_IPV4 },
	};
	check_every_cut(&p, LW_LINK_ETHERNET, cuts, 3);
}

static void test_ethernet_padding_is_not_payload(void **state)
{
	struct pb p = { .n = 0 };
	struct lw_packet pkt;
	(void)state;

	eth(&p, 0x0800);
	ipv4(&p, 17, 0, 8 + 2, 0);
	udp(&p, 2);
	putn(&p, "ok", 2);
	fill(&p, 60 - p.n, 0xee);	/* minimum frame size */
	assert_int_equal(decode_all(&p, LW_LINK_ETHERNET, &pkt), LW_OK);
	assert_int_equal(pkt.payload_len, 2);
}

static void test_ipv4_fragments(void **state)
{
	struct pb first = { .n = 0 }, later = { .n = 0 };
	struct lw_packet pkt;
	(void)state;

	/* first fragment: more-fragments set, offset 0: L4 is there */
	eth(&first, 0x0800);
	ipv4(&first, 17, 0, 8 + 16, 0x2000);
	put16(&first, 1000);
	put16(&first, 53);
	put16(&first, 8 + 1000);	/* covers later fragments too */
	put16(&first, 0);
	fill(&first, 16, 0);
	assert_int_equal(decode_all(&first, LW_LINK_ETHERNET, &pkt), LW_OK);
	assert_true(pkt.layers & LW_L_FRAG);
	assert_true(pkt.layers & LW_L_UDP);
	assert_int_equal(pkt.frag_offset, 0);
	assert_int_equal(pkt.payload_len, 16);

	/* a later fragment: no L4 header to read */
	eth(&later, 0x0800);
	ipv4(&later, 17, 0, 24, 3);	/* offset 3 * 8 = 24 */
	fill(&later, 24, 0xab);
	assert_int_equal(decode_all(&later, LW_LINK_ETHERNET, &pkt), LW_OK);
	assert_true(pkt.layers & LW_L_FRAG);
	assert_false(pkt.layers & (LW_L_UDP | LW_L_TCP));
	assert_int_equal(pkt.frag_offset, 24);
}

static void test_icmp_echo(void **state)
{
	struct pb p = { .n = 0 };
	struct lw_packet pkt;
	(void)state;

	eth(&p, 0x0800);
	ipv4(&p, 1, 0, 8, 0);
	put8(&p, 8);
	put8(&p, 0);
	put16(&p, 0);
	put32(&p, 0x00010001);
	assert_int_equal(decode_all(&p, LW_LINK_ETHERNET, &pkt), LW_OK);
	assert_true(pkt.layers & LW_L_ICMP);
	assert_int_equal(pkt.icmp_type, 8);
	assert_int_equal(pkt.icmp_code, 0);
	const struct region cuts[] = {
		{ 14, LW_MF_TRUNCATED_LINK, 0 },
		{ 34, LW_MF_TRUNCATED_IP, LW_L_ETH },
		{ 38, LW_MF_TRUNCATED_ICMP, LW_L_ETH | LW_L_IPV4 },
	};
	check_every_cut(&p, LW_LINK_ETHERNET, cuts, 3);
}

static void test_arp(void **state)
{
	struct pb p = { .n = 0 };
	struct lw_packet pkt;
	(void)state;

	eth(&p, 0x0806);
	arp(&p, 2);
	assert_int_equal(decode_all(&p, LW_LINK_ETHERNET, &pkt), LW_OK);
	assert_true(pkt.layers & LW_L_ARP);
	assert_int_equal(pkt.arp_op, 2);
	assert_memory_equal(pkt.arp_sha, mac_a, 6);
	assert_memory_equal(pkt.arp_spa.bytes, ip_a, 4);
	assert_memory_equal(pkt.arp_tpa.bytes, ip_b, 4);
	const struct region cuts[] = {
		{ 14, LW_MF_TRUNCATED_LINK, 0 },
		{ 42, LW_MF_TRUNCATED_ARP, LW_L_ETH },
	};
	check_every_cut(&p, LW_LINK_ETHERNET, cuts, 2);

	/* hardware size 0xff: not an Ethernet/IPv4 ARP we can trust */
	p.b[14 + 4] = 0xff;
	assert_int_equal(decode_all(&p, LW_LINK_ETHERNET, &pkt),
	    LW_MF_BAD_ARP);
	assert_null(pkt.arp_sha);
}

static void test_vlan_single_and_stacked(void **state)
{
	struct pb p = { .n = 0 };
	struct lw_packet pkt;
	(void)state;

	putn(&p, mac_b, 6);
	putn(&p, mac_a, 6);
	put16(&p, 0x88a8);	/* 802.1ad outer */
	put16(&p, 0x2000 | 100);
	put16(&p, 0x8100);	/* 802.1Q inner */
	put16(&p, 20);
	put16(&p, 0x0800);
	ipv4(&p, 17, 0, 8, 0);
	udp(&p, 0);
	assert_int_equal(decode_all(&p, LW_LINK_ETHERNET, &pkt), LW_OK);
	assert_true(pkt.layers & LW_L_VLAN);
	assert_int_equal(pkt.vlan, 100);	/* the outer id */
	assert_int_equal(pkt.vlan_tags, 2);
	assert_int_equal(pkt.ethertype, 0x0800);
	assert_true(pkt.layers & LW_L_UDP);
	const struct region cuts[] = {
		{ 14, LW_MF_TRUNCATED_LINK, 0 },
		{ 18, LW_MF_TRUNCATED_VLAN, LW_L_ETH },
		{ 22, LW_MF_TRUNCATED_VLAN, LW_L_ETH | LW_L_VLAN },
		{ 42, LW_MF_TRUNCATED_IP, LW_L_ETH | LW_L_VLAN },
		{ 50, LW_MF_TRUNCATED_UDP, LW_L_ETH | LW_L_VLAN | LW_L_IPV4 },
	};
	check_every_cut(&p, LW_LINK_ETHERNET, cuts, 5);
}

static void test_vlan_too_deep(void **state)
{
	struct pb p = { .n = 0 };
	struct lw_packet pkt;
	(void)state;

	putn(&p, mac_b, 6);
	putn(&p, mac_a, 6);
	for (int i = 0; i <= LW_MAX_VLAN_TAGS; i++) {
		put16(&p, 0x8100);
		put16(&p, (unsigned)i + 1);
	}
	put16(&p, 0x0800);
	ipv4(&p, 17, 0, 8, 0);
	udp(&p, 0);
	assert_int_equal(decode_all(&p, LW_LINK_ETHERNET, &pkt),
	    LW_MF_VLAN_TOO_DEEP);
	assert_int_equal(pkt.vlan, 1);
	assert_false(pkt.layers & LW_L_IPV4);
}

/* ---- IPv6 and its extension headers ---- */

static void test_ipv6_udp(void **state)
{
	struct pb p = { .n = 0 };
	struct lw_packet pkt;
	(void)state;

	eth(&p, 0x86dd);
	ipv6(&p, 17, 8 + 3);
	udp(&p, 3);
	putn(&p, "abc", 3);
	assert_int_equal(decode_all(&p, LW_LINK_ETHERNET, &pkt), LW_OK);
	assert_int_equal(pkt.layers, LW_L_ETH | LW_L_IPV6 | LW_L_UDP);
	assert_int_equal(pkt.src_ip.family, 6);
	assert_memory_equal(pkt.dst_ip.bytes, ip6_b, 16);
	assert_int_equal(pkt.ttl, 255);
	assert_int_equal(pkt.payload_len, 3);
	const struct region cuts[] = {
		{ 14, LW_MF_TRUNCATED_LINK, 0 },
		{ 54, LW_MF_TRUNCATED_IPV6, LW_L_ETH },
		{ 62, LW_MF_TRUNCATED_UDP, LW_L_ETH | LW_L_IPV6 },
	};
	check_every_cut(&p, LW_LINK_ETHERNET, cuts, 3);
}

static void test_ipv6_extension_chain(void **state)
{
	struct pb p = { .n = 0 };
	struct lw_packet pkt;
	(void)state;

	eth(&p, 0x86dd);
	ipv6(&p, 0, 8 + 16 + 8 + 20);
	put8(&p, 60);	/* hop-by-hop, 8 bytes, next: destination opts */
	put8(&p, 0);
	fill(&p, 6, 0);
	put8(&p, 43);	/* destination options, 16 bytes, next: routing */
	put8(&p, 1);
	fill(&p, 14, 0);
	put8(&p, 6);	/* routing, 8 bytes, next: TCP */
	put8(&p, 0);
	fill(&p, 6, 0);
	tcp(&p, LW_TCP_SYN, 0);
	assert_int_equal(decode_all(&p, LW_LINK_ETHERNET, &pkt), LW_OK);
	assert_int_equal(pkt.ip_proto, 6);
	assert_true(pkt.layers & LW_L_TCP);
	assert_int_equal(pkt.tcp_flags, LW_TCP_SYN);
	const uint32_t l2 = LW_L_ETH, l3 = LW_L_ETH | LW_L_IPV6;
	const struct region cuts[] = {
		{ 14, LW_MF_TRUNCATED_LINK, 0 },
		{ 54, LW_MF_TRUNCATED_IPV6, l2 },
		{ 62, LW_MF_TRUNCATED_IPV6_EXT, l3 },
		{ 78, LW_MF_TRUNCATED_IPV6_EXT, l3 },
		{ 86, LW_MF_TRUNCATED_IPV6_EXT, l3 },
		{ 106, LW_MF_TRUNCATED_TCP, l3 },
	};
	check_every_cut(&p, LW_LINK_ETHERNET, cuts, 6);
}

static void test_ipv6_fragment_header(void **state)
{
	struct pb first = { .n = 0 }, later = { .n = 0 };
	struct lw_packet pkt;
	(void)state;

	eth(&first, 0x86dd);
	ipv6(&first, 44, 8 + 8);
	put8(&first, 17);
	put8(&first, 0);
	put16(&first, 0 | 1);	/* offset 0, more fragments */
	put32(&first, 7);
	udp(&first, 100);	/* the datagram continues later */
	assert_int_equal(decode_all(&first, LW_LINK_ETHERNET, &pkt), LW_OK);
	assert_true(pkt.layers & LW_L_FRAG);
	assert_true(pkt.layers & LW_L_UDP);

	eth(&later, 0x86dd);
	ipv6(&later, 44, 8 + 16);
	put8(&later, 17);
	put8(&later, 0);
	put16(&later, 16);	/* offset 16, last */
	put32(&later, 7);
	fill(&later, 16, 0);
	assert_int_equal(decode_all(&later, LW_LINK_ETHERNET, &pkt), LW_OK);
	assert_int_equal(pkt.frag_offset, 16);
	assert_false(pkt.layers & LW_L_UDP);
}

static void test_ipv6_too_many_extensions(void **state)
{
	struct pb p = { .n = 0 };
	struct lw_packet pkt;
	(void)state;

	eth(&p, 0x86dd);
	ipv6(&p, 60, (LW_MAX_IPV6_EXT + 1) * 8);
	for (int i = 0; i <= LW_MAX_IPV6_EXT; i++) {
		put8(&p, 60);	/* destination options, again and again */
		put8(&p, 0);
		fill(&p, 6, 0);
	}
	assert_int_equal(decode_all(&p, LW_LINK_ETHERNET, &pkt),
	    LW_MF_IPV6_EXT_TOO_MANY);
	assert_true(pkt.layers & LW_L_IPV6);
}

static void test_icmpv6_neighbour_solicitation(void **state)
{
	struct pb p = { .n = 0 };
	struct lw_packet pkt;
	(void)state;

	eth(&p, 0x86dd);
	ipv6(&p, 58, 4 + 20 + 8);
	put8(&p, LW_ICMP6_NS);
	put8(&p, 0);
	put16(&p, 0);
	put32(&p, 0);
	putn(&p, ip6_b, 16);
	put8(&p, 1);	/* source link-layer address option */
	put8(&p, 1);
	putn(&p, mac_a, 6);
	assert_int_equal(decode_all(&p, LW_LINK_ETHERNET, &pkt), LW_OK);
	assert_true(pkt.layers & LW_L_ICMPV6);
	assert_int_equal(pkt.icmp_type, LW_ICMP6_NS);
	assert_int_equal(pkt.payload_len, 28);
	const struct region cuts[] = {
		{ 14, LW_MF_TRUNCATED_LINK, 0 },
		{ 54, LW_MF_TRUNCATED_IPV6, LW_L_ETH },
		{ 58, LW_MF_TRUNCATED_ICMPV6, LW_L_ETH | LW_L_IPV6 },
	};
	check_every_cut(&p, LW_LINK_ETHERNET, cuts, 3);
}

/* ---- inconsistent length fields ---- */

static void test_bad_ipv4_lengths(void **state)
{
	struct pb p = { .n = 0 };
	struct lw_packet pkt;
	(void)state;

	eth(&p, 0x0800);
	ipv4(&p, 6, 0, 20, 0);
	tcp(&p, LW_TCP_ACK, 0);

	p.b[14] = 0x44;		/* IHL 4: less than a header */
	assert_int_equal(decode_all(&p, LW_LINK_ETHERNET, &pkt),
	    LW_MF_BAD_IHL);
	assert_false(pkt.layers & LW_L_IPV4);
	p.b[14] = 0x45;

	p.b[16] = 0;		/* total length 16 < IHL 20 */
	p.b[17] = 16;
	assert_int_equal(decode_all(&p, LW_LINK_ETHERNET, &pkt),
	    LW_MF_BAD_IP_LEN);

	p.b[17] = 100;		/* more than the frame carried */
	assert_int_equal(decode_all(&p, LW_LINK_ETHERNET, &pkt),
	    LW_MF_TRUNCATED_IP);
	assert_true(pkt.layers & LW_L_TCP);	/* decoded as far as it goes */
	p.b[17] = 40;

	p.b[14] = 0x65;		/* version 6 in an IPv4 ethertype */
	assert_int_equal(decode_all(&p, LW_LINK_ETHERNET, &pkt),
	    LW_MF_BAD_IP_VERSION);
}

static void test_bad_tcp_offset(void **state)
{
	struct pb p = { .n = 0 };
	struct lw_packet pkt;
	(void)state;

	eth(&p, 0x0800);
	ipv4(&p, 6, 0, 20, 0);
	tcp(&p, LW_TCP_ACK, 0);
	p.b[34 + 12] = 4 << 4;		/* offset 16 < 20 */
	assert_int_equal(decode_all(&p, LW_LINK_ETHERNET, &pkt),
	    LW_MF_BAD_TCP_OFFSET);
	p.b[34 + 12] = 15 << 4;		/* 60 bytes: past the segment */
	assert_int_equal(decode_all(&p, LW_LINK_ETHERNET, &pkt),
	    LW_MF_BAD_TCP_OFFSET);
	assert_int_equal(pkt.payload_len, 0);
}

static void test_bad_udp_length(void **state)
{
	struct pb p = { .n = 0 };
	struct lw_packet pkt;
	(void)state;

	eth(&p, 0x0800);
	ipv4(&p, 17, 0, 8 + 4, 0);
	udp(&p, 4);
	fill(&p, 4, 0);
	p.b[34 + 5] = 7;		/* shorter than its header */
	assert_int_equal(decode_all(&p, LW_LINK_ETHERNET, &pkt),
	    LW_MF_BAD_UDP_LEN);
	p.b[34 + 5] = 200;		/* longer than the IP datagram */
	assert_int_equal(decode_all(&p, LW_LINK_ETHERNET, &pkt),
	    LW_MF_BAD_UDP_LEN);
}

/* ---- other link types ---- */

static void ipv4_udp(struct pb *p)
{
	ipv4(p, 17, 0, 8 + 2, 0);
	udp(p, 2);
	putn(p, "hi", 2);
}

static void test_linux_sll(void **state)
{
	struct pb p = { .n = 0 };
	struct lw_packet pkt;
	(void)state;

	put16(&p, 0);		/* packet type: to us */
	put16(&p, 1);		/* ARPHRD_ETHER */
	put16(&p, 6);
	putn(&p, mac_a, 6);
	put16(&p, 0);
	put16(&p, 0x0800);
	ipv4_udp(&p);
	assert_int_equal(decode_all(&p, LW_LINK_LINUX_SLL, &pkt), LW_OK);
	assert_true(pkt.layers & LW_L_SLL);
	assert_memory_equal(pkt.src_mac, mac_a, 6);
	assert_true(pkt.layers & LW_L_UDP);
	const struct region cuts[] = {
		{ 16, LW_MF_TRUNCATED_LINK, 0 },
		{ 36, LW_MF_TRUNCATED_IP, LW_L_SLL },
		{ 44, LW_MF_TRUNCATED_UDP, LW_L_SLL | LW_L_IPV4 },
	};
	check_every_cut(&p, LW_LINK_LINUX_SLL, cuts, 3);
}

static void test_linux_sll2(void **state)
{
	struct pb p = { .n = 0 };
	struct lw_packet pkt;
	(void)state;

	put16(&p, 0x0806);	/* protocol */
	put16(&p, 0);
	put32(&p, 3);		/* interface index */
	put16(&p, 1);		/* ARPHRD_ETHER */
	put8(&p, 4);		/* sent by us */
	put8(&p, 6);
	putn(&p, mac_a, 6);
	put16(&p, 0);
	arp(&p, 1);
	assert_int_equal(decode_all(&p, LW_LINK_LINUX_SLL2, &pkt), LW_OK);
	assert_true(pkt.layers & LW_L_ARP);
	assert_memory_equal(pkt.src_mac, mac_a, 6);
	const struct region cuts[] = {
		{ 20, LW_MF_TRUNCATED_LINK, 0 },
		{ 48, LW_MF_TRUNCATED_ARP, LW_L_SLL },
	};
	check_every_cut(&p, LW_LINK_LINUX_SLL2, cuts, 2);
}

static void test_raw_ip_link_types(void **state)
{
	struct pb v4 = { .n = 0 }, v6 = { .n = 0 };
	struct lw_packet pkt;
	(void)state;

	ipv4_udp(&v4);
	ipv6(&v6, 17, 8);
	udp(&v6, 0);
	const int v4_types[] = { LW_LINK_RAW, LW_LINK_IPV4, LW_LINK_RAW_ALT,
	    LW_LINK_RAW_ALT2 };
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(decode_all(&v4, v4_types[i], &pkt), LW_OK);
		assert_true(pkt.layers & LW_L_IPV4);
		assert_null(pkt.src_mac);
	}
	assert_int_equal(decode_all(&v6, LW_LINK_RAW, &pkt), LW_OK);
	assert_true(pkt.layers & LW_L_IPV6);
	assert_int_equal(decode_all(&v6, LW_LINK_IPV6, &pkt), LW_OK);
	/* the link type promises IPv4; an IPv6 packet breaks it */
	assert_int_equal(decode_all(&v6, LW_LINK_IPV4, &pkt),
	    LW_MF_BAD_IP_VERSION);
	const struct region cuts[] = {
		{ 1, LW_MF_TRUNCATED_IP, 0 },
		{ 20, LW_MF_TRUNCATED_IP, 0 },
		{ 28, LW_MF_TRUNCATED_UDP, LW_L_IPV4 },
	};
	check_every_cut(&v4, LW_LINK_RAW, cuts, 3);
}

static void test_bsd_loopback(void **state)
{
	struct pb le = { .n = 0 }, be = { .n = 0 }, v6 = { .n = 0 };
	struct lw_packet pkt;
	(void)state;

	putn(&le, "\x02\x00\x00\x00", 4);	/* AF_INET, little-endian */
	ipv4_udp(&le);
	assert_int_equal(decode_all(&le, LW_LINK_NULL, &pkt), LW_OK);
	assert_true(pkt.layers & LW_L_UDP);
	putn(&be, "\x00\x00\x00\x02", 4);	/* AF_INET, network order */
	ipv4_udp(&be);
	assert_int_equal(decode_all(&be, LW_LINK_LOOP, &pkt), LW_OK);
	assert_true(pkt.layers & LW_L_IPV4);
	putn(&v6, "\x1e\x00\x00\x00", 4);	/* AF_INET6 as macOS has it */
	ipv6(&v6, 59, 0);
	assert_int_equal(decode_all(&v6, LW_LINK_NULL, &pkt), LW_OK);
	assert_true(pkt.layers & LW_L_IPV6);
	const struct region cuts[] = {
		{ 4, LW_MF_TRUNCATED_LINK, 0 },
		{ 24, LW_MF_TRUNCATED_IP, 0 },
		{ 32, LW_MF_TRUNCATED_UDP, LW_L_IPV4 },
	};
	check_every_cut(&le, LW_LINK_NULL, cuts, 3);
}

static void test_ppp(void **state)
{
	struct pb hdlc = { .n = 0 }, bare = { .n = 0 }, pfc = { .n = 0 };
	struct lw_packet pkt;
	(void)state;

	putn(&hdlc, "\xff\x03\x00\x21", 4);
	ipv4_udp(&hdlc);
	assert_int_equal(decode_all(&hdlc, LW_LINK_PPP, &pkt), LW_OK);
	assert_true(pkt.layers & LW_L_PPP);
	assert_true(pkt.layers & LW_L_UDP);
	putn(&bare, "\x00\x57", 2);		/* IPv6, no address/control */
	ipv6(&bare, 59, 0);
	assert_int_equal(decode_all(&bare, LW_LINK_PPP, &pkt), LW_OK);
	assert_true(pkt.layers & LW_L_IPV6);
	putn(&pfc, "\x21", 1);			/* compressed protocol */
	ipv4_udp(&pfc);
	assert_int_equal(decode_all(&pfc, LW_LINK_PPP_HDLC, &pkt), LW_OK);
	assert_true(pkt.layers & LW_L_IPV4);
	const struct region cuts[] = {
		{ 4, LW_MF_TRUNCATED_LINK, 0 },
		{ 24, LW_MF_TRUNCATED_IP, LW_L_PPP },
		{ 32, LW_MF_TRUNCATED_UDP, LW_L_PPP | LW_L_IPV4 },
	};
	check_every_cut(&hdlc, LW_LINK_PPP, cuts, 3);
}

static void tlv_le(struct pb *p, unsigned len, unsigned type)
{
	put8(p, len & 0xff);
	put8(p, len >> 8);
	put8(p, type & 0xff);
	put8(p, type >> 8);
}

static void test_nflog(void **state)
{
	struct pb p = { .n = 0 };
	struct lw_packet pkt;
	(void)state;

	putn(&p, "\x02\x00\x00\x07", 4);	/* AF_INET, group 7 */
	tlv_le(&p, 4 + 6, 10);			/* a prefix, padded to 12 */
	putn(&p, "drop\0\0\0\0", 8);
	tlv_le(&p, 4 + 30, 9);			/* NFULA_PAYLOAD */
	ipv4_udp(&p);
	assert_int_equal(decode_all(&p, LW_LINK_NFLOG, &pkt), LW_OK);
	assert_true(pkt.layers & LW_L_UDP);
	assert_int_equal(pkt.payload_len, 2);

	p.b[4] = 2;		/* a TLV shorter than its own header */
	p.b[5] = 0;
	assert_int_equal(decode_all(&p, LW_LINK_NFLOG, &pkt), LW_MF_BAD_LINK);
}

static void test_pktap(void **state)
{
	struct pb p = { .n = 0 };
	struct lw_packet pkt;
	(void)state;

	putn(&p, "\x0c\x00\x00\x00\x01\x00\x00\x00", 8);	/* len 12, EN10MB */
	fill(&p, 4, 0);
	eth(&p, 0x0800);
	ipv4_udp(&p);
	assert_int_equal(decode_all(&p, LW_LINK_PKTAP, &pkt), LW_OK);
	assert_true(pkt.layers & LW_L_ETH);
	assert_true(pkt.layers & LW_L_UDP);
	p.b[0] = 4;		/* shorter than the fields it must hold */
	assert_int_equal(decode_all(&p, LW_LINK_PKTAP, &pkt), LW_MF_BAD_LINK);
}

static void test_link_type_names(void **state)
{
	(void)state;
	const int supported[] = { LW_LINK_NULL, LW_LINK_ETHERNET, LW_LINK_PPP,
	    LW_LINK_PPP_HDLC, LW_LINK_RAW, LW_LINK_LOOP, LW_LINK_LINUX_SLL,
	    LW_LINK_IPV4, LW_LINK_IPV6, LW_LINK_NFLOG, LW_LINK_LINUX_SLL2,
	    LW_LINK_PKTAP, LW_LINK_RAW_ALT, LW_LINK_RAW_ALT2 };
	for (size_t i = 0; i < sizeof supported / sizeof *supported; i++) {
		assert_true(lw_link_supported(supported[i]));
		assert_string_not_equal(lw_link_name(supported[i]), "unknown");
	}
	assert_false(lw_link_supported(127));	/* radiotap */
	assert_false(lw_link_supported(160));
	assert_string_equal(lw_link_name(127), "unknown");

	struct lw_packet pkt;
	struct pb p = { .n = 0 };
	fill(&p, 20, 0);
	assert_int_equal(decode_all(&p, 127, &pkt), LW_MF_BAD_LINK);
}

static void test_names_and_formatting(void **state)
{
	char buf[64];
	(void)state;

	for (int i = 0; i < LW_MF_COUNT; i++) {
		const char *name = lw_malformed_name((enum lw_malformed)i);
		assert_true(strlen(name) > 1);
		for (const char *c = name; *c; c++)
			assert_true((*c >= 'a' && *c <= 'z') || *c == '_' ||
			    (*c >= '0' && *c <= '9'));
		for (int j = 0; j < i; j++)
			assert_string_not_equal(name,
			    lw_malformed_name((enum lw_malformed)j));
	}
	assert_string_equal(lw_malformed_name(LW_MF_COUNT), "unknown");

	const uint8_t upper[6] = { 0xAA, 0xBB, 0x0C, 0xD0, 0x01, 0xFF };
	assert_string_equal(lw_mac_str(upper, buf, sizeof buf),
	    "aa:bb:0c:d0:01:ff");
	struct lw_addr a = { .family = 4 };
	memcpy(a.bytes, ip_a, 4);
	assert_string_equal(lw_addr_str(&a, buf, sizeof buf), "192.168.1.10");
	a.family = 6;
	memcpy(a.bytes, ip6_b, 16);
	assert_string_equal(lw_addr_str(&a, buf, sizeof buf), "2001:db8::2");
	a.family = 0;
	assert_string_equal(lw_addr_str(&a, buf, sizeof buf), "-");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ethernet_ipv4_tcp),
		cmocka_unit_test(test_ipv4_options_and_udp),
		cmocka_unit_test(test_ethernet_padding_is_not_payload),
		cmocka_unit_test(test_ipv4_fragments),
		cmocka_unit_test(test_icmp_echo),
		cmocka_unit_test(test_arp),
		cmocka_unit_test(test_vlan_single_and_stacked),
		cmocka_unit_test(test_vlan_too_deep),
		cmocka_unit_test(test_ipv6_udp),
		cmocka_unit_test(test_ipv6_extension_chain),
		cmocka_unit_test(test_ipv6_fragment_header),
		cmocka_unit_test(test_ipv6_too_many_extensions),
		cmocka_unit_test(test_icmpv6_neighbour_solicitation),
		cmocka_unit_test(test_bad_ipv4_lengths),
		cmocka_unit_test(test_bad_tcp_offset),
		cmocka_unit_test(test_bad_udp_length),
		cmocka_unit_test(test_linux_sll),
		cmocka_unit_test(test_linux_sll2),
		cmocka_unit_test(test_raw_ip_link_types),
		cmocka_unit_test(test_bsd_loopback),
		cmocka_unit_test(test_ppp),
		cmocka_unit_test(test_nflog),
		cmocka_unit_test(test_pktap),
		cmocka_unit_test(test_link_type_names),
		cmocka_unit_test(test_names_and_formatting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
