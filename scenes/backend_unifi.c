/*
 * backend_unifi.c - UniFi Network controllers (the unofficial API the
 * web UI uses): block-sta / unblock-sta by MAC, and quarantine by a
 * virtual network override that moves the client to a quarantine
 * network (VLAN).
 *
 * Two kinds of controller, told apart by GET / (UniFi OS answers 200,
 * a classic controller redirects) unless `variant:` says which:
 *   classic   POST /api/login, cookie unifises, paths /api/s/SITE/...
 *   UniFi OS  POST /api/auth/login, cookie TOKEN (a JWT), paths under
 *             /proxy/network, and an X-CSRF-Token header on every write
 *             (from the login reply's header or the JWT's csrfToken
 *             claim; a reply's X-Updated-CSRF-Token replaces it).
 * With an API key (UniFi OS only) there is no session: X-API-KEY goes
 * with every request and a 401 means the key is refused.
 *
 * Replies are {"meta": {"rc": "ok"|"error", "msg"}, "data": [...]}.  A
 * 401, a 403 or api.err.LoginRequired means the session is gone: one
 * fresh login and one retry follow, never more.  Every change is read
 * back (GET stat/user/MAC) before it counts as done.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "labwarden/backend.h"
#include "labwarden/backend_http.h"
#include "labwarden/http.h"

#define UF_TOKEN_MAX	256	/* a CSRF token we are willing to echo */

enum uf_variant { UF_AUTO, UF_CLASSIC, UF_UNIFIOS };

struct uf {
	struct lw_http *http;
	char	 base[512];		/* https://host[:port] */
	char	 site[64];
	char	 user[128];
	char	 password[LW_SECRET_MAX];
	char	 key_header[LW_SECRET_MAX + 16];	/* "X-API-KEY: ..." */
	bool	 api_key;
	enum uf_variant variant;	/* as configured */
	enum uf_variant found;		/* the controller's, once known */
	char	 network[64];		/* quarantine_network_id or "" */
	bool	 kick;
	bool	 logged_in;
	char	 csrf_header[UF_TOKEN_MAX + 16];	/* "" when none */
};

static const char *const uf_keys[] = {
	LW_BACKEND_COMMON_KEYS, "url", "variant", "site", "username",
	"password", "password_file", "password_env", "api_key",
	"api_key_file", "api_key_env", "quarantine_network_id", "kick",
	NULL
};

/* ---- configuration ---- */

static bool word_ok(const char *s, const char *extra, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
			return false;
	return true;
}

static void conf_variant(struct uf *uf, struct lw_section *sec,
    struct lw_diag *diag)
{
	const char *v = lw_section_str(sec, "variant", "auto");

	if (strcmp(v, "auto") == 0)
		uf->variant = UF_AUTO;
	else if (strcmp(v, "classic") == 0)
		uf->variant = UF_CLASSIC;
	else if (strcmp(v, "unifios") == 0)
		uf->variant = UF_UNIFIOS;
	else
		lw_section_error(sec, "variant", diag, "auto, classic or "
		    "unifios, not '%s'", v);
	uf->found = uf->variant;
}

/* Either an API key or a user name and password. */
static void conf_auth(struct uf *uf, struct lw_section *sec,
    struct lw_diag *diag)
{
	char key[LW_SECRET_MAX];
	int has_key = lw_be_read_secret(sec, "api_key", false, key, sizeof key,
	    diag);
	int has_pw = lw_be_read_secret(sec, "password", false, uf->password,
	    sizeof uf->password, diag);
	const char *user = lw_section_str(sec, "username", NULL);

