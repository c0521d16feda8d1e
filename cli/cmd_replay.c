/*
 * cmd_replay.c - `labwarden replay`: feed capture files, in the order
 * given, through the sensor on packet time and write events as JSON lines.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "labwarden/actor.h"
#include "labwarden/cli.h"
#include "labwarden/config.h"
#include "labwarden/keys.h"
#include "labwarden/mqtt.h"
#include "labwarden/pcapfile.h"
#include "labwarden/progress.h"
#include "labwarden/scene.h"
#include "labwarden/statefile.h"
#include "labwarden/sensor.h"

#define MAX_RULE_PATHS 64
#define DRAIN_MS	30000	/* queued actions at the end, at most */
#define KEYS_DRAIN_MS	(120 * 1000)	/* rotations still under way */

static const char replay_usage[] =
"usage: labwarden replay [-c CONFIG] [-r RULES]... [-o FILE|-] [--emit TYPES]\n"
"                        [--act] [--state DIR] [--stats] [--progress]\n"
"                        [--format json|text] PCAP...\n"
"\n"
"Replay pcap/pcapng files, in the order given, on the packets' own time.\n"
"\n"
"  -c, --config CONFIG  configuration file (YAML)\n"
"  -r, --rules RULES    rules file or directory (repeatable)\n"
"  -o, --output FILE    write events as JSON lines to FILE ('-': stdout)\n"
"      --emit TYPES     event types to write: comma list, 'all' or 'none';\n"
"                       '-type' leaves one out (all,-packet)\n"
"                       (default " LW_EMIT_DEFAULT ")\n"
"      --format FMT     json (default) or text: one line a person reads\n"
"      --act            carry out actions, key rotations included (default:\n"
"                       dry run); with --state they are kept in\n"
"                       actions.json, keys.json and audit.jsonl there\n"
"      --state DIR      load and save state in DIR (default: none kept)\n"
"      --stats          print packet, protocol and error counts on stderr\n"
"      --progress       show a progress line when stderr is a terminal\n"
"      --speed N        replay at N times the capture's own pace (1: as\n"
"                       it was recorded); default: as fast as possible\n"
"      --decode-only    decode and count packets, no detectors (for\n"
"                       checking a capture or measuring the decoder)\n"
"  -h, --help           this text\n"
"\n"
"event types: new_mac mac_ip_change dhcp dns_query dns_response new_domain\n"
"  conn_start table_pressure scene capture_done action key_rotation stats\n"
"  packet\n"
"\n"
"With an mqtt: section in CONFIG, discovery, states and events go to the\n"
"broker as with `run` (docs/mqtt.md); at the end the replay waits up to\n"
"mqtt.flush_timeout for them to be delivered.\n"
"\n"
"exit status: 0 success, 1 a file could not be read (or MQTT events were\n"
"not delivered), 2 usage error\n"
"\n"
"example:\n"
"  labwarden replay --emit all --stats -o events.jsonl pcaps/demo.pcap\n";

struct replay_opts {
	const char *config;
	const char *rules[MAX_RULE_PATHS + 1];
	size_t	 nrules;
	const char *output;
	const char *emit;
	const char *state;
	enum lw_format format;
	bool	 act, stats, progress, decode_only;
	double	 speed;		/* 0: as fast as possible */
};

/* Pacing for --speed, and the MQTT integration's turn in the loop. */
struct replay_run {
	struct lw_scene_engine *engine;
	struct lw_sensor *sensor;
	struct lw_mqtt *mqtt;
	double	 speed;
	uint64_t first_ts;	/* of the first packet, 0: none yet */
	double	 started;	/* monotonic seconds at that packet */
};

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

static int usage_error(const char *what, const char *detail)
{
	fprintf(stderr, "labwarden replay: %s%s\n(see labwarden replay "
	    "--help)\n", what, detail);
	return LW_EXIT_USAGE;
}

