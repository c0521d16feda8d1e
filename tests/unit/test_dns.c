/*
 * test_dns.c - t102: the DNS message parser, on well-formed and hostile
 * messages built here: every record type it decodes, EDNS, mDNS bits,
 * name escaping, and pointer loops, self and forward pointers, long
 * labels and names, bad rdata, lying counts and a cut at every byte.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "labwarden/dns.h"

struct msg {
	uint8_t	 b[4096];
	size_t	 n;
};

static struct lw_dns_msg out;	/* large: not on the stack */

static void put8(struct msg *m, unsigned v)
{
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
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void header(struct msg *m, unsigned id, unsigned flags, unsigned qd,
    unsigned an, unsigned ns, unsigned ar)
{
	m->n = 0;
	put16(m, id);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, ns);
	put16(m, ar);
}

/* "www.Example.com" as labels. */
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

static void pointer(struct msg *m, unsigned offset)
{
	put16(m, 0xc000 | offset);
}

static void question(struct msg *m, const char *text, unsigned type)
{
	name(m, text);
	put16(m, type);
	put16(m, 1);
}

/* A record whose name is a pointer to the question (offset 12). */
static size_t record(struct msg *m, unsigned type, uint32_t ttl,
    const void *rdata, size_t len)
{
	pointer(m, 12);
	put16(m, type);
	put16(m, 1);
	put32(m, ttl);
	put16(m, (unsigned)len);
	size_t at = m->n;
	putn(m, rdata, len);
	return at;
}

static enum lw_dns_error parse(const struct msg *m)
{
	return lw_dns_parse(m->b, m->n, &out);
}

static void test_query(void **state)
{
	struct msg m;
	(void)state;

	header(&m, 0x1234, 0x0100, 1, 0, 0, 0);
	question(&m, "WWW.Example.COM", 28);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_int_equal(out.id, 0x1234);
	assert_false(out.qr);
	assert_true(out.rd);
	assert_int_equal(out.nquestions, 1);
	assert_string_equal(out.questions[0].name, "www.example.com");
	assert_int_equal(out.questions[0].qtype, 28);
	assert_int_equal(out.questions[0].labels, 3);
	assert_int_equal(out.questions[0].longest_label, 7);
	assert_int_equal(out.questions[0].wire_len, 17);
}

