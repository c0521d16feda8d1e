/*
 * actor.c - the action layer's front: backends opened from the config,
 * requests checked against the policy and handed to their backend (see
 * actor.h).  Outcomes, expiry and restarts are in actor_state.c; the
 * action event and the audit record in actor_out.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actor_int.h"
#include "labwarden/http.h"

#define DEFAULT_TIMEOUT_NS	(10ull * 1000000000ull)
#define DEFAULT_RETRIES		3
#define MAX_RETRIES		10
#define RELEASE_MAX_RECS	64	/* records one release may end */

uint64_t lw_actor_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct lw_actor_be *lw_actor_be_find(struct lw_actor *a, const char *name)
{
	for (size_t i = 0; i < a->nbes; i++)
		if (strcmp(a->bes[i].be.name, name) == 0)
			return &a->bes[i];
	return NULL;
}

/* ---- backends ---- */

/* The common keys the action layer reads: timeout and retries. */
static bool read_common(struct lw_actor_be *abe, char *err, size_t errlen)
{
	struct lw_diag diag;
	uint64_t timeout_ns, retries;

	lw_diag_init(&diag);
	lw_section_duration(abe->sec, "timeout", DEFAULT_TIMEOUT_NS,
	    &timeout_ns, &diag);
	lw_section_uint(abe->sec, "retries", DEFAULT_RETRIES, MAX_RETRIES,
	    &retries, &diag);
	bool ok = diag.count == 0;
	if (!ok)
		snprintf(err, errlen, "%s", diag.msgs[0]);
	lw_diag_free(&diag);
	abe->be.timeout_ms = timeout_ns / 1000000 ? timeout_ns / 1000000 : 1;
	abe->be.retries = (unsigned)retries;
	return ok;
}

bool lw_actor_be_ready(struct lw_actor *a, struct lw_actor_be *abe)
{
	char err[sizeof abe->error];

	if (abe->opened)
		return true;
	if (!abe->ops || lw_actor_mono_ns() < abe->reopen_mono_ns)
		return false;
	abe->reopen_mono_ns = lw_actor_mono_ns() + LW_ACTOR_REOPEN_NS;
	if (!abe->ops->open(&abe->be, abe->sec, err, sizeof err)) {
		snprintf(abe->error, sizeof abe->error, "backends.%.40s: %.240s",
		    abe->be.name, err);
		fprintf(stderr, "labwarden: %s (its actions fail until it "
		    "opens; tried again in 30 s)\n", abe->error);
		return false;
	}
	if (abe->ops->remote) {
		abe->worker = lw_worker_start(&abe->be, a->cfg->action_queue,
		    &a->backoff, lw_actor_job_tried, a, err, sizeof err);
		if (!abe->worker) {
			abe->ops->close(&abe->be);
			snprintf(abe->error, sizeof abe->error, "%s", err);
			return false;
		}
	}
	abe->opened = true;
	abe->error[0] = '\0';
	return true;
}

/* Make every backends.NAME entry; false on a mistake in a section. */
static bool add_backends(struct lw_actor *a, char *err, size_t errlen)
{
	const struct lw_config *cfg = a->cfg;

	for (size_t i = 0; i < cfg->nbackends; i++) {
		struct lw_actor_be *abe = &a->bes[a->nbes++];
		snprintf(abe->be.name, sizeof abe->be.name, "%s",
		    cfg->backend_names[i]);
		snprintf(abe->type, sizeof abe->type, "%s",
		    cfg->backend_types[i] ? cfg->backend_types[i] : "");
		abe->sec = cfg->backend_conf[i];
		abe->ops = lw_backend_ops_find(abe->type);
		abe->be.ops = abe->ops;
		if (!abe->sec) {
			snprintf(err, errlen, "backends.%s: not a mapping",
			    abe->be.name);
			return false;
		}
		if (!abe->ops) {
			char msg[sizeof abe->error];
			snprintf(msg, sizeof msg, "backends.%s: type '%s' is not "
			    "available in this version", abe->be.name,
			    abe->type);
			memcpy(abe->error, msg, sizeof msg);
			fprintf(stderr, "labwarden: %s\n", abe->error);
			continue;
		}
		if (!read_common(abe, err, errlen))
			return false;
		struct lw_diag diag;
		lw_diag_init(&diag);
		bool ok = abe->ops->check(abe->sec, &diag);
		if (!ok)
			snprintf(err, errlen, "%s", diag.count ? diag.msgs[0] :
			    "a mistake in the section");
		lw_diag_free(&diag);
		if (!ok)
			return false;
		lw_actor_be_ready(a, abe);
	}
	return true;
}

