/*
 * dhcp.c - DHCPv4 message parser (see dhcp.h).
 *
 * A message is the 236-byte BOOTP part, the magic cookie 99.130.83.99
 * and options.  Options are read from up to three areas, in the order
 * RFC 2131 4.1 gives: the options field, then `file`, then `sname`
 * when option 52 (overload) in the options field says they hold
 * options.  Each area is walked with a bound on its own length and one
 * budget of LW_DHCP_MAX_OPTIONS non-pad options is shared by all
 * three; what lies past the budget is neither read nor checked.
 *
 * Results, and what the unit tests hold the parser to:
 *   len < 240		LW_DHCP_TRUNCATED; from 236 bytes on the fixed
 *			fields are filled in, the cookie is cut.
 *   no cookie		LW_DHCP_NOT_DHCP, fixed fields valid.
 *   option runs out	LW_DHCP_BAD_OPTION (a code with no length byte,
 *			or a length past the end of its area); options
 *			before it are kept, later areas are not read.
 *   otherwise		LW_DHCP_OK, with or without an end option.
 *
 * Repeated instances of the variable-length options we keep (12, 15,
 * 55, 60, 61) are concatenated, as RFC 3396 says long options are
 * split, up to the size of the output buffer; what does not fit is
 * dropped whole (no half escape, no half number).  The fixed-size
 * options (50, 51, 53, 54) are never legitimately split: the first
 * instance of the right size wins and the rest are ignored.
 */
#include <string.h>

#include "labwarden/dhcp.h"

#define OFF_CHADDR	28
#define OFF_SNAME	44
#define LEN_SNAME	64
#define OFF_FILE	108
#define LEN_FILE	128
#define OFF_COOKIE	LW_DHCP_FIXED_LEN
#define OFF_OPTIONS	(OFF_COOKIE + 4)

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

#define OVERLOAD_FILE	1
#define OVERLOAD_SNAME	2

/* One output string, grown as the instances of its option arrive. */
struct text {
	char	*buf;
	size_t	 cap, len;
	bool	 full;		/* something did not fit: append no more */
	bool	 nul_held;	/* last byte seen was NUL, not yet written */
};

struct parse {
	struct lw_dhcp_msg *out;
	struct text	 hostname, vendor, client_id, fprint, domain;
	unsigned	 budget;	/* options still to look at */
	uint8_t		 overload;	/* OVERLOAD_* bits, from option 52 */
	bool		 seen_overload, seen_type, seen_lease;
};

static void text_init(struct text *t, char *buf, size_t cap)
{
	t->buf = buf;
	t->cap = cap;
	t->len = 0;
	t->full = false;
	t->nul_held = false;
	buf[0] = '\0';
}

/*
 * Append s[0..n) whole or not at all, so a cut string never ends in
 * part of an escape or of a number.  Once a piece is refused nothing
 * more goes in: a later, shorter piece would leave a silent gap.
 */
static bool put(struct text *t, const char *s, size_t n)
{
	if (t->full || n >= t->cap - t->len) {
		t->full = true;
		return false;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
	return true;
}

/* Decimal digits of v, at least `width` (<= 3) of them; the count. */
static size_t decimal(char *dst, uint8_t v, size_t width)
{
	char tmp[3];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < sizeof tmp);
	while (n < width && n < sizeof tmp)
		tmp[n++] = '0';
	for (size_t i = 0; i < n; i++)
		dst[i] = tmp[n - 1 - i];
	return n;
}

static bool put_escaped(struct text *t, uint8_t c)
{
	char esc[4];

	/* Printable ASCII goes as is, but '\' and '"' are what a JSON
	 * or shell consumer would trip on, so they are escaped too. */
	if (c >= 0x20 && c <= 0x7e && c != '\\' && c != '"') {
		esc[0] = (char)c;
		return put(t, esc, 1);
	}
	esc[0] = '\\';
	decimal(esc + 1, c, 3);
	return put(t, esc, 4);
}

/*
 * Text options.  Windows clients end the host name with a NUL; it is
 * not part of the name.  Since an option may be split (RFC 3396), a
 * NUL at the end of one instance is held back and only written if
 * another non-empty instance follows it.
 */
static void add_text(struct text *t, const uint8_t *p, size_t n)
{
	if (n == 0)
		return;
	if (t->nul_held && !put_escaped(t, 0))
		return;
	t->nul_held = p[n - 1] == 0;
	if (t->nul_held)
		n--;
	for (size_t i = 0; i < n; i++)
		if (!put_escaped(t, p[i]))
			return;
}

static void add_hex(struct text *t, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char hex[2];

	for (size_t i = 0; i < n; i++) {
		hex[0] = digits[p[i] >> 4];
		hex[1] = digits[p[i] & 15];
		if (!put(t, hex, 2))
			return;
	}
}

