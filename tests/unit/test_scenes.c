/*
 * test_scenes.c - t105: the scene engine on facts built here: every
 * condition operator, counts and distinct counts over sliding windows,
 * below:, cooldowns per group, weekly schedules, templates, the soft
 * allow after a release, and a reload that keeps the old scenes when the
 * new ones have errors.
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

#include "labwarden/scene.h"

#define SEC LW_NS_PER_SEC
#define T0 (1763798400ull * SEC)	/* 2025-11-22T08:00:00Z, Saturday */

struct rig {
	struct lw_config cfg;
	struct lw_scene_set set;
	struct lw_scene_engine eng;
	struct lw_writer writer;
	char	*out;
	size_t	 outlen;
	FILE	*stream;
	char	 path[64];
};

static struct rig rig;

/* Load rules text; assert it loads (or fails, when want_ok is false). */
static bool load(const char *rules, bool want_ok)
{
	struct lw_diag diag;
	char err[256];

	strcpy(rig.path, "/tmp/lw-test-scenes-XXXXXX");
	int fd = mkstemp(rig.path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, rules, strlen(rules)), (ssize_t)strlen(rules));
	close(fd);
	lw_config_defaults(&rig.cfg);
	lw_diag_init(&diag);
	const char *paths[1] = { rig.path };
	bool ok = lw_scenes_load(&rig.set, paths, 1, &rig.cfg, &diag);
	if (ok != want_ok)
		lw_diag_print(&diag, stderr);
	lw_diag_free(&diag);
	assert_int_equal(ok, want_ok);
	if (!ok) {
		lw_scenes_free(&rig.set);
		return false;
	}
	rig.stream = open_memstream(&rig.out, &rig.outlen);
	lw_writer_init(&rig.writer, rig.stream, LW_EV_BIT(LW_EV_SCENE),
	    LW_FORMAT_JSON);
	assert_true(lw_scene_engine_init(&rig.eng, &rig.set, &rig.writer,
	    &rig.cfg, err, sizeof err));
	return true;
}

static void unload(void)
{
	lw_scene_engine_free(&rig.eng);
	lw_scenes_free(&rig.set);
	fclose(rig.stream);
	free(rig.out);
	unlink(rig.path);
	memset(&rig, 0, sizeof rig);
}

/* The scene events written so far, as text. */
static const char *written(void)
{
	fflush(rig.stream);
	return rig.out ? rig.out : "";
}

static size_t firings(void)
{
	size_t n = 0;
	for (const char *p = written(); (p = strstr(p, "\"type\":\"scene\""));
	    p++)
		n++;
	return n;
}

static void conn(uint64_t ts, const char *src, const char *dst,
    unsigned dport, bool outbound)
{
	struct lw_fact f;
	struct lw_cidr c;
	char why[64];

	lw_fact_init(&f, LW_EV_CONN_START, ts);
	assert_true(lw_cidr_parse(src, &c, why, sizeof why));
	lw_fact_ip(&f, LW_CONN_SRC_IP, &c.addr);
	assert_true(lw_cidr_parse(dst, &c, why, sizeof why));
	lw_fact_ip(&f, LW_CONN_DEST_IP, &c.addr);
	lw_fact_num(&f, LW_CONN_SRC_PORT, 40000);
	lw_fact_num(&f, LW_CONN_DEST_PORT, dport);
	lw_fact_str(&f, LW_CONN_PROTO, "TCP");
	lw_fact_flag(&f, LW_CONN_OUTBOUND, outbound);
	lw_scene_engine_fact(&rig.eng, &f);
}

static void query(uint64_t ts, const char *src, const char *qname,
    const char *blocklisted)
{
	struct lw_fact f;
	struct lw_cidr c;
	char why[64];

	lw_fact_init(&f, LW_EV_DNS_QUERY, ts);
	assert_true(lw_cidr_parse(src, &c, why, sizeof why));
	lw_fact_ip(&f, LW_DNS_F_SRC_IP, &c.addr);
	lw_fact_str(&f, LW_DNS_F_QNAME, qname);
	lw_fact_str(&f, LW_DNS_F_QTYPE, "A");
	lw_fact_str(&f, LW_DNS_F_BLOCKLISTED, blocklisted);
	lw_fact_num(&f, LW_DNS_F_NAME_LENGTH, (int64_t)strlen(qname));
	lw_scene_engine_fact(&rig.eng, &f);
}

