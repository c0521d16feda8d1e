/*
 * scene_eval.c - run facts through the scenes (see scene.h).
 *
 * Per fact: the scenes listening to its type that have no equality
 * condition are tried in turn; the others are found through an index
 * keyed by (field, value of that condition), so adding scenes that wait
 * for other values costs a fact nothing.  A scene that matches updates
 * its group's window (a ring of times for counts, a small set of
 * (value, time) for distinct counts, both sized by the threshold) and
 * fires when the count reaches the threshold outside the cooldown.
 * Only firing allocates: the scene event is built as JSON then.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "labwarden/actor.h"
#include "labwarden/capture.h"
#include "labwarden/clock.h"
#include "labwarden/keys.h"
#include "labwarden/scene.h"

#define SCENE_SHARE_PERCENT	25	/* of limits.memory_mb, for windows */
#define TEMPLATE_MAX		1024
#define SOFT_ALLOW_CAPACITY	4096

struct lw_scene_list {
	struct lw_scene **items;
	unsigned n;
};

/* Sorted (slot, value hash) -> scene entries; one array per fact type. */
struct index_entry {
	int	 slot;
	uint64_t hash;
	struct lw_scene *scene;
};

struct lw_scene_index {
	struct index_entry *entries;
	unsigned n;
	int	 slots[LW_FACT_MAX_FIELDS];	/* distinct slots, in order */
	unsigned nslots;
};

/* Window state of one group; the ring or set follows it. */
struct group_state {
	uint64_t last_fired_ns;
	uint32_t head, n;	/* ring: oldest at head; set: n used */
};

struct distinct_entry {
	uint64_t hash;
	uint64_t ts_ns;
};

/* ---- values of fields ---- */

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

/* A hash of a fact's field as its kind sees it (0x5e7 when unset). */
static uint64_t value_hash(enum lw_field_kind kind, const struct lw_value *v)
{
	if (!v->set)
		return 0x5e7;
	switch (kind) {
	case LW_FK_STR: return lw_hash64(v->u.str, strlen(v->u.str));
	case LW_FK_INT: return mix(1, (uint64_t)v->u.num);
	case LW_FK_BOOL: return mix(2, v->u.flag);
	case LW_FK_REAL: {
		uint64_t bits;
		memcpy(&bits, &v->u.real, sizeof bits);
		return mix(3, bits);
	}
	case LW_FK_IP:
		return lw_hash64(&v->u.ip, 1 + (v->u.ip.family == 4 ? 4 : 16));
	case LW_FK_MAC: return lw_hash64(v->u.mac, 6);
	case LW_FK_ANSWERS: return 0x5e7;
	}
	return 0;
}

/* The same hash for a condition's constant. */
static uint64_t const_hash(enum lw_field_kind kind, const struct lw_const *c)
{
	struct lw_value v = { .set = true };

	switch (kind) {
	case LW_FK_STR: v.u.str = c->str; break;
	case LW_FK_INT: v.u.num = c->num; break;
	case LW_FK_BOOL: v.u.flag = c->flag; break;
	case LW_FK_REAL: v.u.real = c->real; break;
	case LW_FK_IP: v.u.ip = c->ip; break;
	case LW_FK_MAC: memcpy(v.u.mac, c->mac, 6); break;
	case LW_FK_ANSWERS: break;
	}
	return value_hash(kind, &v);
}

static bool addr_equal(const struct lw_addr *a, const struct lw_addr *b)
{
	return a->family == b->family &&
	    memcmp(a->bytes, b->bytes, a->family == 4 ? 4 : 16) == 0;
}

static bool equal(enum lw_field_kind kind, const struct lw_value *v,
    const struct lw_const *c)
{
	switch (kind) {
	case LW_FK_STR: return strcmp(v->u.str, c->str) == 0;
	case LW_FK_INT: return v->u.num == c->num;
	case LW_FK_BOOL: return v->u.flag == c->flag;
	case LW_FK_REAL: return v->u.real == c->real;
	case LW_FK_IP: return addr_equal(&v->u.ip, &c->ip);
	case LW_FK_MAC: return memcmp(v->u.mac, c->mac, 6) == 0;
	case LW_FK_ANSWERS: return false;
	}
	return false;
}

/* -1, 0, 1 for numbers; 0 for anything else. */
static int compare(enum lw_field_kind kind, const struct lw_value *v,
    const struct lw_const *c)
{
	if (kind == LW_FK_INT)
		return (v->u.num > c->num) - (v->u.num < c->num);
	if (kind == LW_FK_REAL)
		return (v->u.real > c->real) - (v->u.real < c->real);
	return 0;
}

