/*
 * backend_openwrt.c - OpenWrt routers through ubus JSON-RPC over HTTP(S)
 * (uhttpd-mod-ubus and rpcd).
 *
 * Lockdown is by IP address, quarantine by MAC: stock OpenWrt cannot
 * move one wired MAC to another VLAN, so a quarantine blocks the device
 * and says so in the detail.  Two ways to hold a block:
 *   mode: runtime  `nft add element inet fw4 SET { X timeout Ns }`
 *                  through rpcd's file exec; the kernel expires it, and
 *                  a firewall reload or reboot loses it (the action
 *                  layer re-applies on start);
 *   mode: uci      the entry list of a firewall ipset section, committed
 *                  (rpcd then reloads the firewall); persistent, no
 *                  timeout: the action layer releases it.
 * Either way the entry is read back before the block counts as done.
 *
 * ubus answers every call with HTTP 200 and a JSON-RPC envelope:
 * {"result": [status, {data}]} or {"error": {code, message}}.  An
 * expired or unknown session is error -32002 "Access denied", so one
 * fresh login and one retry follow; denied again means the rpcd ACL
 * lacks the call, which no further login changes.
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

#define OW_NULL_SID	"00000000000000000000000000000000"
#define OW_MAX_ENTRIES	4096	/* a uci ipset list we are willing to edit */
#define OW_MAX_SECONDS	(10ull * 365 * 86400)

enum ow_mode { OW_RUNTIME, OW_UCI };

struct ow {
	struct lw_http *http;
	char	 url[512];		/* the ubus endpoint */
	char	 path[256];		/* its path, for request summaries */
	char	 user[64];
	char	 password[LW_SECRET_MAX];
	enum ow_mode mode;
	char	 table[64];		/* the nft table of family inet: fw4 */
	char	 set4[64], set6[64], setmac[64];
	char	 nft[128];		/* nft on the router */
	uint64_t session_s;		/* idle timeout asked for at login */
	char	 sid[33];		/* "" until logged in */
	long	 last_ubus;		/* ubus status of the last call */
	json_int_t next_id;
};

static const char *const ow_keys[] = {
	LW_BACKEND_COMMON_KEYS, "url", "username", "password",
	"password_file", "password_env", "mode", "table", "lockdown_set",
	"lockdown6_set", "quarantine_set", "nft_path", "session_timeout",
	NULL
};

/* ---- configuration ---- */

/* An nft set, table or uci section name: letters, digits, _ and -. */
static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

static bool path_ok(const char *s)
{
	if (s[0] != '/' || strlen(s) > 120)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("/_.-", *s))
			return false;
	return true;
}

/* The ubus endpoint: the url's path, or /ubus when it has none. */
static void endpoint(struct ow *ow, const char *base)
{
	lw_be_ubus_endpoint(base, ow->url, sizeof ow->url, ow->path,
	    sizeof ow->path);
}

static void read_name(struct lw_section *sec, const char *key,
    const char *def, char *out, size_t outlen, struct lw_diag *diag)
{
	const char *v = lw_section_str(sec, key, def);

	if (!name_ok(v))
		lw_section_error(sec, key, diag, "'%s' is not a name (letters, "
		    "digits, _ and -, at most 63)", v);
	snprintf(out, outlen, "%s", v);
}

/* Where and as whom: url, username, password. */
static void ow_conf_access(struct ow *ow, struct lw_section *sec,
    struct lw_diag *diag)
{
	char base[400];

	if (lw_be_read_url(sec, true, "the router, e.g. https://192.168.1.1",
	    base, sizeof base, diag))
		endpoint(ow, base);
	const char *user = lw_section_str(sec, "username", "root");
	if (!*user || strlen(user) >= sizeof ow->user ||
	    strpbrk(user, "\"\\") || strchr(user, '\n'))
		lw_section_error(sec, "username", diag, "'%s' is not a user "
		    "name", user);
	snprintf(ow->user, sizeof ow->user, "%s", user);
	lw_be_read_secret(sec, "password", true, ow->password,
	    sizeof ow->password, diag);
}

