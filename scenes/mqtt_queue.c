/*
 * mqtt_queue.c - the link's side the main thread uses (mqttlink.h):
 * bounded queues of events and results, the retained state slots, the
 * inbox, counters.  Every call takes qlock briefly and copies memory;
 * none waits on the network or the disk.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "mqtt_link_int.h"

/* ---- fifos ---- */

bool lw_link_fifo_init(struct fifo *f, size_t cap, size_t max_bytes)
{
	f->items = calloc(cap, sizeof *f->items);
	f->cap = cap;
	f->max_bytes = max_bytes;
	return f->items != NULL;
}

void lw_link_item_free(struct item *it)
{
	free(it->topic);
	free(it->payload);
	it->topic = it->payload = NULL;
}

void lw_link_fifo_free(struct fifo *f)
{
	for (size_t i = 0; i < f->n; i++)
		lw_link_item_free(&f->items[(f->head + i) % f->cap]);
	free(f->items);
	f->items = NULL;
	f->n = 0;
}

/* Take ownership of topic and payload, or free them when full. */
bool lw_link_fifo_push(struct fifo *f, char *topic, char *payload, size_t len)
{
	if (!topic || !payload || f->n == f->cap ||
	    f->bytes + len > f->max_bytes) {
		free(topic);
		free(payload);
		f->dropped++;
		return false;
	}
	struct item *it = &f->items[(f->head + f->n) % f->cap];
	it->topic = topic;
	it->payload = payload;
	it->len = len;
	f->n++;
	f->bytes += len;
	return true;
}

bool lw_link_fifo_pop(struct fifo *f, struct item *out)
{
	if (f->n == 0)
		return false;
	*out = f->items[f->head];
	memset(&f->items[f->head], 0, sizeof f->items[f->head]);
	f->head = (f->head + 1) % f->cap;
	f->n--;
	f->bytes -= out->len;
	return true;
}

