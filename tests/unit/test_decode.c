/*
 * test_decode.c - t100: the L2-L4 decoder (lw_decode) on hand-built packets.
 *
 * What is covered:
 *
 *  1. Happy paths.  Every supported link type (Ethernet with 802.1Q,
 *     802.1ad and stacked tags, LLC/SNAP, PPPoE, Linux SLL and SLL2, raw
 *     IP as 101/12/14, LINKTYPE_IPV4/IPV6, BSD NULL and LOOP in both byte
 *     orders, PPP with and without address/control and with a compressed
 *     protocol, NFLOG, PKTAP) and every header (IPv4 with options and
 *     fragments, IPv6 with hop-by-hop/destination/routing/fragment
 *     headers, ARP, TCP with options, UDP, ICMP, ICMPv6) is decoded from a
 *     packet assembled byte by byte below, and the parsed fields and the
 *     exact layer bits are checked.
 *
 *  2. Every truncation point.  Each well-formed packet is cut at every
 *     length from 0 to one byte short of whole (caplen = cut, wirelen =
 *     whole, as a snap length does) and decoded from a heap block of
 *     exactly the cut size, so AddressSanitizer reports any over-read.  A
 *     table per packet says, for each header, which reason a cut inside it
 *     reports and exactly which layers are still decoded; a cut inside the
 *     payload decodes clean with the payload ending at the cut.  The same
 *     packets cut with wirelen = caplen (the frame really was that short)
 *     must all be reported malformed.
 *
 *  3. Inconsistent length fields: IHL, IPv4 total length, IP version,
 *     IPv6 payload length against extension headers, the extension-header
 *     limit, TCP data offset, UDP length, ARP sizes, Ethernet padding
 *     beyond the IP datagram, VLAN depth.
 *
 *  4. lw_malformed_name(), lw_link_supported()/lw_link_name(),
 *     lw_addr_str() and lw_mac_str().
 *
 * Where the decoder's behaviour differs from a first guess, the test
 * asserts what the code does and says so in a comment (e.g. a cut inside
 * the IPv4 options is truncated_ip, not bad_ihl).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labwarden/decode.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Layer sets that recur in the tables. */
#define L_ETH4	(LW_L_ETH | LW_L_IPV4)
#define L_ETH6	(LW_L_ETH | LW_L_IPV6)

/* ------------------------------------------------------------------ */
/* Addresses                                                            */
/* ------------------------------------------------------------------ */

