/*
 * decode_link.c - link layers: the entry point lw_decode(), Ethernet with
 * VLAN tags, LLC/SNAP and PPPoE, Linux cooked v1/v2, BSD loopback, PPP,
 * NFLOG and raw IP.  Each function checks the bytes it reads against
 * the cursor before reading them and hands the rest to the IP layer.
 */
#include <string.h>

#include "decode_int.h"

#define ETH_HDR_LEN	14
#define VLAN_TAG_LEN	4
#define SLL_HDR_LEN	16
#define SLL2_HDR_LEN	20
#define NULL_HDR_LEN	4
#define PPPOE_HDR_LEN	8	/* 6 bytes PPPoE + 2 bytes PPP protocol */
#define NFLOG_HDR_LEN	4
#define NFLOG_TLV_LEN	4
#define NFLOG_TYPE_MASK	0x3fff	/* without the nested, byte order bits */
#define NFULA_HWADDR	8	/* linux/netfilter/nfnetlink_log.h */
#define NFULA_PAYLOAD	9
#define NFULA_PREFIX	10
#define NFULA_HWTYPE	15
#define NFULA_HWHEADER	16
#define NFPROTO_IPV4	2
#define NFPROTO_ARP	3
#define NFPROTO_IPV6	10
#define ARPHRD_ETHER	1
#define PKTAP_MIN_LEN	8	/* length + inner link type */

#define ETHERTYPE_IPV4	0x0800
#define ETHERTYPE_ARP	0x0806
#define ETHERTYPE_RARP	0x8035	/* same header as ARP (RFC 903) */
#define ETHERTYPE_IPV6	0x86dd
#define ETHERTYPE_VLAN	0x8100
#define ETHERTYPE_QINQ	0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100
#define ETHERTYPE_PPPOE	0x8864

#define PPP_IPV4	0x0021
#define PPP_IPV6	0x0057

static const struct {
	int linktype;
	const char *name;
} link_names[] = {
	{ LW_LINK_NULL, "NULL" },
	{ LW_LINK_ETHERNET, "EN10MB" },
	{ LW_LINK_PPP, "PPP" },
	{ LW_LINK_RAW_ALT, "RAW" },
	{ LW_LINK_RAW_ALT2, "RAW" },
	{ LW_LINK_PPP_HDLC, "PPP_HDLC" },
	{ LW_LINK_RAW, "RAW" },
	{ LW_LINK_LOOP, "LOOP" },
	{ LW_LINK_LINUX_SLL, "LINUX_SLL" },
	{ LW_LINK_IPV4, "IPV4" },
	{ LW_LINK_IPV6, "IPV6" },
	{ LW_LINK_NFLOG, "NFLOG" },
	{ LW_LINK_LINUX_SLL2, "LINUX_SLL2" },
	{ LW_LINK_PKTAP, "PKTAP" },
};

bool lw_link_supported(int linktype)
{
	for (size_t i = 0; i < sizeof link_names / sizeof link_names[0]; i++)
		if (link_names[i].linktype == linktype)
			return true;
	return false;
}

const char *lw_link_name(int linktype)
{
	for (size_t i = 0; i < sizeof link_names / sizeof link_names[0]; i++)
		if (link_names[i].linktype == linktype)
			return link_names[i].name;
	return "unknown";
}

/* PPP protocol number (already past address/control) to IP. */
static enum lw_malformed ppp_payload(struct lw_packet *pkt,
    struct cursor *c, uint16_t proto)
{
	pkt->layers |= LW_L_PPP;
	if (proto == PPP_IPV4)
		return lw_decode_ipv4(pkt, c);
	if (proto == PPP_IPV6)
		return lw_decode_ipv6(pkt, c);
	return pkt->malformed;	/* LCP, IPCP...: nothing for us */
}

static enum lw_malformed decode_pppoe(struct lw_packet *pkt,
    struct cursor *c)
{
	if (c->cap < PPPOE_HDR_LEN)
		return fail(pkt, LW_MF_TRUNCATED_LINK);
	uint16_t proto = rd16(c->p + 6);
	cursor_skip(c, PPPOE_HDR_LEN);
	return ppp_payload(pkt, c, proto);
}

/* 802.2 LLC with a SNAP header carries an ethertype after an OUI. */
static enum lw_malformed decode_llc(struct lw_packet *pkt, struct cursor *c)
{
	static const uint8_t snap[3] = { 0xaa, 0xaa, 0x03 };

