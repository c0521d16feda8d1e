/*
 * table.c - fixed-capacity LRU hash table (see table.h).
 *
 * Layout of one entry: a header (bucket chain link, LRU links, hash),
 * then the key, then the value, each padded to 8 bytes.  Indexes are
 * stored plus one so that zero means "none" and a calloc'd table is a
 * valid empty one.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "labwarden/table.h"

struct entry_head {
	uint32_t chain;		/* next entry in the bucket, index + 1 */
	uint32_t newer, older;	/* LRU neighbours, index + 1 */
	uint32_t hash;
};

#define ALIGN8(n)	(((n) + 7u) & ~(size_t)7u)
#define HEAD_SIZE	ALIGN8(sizeof(struct entry_head))

/* A value of size 0 still gets a slot, so its pointer names its entry. */
static size_t entry_size(size_t key_size, size_t value_size)
{
	return HEAD_SIZE + ALIGN8(key_size) + ALIGN8(value_size ? value_size : 1);
}

static uint32_t bucket_count(uint32_t capacity)
{
	uint32_t n = 1;

	while (n < capacity && n < (1u << 31))
		n <<= 1;
	return n;
}

size_t lw_table_bytes(uint32_t capacity, size_t key_size, size_t value_size)
{
	return (size_t)capacity * entry_size(key_size, value_size) +
	    (size_t)bucket_count(capacity) * sizeof(uint32_t);
}

static uint64_t random_seed(void)
{
	uint64_t seed;

	if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != sizeof seed)
		seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull;
	return seed;
}

bool lw_table_init(struct lw_table *t, const char *name, uint32_t capacity,
    size_t key_size, size_t value_size)
{
	memset(t, 0, sizeof *t);
	if (capacity == 0 || capacity > (1u << 30) || key_size == 0 ||
	    key_size > 4096 || value_size > (1u << 20))
		return false;
	t->name = name;
	t->capacity = capacity;
	t->key_size = (uint32_t)key_size;
	t->value_size = (uint32_t)value_size;
	t->entry_size = (uint32_t)entry_size(key_size, value_size);
	uint32_t nbuckets = bucket_count(capacity);
	t->bucket_mask = nbuckets - 1;
	t->buckets = calloc(nbuckets, sizeof *t->buckets);
	t->entries = calloc(capacity, t->entry_size);
	if (!t->buckets || !t->entries) {
		lw_table_free(t);
		return false;
	}
	t->seed = random_seed();
	lw_table_clear(t);
	return true;
}

void lw_table_free(struct lw_table *t)
{
	free(t->buckets);
	free(t->entries);
	t->buckets = NULL;
	t->entries = NULL;
	t->capacity = t->count = 0;
}

static struct entry_head *head_at(const struct lw_table *t, uint32_t idx1)
{
	return (struct entry_head *)(void *)(t->entries +
	    (size_t)(idx1 - 1) * t->entry_size);
}

static unsigned char *key_of(const struct lw_table *t, uint32_t idx1)
{
	return (unsigned char *)head_at(t, idx1) + HEAD_SIZE;
}

static void *value_of(const struct lw_table *t, uint32_t idx1)
{
	return key_of(t, idx1) + ALIGN8(t->key_size);
}

static uint32_t index_of_value(const struct lw_table *t, const void *value)
{
	size_t off = (size_t)((const unsigned char *)value - t->entries);
	return (uint32_t)(off / t->entry_size) + 1;
}

void lw_table_clear(struct lw_table *t)
{
	if (t->count || t->never_used > 1)
		memset(t->buckets, 0, ((size_t)t->bucket_mask + 1) *
		    sizeof *t->buckets);
	t->free_list = 0;
	t->never_used = 1;
	t->newest = t->oldest = 0;
	t->count = 0;
}

/* 64-bit multiply-xorshift over the key, seeded; cheap for small keys. */
static uint32_t hash_key(const struct lw_table *t, const void *key)
{
	const unsigned char *p = key;
	uint64_t h = t->seed ^ (t->key_size * 0x9e3779b97f4a7c15ull);
	size_t n = t->key_size;

	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
		p += 8;
		n -= 8;
	}
	uint64_t tail = 0;
	memcpy(&tail, p, n);
	h = (h ^ tail ^ n) * 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	return (uint32_t)(h ^ (h >> 32));
}