static bool in_network(const struct lw_network *net, const struct lw_addr *a)
{
	for (size_t i = 0; i < net->ncidrs; i++)
		if (lw_cidr_contains(&net->cidrs[i], a))
			return true;
	return false;
}

static bool in_list(const struct lw_cond *c, const struct lw_value *v)
{
	for (unsigned i = 0; i < c->nlist; i++)
		if (equal(c->kind, v, &c->list[i]))
			return true;
	return false;
}

static bool cond_holds(const struct lw_cond *c, const struct lw_fact *f)
{
	const struct lw_value *v = &f->v[c->slot];

	if (c->op == LW_OP_EXISTS)
		return v->set == c->value.flag;
	if (!v->set)		/* every other test needs a value */
		return c->op == LW_OP_NE || c->op == LW_OP_NOT_IN ||
		    c->op == LW_OP_NOT_IN_NET;
	switch (c->op) {
	case LW_OP_EQ: return equal(c->kind, v, &c->value);
	case LW_OP_NE: return !equal(c->kind, v, &c->value);
	case LW_OP_LT: return compare(c->kind, v, &c->value) < 0;
	case LW_OP_LE: return compare(c->kind, v, &c->value) <= 0;
	case LW_OP_GT: return compare(c->kind, v, &c->value) > 0;
	case LW_OP_GE: return compare(c->kind, v, &c->value) >= 0;
	case LW_OP_IN: return in_list(c, v);
	case LW_OP_NOT_IN: return !in_list(c, v);
	case LW_OP_IN_NET: return in_network(c->net, &v->u.ip);
	case LW_OP_NOT_IN_NET: return !in_network(c->net, &v->u.ip);
	case LW_OP_GLOB: return fnmatch(c->glob, v->u.str, 0) == 0;
	case LW_OP_REGEX: return regexec(&c->regex, v->u.str, 0, NULL, 0) == 0;
	case LW_OP_EXISTS: break;
	}
	return false;
}

static bool conds_hold(const struct lw_scene *sc, const struct lw_fact *f)
{
	for (unsigned i = 0; i < sc->nconds; i++)
		if (!cond_holds(&sc->conds[i], f))
			return false;
	return true;
}

static uint64_t fields_hash(const struct lw_scene *sc, const int *slots,
    unsigned n, const struct lw_fact *f)
{
	unsigned nfields;
	const struct lw_field_def *defs = lw_fact_schema(sc->on, &nfields);
	uint64_t h = 0x1234567;

	for (unsigned i = 0; i < n; i++)
		h = mix(h, value_hash(defs[slots[i]].kind, &f->v[slots[i]]));
	return h;
}

/* ---- templates and the scene event ---- */

static void value_text(enum lw_field_kind kind, const struct lw_value *v,
    char *buf, size_t len)
{
	if (!v->set) {
		snprintf(buf, len, "-");
		return;
	}
	switch (kind) {
	case LW_FK_STR: snprintf(buf, len, "%s", v->u.str); break;
	case LW_FK_INT: snprintf(buf, len, "%lld", (long long)v->u.num); break;
	case LW_FK_BOOL: snprintf(buf, len, "%s", v->u.flag ? "true" : "false");
		break;
	case LW_FK_REAL: snprintf(buf, len, "%g", v->u.real); break;
	case LW_FK_IP: lw_addr_str(&v->u.ip, buf, len); break;
	case LW_FK_MAC: lw_mac_str(v->u.mac, buf, len); break;
	case LW_FK_ANSWERS: snprintf(buf, len, "answers"); break;
	}
}

struct firing {
	const struct lw_scene *sc;
	const struct lw_fact *fact;	/* NULL for a schedule */
	uint64_t now_ns;
	uint32_t value;			/* the count that crossed, or 0 */
};