	if (c->cap < 8 || memcmp(c->p, snap, sizeof snap) != 0)
		return pkt->malformed;	/* plain LLC (STP...): not ours */
	uint16_t ethertype = rd16(c->p + 6);
	cursor_skip(c, 8);
	return lw_decode_ethertype(pkt, c, ethertype);
}

enum lw_malformed lw_decode_ethertype(struct lw_packet *pkt,
    struct cursor *c, uint16_t ethertype)
{
	/* VLAN tags are a loop, not recursion, so depth stays bounded. */
	while (ethertype == ETHERTYPE_VLAN || ethertype == ETHERTYPE_QINQ ||
	    ethertype == ETHERTYPE_QINQ_OLD) {
		if (pkt->vlan_tags >= LW_MAX_VLAN_TAGS)
			return fail(pkt, LW_MF_VLAN_TOO_DEEP);
		if (c->cap < VLAN_TAG_LEN)
			return fail(pkt, LW_MF_TRUNCATED_VLAN);
		if (pkt->vlan_tags++ == 0) {
			pkt->layers |= LW_L_VLAN;
			pkt->vlan = rd16(c->p) & 0x0fff;
		}
		ethertype = rd16(c->p + 2);
		cursor_skip(c, VLAN_TAG_LEN);
	}
	pkt->ethertype = ethertype;
	switch (ethertype) {
	case ETHERTYPE_IPV4:
		return lw_decode_ipv4(pkt, c);
	case ETHERTYPE_IPV6:
		return lw_decode_ipv6(pkt, c);
	case ETHERTYPE_ARP:
	case ETHERTYPE_RARP:
		return lw_decode_arp(pkt, c);
	case ETHERTYPE_PPPOE:
		return decode_pppoe(pkt, c);
	default:
		if (ethertype < 0x0600)	/* 802.3 length field */
			return decode_llc(pkt, c);
		return pkt->malformed;
	}
}

static enum lw_malformed decode_ethernet(struct lw_packet *pkt,
    struct cursor *c)
{
	if (c->cap < ETH_HDR_LEN)
		return fail(pkt, LW_MF_TRUNCATED_LINK);
	pkt->layers |= LW_L_ETH;
	pkt->dst_mac = c->p;
	pkt->src_mac = c->p + 6;
	uint16_t ethertype = rd16(c->p + 12);
	cursor_skip(c, ETH_HDR_LEN);
	return lw_decode_ethertype(pkt, c, ethertype);
}

/* Cooked captures carry the sender's address when it is Ethernet. */
static void sll_mac(struct lw_packet *pkt, uint16_t hatype, uint8_t halen,
    const uint8_t *addr)
{
	if (hatype == ARPHRD_ETHER && halen == 6)
		pkt->src_mac = addr;
}

static enum lw_malformed decode_sll(struct lw_packet *pkt, struct cursor *c)
{
	if (c->cap < SLL_HDR_LEN)
		return fail(pkt, LW_MF_TRUNCATED_LINK);
	pkt->layers |= LW_L_SLL;
	sll_mac(pkt, rd16(c->p + 2), (uint8_t)rd16(c->p + 4), c->p + 6);
	uint16_t proto = rd16(c->p + 14);
	cursor_skip(c, SLL_HDR_LEN);
	return lw_decode_ethertype(pkt, c, proto);
}

static enum lw_malformed decode_sll2(struct lw_packet *pkt, struct cursor *c)
{
	if (c->cap < SLL2_HDR_LEN)
		return fail(pkt, LW_MF_TRUNCATED_LINK);
	pkt->layers |= LW_L_SLL;
	sll_mac(pkt, rd16(c->p + 8), c->p[11], c->p + 12);
	uint16_t proto = rd16(c->p);
	cursor_skip(c, SLL2_HDR_LEN);
	return lw_decode_ethertype(pkt, c, proto);
}

/*
 * BSD loopback: a 4-byte address family in the writer's byte order
 * (NULL) or network order (LOOP).  AF_INET is 2 everywhere; AF_INET6
 * is 10, 24, 28 or 30 depending on the OS.
 */
static enum lw_malformed decode_null(struct lw_packet *pkt, struct cursor *c)
{
	if (c->cap < NULL_HDR_LEN)
		return fail(pkt, LW_MF_TRUNCATED_LINK);
	uint32_t be = rd32(c->p);
	uint32_t le = (uint32_t)c->p[0] | (uint32_t)c->p[1] << 8 |
	    (uint32_t)c->p[2] << 16 | (uint32_t)c->p[3] << 24;
	uint32_t family = be < 256 ? be : le;
	cursor_skip(c, NULL_HDR_LEN);
	switch (family) {
	case 2:
		return lw_decode_ipv4(pkt, c);
	case 10: case 24: case 28: case 30:
		return lw_decode_ipv6(pkt, c);
	default:
		return pkt->malformed;
	}
}

