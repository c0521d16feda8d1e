/*
 * keys.c - the rotator (keys.h): requests from scenes, the CLI and MQTT
 * go into a bounded queue that one worker thread empties, so nobody on
 * the capture path ever waits on Vault or a router.  Results come back
 * through a second ring, sized with the first so the worker never
 * blocks: a request is taken only while queued + running + unread
 * results stay under LW_KEYS_QUEUE.
 *
 * lw_keys_poll() on the main thread turns results into `key_rotation`
 * events and audit records, starts each replaced version's grace period
 * and queues the destruction of those whose period ended by the sensor's
 * clock.  A failed destruction is tried again later (up to
 * KEY_GRACE_TRIES times), then left to a person with an event saying so.
 *
 * At exit lw_keys_stop() refuses new requests, fails the queued ones
 * and ends the request under way at once (key_abort, keys_int.h), so a
 * hung Vault or router never holds the process: the rotation fails as
 * "interrupted by shutdown" and leaves the old key in force.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keys_int.h"
#include "labwarden/audit.h"

#define MAX_LISTENERS	4
#define RETRY_BASE_NS	(60 * LW_NS_PER_SEC)	/* doubled at each failure */

struct key_slot {
	struct key_conf conf;
	struct keystore store;		/* worker only */
	bool	 store_open;
	bool	 busy;			/* a rotation queued or running */
	bool	 requested;		/* last_ns is set */
	uint64_t last_ns;		/* last rotation request (clock) */
};

struct lw_keys {
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* worker: a job came, or stop */
	pthread_cond_t done;		/* drain: a result came */
	pthread_t worker;
	bool	 inited, started, stop, worker_done;
	struct key_abort abort;		/* shutdown's hold on requests */

	struct key_slot *slots;
	size_t	 n;
	struct key_job jobs[LW_KEYS_QUEUE];
	unsigned jhead, jcount, running;
	struct key_result *results;	/* LW_KEYS_QUEUE of them */
	unsigned rhead, rcount;
	uint64_t next_id;

	bool	 act;
	struct lw_writer *writer;
	struct lw_audit *audit;
	struct key_grace grace;		/* main thread only */
	struct { lw_keys_listener fn; void *ctx; } listeners[MAX_LISTENERS];
	unsigned nlisteners;
	uint64_t rotated, failed, destroyed, destroy_failed;
};

static bool http_started;

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- shutdown's hold on the worker's requests ---- */

bool key_abort_stopping(struct key_abort *ab)
{
	if (!ab)
		return false;
	pthread_mutex_lock(&ab->lock);
	bool stopping = ab->stopping;
	pthread_mutex_unlock(&ab->lock);
	return stopping;
}

void key_abort_undo(struct key_abort *ab)
{
	if (!ab)
		return;
	pthread_mutex_lock(&ab->lock);
	ab->undo_until_ms = mono_ms() + KEY_UNDO_MS;
	__atomic_store_n(&ab->now, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&ab->lock);
}

/* Main thread, while stopping: end requests now unless an undo still
 * has time.  Called again and again while waiting for the worker. */
static void abort_arm(struct key_abort *ab)
{
	pthread_mutex_lock(&ab->lock);
	if (ab->stopping && (!ab->undo_until_ms ||
	    mono_ms() >= ab->undo_until_ms))
		__atomic_store_n(&ab->now, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&ab->lock);
}

/* Worker, after each job: the next one gets no undo time. */
static void abort_job_done(struct key_abort *ab)
{
	pthread_mutex_lock(&ab->lock);
	ab->undo_until_ms = 0;
	if (ab->stopping)
		__atomic_store_n(&ab->now, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&ab->lock);
}

/* ---- the worker ---- */

static bool open_store(struct key_slot *slot, struct key_result *res)
{
	char why[512] = "";

	if (slot->store_open)
		return true;
	slot->store.kc = &slot->conf;
	slot->store.ops = slot->conf.store == KEY_STORE_VAULT ?
	    &keystore_vault_ops : &keystore_file_ops;
	if (!slot->store.ops->open(&slot->store, why, sizeof why)) {
		res->ok = false;
		snprintf(res->detail, sizeof res->detail, "opening the store: "
		    "%s; nothing changed", why);
		return false;
	}
	slot->store_open = true;
	return true;
}