static void add_list(struct text *t, const uint8_t *p, size_t n)
{
	char num[4];
	size_t k;

	for (size_t i = 0; i < n; i++) {
		k = 0;
		if (t->len > 0)
			num[k++] = ',';
		k += decimal(num + k, p[i], 1);
		if (!put(t, num, k))
			return;
	}
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* The fixed-size options: the first instance of the right size. */
static void take_fixed(struct parse *ps, uint8_t code, const uint8_t *v,
    size_t len)
{
	struct lw_dhcp_msg *out = ps->out;

	switch (code) {
	case OPT_MSG_TYPE:
		if (len == 1 && !ps->seen_type) {
			out->msg_type = v[0];
			ps->seen_type = true;
		}
		break;
	case OPT_REQUESTED:
		if (len == 4 && !out->has_requested_ip) {
			memcpy(out->requested_ip, v, 4);
			out->has_requested_ip = true;
		}
		break;
	case OPT_SERVER_ID:
		if (len == 4 && !out->has_server_id) {
			memcpy(out->server_id, v, 4);
			out->has_server_id = true;
		}
		break;
	case OPT_LEASE:
		if (len == 4 && !ps->seen_lease) {
			out->lease_time = get32(v);
			ps->seen_lease = true;
		}
		break;
	default:
		break;
	}
}

static void take_option(struct parse *ps, uint8_t code, const uint8_t *v,
    size_t len, bool main_area)
{
	switch (code) {
	case OPT_HOSTNAME:
		add_text(&ps->hostname, v, len);
		break;
	case OPT_DOMAIN:
		add_text(&ps->domain, v, len);
		break;
	case OPT_VENDOR:
		add_text(&ps->vendor, v, len);
		break;
	case OPT_CLIENT_ID:
		add_hex(&ps->client_id, v, len);
		break;
	case OPT_PARAMS:
		add_list(&ps->fprint, v, len);
		break;
	case OPT_OVERLOAD:
		/* Only the options field may say where more options are;
		 * 1 file, 2 sname, 3 both, anything else is meaningless. */
		if (main_area && len == 1 && !ps->seen_overload &&
		    v[0] >= 1 && v[0] <= 3) {
			ps->overload = v[0];
			ps->seen_overload = true;
		}
		break;
	default:
		take_fixed(ps, code, v, len);
		break;
	}
}

/*
 * Walk one options area p[0..len).  Every step moves i forward by at
 * least one byte, so the loop ends within len steps whatever the data.
 */
static enum lw_dhcp_error walk_options(struct parse *ps, const uint8_t *p,
    size_t len, bool main_area)
{
	size_t i = 0, optlen;

	while (i < len) {
		if (p[i] == OPT_END)
			return LW_DHCP_OK;
		if (p[i] == OPT_PAD) {
			i++;
			continue;
		}
		if (ps->budget == 0)
			return LW_DHCP_OK;
		ps->budget--;
		if (len - i < 2)
			return LW_DHCP_BAD_OPTION;
		optlen = p[i + 1];
		if (len - i - 2 < optlen)
			return LW_DHCP_BAD_OPTION;
		take_option(ps, p[i], p + i + 2, optlen, main_area);
		i += 2 + optlen;
	}
	return LW_DHCP_OK;
}

static void read_fixed(struct lw_dhcp_msg *out, const uint8_t *m)
{
	out->op = m[0];
	out->htype = m[1];
	out->hlen = m[2];
	out->xid = get32(m + 4);
	memcpy(out->ciaddr, m + 12, 4);
	memcpy(out->yiaddr, m + 16, 4);
	memcpy(out->siaddr, m + 20, 4);
	memcpy(out->giaddr, m + 24, 4);
	/* chaddr is 16 bytes; an Ethernet address is its first six. */
	memcpy(out->chaddr, m + OFF_CHADDR, 6);
	out->chaddr_ether = out->htype == 1 && out->hlen == 6;
}

static enum lw_dhcp_error read_options(struct parse *ps, const uint8_t *m,
    size_t len)
{
	enum lw_dhcp_error err;

	err = walk_options(ps, m + OFF_OPTIONS, len - OFF_OPTIONS, true);
	if (err == LW_DHCP_OK && (ps->overload & OVERLOAD_FILE))
		err = walk_options(ps, m + OFF_FILE, LEN_FILE, false);
	if (err == LW_DHCP_OK && (ps->overload & OVERLOAD_SNAME))
		err = walk_options(ps, m + OFF_SNAME, LEN_SNAME, false);
	return err;
}

enum lw_dhcp_error lw_dhcp_parse(const uint8_t *msg, size_t len,
    struct lw_dhcp_msg *out)
{
	static const uint8_t cookie[4] = { 99, 130, 83, 99 };
	struct parse ps;

	/* ~5 KB, but DHCP is rare and a stale field would be worse. */
	memset(out, 0, sizeof *out);
	memset(&ps, 0, sizeof ps);
	ps.out = out;
	ps.budget = LW_DHCP_MAX_OPTIONS;
	text_init(&ps.hostname, out->hostname, sizeof out->hostname);
	text_init(&ps.vendor, out->vendor_class, sizeof out->vendor_class);
	text_init(&ps.client_id, out->client_id, sizeof out->client_id);
	text_init(&ps.fprint, out->fingerprint, sizeof out->fingerprint);
	text_init(&ps.domain, out->domain_name, sizeof out->domain_name);

	if (msg == NULL || len < LW_DHCP_FIXED_LEN)
		return out->error = LW_DHCP_TRUNCATED;
	read_fixed(out, msg);
	if (len < OFF_OPTIONS)
		return out->error = LW_DHCP_TRUNCATED;
	if (memcmp(msg + OFF_COOKIE, cookie, sizeof cookie) != 0)
		return out->error = LW_DHCP_NOT_DHCP;
	return out->error = read_options(&ps, msg, len);
}

const char *lw_dhcp_type_name(uint8_t msg_type)
{
	/* RFC 2132, 3203 (forcerenew), 4388 and 6926 (lease query),
	 * 7724 (active lease query and TLS). */
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

	if ((unsigned)error < LW_DHCP_ERROR_COUNT)
		return names[error];
	return "unknown";
}
