/*
 * live.h - live packet sources for `labwarden run`.
 *
 * A source is either an interface opened with libpcap - promiscuous
 * (for a mirror port), immediate mode (no batching delay), with a snap
 * length, a kernel buffer and an optional BPF filter from `sources:` -
 * or an NFLOG group read through libnetfilter_log (nflog.h), whose
 * packets arrive as DLT_NFLOG frames.  Every source has a descriptor
 * the run loop polls; lw_live_dispatch() reads what is waiting on one
 * source without blocking and hands each packet over in the order the
 * kernel queued it, so facts stay in time order per source.
 *
 * Drops are kept per source: for pcap the kernel ring (ps_drop) and the
 * interface (ps_ifdrop), for NFLOG the socket overruns (ENOBUFS) and
 * the packets missing from the kernel's sequence numbers.
 */
#ifndef LABWARDEN_LIVE_H
#define LABWARDEN_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <pcap/pcap.h>

#include "labwarden/config.h"

#define LW_LIVE_MAX_SOURCES	LW_MAX_SOURCES

struct lw_nflog;

struct lw_live_source {
	enum lw_source_kind kind;
	char	 name[64];	/* "eth1", or "nflog:7" */
	pcap_t	*pcap;		/* kind LW_SRC_PCAP */
	struct lw_nflog *nflog;	/* kind LW_SRC_NFLOG */
	int	 fd;		/* selectable descriptor */
	int	 linktype;	/* DLT_NFLOG for NFLOG groups */
	uint64_t packets;	/* handed to the sensor */
};

struct lw_live {
	struct lw_live_source src[LW_LIVE_MAX_SOURCES];
	unsigned n;
};

/* What a source received and lost since it was opened. */
struct lw_live_counts {
	uint64_t received;	/* pcap ps_recv; NFLOG packets read */
	uint64_t dropped;	/* pcap ps_drop; NFLOG sequence gaps */
	uint64_t ifdropped;	/* pcap ps_ifdrop (the interface) */
	uint64_t overruns;	/* NFLOG ENOBUFS (count of packets unknown) */
};

/* One packet of a source; data lives until the call returns. */
typedef void lw_live_fn(void *ctx, struct lw_live_source *src,
	    uint64_t ts_ns, uint32_t caplen, uint32_t wirelen,
	    const uint8_t *data);

/* Open every source of the configuration; false with the reason
 * (naming the interface or group) if one cannot be opened. */
bool	 lw_live_open(struct lw_live *live, const struct lw_config *cfg,
	    char *err, size_t errlen);
void	 lw_live_close(struct lw_live *live);
/* Read at most max packets (pcap) or socket messages (NFLOG) waiting
 * on src, each to fn; never blocks. */
void	 lw_live_dispatch(struct lw_live_source *src, unsigned max,
	    lw_live_fn *fn, void *ctx);
void	 lw_live_source_counts(struct lw_live_source *src,
	    struct lw_live_counts *counts);
/* Received and dropped counts of all sources (pcap: ring and
 * interface; NFLOG: sequence gaps). */
void	 lw_live_stats(struct lw_live *live, uint64_t *received,
	    uint64_t *dropped);
/* Per-source counts as a JSON array, for the stats event. */
json_t	*lw_live_stats_json(struct lw_live *live);
/* Adds received, dropped and sources to a stats event; the sensor's
 * stats_hook, with the struct lw_live as ctx. */
void	 lw_live_stats_hook(void *live, json_t *event);
/* Per-source counts for --stats, one line each. */
void	 lw_live_stats_print(struct lw_live *live, FILE *out);

#endif
