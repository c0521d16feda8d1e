/*
 * live.c - live pcap sources (see live.h).
 */
#include <stdio.h>
#include <string.h>

#include "labwarden/config.h"
#include "labwarden/live.h"

#define DEFAULT_SNAPLEN		262144
#define DEFAULT_BUFFER_MB	4

static bool open_one(struct lw_live_source *s, const struct lw_source *cfg,
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
	pcap_set_immediate_mode(s->pcap, 1);
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

bool lw_live_open(struct lw_live *live, const struct lw_config *cfg,
    char *err, size_t errlen)
{
	memset(live, 0, sizeof *live);
	for (size_t i = 0; i < cfg->nsources; i++) {
		const struct lw_source *src = &cfg->sources[i];
		if (src->kind == LW_SRC_NFLOG) {
			snprintf(err, errlen, "sources: nflog group %llu: NFLOG "
			    "sources are not available in this version",
			    (unsigned long long)src->group);
			lw_live_close(live);
			return false;
		}
		if (live->n == LW_LIVE_MAX_SOURCES)
			break;
		if (!open_one(&live->src[live->n++], src, err, errlen)) {
			lw_live_close(live);
			return false;
		}
	}
	if (live->n == 0) {
		snprintf(err, errlen, "no sources: add sources: - pcap: IFACE "
		    "to the configuration");
		return false;
	}
	return true;
}

void lw_live_close(struct lw_live *live)
{
	for (unsigned i = 0; i < live->n; i++)
		if (live->src[i].pcap)
			pcap_close(live->src[i].pcap);
	memset(live, 0, sizeof *live);
}

void lw_live_stats(struct lw_live *live, uint64_t *received,
    uint64_t *dropped)
{
	struct pcap_stat ps;

	*received = *dropped = 0;
	for (unsigned i = 0; i < live->n; i++)
		if (pcap_stats(live->src[i].pcap, &ps) == 0) {
			*received += ps.ps_recv;
			*dropped += ps.ps_drop + ps.ps_ifdrop;
		}
}
