/*
 * nflog.c - an NFLOG group as a live packet source (see nflog.h).
 *
 * libnetfilter_log parses the netlink messages; for each packet this
 * file writes a DLT_NFLOG frame (4-byte header, then type-length-value
 * attributes, little-endian as Linux writes them and the decoder reads
 * them) holding only what the sensor uses: the packet header, the
 * prefix, the hardware address and header, and the payload last.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libnetfilter_log/libnetfilter_log.h>

#include "labwarden/clock.h"
#include "labwarden/decode.h"
#include "labwarden/nflog.h"

#define RX_BYTES	(256 * 1024)	/* > the largest message (64K + meta) */
#define NL_BUFSIZ	65536		/* the kernel batches up to this */
#define FLUSH_CS	2		/* ...or for 20 ms (1/100 s units) */
#define QTHRESH		64		/* ...or this many packets */
#define TLV_HDR		4
#define MAX_HWHDR	64
#define MAX_BODY	(65535 - TLV_HDR)	/* a TLV's length is 16 bits */
#define FRAME_BYTES	(4 + 3 * (TLV_HDR + 16) + TLV_HDR + 128 + \
			    TLV_HDR + MAX_HWHDR + TLV_HDR + MAX_BODY + 4)
/* The attribute types of linux/netfilter/nfnetlink_log.h we write. */
#define A_PACKET_HDR	1
#define A_HWADDR	8
#define A_PAYLOAD	9
#define A_PREFIX	10
#define A_HWTYPE	15
#define A_HWHEADER	16

struct lw_nflog {
	struct nflog_handle *h;
	struct nflog_g_handle *g;
	int	 fd;
	unsigned group;
	uint8_t	*rx;		/* one netlink read */
	uint8_t	*frame;		/* the frame being built */
	lw_nflog_fn *fn;	/* where frames go during a dispatch */
	void	*ctx;
	bool	 seq_known;
	uint32_t next_seq;
	struct lw_nflog_counts counts;
};

static uint8_t *put_tlv(uint8_t *p, uint16_t type, const void *body,
    size_t len)
{
	uint16_t total = (uint16_t)(len + TLV_HDR);
	size_t pad = (4 - (len & 3)) & 3;

	p[0] = (uint8_t)(total & 0xff);
	p[1] = (uint8_t)(total >> 8);
	p[2] = (uint8_t)(type & 0xff);
	p[3] = (uint8_t)(type >> 8);
	if (len)
		memcpy(p + TLV_HDR, body, len);
	memset(p + TLV_HDR + len, 0, pad);
	return p + TLV_HDR + len + pad;
}

/* The link-layer attributes, present for packets that came in on an
 * interface with a MAC header. */
static uint8_t *put_hw(uint8_t *p, struct nflog_data *d)
{
	struct nfulnl_msg_packet_hw *hw = nflog_get_packet_hw(d);
	char *hwhdr = nflog_get_msg_packet_hwhdr(d);

	if (hw)
		p = put_tlv(p, A_HWADDR, hw, sizeof *hw);
	if (hwhdr) {
		uint16_t type = htons(nflog_get_hwtype(d));
		size_t len = nflog_get_msg_packet_hwhdrlen(d);
		p = put_tlv(p, A_HWTYPE, &type, sizeof type);
		p = put_tlv(p, A_HWHEADER, hwhdr, len < MAX_HWHDR ? len :
		    MAX_HWHDR);
	}
	return p;
}

/* The frame for one packet; returns its length. */
static uint32_t build_frame(struct lw_nflog *nl, uint8_t family,
    struct nflog_data *d)
{
	uint8_t *p = nl->frame;
	struct nfulnl_msg_packet_hdr *ph = nflog_get_msg_packet_hdr(d);
	const char *prefix = nflog_get_prefix(d);
	char *payload = NULL;
	int plen = nflog_get_payload(d, &payload);

	p[0] = family;
	p[1] = 0;			/* version */
	p[2] = (uint8_t)(nl->group >> 8);	/* resource id: the group */
	p[3] = (uint8_t)(nl->group & 0xff);
	p += 4;
	if (ph)
		p = put_tlv(p, A_PACKET_HDR, ph, sizeof *ph);
	if (prefix)
		p = put_tlv(p, A_PREFIX, prefix, strnlen(prefix,
		    LW_NFLOG_PREFIX_MAX) + 1);
	p = put_hw(p, d);
	if (plen > 0 && payload) {
		size_t len = (size_t)plen;
		if (len > MAX_BODY) {
			len = MAX_BODY;
			nl->counts.truncated++;
		}
		p = put_tlv(p, A_PAYLOAD, payload, len);
		p -= (4 - (len & 3)) & 3;	/* no padding at the end */
	}
	return (uint32_t)(p - nl->frame);
}

/* Sequence numbers the kernel skipped were packets it could not send. */
static void count_sequence(struct lw_nflog *nl, struct nflog_data *d)
{
	uint32_t seq;

	if (nflog_get_seq(d, &seq) != 0)
		return;
	uint32_t gap = seq - nl->next_seq;
	if (nl->seq_known && gap != 0 && gap < (1u << 31))
		nl->counts.lost += gap;
	nl->next_seq = seq + 1;
	nl->seq_known = true;
}

