/*
 * backend_mikrotik.c - MikroTik RouterOS v7 through its REST API
 * (https://ROUTER/rest, HTTP Basic, every value a JSON string).
 *
 * A lockdown is an entry in an address list (lockdown_list) with the
 * action's time as its RouterOS timeout, so the router lets it go on
 * time by itself.  A quarantine is the same in quarantine_list, unless
 * quarantine_by says to quarantine by MAC through the device's DHCP
 * lease: its address-lists (RouterOS then lists the lease's address
 * while it is bound) or its block-access.  Lease changes have no
 * timeout on the router: labwarden releases them.
 *
 * Entries with a timeout live in the router's RAM and are gone after a
 * reboot, so block() is safe to call again for an action in force (the
 * action layer re-applies live actions on start and checks them with
 * has()): an entry already there gets the new timeout instead of a
 * duplicate.  Entries are marked "labwarden:<kind>" in their comment;
 * one labwarden did not make is never changed or removed.
 *
 * Every change is read back before LW_BE_OK.  Basic auth has no
 * session: a 401 is a wrong user or password, reported, not retried.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "labwarden/backend_http.h"

#define MT_MAX_LEASES	8	/* leases of one MAC we act on */
#define MT_ID_MAX	24
#define MT_LISTS_MAX	512
/* RouterOS keeps times in 10 ms steps in 32 bits: 35w3d13h13m56s. */
#define MT_TIMEOUT_MAX	21474836ull

enum quarantine_by { BY_ADDRESS, BY_LEASE, BY_BLOCK_ACCESS };

struct mikrotik {
	struct lw_http *http;
	char	 base[256];
	char	 user[128];
	char	 password[LW_SECRET_MAX];
	char	 lockdown_list[64];
	char	 quarantine_list[64];
	enum quarantine_by by;
};

/* An address-list entry as the router printed it. */
struct entry {
	char	 id[MT_ID_MAX];
	bool	 ours;		/* comment starts "labwarden" */
	bool	 has_timeout;
	uint64_t timeout_s;
};

/* A DHCP lease as the router printed it. */
struct lease {
	char	 id[MT_ID_MAX];
	char	 lists[MT_LISTS_MAX];	/* address-lists, comma-separated */
	char	 address[46];	/* active-address, else address; "" */
	bool	 dynamic;
	bool	 blocked;
};

static const char *const mikrotik_keys[] = {
	LW_BACKEND_COMMON_KEYS, "url", "user", "password_file",
	"password_env", "lockdown_list", "quarantine_list", "quarantine_by",
	NULL
};

/* ---- configuration ---- */

/* RouterOS names we put in URLs and bodies: plain characters only. */
static bool list_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_.-") == n;
}

static bool user_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 127 || strchr(s, ':'))
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static void read_list(struct lw_section *sec, const char *key,
    const char *def, char *out, size_t outlen, struct lw_diag *diag)
{
	const char *v = lw_section_str(sec, key, def);

	if (!list_name_ok(v))
		lw_section_error(sec, key, diag, "'%s' is not an address-list "
		    "name (letters, digits, '_', '.', '-'; up to 63)", v);
	snprintf(out, outlen, "%s", v);
}

/* Every key but the common ones into mt; mistakes into diag. */
static void read_conf(struct lw_section *sec, void *state,
    struct lw_diag *diag)
{
	struct mikrotik *mt = state;

	lw_be_read_url(sec, true, NULL, mt->base, sizeof mt->base, diag);
	const char *user = lw_section_need(sec, "user", diag);
	if (user && !user_ok(user))
		lw_section_error(sec, "user", diag, "1 to 127 printable "
		    "characters without ':'");
	if (user)
		snprintf(mt->user, sizeof mt->user, "%s", user);
	read_list(sec, "lockdown_list", "lw_lockdown", mt->lockdown_list,
	    sizeof mt->lockdown_list, diag);
	read_list(sec, "quarantine_list", "lw_quarantine",
	    mt->quarantine_list, sizeof mt->quarantine_list, diag);
	const char *by = lw_section_str(sec, "quarantine_by", "address");
	if (strcmp(by, "address") == 0)
		mt->by = BY_ADDRESS;
	else if (strcmp(by, "lease") == 0)
		mt->by = BY_LEASE;
	else if (strcmp(by, "block-access") == 0)
		mt->by = BY_BLOCK_ACCESS;
	else
		lw_section_error(sec, "quarantine_by", diag, "'%s': one of "
		    "address, lease, block-access", by);
	lw_be_read_secret(sec, "password", true, mt->password,
	    sizeof mt->password, diag);
}

static const struct lw_be_conf mikrotik_conf = {
	.size = sizeof(struct mikrotik),
	.http_offset = offsetof(struct mikrotik, http),
	.keys = mikrotik_keys,
	.read = read_conf,
};

