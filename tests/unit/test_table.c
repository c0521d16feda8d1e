/*
 * test_table.c - t101: the fixed-capacity LRU table that bounds every
 * per-host, per-domain and per-flow state in the sensor.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "labwarden/table.h"

struct mac_key {
	uint8_t mac[6];
};

struct counter {
	uint64_t hits;
};

static struct mac_key mac(uint32_t n)
{
	struct mac_key k = { { 0x02, 0, (uint8_t)(n >> 24), (uint8_t)(n >> 16),
	    (uint8_t)(n >> 8), (uint8_t)n } };
	return k;
}

static void test_put_get_del(void **state)
{
	struct lw_table t;
	bool created;
	(void)state;

	assert_true(lw_table_init(&t, "hosts", 8, sizeof(struct mac_key),
	    sizeof(struct counter)));
	struct mac_key a = mac(1), b = mac(2);
	struct counter *ca = lw_table_put(&t, &a, &created);
	assert_true(created);
	assert_int_equal(ca->hits, 0);
	ca->hits = 7;
	assert_ptr_equal(lw_table_put(&t, &a, &created), ca);
	assert_false(created);
	assert_null(lw_table_get(&t, &b));
	assert_ptr_equal(lw_table_get(&t, &a), ca);
	assert_memory_equal(lw_table_key(&t, ca), &a, sizeof a);
	assert_int_equal(t.count, 1);
	assert_true(lw_table_del(&t, &a));
	assert_false(lw_table_del(&t, &a));
	assert_null(lw_table_peek(&t, &a));
	assert_int_equal(t.count, 0);
	lw_table_free(&t);
}

static void test_evicts_least_recently_used(void **state)
{
	struct lw_table t;
	bool created;
	(void)state;

	assert_true(lw_table_init(&t, "hosts", 3, sizeof(struct mac_key),
	    sizeof(struct counter)));
	for (uint32_t i = 1; i <= 3; i++) {
		struct mac_key k = mac(i);
		lw_table_put(&t, &k, &created);
	}
	struct mac_key k1 = mac(1), k2 = mac(2), k4 = mac(4);
	assert_non_null(lw_table_get(&t, &k1));	/* 2 is now oldest */
	lw_table_put(&t, &k4, &created);
	assert_true(created);
	assert_int_equal(t.evictions, 1);
	assert_int_equal(t.count, 3);
	assert_null(lw_table_peek(&t, &k2));
	assert_non_null(lw_table_peek(&t, &k1));
	/* peek does not refresh: 3 is oldest, then 1, then 4 */
	uint32_t order[3], n = 0;
	for (void *v = lw_table_oldest(&t); v; v = lw_table_next_newer(&t, v)) {
		const struct mac_key *key = lw_table_key(&t, v);
		order[n++] = key->mac[5];
	}
	assert_int_equal(n, 3);
	assert_int_equal(order[0], 3);
	assert_int_equal(order[1], 1);
	assert_int_equal(order[2], 4);
	lw_table_free(&t);
}

static void test_flood_stays_bounded(void **state)
{
	struct lw_table t;
	bool created;
	(void)state;

	assert_true(lw_table_init(&t, "hosts", 1000, sizeof(struct mac_key),
	    sizeof(struct counter)));
	srand(1);
	for (uint32_t i = 0; i < 200000; i++) {
		struct mac_key k = mac((uint32_t)rand());
		struct counter *c = lw_table_put(&t, &k, &created);
		c->hits++;
		assert_true(t.count <= 1000);
	}
	assert_int_equal(t.count, 1000);
	assert_true(t.evictions >= 199000 - 1000);
	/* every stored key is findable, the walk sees exactly count */
	uint32_t walked = 0;
	for (void *v = lw_table_oldest(&t); v; v = lw_table_next_newer(&t, v)) {
		assert_ptr_equal(lw_table_peek(&t, lw_table_key(&t, v)), v);
		walked++;
	}
	assert_int_equal(walked, 1000);
	lw_table_clear(&t);
	assert_int_equal(t.count, 0);
	assert_null(lw_table_oldest(&t));
	lw_table_free(&t);
}

static void test_odd_key_sizes(void **state)
{
	struct lw_table t;
	bool created;
	char key[13];
	(void)state;

	assert_true(lw_table_init(&t, "names", 64, sizeof key, 0));
	for (int i = 0; i < 64; i++) {
		memset(key, 0, sizeof key);
		key[12] = (char)i;	/* differs only in the tail */
		lw_table_put(&t, key, &created);
		assert_true(created);
	}
	for (int i = 0; i < 64; i++) {
		memset(key, 0, sizeof key);
		key[12] = (char)i;
		assert_non_null(lw_table_peek(&t, key));
	}
	assert_int_equal(t.evictions, 0);
	/* a zero-size value still maps back to its own key */
	void *last = lw_table_peek(&t, key);
	assert_memory_equal(lw_table_key(&t, last), key, sizeof key);
	lw_table_free(&t);
}

static void test_refuses_bad_shapes(void **state)
{
	struct lw_table t;
	(void)state;

	assert_false(lw_table_init(&t, "x", 0, 4, 4));
	assert_false(lw_table_init(&t, "x", 10, 0, 4));
	assert_true(lw_table_bytes(1000, 6, 8) >= 1000 * (6 + 8));
}

static void test_pressure_once_per_interval(void **state)
{
	struct lw_table t;
	bool created;
	uint64_t evicted = 0;
	const uint64_t minute = 60ull * 1000000000ull;
	(void)state;

	assert_true(lw_table_init(&t, "hosts", 2, sizeof(struct mac_key), 0));
	assert_false(lw_table_pressure_due(&t, 1000, minute, &evicted));
	for (uint32_t i = 0; i < 5; i++) {
		struct mac_key k = mac(i);
		lw_table_put(&t, &k, &created);
	}
	assert_true(lw_table_pressure_due(&t, 1000, minute, &evicted));
	assert_int_equal(evicted, 3);
	struct mac_key k = mac(99);
	lw_table_put(&t, &k, &created);
	assert_false(lw_table_pressure_due(&t, 1000 + minute - 1, minute,
	    &evicted));
	assert_true(lw_table_pressure_due(&t, 1000 + minute, minute,
	    &evicted));
	assert_int_equal(evicted, 1);
	/* no new evictions: nothing to say even after the interval */
	assert_false(lw_table_pressure_due(&t, 1000 + 3 * minute, minute,
	    &evicted));
	lw_table_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_del),
		cmocka_unit_test(test_evicts_least_recently_used),
		cmocka_unit_test(test_flood_stays_bounded),
		cmocka_unit_test(test_odd_key_sizes),
		cmocka_unit_test(test_refuses_bad_shapes),
		cmocka_unit_test(test_pressure_once_per_interval),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
