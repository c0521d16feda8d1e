/*
 * mqtt_link.c - the broker connection, its worker thread, the queues
 * between threads and the retained states (mqttlink.h).
 *
 * Three threads touch a link:
 *   main      lw_link_event/send/state/inbox: qlock only, memory only;
 *   worker    spool I/O, publishing, the retained-topic list;
 *   mosquitto its loop and callbacks: slock (connection, in flight)
 *             and qlock (inbox, republish), never both at once.
 * The worker takes qlock or slock, never both at once either, and may
 * call mosquitto_publish under either (libmosquitto's callbacks hold
 * none of its own locks that publishing takes).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>

#include "labwarden/mqtt.h"
#include "labwarden/mqttlink.h"
#include "labwarden/spool.h"
#include "labwarden/statefile.h"

#define WAIT_MS			50	/* the worker's longest nap */
#define SYNC_EVERY_NS		(1000000000ull)	/* spool header */
#define LIST_EVERY_NS		(5000000000ull)	/* retained-topic list */
#define RESEND_GRACE_NS		(10000000000ull)	/* see resend_stalled */
#define EVENT_QUEUE_BYTES	(16u << 20)
#define STATES_PER_TURN		64	/* retained publishes per qlock hold */
#define CLEARS_MAX		(4 * LW_MQTT_MAX_HOSTS + 64)
#define OLD_TOPICS_MAX		(8 * LW_MQTT_MAX_HOSTS + 64)

struct item {
	char	*topic;
	char	*payload;
	size_t	 len;
};

/* A bounded FIFO of items. */
struct fifo {
	struct item *items;
	size_t	 cap, head, n, bytes, max_bytes;
	uint64_t dropped;
};

struct slot {
	char	*topic;		/* NULL: unused */
	char	*payload;
	bool	 dirty;		/* not published since it changed */
};

struct inflight {
	int	 mid;
	uint64_t end;		/* spool offset to acknowledge */
	bool	 acked;
};

struct lw_link {
	struct mosquitto *mosq;
	char	 where[300];	/* "host:port", for messages */
	char	 status_topic[LW_MQTT_TOPIC_MAX + 16];
	char	**subs;
	size_t	 nsubs;
	char	*state_dir;
	pthread_t worker;
	bool	 worker_started, loop_started;

	/* qlock: the main thread's side. */
	pthread_mutex_t qlock;
	pthread_cond_t wake;
	struct fifo events, sends;
	struct lw_link_msg inbox[LW_LINK_INBOX];
	size_t	 inbox_head, inbox_n;
	uint64_t inbox_dropped;
	struct slot *slots;
	size_t	 nslots;
	char	**clears;	/* topics to publish empty, retained */
	size_t	 nclears;
	char	**old;		/* a past run's retained topics */
	size_t	 nold;
	bool	 republish, list_dirty, stop;
	uint64_t deadline_ns;	/* of the close, monotonic */

	/* slock: the connection's side. */
	pthread_mutex_t slock;
	bool	 connected, ever_connected, resend_pending;
	uint64_t connected_at;
	struct inflight inflight[LW_LINK_WINDOW];
	size_t	 ninflight;
	char	 last_error[512];

	/* worker only */
	struct lw_spool *spool;
	uint64_t synced_at, listed_at;
	char	 worker_last[300];

