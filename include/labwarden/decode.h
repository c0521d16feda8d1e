/*
 * decode.h - L2..L4 packet decoder.
 *
 * lw_decode() turns one captured frame into a struct lw_packet: pointers
 * into the caller's buffer plus a few parsed fields.  It never allocates,
 * never reads past caplen or past a header's own length fields, and
 * records the first inconsistency it meets as a lw_malformed reason.
 * A malformed packet still carries every layer decoded before the fault.
 */
#ifndef LABWARDEN_DECODE_H
#define LABWARDEN_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Link types we decode (values are LINKTYPE_* / DLT_* numbers). */
#define LW_LINK_NULL      0    /* BSD loopback, host byte order family */
#define LW_LINK_ETHERNET  1
#define LW_LINK_PPP       9
#define LW_LINK_PPP_HDLC  50   /* PPP in HDLC-like framing */
#define LW_LINK_RAW       101  /* raw IPv4 or IPv6, by version nibble */
#define LW_LINK_LOOP      108  /* OpenBSD loopback, network byte order */
#define LW_LINK_LINUX_SLL 113
#define LW_LINK_IPV4      228
#define LW_LINK_IPV6      229
#define LW_LINK_NFLOG     239
#define LW_LINK_LINUX_SLL2 276
#define LW_LINK_PKTAP     258  /* Apple PKTAP wrapping another link type */
#define LW_LINK_RAW_ALT   12   /* DLT_RAW as some BSDs number it */
#define LW_LINK_RAW_ALT2  14

/* Bounds on loops driven by packet contents. */
#define LW_MAX_VLAN_TAGS   4
#define LW_MAX_IPV6_EXT    8

/* Layers present in a decoded packet (bit mask). */
enum lw_layer {
	LW_L_ETH    = 1u << 0,
	LW_L_VLAN   = 1u << 1,
	LW_L_ARP    = 1u << 2,
	LW_L_IPV4   = 1u << 3,
	LW_L_IPV6   = 1u << 4,
	LW_L_TCP    = 1u << 5,
	LW_L_UDP    = 1u << 6,
	LW_L_ICMP   = 1u << 7,
	LW_L_ICMPV6 = 1u << 8,
	LW_L_PPP    = 1u << 9,
	LW_L_SLL    = 1u << 10,
	LW_L_FRAG   = 1u << 11,	/* IP fragment (first or not) */
};

/*
 * Why a packet could not be decoded completely.  Keep in step with
 * lw_malformed_name(); the names appear in --stats and stats events.
 */
enum lw_malformed {
	LW_OK = 0,
	LW_MF_TRUNCATED_LINK,	/* shorter than the link header */
	LW_MF_BAD_LINK,		/* link header inconsistent (e.g. NFLOG TLV) */
	LW_MF_TRUNCATED_VLAN,
	LW_MF_VLAN_TOO_DEEP,
	LW_MF_TRUNCATED_ARP,
	LW_MF_BAD_ARP,		/* hardware/protocol sizes not Ethernet/IPv4 */
	LW_MF_TRUNCATED_IP,	/* shorter than the fixed IPv4 header */
	LW_MF_BAD_IP_VERSION,
	LW_MF_BAD_IHL,		/* IHL < 5 (options cut short: truncated_ip) */
	LW_MF_BAD_IP_LEN,	/* total length < IHL */
	LW_MF_TRUNCATED_IPV6,
	LW_MF_TRUNCATED_IPV6_EXT,
	LW_MF_IPV6_EXT_TOO_MANY,
	LW_MF_TRUNCATED_TCP,
	LW_MF_BAD_TCP_OFFSET,	/* data offset < 5 or past the segment */
	LW_MF_TRUNCATED_UDP,
	LW_MF_BAD_UDP_LEN,
	LW_MF_TRUNCATED_ICMP,
	LW_MF_TRUNCATED_ICMPV6,
	LW_MF_COUNT
};

/* An IPv4 or IPv6 address; IPv4 is kept in the first 4 bytes. */
struct lw_addr {
	uint8_t family;		/* 0 (none), 4 or 6 */
	uint8_t bytes[16];
};

