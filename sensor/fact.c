/*
 * fact.c - fact schemas and their JSON form (see fact.h).
 */
#include <string.h>

#include "labwarden/clock.h"
#include "labwarden/dns.h"
#include "labwarden/fact.h"

static const struct lw_field_def new_mac_fields[LW_NEWMAC_NFIELDS] = {
	[LW_NEWMAC_MAC] = { "mac", LW_FK_MAC },
	[LW_NEWMAC_IP] = { "ip", LW_FK_IP },
	[LW_NEWMAC_VLAN] = { "vlan", LW_FK_INT },
	[LW_NEWMAC_VENDOR] = { "vendor", LW_FK_STR },
	[LW_NEWMAC_RANDOMIZED] = { "randomized", LW_FK_BOOL },
	[LW_NEWMAC_SEEN_IN] = { "seen_in", LW_FK_STR },
	[LW_NEWMAC_HOSTNAME] = { "hostname", LW_FK_STR },
	[LW_NEWMAC_SAME_AS] = { "same_as", LW_FK_MAC },
	[LW_NEWMAC_SAME_AS_REASON] = { "same_as_reason", LW_FK_STR },
};

static const struct lw_field_def mac_ip_change_fields[LW_MIC_NFIELDS] = {
	[LW_MIC_IP] = { "ip", LW_FK_IP },
	[LW_MIC_OLD_MAC] = { "old_mac", LW_FK_MAC },
	[LW_MIC_NEW_MAC] = { "new_mac", LW_FK_MAC },
	[LW_MIC_GRATUITOUS] = { "gratuitous", LW_FK_BOOL },
	[LW_MIC_VLAN] = { "vlan", LW_FK_INT },
	[LW_MIC_SEEN_IN] = { "seen_in", LW_FK_STR },
	[LW_MIC_OLD_SEEN] = { "old_seen", LW_FK_STR },
};

static const struct lw_field_def dhcp_fields[LW_DHCP_F_NFIELDS] = {
	[LW_DHCP_F_MAC] = { "mac", LW_FK_MAC },
	[LW_DHCP_F_TYPE] = { "dhcp_type", LW_FK_STR },
	[LW_DHCP_F_HOSTNAME] = { "hostname", LW_FK_STR },
	[LW_DHCP_F_VENDOR_CLASS] = { "vendor_class", LW_FK_STR },
	[LW_DHCP_F_FINGERPRINT] = { "fingerprint", LW_FK_STR },
	[LW_DHCP_F_CLIENT_ID] = { "client_id", LW_FK_STR },
	[LW_DHCP_F_REQUESTED_IP] = { "requested_ip", LW_FK_IP },
	[LW_DHCP_F_ASSIGNED_IP] = { "assigned_ip", LW_FK_IP },
	[LW_DHCP_F_SERVER_ID] = { "server_id", LW_FK_IP },
	[LW_DHCP_F_LEASE_TIME] = { "lease_time", LW_FK_INT },
	[LW_DHCP_F_SRC_IP] = { "src_ip", LW_FK_IP },
	[LW_DHCP_F_DEST_IP] = { "dest_ip", LW_FK_IP },
	[LW_DHCP_F_XID] = { "xid", LW_FK_INT },
	[LW_DHCP_F_VLAN] = { "vlan", LW_FK_INT },
};

/* dns_query has every field but the last two. */
static const struct lw_field_def dns_fields[LW_DNS_F_NFIELDS] = {
	[LW_DNS_F_SRC_IP] = { "src_ip", LW_FK_IP },
	[LW_DNS_F_SRC_MAC] = { "src_mac", LW_FK_MAC },
	[LW_DNS_F_DEST_IP] = { "dest_ip", LW_FK_IP },
	[LW_DNS_F_SRC_PORT] = { "src_port", LW_FK_INT },
	[LW_DNS_F_DEST_PORT] = { "dest_port", LW_FK_INT },
	[LW_DNS_F_PROTO] = { "proto", LW_FK_STR },
	[LW_DNS_F_VLAN] = { "vlan", LW_FK_INT },
	[LW_DNS_F_SERVICE] = { "service", LW_FK_STR },
	[LW_DNS_F_TXID] = { "txid", LW_FK_INT },
	[LW_DNS_F_QNAME] = { "qname", LW_FK_STR },
	[LW_DNS_F_QTYPE] = { "qtype", LW_FK_STR },
	[LW_DNS_F_DOMAIN] = { "domain", LW_FK_STR },
	[LW_DNS_F_BLOCKLISTED] = { "blocklisted", LW_FK_STR },
	[LW_DNS_F_NAME_LENGTH] = { "name_length", LW_FK_INT },
	[LW_DNS_F_LONGEST_LABEL] = { "longest_label", LW_FK_INT },
	[LW_DNS_F_ENTROPY] = { "entropy", LW_FK_REAL },
	[LW_DNS_F_SUBDOMAINS] = { "subdomains", LW_FK_INT },
	[LW_DNS_F_TXT_SHARE] = { "txt_share", LW_FK_REAL },
	[LW_DNS_F_RCODE] = { "rcode", LW_FK_STR },
	[LW_DNS_F_ANSWERS] = { "answers", LW_FK_ANSWERS },
};

static const struct lw_field_def new_domain_fields[LW_ND_NFIELDS] = {
	[LW_ND_SRC_IP] = { "src_ip", LW_FK_IP },
	[LW_ND_QNAME] = { "qname", LW_FK_STR },
	[LW_ND_DOMAIN] = { "domain", LW_FK_STR },
	[LW_ND_SCOPE] = { "scope", LW_FK_STR },
	[LW_ND_SRC_MAC] = { "src_mac", LW_FK_MAC },
};

