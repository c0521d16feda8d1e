/*
 * backend.c - the table of backend types, and what HTTP backends share
 * (backend.h).
 */
#include <stdio.h>
#include <string.h>

#include "labwarden/backend.h"
#include "labwarden/http.h"

/* One line per type; each lives in its own file. */
static const struct lw_backend_ops *const all_ops[] = {
	&lw_backend_nft,
	&lw_backend_mikrotik,
	&lw_backend_opnsense,
	&lw_backend_webhook,
	&lw_backend_openwrt,
	&lw_backend_unifi,
	NULL
};

/* Registered at run time (tests): searched first. */
#define EXTRA_MAX 8
static const struct lw_backend_ops *extra_ops[EXTRA_MAX];

bool lw_backend_register(const struct lw_backend_ops *ops)
{
	for (size_t i = 0; i < EXTRA_MAX; i++)
		if (!extra_ops[i] || strcmp(extra_ops[i]->type, ops->type) == 0) {
			extra_ops[i] = ops;
			return true;
		}
	return false;
}

const struct lw_backend_ops *lw_backend_ops_find(const char *type)
{
	for (size_t i = 0; i < EXTRA_MAX && extra_ops[i]; i++)
		if (strcmp(extra_ops[i]->type, type) == 0)
			return extra_ops[i];
	for (size_t i = 0; all_ops[i]; i++)
		if (strcmp(all_ops[i]->type, type) == 0)
			return all_ops[i];
	return NULL;
}

bool lw_backend_common_check(struct lw_section *sec, struct lw_diag *diag)
{
	uint64_t timeout_ns, retries;
	bool insecure;
	size_t before = diag->count + diag->dropped;

	lw_section_str(sec, "type", NULL);
	lw_section_duration(sec, "timeout", 10ull * 1000000000, &timeout_ns,
	    diag);
	if (lw_section_find(sec, "timeout") && timeout_ns < 1000000)
		lw_section_error(sec, "timeout", diag, "at least 1ms");
	lw_section_uint(sec, "retries", 3, 10, &retries, diag);
	lw_section_bool(sec, "insecure", false, &insecure, diag);
	const char *ca = lw_section_str(sec, "ca_file", NULL);
	if (ca && !*ca)
		lw_section_error(sec, "ca_file", diag, "empty file name");
	return diag->count + diag->dropped == before;
}

bool lw_backend_http_opts(struct lw_backend *be, struct lw_section *sec,
    struct lw_http_opts *opts, char *err, size_t errlen)
{
	struct lw_diag diag;
	uint64_t timeout_ns, retries;
	bool insecure;

	memset(opts, 0, sizeof *opts);
	lw_diag_init(&diag);
	lw_section_duration(sec, "timeout", 10ull * 1000000000, &timeout_ns,
	    &diag);
	lw_section_uint(sec, "retries", 3, 10, &retries, &diag);
	lw_section_bool(sec, "insecure", false, &insecure, &diag);
	opts->ca_file = lw_section_str(sec, "ca_file", NULL);
	bool ok = diag.count == 0;
	if (!ok)
		snprintf(err, errlen, "%s", diag.msgs[0]);
	lw_diag_free(&diag);
	if (!ok)
		return false;
	opts->timeout_ms = timeout_ns / 1000000;
	if (!opts->timeout_ms)
		opts->timeout_ms = 1;
	opts->insecure = insecure;
	be->timeout_ms = opts->timeout_ms;
	be->retries = (unsigned)retries;
	if (insecure)
		fprintf(stderr, "labwarden: warning: %s: insecure: true - TLS "
		    "certificates are not checked; anyone on the path can "
		    "pose as this device\n", sec->where);
	return true;
}
