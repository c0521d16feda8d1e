/*
 * backend_webhook.c - a POST for anything labwarden has no backend for
 * (Home Assistant webhooks, a script behind a small HTTP server, ...).
 *
 * The body is a JSON template (`body`) whose {action} {kind} {target}
 * {mac} {ip} {seconds} {until} are replaced by the action's values,
 * JSON-escaped, so a template that is valid JSON stays valid.  The
 * exact bytes sent are signed: X-Labwarden-Signature: sha256=<hex
 * HMAC-SHA256 with the secret from secret_file/secret_env>, which the
 * receiver recomputes to know the request is labwarden's.  A bearer
 * token (token_file/token_env) and extra headers (headers.NAME) are
 * optional.  The URL may be a secret too (url_file/url_env: a Home
 * Assistant webhook id is one); it is never shown in full anyway.
 *
 * There is no read-back: a 2xx is LW_BE_OK with "not confirmed:
 * webhook" in the detail; 5xx, 408, 429 and timeouts are LW_BE_RETRY;
 * other 4xx are LW_BE_FAIL.  has() takes what was sent as in force.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "labwarden/backend_http.h"

#define WH_BODY_MAX	(16u << 10)	/* template */
#define WH_HEADERS_MAX	8		/* headers.NAME */
#define WH_HEADER_LEN	512

static const char default_body[] =
    "{\"action\":\"{action}\",\"target\":\"{target}\",\"mac\":\"{mac}\","
    "\"ip\":\"{ip}\",\"seconds\":{seconds}}";

struct webhook {
	struct lw_http *http;
	char	 url[1024];
	char	 shown[300];	/* "https://host/..." for summaries */
	char	 body[WH_BODY_MAX];
	char	 secret[LW_SECRET_MAX];
	char	 auth[LW_SECRET_MAX + 32];	/* "Authorization: Bearer ..." */
	char	 headers[WH_HEADERS_MAX][WH_HEADER_LEN];
	size_t	 nheaders;
};

/* The values a template may name. */
struct values {
	const char *action, *kind, *target, *mac, *ip, *seconds, *until;
};

static const char *const webhook_keys[] = {
	LW_BACKEND_COMMON_KEYS, "url", "url_file", "url_env", "body",
	"secret_file", "secret_env", "token_file", "token_env", NULL
};

/* ---- the template ---- */

static const char *value_of(const struct values *v, const char *name,
    size_t len)
{
	static const char *const names[] = {
		"action", "kind", "target", "mac", "ip", "seconds", "until"
	};
	const char *vals[] = {
		v->action, v->kind, v->target, v->mac, v->ip, v->seconds,
		v->until
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i]) == len && strncmp(names[i], name, len) ==
		    0)
			return vals[i];
	return NULL;
}

/* s as the inside of a JSON string, appended at *o (room checked). */
static bool put_escaped(char *out, size_t outlen, size_t *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[7];
		size_t n;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			n = 2;
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			n = 6;
		} else {
			esc[0] = (char)c;
			n = 1;
		}
		if (*o + n >= outlen)
			return false;
		memcpy(out + *o, esc, n);
		*o += n;
	}
	return true;
}

/*
 * tmpl with every {name} replaced, into out.  A '{' not followed by
 * lowercase letters and '}' is JSON's own.  False with why on an
 * unknown name or no room.
 */
static bool render(const char *tmpl, const struct values *v, char *out,
    size_t outlen, char *why, size_t whylen)
{
	size_t o = 0;

	for (const char *p = tmpl; *p; ) {
		size_t n = *p == '{' ? strspn(p + 1,
		    "abcdefghijklmnopqrstuvwxyz_") : 0;
		if (n && p[1 + n] == '}') {
			const char *val = value_of(v, p + 1, n);
			if (!val) {
				snprintf(why, whylen, "unknown placeholder "
				    "{%.*s} (action, kind, target, mac, ip, "
				    "seconds, until)", (int)(n > 32 ? 32 : n),
				    p + 1);
				return false;
			}
			if (!put_escaped(out, outlen, &o, val))
				goto full;
			p += n + 2;
			continue;
		}
		if (o + 1 >= outlen)
			goto full;
		out[o++] = *p++;
	}
	out[o] = '\0';
	return true;
full:
	snprintf(why, whylen, "the body is longer than %zu bytes", outlen - 1);
	return false;
}

