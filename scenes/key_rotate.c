/*
 * key_rotate.c - one rotation or destruction, on the worker thread
 * (keys_int.h).  A rotation goes in this order:
 *
 *   1. read the store's current version V (and its value, for an undo)
 *      and, for a WireGuard key, find the router's peer (nothing has
 *      changed yet if either fails);
 *   2. make the new key (getrandom) and write it as version V+1 with
 *      check-and-set on V: a concurrent writer is a conflict, not a
 *      lost update;
 *   3. WireGuard: set the router peer's preshared key and read it back
 *      (the far end fetches the new version from the store when its
 *      reload hook is called);
 *   4. call the reload hook, after the write and never before.
 *
 * A failure in 3 or 4 undoes what was done, newest first: the router
 * gets its old preshared key back and the old value is written again as
 * the newest version, so the old key stays in force everywhere; the
 * abandoned version is destroyed when the grace period ends.  On
 * success the replaced version V is destroyed when it ends.
 *
 * Shutdown (key_abort) ends the request under way at once and starts no
 * new step: it is a failure like any other, so what was written is
 * undone (the undo gets KEY_UNDO_MS), and the result says "interrupted
 * by shutdown".  A write ended half way may have reached the store: it
 * is read back, and undone when it did.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "keys_int.h"

struct rotation {
	const struct key_conf *kc;
	struct keystore *ks;
	struct key_result *res;
	struct key_router *router;
	struct key_value old;		/* the store's value of version V */
	struct key_value router_old;	/* the peer's preshared key */
	char	 key[LW_KEY_TEXT_MAX];
	size_t	 keylen;
	uint64_t current;		/* V */
};

static void fail(struct rotation *rot, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail(struct rotation *rot, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rot->res->detail, sizeof rot->res->detail, fmt, ap);
	va_end(ap);
	rot->res->ok = false;
}

/* Step 1: the version in force and the peer, before any change. */
static bool prepare(struct rotation *rot)
{
	const struct key_conf *kc = rot->kc;
	bool want_old = kc->reload.url[0] || kc->wireguard;
	char why[512] = "";

	if (rot->ks->ops->current(rot->ks, &rot->current, want_old ?
	    &rot->old : NULL, &rot->res->log, why, sizeof why) != KEY_OK) {
		fail(rot, "reading the current version: %s; nothing changed",
		    why);
		return false;
	}
	rot->res->version = rot->current;
	if (!kc->wireguard)
		return true;
	rot->router = key_router_new(kc);
	if (!rot->router || !key_router_read(rot->router, &rot->router_old,
	    &rot->res->log, why, sizeof why)) {
		fail(rot, "finding the WireGuard peer: %s; nothing changed",
		    rot->router ? why : "out of memory");
		return false;
	}
	return true;
}

static void undo_store(struct rotation *rot, char *said, size_t saidlen);

/* The store's write; an older version it destroyed is kept to report. */
static enum key_status store_write(struct rotation *rot, uint64_t cas,
    const char *text, size_t len, uint64_t *version, char *why,
    size_t whylen)
{
	struct key_result *res = rot->res;

	rot->ks->dropped = 0;
	enum key_status st = rot->ks->ops->write(rot->ks, cas, text, len,
	    version, &res->log, why, whylen);
	if (rot->ks->dropped && res->ndropped < 2)
		res->dropped[res->ndropped++] = rot->ks->dropped;
	return st;
}

/* A write ended by shutdown: did it reach the store anyway?  Then it
 * is undone like a failed switch. */
static void undo_if_landed(struct rotation *rot, char *said, size_t saidlen)
{
	struct key_value now = { 0 };
	uint64_t version = 0;
	char why[512] = "";
	size_t n = strlen(said);

	key_abort_undo(rot->kc->abort);
	if (rot->ks->ops->current(rot->ks, &version, &now, &rot->res->log,
	    why, sizeof why) != KEY_OK)
		snprintf(said + n, saidlen - n, "; reading it back failed "
		    "(%s): check version %llu by hand", why,
		    (unsigned long long)(rot->current + 1));
	else if (version == rot->current + 1 && now.set &&
	    now.len == rot->keylen && memcmp(now.text, rot->key,
	    rot->keylen) == 0) {
		rot->res->version = version;
		snprintf(said + n, saidlen - n, "; it reached the store");
		undo_store(rot, said, saidlen);
	} else
		snprintf(said + n, saidlen - n, "; the old key stays");
	key_value_wipe(&now);
}

/* Step 2: a new key as version V+1. */
static bool write_new(struct rotation *rot)
{
	char why[512] = "";
	uint64_t version;

	if (!lw_keygen_make(&rot->kc->gen, rot->key, sizeof rot->key, why,
	    sizeof why)) {
		fail(rot, "making a key: %s; nothing changed", why);
		return false;
	}
	rot->keylen = strlen(rot->key);
	enum key_status st = store_write(rot, rot->current, rot->key,
	    rot->keylen, &version, why, sizeof why);
	if (st == KEY_CONFLICT) {
		fail(rot, "check-and-set conflict (%s): another writer changed "
		    "the key meanwhile; the old key stays", why);
		return false;
	}
	if (st != KEY_OK && rot->res->log.aborted) {
		char said[768];
		snprintf(said, sizeof said, "writing the new version: %s", why);
		undo_if_landed(rot, said, sizeof said);
		fail(rot, "%s", said);
		return false;
	}
	if (st != KEY_OK) {
		fail(rot, "writing the new version: %s; the old key stays", why);
		return false;
	}
	rot->res->version = version;
	rot->res->previous = rot->current;
	return true;
}

