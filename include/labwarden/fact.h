/*
 * fact.h - typed facts: what the sensor tells the scenes and the writer.
 *
 * A fact is a flat record: an event type, a time, and a fixed array of
 * field values whose names and kinds are given once per type by a
 * schema (the field names of docs/interface.md).  Detectors fill the
 * slots they know; scenes compile a field name to its slot once, at
 * load time, and read it per fact without string work or allocation;
 * the writer turns a fact into JSON only when it is going to write it.
 * Strings in a fact point into the detector's buffers and live until
 * the fact has been delivered.
 */
#ifndef LABWARDEN_FACT_H
#define LABWARDEN_FACT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "labwarden/decode.h"
#include "labwarden/events.h"

struct lw_dns_msg;

enum lw_field_kind {
	LW_FK_STR,
	LW_FK_INT,
	LW_FK_BOOL,
	LW_FK_REAL,
	LW_FK_IP,		/* struct lw_addr */
	LW_FK_MAC,		/* 6 bytes */
	LW_FK_ANSWERS,		/* the answer section of a DNS message */
};

struct lw_field_def {
	const char *name;
	enum lw_field_kind kind;
};

#define LW_FACT_MAX_FIELDS 32

struct lw_value {
	bool	 set;
	union {
		const char *str;
		int64_t	 num;
		bool	 flag;
		double	 real;
		struct lw_addr ip;
		uint8_t	 mac[6];
		const struct lw_dns_msg *dns;
	} u;
};

struct lw_fact {
	enum lw_event_type type;
	uint64_t ts_ns;
	struct lw_value v[LW_FACT_MAX_FIELDS];
};

/*
 * Slots, per type, in schema order.  The schema tables in fact.c list
 * the same fields in the same order; fact.c checks this at startup.
 */
enum { LW_NEWMAC_MAC, LW_NEWMAC_IP, LW_NEWMAC_VLAN, LW_NEWMAC_VENDOR,
	LW_NEWMAC_RANDOMIZED, LW_NEWMAC_SEEN_IN, LW_NEWMAC_HOSTNAME,
	LW_NEWMAC_SAME_AS, LW_NEWMAC_SAME_AS_REASON, LW_NEWMAC_NFIELDS };

enum { LW_MIC_IP, LW_MIC_OLD_MAC, LW_MIC_NEW_MAC, LW_MIC_GRATUITOUS,
	LW_MIC_VLAN, LW_MIC_SEEN_IN, LW_MIC_OLD_SEEN, LW_MIC_NFIELDS };

enum { LW_DHCP_F_MAC, LW_DHCP_F_TYPE, LW_DHCP_F_HOSTNAME,
	LW_DHCP_F_VENDOR_CLASS, LW_DHCP_F_FINGERPRINT, LW_DHCP_F_CLIENT_ID,
	LW_DHCP_F_REQUESTED_IP, LW_DHCP_F_ASSIGNED_IP, LW_DHCP_F_SERVER_ID,
	LW_DHCP_F_LEASE_TIME, LW_DHCP_F_SRC_IP, LW_DHCP_F_DEST_IP,
	LW_DHCP_F_XID, LW_DHCP_F_VLAN, LW_DHCP_F_NFIELDS };

/* dns_query and dns_response share their first fields. */
enum { LW_DNS_F_SRC_IP, LW_DNS_F_SRC_MAC, LW_DNS_F_DEST_IP,
	LW_DNS_F_SRC_PORT, LW_DNS_F_DEST_PORT, LW_DNS_F_PROTO,
	LW_DNS_F_VLAN, LW_DNS_F_SERVICE, LW_DNS_F_TXID, LW_DNS_F_QNAME,
	LW_DNS_F_QTYPE, LW_DNS_F_DOMAIN, LW_DNS_F_BLOCKLISTED,
	LW_DNS_F_NAME_LENGTH, LW_DNS_F_LONGEST_LABEL, LW_DNS_F_ENTROPY,
	LW_DNS_F_SUBDOMAINS, LW_DNS_F_TXT_SHARE,
	LW_DNS_F_RCODE, LW_DNS_F_ANSWERS, LW_DNS_F_NFIELDS };

enum { LW_ND_SRC_IP, LW_ND_QNAME, LW_ND_DOMAIN, LW_ND_SCOPE,
	LW_ND_SRC_MAC, LW_ND_NFIELDS };

enum { LW_CONN_SRC_IP, LW_CONN_DEST_IP, LW_CONN_SRC_PORT,
	LW_CONN_DEST_PORT, LW_CONN_PROTO, LW_CONN_OUTBOUND, LW_CONN_SRC_MAC,
	LW_CONN_VLAN, LW_CONN_NFLOG_PREFIX, LW_CONN_NFIELDS };

enum { LW_TP_TABLE, LW_TP_CAPACITY, LW_TP_EVICTED, LW_TP_NFIELDS };

/* The schema of a fact type; NULL for types that are not facts. */
const struct lw_field_def *lw_fact_schema(enum lw_event_type type,
	    unsigned *nfields);
/* Slot of a field by name for a type, or -1. */
int	 lw_fact_field_index(enum lw_event_type type, const char *name);

/* Start a fact: type, time, every slot unset. */
void	 lw_fact_init(struct lw_fact *f, enum lw_event_type type,
	    uint64_t ts_ns);

static inline void lw_fact_str(struct lw_fact *f, int slot, const char *s)
{
	if (s) {
		f->v[slot].set = true;
		f->v[slot].u.str = s;
	}
}
static inline void lw_fact_num(struct lw_fact *f, int slot, int64_t n)
{
	f->v[slot].set = true;
	f->v[slot].u.num = n;
}
static inline void lw_fact_flag(struct lw_fact *f, int slot, bool b)
{
	f->v[slot].set = true;
	f->v[slot].u.flag = b;
}
static inline void lw_fact_real(struct lw_fact *f, int slot, double r)
{
	f->v[slot].set = true;
	f->v[slot].u.real = r;
}
static inline void lw_fact_ip(struct lw_fact *f, int slot,
    const struct lw_addr *a)
{
	if (a && a->family) {
		f->v[slot].set = true;
		f->v[slot].u.ip = *a;
	}
}
void	 lw_fact_mac(struct lw_fact *f, int slot, const uint8_t *mac);

/* The fact as an event object (ts, type, then set fields in order). */
json_t	*lw_fact_to_json(const struct lw_fact *f);

/* "TCP", "UDP", "ICMP", "IPv6-ICMP" or the number, for proto fields. */
const char *lw_proto_label(uint8_t ip_proto);

#endif
