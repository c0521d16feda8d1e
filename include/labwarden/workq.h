/*
 * workq.h - one worker thread per remote backend, behind a bounded queue.
 *
 * The action layer hands a job (block, release, or restore: "block only
 * if it is not there") to the backend's worker and goes on; the worker
 * calls the backend, retries LW_BE_RETRY with exponential backoff and
 * full jitter (a random wait in [0, min(cap, base * 2^attempt)), from
 * getrandom), and leaves the outcome for the main thread to take.
 *
 * Bounds: queued jobs + the one being run + outcomes not yet taken never
 * exceed the capacity, so a full queue is refused at once (never a
 * wait) and memory stays fixed whatever the network does.  A backoff
 * wait ends early when the worker is stopped; a request in flight ends
 * by the backend's own timeout.
 */
#ifndef LABWARDEN_WORKQ_H
#define LABWARDEN_WORKQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "labwarden/backend.h"

enum lw_job_op { LW_JOB_BLOCK, LW_JOB_RELEASE, LW_JOB_RESTORE };

struct lw_job {
	uint64_t id;			/* the action's id */
	char	 backend[64];		/* its name under backends: */
	enum lw_job_op op;
	enum lw_block_kind kind;
	struct lw_target target;
	char	 ref[128];		/* release: the backend's entry id */
	char	 origin[80];
	uint64_t seconds;		/* block/restore: duration asked */
	uint64_t start_ns, until_ns;	/* the sensor's clock */
	uint64_t queued_mono_ns;	/* monotonic clock at submit */
};

struct lw_job_done {
	struct lw_job job;
	enum lw_be_status status;	/* of the last try */
	struct lw_be_result res;	/* of the last try */
	unsigned attempts;
	double	 latency_ms;		/* over every try */
	bool	 abandoned;		/* stopped before it could run */
	bool	 was_there;		/* restore: it was in force already */
};

/* Told after every try (any thread: the worker's): for the audit log. */
typedef void (*lw_job_tried)(void *ctx, const struct lw_job *job,
	    enum lw_be_status status, const struct lw_be_result *res,
	    unsigned attempt, bool final);

struct lw_backoff {
	uint64_t base_ms;		/* the first wait at most (1 s) */
	uint64_t cap_ms;		/* no wait longer (30 s) */
};

struct lw_worker;

/* be stays the caller's; it is used only by the worker thread from now
 * until lw_worker_stop().  backoff too is the caller's, read at every
 * retry. */
struct lw_worker *lw_worker_start(struct lw_backend *be, size_t capacity,
	    const struct lw_backoff *backoff, lw_job_tried tried, void *ctx,
	    char *err, size_t errlen);
/* Queue a job; false (nothing queued) when at capacity. */
bool	 lw_worker_push(struct lw_worker *w, const struct lw_job *job);
/* Take up to max finished jobs; how many. */
size_t	 lw_worker_take(struct lw_worker *w, struct lw_job_done *out,
	    size_t max);
/* How many more jobs lw_worker_push would take now. */
size_t	 lw_worker_room(struct lw_worker *w);
/* Jobs queued or running (outcomes waiting are not counted). */
size_t	 lw_worker_busy(struct lw_worker *w);
/* Wait until nothing is queued or running, at most timeout_ms; true
 * when idle. */
bool	 lw_worker_wait_idle(struct lw_worker *w, uint64_t timeout_ms);
/* Stop: jobs not started become abandoned outcomes (taken afterwards);
 * waits for the one in flight, then joins the thread. */
void	 lw_worker_stop(struct lw_worker *w);
/* Take what is left and free. */
void	 lw_worker_free(struct lw_worker *w);
/* How many jobs were refused because the queue was full. */
uint64_t lw_worker_refused(const struct lw_worker *w);

/* The wait before retry number attempt (1 = the first retry), given a
 * random 64-bit value: uniform in [0, min(cap, base * 2^(attempt-1))]. */
uint64_t lw_backoff_ms(const struct lw_backoff *b, unsigned attempt,
	    uint64_t rnd);

#endif
