/*
 * key_reload.c - tell a service that its key changed: one HTTP request
 * to keys.NAME.reload_url (keys_int.h).  labwarden never runs commands;
 * the service reads the new key from its store when asked.
 *
 * The body names the key, never holds it:
 *   {"key":"openai","store":"vault","version":4,"fingerprint":"1a2b3c4d"}
 * With reload_secret_file (or _env) the request is signed:
 *   X-Labwarden-Timestamp: UNIX-SECONDS
 *   X-Labwarden-Signature: sha256=HEX(HMAC-SHA256(secret, TIMESTAMP "." BODY))
 * so the service can refuse forged or replayed calls.  Any 2xx is done.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "keys_int.h"

/* The path of url, for the audit summary ("/reload"). */
static const char *url_path(const char *url)
{
	const char *p = strstr(url, "://");
	p = p ? strchr(p + 3, '/') : NULL;
	return p ? p : "/";
}

/* The two signature headers into ts_hdr and sig_hdr. */
static bool sign(const struct key_conf *kc, const char *body,
    char *ts_hdr, size_t tslen, char *sig_hdr, size_t siglen, char *why,
    size_t whylen)
{
	char secret[LW_SECRET_MAX], stamp[32], mac[65];

	if (!key_secret_read(&kc->reload_secret, secret, sizeof secret, why,
	    whylen))
		return false;
	snprintf(stamp, sizeof stamp, "%lld", (long long)time(NULL));
	size_t len = strlen(stamp) + 1 + strlen(body);
	char *signed_text = malloc(len + 1);
	if (!signed_text) {
		explicit_bzero(secret, sizeof secret);
		snprintf(why, whylen, "out of memory");
		return false;
	}
	snprintf(signed_text, len + 1, "%s.%s", stamp, body);
	lw_hmac_sha256_hex(secret, strlen(secret), signed_text, len, mac);
	explicit_bzero(secret, sizeof secret);
	free(signed_text);
	snprintf(ts_hdr, tslen, "X-Labwarden-Timestamp: %s", stamp);
	snprintf(sig_hdr, siglen, "X-Labwarden-Signature: sha256=%s", mac);
	return true;
}

bool key_reload_call(const struct key_conf *kc, uint64_t version,
    const char *fp, struct key_log *log, char *why, size_t whylen)
{
	char ts_hdr[64], sig_hdr[96];
	json_t *doc = json_pack("{s:s, s:s, s:I, s:s}", "key", kc->name,
	    "store", key_store_name(kc), "version", (json_int_t)version,
	    "fingerprint", fp);
	char *body = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	struct lw_http *http = key_http_new(kc, &kc->reload);
	struct lw_http_resp resp = { 0 };
	bool ok = false;

	json_decref(doc);
	if (!body || !http) {
		snprintf(why, whylen, "reload: out of memory");
		goto out;
	}
	bool get = strcmp(kc->reload_method, "GET") == 0;
	struct lw_http_req req = { .method = kc->reload_method,
	    .url = kc->reload.url, .body = get ? NULL : body,
	    .body_len = get ? 0 : strlen(body) };
	if (!get)
		lw_http_add_header(&req, "Content-Type: application/json");
	if (kc->reload_signed) {
		char reason[512];
		if (!sign(kc, body, ts_hdr, sizeof ts_hdr, sig_hdr,
		    sizeof sig_hdr, reason, sizeof reason)) {
			snprintf(why, whylen, "reload: %s", reason);
			goto out;
		}
		lw_http_add_header(&req, ts_hdr);
		lw_http_add_header(&req, sig_hdr);
	}
	bool replied = lw_http_do(http, &req, &resp);
	key_log_add(log, kc->reload_method, url_path(kc->reload.url), &resp);
	ok = replied && resp.status >= 200 && resp.status < 300;
	int ulen = (int)strcspn(kc->reload.url, "?#");	/* no query */
	if (!replied)
		snprintf(why, whylen, "reload %.*s: %s", ulen, kc->reload.url,
		    resp.error);
	else if (!ok)
		snprintf(why, whylen, "reload %.*s: HTTP %ld", ulen,
		    kc->reload.url, resp.status);
out:
	key_resp_wipe(&resp);
	lw_http_free(http);
	free(body);
	return ok;
}