/* ---- configuration ---- */

static bool header_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == n;
}

static bool header_value_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* Headers labwarden sets itself, or curl does. */
static bool header_reserved(const char *name)
{
	static const char *const reserved[] = {
		"X-Labwarden-Signature", "Content-Type", "Content-Length",
		"Host", "Authorization", "Transfer-Encoding", "Expect", NULL
	};

	for (int i = 0; reserved[i]; i++)
		if (strcasecmp(name, reserved[i]) == 0)
			return true;
	return false;
}

/* headers.NAME: value into wh->headers. */
static void read_headers(struct lw_section *sec, struct webhook *wh,
    struct lw_diag *diag)
{
	for (size_t i = 0; i < sec->n; i++) {
		const struct lw_kv *kv = &sec->kv[i];
		if (strncmp(kv->key, "headers.", 8) != 0)
			continue;
		sec->used[i] = true;
		const char *name = kv->key + 8;
		if (!header_name_ok(name) || !header_value_ok(kv->value))
			lw_section_error(sec, kv->key, diag, "a header name "
			    "of letters, digits and '-', a value without "
			    "control characters");
		else if (header_reserved(name))
			lw_section_error(sec, kv->key, diag, "labwarden sets "
			    "%s itself", name);
		else if (wh->nheaders == WH_HEADERS_MAX)
			lw_section_error(sec, kv->key, diag, "more than %d "
			    "headers", WH_HEADERS_MAX);
		else if (strlen(name) + strlen(kv->value) + 3 > WH_HEADER_LEN)
			lw_section_error(sec, kv->key, diag, "longer than %d "
			    "bytes", WH_HEADER_LEN - 3);
		else
			snprintf(wh->headers[wh->nheaders++], WH_HEADER_LEN,
			    "%s: %s", name, kv->value);
	}
}

/* url, or url_file/url_env when the URL itself is a secret. */
static void read_url(struct lw_section *sec, struct webhook *wh,
    struct lw_diag *diag)
{
	char why[160], secret_url[LW_SECRET_MAX];
	bool from_secret = lw_section_find(sec, "url_file") ||
	    lw_section_find(sec, "url_env");
	const char *url = NULL;

	if (from_secret && lw_section_find(sec, "url")) {
		lw_section_error(sec, "url", diag, "give url or url_file/"
		    "url_env, not both");
		return;
	}
	if (from_secret) {
		if (lw_be_read_secret(sec, "url", true, secret_url,
		    sizeof secret_url, diag) < 0)
			return;
		url = secret_url;
	} else if (!(url = lw_section_need(sec, "url", diag)))
		return;
	if (!lw_be_base_url(url, true, wh->url, sizeof wh->url, why,
	    sizeof why))
		/* never quote a secret URL back */
		lw_section_error(sec, from_secret ? NULL : "url", diag,
		    "%s%s", from_secret ? "the URL from url_file/url_env " :
		    "", why);
	lw_be_wipe(secret_url, sizeof secret_url);
	const char *host = strstr(wh->url, "://");
	host = host ? host + 3 : wh->url;
	snprintf(wh->shown, sizeof wh->shown, "%.*s%s",
	    (int)(host - wh->url + (int)strcspn(host, "/")), wh->url,
	    host[strcspn(host, "/")] ? "/..." : "");
}

static void read_conf(struct lw_section *sec, void *state,
    struct lw_diag *diag)
{
	struct webhook *wh = state;
	char why[200], token[LW_SECRET_MAX];
	char *sample = malloc(WH_BODY_MAX * 6);
	json_error_t jerr;
	json_t *doc = NULL;

