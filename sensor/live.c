/*
 * live.c - live sources: pcap interfaces and NFLOG groups (see live.h).
 */
#include <stdio.h>
#include <string.h>

#include "labwarden/config.h"
#include "labwarden/decode.h"
#include "labwarden/live.h"
#include "labwarden/nflog.h"

/*
 * In immediate mode libpcap gives every packet a ring slot as large as
 * the snap length (or the MTU when the NIC does no offloads, which with
 * GRO on is rare): 16 MiB at 65535 bytes is 256 slots, which a burst of
 * a few milliseconds fills (bench/live.py: drops from 50,000 packets/s
 * on a veth); at 9216 bytes (Zeek's default: jumbo frames whole, GRO
 * super-packets cut) it is 1,800.  Without immediate mode (TPACKET_V3)
 * packets are packed into blocks handed over when full or after
 * BATCH_MS, and the snap length costs nothing.
 */
#define DEFAULT_SNAPLEN		9216
#define DEFAULT_BUFFER_MB	16
#define BATCH_MS		100

static bool open_pcap(struct lw_live_source *s, const struct lw_source *cfg,
    char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct bpf_program prog;

	snprintf(s->name, sizeof s->name, "%s", cfg->iface);
	s->pcap = pcap_create(cfg->iface, perr);
	if (!s->pcap) {
		snprintf(err, errlen, "%s: %s", cfg->iface, perr);
		return false;
	}
	pcap_set_snaplen(s->pcap, (int)(cfg->snaplen ? cfg->snaplen :
	    DEFAULT_SNAPLEN));
	pcap_set_promisc(s->pcap, cfg->promiscuous);
	pcap_set_immediate_mode(s->pcap, cfg->immediate);
	if (!cfg->immediate)
		pcap_set_timeout(s->pcap, BATCH_MS);
	pcap_set_buffer_size(s->pcap, (int)((cfg->buffer_mb ? cfg->buffer_mb :
	    DEFAULT_BUFFER_MB) << 20));
	pcap_set_tstamp_precision(s->pcap, PCAP_TSTAMP_PRECISION_NANO);
	int rc = pcap_activate(s->pcap);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", cfg->iface,
		    pcap_geterr(s->pcap));
		return false;
	}
	if (cfg->filter) {
		if (pcap_compile(s->pcap, &prog, cfg->filter, 1,
		    PCAP_NETMASK_UNKNOWN) != 0 ||
		    pcap_setfilter(s->pcap, &prog) != 0) {
			snprintf(err, errlen, "%s: filter '%s': %s", cfg->iface,
			    cfg->filter, pcap_geterr(s->pcap));
			return false;
		}
		pcap_freecode(&prog);
	}
	if (pcap_setnonblock(s->pcap, 1, perr) != 0) {
		snprintf(err, errlen, "%s: %s", cfg->iface, perr);
		return false;
	}
	s->fd = pcap_get_selectable_fd(s->pcap);
	s->linktype = pcap_datalink(s->pcap);
	if (s->fd < 0) {
		snprintf(err, errlen, "%s: cannot be polled", cfg->iface);
		return false;
	}
	return true;
}

static bool open_nflog(struct lw_live_source *s, const struct lw_source *cfg,
    char *err, size_t errlen)
{
	snprintf(s->name, sizeof s->name, "nflog:%u", (unsigned)cfg->group);
	s->nflog = lw_nflog_open((unsigned)cfg->group, (unsigned)cfg->snaplen,
	    (unsigned)(cfg->buffer_mb ? cfg->buffer_mb : DEFAULT_BUFFER_MB),
	    err, errlen);
	if (!s->nflog)
		return false;
	s->fd = lw_nflog_fd(s->nflog);
	s->linktype = LW_LINK_NFLOG;
	return true;
}

bool lw_live_open(struct lw_live *live, const struct lw_config *cfg,
    char *err, size_t errlen)
{
	memset(live, 0, sizeof *live);
	for (size_t i = 0; i < cfg->nsources && i < LW_LIVE_MAX_SOURCES; i++) {
		const struct lw_source *src = &cfg->sources[i];
		struct lw_live_source *s = &live->src[live->n++];
		s->kind = src->kind;
		s->fd = -1;
		bool ok = src->kind == LW_SRC_NFLOG ?
		    open_nflog(s, src, err, errlen) :
		    open_pcap(s, src, err, errlen);
		if (!ok) {
			lw_live_close(live);
			return false;
		}
	}
	if (live->n == 0) {
		snprintf(err, errlen, "no sources: add sources: - pcap: IFACE "
		    "or - nflog: GROUP to the configuration");
		return false;
	}
	return true;
}

