/*
 * test_oui.c - IEEE vendor lookup (oui.c): CSV quoting, records that
 * span lines, MA-S over MA-M over MA-L, bad rows counted, hostile
 * files, and the real Debian registry (with its load time) when
 * ieee-data is installed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "labwarden/oui.h"

static char dir[] = "/tmp/lw-test-oui-XXXXXX";

static const char header[] =
    "Registry,Assignment,Organization Name,Organization Address\r\n";

static void write_file(const char *name, const char *text, size_t len)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void write_text(const char *name, const char *text)
{
	write_file(name, text, strlen(text));
}

static void remove_file(const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	unlink(path);
}

static const char *vendor(const struct lw_oui *oui, uint8_t a, uint8_t b,
    uint8_t c, uint8_t d, uint8_t e, uint8_t f)
{
	const uint8_t mac[6] = { a, b, c, d, e, f };
	return lw_oui_vendor(oui, mac);
}

static void load_ok(struct lw_oui *oui)
{
	char err[256] = "";
	bool ok = lw_oui_load(oui, dir, err, sizeof err);
	if (!ok)
		print_error("lw_oui_load: %s\n", err);
	assert_true(ok);
}

static void test_quoted_fields(void **state)
{
	struct lw_oui oui;
	(void)state;

	char text[1024];
	snprintf(text, sizeof text, "%s"
	    "MA-L,001122,\"Acme, Inc.\",\"1 Road, Town\"\r\n"
	    "MA-L,001123,\"Small \"\"Quoted\"\" Co\",x\r\n"
	    "MA-L,001124,  Spaces Ltd\t ,\"\"\r\n"
	    "MA-L,001125,\" Tabbed, Ltd\t\",\"a\"\"b,c\"\r\n"
	    "MA-L,00aabb,lower case hex,\r\n"
	    "MA-L,001126,No Address\r\n"
	    "MA-L,001127,\"\",empty name is a bad row\r\n"
	    "MA-L,001128,,empty name is a bad row\r\n", header);
	write_text("oui.csv", text);
	remove_file("mam.csv");
	remove_file("oui36.csv");
	load_ok(&oui);
	assert_int_equal(oui.bad_lines, 2);
	assert_string_equal(vendor(&oui, 0, 0x11, 0x22, 1, 2, 3), "Acme, Inc.");
	assert_string_equal(vendor(&oui, 0, 0x11, 0x23, 1, 2, 3),
	    "Small \"Quoted\" Co");
	assert_string_equal(vendor(&oui, 0, 0x11, 0x24, 1, 2, 3), "Spaces Ltd");
	assert_string_equal(vendor(&oui, 0, 0x11, 0x25, 1, 2, 3), "Tabbed, Ltd");
	assert_string_equal(vendor(&oui, 0, 0xaa, 0xbb, 1, 2, 3),
	    "lower case hex");
	assert_string_equal(vendor(&oui, 0, 0x11, 0x26, 0, 0, 0), "No Address");
	assert_null(vendor(&oui, 0, 0x11, 0x27, 0, 0, 0));
	assert_null(vendor(&oui, 0, 0x11, 0x28, 0, 0, 0));
	assert_null(vendor(&oui, 0, 0x11, 0x29, 0, 0, 0));	/* unknown */
	lw_oui_free(&oui);
}

/* An address with line breaks inside its quotes, as the IEEE has. */
static void test_record_over_lines(void **state)
{
	struct lw_oui oui;
	(void)state;

	char text[1024];
	snprintf(text, sizeof text, "%s"
	    "MA-L,C4D496,\"Shenzhen Excelsecu Data Technology Co.,Ltd\","
	    "\"Unit 701-708,7/F,\n"
	    "No.2,ABCDEF,YueHai Street , Nanshan District,\n"
	    "Shenzhen, China. Shenzhen  CN 518057 \"\r\n"
	    "MA-L,C4EB39,Sagemcom Broadband SAS,\"250, route\"\r\n", header);
	write_text("oui.csv", text);
	load_ok(&oui);
	/* the continuation lines are address, not rows: "ABCDEF" in the
	 * middle one must not become a prefix */
	assert_int_equal(oui.bad_lines, 0);
	assert_string_equal(vendor(&oui, 0xc4, 0xd4, 0x96, 0, 0, 1),
	    "Shenzhen Excelsecu Data Technology Co.,Ltd");
	assert_string_equal(vendor(&oui, 0xc4, 0xeb, 0x39, 0, 0, 1),
	    "Sagemcom Broadband SAS");
	assert_null(vendor(&oui, 0xab, 0xcd, 0xef, 0, 0, 1));
	lw_oui_free(&oui);
}

/* A quote never closed is one bad row of at most 16 lines, not the
 * rest of the file. */