static const uint8_t mac_a[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t mac_b[6] = { 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb };
static const uint8_t mac_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac_zero[6] = { 0 };
static const uint8_t mac_ns[6] = { 0x33, 0x33, 0xff, 0x00, 0x00, 0x02 };

static const uint8_t ip4_a[4] = { 192, 168, 1, 10 };
static const uint8_t ip4_b[4] = { 198, 51, 100, 7 };

/* fe80::211:22ff:fe33:4455 */
static const uint8_t ip6_a[16] = { 0xfe, 0x80, [8] = 0x02, 0x11, 0x22, 0xff,
    0xfe, 0x33, 0x44, 0x55 };
/* 2001:db8::2 */
static const uint8_t ip6_b[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
/* ff02::1:ff00:2, the solicited-node group of 2001:db8::2 */
static const uint8_t ip6_sn[16] = { 0xff, 0x02, [11] = 0x01, 0xff, 0x00,
    0x00, 0x02 };

/* ------------------------------------------------------------------ */
/* A tiny packet builder                                                */
/* ------------------------------------------------------------------ */

#define NO_HDR SIZE_MAX

/*
 * Bytes are appended in wire order.  The offsets of the last IPv4, IPv6
 * and UDP headers are remembered so pb_finish() can fill in their length
 * fields (and the IPv4 checksum) once the packet is complete.
 */
struct pb {
	uint8_t	 b[512];
	size_t	 n;
	size_t	 ip4, ip6, udp;
};

static void pb_init(struct pb *p)
{
	memset(p, 0, sizeof *p);
	p->ip4 = p->ip6 = p->udp = NO_HDR;
}

static void put8(struct pb *p, unsigned v)
{
	assert_true(p->n < sizeof p->b);
	p->b[p->n++] = (uint8_t)v;
}

static void put16(struct pb *p, unsigned v)
{
	put8(p, (v >> 8) & 0xff);
	put8(p, v & 0xff);
}

static void put32(struct pb *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p, v & 0xffff);
}

static void putn(struct pb *p, const void *data, size_t len)
{
	assert_true(len <= sizeof p->b - p->n);
	if (len)
		memcpy(p->b + p->n, data, len);
	p->n += len;
}

static void put_fill(struct pb *p, size_t len, uint8_t byte)
{
	assert_true(len <= sizeof p->b - p->n);
	memset(p->b + p->n, byte, len);
	p->n += len;
}

/* Overwrite a big-endian 16-bit field already in the packet. */
static void set16(struct pb *p, size_t off, unsigned v)
{
	assert_true(off + 2 <= p->n);
	p->b[off] = (uint8_t)(v >> 8);
	p->b[off + 1] = (uint8_t)v;
}

static void pb_finish(struct pb *p)
{
	if (p->ip4 != NO_HDR) {
		size_t ihl = (size_t)(p->b[p->ip4] & 0x0f) * 4;
		uint32_t sum = 0;

		set16(p, p->ip4 + 2, (unsigned)(p->n - p->ip4));
		set16(p, p->ip4 + 10, 0);
		for (size_t i = 0; i < ihl; i += 2)
			sum += (uint32_t)(p->b[p->ip4 + i] << 8 |
			    p->b[p->ip4 + i + 1]);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		set16(p, p->ip4 + 10, ~sum & 0xffff);
	}
	if (p->ip6 != NO_HDR)
		set16(p, p->ip6 + 4, (unsigned)(p->n - p->ip6 - 40));
	if (p->udp != NO_HDR)
		set16(p, p->udp + 4, (unsigned)(p->n - p->udp));
}

/* ---- link headers ---- */

static void hdr_eth(struct pb *p, const uint8_t *dst, const uint8_t *src,
    unsigned ethertype)
{
	putn(p, dst, 6);
	putn(p, src, 6);
	put16(p, ethertype);
}

/* One VLAN tag: TCI (PCP, DEI, VID), then the next ethertype. */
static void hdr_vlan(struct pb *p, unsigned tci, unsigned next)
{
	put16(p, tci);
	put16(p, next);
}

static void hdr_sll(struct pb *p, unsigned pkttype, unsigned hatype,
    unsigned halen, const uint8_t *addr, unsigned proto)
{
	put16(p, pkttype);
	put16(p, hatype);
	put16(p, halen);
	putn(p, addr, 6);
	put16(p, 0);		/* address field is 8 bytes */
	put16(p, proto);
}

static void hdr_sll2(struct pb *p, unsigned proto, uint32_t ifindex,
    unsigned hatype, unsigned pkttype, unsigned halen, const uint8_t *addr)
{
	put16(p, proto);
	put16(p, 0);		/* reserved */
	put32(p, ifindex);
	put16(p, hatype);
	put8(p, pkttype);
	put8(p, halen);
	putn(p, addr, 6);
	put16(p, 0);
}

/* ---- network headers ---- */

/* IPv4 from ip4_a to ip4_b; total length and checksum by pb_finish(). */
static void hdr_ipv4(struct pb *p, unsigned proto, unsigned ttl,
    unsigned frag, const uint8_t *opts, size_t optlen)
{
	assert_true(optlen % 4 == 0 && optlen <= 40);
	p->ip4 = p->n;
	put8(p, 0x40 | (unsigned)(5 + optlen / 4));
	put8(p, 0);		/* DSCP, ECN */
	put16(p, 0);		/* total length */
	put16(p, 0x1c46);	/* identification */
	put16(p, frag);		/* flags, fragment offset / 8 */
	put8(p, ttl);
	put8(p, proto);
	put16(p, 0);		/* checksum */
	putn(p, ip4_a, 4);
	putn(p, ip4_b, 4);
	putn(p, opts, optlen);
}

/* IPv6 with a flow label (only the version nibble may matter). */
static void hdr_ipv6(struct pb *p, unsigned next, unsigned hlim,
    const uint8_t *src, const uint8_t *dst)
{
	p->ip6 = p->n;
	put32(p, 0x60012345);
	put16(p, 0);		/* payload length */
	put8(p, next);
	put8(p, hlim);
	putn(p, src, 16);
	putn(p, dst, 16);
}

/* Hop-by-hop, destination options or routing: (len8 + 1) * 8 bytes. */
static void hdr_ext6(struct pb *p, unsigned next, unsigned len8)
{
	put8(p, next);
	put8(p, len8);
	put_fill(p, (len8 + 1) * 8 - 2, 0);	/* Pad1 options */
}

static void hdr_frag6(struct pb *p, unsigned next, unsigned offset,
    bool more, uint32_t id)
{
	put8(p, next);
	put8(p, 0);
	put16(p, (offset & 0xfff8) | (more ? 1 : 0));
	put32(p, id);
}

/* ---- transport headers ---- */

static void hdr_tcp(struct pb *p, unsigned sport, unsigned dport,
    uint32_t seq, uint32_t ack, unsigned flags, const uint8_t *opts,
    size_t optlen)
{
	assert_true(optlen % 4 == 0 && optlen <= 40);
	put16(p, sport);
	put16(p, dport);
	put32(p, seq);
	put32(p, ack);
	put8(p, (unsigned)((20 + optlen) / 4) << 4);
	put8(p, flags);
	put16(p, 64240);	/* window */
	put16(p, 0);		/* checksum */
	put16(p, 0);		/* urgent pointer */
	putn(p, opts, optlen);
}

/* UDP; the length field is set by pb_finish(). */
static void hdr_udp(struct pb *p, unsigned sport, unsigned dport)
{
	p->udp = p->n;
	put16(p, sport);
	put16(p, dport);
	put16(p, 0);
	put16(p, 0);
}

/* ICMP or ICMPv6: type, code, checksum, then 4 type-specific bytes. */
static void hdr_icmp(struct pb *p, unsigned type, unsigned code,
    uint32_t rest)
{
	put8(p, type);
	put8(p, code);
	put16(p, 0);
	put32(p, rest);
}

static void hdr_arp(struct pb *p, unsigned op, const uint8_t *sha,
    const uint8_t *spa, const uint8_t *tha, const uint8_t *tpa)
{
	put16(p, 1);		/* Ethernet */
	put16(p, 0x0800);	/* IPv4 */
	put8(p, 6);
	put8(p, 4);
	put16(p, op);
	putn(p, sha, 6);
	putn(p, spa, 4);
	putn(p, tha, 6);
	putn(p, tpa, 4);
}

/* ------------------------------------------------------------------ */
/* The packets                                                          */
/* ------------------------------------------------------------------ */

/* NOP, NOP, timestamps: the usual options of an established flow. */
static const uint8_t tcp_ts_opts[12] = { 1, 1, 8, 10, 0x01, 0x02, 0x03,
    0x04, 0x05, 0x06, 0x07, 0x08 };

/* Router alert, NOP, NOP, NOP, end of list: IHL 7. */
static const uint8_t ip_ra_opts[8] = { 0x94, 0x04, 0x00, 0x00, 1, 1, 1, 0 };

/*
 * 0 eth | 14 IPv4 | 34 TCP | 54 TCP options | 66 payload "0123456789" | 76
 */
static void build_eth_ipv4_tcp(struct pb *p)
{
	pb_init(p);
	hdr_eth(p, mac_b, mac_a, 0x0800);
	hdr_ipv4(p, 6, 64, 0x4000 /* DF */, NULL, 0);
	hdr_tcp(p, 40000, 443, 0x01020304, 0xa0b0c0d0,
	    LW_TCP_PSH | LW_TCP_ACK, tcp_ts_opts, sizeof tcp_ts_opts);
	putn(p, "0123456789", 10);
	pb_finish(p);
}

/* 0 eth | 14 IPv4 | 34 UDP | 42 payload (12) | 54 */
static void build_eth_ipv4_udp(struct pb *p)
{
	pb_init(p);
	hdr_eth(p, mac_b, mac_a, 0x0800);
	hdr_ipv4(p, 17, 128, 0, NULL, 0);
	hdr_udp(p, 53000, 53);
	putn(p, "abcdefghijkl", 12);
	pb_finish(p);
}

/* 0 eth | 14 IPv6 | 54 UDP | 62 payload (12) | 74 */
static void build_eth_ipv6_udp(struct pb *p)
{
	pb_init(p);
	hdr_eth(p, mac_b, mac_a, 0x86dd);
	hdr_ipv6(p, 17, 64, ip6_a, ip6_b);
	hdr_udp(p, 546, 547);
	putn(p, "abcdefghijkl", 12);
	pb_finish(p);
}

/*
 * 0 eth | 14 IPv6 | 54 hop-by-hop (8) | 62 destination options (16) |
 * 78 routing (24) | 102 TCP | 122 payload (8) | 130
 */
static void build_eth_ipv6_ext_tcp(struct pb *p)
{
	pb_init(p);
	hdr_eth(p, mac_b, mac_a, 0x86dd);
	hdr_ipv6(p, 0, 64, ip6_a, ip6_b);
	hdr_ext6(p, 60, 0);	/* hop-by-hop -> destination options */
	hdr_ext6(p, 43, 1);	/* destination options -> routing */
	hdr_ext6(p, 6, 2);	/* routing -> TCP */
	hdr_tcp(p, 50000, 22, 7, 9, LW_TCP_ACK, NULL, 0);
	putn(p, "SSH-2.0-", 8);
	pb_finish(p);
}

/*
 * First fragment: offset 0, more fragments; the UDP length covers the
 * whole datagram, most of it in later fragments.
 * 0 eth | 14 IPv6 | 54 fragment | 62 UDP | 70 payload (16) | 86
 */
static void build_eth_ipv6_frag_first(struct pb *p)
{
	pb_init(p);
	hdr_eth(p, mac_b, mac_a, 0x86dd);
	hdr_ipv6(p, 44, 64, ip6_a, ip6_b);
	hdr_frag6(p, 17, 0, true, 0xdeadbeef);
	hdr_udp(p, 40001, 4789);
	put_fill(p, 16, 0x5a);
	pb_finish(p);
	set16(p, p->udp + 4, 1008);
}

/* Last fragment, offset 1240: 0 eth | 14 IPv6 | 54 fragment | 62 data | 78 */
static void build_eth_ipv6_frag_later(struct pb *p)
{
	pb_init(p);
	hdr_eth(p, mac_b, mac_a, 0x86dd);
	hdr_ipv6(p, 44, 64, ip6_a, ip6_b);
	hdr_frag6(p, 17, 1240, false, 0xdeadbeef);
	put_fill(p, 16, 0x5a);
	pb_finish(p);
}

/* 0 eth | 14 IPv4 | 34 options (8) | 42 UDP | 50 payload (6) | 56 */
static void build_eth_ipv4_options(struct pb *p)
{
	pb_init(p);
	hdr_eth(p, mac_b, mac_a, 0x0800);
	hdr_ipv4(p, 17, 1, 0, ip_ra_opts, sizeof ip_ra_opts);
	hdr_udp(p, 5000, 5001);
	putn(p, "hello!", 6);
	pb_finish(p);
}

/* MF set, offset 0; UDP length covers the datagram.
 * 0 eth | 14 IPv4 | 34 UDP | 42 payload (16) | 58 */
static void build_eth_ipv4_frag_first(struct pb *p)
{
	pb_init(p);
	hdr_eth(p, mac_b, mac_a, 0x0800);
	hdr_ipv4(p, 17, 64, 0x2000, NULL, 0);
	hdr_udp(p, 40002, 2049);
	put_fill(p, 16, 0x5a);
	pb_finish(p);
	set16(p, p->udp + 4, 1008);
}

/* Offset 185 * 8 = 1480, last: 0 eth | 14 IPv4 | 34 data (20) | 54 */
static void build_eth_ipv4_frag_later(struct pb *p)
{
	pb_init(p);
	hdr_eth(p, mac_b, mac_a, 0x0800);
	hdr_ipv4(p, 17, 64, 185, NULL, 0);
	put_fill(p, 20, 0x5a);
	pb_finish(p);
}

/* 0 eth | 14 ARP fixed part | 22 addresses | 42 */
static void build_eth_arp_request(struct pb *p)
{
	pb_init(p);
	hdr_eth(p, mac_bcast, mac_a, 0x0806);
	hdr_arp(p, 1, mac_a, ip4_a, mac_zero, ip4_b);
	pb_finish(p);
}

static void build_eth_arp_reply(struct pb *p)
{
	pb_init(p);
	hdr_eth(p, mac_a, mac_b, 0x0806);
	hdr_arp(p, 2, mac_b, ip4_b, mac_a, ip4_a);
	pb_finish(p);
}

/* Echo request: 0 eth | 14 IPv4 | 34 ICMP | 38 id/seq + data (20) | 58 */
static void build_eth_icmp_echo(struct pb *p)
{
	pb_init(p);
	hdr_eth(p, mac_b, mac_a, 0x0800);
	hdr_ipv4(p, 1, 128, 0, NULL, 0);
	hdr_icmp(p, 8, 0, 0x12340001);	/* id 0x1234, seq 1 */
	putn(p, "abcdefghijklmnop", 16);
	pb_finish(p);
}

/*
 * Neighbour solicitation for 2001:db8::2 with a source link-layer
 * address option: 0 eth | 14 IPv6 | 54 ICMPv6 | 58 body (28) | 86
 */
static void build_eth_icmpv6_ns(struct pb *p)
{
	pb_init(p);
	hdr_eth(p, mac_ns, mac_a, 0x86dd);
	hdr_ipv6(p, 58, 255, ip6_a, ip6_sn);
	hdr_icmp(p, LW_ICMP6_NS, 0, 0);
	putn(p, ip6_b, 16);
	put8(p, 1);		/* source link-layer address, 8 bytes */
	put8(p, 1);
	putn(p, mac_a, 6);
	pb_finish(p);
}

/* PCP 5, DEI set, VID 100.
 * 0 eth | 14 tag | 18 IPv4 | 38 UDP | 46 payload (4) | 50 */
static void build_vlan_single(struct pb *p)
{
	pb_init(p);
	hdr_eth(p, mac_b, mac_a, 0x8100);
	hdr_vlan(p, 0xb000 | 100, 0x0800);
	hdr_ipv4(p, 17, 64, 0, NULL, 0);
	hdr_udp(p, 123, 123);
	putn(p, "ntp!", 4);
	pb_finish(p);
}

/* 802.1ad S-tag 200, 802.1Q C-tag 300, IPv6.
 * 0 eth | 14 S-tag | 18 C-tag | 22 IPv6 | 62 UDP | 70 payload (4) | 74 */
static void build_vlan_qinq(struct pb *p)
{
	pb_init(p);
	hdr_eth(p, mac_b, mac_a, 0x88a8);
	hdr_vlan(p, 200, 0x8100);
	hdr_vlan(p, 0x2000 | 300, 0x86dd);
	hdr_ipv6(p, 17, 64, ip6_a, ip6_b);
	hdr_udp(p, 5353, 5353);
	putn(p, "mdns", 4);
	pb_finish(p);
}

/* 'tags' 802.1Q tags with ids 10, 11, ... then IPv4/UDP. */
static void build_vlan_stack(struct pb *p, int tags)
{
	pb_init(p);
	hdr_eth(p, mac_b, mac_a, 0x8100);
	for (int i = 0; i < tags; i++)
		hdr_vlan(p, 10 + (unsigned)i, i + 1 < tags ? 0x8100 : 0x0800);
	hdr_ipv4(p, 17, 64, 0, NULL, 0);
	hdr_udp(p, 1, 2);
	pb_finish(p);
}

/* One more tag than allowed:
 * 0 eth | 14 18 22 26 30 tags | 34 IPv4 | 54 UDP | 62 */
static void build_vlan_too_deep(struct pb *p)
{
	build_vlan_stack(p, LW_MAX_VLAN_TAGS + 1);
}

/* Appends IPv4/UDP/"ping" (32 bytes) or IPv6/UDP/"ping" (52 bytes). */
static void tail_ipv4_udp(struct pb *p)
{
	hdr_ipv4(p, 17, 64, 0, NULL, 0);
	hdr_udp(p, 33000, 7);
	putn(p, "ping", 4);
}

static void tail_ipv6_udp(struct pb *p)
{
	hdr_ipv6(p, 17, 64, ip6_a, ip6_b);
	hdr_udp(p, 33000, 7);
	putn(p, "ping", 4);
}

/* A link header given as bytes, then IPv4 or IPv6 with UDP. */
static void build_prefixed(struct pb *p, const void *link, size_t len,
    bool v6)
{
	pb_init(p);
	putn(p, link, len);
	if (v6)
		tail_ipv6_udp(p);
	else
		tail_ipv4_udp(p);
	pb_finish(p);
}

/* 0 IPv4 | 20 UDP | 28 payload | 32 */
static void build_raw_ipv4(struct pb *p)
{
	build_prefixed(p, NULL, 0, false);
}

/* 0 IPv6 | 40 UDP | 48 payload | 52 */
static void build_raw_ipv6(struct pb *p)
{
	build_prefixed(p, NULL, 0, true);
}

/* 0 SLL | 16 IPv4 | 36 TCP | 56 payload (4) | 60 */
static void build_sll_ipv4_tcp(struct pb *p)
{
	pb_init(p);
	hdr_sll(p, 0 /* to us */, 1 /* ARPHRD_ETHER */, 6, mac_a, 0x0800);
	hdr_ipv4(p, 6, 64, 0, NULL, 0);
	hdr_tcp(p, 443, 40000, 100, 200, LW_TCP_SYN | LW_TCP_ACK, NULL, 0);
	putn(p, "data", 4);
	pb_finish(p);
}

/* 0 SLL2 | 20 IPv6 | 60 UDP | 68 payload | 72 */
static void build_sll2_ipv6_udp(struct pb *p)
{
	pb_init(p);
	hdr_sll2(p, 0x86dd, 3, 1 /* ARPHRD_ETHER */, 4 /* outgoing */, 6,
	    mac_a);
	tail_ipv6_udp(p);
	pb_finish(p);
}

/* 0 eth | 14 PPPoE + PPP protocol | 22 IPv4 | 42 UDP | 50 payload | 54 */
static void build_pppoe(struct pb *p)
{
	pb_init(p);
	hdr_eth(p, mac_b, mac_a, 0x8864);
	put8(p, 0x11);		/* version 1, type 1 */
	put8(p, 0);		/* session data */
	put16(p, 0x1234);	/* session id */
	put16(p, 2 + 32);	/* PPP protocol + IPv4 packet */
	put16(p, 0x0021);
	tail_ipv4_udp(p);
	pb_finish(p);
}

/* 802.3 length, LLC/SNAP: 0 eth | 14 SNAP | 22 IPv4 | 42 UDP | 50 | 54 */
static void build_llc_snap(struct pb *p)
{
	static const uint8_t snap[8] = { 0xaa, 0xaa, 0x03, 0, 0, 0,
	    0x08, 0x00 };

	pb_init(p);
	hdr_eth(p, mac_b, mac_a, 8 + 32);
	putn(p, snap, sizeof snap);
	tail_ipv4_udp(p);
	pb_finish(p);
}

static void put_tlv_le(struct pb *p, unsigned len, unsigned type)
{
	put8(p, len & 0xff);
	put8(p, len >> 8);
	put8(p, type & 0xff);
	put8(p, type >> 8);
}

/*
 * NFLOG, AF_INET, group 7: a prefix TLV padded to 12 bytes, then the
 * payload TLV.  0 header | 4 prefix TLV | 16 payload TLV | 20 IPv4 |
 * 40 UDP | 48 payload | 52
 */
static void build_nflog(struct pb *p)
{
	pb_init(p);
	putn(p, "\x02\x00\x00\x07", 4);
	put_tlv_le(p, 4 + 6, 10);		/* NFULA_PREFIX "drop\0" */
	putn(p, "drop\0\0\0\0", 8);
	put_tlv_le(p, 4 + 32, 9);		/* NFULA_PAYLOAD */
	tail_ipv4_udp(p);
	pb_finish(p);
}

/* PKTAP header of 12 bytes, inner EN10MB.
 * 0 PKTAP | 12 eth | 26 IPv4 | 46 UDP | 54 payload | 58 */
static void build_pktap(struct pb *p)
{
	pb_init(p);
	putn(p, "\x0c\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00", 12);
	hdr_eth(p, mac_b, mac_a, 0x0800);
	tail_ipv4_udp(p);
	pb_finish(p);
}

/* ------------------------------------------------------------------ */
/* Decoding helpers                                                     */
/* ------------------------------------------------------------------ */

static uint8_t *heap_copy(const uint8_t *src, size_t n)
{
	uint8_t *copy = malloc(n ? n : 1);

	assert_non_null(copy);
	if (n)
		memcpy(copy, src, n);
	return copy;
}

/* Does [ptr, ptr + len) lie inside [base, base + n)?  NULL is fine. */
static bool inside(const uint8_t *ptr, size_t len, const uint8_t *base,
    size_t n)
{
	if (ptr == NULL)
		return len == 0;
	uintptr_t p = (uintptr_t)ptr, b = (uintptr_t)base;
	return p >= b && p - b <= n && len <= n - (p - b);
}

/* Every pointer the decoder hands out stays inside the capture. */
static bool pointers_inside(const struct lw_packet *pkt, const uint8_t *data,
    size_t n)
{
	return inside(pkt->src_mac, pkt->src_mac ? 6 : 0, data, n) &&
	    inside(pkt->dst_mac, pkt->dst_mac ? 6 : 0, data, n) &&
	    inside(pkt->arp_sha, pkt->arp_sha ? 6 : 0, data, n) &&
	    inside(pkt->arp_tha, pkt->arp_tha ? 6 : 0, data, n) &&
	    inside(pkt->nflog_prefix, pkt->nflog_prefix_len, data, n) &&
	    inside(pkt->payload, pkt->payload_len, data, n);
}

/* A packet decoded whole from an exact-size heap copy. */
struct frame {
	struct lw_packet pkt;
	uint8_t *data;		/* the copy pkt's pointers point into */
};

static enum lw_malformed decode_frame_len(struct frame *f,
    const struct pb *p, int linktype, size_t caplen, size_t wirelen)
{
	f->data = heap_copy(p->b, caplen);
	memset(&f->pkt, 0, sizeof f->pkt);
	f->pkt.ts_ns = 1700000000123456789ull;
	f->pkt.caplen = (uint32_t)caplen;
	f->pkt.wirelen = (uint32_t)wirelen;
	f->pkt.linktype = linktype;
	enum lw_malformed why = lw_decode(&f->pkt, f->data);
	assert_int_equal(why, f->pkt.malformed);
	assert_true(pointers_inside(&f->pkt, f->data, caplen));
	assert_int_equal(f->pkt.caplen, caplen);
	assert_int_equal(f->pkt.wirelen, wirelen);
	assert_int_equal(f->pkt.linktype, linktype);
	assert_true(f->pkt.ts_ns == 1700000000123456789ull);
	return why;
}

static enum lw_malformed decode_frame(struct frame *f, const struct pb *p,
    int linktype)
{
	return decode_frame_len(f, p, linktype, p->n, p->n);
}

static void frame_free(struct frame *f)
{
	free(f->data);
	f->data = NULL;
}

/* Decode p whole and check only the reason and the layers. */
static void expect_decode(const struct pb *p, int linktype,
    enum lw_malformed why, uint32_t layers)
{
	struct frame f;

	enum lw_malformed got = decode_frame(&f, p, linktype);
	uint32_t got_layers = f.pkt.layers;
	frame_free(&f);
	if (got != why || got_layers != layers)
		fail_msg("link %d: got %s layers %#x, want %s layers %#x",
		    linktype, lw_malformed_name(got), (unsigned)got_layers,
		    lw_malformed_name(why), (unsigned)layers);
}

/*
 * One header of a packet, for the truncation tables: a cut at a length
 * below 'end' (and at or above the previous entry's end) reports 'why'
 * and exactly 'layers'.  The last entry ends at the packet's length.
 */
struct cut {
	size_t	 end;
	enum lw_malformed why;
	uint32_t layers;
};

struct cut_result {
	enum lw_malformed why;
	uint32_t layers;
	bool	 inside;	/* every pointer inside the cut */
	bool	 payload_at_cut;	/* payload (if any) ends at the cut */
};

/* Decode the first n bytes of p from a heap block of exactly n bytes. */
static struct cut_result decode_cut(const struct pb *p, int linktype,
    size_t n, size_t wirelen)
{
	struct lw_packet pkt;
	struct cut_result r;
	uint8_t *data = heap_copy(p->b, n);

	memset(&pkt, 0, sizeof pkt);
	pkt.caplen = (uint32_t)n;
	pkt.wirelen = (uint32_t)wirelen;
	pkt.linktype = linktype;
	r.why = lw_decode(&pkt, data);
	r.layers = pkt.layers;
	r.inside = r.why == pkt.malformed && pointers_inside(&pkt, data, n);
	r.payload_at_cut = pkt.payload == NULL ||
	    (uintptr_t)(pkt.payload + pkt.payload_len) == (uintptr_t)(data + n);
	free(data);
	return r;
}

/*
 * Cut p at every length from 0 to whole - 1, wirelen staying whole (a
 * snap length), and check each cut against the table.
 */
static void check_cuts(const struct pb *p, int linktype,
    const struct cut *cuts, size_t ncuts)
{
	size_t r = 0;

	assert_true(ncuts > 0);
	if (cuts[ncuts - 1].end != p->n)
		fail_msg("table ends at %zu, packet is %zu bytes",
		    cuts[ncuts - 1].end, p->n);
	for (size_t n = 0; n < p->n; n++) {
		while (n >= cuts[r].end)
			r++;
		struct cut_result got = decode_cut(p, linktype, n, p->n);
		if (got.why != cuts[r].why || got.layers != cuts[r].layers)
			fail_msg("link %d, cut at %zu of %zu: got %s layers"
			    " %#x, want %s layers %#x", linktype, n, p->n,
			    lw_malformed_name(got.why), (unsigned)got.layers,
			    lw_malformed_name(cuts[r].why),
			    (unsigned)cuts[r].layers);
		if (!got.inside)
			fail_msg("link %d, cut at %zu: pointer past the cut",
			    linktype, n);
		if (got.why == LW_OK && !got.payload_at_cut)
			fail_msg("link %d, cut at %zu: payload does not end at"
			    " the cut", linktype, n);
	}
}

#define CHECK_CUTS(p, linktype, cuts) \
	check_cuts((p), (linktype), (cuts), ARRAY_LEN(cuts))

/* ------------------------------------------------------------------ */
/* 1. Happy paths                                                       */
/* ------------------------------------------------------------------ */

static void test_eth_ipv4_tcp_with_options(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_eth_ipv4_tcp(&p);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET), LW_OK);
	assert_int_equal(f.pkt.layers, L_ETH4 | LW_L_TCP);
	assert_ptr_equal(f.pkt.dst_mac, f.data);
	assert_ptr_equal(f.pkt.src_mac, f.data + 6);
	assert_memory_equal(f.pkt.dst_mac, mac_b, 6);
	assert_memory_equal(f.pkt.src_mac, mac_a, 6);
	assert_int_equal(f.pkt.vlan_tags, 0);
	assert_int_equal(f.pkt.ethertype, 0x0800);
	assert_int_equal(f.pkt.src_ip.family, 4);
	assert_memory_equal(f.pkt.src_ip.bytes, ip4_a, 4);
	assert_int_equal(f.pkt.dst_ip.family, 4);
	assert_memory_equal(f.pkt.dst_ip.bytes, ip4_b, 4);
	assert_int_equal(f.pkt.ttl, 64);
	assert_int_equal(f.pkt.ip_proto, 6);
	assert_int_equal(f.pkt.frag_offset, 0);	/* DF: not a fragment */
	assert_int_equal(f.pkt.src_port, 40000);
	assert_int_equal(f.pkt.dst_port, 443);
	assert_int_equal(f.pkt.tcp_seq, 0x01020304);
	assert_int_equal(f.pkt.tcp_ack, 0xa0b0c0d0);
	assert_int_equal(f.pkt.tcp_flags, LW_TCP_PSH | LW_TCP_ACK);
	assert_ptr_equal(f.pkt.payload, f.data + 66);	/* past options */
	assert_int_equal(f.pkt.payload_len, 10);
	assert_memory_equal(f.pkt.payload, "0123456789", 10);
	frame_free(&f);
}

