/*
 * backend_http.c - what the HTTP backends share (backend_http.h):
 * canonical targets, the common keys, one request accounted and
 * classified, vendor text made safe for a detail.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "labwarden/backend_http.h"

bool lw_be_canon_mac(const char *in, char out[18])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[6];

	if (!in || strlen(in) != 17)
		return false;
	for (int i = 0; i < 6; i++) {
		const char *p = in + 3 * i;
		if (!isxdigit((unsigned char)p[0]) ||
		    !isxdigit((unsigned char)p[1]) ||
		    (i < 5 && p[2] != ':'))
			return false;
		char pair[3] = { p[0], p[1], '\0' };
		b[i] = (unsigned char)strtoul(pair, NULL, 16);
	}
	/* A group address or all zeros is no device. */
	if ((b[0] & 1) || !(b[0] | b[1] | b[2] | b[3] | b[4] | b[5]))
		return false;
	for (int i = 0; i < 6; i++) {
		out[3 * i] = hex[b[i] >> 4];
		out[3 * i + 1] = hex[b[i] & 15];
		out[3 * i + 2] = i == 5 ? '\0' : ':';
	}
	return true;
}

bool lw_be_canon_ip(const char *in, char *out, size_t outlen, int *family)
{
	unsigned char a[16];
	static const unsigned char zero[16];

	if (!in || strlen(in) > 45)
		return false;
	if (inet_pton(AF_INET, in, a) == 1) {
		if (a[0] >= 224 || memcmp(a, zero, 4) == 0)
			return false;	/* multicast, broadcast, 0.0.0.0 */
		*family = 4;
		return inet_ntop(AF_INET, a, out, (socklen_t)outlen) != NULL;
	}
	if (inet_pton(AF_INET6, in, a) == 1) {
		if (a[0] == 0xff || memcmp(a, zero, 16) == 0)
			return false;	/* multicast, :: */
		*family = 6;
		return inet_ntop(AF_INET6, a, out, (socklen_t)outlen) != NULL;
	}
	return false;
}

bool lw_be_same_host(const char *printed, const char *ip)
{
	char buf[64], canon[46];
	int family;

	if (!printed || strlen(printed) >= sizeof buf)
		return false;
	snprintf(buf, sizeof buf, "%s", printed);
	char *slash = strchr(buf, '/');
	if (slash) {
		if (strcmp(slash, "/32") != 0 && strcmp(slash, "/128") != 0)
			return false;
		*slash = '\0';
	}
	return lw_be_canon_ip(buf, canon, sizeof canon, &family) &&
	    strcmp(canon, ip) == 0;
}

/* Quote s in a detail without letting it carry control bytes. */
static const char *shown(const char *s, char *buf, size_t len)
{
	lw_be_safe_text(s, strnlen(s, 64), buf, len);
	return buf;
}

bool lw_be_target(const struct lw_target *t, struct lw_be_addrs *out,
    struct lw_be_result *res)
{
	char ip[46], q[80];
	int family = 0;

	memset(out, 0, sizeof *out);
	if (t->mac[0] && !lw_be_canon_mac(t->mac, out->mac)) {
		lw_be_detail(res, "target mac '%s' is not a device's MAC",
		    shown(t->mac, q, sizeof q));
		return false;
	}
	if (t->ip[0] && !lw_be_canon_ip(t->ip, out->ip, sizeof out->ip,
	    &out->family)) {
		lw_be_detail(res, "target ip '%s' is not a host address",
		    shown(t->ip, q, sizeof q));
		return false;
	}
	char mac[18];
	if (lw_be_canon_mac(t->text, mac)) {
		if (out->mac[0] && strcmp(out->mac, mac) != 0) {
			lw_be_detail(res, "target %s disagrees with its mac %s",
			    mac, out->mac);
			return false;
		}
		memcpy(out->mac, mac, sizeof mac);
		out->text_is_mac = true;
		return true;
	}
	if (lw_be_canon_ip(t->text, ip, sizeof ip, &family)) {
		if (out->ip[0] && strcmp(out->ip, ip) != 0) {
			lw_be_detail(res, "target %s disagrees with its ip %s",
			    ip, out->ip);
			return false;
		}
		memcpy(out->ip, ip, sizeof ip);
		out->family = family;
		return true;
	}
	lw_be_detail(res, "target '%s' is neither a MAC nor a host address: "
	    "nothing was sent", shown(t->text, q, sizeof q));
	return false;
}

void lw_be_check_common(struct lw_section *sec, struct lw_diag *diag)
{
	char path[4096];

	lw_backend_common_check(sec, diag);
	const char *ca = lw_section_str(sec, "ca_file", NULL);
	if (ca && *ca) {
		lw_section_path(sec, ca, path, sizeof path);
		if (access(path, R_OK) != 0)
			lw_section_error(sec, "ca_file", diag, "cannot read "
			    "%s", path);
	}
}

