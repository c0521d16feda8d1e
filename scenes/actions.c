/*
 * actions.c - the record of actions in force and the targets they name
 * (see actions.h).
 */
#include <stdio.h>
#include <string.h>

#include "labwarden/actions.h"
#include "labwarden/clock.h"
#include "labwarden/net.h"

static void copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

static bool parse_mac(const char *text, char *canon, size_t len)
{
	static const char hex[] = "0123456789abcdefABCDEF";
	unsigned b[6];

	if (strlen(text) != 17)
		return false;
	for (int i = 0; i < 17; i++)
		if (i % 3 == 2 ? text[i] != ':' : !strchr(hex, text[i]))
			return false;
	if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x", &b[0], &b[1], &b[2],
	    &b[3], &b[4], &b[5]) != 6)
		return false;
	snprintf(canon, len, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1],
	    b[2], b[3], b[4], b[5]);
	return true;
}

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0xff, 0xff };

bool lw_target_parse(struct lw_target *t, const char *text)
{
	struct lw_cidr cidr;
	char why[64];

	memset(t, 0, sizeof *t);
	if (!text)
		return false;
	if (parse_mac(text, t->mac, sizeof t->mac)) {
		copy(t->text, sizeof t->text, t->mac);
		return true;
	}
	if (strlen(text) >= sizeof t->text || strchr(text, '/') ||
	    !lw_cidr_parse(text, &cidr, why, sizeof why))
		return false;
	if (cidr.addr.family == 6 && memcmp(cidr.addr.bytes, v4mapped,
	    sizeof v4mapped) == 0) {	/* ::ffff:a.b.c.d is a.b.c.d */
		memmove(cidr.addr.bytes, cidr.addr.bytes + 12, 4);
		cidr.addr.family = 4;
	}
	lw_addr_str(&cidr.addr, t->ip, sizeof t->ip);
	copy(t->text, sizeof t->text, t->ip);
	return true;
}

bool lw_target_is_mac(const struct lw_target *t)
{
	return *t->mac && strcmp(t->text, t->mac) == 0;
}

bool lw_target_matches(const struct lw_target *t, const char *text)
{
	struct lw_target other;

	if (!lw_target_parse(&other, text))
		return false;
	return strcmp(t->text, other.text) == 0 ||
	    (*t->mac && strcmp(t->mac, other.text) == 0) ||
	    (*t->ip && strcmp(t->ip, other.text) == 0);
}

struct lw_action_rec *lw_action_log_find(struct lw_action_log *log,
    const char *action, const char *target, const char *backend)
{
	for (size_t i = 0; i < log->n; i++) {
		struct lw_action_rec *r = &log->recs[i];
		if (strcmp(r->action, action) == 0 &&
		    strcmp(r->target.text, target) == 0 &&
		    strcmp(r->backend, backend) == 0)
			return r;
	}
	return NULL;
}

size_t lw_action_log_on(struct lw_action_log *log, const char *target,
    const char *backend, struct lw_action_rec **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < log->n; i++) {
		const struct lw_action_rec *r = &log->recs[i];
		if ((backend && strcmp(r->backend, backend) != 0) ||
		    !lw_target_matches(&r->target, target))
			continue;
		if (n < max)
			out[n] = &log->recs[i];
		n++;
	}
	return n;
}

uint64_t lw_action_log_add(struct lw_action_log *log,
    const struct lw_action_rec *rec)
{
	if (log->n == LW_ACTION_LOG_MAX)
		return 0;
	struct lw_action_rec *r = &log->recs[log->n++];
	*r = *rec;
	/* the id the request carried: the scene event, the audit log and
	 * actions.json name an action alike */
	r->id = rec->id ? rec->id : ++log->next_id;
	if (r->id > log->next_id)
		log->next_id = r->id;
	r->releasing = r->needs_restore = false;
	r->retry_after_ns = 0;
	r->release_tries = 0;
	return r->id;
}

bool lw_action_log_remove_id(struct lw_action_log *log, uint64_t id)
{
	for (size_t i = 0; i < log->n; i++)
		if (log->recs[i].id == id) {
			log->recs[i] = log->recs[--log->n];
			return true;
		}
	return false;
}

