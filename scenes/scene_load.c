/*
 * scene_load.c - read scene files and check everything in them.
 *
 * Every mistake is reported with its file, line and column, and loading
 * goes on so that one run shows them all: unknown keys (with the near
 * miss), wrong types, unknown fact types or fields for that fact type,
 * bad durations, CIDRs and regular expressions, unknown actions, backends
 * and keys, and templates naming a field the fact does not have.
 *
 * A rules file holds a list of scenes, or one scene, or a mapping with
 * a "scenes:" list.  Lists and loops are capped (LW_MAX_SCENES, ...), so
 * even a file full of YAML aliases is read in bounded time.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "labwarden/scene.h"
#include "labwarden/yamldoc.h"

#define MAX_RULE_FILES	256

struct loader {
	struct lw_ydoc y;
	struct lw_scene_set *set;
	const struct lw_config *cfg;
};

static const char *const scene_keys[] = {
	"name", "description", "on", "when", "group_by", "count", "cooldown",
	"every", "actions", "enabled", NULL
};
static const char *const count_keys[] = {
	"distinct", "within", "at_least", "rate", "below", NULL
};
static const char *const op_names[] = {
	[LW_OP_EQ] = "==", [LW_OP_NE] = "!=", [LW_OP_LT] = "<",
	[LW_OP_LE] = "<=", [LW_OP_GT] = ">", [LW_OP_GE] = ">=",
	[LW_OP_IN] = "in", [LW_OP_NOT_IN] = "not_in",
	[LW_OP_IN_NET] = "in_network", [LW_OP_NOT_IN_NET] = "not_in_network",
	[LW_OP_GLOB] = "glob", [LW_OP_REGEX] = "regex",
	[LW_OP_EXISTS] = "exists", NULL
};
static const char *const action_names[LW_ACT_COUNT + 1] = {
	[LW_ACT_QUARANTINE] = "quarantine", [LW_ACT_LOCKDOWN] = "lockdown",
	[LW_ACT_CAPTURE] = "capture", [LW_ACT_ROTATE_KEY] = "rotate_key",
	[LW_ACT_NOTIFY] = "notify", [LW_ACT_RELEASE] = "release",
	[LW_ACT_COUNT] = NULL
};
/* Parameters each action takes, NULL-terminated. */
static const char *const action_params[LW_ACT_COUNT][8] = {
	[LW_ACT_QUARANTINE] = { "target", "for", "backend", NULL },
	[LW_ACT_LOCKDOWN] = { "target", "for", "backend", NULL },
	[LW_ACT_CAPTURE] = { "target", "for", "filter", "max_bytes",
	    "max_packets", NULL },
	[LW_ACT_ROTATE_KEY] = { "key", NULL },
	[LW_ACT_NOTIFY] = { "message", "title", "priority", NULL },
	[LW_ACT_RELEASE] = { "target", "backend", NULL },
};
/* Template names every scene has besides its fact's fields. */
static const char *const template_extras[] = { "scene", "value", NULL };
static const char *const weekdays[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL
};

const char *lw_action_name(enum lw_action_kind kind)
{
	return (unsigned)kind < LW_ACT_COUNT ? action_names[kind] : "?";
}

static bool key_is(const yaml_node_t *key, const char *name)
{
	return key->type == YAML_SCALAR_NODE &&
	    strcmp((const char *)key->data.scalar.value, name) == 0;
}

static yaml_node_t *node_at(struct loader *ld, int index)
{
	return lw_ydoc_node(&ld->y, index);
}

/* "where" for messages: the scene's name when it has one. */
static const char *who(const struct lw_scene *sc)
{
	return sc->name ? sc->name : "scene";
}

/* ---- fields and constants ---- */

/* The slot of a field of the scene's fact type, or -1 (reported). */
static int field_slot(struct loader *ld, const struct lw_scene *sc,
    const yaml_node_t *node, const char *name)
{
	unsigned n;
	const struct lw_field_def *defs = lw_fact_schema(sc->on, &n);
	const char *names[LW_FACT_MAX_FIELDS + 1];
	int slot = lw_fact_field_index(sc->on, name);

	if (slot >= 0)
		return slot;
	for (unsigned i = 0; i < n; i++)
		names[i] = defs[i].name;
	names[n] = NULL;
	const char *near = lw_suggest(name, names);
	lw_ydoc_error(&ld->y, node, "%s: %s has no field '%s'%s%s%s", who(sc),
	    lw_event_name(sc->on), name, near ? " - did you mean '" : "",
	    near ? near : "", near ? "'?" : "");
	return -1;
}

static enum lw_field_kind slot_kind(const struct lw_scene *sc, int slot)
{
	unsigned n;
	return lw_fact_schema(sc->on, &n)[slot].kind;
}

