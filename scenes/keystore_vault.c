/*
 * keystore_vault.c - keys in HashiCorp Vault's KV version 2 engine
 * (keys_int.h; the API as in hashicorp/vault api-docs kv-v2):
 *
 *   GET  /v1/MOUNT/metadata/PATH          current_version (404: none)
 *   GET  /v1/MOUNT/data/PATH?version=N    the fields of version N
 *   POST /v1/MOUNT/data/PATH              {"options":{"cas":N},"data":{}}
 *   POST /v1/MOUNT/destroy/PATH           {"versions":[N]}
 *
 * with the token in X-Vault-Token, read from its file or variable at
 * every request.  A write keeps the secret's other fields and replaces
 * only the key's field; check-and-set makes a concurrent writer a
 * conflict instead of a lost update ("check-and-set parameter did not
 * match the current version", HTTP 400).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "keys_int.h"

#define VAULT_URL_MAX	(KEY_URL_MAX + 1024)
#define VAULT_BODY_MAX	(64u << 10)

struct vault {
	struct lw_http *http;
	json_t	*others;	/* the current version's other fields */
};

/* ---- paths ---- */

static bool segment_ok(const char *seg, size_t len)
{
	if (len == 0 || (len == 1 && seg[0] == '.') ||
	    (len == 2 && seg[0] == '.' && seg[1] == '.'))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)seg[i];
		if (c <= ' ' || c == 127 || c == '?' || c == '#' || c == '%')
			return false;
	}
	return true;
}

/* Every segment of text (between '/') is one Vault may take. */
static bool segments_ok(const char *text)
{
	while (*text) {
		size_t len = strcspn(text, "/");
		if (!segment_ok(text, len))
			return false;
		text += len;
		if (*text == '/')
			text++;
	}
	return true;
}

bool lw_vault_path_parse(const char *path, const char *mount,
    struct lw_vault_path *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	while (*path == '/')
		path++;
	size_t plen = strlen(path);
	while (plen && path[plen - 1] == '/')
		plen--;
	char buf[sizeof out->secret + sizeof out->mount + 8];
	if (plen >= sizeof buf) {
		snprintf(err, errlen, "too long");
		return false;
	}
	memcpy(buf, path, plen);
	buf[plen] = '\0';
	const char *rest = buf;
	if (mount) {
		size_t mlen = strlen(mount);
		if (mlen == 0 || mlen >= sizeof out->mount ||
		    !segments_ok(mount)) {
			snprintf(err, errlen, "mount: '%s' is not a Vault mount "
			    "path", mount);
			return false;
		}
		snprintf(out->mount, sizeof out->mount, "%s", mount);
		if (strncmp(rest, mount, mlen) == 0 && rest[mlen] == '/')
			rest += mlen + 1;
	} else {
		size_t mlen = strcspn(rest, "/");
		if (mlen == 0 || mlen >= sizeof out->mount || !rest[mlen]) {
			snprintf(err, errlen, "'%s' is not MOUNT/data/PATH or "
			    "MOUNT/PATH (e.g. secret/data/ai/openai)", path);
			return false;
		}
		memcpy(out->mount, rest, mlen);
		rest += mlen + 1;
		/* The other API prefixes are surely a slip, not a secret's
		 * name: say so rather than write somewhere odd. */
		static const char *const api[] = { "metadata/", "destroy/",
		    "delete/", "undelete/", "subkeys/", "config", NULL };
		for (int i = 0; api[i]; i++)
			if (strncmp(rest, api[i], strlen(api[i])) == 0) {
				snprintf(err, errlen, "'%s' names Vault's %.*s "
				    "API, not a secret: write MOUNT/data/PATH "
				    "(or set mount: for a secret really named "
				    "so)", path, (int)strcspn(api[i], "/"),
				    api[i]);
				return false;
			}
	}
	if (strncmp(rest, "data/", 5) == 0)
		rest += 5;
	else if (strcmp(rest, "data") == 0)	/* "MOUNT/data": nothing after */
		rest += 4;
	if (!*rest || strlen(rest) >= sizeof out->secret ||
	    !segments_ok(out->mount) || !segments_ok(rest)) {
		snprintf(err, errlen, "'%s': %s", path, !*rest ? "no secret "
		    "after the mount" : "empty, '.' or '..' segments, spaces, "
		    "'?', '#' or '%' are not allowed");
		return false;
	}
	snprintf(out->secret, sizeof out->secret, "%s", rest);
	return true;
}

