/*
 * action_nft.c - the local nft backend through libnftables (see
 * nftables.h), and its ops table for the action layer (backend.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <nftables/libnftables.h>

#include "labwarden/backend.h"
#include "labwarden/decode.h"
#include "labwarden/net.h"
#include "labwarden/nftables.h"

/* The table, written so that running it again changes no element. */
static const char setup_script[] =
"add table inet " LW_NFT_TABLE "\n"
"add set inet " LW_NFT_TABLE " lockdown4 { type ipv4_addr; flags timeout; }\n"
"add set inet " LW_NFT_TABLE " lockdown6 { type ipv6_addr; flags timeout; }\n"
"add set inet " LW_NFT_TABLE " quarantine_mac "
    "{ type ether_addr; flags timeout; }\n"
"add chain inet " LW_NFT_TABLE " forward "
    "{ type filter hook forward priority -10; policy accept; }\n"
"add chain inet " LW_NFT_TABLE " input "
    "{ type filter hook input priority -10; policy accept; }\n"
"add chain inet " LW_NFT_TABLE " output "
    "{ type filter hook output priority -10; policy accept; }\n"
"flush chain inet " LW_NFT_TABLE " forward\n"
"flush chain inet " LW_NFT_TABLE " input\n"
"flush chain inet " LW_NFT_TABLE " output\n"
"add rule inet " LW_NFT_TABLE " forward ip saddr @lockdown4 drop\n"
"add rule inet " LW_NFT_TABLE " forward ip daddr @lockdown4 drop\n"
"add rule inet " LW_NFT_TABLE " forward ip6 saddr @lockdown6 drop\n"
"add rule inet " LW_NFT_TABLE " forward ip6 daddr @lockdown6 drop\n"
"add rule inet " LW_NFT_TABLE " forward ether saddr @quarantine_mac drop\n"
"add rule inet " LW_NFT_TABLE " input ip saddr @lockdown4 drop\n"
"add rule inet " LW_NFT_TABLE " input ip6 saddr @lockdown6 drop\n"
"add rule inet " LW_NFT_TABLE " input ether saddr @quarantine_mac drop\n"
"add rule inet " LW_NFT_TABLE " output ip daddr @lockdown4 drop\n"
"add rule inet " LW_NFT_TABLE " output ip6 daddr @lockdown6 drop\n";

static bool run(struct lw_nft *nft, const char *cmd, char *err,
    size_t errlen)
{
	if (nft_run_cmd_from_buffer(nft->ctx, cmd) == 0)
		return true;
	const char *why = nft_ctx_get_error_buffer(nft->ctx);
	snprintf(err, errlen, "nft: %s", why && *why ? why : "failed");
	/* one line is enough in an event */
	char *nl = strchr(err, '\n');
	if (nl)
		*nl = '\0';
	return false;
}

bool lw_nft_open(struct lw_nft *nft, char *err, size_t errlen)
{
	nft->ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!nft->ctx) {
		snprintf(err, errlen, "nft: cannot create a context");
		return false;
	}
	nft_ctx_buffer_output(nft->ctx);
	nft_ctx_buffer_error(nft->ctx);
	if (!run(nft, setup_script, err, errlen)) {
		lw_nft_close(nft);
		return false;
	}
	return true;
}

void lw_nft_close(struct lw_nft *nft)
{
	if (nft->ctx)
		nft_ctx_free(nft->ctx);
	nft->ctx = NULL;
}

/* The set for target and its canonical text; false if not a target. */
static bool target_set(const char *target, const char **set, char *canon,
    size_t len)
{
	unsigned b[6];
	char tail;
	struct lw_cidr cidr;
	char why[64];

	if (strlen(target) == 17 && sscanf(target,
	    "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
	    &b[5], &tail) == 6) {
		snprintf(canon, len, "%02x:%02x:%02x:%02x:%02x:%02x", b[0],
		    b[1], b[2], b[3], b[4], b[5]);
		*set = "quarantine_mac";
		return true;
	}
	if (!lw_cidr_parse(target, &cidr, why, sizeof why) ||
	    cidr.prefix != (cidr.addr.family == 4 ? 32u : 128u))
		return false;
	lw_addr_str(&cidr.addr, canon, len);
	*set = cidr.addr.family == 4 ? "lockdown4" : "lockdown6";
	return true;
}

bool lw_nft_target_ok(const char *target)
{
	const char *set;
	char canon[64];
	return target_set(target, &set, canon, sizeof canon);
}

