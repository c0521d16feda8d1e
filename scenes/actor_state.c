/*
 * actor_state.c - what the action layer keeps: requests carried out on
 * a local backend or queued to a remote one, outcomes taken on the main
 * thread, expiry, the settling after a restart, and actions.json (see
 * actor.h, actions.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "actor_int.h"
#include "labwarden/statefile.h"

#define TAKE_BATCH	16	/* outcomes taken per worker per round */
#define EXPIRE_BATCH	64	/* expiry releases started per poll */

static void persist(struct lw_actor *a)
{
	char err[512];

	a->dirty = true;
	if (a->state_dir && !lw_actor_save_locked(a, err, sizeof err))
		fprintf(stderr, "labwarden: %s\n", err);
}

static uint64_t seconds_of(const struct lw_act_call *c)
{
	uint64_t ns = c->until_ns > c->start_ns ? c->until_ns - c->start_ns : 0;
	uint64_t s = (ns + LW_NS_PER_SEC - 1) / LW_NS_PER_SEC;

	return s ? s : 1;
}

/* A block is confirmed: record it, or extend the record. */
static void remember(struct lw_actor *a, const struct lw_act_call *c,
    const char *ref)
{
	struct lw_action_rec *r = lw_action_log_find(a->log, c->action,
	    c->target.text, c->backend);

	if (r) {
		if (c->until_ns > r->until_ns)
			r->until_ns = c->until_ns;
		if (*ref)
			snprintf(r->ref, sizeof r->ref, "%s", ref);
		r->releasing = false;
	} else {
		struct lw_action_rec rec = { .id = c->id, .target = c->target,
		    .start_ns = c->start_ns, .until_ns = c->until_ns };
		snprintf(rec.action, sizeof rec.action, "%s", c->action);
		snprintf(rec.backend, sizeof rec.backend, "%s", c->backend);
		snprintf(rec.ref, sizeof rec.ref, "%s", ref);
		snprintf(rec.origin, sizeof rec.origin, "%s", c->origin);
		if (!lw_action_log_add(a->log, &rec))
			fprintf(stderr, "labwarden: %s on %s is in force but "
			    "not recorded: %d actions already\n", c->action,
			    c->target.text, LW_ACTION_LOG_MAX);
	}
	persist(a);
}

static struct lw_action_rec *rec_by_id(struct lw_actor *a, uint64_t id);

/* A release that failed is tried again after 1 min, 2, 4 ... at most
 * an hour: a device that keeps refusing is not asked every minute
 * forever, and one that comes back is asked again soon enough. */
static void retry_release_later(struct lw_actor *a, struct lw_action_rec *r)
{
	unsigned shift = r->release_tries < 6 ? r->release_tries : 6;
	uint64_t wait = LW_ACTOR_RETRY_RELEASE_NS << shift;

	if (wait > 3600ull * 1000000000ull)
		wait = 3600ull * 1000000000ull;
	r->release_tries++;
	r->retry_after_ns = a->now_ns + wait;
}

/*
 * A release is saved at once when the action still had time left (a
 * restart must not put back what a person ended); one that ran out is
 * saved by the next poll, once for a burst of expiries (a restart would
 * only release it again).
 */
static void forget(struct lw_actor *a, uint64_t id)
{
	struct lw_action_rec *r = rec_by_id(a, id);
	bool live = r && r->until_ns > a->now_ns;

	if (!r || !lw_action_log_remove_id(a->log, id))
		return;
	lw_action_log_note_released(a->log, id);
	if (live)
		persist(a);
	else
		a->dirty = true;
}

static const char *run_local(struct lw_actor *a, struct lw_act_call *c,
    const char *ref, char *detail, size_t detlen)
{
	struct lw_backend *be = &c->abe->be;
	struct lw_be_result res;
	bool release = strcmp(c->action, "release") == 0;

	memset(&res, 0, sizeof res);
	enum lw_be_status st = release ?
	    be->ops->release(be, c->kind, &c->target, ref, &res) :
	    be->ops->block(be, c->kind, &c->target, seconds_of(c), &res);
	const char *status = st == LW_BE_OK ? "done" : "failed";
	snprintf(detail, detlen, "%s", res.detail);
	if (st == LW_BE_OK && release)
		forget(a, c->id);
	else if (st == LW_BE_OK)
		remember(a, c, res.ref);
	if (st == LW_BE_OK)
		a->done++;
	else
		a->failed++;
	lw_actor_outcome(a, c, status, detail, &res, 1, res.latency_ms);
	return status;
}