void lw_action_log_note_released(struct lw_action_log *log, uint64_t id)
{
	if (log->nreleased == LW_RELEASED_MAX) {	/* the oldest goes */
		memmove(&log->released[0], &log->released[1],
		    (LW_RELEASED_MAX - 1) * sizeof log->released[0]);
		log->nreleased--;
	}
	log->released[log->nreleased++] = id;
}

json_t *lw_action_rec_json(const struct lw_action_rec *r)
{
	char start[LW_TIME_STRLEN], until[LW_TIME_STRLEN];
	json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:I}",
	    "id", (json_int_t)r->id, "action", r->action, "target",
	    r->target.text, "backend", r->backend, "origin", r->origin,
	    "start", lw_time_format(r->start_ns, start, sizeof start),
	    "start_ns", (json_int_t)r->start_ns, "until_ns",
	    (json_int_t)r->until_ns);

	json_object_set_new(o, "until", json_string(lw_time_format(
	    r->until_ns, until, sizeof until)));
	if (*r->target.mac)
		json_object_set_new(o, "mac", json_string(r->target.mac));
	if (*r->target.ip)
		json_object_set_new(o, "ip", json_string(r->target.ip));
	if (*r->ref)
		json_object_set_new(o, "ref", json_string(r->ref));
	return o;
}

json_t *lw_action_log_to_json(const struct lw_action_log *log)
{
	json_t *list = json_array(), *released = json_array();

	for (size_t i = 0; i < log->n; i++)
		json_array_append_new(list, lw_action_rec_json(&log->recs[i]));
	for (size_t i = 0; i < log->nreleased; i++)
		json_array_append_new(released, json_integer(
		    (json_int_t)log->released[i]));
	return json_pack("{s:s, s:i, s:I, s:o, s:o}", "kind", "actions",
	    "version", 1, "next_id", (json_int_t)log->next_id, "actions",
	    list, "released", released);
}

static const char *member(const json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

static bool uint_member(const json_t *o, const char *name, uint64_t *out)
{
	json_t *v = json_object_get(o, name);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*out = (uint64_t)json_integer_value(v);
	return true;
}

/* One saved entry; false when it does not parse. */
static bool rec_from_json(struct lw_action_rec *r, const json_t *a)
{
	const char *action = member(a, "action");
	const char *origin = member(a, "origin"), *scene = member(a, "scene");
	struct lw_target extra;

	memset(r, 0, sizeof *r);
	if (!action || (strcmp(action, "lockdown") != 0 &&
	    strcmp(action, "quarantine") != 0) ||
	    !lw_target_parse(&r->target, member(a, "target")) ||
	    !uint_member(a, "id", &r->id) ||
	    !uint_member(a, "until_ns", &r->until_ns))
		return false;
	uint_member(a, "start_ns", &r->start_ns);
	copy(r->action, sizeof r->action, action);
	/* The MAC and IP known besides the target, re-parsed. */
	if (lw_target_parse(&extra, member(a, "mac")) && *extra.mac)
		copy(r->target.mac, sizeof r->target.mac, extra.mac);
	if (lw_target_parse(&extra, member(a, "ip")) && *extra.ip)
		copy(r->target.ip, sizeof r->target.ip, extra.ip);
	copy(r->backend, sizeof r->backend, member(a, "backend"));
	copy(r->ref, sizeof r->ref, member(a, "ref"));
	if (origin)
		copy(r->origin, sizeof r->origin, origin);
	else	/* written before origins: the scene that asked */
		snprintf(r->origin, sizeof r->origin, "scene:%.60s",
		    scene ? scene : "?");
	return *r->backend != '\0';
}

void lw_action_log_from_json(struct lw_action_log *log, const json_t *doc,
    unsigned *skipped)
{
	size_t i;
	json_t *a;
	uint64_t id;

	uint_member(doc, "next_id", &log->next_id);
	json_array_foreach(json_object_get(doc, "actions"), i, a) {
		struct lw_action_rec r;
		if (log->n == LW_ACTION_LOG_MAX || !rec_from_json(&r, a)) {
			(*skipped)++;
			continue;
		}
		if (r.id > log->next_id)
			log->next_id = r.id;
		log->recs[log->n++] = r;
	}
	json_array_foreach(json_object_get(doc, "released"), i, a) {
		if (json_is_integer(a) && (id = (uint64_t)json_integer_value(a)))
			lw_action_log_note_released(log, id);
	}
}
