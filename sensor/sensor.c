/*
 * sensor.c - the per-packet pipeline.
 */
#include "labwarden/sensor.h"

void lw_sensor_init(struct lw_sensor *s, const struct lw_config *cfg,
    struct lw_writer *writer, bool live)
{
	if (live)
		lw_clock_init_live(&s->clock);
	else
		lw_clock_init_replay(&s->clock);
	lw_stats_init(&s->stats);
	s->writer = writer;
	s->cfg = cfg;
}

void lw_sensor_begin_source(struct lw_sensor *s, int linktype)
{
	lw_stats_begin_link(&s->stats, linktype);
}

void lw_sensor_packet(struct lw_sensor *s, struct lw_packet *pkt,
    const uint8_t *data)
{
	lw_decode(pkt, data);
	lw_clock_observe(&s->clock, pkt->ts_ns);
	lw_stats_count(&s->stats, pkt);
	if (lw_writer_wants(s->writer, LW_EV_PACKET))
		lw_writer_put(s->writer, lw_event_packet(pkt));
}

void lw_sensor_finish(struct lw_sensor *s)
{
	if (!lw_writer_wants(s->writer, LW_EV_STATS))
		return;
	json_t *ev = lw_event_new(LW_EV_STATS, lw_clock_now(&s->clock));
	lw_stats_to_json(&s->stats, ev);
	lw_writer_put(s->writer, ev);
}
