/*
 * dhcp.c - DHCPv4 message parser (see dhcp.h).
 *
 * Options are read from up to three areas (the options field, then
 * `file` and `sname` when option 52 says they are overloaded), each
 * walked with a bound on its length and on the number of options.
 * Long options split over several instances (RFC 3396) are joined.
 */
#include <stdio.h>
#include <string.h>

#include "labwarden/dhcp.h"

#define OFF_CHADDR	28
#define OFF_SNAME	44
#define LEN_SNAME	64
#define OFF_FILE	108
#define LEN_FILE	128
#define OFF_COOKIE	236
#define OPTIONS_START	240

#define OPT_PAD		0
#define OPT_HOSTNAME	12
#define OPT_DOMAIN	15
#define OPT_REQUESTED	50
#define OPT_LEASE	51
#define OPT_OVERLOAD	52
#define OPT_MSG_TYPE	53
#define OPT_SERVER_ID	54
#define OPT_PARAMS	55
#define OPT_VENDOR	60
#define OPT_CLIENT_ID	61
#define OPT_END		255

/* Output text buffers, appended to as split options arrive. */
struct out_text {
	char	*buf;
	size_t	 cap;
};

static size_t text_len(const struct out_text *t)
{
	return strnlen(t->buf, t->cap);
}

static void append(struct out_text *t, const char *s, size_t n)
{
	size_t len = text_len(t);

	if (len + n >= t->cap)
		n = t->cap - 1 - len;
	memcpy(t->buf + len, s, n);
	t->buf[len + n] = '\0';
}

/* Printable bytes as they are; others, '\' and '"' as \DDD. */
static void append_escaped(struct out_text *t, const uint8_t *p, size_t n)
{
	char esc[5];

	/* A trailing NUL is a common Windows habit, not part of the name. */
	if (n && p[n - 1] == 0)
		n--;
	for (size_t i = 0; i < n; i++) {
		if (p[i] >= 0x20 && p[i] <= 0x7e && p[i] != '\\' &&
		    p[i] != '"') {
			append(t, (const char *)&p[i], 1);
		} else {
			snprintf(esc, sizeof esc, "\\%03u", p[i]);
			append(t, esc, 4);
		}
	}
}

static void append_hex(struct out_text *t, const uint8_t *p, size_t n)
{
	char hex[3];

	for (size_t i = 0; i < n; i++) {
		snprintf(hex, sizeof hex, "%02x", p[i]);
		append(t, hex, 2);
	}
}