static bool mikrotik_check(struct lw_section *sec, struct lw_diag *diag)
{
	return lw_be_conf_check(&mikrotik_conf, sec, diag);
}

static bool mikrotik_open(struct lw_backend *be, struct lw_section *sec,
    char *err, size_t errlen)
{
	return lw_be_conf_open(&mikrotik_conf, be, sec, err, errlen);
}

static void mikrotik_close(struct lw_backend *be)
{
	lw_be_conf_close(&mikrotik_conf, be);
}

/* ---- RouterOS values ---- */

/* Seconds as RouterOS writes a duration: "1d2h3m4s", "10m". */
static void ros_duration(uint64_t s, char *buf, size_t len)
{
	uint64_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60;
	size_t o = 0;

	buf[0] = '\0';
	if (d)
		o += (size_t)snprintf(buf + o, len - o, "%llud",
		    (unsigned long long)d);
	if (h && o < len)
		o += (size_t)snprintf(buf + o, len - o, "%lluh",
		    (unsigned long long)h);
	if (m && o < len)
		o += (size_t)snprintf(buf + o, len - o, "%llum",
		    (unsigned long long)m);
	if ((s % 60 || !o) && o < len)
		snprintf(buf + o, len - o, "%llus",
		    (unsigned long long)(s % 60));
}

/* A number of at most 12 digits at *p; advances *p. */
static bool read_number(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int n = 0;

	while (*s >= '0' && *s <= '9' && n < 12) {
		v = v * 10 + (uint64_t)(*s++ - '0');
		n++;
	}
	if (n == 0 || (*s >= '0' && *s <= '9'))
		return false;
	*p = s;
	*out = v;
	return true;
}

/*
 * A RouterOS duration as printed: "1w2d3h4m5s", "9m58s", "150ms", or
 * with a clock part "1d02:03:04" (older prints).  Fractions of a second
 * are dropped.  False when it is none of these.
 */
static bool ros_parse_duration(const char *s, uint64_t *out)
{
	uint64_t total = 0, v;

	if (!*s)
		return false;
	while (*s) {
		if (!read_number(&s, &v))
			return false;
		if (*s == ':') {	/* hh:mm:ss to the end */
			uint64_t mm, ss;
			s++;
			if (!read_number(&s, &mm) || *s++ != ':' ||
			    !read_number(&s, &ss) || mm > 59 || ss > 59)
				return false;
			if (*s == '.') {
				s++;
				if (!read_number(&s, &v))
					return false;
			}
			total += v * 3600 + mm * 60 + ss;
			break;
		}
		if (total > 1000000000000000ull)
			return false;	/* no sum wraps */
		if (strncmp(s, "ms", 2) == 0 || strncmp(s, "us", 2) == 0) {
			s += 2;
			total += strncmp(s - 2, "ms", 2) == 0 ? v / 1000 : 0;
			continue;
		}
		switch (*s++) {
		case 'w': total += v * 604800; break;
		case 'd': total += v * 86400; break;
		case 'h': total += v * 3600; break;
		case 'm': total += v * 60; break;
		case 's': total += v; break;
		default: return false;
		}
	}
	if (*s)
		return false;
	if (total > 1000000000000000ull)
		return false;
	*out = total;
	return true;
}

/* A RouterOS internal id: '*' and hex digits. */
static bool ros_id_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n >= 2 && n < MT_ID_MAX && s[0] == '*' &&
	    strspn(s + 1, "0123456789abcdefABCDEF") == n - 1;
}

static bool ros_true(const char *s)
{
	return s && (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0);
}

