/*
 * backend.h - what carries a block out: the local nft table or a router.
 *
 * Each backend type (nft, openwrt, mikrotik, unifi, opnsense, webhook)
 * is one file with one ops table.  The action layer (actor.h) owns the
 * instances, calls them from its worker thread (never from the capture
 * path), retries transient failures with backoff and jitter, and writes
 * the audit record from the result.  A backend:
 *   - reads its section (backends.NAME) in check(), reporting every
 *     mistake as file:line:col through diag, and in open();
 *   - takes credentials only through lw_section_secret (NAME_file or
 *     NAME_env) and never puts them into a result;
 *   - logs in again by itself once when the device says the session is
 *     gone (HTTP 401/403, "LoginRequired", ubus "Access denied"), then
 *     retries the request once;
 *   - confirms an effect by reading it back where the device allows, and
 *     returns LW_BE_OK only then;
 *   - quarantines by moving the client to a quarantine network where the
 *     device can, else blocks it, and says which in result->detail.
 */
#ifndef LABWARDEN_BACKEND_H
#define LABWARDEN_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "labwarden/diag.h"
#include "labwarden/section.h"

enum lw_block_kind { LW_BLOCK_LOCKDOWN, LW_BLOCK_QUARANTINE };

enum lw_be_status {
	LW_BE_OK,		/* done and confirmed */
	LW_BE_RETRY,		/* transient: timeout, 5xx, connection: retry */
	LW_BE_FAIL,		/* permanent: 4xx, bad reply, unsupported */
};

/* Who the action is about: text as the scene gave it, plus what the
 * sensor knows ("" when unknown).  Backends take what they need. */
struct lw_target {
	char	 text[64];	/* the target as asked: MAC or IP */
	char	 mac[18];	/* aa:bb:cc:dd:ee:ff */
	char	 ip[46];	/* an IPv4 or IPv6 address */
};

/* What happened, for the action record and the audit log. */
struct lw_be_result {
	long	 http_status;		/* of the last request; 0 if none */
	double	 latency_ms;		/* sum over the requests */
	unsigned requests;		/* HTTP requests made */
	char	 request[256];		/* "PUT /rest/ip/firewall/address-list"
					 * (method and path, never secrets) */
	char	 detail[512];		/* the reason, or what was done */
	char	 ref[128];		/* the device's id for the entry
					 * (MikroTik .id, UniFi _id), kept
					 * with the action for release */
	uint64_t expires_s;		/* has(): seconds left, 0: unknown */
	bool	 absent;		/* release(): it was not there to
					 * begin with (false: it was, or
					 * the device cannot say) */
};

struct lw_backend;

struct lw_backend_ops {
	const char *type;		/* "nft", "mikrotik", ... */
	bool	 remote;		/* talks HTTP: a worker thread runs it */
	/* Check backends.NAME; true when it has no mistake. */
	bool	(*check)(struct lw_section *sec, struct lw_diag *diag);
	/* Make the instance (be->priv); false with err on a bad section. */
	bool	(*open)(struct lw_backend *be, struct lw_section *sec,
		    char *err, size_t errlen);
	enum lw_be_status (*block)(struct lw_backend *be,
		    enum lw_block_kind kind, const struct lw_target *t,
		    uint64_t seconds, struct lw_be_result *res);
	/* ref: what block() put in res->ref ("" when unknown). */
	enum lw_be_status (*release)(struct lw_backend *be,
		    enum lw_block_kind kind, const struct lw_target *t,
		    const char *ref, struct lw_be_result *res);
	/* Is it in force?  LW_BE_OK: yes; LW_BE_FAIL: no (absent);
	 * LW_BE_RETRY: cannot tell now. */
	enum lw_be_status (*has)(struct lw_backend *be,
		    enum lw_block_kind kind, const struct lw_target *t,
		    const char *ref, struct lw_be_result *res);
	void	(*close)(struct lw_backend *be);
};

struct lw_backend {
	const struct lw_backend_ops *ops;
	char	 name[64];		/* the key under backends: */
	uint64_t timeout_ms;		/* per request (backends.NAME.timeout) */
	unsigned retries;		/* after the first try (.retries) */
	void	*priv;
};

/* The ops for a type name, or NULL. */
const struct lw_backend_ops *lw_backend_ops_find(const char *type);

/* Every backend type's ops (one per file: action_nft.c, backend_*.c). */
extern const struct lw_backend_ops lw_backend_nft;
extern const struct lw_backend_ops lw_backend_openwrt;
extern const struct lw_backend_ops lw_backend_mikrotik;
extern const struct lw_backend_ops lw_backend_unifi;
extern const struct lw_backend_ops lw_backend_opnsense;
extern const struct lw_backend_ops lw_backend_webhook;

/*
 * Keys every backend section may have, read by the action layer:
 *   type, timeout (10s), retries (3), insecure (false), ca_file.
 * A backend's check() must accept these too (they are in
 * LW_BACKEND_COMMON_KEYS for lw_section_unused's list).
 */
#define LW_BACKEND_COMMON_KEYS "type", "timeout", "retries", "insecure", \
	"ca_file"

/* Read and check the common keys (type, timeout, retries, insecure,
 * ca_file) so lw_section_unused does not report them; true when they
 * have no mistake.  For check() of any backend. */
bool	 lw_backend_common_check(struct lw_section *sec,
	    struct lw_diag *diag);
/* Add or replace the ops for ops->type (before the built-in table is
 * searched): for tests that drive the action layer with a fake
 * backend.  At most 8; false when full. */
bool	 lw_backend_register(const struct lw_backend_ops *ops);

/* Helpers for HTTP backends: the common keys into http options.  With
 * insecure: true, a warning goes to stderr at every open. */
struct lw_http_opts;
bool	 lw_backend_http_opts(struct lw_backend *be, struct lw_section *sec,
	    struct lw_http_opts *opts, char *err, size_t errlen);

#endif
