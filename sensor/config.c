/*
 * config.c - load and validate the configuration file.
 */
#include <stdlib.h>
#include <string.h>

#include "labwarden/config.h"
#include "labwarden/yamldoc.h"

#define DEFAULT_MEMORY_MB	64

static const char *const top_keys[] = {
	"networks", "sources", "inventory", "dns", "rules", "state_dir",
	"capture_dir", "limits", "actions", "backends", "keys", "mqtt",
	"connections", "capture", "vault", "user", "stats_interval", NULL
};
static const char *const capture_keys[] = {
	"ring_mb", "ring_seconds", "quota_mb", "max_mb", "max_packets", NULL
};
static const char *const inventory_keys[] = {
	"known_devices", "learn_for", "oui_dir", "randomized_grace", NULL
};
static const char *const dns_keys[] = {
	"blocklists", "allowlists", "learn_for", "public_suffix_list",
	"tunnel_window", NULL
};
static const char *const connections_keys[] = { "udp_timeout", NULL };
static const char *const source_keys[] = {
	"pcap", "nflog", "filter", "snaplen", "buffer_mb", "promiscuous",
	"immediate", NULL
};
static const char *const actions_keys[] = {
	"default_backend", "max_per_hour", "soft_allow", "queue", "never",
	"verify_every",
	NULL
};
static const char *const limits_keys[] = { "memory_mb", NULL };

void lw_config_defaults(struct lw_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->memory_mb = DEFAULT_MEMORY_MB;
	cfg->randomized_grace_ns = 10 * LW_NS_PER_SEC;
	cfg->tunnel_window_ns = 300 * LW_NS_PER_SEC;
	cfg->udp_timeout_ns = 60 * LW_NS_PER_SEC;
	cfg->max_per_hour = 20;
	cfg->capture_ring_mb = 8;
	cfg->capture_ring_ns = 30 * LW_NS_PER_SEC;
	cfg->capture_quota_mb = 512;
	cfg->capture_max_mb = 64;
	cfg->soft_allow_ns = 24 * 3600 * LW_NS_PER_SEC;
	cfg->action_queue = 64;
	cfg->action_verify_ns = 600 * LW_NS_PER_SEC;
	cfg->stats_interval_ns = 60 * LW_NS_PER_SEC;
}

static bool key_is(const yaml_node_t *key, const char *name)
{
	return key->type == YAML_SCALAR_NODE &&
	    strcmp((const char *)key->data.scalar.value, name) == 0;
}

static bool known(const yaml_node_t *key, const char *const *names)
{
	for (size_t i = 0; names[i]; i++)
		if (key_is(key, names[i]))
			return true;
	return false;
}

/*
 * Replace *slot with a file or directory name: a relative one is taken from
 * the configuration file's directory, as a user reading the file
 * expects, not from wherever labwarden happens to be started.
 */
static void set_path(struct lw_ydoc *y, const yaml_node_t *node,
    const char *what, char **slot)
{
	const char *text = lw_ydoc_str(y, node, what);
	const char *slash = strrchr(y->path, '/');

	if (!text)
		return;
	free(*slot);
	if (text[0] == '/' || !slash) {
		*slot = strdup(text);
		return;
	}
	size_t dirlen = (size_t)(slash - y->path);
	size_t len = dirlen + 1 + strlen(text) + 1;
	*slot = malloc(len);
	if (*slot)
		snprintf(*slot, len, "%.*s/%s", (int)dirlen, y->path, text);
}

static void load_cidrs(struct lw_ydoc *y, struct lw_config *cfg,
    struct lw_network *net, const yaml_node_t *list)
{
	char what[96];