/* What to change: the mode, the set names, nft, the session. */
static void ow_conf_sets(struct ow *ow, struct lw_section *sec,
    struct lw_diag *diag)
{
	const char *mode = lw_section_str(sec, "mode", "runtime");
	if (strcmp(mode, "runtime") == 0)
		ow->mode = OW_RUNTIME;
	else if (strcmp(mode, "uci") == 0)
		ow->mode = OW_UCI;
	else
		lw_section_error(sec, "mode", diag, "runtime or uci, not '%s'",
		    mode);
	read_name(sec, "table", "fw4", ow->table, sizeof ow->table, diag);
	read_name(sec, "lockdown_set", "lw_lockdown4", ow->set4,
	    sizeof ow->set4, diag);
	read_name(sec, "lockdown6_set", "lw_lockdown6", ow->set6,
	    sizeof ow->set6, diag);
	read_name(sec, "quarantine_set", "lw_quarantine", ow->setmac,
	    sizeof ow->setmac, diag);
	const char *nft = lw_section_str(sec, "nft_path", "/usr/sbin/nft");
	if (!path_ok(nft))
		lw_section_error(sec, "nft_path", diag, "'%s' is not an "
		    "absolute path", nft);
	snprintf(ow->nft, sizeof ow->nft, "%s", nft);
	uint64_t session_ns;
	lw_section_duration(sec, "session_timeout", 300ull * 1000000000,
	    &session_ns, diag);
	ow->session_s = session_ns / 1000000000;
	if (ow->session_s < 10 || ow->session_s > 86400)
		lw_section_error(sec, "session_timeout", diag, "from 10s to "
		    "1d");
}

/* Every key but the common ones into ow; mistakes into diag. */
static void ow_conf(struct lw_section *sec, void *state, struct lw_diag *diag)
{
	ow_conf_access(state, sec, diag);
	ow_conf_sets(state, sec, diag);
}

static const struct lw_be_conf ow_backend_conf = {
	.size = sizeof(struct ow),
	.http_offset = offsetof(struct ow, http),
	.keys = ow_keys,
	.read = ow_conf,
};

static bool ow_check(struct lw_section *sec, struct lw_diag *diag)
{
	return lw_be_conf_check(&ow_backend_conf, sec, diag);
}

static bool ow_open(struct lw_backend *be, struct lw_section *sec,
    char *err, size_t errlen)
{
	return lw_be_conf_open(&ow_backend_conf, be, sec, err, errlen);
}

static void ow_close(struct lw_backend *be)
{
	lw_be_conf_close(&ow_backend_conf, be);
}

/* ---- JSON-RPC ---- */

struct rpc_reply {
	bool	 denied;	/* the session is not (or no longer) allowed */
	long	 ubus_status;	/* result[0]; -1 when there was none */
	json_t	*data;		/* result[1], a new reference, or NULL */
};

static const char *ubus_status_name(long status)
{
	static const char *const names[] = {
		"ok", "invalid command", "invalid argument",
		"method not found", "not found", "no data",
		"permission denied", "timeout", "not supported",
		"unknown error", "connection failed"
	};
	return status >= 0 && status <= 10 ? names[status] : "unknown";
}

