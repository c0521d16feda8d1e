/*
 * diag.c - collected diagnostics and near-miss suggestions.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "labwarden/diag.h"

void lw_diag_init(struct lw_diag *diag)
{
	memset(diag, 0, sizeof *diag);
}

void lw_diag_free(struct lw_diag *diag)
{
	for (size_t i = 0; i < diag->count; i++)
		free(diag->msgs[i]);
	lw_diag_init(diag);
}

void lw_diag_add(struct lw_diag *diag, const char *file, unsigned line,
    unsigned col, const char *fmt, ...)
{
	char where[512], what[1024], *msg;
	va_list ap;

	if (diag->count >= LW_DIAG_MAX) {
		diag->dropped++;
		return;
	}
	if (line && col)
		snprintf(where, sizeof where, "%s:%u:%u: ", file, line, col);
	else if (line)
		snprintf(where, sizeof where, "%s:%u: ", file, line);
	else
		snprintf(where, sizeof where, "%s: ", file);
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	size_t len = strlen(where) + strlen(what) + 1;
	if ((msg = malloc(len)) == NULL) {
		diag->dropped++;
		return;
	}
	snprintf(msg, len, "%s%s", where, what);
	diag->msgs[diag->count++] = msg;
}

void lw_diag_print(const struct lw_diag *diag, FILE *out)
{
	for (size_t i = 0; i < diag->count; i++)
		fprintf(out, "%s\n", diag->msgs[i]);
	if (diag->dropped)
		fprintf(out, "... and %zu more\n", diag->dropped);
}

#define SUGGEST_MAXLEN 64

/* Damerau-free Levenshtein distance on short words. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[SUGGEST_MAXLEN + 1];

	if (la > SUGGEST_MAXLEN || lb > SUGGEST_MAXLEN)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const char *lw_suggest(const char *word, const char *const *candidates)
{
	const char *best = NULL;
	size_t best_d = 3, len = strlen(word);

	for (size_t i = 0; candidates[i]; i++) {
		size_t d = edit_distance(word, candidates[i]);
		if (d < best_d && d * 2 < len + 1) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best;
}