/* Expand {field}, {scene}, {value} in text (checked at load time). */
static void expand(const struct firing *fi, const char *text, char *out,
    size_t len)
{
	size_t n = 0;
	char name[64], val[1100];

	while (*text && n + 1 < len) {
		const char *close = text[0] == '{' ? strchr(text, '}') : NULL;
		if (!close || (size_t)(close - text) > sizeof name) {
			out[n++] = *text++;
			continue;
		}
		memcpy(name, text + 1, (size_t)(close - text - 1));
		name[close - text - 1] = '\0';
		int slot = fi->fact ? lw_fact_field_index(fi->fact->type,
		    name) : -1;
		unsigned nf;
		if (strcmp(name, "scene") == 0)
			snprintf(val, sizeof val, "%s", fi->sc->name);
		else if (strcmp(name, "value") == 0)
			snprintf(val, sizeof val, "%u", fi->value);
		else if (slot >= 0)
			value_text(lw_fact_schema(fi->fact->type, &nf)[slot].kind,
			    &fi->fact->v[slot], val, sizeof val);
		else
			snprintf(val, sizeof val, "-");
		n += (size_t)snprintf(out + n, len - n, "%s", val);
		if (n >= len)
			n = len - 1;
		text = close + 1;
	}
	out[n] = '\0';
}

static const char *param(const struct lw_action *a, const char *name)
{
	for (unsigned i = 0; i < a->nparams; i++)
		if (strcmp(a->params[i].name, name) == 0)
			return a->params[i].value;
	return NULL;
}

/* How long an action lasts when the rule does not say. */
static uint64_t default_for(enum lw_action_kind kind)
{
	switch (kind) {
	case LW_ACT_QUARANTINE: return 24 * 3600 * LW_NS_PER_SEC;
	case LW_ACT_LOCKDOWN: return 3600 * LW_NS_PER_SEC;
	case LW_ACT_CAPTURE: return 300 * LW_NS_PER_SEC;
	default: return 0;
	}
}

static bool soft_allowed(struct lw_scene_engine *eng, const char *target,
    uint64_t now, uint64_t *until)
{
	uint64_t key = lw_hash64(target, strlen(target));
	uint64_t *t = lw_table_peek(&eng->soft_allow, &key);

	if (!t || *t <= now)
		return false;
	*until = *t;
	return true;
}

static uint64_t param_uint(const struct lw_action *a, const char *name)
{
	const char *text = param(a, name);
	return text ? strtoull(text, NULL, 10) : 0;
}

/* --act: a capture really starts; "done" with its file, or "failed". */
static const char *start_capture(struct lw_scene_engine *eng,
    const struct firing *fi, const struct lw_action *a, const char *target,
    uint64_t for_ns, json_t *o)
{
	char path[LW_CAPTURE_PATH_MAX], err[600], filter[TEMPLATE_MAX];
	const char *filter_text = param(a, "filter");

	if (!eng->capturer) {
		json_object_set_new(o, "detail", json_string("captures are "
		    "off: set capture_dir"));
		return "failed";
	}
	if (filter_text)
		expand(fi, filter_text, filter, sizeof filter);
	if (!lw_capturer_start(eng->capturer, fi->sc->name, target,
	    filter_text ? filter : NULL, fi->now_ns, for_ns,
	    param_uint(a, "max_bytes"), param_uint(a, "max_packets"), path,
	    sizeof path, err, sizeof err)) {
		json_object_set_new(o, "detail", json_string(err));
		return "failed";
	}
	json_object_set_new(o, "file", json_string(path));
	return "done";
}

/* Facts that name a host by MAC and IP together: (MAC field, IP field). */
static const char *const host_pairs[][2] = {
	{ "mac", "ip" }, { "new_mac", "ip" }, { "mac", "assigned_ip" },
	{ "mac", "requested_ip" }, { "src_mac", "src_ip" },
};

/* The field's text in the fact, or false when it has none. */
static bool fact_text(const struct lw_fact *f, const char *name, char *buf,
    size_t len)
{
	unsigned nf;
	int slot = lw_fact_field_index(f->type, name);

	if (slot < 0 || !f->v[slot].set)
		return false;
	value_text(lw_fact_schema(f->type, &nf)[slot].kind, &f->v[slot], buf,
	    len);
	return true;
}

/* The target as the rule gave it, plus the other address of the same
 * host when the triggering fact pairs them (new_mac: mac with ip). */
static void fill_target(const struct firing *fi, const char *text,
    struct lw_target *t)
{
	char mac[sizeof t->mac], ip[sizeof t->ip];

