/*
 * backend_call.h - what the HTTP router backends share: one request
 * with its bookkeeping in the result, the canonical text of a target's
 * MAC and IP, and secrets read with a diagnostic at the key.
 *
 * Only canonical text goes into a request (lowercase colon MAC, the
 * inet_ntop form of an address), so nothing a scene or a packet wrote
 * reaches a router's command line or URL.
 */
#ifndef LABWARDEN_BACKEND_CALL_H
#define LABWARDEN_BACKEND_CALL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "labwarden/backend.h"
#include "labwarden/http.h"

/* "AA-bb-cc-DD-ee-ff" or "aa:bb:..." into "aa:bb:cc:dd:ee:ff". */
bool	 lw_mac_canon(const char *text, char out[18]);
/* One IPv4 or IPv6 address (no prefix) in inet_ntop form; *family is
 * 4 or 6. */
bool	 lw_ip_canon(const char *text, char *out, size_t outlen, int *family);
/* t->mac, else t->text when that is a MAC; canonical. */
bool	 lw_target_mac(const struct lw_target *t, char out[18]);
/* t->ip, else t->text when that is an address; canonical. */
bool	 lw_target_ip(const struct lw_target *t, char *out, size_t outlen,
	    int *family);

/* res->detail from a format. */
void	 lw_be_detail(struct lw_be_result *res, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Send req and account for it in res: requests, latency, http_status,
 * and request (summary: method and path, never a secret).  True when a
 * reply came.  False on a transport error, with *st and res->detail
 * set: a TLS failure is LW_BE_FAIL (a wrong certificate stays wrong),
 * a timeout or a refused connection LW_BE_RETRY.
 */
bool	 lw_be_send(struct lw_http *h, const struct lw_http_req *req,
	    const char *summary, struct lw_http_resp *resp,
	    struct lw_be_result *res, enum lw_be_status *st);
/* The status an HTTP error reply stands for: 5xx, 408 and 429 are
 * worth a retry, the rest is permanent. */
enum lw_be_status lw_be_http_status(long status);
/* The reply body as JSON, or NULL with res->detail naming what (never
 * a crash: bad UTF-8, depth and size are jansson's checks). */
json_t	*lw_be_json(const struct lw_http_resp *resp, const char *what,
	    struct lw_be_result *res);

/*
 * A secret base (base_file or base_env) through lw_section_secret;
 * mistakes go to diag at the key's file:line:col.  1: read into buf;
 * 0: neither key given (a mistake in diag when required); -1: given
 * but unusable (diag says why, never the value).
 */
int	 lw_be_secret(struct lw_section *sec, const char *base,
	    bool required, char *buf, size_t buflen, struct lw_diag *diag);
/* The first message of diag into err (open() reports one). */
void	 lw_be_first_error(const struct lw_diag *diag, char *err,
	    size_t errlen);

#endif
