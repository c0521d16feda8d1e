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
	&lw_backend_openwrt,
	&lw_backend_unifi,
	NULL
};

const struct lw_backend_ops *lw_backend_ops_find(const char *type)
{
	for (size_t i = 0; all_ops[i]; i++)
		if (strcmp(all_ops[i]->type, type) == 0)
			return all_ops[i];
	return NULL;
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