static void *worker_main(void *arg)
{
	struct lw_keys *keys = arg;
	struct key_result *res = malloc(sizeof *res);

	pthread_mutex_lock(&keys->lock);
	while (!keys->stop) {
		if (keys->jcount == 0) {
			pthread_cond_wait(&keys->wake, &keys->lock);
			continue;
		}
		struct key_job job = keys->jobs[keys->jhead];
		keys->jhead = (keys->jhead + 1) % LW_KEYS_QUEUE;
		keys->jcount--;
		keys->running++;
		pthread_mutex_unlock(&keys->lock);

		struct key_slot *slot = &keys->slots[job.key];
		if (res && key_abort_stopping(&keys->abort)) {
			memset(res, 0, sizeof *res);
			res->job = job;
			snprintf(res->detail, sizeof res->detail, "not started; "
			    "nothing changed");
		} else if (res) {
			memset(res, 0, sizeof *res);
			res->job = job;
			if (open_store(slot, res))
				key_run_job(&slot->conf, &slot->store, &job, res);
		}
		if (res)
			key_mark_interrupted(&slot->conf, res);
		abort_job_done(&keys->abort);

		pthread_mutex_lock(&keys->lock);
		keys->running--;
		if (res) {	/* room is certain: see lw_keys_request */
			unsigned at = (keys->rhead + keys->rcount) %
			    LW_KEYS_QUEUE;
			keys->results[at] = *res;
			keys->rcount++;
			explicit_bzero(res, sizeof *res);
		}
		pthread_cond_broadcast(&keys->done);
	}
	keys->worker_done = true;
	pthread_cond_broadcast(&keys->done);
	pthread_mutex_unlock(&keys->lock);
	free(res);
	return NULL;
}

/* Room for one more job: queued + running + unread results. */
static bool room(const struct lw_keys *keys)
{
	return keys->jcount + keys->running + keys->rcount < LW_KEYS_QUEUE;
}

/* Queue job (lock held).  False when full. */
static bool enqueue(struct lw_keys *keys, struct key_job *job)
{
	if (!room(keys))
		return false;
	job->id = ++keys->next_id;
	keys->jobs[(keys->jhead + keys->jcount) % LW_KEYS_QUEUE] = *job;
	keys->jcount++;
	pthread_cond_signal(&keys->wake);
	return true;
}

/* ---- events and audit records ---- */

static json_t *result_event(const struct lw_keys *keys,
    const struct key_result *res)
{
	const struct key_conf *kc = &keys->slots[res->job.key].conf;
	bool rotate = res->job.step == KEY_STEP_ROTATE;
	json_t *ev = lw_event_new(LW_EV_KEY_ROTATION, res->job.now_ns);

	json_object_set_new(ev, "key", json_string(kc->name));
	json_object_set_new(ev, "store", json_string(key_store_name(kc)));
	json_object_set_new(ev, "step", json_string(rotate ? "rotate" :
	    "destroy"));
	json_object_set_new(ev, "status", json_string(res->ok ? "done" :
	    "failed"));
	if (res->version)
		json_object_set_new(ev, "version", json_integer((json_int_t)
		    res->version));
	if (rotate && res->ok && res->previous)
		json_object_set_new(ev, "previous_version", json_integer(
		    (json_int_t)res->previous));
	if (res->fingerprint[0])
		json_object_set_new(ev, "fingerprint",
		    json_string(res->fingerprint));
	json_object_set_new(ev, "origin", json_string(res->job.origin));
	json_object_set_new(ev, "detail", json_string(res->detail));
	return ev;
}

