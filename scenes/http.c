/*
 * http.c - the HTTP(S) client of backends and key stores (http.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "labwarden/http.h"

struct lw_http {
	CURL	*curl;
	struct lw_http_opts opts;
	char	*ca_file;
	const int *abort;	/* lw_http_set_abort */
	CURLM	*multi;		/* with an abort flag: see perform() */
};

struct sink {
	char	*buf;
	size_t	 len, cap, max;	/* cap: bytes allocated */
	bool	 overflow;
};

bool lw_http_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

void lw_http_global_cleanup(void)
{
	curl_global_cleanup();
}

struct lw_http *lw_http_new(const struct lw_http_opts *opts)
{
	struct lw_http *h = calloc(1, sizeof *h);

	if (!h)
		return NULL;
	h->curl = curl_easy_init();
	if (!h->curl) {
		free(h);
		return NULL;
	}
	h->opts = *opts;
	if (opts->ca_file)
		h->ca_file = strdup(opts->ca_file);
	h->opts.ca_file = h->ca_file;
	if (!h->opts.timeout_ms)
		h->opts.timeout_ms = 10000;
	if (!h->opts.connect_timeout_ms)
		h->opts.connect_timeout_ms = h->opts.timeout_ms < 5000 ?
		    h->opts.timeout_ms : 5000;
	curl_easy_setopt(h->curl, CURLOPT_COOKIEFILE, "");	/* in memory */
	return h;
}

void lw_http_free(struct lw_http *h)
{
	if (!h)
		return;
	curl_easy_cleanup(h->curl);
	if (h->multi)
		curl_multi_cleanup(h->multi);
	free(h->ca_file);
	free(h);
}

/* curl's progress callback: non-zero ends the transfer at once. */
static int check_abort(void *ctx, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	const int *flag = ctx;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return flag && __atomic_load_n(flag, __ATOMIC_ACQUIRE) != 0;
}

void lw_http_set_abort(struct lw_http *h, const int *flag)
{
	h->abort = flag;
	if (flag && !h->multi)
		h->multi = curl_multi_init();	/* NULL: easy_perform */
	curl_easy_setopt(h->curl, CURLOPT_XFERINFOFUNCTION, check_abort);
	curl_easy_setopt(h->curl, CURLOPT_XFERINFODATA, (void *)(uintptr_t)
	    flag);
	curl_easy_setopt(h->curl, CURLOPT_NOPROGRESS, flag ? 0L : 1L);
}

void lw_http_reset_cookies(struct lw_http *h)
{
	curl_easy_setopt(h->curl, CURLOPT_COOKIELIST, "ALL");
}

static size_t sink_write(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct sink *s = ctx;
	size_t n = size * nmemb;

	if (n > s->max - s->len) {
		s->overflow = true;
		return 0;	/* curl stops: CURLE_WRITE_ERROR */
	}
	/* Grown by copy, not realloc: the old block is wiped before it is
	 * freed, so no copy of a key stays behind in the heap; doubled, so
	 * a reply in many small chunks costs linear copying, not quadratic. */
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 1024;
		while (cap < s->len + n + 1)
			cap *= 2;
		char *grown = malloc(cap);
		if (!grown)
			return 0;
		if (s->buf) {
			memcpy(grown, s->buf, s->len);
			explicit_bzero(s->buf, s->cap);
			free(s->buf);
		}
		s->buf = grown;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, n);
	s->len += n;
	s->buf[s->len] = '\0';
	return n;
}

/* Headers of the last reply only: a redirect or 100 starts anew. */
static size_t header_write(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct sink *s = ctx;
	size_t n = size * nmemb;

	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0 && s->buf) {
		explicit_bzero(s->buf, s->len + 1);
		s->len = 0;
	}
	return sink_write(data, size, nmemb, ctx) == n || s->overflow ? n : 0;
}

/*
 * curl_easy_perform, but with an abort flag in steps of 100 ms: curl's
 * own wait for a quiet peer is a second, between two calls of the
 * progress callback, which is too slow for a shutdown.
 */
static CURLcode perform(struct lw_http *h)
{
	CURLcode rc = CURLE_OK;

	if (!h->abort || !h->multi)
		return curl_easy_perform(h->curl);
	if (curl_multi_add_handle(h->multi, h->curl) != CURLM_OK)
		return CURLE_FAILED_INIT;
	for (;;) {
		int running = 0, left;
		if (curl_multi_perform(h->multi, &running) != CURLM_OK) {
			rc = CURLE_FAILED_INIT;
			break;
		}
		if (!running) {
			CURLMsg *msg;
			while ((msg = curl_multi_info_read(h->multi, &left)))
				if (msg->msg == CURLMSG_DONE)
					rc = msg->data.result;
			break;
		}
		if (__atomic_load_n(h->abort, __ATOMIC_ACQUIRE)) {
			rc = CURLE_ABORTED_BY_CALLBACK;
			break;
		}
		curl_multi_poll(h->multi, NULL, 0, 100, NULL);
	}
	curl_multi_remove_handle(h->multi, h->curl);
	return rc;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void set_request(struct lw_http *h, const struct lw_http_req *req,
    struct curl_slist *headers, struct sink *body, struct sink *head)
{
	CURL *c = h->curl;

	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)h->opts.timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)h->opts.connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, h->opts.insecure ? 0L : 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, h->opts.insecure ? 0L : 2L);
	if (h->opts.ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, h->opts.ca_file);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_write);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, head);
	curl_easy_setopt(c, CURLOPT_NOBODY, strcmp(req->method, "HEAD") == 0 ?
	    1L : 0L);
	if (req->body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->body_len);
	} else if (strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "HEAD") != 0 &&
	    strcmp(req->method, "DELETE") != 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
	} else {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	}
	if (req->user) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, req->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD,
		    req->password ? req->password : "");
	} else {
		curl_easy_setopt(c, CURLOPT_USERNAME, NULL);
		curl_easy_setopt(c, CURLOPT_PASSWORD, NULL);
	}
}

