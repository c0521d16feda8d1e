/*
 * test_blocklist.c - block and allow lists (blocklist.c): hosts, plain
 * and Adblock lines, comments, CRLF, a missing final newline, what a
 * listed name covers, allowlists, precedence between lists, bad lines
 * reported as file:line, escapes in looked-up names, and hostile files.
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

static char dir[] = "/tmp/lw-test-blocklist-XXXXXX";

static const char *path_of(const char *name)
{
	static char path[4][256];
	static unsigned next;
	char *p = path[next++ % 4];
	snprintf(p, sizeof path[0], "%s/%s", dir, name);
	return p;
}

static void write_file(const char *name, const char *text, size_t len)
{
	FILE *f = fopen(path_of(name), "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void write_text(const char *name, const char *text)
{
	write_file(name, text, strlen(text));
}

static void add(struct lw_blocklist *bl, const char *name, bool allow,
    FILE *report)
{
	char err[256] = "";
	bool ok = lw_blocklist_add_file(bl, path_of(name), allow, report, err,
	    sizeof err);
	if (!ok)
		print_error("%s\n", err);
	assert_true(ok);
}

/* A list from text, loaded alone; bad lines not reported. */
static void load_one(struct lw_blocklist *bl, const char *name,
    const char *text)
{
	write_text(name, text);
	lw_blocklist_init(bl);
	add(bl, name, false, NULL);
}

static void blocked_by(const struct lw_blocklist *bl, const char *name,
    const char *list)
{
	const char *got = lw_blocklist_match(bl, name);
	if (!got || strcmp(got, list) != 0)
		print_error("%s: got %s, want %s\n", name, got ? got : "NULL",
		    list);
	assert_non_null(got);
	assert_string_equal(got, list);
}

static void not_blocked(const struct lw_blocklist *bl, const char *name)
{
	const char *got = lw_blocklist_match(bl, name);
	if (got)
		print_error("%s: blocked by %s\n", name, got);
	assert_null(got);
}

static void test_hosts(void **state)
{
	struct lw_blocklist bl;
	(void)state;

	load_one(&bl, "hosts",
	    "# StevenBlack style\n"
	    "127.0.0.1 localhost\n"
	    "127.0.0.1 localhost.localdomain\n"
	    "127.0.0.1 local\n"
	    "255.255.255.255 broadcasthost\n"
	    "::1 localhost ip6-localhost ip6-loopback\n"
	    "fe80::1%lo0 localhost\n"
	    "ff02::1 ip6-allnodes\n"
	    "0.0.0.0 0.0.0.0\n"
	    "0.0.0.0 ads.example.com tracker.example.net # two names\n"
	    "0.0.0.0\tTabbed.Example.ORG\n"
	    "127.0.0.1 inline.example#comment\n"
	    "2001:db8::1 v6.example\n"
	    "10.1.2.3 private.example\n"
	    "0.0.0.0 bad..name good.example\n"	/* one bad line */
	    "0.0.0.0\n"				/* bad */
	    "0.0.0.0 # nothing but a comment\n");	/* bad */
	assert_int_equal(bl.nfiles, 1);
	assert_string_equal(bl.files[0].name, "hosts");
	assert_int_equal(bl.files[0].bad_lines, 3);
	assert_int_equal(bl.files[0].entries, 7);
	assert_int_equal(bl.count, 7);
	blocked_by(&bl, "ads.example.com", "hosts");
	blocked_by(&bl, "tracker.example.net", "hosts");
	blocked_by(&bl, "tabbed.example.org", "hosts");
	blocked_by(&bl, "inline.example", "hosts");
	blocked_by(&bl, "v6.example", "hosts");
	blocked_by(&bl, "private.example", "hosts");
	blocked_by(&bl, "good.example", "hosts");
	not_blocked(&bl, "localhost");
	not_blocked(&bl, "local");
	not_blocked(&bl, "broadcasthost");
	not_blocked(&bl, "ip6-localhost");
	not_blocked(&bl, "0.0.0.0");
	not_blocked(&bl, "name");
	not_blocked(&bl, "two");
	lw_blocklist_free(&bl);
}