static uint32_t find(const struct lw_table *t, const void *key, uint32_t hash)
{
	uint32_t i = t->buckets[hash & t->bucket_mask];

	/* A chain can hold at most 'count' entries: bounded. */
	for (uint32_t steps = 0; i && steps <= t->count; steps++) {
		struct entry_head *h = head_at(t, i);
		if (h->hash == hash && memcmp(key_of(t, i), key,
		    t->key_size) == 0)
			return i;
		i = h->chain;
	}
	return 0;
}

static void lru_unlink(struct lw_table *t, uint32_t i)
{
	struct entry_head *h = head_at(t, i);

	if (h->newer)
		head_at(t, h->newer)->older = h->older;
	else
		t->newest = h->older;
	if (h->older)
		head_at(t, h->older)->newer = h->newer;
	else
		t->oldest = h->newer;
	h->newer = h->older = 0;
}

static void lru_push_newest(struct lw_table *t, uint32_t i)
{
	struct entry_head *h = head_at(t, i);

	h->older = t->newest;
	h->newer = 0;
	if (t->newest)
		head_at(t, t->newest)->newer = i;
	t->newest = i;
	if (!t->oldest)
		t->oldest = i;
}

static void chain_unlink(struct lw_table *t, uint32_t i)
{
	struct entry_head *h = head_at(t, i);
	uint32_t *link = &t->buckets[h->hash & t->bucket_mask];

	for (uint32_t steps = 0; *link && steps <= t->count; steps++) {
		if (*link == i) {
			*link = h->chain;
			return;
		}
		link = &head_at(t, *link)->chain;
	}
}

static void release(struct lw_table *t, uint32_t i)
{
	chain_unlink(t, i);
	lru_unlink(t, i);
	head_at(t, i)->chain = t->free_list;
	t->free_list = i;
	t->count--;
}

void *lw_table_peek(const struct lw_table *t, const void *key)
{
	uint32_t i = find(t, key, hash_key(t, key));
	return i ? value_of(t, i) : NULL;
}

void *lw_table_get(struct lw_table *t, const void *key)
{
	uint32_t i = find(t, key, hash_key(t, key));

	if (!i)
		return NULL;
	if (t->newest != i) {
		lru_unlink(t, i);
		lru_push_newest(t, i);
	}
	return value_of(t, i);
}

void *lw_table_put(struct lw_table *t, const void *key, bool *created)
{
	uint32_t hash = hash_key(t, key);
	uint32_t i = find(t, key, hash);

	if (i) {
		if (t->newest != i) {
			lru_unlink(t, i);
			lru_push_newest(t, i);
		}
		*created = false;
		return value_of(t, i);
	}
	if (t->free_list) {
		i = t->free_list;
		t->free_list = head_at(t, i)->chain;
	} else if (t->never_used <= t->capacity) {
		i = t->never_used++;
	} else {
		i = t->oldest;
		release(t, i);
		t->evictions++;
		t->free_list = head_at(t, i)->chain;
	}
	struct entry_head *h = head_at(t, i);
	h->hash = hash;
	h->chain = t->buckets[hash & t->bucket_mask];
	t->buckets[hash & t->bucket_mask] = i;
	lru_push_newest(t, i);
	t->count++;
	memcpy(key_of(t, i), key, t->key_size);
	memset(value_of(t, i), 0, t->value_size);
	*created = true;
	return value_of(t, i);
}

bool lw_table_del(struct lw_table *t, const void *key)
{
	uint32_t i = find(t, key, hash_key(t, key));

	if (!i)
		return false;
	release(t, i);
	return true;
}

const void *lw_table_key(const struct lw_table *t, const void *value)
{
	return key_of(t, index_of_value(t, value));
}

void *lw_table_oldest(const struct lw_table *t)
{
	return t->oldest ? value_of(t, t->oldest) : NULL;
}

void *lw_table_next_newer(const struct lw_table *t, const void *value)
{
	uint32_t newer = head_at(t, index_of_value(t, value))->newer;
	return newer ? value_of(t, newer) : NULL;
}

bool lw_table_pressure_due(struct lw_table *t, uint64_t now_ns,
    uint64_t interval_ns, uint64_t *evicted)
{
	if (t->evictions == t->pressure_reported)
		return false;
	if (t->pressure_ns && now_ns < t->pressure_ns + interval_ns)
		return false;
	*evicted = t->evictions - t->pressure_reported;
	t->pressure_reported = t->evictions;
	t->pressure_ns = now_ns ? now_ns : 1;
	return true;
}

/* FNV-1a, then a murmur-style finalizer to spread the low bits. */
uint64_t lw_hash64(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h ? h : 1;
}
