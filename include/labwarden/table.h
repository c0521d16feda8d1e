/*
 * table.h - fixed-capacity hash table with least-recently-used eviction.
 *
 * Every per-host, per-domain or per-flow table in the sensor is one of
 * these, so memory is set by configuration, never by traffic: all
 * entries are allocated once at init; when the table is full, inserting
 * evicts the least recently used entry and counts it.  A flood of
 * random MACs or names therefore keeps memory flat and shows up as
 * evictions (and table_pressure events) instead.
 *
 * Keys and values are fixed-size byte blocks stored inline.  Buckets are
 * chained through entry indexes; the hash is seeded per process so an
 * attacker cannot aim for one chain.  Nothing allocates after init.
 */
#ifndef LABWARDEN_TABLE_H
#define LABWARDEN_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lw_table {
	const char *name;	/* "hosts", "domains"... for stats and events */
	uint32_t capacity;
	uint32_t count;
	uint32_t key_size, value_size, entry_size;
	uint32_t bucket_mask;
	uint32_t *buckets;	/* entry index + 1; 0 = empty */
	unsigned char *entries;
	uint32_t newest, oldest;	/* LRU list ends, index + 1 */
	uint32_t free_list;	/* index + 1 */
	uint32_t never_used;	/* next entry never handed out, index + 1:
				 * untouched memory stays out of RSS */
	uint64_t seed;
	uint64_t evictions;	/* since start */
	uint64_t pressure_reported;	/* evictions at the last event */
	uint64_t pressure_ns;	/* clock time of the last event */
};

/* False when memory cannot be had (capacity 0 is refused too). */
bool	 lw_table_init(struct lw_table *t, const char *name,
	    uint32_t capacity, size_t key_size, size_t value_size);
void	 lw_table_free(struct lw_table *t);
/* Bytes an instance of this shape takes, for sizing by memory_mb. */
size_t	 lw_table_bytes(uint32_t capacity, size_t key_size,
	    size_t value_size);

/* The value for key, marked most recently used; NULL if absent. */
void	*lw_table_get(struct lw_table *t, const void *key);
/* The same, without touching the LRU order. */
void	*lw_table_peek(const struct lw_table *t, const void *key);
/*
 * The value for key, inserted (zeroed, *created = true) if absent; when
 * full, the least recently used entry is evicted first.  Never NULL.
 */
void	*lw_table_put(struct lw_table *t, const void *key, bool *created);
/* Remove key; false if it was absent. */
bool	 lw_table_del(struct lw_table *t, const void *key);
/* Remove every entry (capacity and counters stay). */
void	 lw_table_clear(struct lw_table *t);

/* The key stored with a value pointer returned above. */
const void *lw_table_key(const struct lw_table *t, const void *value);
/* Walk from least to most recently used: oldest, then next(...). */
void	*lw_table_oldest(const struct lw_table *t);
void	*lw_table_next_newer(const struct lw_table *t, const void *value);

/*
 * A stable 64-bit hash of bytes (same value in every process, so it can
 * key persisted state); never 0.
 */
uint64_t lw_hash64(const void *data, size_t len);

/*
 * Is there new eviction to report at 'now_ns'?  True at most once per
 * 'interval_ns' and only when evictions happened since the last report;
 * then *evicted holds how many (since the last report).
 */
bool	 lw_table_pressure_due(struct lw_table *t, uint64_t now_ns,
	    uint64_t interval_ns, uint64_t *evicted);

#endif
