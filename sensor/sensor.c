/*
 * sensor.c - the per-packet pipeline (see sensor.h).
 */
#include <string.h>
#include <unistd.h>

#include "labwarden/sensor.h"
#include "labwarden/statefile.h"

#define TABLE_SHARE_PERCENT	50	/* of limits.memory_mb, for tables */
#define PRESSURE_INTERVAL_NS	(60 * LW_NS_PER_SEC)
#define STATE_FILE		"sensor.json"

/* Inside addresses when networks.home is not configured. */
static const char *const default_home[] = {
	"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
	"169.254.0.0/16", "fc00::/7", "fe80::/10",
};

/*
 * Table capacities from the memory budget: each table gets a share (in
 * percent of the budget) divided by the bytes one entry costs.
 */
struct table_plan {
	uint32_t *capacity;
	unsigned percent;
	size_t	 key_size, value_size;
};

static uint32_t capacity_for(uint64_t budget, const struct table_plan *p)
{
	uint64_t per_entry = lw_table_bytes(1024, p->key_size, p->value_size)
	    / 1024 + 1;
	uint64_t n = budget * p->percent / 100 / per_entry;
	return n < 16 ? 16 : n > (1u << 24) ? 1u << 24 : (uint32_t)n;
}

static void plan_tables(uint64_t memory_mb, struct lw_inventory_caps *inv,
    struct lw_dnswatch_caps *dns, uint32_t *flows)
{
	uint64_t budget = memory_mb * 1024 * 1024 * TABLE_SHARE_PERCENT / 100;
	const struct table_plan plan[] = {
		{ &inv->devices, 8, 6, sizeof(struct lw_device) },
		{ &inv->bindings, 6, sizeof(struct lw_addr),
		    sizeof(struct lw_binding) },
		{ &inv->identities, 3, 8, 6 },
		{ &dns->host_domains, 22, 32, 0 },
		{ &dns->net_domains, 8, 8, 0 },
		{ &dns->shapes, 15, 32, 160 },
		{ &dns->tcp_streams, 4, sizeof(struct lw_flow_key),
		    LW_DNS_TCP_BUF + 16 },
		{ flows, 34, sizeof(struct lw_flow_key), 8 },
	};
	for (size_t i = 0; i < sizeof plan / sizeof plan[0]; i++)
		*plan[i].capacity = capacity_for(budget, &plan[i]);
}

static void set_home(struct lw_sensor *s)
{
	const struct lw_network *home = lw_config_network(s->cfg, "home");
	char why[64];

	if (home && home->ncidrs) {
		s->home = home->cidrs;
		s->nhome = home->ncidrs;
		return;
	}
	for (size_t i = 0; i < sizeof default_home / sizeof *default_home; i++)
		lw_cidr_parse(default_home[i], &s->default_home[s->nhome++],
		    why, sizeof why);
	s->home = s->default_home;
}

static bool load_lists(struct lw_sensor *s, FILE *report, char *err,
    size_t errlen)
{
	const struct lw_config *cfg = s->cfg;

	for (size_t i = 0; i < cfg->nblocklists; i++)
		if (!lw_blocklist_add_file(&s->blocklist, cfg->blocklists[i],
		    false, report, err, errlen))
			return false;
	for (size_t i = 0; i < cfg->nallowlists; i++)
		if (!lw_blocklist_add_file(&s->blocklist, cfg->allowlists[i],
		    true, report, err, errlen))
			return false;
	if (cfg->known_devices && !lw_inventory_load_known(&s->inventory,
	    cfg->known_devices, report, err, errlen))
		return false;
	return true;
}

static bool load_reference(struct lw_sensor *s, FILE *report, char *err,
    size_t errlen)
{
	const struct lw_config *cfg = s->cfg;

	if (!lw_oui_load(&s->oui, cfg->oui_dir ? cfg->oui_dir :
	    LW_OUI_DIR_DEFAULT, err, errlen))
		return false;
	const char *psl = cfg->psl_path ? cfg->psl_path :
	    access(LW_PSL_DAFSA, R_OK) == 0 ? LW_PSL_DAFSA : LW_PSL_DEFAULT;
	s->psl = lw_psl_load(psl, err, errlen);
	if (!s->psl)
		return false;
	lw_blocklist_init(&s->blocklist);
	return load_lists(s, report, err, errlen);
}

