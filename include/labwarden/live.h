/*
 * live.h - live packet sources for `labwarden run`.
 *
 * A source is an interface opened with libpcap: promiscuous (for a
 * mirror port), immediate mode (no batching delay), with a snap length,
 * a kernel buffer and an optional BPF filter from `sources:`.  The run
 * loop polls every source's descriptor with a short timeout, hands what
 * arrived to the sensor, and wakes at least once a second so that time
 * moves on (expiries, schedules) on a quiet network.
 */
#ifndef LABWARDEN_LIVE_H
#define LABWARDEN_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pcap/pcap.h>

#define LW_LIVE_MAX_SOURCES	8

struct lw_live_source {
	char	 name[64];	/* the interface */
	pcap_t	*pcap;
	int	 fd;		/* selectable descriptor */
	int	 linktype;
	uint64_t packets;
};

struct lw_live {
	struct lw_live_source src[LW_LIVE_MAX_SOURCES];
	unsigned n;
};

struct lw_config;

/* Open every pcap source of the configuration; false with the reason
 * (naming the interface) if one cannot be opened. */
bool	 lw_live_open(struct lw_live *live, const struct lw_config *cfg,
	    char *err, size_t errlen);
void	 lw_live_close(struct lw_live *live);
/* Received and dropped counts of all sources (pcap_stats). */
void	 lw_live_stats(struct lw_live *live, uint64_t *received,
	    uint64_t *dropped);

#endif
