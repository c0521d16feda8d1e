/*
 * test_dhcp.c - t103: the DHCP message parser: the fields a sensor
 * keeps, option overload, split options, hostile text, the option
 * budget, and a cut at every byte.
 *
 * Messages are put together by a small builder: the fixed part and
 * the cookie, then options appended one by one.  The builder notes
 * where each option ends, so the truncation test knows which cuts
 * leave only whole options (LW_DHCP_OK) and which cut one in two
 * (LW_DHCP_BAD_OPTION), as dhcp.c documents.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "labwarden/dhcp.h"

#define MAX_BOUNDS	64

struct msg {
	uint8_t	 b[4096];
	size_t	 n;
	size_t	 bounds[MAX_BOUNDS];	/* offsets just past an option */
	size_t	 nbounds;
};

static struct lw_dhcp_msg out;	/* ~5 KB: keep it off the stack */

static const uint8_t client_mac[6] = { 0xda, 0xa1, 0x19, 0x5c, 0x7e, 0x01 };

static void bound(struct msg *m)
{
	if (m->nbounds < MAX_BOUNDS)
		m->bounds[m->nbounds++] = m->n;
}

/* The fixed part, the cookie, then options appended by the caller. */
static void fixed(struct msg *m, unsigned op, const char *yiaddr)
{
	memset(m, 0, sizeof *m);
	m->b[0] = (uint8_t)op;
	m->b[1] = 1;			/* Ethernet */
	m->b[2] = 6;
	memcpy(m->b + 4, "\x12\x34\x56\x78", 4);
	if (yiaddr)
		memcpy(m->b + 16, yiaddr, 4);
	memcpy(m->b + 28, client_mac, 6);
	memcpy(m->b + 236, "\x63\x82\x53\x63", 4);
	m->n = 240;
	bound(m);
}

static void opt(struct msg *m, unsigned code, const void *value, size_t len)
{
	assert_true(len <= 255 && m->n + 2 + len <= sizeof m->b);
	m->b[m->n++] = (uint8_t)code;
	m->b[m->n++] = (uint8_t)len;
	memcpy(m->b + m->n, value, len);
	m->n += len;
	bound(m);
}

/* An option of len copies of one byte. */
static void opt_fill(struct msg *m, unsigned code, int byte, size_t len)
{
	uint8_t v[255];

	assert_true(len <= sizeof v);
	memset(v, byte, len);
	opt(m, code, v, len);
}

static void pad(struct msg *m, size_t count)
{
	assert_true(m->n + count <= sizeof m->b);
	memset(m->b + m->n, 0, count);
	m->n += count;
	bound(m);
}

static void end(struct msg *m)
{
	assert_true(m->n < sizeof m->b);
	m->b[m->n++] = 255;
	bound(m);
}

static enum lw_dhcp_error parse(const struct msg *m)
{
	return lw_dhcp_parse(m->b, m->n, &out);
}

static void discover(struct msg *m)
{
	fixed(m, 1, NULL);
	opt(m, 53, "\x01", 1);
	pad(m, 1);
	opt(m, 61, "\x01\xda\xa1\x19\x5c\x7e\x01", 7);
	opt(m, 12, "Pixel-8", 7);
	opt(m, 60, "android-dhcp-14", 15);
	opt(m, 55, "\x01\x03\x06\x0f\x1a\x1c\x33\x3a\x3b\x2b", 10);
	end(m);
}

static void test_discover(void **state)
{
	struct msg m;
	(void)state;

	discover(&m);
	assert_int_equal(parse(&m), LW_DHCP_OK);
	assert_int_equal(out.error, LW_DHCP_OK);
	assert_int_equal(out.op, 1);
	assert_int_equal(out.htype, 1);
	assert_int_equal(out.hlen, 6);
	assert_int_equal(out.xid, 0x12345678);
	assert_true(out.chaddr_ether);
	assert_memory_equal(out.chaddr, client_mac, 6);
	assert_int_equal(out.msg_type, 1);
	assert_string_equal(lw_dhcp_type_name(out.msg_type), "discover");
	assert_string_equal(out.hostname, "Pixel-8");
	assert_string_equal(out.vendor_class, "android-dhcp-14");
	assert_string_equal(out.client_id, "01daa1195c7e01");
	assert_string_equal(out.fingerprint, "1,3,6,15,26,28,51,58,59,43");
	assert_string_equal(out.domain_name, "");
	assert_false(out.has_requested_ip);
	assert_false(out.has_server_id);
	assert_int_equal(out.lease_time, 0);
}

