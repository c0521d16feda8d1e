/*
 * capture.c - the look-back ring and triggered captures (see capture.h).
 *
 * The ring keeps packet bytes in one arena: each record's bytes are
 * contiguous, a record that would cross the arena's end starts again at
 * its beginning (the skipped tail counts as that record's span), and
 * the oldest records are dropped when a new one needs room or when they
 * are older than capture.ring_seconds.  Next to the bytes, each record
 * keeps the addresses a capture matches on, so the look-back needs no
 * second decode.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "labwarden/capture.h"
#include "labwarden/clock.h"

#define MIB		(1024ull * 1024ull)
#define MIN_RECORD	64	/* bytes per record the index is sized for */
#define MAX_QUOTA_FILES	4096
#define WRITER_QUEUE	(4 * MIB)	/* packets on their way to disk */

struct lw_ring_rec {
	uint64_t ts_ns;		/* the packet's own time, for its header */
	uint64_t clock_ns;	/* the sensor's clock: never goes back */
	uint64_t seq;
	uint32_t off, len, wirelen, span;
	struct lw_addr src, dst;
	uint8_t	 smac[6], dmac[6];
	bool	 has_mac;
};

/* ---- the ring ---- */

static bool ring_init(struct lw_pktring *r, size_t bytes, uint64_t age_ns)
{
	memset(r, 0, sizeof *r);
	r->arena_size = bytes;
	r->rec_cap = bytes / MIN_RECORD + 1;
	r->max_age_ns = age_ns;
	r->arena = malloc(bytes ? bytes : 1);
	r->recs = calloc(r->rec_cap, sizeof *r->recs);
	return r->arena && r->recs;
}

static void ring_free(struct lw_pktring *r)
{
	free(r->arena);
	free(r->recs);
	memset(r, 0, sizeof *r);
}

static struct lw_ring_rec *ring_at(const struct lw_pktring *r, size_t i)
{
	return &r->recs[(r->rec_head + i) % r->rec_cap];
}

static void ring_drop_oldest(struct lw_pktring *r)
{
	struct lw_ring_rec *old = ring_at(r, 0);

	r->head = (r->head + old->span) % r->arena_size;
	r->used -= old->span;
	r->rec_head = (r->rec_head + 1) % r->rec_cap;
	r->rec_count--;
}

static void ring_put(struct lw_pktring *r, const struct lw_packet *pkt,
    const uint8_t *data, uint64_t now_ns)
{
	uint32_t len = pkt->caplen;

	if (len == 0 || len > r->arena_size)
		return;
	while (r->rec_count && now_ns - ring_at(r, 0)->clock_ns >
	    r->max_age_ns)
		ring_drop_oldest(r);
	for (;;) {	/* each pass drops a record: bounded by rec_count */
		size_t tail = (r->head + r->used) % r->arena_size;
		size_t pad = tail + len > r->arena_size ? r->arena_size - tail
		    : 0;
		if (r->used + pad + len <= r->arena_size &&
		    r->rec_count < r->rec_cap) {
			size_t off = pad ? 0 : tail;
			struct lw_ring_rec *rec = ring_at(r, r->rec_count);
			memset(rec, 0, sizeof *rec);
			rec->ts_ns = pkt->ts_ns;
			rec->clock_ns = now_ns;
			rec->seq = r->next_seq;
			rec->off = (uint32_t)off;
			rec->len = len;
			rec->wirelen = pkt->wirelen;
			rec->span = (uint32_t)(pad + len);
			rec->src = pkt->src_ip;
			rec->dst = pkt->dst_ip;
			if (pkt->src_mac && pkt->dst_mac) {
				memcpy(rec->smac, pkt->src_mac, 6);
				memcpy(rec->dmac, pkt->dst_mac, 6);
				rec->has_mac = true;
			}
			memcpy(r->arena + off, data, len);
			r->used += pad + len;
			r->rec_count++;
			return;
		}
		if (!r->rec_count) {	/* empty yet no room: start over */
			r->head = r->used = 0;
			continue;
		}
		ring_drop_oldest(r);
	}
}

/* ---- matching and writing ---- */

static bool addr_eq(const struct lw_addr *a, const struct lw_addr *b)
{
	return a->family && a->family == b->family &&
	    memcmp(a->bytes, b->bytes, a->family == 4 ? 4 : 16) == 0;
}

static bool matches(const struct lw_capture *cap, const struct lw_addr *src,
    const struct lw_addr *dst, const uint8_t *smac, const uint8_t *dmac,
    const struct pcap_pkthdr *hdr, const uint8_t *data)
{
	bool host = cap->by_mac ?
	    (smac && (memcmp(smac, cap->mac, 6) == 0 ||
	    memcmp(dmac, cap->mac, 6) == 0)) :
	    (addr_eq(src, &cap->ip) || addr_eq(dst, &cap->ip));
	return host && (!cap->has_filter ||
	    pcap_offline_filter(&cap->filter, hdr, data) != 0);
}

