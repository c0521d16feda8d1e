/*
 * scene.h - scenes: YAML rules that watch the sensor's facts and act.
 *
 * A scene listens to one fact type (`on:`), keeps the facts whose fields
 * pass its conditions (`when:`), optionally counts them per group over
 * a sliding window (`aggregate:`), and fires: it writes a `scene` event
 * and hands its actions, with `{field}` templates filled from the fact,
 * to the action layer.  `cooldown:` keeps a group quiet after it fired;
 * `every:` makes a scene run on a schedule instead of on facts.
 *
 * Loading (scene_load.c) checks everything a mistake could hide in and
 * reports each as file:line:col.  Evaluation (scene_eval.c) is indexed
 * by fact type and by the value of a scene's first equality condition,
 * keeps window state in fixed-capacity tables, and allocates only when
 * a scene fires.  Time is the sensor's clock: packet time in replay.
 */
#ifndef LABWARDEN_SCENE_H
#define LABWARDEN_SCENE_H

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "labwarden/config.h"
#include "labwarden/diag.h"
#include "labwarden/events.h"
#include "labwarden/fact.h"
#include "labwarden/net.h"
#include "labwarden/table.h"

#define LW_MAX_SCENES		1024
#define LW_SCENE_MAX_CONDS	32
#define LW_SCENE_MAX_ACTIONS	16
#define LW_SCENE_MAX_PARAMS	8
#define LW_SCENE_MAX_GROUP	4	/* group_by fields */
#define LW_SCENE_MAX_DISTINCT	4	/* fields of a distinct tuple */
#define LW_SCENE_MAX_LIST	64	/* values in an in: list */
#define LW_SCENE_MAX_THRESHOLD	4096	/* window state per group */

enum lw_cond_op {
	LW_OP_EQ, LW_OP_NE, LW_OP_LT, LW_OP_LE, LW_OP_GT, LW_OP_GE,
	LW_OP_IN, LW_OP_NOT_IN, LW_OP_IN_NET, LW_OP_NOT_IN_NET,
	LW_OP_GLOB, LW_OP_REGEX, LW_OP_EXISTS,
};

/* A constant as a condition holds it, ready for its field's kind. */
struct lw_const {
	const char *str;	/* LW_FK_STR (also MAC/IP text) */
	int64_t	 num;
	double	 real;
	bool	 flag;
	struct lw_addr ip;
	uint8_t	 mac[6];
};

struct lw_cond {
	int	 slot;		/* field in the fact */
	enum lw_field_kind kind;
	enum lw_cond_op op;
	struct lw_const value;
	struct lw_const *list;	/* in / not in */
	unsigned nlist;
	const struct lw_network *net;	/* in_network */
	regex_t	 regex;
	bool	 has_regex;
	char	*glob;
};

enum lw_action_kind {
	LW_ACT_QUARANTINE, LW_ACT_LOCKDOWN, LW_ACT_CAPTURE, LW_ACT_ROTATE_KEY,
	LW_ACT_NOTIFY, LW_ACT_RELEASE, LW_ACT_COUNT
};

struct lw_param {
	char	*name;
	char	*value;		/* may hold {field} templates */
};

struct lw_action {
	enum lw_action_kind kind;
	struct lw_param params[LW_SCENE_MAX_PARAMS];
	unsigned nparams;
	const char *target;	/* the "target" param, or NULL */
	const char *backend;	/* the "backend" param, or NULL */
	uint64_t for_ns;	/* the "for" param (lockdown, capture) */
};

enum lw_agg_kind { LW_AGG_NONE, LW_AGG_COUNT, LW_AGG_DISTINCT };

struct lw_scene {
	char	*name;
	char	*description;
	char	*file;		/* where it was defined */
	unsigned line;
	bool	 enabled;
	enum lw_event_type on;	/* LW_EV_COUNT for scheduled scenes */
	struct lw_cond conds[LW_SCENE_MAX_CONDS];
	unsigned nconds;
	int	 index_cond;	/* the condition the index uses, or -1 */