	read_url(sec, wh, diag);
	const char *body = lw_section_str(sec, "body", default_body);
	if (strlen(body) >= sizeof wh->body)
		lw_section_error(sec, "body", diag, "longer than %zu bytes",
		    sizeof wh->body - 1);
	snprintf(wh->body, sizeof wh->body, "%s", body);
	/* The template must give JSON with any values. */
	struct values v = { "lockdown", "lockdown", "10.0.0.5",
	    "aa:bb:cc:dd:ee:ff", "10.0.0.5", "3600",
	    "2025-01-01T00:00:00Z" };
	if (!sample)
		lw_section_error(sec, "body", diag, "out of memory");
	else if (!render(wh->body, &v, sample, WH_BODY_MAX * 6, why,
	    sizeof why))
		lw_section_error(sec, "body", diag, "%s", why);
	else if (!(doc = json_loads(sample, JSON_DECODE_ANY, &jerr)))
		lw_section_error(sec, "body", diag, "not JSON once filled in "
		    "(%s at column %d): put string placeholders in quotes, "
		    "\"{target}\"", jerr.text, jerr.column);
	json_decref(doc);
	free(sample);
	read_headers(sec, wh, diag);
	lw_be_read_secret(sec, "secret", true, wh->secret, sizeof wh->secret,
	    diag);
	if (lw_be_read_secret(sec, "token", false, token, sizeof token,
	    diag) > 0) {
		if (!header_value_ok(token))
			lw_be_secret_error(sec, "token", "the token has "
			    "control characters", diag);
		snprintf(wh->auth, sizeof wh->auth, "Authorization: Bearer %s",
		    token);
	}
	lw_be_wipe(token, sizeof token);
}

static const struct lw_be_conf webhook_conf = {
	.size = sizeof(struct webhook),
	.http_offset = offsetof(struct webhook, http),
	.keys = webhook_keys,
	.read = read_conf,
};

static bool webhook_check(struct lw_section *sec, struct lw_diag *diag)
{
	return lw_be_conf_check(&webhook_conf, sec, diag);
}

static bool webhook_open(struct lw_backend *be, struct lw_section *sec,
    char *err, size_t errlen)
{
	if (!lw_be_conf_open(&webhook_conf, be, sec, err, errlen))
		return false;
	struct webhook *wh = be->priv;
	if (strncmp(wh->url, "http://", 7) == 0)
		fprintf(stderr, "labwarden: warning: %s: the webhook URL is "
		    "http:// - the body and any token travel in clear\n",
		    sec->where);
	return true;
}

static void webhook_close(struct lw_backend *be)
{
	lw_be_conf_close(&webhook_conf, be);
}

/* ---- sending ---- */

