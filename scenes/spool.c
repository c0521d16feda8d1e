/*
 * spool.c - the bounded, ordered message log behind MQTT (spool.h).
 *
 * The same code runs on a file and on a memory buffer: every access
 * goes through io_read/io_write/io_truncate on physical offsets, and
 * everything else works on logical offsets.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "labwarden/spool.h"
#include "labwarden/statefile.h"
#include "labwarden/table.h"	/* lw_hash64: the record checksum */

#define HDR_SIZE	24
#define HDR_MAGIC	"LWSPOOL1"
#define REC_HDR		16
#define REC_MAGIC	0x4c575231u	/* "LWR1" */
#define COPY_CHUNK	(64u << 10)

struct lw_spool {
	int	 fd;		/* -1: in memory */
	char	*dir, *path;
	unsigned char *mem;	/* the memory "file", header included */
	size_t	 mem_len, mem_cap;
	uint64_t base;		/* logical offset at physical HDR_SIZE */
	uint64_t head;		/* oldest unacknowledged record */
	uint64_t send;		/* next record to hand out */
	uint64_t tail;		/* end of the last record */
	uint64_t max_bytes;
	uint64_t live, unsent;	/* records in [head, tail), [send, tail) */
	uint64_t dropped;
	bool	 head_dirty;	/* header not written since head moved */
};

struct rec_hdr {
	uint32_t magic, topic_len, payload_len, sum;
};

static uint64_t phys(const struct lw_spool *sp, uint64_t logical)
{
	return HDR_SIZE + (logical - sp->base);
}

/* ---- physical I/O: a file or the memory buffer ---- */