	memset(t, 0, sizeof *t);
	snprintf(t->text, sizeof t->text, "%s", text);
	for (size_t i = 0; fi->fact && i < sizeof host_pairs /
	    sizeof host_pairs[0]; i++) {
		if (!fact_text(fi->fact, host_pairs[i][0], mac, sizeof mac) ||
		    !fact_text(fi->fact, host_pairs[i][1], ip, sizeof ip))
			continue;
		if (strcasecmp(mac, text) != 0 && strcmp(ip, text) != 0)
			continue;
		memcpy(t->mac, mac, sizeof t->mac);
		memcpy(t->ip, ip, sizeof t->ip);
		return;
	}
}

/*
 * --act: hand a lockdown, quarantine or release to the action layer; or,
 * when the scenes refused it already (refusal is set: the soft allow),
 * have the refusal recorded there like any other.
 */
static const char *carry_out(struct lw_scene_engine *eng,
    const struct firing *fi, const struct lw_action *a, const char *target,
    uint64_t for_ns, const char *refusal, json_t *o)
{
	char origin[80];
	struct lw_act_req req = {
		.op = a->kind == LW_ACT_QUARANTINE ? LW_REQ_QUARANTINE :
		    a->kind == LW_ACT_LOCKDOWN ? LW_REQ_LOCKDOWN : LW_REQ_RELEASE,
		.backend = a->backend, .origin = origin, .automatic = true,
		.now_ns = fi->now_ns, .for_ns = for_ns,
	};

	if (!eng->actor) {
		json_object_set_new(o, "detail", json_string("no action layer"));
		return "failed";
	}
	snprintf(origin, sizeof origin, "scene:%s", fi->sc->name);
	fill_target(fi, target, &req.target);
	if (refusal) {	/* a copy: the call replaces o's detail */
		char why[TEMPLATE_MAX];
		snprintf(why, sizeof why, "%s", refusal);
		lw_actor_refuse(eng->actor, &req, why, o);
		return "refused";
	}
	return lw_actor_submit(eng->actor, &req, o);
}

/* One name's request, added to the summary of a "*" rotation. */
static const char *rotate_one(struct lw_scene_engine *eng, const char *name,
    const char *origin, uint64_t now_ns, char *summary, size_t len)
{
	char detail[512];
	size_t used = strlen(summary);
	const char *st = lw_keys_request(eng->keys, name, origin, now_ns,
	    detail, sizeof detail);

	snprintf(summary + used, len - used, "%s%s", used ? "; " : "",
	    strcmp(st, "pending") == 0 ? name : detail);
	return st;
}

/* --act: ask the rotator for the key, or for every key ("*"); the
 * outcome comes later as a key_rotation event. */
static const char *rotate_keys(struct lw_scene_engine *eng,
    const struct firing *fi, const struct lw_action *a, json_t *o)
{
	char name[TEMPLATE_MAX], origin[160], summary[TEMPLATE_MAX] = "";
	const char *text = param(a, "key"), *status = NULL;
	size_t n = lw_keys_count(eng->keys);

	expand(fi, text ? text : "*", name, sizeof name);
	snprintf(origin, sizeof origin, "scene:%s", fi->sc->name);
	if (strcmp(name, "*") != 0)
		status = rotate_one(eng, name, origin, fi->now_ns, summary,
		    sizeof summary);
	for (size_t i = 0; strcmp(name, "*") == 0 && i < n; i++) {
		const char *st = rotate_one(eng, lw_keys_name(eng->keys, i),
		    origin, fi->now_ns, summary, sizeof summary);
		if (!status || strcmp(st, "pending") == 0)
			status = st;
	}
	if (!status) {
		json_object_set_new(o, "detail", json_string("no keys under "
		    "keys: - nothing to rotate"));
		return "done";
	}
	json_object_set_new(o, "detail", json_string(summary));
	return status;
}

