/*
 * test_domain.c - registered domains through libpsl and the shape of a
 * name (domain.c), against Debian's Public Suffix List: ICANN and
 * private rules, the implicit "*" rule, wildcards and exceptions,
 * punycode, DNS escapes, the cache, and hostile names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "labwarden/domain.h"

static struct lw_psl *psl;

/* The registered domain of name must be name + offset. */
static void expect(const char *name, size_t offset)
{
	const char *reg = lw_registered_domain(psl, name);
	if (reg != name + offset)
		print_error("%s: got \"%s\" (offset %td), want \"%s\"\n", name,
		    reg, reg - name, name + offset);
	assert_ptr_equal(reg, name + offset);
}

static void test_icann_rules(void **state)
{
	(void)state;
	expect("www.bbc.co.uk", 4);		/* bbc.co.uk */
	expect("bbc.co.uk", 0);
	expect("co.uk", 0);			/* a suffix: itself */
	expect("uk", 0);
	expect("", 0);
	expect("a.b.t.exfil-demo.net", 6);	/* exfil-demo.net */
	expect("_spf.google.com", 5);		/* google.com */
	expect("1.168.192.in-addr.arpa", 6);	/* 192.in-addr.arpa */
	expect("in-addr.arpa", 0);
	/* a wildcard rule (*.kawasaki.jp) and its exception
	 * (!city.kawasaki.jp) */
	expect("test.kawasaki.jp", 0);
	expect("a.test.kawasaki.jp", 0);
	expect("x.a.test.kawasaki.jp", 2);
	expect("city.kawasaki.jp", 0);
	expect("a.b.city.kawasaki.jp", 4);
}

/* psl_load_file() keeps the private section: github.io is a suffix. */
static void test_private_rules(void **state)
{
	(void)state;
	expect("foo.github.io", 0);
	expect("www.foo.github.io", 4);
	expect("github.io", 0);
	expect("x.s3.amazonaws.com", 0);
}

/* No rule at all: the implicit "*" makes the top label a suffix. */
static void test_default_rule(void **state)
{
	(void)state;
	expect("printer.lan", 0);
	expect("a.printer.lan", 2);
	expect("lan", 0);
	/* home.arpa (RFC 8375) is not in Debian's list (2023): "arpa" is
	 * the suffix, so every home.arpa device shares one domain */
	expect("nas.home.arpa", 4);
	expect("x.localhost", 0);
}

static void test_punycode(void **state)
{
	(void)state;
	/* xn--p1ai is .рф, listed in UTF-8: libpsl matches both forms */
	expect("www.xn--80ak6aa92e.xn--p1ai", 4);
	expect("xn--p1ai", 0);
	expect("www.xn--bcher-kva.de", 4);
}

/* Presentation escapes: "\." is a dot inside a label. */
static void test_escapes(void **state)
{
	(void)state;
	/* labels x, "a.bbc", co, uk: not under bbc.co.uk */
	expect("x.a\\.bbc.co.uk", 2);
	/* the top label "evil.com" is unknown: the "*" rule */
	expect("foo.evil\\.com", 0);
	expect("a.foo.evil\\.com", 2);
	/* "\\\\" is a backslash; the dot after it is a real one */
	expect("x.a\\\\.bbc.co.uk", 6);
	/* \DDD is just bytes to the PSL */
	expect("a\\046b.example.com", 7);
	expect("\\000\\255.example.com", 9);
	/* a lone backslash at the end: the top label "com\" is unknown */
	expect("x.example.com\\", 2);
}

/* Not what the DNS parser makes, but handled: case, a trailing dot. */
static void test_case_and_root(void **state)
{
	(void)state;
	expect("WWW.BBC.CO.UK", 4);
	expect("www.bbc.co.uk.", 4);
	expect("Foo.GitHub.IO.", 0);
	expect(".", 0);
	expect("a..b.example.com", 5);
}

static void test_hostile_names(void **state)
{
	char big[4096];
	(void)state;

	expect("x.\xff\xfe.com", 2);	/* not UTF-8: no crash */
	expect("exa mple.com", 0);
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	for (size_t i = 1; i < sizeof big - 1; i += 2)
		big[i] = '.';
	expect(big, sizeof big - 4);	/* "a.a" at the end */
	big[0] = 'A';			/* too long to copy: as it is */
	assert_non_null(lw_registered_domain(psl, big));
	big[sizeof big - 2] = '\\';
	assert_non_null(lw_registered_domain(psl, big));
	/* no list loaded: every name is its own domain */
	const char *name = "www.bbc.co.uk";
	assert_ptr_equal(lw_registered_domain(NULL, name), name);
}

/* The cache answers by offset: right in another buffer, for another
 * name of the same length, after many names. */
static void test_cache(void **state)
{
	char again[64], name[64];
	(void)state;

	strcpy(again, "www.bbc.co.uk");
	expect(again, 4);
	strcpy(again, "www.bbc.co.uk");
	expect(again, 4);
	strcpy(again, "abc.bbc.co.uk");		/* same length */
	expect(again, 4);
	strcpy(again, "WWW.BBC.CO.UK");
	expect(again, 4);
	for (int i = 0; i < 20000; i++) {
		snprintf(name, sizeof name, "h%d.n%d.example.co.uk", i, i % 7);
		const char *reg = lw_registered_domain(psl, name);
		assert_string_equal(reg, "example.co.uk");
	}
	expect("www.bbc.co.uk", 4);
}