	snprintf(what, sizeof what, "networks.%s", net->name);
	if (!lw_ydoc_is_seq(y, list, what))
		return;
	size_t n = (size_t)(list->data.sequence.items.top -
	    list->data.sequence.items.start);
	if (n == 0)
		return;
	if (cfg->total_cidrs + n > LW_MAX_CIDRS) {
		lw_ydoc_error(y, list, "%s: more than %d prefixes in all "
		    "networks", what, LW_MAX_CIDRS);
		return;
	}
	net->cidrs = calloc(n, sizeof *net->cidrs);
	if (!net->cidrs)
		return;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *item = lw_ydoc_node(y,
		    list->data.sequence.items.start[i]);
		const char *text = lw_ydoc_str(y, item, what);
		char why[160];
		if (!text)
			continue;
		if (lw_cidr_parse(text, &net->cidrs[net->ncidrs], why,
		    sizeof why))
			net->ncidrs++;
		else
			lw_ydoc_error(y, item, "%s: %s", what, why);
	}
	cfg->total_cidrs += net->ncidrs;
}

static void load_networks(struct lw_ydoc *y, struct lw_config *cfg,
    const yaml_node_t *map)
{
	if (!lw_ydoc_is_map(y, map, "networks"))
		return;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *key = lw_ydoc_node(y, p->key);
		const char *name = lw_ydoc_str(y, key, "networks");
		if (!name)
			continue;
		if (cfg->nnetworks >= LW_MAX_NETWORKS) {
			lw_ydoc_error(y, key, "networks: more than %d names",
			    LW_MAX_NETWORKS);
			return;
		}
		struct lw_network *net = &cfg->networks[cfg->nnetworks++];
		net->name = strdup(name);
		load_cidrs(y, cfg, net, lw_ydoc_node(y, p->value));
	}
}

static void load_list(struct lw_ydoc *y, const yaml_node_t *list,
    const char *what, char **slots, size_t *count)
{
	if (!lw_ydoc_is_seq(y, list, what))
		return;
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	    it < list->data.sequence.items.top; it++) {
		if (*count >= LW_MAX_LISTS) {
			lw_ydoc_error(y, list, "%s: more than %d files", what,
			    LW_MAX_LISTS);
			return;
		}
		char *copy = NULL;
		set_path(y, lw_ydoc_node(y, *it), what, &copy);
		if (copy)
			slots[(*count)++] = copy;
	}
}

static void load_inventory(struct lw_ydoc *y, struct lw_config *cfg,
    const yaml_node_t *map)
{
	if (!lw_ydoc_is_map(y, map, "inventory"))
		return;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *key = lw_ydoc_node(y, p->key);
		yaml_node_t *val = lw_ydoc_node(y, p->value);
		if (key_is(key, "known_devices"))
			set_path(y, val, "inventory.known_devices",
			    &cfg->known_devices);
		else if (key_is(key, "learn_for"))
			lw_ydoc_duration(y, val, "inventory.learn_for",
			    &cfg->inventory_learn_ns);
		else if (key_is(key, "oui_dir"))
			set_path(y, val, "inventory.oui_dir", &cfg->oui_dir);
		else if (key_is(key, "randomized_grace"))
			lw_ydoc_duration(y, val, "inventory.randomized_grace",
			    &cfg->randomized_grace_ns);
		else
			lw_ydoc_unknown_key(y, key, "inventory",
			    inventory_keys);
	}
}

static void load_dns(struct lw_ydoc *y, struct lw_config *cfg,
    const yaml_node_t *map)
{
	if (!lw_ydoc_is_map(y, map, "dns"))
		return;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *key = lw_ydoc_node(y, p->key);
		yaml_node_t *val = lw_ydoc_node(y, p->value);
		if (key_is(key, "blocklists"))
			load_list(y, val, "dns.blocklists", cfg->blocklists,
			    &cfg->nblocklists);
		else if (key_is(key, "allowlists"))
			load_list(y, val, "dns.allowlists", cfg->allowlists,
			    &cfg->nallowlists);
		else if (key_is(key, "learn_for"))
			lw_ydoc_duration(y, val, "dns.learn_for",
			    &cfg->dns_learn_ns);
		else if (key_is(key, "public_suffix_list"))
			set_path(y, val, "dns.public_suffix_list",
			    &cfg->psl_path);
		else if (key_is(key, "tunnel_window")) {
			if (lw_ydoc_duration(y, val, "dns.tunnel_window",
			    &cfg->tunnel_window_ns) && !cfg->tunnel_window_ns)
				lw_ydoc_error(y, val, "dns.tunnel_window: "
				    "must be more than 0s");
		} else
			lw_ydoc_unknown_key(y, key, "dns", dns_keys);
	}
}

