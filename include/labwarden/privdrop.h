/*
 * privdrop.h - who `labwarden run` is while it parses packets.
 *
 * The model (README, "Privileges"): capture handles and NFLOG sockets
 * are opened first, with the privileges the process was started with
 * (root, or a service user holding CAP_NET_RAW and CAP_NET_ADMIN as
 * ambient capabilities under systemd).  Then, before any packet is read
 * and before any thread starts, the process becomes the configured user
 * and keeps one capability, CAP_NET_ADMIN, which the nft backend needs
 * to change the labwarden table; CAP_NET_RAW is gone (the handles stay
 * open), the ambient and inheritable sets are empty, and no_new_privs
 * is set.  Everything that touches hostile input runs as that user.
 *
 * Running as root is refused unless asked for by name (`--user root`
 * or `user: root`).
 */
#ifndef LABWARDEN_PRIVDROP_H
#define LABWARDEN_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct lw_privdrop {
	char	 user[64];	/* who the process will be */
	uid_t	 uid;
	gid_t	 gid;
	bool	 switch_user;	/* started as root: setuid to uid */
	bool	 stay_root;	/* --user root: nothing is dropped */
};

/*
 * Decide who to become: 'wanted' is --user or the configuration's
 * user: (NULL when neither).  False with the reason when started as
 * root without a user, when the user does not exist, or when a
 * non-root process is asked to become someone else.
 */
bool	 lw_privdrop_plan(struct lw_privdrop *pd, const char *wanted,
	    char *err, size_t errlen);
/*
 * Make a directory the process will write to after the switch: create
 * it when missing (mode), owned by the planned user.  Existing
 * directories are left alone.  False with the reason.
 */
bool	 lw_privdrop_dir(const struct lw_privdrop *pd, const char *path,
	    unsigned mode, char *err, size_t errlen);
/*
 * Become the planned user with CAP_NET_ADMIN only (when the process
 * had it), and check that root cannot be had back.  Must run while the
 * process has a single thread (capabilities are per thread).
 */
bool	 lw_privdrop_apply(const struct lw_privdrop *pd, char *err,
	    size_t errlen);
/* "uid 65534 (nobody), capabilities cap_net_admin", for the log. */
void	 lw_privdrop_describe(char *buf, size_t len);

#endif
