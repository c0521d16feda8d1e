/*
 * capture.h - triggered packet capture with look-back.
 *
 * Every packet goes once into a ring of recent packets, bounded in
 * bytes and in seconds (capture.ring_mb, capture.ring_seconds).  When a
 * scene's capture action starts a capture, the file first gets the
 * ring's packets of the target since (trigger - ring_seconds), then
 * follows the target until `for:` ends or max_bytes / max_packets is
 * reached.  The target is a host, by IP or MAC, in both directions,
 * with an optional BPF filter on top.  Several captures read the same
 * ring: a packet is stored once, whatever the number of captures.
 *
 * Files go to capture_dir as SCENE_TARGET_YYYYmmddTHHMMSSZ.pcap, mode
 * 0600, written with pcap_dump in the source's link type.  Before a new
 * capture the oldest files are deleted until the directory is within
 * capture.quota_mb.  A directory that cannot be written, or a disk that
 * fills, ends that capture with the reason; sensing never stops for it.
 * Packets reach the files through the writer thread (capwriter.h): the
 * packet path only copies them into a bounded queue.
 */
#ifndef LABWARDEN_CAPTURE_H
#define LABWARDEN_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

#include <pcap/pcap.h>

#include "labwarden/capwriter.h"
#include "labwarden/config.h"
#include "labwarden/decode.h"
#include "labwarden/events.h"

#define LW_CAPTURE_MAX		8	/* captures at once */
#define LW_CAPTURE_PATH_MAX	512

struct lw_ring_rec;

struct lw_pktring {
	uint8_t	*arena;		/* packet bytes, records back to back */
	size_t	 arena_size;
	size_t	 head, used;	/* oldest byte, bytes in use */
	struct lw_ring_rec *recs;	/* record index, a ring too */
	size_t	 rec_cap, rec_head, rec_count;
	uint64_t max_age_ns;
	uint64_t next_seq;	/* sequence number of the next packet */
};

struct lw_capture {
	bool	 active;
	char	 scene[64];
	char	 target[64];
	struct lw_addr ip;	/* target, when an address */
	uint8_t	 mac[6];	/* target, when a MAC */
	bool	 by_mac;
	struct bpf_program filter;
	bool	 has_filter;
	char	 path[LW_CAPTURE_PATH_MAX];
	pcap_dumper_t *dumper;
	uint64_t until_ns;
	uint64_t max_bytes, max_packets;
	uint64_t bytes, packets;
	uint64_t dropped;	/* the writer's queue was full */
};

struct lw_capturer {
	const struct lw_config *cfg;
	struct lw_writer *writer;
	struct lw_pktring ring;
	bool	 enabled;	/* a ring is kept only when captures can run */
	int	 linktype;
	pcap_t	*dead;		/* for pcap_dump and BPF, of linktype */
	struct lw_capture caps[LW_CAPTURE_MAX];
	struct lw_capwriter disk;	/* the thread that writes the files */
	uint64_t started, failed;
};

bool	 lw_capturer_init(struct lw_capturer *c, const struct lw_config *cfg,
	    struct lw_writer *writer, bool enabled, char *err, size_t errlen);
void	 lw_capturer_free(struct lw_capturer *c, uint64_t now_ns);
/* A source of this link type starts (ends captures of another type). */
void	 lw_capturer_begin_source(struct lw_capturer *c, int linktype,
	    uint64_t now_ns);
/* Every packet, decoded: into the ring and to the captures it matches. */
void	 lw_capturer_packet(struct lw_capturer *c, const struct lw_packet *pkt,
	    const uint8_t *data, uint64_t now_ns);
/*
 * Start a capture of target (IP or MAC text) for for_ns from now.  On
 * success path holds the file; on failure err says why (and the
 * capture is recorded as failed).  filter may be NULL.
 */
bool	 lw_capturer_start(struct lw_capturer *c, const char *scene,
	    const char *target, const char *filter, uint64_t now_ns,
	    uint64_t for_ns, uint64_t max_bytes, uint64_t max_packets,
	    char *path, size_t pathlen, char *err, size_t errlen);
/* Close the captures that are due at now_ns (capture_done for each). */
void	 lw_capturer_tick(struct lw_capturer *c, uint64_t now_ns);

#endif
