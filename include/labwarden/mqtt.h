/*
 * mqtt.h - Home Assistant over MQTT (docs/mqtt.md).
 *
 * labwarden appears in Home Assistant by itself through MQTT discovery:
 * one device for the sensor (packet rate, drops, known devices, active
 * quarantines and lockdowns, table pressure; an event entity whose
 * event types are the scene names; a button per key to rotate and one
 * to release everything; a switch that pauses automatic actions) and
 * one device per LAN host of the inventory, up to mqtt.max_hosts, tied
 * by its MAC to the same device from other integrations, with a device
 * tracker, its attributes, a "quarantined" switch and a "lock down"
 * button.
 *
 * Every event the writer emits of the types scene, action,
 * capture_done and key_rotation is published (QoS 1, in order, spooled
 * while the broker is away) as the same JSON object `-o` writes, and a
 * scene also as the event entity's payload.  Commands from Home
 * Assistant are validated on the MQTT thread and carried out on the
 * main thread through the action layer (struct lw_mqtt_actions), and
 * answered on <root>/result.
 *
 * Files: mqtt_conf.c (the mqtt: section), mqtt_discovery.c (payloads),
 * mqtt_cmd.c (commands), mqtt_hosts.c (which hosts), mqtt.c (the glue
 * the commands call); the connection is mqttlink.h (mqtt_link.c,
 * mqtt_queue.c, mqtt_worker.c), the spool spool.h.
 */
#ifndef LABWARDEN_MQTT_H
#define LABWARDEN_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "labwarden/actor.h"
#include "labwarden/config.h"
#include "labwarden/diag.h"
#include "labwarden/events.h"
#include "labwarden/inventory.h"
#include "labwarden/oui.h"
#include "labwarden/section.h"

#define LW_MQTT_TOPIC_MAX	256
#define LW_MQTT_ID_MAX		64
#define LW_MQTT_MAX_HOSTS	1000	/* the largest mqtt.max_hosts */
#define LW_MQTT_PAYLOAD_MAX	4096	/* a command's payload at most */

/* The mqtt: section, read and checked (mqtt_conf.c). */
struct lw_mqtt_conf {
	char	 host[256];
	unsigned port;
	char	 username[128];
	char	*password;		/* from password_file/_env; wiped */
	char	 client_id[128];
	char	 base_topic[128];
	char	 discovery_prefix[128];
	char	 sensor_id[LW_MQTT_ID_MAX];
	char	 birth_topic[LW_MQTT_TOPIC_MAX];	/* <prefix>/status */
	char	 root[200];		/* <base_topic>/<sensor_id> */
	unsigned keepalive_s;
	bool	 tls, tls_insecure;
	char	*ca_file, *cert_file, *key_file;	/* NULL when not set */
	bool	 discovery;		/* publish Home Assistant configs */
	unsigned max_hosts;
	uint64_t spool_bytes;		/* spool_mb */
	unsigned queue_len;		/* events between threads */
	unsigned reconnect_max_s;
	uint64_t stats_interval_ns;
	uint64_t away_after_ns;		/* device tracker: not_home after */
	uint64_t flush_timeout_ns;	/* at exit, for the spool to drain */
	uint64_t birth_delay_ns;	/* republish within a random delay */
	uint64_t lockdown_ns;		/* a command's lockdown lasts (1h) */
	uint64_t quarantine_ns;		/* ...and quarantine (1d) */
};

/*
 * Read sec into c; every mistake goes to diag as file:line:col.  With
 * read_secret the password file or variable is read too (`check` does,
 * so a missing file shows up there).  False on any mistake.
 */
bool	 lw_mqtt_conf_load(struct lw_section *sec, struct lw_mqtt_conf *c,
	    bool read_secret, struct lw_diag *diag);
void	 lw_mqtt_conf_free(struct lw_mqtt_conf *c);
/* `labwarden check`: the mqtt section, when there is one. */
bool	 lw_mqtt_check_config(const struct lw_config *cfg,
	    struct lw_diag *diag);

/* ---- discovery payloads (mqtt_discovery.c) ---- */

/* What Home Assistant is told about one LAN host. */
struct lw_mqtt_host_info {
	uint8_t	 mac[6];
	char	 name[128];		/* known name, hostname, or vendor */
	char	 vendor[128];		/* "" when unknown */
	char	 hostname[LW_INV_HOSTNAME_MAX];
	char	 ip[64];		/* "" when unknown */
	uint64_t first_ns, last_ns;
	bool	 randomized, known;
	int	 vlan;			/* -1: untagged */
};