static void rfc3339_in(uint64_t seconds, char *buf, size_t len)
{
	struct tm tm;
	time_t at = time(NULL) + (time_t)(seconds > 100ull * 365 * 86400 ?
	    100ull * 365 * 86400 : seconds);

	gmtime_r(&at, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* What a refusal says, with a short, safe piece of its body. */
static void explain(const struct lw_http_resp *resp, struct lw_be_result *res)
{
	char text[160] = "";

	if (resp->status == 0)
		return;		/* transport: lw_be_send said it */
	if (resp->body)
		lw_be_safe_text(resp->body, resp->len, text, sizeof text);
	lw_be_detail(res, "HTTP %ld%s%s%s", resp->status, resp->status == 401 ||
	    resp->status == 403 ? " (the receiver refused us: check its "
	    "secret or token)" : "", text[0] ? ": " : "", text);
}

static enum lw_be_status post(struct webhook *wh, const struct values *v,
    struct lw_be_result *res)
{
	struct lw_http_req req;
	struct lw_http_resp resp;
	char why[200], sig[65], sighdr[100], summary[320];
	char *body = malloc(WH_BODY_MAX * 6);

	if (!body) {
		lw_be_detail(res, "out of memory");
		return LW_BE_RETRY;
	}
	if (!render(wh->body, v, body, WH_BODY_MAX * 6, why, sizeof why)) {
		free(body);
		lw_be_detail(res, "body: %s", why);
		return LW_BE_FAIL;
	}
	size_t len = strlen(body);
	lw_hmac_sha256_hex(wh->secret, strlen(wh->secret), body, len, sig);
	snprintf(sighdr, sizeof sighdr, "X-Labwarden-Signature: sha256=%s",
	    sig);
	memset(&req, 0, sizeof req);
	req.method = "POST";
	req.url = wh->url;
	req.body = body;
	req.body_len = len;
	lw_http_add_header(&req, "Content-Type: application/json");
	lw_http_add_header(&req, sighdr);
	if (wh->auth[0])
		lw_http_add_header(&req, wh->auth);
	for (size_t i = 0; i < wh->nheaders; i++)
		lw_http_add_header(&req, wh->headers[i]);
	snprintf(summary, sizeof summary, "POST %s", wh->shown);
	enum lw_be_status st = lw_be_send(wh->http, &req, summary, &resp, res);
	if (st != LW_BE_OK)
		explain(&resp, res);
	else
		lw_be_detail(res, "%s of %s sent to %s (HTTP %ld; not "
		    "confirmed: webhook)", v->action, v->target, wh->shown,
		    resp.status);
	lw_http_resp_free(&resp);
	free(body);
	return st;
}

static const char *kind_name(enum lw_block_kind kind)
{
	return kind == LW_BLOCK_LOCKDOWN ? "lockdown" : "quarantine";
}

/* Send action ("lockdown", "quarantine", "release") of kind on t. */
static enum lw_be_status post_action(struct lw_backend *be,
    const char *action, enum lw_block_kind kind, const struct lw_target *t,
    uint64_t seconds, struct lw_be_result *res)
{
	struct lw_be_addrs a;
	char secs[24], until[32] = "";

	if (!lw_be_target(t, &a, res))
		return LW_BE_FAIL;
	snprintf(secs, sizeof secs, "%llu", (unsigned long long)seconds);
	if (seconds)
		rfc3339_in(seconds, until, sizeof until);
	struct values v = { action, kind_name(kind),
	    a.text_is_mac ? a.mac : a.ip, a.mac, a.ip, secs, until };
	return post(be->priv, &v, res);
}

static enum lw_be_status webhook_block(struct lw_backend *be,
    enum lw_block_kind kind, const struct lw_target *t, uint64_t seconds,
    struct lw_be_result *res)
{
	return post_action(be, kind_name(kind), kind, t, seconds, res);
}

static enum lw_be_status webhook_release(struct lw_backend *be,
    enum lw_block_kind kind, const struct lw_target *t, const char *ref,
    struct lw_be_result *res)
{
	(void)ref;
	return post_action(be, "release", kind, t, 0, res);
}

/*
 * A webhook cannot be asked what is in force.  Its receiver keeps its
 * own state and loses nothing when labwarden restarts, so what it was
 * sent is taken as in force: a restart re-sends nothing, and the
 * release still goes out at the end.
 */
static enum lw_be_status webhook_has(struct lw_backend *be,
    enum lw_block_kind kind, const struct lw_target *t, const char *ref,
    struct lw_be_result *res)
{
	struct lw_be_addrs a;

	(void)be;
	(void)kind;
	(void)ref;
	if (!lw_be_target(t, &a, res))
		return LW_BE_FAIL;
	lw_be_detail(res, "not confirmed: webhook (no read-back; what was "
	    "sent is taken as in force)");
	return LW_BE_OK;
}

const struct lw_backend_ops lw_backend_webhook = {
	.type = "webhook",
	.remote = true,
	.check = webhook_check,
	.open = webhook_open,
	.block = webhook_block,
	.release = webhook_release,
	.has = webhook_has,
	.close = webhook_close,
};