static void test_request(void **state)
{
	struct msg m;
	(void)state;

	fixed(&m, 1, NULL);
	opt(&m, 53, "\x03", 1);
	opt(&m, 50, "\xc0\xa8\x01\x39", 4);
	opt(&m, 54, "\xc0\xa8\x01\x01", 4);
	opt(&m, 12, "laptop", 6);
	end(&m);
	assert_int_equal(parse(&m), LW_DHCP_OK);
	assert_string_equal(lw_dhcp_type_name(out.msg_type), "request");
	assert_true(out.has_requested_ip);
	assert_memory_equal(out.requested_ip, "\xc0\xa8\x01\x39", 4);
	assert_true(out.has_server_id);
	assert_memory_equal(out.server_id, "\xc0\xa8\x01\x01", 4);
	assert_string_equal(out.hostname, "laptop");
}

static void test_ack(void **state)
{
	struct msg m;
	(void)state;

	fixed(&m, 2, "\xc0\xa8\x01\x39");
	memcpy(m.b + 20, "\xc0\xa8\x01\x01", 4);	/* siaddr */
	memcpy(m.b + 24, "\x0a\x00\x00\x01", 4);	/* giaddr */
	opt(&m, 53, "\x05", 1);
	opt(&m, 54, "\xc0\xa8\x01\x01", 4);
	opt(&m, 51, "\x00\x01\x51\x80", 4);
	opt(&m, 15, "example.lan", 11);
	opt(&m, 50, "\xc0\xa8", 2);		/* wrong size: ignored */
	opt(&m, 54, "\xc0\xa8\x01", 3);		/* wrong size: ignored */
	end(&m);
	assert_int_equal(parse(&m), LW_DHCP_OK);
	assert_int_equal(out.op, 2);
	assert_string_equal(lw_dhcp_type_name(out.msg_type), "ack");
	assert_memory_equal(out.yiaddr, "\xc0\xa8\x01\x39", 4);
	assert_memory_equal(out.siaddr, "\xc0\xa8\x01\x01", 4);
	assert_memory_equal(out.giaddr, "\x0a\x00\x00\x01", 4);
	assert_int_equal(out.lease_time, 86400);
	assert_false(out.has_requested_ip);
	assert_true(out.has_server_id);
	assert_memory_equal(out.server_id, "\xc0\xa8\x01\x01", 4);
	assert_string_equal(out.domain_name, "example.lan");

	/* An infinite lease is all ones, not a negative number. */
	fixed(&m, 2, "\xc0\xa8\x01\x39");
	opt(&m, 53, "\x05", 1);
	opt(&m, 51, "\xff\xff\xff\xff", 4);
	end(&m);
	assert_int_equal(parse(&m), LW_DHCP_OK);
	assert_int_equal(out.lease_time, 0xffffffffu);
}

static void test_inform(void **state)
{
	struct msg m;
	(void)state;

	fixed(&m, 1, NULL);
	memcpy(m.b + 12, "\xc0\xa8\x01\x14", 4);	/* ciaddr: has one */
	opt(&m, 53, "\x08", 1);
	opt(&m, 61, "\x01\xda\xa1\x19\x5c\x7e\x01", 7);
	opt(&m, 12, "DESKTOP-1", 9);
	opt(&m, 60, "MSFT 5.0", 8);
	opt(&m, 55, "\x01\x0f\x03\x06\x2c\x2e\x2f\x1f\x21\x79\xf9\xfc"
	    "\x2b", 13);
	end(&m);
	assert_int_equal(parse(&m), LW_DHCP_OK);
	assert_string_equal(lw_dhcp_type_name(out.msg_type), "inform");
	assert_memory_equal(out.ciaddr, "\xc0\xa8\x01\x14", 4);
	assert_memory_equal(out.yiaddr, "\0\0\0\0", 4);
	assert_string_equal(out.vendor_class, "MSFT 5.0");
	assert_string_equal(out.fingerprint,
	    "1,15,3,6,44,46,47,31,33,121,249,252,43");
}