/* Read the set back as JSON; the element's seconds left, or -1. */
static long long element_expires(struct lw_nft *nft, const char *set,
    const char *canon)
{
	char cmd[128];
	json_error_t jerr;
	long long found = -1;

	snprintf(cmd, sizeof cmd, "list set inet " LW_NFT_TABLE " %s", set);
	nft_ctx_output_set_flags(nft->ctx, NFT_CTX_OUTPUT_JSON);
	int rc = nft_run_cmd_from_buffer(nft->ctx, cmd);
	nft_ctx_output_set_flags(nft->ctx, 0);
	if (rc != 0)
		return -1;
	json_t *doc = json_loads(nft_ctx_get_output_buffer(nft->ctx), 0,
	    &jerr);
	json_t *items = json_object_get(doc, "nftables"), *item, *e;
	size_t i, j;
	json_array_foreach(items, i, item) {
		json_t *elems = json_object_get(json_object_get(item, "set"),
		    "elem");
		json_array_foreach(elems, j, e) {
			json_t *inner = json_object_get(e, "elem");
			const char *val = json_string_value(inner ?
			    json_object_get(inner, "val") : e);
			if (val && strcmp(val, canon) == 0)
				found = inner ? json_integer_value(
				    json_object_get(inner, "expires")) : 0;
		}
	}
	json_decref(doc);
	return found;
}

bool lw_nft_has(struct lw_nft *nft, const char *target, uint64_t *expires_s)
{
	const char *set;
	char canon[64];

	if (!target_set(target, &set, canon, sizeof canon))
		return false;
	long long left = element_expires(nft, set, canon);
	if (left < 0)
		return false;
	*expires_s = (uint64_t)left;
	return true;
}

bool lw_nft_block(struct lw_nft *nft, const char *target, uint64_t timeout_s,
    char *err, size_t errlen)
{
	const char *set;
	char canon[64];

	if (!target_set(target, &set, canon, sizeof canon)) {
		snprintf(err, errlen, "'%s' is neither an IP nor a MAC", target);
		return false;
	}
	if (timeout_s == 0)
		timeout_s = 1;
	/* A timeout cannot be changed by adding again: delete first, in
	 * the same buffer - one transaction, so the target is never out
	 * of the set between the two, and a failed add keeps the old. */
	char cmd2[512];
	int at = 0;
	if (element_expires(nft, set, canon) >= 0)
		at = snprintf(cmd2, sizeof cmd2, "delete element inet "
		    LW_NFT_TABLE " %s { %s }\n", set, canon);
	snprintf(cmd2 + at, sizeof cmd2 - (size_t)at, "add element inet "
	    LW_NFT_TABLE " %s { %s timeout %llus }", set, canon,
	    (unsigned long long)timeout_s);
	if (!run(nft, cmd2, err, errlen))
		return false;
	if (element_expires(nft, set, canon) < 0) {
		snprintf(err, errlen, "nft: %s not in %s after adding it",
		    canon, set);
		return false;
	}
	return true;
}

bool lw_nft_release(struct lw_nft *nft, const char *target, char *err,
    size_t errlen)
{
	const char *set;
	char canon[64], cmd[256];

	if (!target_set(target, &set, canon, sizeof canon)) {
		snprintf(err, errlen, "'%s' is neither an IP nor a MAC", target);
		return false;
	}
	if (element_expires(nft, set, canon) < 0)
		return true;
	snprintf(cmd, sizeof cmd, "delete element inet " LW_NFT_TABLE
	    " %s { %s }", set, canon);
	return run(nft, cmd, err, errlen);
}

/* ---- the backend ops (backend.h): local, run on the caller's thread ---- */

static const char *const nft_keys[] = { LW_BACKEND_COMMON_KEYS, NULL };

static bool nft_check(struct lw_section *sec, struct lw_diag *diag)
{
	size_t before = diag->count + diag->dropped;

	lw_backend_common_check(sec, diag);
	lw_section_unused(sec, nft_keys, diag);
	return diag->count + diag->dropped == before;
}