/* The value of a string member, NULL when absent or not a string. */
static const char *member(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* ---- requests ---- */

/* What a failed reply says, in words a user can act on. */
static void explain(struct mikrotik *mt, const struct lw_http_resp *resp,
    struct lw_be_result *res)
{
	char msg[160] = "", detail[200] = "";

	if (resp->status == 401) {
		lw_be_detail(res, "HTTP 401: the router refused user '%s' and "
		    "its password (bad credentials: check user and "
		    "password_file/password_env)", mt->user);
		return;
	}
	if (resp->status == 403) {
		lw_be_detail(res, "HTTP 403: user '%s' may not do this (its "
		    "group needs the rest-api, read and write policies)",
		    mt->user);
		return;
	}
	if (resp->status == 0)
		return;		/* transport: lw_be_send said it */
	json_t *doc = resp->body ? json_loadb(resp->body, resp->len, 0,
	    NULL) : NULL;
	const char *m = member(doc, "message"), *d = member(doc, "detail");
	if (m)
		lw_be_safe_text(m, strlen(m), msg, sizeof msg);
	if (d)
		lw_be_safe_text(d, strlen(d), detail, sizeof detail);
	lw_be_detail(res, "HTTP %ld%s%s%s%s", resp->status, m ? " " : "",
	    msg, d ? ": " : "", detail);
	json_decref(doc);
}

/*
 * One REST call: method on path (with its query), body a JSON object or
 * NULL.  On LW_BE_OK, *reply holds the parsed JSON (NULL for an empty
 * body); the caller decrefs it.
 */
static enum lw_be_status call(struct mikrotik *mt, const char *method,
    const char *path, json_t *body, json_t **reply, struct lw_be_result *res)
{
	struct lw_http_req req;
	struct lw_http_resp resp;
	char url[1024], summary[256];
	char *text = NULL;
	json_error_t jerr;

	*reply = NULL;
	memset(&req, 0, sizeof req);
	snprintf(url, sizeof url, "%s%s", mt->base, path);
	snprintf(summary, sizeof summary, "%s %s", method, path);
	req.method = method;
	req.url = url;
	req.user = mt->user;
	req.password = mt->password;
	lw_http_add_header(&req, "Accept: application/json");
	if (body) {
		text = json_dumps(body, JSON_COMPACT);
		if (!text) {
			lw_be_detail(res, "out of memory");
			return LW_BE_RETRY;
		}
		req.body = text;
		req.body_len = strlen(text);
		lw_http_add_header(&req, "Content-Type: application/json");
	}
	enum lw_be_status st = lw_be_send(mt->http, &req, summary, &resp, res);
	free(text);
	if (st != LW_BE_OK)
		explain(mt, &resp, res);
	else if (resp.body && resp.len) {
		*reply = json_loadb(resp.body, resp.len, 0, &jerr);
		if (!*reply) {
			lw_be_detail(res, "reply to %s is not JSON (%s): not "
			    "what RouterOS answers", summary, jerr.text);
			st = LW_BE_FAIL;
		}
	}
	lw_http_resp_free(&resp);
	return st;
}

/* Say the reply was not what RouterOS documents; FAIL. */
static enum lw_be_status bad_reply(struct lw_be_result *res,
    const char *what)
{
	char req[256];

	snprintf(req, sizeof req, "%s", res->request);
	lw_be_detail(res, "reply to %s: %s (not what RouterOS answers)",
	    req, what);
	return LW_BE_FAIL;
}

/* GET path, which RouterOS answers with an array: into *reply. */
static enum lw_be_status get_array(struct mikrotik *mt, const char *path,
    json_t **reply, struct lw_be_result *res)
{
	enum lw_be_status st = call(mt, "GET", path, NULL, reply, res);

	if (st != LW_BE_OK)
		return st;
	if (!json_is_array(*reply)) {
		json_decref(*reply);
		*reply = NULL;
		return bad_reply(res, "not a JSON array");
	}
	return LW_BE_OK;
}

static const char *alist_path(int family)
{
	return family == 6 ? "/rest/ipv6/firewall/address-list" :
	    "/rest/ip/firewall/address-list";
}

/* One address-list entry object into e; false when malformed. */
static bool read_entry(const json_t *o, struct entry *e)
{
	const char *id = member(o, ".id"), *comment = member(o, "comment");
	const char *timeout = member(o, "timeout");

	memset(e, 0, sizeof *e);
	if (!json_is_object(o) || !ros_id_ok(id) || !member(o, "list") ||
	    !member(o, "address"))
		return false;
	if (json_object_get(o, "comment") && !comment)
		return false;
	if (json_object_get(o, "timeout") && !timeout)
		return false;
	snprintf(e->id, sizeof e->id, "%s", id);
	e->ours = comment && strncmp(comment, "labwarden", 9) == 0;
	e->has_timeout = timeout && ros_parse_duration(timeout,
	    &e->timeout_s) && e->timeout_s > 0;
	return true;
}

/* GET list=list&address=ip: *found and *e for the first match. */
static enum lw_be_status find_entry(struct mikrotik *mt,
    const struct lw_be_addrs *a, const char *list, struct entry *e,
    bool *found, struct lw_be_result *res)
{
	char path[512], qaddr[160];
	json_t *reply, *item;
	size_t i;

	*found = false;
	lw_http_escape(a->ip, qaddr, sizeof qaddr);
	snprintf(path, sizeof path, "%s?list=%s&address=%s",
	    alist_path(a->family), list, qaddr);
	enum lw_be_status st = get_array(mt, path, &reply, res);
	if (st != LW_BE_OK)
		return st;
	json_array_foreach(reply, i, item) {
		struct entry one;
		if (!read_entry(item, &one)) {
			json_decref(reply);
			return bad_reply(res, "an entry without string .id, "
			    "list and address");
		}
		if (strcmp(member(item, "list"), list) != 0 ||
		    !lw_be_same_host(member(item, "address"), a->ip))
			continue;	/* the query is the router's; trust less */
		if (!*found || (one.ours && !e->ours))
			*e = one;
		*found = true;
	}
	json_decref(reply);
	return LW_BE_OK;
}

/* GET the entry by id and check it is list/ip: the read-back. */
static enum lw_be_status read_back(struct mikrotik *mt,
    const struct lw_be_addrs *a, const char *list, const char *id,
    struct entry *e, struct lw_be_result *res)
{
	char path[256];
	json_t *reply;

	snprintf(path, sizeof path, "%s/%s", alist_path(a->family), id);
	enum lw_be_status st = call(mt, "GET", path, NULL, &reply, res);
	if (st != LW_BE_OK)
		return st;
	bool ok = read_entry(reply, e);
	bool same = ok && strcmp(member(reply, "list"), list) == 0 &&
	    lw_be_same_host(member(reply, "address"), a->ip);
	json_decref(reply);
	if (!ok)
		return bad_reply(res, "not an address-list entry");
	if (!same) {
		lw_be_detail(res, "not confirmed: entry %s is not %s in %s",
		    id, a->ip, list);
		return LW_BE_FAIL;
	}
	return LW_BE_OK;
}

/* The new entry (PUT) for ip in list; its id into e->id. */
static enum lw_be_status add_entry(struct mikrotik *mt,
    const struct lw_be_addrs *a, const char *list, const char *comment,
    uint64_t seconds, struct entry *e, struct lw_be_result *res)
{
	char dur[32];
	json_t *reply;

	json_t *body = json_pack("{s:s, s:s, s:s}", "list", list, "address",
	    a->ip, "comment", comment);
	if (seconds) {
		ros_duration(seconds, dur, sizeof dur);
		json_object_set_new(body, "timeout", json_string(dur));
	}
	enum lw_be_status st = call(mt, "PUT", alist_path(a->family), body,
	    &reply, res);
	json_decref(body);
	if (st != LW_BE_OK)
		return st;
	const char *id = member(reply, ".id");
	if (!ros_id_ok(id)) {
		json_decref(reply);
		return bad_reply(res, "no string .id for the new entry");
	}
	snprintf(e->id, sizeof e->id, "%s", id);
	json_decref(reply);
	return LW_BE_OK;
}

static enum lw_be_status delete_entry(struct mikrotik *mt, int family,
    const char *id, struct lw_be_result *res)
{
	char path[256];
	json_t *reply;

	snprintf(path, sizeof path, "%s/%s", alist_path(family), id);
	enum lw_be_status st = call(mt, "DELETE", path, NULL, &reply, res);
	json_decref(reply);
	if (st == LW_BE_FAIL && res->http_status == 404)
		return LW_BE_OK;	/* gone already */
	return st;
}

/* An entry for ip in list, timing out after seconds; read back. */
static enum lw_be_status block_address(struct mikrotik *mt,
    const struct lw_be_addrs *a, const char *list, const char *comment,
    uint64_t seconds, struct lw_be_result *res)
{
	struct entry e;
	bool found;
	char dur[32];
	json_t *reply;

	enum lw_be_status st = find_entry(mt, a, list, &e, &found, res);
	if (st != LW_BE_OK)
		return st;
	if (found && !e.ours) {
		res->expires_s = e.has_timeout ? e.timeout_s : 0;
		lw_be_detail(res, "%s is already in address-list %s by an "
		    "entry labwarden did not make (%s): left as it is", a->ip,
		    list, e.id);
		return LW_BE_OK;
	}
	if (found && (seconds || e.has_timeout)) {
		/* A re-apply: the remaining time, not a second entry. */
		if (!seconds) {
			st = delete_entry(mt, a->family, e.id, res);
			found = false;
		} else {
			char path[256];
			ros_duration(seconds, dur, sizeof dur);
			snprintf(path, sizeof path, "%s/%s",
			    alist_path(a->family), e.id);
			json_t *body = json_pack("{s:s}", "timeout", dur);
			st = call(mt, "PATCH", path, body, &reply, res);
			json_decref(body);
			json_decref(reply);
		}
		if (st != LW_BE_OK)
			return st;
	}
	if (!found && (st = add_entry(mt, a, list, comment, seconds, &e,
	    res)) != LW_BE_OK)
		return st;
	char id[MT_ID_MAX];
	snprintf(id, sizeof id, "%s", e.id);
	if ((st = read_back(mt, a, list, id, &e, res)) != LW_BE_OK)
		return st;
	if (seconds && !e.has_timeout) {
		lw_be_detail(res, "not confirmed: entry %s has no timeout",
		    id);
		return LW_BE_FAIL;
	}
	snprintf(res->ref, sizeof res->ref, "%s", id);
	res->expires_s = e.has_timeout ? e.timeout_s : 0;
	ros_duration(res->expires_s, dur, sizeof dur);
	lw_be_detail(res, "%s in address-list %s as %s%s%s (read back)",
	    a->ip, list, id, seconds ? ", timeout " : ", no timeout",
	    seconds ? dur : "");
	return LW_BE_OK;
}

/* Remove labwarden's entry for ip from list; read back. */
static enum lw_be_status release_address(struct mikrotik *mt,
    const struct lw_be_addrs *a, const char *list, const char *ref,
    struct lw_be_result *res)
{
	struct entry e;
	bool found = false;
	enum lw_be_status st;

	/* An id can be reused after a reboot: use it only if it is ours. */
	if (ros_id_ok(ref)) {
		st = read_back(mt, a, list, ref, &e, res);
		if (st == LW_BE_RETRY)
			return st;
		found = st == LW_BE_OK;
	}
	if (!found && (st = find_entry(mt, a, list, &e, &found, res)) !=
	    LW_BE_OK)
		return st;
	if (!found) {
		res->absent = true;
		lw_be_detail(res, "%s is not in address-list %s (expired or "
		    "released already; read back)", a->ip, list);
		return LW_BE_OK;
	}
	if (!e.ours) {
		lw_be_detail(res, "%s is in address-list %s by an entry "
		    "labwarden did not make (%s): left as it is", a->ip, list,
		    e.id);
		return LW_BE_FAIL;
	}
	if ((st = delete_entry(mt, a->family, e.id, res)) != LW_BE_OK)
		return st;
	if ((st = find_entry(mt, a, list, &e, &found, res)) != LW_BE_OK)
		return st;
	if (found) {
		lw_be_detail(res, "not confirmed: %s is still in address-list "
		    "%s after DELETE", a->ip, list);
		return LW_BE_FAIL;
	}
	lw_be_detail(res, "%s removed from address-list %s (read back)",
	    a->ip, list);
	return LW_BE_OK;
}

/* ---- DHCP leases ---- */

static bool lists_have(const char *lists, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = lists; *p; ) {
		size_t len = strcspn(p, ",");
		if (len == n && strncmp(p, name, n) == 0)
			return true;
		p += len;
		p += *p == ',';
	}
	return false;
}

