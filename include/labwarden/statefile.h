/*
 * statefile.h - JSON state files in state_dir, written atomically.
 *
 * A writer never leaves a half-written file: it writes NAME.tmp, fsyncs
 * it, renames it over NAME and fsyncs the directory.  A reader that
 * finds NAME unreadable or corrupt moves it aside to
 * NAME.corrupt-YYYYmmddTHHMMSSZ, says so on stderr, and starts fresh.
 */
#ifndef LABWARDEN_STATEFILE_H
#define LABWARDEN_STATEFILE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* False with "PATH: reason" in err. */
bool	 lw_state_write(const char *dir, const char *name, const json_t *doc,
	    char *err, size_t errlen);
/*
 * The document in dir/name, or NULL when there is none (first start) or
 * it was corrupt (moved aside, message on stderr).  'kind' names the
 * expected top-level "kind" member, checked with "version" == 1.
 */
json_t	*lw_state_read(const char *dir, const char *name, const char *kind);
/* All of len bytes to fd (EINTR retried); false on an error. */
bool	 lw_write_all(int fd, const void *data, size_t len);
/* fsync a directory, so a rename in it lasts a crash. */
void	 lw_sync_dir(const char *dir);
/* A corrupt file at path to path.corrupt-STAMP, said on stderr with
 * why; false (and said so) when it could not be moved. */
bool	 lw_state_move_aside(const char *path, const char *why);

#endif
