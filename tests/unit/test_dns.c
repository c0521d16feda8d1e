/*
 * test_dns.c - t102: the DNS message parser, on messages built here.
 *
 * Well-formed: a query, every record type with decoded rdata (A, AAAA,
 * CNAME chains, NS, PTR, MX, TXT, SRV, SOA, SVCB/HTTPS), unknown types,
 * EDNS with the DO bit and an extended rcode, the mDNS class bits, name
 * escaping.  Hostile: pointer loops, self, forward and header pointers,
 * too many hops, long labels and names (directly and through
 * pointers), reserved label types, rdata that disagrees with rdlength,
 * lying counts, more items than are stored, and a cut at every byte.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "labwarden/dns.h"

#define ROOT_OWNER	(-1)	/* rr_begin(): the owner is the root */
#define QNAME_AT	12	/* the first question's name */
#define FLAGS_QUERY	0x0100	/* RD */
#define FLAGS_RESPONSE	0x8180	/* QR RD RA, NOERROR */

struct msg {
	uint8_t	 b[8192];
	size_t	 n;
};

static struct lw_dns_msg out;	/* ~160 KB: not on the stack */

static void put8(struct msg *m, unsigned v)
{
	assert_true(m->n < sizeof m->b);
	m->b[m->n++] = (uint8_t)v;
}

