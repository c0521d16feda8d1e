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
/* keys: and vault: checked (keys.h); prints every error.  Returns an
 * exit status. */
int	lw_cli_check_keys(const struct lw_config *cfg);

#include <stddef.h>
struct lw_scene_set;
/* -r paths (or the default rules) into set; prints every error.
 * Returns an exit status; on error the set is already freed. */
int	lw_cli_load_rules(struct lw_scene_set *set, const char *const *paths,
	    size_t npaths, const struct lw_config *cfg);
const char *lw_cli_default_rules(const struct lw_config *cfg);

#endif