static const char *queue(struct lw_actor *a, struct lw_act_call *c,
    enum lw_job_op op, const char *ref, char *detail, size_t detlen)
{
	struct lw_job j = { .id = c->id, .op = op, .kind = c->kind,
	    .target = c->target, .seconds = seconds_of(c),
	    .start_ns = c->start_ns, .until_ns = c->until_ns,
	    .queued_mono_ns = lw_actor_mono_ns() };

	snprintf(j.backend, sizeof j.backend, "%s", c->abe->be.name);
	snprintf(j.ref, sizeof j.ref, "%s", ref);
	snprintf(j.origin, sizeof j.origin, "%s", c->origin);
	if (!lw_worker_push(c->abe->worker, &j)) {
		a->queue_full++;
		a->failed++;
		snprintf(detail, detlen, "the queue of backends.%s is full "
		    "(actions.queue: %llu): not sent", c->abe->be.name,
		    (unsigned long long)a->cfg->action_queue);
		lw_actor_outcome(a, c, "failed", detail, NULL, 0, 0);
		return "failed";
	}
	if (op == LW_JOB_RELEASE)
		for (size_t i = 0; i < a->log->n; i++)
			if (a->log->recs[i].id == c->id)
				a->log->recs[i].releasing = true;
	snprintf(detail, detlen, "queued to backends.%s", c->abe->be.name);
	return "pending";
}

const char *lw_actor_dispatch(struct lw_actor *a, struct lw_act_call *c,
    const char *ref, char *detail, size_t detlen)
{
	bool release = strcmp(c->action, "release") == 0;

	c->backend = c->abe->be.name;
	if (!lw_actor_be_ready(a, c->abe)) {
		snprintf(detail, detlen, "%s", *c->abe->error ? c->abe->error :
		    "the backend is not open");
		a->failed++;
		lw_actor_outcome(a, c, "failed", detail, NULL, 0, 0);
		return "failed";
	}
	if (c->abe->ops->remote)
		return queue(a, c, release ? LW_JOB_RELEASE : LW_JOB_BLOCK, ref,
		    detail, detlen);
	return run_local(a, c, ref, detail, detlen);
}

/* ---- outcomes from the workers ---- */

static struct lw_action_rec *rec_by_id(struct lw_actor *a, uint64_t id)
{
	for (size_t i = 0; i < a->log->n; i++)
		if (a->log->recs[i].id == id)
			return &a->log->recs[i];
	return NULL;
}

/*
 * A release asked while the block was still queued had no record to
 * name; the block, done before it on the same worker, recorded one
 * since.  The release ended it too: forget every record on its target
 * at its backend that started no later than the release was asked.
 */
static void forget_earlier(struct lw_actor *a, const struct lw_act_call *c)
{
	uint64_t ids[LW_ACTION_LOG_MAX < 64 ? LW_ACTION_LOG_MAX : 64];
	size_t n = 0;

	for (size_t i = 0; i < a->log->n && n < sizeof ids / sizeof ids[0];
	    i++) {
		const struct lw_action_rec *r = &a->log->recs[i];
		if (strcmp(r->backend, c->backend) == 0 &&
		    strcmp(r->target.text, c->target.text) == 0 &&
		    r->start_ns <= c->start_ns)
			ids[n++] = r->id;
	}
	for (size_t i = 0; i < n; i++)
		forget(a, ids[i]);
}

static void job_done(struct lw_actor *a, const struct lw_job_done *d)
{
	const struct lw_job *j = &d->job;
	struct lw_act_call c = { .id = j->id, .kind = j->kind,
	    .target = j->target, .abe = lw_actor_be_find(a, j->backend),
	    .backend = j->backend, .origin = j->origin,
	    .start_ns = j->start_ns, .until_ns = j->until_ns };
	bool ok = d->status == LW_BE_OK;
	char detail[600];
	struct lw_action_rec *rec = rec_by_id(a, j->id);

	c.action = j->op == LW_JOB_RELEASE ? "release" :
	    j->kind == LW_BLOCK_QUARANTINE ? "quarantine" : "lockdown";
	snprintf(detail, sizeof detail, "%s%s", d->was_there ? "in force "
	    "already: " : "", d->res.detail);
	if (j->op == LW_JOB_RELEASE && ok) {
		forget(a, j->id);
		forget_earlier(a, &c);
	}
	else if (j->op == LW_JOB_RELEASE && rec) {	/* try again later */
		rec->releasing = false;
		retry_release_later(a, rec);
	} else if (ok)
		remember(a, &c, d->res.ref);
	if (ok)
		a->done++;
	else
		a->failed++;
	if (d->abandoned)	/* no try was made, so no audit record yet */
		lw_actor_audit_try(a, &c, "failed", detail, NULL, 0);
	lw_actor_outcome_event(a, &c, ok ? "done" : "failed", detail, &d->res,
	    d->attempts, d->latency_ms);
}