static const struct lw_field_def conn_fields[LW_CONN_NFIELDS] = {
	[LW_CONN_SRC_IP] = { "src_ip", LW_FK_IP },
	[LW_CONN_DEST_IP] = { "dest_ip", LW_FK_IP },
	[LW_CONN_SRC_PORT] = { "src_port", LW_FK_INT },
	[LW_CONN_DEST_PORT] = { "dest_port", LW_FK_INT },
	[LW_CONN_PROTO] = { "proto", LW_FK_STR },
	[LW_CONN_OUTBOUND] = { "outbound", LW_FK_BOOL },
	[LW_CONN_SRC_MAC] = { "src_mac", LW_FK_MAC },
	[LW_CONN_VLAN] = { "vlan", LW_FK_INT },
	[LW_CONN_NFLOG_PREFIX] = { "nflog_prefix", LW_FK_STR },
};

static const struct lw_field_def pressure_fields[LW_TP_NFIELDS] = {
	[LW_TP_TABLE] = { "table", LW_FK_STR },
	[LW_TP_CAPACITY] = { "capacity", LW_FK_INT },
	[LW_TP_EVICTED] = { "evicted", LW_FK_INT },
};

static const struct {
	const struct lw_field_def *fields;
	unsigned nfields;
} schemas[LW_EV_COUNT] = {
	[LW_EV_NEW_MAC] = { new_mac_fields, LW_NEWMAC_NFIELDS },
	[LW_EV_MAC_IP_CHANGE] = { mac_ip_change_fields, LW_MIC_NFIELDS },
	[LW_EV_DHCP] = { dhcp_fields, LW_DHCP_F_NFIELDS },
	[LW_EV_DNS_QUERY] = { dns_fields, LW_DNS_F_RCODE },
	[LW_EV_DNS_RESPONSE] = { dns_fields, LW_DNS_F_NFIELDS },
	[LW_EV_NEW_DOMAIN] = { new_domain_fields, LW_ND_NFIELDS },
	[LW_EV_CONN_START] = { conn_fields, LW_CONN_NFIELDS },
	[LW_EV_TABLE_PRESSURE] = { pressure_fields, LW_TP_NFIELDS },
};

const struct lw_field_def *lw_fact_schema(enum lw_event_type type,
    unsigned *nfields)
{
	if ((unsigned)type >= LW_EV_COUNT || !schemas[type].fields) {
		*nfields = 0;
		return NULL;
	}
	*nfields = schemas[type].nfields;
	return schemas[type].fields;
}

int lw_fact_field_index(enum lw_event_type type, const char *name)
{
	unsigned n;
	const struct lw_field_def *defs = lw_fact_schema(type, &n);

	for (unsigned i = 0; i < n; i++)
		if (strcmp(defs[i].name, name) == 0)
			return (int)i;
	return -1;
}

void lw_fact_init(struct lw_fact *f, enum lw_event_type type,
    uint64_t ts_ns)
{
	f->type = type;
	f->ts_ns = ts_ns;
	for (unsigned i = 0; i < LW_FACT_MAX_FIELDS; i++)
		f->v[i].set = false;
}

void lw_fact_mac(struct lw_fact *f, int slot, const uint8_t *mac)
{
	if (mac) {
		f->v[slot].set = true;
		memcpy(f->v[slot].u.mac, mac, 6);
	}
}

const char *lw_proto_label(uint8_t ip_proto)
{
	static const char *const numbers[256] = {
#define N(n) [n] = #n
		N(0), N(2), N(3), N(4), N(5), N(7), N(8), N(9), N(10),
		N(41), N(43), N(44), N(47), N(50), N(51), N(59), N(60),
		N(89), N(103), N(112), N(115), N(132), N(136),
#undef N
	};
	switch (ip_proto) {
	case 1: return "ICMP";
	case 6: return "TCP";
	case 17: return "UDP";
	case 58: return "IPv6-ICMP";
	default: return numbers[ip_proto] ? numbers[ip_proto] : "other";
	}
}

static json_t *answers_json(const struct lw_dns_msg *msg)
{
	json_t *list = json_array();
	char type[16];

	for (unsigned i = 0; i < msg->nrecords; i++) {
		const struct lw_dns_record *rr = &msg->records[i];
		if (rr->section != LW_DNS_ANSWER)
			continue;
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:I}",
		    "rrname", rr->name,
		    "rrtype", lw_dns_type_name(rr->rrtype, type, sizeof type),
		    "rdata", rr->rdata, "ttl", (json_int_t)rr->ttl));
	}
	return list;
}

static json_t *value_json(const struct lw_field_def *def,
    const struct lw_value *v)
{
	char buf[64];

	switch (def->kind) {
	case LW_FK_STR: return json_string(v->u.str);
	case LW_FK_INT: return json_integer(v->u.num);
	case LW_FK_BOOL: return json_boolean(v->u.flag);
	case LW_FK_REAL: return json_real(v->u.real);
	case LW_FK_IP:
		return json_string(lw_addr_str(&v->u.ip, buf, sizeof buf));
	case LW_FK_MAC:
		return json_string(lw_mac_str(v->u.mac, buf, sizeof buf));
	case LW_FK_ANSWERS: return answers_json(v->u.dns);
	}
	return json_null();
}

json_t *lw_fact_to_json(const struct lw_fact *f)
{
	unsigned n;
	const struct lw_field_def *defs = lw_fact_schema(f->type, &n);
	json_t *ev = lw_event_new(f->type, f->ts_ns);

	for (unsigned i = 0; i < n; i++) {
		if (!f->v[i].set)
			continue;
		json_t *val = value_json(&defs[i], &f->v[i]);
		/* json_string() refuses invalid UTF-8: skip, never crash. */
		if (val)
			json_object_set_new(ev, defs[i].name, val);
	}
	return ev;
}
