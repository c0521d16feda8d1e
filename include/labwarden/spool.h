/*
 * spool.h - a bounded, ordered log of messages waiting for a broker.
 *
 * MQTT events are written here first and read back in order to be
 * published; a record leaves the spool only when the broker has
 * acknowledged it (QoS 1), so a broker that is down, a lost connection
 * or a restart of labwarden loses nothing and changes no order.
 *
 * In state_dir the spool is one file (mqtt-spool): a 24-byte header
 * ("LWSPOOL1", the logical offset of the file's first record byte, the
 * logical offset of the oldest unacknowledged record) and records
 * (magic, topic length, payload length, checksum, topic, payload).  A
 * record cut short by a crash fails its checksum and the file is cut
 * there.  Without a directory the same log is kept in memory.
 *
 * The live part (unacknowledged records) is bounded by max_bytes: an
 * append that does not fit drops the oldest records and counts them.
 * The file itself stays under about twice that: when it would grow
 * past, the live part is copied to a new file that replaces it.
 *
 * Offsets are logical (they grow for ever, across compactions), so a
 * caller can hold the end offset of a record it sent and acknowledge
 * it later.  One thread at a time uses a spool.
 */
#ifndef LABWARDEN_SPOOL_H
#define LABWARDEN_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LW_SPOOL_FILE		"mqtt-spool"
#define LW_SPOOL_TOPIC_MAX	1024
#define LW_SPOOL_PAYLOAD_MAX	(256u << 10)

struct lw_spool;

/*
 * dir NULL: in memory.  A file that is not a spool is moved aside
 * (NAME.corrupt-TIME, said on stderr) and a new one started; false
 * (err says why) only when the directory cannot be written.
 */
struct lw_spool *lw_spool_open(const char *dir, uint64_t max_bytes,
	    char *err, size_t errlen);
/* Header written and synced; false (err) if that failed. */
bool	 lw_spool_close(struct lw_spool *sp, char *err, size_t errlen);

/* Append one record.  False when it could not be kept (too big, or a
 * write failed: err says why); older records may be dropped to make
 * room (lw_spool_dropped counts them). */
bool	 lw_spool_append(struct lw_spool *sp, const char *topic,
	    const void *payload, size_t len, char *err, size_t errlen);

struct lw_spool_rec {
	char	*topic;		/* NUL-terminated, malloc'd */
	char	*payload;	/* malloc'd, NUL added after len bytes */
	size_t	 len;
	uint64_t end;		/* logical offset after it: for ack */
};

/* The next record not yet handed out (from the send cursor); false
 * when there is none or it cannot be read (the rest is then dropped
 * and counted).  Free with lw_spool_rec_free. */
bool	 lw_spool_next(struct lw_spool *sp, struct lw_spool_rec *rec);
void	 lw_spool_rec_free(struct lw_spool_rec *rec);
/* Everything before end was delivered. */
void	 lw_spool_ack(struct lw_spool *sp, uint64_t end);
/* Hand out again from the oldest unacknowledged record. */
void	 lw_spool_rewind(struct lw_spool *sp);
/* Persist the acknowledged position now (it is also done by close). */
bool	 lw_spool_sync(struct lw_spool *sp, char *err, size_t errlen);

uint64_t lw_spool_pending(const struct lw_spool *sp);	/* unacknowledged */
uint64_t lw_spool_unsent(const struct lw_spool *sp);	/* not handed out */
uint64_t lw_spool_dropped(const struct lw_spool *sp);	/* for the bound */
uint64_t lw_spool_bytes(const struct lw_spool *sp);	/* live bytes */
bool	 lw_spool_on_disk(const struct lw_spool *sp);

#endif