static uint64_t packet_time(struct nflog_data *d)
{
	struct timeval tv;
	struct timespec ts;

	if (nflog_get_timestamp(d, &tv) == 0 && tv.tv_sec > 0)
		return (uint64_t)tv.tv_sec * LW_NS_PER_SEC +
		    (uint64_t)tv.tv_usec * 1000;
	clock_gettime(CLOCK_REALTIME, &ts);	/* output hooks: no stamp */
	return (uint64_t)ts.tv_sec * LW_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static int on_packet(struct nflog_g_handle *gh, struct nfgenmsg *msg,
    struct nflog_data *d, void *arg)
{
	struct lw_nflog *nl = arg;

	(void)gh;
	count_sequence(nl, d);
	uint32_t len = build_frame(nl, msg->nfgen_family, d);
	nl->counts.received++;
	if (nl->fn)
		nl->fn(nl->ctx, packet_time(d), len, nl->frame);
	return 0;
}

/* Past net.core.rmem_max when we may (CAP_NET_ADMIN), else as asked. */
static void set_rcvbuf(int fd, unsigned mb)
{
	int bytes = (int)((mb ? mb : 4) << 20);

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes,
	    sizeof bytes) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes,
		    sizeof bytes);
}

static bool configure(struct lw_nflog *nl, unsigned copy_range,
    unsigned rcvbuf_mb, char *err, size_t errlen)
{
	unsigned range = copy_range && copy_range < LW_NFLOG_MAX_COPY ?
	    copy_range : LW_NFLOG_MAX_COPY;

	if (nflog_set_mode(nl->g, NFULNL_COPY_PACKET, range) < 0 ||
	    nflog_set_flags(nl->g, NFULNL_CFG_F_SEQ) < 0 ||
	    nflog_set_nlbufsiz(nl->g, NL_BUFSIZ) < 0 ||
	    nflog_set_timeout(nl->g, FLUSH_CS) < 0 ||
	    nflog_set_qthresh(nl->g, QTHRESH) < 0) {
		snprintf(err, errlen, "nflog group %u: cannot configure the "
		    "group: %s", nl->group, strerror(errno));
		return false;
	}
	nflog_callback_register(nl->g, on_packet, nl);
	nl->fd = nflog_fd(nl->h);
	set_rcvbuf(nl->fd, rcvbuf_mb);
	int flags = fcntl(nl->fd, F_GETFL);
	if (flags < 0 || fcntl(nl->fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		snprintf(err, errlen, "nflog group %u: %s", nl->group,
		    strerror(errno));
		return false;
	}
	return true;
}

static bool bind_group(struct lw_nflog *nl, char *err, size_t errlen)
{
	nl->h = nflog_open();
	if (!nl->h) {
		snprintf(err, errlen, "nflog group %u: no netlink socket: %s",
		    nl->group, strerror(errno));
		return false;
	}
	/* A no-op on kernels since 3.17; older ones need it.  Never
	 * unbound: that would detach every other NFLOG listener. */
	(void)nflog_bind_pf(nl->h, AF_INET);
	(void)nflog_bind_pf(nl->h, AF_INET6);
	nl->g = nflog_bind_group(nl->h, (uint16_t)nl->group);
	if (!nl->g) {
		int e = errno;
		snprintf(err, errlen, "nflog group %u: cannot bind: %s%s",
		    nl->group, strerror(e), e == EPERM ? " (another program "
		    "such as ulogd or labwarden has the group, or this one "
		    "lacks CAP_NET_ADMIN)" : "");
		return false;
	}
	return true;
}

struct lw_nflog *lw_nflog_open(unsigned group, unsigned copy_range,
    unsigned rcvbuf_mb, char *err, size_t errlen)
{
	struct lw_nflog *nl = calloc(1, sizeof *nl);

	if (!nl || group > LW_NFLOG_MAX_GROUP) {
		snprintf(err, errlen, "nflog group %u: %s", group, nl ?
		    "groups are 0-65535" : "out of memory");
		free(nl);
		return NULL;
	}
	nl->group = group;
	nl->fd = -1;
	nl->rx = malloc(RX_BYTES);
	nl->frame = malloc(FRAME_BYTES);
	if (!nl->rx || !nl->frame) {
		snprintf(err, errlen, "nflog group %u: out of memory", group);
		lw_nflog_close(nl);
		return NULL;
	}
	if (!bind_group(nl, err, errlen) ||
	    !configure(nl, copy_range, rcvbuf_mb, err, errlen)) {
		lw_nflog_close(nl);
		return NULL;
	}
	return nl;
}

void lw_nflog_close(struct lw_nflog *nl)
{
	if (!nl)
		return;
	if (nl->g)
		nflog_unbind_group(nl->g);
	if (nl->h)
		nflog_close(nl->h);
	free(nl->rx);
	free(nl->frame);
	free(nl);
}

int lw_nflog_fd(const struct lw_nflog *nl)
{
	return nl->fd;
}

unsigned lw_nflog_dispatch(struct lw_nflog *nl, unsigned max,
    lw_nflog_fn *fn, void *ctx)
{
	unsigned n;

	nl->fn = fn;
	nl->ctx = ctx;
	for (n = 0; n < max; n++) {
		ssize_t got = recv(nl->fd, nl->rx, RX_BYTES, MSG_TRUNC);
		if (got < 0) {
			if (errno == ENOBUFS) {	/* the kernel dropped some */
				nl->counts.overruns++;
				continue;
			}
			if (errno == EINTR)
				continue;
			break;			/* EAGAIN: all read */
		}
		if ((size_t)got > RX_BYTES) {	/* cannot happen: 64K max */
			nl->counts.truncated++;
			continue;
		}
		nflog_handle_packet(nl->h, (char *)nl->rx, (int)got);
	}
	nl->fn = NULL;
	return n;
}

void lw_nflog_counts(const struct lw_nflog *nl,
    struct lw_nflog_counts *counts)
{
	*counts = nl->counts;
}
