/*
 * key_log.c - what the key rotation's HTTP steps share: a client from a
 * peer's settings, replies wiped before they are freed (they may hold
 * key material), and the one-line summaries of requests that go into
 * the audit log (method, path, status and time; never a body).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys_int.h"

struct lw_http *key_http_new(const struct key_conf *kc,
    const struct key_http_conf *hc)
{
	struct lw_http_opts opts = {
		.ca_file = hc->ca_file[0] ? hc->ca_file : NULL,
		.insecure = hc->insecure,
		.timeout_ms = hc->timeout_ms,
	};
	struct lw_http *h = lw_http_new(&opts);

	if (h && kc->abort)	/* shutdown ends a request under way */
		lw_http_set_abort(h, &kc->abort->now);
	return h;
}

void key_resp_wipe(struct lw_http_resp *resp)
{
	if (resp->body)
		explicit_bzero(resp->body, resp->len);
	lw_http_resp_free(resp);
}

void key_json_string_wipe(json_t *s)
{
	if (json_is_string(s))
		explicit_bzero((char *)(uintptr_t)json_string_value(s),
		    json_string_length(s));
}

void key_value_wipe(struct key_value *v)
{
	explicit_bzero(v, sizeof *v);
}

void key_log_add(struct key_log *log, const char *method, const char *path,
    const struct lw_http_resp *resp)
{
	log->last_status = resp->status;
	log->aborted |= resp->aborted;
	log->latency_ms += resp->latency_ms;
	if (log->n == KEY_LOG_MAX) {
		log->dropped++;
		return;
	}
	/* The path only: a query string could carry a version, never a
	 * secret, but a summary has no use for it. */
	size_t plen = strcspn(path, "?");
	if (resp->status)
		snprintf(log->req[log->n], sizeof log->req[0], "%s %.*s %ld "
		    "%.0fms", method, (int)(plen > 120 ? 120 : plen), path,
		    resp->status, resp->latency_ms);
	else
		snprintf(log->req[log->n], sizeof log->req[0], "%s %.*s: %s",
		    method, (int)(plen > 120 ? 120 : plen), path,
		    resp->timed_out ? "timed out" : resp->aborted ?
		    "aborted" : "no reply");
	log->n++;
}