static void audit(struct lw_keys *keys, const json_t *ev,
    const struct key_result *res)
{
	char where[KEY_PATH_MAX + 64], clock[LW_TIME_STRLEN];
	const char *ts = json_string_value(json_object_get(ev, "ts"));

	if (!keys->audit)
		return;
	json_t *rec = json_deep_copy(ev);
	json_object_del(rec, "ts");	/* the audit log's own: wall time */
	json_object_del(rec, "type");
	json_object_set_new(rec, "kind", json_string("key_rotation"));
	json_object_set_new(rec, "clock", json_string(ts ? ts :
	    lw_time_format(res->job.now_ns, clock, sizeof clock)));
	key_conf_where(&keys->slots[res->job.key].conf, where, sizeof where);
	json_object_set_new(rec, "where", json_string(where));
	json_t *reqs = json_array();
	for (unsigned i = 0; i < res->log.n; i++)
		json_array_append_new(reqs, json_string(res->log.req[i]));
	json_object_set_new(rec, "requests", reqs);
	json_object_set_new(rec, "http_status", json_integer(
	    res->log.last_status));
	json_object_set_new(rec, "latency_ms", json_real(res->log.latency_ms));
	lw_audit_write(keys->audit, rec);
}

static void publish(struct lw_keys *keys, json_t *ev)
{
	for (unsigned i = 0; i < keys->nlisteners; i++)
		keys->listeners[i].fn(keys->listeners[i].ctx, ev);
	if (keys->writer && lw_writer_wants(keys->writer, LW_EV_KEY_ROTATION))
		lw_writer_put(keys->writer, ev);
	else
		json_decref(ev);
}

static void save_grace(struct lw_keys *keys)
{
	char err[512];

	if (!key_grace_save(&keys->grace, err, sizeof err))
		fprintf(stderr, "labwarden: keys: %s\n", err);
}

/* The versions a result leaves behind wait for their grace period. */
static void start_grace(struct lw_keys *keys, const struct key_result *res)
{
	const struct key_conf *kc = &keys->slots[res->job.key].conf;

	for (unsigned i = 0; i < res->nsuperseded; i++)
		if (!key_grace_add(&keys->grace, kc->name, key_store_name(kc),
		    res->superseded[i], res->job.now_ns + kc->grace_ns))
			fprintf(stderr, "labwarden: keys: %s: too many old "
			    "versions waiting; version %llu is not destroyed "
			    "automatically\n", kc->name,
			    (unsigned long long)res->superseded[i]);
	if (res->nsuperseded)
		save_grace(keys);
}

/* A destruction ended: forget the version, or try again later. */
static void end_destroy(struct lw_keys *keys, struct key_result *res,
    uint64_t now_ns)
{
	const struct key_conf *kc = &keys->slots[res->job.key].conf;
	struct key_pending *p = key_grace_find(&keys->grace, kc->name,
	    res->job.version);

	if (!p)
		return;
	p->queued = false;
	if (res->interrupted)
		return;		/* not an attempt: tried again next start */
	if (!res->ok && ++p->attempts < KEY_GRACE_TRIES) {
		p->next_ns = now_ns + (RETRY_BASE_NS << p->attempts);
		return;
	}
	if (!res->ok) {
		size_t n = strlen(res->detail);
		snprintf(res->detail + n, sizeof res->detail - n, "; gave up "
		    "after %u attempts: destroy it by hand", p->attempts);
	}
	key_grace_remove(&keys->grace, p);
	save_grace(keys);
}

/*
 * Versions a write destroyed before their grace period ended (the file
 * store keeps one previous version): out of keys.json, and a `destroy`
 * event and audit record each, as if their destruction had come due.
 */
static void report_dropped(struct lw_keys *keys, const struct key_result *res)
{
	const struct key_conf *kc = &keys->slots[res->job.key].conf;

	for (unsigned i = 0; i < res->ndropped && i < 2; i++) {
		uint64_t version = res->dropped[i];
		struct key_pending *p = key_grace_find(&keys->grace, kc->name,
		    version);
		if (p) {
			key_grace_remove(&keys->grace, p);
			save_grace(keys);
		}
		struct key_result *d = calloc(1, sizeof *d);
		if (!d)
			continue;
		d->job = res->job;
		d->job.step = KEY_STEP_DESTROY;
		d->job.version = version;
		d->ok = true;
		d->version = version;
		snprintf(d->detail, sizeof d->detail, "version %llu destroyed "
		    "early: the file store keeps one previous version, and a "
		    "newer write replaced it", (unsigned long long)version);
		keys->destroyed++;
		json_t *ev = result_event(keys, d);
		audit(keys, ev, d);
		publish(keys, ev);
		free(d);
	}
}

