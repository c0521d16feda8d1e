/*
 * config.h - the YAML configuration (docs/interface.md, "Configuration").
 *
 * Every key is optional.  The loader reports every mistake at once as
 * file:line:col and keeps going, so `labwarden check` shows them all.
 * Sections owned by later modules (sources, backends, keys, mqtt) are
 * only shape-checked here and validated by their owners.
 */
#ifndef LABWARDEN_CONFIG_H
#define LABWARDEN_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "labwarden/clock.h"
#include "labwarden/diag.h"
#include "labwarden/net.h"
#include "labwarden/section.h"

#define LW_MAX_NETWORKS		32
#define LW_MAX_CIDRS		4096	/* over all networks */
#define LW_MAX_LISTS		64	/* blocklists, allowlists */

struct lw_network {
	char	*name;		/* "home", "protected", or a user name */
	struct lw_cidr *cidrs;
	size_t	 ncidrs;
};

#define LW_MAX_SOURCES		8

enum lw_source_kind { LW_SRC_PCAP, LW_SRC_NFLOG };

/* One entry of sources: (for `run`). */
struct lw_source {
	enum lw_source_kind kind;
	char	*iface;		/* pcap: the interface */
	uint64_t group;		/* nflog: the group */
	char	*filter;	/* BPF, or NULL */
	uint64_t snaplen;	/* 0: the default (pcap 9216, NFLOG 65535) */
	uint64_t buffer_mb;	/* kernel buffer, 0: the default (16) */
	bool	 promiscuous;	/* default true: a mirror port */
	bool	 immediate;	/* default true: no batching delay */
};

struct lw_config {
	char	*path;		/* NULL: built-in defaults only */
	struct lw_network networks[LW_MAX_NETWORKS];
	size_t	 nnetworks;
	size_t	 total_cidrs;
	char	*rules;
	char	*state_dir;
	char	*capture_dir;
	char	*known_devices;
	uint64_t inventory_learn_ns;
	uint64_t dns_learn_ns;
	char	*blocklists[LW_MAX_LISTS];
	size_t	 nblocklists;
	char	*allowlists[LW_MAX_LISTS];
	size_t	 nallowlists;
	uint64_t memory_mb;
	bool	 has_mqtt;

	struct lw_source sources[LW_MAX_SOURCES];
	size_t	 nsources;
	char	*user;			/* user: run switches to it */
	uint64_t stats_interval_ns;	/* stats_interval: (60s), 0: never */

	/* Sensing (extensions to the interface's keys). */
	char	*oui_dir;		/* inventory.oui_dir */
	uint64_t randomized_grace_ns;	/* inventory.randomized_grace */
	char	*psl_path;		/* dns.public_suffix_list */
	uint64_t tunnel_window_ns;	/* dns.tunnel_window */
	uint64_t udp_timeout_ns;	/* connections.udp_timeout */

	/* Names the scenes may refer to; their sections belong to the
	 * action layer, which validates the rest. */
	char	*backend_names[LW_MAX_LISTS + 1];	/* NULL-terminated */
	char	*backend_types[LW_MAX_LISTS + 1];	/* "nft", ...; by index */
	size_t	 nbackends;
	char	*key_names[LW_MAX_LISTS + 1];	/* NULL-terminated */
	size_t	 nkeys;
	/* Their sections, by the same index (NULL where the entry was not
	 * a mapping), and mqtt: (NULL when absent), read by their owners. */
	struct lw_section *backend_conf[LW_MAX_LISTS + 1];
	struct lw_section *key_conf[LW_MAX_LISTS + 1];
	struct lw_section *mqtt;
	struct lw_section *vault;	/* vault: (key stores), or NULL */
	char	*default_backend;		/* actions.default_backend */
	uint64_t max_per_hour;			/* actions.max_per_hour */
	uint64_t soft_allow_ns;			/* actions.soft_allow */
	uint64_t action_queue;			/* actions.queue (64) */
	uint64_t action_verify_ns;		/* actions.verify_every (10m); 0:
					 * only at start */
	/* actions.never: IPs, prefixes and MACs never actioned, as
	 * written (checked at load). */
	char	*action_never[LW_MAX_LISTS];
	size_t	 naction_never;

	/* capture: the look-back ring and the files (issue 6). */
	uint64_t capture_ring_mb;	/* capture.ring_mb (8) */
	uint64_t capture_ring_ns;	/* capture.ring_seconds (30) */
	uint64_t capture_quota_mb;	/* capture.quota_mb (512), all files */
	uint64_t capture_max_mb;	/* capture.max_mb (64), one file */
	uint64_t capture_max_packets;	/* capture.max_packets (0: none) */
};

void	lw_config_defaults(struct lw_config *cfg);
/* True when the file loaded without a single diagnostic. */
bool	lw_config_load(struct lw_config *cfg, const char *path,
	    struct lw_diag *diag);
void	lw_config_free(struct lw_config *cfg);
/* The network called 'name', or NULL. */
const struct lw_network *lw_config_network(const struct lw_config *cfg,
	    const char *name);

#endif
