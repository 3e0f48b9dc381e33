// SPDX-License-Identifier: GPL-2.0
/*
 * ike_watch on canned VICI events shaped like charon 5.9's (child-updown,
 * child-rekey, ike-updown, list-sa), and the swanctl.conf generator.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ike_conf.h"
#include "ike_watch.h"
#include "tests/unit/vici_peer.h"

struct rec {
	int up, down, rekey, ike_up, ike_down;
	struct ike_child last, old_sa;
	char ike_remote[64];
	uint32_t ike_id;
};

static void on_up(void *arg, const struct ike_child *c)
{
	struct rec *r = arg;

	r->up++;
	r->last = *c;
}

static void on_down(void *arg, const struct ike_child *c)
{
	struct rec *r = arg;

	r->down++;
	r->last = *c;
}

static void on_rekey(void *arg, const struct ike_child *o,
		     const struct ike_child *n)
{
	struct rec *r = arg;

	r->rekey++;
	r->old_sa = *o;
	r->last = *n;
}

static void on_ike(void *arg, const char *name, uint32_t id, int up,
		   const char *remote)
{
	struct rec *r = arg;

	if (up)
		r->ike_up++;
	else
		r->ike_down++;
	r->ike_id = id;
	snprintf(r->ike_remote, sizeof(r->ike_remote), "%s",
		 remote ? remote : "");
}

static const struct ike_watch_ops ops = {
	.child_up = on_up,
	.child_down = on_down,
	.child_rekey = on_rekey,
	.ike_updown = on_ike,
};

struct sa_spec {
	const char *reqid, *proto, *spi_in, *spi_out, *remote_ts;
	const char *uniqueid;
	const char *state; /* NULL: INSTALLED */
};

static void child_sa(struct vici_builder *b, const char *secname,
		     const struct sa_spec *s)
{
	vici_section_begin(b, secname);
	vici_add_kv_str(b, "name", "muisp");
	if (s->uniqueid)
		vici_add_kv_str(b, "uniqueid", s->uniqueid);
	if (s->reqid)
		vici_add_kv_str(b, "reqid", s->reqid);
	vici_add_kv_str(b, "state", s->state ? s->state : "INSTALLED");
	vici_add_kv_str(b, "mode", "TUNNEL");
	if (s->proto)
		vici_add_kv_str(b, "protocol", s->proto);
	if (s->spi_in)
		vici_add_kv_str(b, "spi-in", s->spi_in);
	if (s->spi_out)
		vici_add_kv_str(b, "spi-out", s->spi_out);
	vici_add_kv_str(b, "integ-alg", "HMAC_SHA2_256_128");
	vici_add_kv_str(b, "integ-keysize", "256");
	vici_list_begin(b, "local-ts");
	vici_list_item_str(b, "0.0.0.0/0");
	vici_list_end(b);
	vici_list_begin(b, "remote-ts");
	vici_list_item_str(b, s->remote_ts);
	vici_list_end(b);
	vici_section_end(b);
}

static void ike_head(struct vici_builder *b)
{
	vici_section_begin(b, "muisp");
	vici_add_kv_str(b, "uniqueid", "7");
	vici_add_kv_str(b, "version", "2");
	vici_add_kv_str(b, "state", "ESTABLISHED");
	vici_add_kv_str(b, "local-host", "192.0.2.1");
	vici_add_kv_str(b, "remote-host", "192.0.2.10");
	vici_add_kv_str(b, "remote-id", "CN=alice.anon");
}

static struct vici_msg *updown(const char *up, const struct sa_spec *s)
{
	struct vici_builder b;
	struct vici_msg *m;

	vici_builder_init(&b);
	if (up)
		vici_add_kv_str(&b, "up", up);
	ike_head(&b);
	vici_section_begin(&b, "child-sas");
	child_sa(&b, "muisp-3", s);
	vici_section_end(&b);
	vici_section_end(&b);
	assert_int_equal(vici_builder_finish(&b), 0);
	m = vici_msg_parse(b.buf, b.len);
	assert_non_null(m);
	vici_builder_reset(&b);
	return m;
}

static const struct sa_spec alice_ah = {
	.reqid = "1",
	.proto = "AH",
	.spi_in = "c1a2b3c4",
	.spi_out = "0badf00d",
	.remote_ts = "192.0.2.10/32",
	.uniqueid = "3",
};

static void test_child_up_down(void **state)
{
	struct vici_conn *c = vici_conn_from_fd(-1);
	struct rec r = { 0 };
	struct ike_watch *w = ike_watch_new(c, &ops, &r);
	struct vici_msg *m;
	char line[512];

	m = updown("yes", &alice_ah);
	ike_watch_handle(w, "child-updown", m);
	vici_msg_free(m);
	assert_int_equal(r.up, 1);
	assert_int_equal(r.down, 0);
	assert_int_equal(r.last.reqid, 1);
	assert_int_equal(r.last.proto, IPPROTO_AH);
	assert_int_equal(r.last.tunnel, 1);
	assert_int_equal(r.last.spi_in, 0xc1a2b3c4u);
	assert_int_equal(r.last.spi_out, 0x0badf00du);
	assert_int_equal(r.last.uniqueid, 3);
	assert_int_equal(r.last.ike_uniqueid, 7);
	assert_int_equal(r.last.family, AF_INET);
	assert_int_equal(r.last.addr.v4.s_addr, inet_addr("192.0.2.10"));
	assert_string_equal(r.last.addr_str, "192.0.2.10");
	assert_string_equal(r.last.remote_id, "CN=alice.anon");
	assert_string_equal(r.last.remote_eap_id, "");
	assert_string_equal(r.last.child_name, "muisp");
	assert_string_equal(r.last.integ_alg, "HMAC_SHA2_256_128");
	assert_int_equal(r.last.integ_keysize, 256);
	ike_child_format(&r.last, line, sizeof(line));
	assert_non_null(strstr(line, "addr 192.0.2.10 reqid 1 proto AH "
				     "mode tunnel spi_in 0xc1a2b3c4 "));

	/* down: "up" absent (charon 5.9) or "no" */
	m = updown(NULL, &alice_ah);
	ike_watch_handle(w, "child-updown", m);
	vici_msg_free(m);
	m = updown("no", &alice_ah);
	ike_watch_handle(w, "child-updown", m);
	vici_msg_free(m);
	assert_int_equal(r.up, 1);
	assert_int_equal(r.down, 2);
	assert_int_equal(r.last.spi_in, 0xc1a2b3c4u);
	assert_int_equal(ike_watch_stats(w)->events, 3);
	assert_int_equal(ike_watch_stats(w)->child_up, 1);
	assert_int_equal(ike_watch_stats(w)->child_down, 2);
	assert_int_equal(ike_watch_stats(w)->malformed, 0);
	ike_watch_close(w);
}

