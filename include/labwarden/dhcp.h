/*
 * dhcp.h - DHCPv4 message parser (RFC 2131/2132).
 *
 * lw_dhcp_parse() reads a BOOTP/DHCP message (the UDP payload on ports
 * 67/68) into a caller-owned struct; it never allocates and never reads
 * outside msg[0..len).  The options walk is bounded by the message
 * length and by LW_DHCP_MAX_OPTIONS; option overload (52) into the
 * file/sname fields is honoured.  Text options are copied with
 * non-printable bytes escaped \DDD so they are safe to log as JSON.
 */
#ifndef LABWARDEN_DHCP_H
#define LABWARDEN_DHCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LW_DHCP_FIXED_LEN	236	/* op .. file, before the cookie */
#define LW_DHCP_MAX_OPTIONS	255	/* options looked at per message */
#define LW_DHCP_TEXT_MAX	(255 * 4 + 1)	/* escaped option text */
#define LW_DHCP_FPRINT_MAX	(255 * 4 + 1)	/* "1,3,6,15,..." */

enum lw_dhcp_error {
	LW_DHCP_OK = 0,
	LW_DHCP_TRUNCATED,	/* shorter than the fixed part + cookie */
	LW_DHCP_NOT_DHCP,	/* no magic cookie: plain BOOTP */
	LW_DHCP_BAD_OPTION,	/* option length runs past the end */
	LW_DHCP_ERROR_COUNT
};

struct lw_dhcp_msg {
	uint8_t	 op;		/* 1 request, 2 reply */
	uint8_t	 htype, hlen;
	uint32_t xid;
	uint8_t	 chaddr[6];	/* valid when htype 1 and hlen 6 */
	bool	 chaddr_ether;
	uint8_t	 ciaddr[4], yiaddr[4], siaddr[4], giaddr[4];

	uint8_t	 msg_type;	/* option 53; 0 when absent */
	bool	 has_requested_ip;	/* option 50 */
	uint8_t	 requested_ip[4];
	bool	 has_server_id;	/* option 54 */
	uint8_t	 server_id[4];
	uint32_t lease_time;	/* option 51, 0 when absent */
	char	 hostname[LW_DHCP_TEXT_MAX];	/* option 12, "" absent */
	char	 vendor_class[LW_DHCP_TEXT_MAX];	/* option 60 */
	char	 client_id[LW_DHCP_TEXT_MAX];	/* option 61 as hex "01aabb.." */
	char	 fingerprint[LW_DHCP_FPRINT_MAX];	/* option 55 "1,3,6" */
	char	 domain_name[LW_DHCP_TEXT_MAX];	/* option 15 */

	enum lw_dhcp_error error;	/* first problem; fields before it valid */
};

enum lw_dhcp_error lw_dhcp_parse(const uint8_t *msg, size_t len,
	    struct lw_dhcp_msg *out);

/* "discover", "offer", "request", "decline", "ack", "nak", "release",
 * "inform", ... RFC 2132/3203/4388/6926 names; "unknown" otherwise. */
const char *lw_dhcp_type_name(uint8_t msg_type);
const char *lw_dhcp_error_name(enum lw_dhcp_error error);

#endif