static void test_eth_ipv4_udp(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_eth_ipv4_udp(&p);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET), LW_OK);
	assert_int_equal(f.pkt.layers, L_ETH4 | LW_L_UDP);
	assert_int_equal(f.pkt.ttl, 128);
	assert_int_equal(f.pkt.ip_proto, 17);
	assert_memory_equal(f.pkt.dst_ip.bytes, ip4_b, 4);
	assert_int_equal(f.pkt.src_port, 53000);
	assert_int_equal(f.pkt.dst_port, 53);
	assert_int_equal(f.pkt.tcp_flags, 0);
	assert_ptr_equal(f.pkt.payload, f.data + 42);
	assert_int_equal(f.pkt.payload_len, 12);
	assert_memory_equal(f.pkt.payload, "abcdefghijkl", 12);
	frame_free(&f);
}

static void test_eth_ipv6_udp(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_eth_ipv6_udp(&p);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET), LW_OK);
	assert_int_equal(f.pkt.layers, L_ETH6 | LW_L_UDP);
	assert_int_equal(f.pkt.ethertype, 0x86dd);
	assert_int_equal(f.pkt.src_ip.family, 6);
	assert_memory_equal(f.pkt.src_ip.bytes, ip6_a, 16);
	assert_int_equal(f.pkt.dst_ip.family, 6);
	assert_memory_equal(f.pkt.dst_ip.bytes, ip6_b, 16);
	assert_int_equal(f.pkt.ttl, 64);	/* hop limit */
	assert_int_equal(f.pkt.ip_proto, 17);
	assert_int_equal(f.pkt.src_port, 546);
	assert_int_equal(f.pkt.dst_port, 547);
	assert_ptr_equal(f.pkt.payload, f.data + 62);
	assert_int_equal(f.pkt.payload_len, 12);
	frame_free(&f);
}

static void test_ipv6_extension_chain_before_tcp(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_eth_ipv6_ext_tcp(&p);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET), LW_OK);
	assert_int_equal(f.pkt.layers, L_ETH6 | LW_L_TCP);
	assert_int_equal(f.pkt.ip_proto, 6);	/* after the extensions */
	assert_int_equal(f.pkt.src_port, 50000);
	assert_int_equal(f.pkt.dst_port, 22);
	assert_int_equal(f.pkt.tcp_seq, 7);
	assert_int_equal(f.pkt.tcp_ack, 9);
	assert_int_equal(f.pkt.tcp_flags, LW_TCP_ACK);
	assert_ptr_equal(f.pkt.payload, f.data + 122);
	assert_int_equal(f.pkt.payload_len, 8);
	frame_free(&f);
}

static void test_ipv6_first_fragment_has_l4(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_eth_ipv6_frag_first(&p);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET), LW_OK);
	assert_int_equal(f.pkt.layers, L_ETH6 | LW_L_FRAG | LW_L_UDP);
	assert_int_equal(f.pkt.frag_offset, 0);
	assert_int_equal(f.pkt.ip_proto, 17);
	assert_int_equal(f.pkt.src_port, 40001);
	assert_int_equal(f.pkt.dst_port, 4789);
	/* UDP says 1000 bytes of data; this fragment holds 16 */
	assert_ptr_equal(f.pkt.payload, f.data + 70);
	assert_int_equal(f.pkt.payload_len, 16);
	frame_free(&f);
}

static void test_ipv6_later_fragment_has_no_l4(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_eth_ipv6_frag_later(&p);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET), LW_OK);
	assert_int_equal(f.pkt.layers, L_ETH6 | LW_L_FRAG);
	assert_int_equal(f.pkt.frag_offset, 1240);
	assert_int_equal(f.pkt.ip_proto, 17);
	assert_int_equal(f.pkt.src_port, 0);
	assert_null(f.pkt.payload);
	assert_int_equal(f.pkt.payload_len, 0);
	frame_free(&f);
}

/*
 * A later fragment whose fragment header names an extension header
 * (destination options in the fragmentable part): the bytes after the
 * fragment header are the middle of the datagram, not a header, and
 * must not be walked as one (here they would claim a 2 KB header).
 */
static void test_ipv6_later_fragment_data_is_not_walked(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	pb_init(&p);
	hdr_eth(&p, mac_b, mac_a, 0x86dd);
	hdr_ipv6(&p, 44, 64, ip6_a, ip6_b);
	hdr_frag6(&p, 60, 1240, false, 1);
	put8(&p, 60);		/* looks like: next dstopts, 2048 bytes */
	put8(&p, 0xff);
	put_fill(&p, 14, 0);
	pb_finish(&p);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET), LW_OK);
	assert_int_equal(f.pkt.layers, L_ETH6 | LW_L_FRAG);
	assert_int_equal(f.pkt.frag_offset, 1240);
	assert_int_equal(f.pkt.ip_proto, 60);
	frame_free(&f);
}

static void test_ipv4_options_are_skipped(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_eth_ipv4_options(&p);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET), LW_OK);
	assert_int_equal(f.pkt.layers, L_ETH4 | LW_L_UDP);
	assert_int_equal(f.pkt.ttl, 1);
	assert_int_equal(f.pkt.ip_proto, 17);
	assert_memory_equal(f.pkt.src_ip.bytes, ip4_a, 4);
	assert_int_equal(f.pkt.src_port, 5000);
	assert_int_equal(f.pkt.dst_port, 5001);
	assert_ptr_equal(f.pkt.payload, f.data + 50);
	assert_int_equal(f.pkt.payload_len, 6);
	assert_memory_equal(f.pkt.payload, "hello!", 6);
	frame_free(&f);
}

static void test_ipv4_first_fragment_has_l4(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_eth_ipv4_frag_first(&p);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET), LW_OK);
	assert_int_equal(f.pkt.layers, L_ETH4 | LW_L_FRAG | LW_L_UDP);
	assert_int_equal(f.pkt.frag_offset, 0);
	assert_int_equal(f.pkt.src_port, 40002);
	assert_int_equal(f.pkt.dst_port, 2049);
	/* the UDP length (1008) spans later fragments: not an error */
	assert_ptr_equal(f.pkt.payload, f.data + 42);
	assert_int_equal(f.pkt.payload_len, 16);
	frame_free(&f);
}

static void test_ipv4_later_fragment_has_no_l4(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_eth_ipv4_frag_later(&p);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET), LW_OK);
	assert_int_equal(f.pkt.layers, L_ETH4 | LW_L_FRAG);
	assert_int_equal(f.pkt.frag_offset, 1480);
	assert_int_equal(f.pkt.ip_proto, 17);
	assert_int_equal(f.pkt.src_port, 0);
	assert_int_equal(f.pkt.dst_port, 0);
	assert_null(f.pkt.payload);
	frame_free(&f);

	/* a middle fragment: more fragments and an offset */
	set16(&p, 14 + 6, 0x2000 | 185);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET), LW_OK);
	assert_int_equal(f.pkt.layers, L_ETH4 | LW_L_FRAG);
	assert_int_equal(f.pkt.frag_offset, 1480);
	frame_free(&f);
}

static void test_arp_request(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_eth_arp_request(&p);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET), LW_OK);
	assert_int_equal(f.pkt.layers, LW_L_ETH | LW_L_ARP);
	assert_int_equal(f.pkt.ethertype, 0x0806);
	assert_memory_equal(f.pkt.dst_mac, mac_bcast, 6);
	assert_int_equal(f.pkt.arp_op, 1);
	assert_ptr_equal(f.pkt.arp_sha, f.data + 22);
	assert_memory_equal(f.pkt.arp_sha, mac_a, 6);
	assert_ptr_equal(f.pkt.arp_tha, f.data + 32);
	assert_memory_equal(f.pkt.arp_tha, mac_zero, 6);
	assert_int_equal(f.pkt.arp_spa.family, 4);
	assert_memory_equal(f.pkt.arp_spa.bytes, ip4_a, 4);
	assert_int_equal(f.pkt.arp_tpa.family, 4);
	assert_memory_equal(f.pkt.arp_tpa.bytes, ip4_b, 4);
	assert_int_equal(f.pkt.src_ip.family, 0);	/* not an IP packet */
	assert_null(f.pkt.payload);
	frame_free(&f);
}

static void test_arp_reply(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_eth_arp_reply(&p);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET), LW_OK);
	assert_int_equal(f.pkt.layers, LW_L_ETH | LW_L_ARP);
	assert_int_equal(f.pkt.arp_op, 2);
	assert_memory_equal(f.pkt.arp_sha, mac_b, 6);
	assert_memory_equal(f.pkt.arp_spa.bytes, ip4_b, 4);
	assert_memory_equal(f.pkt.arp_tha, mac_a, 6);
	assert_memory_equal(f.pkt.arp_tpa.bytes, ip4_a, 4);
	frame_free(&f);
}

static void test_rarp_uses_the_arp_decoder(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_eth_arp_request(&p);
	set16(&p, 12, 0x8035);
	set16(&p, 14 + 6, 3);	/* reverse request */
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET), LW_OK);
	assert_int_equal(f.pkt.layers, LW_L_ETH | LW_L_ARP);
	assert_int_equal(f.pkt.ethertype, 0x8035);
	assert_int_equal(f.pkt.arp_op, 3);
	frame_free(&f);
}

