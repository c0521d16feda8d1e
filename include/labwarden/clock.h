/*
 * clock.h - the one source of "now".
 *
 * Replay runs on packet time: the clock advances to each packet's
 * timestamp (never backwards, so a reordered packet cannot rewind a
 * window).  Live runs on the real-time clock.  Windows, cooldowns,
 * expiries and schedules read time only through lw_clock_now(), which is
 * what makes an hour of traffic replay in a second with the same events.
 */
#ifndef LABWARDEN_CLOCK_H
#define LABWARDEN_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LW_NS_PER_SEC 1000000000ull

struct lw_clock {
	bool	 live;
	uint64_t now_ns;	/* replay: latest packet time seen */
};

void	 lw_clock_init_replay(struct lw_clock *clock);
void	 lw_clock_init_live(struct lw_clock *clock);

/* Replay: move to a packet's time; live: ignored. */
void	 lw_clock_observe(struct lw_clock *clock, uint64_t packet_ns);

/* Nanoseconds since the epoch (0 in replay before the first packet). */
uint64_t lw_clock_now(const struct lw_clock *clock);

/* RFC 3339 UTC with microseconds: 2025-11-22T08:26:40.000195Z.
 * buf must hold LW_TIME_STRLEN bytes. */
#define LW_TIME_STRLEN 32
const char *lw_time_format(uint64_t ns, char *buf, size_t len);

/* Parse a duration "90s", "15m", "2h", "7d" (also "500ms", "0s") into
 * nanoseconds.  Returns false on anything else, or on overflow. */
bool	 lw_duration_parse(const char *text, uint64_t *ns);

#endif
