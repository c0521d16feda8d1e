/*
 * pcapfile.h - reading capture files for replay.
 *
 * libpcap reads pcap and pcapng (by magic number, whatever the name),
 * either byte order, micro- or nanosecond.  We open every file with
 * nanosecond precision so packet time is exact, refuse link types the
 * decoder does not know with a message naming them, and recognise a
 * gzip file so the user is told to unpack it instead of "bad magic".
 */
#ifndef LABWARDEN_PCAPFILE_H
#define LABWARDEN_PCAPFILE_H

#include <stdint.h>

#include "labwarden/decode.h"

struct lw_pcapfile;

#define LW_ERRLEN 512

/* NULL on failure with a message naming the file in err. */
struct lw_pcapfile *lw_pcapfile_open(const char *path, char *err,
	    size_t errlen);
void	 lw_pcapfile_close(struct lw_pcapfile *file);
int	 lw_pcapfile_linktype(const struct lw_pcapfile *file);
/* Bytes of the file read so far, and its size (for --progress). */
uint64_t lw_pcapfile_offset(const struct lw_pcapfile *file);
uint64_t lw_pcapfile_size(const struct lw_pcapfile *file);

/*
 * Next packet: fills pkt's capture facts (ts_ns, caplen, wirelen,
 * linktype) and *data.  Returns 1 for a packet, 0 at the end, -1 when the
 * rest of the file is unreadable (message in err; packets before it were
 * delivered).
 */
int	 lw_pcapfile_next(struct lw_pcapfile *file, struct lw_packet *pkt,
	    const uint8_t **data, char *err, size_t errlen);

#endif