static void load_limits(struct lw_ydoc *y, struct lw_config *cfg,
    const yaml_node_t *map)
{
	if (!lw_ydoc_is_map(y, map, "limits"))
		return;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *key = lw_ydoc_node(y, p->key);
		yaml_node_t *val = lw_ydoc_node(y, p->value);
		if (key_is(key, "memory_mb")) {
			if (lw_ydoc_uint(y, val, "limits.memory_mb", 65536,
			    &cfg->memory_mb) && cfg->memory_mb < 8)
				lw_ydoc_error(y, val, "limits.memory_mb: at "
				    "least 8");
		} else
			lw_ydoc_unknown_key(y, key, "limits", limits_keys);
	}
}

static void load_connections(struct lw_ydoc *y, struct lw_config *cfg,
    const yaml_node_t *map)
{
	if (!lw_ydoc_is_map(y, map, "connections"))
		return;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *key = lw_ydoc_node(y, p->key);
		yaml_node_t *val = lw_ydoc_node(y, p->value);
		if (key_is(key, "udp_timeout")) {
			if (lw_ydoc_duration(y, val, "connections.udp_timeout",
			    &cfg->udp_timeout_ns) && !cfg->udp_timeout_ns)
				lw_ydoc_error(y, val, "connections.udp_timeout:"
				    " must be more than 0s");
		} else
			lw_ydoc_unknown_key(y, key, "connections",
			    connections_keys);
	}
}

static void load_capture(struct lw_ydoc *y, struct lw_config *cfg,
    const yaml_node_t *map)
{
	if (!lw_ydoc_is_map(y, map, "capture"))
		return;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *key = lw_ydoc_node(y, p->key);
		yaml_node_t *val = lw_ydoc_node(y, p->value);
		if (key_is(key, "ring_mb"))
			lw_ydoc_uint(y, val, "capture.ring_mb", 4096,
			    &cfg->capture_ring_mb);
		else if (key_is(key, "ring_seconds")) {
			uint64_t secs = 0;
			if (lw_ydoc_uint(y, val, "capture.ring_seconds", 3600,
			    &secs))
				cfg->capture_ring_ns = secs * LW_NS_PER_SEC;
		} else if (key_is(key, "quota_mb"))
			lw_ydoc_uint(y, val, "capture.quota_mb", 1u << 30,
			    &cfg->capture_quota_mb);
		else if (key_is(key, "max_mb"))
			lw_ydoc_uint(y, val, "capture.max_mb", 1u << 20,
			    &cfg->capture_max_mb);
		else if (key_is(key, "max_packets"))
			lw_ydoc_uint(y, val, "capture.max_packets", 1ull << 40,
			    &cfg->capture_max_packets);
		else
			lw_ydoc_unknown_key(y, key, "capture", capture_keys);
	}
}

/* The keys of a mapping (backends:, keys:) as names, in order. */
/* true or false; anything else is an error (and counts as true). */
static bool source_flag(struct lw_ydoc *y, const yaml_node_t *val,
    const char *what)
{
	const char *text = lw_ydoc_str(y, val, what);

	if (text && strcmp(text, "true") && strcmp(text, "false"))
		lw_ydoc_error(y, val, "%s: true or false", what);
	return !text || strcmp(text, "false") != 0;
}

