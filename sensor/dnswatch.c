/*
 * dnswatch.c - DNS facts (see dnswatch.h).
 */
#include <math.h>
#include <string.h>

#include "labwarden/conntrack.h"
#include "labwarden/dnswatch.h"
#include "labwarden/sensor.h"

#define PORT_DNS	53
#define PORT_MDNS	5353
#define PORT_LLMNR	5355

/* Key of per-host state: the host's address and a domain's hash. */
struct host_domain_key {
	struct lw_addr host;
	uint64_t domain;
};

/* Per host and registered domain, over one tunnel window. */
struct shape_state {
	uint64_t window_start_ns;
	uint32_t queries, txt_queries;
	uint64_t subdomains[LW_DNS_SUBDOMAIN_BITS / 64];
};

struct tcp_stream {
	uint32_t next_seq;
	uint32_t have;		/* bytes in buf */
	uint32_t skip;		/* bytes of an oversized message to drop */
	uint8_t	 buf[LW_DNS_TCP_BUF];
};

/* What one message's facts share. */
struct dns_ctx {
	const struct lw_packet *pkt;
	const char *service;
	bool	 response;
};

bool lw_dnswatch_init(struct lw_dnswatch *dw,
    const struct lw_dnswatch_caps *caps, char *err, size_t errlen)
{
	memset(dw, 0, sizeof *dw);
	if (!lw_table_init(&dw->host_domains, "host_domains",
	    caps->host_domains, sizeof(struct host_domain_key), 0) ||
	    !lw_table_init(&dw->net_domains, "net_domains", caps->net_domains,
	    sizeof(uint64_t), 0) ||
	    !lw_table_init(&dw->shapes, "dns_shapes", caps->shapes,
	    sizeof(struct host_domain_key), sizeof(struct shape_state)) ||
	    !lw_table_init(&dw->tcp_streams, "dns_tcp_streams",
	    caps->tcp_streams, sizeof(struct lw_flow_key),
	    sizeof(struct tcp_stream))) {
		snprintf(err, errlen, "dns: out of memory");
		lw_dnswatch_free(dw);
		return false;
	}
	return true;
}

void lw_dnswatch_free(struct lw_dnswatch *dw)
{
	lw_table_free(&dw->host_domains);
	lw_table_free(&dw->net_domains);
	lw_table_free(&dw->shapes);
	lw_table_free(&dw->tcp_streams);
}

/* Bits set in a word, without a libgcc call on CPUs built for no popcnt. */
static unsigned popcount64(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ull);
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (unsigned)((x * 0x0101010101010101ull) >> 56);
}

uint32_t lw_dnswatch_distinct(const uint64_t bits[LW_DNS_SUBDOMAIN_BITS / 64])
{
	unsigned zero = 0;

	for (unsigned i = 0; i < LW_DNS_SUBDOMAIN_BITS / 64; i++)
		zero += 64 - popcount64(bits[i]);
	if (zero == 0)		/* saturated: the estimator's ceiling */
		zero = 1;
	double m = LW_DNS_SUBDOMAIN_BITS;
	return (uint32_t)lround(-m * log((double)zero / m));
}

static void host_key(const struct lw_addr *host, uint64_t domain,
    struct host_domain_key *key)
{
	memset(key, 0, sizeof *key);
	key->host.family = host->family;
	memcpy(key->host.bytes, host->bytes, host->family == 4 ? 4 : 16);
	key->domain = domain;
}

/* Names that are never "new domains": local, reverse, single label. */
static bool domain_worth_learning(const char *qname, const char *domain)
{
	size_t n = strlen(qname);

	if (!strchr(domain, '.'))
		return false;
	return !(n >= 5 && strcmp(qname + n - 5, ".arpa") == 0) &&
	    !(n >= 6 && strcmp(qname + n - 6, ".local") == 0);
}

static void emit_new_domain(struct lw_sensor *s, const struct lw_packet *pkt,
    const char *qname, const char *domain, const char *scope)
{
	struct lw_fact f;

	lw_fact_init(&f, LW_EV_NEW_DOMAIN, lw_sensor_now(s));
	lw_fact_ip(&f, LW_ND_SRC_IP, &pkt->src_ip);
	lw_fact_str(&f, LW_ND_QNAME, qname);
	lw_fact_str(&f, LW_ND_DOMAIN, domain);
	lw_fact_str(&f, LW_ND_SCOPE, scope);
	lw_fact_mac(&f, LW_ND_SRC_MAC, pkt->src_mac);
	lw_sensor_emit(s, &f);
}