	if (has_key > 0) {
		for (const char *p = key; *p; p++)
			if ((unsigned char)*p < ' ' || *p == 0x7f) {
				lw_section_error(sec, NULL, diag, "the API key "
				    "has control characters");
				break;
			}
		snprintf(uf->key_header, sizeof uf->key_header,
		    "X-API-KEY: %s", key);
		uf->api_key = true;
		if (has_pw || user)
			lw_section_error(sec, user ? "username" : NULL, diag,
			    "an API key or username and password, not both");
		if (uf->variant == UF_CLASSIC)
			lw_section_error(sec, "variant", diag, "API keys exist "
			    "on UniFi OS only (variant unifios or auto)");
		uf->found = UF_UNIFIOS;
	} else if (has_key == 0 && has_pw >= 0) {
		if (!user || !*user)
			lw_section_error(sec, user ? "username" : NULL, diag,
			    "needs username and password_file/password_env, "
			    "or api_key_file/api_key_env");
		else if (strlen(user) >= sizeof uf->user)
			lw_section_error(sec, "username", diag, "too long");
		else
			snprintf(uf->user, sizeof uf->user, "%s", user);
		if (has_pw == 0 && user)
			lw_section_error(sec, "username", diag, "needs "
			    "password_file: PATH or password_env: VARIABLE");
	}
	lw_be_wipe(key, sizeof key);
}

/* Every key but the common ones into uf; mistakes into diag. */
static void uf_conf(struct lw_section *sec, void *state, struct lw_diag *diag)
{
	struct uf *uf = state;
	bool kick;

	/* no path: the web UI's address (.../manage/site/...) is not it */
	lw_be_read_url(sec, false, "the controller only, e.g. "
	    "https://unifi.lan:8443 or https://192.168.1.1", uf->base,
	    sizeof uf->base, diag);
	conf_variant(uf, sec, diag);
	const char *site = lw_section_str(sec, "site", "default");
	if (!word_ok(site, "_-", 63))
		lw_section_error(sec, "site", diag, "'%s' is not a site's short "
		    "name (letters, digits, _ and -)", site);
	snprintf(uf->site, sizeof uf->site, "%s", site);
	conf_auth(uf, sec, diag);
	const char *net = lw_section_str(sec, "quarantine_network_id", "");
	if (*net && !word_ok(net, "", 63))
		lw_section_error(sec, "quarantine_network_id", diag, "'%s' is "
		    "not a network _id (GET /api/s/SITE/rest/networkconf)",
		    net);
	snprintf(uf->network, sizeof uf->network, "%s", net);
	lw_section_bool(sec, "kick", true, &kick, diag);
	uf->kick = kick;
}

static const struct lw_be_conf uf_backend_conf = {
	.size = sizeof(struct uf),
	.http_offset = offsetof(struct uf, http),
	.keys = uf_keys,
	.read = uf_conf,
};

static bool uf_check(struct lw_section *sec, struct lw_diag *diag)
{
	return lw_be_conf_check(&uf_backend_conf, sec, diag);
}

static bool uf_open(struct lw_backend *be, struct lw_section *sec,
    char *err, size_t errlen)
{
	return lw_be_conf_open(&uf_backend_conf, be, sec, err, errlen);
}

static void uf_close(struct lw_backend *be)
{
	lw_be_conf_close(&uf_backend_conf, be);
}

/* ---- CSRF token ---- */

static bool token_ok(const char *s)
{
	return word_ok(s, "-_.+/=", UF_TOKEN_MAX - 1);
}

static void set_csrf(struct uf *uf, const char *token)
{
	if (token_ok(token))
		snprintf(uf->csrf_header, sizeof uf->csrf_header,
		    "X-CSRF-Token: %s", token);
}

/* base64url (no padding needed) into out; false if not one. */
static bool b64url_decode(const char *in, size_t len, char *out,
    size_t outlen)
{
	unsigned acc = 0, bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ?
		    c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52 :
		    c == '-' || c == '+' ? 62 : c == '_' || c == '/' ? 63 :
		    c == '=' ? -2 : -1;
		if (v == -2)
			break;
		if (v < 0)
			return false;
		acc = (acc << 6 | (unsigned)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o + 1 >= outlen)
				return false;
			out[o++] = (char)(acc >> bits & 0xff);
		}
	}
	out[o] = '\0';
	return true;
}