static void register_tables(struct lw_sensor *s)
{
	struct lw_table *all[] = {
		&s->inventory.devices, &s->inventory.bindings,
		&s->inventory.identities, &s->dns.host_domains,
		&s->dns.net_domains, &s->dns.shapes, &s->dns.tcp_streams,
		&s->conns.flows,
	};
	for (size_t i = 0; i < sizeof all / sizeof *all; i++)
		s->tables[s->ntables++] = all[i];
}

static void load_state(struct lw_sensor *s)
{
	json_t *doc = lw_state_read(s->state_dir, STATE_FILE, "sensor");

	if (!doc)
		return;
	lw_inventory_from_json(&s->inventory, json_object_get(doc,
	    "inventory"));
	lw_dnswatch_from_json(&s->dns, json_object_get(doc, "dns"));
	json_decref(doc);
}

bool lw_sensor_init(struct lw_sensor *s, const struct lw_config *cfg,
    struct lw_writer *writer, bool live, const char *state_dir,
    FILE *report, char *err, size_t errlen)
{
	struct lw_inventory_caps inv_caps;
	struct lw_dnswatch_caps dns_caps;
	uint32_t flows;

	memset(s, 0, sizeof *s);
	if (live)
		lw_clock_init_live(&s->clock);
	else
		lw_clock_init_replay(&s->clock);
	lw_stats_init(&s->stats);
	s->writer = writer;
	s->cfg = cfg;
	s->state_dir = state_dir;
	set_home(s);
	plan_tables(cfg->memory_mb, &inv_caps, &dns_caps, &flows);
	if (!lw_inventory_init(&s->inventory, &inv_caps, err, errlen) ||
	    !lw_dnswatch_init(&s->dns, &dns_caps, err, errlen) ||
	    !lw_conntrack_init(&s->conns, flows, err, errlen) ||
	    !load_reference(s, report, err, errlen)) {
		lw_sensor_free(s);
		return false;
	}
	register_tables(s);
	if (state_dir)
		load_state(s);
	return true;
}

void lw_sensor_free(struct lw_sensor *s)
{
	lw_inventory_free(&s->inventory);
	lw_dnswatch_free(&s->dns);
	lw_conntrack_free(&s->conns);
	lw_oui_free(&s->oui);
	lw_psl_free(s->psl);
	s->psl = NULL;
	lw_blocklist_free(&s->blocklist);
}

bool lw_sensor_add_sink(struct lw_sensor *s,
    void (*fn)(void *ctx, const struct lw_fact *fact), void *ctx)
{
	if (s->nsinks == LW_SENSOR_MAX_SINKS)
		return false;
	s->sinks[s->nsinks].fn = fn;
	s->sinks[s->nsinks].ctx = ctx;
	s->nsinks++;
	return true;
}

void lw_sensor_emit(struct lw_sensor *s, const struct lw_fact *fact)
{
	if (lw_writer_wants(s->writer, fact->type))
		lw_writer_put(s->writer, lw_fact_to_json(fact));
	for (unsigned i = 0; i < s->nsinks; i++)
		s->sinks[i].fn(s->sinks[i].ctx, fact);
}

bool lw_sensor_is_home(const struct lw_sensor *s, const struct lw_addr *addr)
{
	for (size_t i = 0; i < s->nhome; i++)
		if (lw_cidr_contains(&s->home[i], addr))
			return true;
	return false;
}

static void check_pressure(struct lw_sensor *s)
{
	uint64_t now = lw_sensor_now(s), evicted;

	for (unsigned i = 0; i < s->ntables; i++) {
		struct lw_table *t = s->tables[i];
		if (!lw_table_pressure_due(t, now, PRESSURE_INTERVAL_NS,
		    &evicted))
			continue;
		struct lw_fact f;
		lw_fact_init(&f, LW_EV_TABLE_PRESSURE, now);
		lw_fact_str(&f, LW_TP_TABLE, t->name);
		lw_fact_num(&f, LW_TP_CAPACITY, t->capacity);
		lw_fact_num(&f, LW_TP_EVICTED, (int64_t)evicted);
		lw_sensor_emit(s, &f);
	}
}

/* Work that runs on clock time, at most once a second. */
static void tick(struct lw_sensor *s)
{
	uint64_t now = lw_sensor_now(s);

	if (now < s->next_tick_ns)
		return;
	s->next_tick_ns = now + LW_NS_PER_SEC;
	lw_inventory_tick(&s->inventory, s);
	check_pressure(s);
	if (s->on_tick)
		s->on_tick(s->tick_ctx, now);
}