static void test_runaway_quote(void **state)
{
	struct lw_oui oui;
	char text[4096];
	size_t n;
	(void)state;

	n = (size_t)snprintf(text, sizeof text, "%s"
	    "MA-L,001122,\"Never closed,addr\n", header);
	for (int i = 0; i < 15; i++)		/* lines 2..16 of the record */
		n += (size_t)snprintf(text + n, sizeof text - n,
		    "MA-L,0000%02X,Swallowed,x\n", i);
	n += (size_t)snprintf(text + n, sizeof text - n,
	    "MA-L,001133,After The Runaway,x\n"
	    "MA-L,001144,\"Open at the end");	/* EOF inside quotes */
	write_file("oui.csv", text, n);
	load_ok(&oui);
	assert_int_equal(oui.bad_lines, 2);
	assert_null(vendor(&oui, 0, 0x11, 0x22, 0, 0, 1));
	assert_null(vendor(&oui, 0, 0, 0x03, 0, 0, 1));
	assert_string_equal(vendor(&oui, 0, 0x11, 0x33, 0, 0, 1),
	    "After The Runaway");
	assert_null(vendor(&oui, 0, 0x11, 0x44, 0, 0, 1));
	lw_oui_free(&oui);
}

/* MA-S inside MA-M inside MA-L: the longest prefix answers. */
static void test_longest_prefix(void **state)
{
	struct lw_oui oui;
	(void)state;

	char oui_csv[512], mam_csv[512], oui36_csv[512];
	snprintf(oui_csv, sizeof oui_csv, "%s"
	    "MA-L,70B3D5,IEEE Registration Authority,somewhere\n", header);
	snprintf(mam_csv, sizeof mam_csv, "%s"
	    "MA-M,70B3D51,\"Medium, Block Co\",x\n"
	    "MA-M,70B3D5,Six digits in MA-M,x\n"		/* bad */
	    "MA-L,70B3D52,Registry says MA-L,x\n", header);	/* bad */
	snprintf(oui36_csv, sizeof oui36_csv, "%s"
	    "MA-S,70B3D51F2,Small Block Co,x\n"
	    "MA-S,70B3D51F,Eight digits,x\n", header);	/* bad */
	write_text("oui.csv", oui_csv);
	write_text("mam.csv", mam_csv);
	write_text("oui36.csv", oui36_csv);
	load_ok(&oui);
	assert_int_equal(oui.bad_lines, 3);
	/* 70:b3:d5:1f:2x:xx is in all three */
	assert_string_equal(vendor(&oui, 0x70, 0xb3, 0xd5, 0x1f, 0x2a, 0x01),
	    "Small Block Co");
	assert_string_equal(vendor(&oui, 0x70, 0xb3, 0xd5, 0x1f, 0x30, 0x01),
	    "Medium, Block Co");
	assert_string_equal(vendor(&oui, 0x70, 0xb3, 0xd5, 0x10, 0x00, 0x00),
	    "Medium, Block Co");
	assert_string_equal(vendor(&oui, 0x70, 0xb3, 0xd5, 0x2f, 0x00, 0x01),
	    "IEEE Registration Authority");
	lw_oui_free(&oui);
	remove_file("mam.csv");
	remove_file("oui36.csv");
}

static void test_local_and_group(void **state)
{
	struct lw_oui oui;
	(void)state;

	char text[256];
	snprintf(text, sizeof text, "%sMA-L,001122,Acme,x\n"
	    "MA-L,021122,Local Bit Set,x\nMA-L,011122,Group Bit Set,x\n",
	    header);
	write_text("oui.csv", text);
	load_ok(&oui);
	const uint8_t local[6] = { 0x02, 0x11, 0x22, 1, 2, 3 };
	const uint8_t group[6] = { 0x01, 0x11, 0x22, 1, 2, 3 };
	const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	assert_true(lw_mac_is_local(local));
	assert_true(lw_mac_is_group(group));
	assert_null(lw_oui_vendor(&oui, local));	/* even if listed */
	assert_null(lw_oui_vendor(&oui, group));
	assert_null(lw_oui_vendor(&oui, broadcast));
	assert_string_equal(vendor(&oui, 0x00, 0x11, 0x22, 1, 2, 3), "Acme");
	lw_oui_free(&oui);
}

static void test_bad_rows(void **state)
{
	struct lw_oui oui;
	(void)state;

	char text[1024];
	snprintf(text, sizeof text, "%s"
	    "MA-L,zzzzzz,Broken,row\n"		/* not hex */
	    "MA-L\n"				/* one field */
	    "MA-L,00112\n"			/* five digits, two fields */
	    "MA-X,001122,Unknown Registry,x\n"
	    ",,,\n"
	    "\n"				/* blank: skipped */
	    "MA-L,0011223,Seven in MA-L,x\n"
	    "MA-L, 001155 ,Spaced Assignment,x\n", header);
	write_text("oui.csv", text);
	load_ok(&oui);
	assert_int_equal(oui.bad_lines, 6);
	assert_int_equal(oui.count, 1);
	assert_string_equal(vendor(&oui, 0x00, 0x11, 0x55, 0, 0, 0),
	    "Spaced Assignment");
	lw_oui_free(&oui);
}

