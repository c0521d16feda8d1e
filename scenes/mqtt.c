/*
 * mqtt.c - the Home Assistant integration as the commands use it
 * (mqtt.h): events from the writer's tap, commands from the inbox,
 * hosts and stats on an interval, discovery again after Home
 * Assistant's birth message.  Everything here runs on the main thread
 * and only hands work to the link (mqttlink.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "labwarden/mqtt.h"
#include "labwarden/mqttlink.h"
#include "labwarden/sensor.h"
#include "labwarden/statefile.h"

/* Retained slots: the sensor's, then LW_MQTT_HOST_SLOTS per host. */
enum { SLOT_CONFIG, SLOT_STATS, SLOT_PAUSE, SLOT_HOSTS };

#define INBOX_BATCH	16
#define MAX_SUBS	8
#define TAPPED	(LW_EV_BIT(LW_EV_SCENE) | LW_EV_BIT(LW_EV_ACTION) | \
		 LW_EV_BIT(LW_EV_CAPTURE_DONE) | LW_EV_BIT(LW_EV_KEY_ROTATION))

struct lw_mqtt {
	struct lw_mqtt_conf conf;
	struct lw_link *link;
	struct lw_mqtt_hosts hosts;
	struct lw_mqtt_actions acts;
	char	**scenes;
	size_t	 nscenes;
	const char *const *keys;	/* cfg->key_names */
	size_t	 nkeys;
	char	 event_topic[LW_MQTT_TOPIC_MAX];
	char	 scene_topic[LW_MQTT_TOPIC_MAX];
	char	 result_topic[LW_MQTT_TOPIC_MAX];
	uint64_t next_refresh;		/* monotonic */
	uint64_t republish_at;		/* monotonic; 0: none due */
	uint64_t opened_at;		/* monotonic */
	bool	 forgot_stale;		/* a past run's topics were cleared */
	uint64_t last_packets, last_clock_ns;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * LW_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static void to_link(void *ctx, size_t slot, const char *topic,
    const char *payload)
{
	lw_link_state(ctx, slot, topic, payload);
}

static char *dump(const json_t *doc)
{
	/* as the writer's JSON lines: insertion order, 9 digits */
	return json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(9));
}

/* ---- events ---- */

static void tap(void *ctx, enum lw_event_type type, const json_t *event)
{
	struct lw_mqtt *mq = ctx;
	char *text = dump(event);

	if (text)
		lw_link_event(mq->link, mq->event_topic, text, strlen(text));
	free(text);
	if (type != LW_EV_SCENE)
		return;
	/* The event entity: event_type first, the rest as attributes. */
	json_t *ha = json_object();
	json_object_set(ha, "event_type", json_object_get(event, "scene"));
	json_object_update_missing(ha, (json_t *)event);
	json_object_del(ha, "type");
	if ((text = dump(ha)))
		lw_link_event(mq->link, mq->scene_topic, text, strlen(text));
	free(text);
	json_decref(ha);
}

void lw_mqtt_tap(struct lw_mqtt *mq, struct lw_writer *w)
{
	w->tap = tap;
	w->tap_ctx = mq;
	w->tap_mask = TAPPED;
}

/* ---- states ---- */

static void publish_sensor_config(struct lw_mqtt *mq)
{
	char topic[LW_MQTT_TOPIC_MAX];

	if (!mq->conf.discovery)
		return;
	json_t *cfg = lw_mqtt_sensor_config(&mq->conf,
	    (const char *const *)mq->scenes, mq->nscenes, mq->keys, mq->nkeys);
	char *text = json_dumps(cfg, JSON_COMPACT | JSON_PRESERVE_ORDER);
	lw_mqtt_config_topic(&mq->conf, NULL, topic, sizeof topic);
	if (text)
		lw_link_state(mq->link, SLOT_CONFIG, topic, text);
	free(text);
	json_decref(cfg);
}

static void publish_pause(struct lw_mqtt *mq)
{
	char topic[LW_MQTT_TOPIC_MAX];
	bool paused = mq->acts.paused && mq->acts.paused(mq->acts.ctx);

	lw_mqtt_topic(&mq->conf, "pause", topic, sizeof topic);
	lw_link_state(mq->link, SLOT_PAUSE, topic, paused ? "ON" : "OFF");
}