void lw_sensor_idle(struct lw_sensor *s)
{
	if (s->capturer)
		lw_capturer_tick(s->capturer, lw_sensor_now(s));
	tick(s);
}

void lw_sensor_begin_source(struct lw_sensor *s, int linktype)
{
	lw_stats_begin_link(&s->stats, linktype);
	if (s->capturer)
		lw_capturer_begin_source(s->capturer, linktype,
		    lw_sensor_now(s));
}

void lw_sensor_packet(struct lw_sensor *s, struct lw_packet *pkt,
    const uint8_t *data)
{
	lw_decode(pkt, data);
	lw_clock_observe(&s->clock, pkt->ts_ns);
	lw_stats_count(&s->stats, pkt);
	if (lw_writer_wants(s->writer, LW_EV_PACKET))
		lw_writer_put(s->writer, lw_event_packet(pkt));
	if (s->decode_only)
		return;
	tick(s);
	lw_inventory_packet(&s->inventory, s, pkt);
	lw_dnswatch_packet(&s->dns, s, pkt);
	lw_conntrack_packet(&s->conns, s, pkt);
	/* After the scenes had the packet's facts: a capture they start
	 * gets this packet too, then the ring keeps it for later ones. */
	if (s->capturer)
		lw_capturer_packet(s->capturer, pkt, data, lw_sensor_now(s));
}

static json_t *tables_json(const struct lw_sensor *s)
{
	json_t *obj = json_object();

	for (unsigned i = 0; i < s->ntables; i++) {
		const struct lw_table *t = s->tables[i];
		json_object_set_new(obj, t->name, json_pack("{s:I, s:I, s:I}",
		    "capacity", (json_int_t)t->capacity,
		    "used", (json_int_t)t->count,
		    "evicted", (json_int_t)t->evictions));
	}
	return obj;
}

static json_t *dns_errors_json(const struct lw_sensor *s)
{
	json_t *obj = json_object();

	for (int i = 1; i < LW_DNS_ERROR_COUNT; i++)
		if (s->dns.errors[i])
			json_object_set_new(obj, lw_dns_error_name(i),
			    json_integer((json_int_t)s->dns.errors[i]));
	return obj;
}

json_t *lw_sensor_stats_event(const struct lw_sensor *s)
{
	json_t *ev = lw_event_new(LW_EV_STATS, lw_sensor_now(s));

	lw_stats_to_json(&s->stats, ev);
	json_object_set_new(ev, "dns_messages",
	    json_integer((json_int_t)s->dns.messages));
	json_object_set_new(ev, "dns_errors", dns_errors_json(s));
	json_object_set_new(ev, "tables", tables_json(s));
	if (s->stats_hook)
		s->stats_hook(s->stats_ctx, ev);
	return ev;
}

bool lw_sensor_finish(struct lw_sensor *s, char *err, size_t errlen)
{
	lw_inventory_flush(&s->inventory, s);
	check_pressure(s);
	if (lw_writer_wants(s->writer, LW_EV_STATS))
		lw_writer_put(s->writer, lw_sensor_stats_event(s));
	if (!s->state_dir)
		return true;
	json_t *doc = json_pack("{s:s, s:i, s:o, s:o}", "kind", "sensor",
	    "version", 1, "inventory", lw_inventory_to_json(&s->inventory),
	    "dns", lw_dnswatch_to_json(&s->dns));
	bool ok = lw_state_write(s->state_dir, STATE_FILE, doc, err, errlen);
	json_decref(doc);
	return ok;
}

void lw_sensor_print_tables(const struct lw_sensor *s, FILE *out)
{
	fprintf(out, "  dns messages %llu", (unsigned long long)s->dns.messages);
	for (int i = 1; i < LW_DNS_ERROR_COUNT; i++)
		if (s->dns.errors[i])
			fprintf(out, " %s=%llu", lw_dns_error_name(i),
			    (unsigned long long)s->dns.errors[i]);
	fprintf(out, "\n  tables (used/capacity, evicted):\n");
	for (unsigned i = 0; i < s->ntables; i++) {
		const struct lw_table *t = s->tables[i];
		fprintf(out, "    %-16s %u/%u evicted %llu\n", t->name,
		    t->count, t->capacity, (unsigned long long)t->evictions);
	}
}
