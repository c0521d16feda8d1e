/*
 * dns.c - DNS message parser (see dns.h).
 *
 * A cursor walks the message; every read is checked against the end.
 * Names are decoded by read_name(), which follows compression pointers
 * at most LW_DNS_MAX_POINTER_HOPS times and never to the pointer itself,
 * so every name read ends: a loop runs out of hops.  Forward pointers
 * are followed (Suricata and Wireshark accept them too), so a sender
 * cannot hide a name from the sensor that a resolver would still read.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "labwarden/dns.h"

struct dmsg {
	const uint8_t *base;
	size_t	 len;
	size_t	 off;		/* next byte to read */
};

struct text {
	char	*buf;
	size_t	 cap, len;	/* len excludes the NUL */
};

static void text_init(struct text *t, char *buf, size_t cap)
{
	t->buf = buf;
	t->cap = cap;
	t->len = 0;
	buf[0] = '\0';
}

/* Append, cutting silently at capacity (rdata text may be cut). */
static void text_put(struct text *t, const char *s, size_t n)
{
	if (t->len + 1 >= t->cap)
		return;
	size_t room = t->cap - 1 - t->len;
	if (n > room)
		n = room;
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

/* One label byte in presentation form. */
static void text_byte(struct text *t, uint8_t c, bool in_label)
{
	char esc[5];

	if (c >= 'A' && c <= 'Z')
		c = (uint8_t)(c - 'A' + 'a');
	if (c > 0x20 && c < 0x7f && !(in_label && (c == '.' || c == '\\')) &&
	    c != '"') {
		char ch = (char)c;
		text_put(t, &ch, 1);
	} else if (in_label && (c == '.' || c == '\\')) {
		esc[0] = '\\';
		esc[1] = (char)c;
		text_put(t, esc, 2);
	} else {
		snprintf(esc, sizeof esc, "\\%03u", c);
		text_put(t, esc, 4);
	}
}

static bool need(const struct dmsg *m, size_t n)
{
	return m->off <= m->len && m->len - m->off >= n;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

struct name_info {
	uint8_t	 labels, longest;
	uint16_t wire_len;
};

/*
 * Read the name at m->off (advancing past it, pointer included) into
 * out.  'limit' is where the enclosing field ends (the message end, or
 * the end of an rdata).  Returns LW_DNS_OK or the reason it failed.
 */
static enum lw_dns_error read_name(struct dmsg *m, size_t limit,
    struct text *out, struct name_info *info)
{
	size_t pos = m->off, end_after = 0;
	bool jumped = false;
	unsigned hops = 0;
	struct name_info ni = { 0, 0, 1 };	/* the root's zero byte */

	for (;;) {
		/* Bounded: every pass consumes a label (at most 255 wire
		 * bytes in all) or takes a hop (at most 32). */
		if (pos >= (jumped ? m->len : limit))
			return LW_DNS_TRUNCATED;
		uint8_t len = m->base[pos];
		if ((len & 0xc0) == 0xc0) {
			if (pos + 1 >= (jumped ? m->len : limit))
				return LW_DNS_TRUNCATED;
			size_t target = (size_t)(len & 0x3f) << 8 |
			    m->base[pos + 1];
			if (target == pos || target >= m->len ||
			    ++hops > LW_DNS_MAX_POINTER_HOPS)
				return LW_DNS_BAD_POINTER;
			if (!jumped)
				end_after = pos + 2;
			jumped = true;
			pos = target;
			continue;
		}
		if (len & 0xc0)
			return LW_DNS_BAD_NAME;	/* 0x40, 0x80: reserved */
		if (len == 0) {
			pos++;
			break;
		}
		if (pos + 1 + len > (jumped ? m->len : limit))
			return LW_DNS_TRUNCATED;
		ni.wire_len = (uint16_t)(ni.wire_len + 1 + len);
		if (ni.wire_len > LW_DNS_NAME_WIRE_MAX)
			return LW_DNS_BAD_NAME;
		if (ni.labels)
			text_put(out, ".", 1);
		for (unsigned i = 0; i < len; i++)
			text_byte(out, m->base[pos + 1 + i], true);
		ni.labels++;
		if (len > ni.longest)
			ni.longest = len;
		pos += 1 + (size_t)len;
	}
	m->off = jumped ? end_after : pos;
	if (info)
		*info = ni;
	return LW_DNS_OK;
}

static enum lw_dns_error read_question(struct dmsg *m, struct lw_dns_msg *out)
{
	struct lw_dns_question scratch, *q = &scratch;
	struct name_info ni;
	struct text t;

	if (out->nquestions < LW_DNS_MAX_QUESTIONS)
		q = &out->questions[out->nquestions];
	text_init(&t, q->name, sizeof q->name);
	enum lw_dns_error err = read_name(m, m->len, &t, &ni);
	if (err)
		return err;
	if (!need(m, 4))
		return LW_DNS_TRUNCATED;
	q->qtype = get16(m->base + m->off);
	uint16_t qclass = get16(m->base + m->off + 2);
	q->qclass = qclass & 0x7fff;
	q->unicast_response = (qclass & 0x8000) != 0;
	q->labels = ni.labels;
	q->longest_label = ni.longest;
	q->wire_len = ni.wire_len;
	m->off += 4;
	if (q != &scratch)
		out->nquestions++;
	out->nquestions_total++;
	return LW_DNS_OK;
}

/* A name inside rdata that must end inside it. */
static enum lw_dns_error rdata_name(struct dmsg *m, size_t end,
    struct text *t)
{
	enum lw_dns_error err = read_name(m, end, t, NULL);
	if (err == LW_DNS_TRUNCATED && end < m->len)
		return LW_DNS_BAD_RDATA;
	return err;
}

static void put_uint(struct text *t, unsigned long v, bool space)
{
	char num[24];
	int n = snprintf(num, sizeof num, space ? " %lu" : "%lu", v);
	text_put(t, num, (size_t)n);
}

static enum lw_dns_error rdata_txt(struct dmsg *m, size_t end, struct text *t)
{
	while (m->off < end) {	/* each string consumes >= 1 byte */
		size_t n = m->base[m->off];
		if (m->off + 1 + n > end)
			return LW_DNS_BAD_RDATA;
		for (size_t i = 0; i < n; i++)
			text_byte(t, m->base[m->off + 1 + i], false);
		m->off += 1 + n;
	}
	return LW_DNS_OK;
}

static enum lw_dns_error rdata_fixed_names(struct dmsg *m, size_t end,
    struct text *t, unsigned nums_before, unsigned names)
{
	for (unsigned i = 0; i < nums_before; i++) {
		if (m->off + 2 > end)
			return LW_DNS_BAD_RDATA;
		put_uint(t, get16(m->base + m->off), i > 0);
		m->off += 2;
	}
	for (unsigned i = 0; i < names; i++) {
		if (nums_before || i)
			text_put(t, " ", 1);
		enum lw_dns_error err = rdata_name(m, end, t);
		if (err)
			return err;
	}
	return LW_DNS_OK;
}

static enum lw_dns_error rdata_soa(struct dmsg *m, size_t end, struct text *t)
{
	enum lw_dns_error err = rdata_fixed_names(m, end, t, 0, 2);
	if (err)
		return err;
	if (m->off + 20 > end)
		return LW_DNS_BAD_RDATA;
	for (int i = 0; i < 5; i++)
		put_uint(t, get32(m->base + m->off + 4 * (size_t)i), true);
	m->off += 20;
	return LW_DNS_OK;
}

static enum lw_dns_error rdata_addr(struct dmsg *m, uint16_t rdlen, int family,
    struct text *t)
{
	char buf[INET6_ADDRSTRLEN];
	size_t want = family == 4 ? 4 : 16;

	if (rdlen != want)
		return LW_DNS_BAD_RDATA;
	if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, m->base + m->off,
	    buf, sizeof buf))
		return LW_DNS_BAD_RDATA;
	text_put(t, buf, strlen(buf));
	m->off += want;
	return LW_DNS_OK;
}