static bool parse_bool(const char *text, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", NULL };
	static const char *const no[] = { "false", "no", "off", NULL };

	for (int i = 0; yes[i]; i++) {
		if (strcmp(text, yes[i]) == 0)
			return *out = true, true;
		if (strcmp(text, no[i]) == 0)
			return *out = false, true;
	}
	return false;
}

static bool parse_mac_text(const char *text, uint8_t mac[6])
{
	unsigned b[6];
	char tail;

	if (strlen(text) != 17 || sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c",
	    &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
		return false;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return true;
}

/* A constant for a field of 'kind'; false (reported) if it is not one. */
static bool parse_const(struct loader *ld, const struct lw_scene *sc,
    const yaml_node_t *node, enum lw_field_kind kind, const char *field,
    struct lw_const *out)
{
	const char *text = lw_ydoc_str(&ld->y, node, who(sc));
	char *end, why[128];
	struct lw_cidr cidr;

	memset(out, 0, sizeof *out);
	if (!text)
		return false;
	out->str = text;	/* owned by the document: copied by caller */
	switch (kind) {
	case LW_FK_STR:
		return true;
	case LW_FK_INT:
		errno = 0;
		out->num = strtoll(text, &end, 10);
		if (!*text || *end || errno)
			break;
		return true;
	case LW_FK_REAL:
		errno = 0;
		out->real = strtod(text, &end);
		if (!*text || *end || errno)
			break;
		return true;
	case LW_FK_BOOL:
		if (parse_bool(text, &out->flag))
			return true;
		break;
	case LW_FK_IP:
		if (lw_cidr_parse(text, &cidr, why, sizeof why) &&
		    cidr.prefix == (cidr.addr.family == 4 ? 32u : 128u)) {
			out->ip = cidr.addr;
			return true;
		}
		break;
	case LW_FK_MAC:
		if (parse_mac_text(text, out->mac))
			return true;
		break;
	case LW_FK_ANSWERS:
		lw_ydoc_error(&ld->y, node, "%s: %s can only be tested with "
		    "exists", who(sc), field);
		out->str = NULL;
		return false;
	}
	out->str = NULL;	/* nothing to free: the text is the document's */
	static const char *const kinds[] = {
		[LW_FK_STR] = "text", [LW_FK_INT] = "a whole number",
		[LW_FK_BOOL] = "true or false", [LW_FK_REAL] = "a number",
		[LW_FK_IP] = "an IP address", [LW_FK_MAC] = "a MAC address",
		[LW_FK_ANSWERS] = "answers",
	};
	lw_ydoc_error(&ld->y, node, "%s: %s is %s, not '%s'", who(sc), field,
	    kinds[kind], text);
	return false;
}

/* Copy a constant's text out of the YAML document. */
static void keep_const(struct lw_const *c)
{
	if (c->str)
		c->str = strdup(c->str);
}

/* ---- conditions ---- */

static const struct lw_network *find_network(struct loader *ld,
    const char *name)
{
	const struct lw_network *net = lw_config_network(ld->cfg, name);
	if (net)
		return net;
	if (strcmp(name, "home") == 0)
		return &ld->set->default_home;
	return NULL;
}

static bool op_fits_kind(enum lw_cond_op op, enum lw_field_kind kind)
{
	switch (op) {
	case LW_OP_LT: case LW_OP_LE: case LW_OP_GT: case LW_OP_GE:
		return kind == LW_FK_INT || kind == LW_FK_REAL;
	case LW_OP_GLOB: case LW_OP_REGEX:
		return kind == LW_FK_STR;
	case LW_OP_IN_NET: case LW_OP_NOT_IN_NET:
		return kind == LW_FK_IP;
	case LW_OP_EXISTS:
		return true;
	default:
		return kind != LW_FK_ANSWERS;
	}
}

static bool cond_list(struct loader *ld, struct lw_scene *sc,
    struct lw_cond *c, const yaml_node_t *node, const char *field)
{
	if (!lw_ydoc_is_seq(&ld->y, node, field))
		return false;
	size_t n = (size_t)(node->data.sequence.items.top -
	    node->data.sequence.items.start);
	if (n > LW_SCENE_MAX_LIST) {
		lw_ydoc_error(&ld->y, node, "%s: %s: more than %d values",
		    who(sc), field, LW_SCENE_MAX_LIST);
		return false;
	}
	c->list = calloc(n ? n : 1, sizeof *c->list);
	if (!c->list)
		return false;
	bool ok = true;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *item = node_at(ld,
		    node->data.sequence.items.start[i]);
		if (parse_const(ld, sc, item, c->kind, field,
		    &c->list[c->nlist])) {
			keep_const(&c->list[c->nlist]);
			c->nlist++;
		} else
			ok = false;
	}
	return ok;
}

