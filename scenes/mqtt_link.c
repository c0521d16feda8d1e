/*
 * mqtt_link.c - the broker connection (mqttlink.h): libmosquitto set up
 * from the mqtt section, its callbacks on its own thread, and the
 * link's opening and closing.  Locking: mqtt_link_int.h.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>

#include "labwarden/statefile.h"
#include "mqtt_link_int.h"

uint64_t lw_link_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- mosquitto callbacks (its thread) ---- */

/* Say a connection problem once, not at every retry. */
void lw_link_report(struct lw_link *l, const char *msg)
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
		lw_link_report(l, msg);
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
	l->connected_at = lw_link_mono_ns();
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
		lw_link_report(l, msg);
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
	in.payload = lw_link_copy_bytes(msg->payload ? msg->payload : "", in.len);
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
		lw_link_report(l, msg);
	}
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
	    !lw_link_fifo_init(&l->events, c->queue_len, EVENT_QUEUE_BYTES) ||
	    !lw_link_fifo_init(&l->sends, LW_LINK_SENDS, 1u << 20))
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
	lw_link_fifo_free(&l->events);
	lw_link_fifo_free(&l->sends);
	for (size_t i = 0; i < l->inbox_n; i++)
		lw_link_msg_free(&l->inbox[(l->inbox_head + i) %
		    LW_LINK_INBOX]);
	for (size_t i = 0; i < l->nslots; i++) {
		free(l->slots[i].topic);
		free(l->slots[i].payload);
	}
	for (size_t i = 0; i < l->nclears; i++)
		free(l->clears[i]);
	for (size_t i = 0; i < l->nspill; i++)
		free(l->spill[i]);
	for (size_t i = 0; i < l->nold; i++)
		free(l->old[i]);
	for (size_t i = 0; i < l->nsubs; i++)
		free(l->subs[i]);
	free(l->slots);
	free(l->clears);
	free(l->spill);
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
	if (pthread_create(&l->worker, NULL, lw_link_worker, l) != 0) {
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
		lw_link_report(l, msg);
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
	l->deadline_ns = lw_link_mono_ns() + timeout_ns;
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
	/* Not connected, its thread may sit in a blocking connect to a
	 * host that never answers (minutes): cancel it rather than wait. */
	if (l->loop_started)
		mosquitto_loop_stop(l->mosq, !connected);

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