/* new_domain for a query, after the learning period. */
static void check_new_domain(struct lw_dnswatch *dw, struct lw_sensor *s,
    const struct lw_packet *pkt, const char *qname, const char *domain,
    uint64_t hash)
{
	struct host_domain_key key;
	bool host_new, net_new;
	uint64_t now = lw_sensor_now(s);

	if (!domain_worth_learning(qname, domain))
		return;
	if (!dw->learn_start_ns)
		dw->learn_start_ns = now ? now : 1;
	bool learning = now < dw->learn_start_ns + s->cfg->dns_learn_ns;
	host_key(&pkt->src_ip, hash, &key);
	lw_table_put(&dw->host_domains, &key, &host_new);
	lw_table_put(&dw->net_domains, &hash, &net_new);
	if (learning)
		return;
	if (net_new)
		emit_new_domain(s, pkt, qname, domain, "network");
	if (host_new)
		emit_new_domain(s, pkt, qname, domain, "host");
}

/* Window counters for (host, domain); NULL when not a plain DNS query. */
static struct shape_state *update_shape(struct lw_dnswatch *dw,
    struct lw_sensor *s, const struct lw_packet *pkt, uint64_t domain_hash,
    const char *sub, size_t sublen, uint16_t qtype)
{
	struct host_domain_key key;
	bool created;
	uint64_t now = lw_sensor_now(s);

	host_key(&pkt->src_ip, domain_hash, &key);
	struct shape_state *st = lw_table_put(&dw->shapes, &key, &created);
	if (created || now - st->window_start_ns >= s->cfg->tunnel_window_ns) {
		memset(st, 0, sizeof *st);
		st->window_start_ns = now;
	}
	st->queries++;
	if (qtype == LW_DNS_T_TXT || qtype == LW_DNS_T_NULL)
		st->txt_queries++;
	uint64_t h = lw_hash64(sub, sublen) % LW_DNS_SUBDOMAIN_BITS;
	st->subdomains[h / 64] |= 1ull << (h % 64);
	return st;
}

static void question_fact(struct lw_dnswatch *dw, struct lw_sensor *s,
    const struct dns_ctx *ctx, const struct lw_dns_question *q)
{
	const struct lw_packet *pkt = ctx->pkt;
	const struct lw_dns_msg *msg = &dw->msg;
	struct lw_fact f;
	struct lw_name_shape shape;
	char type[16], rcode[16];
	const char *domain = lw_registered_domain(s->psl, q->name);

	lw_fact_init(&f, ctx->response ? LW_EV_DNS_RESPONSE :
	    LW_EV_DNS_QUERY, lw_sensor_now(s));
	lw_fact_ip(&f, LW_DNS_F_SRC_IP, &pkt->src_ip);
	lw_fact_mac(&f, LW_DNS_F_SRC_MAC, pkt->src_mac);
	lw_fact_ip(&f, LW_DNS_F_DEST_IP, &pkt->dst_ip);
	lw_fact_num(&f, LW_DNS_F_SRC_PORT, pkt->src_port);
	lw_fact_num(&f, LW_DNS_F_DEST_PORT, pkt->dst_port);
	lw_fact_str(&f, LW_DNS_F_PROTO, lw_proto_label(pkt->ip_proto));
	if (pkt->layers & LW_L_VLAN)
		lw_fact_num(&f, LW_DNS_F_VLAN, pkt->vlan);
	lw_fact_str(&f, LW_DNS_F_SERVICE, ctx->service);
	lw_fact_num(&f, LW_DNS_F_TXID, msg->id);
	lw_fact_str(&f, LW_DNS_F_QNAME, q->name);
	lw_fact_str(&f, LW_DNS_F_QTYPE, lw_dns_type_name(q->qtype, type,
	    sizeof type));
	lw_fact_str(&f, LW_DNS_F_DOMAIN, domain);
	lw_fact_str(&f, LW_DNS_F_BLOCKLISTED,
	    lw_blocklist_match(&s->blocklist, q->name));
	lw_name_shape(q->name, domain, &shape);
	/* Lengths in octets as on the wire, not in escaped text. */
	lw_fact_num(&f, LW_DNS_F_NAME_LENGTH, q->wire_len > 2 ?
	    q->wire_len - 2 : 0);
	lw_fact_num(&f, LW_DNS_F_LONGEST_LABEL, q->longest_label);
	lw_fact_real(&f, LW_DNS_F_ENTROPY, shape.sub_entropy);
	bool plain_query = !ctx->response && strcmp(ctx->service, "dns") == 0;
	uint64_t hash = plain_query ? lw_hash64(domain, strlen(domain)) : 0;
	if (plain_query) {
		struct shape_state *st = update_shape(dw, s, pkt, hash,
		    q->name, shape.sub_length, q->qtype);
		lw_fact_num(&f, LW_DNS_F_SUBDOMAINS,
		    lw_dnswatch_distinct(st->subdomains));
		lw_fact_real(&f, LW_DNS_F_TXT_SHARE,
		    (double)st->txt_queries / (double)st->queries);
	}
	if (ctx->response) {
		lw_fact_str(&f, LW_DNS_F_RCODE, lw_dns_rcode_name(msg->rcode,
		    rcode, sizeof rcode));
		f.v[LW_DNS_F_ANSWERS].set = true;
		f.v[LW_DNS_F_ANSWERS].u.dns = msg;
	}
	lw_sensor_emit(s, &f);
	if (plain_query)
		check_new_domain(dw, s, pkt, q->name, domain, hash);
}