static void test_plain(void **state)
{
	struct lw_blocklist bl;
	char text[1024], label63[64], label64[65];
	(void)state;

	memset(label63, 'x', 63);
	label63[63] = '\0';
	memset(label64, 'y', 64);
	label64[64] = '\0';
	snprintf(text, sizeof text,
	    "telemetry.vendor.io\n"
	    "  Spaced.Example.COM  \n"
	    "*.wild.example.org\n"
	    "trailing.dot.example.\n"
	    "under_score.example\n"
	    "1.de\n"			/* a name, not an address */
	    "%s.example\n"
	    "%s.example\n"		/* bad: a 64-byte label */
	    "bad name\n"		/* bad: two words */
	    "1.2.3.4\n"			/* bad: an address alone */
	    "caf\xc3\xa9.example\n"	/* bad: not [a-z0-9_-] */
	    "*.\n"			/* bad */
	    "..\n"			/* bad */
	    "*\n"			/* bad */
	    ".lead.example\n"		/* bad */
	    "app-measurement.com", label63, label64);
	load_one(&bl, "plain.txt", text);
	assert_int_equal(bl.files[0].bad_lines, 8);
	assert_int_equal(bl.files[0].entries, 8);
	blocked_by(&bl, "telemetry.vendor.io", "plain.txt");
	blocked_by(&bl, "spaced.example.com", "plain.txt");
	blocked_by(&bl, "wild.example.org", "plain.txt");
	blocked_by(&bl, "x.wild.example.org", "plain.txt");
	blocked_by(&bl, "trailing.dot.example", "plain.txt");
	blocked_by(&bl, "under_score.example", "plain.txt");
	blocked_by(&bl, "1.de", "plain.txt");
	char name[80];
	snprintf(name, sizeof name, "a.%s.example", label63);
	blocked_by(&bl, name, "plain.txt");
	blocked_by(&bl, "app-measurement.com", "plain.txt");	/* no \n */
	not_blocked(&bl, "example.org");
	not_blocked(&bl, "lead.example");
	lw_blocklist_free(&bl);
}

/* 253 bytes is the longest name; 254 is not one. */
static void test_name_length(void **state)
{
	struct lw_blocklist bl;
	char text[600], longest[254], too_long[255];
	(void)state;

	/* "a.a.a....": 127 labels, 253 bytes */
	for (size_t i = 0; i < 253; i++)
		longest[i] = i % 2 ? '.' : 'a';
	longest[253] = '\0';
	memcpy(too_long, "b", 1);
	memcpy(too_long + 1, longest, 254);	/* "ba.a...": 254 bytes */
	snprintf(text, sizeof text, "%s\n%s\n", longest, too_long);
	load_one(&bl, "long.txt", text);
	assert_int_equal(bl.files[0].entries, 1);
	assert_int_equal(bl.files[0].bad_lines, 1);
	blocked_by(&bl, longest, "long.txt");
	not_blocked(&bl, too_long);	/* its suffixes are shorter names */
	not_blocked(&bl, longest + 2);
	lw_blocklist_free(&bl);
}

static void test_adblock(void **state)
{
	struct lw_blocklist bl;
	(void)state;

	load_one(&bl, "adblock.txt",
	    "[Adblock Plus 2.0]\r\n"
	    "! Title: test\r\n"
	    "||doubleclick.net^\r\n"
	    "||metrics.example.com^$third-party\r\n"
	    "||pipe.example^|\r\n"
	    "||Upper.Example^$important,all\r\n"
	    "##.generic-banner\r\n"		/* comment-like: skipped */
	    "||example.com/path^\r\n"		/* bad: a path */
	    "||*.ads.example^\r\n"		/* bad: wildcard */
	    "||ads*.example^\r\n"		/* bad: wildcard */
	    "@@||fine.example^\r\n"		/* bad: exception */
	    "example.com##.ad-box\r\n"		/* bad: element hiding */
	    "example.com#@#.ad-box\r\n"		/* bad: element hiding */
	    "|https://x.example/\r\n"		/* bad */
	    "||nocaret.example\r\n"		/* bad */
	    "||caret.example^junk\r\n"		/* bad */
	    "||cancelled.example^$badfilter\r\n"	/* bad */
	    "/banner[0-9]+/\r\n"		/* bad */
	    "[not a header\r\n"			/* bad */
	    "||last.example^");		/* no final newline */
	assert_int_equal(bl.files[0].bad_lines, 12);
	assert_int_equal(bl.files[0].entries, 5);
	blocked_by(&bl, "doubleclick.net", "adblock.txt");
	blocked_by(&bl, "x.doubleclick.net", "adblock.txt");
	blocked_by(&bl, "metrics.example.com", "adblock.txt");
	blocked_by(&bl, "pipe.example", "adblock.txt");
	blocked_by(&bl, "upper.example", "adblock.txt");
	blocked_by(&bl, "last.example", "adblock.txt");
	not_blocked(&bl, "example.com");
	not_blocked(&bl, "fine.example");
	not_blocked(&bl, "ads.example");
	not_blocked(&bl, "cancelled.example");
	not_blocked(&bl, "nocaret.example");
	lw_blocklist_free(&bl);
}

