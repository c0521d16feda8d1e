/*
 * cmd_run.c - `labwarden run`: live sensing from the configured sources.
 *
 * One loop polls every source and hands packets to the sensor on the
 * real clock; scenes act for real (as `replay --act`).  SIGHUP reloads
 * the rules (with errors the running scenes stay); SIGTERM and SIGINT
 * end the loop within a poll interval, then state is saved.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "labwarden/actor.h"
#include "labwarden/cli.h"
#include "labwarden/keys.h"
#include "labwarden/live.h"
#include "labwarden/scene.h"
#include "labwarden/sensor.h"
#include "labwarden/statefile.h"

#define POLL_MS		200	/* SIGTERM is seen within this */
#define BATCH		256	/* packets per source per wake */
#define MAX_RULE_PATHS	64
/* At exit, within the 2 s SIGTERM promises: what is still queued
 * stays in actions.json / keys.json for the next start. */
#define DRAIN_MS	800	/* queued actions at exit, at most */
#define KEYS_DRAIN_MS	500	/* at exit: rotations under way */

static const char run_usage[] =
"usage: labwarden run [-c CONFIG] [-r RULES]... [-o FILE|-] [--emit TYPES]\n"
"                     [--stats]\n"
"\n"
"Live sensing from the sources in CONFIG (sources: - pcap: IFACE).\n"
"Scenes act for real through backends: (actions.json and audit.jsonl\n"
"in state_dir; what a past run left in force is settled at start).\n"
"SIGHUP reloads the rules; SIGTERM saves state and exits.\n"
"\n"
"  -c, --config CONFIG  configuration (default /etc/labwarden/labwarden.yaml)\n"
"  -r, --rules RULES    rules file or directory (repeatable)\n"
"  -o, --output FILE    write events as JSON lines to FILE ('-': stdout)\n"
"      --emit TYPES     event types to write (as for replay)\n"
"      --stats          counts, drops included, on stderr at exit\n"
"  -h, --help           this text\n"
"\n"
"example:\n"
"  labwarden run -c /etc/labwarden/labwarden.yaml\n";

static volatile sig_atomic_t stop_now, reload_now;

static void on_stop(int sig)
{
	(void)sig;
	stop_now = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	reload_now = 1;
}

struct run_opts {
	const char *config, *output, *emit;
	const char *rules[MAX_RULE_PATHS + 1];
	size_t	 nrules;
	bool	 stats;
};

struct run_ctx {
	struct lw_sensor *sensor;
	struct lw_live_source *src;
};

static int parse_opts(int argc, char **argv, struct run_opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "rules", required_argument, NULL, 'r' },
		{ "output", required_argument, NULL, 'o' },
		{ "emit", required_argument, NULL, 'e' },
		{ "stats", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof *o);
	o->config = "/etc/labwarden/labwarden.yaml";
	o->output = "-";
	o->emit = LW_EMIT_DEFAULT;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:r:o:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'r':
			if (o->nrules < MAX_RULE_PATHS)
				o->rules[o->nrules++] = optarg;
			break;
		case 'o': o->output = optarg; break;
		case 'e': o->emit = optarg; break;
		case 'S': o->stats = true; break;
		case 'h': fputs(run_usage, stdout); return LW_EXIT_OK;
		default: fputs(run_usage, stderr); return LW_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "labwarden run: unexpected '%s'\n%s",
		    argv[optind], run_usage);
		return LW_EXIT_USAGE;
	}
	return -1;
}

static void on_packet(u_char *arg, const struct pcap_pkthdr *h,
    const u_char *bytes)
{
	struct run_ctx *ctx = (struct run_ctx *)(void *)arg;
	struct lw_packet pkt;

	memset(&pkt, 0, sizeof pkt);
	/* nanosecond precision: tv_usec holds nanoseconds */
	pkt.ts_ns = (uint64_t)h->ts.tv_sec * LW_NS_PER_SEC +
	    (uint64_t)h->ts.tv_usec;
	pkt.caplen = h->caplen;
	pkt.wirelen = h->len;
	pkt.linktype = ctx->src->linktype;
	ctx->src->packets++;
	lw_sensor_packet(ctx->sensor, &pkt, bytes);
}

static struct lw_scene_set *initial_set;	/* static: never freed */