static void put16(struct msg *m, unsigned v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

static void put32(struct msg *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

static void putn(struct msg *m, const void *p, size_t n)
{
	assert_true(n <= sizeof m->b - m->n);
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void header(struct msg *m, unsigned flags, unsigned qd, unsigned an,
    unsigned ns, unsigned ar)
{
	m->n = 0;
	put16(m, 0x1234);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, ns);
	put16(m, ar);
}

/* Labels of a dotted name ("" is the root), with the final zero. */
static void name(struct msg *m, const char *text)
{
	while (*text) {
		const char *dot = strchr(text, '.');
		size_t len = dot ? (size_t)(dot - text) : strlen(text);
		put8(m, (unsigned)len);
		putn(m, text, len);
		text += len + (dot != NULL);
	}
	put8(m, 0);
}

/* Labels of a dotted name, ended by a pointer instead of the root. */
static void name_then_pointer(struct msg *m, const char *text,
    unsigned offset)
{
	size_t at = m->n;

	name(m, text);
	m->n--;			/* take back the root byte */
	assert_true(m->n >= at);
	put16(m, 0xc000 | offset);
}

static void pointer(struct msg *m, unsigned offset)
{
	put16(m, 0xc000 | offset);
}

static void label_of(struct msg *m, int byte, size_t len)
{
	put8(m, (unsigned)len);
	for (size_t i = 0; i < len; i++)
		put8(m, (unsigned)byte);
}

static void question(struct msg *m, const char *text, unsigned type)
{
	name(m, text);
	put16(m, type);
	put16(m, 1);
}

/* Owner, type, class, TTL; returns where rdlength goes (rr_end). */
static size_t rr_begin(struct msg *m, int owner, unsigned type,
    unsigned rrclass, uint32_t ttl)
{
	if (owner == ROOT_OWNER)
		put8(m, 0);
	else
		pointer(m, (unsigned)owner);
	put16(m, type);
	put16(m, rrclass);
	put32(m, ttl);
	put16(m, 0);
	return m->n - 2;
}

static void rr_end(struct msg *m, size_t at)
{
	size_t len = m->n - at - 2;

	m->b[at] = (uint8_t)(len >> 8);
	m->b[at + 1] = (uint8_t)len;
}

/* A record owned by the first question's name, with opaque rdata. */
static void record(struct msg *m, unsigned type, const void *rdata,
    size_t len)
{
	size_t at = rr_begin(m, QNAME_AT, type, 1, 60);

	putn(m, rdata, len);
	rr_end(m, at);
}

/* Parse a heap copy of exactly n bytes, so ASan sees any over-read. */
static enum lw_dns_error parse_exact(const uint8_t *bytes, size_t n)
{
	uint8_t *copy = malloc(n ? n : 1);
	enum lw_dns_error err;

	assert_non_null(copy);
	if (n)
		memcpy(copy, bytes, n);
	err = lw_dns_parse(copy, n, &out);
	free(copy);
	assert_int_equal(err, out.error);
	return err;
}

static enum lw_dns_error parse(const struct msg *m)
{
	return parse_exact(m->b, m->n);
}

/* ---- well-formed messages ---- */

static void test_query(void **state)
{
	struct msg m;
	(void)state;

	header(&m, FLAGS_QUERY, 1, 0, 0, 0);
	question(&m, "WWW.Example.COM", LW_DNS_T_A);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_int_equal(out.id, 0x1234);
	assert_false(out.qr);
	assert_true(out.rd);
	assert_false(out.aa || out.tc || out.ra);
	assert_int_equal(out.opcode, 0);
	assert_int_equal(out.qdcount, 1);
	assert_int_equal(out.nquestions, 1);
	assert_int_equal(out.nquestions_total, 1);
	assert_int_equal(out.nrecords, 0);
	assert_false(out.edns);
	assert_string_equal(out.questions[0].name, "www.example.com");
	assert_int_equal(out.questions[0].qtype, LW_DNS_T_A);
	assert_int_equal(out.questions[0].qclass, 1);
	assert_false(out.questions[0].unicast_response);
	assert_int_equal(out.questions[0].labels, 3);
	assert_int_equal(out.questions[0].longest_label, 7);
	assert_int_equal(out.questions[0].wire_len, 17);

	/* the root: "", no labels, one wire byte */
	header(&m, FLAGS_QUERY, 1, 0, 0, 0);
	question(&m, "", LW_DNS_T_NS);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_string_equal(out.questions[0].name, "");
	assert_int_equal(out.questions[0].labels, 0);
	assert_int_equal(out.questions[0].wire_len, 1);
}

static void test_header_flags(void **state)
{
	struct msg m;
	(void)state;

	/* QR, opcode 5 (UPDATE), AA, TC, RD, RA, rcode 5 */
	header(&m, 0x8000 | 5 << 11 | 0x0400 | 0x0200 | 0x0100 | 0x0080 | 5,
	    0, 0, 0, 0);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_true(out.qr && out.aa && out.tc && out.rd && out.ra);
	assert_int_equal(out.opcode, 5);
	assert_int_equal(out.rcode, 5);
}

static void test_cname_chain_a_aaaa(void **state)
{
	struct msg m;
	size_t at;
	(void)state;

	header(&m, FLAGS_RESPONSE, 1, 4, 0, 0);
	question(&m, "www.Example.com", LW_DNS_T_A);	/* name at 12 */
	/* www.example.com CNAME edge.cdn.net; edge.cdn.net CNAME e1.cdn.net */
	at = rr_begin(&m, QNAME_AT, LW_DNS_T_CNAME, 1, 300);
	size_t edge = m.n;
	name(&m, "EDGE.cdn.net");
	rr_end(&m, at);
	at = rr_begin(&m, (int)edge, LW_DNS_T_CNAME, 1, 20);
	name_then_pointer(&m, "e1", (unsigned)edge + 5);	/* cdn.net */
	rr_end(&m, at);
	size_t e1 = at + 2;
	at = rr_begin(&m, (int)e1, LW_DNS_T_A, 1, 20);
	putn(&m, "\xc0\x00\x02\x01", 4);
	rr_end(&m, at);
	at = rr_begin(&m, (int)e1, LW_DNS_T_AAAA, 1, 20);
	putn(&m, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	rr_end(&m, at);

	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_true(out.qr);
	assert_true(out.ra);
	assert_int_equal(out.nrecords, 4);
	assert_int_equal(out.nrecords_total, 4);
	assert_string_equal(out.records[0].name, "www.example.com");
	assert_int_equal(out.records[0].rrtype, LW_DNS_T_CNAME);
	assert_int_equal(out.records[0].ttl, 300);
	assert_int_equal(out.records[0].section, LW_DNS_ANSWER);
	assert_string_equal(out.records[0].rdata, "edge.cdn.net");
	assert_string_equal(out.records[1].name, "edge.cdn.net");
	assert_string_equal(out.records[1].rdata, "e1.cdn.net");
	assert_string_equal(out.records[2].name, "e1.cdn.net");
	assert_string_equal(out.records[2].rdata, "192.0.2.1");
	assert_int_equal(out.records[2].rdlength, 4);
	assert_int_equal(out.records[2].rrclass, 1);
	assert_false(out.records[2].cache_flush);
	assert_string_equal(out.records[3].rdata, "2001:db8::1");
	assert_int_equal(out.records[3].rdlength, 16);
}

static void test_mx_srv_ptr_ns(void **state)
{
	struct msg m;
	(void)state;

	header(&m, FLAGS_RESPONSE, 1, 4, 0, 0);
	question(&m, "example.com", LW_DNS_T_ANY);
	record(&m, LW_DNS_T_MX, "\x00\x0a\x04MAIL\xc0\x0c", 9);
	record(&m, LW_DNS_T_SRV, "\x00\x01\x00\x02\x13\xc4\x03sip\xc0\x0c",
	    12);
	record(&m, LW_DNS_T_PTR, "\x04host\x03lan\x00", 10);
	record(&m, LW_DNS_T_NS, "\x02ns\xc0\x0c", 5);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_int_equal(out.nrecords, 4);
	assert_string_equal(out.records[0].rdata, "10 mail.example.com");
	assert_string_equal(out.records[1].rdata, "1 2 5060 sip.example.com");
	assert_string_equal(out.records[2].rdata, "host.lan");
	assert_string_equal(out.records[3].rdata, "ns.example.com");

	/* MX to the root ("no mail", RFC 7505): "." keeps the field */
	header(&m, FLAGS_RESPONSE, 1, 1, 0, 0);
	question(&m, "example.com", LW_DNS_T_MX);
	record(&m, LW_DNS_T_MX, "\x00\x00\x00", 3);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_string_equal(out.records[0].rdata, "0 .");
}

static void test_txt(void **state)
{
	struct msg m;
	(void)state;

	header(&m, FLAGS_RESPONSE, 1, 2, 0, 0);
	question(&m, "example.com", LW_DNS_T_TXT);
	/* three strings, one empty; case and spaces kept */
	record(&m, LW_DNS_T_TXT, "\x0bv=spf1 -ALL\x00\x03" "abc", 17);
	/* control bytes, high bytes, quote and backslash */
	record(&m, LW_DNS_T_TXT, "\x06" "a\x01\xff\"\\\x7f", 7);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_string_equal(out.records[0].rdata, "v=spf1 -ALLabc");
	assert_int_equal(out.records[0].rdlength, 17);
	assert_string_equal(out.records[1].rdata,
	    "a\\001\\255\\\"\\\\\\127");

	/* strings that run past rdlength, by three bytes and by one */
	header(&m, FLAGS_RESPONSE, 1, 1, 0, 0);
	question(&m, "example.com", LW_DNS_T_TXT);
	record(&m, LW_DNS_T_TXT, "\x05" "ab", 3);
	put32(&m, 0);		/* the message goes on; the rdata does not */
	assert_int_equal(parse(&m), LW_DNS_BAD_RDATA);
	assert_int_equal(out.nrecords, 0);
	assert_int_equal(out.nquestions, 1);
	header(&m, FLAGS_RESPONSE, 1, 1, 0, 0);
	question(&m, "example.com", LW_DNS_T_TXT);
	record(&m, LW_DNS_T_TXT, "\x01" "a\x03" "ab", 5);
	assert_int_equal(parse(&m), LW_DNS_BAD_RDATA);	/* at the end */
	put32(&m, 0);
	assert_int_equal(parse(&m), LW_DNS_BAD_RDATA);
}

static void test_txt_cut_between_escapes(void **state)
{
	static struct msg m;
	uint8_t blob[256];
	size_t at;
	(void)state;

	/* 6 x 255 bytes of 0xff: 6120 characters of escapes, cut */
	memset(blob, 0xff, sizeof blob);
	blob[0] = 255;
	header(&m, FLAGS_RESPONSE, 1, 1, 0, 0);
	question(&m, "example.com", LW_DNS_T_TXT);
	at = rr_begin(&m, QNAME_AT, LW_DNS_T_TXT, 1, 60);
	for (int i = 0; i < 6; i++)
		putn(&m, blob, sizeof blob);
	rr_end(&m, at);
	assert_int_equal(parse(&m), LW_DNS_OK);
	size_t len = strlen(out.records[0].rdata);
	assert_true(len < LW_DNS_RDATA_TEXT_MAX);
	assert_true(len > LW_DNS_RDATA_TEXT_MAX - 5);
	assert_int_equal(len % 4, 0);	/* whole "\255"s only */
	for (size_t i = 0; i < len; i += 4)
		assert_memory_equal(out.records[0].rdata + i, "\\255", 4);

	/* 1020 characters, then an escape that does not fit and a 'y'
	 * that would: nothing after the cut, not even the 'y' */
	memset(blob, 'x', sizeof blob);
	blob[0] = 255;
	header(&m, FLAGS_RESPONSE, 1, 1, 0, 0);
	question(&m, "example.com", LW_DNS_T_TXT);
	at = rr_begin(&m, QNAME_AT, LW_DNS_T_TXT, 1, 60);
	for (int i = 0; i < 4; i++)
		putn(&m, blob, sizeof blob);
	putn(&m, "\x02\xffy", 3);
	rr_end(&m, at);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_int_equal(strlen(out.records[0].rdata), 4 * 255);
	assert_null(strchr(out.records[0].rdata, 'y'));
}

static void test_soa_in_authority(void **state)
{
	struct msg m;
	size_t at;
	(void)state;

	header(&m, 0x8183, 1, 0, 1, 0);		/* NXDOMAIN */
	question(&m, "nope.example.com", LW_DNS_T_A);
	at = rr_begin(&m, QNAME_AT + 5, LW_DNS_T_SOA, 1, 900);
	name_then_pointer(&m, "ns1", QNAME_AT + 5);
	name_then_pointer(&m, "Hostmaster", QNAME_AT + 5);
	put32(&m, 2025112201);
	put32(&m, 7200);
	put32(&m, 3600);
	put32(&m, 1209600);
	put32(&m, 300);
	rr_end(&m, at);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_int_equal(out.rcode, 3);
	assert_int_equal(out.nrecords, 1);
	assert_int_equal(out.records[0].section, LW_DNS_AUTHORITY);
	assert_string_equal(out.records[0].name, "example.com");
	assert_string_equal(out.records[0].rdata,
	    "ns1.example.com hostmaster.example.com 2025112201 7200 3600 "
	    "1209600 300");

	/* a root rname is "." */
	header(&m, 0x8183, 1, 0, 1, 0);
	question(&m, "example.com", LW_DNS_T_A);
	at = rr_begin(&m, QNAME_AT, LW_DNS_T_SOA, 1, 900);
	pointer(&m, QNAME_AT);
	put8(&m, 0);
	for (int i = 0; i < 5; i++)
		put32(&m, (uint32_t)i);
	rr_end(&m, at);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_string_equal(out.records[0].rdata, "example.com . 0 1 2 3 4");

	/* the numbers cut short by rdlength, at the end of the message
	 * and before more bytes */
	m.b[at + 1] -= 1;
	m.n -= 1;
	assert_int_equal(parse(&m), LW_DNS_BAD_RDATA);
	put8(&m, 0);
	assert_int_equal(parse(&m), LW_DNS_BAD_RDATA);
}

static void test_https_svcb(void **state)
{
	struct msg m;
	size_t at;
	(void)state;

	header(&m, FLAGS_RESPONSE, 1, 3, 0, 0);
	question(&m, "svc.example", LW_DNS_T_HTTPS);
	/* service mode, target cdn.svc.example, alpn=h2 and port=8443 */
	at = rr_begin(&m, QNAME_AT, LW_DNS_T_HTTPS, 1, 60);
	put16(&m, 1);
	name(&m, "CDN.svc.example");
	putn(&m, "\x00\x01\x00\x03\x02h2", 7);
	putn(&m, "\x00\x03\x00\x02\x20\xfb", 6);
	rr_end(&m, at);
	/* alias mode to the root: "." */
	record(&m, LW_DNS_T_HTTPS, "\x00\x00\x00", 3);
	/* SVCB, no params */
	record(&m, LW_DNS_T_SVCB, "\x00\x02\x03" "alt\x00", 7);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_string_equal(out.records[0].rdata, "1 cdn.svc.example");
	assert_string_equal(out.records[1].rdata, "0 .");
	assert_string_equal(out.records[2].rdata, "2 alt");

	/* a SvcParam whose length runs past rdlength */
	header(&m, FLAGS_RESPONSE, 1, 1, 0, 0);
	question(&m, "svc.example", LW_DNS_T_HTTPS);
	record(&m, LW_DNS_T_HTTPS, "\x00\x01\x00\x00\x01\x00\x09h2", 9);
	put16(&m, 0);
	assert_int_equal(parse(&m), LW_DNS_BAD_RDATA);
}

static void test_unknown_type(void **state)
{
	struct msg m;
	char buf[16];
	(void)state;

	header(&m, FLAGS_RESPONSE, 1, 2, 0, 0);
	question(&m, "example.com", 65280);
	record(&m, 65280, "\xde\xad\xbe", 3);
	record(&m, 99, "", 0);			/* SPF, empty */
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_int_equal(out.questions[0].qtype, 65280);
	assert_int_equal(out.records[0].rrtype, 65280);
	assert_int_equal(out.records[0].rdlength, 3);
	assert_string_equal(out.records[0].rdata, "");
	assert_string_equal(out.records[1].rdata, "");
	assert_string_equal(lw_dns_type_name(65280, buf, sizeof buf),
	    "TYPE65280");
}

static void test_edns(void **state)
{
	struct msg m;
	size_t at;
	char buf[16];
	(void)state;

	/* ext rcode 1, version 0, DO: rcode (1 << 4) | 0 = 16 */
	header(&m, FLAGS_RESPONSE, 1, 0, 0, 1);
	question(&m, "example.com", LW_DNS_T_A);
	at = rr_begin(&m, ROOT_OWNER, LW_DNS_T_OPT, 1232, 0x01008000);
	rr_end(&m, at);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_true(out.edns);
	assert_int_equal(out.edns_udp_size, 1232);
	assert_int_equal(out.edns_version, 0);
	assert_true(out.edns_do);
	assert_int_equal(out.rcode, 16);
	assert_string_equal(lw_dns_rcode_name(out.rcode, buf, sizeof buf),
	    "BADVERS");
	assert_int_equal(out.records[0].rrtype, LW_DNS_T_OPT);
	assert_int_equal(out.records[0].section, LW_DNS_ADDITIONAL);
	assert_int_equal(out.records[0].rrclass, 1232);
	assert_string_equal(out.records[0].name, "");

	/* header rcode 3 with ext rcode 1 is 19; version 1; no DO; the
	 * UDP size keeps its top bit (it is no mDNS class); a cookie */
	header(&m, 0x8183, 1, 0, 0, 1);
	question(&m, "example.com", LW_DNS_T_A);
	at = rr_begin(&m, ROOT_OWNER, LW_DNS_T_OPT, 0x9000, 0x01010000);
	putn(&m, "\x00\x0a\x00\x08" "12345678", 12);
	rr_end(&m, at);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_int_equal(out.rcode, 19);
	assert_int_equal(out.edns_version, 1);
	assert_false(out.edns_do);
	assert_int_equal(out.edns_udp_size, 0x9000);
	assert_false(out.records[0].cache_flush);
	assert_string_equal(lw_dns_rcode_name(out.rcode, buf, sizeof buf),
	    "BADMODE");

	/* an option running past rdlength; one with half its header */
	header(&m, FLAGS_QUERY, 1, 0, 0, 1);
	question(&m, "example.com", LW_DNS_T_A);
	at = rr_begin(&m, ROOT_OWNER, LW_DNS_T_OPT, 1232, 0);
	putn(&m, "\x00\x0a\x00\x08" "1234", 8);
	rr_end(&m, at);
	put32(&m, 0);
	assert_int_equal(parse(&m), LW_DNS_BAD_RDATA);
	assert_false(out.edns);
	header(&m, FLAGS_QUERY, 1, 0, 0, 1);
	question(&m, "example.com", LW_DNS_T_A);
	at = rr_begin(&m, ROOT_OWNER, LW_DNS_T_OPT, 1232, 0);
	putn(&m, "\x00\x0a\x00", 3);
	rr_end(&m, at);
	assert_int_equal(parse(&m), LW_DNS_BAD_RDATA);

	/* an OPT outside the additional section is a record, not EDNS */
	header(&m, FLAGS_RESPONSE, 1, 1, 0, 0);
	question(&m, "example.com", LW_DNS_T_A);
	at = rr_begin(&m, ROOT_OWNER, LW_DNS_T_OPT, 512, 0x0f008000);
	rr_end(&m, at);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_false(out.edns);
	assert_int_equal(out.rcode, 0);
	assert_int_equal(out.nrecords, 1);
}

static void test_mdns_bits(void **state)
{
	struct msg m;
	size_t at;
	(void)state;

	header(&m, 0x8400, 1, 2, 0, 0);
	name(&m, "_hap._tcp.local");
	put16(&m, LW_DNS_T_PTR);
	put16(&m, 0x8001);			/* QU, IN */
	at = rr_begin(&m, QNAME_AT, LW_DNS_T_PTR, 0x0001, 4500);
	name_then_pointer(&m, "Lamp", QNAME_AT);
	rr_end(&m, at);
	at = rr_begin(&m, (int)at + 2, LW_DNS_T_A, 0x8001, 120);
	putn(&m, "\xa9\xfe\x01\x02", 4);	/* cache flush, IN */
	rr_end(&m, at);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_true(out.aa);
	assert_true(out.questions[0].unicast_response);
	assert_int_equal(out.questions[0].qclass, 1);
	assert_string_equal(out.records[0].rdata, "lamp._hap._tcp.local");
	assert_false(out.records[0].cache_flush);
	assert_int_equal(out.records[1].rrclass, 1);
	assert_true(out.records[1].cache_flush);
	assert_string_equal(out.records[1].name, "lamp._hap._tcp.local");
	assert_string_equal(out.records[1].rdata, "169.254.1.2");
}

static void test_name_escaping(void **state)
{
	struct msg m;
	(void)state;

	/* a label with '.', '\' and '"', one with 0x00, 0xff, space, 0x7f
	 * and 'Z' (lowercased), one with a UTF-8 'é' */
	header(&m, FLAGS_QUERY, 1, 0, 0, 0);
	putn(&m, "\x06" "a.b\\c\"", 7);
	putn(&m, "\x05" "\x00\xff \x7fZ", 6);
	putn(&m, "\x03" "\xc3\xa9" "t", 4);
	put8(&m, 0);
	put16(&m, LW_DNS_T_A);
	put16(&m, 1);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_string_equal(out.questions[0].name,
	    "a\\.b\\\\c\".\\000\\255\\032\\127z.\\195\\169t");
	assert_int_equal(out.questions[0].labels, 3);
	assert_int_equal(out.questions[0].longest_label, 6);
	assert_int_equal(out.questions[0].wire_len, 7 + 6 + 4 + 1);
}

static void test_longest_name_text_fits(void **state)
{
	struct msg m;
	(void)state;

	/* 255 wire bytes, every byte escaped: the worst text there is */
	header(&m, FLAGS_QUERY, 1, 0, 0, 0);
	for (int i = 0; i < 3; i++)
		label_of(&m, 0xff, 63);
	label_of(&m, 0xff, 61);		/* 3 * 64 + 62 + 1 = 255 */
	put8(&m, 0);
	put16(&m, LW_DNS_T_A);
	put16(&m, 1);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_int_equal(out.questions[0].wire_len, 255);
	assert_int_equal(out.questions[0].labels, 4);
	assert_int_equal(out.questions[0].longest_label, 63);
	assert_int_equal(strlen(out.questions[0].name), 250 * 4 + 3);
}

/* ---- hostile names ---- */

static void test_pointer_to_itself(void **state)
{
	struct msg m;
	(void)state;

	header(&m, FLAGS_QUERY, 1, 0, 0, 0);
	pointer(&m, QNAME_AT);			/* at 12, to 12 */
	put16(&m, LW_DNS_T_A);
	put16(&m, 1);
	assert_int_equal(parse(&m), LW_DNS_BAD_POINTER);
	assert_int_equal(out.nquestions, 0);
	assert_int_equal(out.nquestions_total, 0);

	/* after a label */
	header(&m, FLAGS_QUERY, 1, 0, 0, 0);
	name_then_pointer(&m, "a", QNAME_AT + 2);	/* at 14, to 14 */
	put16(&m, LW_DNS_T_A);
	put16(&m, 1);
	assert_int_equal(parse(&m), LW_DNS_BAD_POINTER);
}

static void test_pointer_loop(void **state)
{
	struct msg m;
	(void)state;

	/* A -> B -> A: 12 "a" then a pointer to 16; at 16 one back to 12 */
	header(&m, FLAGS_QUERY, 1, 0, 0, 0);
	name_then_pointer(&m, "a", 16);
	pointer(&m, QNAME_AT);
	put16(&m, LW_DNS_T_A);
	put16(&m, 1);
	assert_int_equal(parse(&m), LW_DNS_BAD_POINTER);
	assert_int_equal(out.nquestions, 0);

	/* two pointers to each other, no labels between */
	header(&m, FLAGS_QUERY, 1, 0, 0, 0);
	pointer(&m, 14);
	pointer(&m, 12);
	put16(&m, LW_DNS_T_A);
	put16(&m, 1);
	assert_int_equal(parse(&m), LW_DNS_BAD_POINTER);
}

/*
 * dns.h: forward pointers are followed, as glibc, Unbound, Wireshark and
 * Suricata do (suricata-verify's dns-forward-pointer capture); what
 * makes them hostile is where they lead, which the hop limit and the
 * bounds catch.
 */
static void test_forward_pointers(void **state)
{
	struct msg m;
	(void)state;

	/* two questions; the first names the second by a forward pointer */
	header(&m, FLAGS_QUERY, 2, 0, 0, 0);
	pointer(&m, 18);			/* 12 -> 18 */
	put16(&m, LW_DNS_T_A);
	put16(&m, 1);
	question(&m, "codemonkey.net", LW_DNS_T_A);	/* at 18 */
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_int_equal(out.nquestions, 2);
	assert_string_equal(out.questions[0].name, "codemonkey.net");
	assert_int_equal(out.questions[0].wire_len, 16);
	assert_string_equal(out.questions[1].name, "codemonkey.net");

	/* forward to the end of the message, and past it */
	header(&m, FLAGS_QUERY, 1, 0, 0, 0);
	pointer(&m, 18);
	put16(&m, LW_DNS_T_A);
	put16(&m, 1);
	assert_int_equal(m.n, 18);
	assert_int_equal(parse(&m), LW_DNS_BAD_POINTER);
	header(&m, FLAGS_QUERY, 1, 0, 0, 0);
	pointer(&m, 0x3fff);
	put16(&m, LW_DNS_T_A);
	put16(&m, 1);
	assert_int_equal(parse(&m), LW_DNS_BAD_POINTER);

	/* forward then back, forever */
	header(&m, FLAGS_QUERY, 1, 0, 0, 0);
	pointer(&m, 18);			/* 12 -> 18 */
	put16(&m, LW_DNS_T_A);
	put16(&m, 1);
	name_then_pointer(&m, "x", QNAME_AT);	/* 18: "x", -> 12 */
	assert_int_equal(parse(&m), LW_DNS_BAD_POINTER);
}

static void test_pointer_into_header(void **state)
{
	struct msg m;
	(void)state;

	/* the header's bytes would read as labels: no name starts there */
	for (unsigned target = 0; target < LW_DNS_HEADER_LEN; target++) {
		header(&m, FLAGS_QUERY, 1, 0, 0, 0);
		pointer(&m, target);
		put16(&m, LW_DNS_T_A);
		put16(&m, 1);
		assert_int_equal(parse(&m), LW_DNS_BAD_POINTER);
	}
}

/* A chain: the record's owner hops 'hops' times back to the root at 12. */
static void pointer_chain(struct msg *m, unsigned hops)
{
	size_t at;

	header(m, FLAGS_RESPONSE, 0, 2, 0, 0);
	/* an opaque record owned by the root (at 12) whose rdata holds
	 * the chain, each pointer leading to the one before it */
	at = rr_begin(m, ROOT_OWNER, 65280, 1, 0);
	pointer(m, QNAME_AT);
	for (unsigned i = 1; i < hops; i++)
		pointer(m, (unsigned)(m->n - 2));
	rr_end(m, at);
	/* the second record's owner is the last pointer of the chain */
	at = rr_begin(m, (int)(m->n - 2), 1, 1, 0);
	putn(m, "\x0a\x00\x00\x01", 4);
	rr_end(m, at);
}

static void test_too_many_hops(void **state)
{
	struct msg m;
	(void)state;

	/* LW_DNS_MAX_POINTER_HOPS hops in all: the owner's own pointer
	 * and MAX - 1 of the chain */
	pointer_chain(&m, LW_DNS_MAX_POINTER_HOPS - 1);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_int_equal(out.nrecords, 2);
	assert_string_equal(out.records[1].name, "");

	pointer_chain(&m, LW_DNS_MAX_POINTER_HOPS);
	assert_int_equal(parse(&m), LW_DNS_BAD_POINTER);
	assert_int_equal(out.nrecords, 1);
	assert_int_equal(out.nrecords_total, 1);
}

static void test_label_limits(void **state)
{
	struct msg m;
	(void)state;

	/* 63 is the longest label */
	header(&m, FLAGS_QUERY, 1, 0, 0, 0);
	label_of(&m, 'x', 63);
	put8(&m, 0);
	put16(&m, LW_DNS_T_A);
	put16(&m, 1);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_int_equal(strlen(out.questions[0].name), 63);
	assert_int_equal(out.questions[0].longest_label, 63);

	/* a length byte of 64 is 0x40, a reserved label type */
	header(&m, FLAGS_QUERY, 1, 0, 0, 0);
	label_of(&m, 'x', 64);
	put8(&m, 0);
	put16(&m, LW_DNS_T_A);
	put16(&m, 1);
	assert_int_equal(parse(&m), LW_DNS_BAD_NAME);

	/* 0x40 (RFC 6891 extended label) and 0x80 (unallocated) */
	static const unsigned reserved[] = { 0x40, 0x41, 0x7f, 0x80, 0xbf };
	for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++) {
		header(&m, FLAGS_QUERY, 1, 0, 0, 0);
		name_then_pointer(&m, "ok", 0);
		m.b[m.n - 2] = (uint8_t)reserved[i];
		m.b[m.n - 1] = 1;
		put16(&m, LW_DNS_T_A);
		put16(&m, 1);
		assert_int_equal(parse(&m), LW_DNS_BAD_NAME);
	}
}

static void test_name_limits(void **state)
{
	struct msg m;
	(void)state;

	/* 4 x 63-byte labels: 4 * 64 + 1 = 257 bytes, over 255 */
	header(&m, FLAGS_QUERY, 1, 0, 0, 0);
	for (int i = 0; i < 4; i++)
		label_of(&m, 'x', 63);
	put8(&m, 0);
	put16(&m, LW_DNS_T_A);
	put16(&m, 1);
	assert_int_equal(parse(&m), LW_DNS_BAD_NAME);
	assert_int_equal(out.nquestions, 0);

	/* 256: one byte over */
	header(&m, FLAGS_QUERY, 1, 0, 0, 0);
	for (int i = 0; i < 3; i++)
		label_of(&m, 'x', 63);
	label_of(&m, 'x', 62);
	put8(&m, 0);
	put16(&m, LW_DNS_T_A);
	put16(&m, 1);
	assert_int_equal(parse(&m), LW_DNS_BAD_NAME);

	/* 257 bytes reached through a pointer: a question of 193 bytes,
	 * then a record whose owner adds 64 and points to it */
	header(&m, FLAGS_RESPONSE, 1, 1, 0, 0);
	for (int i = 0; i < 3; i++)
		label_of(&m, 'x', 63);
	put8(&m, 0);
	put16(&m, LW_DNS_T_A);
	put16(&m, 1);
	label_of(&m, 'y', 63);
	pointer(&m, QNAME_AT);
	put16(&m, LW_DNS_T_A);
	put16(&m, 1);
	put32(&m, 0);
	put16(&m, 4);
	put32(&m, 0);
	assert_int_equal(parse(&m), LW_DNS_BAD_NAME);
	assert_int_equal(out.nquestions, 1);	/* kept before the fault */
	assert_int_equal(out.nrecords, 0);

	/* through a chain of pointers, each after a 63-byte label: 255
	 * bytes are passed long before the hop limit.  The links sit in
	 * the rdata of an opaque record; the next record's owner is the
	 * last link: 1 + 4 hops, 4 * 64 + 64 + 1 = 321 bytes. */
	header(&m, FLAGS_RESPONSE, 1, 2, 0, 0);
	label_of(&m, 'z', 63);
	put8(&m, 0);
	put16(&m, LW_DNS_T_A);
	put16(&m, 1);
	size_t at = rr_begin(&m, QNAME_AT, 65280, 1, 0);
	size_t link = QNAME_AT;
	for (int i = 0; i < 4; i++) {
		size_t here = m.n;
		label_of(&m, 'z', 63);
		pointer(&m, (unsigned)link);
		link = here;
	}
	rr_end(&m, at);
	at = rr_begin(&m, (int)link, LW_DNS_T_A, 1, 0);
	put32(&m, 0);
	rr_end(&m, at);
	assert_int_equal(parse(&m), LW_DNS_BAD_NAME);
	assert_int_equal(out.nquestions, 1);
	assert_int_equal(out.nrecords, 1);
}

/* ---- hostile rdata ---- */

static void test_rdata_lengths(void **state)
{
	struct msg m;
	size_t at;
	(void)state;

	/* A of 5 bytes, A of 0, AAAA of 4 */
	header(&m, FLAGS_RESPONSE, 1, 1, 0, 0);
	question(&m, "example.com", LW_DNS_T_A);
	record(&m, LW_DNS_T_A, "\x01\x02\x03\x04\x05", 5);
	assert_int_equal(parse(&m), LW_DNS_BAD_RDATA);
	assert_int_equal(out.nquestions, 1);
	assert_int_equal(out.nrecords, 0);
	header(&m, FLAGS_RESPONSE, 1, 1, 0, 0);
	question(&m, "example.com", LW_DNS_T_A);
	record(&m, LW_DNS_T_A, "", 0);
	assert_int_equal(parse(&m), LW_DNS_BAD_RDATA);
	header(&m, FLAGS_RESPONSE, 1, 1, 0, 0);
	question(&m, "example.com", LW_DNS_T_AAAA);
	record(&m, LW_DNS_T_AAAA, "\x01\x02\x03\x04", 4);
	assert_int_equal(parse(&m), LW_DNS_BAD_RDATA);

	/* zero-length rdata: fine for TXT (empty), OPT and unknown types,
	 * not for a name or MX */
	header(&m, FLAGS_RESPONSE, 1, 3, 0, 1);
	question(&m, "example.com", LW_DNS_T_TXT);
	record(&m, LW_DNS_T_TXT, "", 0);
	record(&m, LW_DNS_T_NULL, "", 0);
	record(&m, 4242, "", 0);
	at = rr_begin(&m, ROOT_OWNER, LW_DNS_T_OPT, 4096, 0);
	rr_end(&m, at);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_int_equal(out.nrecords, 4);
	assert_string_equal(out.records[0].rdata, "");
	assert_int_equal(out.records[0].rdlength, 0);
	assert_true(out.edns);
	static const unsigned need_data[] = {
		LW_DNS_T_CNAME, LW_DNS_T_NS, LW_DNS_T_PTR, LW_DNS_T_MX,
		LW_DNS_T_SRV, LW_DNS_T_SOA, LW_DNS_T_HTTPS, LW_DNS_T_SVCB,
	};
	for (size_t i = 0; i < sizeof need_data / sizeof *need_data; i++) {
		header(&m, FLAGS_RESPONSE, 1, 1, 0, 0);
		question(&m, "example.com", LW_DNS_T_ANY);
		record(&m, need_data[i], "", 0);
		put32(&m, 0);	/* bytes after it, which it may not take */
		assert_int_equal(parse(&m), LW_DNS_BAD_RDATA);
	}

	/* rdlength past the end of the message */
	header(&m, FLAGS_RESPONSE, 1, 2, 0, 0);
	question(&m, "example.com", LW_DNS_T_TXT);
	record(&m, LW_DNS_T_TXT, "\x02hi", 3);
	record(&m, LW_DNS_T_TXT, "\x02hi", 3);
	m.b[m.n - 4] = 200;
	assert_int_equal(parse(&m), LW_DNS_TRUNCATED);
	assert_int_equal(out.nrecords, 1);	/* the first one is kept */
	assert_string_equal(out.records[0].rdata, "hi");
	m.b[m.n - 5] = 0xff;			/* 0xffc8 */
	assert_int_equal(parse(&m), LW_DNS_TRUNCATED);
}

static void test_rdata_names_end_inside(void **state)
{
	struct msg m;
	(void)state;

	/* a CNAME whose name runs past its rdlength into the message */
	header(&m, FLAGS_RESPONSE, 1, 1, 0, 0);
	question(&m, "example.com", LW_DNS_T_A);
	record(&m, LW_DNS_T_CNAME, "\x03www\x07", 5);
	putn(&m, "example\x00", 8);
	assert_int_equal(parse(&m), LW_DNS_BAD_RDATA);

	/* the same, at the very end of the message */
	header(&m, FLAGS_RESPONSE, 1, 1, 0, 0);
	question(&m, "example.com", LW_DNS_T_A);
	record(&m, LW_DNS_T_CNAME, "\x03www", 4);
	assert_int_equal(parse(&m), LW_DNS_BAD_RDATA);

	/* a pointer whose second byte is past rdlength */
	header(&m, FLAGS_RESPONSE, 1, 1, 0, 0);
	question(&m, "example.com", LW_DNS_T_A);
	record(&m, LW_DNS_T_PTR, "\x01" "a\xc0", 3);
	put8(&m, QNAME_AT);
	assert_int_equal(parse(&m), LW_DNS_BAD_RDATA);

	/* an MX name that ends, then bytes rdlength still claims */
	header(&m, FLAGS_RESPONSE, 1, 1, 0, 0);
	question(&m, "example.com", LW_DNS_T_MX);
	record(&m, LW_DNS_T_MX, "\x00\x0a\xc0\x0c\x00", 5);
	assert_int_equal(parse(&m), LW_DNS_BAD_RDATA);

	/* an MX with no room for its preference (at the end, then not) */
	header(&m, FLAGS_RESPONSE, 1, 1, 0, 0);
	question(&m, "example.com", LW_DNS_T_MX);
	record(&m, LW_DNS_T_MX, "\x00", 1);
	assert_int_equal(parse(&m), LW_DNS_BAD_RDATA);
	put32(&m, 0);
	assert_int_equal(parse(&m), LW_DNS_BAD_RDATA);

	/* a pointer out of the rdata, backwards, is fine */
	header(&m, FLAGS_RESPONSE, 1, 1, 0, 0);
	question(&m, "example.com", LW_DNS_T_A);
	record(&m, LW_DNS_T_CNAME, "\x01" "b\xc0\x0c", 4);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_string_equal(out.records[0].rdata, "b.example.com");

	/* a name in rdata hostile the usual ways */
	header(&m, FLAGS_RESPONSE, 1, 1, 0, 0);
	question(&m, "example.com", LW_DNS_T_A);
	record(&m, LW_DNS_T_NS, "\x41" "abc", 4);
	assert_int_equal(parse(&m), LW_DNS_BAD_NAME);
	header(&m, FLAGS_RESPONSE, 1, 1, 0, 0);
	question(&m, "example.com", LW_DNS_T_A);
	size_t at = rr_begin(&m, QNAME_AT, LW_DNS_T_NS, 1, 0);
	pointer(&m, (unsigned)m.n);
	rr_end(&m, at);
	assert_int_equal(parse(&m), LW_DNS_BAD_POINTER);
}

/* ---- counts and cuts ---- */

static void test_lying_counts(void **state)
{
	struct msg m;
	(void)state;

	/* 65535 questions claimed, one present */
	header(&m, FLAGS_QUERY, 65535, 65535, 65535, 65535);
	question(&m, "example.com", LW_DNS_T_A);
	assert_int_equal(parse(&m), LW_DNS_TRUNCATED);
	assert_int_equal(out.qdcount, 65535);
	assert_int_equal(out.nquestions, 1);
	assert_int_equal(out.nquestions_total, 1);

	/* everything claimed, nothing there */
	header(&m, FLAGS_RESPONSE, 65535, 65535, 65535, 65535);
	assert_int_equal(parse(&m), LW_DNS_TRUNCATED);
	assert_int_equal(out.nquestions_total, 0);

	/* records claimed, none there */
	header(&m, FLAGS_RESPONSE, 1, 0, 0, 65535);
	question(&m, "example.com", LW_DNS_T_A);
	assert_int_equal(parse(&m), LW_DNS_TRUNCATED);
	assert_int_equal(out.nquestions, 1);
	assert_int_equal(out.nrecords_total, 0);

	/* counts below what is there: the rest is not read */
	header(&m, FLAGS_RESPONSE, 1, 0, 0, 0);
	question(&m, "example.com", LW_DNS_T_A);
	record(&m, LW_DNS_T_A, "\x01\x02\x03", 3);	/* bad, not read */
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_int_equal(out.nrecords, 0);
}

static void test_more_than_stored(void **state)
{
	static struct msg m;
	(void)state;

	header(&m, FLAGS_RESPONSE, LW_DNS_MAX_QUESTIONS + 3,
	    LW_DNS_MAX_RECORDS + 5, 0, 1);
	for (int i = 0; i < LW_DNS_MAX_QUESTIONS + 3; i++)
		question(&m, i == 0 ? "first.example" : "a.b", LW_DNS_T_A);
	for (int i = 0; i < LW_DNS_MAX_RECORDS + 5; i++)
		record(&m, LW_DNS_T_A, "\x01\x02\x03\x04", 4);
	/* the OPT is past the capacity, yet still read for EDNS */
	size_t at = rr_begin(&m, ROOT_OWNER, LW_DNS_T_OPT, 1400, 0x8000);
	rr_end(&m, at);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_int_equal(out.nquestions, LW_DNS_MAX_QUESTIONS);
	assert_int_equal(out.nquestions_total, LW_DNS_MAX_QUESTIONS + 3);
	assert_string_equal(out.questions[0].name, "first.example");
	assert_string_equal(out.questions[LW_DNS_MAX_QUESTIONS - 1].name,
	    "a.b");
	assert_int_equal(out.nrecords, LW_DNS_MAX_RECORDS);
	assert_int_equal(out.nrecords_total, LW_DNS_MAX_RECORDS + 6);
	assert_string_equal(out.records[LW_DNS_MAX_RECORDS - 1].rdata,
	    "1.2.3.4");
	assert_true(out.edns);
	assert_true(out.edns_do);
	assert_int_equal(out.edns_udp_size, 1400);

	/* a hostile item past the capacity still stops the parse */
	m.b[m.n - 11] = 0x80;			/* the OPT's name */
	assert_int_equal(parse(&m), LW_DNS_BAD_NAME);
	assert_int_equal(out.nrecords, LW_DNS_MAX_RECORDS);
	assert_int_equal(out.nrecords_total, LW_DNS_MAX_RECORDS + 5);
	assert_false(out.edns);
}

static void test_truncation_at_every_byte(void **state)
{
	struct msg m;
	size_t record_end[8], nends = 0, at;
	(void)state;

	header(&m, FLAGS_RESPONSE, 2, 4, 1, 1);
	question(&m, "www.example.com", LW_DNS_T_A);
	size_t first_question_end = m.n;
	question(&m, "www.example.com", LW_DNS_T_AAAA);
	size_t questions_end = m.n;
	record(&m, LW_DNS_T_CNAME, "\x03web\xc0\x10", 6);
	record_end[nends++] = m.n;
	record(&m, LW_DNS_T_A, "\x5d\xb8\xd8\x22", 4);
	record_end[nends++] = m.n;
	record(&m, LW_DNS_T_TXT, "\x05hello\x02hi", 9);
	record_end[nends++] = m.n;
	record(&m, LW_DNS_T_MX, "\x00\x0a\x04mail\xc0\x10", 9);
	record_end[nends++] = m.n;
	at = rr_begin(&m, QNAME_AT + 4, LW_DNS_T_SOA, 1, 60);
	name_then_pointer(&m, "ns", QNAME_AT + 4);
	name(&m, "h.example");
	for (int i = 0; i < 5; i++)
		put32(&m, 1000u + (uint32_t)i);
	rr_end(&m, at);
	record_end[nends++] = m.n;
	at = rr_begin(&m, ROOT_OWNER, LW_DNS_T_OPT, 1232, 0x8000);
	putn(&m, "\x00\x0a\x00\x02" "ab", 6);
	rr_end(&m, at);
	record_end[nends++] = m.n;
	assert_int_equal(record_end[nends - 1], m.n);

	for (size_t n = 0; n < m.n; n++) {
		assert_int_equal(parse_exact(m.b, n), LW_DNS_TRUNCATED);
		unsigned want_q = n >= questions_end ? 2 :
		    n >= first_question_end ? 1 : 0;
		assert_int_equal(out.nquestions, want_q);
		if (want_q >= 1)
			assert_string_equal(out.questions[0].name,
			    "www.example.com");
		if (want_q == 2)
			assert_int_equal(out.questions[1].qtype,
			    LW_DNS_T_AAAA);
		unsigned want_r = 0;
		for (size_t i = 0; i < nends; i++)
			want_r += record_end[i] <= n;
		assert_int_equal(out.nrecords, want_r);
		assert_false(out.edns);
		if (n >= LW_DNS_HEADER_LEN)
			assert_int_equal(out.id, 0x1234);
		else
			assert_int_equal(out.qdcount, 0);
	}
	assert_int_equal(parse_exact(m.b, m.n), LW_DNS_OK);
	assert_int_equal(out.nrecords, 6);
	assert_string_equal(out.records[0].rdata, "web.example.com");
	assert_string_equal(out.records[2].rdata, "hellohi");
	assert_string_equal(out.records[4].rdata,
	    "ns.example.com h.example 1000 1001 1002 1003 1004");
	assert_true(out.edns);
}

static void test_output_reused(void **state)
{
	struct msg m;
	size_t at;
	(void)state;

	/* a full message, then a cut one: nothing of the first shows */
	header(&m, 0x8185, 1, 0, 0, 1);
	question(&m, "example.com", LW_DNS_T_A);
	at = rr_begin(&m, ROOT_OWNER, LW_DNS_T_OPT, 1232, 0x02008000);
	rr_end(&m, at);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_true(out.edns);
	assert_int_equal(out.rcode, 0x25);
	assert_int_equal(parse_exact(m.b, 5), LW_DNS_TRUNCATED);
	assert_false(out.edns || out.edns_do || out.qr);
	assert_int_equal(out.rcode, 0);
	assert_int_equal(out.id, 0);
	assert_int_equal(out.nquestions + out.nrecords, 0);
	assert_int_equal(lw_dns_parse(NULL, 0, &out), LW_DNS_TRUNCATED);
}

/* ---- names of types, rcodes and errors ---- */

static void test_type_names(void **state)
{
	static const struct {
		uint16_t type;
		const char *name;
	} known[] = {
		{ 1, "A" }, { 2, "NS" }, { 3, "MD" }, { 4, "MF" },
		{ 5, "CNAME" }, { 6, "SOA" }, { 7, "MB" }, { 8, "MG" },
		{ 9, "MR" }, { 10, "NULL" }, { 11, "WKS" }, { 12, "PTR" },
		{ 13, "HINFO" }, { 14, "MINFO" }, { 15, "MX" }, { 16, "TXT" },
		{ 17, "RP" }, { 18, "AFSDB" }, { 24, "SIG" }, { 25, "KEY" },
		{ 28, "AAAA" }, { 29, "LOC" }, { 33, "SRV" }, { 35, "NAPTR" },
		{ 36, "KX" }, { 37, "CERT" }, { 39, "DNAME" }, { 41, "OPT" },
		{ 42, "APL" }, { 43, "DS" }, { 44, "SSHFP" },
		{ 45, "IPSECKEY" }, { 46, "RRSIG" }, { 47, "NSEC" },
		{ 48, "DNSKEY" }, { 49, "DHCID" }, { 50, "NSEC3" },
		{ 51, "NSEC3PARAM" }, { 52, "TLSA" }, { 53, "SMIMEA" },
		{ 55, "HIP" }, { 59, "CDS" }, { 60, "CDNSKEY" },
		{ 61, "OPENPGPKEY" }, { 62, "CSYNC" }, { 63, "ZONEMD" },
		{ 64, "SVCB" }, { 65, "HTTPS" }, { 99, "SPF" },
		{ 249, "TKEY" }, { 250, "TSIG" }, { 251, "IXFR" },
		{ 252, "AXFR" }, { 255, "ANY" }, { 256, "URI" },
		{ 257, "CAA" },
	};
	char buf[12];
	(void)state;

	for (size_t i = 0; i < sizeof known / sizeof *known; i++)
		assert_string_equal(lw_dns_type_name(known[i].type, buf,
		    sizeof buf), known[i].name);
	assert_string_equal(lw_dns_type_name(0, buf, sizeof buf), "TYPE0");
	assert_string_equal(lw_dns_type_name(54, buf, sizeof buf), "TYPE54");
	assert_string_equal(lw_dns_type_name(65280, buf, sizeof buf),
	    "TYPE65280");
	assert_string_equal(lw_dns_type_name(65535, buf, sizeof buf),
	    "TYPE65535");
}

static void test_rcode_and_error_names(void **state)
{
	static const char *const rcodes[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
		"REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
		"NOTZONE", "DSOTYPENI", "RCODE12", "RCODE13", "RCODE14",
		"RCODE15", "BADVERS", "BADKEY", "BADTIME", "BADMODE",
		"BADNAME", "BADALG", "BADTRUNC", "BADCOOKIE", "RCODE24",
	};
	char buf[12];
	(void)state;

	for (size_t i = 0; i < sizeof rcodes / sizeof *rcodes; i++)
		assert_string_equal(lw_dns_rcode_name((uint16_t)i, buf,
		    sizeof buf), rcodes[i]);
	assert_string_equal(lw_dns_rcode_name(4095, buf, sizeof buf),
	    "RCODE4095");

	assert_string_equal(lw_dns_error_name(LW_DNS_OK), "ok");
	assert_string_equal(lw_dns_error_name(LW_DNS_TRUNCATED), "truncated");
	assert_string_equal(lw_dns_error_name(LW_DNS_BAD_NAME), "bad_name");
	assert_string_equal(lw_dns_error_name(LW_DNS_BAD_POINTER),
	    "bad_pointer");
	assert_string_equal(lw_dns_error_name(LW_DNS_BAD_RDATA), "bad_rdata");
	assert_string_equal(lw_dns_error_name(LW_DNS_ERROR_COUNT), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_header_flags),
		cmocka_unit_test(test_cname_chain_a_aaaa),
		cmocka_unit_test(test_mx_srv_ptr_ns),
		cmocka_unit_test(test_txt),
		cmocka_unit_test(test_txt_cut_between_escapes),
		cmocka_unit_test(test_soa_in_authority),
		cmocka_unit_test(test_https_svcb),
		cmocka_unit_test(test_unknown_type),
		cmocka_unit_test(test_edns),
		cmocka_unit_test(test_mdns_bits),
		cmocka_unit_test(test_name_escaping),
		cmocka_unit_test(test_longest_name_text_fits),
		cmocka_unit_test(test_pointer_to_itself),
		cmocka_unit_test(test_pointer_loop),
		cmocka_unit_test(test_forward_pointers),
		cmocka_unit_test(test_pointer_into_header),
		cmocka_unit_test(test_too_many_hops),
		cmocka_unit_test(test_label_limits),
		cmocka_unit_test(test_name_limits),
		cmocka_unit_test(test_rdata_lengths),
		cmocka_unit_test(test_rdata_names_end_inside),
		cmocka_unit_test(test_lying_counts),
		cmocka_unit_test(test_more_than_stored),
		cmocka_unit_test(test_truncation_at_every_byte),
		cmocka_unit_test(test_output_reused),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_rcode_and_error_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
