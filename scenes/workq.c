/*
 * workq.c - a remote backend's worker thread and its bounded queue
 * (see workq.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "labwarden/workq.h"

struct lw_worker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* a job came, or stop */
	pthread_cond_t idle;		/* a job finished */
	struct lw_backend *be;
	const struct lw_backoff *backoff;
	lw_job_tried tried;
	void	*ctx;
	size_t	 cap;
	struct lw_job *jobs;		/* ring: queued */
	size_t	 jhead, jn;
	struct lw_job_done *done;	/* ring: finished, not taken */
	size_t	 dhead, dn;
	bool	 running, stop, joined;
	uint64_t refused;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t random64(void)
{
	uint64_t r;

	if (getrandom(&r, sizeof r, GRND_NONBLOCK) == (ssize_t)sizeof r)
		return r;
	return mono_ns() * 0x9e3779b97f4a7c15ull;	/* still spread */
}

uint64_t lw_backoff_ms(const struct lw_backoff *b, unsigned attempt,
    uint64_t rnd)
{
	uint64_t ceiling = b->cap_ms;
	unsigned shift = attempt ? attempt - 1 : 0;

	if (shift < 63 && b->base_ms <= (b->cap_ms >> shift))
		ceiling = b->base_ms << shift;
	return rnd % (ceiling + 1);
}

/* Wait ms unless stopped; false when stopped.  Called unlocked. */
static bool pause_ms(struct lw_worker *w, uint64_t ms)
{
	uint64_t end = mono_ns() + ms * 1000000ull;
	struct timespec ts = { (time_t)(end / 1000000000ull),
	    (long)(end % 1000000000ull) };

	pthread_mutex_lock(&w->lock);
	while (!w->stop && mono_ns() < end)
		pthread_cond_timedwait(&w->wake, &w->lock, &ts);
	bool go_on = !w->stop;
	pthread_mutex_unlock(&w->lock);
	return go_on;
}

/* One try of job; restore is "has, else block". */
static enum lw_be_status try_once(struct lw_worker *w, const struct lw_job *j,
    uint64_t seconds, struct lw_be_result *res, bool *was_there)
{
	struct lw_backend *be = w->be;
	enum lw_be_status st;

	memset(res, 0, sizeof *res);
	switch (j->op) {
	case LW_JOB_BLOCK:
		return be->ops->block(be, j->kind, &j->target, seconds, res);
	case LW_JOB_RELEASE:
		return be->ops->release(be, j->kind, &j->target, j->ref, res);
	case LW_JOB_RESTORE:
		st = be->ops->has(be, j->kind, &j->target, j->ref, res);
		*was_there = st == LW_BE_OK;
		if (st != LW_BE_FAIL)
			return st;
		double before = res->latency_ms;
		memset(res, 0, sizeof *res);
		st = be->ops->block(be, j->kind, &j->target, seconds, res);
		res->latency_ms += before;
		return st;
	}
	return LW_BE_FAIL;
}

static void run_job(struct lw_worker *w, const struct lw_job *j,
    struct lw_job_done *d)
{
	unsigned tries = w->be->retries + 1;

	memset(d, 0, sizeof *d);
	d->job = *j;
	for (unsigned attempt = 1; attempt <= tries; attempt++) {
		/* The device's timer must end at until, whatever the wait. */
		uint64_t waited = (mono_ns() - j->queued_mono_ns) / 1000000000ull;
		uint64_t seconds = j->seconds > waited ? j->seconds - waited : 1;
		d->status = try_once(w, j, seconds, &d->res, &d->was_there);
		d->attempts = attempt;
		d->latency_ms += d->res.latency_ms;
		bool final = d->status != LW_BE_RETRY || attempt == tries;
		if (!final && !pause_ms(w, lw_backoff_ms(w->backoff, attempt,
		    random64()))) {
			snprintf(d->res.detail, sizeof d->res.detail, "stopped "
			    "before retry %u", attempt);
			final = true;
		}
		if (w->tried)
			w->tried(w->ctx, j, d->status, &d->res, attempt, final);
		if (final)
			return;
	}
}

static void put_done(struct lw_worker *w, const struct lw_job_done *d)
{
	/* Room is certain: push counted this job against the capacity. */
	w->done[(w->dhead + w->dn) % w->cap] = *d;
	w->dn++;
}