static void emit_done(struct lw_capturer *c, const struct lw_capture *cap,
    const char *reason, uint64_t now_ns)
{
	if (!lw_writer_wants(c->writer, LW_EV_CAPTURE_DONE))
		return;
	json_t *ev = lw_event_new(LW_EV_CAPTURE_DONE, now_ns);
	json_object_set_new(ev, "scene", json_string(cap->scene));
	json_object_set_new(ev, "target", json_string(cap->target));
	json_object_set_new(ev, "file", json_string(cap->path));
	json_object_set_new(ev, "packets", json_integer((json_int_t)
	    cap->packets));
	json_object_set_new(ev, "bytes", json_integer((json_int_t)cap->bytes));
	if (cap->dropped)	/* the disk could not keep up */
		json_object_set_new(ev, "dropped", json_integer((json_int_t)
		    cap->dropped));
	json_object_set_new(ev, "reason", json_string(reason));
	lw_writer_put(c->writer, ev);
}

static void finish(struct lw_capturer *c, struct lw_capture *cap,
    const char *reason, uint64_t now_ns)
{
	if (!cap->active)
		return;
	int slot = (int)(cap - c->caps);
	if (lw_capwriter_failed(&c->disk, slot)) {
		reason = "write failed";
		c->failed++;
	}
	lw_capwriter_close(&c->disk, slot, cap->dumper);
	cap->dumper = NULL;
	if (cap->has_filter)
		pcap_freecode(&cap->filter);
	cap->has_filter = false;
	cap->active = false;
	emit_done(c, cap, reason, now_ns);
}

/* Queue one packet; false when the capture ended on it. */
static bool write_one(struct lw_capturer *c, struct lw_capture *cap,
    const struct pcap_pkthdr *hdr, const uint8_t *data, uint64_t now_ns)
{
	uint64_t record = 16 + hdr->caplen;
	int slot = (int)(cap - c->caps);

	if (lw_capwriter_failed(&c->disk, slot)) {
		fprintf(stderr, "labwarden: capture %s: write failed (disk "
		    "full?); capture stopped, sensing goes on\n", cap->path);
		finish(c, cap, "write failed", now_ns);
		return false;
	}
	if (cap->bytes + record > cap->max_bytes) {
		finish(c, cap, "max_bytes", now_ns);
		return false;
	}
	if (!lw_capwriter_put(&c->disk, slot, cap->dumper, hdr, data)) {
		cap->dropped++;
		return true;
	}
	cap->bytes += record;
	cap->packets++;
	if (cap->max_packets && cap->packets >= cap->max_packets) {
		finish(c, cap, "max_packets", now_ns);
		return false;
	}
	return true;
}

static void header_of(uint64_t ts_ns, uint32_t caplen, uint32_t wirelen,
    struct pcap_pkthdr *hdr)
{
	/* The dead handle has nanosecond precision: tv_usec holds ns. */
	hdr->ts.tv_sec = (time_t)(ts_ns / LW_NS_PER_SEC);
	hdr->ts.tv_usec = (suseconds_t)(ts_ns % LW_NS_PER_SEC);
	hdr->caplen = caplen;
	hdr->len = wirelen;
}

/* The look-back: ring packets of the target since 'since'. */
static void write_lookback(struct lw_capturer *c, struct lw_capture *cap,
    uint64_t since_ns, uint64_t now_ns)
{
	struct lw_pktring *r = &c->ring;
	struct pcap_pkthdr hdr;

	for (size_t i = 0; i < r->rec_count && cap->active; i++) {
		const struct lw_ring_rec *rec = ring_at(r, i);
		if (rec->clock_ns < since_ns)
			continue;
		header_of(rec->ts_ns, rec->len, rec->wirelen, &hdr);
		const uint8_t *data = r->arena + rec->off;
		if (matches(cap, &rec->src, &rec->dst, rec->has_mac ?
		    rec->smac : NULL, rec->dmac, &hdr, data))
			write_one(c, cap, &hdr, data, now_ns);
	}
}

/* ---- the quota ---- */

struct old_file {
	char	 name[256];
	time_t	 mtime;
	off_t	 size;
};