/* lists with name added or removed, into out; false when too long. */
static bool lists_edit(const char *lists, const char *name, bool add,
    char *out, size_t outlen)
{
	size_t o = 0, n = strlen(name);

	out[0] = '\0';
	for (const char *p = lists; *p; ) {
		size_t len = strcspn(p, ",");
		if (len && !(len == n && strncmp(p, name, n) == 0)) {
			if (o + len + 2 > outlen)
				return false;
			if (o)
				out[o++] = ',';
			memcpy(out + o, p, len);
			o += len;
			out[o] = '\0';
		}
		p += len;
		p += *p == ',';
	}
	if (add) {
		if (o + n + 2 > outlen)
			return false;
		snprintf(out + o, outlen - o, "%s%s", o ? "," : "", name);
	}
	return true;
}

static bool read_lease(const json_t *o, struct lease *l)
{
	const char *id = member(o, ".id"), *lists = member(o,
	    "address-lists");

	memset(l, 0, sizeof *l);
	if (!json_is_object(o) || !ros_id_ok(id) || !member(o, "mac-address"))
		return false;
	if ((json_object_get(o, "address-lists") && !lists) ||
	    (lists && strlen(lists) >= sizeof l->lists))
		return false;
	if ((json_object_get(o, "dynamic") && !member(o, "dynamic")) ||
	    (json_object_get(o, "block-access") &&
	    !member(o, "block-access")))
		return false;
	snprintf(l->id, sizeof l->id, "%s", id);
	snprintf(l->lists, sizeof l->lists, "%s", lists ? lists : "");
	int family;
	if (!lw_be_canon_ip(member(o, "active-address"), l->address,
	    sizeof l->address, &family) && !lw_be_canon_ip(member(o,
	    "address"), l->address, sizeof l->address, &family))
		l->address[0] = '\0';
	l->dynamic = ros_true(member(o, "dynamic"));
	l->blocked = ros_true(member(o, "block-access"));
	return true;
}