static void test_comments_and_space(void **state)
{
	struct lw_blocklist bl;
	(void)state;

	load_one(&bl, "mixed.txt",
	    "\n\r\n   \r\n\t\n"
	    "# comment\r\n"
	    "   # indented comment\r\n"
	    "! adblock comment\r\n"
	    "  ! indented adblock comment\r\n"
	    "\tone.example\t\r\n"
	    "two.example # why\r\n"
	    "  0.0.0.0   three.example   four.example  \r\n"
	    "  ||five.example^  \r\n"
	    "\r\r\n");
	assert_int_equal(bl.files[0].bad_lines, 0);
	assert_int_equal(bl.files[0].entries, 5);
	blocked_by(&bl, "one.example", "mixed.txt");
	blocked_by(&bl, "two.example", "mixed.txt");
	blocked_by(&bl, "three.example", "mixed.txt");
	blocked_by(&bl, "four.example", "mixed.txt");
	blocked_by(&bl, "five.example", "mixed.txt");
	not_blocked(&bl, "comment");
	lw_blocklist_free(&bl);
}

/* A name covers itself and below, never its parent or a look-alike. */
static void test_subdomains(void **state)
{
	struct lw_blocklist bl;
	(void)state;

	load_one(&bl, "ads", "ads.example.com\n");
	blocked_by(&bl, "ads.example.com", "ads");
	blocked_by(&bl, "x.ads.example.com", "ads");
	blocked_by(&bl, "a.b.c.ads.example.com", "ads");
	blocked_by(&bl, "ads.example.com.", "ads");	/* the root's dot */
	blocked_by(&bl, "X.ADS.Example.COM", "ads");	/* case folded */
	not_blocked(&bl, "example.com");
	not_blocked(&bl, "com");
	not_blocked(&bl, "badads.example.com");
	not_blocked(&bl, "ads.example.com.evil");
	not_blocked(&bl, "ads.example.co");
	not_blocked(&bl, "");
	not_blocked(&bl, ".");
	not_blocked(&bl, "..ads.example.co");
	blocked_by(&bl, ".ads.example.com", "ads");
	/* a long name with a listed suffix: the walk reaches it */
	char name[600];
	memset(name, 'q', sizeof name);
	strcpy(name + 500, ".ads.example.com");
	blocked_by(&bl, name, "ads");
	lw_blocklist_free(&bl);
}

/* DNS presentation escapes: "\." is a dot inside a label. */
static void test_escaped_names(void **state)
{
	struct lw_blocklist bl;
	(void)state;

	load_one(&bl, "esc", "bbc.co.uk\n");
	not_blocked(&bl, "x.a\\.bbc.co.uk");	/* labels x, "a.bbc", co, uk */
	not_blocked(&bl, "a\\.bbc.co.uk");
	blocked_by(&bl, "x\\\\.bbc.co.uk", "esc");	/* "x\" then bbc */
	blocked_by(&bl, "\\000\\255.bbc.co.uk", "esc");
	not_blocked(&bl, "bbc.co.uk\\");
	not_blocked(&bl, "bbc\\.co.uk");
	lw_blocklist_free(&bl);
}

static void test_allowlist(void **state)
{
	struct lw_blocklist bl;
	(void)state;

	write_text("block", "example.com\nads.example.org\nboth.example\n");
	write_text("allow", "good.example.com\nexample.org\nboth.example\n");
	for (int order = 0; order < 2; order++) {
		lw_blocklist_init(&bl);
		if (order == 0) {
			add(&bl, "block", false, NULL);
			add(&bl, "allow", true, NULL);
		} else {
			add(&bl, "allow", true, NULL);
			add(&bl, "block", false, NULL);
		}
		assert_int_equal(bl.count, 5);
		blocked_by(&bl, "example.com", "block");
		blocked_by(&bl, "bad.example.com", "block");
		not_blocked(&bl, "good.example.com");
		not_blocked(&bl, "x.y.good.example.com");
		/* an allowed parent overrides a blocked child */
		not_blocked(&bl, "ads.example.org");
		not_blocked(&bl, "x.ads.example.org");
		/* in both: allowed, whichever came first */
		not_blocked(&bl, "both.example");
		not_blocked(&bl, "x.both.example");
		lw_blocklist_free(&bl);
	}
}