static bool cond_value(struct loader *ld, struct lw_scene *sc,
    struct lw_cond *c, const yaml_node_t *node, const char *field)
{
	char why[256];
	const char *text;

	switch (c->op) {
	case LW_OP_IN: case LW_OP_NOT_IN:
		return cond_list(ld, sc, c, node, field);
	case LW_OP_EXISTS:
		if (!(text = lw_ydoc_str(&ld->y, node, field)))
			return false;
		if (parse_bool(text, &c->value.flag))
			return true;
		lw_ydoc_error(&ld->y, node, "%s: exists: true or false, not "
		    "'%s'", who(sc), text);
		return false;
	case LW_OP_IN_NET: case LW_OP_NOT_IN_NET:
		if (!(text = lw_ydoc_str(&ld->y, node, field)))
			return false;
		if ((c->net = find_network(ld, text)))
			return true;
		lw_ydoc_error(&ld->y, node, "%s: no network named '%s' under "
		    "networks: in the configuration", who(sc), text);
		return false;
	case LW_OP_GLOB:
		if (!(text = lw_ydoc_str(&ld->y, node, field)))
			return false;
		c->glob = strdup(text);
		return c->glob != NULL;
	case LW_OP_REGEX:
		if (!(text = lw_ydoc_str(&ld->y, node, field)))
			return false;
		int rc = regcomp(&c->regex, text, REG_EXTENDED | REG_NOSUB);
		if (rc != 0) {
			regerror(rc, &c->regex, why, sizeof why);
			lw_ydoc_error(&ld->y, node, "%s: regex '%s': %s",
			    who(sc), text, why);
			return false;
		}
		c->has_regex = true;
		return true;
	default:
		if (!parse_const(ld, sc, node, c->kind, field, &c->value))
			return false;
		keep_const(&c->value);
		return true;
	}
}

static struct lw_cond *new_cond(struct loader *ld, struct lw_scene *sc,
    const yaml_node_t *at)
{
	if (sc->nconds == LW_SCENE_MAX_CONDS) {
		lw_ydoc_error(&ld->y, at, "%s: more than %d conditions",
		    who(sc), LW_SCENE_MAX_CONDS);
		return NULL;
	}
	struct lw_cond *c = &sc->conds[sc->nconds];
	memset(c, 0, sizeof *c);
	return c;
}

/* One "field: value" or "field: { op: value, ... }" of when:. */
static void parse_field_conds(struct loader *ld, struct lw_scene *sc,
    const yaml_node_t *key, const yaml_node_t *val)
{
	const char *field = lw_ydoc_str(&ld->y, key, "when");
	int slot;

	if (!field || (slot = field_slot(ld, sc, key, field)) < 0)
		return;
	enum lw_field_kind kind = slot_kind(sc, slot);
	if (val->type != YAML_MAPPING_NODE) {	/* field: value */
		struct lw_cond *c = new_cond(ld, sc, key);
		if (!c)
			return;
		c->slot = slot;
		c->kind = kind;
		c->op = LW_OP_EQ;
		cond_value(ld, sc, c, val, field);
		sc->nconds++;	/* even if bad: freed with the scene */
		return;
	}
	for (yaml_node_pair_t *p = val->data.mapping.pairs.start;
	    p < val->data.mapping.pairs.top; p++) {
		yaml_node_t *opkey = node_at(ld, p->key);
		const char *opname = lw_ydoc_str(&ld->y, opkey, field);
		int op = -1;
		for (int i = 0; opname && op_names[i]; i++)
			if (strcmp(opname, op_names[i]) == 0)
				op = i;
		if (op < 0) {
			if (opname)
				lw_ydoc_unknown_key(&ld->y, opkey, field,
				    op_names);
			continue;
		}
		if (!op_fits_kind((enum lw_cond_op)op, kind)) {
			lw_ydoc_error(&ld->y, opkey, "%s: '%s' does not apply "
			    "to %s", who(sc), opname, field);
			continue;
		}
		struct lw_cond *c = new_cond(ld, sc, opkey);
		if (!c)
			return;
		c->slot = slot;
		c->kind = kind;
		c->op = (enum lw_cond_op)op;
		cond_value(ld, sc, c, node_at(ld, p->value), field);
		sc->nconds++;	/* even if bad: freed with the scene */
	}
}

static void parse_when(struct loader *ld, struct lw_scene *sc,
    const yaml_node_t *node)
{
	if (!lw_ydoc_is_map(&ld->y, node, "when"))
		return;
	for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
	    p < node->data.mapping.pairs.top; p++)
		parse_field_conds(ld, sc, node_at(ld, p->key),
		    node_at(ld, p->value));
}

