/*
 * dns.c - DNS message parser (see dns.h).
 *
 * A cursor walks the message once: header, questions, then the three
 * record sections.  Every read is checked against the end of the field
 * that holds it (the message, or the rdata of one record), and the
 * first problem stops the parse with everything before it kept.
 *
 * Names.  read_name() decodes a name label by label into presentation
 * form.  Compression pointers may go backwards or forwards, as dns.h
 * promises: glibc, Unbound and Wireshark follow forward pointers too,
 * so refusing them would let a sender hide from the sensor a name that
 * a stub resolver still reads.  What keeps that finite:
 *   - at most LW_DNS_MAX_POINTER_HOPS pointers per name, so a loop of
 *     any length runs out of hops (a pointer to itself fails at once);
 *   - at most 255 wire bytes of labels per name (RFC 1035 2.3.4), so
 *     the labels read between two hops are bounded too;
 *   - a pointer must land inside the message and past the 12-byte
 *     header, where no name can start.
 * The part of a name read in place (before its first pointer) must end
 * inside its field: past the message end that is LW_DNS_TRUNCATED,
 * past the rdlength of a record it is LW_DNS_BAD_RDATA.
 *
 * Record data.  rdlength must fit in what is left of the message.  The
 * types with a fixed layout (A, AAAA, CNAME, NS, PTR, MX, SRV, SOA, TXT,
 * SVCB/HTTPS, OPT) must fill their rdata exactly, as a resolver checks
 * them (BIND's "extra input data"); any other type is skipped by its
 * rdlength and described by its type and size only.  Rdata text longer
 * than its buffer is cut between whole pieces, never inside an escape.
 *
 * Counts.  The header counts are not trusted: every question or record
 * read consumes at least five bytes, so a count of 65535 in a short
 * message ends at the message end, in a few steps.  Items past the
 * capacities are parsed into a scratch slot and only counted.
 */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "labwarden/dns.h"

#define CLASS_TOP_BIT	0x8000	/* mDNS: unicast response / cache flush */
#define POINTER_BITS	0xc0
#define FIXED_RR_LEN	10	/* type, class, ttl, rdlength */
#define FIXED_Q_LEN	4	/* type, class */
#define SOA_NUMBERS	5	/* serial refresh retry expire minimum */

struct cursor {
	const uint8_t	*msg;
	size_t		 len;	/* of the whole message */
	size_t		 off;	/* next byte to read */
};

/* One output string being written. */
struct text {
	char	*buf;
	size_t	 cap, len;	/* len excludes the NUL */
	bool	 full;		/* a piece did not fit: append no more */
};