static void test_icmp_echo(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_eth_icmp_echo(&p);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET), LW_OK);
	assert_int_equal(f.pkt.layers, L_ETH4 | LW_L_ICMP);
	assert_int_equal(f.pkt.ip_proto, 1);
	assert_int_equal(f.pkt.ttl, 128);
	assert_int_equal(f.pkt.icmp_type, 8);
	assert_int_equal(f.pkt.icmp_code, 0);
	assert_int_equal(f.pkt.src_port, 0);
	/* the payload starts after the 4 common bytes: id, seq, data */
	assert_ptr_equal(f.pkt.payload, f.data + 38);
	assert_int_equal(f.pkt.payload_len, 20);
	assert_memory_equal(f.pkt.payload, "\x12\x34\x00\x01", 4);
	frame_free(&f);
}

static void test_icmpv6_neighbour_solicitation(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_eth_icmpv6_ns(&p);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET), LW_OK);
	assert_int_equal(f.pkt.layers, L_ETH6 | LW_L_ICMPV6);
	assert_int_equal(f.pkt.ip_proto, 58);
	assert_int_equal(f.pkt.ttl, 255);
	assert_int_equal(f.pkt.icmp_type, LW_ICMP6_NS);
	assert_int_equal(f.pkt.icmp_code, 0);
	assert_memory_equal(f.pkt.dst_ip.bytes, ip6_sn, 16);
	assert_memory_equal(f.pkt.dst_mac, mac_ns, 6);
	assert_ptr_equal(f.pkt.payload, f.data + 58);
	assert_int_equal(f.pkt.payload_len, 28);
	assert_memory_equal(f.pkt.payload + 4, ip6_b, 16);	/* target */
	frame_free(&f);
}

static void test_vlan_8021q_single_tag(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_vlan_single(&p);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET), LW_OK);
	assert_int_equal(f.pkt.layers, L_ETH4 | LW_L_VLAN | LW_L_UDP);
	assert_int_equal(f.pkt.vlan, 100);	/* PCP and DEI masked off */
	assert_int_equal(f.pkt.vlan_tags, 1);
	assert_int_equal(f.pkt.ethertype, 0x0800);
	assert_memory_equal(f.pkt.src_mac, mac_a, 6);
	assert_int_equal(f.pkt.dst_port, 123);
	assert_int_equal(f.pkt.payload_len, 4);
	frame_free(&f);
}

static void test_vlan_8021ad_qinq_reports_outer(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_vlan_qinq(&p);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET), LW_OK);
	assert_int_equal(f.pkt.layers, L_ETH6 | LW_L_VLAN | LW_L_UDP);
	assert_int_equal(f.pkt.vlan, 200);	/* the outer (S-tag) id */
	assert_int_equal(f.pkt.vlan_tags, 2);
	assert_int_equal(f.pkt.ethertype, 0x86dd);	/* innermost */
	assert_int_equal(f.pkt.dst_port, 5353);
	frame_free(&f);
}

static void test_vlan_max_depth_decodes(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	/* exactly LW_MAX_VLAN_TAGS, with every tag protocol id accepted */
	pb_init(&p);
	hdr_eth(&p, mac_b, mac_a, 0x88a8);
	hdr_vlan(&p, 31, 0x9100);
	hdr_vlan(&p, 32, 0x8100);
	hdr_vlan(&p, 33, 0x8100);
	hdr_vlan(&p, 34, 0x0800);
	tail_ipv4_udp(&p);
	pb_finish(&p);
	assert_int_equal(LW_MAX_VLAN_TAGS, 4);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET), LW_OK);
	assert_int_equal(f.pkt.layers, L_ETH4 | LW_L_VLAN | LW_L_UDP);
	assert_int_equal(f.pkt.vlan, 31);
	assert_int_equal(f.pkt.vlan_tags, 4);
	assert_int_equal(f.pkt.ethertype, 0x0800);
	frame_free(&f);
}

static void test_vlan_too_deep(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_vlan_too_deep(&p);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET),
	    LW_MF_VLAN_TOO_DEEP);
	assert_int_equal(f.pkt.layers, LW_L_ETH | LW_L_VLAN);
	assert_int_equal(f.pkt.vlan, 10);
	assert_int_equal(f.pkt.vlan_tags, LW_MAX_VLAN_TAGS);
	assert_memory_equal(f.pkt.src_mac, mac_a, 6);
	frame_free(&f);
}

static void test_linux_sll(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_sll_ipv4_tcp(&p);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_LINUX_SLL), LW_OK);
	assert_int_equal(f.pkt.layers, LW_L_SLL | LW_L_IPV4 | LW_L_TCP);
	assert_ptr_equal(f.pkt.src_mac, f.data + 6);
	assert_memory_equal(f.pkt.src_mac, mac_a, 6);
	assert_null(f.pkt.dst_mac);
	assert_int_equal(f.pkt.ethertype, 0x0800);
	assert_int_equal(f.pkt.src_port, 443);
	assert_int_equal(f.pkt.tcp_flags, LW_TCP_SYN | LW_TCP_ACK);
	assert_int_equal(f.pkt.payload_len, 4);
	frame_free(&f);

	/* not Ethernet (ARPHRD_LOOPBACK), or not 6 bytes: no source MAC */
	set16(&p, 2, 772);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_LINUX_SLL), LW_OK);
	assert_null(f.pkt.src_mac);
	frame_free(&f);
	set16(&p, 2, 1);
	set16(&p, 4, 8);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_LINUX_SLL), LW_OK);
	assert_null(f.pkt.src_mac);
	frame_free(&f);
}

static void test_linux_sll2(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_sll2_ipv6_udp(&p);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_LINUX_SLL2), LW_OK);
	assert_int_equal(f.pkt.layers, LW_L_SLL | LW_L_IPV6 | LW_L_UDP);
	assert_ptr_equal(f.pkt.src_mac, f.data + 12);
	assert_memory_equal(f.pkt.src_mac, mac_a, 6);
	assert_null(f.pkt.dst_mac);
	assert_int_equal(f.pkt.ethertype, 0x86dd);
	assert_memory_equal(f.pkt.dst_ip.bytes, ip6_b, 16);
	assert_int_equal(f.pkt.payload_len, 4);
	frame_free(&f);

	/* ARP over SLL2 */
	pb_init(&p);
	hdr_sll2(&p, 0x0806, 3, 1, 0, 6, mac_a);
	hdr_arp(&p, 1, mac_a, ip4_a, mac_zero, ip4_b);
	pb_finish(&p);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_LINUX_SLL2), LW_OK);
	assert_int_equal(f.pkt.layers, LW_L_SLL | LW_L_ARP);
	assert_memory_equal(f.pkt.arp_spa.bytes, ip4_a, 4);
	frame_free(&f);
}

static void test_raw_ip_by_version_nibble(void **state)
{
	static const int raw_types[] = { LW_LINK_RAW, LW_LINK_RAW_ALT,
	    LW_LINK_RAW_ALT2 };
	struct pb v4, v6;
	struct frame f;
	(void)state;

	build_raw_ipv4(&v4);
	build_raw_ipv6(&v6);
	for (size_t i = 0; i < ARRAY_LEN(raw_types); i++) {
		assert_int_equal(decode_frame(&f, &v4, raw_types[i]), LW_OK);
		assert_int_equal(f.pkt.layers, LW_L_IPV4 | LW_L_UDP);
		assert_null(f.pkt.src_mac);
		assert_memory_equal(f.pkt.src_ip.bytes, ip4_a, 4);
		assert_int_equal(f.pkt.payload_len, 4);
		frame_free(&f);

		assert_int_equal(decode_frame(&f, &v6, raw_types[i]), LW_OK);
		assert_int_equal(f.pkt.layers, LW_L_IPV6 | LW_L_UDP);
		assert_memory_equal(f.pkt.src_ip.bytes, ip6_a, 16);
		assert_int_equal(f.pkt.payload_len, 4);
		frame_free(&f);
	}
}

static void test_linktype_ipv4(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_raw_ipv4(&p);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_IPV4), LW_OK);
	assert_int_equal(f.pkt.layers, LW_L_IPV4 | LW_L_UDP);
	assert_int_equal(f.pkt.dst_port, 7);
	frame_free(&f);
}

static void test_linktype_ipv6(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_raw_ipv6(&p);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_IPV6), LW_OK);
	assert_int_equal(f.pkt.layers, LW_L_IPV6 | LW_L_UDP);
	assert_int_equal(f.pkt.dst_port, 7);
	frame_free(&f);
}

/*
 * BSD loopback: the 4-byte family is accepted in either byte order for
 * both NULL and LOOP (the decoder takes whichever reading is < 256).
 * AF_INET is 2; AF_INET6 is 10, 24, 28 or 30 depending on the OS.
 */
static void test_null_and_loop_families(void **state)
{
	static const int links[] = { LW_LINK_NULL, LW_LINK_LOOP };
	static const uint8_t v6_families[] = { 10, 24, 28, 30 };
	struct pb p;
	(void)state;

	for (size_t l = 0; l < ARRAY_LEN(links); l++) {
		build_prefixed(&p, "\x02\x00\x00\x00", 4, false);  /* host LE */
		expect_decode(&p, links[l], LW_OK, LW_L_IPV4 | LW_L_UDP);
		build_prefixed(&p, "\x00\x00\x00\x02", 4, false);  /* network */
		expect_decode(&p, links[l], LW_OK, LW_L_IPV4 | LW_L_UDP);
		for (size_t i = 0; i < ARRAY_LEN(v6_families); i++) {
			uint8_t le[4] = { v6_families[i], 0, 0, 0 };
			uint8_t be[4] = { 0, 0, 0, v6_families[i] };
			build_prefixed(&p, le, 4, true);
			expect_decode(&p, links[l], LW_OK,
			    LW_L_IPV6 | LW_L_UDP);
			build_prefixed(&p, be, 4, true);
			expect_decode(&p, links[l], LW_OK,
			    LW_L_IPV6 | LW_L_UDP);
		}
		/* another family (AF_APPLETALK): nothing decoded, no fault */
		build_prefixed(&p, "\x00\x00\x00\x07", 4, false);
		expect_decode(&p, links[l], LW_OK, 0);
	}

	struct frame f;
	build_prefixed(&p, "\x02\x00\x00\x00", 4, false);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_NULL), LW_OK);
	assert_null(f.pkt.src_mac);
	assert_ptr_equal(f.pkt.payload, f.data + 32);
	frame_free(&f);
}

/*
 * PPP (9) and PPP in HDLC framing (50) take the same paths: an optional
 * ff 03 address/control pair, then a 2-byte protocol or a 1-byte
 * compressed one (odd first byte).  0x0021 is IPv4, 0x0057 IPv6.
 */
static void test_ppp_framings(void **state)
{
	static const int links[] = { LW_LINK_PPP, LW_LINK_PPP_HDLC };
	static const struct {
		const char *hdr;
		size_t len;
		bool v6;
	} framings[] = {
		{ "\xff\x03\x00\x21", 4, false },
		{ "\x00\x21", 2, false },
		{ "\x21", 1, false },
		{ "\xff\x03\x21", 3, false },
		{ "\xff\x03\x00\x57", 4, true },
		{ "\x00\x57", 2, true },
		{ "\x57", 1, true },
	};
	struct pb p;
	(void)state;

	for (size_t l = 0; l < ARRAY_LEN(links); l++) {
		for (size_t i = 0; i < ARRAY_LEN(framings); i++) {
			build_prefixed(&p, framings[i].hdr, framings[i].len,
			    framings[i].v6);
			expect_decode(&p, links[l], LW_OK, LW_L_PPP |
			    (framings[i].v6 ? LW_L_IPV6 : LW_L_IPV4) |
			    LW_L_UDP);
		}
		/* LCP: PPP, but nothing for us */
		build_prefixed(&p, "\xff\x03\xc0\x21", 4, false);
		expect_decode(&p, links[l], LW_OK, LW_L_PPP);
	}
}

static void test_pppoe_session(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_pppoe(&p);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET), LW_OK);
	assert_int_equal(f.pkt.layers, L_ETH4 | LW_L_PPP | LW_L_UDP);
	assert_int_equal(f.pkt.ethertype, 0x8864);
	assert_int_equal(f.pkt.dst_port, 7);
	frame_free(&f);
}

static void test_llc_snap(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_llc_snap(&p);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET), LW_OK);
	assert_int_equal(f.pkt.layers, L_ETH4 | LW_L_UDP);
	assert_int_equal(f.pkt.ethertype, 0x0800);	/* from the SNAP */
	frame_free(&f);

	/* plain LLC (spanning tree, 42 42 03): Ethernet only, no fault */
	p.b[14] = 0x42;
	p.b[15] = 0x42;
	expect_decode(&p, LW_LINK_ETHERNET, LW_OK, LW_L_ETH);
}

static void test_nflog(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_nflog(&p);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_NFLOG), LW_OK);
	assert_int_equal(f.pkt.layers, LW_L_IPV4 | LW_L_UDP);
	assert_ptr_equal(f.pkt.payload, f.data + 48);
	assert_int_equal(f.pkt.payload_len, 4);
	frame_free(&f);

	/* family 0: the version nibble decides */
	p.b[0] = 0;
	expect_decode(&p, LW_LINK_NFLOG, LW_OK, LW_L_IPV4 | LW_L_UDP);
	/* family AF_INET6 forces IPv6: 32 bytes are too short for it */
	p.b[0] = 10;
	expect_decode(&p, LW_LINK_NFLOG, LW_MF_TRUNCATED_IPV6, 0);
	p.b[0] = 2;

	/* a TLV shorter than its own header */
	p.b[4] = 2;
	expect_decode(&p, LW_LINK_NFLOG, LW_MF_BAD_LINK, 0);
	/* a TLV that steps past the capture */
	p.b[4] = 200;
	expect_decode(&p, LW_LINK_NFLOG, LW_MF_TRUNCATED_LINK, 0);
	/* no payload TLV at all: nothing decoded, no fault */
	p.b[4] = 4 + 6;
	p.b[16 + 2] = 11;	/* payload TLV retyped as NFULA_UID */
	expect_decode(&p, LW_LINK_NFLOG, LW_OK, 0);

	/* NFLOG carrying IPv6 */
	pb_init(&p);
	putn(&p, "\x0a\x00\x00\x07", 4);
	put_tlv_le(&p, 4 + 52, 9);
	tail_ipv6_udp(&p);
	pb_finish(&p);
	expect_decode(&p, LW_LINK_NFLOG, LW_OK, LW_L_IPV6 | LW_L_UDP);
}