/* ---- group_by, count, cooldown, every ---- */

/* A field name or a list of them into slots; returns how many. */
static unsigned parse_fields(struct loader *ld, struct lw_scene *sc,
    const yaml_node_t *node, const char *what, int *slots, unsigned max)
{
	unsigned n = 0;

	if (node->type == YAML_SCALAR_NODE) {
		int slot = field_slot(ld, sc, node,
		    (const char *)node->data.scalar.value);
		if (slot >= 0)
			slots[n++] = slot;
		return n;
	}
	if (!lw_ydoc_is_seq(&ld->y, node, what))
		return 0;
	for (yaml_node_item_t *it = node->data.sequence.items.start;
	    it < node->data.sequence.items.top; it++) {
		yaml_node_t *item = node_at(ld, *it);
		const char *name = lw_ydoc_str(&ld->y, item, what);
		if (!name)
			continue;
		if (n == max) {
			lw_ydoc_error(&ld->y, item, "%s: %s: at most %u "
			    "fields", who(sc), what, max);
			break;
		}
		int slot = field_slot(ld, sc, item, name);
		if (slot >= 0)
			slots[n++] = slot;
	}
	return n;
}

/* "5/s", "300/m", "1000/h" over the window, as a threshold. */
static bool parse_rate(const char *text, uint64_t within_ns,
    uint32_t *threshold)
{
	char *end;
	double per = strtod(text, &end);
	double unit = strcmp(end, "/s") == 0 ? 1 : strcmp(end, "/m") == 0 ?
	    60 : strcmp(end, "/h") == 0 ? 3600 : 0;

	if (end == text || per <= 0 || unit == 0 || within_ns == 0)
		return false;
	double n = per * ((double)within_ns / 1e9) / unit;
	if (n > LW_SCENE_MAX_THRESHOLD)
		return false;
	*threshold = n < 1 ? 1 : (uint32_t)(n + 0.999999);
	return true;
}

static void parse_count(struct loader *ld, struct lw_scene *sc,
    const yaml_node_t *node)
{
	const yaml_node_t *rate = NULL;
	uint64_t at_least = 0;

	if (!lw_ydoc_is_map(&ld->y, node, "count"))
		return;
	sc->agg = LW_AGG_COUNT;
	for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
	    p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *key = node_at(ld, p->key);
		yaml_node_t *val = node_at(ld, p->value);
		if (key_is(key, "distinct")) {
			sc->agg = LW_AGG_DISTINCT;
			sc->ndistinct = parse_fields(ld, sc, val, "distinct",
			    sc->distinct, LW_SCENE_MAX_DISTINCT);
		} else if (key_is(key, "within"))
			lw_ydoc_duration(&ld->y, val, "count.within",
			    &sc->within_ns);
		else if (key_is(key, "at_least"))
			lw_ydoc_uint(&ld->y, val, "count.at_least",
			    LW_SCENE_MAX_THRESHOLD, &at_least);
		else if (key_is(key, "rate"))
			rate = val;
		else if (key_is(key, "below")) {
			sc->below = true;
			lw_ydoc_uint(&ld->y, val, "count.below",
			    LW_SCENE_MAX_THRESHOLD, &at_least);
		}
		else
			lw_ydoc_unknown_key(&ld->y, key, "count", count_keys);
	}
	if (!sc->within_ns)
		lw_ydoc_error(&ld->y, node, "%s: count needs within: (e.g. "
		    "within: 30s)", who(sc));
	sc->threshold = (uint32_t)at_least;
	if (rate) {
		const char *text = lw_ydoc_str(&ld->y, rate, "count.rate");
		if (text && !parse_rate(text, sc->within_ns, &sc->threshold))
			lw_ydoc_error(&ld->y, rate, "%s: rate '%s': write N/s, "
			    "N/m or N/h, at most %d in the window", who(sc),
			    text, LW_SCENE_MAX_THRESHOLD);
	}
	if (sc->threshold == 0 && !rate)
		lw_ydoc_error(&ld->y, node, "%s: count needs at_least: N "
		    "(1..%d), rate: N/s or below: N", who(sc),
		    LW_SCENE_MAX_THRESHOLD);
	if (sc->below && (rate || sc->agg == LW_AGG_DISTINCT))
		lw_ydoc_error(&ld->y, node, "%s: below: counts facts; it "
		    "does not go with rate: or distinct:", who(sc));
}