/* The csrfToken claim of the TOKEN cookie (a JWT), when there is one. */
static void csrf_from_cookie(struct uf *uf)
{
	char jwt[4096], claims[3072];

	if (!lw_http_cookie(uf->http, "TOKEN", jwt, sizeof jwt))
		return;
	char *dot1 = strchr(jwt, '.');
	char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	if (!dot2 || !b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1),
	    claims, sizeof claims))
		return;
	json_t *doc = json_loads(claims, 0, NULL);
	json_t *tok = json_object_get(doc, "csrfToken");
	if (json_is_string(tok))
		set_csrf(uf, json_string_value(tok));
	json_decref(doc);
	lw_be_wipe(jwt, sizeof jwt);
}

static void csrf_from_reply(struct uf *uf, const struct lw_http_resp *resp)
{
	char token[UF_TOKEN_MAX];

	if (lw_http_header(resp, "X-Updated-CSRF-Token", token, sizeof token) ||
	    lw_http_header(resp, "X-CSRF-Token", token, sizeof token))
		set_csrf(uf, token);
}

/* ---- requests ---- */

struct uf_reply {
	json_t	*data;		/* the envelope's data array (new ref) */
	char	 msg[96];	/* meta.msg of an error, "" when none */
	bool	 gone;		/* 401, 403 or LoginRequired */
};

/* meta.msg of an error reply when it has one (UnknownUser and
 * LoginRequired come with HTTP 400 and 401). */
static void error_msg(const struct lw_http_resp *resp, struct uf_reply *rep)
{
	json_t *doc = resp->body ? json_loadb(resp->body, resp->len, 0, NULL) :
	    NULL;
	json_t *msg = json_object_get(json_object_get(doc, "meta"), "msg");

	if (json_is_string(msg))
		snprintf(rep->msg, sizeof rep->msg, "%s",
		    json_string_value(msg));
	json_decref(doc);
}

/* A 200 reply's envelope: meta.rc ok (data) or error (msg). */
static enum lw_be_status envelope(const struct lw_http_resp *resp,
    const char *what, struct uf_reply *rep, struct lw_be_result *res)
{
	json_t *doc = lw_be_json(resp, what, res);
	json_t *meta = json_object_get(doc, "meta");
	json_t *rc = json_object_get(meta, "rc");
	json_t *msg = json_object_get(meta, "msg");
	json_t *data = json_object_get(doc, "data");
	enum lw_be_status st = LW_BE_FAIL;

	if (!doc)
		return LW_BE_FAIL;
	if (!json_is_object(doc) || !json_is_string(rc) ||
	    (msg && !json_is_string(msg)) || (data && !json_is_array(data))) {
		lw_be_detail(res, "unexpected reply to %s: no {meta: {rc}, "
		    "data: [...]}", what);
		goto out;
	}
	if (msg)
		snprintf(rep->msg, sizeof rep->msg, "%s",
		    json_string_value(msg));
	if (strcmp(rep->msg, "api.err.LoginRequired") == 0)
		rep->gone = true;
	if (strcmp(json_string_value(rc), "ok") == 0) {
		rep->data = data ? json_incref(data) : json_array();
		st = LW_BE_OK;
	} else
		lw_be_detail(res, "%s: %s", what, rep->msg[0] ? rep->msg :
		    "rc is not ok");
out:
	json_decref(doc);
	return st;
}

/* One request; body is consumed. */
static enum lw_be_status uf_once(struct uf *uf, const char *method,
    const char *path, json_t *body, const char *what,
    struct uf_reply *rep, struct lw_be_result *res)
{
	struct lw_http_req req = { .method = method };
	struct lw_http_resp resp;
	enum lw_be_status st = LW_BE_FAIL;
	char url[1024], summary[200];
	const char *prefix = uf->found == UF_UNIFIOS ? "/proxy/network" : "";

