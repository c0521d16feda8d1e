/*
 * pcapfile.c - capture files through libpcap.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pcap/pcap.h>

#include "labwarden/clock.h"
#include "labwarden/pcapfile.h"

#define READ_BUFFER	(256 * 1024)

struct lw_pcapfile {
	pcap_t	*pcap;
	const char *path;
	int	 linktype;
	uint64_t size;
};

/* Catch what libpcap would only call "unknown file format". */
static bool looks_gzip(const char *path)
{
	unsigned char magic[2];
	FILE *f = fopen(path, "rb");
	bool gz = false;

	if (f) {
		gz = fread(magic, 1, 2, f) == 2 && magic[0] == 0x1f &&
		    magic[1] == 0x8b;
		fclose(f);
	}
	return gz;
}

/* libpcap's name for a link type; the private-use range 147-162 has none. */
static void link_type_name(int linktype, char *buf, size_t len)
{
	const char *name = pcap_datalink_val_to_name(linktype);

	if (name)
		snprintf(buf, len, "%s", name);
	else if (linktype >= 147 && linktype <= 162)
		snprintf(buf, len, "USER%d, private use", linktype - 147);
	else
		snprintf(buf, len, "unknown");
}

struct lw_pcapfile *lw_pcapfile_open(const char *path, char *err,
    size_t errlen)
{
	char pcap_err[PCAP_ERRBUF_SIZE] = "";
	struct stat st;

	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory", path);
		return NULL;
	}
	if (looks_gzip(path)) {
		snprintf(err, errlen, "%s: gzip-compressed; unpack it first "
		    "(gunzip -k %s)", path, path);
		return NULL;
	}
	/* Our own stream, so it can have a large buffer: reading 4 KB at a
	 * time costs more system calls than the decoder costs time. */
	FILE *stream = fopen(path, "rb");
	if (!stream) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	setvbuf(stream, NULL, _IOFBF, READ_BUFFER);
	pcap_t *pcap = pcap_fopen_offline_with_tstamp_precision(stream,
	    PCAP_TSTAMP_PRECISION_NANO, pcap_err);
	if (!pcap) {
		fclose(stream);
		snprintf(err, errlen, "%s: not a readable pcap or pcapng "
		    "file: %s", path, pcap_err);
		return NULL;
	}
	int linktype = pcap_datalink(pcap);
	if (!lw_link_supported(linktype)) {
		char name[32];
		link_type_name(linktype, name, sizeof name);
		snprintf(err, errlen, "%s: link type %d (%s) is not "
		    "supported; file skipped", path, linktype, name);
		pcap_close(pcap);
		return NULL;
	}
	struct lw_pcapfile *file = calloc(1, sizeof *file);
	if (!file) {
		snprintf(err, errlen, "%s: out of memory", path);
		pcap_close(pcap);
		return NULL;
	}
	file->pcap = pcap;
	file->path = path;
	file->linktype = linktype;
	file->size = (uint64_t)st.st_size;
	return file;
}

void lw_pcapfile_close(struct lw_pcapfile *file)
{
	if (file) {
		pcap_close(file->pcap);
		free(file);
	}
}

int lw_pcapfile_linktype(const struct lw_pcapfile *file)
{
	return file->linktype;
}

uint64_t lw_pcapfile_offset(const struct lw_pcapfile *file)
{
	FILE *f = pcap_file(file->pcap);
	long off = f ? ftell(f) : -1;
	return off > 0 ? (uint64_t)off : 0;
}

uint64_t lw_pcapfile_size(const struct lw_pcapfile *file)
{
	return file->size;
}

/* Seconds + fraction to ns, saturating: pcapng allows absurd times. */
static uint64_t to_ns(const struct timeval *tv)
{
	uint64_t sec = (uint64_t)tv->tv_sec, frac = (uint64_t)tv->tv_usec;

	if (tv->tv_sec < 0)
		return 0;
	if (sec > (UINT64_MAX - frac) / LW_NS_PER_SEC)
		return UINT64_MAX;
	return sec * LW_NS_PER_SEC + frac;
}

int lw_pcapfile_next(struct lw_pcapfile *file, struct lw_packet *pkt,
    const uint8_t **data, char *err, size_t errlen)
{
	struct pcap_pkthdr *hdr;
	const u_char *bytes;

	switch (pcap_next_ex(file->pcap, &hdr, &bytes)) {
	case 1:
		/* With nanosecond precision tv_usec holds nanoseconds. */
		pkt->ts_ns = to_ns(&hdr->ts);
		pkt->caplen = hdr->caplen;
		pkt->wirelen = hdr->len;
		pkt->linktype = file->linktype;
		*data = bytes;
		return 1;
	case PCAP_ERROR_BREAK:
		return 0;
	default:
		snprintf(err, errlen, "%s: damaged, rest of file skipped: %s",
		    file->path, pcap_geterr(file->pcap));
		return -1;
	}
}