/* ICMPv6 types the sensor cares about later (neighbour discovery). */
#define LW_ICMP6_RS 133
#define LW_ICMP6_RA 134
#define LW_ICMP6_NS 135
#define LW_ICMP6_NA 136

/* TCP flag bits as on the wire. */
#define LW_TCP_FIN 0x01
#define LW_TCP_SYN 0x02
#define LW_TCP_RST 0x04
#define LW_TCP_PSH 0x08
#define LW_TCP_ACK 0x10
#define LW_TCP_URG 0x20

struct lw_packet {
	/* Capture facts, filled by the caller before lw_decode(). */
	uint64_t ts_ns;		/* packet time, ns since the epoch */
	uint32_t caplen;
	uint32_t wirelen;
	int	 linktype;

	uint32_t layers;	/* enum lw_layer bits */
	enum lw_malformed malformed;

	/* L2 */
	const uint8_t *src_mac;	/* 6 bytes, or NULL */
	const uint8_t *dst_mac;
	uint16_t vlan;		/* outer VLAN id, valid if LW_L_VLAN */
	uint8_t	 vlan_tags;	/* number of tags walked */
	uint16_t ethertype;	/* innermost ethertype (after tags) */

	/* NFLOG (DLT_NFLOG): the group and the rule's log prefix, which
	 * points into the frame, is not NUL-terminated and may hold any
	 * byte (see lw_packet_nflog_prefix); NULL when absent or empty. */
	uint16_t nflog_group;
	uint16_t nflog_prefix_len;
	const uint8_t *nflog_prefix;

	/* ARP (Ethernet/IPv4 only) */
	uint16_t arp_op;
	const uint8_t *arp_sha;	/* sender hardware address, 6 bytes */
	const uint8_t *arp_tha;
	struct lw_addr arp_spa;
	struct lw_addr arp_tpa;

	/* L3 */
	struct lw_addr src_ip;
	struct lw_addr dst_ip;
	uint8_t	 ip_proto;	/* upper-layer protocol (after IPv6 ext) */
	uint8_t	 ttl;		/* TTL or hop limit */
	uint16_t frag_offset;	/* in bytes; nonzero only for later frags */

	/* L4 */
	uint16_t src_port;
	uint16_t dst_port;
	uint8_t	 tcp_flags;
	uint32_t tcp_seq;
	uint32_t tcp_ack;
	uint8_t	 icmp_type;
	uint8_t	 icmp_code;

	/* L4 payload: bounded by caplen and by the IP/UDP length fields. */
	const uint8_t *payload;
	uint32_t payload_len;
};

/* Is this link type one lw_decode() understands? */
bool lw_link_supported(int linktype);

/* Human name of a link type ("EN10MB", "LINUX_SLL2"...), never NULL. */
const char *lw_link_name(int linktype);

/*
 * Decode data[0..pkt->caplen) according to pkt->linktype.  The caller sets
 * ts_ns, caplen, wirelen and linktype; everything else is reset here.
 * Returns pkt->malformed (LW_OK when every present header was sound).
 */
enum lw_malformed lw_decode(struct lw_packet *pkt, const uint8_t *data);

/* Stable snake_case name of a malformed reason ("truncated_ip"...). */
const char *lw_malformed_name(enum lw_malformed reason);

/* The longest NFLOG prefix kept (the kernel allows 127 characters). */
#define LW_NFLOG_PREFIX_MAX 127

/* The NFLOG prefix as printable ASCII (other bytes become '?'), NUL-
 * terminated in buf; "" when the packet has none. */
const char *lw_packet_nflog_prefix(const struct lw_packet *pkt, char *buf,
	    size_t len);

/* Format an address as text; buf must hold at least 46 bytes. */
const char *lw_addr_str(const struct lw_addr *addr, char *buf, size_t len);

/* Format 6 bytes as lowercase aa:bb:cc:dd:ee:ff; buf holds 18 bytes. */
const char *lw_mac_str(const uint8_t *mac, char *buf, size_t len);

#endif