/* The envelope of a reply, checked field by field. */
static enum lw_be_status rpc_parse(json_t *doc, json_int_t id,
    const char *what, struct rpc_reply *rep, struct lw_be_result *res)
{
	json_t *rid = json_object_get(doc, "id");
	json_t *ver = json_object_get(doc, "jsonrpc");
	json_t *error = json_object_get(doc, "error");
	json_t *result = json_object_get(doc, "result");

	if (!json_is_object(doc) || !json_is_string(ver) ||
	    strcmp(json_string_value(ver), "2.0") != 0) {
		lw_be_detail(res, "unexpected reply to %s: not a JSON-RPC 2.0 "
		    "object", what);
		return LW_BE_FAIL;
	}
	if (rid && !json_is_null(rid) && (!json_is_integer(rid) ||
	    json_integer_value(rid) != id)) {
		lw_be_detail(res, "unexpected reply to %s: id is not %lld",
		    what, (long long)id);
		return LW_BE_FAIL;
	}
	if (error) {
		json_t *code = json_object_get(error, "code");
		json_t *msg = json_object_get(error, "message");
		if (!json_is_integer(code)) {
			lw_be_detail(res, "unexpected reply to %s: error "
			    "without a code", what);
			return LW_BE_FAIL;
		}
		json_int_t c = json_integer_value(code);
		lw_be_detail(res, "%s: ubus error %lld (%.100s)", what,
		    (long long)c, json_is_string(msg) ?
		    json_string_value(msg) : "no message");
		if (c == -32002 || c == -32001)
			rep->denied = true;
		return c == -32003 ? LW_BE_RETRY : LW_BE_FAIL;
	}
	size_t n = json_array_size(result);
	if (!json_is_array(result) || n < 1 || n > 2 ||
	    !json_is_integer(json_array_get(result, 0)) ||
	    (n == 2 && !json_is_object(json_array_get(result, 1)))) {
		lw_be_detail(res, "unexpected reply to %s: result is not "
		    "[status, {data}]", what);
		return LW_BE_FAIL;
	}
	json_int_t status = json_integer_value(json_array_get(result, 0));
	rep->ubus_status = status < 0 || status > 1000 ? 1000 : (long)status;
	if (status != 0) {
		lw_be_detail(res, "%s: ubus status %lld (%s)", what,
		    (long long)status, ubus_status_name(rep->ubus_status));
		return status == 7 ? LW_BE_RETRY : LW_BE_FAIL;
	}
	if (n == 2)
		rep->data = json_incref(json_array_get(result, 1));
	return LW_BE_OK;
}

/* One call with sid; args is consumed. */
static enum lw_be_status rpc_once(struct ow *ow, const char *sid,
    const char *object, const char *method, json_t *args,
    struct rpc_reply *rep, struct lw_be_result *res)
{
	struct lw_http_req req = { .method = "POST", .url = ow->url };
	struct lw_http_resp resp;
	enum lw_be_status st = LW_BE_FAIL;
	char what[96], summary[256];

	memset(rep, 0, sizeof *rep);
	rep->ubus_status = -1;
	snprintf(what, sizeof what, "%s.%s", object, method);
	snprintf(summary, sizeof summary, "POST %.100s %s", ow->path, what);
	json_int_t id = ++ow->next_id;
	json_t *body = json_pack("{s:s, s:I, s:s, s:[s, s, s, o]}",
	    "jsonrpc", "2.0", "id", (json_int_t)id, "method", "call",
	    "params", sid, object, method, args);
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!text) {
		lw_be_detail(res, "%s: cannot build the request", what);
		return LW_BE_FAIL;
	}
	lw_http_add_header(&req, "Content-Type: application/json");
	lw_http_add_header(&req, "Accept: application/json");
	req.body = text;
	req.body_len = strlen(text);
	st = lw_be_send(ow->http, &req, summary, &resp, res);
	lw_be_wipe(text, req.body_len);		/* a login holds the password */
	free(text);
	if (resp.status == 0)			/* no reply: res says why */
		goto out;
	if (resp.status == 401 || resp.status == 403) {
		rep->denied = true;
		lw_be_detail(res, "%s: HTTP %ld", what, resp.status);
		st = LW_BE_FAIL;
	} else if (resp.status != 200) {
		lw_be_detail(res, "%s: HTTP %ld", what, resp.status);
		if (st == LW_BE_OK)	/* ubus answers 200 or nothing */
			st = LW_BE_FAIL;
	} else {
		json_t *doc = lw_be_json(&resp, what, res);
		st = doc ? rpc_parse(doc, id, what, rep, res) : LW_BE_FAIL;
		json_decref(doc);
	}
out:
	lw_http_resp_free(&resp);
	return st;
}

static bool sid_ok(const char *s)
{
	if (strlen(s) != 32)
		return false;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s))
			return false;
	return true;
}

static enum lw_be_status ow_login(struct ow *ow, struct lw_be_result *res)
{
	struct rpc_reply rep;

