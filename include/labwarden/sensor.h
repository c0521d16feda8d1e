/*
 * sensor.h - the packet path: decode, count, turn into facts, emit.
 *
 * Capture sources (files in replay, interfaces and NFLOG live) hand
 * every packet to lw_sensor_packet().  The sensor owns the clock, the
 * counters, the reference data (OUI vendors, Public Suffix List,
 * block lists) and the detectors; detectors emit typed facts through
 * lw_sensor_emit(), which writes the ones the writer wants and hands
 * every fact to the sinks (the scene engine).  Nothing here blocks.
 */
#ifndef LABWARDEN_SENSOR_H
#define LABWARDEN_SENSOR_H

#include "labwarden/blocklist.h"
#include "labwarden/capture.h"
#include "labwarden/clock.h"
#include "labwarden/config.h"
#include "labwarden/conntrack.h"
#include "labwarden/decode.h"
#include "labwarden/dnswatch.h"
#include "labwarden/domain.h"
#include "labwarden/events.h"
#include "labwarden/fact.h"
#include "labwarden/inventory.h"
#include "labwarden/oui.h"
#include "labwarden/stats.h"
#include "labwarden/table.h"

#define LW_SENSOR_MAX_SINKS	4
#define LW_SENSOR_MAX_TABLES	16
#define LW_SENSOR_MAX_HOME	16	/* built-in home prefixes */

struct lw_fact_sink {
	void	(*fn)(void *ctx, const struct lw_fact *fact);
	void	*ctx;
};

struct lw_sensor {
	struct lw_clock clock;
	struct lw_stats stats;
	struct lw_writer *writer;
	const struct lw_config *cfg;
	const char *state_dir;		/* NULL: keep no state (replay) */
	bool	 decode_only;		/* count packets, run no detector */

	struct lw_fact_sink sinks[LW_SENSOR_MAX_SINKS];
	unsigned nsinks;
	struct lw_capturer *capturer;	/* look-back ring, or NULL */
	/* Called once a second of clock time (schedules). */
	void	(*on_tick)(void *ctx, uint64_t now_ns);
	void	*tick_ctx;
	/* Adds the source's own figures (live drops) to a stats event. */
	void	(*stats_hook)(void *ctx, json_t *event);
	void	*stats_ctx;

	/* Reference data, loaded once. */
	struct lw_oui oui;
	struct lw_psl *psl;
	struct lw_blocklist blocklist;
	const struct lw_cidr *home;	/* networks.home, or the defaults */
	size_t	 nhome;
	struct lw_cidr default_home[LW_SENSOR_MAX_HOME];

	/* Detectors. */
	struct lw_inventory inventory;
	struct lw_dnswatch dns;
	struct lw_conntrack conns;

	struct lw_table *tables[LW_SENSOR_MAX_TABLES];	/* for pressure */
	unsigned ntables;
	uint64_t next_tick_ns;		/* once a second of clock time */
};

/*
 * Load reference data and size the tables from cfg->memory_mb; load
 * state from state_dir when given.  False with a message naming the
 * file and the reason.  Problems in list files go to 'report'.
 */
bool	 lw_sensor_init(struct lw_sensor *s, const struct lw_config *cfg,
	    struct lw_writer *writer, bool live, const char *state_dir,
	    FILE *report, char *err, size_t errlen);
void	 lw_sensor_free(struct lw_sensor *s);
bool	 lw_sensor_add_sink(struct lw_sensor *s,
	    void (*fn)(void *ctx, const struct lw_fact *fact), void *ctx);

/* A source of this link type starts delivering packets. */
void	 lw_sensor_begin_source(struct lw_sensor *s, int linktype);
/* pkt carries the capture facts; it is decoded here in place. */
void	 lw_sensor_packet(struct lw_sensor *s, struct lw_packet *pkt,
	    const uint8_t *data);
/* No packet for a while (live): let time-driven work run. */
void	 lw_sensor_idle(struct lw_sensor *s);
/* End of input: pending facts, the stats event, state saved.  False
 * (message in err) only when saving state failed. */
bool	 lw_sensor_finish(struct lw_sensor *s, char *err, size_t errlen);
/* A stats event with the counts so far (the caller writes it). */
json_t	*lw_sensor_stats_event(const struct lw_sensor *s);
/* Table sizes and evictions, for --stats. */
void	 lw_sensor_print_tables(const struct lw_sensor *s, FILE *out);

/* For detectors. */
void	 lw_sensor_emit(struct lw_sensor *s, const struct lw_fact *fact);
bool	 lw_sensor_is_home(const struct lw_sensor *s,
	    const struct lw_addr *addr);
static inline uint64_t lw_sensor_now(const struct lw_sensor *s)
{
	return lw_clock_now(&s->clock);
}

#endif