static void test_child_v6_esp_and_fallback(void **state)
{
	struct vici_conn *c = vici_conn_from_fd(-1);
	struct rec r = { 0 };
	struct ike_watch *w = ike_watch_new(c, &ops, &r);
	struct sa_spec s = alice_ah;
	struct vici_msg *m;
	struct in6_addr a6;

	s.proto = "ESP";
	s.remote_ts = "2001:db8:1::10/128";
	m = updown("yes", &s);
	ike_watch_handle(w, "child-updown", m);
	vici_msg_free(m);
	assert_int_equal(r.up, 1);
	assert_int_equal(r.last.proto, IPPROTO_ESP);
	assert_int_equal(r.last.family, AF_INET6);
	inet_pton(AF_INET6, "2001:db8:1::10", &a6);
	assert_memory_equal(&r.last.addr.v6, &a6, sizeof(a6));

	/* a subnet TS is no client address: fall back to the IKE peer */
	s.remote_ts = "192.0.2.0/24";
	m = updown("yes", &s);
	ike_watch_handle(w, "child-updown", m);
	vici_msg_free(m);
	assert_int_equal(r.up, 2);
	assert_string_equal(r.last.addr_str, "192.0.2.10");
	ike_watch_close(w);
}

static void test_malformed(void **state)
{
	struct vici_conn *c = vici_conn_from_fd(-1);
	struct rec r = { 0 };
	struct ike_watch *w = ike_watch_new(c, &ops, &r);
	struct sa_spec bad[7];
	struct vici_msg *m;
	size_t i;

	for (i = 0; i < 7; i++)
		bad[i] = alice_ah;
	bad[0].reqid = NULL;
	bad[1].reqid = "0";
	bad[2].proto = "IPCOMP";
	bad[3].spi_in = "zz";
	bad[4].spi_out = NULL;
	bad[5].reqid = "-1";
	bad[6].uniqueid = "4294967296";
	for (i = 0; i < 7; i++) {
		m = updown("yes", &bad[i]);
		ike_watch_handle(w, "child-updown", m);
		vici_msg_free(m);
	}
	ike_watch_handle(w, "child-updown", NULL);
	ike_watch_handle(w, "log", NULL);
	m = updown("yes", &alice_ah);
	ike_watch_handle(w, "control-log", m); /* not ours */
	vici_msg_free(m);
	assert_int_equal(r.up, 0);
	assert_int_equal(r.down, 0);
	assert_int_equal(ike_watch_stats(w)->malformed, 9);
	assert_int_equal(ike_watch_stats(w)->ignored, 1);
	assert_int_equal(ike_watch_stats(w)->events, 10);
	ike_watch_close(w);
}

static void test_rekey(void **state)
{
	struct vici_conn *c = vici_conn_from_fd(-1);
	struct rec r = { 0 };
	struct ike_watch *w = ike_watch_new(c, &ops, &r);
	struct sa_spec n = alice_ah;
	struct vici_builder b;
	struct vici_msg *m;

	n.spi_in = "d00dfeed";
	n.spi_out = "cafe0001";
	n.uniqueid = "4";
	vici_builder_init(&b);
	ike_head(&b);
	vici_section_begin(&b, "child-sas");
	vici_section_begin(&b, "muisp-3");
	child_sa(&b, "old", &alice_ah);
	child_sa(&b, "new", &n);
	vici_section_end(&b);
	vici_section_end(&b);
	vici_section_end(&b);
	assert_int_equal(vici_builder_finish(&b), 0);
	m = vici_msg_parse(b.buf, b.len);
	assert_non_null(m);
	ike_watch_handle(w, "child-rekey", m);
	vici_msg_free(m);
	vici_builder_reset(&b);
	assert_int_equal(r.rekey, 1);
	assert_int_equal(r.old_sa.spi_in, 0xc1a2b3c4u);
	assert_int_equal(r.last.spi_in, 0xd00dfeedu);
	assert_int_equal(r.old_sa.reqid, r.last.reqid);
	assert_int_equal(r.last.uniqueid, 4);
	assert_string_equal(r.last.addr_str, "192.0.2.10");
	assert_int_equal(r.up + r.down, 0);
	/* the table holds the new SA in place of the old one */
	assert_int_equal(ike_watch_count(w), 1);
	{
		struct ike_child f;
		struct in_addr a;

		inet_pton(AF_INET, "192.0.2.10", &a);
		assert_int_equal(ike_watch_find(w, AF_INET, &a, &f, 1), 1);
		assert_int_equal(f.spi_in, 0xd00dfeedu);
	}
	ike_watch_close(w);
}