bool lw_be_insecure(struct lw_section *sec)
{
	struct lw_diag scratch;
	bool insecure;

	lw_diag_init(&scratch);
	if (!lw_section_bool(sec, "insecure", false, &insecure, &scratch))
		insecure = false;
	lw_diag_free(&scratch);
	return insecure;
}

void lw_be_secret_error(struct lw_section *sec, const char *base,
    const char *err, struct lw_diag *diag)
{
	static const char *const suffix[] = { "", "_file", "_env" };
	const struct lw_kv *at = NULL;
	char key[96];

	/* Each of the three is marked read: a plain base refused is not
	 * also an unknown base_file. */
	for (int i = 0; i < 3; i++) {
		snprintf(key, sizeof key, "%s%s", base, suffix[i]);
		const struct lw_kv *kv = lw_section_find(sec, key);
		if (!at)
			at = kv;
	}
	lw_diag_add(diag, sec->file, at ? at->line : sec->line,
	    at ? at->col : sec->col, "%s", err);
}

static bool url_char_ok(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '<' &&
	    c != '>' && c != '`' && c != '{' && c != '}' && c != '|' &&
	    c != '^';
}

void lw_be_ubus_endpoint(const char *base, char *url, size_t urllen,
    char *path, size_t pathlen)
{
	const char *host = strstr(base, "://");
	const char *slash = host ? strchr(host + 3, '/') : NULL;

	if (slash) {
		snprintf(url, urllen, "%s", base);
		snprintf(path, pathlen, "%.200s", slash);
	} else {
		snprintf(url, urllen, "%s/ubus", base);
		snprintf(path, pathlen, "/ubus");
	}
}

bool lw_be_base_url(const char *url, bool allow_http, char *out,
    size_t outlen, char *why, size_t whylen)
{
	const char *rest;

	if (strncmp(url, "https://", 8) == 0)
		rest = url + 8;
	else if (strncmp(url, "http://", 7) == 0 && allow_http)
		rest = url + 7;
	else {
		snprintf(why, whylen, "must start with https://%s",
		    allow_http ? " or http://" : " (http:// would send the "
		    "credentials in clear)");
		return false;
	}
	size_t hostlen = strcspn(rest, "/");
	if (hostlen == 0) {
		snprintf(why, whylen, "has no host");
		return false;
	}
	for (const char *p = url; *p; p++) {
		if (!url_char_ok((unsigned char)*p)) {
			snprintf(why, whylen, "has a space, quote or control "
			    "character");
			return false;
		}
		if (*p == '?' || *p == '#') {
			snprintf(why, whylen, "may not have a query or "
			    "fragment");
			return false;
		}
	}
	if (memchr(rest, '@', hostlen)) {
		snprintf(why, whylen, "may not hold a user or password (use "
		    "the credential keys)");
		return false;
	}
	size_t len = strlen(url);
	while (len > 8 && url[len - 1] == '/')
		len--;
	if (len >= outlen) {
		snprintf(why, whylen, "is longer than %zu characters",
		    outlen - 1);
		return false;
	}
	memcpy(out, url, len);
	out[len] = '\0';
	return true;
}

bool lw_be_read_url(struct lw_section *sec, bool path_ok, const char *hint,
    char *out, size_t outlen, struct lw_diag *diag)
{
	char why[160];
	const char *url = lw_section_need(sec, "url", diag);

	if (!url)
		return false;
	bool ok = lw_be_base_url(url, lw_be_insecure(sec), out, outlen, why,
	    sizeof why);
	if (ok && !path_ok && strchr(strstr(out, "://") + 3, '/')) {
		snprintf(why, sizeof why, "has a path");
		ok = false;
	}
	if (ok)
		return true;
	if (hint)
		lw_section_error(sec, "url", diag, "'%s' %s (%s)", url, why,
		    hint);
	else
		lw_section_error(sec, "url", diag, "%s", why);
	return false;
}

int lw_be_read_secret(struct lw_section *sec, const char *base,
    bool required, char *buf, size_t buflen, struct lw_diag *diag)
{
	char err[1024];

	if (lw_section_secret(sec, base, required, buf, buflen, err,
	    sizeof err))
		return 1;
	if (!err[0])
		return 0;
	lw_be_secret_error(sec, base, err, diag);
	return -1;
}

struct lw_http *lw_be_http_open(struct lw_backend *be,
    struct lw_section *sec, char *err, size_t errlen)
{
	struct lw_http_opts opts;
	char ca_path[4096];

	if (!lw_backend_http_opts(be, sec, &opts, err, errlen))
		return NULL;
	if (opts.ca_file) {
		lw_section_path(sec, opts.ca_file, ca_path, sizeof ca_path);
		opts.ca_file = ca_path;
	}
	struct lw_http *h = lw_http_new(&opts);
	if (!h)
		snprintf(err, errlen, "%s: cannot make an HTTP client",
		    sec->where);
	return h;
}