static void test_precedence(void **state)
{
	struct lw_blocklist bl;
	(void)state;

	write_text("first", "example.com\nshared.example\n");
	write_text("second", "ads.example.com\nshared.example\n");
	lw_blocklist_init(&bl);
	add(&bl, "first", false, NULL);
	add(&bl, "second", false, NULL);
	/* the most specific listed suffix names the list */
	blocked_by(&bl, "x.ads.example.com", "second");
	blocked_by(&bl, "ads.example.com", "second");
	blocked_by(&bl, "y.example.com", "first");
	/* the same name in two blocklists: the first loaded */
	blocked_by(&bl, "shared.example", "first");
	assert_int_equal(bl.files[1].entries, 2);
	assert_int_equal(bl.count, 3);
	lw_blocklist_free(&bl);

	/* an empty set matches nothing */
	lw_blocklist_init(&bl);
	not_blocked(&bl, "example.com");
	lw_blocklist_free(&bl);
}

static char *load_reporting(struct lw_blocklist *bl, const char *name)
{
	char *report = NULL;
	size_t len = 0;
	FILE *rep = open_memstream(&report, &len);

	assert_non_null(rep);
	lw_blocklist_init(bl);
	add(bl, name, false, rep);
	assert_int_equal(fclose(rep), 0);
	return report;
}

static void test_bad_line_report(void **state)
{
	struct lw_blocklist bl;
	char expect[2048];
	(void)state;

	char *big = malloc(5000);
	assert_non_null(big);
	memset(big, 'z', 4999);
	big[4999] = '\0';
	char text[8192];
	snprintf(text, sizeof text,
	    "# header\n"			/* 1 */
	    "ok.example\n"			/* 2 */
	    "bad name\n"			/* 3 */
	    "\n"				/* 4 */
	    "0.0.0.0\n"				/* 5 */
	    "||x.example/path^\n"		/* 6 */
	    "%s\n"				/* 7: too long */
	    "example.com##.ad\n"		/* 8 */
	    "@@||y.example^\n"			/* 9: the sixth, not shown */
	    "bad..example\n"			/* 10 */
	    "ok2.example\n"			/* 11 */
	    "also bad\n", big);			/* 12, no newline */
	free(big);
	write_text("report.txt", text);
	char *report = load_reporting(&bl, "report.txt");
	const char *p = path_of("report.txt");
	snprintf(expect, sizeof expect,
	    "%s:3: more than one word on a plain line\n"
	    "%s:5: address without a name\n"
	    "%s:6: Adblock rule other than ||domain^\n"
	    "%s:7: line too long\n"
	    "%s:8: Adblock element hiding rule\n"
	    "%s: 3 more bad lines not shown\n", p, p, p, p, p, p);
	assert_string_equal(report, expect);
	assert_int_equal(bl.files[0].bad_lines, 8);
	assert_int_equal(bl.files[0].entries, 2);
	blocked_by(&bl, "ok2.example", "report.txt");
	free(report);
	lw_blocklist_free(&bl);

	/* exactly LW_BLOCKLIST_REPORT_LINES bad lines: no summary; a hosts
	 * line with two bad names is one bad line */
	write_text("five.txt", "a b\nc d\n0.0.0.0 x..y z..w ok.example\n"
	    "e f\ng h\n");
	report = load_reporting(&bl, "five.txt");
	assert_int_equal(bl.files[0].bad_lines, LW_BLOCKLIST_REPORT_LINES);
	assert_null(strstr(report, "not shown"));
	assert_non_null(strstr(report, "five.txt:3: not a domain name\n"));
	assert_non_null(strstr(report, "five.txt:5: more than one word"));
	blocked_by(&bl, "ok.example", "five.txt");
	free(report);
	lw_blocklist_free(&bl);
}

/* A 1 MB line, NUL bytes, bytes that are not UTF-8, a line exactly at
 * the buffer's size: no crash, no leak, the next line read right. */