static void test_plain_bootp(void **state)
{
	struct msg m;
	(void)state;

	discover(&m);			/* fields a stale parse would leave */
	assert_int_equal(parse(&m), LW_DHCP_OK);

	fixed(&m, 2, "\x0a\x00\x00\x07");
	memset(m.b + 236, 0, 4);	/* no cookie */
	opt(&m, 53, "\x05", 1);		/* not options without the cookie */
	opt(&m, 12, "bootp", 5);
	assert_int_equal(parse(&m), LW_DHCP_NOT_DHCP);
	assert_int_equal(out.error, LW_DHCP_NOT_DHCP);
	assert_int_equal(out.op, 2);
	assert_int_equal(out.xid, 0x12345678);
	assert_true(out.chaddr_ether);
	assert_memory_equal(out.chaddr, client_mac, 6);
	assert_memory_equal(out.yiaddr, "\x0a\x00\x00\x07", 4);
	assert_int_equal(out.msg_type, 0);
	assert_string_equal(out.hostname, "");
	assert_string_equal(out.client_id, "");
	assert_string_equal(out.fingerprint, "");

	memcpy(m.b + 236, "\x63\x82\x53\x64", 4);	/* nearly a cookie */
	assert_int_equal(parse(&m), LW_DHCP_NOT_DHCP);
}

static void test_not_ethernet(void **state)
{
	struct msg m;
	(void)state;

	discover(&m);
	m.b[2] = 16;			/* hlen: not an Ethernet address */
	assert_int_equal(parse(&m), LW_DHCP_OK);
	assert_int_equal(out.hlen, 16);
	assert_false(out.chaddr_ether);
	assert_string_equal(out.hostname, "Pixel-8");

	m.b[2] = 6;
	m.b[1] = 6;			/* htype IEEE 802, hlen 6 */
	assert_int_equal(parse(&m), LW_DHCP_OK);
	assert_false(out.chaddr_ether);

	m.b[1] = 0;			/* Zeek's hw-type0.pcap */
	m.b[2] = 0;
	assert_int_equal(parse(&m), LW_DHCP_OK);
	assert_false(out.chaddr_ether);
}

static void test_overload(void **state)
{
	struct msg m;
	(void)state;

	/* 3: both, file first, then sname; a split option runs on. */
	fixed(&m, 1, NULL);
	opt(&m, 53, "\x01", 1);
	opt(&m, 12, "main-", 5);
	opt(&m, 52, "\x03", 1);
	end(&m);
	memcpy(m.b + 108, "\x0c\x04" "file\x3c\x03" "vnd\xff", 12);
	memcpy(m.b + 44, "\x0c\x06" "-sname\xff", 9);
	assert_int_equal(parse(&m), LW_DHCP_OK);
	assert_string_equal(out.hostname, "main-file-sname");
	assert_string_equal(out.vendor_class, "vnd");

	/* 1: file only; sname is a server name, not options. */
	m.b[m.n - 2] = 1;
	assert_int_equal(parse(&m), LW_DHCP_OK);
	assert_string_equal(out.hostname, "main-file");

	/* 2: sname only. */
	m.b[m.n - 2] = 2;
	assert_int_equal(parse(&m), LW_DHCP_OK);
	assert_string_equal(out.hostname, "main--sname");
	assert_string_equal(out.vendor_class, "");

	/* 0 and 4 mean nothing: neither area is read. */
	m.b[m.n - 2] = 0;
	assert_int_equal(parse(&m), LW_DHCP_OK);
	assert_string_equal(out.hostname, "main-");
	m.b[m.n - 2] = 4;
	assert_int_equal(parse(&m), LW_DHCP_OK);
	assert_string_equal(out.hostname, "main-");

	/* Without option 52 the same bytes are a boot file name. */
	fixed(&m, 1, NULL);
	opt(&m, 53, "\x01", 1);
	end(&m);
	memcpy(m.b + 108, "\x0c\x04" "file\xff", 7);
	assert_int_equal(parse(&m), LW_DHCP_OK);
	assert_string_equal(out.hostname, "");
}