	ow->sid[0] = '\0';
	json_t *args = json_pack("{s:s, s:s, s:I}", "username", ow->user,
	    "password", ow->password, "timeout", (json_int_t)ow->session_s);
	if (!args) {
		lw_be_detail(res, "session.login: the password is not UTF-8 "
		    "text");
		return LW_BE_FAIL;
	}
	enum lw_be_status st = rpc_once(ow, OW_NULL_SID, "session", "login",
	    args, &rep, res);
	if (st == LW_BE_FAIL && (rep.denied || rep.ubus_status == 6))
		lw_be_detail(res, "login refused for user '%s': wrong password "
		    "or no rpcd login for this user", ow->user);
	if (st == LW_BE_OK) {
		json_t *sid = json_object_get(rep.data, "ubus_rpc_session");
		if (json_is_string(sid) && sid_ok(json_string_value(sid)))
			snprintf(ow->sid, sizeof ow->sid, "%s",
			    json_string_value(sid));
		else {
			lw_be_detail(res, "unexpected reply to session.login: "
			    "no ubus_rpc_session");
			st = LW_BE_FAIL;
		}
	}
	json_decref(rep.data);
	return st;
}

/*
 * A call in the session, logging in first when there is none, and once
 * more when the router says the session is gone.  *data gets the
 * reply's data (a new reference) or NULL.
 */
static enum lw_be_status ow_call(struct ow *ow, const char *object,
    const char *method, json_t *args, json_t **data,
    struct lw_be_result *res)
{
	struct rpc_reply rep;
	bool fresh = false;
	enum lw_be_status st;

	*data = NULL;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (!ow->sid[0]) {
			if ((st = ow_login(ow, res)) != LW_BE_OK) {
				json_decref(args);
				return st;
			}
			fresh = true;
		}
		st = rpc_once(ow, ow->sid, object, method, json_incref(args),
		    &rep, res);
		ow->last_ubus = rep.ubus_status;
		if (!rep.denied) {
			json_decref(args);
			*data = rep.data;
			return st;
		}
		json_decref(rep.data);
		if (fresh)
			break;
		ow->sid[0] = '\0';	/* expired: log in once more */
	}
	json_decref(args);
	lw_be_detail(res, "%s.%s: access denied right after a fresh login: "
	    "the rpcd ACL of user '%s' does not allow it", object, method,
	    ow->user);
	return LW_BE_FAIL;
}

/* ---- runtime mode: nft through file exec ---- */

struct nft_out {
	char	*out;		/* stdout, malloc'd; NULL when empty */
	char	 err[200];	/* the first line of stderr */
};

static enum lw_be_status nft_run(struct ow *ow, const char *const *argv,
    size_t argc, struct nft_out *out, struct lw_be_result *res)
{
	json_t *params = json_array(), *data;

	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < argc; i++)
		json_array_append_new(params, json_string(argv[i]));
	json_t *args = json_pack("{s:s, s:o}", "command", ow->nft, "params",
	    params);
	enum lw_be_status st = ow_call(ow, "file", "exec", args, &data, res);
	if (st != LW_BE_OK)
		return st;
	json_t *code = json_object_get(data, "code");
	json_t *sout = json_object_get(data, "stdout");
	json_t *serr = json_object_get(data, "stderr");
	if (!json_is_integer(code) || (sout && !json_is_string(sout)) ||
	    (serr && !json_is_string(serr))) {
		lw_be_detail(res, "unexpected reply to file.exec: no exit "
		    "code or output that is not text");
		json_decref(data);
		return LW_BE_FAIL;
	}
	if (serr)
		snprintf(out->err, sizeof out->err, "%.*s",
		    (int)strcspn(json_string_value(serr), "\n"),
		    json_string_value(serr));
	if (sout && json_string_length(sout))
		out->out = strdup(json_string_value(sout));
	if (json_integer_value(code) != 0) {
		lw_be_detail(res, "nft %s %s on the router exited %lld: %s",
		    argv[0], argc > 1 ? argv[1] : "",
		    (long long)json_integer_value(code),
		    out->err[0] ? out->err : "no message");
		st = LW_BE_FAIL;
	}
	json_decref(data);
	return st;
}

