/*
 * actor_out.c - what the action layer says about an outcome: the
 * `action` event (queued here, written by lw_actor_poll on the main
 * thread) and the audit record (written at once, from any thread).
 * Neither ever holds a credential: a backend's request summary is its
 * method and path, and the detail its own words.
 */
#include <stdio.h>
#include <string.h>

#include "actor_int.h"

void lw_actor_queue_event(struct lw_actor *a, json_t *event)
{
	if (json_array_size(a->outbox) >= LW_ACTOR_OUTBOX_MAX) {
		a->outbox_dropped++;	/* the audit log still has it */
		json_decref(event);
		return;
	}
	json_array_append_new(a->outbox, event);
}

/* What every action event and audit record names. */
static void set_call(json_t *o, const struct lw_act_call *c)
{
	char ts[LW_TIME_STRLEN];

	if (c->id)
		json_object_set_new(o, "id", json_integer((json_int_t)c->id));
	json_object_set_new(o, "action", json_string(c->action));
	json_object_set_new(o, "target", json_string(c->target.text));
	if (*c->target.mac && strcmp(c->target.mac, c->target.text) != 0)
		json_object_set_new(o, "mac", json_string(c->target.mac));
	if (*c->target.ip && strcmp(c->target.ip, c->target.text) != 0)
		json_object_set_new(o, "ip", json_string(c->target.ip));
	json_object_set_new(o, "backend", json_string(c->abe ?
	    c->abe->be.name : c->backend ? c->backend : ""));
	json_object_set_new(o, "origin", json_string(c->origin));
	if (c->until_ns && strcmp(c->action, "release") != 0)
		json_object_set_new(o, "until", json_string(lw_time_format(
		    c->until_ns, ts, sizeof ts)));
}

static void set_result(json_t *o, const struct lw_be_result *res,
    const char *count_key, unsigned count, double latency_ms)
{
	json_object_set_new(o, "http_status", json_integer(res ?
	    res->http_status : 0));
	json_object_set_new(o, count_key, json_integer(count));
	json_object_set_new(o, "latency_ms", json_real(
	    (double)(long long)(latency_ms * 1000) / 1000));
}

void lw_actor_outcome_event(struct lw_actor *a, const struct lw_act_call *c,
    const char *status, const char *detail, const struct lw_be_result *res,
    unsigned attempts, double latency_ms)
{
	json_t *ev = lw_event_new(LW_EV_ACTION, a->now_ns);

	set_call(ev, c);
	json_object_set_new(ev, "status", json_string(status));
	json_object_set_new(ev, "detail", json_string(detail ? detail : ""));
	set_result(ev, res, "attempts", attempts, latency_ms);
	if (res && res->absent && strcmp(c->action, "release") == 0)
		json_object_set_new(ev, "absent", json_true());
	lw_actor_queue_event(a, ev);
}

/* The audit record of one try (or of a refusal: attempt 0). */
static json_t *audit_record(const struct lw_act_call *c, const char *type,
    const char *outcome, const char *detail,
    const struct lw_be_result *res, unsigned attempt)
{
	json_t *o = json_object();

	set_call(o, c);
	json_object_set_new(o, "backend_type", json_string(type));
	json_object_set_new(o, "outcome", json_string(outcome));
	json_object_set_new(o, "detail", json_string(detail ? detail : ""));
	if (res && *res->request)
		json_object_set_new(o, "request", json_string(res->request));
	set_result(o, res, "attempt", attempt, res ? res->latency_ms : 0);
	return o;
}

void lw_actor_audit_try(struct lw_actor *a, const struct lw_act_call *c,
    const char *outcome, const char *detail, const struct lw_be_result *res,
    unsigned attempt)
{
	char clock[LW_TIME_STRLEN];
	json_t *o = audit_record(c, c->abe ? c->abe->type : "", outcome,
	    detail, res, attempt);

	if (a->now_ns)	/* the sensor's clock: packet time in a replay */
		json_object_set_new(o, "clock", json_string(lw_time_format(
		    a->now_ns, clock, sizeof clock)));
	lw_audit_write(a->audit, o);
}

void lw_actor_outcome(struct lw_actor *a, const struct lw_act_call *c,
    const char *status, const char *detail, const struct lw_be_result *res,
    unsigned attempts, double latency_ms)
{
	lw_actor_audit_try(a, c, status, detail, res, attempts);
	lw_actor_outcome_event(a, c, status, detail, res, attempts,
	    latency_ms);
}

void lw_actor_announce_cap(struct lw_actor *a, const struct lw_act_call *c)
{
	char detail[200];
	struct lw_act_call note = *c;

	note.action = "notify";
	note.until_ns = 0;
	snprintf(detail, sizeof detail, "actions.max_per_hour (%llu) "
	    "reached: automatic actions are refused until an hour has "
	    "passed since the first of them; said once an hour",
	    (unsigned long long)a->policy.cap);
	lw_actor_outcome(a, &note, "done", detail, NULL, 0, 0);
}

/* The worker's call after each try (workq.h): one audit record. */
void lw_actor_job_tried(void *ctx, const struct lw_job *job,
    enum lw_be_status status, const struct lw_be_result *res,
    unsigned attempt, bool final)
{
	struct lw_actor *a = ctx;
	struct lw_act_call c = { .id = job->id, .kind = job->kind,
	    .target = job->target, .backend = job->backend,
	    .origin = job->origin, .start_ns = job->start_ns,
	    .until_ns = job->until_ns };
	const char *type = "";

	c.action = job->op == LW_JOB_RELEASE ? "release" :
	    job->kind == LW_BLOCK_QUARANTINE ? "quarantine" : "lockdown";
	for (size_t i = 0; i < a->nbes; i++)	/* fixed after start */
		if (strcmp(a->bes[i].be.name, job->backend) == 0)
			type = a->bes[i].type;
	const char *outcome = status == LW_BE_OK ? "done" :
	    !final ? "retry" : "failed";
	lw_audit_write(a->audit, audit_record(&c, type, outcome, res->detail,
	    res, attempt));
}