static void test_overload_bounds(void **state)
{
	struct msg m;
	(void)state;

	/* Option 52 inside `file` does not open `sname`. */
	fixed(&m, 1, NULL);
	opt(&m, 52, "\x01", 1);
	end(&m);
	memcpy(m.b + 108, "\x34\x01\x02\xff", 4);
	memcpy(m.b + 44, "\x0c\x02" "no\xff", 5);
	assert_int_equal(parse(&m), LW_DHCP_OK);
	assert_string_equal(out.hostname, "");

	/* `file` may be filled to its last byte with no end option. */
	fixed(&m, 1, NULL);
	opt(&m, 52, "\x01", 1);
	end(&m);
	m.b[108] = 12;
	m.b[109] = 126;
	memset(m.b + 110, 'f', 126);
	assert_int_equal(parse(&m), LW_DHCP_OK);
	assert_int_equal(strlen(out.hostname), 126);

	/* One more byte of length runs into what follows `file` (the
	 * cookie): bad, although the bytes are in the message. */
	m.b[109] = 127;
	assert_int_equal(parse(&m), LW_DHCP_BAD_OPTION);
	assert_string_equal(out.hostname, "");

	/* A bad option in `file`: the options field's stay, `sname` is
	 * not read. */
	fixed(&m, 1, NULL);
	opt(&m, 53, "\x03", 1);
	opt(&m, 52, "\x03", 1);
	end(&m);
	memcpy(m.b + 108, "\x3c\x03" "vnd", 5);
	m.b[108 + 126] = 12;		/* last two bytes: code, length */
	m.b[108 + 127] = 5;
	memcpy(m.b + 44, "\x0f\x03" "dom\xff", 6);
	assert_int_equal(parse(&m), LW_DHCP_BAD_OPTION);
	assert_int_equal(out.error, LW_DHCP_BAD_OPTION);
	assert_int_equal(out.msg_type, 3);
	assert_string_equal(out.vendor_class, "vnd");
	assert_string_equal(out.domain_name, "");

	/* Nor when the options field itself is bad. */
	fixed(&m, 1, NULL);
	opt(&m, 52, "\x01", 1);
	memcpy(m.b + 108, "\x0c\x04" "file\xff", 7);
	m.b[m.n++] = 12;
	m.b[m.n++] = 9;
	assert_int_equal(parse(&m), LW_DHCP_BAD_OPTION);
	assert_string_equal(out.hostname, "");
}