/* "/v1/MOUNT/API/PATH" with every segment escaped. */
static bool api_path(const struct lw_vault_path *vp, const char *api,
    char *out, size_t outlen)
{
	char seg[1600];
	int n = snprintf(out, outlen, "/v1");
	const char *parts[] = { vp->mount, api, vp->secret };

	for (int i = 0; i < 3; i++) {
		const char *p = parts[i];
		while (*p) {
			size_t len = strcspn(p, "/");
			char one[600];
			if (len >= sizeof one)
				return false;
			memcpy(one, p, len);
			one[len] = '\0';
			if (!lw_http_escape(one, seg, sizeof seg))
				return false;
			n += snprintf(out + n, outlen - (size_t)n, "/%s", seg);
			if ((size_t)n >= outlen)
				return false;
			p += len;
			if (*p == '/')
				p++;
		}
	}
	return true;
}

/* ---- requests ---- */

/* Vault's first error message of a reply ({"errors":[...]}). */
static void vault_error(const struct lw_http_resp *resp, char *out,
    size_t outlen)
{
	json_t *doc = resp->body ? json_loadb(resp->body, resp->len, 0, NULL) :
	    NULL;
	json_t *errors = json_object_get(doc, "errors");
	const char *first = json_string_value(json_array_get(errors, 0));

	snprintf(out, outlen, "%.200s", first ? first : "");
	json_decref(doc);
}

/*
 * One request to Vault.  False on a transport error (why says so); a
 * reply of any status is true, and the caller reads resp.
 */
static bool vault_do(struct keystore *ks, const char *method,
    const char *path, const char *query, const char *body, size_t len,
    struct lw_http_resp *resp, struct key_log *log, char *why,
    size_t whylen)
{
	const struct key_conf *kc = ks->kc;
	struct vault *v = ks->priv;
	char url[VAULT_URL_MAX], token[LW_SECRET_MAX + 32], ns[200];
	char tok[LW_SECRET_MAX];
	struct lw_http_req req = { .method = method, .url = url,
	    .body = body, .body_len = len };

	memset(resp, 0, sizeof *resp);
	if (!key_secret_read(&kc->vault_token, tok, sizeof tok, why, whylen))
		return false;
	snprintf(token, sizeof token, "X-Vault-Token: %s", tok);
	explicit_bzero(tok, sizeof tok);
	snprintf(url, sizeof url, "%s%s%s", kc->vault.url, path, query);
	lw_http_add_header(&req, token);
	if (kc->vault_namespace[0]) {
		snprintf(ns, sizeof ns, "X-Vault-Namespace: %s",
		    kc->vault_namespace);
		lw_http_add_header(&req, ns);
	}
	if (body)
		lw_http_add_header(&req, "Content-Type: application/json");
	bool ok = lw_http_do(v->http, &req, resp);
	explicit_bzero(token, sizeof token);
	key_log_add(log, method, path, resp);
	if (!ok)
		snprintf(why, whylen, "Vault: %s %s: %s", method, path,
		    resp->error);
	return ok;
}

/* why = "Vault: METHOD PATH: HTTP N: message". */
static void http_failed(const char *method, const char *path,
    const struct lw_http_resp *resp, char *why, size_t whylen)
{
	char msg[256];

	vault_error(resp, msg, sizeof msg);
	snprintf(why, whylen, "Vault: %s %s: HTTP %ld%s%s", method, path,
	    resp->status, msg[0] ? ": " : "", msg);
}

