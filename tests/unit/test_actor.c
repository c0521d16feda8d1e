/*
 * test_actor.c - t109: the action layer (actor.h) with an in-process
 * fake remote backend: pending then done through the worker, retries
 * with exponential backoff and jitter, failed after the last retry, a
 * full queue, the hourly cap with one notify, protected hosts,
 * actions.never, gateways (routing-table files), the pause switch,
 * release on the backend that recorded it, expiry, restore after a
 * restart with the time left, the audit log, a dry run, and the
 * check of backends: sections.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "labwarden/actions.h"
#include "labwarden/actor.h"
#include "labwarden/policy.h"
#include "labwarden/workq.h"

#define SEC LW_NS_PER_SEC
#define T0 (1763798400ull * SEC)	/* 2025-11-22T08:00:00Z */
#define MAX_CALLS 64

/* ---- the fake backend: scripted answers, every call recorded ---- */

struct call {
	char	 op[8];		/* block, release, has */
	char	 backend[64];
	char	 target[64];
	char	 ref[128];
	uint64_t seconds;
	uint64_t mono_ms;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum lw_be_status script[16];	/* next answers; then OK */
	unsigned nscript, next;
	bool	 gate_closed;		/* calls wait while closed */
	unsigned waiting;		/* calls waiting at the gate */
	bool	 has_answer;		/* has(): in force? */
	struct call calls[MAX_CALLS];
	unsigned ncalls;
	unsigned releases;		/* all, past MAX_CALLS too */
} fake = { .lock = PTHREAD_MUTEX_INITIALIZER,
    .cond = PTHREAD_COND_INITIALIZER };

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static enum lw_be_status answer(struct lw_backend *be, const char *op,
    const struct lw_target *t, uint64_t seconds, const char *ref,
    struct lw_be_result *res)
{
	pthread_mutex_lock(&fake.lock);
	fake.waiting++;
	while (fake.gate_closed)
		pthread_cond_wait(&fake.cond, &fake.lock);
	fake.waiting--;
	struct call *c = &fake.calls[fake.ncalls < MAX_CALLS ? fake.ncalls++ :
	    MAX_CALLS - 1];
	snprintf(c->op, sizeof c->op, "%s", op);
	snprintf(c->backend, sizeof c->backend, "%s", be->name);
	snprintf(c->target, sizeof c->target, "%s", t->text);
	snprintf(c->ref, sizeof c->ref, "%s", ref ? ref : "");
	c->seconds = seconds;
	c->mono_ms = mono_ms();
	fake.releases += strcmp(op, "release") == 0;
	enum lw_be_status st = fake.next < fake.nscript ?
	    fake.script[fake.next++] : LW_BE_OK;
	pthread_mutex_unlock(&fake.lock);
	res->http_status = st == LW_BE_OK ? 200 : st == LW_BE_RETRY ? 503 : 400;
	res->requests = 1;
	res->latency_ms = 1.5;
	snprintf(res->request, sizeof res->request, "POST /fake/%s", op);
	snprintf(res->detail, sizeof res->detail, "fake %s %s: %s", op,
	    t->text, st == LW_BE_OK ? "ok" : st == LW_BE_RETRY ? "busy" :
	    "refused by the device");
	snprintf(res->ref, sizeof res->ref, "ref-%s", t->text);
	return st;
}

static bool fake_check(struct lw_section *sec, struct lw_diag *diag)
{
	return lw_backend_common_check(sec, diag);
}

static bool fake_open(struct lw_backend *be, struct lw_section *sec,
    char *err, size_t errlen)
{
	(void)be;
	(void)sec;
	(void)err;
	(void)errlen;
	return true;
}

static enum lw_be_status fake_block(struct lw_backend *be,
    enum lw_block_kind kind, const struct lw_target *t, uint64_t seconds,
    struct lw_be_result *res)
{
	(void)kind;
	return answer(be, "block", t, seconds, NULL, res);
}

static enum lw_be_status fake_release(struct lw_backend *be,
    enum lw_block_kind kind, const struct lw_target *t, const char *ref,
    struct lw_be_result *res)
{
	(void)kind;
	return answer(be, "release", t, 0, ref, res);
}

static enum lw_be_status fake_has(struct lw_backend *be,
    enum lw_block_kind kind, const struct lw_target *t, const char *ref,
    struct lw_be_result *res)
{
	(void)kind;
	enum lw_be_status st = answer(be, "has", t, 0, ref, res);
	if (st == LW_BE_OK && !fake.has_answer)
		st = LW_BE_FAIL;
	return st;
}

static void fake_close(struct lw_backend *be)
{
	(void)be;
}

static const struct lw_backend_ops fake_ops = {
	.type = "webhook", .remote = true, .check = fake_check,
	.open = fake_open, .block = fake_block, .release = fake_release,
	.has = fake_has, .close = fake_close,
};

/* ---- the rig: a config, a state dir, an actor, its events ---- */

static const char base_config[] =
"networks:\n"
"  protected: [198.51.100.1]\n"
"actions:\n"
"  default_backend: router\n"
"  max_per_hour: %u\n"
"  queue: %u\n"
"  never: [203.0.113.0/28, '02:00:00:00:00:99']\n"
"  verify_every: 0s\n"	/* test_verify_every turns it on */
"backends:\n"
"  router: { type: webhook, retries: 2, timeout: 2s }\n"
"  other: { type: webhook, retries: 0 }\n";

