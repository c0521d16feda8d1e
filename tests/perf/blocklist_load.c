/*
 * blocklist_load.c - t122: a million block-list entries load in under
 * two seconds and under 64 MB, in each of the three formats.
 *
 * Writes a hosts file, a plain list and an Adblock list of N random
 * names each (deterministic) into a temporary directory, loads each
 * into its own block list, and checks load time, the memory the load
 * added (peak RSS growth) and that every name written is found.
 *
 * usage: blocklist_load [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "labwarden/blocklist.h"

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void random_name(char *buf, size_t n)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	static const char *const tlds[] = { "com", "net", "io", "org", "cn" };
	size_t len = 6 + rng() % 14, i;

	for (i = 0; i < len && i + 8 < n; i++)
		buf[i] = alphabet[rng() % 36];
	snprintf(buf + i, n - i, ".%s", tlds[rng() % 5]);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_kib(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static int one_format(const char *dir, const char *format, unsigned long n)
{
	static const char *const prefix[] = { "0.0.0.0 ", "", "||" };
	static const char *const suffix[] = { "", "", "^" };
	int kind = strcmp(format, "hosts") == 0 ? 0 :
	    strcmp(format, "plain") == 0 ? 1 : 2;
	char path[512], name[64], err[256];
	uint64_t seed = rng_state;

	snprintf(path, sizeof path, "%s/%s.txt", dir, format);
	FILE *f = fopen(path, "w");
	if (!f)
		return 1;
	for (unsigned long i = 0; i < n; i++) {
		random_name(name, sizeof name);
		fprintf(f, "%s%s%s\n", prefix[kind], name, suffix[kind]);
	}
	fclose(f);

	struct lw_blocklist bl;
	long before = peak_kib();
	double start = now();
	lw_blocklist_init(&bl);
	if (!lw_blocklist_add_file(&bl, path, false, stderr, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	double seconds = now() - start;
	double grew_mb = (double)(peak_kib() - before) / 1024.0;
	rng_state = seed;		/* the same names again: all found */
	unsigned long found = 0;
	for (unsigned long i = 0; i < n; i++) {
		random_name(name, sizeof name);
		found += lw_blocklist_match(&bl, name) != NULL;
	}
	printf("%-7s %lu entries (%zu distinct), %.2f s, +%.1f MiB, "
	    "%lu found, %zu bad lines\n", format, n, bl.count, seconds,
	    grew_mb, found, bl.files[0].bad_lines);
	int rc = 0;
	if (seconds >= 2.0 || grew_mb >= 64.0 || found != n ||
	    bl.files[0].bad_lines) {
		printf("FAIL %s: want < 2 s, < 64 MiB, every name found\n",
		    format);
		rc = 1;
	}
	lw_blocklist_free(&bl);
	unlink(path);
	return rc;
}

/* Each format in its own process, so each peak RSS is its own. */
static int in_child(const char *dir, const char *format, unsigned long n)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit((one_format(dir, format, n) | fflush(stdout)) != 0);
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	char dir[] = "/tmp/lw-blocklist-XXXXXX";

	if (!mkdtemp(dir))
		return 2;
	int rc = in_child(dir, "hosts", n) | in_child(dir, "plain", n) |
	    in_child(dir, "adblock", n);
	rmdir(dir);
	return rc;
}