static void load_source(struct lw_ydoc *y, struct lw_config *cfg,
    const yaml_node_t *map)
{
	if (!lw_ydoc_is_map(y, map, "sources"))
		return;
	if (cfg->nsources == LW_MAX_SOURCES) {
		lw_ydoc_error(y, map, "sources: more than %d", LW_MAX_SOURCES);
		return;
	}
	struct lw_source *src = &cfg->sources[cfg->nsources];
	memset(src, 0, sizeof *src);
	src->promiscuous = true;
	src->immediate = true;
	bool named = false;
	const yaml_node_t *pcap_only = NULL;	/* a key NFLOG cannot take */
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *key = lw_ydoc_node(y, p->key);
		yaml_node_t *val = lw_ydoc_node(y, p->value);
		const char *text;
		if (key_is(key, "pcap") && !named) {
			if ((text = lw_ydoc_str(y, val, "sources.pcap"))) {
				src->kind = LW_SRC_PCAP;
				src->iface = strdup(text);
				named = true;
			}
		} else if (key_is(key, "nflog") && !named) {
			if (lw_ydoc_uint(y, val, "sources.nflog", 65535,
			    &src->group)) {
				src->kind = LW_SRC_NFLOG;
				named = true;
			}
		} else if (key_is(key, "filter")) {
			pcap_only = key;
			if ((text = lw_ydoc_str(y, val, "sources.filter"))) {
				free(src->filter);
				src->filter = strdup(text);
			}
		} else if (key_is(key, "snaplen"))
			lw_ydoc_uint(y, val, "sources.snaplen", 262144,
			    &src->snaplen);
		else if (key_is(key, "buffer_mb"))
			lw_ydoc_uint(y, val, "sources.buffer_mb", 1024,
			    &src->buffer_mb);
		else if (key_is(key, "promiscuous")) {
			pcap_only = key;
			src->promiscuous = source_flag(y, val,
			    "sources.promiscuous");
		} else if (key_is(key, "immediate")) {
			pcap_only = key;
			src->immediate = source_flag(y, val, "sources.immediate");
		} else if (key_is(key, "pcap") || key_is(key, "nflog"))
			lw_ydoc_error(y, key, "sources: one of pcap: or nflog: "
			    "per entry");
		else
			lw_ydoc_unknown_key(y, key, "sources", source_keys);
	}
	if (!named) {
		lw_ydoc_error(y, map, "sources: an entry needs pcap: IFACE or "
		    "nflog: GROUP");
		free(src->filter);
		return;
	}
	if (src->kind == LW_SRC_NFLOG && pcap_only)
		lw_ydoc_error(y, pcap_only, "sources.%s: for pcap sources only; "
		    "an NFLOG group gets what its firewall rule logs",
		    (const char *)pcap_only->data.scalar.value);
	cfg->nsources++;
}

static void load_sources(struct lw_ydoc *y, struct lw_config *cfg,
    const yaml_node_t *list)
{
	if (!lw_ydoc_is_seq(y, list, "sources"))
		return;
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	    it < list->data.sequence.items.top; it++)
		load_source(y, cfg, lw_ydoc_node(y, *it));
}

/* A backend's type:, checked against the kinds the action layer has. */
static char *backend_type(struct lw_ydoc *y, const yaml_node_t *map,
    const char *name)
{
	static const char *const types[] = {
		"nft", "openwrt", "mikrotik", "unifi", "opnsense", "webhook",
		NULL
	};
	char what[96];

	snprintf(what, sizeof what, "backends.%s.type", name);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *key = lw_ydoc_node(y, p->key);
		if (!key_is(key, "type"))
			continue;
		yaml_node_t *val = lw_ydoc_node(y, p->value);
		const char *text = lw_ydoc_str(y, val, what);
		if (!text)
			return NULL;
		for (int i = 0; types[i]; i++)
			if (strcmp(text, types[i]) == 0)
				return strdup(text);
		const char *near = lw_suggest(text, types);
		lw_ydoc_error(y, val, "%s: unknown type '%s'%s%s%s", what,
		    text, near ? " - did you mean '" : " (nft, openwrt, "
		    "mikrotik, unifi, opnsense, webhook)", near ? near : "",
		    near ? "'?" : "");
		return NULL;
	}
	lw_ydoc_error(y, map, "%s: missing (nft, openwrt, mikrotik, unifi, "
	    "opnsense, webhook)", what);
	return NULL;
}

/* Flatten node into sec under prefix (mappings dotted, sequences
 * indexed); deeper than 4 levels or past the key limit is an error. */