static enum lw_dns_error read_rdata(struct dmsg *m, struct lw_dns_record *rr,
    struct text *t)
{
	size_t end = m->off + rr->rdlength;

	switch (rr->rrtype) {
	case LW_DNS_T_A: return rdata_addr(m, rr->rdlength, 4, t);
	case LW_DNS_T_AAAA: return rdata_addr(m, rr->rdlength, 6, t);
	case LW_DNS_T_CNAME: case LW_DNS_T_NS: case LW_DNS_T_PTR:
	case 39:	/* DNAME */
		return rdata_fixed_names(m, end, t, 0, 1);
	case LW_DNS_T_MX: return rdata_fixed_names(m, end, t, 1, 1);
	case LW_DNS_T_SRV: return rdata_fixed_names(m, end, t, 3, 1);
	case LW_DNS_T_SVCB: case LW_DNS_T_HTTPS:
		return rdata_fixed_names(m, end, t, 1, 1);
	case LW_DNS_T_SOA: return rdata_soa(m, end, t);
	case LW_DNS_T_TXT: return rdata_txt(m, end, t);
	default: return LW_DNS_OK;
	}
}

static enum lw_dns_error read_record(struct dmsg *m, struct lw_dns_msg *out,
    enum lw_dns_section section)
{
	struct lw_dns_record scratch_rr;	/* for records past the cap */
	struct lw_dns_record *rr = &scratch_rr;
	struct text name, rdata;

