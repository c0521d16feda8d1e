/*
 * capwriter.h - the disk side of captures: a thread that writes queued
 * packets to capture files, so the packet path never waits on a disk.
 *
 * The packet path copies each packet a capture wants into a bounded
 * queue (a byte arena plus a job ring) and goes on; when the queue is
 * full the packet is dropped for the capture and counted, never waited
 * for.  The writer thread does pcap_dump and the final flush and close,
 * and raises a per-capture flag when a write fails (a full disk), which
 * the packet path reads to end that capture.
 */
#ifndef LABWARDEN_CAPWRITER_H
#define LABWARDEN_CAPWRITER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pcap/pcap.h>

#define LW_CAPWRITER_SLOTS	8	/* one per concurrent capture */

struct lw_capjob;

struct lw_capwriter {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool	 running, stopping;

	uint8_t	*arena;		/* packet copies, FIFO, contiguous each */
	size_t	 arena_size, arena_head, arena_used;
	struct lw_capjob *jobs;
	size_t	 job_cap, job_head, job_count;

	bool	 failed[LW_CAPWRITER_SLOTS];	/* set by the thread */
	uint32_t gen[LW_CAPWRITER_SLOTS];	/* which capture owns a slot */
	uint64_t dropped;	/* packets refused: queue full */
};

bool	 lw_capwriter_start(struct lw_capwriter *w, size_t queue_bytes);
/* Queue one packet for the capture in slot; false when it was dropped. */
bool	 lw_capwriter_put(struct lw_capwriter *w, int slot,
	    pcap_dumper_t *dumper, const struct pcap_pkthdr *hdr,
	    const uint8_t *data);
/* Queue the flush and close of a capture's file (always accepted). */
void	 lw_capwriter_close(struct lw_capwriter *w, int slot,
	    pcap_dumper_t *dumper);
/* Did a write of the capture in slot fail?  Clears nothing. */
bool	 lw_capwriter_failed(struct lw_capwriter *w, int slot);
/* A new capture takes slot: the last one's late failures are not its. */
void	 lw_capwriter_reset(struct lw_capwriter *w, int slot);
/* Write everything queued, then end the thread. */
void	 lw_capwriter_stop(struct lw_capwriter *w);

#endif
