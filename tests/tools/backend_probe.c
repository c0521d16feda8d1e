/*
 * backend_probe.c - drive one backend directly, for the backend tests.
 *
 *   backend_probe CONFIG NAME check
 *   backend_probe CONFIG NAME block|release|has lockdown|quarantine
 *                 TARGET [--mac MAC] [--ip IP] [--for SECONDS] [--ref REF]
 *
 * Loads CONFIG, opens backends.NAME and calls one operation, printing
 * the result as one JSON object: status (ok, retry, fail), http_status,
 * requests, request, detail, ref, expires_s, latency_ms, absent.  Exit
 * 0 when the call returned ok, 1 otherwise, 2 on a usage or config
 * error.  No retries here: those belong to the action layer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "labwarden/backend.h"
#include "labwarden/config.h"
#include "labwarden/http.h"

static int usage(void)
{
	fprintf(stderr, "usage: backend_probe CONFIG NAME check\n"
	    "       backend_probe CONFIG NAME block|release|has "
	    "lockdown|quarantine TARGET\n"
	    "             [--mac MAC] [--ip IP] [--for SECONDS] [--ref REF]\n");
	return 2;
}

static struct lw_section *find_section(struct lw_config *cfg,
    const char *name, const char **type)
{
	for (size_t i = 0; i < cfg->nbackends; i++)
		if (strcmp(cfg->backend_names[i], name) == 0) {
			*type = cfg->backend_types[i];
			return cfg->backend_conf[i];
		}
	return NULL;
}

static const char *status_name(enum lw_be_status st)
{
	return st == LW_BE_OK ? "ok" : st == LW_BE_RETRY ? "retry" : "fail";
}

static void print_result(enum lw_be_status st, const struct lw_be_result *r)
{
	json_t *o = json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:I, s:f, s:b}",
	    "status", status_name(st), "http_status", (json_int_t)r->http_status,
	    "requests", (json_int_t)r->requests, "request", r->request,
	    "detail", r->detail, "ref", r->ref, "expires_s",
	    (json_int_t)r->expires_s, "latency_ms", r->latency_ms, "absent",
	    r->absent);
	char *text = json_dumps(o, JSON_COMPACT);
	puts(text);
	free(text);
	json_decref(o);
}

static int run_op(struct lw_backend *be, int argc, char **argv)
{
	struct lw_target t;
	struct lw_be_result res;
	uint64_t seconds = 60;
	const char *ref = "";
	enum lw_be_status st;

	if (argc < 6)
		return usage();
	enum lw_block_kind kind = strcmp(argv[4], "quarantine") == 0 ?
	    LW_BLOCK_QUARANTINE : LW_BLOCK_LOCKDOWN;
	memset(&t, 0, sizeof t);
	memset(&res, 0, sizeof res);
	snprintf(t.text, sizeof t.text, "%s", argv[5]);
	for (int i = 6; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--mac") == 0)
			snprintf(t.mac, sizeof t.mac, "%s", argv[i + 1]);
		else if (strcmp(argv[i], "--ip") == 0)
			snprintf(t.ip, sizeof t.ip, "%s", argv[i + 1]);
		else if (strcmp(argv[i], "--for") == 0)
			seconds = strtoull(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--ref") == 0)
			ref = argv[i + 1];
		else
			return usage();
	}
	if (strcmp(argv[3], "block") == 0)
		st = be->ops->block(be, kind, &t, seconds, &res);
	else if (strcmp(argv[3], "release") == 0)
		st = be->ops->release(be, kind, &t, ref, &res);
	else if (strcmp(argv[3], "has") == 0)
		st = be->ops->has(be, kind, &t, ref, &res);
	else
		return usage();
	print_result(st, &res);
	return st == LW_BE_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct lw_config cfg;
	struct lw_diag diag;
	struct lw_backend be;
	const char *type = NULL;
	char err[1024];
	int rc = 2;

	if (argc < 4)
		return usage();
	lw_http_global_init();
	lw_config_defaults(&cfg);
	lw_diag_init(&diag);
	bool loaded = lw_config_load(&cfg, argv[1], &diag);
	struct lw_section *sec = loaded ? find_section(&cfg, argv[2], &type) :
	    NULL;
	const struct lw_backend_ops *ops = type ? lw_backend_ops_find(type) :
	    NULL;
	if (!loaded || !sec || !ops) {
		lw_diag_print(&diag, stderr);
		fprintf(stderr, "backend_probe: no usable backends.%s\n",
		    argv[2]);
		goto out;
	}
	if (strcmp(argv[3], "check") == 0) {
		rc = ops->check(sec, &diag) ? 0 : 1;
		lw_diag_print(&diag, stderr);
		goto out;
	}
	memset(&be, 0, sizeof be);
	be.ops = ops;
	snprintf(be.name, sizeof be.name, "%s", argv[2]);
	if (!ops->open(&be, sec, err, sizeof err)) {
		fprintf(stderr, "backend_probe: %s\n", err);
		goto out;
	}
	rc = run_op(&be, argc, argv);
	ops->close(&be);
out:
	lw_diag_free(&diag);
	lw_config_free(&cfg);
	lw_http_global_cleanup();
	return rc;
}