static void *worker_main(void *arg)
{
	struct lw_worker *w = arg;
	struct lw_job job;
	struct lw_job_done d;

	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		if (w->jn == 0) {
			pthread_cond_wait(&w->wake, &w->lock);
			continue;
		}
		job = w->jobs[w->jhead];
		w->jhead = (w->jhead + 1) % w->cap;
		w->jn--;
		w->running = true;
		pthread_mutex_unlock(&w->lock);
		run_job(w, &job, &d);
		pthread_mutex_lock(&w->lock);
		put_done(w, &d);
		w->running = false;
		pthread_cond_broadcast(&w->idle);
	}
	while (w->jn) {		/* stopped: what never ran is abandoned */
		struct lw_job_done gone = { .job = w->jobs[w->jhead],
		    .status = LW_BE_FAIL, .abandoned = true };
		snprintf(gone.res.detail, sizeof gone.res.detail, "abandoned: "
		    "labwarden stopped before it could run");
		w->jhead = (w->jhead + 1) % w->cap;
		w->jn--;
		put_done(w, &gone);
	}
	pthread_cond_broadcast(&w->idle);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct lw_worker *lw_worker_start(struct lw_backend *be, size_t capacity,
    const struct lw_backoff *backoff, lw_job_tried tried, void *ctx,
    char *err, size_t errlen)
{
	struct lw_worker *w = calloc(1, sizeof *w);
	pthread_condattr_t attr;

	if (!w || !capacity || !(w->jobs = calloc(capacity, sizeof *w->jobs)) ||
	    !(w->done = calloc(capacity, sizeof *w->done))) {
		snprintf(err, errlen, "backends.%s: out of memory", be->name);
		if (w) {
			free(w->jobs);
			free(w);
		}
		return NULL;
	}
	w->be = be;
	w->cap = capacity;
	w->backoff = backoff;
	w->tried = tried;
	w->ctx = ctx;
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &attr);
	pthread_cond_init(&w->idle, &attr);
	pthread_condattr_destroy(&attr);
	int rc = pthread_create(&w->thread, NULL, worker_main, w);
	if (rc != 0) {
		snprintf(err, errlen, "backends.%s: no worker thread: %s",
		    be->name, strerror(rc));
		w->joined = true;
		lw_worker_free(w);
		return NULL;
	}
	return w;
}

bool lw_worker_push(struct lw_worker *w, const struct lw_job *job)
{
	pthread_mutex_lock(&w->lock);
	bool room = !w->stop && w->jn + w->dn + (w->running ? 1 : 0) < w->cap;
	if (room) {
		w->jobs[(w->jhead + w->jn) % w->cap] = *job;
		w->jn++;
		pthread_cond_signal(&w->wake);
	} else
		w->refused++;
	pthread_mutex_unlock(&w->lock);
	return room;
}

size_t lw_worker_take(struct lw_worker *w, struct lw_job_done *out,
    size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&w->lock);
	while (w->dn && n < max) {
		out[n++] = w->done[w->dhead];
		w->dhead = (w->dhead + 1) % w->cap;
		w->dn--;
	}
	pthread_mutex_unlock(&w->lock);
	return n;
}

size_t lw_worker_room(struct lw_worker *w)
{
	pthread_mutex_lock(&w->lock);
	size_t used = w->jn + w->dn + (w->running ? 1 : 0);
	size_t room = w->stop || used >= w->cap ? 0 : w->cap - used;
	pthread_mutex_unlock(&w->lock);
	return room;
}

size_t lw_worker_busy(struct lw_worker *w)
{
	pthread_mutex_lock(&w->lock);
	size_t n = w->jn + (w->running ? 1 : 0);
	pthread_mutex_unlock(&w->lock);
	return n;
}

bool lw_worker_wait_idle(struct lw_worker *w, uint64_t timeout_ms)
{
	uint64_t end = mono_ns() + timeout_ms * 1000000ull;
	struct timespec ts = { (time_t)(end / 1000000000ull),
	    (long)(end % 1000000000ull) };

	pthread_mutex_lock(&w->lock);
	while ((w->jn || w->running) && !w->joined && mono_ns() < end)
		if (pthread_cond_timedwait(&w->idle, &w->lock, &ts) ==
		    ETIMEDOUT)
			break;
	bool idle = !w->jn && !w->running;
	pthread_mutex_unlock(&w->lock);
	return idle;
}

void lw_worker_stop(struct lw_worker *w)
{
	if (!w || w->joined)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_broadcast(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	w->joined = true;
}

void lw_worker_free(struct lw_worker *w)
{
	if (!w)
		return;
	lw_worker_stop(w);
	pthread_cond_destroy(&w->wake);
	pthread_cond_destroy(&w->idle);
	pthread_mutex_destroy(&w->lock);
	free(w->jobs);
	free(w->done);
	free(w);
}

uint64_t lw_worker_refused(const struct lw_worker *w)
{
	return w ? __atomic_load_n(&w->refused, __ATOMIC_RELAXED) : 0;
}
