/*
 * privdrop.c - become the configured user, keeping CAP_NET_ADMIN only
 * (see privdrop.h for the model).
 */
#define _GNU_SOURCE		/* setresuid, getresuid */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "labwarden/privdrop.h"

/* The one capability kept: the nft backend edits table inet labwarden. */
static const cap_value_t kept_caps[] = { CAP_NET_ADMIN };
#define NKEPT	(sizeof kept_caps / sizeof kept_caps[0])

static bool plan_self(struct lw_privdrop *pd, char *err, size_t errlen)
{
	struct passwd *pw = getpwuid(geteuid());

	if (geteuid() == 0) {
		snprintf(err, errlen, "refusing to run as root: set user: in "
		    "the configuration (for example user: labwarden), or "
		    "pass --user root to mean it");
		return false;
	}
	pd->uid = geteuid();
	pd->gid = getegid();
	snprintf(pd->user, sizeof pd->user, "%s", pw ? pw->pw_name : "?");
	return true;
}

bool lw_privdrop_plan(struct lw_privdrop *pd, const char *wanted,
    char *err, size_t errlen)
{
	memset(pd, 0, sizeof *pd);
	if (!wanted)
		return plan_self(pd, err, errlen);
	struct passwd *pw = getpwnam(wanted);
	if (!pw) {
		snprintf(err, errlen, "user '%s' does not exist (create it: "
		    "useradd --system --no-create-home --shell "
		    "/usr/sbin/nologin %s)", wanted, wanted);
		return false;
	}
	snprintf(pd->user, sizeof pd->user, "%s", pw->pw_name);
	pd->uid = pw->pw_uid;
	pd->gid = pw->pw_gid;
	if (pw->pw_uid == 0) {
		pd->stay_root = geteuid() == 0;
		if (!pd->stay_root) {
			snprintf(err, errlen, "cannot become root");
			return false;
		}
		return true;
	}
	if (geteuid() == 0) {
		pd->switch_user = true;
		return true;
	}
	if (geteuid() != pw->pw_uid) {	/* no way to become someone else */
		snprintf(err, errlen, "cannot become user '%s': started as uid "
		    "%u, not as root or as that user", wanted,
		    (unsigned)geteuid());
		return false;
	}
	return true;
}

bool lw_privdrop_dir(const struct lw_privdrop *pd, const char *path,
    unsigned mode, char *err, size_t errlen)
{
	struct stat st;

	if (!path || stat(path, &st) == 0)
		return true;
	if (errno != ENOENT || mkdir(path, (mode_t)mode) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return false;
	}
	if (pd->switch_user && chown(path, pd->uid, pd->gid) != 0) {
		snprintf(err, errlen, "%s: chown to %s: %s", path, pd->user,
		    strerror(errno));
		return false;
	}
	return true;
}

static bool switch_ids(const struct lw_privdrop *pd, char *err,
    size_t errlen)
{
	if (prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) != 0 ||
	    initgroups(pd->user, pd->gid) != 0 ||
	    setresgid(pd->gid, pd->gid, pd->gid) != 0 ||
	    setresuid(pd->uid, pd->uid, pd->uid) != 0) {
		snprintf(err, errlen, "cannot become user '%s': %s", pd->user,
		    strerror(errno));
		return false;
	}
	(void)prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L);
	return true;
}

/* Permitted and effective: the kept capabilities the process has;
 * inheritable and ambient: nothing. */
static bool limit_caps(char *err, size_t errlen)
{
	cap_t now = cap_get_proc(), want = cap_init();
	cap_value_t have[NKEPT];
	int nhave = 0;
	bool ok = now && want;

	for (size_t i = 0; ok && i < NKEPT; i++) {
		cap_flag_value_t v = CAP_CLEAR;
		if (cap_get_flag(now, kept_caps[i], CAP_PERMITTED, &v) == 0 &&
		    v == CAP_SET)
			have[nhave++] = kept_caps[i];
	}
	if (ok && nhave)
		ok = cap_set_flag(want, CAP_PERMITTED, nhave, have, CAP_SET) ==
		    0 && cap_set_flag(want, CAP_EFFECTIVE, nhave, have,
		    CAP_SET) == 0;
	ok = ok && cap_set_proc(want) == 0;
	if (ok)
		(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0L, 0L,
		    0L);
	if (!ok)
		snprintf(err, errlen, "cannot drop capabilities: %s",
		    strerror(errno));
	cap_free(now);
	cap_free(want);
	return ok;
}

/* After the switch: ids all the user's, and root out of reach. */
static bool verify(const struct lw_privdrop *pd, char *err, size_t errlen)
{
	uid_t r = 0, e = 0, s = 0;
	gid_t rg = 0, eg = 0, sg = 0;

	if (getresuid(&r, &e, &s) != 0 || getresgid(&rg, &eg, &sg) != 0 ||
	    r != pd->uid || e != pd->uid || s != pd->uid || rg != pd->gid ||
	    eg != pd->gid || sg != pd->gid || setuid(0) == 0 ||
	    seteuid(0) == 0) {
		snprintf(err, errlen, "privileges not dropped: uid %u/%u/%u, "
		    "gid %u/%u/%u", (unsigned)r, (unsigned)e, (unsigned)s,
		    (unsigned)rg, (unsigned)eg, (unsigned)sg);
		return false;
	}
	return true;
}

bool lw_privdrop_apply(const struct lw_privdrop *pd, char *err,
    size_t errlen)
{
	if (pd->stay_root)
		return true;
	if (pd->switch_user && !switch_ids(pd, err, errlen))
		return false;
	if (!limit_caps(err, errlen))
		return false;
	/* Nothing this process runs can gain privileges again. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) != 0) {
		snprintf(err, errlen, "no_new_privs: %s", strerror(errno));
		return false;
	}
	return !pd->switch_user || verify(pd, err, errlen);
}

void lw_privdrop_describe(char *buf, size_t len)
{
	struct passwd *pw = getpwuid(geteuid());
	cap_t caps = cap_get_proc();
	char *text = caps ? cap_to_text(caps, NULL) : NULL;

	snprintf(buf, len, "uid %u (%s), capabilities %s",
	    (unsigned)geteuid(), pw ? pw->pw_name : "?",
	    text && strcmp(text, "=") != 0 ? text : "none");
	cap_free(text);
	cap_free(caps);
}