/*
 * NFLOG as the kernel sends it for a packet that came in on Ethernet:
 * packet header, prefix, hardware address, type and header, then the
 * payload; group 300.  0 header | 4 PACKET_HDR | 12 PREFIX "lw-test" |
 * 24 HWADDR | 40 HWTYPE | 48 HWHEADER | 68 PAYLOAD | 72 IPv4 | 92 UDP
 */
static void build_nflog_hw(struct pb *p)
{
	pb_init(p);
	putn(p, "\x02\x00\x01\x2c", 4);
	put_tlv_le(p, 8, 1);			/* NFULA_PACKET_HDR */
	putn(p, "\x08\x00\x01\x00", 4);	/* IPv4, hook input */
	put_tlv_le(p, 4 + 8, 10);		/* NFULA_PREFIX "lw-test\0" */
	putn(p, "lw-test\0", 8);
	put_tlv_le(p, 4 + 12, 8);		/* NFULA_HWADDR */
	putn(p, "\x00\x06\x00\x00", 4);
	putn(p, mac_a, 6);
	putn(p, "\x00\x00", 2);
	put_tlv_le(p, 4 + 2, 15);		/* NFULA_HWTYPE: Ethernet */
	putn(p, "\x00\x01\x00\x00", 4);
	put_tlv_le(p, 4 + 14, 16);		/* NFULA_HWHEADER */
	putn(p, mac_b, 6);
	putn(p, mac_a, 6);
	putn(p, "\x08\x00\x00\x00", 4);
	put_tlv_le(p, 4 + 32, 9);		/* NFULA_PAYLOAD */
	tail_ipv4_udp(p);
	pb_finish(p);
}

static void test_nflog_meta(void **state)
{
	struct pb p;
	struct frame f;
	char text[LW_NFLOG_PREFIX_MAX + 1];
	(void)state;

	build_nflog_hw(&p);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_NFLOG), LW_OK);
	assert_int_equal(f.pkt.layers, LW_L_IPV4 | LW_L_UDP);
	assert_int_equal(f.pkt.nflog_group, 300);
	assert_int_equal(f.pkt.nflog_prefix_len, 7);
	assert_string_equal(lw_packet_nflog_prefix(&f.pkt, text, sizeof text),
	    "lw-test");
	assert_memory_equal(f.pkt.src_mac, mac_a, 6);
	assert_memory_equal(f.pkt.dst_mac, mac_b, 6);
	frame_free(&f);

	/* the hardware header of another link type: only HWADDR counts */
	p.b[44] = 0x02;				/* HWTYPE 0x0201 */
	assert_int_equal(decode_frame(&f, &p, LW_LINK_NFLOG), LW_OK);
	assert_memory_equal(f.pkt.src_mac, mac_a, 6);
	assert_null(f.pkt.dst_mac);
	frame_free(&f);
	/* an address that is not 6 bytes long is no MAC */
	p.b[29] = 8;
	assert_int_equal(decode_frame(&f, &p, LW_LINK_NFLOG), LW_OK);
	assert_null(f.pkt.src_mac);
	frame_free(&f);

	/* a prefix without its NUL, with bytes that are not text, cut to
	 * the buffer it is written into */
	memcpy(p.b + 16, "a\"\x01\xff" "bcde", 8);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_NFLOG), LW_OK);
	assert_int_equal(f.pkt.nflog_prefix_len, 8);
	assert_string_equal(lw_packet_nflog_prefix(&f.pkt, text, sizeof text),
	    "a\"??bcde");
	assert_string_equal(lw_packet_nflog_prefix(&f.pkt, text, 4), "a\"?");
	frame_free(&f);
	/* an empty prefix is none */
	p.b[16] = 0;
	assert_int_equal(decode_frame(&f, &p, LW_LINK_NFLOG), LW_OK);
	assert_null(f.pkt.nflog_prefix);
	assert_string_equal(lw_packet_nflog_prefix(&f.pkt, text, sizeof text),
	    "");
	frame_free(&f);

	/* attributes after a snapped payload are not looked for; a damaged
	 * attribute after the payload does not spoil the packet */
	build_nflog_hw(&p);
	put_tlv_le(&p, 2, 11);			/* shorter than its header */
	expect_decode(&p, LW_LINK_NFLOG, LW_OK, LW_L_IPV4 | LW_L_UDP);
	/* every cut keeps the pointers inside the capture */
	build_nflog_hw(&p);
	for (size_t cut = 0; cut <= p.n; cut++) {
		(void)decode_frame_len(&f, &p, LW_LINK_NFLOG, cut, p.n);
		if (cut < 16)
			assert_null(f.pkt.nflog_prefix);
		frame_free(&f);
	}
}

static void test_pktap(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_pktap(&p);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_PKTAP), LW_OK);
	assert_int_equal(f.pkt.layers, L_ETH4 | LW_L_UDP);
	assert_ptr_equal(f.pkt.src_mac, f.data + 12 + 6);
	frame_free(&f);

	p.b[0] = 4;		/* shorter than its own fields */
	expect_decode(&p, LW_LINK_PKTAP, LW_MF_BAD_LINK, 0);
	p.b[0] = 200;		/* longer than the capture */
	expect_decode(&p, LW_LINK_PKTAP, LW_MF_TRUNCATED_LINK, 0);
	p.b[0] = 12;
	p.b[4] = 105;		/* inner 802.11: not followed */
	expect_decode(&p, LW_LINK_PKTAP, LW_OK, 0);

	/* raw IP behind PKTAP */
	pb_init(&p);
	putn(&p, "\x08\x00\x00\x00\x65\x00\x00\x00", 8);	/* len 8, RAW */
	tail_ipv6_udp(&p);
	pb_finish(&p);
	expect_decode(&p, LW_LINK_PKTAP, LW_OK, LW_L_IPV6 | LW_L_UDP);
}

static void test_link_types_supported_and_named(void **state)
{
	static const struct {
		int linktype;
		const char *name;
	} supported[] = {
		{ LW_LINK_NULL, "NULL" }, { LW_LINK_ETHERNET, "EN10MB" },
		{ LW_LINK_PPP, "PPP" }, { LW_LINK_PPP_HDLC, "PPP_HDLC" },
		{ LW_LINK_RAW, "RAW" }, { LW_LINK_RAW_ALT, "RAW" },
		{ LW_LINK_RAW_ALT2, "RAW" }, { LW_LINK_LOOP, "LOOP" },
		{ LW_LINK_LINUX_SLL, "LINUX_SLL" }, { LW_LINK_IPV4, "IPV4" },
		{ LW_LINK_IPV6, "IPV6" }, { LW_LINK_NFLOG, "NFLOG" },
		{ LW_LINK_LINUX_SLL2, "LINUX_SLL2" },
		{ LW_LINK_PKTAP, "PKTAP" },
	};
	static const int unsupported[] = { 127 /* radiotap */, 160, 2, 105,
	    147, -1, 65535 };
	(void)state;

	for (size_t i = 0; i < ARRAY_LEN(supported); i++) {
		assert_true(lw_link_supported(supported[i].linktype));
		assert_non_null(lw_link_name(supported[i].linktype));
		assert_string_equal(lw_link_name(supported[i].linktype),
		    supported[i].name);
	}
	for (size_t i = 0; i < ARRAY_LEN(unsupported); i++) {
		assert_false(lw_link_supported(unsupported[i]));
		assert_non_null(lw_link_name(unsupported[i]));
		assert_string_equal(lw_link_name(unsupported[i]), "unknown");
	}
}

static void test_unsupported_link_type_is_bad_link(void **state)
{
	struct pb p;
	(void)state;

	build_eth_ipv4_udp(&p);
	expect_decode(&p, 127, LW_MF_BAD_LINK, 0);
	expect_decode(&p, 160, LW_MF_BAD_LINK, 0);
}

static void test_decode_resets_previous_results(void **state)
{
	struct pb p;
	struct lw_packet pkt;
	(void)state;

	build_eth_arp_request(&p);
	memset(&pkt, 0xa5, sizeof pkt);
	pkt.ts_ns = 42;
	pkt.caplen = pkt.wirelen = (uint32_t)p.n;
	pkt.linktype = LW_LINK_ETHERNET;
	assert_int_equal(lw_decode(&pkt, p.b), LW_OK);
	assert_true(pkt.ts_ns == 42);
	assert_int_equal(pkt.layers, LW_L_ETH | LW_L_ARP);
	assert_int_equal(pkt.vlan, 0);
	assert_int_equal(pkt.vlan_tags, 0);
	assert_int_equal(pkt.src_ip.family, 0);
	assert_int_equal(pkt.ip_proto, 0);
	assert_int_equal(pkt.ttl, 0);
	assert_int_equal(pkt.src_port, 0);
	assert_int_equal(pkt.tcp_seq, 0);
	assert_int_equal(pkt.icmp_type, 0);
	assert_null(pkt.payload);
	assert_int_equal(pkt.payload_len, 0);
}

/* ------------------------------------------------------------------ */
/* 2. Every truncation point                                            */
/* ------------------------------------------------------------------ */

static void test_cuts_eth_ipv4_tcp(void **state)
{
	static const struct cut cuts[] = {
		{ 14, LW_MF_TRUNCATED_LINK, 0 },
		{ 34, LW_MF_TRUNCATED_IP, LW_L_ETH },
		{ 54, LW_MF_TRUNCATED_TCP, L_ETH4 },
		/* options cut: the fixed header is decoded */
		{ 66, LW_MF_TRUNCATED_TCP, L_ETH4 | LW_L_TCP },
		{ 76, LW_OK, L_ETH4 | LW_L_TCP },
	};
	struct pb p;
	(void)state;

	build_eth_ipv4_tcp(&p);
	CHECK_CUTS(&p, LW_LINK_ETHERNET, cuts);
}

static void test_cuts_eth_ipv4_udp(void **state)
{
	static const struct cut cuts[] = {
		{ 14, LW_MF_TRUNCATED_LINK, 0 },
		{ 34, LW_MF_TRUNCATED_IP, LW_L_ETH },
		{ 42, LW_MF_TRUNCATED_UDP, L_ETH4 },
		{ 54, LW_OK, L_ETH4 | LW_L_UDP },
	};
	struct pb p;
	(void)state;

	build_eth_ipv4_udp(&p);
	CHECK_CUTS(&p, LW_LINK_ETHERNET, cuts);
}

static void test_cuts_eth_ipv6_udp(void **state)
{
	static const struct cut cuts[] = {
		{ 14, LW_MF_TRUNCATED_LINK, 0 },
		{ 54, LW_MF_TRUNCATED_IPV6, LW_L_ETH },
		{ 62, LW_MF_TRUNCATED_UDP, L_ETH6 },
		{ 74, LW_OK, L_ETH6 | LW_L_UDP },
	};
	struct pb p;
	(void)state;

	build_eth_ipv6_udp(&p);
	CHECK_CUTS(&p, LW_LINK_ETHERNET, cuts);
}

static void test_cuts_ipv6_extension_chain(void **state)
{
	static const struct cut cuts[] = {
		{ 14, LW_MF_TRUNCATED_LINK, 0 },
		{ 54, LW_MF_TRUNCATED_IPV6, LW_L_ETH },
		{ 62, LW_MF_TRUNCATED_IPV6_EXT, L_ETH6 },	/* hop opts */
		{ 78, LW_MF_TRUNCATED_IPV6_EXT, L_ETH6 },	/* dst opts */
		{ 102, LW_MF_TRUNCATED_IPV6_EXT, L_ETH6 },	/* routing */
		{ 122, LW_MF_TRUNCATED_TCP, L_ETH6 },
		{ 130, LW_OK, L_ETH6 | LW_L_TCP },
	};
	struct pb p;
	(void)state;

	build_eth_ipv6_ext_tcp(&p);
	CHECK_CUTS(&p, LW_LINK_ETHERNET, cuts);
}

static void test_cuts_ipv6_fragments(void **state)
{
	static const struct cut first[] = {
		{ 14, LW_MF_TRUNCATED_LINK, 0 },
		{ 54, LW_MF_TRUNCATED_IPV6, LW_L_ETH },
		{ 62, LW_MF_TRUNCATED_IPV6_EXT, L_ETH6 },
		{ 70, LW_MF_TRUNCATED_UDP, L_ETH6 | LW_L_FRAG },
		{ 86, LW_OK, L_ETH6 | LW_L_FRAG | LW_L_UDP },
	};
	static const struct cut later[] = {
		{ 14, LW_MF_TRUNCATED_LINK, 0 },
		{ 54, LW_MF_TRUNCATED_IPV6, LW_L_ETH },
		{ 62, LW_MF_TRUNCATED_IPV6_EXT, L_ETH6 },
		{ 78, LW_OK, L_ETH6 | LW_L_FRAG },
	};
	struct pb p;
	(void)state;

	build_eth_ipv6_frag_first(&p);
	CHECK_CUTS(&p, LW_LINK_ETHERNET, first);
	build_eth_ipv6_frag_later(&p);
	CHECK_CUTS(&p, LW_LINK_ETHERNET, later);
}

/*
 * A cut inside the IPv4 options reports truncated_ip (the code's
 * "options cut by the snap length"), with the IPv4 layer and its fixed
 * fields decoded.  decode.h documents bad_ihl as "IHL < 5 or header past
 * caplen"; the code keeps bad_ihl for IHL < 5 only.
 */
