/*
 * actor_int.h - what the action layer's files share (actor.c: requests;
 * actor_state.c: outcomes, expiry, restarts, actions.json; actor_out.c:
 * events and audit records).  Not a public header: see actor.h.
 */
#ifndef LABWARDEN_ACTOR_INT_H
#define LABWARDEN_ACTOR_INT_H

#include <pthread.h>
#include <time.h>

#include "labwarden/actions.h"
#include "labwarden/actor.h"
#include "labwarden/audit.h"
#include "labwarden/policy.h"
#include "labwarden/workq.h"

#define LW_ACTOR_OUTBOX_MAX	4096	/* events waiting for poll */
#define LW_ACTOR_LISTENERS	4	/* MQTT, the soft allow, ... */
#define LW_ACTOR_REOPEN_NS	(30ull * 1000000000ull)	/* wall, monotonic */
#define LW_ACTOR_HOST_EVERY_NS	(30ull * 1000000000ull)
#define LW_ACTOR_FILE_EVERY_NS	(2ull * 1000000000ull)
#define LW_ACTOR_RETRY_RELEASE_NS (60ull * 1000000000ull)	/* sensor */

/* One configured backend and its state. */
struct lw_actor_be {
	struct lw_backend be;
	struct lw_section *sec;
	char	 type[32];
	const struct lw_backend_ops *ops;	/* NULL: type not built */
	bool	 opened;
	char	 error[300];		/* why it is not open */
	uint64_t reopen_mono_ns;	/* not before this */
	struct lw_worker *worker;	/* remote backends */
};

struct lw_actor {
	pthread_mutex_t lock;		/* everything below */
	bool	 lock_ready;
	const struct lw_config *cfg;
	struct lw_writer *writer;
	bool	 act, paused;
	char	*state_dir;
	struct lw_audit *audit;
	struct lw_policy policy;
	uint64_t host_read_mono_ns;
	struct lw_actor_be bes[LW_MAX_LISTS];
	size_t	 nbes;
	struct lw_action_log *log;
	bool	 reconciled, dirty;
	bool	 one_shot;		/* no settling, no expiry */
	uint64_t now_ns;		/* the sensor's clock, last seen */
	uint64_t next_verify_ns;	/* sensor clock: check what is live */
	/* action events made on any thread, written by poll */
	json_t	*outbox;
	uint64_t outbox_dropped;
	struct {
		lw_actor_listener fn;
		void	*ctx;
	} listeners[LW_ACTOR_LISTENERS];
	size_t	 nlisteners;
	struct lw_backoff backoff;
	uint64_t done, failed, refused, queue_full;
	/* actions.json as last written, to see `labwarden release` */
	struct timespec saved_mtime;
	uint64_t file_check_mono_ns;
};

/* A request as the actor carries it: parsed target, resolved backend. */
struct lw_act_call {
	uint64_t id;
	const char *action;		/* lockdown, quarantine, release */
	enum lw_block_kind kind;
	struct lw_target target;
	struct lw_actor_be *abe;	/* NULL: no such backend */
	const char *backend;		/* its name, as asked */
	const char *origin;
	uint64_t start_ns, until_ns;
};

uint64_t lw_actor_mono_ns(void);
/* Open abe now if it is not and may be tried again; true when open. */
bool	 lw_actor_be_ready(struct lw_actor *a, struct lw_actor_be *abe);
struct lw_actor_be *lw_actor_be_find(struct lw_actor *a, const char *name);

/* actor_out.c: the action event (queued for poll) and the audit
 * record for an outcome.  res may be NULL (refused, dry-run). */
void	 lw_actor_outcome(struct lw_actor *a, const struct lw_act_call *c,
	    const char *status, const char *detail,
	    const struct lw_be_result *res, unsigned attempts,
	    double latency_ms);
/* The same event without an audit record (a worker wrote those). */
void	 lw_actor_outcome_event(struct lw_actor *a,
	    const struct lw_act_call *c, const char *status,
	    const char *detail, const struct lw_be_result *res,
	    unsigned attempts, double latency_ms);
/* max_per_hour was reached: the one notify of the hour. */
void	 lw_actor_announce_cap(struct lw_actor *a,
	    const struct lw_act_call *c);
void	 lw_actor_audit_try(struct lw_actor *a, const struct lw_act_call *c,
	    const char *outcome, const char *detail,
	    const struct lw_be_result *res, unsigned attempt);
void	 lw_actor_queue_event(struct lw_actor *a, json_t *event);
/* The worker's per-try callback (workq.h). */
void	 lw_actor_job_tried(void *ctx, const struct lw_job *job,
	    enum lw_be_status status, const struct lw_be_result *res,
	    unsigned attempt, bool final);

/* actor_state.c */
void	 lw_actor_reconcile(struct lw_actor *a, uint64_t now_ns);
bool	 lw_actor_save_locked(struct lw_actor *a, char *err, size_t errlen);
void	 lw_actor_load(struct lw_actor *a);
/* The workers are stopped: record what finished since the last poll,
 * audit what never ran, save. */
void	 lw_actor_settle_stopped(struct lw_actor *a);
/* Carry c out on a local backend now, or queue it; the status. */
const char *lw_actor_dispatch(struct lw_actor *a, struct lw_act_call *c,
	    const char *ref, char *detail, size_t detlen);

#endif