	memset(rep, 0, sizeof *rep);
	snprintf(url, sizeof url, "%s%s%s", uf->base, prefix, path);
	snprintf(summary, sizeof summary, "%s %s%s", method, prefix, path);
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	req.url = url;
	lw_http_add_header(&req, "Accept: application/json");
	if (text) {
		lw_http_add_header(&req, "Content-Type: application/json");
		req.body = text;
		req.body_len = strlen(text);
	}
	if (uf->api_key)
		lw_http_add_header(&req, uf->key_header);
	else if (uf->found == UF_UNIFIOS && strcmp(method, "GET") != 0 &&
	    uf->csrf_header[0])
		lw_http_add_header(&req, uf->csrf_header);
	st = lw_be_send(uf->http, &req, summary, &resp, res);
	free(text);
	if (resp.status == 0)		/* no reply: res says why */
		goto out;
	if (!uf->api_key && uf->found == UF_UNIFIOS)
		csrf_from_reply(uf, &resp);
	if (resp.status == 200) {
		st = envelope(&resp, what, rep, res);
		goto out;
	}
	error_msg(&resp, rep);
	rep->gone = resp.status == 401 || resp.status == 403 ||
	    strcmp(rep->msg, "api.err.LoginRequired") == 0;
	lw_be_detail(res, "%s: HTTP %ld%s%s", what, resp.status,
	    rep->msg[0] ? ", " : "", rep->msg);
	if (rep->gone || st == LW_BE_OK)	/* a 2xx but 200 is odd too */
		st = LW_BE_FAIL;
out:
	lw_http_resp_free(&resp);
	return st;
}

/* A request to the controller itself, outside any /proxy/network
 * prefix and session (detection, login); json, when given, the body. */
static enum lw_be_status uf_send_root(struct uf *uf, const char *method,
    const char *path, const char *json, struct lw_http_resp *resp,
    struct lw_be_result *res)
{
	struct lw_http_req req = { .method = method };
	char url[600], summary[64];

	snprintf(url, sizeof url, "%s%s", uf->base, path);
	snprintf(summary, sizeof summary, "%s %s", method, path);
	req.url = url;
	if (json) {
		lw_http_add_header(&req, "Accept: application/json");
		lw_http_add_header(&req, "Content-Type: application/json");
		req.body = json;
		req.body_len = strlen(json);
	}
	return lw_be_send(uf->http, &req, summary, resp, res);
}

/* GET / : UniFi OS serves its console there, a classic controller
 * redirects to /manage. */
static enum lw_be_status uf_detect(struct uf *uf, struct lw_be_result *res)
{
	struct lw_http_resp resp;

	enum lw_be_status st = uf_send_root(uf, "GET", "/", NULL, &resp, res);
	if (resp.status != 0) {		/* any reply tells: 200 or not */
		uf->found = resp.status == 200 ? UF_UNIFIOS : UF_CLASSIC;
		st = LW_BE_OK;
	}
	lw_http_resp_free(&resp);
	return st;
}

static enum lw_be_status uf_login(struct uf *uf, struct lw_be_result *res)
{
	struct lw_http_resp resp;
	enum lw_be_status st = LW_BE_FAIL;

	uf->logged_in = false;
	uf->csrf_header[0] = '\0';
	lw_http_reset_cookies(uf->http);
	if (uf->found == UF_AUTO && (st = uf_detect(uf, res)) != LW_BE_OK)
		return st;
	bool os = uf->found == UF_UNIFIOS;
	const char *path = os ? "/api/auth/login" : "/api/login";
	json_t *body = json_pack("{s:s, s:s}", "username", uf->user,
	    "password", uf->password);
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!text) {
		lw_be_detail(res, "login: the password is not UTF-8 text");
		return LW_BE_FAIL;
	}
	st = uf_send_root(uf, "POST", path, text, &resp, res);
	lw_be_wipe(text, strlen(text));
	free(text);
	bool replied = resp.status != 0;
	if (replied && resp.status == 200) {
		st = LW_BE_OK;
		uf->logged_in = true;
		if (os) {
			csrf_from_reply(uf, &resp);
			if (!uf->csrf_header[0])
				csrf_from_cookie(uf);
		}
	} else if (replied && (resp.status == 400 || resp.status == 401 ||
	    resp.status == 403)) {
		lw_be_detail(res, "login refused for user '%s' (HTTP %ld): "
		    "wrong user name or password, or not a local account",
		    uf->user, resp.status);
		st = LW_BE_FAIL;
	} else if (replied) {
		lw_be_detail(res, "POST %s: HTTP %ld", path, resp.status);
		if (st == LW_BE_OK)
			st = LW_BE_FAIL;
	}
	lw_http_resp_free(&resp);
	return st;
}