static void flatten(struct lw_ydoc *y, struct lw_section *sec,
    const char *prefix, const yaml_node_t *node, int depth)
{
	char key[256];

	if (!node)
		return;
	if (depth > 4) {
		lw_ydoc_error(y, node, "%s.%s: nested too deep", sec->where,
		    prefix);
		return;
	}
	if (node->type == YAML_SCALAR_NODE) {
		if (sec->n == LW_SECTION_MAX_KEYS) {
			lw_ydoc_error(y, node, "%s: more than %d keys",
			    sec->where, LW_SECTION_MAX_KEYS);
			return;
		}
		struct lw_kv *kv = &sec->kv[sec->n++];
		kv->key = strdup(prefix);
		kv->value = strndup((const char *)node->data.scalar.value,
		    node->data.scalar.length);
		kv->line = (unsigned)node->start_mark.line + 1;
		kv->col = (unsigned)node->start_mark.column + 1;
		return;
	}
	if (node->type == YAML_SEQUENCE_NODE) {
		unsigned i = 0;
		for (yaml_node_item_t *it = node->data.sequence.items.start;
		    it < node->data.sequence.items.top; it++, i++) {
			snprintf(key, sizeof key, "%s%s%u", prefix,
			    *prefix ? "." : "", i);
			flatten(y, sec, key, lw_ydoc_node(y, *it), depth + 1);
		}
		return;
	}
	for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
	    p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *k = lw_ydoc_node(y, p->key);
		const char *name = lw_ydoc_str(y, k, sec->where);
		if (!name)
			continue;
		snprintf(key, sizeof key, "%s%s%s", prefix, *prefix ? "." : "",
		    name);
		for (size_t i = 0; i < sec->n; i++)
			if (strcmp(sec->kv[i].key, key) == 0)
				lw_ydoc_error(y, k, "%s.%s: given twice",
				    sec->where, key);
		flatten(y, sec, key, lw_ydoc_node(y, p->value), depth + 1);
	}
}

static struct lw_section *load_section(struct lw_ydoc *y,
    const yaml_node_t *node, const char *where, const char *name)
{
	struct lw_section *sec = calloc(1, sizeof *sec);

	if (!sec)
		return NULL;
	sec->file = strdup(y->path);
	sec->where = strdup(where);
	sec->name = strdup(name);
	sec->line = (unsigned)node->start_mark.line + 1;
	sec->col = (unsigned)node->start_mark.column + 1;
	flatten(y, sec, "", node, 0);
	return sec;
}

static void load_names(struct lw_ydoc *y, const yaml_node_t *map,
    const char *what, char **names, char **types, size_t *count,
    struct lw_section **confs)
{
	if (!lw_ydoc_is_map(y, map, what))
		return;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *key = lw_ydoc_node(y, p->key);
		const char *name = lw_ydoc_str(y, key, what);
		if (!name)
			continue;
		if (*count >= LW_MAX_LISTS) {
			lw_ydoc_error(y, key, "%s: more than %d entries", what,
			    LW_MAX_LISTS);
			return;
		}
		yaml_node_t *val = lw_ydoc_node(y, p->value);
		char where[128];
		snprintf(where, sizeof where, "%s.%s", what, name);
		if (lw_ydoc_is_map(y, val, what)) {
			if (types)
				types[*count] = backend_type(y, val, name);
			confs[*count] = load_section(y, val, where, name);
		}
		names[(*count)++] = strdup(name);
	}
}

/* A MAC written aa:bb:cc:dd:ee:ff (either case)? */
static bool is_mac_text(const char *text)
{
	static const char hex[] = "0123456789abcdefABCDEF";

	if (strlen(text) != 17)
		return false;
	for (int i = 0; i < 17; i++)
		if (i % 3 == 2 ? text[i] != ':' : !strchr(hex, text[i]))
			return false;
	return true;
}

