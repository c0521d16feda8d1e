/*
 * key_wireguard.c - a WireGuard peer's preshared key on the router
 * (keys_int.h), found by the peer's public key on one interface:
 *
 * MikroTik RouterOS v7 REST, HTTP Basic:
 *   GET   /rest/interface/wireguard/peers?interface=IF&public-key=KEY
 *   PATCH /rest/interface/wireguard/peers/ID  {"preshared-key":"..."}
 *   GET   /rest/interface/wireguard/peers/ID  (read back)
 * OpenWrt ubus over HTTP (POST /ubus, JSON-RPC "call"):
 *   session login; uci get {config:network, type:wireguard_IF};
 *   uci set {config:network, section:S, values:{preshared_key:...}};
 *   uci commit {config:network} (netifd applies it); uci get (read back)
 *
 * Request bodies that hold a key are built by hand in buffers that are
 * wiped; parsed replies have the key's string wiped before they go.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "labwarden/backend_http.h"
#include "keys_int.h"

#define BODY_MAX	2048
#define UBUS_NULL_SID	"00000000000000000000000000000000"

struct key_router {
	const struct key_conf *kc;
	struct lw_http *http;
	char	 id[128];	/* MikroTik .id or OpenWrt section */
	char	 sid[80];	/* OpenWrt session */
};

struct key_router *key_router_new(const struct key_conf *kc)
{
	struct key_router *r = calloc(1, sizeof *r);

	if (!r)
		return NULL;
	r->kc = kc;
	if (!(r->http = key_http_new(kc, &kc->router_http))) {
		free(r);
		return NULL;
	}
	return r;
}

void key_router_free(struct key_router *r)
{
	if (!r)
		return;
	lw_http_free(r->http);
	explicit_bzero(r, sizeof *r);
	free(r);
}

/* A value a device gave us, safe to put between quotes by hand. */
static bool plain_token(const char *s, size_t max)
{
	size_t n = strlen(s);
	return n > 0 && n < max && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789*_.-") == n;
}

/* text into out as JSON string contents (quotes, backslashes, controls). */
static bool json_quote(const char *text, char *out, size_t outlen)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		char esc[8];
		int n = *p == '"' || *p == '\\' ? snprintf(esc, sizeof esc,
		    "\\%c", *p) : *p < 0x20 ? snprintf(esc, sizeof esc,
		    "\\u%04x", *p) : (esc[0] = (char)*p, 1);
		if (o + (size_t)n >= outlen)
			return false;
		memcpy(out + o, esc, (size_t)n);
		o += (size_t)n;
	}
	out[o] = '\0';
	return true;
}

/* ---- MikroTik ---- */

static bool mt_do(struct key_router *r, const char *method, const char *path,
    const char *body, struct lw_http_resp *resp, struct key_log *log,
    char *why, size_t whylen)
{
	char url[KEY_URL_MAX + 600], pass[LW_SECRET_MAX];

	if (!key_secret_read(&r->kc->router_password, pass, sizeof pass, why,
	    whylen))
		return false;
	snprintf(url, sizeof url, "%s%s", r->kc->router_http.url, path);
	struct lw_http_req req = { .method = method, .url = url,
	    .body = body, .body_len = body ? strlen(body) : 0,
	    .user = r->kc->router_user, .password = pass };
	if (body)
		lw_http_add_header(&req, "Content-Type: application/json");
	bool ok = lw_http_do(r->http, &req, resp);
	explicit_bzero(pass, sizeof pass);
	key_log_add(log, method, path, resp);
	if (!ok)
		snprintf(why, whylen, "%s: %s %.*s: %s", r->kc->router_name,
		    method, (int)strcspn(path, "?"), path, resp->error);
	else if (resp->status < 200 || resp->status >= 300) {
		json_t *doc = resp->body ? json_loadb(resp->body, resp->len, 0,
		    NULL) : NULL;
		const char *detail = json_string_value(json_object_get(doc,
		    "detail"));
		snprintf(why, whylen, "%s: %s %.*s: HTTP %ld%s%.160s",
		    r->kc->router_name, method, (int)strcspn(path, "?"), path,
		    resp->status, detail ? ": " : "", detail ? detail : "");
		json_decref(doc);
		ok = false;
	}
	return ok;
}