/* PPP, optionally with HDLC address/control and a compressed protocol. */
static enum lw_malformed decode_ppp(struct lw_packet *pkt, struct cursor *c)
{
	if (c->cap >= 1 && c->p[0] == 0xff) {	/* HDLC address, control */
		if (c->cap < 2)
			return fail(pkt, LW_MF_TRUNCATED_LINK);
		if (c->p[1] == 0x03)
			cursor_skip(c, 2);
	}
	if (c->cap < 1)
		return fail(pkt, LW_MF_TRUNCATED_LINK);
	uint16_t proto;
	if (c->p[0] & 1) {	/* protocol field compression */
		proto = c->p[0];
		cursor_skip(c, 1);
	} else {
		if (c->cap < 2)
			return fail(pkt, LW_MF_TRUNCATED_LINK);
		proto = rd16(c->p);
		cursor_skip(c, 2);
	}
	return ppp_payload(pkt, c, proto);
}

/*
 * NFLOG: a 4-byte header (family, version, group in network order) then
 * TLVs (length and type little-endian, as Linux writes them, each padded
 * to 4 bytes).  Besides the packet (NFULA_PAYLOAD, from L3 on) the walk
 * keeps the rule's log prefix and the sender's MAC (NFULA_HWADDR, and
 * the destination from an Ethernet NFULA_HWHEADER), which the kernel
 * sends only for packets that came in on an interface.  Every TLV
 * advances by at least 4 bytes, so the walk ends within caplen/4 steps.
 */
struct nflog_tlvs {
	struct cursor payload;
	bool	 has_payload;
	uint16_t hwtype;
};

static void nflog_prefix(struct lw_packet *pkt, const uint8_t *body,
    uint32_t len)
{
	const uint8_t *nul = memchr(body, 0, len);

	if (nul)
		len = (uint32_t)(nul - body);
	if (len > LW_NFLOG_PREFIX_MAX)
		len = LW_NFLOG_PREFIX_MAX;
	pkt->nflog_prefix = len ? body : NULL;
	pkt->nflog_prefix_len = (uint16_t)len;
}

/* One attribute other than the payload; body is captured whole. */
static void nflog_attr(struct lw_packet *pkt, struct nflog_tlvs *t,
    uint16_t type, const uint8_t *body, uint32_t len)
{
	switch (type) {
	case NFULA_PREFIX:
		nflog_prefix(pkt, body, len);
		break;
	case NFULA_HWADDR:	/* be16 length, 2 pad, 8 address bytes */
		if (len >= 4 + 6 && rd16(body) == 6)
			pkt->src_mac = body + 4;
		break;
	case NFULA_HWTYPE:
		if (len >= 2)
			t->hwtype = rd16(body);
		break;
	case NFULA_HWHEADER:	/* the MAC header: dst, src, type */
		if (t->hwtype == ARPHRD_ETHER && len >= ETH_HDR_LEN) {
			pkt->dst_mac = body;
			pkt->src_mac = body + 6;
		}
		break;
	default:
		break;
	}
}

static enum lw_malformed nflog_payload(struct lw_packet *pkt,
    uint8_t family, struct cursor *in)
{
	if (family == NFPROTO_IPV6)
		return lw_decode_ipv6(pkt, in);
	if (family == NFPROTO_IPV4)
		return lw_decode_ipv4(pkt, in);
	if (family == NFPROTO_ARP)
		return lw_decode_arp(pkt, in);
	return lw_decode_ip_any(pkt, in);	/* inet, bridge: by version */
}

static enum lw_malformed decode_nflog(struct lw_packet *pkt,
    struct cursor *c)
{
	struct nflog_tlvs t = { .has_payload = false };