/* "1d2h3m4s500ms" (nft's way) in whole seconds; false if not one. */
static bool nft_duration(const char *s, size_t len, uint64_t *secs)
{
	uint64_t total = 0;
	size_t i = 0;

	if (!len)
		return false;
	while (i < len) {
		uint64_t n = 0;
		size_t digits = 0;
		while (i < len && isdigit((unsigned char)s[i]) && digits < 12) {
			n = n * 10 + (uint64_t)(s[i++] - '0');
			digits++;
		}
		if (!digits || i >= len)
			return false;
		if (s[i] == 'm' && i + 1 < len && s[i + 1] == 's') {
			i += 2;		/* milliseconds: below a second */
			continue;
		}
		switch (s[i++]) {
		case 'd': total += n * 86400; break;
		case 'h': total += n * 3600; break;
		case 'm': total += n * 60; break;
		case 's': total += n; break;
		default: return false;
		}
		if (total > OW_MAX_SECONDS * 10)	/* no router means that */
			return false;
	}
	*secs = total;
	return true;
}

/* One element's text ("10.0.0.5 timeout 1h expires 59m58s"): does it
 * hold canon, and how long is left. */
static bool element_is(const char *e, size_t len, const char *canon,
    uint64_t *expires)
{
	size_t vlen = 0;

	while (vlen < len && !isspace((unsigned char)e[vlen]))
		vlen++;
	if (vlen != strlen(canon) || strncasecmp(e, canon, vlen) != 0)
		return false;
	*expires = 0;
	const char *x = NULL;
	for (size_t i = vlen; i + 8 < len && !x; i++)
		if (strncmp(e + i, "expires ", 8) == 0)
			x = e + i + 8;
	if (x) {
		size_t dlen = 0;
		while (x + dlen < e + len && isalnum((unsigned char)x[dlen]))
			dlen++;
		if (!nft_duration(x, dlen, expires))
			*expires = 0;
	}
	return true;
}

/* Is canon among the elements of an `nft list set` listing? */
static bool listing_has(const char *text, const char *canon,
    uint64_t *expires)
{
	const char *p = text ? strstr(text, "elements = {") : NULL;

	if (!p)
		return false;
	p += strlen("elements = {");
	while (*p && *p != '}') {
		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		const char *start = p;
		bool quoted = false;
		/* an element ends at a comma or the closing brace, outside
		 * a quoted comment */
		while (*p && (quoted || (*p != ',' && *p != '}'))) {
			if (*p == '"')
				quoted = !quoted;
			p++;
		}
		if (p > start && element_is(start, (size_t)(p - start), canon,
		    expires))
			return true;
	}
	return false;
}

/* The set's listing: *present and *expires for canon. */
static enum lw_be_status nft_find(struct ow *ow, const char *set,
    const char *canon, bool *present, uint64_t *expires,
    struct lw_be_result *res)
{
	const char *argv[] = { "list", "set", "inet", ow->table, set };
	struct nft_out out;

	*present = false;
	*expires = 0;
	enum lw_be_status st = nft_run(ow, argv, 5, &out, res);
	if (st == LW_BE_OK && out.out) {
		if (!strstr(out.out, "set ") || !strchr(out.out, '{')) {
			lw_be_detail(res, "unexpected reply to nft list set: "
			    "no set in the output");
			st = LW_BE_FAIL;
		} else
			*present = listing_has(out.out, canon, expires);
	} else if (st == LW_BE_OK) {
		lw_be_detail(res, "unexpected reply to nft list set: no output");
		st = LW_BE_FAIL;
	} else if (strstr(out.err, "No such file"))
		lw_be_detail(res, "no set inet %s %s on the router: add it "
		    "(docs/backends.md) - nft: %s", ow->table,
		    set, out.err);
	free(out.out);
	return st;
}

static enum lw_be_status nft_element(struct ow *ow, const char *verb,
    const char *set, const char *element, struct lw_be_result *res)
{
	const char *argv[] = { verb, "element", "inet", ow->table, set,
	    element };
	struct nft_out out;

	enum lw_be_status st = nft_run(ow, argv, 6, &out, res);
	free(out.out);
	return st;
}

