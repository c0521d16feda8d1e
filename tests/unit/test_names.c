/*
 * test_names.c - t104: reference data for names: IEEE vendors (oui.c),
 * registered domains and name shape (domain.c), block and allow lists
 * (blocklist.c), on small files written here and on the real Debian
 * data where a check needs it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "labwarden/blocklist.h"
#include "labwarden/domain.h"
#include "labwarden/oui.h"

static char dir[] = "/tmp/lw-test-names-XXXXXX";

static void write_file(const char *name, const char *text, size_t len)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

static const char *path_of(const char *name)
{
	static char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return path;
}

static void test_oui_small_files(void **state)
{
	struct lw_oui oui;
	char err[256];
	(void)state;

	const char *oui_csv =
	    "Registry,Assignment,Organization Name,Organization Address\n"
	    "MA-L,001122,\"Acme, Inc.\",\"1 Road, Town\"\n"
	    "MA-L,70B3D5,IEEE Registration Authority,somewhere\n"
	    "MA-L,zzzzzz,Broken,row\n"
	    "MA-L\n";
	const char *mam_csv =
	    "Registry,Assignment,Organization Name,Organization Address\n"
	    "MA-M,70B3D51,\"Small \"\"Quoted\"\" Co\",x\n";
	write_file("oui.csv", oui_csv, strlen(oui_csv));
	write_file("mam.csv", mam_csv, strlen(mam_csv));
	assert_true(lw_oui_load(&oui, dir, err, sizeof err));
	assert_int_equal(oui.bad_lines, 2);
	const uint8_t acme[6] = { 0x00, 0x11, 0x22, 0x01, 0x02, 0x03 };
	const uint8_t small[6] = { 0x70, 0xb3, 0xd5, 0x1f, 0x00, 0x01 };
	const uint8_t ieee[6] = { 0x70, 0xb3, 0xd5, 0x2f, 0x00, 0x01 };
	const uint8_t local[6] = { 0x02, 0x11, 0x22, 0x01, 0x02, 0x03 };
	assert_string_equal(lw_oui_vendor(&oui, acme), "Acme, Inc.");
	assert_string_equal(lw_oui_vendor(&oui, small), "Small \"Quoted\" Co");
	assert_string_equal(lw_oui_vendor(&oui, ieee),
	    "IEEE Registration Authority");
	assert_null(lw_oui_vendor(&oui, local));
	assert_true(lw_mac_is_local(local));
	lw_oui_free(&oui);

	assert_false(lw_oui_load(&oui, "/nonexistent", err, sizeof err));
	assert_non_null(strstr(err, "/nonexistent/oui.csv"));
	assert_non_null(strstr(err, "ieee-data"));
	lw_oui_free(&oui);
}

static void test_oui_debian_registry(void **state)
{
	struct lw_oui oui;
	char err[256];
	(void)state;

	if (access(LW_OUI_DIR_DEFAULT "/oui.csv", R_OK) != 0)
		skip();
	assert_true(lw_oui_load(&oui, LW_OUI_DIR_DEFAULT, err, sizeof err));
	assert_true(oui.count > 30000);
	const uint8_t pi[6] = { 0xb8, 0x27, 0xeb, 0x00, 0x00, 0x01 };
	assert_string_equal(lw_oui_vendor(&oui, pi), "Raspberry Pi Foundation");
	lw_oui_free(&oui);
}

static void test_registered_domains(void **state)
{
	char err[256];
	struct lw_name_shape shape;
	(void)state;

	struct lw_psl *psl = lw_psl_load(LW_PSL_DEFAULT, err, sizeof err);
	if (!psl)
		skip();
	const char *name = "www.bbc.co.uk";
	const char *reg = lw_registered_domain(psl, name);
	assert_string_equal(reg, "bbc.co.uk");
	assert_ptr_equal(reg, name + 4);	/* points into the name */
	assert_string_equal(lw_registered_domain(psl, "co.uk"), "co.uk");
	assert_string_equal(lw_registered_domain(psl, "a.b.t.exfil-demo.net"),
	    "exfil-demo.net");
	assert_string_equal(lw_registered_domain(psl, "printer.lan"),
	    "printer.lan");
	assert_string_equal(lw_registered_domain(psl, ""), "");
	/* the cache answers by offset: the same name in another buffer */
	char again[32];
	strcpy(again, "www.bbc.co.uk");
	assert_ptr_equal(lw_registered_domain(psl, again), again + 4);
	strcpy(again, "news.bbc.co.uk");	/* same slot or not: right */
	assert_string_equal(lw_registered_domain(psl, again), "bbc.co.uk");

	const char *tunnel = "ab12.cd34.t.exfil-demo.net";
	lw_name_shape(tunnel, lw_registered_domain(psl, tunnel), &shape);
	assert_int_equal(shape.labels, 5);
	assert_int_equal(shape.longest_label, 10);
	assert_int_equal(shape.sub_length, strlen("ab12.cd34.t"));
	assert_true(shape.sub_entropy > 2.9 && shape.sub_entropy < 3.2);
	lw_name_shape("example.com", "example.com", &shape);
	assert_int_equal(shape.sub_length, 0);
	assert_true(shape.sub_entropy == 0.0);
	lw_psl_free(psl);

	assert_null(lw_psl_load("/nonexistent.dat", err, sizeof err));
	assert_non_null(strstr(err, "publicsuffix"));
}