	/* for lw_link_stats, from any thread */
	atomic_bool a_connected;
	atomic_uint_fast64_t a_sent, a_pending, a_spool_dropped;
	atomic_uint_fast64_t a_unpublishable, a_sends_dropped;
	/* retained states and results published, not yet acknowledged */
	atomic_uint_fast64_t a_states_out;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- fifos ---- */

static bool fifo_init(struct fifo *f, size_t cap, size_t max_bytes)
{
	f->items = calloc(cap, sizeof *f->items);
	f->cap = cap;
	f->max_bytes = max_bytes;
	return f->items != NULL;
}

static void item_free(struct item *it)
{
	free(it->topic);
	free(it->payload);
	it->topic = it->payload = NULL;
}

static void fifo_free(struct fifo *f)
{
	for (size_t i = 0; i < f->n; i++)
		item_free(&f->items[(f->head + i) % f->cap]);
	free(f->items);
	f->items = NULL;
	f->n = 0;
}

/* Take ownership of topic and payload, or free them when full. */
static bool fifo_push(struct fifo *f, char *topic, char *payload, size_t len)
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

static bool fifo_pop(struct fifo *f, struct item *out)
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

static char *copy_bytes(const char *s, size_t len)
{
	char *p = malloc(len + 1);
	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

/* ---- mosquitto callbacks (its thread) ---- */

/* Say a connection problem once, not at every retry. */
static void report(struct lw_link *l, const char *msg)
{
	pthread_mutex_lock(&l->slock);
	bool fresh = strcmp(msg, l->last_error) != 0;
	if (fresh)
		snprintf(l->last_error, sizeof l->last_error, "%s", msg);
	pthread_mutex_unlock(&l->slock);
	if (fresh)
		fprintf(stderr, "labwarden: mqtt: %s\n", msg);
}

static const char *connack_hint(int rc)
{
	switch (rc) {
	case 4: return "bad user name or password: check mqtt.username and "
	    "mqtt.password_file";
	case 5: return "not authorised: check mqtt.username and "
	    "mqtt.password_file (and the broker's ACL)";
	case 2: return "client id refused: check mqtt.client_id";
	case 1: return "protocol version refused";
	case 3: return "broker unavailable";
	default: return mosquitto_connack_string(rc);
	}
}

static void on_connect(struct mosquitto *m, void *arg, int rc)
{
	struct lw_link *l = arg;

	if (rc != 0) {
		char msg[512];
		snprintf(msg, sizeof msg, "%s refused the connection: %s",
		    l->where, connack_hint(rc));
		report(l, msg);
		return;
	}
	atomic_store(&l->a_states_out, 0);	/* all will be sent again */
	if (mosquitto_publish(m, NULL, l->status_topic, 6, "online", 1, true)
	    == MOSQ_ERR_SUCCESS)
		atomic_fetch_add(&l->a_states_out, 1);
	for (size_t i = 0; i < l->nsubs; i++)
		mosquitto_subscribe(m, NULL, l->subs[i], 1);

	pthread_mutex_lock(&l->slock);
	bool again = l->ever_connected;
	l->connected = l->ever_connected = true;
	l->connected_at = mono_ns();
	/* libmosquitto sends the unacknowledged ones again right after
	 * this callback; newer events wait until those are through. */
	l->resend_pending = l->ninflight > 0;
	l->last_error[0] = '\0';
	pthread_mutex_unlock(&l->slock);
	atomic_store(&l->a_connected, true);

	pthread_mutex_lock(&l->qlock);
	l->republish = true;
	pthread_cond_signal(&l->wake);
	pthread_mutex_unlock(&l->qlock);
	if (again)
		fprintf(stderr, "labwarden: mqtt: connected to %s again\n",
		    l->where);
}

static void on_disconnect(struct mosquitto *m, void *arg, int rc)
{
	struct lw_link *l = arg;

	(void)m;
	pthread_mutex_lock(&l->slock);
	bool was = l->connected;
	l->connected = false;
	if (l->ninflight > 0)
		l->resend_pending = true;
	pthread_mutex_unlock(&l->slock);
	atomic_store(&l->a_connected, false);
	if (was && rc != 0) {
		char msg[512];
		snprintf(msg, sizeof msg, "lost the connection to %s (%s); "
		    "events wait in the spool", l->where, rc == MOSQ_ERR_ERRNO ?
		    strerror(errno) : mosquitto_strerror(rc));
		report(l, msg);
	}
}

static void on_publish(struct mosquitto *m, void *arg, int mid)
{
	struct lw_link *l = arg;
	bool any_left = false;

	(void)m;
	bool event = false;

	pthread_mutex_lock(&l->slock);
	for (size_t i = 0; i < l->ninflight; i++) {
		if (l->inflight[i].mid == mid) {
			l->inflight[i].acked = true;
			event = true;
		}
		any_left |= !l->inflight[i].acked;
	}
	if (!any_left)
		l->resend_pending = false;
	pthread_mutex_unlock(&l->slock);
	/* not an event: a state, a result or "online" */
	uint_fast64_t out = atomic_load(&l->a_states_out);
	while (!event && out > 0 &&
	    !atomic_compare_exchange_weak(&l->a_states_out, &out, out - 1))
		;
	pthread_cond_signal(&l->wake);
}

static void on_message(struct mosquitto *m, void *arg,
    const struct mosquitto_message *msg)
{
	struct lw_link *l = arg;
	struct lw_link_msg in = { 0 };
	size_t len = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0;

	(void)m;
	in.cut = len > LW_LINK_INBOX_PAYLOAD;
	in.len = in.cut ? LW_LINK_INBOX_PAYLOAD : len;
	in.retain = msg->retain;
	in.payload = copy_bytes(msg->payload ? msg->payload : "", in.len);
	in.topic = strdup(msg->topic ? msg->topic : "");
	pthread_mutex_lock(&l->qlock);
	if (in.topic && in.payload && l->inbox_n < LW_LINK_INBOX) {
		l->inbox[(l->inbox_head + l->inbox_n) % LW_LINK_INBOX] = in;
		l->inbox_n++;
		in.topic = in.payload = NULL;
	} else
		l->inbox_dropped++;
	pthread_mutex_unlock(&l->qlock);
	lw_link_msg_free(&in);
}

static void on_log(struct mosquitto *m, void *arg, int level,
    const char *text)
{
	struct lw_link *l = arg;
	char msg[512];

	(void)m;
	if (level == MOSQ_LOG_ERR) {
		snprintf(msg, sizeof msg, "%s: %s%s", l->where, text,
		    strstr(text, "certificate verify failed") ? " (is the "
		    "broker's certificate signed by mqtt.ca_file, for the name "
		    "in mqtt.host?)" : "");
		report(l, msg);
	}
}

/* ---- the worker ---- */

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
		for (n = 0; n < 64 && fifo_pop(&l->events, &batch[n]); n++)
			;
		pthread_mutex_unlock(&l->qlock);
		for (size_t i = 0; i < n; i++) {
			if (!lw_spool_append(l->spool, batch[i].topic,
			    batch[i].payload, batch[i].len, err, sizeof err))
				worker_report(l, "an event was dropped", err);
			item_free(&batch[i]);
		}
	} while (n == 64);
}