static enum lw_be_status rt_block(struct ow *ow, const char *set,
    const char *canon, uint64_t seconds, struct lw_be_result *res)
{
	char element[128];
	bool present;
	uint64_t left;

	enum lw_be_status st = nft_find(ow, set, canon, &present, &left, res);
	/* a timeout cannot be changed by adding again: delete first */
	if (st == LW_BE_OK && present) {
		snprintf(element, sizeof element, "{ %s }", canon);
		st = nft_element(ow, "delete", set, element, res);
	}
	if (st != LW_BE_OK)
		return st;
	snprintf(element, sizeof element, "{ %s timeout %llus }", canon,
	    (unsigned long long)seconds);
	if ((st = nft_element(ow, "add", set, element, res)) != LW_BE_OK)
		return st;
	if ((st = nft_find(ow, set, canon, &present, &left, res)) != LW_BE_OK)
		return st;
	if (!present) {
		lw_be_detail(res, "%s is not in inet %s %s after adding it",
		    canon, ow->table, set);
		return LW_BE_FAIL;
	}
	res->expires_s = left ? left : seconds;
	lw_be_detail(res, "%s in inet %s %s for %llus", canon, ow->table, set,
	    (unsigned long long)seconds);
	return LW_BE_OK;
}

static enum lw_be_status rt_release(struct ow *ow, const char *set,
    const char *canon, struct lw_be_result *res)
{
	char element[128];
	bool present;
	uint64_t left;

	enum lw_be_status st = nft_find(ow, set, canon, &present, &left, res);
	if (st != LW_BE_OK)
		return st;
	if (!present) {
		res->absent = true;
		lw_be_detail(res, "%s was not in inet %s %s", canon, ow->table,
		    set);
		return LW_BE_OK;
	}
	snprintf(element, sizeof element, "{ %s }", canon);
	if ((st = nft_element(ow, "delete", set, element, res)) != LW_BE_OK)
		return st;
	if ((st = nft_find(ow, set, canon, &present, &left, res)) != LW_BE_OK)
		return st;
	if (present) {
		lw_be_detail(res, "%s is still in inet %s %s after deleting it",
		    canon, ow->table, set);
		return LW_BE_FAIL;
	}
	lw_be_detail(res, "%s removed from inet %s %s", canon, ow->table, set);
	return LW_BE_OK;
}

static enum lw_be_status rt_has(struct ow *ow, const char *set,
    const char *canon, struct lw_be_result *res)
{
	bool present;
	uint64_t left;

	enum lw_be_status st = nft_find(ow, set, canon, &present, &left, res);
	if (st != LW_BE_OK)
		return st == LW_BE_FAIL ? LW_BE_RETRY : st;
	res->expires_s = left;
	lw_be_detail(res, "%s %s inet %s %s", canon, present ? "is in" :
	    "is not in", ow->table, set);
	return present ? LW_BE_OK : LW_BE_FAIL;
}

/* ---- uci mode: the entry list of a firewall ipset ---- */

struct uci_set {
	char	 section[64];	/* uci section id (cfg0a1b2c or a name) */
	json_t	*entries;	/* array of strings */
};

/* The ipset section named set and its entries. */
static enum lw_be_status uci_find(struct ow *ow, const char *set,
    struct uci_set *us, struct lw_be_result *res)
{
	json_t *data, *section, *entry = NULL;
	const char *id;

