/*
 * keystore_file.c - keys in a local file (keys_int.h):
 *
 *   PATH        the current key, one line, mode 0600
 *   PATH.prev   the version before it, kept until its grace period ends
 *   PATH.meta   {"version":N,"previous":M}: numbers only, never a key
 *   PATH.lock   taken with flock() while a version changes
 *
 * A new version is written to a temporary file in the same directory,
 * fsync'd and renamed over PATH, so a reader sees the old key or the
 * new one, never a part of either.  The old file is kept as PATH.prev
 * by a hard link made before the rename (same inode: no copy of the
 * key is written).  A key file found without PATH.meta is version 1.
 *
 * Only one previous version is kept: a rotation within its grace period
 * overwrites and removes the older PATH.prev first and says so
 * (keystore.dropped), so no key is left behind unshredded.  When
 * PATH.meta cannot follow the new PATH, PATH.prev goes back over PATH:
 * the old key and the old numbers agree again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "labwarden/statefile.h"
#include "keys_int.h"

#define LOCK_TRIES	100	/* 10 ms apart: a second at most */

struct filestore {
	char	 path[KEY_PATH_MAX], prev[KEY_PATH_MAX + 8];
	char	 meta[KEY_PATH_MAX + 8], lock[KEY_PATH_MAX + 8];
	char	 dir[KEY_PATH_MAX];
};

struct meta {
	uint64_t version, previous;
};

static bool file_open(struct keystore *ks, char *why, size_t whylen)
{
	struct filestore *fs = calloc(1, sizeof *fs);
	const char *path = ks->kc->file;

	if (!fs) {
		snprintf(why, whylen, "out of memory");
		return false;
	}
	snprintf(fs->path, sizeof fs->path, "%s", path);
	snprintf(fs->prev, sizeof fs->prev, "%s.prev", path);
	snprintf(fs->meta, sizeof fs->meta, "%s.meta", path);
	snprintf(fs->lock, sizeof fs->lock, "%s.lock", path);
	const char *slash = strrchr(path, '/');
	snprintf(fs->dir, sizeof fs->dir, "%.*s", slash ? (int)(slash -
	    path) + (slash == path) : 1, slash ? path : ".");
	ks->priv = fs;
	return true;
}

static void file_close(struct keystore *ks)
{
	free(ks->priv);
	ks->priv = NULL;
}

/* flock on PATH.lock: -1 (why set) when another holds it too long. */
static int take_lock(const struct filestore *fs, char *why, size_t whylen)
{
	int fd = open(fs->lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK, 0600);

	if (fd < 0) {
		snprintf(why, whylen, "%s: %s", fs->lock, strerror(errno));
		return -1;
	}
	for (int i = 0; i < LOCK_TRIES; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		nanosleep(&(struct timespec){ 0, 10 * 1000000 }, NULL);
	}
	close(fd);
	snprintf(why, whylen, "%s: another rotation holds the lock",
	    fs->lock);
	return -1;
}

static void drop_lock(int fd)
{
	flock(fd, LOCK_UN);
	close(fd);
}

/* text to path through a 0600 temporary file and rename(2). */
static bool replace_file(const char *path, const char *dir, const char *text,
    size_t len, char *why, size_t whylen)
{
	char tmp[KEY_PATH_MAX + 32];

	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(why, whylen, "%s: %s", tmp, strerror(errno));
		return false;
	}
	bool ok = fchmod(fd, 0600) == 0 && lw_write_all(fd, text, len) &&
	    fsync(fd) == 0;
	int saved = errno;
	ok &= close(fd) == 0;
	if (ok && rename(tmp, path) != 0) {
		saved = errno;
		ok = false;
	}
	if (!ok) {
		snprintf(why, whylen, "%s: %s", path, strerror(saved));
		unlink(tmp);
		return false;
	}
	lw_sync_dir(dir);
	return true;
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* PATH.meta; a key file without one is version 1. */
static bool read_meta(const struct filestore *fs, struct meta *m, char *why,
    size_t whylen)
{
	json_error_t jerr;

	struct stat st;

	memset(m, 0, sizeof *m);
	if (lstat(fs->meta, &st) == 0 && !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s: not a regular file", fs->meta);
		return false;
	}
	json_t *doc = json_load_file(fs->meta, 0, &jerr);
	if (!doc) {
		if (exists(fs->meta)) {
			snprintf(why, whylen, "%s: %s", fs->meta, jerr.text);
			return false;
		}
		m->version = exists(fs->path) ? 1 : 0;
		return true;
	}
	json_t *v = json_object_get(doc, "version");
	json_t *p = json_object_get(doc, "previous");
	bool ok = json_is_integer(v) && json_integer_value(v) >= 0 &&
	    (!p || (json_is_integer(p) && json_integer_value(p) >= 0));
	if (ok) {
		m->version = (uint64_t)json_integer_value(v);
		m->previous = p ? (uint64_t)json_integer_value(p) : 0;
	} else
		snprintf(why, whylen, "%s: not labwarden's version file",
		    fs->meta);
	json_decref(doc);
	return ok;
}