static void dns_message(struct lw_dnswatch *dw, struct lw_sensor *s,
    const struct dns_ctx *base, const uint8_t *data, size_t len)
{
	struct dns_ctx ctx = *base;
	enum lw_dns_error err = lw_dns_parse(data, len, &dw->msg);

	dw->messages++;
	if (err != LW_DNS_OK)
		dw->errors[err]++;
	/* A cut message still gives the questions parsed before the cut. */
	ctx.response = dw->msg.qr;
	for (unsigned i = 0; i < dw->msg.nquestions; i++)
		question_fact(dw, s, &ctx, &dw->msg.questions[i]);
}

static const char *service_of(const struct lw_packet *pkt)
{
	uint16_t sp = pkt->src_port, dp = pkt->dst_port;

	if (sp == PORT_MDNS || dp == PORT_MDNS)
		return "mdns";
	if (sp == PORT_LLMNR || dp == PORT_LLMNR)
		return "llmnr";
	if (sp == PORT_DNS || dp == PORT_DNS)
		return "dns";
	return NULL;
}

/* ---- DNS over TCP ---- */

/*
 * Parse every complete message in the stream buffer.  A message too long
 * for the buffer is parsed from what fits (its questions come first)
 * once the buffer is full, and the rest of it is skipped.  Afterwards
 * the buffer is never full, so the caller can always add bytes.
 */
static void drain_stream(struct lw_dnswatch *dw, struct lw_sensor *s,
    const struct dns_ctx *ctx, struct tcp_stream *st)
{
	uint32_t off = 0;

	while (st->have - off >= 2) {
		uint32_t avail = st->have - off - 2;
		uint32_t mlen = (uint32_t)(st->buf[off] << 8 | st->buf[off + 1]);
		if (mlen <= avail) {
			dns_message(dw, s, ctx, st->buf + off + 2, mlen);
			off += 2 + mlen;
		} else if (st->have == sizeof st->buf && off == 0) {
			dns_message(dw, s, ctx, st->buf + 2, avail);
			st->skip = mlen - avail;
			off = st->have;
		} else
			break;
	}
	memmove(st->buf, st->buf + off, st->have - off);
	st->have -= off;
}