char *lw_link_copy_bytes(const char *s, size_t len)
{
	char *p = malloc(len + 1);
	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

/* ---- the main thread's side ---- */

bool lw_link_event(struct lw_link *l, const char *topic, const char *payload,
    size_t len)
{
	char *t = strdup(topic), *p = lw_link_copy_bytes(payload, len);

	pthread_mutex_lock(&l->qlock);
	bool ok = lw_link_fifo_push(&l->events, t, p, len);
	pthread_cond_signal(&l->wake);
	pthread_mutex_unlock(&l->qlock);
	return ok;
}

bool lw_link_send(struct lw_link *l, const char *topic, const char *payload,
    size_t len)
{
	char *t = strdup(topic), *p = lw_link_copy_bytes(payload, len);

	pthread_mutex_lock(&l->qlock);
	bool ok = lw_link_fifo_push(&l->sends, t, p, len);
	pthread_cond_signal(&l->wake);
	pthread_mutex_unlock(&l->qlock);
	if (!ok)
		atomic_fetch_add(&l->a_sends_dropped, 1);
	return ok;
}

/* Queue topic for an empty retained payload (qlock held; takes it). */
static bool push_topic(char ***list, size_t *n, char *topic)
{
	char **grown = realloc(*list, (*n + 1) * sizeof *grown);

	if (!grown)
		return false;
	*list = grown;
	(*list)[(*n)++] = topic;
	return true;
}

/*
 * A full clear queue spills into a second list of the same bound, which
 * the list of retained topics keeps too: a topic waiting there is still
 * cleared, now as the queue empties or at the next start, never left
 * on the broker as a ghost host.
 */
void lw_link_clear_topic_locked(struct lw_link *l, char *topic)
{
	bool kept = l->nclears < CLEARS_MAX ?
	    push_topic(&l->clears, &l->nclears, topic) :
	    l->nspill < CLEARS_MAX && push_topic(&l->spill, &l->nspill, topic);

	if (!kept) {
		free(topic);
		l->clears_lost++;
		return;
	}
	l->list_dirty = true;
}

void lw_link_refill_clears_locked(struct lw_link *l)
{
	size_t moved = 0;

	while (moved < l->nspill && l->nclears < CLEARS_MAX &&
	    push_topic(&l->clears, &l->nclears, l->spill[moved]))
		moved++;
	if (moved) {
		memmove(l->spill, l->spill + moved, (l->nspill - moved) *
		    sizeof *l->spill);
		l->nspill -= moved;
	}
}

void lw_link_state(struct lw_link *l, size_t slot, const char *topic,
    const char *payload)
{
	if (slot >= l->nslots)
		return;
	pthread_mutex_lock(&l->qlock);
	struct slot *s = &l->slots[slot];
	bool same_topic = s->topic && topic && strcmp(s->topic, topic) == 0;
	if (s->topic && !same_topic) {
		lw_link_clear_topic_locked(l, s->topic);
		free(s->payload);
		s->topic = s->payload = NULL;
	}
	if (topic && (!same_topic || strcmp(s->payload, payload) != 0)) {
		char *t = same_topic ? s->topic : strdup(topic);
		char *p = strdup(payload ? payload : "");
		if (t && p) {
			free(s->payload);
			s->topic = t;
			s->payload = p;
			s->dirty = true;
			l->list_dirty |= !same_topic;
		} else {
			if (!same_topic)
				free(t);
			free(p);
		}
	}
	pthread_cond_signal(&l->wake);
	pthread_mutex_unlock(&l->qlock);
}

void lw_link_clear(struct lw_link *l, const char *topic)
{
	char *t = strdup(topic);

	if (!t)
		return;
	pthread_mutex_lock(&l->qlock);
	lw_link_clear_topic_locked(l, t);
	pthread_cond_signal(&l->wake);
	pthread_mutex_unlock(&l->qlock);
}

void lw_link_republish(struct lw_link *l)
{
	pthread_mutex_lock(&l->qlock);
	l->republish = true;
	pthread_cond_signal(&l->wake);
	pthread_mutex_unlock(&l->qlock);
}

void lw_link_forget_stale(struct lw_link *l)
{
	pthread_mutex_lock(&l->qlock);
	for (size_t i = 0; i < l->nold; i++) {
		bool used = false;
		for (size_t j = 0; j < l->nslots && !used; j++)
			used = l->slots[j].topic &&
			    strcmp(l->slots[j].topic, l->old[i]) == 0;
		if (used)
			free(l->old[i]);
		else
			lw_link_clear_topic_locked(l, l->old[i]);
	}
	free(l->old);
	l->old = NULL;
	l->nold = 0;
	l->list_dirty = true;
	pthread_cond_signal(&l->wake);
	pthread_mutex_unlock(&l->qlock);
}

size_t lw_link_inbox(struct lw_link *l, struct lw_link_msg *out, size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&l->qlock);
	while (n < max && l->inbox_n) {
		out[n++] = l->inbox[l->inbox_head];
		memset(&l->inbox[l->inbox_head], 0, sizeof l->inbox[0]);
		l->inbox_head = (l->inbox_head + 1) % LW_LINK_INBOX;
		l->inbox_n--;
	}
	pthread_mutex_unlock(&l->qlock);
	return n;
}

void lw_link_msg_free(struct lw_link_msg *m)
{
	free(m->topic);
	free(m->payload);
	m->topic = m->payload = NULL;
}

void lw_link_stats(struct lw_link *l, struct lw_link_stats *st)
{
	memset(st, 0, sizeof *st);
	st->connected = atomic_load(&l->a_connected);
	st->events_sent = atomic_load(&l->a_sent);
	st->events_pending = atomic_load(&l->a_pending);
	st->sends_dropped = atomic_load(&l->a_sends_dropped);
	st->spool_on_disk = l->state_dir != NULL;
	pthread_mutex_lock(&l->qlock);
	st->events_dropped = l->events.dropped +
	    atomic_load(&l->a_spool_dropped) +
	    atomic_load(&l->a_unpublishable);
	st->events_pending += l->events.n;
	st->inbox_dropped = l->inbox_dropped;
	pthread_mutex_unlock(&l->qlock);
}