/* The leases of mac (at most MT_MAX_LEASES). */
static enum lw_be_status find_leases(struct mikrotik *mt, const char *mac,
    struct lease *out, size_t *n, struct lw_be_result *res)
{
	char upper[18], q[64], path[256];
	json_t *reply, *item;
	size_t i;

	*n = 0;
	for (i = 0; i < sizeof upper; i++)	/* RouterOS prints MACs so */
		upper[i] = (char)(mac[i] >= 'a' && mac[i] <= 'f' ?
		    mac[i] - 32 : mac[i]);
	lw_http_escape(upper, q, sizeof q);
	snprintf(path, sizeof path, "/rest/ip/dhcp-server/lease?"
	    "mac-address=%s", q);
	enum lw_be_status st = get_array(mt, path, &reply, res);
	if (st != LW_BE_OK)
		return st;
	json_array_foreach(reply, i, item) {
		struct lease l;
		char canon[18];
		if (!read_lease(item, &l)) {
			json_decref(reply);
			return bad_reply(res, "a lease without string .id and "
			    "mac-address");
		}
		if (!lw_be_canon_mac(member(item, "mac-address"), canon) ||
		    strcmp(canon, mac) != 0 || *n == MT_MAX_LEASES)
			continue;
		out[(*n)++] = l;
	}
	json_decref(reply);
	return LW_BE_OK;
}