struct rig {
	struct lw_config cfg;
	struct lw_actor *actor;
	struct lw_writer writer;
	char	*out;
	size_t	 outlen;
	FILE	*stream;
	char	 dir[64], path[96];
};

static struct rig rig;

static void reset_fake(void)
{
	pthread_mutex_lock(&fake.lock);
	fake.nscript = fake.next = fake.ncalls = fake.releases = 0;
	fake.gate_closed = false;
	fake.has_answer = false;
	pthread_mutex_unlock(&fake.lock);
}

static void open_actor(bool act)
{
	char err[512];

	rig.actor = lw_actor_new(&rig.cfg, &rig.writer, act, rig.dir, err,
	    sizeof err);
	if (!rig.actor)
		fprintf(stderr, "lw_actor_new: %s\n", err);
	assert_non_null(rig.actor);
	lw_actor_set_backoff(rig.actor, 20, 40);
}

static void setup_rig(unsigned per_hour, unsigned queue, bool act)
{
	struct lw_diag diag;
	char text[1024];

	reset_fake();
	assert_true(lw_backend_register(&fake_ops));
	strcpy(rig.dir, "/tmp/lw-test-actor-XXXXXX");
	assert_non_null(mkdtemp(rig.dir));
	snprintf(rig.path, sizeof rig.path, "%s/config.yaml", rig.dir);
	FILE *f = fopen(rig.path, "w");
	assert_non_null(f);
	fprintf(f, base_config, per_hour, queue);
	fclose(f);
	lw_config_defaults(&rig.cfg);
	lw_diag_init(&diag);
	bool ok = lw_config_load(&rig.cfg, rig.path, &diag);
	lw_diag_print(&diag, stderr);
	lw_diag_free(&diag);
	assert_true(ok);
	(void)text;
	rig.stream = open_memstream(&rig.out, &rig.outlen);
	lw_writer_init(&rig.writer, rig.stream, LW_EV_BIT(LW_EV_ACTION),
	    LW_FORMAT_JSON);
	open_actor(act);
}

static void remove_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", rig.dir);
	assert_int_equal(system(cmd), 0);
}

static void teardown_rig(void)
{
	pthread_mutex_lock(&fake.lock);
	fake.gate_closed = false;
	pthread_cond_broadcast(&fake.cond);
	pthread_mutex_unlock(&fake.lock);
	lw_actor_free(rig.actor);
	lw_config_free(&rig.cfg);
	fclose(rig.stream);
	free(rig.out);
	remove_dir();
	memset(&rig, 0, sizeof rig);
}

static const char *submit(enum lw_act_op op, const char *target,
    const char *backend, bool automatic, uint64_t now, uint64_t for_s,
    json_t **out)
{
	struct lw_act_req req = { .op = op, .backend = backend,
	    .origin = automatic ? "scene:test" : "mqtt",
	    .automatic = automatic, .now_ns = now, .for_ns = for_s * SEC };
	json_t *o = json_object();

	snprintf(req.target.text, sizeof req.target.text, "%s", target);
	const char *status = lw_actor_submit(rig.actor, &req, o);
	if (out)
		*out = o;
	else
		json_decref(o);
	return status;
}

/* Every action event written so far. */
static json_t *events(void)
{
	json_t *list = json_array();
	json_error_t jerr;

	fflush(rig.stream);
	char *copy = strndup(rig.out ? rig.out : "", rig.outlen);
	for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n"))
		json_array_append_new(list, json_loads(line, 0, &jerr));
	free(copy);
	return list;
}

/* Events with this status (and action, when not NULL). */
static size_t count_events(const char *status, const char *action)
{
	json_t *list = events(), *ev;
	size_t i, n = 0;

	json_array_foreach(list, i, ev) {
		const char *st = json_string_value(json_object_get(ev, "status"));
		const char *ac = json_string_value(json_object_get(ev, "action"));
		n += st && strcmp(st, status) == 0 && (!action ||
		    (ac && strcmp(ac, action) == 0));
	}
	json_decref(list);
	return n;
}

static json_t *last_event(void)
{
	json_t *list = events();
	json_t *ev = json_incref(json_array_get(list,
	    json_array_size(list) - 1));

	json_decref(list);
	return ev;
}

static unsigned calls(const char *op)
{
	unsigned n = 0;

	pthread_mutex_lock(&fake.lock);
	for (unsigned i = 0; i < fake.ncalls; i++)
		n += !op || strcmp(fake.calls[i].op, op) == 0;
	pthread_mutex_unlock(&fake.lock);
	return n;
}

/* Lines of audit.jsonl whose outcome is this. */
/* Audit records whose field key is value. */
static unsigned audited_where(const char *key, const char *value)
{
	char path[128], line[4096];
	unsigned n = 0;

	snprintf(path, sizeof path, "%s/audit.jsonl", rig.dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f)) {
		json_error_t jerr;
		json_t *o = json_loads(line, 0, &jerr);
		const char *got = json_string_value(json_object_get(o, key));
		n += got && strcmp(got, value) == 0;
		assert_null(strstr(line, "password"));
		json_decref(o);
	}
	fclose(f);
	return n;
}

static unsigned audited(const char *outcome)
{
	return audited_where("outcome", outcome);
}