static bool io_write(struct lw_spool *sp, uint64_t off, const void *buf,
    size_t len)
{
	if (sp->fd < 0) {
		if (off + len > sp->mem_cap) {
			size_t cap = sp->mem_cap ? sp->mem_cap : 4096;
			while (cap < off + len)
				cap *= 2;
			unsigned char *grown = realloc(sp->mem, cap);
			if (!grown) {
				errno = ENOMEM;
				return false;
			}
			sp->mem = grown;
			sp->mem_cap = cap;
		}
		memcpy(sp->mem + off, buf, len);
		if (off + len > sp->mem_len)
			sp->mem_len = off + len;
		return true;
	}
	const unsigned char *p = buf;
	while (len > 0) {
		ssize_t n = pwrite(sp->fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return true;
}

static bool io_read(const struct lw_spool *sp, uint64_t off, void *buf,
    size_t len)
{
	if (sp->fd < 0) {
		if (off > sp->mem_len || len > sp->mem_len - off)
			return false;
		memcpy(buf, sp->mem + off, len);
		return true;
	}
	unsigned char *p = buf;
	while (len > 0) {
		ssize_t n = pread(sp->fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return true;
}

static bool io_truncate(struct lw_spool *sp, uint64_t len)
{
	if (sp->fd < 0) {
		if (len < sp->mem_len)
			sp->mem_len = len;
		return true;
	}
	return ftruncate(sp->fd, (off_t)len) == 0;
}

/* ---- header and records ---- */

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static bool write_header(struct lw_spool *sp)
{
	unsigned char hdr[HDR_SIZE];

	memcpy(hdr, HDR_MAGIC, 8);
	put64(hdr + 8, sp->base);
	put64(hdr + 16, sp->head);
	if (!io_write(sp, 0, hdr, sizeof hdr))
		return false;
	sp->head_dirty = false;
	return true;
}

static uint32_t checksum(const void *body, size_t len)
{
	uint64_t h = lw_hash64(body, len);
	return (uint32_t)(h ^ h >> 32);
}

static uint64_t rec_size(const struct rec_hdr *h)
{
	return REC_HDR + (uint64_t)h->topic_len + h->payload_len;
}

/* The header of the record at logical pos, checked for shape. */
static bool read_rec_hdr(const struct lw_spool *sp, uint64_t pos,
    struct rec_hdr *h)
{
	if (!io_read(sp, phys(sp, pos), h, sizeof *h))
		return false;
	return h->magic == REC_MAGIC && h->topic_len > 0 &&
	    h->topic_len <= LW_SPOOL_TOPIC_MAX &&
	    h->payload_len <= LW_SPOOL_PAYLOAD_MAX;
}

/* The body (topic then payload) of a record, checksum verified. */
static unsigned char *read_body(const struct lw_spool *sp, uint64_t pos,
    const struct rec_hdr *h)
{
	size_t len = (size_t)h->topic_len + h->payload_len;
	unsigned char *body = malloc(len + 1);

	if (!body)
		return NULL;
	if (!io_read(sp, phys(sp, pos) + REC_HDR, body, len) ||
	    checksum(body, len) != h->sum) {
		free(body);
		return NULL;
	}
	body[len] = '\0';
	return body;
}

/* ---- opening ---- */

/* A file that is no spool: aside (statefile.h), else gone. */
static void move_aside(const char *path, const char *why)
{
	if (!lw_state_move_aside(path, why))
		unlink(path);
}

/* Walk the records from head; cut a torn or damaged tail. */
static void scan(struct lw_spool *sp, uint64_t file_size)
{
	uint64_t pos = sp->head;
	struct rec_hdr h;

	while (phys(sp, pos) + REC_HDR <= file_size &&
	    read_rec_hdr(sp, pos, &h) &&
	    phys(sp, pos) + rec_size(&h) <= file_size) {
		unsigned char *body = read_body(sp, pos, &h);
		if (!body)
			break;
		free(body);
		pos += rec_size(&h);
		sp->live++;
	}
	sp->tail = pos;
	if (phys(sp, pos) < file_size) {
		fprintf(stderr, "labwarden: %s: a record cut short at byte %llu "
		    "(a crash while writing?); the rest is dropped\n",
		    sp->path, (unsigned long long)phys(sp, pos));
		io_truncate(sp, phys(sp, pos));
	}
	sp->unsent = sp->live;
}

/* Header read and checked; false when the file is not a spool. */
static bool load_header(struct lw_spool *sp, uint64_t size, const char **why)
{
	unsigned char hdr[HDR_SIZE];

	if (size < HDR_SIZE || !io_read(sp, 0, hdr, sizeof hdr) ||
	    memcmp(hdr, HDR_MAGIC, 8) != 0) {
		*why = "not a labwarden spool";
		return false;
	}
	sp->base = get64(hdr + 8);
	sp->head = get64(hdr + 16);
	/* head - base, not phys(): a crafted header must not wrap the sum */
	if (sp->head < sp->base || sp->head - sp->base > size - HDR_SIZE) {
		*why = "its header points outside the file";
		return false;
	}
	return true;
}

static bool open_file(struct lw_spool *sp, char *err, size_t errlen)
{
	struct stat st;
	const char *why = NULL;

	for (int attempt = 0; attempt < 2; attempt++) {
		sp->fd = open(sp->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (sp->fd < 0 || fstat(sp->fd, &st) != 0) {
			snprintf(err, errlen, "%s: %s", sp->path,
			    strerror(errno));
			return false;
		}
		if (st.st_size == 0) {
			if (write_header(sp))
				return true;
			snprintf(err, errlen, "%s: %s", sp->path,
			    strerror(errno));
			return false;
		}
		if (load_header(sp, (uint64_t)st.st_size, &why)) {
			sp->send = sp->head;
			scan(sp, (uint64_t)st.st_size);
			return true;
		}
		close(sp->fd);
		sp->fd = -1;
		sp->base = sp->head = 0;
		move_aside(sp->path, why);
	}
	snprintf(err, errlen, "%s: cannot start a spool", sp->path);
	return false;
}

struct lw_spool *lw_spool_open(const char *dir, uint64_t max_bytes,
    char *err, size_t errlen)
{
	struct lw_spool *sp = calloc(1, sizeof *sp);

	if (!sp) {
		snprintf(err, errlen, "spool: out of memory");
		return NULL;
	}
	sp->fd = -1;
	sp->max_bytes = max_bytes < 4096 ? 4096 : max_bytes;
	if (!dir) {
		if (!write_header(sp)) {
			snprintf(err, errlen, "spool: out of memory");
			free(sp);
			return NULL;
		}
		return sp;
	}
	size_t len = strlen(dir) + sizeof LW_SPOOL_FILE + 2;
	sp->dir = strdup(dir);
	sp->path = malloc(len);
	if (!sp->dir || !sp->path) {
		snprintf(err, errlen, "spool: out of memory");
		lw_spool_close(sp, NULL, 0);
		return NULL;
	}
	snprintf(sp->path, len, "%s/%s", dir, LW_SPOOL_FILE);
	if (!open_file(sp, err, errlen)) {
		lw_spool_close(sp, NULL, 0);
		return NULL;
	}
	return sp;
}

bool lw_spool_close(struct lw_spool *sp, char *err, size_t errlen)
{
	bool ok = true;

	if (!sp)
		return true;
	if (sp->fd >= 0) {
		ok = write_header(sp) && fsync(sp->fd) == 0;
		if (!ok && err)
			snprintf(err, errlen, "%s: %s", sp->path,
			    strerror(errno));
		close(sp->fd);
	}
	free(sp->mem);
	free(sp->dir);
	free(sp->path);
	free(sp);
	return ok;
}

/* ---- the bound ---- */

/* Forget the oldest record, delivered or not. */
static bool drop_oldest(struct lw_spool *sp)
{
	struct rec_hdr h;

	if (sp->head == sp->tail || !read_rec_hdr(sp, sp->head, &h) ||
	    sp->head + rec_size(&h) > sp->tail)
		return false;
	sp->head += rec_size(&h);
	sp->live--;
	sp->dropped++;
	if (sp->send < sp->head) {
		sp->send = sp->head;
		sp->unsent = sp->live;
	} else
		sp->unsent = sp->unsent > sp->live ? sp->live : sp->unsent;
	sp->head_dirty = true;
	return true;
}

/* The log is damaged from the send cursor on: drop the rest. */
static void cut_at_send(struct lw_spool *sp)
{
	sp->dropped += sp->unsent;
	sp->live -= sp->unsent;
	sp->unsent = 0;
	sp->tail = sp->send;
	io_truncate(sp, phys(sp, sp->tail));
}

/* Copy the live part to a new file (or the front of the buffer). */
static bool compact(struct lw_spool *sp)
{
	uint64_t live_bytes = sp->tail - sp->head;

	if (sp->fd < 0) {
		memmove(sp->mem + HDR_SIZE, sp->mem + phys(sp, sp->head),
		    (size_t)live_bytes);
		sp->mem_len = HDR_SIZE + (size_t)live_bytes;
		sp->base = sp->head;
		return write_header(sp);
	}
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", sp->path);
	int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return false;
	struct lw_spool fresh = { .fd = fd, .base = sp->head, .head = sp->head };
	bool ok = write_header(&fresh);
	unsigned char *buf = malloc(COPY_CHUNK);
	for (uint64_t done = 0; ok && done < live_bytes; ) {
		size_t n = live_bytes - done < COPY_CHUNK ?
		    (size_t)(live_bytes - done) : COPY_CHUNK;
		ok = buf && io_read(sp, phys(sp, sp->head) + done, buf, n) &&
		    io_write(&fresh, HDR_SIZE + done, buf, n);
		done += n;
	}
	free(buf);
	ok = ok && fsync(fd) == 0 && rename(tmp, sp->path) == 0;
	if (!ok) {
		close(fd);
		unlink(tmp);
		return false;
	}
	close(sp->fd);
	sp->fd = fd;
	sp->base = sp->head;
	sp->head_dirty = false;
	lw_sync_dir(sp->dir);
	return true;
}

/* ---- appending and reading ---- */

bool lw_spool_append(struct lw_spool *sp, const char *topic,
    const void *payload, size_t len, char *err, size_t errlen)
{
	size_t tlen = strlen(topic);

	if (tlen == 0 || tlen > LW_SPOOL_TOPIC_MAX ||
	    len > LW_SPOOL_PAYLOAD_MAX || REC_HDR + tlen + len > sp->max_bytes) {
		sp->dropped++;
		snprintf(err, errlen, "a message of %zu bytes on '%.80s' does "
		    "not fit the spool", len, topic);
		return false;
	}
	struct rec_hdr h = { REC_MAGIC, (uint32_t)tlen, (uint32_t)len, 0 };
	uint64_t size = rec_size(&h);
	unsigned char *rec = malloc((size_t)size);
	if (!rec) {
		sp->dropped++;
		snprintf(err, errlen, "spool: out of memory");
		return false;
	}
	memcpy(rec + REC_HDR, topic, tlen);
	if (len)
		memcpy(rec + REC_HDR + tlen, payload, len);
	h.sum = checksum(rec + REC_HDR, (size_t)size - REC_HDR);
	memcpy(rec, &h, sizeof h);

	while (sp->tail - sp->head + size > sp->max_bytes && drop_oldest(sp))
		;
	if (phys(sp, sp->tail) + size > HDR_SIZE + 2 * sp->max_bytes &&
	    sp->head > sp->base && !compact(sp))
		fprintf(stderr, "labwarden: %s: cannot compact the spool: %s\n",
		    sp->path ? sp->path : "memory", strerror(errno));
	bool ok = io_write(sp, phys(sp, sp->tail), rec, (size_t)size);
	free(rec);
	if (!ok) {
		sp->dropped++;
		snprintf(err, errlen, "%s: %s", sp->path ? sp->path : "spool",
		    strerror(errno));
		io_truncate(sp, phys(sp, sp->tail));	/* no torn record */
		return false;
	}
	sp->tail += size;
	sp->live++;
	sp->unsent++;
	return true;
}

bool lw_spool_next(struct lw_spool *sp, struct lw_spool_rec *rec)
{
	struct rec_hdr h;
	unsigned char *body;

	memset(rec, 0, sizeof *rec);
	if (sp->send >= sp->tail)
		return false;
	if (!read_rec_hdr(sp, sp->send, &h) ||
	    sp->send + rec_size(&h) > sp->tail ||
	    !(body = read_body(sp, sp->send, &h))) {
		fprintf(stderr, "labwarden: %s: unreadable record; %llu "
		    "message(s) dropped\n", sp->path ? sp->path : "spool",
		    (unsigned long long)sp->unsent);
		cut_at_send(sp);
		return false;
	}
	rec->topic = malloc(h.topic_len + 1);
	rec->payload = malloc((size_t)h.payload_len + 1);
	if (!rec->topic || !rec->payload) {
		free(body);
		lw_spool_rec_free(rec);
		return false;
	}
	memcpy(rec->topic, body, h.topic_len);
	rec->topic[h.topic_len] = '\0';
	memcpy(rec->payload, body + h.topic_len, h.payload_len);
	rec->payload[h.payload_len] = '\0';
	rec->len = h.payload_len;
	free(body);
	sp->send += rec_size(&h);
	sp->unsent--;
	rec->end = sp->send;
	return true;
}

void lw_spool_rec_free(struct lw_spool_rec *rec)
{
	free(rec->topic);
	free(rec->payload);
	memset(rec, 0, sizeof *rec);
}

void lw_spool_ack(struct lw_spool *sp, uint64_t end)
{
	struct rec_hdr h;

	if (end <= sp->head || end > sp->send)
		return;		/* already dropped or acked, or never sent */
	while (sp->head < end && read_rec_hdr(sp, sp->head, &h) &&
	    sp->head + rec_size(&h) <= end) {
		sp->head += rec_size(&h);
		sp->live--;
	}
	sp->head_dirty = true;
	if (sp->head == sp->tail) {
		/* Empty: start the file over.  Cut first, then say so in
		 * the header, so a crash between never replays old ones. */
		if (io_truncate(sp, HDR_SIZE)) {
			sp->base = sp->head;
			write_header(sp);
		}
	}
}

void lw_spool_rewind(struct lw_spool *sp)
{
	sp->send = sp->head;
	sp->unsent = sp->live;
}

bool lw_spool_sync(struct lw_spool *sp, char *err, size_t errlen)
{
	if (!sp->head_dirty)
		return true;
	if (write_header(sp))
		return true;
	snprintf(err, errlen, "%s: %s", sp->path ? sp->path : "spool",
	    strerror(errno));
	return false;
}

uint64_t lw_spool_pending(const struct lw_spool *sp)
{
	return sp->live;
}

uint64_t lw_spool_unsent(const struct lw_spool *sp)
{
	return sp->unsent;
}

uint64_t lw_spool_dropped(const struct lw_spool *sp)
{
	return sp->dropped;
}

uint64_t lw_spool_bytes(const struct lw_spool *sp)
{
	return sp->tail - sp->head;
}

bool lw_spool_on_disk(const struct lw_spool *sp)
{
	return sp->fd >= 0;
}
