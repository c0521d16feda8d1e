/*
 * backend_call.c - requests, canonical targets and secrets for the HTTP
 * router backends (backend_call.h).
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "labwarden/backend_call.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool lw_mac_canon(const char *text, char out[18])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[6];

	if (!text || strlen(text) != 17)
		return false;
	char sep = text[2];
	if (sep != ':' && sep != '-')
		return false;
	for (int i = 0; i < 6; i++) {
		const char *p = text + 3 * i;
		int hi = hexval(p[0]), lo = hexval(p[1]);
		if (hi < 0 || lo < 0 || (i < 5 && p[2] != sep))
			return false;
		b[i] = (unsigned char)(hi << 4 | lo);
	}
	for (int i = 0; i < 6; i++) {
		out[3 * i] = hex[b[i] >> 4];
		out[3 * i + 1] = hex[b[i] & 15];
		out[3 * i + 2] = i < 5 ? ':' : '\0';
	}
	return true;
}

bool lw_ip_canon(const char *text, char *out, size_t outlen, int *family)
{
	unsigned char addr[16];

	if (!text || !*text || strlen(text) >= INET6_ADDRSTRLEN)
		return false;
	if (inet_pton(AF_INET, text, addr) == 1) {
		*family = 4;
		return inet_ntop(AF_INET, addr, out, (socklen_t)outlen) != NULL;
	}
	if (inet_pton(AF_INET6, text, addr) == 1) {
		*family = 6;
		return inet_ntop(AF_INET6, addr, out, (socklen_t)outlen) !=
		    NULL;
	}
	return false;
}

bool lw_target_mac(const struct lw_target *t, char out[18])
{
	return lw_mac_canon(t->mac, out) || lw_mac_canon(t->text, out);
}

bool lw_target_ip(const struct lw_target *t, char *out, size_t outlen,
    int *family)
{
	return lw_ip_canon(t->ip, out, outlen, family) ||
	    lw_ip_canon(t->text, out, outlen, family);
}

void lw_be_detail(struct lw_be_result *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof res->detail, fmt, ap);
	va_end(ap);
}

bool lw_be_send(struct lw_http *h, const struct lw_http_req *req,
    const char *summary, struct lw_http_resp *resp,
    struct lw_be_result *res, enum lw_be_status *st)
{
	bool replied = lw_http_do(h, req, resp);

	res->requests++;
	res->latency_ms += resp->latency_ms;
	res->http_status = resp->status;
	snprintf(res->request, sizeof res->request, "%s", summary);
	if (replied)
		return true;
	if (resp->tls_error) {
		*st = LW_BE_FAIL;
		lw_be_detail(res, "%s: TLS: %s", summary, resp->error);
	} else if (resp->timed_out) {
		*st = LW_BE_RETRY;
		lw_be_detail(res, "%s: no reply within %.0f ms (timed out)",
		    summary, resp->latency_ms);
	} else {
		*st = LW_BE_RETRY;
		lw_be_detail(res, "%s: %s", summary, resp->error);
	}
	return false;
}

enum lw_be_status lw_be_http_status(long status)
{
	if (status >= 500 || status == 408 || status == 429 || status == 0)
		return LW_BE_RETRY;
	return LW_BE_FAIL;
}

json_t *lw_be_json(const struct lw_http_resp *resp, const char *what,
    struct lw_be_result *res)
{
	json_error_t jerr;

	if (!resp->body || !resp->len) {
		lw_be_detail(res, "unexpected reply to %s: empty body", what);
		return NULL;
	}
	json_t *doc = json_loadb(resp->body, resp->len, JSON_REJECT_DUPLICATES,
	    &jerr);
	if (!doc)
		lw_be_detail(res, "unexpected reply to %s: not JSON (%s at "
		    "byte %d)", what, jerr.text, jerr.position);
	return doc;
}

/* The pair for key without marking it, for a diagnostic's position. */
static const struct lw_kv *kv_at(const struct lw_section *sec,
    const char *key)
{
	for (size_t i = 0; i < sec->n; i++)
		if (strcmp(sec->kv[i].key, key) == 0)
			return &sec->kv[i];
	return NULL;
}

int lw_be_secret(struct lw_section *sec, const char *base, bool required,
    char *buf, size_t buflen, struct lw_diag *diag)
{
	char err[768], key[96];

	if (lw_section_secret(sec, base, required, buf, buflen, err,
	    sizeof err))
		return 1;
	if (!err[0])
		return 0;
	const struct lw_kv *kv = kv_at(sec, base);
	if (!kv) {
		snprintf(key, sizeof key, "%s_file", base);
		kv = kv_at(sec, key);
	}
	if (!kv) {
		snprintf(key, sizeof key, "%s_env", base);
		kv = kv_at(sec, key);
	}
	lw_diag_add(diag, sec->file, kv ? kv->line : sec->line,
	    kv ? kv->col : sec->col, "%s", err);
	bool given = kv != NULL;
	return given ? -1 : 0;
}

void lw_be_first_error(const struct lw_diag *diag, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s", diag->count ? diag->msgs[0] :
	    "bad configuration");
}