static void script(unsigned n, ...)
{
	va_list ap;

	va_start(ap, n);
	pthread_mutex_lock(&fake.lock);
	for (unsigned i = 0; i < n; i++)
		fake.script[fake.nscript++] = va_arg(ap, enum lw_be_status);
	pthread_mutex_unlock(&fake.lock);
	va_end(ap);
}

static void settle(uint64_t now)
{
	lw_actor_drain(rig.actor, 5000);
	lw_actor_poll(rig.actor, now);
}

/* ---- tests ---- */

static void test_pending_then_done(void **state)
{
	json_t *out;
	(void)state;

	setup_rig(20, 8, true);
	assert_string_equal(submit(LW_REQ_LOCKDOWN, "198.51.100.7", NULL, true,
	    T0, 600, &out), "pending");
	json_int_t id = json_integer_value(json_object_get(out, "id"));
	assert_true(id > 0);
	json_decref(out);
	settle(T0 + SEC);
	json_t *ev = last_event();
	assert_string_equal(json_string_value(json_object_get(ev, "status")),
	    "done");
	assert_int_equal(json_integer_value(json_object_get(ev, "id")), id);
	assert_string_equal(json_string_value(json_object_get(ev, "backend")),
	    "router");
	assert_string_equal(json_string_value(json_object_get(ev, "origin")),
	    "scene:test");
	assert_int_equal(json_integer_value(json_object_get(ev, "attempts")), 1);
	assert_int_equal(json_integer_value(json_object_get(ev,
	    "http_status")), 200);
	assert_non_null(json_object_get(ev, "until"));
	assert_non_null(json_object_get(ev, "latency_ms"));
	json_decref(ev);
	/* the device was told the whole period, and the record kept */
	assert_int_equal(fake.calls[0].seconds, 600);
	json_t *active = lw_actor_active(rig.actor);
	assert_int_equal(json_array_size(active), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    active, 0), "ref")), "ref-198.51.100.7");
	json_decref(active);
	char path[128];
	snprintf(path, sizeof path, "%s/actions.json", rig.dir);
	assert_int_equal(access(path, R_OK), 0);
	assert_int_equal(audited("done"), 1);
	teardown_rig();
}

static void test_retry_with_backoff(void **state)
{
	(void)state;

	setup_rig(20, 8, true);
	script(2, LW_BE_RETRY, LW_BE_RETRY);	/* then ok */
	uint64_t t0 = mono_ms();
	assert_string_equal(submit(LW_REQ_QUARANTINE, "02:00:00:00:00:07",
	    NULL, true, T0, 60, NULL), "pending");
	settle(T0);
	json_t *ev = last_event();
	assert_string_equal(json_string_value(json_object_get(ev, "status")),
	    "done");
	assert_int_equal(json_integer_value(json_object_get(ev, "attempts")), 3);
	json_decref(ev);
	assert_int_equal(calls("block"), 3);
	/* full jitter: each wait within [0, min(40, 20 * 2^n)] ms */
	assert_true(fake.calls[1].mono_ms - fake.calls[0].mono_ms <= 20 + 30);
	assert_true(fake.calls[2].mono_ms - fake.calls[1].mono_ms <= 40 + 30);
	assert_true(mono_ms() - t0 < 2000);
	assert_int_equal(audited("retry"), 2);
	assert_int_equal(audited("done"), 1);
	teardown_rig();
}

static void test_failed_after_retries(void **state)
{
	(void)state;

	setup_rig(20, 8, true);
	script(3, LW_BE_RETRY, LW_BE_RETRY, LW_BE_RETRY);
	assert_string_equal(submit(LW_REQ_LOCKDOWN, "198.51.100.8", NULL, true,
	    T0, 60, NULL), "pending");
	settle(T0);
	json_t *ev = last_event();
	assert_string_equal(json_string_value(json_object_get(ev, "status")),
	    "failed");
	assert_int_equal(json_integer_value(json_object_get(ev, "attempts")),
	    3);		/* retries: 2 */
	assert_non_null(strstr(json_string_value(json_object_get(ev, "detail")),
	    "busy"));
	json_decref(ev);
	assert_int_equal(calls("block"), 3);
	json_t *active = lw_actor_active(rig.actor);
	assert_int_equal(json_array_size(active), 0);
	json_decref(active);
	/* a permanent failure is not retried */
	script(1, LW_BE_FAIL);
	assert_string_equal(submit(LW_REQ_LOCKDOWN, "198.51.100.9", "other",
	    true, T0, 60, NULL), "pending");
	settle(T0);
	ev = last_event();
	assert_int_equal(json_integer_value(json_object_get(ev, "attempts")), 1);
	assert_int_equal(json_integer_value(json_object_get(ev,
	    "http_status")), 400);
	json_decref(ev);
	teardown_rig();
}

static void test_backoff_bounds(void **state)
{
	struct lw_backoff b = { 1000, 30000 };
	(void)state;

	assert_int_equal(lw_backoff_ms(&b, 1, 0), 0);
	assert_int_equal(lw_backoff_ms(&b, 1, 1000), 1000);
	assert_int_equal(lw_backoff_ms(&b, 1, 1001), 0);
	assert_int_equal(lw_backoff_ms(&b, 3, 4000), 4000);	/* 1 s * 2^2 */
	assert_int_equal(lw_backoff_ms(&b, 6, 30000), 30000);	/* capped */
	assert_int_equal(lw_backoff_ms(&b, 200, UINT64_MAX) <= 30000, 1);
	for (uint64_t r = 0; r < 100000; r += 7)
		assert_true(lw_backoff_ms(&b, 2, r * 2654435761u) <= 2000);
}

