/*
 * oui.h - MAC address vendor names from the IEEE registry.
 *
 * Loads Debian's ieee-data CSV files (oui.csv: 24-bit MA-L prefixes;
 * mam.csv: 28-bit MA-M; oui36.csv: 36-bit MA-S) once into one hash
 * table keyed by (prefix, length) and answers a lookup with at most
 * three probes, longest prefix first.  (A hash table, not a sorted
 * array: sorting 40,000 rows was a third of the start-up time.)
 * Locally administered addresses (randomized phones, VMs) have no
 * vendor by definition.
 */
#ifndef LABWARDEN_OUI_H
#define LABWARDEN_OUI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LW_OUI_DIR_DEFAULT "/usr/share/ieee-data"

struct lw_oui_entry;

struct lw_oui {
	struct lw_oui_entry *entries;	/* as read, then replaced by... */
	size_t	 count;
	struct lw_oui_entry *slots;	/* ...an open-addressed table */
	size_t	 nslots;		/* a power of two, or 0 */
	char	*names;		/* all vendor names, NUL-separated */
	size_t	 names_len;
	size_t	 bad_lines;	/* lines that did not parse */
};

/*
 * Load oui.csv (required) and mam.csv, oui36.csv (if present) from dir.
 * On failure writes "PATH: reason" to err and returns false; the table
 * is then empty but usable (every lookup NULL).
 */
bool	 lw_oui_load(struct lw_oui *oui, const char *dir, char *err,
	    size_t errlen);
void	 lw_oui_free(struct lw_oui *oui);
/* The organisation name for mac, or NULL when unknown or local. */
const char *lw_oui_vendor(const struct lw_oui *oui, const uint8_t mac[6]);
/* Locally administered (U/L bit set): randomized or virtual. */
static inline bool lw_mac_is_local(const uint8_t mac[6])
{
	return (mac[0] & 0x02) != 0;
}
static inline bool lw_mac_is_group(const uint8_t mac[6])
{
	return (mac[0] & 0x01) != 0;
}

#endif