static void reload(struct lw_scene_engine *eng, const struct run_opts *o,
    struct lw_scene_set **current)
{
	struct lw_diag diag;
	char err[256];
	struct lw_scene_set *fresh = calloc(1, sizeof *fresh), *old = NULL;
	const char *fallback = lw_cli_default_rules(eng->cfg);
	const char *const *paths = o->nrules ? o->rules : &fallback;

	if (!fresh)
		return;
	lw_diag_init(&diag);
	if (lw_scene_engine_reload(eng, fresh, paths, o->nrules ? o->nrules :
	    1, &diag, &old, err, sizeof err)) {
		fprintf(stderr, "labwarden run: rules reloaded: %u scenes\n",
		    fresh->nscenes);
		lw_scenes_free(old);
		if (old != initial_set)
			free(old);
		*current = fresh;
	} else {
		lw_diag_print(&diag, stderr);
		fprintf(stderr, "labwarden run: %s\n", err);
		free(fresh);
	}
	lw_diag_free(&diag);
}

/* Poll every source until told to stop. */
static void loop(struct lw_sensor *sensor, struct lw_live *live,
    struct lw_scene_engine *eng, const struct run_opts *o,
    struct lw_scene_set **set)
{
	struct pollfd fds[LW_LIVE_MAX_SOURCES];

	for (unsigned i = 0; i < live->n; i++) {
		fds[i].fd = live->src[i].fd;
		fds[i].events = POLLIN;
	}
	while (!stop_now) {
		if (reload_now) {
			reload_now = 0;
			reload(eng, o, set);
		}
		int n = poll(fds, live->n, POLL_MS);
		if (n < 0 && errno != EINTR)
			break;
		for (unsigned i = 0; n > 0 && i < live->n; i++) {
			struct run_ctx ctx = { sensor, &live->src[i] };
			if (fds[i].revents & (POLLIN | POLLERR))
				pcap_dispatch(live->src[i].pcap, BATCH,
				    on_packet, (u_char *)&ctx);
		}
		lw_sensor_idle(sensor);	/* time moves on, even when quiet */
		lw_actor_poll(eng->actor, lw_sensor_now(sensor));
		fflush(sensor->writer->out);
	}
}

/* A person released a target (CLI, MQTT): the scenes leave it alone
 * for actions.soft_allow, as after a scene's own release. */
static void on_action(void *engine, const json_t *ev)
{
	struct lw_scene_engine *eng = engine;
	const char *action = json_string_value(json_object_get(ev, "action"));
	const char *status = json_string_value(json_object_get(ev, "status"));
	const char *origin = json_string_value(json_object_get(ev, "origin"));
	const char *target = json_string_value(json_object_get(ev, "target"));

	if (action && status && origin && target &&
	    strcmp(action, "release") == 0 && strcmp(status, "done") == 0 &&
	    (strcmp(origin, "cli") == 0 || strcmp(origin, "mqtt") == 0))
		lw_scene_engine_release(eng, target, eng->now_ns);
}

static void tick_scenes(void *engine, uint64_t now_ns)
{
	struct lw_scene_engine *eng = engine;

	lw_scene_engine_tick(eng, now_ns);
	lw_keys_poll(eng->keys, now_ns);	/* results, ended grace periods */
}

static int run(const struct run_opts *o, struct lw_config *cfg,
    struct lw_scene_set *set)
{
	static struct lw_sensor sensor;
	static struct lw_scene_engine engine;
	static struct lw_capturer capturer;
	static struct lw_live live;
	struct lw_writer writer;
	lw_event_mask mask;
	char err[512];