/* "7d", "12h" (a period) or "sun 03:00" (weekly, UTC). */
static void parse_every(struct loader *ld, struct lw_scene *sc,
    const yaml_node_t *node)
{
	const char *text = lw_ydoc_str(&ld->y, node, "every");
	char day[8];
	unsigned hh, mm;
	char tail;

	sc->weekday = -1;
	if (!text)
		return;
	if (lw_duration_parse(text, &sc->period_ns) && sc->period_ns > 0)
		return;
	if (sscanf(text, "%3s %u:%u%c", day, &hh, &mm, &tail) == 3 &&
	    hh < 24 && mm < 60) {
		for (int i = 0; weekdays[i]; i++)
			if (strcmp(day, weekdays[i]) == 0) {
				sc->weekday = i;
				sc->minute_of_day = (int)(hh * 60 + mm);
				return;
			}
	}
	lw_ydoc_error(&ld->y, node, "%s: every: '%s' is neither a period "
	    "(7d, 12h) nor a weekly time (sun 03:00, UTC)", who(sc), text);
}

/* ---- actions ---- */

/* Every {name} in text must be a field of the fact, or scene/value. */
static void check_template(struct loader *ld, const struct lw_scene *sc,
    const yaml_node_t *node, const char *text)
{
	for (const char *p = strchr(text, '{'); p; p = strchr(p + 1, '{')) {
		const char *close = strchr(p, '}');
		char name[64];
		if (!close || (size_t)(close - p - 1) >= sizeof name) {
			lw_ydoc_error(&ld->y, node, "%s: template '%s': "
			    "unclosed or overlong {", who(sc), text);
			return;
		}
		memcpy(name, p + 1, (size_t)(close - p - 1));
		name[close - p - 1] = '\0';
		bool extra = false;
		for (int i = 0; template_extras[i]; i++)
			extra |= strcmp(name, template_extras[i]) == 0;
		if (extra)
			continue;
		if (sc->on == LW_EV_COUNT) {
			lw_ydoc_error(&ld->y, node, "%s: template {%s}: a "
			    "scheduled scene has no fact to take it from",
			    who(sc), name);
			continue;
		}
		field_slot(ld, sc, node, name);
	}
}

static bool name_in(const char *name, char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

static void check_param(struct loader *ld, struct lw_scene *sc,
    struct lw_action *a, const yaml_node_t *node, struct lw_param *p)
{
	if (strcmp(p->name, "for") == 0) {
		if (!lw_duration_parse(p->value, &a->for_ns) || !a->for_ns)
			lw_ydoc_error(&ld->y, node, "%s: %s for: bad duration "
			    "'%s'", who(sc), lw_action_name(a->kind),
			    p->value);
	} else if (strcmp(p->name, "backend") == 0) {
		a->backend = p->value;
		if (!name_in(p->value, ld->cfg->backend_names,
		    ld->cfg->nbackends)) {
			const char *near = lw_suggest(p->value,
			    (const char *const *)ld->cfg->backend_names);
			lw_ydoc_error(&ld->y, node, "%s: no backend named "
			    "'%s' under backends:%s%s%s", who(sc), p->value,
			    near ? " - did you mean '" : "", near ? near : "",
			    near ? "'?" : "");
		}
	} else if (strcmp(p->name, "key") == 0 && strcmp(p->value, "*") &&
	    !name_in(p->value, ld->cfg->key_names, ld->cfg->nkeys)) {
		lw_ydoc_error(&ld->y, node, "%s: no key named '%s' under keys: "
		    "(or '*' for all)", who(sc), p->value);
	} else if (strcmp(p->name, "target") == 0)
		a->target = p->value;
	check_template(ld, sc, node, p->value);
}

static void parse_params(struct loader *ld, struct lw_scene *sc,
    struct lw_action *a, const yaml_node_t *node)
{
	const char *const *known = action_params[a->kind];

	if (node->type == YAML_SCALAR_NODE && node->data.scalar.length == 0)
		return;		/* "- notify:" with nothing after it */
	if (!lw_ydoc_is_map(&ld->y, node, lw_action_name(a->kind)))
		return;
	for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
	    p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *key = node_at(ld, p->key);
		yaml_node_t *val = node_at(ld, p->value);
		const char *name = lw_ydoc_str(&ld->y, key, "action");
		bool ok = false;
		for (int i = 0; name && known[i]; i++)
			ok |= strcmp(name, known[i]) == 0;
		if (!ok) {
			if (name)
				lw_ydoc_unknown_key(&ld->y, key,
				    lw_action_name(a->kind), known);
			continue;
		}
		const char *value = lw_ydoc_str(&ld->y, val, name);
		if (!value || a->nparams == LW_SCENE_MAX_PARAMS)
			continue;
		struct lw_param *prm = &a->params[a->nparams++];
		prm->name = strdup(name);
		prm->value = strdup(value);
		check_param(ld, sc, a, val, prm);
	}
}