static void test_table(void **state)
{
	struct vici_conn *c = vici_conn_from_fd(-1);
	struct rec r = { 0 };
	struct ike_watch *w = ike_watch_new(c, &ops, &r);
	struct sa_spec mallory = alice_ah, bob = alice_ah;
	struct ike_child found[4];
	struct in_addr a;
	struct vici_msg *m;

	inet_pton(AF_INET, "192.0.2.10", &a);
	mallory.uniqueid = "9"; /* a second SA for alice's address */
	mallory.spi_in = "c0000009";
	bob.uniqueid = "5";
	bob.remote_ts = "192.0.2.11/32";
	bob.reqid = "2";
	m = updown("yes", &alice_ah);
	ike_watch_handle(w, "child-updown", m);
	vici_msg_free(m);
	m = updown("yes", &bob);
	ike_watch_handle(w, "child-updown", m);
	vici_msg_free(m);
	assert_int_equal(ike_watch_count(w), 2);
	assert_int_equal(ike_watch_find(w, AF_INET, &a, found, 4), 1);
	assert_int_equal(found[0].spi_in, 0xc1a2b3c4u);

	m = updown("yes", &mallory);
	ike_watch_handle(w, "child-updown", m);
	vici_msg_free(m);
	assert_int_equal(ike_watch_count(w), 3);
	assert_int_equal(ike_watch_find(w, AF_INET, &a, found, 1), 2);

	/* the same up twice is one entry */
	m = updown("yes", &mallory);
	ike_watch_handle(w, "child-updown", m);
	vici_msg_free(m);
	assert_int_equal(ike_watch_count(w), 3);

	m = updown("no", &mallory);
	ike_watch_handle(w, "child-updown", m);
	vici_msg_free(m);
	assert_int_equal(ike_watch_find(w, AF_INET, &a, found, 4), 1);
	assert_int_equal(found[0].uniqueid, 3);
	m = updown("no", &alice_ah);
	ike_watch_handle(w, "child-updown", m);
	vici_msg_free(m);
	assert_int_equal(ike_watch_find(w, AF_INET, &a, found, 4), 0);
	assert_int_equal(ike_watch_count(w), 1);
	/* a down for an unknown SA changes nothing */
	m = updown("no", &alice_ah);
	ike_watch_handle(w, "child-updown", m);
	vici_msg_free(m);
	assert_int_equal(ike_watch_count(w), 1);
	ike_watch_close(w);
}

static void test_ike_updown(void **state)
{
	struct vici_conn *c = vici_conn_from_fd(-1);
	struct rec r = { 0 };
	struct ike_watch *w = ike_watch_new(c, &ops, &r);
	struct vici_builder b;
	struct vici_msg *m;

	vici_builder_init(&b);
	vici_add_kv_str(&b, "up", "yes");
	ike_head(&b);
	vici_section_end(&b);
	assert_int_equal(vici_builder_finish(&b), 0);
	m = vici_msg_parse(b.buf, b.len);
	ike_watch_handle(w, "ike-updown", m);
	vici_msg_free(m);
	vici_builder_reset(&b);
	assert_int_equal(r.ike_up, 1);
	assert_int_equal(r.ike_id, 7);
	assert_string_equal(r.ike_remote, "192.0.2.10");
	ike_watch_close(w);
}

static char *gen(int (*fn)(FILE *, const void *), const void *conf, int *ret)
{
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);

	assert_non_null(fp);
	*ret = fn(fp, conf);
	fclose(fp);
	return out;
}

static int router_fn(FILE *fp, const void *c)
{
	return ike_conf_router(fp, c);
}

static int client_fn(FILE *fp, const void *c)
{
	return ike_conf_client(fp, c);
}

static void test_conf(void **state)
{
	struct ike_router_conf rc = {
		.cert = "router.pem",
		.id = "router.muisp.test",
		.local_addrs = "192.0.2.1",
		.life_time = 30,
		.rekey_time = 20,
	};
	struct ike_client_conf cc = {
		.router = "192.0.2.1",
		.router_id = "router.muisp.test",
		.cacert = "ca.pem",
		.cert = "alice.pem",
	};
	char *s;
	int r;

	s = gen(router_fn, &rc, &r);
	assert_int_equal(r, 0);
	assert_non_null(strstr(s, "\t\t\t\tah_proposals = sha256-modp2048\n"));
	assert_non_null(strstr(s, "\t\t\t\tesp_proposals = aes128gcm16"));
	assert_non_null(strstr(s, "\t\t\t\tmode = tunnel\n"));
	assert_non_null(strstr(s, "\t\t\t\tremote_ts = dynamic\n"));
	assert_non_null(strstr(s, "\t\t\t\treplay_window = 32\n"));
	assert_non_null(strstr(s, "\t\t\t\trekey_time = 20s\n"));
	assert_non_null(strstr(s, "\t\t\t\tlife_time = 30s\n"));
	assert_non_null(strstr(s, "\t\t\tid = router.muisp.test\n"));
	assert_non_null(strstr(s, "\t\tlocal_addrs = 192.0.2.1\n"));
	free(s);

	cc.privacy = 0;
	s = gen(client_fn, &cc, &r);
	assert_int_equal(r, 0);
	assert_non_null(strstr(s, "ah_proposals = sha256-modp2048\n"));
	assert_null(strstr(s, "esp_proposals"));
	assert_non_null(strstr(s, "\t\t\tcacerts = ca.pem\n"));
	assert_non_null(strstr(s, "\t\t\t\trekey_time = 3240s\n"));
	free(s);
	cc.privacy = 1;
	cc.no_rekey = 1;
	cc.life_time = 25;
	s = gen(client_fn, &cc, &r);
	assert_non_null(strstr(s, "\t\t\t\trekey_time = 0s\n"));
	assert_non_null(strstr(s, "\t\t\t\tlife_time = 25s\n"));
	assert_null(strstr(s, "ah_proposals"));
	assert_non_null(strstr(s, "esp_proposals = aes128gcm16-modp2048"));
	free(s);

	/* values that could break out of the syntax are refused */
	rc.id = "x\n}\nconnections { evil";
	s = gen(router_fn, &rc, &r);
	assert_int_equal(r, -1);
	assert_int_equal(errno, EINVAL);
	assert_string_equal(s, "");
	free(s);
	rc.id = "router.muisp.test";
	rc.cert = NULL;
	s = gen(router_fn, &rc, &r);
	assert_int_equal(r, -1);
	free(s);
	cc.router = "1.2.3.4 # x";
	s = gen(client_fn, &cc, &r);
	assert_int_equal(r, -1);
	free(s);
}