static void take_outcomes(struct lw_actor *a)
{
	struct lw_job_done *batch = malloc(TAKE_BATCH * sizeof *batch);
	size_t n;

	if (!batch)
		return;
	for (size_t i = 0; i < a->nbes; i++) {
		if (!a->bes[i].worker)
			continue;
		while ((n = lw_worker_take(a->bes[i].worker, batch,
		    TAKE_BATCH)) > 0)
			for (size_t k = 0; k < n; k++)
				job_done(a, &batch[k]);
	}
	free(batch);
}

void lw_actor_settle_stopped(struct lw_actor *a)
{
	char err[512];

	pthread_mutex_lock(&a->lock);
	take_outcomes(a);
	if (a->dirty && a->state_dir && !lw_actor_save_locked(a, err,
	    sizeof err))
		fprintf(stderr, "labwarden: %s\n", err);
	pthread_mutex_unlock(&a->lock);
}

/* ---- expiry and restarts ---- */

/* End the record with this id through its backend (origin says why). */
static void end_record(struct lw_actor *a, uint64_t id, const char *origin)
{
	struct lw_action_rec *r = rec_by_id(a, id);
	char detail[600], ref[sizeof r->ref];

	if (!r)
		return;
	struct lw_act_call c = { .id = r->id, .action = "release",
	    .target = r->target, .abe = lw_actor_be_find(a, r->backend),
	    .backend = r->backend, .origin = origin, .start_ns = a->now_ns,
	    .kind = strcmp(r->action, "quarantine") == 0 ?
	    LW_BLOCK_QUARANTINE : LW_BLOCK_LOCKDOWN };
	if (!c.abe) {	/* its backend left the config: nothing to ask */
		fprintf(stderr, "labwarden: %s on %s: backends.%s is gone; "
		    "forgotten\n", r->action, r->target.text, r->backend);
		forget(a, id);
		return;
	}
	if (c.abe->worker && lw_worker_room(c.abe->worker) == 0)
		return;		/* the next poll tries again */
	snprintf(ref, sizeof ref, "%s", r->ref);
	if (strcmp(lw_actor_dispatch(a, &c, ref, detail, sizeof detail),
	    "failed") == 0 && (r = rec_by_id(a, id)))
		retry_release_later(a, r);
}

/*
 * What was recorded may be forbidden now: the host was added to
 * networks.protected or actions.never, or became this host's address
 * or a gateway since.  Never put that back: say so and release it.
 */
static bool refused_now(struct lw_actor *a, uint64_t id, const char *origin)
{
	struct lw_action_rec *r = rec_by_id(a, id);
	char detail[600];

	if (!r || !lw_policy_refuses(&a->policy, &r->target, detail,
	    sizeof detail))
		return false;
	struct lw_act_call c = { .id = r->id, .action = r->action,
	    .target = r->target, .abe = lw_actor_be_find(a, r->backend),
	    .backend = r->backend, .origin = origin, .start_ns = a->now_ns,
	    .until_ns = r->until_ns, .kind = strcmp(r->action, "quarantine") ==
	    0 ? LW_BLOCK_QUARANTINE : LW_BLOCK_LOCKDOWN };
	lw_actor_outcome(a, &c, "refused", detail, NULL, 0, 0);
	end_record(a, id, origin);
	return true;
}

/* A restart's checks on remote backends, as their queues have room:
 * the worker asks "has", then blocks for the time left. */