static json_t *action_json(struct lw_scene_engine *eng,
    const struct firing *fi, const struct lw_action *a)
{
	char text[TEMPLATE_MAX], ts[LW_TIME_STRLEN];
	json_t *o = json_object();
	const char *status = "dry-run";
	uint64_t allowed_until;

	json_object_set_new(o, "action", json_string(lw_action_name(a->kind)));
	if (a->target) {
		expand(fi, a->target, text, sizeof text);
		json_object_set_new(o, "target", json_string(text));
		if (a->kind != LW_ACT_RELEASE &&
		    soft_allowed(eng, text, fi->now_ns, &allowed_until)) {
			status = "refused";
			json_object_set_new(o, "detail", json_sprintf(
			    "released by hand; allowed until %s",
			    lw_time_format(allowed_until, ts, sizeof ts)));
		}
		if (a->kind == LW_ACT_RELEASE)
			lw_scene_engine_release(eng, text, fi->now_ns);
	}
	const char *backend = a->backend ? a->backend :
	    eng->cfg->default_backend ? eng->cfg->default_backend : "local";
	if (a->kind != LW_ACT_NOTIFY && a->kind != LW_ACT_ROTATE_KEY)
		json_object_set_new(o, "backend", json_string(backend));
	uint64_t for_ns = a->for_ns ? a->for_ns : default_for(a->kind);
	if (a->kind == LW_ACT_CAPTURE && eng->act && a->target &&
	    strcmp(status, "refused") != 0)
		status = start_capture(eng, fi, a, text, for_ns, o);
	else if ((a->kind == LW_ACT_LOCKDOWN || a->kind == LW_ACT_QUARANTINE ||
	    a->kind == LW_ACT_RELEASE) && eng->act && a->target)
		status = carry_out(eng, fi, a, text, for_ns,
		    strcmp(status, "refused") == 0 ? json_string_value(
		    json_object_get(o, "detail")) : NULL, o);
	else if (a->kind == LW_ACT_ROTATE_KEY && eng->act && eng->keys)
		status = rotate_keys(eng, fi, a, o);
	json_object_set_new(o, "status", json_string(status));
	if (for_ns && a->kind != LW_ACT_RELEASE)
		json_object_set_new(o, "until", json_string(lw_time_format(
		    fi->now_ns + for_ns, ts, sizeof ts)));
	const char *detail = a->kind == LW_ACT_NOTIFY ? param(a, "message") :
	    a->kind == LW_ACT_ROTATE_KEY ? param(a, "key") : NULL;
	if (detail && !json_object_get(o, "detail")) {
		expand(fi, detail, text, sizeof text);
		json_object_set_new(o, "detail", json_string(text));
	} else if (a->kind == LW_ACT_NOTIFY && !json_object_get(o, "detail")) {
		json_object_set_new(o, "detail", json_sprintf("%s: %s",
		    fi->sc->name, fi->sc->description ? fi->sc->description :
		    "fired"));
	}
	return o;
}

static json_t *key_json(const struct firing *fi)
{
	json_t *key = json_object();
	unsigned nf;
	char buf[1100];

	if (!fi->fact)
		return key;
	const struct lw_field_def *defs = lw_fact_schema(fi->fact->type, &nf);
	for (unsigned i = 0; i < fi->sc->ngroup; i++) {
		int slot = fi->sc->group[i];
		value_text(defs[slot].kind, &fi->fact->v[slot], buf, sizeof buf);
		json_object_set_new(key, defs[slot].name, json_string(buf));
	}
	return key;
}

static void fire(struct lw_scene_engine *eng, const struct firing *fi)
{
	struct lw_scene *sc = (struct lw_scene *)fi->sc;

	sc->fired++;
	eng->firings++;
	/* Built even when not written: building it carries the actions
	 * out (captures, releases), and firing is rare. */
	json_t *ev = lw_event_new(LW_EV_SCENE, fi->now_ns);
	json_object_set_new(ev, "scene", json_string(sc->name));
	json_object_set_new(ev, "key", key_json(fi));
	if (sc->agg != LW_AGG_NONE)
		json_object_set_new(ev, "value", json_integer(fi->value));
	if (fi->fact)
		json_object_set_new(ev, "trigger", lw_fact_to_json(fi->fact));
	json_t *actions = json_array();
	for (unsigned i = 0; i < sc->nactions; i++)
		json_array_append_new(actions, action_json(eng, fi,
		    &sc->actions[i]));
	json_object_set_new(ev, "actions", actions);
	if (lw_writer_wants(eng->writer, LW_EV_SCENE))
		lw_writer_put(eng->writer, ev);
	else
		json_decref(ev);
}

/* ---- windows ---- */

static size_t state_size(const struct lw_scene *sc)
{
	size_t per = sc->agg == LW_AGG_DISTINCT ?
	    sizeof(struct distinct_entry) : sizeof(uint64_t);
	return sizeof(struct group_state) +
	    (sc->agg == LW_AGG_NONE ? 0 : per * sc->threshold);
}

/* Count one more fact; true when the window now holds threshold. */
static bool count_fact(const struct lw_scene *sc, struct group_state *g,
    uint64_t now)
{
	uint64_t *ring = (uint64_t *)(void *)(g + 1);
	uint32_t cap = sc->threshold;

	ring[(g->head + g->n) % cap] = now;
	if (g->n < cap)
		g->n++;
	else
		g->head = (g->head + 1) % cap;
	/* The ring is full and its oldest time is inside the window. */
	return g->n == cap && now - ring[g->head] < sc->within_ns;
}

