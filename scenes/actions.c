/*
 * actions.c - the record of actions carried out (see actions.h).
 */
#include <stdio.h>
#include <string.h>

#include "labwarden/actions.h"
#include "labwarden/clock.h"

static void copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

uint64_t lw_action_log_add(struct lw_action_log *log, const char *action,
    const char *target, const char *backend, const char *scene,
    uint64_t start_ns, uint64_t until_ns)
{
	for (size_t i = 0; i < log->n; i++) {
		struct lw_action_rec *r = &log->recs[i];
		if (strcmp(r->target, target) == 0 &&
		    strcmp(r->action, action) == 0) {
			if (until_ns > r->until_ns)
				r->until_ns = until_ns;
			return r->id;
		}
	}
	if (log->n == LW_ACTION_LOG_MAX) {	/* full: the oldest goes */
		memmove(&log->recs[0], &log->recs[1],
		    (log->n - 1) * sizeof log->recs[0]);
		log->n--;
	}
	struct lw_action_rec *r = &log->recs[log->n++];
	r->id = ++log->next_id;
	copy(r->action, sizeof r->action, action);
	copy(r->target, sizeof r->target, target);
	copy(r->backend, sizeof r->backend, backend);
	copy(r->scene, sizeof r->scene, scene);
	r->start_ns = start_ns;
	r->until_ns = until_ns;
	return r->id;
}

void lw_action_log_remove(struct lw_action_log *log, const char *target)
{
	size_t kept = 0;

	for (size_t i = 0; i < log->n; i++)
		if (strcmp(log->recs[i].target, target) != 0)
			log->recs[kept++] = log->recs[i];
	log->n = kept;
}

json_t *lw_action_log_to_json(const struct lw_action_log *log)
{
	json_t *list = json_array();

	for (size_t i = 0; i < log->n; i++) {
		const struct lw_action_rec *r = &log->recs[i];
		json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:s, "
		    "s:s, s:I, s:I}", "id", (json_int_t)r->id, "action",
		    r->action, "target", r->target, "backend", r->backend,
		    "scene", r->scene, "start_ns", (json_int_t)r->start_ns,
		    "until_ns", (json_int_t)r->until_ns));
	}
	return json_pack("{s:s, s:i, s:I, s:o}", "kind", "actions",
	    "version", 1, "next_id", (json_int_t)log->next_id, "actions",
	    list);
}

void lw_action_log_from_json(struct lw_action_log *log, const json_t *doc)
{
	size_t i;
	json_t *a;

	log->next_id = (uint64_t)json_integer_value(json_object_get(doc,
	    "next_id"));
	json_array_foreach(json_object_get(doc, "actions"), i, a) {
		const char *action = json_string_value(json_object_get(a,
		    "action"));
		const char *target = json_string_value(json_object_get(a,
		    "target"));
		json_t *until = json_object_get(a, "until_ns");
		if (!action || !target || !json_is_integer(until) ||
		    !lw_nft_target_ok(target) || log->n == LW_ACTION_LOG_MAX)
			continue;
		struct lw_action_rec *r = &log->recs[log->n++];
		r->id = (uint64_t)json_integer_value(json_object_get(a, "id"));
		copy(r->action, sizeof r->action, action);
		copy(r->target, sizeof r->target, target);
		copy(r->backend, sizeof r->backend, json_string_value(
		    json_object_get(a, "backend")));
		copy(r->scene, sizeof r->scene, json_string_value(
		    json_object_get(a, "scene")));
		r->start_ns = (uint64_t)json_integer_value(json_object_get(a,
		    "start_ns"));
		r->until_ns = (uint64_t)json_integer_value(until);
	}
}

void lw_action_log_reconcile(struct lw_action_log *log, struct lw_nft *nft,
    uint64_t now_ns)
{
	char err[512];
	uint64_t left;
	size_t kept = 0;

	log->reconciled = true;
	for (size_t i = 0; i < log->n; i++) {
		struct lw_action_rec *r = &log->recs[i];
		if (r->until_ns <= now_ns) {
			lw_nft_release(nft, r->target, err, sizeof err);
			log->expired++;
			continue;	/* forgotten */
		}
		uint64_t remaining = (r->until_ns - now_ns) / LW_NS_PER_SEC;
		if (!lw_nft_has(nft, r->target, &left)) {
			if (lw_nft_block(nft, r->target, remaining ? remaining :
			    1, err, sizeof err))
				log->reapplied++;
			else {
				fprintf(stderr, "labwarden: cannot re-apply %s "
				    "on %s: %s\n", r->action, r->target, err);
				log->failed++;
			}
		}
		log->recs[kept++] = *r;
	}
	log->n = kept;
}