static int by_age(const void *a, const void *b)
{
	const struct old_file *x = a, *y = b;
	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * Delete the oldest captures until the directory is within the quota;
 * returns the bytes the captures there still take.
 */
static uint64_t enforce_quota(const char *dir, uint64_t quota)
{
	static struct old_file files[MAX_QUOTA_FILES];
	char path[LW_CAPTURE_PATH_MAX + 256];
	struct stat st;
	size_t n = 0;
	uint64_t total = 0;
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < MAX_QUOTA_FILES) {
		size_t len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".pcap") != 0 ||
		    len >= sizeof files[n].name)
			continue;
		if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >=
		    (int)sizeof path || stat(path, &st) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		memcpy(files[n].name, e->d_name, len + 1);
		files[n].mtime = st.st_mtime;
		files[n].size = st.st_size;
		total += (uint64_t)st.st_size;
		n++;
	}
	closedir(d);
	qsort(files, n, sizeof *files, by_age);
	for (size_t i = 0; i < n && total > quota; i++) {
		if (snprintf(path, sizeof path, "%s/%s", dir, files[i].name) >=
		    (int)sizeof path)
			continue;
		if (unlink(path) == 0)
			total -= (uint64_t)files[i].size;
	}
	return total;
}

/* ---- starting and following ---- */

static bool parse_target(struct lw_capture *cap, const char *target)
{
	unsigned b[6];
	char tail;
	struct lw_cidr cidr;
	char why[64];

	if (sscanf(target, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
	    &b[3], &b[4], &b[5], &tail) == 6 && strlen(target) == 17) {
		for (int i = 0; i < 6; i++)
			cap->mac[i] = (uint8_t)b[i];
		cap->by_mac = true;
		return true;
	}
	if (lw_cidr_parse(target, &cidr, why, sizeof why) &&
	    cidr.prefix == (cidr.addr.family == 4 ? 32u : 128u)) {
		cap->ip = cidr.addr;
		return true;
	}
	return false;
}

/* File name: scene, target, time; characters a shell likes. */
static void file_name(const char *dir, const char *scene, const char *target,
    uint64_t now_ns, char *path, size_t len)
{
	char stamp[32], safe[64];
	time_t secs = (time_t)(now_ns / LW_NS_PER_SEC);
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	snprintf(safe, sizeof safe, "%s", target);
	for (char *p = safe; *p; p++)
		if (*p == ':' || *p == '/')
			*p = '-';
	snprintf(path, len, "%s/%s_%s_%s.pcap", dir, scene, safe, stamp);
}

/* Never overwrite: a replay run twice gets NAME-2.pcap, NAME-3.pcap... */
static int create_new(char *path, size_t len)
{
	char base[LW_CAPTURE_PATH_MAX];
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	snprintf(base, sizeof base, "%.*s", (int)(strlen(path) - 5), path);
	for (int n = 2; fd < 0 && errno == EEXIST && n < 100; n++) {
		if (snprintf(path, len, "%s-%d.pcap", base, n) >= (int)len)
			break;
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	}
	return fd;
}