static void test_blocklist_formats(void **state)
{
	struct lw_blocklist bl;
	char err[256], *report = NULL;
	size_t report_len = 0;
	(void)state;

	const char *hosts = "# StevenBlack style\r\n"
	    "127.0.0.1 localhost\r\n"
	    "0.0.0.0 ads.example.com tracker.example.net # two names\r\n"
	    ":: ip6-localhost\r\n"
	    "0.0.0.0\r\n";
	const char *plain = "telemetry.vendor.io\n*.wild.example.org\nbad name\n"
	    "app-measurement.com.";	/* no final newline */
	const char *adblock = "[Adblock Plus 2.0]\n! comment\n"
	    "||doubleclick.net^\n||metrics.example.com^$third-party\n"
	    "||example.com/path^\n@@||fine.example^\n";
	const char *allow = "good.ads.example.com\n";
	write_file("hosts.txt", hosts, strlen(hosts));
	write_file("plain.txt", plain, strlen(plain));
	write_file("adblock.txt", adblock, strlen(adblock));
	write_file("allow.txt", allow, strlen(allow));

	FILE *rep = open_memstream(&report, &report_len);
	lw_blocklist_init(&bl);
	assert_true(lw_blocklist_add_file(&bl, path_of("hosts.txt"), false,
	    rep, err, sizeof err));
	assert_true(lw_blocklist_add_file(&bl, path_of("plain.txt"), false,
	    rep, err, sizeof err));
	assert_true(lw_blocklist_add_file(&bl, path_of("adblock.txt"), false,
	    rep, err, sizeof err));
	assert_true(lw_blocklist_add_file(&bl, path_of("allow.txt"), true,
	    rep, err, sizeof err));
	fclose(rep);

	assert_string_equal(lw_blocklist_match(&bl, "ads.example.com"),
	    "hosts.txt");
	assert_string_equal(lw_blocklist_match(&bl, "x.y.ads.example.com"),
	    "hosts.txt");
	assert_null(lw_blocklist_match(&bl, "example.com"));
	assert_null(lw_blocklist_match(&bl, "badads.example.com"));
	assert_null(lw_blocklist_match(&bl, "good.ads.example.com"));
	assert_null(lw_blocklist_match(&bl, "a.good.ads.example.com"));
	assert_string_equal(lw_blocklist_match(&bl, "app-measurement.com"),
	    "plain.txt");
	assert_string_equal(lw_blocklist_match(&bl, "x.wild.example.org"),
	    "plain.txt");
	assert_string_equal(lw_blocklist_match(&bl, "doubleclick.net"),
	    "adblock.txt");
	assert_string_equal(lw_blocklist_match(&bl, "metrics.example.com"),
	    "adblock.txt");
	assert_null(lw_blocklist_match(&bl, "localhost"));

	/* bad lines: counted and reported with file:line */
	assert_int_equal(bl.files[0].bad_lines, 1);	/* address alone */
	assert_int_equal(bl.files[1].bad_lines, 1);
	assert_int_equal(bl.files[2].bad_lines, 2);
	assert_non_null(strstr(report, "hosts.txt:5: address without a name"));
	assert_non_null(strstr(report, "plain.txt:3: more than one word"));
	assert_non_null(strstr(report, "adblock.txt:5: Adblock rule"));
	free(report);
	lw_blocklist_free(&bl);
}

static void test_blocklist_hostile_file(void **state)
{
	struct lw_blocklist bl;
	char err[256];
	size_t big = 1 << 20;
	(void)state;

	char *text = malloc(big + 64);
	assert_non_null(text);
	memset(text, 'a', big);
	memcpy(text + big, "\nok.example\nnul\0byte.example\n", 29);
	write_file("hostile.txt", text, big + 29);
	free(text);
	lw_blocklist_init(&bl);
	assert_true(lw_blocklist_add_file(&bl, path_of("hostile.txt"), false,
	    NULL, err, sizeof err));
	/* the 1 MB line, and the line with a NUL byte */
	assert_int_equal(bl.files[0].bad_lines, 2);
	assert_null(lw_blocklist_match(&bl, "nul"));
	assert_string_equal(lw_blocklist_match(&bl, "ok.example"),
	    "hostile.txt");
	assert_false(lw_blocklist_add_file(&bl, path_of("missing.txt"), false,
	    NULL, err, sizeof err));
	assert_non_null(strstr(err, "missing.txt"));
	lw_blocklist_free(&bl);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];
	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oui_small_files),
		cmocka_unit_test(test_oui_debian_registry),
		cmocka_unit_test(test_registered_domains),
		cmocka_unit_test(test_blocklist_formats),
		cmocka_unit_test(test_blocklist_hostile_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