/* ---- the actor ---- */

struct lw_actor *lw_actor_new(const struct lw_config *cfg,
    struct lw_writer *writer, bool act, const char *state_dir,
    char *err, size_t errlen)
{
	struct lw_actor *a = calloc(1, sizeof *a);

	if (!a || !(a->log = calloc(1, sizeof *a->log)) ||
	    !(a->outbox = json_array()) ||
	    (state_dir && !(a->state_dir = strdup(state_dir)))) {
		snprintf(err, errlen, "actions: out of memory");
		lw_actor_free(a);
		return NULL;
	}
	pthread_mutex_init(&a->lock, NULL);
	a->lock_ready = true;
	a->cfg = cfg;
	a->writer = writer;
	a->act = act;
	a->backoff = (struct lw_backoff){ 1000, 30000 };
	if (!act)
		return a;	/* a dry run touches nothing */
	lw_http_global_init();
	if (!lw_policy_init(&a->policy, cfg, err, errlen) ||
	    !(a->audit = lw_audit_open(state_dir, LW_AUDIT_MAX_BYTES,
	    LW_AUDIT_KEEP, err, errlen)) || !add_backends(a, err, errlen)) {
		lw_actor_free(a);
		return NULL;
	}
	lw_policy_read_host(&a->policy);
	a->host_read_mono_ns = lw_actor_mono_ns();
	lw_actor_load(a);
	return a;
}

void lw_actor_free(struct lw_actor *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nbes; i++)	/* the one in flight ends */
		lw_worker_stop(a->bes[i].worker);
	if (a->act)	/* what finished late is recorded, the rest audited */
		lw_actor_settle_stopped(a);
	for (size_t i = 0; i < a->nbes; i++) {
		struct lw_actor_be *abe = &a->bes[i];
		lw_worker_free(abe->worker);
		if (abe->opened)
			abe->ops->close(&abe->be);
	}
	if (a->act) {
		lw_policy_free(&a->policy);
		lw_audit_close(a->audit);
		lw_http_global_cleanup();
	}
	if (a->lock_ready)
		pthread_mutex_destroy(&a->lock);
	json_decref(a->outbox);
	free(a->log);
	free(a->state_dir);
	free(a);
}

void lw_actor_set_backoff(struct lw_actor *a, uint64_t base_ms,
    uint64_t cap_ms)
{
	a->backoff = (struct lw_backoff){ base_ms, cap_ms };
}

void lw_actor_one_shot(struct lw_actor *a)
{
	a->one_shot = true;
	a->reconciled = true;
}

struct lw_policy *lw_actor_policy(struct lw_actor *a)
{
	return &a->policy;
}

void lw_actor_set_paused(struct lw_actor *a, bool paused)
{
	pthread_mutex_lock(&a->lock);
	if (a->paused != paused)
		a->dirty = true;	/* saved at the next poll */
	a->paused = paused;
	pthread_mutex_unlock(&a->lock);
}

bool lw_actor_paused(const struct lw_actor *a)
{
	return __atomic_load_n(&a->paused, __ATOMIC_RELAXED);
}