static void test_queue_full(void **state)
{
	json_t *out;
	(void)state;

	setup_rig(20, 2, true);
	fake.gate_closed = true;
	assert_string_equal(submit(LW_REQ_LOCKDOWN, "198.51.100.10", NULL,
	    true, T0, 60, NULL), "pending");
	/* the first job is in the backend, held at the gate: the queue
	 * of 2 counts it, so one more fits and the next does not */
	for (int i = 0; i < 5000; i++) {
		pthread_mutex_lock(&fake.lock);
		unsigned waiting = fake.waiting;
		pthread_mutex_unlock(&fake.lock);
		if (waiting)
			break;
		usleep(1000);
	}
	assert_int_equal(fake.waiting, 1);
	assert_string_equal(submit(LW_REQ_LOCKDOWN, "198.51.100.11", NULL,
	    true, T0, 60, NULL), "pending");
	assert_string_equal(submit(LW_REQ_LOCKDOWN, "198.51.100.12", NULL,
	    true, T0, 60, &out), "failed");
	assert_non_null(strstr(json_string_value(json_object_get(out,
	    "detail")), "queue"));
	json_decref(out);
	pthread_mutex_lock(&fake.lock);
	fake.gate_closed = false;
	pthread_cond_broadcast(&fake.cond);
	pthread_mutex_unlock(&fake.lock);
	settle(T0);
	assert_int_equal(count_events("done", "lockdown"), 2);
	assert_int_equal(count_events("failed", "lockdown"), 1);
	assert_int_equal(calls("block"), 2);
	teardown_rig();
}

static void test_hourly_cap(void **state)
{
	char ip[32];
	json_t *out;
	(void)state;

	setup_rig(3, 16, true);
	for (int i = 0; i < 6; i++) {
		snprintf(ip, sizeof ip, "198.51.100.%d", 20 + i);
		const char *st = submit(LW_REQ_LOCKDOWN, ip, NULL, true,
		    T0 + (uint64_t)i * SEC, 60, &out);
		assert_string_equal(st, i < 3 ? "pending" : "refused");
		if (i >= 3)
			assert_non_null(strstr(json_string_value(
			    json_object_get(out, "detail")), "max_per_hour"));
		json_decref(out);
	}
	/* a person's request is not capped */
	assert_string_equal(submit(LW_REQ_LOCKDOWN, "198.51.100.30", NULL,
	    false, T0 + 10 * SEC, 60, NULL), "pending");
	settle(T0 + 11 * SEC);
	assert_int_equal(calls("block"), 4);
	assert_int_equal(count_events("refused", "lockdown"), 3);
	assert_int_equal(count_events("done", "notify"), 1);	/* once */
	/* an hour after the first, there is room again */
	assert_string_equal(submit(LW_REQ_LOCKDOWN, "198.51.100.31", NULL,
	    true, T0 + 3601 * SEC, 60, NULL), "pending");
	settle(T0 + 3601 * SEC);
	assert_int_equal(calls("block"), 5);
	assert_int_equal(audited("refused"), 3);
	teardown_rig();
}