/* Results matter only now: sent when connected, else dropped. */
static void publish_sends(struct lw_link *l, bool connected)
{
	struct item it;

	for (;;) {
		pthread_mutex_lock(&l->qlock);
		bool got = fifo_pop(&l->sends, &it);
		pthread_mutex_unlock(&l->qlock);
		if (!got)
			return;
		int rc = connected ? mosquitto_publish(l->mosq, NULL, it.topic,
		    (int)it.len, it.payload, 1, false) : MOSQ_ERR_NO_CONN;
		if (rc != MOSQ_ERR_SUCCESS)
			atomic_fetch_add(&l->a_sends_dropped, 1);
		else
			atomic_fetch_add(&l->a_states_out, 1);
		item_free(&it);
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
	    mono_ns() - l->connected_at > RESEND_GRACE_NS;
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
	uint64_t now = mono_ns();
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
	if (l->republish || l->nclears)
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

static void *worker_main(void *arg)
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
		uint64_t now = mono_ns();
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
		if (stop && (flushed(l) || mono_ns() >= deadline))
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

/* ---- the main thread's side ---- */

bool lw_link_event(struct lw_link *l, const char *topic, const char *payload,
    size_t len)
{
	char *t = strdup(topic), *p = copy_bytes(payload, len);

	pthread_mutex_lock(&l->qlock);
	bool ok = fifo_push(&l->events, t, p, len);
	pthread_cond_signal(&l->wake);
	pthread_mutex_unlock(&l->qlock);
	return ok;
}

bool lw_link_send(struct lw_link *l, const char *topic, const char *payload,
    size_t len)
{
	char *t = strdup(topic), *p = copy_bytes(payload, len);

	pthread_mutex_lock(&l->qlock);
	bool ok = fifo_push(&l->sends, t, p, len);
	pthread_cond_signal(&l->wake);
	pthread_mutex_unlock(&l->qlock);
	if (!ok)
		atomic_fetch_add(&l->a_sends_dropped, 1);
	return ok;
}

/* Queue topic for an empty retained payload (qlock held; takes it). */
static void clear_topic_locked(struct lw_link *l, char *topic)
{
	if (l->nclears == CLEARS_MAX) {
		free(topic);	/* the next start clears it from the list */
		return;
	}
	char **grown = realloc(l->clears, (l->nclears + 1) * sizeof *grown);
	if (!grown) {
		free(topic);
		return;
	}
	l->clears = grown;
	l->clears[l->nclears++] = topic;
	l->list_dirty = true;
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
		clear_topic_locked(l, s->topic);
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
	clear_topic_locked(l, t);
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
			clear_topic_locked(l, l->old[i]);
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

/* ---- opening and closing ---- */

static void lib_init(void)
{
	mosquitto_lib_init();
}

/* A past run's retained topics (bad entries are skipped). */
static void load_old(struct lw_link *l)
{
	size_t i;
	json_t *t;

	if (!l->state_dir)
		return;
	json_t *doc = lw_state_read(l->state_dir, LW_LINK_RETAINED_FILE,
	    "mqtt_retained");
	json_t *topics = json_object_get(doc, "topics");
	size_t n = json_array_size(topics);
	if (n > OLD_TOPICS_MAX)
		n = OLD_TOPICS_MAX;
	l->old = n ? calloc(n, sizeof *l->old) : NULL;
	json_array_foreach(topics, i, t) {
		const char *topic = json_string_value(t);
		if (!l->old || l->nold == n || !topic ||
		    strlen(topic) >= LW_MQTT_TOPIC_MAX ||
		    mosquitto_pub_topic_check(topic) != MOSQ_ERR_SUCCESS)
			continue;
		if ((l->old[l->nold] = strdup(topic)))
			l->nold++;
	}
	json_decref(doc);
}

static bool setup_tls(struct lw_link *l, const struct lw_mqtt_conf *c,
    char *err, size_t errlen)
{
	if (!c->tls)
		return true;
	int rc = mosquitto_tls_set(l->mosq, c->ca_file, c->ca_file ? NULL :
	    "/etc/ssl/certs", c->cert_file, c->key_file, NULL);
	if (rc != MOSQ_ERR_SUCCESS) {
		snprintf(err, errlen, "mqtt: TLS files (ca_file %s, cert_file "
		    "%s, key_file %s): %s", c->ca_file ? c->ca_file : "-",
		    c->cert_file ? c->cert_file : "-",
		    c->key_file ? c->key_file : "-", rc == MOSQ_ERR_ERRNO ?
		    strerror(errno) : mosquitto_strerror(rc));
		return false;
	}
	if (c->tls_insecure) {
		mosquitto_tls_insecure_set(l->mosq, true);
		fprintf(stderr, "labwarden: mqtt: tls_insecure: the broker's "
		    "host name is not checked against its certificate\n");
	}
	return true;
}

static bool setup_mosquitto(struct lw_link *l, const struct lw_mqtt_conf *c,
    char *err, size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, lib_init);
	l->mosq = mosquitto_new(c->client_id, true, l);
	if (!l->mosq) {
		snprintf(err, errlen, "mqtt: cannot make a client: %s",
		    strerror(errno));
		return false;
	}
	if ((c->username[0] && mosquitto_username_pw_set(l->mosq, c->username,
	    c->password) != MOSQ_ERR_SUCCESS) ||
	    mosquitto_will_set(l->mosq, l->status_topic, 7, "offline", 1,
	    true) != MOSQ_ERR_SUCCESS) {
		snprintf(err, errlen, "mqtt: bad username or status topic");
		return false;
	}
	if (!setup_tls(l, c, err, errlen))
		return false;
	mosquitto_connect_callback_set(l->mosq, on_connect);
	mosquitto_disconnect_callback_set(l->mosq, on_disconnect);
	mosquitto_publish_callback_set(l->mosq, on_publish);
	mosquitto_message_callback_set(l->mosq, on_message);
	mosquitto_log_callback_set(l->mosq, on_log);
	mosquitto_reconnect_delay_set(l->mosq, 1, c->reconnect_max_s, true);
	return true;
}

static bool init_queues(struct lw_link *l, const struct lw_mqtt_conf *c,
    const char *const *subs, size_t nsubs, size_t nslots)
{
	pthread_condattr_t attr;

	pthread_mutex_init(&l->qlock, NULL);
	pthread_mutex_init(&l->slock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&l->wake, &attr);
	pthread_condattr_destroy(&attr);
	l->nslots = nslots;
	l->slots = calloc(nslots ? nslots : 1, sizeof *l->slots);
	l->subs = calloc(nsubs ? nsubs : 1, sizeof *l->subs);
	if (!l->slots || !l->subs ||
	    !fifo_init(&l->events, c->queue_len, EVENT_QUEUE_BYTES) ||
	    !fifo_init(&l->sends, LW_LINK_SENDS, 1u << 20))
		return false;
	for (size_t i = 0; i < nsubs; i++)
		if (!(l->subs[l->nsubs++] = strdup(subs[i])))
			return false;
	return true;
}

static void link_free(struct lw_link *l)
{
	if (l->mosq)
		mosquitto_destroy(l->mosq);
	fifo_free(&l->events);
	fifo_free(&l->sends);
	for (size_t i = 0; i < l->inbox_n; i++)
		lw_link_msg_free(&l->inbox[(l->inbox_head + i) %
		    LW_LINK_INBOX]);
	for (size_t i = 0; i < l->nslots; i++) {
		free(l->slots[i].topic);
		free(l->slots[i].payload);
	}
	for (size_t i = 0; i < l->nclears; i++)
		free(l->clears[i]);
	for (size_t i = 0; i < l->nold; i++)
		free(l->old[i]);
	for (size_t i = 0; i < l->nsubs; i++)
		free(l->subs[i]);
	free(l->slots);
	free(l->clears);
	free(l->old);
	free(l->subs);
	free(l->state_dir);
	pthread_mutex_destroy(&l->qlock);
	pthread_mutex_destroy(&l->slock);
	pthread_cond_destroy(&l->wake);
	free(l);
}

struct lw_link *lw_link_open(const struct lw_mqtt_conf *c,
    const char *state_dir, const char *const *subs, size_t nsubs,
    size_t nslots, char *err, size_t errlen)
{
	struct lw_link *l = calloc(1, sizeof *l);

	if (!l) {
		snprintf(err, errlen, "mqtt: out of memory");
		return NULL;
	}
	snprintf(l->where, sizeof l->where, "%s:%u", c->host, c->port);
	snprintf(l->status_topic, sizeof l->status_topic, "%s/status", c->root);
	if (!init_queues(l, c, subs, nsubs, nslots) ||
	    (state_dir && !(l->state_dir = strdup(state_dir)))) {
		snprintf(err, errlen, "mqtt: out of memory");
		link_free(l);
		return NULL;
	}
	if (!(l->spool = lw_spool_open(state_dir, c->spool_bytes, err, errlen))
	    || !setup_mosquitto(l, c, err, errlen)) {
		lw_spool_close(l->spool, NULL, 0);
		link_free(l);
		return NULL;
	}
	load_old(l);
	if (pthread_create(&l->worker, NULL, worker_main, l) != 0) {
		snprintf(err, errlen, "mqtt: cannot start a thread: %s",
		    strerror(errno));
		lw_spool_close(l->spool, NULL, 0);
		link_free(l);
		return NULL;
	}
	l->worker_started = true;
	int rc = mosquitto_connect_async(l->mosq, c->host, (int)c->port,
	    (int)c->keepalive_s);
	if (rc != MOSQ_ERR_SUCCESS) {
		char msg[512];
		snprintf(msg, sizeof msg, "cannot connect to %s (%s); retrying, "
		    "events wait in the spool", l->where, rc == MOSQ_ERR_ERRNO ?
		    strerror(errno) : mosquitto_strerror(rc));
		report(l, msg);
	}
	rc = mosquitto_loop_start(l->mosq);
	l->loop_started = rc == MOSQ_ERR_SUCCESS;
	if (!l->loop_started) {
		snprintf(err, errlen, "mqtt: cannot start its thread: %s",
		    mosquitto_strerror(rc));
		lw_link_close(l, 0, NULL, 0);
		return NULL;
	}
	return l;
}

uint64_t lw_link_close(struct lw_link *l, uint64_t timeout_ns, char *summary,
    size_t summarylen)
{
	char err[512];

	if (!l)
		return 0;
	pthread_mutex_lock(&l->qlock);
	l->stop = true;
	l->deadline_ns = mono_ns() + timeout_ns;
	pthread_cond_signal(&l->wake);
	pthread_mutex_unlock(&l->qlock);
	if (l->worker_started)
		pthread_join(l->worker, NULL);

	pthread_mutex_lock(&l->slock);
	bool connected = l->connected;
	pthread_mutex_unlock(&l->slock);
	if (connected)
		mosquitto_publish(l->mosq, NULL, l->status_topic, 7, "offline",
		    1, true);
	mosquitto_disconnect(l->mosq);
	if (l->loop_started)
		mosquitto_loop_stop(l->mosq, false);

	uint64_t left = lw_spool_pending(l->spool);
	bool on_disk = lw_spool_on_disk(l->spool);
	if (!lw_spool_close(l->spool, err, sizeof err))
		fprintf(stderr, "labwarden: mqtt: %s\n", err);
	if (summary && left)
		snprintf(summary, summarylen, "%llu event message(s) not "
		    "delivered to %s; %s", (unsigned long long)left, l->where, on_disk ?
		    "kept in the spool for the next run" :
		    "lost (no state_dir for a spool)");
	else if (summary)
		summary[0] = '\0';
	link_free(l);
	return left;
}