static void count_active(const json_t *active, json_int_t *quarantines,
    json_int_t *lockdowns)
{
	size_t i;
	json_t *rec;

	*quarantines = *lockdowns = 0;
	json_array_foreach(active, i, rec) {
		const char *a = json_string_value(json_object_get(rec,
		    "action"));
		*quarantines += a && strcmp(a, "quarantine") == 0;
		*lockdowns += a && strcmp(a, "lockdown") == 0;
	}
}

/* Evictions over every table, and the fullest table's fill. */
static void table_pressure(const struct lw_sensor *s, json_int_t *evicted,
    double *fill)
{
	*evicted = 0;
	*fill = 0;
	for (unsigned i = 0; i < s->ntables; i++) {
		const struct lw_table *t = s->tables[i];
		double f = t->capacity ? 100.0 * t->count / t->capacity : 0;
		*evicted += (json_int_t)t->evictions;
		if (f > *fill)
			*fill = f;
	}
}

static void publish_stats(struct lw_mqtt *mq, const struct lw_sensor *s,
    uint64_t drops, const json_t *active)
{
	char topic[LW_MQTT_TOPIC_MAX];
	struct lw_link_stats ls;
	json_int_t q, l, evicted;
	double fill, pps = 0;
	uint64_t now = lw_sensor_now(s);

	if (now > mq->last_clock_ns && mq->last_clock_ns)
		pps = (double)(s->stats.packets - mq->last_packets) /
		    ((double)(now - mq->last_clock_ns) / LW_NS_PER_SEC);
	mq->last_packets = s->stats.packets;
	mq->last_clock_ns = now;
	count_active(active, &q, &l);
	table_pressure(s, &evicted, &fill);
	lw_link_stats(mq->link, &ls);
	json_t *st = json_object();
	json_object_set_new(st, "pps", json_real((double)(long long)(pps * 10)
	    / 10));
	json_object_set_new(st, "packets", json_integer((json_int_t)
	    s->stats.packets));
	json_object_set_new(st, "drops", json_integer((json_int_t)drops));
	json_object_set_new(st, "devices", json_integer((json_int_t)
	    s->inventory.devices.count));
	json_object_set_new(st, "quarantines", json_integer(q));
	json_object_set_new(st, "lockdowns", json_integer(l));
	json_object_set_new(st, "table_evictions", json_integer(evicted));
	json_object_set_new(st, "table_fill", json_real((double)(long long)
	    (fill * 10) / 10));
	json_object_set_new(st, "events_pending", json_integer((json_int_t)
	    ls.events_pending));
	json_object_set_new(st, "events_dropped", json_integer((json_int_t)
	    ls.events_dropped));
	char *text = json_dumps(st, JSON_COMPACT | JSON_PRESERVE_ORDER);
	lw_mqtt_topic(&mq->conf, "stats", topic, sizeof topic);
	if (text)
		lw_link_state(mq->link, SLOT_STATS, topic, text);
	free(text);
	json_decref(st);
}

static json_t *active_now(struct lw_mqtt *mq, uint64_t now)
{
	json_t *a = mq->acts.active ? mq->acts.active(mq->acts.ctx, now) :
	    NULL;
	return a ? a : json_array();
}

/*
 * Hosts and stats now.  A past run's retained topics that no host holds
 * are cleared once the inventory had time to fill (a stats interval
 * after the start: state_dir gives it at once, traffic over time) or at
 * the end, so a host that is merely late does not vanish and return.
 */
static void refresh(struct lw_mqtt *mq, struct lw_sensor *s, uint64_t drops,
    bool final)
{
	uint64_t now = lw_sensor_now(s);
	json_t *active = active_now(mq, now);

	publish_sensor_config(mq);
	publish_pause(mq);
	lw_mqtt_hosts_sync(&mq->hosts, &s->inventory, &s->oui, active, now,
	    SLOT_HOSTS, to_link, mq->link);
	publish_stats(mq, s, drops, active);
	json_decref(active);
	if (!mq->forgot_stale && (final || mono_ns() - mq->opened_at >=
	    mq->conf.stats_interval_ns)) {
		lw_link_forget_stale(mq->link);
		mq->forgot_stale = true;
	}
	mq->next_refresh = mono_ns() + mq->conf.stats_interval_ns;
}

