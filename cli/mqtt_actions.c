/*
 * mqtt_actions.c - MQTT for `run` and `replay`: opened from the config's
 * mqtt section, tapped into the writer, and acting through the action
 * layer (actor.h) and the key rotator (keys.h) with origin "mqtt" -
 * protected hosts, actions.never and the pause switch apply as to
 * anyone; a person's request does not count against max_per_hour.  The actor writes each outcome as an
 * `action` event (published like the others) and tells the integration,
 * which then shows the new states at once.
 */
#include <stdio.h>
#include <string.h>

#include "labwarden/actor.h"
#include "labwarden/cli.h"
#include "labwarden/keys.h"
#include "labwarden/mqtt.h"
#include "labwarden/scene.h"

/* ctx is the scene engine: its actor acts, its rotator rotates. */
static const char *submit(void *ctx, const struct lw_act_req *req,
    json_t *out)
{
	return lw_actor_submit(((struct lw_scene_engine *)ctx)->actor, req,
	    out);
}

static void set_paused(void *ctx, bool paused)
{
	struct lw_actor *actor = ((struct lw_scene_engine *)ctx)->actor;

	if (lw_actor_paused(actor) != paused)
		fprintf(stderr, "labwarden: automatic actions %s from MQTT\n",
		    paused ? "paused" : "resumed");
	lw_actor_set_paused(actor, paused);
}

static bool paused(void *ctx)
{
	return lw_actor_paused(((struct lw_scene_engine *)ctx)->actor);
}

static json_t *active(void *ctx, uint64_t now_ns)
{
	(void)now_ns;
	return lw_actor_active(((struct lw_scene_engine *)ctx)->actor);
}

/* Rank of a rotation status, to report the worst of several. */
static int badness(const char *status)
{
	return strcmp(status, "failed") == 0 ? 3 : strcmp(status,
	    "refused") == 0 ? 2 : strcmp(status, "dry-run") == 0 ? 1 : 0;
}

/* One key, or every configured key when key is "" (the rotator is
 * NULL without --act in a replay: "dry-run"). */
static const char *rotate(void *ctx, const char *key, uint64_t now_ns,
    char *detail, size_t detaillen)
{
	struct lw_keys *keys = ((struct lw_scene_engine *)ctx)->keys;
	const char *worst = NULL;
	char one[256];

	if (key[0] || !keys)
		return lw_keys_request(keys, key, "mqtt", now_ns, detail,
		    detaillen);
	detail[0] = '\0';
	for (size_t i = 0; i < lw_keys_count(keys); i++) {
		const char *name = lw_keys_name(keys, i);
		const char *st = lw_keys_request(keys, name, "mqtt", now_ns,
		    one, sizeof one);
		if (!worst || badness(st) > badness(worst))
			worst = st;
		if (one[0] && strcmp(st, "pending") != 0) {
			size_t used = strlen(detail);
			snprintf(detail + used, detaillen - used, "%s%s",
			    used ? "; " : "", one);
		}
	}
	if (!worst)
		snprintf(detail, detaillen, "no keys are configured");
	return worst ? worst : "failed";
}

static void engine_actions(struct lw_mqtt_actions *acts,
    struct lw_scene_engine *eng)
{
	memset(acts, 0, sizeof *acts);
	if (!eng->actor)
		return;		/* every command: "not available" */
	acts->submit = submit;
	acts->set_paused = set_paused;
	acts->paused = paused;
	acts->active = active;
	acts->rotate = rotate;
	acts->ctx = eng;
}

/* The integration the actor tells; NULL once it is closed (the actor
 * outlives it and cannot forget a listener). */
static struct lw_mqtt *listening;

/* An action's outcome (main thread, lw_actor_poll): new states now. */
static void on_action(void *ctx, const json_t *record)
{
	(void)ctx;
	(void)record;
	if (listening)
		lw_mqtt_changed(listening);
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
	listening = mq;
	if (eng->actor)
		lw_actor_listen(eng->actor, on_action, NULL);
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
	listening = NULL;
	return lw_mqtt_close(mq, timeout_ns);
}
