/*
 * key_grace.c - old key versions waiting for their grace period to end
 * before they are destroyed (keys_int.h).  The list lives on the main
 * thread and in state_dir/keys.json, so a restart (or the next
 * `labwarden rotate`) still destroys what an earlier run left waiting.
 * Times are the sensor's clock: packet time in replay.
 *
 * keys.json holds names, stores, version numbers and times; no keys.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "keys_int.h"
#include "labwarden/statefile.h"

void key_grace_load(struct key_grace *g, const char *dir)
{
	memset(g, 0, sizeof *g);
	if (!dir || !*dir)
		return;
	snprintf(g->dir, sizeof g->dir, "%s", dir);
	json_t *doc = lw_state_read(dir, KEY_GRACE_FILE, "keys");
	json_t *list = json_object_get(doc, "waiting");
	size_t i;
	json_t *it;
	json_array_foreach(list, i, it) {
		const char *key = json_string_value(json_object_get(it, "key"));
		const char *store = json_string_value(json_object_get(it,
		    "store"));
		json_t *ver = json_object_get(it, "version");
		json_t *due = json_object_get(it, "due_ns");
		if (!key || !store || !json_is_integer(ver) ||
		    json_integer_value(ver) <= 0 || !json_is_integer(due) ||
		    json_integer_value(due) < 0)
			continue;	/* not ours: skipped, not fatal */
		key_grace_add(g, key, store, (uint64_t)json_integer_value(ver),
		    (uint64_t)json_integer_value(due));
	}
	json_decref(doc);
}

bool key_grace_save(const struct key_grace *g, char *err, size_t errlen)
{
	char when[LW_TIME_STRLEN];

	if (!g->dir[0])
		return true;
	json_t *list = json_array();
	for (size_t i = 0; i < g->n; i++) {
		const struct key_pending *p = &g->items[i];
		json_array_append_new(list, json_pack("{s:s, s:s, s:I, s:I, "
		    "s:s}", "key", p->key, "store", p->store, "version",
		    (json_int_t)p->version, "due_ns", (json_int_t)p->due_ns,
		    "due", lw_time_format(p->due_ns, when, sizeof when)));
	}
	json_t *doc = json_pack("{s:s, s:i, s:o}", "kind", "keys", "version",
	    1, "waiting", list);
	bool ok = lw_state_write(g->dir, KEY_GRACE_FILE, doc, err, errlen);
	json_decref(doc);
	return ok;
}

struct key_pending *key_grace_find(struct key_grace *g, const char *key,
    uint64_t version)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->items[i].version == version &&
		    strcmp(g->items[i].key, key) == 0)
			return &g->items[i];
	return NULL;
}

void key_grace_remove(struct key_grace *g, struct key_pending *p)
{
	size_t i = (size_t)(p - g->items);

	if (i >= g->n)
		return;
	memmove(&g->items[i], &g->items[i + 1], (g->n - i - 1) * sizeof *p);
	g->n--;
}

bool key_grace_add(struct key_grace *g, const char *key, const char *store,
    uint64_t version, uint64_t due_ns)
{
	struct key_pending *oldest = NULL;
	unsigned mine = 0;

	if (key_grace_find(g, key, version))
		return true;
	for (size_t i = 0; i < g->n; i++)
		if (strcmp(g->items[i].key, key) == 0) {
			mine++;
			if (!oldest || g->items[i].due_ns < oldest->due_ns)
				oldest = &g->items[i];
		}
	/* Bounded per key: the oldest waiting version goes now. */
	if (mine >= KEY_GRACE_PER_KEY && oldest)
		oldest->due_ns = 0;
	if (g->n == KEY_GRACE_MAX || strlen(key) >= sizeof g->items[0].key)
		return false;
	struct key_pending *p = &g->items[g->n++];
	memset(p, 0, sizeof *p);
	snprintf(p->key, sizeof p->key, "%s", key);
	snprintf(p->store, sizeof p->store, "%s", store);
	p->version = version;
	p->due_ns = due_ns;
	return true;
}