/* actions.never: addresses, prefixes and MACs never to be actioned. */
static void load_never(struct lw_ydoc *y, struct lw_config *cfg,
    const yaml_node_t *list)
{
	struct lw_cidr cidr;
	char why[128];

	if (!lw_ydoc_is_seq(y, list, "actions.never"))
		return;
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	    it < list->data.sequence.items.top; it++) {
		yaml_node_t *item = lw_ydoc_node(y, *it);
		const char *text = lw_ydoc_str(y, item, "actions.never");
		if (!text)
			continue;
		if (cfg->naction_never >= LW_MAX_LISTS) {
			lw_ydoc_error(y, item, "actions.never: more than %d "
			    "entries (use prefixes)", LW_MAX_LISTS);
			return;
		}
		if (!is_mac_text(text) && !lw_cidr_parse(text, &cidr, why,
		    sizeof why)) {
			lw_ydoc_error(y, item, "actions.never: '%s' is not an "
			    "IP address, a prefix or a MAC (%s)", text, why);
			continue;
		}
		cfg->action_never[cfg->naction_never++] = strdup(text);
	}
}

static void load_actions(struct lw_ydoc *y, struct lw_config *cfg,
    const yaml_node_t *map)
{
	if (!lw_ydoc_is_map(y, map, "actions"))
		return;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *key = lw_ydoc_node(y, p->key);
		yaml_node_t *val = lw_ydoc_node(y, p->value);
		const char *text;
		if (key_is(key, "default_backend")) {
			if ((text = lw_ydoc_str(y, val, "actions.default_backend"))) {
				free(cfg->default_backend);
				cfg->default_backend = strdup(text);
			}
		} else if (key_is(key, "max_per_hour"))
			lw_ydoc_uint(y, val, "actions.max_per_hour", 100000,
			    &cfg->max_per_hour);
		else if (key_is(key, "soft_allow"))
			lw_ydoc_duration(y, val, "actions.soft_allow",
			    &cfg->soft_allow_ns);
		else if (key_is(key, "queue")) {
			if (lw_ydoc_uint(y, val, "actions.queue", 65536,
			    &cfg->action_queue) && cfg->action_queue == 0)
				lw_ydoc_error(y, val, "actions.queue: at least 1");
		} else if (key_is(key, "never"))
			load_never(y, cfg, val);
		else if (key_is(key, "verify_every"))
			lw_ydoc_duration(y, val, "actions.verify_every",
			    &cfg->action_verify_ns);
		else
			lw_ydoc_unknown_key(y, key, "actions", actions_keys);
	}
}

/* user: the account `run` switches to; it must exist when run starts. */
static void load_user(struct lw_ydoc *y, struct lw_config *cfg,
    const yaml_node_t *val)
{
	const char *text = lw_ydoc_str(y, val, "user");

	if (!text)
		return;
	if (!*text || strlen(text) > 32 || strpbrk(text, ":/ \t\n")) {
		lw_ydoc_error(y, val, "user: '%s' is not a user name", text);
		return;
	}
	free(cfg->user);
	cfg->user = strdup(text);
}

