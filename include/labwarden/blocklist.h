/*
 * blocklist.h - domain block and allow lists.
 *
 * Reads hosts files (Pi-hole, StevenBlack: "0.0.0.0 name [name...]"),
 * plain domain lists (one per line) and Adblock lines ("||domain^",
 * with or without "$options", which are ignored).  Comments ('#', and
 * '!' for Adblock) and blank lines are skipped; other lines that do not
 * parse are counted and the first few reported as file:line, never
 * fatal.  A listed domain covers its subdomains; an allowlist entry
 * (same formats) overrides any blocklist for that name and below.
 *
 * Entries are kept as 64-bit hashes of the lowercased name in one
 * open-addressed set, with the index of the list they came from, so a
 * million entries take about 16 MB and load in well under two seconds.
 * Lookup walks the name's suffixes ("a.b.c", "b.c", "c").
 */
#ifndef LABWARDEN_BLOCKLIST_H
#define LABWARDEN_BLOCKLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LW_BLOCKLIST_MAX_LISTS	64
#define LW_BLOCKLIST_REPORT_LINES 5	/* bad lines reported per file */

struct lw_blocklist_slot;

struct lw_blocklist_file {
	char	*path;
	const char *name;	/* base name of path: the event's value */
	bool	 allow;
	size_t	 entries;	/* names added */
	size_t	 bad_lines;
};

struct lw_blocklist {
	struct lw_blocklist_slot *slots;
	size_t	 nslots;	/* power of two */
	size_t	 count;
	struct lw_blocklist_file files[LW_BLOCKLIST_MAX_LISTS];
	size_t	 nfiles;
};

void	 lw_blocklist_init(struct lw_blocklist *bl);
void	 lw_blocklist_free(struct lw_blocklist *bl);
/*
 * Add one file.  Unreadable file: false with "PATH: reason" in err.
 * Bad lines: counted in the file's bad_lines, the first
 * LW_BLOCKLIST_REPORT_LINES written to 'report' (may be NULL) as
 * "PATH:LINE: reason", and loading goes on.
 */
bool	 lw_blocklist_add_file(struct lw_blocklist *bl, const char *path,
	    bool allow, FILE *report, char *err, size_t errlen);
/*
 * The name of the list that blocks name (lowercase, no trailing dot),
 * or NULL when no list has it or an allowlist covers it.
 */
const char *lw_blocklist_match(const struct lw_blocklist *bl,
	    const char *name);

#endif