static bool nft_open(struct lw_backend *be, struct lw_section *sec,
    char *err, size_t errlen)
{
	struct lw_diag diag;

	lw_diag_init(&diag);
	bool ok = nft_check(sec, &diag);
	if (!ok)
		snprintf(err, errlen, "%s", diag.msgs[0]);
	lw_diag_free(&diag);
	struct lw_nft *nft = ok ? calloc(1, sizeof *nft) : NULL;
	if (ok && !nft)
		snprintf(err, errlen, "nft: out of memory");
	if (!nft)
		return false;
	if (!lw_nft_open(nft, err, errlen)) {
		free(nft);
		return false;
	}
	be->priv = nft;
	return true;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/*
 * The element for t: its text decides the set (an IP a lockdown set, a
 * MAC quarantine_mac), whatever the kind.  res->request is "WHAT inet
 * labwarden SET"; NULL with the reason in res->detail when t is
 * neither.
 */
static const char *element(const struct lw_target *t, const char *what,
    char *set, size_t len, struct lw_be_result *res)
{
	const char *name;
	char canon[64];

	if (!target_set(t->text, &name, canon, sizeof canon)) {
		snprintf(res->detail, sizeof res->detail, "'%s' is neither an "
		    "IP nor a MAC", t->text);
		return NULL;
	}
	snprintf(set, len, "%s", name);
	snprintf(res->request, sizeof res->request, "%s inet " LW_NFT_TABLE
	    " %s", what, set);
	return t->text;
}

static enum lw_be_status nft_block(struct lw_backend *be,
    enum lw_block_kind kind, const struct lw_target *t, uint64_t seconds,
    struct lw_be_result *res)
{
	struct timespec t0;
	char set[32], err[512] = "";
	const char *elem = element(t, "add element", set, sizeof set, res);

	(void)kind;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!elem)
		return LW_BE_FAIL;
	bool ok = lw_nft_block(be->priv, elem, seconds, err, sizeof err);
	res->latency_ms = ms_since(&t0);
	if (!ok) {
		snprintf(res->detail, sizeof res->detail, "%s", err);
		return LW_BE_FAIL;
	}
	snprintf(res->detail, sizeof res->detail, "%s in %s for %llu s "
	    "(read back)", elem, set, (unsigned long long)(seconds ? seconds :
	    1));
	return LW_BE_OK;
}

static enum lw_be_status nft_release(struct lw_backend *be,
    enum lw_block_kind kind, const struct lw_target *t, const char *ref,
    struct lw_be_result *res)
{
	struct timespec t0;
	char set[32], err[512] = "";
	uint64_t left;
	const char *elem = element(t, "delete element", set, sizeof set, res);

	(void)kind;
	(void)ref;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!elem)
		return LW_BE_FAIL;
	bool was = lw_nft_has(be->priv, elem, &left);
	uint64_t gone;
	bool ok = lw_nft_release(be->priv, elem, err, sizeof err) &&
	    !lw_nft_has(be->priv, elem, &gone);
	res->latency_ms = ms_since(&t0);
	if (!ok) {
		snprintf(res->detail, sizeof res->detail, "%s", *err ? err :
		    "nft: still in the set after deleting it");
		return LW_BE_FAIL;
	}
	res->absent = !was;
	if (was)
		snprintf(res->detail, sizeof res->detail, "%s taken out of %s "
		    "(%llu s were left)", elem, set, (unsigned long long)left);
	else
		snprintf(res->detail, sizeof res->detail, "%s was not in %s",
		    elem, set);
	return LW_BE_OK;
}

static enum lw_be_status nft_has(struct lw_backend *be,
    enum lw_block_kind kind, const struct lw_target *t, const char *ref,
    struct lw_be_result *res)
{
	char set[32];
	uint64_t left = 0;
	const char *elem = element(t, "list set", set, sizeof set, res);

	(void)kind;
	(void)ref;
	if (!elem)
		return LW_BE_FAIL;
	if (!lw_nft_has(be->priv, elem, &left)) {
		snprintf(res->detail, sizeof res->detail, "%s not in %s", elem,
		    set);
		return LW_BE_FAIL;
	}
	res->expires_s = left;
	snprintf(res->detail, sizeof res->detail, "%s in %s, %llu s left",
	    elem, set, (unsigned long long)left);
	return LW_BE_OK;
}

static void nft_close(struct lw_backend *be)
{
	if (be->priv)
		lw_nft_close(be->priv);
	free(be->priv);
	be->priv = NULL;
}

const struct lw_backend_ops lw_backend_nft = {
	.type = "nft",
	.remote = false,
	.check = nft_check,
	.open = nft_open,
	.block = nft_block,
	.release = nft_release,
	.has = nft_has,
	.close = nft_close,
};
