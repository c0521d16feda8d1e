/*
 * mqtt_worker.c - the link's worker thread (mqttlink.h): events from
 * the queue into the spool in order, and from the spool to the broker
 * (QoS 1, LW_LINK_WINDOW unacknowledged at most, after the ones a
 * reconnect sends again); retained states and clears; acknowledged
 * events out of the spool; the list of retained topics in state_dir.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>

#include "labwarden/statefile.h"
#include "mqtt_link_int.h"

/* A problem on the worker's side (the disk), said once per kind. */
static void worker_report(struct lw_link *l, const char *what,
    const char *why)
{
	char msg[sizeof l->worker_last];

	snprintf(msg, sizeof msg, "%s: %s", what, why);
	if (strcmp(msg, l->worker_last) != 0) {
		snprintf(l->worker_last, sizeof l->worker_last, "%s", msg);
		fprintf(stderr, "labwarden: mqtt: %s\n", msg);
	}
}

/* Events from the queue into the spool, in the order they came. */
static void spool_events(struct lw_link *l)
{
	struct item batch[64];
	char err[256];
	size_t n;

	do {
		pthread_mutex_lock(&l->qlock);
		for (n = 0; n < 64 && lw_link_fifo_pop(&l->events, &batch[n]); n++)
			;
		pthread_mutex_unlock(&l->qlock);
		for (size_t i = 0; i < n; i++) {
			if (!lw_spool_append(l->spool, batch[i].topic,
			    batch[i].payload, batch[i].len, err, sizeof err))
				worker_report(l, "an event was dropped", err);
			lw_link_item_free(&batch[i]);
		}
	} while (n == 64);
}

/* Results matter only now: sent when connected, else dropped. */
static void publish_sends(struct lw_link *l, bool connected)
{
	struct item it;

	for (;;) {
		pthread_mutex_lock(&l->qlock);
		bool got = lw_link_fifo_pop(&l->sends, &it);
		pthread_mutex_unlock(&l->qlock);
		if (!got)
			return;
		int rc = connected ? mosquitto_publish(l->mosq, NULL, it.topic,
		    (int)it.len, it.payload, 1, false) : MOSQ_ERR_NO_CONN;
		if (rc != MOSQ_ERR_SUCCESS)
			atomic_fetch_add(&l->a_sends_dropped, 1);
		else
			atomic_fetch_add(&l->a_states_out, 1);
		lw_link_item_free(&it);
	}
}

static bool published(int rc)
{
	/* NO_CONN: libmosquitto keeps a QoS 1 message for the reconnect */
	return rc == MOSQ_ERR_SUCCESS || rc == MOSQ_ERR_NO_CONN;
}

/*
 * Clears first (a topic may be cleared and set again), then the states
 * that changed, at most STATES_PER_TURN publishes per call so the main
 * thread never waits long for qlock.  qlock held.  True when more is
 * left for the next turn.
 */
static bool publish_states_locked(struct lw_link *l)
{
	size_t budget = STATES_PER_TURN, i;

	if (l->republish) {
		for (i = 0; i < l->nslots; i++)
			l->slots[i].dirty = l->slots[i].topic != NULL;
		l->republish = false;
	}
	for (i = 0; i < l->nclears && budget; i++, budget--) {
		if (!published(mosquitto_publish(l->mosq, NULL, l->clears[i],
		    0, NULL, 1, true)))
			break;
		free(l->clears[i]);
		l->list_dirty = true;
		atomic_fetch_add(&l->a_states_out, 1);
	}
	if (i) {
		memmove(l->clears, l->clears + i, (l->nclears - i) *
		    sizeof *l->clears);
		l->nclears -= i;
		lw_link_refill_clears_locked(l);
	}
	if (l->nclears)
		return budget == 0;
	for (i = 0; i < l->nslots && budget; i++) {
		struct slot *s = &l->slots[i];
		if (!s->topic || !s->dirty)
			continue;
		budget--;
		if (published(mosquitto_publish(l->mosq, NULL, s->topic,
		    (int)strlen(s->payload), s->payload, 1, true))) {
			s->dirty = false;
			atomic_fetch_add(&l->a_states_out, 1);
		}
	}
	return budget == 0;
}

/* From the spool, in order, while the window has room. */
static void publish_events(struct lw_link *l)
{
	struct lw_spool_rec rec;

	pthread_mutex_lock(&l->slock);
	while (l->connected && !l->resend_pending &&
	    l->ninflight < LW_LINK_WINDOW && lw_spool_next(l->spool, &rec)) {
		int mid = 0;
		int rc = mosquitto_publish(l->mosq, &mid, rec.topic,
		    (int)rec.len, rec.payload, 1, false);
		struct inflight *f = &l->inflight[l->ninflight++];
		f->mid = mid;
		f->end = rec.end;
		f->acked = !published(rc);	/* never deliverable: skip */
		if (f->acked) {
			atomic_fetch_add(&l->a_unpublishable, 1);
			pthread_mutex_unlock(&l->slock);
			worker_report(l, "an event could not be published",
			    mosquitto_strerror(rc));
			pthread_mutex_lock(&l->slock);
		}
		lw_spool_rec_free(&rec);
	}
	pthread_mutex_unlock(&l->slock);
}