static void load_top(struct lw_ydoc *y, struct lw_config *cfg,
    const yaml_node_t *key, const yaml_node_t *val)
{
	if (key_is(key, "networks"))
		load_networks(y, cfg, val);
	else if (key_is(key, "inventory"))
		load_inventory(y, cfg, val);
	else if (key_is(key, "dns"))
		load_dns(y, cfg, val);
	else if (key_is(key, "limits"))
		load_limits(y, cfg, val);
	else if (key_is(key, "connections"))
		load_connections(y, cfg, val);
	else if (key_is(key, "actions"))
		load_actions(y, cfg, val);
	else if (key_is(key, "capture"))
		load_capture(y, cfg, val);
	else if (key_is(key, "backends"))
		load_names(y, val, "backends", cfg->backend_names,
		    cfg->backend_types, &cfg->nbackends, cfg->backend_conf);
	else if (key_is(key, "keys"))
		load_names(y, val, "keys", cfg->key_names, NULL, &cfg->nkeys,
		    cfg->key_conf);
	else if (key_is(key, "rules"))
		set_path(y, val, "rules", &cfg->rules);
	else if (key_is(key, "state_dir"))
		set_path(y, val, "state_dir", &cfg->state_dir);
	else if (key_is(key, "capture_dir"))
		set_path(y, val, "capture_dir", &cfg->capture_dir);
	else if (key_is(key, "sources"))
		load_sources(y, cfg, val);
	else if (key_is(key, "user"))
		load_user(y, cfg, val);
	else if (key_is(key, "stats_interval"))
		lw_ydoc_duration(y, val, "stats_interval",
		    &cfg->stats_interval_ns);
	else if (key_is(key, "mqtt")) {
		cfg->has_mqtt = lw_ydoc_is_map(y, val, "mqtt");
		if (cfg->has_mqtt && !cfg->mqtt)
			cfg->mqtt = load_section(y, val, "mqtt", "mqtt");
	}
	else if (key_is(key, "vault")) {	/* read by the key rotation */
		if (lw_ydoc_is_map(y, val, "vault") && !cfg->vault)
			cfg->vault = load_section(y, val, "vault", "vault");
	}
	else if (known(key, top_keys))	/* sections checked elsewhere */
		lw_ydoc_is_map(y, val, (const char *)key->data.scalar.value);
	else
		lw_ydoc_unknown_key(y, key, "config", top_keys);
}

bool lw_config_load(struct lw_config *cfg, const char *path,
    struct lw_diag *diag)
{
	struct lw_ydoc y;
	size_t before = diag->count + diag->dropped;

	cfg->path = strdup(path);
	if (!lw_ydoc_load(&y, path, diag))
		return false;
	yaml_node_t *root = lw_ydoc_root(&y);
	/* An empty file is a valid config: every key is optional. */
	if (root && !(root->type == YAML_SCALAR_NODE &&
	    root->data.scalar.length == 0) &&
	    lw_ydoc_is_map(&y, root, "config")) {
		for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
		    p < root->data.mapping.pairs.top; p++)
			load_top(&y, cfg, lw_ydoc_node(&y, p->key),
			    lw_ydoc_node(&y, p->value));
	}
	lw_ydoc_free(&y);
	return diag->count + diag->dropped == before;
}

static void free_section(struct lw_section *sec)
{
	if (sec)
		lw_section_free(sec);
	free(sec);
}

void lw_config_free(struct lw_config *cfg)
{
	for (size_t i = 0; i < cfg->nnetworks; i++) {
		free(cfg->networks[i].name);
		free(cfg->networks[i].cidrs);
	}
	for (size_t i = 0; i < cfg->nblocklists; i++)
		free(cfg->blocklists[i]);
	for (size_t i = 0; i < cfg->nallowlists; i++)
		free(cfg->allowlists[i]);
	free(cfg->path);
	free(cfg->rules);
	free(cfg->state_dir);
	free(cfg->capture_dir);
	free(cfg->known_devices);
	free(cfg->oui_dir);
	free(cfg->psl_path);
	for (size_t i = 0; i < cfg->nbackends; i++) {
		free(cfg->backend_names[i]);
		free(cfg->backend_types[i]);
		free_section(cfg->backend_conf[i]);
	}
	for (size_t i = 0; i < cfg->nkeys; i++) {
		free(cfg->key_names[i]);
		free_section(cfg->key_conf[i]);
	}
	free_section(cfg->mqtt);
	free_section(cfg->vault);
	free(cfg->default_backend);
	for (size_t i = 0; i < cfg->naction_never; i++)
		free(cfg->action_never[i]);
	free(cfg->user);
	for (size_t i = 0; i < cfg->nsources; i++) {
		free(cfg->sources[i].iface);
		free(cfg->sources[i].filter);
	}
	lw_config_defaults(cfg);
}

const struct lw_network *lw_config_network(const struct lw_config *cfg,
    const char *name)
{
	for (size_t i = 0; i < cfg->nnetworks; i++)
		if (strcmp(cfg->networks[i].name, name) == 0)
			return &cfg->networks[i];
	return NULL;
}