	if (c->cap < NFLOG_HDR_LEN)
		return fail(pkt, LW_MF_TRUNCATED_LINK);
	uint8_t family = c->p[0];
	pkt->nflog_group = rd16(c->p + 2);
	cursor_skip(c, NFLOG_HDR_LEN);
	while (c->cap >= NFLOG_TLV_LEN) {
		uint16_t len = rd16le(c->p);
		uint16_t type = rd16le(c->p + 2) & NFLOG_TYPE_MASK;
		if (len < NFLOG_TLV_LEN) {
			if (t.has_payload)
				break;	/* damage after the packet */
			return fail(pkt, LW_MF_BAD_LINK);
		}
		uint32_t body = len - NFLOG_TLV_LEN;
		uint32_t step = ((uint32_t)len + 3u) & ~3u;
		if (type == NFULA_PAYLOAD && !t.has_payload) {
			/* snapped: decode what is there, but judge length
			 * fields against what the TLV says was sent */
			uint32_t cap = c->cap - NFLOG_TLV_LEN;
			t.payload.p = c->p + NFLOG_TLV_LEN;
			t.payload.cap = body < cap ? body : cap;
			uint32_t wire = c->wire > NFLOG_TLV_LEN ?
			    c->wire - NFLOG_TLV_LEN : 0;
			t.payload.wire = body < wire ? body : wire;
			t.has_payload = true;
		} else if (body <= c->cap - NFLOG_TLV_LEN)
			nflog_attr(pkt, &t, type, c->p + NFLOG_TLV_LEN, body);
		if (step > c->cap) {
			if (t.has_payload)
				break;	/* the payload was snapped */
			return fail(pkt, LW_MF_TRUNCATED_LINK);
		}
		cursor_skip(c, step);
	}
	if (!t.has_payload)
		return pkt->malformed;
	return nflog_payload(pkt, family, &t.payload);
}

/*
 * Apple PKTAP: a header whose first field is its own length (in the
 * writer's byte order, little-endian on every Mac) and whose second is
 * the link type of the frame behind it.  Only Ethernet and raw IP are
 * followed, so this cannot nest.
 */
static enum lw_malformed decode_pktap(struct lw_packet *pkt,
    struct cursor *c)
{
	if (c->cap < PKTAP_MIN_LEN)
		return fail(pkt, LW_MF_TRUNCATED_LINK);
	uint32_t hlen = rd16le(c->p) | (uint32_t)rd16le(c->p + 2) << 16;
	uint32_t inner = rd16le(c->p + 4) | (uint32_t)rd16le(c->p + 6) << 16;
	if (hlen < PKTAP_MIN_LEN)
		return fail(pkt, LW_MF_BAD_LINK);
	if (hlen > c->cap)
		return fail(pkt, LW_MF_TRUNCATED_LINK);
	cursor_skip(c, hlen);
	if (inner == LW_LINK_ETHERNET)
		return decode_ethernet(pkt, c);
	if (inner == LW_LINK_RAW || inner == LW_LINK_RAW_ALT ||
	    inner == LW_LINK_RAW_ALT2)
		return lw_decode_ip_any(pkt, c);
	return pkt->malformed;	/* another inner type: not decoded */
}

const char *lw_packet_nflog_prefix(const struct lw_packet *pkt, char *buf,
    size_t len)
{
	size_t n = 0;

	if (len == 0)
		return "";
	/* Printable ASCII only: the text goes into JSON, logs and MQTT. */
	for (uint16_t i = 0; i < pkt->nflog_prefix_len && n + 1 < len; i++) {
		uint8_t ch = pkt->nflog_prefix[i];
		buf[n++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	buf[n] = '\0';
	return buf;
}

enum lw_malformed lw_decode(struct lw_packet *pkt, const uint8_t *data)
{
	uint64_t ts = pkt->ts_ns;
	uint32_t caplen = pkt->caplen, wirelen = pkt->wirelen;
	int linktype = pkt->linktype;

	memset(pkt, 0, sizeof *pkt);
	pkt->ts_ns = ts;
	pkt->caplen = caplen;
	pkt->wirelen = wirelen;
	pkt->linktype = linktype;

	struct cursor c = { data, caplen, wirelen > caplen ? wirelen : caplen };
	switch (linktype) {
	case LW_LINK_ETHERNET:
		return decode_ethernet(pkt, &c);
	case LW_LINK_LINUX_SLL:
		return decode_sll(pkt, &c);
	case LW_LINK_LINUX_SLL2:
		return decode_sll2(pkt, &c);
	case LW_LINK_NULL:
	case LW_LINK_LOOP:
		return decode_null(pkt, &c);
	case LW_LINK_PPP:
	case LW_LINK_PPP_HDLC:
		return decode_ppp(pkt, &c);
	case LW_LINK_NFLOG:
		return decode_nflog(pkt, &c);
	case LW_LINK_PKTAP:
		return decode_pktap(pkt, &c);
	case LW_LINK_IPV4:
		return lw_decode_ipv4(pkt, &c);
	case LW_LINK_IPV6:
		return lw_decode_ipv6(pkt, &c);
	case LW_LINK_RAW:
	case LW_LINK_RAW_ALT:
	case LW_LINK_RAW_ALT2:
		return lw_decode_ip_any(pkt, &c);
	default:
		return fail(pkt, LW_MF_BAD_LINK);
	}
}