static void tcp_segment(struct lw_dnswatch *dw, struct lw_sensor *s,
    const struct dns_ctx *ctx)
{
	const struct lw_packet *pkt = ctx->pkt;
	struct lw_flow_key key;
	bool created;

	lw_flow_key_of(pkt, false, &key);
	if (pkt->tcp_flags & (LW_TCP_FIN | LW_TCP_RST)) {
		lw_table_del(&dw->tcp_streams, &key);
		return;
	}
	if (pkt->tcp_flags & LW_TCP_SYN) {
		struct tcp_stream *st = lw_table_put(&dw->tcp_streams, &key,
		    &created);
		st->next_seq = pkt->tcp_seq + 1;
		st->have = st->skip = 0;
		return;
	}
	if (pkt->payload_len == 0)
		return;
	struct tcp_stream *st = lw_table_get(&dw->tcp_streams, &key);
	if (!st) {
		/* Picked up mid-connection: start only at a plausible
		 * message boundary (a length prefix of a DNS header). */
		if (pkt->payload_len < 2 + LW_DNS_HEADER_LEN ||
		    (pkt->payload[0] << 8 | pkt->payload[1]) <
		    LW_DNS_HEADER_LEN)
			return;
		st = lw_table_put(&dw->tcp_streams, &key, &created);
		st->next_seq = pkt->tcp_seq;
		st->have = st->skip = 0;
	}
	if (pkt->tcp_seq != st->next_seq) {	/* gap or reordering */
		lw_table_del(&dw->tcp_streams, &key);
		return;
	}
	st->next_seq += pkt->payload_len;
	const uint8_t *data = pkt->payload;
	uint32_t len = pkt->payload_len;
	/* Each pass drops or buffers at least one byte: bounded by len. */
	while (len > 0) {
		uint32_t take;
		if (st->skip) {
			take = len < st->skip ? len : st->skip;
			st->skip -= take;
		} else {
			uint32_t room = (uint32_t)sizeof st->buf - st->have;
			take = len < room ? len : room;
			memcpy(st->buf + st->have, data, take);
			st->have += take;
			drain_stream(dw, s, ctx, st);
		}
		data += take;
		len -= take;
	}
}

void lw_dnswatch_packet(struct lw_dnswatch *dw, struct lw_sensor *s,
    const struct lw_packet *pkt)
{
	struct dns_ctx ctx = { .pkt = pkt };

	if (!(pkt->layers & (LW_L_UDP | LW_L_TCP)) ||
	    !(ctx.service = service_of(pkt)))
		return;
	if (pkt->layers & LW_L_UDP) {
		if (pkt->payload_len >= LW_DNS_HEADER_LEN)
			dns_message(dw, s, &ctx, pkt->payload,
			    pkt->payload_len);
		return;
	}
	if (strcmp(ctx.service, "dns") == 0)
		tcp_segment(dw, s, &ctx);
}

/* ---- persistence: which registered domains were seen ---- */

json_t *lw_dnswatch_to_json(const struct lw_dnswatch *dw)
{
	json_t *hosts = json_array(), *net = json_array();
	char ip[64];

	for (const void *v = lw_table_oldest(&dw->host_domains); v;
	    v = lw_table_next_newer(&dw->host_domains, v)) {
		const struct host_domain_key *k =
		    lw_table_key(&dw->host_domains, v);
		json_array_append_new(hosts, json_pack("[s, I]",
		    lw_addr_str(&k->host, ip, sizeof ip),
		    (json_int_t)k->domain));
	}
	for (const void *v = lw_table_oldest(&dw->net_domains); v;
	    v = lw_table_next_newer(&dw->net_domains, v))
		json_array_append_new(net, json_integer((json_int_t)
		    *(const uint64_t *)lw_table_key(&dw->net_domains, v)));
	return json_pack("{s:I, s:o, s:o}", "learn_start_ns",
	    (json_int_t)dw->learn_start_ns, "host_domains", hosts,
	    "net_domains", net);
}

void lw_dnswatch_from_json(struct lw_dnswatch *dw, const json_t *doc)
{
	size_t i;
	json_t *v;
	bool created;

	dw->learn_start_ns = (uint64_t)json_integer_value(json_object_get(doc,
	    "learn_start_ns"));
	json_array_foreach(json_object_get(doc, "host_domains"), i, v) {
		struct lw_cidr c;
		char why[64];
		const char *ip = json_string_value(json_array_get(v, 0));
		json_t *hash = json_array_get(v, 1);
		if (!ip || !json_is_integer(hash) ||
		    !lw_cidr_parse(ip, &c, why, sizeof why))
			continue;
		struct host_domain_key key;
		host_key(&c.addr, (uint64_t)json_integer_value(hash), &key);
		lw_table_put(&dw->host_domains, &key, &created);
	}
	json_array_foreach(json_object_get(doc, "net_domains"), i, v) {
		uint64_t hash = (uint64_t)json_integer_value(v);
		if (json_is_integer(v))
			lw_table_put(&dw->net_domains, &hash, &created);
	}
}