/* Errors a retry will not mend: the peer's certificate or our CA file. */
static bool is_tls_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
		return true;
	default:
		return false;
	}
}

bool lw_http_do(struct lw_http *h, const struct lw_http_req *req,
    struct lw_http_resp *resp)
{
	struct sink body = { .max = LW_HTTP_BODY_MAX };
	struct sink head = { .max = LW_HTTP_HEADERS_MAX };
	struct curl_slist *headers = NULL;
	char why[CURL_ERROR_SIZE];

	memset(resp, 0, sizeof *resp);
	why[0] = '\0';
	/* No "Expect: 100-continue" round trip on small bodies. */
	headers = curl_slist_append(headers, "Expect:");
	for (size_t i = 0; i < req->nheaders; i++)
		headers = curl_slist_append(headers, req->headers[i]);
	set_request(h, req, headers, &body, &head);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, why);
	double started = now_ms();
	CURLcode rc = perform(h);
	resp->latency_ms = now_ms() - started;
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(headers);
	resp->body = body.buf;
	resp->len = body.len;
	resp->headers = head.buf;
	resp->headers_len = head.len;
	if (rc != CURLE_OK) {
		resp->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
		resp->tls_error = is_tls_error(rc);
		resp->aborted = rc == CURLE_ABORTED_BY_CALLBACK;
		/* curl's own words say which certificate check failed */
		snprintf(resp->error, sizeof resp->error, "%s",
		    body.overflow ? "reply larger than 1 MiB" :
		    resp->aborted ? "aborted" :
		    why[0] ? why : curl_easy_strerror(rc));
		resp->status = 0;
		return false;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	return true;
}

void lw_http_resp_free(struct lw_http_resp *resp)
{
	if (resp->body)
		explicit_bzero(resp->body, resp->len);
	if (resp->headers)
		explicit_bzero(resp->headers, resp->headers_len);
	free(resp->body);
	free(resp->headers);
	resp->body = resp->headers = NULL;
	resp->len = resp->headers_len = 0;
}

bool lw_http_header(const struct lw_http_resp *resp, const char *name,
    char *buf, size_t buflen)
{
	size_t nlen = strlen(name);
	const char *p = resp->headers;

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len > nlen && p[nlen] == ':' &&
		    strncasecmp(p, name, nlen) == 0) {
			const char *v = p + nlen + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			size_t vlen = len - (size_t)(v - p);
			while (vlen && (v[vlen - 1] == '\r' ||
			    v[vlen - 1] == ' '))
				vlen--;
			if (vlen >= buflen)
				return false;
			memcpy(buf, v, vlen);
			buf[vlen] = '\0';
			return true;
		}
		p = eol ? eol + 1 : NULL;
	}
	return false;
}

bool lw_http_cookie(struct lw_http *h, const char *name, char *buf,
    size_t buflen)
{
	struct curl_slist *cookies = NULL;
	bool found = false;

	if (curl_easy_getinfo(h->curl, CURLINFO_COOKIELIST, &cookies) !=
	    CURLE_OK)
		return false;
	/* Netscape format: domain, flag, path, secure, expiry, name, value. */
	for (struct curl_slist *c = cookies; c && !found; c = c->next) {
		const char *f = c->data;
		for (int i = 0; i < 5 && f; i++) {
			f = strchr(f, '\t');
			f = f ? f + 1 : NULL;
		}
		if (!f)
			continue;
		size_t nlen = strlen(name);
		if (strncmp(f, name, nlen) == 0 && f[nlen] == '\t') {
			const char *v = f + nlen + 1;
			if (strlen(v) < buflen) {
				snprintf(buf, buflen, "%s", v);
				found = true;
			}
		}
	}
	curl_slist_free_all(cookies);
	return found;
}

bool lw_http_add_header(struct lw_http_req *req, const char *header)
{
	if (req->nheaders == LW_HTTP_MAX_HEADERS)
		return false;
	req->headers[req->nheaders++] = header;
	return true;
}

bool lw_http_escape(const char *src, char *dst, size_t dstlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)src; *p; p++) {
		bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' &&
		    *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		    *p == '.' || *p == '_' || *p == '~';
		if (o + (plain ? 1 : 3) >= dstlen)
			return false;
		if (plain)
			dst[o++] = (char)*p;
		else {
			dst[o++] = '%';
			dst[o++] = hex[*p >> 4];
			dst[o++] = hex[*p & 15];
		}
	}
	if (o >= dstlen)
		return false;
	dst[o] = '\0';
	return true;
}

static void to_hex(const unsigned char *md, unsigned len, char out[65])
{
	static const char hex[] = "0123456789abcdef";

	for (unsigned i = 0; i < len && i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[len < 32 ? 2 * len : 64] = '\0';
}

void lw_hmac_sha256_hex(const void *key, size_t keylen, const void *data,
    size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	if (!HMAC(EVP_sha256(), key, (int)keylen, data, len, md, &mdlen))
		mdlen = 0;
	to_hex(md, mdlen, out);
}

void lw_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL))
		mdlen = 0;
	to_hex(md, mdlen, out);
}