	memset(us, 0, sizeof *us);
	json_t *args = json_pack("{s:s, s:s, s:{s:s}}", "config", "firewall",
	    "type", "ipset", "match", "name", set);
	enum lw_be_status st = ow_call(ow, "uci", "get", args, &data, res);
	if (st != LW_BE_OK && ow->last_ubus != 4)	/* 4: not found */
		return st;
	json_t *values = json_object_get(data, "values");
	if (st == LW_BE_OK && !json_is_object(values)) {
		lw_be_detail(res, "unexpected reply to uci.get: no values");
		json_decref(data);
		return LW_BE_FAIL;
	}
	json_object_foreach(values, id, section) {
		json_t *name = json_object_get(section, "name");
		if (json_is_object(section) && json_is_string(name) &&
		    strcmp(json_string_value(name), set) == 0 &&
		    strlen(id) < sizeof us->section && name_ok(id)) {
			snprintf(us->section, sizeof us->section, "%s", id);
			entry = json_object_get(section, "entry");
			break;
		}
	}
	if (!us->section[0]) {
		json_decref(data);
		lw_be_detail(res, "no firewall ipset named '%s' in uci: add it "
		    "(docs/backends.md)", set);
		return LW_BE_FAIL;
	}
	us->entries = json_array();
	if (json_is_string(entry))
		json_array_append(us->entries, entry);
	else if (json_is_array(entry)) {
		size_t i;
		json_t *e;
		json_array_foreach(entry, i, e)
			if (json_is_string(e))
				json_array_append(us->entries, e);
	} else if (entry) {
		json_decref(data);
		json_decref(us->entries);
		us->entries = NULL;
		lw_be_detail(res, "unexpected reply to uci.get: ipset '%s' "
		    "entry is neither text nor a list", set);
		return LW_BE_FAIL;
	}
	json_decref(data);
	if (json_array_size(us->entries) > OW_MAX_ENTRIES) {
		json_decref(us->entries);
		us->entries = NULL;
		lw_be_detail(res, "ipset '%s' has more than %d entries", set,
		    OW_MAX_ENTRIES);
		return LW_BE_FAIL;
	}
	return LW_BE_OK;
}

static long entry_index(const json_t *entries, const char *canon)
{
	size_t i;
	json_t *e;

	json_array_foreach(entries, i, e)
		if (strcasecmp(json_string_value(e), canon) == 0)
			return (long)i;
	return -1;
}

/* Write the list (or delete the option when empty), then commit. */
static enum lw_be_status uci_write(struct ow *ow, const struct uci_set *us,
    struct lw_be_result *res)
{
	json_t *args, *data;
	enum lw_be_status st;

	if (json_array_size(us->entries))
		st = ow_call(ow, "uci", "set", json_pack("{s:s, s:s, s:{s:O}}",
		    "config", "firewall", "section", us->section, "values",
		    "entry", us->entries), &data, res);
	else
		st = ow_call(ow, "uci", "delete", json_pack("{s:s, s:s, s:s}",
		    "config", "firewall", "section", us->section, "option",
		    "entry"), &data, res);
	json_decref(data);
	if (st != LW_BE_OK)
		return st;
	args = json_pack("{s:s}", "config", "firewall");
	st = ow_call(ow, "uci", "commit", args, &data, res);
	json_decref(data);
	return st;
}

static enum lw_be_status uci_change(struct ow *ow, const char *set,
    const char *canon, bool add, struct lw_be_result *res)
{
	struct uci_set us;

	enum lw_be_status st = uci_find(ow, set, &us, res);
	if (st != LW_BE_OK)
		return st;
	long at = entry_index(us.entries, canon);
	res->absent = !add && at < 0;
	if ((at >= 0) != add) {
		if (add)
			json_array_append_new(us.entries, json_string(canon));
		else
			json_array_remove(us.entries, (size_t)at);
		st = uci_write(ow, &us, res);
	}
	json_decref(us.entries);
	if (st != LW_BE_OK)
		return st;
	/* read back what the router now holds */
	if ((st = uci_find(ow, set, &us, res)) != LW_BE_OK)
		return st;
	at = entry_index(us.entries, canon);
	json_decref(us.entries);
	if ((at >= 0) != add) {
		lw_be_detail(res, "%s is %s firewall ipset '%s' after the "
		    "commit", canon, add ? "not in" : "still in", set);
		return LW_BE_FAIL;
	}
	lw_be_detail(res, "%s %s firewall ipset '%s' (uci, committed)", canon,
	    add ? "in" : "removed from", set);
	return LW_BE_OK;
}

static enum lw_be_status uci_has(struct ow *ow, const char *set,
    const char *canon, struct lw_be_result *res)
{
	struct uci_set us;

	enum lw_be_status st = uci_find(ow, set, &us, res);
	if (st != LW_BE_OK)
		return st == LW_BE_FAIL ? LW_BE_RETRY : st;
	bool present = entry_index(us.entries, canon) >= 0;
	json_decref(us.entries);
	lw_be_detail(res, "%s %s firewall ipset '%s'", canon, present ?
	    "is in" : "is not in", set);
	return present ? LW_BE_OK : LW_BE_FAIL;
}

