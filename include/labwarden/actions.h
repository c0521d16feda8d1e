/*
 * actions.h - the record of actions in force, kept across restarts.
 *
 * Every lockdown and quarantine that a backend confirmed is recorded
 * with an id, its target (as asked, plus the MAC and IP the sensor knew),
 * the backend and the backend's own reference for the entry, who asked
 * (origin), start and until.  The action layer (actor.h) saves the
 * record in state_dir (actions.json, written atomically) after every
 * change and, on the next start, settles it with the backends: what
 * expired meanwhile is released; what is still live but missing from
 * its backend (a reboot, a flushed table) is put back with the time it
 * had left - never a fresh full period.
 *
 * Targets are parsed and written back in canonical form here, so what a
 * backend receives is an address, never text from a packet.
 */
#ifndef LABWARDEN_ACTIONS_H
#define LABWARDEN_ACTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "labwarden/backend.h"

#define LW_ACTION_LOG_MAX	4096	/* actions in force at once */
#define LW_ACTIONS_FILE		"actions.json"
#define LW_RELEASED_MAX		64	/* ids released by `labwarden release` */

struct lw_action_rec {
	uint64_t id;
	char	 action[16];	/* lockdown, quarantine */
	struct lw_target target;
	char	 backend[64];	/* the name under backends: */
	char	 ref[128];	/* the backend's id for the entry, or "" */
	char	 origin[80];	/* scene:NAME, cli, mqtt, restore */
	uint64_t start_ns, until_ns;
	/* Not saved: an expiry release is under way or failed lately; a
	 * restart's check waits for room in a remote backend's queue. */
	uint64_t retry_after_ns;
	unsigned release_tries;	/* failed releases so far (backoff) */
	bool	 releasing;
	bool	 needs_restore;
	bool	 verifying;	/* needs_restore came from verify_every */
};

struct lw_action_log {
	struct lw_action_rec recs[LW_ACTION_LOG_MAX];
	size_t	 n;
	uint64_t next_id;
	/* Ids that `labwarden release` ended while a daemon may hold them
	 * (actions.json "released"): a daemon drops them when it sees them. */
	uint64_t released[LW_RELEASED_MAX];
	size_t	 nreleased;
};

/*
 * Parse text as a MAC or an IP address into t: t->text canonical
 * (lowercase MAC, compressed IPv6), and t->mac or t->ip set to the same.
 * False when it is neither.
 */
bool	 lw_target_parse(struct lw_target *t, const char *text);
/* Is t's text a MAC (true) or an IP (false)?  t must be parsed. */
bool	 lw_target_is_mac(const struct lw_target *t);
/* Does t name the same host as text (its text, MAC or IP)? */
bool	 lw_target_matches(const struct lw_target *t, const char *text);

/* The live record of action on target at backend, or NULL. */
struct lw_action_rec *lw_action_log_find(struct lw_action_log *log,
	    const char *action, const char *target, const char *backend);
/* Records on target (text, MAC or IP), any action, at backend (NULL:
 * any), the first max into out; returns how many there are in all. */
size_t	 lw_action_log_on(struct lw_action_log *log, const char *target,
	    const char *backend, struct lw_action_rec **out, size_t max);
/* Add rec with a new id (returned); 0 when the log is full. */
uint64_t lw_action_log_add(struct lw_action_log *log,
	    const struct lw_action_rec *rec);
/* Forget the record with this id (it was released); false if none. */
bool	 lw_action_log_remove_id(struct lw_action_log *log, uint64_t id);
/* Note that id was released from outside a daemon (kept, bounded). */
void	 lw_action_log_note_released(struct lw_action_log *log, uint64_t id);
json_t	*lw_action_log_to_json(const struct lw_action_log *log);
/* Entries that do not parse are skipped (and counted in *skipped). */
void	 lw_action_log_from_json(struct lw_action_log *log, const json_t *doc,
	    unsigned *skipped);
/* One record as JSON (actions.json entry, lw_actor_active). */
json_t	*lw_action_rec_json(const struct lw_action_rec *r);

#endif