static void test_cuts_ipv4_options(void **state)
{
	static const struct cut cuts[] = {
		{ 14, LW_MF_TRUNCATED_LINK, 0 },
		{ 34, LW_MF_TRUNCATED_IP, LW_L_ETH },
		{ 42, LW_MF_TRUNCATED_IP, L_ETH4 },
		{ 50, LW_MF_TRUNCATED_UDP, L_ETH4 },
		{ 56, LW_OK, L_ETH4 | LW_L_UDP },
	};
	struct pb p;
	struct frame f;
	(void)state;

	build_eth_ipv4_options(&p);
	CHECK_CUTS(&p, LW_LINK_ETHERNET, cuts);

	assert_int_equal(decode_frame_len(&f, &p, LW_LINK_ETHERNET, 38, p.n),
	    LW_MF_TRUNCATED_IP);
	assert_int_equal(f.pkt.ttl, 1);
	assert_memory_equal(f.pkt.dst_ip.bytes, ip4_b, 4);
	frame_free(&f);
}

static void test_cuts_ipv4_fragments(void **state)
{
	static const struct cut first[] = {
		{ 14, LW_MF_TRUNCATED_LINK, 0 },
		{ 34, LW_MF_TRUNCATED_IP, LW_L_ETH },
		{ 42, LW_MF_TRUNCATED_UDP, L_ETH4 | LW_L_FRAG },
		{ 58, LW_OK, L_ETH4 | LW_L_FRAG | LW_L_UDP },
	};
	static const struct cut later[] = {
		{ 14, LW_MF_TRUNCATED_LINK, 0 },
		{ 34, LW_MF_TRUNCATED_IP, LW_L_ETH },
		{ 54, LW_OK, L_ETH4 | LW_L_FRAG },
	};
	struct pb p;
	(void)state;

	build_eth_ipv4_frag_first(&p);
	CHECK_CUTS(&p, LW_LINK_ETHERNET, first);
	build_eth_ipv4_frag_later(&p);
	CHECK_CUTS(&p, LW_LINK_ETHERNET, later);
}

static void test_cuts_arp(void **state)
{
	static const struct cut cuts[] = {
		{ 14, LW_MF_TRUNCATED_LINK, 0 },
		{ 22, LW_MF_TRUNCATED_ARP, LW_L_ETH },
		/* sizes known, addresses cut: ARP counted, op decoded */
		{ 42, LW_MF_TRUNCATED_ARP, LW_L_ETH | LW_L_ARP },
	};
	struct pb p;
	struct frame f;
	(void)state;

	build_eth_arp_request(&p);
	CHECK_CUTS(&p, LW_LINK_ETHERNET, cuts);
	build_eth_arp_reply(&p);
	CHECK_CUTS(&p, LW_LINK_ETHERNET, cuts);

	assert_int_equal(decode_frame_len(&f, &p, LW_LINK_ETHERNET, 30, p.n),
	    LW_MF_TRUNCATED_ARP);
	assert_int_equal(f.pkt.arp_op, 2);
	assert_null(f.pkt.arp_sha);
	frame_free(&f);
}

/* ICMP needs only type, code and checksum: a cut in id/seq is payload. */
static void test_cuts_icmp_echo(void **state)
{
	static const struct cut cuts[] = {
		{ 14, LW_MF_TRUNCATED_LINK, 0 },
		{ 34, LW_MF_TRUNCATED_IP, LW_L_ETH },
		{ 38, LW_MF_TRUNCATED_ICMP, L_ETH4 },
		{ 58, LW_OK, L_ETH4 | LW_L_ICMP },
	};
	struct pb p;
	(void)state;

	build_eth_icmp_echo(&p);
	CHECK_CUTS(&p, LW_LINK_ETHERNET, cuts);
}

static void test_cuts_icmpv6_ns(void **state)
{
	static const struct cut cuts[] = {
		{ 14, LW_MF_TRUNCATED_LINK, 0 },
		{ 54, LW_MF_TRUNCATED_IPV6, LW_L_ETH },
		{ 58, LW_MF_TRUNCATED_ICMPV6, L_ETH6 },
		{ 86, LW_OK, L_ETH6 | LW_L_ICMPV6 },
	};
	struct pb p;
	(void)state;

	build_eth_icmpv6_ns(&p);
	CHECK_CUTS(&p, LW_LINK_ETHERNET, cuts);
}

static void test_cuts_vlan_single(void **state)
{
	static const struct cut cuts[] = {
		{ 14, LW_MF_TRUNCATED_LINK, 0 },
		{ 18, LW_MF_TRUNCATED_VLAN, LW_L_ETH },
		{ 38, LW_MF_TRUNCATED_IP, LW_L_ETH | LW_L_VLAN },
		{ 46, LW_MF_TRUNCATED_UDP, L_ETH4 | LW_L_VLAN },
		{ 50, LW_OK, L_ETH4 | LW_L_VLAN | LW_L_UDP },
	};
	struct pb p;
	(void)state;

	build_vlan_single(&p);
	CHECK_CUTS(&p, LW_LINK_ETHERNET, cuts);
}

static void test_cuts_vlan_qinq(void **state)
{
	static const struct cut cuts[] = {
		{ 14, LW_MF_TRUNCATED_LINK, 0 },
		{ 18, LW_MF_TRUNCATED_VLAN, LW_L_ETH },
		{ 22, LW_MF_TRUNCATED_VLAN, LW_L_ETH | LW_L_VLAN },
		{ 62, LW_MF_TRUNCATED_IPV6, LW_L_ETH | LW_L_VLAN },
		{ 70, LW_MF_TRUNCATED_UDP, L_ETH6 | LW_L_VLAN },
		{ 74, LW_OK, L_ETH6 | LW_L_VLAN | LW_L_UDP },
	};
	struct pb p;
	(void)state;

	build_vlan_qinq(&p);
	CHECK_CUTS(&p, LW_LINK_ETHERNET, cuts);
}

/* The depth limit is checked before the next tag's length: once four
 * tags are walked, a fifth is too deep even if it was not captured. */
static void test_cuts_vlan_too_deep(void **state)
{
	static const struct cut cuts[] = {
		{ 14, LW_MF_TRUNCATED_LINK, 0 },
		{ 18, LW_MF_TRUNCATED_VLAN, LW_L_ETH },
		{ 30, LW_MF_TRUNCATED_VLAN, LW_L_ETH | LW_L_VLAN },
		{ 62, LW_MF_VLAN_TOO_DEEP, LW_L_ETH | LW_L_VLAN },
	};
	struct pb p;
	(void)state;

	build_vlan_too_deep(&p);
	CHECK_CUTS(&p, LW_LINK_ETHERNET, cuts);
}

static void test_cuts_linux_sll(void **state)
{
	static const struct cut cuts[] = {
		{ 16, LW_MF_TRUNCATED_LINK, 0 },
		{ 36, LW_MF_TRUNCATED_IP, LW_L_SLL },
		{ 56, LW_MF_TRUNCATED_TCP, LW_L_SLL | LW_L_IPV4 },
		{ 60, LW_OK, LW_L_SLL | LW_L_IPV4 | LW_L_TCP },
	};
	struct pb p;
	(void)state;

	build_sll_ipv4_tcp(&p);
	CHECK_CUTS(&p, LW_LINK_LINUX_SLL, cuts);
}

static void test_cuts_linux_sll2(void **state)
{
	static const struct cut cuts[] = {
		{ 20, LW_MF_TRUNCATED_LINK, 0 },
		{ 60, LW_MF_TRUNCATED_IPV6, LW_L_SLL },
		{ 68, LW_MF_TRUNCATED_UDP, LW_L_SLL | LW_L_IPV6 },
		{ 72, LW_OK, LW_L_SLL | LW_L_IPV6 | LW_L_UDP },
	};
	struct pb p;
	(void)state;

	build_sll2_ipv6_udp(&p);
	CHECK_CUTS(&p, LW_LINK_LINUX_SLL2, cuts);
}

/*
 * Raw IP: with the version nibble unknown (DLT_RAW) an empty capture is
 * truncated_ip; once the nibble says 6 the rest of the header is
 * truncated_ipv6.  LINKTYPE_IPV4/IPV6 go straight to their header.
 */
static void test_cuts_raw_ip(void **state)
{
	static const struct cut v4[] = {
		{ 20, LW_MF_TRUNCATED_IP, 0 },
		{ 28, LW_MF_TRUNCATED_UDP, LW_L_IPV4 },
		{ 32, LW_OK, LW_L_IPV4 | LW_L_UDP },
	};
	static const struct cut raw_v6[] = {
		{ 1, LW_MF_TRUNCATED_IP, 0 },
		{ 40, LW_MF_TRUNCATED_IPV6, 0 },
		{ 48, LW_MF_TRUNCATED_UDP, LW_L_IPV6 },
		{ 52, LW_OK, LW_L_IPV6 | LW_L_UDP },
	};
	static const struct cut ipv6_v6[] = {
		{ 40, LW_MF_TRUNCATED_IPV6, 0 },
		{ 48, LW_MF_TRUNCATED_UDP, LW_L_IPV6 },
		{ 52, LW_OK, LW_L_IPV6 | LW_L_UDP },
	};
	struct pb p;
	(void)state;

	build_raw_ipv4(&p);
	CHECK_CUTS(&p, LW_LINK_RAW, v4);
	CHECK_CUTS(&p, LW_LINK_IPV4, v4);
	build_raw_ipv6(&p);
	CHECK_CUTS(&p, LW_LINK_RAW, raw_v6);
	CHECK_CUTS(&p, LW_LINK_IPV6, ipv6_v6);
}

static void test_cuts_null_and_loop(void **state)
{
	static const struct cut v4[] = {
		{ 4, LW_MF_TRUNCATED_LINK, 0 },
		{ 24, LW_MF_TRUNCATED_IP, 0 },
		{ 32, LW_MF_TRUNCATED_UDP, LW_L_IPV4 },
		{ 36, LW_OK, LW_L_IPV4 | LW_L_UDP },
	};
	static const struct cut v6[] = {
		{ 4, LW_MF_TRUNCATED_LINK, 0 },
		{ 44, LW_MF_TRUNCATED_IPV6, 0 },
		{ 52, LW_MF_TRUNCATED_UDP, LW_L_IPV6 },
		{ 56, LW_OK, LW_L_IPV6 | LW_L_UDP },
	};
	struct pb p;
	(void)state;

	build_prefixed(&p, "\x02\x00\x00\x00", 4, false);
	CHECK_CUTS(&p, LW_LINK_NULL, v4);
	build_prefixed(&p, "\x00\x00\x00\x02", 4, false);
	CHECK_CUTS(&p, LW_LINK_LOOP, v4);
	build_prefixed(&p, "\x1e\x00\x00\x00", 4, true);
	CHECK_CUTS(&p, LW_LINK_NULL, v6);
	build_prefixed(&p, "\x00\x00\x00\x18", 4, true);
	CHECK_CUTS(&p, LW_LINK_LOOP, v6);
}

/* A lone 0xff (address without control) is a truncated link header. */
static void test_cuts_ppp(void **state)
{
	static const struct cut hdlc_v4[] = {
		{ 4, LW_MF_TRUNCATED_LINK, 0 },
		{ 24, LW_MF_TRUNCATED_IP, LW_L_PPP },
		{ 32, LW_MF_TRUNCATED_UDP, LW_L_PPP | LW_L_IPV4 },
		{ 36, LW_OK, LW_L_PPP | LW_L_IPV4 | LW_L_UDP },
	};
	static const struct cut bare_v4[] = {
		{ 2, LW_MF_TRUNCATED_LINK, 0 },
		{ 22, LW_MF_TRUNCATED_IP, LW_L_PPP },
		{ 30, LW_MF_TRUNCATED_UDP, LW_L_PPP | LW_L_IPV4 },
		{ 34, LW_OK, LW_L_PPP | LW_L_IPV4 | LW_L_UDP },
	};
	static const struct cut pfc_v4[] = {
		{ 1, LW_MF_TRUNCATED_LINK, 0 },
		{ 21, LW_MF_TRUNCATED_IP, LW_L_PPP },
		{ 29, LW_MF_TRUNCATED_UDP, LW_L_PPP | LW_L_IPV4 },
		{ 33, LW_OK, LW_L_PPP | LW_L_IPV4 | LW_L_UDP },
	};
	static const struct cut hdlc_pfc_v6[] = {
		{ 3, LW_MF_TRUNCATED_LINK, 0 },
		{ 43, LW_MF_TRUNCATED_IPV6, LW_L_PPP },
		{ 51, LW_MF_TRUNCATED_UDP, LW_L_PPP | LW_L_IPV6 },
		{ 55, LW_OK, LW_L_PPP | LW_L_IPV6 | LW_L_UDP },
	};
	struct pb p;
	(void)state;

	build_prefixed(&p, "\xff\x03\x00\x21", 4, false);
	CHECK_CUTS(&p, LW_LINK_PPP, hdlc_v4);
	CHECK_CUTS(&p, LW_LINK_PPP_HDLC, hdlc_v4);
	build_prefixed(&p, "\x00\x21", 2, false);
	CHECK_CUTS(&p, LW_LINK_PPP, bare_v4);
	build_prefixed(&p, "\x21", 1, false);
	CHECK_CUTS(&p, LW_LINK_PPP, pfc_v4);
	build_prefixed(&p, "\xff\x03\x57", 3, true);
	CHECK_CUTS(&p, LW_LINK_PPP_HDLC, hdlc_pfc_v6);
}

static void test_cuts_pppoe(void **state)
{
	static const struct cut cuts[] = {
		{ 14, LW_MF_TRUNCATED_LINK, 0 },
		{ 22, LW_MF_TRUNCATED_LINK, LW_L_ETH },
		{ 42, LW_MF_TRUNCATED_IP, LW_L_ETH | LW_L_PPP },
		{ 50, LW_MF_TRUNCATED_UDP, L_ETH4 | LW_L_PPP },
		{ 54, LW_OK, L_ETH4 | LW_L_PPP | LW_L_UDP },
	};
	struct pb p;
	(void)state;

	build_pppoe(&p);
	CHECK_CUTS(&p, LW_LINK_ETHERNET, cuts);
}

/* A cut inside the 8-byte LLC/SNAP header cannot be told from plain LLC
 * and is passed over as "not ours" (LW_OK, Ethernet only). */