/*
 * A request in the session: log in when there is none, and once more
 * when the controller says the session is gone.  rep->data holds the
 * data on LW_BE_OK (the caller drops it).
 */
static enum lw_be_status uf_call(struct uf *uf, const char *method,
    const char *path, json_t *body, const char *what,
    struct uf_reply *rep, struct lw_be_result *res)
{
	bool fresh = false;
	enum lw_be_status st;

	for (int attempt = 0; attempt < 2; attempt++) {
		if (!uf->api_key && !uf->logged_in) {
			if ((st = uf_login(uf, res)) != LW_BE_OK) {
				json_decref(body);
				memset(rep, 0, sizeof *rep);
				return st;
			}
			fresh = true;
		}
		st = uf_once(uf, method, path, json_incref(body), what, rep,
		    res);
		if (!rep->gone)
			break;
		if (uf->api_key) {
			lw_be_detail(res, "%s: the API key is refused (HTTP "
			    "%ld)", what, res->http_status);
			break;
		}
		if (fresh) {
			lw_be_detail(res, "%s: refused right after a fresh "
			    "login (HTTP %ld %s): the account lacks the right "
			    "or the CSRF token is not accepted", what,
			    res->http_status, rep->msg);
			break;
		}
		uf->logged_in = false;	/* expired: log in once more */
	}
	json_decref(body);
	if (st != LW_BE_OK) {
		json_decref(rep->data);
		rep->data = NULL;
	}
	return st;
}

/* ---- clients ---- */

struct uf_client {
	bool	 known;
	char	 id[64];		/* _id */
	bool	 blocked;
	bool	 override;		/* virtual_network_override_enabled */
	char	 override_id[64];
	char	 last_ip[46];		/* canonical, "" when not given */
};

static bool opt_bool(json_t *o, const char *key, bool *out)
{
	json_t *v = json_object_get(o, key);
	*out = json_is_true(v);
	return !v || json_is_boolean(v);
}

/* GET stat/user/MAC, every field type-checked. */
static enum lw_be_status uf_client(struct uf *uf, const char *mac,
    struct uf_client *c, struct lw_be_result *res)
{
	struct uf_reply rep;
	char path[256];

	memset(c, 0, sizeof *c);
	snprintf(path, sizeof path, "/api/s/%s/stat/user/%s", uf->site, mac);
	enum lw_be_status st = uf_call(uf, "GET", path, NULL, "stat/user",
	    &rep, res);
	if (st != LW_BE_OK && strcmp(rep.msg, "api.err.UnknownUser") == 0)
		return LW_BE_OK;	/* never seen by the controller */
	if (st != LW_BE_OK)
		return st;
	json_t *u = json_array_get(rep.data, 0);
	if (!u) {
		json_decref(rep.data);
		return LW_BE_OK;
	}
	json_t *id = json_object_get(u, "_id");
	json_t *umac = json_object_get(u, "mac");
	json_t *oid = json_object_get(u, "virtual_network_override_id");
	json_t *lip = json_object_get(u, "last_ip");
	int family;
	if (!json_is_object(u) || !json_is_string(id) ||
	    (lip && !json_is_string(lip)) ||
	    !word_ok(json_string_value(id), "", 63) ||
	    !json_is_string(umac) ||
	    strcasecmp(json_string_value(umac), mac) != 0 ||
	    !opt_bool(u, "blocked", &c->blocked) ||
	    !opt_bool(u, "virtual_network_override_enabled", &c->override) ||
	    (oid && !json_is_string(oid))) {
		lw_be_detail(res, "unexpected reply to stat/user: not a client "
		    "record for %s (_id, mac, blocked, last_ip, "
		    "virtual_network_override_*)", mac);
		json_decref(rep.data);
		return LW_BE_FAIL;
	}
	c->known = true;
	snprintf(c->id, sizeof c->id, "%s", json_string_value(id));
	if (oid)
		snprintf(c->override_id, sizeof c->override_id, "%.63s",
		    json_string_value(oid));
	if (lip && !lw_be_canon_ip(json_string_value(lip), c->last_ip,
	    sizeof c->last_ip, &family))
		c->last_ip[0] = '\0';
	json_decref(rep.data);
	return LW_BE_OK;
}