static void feed_restores(struct lw_actor *a)
{
	char detail[600];

	uint64_t refused[EXPIRE_BATCH];
	bool verifying[EXPIRE_BATCH];
	size_t nrefused = 0;

	for (size_t i = 0; i < a->log->n; i++) {
		struct lw_action_rec *r = &a->log->recs[i];
		if (!r->needs_restore)
			continue;
		struct lw_actor_be *abe = lw_actor_be_find(a, r->backend);
		if (!abe || !abe->worker || lw_worker_room(abe->worker) == 0)
			continue;
		r->needs_restore = false;
		if (r->until_ns <= a->now_ns)
			continue;	/* expire() releases it */
		if (lw_policy_refuses(&a->policy, &r->target, detail,
		    sizeof detail)) {	/* after the loop: it changes the log */
			if (nrefused < EXPIRE_BATCH) {
				verifying[nrefused] = r->verifying;
				refused[nrefused++] = r->id;
			} else
				r->needs_restore = true;	/* next poll */
			continue;
		}
		struct lw_act_call c = { .id = r->id, .action = r->action,
		    .target = r->target, .abe = abe, .backend = r->backend,
		    .origin = r->verifying ? "verify" : "restore",
		    .start_ns = a->now_ns,
		    .until_ns = r->until_ns, .kind = strcmp(r->action,
		    "quarantine") == 0 ? LW_BLOCK_QUARANTINE :
		    LW_BLOCK_LOCKDOWN };
		r->verifying = false;
		queue(a, &c, LW_JOB_RESTORE, r->ref, detail, sizeof detail);
	}
	for (size_t i = 0; i < nrefused; i++)
		refused_now(a, refused[i], verifying[i] ? "verify" :
		    "restore");
}

/* What ran out, released: as many as the remote queues have room for
 * (the rest wait for the next poll), EXPIRE_BATCH at most. */
static void expire(struct lw_actor *a)
{
	uint64_t ids[EXPIRE_BATCH];
	size_t n = 0, room[LW_MAX_LISTS];

	for (size_t i = 0; i < a->nbes; i++)
		room[i] = a->bes[i].worker ? lw_worker_room(a->bes[i].worker) :
		    EXPIRE_BATCH;
	for (size_t i = 0; i < a->log->n && n < EXPIRE_BATCH; i++) {
		const struct lw_action_rec *r = &a->log->recs[i];
		if (r->until_ns > a->now_ns || r->releasing ||
		    r->retry_after_ns > a->now_ns)
			continue;
		struct lw_actor_be *abe = lw_actor_be_find(a, r->backend);
		size_t k = abe ? (size_t)(abe - a->bes) : 0;
		if (abe && room[k] == 0)
			continue;
		if (abe)
			room[k]--;
		ids[n++] = r->id;
	}
	for (size_t i = 0; i < n; i++)
		end_record(a, ids[i], "expiry");
}

/* What a restart found, for the one line that says so. */
struct settled {
	unsigned live, reapplied, remote, expired, failed;
};

/* A live record after a restart: put back what the backend lost. */
static void restore(struct lw_actor *a, struct lw_action_rec *r,
    const char *origin, struct settled *s)
{
	struct lw_be_result res;
	char detail[600];
	struct lw_act_call c = { .id = r->id, .action = r->action,
	    .target = r->target, .abe = lw_actor_be_find(a, r->backend),
	    .backend = r->backend, .origin = origin, .start_ns = a->now_ns,
	    .until_ns = r->until_ns, .kind = strcmp(r->action, "quarantine") ==
	    0 ? LW_BLOCK_QUARANTINE : LW_BLOCK_LOCKDOWN };

	s->live++;
	if (!c.abe || !lw_actor_be_ready(a, c.abe)) {
		snprintf(detail, sizeof detail, "%s", c.abe ? c.abe->error :
		    "its backend is no longer configured");
		lw_actor_outcome(a, &c, "failed", detail, NULL, 0, 0);
		s->failed++;
		return;
	}
	if (c.abe->ops->remote) {	/* fed to its worker as room allows */
		r->needs_restore = true;
		s->remote++;
		return;
	}
	memset(&res, 0, sizeof res);
	if (c.abe->ops->has(&c.abe->be, c.kind, &c.target, r->ref, &res) ==
	    LW_BE_OK)
		return;
	if (strcmp(run_local(a, &c, r->ref, detail, sizeof detail),
	    "done") == 0)
		s->reapplied++;
	else
		s->failed++;
}

