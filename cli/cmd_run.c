/*
 * cmd_run.c - `labwarden run`: live sensing from the configured sources.
 *
 * The sources (pcap interfaces, NFLOG groups) are opened first, then
 * the process becomes the configured user (privdrop.h) before anything
 * else is read.  One loop polls every source and hands packets to the
 * sensor on the real clock; scenes act for real (as `replay --act`).
 * SIGHUP re-reads the configuration and reloads the rules (with errors
 * the running ones stay); SIGTERM and SIGINT end the loop within a poll
 * interval, then state is saved.  A stats event, with each source's
 * drops, goes out every stats_interval.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "labwarden/actor.h"
#include "labwarden/cli.h"
#include "labwarden/keys.h"
#include "labwarden/live.h"
#include "labwarden/mqtt.h"
#include "labwarden/privdrop.h"
#include "labwarden/scene.h"
#include "labwarden/sensor.h"
#include "labwarden/statefile.h"

#define POLL_MS		200	/* SIGTERM is seen within this */
#define BATCH		256	/* packets per source per wake */
#define MAX_RULE_PATHS	64
/* At exit, within the 2 s SIGTERM promises: what is still queued
 * stays in actions.json / keys.json / the MQTT spool for the next start. */
#define DRAIN_MS	800	/* queued actions at exit, at most */
#define KEYS_DRAIN_MS	500	/* at exit: rotations under way */
#define MQTT_STOP_NS	(500 * 1000000ull)	/* events to the broker */

static const char run_usage[] =
"usage: labwarden run [-c CONFIG] [-r RULES]... [-o FILE|-] [--emit TYPES]\n"
"                     [--stats] [--user USER]\n"
"\n"
"Live sensing from the sources in CONFIG (sources: - pcap: IFACE,\n"
"- nflog: GROUP).  Sources are opened first; then the process becomes\n"
"USER (user: in CONFIG) keeping only CAP_NET_ADMIN, for nft actions.\n"
"Scenes act for real through backends: (actions.json and audit.jsonl\n"
"in state_dir; what a past run left in force is settled at start).\n"
"As root without a user it refuses to start.\n"
"SIGHUP re-reads CONFIG and reloads the rules (on errors the running\n"
"ones stay); SIGTERM and SIGINT save state and exit.  With an mqtt:\n"
"section, Home Assistant sees the sensor and the LAN's hosts and can\n"
"act on them (docs/mqtt.md).\n"
"\n"
"  -c, --config CONFIG  configuration (default /etc/labwarden/labwarden.yaml)\n"
"  -r, --rules RULES    rules file or directory (repeatable)\n"
"  -o, --output FILE    write events as JSON lines to FILE ('-': stdout)\n"
"      --emit TYPES     event types to write (as for replay)\n"
"      --stats          counts, drops included, on stderr at exit\n"
"      --user USER      run as USER (overrides user:; 'root' keeps root)\n"
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
	const char *config, *output, *emit, *user;
	const char *rules[MAX_RULE_PATHS + 1];
	size_t	 nrules;
	bool	 stats;
};

static int parse_opts(int argc, char **argv, struct run_opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "rules", required_argument, NULL, 'r' },
		{ "output", required_argument, NULL, 'o' },
		{ "emit", required_argument, NULL, 'e' },
		{ "stats", no_argument, NULL, 'S' },
		{ "user", required_argument, NULL, 'u' },
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
		case 'u': o->user = optarg; break;
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

static void on_packet(void *sensor, struct lw_live_source *src,
    uint64_t ts_ns, uint32_t caplen, uint32_t wirelen, const uint8_t *data)
{
	struct lw_packet pkt;

	memset(&pkt, 0, sizeof pkt);
	pkt.ts_ns = ts_ns;
	pkt.caplen = caplen;
	pkt.wirelen = wirelen;
	pkt.linktype = src->linktype;
	lw_sensor_packet(sensor, &pkt, data);
}

static struct lw_scene_set *initial_set;	/* static: never freed */
static struct lw_mqtt *mqtt;			/* NULL without mqtt: */

/*
 * SIGHUP: the configuration is read again and checked; with errors
 * nothing is reloaded.  Its rules: (unless -r was given) name the rules
 * to load; other keys take effect at the next start.
 */
static bool recheck_config(const struct run_opts *o, char **rules)
{
	struct lw_config fresh;
	struct lw_diag diag;

	lw_config_defaults(&fresh);
	lw_diag_init(&diag);
	bool ok = lw_config_load(&fresh, o->config, &diag);
	lw_diag_print(&diag, stderr);
	lw_diag_free(&diag);
	if (ok)
		*rules = strdup(lw_cli_default_rules(&fresh));
	else
		fprintf(stderr, "labwarden run: %s: configuration not "
		    "reloaded: the running one stays\n", o->config);
	lw_config_free(&fresh);
	return ok && *rules;
}

static void reload(struct lw_scene_engine *eng, const struct run_opts *o,
    struct lw_scene_set **current)
{
	struct lw_diag diag;
	char err[256], *cfg_rules = NULL;

	if (!recheck_config(o, &cfg_rules))
		return;
	struct lw_scene_set *fresh = calloc(1, sizeof *fresh), *old = NULL;
	const char *fallback = cfg_rules;
	const char *const *paths = o->nrules ? o->rules : &fallback;

