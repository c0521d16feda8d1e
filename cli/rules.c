/*
 * rules.c - which rules a command loads, and loading them for a person.
 *
 * -r paths win; else the configuration's rules:; else the installed
 * default ruleset, or the source tree's when running uninstalled.
 */
#include <stdio.h>
#include <unistd.h>

#include "labwarden/cli.h"
#include "labwarden/scene.h"

const char *lw_cli_default_rules(const struct lw_config *cfg)
{
	if (cfg->rules)
		return cfg->rules;
	if (access(LW_RULES_DIR, R_OK) == 0)
		return LW_RULES_DIR;
	return LW_SOURCE_RULES_DIR;
}

int lw_cli_load_rules(struct lw_scene_set *set, const char *const *paths,
    size_t npaths, const struct lw_config *cfg)
{
	struct lw_diag diag;
	const char *fallback = lw_cli_default_rules(cfg);

	if (npaths == 0) {
		paths = &fallback;
		npaths = 1;
	}
	lw_diag_init(&diag);
	bool ok = lw_scenes_load(set, paths, npaths, cfg, &diag);
	lw_diag_print(&diag, stderr);
	if (!ok)
		fprintf(stderr, "labwarden: %zu error(s) in the rules\n",
		    diag.count + diag.dropped);
	lw_diag_free(&diag);
	if (!ok) {
		lw_scenes_free(set);
		return LW_EXIT_USAGE;
	}
	return LW_EXIT_OK;
}
