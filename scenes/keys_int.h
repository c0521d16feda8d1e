/*
 * keys_int.h - what the key rotation's files share (see keys.h): one
 * key's settings as read from keys.NAME and vault:, the store interface
 * (Vault, file), the reload hook, the WireGuard router step, and the
 * record of requests that goes into the audit log.
 *
 * Everything here runs on the rotator's worker thread except the
 * configuration reading.  Nothing here writes key material anywhere but
 * to its store, its router and its own wiped buffers.
 */
#ifndef LABWARDEN_KEYS_INT_H
#define LABWARDEN_KEYS_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "labwarden/config.h"
#include "labwarden/http.h"
#include "labwarden/keys.h"

#define KEY_PATH_MAX	4096
#define KEY_URL_MAX	1024
#define KEY_LOG_MAX	16		/* requests recorded per job */
#define KEY_UNDO_MS	1000		/* an undo's time once stopping */

/*
 * Shutdown's hold on the worker's requests (keys.c).  Once stopping, no
 * new step starts and `now` is set, which ends every transfer under way
 * at once (lw_http_set_abort); an undo that must put the old key back
 * first clears it for KEY_UNDO_MS (key_abort_undo), after which the
 * main thread sets it again.
 */
struct key_abort {
	pthread_mutex_t lock;
	int	 now;			/* read by curl's callback, atomically */
	bool	 stopping;
	uint64_t undo_until_ms;		/* 0: no undo running */
};

/* Shutdown asked (NULL: never). */
bool	 key_abort_stopping(struct key_abort *ab);
/* Worker: the undo's requests may run for KEY_UNDO_MS from now. */
void	 key_abort_undo(struct key_abort *ab);

/* A secret read at each use (a token file may be renewed meanwhile). */
struct key_secret_src {
	char	 file[KEY_PATH_MAX];	/* absolute, "" when from env */
	char	 env[128];		/* variable, "" when from a file */
	char	 where[160];		/* "vault.token_file", for messages */
};

/* Where an HTTP peer is and how to trust it. */
struct key_http_conf {
	char	 url[KEY_URL_MAX];	/* base URL, no trailing '/' */
	char	 ca_file[KEY_PATH_MAX];	/* "" : the system's CAs */
	bool	 insecure;
	uint64_t timeout_ms;
};

enum key_store_kind { KEY_STORE_VAULT, KEY_STORE_FILE };
enum key_router_kind { KEY_ROUTER_MIKROTIK, KEY_ROUTER_OPENWRT };

struct key_conf {
	char	 name[64];
	enum key_store_kind store;
	struct lw_keygen gen;
	struct key_abort *abort;	/* the rotator's; NULL: none */
	uint64_t grace_ns;		/* old version valid this long */
	uint64_t min_interval_ns;	/* between two rotations */

	/* store: vault */
	struct key_http_conf vault;
	struct key_secret_src vault_token;
	char	 vault_namespace[128];	/* X-Vault-Namespace, "" none */
	struct lw_vault_path vpath;
	char	 field[64];		/* the data field holding the key */
	/* store: file */
	char	 file[KEY_PATH_MAX];

	/* reload hook ("" url: none) */
	struct key_http_conf reload;
	char	 reload_method[8];
	struct key_secret_src reload_secret;	/* HMAC key, file "" : none */
	bool	 reload_signed;

	/* WireGuard preshared key on a router's peer */
	bool	 wireguard;
	enum key_router_kind router;
	char	 router_name[64];	/* backends.NAME */
	struct key_http_conf router_http;
	char	 router_user[64];
	struct key_secret_src router_password;
	char	 wg_interface[64];
	char	 wg_peer[64];		/* the peer's public key */
};

/* vault: into vc's vault fields (all zero when there is none); every
 * mistake to diag.  True when none. */
bool	 key_vault_read(const struct lw_config *cfg, struct key_conf *vc,
	    struct lw_diag *diag);
/* keys.NAME (and backends.ROUTER) into kc, with vault's settings from
 * key_vault_read(); every mistake to diag.  True when none. */
bool	 key_conf_read(const struct lw_config *cfg, size_t i,
	    const struct key_conf *vault, struct key_conf *kc,
	    struct lw_diag *diag);
/* The secret's first line into buf; false with why (never the value). */
bool	 key_secret_read(const struct key_secret_src *src, char *buf,
	    size_t buflen, char *why, size_t whylen);
/* Where the key lives, for messages: "vault secret/ai/openai". */
void	 key_conf_where(const struct key_conf *kc, char *buf, size_t len);
const char *key_store_name(const struct key_conf *kc);

/* ---- what a job did, for the audit log ---- */

struct key_log {
	char	 req[KEY_LOG_MAX][192];	/* "POST /v1/secret/data/ai/x 200 12ms" */
	unsigned n;
	unsigned dropped;
	bool	 aborted;		/* a request ended by shutdown */
	long	 last_status;
	double	 latency_ms;
};

/* One request: method and path (never a query with secrets, never a
 * body), its status (0: no reply) and time. */
void	 key_log_add(struct key_log *log, const char *method,
	    const char *path, const struct lw_http_resp *resp);
/* resp->body wiped and freed: a reply may hold key material. */
void	 key_resp_wipe(struct lw_http_resp *resp);
/* A string in a parsed reply overwritten (before the reply is freed). */
void	 key_json_string_wipe(json_t *s);
/* A client for hc, ended by kc's abort (NULL when curl cannot start). */
struct lw_http *key_http_new(const struct key_conf *kc,
	    const struct key_http_conf *hc);