/* The section read into a fresh state; NULL on no memory. */
static void *conf_read(const struct lw_be_conf *conf, struct lw_section *sec,
    struct lw_diag *diag)
{
	void *state = calloc(1, conf->size);

	if (!state)
		return NULL;
	lw_be_check_common(sec, diag);
	conf->read(sec, state, diag);
	lw_section_unused(sec, conf->keys, diag);
	return state;
}

static struct lw_http **conf_http(const struct lw_be_conf *conf, void *state)
{
	return (struct lw_http **)(void *)((char *)state + conf->http_offset);
}

static void conf_free(const struct lw_be_conf *conf, void *state)
{
	lw_http_free(*conf_http(conf, state));
	lw_be_wipe(state, conf->size);
	free(state);
}

bool lw_be_conf_check(const struct lw_be_conf *conf, struct lw_section *sec,
    struct lw_diag *diag)
{
	size_t before = diag->count;
	void *state = conf_read(conf, sec, diag);

	if (!state)
		return false;
	conf_free(conf, state);
	return diag->count == before;
}

bool lw_be_conf_open(const struct lw_be_conf *conf, struct lw_backend *be,
    struct lw_section *sec, char *err, size_t errlen)
{
	struct lw_diag diag;

	lw_diag_init(&diag);
	void *state = conf_read(conf, sec, &diag);
	bool ok = state && diag.count == 0;
	if (!state)
		snprintf(err, errlen, "%s: out of memory", sec->where);
	else if (!ok)
		snprintf(err, errlen, "%s", diag.msgs[0]);
	lw_diag_free(&diag);
	if (ok && !(*conf_http(conf, state) = lw_be_http_open(be, sec, err,
	    errlen)))
		ok = false;
	if (!ok) {
		if (state)
			conf_free(conf, state);
		return false;
	}
	be->priv = state;
	return true;
}

void lw_be_conf_close(const struct lw_be_conf *conf, struct lw_backend *be)
{
	if (!be->priv)
		return;
	conf_free(conf, be->priv);
	be->priv = NULL;
}

void lw_be_detail(struct lw_be_result *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof res->detail, fmt, ap);
	va_end(ap);
}

json_t *lw_be_json(const struct lw_http_resp *resp, const char *what,
    struct lw_be_result *res)
{
	json_error_t jerr;
	char why[sizeof jerr.text];

	if (!resp->body || !resp->len) {
		lw_be_detail(res, "unexpected reply to %s: empty body", what);
		return NULL;
	}
	json_t *doc = json_loadb(resp->body, resp->len, JSON_REJECT_DUPLICATES,
	    &jerr);
	if (!doc) {
		/* jansson quotes the input: keep it printable */
		lw_be_safe_text(jerr.text, strnlen(jerr.text, sizeof jerr.text),
		    why, sizeof why);
		lw_be_detail(res, "unexpected reply to %s: not JSON (%s at "
		    "byte %d)", what, why, jerr.position);
	}
	return doc;
}

void lw_be_safe_text(const char *in, size_t inlen, char *out, size_t outlen)
{
	size_t o = 0;

	if (!outlen)
		return;
	for (size_t i = 0; in && i < inlen; i++) {
		if (o + 1 >= outlen) {
			if (outlen > 4)
				memcpy(out + outlen - 4, "...", 3);
			o = outlen - 1;
			break;
		}
		unsigned char c = (unsigned char)in[i];
		out[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[o] = '\0';
}

void lw_be_wipe(void *buf, size_t len)
{
	explicit_bzero(buf, len);
}

static bool retry_status(long status)
{
	return status >= 500 || status == 408 || status == 429;
}

enum lw_be_status lw_be_send(struct lw_http *h, const struct lw_http_req *req,
    const char *summary, struct lw_http_resp *resp, struct lw_be_result *res)
{
	snprintf(res->request, sizeof res->request, "%s", summary);
	bool replied = lw_http_do(h, req, resp);
	res->requests++;
	res->latency_ms += resp->latency_ms;
	res->http_status = resp->status;
	if (!replied) {
		if (resp->tls_error) {
			lw_be_detail(res, "TLS: %s (the device's certificate "
			    "is not trusted: set ca_file to its CA; insecure: "
			    "true only as a last resort)", resp->error);
			return LW_BE_FAIL;
		}
		if (resp->timed_out) {
			lw_be_detail(res, "no reply within %.0f ms (timeout)",
			    resp->latency_ms);
			return LW_BE_RETRY;
		}
		if (strncmp(resp->error, "reply larger", 12) == 0) {
			lw_be_detail(res, "%s", resp->error);
			return LW_BE_FAIL;
		}
		lw_be_detail(res, "connection: %s", resp->error);
		return LW_BE_RETRY;
	}
	if (resp->status >= 200 && resp->status < 300)
		return LW_BE_OK;
	lw_be_detail(res, "HTTP %ld", resp->status);
	return retry_status(resp->status) ? LW_BE_RETRY : LW_BE_FAIL;
}