	if (!lw_emit_parse(o->emit, &mask, err, sizeof err)) {
		fprintf(stderr, "labwarden run: %s\n", err);
		return LW_EXIT_USAGE;
	}
	FILE *out = strcmp(o->output, "-") == 0 ? stdout :
	    fopen(o->output, "a");
	if (!out) {
		fprintf(stderr, "labwarden run: %s: %s\n", o->output,
		    strerror(errno));
		return LW_EXIT_RUNTIME;
	}
	setvbuf(out, NULL, _IOLBF, 0);
	lw_writer_init(&writer, out, mask, LW_FORMAT_JSON);
	if (!lw_live_open(&live, cfg, err, sizeof err) ||
	    !lw_sensor_init(&sensor, cfg, &writer, true, cfg->state_dir,
	    stderr, err, sizeof err) ||
	    !lw_scene_engine_init(&engine, set, &writer, cfg, err,
	    sizeof err) ||
	    !lw_capturer_init(&capturer, cfg, &writer, true, err,
	    sizeof err)) {
		fprintf(stderr, "labwarden run: %s\n", err);
		lw_live_close(&live);
		return LW_EXIT_RUNTIME;
	}
	engine.act = true;
	if (!(engine.keys = lw_keys_new(cfg, &writer, true, cfg->state_dir,
	    err, sizeof err))) {
		fprintf(stderr, "labwarden run: %s\n", err);
		lw_live_close(&live);
		return LW_EXIT_RUNTIME;
	}
	if (capturer.enabled) {
		sensor.capturer = &capturer;
		engine.capturer = &capturer;
	}
	engine.actor = lw_actor_new(cfg, &writer, true, cfg->state_dir, err,
	    sizeof err);
	if (!engine.actor) {
		fprintf(stderr, "labwarden run: %s\n", err);
		lw_capturer_free(&capturer, 0);
		lw_scene_engine_free(&engine);
		lw_sensor_free(&sensor);
		lw_live_close(&live);
		return LW_EXIT_USAGE;
	}
	lw_actor_listen(engine.actor, on_action, &engine);
	/* Settle what a past run left, on the real clock, before sensing. */
	lw_actor_poll(engine.actor, lw_sensor_now(&sensor));
	lw_sensor_add_sink(&sensor, lw_scene_engine_fact, &engine);
	sensor.on_tick = tick_scenes;
	sensor.tick_ctx = &engine;
	for (unsigned i = 0; i < live.n; i++)
		lw_sensor_begin_source(&sensor, live.src[i].linktype);
	fprintf(stderr, "labwarden run: listening on %u source(s), %u "
	    "scenes\n", live.n, set->nscenes);

	struct lw_scene_set *current = set;
	initial_set = set;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	loop(&sensor, &live, &engine, o, &current);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	sensor.stats.wall_seconds = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

	uint64_t received, dropped;
	lw_live_stats(&live, &received, &dropped);
	lw_keys_drain(engine.keys, lw_sensor_now(&sensor), KEYS_DRAIN_MS);
	lw_capturer_free(&capturer, lw_sensor_now(&sensor));
	lw_actor_drain(engine.actor, DRAIN_MS);
	bool ok = lw_actor_save(engine.actor, err, sizeof err);
	if (!ok)
		fprintf(stderr, "labwarden run: %s\n", err);
	if (!lw_sensor_finish(&sensor, err, sizeof err)) {
		fprintf(stderr, "labwarden run: %s\n", err);
		ok = false;
	}
	if (o->stats) {
		lw_stats_print(&sensor.stats, stderr);
		fprintf(stderr, "  capture: %llu received, %llu dropped by the "
		    "kernel\n", (unsigned long long)received,
		    (unsigned long long)dropped);
		lw_sensor_print_tables(&sensor, stderr);
		lw_scene_engine_print(&engine, stderr);
		lw_actor_print(engine.actor, stderr);
		lw_keys_print(engine.keys, stderr);
	}
	lw_actor_free(engine.actor);
	lw_keys_free(engine.keys);
	lw_scene_engine_free(&engine);
	if (current != set) {
		lw_scenes_free(current);
		free(current);
	}
	lw_sensor_free(&sensor);
	lw_live_close(&live);
	if (out != stdout)
		fclose(out);
	return ok ? LW_EXIT_OK : LW_EXIT_RUNTIME;
}

int lw_cmd_run(int argc, char **argv)
{
	struct run_opts o;
	struct lw_config cfg;
	static struct lw_scene_set set;
	int rc;

	if ((rc = parse_opts(argc, argv, &o)) >= 0)
		return rc;
	if ((rc = lw_cli_load_config(&cfg, o.config)) != LW_EXIT_OK)
		return rc;
	if ((rc = lw_cli_check_keys(&cfg)) != LW_EXIT_OK) {
		lw_config_free(&cfg);
		return rc;
	}
	if ((rc = lw_cli_load_rules(&set, o.rules, o.nrules, &cfg)) !=
	    LW_EXIT_OK) {
		lw_config_free(&cfg);
		return rc;
	}
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	signal(SIGHUP, on_hup);
	rc = run(&o, &cfg, &set);
	lw_scenes_free(&set);
	lw_config_free(&cfg);
	return rc;
}