/* RouterOS does not let a dynamic lease be changed: make them static. */
static enum lw_be_status make_static(struct mikrotik *mt, const char *mac,
    struct lease *leases, size_t *n, bool *made, struct lw_be_result *res)
{
	json_t *reply;
	enum lw_be_status st = LW_BE_OK;

	*made = false;
	for (size_t i = 0; i < *n && st == LW_BE_OK; i++) {
		if (!leases[i].dynamic)
			continue;
		json_t *body = json_pack("{s:s}", ".id", leases[i].id);
		st = call(mt, "POST", "/rest/ip/dhcp-server/lease/make-static",
		    body, &reply, res);
		json_decref(body);
		json_decref(reply);
		*made = true;
	}
	if (st != LW_BE_OK || !*made)
		return st;
	if ((st = find_leases(mt, mac, leases, n, res)) != LW_BE_OK)
		return st;
	for (size_t i = 0; i < *n; i++)
		if (leases[i].dynamic) {
			lw_be_detail(res, "not confirmed: lease %s is still "
			    "dynamic after make-static", leases[i].id);
			return LW_BE_FAIL;
		}
	return LW_BE_OK;
}

/* Does lease l quarantine (on) or not (!on) as mt->by says? */
static bool lease_in_state(const struct mikrotik *mt, const struct lease *l,
    bool on)
{
	bool is_on = mt->by == BY_LEASE ?
	    lists_have(l->lists, mt->quarantine_list) : l->blocked;
	return is_on == on;
}

/* PATCH lease l to quarantine (on) or not, then read it back. */
static enum lw_be_status set_lease(struct mikrotik *mt, struct lease *l,
    bool on, struct lw_be_result *res)
{
	char path[128], lists[MT_LISTS_MAX];
	json_t *body, *reply;

	if (lease_in_state(mt, l, on))
		return LW_BE_OK;
	if (mt->by == BY_LEASE) {
		if (!lists_edit(l->lists, mt->quarantine_list, on, lists,
		    sizeof lists)) {
			lw_be_detail(res, "lease %s: address-lists too long",
			    l->id);
			return LW_BE_FAIL;
		}
		body = json_pack("{s:s}", "address-lists", lists);
	} else
		body = json_pack("{s:s}", "block-access", on ? "yes" : "no");
	snprintf(path, sizeof path, "/rest/ip/dhcp-server/lease/%s", l->id);
	enum lw_be_status st = call(mt, "PATCH", path, body, &reply, res);
	json_decref(body);
	json_decref(reply);
	if (st != LW_BE_OK)
		return st;
	if ((st = call(mt, "GET", path, NULL, &reply, res)) != LW_BE_OK)
		return st;
	bool ok = read_lease(reply, l);
	json_decref(reply);
	if (!ok)
		return bad_reply(res, "not a DHCP lease");
	if (!lease_in_state(mt, l, on)) {
		lw_be_detail(res, "not confirmed: lease %s read back %s",
		    l->id, mt->by == BY_LEASE ? "without the change to its "
		    "address-lists" : "without the change to block-access");
		return LW_BE_FAIL;
	}
	return LW_BE_OK;
}

static const char *lease_way(const struct mikrotik *mt, char *buf,
    size_t len)
{
	if (mt->by == BY_LEASE)
		snprintf(buf, len, "address-lists += %s", mt->quarantine_list);
	else
		snprintf(buf, len, "block-access=yes");
	return buf;
}

static bool need_mac(const struct mikrotik *mt, const struct lw_be_addrs *a,
    struct lw_be_result *res)
{
	if (a->mac[0])
		return true;
	lw_be_detail(res, "quarantine_by: %s needs the device's MAC; none is "
	    "known for %s", mt->by == BY_LEASE ? "lease" : "block-access",
	    a->ip);
	return false;
}