static int strongswan_fn(FILE *fp, const void *c)
{
	return ike_conf_strongswan(fp, c);
}

/* Devices without muisp-client: the EAP connection and its pool. */
static void test_conf_eap(void **state)
{
	struct ike_router_conf rc = {
		.cert = "router.pem",
		.id = "router.muisp.test",
		.local_addrs = "192.0.2.1",
	};
	struct ike_strongswan_conf sc = { .vici_socket = "/run/c.vici" };
	char *s;
	int r;

	s = gen(router_fn, &rc, &r);
	assert_int_equal(r, 0);
	assert_null(strstr(s, "eap"));
	assert_null(strstr(s, "pools"));
	free(s);
	rc.eap_pool = "192.0.2.224/27";
	rc.eap_dns = "192.0.2.1";
	s = gen(router_fn, &rc, &r);
	assert_int_equal(r, 0);
	assert_non_null(strstr(s, "\tmuisp-eap {\n"));
	assert_non_null(strstr(s, "\t\tpools = muisp-eap\n"));
	assert_non_null(strstr(s, "\t\t\tauth = eap-mschapv2\n"
				  "\t\t\teap_id = %any\n"));
	assert_non_null(strstr(s, "\t\tproposals = " IKE_EAP_PROPOSALS "\n"));
	assert_non_null(strstr(s, "esp_proposals = " IKE_EAP_ESP_PROPOSALS));
	assert_non_null(strstr(s, "pools {\n\tmuisp-eap {\n"
				  "\t\taddrs = 192.0.2.224/27\n"
				  "\t\tdns = 192.0.2.1\n"));
	/* ESP only on the EAP connection: no AH proposal after it */
	assert_null(strstr(strstr(s, "\tmuisp-eap {"), "ah_proposals"));
	/* Windows' default (3DES, SHA-1, MODP-1024) is not offered */
	assert_null(strstr(s, "3des"));
	assert_null(strstr(s, "modp1024"));
	free(s);
	rc.eap_pool = "192.0.2.224/27\n}";
	s = gen(router_fn, &rc, &r);
	assert_int_equal(r, -1);
	free(s);
	rc.eap_pool = NULL; /* a DNS server without a pool */
	s = gen(router_fn, &rc, &r);
	assert_int_equal(r, -1);
	free(s);

	s = gen(strongswan_fn, &sc, &r);
	assert_int_equal(r, 0);
	assert_null(strstr(s, "eap-mschapv2"));
	free(s);
	sc.eap = 1;
	s = gen(strongswan_fn, &sc, &r);
	assert_int_equal(r, 0);
	assert_non_null(strstr(s, " vici " IKE_EAP_PLUGINS "\n"));
	free(s);
}

/* Roamers: NAME-eap-roam under its own router identity, and charon's
 * eap-radius with muispd's relay as its one server. */
static void test_conf_eap_roam(void **state)
{
	struct ike_router_conf rc = {
		.cert = "router.pem",
		.id = "router.muisp.test",
		.eap_pool = "192.0.2.224/27",
	};
	struct ike_strongswan_conf sc = { .vici_socket = "/run/c.vici",
					  .eap = 1 };
	const char *roam;
	char *s;
	int r;

	s = gen(router_fn, &rc, &r);
	assert_int_equal(r, 0);
	assert_null(strstr(s, "eap-roam"));
	assert_null(strstr(s, "eap-radius"));
	free(s);
	rc.eap_roam_id = "roam.muisp.test";
	s = gen(router_fn, &rc, &r);
	assert_int_equal(r, 0);
	/* the voucher connection unchanged, the roam one after it */
	assert_non_null(strstr(s, "\t\t\tauth = eap-mschapv2\n"));
	roam = strstr(s, "\tmuisp-eap-roam {\n");
	assert_non_null(roam);
	assert_true(strstr(s, "\tmuisp-eap {\n") < roam);
	assert_non_null(strstr(roam, "\t\tpools = muisp-eap\n"
				     "\t\tsend_cert = always\n"));
	assert_non_null(strstr(roam, "\t\t\tcerts = router.pem\n"
				     "\t\t\tid = roam.muisp.test\n"));
	assert_non_null(strstr(roam, "\t\t\tauth = eap-radius\n"
				     "\t\t\teap_id = %any\n"));
	assert_non_null(strstr(roam, "\t\t\tmuisp-eap-roam {\n"
				     "\t\t\t\tmode = tunnel\n"));
	assert_null(strstr(roam, "ah_proposals"));
	assert_null(strstr(roam, "eap-mschapv2"));
	free(s);
	rc.eap_roam_cert = "roam.pem"; /* a certificate of its own */
	s = gen(router_fn, &rc, &r);
	assert_int_equal(r, 0);
	roam = strstr(s, "\tmuisp-eap-roam {\n");
	assert_non_null(roam);
	assert_non_null(strstr(roam, "\t\t\tcerts = roam.pem\n"
				     "\t\t\tid = roam.muisp.test\n"));
	assert_non_null(strstr(s, "\t\t\tcerts = router.pem\n"
				  "\t\t\tid = router.muisp.test\n"));
	free(s);
	rc.eap_roam_cert = NULL;
	rc.eap_roam_id = "roam\n}";
	s = gen(router_fn, &rc, &r);
	assert_int_equal(r, -1);
	free(s);
	rc.eap_roam_id = "roam.muisp.test";
	rc.eap_pool = NULL; /* roamers need the pool too */
	s = gen(router_fn, &rc, &r);
	assert_int_equal(r, -1);
	free(s);

	sc.eap_radius = "127.0.0.1:18120";
	sc.eap_radius_secret = "s3cret-x";
	s = gen(strongswan_fn, &sc, &r);
	assert_int_equal(r, 0);
	assert_non_null(strstr(s, " " IKE_EAP_PLUGINS " eap-radius\n"));
	assert_non_null(strstr(s, "\t\teap-radius {\n"));
	assert_non_null(strstr(s, "\t\t\taccounting = no\n"));
	assert_non_null(strstr(s, "\t\t\t\t\taddress = 127.0.0.1\n"
				  "\t\t\t\t\tauth_port = 18120\n"
				  "\t\t\t\t\tsecret = \"s3cret-x\"\n"));
	assert_non_null(strstr(s, "\t\t\t\tenable = no\n"));
	free(s);
	sc.eap_radius = "[::1]:1812";
	s = gen(strongswan_fn, &sc, &r);
	assert_int_equal(r, 0);
	assert_non_null(
		strstr(s, "address = ::1\n\t\t\t\t\tauth_port = 1812\n"));
	free(s);
	/* refused: no port, a port out of range, a secret that could end
	 * the quoted string */
	static const char *const bad[] = { "127.0.0.1", "127.0.0.1:0",
					   "127.0.0.1:65536", ":1812",
					   "127.0.0.1:18x" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sc.eap_radius = bad[i];
		s = gen(strongswan_fn, &sc, &r);
		assert_int_equal(r, -1);
		free(s);
	}
	sc.eap_radius = "127.0.0.1:18120";
	sc.eap_radius_secret = "a\"b";
	s = gen(strongswan_fn, &sc, &r);
	assert_int_equal(r, -1);
	free(s);
}