static void test_cuts_llc_snap(void **state)
{
	static const struct cut cuts[] = {
		{ 14, LW_MF_TRUNCATED_LINK, 0 },
		{ 22, LW_OK, LW_L_ETH },
		{ 42, LW_MF_TRUNCATED_IP, LW_L_ETH },
		{ 50, LW_MF_TRUNCATED_UDP, L_ETH4 },
		{ 54, LW_OK, L_ETH4 | LW_L_UDP },
	};
	struct pb p;
	(void)state;

	build_llc_snap(&p);
	CHECK_CUTS(&p, LW_LINK_ETHERNET, cuts);
}

/*
 * NFLOG: a cut that leaves fewer than 4 bytes after a TLV boundary ends
 * the TLV walk without a fault (nothing decoded); a cut inside a TLV's
 * body is truncated_link; inside the payload TLV the packet decodes as
 * far as it was captured, like any snapped frame.
 */
static void test_cuts_nflog(void **state)
{
	static const struct cut cuts[] = {
		{ 4, LW_MF_TRUNCATED_LINK, 0 },
		{ 8, LW_OK, 0 },
		{ 16, LW_MF_TRUNCATED_LINK, 0 },
		{ 20, LW_OK, 0 },
		{ 40, LW_MF_TRUNCATED_IP, 0 },
		{ 48, LW_MF_TRUNCATED_UDP, LW_L_IPV4 },
		{ 52, LW_OK, LW_L_IPV4 | LW_L_UDP },
	};
	struct pb p;
	(void)state;

	build_nflog(&p);
	CHECK_CUTS(&p, LW_LINK_NFLOG, cuts);
}

static void test_cuts_pktap(void **state)
{
	static const struct cut cuts[] = {
		{ 26, LW_MF_TRUNCATED_LINK, 0 },	/* PKTAP, then eth */
		{ 46, LW_MF_TRUNCATED_IP, LW_L_ETH },
		{ 54, LW_MF_TRUNCATED_UDP, L_ETH4 },
		{ 58, LW_OK, L_ETH4 | LW_L_UDP },
	};
	struct pb p;
	(void)state;

	build_pktap(&p);
	CHECK_CUTS(&p, LW_LINK_PKTAP, cuts);
}

/*
 * The same packets cut with wirelen = caplen: the frame really ended
 * there, so even a cut past every header contradicts the IP length and
 * each cut must be reported malformed, without any over-read.
 */
static void test_short_frames_are_always_malformed(void **state)
{
	static const struct {
		void (*build)(struct pb *);
		int linktype;
	} packets[] = {
		{ build_eth_ipv4_tcp, LW_LINK_ETHERNET },
		{ build_eth_ipv4_udp, LW_LINK_ETHERNET },
		{ build_eth_ipv6_udp, LW_LINK_ETHERNET },
		{ build_eth_ipv6_ext_tcp, LW_LINK_ETHERNET },
		{ build_eth_ipv6_frag_first, LW_LINK_ETHERNET },
		{ build_eth_ipv6_frag_later, LW_LINK_ETHERNET },
		{ build_eth_ipv4_options, LW_LINK_ETHERNET },
		{ build_eth_ipv4_frag_first, LW_LINK_ETHERNET },
		{ build_eth_ipv4_frag_later, LW_LINK_ETHERNET },
		{ build_eth_arp_request, LW_LINK_ETHERNET },
		{ build_eth_icmp_echo, LW_LINK_ETHERNET },
		{ build_eth_icmpv6_ns, LW_LINK_ETHERNET },
		{ build_vlan_single, LW_LINK_ETHERNET },
		{ build_vlan_qinq, LW_LINK_ETHERNET },
		{ build_vlan_too_deep, LW_LINK_ETHERNET },
		{ build_sll_ipv4_tcp, LW_LINK_LINUX_SLL },
		{ build_sll2_ipv6_udp, LW_LINK_LINUX_SLL2 },
		{ build_raw_ipv4, LW_LINK_RAW },
		{ build_raw_ipv6, LW_LINK_RAW },
		{ build_pppoe, LW_LINK_ETHERNET },
		{ build_nflog, LW_LINK_NFLOG },
		{ build_pktap, LW_LINK_PKTAP },
	};
	struct pb p;
	(void)state;

	for (size_t i = 0; i < ARRAY_LEN(packets); i++) {
		packets[i].build(&p);
		for (size_t n = 0; n < p.n; n++) {
			struct cut_result got = decode_cut(&p,
			    packets[i].linktype, n, n);
			if (!got.inside)
				fail_msg("packet %zu, cut at %zu: pointer past"
				    " the cut", i, n);
			/* NFLOG between TLVs: nothing claimed, nothing cut */
			if (packets[i].build == build_nflog &&
			    ((n >= 4 && n < 8) || (n >= 16 && n < 20)))
				continue;
			if (got.why == LW_OK)
				fail_msg("packet %zu, %zu of %zu bytes on the"
				    " wire: not reported", i, n, p.n);
		}
	}
}

/* ------------------------------------------------------------------ */
/* 3. Inconsistent length fields                                        */
/* ------------------------------------------------------------------ */

static void test_ipv4_ihl_below_five_is_bad_ihl(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_eth_ipv4_tcp(&p);
	for (unsigned ihl = 0; ihl < 5; ihl++) {
		p.b[14] = (uint8_t)(0x40 | ihl);
		assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET),
		    LW_MF_BAD_IHL);
		assert_int_equal(f.pkt.layers, LW_L_ETH);
		assert_int_equal(f.pkt.src_ip.family, 0);
		frame_free(&f);
	}
}

static void test_ipv4_total_length_below_header_is_bad_ip_len(void **state)
{
	struct pb p;
	(void)state;

	build_eth_ipv4_tcp(&p);
	set16(&p, 14 + 2, 19);
	expect_decode(&p, LW_LINK_ETHERNET, LW_MF_BAD_IP_LEN, LW_L_ETH);
	set16(&p, 14 + 2, 1);
	expect_decode(&p, LW_LINK_ETHERNET, LW_MF_BAD_IP_LEN, LW_L_ETH);

	/* IHL 7 (28 bytes) but total length 27 */
	build_eth_ipv4_options(&p);
	set16(&p, 14 + 2, 27);
	expect_decode(&p, LW_LINK_ETHERNET, LW_MF_BAD_IP_LEN, LW_L_ETH);
}

/* Total length 0 (segmentation offload): the frame's length is used. */
static void test_ipv4_total_length_zero_uses_frame(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_eth_ipv4_tcp(&p);
	set16(&p, 14 + 2, 0);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET), LW_OK);
	assert_int_equal(f.pkt.layers, L_ETH4 | LW_L_TCP);
	assert_int_equal(f.pkt.payload_len, 10);
	frame_free(&f);
}

static void test_ip_version_mismatch(void **state)
{
	struct pb p;
	(void)state;

	build_eth_ipv4_udp(&p);
	p.b[14] = 0x65;		/* version 6 behind ethertype IPv4 */
	expect_decode(&p, LW_LINK_ETHERNET, LW_MF_BAD_IP_VERSION, LW_L_ETH);
	build_eth_ipv6_udp(&p);
	p.b[14] = 0x45;		/* version 4 behind ethertype IPv6 */
	expect_decode(&p, LW_LINK_ETHERNET, LW_MF_BAD_IP_VERSION, LW_L_ETH);

	/* the link type promises one version */
	build_raw_ipv6(&p);
	expect_decode(&p, LW_LINK_IPV4, LW_MF_BAD_IP_VERSION, 0);
	build_prefixed(&p, NULL, 0, false);
	put_fill(&p, 20, 0);	/* 52 bytes: a whole IPv6 header's worth */
	pb_finish(&p);
	expect_decode(&p, LW_LINK_IPV6, LW_MF_BAD_IP_VERSION, 0);
	/* IPv6 checks its 40-byte length before the version nibble */
	build_raw_ipv4(&p);
	expect_decode(&p, LW_LINK_IPV6, LW_MF_TRUNCATED_IPV6, 0);

	/* raw IP: neither 4 nor 6 */
	for (unsigned v = 0; v < 16; v++) {
		if (v == 4 || v == 6)
			continue;
		p.b[0] = (uint8_t)(v << 4 | 5);
		expect_decode(&p, LW_LINK_RAW, LW_MF_BAD_IP_VERSION, 0);
	}
}

/*
 * The IPv4 total length claims more than the frame carried (caplen ==
 * wirelen): truncated_ip is recorded but decoding goes on, the payload
 * bounded by what was captured.
 */
static void test_ipv4_total_length_beyond_frame(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_eth_ipv4_tcp(&p);
	set16(&p, 14 + 2, 62 + 100);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET),
	    LW_MF_TRUNCATED_IP);
	assert_int_equal(f.pkt.layers, L_ETH4 | LW_L_TCP);
	assert_int_equal(f.pkt.src_port, 40000);
	assert_int_equal(f.pkt.tcp_flags, LW_TCP_PSH | LW_TCP_ACK);
	assert_ptr_equal(f.pkt.payload, f.data + 66);
	assert_int_equal(f.pkt.payload_len, 10);
	frame_free(&f);
}

/* The same claim within wirelen is a snapped capture, not a fault. */
static void test_snapped_capture_is_not_malformed(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_eth_ipv4_tcp(&p);
	assert_int_equal(decode_frame_len(&f, &p, LW_LINK_ETHERNET, 70, 76),
	    LW_OK);
	assert_int_equal(f.pkt.payload_len, 4);
	frame_free(&f);

	set16(&p, 14 + 2, 62 + 100);
	assert_int_equal(decode_frame_len(&f, &p, LW_LINK_ETHERNET, 76,
	    14 + 162), LW_OK);
	assert_int_equal(f.pkt.payload_len, 10);
	frame_free(&f);
}

static void test_ipv6_payload_length_beyond_frame(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_eth_ipv6_udp(&p);
	set16(&p, 14 + 4, 20 + 100);
	set16(&p, 54 + 4, 20 + 100);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET),
	    LW_MF_TRUNCATED_IPV6);
	assert_int_equal(f.pkt.layers, L_ETH6 | LW_L_UDP);	/* goes on */
	assert_int_equal(f.pkt.dst_port, 547);
	assert_int_equal(f.pkt.payload_len, 12);
	frame_free(&f);
}

/* An extension header past the IPv6 payload length, although captured. */
static void test_ipv6_ext_header_past_payload_length(void **state)
{
	struct pb p;
	(void)state;

	build_eth_ipv6_ext_tcp(&p);
	set16(&p, 14 + 4, 8 + 8);	/* hop-by-hop and half the dst opts */
	expect_decode(&p, LW_LINK_ETHERNET, LW_MF_TRUNCATED_IPV6_EXT, L_ETH6);
}

static void build_ipv6_ext_run(struct pb *p, int count)
{
	pb_init(p);
	hdr_eth(p, mac_b, mac_a, 0x86dd);
	hdr_ipv6(p, 60, 64, ip6_a, ip6_b);
	for (int i = 0; i < count; i++)
		hdr_ext6(p, i + 1 < count ? 60 : 17, 0);
	hdr_udp(p, 1, 2);
	pb_finish(p);
}

static void test_ipv6_extension_header_limit(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_ipv6_ext_run(&p, LW_MAX_IPV6_EXT);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET), LW_OK);
	assert_int_equal(f.pkt.layers, L_ETH6 | LW_L_UDP);
	assert_int_equal(f.pkt.ip_proto, 17);
	frame_free(&f);

	build_ipv6_ext_run(&p, LW_MAX_IPV6_EXT + 1);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET),
	    LW_MF_IPV6_EXT_TOO_MANY);
	assert_int_equal(f.pkt.layers, L_ETH6);
	frame_free(&f);
}

static void test_tcp_offset_below_five(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_eth_ipv4_tcp(&p);
	for (unsigned off = 0; off < 5; off++) {
		p.b[34 + 12] = (uint8_t)(off << 4);
		assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET),
		    LW_MF_BAD_TCP_OFFSET);
		/* the fixed header was there: ports and flags are known */
		assert_int_equal(f.pkt.layers, L_ETH4 | LW_L_TCP);
		assert_int_equal(f.pkt.src_port, 40000);
		assert_int_equal(f.pkt.tcp_seq, 0x01020304);
		assert_null(f.pkt.payload);
		frame_free(&f);
	}
}

/* 0 eth | 14 IPv4 | 34 TCP | 54, a bare ACK */
static void build_eth_ipv4_bare_ack(struct pb *p)
{
	pb_init(p);
	hdr_eth(p, mac_b, mac_a, 0x0800);
	hdr_ipv4(p, 6, 64, 0, NULL, 0);
	hdr_tcp(p, 40000, 443, 1, 2, LW_TCP_ACK, NULL, 0);
	pb_finish(p);
}

static void test_tcp_offset_past_segment(void **state)
{
	struct pb p;
	(void)state;

	/* the segment is 42 bytes: 44 and 60 bytes of header are too many */
	build_eth_ipv4_tcp(&p);
	p.b[34 + 12] = 11 << 4;
	expect_decode(&p, LW_LINK_ETHERNET, LW_MF_BAD_TCP_OFFSET,
	    L_ETH4 | LW_L_TCP);
	p.b[34 + 12] = 15 << 4;
	expect_decode(&p, LW_LINK_ETHERNET, LW_MF_BAD_TCP_OFFSET,
	    L_ETH4 | LW_L_TCP);
	p.b[34 + 12] = 10 << 4;		/* exactly the segment: fine */
	expect_decode(&p, LW_LINK_ETHERNET, LW_OK, L_ETH4 | LW_L_TCP);

	/* captured, but in the Ethernet padding, not in the IP datagram */
	build_eth_ipv4_bare_ack(&p);
	put_fill(&p, 60 - p.n, 0);
	p.b[34 + 12] = 6 << 4;
	expect_decode(&p, LW_LINK_ETHERNET, LW_MF_BAD_TCP_OFFSET,
	    L_ETH4 | LW_L_TCP);
}

static void test_udp_length_below_header(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_eth_ipv4_udp(&p);
	for (unsigned len = 0; len < 8; len++) {
		set16(&p, 34 + 4, len);
		assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET),
		    LW_MF_BAD_UDP_LEN);
		assert_int_equal(f.pkt.layers, L_ETH4 | LW_L_UDP);
		assert_int_equal(f.pkt.dst_port, 53);
		assert_null(f.pkt.payload);
		frame_free(&f);
	}
}

