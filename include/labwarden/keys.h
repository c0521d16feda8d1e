/*
 * keys.h - rotation of the API keys and WireGuard preshared keys that
 * labwarden manages (keys: in the configuration, docs/keys.md).
 *
 * A rotation makes a fresh key from getrandom, writes it as a new
 * version to its store (HashiCorp Vault KV v2 with check-and-set, or a
 * local file replaced atomically), switches a router's WireGuard peer
 * when the key is a tunnel's preshared key, and calls the service's
 * reload hook.  The version it replaced stays valid for the grace
 * period, then is destroyed.  Any failure leaves the old key in force:
 * a step that fails after the write puts the old value back as the
 * newest version.
 *
 * The rotator runs every network step on its own worker thread behind
 * a bounded queue, so a scene (on the capture path), the CLI and MQTT
 * only ever queue a request.  Results come back on the main thread in
 * lw_keys_poll(), which writes the `key_rotation` event and the audit
 * record, and queues the destruction of old versions whose grace period
 * ended by the sensor's clock (packet time in replay).  Versions still
 * waiting are kept in state_dir/keys.json across restarts.
 *
 * Key material never leaves the worker: events, audit records, MQTT and
 * messages carry the key name, the store, version numbers and an
 * 8-hex-digit fingerprint (the start of the key's SHA-256), never the
 * key; buffers that held it are wiped with explicit_bzero.
 */
#ifndef LABWARDEN_KEYS_H
#define LABWARDEN_KEYS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "labwarden/config.h"
#include "labwarden/diag.h"
#include "labwarden/events.h"

#define LW_KEYS_QUEUE		32	/* requests and results in flight */
#define LW_KEY_MIN_BYTES	16	/* random bytes in a key: at least */
#define LW_KEY_MAX_BYTES	512	/* ... at most */
#define LW_KEY_PREFIX_MAX	64
#define LW_KEY_TEXT_MAX		(LW_KEY_PREFIX_MAX + 2 * LW_KEY_MAX_BYTES + 1)
#define LW_KEY_FP_LEN		9	/* 8 hex digits and the NUL */

/* ---- the generator ---- */

enum lw_key_encoding { LW_KEY_HEX, LW_KEY_BASE64URL, LW_KEY_BASE64 };

struct lw_keygen {
	size_t	 bytes;			/* random bytes (length:) */
	enum lw_key_encoding encoding;
	char	 prefix[LW_KEY_PREFIX_MAX + 1];
};

/* "hex", "base64url", "base64"; false on anything else. */
bool	 lw_key_encoding_parse(const char *name, enum lw_key_encoding *enc);
const char *lw_key_encoding_name(enum lw_key_encoding enc);
/* Characters a key from gen has (prefix included). */
size_t	 lw_keygen_length(const struct lw_keygen *gen);
/* raw as text: hex lowercase; base64url without padding (RFC 4648 §5);
 * base64 with padding (§4, as WireGuard writes keys).  False when out
 * is too small. */
bool	 lw_key_encode(enum lw_key_encoding enc, const uint8_t *raw,
	    size_t n, char *out, size_t outlen);
/* A new key into out (NUL-terminated): gen->bytes from getrandom,
 * encoded, after the prefix.  The raw bytes are wiped. */
bool	 lw_keygen_make(const struct lw_keygen *gen, char *out,
	    size_t outlen, char *err, size_t errlen);
/* The first 8 hex digits of the SHA-256 of key. */
void	 lw_key_fingerprint(const char *key, size_t len,
	    char out[LW_KEY_FP_LEN]);

/* ---- Vault paths ---- */

struct lw_vault_path {
	char	 mount[128];		/* "secret" */
	char	 secret[512];		/* "ai/openai" */
};

/*
 * keys.NAME.path for a Vault store: "MOUNT/data/PATH" (the API's form,
 * as in docs/interface.md) or "MOUNT/PATH".  With mount set, path is
 * relative to it ("ai/openai", "data/ai/openai" and "MOUNT/data/ai/..."
 * all work).  Segments may not be empty, "." or "..", and may not hold
 * spaces, control characters, '?', '#' or '%'.  False with the reason.
 */
bool	 lw_vault_path_parse(const char *path, const char *mount,
	    struct lw_vault_path *out, char *err, size_t errlen);

/* ---- the rotator ---- */

struct lw_keys;

/* A rotation or destruction ended: the `key_rotation` event (no key
 * material), on the main thread.  For MQTT. */
typedef void (*lw_keys_listener)(void *ctx, const json_t *event);

/*
 * Check keys: and vault: (every mistake as file:line:col through diag).
 * True when there is none.  `labwarden check` calls it; so does every
 * command before lw_keys_new().
 */
bool	 lw_keys_check_config(const struct lw_config *cfg,
	    struct lw_diag *diag);
/*
 * The rotator for cfg's keys (call lw_keys_check_config first).  act
 * false: every request is "dry-run".  state_dir NULL: no audit log, and
 * old versions are destroyed only while this process runs.  writer may
 * be NULL (events go to listeners only).
 */
struct lw_keys *lw_keys_new(const struct lw_config *cfg,
	    struct lw_writer *writer, bool act, const char *state_dir,
	    char *err, size_t errlen);
/* Stops the worker: lw_keys_stop(), then waits for it (an undo under
 * way gets its second, no more). */
void	 lw_keys_free(struct lw_keys *keys);
/*
 * Shutting down: new requests are refused ("shutting down"), queued
 * ones fail unstarted, and the request under way ends at once; its
 * rotation fails "interrupted by shutdown" and leaves the old key in
 * force (what it wrote is undone within a second).  Results still come
 * through lw_keys_poll / lw_keys_drain.
 */
void	 lw_keys_stop(struct lw_keys *keys);
/*
 * Ask for a rotation of key name on behalf of origin ("scene:NAME",
 * "cli", "mqtt").  Returns "pending" (queued), "dry-run", "refused"
 * (one is under way, or min_interval) or "failed" (unknown key, queue
 * full); detail says why when not pending.  Thread-safe and never
 * waits; keys may be NULL ("dry-run").
 */
const char *lw_keys_request(struct lw_keys *keys, const char *name,
	    const char *origin, uint64_t now_ns, char *detail,
	    size_t detaillen);
/* Main thread: events and audit records for finished work; queue the
 * destruction of versions whose grace period ended by now_ns. */
void	 lw_keys_poll(struct lw_keys *keys, uint64_t now_ns);
/* Poll until nothing is queued or due by now_ns, or timeout_ms. */
void	 lw_keys_drain(struct lw_keys *keys, uint64_t now_ns,
	    uint64_t timeout_ms);
/* The same, but once *interrupted is set (a signal handler's flag)
 * lw_keys_stop() and wait only for what is left to end. */
void	 lw_keys_drain_unless(struct lw_keys *keys, uint64_t now_ns,
	    uint64_t timeout_ms, const volatile sig_atomic_t *interrupted);
/* The configured key names, in configuration order (for MQTT). */
size_t	 lw_keys_count(const struct lw_keys *keys);
const char *lw_keys_name(const struct lw_keys *keys, size_t i);
void	 lw_keys_listen(struct lw_keys *keys, lw_keys_listener fn,
	    void *ctx);
/* Old versions still waiting for their grace period to end. */
size_t	 lw_keys_waiting(const struct lw_keys *keys);
/* Counts for --stats. */
void	 lw_keys_print(const struct lw_keys *keys, FILE *out);

#endif