static void test_protected_and_never(void **state)
{
	json_t *out;
	(void)state;

	setup_rig(20, 8, true);
	assert_string_equal(submit(LW_REQ_LOCKDOWN, "198.51.100.1", NULL, true,
	    T0, 60, &out), "refused");
	assert_non_null(strstr(json_string_value(json_object_get(out,
	    "detail")), "networks.protected"));
	json_decref(out);
	assert_string_equal(submit(LW_REQ_LOCKDOWN, "203.0.113.5", NULL, false,
	    T0, 60, NULL), "refused");		/* in a never prefix */
	assert_string_equal(submit(LW_REQ_QUARANTINE, "02:00:00:00:00:99",
	    NULL, false, T0, 60, NULL), "refused");
	/* a MAC seen at the protected address may be that host */
	struct lw_act_req req = { .op = LW_REQ_QUARANTINE, .origin = "test",
	    .automatic = true, .now_ns = T0, .for_ns = 60 * SEC };
	snprintf(req.target.text, sizeof req.target.text, "02:00:00:00:00:42");
	snprintf(req.target.ip, sizeof req.target.ip, "198.51.100.1");
	assert_string_equal(lw_actor_submit(rig.actor, &req, NULL), "refused");
	/* ::ffff:198.51.100.1 is the same host */
	assert_string_equal(submit(LW_REQ_LOCKDOWN, "::ffff:198.51.100.1",
	    NULL, true, T0, 60, NULL), "refused");
	/* refusals do not count against the cap: 20 more are fine */
	settle(T0);
	assert_int_equal(calls(NULL), 0);
	assert_int_equal(count_events("refused", NULL), 5);
	assert_int_equal(audited("refused"), 5);
	/* not an address at all */
	assert_string_equal(submit(LW_REQ_LOCKDOWN, "a;b", NULL, true, T0, 60,
	    NULL), "failed");
	assert_string_equal(submit(LW_REQ_LOCKDOWN, "198.51.100.2", "nope",
	    true, T0, 60, NULL), "failed");
	teardown_rig();
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_gateways(void **state)
{
	char r4[128], r6[128], arp[128];
	json_t *out;
	(void)state;

	setup_rig(20, 8, true);
	struct lw_policy *p = lw_actor_policy(rig.actor);
	snprintf(r4, sizeof r4, "%s/route", rig.dir);
	snprintf(r6, sizeof r6, "%s/ipv6_route", rig.dir);
	snprintf(arp, sizeof arp, "%s/arp", rig.dir);
	write_file(r4, "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\t"
	    "Metric\tMask\t\tMTU\tWindow\tIRTT\n"
	    "eth0\t00000000\t0164A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
	    "eth0\t0064A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n");
	write_file(r6, "00000000000000000000000000000000 00 "
	    "00000000000000000000000000000000 00 "
	    "fe800000000000000000000000000001 00000400 00000001 00000000 "
	    "00000003 eth0\n");
	write_file(arp, "IP address       HW type     Flags       HW address"
	    "            Mask     Device\n"
	    "192.168.100.1    0x1         0x2         02:11:22:33:44:55     *"
	    "        eth0\n");
	lw_policy_read_routes(p, r4, r6, arp);
	assert_string_equal(submit(LW_REQ_LOCKDOWN, "192.168.100.1", NULL,
	    true, T0, 60, &out), "refused");
	assert_non_null(strstr(json_string_value(json_object_get(out,
	    "detail")), "gateway"));
	json_decref(out);
	assert_string_equal(submit(LW_REQ_LOCKDOWN, "fe80::1", NULL, true, T0,
	    60, NULL), "refused");
	assert_string_equal(submit(LW_REQ_QUARANTINE, "02:11:22:33:44:55",
	    NULL, true, T0, 60, NULL), "refused");
	assert_string_equal(submit(LW_REQ_LOCKDOWN, "192.168.100.2", NULL,
	    true, T0, 60, NULL), "pending");
	assert_true(lw_policy_add_own(p, "198.51.100.77"));
	assert_string_equal(submit(LW_REQ_LOCKDOWN, "198.51.100.77", NULL,
	    true, T0, 60, &out), "refused");
	assert_non_null(strstr(json_string_value(json_object_get(out,
	    "detail")), "own address"));
	json_decref(out);
	settle(T0);
	assert_int_equal(calls("block"), 1);
	teardown_rig();
}

static void test_paused(void **state)
{
	json_t *out;
	(void)state;

	setup_rig(20, 8, true);
	lw_actor_set_paused(rig.actor, true);
	assert_true(lw_actor_paused(rig.actor));
	assert_string_equal(submit(LW_REQ_LOCKDOWN, "198.51.100.40", NULL,
	    true, T0, 60, &out), "refused");
	assert_non_null(strstr(json_string_value(json_object_get(out,
	    "detail")), "paused"));
	json_decref(out);
	/* a person may still act, and releases always go through */
	assert_string_equal(submit(LW_REQ_LOCKDOWN, "198.51.100.41", NULL,
	    false, T0, 60, NULL), "pending");
	settle(T0);
	assert_string_equal(submit(LW_REQ_RELEASE, "198.51.100.41", NULL,
	    true, T0 + SEC, 0, NULL), "pending");
	settle(T0 + SEC);
	assert_int_equal(calls("block"), 1);
	assert_int_equal(calls("release"), 1);
	/* the switch outlives a restart (actions.json) */
	settle(T0 + 2 * SEC);
	lw_actor_free(rig.actor);
	open_actor(true);
	assert_true(lw_actor_paused(rig.actor));
	lw_actor_set_paused(rig.actor, false);
	assert_string_equal(submit(LW_REQ_LOCKDOWN, "198.51.100.40", NULL,
	    true, T0 + 2 * SEC, 60, NULL), "pending");
	settle(T0 + 3 * SEC);
	lw_actor_free(rig.actor);
	open_actor(true);
	assert_false(lw_actor_paused(rig.actor));
	teardown_rig();
}

static void test_release_where_recorded(void **state)
{
	json_t *out;
	(void)state;

	setup_rig(20, 8, true);
	assert_string_equal(submit(LW_REQ_QUARANTINE, "02:00:00:00:00:50",
	    "other", true, T0, 600, NULL), "pending");
	settle(T0);
	/* no backend named: the one that holds it, with its ref */
	assert_string_equal(submit(LW_REQ_RELEASE, "02:00:00:00:00:50", NULL,
	    false, T0 + SEC, 0, &out), "pending");
	assert_string_equal(json_string_value(json_object_get(out, "backend")),
	    "other");
	json_decref(out);
	settle(T0 + SEC);
	assert_string_equal(fake.calls[1].op, "release");
	assert_string_equal(fake.calls[1].backend, "other");
	assert_string_equal(fake.calls[1].ref, "ref-02:00:00:00:00:50");
	json_t *active = lw_actor_active(rig.actor);
	assert_int_equal(json_array_size(active), 0);
	json_decref(active);
	assert_int_equal(count_events("done", "release"), 1);
	teardown_rig();
}

static void test_expiry(void **state)
{
	(void)state;

	setup_rig(20, 8, true);
	assert_string_equal(submit(LW_REQ_LOCKDOWN, "198.51.100.60", NULL,
	    true, T0, 10, NULL), "pending");
	settle(T0 + 5 * SEC);
	assert_int_equal(calls("release"), 0);
	settle(T0 + 11 * SEC);		/* queues the release */
	settle(T0 + 12 * SEC);		/* takes its outcome */
	assert_int_equal(calls("release"), 1);
	json_t *active = lw_actor_active(rig.actor);
	assert_int_equal(json_array_size(active), 0);
	json_decref(active);
	teardown_rig();
}

static void test_restore_keeps_time_left(void **state)
{
	char err[256];
	(void)state;

	setup_rig(20, 8, true);
	assert_string_equal(submit(LW_REQ_LOCKDOWN, "198.51.100.70", NULL,
	    true, T0, 3600, NULL), "pending");
	assert_string_equal(submit(LW_REQ_LOCKDOWN, "198.51.100.71", NULL,
	    true, T0, 60, NULL), "pending");
	settle(T0);
	assert_true(lw_actor_save(rig.actor, err, sizeof err));
	lw_actor_free(rig.actor);	/* a restart, half an hour later */
	reset_fake();
	open_actor(true);
	json_t *active = lw_actor_active(rig.actor);
	assert_int_equal(json_array_size(active), 2);
	json_decref(active);
	lw_actor_poll(rig.actor, T0 + 1800 * SEC);
	settle(T0 + 1800 * SEC);
	/* .71 expired: released; .70 lost by the device: put back with
	 * the half hour it had left, not a fresh hour */
	assert_int_equal(calls("release"), 1);
	assert_int_equal(calls("has"), 1);
	assert_int_equal(calls("block"), 1);
	for (unsigned i = 0; i < fake.ncalls; i++)
		if (strcmp(fake.calls[i].op, "block") == 0) {
			assert_string_equal(fake.calls[i].target,
			    "198.51.100.70");
			assert_true(fake.calls[i].seconds <= 1800 &&
			    fake.calls[i].seconds >= 1795);
		}
	active = lw_actor_active(rig.actor);
	assert_int_equal(json_array_size(active), 1);
	json_decref(active);
	/* once more: the device still has it, nothing is re-sent */
	assert_true(lw_actor_save(rig.actor, err, sizeof err));
	lw_actor_free(rig.actor);
	reset_fake();
	fake.has_answer = true;
	open_actor(true);
	lw_actor_poll(rig.actor, T0 + 2000 * SEC);
	settle(T0 + 2000 * SEC);
	assert_int_equal(calls("has"), 1);
	assert_int_equal(calls("block"), 0);
	teardown_rig();
}

/* actions.verify_every: what a device lost while we ran is put back
 * with the time it had left; what it still holds is left alone. */
static void test_verify_every(void **state)
{
	(void)state;

	setup_rig(20, 8, true);
	rig.cfg.action_verify_ns = 60 * SEC;
	assert_string_equal(submit(LW_REQ_LOCKDOWN, "198.51.100.80", NULL,
	    true, T0, 3600, NULL), "pending");
	settle(T0);
	settle(T0 + 30 * SEC);			/* not due yet */
	assert_int_equal(calls("has"), 0);
	settle(T0 + 61 * SEC);			/* due: asks, finds it lost */
	settle(T0 + 61 * SEC);
	assert_int_equal(calls("has"), 1);
	assert_int_equal(calls("block"), 2);
	unsigned seen = 0;
	for (unsigned i = 0; i < fake.ncalls; i++)
		if (strcmp(fake.calls[i].op, "block") == 0 && seen++ == 1)
			assert_true(fake.calls[i].seconds <= 3540 &&
			    fake.calls[i].seconds >= 3535);
	fake.has_answer = true;			/* the device holds it now */
	settle(T0 + 122 * SEC);
	settle(T0 + 122 * SEC);
	assert_int_equal(calls("has"), 2);
	assert_int_equal(calls("block"), 2);
	/* both checks audited: the re-apply, and the "still there" */
	assert_int_equal(audited_where("origin", "verify"), 2);
	assert_int_equal(audited_where("request", "POST /fake/block"), 2);
	teardown_rig();
}

static void open_gate(void)
{
	pthread_mutex_lock(&fake.lock);
	fake.gate_closed = false;
	pthread_cond_broadcast(&fake.cond);
	pthread_mutex_unlock(&fake.lock);
}

/* A release asked while the block is still queued ends it too: nothing
 * stays recorded to be put back by verify_every or a restart. */
static void test_release_while_pending(void **state)
{
	(void)state;

	setup_rig(20, 8, true);
	fake.gate_closed = true;
	assert_string_equal(submit(LW_REQ_LOCKDOWN, "198.51.100.85", NULL,
	    true, T0, 3600, NULL), "pending");
	assert_string_equal(submit(LW_REQ_RELEASE, "198.51.100.85", NULL,
	    false, T0 + SEC, 0, NULL), "pending");
	open_gate();
	settle(T0 + 2 * SEC);
	assert_int_equal(calls("block"), 1);
	assert_int_equal(calls("release"), 1);
	json_t *active = lw_actor_active(rig.actor);
	assert_int_equal(json_array_size(active), 0);
	json_decref(active);
	teardown_rig();
}

/* An action whose target became protected (an own address here) is
 * not put back at the next start: refused, and released. */
static void test_restore_refuses_protected(void **state)
{
	char err[256];
	(void)state;

	setup_rig(20, 8, true);
	assert_string_equal(submit(LW_REQ_LOCKDOWN, "198.51.100.90", NULL,
	    true, T0, 3600, NULL), "pending");
	settle(T0);
	assert_true(lw_actor_save(rig.actor, err, sizeof err));
	lw_actor_free(rig.actor);
	reset_fake();
	open_actor(true);
	assert_true(lw_policy_add_own(lw_actor_policy(rig.actor),
	    "198.51.100.90"));
	lw_actor_poll(rig.actor, T0 + 60 * SEC);
	settle(T0 + 60 * SEC);
	assert_int_equal(calls("has"), 0);
	assert_int_equal(calls("block"), 0);
	assert_int_equal(calls("release"), 1);
	assert_int_equal(count_events("refused", "lockdown"), 1);
	json_t *active = lw_actor_active(rig.actor);
	assert_int_equal(json_array_size(active), 0);
	json_decref(active);
	teardown_rig();
}

/* A device that keeps refusing a release is asked again after 1 min,
 * then 2, 4 ...: not every minute forever. */
static void test_release_backoff(void **state)
{
	(void)state;

	setup_rig(20, 8, true);
	assert_string_equal(submit(LW_REQ_LOCKDOWN, "198.51.100.97", NULL,
	    true, T0, 60, NULL), "pending");
	settle(T0);
	script(4, LW_BE_FAIL, LW_BE_FAIL, LW_BE_FAIL, LW_BE_FAIL);
	settle(T0 + 61 * SEC);			/* expired: release 1 fails */
	settle(T0 + 61 * SEC);
	assert_int_equal(calls("release"), 1);
	settle(T0 + 122 * SEC);			/* +1 min: 2 */
	settle(T0 + 122 * SEC);
	assert_int_equal(calls("release"), 2);
	settle(T0 + 200 * SEC);			/* not yet: 2 min wait */
	settle(T0 + 200 * SEC);
	assert_int_equal(calls("release"), 2);
	settle(T0 + 243 * SEC);			/* +2 min: 3 */
	settle(T0 + 243 * SEC);
	assert_int_equal(calls("release"), 3);
	settle(T0 + 400 * SEC);			/* not yet: 4 min wait */
	settle(T0 + 400 * SEC);
	assert_int_equal(calls("release"), 3);
	teardown_rig();
}

/* A MAC with many addresses: one release of the MAC ends every action
 * on it (it used to end the first 8 and still say done). */
static void test_release_many_records(void **state)
{
	char ip[32];
	(void)state;

	setup_rig(100, 32, true);
	for (int i = 0; i < 12; i++) {
		struct lw_act_req req = { .op = LW_REQ_LOCKDOWN, .origin = "t",
		    .automatic = true, .now_ns = T0, .for_ns = 600 * SEC };
		snprintf(ip, sizeof ip, "198.51.100.%d", 100 + i);
		snprintf(req.target.text, sizeof req.target.text, "%s", ip);
		snprintf(req.target.ip, sizeof req.target.ip, "%s", ip);
		snprintf(req.target.mac, sizeof req.target.mac,
		    "02:00:00:00:00:aa");
		json_t *o = json_object();
		assert_string_equal(lw_actor_submit(rig.actor, &req, o),
		    "pending");
		json_decref(o);
	}
	assert_string_equal(submit(LW_REQ_QUARANTINE, "02:00:00:00:00:aa",
	    "other", true, T0, 600, NULL), "pending");
	settle(T0);
	json_t *active = lw_actor_active(rig.actor);
	assert_int_equal(json_array_size(active), 13);
	json_decref(active);
	assert_string_equal(submit(LW_REQ_RELEASE, "02:00:00:00:00:aa",
	    NULL, false, T0 + SEC, 0, NULL), "pending");
	settle(T0 + SEC);
	assert_int_equal(calls("release"), 13);
	active = lw_actor_active(rig.actor);
	assert_int_equal(json_array_size(active), 0);
	json_decref(active);
	teardown_rig();
}

/* The id in the scene event is the id actions.json keeps. */
static void test_ids_agree(void **state)
{
	json_t *out;
	(void)state;

	setup_rig(20, 8, true);
	assert_string_equal(submit(LW_REQ_LOCKDOWN, "198.51.100.95", NULL,
	    true, T0, 600, &out), "pending");
	json_int_t asked = json_integer_value(json_object_get(out, "id"));
	json_decref(out);
	settle(T0);
	json_t *active = lw_actor_active(rig.actor);
	assert_int_equal(json_array_size(active), 1);
	assert_int_equal(json_integer_value(json_object_get(
	    json_array_get(active, 0), "id")), asked);
	json_decref(active);
	teardown_rig();
}

static void test_dry_run(void **state)
{
	json_t *out;
	(void)state;

	setup_rig(20, 8, false);
	assert_string_equal(submit(LW_REQ_LOCKDOWN, "198.51.100.1", NULL, true,
	    T0, 60, &out), "dry-run");
	assert_int_equal(json_object_size(out), 0);	/* nothing added */
	json_decref(out);
	settle(T0);
	assert_int_equal(calls(NULL), 0);
	assert_int_equal(count_events("refused", NULL), 0);
	char path[128];
	snprintf(path, sizeof path, "%s/audit.jsonl", rig.dir);
	assert_int_not_equal(access(path, F_OK), 0);
	teardown_rig();
}

/* A state file written by someone else: every bad entry skipped, the
 * good ones kept up to the log's size, nothing crashes, new ids go past
 * every id seen; 4095 expired on a remote backend with a queue of 64 are
 * released as the queue has room, none failed for a full queue. */
static void test_hostile_state(void **state)
{
	char path[128];
	json_t *out;
	(void)state;

	setup_rig(20, 64, true);
	lw_actor_free(rig.actor);
	snprintf(path, sizeof path, "%s/actions.json", rig.dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "{\"kind\": \"actions\", \"version\": 1, \"next_id\": -5, "
	    "\"released\": [1, \"x\", -1, null], \"actions\": [");
	fprintf(f, "{\"id\": 7, \"action\": \"lockdown\", \"target\": "
	    "\"198.51.100.90\", \"backend\": \"router\", \"until_ns\": %llu},",
	    (unsigned long long)(T0 + 3600 * SEC));
	fprintf(f, "{\"id\": 8, \"action\": \"lockdown\", \"target\": "
	    "\"1.2.3.4; flush ruleset\", \"backend\": \"router\", "
	    "\"until_ns\": 5},");
	fprintf(f, "{\"id\": 9, \"action\": \"rm -rf\", \"target\": "
	    "\"198.51.100.91\", \"backend\": \"router\", \"until_ns\": 5},");
	fprintf(f, "{\"id\": \"10\", \"action\": \"lockdown\"},");
	fprintf(f, "{\"id\": 11, \"action\": \"quarantine\", \"target\": "
	    "\"02:00:00:00:00:91\", \"until_ns\": -1, \"backend\": "
	    "\"router\"},");
	fprintf(f, "{\"id\": 12, \"action\": \"quarantine\", \"target\": "
	    "\"02:00:00:00:00:92\", \"until_ns\": 5, \"backend\": \"\"},");
	fprintf(f, "[], 3, \"%0300d\"", 0);
	for (int i = 0; i < LW_ACTION_LOG_MAX + 10; i++)
		fprintf(f, ", {\"id\": %d, \"action\": \"lockdown\", "
		    "\"target\": \"10.%d.%d.%d\", \"backend\": \"router\", "
		    "\"until_ns\": 1}", 100 + i, i >> 16, (i >> 8) & 255,
		    i & 255);
	fprintf(f, "]}\n");
	fclose(f);
	open_actor(true);
	json_t *active = lw_actor_active(rig.actor);
	assert_int_equal(json_array_size(active), LW_ACTION_LOG_MAX);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    active, 0), "target")), "198.51.100.90");
	json_decref(active);
	assert_string_equal(submit(LW_REQ_LOCKDOWN, "198.51.100.93", NULL,
	    false, T0, 60, &out), "failed");	/* the log is full */
	assert_true(json_integer_value(json_object_get(out, "id")) >
	    98 + LW_ACTION_LOG_MAX);
	json_decref(out);
	for (int i = 0; i < 2000 && fake.releases < LW_ACTION_LOG_MAX - 1;
	    i++)
		settle(T0 + (uint64_t)i * SEC);
	settle(T0 + 2001 * SEC);
	active = lw_actor_active(rig.actor);
	assert_int_equal(json_array_size(active), 1);
	json_decref(active);
	assert_int_equal(fake.releases, LW_ACTION_LOG_MAX - 1);
	assert_int_equal(audited("failed"), 1);	/* the full log only */
	teardown_rig();
}

