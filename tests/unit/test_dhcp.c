/*
 * test_dhcp.c - t103: the DHCP message parser: the fields a sensor
 * keeps, option overload, split options, hostile text, and a cut at
 * every byte.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "labwarden/dhcp.h"

struct msg {
	uint8_t	 b[1024];
	size_t	 n;
};

static struct lw_dhcp_msg out;

static const uint8_t client_mac[6] = { 0xda, 0xa1, 0x19, 0x5c, 0x7e, 0x01 };

/* The fixed part, the cookie, then options appended by the caller. */
static void fixed(struct msg *m, unsigned op, const char *yiaddr)
{
	memset(m->b, 0, 240);
	m->b[0] = (uint8_t)op;
	m->b[1] = 1;
	m->b[2] = 6;
	memcpy(m->b + 4, "\x12\x34\x56\x78", 4);
	if (yiaddr)
		memcpy(m->b + 16, yiaddr, 4);
	memcpy(m->b + 28, client_mac, 6);
	memcpy(m->b + 236, "\x63\x82\x53\x63", 4);
	m->n = 240;
}

static void opt(struct msg *m, unsigned code, const void *value, size_t len)
{
	m->b[m->n++] = (uint8_t)code;
	m->b[m->n++] = (uint8_t)len;
	memcpy(m->b + m->n, value, len);
	m->n += len;
}

static void end(struct msg *m)
{
	m->b[m->n++] = 255;
}

static void discover(struct msg *m)
{
	fixed(m, 1, NULL);
	opt(m, 53, "\x01", 1);
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
	assert_int_equal(lw_dhcp_parse(m.b, m.n, &out), LW_DHCP_OK);
	assert_int_equal(out.op, 1);
	assert_int_equal(out.xid, 0x12345678);
	assert_true(out.chaddr_ether);
	assert_memory_equal(out.chaddr, client_mac, 6);
	assert_int_equal(out.msg_type, 1);
	assert_string_equal(lw_dhcp_type_name(out.msg_type), "discover");
	assert_string_equal(out.hostname, "Pixel-8");
	assert_string_equal(out.vendor_class, "android-dhcp-14");
	assert_string_equal(out.client_id, "01daa1195c7e01");
	assert_string_equal(out.fingerprint, "1,3,6,15,26,28,51,58,59,43");
	assert_false(out.has_requested_ip);
}

static void test_request_and_ack(void **state)
{
	struct msg m;
	(void)state;

	fixed(&m, 1, NULL);
	opt(&m, 53, "\x03", 1);
	opt(&m, 50, "\xc0\xa8\x01\x39", 4);
	opt(&m, 54, "\xc0\xa8\x01\x01", 4);
	end(&m);
	assert_int_equal(lw_dhcp_parse(m.b, m.n, &out), LW_DHCP_OK);
	assert_string_equal(lw_dhcp_type_name(out.msg_type), "request");
	assert_true(out.has_requested_ip);
	assert_memory_equal(out.requested_ip, "\xc0\xa8\x01\x39", 4);
	assert_true(out.has_server_id);

	fixed(&m, 2, "\xc0\xa8\x01\x39");
	opt(&m, 53, "\x05", 1);
	opt(&m, 51, "\x00\x01\x51\x80", 4);
	opt(&m, 50, "\xc0\xa8", 2);		/* wrong size: ignored */
	end(&m);
	assert_int_equal(lw_dhcp_parse(m.b, m.n, &out), LW_DHCP_OK);
	assert_string_equal(lw_dhcp_type_name(out.msg_type), "ack");
	assert_memory_equal(out.yiaddr, "\xc0\xa8\x01\x39", 4);
	assert_int_equal(out.lease_time, 86400);
	assert_false(out.has_requested_ip);
	assert_string_equal(lw_dhcp_type_name(8), "inform");
	assert_string_equal(lw_dhcp_type_name(200), "unknown");
}