/*
 * GET path and query: *found false on a 404, else the reply parsed into
 * *doc (NULL when it is not JSON; the caller drops it).  KEY_FAIL with
 * why when Vault did not answer 200 or 404.  The reply is wiped.
 */
static enum key_status vault_get(struct keystore *ks, const char *path,
    const char *query, bool *found, json_t **doc, struct key_log *log,
    char *why, size_t whylen)
{
	struct lw_http_resp resp;

	*found = false;
	*doc = NULL;
	if (!vault_do(ks, "GET", path, query, NULL, 0, &resp, log, why,
	    whylen))
		return KEY_FAIL;
	if (resp.status != 200 && resp.status != 404) {
		http_failed("GET", path, &resp, why, whylen);
		key_resp_wipe(&resp);
		return KEY_FAIL;
	}
	*found = resp.status == 200;
	if (*found)
		*doc = json_loadb(resp.body, resp.len, 0, NULL);
	key_resp_wipe(&resp);
	return KEY_OK;
}

/* ---- the store ---- */

static bool vault_open(struct keystore *ks, char *why, size_t whylen)
{
	struct vault *v = calloc(1, sizeof *v);

	if (!v || !(v->http = key_http_new(ks->kc, &ks->kc->vault))) {
		free(v);
		snprintf(why, whylen, "Vault: cannot start an HTTP client");
		return false;
	}
	ks->priv = v;
	return true;
}

static void vault_close(struct keystore *ks)
{
	struct vault *v = ks->priv;

	if (!v)
		return;
	lw_http_free(v->http);
	json_decref(v->others);
	free(v);
	ks->priv = NULL;
}

/* GET data?version=N: our field into value, the rest kept in others. */
static enum key_status read_version(struct keystore *ks, uint64_t version,
    struct key_value *value, struct key_log *log, char *why, size_t whylen)
{
	struct vault *v = ks->priv;
	char path[VAULT_URL_MAX], query[32];
	json_t *doc;
	bool found;

	json_decref(v->others);
	v->others = json_object();
	if (!api_path(&ks->kc->vpath, "data", path, sizeof path))
		return KEY_FAIL;
	snprintf(query, sizeof query, "?version=%llu",
	    (unsigned long long)version);
	/* not found: deleted or destroyed, no value */
	enum key_status st = vault_get(ks, path, query, &found, &doc, log,
	    why, whylen);
	if (st != KEY_OK || !found)
		return st;
	json_t *data = json_object_get(json_object_get(doc, "data"), "data");
	if (!json_is_object(data)) {
		snprintf(why, whylen, "Vault: GET %s: no data.data in the "
		    "reply", path);
		json_decref(doc);
		return KEY_FAIL;
	}
	json_t *mine = json_object_get(data, ks->kc->field);
	const char *text = json_string_value(mine);
	if (value && text && json_string_length(mine) < sizeof value->text) {
		value->len = json_string_length(mine);
		memcpy(value->text, text, value->len);
		value->text[value->len] = '\0';
		value->set = true;
	}
	key_json_string_wipe(mine);
	json_object_del(data, ks->kc->field);
	json_object_update(v->others, data);
	json_decref(doc);
	return KEY_OK;
}

/* The secret's current_version from its metadata (0: no secret yet). */
static enum key_status meta_current(struct keystore *ks, uint64_t *version,
    struct key_log *log, char *why, size_t whylen)
{
	char path[VAULT_URL_MAX];
	json_t *doc;
	bool found;

