/*
 * progress.c - " 42.0%  1234567 packets  812345 packets/s  ETA 3s" on a
 * terminal, redrawn in place at most five times a second.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "labwarden/progress.h"

#define REDRAW_SECONDS	0.2

static double monotonic_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void lw_progress_init(struct lw_progress *p, bool wanted,
    uint64_t total_bytes)
{
	p->on = wanted && isatty(STDERR_FILENO);
	p->total_bytes = total_bytes;
	p->done_before = 0;
	p->packets = 0;
	p->started = p->last_draw = monotonic_seconds();
	p->drawn = false;
}

static void draw(struct lw_progress *p, uint64_t done, double now)
{
	double elapsed = now - p->started;
	double frac = p->total_bytes ? (double)done / (double)p->total_bytes : 0;
	double rate = elapsed > 0 ? (double)p->packets / elapsed : 0;
	double eta = frac > 0.001 ? elapsed * (1 - frac) / frac : 0;

	if (frac > 1)
		frac = 1;
	fprintf(stderr, "\r\033[K%5.1f%%  %llu packets  %.0f packets/s  "
	    "ETA %.0fs", frac * 100, (unsigned long long)p->packets, rate, eta);
	fflush(stderr);
	p->drawn = true;
	p->last_draw = now;
}

void lw_progress_draw(struct lw_progress *p, uint64_t file_offset)
{
	double now = monotonic_seconds();

	if (!p->drawn || now - p->last_draw >= REDRAW_SECONDS)
		draw(p, p->done_before + file_offset, now);
}

void lw_progress_file_done(struct lw_progress *p, uint64_t file_size)
{
	p->done_before += file_size;
}

void lw_progress_clear(struct lw_progress *p)
{
	if (p->on && p->drawn) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
		p->drawn = false;
	}
}

void lw_progress_finish(struct lw_progress *p)
{
	if (!p->on)
		return;
	double now = monotonic_seconds();
	double elapsed = now - p->started;
	double rate = elapsed > 0 ? (double)p->packets / elapsed : 0;
	uint64_t read = p->done_before;

	fprintf(stderr, "\r\033[K%5.1f%%  %llu packets  %.0f packets/s  "
	    "done in %.1fs\n", read >= p->total_bytes ? 100.0 :
	    100.0 * (double)read / (double)p->total_bytes,
	    (unsigned long long)p->packets, rate, elapsed);
	fflush(stderr);
	p->on = false;
}