static void test_hostile_file(void **state)
{
	struct lw_blocklist bl;
	size_t big = 1 << 20, n = 0;
	(void)state;

	char *text = malloc(big + 16384);
	assert_non_null(text);
	memset(text, 'a', big);
	n = big;
	static const char tail[] = "\nok.example\n"
	    "nul\0byte.example\n"
	    "after-nul.example\n"
	    "\0\0\0\0\n"
	    "\xff\xfe\x80.example\n"
	    "\r\r\r\n"
	    "0.0.0.0 \0 hidden.example\n";
	memcpy(text + n, tail, sizeof tail - 1);
	n += sizeof tail - 1;
	/* 4094 bytes and a newline fit the 4096-byte buffer; 4095 do not */
	for (size_t len = 4094; len <= 4095; len++) {
		memset(text + n, 'b', len - 12);
		memcpy(text + n + len - 12, ".fit.example", 12);
		n += len;
		text[n++] = '\n';
	}
	memcpy(text + n, "end.example", 11);
	n += 11;
	write_file("hostile.txt", text, n);
	free(text);
	lw_blocklist_init(&bl);
	add(&bl, "hostile.txt", false, NULL);
	/* the 1 MB line, the three lines with NUL bytes (lines.h: a NUL
	 * would cut "nul\0byte.example" to "nul"), the non-ASCII name, the
	 * 4095-byte line; the 4094-byte one has a 4082-byte label: bad too */
	assert_int_equal(bl.files[0].bad_lines, 7);
	blocked_by(&bl, "ok.example", "hostile.txt");
	not_blocked(&bl, "nul");
	not_blocked(&bl, "byte.example");
	blocked_by(&bl, "after-nul.example", "hostile.txt");
	not_blocked(&bl, "hidden.example");
	blocked_by(&bl, "end.example", "hostile.txt");
	lw_blocklist_free(&bl);

	/* nothing but NUL bytes; an empty file */
	char zeros[10000] = { 0 };
	write_file("zeros.txt", zeros, sizeof zeros);
	write_file("empty.txt", "", 0);
	lw_blocklist_init(&bl);
	add(&bl, "zeros.txt", false, NULL);
	add(&bl, "empty.txt", false, NULL);
	assert_int_equal(bl.count, 0);
	not_blocked(&bl, "example.com");
	lw_blocklist_free(&bl);
}

static void test_file_errors(void **state)
{
	struct lw_blocklist bl;
	char err[256];
	(void)state;

	lw_blocklist_init(&bl);
	assert_false(lw_blocklist_add_file(&bl, path_of("missing.txt"), false,
	    NULL, err, sizeof err));
	assert_non_null(strstr(err, "missing.txt: "));
	assert_false(lw_blocklist_add_file(&bl, dir, false, NULL, err,
	    sizeof err));		/* a directory: a read error */
	assert_non_null(strstr(err, dir));
	lw_blocklist_free(&bl);

	/* LW_BLOCKLIST_MAX_LISTS lists, then no more */
	write_text("one.txt", "one.example\n");
	lw_blocklist_init(&bl);
	for (int i = 0; i < LW_BLOCKLIST_MAX_LISTS; i++)
		add(&bl, "one.txt", false, NULL);
	assert_false(lw_blocklist_add_file(&bl, path_of("one.txt"), false,
	    NULL, err, sizeof err));
	assert_non_null(strstr(err, "more than 64 lists"));
	assert_int_equal(bl.nfiles, LW_BLOCKLIST_MAX_LISTS);
	blocked_by(&bl, "one.example", "one.txt");
	lw_blocklist_free(&bl);
}

/* Many names: the set grows, stays at most half full, finds them all. */
static void test_growth(void **state)
{
	struct lw_blocklist bl;
	enum { NAMES = 50000 };
	(void)state;

	FILE *f = fopen(path_of("many.txt"), "w");
	assert_non_null(f);
	for (int i = 0; i < NAMES; i++)
		fprintf(f, "0.0.0.0 n%d.example\n", i);
	assert_int_equal(fclose(f), 0);
	lw_blocklist_init(&bl);
	add(&bl, "many.txt", false, NULL);
	assert_int_equal(bl.count, NAMES);
	assert_true(bl.nslots >= 2 * bl.count);
	assert_int_equal(bl.nslots & (bl.nslots - 1), 0);
	char name[64];
	for (int i = 0; i < NAMES; i++) {
		snprintf(name, sizeof name, "sub.n%d.example", i);
		assert_non_null(lw_blocklist_match(&bl, name));
	}
	for (int i = NAMES; i < 2 * NAMES; i++) {
		snprintf(name, sizeof name, "n%d.example", i);
		assert_null(lw_blocklist_match(&bl, name));
	}
	lw_blocklist_free(&bl);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	static const char *const names[] = { "hosts", "plain.txt",
	    "long.txt", "adblock.txt", "mixed.txt", "ads", "esc", "block",
	    "allow", "first", "second", "report.txt", "five.txt",
	    "hostile.txt", "zeros.txt", "empty.txt", "one.txt", "many.txt" };
	(void)state;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		unlink(path_of(names[i]));
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_name_length),
		cmocka_unit_test(test_adblock),
		cmocka_unit_test(test_comments_and_space),
		cmocka_unit_test(test_subdomains),
		cmocka_unit_test(test_escaped_names),
		cmocka_unit_test(test_allowlist),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_bad_line_report),
		cmocka_unit_test(test_hostile_file),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_growth),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
