/*
 * backend_opnsense.c - OPNsense through its alias_util API: an address
 * added to (or deleted from) a firewall alias's pf table.
 *
 *   POST /api/firewall/alias_util/add/ALIAS     address=IP  {"status":"done"}
 *   POST /api/firewall/alias_util/delete/ALIAS  address=IP  {"status":"done"}
 *   GET  /api/firewall/alias_util/list/ALIAS    {"rows":[{"ip":...}],...}
 *
 * HTTP Basic with the API key as the user and its secret as the
 * password; no session, so a 401 means a wrong key, reported and not
 * retried.  A lockdown goes to lockdown_alias, a quarantine to
 * quarantine_alias: OPNsense cannot move a client to another network
 * through this API, so a quarantine blocks the address and says so.
 * pf tables have no expiry: labwarden releases.  Every change is read
 * back with list before LW_BE_OK.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "labwarden/backend_http.h"

#define OPN_LIST_ROWS	9999	/* what list returns without paging */

struct opnsense {
	struct lw_http *http;
	char	 base[256];
	char	 key[LW_SECRET_MAX];
	char	 secret[LW_SECRET_MAX];
	char	 lockdown_alias[32];
	char	 quarantine_alias[32];
};

static const char *const opnsense_keys[] = {
	LW_BACKEND_COMMON_KEYS, "url", "api_key_file", "api_key_env",
	"api_secret_file", "api_secret_env", "lockdown_alias",
	"quarantine_alias", NULL
};

/* ---- configuration ---- */

/* OPNsense alias names: letters, digits and '_', up to 31 (pf's limit). */
static bool alias_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 31 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n;
}

static void read_alias(struct lw_section *sec, const char *key,
    const char *def, char *out, size_t outlen, struct lw_diag *diag)
{
	const char *v = lw_section_str(sec, key, def);

	if (!alias_ok(v))
		lw_section_error(sec, key, diag, "'%s' is not an alias name "
		    "(letters, digits, '_'; up to 31)", v);
	snprintf(out, outlen, "%s", v);
}

static void read_conf(struct lw_section *sec, void *state,
    struct lw_diag *diag)
{
	struct opnsense *opn = state;

	lw_be_read_url(sec, true, NULL, opn->base, sizeof opn->base, diag);
	read_alias(sec, "lockdown_alias", "lw_lockdown", opn->lockdown_alias,
	    sizeof opn->lockdown_alias, diag);
	read_alias(sec, "quarantine_alias", "lw_quarantine",
	    opn->quarantine_alias, sizeof opn->quarantine_alias, diag);
	if (lw_be_read_secret(sec, "api_key", true, opn->key,
	    sizeof opn->key, diag) > 0 && strchr(opn->key, ':'))
		lw_be_secret_error(sec, "api_key", "the API key holds a ':' "
		    "(is this the key?)", diag);
	lw_be_read_secret(sec, "api_secret", true, opn->secret,
	    sizeof opn->secret, diag);
}

static const struct lw_be_conf opnsense_conf = {
	.size = sizeof(struct opnsense),
	.http_offset = offsetof(struct opnsense, http),
	.keys = opnsense_keys,
	.read = read_conf,
};

static bool opnsense_check(struct lw_section *sec, struct lw_diag *diag)
{
	return lw_be_conf_check(&opnsense_conf, sec, diag);
}

static bool opnsense_open(struct lw_backend *be, struct lw_section *sec,
    char *err, size_t errlen)
{
	return lw_be_conf_open(&opnsense_conf, be, sec, err, errlen);
}

static void opnsense_close(struct lw_backend *be)
{
	lw_be_conf_close(&opnsense_conf, be);
}

/* ---- requests ---- */