	if (out->nrecords < LW_DNS_MAX_RECORDS)
		rr = &out->records[out->nrecords];
	text_init(&name, rr->name, sizeof rr->name);
	enum lw_dns_error err = read_name(m, m->len, &name, NULL);
	if (err)
		return err;
	if (!need(m, 10))
		return LW_DNS_TRUNCATED;
	const uint8_t *p = m->base + m->off;
	rr->section = section;
	rr->rrtype = get16(p);
	uint16_t rrclass = get16(p + 2);
	rr->ttl = get32(p + 4);
	rr->rdlength = get16(p + 8);
	m->off += 10;
	if (!need(m, rr->rdlength))
		return LW_DNS_TRUNCATED;
	size_t end = m->off + rr->rdlength;
	if (rr->rrtype == LW_DNS_T_OPT) {
		/* class is the UDP size, TTL carries ext-rcode/version/DO */
		out->edns = true;
		out->edns_udp_size = rrclass;
		out->rcode = (uint16_t)((rr->ttl >> 24) << 4 | (out->rcode & 0xf));
		out->edns_version = (uint8_t)(rr->ttl >> 16);
		out->edns_do = (rr->ttl & 0x8000) != 0;
		rr->rrclass = rrclass;
	} else
		rr->rrclass = rrclass & 0x7fff;
	text_init(&rdata, rr->rdata, sizeof rr->rdata);
	err = read_rdata(m, rr, &rdata);
	m->off = end;	/* whatever the type read, rdlength rules */
	if (err)
		return err;
	if (rr != &scratch_rr)
		out->nrecords++;
	out->nrecords_total++;
	return LW_DNS_OK;
}

static void read_header(const uint8_t *p, struct lw_dns_msg *out)
{
	uint16_t flags = get16(p + 2);

	out->id = get16(p);
	out->qr = (flags & 0x8000) != 0;
	out->opcode = (flags >> 11) & 0xf;
	out->aa = (flags & 0x0400) != 0;
	out->tc = (flags & 0x0200) != 0;
	out->rd = (flags & 0x0100) != 0;
	out->ra = (flags & 0x0080) != 0;
	out->rcode = flags & 0xf;
	out->qdcount = get16(p + 4);
	out->ancount = get16(p + 6);
	out->nscount = get16(p + 8);
	out->arcount = get16(p + 10);
}

enum lw_dns_error lw_dns_parse(const uint8_t *msg, size_t len,
    struct lw_dns_msg *out)
{
	struct dmsg m = { msg, len, LW_DNS_HEADER_LEN };
	static const enum lw_dns_section sections[3] = {
		LW_DNS_ANSWER, LW_DNS_AUTHORITY, LW_DNS_ADDITIONAL,
	};

