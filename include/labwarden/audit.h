/*
 * audit.h - the audit log: one JSON line per attempt to change anything
 * outside the process (block, release, quarantine, key rotation).
 *
 * It lives in state_dir as audit.jsonl, rotated by size to audit.jsonl.1
 * ... audit.jsonl.N.  Each record says who or what asked ("origin":
 * scene:NAME, cli, mqtt, restore, schedule), what was asked, the request
 * summary (method and path, never credentials or key material), the
 * HTTP status, latency and outcome.  Writers on any thread; a line is
 * written whole with one write(2) under a mutex and fsync'd on close.
 */
#ifndef LABWARDEN_AUDIT_H
#define LABWARDEN_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define LW_AUDIT_FILE		"audit.jsonl"
#define LW_AUDIT_MAX_BYTES	(8u << 20)
#define LW_AUDIT_KEEP		4

struct lw_audit;

/* NULL dir: records are dropped (replay without a state dir). */
struct lw_audit *lw_audit_open(const char *dir, uint64_t max_bytes,
	    unsigned keep, char *err, size_t errlen);
/*
 * Append record (taken: freed here) with "ts" set to wall-clock time
 * when absent.  Thread-safe.  Failures are counted, never fatal.
 */
void	 lw_audit_write(struct lw_audit *audit, json_t *record);
uint64_t lw_audit_failures(const struct lw_audit *audit);
void	 lw_audit_close(struct lw_audit *audit);

#endif