void lw_actor_listen(struct lw_actor *a, lw_actor_listener fn, void *ctx)
{
	pthread_mutex_lock(&a->lock);
	if (a->nlisteners < LW_ACTOR_LISTENERS) {
		a->listeners[a->nlisteners].fn = fn;
		a->listeners[a->nlisteners].ctx = ctx;
		a->nlisteners++;
	} else
		fprintf(stderr, "labwarden: more than %d action listeners; "
		    "one is not told\n", LW_ACTOR_LISTENERS);
	pthread_mutex_unlock(&a->lock);
}

/* ---- requests ---- */

static const char *op_name(enum lw_act_op op)
{
	return op == LW_REQ_QUARANTINE ? "quarantine" :
	    op == LW_REQ_LOCKDOWN ? "lockdown" : "release";
}

/* The target asked, canonical, with the MAC and IP the caller knew. */
static bool parse_target(const struct lw_target *in, struct lw_target *t)
{
	struct lw_target extra;

	if (!lw_target_parse(t, in->text))
		return false;
	if (!*t->mac && lw_target_parse(&extra, in->mac) && *extra.mac)
		snprintf(t->mac, sizeof t->mac, "%s", extra.mac);
	if (!*t->ip && lw_target_parse(&extra, in->ip) && *extra.ip)
		snprintf(t->ip, sizeof t->ip, "%s", extra.ip);
	return true;
}

/* The scene event's action object: id and detail, as they apply. */
static const char *fill_out(const struct lw_act_call *c, const char *status,
    const char *detail, json_t *out)
{
	if (out && c->id)
		json_object_set_new(out, "id", json_integer((json_int_t)c->id));
	if (out && *detail)
		json_object_set_new(out, "detail", json_string(detail));
	return status;
}

/* Refused or failed before any backend was asked. */
static const char *early(struct lw_actor *a, const struct lw_act_call *c,
    const char *status, const char *detail, json_t *out)
{
	if (strcmp(status, "refused") == 0)
		a->refused++;
	else
		a->failed++;
	lw_actor_outcome(a, c, status, detail, NULL, 0, 0);
	return fill_out(c, status, detail, out);
}

/* Policy for a block: protected, paused, the hourly cap.  NULL: go on. */
static const char *policy(struct lw_actor *a, const struct lw_act_req *req,
    struct lw_act_call *c, char *detail, size_t len)
{
	bool announce;

	if (lw_policy_refuses(&a->policy, &c->target, detail, len))
		return "refused";
	if (req->automatic && a->paused) {
		snprintf(detail, len, "automatic actions are paused");
		return "refused";
	}
	if (req->automatic && !lw_policy_take(&a->policy, c->start_ns,
	    &announce)) {
		snprintf(detail, len, "actions.max_per_hour (%llu) reached: "
		    "automatic actions are refused for the rest of the hour",
		    (unsigned long long)a->policy.cap);
		if (announce)
			lw_actor_announce_cap(a, c);
		return "refused";
	}
	return NULL;
}

static const char *submit_block(struct lw_actor *a,
    const struct lw_act_req *req, struct lw_act_call *c, json_t *out)
{
	char detail[600] = "";
	const char *status = policy(a, req, c, detail, sizeof detail);

	if (status)
		return early(a, c, status, detail, out);
	struct lw_action_rec *rec = lw_action_log_find(a->log, c->action,
	    c->target.text, c->abe->be.name);
	char ref[sizeof rec->ref] = "";
	if (rec) {	/* again: the longer of the two periods */
		c->id = rec->id;
		if (rec->until_ns > c->until_ns)
			c->until_ns = rec->until_ns;
		snprintf(ref, sizeof ref, "%s", rec->ref);
	} else if (a->log->n == LW_ACTION_LOG_MAX) {
		snprintf(detail, sizeof detail, "%d actions in force already",
		    LW_ACTION_LOG_MAX);
		return early(a, c, "failed", detail, out);
	}
	status = lw_actor_dispatch(a, c, ref, detail, sizeof detail);
	return fill_out(c, status, detail, out);
}