/* The shape of a name, as struct lw_dns_question keeps it. */
struct name_shape {
	uint8_t	 labels, longest;
	uint16_t wire_len;
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Are there n more bytes before end? */
static bool room(const struct cursor *c, size_t end, size_t n)
{
	return c->off <= end && end - c->off >= n;
}

/* ---- text output ---- */

static void text_init(struct text *t, char *buf, size_t cap)
{
	t->buf = buf;
	t->cap = cap;
	t->len = 0;
	t->full = false;
	buf[0] = '\0';
}

/*
 * Append s[0..n) whole or not at all, so cut text never ends in half an
 * escape or half a number.  Once a piece is refused nothing more goes
 * in: a later, shorter piece would leave a silent gap.
 */
static void put(struct text *t, const char *s, size_t n)
{
	if (t->full || n >= t->cap - t->len) {
		t->full = true;
		return;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

static void put_char(struct text *t, char ch)
{
	put(t, &ch, 1);
}

/* \DDD, the presentation form of any byte (RFC 1035 5.1). */
static void put_decimal_escape(struct text *t, uint8_t c)
{
	char esc[4] = {
		'\\', (char)('0' + c / 100), (char)('0' + c / 10 % 10),
		(char)('0' + c % 10),
	};

	put(t, esc, sizeof esc);
}

/* One byte of a label: lowercased; '.' and '\' quoted since they would
 * read as a separator or an escape; the rest of 0x21..0x7e as is. */
static void put_label_byte(struct text *t, uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		put_char(t, (char)(c - 'A' + 'a'));
	else if (c == '.' || c == '\\') {
		put_char(t, '\\');
		put_char(t, (char)c);
	} else if (c > 0x20 && c < 0x7f)
		put_char(t, (char)c);
	else
		put_decimal_escape(t, c);
}

/* One byte of a TXT string: the case is kept and a space is plain
 * text there, but '\' and '"' are quoted (RFC 1035 5.1) so a literal
 * "\065" in the data cannot pass for an escaped byte. */
static void put_string_byte(struct text *t, uint8_t c)
{
	if (c == '\\' || c == '"') {
		put_char(t, '\\');
		put_char(t, (char)c);
	} else if (c >= 0x20 && c < 0x7f)
		put_char(t, (char)c);
	else
		put_decimal_escape(t, c);
}

static void put_number(struct text *t, uint32_t v, bool space_before)
{
	char num[16];
	int n = snprintf(num, sizeof num, space_before ? " %lu" : "%lu",
	    (unsigned long)v);

	put(t, num, (size_t)n);
}

/* ---- names ---- */

/*
 * Check the pointer at pos and return where it leads, or 0 (never a
 * valid target: it is inside the header) with *err set.  A hop is
 * counted here; the caller has made sure both bytes are there.
 */
static size_t follow_pointer(const struct cursor *c, size_t pos,
    unsigned *hops, enum lw_dns_error *err)
{
	size_t target = (size_t)(c->msg[pos] & 0x3f) << 8 |
	    c->msg[pos + 1];

	if (target == pos || target < LW_DNS_HEADER_LEN ||
	    target >= c->len || ++*hops > LW_DNS_MAX_POINTER_HOPS) {
		*err = LW_DNS_BAD_POINTER;
		return 0;
	}
	return target;
}

static void put_label(struct text *out, const uint8_t *label, size_t len,
    bool first)
{
	if (!first)
		put_char(out, '.');
	for (size_t i = 0; i < len; i++)
		put_label_byte(out, label[i]);
}

/*
 * Decode the name at c->off into out and move the cursor past it (past
 * its first pointer if it has one).  Bytes read in place must lie
 * before 'end'; running past it is 'overrun' (LW_DNS_TRUNCATED for the
 * message end, LW_DNS_BAD_RDATA for an rdata end).  Bytes reached
 * through a pointer may lie anywhere in the message.
 */
static enum lw_dns_error read_name(struct cursor *c, size_t end,
    enum lw_dns_error overrun, struct text *out, struct name_shape *shape)
{
	struct name_shape ns = { 0, 0, 1 };	/* the root's zero byte */
	enum lw_dns_error err = LW_DNS_OK;
	size_t pos = c->off, resume = 0, limit = end;
	unsigned hops = 0;

	/*
	 * Bounded: each pass takes a hop (at most LW_DNS_MAX_POINTER_HOPS)
	 * or reads a label of at least two wire bytes (at most 255 in all).
	 */
	for (;;) {
		if (pos >= limit)
			return hops ? LW_DNS_TRUNCATED : overrun;
		uint8_t len = c->msg[pos];
		if ((len & POINTER_BITS) == POINTER_BITS) {
			if (limit - pos < 2)
				return hops ? LW_DNS_TRUNCATED : overrun;
			if (hops == 0)
				resume = pos + 2;
			pos = follow_pointer(c, pos, &hops, &err);
			if (err)
				return err;
			limit = c->len;	/* a target may be anywhere */
			continue;
		}
		if (len & POINTER_BITS)	/* 0x40, 0x80: no such labels */
			return LW_DNS_BAD_NAME;
		if (len == 0)
			break;
		if (limit - pos - 1 < len)
			return hops ? LW_DNS_TRUNCATED : overrun;
		if (ns.wire_len + 1 + len > LW_DNS_NAME_WIRE_MAX)
			return LW_DNS_BAD_NAME;
		put_label(out, c->msg + pos + 1, len, ns.labels == 0);
		ns.wire_len = (uint16_t)(ns.wire_len + 1 + len);
		ns.labels++;
		if (len > ns.longest)
			ns.longest = len;
		pos += 1 + (size_t)len;
	}
	c->off = hops ? resume : pos + 1;
	if (shape)
		*shape = ns;
	return LW_DNS_OK;
}

/* ---- record data ---- */

/*
 * A name inside rdata that ends at or before 'end'.  The root is
 * written "." here, not "": rdata fields are joined by spaces and an
 * empty one would vanish.
 */
static enum lw_dns_error rdata_name(struct cursor *c, size_t end,
    struct text *t)
{
	size_t before = t->len;
	enum lw_dns_error err;

	err = read_name(c, end, LW_DNS_BAD_RDATA, t, NULL);
	if (err == LW_DNS_OK && t->len == before && !t->full)
		put_char(t, '.');
	return err;
}

/* n 16-bit numbers, space-separated. */
static enum lw_dns_error rdata_numbers16(struct cursor *c, size_t end,
    struct text *t, unsigned n)
{
	if (!room(c, end, 2 * (size_t)n))
		return LW_DNS_BAD_RDATA;
	for (unsigned i = 0; i < n; i++) {
		put_number(t, get16(c->msg + c->off), i > 0);
		c->off += 2;
	}
	return LW_DNS_OK;
}

/* MX, SRV, SVCB/HTTPS: 16-bit numbers, then a name. */
static enum lw_dns_error rdata_numbers_name(struct cursor *c, size_t end,
    struct text *t, unsigned numbers)
{
	enum lw_dns_error err = rdata_numbers16(c, end, t, numbers);

	if (err)
		return err;
	put_char(t, ' ');
	return rdata_name(c, end, t);
}

static enum lw_dns_error rdata_soa(struct cursor *c, size_t end,
    struct text *t)
{
	enum lw_dns_error err;

	if ((err = rdata_name(c, end, t)) != LW_DNS_OK)
		return err;
	put_char(t, ' ');
	if ((err = rdata_name(c, end, t)) != LW_DNS_OK)
		return err;
	if (!room(c, end, 4 * SOA_NUMBERS))
		return LW_DNS_BAD_RDATA;
	for (int i = 0; i < SOA_NUMBERS; i++) {
		put_number(t, get32(c->msg + c->off), true);
		c->off += 4;
	}
	return LW_DNS_OK;
}

/* TXT: character-strings, each a length byte and that many bytes. */
static enum lw_dns_error rdata_txt(struct cursor *c, size_t end,
    struct text *t)
{
	/* Bounded: each string consumes at least its length byte. */
	while (c->off < end) {
		size_t n = c->msg[c->off];
		if (end - c->off - 1 < n)
			return LW_DNS_BAD_RDATA;
		for (size_t i = 0; i < n; i++)
			put_string_byte(t, c->msg[c->off + 1 + i]);
		c->off += 1 + n;
	}
	return LW_DNS_OK;
}

/* SvcParams (RFC 9460) and EDNS options (RFC 6891) are both a list of
 * 16-bit key, 16-bit length, value; the list must fill the rest. */
static enum lw_dns_error rdata_tlv_list(struct cursor *c, size_t end)
{
	/* Bounded: each item consumes at least four bytes. */
	while (c->off < end) {
		if (!room(c, end, 4))
			return LW_DNS_BAD_RDATA;
		size_t n = get16(c->msg + c->off + 2);
		c->off += 4;
		if (!room(c, end, n))
			return LW_DNS_BAD_RDATA;
		c->off += n;
	}
	return LW_DNS_OK;
}

static enum lw_dns_error rdata_svcb(struct cursor *c, size_t end,
    struct text *t)
{
	enum lw_dns_error err = rdata_numbers_name(c, end, t, 1);

	return err ? err : rdata_tlv_list(c, end);
}

static enum lw_dns_error rdata_address(struct cursor *c, size_t end,
    struct text *t, int family)
{
	size_t want = family == AF_INET ? 4 : 16;
	char buf[INET6_ADDRSTRLEN];

	if (end - c->off != want)
		return LW_DNS_BAD_RDATA;
	if (inet_ntop(family, c->msg + c->off, buf, sizeof buf) == NULL)
		return LW_DNS_BAD_RDATA;
	put(t, buf, strlen(buf));
	c->off += want;
	return LW_DNS_OK;
}

/* Decode the rdata at c->off..end into t, by type. */
static enum lw_dns_error read_rdata(struct cursor *c, size_t end,
    uint16_t rrtype, struct text *t)
{
	switch (rrtype) {
	case LW_DNS_T_A:
		return rdata_address(c, end, t, AF_INET);
	case LW_DNS_T_AAAA:
		return rdata_address(c, end, t, AF_INET6);
	case LW_DNS_T_CNAME:
	case LW_DNS_T_NS:
	case LW_DNS_T_PTR:
		return rdata_name(c, end, t);
	case LW_DNS_T_MX:
		return rdata_numbers_name(c, end, t, 1);
	case LW_DNS_T_SRV:
		return rdata_numbers_name(c, end, t, 3);
	case LW_DNS_T_SVCB:
	case LW_DNS_T_HTTPS:
		return rdata_svcb(c, end, t);
	case LW_DNS_T_SOA:
		return rdata_soa(c, end, t);
	case LW_DNS_T_TXT:
		return rdata_txt(c, end, t);
	case LW_DNS_T_OPT:
		return rdata_tlv_list(c, end);
	default:
		c->off = end;	/* opaque: its size is all we say */
		return LW_DNS_OK;
	}
}

/* ---- questions and records ---- */

static enum lw_dns_error read_question(struct cursor *c,
    struct lw_dns_msg *out)
{
	struct lw_dns_question scratch, *q = &scratch;
	struct name_shape shape;
	enum lw_dns_error err;
	struct text name;

	if (out->nquestions < LW_DNS_MAX_QUESTIONS)
		q = &out->questions[out->nquestions];
	text_init(&name, q->name, sizeof q->name);
	err = read_name(c, c->len, LW_DNS_TRUNCATED, &name, &shape);
	if (err)
		return err;
	if (!room(c, c->len, FIXED_Q_LEN))
		return LW_DNS_TRUNCATED;
	uint16_t qclass = get16(c->msg + c->off + 2);
	q->qtype = get16(c->msg + c->off);
	q->qclass = qclass & ~CLASS_TOP_BIT;
	q->unicast_response = (qclass & CLASS_TOP_BIT) != 0;
	q->labels = shape.labels;
	q->longest_label = shape.longest;
	q->wire_len = shape.wire_len;
	c->off += FIXED_Q_LEN;
	if (q != &scratch)
		out->nquestions++;
	out->nquestions_total++;
	return LW_DNS_OK;
}

/*
 * OPT (RFC 6891 6.1.3): the class is the sender's UDP payload size and
 * the TTL holds the upper 8 bits of the rcode, the version and the DO
 * bit.  Only the first OPT of the additional section counts: that is
 * the only place one may be, and only once.
 */
static void take_opt(const struct lw_dns_record *rr, struct lw_dns_msg *out)
{
	if (rr->section != LW_DNS_ADDITIONAL || out->edns)
		return;
	out->edns = true;
	out->edns_udp_size = rr->rrclass;
	out->edns_version = (uint8_t)(rr->ttl >> 16);
	out->edns_do = (rr->ttl & 0x8000) != 0;
	out->rcode = (uint16_t)((rr->ttl >> 24) << 4 | (out->rcode & 0xf));
}

static enum lw_dns_error read_record(struct cursor *c,
    struct lw_dns_msg *out, enum lw_dns_section section)
{
	struct lw_dns_record scratch, *rr = &scratch;
	struct text name, rdata;
	enum lw_dns_error err;

	if (out->nrecords < LW_DNS_MAX_RECORDS)
		rr = &out->records[out->nrecords];
	text_init(&name, rr->name, sizeof rr->name);
	text_init(&rdata, rr->rdata, sizeof rr->rdata);
	err = read_name(c, c->len, LW_DNS_TRUNCATED, &name, NULL);
	if (err)
		return err;
	if (!room(c, c->len, FIXED_RR_LEN))
		return LW_DNS_TRUNCATED;
	const uint8_t *p = c->msg + c->off;
	uint16_t rrclass = get16(p + 2);
	rr->section = section;
	rr->rrtype = get16(p);
	rr->ttl = get32(p + 4);
	rr->rdlength = get16(p + 8);
	c->off += FIXED_RR_LEN;
	if (rr->rrtype == LW_DNS_T_OPT) {	/* the class is a size */
		rr->rrclass = rrclass;
		rr->cache_flush = false;
	} else {
		rr->rrclass = rrclass & ~CLASS_TOP_BIT;
		rr->cache_flush = (rrclass & CLASS_TOP_BIT) != 0;
	}
	if (!room(c, c->len, rr->rdlength))
		return LW_DNS_TRUNCATED;
	size_t end = c->off + rr->rdlength;
	if ((err = read_rdata(c, end, rr->rrtype, &rdata)) != LW_DNS_OK)
		return err;
	if (c->off != end)	/* the layout is shorter than rdlength */
		return LW_DNS_BAD_RDATA;
	if (rr->rrtype == LW_DNS_T_OPT)
		take_opt(rr, out);
	if (rr != &scratch)
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

/* Everything but the arrays (160 KB; only their counted part is read). */
static void reset(struct lw_dns_msg *out)
{
	out->id = 0;
	out->qr = out->aa = out->tc = out->rd = out->ra = false;
	out->opcode = 0;
	out->rcode = 0;
	out->qdcount = out->ancount = out->nscount = out->arcount = 0;
	out->nquestions = out->nquestions_total = 0;
	out->nrecords = out->nrecords_total = 0;
	out->edns = out->edns_do = false;
	out->edns_udp_size = 0;
	out->edns_version = 0;
	out->error = LW_DNS_OK;
}

static enum lw_dns_error read_sections(struct cursor *c,
    struct lw_dns_msg *out)
{
	const struct {
		enum lw_dns_section section;
		uint16_t count;
	} sections[] = {
		{ LW_DNS_ANSWER, out->ancount },
		{ LW_DNS_AUTHORITY, out->nscount },
		{ LW_DNS_ADDITIONAL, out->arcount },
	};
	enum lw_dns_error err;

	/* Bounded by the counts, and each item consumes bytes: a lying
	 * count stops at the message end. */
	for (unsigned i = 0; i < out->qdcount; i++)
		if ((err = read_question(c, out)) != LW_DNS_OK)
			return err;
	for (size_t s = 0; s < sizeof sections / sizeof *sections; s++)
		for (unsigned i = 0; i < sections[s].count; i++) {
			err = read_record(c, out, sections[s].section);
			if (err)
				return err;
		}
	return LW_DNS_OK;
}

enum lw_dns_error lw_dns_parse(const uint8_t *msg, size_t len,
    struct lw_dns_msg *out)
{
	struct cursor c = { msg, len, LW_DNS_HEADER_LEN };

	reset(out);
	if (msg == NULL || len < LW_DNS_HEADER_LEN)
		return out->error = LW_DNS_TRUNCATED;
	read_header(msg, out);
	return out->error = read_sections(&c, out);
}

/* ---- names of types, rcodes and errors ---- */

/* IANA "Resource Record (RR) TYPEs" mnemonics, in type order. */
static const struct {
	uint16_t	 type;
	const char	*name;
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
	{ 51, "NSEC3PARAM" }, { 52, "TLSA" }, { 53, "SMIMEA" },
	{ 55, "HIP" }, { 59, "CDS" }, { 60, "CDNSKEY" },
	{ 61, "OPENPGPKEY" }, { 62, "CSYNC" }, { 63, "ZONEMD" },
	{ 64, "SVCB" }, { 65, "HTTPS" }, { 99, "SPF" }, { 249, "TKEY" },
	{ 250, "TSIG" }, { 251, "IXFR" }, { 252, "AXFR" }, { 255, "ANY" },
	{ 256, "URI" }, { 257, "CAA" },
};

const char *lw_dns_type_name(uint16_t type, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof type_names / sizeof *type_names; i++)
		if (type_names[i].type == type)
			return type_names[i].name;
	snprintf(buf, len, "TYPE%u", (unsigned)type);
	return buf;
}

const char *lw_dns_rcode_name(uint16_t rcode, char *buf, size_t len)
{
	/* IANA "DNS RCODEs"; 16 is BADVERS in OPT and BADSIG in TSIG,
	 * and only the OPT meaning reaches a message's rcode. */
	static const char *const names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
		"REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
		"NOTZONE", "DSOTYPENI", NULL, NULL, NULL, NULL,
		"BADVERS", "BADKEY", "BADTIME", "BADMODE", "BADNAME",
		"BADALG", "BADTRUNC", "BADCOOKIE",
	};

	if (rcode < sizeof names / sizeof *names && names[rcode])
		return names[rcode];
	snprintf(buf, len, "RCODE%u", (unsigned)rcode);
	return buf;
}

const char *lw_dns_error_name(enum lw_dns_error error)
{
	static const char *const names[LW_DNS_ERROR_COUNT] = {
		"ok", "truncated", "bad_name", "bad_pointer", "bad_rdata",
	};

	if ((unsigned)error < LW_DNS_ERROR_COUNT)
		return names[error];
	return "unknown";
}