/* homeassistant/device/<object id>/config; mac NULL: the sensor. */
void	 lw_mqtt_config_topic(const struct lw_mqtt_conf *c,
	    const uint8_t *mac, char *buf, size_t len);
/* <root>/host/<mac12>/<leaf> */
void	 lw_mqtt_host_topic(const struct lw_mqtt_conf *c, const uint8_t *mac,
	    const char *leaf, char *buf, size_t len);
/* <root>/<leaf> */
void	 lw_mqtt_topic(const struct lw_mqtt_conf *c, const char *leaf,
	    char *buf, size_t len);
/* "aabbccddeeff" */
void	 lw_mqtt_mac12(const uint8_t *mac, char out[13]);

json_t	*lw_mqtt_sensor_config(const struct lw_mqtt_conf *c,
	    const char *const *scenes, size_t nscenes,
	    const char *const *keys, size_t nkeys);
json_t	*lw_mqtt_host_config(const struct lw_mqtt_conf *c,
	    const struct lw_mqtt_host_info *h);
json_t	*lw_mqtt_host_attrs(const struct lw_mqtt_host_info *h);

/* ---- commands (mqtt_cmd.c) ---- */

enum lw_mqtt_cmd_kind {
	LW_MCMD_ROTATE,		/* <root>/cmd/rotate_keys: a key or PRESS (all) */
	LW_MCMD_RELEASE_ALL,	/* <root>/cmd/release_all */
	LW_MCMD_PAUSE,		/* <root>/pause/set ON|OFF */
	LW_MCMD_QUARANTINE,	/* <root>/host/<mac12>/quarantine/set ON|OFF */
	LW_MCMD_HOST_LOCKDOWN,	/* <root>/host/<mac12>/lockdown PRESS */
	LW_MCMD_ACT,		/* <root>/cmd {"action","target","for"} */
};

struct lw_mqtt_cmd {
	enum lw_mqtt_cmd_kind kind;
	bool	 on;			/* pause, quarantine */
	uint8_t	 mac[6];		/* host commands */
	enum lw_act_op op;		/* LW_MCMD_ACT */
	char	 target[64];		/* LW_MCMD_ACT: an IP or a MAC */
	char	 key[64];		/* rotate: "" for every key */
	uint64_t for_ns;		/* 0: mqtt.lockdown_for / quarantine_for */
};

/*
 * Check a message that arrived on a command topic.  False with the
 * reason in err (a retained message, an unknown topic, a bad payload,
 * malformed JSON...), which goes back on <root>/result.
 */
bool	 lw_mqtt_cmd_parse(const struct lw_mqtt_conf *c, const char *topic,
	    const void *payload, size_t len, bool retained,
	    struct lw_mqtt_cmd *cmd, char *err, size_t errlen);
/* The topics to subscribe to for commands, written into subs; returns
 * how many. */
size_t	 lw_mqtt_cmd_topics(const struct lw_mqtt_conf *c,
	    char subs[][LW_MQTT_TOPIC_MAX], size_t max);
/* The request as the result echoes it: topic and payload, printable. */
json_t	*lw_mqtt_request_json(const char *topic, const void *payload,
	    size_t len);

/*
 * What commands act through: the action layer (actor.h), wired by
 * cli/mqtt_actions.c (a struct of functions, so tests can fake it).
 * Any member may be NULL: the command then answers "not available".
 */
struct lw_mqtt_actions {
	/* lw_actor_submit's contract: the status; fields in out. */
	const char *(*submit)(void *ctx, const struct lw_act_req *req,
		    json_t *out);
	void	 (*set_paused)(void *ctx, bool paused);
	bool	 (*paused)(void *ctx);
	/* [{action, target, ...}] in force now (new reference). */
	json_t	*(*active)(void *ctx, uint64_t now_ns);
	/* Rotate key ("" for every configured key) now: the status
	 * ("pending", "dry-run", "refused", "failed"), why in detail. */
	const char *(*rotate)(void *ctx, const char *key, uint64_t now_ns,
		    char *detail, size_t detaillen);
	void	*ctx;
};

/*
 * Carry cmd out (main thread) and return the result object:
 * {"ok", "status", "action", "target", "detail"/"error", ...}; the
 * caller adds "request".  inv finds a host's address for a lockdown.
 */
