/*
 * rules.c - which rules a command loads, and loading them for a person.
 *
 * -r paths win; else the configuration's rules:; else the installed
 * default ruleset, or the source tree's when running uninstalled.
 * The installed rules are found next to the binary (BIN/../share/
 * labwarden/rules), so an installation works under any prefix and
 * DESTDIR without the binary knowing it.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "labwarden/cli.h"
#include "labwarden/scene.h"

#define RULES_FROM_BIN	"/../share/labwarden/rules"

/* BIN/../share/labwarden/rules for the running binary, or NULL. */
static const char *installed_rules(void)
{
	static char path[PATH_MAX + sizeof RULES_FROM_BIN];
	ssize_t n = readlink("/proc/self/exe", path, PATH_MAX - 1);

	if (n <= 0)
		return NULL;
	path[n] = '\0';
	char *slash = strrchr(path, '/');
	if (!slash)
		return NULL;
	strcpy(slash, RULES_FROM_BIN);
	return access(path, R_OK) == 0 ? path : NULL;
}

const char *lw_cli_default_rules(const struct lw_config *cfg)
{
	const char *installed;

	if (cfg->rules)
		return cfg->rules;
	if ((installed = installed_rules()))
		return installed;
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