/* A 1 MB line, NUL bytes, non-UTF-8, no final newline: no crash. */
static void test_hostile_file(void **state)
{
	struct lw_oui oui;
	size_t big = 1 << 20, n = 0;
	(void)state;

	char *text = malloc(big + 512);
	assert_non_null(text);
	n += (size_t)snprintf(text, 512, "%s", header);
	memset(text + n, 'A', big);
	n += big;
	static const char tail[] = "\nMA-L,001122,Nul\0Byte Co,x\n"
	    "MA-L,001133,\xff\xfe\x80 Bytes,x\n"
	    "\0\0\0\n"
	    "MA-L,001144,No Newline,x";
	memcpy(text + n, tail, sizeof tail - 1);
	n += sizeof tail - 1;
	write_file("oui.csv", text, n);
	free(text);
	load_ok(&oui);
	/* the long line, and the two lines with NUL bytes (lines.h) */
	assert_int_equal(oui.bad_lines, 3);
	assert_null(vendor(&oui, 0, 0x11, 0x22, 0, 0, 0));
	assert_string_equal(vendor(&oui, 0, 0x11, 0x33, 0, 0, 0),
	    "\xff\xfe\x80 Bytes");
	assert_string_equal(vendor(&oui, 0, 0x11, 0x44, 0, 0, 0), "No Newline");
	lw_oui_free(&oui);
}

static void test_missing_files(void **state)
{
	struct lw_oui oui;
	char err[256];
	(void)state;

	assert_false(lw_oui_load(&oui, "/nonexistent", err, sizeof err));
	assert_non_null(strstr(err, "/nonexistent/oui.csv"));
	assert_non_null(strstr(err, "ieee-data"));
	/* empty but usable */
	assert_null(vendor(&oui, 0, 0x11, 0x22, 0, 0, 0));
	lw_oui_free(&oui);

	/* oui.csv alone is enough; an empty one too */
	remove_file("mam.csv");
	remove_file("oui36.csv");
	write_text("oui.csv", "");
	load_ok(&oui);
	assert_int_equal(oui.count, 0);
	assert_null(vendor(&oui, 0, 0x11, 0x22, 0, 0, 0));
	lw_oui_free(&oui);
	lw_oui_free(&oui);	/* twice is harmless */
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void test_debian_registry(void **state)
{
	struct lw_oui oui;
	char err[256];
	(void)state;

	if (access(LW_OUI_DIR_DEFAULT "/oui.csv", R_OK) != 0)
		skip();
	double start = now_ms();
	assert_true(lw_oui_load(&oui, LW_OUI_DIR_DEFAULT, err, sizeof err));
	double ms = now_ms() - start;
	printf("    %s: %zu prefixes, %zu bad lines, loaded in %.1f ms\n",
	    LW_OUI_DIR_DEFAULT, oui.count, oui.bad_lines, ms);
	assert_true(oui.count > 40000);
	/* every row parses, those with line breaks in their address too */
	assert_int_equal(oui.bad_lines, 0);
	assert_string_equal(vendor(&oui, 0x00, 0x00, 0x0c, 0x12, 0x34, 0x56),
	    "Cisco Systems, Inc");
	assert_string_equal(vendor(&oui, 0xb8, 0x27, 0xeb, 0, 0, 1),
	    "Raspberry Pi Foundation");
	/* a quoted name with a tab before its closing quote, trimmed */
	assert_string_equal(vendor(&oui, 0x90, 0x12, 0x34, 0, 0, 1),
	    "Shenzhen YOUHUA Technology Co., Ltd");
	/* the rows on either side of one whose address spans lines */
	assert_string_equal(vendor(&oui, 0xb4, 0x46, 0x6b, 0, 0, 1),
	    "REALTIMEID AS");
	assert_string_equal(vendor(&oui, 0xc4, 0xeb, 0x39, 0, 0, 1),
	    "Sagemcom Broadband SAS");
	/* an MA-M and an MA-S block inside the IEEE's own MA-L blocks */
	assert_string_equal(vendor(&oui, 0x20, 0x85, 0x93, 0xb0, 0, 1),
	    "IOG Products LLC");
	assert_string_equal(vendor(&oui, 0x70, 0xb3, 0xd5, 0xf2, 0xf0, 1),
	    "TELEPLATFORMS");
	/* generous: a sanitizer build is several times slower */
	assert_true(ms < 1000.0);
	lw_oui_free(&oui);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	static const char *const names[] = { "oui.csv", "mam.csv",
	    "oui36.csv" };
	(void)state;
	for (size_t i = 0; i < 3; i++)
		remove_file(names[i]);
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quoted_fields),
		cmocka_unit_test(test_record_over_lines),
		cmocka_unit_test(test_runaway_quote),
		cmocka_unit_test(test_longest_prefix),
		cmocka_unit_test(test_local_and_group),
		cmocka_unit_test(test_bad_rows),
		cmocka_unit_test(test_hostile_file),
		cmocka_unit_test(test_missing_files),
		cmocka_unit_test(test_debian_registry),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
