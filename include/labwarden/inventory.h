/*
 * inventory.h - the devices on the LAN and who holds which address.
 *
 * Watches every frame's source MAC, ARP, DHCP and IPv6 neighbour
 * discovery, and turns them into new_mac, dhcp and mac_ip_change facts:
 *
 * - new_mac once per MAC (persisted): VLAN, first inside IP, IEEE
 *   vendor, randomized, known (inventory.known_devices) or learning
 *   (seen during inventory.learn_for).  A randomized MAC is announced
 *   after its first DHCP message or inventory.randomized_grace,
 *   whichever comes first, so the DHCP client id (61), or hostname (12)
 *   with parameter list (55), can link it to a device seen before under
 *   another MAC: same_as and same_as_reason say so.
 * - mac_ip_change when an address bound to one MAC is claimed by
 *   another through ARP or neighbour discovery (arpwatch's flip-flop);
 *   a DHCP ACK moving an address to a new MAC rebinds it silently.
 *
 * All state is in fixed-capacity LRU tables (table.h).
 */
#ifndef LABWARDEN_INVENTORY_H
#define LABWARDEN_INVENTORY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "labwarden/decode.h"
#include "labwarden/table.h"

struct lw_sensor;

#define LW_INV_PENDING_MAX	256	/* randomized MACs awaiting DHCP */
#define LW_INV_HOSTNAME_MAX	64
#define LW_INV_RECENT		256	/* direct-mapped device cache */

/* Where a MAC or a binding was seen. */
enum lw_seen_in {
	LW_SEEN_FRAME, LW_SEEN_ARP, LW_SEEN_DHCP, LW_SEEN_NDP,
	LW_SEEN_STATE,	/* loaded from state_dir */
};

struct lw_device {
	uint64_t first_ns, last_ns;
	uint64_t touched_ns;	/* last LRU refresh */
	struct lw_addr ip;	/* first inside address */
	uint16_t vlan;
	bool	 has_vlan;
	bool	 known, learning;
	bool	 announced;	/* new_mac written (or loaded) */
	bool	 linked;	/* same_as set */
	uint8_t	 seen_in;	/* enum lw_seen_in of the first sighting */
	uint8_t	 same_as[6];
	uint8_t	 same_as_reason;
	char	 hostname[LW_INV_HOSTNAME_MAX];	/* last DHCP hostname */
};

struct lw_binding {
	uint8_t	 mac[6];
	uint8_t	 seen_in;
	uint64_t since_ns;
};

struct lw_known_device {
	uint8_t	 mac[6];
	char	*name;		/* "" when the line gave none */
};

struct lw_pending {
	uint8_t	 mac[6];
	uint64_t deadline_ns;
};

struct lw_inventory {
	struct lw_table devices;	/* mac -> struct lw_device */
	struct lw_table bindings;	/* lw_addr -> struct lw_binding */
	struct lw_table identities;	/* hash of DHCP identity -> mac */
	struct lw_known_device *known;	/* sorted by mac */
	size_t	 nknown;
	/* Recently seen devices by MAC hash, checked against the table's
	 * key before use: most frames come from a few stations, and this
	 * spares them a hash lookup per packet. */
	struct lw_device *recent[LW_INV_RECENT];
	struct lw_pending pending[LW_INV_PENDING_MAX];	/* a ring */
	unsigned pending_head, pending_count;
	uint64_t learn_start_ns;	/* 0: not started yet */
};

struct lw_inventory_caps {
	uint32_t devices, bindings, identities;
};

bool	 lw_inventory_init(struct lw_inventory *inv,
	    const struct lw_inventory_caps *caps, char *err, size_t errlen);
void	 lw_inventory_free(struct lw_inventory *inv);
/*
 * Load inventory.known_devices: "MAC [name...]" lines, '#' comments.
 * Bad lines go to 'report' as "PATH:LINE: reason" and are skipped.
 * False only when the file cannot be read.
 */
bool	 lw_inventory_load_known(struct lw_inventory *inv, const char *path,
	    FILE *report, char *err, size_t errlen);

void	 lw_inventory_packet(struct lw_inventory *inv, struct lw_sensor *s,
	    const struct lw_packet *pkt);
/* Announce randomized MACs whose grace ended by now. */
void	 lw_inventory_tick(struct lw_inventory *inv, struct lw_sensor *s);
/* End of input: announce everything still pending. */
void	 lw_inventory_flush(struct lw_inventory *inv, struct lw_sensor *s);

/* The name inventory.known_devices gives mac ("" when it gave none), or
 * NULL when mac is not listed there. */
const char *lw_inventory_known_name(const struct lw_inventory *inv,
	    const uint8_t mac[6]);

json_t	*lw_inventory_to_json(const struct lw_inventory *inv);
/* Restore from lw_inventory_to_json's document; bad entries skipped. */
void	 lw_inventory_from_json(struct lw_inventory *inv, const json_t *doc);

const char *lw_seen_in_name(enum lw_seen_in seen);

#endif
