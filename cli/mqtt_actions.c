/*
 * mqtt_actions.c - MQTT for `run` and `replay`: opened from the config's
 * mqtt section, tapped into the writer, and acting through the scene
 * engine.
 *
 * Commands act through struct lw_mqtt_actions.  Until the action layer
 * (actor.h) is built, that is the scene engine's own path: its local
 * nft backend, its protected hosts, its record of what is in force and
 * its soft allow after a release, with a pause flag for the switch.
 * Each command's outcome is also an `action` event with origin "mqtt",
 * so `-o` shows what was done from Home Assistant.
 */
#include <stdio.h>
#include <string.h>

#include "labwarden/cli.h"
#include "labwarden/mqtt.h"
#include "labwarden/scene.h"

static enum lw_action_kind kind_of(enum lw_act_op op)
{
	return op == LW_REQ_LOCKDOWN ? LW_ACT_LOCKDOWN :
	    op == LW_REQ_QUARANTINE ? LW_ACT_QUARANTINE : LW_ACT_RELEASE;
}

static const char *submit(void *ctx, const struct lw_act_req *req,
    json_t *out)
{
	struct lw_scene_engine *eng = ctx;
	const char *status = lw_scene_engine_request(eng, kind_of(req->op),
	    req->target.text, req->origin, req->for_ns, req->now_ns, out);

	if (lw_writer_wants(eng->writer, LW_EV_ACTION)) {
		json_t *ev = lw_event_new(LW_EV_ACTION, req->now_ns);
		json_object_set_new(ev, "origin", json_string(req->origin));
		json_object_update_missing(ev, out);
		lw_writer_put(eng->writer, ev);
	}
	return status;
}

static void set_paused(void *ctx, bool paused)
{
	struct lw_scene_engine *eng = ctx;

	if (eng->paused != paused)
		fprintf(stderr, "labwarden: automatic actions %s from MQTT\n",
		    paused ? "paused" : "resumed");
	eng->paused = paused;
}

static bool paused(void *ctx)
{
	return ((struct lw_scene_engine *)ctx)->paused;
}

/* What the engine's record holds and has not expired. */
static json_t *active(void *ctx, uint64_t now_ns)
{
	struct lw_scene_engine *eng = ctx;
	char start[LW_TIME_STRLEN], until[LW_TIME_STRLEN];
	json_t *list = json_array();

	for (size_t i = 0; eng->log && i < eng->log->n; i++) {
		const struct lw_action_rec *r = &eng->log->recs[i];
		if (r->until_ns <= now_ns)
			continue;
		json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:s, "
		    "s:s, s:s, s:s}", "id", (json_int_t)r->id, "action",
		    r->action, "target", r->target, "backend", r->backend,
		    "origin", r->scene, "start", lw_time_format(r->start_ns,
		    start, sizeof start), "until", lw_time_format(r->until_ns,
		    until, sizeof until)));
	}
	return list;
}

static void engine_actions(struct lw_mqtt_actions *acts,
    struct lw_scene_engine *eng)
{
	memset(acts, 0, sizeof *acts);
	acts->submit = submit;
	acts->set_paused = set_paused;
	acts->paused = paused;
	acts->active = active;
	acts->rotate = NULL;	/* key rotation is not built yet */
	acts->ctx = eng;
}

void lw_cli_mqtt_scenes(struct lw_mqtt *mq, const struct lw_scene_set *set)
{
	const char *names[LW_MAX_SCENES];

	if (!mq)
		return;
	for (unsigned i = 0; i < set->nscenes; i++)
		names[i] = set->scenes[i]->name;
	lw_mqtt_set_scenes(mq, names, set->nscenes);
}

struct lw_mqtt *lw_cli_mqtt_start(const char *cmd,
    const struct lw_config *cfg, const char *state_dir,
    struct lw_scene_engine *eng, int *rc)
{
	struct lw_mqtt_actions acts;
	struct lw_diag diag;
	char err[512];

	*rc = LW_EXIT_OK;
	if (!cfg->mqtt)
		return NULL;
	engine_actions(&acts, eng);
	lw_diag_init(&diag);
	struct lw_mqtt *mq = lw_mqtt_open(cfg, state_dir, &acts, &diag, err,
	    sizeof err);
	lw_diag_print(&diag, stderr);
	lw_diag_free(&diag);
	if (!mq) {
		if (err[0])
			fprintf(stderr, "labwarden %s: %s\n", cmd, err);
		*rc = err[0] ? LW_EXIT_RUNTIME : LW_EXIT_USAGE;
		return NULL;
	}
	lw_mqtt_tap(mq, eng->writer);
	lw_cli_mqtt_scenes(mq, eng->set);
	return mq;
}

uint64_t lw_cli_mqtt_stop(struct lw_mqtt *mq, struct lw_writer *w,
    struct lw_sensor *s, uint64_t drops, uint64_t timeout_ns)
{
	if (!mq)
		return 0;
	lw_mqtt_poll(mq, s, drops);	/* commands that came meanwhile */
	lw_mqtt_refresh(mq, s, drops);
	w->tap_mask = 0;	/* nothing reaches the integration after this */
	w->tap = NULL;
	return lw_mqtt_close(mq, timeout_ns);
}