void lw_live_close(struct lw_live *live)
{
	for (unsigned i = 0; i < live->n; i++) {
		if (live->src[i].pcap)
			pcap_close(live->src[i].pcap);
		lw_nflog_close(live->src[i].nflog);
	}
	memset(live, 0, sizeof *live);
}

/* pcap_dispatch and the NFLOG reader call back with different
 * arguments; both end in the caller's lw_live_fn. */
struct relay {
	lw_live_fn *fn;
	void	*ctx;
	struct lw_live_source *src;
};

static void relay_pcap(u_char *arg, const struct pcap_pkthdr *h,
    const u_char *bytes)
{
	struct relay *r = (struct relay *)(void *)arg;

	/* nanosecond precision: tv_usec holds nanoseconds */
	uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000ull +
	    (uint64_t)h->ts.tv_usec;
	r->src->packets++;
	r->fn(r->ctx, r->src, ts, h->caplen, h->len, bytes);
}

static void relay_nflog(void *arg, uint64_t ts_ns, uint32_t len,
    const uint8_t *data)
{
	struct relay *r = arg;

	r->src->packets++;
	r->fn(r->ctx, r->src, ts_ns, len, len, data);
}

void lw_live_dispatch(struct lw_live_source *src, unsigned max,
    lw_live_fn *fn, void *ctx)
{
	struct relay r = { fn, ctx, src };

	if (src->kind == LW_SRC_NFLOG)
		lw_nflog_dispatch(src->nflog, max, relay_nflog, &r);
	else
		pcap_dispatch(src->pcap, (int)max, relay_pcap, (u_char *)&r);
}

void lw_live_source_counts(struct lw_live_source *src,
    struct lw_live_counts *c)
{
	struct pcap_stat ps;
	struct lw_nflog_counts nc;

	memset(c, 0, sizeof *c);
	if (src->kind == LW_SRC_NFLOG) {
		lw_nflog_counts(src->nflog, &nc);
		c->received = nc.received;
		c->dropped = nc.lost;
		c->overruns = nc.overruns;
	} else if (pcap_stats(src->pcap, &ps) == 0) {
		c->received = ps.ps_recv;
		c->dropped = ps.ps_drop;
		c->ifdropped = ps.ps_ifdrop;
	}
}

void lw_live_stats(struct lw_live *live, uint64_t *received,
    uint64_t *dropped)
{
	struct lw_live_counts c;

	*received = *dropped = 0;
	for (unsigned i = 0; i < live->n; i++) {
		lw_live_source_counts(&live->src[i], &c);
		*received += c.received;
		*dropped += c.dropped + c.ifdropped;
	}
}

json_t *lw_live_stats_json(struct lw_live *live)
{
	json_t *list = json_array();
	struct lw_live_counts c;

	for (unsigned i = 0; i < live->n; i++) {
		struct lw_live_source *s = &live->src[i];
		lw_live_source_counts(s, &c);
		json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I}", "source",
		    s->name, "kind", s->kind == LW_SRC_NFLOG ? "nflog" : "pcap",
		    "received", (json_int_t)c.received, "dropped",
		    (json_int_t)c.dropped, "packets", (json_int_t)s->packets);
		if (!o)
			continue;
		if (s->kind == LW_SRC_NFLOG)
			json_object_set_new(o, "overruns",
			    json_integer((json_int_t)c.overruns));
		else
			json_object_set_new(o, "ifdropped",
			    json_integer((json_int_t)c.ifdropped));
		json_array_append_new(list, o);
	}
	return list;
}

void lw_live_stats_hook(void *live, json_t *event)
{
	uint64_t received, dropped;

	lw_live_stats(live, &received, &dropped);
	json_object_set_new(event, "received", json_integer((json_int_t)
	    received));
	json_object_set_new(event, "dropped", json_integer((json_int_t)
	    dropped));
	json_object_set_new(event, "sources", lw_live_stats_json(live));
}

void lw_live_stats_print(struct lw_live *live, FILE *out)
{
	struct lw_live_counts c;

	for (unsigned i = 0; i < live->n; i++) {
		struct lw_live_source *s = &live->src[i];
		lw_live_source_counts(s, &c);
		if (s->kind == LW_SRC_NFLOG)
			fprintf(out, "  source %s: %llu received, %llu lost "
			    "(sequence gaps), %llu socket overruns\n", s->name,
			    (unsigned long long)c.received,
			    (unsigned long long)c.dropped,
			    (unsigned long long)c.overruns);
		else
			fprintf(out, "  source %s: %llu received, %llu dropped "
			    "(ring), %llu dropped (interface)\n", s->name,
			    (unsigned long long)c.received,
			    (unsigned long long)c.dropped,
			    (unsigned long long)c.ifdropped);
	}
}