/* The peer's entry: its .id into r->id, its preshared-key into psk. */
static bool mt_read(struct key_router *r, struct key_value *psk,
    struct key_log *log, char *why, size_t whylen)
{
	char iface[200], key[200], path[600];
	struct lw_http_resp resp;

	if (!lw_http_escape(r->kc->wg_interface, iface, sizeof iface) ||
	    !lw_http_escape(r->kc->wg_peer, key, sizeof key))
		return false;
	if (r->id[0])
		snprintf(path, sizeof path, "/rest/interface/wireguard/peers/"
		    "%s", r->id);
	else
		snprintf(path, sizeof path, "/rest/interface/wireguard/peers?"
		    "interface=%s&public-key=%s", iface, key);
	if (!mt_do(r, "GET", path, NULL, &resp, log, why, whylen)) {
		key_resp_wipe(&resp);
		return false;
	}
	json_t *doc = json_loadb(resp.body ? resp.body : "", resp.len, 0,
	    NULL);
	key_resp_wipe(&resp);
	json_t *peer = json_is_array(doc) ? json_array_get(doc, 0) : doc;
	bool ok = json_is_object(peer) && (!json_is_array(doc) ||
	    json_array_size(doc) == 1);
	const char *id = json_string_value(json_object_get(peer, ".id"));
	if (!ok || !id || !plain_token(id, sizeof r->id))
		snprintf(why, whylen, "%s: %s", r->kc->router_name,
		    json_is_array(doc) && json_array_size(doc) != 1 ?
		    (json_array_size(doc) ? "more than one peer with that "
		    "public key" : "no peer with that public key on the "
		    "interface") : "a reply without the peer's .id");
	ok = ok && id && plain_token(id, sizeof r->id);
	if (ok) {
		snprintf(r->id, sizeof r->id, "%s", id);
		json_t *k = json_object_get(peer, "preshared-key");
		const char *text = json_string_value(k);
		key_value_wipe(psk);
		if (text && *text && strlen(text) < sizeof psk->text) {
			psk->len = strlen(text);
			memcpy(psk->text, text, psk->len + 1);
			psk->set = true;
		}
		key_json_string_wipe(k);
	}
	json_decref(doc);
	return ok;
}

static bool mt_set(struct key_router *r, const char *psk,
    struct key_log *log, char *why, size_t whylen)
{
	char body[BODY_MAX], quoted[LW_KEY_TEXT_MAX + 64], path[300];
	struct lw_http_resp resp;
	bool ok = json_quote(psk, quoted, sizeof quoted);

	snprintf(path, sizeof path, "/rest/interface/wireguard/peers/%s",
	    r->id);
	if (ok) {
		snprintf(body, sizeof body, "{\"preshared-key\":\"%s\"}",
		    quoted);
		ok = mt_do(r, "PATCH", path, body, &resp, log, why, whylen);
		key_resp_wipe(&resp);
	}
	explicit_bzero(body, sizeof body);
	explicit_bzero(quoted, sizeof quoted);
	return ok;
}

/* ---- OpenWrt ubus ---- */

/* One JSON-RPC call; result[1] (or an empty object) into *out. */
static bool ubus_call(struct key_router *r, const char *sid,
    const char *object, const char *method, const char *args, json_t **out,
    struct key_log *log, char *why, size_t whylen)
{
	size_t blen = strlen(args) + 256;
	char *body = malloc(blen), url[KEY_URL_MAX + 16], path[256], what[96];
	struct lw_http_resp resp = { 0 };
	bool ok = false;