/* Quarantine or release (on false) every lease of the MAC. */
static enum lw_be_status lease_quarantine(struct mikrotik *mt,
    const struct lw_be_addrs *a, bool on, struct lw_be_result *res)
{
	struct lease leases[MT_MAX_LEASES];
	size_t n;
	bool made = false;
	char ids[128] = "", way[96];

	if (!need_mac(mt, a, res))
		return LW_BE_FAIL;
	enum lw_be_status st = find_leases(mt, a->mac, leases, &n, res);
	if (st != LW_BE_OK)
		return st;
	if (n == 0) {
		res->absent = !on;
		lw_be_detail(res, on ? "no DHCP lease for %s on the router: "
		    "quarantine by lease needs one (or quarantine_by: address)"
		    : "no DHCP lease for %s on the router: nothing to release "
		    "(read back)", a->mac);
		return on ? LW_BE_FAIL : LW_BE_OK;
	}
	if (on && (st = make_static(mt, a->mac, leases, &n, &made, res)) !=
	    LW_BE_OK)
		return st;
	bool was = false;
	for (size_t i = 0; i < n; i++)
		was |= lease_in_state(mt, &leases[i], true);
	res->absent = !on && !was;
	for (size_t i = 0; i < n; i++) {
		if ((st = set_lease(mt, &leases[i], on, res)) != LW_BE_OK)
			return st;
		size_t o = strlen(ids);
		snprintf(ids + o, sizeof ids - o, "%s%s", o ? "," : "",
		    leases[i].id);
	}
	if (on) {
		snprintf(res->ref, sizeof res->ref, "%s", ids);
		lw_be_detail(res, "quarantined %s by DHCP lease %s (%s%s; read "
		    "back): the router does not expire it, labwarden releases "
		    "it", a->mac, ids, lease_way(mt, way, sizeof way),
		    made ? ", the lease made static first" : "");
	} else
		lw_be_detail(res, "released %s from DHCP lease %s (read back)",
		    a->mac, ids);
	return LW_BE_OK;
}

/* ---- the ops ---- */

/* The list for kind, and whether this kind goes by lease. */
static const char *kind_list(const struct mikrotik *mt,
    enum lw_block_kind kind, bool *by_lease)
{
	*by_lease = kind == LW_BLOCK_QUARANTINE && mt->by != BY_ADDRESS;
	return kind == LW_BLOCK_LOCKDOWN ? mt->lockdown_list :
	    mt->quarantine_list;
}

/*
 * The IP for an address-list entry: the target's, else the address of
 * the MAC's DHCP lease (a new device is often seen before its IP is).
 * LW_BE_FAIL with the reason when there is none; *note says where the
 * address came from.
 */
static enum lw_be_status address_of(struct mikrotik *mt,
    struct lw_be_addrs *a, char *note, size_t notelen,
    struct lw_be_result *res)
{
	struct lease leases[MT_MAX_LEASES];
	size_t n;

	note[0] = '\0';
	if (a->ip[0])
		return LW_BE_OK;
	enum lw_be_status st = find_leases(mt, a->mac, leases, &n, res);
	if (st != LW_BE_OK)
		return st;
	for (size_t i = 0; i < n; i++)
		if (leases[i].address[0]) {
			snprintf(a->ip, sizeof a->ip, "%s", leases[i].address);
			a->family = 4;
			snprintf(note, notelen, " (the address of DHCP lease %s)",
			    leases[i].id);
			return LW_BE_OK;
		}
	lw_be_detail(res, "no IP address known for %s, and no DHCP lease on "
	    "the router gives one: address lists hold addresses "
	    "(quarantine_by: lease quarantines by MAC)", a->mac);
	return LW_BE_FAIL;
}

/* Release by the entry's id alone (the address is no longer known). */
static enum lw_be_status release_ref(struct mikrotik *mt, const char *list,
    const char *ref, struct lw_be_result *res)
{
	char path[256];
	json_t *reply;
	struct entry e;

	snprintf(path, sizeof path, "%s/%s", alist_path(4), ref);
	enum lw_be_status st = call(mt, "GET", path, NULL, &reply, res);
	if (st == LW_BE_FAIL && res->http_status == 404) {
		res->absent = true;
		lw_be_detail(res, "entry %s is gone (expired or released "
		    "already; read back)", ref);
		return LW_BE_OK;
	}
	if (st != LW_BE_OK)
		return st;
	bool ok = read_entry(reply, &e);
	bool ours = ok && e.ours && strcmp(member(reply, "list"), list) == 0;
	json_decref(reply);
	if (!ok)
		return bad_reply(res, "not an address-list entry");
	if (!ours) {
		lw_be_detail(res, "entry %s is not labwarden's entry in %s: left "
		    "as it is", ref, list);
		return LW_BE_FAIL;
	}
	if ((st = delete_entry(mt, 4, ref, res)) != LW_BE_OK)
		return st;
	st = call(mt, "GET", path, NULL, &reply, res);
	json_decref(reply);
	if (st == LW_BE_FAIL && res->http_status == 404) {
		lw_be_detail(res, "entry %s removed from address-list %s (read "
		    "back)", ref, list);
		return LW_BE_OK;
	}
	if (st == LW_BE_OK)
		lw_be_detail(res, "not confirmed: entry %s is still there after "
		    "DELETE", ref);
	return st == LW_BE_OK ? LW_BE_FAIL : st;
}