static void test_plain_bootp(void **state)
{
	struct msg m;
	(void)state;

	fixed(&m, 1, NULL);
	memset(m.b + 236, 0, 4);
	assert_int_equal(lw_dhcp_parse(m.b, m.n, &out), LW_DHCP_NOT_DHCP);
	assert_int_equal(out.msg_type, 0);
	assert_memory_equal(out.chaddr, client_mac, 6);
	m.b[2] = 16;			/* not an Ethernet address */
	lw_dhcp_parse(m.b, m.n, &out);
	assert_false(out.chaddr_ether);
}

static void test_option_overload(void **state)
{
	struct msg m;
	(void)state;

	fixed(&m, 1, NULL);
	opt(&m, 53, "\x01", 1);
	opt(&m, 52, "\x03", 1);		/* file and sname hold options */
	end(&m);
	memcpy(m.b + 108, "\x0c\x04" "file\xff", 7);	/* in `file` */
	memcpy(m.b + 44, "\x3c\x03" "vnd\xff", 6);	/* in `sname` */
	assert_int_equal(lw_dhcp_parse(m.b, m.n, &out), LW_DHCP_OK);
	assert_string_equal(out.hostname, "file");
	assert_string_equal(out.vendor_class, "vnd");
}

static void test_split_and_hostile_text(void **state)
{
	struct msg m;
	(void)state;

	fixed(&m, 1, NULL);
	opt(&m, 12, "long-", 5);		/* RFC 3396: joined */
	opt(&m, 12, "name", 4);
	opt(&m, 60, "a\"b\\c\x01\x7f\0", 8);	/* quote, backslash, controls */
	end(&m);
	assert_int_equal(lw_dhcp_parse(m.b, m.n, &out), LW_DHCP_OK);
	assert_string_equal(out.hostname, "long-name");
	assert_string_equal(out.vendor_class, "a\\034b\\092c\\001\\127");
}

static void test_bad_options(void **state)
{
	struct msg m;
	(void)state;

	discover(&m);
	m.b[m.n - 1] = 12;		/* last option's length runs out */
	m.b[m.n++] = 40;
	assert_int_equal(lw_dhcp_parse(m.b, m.n, &out), LW_DHCP_BAD_OPTION);
	assert_string_equal(out.hostname, "Pixel-8");	/* kept */

	fixed(&m, 1, NULL);		/* only pad, no end option */
	memset(m.b + m.n, 0, 300);
	m.n += 300;
	assert_int_equal(lw_dhcp_parse(m.b, m.n, &out), LW_DHCP_OK);
	assert_int_equal(out.msg_type, 0);

	fixed(&m, 1, NULL);		/* more options than looked at */
	for (int i = 0; i < 300 && m.n + 3 < sizeof m.b; i++)
		opt(&m, 250, "x", 1);
	assert_int_equal(lw_dhcp_parse(m.b, m.n, &out), LW_DHCP_OK);
}

static void test_truncation_at_every_byte(void **state)
{
	struct msg m;
	(void)state;

	discover(&m);
	/* option boundaries: where a cut leaves only whole options */
	size_t bounds[] = { 240, 243, 252, 261, 278, 290 };
	for (size_t n = 0; n < m.n; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		assert_non_null(copy);
		memcpy(copy, m.b, n);
		enum lw_dhcp_error err = lw_dhcp_parse(copy, n, &out);
		free(copy);
		bool boundary = false;
		for (size_t i = 0; i < sizeof bounds / sizeof *bounds; i++)
			boundary |= n == bounds[i];
		if (n < 240)
			assert_int_equal(err, LW_DHCP_TRUNCATED);
		else if (boundary)
			assert_int_equal(err, LW_DHCP_OK);
		else
			assert_int_equal(err, LW_DHCP_BAD_OPTION);
	}
	assert_string_equal(lw_dhcp_error_name(LW_DHCP_BAD_OPTION),
	    "bad_option");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discover),
		cmocka_unit_test(test_request_and_ack),
		cmocka_unit_test(test_plain_bootp),
		cmocka_unit_test(test_option_overload),
		cmocka_unit_test(test_split_and_hostile_text),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_truncation_at_every_byte),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
