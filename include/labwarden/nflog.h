/*
 * nflog.h - an NFLOG group as a live packet source (libnetfilter_log).
 *
 * A firewall rule such as `log group 7 prefix "lan-new"` (nft) or
 * `-j NFLOG --nflog-group 7` (iptables) sends a copy of each packet it
 * matches to group 7 over netlink.  This module binds the group, reads
 * the socket without blocking and hands each packet on as a DLT_NFLOG
 * frame - the form libpcap's "nflog:7" device and Wireshark use - with
 * the rule's prefix, the sender's MAC (when the packet came in on
 * Ethernet) and the packet from its IP header on.  The decoder reads
 * that form (decode_link.c), so live NFLOG, NFLOG capture files and the
 * triggered captures written from an NFLOG source all look the same.
 *
 * Drops are counted two ways: ENOBUFS on the socket (the kernel could
 * not queue a message for us: an overrun, count of packets unknown) and
 * gaps in the per-group sequence numbers the kernel is asked to add
 * (the exact number of packets lost).
 */
#ifndef LABWARDEN_NFLOG_H
#define LABWARDEN_NFLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LW_NFLOG_MAX_GROUP	65535
#define LW_NFLOG_MAX_COPY	65535	/* the kernel's copy range limit */

struct lw_nflog;

struct lw_nflog_counts {
	uint64_t received;	/* packets handed on */
	uint64_t overruns;	/* ENOBUFS: the socket buffer was full */
	uint64_t lost;		/* packets missing from the sequence */
	uint64_t truncated;	/* messages larger than our buffer */
};

/* One frame for the sensor; data lives until the call returns. */
typedef void lw_nflog_fn(void *ctx, uint64_t ts_ns, uint32_t len,
	    const uint8_t *data);

/*
 * Bind NFLOG group 'group' (needs CAP_NET_ADMIN), copying up to
 * copy_range bytes of each packet (0: the whole packet), with a socket
 * buffer of rcvbuf_mb MiB.  NULL with the reason in err.
 */
struct lw_nflog *lw_nflog_open(unsigned group, unsigned copy_range,
	    unsigned rcvbuf_mb, char *err, size_t errlen);
void	 lw_nflog_close(struct lw_nflog *nl);
/* The socket, for poll(). */
int	 lw_nflog_fd(const struct lw_nflog *nl);
/* Read at most max socket messages that are waiting; each packet in
 * them goes to fn.  Never blocks.  Returns the messages read. */
unsigned lw_nflog_dispatch(struct lw_nflog *nl, unsigned max,
	    lw_nflog_fn *fn, void *ctx);
void	 lw_nflog_counts(const struct lw_nflog *nl,
	    struct lw_nflog_counts *counts);

#endif