static enum lw_be_status mikrotik_block(struct lw_backend *be,
    enum lw_block_kind kind, const struct lw_target *t, uint64_t seconds,
    struct lw_be_result *res)
{
	struct mikrotik *mt = be->priv;
	struct lw_be_addrs a;
	bool by_lease;
	char detail[sizeof res->detail];

	if (!lw_be_target(t, &a, res))
		return LW_BE_FAIL;
	const char *list = kind_list(mt, kind, &by_lease);
	if (by_lease)
		return lease_quarantine(mt, &a, true, res);
	char note[64];
	enum lw_be_status st = address_of(mt, &a, note, sizeof note, res);
	if (st != LW_BE_OK)
		return st;
	bool capped = seconds > MT_TIMEOUT_MAX;
	st = block_address(mt, &a, list, kind == LW_BLOCK_LOCKDOWN ?
	    "labwarden:lockdown" : "labwarden:quarantine", capped ?
	    MT_TIMEOUT_MAX : seconds, res);
	if (st != LW_BE_OK)
		return st;
	snprintf(detail, sizeof detail, "%s", res->detail);
	lw_be_detail(res, "%s%s%s%s", kind == LW_BLOCK_QUARANTINE ?
	    "quarantine by blocking the address: " : "", detail, note, capped ?
	    "; the timeout is capped at RouterOS's longest, 35w3d13h13m56s "
	    "(labwarden re-applies it)" : "");
	return st;
}

static enum lw_be_status mikrotik_release(struct lw_backend *be,
    enum lw_block_kind kind, const struct lw_target *t, const char *ref,
    struct lw_be_result *res)
{
	struct mikrotik *mt = be->priv;
	struct lw_be_addrs a;
	bool by_lease;

	if (!lw_be_target(t, &a, res))
		return LW_BE_FAIL;
	const char *list = kind_list(mt, kind, &by_lease);
	if (by_lease)
		return lease_quarantine(mt, &a, false, res);
	/* Without the address, the id is exact: the lease's address may
	 * have changed since the block. */
	if (!a.ip[0] && ros_id_ok(ref))
		return release_ref(mt, list, ref, res);
	char note[64];
	enum lw_be_status st = address_of(mt, &a, note, sizeof note, res);
	if (st != LW_BE_OK)
		return st;
	return release_address(mt, &a, list, ref ? ref : "", res);
}

static enum lw_be_status mikrotik_has(struct lw_backend *be,
    enum lw_block_kind kind, const struct lw_target *t, const char *ref,
    struct lw_be_result *res)
{
	struct mikrotik *mt = be->priv;
	struct lw_be_addrs a;
	struct entry e;
	bool by_lease, found;
	char dur[32];

	(void)ref;	/* by list and address: ids do not survive a reboot */
	if (!lw_be_target(t, &a, res))
		return LW_BE_FAIL;
	const char *list = kind_list(mt, kind, &by_lease);
	if (by_lease) {
		struct lease leases[MT_MAX_LEASES];
		size_t n;
		if (!need_mac(mt, &a, res))
			return LW_BE_FAIL;
		enum lw_be_status st = find_leases(mt, a.mac, leases, &n, res);
		if (st != LW_BE_OK)
			return st;
		for (size_t i = 0; i < n; i++)
			if (lease_in_state(mt, &leases[i], true)) {
				snprintf(res->ref, sizeof res->ref, "%s",
				    leases[i].id);
				lw_be_detail(res, "DHCP lease %s of %s "
				    "quarantines it", leases[i].id, a.mac);
				return LW_BE_OK;
			}
		lw_be_detail(res, "no DHCP lease of %s quarantines it", a.mac);
		return LW_BE_FAIL;
	}
	char note[64];
	enum lw_be_status st = address_of(mt, &a, note, sizeof note, res);
	if (st != LW_BE_OK)
		return st;
	st = find_entry(mt, &a, list, &e, &found, res);
	if (st != LW_BE_OK)
		return st;
	if (!found) {
		lw_be_detail(res, "%s is not in address-list %s", a.ip, list);
		return LW_BE_FAIL;
	}
	snprintf(res->ref, sizeof res->ref, "%s", e.id);
	res->expires_s = e.has_timeout ? e.timeout_s : 0;
	ros_duration(res->expires_s, dur, sizeof dur);
	lw_be_detail(res, "%s is in address-list %s as %s (%s%s)", a.ip, list,
	    e.id, e.has_timeout ? "timeout " : "no timeout",
	    e.has_timeout ? dur : "");
	return LW_BE_OK;
}

const struct lw_backend_ops lw_backend_mikrotik = {
	.type = "mikrotik",
	.remote = true,
	.check = mikrotik_check,
	.open = mikrotik_open,
	.block = mikrotik_block,
	.release = mikrotik_release,
	.has = mikrotik_has,
	.close = mikrotik_close,
};
