/*
 * mqttlink.h - the connection to the MQTT broker, off the main thread.
 *
 * The main (capture) thread only hands messages over and never waits on
 * the network or the disk: every call here takes one short mutex and
 * copies memory.  Behind it:
 *
 *   - libmosquitto's own thread (mosquitto_loop_start) keeps the
 *     connection: keepalive, reconnect with exponential backoff, TLS,
 *     and QoS 1 acknowledgements.  Its callbacks never block.
 *   - one worker thread writes events to the spool (spool.h) in the
 *     order they came and publishes them from there, QoS 1, at most
 *     LW_LINK_WINDOW unacknowledged at a time; a record leaves the
 *     spool only when the broker acknowledged it.  After a reconnect the
 *     unacknowledged ones are sent again (by libmosquitto) before any
 *     newer one, so order holds and nothing is lost: at least once.
 *   - states are retained "latest value" slots: a new value replaces an
 *     unpublished one, and all are published again after every
 *     (re)connect and on request (Home Assistant's birth message).
 *     Clearing a slot publishes an empty retained payload on its topic
 *     (Home Assistant forgets a discovered device that way).
 *   - every retained topic published is listed in state_dir
 *     (mqtt-retained.json), so a topic the next run no longer uses is
 *     cleared instead of left as a ghost entity.
 *   - messages that arrive (commands, the birth message) wait in a
 *     bounded inbox for the main thread, with their retain flag.
 *
 * Will: <root>/status = "offline" (QoS 1, retained), "online" after every
 * connect, "offline" again at a clean close.
 */
#ifndef LABWARDEN_MQTTLINK_H
#define LABWARDEN_MQTTLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LW_LINK_WINDOW		16	/* unacknowledged events at most */
#define LW_LINK_INBOX		64	/* messages waiting for the main thread */
#define LW_LINK_SENDS		64	/* transient messages (results) */
#define LW_LINK_INBOX_PAYLOAD	8192	/* longer payloads are cut (and said) */
#define LW_LINK_RETAINED_FILE	"mqtt-retained.json"

struct lw_mqtt_conf;
struct lw_link;

struct lw_link_msg {
	char	*topic;
	char	*payload;	/* NUL added after len bytes */
	size_t	 len;
	bool	 retain;	/* sent to us as a retained message */
	bool	 cut;		/* longer than LW_LINK_INBOX_PAYLOAD */
};

struct lw_link_stats {
	bool	 connected;
	uint64_t events_sent;	/* acknowledged by the broker */
	uint64_t events_pending;	/* in the spool, not acknowledged */
	uint64_t events_dropped;	/* queue full, or the spool's bound */
	uint64_t sends_dropped;	/* results while disconnected */
	uint64_t inbox_dropped;
	bool	 spool_on_disk;
};

/*
 * Start the threads and the first connection attempt (which may fail:
 * it is retried).  subs: topics to subscribe to (QoS 1) after every
 * connect.  nslots: how many state slots the caller will use.  False
 * (err) on a bad TLS file, a spool that cannot be opened, or no memory.
 */
struct lw_link *lw_link_open(const struct lw_mqtt_conf *conf,
	    const char *state_dir, const char *const *subs, size_t nsubs,
	    size_t nslots, char *err, size_t errlen);

/* Queue an event (ordered, QoS 1, spooled).  False when the queue is
 * full (counted): the worker is stuck on a full disk. */
bool	 lw_link_event(struct lw_link *l, const char *topic,
	    const char *payload, size_t len);
/* A message that matters only now (a command's result): QoS 1 when
 * connected, else dropped and counted. */
bool	 lw_link_send(struct lw_link *l, const char *topic,
	    const char *payload, size_t len);
/* Set slot's retained value; unchanged values publish nothing.  A slot
 * that moves to another topic clears the old one.  topic NULL: clear
 * the slot (empty retained payload on its topic). */
void	 lw_link_state(struct lw_link *l, size_t slot, const char *topic,
	    const char *payload);
/* Remove a retained message someone else left (an empty retained
 * payload on topic). */
void	 lw_link_clear(struct lw_link *l, const char *topic);
/* Publish every state again (after Home Assistant's birth message). */
void	 lw_link_republish(struct lw_link *l);
/* Clear the retained topics a past run listed that no slot holds now.
 * Call once the slots are filled. */
void	 lw_link_forget_stale(struct lw_link *l);

/* Up to max messages from the inbox, oldest first; free each with
 * lw_link_msg_free. */
size_t	 lw_link_inbox(struct lw_link *l, struct lw_link_msg *out,
	    size_t max);
void	 lw_link_msg_free(struct lw_link_msg *m);
void	 lw_link_stats(struct lw_link *l, struct lw_link_stats *st);

/*
 * Wait up to timeout_ns for every queued event and state to reach the
 * broker, then say "offline", disconnect and stop.  What was not
 * delivered stays in the spool (on disk with a state_dir).  Returns the
 * number of events not delivered; summary (if not NULL) says so.
 */
uint64_t lw_link_close(struct lw_link *l, uint64_t timeout_ns,
	    char *summary, size_t summarylen);

#endif