void lw_actor_reconcile(struct lw_actor *a, uint64_t now_ns)
{
	struct settled s = { 0 };
	size_t n = a->log->n;
	uint64_t *ids = n ? malloc(n * sizeof *ids) : NULL;

	a->reconciled = true;
	if (!ids)
		return;
	for (size_t i = 0; i < n; i++)
		ids[i] = a->log->recs[i].id;
	for (size_t i = 0; i < n; i++) {
		struct lw_action_rec *r = rec_by_id(a, ids[i]);
		if (r && r->until_ns <= now_ns) {
			s.expired++;
			end_record(a, ids[i], "restore");
		} else if (r && !refused_now(a, ids[i], "restore"))
			restore(a, r, "restore", &s);
	}
	free(ids);
	fprintf(stderr, "labwarden: actions from the last run: %u live (%u "
	    "put back with their time left, %u being checked by remote "
	    "backends), %u expired and released%s\n", s.live, s.reapplied,
	    s.remote, s.expired, s.failed ? "; some could not be put back" :
	    "");
}

/* ---- actions.json ---- */

static bool file_mtime(const char *dir, struct timespec *out)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof path, "%s/%s", dir, LW_ACTIONS_FILE);
	if (stat(path, &st) != 0)
		return false;
	*out = st.st_mtim;
	return true;
}

/* `labwarden release` ended records while we ran: drop them. */
static void merge_released(struct lw_actor *a)
{
	struct timespec now;
	size_t i;
	json_t *id;

	if (!file_mtime(a->state_dir, &now) ||
	    (now.tv_sec == a->saved_mtime.tv_sec &&
	    now.tv_nsec == a->saved_mtime.tv_nsec))
		return;
	a->saved_mtime = now;
	json_t *doc = lw_state_read(a->state_dir, LW_ACTIONS_FILE, "actions");
	json_t *next = json_object_get(doc, "next_id");
	if (json_is_integer(next) && json_integer_value(next) > 0 &&
	    (uint64_t)json_integer_value(next) > a->log->next_id)
		a->log->next_id = (uint64_t)json_integer_value(next);
	json_array_foreach(json_object_get(doc, "released"), i, id) {
		struct lw_action_rec *r = json_is_integer(id) ? rec_by_id(a,
		    (uint64_t)json_integer_value(id)) : NULL;
		if (!r)
			continue;
		struct lw_act_call c = { .id = r->id, .action = "release",
		    .target = r->target, .backend = r->backend,
		    .abe = lw_actor_be_find(a, r->backend), .origin = "cli",
		    .start_ns = a->now_ns };
		lw_actor_outcome_event(a, &c, "done", "released by `labwarden "
		    "release`", NULL, 0, 0);
		lw_action_log_remove_id(a->log, r->id);
		a->dirty = true;
	}
	json_decref(doc);
}

bool lw_actor_save_locked(struct lw_actor *a, char *err, size_t errlen)
{
	if (!a->state_dir || !a->act)
		return true;
	merge_released(a);
	json_t *doc = lw_action_log_to_json(a->log);
	/* the MQTT pause switch outlives a restart */
	json_object_set_new(doc, "paused", json_boolean(a->paused));
	bool ok = lw_state_write(a->state_dir, LW_ACTIONS_FILE, doc, err,
	    errlen);
	json_decref(doc);
	if (ok) {
		file_mtime(a->state_dir, &a->saved_mtime);
		a->dirty = false;
	}
	return ok;
}

void lw_actor_load(struct lw_actor *a)
{
	unsigned skipped = 0;

	if (!a->state_dir)
		return;
	json_t *doc = lw_state_read(a->state_dir, LW_ACTIONS_FILE, "actions");
	if (doc) {
		lw_action_log_from_json(a->log, doc, &skipped);
		a->paused = json_is_true(json_object_get(doc, "paused"));
	}
	json_decref(doc);
	if (skipped)
		fprintf(stderr, "labwarden: %s/%s: %u entries that do not "
		    "parse were skipped\n", a->state_dir, LW_ACTIONS_FILE,
		    skipped);
	file_mtime(a->state_dir, &a->saved_mtime);
}

/*
 * Every actions.verify_every of sensor time, ask each backend whether
 * what it holds for us is still there and put back what it lost: a
 * router that rebooted forgets its address-list timeouts, a firewall
 * reload empties sets.  Local backends are asked here, remote ones
 * through their workers (feed_restores).
 */
