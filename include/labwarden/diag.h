/*
 * diag.h - error messages a person can act on.
 *
 * Loaders collect every mistake in a file as "file:line:col: message"
 * rather than stopping at the first, so a user fixes them all in one go.
 * lw_suggest() finds the near miss for "did you mean ...?".
 */
#ifndef LABWARDEN_DIAG_H
#define LABWARDEN_DIAG_H

#include <stddef.h>
#include <stdio.h>

#define LW_DIAG_MAX 200		/* more than this is noise; counted only */

struct lw_diag {
	char	*msgs[LW_DIAG_MAX];
	size_t	 count;		/* messages kept */
	size_t	 dropped;	/* messages past LW_DIAG_MAX */
};

void	lw_diag_init(struct lw_diag *diag);
void	lw_diag_free(struct lw_diag *diag);
/* line and col are 1-based; 0 leaves them out. */
void	lw_diag_add(struct lw_diag *diag, const char *file, unsigned line,
	    unsigned col, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
void	lw_diag_print(const struct lw_diag *diag, FILE *out);

/* The candidate closest to 'word' (edit distance <= 2, and less than
 * half the word), or NULL.  'candidates' ends with NULL. */
const char *lw_suggest(const char *word, const char *const *candidates);

#endif