/* An event NAME ("up" = UP unless NULL) for IKE_SA muisp with the N
 * CHILD_SAs given. */
static void sa_event(int fd, const char *name, const char *up,
		     const struct sa_spec *sas, size_t n)
{
	struct vici_builder b;

	vici_builder_init(&b);
	if (up)
		vici_add_kv_str(&b, "up", up);
	ike_head(&b);
	vici_section_begin(&b, "child-sas");
	for (size_t i = 0; i < n; i++) {
		char sec[32];

		snprintf(sec, sizeof(sec), "muisp-%s", sas[i].uniqueid);
		child_sa(&b, sec, &sas[i]);
	}
	vici_section_end(&b);
	vici_section_end(&b);
	assert_int_equal(vici_builder_finish(&b), 0);
	frame_out(fd, VICI_EVENT, name, &b);
	vici_builder_reset(&b);
}

/* charon's side of one ike_watch_child_listed(): confirm the list-sa
 * registration, list the IKE_SA with the CHILD_SAs given (none: the IKE_SA
 * is gone), answer the command, confirm the unregistration. */
static void charon_lists(int fd, const struct sa_spec *sas, size_t n)
{
	frame_out(fd, VICI_EVENT_CONFIRM, NULL, NULL);
	if (n)
		sa_event(fd, "list-sa", NULL, sas, n);
	frame_out(fd, VICI_CMD_RESPONSE, NULL, NULL);
	frame_out(fd, VICI_EVENT_CONFIRM, NULL, NULL);
}

/* What the watcher sent for one probe: register list-sa, list-sas with
 * ike-id, unregister list-sa. */
static void assert_probe_sent(int fd, const char *ike_id)
{
	uint8_t buf[1024];
	size_t off = 0;
	ssize_t n = read(fd, buf, sizeof(buf));
	int types[3], i = 0;

	assert_true(n > 0);
	while (off + 4 <= (size_t)n && i < 3) {
		uint32_t len = (uint32_t)buf[off] << 24 |
			       (uint32_t)buf[off + 1] << 16 |
			       (uint32_t)buf[off + 2] << 8 | buf[off + 3];
		struct vici_packet pkt;

		assert_true(off + 4 + len <= (size_t)n);
		assert_int_equal(vici_packet_decode(buf + off + 4, len, &pkt),
				 0);
		types[i++] = pkt.type;
		if (pkt.type == VICI_CMD_REQUEST) {
			struct vici_msg *m =
				vici_msg_parse(pkt.msg, pkt.msglen);

			assert_string_equal(pkt.name, "list-sas");
			assert_non_null(m);
			assert_string_equal(vici_find_str(&m->root, "ike-id"),
					    ike_id);
			/* blocking: a busy IKE_SA is not skipped */
			assert_null(vici_find_str(&m->root, "noblock"));
			vici_msg_free(m);
		} else {
			assert_string_equal(pkt.name, "list-sa");
		}
		off += 4 + len;
	}
	assert_int_equal(off, (size_t)n);
	assert_int_equal(i, 3);
	assert_int_equal(types[0], VICI_EVENT_REGISTER);
	assert_int_equal(types[1], VICI_CMD_REQUEST);
	assert_int_equal(types[2], VICI_EVENT_UNREGISTER);
}

/* ike_watch_child_listed: the old SA of a rekey lingers (DELETED) until
 * charon destroys it without an event; the daemon asks. */