/* Returns -1 to go on, else an exit status. */
static int parse_opts(int argc, char **argv, struct replay_opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "rules", required_argument, NULL, 'r' },
		{ "output", required_argument, NULL, 'o' },
		{ "emit", required_argument, NULL, 'e' },
		{ "act", no_argument, NULL, 'a' },
		{ "state", required_argument, NULL, 's' },
		{ "stats", no_argument, NULL, 'S' },
		{ "progress", no_argument, NULL, 'P' },
		{ "format", required_argument, NULL, 'f' },
		{ "decode-only", no_argument, NULL, 'D' },
		{ "speed", required_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof *o);
	o->output = "-";
	o->emit = LW_EMIT_DEFAULT;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:r:o:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'r':
			if (o->nrules == MAX_RULE_PATHS)
				return usage_error("too many -r, at most ", "64");
			o->rules[o->nrules++] = optarg;
			break;
		case 'o': o->output = optarg; break;
		case 'e': o->emit = optarg; break;
		case 'a': o->act = true; break;
		case 's': o->state = optarg; break;
		case 'S': o->stats = true; break;
		case 'P': o->progress = true; break;
		case 'D': o->decode_only = true; break;
		case 'V': {
			char *end;
			o->speed = strtod(optarg, &end);
			if (*end || !(o->speed > 0 && o->speed <= 1e6))
				return usage_error("--speed: a factor above 0, "
				    "not ", optarg);
			break;
		}
		case 'f':
			if (strcmp(optarg, "json") == 0)
				o->format = LW_FORMAT_JSON;
			else if (strcmp(optarg, "text") == 0)
				o->format = LW_FORMAT_TEXT;
			else
				return usage_error("--format: json or text, "
				    "not ", optarg);
			break;
		case 'h':
			fputs(replay_usage, stdout);
			return LW_EXIT_OK;
		default:
			fputs(replay_usage, stderr);
			return LW_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return usage_error("no capture files given", "");
	return -1;
}

static int check_paths(const struct replay_opts *o)
{
	struct stat st;

	for (size_t i = 0; i < o->nrules; i++)
		if (stat(o->rules[i], &st) != 0)
			return usage_error("-r: cannot read rules: ", strerror(errno));
	if (o->state && (stat(o->state, &st) != 0 || !S_ISDIR(st.st_mode)))
		return usage_error("--state: not a directory: ", o->state);
	return -1;
}

static FILE *open_output(const char *path)
{
	FILE *out = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");

	if (!out)
		fprintf(stderr, "labwarden replay: %s: %s\n", path,
		    strerror(errno));
	else
		setvbuf(out, NULL, _IOFBF, 1 << 16);
	return out;
}