static void verify_live(struct lw_actor *a)
{
	struct settled s = { 0 };
	uint64_t every = a->cfg->action_verify_ns;

	if (!every || a->one_shot || !a->reconciled)
		return;
	if (!a->next_verify_ns) {
		a->next_verify_ns = a->now_ns + every;
		return;
	}
	if (a->now_ns < a->next_verify_ns)
		return;
	a->next_verify_ns = a->now_ns + every;
	if (a->state_dir)	/* a `labwarden release` is not a loss */
		merge_released(a);
	size_t n = a->log->n;	/* ids first: a local re-apply or a
				 * refusal changes the log */
	uint64_t *ids = n ? malloc(n * sizeof *ids) : NULL;
	for (size_t i = 0; ids && i < n; i++)
		ids[i] = a->log->recs[i].id;
	for (size_t i = 0; ids && i < n; i++) {
		struct lw_action_rec *r = rec_by_id(a, ids[i]);
		struct lw_actor_be *abe = r ? lw_actor_be_find(a, r->backend) :
		    NULL;
		if (!r || r->until_ns <= a->now_ns || r->releasing || !abe ||
		    refused_now(a, ids[i], "verify"))
			continue;
		if (abe->worker) {
			r->needs_restore = r->verifying = true;
			continue;
		}
		restore(a, r, "verify", &s);
	}
	free(ids);
	if (s.reapplied || s.failed)
		fprintf(stderr, "labwarden: verify: %u of %u live actions were "
		    "lost by their backend and put back%s\n", s.reapplied,
		    s.live, s.failed ? "; some could not be" : "");
}

/* ---- the main thread's calls ---- */

static void poll_locked(struct lw_actor *a, uint64_t now_ns)
{
	uint64_t mono = lw_actor_mono_ns();

	if (now_ns > a->now_ns)
		a->now_ns = now_ns;
	if (!a->reconciled && a->now_ns)
		lw_actor_reconcile(a, a->now_ns);
	take_outcomes(a);
	verify_live(a);
	feed_restores(a);
	if (a->now_ns && !a->one_shot)
		expire(a);
	if (mono - a->host_read_mono_ns >= LW_ACTOR_HOST_EVERY_NS) {
		a->host_read_mono_ns = mono;
		lw_policy_read_host(&a->policy);
	}
	if (a->state_dir && mono - a->file_check_mono_ns >=
	    LW_ACTOR_FILE_EVERY_NS) {
		a->file_check_mono_ns = mono;
		merge_released(a);
	}
	if (a->dirty)
		persist(a);
}

void lw_actor_poll(struct lw_actor *a, uint64_t now_ns)
{
	if (!a || !a->act)
		return;
	pthread_mutex_lock(&a->lock);
	poll_locked(a, now_ns);
	json_t *events = a->outbox;
	a->outbox = json_array();
	size_t nl = a->nlisteners;
	pthread_mutex_unlock(&a->lock);
	size_t i;
	json_t *ev;
	json_array_foreach(events, i, ev) {	/* outside the lock */
		for (size_t k = 0; k < nl; k++)
			a->listeners[k].fn(a->listeners[k].ctx, ev);
		if (a->writer && lw_writer_wants(a->writer, LW_EV_ACTION))
			lw_writer_put(a->writer, json_incref(ev));
	}
	json_decref(events);
}

void lw_actor_drain(struct lw_actor *a, uint64_t timeout_ms)
{
	uint64_t end = lw_actor_mono_ns() + timeout_ms * 1000000ull;

	if (!a || !a->act)
		return;
	for (size_t i = 0; i < a->nbes; i++) {
		uint64_t now = lw_actor_mono_ns();
		if (a->bes[i].worker && now < end)
			lw_worker_wait_idle(a->bes[i].worker,
			    (end - now) / 1000000);
	}
	lw_actor_poll(a, a->now_ns);
}

bool lw_actor_save(struct lw_actor *a, char *err, size_t errlen)
{
	if (!a || !a->act)
		return true;
	pthread_mutex_lock(&a->lock);
	bool ok = lw_actor_save_locked(a, err, errlen);
	pthread_mutex_unlock(&a->lock);
	return ok;
}

json_t *lw_actor_active(const struct lw_actor *ca)
{
	struct lw_actor *a = (struct lw_actor *)(uintptr_t)ca;
	json_t *list = json_array();

	if (!a || !a->act)
		return list;
	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < a->log->n; i++)
		json_array_append_new(list, lw_action_rec_json(
		    &a->log->recs[i]));
	pthread_mutex_unlock(&a->lock);
	return list;
}

void lw_actor_print(const struct lw_actor *a, FILE *out)
{
	if (!a || !a->act)
		return;
	fprintf(out, "  actions: %llu done, %llu failed (%llu on a full "
	    "queue), %llu refused, %zu in force\n",
	    (unsigned long long)a->done, (unsigned long long)a->failed,
	    (unsigned long long)a->queue_full,
	    (unsigned long long)a->refused, a->log->n);
}