	int	 group[LW_SCENE_MAX_GROUP];	/* slots */
	unsigned ngroup;
	enum lw_agg_kind agg;
	int	 distinct[LW_SCENE_MAX_DISTINCT];	/* slots */
	unsigned ndistinct;
	uint64_t within_ns;
	uint32_t threshold;	/* fires when the count reaches it */
	bool	 below;		/* ... or, with below:, while under it */
	uint64_t cooldown_ns;

	/* Schedule: every period_ns, or weekly at weekday/minute (UTC). */
	uint64_t period_ns;
	int	 weekday;	/* 0 = Sunday; -1 when not weekly */
	int	 minute_of_day;
	uint64_t next_run_ns;

	struct lw_action actions[LW_SCENE_MAX_ACTIONS];
	unsigned nactions;

	struct lw_table groups;	/* group hash -> window state */
	uint64_t fired;		/* times, for --stats */
};

struct lw_scene_set {
	struct lw_scene *scenes[LW_MAX_SCENES];
	unsigned nscenes;
	const struct lw_config *cfg;
	/* Per fact type: scenes to try for every fact, and the index of
	 * scenes whose first equality condition must match a value. */
	struct lw_scene_list *always[LW_EV_COUNT];
	struct lw_scene_index *index[LW_EV_COUNT];
	/* "home" when the configuration names none: the private ranges. */
	struct lw_network default_home;
	struct lw_cidr default_home_cidrs[8];
};

/*
 * Load every rules file named by paths (files, or directories whose
 * *.yaml / *.yml files are read in name order).  Every mistake goes to
 * diag; false when there was any.  The set is usable only when true.
 */
bool	 lw_scenes_load(struct lw_scene_set *set, const char *const *paths,
	    size_t npaths, const struct lw_config *cfg, struct lw_diag *diag);
void	 lw_scenes_free(struct lw_scene_set *set);
const char *lw_action_name(enum lw_action_kind kind);

/* ---- evaluation ---- */

struct lw_capturer;
struct lw_actor;
struct lw_keys;

struct lw_scene_engine {
	struct lw_scene_set *set;
	bool	 act;			/* --act: carry actions out */
	struct lw_capturer *capturer;	/* for capture actions */
	struct lw_keys *keys;		/* --act: for rotate_key (keys.h) */
	struct lw_writer *writer;
	const struct lw_config *cfg;
	uint64_t now_ns;		/* the clock, as of the last fact */
	uint64_t firings;
	/* Targets released by hand stay allowed until a time. */
	struct lw_table soft_allow;	/* target hash -> until_ns */
	uint64_t soft_allow_ns;
	uint64_t next_tick_ns;
	/* --act: lockdown, quarantine and release go to the action layer
	 * (actor.h), which the command owns; NULL: they fail. */
	struct lw_actor *actor;
};

bool	 lw_scene_engine_init(struct lw_scene_engine *eng,
	    struct lw_scene_set *set, struct lw_writer *writer,
	    const struct lw_config *cfg, char *err, size_t errlen);
void	 lw_scene_engine_free(struct lw_scene_engine *eng);
/* The sensor's fact sink: evaluate one fact against the scenes. */
void	 lw_scene_engine_fact(void *engine, const struct lw_fact *fact);
/* Clock time moved to now_ns: run scheduled scenes that are due. */
void	 lw_scene_engine_tick(struct lw_scene_engine *eng, uint64_t now_ns);
/*
 * Load the rules at paths into a new set and, only if they load without
 * a single error, put it in place of the engine's (window state starts
 * afresh); otherwise the running scenes stay and diag says why.  The
 * caller owns both sets: on success *old is the set to free.
 */
bool	 lw_scene_engine_reload(struct lw_scene_engine *eng,
	    struct lw_scene_set *fresh, const char *const *paths,
	    size_t npaths, struct lw_diag *diag, struct lw_scene_set **old,
	    char *err, size_t errlen);
/* A target was released by hand: no action on it for soft_allow_ns. */
void	 lw_scene_engine_release(struct lw_scene_engine *eng,
	    const char *target, uint64_t now_ns);
void	 lw_scene_engine_print(const struct lw_scene_engine *eng, FILE *out);

#endif