json_t	*lw_mqtt_cmd_run(const struct lw_mqtt_cmd *cmd,
	    const struct lw_mqtt_actions *acts, const struct lw_inventory *inv,
	    uint64_t now_ns);

/* ---- which hosts Home Assistant sees (mqtt_hosts.c) ---- */

/* Retained slots per host: config, presence, attrs, quarantine. */
#define LW_MQTT_HOST_SLOTS	4

/* Where a retained value goes (lw_link_state, or a test's recorder);
 * topic NULL clears the slot. */
typedef void (*lw_mqtt_state_fn)(void *ctx, size_t slot, const char *topic,
	    const char *payload);

struct lw_mqtt_hosts {
	const struct lw_mqtt_conf *conf;
	struct lw_mqtt_host_slot {
		uint8_t	 mac[6];
		bool	 used;
	} *slots;			/* conf->max_hosts of them */
	unsigned used;
	bool	 scanned;		/* the inventory was walked once */
	uint64_t inv_count, inv_evictions;	/* as of the last walk */
	uint8_t	(*prefer)[6];		/* published by a past run */
	size_t	 nprefer;
};

bool	 lw_mqtt_hosts_init(struct lw_mqtt_hosts *h,
	    const struct lw_mqtt_conf *c);
void	 lw_mqtt_hosts_free(struct lw_mqtt_hosts *h);
/* Hosts a past run published (their config topics, from
 * mqtt-retained.json) come first while there is room. */
void	 lw_mqtt_hosts_prefer(struct lw_mqtt_hosts *h,
	    const char *const *topics, size_t n);
/*
 * Bring the published hosts in line with the inventory: hosts it
 * forgot are cleared (their slots get topic NULL), announced devices
 * fill free slots (a past run's first, then the most recently seen),
 * and each host's config, presence, attributes and quarantine state are
 * (re)set.  active: the actions in force (lw_mqtt_actions.active), for
 * the quarantine switches.  Slots used: slot_base + i * 4 + k.
 */
void	 lw_mqtt_hosts_sync(struct lw_mqtt_hosts *h,
	    const struct lw_inventory *inv, const struct lw_oui *oui,
	    const json_t *active, uint64_t now_ns, size_t slot_base,
	    lw_mqtt_state_fn fn, void *ctx);

/* ---- the running integration (mqtt.c) ---- */

struct lw_mqtt;
struct lw_sensor;

/*
 * Read cfg->mqtt (errors with file:line:col go to diag and make this
 * return NULL with err empty), start the connection, load the list of
 * what a past run published from state_dir (NULL: replay without
 * --state: the spool is then in memory).  acts may be NULL (no
 * commands).
 */
struct lw_mqtt *lw_mqtt_open(const struct lw_config *cfg,
	    const char *state_dir, const struct lw_mqtt_actions *acts,
	    struct lw_diag *diag, char *err, size_t errlen);
/* Publish the writer's scene, action, capture_done and key_rotation
 * events, whatever --emit says. */
void	 lw_mqtt_tap(struct lw_mqtt *mq, struct lw_writer *w);
/* The scene names (the event entity's types); call again after a
 * reload. */
void	 lw_mqtt_set_scenes(struct lw_mqtt *mq, const char *const *names,
	    size_t n);
/*
 * Main thread, often (every loop, every tick): run the commands that
 * arrived, and every mqtt.stats_interval (real time) refresh hosts and
 * stats.  drops: the capture's kernel drops so far.  Cheap when there
 * is nothing to do.
 */
void	 lw_mqtt_poll(struct lw_mqtt *mq, struct lw_sensor *s,
	    uint64_t drops);
/* Something changed (an action's outcome): states at the next poll. */
void	 lw_mqtt_changed(struct lw_mqtt *mq);
/* Hosts and stats now (the end of a run or replay); a past run's
 * retained topics no host holds are cleared by then at the latest. */
void	 lw_mqtt_refresh(struct lw_mqtt *mq, struct lw_sensor *s,
	    uint64_t drops);
/* Flush (bounded by mqtt.flush_timeout, or timeout_ns when smaller and
 * not 0), disconnect, free.  Returns the events not delivered (kept in
 * the spool when it is on disk); says so on stderr. */
uint64_t lw_mqtt_close(struct lw_mqtt *mq, uint64_t timeout_ns);

#endif