static void append_list(struct out_text *t, const uint8_t *p, size_t n)
{
	char num[8];

	for (size_t i = 0; i < n; i++) {
		int len = snprintf(num, sizeof num, "%s%u",
		    text_len(t) ? "," : "", p[i]);
		append(t, num, (size_t)len);
	}
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void take_option(struct lw_dhcp_msg *out, uint8_t code,
    const uint8_t *v, uint8_t len, uint8_t *overload)
{
	struct out_text t;

	switch (code) {
	case OPT_MSG_TYPE:
		if (len == 1)
			out->msg_type = v[0];
		break;
	case OPT_REQUESTED:
		if (len == 4) {
			memcpy(out->requested_ip, v, 4);
			out->has_requested_ip = true;
		}
		break;
	case OPT_SERVER_ID:
		if (len == 4) {
			memcpy(out->server_id, v, 4);
			out->has_server_id = true;
		}
		break;
	case OPT_LEASE:
		if (len == 4)
			out->lease_time = get32(v);
		break;
	case OPT_OVERLOAD:
		if (len == 1 && overload)
			*overload = v[0] & 3;
		break;
	case OPT_HOSTNAME:
		t = (struct out_text){ out->hostname, sizeof out->hostname };
		append_escaped(&t, v, len);
		break;
	case OPT_DOMAIN:
		t = (struct out_text){ out->domain_name,
		    sizeof out->domain_name };
		append_escaped(&t, v, len);
		break;
	case OPT_VENDOR:
		t = (struct out_text){ out->vendor_class,
		    sizeof out->vendor_class };
		append_escaped(&t, v, len);
		break;
	case OPT_CLIENT_ID:
		t = (struct out_text){ out->client_id, sizeof out->client_id };
		append_hex(&t, v, len);
		break;
	case OPT_PARAMS:
		t = (struct out_text){ out->fingerprint,
		    sizeof out->fingerprint };
		append_list(&t, v, len);
		break;
	default:
		break;
	}
}

/* Walk one options area; *budget bounds options over all areas. */
static enum lw_dhcp_error walk_options(struct lw_dhcp_msg *out,
    const uint8_t *p, size_t len, unsigned *budget, uint8_t *overload)
{
	size_t i = 0;

	while (i < len && *budget > 0) {
		uint8_t code = p[i];
		if (code == OPT_END)
			return LW_DHCP_OK;
		if (code == OPT_PAD) {
			i++;
			continue;
		}
		(*budget)--;
		if (i + 2 > len || i + 2 + p[i + 1] > len)
			return LW_DHCP_BAD_OPTION;
		take_option(out, code, p + i + 2, p[i + 1], overload);
		i += 2 + (size_t)p[i + 1];
	}
	return LW_DHCP_OK;
}

static void read_fixed(const uint8_t *m, struct lw_dhcp_msg *out)
{
	out->op = m[0];
	out->htype = m[1];
	out->hlen = m[2];
	out->xid = get32(m + 4);
	memcpy(out->ciaddr, m + 12, 4);
	memcpy(out->yiaddr, m + 16, 4);
	memcpy(out->siaddr, m + 20, 4);
	memcpy(out->giaddr, m + 24, 4);
	out->chaddr_ether = out->htype == 1 && out->hlen == 6;
	memcpy(out->chaddr, m + OFF_CHADDR, 6);
}

enum lw_dhcp_error lw_dhcp_parse(const uint8_t *msg, size_t len,
    struct lw_dhcp_msg *out)
{
	static const uint8_t cookie[4] = { 99, 130, 83, 99 };
	unsigned budget = LW_DHCP_MAX_OPTIONS;
	uint8_t overload = 0;

	memset(out, 0, offsetof(struct lw_dhcp_msg, hostname));
	out->hostname[0] = out->vendor_class[0] = out->client_id[0] = '\0';
	out->fingerprint[0] = out->domain_name[0] = '\0';
	out->error = LW_DHCP_OK;
	if (len < OFF_COOKIE)
		return out->error = LW_DHCP_TRUNCATED;
	read_fixed(msg, out);
	if (len < OPTIONS_START)
		return out->error = LW_DHCP_TRUNCATED;
	if (memcmp(msg + OFF_COOKIE, cookie, 4) != 0)
		return out->error = LW_DHCP_NOT_DHCP;
	out->error = walk_options(out, msg + OPTIONS_START,
	    len - OPTIONS_START, &budget, &overload);
	if (out->error == LW_DHCP_OK && (overload & 1))
		out->error = walk_options(out, msg + OFF_FILE, LEN_FILE,
		    &budget, NULL);
	if (out->error == LW_DHCP_OK && (overload & 2))
		out->error = walk_options(out, msg + OFF_SNAME, LEN_SNAME,
		    &budget, NULL);
	return out->error;
}

const char *lw_dhcp_type_name(uint8_t msg_type)
{
	static const char *const names[] = {
		NULL, "discover", "offer", "request", "decline", "ack", "nak",
		"release", "inform", "forcerenew", "leasequery",
		"leaseunassigned", "leaseunknown", "leaseactive",
		"bulkleasequery", "leasequerydone", "activeleasequery",
		"leasequerystatus", "tls",
	};
	if (msg_type < sizeof names / sizeof *names && names[msg_type])
		return names[msg_type];
	return "unknown";
}

const char *lw_dhcp_error_name(enum lw_dhcp_error error)
{
	static const char *const names[LW_DHCP_ERROR_COUNT] = {
		"ok", "truncated", "not_dhcp", "bad_option",
	};
	return (unsigned)error < LW_DHCP_ERROR_COUNT ? names[error] :
	    "unknown";
}