static void test_udp_length_past_ip_payload(void **state)
{
	struct pb p;
	(void)state;

	build_eth_ipv4_udp(&p);
	set16(&p, 34 + 4, 20 + 1);
	expect_decode(&p, LW_LINK_ETHERNET, LW_MF_BAD_UDP_LEN,
	    L_ETH4 | LW_L_UDP);
	build_eth_ipv6_udp(&p);
	set16(&p, 54 + 4, 20 + 1);
	expect_decode(&p, LW_LINK_ETHERNET, LW_MF_BAD_UDP_LEN,
	    L_ETH6 | LW_L_UDP);
}

/* A UDP length short of the IP payload bounds the payload. */
static void test_udp_length_short_of_ip_payload(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_eth_ipv4_udp(&p);
	set16(&p, 34 + 4, 8 + 2);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET), LW_OK);
	assert_int_equal(f.pkt.payload_len, 2);
	frame_free(&f);
}

static void test_arp_bad_sizes(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_eth_arp_request(&p);
	p.b[14 + 4] = 0xff;	/* hardware size */
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET),
	    LW_MF_BAD_ARP);
	assert_int_equal(f.pkt.layers, LW_L_ETH | LW_L_ARP);
	assert_int_equal(f.pkt.arp_op, 1);
	assert_null(f.pkt.arp_sha);
	assert_int_equal(f.pkt.arp_spa.family, 0);
	frame_free(&f);

	build_eth_arp_request(&p);
	p.b[14 + 5] = 16;	/* protocol size */
	expect_decode(&p, LW_LINK_ETHERNET, LW_MF_BAD_ARP,
	    LW_L_ETH | LW_L_ARP);
}

/* ARP for other hardware or protocols is counted, not checked. */
static void test_arp_other_types_are_counted_only(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_eth_arp_request(&p);
	set16(&p, 14, 6);		/* IEEE 802 hardware */
	p.b[14 + 4] = 0xff;
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET), LW_OK);
	assert_int_equal(f.pkt.layers, LW_L_ETH | LW_L_ARP);
	assert_null(f.pkt.arp_sha);
	frame_free(&f);

	build_eth_arp_request(&p);
	set16(&p, 14 + 2, 0x86dd);	/* IPv6 protocol */
	expect_decode(&p, LW_LINK_ETHERNET, LW_OK, LW_L_ETH | LW_L_ARP);
}

/*
 * Ethernet pads short frames to 60 bytes (and some captures keep the
 * FCS): bytes past the IP datagram are not payload.
 */
static void test_ethernet_padding_is_not_payload(void **state)
{
	struct pb p;
	struct frame f;
	(void)state;

	build_eth_ipv4_bare_ack(&p);
	put_fill(&p, 60 - p.n, 0xee);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET), LW_OK);
	assert_int_equal(f.pkt.layers, L_ETH4 | LW_L_TCP);
	assert_ptr_equal(f.pkt.payload, f.data + 54);
	assert_int_equal(f.pkt.payload_len, 0);
	frame_free(&f);

	build_eth_ipv4_tcp(&p);
	put_fill(&p, 4, 0xee);	/* FCS */
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET), LW_OK);
	assert_int_equal(f.pkt.payload_len, 10);
	frame_free(&f);

	pb_init(&p);
	hdr_eth(&p, mac_b, mac_a, 0x0800);
	hdr_ipv4(&p, 17, 64, 0, NULL, 0);
	hdr_udp(&p, 1000, 53);
	putn(&p, "ok", 2);
	pb_finish(&p);
	put_fill(&p, 60 - p.n, 0xee);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET), LW_OK);
	assert_int_equal(f.pkt.payload_len, 2);
	frame_free(&f);

	pb_init(&p);
	hdr_eth(&p, mac_b, mac_a, 0x0800);
	hdr_ipv4(&p, 1, 64, 0, NULL, 0);
	hdr_icmp(&p, 0, 0, 0x12340001);	/* echo reply, no data */
	pb_finish(&p);
	put_fill(&p, 60 - p.n, 0xee);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET), LW_OK);
	assert_int_equal(f.pkt.layers, L_ETH4 | LW_L_ICMP);
	assert_int_equal(f.pkt.payload_len, 4);
	frame_free(&f);

	build_eth_ipv6_udp(&p);
	put_fill(&p, 10, 0xee);
	assert_int_equal(decode_frame(&f, &p, LW_LINK_ETHERNET), LW_OK);
	assert_int_equal(f.pkt.payload_len, 12);
	frame_free(&f);
}

/* ------------------------------------------------------------------ */
/* 4. Names and formatting                                              */
/* ------------------------------------------------------------------ */

static bool is_snake_case(const char *s)
{
	if (*s < 'a' || *s > 'z')
		return false;
	for (const char *c = s; *c; c++) {
		bool ok = (*c >= 'a' && *c <= 'z') ||
		    (*c >= '0' && *c <= '9') || *c == '_';
		if (!ok || (c[0] == '_' && (c[1] == '_' || c[1] == '\0')))
			return false;
	}
	return true;
}

static void test_malformed_names(void **state)
{
	(void)state;

	for (int i = 0; i < LW_MF_COUNT; i++) {
		const char *name = lw_malformed_name((enum lw_malformed)i);
		assert_non_null(name);
		if (!is_snake_case(name))
			fail_msg("reason %d: name \"%s\" is not snake_case", i,
			    name);
		assert_string_not_equal(name, "unknown");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(name,
			    lw_malformed_name((enum lw_malformed)j));
	}
	/* names in --stats and stats events: keep them stable */
	assert_string_equal(lw_malformed_name(LW_OK), "ok");
	assert_string_equal(lw_malformed_name(LW_MF_TRUNCATED_IP),
	    "truncated_ip");
	assert_string_equal(lw_malformed_name(LW_MF_BAD_IHL), "bad_ihl");
	assert_string_equal(lw_malformed_name(LW_MF_VLAN_TOO_DEEP),
	    "vlan_too_deep");
	assert_string_equal(lw_malformed_name(LW_MF_TRUNCATED_ICMPV6),
	    "truncated_icmpv6");
	assert_string_equal(lw_malformed_name(LW_MF_COUNT), "unknown");
	assert_string_equal(lw_malformed_name((enum lw_malformed)-1),
	    "unknown");
}

static void expect_addr(uint8_t family, const uint8_t *bytes, size_t len,
    const char *want)
{
	struct lw_addr a;
	char buf[64];

	memset(&a, 0, sizeof a);
	a.family = family;
	memcpy(a.bytes, bytes, len);
	assert_ptr_equal(lw_addr_str(&a, buf, sizeof buf), buf);
	assert_string_equal(buf, want);
}

static void test_addr_str(void **state)
{
	static const uint8_t zero16[16] = { 0 };
	static const uint8_t loop6[16] = { [15] = 1 };
	static const uint8_t mapped[16] = { [10] = 0xff, 0xff, 192, 0, 2, 1 };
	static const uint8_t runs[16] = { 0x20, 0x01, [7] = 1, [9] = 0,
	    [15] = 1 };		/* 2001:0:0:1:0:0:0:1 */
	struct lw_addr a;
	char small[8];
	(void)state;

	expect_addr(4, ip4_a, 4, "192.168.1.10");
	expect_addr(4, zero16, 4, "0.0.0.0");
	expect_addr(6, ip6_b, 16, "2001:db8::2");
	expect_addr(6, ip6_a, 16, "fe80::211:22ff:fe33:4455");
	expect_addr(6, ip6_sn, 16, "ff02::1:ff00:2");
	expect_addr(6, zero16, 16, "::");
	expect_addr(6, loop6, 16, "::1");
	expect_addr(6, mapped, 16, "::ffff:192.0.2.1");
	expect_addr(6, runs, 16, "2001:0:0:1::1");	/* longest run */
	expect_addr(0, ip4_a, 4, "-");

	/* a buffer too small for the text: "-", never an overflow */
	memset(&a, 0, sizeof a);
	a.family = 6;
	memcpy(a.bytes, ip6_a, 16);
	assert_string_equal(lw_addr_str(&a, small, sizeof small), "-");
}

static void test_mac_str(void **state)
{
	static const uint8_t mixed[6] = { 0x00, 0x1A, 0x2b, 0xC3, 0x04, 0xFF };
	char buf[18], small[17];
	(void)state;

	assert_ptr_equal(lw_mac_str(mixed, buf, sizeof buf), buf);
	assert_string_equal(buf, "00:1a:2b:c3:04:ff");
	assert_string_equal(lw_mac_str(mac_b, buf, sizeof buf),
	    "66:77:88:99:aa:bb");
	assert_string_equal(lw_mac_str(mac_bcast, buf, sizeof buf),
	    "ff:ff:ff:ff:ff:ff");
	/* too small: empty, not truncated or overflowed */
	memset(small, 'x', sizeof small);
	assert_string_equal(lw_mac_str(mixed, small, sizeof small), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* 1. happy paths */
		cmocka_unit_test(test_eth_ipv4_tcp_with_options),
		cmocka_unit_test(test_eth_ipv4_udp),
		cmocka_unit_test(test_eth_ipv6_udp),
		cmocka_unit_test(test_ipv6_extension_chain_before_tcp),
		cmocka_unit_test(test_ipv6_first_fragment_has_l4),
		cmocka_unit_test(test_ipv6_later_fragment_has_no_l4),
		cmocka_unit_test(test_ipv6_later_fragment_data_is_not_walked),
		cmocka_unit_test(test_ipv4_options_are_skipped),
		cmocka_unit_test(test_ipv4_first_fragment_has_l4),
		cmocka_unit_test(test_ipv4_later_fragment_has_no_l4),
		cmocka_unit_test(test_arp_request),
		cmocka_unit_test(test_arp_reply),
		cmocka_unit_test(test_rarp_uses_the_arp_decoder),
		cmocka_unit_test(test_icmp_echo),
		cmocka_unit_test(test_icmpv6_neighbour_solicitation),
		cmocka_unit_test(test_vlan_8021q_single_tag),
		cmocka_unit_test(test_vlan_8021ad_qinq_reports_outer),
		cmocka_unit_test(test_vlan_max_depth_decodes),
		cmocka_unit_test(test_vlan_too_deep),
		cmocka_unit_test(test_linux_sll),
		cmocka_unit_test(test_linux_sll2),
		cmocka_unit_test(test_raw_ip_by_version_nibble),
		cmocka_unit_test(test_linktype_ipv4),
		cmocka_unit_test(test_linktype_ipv6),
		cmocka_unit_test(test_null_and_loop_families),
		cmocka_unit_test(test_ppp_framings),
		cmocka_unit_test(test_pppoe_session),
		cmocka_unit_test(test_llc_snap),
		cmocka_unit_test(test_nflog),
		cmocka_unit_test(test_nflog_meta),
		cmocka_unit_test(test_pktap),
		cmocka_unit_test(test_link_types_supported_and_named),
		cmocka_unit_test(test_unsupported_link_type_is_bad_link),
		cmocka_unit_test(test_decode_resets_previous_results),
		/* 2. every truncation point */
		cmocka_unit_test(test_cuts_eth_ipv4_tcp),
		cmocka_unit_test(test_cuts_eth_ipv4_udp),
		cmocka_unit_test(test_cuts_eth_ipv6_udp),
		cmocka_unit_test(test_cuts_ipv6_extension_chain),
		cmocka_unit_test(test_cuts_ipv6_fragments),
		cmocka_unit_test(test_cuts_ipv4_options),
		cmocka_unit_test(test_cuts_ipv4_fragments),
		cmocka_unit_test(test_cuts_arp),
		cmocka_unit_test(test_cuts_icmp_echo),
		cmocka_unit_test(test_cuts_icmpv6_ns),
		cmocka_unit_test(test_cuts_vlan_single),
		cmocka_unit_test(test_cuts_vlan_qinq),
		cmocka_unit_test(test_cuts_vlan_too_deep),
		cmocka_unit_test(test_cuts_linux_sll),
		cmocka_unit_test(test_cuts_linux_sll2),
		cmocka_unit_test(test_cuts_raw_ip),
		cmocka_unit_test(test_cuts_null_and_loop),
		cmocka_unit_test(test_cuts_ppp),
		cmocka_unit_test(test_cuts_pppoe),
		cmocka_unit_test(test_cuts_llc_snap),
		cmocka_unit_test(test_cuts_nflog),
		cmocka_unit_test(test_cuts_pktap),
		cmocka_unit_test(test_short_frames_are_always_malformed),
		/* 3. inconsistent length fields */
		cmocka_unit_test(test_ipv4_ihl_below_five_is_bad_ihl),
		cmocka_unit_test(
		    test_ipv4_total_length_below_header_is_bad_ip_len),
		cmocka_unit_test(test_ipv4_total_length_zero_uses_frame),
		cmocka_unit_test(test_ip_version_mismatch),
		cmocka_unit_test(test_ipv4_total_length_beyond_frame),
		cmocka_unit_test(test_snapped_capture_is_not_malformed),
		cmocka_unit_test(test_ipv6_payload_length_beyond_frame),
		cmocka_unit_test(test_ipv6_ext_header_past_payload_length),
		cmocka_unit_test(test_ipv6_extension_header_limit),
		cmocka_unit_test(test_tcp_offset_below_five),
		cmocka_unit_test(test_tcp_offset_past_segment),
		cmocka_unit_test(test_udp_length_below_header),
		cmocka_unit_test(test_udp_length_past_ip_payload),
		cmocka_unit_test(test_udp_length_short_of_ip_payload),
		cmocka_unit_test(test_arp_bad_sizes),
		cmocka_unit_test(test_arp_other_types_are_counted_only),
		cmocka_unit_test(test_ethernet_padding_is_not_payload),
		/* 4. names and formatting */
		cmocka_unit_test(test_malformed_names),
		cmocka_unit_test(test_addr_str),
		cmocka_unit_test(test_mac_str),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