static uint64_t total_size(char **paths, int n)
{
	uint64_t total = 0;
	struct stat st;

	for (int i = 0; i < n; i++)
		if (stat(paths[i], &st) == 0 && st.st_size > 0)
			total += (uint64_t)st.st_size;
	return total;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --speed: wait until the packet is due, letting MQTT work meanwhile. */
static void pace(struct replay_run *run, uint64_t ts_ns)
{
	if (run->speed <= 0)
		return;
	if (!run->first_ts || ts_ns < run->first_ts) {
		run->first_ts = ts_ns ? ts_ns : 1;
		run->started = now_seconds();
		return;
	}
	double due = run->started + (double)(ts_ns - run->first_ts) / 1e9 /
	    run->speed;
	for (double wait; !interrupted && (wait = due - now_seconds()) > 0; ) {
		struct timespec nap = { 0, (long)((wait > 0.05 ? 0.05 : wait) *
		    1e9) };
		nanosleep(&nap, NULL);
		if (run->mqtt)
			lw_mqtt_poll(run->mqtt, run->sensor, 0);
	}
}

/* One file through the sensor.  False if it could not be read whole. */
static bool replay_file(struct lw_sensor *sensor, const char *path,
    struct lw_progress *progress, struct replay_run *run)
{
	char err[LW_ERRLEN];
	struct lw_packet pkt;
	const uint8_t *data;
	int rc;

	struct lw_pcapfile *file = lw_pcapfile_open(path, err, sizeof err);
	if (!file) {
		lw_progress_clear(progress);
		fprintf(stderr, "labwarden replay: %s\n", err);
		return false;
	}
	lw_sensor_begin_source(sensor, lw_pcapfile_linktype(file));
	while (!interrupted &&
	    (rc = lw_pcapfile_next(file, &pkt, &data, err, sizeof err)) == 1) {
		pace(run, pkt.ts_ns);
		lw_sensor_packet(sensor, &pkt, data);
		if (lw_progress_due(progress))
			lw_progress_draw(progress, lw_pcapfile_offset(file));
	}
	lw_progress_file_done(progress, lw_pcapfile_size(file));
	lw_pcapfile_close(file);
	if (!interrupted && rc < 0) {
		lw_progress_clear(progress);
		fprintf(stderr, "labwarden replay: %s\n", err);
		return false;
	}
	return true;
}

static int finish_output(FILE *out, const char *path, struct lw_writer *w)
{
	bool bad = w->failed || ferror(out);
	if (out != stdout)
		bad |= fclose(out) != 0;
	else
		bad |= fflush(out) != 0;
	if (bad) {
		fprintf(stderr, "labwarden replay: writing %s failed: %s\n",
		    strcmp(path, "-") == 0 ? "stdout" : path,
		    strerror(errno));
		return LW_EXIT_RUNTIME;
	}
	return LW_EXIT_OK;
}

/* Every file in order; returns how many could not be read whole. */
static unsigned replay_files(struct lw_sensor *sensor, int nfiles,
    char **files, struct lw_progress *progress, struct replay_run *run)
{
	unsigned failed = 0;

	for (int i = 0; i < nfiles && !interrupted; i++) {
		sensor->stats.files++;
		if (!replay_file(sensor, files[i], progress, run))
			failed++;
	}
	sensor->stats.files_failed = failed;
	return failed;
}

static void tick(void *ctx, uint64_t now_ns)
{
	struct replay_run *run = ctx;

	lw_scene_engine_tick(run->engine, now_ns);
	lw_actor_poll(run->engine->actor, now_ns);
	lw_keys_poll(run->engine->keys, now_ns);	/* results, grace periods */
	if (run->mqtt)
		lw_mqtt_poll(run->mqtt, run->sensor, 0);
}

/* The end of a replay: queued actions finish (bounded), state saved. */
static bool finish_actions(struct lw_actor *actor, uint64_t now_ns,
    char *err, size_t errlen)
{
	lw_actor_poll(actor, now_ns);
	lw_actor_drain(actor, DRAIN_MS);
	return lw_actor_save(actor, err, errlen);
}

static int run_replay(const struct replay_opts *o, struct lw_config *cfg,
    struct lw_scene_set *set, int nfiles, char **files)
{
	static struct lw_scene_engine engine;
	static struct lw_capturer capturer;
	char err[512];
	lw_event_mask mask;
	struct lw_writer writer;
	struct lw_progress progress;
	static struct lw_sensor sensor;	/* large: kept off the stack */

	if (!lw_emit_parse(o->emit, &mask, err, sizeof err))
		return usage_error(err, "");
	FILE *out = open_output(o->output);
	if (!out)
		return LW_EXIT_RUNTIME;
	lw_writer_init(&writer, out, mask, o->format);
	if (!lw_sensor_init(&sensor, cfg, &writer, false, o->state, stderr,
	    err, sizeof err) || !lw_scene_engine_init(&engine, set, &writer,
	    cfg, err, sizeof err)) {
		fprintf(stderr, "labwarden replay: %s\n", err);
		if (out != stdout)
			fclose(out);
		return LW_EXIT_RUNTIME;
	}
	/* The look-back ring costs a copy per packet: only when a
	 * capture can really start (--act and a capture_dir). */
	if (!lw_capturer_init(&capturer, cfg, &writer, o->act, err,
	    sizeof err)) {
		fprintf(stderr, "labwarden replay: %s\n", err);
		if (out != stdout)
			fclose(out);
		return LW_EXIT_RUNTIME;
	}
	if (capturer.enabled) {
		sensor.capturer = &capturer;
		engine.capturer = &capturer;
	}
	engine.act = o->act;
	/* Without --act every action is a dry run and nothing is opened;
	 * with it, what a past run left in --state is settled first. */
	engine.actor = lw_actor_new(cfg, &writer, o->act, o->act ? o->state :
	    NULL, err, sizeof err);
	if (!engine.actor) {
		fprintf(stderr, "labwarden replay: %s\n", err);
		lw_capturer_free(&capturer, 0);
		lw_sensor_free(&sensor);
		lw_scene_engine_free(&engine);
		if (out != stdout)
			fclose(out);
		return LW_EXIT_USAGE;
	}
	/* --act: key rotations go through the rotator's worker thread. */
	if (o->act && !(engine.keys = lw_keys_new(cfg, &writer, true,
	    o->state, err, sizeof err))) {
		fprintf(stderr, "labwarden replay: %s\n", err);
		lw_actor_free(engine.actor);
		lw_capturer_free(&capturer, 0);
		lw_sensor_free(&sensor);
		lw_scene_engine_free(&engine);
		if (out != stdout)
			fclose(out);
		return LW_EXIT_RUNTIME;
	}
	int mqtt_rc;
	struct replay_run run = { &engine, &sensor, NULL, o->speed, 0, 0 };
	run.mqtt = lw_cli_mqtt_start("replay", cfg, o->state, &engine,
	    &mqtt_rc);
	if (mqtt_rc != LW_EXIT_OK) {
		lw_keys_free(engine.keys);
		lw_actor_free(engine.actor);
		lw_capturer_free(&capturer, 0);
		lw_sensor_free(&sensor);
		lw_scene_engine_free(&engine);
		if (out != stdout)
			fclose(out);
		return mqtt_rc;
	}
	lw_sensor_add_sink(&sensor, lw_scene_engine_fact, &engine);
	sensor.on_tick = tick;
	sensor.tick_ctx = &run;
	sensor.decode_only = o->decode_only;
	lw_progress_init(&progress, o->progress, total_size(files, nfiles));

	signal(SIGINT, on_interrupt);
	signal(SIGTERM, on_interrupt);
	double started = now_seconds();
	unsigned failed = replay_files(&sensor, nfiles, files, &progress, &run);
	sensor.stats.wall_seconds = now_seconds() - started;
	lw_progress_finish(&progress);
	/* Rotations under way may finish, unless interrupted: then they
	 * end now (failed, the old key kept).  None starts after this. */
	lw_keys_drain_unless(engine.keys, lw_sensor_now(&sensor),
	    KEYS_DRAIN_MS, &interrupted);
	lw_keys_stop(engine.keys);
	lw_capturer_free(&capturer, lw_sensor_now(&sensor));
	char act_err[512];
	bool acts_saved = finish_actions(engine.actor, lw_sensor_now(&sensor),
	    act_err, sizeof act_err);
	bool saved = lw_sensor_finish(&sensor, err, sizeof err);
	if (!acts_saved)
		fprintf(stderr, "labwarden replay: %s\n", act_err);
	saved = saved && acts_saved;

	uint64_t undelivered = lw_cli_mqtt_stop(run.mqtt, &writer, &sensor, 0,
	    0);
	int rc = finish_output(out, o->output, &writer);
	if (undelivered)
		rc = LW_EXIT_RUNTIME;
	if (!saved) {
		if (acts_saved)
			fprintf(stderr, "labwarden replay: %s\n", err);
		rc = LW_EXIT_RUNTIME;
	}
	if (o->stats) {
		lw_stats_print(&sensor.stats, stderr);
		lw_sensor_print_tables(&sensor, stderr);
		lw_scene_engine_print(&engine, stderr);
		lw_actor_print(engine.actor, stderr);
		lw_keys_print(engine.keys, stderr);
	}
	if (interrupted)
		fprintf(stderr, "labwarden replay: interrupted\n");
	if (failed || interrupted)
		rc = LW_EXIT_RUNTIME;
	lw_sensor_free(&sensor);
	lw_actor_free(engine.actor);
	lw_keys_free(engine.keys);
	lw_scene_engine_free(&engine);
	return rc;
}

int lw_cmd_replay(int argc, char **argv)
{
	struct replay_opts o;
	struct lw_config cfg;
	int rc;

	if ((rc = parse_opts(argc, argv, &o)) >= 0)
		return rc;
	if ((rc = check_paths(&o)) >= 0)
		return rc;
	if ((rc = lw_cli_load_config(&cfg, o.config)) != LW_EXIT_OK)
		return rc;
	if (o.act && (rc = lw_cli_check_keys(&cfg)) != LW_EXIT_OK) {
		lw_config_free(&cfg);
		return rc;
	}
	static struct lw_scene_set set;
	if ((rc = lw_cli_load_rules(&set, o.rules, o.nrules, &cfg)) !=
	    LW_EXIT_OK) {
		lw_config_free(&cfg);
		return rc;
	}
	rc = run_replay(&o, &cfg, &set, argc - optind, argv + optind);
	lw_scenes_free(&set);
	lw_config_free(&cfg);
	return rc;
}
