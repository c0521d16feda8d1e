/*
 * actor.h - the action layer: every request to change the network goes
 * through here, whoever asks (a scene, the CLI, MQTT, a restart).
 *
 * Policy first, on the caller's thread and cheap: a protected host
 * (networks.protected), the sensor's own addresses and the default
 * gateway are refused; automatic actions past actions.max_per_hour are
 * refused (with one notify per hour saying so); a paused actor (the MQTT
 * switch) refuses automatic blocks but still lets scenes notify.  Then
 * the request goes to its backend: local backends (nft) run at once;
 * remote ones are queued to a worker thread (bounded queue: a full queue
 * is "failed", never a wait) and the caller gets "pending" with the id.
 * Results come back to the main thread through lw_actor_poll(), which
 * writes the `action` event, updates the record of what is in force
 * (actions.json in state_dir) and tells listeners (MQTT).
 *
 * Every attempt, refused ones included, is an audit record (audit.h).
 * Records carry id, action, target, backend, origin, start and until;
 * on start, expired actions are released and live ones re-applied with
 * the time they had left (never a fresh period).
 */
#ifndef LABWARDEN_ACTOR_H
#define LABWARDEN_ACTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "labwarden/backend.h"
#include "labwarden/config.h"
#include "labwarden/events.h"

enum lw_act_op { LW_REQ_QUARANTINE, LW_REQ_LOCKDOWN, LW_REQ_RELEASE };

struct lw_act_req {
	enum lw_act_op op;
	struct lw_target target;
	const char *backend;	/* NULL: actions.default_backend */
	const char *origin;	/* "scene:port-scan", "cli", "mqtt" */
	bool	 automatic;	/* counts against max_per_hour, pausable */
	uint64_t now_ns;	/* the sensor's clock */
	uint64_t for_ns;	/* quarantine/lockdown duration */
};

/* Something changed (done, failed, released, expired): for MQTT. */
typedef void (*lw_actor_listener)(void *ctx, const json_t *record);

struct lw_actor;

/*
 * act false: every request is "dry-run" (replay without --act).
 * state_dir may be NULL (no actions.json, no audit log); writer may be
 * NULL (no events written; listeners still told).  Backends are opened
 * from cfg->backend_conf: a mistake in a section is an error naming it;
 * one that cannot open now (no CAP_NET_ADMIN, a bad password file) is
 * said on stderr, its requests fail with the reason, and it is tried
 * again at most every 30 s.
 */
struct lw_actor *lw_actor_new(const struct lw_config *cfg,
	    struct lw_writer *writer, bool act, const char *state_dir,
	    char *err, size_t errlen);
void	 lw_actor_free(struct lw_actor *actor);
/*
 * Ask for req (thread-safe: scenes on the main thread, MQTT on its own;
 * a local backend runs under the actor's lock).  Returns the status
 * ("dry-run", "done", "pending", "refused", "failed") and sets "id",
 * "detail" and, for a release, "backend" (the one that held it) in out
 * (the scene event's action object; may be NULL) as they apply.  A dry
 * run sets nothing.
 */
const char *lw_actor_submit(struct lw_actor *actor,
	    const struct lw_act_req *req, json_t *out);
/* A request its caller refused before asking (the scenes' soft allow):
 * recorded like the actor's own refusals (an id in out, the audit log,
 * an action event).  Nothing in a dry run. */
void	 lw_actor_refuse(struct lw_actor *actor,
	    const struct lw_act_req *req, const char *reason, json_t *out);
/* Main thread: take finished results (events, records, listeners),
 * release what expired by now_ns, reconcile after a restart.  Every
 * `action` event is written here (the writer is the main thread's) and
 * the listener is called here too, outside the actor's lock, so it may
 * call lw_actor_active(). */
void	 lw_actor_poll(struct lw_actor *actor, uint64_t now_ns);
/* Wait up to timeout_ms for queued requests (end of replay, exit). */
void	 lw_actor_drain(struct lw_actor *actor, uint64_t timeout_ms);
/* Save what is in force to state_dir (actions.json). */
bool	 lw_actor_save(struct lw_actor *actor, char *err, size_t errlen);
void	 lw_actor_set_paused(struct lw_actor *actor, bool paused);
bool	 lw_actor_paused(const struct lw_actor *actor);
/* Add a listener (up to 4: MQTT, the scenes' soft allow...): told of
 * every `action` event, as written, on the main thread in poll. */
void	 lw_actor_listen(struct lw_actor *actor, lw_actor_listener fn,
	    void *ctx);
/* What is in force now: [{id, action, target, backend, origin, start,
 * until}], for MQTT states and `--stats`. */
json_t	*lw_actor_active(const struct lw_actor *actor);
/* Check every backends.NAME section (for `labwarden check`). */
bool	 lw_actor_check_config(const struct lw_config *cfg,
	    struct lw_diag *diag);
/* A one-shot command (`labwarden release`): what a past run left is
 * neither settled nor expired here, only what is asked is done. */
void	 lw_actor_one_shot(struct lw_actor *actor);
/* Counts for --stats: done, failed, refused, queue full, in force. */
void	 lw_actor_print(const struct lw_actor *actor, FILE *out);
/* Retry waits: full jitter in [0, min(cap, base * 2^n)] (default 1 s,
 * 30 s).  For tests; call before the first request. */
void	 lw_actor_set_backoff(struct lw_actor *actor, uint64_t base_ms,
	    uint64_t cap_ms);
/* The policy in use (tests add gateways and own addresses to it). */
struct lw_policy *lw_actor_policy(struct lw_actor *actor);

#endif
