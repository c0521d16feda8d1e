/*
 * domain.h - registered domains (Public Suffix List, through libpsl)
 * and the shape of a name, for new-domain and tunnel detection.
 *
 * The list is Debian's publicsuffix file, loaded at run time so that
 * an updated package is picked up without rebuilding.
 */
#ifndef LABWARDEN_DOMAIN_H
#define LABWARDEN_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>

#define LW_PSL_DEFAULT "/usr/share/publicsuffix/public_suffix_list.dat"
/* The same list compiled by Debian: loads in a third of the time. */
#define LW_PSL_DAFSA "/usr/share/publicsuffix/public_suffix_list.dafsa"

struct lw_psl;

/* NULL on failure, with "PATH: reason (install the publicsuffix
 * package)" in err. */
struct lw_psl *lw_psl_load(const char *path, char *err, size_t errlen);
void	 lw_psl_free(struct lw_psl *psl);

/*
 * The registered domain of name (lowercase, no trailing dot): the public
 * suffix plus one label ("www.bbc.co.uk" -> "bbc.co.uk").  When name is
 * itself a public suffix or has no known suffix, the name itself is
 * returned ("co.uk" -> "co.uk", "printer.lan" -> "printer.lan" via the
 * PSL's "*" default rule: "lan" is a suffix, so "printer.lan").  The
 * result points into name; never NULL.
 */
const char *lw_registered_domain(struct lw_psl *psl, const char *name);

/* Facts about the part of a name left of its registered domain. */
struct lw_name_shape {
	size_t	 length;	/* whole name, presentation bytes */
	size_t	 labels;	/* labels in the whole name */
	size_t	 longest_label;	/* bytes, whole name */
	size_t	 sub_length;	/* bytes left of the registered domain */
	double	 sub_entropy;	/* Shannon entropy, bits per byte, of the
				 * subdomain bytes without dots; 0 if none */
};

void	 lw_name_shape(const char *name, const char *registered,
	    struct lw_name_shape *shape);

#endif