/* POST cmd/stamgr {cmd, mac}. */
static enum lw_be_status uf_stamgr(struct uf *uf, const char *cmd,
    const char *mac, struct lw_be_result *res)
{
	struct uf_reply rep;
	char path[256];

	snprintf(path, sizeof path, "/api/s/%s/cmd/stamgr", uf->site);
	enum lw_be_status st = uf_call(uf, "POST", path, json_pack(
	    "{s:s, s:s}", "cmd", cmd, "mac", mac), cmd, &rep, res);
	json_decref(rep.data);
	return st;
}

static bool in_quarantine(const struct uf *uf, const struct uf_client *c)
{
	return c->override && strcmp(c->override_id, uf->network) == 0;
}

/* Set the override on or off: PUT rest/user/_id, and when the
 * controller ignores that (seen on UDMs), POST upd/user/_id; read back
 * after each.  *c is the client as read back. */
static enum lw_be_status uf_override(struct uf *uf, const char *mac,
    bool on, struct uf_client *c, struct lw_be_result *res)
{
	static const char *const how[][2] = {
		{ "PUT", "rest/user" }, { "POST", "upd/user" }
	};
	struct uf_reply rep;
	char path[256], id[64];
	enum lw_be_status st = LW_BE_OK;

	snprintf(id, sizeof id, "%s", c->id);
	for (int i = 0; i < 2; i++) {
		json_t *body = on ? json_pack("{s:s, s:b, s:s}", "_id", id,
		    "virtual_network_override_enabled", 1,
		    "virtual_network_override_id", uf->network) :
		    json_pack("{s:s, s:b}", "_id", id,
		    "virtual_network_override_enabled", 0);
		snprintf(path, sizeof path, "/api/s/%s/%s/%s", uf->site,
		    how[i][1], id);
		st = uf_call(uf, how[i][0], path, body, how[i][1], &rep, res);
		json_decref(rep.data);
		if (st != LW_BE_OK)
			return st;
		if ((st = uf_client(uf, mac, c, res)) != LW_BE_OK)
			return st;
		if (!c->known) {
			lw_be_detail(res, "%s vanished from the controller "
			    "while changing its network", mac);
			return LW_BE_FAIL;
		}
		if (on ? in_quarantine(uf, c) : !c->override)
			return LW_BE_OK;
	}
	lw_be_detail(res, "the controller ignored the network override for "
	    "%s (rest/user and upd/user both answered ok; read back shows "
	    "enabled=%s network=%s)", mac, c->override ? "true" : "false",
	    c->override_id[0] ? c->override_id : "none");
	return LW_BE_FAIL;
}

/* Ask the client to reconnect, so the new network takes effect; a
 * failure is only noted (the override holds at its next connect). */
static void uf_kick(struct uf *uf, const char *mac, struct lw_be_result *res)
{
	char done[sizeof res->detail];

	snprintf(done, sizeof done, "%s", res->detail);
	if (!uf->kick)
		return;
	if (uf_stamgr(uf, "kick-sta", mac, res) == LW_BE_OK)
		lw_be_detail(res, "%s; kicked to reconnect", done);
	else {
		char why[200];
		snprintf(why, sizeof why, "%.199s", res->detail);
		lw_be_detail(res, "%s; kick-sta failed (%s) - it moves at its "
		    "next connect", done, why);
	}
}