/* Where the action points when the rule does not say. */
static void default_target(struct loader *ld, struct lw_scene *sc,
    struct lw_action *a, const yaml_node_t *node)
{
	static const char *const guesses[] = { "src_ip", "mac", "ip", NULL };

	if (a->target || a->kind == LW_ACT_NOTIFY ||
	    a->kind == LW_ACT_ROTATE_KEY)
		return;
	for (int i = 0; sc->on != LW_EV_COUNT && guesses[i]; i++) {
		if (lw_fact_field_index(sc->on, guesses[i]) < 0)
			continue;
		struct lw_param *p = &a->params[a->nparams++];
		char text[32];
		snprintf(text, sizeof text, "{%s}", guesses[i]);
		p->name = strdup("target");
		p->value = strdup(text);
		a->target = p->value;
		return;
	}
	lw_ydoc_error(&ld->y, node, "%s: %s needs target: (a MAC or IP, or "
	    "a {field})", who(sc), lw_action_name(a->kind));
}

static void parse_action(struct loader *ld, struct lw_scene *sc,
    const yaml_node_t *item)
{
	const yaml_node_t *name_node = item, *params = NULL;

	if (item->type == YAML_MAPPING_NODE &&
	    item->data.mapping.pairs.top - item->data.mapping.pairs.start == 1) {
		name_node = node_at(ld, item->data.mapping.pairs.start->key);
		params = node_at(ld, item->data.mapping.pairs.start->value);
	} else if (item->type != YAML_SCALAR_NODE) {
		lw_ydoc_error(&ld->y, item, "%s: an action is '- name' or "
		    "'- name: { param: value }'", who(sc));
		return;
	}
	const char *name = lw_ydoc_str(&ld->y, name_node, "actions");
	int kind = -1;
	for (int i = 0; name && i < LW_ACT_COUNT; i++)
		if (strcmp(name, action_names[i]) == 0)
			kind = i;
	if (kind < 0) {
		if (name)
			lw_ydoc_unknown_key(&ld->y, name_node, "actions",
			    action_names);
		return;
	}
	if (sc->nactions == LW_SCENE_MAX_ACTIONS) {
		lw_ydoc_error(&ld->y, item, "%s: more than %d actions",
		    who(sc), LW_SCENE_MAX_ACTIONS);
		return;
	}
	struct lw_action *a = &sc->actions[sc->nactions++];
	memset(a, 0, sizeof *a);
	a->kind = (enum lw_action_kind)kind;
	if (params)
		parse_params(ld, sc, a, params);
	if (a->kind == LW_ACT_ROTATE_KEY && a->nparams == 0)
		lw_ydoc_error(&ld->y, item, "%s: rotate_key needs key: (a "
		    "name under keys:, or '*')", who(sc));
	default_target(ld, sc, a, item);
}

static void parse_actions(struct loader *ld, struct lw_scene *sc,
    const yaml_node_t *node)
{
	if (!lw_ydoc_is_seq(&ld->y, node, "actions"))
		return;
	for (yaml_node_item_t *it = node->data.sequence.items.start;
	    it < node->data.sequence.items.top; it++)
		parse_action(ld, sc, node_at(ld, *it));
}

static void free_scene(struct lw_scene *sc);

/* ---- one scene ---- */

/* The fact type named by on:, or LW_EV_COUNT (reported). */
static enum lw_event_type parse_on(struct loader *ld, const yaml_node_t *node,
    const char *scene)
{
	static const char *facts[LW_EV_COUNT + 1];
	unsigned n = 0, nfields;
	const char *text = lw_ydoc_str(&ld->y, node, "on");

	if (!text)
		return LW_EV_COUNT;
	for (int t = 0; t < LW_EV_COUNT; t++)
		if (lw_fact_schema((enum lw_event_type)t, &nfields))
			facts[n++] = lw_event_name((enum lw_event_type)t);
	facts[n] = NULL;
	int type = lw_event_lookup(text);
	if (type >= 0 && lw_fact_schema((enum lw_event_type)type, &nfields))
		return (enum lw_event_type)type;
	const char *near = lw_suggest(text, facts);
	lw_ydoc_error(&ld->y, node, "%s: on: '%s' is not a fact type%s%s%s",
	    scene, text, near ? " - did you mean '" : " (new_mac, "
	    "mac_ip_change, dhcp, dns_query, dns_response, new_domain, "
	    "conn_start, table_pressure)", near ? near : "", near ? "'?" : "");
	return LW_EV_COUNT;
}