static bool open_file(struct lw_capturer *c, struct lw_capture *cap,
    char *err, size_t errlen)
{
	int fd = create_new(cap->path, sizeof cap->path);
	FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;

	if (!f) {
		snprintf(err, errlen, "%s: %s", cap->path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	cap->dumper = pcap_dump_fopen(c->dead, f);
	if (!cap->dumper) {
		snprintf(err, errlen, "%s: %s", cap->path, pcap_geterr(c->dead));
		fclose(f);
		unlink(cap->path);
		return false;
	}
	return true;
}

static struct lw_capture *free_slot(struct lw_capturer *c)
{
	for (int i = 0; i < LW_CAPTURE_MAX; i++)
		if (!c->caps[i].active)
			return &c->caps[i];
	return NULL;
}

bool lw_capturer_start(struct lw_capturer *c, const char *scene,
    const char *target, const char *filter, uint64_t now_ns,
    uint64_t for_ns, uint64_t max_bytes, uint64_t max_packets,
    char *path, size_t pathlen, char *err, size_t errlen)
{
	struct lw_capture *cap = free_slot(c);
	const char *dir = c->cfg->capture_dir;

	c->failed++;	/* until it has started */
	if (!c->enabled || !dir) {
		snprintf(err, errlen, "captures need capture_dir in the "
		    "configuration");
		return false;
	}
	if (!c->dead) {
		snprintf(err, errlen, "no packet source yet");
		return false;
	}
	if (!cap) {
		snprintf(err, errlen, "%d captures already running",
		    LW_CAPTURE_MAX);
		return false;
	}
	memset(cap, 0, sizeof *cap);
	if (!parse_target(cap, target)) {
		snprintf(err, errlen, "target '%s' is neither an IP nor a MAC",
		    target);
		return false;
	}
	if (filter && pcap_compile(c->dead, &cap->filter, filter, 1,
	    PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(err, errlen, "filter '%s': %s", filter,
		    pcap_geterr(c->dead));
		return false;
	}
	cap->has_filter = filter != NULL;
	snprintf(cap->scene, sizeof cap->scene, "%s", scene);
	snprintf(cap->target, sizeof cap->target, "%s", target);
	uint64_t quota = c->cfg->capture_quota_mb * MIB;
	uint64_t taken = enforce_quota(dir, quota);
	/* What is left of the quota bounds this file too. */
	cap->max_bytes = max_bytes ? max_bytes : c->cfg->capture_max_mb * MIB;
	if (cap->max_bytes > quota - (taken < quota ? taken : quota))
		cap->max_bytes = quota - (taken < quota ? taken : quota);
	cap->max_packets = max_packets ? max_packets :
	    c->cfg->capture_max_packets;
	cap->until_ns = now_ns + for_ns;
	file_name(dir, scene, target, now_ns, cap->path, sizeof cap->path);
	if (!open_file(c, cap, err, errlen)) {
		if (cap->has_filter)
			pcap_freecode(&cap->filter);
		fprintf(stderr, "labwarden: capture not started: %s; sensing "
		    "goes on\n", err);
		return false;
	}
	c->failed--;
	c->started++;
	cap->active = true;
	lw_capwriter_reset(&c->disk, (int)(cap - c->caps));
	cap->bytes = 24;	/* the file header */
	uint64_t back = c->cfg->capture_ring_ns;
	write_lookback(c, cap, now_ns > back ? now_ns - back : 0, now_ns);
	snprintf(path, pathlen, "%s", cap->path);
	return true;
}

void lw_capturer_packet(struct lw_capturer *c, const struct lw_packet *pkt,
    const uint8_t *data, uint64_t now_ns)
{
	struct pcap_pkthdr hdr;
	bool hdr_ready = false;

	/* One file holds one link type: with live sources of several
	 * types, the captures keep the packets of the type begun. */
	if (!c->enabled || pkt->linktype != c->linktype)
		return;
	lw_capturer_tick(c, now_ns);
	for (int i = 0; i < LW_CAPTURE_MAX; i++) {
		struct lw_capture *cap = &c->caps[i];
		if (!cap->active)
			continue;
		if (!hdr_ready) {
			header_of(pkt->ts_ns, pkt->caplen, pkt->wirelen, &hdr);
			hdr_ready = true;
		}
		if (matches(cap, &pkt->src_ip, &pkt->dst_ip, pkt->src_mac,
		    pkt->dst_mac, &hdr, data))
			write_one(c, cap, &hdr, data, now_ns);
	}
	ring_put(&c->ring, pkt, data, now_ns);
	c->ring.next_seq++;
}

void lw_capturer_tick(struct lw_capturer *c, uint64_t now_ns)
{
	for (int i = 0; i < LW_CAPTURE_MAX; i++)
		if (c->caps[i].active && now_ns >= c->caps[i].until_ns)
			finish(c, &c->caps[i], "duration", now_ns);
}

void lw_capturer_begin_source(struct lw_capturer *c, int linktype,
    uint64_t now_ns)
{
	if (!c->enabled || (c->dead && linktype == c->linktype))
		return;
	for (int i = 0; i < LW_CAPTURE_MAX; i++)	/* cannot mix types */
		finish(c, &c->caps[i], "link type changed", now_ns);
	if (c->dead)
		pcap_close(c->dead);
	c->linktype = linktype;
	c->dead = pcap_open_dead_with_tstamp_precision(linktype, 262144,
	    PCAP_TSTAMP_PRECISION_NANO);
	c->ring.head = c->ring.used = 0;	/* old packets: other type */
	c->ring.rec_count = 0;
}

bool lw_capturer_init(struct lw_capturer *c, const struct lw_config *cfg,
    struct lw_writer *writer, bool enabled, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	c->cfg = cfg;
	c->writer = writer;
	c->enabled = enabled && cfg->capture_dir;
	if (!c->enabled)
		return true;
	if (!ring_init(&c->ring, cfg->capture_ring_mb * MIB,
	    cfg->capture_ring_ns)) {
		snprintf(err, errlen, "capture ring of %llu MB: out of memory",
		    (unsigned long long)cfg->capture_ring_mb);
		ring_free(&c->ring);
		return false;
	}
	/* Room for a whole look-back at once, and then some. */
	if (!lw_capwriter_start(&c->disk, cfg->capture_ring_mb * MIB +
	    WRITER_QUEUE)) {
		snprintf(err, errlen, "capture writer: cannot start");
		ring_free(&c->ring);
		return false;
	}
	return true;
}

void lw_capturer_free(struct lw_capturer *c, uint64_t now_ns)
{
	for (int i = 0; i < LW_CAPTURE_MAX; i++)
		finish(c, &c->caps[i], "end of input", now_ns);
	lw_capwriter_stop(&c->disk);	/* everything queued is written */
	if (c->dead)
		pcap_close(c->dead);
	ring_free(&c->ring);
	memset(c, 0, sizeof *c);
}