/* failed before pending before done: the status of several. */
static const char *worse(const char *x, const char *y)
{
	if (strcmp(x, "failed") == 0 || strcmp(y, "failed") == 0)
		return "failed";
	if (strcmp(x, "pending") == 0 || strcmp(y, "pending") == 0)
		return "pending";
	return "done";
}

struct release_of {
	uint64_t id;
	enum lw_block_kind kind;
	char	 backend[64];
	char	 ref[128];
};

/* The records on target (at one backend, if named), copied: a done
 * release removes its record from the log. */
static size_t records_on(struct lw_actor *a, const struct lw_act_req *req,
    const char *target, struct release_of *rel, size_t *more)
{
	struct lw_action_rec *recs[RELEASE_MAX_RECS];
	size_t all = lw_action_log_on(a->log, target, req->backend, recs,
	    RELEASE_MAX_RECS);
	size_t n = all < RELEASE_MAX_RECS ? all : RELEASE_MAX_RECS;

	for (size_t i = 0; i < n; i++) {
		rel[i].id = recs[i]->id;
		rel[i].kind = strcmp(recs[i]->action, "quarantine") == 0 ?
		    LW_BLOCK_QUARANTINE : LW_BLOCK_LOCKDOWN;
		snprintf(rel[i].backend, sizeof rel[i].backend, "%s",
		    recs[i]->backend);
		snprintf(rel[i].ref, sizeof rel[i].ref, "%s", recs[i]->ref);
	}
	*more = all - n;
	return n;
}

/* End every record on the target, through the backend that holds it;
 * with none recorded, ask the named (or default) backend anyway. */
static const char *submit_release(struct lw_actor *a,
    const struct lw_act_req *req, struct lw_act_call *c, json_t *out)
{
	struct release_of rel[RELEASE_MAX_RECS];
	char detail[600] = "";
	const char *status = "done";
	size_t more;
	size_t n = records_on(a, req, c->target.text, rel, &more);

	for (size_t i = 0; i < n; i++) {
		struct lw_act_call rc = *c;
		rc.id = rel[i].id;
		rc.kind = rel[i].kind;
		rc.abe = lw_actor_be_find(a, rel[i].backend);
		rc.backend = rel[i].backend;
		if (!rc.abe) {
			snprintf(detail, sizeof detail, "backends.%s: no longer "
			    "configured", rel[i].backend);
			lw_actor_outcome(a, &rc, "failed", detail, NULL, 0, 0);
			status = "failed";
			continue;
		}
		status = worse(status, lw_actor_dispatch(a, &rc, rel[i].ref,
		    detail, sizeof detail));
		c->id = rc.id;
		c->abe = rc.abe;
	}
	if (more) {	/* never "done" while some stay in force */
		snprintf(detail, sizeof detail, "%zu more actions on %s: "
		    "release it again", more, c->target.text);
		status = "failed";
	}
	if (n) {
		if (out && c->abe)
			json_object_set_new(out, "backend", json_string(
			    c->abe->be.name));
		return fill_out(c, status, detail, out);
	}
	c->id = ++a->log->next_id;
	if (!c->abe) {
		snprintf(detail, sizeof detail, "no backend named '%.64s' under "
		    "backends:", c->backend);
		return early(a, c, "failed", detail, out);
	}
	c->kind = lw_target_is_mac(&c->target) ? LW_BLOCK_QUARANTINE :
	    LW_BLOCK_LOCKDOWN;
	status = lw_actor_dispatch(a, c, "", detail, sizeof detail);
	return fill_out(c, status, detail, out);
}