/* Find a key's value in a scene mapping (NULL when absent). */
static yaml_node_t *scene_value(struct loader *ld, const yaml_node_t *map,
    const char *name)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++)
		if (key_is(node_at(ld, p->key), name))
			return node_at(ld, p->value);
	return NULL;
}

static bool check_name(struct loader *ld, const yaml_node_t *node,
    const char *name)
{
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_')) {
			lw_ydoc_error(&ld->y, node, "scene name '%s': use "
			    "lowercase letters, digits, '-' and '_'", name);
			return false;
		}
	for (unsigned i = 0; i < ld->set->nscenes; i++)
		if (strcmp(ld->set->scenes[i]->name, name) == 0) {
			lw_ydoc_error(&ld->y, node, "scene '%s' is already "
			    "defined at %s:%u", name, ld->set->scenes[i]->file,
			    ld->set->scenes[i]->line);
			return false;
		}
	return *name != '\0';
}

/* A key given twice in one mapping is a mistake YAML lets through. */
static bool repeated_key(struct loader *ld, const yaml_node_t *map,
    const yaml_node_pair_t *at, const struct lw_scene *sc)
{
	const yaml_node_t *key = node_at(ld, at->key);

	for (const yaml_node_pair_t *p = map->data.mapping.pairs.start;
	    p < at; p++) {
		const yaml_node_t *other = node_at(ld, p->key);
		if (key->type == YAML_SCALAR_NODE &&
		    other->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)key->data.scalar.value,
		    (const char *)other->data.scalar.value) == 0) {
			lw_ydoc_error(&ld->y, key, "%s: '%s' is given twice "
			    "(first at line %u)", who(sc),
			    (const char *)key->data.scalar.value,
			    (unsigned)other->start_mark.line + 1);
			return true;
		}
	}
	return false;
}

static void parse_body(struct loader *ld, struct lw_scene *sc,
    const yaml_node_t *map)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *key = node_at(ld, p->key);
		yaml_node_t *val = node_at(ld, p->value);
		const char *text;
		if (repeated_key(ld, map, p, sc))
			continue;
		if (key_is(key, "name") || key_is(key, "on") ||
		    key_is(key, "every"))
			continue;	/* read first, by load_scene */
		if (key_is(key, "description")) {
			if ((text = lw_ydoc_str(&ld->y, val, "description")))
				sc->description = strdup(text);
		} else if (key_is(key, "enabled")) {
			if ((text = lw_ydoc_str(&ld->y, val, "enabled")) &&
			    !parse_bool(text, &sc->enabled))
				lw_ydoc_error(&ld->y, val, "%s: enabled: true "
				    "or false", who(sc));
		} else if (key_is(key, "when") || key_is(key, "group_by") ||
		    key_is(key, "count")) {
			if (sc->on == LW_EV_COUNT) {
				lw_ydoc_error(&ld->y, key, "%s: %s needs on: "
				    "(a scheduled scene has no facts)",
				    who(sc), (const char *)key->data.scalar.value);
			} else if (key_is(key, "when"))
				parse_when(ld, sc, val);
			else if (key_is(key, "group_by"))
				sc->ngroup = parse_fields(ld, sc, val,
				    "group_by", sc->group, LW_SCENE_MAX_GROUP);
			else
				parse_count(ld, sc, val);
		} else if (key_is(key, "cooldown"))
			lw_ydoc_duration(&ld->y, val, "cooldown",
			    &sc->cooldown_ns);
		else if (key_is(key, "actions"))
			parse_actions(ld, sc, val);
		else
			lw_ydoc_unknown_key(&ld->y, key, who(sc), scene_keys);
	}
}

static void load_scene(struct loader *ld, const yaml_node_t *map)
{
	if (!lw_ydoc_is_map(&ld->y, map, "scene"))
		return;
	if (ld->set->nscenes == LW_MAX_SCENES) {
		lw_ydoc_error(&ld->y, map, "more than %d scenes", LW_MAX_SCENES);
		return;
	}
	struct lw_scene *sc = calloc(1, sizeof *sc);
	if (!sc)
		return;
	sc->enabled = true;
	sc->weekday = -1;
	sc->index_cond = -1;
	sc->on = LW_EV_COUNT;
	sc->file = strdup(ld->y.path);
	sc->line = (unsigned)map->start_mark.line + 1;
	yaml_node_t *name = scene_value(ld, map, "name");
	yaml_node_t *on = scene_value(ld, map, "on");
	yaml_node_t *every = scene_value(ld, map, "every");
	const char *text = name ? lw_ydoc_str(&ld->y, name, "name") : NULL;
	if (!name)
		lw_ydoc_error(&ld->y, map, "a scene needs name:");
	else if (text && check_name(ld, name, text))
		sc->name = strdup(text);
	if (on && every)
		lw_ydoc_error(&ld->y, every, "%s: on: and every: exclude each "
		    "other", who(sc));
	else if (on)
		sc->on = parse_on(ld, on, who(sc));
	else if (every)
		parse_every(ld, sc, every);
	else
		lw_ydoc_error(&ld->y, map, "%s: needs on: (a fact type) or "
		    "every: (a schedule)", who(sc));
	parse_body(ld, sc, map);
	if (!sc->name) {	/* reported; keep nothing unnamed */
		free_scene(sc);
		return;
	}
	ld->set->scenes[ld->set->nscenes++] = sc;
}