	out->nquestions = out->nquestions_total = 0;
	out->nrecords = out->nrecords_total = 0;
	out->edns = out->edns_do = false;
	out->edns_udp_size = 0;
	out->edns_version = 0;
	out->error = LW_DNS_OK;
	if (len < LW_DNS_HEADER_LEN) {
		memset(&out->id, 0, offsetof(struct lw_dns_msg, questions) -
		    offsetof(struct lw_dns_msg, id));
		return out->error = LW_DNS_TRUNCATED;
	}
	read_header(msg, out);
	/* Each item consumes at least 5 bytes, so a lying count ends
	 * at the message end, not after 65535 tries. */
	for (unsigned i = 0; i < out->qdcount; i++)
		if ((out->error = read_question(&m, out)) != LW_DNS_OK)
			return out->error;
	const uint16_t counts[3] = { out->ancount, out->nscount,
	    out->arcount };
	for (int s = 0; s < 3; s++)
		for (unsigned i = 0; i < counts[s]; i++)
			if ((out->error = read_record(&m, out, sections[s])) !=
			    LW_DNS_OK)
				return out->error;
	return LW_DNS_OK;
}

/* ---- names of types, rcodes and errors ---- */

static const struct {
	uint16_t type;
	const char *name;
} type_names[] = {
	{ 1, "A" }, { 2, "NS" }, { 3, "MD" }, { 4, "MF" }, { 5, "CNAME" },
	{ 6, "SOA" }, { 7, "MB" }, { 8, "MG" }, { 9, "MR" }, { 10, "NULL" },
	{ 11, "WKS" }, { 12, "PTR" }, { 13, "HINFO" }, { 14, "MINFO" },
	{ 15, "MX" }, { 16, "TXT" }, { 17, "RP" }, { 18, "AFSDB" },
	{ 24, "SIG" }, { 25, "KEY" }, { 28, "AAAA" }, { 29, "LOC" },
	{ 33, "SRV" }, { 35, "NAPTR" }, { 36, "KX" }, { 37, "CERT" },
	{ 39, "DNAME" }, { 41, "OPT" }, { 42, "APL" }, { 43, "DS" },
	{ 44, "SSHFP" }, { 45, "IPSECKEY" }, { 46, "RRSIG" }, { 47, "NSEC" },
	{ 48, "DNSKEY" }, { 49, "DHCID" }, { 50, "NSEC3" },
	{ 51, "NSEC3PARAM" }, { 52, "TLSA" }, { 53, "SMIMEA" }, { 55, "HIP" },
	{ 59, "CDS" }, { 60, "CDNSKEY" }, { 61, "OPENPGPKEY" },
	{ 62, "CSYNC" }, { 63, "ZONEMD" }, { 64, "SVCB" }, { 65, "HTTPS" },
	{ 99, "SPF" }, { 249, "TKEY" }, { 250, "TSIG" }, { 251, "IXFR" },
	{ 252, "AXFR" }, { 255, "ANY" }, { 256, "URI" }, { 257, "CAA" },
};

const char *lw_dns_type_name(uint16_t type, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof type_names / sizeof *type_names; i++)
		if (type_names[i].type == type)
			return type_names[i].name;
	snprintf(buf, len, "TYPE%u", type);
	return buf;
}

const char *lw_dns_rcode_name(uint16_t rcode, char *buf, size_t len)
{
	static const char *const names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
		"REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
		"NOTZONE", "DSOTYPENI", NULL, NULL, NULL, NULL, "BADVERS",
		"BADKEY", "BADTIME", "BADMODE", "BADNAME", "BADALG",
		"BADTRUNC", "BADCOOKIE",
	};
	if (rcode < sizeof names / sizeof *names && names[rcode])
		return names[rcode];
	snprintf(buf, len, "RCODE%u", rcode);
	return buf;
}

const char *lw_dns_error_name(enum lw_dns_error error)
{
	static const char *const names[LW_DNS_ERROR_COUNT] = {
		"ok", "truncated", "bad_name", "bad_pointer", "bad_rdata",
	};
	return (unsigned)error < LW_DNS_ERROR_COUNT ? names[error] : "unknown";
}