	*version = 0;
	if (!api_path(&ks->kc->vpath, "metadata", path, sizeof path)) {
		snprintf(why, whylen, "Vault: path too long");
		return KEY_FAIL;
	}
	/* not found: no such secret yet, version 0 */
	enum key_status st = vault_get(ks, path, "", &found, &doc, log, why,
	    whylen);
	if (st != KEY_OK || !found)
		return st;
	json_t *cur = json_object_get(json_object_get(doc, "data"),
	    "current_version");
	if (!json_is_integer(cur) || json_integer_value(cur) < 0) {
		snprintf(why, whylen, "Vault: GET %s: no current_version in "
		    "the reply", path);
		json_decref(doc);
		return KEY_FAIL;
	}
	*version = (uint64_t)json_integer_value(cur);
	json_decref(doc);
	return KEY_OK;
}

static enum key_status vault_current(struct keystore *ks, uint64_t *version,
    struct key_value *value, struct key_log *log, char *why, size_t whylen)
{
	struct vault *v = ks->priv;

	json_decref(v->others);
	v->others = json_object();
	enum key_status st = meta_current(ks, version, log, why, whylen);
	if (st != KEY_OK)
		return st;
	/* Read the current version even without a wish for its value: a
	 * write must keep the secret's other fields. */
	return *version ? read_version(ks, *version, value, log, why,
	    whylen) : KEY_OK;
}

/* text as a JSON string's contents into out (false when it is full). */
static bool json_escape(const char *text, size_t len, char *out,
    size_t outlen, size_t *o)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		char esc[8];
		size_t n;
		if (c == '"' || c == '\\')
			n = (size_t)snprintf(esc, sizeof esc, "\\%c", c);
		else if (c < 0x20)
			n = (size_t)snprintf(esc, sizeof esc, "\\u%04x", c);
		else {
			esc[0] = (char)c;
			n = 1;
		}
		if (*o + n >= outlen)
			return false;
		memcpy(out + *o, esc, n);
		*o += n;
	}
	out[*o] = '\0';
	return true;
}

/*
 * The write's body, built by hand so that the key goes only into this
 * buffer (wiped by the caller), never into a JSON object.
 */