/*
 * Acknowledged events leave the spool.  If libmosquitto did not send
 * the unacknowledged ones again within RESEND_GRACE_NS of a reconnect,
 * they are sent again from the spool (duplicates are allowed, losses
 * are not).
 */
static void trim_acked(struct lw_link *l)
{
	uint64_t end = 0;
	size_t k = 0;

	pthread_mutex_lock(&l->slock);
	while (k < l->ninflight && l->inflight[k].acked)
		end = l->inflight[k++].end;
	if (k) {
		memmove(l->inflight, l->inflight + k, (l->ninflight - k) *
		    sizeof l->inflight[0]);
		l->ninflight -= k;
	}
	bool stalled = l->connected && l->resend_pending &&
	    lw_link_mono_ns() - l->connected_at > RESEND_GRACE_NS;
	if (stalled) {
		l->ninflight = 0;
		l->resend_pending = false;
	}
	pthread_mutex_unlock(&l->slock);
	if (k) {
		lw_spool_ack(l->spool, end);
		atomic_fetch_add(&l->a_sent, k);
	}
	if (stalled) {
		lw_spool_rewind(l->spool);
		worker_report(l, "unacknowledged events", "sent again");
	}
}

/* The retained topics in use, so a later run can clear stale ones. */
static void save_list(struct lw_link *l, bool force)
{
	uint64_t now = lw_link_mono_ns();
	char err[512];

	if (!l->state_dir)
		return;
	json_t *topics = json_array();
	pthread_mutex_lock(&l->qlock);
	bool due = l->list_dirty && (force || now - l->listed_at >=
	    LIST_EVERY_NS);
	if (due) {
		for (size_t i = 0; i < l->nslots; i++)
			if (l->slots[i].topic)
				json_array_append_new(topics,
				    json_string(l->slots[i].topic));
		for (size_t i = 0; i < l->nclears; i++)
			json_array_append_new(topics, json_string(l->clears[i]));
		for (size_t i = 0; i < l->nspill; i++)
			json_array_append_new(topics, json_string(l->spill[i]));
		for (size_t i = 0; i < l->nold; i++)
			json_array_append_new(topics, json_string(l->old[i]));
		l->list_dirty = false;
	}
	pthread_mutex_unlock(&l->qlock);
	if (due) {
		json_t *doc = json_pack("{s:s, s:i, s:o}", "kind",
		    "mqtt_retained", "version", 1, "topics", topics);
		if (!lw_state_write(l->state_dir, LW_LINK_RETAINED_FILE, doc,
		    err, sizeof err))
			worker_report(l, "cannot save the list of retained "
			    "topics", err);
		json_decref(doc);
		l->listed_at = now;
	} else
		json_decref(topics);
}

static bool states_clean_locked(const struct lw_link *l)
{
	if (l->republish || l->nclears || l->nspill)
		return false;
	for (size_t i = 0; i < l->nslots; i++)
		if (l->slots[i].topic && l->slots[i].dirty)
			return false;
	return true;
}

/* Everything handed over has reached the broker. */
static bool flushed(struct lw_link *l)
{
	pthread_mutex_lock(&l->qlock);
	bool done = l->events.n == 0 && l->sends.n == 0 &&
	    states_clean_locked(l);
	pthread_mutex_unlock(&l->qlock);
	pthread_mutex_lock(&l->slock);
	done = done && l->connected && l->ninflight == 0;
	pthread_mutex_unlock(&l->slock);
	return done && lw_spool_pending(l->spool) == 0 &&
	    atomic_load(&l->a_states_out) == 0;
}

static void worker_wait(struct lw_link *l)
{
	struct timespec until;

	pthread_mutex_lock(&l->qlock);
	if (!l->stop && l->events.n == 0 && l->sends.n == 0) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += WAIT_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&l->wake, &l->qlock, &until);
	}
	pthread_mutex_unlock(&l->qlock);
}

void *lw_link_worker(void *arg)
{
	struct lw_link *l = arg;
	char err[512];

	for (;;) {
		spool_events(l);
		pthread_mutex_lock(&l->slock);
		bool connected = l->connected;
		pthread_mutex_unlock(&l->slock);
		publish_sends(l, connected);
		bool more = false;
		if (connected) {
			pthread_mutex_lock(&l->qlock);
			more = publish_states_locked(l);
			pthread_mutex_unlock(&l->qlock);
		}
		publish_events(l);
		trim_acked(l);
		atomic_store(&l->a_pending, lw_spool_pending(l->spool));
		atomic_store(&l->a_spool_dropped, lw_spool_dropped(l->spool));
		uint64_t now = lw_link_mono_ns();
		if (now - l->synced_at >= SYNC_EVERY_NS) {
			if (!lw_spool_sync(l->spool, err, sizeof err))
				worker_report(l, "spool", err);
			l->synced_at = now;
		}
		save_list(l, false);

		pthread_mutex_lock(&l->qlock);
		bool stop = l->stop;
		uint64_t deadline = l->deadline_ns;
		pthread_mutex_unlock(&l->qlock);
		if (stop && (flushed(l) || lw_link_mono_ns() >= deadline))
			break;
		if (more)
			sched_yield();	/* the next batch at once */
		else
			worker_wait(l);
	}
	spool_events(l);	/* what is left stays on disk */
	save_list(l, true);
	return NULL;
}