/* block-sta or unblock-sta, then read back. */
static enum lw_be_status uf_set_blocked(struct uf *uf, const char *mac,
    bool block, struct uf_client *c, struct lw_be_result *res)
{
	enum lw_be_status st = uf_stamgr(uf, block ? "block-sta" :
	    "unblock-sta", mac, res);
	if (st != LW_BE_OK)
		return st;
	if ((st = uf_client(uf, mac, c, res)) != LW_BE_OK)
		return st;
	if (block && !c->known) {
		lw_be_detail(res, "the controller does not list %s after "
		    "block-sta", mac);
		return LW_BE_FAIL;
	}
	if (c->blocked != block) {
		lw_be_detail(res, "%s is %s after %s", mac, block ?
		    "not blocked" : "still blocked", block ? "block-sta" :
		    "unblock-sta");
		return LW_BE_FAIL;
	}
	snprintf(res->ref, sizeof res->ref, "%s", c->id);
	return LW_BE_OK;
}

/* ---- the operations ---- */

/* The target's addresses; a MAC is a must. */
static bool uf_mac(const struct lw_target *t, struct lw_be_addrs *a,
    struct lw_be_result *res)
{
	char q[80];

	if (!lw_be_target(t, a, res))
		return false;
	if (a->mac[0])
		return true;
	lw_be_safe_text(t->text, strnlen(t->text, sizeof t->text), q, sizeof q);
	lw_be_detail(res, "UniFi blocks clients by MAC (block-sta); no MAC "
	    "known for %s", q);
	return false;
}

/*
 * A target asked by IP is blocked by the MAC the sensor saw at that IP,
 * and a routed IP arrives with the router's MAC.  So the controller must
 * know the MAC, at that IP when it says where: else nothing is blocked.
 */
static enum lw_be_status uf_ip_is_mac(struct uf *uf,
    const struct lw_be_addrs *a, struct lw_be_result *res)
{
	struct uf_client c;

	if (a->text_is_mac || !a->ip[0])
		return LW_BE_OK;	/* asked by MAC: nothing to confirm */
	enum lw_be_status st = uf_client(uf, a->mac, &c, res);
	if (st != LW_BE_OK)
		return st;
	if (!c.known) {
		lw_be_detail(res, "the controller does not know %s (the MAC seen "
		    "at %s): not blocking a MAC it cannot confirm", a->mac,
		    a->ip);
		return LW_BE_FAIL;
	}
	if (c.last_ip[0] && strcmp(c.last_ip, a->ip) != 0) {
		lw_be_detail(res, "the controller has %s at %s, not %s: not "
		    "blocking it (it may be a router passing %s's traffic)",
		    a->mac, c.last_ip, a->ip, a->ip);
		return LW_BE_FAIL;
	}
	return LW_BE_OK;
}

static enum lw_be_status uf_quarantine(struct uf *uf, const char *mac,
    struct lw_be_result *res)
{
	struct uf_client c;

	enum lw_be_status st = uf_client(uf, mac, &c, res);
	if (st != LW_BE_OK)
		return st;
	if (!c.known) {
		if ((st = uf_set_blocked(uf, mac, true, &c, res)) != LW_BE_OK)
			return st;
		lw_be_detail(res, "blocked %s with block-sta (the controller "
		    "did not know it, so no network override)", mac);
		return LW_BE_OK;
	}
	if (!in_quarantine(uf, &c) &&
	    (st = uf_override(uf, mac, true, &c, res)) != LW_BE_OK)
		return st;
	snprintf(res->ref, sizeof res->ref, "%s", c.id);
	lw_be_detail(res, "moved %s to network %s (virtual network override "
	    "on client %s)", mac, uf->network, c.id);
	uf_kick(uf, mac, res);
	return LW_BE_OK;
}

