/*
 * http.h - one small HTTP(S) client over libcurl, for router backends,
 * key stores and webhooks.
 *
 * A client is one curl handle with its cookies, used by one thread at a
 * time (a backend's worker).  TLS verification is on unless the owner
 * set insecure (and said so in the log); a CA file replaces the system
 * store.  Every request has a total timeout; a reply body is kept up to
 * LW_HTTP_BODY_MAX and a longer one fails the request (a router does
 * not answer with megabytes).  Reply buffers are wiped before they are
 * freed or grown (a reply may hold key material).  Nothing here logs: the caller writes the
 * audit record, and request summaries never hold credentials.
 */
#ifndef LABWARDEN_HTTP_H
#define LABWARDEN_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LW_HTTP_BODY_MAX	(1u << 20)
#define LW_HTTP_HEADERS_MAX	(16u << 10)
#define LW_HTTP_MAX_HEADERS	16

struct lw_http_opts {
	const char *ca_file;	/* NULL: the system's CAs */
	bool	 insecure;	/* no certificate or host name check */
	uint64_t timeout_ms;	/* whole request; 0: 10 s */
	uint64_t connect_timeout_ms;	/* 0: the smaller of 5 s and timeout */
};

struct lw_http_req {
	const char *method;	/* GET, POST, PUT, PATCH, DELETE, LIST... */
	const char *url;
	const char *headers[LW_HTTP_MAX_HEADERS];	/* "Name: value" */
	size_t	 nheaders;
	const char *body;	/* NULL: none */
	size_t	 body_len;
	const char *user;	/* HTTP Basic when set */
	const char *password;
};

struct lw_http_resp {
	long	 status;	/* 0 when no reply came */
	char	*body;		/* NUL-terminated; NULL when empty */
	size_t	 len;
	char	*headers;	/* raw header block of the last reply */
	size_t	 headers_len;
	double	 latency_ms;
	bool	 timed_out;
	char	 error[256];	/* transport error, "" on a reply */
	bool	 tls_error;	/* the error was TLS: a certificate refused,
				 * a handshake failed (not worth a retry) */
	bool	 aborted;	/* ended by the abort flag (lw_http_set_abort) */
};

struct lw_http;

/* Once per process, before threads: curl_global_init. */
bool	 lw_http_global_init(void);
void	 lw_http_global_cleanup(void);

struct lw_http *lw_http_new(const struct lw_http_opts *opts);
void	 lw_http_free(struct lw_http *h);
/*
 * Requests end at once (error "aborted", resp->aborted) while *flag is
 * not zero; flag is read atomically from curl's progress callback, so
 * another thread may set it to stop a transfer under way.  NULL: never.
 */
void	 lw_http_set_abort(struct lw_http *h, const int *flag);
/* Forget cookies (a new login). */
void	 lw_http_reset_cookies(struct lw_http *h);
/*
 * Send req and wait for the reply.  True when a reply came (any
 * status); false on a transport error (resp->error says which).  The
 * caller frees resp with lw_http_resp_free either way.
 */
bool	 lw_http_do(struct lw_http *h, const struct lw_http_req *req,
	    struct lw_http_resp *resp);
void	 lw_http_resp_free(struct lw_http_resp *resp);
/* Value of header name (case-insensitive) in the reply, into buf. */
bool	 lw_http_header(const struct lw_http_resp *resp, const char *name,
	    char *buf, size_t buflen);
/* A cookie the server set, by name, into buf. */
bool	 lw_http_cookie(struct lw_http *h, const char *name, char *buf,
	    size_t buflen);
/* Append "Name: value" to req (false when full). */
bool	 lw_http_add_header(struct lw_http_req *req, const char *header);
/* url-encode src into dst (RFC 3986 unreserved kept). */
bool	 lw_http_escape(const char *src, char *dst, size_t dstlen);
/* HMAC-SHA256 of data with key, as lowercase hex (65 bytes). */
void	 lw_hmac_sha256_hex(const void *key, size_t keylen, const void *data,
	    size_t len, char out[65]);
/* SHA-256 as lowercase hex (65 bytes). */
void	 lw_sha256_hex(const void *data, size_t len, char out[65]);

#endif
