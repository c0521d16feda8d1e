/*
 * events.h - typed events and the JSON-lines writer.
 *
 * The sensor emits facts as typed events; policy (scenes) decides what
 * matters.  An event becomes JSON (jansson) only when a writer wants its
 * type, so facts that are not written cost no allocation.
 * Field names follow docs/interface.md (EVE names for addresses).
 */
#ifndef LABWARDEN_EVENTS_H
#define LABWARDEN_EVENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "labwarden/decode.h"

enum lw_event_type {
	LW_EV_NEW_MAC,
	LW_EV_MAC_IP_CHANGE,
	LW_EV_DHCP,
	LW_EV_DNS_QUERY,
	LW_EV_DNS_RESPONSE,
	LW_EV_NEW_DOMAIN,
	LW_EV_CONN_START,
	LW_EV_TABLE_PRESSURE,
	LW_EV_SCENE,
	LW_EV_CAPTURE_DONE,
	LW_EV_ACTION,		/* an action's outcome, when it was queued */
	LW_EV_KEY_ROTATION,	/* a key rotated (fingerprint, never the key) */
	LW_EV_STATS,		/* the run's counters (end of replay) */
	LW_EV_PACKET,		/* every decoded packet: debugging aid */
	LW_EV_COUNT
};

typedef uint32_t lw_event_mask;
#define LW_EV_BIT(t)	((lw_event_mask)1u << (t))
#define LW_EV_ALL	(LW_EV_BIT(LW_EV_COUNT) - 1)

/* The interface's default for --emit. */
#define LW_EMIT_DEFAULT "scene,new_mac,new_domain,dhcp,mac_ip_change,table_pressure"

const char *lw_event_name(enum lw_event_type type);
/* -1 when unknown. */
int	 lw_event_lookup(const char *name);

/* Parse "all", "none" or "a,b,c"; "-a" leaves a type out ("all,-packet").  On error writes a message (with a
 * suggestion for a near miss) to err and returns false. */
bool	 lw_emit_parse(const char *spec, lw_event_mask *mask, char *err,
	    size_t errlen);

enum lw_format {
	LW_FORMAT_JSON,		/* one JSON object per line */
	LW_FORMAT_TEXT,		/* one readable line per event */
};

/* Sees every event of a type in tap_mask, written or not (MQTT). */
typedef void (*lw_writer_tap)(void *ctx, enum lw_event_type type,
	    const json_t *event);

struct lw_writer {
	FILE	*out;
	lw_event_mask mask;
	enum lw_format format;
	uint64_t written;
	bool	 failed;	/* a write failed: reported once */
	/* The tap: whatever --emit says, events of these types are
	 * handed to it before they are written (or not). */
	lw_writer_tap tap;
	void	*tap_ctx;
	lw_event_mask tap_mask;
};

void	 lw_writer_init(struct lw_writer *w, FILE *out, lw_event_mask mask,
	    enum lw_format format);
static inline bool lw_writer_wants(const struct lw_writer *w,
    enum lw_event_type type)
{
	return (w->out && (w->mask & LW_EV_BIT(type))) ||
	    (w->tap_mask & LW_EV_BIT(type));
}
/* Hand one event to the tap, write it as a line if --emit wants it,
 * and release it. */
void	 lw_writer_put(struct lw_writer *w, json_t *event);

/* A new event object with "ts" and "type". */
json_t	*lw_event_new(enum lw_event_type type, uint64_t ts_ns);

/* Address helpers that name fields as the interface does. */
void	 lw_json_set_mac(json_t *obj, const char *key, const uint8_t *mac);
void	 lw_json_set_addr(json_t *obj, const char *key,
	    const struct lw_addr *addr);

/* The "packet" event for one decoded packet. */
json_t	*lw_event_packet(const struct lw_packet *pkt);

#endif