/* With below: count one more fact; true while fewer than threshold
 * facts (this one included) are in the window.  *count gets the count. */
static bool count_below(const struct lw_scene *sc, struct group_state *g,
    uint64_t now, uint32_t *count)
{
	uint64_t *ring = (uint64_t *)(void *)(g + 1);
	uint32_t cap = sc->threshold, inside = 0;

	ring[(g->head + g->n) % cap] = now;
	if (g->n < cap)
		g->n++;
	else
		g->head = (g->head + 1) % cap;
	for (uint32_t i = 0; i < g->n; i++)
		inside += now - ring[(g->head + i) % cap] < sc->within_ns;
	*count = inside;
	return inside < cap;
}

/* Add a value; true when threshold distinct values are in the window. */
static bool count_distinct(const struct lw_scene *sc, struct group_state *g,
    uint64_t value, uint64_t now)
{
	struct distinct_entry *set = (struct distinct_entry *)(void *)(g + 1);
	uint32_t kept = 0;
	bool seen = false;

	for (uint32_t i = 0; i < g->n; i++) {	/* drop what has expired */
		if (now - set[i].ts_ns >= sc->within_ns)
			continue;
		if (set[i].hash == value) {
			set[i].ts_ns = now;
			seen = true;
		}
		set[kept++] = set[i];
	}
	g->n = kept;
	if (!seen && g->n < sc->threshold)
		set[g->n++] = (struct distinct_entry){ value, now };
	return g->n >= sc->threshold;
}

static void evaluate(struct lw_scene_engine *eng, struct lw_scene *sc,
    const struct lw_fact *f)
{
	bool created, due = true;
	uint32_t value = 0;

	if (!sc->enabled || !conds_hold(sc, f))
		return;
	if (sc->agg == LW_AGG_NONE && sc->cooldown_ns == 0) {
		fire(eng, &(struct firing){ sc, f, f->ts_ns, 0 });
		return;
	}
	uint64_t key = fields_hash(sc, sc->group, sc->ngroup, f);
	struct group_state *g = lw_table_put(&sc->groups, &key, &created);
	if (g->last_fired_ns && sc->cooldown_ns &&
	    f->ts_ns - g->last_fired_ns < sc->cooldown_ns)
		return;		/* quiet: not even counted */
	if (sc->agg == LW_AGG_COUNT && sc->below) {
		due = count_below(sc, g, f->ts_ns, &value);
		if (due) {	/* the window keeps counting */
			g->last_fired_ns = f->ts_ns ? f->ts_ns : 1;
			fire(eng, &(struct firing){ sc, f, f->ts_ns, value });
		}
		return;
	} else if (sc->agg == LW_AGG_COUNT) {
		due = count_fact(sc, g, f->ts_ns);
		value = sc->threshold;
	} else if (sc->agg == LW_AGG_DISTINCT) {
		uint64_t v = fields_hash(sc, sc->distinct, sc->ndistinct, f);
		due = count_distinct(sc, g, v, f->ts_ns);
		value = g->n;
	}
	if (!due)
		return;
	g->last_fired_ns = f->ts_ns ? f->ts_ns : 1;
	g->n = g->head = 0;	/* the next firing needs a new window */
	fire(eng, &(struct firing){ sc, f, f->ts_ns, value });
}

/* ---- the index ---- */

static bool list_add(struct lw_scene_list **list, struct lw_scene *sc)
{
	if (!*list && !(*list = calloc(1, sizeof **list)))
		return false;
	void *p = realloc((*list)->items, ((*list)->n + 1) * sizeof sc);
	if (!p)
		return false;
	(*list)->items = p;
	(*list)->items[(*list)->n++] = sc;
	return true;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct index_entry *x = a, *y = b;

	if (x->slot != y->slot)
		return x->slot < y->slot ? -1 : 1;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return 0;
}

/* The first equality condition a scene can be found by, or -1. */
static int index_cond(const struct lw_scene *sc)
{
	for (unsigned i = 0; i < sc->nconds; i++)
		if (sc->conds[i].op == LW_OP_EQ &&
		    sc->conds[i].kind != LW_FK_REAL)
			return (int)i;
	return -1;
}

