/*
 * maps - the text of the Postfix access maps popauth writes.
 *
 * SECURITY
 *	Keys are IPs popauth formatted itself.  The blacklist reply takes
 *	in an authority (a DNSBL zone, or this host) and a reason (a
 *	DNSBL's TXT, or text about an address or HELO a client chose): both
 *	are reduced to printable ASCII and cut to a bounded length, so no
 *	byte of a log line can start a new map entry or reach a client's
 *	terminal raw in the SMTP reply.
 */
#include <stdlib.h>
#include <string.h>

#include "maps.h"

#define FIELD_MAX 200

void
maps_relay_fill(void *arg, struct sbuf *out)
{
	const struct policy *pol = arg;
	size_t n;
	const struct relay_ip **v = relay_sorted(&pol->relay, &n);

	for (size_t i = 0; i < n; i++)
		sbuf_printf(out, "%s\tOK\n", ipaddr_str(&v[i]->ip));
	free((void *)v);
}

/* add_clean - printable ASCII only, bounded */
static void
add_clean(struct sbuf *out, const char *s)
{
	char buf[FIELD_MAX];
	size_t n = 0;

	for (; s[n] && n < FIELD_MAX; n++) {
		unsigned char c = (unsigned char)s[n];
		buf[n] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	sbuf_add(out, buf, n);
	if (s[n])
		sbuf_adds(out, "...");
}

void
maps_blacklist_value(
    const char *reply, const struct bl_rec *rec, struct sbuf *out)
{
	const char *p = reply, *brace;

	/* runs of the template's own text are copied whole: this runs once
	 * per record on every map rebuild */
	while ((brace = strchr(p, '{')) != NULL) {
		sbuf_add(out, p, (size_t)(brace - p));
		if (strncmp(brace, "{authority}", 11) == 0) {
			add_clean(out, rec->authority);
			p = brace + 11;
		} else if (strncmp(brace, "{reason}", 8) == 0) {
			add_clean(out, rec->reason);
			p = brace + 8;
		} else {
			sbuf_addc(out, '{');
			p = brace + 1;
		}
	}
	sbuf_adds(out, p);
	/* a blank at the end of an access map value is lost */
	while (out->len && out->s[out->len - 1] == ' ')
		out->s[--out->len] = 0;
}

void
maps_blacklist_fill(void *arg, struct sbuf *out)
{
	const struct blmap_ctx *ctx = arg;
	size_t n;
	struct bl_rec **v = bl_sorted(&ctx->pol->bl, &n);

	for (size_t i = 0; i < n; i++) {
		sbuf_adds(out, ipaddr_str(&v[i]->ip));
		sbuf_addc(out, '\t');
		maps_blacklist_value(ctx->reply, v[i], out);
		sbuf_addc(out, '\n');
	}
	free(v);
}