static const char *member(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static void explain(const struct lw_http_resp *resp, struct lw_be_result *res)
{
	char msg[200] = "";

	if (resp->status == 401) {
		lw_be_detail(res, "HTTP 401: OPNsense refused the API key and "
		    "secret (bad credentials: check api_key_file and "
		    "api_secret_file)");
		return;
	}
	if (resp->status == 403) {
		lw_be_detail(res, "HTTP 403: the API key's user lacks the "
		    "privilege for api/firewall/alias_util (\"Diagnostics: PF "
		    "Table IP addresses\")");
		return;
	}
	if (resp->status == 0)
		return;
	json_t *doc = resp->body ? json_loadb(resp->body, resp->len, 0,
	    NULL) : NULL;
	const char *m = member(doc, "message");
	if (!m)
		m = member(doc, "errorMessage");
	if (m)
		lw_be_safe_text(m, strlen(m), msg, sizeof msg);
	lw_be_detail(res, "HTTP %ld%s%s", resp->status, m ? ": " : "", msg);
	json_decref(doc);
}

/* One call; on LW_BE_OK *reply is the parsed JSON reply (never NULL). */
static enum lw_be_status call(struct opnsense *opn, const char *method,
    const char *path, const char *form, json_t **reply,
    struct lw_be_result *res)
{
	struct lw_http_req req;
	struct lw_http_resp resp;
	char url[512], summary[256];
	json_error_t jerr;

	*reply = NULL;
	memset(&req, 0, sizeof req);
	snprintf(url, sizeof url, "%s%s", opn->base, path);
	snprintf(summary, sizeof summary, "%s %s", method, path);
	req.method = method;
	req.url = url;
	req.user = opn->key;
	req.password = opn->secret;
	lw_http_add_header(&req, "Accept: application/json");
	if (form) {
		req.body = form;
		req.body_len = strlen(form);
		lw_http_add_header(&req, "Content-Type: "
		    "application/x-www-form-urlencoded");
	}
	enum lw_be_status st = lw_be_send(opn->http, &req, summary, &resp,
	    res);
	if (st != LW_BE_OK)
		explain(&resp, res);
	else {
		*reply = resp.body ? json_loadb(resp.body, resp.len, 0, &jerr) :
		    NULL;
		if (!*reply) {
			lw_be_detail(res, "reply to %s is not JSON (%s): not "
			    "what OPNsense answers", summary, resp.body ?
			    jerr.text : "empty");
			st = LW_BE_FAIL;
		}
	}
	lw_http_resp_free(&resp);
	return st;
}

/* add or delete ip in alias; OPNsense must answer status "done". */
static enum lw_be_status alias_change(struct opnsense *opn, const char *op,
    const char *alias, const char *ip, struct lw_be_result *res)
{
	char path[128], form[160], esc[140], status[64], msg[160] = "";
	json_t *reply;

	lw_http_escape(ip, esc, sizeof esc);
	snprintf(form, sizeof form, "address=%s", esc);
	snprintf(path, sizeof path, "/api/firewall/alias_util/%s/%s", op,
	    alias);
	enum lw_be_status st = call(opn, "POST", path, form, &reply, res);
	if (st != LW_BE_OK)
		return st;
	const char *s = member(reply, "status");
	if (s && strcmp(s, "done") == 0) {
		json_decref(reply);
		return LW_BE_OK;
	}
	const char *m = member(reply, "status_msg");
	if (s)
		lw_be_safe_text(s, strlen(s), status, sizeof status);
	if (m)
		lw_be_safe_text(m, strlen(m), msg, sizeof msg);
	if (s)
		lw_be_detail(res, "OPNsense did not %s %s %s alias %s: status "
		    "'%s'%s%s", op, ip, op[0] == 'a' ? "to" : "from", alias,
		    status, m ? ": " : "", msg);
	else
		lw_be_detail(res, "reply to POST %s has no string status (not "
		    "what OPNsense answers)", path);
	json_decref(reply);
	return LW_BE_FAIL;
}

/* Is ip in the alias's table now?  The read-back. */
static enum lw_be_status alias_has(struct opnsense *opn, const char *alias,
    const char *ip, bool *present, struct lw_be_result *res)
{
	char path[128];
	json_t *reply, *item;
	size_t i, shown = 0;

	*present = false;
	snprintf(path, sizeof path, "/api/firewall/alias_util/list/%s", alias);
	enum lw_be_status st = call(opn, "GET", path, NULL, &reply, res);
	if (st != LW_BE_OK)
		return st;
	/* 20.x and later: {"total","rowCount","current","rows":[{"ip"}]};
	 * older ones: a sorted array of addresses. */
	json_t *rows = json_is_array(reply) ? reply : json_object_get(reply,
	    "rows");
	if (!json_is_array(rows)) {
		json_decref(reply);
		lw_be_detail(res, "reply to GET %s has no rows array (not what "
		    "OPNsense answers)", path);
		return LW_BE_FAIL;
	}
	json_array_foreach(rows, i, item) {
		const char *one = json_is_string(item) ?
		    json_string_value(item) : member(item, "ip");
		if (!one) {
			json_decref(reply);
			lw_be_detail(res, "reply to GET %s: a row without a "
			    "string ip (not what OPNsense answers)", path);
			return LW_BE_FAIL;
		}
		if (lw_be_same_host(one, ip))
			*present = true;
		shown++;
	}
	json_t *total = json_object_get(reply, "total");
	bool partial = json_is_integer(total) &&
	    (size_t)json_integer_value(total) > shown;
	json_decref(reply);
	if (!*present && partial) {
		lw_be_detail(res, "alias %s has more than %d entries: its "
		    "first page does not show %s, so it cannot be confirmed",
		    alias, OPN_LIST_ROWS, ip);
		return LW_BE_RETRY;
	}
	return LW_BE_OK;
}

/* ---- the ops ---- */

static const char *kind_alias(const struct opnsense *opn,
    enum lw_block_kind kind)
{
	return kind == LW_BLOCK_LOCKDOWN ? opn->lockdown_alias :
	    opn->quarantine_alias;
}

/* The target's address: pf tables hold addresses, not MACs. */
static bool target_ip(const struct lw_target *t, struct lw_be_addrs *a,
    struct lw_be_result *res)
{
	if (!lw_be_target(t, a, res))
		return false;
	if (a->ip[0])
		return true;
	lw_be_detail(res, "no IP address known for %s: OPNsense aliases hold "
	    "addresses", a->mac);
	return false;
}

/*
 * op ("add" or "delete") the target's address in kind's alias, then read
 * the alias back: LW_BE_OK only when the address is there (add) or gone
 * (delete).  The address and the alias into a and *alias.
 */
static enum lw_be_status alias_set(struct opnsense *opn, const char *op,
    enum lw_block_kind kind, const struct lw_target *t,
    struct lw_be_addrs *a, const char **alias, struct lw_be_result *res)
{
	bool add = op[0] == 'a', present;

	if (!target_ip(t, a, res))
		return LW_BE_FAIL;
	*alias = kind_alias(opn, kind);
	enum lw_be_status st = alias_change(opn, op, *alias, a->ip, res);
	if (st != LW_BE_OK)
		return st;
	if ((st = alias_has(opn, *alias, a->ip, &present, res)) != LW_BE_OK)
		return st;
	if (present != add) {
		lw_be_detail(res, "not confirmed: %s is %s alias %s after %s",
		    a->ip, add ? "not listed in" : "still in", *alias, op);
		return LW_BE_FAIL;
	}
	return LW_BE_OK;
}

static enum lw_be_status opnsense_block(struct lw_backend *be,
    enum lw_block_kind kind, const struct lw_target *t, uint64_t seconds,
    struct lw_be_result *res)
{
	struct lw_be_addrs a;
	const char *alias;

	(void)seconds;		/* pf tables have no expiry */
	enum lw_be_status st = alias_set(be->priv, "add", kind, t, &a, &alias,
	    res);
	if (st != LW_BE_OK)
		return st;
	res->expires_s = 0;
	lw_be_detail(res, "%s%s in alias %s (read back); OPNsense does not "
	    "expire it, labwarden releases it", kind == LW_BLOCK_QUARANTINE ?
	    "quarantine by blocking the address (OPNsense cannot move a "
	    "client to another network): " : "", a.ip, alias);
	return LW_BE_OK;
}

static enum lw_be_status opnsense_release(struct lw_backend *be,
    enum lw_block_kind kind, const struct lw_target *t, const char *ref,
    struct lw_be_result *res)
{
	struct lw_be_addrs a;
	const char *alias;

	(void)ref;
	enum lw_be_status st = alias_set(be->priv, "delete", kind, t, &a,
	    &alias, res);
	if (st == LW_BE_OK)
		lw_be_detail(res, "%s removed from alias %s (read back)", a.ip,
		    alias);
	return st;
}

static enum lw_be_status opnsense_has(struct lw_backend *be,
    enum lw_block_kind kind, const struct lw_target *t, const char *ref,
    struct lw_be_result *res)
{
	struct opnsense *opn = be->priv;
	struct lw_be_addrs a;
	bool present;

	(void)ref;
	if (!target_ip(t, &a, res))
		return LW_BE_FAIL;
	const char *alias = kind_alias(opn, kind);
	enum lw_be_status st = alias_has(opn, alias, a.ip, &present, res);
	if (st != LW_BE_OK)
		return st;
	lw_be_detail(res, "%s is %sin alias %s", a.ip, present ? "" : "not ",
	    alias);
	return present ? LW_BE_OK : LW_BE_FAIL;
}

const struct lw_backend_ops lw_backend_opnsense = {
	.type = "opnsense",
	.remote = true,
	.check = opnsense_check,
	.open = opnsense_open,
	.block = opnsense_block,
	.release = opnsense_release,
	.has = opnsense_has,
	.close = opnsense_close,
};