static void take_result(struct lw_keys *keys, struct key_result *res,
    uint64_t now_ns)
{
	bool rotate = res->job.step == KEY_STEP_ROTATE;

	if (rotate) {
		pthread_mutex_lock(&keys->lock);
		keys->slots[res->job.key].busy = false;
		pthread_mutex_unlock(&keys->lock);
		start_grace(keys, res);
		if (res->ok)
			keys->rotated++;
		else
			keys->failed++;
	} else {
		end_destroy(keys, res, now_ns);
		if (res->ok)
			keys->destroyed++;
		else
			keys->destroy_failed++;
	}
	json_t *ev = result_event(keys, res);
	audit(keys, ev, res);
	publish(keys, ev);
	report_dropped(keys, res);
}

/* Queue the destruction of every version whose grace period ended. */
static void queue_due(struct lw_keys *keys, uint64_t now_ns)
{
	if (key_abort_stopping(&keys->abort))
		return;
	for (size_t i = 0; i < keys->grace.n; i++) {
		struct key_pending *p = &keys->grace.items[i];
		if (p->queued || p->due_ns > now_ns || p->next_ns > now_ns)
			continue;
		size_t k;
		for (k = 0; k < keys->n; k++)
			if (strcmp(keys->slots[k].conf.name, p->key) == 0)
				break;
		/* A key no longer configured, or moved to another store:
		 * left in keys.json for a person to see. */
		if (k == keys->n || strcmp(p->store,
		    key_store_name(&keys->slots[k].conf)) != 0)
			continue;
		struct key_job job = { .step = KEY_STEP_DESTROY, .key = k,
		    .now_ns = now_ns, .version = p->version };
		snprintf(job.origin, sizeof job.origin, "grace");
		pthread_mutex_lock(&keys->lock);
		p->queued = enqueue(keys, &job);
		pthread_mutex_unlock(&keys->lock);
	}
}

/* ---- the interface ---- */

void lw_keys_poll(struct lw_keys *keys, uint64_t now_ns)
{
	struct key_result *res;

	if (!keys)
		return;
	for (;;) {
		pthread_mutex_lock(&keys->lock);
		if (keys->rcount == 0) {
			pthread_mutex_unlock(&keys->lock);
			break;
		}
		res = &keys->results[keys->rhead];
		pthread_mutex_unlock(&keys->lock);
		/* The slot stays ours until rcount drops: the worker only
		 * writes past the unread ones. */
		take_result(keys, res, now_ns);
		explicit_bzero(res, sizeof *res);
		pthread_mutex_lock(&keys->lock);
		keys->rhead = (keys->rhead + 1) % LW_KEYS_QUEUE;
		keys->rcount--;
		pthread_mutex_unlock(&keys->lock);
	}
	queue_due(keys, now_ns);
}

/* Anything queued, running or unread?  (Versions that became due were
 * queued by the last poll.) */
static bool busy(struct lw_keys *keys)
{
	pthread_mutex_lock(&keys->lock);
	bool b = keys->jcount || keys->running || keys->rcount;
	pthread_mutex_unlock(&keys->lock);
	for (size_t i = 0; !b && i < keys->grace.n; i++)
		b = keys->grace.items[i].queued;
	return b;
}

void lw_keys_stop(struct lw_keys *keys)
{
	if (!keys || !keys->inited)
		return;
	pthread_mutex_lock(&keys->abort.lock);
	keys->abort.stopping = true;
	pthread_mutex_unlock(&keys->abort.lock);
	abort_arm(&keys->abort);
}

void lw_keys_drain(struct lw_keys *keys, uint64_t now_ns, uint64_t timeout_ms)
{
	lw_keys_drain_unless(keys, now_ns, timeout_ms, NULL);
}

/* A deadline for pthread_cond_timedwait: 50 ms from now. */
static struct timespec in_50ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_nsec += 50 * 1000000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	return t;
}