/* ---- stores ---- */

enum key_status { KEY_OK, KEY_CONFLICT, KEY_FAIL };

/* A key's value while the worker holds it: wiped by key_value_wipe. */
struct key_value {
	char	 text[LW_KEY_TEXT_MAX + 64];
	size_t	 len;
	bool	 set;
};

void	 key_value_wipe(struct key_value *v);

struct keystore;

struct keystore_ops {
	const char *type;
	bool	(*open)(struct keystore *ks, char *why, size_t whylen);
	/* The current version (0: none yet) and, when value is not NULL,
	 * its value (unset when the version holds none). */
	enum key_status (*current)(struct keystore *ks, uint64_t *version,
		    struct key_value *value, struct key_log *log, char *why,
		    size_t whylen);
	/* Write value as the version after cas; *version gets it. */
	enum key_status (*write)(struct keystore *ks, uint64_t cas,
		    const char *value, size_t len, uint64_t *version,
		    struct key_log *log, char *why, size_t whylen);
	/* Destroy version for good (gone already: KEY_OK). */
	enum key_status (*destroy)(struct keystore *ks, uint64_t version,
		    struct key_log *log, char *why, size_t whylen);
	void	(*close)(struct keystore *ks);
};

struct keystore {
	const struct keystore_ops *ops;
	const struct key_conf *kc;
	void	*priv;
	uint64_t dropped;	/* write: an older version it destroyed to
				 * make room (file store), 0: none */
};

extern const struct keystore_ops keystore_vault_ops;
extern const struct keystore_ops keystore_file_ops;

/* ---- the steps after the write ---- */

/* Call kc's reload hook for version (fingerprint fp).  2xx: true. */
bool	 key_reload_call(const struct key_conf *kc, uint64_t version,
	    const char *fp, struct key_log *log, char *why, size_t whylen);

struct key_router;
struct key_router *key_router_new(const struct key_conf *kc);
void	 key_router_free(struct key_router *r);
/* The peer's current preshared key into old (unset when it has none). */
bool	 key_router_read(struct key_router *r, struct key_value *old,
	    struct key_log *log, char *why, size_t whylen);
/* Set the peer's preshared key to psk and read it back. */
bool	 key_router_set(struct key_router *r, const char *psk,
	    struct key_log *log, char *why, size_t whylen);

/* ---- jobs on the worker ---- */

enum key_step { KEY_STEP_ROTATE, KEY_STEP_DESTROY };

struct key_job {
	enum key_step step;
	size_t	 key;			/* index into the rotator's keys */
	char	 origin[64];		/* "scene:key-rotation", "cli" */
	uint64_t id;
	uint64_t now_ns;		/* the sensor's clock at the request */
	uint64_t version;		/* destroy: this version */
};

struct key_result {
	struct key_job job;
	bool	 ok;
	uint64_t version;		/* rotate: in force now; destroy: gone */
	uint64_t previous;		/* rotate: the version it replaced */
	uint64_t superseded[2];		/* to destroy when grace ends */
	unsigned nsuperseded;
	char	 fingerprint[LW_KEY_FP_LEN];	/* of the new key, on success */
	bool	 interrupted;		/* by shutdown: failed, old key kept */
	uint64_t dropped[2];		/* older versions a write destroyed */
	unsigned ndropped;
	char	 detail[768];
	struct key_log log;
};

/* Carry job out for kc with its opened store (worker thread). */
void	 key_run_job(const struct key_conf *kc, struct keystore *ks,
	    const struct key_job *job, struct key_result *res);
/* A failed res that shutdown caused: interrupted, and the detail says
 * "interrupted by shutdown" first. */
void	 key_mark_interrupted(const struct key_conf *kc,
	    struct key_result *res);

/* ---- old versions waiting for their grace period to end ---- */

#define KEY_GRACE_MAX		256
#define KEY_GRACE_PER_KEY	4	/* more: the oldest goes early */
#define KEY_GRACE_TRIES		5	/* destroy attempts before giving up */
#define KEY_GRACE_FILE		"keys.json"

struct key_pending {
	char	 key[64];
	char	 store[8];
	uint64_t version;
	uint64_t due_ns;		/* grace ends (the sensor's clock) */
	uint64_t next_ns;		/* after a failure: not before */
	unsigned attempts;
	bool	 queued;		/* a destroy job is out */
};

struct key_grace {
	struct key_pending items[KEY_GRACE_MAX];
	size_t	 n;
	char	 dir[KEY_PATH_MAX];	/* "" : kept in memory only */
};

/* From dir/keys.json (dir NULL or "": start empty). */
void	 key_grace_load(struct key_grace *g, const char *dir);
/* To dir/keys.json (no-op without a dir). */
bool	 key_grace_save(const struct key_grace *g, char *err, size_t errlen);
/* version of key waits until due_ns; false when it cannot be kept. */
bool	 key_grace_add(struct key_grace *g, const char *key,
	    const char *store, uint64_t version, uint64_t due_ns);
/* The entry for key and version, or NULL. */
struct key_pending *key_grace_find(struct key_grace *g, const char *key,
	    uint64_t version);
void	 key_grace_remove(struct key_grace *g, struct key_pending *p);

#endif