static bool write_body(struct keystore *ks, uint64_t cas, const char *value,
    size_t len, char *body, size_t bodylen, size_t *blen)
{
	struct vault *v = ks->priv;
	json_t *none = v->others ? NULL : json_object();
	char *others = json_dumps(v->others ? v->others : none,
	    JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(none);
	size_t o = 0;
	bool ok = others != NULL;

	if (ok) {
		size_t olen = strlen(others);	/* "{...}" */
		int n = snprintf(body, bodylen, "{\"options\":{\"cas\":%llu},"
		    "\"data\":%.*s%s\"", (unsigned long long)cas,
		    (int)(olen - 1), others, olen > 2 ? "," : "");
		ok = n > 0 && (size_t)n < bodylen;
		o = ok ? (size_t)n : 0;
		explicit_bzero(others, olen);
		free(others);
	}
	ok = ok && json_escape(ks->kc->field, strlen(ks->kc->field), body,
	    bodylen, &o) && o + 3 < bodylen;
	if (ok) {
		memcpy(body + o, "\":\"", 3);
		o += 3;
		ok = json_escape(value, len, body, bodylen, &o) &&
		    o + 3 < bodylen;
	}
	if (ok) {
		memcpy(body + o, "\"}}", 4);
		*blen = o + 3;
	}
	return ok;
}

static enum key_status vault_write(struct keystore *ks, uint64_t cas,
    const char *value, size_t len, uint64_t *version, struct key_log *log,
    char *why, size_t whylen)
{
	struct lw_http_resp resp;
	char path[VAULT_URL_MAX];
	char *body = malloc(VAULT_BODY_MAX);
	size_t blen = 0;
	enum key_status st = KEY_FAIL;

	*version = 0;
	if (!body || !api_path(&ks->kc->vpath, "data", path, sizeof path) ||
	    !write_body(ks, cas, value, len, body, VAULT_BODY_MAX, &blen)) {
		snprintf(why, whylen, "Vault: the secret's fields do not fit "
		    "in %u KiB", VAULT_BODY_MAX >> 10);
		goto out;
	}
	if (!vault_do(ks, "POST", path, "", body, blen, &resp, log, why,
	    whylen))
		goto out;
	if (resp.status == 200 || resp.status == 204) {
		json_t *doc = resp.body ? json_loadb(resp.body, resp.len, 0,
		    NULL) : NULL;
		json_t *ver = json_object_get(json_object_get(doc, "data"),
		    "version");
		*version = json_is_integer(ver) && json_integer_value(ver) > 0 ?
		    (uint64_t)json_integer_value(ver) : cas + 1;
		json_decref(doc);
		st = KEY_OK;
	} else {
		char msg[256];
		vault_error(&resp, msg, sizeof msg);
		st = resp.status == 400 && strstr(msg, "check-and-set") ?
		    KEY_CONFLICT : KEY_FAIL;
		http_failed("POST", path, &resp, why, whylen);
	}
	key_resp_wipe(&resp);
out:
	if (body) {
		explicit_bzero(body, VAULT_BODY_MAX);
		free(body);
	}
	return st;
}

/* Is version destroyed (or the secret gone)?  Read back from metadata. */
static enum key_status destroyed(struct keystore *ks, uint64_t version,
    struct key_log *log, char *why, size_t whylen)
{
	struct lw_http_resp resp;
	char path[VAULT_URL_MAX], num[24];

	if (!api_path(&ks->kc->vpath, "metadata", path, sizeof path) ||
	    !vault_do(ks, "GET", path, "", NULL, 0, &resp, log, why, whylen))
		return KEY_FAIL;
	if (resp.status == 404) {
		key_resp_wipe(&resp);
		return KEY_OK;
	}
	json_t *doc = resp.status == 200 ? json_loadb(resp.body, resp.len, 0,
	    NULL) : NULL;
	snprintf(num, sizeof num, "%llu", (unsigned long long)version);
	json_t *ver = json_object_get(json_object_get(json_object_get(doc,
	    "data"), "versions"), num);
	enum key_status st = KEY_OK;
	if (resp.status != 200) {
		http_failed("GET", path, &resp, why, whylen);
		st = KEY_FAIL;
	} else if (ver && !json_is_true(json_object_get(ver, "destroyed"))) {
		snprintf(why, whylen, "Vault: version %s is not marked "
		    "destroyed after the destroy request", num);
		st = KEY_FAIL;
	}
	json_decref(doc);
	key_resp_wipe(&resp);
	return st;
}

static enum key_status vault_destroy(struct keystore *ks, uint64_t version,
    struct key_log *log, char *why, size_t whylen)
{
	struct lw_http_resp resp;
	char path[VAULT_URL_MAX], body[64];

	if (!api_path(&ks->kc->vpath, "destroy", path, sizeof path)) {
		snprintf(why, whylen, "Vault: path too long");
		return KEY_FAIL;
	}
	/* Never the version in force: keys.json may be stale (the secret
	 * deleted and made again, a rollback by hand). */
	uint64_t current;
	enum key_status st = meta_current(ks, &current, log, why, whylen);
	if (st != KEY_OK)
		return st;
	if (current == version) {
		snprintf(why, whylen, "Vault: version %llu is the current one: "
		    "not destroyed", (unsigned long long)version);
		return KEY_FAIL;
	}
	int n = snprintf(body, sizeof body, "{\"versions\":[%llu]}",
	    (unsigned long long)version);
	if (!vault_do(ks, "POST", path, "", body, (size_t)n, &resp, log, why,
	    whylen))
		return KEY_FAIL;
	bool ok = resp.status == 204 || resp.status == 200;
	if (!ok)
		http_failed("POST", path, &resp, why, whylen);
	key_resp_wipe(&resp);
	return ok ? destroyed(ks, version, log, why, whylen) : KEY_FAIL;
}

const struct keystore_ops keystore_vault_ops = {
	.type = "vault",
	.open = vault_open,
	.current = vault_current,
	.write = vault_write,
	.destroy = vault_destroy,
	.close = vault_close,
};