void lw_keys_drain_unless(struct lw_keys *keys, uint64_t now_ns,
    uint64_t timeout_ms, const volatile sig_atomic_t *interrupted)
{
	bool stopped = false;

	if (!keys)
		return;
	uint64_t end = mono_ms() + timeout_ms;
	lw_keys_poll(keys, now_ns);
	while (busy(keys) && mono_ms() < end) {
		if (interrupted && *interrupted && !stopped) {
			/* What is left gets its undo time, no more. */
			lw_keys_stop(keys);
			stopped = true;
			if (end > mono_ms() + KEY_UNDO_MS + 500)
				end = mono_ms() + KEY_UNDO_MS + 500;
		}
		if (keys->inited)
			abort_arm(&keys->abort);
		struct timespec until = in_50ms();
		pthread_mutex_lock(&keys->lock);
		if (keys->rcount == 0)
			pthread_cond_timedwait(&keys->done, &keys->lock,
			    &until);
		pthread_mutex_unlock(&keys->lock);
		lw_keys_poll(keys, now_ns);
	}
}

static void audit_refusal(struct lw_keys *keys, const struct key_slot *slot,
    const char *origin, uint64_t now_ns, const char *status,
    const char *detail)
{
	char clock[LW_TIME_STRLEN];

	if (!keys->audit)
		return;
	lw_audit_write(keys->audit, json_pack("{s:s, s:s, s:s, s:s, s:s, "
	    "s:s, s:s, s:s}", "kind", "key_rotation", "key", slot->conf.name,
	    "store", key_store_name(&slot->conf), "step", "rotate", "status",
	    status, "origin", origin, "detail", detail, "clock",
	    lw_time_format(now_ns, clock, sizeof clock)));
}

const char *lw_keys_request(struct lw_keys *keys, const char *name,
    const char *origin, uint64_t now_ns, char *detail, size_t detaillen)
{
	size_t k;

	detail[0] = '\0';
	if (!keys || !keys->act)
		return "dry-run";
	if (key_abort_stopping(&keys->abort)) {
		snprintf(detail, detaillen, "%s: shutting down", name ? name :
		    "");
		return "refused";
	}
	for (k = 0; name && k < keys->n; k++)
		if (strcmp(keys->slots[k].conf.name, name) == 0)
			break;
	if (!name || k == keys->n) {
		snprintf(detail, detaillen, "no key named '%s' under keys:",
		    name ? name : "");
		return "failed";
	}
	struct key_slot *slot = &keys->slots[k];
	struct key_job job = { .step = KEY_STEP_ROTATE, .key = k,
	    .now_ns = now_ns };
	snprintf(job.origin, sizeof job.origin, "%s", origin ? origin : "?");
	const char *status = "pending";
	pthread_mutex_lock(&keys->lock);
	if (slot->busy) {
		status = "refused";
		snprintf(detail, detaillen, "%s: a rotation is under way", name);
	} else if (slot->requested && now_ns < slot->last_ns +
	    slot->conf.min_interval_ns) {
		status = "refused";
		snprintf(detail, detaillen, "%s: rotated %llu s ago; "
		    "keys.%s.min_interval is %llu s", name, (unsigned long long)
		    ((now_ns - slot->last_ns) / LW_NS_PER_SEC), name,
		    (unsigned long long)(slot->conf.min_interval_ns /
		    LW_NS_PER_SEC));
	} else if (!enqueue(keys, &job)) {
		status = "failed";
		snprintf(detail, detaillen, "%s: the rotation queue is full",
		    name);
	} else {
		slot->busy = true;
		slot->requested = true;
		slot->last_ns = now_ns;
		snprintf(detail, detaillen, "%s", name);
	}
	pthread_mutex_unlock(&keys->lock);
	if (strcmp(status, "pending") != 0)
		audit_refusal(keys, slot, job.origin, now_ns, status, detail);
	return status;
}