	*out = NULL;
	snprintf(what, sizeof what, "ubus %s %s", object, method);
	if (!body) {
		snprintf(why, whylen, "out of memory");
		return false;
	}
	int n = snprintf(body, blen, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\""
	    ":\"call\",\"params\":[\"%s\",\"%s\",\"%s\",%s]}", sid, object,
	    method, args);
	/* the endpoint as the openwrt backend finds it */
	lw_be_ubus_endpoint(r->kc->router_http.url, url, sizeof url, path,
	    sizeof path);
	struct lw_http_req req = { .method = "POST", .url = url,
	    .body = body, .body_len = (size_t)n };
	lw_http_add_header(&req, "Content-Type: application/json");
	bool replied = lw_http_do(r->http, &req, &resp);
	explicit_bzero(body, blen);
	free(body);
	key_log_add(log, "POST", path, &resp);
	json_t *doc = replied && resp.status == 200 ? json_loadb(resp.body,
	    resp.len, 0, NULL) : NULL;
	json_t *result = json_object_get(doc, "result");
	json_t *rpc_error = json_object_get(doc, "error");
	json_int_t code = json_integer_value(json_array_get(result, 0));
	if (!replied)
		snprintf(why, whylen, "%s: %s: %s", r->kc->router_name, what,
		    resp.error);
	else if (resp.status != 200)
		snprintf(why, whylen, "%s: %s: HTTP %ld", r->kc->router_name,
		    what, resp.status);
	else if (rpc_error)
		snprintf(why, whylen, "%s: %s: %.120s", r->kc->router_name,
		    what, json_string_value(json_object_get(rpc_error,
		    "message")) ? json_string_value(json_object_get(rpc_error,
		    "message")) : "JSON-RPC error");
	else if (!json_is_array(result) || code != 0)
		snprintf(why, whylen, "%s: %s: ubus status %lld",
		    r->kc->router_name, what, (long long)code);
	else {
		*out = json_incref(json_array_get(result, 1));
		if (!*out)
			*out = json_object();
		ok = true;
	}
	/* "Access denied": the session is gone; the caller logs in again. */
	if (rpc_error && json_integer_value(json_object_get(rpc_error,
	    "code")) == -32002)
		r->sid[0] = '\0';
	json_decref(doc);
	key_resp_wipe(&resp);
	return ok;
}

static bool ubus_login(struct key_router *r, struct key_log *log, char *why,
    size_t whylen)
{
	char pass[LW_SECRET_MAX], qpass[2 * LW_SECRET_MAX], quser[160];
	char args[3 * LW_SECRET_MAX];
	json_t *res = NULL;

	if (!key_secret_read(&r->kc->router_password, pass, sizeof pass, why,
	    whylen))
		return false;
	bool ok = json_quote(pass, qpass, sizeof qpass) &&
	    json_quote(r->kc->router_user, quser, sizeof quser);
	explicit_bzero(pass, sizeof pass);
	if (ok) {
		snprintf(args, sizeof args, "{\"username\":\"%s\",\"password\":"
		    "\"%s\"}", quser, qpass);
		ok = ubus_call(r, UBUS_NULL_SID, "session", "login", args, &res,
		    log, why, whylen);
	}
	explicit_bzero(qpass, sizeof qpass);
	explicit_bzero(args, sizeof args);
	const char *sid = json_string_value(json_object_get(res,
	    "ubus_rpc_session"));
	if (ok && (!sid || !plain_token(sid, sizeof r->sid))) {
		snprintf(why, whylen, "%s: login: no session in the reply",
		    r->kc->router_name);
		ok = false;
	}
	if (ok)
		snprintf(r->sid, sizeof r->sid, "%s", sid);
	json_decref(res);
	return ok;
}

/* A call in the session, logging in first or again once if needed. */
static bool ubus(struct key_router *r, const char *object,
    const char *method, const char *args, json_t **out, struct key_log *log,
    char *why, size_t whylen)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		if (!r->sid[0] && !ubus_login(r, log, why, whylen))
			return false;
		if (ubus_call(r, r->sid, object, method, args, out, log, why,
		    whylen))
			return true;
		if (r->sid[0])	/* not a lost session: a real failure */
			return false;
	}
	return false;
}

