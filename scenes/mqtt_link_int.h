/*
 * mqtt_link_int.h - what the parts of the broker link share (not a
 * public header: mqttlink.h is the link's interface).
 *
 *   mqtt_link.c    opening, closing, libmosquitto's callbacks
 *   mqtt_queue.c   the main thread's side: queues, slots, the inbox
 *   mqtt_worker.c  the worker: spool, publishing, acknowledgements
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
#ifndef LABWARDEN_MQTT_LINK_INT_H
#define LABWARDEN_MQTT_LINK_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "labwarden/mqtt.h"
#include "labwarden/mqttlink.h"
#include "labwarden/spool.h"

struct mosquitto;

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
	char	**spill;	/* clears past CLEARS_MAX: saved in the list
				 * of retained topics, moved to clears as
				 * it empties (bounded the same) */
	size_t	 nspill;
	uint64_t clears_lost;	/* past both: left to a later start */
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

uint64_t lw_link_mono_ns(void);

/* Bounded FIFOs (mqtt_queue.c).  push takes topic and payload, or frees
 * them (and counts) when full. */
bool	 lw_link_fifo_init(struct fifo *f, size_t cap, size_t max_bytes);
void	 lw_link_fifo_free(struct fifo *f);
bool	 lw_link_fifo_push(struct fifo *f, char *topic, char *payload,
	    size_t len);
bool	 lw_link_fifo_pop(struct fifo *f, struct item *out);
void	 lw_link_item_free(struct item *it);
char	*lw_link_copy_bytes(const char *s, size_t len);
/* Queue topic for an empty retained payload (qlock held; takes it). */
void	 lw_link_clear_topic_locked(struct lw_link *l, char *topic);
/* Spilled clears into the clear queue as it has room (qlock held). */
void	 lw_link_refill_clears_locked(struct lw_link *l);

/* A connection problem, said once (mqtt_link.c). */
void	 lw_link_report(struct lw_link *l, const char *msg);

/* The worker thread (mqtt_worker.c). */
void	*lw_link_worker(void *arg);

#endif