struct lw_keys *lw_keys_new(const struct lw_config *cfg,
    struct lw_writer *writer, bool act, const char *state_dir, char *err,
    size_t errlen)
{
	struct lw_keys *keys = calloc(1, sizeof *keys);
	struct key_conf *vault = calloc(1, sizeof *vault);
	struct lw_diag diag;

	lw_diag_init(&diag);
	if (!keys || !vault || !(keys->slots = calloc(cfg->nkeys + 1,
	    sizeof *keys->slots)) || !(keys->results = calloc(LW_KEYS_QUEUE,
	    sizeof *keys->results))) {
		snprintf(err, errlen, "keys: out of memory");
		goto fail;
	}
	pthread_mutex_init(&keys->lock, NULL);
	pthread_cond_init(&keys->wake, NULL);
	pthread_cond_init(&keys->done, NULL);
	pthread_mutex_init(&keys->abort.lock, NULL);
	keys->inited = true;
	keys->act = act;
	keys->writer = writer;
	key_vault_read(cfg, vault, &diag);
	for (size_t i = 0; i < cfg->nkeys; i++)
		key_conf_read(cfg, i, vault, &keys->slots[keys->n++].conf,
		    &diag);
	for (size_t i = 0; i < keys->n; i++)
		keys->slots[i].conf.abort = &keys->abort;
	if (diag.count) {
		snprintf(err, errlen, "%s", diag.msgs[0]);
		goto fail;
	}
	if (!act)
		goto done;
	key_grace_load(&keys->grace, state_dir);
	if (!(keys->audit = lw_audit_open(state_dir, 0, 0, err, errlen)))
		goto fail;
	if (!http_started)
		http_started = lw_http_global_init();
	if (pthread_create(&keys->worker, NULL, worker_main, keys) != 0) {
		snprintf(err, errlen, "keys: cannot start a thread: %s",
		    strerror(errno));
		goto fail;
	}
	keys->started = true;
done:
	free(vault);
	lw_diag_free(&diag);
	return keys;
fail:
	free(vault);
	lw_diag_free(&diag);
	lw_keys_free(keys);
	return NULL;
}

void lw_keys_free(struct lw_keys *keys)
{
	if (!keys)
		return;
	if (keys->started) {
		/* A job under way ends now (its undo within KEY_UNDO_MS). */
		lw_keys_stop(keys);
		pthread_mutex_lock(&keys->lock);
		keys->stop = true;
		pthread_cond_signal(&keys->wake);
		while (!keys->worker_done) {
			struct timespec until = in_50ms();
			pthread_cond_timedwait(&keys->done, &keys->lock,
			    &until);
			pthread_mutex_unlock(&keys->lock);
			abort_arm(&keys->abort);
			pthread_mutex_lock(&keys->lock);
		}
		pthread_mutex_unlock(&keys->lock);
		pthread_join(keys->worker, NULL);
	}
	if (keys->inited) {
		pthread_mutex_destroy(&keys->abort.lock);
		pthread_mutex_destroy(&keys->lock);
		pthread_cond_destroy(&keys->wake);
		pthread_cond_destroy(&keys->done);
	}
	if (keys->grace.n && !keys->grace.dir[0])
		fprintf(stderr, "labwarden: keys: %zu old version(s) still in "
		    "their grace period are not destroyed: no state directory "
		    "to remember them\n", keys->grace.n);
	for (size_t i = 0; keys->slots && i < keys->n; i++)
		if (keys->slots[i].store_open)
			keys->slots[i].store.ops->close(&keys->slots[i].store);
	lw_audit_close(keys->audit);
	if (keys->results)
		explicit_bzero(keys->results, LW_KEYS_QUEUE *
		    sizeof *keys->results);
	free(keys->results);
	free(keys->slots);
	free(keys);
}

size_t lw_keys_count(const struct lw_keys *keys)
{
	return keys ? keys->n : 0;
}

const char *lw_keys_name(const struct lw_keys *keys, size_t i)
{
	return keys && i < keys->n ? keys->slots[i].conf.name : NULL;
}

void lw_keys_listen(struct lw_keys *keys, lw_keys_listener fn, void *ctx)
{
	if (keys && keys->nlisteners < MAX_LISTENERS) {
		keys->listeners[keys->nlisteners].fn = fn;
		keys->listeners[keys->nlisteners++].ctx = ctx;
	}
}

size_t lw_keys_waiting(const struct lw_keys *keys)
{
	return keys ? keys->grace.n : 0;
}

void lw_keys_print(const struct lw_keys *keys, FILE *out)
{
	if (!keys || !keys->act)
		return;
	fprintf(out, "  keys: %llu rotated, %llu failed; %llu old versions "
	    "destroyed, %llu destroy failures, %zu waiting\n",
	    (unsigned long long)keys->rotated, (unsigned long long)keys->failed,
	    (unsigned long long)keys->destroyed,
	    (unsigned long long)keys->destroy_failed, keys->grace.n);
}