static void test_conditions(void **state)
{
	(void)state;
	load("- name: c\n"
	    "  on: dns_query\n"
	    "  when:\n"
	    "    qname: { glob: \"*.example.com\", \"!=\": bad.example.com }\n"
	    "    src_ip: { in_network: home, not_in: [192.168.1.99] }\n"
	    "    name_length: { \">=\": 10, \"<\": 40 }\n"
	    "    qtype: { in: [A, AAAA] }\n"
	    "    blocklisted: { exists: false }\n"
	    "  actions: [notify]\n", true);
	query(T0, "192.168.1.5", "www.example.com", NULL);	/* fires */
	query(T0, "192.168.1.5", "bad.example.com", NULL);	/* != */
	query(T0, "192.168.1.99", "www.example.com", NULL);	/* not_in */
	query(T0, "8.8.8.8", "www.example.com", NULL);		/* network */
	query(T0, "192.168.1.5", "www.example.org", NULL);	/* glob */
	query(T0, "192.168.1.5",
	    "a-very-long-label-that-goes-on-and-on.example.com", NULL); /* < 40 */
	query(T0, "192.168.1.5", "x.blocked.example.com", "list.txt");
	assert_int_equal(firings(), 1);
	assert_non_null(strstr(written(), "\"qname\":\"www.example.com\""));
	unload();

	load("- name: r\n  on: dns_query\n"
	    "  when: { qname: { regex: \"^[a-z0-9]{20,}\\\\.\" } }\n"
	    "  actions: [notify]\n", true);
	query(T0, "192.168.1.5", "abcdefghij0123456789xyz.t.example", NULL);
	query(T0, "192.168.1.5", "short.t.example", NULL);
	assert_int_equal(firings(), 1);
	unload();
}

static void test_count_window_and_cooldown(void **state)
{
	(void)state;
	load("- name: burst\n  on: conn_start\n  when: { outbound: true }\n"
	    "  group_by: src_ip\n"
	    "  count: { within: 10s, at_least: 5 }\n  cooldown: 1m\n"
	    "  actions:\n    - lockdown: { target: \"{src_ip}\", for: 1h }\n",
	    true);
	/* 4 in the window, then one late: the oldest has left */
	for (int i = 0; i < 4; i++)
		conn(T0 + (uint64_t)i * SEC, "192.168.1.40", "1.1.1.1", 443,
		    true);
	conn(T0 + 11 * SEC, "192.168.1.40", "1.1.1.1", 443, true);
	assert_int_equal(firings(), 0);
	/* other hosts do not count for this one */
	for (int i = 0; i < 4; i++)
		conn(T0 + 11 * SEC, "192.168.1.41", "1.1.1.1", 443, true);
	assert_int_equal(firings(), 0);
	for (int i = 0; i < 3; i++)
		conn(T0 + 12 * SEC, "192.168.1.40", "1.1.1.1", 443, true);
	assert_int_equal(firings(), 1);
	assert_non_null(strstr(written(), "\"key\":{\"src_ip\":\"192.168.1.40\"}"));
	assert_non_null(strstr(written(), "\"value\":5"));
	assert_non_null(strstr(written(), "\"until\":\"2025-11-22T09:00:12"));
	/* cooldown: quiet for a minute, even at full rate */
	for (int i = 0; i < 20; i++)
		conn(T0 + 20 * SEC, "192.168.1.40", "1.1.1.1", 443, true);
	assert_int_equal(firings(), 1);
	for (int i = 0; i < 5; i++)
		conn(T0 + 80 * SEC, "192.168.1.40", "1.1.1.1", 443, true);
	assert_int_equal(firings(), 2);
	unload();
}

static void test_distinct(void **state)
{
	(void)state;
	load("- name: scan\n  on: conn_start\n  group_by: [src_ip, dest_ip]\n"
	    "  count: { distinct: dest_port, within: 30s, at_least: 10 }\n"
	    "  actions: [notify]\n", true);
	/* the same port again and again is one value */
	for (int i = 0; i < 50; i++)
		conn(T0, "192.168.1.66", "192.168.1.10", 22, false);
	assert_int_equal(firings(), 0);
	for (unsigned p = 1; p <= 9; p++)
		conn(T0 + SEC, "192.168.1.66", "192.168.1.10", 1000 + p, false);
	assert_int_equal(firings(), 1);
	assert_non_null(strstr(written(), "\"value\":10"));
	unload();
}