static void test_response_records(void **state)
{
	struct msg m;
	char buf[16];
	(void)state;

	header(&m, 7, 0x8180, 1, 6, 1, 0);
	question(&m, "example.com", 1);
	record(&m, 1, 300, "\x5d\xb8\xd8\x22", 4);
	record(&m, 28, 60, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	record(&m, 5, 60, "\x03www\xc0\x0c", 6);		/* CNAME */
	record(&m, 15, 60, "\x00\x0a\x04mail\xc0\x0c", 9);	/* MX */
	record(&m, 16, 60, "\x05hello\x03w\x01r", 10);	/* TXT, 2 strings */
	record(&m, 33, 60, "\x00\x01\x00\x02\x01\xbb\x03sip\xc0\x0c", 12);
	/* SOA in authority */
	pointer(&m, 12);
	put16(&m, 6);
	put16(&m, 1);
	put32(&m, 900);
	put16(&m, 4 + 2 + 20);
	putn(&m, "\x02ns\xc0\x0c", 5);
	put8(&m, 0);			/* rname: the root */
	put32(&m, 2025112201);
	put32(&m, 7200);
	put32(&m, 3600);
	put32(&m, 1209600);
	put32(&m, 300);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_true(out.qr);
	assert_int_equal(out.nrecords, 7);
	assert_string_equal(out.records[0].rdata, "93.184.216.34");
	assert_int_equal(out.records[0].ttl, 300);
	assert_string_equal(out.records[0].name, "example.com");
	assert_string_equal(out.records[1].rdata, "2001:db8::1");
	assert_string_equal(out.records[2].rdata, "www.example.com");
	assert_string_equal(out.records[3].rdata, "10 mail.example.com");
	assert_string_equal(out.records[4].rdata, "hellow\\001r");
	assert_string_equal(out.records[5].rdata, "1 2 443 sip.example.com");
	assert_int_equal(out.records[6].section, LW_DNS_AUTHORITY);
	assert_string_equal(out.records[6].rdata,
	    "ns.example.com  2025112201 7200 3600 1209600 300");
	assert_string_equal(lw_dns_type_name(6, buf, sizeof buf), "SOA");
	assert_string_equal(lw_dns_rcode_name(out.rcode, buf, sizeof buf),
	    "NOERROR");
}

static void test_https_ptr_ns_and_unknown(void **state)
{
	struct msg m;
	char buf[16];
	(void)state;

	header(&m, 9, 0x8183, 1, 4, 0, 0);	/* NXDOMAIN */
	question(&m, "svc.example", 65);
	record(&m, 65, 60, "\x00\x01\x03" "cdn\xc0\x0c\x00\x01\x00\x00", 12);
	record(&m, 12, 60, "\x04host\x00", 6);
	record(&m, 2, 60, "\x02ns\xc0\x0c", 5);
	record(&m, 65280, 60, "\xde\xad", 2);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_string_equal(out.records[0].rdata, "1 cdn.svc.example");
	assert_string_equal(out.records[1].rdata, "host");
	assert_string_equal(out.records[2].rdata, "ns.svc.example");
	assert_string_equal(out.records[3].rdata, "");
	assert_int_equal(out.records[3].rdlength, 2);
	assert_string_equal(lw_dns_type_name(65280, buf, sizeof buf),
	    "TYPE65280");
	assert_string_equal(lw_dns_type_name(65, buf, sizeof buf), "HTTPS");
	assert_string_equal(lw_dns_rcode_name(out.rcode, buf, sizeof buf),
	    "NXDOMAIN");
}

static void test_edns_extended_rcode(void **state)
{
	struct msg m;
	char buf[16];
	(void)state;

	header(&m, 1, 0x8100, 1, 0, 0, 1);
	question(&m, "example.com", 1);
	put8(&m, 0);		/* root */
	put16(&m, 41);		/* OPT */
	put16(&m, 1232);	/* UDP size */
	put32(&m, 0x01008000);	/* ext rcode 1, version 0, DO */
	put16(&m, 0);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_true(out.edns);
	assert_int_equal(out.edns_udp_size, 1232);
	assert_true(out.edns_do);
	assert_int_equal(out.rcode, 16);
	assert_string_equal(lw_dns_rcode_name(out.rcode, buf, sizeof buf),
	    "BADVERS");
}

static void test_mdns_bits(void **state)
{
	struct msg m;
	(void)state;

	header(&m, 0, 0x8400, 1, 1, 0, 0);
	name(&m, "_hap._tcp.local");
	put16(&m, 12);
	put16(&m, 0x8001);	/* QU */
	pointer(&m, 12);
	put16(&m, 12);
	put16(&m, 0x8001);	/* cache flush */
	put32(&m, 120);
	put16(&m, 2);
	pointer(&m, 12);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_true(out.questions[0].unicast_response);
	assert_int_equal(out.questions[0].qclass, 1);
	assert_int_equal(out.records[0].rrclass, 1);
	assert_string_equal(out.records[0].rdata, "_hap._tcp.local");
}

static void test_escaping(void **state)
{
	struct msg m;
	(void)state;

	header(&m, 0, 0x0100, 1, 0, 0, 0);
	putn(&m, "\x05" "a.b\\c" "\x04" "\x00\xff \"" "\x00", 12);
	put16(&m, 1);
	put16(&m, 1);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_string_equal(out.questions[0].name,
	    "a\\.b\\\\c.\\000\\255\\032\\034");
	header(&m, 0, 0x0100, 1, 0, 0, 0);
	put8(&m, 0);		/* the root */
	put16(&m, 2);
	put16(&m, 1);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_string_equal(out.questions[0].name, "");
}

static void test_pointer_loops(void **state)
{
	struct msg m;
	(void)state;

	/* a pointer to itself */
	header(&m, 0, 0x0100, 1, 0, 0, 0);
	pointer(&m, 12);
	put16(&m, 1);
	put16(&m, 1);
	assert_int_equal(parse(&m), LW_DNS_BAD_POINTER);
	assert_int_equal(out.nquestions, 0);

	/* A -> B -> A */
	header(&m, 0, 0x0100, 1, 0, 0, 0);
	put8(&m, 1);
	put8(&m, 'a');
	pointer(&m, 16);	/* at 14, to 16 */
	pointer(&m, 12);	/* at 16, back to 12 */
	put16(&m, 1);
	put16(&m, 1);
	assert_int_equal(parse(&m), LW_DNS_BAD_POINTER);

	/* a long backward chain: more hops than allowed.  The chain sits
	 * in the rdata of an unknown type; the next record's name starts
	 * at its end. */
	header(&m, 0, 0x8100, 0, 2, 0, 0);
	put8(&m, 0);		/* 12: the root */
	put16(&m, 99);
	put16(&m, 1);
	put32(&m, 0);
	put16(&m, 2 * (LW_DNS_MAX_POINTER_HOPS + 2));
	pointer(&m, 12);
	for (int i = 1; i < LW_DNS_MAX_POINTER_HOPS + 2; i++)
		pointer(&m, (unsigned)(m.n - 2));
	pointer(&m, (unsigned)(m.n - 2));	/* the second record's name */
	put16(&m, 1);
	put16(&m, 1);
	put32(&m, 0);
	put16(&m, 0);
	assert_int_equal(parse(&m), LW_DNS_BAD_POINTER);
	assert_int_equal(out.nrecords, 1);

	/* a pointer past the end */
	header(&m, 0, 0x0100, 1, 0, 0, 0);
	pointer(&m, 0x3fff);
	assert_int_equal(parse(&m), LW_DNS_BAD_POINTER);
}

static void test_forward_pointer_is_followed(void **state)
{
	struct msg m;
	(void)state;

	/* two questions; the first names the second by a forward pointer */
	header(&m, 0, 0x0100, 2, 0, 0, 0);
	pointer(&m, 18);	/* 12 -> 18 */
	put16(&m, 1);
	put16(&m, 1);
	question(&m, "codemonkey.net", 1);	/* at 18 */
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_int_equal(out.nquestions, 2);
	assert_string_equal(out.questions[0].name, "codemonkey.net");
	assert_string_equal(out.questions[1].name, "codemonkey.net");
}

static void test_label_and_name_limits(void **state)
{
	struct msg m;
	char label[70];
	(void)state;

	/* 63 is the longest label, 64 is not one */
	memset(label, 'x', sizeof label);
	header(&m, 0, 0x0100, 1, 0, 0, 0);
	put8(&m, 63);
	putn(&m, label, 63);
	put8(&m, 0);
	put16(&m, 1);
	put16(&m, 1);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_int_equal(strlen(out.questions[0].name), 63);
	header(&m, 0, 0x0100, 1, 0, 0, 0);
	put8(&m, 64);
	putn(&m, label, 64);
	put8(&m, 0);
	put16(&m, 1);
	put16(&m, 1);
	assert_int_equal(parse(&m), LW_DNS_BAD_NAME);

	/* 4 x 63-byte labels: 257 bytes on the wire, over 255 */
	header(&m, 0, 0x0100, 1, 0, 0, 0);
	for (int i = 0; i < 4; i++) {
		put8(&m, 63);
		putn(&m, label, 63);
	}
	put8(&m, 0);
	put16(&m, 1);
	put16(&m, 1);
	assert_int_equal(parse(&m), LW_DNS_BAD_NAME);

	/* the same length reached through a pointer */
	header(&m, 0, 0x8100, 1, 1, 0, 0);
	for (int i = 0; i < 3; i++) {
		put8(&m, 63);
		putn(&m, label, 63);
	}
	put8(&m, 0);
	put16(&m, 1);
	put16(&m, 1);
	put8(&m, 63);
	putn(&m, label, 63);
	pointer(&m, 12);	/* 64 + 193 = 257 */
	assert_int_equal(parse(&m), LW_DNS_BAD_NAME);
	assert_int_equal(out.nquestions, 1);	/* kept before the fault */

	/* reserved label types 0x40 and 0x80 */
	header(&m, 0, 0x0100, 1, 0, 0, 0);
	put8(&m, 0x41);
	assert_int_equal(parse(&m), LW_DNS_BAD_NAME);
	header(&m, 0, 0x0100, 1, 0, 0, 0);
	put8(&m, 0x81);
	assert_int_equal(parse(&m), LW_DNS_BAD_NAME);
}

static void test_bad_rdata(void **state)
{
	struct msg m;
	(void)state;

	header(&m, 0, 0x8180, 1, 1, 0, 0);
	question(&m, "example.com", 1);
	record(&m, 1, 60, "\x01\x02\x03\x04\x05", 5);	/* A of 5 bytes */
	assert_int_equal(parse(&m), LW_DNS_BAD_RDATA);

	/* a CNAME whose name runs past its rdlength */
	header(&m, 0, 0x8180, 1, 1, 0, 0);
	question(&m, "example.com", 1);
	record(&m, 5, 60, "\x03www\x07", 5);
	put8(&m, 0);		/* the message goes on, the rdata does not */
	put8(&m, 0);
	assert_int_equal(parse(&m), LW_DNS_BAD_RDATA);

	/* rdlength past the end of the message */
	header(&m, 0, 0x8180, 1, 1, 0, 0);
	question(&m, "example.com", 1);
	size_t at = record(&m, 16, 60, "\x02hi", 3);
	m.b[at - 1] = 200;
	assert_int_equal(parse(&m), LW_DNS_TRUNCATED);

	/* zero-length rdata: fine for TXT and unknown types */
	header(&m, 0, 0x8180, 1, 2, 0, 0);
	question(&m, "example.com", 16);
	record(&m, 16, 60, "", 0);
	record(&m, 99, 60, "", 0);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_string_equal(out.records[0].rdata, "");
}

static void test_lying_counts_and_caps(void **state)
{
	struct msg m;
	(void)state;

	/* 65535 questions claimed, one present */
	header(&m, 0, 0x0100, 65535, 65535, 65535, 65535);
	question(&m, "example.com", 1);
	assert_int_equal(parse(&m), LW_DNS_TRUNCATED);
	assert_int_equal(out.nquestions, 1);

	/* more questions and records than are stored: counted */
	header(&m, 0, 0x8180, LW_DNS_MAX_QUESTIONS + 3,
	    LW_DNS_MAX_RECORDS + 5, 0, 0);
	for (int i = 0; i < LW_DNS_MAX_QUESTIONS + 3; i++)
		question(&m, "a.b", 1);
	for (int i = 0; i < LW_DNS_MAX_RECORDS + 5; i++)
		record(&m, 1, 1, "\x01\x02\x03\x04", 4);
	assert_int_equal(parse(&m), LW_DNS_OK);
	assert_int_equal(out.nquestions, LW_DNS_MAX_QUESTIONS);
	assert_int_equal(out.nquestions_total, LW_DNS_MAX_QUESTIONS + 3);
	assert_int_equal(out.nrecords, LW_DNS_MAX_RECORDS);
	assert_int_equal(out.nrecords_total, LW_DNS_MAX_RECORDS + 5);
}

static void test_truncation_at_every_byte(void **state)
{
	struct msg m;
	(void)state;

	header(&m, 42, 0x8180, 1, 3, 0, 0);
	question(&m, "www.example.com", 1);
	size_t after_question = m.n;
	record(&m, 5, 60, "\x03www\xc0\x0c", 6);
	record(&m, 1, 60, "\x5d\xb8\xd8\x22", 4);
	record(&m, 16, 60, "\x05hello", 6);
	for (size_t n = 0; n < m.n; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		assert_non_null(copy);
		memcpy(copy, m.b, n);
		enum lw_dns_error err = lw_dns_parse(copy, n, &out);
		free(copy);
		assert_int_equal(err, LW_DNS_TRUNCATED);
		if (n >= after_question) {
			assert_int_equal(out.nquestions, 1);
			assert_string_equal(out.questions[0].name,
			    "www.example.com");
		}
	}
	assert_int_equal(parse(&m), LW_DNS_OK);
}

static void test_names_of_errors(void **state)
{
	(void)state;
	assert_string_equal(lw_dns_error_name(LW_DNS_OK), "ok");
	assert_string_equal(lw_dns_error_name(LW_DNS_BAD_POINTER),
	    "bad_pointer");
	assert_string_equal(lw_dns_error_name(LW_DNS_ERROR_COUNT), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_response_records),
		cmocka_unit_test(test_https_ptr_ns_and_unknown),
		cmocka_unit_test(test_edns_extended_rcode),
		cmocka_unit_test(test_mdns_bits),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_pointer_loops),
		cmocka_unit_test(test_forward_pointer_is_followed),
		cmocka_unit_test(test_label_and_name_limits),
		cmocka_unit_test(test_bad_rdata),
		cmocka_unit_test(test_lying_counts_and_caps),
		cmocka_unit_test(test_truncation_at_every_byte),
		cmocka_unit_test(test_names_of_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