static void test_split_options(void **state)
{
	struct msg m;
	char want[400];
	(void)state;

	fixed(&m, 1, NULL);
	opt(&m, 12, "long-", 5);		/* RFC 3396: joined */
	opt(&m, 53, "\x01", 1);
	opt(&m, 12, "name", 4);
	opt(&m, 61, "\x01\xaa", 2);
	opt(&m, 61, "\xbb", 1);
	opt(&m, 55, "\x01\x03\x06", 3);
	opt(&m, 55, "\x0f", 1);
	opt(&m, 60, "", 0);
	opt(&m, 60, "vendor", 6);
	end(&m);
	assert_int_equal(parse(&m), LW_DHCP_OK);
	assert_string_equal(out.hostname, "long-name");
	assert_string_equal(out.client_id, "01aabb");
	assert_string_equal(out.fingerprint, "1,3,6,15");
	assert_string_equal(out.vendor_class, "vendor");

	/* A 300-byte name, as a client must send it: 255 + 45. */
	fixed(&m, 1, NULL);
	opt_fill(&m, 12, 'a', 255);
	opt_fill(&m, 12, 'a', 45);
	end(&m);
	assert_int_equal(parse(&m), LW_DHCP_OK);
	memset(want, 'a', 300);
	want[300] = '\0';
	assert_string_equal(out.hostname, want);

	/* A NUL is trailing only at the end of the joined value. */
	fixed(&m, 1, NULL);
	opt(&m, 12, "ab\0", 3);
	opt(&m, 12, "cd\0", 3);
	opt(&m, 12, "", 0);
	end(&m);
	assert_int_equal(parse(&m), LW_DHCP_OK);
	assert_string_equal(out.hostname, "ab\\000cd");

	/* Fixed-size options are not split: the first good one wins. */
	fixed(&m, 1, NULL);
	opt(&m, 53, "\x01\x03", 2);
	opt(&m, 53, "\x01", 1);
	opt(&m, 53, "\x03", 1);
	opt(&m, 50, "\xc0\xa8", 2);
	opt(&m, 50, "\x01\x01", 2);
	opt(&m, 50, "\xc0\xa8\x01\x39", 4);
	opt(&m, 50, "\xc0\xa8\x01\x3a", 4);
	opt(&m, 51, "\x00\x00\x0e\x10", 4);
	opt(&m, 51, "\x00\x01\x51\x80", 4);
	opt(&m, 54, "\x0a\x00\x00\x01", 4);
	opt(&m, 54, "\x0a\x00\x00\x02", 4);
	end(&m);
	assert_int_equal(parse(&m), LW_DHCP_OK);
	assert_int_equal(out.msg_type, 1);
	assert_memory_equal(out.requested_ip, "\xc0\xa8\x01\x39", 4);
	assert_int_equal(out.lease_time, 3600);
	assert_memory_equal(out.server_id, "\x0a\x00\x00\x01", 4);
}

static void test_split_past_buffer(void **state)
{
	struct msg m;
	(void)state;

	/* 4 x 255 control bytes want 4080 characters; what fits is 255
	 * whole escapes and nothing else, not even a later short piece. */
	fixed(&m, 1, NULL);
	opt(&m, 12, "a", 1);
	for (int i = 0; i < 4; i++)
		opt_fill(&m, 12, 1, 255);
	opt(&m, 12, "z", 1);
	/* Client id: 3 x 255 bytes, room for 510 of them in hex. */
	for (int i = 0; i < 3; i++)
		opt_fill(&m, 61, 0xab, 255);
	/* Fingerprint: 4 x 255 codes of 255, room for 255 "255,". */
	for (int i = 0; i < 4; i++)
		opt_fill(&m, 55, 255, 255);
	end(&m);
	assert_int_equal(parse(&m), LW_DHCP_OK);

	size_t n = strlen(out.hostname);
	assert_int_equal(n, 1 + 254 * 4);
	assert_int_equal(out.hostname[0], 'a');
	assert_string_equal(out.hostname + n - 4, "\\001");

	n = strlen(out.client_id);
	assert_int_equal(n, 1020);
	assert_string_equal(out.client_id + n - 2, "ab");

	n = strlen(out.fingerprint);
	assert_int_equal(n, 3 + 254 * 4);
	assert_string_equal(out.fingerprint + n - 4, ",255");
	assert_true(n < sizeof out.fingerprint);
}

static void test_hostile_text(void **state)
{
	struct msg m;
	(void)state;

	fixed(&m, 1, NULL);
	opt(&m, 12, "a\x01\"b\\c\x7f\xff\x1b[0m\0", 13);
	opt(&m, 60, "x\0y", 3);			/* an inner NUL stays */
	opt(&m, 15, "two\0\0", 5);		/* only one NUL goes */
	end(&m);
	assert_int_equal(parse(&m), LW_DHCP_OK);
	assert_string_equal(out.hostname,
	    "a\\001\\034b\\092c\\127\\255\\027[0m");
	assert_string_equal(out.vendor_class, "x\\000y");
	assert_string_equal(out.domain_name, "two\\000");

	fixed(&m, 1, NULL);
	opt(&m, 12, "\0", 1);			/* nothing but the NUL */
	opt(&m, 60, " ~", 2);			/* printable edges */
	end(&m);
	assert_int_equal(parse(&m), LW_DHCP_OK);
	assert_string_equal(out.hostname, "");
	assert_string_equal(out.vendor_class, " ~");
}

