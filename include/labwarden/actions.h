/*
 * actions.h - the record of actions carried out, kept across restarts.
 *
 * Every lockdown and quarantine that a backend confirmed is recorded
 * with an id, its target, backend, scene, start and until.  The record
 * is saved in state_dir (actions.json, written atomically) and, on the
 * next start, reconciled with the backend as soon as the clock is known:
 * what expired meanwhile is released; what is still live but missing
 * from the backend (a reboot, a flushed table) is put back with the
 * time it had left - never a fresh full period.
 */
#ifndef LABWARDEN_ACTIONS_H
#define LABWARDEN_ACTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "labwarden/nftables.h"

#define LW_ACTION_LOG_MAX	4096

struct lw_action_rec {
	uint64_t id;
	char	 action[16];	/* lockdown, quarantine */
	char	 target[64];
	char	 backend[32];
	char	 scene[64];
	uint64_t start_ns, until_ns;
};

struct lw_action_log {
	struct lw_action_rec recs[LW_ACTION_LOG_MAX];
	size_t	 n;
	uint64_t next_id;
	bool	 reconciled;
	unsigned reapplied, expired, failed;	/* at the last reconcile */
};

/* Record (or extend) an action; returns its id. */
uint64_t lw_action_log_add(struct lw_action_log *log, const char *action,
	    const char *target, const char *backend, const char *scene,
	    uint64_t start_ns, uint64_t until_ns);
/* Forget every action on target (it was released). */
void	 lw_action_log_remove(struct lw_action_log *log, const char *target);
json_t	*lw_action_log_to_json(const struct lw_action_log *log);
/* Entries that do not parse are skipped. */
void	 lw_action_log_from_json(struct lw_action_log *log, const json_t *doc);
/* Release what expired by now_ns, re-apply what the backend lost. */
void	 lw_action_log_reconcile(struct lw_action_log *log, struct lw_nft *nft,
	    uint64_t now_ns);

#endif
