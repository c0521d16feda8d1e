/*
 * backend_http.h - what the HTTP backends (MikroTik, OPNsense, webhook,
 * and any later one) share, so each backend file holds only its vendor.
 *
 *   - A target is checked before any request: only canonical MAC and IP
 *     text (lowercase, inet_ntop's form) ever reaches a URL or a body.
 *   - One request is sent and accounted in the result (count, latency,
 *     status, "METHOD /path" summary) and classified: a reply 2xx is OK;
 *     a timeout, a refused connection, 5xx, 408 or 429 is RETRY; a TLS
 *     error (a certificate refused) or another status is FAIL.
 *   - Vendor text quoted in a detail is cut and made printable.
 */
#ifndef LABWARDEN_BACKEND_HTTP_H
#define LABWARDEN_BACKEND_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "labwarden/backend.h"
#include "labwarden/http.h"
#include "labwarden/section.h"

/* A target's addresses in canonical text ("" when unknown). */
struct lw_be_addrs {
	char	 mac[18];	/* aa:bb:cc:dd:ee:ff */
	char	 ip[46];	/* inet_ntop's form */
	int	 family;	/* 4 or 6 for ip, 0 without */
	bool	 text_is_mac;	/* the target was asked for as a MAC */
};

/* "aa:bb:cc:dd:ee:ff" in either case, a unicast, non-zero MAC. */
bool	 lw_be_canon_mac(const char *in, char out[18]);
/* An IPv4 or IPv6 host address (no prefix, zone, multicast or
 * unspecified address), into out; *family 4 or 6. */
bool	 lw_be_canon_ip(const char *in, char *out, size_t outlen,
	    int *family);
/* A device's printing of a host address ("10.0.0.5", "10.0.0.5/32",
 * "2001:DB8::5/128") is the canonical ip. */
bool	 lw_be_same_host(const char *printed, const char *ip);
/* Check the whole target: text a MAC or an IP, mac and ip empty or
 * valid, and text agreeing with them.  False with res->detail set. */
bool	 lw_be_target(const struct lw_target *t, struct lw_be_addrs *out,
	    struct lw_be_result *res);

/* Common keys (LW_BACKEND_COMMON_KEYS) checked for `labwarden check`:
 * lw_backend_common_check, and that ca_file can be read. */
void	 lw_be_check_common(struct lw_section *sec, struct lw_diag *diag);
/* insecure: true in sec (a bad value is false here; lw_be_check_common
 * reports it): whether an http:// url may be taken. */
bool	 lw_be_insecure(struct lw_section *sec);
/* A secret's error (from lw_section_secret) at the key that is there:
 * base, base_file or base_env, else the section.  All three count as
 * read for lw_section_unused. */
void	 lw_be_secret_error(struct lw_section *sec, const char *base,
	    const char *err, struct lw_diag *diag);
/* url: (required) as lw_be_base_url takes it, http:// only with
 * insecure: true, and without a path unless path_ok.  A mistake is
 * reported at url's position as the reason, or with hint as "'URL'
 * reason (hint)".  False on a mistake or when url is missing. */
bool	 lw_be_read_url(struct lw_section *sec, bool path_ok,
	    const char *hint, char *out, size_t outlen, struct lw_diag *diag);
/* The secret base (lw_section_secret: base_file or base_env) into buf:
 * 1 read, 0 not given (and not required), -1 a mistake, reported at its
 * key by lw_be_secret_error. */
int	 lw_be_read_secret(struct lw_section *sec, const char *base,
	    bool required, char *buf, size_t buflen, struct lw_diag *diag);
/* OpenWrt's ubus endpoint from a base URL: its path when it has one,
 * else /ubus; the whole URL into url, the path into path. */
void	 lw_be_ubus_endpoint(const char *base, char *url, size_t urllen,
	    char *path, size_t pathlen);
/* The base URL of a device: http(s)://host[:port] with an optional
 * path, no query, user info or fragment; a trailing '/' cut.  http://
 * only when allow_http.  False with why. */
bool	 lw_be_base_url(const char *url, bool allow_http, char *out,
	    size_t outlen, char *why, size_t whylen);
/* The common keys into an http client: lw_backend_http_opts (with its
 * warning for insecure), ca_file relative to the config's directory. */
struct lw_http *lw_be_http_open(struct lw_backend *be,
	    struct lw_section *sec, char *err, size_t errlen);

/*
 * What the shared check(), open() and close() of an HTTP backend need to
 * know of it.  Its state (be->priv) is size bytes, zeroed, with its
 * client at http_offset; read() takes every key but the common ones
 * into it.  check() and open() read a section the same way: the common
 * keys (lw_be_check_common), read(), then unknown keys.  The whole state
 * is wiped before it is freed (it holds credentials).
 */
struct lw_be_conf {
	size_t	 size;
	size_t	 http_offset;	/* offsetof(state, its struct lw_http *) */
	const char *const *keys;	/* every key it knows, NULL-ended */
	void	(*read)(struct lw_section *sec, void *state,
		    struct lw_diag *diag);
};
/* For ops.check: every mistake into diag; true when none. */
bool	 lw_be_conf_check(const struct lw_be_conf *conf,
	    struct lw_section *sec, struct lw_diag *diag);
/* For ops.open: be->priv made and its client opened; false with the
 * first mistake (or why the client could not be made) in err. */
bool	 lw_be_conf_open(const struct lw_be_conf *conf, struct lw_backend *be,
	    struct lw_section *sec, char *err, size_t errlen);
/* For ops.close: the client closed, be->priv wiped and freed. */
void	 lw_be_conf_close(const struct lw_be_conf *conf,
	    struct lw_backend *be);

/*
 * Send req; add it to res (requests, latency_ms, http_status, request
 * from summary, which must hold no secret) and classify it.  The caller
 * frees resp.  On RETRY or FAIL, res->detail says why in general terms;
 * the backend may replace it with the vendor's reason.
 */
enum lw_be_status lw_be_send(struct lw_http *h, const struct lw_http_req *req,
	    const char *summary, struct lw_http_resp *resp,
	    struct lw_be_result *res);
/* A reply's body as JSON, or NULL with res->detail saying what was
 * wrong with the reply to what (empty, not JSON, too deep: jansson's
 * own checks).  The caller drops the reference. */
json_t	*lw_be_json(const struct lw_http_resp *resp, const char *what,
	    struct lw_be_result *res);
/* printf into res->detail. */
void	 lw_be_detail(struct lw_be_result *res, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Up to outlen-1 bytes of in (inlen bytes, not NUL-terminated) as
 * printable ASCII: other bytes become '?', the cut is marked "...". */
void	 lw_be_safe_text(const char *in, size_t inlen, char *out,
	    size_t outlen);
/* Wipe a secret that is no longer needed. */
void	 lw_be_wipe(void *buf, size_t len);

#endif
