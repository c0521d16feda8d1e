/*
 * cmd_other.c - `check`, plus the shared config loading (`release` is
 * in cmd_release.c, `rotate` in cmd_rotate.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "labwarden/cli.h"
#include "labwarden/config.h"
#include "labwarden/scene.h"
#include "labwarden/actor.h"
#include "labwarden/diag.h"
#include "labwarden/keys.h"
#include "labwarden/mqtt.h"

#define MAX_CHECK_RULES 64
static char *check_rules[MAX_CHECK_RULES];
static size_t ncheck_rules;

/* Load the config; on errors keep the defaults-filled cfg usable. */
static int load_config_keep(struct lw_config *cfg, const char *path)
{
	struct lw_diag diag;

	lw_config_defaults(cfg);
	if (!path)
		return LW_EXIT_OK;
	lw_diag_init(&diag);
	bool ok = lw_config_load(cfg, path, &diag);
	lw_diag_print(&diag, stderr);
	lw_diag_free(&diag);
	return ok ? LW_EXIT_OK : LW_EXIT_USAGE;
}

int lw_cli_load_config(struct lw_config *cfg, const char *path)
{
	int rc = load_config_keep(cfg, path);

	if (rc != LW_EXIT_OK)
		lw_config_free(cfg);
	return rc;
}

/* -c CONFIG and --help: the options every small command takes. */
static int small_opts(int argc, char **argv, const char *help,
    const char **config)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "rules", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:r:h", longopts, NULL)) != -1) {
		if (ch == 'c')
			*config = optarg;
		else if (ch == 'h') {
			fputs(help, stdout);
			return LW_EXIT_OK;
		} else if (ch == 'r' && strcmp(argv[0], "check") == 0 &&
		    ncheck_rules < MAX_CHECK_RULES) {
			check_rules[ncheck_rules++] = optarg;
		} else {
			fputs(help, stderr);
			return LW_EXIT_USAGE;
		}
	}
	return -1;
}

/* keys: and vault: belong to the key rotation, which checks them. */
int lw_cli_check_keys(const struct lw_config *cfg)
{
	struct lw_diag diag;

	lw_diag_init(&diag);
	bool ok = lw_keys_check_config(cfg, &diag);
	lw_diag_print(&diag, stderr);
	lw_diag_free(&diag);
	return ok ? LW_EXIT_OK : LW_EXIT_USAGE;
}

int lw_cmd_check(int argc, char **argv)
{
	static const char help[] =
	"usage: labwarden check [-c CONFIG] [-r RULES]...\n\n"
	"Validate the configuration (each backend's section too) and rules;\n"
	"print every error as file:line:col: message.  Exit 0 when valid,\n"
	"2 otherwise.\n"
	"-r takes a rules file or a directory (every *.yaml, *.yml);\n"
	"without it, the config's rules:, else the default ruleset.\n\n"
	"example:\n  labwarden check -c /etc/labwarden/labwarden.yaml -r rules/\n";
	const char *config = NULL;
	struct lw_config cfg;
	int rc;

	if ((rc = small_opts(argc, argv, help, &config)) >= 0)
		return rc;
	/* Config errors and rule errors are all shown in one run. */
	int cfg_rc = load_config_keep(&cfg, config);
	struct lw_diag diag;
	lw_diag_init(&diag);
	if (!lw_actor_check_config(&cfg, &diag))	/* backends: */
		cfg_rc = LW_EXIT_USAGE;
	if (!lw_mqtt_check_config(&cfg, &diag))
		cfg_rc = LW_EXIT_USAGE;
	lw_diag_print(&diag, stderr);
	lw_diag_free(&diag);
	if (lw_cli_check_keys(&cfg) != LW_EXIT_OK)
		cfg_rc = LW_EXIT_USAGE;
	static struct lw_scene_set set;
	rc = lw_cli_load_rules(&set, (const char *const *)check_rules,
	    ncheck_rules, &cfg);
	if (cfg_rc == LW_EXIT_OK && rc == LW_EXIT_OK) {
		printf("%s: ok; %u scenes from %s\n", config ? config :
		    "built-in defaults", set.nscenes, ncheck_rules ?
		    "the -r paths" : lw_cli_default_rules(&cfg));
		lw_scenes_free(&set);
	}
	lw_config_free(&cfg);
	return cfg_rc != LW_EXIT_OK ? cfg_rc : rc;
}

int lw_cli_one_arg(int argc, char **argv, const char *usage,
    const char *want, const char **config, const char **arg)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		if (ch == 'c')
			*config = optarg;
		else if (ch == 'h') {
			fputs(usage, stdout);
			return LW_EXIT_OK;
		} else {
			fputs(usage, stderr);
			return LW_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "labwarden %s: give one %s\n%s", argv[0], want,
		    usage);
		return LW_EXIT_USAGE;
	}
	*arg = argv[optind];
	return -1;
}