static bool write_meta(const struct filestore *fs, const struct meta *m,
    char *why, size_t whylen)
{
	char text[96];
	int n = snprintf(text, sizeof text, "{\"version\":%llu,\"previous\":"
	    "%llu}\n", (unsigned long long)m->version,
	    (unsigned long long)m->previous);

	return replace_file(fs->meta, fs->dir, text, (size_t)n, why, whylen);
}

/* The key file's first line into value. */
static bool read_key(const char *path, struct key_value *value, char *why,
    size_t whylen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;

	if (fd < 0) {
		if (errno == ENOENT)
			return true;	/* no value */
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return false;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(why, whylen, "%s: not a regular file", path);
		return false;
	}
	ssize_t n = read(fd, value->text, sizeof value->text - 1);
	close(fd);
	if (n < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return false;
	}
	value->text[n] = '\0';
	value->len = strcspn(value->text, "\r\n");
	explicit_bzero(value->text + value->len, (size_t)n - value->len);
	value->set = value->len > 0;
	return true;
}

static enum key_status file_current(struct keystore *ks, uint64_t *version,
    struct key_value *value, struct key_log *log, char *why, size_t whylen)
{
	struct filestore *fs = ks->priv;
	struct meta m;

	(void)log;
	*version = 0;
	int lock = take_lock(fs, why, whylen);
	if (lock < 0)
		return KEY_FAIL;
	bool ok = read_meta(fs, &m, why, whylen) &&
	    (!value || read_key(fs->path, value, why, whylen));
	drop_lock(lock);
	*version = m.version;
	return ok ? KEY_OK : KEY_FAIL;
}

static bool shred(const struct filestore *fs, char *why, size_t whylen);

/*
 * PATH.prev becomes the file PATH is now (a second name, no copy).  An
 * older PATH.prev (version m->previous, still in its grace period) is
 * overwritten and removed first; *dropped gets its version.
 */
static bool keep_previous(const struct filestore *fs, const struct meta *m,
    uint64_t *dropped, char *why, size_t whylen)
{
	char tmp[KEY_PATH_MAX + 32];

	if (exists(fs->prev)) {
		if (!shred(fs, why, whylen))
			return false;
		*dropped = m->previous;
	}

	snprintf(tmp, sizeof tmp, "%s.tmp", fs->prev);
	unlink(tmp);
	if (link(fs->path, tmp) != 0 || rename(tmp, fs->prev) != 0) {
		snprintf(why, whylen, "%s: %s", fs->prev, strerror(errno));
		unlink(tmp);
		return false;
	}
	return true;
}

static void wipe_fd(int fd, off_t size)
{
	char zeros[512] = { 0 };

	for (off_t done = 0; done < size; ) {
		size_t n = (size_t)(size - done) < sizeof zeros ?
		    (size_t)(size - done) : sizeof zeros;
		if (pwrite(fd, zeros, n, done) != (ssize_t)n)
			break;
		done += (off_t)n;
	}
	(void)fsync(fd);
}

