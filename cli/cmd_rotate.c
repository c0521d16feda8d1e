/*
 * cmd_rotate.c - `labwarden rotate KEY`: rotate one configured key now
 * (keys.h, docs/keys.md), on the real clock, with origin "cli".  Old
 * versions whose grace period has ended by now (this rotation's or an
 * earlier run's, kept in state_dir) are destroyed in the same run.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "labwarden/cli.h"
#include "labwarden/config.h"
#include "labwarden/keys.h"

#define DRAIN_MS	(120 * 1000)	/* Vault, router and hook together */

static const char rotate_usage[] =
"usage: labwarden rotate KEY [-c CONFIG]\n"
"\n"
"Rotate the key named KEY under keys: in CONFIG now: a new key from\n"
"getrandom is written as a new version to its store (Vault or a file),\n"
"a WireGuard peer on the router is switched to it, and the service's\n"
"reload hook is called.  The old version stays valid for keys.KEY.grace\n"
"and is destroyed afterwards (remembered in state_dir).  Every step is\n"
"in the audit log; the key itself is never printed.\n"
"\n"
"  -c, --config CONFIG  configuration (default /etc/labwarden/labwarden.yaml)\n"
"  -h, --help           this text\n"
"\n"
"exit status: 0 rotated, 1 the rotation failed (the old key stays; the\n"
"message says why), 2 no such key or a configuration error\n"
"\n"
"example:\n"
"  labwarden rotate openai -c /etc/labwarden/labwarden.yaml\n";

struct outcome {
	const char *key;
	bool	 seen, ok;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * LW_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* One line per finished step, for a person; never key material. */
static void on_result(void *ctx, const json_t *ev)
{
	struct outcome *out = ctx;
	const char *key = json_string_value(json_object_get(ev, "key"));
	const char *step = json_string_value(json_object_get(ev, "step"));
	const char *status = json_string_value(json_object_get(ev, "status"));
	const char *detail = json_string_value(json_object_get(ev, "detail"));
	const char *fp = json_string_value(json_object_get(ev,
	    "fingerprint"));
	bool ok = status && strcmp(status, "done") == 0;

	if (key && step && strcmp(step, "rotate") == 0 &&
	    strcmp(key, out->key) == 0) {
		out->seen = true;
		out->ok = ok;
	}
	fprintf(ok ? stdout : stderr, "%s%s: %s: %s%s%s%s\n", ok ? "" :
	    "labwarden rotate: ", key ? key : "?", step ? step : "?",
	    ok ? "" : "failed: ", detail ? detail : "", fp ? "; fingerprint " :
	    "", fp ? fp : "");
}

/* Is name under keys:?  If not, say which names are. */
static bool known_key(const struct lw_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nkeys; i++)
		if (strcmp(cfg->key_names[i], name) == 0)
			return true;
	fprintf(stderr, "labwarden rotate: no key named '%s' under keys: in "
	    "%s", name, cfg->path ? cfg->path : "the configuration");
	const char *near = lw_suggest(name, (const char *const *)
	    cfg->key_names);
	if (near)
		fprintf(stderr, " - did you mean '%s'?", near);
	for (size_t i = 0; i < cfg->nkeys; i++)
		fprintf(stderr, "%s%s", i ? ", " : " (there are: ",
		    cfg->key_names[i]);
	fprintf(stderr, "%s\n", cfg->nkeys ? ")" : "");
	return false;
}

static int rotate(struct lw_config *cfg, const char *name)
{
	struct outcome out = { .key = name };
	char err[768], detail[512];

	if (lw_cli_check_keys(cfg) != LW_EXIT_OK)
		return LW_EXIT_USAGE;
	struct lw_keys *keys = lw_keys_new(cfg, NULL, true, cfg->state_dir,
	    err, sizeof err);
	if (!keys) {
		fprintf(stderr, "labwarden rotate: %s\n", err);
		return LW_EXIT_RUNTIME;
	}
	lw_keys_listen(keys, on_result, &out);
	uint64_t now = now_ns();
	const char *status = lw_keys_request(keys, name, "cli", now, detail,
	    sizeof detail);
	if (strcmp(status, "pending") != 0)
		fprintf(stderr, "labwarden rotate: %s: %s\n", status, detail);
	lw_keys_drain(keys, now, DRAIN_MS);
	if (strcmp(status, "pending") == 0 && !out.seen)
		fprintf(stderr, "labwarden rotate: %s: no answer within %d s; "
		    "see the audit log\n", name, DRAIN_MS / 1000);
	lw_keys_free(keys);
	return out.seen && out.ok ? LW_EXIT_OK : LW_EXIT_RUNTIME;
}

int lw_cmd_rotate(int argc, char **argv)
{
	const char *config = "/etc/labwarden/labwarden.yaml", *name = NULL;
	struct lw_config cfg;
	int rc;

	if ((rc = lw_cli_one_arg(argc, argv, rotate_usage,
	    "KEY (a name under keys:)", &config, &name)) >= 0)
		return rc;
	if ((rc = lw_cli_load_config(&cfg, config)) != LW_EXIT_OK)
		return rc;
	rc = known_key(&cfg, name) ? rotate(&cfg, name) : LW_EXIT_USAGE;
	lw_config_free(&cfg);
	return rc;
}