static const char *submit_locked(struct lw_actor *a,
    const struct lw_act_req *req, json_t *out)
{
	struct lw_act_call c = { .action = op_name(req->op),
	    .origin = req->origin ? req->origin : "?",
	    .start_ns = req->now_ns, .until_ns = req->now_ns + req->for_ns,
	    .kind = req->op == LW_REQ_QUARANTINE ? LW_BLOCK_QUARANTINE :
	    LW_BLOCK_LOCKDOWN };
	const char *name = req->backend ? req->backend :
	    a->cfg->default_backend ? a->cfg->default_backend : "local";
	char detail[300];

	c.backend = name;
	c.until_ns = req->op == LW_REQ_RELEASE ? 0 : c.until_ns;
	if (req->now_ns > a->now_ns)
		a->now_ns = req->now_ns;
	if (!a->reconciled && a->now_ns)
		lw_actor_reconcile(a, a->now_ns);
	bool parsed = parse_target(&req->target, &c.target);
	if (!parsed)
		snprintf(c.target.text, sizeof c.target.text, "%.60s",
		    req->target.text);
	c.abe = lw_actor_be_find(a, name);
	if (req->op == LW_REQ_RELEASE && parsed)
		return submit_release(a, req, &c, out);
	c.id = ++a->log->next_id;
	if (!parsed) {
		snprintf(detail, sizeof detail, "'%.60s' is neither an IP nor "
		    "a MAC", req->target.text);
		return early(a, &c, "failed", detail, out);
	}
	if (!c.abe) {
		snprintf(detail, sizeof detail, "no backend named '%.64s' "
		    "under backends:", name);
		return early(a, &c, "failed", detail, out);
	}
	return submit_block(a, req, &c, out);
}

const char *lw_actor_submit(struct lw_actor *a, const struct lw_act_req *req,
    json_t *out)
{
	if (!a || !a->act)
		return "dry-run";
	pthread_mutex_lock(&a->lock);
	const char *status = submit_locked(a, req, out);
	pthread_mutex_unlock(&a->lock);
	return status;
}

void lw_actor_refuse(struct lw_actor *a, const struct lw_act_req *req,
    const char *reason, json_t *out)
{
	if (!a || !a->act)
		return;
	pthread_mutex_lock(&a->lock);
	struct lw_act_call c = { .action = op_name(req->op),
	    .origin = req->origin ? req->origin : "?",
	    .backend = req->backend ? req->backend : a->cfg->default_backend ?
	    a->cfg->default_backend : "local", .start_ns = req->now_ns,
	    .until_ns = req->op == LW_REQ_RELEASE ? 0 :
	    req->now_ns + req->for_ns };
	if (!parse_target(&req->target, &c.target))
		snprintf(c.target.text, sizeof c.target.text, "%.60s",
		    req->target.text);
	c.abe = lw_actor_be_find(a, c.backend);
	c.id = ++a->log->next_id;
	early(a, &c, "refused", reason, out);
	pthread_mutex_unlock(&a->lock);
}

bool lw_actor_check_config(const struct lw_config *cfg, struct lw_diag *diag)
{
	size_t before = diag->count + diag->dropped;

	for (size_t i = 0; i < cfg->nbackends; i++) {
		struct lw_section *sec = cfg->backend_conf[i];
		const char *type = cfg->backend_types[i];
		const struct lw_backend_ops *ops = type ?
		    lw_backend_ops_find(type) : NULL;
		if (!sec || !type)
			continue;	/* config.c reported it */
		if (!ops)
			lw_section_error(sec, "type", diag, "type '%s' is not "
			    "available in this version", type);
		else
			ops->check(sec, diag);
	}
	const char *def = cfg->default_backend;
	bool found = false;
	for (size_t i = 0; def && i < cfg->nbackends; i++)
		found |= strcmp(cfg->backend_names[i], def) == 0;
	if (def && !found)
		lw_diag_add(diag, cfg->path, 0, 0, "actions.default_backend: "
		    "no backend named '%s' under backends:", def);
	return diag->count + diag->dropped == before;
}