/* ---- the operations ---- */

/* The set and canonical element for what is asked. */
static bool ow_target(struct ow *ow, enum lw_block_kind kind,
    const struct lw_target *t, const char **set, char *canon, size_t len,
    struct lw_be_result *res)
{
	struct lw_be_addrs a;
	char q[80];

	if (!lw_be_target(t, &a, res))
		return false;
	lw_be_safe_text(t->text, strnlen(t->text, sizeof t->text), q, sizeof q);
	if (kind == LW_BLOCK_QUARANTINE) {
		if (!a.mac[0]) {
			lw_be_detail(res, "OpenWrt quarantines by MAC; none "
			    "known for %s", q);
			return false;
		}
		snprintf(canon, len, "%s", a.mac);
		*set = ow->setmac;
		return true;
	}
	if (!a.ip[0]) {
		lw_be_detail(res, "OpenWrt locks down by IP address; none "
		    "known for %s", q);
		return false;
	}
	snprintf(canon, len, "%s", a.ip);
	*set = a.family == 4 ? ow->set4 : ow->set6;
	return true;
}

static void quarantine_note(enum lw_block_kind kind, struct lw_be_result *res)
{
	char done[sizeof res->detail];

	if (kind != LW_BLOCK_QUARANTINE)
		return;
	snprintf(done, sizeof done, "%s", res->detail);
	lw_be_detail(res, "blocked (OpenWrt has no per-MAC VLAN move): %s",
	    done);
}

enum ow_op { OW_BLOCK, OW_RELEASE, OW_HAS };

/* One operation on the set and element the target maps to, in the way
 * mode says (runtime nft or uci). */
static enum lw_be_status ow_do(struct lw_backend *be, enum ow_op op,
    enum lw_block_kind kind, const struct lw_target *t, uint64_t seconds,
    struct lw_be_result *res)
{
	struct ow *ow = be->priv;
	bool runtime = ow->mode == OW_RUNTIME;
	const char *set;
	char canon[64];

	if (!ow_target(ow, kind, t, &set, canon, sizeof canon, res))
		return LW_BE_FAIL;
	if (op == OW_RELEASE)
		return runtime ? rt_release(ow, set, canon, res) :
		    uci_change(ow, set, canon, false, res);
	if (op == OW_HAS)
		return runtime ? rt_has(ow, set, canon, res) :
		    uci_has(ow, set, canon, res);
	if (seconds == 0)
		seconds = 1;
	if (seconds > OW_MAX_SECONDS)
		seconds = OW_MAX_SECONDS;
	enum lw_be_status st = runtime ? rt_block(ow, set, canon, seconds,
	    res) : uci_change(ow, set, canon, true, res);
	if (st == LW_BE_OK)
		quarantine_note(kind, res);
	return st;
}

static enum lw_be_status ow_block(struct lw_backend *be,
    enum lw_block_kind kind, const struct lw_target *t, uint64_t seconds,
    struct lw_be_result *res)
{
	return ow_do(be, OW_BLOCK, kind, t, seconds, res);
}

/* ref: nothing to keep; the set and element say it all. */
static enum lw_be_status ow_release(struct lw_backend *be,
    enum lw_block_kind kind, const struct lw_target *t, const char *ref,
    struct lw_be_result *res)
{
	(void)ref;
	return ow_do(be, OW_RELEASE, kind, t, 0, res);
}

static enum lw_be_status ow_has(struct lw_backend *be,
    enum lw_block_kind kind, const struct lw_target *t, const char *ref,
    struct lw_be_result *res)
{
	(void)ref;
	return ow_do(be, OW_HAS, kind, t, 0, res);
}

const struct lw_backend_ops lw_backend_openwrt = {
	.type = "openwrt",
	.remote = true,
	.check = ow_check,
	.open = ow_open,
	.block = ow_block,
	.release = ow_release,
	.has = ow_has,
	.close = ow_close,
};