static bool index_add(struct lw_scene_index **idx, struct lw_scene *sc)
{
	const struct lw_cond *c = &sc->conds[sc->index_cond];
	if (!*idx && !(*idx = calloc(1, sizeof **idx)))
		return false;
	struct lw_scene_index *ix = *idx;
	void *p = realloc(ix->entries, (ix->n + 1) * sizeof *ix->entries);
	if (!p)
		return false;
	ix->entries = p;
	ix->entries[ix->n++] = (struct index_entry){ c->slot,
	    const_hash(c->kind, &c->value), sc };
	bool known = false;
	for (unsigned i = 0; i < ix->nslots; i++)
		known |= ix->slots[i] == c->slot;
	if (!known)
		ix->slots[ix->nslots++] = c->slot;
	return true;
}

static bool build_index(struct lw_scene_set *set)
{
	for (unsigned i = 0; i < set->nscenes; i++) {
		struct lw_scene *sc = set->scenes[i];
		if (sc->on == LW_EV_COUNT)
			continue;
		sc->index_cond = index_cond(sc);
		if (!(sc->index_cond < 0 ? list_add(&set->always[sc->on], sc) :
		    index_add(&set->index[sc->on], sc)))
			return false;
	}
	for (int t = 0; t < LW_EV_COUNT; t++)
		if (set->index[t])
			qsort(set->index[t]->entries, set->index[t]->n,
			    sizeof(struct index_entry), cmp_entry);
	return true;
}

static void free_index(struct lw_scene_set *set)
{
	for (int t = 0; t < LW_EV_COUNT; t++) {
		if (set->always[t])
			free(set->always[t]->items);
		free(set->always[t]);
		if (set->index[t])
			free(set->index[t]->entries);
		free(set->index[t]);
		set->always[t] = NULL;
		set->index[t] = NULL;
	}
}

