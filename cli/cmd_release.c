/*
 * cmd_release.c - `labwarden release TARGET`: end a quarantine or
 * lockdown now, through the action layer like any other request (origin
 * "cli", audited), on whatever backend recorded it in state_dir's
 * actions.json, else on the default backend.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "labwarden/actions.h"
#include "labwarden/actor.h"
#include "labwarden/cli.h"
#include "labwarden/config.h"

#define DEFAULT_CONFIG	"/etc/labwarden/labwarden.yaml"
#define DRAIN_MS	120000	/* a router that retries, at most */

static const char help[] =
"usage: labwarden release TARGET [-c CONFIG]\n"
"\n"
"End a quarantine or lockdown of TARGET (a MAC or an IP) now.  Every\n"
"action recorded on it in state_dir's actions.json is ended on the\n"
"backend that holds it; with none recorded, the default backend is\n"
"asked anyway.  The attempt is written to the audit log (origin cli).\n"
"A running labwarden sees the release within seconds.\n"
"\n"
"  -c, --config CONFIG  configuration (default " DEFAULT_CONFIG "\n"
"                       when it exists; without one, or without\n"
"                       backends:, the local nft table)\n"
"  -h, --help           this text\n"
"\n"
"exit status: 0 released (or nothing was in force), 1 a backend\n"
"failed, 2 usage or configuration error\n"
"\n"
"example:\n"
"  labwarden release 192.168.1.66\n";

/* What the action layer said, collected through its listener. */
struct outcome {
	json_t	*events;
};

static void on_event(void *ctx, const json_t *ev)
{
	struct outcome *o = ctx;

	json_array_append(o->events, (json_t *)(uintptr_t)ev);
}

/* Without backends: the local nft table, as `backends: local: nft`. */
static bool add_local_nft(struct lw_config *cfg)
{
	struct lw_section *sec = calloc(1, sizeof *sec);

	if (!sec)
		return false;
	sec->file = strdup("(built in)");
	sec->where = strdup("backends.local");
	sec->name = strdup("local");
	sec->kv[0].key = strdup("type");
	sec->kv[0].value = strdup("nft");
	sec->n = 1;
	cfg->backend_names[0] = strdup("local");
	cfg->backend_types[0] = strdup("nft");
	cfg->backend_conf[0] = sec;
	cfg->nbackends = 1;
	return sec->file && sec->where && sec->name && sec->kv[0].key &&
	    sec->kv[0].value && cfg->backend_names[0] &&
	    cfg->backend_types[0];
}

/* One line per backend that answered; the exit status. */
static int report(const char *target, const json_t *events)
{
	size_t i;
	json_t *ev;
	int rc = LW_EXIT_OK;
	bool said = false;

	json_array_foreach(events, i, ev) {
		const char *action = json_string_value(json_object_get(ev,
		    "action"));
		if (!action || strcmp(action, "release") != 0)
			continue;
		const char *status = json_string_value(json_object_get(ev,
		    "status"));
		const char *backend = json_string_value(json_object_get(ev,
		    "backend"));
		const char *detail = json_string_value(json_object_get(ev,
		    "detail"));
		said = true;
		if (!status || strcmp(status, "done") != 0) {
			fprintf(stderr, "labwarden release: %s: %s on backends."
			    "%s: %s\n", target, status ? status : "?",
			    backend, detail ? detail : "");
			rc = LW_EXIT_RUNTIME;
		} else if (json_is_true(json_object_get(ev, "absent")))
			printf("%s: not locked down or quarantined here "
			    "(backends.%s: %s)\n", target, backend, detail);
		else
			printf("%s: released (backends.%s: %s)\n", target,
			    backend, detail);
	}
	if (!said) {
		fprintf(stderr, "labwarden release: %s: no answer from the "
		    "backend in time\n", target);
		rc = LW_EXIT_RUNTIME;
	}
	return rc;
}

static int release(struct lw_config *cfg, const char *target)
{
	char err[512];
	struct outcome out = { json_array() };
	struct timespec now;

	struct lw_actor *actor = lw_actor_new(cfg, NULL, true, cfg->state_dir,
	    err, sizeof err);
	if (!actor) {
		fprintf(stderr, "labwarden release: %s\n", err);
		json_decref(out.events);
		return LW_EXIT_USAGE;
	}
	lw_actor_one_shot(actor);
	lw_actor_listen(actor, on_event, &out);
	clock_gettime(CLOCK_REALTIME, &now);
	uint64_t now_ns = (uint64_t)now.tv_sec * 1000000000ull +
	    (uint64_t)now.tv_nsec;
	struct lw_act_req req = { .op = LW_REQ_RELEASE, .origin = "cli",
	    .now_ns = now_ns };
	snprintf(req.target.text, sizeof req.target.text, "%s", target);
	lw_actor_submit(actor, &req, NULL);
	lw_actor_drain(actor, DRAIN_MS);
	lw_actor_poll(actor, now_ns);
	int rc = report(target, out.events);
	if (!lw_actor_save(actor, err, sizeof err)) {
		fprintf(stderr, "labwarden release: %s\n", err);
		rc = LW_EXIT_RUNTIME;
	}
	lw_actor_free(actor);
	json_decref(out.events);
	return rc;
}

int lw_cmd_release(int argc, char **argv)
{
	const char *config = NULL, *target = NULL;
	struct lw_target parsed;
	struct lw_config cfg;
	int rc;

	if ((rc = lw_cli_one_arg(argc, argv, help, "TARGET (a MAC or an IP)",
	    &config, &target)) >= 0)
		return rc;
	if (!lw_target_parse(&parsed, target)) {
		fprintf(stderr, "labwarden release: '%s' is neither an IP nor a "
		    "MAC address\n", target);
		return LW_EXIT_USAGE;
	}
	if (!config && access(DEFAULT_CONFIG, R_OK) == 0)
		config = DEFAULT_CONFIG;
	if ((rc = lw_cli_load_config(&cfg, config)) != LW_EXIT_OK)
		return rc;
	if (cfg.nbackends == 0 && !add_local_nft(&cfg)) {
		fprintf(stderr, "labwarden release: out of memory\n");
		lw_config_free(&cfg);
		return LW_EXIT_RUNTIME;
	}
	rc = release(&cfg, parsed.text);
	lw_config_free(&cfg);
	return rc;
}