	if (!fresh) {
		free(cfg_rules);
		return;
	}
	lw_diag_init(&diag);
	if (lw_scene_engine_reload(eng, fresh, paths, o->nrules ? o->nrules :
	    1, &diag, &old, err, sizeof err)) {
		fprintf(stderr, "labwarden run: rules reloaded: %u scenes\n",
		    fresh->nscenes);
		lw_cli_mqtt_scenes(mqtt, fresh);
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
	free(cfg_rules);
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * LW_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* A stats event (with each source's drops) every stats_interval. */
static void stats_due(struct lw_sensor *sensor, uint64_t *next_ns)
{
	uint64_t every = sensor->cfg->stats_interval_ns, now = monotonic_ns();

	if (every == 0 || now < *next_ns)
		return;
	if (every < LW_NS_PER_SEC)
		every = LW_NS_PER_SEC;
	if (*next_ns && lw_writer_wants(sensor->writer, LW_EV_STATS))
		lw_writer_put(sensor->writer, lw_sensor_stats_event(sensor));
	*next_ns = now + every;
}

/* The kernel's drop count for MQTT: pcap_stats and friends are
 * syscalls, asked at most once a second, not at every wake. */
static uint64_t live_drops(struct lw_live *live)
{
	static uint64_t dropped, asked_at;
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * LW_NS_PER_SEC +
	    (uint64_t)ts.tv_nsec;
	if (!asked_at || now - asked_at >= LW_NS_PER_SEC) {
		uint64_t received;
		lw_live_stats(live, &received, &dropped);
		asked_at = now;
	}
	return dropped;
}

/* Poll every source until told to stop. */
static void loop(struct lw_sensor *sensor, struct lw_live *live,
    struct lw_scene_engine *eng, const struct run_opts *o,
    struct lw_scene_set **set)
{
	struct pollfd fds[LW_LIVE_MAX_SOURCES];
	uint64_t next_stats = 0;

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
		for (unsigned i = 0; n > 0 && i < live->n; i++)
			if (fds[i].revents & (POLLIN | POLLERR))
				lw_live_dispatch(&live->src[i], BATCH,
				    on_packet, sensor);
		lw_sensor_idle(sensor);	/* time moves on, even when quiet */
		lw_actor_poll(eng->actor, lw_sensor_now(sensor));
		stats_due(sensor, &next_stats);
		if (mqtt)
			lw_mqtt_poll(mqtt, sensor, live_drops(live));
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

static bool writable(const char *dir, const char *what, char *err,
    size_t errlen)
{
	if (!dir || access(dir, W_OK | X_OK) == 0)
		return true;
	snprintf(err, errlen, "%s %s: not writable by this user (%s)", what,
	    dir, strerror(errno));
	return false;
}

/* Sources are opened with the privileges the process started with; then
 * it becomes the configured user, before it reads anything else. */
static bool open_sources(struct lw_live *live, const struct lw_config *cfg,
    const struct lw_privdrop *pd, char *err, size_t errlen)
{
	char who[256];

	if (!lw_live_open(live, cfg, err, errlen))
		return false;
	if (!lw_privdrop_dir(pd, cfg->state_dir, 0750, err, errlen) ||
	    !lw_privdrop_dir(pd, cfg->capture_dir, 0700, err, errlen) ||
	    !lw_privdrop_apply(pd, err, errlen) ||
	    !writable(cfg->state_dir, "state_dir", err, errlen) ||
	    !writable(cfg->capture_dir, "capture_dir", err, errlen)) {
		lw_live_close(live);
		return false;
	}
	lw_privdrop_describe(who, sizeof who);
	fprintf(stderr, "labwarden run: running as %s\n", who);
	return true;
}

static int run(const struct run_opts *o, struct lw_config *cfg,
    struct lw_scene_set *set)
{
	static struct lw_sensor sensor;
	static struct lw_scene_engine engine;
	static struct lw_capturer capturer;
	static struct lw_live live;
	struct lw_writer writer;
	struct lw_privdrop pd;
	lw_event_mask mask;
	char err[512];

	if (!lw_emit_parse(o->emit, &mask, err, sizeof err) ||
	    !lw_privdrop_plan(&pd, o->user ? o->user : cfg->user, err,
	    sizeof err)) {
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
	if (!open_sources(&live, cfg, &pd, err, sizeof err) ||
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
	int mqtt_rc;
	mqtt = lw_cli_mqtt_start("run", cfg, cfg->state_dir, &engine,
	    &mqtt_rc);
	if (mqtt_rc != LW_EXIT_OK) {
		lw_actor_free(engine.actor);
		lw_keys_free(engine.keys);
		lw_capturer_free(&capturer, 0);
		lw_scene_engine_free(&engine);
		lw_sensor_free(&sensor);
		lw_live_close(&live);
		return mqtt_rc;
	}
	lw_sensor_add_sink(&sensor, lw_scene_engine_fact, &engine);
	sensor.on_tick = tick_scenes;
	sensor.tick_ctx = &engine;
	sensor.stats_hook = lw_live_stats_hook;
	sensor.stats_ctx = &live;
	/* Captures are written in the first source's link type. */
	lw_sensor_begin_source(&sensor, live.src[0].linktype);
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
	/* A rotation under way ends now (failed, the old key kept); one
	 * asked for over MQTT from here on is refused: shutting down. */
	lw_keys_stop(engine.keys);
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
	lw_cli_mqtt_stop(mqtt, &writer, &sensor, dropped, MQTT_STOP_NS);
	mqtt = NULL;
	if (o->stats) {
		lw_stats_print(&sensor.stats, stderr);
		fprintf(stderr, "  capture: %llu received, %llu dropped by the "
		    "kernel\n", (unsigned long long)received,
		    (unsigned long long)dropped);
		lw_live_stats_print(&live, stderr);
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
