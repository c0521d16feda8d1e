/*
 * bench_blocklist.c - how fast block lists load and answer, and what
 * they cost in memory.
 *
 * Loads the files named on the command line (blocklists; -a FILE for
 * an allowlist), printing for each its entries, bad lines and load
 * time, then the peak RSS of the process (getrusage), then times N
 * lookups (default 1,000,000): half are subdomains of names taken from
 * the first list ("www.NAME", found by walking to a listed suffix),
 * half random names under no list.  The lookup names are built after
 * the peak RSS is read, so they do not count in it.
 *
 * Build it without sanitizers, with optimisation:
 *   cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
 *      -Iinclude sensor/blocklist.c sensor/lines.c \
 *      tests/unit/bench_blocklist.c -o bench_blocklist
 *   tests/scripts/gen_blocklist.py 1000000 hosts /tmp/hosts-1m.txt
 *   ./bench_blocklist /tmp/hosts-1m.txt
 *
 * usage: bench_blocklist [-n lookups] [-a allowlist]... blocklist...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "labwarden/blocklist.h"

#define NAME_BYTES	256	/* a name and "www.", with room to spare */

/* Names to look up, in one pool: offsets[i] is where name i starts. */
struct names {
	char	*pool;
	size_t	 pool_len, pool_cap;
	size_t	*offsets;
	size_t	 count, cap;
};

static void usage(void)
{
	fprintf(stderr, "usage: bench_blocklist [-n lookups] "
	    "[-a allowlist]... blocklist...\n");
	exit(2);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_rss_kib(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return -1;
	return ru.ru_maxrss;	/* KiB on Linux */
}

static void names_add(struct names *n, const char *name)
{
	size_t len = strlen(name) + 1;

	if (n->count == n->cap) {
		n->cap = n->cap ? n->cap * 2 : 4096;
		n->offsets = realloc(n->offsets, n->cap * sizeof *n->offsets);
		if (!n->offsets)
			abort();
	}
	while (n->pool_len + len > n->pool_cap) {
		n->pool_cap = n->pool_cap ? n->pool_cap * 2 : 1 << 20;
		n->pool = realloc(n->pool, n->pool_cap);
		if (!n->pool)
			abort();
	}
	memcpy(n->pool + n->pool_len, name, len);
	n->offsets[n->count++] = n->pool_len;
	n->pool_len += len;
}

/* The name a list line holds, whatever the format; NULL for comments. */
static const char *line_name(char *line)
{
	char *save = NULL, *tok, *last = NULL;

	if (line[0] == '#' || line[0] == '!' || line[0] == '[')
		return NULL;
	for (tok = strtok_r(line, " \t\r\n", &save); tok;
	    tok = strtok_r(NULL, " \t\r\n", &save))
		last = tok;
	if (!last || last[0] == '#')
		return NULL;
	if (strncmp(last, "||", 2) == 0)
		last += 2;
	last[strcspn(last, "^$")] = '\0';
	return *last ? last : NULL;
}

/* Up to want names of the list at path, as "www.NAME". */
static void names_from_list(struct names *n, const char *path, size_t want)
{
	char line[4096], name[NAME_BYTES];
	FILE *f = fopen(path, "r");
	size_t lines = 0, taken = 0;

	if (!f)
		return;
	while (fgets(line, sizeof line, f))
		lines++;
	rewind(f);
	/* Spread over the whole list, not its first lines. */
	size_t every = lines > want ? lines / want : 1;
	for (size_t i = 0; taken < want && fgets(line, sizeof line, f); i++) {
		const char *listed;
		if (i % every != 0 || !(listed = line_name(line)))
			continue;
		if (snprintf(name, sizeof name, "www.%s", listed) >=
		    (int)sizeof name)
			continue;
		names_add(n, name);
		taken++;
	}
	fclose(f);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Names under a TLD no list has: every lookup walks the whole name. */
static void random_names(struct names *n, size_t want)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	char name[NAME_BYTES];

	for (size_t i = 0; i < want; i++) {
		size_t len = 0, labels = 1 + rng() % 3;
		for (size_t l = 0; l < labels; l++) {
			size_t label = 3 + rng() % 12;
			for (size_t k = 0; k < label; k++)
				name[len++] = alphabet[rng() % 36];
			name[len++] = '.';
		}
		memcpy(name + len, "bench-miss", sizeof "bench-miss");
		names_add(n, name);
	}
}

int main(int argc, char **argv)
{
	struct lw_blocklist bl;
	struct names names = { 0 };
	const char *allow[LW_BLOCKLIST_MAX_LISTS];
	size_t nallow = 0, lookups = 1000000;
	char err[512];
	int ch;

	while ((ch = getopt(argc, argv, "a:n:")) != -1) {
		switch (ch) {
		case 'a':
			if (nallow == LW_BLOCKLIST_MAX_LISTS)
				usage();
			allow[nallow++] = optarg;
			break;
		case 'n':
			lookups = strtoul(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (optind == argc || lookups == 0)
		usage();

	long rss_before = peak_rss_kib();
	double load_start = now();
	lw_blocklist_init(&bl);
	for (int i = optind; i < argc; i++) {
		double start = now();
		if (!lw_blocklist_add_file(&bl, argv[i], false, stderr, err,
		    sizeof err)) {
			fprintf(stderr, "bench_blocklist: %s\n", err);
			return 1;
		}
		const struct lw_blocklist_file *f = &bl.files[bl.nfiles - 1];
		printf("%-28s block  %9zu entries %6zu bad lines  %7.3f s\n",
		    f->name, f->entries, f->bad_lines, now() - start);
	}
	for (size_t i = 0; i < nallow; i++) {
		double start = now();
		if (!lw_blocklist_add_file(&bl, allow[i], true, stderr, err,
		    sizeof err)) {
			fprintf(stderr, "bench_blocklist: %s\n", err);
			return 1;
		}
		const struct lw_blocklist_file *f = &bl.files[bl.nfiles - 1];
		printf("%-28s allow  %9zu entries %6zu bad lines  %7.3f s\n",
		    f->name, f->entries, f->bad_lines, now() - start);
	}
	double load_s = now() - load_start;
	long rss_peak = peak_rss_kib();
	printf("loaded: %zu distinct names in %zu slots, %.3f s\n", bl.count,
	    bl.nslots, load_s);
	printf("peak RSS: %.1f MiB (%.1f MiB before loading, +%.1f MiB)\n",
	    rss_peak / 1024.0, rss_before / 1024.0,
	    (rss_peak - rss_before) / 1024.0);

	names_from_list(&names, argv[optind], lookups / 2);
	size_t listed = names.count;
	random_names(&names, lookups - listed);
	/* Interleave the two halves so branch prediction cannot learn. */
	size_t found = 0;
	double start = now();
	for (size_t i = 0; i < names.count; i++) {
		size_t j = i % 2 == 0 ? i / 2 : names.count - 1 - i / 2;
		const char *name = names.pool + names.offsets[j];
		found += lw_blocklist_match(&bl, name) != NULL;
	}
	double lookup_s = now() - start;
	printf("lookups: %zu in %.3f s, %.0f ns each, %zu blocked "
	    "(%zu taken from %s)\n", names.count, lookup_s,
	    lookup_s * 1e9 / (double)names.count, found, listed,
	    argv[optind]);

	free(names.pool);
	free(names.offsets);
	lw_blocklist_free(&bl);
	return 0;
}
