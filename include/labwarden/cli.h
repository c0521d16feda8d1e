/*
 * cli.h - the labwarden commands (docs/interface.md, "Command line").
 * Each returns the process exit status: 0 success, 1 runtime error,
 * 2 usage or validation error.
 */
#ifndef LABWARDEN_CLI_H
#define LABWARDEN_CLI_H

#define LW_EXIT_OK	0
#define LW_EXIT_RUNTIME	1
#define LW_EXIT_USAGE	2

int	lw_cmd_replay(int argc, char **argv);
int	lw_cmd_check(int argc, char **argv);
int	lw_cmd_run(int argc, char **argv);
int	lw_cmd_release(int argc, char **argv);
int	lw_cmd_rotate(int argc, char **argv);

/* Load -c CONFIG (or defaults when path is NULL); prints diagnostics.
 * Returns an exit status. */
struct lw_config;
int	lw_cli_load_config(struct lw_config *cfg, const char *path);
/* `COMMAND ARG [-c CONFIG]` (release, rotate): -1 to go on with *arg
 * and *config set, else the exit status (help, or a usage error that
 * names want, e.g. "TARGET (a MAC or an IP)"). */
int	lw_cli_one_arg(int argc, char **argv, const char *usage,
	    const char *want, const char **config, const char **arg);
/* keys: and vault: checked (keys.h); prints every error.  Returns an
 * exit status. */
int	lw_cli_check_keys(const struct lw_config *cfg);

#include <stddef.h>
#include <stdint.h>
struct lw_scene_set;
/* -r paths (or the default rules) into set; prints every error.
 * Returns an exit status; on error the set is already freed. */
int	lw_cli_load_rules(struct lw_scene_set *set, const char *const *paths,
	    size_t npaths, const struct lw_config *cfg);
const char *lw_cli_default_rules(const struct lw_config *cfg);

/*
 * MQTT for run and replay (cli/mqtt_actions.c): NULL with *rc 0 when
 * the config has no mqtt section; NULL with *rc 2 (config mistakes,
 * printed) or 1 (runtime) when it cannot start.  Taps eng's writer and
 * publishes the scene names; commands act through eng.
 */
struct lw_mqtt;
struct lw_scene_engine;
struct lw_sensor;
struct lw_writer;
struct lw_mqtt *lw_cli_mqtt_start(const char *cmd,
	    const struct lw_config *cfg, const char *state_dir,
	    struct lw_scene_engine *eng, int *rc);
/* The scene names again (after a reload). */
void	lw_cli_mqtt_scenes(struct lw_mqtt *mq, const struct lw_scene_set *set);
/* Last commands, hosts and stats, then a bounded flush and close (the
 * writer's tap is removed first).  Returns the events not delivered. */
uint64_t lw_cli_mqtt_stop(struct lw_mqtt *mq, struct lw_writer *w,
	    struct lw_sensor *s, uint64_t drops, uint64_t timeout_ns);

#endif