static void test_child_listed(void **state)
{
	struct sa_spec old = alice_ah, new = alice_ah, reused = alice_ah;
	struct rec r = { 0 };
	struct ike_watch *w;
	struct vici_conn *c;
	int sv[2];

	old.state = "DELETED";
	new.uniqueid = "4";
	new.spi_in = "d00dfeed";
	reused.spi_in = "0000beef"; /* id 3 again, another SA */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	c = vici_conn_from_fd(sv[0]);
	c->timeout_ms = 2000;
	w = ike_watch_new(c, &ops, &r);

	{
		struct sa_spec both[2] = { old, new };

		charon_lists(sv[1], both, 2);
	}
	assert_int_equal(ike_watch_child_listed(w, 7, 3, 0xc1a2b3c4u), 1);
	assert_probe_sent(sv[1], "7");
	/* the listing is no sync: no up events, nothing in the table */
	assert_int_equal(r.up, 0);
	assert_int_equal(ike_watch_count(w), 0);

	charon_lists(sv[1], &new, 1);
	assert_int_equal(ike_watch_child_listed(w, 7, 3, 0xc1a2b3c4u), 0);
	assert_probe_sent(sv[1], "7");

	charon_lists(sv[1], NULL, 0); /* IKE_SA gone */
	assert_int_equal(ike_watch_child_listed(w, 7, 3, 0xc1a2b3c4u), 0);
	assert_probe_sent(sv[1], "7");

	/* a restarted charon reuses unique ids: the SPI must match too */
	charon_lists(sv[1], &reused, 1);
	assert_int_equal(ike_watch_child_listed(w, 7, 3, 0xc1a2b3c4u), 0);
	assert_probe_sent(sv[1], "7");

	/* an event arriving meanwhile is handled as usual */
	frame_out(sv[1], VICI_EVENT_CONFIRM, NULL, NULL);
	sa_event(sv[1], "child-updown", "yes", &new, 1);
	frame_out(sv[1], VICI_CMD_RESPONSE, NULL, NULL);
	frame_out(sv[1], VICI_EVENT_CONFIRM, NULL, NULL);
	assert_int_equal(ike_watch_child_listed(w, 7, 3, 0xc1a2b3c4u), 0);
	assert_int_equal(r.up, 1);
	assert_int_equal(r.last.spi_in, 0xd00dfeedu);
	assert_int_equal(ike_watch_count(w), 1);
	assert_probe_sent(sv[1], "7");

	/* charon gone */
	close(sv[1]);
	assert_int_equal(ike_watch_child_listed(w, 7, 3, 0xc1a2b3c4u), -1);
	ike_watch_close(w);
}

/* ---- asynchronous operations ------------------------------------------ */

/* Results of done callbacks, in order; optionally closes the watcher in
 * the CLOSE_AT-th one. */
struct done_log {
	struct ike_watch *w;
	int n, close_at;
	int res[8], syncing[8];
};

static void on_done_log(void *arg, int result)
{
	struct done_log *d = arg;

	assert_true(d->n < 8);
	d->syncing[d->n] = ike_watch_syncing(d->w);
	d->res[d->n++] = result;
	if (d->close_at == d->n)
		ike_watch_close(d->w);
}

static struct ike_watch *watch_pair(int *peer, struct rec *r,
				    struct done_log *d)
{
	struct ike_watch *w;

	memset(r, 0, sizeof(*r));
	w = ike_watch_new(conn_pair(peer), &ops, r);
	assert_non_null(w);
	memset(d, 0, sizeof(*d));
	d->w = w;
	return w;
}

/* What the watcher sent for one listing: register list-sa, list-sas
 * (filtered by IKE_ID, or not when NULL), unregister list-sa. */
static void expect_listing(int fd, const char *ike_id)
{
	struct vici_packet pkt;
	struct vici_msg *m;
	uint8_t buf[4096];

	expect_in(fd, VICI_EVENT_REGISTER, "list-sa");
	assert_int_equal(frame_in(fd, &pkt, buf, sizeof(buf)),
			 VICI_CMD_REQUEST);
	assert_string_equal(pkt.name, "list-sas");
	m = vici_msg_parse(pkt.msg, pkt.msglen);
	assert_non_null(m);
	if (ike_id)
		assert_string_equal(vici_find_str(&m->root, "ike-id"), ike_id);
	else
		assert_null(m->root.child);
	vici_msg_free(m);
	expect_in(fd, VICI_EVENT_UNREGISTER, "list-sa");
}

static const struct sa_spec bob_ah = {
	.reqid = "2",
	.proto = "AH",
	.spi_in = "c0000005",
	.spi_out = "0badf005",
	.remote_ts = "192.0.2.11/32",
	.uniqueid = "5",
};

/* A sync reports the INSTALLED SAs listed; an event arriving in the
 * middle is handled as usual; DONE gets the count. */
static void test_sync_async(void **state)
{
	struct sa_spec rekeyed = alice_ah;
	struct done_log d;
	struct ike_watch *w;
	struct rec r;
	int peer;

	rekeyed.uniqueid = "8";
	rekeyed.state = "REKEYED";
	w = watch_pair(&peer, &r, &d);
	assert_int_equal(ike_watch_sync_async(w, on_done_log, &d), 0);
	assert_true(ike_watch_syncing(w));
	assert_int_equal(d.n, 0);

	frame_out(peer, VICI_EVENT_CONFIRM, NULL, NULL);
	{
		struct sa_spec listed[2] = { alice_ah, rekeyed };

		sa_event(peer, "list-sa", NULL, listed, 2);
	}
	sa_event(peer, "child-updown", "yes", &bob_ah, 1);
	frame_out(peer, VICI_CMD_RESPONSE, NULL, NULL);
	frame_out(peer, VICI_EVENT_CONFIRM, NULL, NULL);

	assert_int_equal(ike_watch_process(w, POLLIN), 2);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.res[0], 1);	   /* alice; not the REKEYED */
	assert_int_equal(d.syncing[0], 0); /* over when DONE runs */
	assert_int_equal(r.up, 2);	   /* alice and bob's event */
	assert_int_equal(ike_watch_count(w), 2);
	assert_false(ike_watch_syncing(w));
	assert_int_equal(ike_watch_stats(w)->ignored, 0);
	expect_listing(peer, NULL);
	assert_quiet(peer);
	ike_watch_close(w);
	close(peer);
}

/* Probes and a sync queued back to back: each listing's list-sa events go
 * to its own operation, and the results come in order. */