/*
 * PATH.meta could not follow PATH (disk full...): PATH.prev, the old
 * key, goes back over PATH (or the new PATH goes, when there was none)
 * and the new key's bytes are overwritten.  why gets what happened.
 */
static void restore_previous(const struct filestore *fs, bool had,
    char *why, size_t whylen)
{
	struct stat st;
	size_t n = strlen(why);
	int fd = open(fs->path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK);
	bool back = had ? rename(fs->prev, fs->path) == 0 :
	    unlink(fs->path) == 0;

	if (!back)
		snprintf(why + n, whylen - n, "; putting the old key back "
		    "failed too (%s): %s holds the new key, %s the old "
		    "version", strerror(errno), fs->path, fs->meta);
	else {
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
			wipe_fd(fd, st.st_size);	/* no name left */
		lw_sync_dir(fs->dir);
		snprintf(why + n, whylen - n, "; %s holds the old key again",
		    fs->path);
	}
	if (fd >= 0)
		close(fd);
}

static enum key_status file_write(struct keystore *ks, uint64_t cas,
    const char *value, size_t len, uint64_t *version, struct key_log *log,
    char *why, size_t whylen)
{
	struct filestore *fs = ks->priv;
	struct meta m;
	enum key_status st = KEY_FAIL;
	char *text = malloc(len + 2);

	(void)log;
	*version = 0;
	int lock = take_lock(fs, why, whylen);
	if (lock < 0 || !text)
		goto out;
	if (!read_meta(fs, &m, why, whylen))
		goto out;
	if (m.version != cas) {
		snprintf(why, whylen, "%s: version %llu is current, not %llu: "
		    "another writer", fs->path, (unsigned long long)m.version,
		    (unsigned long long)cas);
		st = KEY_CONFLICT;
		goto out;
	}
	bool had = exists(fs->path);
	if (had && !keep_previous(fs, &m, &ks->dropped, why, whylen))
		goto out;
	memcpy(text, value, len);
	text[len] = '\n';
	if (!replace_file(fs->path, fs->dir, text, len + 1, why, whylen))
		goto out;
	struct meta next = { cas + 1, had ? m.version : 0 };
	if (!write_meta(fs, &next, why, whylen)) {
		restore_previous(fs, had, why, whylen);
		goto out;
	}
	*version = next.version;
	st = KEY_OK;
out:
	if (text) {
		explicit_bzero(text, len + 2);
		free(text);
	}
	if (lock >= 0)
		drop_lock(lock);
	return st;
}

/*
 * Overwrite PATH.prev's bytes, then remove it.  Never overwrite when it
 * is the current key's file too (a write that failed after the link).
 */
static bool shred(const struct filestore *fs, char *why, size_t whylen)
{
	struct stat st, cur;
	const char *path = fs->prev;
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    !(stat(fs->path, &cur) == 0 &&
	    cur.st_ino == st.st_ino && cur.st_dev == st.st_dev))
		wipe_fd(fd, st.st_size);
	if (fd >= 0)
		close(fd);
	if (unlink(path) != 0 && errno != ENOENT) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return false;
	}
	return true;
}

static enum key_status file_destroy(struct keystore *ks, uint64_t version,
    struct key_log *log, char *why, size_t whylen)
{
	struct filestore *fs = ks->priv;
	struct meta m;
	enum key_status st = KEY_FAIL;

	(void)log;
	int lock = take_lock(fs, why, whylen);
	if (lock < 0)
		return KEY_FAIL;
	if (!read_meta(fs, &m, why, whylen))
		goto out;
	/* Another rotation since replaced PATH.prev: this version is gone
	 * with it. */
	if (m.previous != version || version == 0) {
		st = KEY_OK;
		goto out;
	}
	if (!shred(fs, why, whylen))
		goto out;
	m.previous = 0;
	if (write_meta(fs, &m, why, whylen))
		st = KEY_OK;
out:
	drop_lock(lock);
	return st;
}

const struct keystore_ops keystore_file_ops = {
	.type = "file",
	.open = file_open,
	.current = file_current,
	.write = file_write,
	.destroy = file_destroy,
	.close = file_close,
};
