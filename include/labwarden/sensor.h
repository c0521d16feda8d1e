/*
 * sensor.h - the packet path: decode, count, turn into facts, emit.
 *
 * Capture sources (files in replay, interfaces and NFLOG live) hand
 * every packet to lw_sensor_packet().  The sensor owns the clock and the
 * counters; detectors hang off it and emit typed events through the
 * writer (and, later, to the scene engine).  Nothing here blocks.
 */
#ifndef LABWARDEN_SENSOR_H
#define LABWARDEN_SENSOR_H

#include "labwarden/clock.h"
#include "labwarden/config.h"
#include "labwarden/decode.h"
#include "labwarden/events.h"
#include "labwarden/stats.h"

struct lw_sensor {
	struct lw_clock clock;
	struct lw_stats stats;
	struct lw_writer *writer;
	const struct lw_config *cfg;
};

void	lw_sensor_init(struct lw_sensor *s, const struct lw_config *cfg,
	    struct lw_writer *writer, bool live);
/* A source of this link type starts delivering packets. */
void	lw_sensor_begin_source(struct lw_sensor *s, int linktype);
/* pkt carries the capture facts; it is decoded here in place. */
void	lw_sensor_packet(struct lw_sensor *s, struct lw_packet *pkt,
	    const uint8_t *data);
/* End of input: emits the stats event if the writer wants it. */
void	lw_sensor_finish(struct lw_sensor *s);

#endif