static bool owrt_read(struct key_router *r, struct key_value *psk,
    struct key_log *log, char *why, size_t whylen)
{
	char args[256];
	json_t *res;

	snprintf(args, sizeof args, "{\"config\":\"network\",\"type\":"
	    "\"wireguard_%s\"}", r->kc->wg_interface);
	if (!ubus(r, "uci", "get", args, &res, log, why, whylen))
		return false;
	json_t *values = json_object_get(res, "values");
	const char *name;
	json_t *sec, *found = NULL;
	unsigned matches = 0;
	json_object_foreach(values, name, sec) {
		const char *pub = json_string_value(json_object_get(sec,
		    "public_key"));
		if (pub && strcmp(pub, r->kc->wg_peer) == 0 && plain_token(name,
		    sizeof r->id)) {
			found = sec;
			snprintf(r->id, sizeof r->id, "%s", name);
			matches++;
		}
	}
	key_value_wipe(psk);
	if (matches == 1) {
		json_t *k = json_object_get(found, "preshared_key");
		const char *text = json_string_value(k);
		if (text && *text && strlen(text) < sizeof psk->text) {
			psk->len = strlen(text);
			memcpy(psk->text, text, psk->len + 1);
			psk->set = true;
		}
	} else
		snprintf(why, whylen, "%s: %s", r->kc->router_name, matches ?
		    "more than one peer with that public key" :
		    "no peer with that public key on the interface");
	json_object_foreach(values, name, sec)
		key_json_string_wipe(json_object_get(sec, "preshared_key"));
	json_decref(res);
	return matches == 1;
}

static bool owrt_set(struct key_router *r, const char *psk,
    struct key_log *log, char *why, size_t whylen)
{
	char args[BODY_MAX], quoted[LW_KEY_TEXT_MAX + 64];
	json_t *res = NULL;
	bool ok = json_quote(psk, quoted, sizeof quoted);

	if (ok) {
		snprintf(args, sizeof args, "{\"config\":\"network\","
		    "\"section\":\"%s\",\"values\":{\"preshared_key\":\"%s\"}}",
		    r->id, quoted);
		ok = ubus(r, "uci", "set", args, &res, log, why, whylen);
		json_decref(res);
	}
	explicit_bzero(args, sizeof args);
	explicit_bzero(quoted, sizeof quoted);
	if (ok) {
		ok = ubus(r, "uci", "commit", "{\"config\":\"network\"}", &res,
		    log, why, whylen);
		json_decref(res);
	}
	return ok;
}

/* ---- either ---- */

bool key_router_read(struct key_router *r, struct key_value *old,
    struct key_log *log, char *why, size_t whylen)
{
	r->id[0] = '\0';
	return r->kc->router == KEY_ROUTER_MIKROTIK ?
	    mt_read(r, old, log, why, whylen) :
	    owrt_read(r, old, log, why, whylen);
}

bool key_router_set(struct key_router *r, const char *psk,
    struct key_log *log, char *why, size_t whylen)
{
	struct key_value back = { 0 };
	bool ok;

	if (!r->id[0] && !key_router_read(r, &back, log, why, whylen)) {
		key_value_wipe(&back);
		return false;
	}
	ok = r->kc->router == KEY_ROUTER_MIKROTIK ?
	    mt_set(r, psk, log, why, whylen) :
	    owrt_set(r, psk, log, why, whylen);
	/* Read it back: only the router's own word says it took. */
	if (ok) {
		char id[sizeof r->id];
		snprintf(id, sizeof id, "%s", r->id);
		ok = r->kc->router == KEY_ROUTER_MIKROTIK ?
		    mt_read(r, &back, log, why, whylen) :
		    (r->id[0] = '\0', owrt_read(r, &back, log, why, whylen));
		if (ok && (!back.set || strcmp(back.text, psk) != 0 ||
		    strcmp(id, r->id) != 0)) {
			snprintf(why, whylen, "%s: the peer's preshared key "
			    "read back is not the one just set",
			    r->kc->router_name);
			ok = false;
		}
	}
	key_value_wipe(&back);
	return ok;
}