static void test_bad_length(void **state)
{
	struct msg m;
	(void)state;

	discover(&m);
	m.b[m.n - 1] = 15;		/* in place of end: runs out */
	m.b[m.n++] = 40;
	m.b[m.n++] = 'x';
	assert_int_equal(parse(&m), LW_DHCP_BAD_OPTION);
	assert_int_equal(out.error, LW_DHCP_BAD_OPTION);
	assert_string_equal(out.hostname, "Pixel-8");	/* kept */
	assert_string_equal(out.fingerprint, "1,3,6,15,26,28,51,58,59,43");
	assert_string_equal(out.domain_name, "");

	discover(&m);
	m.b[m.n - 1] = 12;		/* a code and no length byte */
	assert_int_equal(parse(&m), LW_DHCP_BAD_OPTION);
	assert_string_equal(out.hostname, "Pixel-8");

	/* Whatever follows the end option is not looked at. */
	discover(&m);
	m.b[m.n++] = 12;
	m.b[m.n++] = 200;
	assert_int_equal(parse(&m), LW_DHCP_OK);
}

static void test_pad_and_no_end(void **state)
{
	struct msg m;
	(void)state;

	/* Only pad, no end option. */
	fixed(&m, 1, NULL);
	pad(&m, 300);
	assert_int_equal(parse(&m), LW_DHCP_OK);
	assert_int_equal(out.msg_type, 0);

	/* Pad is not an option: 300 of them do not use up the budget. */
	fixed(&m, 1, NULL);
	pad(&m, 300);
	opt(&m, 53, "\x01", 1);
	pad(&m, 1000);
	opt(&m, 12, "after-pad", 9);
	end(&m);
	assert_int_equal(parse(&m), LW_DHCP_OK);
	assert_int_equal(out.msg_type, 1);
	assert_string_equal(out.hostname, "after-pad");

	/* The options end with the message. */
	discover(&m);
	m.n--;
	assert_int_equal(parse(&m), LW_DHCP_OK);
	assert_string_equal(out.fingerprint, "1,3,6,15,26,28,51,58,59,43");

	/* The cookie and nothing after it. */
	fixed(&m, 1, NULL);
	assert_int_equal(parse(&m), LW_DHCP_OK);
	assert_int_equal(out.msg_type, 0);
	assert_string_equal(lw_dhcp_type_name(out.msg_type), "unknown");
}

static void test_option_budget(void **state)
{
	struct msg m;
	(void)state;

	/* The 255th option is read, the 256th is not. */
	fixed(&m, 1, NULL);
	for (int i = 0; i < LW_DHCP_MAX_OPTIONS - 1; i++)
		opt(&m, 250, "", 0);
	opt(&m, 12, "last", 4);
	opt(&m, 60, "too-many", 8);
	end(&m);
	assert_int_equal(parse(&m), LW_DHCP_OK);
	assert_string_equal(out.hostname, "last");
	assert_string_equal(out.vendor_class, "");

	/* Nor checked: a bad length past the budget is not seen. */
	fixed(&m, 1, NULL);
	for (int i = 0; i < LW_DHCP_MAX_OPTIONS; i++)
		opt(&m, 250, "x", 1);
	m.b[m.n++] = 12;
	m.b[m.n++] = 255;
	assert_int_equal(parse(&m), LW_DHCP_OK);

	/* The budget is one for all areas: `file` gets what is left. */
	fixed(&m, 1, NULL);
	opt(&m, 52, "\x01", 1);
	for (int i = 0; i < LW_DHCP_MAX_OPTIONS - 1; i++)
		opt(&m, 250, "", 0);
	end(&m);
	memcpy(m.b + 108, "\x0c\x04" "file\xff", 7);
	assert_int_equal(parse(&m), LW_DHCP_OK);
	assert_string_equal(out.hostname, "");
	m.n -= 3;			/* drop one filler and the end */
	end(&m);
	assert_int_equal(parse(&m), LW_DHCP_OK);
	assert_string_equal(out.hostname, "file");
}

