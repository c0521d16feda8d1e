/*
 * nftables.h - the local nft backend: lockdowns and quarantines as
 * elements with timeouts in labwarden's own table.
 *
 * The backend owns one table, `inet labwarden`, and never edits another.
 * It holds the sets lockdown4 (ipv4_addr), lockdown6 (ipv6_addr) and
 * quarantine_mac (ether_addr), all with `flags timeout`, and chains on
 * the forward, input and output hooks that drop traffic from and to
 * their members.  An element carries the action's remaining time as its
 * timeout, so the kernel releases it on time even if labwarden is gone.
 * Targets are parsed and written back in canonical form before they go
 * into an nft command, so nothing from a packet reaches nft as text.
 */
#ifndef LABWARDEN_NFTABLES_H
#define LABWARDEN_NFTABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LW_NFT_TABLE	"labwarden"

struct nft_ctx;

struct lw_nft {
	struct nft_ctx *ctx;
};

/* Create (or complete) the table, its sets and chains.  The chains'
 * rules are rewritten; set elements already there are kept. */
bool	 lw_nft_open(struct lw_nft *nft, char *err, size_t errlen);
void	 lw_nft_close(struct lw_nft *nft);
/*
 * Put target (IPv4, IPv6 or MAC) in its set for timeout_s seconds,
 * replacing an element already there, then read the set back: true
 * only when the element is there.
 */
bool	 lw_nft_block(struct lw_nft *nft, const char *target,
	    uint64_t timeout_s, char *err, size_t errlen);
/* Take target out of its set (true if it was there or is gone now). */
bool	 lw_nft_release(struct lw_nft *nft, const char *target, char *err,
	    size_t errlen);
/* Is target an IPv4, IPv6 or MAC address this backend can hold? */
bool	 lw_nft_target_ok(const char *target);
/* Is target in its set?  *expires_s gets the seconds left. */
bool	 lw_nft_has(struct lw_nft *nft, const char *target,
	    uint64_t *expires_s);

#endif