static void load_document(struct loader *ld)
{
	yaml_node_t *root = lw_ydoc_root(&ld->y);

	if (!root || (root->type == YAML_SCALAR_NODE &&
	    root->data.scalar.length == 0))
		return;		/* an empty file holds no scenes */
	if (root->type == YAML_MAPPING_NODE) {
		yaml_node_t *list = scene_value(ld, root, "scenes");
		if (!list) {
			load_scene(ld, root);
			return;
		}
		root = list;
	}
	if (!lw_ydoc_is_seq(&ld->y, root, "scenes"))
		return;
	for (yaml_node_item_t *it = root->data.sequence.items.start;
	    it < root->data.sequence.items.top; it++)
		load_scene(ld, node_at(ld, *it));
}

/* ---- files and directories ---- */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_file(struct lw_scene_set *set, const char *path,
    const struct lw_config *cfg, struct lw_diag *diag)
{
	struct loader ld = { .set = set, .cfg = cfg };

	if (!lw_ydoc_load(&ld.y, path, diag))
		return;
	load_document(&ld);
	lw_ydoc_free(&ld.y);
}

static void load_dir(struct lw_scene_set *set, const char *dir,
    const struct lw_config *cfg, struct lw_diag *diag)
{
	char *names[MAX_RULE_FILES], path[4096];
	size_t n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d) {
		lw_diag_add(diag, dir, 0, 0, "%s", strerror(errno));
		return;
	}
	while ((e = readdir(d)) && n < MAX_RULE_FILES)
		if (fnmatch("*.yaml", e->d_name, 0) == 0 ||
		    fnmatch("*.yml", e->d_name, 0) == 0)
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof *names, cmp_names);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		load_file(set, path, cfg, diag);
		free(names[i]);
	}
}

static void set_default_home(struct lw_scene_set *set)
{
	static const char *const cidrs[] = {
		"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
		"100.64.0.0/10", "169.254.0.0/16", "fc00::/7", "fe80::/10",
	};
	char why[64];

	set->default_home.name = "home";
	set->default_home.cidrs = set->default_home_cidrs;
	for (size_t i = 0; i < sizeof cidrs / sizeof *cidrs; i++)
		lw_cidr_parse(cidrs[i],
		    &set->default_home_cidrs[set->default_home.ncidrs++], why,
		    sizeof why);
}

bool lw_scenes_load(struct lw_scene_set *set, const char *const *paths,
    size_t npaths, const struct lw_config *cfg, struct lw_diag *diag)
{
	struct stat st;
	size_t before = diag->count + diag->dropped;

	memset(set, 0, sizeof *set);
	set->cfg = cfg;
	set_default_home(set);
	for (size_t i = 0; i < npaths; i++) {
		if (stat(paths[i], &st) != 0)
			lw_diag_add(diag, paths[i], 0, 0, "%s", strerror(errno));
		else if (S_ISDIR(st.st_mode))
			load_dir(set, paths[i], cfg, diag);
		else
			load_file(set, paths[i], cfg, diag);
	}
	return diag->count + diag->dropped == before;
}

static void free_const(struct lw_const *c)
{
	free((char *)c->str);
}

static void free_scene(struct lw_scene *sc)
{
	for (unsigned i = 0; i < sc->nconds; i++) {
		struct lw_cond *c = &sc->conds[i];
		free_const(&c->value);
		for (unsigned j = 0; j < c->nlist; j++)
			free_const(&c->list[j]);
		free(c->list);
		free(c->glob);
		if (c->has_regex)
			regfree(&c->regex);
	}
	for (unsigned i = 0; i < sc->nactions; i++)
		for (unsigned j = 0; j < sc->actions[i].nparams; j++) {
			free(sc->actions[i].params[j].name);
			free(sc->actions[i].params[j].value);
		}
	lw_table_free(&sc->groups);
	free(sc->name);
	free(sc->description);
	free(sc->file);
	free(sc);
}

void lw_scenes_free(struct lw_scene_set *set)
{
	for (unsigned i = 0; i < set->nscenes; i++)
		free_scene(set->scenes[i]);
	set->nscenes = 0;
}