static enum lw_be_status uf_block(struct lw_backend *be,
    enum lw_block_kind kind, const struct lw_target *t, uint64_t seconds,
    struct lw_be_result *res)
{
	struct uf *uf = be->priv;
	struct uf_client c;
	struct lw_be_addrs a;

	(void)seconds;	/* the controller has no expiry: we release */
	if (!uf_mac(t, &a, res))
		return LW_BE_FAIL;
	const char *mac = a.mac;
	enum lw_be_status st = uf_ip_is_mac(uf, &a, res);
	if (st != LW_BE_OK)
		return st;
	if (kind == LW_BLOCK_QUARANTINE && uf->network[0])
		return uf_quarantine(uf, mac, res);
	st = uf_set_blocked(uf, mac, true, &c, res);
	if (st == LW_BE_OK)
		lw_be_detail(res, "blocked %s with block-sta on site %s%s", mac,
		    uf->site, kind == LW_BLOCK_QUARANTINE ? " (no "
		    "quarantine_network_id configured, so no VLAN move)" : "");
	return st;
}

static enum lw_be_status uf_release(struct lw_backend *be,
    enum lw_block_kind kind, const struct lw_target *t, const char *ref,
    struct lw_be_result *res)
{
	struct uf *uf = be->priv;
	struct uf_client c;
	struct lw_be_addrs a;

	(void)ref;	/* stamgr and stat/user go by MAC */
	if (!uf_mac(t, &a, res))
		return LW_BE_FAIL;
	const char *mac = a.mac;
	enum lw_be_status st = uf_client(uf, mac, &c, res);
	if (st != LW_BE_OK)
		return st;
	if (!c.known) {
		res->absent = true;
		lw_be_detail(res, "%s is unknown to the controller: nothing to "
		    "release", mac);
		return LW_BE_OK;
	}
	/* only our own override: one the owner set stays */
	bool moved = kind == LW_BLOCK_QUARANTINE && uf->network[0] &&
	    in_quarantine(uf, &c);
	res->absent = !moved && !c.blocked;
	if (moved && (st = uf_override(uf, mac, false, &c, res)) != LW_BE_OK)
		return st;
	if (c.blocked && (st = uf_set_blocked(uf, mac, false, &c, res)) !=
	    LW_BE_OK)
		return st;
	snprintf(res->ref, sizeof res->ref, "%s", c.id);
	lw_be_detail(res, "%s is not blocked%s", mac, moved ? " and back on "
	    "its own network" : "");
	if (moved)
		uf_kick(uf, mac, res);
	return LW_BE_OK;
}

static enum lw_be_status uf_has(struct lw_backend *be,
    enum lw_block_kind kind, const struct lw_target *t, const char *ref,
    struct lw_be_result *res)
{
	struct uf *uf = be->priv;
	struct uf_client c;
	struct lw_be_addrs a;

	(void)ref;
	if (!uf_mac(t, &a, res))
		return LW_BE_FAIL;
	const char *mac = a.mac;
	enum lw_be_status st = uf_client(uf, mac, &c, res);
	if (st != LW_BE_OK)
		return LW_BE_RETRY;
	bool held = c.blocked || (kind == LW_BLOCK_QUARANTINE &&
	    uf->network[0] && in_quarantine(uf, &c));
	if (c.known)
		snprintf(res->ref, sizeof res->ref, "%s", c.id);
	lw_be_detail(res, "%s: %s%s%s", mac, !c.known ? "unknown to the "
	    "controller" : c.blocked ? "blocked" : "not blocked",
	    c.known && c.override ? ", network override " : "",
	    c.known && c.override ? c.override_id : "");
	return held ? LW_BE_OK : LW_BE_FAIL;
}

const struct lw_backend_ops lw_backend_unifi = {
	.type = "unifi",
	.remote = true,
	.check = uf_check,
	.open = uf_open,
	.block = uf_block,
	.release = uf_release,
	.has = uf_has,
	.close = uf_close,
};