static void test_below(void **state)
{
	(void)state;
	load("- name: rare\n  on: conn_start\n  group_by: dest_port\n"
	    "  count: { within: 1h, below: 3 }\n"
	    "  actions: [notify]\n", true);
	conn(T0, "192.168.1.5", "1.1.1.1", 6667, true);		/* 1 < 3 */
	conn(T0 + SEC, "192.168.1.5", "1.1.1.1", 6667, true);	/* 2 < 3 */
	conn(T0 + 2 * SEC, "192.168.1.5", "1.1.1.1", 6667, true);	/* 3 */
	assert_int_equal(firings(), 2);
	conn(T0 + 2 * 3600 * SEC, "192.168.1.5", "1.1.1.1", 6667, true);
	assert_int_equal(firings(), 3);		/* rare again */
	unload();
}

static void test_schedule_and_templates(void **state)
{
	(void)state;
	load("- name: weekly\n  every: \"sun 03:00\"\n"
	    "  actions:\n    - notify: { message: \"{scene} ran\" }\n", true);
	lw_scene_engine_tick(&rig.eng, T0);	/* Saturday 08:00: arms */
	lw_scene_engine_tick(&rig.eng, T0 + 18 * 3600 * SEC);	/* Sun 02:00 */
	assert_int_equal(firings(), 0);
	lw_scene_engine_tick(&rig.eng, T0 + 20 * 3600 * SEC);	/* Sun 04:00 */
	assert_int_equal(firings(), 1);
	assert_non_null(strstr(written(), "\"ts\":\"2025-11-23T03:00:00"));
	assert_non_null(strstr(written(), "\"detail\":\"weekly ran\""));
	lw_scene_engine_tick(&rig.eng, T0 + 21 * 3600 * SEC);
	assert_int_equal(firings(), 1);		/* next one in a week */
	lw_scene_engine_tick(&rig.eng, T0 + (20 + 168) * 3600 * SEC);
	assert_int_equal(firings(), 2);
	unload();
}

static void test_soft_allow(void **state)
{
	(void)state;
	load("- name: lock\n  on: conn_start\n"
	    "  actions:\n    - lockdown: { target: \"{src_ip}\" }\n", true);
	lw_scene_engine_release(&rig.eng, "192.168.1.7", T0);
	conn(T0 + SEC, "192.168.1.7", "1.1.1.1", 443, true);
	conn(T0 + SEC, "192.168.1.8", "1.1.1.1", 443, true);
	const char *out = written();
	const char *first = strstr(out, "\"status\":\"refused\"");
	assert_non_null(first);
	assert_non_null(strstr(out, "released by hand"));
	assert_null(strstr(first + 1, "\"status\":\"refused\""));
	/* after actions.soft_allow (a day) it is acted on again */
	conn(T0 + 25 * 3600 * SEC, "192.168.1.7", "1.1.1.1", 443, true);
	assert_int_equal(firings(), 3);
	unload();
}

static void test_reload_keeps_old_on_error(void **state)
{
	struct lw_scene_set *fresh = calloc(1, sizeof *fresh), *old = NULL;
	struct lw_diag diag;
	char err[256], bad[] = "/tmp/lw-test-bad-XXXXXX";
	(void)state;

	load("- name: keep\n  on: conn_start\n  actions: [notify]\n", true);
	int fd = mkstemp(bad);
	const char *text = "- name: new\n  on: conn_strat\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	lw_diag_init(&diag);
	const char *paths[1] = { bad };
	assert_false(lw_scene_engine_reload(&rig.eng, fresh, paths, 1, &diag,
	    &old, err, sizeof err));
	assert_true(diag.count > 0);
	assert_null(old);
	conn(T0, "192.168.1.5", "1.1.1.1", 443, true);
	assert_int_equal(firings(), 1);		/* the old scene still runs */
	assert_non_null(strstr(written(), "\"scene\":\"keep\""));
	lw_diag_free(&diag);
	unlink(bad);
	free(fresh);
	unload();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conditions),
		cmocka_unit_test(test_count_window_and_cooldown),
		cmocka_unit_test(test_distinct),
		cmocka_unit_test(test_below),
		cmocka_unit_test(test_schedule_and_templates),
		cmocka_unit_test(test_soft_allow),
		cmocka_unit_test(test_reload_keeps_old_on_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