static void test_load_errors(void **state)
{
	char err[256], path[] = "/tmp/lw-test-psl-XXXXXX";
	(void)state;

	assert_null(lw_psl_load("/nonexistent/public_suffix_list.dat", err,
	    sizeof err));
	assert_non_null(strstr(err, "/nonexistent/public_suffix_list.dat"));
	assert_non_null(strstr(err, "publicsuffix"));

	/* libpsl would take any text for a list; we do not */
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "root:x:0:0\nfoo\n", 15), 15);
	close(fd);
	assert_null(lw_psl_load(path, err, sizeof err));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "not a Public Suffix List"));
	unlink(path);
	lw_psl_free(NULL);
}

/* Debian's compiled form answers the same. */
static void test_dafsa(void **state)
{
	char err[256];
	(void)state;

	if (access(LW_PSL_DAFSA, R_OK) != 0)
		skip();
	struct lw_psl *compiled = lw_psl_load(LW_PSL_DAFSA, err, sizeof err);
	assert_non_null(compiled);
	static const char *const names[] = { "www.bbc.co.uk", "co.uk",
	    "foo.github.io", "a.printer.lan", "x.a\\.bbc.co.uk",
	    "www.bbc.co.uk.", "a.b.city.kawasaki.jp", "" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		assert_ptr_equal(lw_registered_domain(compiled, names[i]),
		    lw_registered_domain(psl, names[i]));
	lw_psl_free(compiled);
}

static void shape_of(const char *name, struct lw_name_shape *shape)
{
	lw_name_shape(name, lw_registered_domain(psl, name), shape);
}

static void test_shape(void **state)
{
	struct lw_name_shape shape;
	(void)state;

	shape_of("ab12.cd34.t.exfil-demo.net", &shape);
	assert_int_equal(shape.length, 26);
	assert_int_equal(shape.labels, 5);
	assert_int_equal(shape.longest_label, 10);	/* exfil-demo */
	assert_int_equal(shape.sub_length, 11);		/* ab12.cd34.t */
	/* nine different bytes, dots left out: log2(9) */
	assert_true(fabs(shape.sub_entropy - log2(9.0)) < 1e-9);

	shape_of("example.com", &shape);
	assert_int_equal(shape.labels, 2);
	assert_int_equal(shape.longest_label, 7);
	assert_int_equal(shape.sub_length, 0);
	assert_true(shape.sub_entropy == 0.0);

	shape_of("aaaa.example.com", &shape);
	assert_int_equal(shape.sub_length, 4);
	assert_true(shape.sub_entropy == 0.0);		/* one symbol */

	shape_of("ab.ab.example.com", &shape);
	assert_int_equal(shape.sub_length, 5);
	assert_true(fabs(shape.sub_entropy - 1.0) < 1e-9);

	shape_of("", &shape);
	assert_int_equal(shape.length, 0);
	assert_int_equal(shape.labels, 0);
	assert_int_equal(shape.longest_label, 0);
	assert_int_equal(shape.sub_length, 0);

	shape_of("co.uk", &shape);		/* a suffix is its own domain */
	assert_int_equal(shape.sub_length, 0);

	char label63[80];
	memset(label63, 'q', 63);
	strcpy(label63 + 63, ".example.com");
	shape_of(label63, &shape);
	assert_int_equal(shape.longest_label, 63);
	assert_int_equal(shape.sub_length, 63);
	assert_true(shape.sub_entropy == 0.0);
}

/* Escapes count as the bytes they take in presentation form, and the
 * dot of "\." is data, not a boundary. */
static void test_shape_escapes(void **state)
{
	struct lw_name_shape shape;
	(void)state;

	shape_of("a\\.b.example.com", &shape);
	assert_int_equal(shape.labels, 3);
	assert_int_equal(shape.longest_label, 7);	/* example */
	assert_int_equal(shape.sub_length, 4);
	assert_true(fabs(shape.sub_entropy - 2.0) < 1e-9);	/* a \ . b */

	shape_of("\\000\\001x.example.com", &shape);
	assert_int_equal(shape.labels, 3);
	assert_int_equal(shape.longest_label, 9);
	assert_int_equal(shape.sub_length, 9);

	shape_of("x\\", &shape);		/* lone backslash: no overrun */
	assert_int_equal(shape.length, 2);
	assert_int_equal(shape.labels, 1);
	assert_int_equal(shape.longest_label, 2);
	shape_of("x\\1", &shape);
	assert_int_equal(shape.longest_label, 3);
}

static void test_shape_foreign_pointer(void **state)
{
	struct lw_name_shape shape;
	(void)state;

	/* registered not inside name: no subdomain */
	lw_name_shape("www.example.com", "example.com", &shape);
	assert_int_equal(shape.length, 15);
	assert_int_equal(shape.sub_length, 0);
	assert_true(shape.sub_entropy == 0.0);
	/* registered is name: no subdomain */
	const char *name = "a.b";
	lw_name_shape(name, name, &shape);
	assert_int_equal(shape.sub_length, 0);
}

static int setup(void **state)
{
	char err[256];
	(void)state;

	psl = lw_psl_load(LW_PSL_DEFAULT, err, sizeof err);
	if (!psl)
		fprintf(stderr, "%s\n", err);
	return psl ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	lw_psl_free(psl);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_icann_rules),
		cmocka_unit_test(test_private_rules),
		cmocka_unit_test(test_default_rule),
		cmocka_unit_test(test_punycode),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_case_and_root),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_dafsa),
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_shape_escapes),
		cmocka_unit_test(test_shape_foreign_pointer),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