static void test_ops_queued(void **state)
{
	struct sa_spec both[2] = { alice_ah, bob_ah };
	struct done_log d;
	struct ike_watch *w;
	struct rec r;
	int peer;

	w = watch_pair(&peer, &r, &d);
	assert_int_equal(ike_watch_child_listed_async(w, 7, 3, 0xc1a2b3c4u,
						      on_done_log, &d),
			 0);
	assert_int_equal(ike_watch_child_listed_async(w, 7, 3, 0xc1a2b3c4u,
						      on_done_log, &d),
			 0);
	assert_int_equal(ike_watch_sync_async(w, on_done_log, &d), 0);
	assert_int_equal(ike_watch_child_listed_async(w, 9, 5, 0xc0000005u,
						      on_done_log, &d),
			 0);
	charon_lists(peer, &alice_ah, 1); /* first probe: listed */
	charon_lists(peer, NULL, 0);	  /* second: IKE_SA gone */
	charon_lists(peer, both, 2);	  /* the sync */
	charon_lists(peer, &alice_ah, 1); /* bob's SA is not there */
	assert_int_equal(ike_watch_process(w, POLLIN), 3);
	assert_int_equal(d.n, 4);
	assert_int_equal(d.res[0], 1);
	assert_int_equal(d.res[1], 0);
	assert_int_equal(d.res[2], 2);
	assert_int_equal(d.res[3], 0);
	assert_int_equal(d.syncing[0], 1); /* the sync was still queued */
	assert_int_equal(d.syncing[3], 0);
	assert_int_equal(r.up, 2); /* from the sync only */
	expect_listing(peer, "7");
	expect_listing(peer, "7");
	expect_listing(peer, NULL);
	expect_listing(peer, "9");
	assert_quiet(peer);
	ike_watch_close(w);
	close(peer);
}

/* charon goes away with operations queued: each fails with -EPIPE. */
static void test_ops_lost(void **state)
{
	struct done_log d;
	struct ike_watch *w;
	struct rec r;
	int peer;

	w = watch_pair(&peer, &r, &d);
	assert_int_equal(
		ike_watch_child_listed_async(w, 7, 3, 1, on_done_log, &d), 0);
	assert_int_equal(ike_watch_sync_async(w, on_done_log, &d), 0);
	expect_in(peer, VICI_EVENT_REGISTER, "list-sa");
	close(peer);
	assert_int_equal(ike_watch_process(w, POLLIN | POLLHUP), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.res[0], -EPIPE);
	assert_int_equal(d.res[1], -EPIPE);
	assert_false(ike_watch_syncing(w));
	assert_int_equal(ike_watch_events(w), 0);
	assert_int_equal(ike_watch_sync_async(w, on_done_log, &d), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(d.n, 2);
	ike_watch_close(w);
}

/* A probe charon never answers: the caller's timer fails it, nothing
 * blocks (the clock is passed in). */
static void test_ops_timeout(void **state)
{
	struct done_log d;
	struct ike_watch *w;
	struct rec r;
	uint64_t dl;
	int peer;

	w = watch_pair(&peer, &r, &d);
	assert_int_equal(ike_watch_next_deadline(w), 0);
	assert_int_equal(
		ike_watch_child_listed_async(w, 7, 3, 1, on_done_log, &d), 0);
	dl = ike_watch_next_deadline(w);
	assert_true(dl > 0);
	assert_int_equal(ike_watch_expire(w, dl - 1), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(ike_watch_expire(w, dl), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.res[0], -ETIMEDOUT);
	ike_watch_close(w);
	close(peer);
}

/* list-sas unknown to charon, list-sa registration refused: -ENOENT. */
static void test_ops_refused(void **state)
{
	struct done_log d;
	struct ike_watch *w;
	struct rec r;
	int peer;

	w = watch_pair(&peer, &r, &d);
	assert_int_equal(ike_watch_sync_async(w, on_done_log, &d), 0);
	assert_int_equal(ike_watch_sync_async(w, on_done_log, &d), 0);
	frame_out(peer, VICI_EVENT_CONFIRM, NULL, NULL);
	frame_out(peer, VICI_CMD_UNKNOWN, NULL, NULL);
	frame_out(peer, VICI_EVENT_CONFIRM, NULL, NULL);
	frame_out(peer, VICI_EVENT_UNKNOWN, NULL, NULL);
	frame_out(peer, VICI_CMD_RESPONSE, NULL, NULL);
	frame_out(peer, VICI_EVENT_UNKNOWN, NULL, NULL);
	assert_int_equal(ike_watch_process(w, POLLIN), 0);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.res[0], -ENOENT);
	assert_int_equal(d.res[1], -ENOENT);
	ike_watch_close(w);
	close(peer);
}

/* Closing the watcher from a done callback or from child_up: nothing runs
 * after it, the call returns 0, and nothing is used after free. */
static void on_up_close(void *arg, const struct ike_child *c)
{
	struct done_log *d = arg;

	d->res[d->n++] = (int)c->uniqueid;
	ike_watch_close(d->w);
}

static void test_close_in_callbacks(void **state)
{
	static const struct ike_watch_ops close_ops = {
		.child_up = on_up_close,
	};
	struct sa_spec both[2] = { alice_ah, bob_ah };
	struct done_log d;
	struct ike_watch *w;
	struct rec r;
	int peer;

	w = watch_pair(&peer, &r, &d);
	d.close_at = 1;
	assert_int_equal(ike_watch_child_listed_async(w, 7, 3, 0xc1a2b3c4u,
						      on_done_log, &d),
			 0);
	assert_int_equal(ike_watch_sync_async(w, on_done_log, &d), 0);
	charon_lists(peer, &alice_ah, 1);
	charon_lists(peer, both, 2);
	assert_int_equal(ike_watch_process(w, POLLIN), 0);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.res[0], 1);
	assert_int_equal(r.up, 0); /* the sync never ran */
	close(peer);

	/* child_up of the first listed SA closes */
	memset(&d, 0, sizeof(d));
	w = ike_watch_new(conn_pair(&peer), &close_ops, &d);
	d.w = w;
	assert_int_equal(ike_watch_sync_async(w, on_done_log, &d), 0);
	charon_lists(peer, both, 2);
	assert_int_equal(ike_watch_process(w, POLLIN), 0);
	assert_int_equal(d.n, 1); /* one child_up, no DONE */
	assert_int_equal(d.res[0], 3);
	close(peer);
}

