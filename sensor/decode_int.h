/*
 * decode_int.h - helpers shared by the decoder's files (not public API).
 *
 * A struct cursor walks a frame: 'p' points at the next header, 'cap' is
 * how many bytes were really captured from there, 'wire' how many bytes the
 * enclosing headers say exist from there (never less than cap is assumed;
 * it is what length-field consistency checks compare against).
 */
#ifndef LABWARDEN_DECODE_INT_H
#define LABWARDEN_DECODE_INT_H

#include "labwarden/decode.h"

struct cursor {
	const uint8_t *p;
	uint32_t cap;
	uint32_t wire;
};

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | p[3];
}

static inline uint16_t rd16le(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

/* Step over n bytes the caller already checked are captured. */
static inline void cursor_skip(struct cursor *c, uint32_t n)
{
	c->p += n;
	c->cap -= n;
	c->wire = c->wire > n ? c->wire - n : 0;
}

/* Set the first fault only: later layers must not hide the cause. */
static inline enum lw_malformed fail(struct lw_packet *pkt,
    enum lw_malformed why)
{
	if (pkt->malformed == LW_OK)
		pkt->malformed = why;
	return pkt->malformed;
}

/* Layer entry points, by what they expect at c->p. */
enum lw_malformed lw_decode_ethertype(struct lw_packet *, struct cursor *,
    uint16_t ethertype);
enum lw_malformed lw_decode_ipv4(struct lw_packet *, struct cursor *);
enum lw_malformed lw_decode_ipv6(struct lw_packet *, struct cursor *);
enum lw_malformed lw_decode_ip_any(struct lw_packet *, struct cursor *);
enum lw_malformed lw_decode_arp(struct lw_packet *, struct cursor *);

#endif