void lw_mqtt_changed(struct lw_mqtt *mq)
{
	mq->next_refresh = 0;
}

void lw_mqtt_refresh(struct lw_mqtt *mq, struct lw_sensor *s, uint64_t drops)
{
	refresh(mq, s, drops, true);
}

/* ---- commands ---- */

static void answer(struct lw_mqtt *mq, json_t *res, const char *topic,
    const struct lw_link_msg *m)
{
	json_object_set_new(res, "request", lw_mqtt_request_json(topic,
	    m->payload, m->len));
	char *text = json_dumps(res, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (text)
		lw_link_send(mq->link, mq->result_topic, text, strlen(text));
	free(text);
	json_decref(res);
}

static void handle(struct lw_mqtt *mq, struct lw_sensor *s,
    const struct lw_link_msg *m)
{
	struct lw_mqtt_cmd cmd;
	char err[300];

	if (strcmp(m->topic, mq->conf.birth_topic) == 0) {
		/* A retained birth is an old one: we published on connect. */
		if (!m->retain && m->len == 6 && memcmp(m->payload, "online",
		    6) == 0)
			mq->republish_at = mono_ns() + 1 + (mq->conf.birth_delay_ns
			    ? mono_ns() % mq->conf.birth_delay_ns : 0);
		return;
	}
	if (m->len == 0)
		return;	/* a retained command being removed: not a command */
	if (m->cut) {
		snprintf(err, sizeof err, "payload longer than %d bytes",
		    LW_MQTT_PAYLOAD_MAX);
		answer(mq, json_pack("{s:b, s:s}", "ok", 0, "error", err),
		    m->topic, m);
		return;
	}
	if (!lw_mqtt_cmd_parse(&mq->conf, m->topic, m->payload, m->len,
	    m->retain, &cmd, err, sizeof err)) {
		answer(mq, json_pack("{s:b, s:s}", "ok", 0, "error", err),
		    m->topic, m);
		/* A command left retained would come back at every
		 * reconnect: take it off the broker. */
		if (m->retain)
			lw_link_clear(mq->link, m->topic);
		return;
	}
	if (!cmd.for_ns)
		cmd.for_ns = cmd.kind == LW_MCMD_QUARANTINE ?
		    mq->conf.quarantine_ns : cmd.kind == LW_MCMD_ACT &&
		    cmd.op == LW_REQ_QUARANTINE ? mq->conf.quarantine_ns :
		    mq->conf.lockdown_ns;
	answer(mq, lw_mqtt_cmd_run(&cmd, &mq->acts, &s->inventory,
	    lw_sensor_now(s)), m->topic, m);
	mq->next_refresh = 0;	/* show the new states now */
}

void lw_mqtt_poll(struct lw_mqtt *mq, struct lw_sensor *s, uint64_t drops)
{
	struct lw_link_msg batch[INBOX_BATCH];
	size_t n;

	while ((n = lw_link_inbox(mq->link, batch, INBOX_BATCH)) > 0)
		for (size_t i = 0; i < n; i++) {
			handle(mq, s, &batch[i]);
			lw_link_msg_free(&batch[i]);
		}
	uint64_t now = mono_ns();
	if (mq->republish_at && now >= mq->republish_at) {
		mq->republish_at = 0;
		refresh(mq, s, drops, false);
		lw_link_republish(mq->link);
	}
	if (now >= mq->next_refresh)
		refresh(mq, s, drops, false);
}

/* ---- life ---- */

void lw_mqtt_set_scenes(struct lw_mqtt *mq, const char *const *names,
    size_t n)
{
	for (size_t i = 0; i < mq->nscenes; i++)
		free(mq->scenes[i]);
	free(mq->scenes);
	mq->nscenes = 0;
	mq->scenes = n ? calloc(n, sizeof *mq->scenes) : NULL;
	for (size_t i = 0; mq->scenes && i < n; i++)
		if ((mq->scenes[mq->nscenes] = strdup(names[i])))
			mq->nscenes++;
	publish_sensor_config(mq);
}

/* Hosts a past run published come first (mqtt-retained.json). */
static void prefer_past_hosts(struct lw_mqtt *mq, const char *state_dir)
{
	size_t i, n = 0;
	json_t *t;

	if (!state_dir)
		return;
	json_t *doc = lw_state_read(state_dir, LW_LINK_RETAINED_FILE,
	    "mqtt_retained");
	json_t *list = json_object_get(doc, "topics");
	const char **topics = calloc(json_array_size(list) + 1,
	    sizeof *topics);
	json_array_foreach(list, i, t)
		if (topics && json_string_value(t))
			topics[n++] = json_string_value(t);
	if (topics)
		lw_mqtt_hosts_prefer(&mq->hosts, topics, n);
	free(topics);
	json_decref(doc);
}

static bool start_link(struct lw_mqtt *mq, const char *state_dir, char *err,
    size_t errlen)
{
	char subs[MAX_SUBS][LW_MQTT_TOPIC_MAX];
	const char *sub_ptrs[MAX_SUBS];
	size_t nsubs = lw_mqtt_cmd_topics(&mq->conf, subs, MAX_SUBS - 1);

	snprintf(subs[nsubs++], LW_MQTT_TOPIC_MAX, "%s", mq->conf.birth_topic);
	for (size_t i = 0; i < nsubs; i++)
		sub_ptrs[i] = subs[i];
	mq->link = lw_link_open(&mq->conf, state_dir, sub_ptrs, nsubs,
	    SLOT_HOSTS + (size_t)mq->conf.max_hosts * LW_MQTT_HOST_SLOTS, err,
	    errlen);
	return mq->link != NULL;
}

struct lw_mqtt *lw_mqtt_open(const struct lw_config *cfg,
    const char *state_dir, const struct lw_mqtt_actions *acts,
    struct lw_diag *diag, char *err, size_t errlen)
{
	struct lw_mqtt *mq = calloc(1, sizeof *mq);

	err[0] = '\0';
	if (!mq) {
		snprintf(err, errlen, "mqtt: out of memory");
		return NULL;
	}
	if (!lw_mqtt_conf_load(cfg->mqtt, &mq->conf, true, diag) ||
	    !lw_mqtt_hosts_init(&mq->hosts, &mq->conf)) {
		lw_mqtt_conf_free(&mq->conf);
		lw_mqtt_hosts_free(&mq->hosts);
		free(mq);
		return NULL;
	}
	if (acts)
		mq->acts = *acts;
	mq->keys = (const char *const *)cfg->key_names;
	mq->nkeys = cfg->nkeys;
	lw_mqtt_topic(&mq->conf, "event", mq->event_topic,
	    sizeof mq->event_topic);
	lw_mqtt_topic(&mq->conf, "scene", mq->scene_topic,
	    sizeof mq->scene_topic);
	lw_mqtt_topic(&mq->conf, "result", mq->result_topic,
	    sizeof mq->result_topic);
	prefer_past_hosts(mq, state_dir);
	if (!start_link(mq, state_dir, err, errlen)) {
		lw_mqtt_hosts_free(&mq->hosts);
		lw_mqtt_conf_free(&mq->conf);
		free(mq);
		return NULL;
	}
	/* The password went to libmosquitto; no copy stays here. */
	if (mq->conf.password)
		explicit_bzero(mq->conf.password, strlen(mq->conf.password));
	mq->opened_at = mono_ns();
	publish_sensor_config(mq);
	publish_pause(mq);
	return mq;
}

uint64_t lw_mqtt_close(struct lw_mqtt *mq, uint64_t timeout_ns)
{
	char summary[512];

	if (!mq)
		return 0;
	uint64_t wait = mq->conf.flush_timeout_ns;
	if (timeout_ns && timeout_ns < wait)
		wait = timeout_ns;
	uint64_t left = lw_link_close(mq->link, wait, summary, sizeof summary);
	if (left)
		fprintf(stderr, "labwarden: mqtt: %s\n", summary);
	for (size_t i = 0; i < mq->nscenes; i++)
		free(mq->scenes[i]);
	free(mq->scenes);
	lw_mqtt_hosts_free(&mq->hosts);
	lw_mqtt_conf_free(&mq->conf);
	free(mq);
	return left;
}
