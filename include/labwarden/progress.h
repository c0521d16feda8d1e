/*
 * progress.h - the one refreshing status line of a long replay.
 *
 * Drawn on stderr only when it is a terminal: percent of bytes read,
 * packets/s and time left.  Checking the clock is kept off the per-packet
 * path: the caller ticks it and it looks at the time every few thousand
 * packets.
 */
#ifndef LABWARDEN_PROGRESS_H
#define LABWARDEN_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

#define LW_PROGRESS_EVERY 4096	/* packets between clock reads */

struct lw_progress {
	bool	 on;
	uint64_t total_bytes;	/* all files */
	uint64_t done_before;	/* bytes of files already finished */
	uint64_t packets;
	double	 started, last_draw;
	bool	 drawn;
};

/* 'wanted' is --progress; the line appears only if stderr is a TTY. */
void	lw_progress_init(struct lw_progress *p, bool wanted,
	    uint64_t total_bytes);
/*
 * Per packet: true when the line should be redrawn; only then does the
 * caller find the file offset (a system call) and call lw_progress_draw.
 */
static inline bool lw_progress_due(struct lw_progress *p)
{
	return p->on && (++p->packets % LW_PROGRESS_EVERY == 0 || !p->drawn);
}
void	lw_progress_draw(struct lw_progress *p, uint64_t file_offset);
void	lw_progress_file_done(struct lw_progress *p, uint64_t file_size);
/* Erase the line before a message; the next tick draws it again. */
void	lw_progress_clear(struct lw_progress *p);
/* The last line: what was read, how fast; ends with a newline. */
void	lw_progress_finish(struct lw_progress *p);

#endif