static void test_check_config(void **state)
{
	char dir[64] = "/tmp/lw-test-actor-XXXXXX", path[96];
	struct lw_config cfg;
	struct lw_diag diag;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/check.yaml", dir);
	write_file(path, "actions:\n  default_backend: lan\n"
	    "backends:\n"
	    "  local:\n    type: nft\n    timeout: 5x\n    colour: red\n"
	    "  fine: { type: nft, retries: 2, timeout: 3s }\n");
	lw_config_defaults(&cfg);
	lw_diag_init(&diag);
	assert_true(lw_config_load(&cfg, path, &diag));
	assert_false(lw_actor_check_config(&cfg, &diag));
	assert_int_equal(diag.count, 3);
	/* each at its file:line:col, the near miss named */
	char want[160];
	snprintf(want, sizeof want, "%s:6:14: backends.local.timeout", path);
	assert_non_null(strstr(diag.msgs[0], want));
	snprintf(want, sizeof want, "%s:7:13: backends.local: unknown key "
	    "'colour'", path);
	assert_non_null(strstr(diag.msgs[1], want));
	assert_non_null(strstr(diag.msgs[2], "actions.default_backend: no "
	    "backend named 'lan'"));
	lw_diag_free(&diag);
	lw_config_free(&cfg);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pending_then_done),
		cmocka_unit_test(test_retry_with_backoff),
		cmocka_unit_test(test_failed_after_retries),
		cmocka_unit_test(test_backoff_bounds),
		cmocka_unit_test(test_queue_full),
		cmocka_unit_test(test_hourly_cap),
		cmocka_unit_test(test_protected_and_never),
		cmocka_unit_test(test_gateways),
		cmocka_unit_test(test_paused),
		cmocka_unit_test(test_release_where_recorded),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_restore_keeps_time_left),
		cmocka_unit_test(test_verify_every),
		cmocka_unit_test(test_release_while_pending),
		cmocka_unit_test(test_restore_refuses_protected),
		cmocka_unit_test(test_ids_agree),
		cmocka_unit_test(test_release_many_records),
		cmocka_unit_test(test_release_backoff),
		cmocka_unit_test(test_dry_run),
		cmocka_unit_test(test_check_config),
		cmocka_unit_test(test_hostile_state),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
