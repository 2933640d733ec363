/*
 * check_syncml.c: unit tests of core/syncml_parse.c and core/syncml_emit.c.
 * - every SyncML sample of ../shared/reference/samples (and recorded/)
 *   parses, or fails cleanly when it is not well-formed or not SyncML;
 *   chosen fields of real messages are checked value by value;
 * - liberal parsing: any order, Meta with/without metinf or MetInf, no
 *   namespace, comments, missing CmdID, unknown commands, XML payloads;
 * - hostile input: truncation, billion laughs, external entities, deep
 *   nesting, garbage, oversize, empty, wrong root; each fails fast;
 * - the writer: DTD order checked with XPath, byte-exact values through a
 *   parse round trip, CmdID numbering, size bound, undo, refusals, speed.
 * Samples are found through $LUADM_SHARED, else LUADM_SOURCE_DIR/../shared.
 */
#include <check.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "syncml.h"
#include "testutil.h"

#ifndef LUADM_SOURCE_DIR
#define LUADM_SOURCE_DIR "."
#endif

/* ---- helpers ---- */

static int	xasprintf(char **, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* asprintf(), which _DEFAULT_SOURCE does not declare. */
static int
xasprintf(char **out, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(n, 0);
	*out = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(*out);
	va_start(ap, fmt);
	vsnprintf(*out, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return n;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The path of a file under reference/samples; free it. */
static char *
sample_path(const char *rel)
{
	const char *shared = getenv("LUADM_SHARED");
	char *p;
	int n;

	if (shared != NULL && *shared != '\0')
		n = xasprintf(&p, "%s/reference/samples/%s", shared, rel);
	else
		n = xasprintf(&p, "%s/../shared/reference/samples/%s",
		    LUADM_SOURCE_DIR, rel);
	ck_assert_int_ge(n, 0);
	return p;
}

static char *
sample(const char *rel, size_t *lenp)
{
	char *p = sample_path(rel);
	char *buf = testutil_slurp(p, lenp);

	free(p);
	return buf;
}

/* Parses a sample that must be accepted. */
static struct syncml_msg *
parse_sample(const char *rel)
{
	char err[SYNCML_ERRLEN] = "";
	struct syncml_msg *m;
	size_t len;
	char *buf;

	buf = sample(rel, &len);
	m = syncml_parse(buf, len, NULL, err, sizeof(err));
	ck_assert_msg(m != NULL, "%s: %s", rel, err);
	free(buf);
	return m;
}

static struct syncml_msg *
parse_ok(const char *s)
{
	char err[SYNCML_ERRLEN] = "";
	struct syncml_msg *m;

	m = syncml_parse(s, strlen(s), NULL, err, sizeof(err));
	ck_assert_msg(m != NULL, "refused: %s", err);
	return m;
}

/* Parses what must be refused; the message must contain want. */
static void
parse_bad_n(const char *s, size_t len, const struct syncml_limits *lim,
    const char *want)
{
	char err[SYNCML_ERRLEN] = "";
	struct syncml_msg *m;

	m = syncml_parse(s, len, lim, err, sizeof(err));
	if (m != NULL)
		syncml_msg_free(m);
	ck_assert_msg(m == NULL, "accepted, wanted \"%s\"", want);
	ck_assert_msg(strstr(err, want) != NULL, "error \"%s\", wanted \"%s\"",
	    err, want);
	ck_assert_ptr_null(strchr(err, '\n'));
}

static void
parse_bad(const char *s, const char *want)
{
	parse_bad_n(s, strlen(s), NULL, want);
}

#define HDR12 \
	"<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr><VerDTD>1.2</VerDTD>" \
	"<VerProto>DM/1.2</VerProto><SessionID>1</SessionID>" \
	"<MsgID>1</MsgID><Target><LocURI>dev</LocURI></Target>" \
	"<Source><LocURI>https://srv/</LocURI></Source></SyncHdr>"

/* ---- the reference samples ---- */

struct expect_bad {
	const char	*name;
	const char	*err;
};

/* Samples that must be refused, and why. All others must parse. */
static const struct expect_bad bad_samples[] = {
	/* typographic quotes around attribute values: not well-formed */
	{ "omadm_protocol_v12_s2_4_auth_basic_msg2_server_407_chal.xml",
	    "XML error at line 19" },
	{ "omadm_protocol_v12_s2_4_auth_basic_msg3_client_cred.xml",
	    "XML error at line 11" },
	{ "omadm_protocol_v12_s2_4_auth_md5_msg1_client_cred.xml",
	    "XML error at line 14" },
	{ "omadm_protocol_v12_s2_4_auth_md5_msg2_server_212_nextnonce.xml",
	    "XML error at line 20" },
	{ "msmde2_v20260126_s2.2.9.1_wap-provisioningdoc_user_context.xml",
	    "not a SyncML message: root element <wap-provisioningdoc>" },
	{ "06-fleet-atomic-command-uuid-cmdids.xml",
	    "not a SyncML message: root element <Atomic>" }
};

static size_t
parse_dir(const char *sub, size_t *nbad)
{
	char err[SYNCML_ERRLEN];
	struct dirent *de;
	struct syncml_msg *m;
	const char *want;
	size_t n = 0, len, i, nl;
	char *dir, *path, *buf;
	DIR *d;

	dir = sample_path(sub);
	d = opendir(dir);
	ck_assert_msg(d != NULL, "cannot open %s", dir);
	while ((de = readdir(d)) != NULL) {
		nl = strlen(de->d_name);
		if (nl < 4 || strcmp(de->d_name + nl - 4, ".xml") != 0)
			continue;
		ck_assert_int_ge(xasprintf(&path, "%s/%s", dir, de->d_name), 0);
		buf = testutil_slurp(path, &len);
		want = NULL;
		for (i = 0; i < sizeof(bad_samples) / sizeof(*bad_samples);
		    i++)
			if (strcmp(bad_samples[i].name, de->d_name) == 0)
				want = bad_samples[i].err;
		err[0] = '\0';
		m = syncml_parse(buf, len, NULL, err, sizeof(err));
		if (want == NULL) {
			ck_assert_msg(m != NULL, "%s: %s", de->d_name, err);
			ck_assert_ptr_nonnull(m->hdr.ver_dtd);
			ck_assert_str_eq(m->hdr.ver_dtd, "1.2");
		} else {
			ck_assert_msg(m == NULL, "%s accepted", de->d_name);
			ck_assert_msg(strstr(err, want) != NULL,
			    "%s: \"%s\", wanted \"%s\"", de->d_name, err,
			    want);
			(*nbad)++;
		}
		syncml_msg_free(m);
		free(buf);
		free(path);
		n++;
	}
	closedir(d);
	free(dir);
	return n;
}

START_TEST(test_all_samples)
{
	size_t n, nbad = 0;

	n = parse_dir("", &nbad);
	n += parse_dir("recorded", &nbad);
	ck_assert_uint_ge(n, 45);
	ck_assert_uint_eq(nbad, sizeof(bad_samples) / sizeof(*bad_samples));
}
END_TEST

START_TEST(test_recorded_01_pkg1)
{
	struct syncml_msg *m;
	struct syncml_cmd *c;

	m = parse_sample("recorded/01-win10-vmware-pkg1-client-init.xml");
	ck_assert_int_eq(m->ns, SYNCML_NS_12);
	ck_assert_str_eq(m->hdr.ver_proto, "DM/1.2");
	ck_assert_str_eq(m->hdr.session_id, "1");
	ck_assert_str_eq(m->hdr.msg_id, "1");
	ck_assert_str_eq(m->hdr.target_uri,
	    "https://windows.fleetdm.ngrok.io/ManagementServer/MDM.svc");
	ck_assert_str_eq(m->hdr.source_uri, "B5B954E81FBCB94EB79BD08BE625F4EE");
	ck_assert_ptr_null(m->hdr.source_name);
	ck_assert_ptr_null(m->hdr.cred);
	ck_assert_int_eq(m->hdr.meta.max_msg_size, -1);
	ck_assert_int_eq(m->final, 1);
	ck_assert_uint_eq(m->ncmds, 3);

	c = &m->cmds[0];
	ck_assert_int_eq(c->kind, SYNCML_CMD_ALERT);
	ck_assert_str_eq(c->name, "Alert");
	ck_assert_int_eq(c->has_cmd_id, 1);
	ck_assert_str_eq(c->cmd_id, "2");
	ck_assert_str_eq(c->data, "1201");
	ck_assert_int_eq(c->code, 1201);
	ck_assert_uint_eq(c->nitems, 0);
	ck_assert_uint_eq(c->line, 16);

	c = &m->cmds[1];
	ck_assert_int_eq(c->code, 1224);
	ck_assert_uint_eq(c->nitems, 1);
	ck_assert_str_eq(c->items[0].meta.type,
	    "com.microsoft/MDM/LoginStatus");
	ck_assert_str_eq(c->items[0].data, "user");
	ck_assert_uint_eq(c->items[0].data_len, 4);

	c = &m->cmds[2];
	ck_assert_int_eq(c->kind, SYNCML_CMD_REPLACE);
	ck_assert_str_eq(c->cmd_id, "4");
	ck_assert_uint_eq(c->nitems, 5);
	ck_assert_str_eq(c->items[1].source_uri, "./DevInfo/Man");
	ck_assert_str_eq(c->items[1].data, "VMware, Inc.");
	ck_assert_ptr_null(c->items[1].target_uri);
	ck_assert_str_eq(c->items[3].data, "1.3");
	ck_assert_int_eq(c->items[4].has_data, 1);
	ck_assert_int_eq(c->items[4].data_xml, 0);
	ck_assert_int_eq(c->items[4].meta.size, -1);
	syncml_msg_free(m);
}
END_TEST

/* The Fleet fragment, put into a message: UUID CmdIDs inside Atomic. */
START_TEST(test_recorded_06_atomic)
{
	struct syncml_msg *m;
	struct syncml_cmd *a, *r;
	size_t len;
	char *frag, *doc;

	frag = sample("recorded/06-fleet-atomic-command-uuid-cmdids.xml",
	    &len);
	ck_assert_int_ge(xasprintf(&doc, "%s<SyncBody>%s<Final/></SyncBody>"
	    "</SyncML>", HDR12, frag), 0);
	m = parse_ok(doc);
	ck_assert_uint_eq(m->ncmds, 1);
	a = &m->cmds[0];
	ck_assert_int_eq(a->kind, SYNCML_CMD_ATOMIC);
	ck_assert_str_eq(a->cmd_id, "90dbfca8-d4ac-40c9-bf57-ba5b8cbf1ce0");
	ck_assert_uint_eq(a->nitems, 0);
	ck_assert_uint_eq(a->ncmds, 1);
	r = &a->cmds[0];
	ck_assert_int_eq(r->kind, SYNCML_CMD_REPLACE);
	ck_assert_str_eq(r->cmd_id, "81a141b2-5064-4dc3-a51a-128b8caa5438");
	ck_assert_uint_eq(r->nitems, 1);
	ck_assert_str_eq(r->items[0].target_uri,
	    "./Device/Vendor/MSFT/Policy/Config/Bluetooth/"
	    "AllowDiscoverableMode");
	ck_assert_str_eq(r->items[0].meta.format, "int");
	ck_assert_str_eq(r->items[0].data, "1");
	syncml_msg_free(m);
	free(doc);
	free(frag);
}
END_TEST

START_TEST(test_recorded_07_uuid_cmdref)
{
	struct syncml_msg *m;

	m = parse_sample(
	    "recorded/07-win-atomic-status-response-uuid-cmdref.xml");
	ck_assert_uint_eq(m->ncmds, 3);
	ck_assert_int_eq(m->cmds[1].kind, SYNCML_CMD_STATUS);
	ck_assert_str_eq(m->cmds[1].cmd_ref,
	    "90dbfca8-d4ac-40c9-bf57-ba5b8cbf1ce0");
	ck_assert_str_eq(m->cmds[1].cmd, "Atomic");
	ck_assert_int_eq(m->cmds[1].code, 200);
	ck_assert_str_eq(m->cmds[2].cmd_ref,
	    "81a141b2-5064-4dc3-a51a-128b8caa5438");
	syncml_msg_free(m);
}
END_TEST

START_TEST(test_recorded_08_cred)
{
	struct syncml_msg *m;

	m = parse_sample("recorded/08-win-dell-xps-md5cred-synchdr500.xml");
	ck_assert_str_eq(m->hdr.session_id, "D");
	ck_assert_str_eq(m->hdr.msg_id, "2");
	ck_assert_str_eq(m->hdr.source_uri, "def");
	ck_assert_str_eq(m->hdr.source_name, "dummy");
	ck_assert_ptr_nonnull(m->hdr.cred);
	ck_assert_str_eq(m->hdr.cred->meta.type, "syncml:auth-md5");
	ck_assert_str_eq(m->hdr.cred->meta.format, "b64");
	ck_assert_str_eq(m->hdr.cred->data, "EVEkoFZcVgPM+ESnu9IC0g==");
	ck_assert_uint_eq(m->ncmds, 4);
	ck_assert_str_eq(m->cmds[0].msg_ref, "0");
	ck_assert_str_eq(m->cmds[0].cmd_ref, "0");
	ck_assert_str_eq(m->cmds[0].cmd, "SyncHdr");
	ck_assert_int_eq(m->cmds[0].code, 500);
	ck_assert_uint_eq(m->cmds[3].nitems, 6);
	ck_assert_str_eq(m->cmds[3].items[5].source_uri,
	    "./Vendor/MSFT/DMClient/HWDevID");
	ck_assert_str_eq(m->cmds[3].items[2].data, "XPS 13 9310 2-in-1");
	syncml_msg_free(m);
}
END_TEST

START_TEST(test_recorded_11_ns11)
{
	struct syncml_msg *m;
	struct syncml_cmd *g;

	m = parse_sample("recorded/11-server-pkg2-get-namespace11.xml");
	ck_assert_int_eq(m->ns, SYNCML_NS_11);
	ck_assert_str_eq(m->hdr.ver_dtd, "1.2");
	ck_assert_str_eq(m->hdr.session_id, "3");
	ck_assert_str_eq(m->hdr.msg_id, "2");
	ck_assert_str_eq(m->hdr.source_uri,
	    "https://mdm.example.test/ManagementServer/MDM.svc");
	ck_assert_uint_eq(m->ncmds, 5);
	ck_assert_str_eq(m->cmds[3].cmd, "Replace");
	ck_assert_str_eq(m->cmds[3].cmd_ref, "4");
	g = &m->cmds[4];
	ck_assert_int_eq(g->kind, SYNCML_CMD_GET);
	ck_assert_str_eq(g->cmd_id, "5");
	ck_assert_uint_eq(g->nitems, 1);
	ck_assert_str_eq(g->items[0].target_uri, "./DevInfo/Man");
	ck_assert_int_eq(g->items[0].has_data, 0);
	ck_assert_ptr_null(g->items[0].data);
	ck_assert_int_eq(m->final, 1);
	syncml_msg_free(m);
}
END_TEST

START_TEST(test_recorded_13_results)
{
	static const char head[] = "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
	    "\n<DeviceManageability Version=\"com.microsoft/1.1/MDM/"
	    "DeviceManageability\">\n  <Capabilities>\n";
	static const char tail[] = "\n  </Capabilities>\n"
	    "</DeviceManageability>";
	struct syncml_msg *m;
	struct syncml_cmd *r;
	struct syncml_item *it;

	m = parse_sample(
	    "recorded/13-win11-26200-get-multi-item-status-targetref-"
	    "results.xml");
	ck_assert_uint_eq(m->ncmds, 7);
	ck_assert_uint_eq(m->cmds[5].ntarget_refs, 1);
	ck_assert_str_eq(m->cmds[5].target_refs[0],
	    "./Device/Vendor/MSFT/DMClient/Provider/"
	    "go-microsoft-dm-local-test/Push/ChannelURI");
	ck_assert_int_eq(m->cmds[5].code, 404);
	ck_assert_uint_eq(m->cmds[5].nsource_refs, 0);
	r = &m->cmds[6];
	ck_assert_int_eq(r->kind, SYNCML_CMD_RESULTS);
	ck_assert_str_eq(r->msg_ref, "2");
	ck_assert_str_eq(r->cmd_ref, "5");
	ck_assert_uint_eq(r->nitems, 4);
	ck_assert_str_eq(r->items[1].meta.format, "bool");
	ck_assert_str_eq(r->items[1].data, "false");
	it = &r->items[3];
	ck_assert_str_eq(it->meta.format, "xml");
	ck_assert_int_eq(it->data_xml, 0);
	ck_assert_uint_gt(it->data_len, 12000);
	ck_assert_uint_eq(it->data_len, strlen(it->data));
	ck_assert_int_eq(memcmp(it->data, head, sizeof(head) - 1), 0);
	ck_assert_str_eq(it->data + it->data_len - (sizeof(tail) - 1), tail);
	syncml_msg_free(m);
}
END_TEST

START_TEST(test_recorded_15_mark)
{
	struct syncml_msg *m;
	struct syncml_item *it;

	m = parse_sample(
	    "recorded/15-win11-26200-unenroll-1226-mark-critical.xml");
	ck_assert_int_eq(m->cmds[2].code, 1226);
	it = &m->cmds[2].items[0];
	ck_assert_str_eq(it->meta.type,
	    "com.microsoft:mdm.unenrollment.userrequest");
	ck_assert_str_eq(it->meta.format, "int");
	ck_assert_str_eq(it->meta.mark, "critical");
	ck_assert_str_eq(it->data, "1");
	syncml_msg_free(m);
}
END_TEST

/* The demo server sends <Type> without the metinf namespace. */
START_TEST(test_winmdmdemo_meta_without_ns)
{
	struct syncml_msg *m;
	struct syncml_item *it;

	m = parse_sample("winmdmdemo_readme_server_pkg2_replace.xml");
	ck_assert_uint_eq(m->ncmds, 6);
	ck_assert_int_eq(m->cmds[4].kind, SYNCML_CMD_REPLACE);
	ck_assert_str_eq(m->cmds[4].cmd_id, "5");
	it = &m->cmds[4].items[0];
	ck_assert_str_eq(it->target_uri,
	    "./Vendor/MSFT/Personalization/DesktopImageUrl");
	ck_assert_str_eq(it->meta.format, "chr");
	ck_assert_str_eq(it->meta.type, "text/plain");
	ck_assert_str_eq(it->data, "https://fleetdm.com/images/articles/"
	    "fleet-4.24.0-cover-1600x900@2x.jpg");
	ck_assert_int_eq(m->final, 1);
	syncml_msg_free(m);
}
END_TEST

/* OMA's example: MsgRef before CmdID, Sequence, comments, Cred. */
START_TEST(test_wapctx_status_order_sequence)
{
	struct syncml_msg *m;
	struct syncml_cmd *s, *c;

	m = parse_sample(
	    "omadm_protocol_v12_s2_6_wapctx_msg2_server_pkg2_sequence.xml");
	ck_assert_ptr_nonnull(m->hdr.cred);
	ck_assert_str_eq(m->hdr.cred->meta.type, "syncml:auth-basic");
	ck_assert_str_eq(m->hdr.cred->data, "");
	ck_assert_uint_eq(m->ncmds, 4);
	s = &m->cmds[0];
	ck_assert_int_eq(s->kind, SYNCML_CMD_STATUS);
	ck_assert_str_eq(s->cmd_id, "6");
	ck_assert_str_eq(s->msg_ref, "1");
	ck_assert_str_eq(s->cmd_ref, "0");
	ck_assert_str_eq(s->cmd, "SyncHdr");
	ck_assert_uint_eq(s->ntarget_refs, 1);
	ck_assert_str_eq(s->target_refs[0],
	    "http://www.syncml.org/mgmt-server");
	ck_assert_uint_eq(s->nsource_refs, 1);
	ck_assert_str_eq(s->source_refs[0], "IMEI:493005100592800");
	ck_assert_int_eq(s->code, 212);
	ck_assert_str_eq(m->cmds[2].cmd_id, "8");

	s = &m->cmds[3];
	ck_assert_int_eq(s->kind, SYNCML_CMD_SEQUENCE);
	ck_assert_str_eq(s->cmd_id, "1");
	ck_assert_uint_eq(s->ncmds, 2);
	c = &s->cmds[0];
	ck_assert_int_eq(c->kind, SYNCML_CMD_ALERT);
	ck_assert_int_eq(c->code, 1101);
	ck_assert_uint_eq(c->nitems, 2);
	ck_assert_int_eq(c->items[0].has_data, 0);
	ck_assert_str_eq(c->items[1].data,
	    "Do you want to add the CNN access point?");
	c = &s->cmds[1];
	ck_assert_int_eq(c->kind, SYNCML_CMD_REPLACE);
	ck_assert_str_eq(c->cmd_id, "4");
	ck_assert_str_eq(c->meta.format, "b64");
	ck_assert_str_eq(c->meta.type,
	    "application/vnd.wap.connectivity-wbxml");
	ck_assert_str_eq(c->items[0].target_uri, "./settings/wap_settings/CNN");
	ck_assert_int_eq(c->items[0].has_data, 1);
	ck_assert_str_eq(c->items[0].data, "");
	syncml_msg_free(m);
}
END_TEST

/* Decoded WBXML: plain DOCTYPE, namespace 1.1, RespURI, MaxMsgSize, CDATA. */
START_TEST(test_cyanogenmod_doctype_cdata)
{
	struct syncml_msg *m;
	struct syncml_item *it;

	m = parse_sample("cyanogenmod_omadm_dm12_testadd.decoded.xml");
	ck_assert_int_eq(m->ns, SYNCML_NS_11);
	ck_assert_str_eq(m->hdr.session_id, "30483");
	ck_assert_str_eq(m->hdr.resp_uri, "http://10.72.34.217/Scts?4ELIAA==");
	ck_assert_int_eq(m->hdr.meta.max_msg_size, 3500);
	ck_assert_str_eq(m->hdr.meta.max_msg_size_str, "3500");
	ck_assert_str_eq(m->hdr.cred->data, "U2N0czpTYW1wbGVDbGllbnQ=");
	ck_assert_str_eq(m->hdr.cred->meta.type, "syncml:auth-basic");
	ck_assert_uint_eq(m->ncmds, 4);
	ck_assert_int_eq(m->cmds[3].kind, SYNCML_CMD_ADD);
	it = &m->cmds[3].items[0];
	ck_assert_str_eq(it->target_uri, "./TestLeafNode");
	ck_assert_str_eq(it->meta.format, "node");
	ck_assert_int_eq(it->has_data, 1);
	ck_assert_uint_eq(it->data_len, 0);
	syncml_msg_free(m);

	m = parse_sample("cyanogenmod_omadm_dm12_testreplace.decoded.xml");
	ck_assert_int_eq(m->ns, SYNCML_NS_12);
	ck_assert_str_eq(m->hdr.target_name, "Scts");
	ck_assert_str_eq(m->hdr.source_name, "SampleServer");
	it = &m->cmds[1].items[0];
	ck_assert_str_eq(it->source_uri, "./DevInfo/DevId");
	ck_assert_str_eq(it->data, "000000011234564");
	ck_assert_str_eq(m->cmds[1].items[3].data, "Motorola, Copyright 2005");
	syncml_msg_free(m);
}
END_TEST

START_TEST(test_md5_chal_nextnonce)
{
	struct syncml_msg *m;
	struct syncml_cmd *s;

	m = parse_sample("omadm_protocol_v12_s2_4_auth_md5_msg2_server_212_"
	    "nextnonce.normalized.xml");
	ck_assert_uint_eq(m->ncmds, 1);	/* the "..." text is ignored */
	ck_assert_int_eq(m->final, 0);
	s = &m->cmds[0];
	ck_assert_int_eq(s->code, 212);
	ck_assert_ptr_nonnull(s->chal);
	ck_assert_str_eq(s->chal->type, "syncml:auth-md5");
	ck_assert_str_eq(s->chal->format, "b64");
	ck_assert_str_eq(s->chal->next_nonce, "LG3iZQhhdmKNHg==");
	syncml_msg_free(m);

	m = parse_sample("omadm_protocol_v12_s2_4_auth_basic_msg2_server_407_"
	    "chal.normalized.xml");
	ck_assert_int_eq(m->cmds[0].code, 407);
	ck_assert_str_eq(m->cmds[0].chal->type, "syncml:auth-basic");
	ck_assert_ptr_null(m->cmds[0].chal->next_nonce);
	syncml_msg_free(m);
}
END_TEST

START_TEST(test_antivirus_maxmsgsize)
{
	struct syncml_msg *m;

	m = parse_sample(
	    "omadm_protocol_v12_s2_6_antivirus_msg1_client_pkg1.xml");
	ck_assert_int_eq(m->hdr.meta.max_msg_size, 5000);
	ck_assert_int_eq(m->hdr.meta.max_obj_size, -1);
	ck_assert_str_eq(m->hdr.cred->data, "");
	ck_assert_str_eq(m->cmds[0].cmd_id, "1");
	ck_assert_int_eq(m->cmds[0].code, 1200);
	ck_assert_str_eq(m->cmds[1].cmd_id, "3");
	ck_assert_uint_eq(m->cmds[1].nitems, 5);
	ck_assert_str_eq(m->cmds[1].items[4].meta.type, "text/plain");
	ck_assert_str_eq(m->cmds[1].items[4].data, "US-en");
	syncml_msg_free(m);

	/* a Status without CmdRef */
	m = parse_sample(
	    "omadm_protocol_v12_s2_6_antivirus_msg4_server_pkg2b_replace.xml");
	ck_assert_ptr_null(m->cmds[0].cmd_ref);
	ck_assert_str_eq(m->cmds[0].msg_ref, "2");
	ck_assert_str_eq(m->cmds[1].meta.type,
	    "application/antivirus-inc.virusdef");
	syncml_msg_free(m);
}
END_TEST

START_TEST(test_msmdm_results_cmd)
{
	struct syncml_msg *m;

	m = parse_sample("msmdm_v20240423_s4_msg3_client_pkg3.xml");
	ck_assert_uint_eq(m->ncmds, 5);
	ck_assert_int_eq(m->cmds[3].kind, SYNCML_CMD_RESULTS);
	ck_assert_str_eq(m->cmds[3].cmd, "Get");
	ck_assert_str_eq(m->cmds[3].items[0].data,
	    "[software version returned here]");
	syncml_msg_free(m);

	m = parse_sample("msmdm_v20240423_s4_msg2_server_pkg2.xml");
	ck_assert_str_eq(m->cmds[2].items[0].target_uri, "./ DevDetail/HwV");
	syncml_msg_free(m);
}
END_TEST

/* ---- liberal parsing ---- */

START_TEST(test_liberal_order_metinf)
{
	static const char doc[] =
	    "<SyncML xmlns='SYNCML:SYNCML1.2'>\n"
	    "<!-- c -->\n"
	    "<SyncHdr>\n"
	    " <Meta><MetInf xmlns='syncml:metinf'><MaxObjSize>4096</MaxObjSize>"
	    "<MaxMsgSize> 10000 </MaxMsgSize></MetInf></Meta>\n"
	    " <Source><LocName>u</LocName><LocURI> https://srv/x </LocURI>"
	    "</Source>\n"
	    " <MsgID>\n 7 \n</MsgID><!-- c --><Target><LocURI>dev</LocURI>"
	    "</Target>\n"
	    " <SessionID>A1</SessionID><VerProto>DM/1.2</VerProto>"
	    "<VerDTD>1.2</VerDTD><NoResp/>\n"
	    "</SyncHdr>\n"
	    "<SyncBody>\n"
	    " <Replace>\n"
	    "  <Item>\n"
	    "   <Data>  two  spaces\n\tand <![CDATA[<raw> & ]]>end  </Data>\n"
	    "   <MoreData/>\n"
	    "   <Meta><Size>12</Size><Format>chr</Format>"
	    "<Type xmlns='syncml:metinf'>text/plain</Type></Meta>\n"
	    "   <Target><LocURI>./A/B</LocURI><LocName>n</LocName></Target>\n"
	    "   <TargetParent><LocURI>./A</LocURI></TargetParent>\n"
	    "   <SourceParent><LocURI>./S</LocURI></SourceParent>\n"
	    "  </Item>\n"
	    "  <NoResp/>\n"
	    "  <CmdID>\n  7 \n</CmdID>\n"
	    "  <Meta><Size>x12</Size></Meta>\n"
	    " </Replace>\n"
	    " <Final/>\n"
	    " <Exec><Correlator> abc </Correlator><CmdID>8</CmdID>"
	    "<Item><Target><LocURI>./R</LocURI></Target></Item></Exec>\n"
	    "</SyncBody>\n"
	    "</SyncML>\n";
	struct syncml_msg *m;
	struct syncml_item *it;

	m = parse_ok(doc);
	ck_assert_str_eq(m->hdr.msg_id, "7");
	ck_assert_str_eq(m->hdr.session_id, "A1");
	ck_assert_str_eq(m->hdr.source_uri, "https://srv/x");
	ck_assert_str_eq(m->hdr.source_name, "u");
	ck_assert_int_eq(m->hdr.no_resp, 1);
	ck_assert_int_eq(m->hdr.meta.max_msg_size, 10000);
	ck_assert_int_eq(m->hdr.meta.max_obj_size, 4096);
	ck_assert_int_eq(m->final, 1);
	ck_assert_uint_eq(m->ncmds, 2);
	ck_assert_str_eq(m->cmds[0].cmd_id, "7");
	ck_assert_int_eq(m->cmds[0].no_resp, 1);
	ck_assert_str_eq(m->cmds[0].meta.size_str, "x12");
	ck_assert_int_eq(m->cmds[0].meta.size, -1);
	it = &m->cmds[0].items[0];
	ck_assert_str_eq(it->data,
	    "  two  spaces\n\tand <raw> & end  ");
	ck_assert_uint_eq(it->data_len, strlen(it->data));
	ck_assert_int_eq(it->more_data, 1);
	ck_assert_int_eq(it->meta.size, 12);
	ck_assert_str_eq(it->meta.format, "chr");
	ck_assert_str_eq(it->meta.type, "text/plain");
	ck_assert_str_eq(it->target_uri, "./A/B");
	ck_assert_str_eq(it->target_name, "n");
	ck_assert_str_eq(it->target_parent_uri, "./A");
	ck_assert_str_eq(it->source_parent_uri, "./S");
	ck_assert_int_eq(m->cmds[1].kind, SYNCML_CMD_EXEC);
	ck_assert_str_eq(m->cmds[1].correlator, "abc");
	ck_assert_str_eq(m->cmds[1].items[0].target_uri, "./R");
	syncml_msg_free(m);
}
END_TEST

START_TEST(test_missing_cmdid_unknown_cmd)
{
	static const char doc[] = HDR12 "<SyncBody>"
	    "<Get><Item><Target><LocURI>./A</LocURI></Target></Item></Get>"
	    "<Foo><CmdID>3</CmdID><Bar/></Foo>"
	    "<Delete><CmdID/><Item><Target><LocURI>./B</LocURI></Target>"
	    "</Item></Delete>"
	    "<add><CmdID>5</CmdID></add>"
	    "</SyncBody></SyncML>";
	struct syncml_msg *m;

	m = parse_ok(doc);
	ck_assert_uint_eq(m->ncmds, 4);
	ck_assert_int_eq(m->final, 0);
	ck_assert_int_eq(m->cmds[0].kind, SYNCML_CMD_GET);
	ck_assert_int_eq(m->cmds[0].has_cmd_id, 0);
	ck_assert_ptr_null(m->cmds[0].cmd_id);
	ck_assert_int_eq(m->cmds[1].kind, SYNCML_CMD_UNKNOWN);
	ck_assert_str_eq(m->cmds[1].name, "Foo");
	ck_assert_str_eq(m->cmds[1].cmd_id, "3");
	ck_assert_int_eq(m->cmds[2].has_cmd_id, 1);
	ck_assert_str_eq(m->cmds[2].cmd_id, "");
	ck_assert_int_eq(m->cmds[3].kind, SYNCML_CMD_UNKNOWN);
	ck_assert_str_eq(m->cmds[3].name, "add");
	syncml_msg_free(m);
}
END_TEST

/* An XML payload in Data is kept as serialized inner XML. */
START_TEST(test_data_xml_payload)
{
	static const char doc[] = HDR12 "<SyncBody><Replace><CmdID>1</CmdID>"
	    "<Item><Meta><Format xmlns='syncml:metinf'>xml</Format></Meta>"
	    "<Data><wap-provisioningdoc version=\"1.1\"><characteristic "
	    "type=\"A&amp;B\"><parm name=\"x\" value=\"&lt;1&gt;\"/>"
	    "</characteristic>t&amp;t<!-- k --></wap-provisioningdoc></Data>"
	    "</Item>"
	    "<Item><Data>&lt;a&gt;&amp;&#x263A;&#13;</Data></Item>"
	    "</Replace></SyncBody></SyncML>";
	struct syncml_msg *m;
	struct syncml_item *it;

	m = parse_ok(doc);
	it = &m->cmds[0].items[0];
	ck_assert_int_eq(it->data_xml, 1);
	ck_assert_str_eq(it->data, "<wap-provisioningdoc version=\"1.1\">"
	    "<characteristic type=\"A&amp;B\"><parm name=\"x\" "
	    "value=\"&lt;1&gt;\"/></characteristic>t&amp;t<!-- k -->"
	    "</wap-provisioningdoc>");
	it = &m->cmds[0].items[1];
	ck_assert_int_eq(it->data_xml, 0);
	ck_assert_str_eq(it->data, "<a>&\xE2\x98\xBA\r");
	syncml_msg_free(m);
}
END_TEST

START_TEST(test_namespaces)
{
	struct syncml_msg *m;

	m = parse_ok("<SyncML><SyncHdr/><SyncBody/></SyncML>");
	ck_assert_int_eq(m->ns, SYNCML_NS_NONE);
	ck_assert_uint_eq(m->ncmds, 0);
	ck_assert_ptr_null(m->hdr.msg_id);
	syncml_msg_free(m);

	m = parse_ok("<s:SyncML xmlns:s='syncml:syncml1.2'><s:SyncHdr>"
	    "<s:MsgID>3</s:MsgID></s:SyncHdr><s:SyncBody><s:Get>"
	    "<s:CmdID>1</s:CmdID></s:Get><s:Final/></s:SyncBody>"
	    "</s:SyncML>");
	ck_assert_int_eq(m->ns, SYNCML_NS_12);
	ck_assert_str_eq(m->hdr.msg_id, "3");
	ck_assert_int_eq(m->cmds[0].kind, SYNCML_CMD_GET);
	ck_assert_int_eq(m->final, 1);
	syncml_msg_free(m);

	parse_bad("<SyncML xmlns='urn:other'><SyncHdr/><SyncBody/></SyncML>",
	    "not a SyncML message: namespace \"urn:other\"");
}
END_TEST

START_TEST(test_structure_refused)
{
	parse_bad("<html><body/></html>",
	    "not a SyncML message: root element <html>");
	parse_bad("<SyncML xmlns='SYNCML:SYNCML1.2'><SyncBody/></SyncML>",
	    "SyncML message without SyncHdr");
	parse_bad("<SyncML xmlns='SYNCML:SYNCML1.2'><SyncHdr/></SyncML>",
	    "SyncML message without SyncBody");
	parse_bad("<?xml version='1.0'?><!-- only a comment -->",
	    "XML error at line 1");
}
END_TEST

START_TEST(test_first_wins_and_nesting)
{
	static const char doc[] = HDR12 "<SyncBody>"
	    "<Atomic><CmdID>1</CmdID><CmdID>9</CmdID><Meta><Type>t</Type>"
	    "</Meta>"
	    "<Sequence><CmdID>2</CmdID><Get><CmdID>3</CmdID></Get></Sequence>"
	    "<Zap><CmdID>4</CmdID></Zap>"
	    "</Atomic>"
	    "<Status><CmdID>5</CmdID><Data>200</Data><Data>500</Data>"
	    "<TargetRef>a</TargetRef><TargetRef> b </TargetRef>"
	    "<Item><Data>x</Data><Data>y</Data></Item></Status>"
	    "<Alert><CmdID>6</CmdID><Data>12x</Data></Alert>"
	    "</SyncBody></SyncML>";
	struct syncml_msg *m;
	struct syncml_cmd *a;

	m = parse_ok(doc);
	ck_assert_uint_eq(m->ncmds, 3);
	a = &m->cmds[0];
	ck_assert_str_eq(a->cmd_id, "1");
	ck_assert_str_eq(a->meta.type, "t");
	ck_assert_uint_eq(a->ncmds, 2);
	ck_assert_int_eq(a->cmds[0].kind, SYNCML_CMD_SEQUENCE);
	ck_assert_uint_eq(a->cmds[0].ncmds, 1);
	ck_assert_str_eq(a->cmds[0].cmds[0].cmd_id, "3");
	ck_assert_int_eq(a->cmds[1].kind, SYNCML_CMD_UNKNOWN);
	ck_assert_str_eq(a->cmds[1].name, "Zap");
	ck_assert_int_eq(m->cmds[1].code, 200);
	ck_assert_uint_eq(m->cmds[1].ntarget_refs, 2);
	ck_assert_str_eq(m->cmds[1].target_refs[1], "b");
	ck_assert_str_eq(m->cmds[1].items[0].data, "x");
	ck_assert_str_eq(m->cmds[2].data, "12x");
	ck_assert_int_eq(m->cmds[2].code, -1);
	syncml_msg_free(m);
}
END_TEST

START_TEST(test_kind_names)
{
	int k;

	for (k = SYNCML_CMD_UNKNOWN + 1; k < SYNCML_CMD__MAX; k++)
		ck_assert_int_eq(syncml_cmd_kind_of(syncml_cmd_kind_name(k)),
		    k);
	ck_assert_str_eq(syncml_cmd_kind_name(SYNCML_CMD_SEQUENCE),
	    "Sequence");
	ck_assert_str_eq(syncml_cmd_kind_name(SYNCML_CMD_UNKNOWN), "");
	ck_assert_str_eq(syncml_cmd_kind_name(SYNCML_CMD__MAX), "");
	ck_assert_int_eq(syncml_cmd_kind_of("Final"), SYNCML_CMD_UNKNOWN);
	ck_assert_int_eq(syncml_cmd_kind_of(NULL), SYNCML_CMD_UNKNOWN);
	syncml_msg_free(NULL);
}
END_TEST

/* ---- hostile input ---- */

START_TEST(test_truncated)
{
	struct syncml_msg *m;
	char err[SYNCML_ERRLEN];
	size_t len, end, n;
	char *buf;

	buf = sample("recorded/09-win11-26200-pkg1-no-cred.xml", &len);
	end = (size_t)(strrchr(buf, '>') - buf);	/* of </SyncML> */
	for (n = 1; n <= end; n++) {
		err[0] = '\0';
		m = syncml_parse(buf, n, NULL, err, sizeof(err));
		ck_assert_msg(m == NULL, "accepted at %zu", n);
		ck_assert_msg(err[0] != '\0', "no message at %zu", n);
	}
	m = syncml_parse(buf, end + 1, NULL, err, sizeof(err));
	ck_assert_ptr_nonnull(m);
	syncml_msg_free(m);
	free(buf);
}
END_TEST

START_TEST(test_billion_laughs)
{
	static const char doc[] =
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE SyncML [\n"
	    " <!ENTITY lol \"lol\">\n"
	    " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
	    " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
	    " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
	    " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
	    " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
	    " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
	    " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
	    " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
	    " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
	    "]>\n"
	    "<SyncML><SyncHdr/><SyncBody><Replace><Item><Data>&lol9;</Data>"
	    "</Item></Replace></SyncBody></SyncML>\n";
	double t0 = now();

	parse_bad(doc, "entity declaration \"lol\" refused (line 3)");
	ck_assert(now() - t0 < 2.0);
	/* one large entity used many times (quadratic blowup) */
	parse_bad("<!DOCTYPE SyncML [<!ENTITY a \"aaaaaaaaaaaaaaaaaaaaaaaa\">]>"
	    "<SyncML><SyncHdr/><SyncBody>&a;&a;&a;&a;</SyncBody></SyncML>",
	    "entity declaration \"a\" refused");
	/* any internal subset, even without entities */
	parse_bad("<!DOCTYPE SyncML [<!ELEMENT SyncML ANY>]>"
	    "<SyncML><SyncHdr/><SyncBody/></SyncML>",
	    "DOCTYPE internal subset refused");
	parse_bad("<!DOCTYPE SyncML [<!ATTLIST SyncML a CDATA 'x'>]>"
	    "<SyncML><SyncHdr/><SyncBody/></SyncML>",
	    "DOCTYPE internal subset refused");
}
END_TEST

START_TEST(test_external_entities)
{
	static const char secret[] = "LUADM-SECRET-7f3a9c";
	char path[] = "/tmp/check_syncml_xxeXXXXXX";
	char dtd[] = "/tmp/check_syncml_dtdXXXXXX";
	char err[SYNCML_ERRLEN];
	struct syncml_msg *m;
	char *doc;
	FILE *f;
	int fd;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, secret, sizeof(secret) - 1),
	    (ssize_t)sizeof(secret) - 1);
	close(fd);

	parse_bad("<!DOCTYPE SyncML [<!ENTITY x SYSTEM "
	    "\"file:///etc/passwd\">]>"
	    "<SyncML><SyncHdr/><SyncBody><Get><Item><Data>&x;</Data></Item>"
	    "</Get></SyncBody></SyncML>", "entity declaration \"x\" refused");

	ck_assert_int_ge(xasprintf(&doc, "<!DOCTYPE SyncML [<!ENTITY x SYSTEM "
	    "\"file://%s\">]><SyncML><SyncHdr/><SyncBody><Get><Item><Data>&x;"
	    "</Data></Item></Get></SyncBody></SyncML>", path), 0);
	m = syncml_parse(doc, strlen(doc), NULL, err, sizeof(err));
	ck_assert_ptr_null(m);
	ck_assert_ptr_null(strstr(err, secret));
	free(doc);

	/* parameter entity pointing outside */
	ck_assert_int_ge(xasprintf(&doc, "<!DOCTYPE SyncML [<!ENTITY %% p "
	    "SYSTEM \"file://%s\"> %%p;]><SyncML><SyncHdr/><SyncBody/>"
	    "</SyncML>", path), 0);
	parse_bad(doc, "entity declaration \"p\" refused");
	free(doc);

	/* an external DTD that would declare &x;: never loaded */
	fd = mkstemp(dtd);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "<!ENTITY x \"%s\">\n", secret);
	fclose(f);
	ck_assert_int_ge(xasprintf(&doc, "<!DOCTYPE SyncML SYSTEM "
	    "\"file://%s\"><SyncML><SyncHdr/><SyncBody><Get><Item><Data>&x;"
	    "</Data></Item>"
	    "</Get></SyncBody></SyncML>", dtd), 0);
	m = syncml_parse(doc, strlen(doc), NULL, err, sizeof(err));
	ck_assert_ptr_null(m);
	ck_assert_msg(strstr(err, "entity reference &x; refused") != NULL,
	    "%s", err);
	free(doc);

	/* the same without DOCTYPE: undeclared entity, not well-formed */
	parse_bad(HDR12 "<SyncBody>&x;</SyncBody></SyncML>",
	    "XML error at line 1: Entity 'x' not defined");
	/* predefined and character references are fine */
	m = parse_ok(HDR12 "<SyncBody><Get><CmdID>&amp;&#65;&apos;</CmdID>"
	    "</Get></SyncBody></SyncML>");
	ck_assert_str_eq(m->cmds[0].cmd_id, "&A'");
	syncml_msg_free(m);
	unlink(path);
	unlink(dtd);
}
END_TEST

static char *
nested(size_t depth, int closed)
{
	size_t i, n;
	char *buf, *p;

	n = sizeof(HDR12) + 64 + depth * 7;
	buf = malloc(n);
	ck_assert_ptr_nonnull(buf);
	p = buf + sprintf(buf, "%s<SyncBody>", HDR12);
	for (i = 0; i < depth; i++)
		p += sprintf(p, "<a>");
	for (i = 0; closed && i < depth; i++)
		p += sprintf(p, "</a>");
	if (closed)
		sprintf(p, "</SyncBody></SyncML>");
	return buf;
}

START_TEST(test_deep_nesting)
{
	struct syncml_limits lim = { 0, 0, 0 };
	struct syncml_msg *m;
	double t0;
	char *doc;

	t0 = now();
	doc = nested(100000, 1);
	parse_bad(doc, "elements nested deeper than 64 (line 1)");
	free(doc);
	doc = nested(100000, 0);
	parse_bad(doc, "elements nested deeper than 64");
	free(doc);
	ck_assert(now() - t0 < 2.0);

	/* just under and over the limit */
	doc = nested(61, 1);	/* + SyncML, SyncBody = 63 */
	m = parse_ok(doc);
	ck_assert_uint_eq(m->ncmds, 1);
	syncml_msg_free(m);
	free(doc);
	doc = nested(63, 1);
	parse_bad(doc, "nested deeper than 64");
	free(doc);
	lim.max_depth = 300;
	doc = nested(100000, 1);
	/* over libxml2's own limit of 256 */
	parse_bad_n(doc, strlen(doc), &lim, "XML error");
	free(doc);
}
END_TEST

START_TEST(test_garbage)
{
	unsigned int seed = 12345;
	char err[SYNCML_ERRLEN];
	struct syncml_msg *m;
	size_t i, round;
	char *buf;

	buf = malloc(65536);
	ck_assert_ptr_nonnull(buf);
	for (round = 0; round < 50; round++) {
		for (i = 0; i < 65536; i++)
			buf[i] = (char)(rand_r(&seed) & 0xff);
		if (round == 0)
			memset(buf, 0, 65536);
		if (round == 1)
			memcpy(buf, "<SyncML>", 8);
		err[0] = '\0';
		m = syncml_parse(buf, 1 + (size_t)rand_r(&seed) % 65536, NULL,
		    err, sizeof(err));
		ck_assert_ptr_null(m);
		ck_assert(err[0] != '\0');
		ck_assert_ptr_null(strchr(err, '\n'));
	}
	free(buf);
	parse_bad("\xEF\xBB\xBF<SyncML>\xFF\xFE</SyncML>", "XML error");
}
END_TEST

START_TEST(test_size_limits)
{
	struct syncml_limits lim = { 0, 0, 0 };
	size_t n = 20UL * 1024 * 1024;
	char *buf, *p;
	double t0;

	buf = malloc(n + 1);
	ck_assert_ptr_nonnull(buf);
	p = buf + sprintf(buf, "%s<SyncBody>", HDR12);
	while ((size_t)(p - buf) < n - 64)
		p += sprintf(p, "<x/>");
	sprintf(p, "</SyncBody></SyncML>");
	t0 = now();
	parse_bad_n(buf, n, NULL,
	    "input too large: 20971520 bytes, limit 16777216");
	ck_assert(now() - t0 < 0.5);

	/* about 2.4 million <x/>: refused by the element count, fast */
	n = strlen(buf);
	lim.max_input = n + 1;
	t0 = now();
	parse_bad_n(buf, n, &lim, "more than 500000 elements");
	ck_assert(now() - t0 < 10.0);
	free(buf);

	parse_bad_n("", 0, NULL, "empty input");
	parse_bad_n(NULL, 10, NULL, "empty input");
	lim.max_input = 100;
	parse_bad_n(HDR12 "<SyncBody/></SyncML>", strlen(HDR12) + 20, &lim,
	    "input too large");
}
END_TEST

START_TEST(test_limits_override)
{
	static const char doc[] = HDR12 "<SyncBody/></SyncML>";
	struct syncml_limits lim = { 0, 0, 0 };
	struct syncml_msg *m;
	char err[SYNCML_ERRLEN];

	m = syncml_parse(doc, strlen(doc), &lim, err, sizeof(err));
	ck_assert_ptr_nonnull(m);
	syncml_msg_free(m);
	lim.max_elements = 5;
	parse_bad_n(doc, strlen(doc), &lim, "more than 5 elements");
	lim.max_elements = 0;
	lim.max_depth = 2;
	parse_bad_n(doc, strlen(doc), &lim, "nested deeper than 2");
}
END_TEST

/* syncml_from_doc() applies the same checks to a DOM made elsewhere. */
START_TEST(test_from_doc)
{
	static const char bad[] = "<!DOCTYPE SyncML [<!ENTITY e 'x'>]>"
	    "<SyncML><SyncHdr/><SyncBody><Get><CmdID>&e;</CmdID></Get>"
	    "</SyncBody></SyncML>";
	static const char good[] = HDR12 "<SyncBody><Get><CmdID>1</CmdID>"
	    "</Get></SyncBody></SyncML>";
	char err[SYNCML_ERRLEN] = "";
	struct syncml_limits lim = { 0, 3, 0 };
	struct syncml_msg *m;
	xmlDtdPtr dtd;
	xmlDocPtr doc;

	doc = xmlReadMemory(bad, sizeof(bad) - 1, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	ck_assert_ptr_nonnull(doc);
	m = syncml_from_doc(doc, NULL, err, sizeof(err));
	ck_assert_ptr_null(m);
	ck_assert_str_eq(err, "DOCTYPE internal subset refused");
	/* the subset removed, the entity reference node stays */
	dtd = doc->intSubset;
	xmlUnlinkNode((xmlNodePtr)dtd);	/* clears doc->intSubset */
	xmlFreeDtd(dtd);
	m = syncml_from_doc(doc, NULL, err, sizeof(err));
	ck_assert_ptr_null(m);
	ck_assert_str_eq(err, "entity reference &e; refused");
	xmlFreeDoc(doc);

	doc = xmlReadMemory(good, sizeof(good) - 1, NULL, NULL,
	    XML_PARSE_NONET);
	ck_assert_ptr_nonnull(doc);
	m = syncml_from_doc(doc, NULL, err, sizeof(err));
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->cmds[0].cmd_id, "1");
	syncml_msg_free(m);
	m = syncml_from_doc(doc, &lim, err, sizeof(err));
	ck_assert_ptr_null(m);
	ck_assert_str_eq(err, "elements nested deeper than 3");
	xmlFreeDoc(doc);
	ck_assert_ptr_null(syncml_from_doc(NULL, NULL, err, sizeof(err)));
}
END_TEST

/* ---- the writer ---- */

static const struct syncml_hdr_out test_hdr = {
	.session_id = "1A",
	.msg_id = 3,
	.target_uri = "https://mdm.example.test/ManagementServer/MDM.svc",
	.source_uri = "0123456789ABCDEF",
	.source_name = "user&co",
	.cred_type = "syncml:auth-md5",
	.cred_format = "b64",
	.cred_data = "AAAAAAAAAAAAAAAAAAAAAA==",
	.max_msg_size = 65536,
	.max_obj_size = 1048576
};

/* Data that must survive byte for byte. */
static const char tricky[] = "<&> \"q\" 'a' ]]> caf\xC3\xA9 \xE2\x9C\x93 "
    "\xF0\x9D\x84\x9E\r\nline2\ttab\r  ";

static char *
finish(struct syncml_writer *w, int final, size_t *lenp)
{
	char *out;

	ck_assert_int_eq(syncml_writer_finish(w, final, &out, lenp), 0);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(strlen(out), *lenp);
	return out;
}

/* Writes a message of each kind; returns the finished bytes. */
static char *
build_sample(size_t *lenp)
{
	static const char *const trefs[] = { "./A", "./B" };
	static const char *const srefs[] = { "dev" };
	const struct syncml_chal_out chal = {
		.type = "syncml:auth-md5", .format = "b64",
		.next_nonce = "bm9uY2U="
	};
	struct syncml_item_out sitem = {
		.target_uri = "./T", .source_uri = "./S", .format = "chr",
		.type = "text/plain", .mark = "critical", .size = 42,
		.data = "sd", .data_len = SYNCML_NTS, .more_data = 1
	};
	struct syncml_status_out st = {
		.msg_ref = "1", .cmd_ref = "0", .cmd = "SyncHdr",
		.target_refs = trefs, .ntarget_refs = 2,
		.source_refs = srefs, .nsource_refs = 1, .chal = &chal,
		.code = 212, .items = &sitem, .nitems = 1
	};
	struct syncml_item_out ritems[2] = {
		{ .source_uri = "./Vendor/X", .format = "chr",
		    .data = tricky, .data_len = sizeof(tricky) - 1 },
		{ .source_uri = "./Vendor/Y", .data = "", .data_len = 0 }
	};
	struct syncml_results_out res = {
		.msg_ref = "2", .cmd_ref = "uuid-5", .format = "node",
		.type = "text/plain", .target_ref = "./Vendor",
		.source_ref = "./Vendor", .items = ritems, .nitems = 2
	};
	struct syncml_item_out aitem = {
		.source_uri = "./Vendor/MSFT/Reboot",
		.type = "com.microsoft:mdm.unenrollment.userrequest",
		.format = "int", .mark = "critical", .data = "1",
		.data_len = 1
	};
	struct syncml_alert_out al = {
		.code = 1226, .correlator = "c&1", .items = &aitem, .nitems = 1
	};
	struct syncml_item_out dev[2] = {
		{ .source_uri = "./DevInfo/DevId", .data = "0123456789ABCDEF",
		    .data_len = SYNCML_NTS },
		{ .source_uri = "./DevInfo/Man", .data = "M\xC3\xBCller & Co",
		    .data_len = SYNCML_NTS }
	};
	struct syncml_writer *w;
	char err[SYNCML_ERRLEN];

	w = syncml_writer_new(&test_hdr, 1, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	ck_assert_uint_eq(syncml_emit_status(w, &st), 1);
	st.cmd_ref = NULL;
	st.cmd = "Foo";
	st.ntarget_refs = st.nsource_refs = 0;
	st.chal = NULL;
	st.code = 400;
	st.nitems = 0;
	ck_assert_uint_eq(syncml_emit_status(w, &st), 2);
	ck_assert_uint_eq(syncml_emit_results(w, &res), 3);
	ck_assert_uint_eq(syncml_emit_alert(w, &al), 4);
	ck_assert_uint_eq(syncml_emit_replace(w, dev, 2), 5);
	ck_assert_uint_eq(syncml_writer_next_cmdid(w), 6);
	ck_assert_str_eq(syncml_writer_error(w), "");
	{
		char *out = finish(w, 1, lenp);

		syncml_writer_free(w);
		return out;
	}
}

START_TEST(test_emit_roundtrip)
{
	static const char head[] = "<SyncML xmlns=\"SYNCML:SYNCML1.2\">"
	    "<SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>"
	    "<SessionID>1A</SessionID><MsgID>3</MsgID><Target><LocURI>";
	static const char tail[] = "</Replace><Final/></SyncBody></SyncML>";
	struct syncml_msg *m;
	struct syncml_cmd *c;
	size_t len;
	char *out;

	out = build_sample(&len);
	ck_assert_int_eq(strncmp(out, head, sizeof(head) - 1), 0);
	ck_assert_ptr_nonnull(strstr(out, "<Cred><Meta><Format xmlns=\""
	    "syncml:metinf\">b64</Format><Type xmlns=\"syncml:metinf\">"
	    "syncml:auth-md5</Type></Meta>"));
	ck_assert_ptr_nonnull(strstr(out, "<CmdRef></CmdRef><Cmd>Foo</Cmd>"));
	ck_assert_uint_gt(len, sizeof(tail));
	ck_assert_str_eq(out + len - (sizeof(tail) - 1), tail);
	ck_assert_ptr_null(strstr(out, "<?xml"));

	m = parse_ok(out);
	ck_assert_int_eq(m->ns, SYNCML_NS_12);
	ck_assert_str_eq(m->hdr.session_id, "1A");
	ck_assert_str_eq(m->hdr.msg_id, "3");
	ck_assert_str_eq(m->hdr.target_uri, test_hdr.target_uri);
	ck_assert_str_eq(m->hdr.source_uri, "0123456789ABCDEF");
	ck_assert_str_eq(m->hdr.source_name, "user&co");
	ck_assert_str_eq(m->hdr.cred->meta.type, "syncml:auth-md5");
	ck_assert_str_eq(m->hdr.cred->data, "AAAAAAAAAAAAAAAAAAAAAA==");
	ck_assert_int_eq(m->hdr.meta.max_msg_size, 65536);
	ck_assert_int_eq(m->hdr.meta.max_obj_size, 1048576);
	ck_assert_int_eq(m->final, 1);
	ck_assert_uint_eq(m->ncmds, 5);

	c = &m->cmds[0];
	ck_assert_str_eq(c->cmd_id, "1");
	ck_assert_str_eq(c->cmd, "SyncHdr");
	ck_assert_uint_eq(c->ntarget_refs, 2);
	ck_assert_str_eq(c->target_refs[1], "./B");
	ck_assert_str_eq(c->source_refs[0], "dev");
	ck_assert_str_eq(c->chal->next_nonce, "bm9uY2U=");
	ck_assert_int_eq(c->code, 212);
	ck_assert_int_eq(c->items[0].meta.size, 42);
	ck_assert_str_eq(c->items[0].meta.mark, "critical");
	ck_assert_int_eq(c->items[0].more_data, 1);
	ck_assert_str_eq(c->items[0].target_uri, "./T");
	c = &m->cmds[1];
	ck_assert_str_eq(c->cmd_ref, "");
	ck_assert_int_eq(c->code, 400);
	c = &m->cmds[2];
	ck_assert_int_eq(c->kind, SYNCML_CMD_RESULTS);
	ck_assert_str_eq(c->cmd_ref, "uuid-5");
	ck_assert_str_eq(c->meta.format, "node");
	ck_assert_uint_eq(c->items[0].data_len, sizeof(tricky) - 1);
	ck_assert_int_eq(memcmp(c->items[0].data, tricky, sizeof(tricky) - 1),
	    0);
	ck_assert_int_eq(c->items[1].has_data, 1);
	ck_assert_str_eq(c->items[1].data, "");
	c = &m->cmds[3];
	ck_assert_int_eq(c->code, 1226);
	ck_assert_str_eq(c->correlator, "c&1");
	ck_assert_str_eq(c->items[0].meta.format, "int");
	c = &m->cmds[4];
	ck_assert_int_eq(c->kind, SYNCML_CMD_REPLACE);
	ck_assert_str_eq(c->items[1].data, "M\xC3\xBCller & Co");
	syncml_msg_free(m);
	free(out);
}
END_TEST

/* Comma-joined local names of the nodes an XPath selects. */
static char *
xp_names(xmlXPathContextPtr ctx, const char *expr)
{
	xmlXPathObjectPtr o;
	char *s;
	int i;

	s = calloc(1, 4096);
	ck_assert_ptr_nonnull(s);
	o = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
	ck_assert_msg(o != NULL && o->type == XPATH_NODESET, "%s", expr);
	for (i = 0; o->nodesetval != NULL && i < o->nodesetval->nodeNr; i++) {
		if (i > 0)
			strcat(s, ",");
		strcat(s, (const char *)o->nodesetval->nodeTab[i]->name);
	}
	xmlXPathFreeObject(o);
	return s;
}

static void
xp_eq_names(xmlXPathContextPtr ctx, const char *expr, const char *want)
{
	char *got = xp_names(ctx, expr);

	ck_assert_msg(strcmp(got, want) == 0, "%s: %s, wanted %s", expr, got,
	    want);
	free(got);
}

static void
xp_eq_str(xmlXPathContextPtr ctx, const char *expr, const char *want,
    size_t wantlen)
{
	xmlXPathObjectPtr o;
	xmlChar *v;
	char *full;

	ck_assert_int_ge(xasprintf(&full, "string(%s)", expr), 0);
	o = xmlXPathEvalExpression((xmlChar *)full, ctx);
	ck_assert_ptr_nonnull(o);
	v = xmlXPathCastToString(o);
	xmlXPathFreeObject(o);
	ck_assert_ptr_nonnull(v);
	ck_assert_msg(strlen((char *)v) == wantlen &&
	    memcmp(v, want, wantlen) == 0, "%s: \"%s\"", expr, (char *)v);
	xmlFree(v);
	free(full);
}

START_TEST(test_emit_xpath_order)
{
	xmlXPathContextPtr ctx;
	xmlDocPtr doc;
	size_t len;
	char *out;

	out = build_sample(&len);
	doc = xmlReadMemory(out, (int)len, NULL, NULL, XML_PARSE_NONET);
	ck_assert_ptr_nonnull(doc);
	ctx = xmlXPathNewContext(doc);
	ck_assert_ptr_nonnull(ctx);
	xmlXPathRegisterNs(ctx, (const xmlChar *)"s",
	    (const xmlChar *)"SYNCML:SYNCML1.2");
	xmlXPathRegisterNs(ctx, (const xmlChar *)"m",
	    (const xmlChar *)"syncml:metinf");

	xp_eq_names(ctx, "/s:SyncML/*", "SyncHdr,SyncBody");
	xp_eq_names(ctx, "/s:SyncML/s:SyncHdr/*", "VerDTD,VerProto,SessionID,"
	    "MsgID,Target,Source,Cred,Meta");
	xp_eq_names(ctx, "/s:SyncML/s:SyncHdr/s:Source/*", "LocURI,LocName");
	xp_eq_names(ctx, "/s:SyncML/s:SyncHdr/s:Cred/*", "Meta,Data");
	xp_eq_names(ctx, "/s:SyncML/s:SyncHdr/s:Cred/s:Meta/m:*",
	    "Format,Type");
	xp_eq_names(ctx, "/s:SyncML/s:SyncHdr/s:Meta/m:*",
	    "MaxMsgSize,MaxObjSize");
	xp_eq_names(ctx, "/s:SyncML/s:SyncBody/*",
	    "Status,Status,Results,Alert,Replace,Final");
	xp_eq_names(ctx, "//s:Status[1]/*", "CmdID,MsgRef,CmdRef,Cmd,"
	    "TargetRef,TargetRef,SourceRef,Chal,Data,Item");
	xp_eq_names(ctx, "//s:Status[1]/s:Chal/s:Meta/m:*",
	    "Format,Type,NextNonce");
	xp_eq_names(ctx, "//s:Status[1]/s:Item/*",
	    "Target,Source,Meta,Data,MoreData");
	xp_eq_names(ctx, "//s:Status[1]/s:Item/s:Meta/m:*",
	    "Format,Type,Mark,Size");
	xp_eq_names(ctx, "//s:Status[2]/*", "CmdID,MsgRef,CmdRef,Cmd,Data");
	xp_eq_names(ctx, "//s:Results/*", "CmdID,MsgRef,CmdRef,Meta,"
	    "TargetRef,SourceRef,Item,Item");
	xp_eq_names(ctx, "//s:Results/s:Item[1]/*", "Source,Meta,Data");
	xp_eq_names(ctx, "//s:Alert/*", "CmdID,Data,Correlator,Item");
	xp_eq_names(ctx, "//s:Alert/s:Item/s:Meta/m:*", "Format,Type,Mark");
	xp_eq_names(ctx, "//s:Replace/*", "CmdID,Item,Item");
	xp_eq_names(ctx, "//s:Replace/s:Item[2]/*", "Source,Data");
	/* Meta children in syncml:metinf only, nothing else there */
	xp_eq_names(ctx, "//s:Meta/s:*", "");
	xp_eq_names(ctx, "//m:*[not(parent::s:Meta)]", "");

	xp_eq_str(ctx, "//s:Status[1]/s:CmdID", "1", 1);
	xp_eq_str(ctx, "//s:Status[2]/s:CmdRef", "", 0);
	xp_eq_str(ctx, "//s:Results/s:CmdID", "3", 1);
	xp_eq_str(ctx, "//s:Results/s:Item[1]/s:Data", tricky,
	    sizeof(tricky) - 1);
	xp_eq_str(ctx, "//s:Replace/s:Item[2]/s:Data", "M\xC3\xBCller & Co",
	    12);
	xp_eq_str(ctx, "//s:Alert/s:Item/s:Meta/m:Type",
	    "com.microsoft:mdm.unenrollment.userrequest", 42);
	xp_eq_str(ctx, "/s:SyncML/s:SyncHdr/s:Source/s:LocName", "user&co",
	    7);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	free(out);
}
END_TEST

/* Package 1 exactly as Windows writes it (recorded/09, minus the values). */
START_TEST(test_emit_package1_golden)
{
	static const char want[] =
	    "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr><VerDTD>1.2</VerDTD>"
	    "<VerProto>DM/1.2</VerProto><SessionID>1</SessionID>"
	    "<MsgID>1</MsgID><Target><LocURI>https://mdm.example.test/"
	    "ManagementServer/MDM.svc</LocURI></Target><Source><LocURI>"
	    "0123456789ABCDEF0123456789ABCDEF</LocURI></Source></SyncHdr>"
	    "<SyncBody><Alert><CmdID>2</CmdID><Data>1201</Data></Alert>"
	    "<Alert><CmdID>3</CmdID><Data>1224</Data><Item><Meta><Type "
	    "xmlns=\"syncml:metinf\">com.microsoft/MDM/LoginStatus</Type>"
	    "</Meta><Data>user</Data></Item></Alert><Replace><CmdID>4</CmdID>"
	    "<Item><Source><LocURI>./DevInfo/DevId</LocURI></Source><Data>"
	    "0123456789ABCDEF0123456789ABCDEF</Data></Item><Item><Source>"
	    "<LocURI>./DevInfo/Man</LocURI></Source><Data>Example "
	    "Manufacturer</Data></Item><Item><Source><LocURI>./DevInfo/Mod"
	    "</LocURI></Source><Data>Conformance Device</Data></Item><Item>"
	    "<Source><LocURI>./DevInfo/DmV</LocURI></Source><Data>1.3</Data>"
	    "</Item><Item><Source><LocURI>./DevInfo/Lang</LocURI></Source>"
	    "<Data>en-US</Data></Item></Replace><Final/></SyncBody>"
	    "</SyncML>";
	const struct syncml_hdr_out h = {
		.session_id = "1", .msg_id = 1,
		.target_uri = "https://mdm.example.test/ManagementServer/"
		    "MDM.svc",
		.source_uri = "0123456789ABCDEF0123456789ABCDEF"
	};
	const struct syncml_item_out login = {
		.type = "com.microsoft/MDM/LoginStatus", .data = "user",
		.data_len = SYNCML_NTS
	};
	const struct syncml_item_out dev[] = {
		{ .source_uri = "./DevInfo/DevId",
		    .data = "0123456789ABCDEF0123456789ABCDEF",
		    .data_len = SYNCML_NTS },
		{ .source_uri = "./DevInfo/Man", .data = "Example Manufacturer",
		    .data_len = SYNCML_NTS },
		{ .source_uri = "./DevInfo/Mod", .data = "Conformance Device",
		    .data_len = SYNCML_NTS },
		{ .source_uri = "./DevInfo/DmV", .data = "1.3",
		    .data_len = SYNCML_NTS },
		{ .source_uri = "./DevInfo/Lang", .data = "en-US",
		    .data_len = SYNCML_NTS }
	};
	const struct syncml_alert_out a1201 = { .code = 1201 };
	const struct syncml_alert_out a1224 = {
		.code = 1224, .items = &login, .nitems = 1
	};
	struct syncml_writer *w;
	size_t len, bound;
	char *out, *rec, *body;

	w = syncml_writer_new(&h, 2, NULL, 0);
	ck_assert_ptr_nonnull(w);
	ck_assert_uint_eq(syncml_emit_alert(w, &a1201), 2);
	ck_assert_uint_eq(syncml_emit_alert(w, &a1224), 3);
	ck_assert_uint_eq(syncml_emit_replace(w, dev, 5), 4);
	bound = syncml_writer_size(w);
	out = finish(w, 1, &len);
	ck_assert_str_eq(out, want);
	ck_assert_uint_eq(bound, len);	/* exact with Final */
	/* and the same bytes as the real Windows 11 capture */
	rec = sample("recorded/09-win11-26200-pkg1-no-cred.xml", &len);
	body = strstr(rec, "<SyncML");
	ck_assert_ptr_nonnull(body);
	body[strcspn(body, "\n")] = '\0';
	ck_assert_str_eq(out, body);
	free(rec);
	free(out);
	syncml_writer_free(w);
}
END_TEST

START_TEST(test_emit_refusals)
{
	const struct syncml_item_out bad[] = {
		{ .data = "a\x01z", .data_len = SYNCML_NTS },
		{ .data = "a\xFFz", .data_len = SYNCML_NTS },
		{ .data = "\xED\xA0\x80", .data_len = SYNCML_NTS },
		{ .data = "\xC0\xAF", .data_len = SYNCML_NTS },
		{ .data = "\xEF\xBF\xBE", .data_len = SYNCML_NTS },
		{ .data = "a\0b", .data_len = 3 },
		{ .source_uri = "\x0b", .data = "ok", .data_len = 2 },
		{ .data = "\xE2\x82", .data_len = SYNCML_NTS }
	};
	const struct syncml_item_out good = { .data = "ok", .data_len = 2 };
	struct syncml_status_out st = { .msg_ref = "1", .cmd = "Get",
	    .code = 200 };
	struct syncml_results_out res = { .msg_ref = "1", .cmd_ref = "2" };
	struct syncml_hdr_out h = test_hdr;
	struct syncml_writer *w;
	char err[SYNCML_ERRLEN];
	struct syncml_msg *m;
	size_t i, len, len2, before;
	char *out, *again;

	h.session_id = NULL;
	ck_assert_ptr_null(syncml_writer_new(&h, 1, err, sizeof(err)));
	ck_assert_str_eq(err,
	    "SyncHdr needs SessionID, MsgID, Target and Source");
	ck_assert_ptr_null(syncml_writer_new(&test_hdr, 0, err, sizeof(err)));
	ck_assert_str_eq(err, "CmdID 0 is not allowed");
	h = test_hdr;
	h.source_name = "bad\x02";
	ck_assert_ptr_null(syncml_writer_new(&h, 1, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "not valid UTF-8 XML text"));

	w = syncml_writer_new(&test_hdr, 1, err, sizeof(err));
	ck_assert_ptr_nonnull(w);
	before = syncml_writer_size(w);
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		st.items = &bad[i];
		st.nitems = 1;
		ck_assert_uint_eq(syncml_emit_status(w, &st), 0);
		ck_assert_ptr_nonnull(strstr(syncml_writer_error(w),
		    "not valid UTF-8 XML text"));
		ck_assert_uint_eq(syncml_writer_size(w), before);
	}
	ck_assert_uint_eq(syncml_emit_results(w, &res), 0);
	ck_assert_str_eq(syncml_writer_error(w),
	    "Results needs at least one Item");
	ck_assert_uint_eq(syncml_emit_replace(w, NULL, 0), 0);
	ck_assert_uint_eq(syncml_emit_status(w, NULL), 0);
	st.cmd = NULL;
	st.nitems = 0;
	ck_assert_uint_eq(syncml_emit_status(w, &st), 0);
	ck_assert_str_eq(syncml_writer_error(w), "Status needs MsgRef and Cmd");
	st.cmd = "Get";
	st.ntarget_refs = 1;
	ck_assert_uint_eq(syncml_emit_status(w, &st), 0);
	st.ntarget_refs = 0;
	ck_assert_uint_eq(syncml_writer_size(w), before);
	ck_assert_uint_eq(syncml_writer_next_cmdid(w), 1);

	st.items = &good;
	st.nitems = 1;
	ck_assert_uint_eq(syncml_emit_status(w, &st), 1);
	ck_assert_str_eq(syncml_writer_error(w), "");
	out = finish(w, 0, &len);
	ck_assert_int_eq(syncml_writer_finish(w, 1, &again, &len2), -1);
	ck_assert_ptr_null(again);
	ck_assert_uint_eq(syncml_emit_status(w, &st), 0);
	ck_assert_str_eq(syncml_writer_error(w), "message already finished");
	syncml_writer_free(w);
	m = parse_ok(out);
	ck_assert_uint_eq(m->ncmds, 1);
	ck_assert_int_eq(m->final, 0);
	ck_assert_str_eq(m->cmds[0].items[0].data, "ok");
	syncml_msg_free(m);
	free(out);
	syncml_writer_free(NULL);
}
END_TEST

START_TEST(test_emit_size_and_restore)
{
	struct syncml_status_out st = { .msg_ref = "1", .cmd_ref = "5",
	    .cmd = "Replace", .code = 200 };
	struct syncml_hdr_out h = test_hdr;
	struct syncml_writer_mark mk;
	struct syncml_writer *w;
	struct syncml_msg *m;
	size_t s0, s1, len;
	char *out;

	h.ns = SYNCML_NS_11;
	w = syncml_writer_new(&h, 1, NULL, 0);
	ck_assert_ptr_nonnull(w);
	ck_assert_uint_eq(syncml_emit_status(w, &st), 1);
	s0 = syncml_writer_size(w);
	syncml_writer_save(w, &mk);
	ck_assert_uint_eq(syncml_emit_status(w, &st), 2);
	ck_assert_uint_eq(syncml_emit_status(w, &st), 3);
	s1 = syncml_writer_size(w);
	ck_assert_uint_gt(s1, s0);
	syncml_writer_restore(w, &mk);	/* over MaxMsgSize: drop them */
	ck_assert_uint_eq(syncml_writer_size(w), s0);
	ck_assert_uint_eq(syncml_writer_next_cmdid(w), 2);
	ck_assert_uint_eq(syncml_emit_status(w, &st), 2);
	ck_assert_uint_eq(syncml_writer_size(w), s0 + (s1 - s0) / 2);
	out = finish(w, 0, &len);
	ck_assert_uint_eq(len + 8, s0 + (s1 - s0) / 2);	/* no <Final/> */
	syncml_writer_free(w);
	m = parse_ok(out);
	ck_assert_int_eq(m->ns, SYNCML_NS_11);
	ck_assert_uint_eq(m->ncmds, 2);
	ck_assert_str_eq(m->cmds[1].cmd_id, "2");
	syncml_msg_free(m);
	free(out);
}
END_TEST

START_TEST(test_text_valid)
{
	ck_assert_int_eq(syncml_text_valid("", 0), 1);
	ck_assert_int_eq(syncml_text_valid(NULL, 0), 1);
	ck_assert_int_eq(syncml_text_valid("a\tb\nc\rd", 7), 1);
	ck_assert_int_eq(syncml_text_valid(tricky, sizeof(tricky) - 1), 1);
	ck_assert_int_eq(syncml_text_valid("\xF4\x8F\xBF\xBF", 4), 1);
	ck_assert_int_eq(syncml_text_valid("\xF4\x90\x80\x80", 4), 0);
	ck_assert_int_eq(syncml_text_valid("\xF0\x8F\xBF\xBF", 4), 0);
	ck_assert_int_eq(syncml_text_valid("\xE0\x9F\xBF", 3), 0);
	ck_assert_int_eq(syncml_text_valid("\xEF\xBF\xBD", 3), 1);
	ck_assert_int_eq(syncml_text_valid("\xEF\xBF\xBF", 3), 0);
	ck_assert_int_eq(syncml_text_valid("\xC2\x80", 2), 1);
	ck_assert_int_eq(syncml_text_valid("\xC2", 1), 0);
	ck_assert_int_eq(syncml_text_valid("\x7f", 1), 1);
	ck_assert_int_eq(syncml_text_valid("\x1f", 1), 0);
	ck_assert_int_eq(syncml_text_valid("a\0", 2), 0);
}
END_TEST

/*
 * 10,000 Status and 10,000 Results: the writer and the parser stay within
 * a small factor of libxml2 parsing and serialising the same bytes.
 */
START_TEST(test_bulk_speed)
{
	struct syncml_item_out it = { .source_uri = "./Vendor/MSFT/Node",
	    .format = "chr", .data = "value <&> \xC3\xA9",
	    .data_len = SYNCML_NTS };
	struct syncml_status_out st = { .msg_ref = "1", .cmd = "Get",
	    .code = 200 };
	struct syncml_results_out res = { .msg_ref = "1", .items = &it,
	    .nitems = 1 };
	const char *refs[1];
	char ref[32], err[SYNCML_ERRLEN];
	struct syncml_writer *w;
	struct syncml_msg *m;
	double t0, t_ours, t_xml;
	xmlChar *dump;
	xmlDocPtr doc;
	size_t len, i;
	int dumplen;
	char *out;

	t0 = now();
	w = syncml_writer_new(&test_hdr, 1, NULL, 0);
	ck_assert_ptr_nonnull(w);
	refs[0] = "./Vendor/MSFT/Node";
	st.target_refs = refs;
	st.ntarget_refs = 1;
	for (i = 0; i < 10000; i++) {
		snprintf(ref, sizeof(ref), "%zu", i + 2);
		st.cmd_ref = ref;
		res.cmd_ref = ref;
		ck_assert_uint_eq(syncml_emit_status(w, &st), 2 * i + 1);
		ck_assert_uint_eq(syncml_emit_results(w, &res), 2 * i + 2);
	}
	out = finish(w, 1, &len);
	syncml_writer_free(w);
	m = syncml_parse(out, len, NULL, err, sizeof(err));
	ck_assert_msg(m != NULL, "%s", err);
	t_ours = now() - t0;
	ck_assert_uint_eq(m->ncmds, 20000);
	ck_assert_str_eq(m->cmds[19999].cmd_id, "20000");
	ck_assert_str_eq(m->cmds[19999].cmd_ref, "10001");
	ck_assert_str_eq(m->cmds[19999].items[0].data,
	    "value <&> \xC3\xA9");
	syncml_msg_free(m);

	t0 = now();
	doc = xmlReadMemory(out, (int)len, NULL, NULL, XML_PARSE_NONET);
	ck_assert_ptr_nonnull(doc);
	xmlDocDumpMemory(doc, &dump, &dumplen);
	ck_assert_int_gt(dumplen, (int)len / 2);
	xmlFree(dump);
	xmlFreeDoc(doc);
	t_xml = now() - t0;
	ck_assert_msg(t_ours < 4 * t_xml + 0.2,
	    "emit+parse %.3fs, libxml2 parse+dump %.3fs", t_ours, t_xml);
	free(out);
}
END_TEST

static Suite *
syncml_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("syncml");

	tc = tcase_create("samples");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_all_samples);
	tcase_add_test(tc, test_recorded_01_pkg1);
	tcase_add_test(tc, test_recorded_06_atomic);
	tcase_add_test(tc, test_recorded_07_uuid_cmdref);
	tcase_add_test(tc, test_recorded_08_cred);
	tcase_add_test(tc, test_recorded_11_ns11);
	tcase_add_test(tc, test_recorded_13_results);
	tcase_add_test(tc, test_recorded_15_mark);
	tcase_add_test(tc, test_winmdmdemo_meta_without_ns);
	tcase_add_test(tc, test_wapctx_status_order_sequence);
	tcase_add_test(tc, test_cyanogenmod_doctype_cdata);
	tcase_add_test(tc, test_md5_chal_nextnonce);
	tcase_add_test(tc, test_antivirus_maxmsgsize);
	tcase_add_test(tc, test_msmdm_results_cmd);
	suite_add_tcase(s, tc);

	tc = tcase_create("liberal");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_liberal_order_metinf);
	tcase_add_test(tc, test_missing_cmdid_unknown_cmd);
	tcase_add_test(tc, test_data_xml_payload);
	tcase_add_test(tc, test_namespaces);
	tcase_add_test(tc, test_structure_refused);
	tcase_add_test(tc, test_first_wins_and_nesting);
	tcase_add_test(tc, test_kind_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_billion_laughs);
	tcase_add_test(tc, test_external_entities);
	tcase_add_test(tc, test_deep_nesting);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_size_limits);
	tcase_add_test(tc, test_limits_override);
	tcase_add_test(tc, test_from_doc);
	suite_add_tcase(s, tc);

	tc = tcase_create("emit");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_emit_roundtrip);
	tcase_add_test(tc, test_emit_xpath_order);
	tcase_add_test(tc, test_emit_package1_golden);
	tcase_add_test(tc, test_emit_refusals);
	tcase_add_test(tc, test_emit_size_and_restore);
	tcase_add_test(tc, test_text_valid);
	tcase_add_test(tc, test_bulk_speed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int rc;

	rc = testutil_run(syncml_suite());
	xmlCleanupParser();
	return rc;
}