/* Blocking from a callback is refused (the loop would stall). */
static void on_up_blocks(void *arg, const struct ike_child *c)
{
	struct done_log *d = arg;

	assert_int_equal(ike_watch_sync(d->w), -1);
	assert_int_equal(errno, EDEADLK);
	assert_int_equal(ike_watch_child_listed(d->w, 7, 3, 1), -1);
	assert_int_equal(errno, EDEADLK);
	assert_int_equal(ike_watch_process(d->w, POLLIN), -1);
	assert_int_equal(errno, EDEADLK);
	assert_int_equal(ike_watch_expire(d->w, UINT64_MAX), -1);
	assert_int_equal(errno, EDEADLK);
	/* starting an operation is fine */
	assert_int_equal(
		ike_watch_child_listed_async(d->w, 7, 3, 1, on_done_log, d), 0);
	d->n++;
}

static void test_no_blocking_in_callbacks(void **state)
{
	static const struct ike_watch_ops block_ops = {
		.child_up = on_up_blocks,
	};
	struct done_log d = { 0 };
	struct vici_msg *m;
	int peer;

	d.w = ike_watch_new(conn_pair(&peer), &block_ops, &d);
	m = updown("yes", &alice_ah);
	ike_watch_handle(d.w, "child-updown", m);
	vici_msg_free(m);
	assert_int_equal(d.n, 1);
	expect_in(peer, VICI_EVENT_REGISTER, "list-sa");
	assert_quiet(peer);
	ike_watch_close(d.w);
	close(peer);
}

/* ike_watch_open_async: connects at once, registers the three events one
 * after the other, READY says how it went. */
static void test_open_async(void **state)
{
	static const char *const evs[] = {
		"ike-updown",
		"child-updown",
		"child-rekey",
	};
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/test_ike_watch.XXXXXX";
	struct done_log d = { 0 };
	struct rec r = { 0 };
	int l, a, round;

	assert_non_null(mkdtemp(dir));
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/charon.vici", dir);
	assert_null(
		ike_watch_open_async(sun.sun_path, &ops, &r, on_done_log, &d));
	assert_int_equal(errno, ENOENT);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(l, 4), 0);

	/* round 0: all confirmed; round 1: child-updown unknown */
	for (round = 0; round < 2; round++) {
		memset(&d, 0, sizeof(d));
		d.w = ike_watch_open_async(sun.sun_path, &ops, &r, on_done_log,
					   &d);
		assert_non_null(d.w);
		a = accept(l, NULL, NULL);
		assert_true(a >= 0);
		for (size_t i = 0; i < 3; i++) {
			expect_in(a, VICI_EVENT_REGISTER, evs[i]);
			assert_quiet(a);
			assert_int_equal(d.n, 0);
			frame_out(a,
				  round && i == 1 ? VICI_EVENT_UNKNOWN :
						    VICI_EVENT_CONFIRM,
				  NULL, NULL);
			assert_int_equal(ike_watch_process(d.w, POLLIN), 0);
		}
		assert_int_equal(d.n, 1);
		assert_int_equal(d.res[0], round ? -ENOENT : 0);
		ike_watch_close(d.w);
		close(a);
	}
	close(l);
	unlink(sun.sun_path);
	rmdir(dir);
}

/* The blocking ike_watch_open and ike_watch_sync against a charon in a
 * child process that answers every request and reports how many it got
 * (3 registrations, then register, list-sas, unregister). */
static void test_open_blocking(void **state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/test_ike_watch.XXXXXX";
	struct rec r = { 0 };
	struct ike_watch *w;
	int l, status;
	pid_t pid;

	assert_non_null(mkdtemp(dir));
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/charon.vici", dir);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(l, 1), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* no cmocka asserts in here: exit with a status instead */
		int a = accept(l, NULL, NULL), n = 0;
		struct vici_packet pkt;
		uint8_t hdr[4], buf[4096], *f;
		size_t len, flen;

		/* answer each request as it comes, until the client closes */
		while (a >= 0 && recv(a, hdr, 4, MSG_WAITALL) == 4) {
			len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 |
			      (size_t)hdr[2] << 8 | hdr[3];
			if (len > sizeof(buf) ||
			    recv(a, buf, len, MSG_WAITALL) != (ssize_t)len ||
			    vici_packet_decode(buf, len, &pkt) < 0 ||
			    vici_packet_encode(pkt.type == VICI_CMD_REQUEST ?
						       VICI_CMD_RESPONSE :
						       VICI_EVENT_CONFIRM,
					       NULL, NULL, 0, &f, &flen) < 0)
				_exit(100);
			if (write(a, f, flen) != (ssize_t)flen)
				_exit(101);
			free(f);
			n++;
		}
		_exit(n);
	}
	close(l);
	w = ike_watch_open(sun.sun_path, &ops, &r);
	assert_non_null(w);
	assert_int_equal(ike_watch_sync(w), 0);
	ike_watch_close(w);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 6);
	unlink(sun.sun_path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_child_up_down),
		cmocka_unit_test(test_child_v6_esp_and_fallback),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_rekey),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_ike_updown),
		cmocka_unit_test(test_child_listed),
		cmocka_unit_test(test_sync_async),
		cmocka_unit_test(test_ops_queued),
		cmocka_unit_test(test_ops_lost),
		cmocka_unit_test(test_ops_timeout),
		cmocka_unit_test(test_ops_refused),
		cmocka_unit_test(test_close_in_callbacks),
		cmocka_unit_test(test_no_blocking_in_callbacks),
		cmocka_unit_test(test_open_async),
		cmocka_unit_test(test_open_blocking),
		cmocka_unit_test(test_conf),
		cmocka_unit_test(test_conf_eap),
		cmocka_unit_test(test_conf_eap_roam),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