static bool is_bound(const struct msg *m, size_t n)
{
	for (size_t i = 0; i < m->nbounds; i++)
		if (m->bounds[i] == n)
			return true;
	return false;
}

/*
 * Every prefix of a DISCOVER, each in a heap buffer of exactly its
 * size so that ASan sees a read one byte past it.
 */
static void test_truncation_at_every_byte(void **state)
{
	struct msg m;
	(void)state;

	discover(&m);
	/* bounds: the cookie's end, then 53, pad, 61, 12, 60, 55, end */
	assert_int_equal(m.nbounds, 8);
	size_t hostname_end = m.bounds[4];
	assert_int_equal(hostname_end, 240 + 3 + 1 + 9 + 9);

	for (size_t n = 0; n <= m.n; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		assert_non_null(copy);
		memcpy(copy, m.b, n);
		enum lw_dhcp_error err = lw_dhcp_parse(copy, n, &out);
		free(copy);
		assert_int_equal(err, out.error);
		if (n < 240)
			assert_int_equal(err, LW_DHCP_TRUNCATED);
		else if (is_bound(&m, n))
			assert_int_equal(err, LW_DHCP_OK);
		else
			assert_int_equal(err, LW_DHCP_BAD_OPTION);
		/* The fixed fields once they are all there. */
		assert_int_equal(out.xid, n >= 236 ? 0x12345678 : 0);
		assert_int_equal(out.chaddr_ether, n >= 236);
		/* Options before the cut stay. */
		assert_int_equal(out.msg_type, n >= 243 ? 1 : 0);
		assert_string_equal(out.hostname,
		    n >= hostname_end ? "Pixel-8" : "");
	}
	assert_int_equal(lw_dhcp_parse(NULL, 0, &out), LW_DHCP_TRUNCATED);
}

static void test_names(void **state)
{
	static const char *const types[] = {
		"unknown", "discover", "offer", "request", "decline", "ack",
		"nak", "release", "inform", "forcerenew", "leasequery",
		"leaseunassigned", "leaseunknown", "leaseactive",
		"bulkleasequery", "leasequerydone", "activeleasequery",
		"leasequerystatus", "tls",
	};
	(void)state;

	for (unsigned i = 0; i < sizeof types / sizeof *types; i++)
		assert_string_equal(lw_dhcp_type_name((uint8_t)i), types[i]);
	assert_string_equal(lw_dhcp_type_name(19), "unknown");
	assert_string_equal(lw_dhcp_type_name(255), "unknown");

	assert_string_equal(lw_dhcp_error_name(LW_DHCP_OK), "ok");
	assert_string_equal(lw_dhcp_error_name(LW_DHCP_TRUNCATED),
	    "truncated");
	assert_string_equal(lw_dhcp_error_name(LW_DHCP_NOT_DHCP),
	    "not_dhcp");
	assert_string_equal(lw_dhcp_error_name(LW_DHCP_BAD_OPTION),
	    "bad_option");
	assert_string_equal(lw_dhcp_error_name(LW_DHCP_ERROR_COUNT),
	    "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discover),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_ack),
		cmocka_unit_test(test_inform),
		cmocka_unit_test(test_plain_bootp),
		cmocka_unit_test(test_not_ethernet),
		cmocka_unit_test(test_overload),
		cmocka_unit_test(test_overload_bounds),
		cmocka_unit_test(test_split_options),
		cmocka_unit_test(test_split_past_buffer),
		cmocka_unit_test(test_hostile_text),
		cmocka_unit_test(test_bad_length),
		cmocka_unit_test(test_pad_and_no_end),
		cmocka_unit_test(test_option_budget),
		cmocka_unit_test(test_truncation_at_every_byte),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