/* Put the store's old value back as the newest version. */
static void undo_store(struct rotation *rot, char *said, size_t saidlen)
{
	struct key_result *res = rot->res;
	uint64_t failed = res->version, version;
	char why[512] = "";
	size_t n = strlen(said);

	if (!rot->old.set) {
		snprintf(said + n, saidlen - n, "; there was no older key to "
		    "put back: version %llu stays", (unsigned long long)failed);
		return;
	}
	if (store_write(rot, failed, rot->old.text, rot->old.len, &version,
	    why, sizeof why) != KEY_OK) {
		snprintf(said + n, saidlen - n, "; putting the old key back "
		    "failed too (%s): version %llu holds the new key", why,
		    (unsigned long long)failed);
		return;
	}
	snprintf(said + n, saidlen - n, "; version %llu puts the old key "
	    "back", (unsigned long long)version);
	res->version = version;
	res->superseded[res->nsuperseded++] = failed;
}

/* Put the router's old preshared key back. */
static void undo_router(struct rotation *rot, char *said, size_t saidlen)
{
	char why[512] = "";
	size_t n = strlen(said);

	if (!rot->router_old.set)
		snprintf(said + n, saidlen - n, "; the peer had no preshared "
		    "key before: it keeps the new one");
	else if (!key_router_set(rot->router, rot->router_old.text,
	    &rot->res->log, why, sizeof why))
		snprintf(said + n, saidlen - n, "; putting the peer's old "
		    "preshared key back failed too (%s)", why);
}

/* Steps 3 and 4; false after undoing the write. */
static bool switch_over(struct rotation *rot)
{
	const struct key_conf *kc = rot->kc;
	char why[512] = "", said[768];
	bool router_touched = false;

	rot->res->fingerprint[0] = '\0';
	char fp[LW_KEY_FP_LEN];
	lw_key_fingerprint(rot->key, rot->keylen, fp);
	if (key_abort_stopping(kc->abort))
		snprintf(said, sizeof said, "stopped before the switch");
	else if (kc->wireguard && !(router_touched = true, key_router_set(
	    rot->router, rot->key, &rot->res->log, why, sizeof why)))
		snprintf(said, sizeof said, "switching the router's peer: %s",
		    why);
	else if (kc->reload.url[0] && key_abort_stopping(kc->abort))
		snprintf(said, sizeof said, "stopped before the reload hook");
	else if (kc->reload.url[0] && !key_reload_call(kc, rot->res->version,
	    fp, &rot->res->log, why, sizeof why))
		snprintf(said, sizeof said, "%s", why);
	else {
		memcpy(rot->res->fingerprint, fp, sizeof fp);
		return true;
	}
	/* Newest first: the router (even when its set failed half way),
	 * then the store. */
	key_abort_undo(kc->abort);
	if (router_touched)
		undo_router(rot, said, sizeof said);
	undo_store(rot, said, sizeof said);
	fail(rot, "%s", said);
	return false;
}

static void rotate(struct rotation *rot)
{
	struct key_result *res = rot->res;

	if (!prepare(rot))
		return;
	if (key_abort_stopping(rot->kc->abort)) {
		fail(rot, "stopped before the write; nothing changed");
		return;
	}
	if (!write_new(rot) || !switch_over(rot))
		return;
	res->ok = true;
	if (rot->current)
		res->superseded[res->nsuperseded++] = rot->current;
	size_t n = (size_t)snprintf(res->detail, sizeof res->detail,
	    "version %llu in force", (unsigned long long)res->version);
	if (rot->current && n < sizeof res->detail)
		snprintf(res->detail + n, sizeof res->detail - n, "; version "
		    "%llu stays valid for %llu s, then is destroyed",
		    (unsigned long long)rot->current, (unsigned long long)
		    (rot->kc->grace_ns / LW_NS_PER_SEC));
}

static void destroy(const struct key_conf *kc, struct keystore *ks,
    const struct key_job *job, struct key_result *res)
{
	char why[512] = "";

	res->version = job->version;
	res->ok = ks->ops->destroy(ks, job->version, &res->log, why,
	    sizeof why) == KEY_OK;
	if (res->ok)
		snprintf(res->detail, sizeof res->detail, "version %llu "
		    "destroyed: its grace period (%llu s) ended",
		    (unsigned long long)job->version, (unsigned long long)
		    (kc->grace_ns / LW_NS_PER_SEC));
	else
		snprintf(res->detail, sizeof res->detail, "destroying version "
		    "%llu: %s", (unsigned long long)job->version, why);
}

void key_run_job(const struct key_conf *kc, struct keystore *ks,
    const struct key_job *job, struct key_result *res)
{
	memset(res, 0, sizeof *res);
	res->job = *job;
	if (job->step == KEY_STEP_DESTROY) {
		destroy(kc, ks, job, res);
		return;
	}
	struct rotation rot = { .kc = kc, .ks = ks, .res = res };
	rotate(&rot);
	key_router_free(rot.router);
	explicit_bzero(&rot, sizeof rot);
}

/* A failure that shutdown caused says so first. */
void key_mark_interrupted(const struct key_conf *kc, struct key_result *res)
{
	static const char said[] = "interrupted by shutdown: ";
	size_t room = sizeof res->detail - sizeof said;	/* NUL counted */

	if (res->ok || !(res->log.aborted || key_abort_stopping(kc->abort)))
		return;
	res->interrupted = true;
	size_t len = strnlen(res->detail, room);
	memmove(res->detail + sizeof said - 1, res->detail, len);
	memcpy(res->detail, said, sizeof said - 1);
	res->detail[sizeof said - 1 + len] = '\0';
}