/* Scenes indexed under (slot, hash), in load order. */
static void run_indexed(struct lw_scene_engine *eng,
    const struct lw_scene_index *ix, const struct lw_fact *f)
{
	unsigned nf;
	const struct lw_field_def *defs = lw_fact_schema(f->type, &nf);

	for (unsigned s = 0; s < ix->nslots; s++) {
		int slot = ix->slots[s];
		struct index_entry key = { slot, value_hash(defs[slot].kind,
		    &f->v[slot]), NULL };
		unsigned lo = 0, hi = ix->n;
		while (lo < hi) {	/* first entry >= key */
			unsigned mid = (lo + hi) / 2;
			if (cmp_entry(&ix->entries[mid], &key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < ix->n && cmp_entry(&ix->entries[lo], &key) == 0;
		    lo++)
			evaluate(eng, ix->entries[lo].scene, f);
	}
}

void lw_scene_engine_fact(void *engine, const struct lw_fact *f)
{
	struct lw_scene_engine *eng = engine;
	struct lw_scene_set *set = eng->set;

	if ((unsigned)f->type >= LW_EV_COUNT)
		return;
	eng->now_ns = f->ts_ns;
	const struct lw_scene_list *always = set->always[f->type];
	for (unsigned i = 0; always && i < always->n; i++)
		evaluate(eng, always->items[i], f);
	if (set->index[f->type])
		run_indexed(eng, set->index[f->type], f);
}

/* ---- schedules ---- */

/* The next weekly time strictly after now (UTC). */
static uint64_t next_weekly(const struct lw_scene *sc, uint64_t now_ns)
{
	uint64_t secs = now_ns / LW_NS_PER_SEC;
	uint64_t day = secs / 86400, in_day = secs % 86400;
	int weekday = (int)((day + 4) % 7);	/* 1970-01-01 was a Thursday */
	uint64_t at = (uint64_t)sc->minute_of_day * 60;
	uint64_t ahead = (uint64_t)((sc->weekday - weekday + 7) % 7);

	if (ahead == 0 && in_day >= at)
		ahead = 7;
	return ((day + ahead) * 86400 + at) * LW_NS_PER_SEC;
}

static uint64_t next_run(const struct lw_scene *sc, uint64_t now_ns)
{
	return sc->weekday >= 0 ? next_weekly(sc, now_ns) :
	    now_ns + sc->period_ns;
}

void lw_scene_engine_tick(struct lw_scene_engine *eng, uint64_t now_ns)
{
	eng->now_ns = now_ns;
	for (unsigned i = 0; i < eng->set->nscenes; i++) {
		struct lw_scene *sc = eng->set->scenes[i];
		if (sc->on != LW_EV_COUNT || !sc->enabled)
			continue;
		if (!sc->next_run_ns) {		/* the first tick */
			sc->next_run_ns = next_run(sc, now_ns);
			continue;
		}
		if (now_ns < sc->next_run_ns)
			continue;
		fire(eng, &(struct firing){ sc, NULL, sc->next_run_ns, 0 });
		sc->next_run_ns = next_run(sc, now_ns);
	}
}

/* ---- the engine ---- */

void lw_scene_engine_release(struct lw_scene_engine *eng, const char *target,
    uint64_t now_ns)
{
	uint64_t key = lw_hash64(target, strlen(target));
	bool created;
	uint64_t *until = lw_table_put(&eng->soft_allow, &key, &created);

	*until = now_ns + eng->soft_allow_ns;
}

/* Window tables for the scenes that keep state. */
static bool init_groups(struct lw_scene_set *set, const struct lw_config *cfg,
    char *err, size_t errlen)
{
	unsigned stateful = 0;

	for (unsigned i = 0; i < set->nscenes; i++)
		stateful += set->scenes[i]->agg != LW_AGG_NONE ||
		    set->scenes[i]->cooldown_ns > 0;
	uint64_t budget = cfg->memory_mb * 1024 * 1024 * SCENE_SHARE_PERCENT /
	    100 / (stateful ? stateful : 1);
	for (unsigned i = 0; i < set->nscenes; i++) {
		struct lw_scene *sc = set->scenes[i];
		if (sc->agg == LW_AGG_NONE && sc->cooldown_ns == 0)
			continue;
		size_t per = lw_table_bytes(64, 8, state_size(sc)) / 64 + 1;
		uint64_t cap = budget / per;
		cap = cap < 64 ? 64 : cap > (1u << 20) ? 1u << 20 : cap;
		if (!lw_table_init(&sc->groups, sc->name, (uint32_t)cap, 8,
		    state_size(sc))) {
			snprintf(err, errlen, "scene %s: out of memory",
			    sc->name);
			return false;
		}
	}
	return build_index(set) || (snprintf(err, errlen, "scenes: out of "
	    "memory"), false);
}

bool lw_scene_engine_init(struct lw_scene_engine *eng,
    struct lw_scene_set *set, struct lw_writer *writer,
    const struct lw_config *cfg, char *err, size_t errlen)
{
	memset(eng, 0, sizeof *eng);
	eng->set = set;
	eng->writer = writer;
	eng->cfg = cfg;
	eng->soft_allow_ns = cfg->soft_allow_ns;
	if (!lw_table_init(&eng->soft_allow, "soft_allow",
	    SOFT_ALLOW_CAPACITY, 8, 8)) {
		snprintf(err, errlen, "scenes: out of memory");
		return false;
	}
	return init_groups(set, cfg, err, errlen);
}

bool lw_scene_engine_reload(struct lw_scene_engine *eng,
    struct lw_scene_set *fresh, const char *const *paths, size_t npaths,
    struct lw_diag *diag, struct lw_scene_set **old, char *err,
    size_t errlen)
{
	*old = NULL;
	if (!lw_scenes_load(fresh, paths, npaths, eng->cfg, diag)) {
		lw_scenes_free(fresh);
		snprintf(err, errlen, "rules not reloaded: the scenes "
		    "running stay");
		return false;
	}
	if (!init_groups(fresh, eng->cfg, err, errlen)) {
		free_index(fresh);
		lw_scenes_free(fresh);
		return false;
	}
	free_index(eng->set);
	*old = eng->set;
	eng->set = fresh;
	return true;
}

void lw_scene_engine_free(struct lw_scene_engine *eng)
{
	lw_table_free(&eng->soft_allow);
	if (eng->set)
		free_index(eng->set);
}

void lw_scene_engine_print(const struct lw_scene_engine *eng, FILE *out)
{
	fprintf(out, "  scenes: %u loaded, %llu firings\n", eng->set->nscenes,
	    (unsigned long long)eng->firings);
	for (unsigned i = 0; i < eng->set->nscenes; i++) {
		const struct lw_scene *sc = eng->set->scenes[i];
		if (sc->fired || sc->groups.evictions)
			fprintf(out, "    %-22s fired %llu%s\n", sc->name,
			    (unsigned long long)sc->fired, sc->groups.evictions ?
			    " (window table evicting)" : "");
	}
}
