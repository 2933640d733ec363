/*
 * check_bootstrap.c: unit tests for core/bootstrap.c: the [MS-MDE2]
 * sample provisioning document bootstraps (ServerID, address, both
 * credentials, the raw placeholder nonce, Ext/Microsoft, DMClient, its
 * placeholder certificates skipped with warnings); certificates made at
 * test time with the openssl command line install a CA bundle and a client
 * certificate and key that openssl reads back; a second bootstrap updates
 * the account and keeps what it must; every error leaves the state
 * directory byte for byte as it was.
 */
#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "account.h"
#include "b64.h"
#include "bootstrap.h"
#include "store.h"
#include "testutil.h"
#include "util.h"

#define DATA		LUADM_TEST_DATA "/bootstrap"
#define MS_SAMPLE	DATA "/ms-sample.xml"
#define FLEET_DOC	DATA "/fleet-like.xml"
#define FLEET_ID "0x0000800cABF8CA7D87C0FA21BB21B896AE2C8468CA07710326415228" \
	"ACF2392EA1327077"
#define MS_ROOT_THUMB	"031336C933CC7E228B88880D78824FB2909A0A2F"
#define MS_MY_THUMB	"F9A4F20FC50D990FDD0E3DB9AFCBF401818D5462"

/* This test's scratch directory (testutil.h). */
static const char *const tmpdir = testutil_tmpdir;
static char state[256];		/* tmpdir/state */

static void
setup(void)
{
	testutil_setup();
	snprintf(state, sizeof(state), "%s/state", tmpdir);
}

/* ---- helpers ---- */

/* s with every "from" replaced by "to", malloc'd. */
static char *
replace(const char *s, const char *from, const char *to)
{
	struct buf b = { 0 };
	const char *p;

	while ((p = strstr(s, from)) != NULL) {
		ck_assert_int_eq(buf_add(&b, s, (size_t)(p - s)), 0);
		ck_assert_int_eq(buf_addstr(&b, to), 0);
		s = p + strlen(from);
	}
	ck_assert_int_eq(buf_addstr(&b, s), 0);
	return b.p;
}

/* Runs a shell command; fails the test unless it exits 0. */
static void
sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	ck_assert_msg(rc == 0, "command failed (%d): %s", rc, cmd);
}

/*
 * Makes a self-signed certificate and its key with the openssl command
 * line: tmpdir/<name>.key, <name>.pem, <name>.der. *b64 gets the DER as
 * base64 and thumb the upper-case SHA-1 thumbprint.
 */
static void
make_cert(const char *name, const char *cn, char **b64, char *thumb)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen, i;
	char path[512], *der;
	size_t len;

	sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
	    "-nodes -keyout %s/%s.key -out %s/%s.pem -days 2 -subj '/CN=%s' "
	    ">/dev/null 2>&1", tmpdir, name, tmpdir, name, cn);
	sh("openssl x509 -in %s/%s.pem -outform DER -out %s/%s.der", tmpdir,
	    name, tmpdir, name);
	snprintf(path, sizeof(path), "%s/%s.der", tmpdir, name);
	der = testutil_slurp(path, &len);
	*b64 = b64_encode(der, len);
	ck_assert_ptr_nonnull(*b64);
	ck_assert_int_eq(EVP_Digest(der, len, md, &mdlen, EVP_sha1(), NULL),
	    1);
	for (i = 0; i < mdlen; i++)
		sprintf(thumb + 2 * i, "%02X", md[i]);
	free(der);
}

/* Appends a listing of dir (sorted, recursive, with modes and contents). */
static void
snap_dir(struct buf *b, const char *dir)
{
	struct dirent **ents;
	struct stat st;
	char path[4096], *data;
	size_t len;
	int n, i;

	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0) {
		ck_assert_int_eq(buf_printf(b, "%s: none\n", dir), 0);
		return;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(ents[i]->d_name, ".") != 0 &&
		    strcmp(ents[i]->d_name, "..") != 0) {
			snprintf(path, sizeof(path), "%s/%s", dir,
			    ents[i]->d_name);
			ck_assert_int_eq(lstat(path, &st), 0);
			ck_assert_int_eq(buf_printf(b, "%s %o\n", path,
			    (unsigned)st.st_mode), 0);
			if (S_ISDIR(st.st_mode))
				snap_dir(b, path);
			else {
				data = testutil_slurp(path, &len);
				ck_assert_int_eq(buf_add(b, data, len), 0);
				free(data);
			}
		}
		free(ents[i]);
	}
	free(ents);
}

static char *
snapshot(void)
{
	struct buf b = { 0 };

	ck_assert_int_eq(buf_addstr(&b, "-\n"), 0);
	snap_dir(&b, state);
	return b.p;
}

/* Bootstraps, which must succeed; res must be freed by the caller. */
static void
boot_ok(const char *doc, const char *key, struct bootstrap_result *res)
{
	char *err = NULL;
	int rc;

	rc = bootstrap_run(state, doc, key, res, &err);
	ck_assert_msg(rc == 0, "bootstrap %s: %s", doc, err != NULL ? err :
	    "?");
	ck_assert_ptr_null(err);
}

static struct account *
load(const char *server_id)
{
	struct account *a = NULL;
	char *err = NULL;

	ck_assert_msg(account_find(state, server_id, &a, &err) == 0,
	    "account %s: %s", server_id, err != NULL ? err : "none");
	return a;
}

static void
expect_key(const struct account *a, const char *key, const char *want)
{
	const char *v = account_get(a, key, NULL);

	ck_assert_msg(v != NULL, "%s: missing", key);
	ck_assert_msg(strcmp(v, want) == 0, "%s: expected \"%s\", got \"%s\"",
	    key, want, v);
}

/* Number of warnings holding s. */
static size_t
warnings_with(const struct bootstrap_result *r, const char *s)
{
	size_t i, n = 0;

	for (i = 0; i < r->nwarnings; i++)
		if (strstr(r->warnings[i], s) != NULL)
			n++;
	return n;
}

static int
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* ---- tests ---- */

START_TEST(test_ms_sample)
{
	struct bootstrap_result r;
	struct account *a;
	char want[ACCOUNT_ID_LEN + 1], path[512];
	size_t len;
	const char *v;

	boot_ok(MS_SAMPLE, NULL, &r);
	ck_assert_int_eq(account_id("TestMDMServer", want), 0);
	ck_assert_str_eq(r.id, want);
	ck_assert_str_eq(r.server_id, "TestMDMServer");
	ck_assert_str_eq(r.name, "Microsoft");
	ck_assert_str_eq(r.addr,
	    "https://DM.contoso.com:443/omadm/Windows.ashx");
	ck_assert_str_eq(r.clcred_type, "BASIC");
	ck_assert_str_eq(r.clcred_name, "testclient");
	ck_assert_str_eq(r.srvcred_type, "DIGEST");
	ck_assert_int_eq(r.updated, 0);
	ck_assert_uint_eq(r.nca, 0);
	ck_assert_ptr_null(r.ca_file);
	ck_assert_ptr_null(r.cert_file);
	ck_assert_ptr_null(r.key_file);
	ck_assert_uint_eq(r.ndmclient, 9);
	/* the two placeholder certificates: skipped, named, nothing else */
	ck_assert_uint_eq(r.nwarnings, 2);
	ck_assert_uint_eq(warnings_with(&r, "Root/System/" MS_ROOT_THUMB), 1);
	ck_assert_uint_eq(warnings_with(&r, "My/User/" MS_MY_THUMB), 1);
	ck_assert_uint_eq(warnings_with(&r, "skipped"), 2);
	bootstrap_result_free(&r);

	a = load("TestMDMServer");
	ck_assert_str_eq(a->id, want);
	expect_key(a, "AppID", "w7");
	expect_key(a, "ServerID", "TestMDMServer");
	expect_key(a, "Name", "Microsoft");
	expect_key(a, "AppAddr/1/Addr",
	    "https://DM.contoso.com:443/omadm/Windows.ashx");
	expect_key(a, "AppAddr/1/AddrType", "URI");
	expect_key(a, "AppAuth/CLCRED/AAuthLevel", "CLCRED");
	expect_key(a, "AppAuth/CLCRED/AAuthType", "BASIC");
	expect_key(a, "AppAuth/CLCRED/AAuthName", "testclient");
	expect_key(a, "AppAuth/CLCRED/AAuthSecret", "password2");
	ck_assert_ptr_null(account_get(a, "AppAuth/CLCRED/AAuthData", NULL));
	expect_key(a, "AppAuth/SRVCRED/AAuthLevel", "SRVCRED");
	expect_key(a, "AppAuth/SRVCRED/AAuthType", "DIGEST");
	expect_key(a, "AppAuth/SRVCRED/AAuthSecret", "password1");
	ck_assert_ptr_null(account_get(a, "AppAuth/SRVCRED/AAuthName", NULL));
	/* not base64: kept as its text */
	v = account_get(a, "AppAuth/SRVCRED/AAuthData", &len);
	ck_assert_uint_eq(len, strlen("B64encodedBinaryNonceInsertedHere"));
	ck_assert_str_eq(v, "B64encodedBinaryNonceInsertedHere");
	expect_key(a, "Ext/Microsoft/ConnRetryFreq", "6");
	expect_key(a, "Ext/Microsoft/InitialBackOffTime", "30000");
	expect_key(a, "Ext/Microsoft/MaxBackOffTime", "120000");
	expect_key(a, "Ext/Microsoft/BackCompatRetryDisabled", "true");
	expect_key(a, "Ext/Microsoft/DefaultEncoding",
	    "application/vnd.syncml.dm+wbxml");
	expect_key(a, "Ext/Microsoft/SSLClientCertSearchCriteria",
	    "Subject=DC%3dcom%2cDC%3dmicrosoft%2cCN%3dUsers%2cCN%3d"
	    "Administrator&Stores=My%5CUser");
	expect_key(a, "DMClient/UPN", "UserPrincipalName@domain.com");
	expect_key(a, "DMClient/EntDeviceName", "Administrator_Windows");
	expect_key(a, "DMClient/Poll/NumberOfFirstRetries", "8");
	expect_key(a, "DMClient/Poll/IntervalForFirstSetOfRetries", "15");
	expect_key(a, "DMClient/Poll/NumberOfSecondRetries", "5");
	expect_key(a, "DMClient/Poll/IntervalForSecondSetOfRetries", "3");
	expect_key(a, "DMClient/Poll/NumberOfRemainingScheduledRetries", "0");
	expect_key(a, "DMClient/Poll/IntervalForRemainingScheduledRetries",
	    "1560");
	expect_key(a, "DMClient/Poll/PollOnLogin", "true");
	ck_assert_ptr_null(account_get(a, "Ext/luadm/CAFile", NULL));
	ck_assert_ptr_null(account_get(a, "Ext/luadm/ClientCert", NULL));
	ck_assert_uint_eq(a->map.n, 28);
	account_free(a);
	snprintf(path, sizeof(path), "%s/accounts/%s.ca.pem", state, want);
	ck_assert(!exists(path));
	snprintf(path, sizeof(path), "%s/accounts/%s.cert.pem", state, want);
	ck_assert(!exists(path));
}
END_TEST

START_TEST(test_fleet_like)
{
	static const char zeros[3] = { 0, 0, 0 };
	struct bootstrap_result r;
	struct account *a;
	const char *v;
	size_t len;

	boot_ok(FLEET_DOC, NULL, &r);
	ck_assert_str_eq(r.id, FLEET_ID);
	ck_assert_uint_eq(r.nwarnings, 0);
	ck_assert_str_eq(r.addr,
	    "https://fleet.example.com/api/mdm/microsoft/management");
	bootstrap_result_free(&r);
	a = load("Fleet");
	ck_assert_str_eq(a->id, FLEET_ID);
	expect_key(a, "Name", "Fleet Device Management");
	expect_key(a, "AppAddr/1/AddrType", "URI");
	expect_key(a, "AppAddr/1/Port/1/PortNbr", "443");
	expect_key(a, "Ext/Microsoft/Init", "true");
	expect_key(a, "Ext/Microsoft/ProtoVer", "1.2");
	expect_key(a, "Ext/Microsoft/Role", "4294967295");
	/* "AAAA" is base64: three zero bytes */
	v = account_get(a, "AppAuth/CLCRED/AAuthData", &len);
	ck_assert_uint_eq(len, 3);
	ck_assert_mem_eq(v, zeros, 3);
	expect_key(a, "AppAuth/SRVCRED/AAuthData", "nonce");
	expect_key(a, "DMClient/EntDMID", "device-42");
	expect_key(a, "DMClient/SignedEntDMID", "");
	expect_key(a, "DMClient/Poll/PollOnLogin", "true");
	account_free(a);
}
END_TEST

START_TEST(test_real_ca)
{
	struct bootstrap_result r;
	struct account *a;
	char *b64a, *b64b, *doc, *d2, *pem, ta[41], tb[41], want[1024];
	char ca[512];
	const char *path;
	size_t n;

	make_cert("rootA", "luadm test root A", &b64a, ta);
	make_cert("rootB", "luadm test root B", &b64b, tb);
	doc = testutil_slurp(MS_SAMPLE, NULL);
	d2 = replace(doc, "B64 encoded cert insert here", b64a);
	free(doc);
	doc = replace(d2, MS_ROOT_THUMB, ta);
	free(d2);
	/* a second root, before the first */
	snprintf(want, sizeof(want), "<characteristic type=\"%s\"><parm "
	    "name=\"EncodedCertificate\" value=\"%s\"/></characteristic>"
	    "<characteristic type=\"%s\">", tb, b64b, ta);
	snprintf(ca, sizeof(ca), "<characteristic type=\"%s\">", ta);
	d2 = replace(doc, ca, want);
	ck_assert_str_ne(d2, doc);
	path = testutil_write_str("real.xml", d2);
	free(doc);
	free(d2);

	boot_ok(path, NULL, &r);
	ck_assert_uint_eq(r.nca, 2);
	ck_assert_ptr_nonnull(r.ca_file);
	snprintf(ca, sizeof(ca), "%s/accounts/%s.ca.pem", state, r.id);
	ck_assert_str_eq(r.ca_file, ca);
	/* only the My placeholder is left to warn about */
	ck_assert_uint_eq(r.nwarnings, 1);
	ck_assert_uint_eq(warnings_with(&r, MS_MY_THUMB), 1);
	bootstrap_result_free(&r);

	a = load("TestMDMServer");
	expect_key(a, "Ext/luadm/CAFile", ca);
	account_free(a);
	/* openssl reads the bundle; the first certificate is root B's */
	sh("openssl x509 -in %s -noout -subject > %s/subject", ca, tmpdir);
	snprintf(want, sizeof(want), "%s/subject", tmpdir);
	pem = testutil_slurp(want, NULL);
	ck_assert_ptr_nonnull(strstr(pem, "luadm test root B"));
	free(pem);
	/* both certificates are in it, byte for byte, and usable */
	sh("cat %s/rootB.pem %s/rootA.pem | cmp -s - %s", tmpdir, tmpdir, ca);
	sh("openssl verify -CAfile %s %s/rootA.pem >/dev/null", ca, tmpdir);
	sh("openssl verify -CAfile %s %s/rootB.pem >/dev/null", ca, tmpdir);
	pem = testutil_slurp(ca, NULL);
	n = 0;
	for (d2 = pem; (d2 = strstr(d2, "BEGIN CERTIFICATE")) != NULL; d2++)
		n++;
	free(pem);
	ck_assert_uint_eq(n, 2);
	free(b64a);
	free(b64b);
}
END_TEST

/* The sample with a real client certificate in My/User; returns its path. */
static const char *
client_doc(const char *b64, const char *thumb)
{
	char *doc, *d2;
	const char *path;

	doc = testutil_slurp(MS_SAMPLE, NULL);
	d2 = replace(doc, "B64EncodedCertInsertedHere", b64);
	free(doc);
	doc = replace(d2, MS_MY_THUMB, thumb);
	free(d2);
	path = testutil_write_str("client.xml", doc);
	free(doc);
	return path;
}

START_TEST(test_client_cert)
{
	struct bootstrap_result r;
	struct account *a;
	char *b64, *b64o, thumb[41], thumbo[41], key[512], other[512];
	char *err = NULL, *before, *after, *k1, *k2;
	const char *doc;
	struct stat st;

	make_cert("client", "luadm test device", &b64, thumb);
	make_cert("other", "luadm other", &b64o, thumbo);
	snprintf(key, sizeof(key), "%s/client.key", tmpdir);
	snprintf(other, sizeof(other), "%s/other.key", tmpdir);
	doc = client_doc(b64, thumb);

	/* without the key: the certificate goes in, with a warning */
	boot_ok(doc, NULL, &r);
	ck_assert_ptr_nonnull(r.cert_file);
	ck_assert_ptr_null(r.key_file);
	ck_assert_uint_eq(warnings_with(&r, "--client-key"), 1);
	ck_assert_uint_eq(warnings_with(&r, thumb), 1);
	sh("openssl x509 -in %s -noout", r.cert_file);
	sh("cmp -s %s %s/client.pem", r.cert_file, tmpdir);
	bootstrap_result_free(&r);
	a = load("TestMDMServer");
	ck_assert_ptr_nonnull(account_get(a, "Ext/luadm/ClientCert", NULL));
	ck_assert_ptr_null(account_get(a, "Ext/luadm/ClientKey", NULL));
	account_free(a);

	/* a key that is not the certificate's: refused, nothing written */
	before = snapshot();
	ck_assert_int_eq(bootstrap_run(state, doc, other, &r, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, other));
	ck_assert_ptr_nonnull(strstr(err, "does not match"));
	free(err);
	err = NULL;
	bootstrap_result_free(&r);
	after = snapshot();
	ck_assert_str_eq(before, after);
	free(after);

	/* with its key: copied, 0600 */
	boot_ok(doc, key, &r);
	ck_assert_int_eq(r.updated, 1);
	ck_assert_ptr_nonnull(r.key_file);
	ck_assert_uint_eq(warnings_with(&r, "--client-key"), 0);
	ck_assert_int_eq(stat(r.key_file, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	k1 = testutil_slurp(key, NULL);
	k2 = testutil_slurp(r.key_file, NULL);
	ck_assert_str_eq(k1, k2);
	free(k1);
	free(k2);
	sh("openssl pkey -in %s -noout", r.key_file);
	a = load("TestMDMServer");
	expect_key(a, "Ext/luadm/ClientKey", r.key_file);
	expect_key(a, "Ext/luadm/ClientCert", r.cert_file);
	account_free(a);
	bootstrap_result_free(&r);

	/* again without --client-key: the installed key matches, no warning */
	boot_ok(doc, NULL, &r);
	ck_assert_uint_eq(warnings_with(&r, "--client-key"), 0);
	bootstrap_result_free(&r);

	/* a document without client certificate, a key: the installed one */
	boot_ok(MS_SAMPLE, key, &r);
	ck_assert_ptr_nonnull(r.key_file);
	bootstrap_result_free(&r);
	free(before);
	free(b64);
	free(b64o);
}
END_TEST

START_TEST(test_rebootstrap)
{
	struct bootstrap_result r;
	struct account *a;
	char *doc, *d2, *err = NULL;
	const char *path;

	boot_ok(FLEET_DOC, NULL, &r);
	bootstrap_result_free(&r);
	/* what a session and the administrator changed since */
	a = load("Fleet");
	ck_assert_int_eq(account_set_str(a, "Ext/luadm/SessionCounter", "7"),
	    0);
	ck_assert_int_eq(account_set_str(a, "Ext/luadm/Query", "a=1"), 0);
	ck_assert_int_eq(account_set_str(a, "AppAuth/CLCRED/AAuthData",
	    "learned"), 0);
	ck_assert_int_eq(account_set_str(a, "AppAuth/SRVCRED/AAuthData",
	    "learned too"), 0);
	ck_assert_int_eq(account_set_str(a, "AppAuth/CLCRED/AAuthName",
	    "rekeyed"), 0);
	ck_assert_int_eq(account_save(a, &err), 0);
	account_free(a);

	/* the new document: another NAME, no AAUTHDATA for APPSRV, a new
	 * one for CLIENT */
	doc = testutil_slurp(FLEET_DOC, NULL);
	d2 = replace(doc, "Fleet Device Management", "Fleet (renamed)");
	free(doc);
	doc = replace(d2, "<parm name=\"AAUTHDATA\" value=\"AAAA\"/>", "");
	free(d2);
	d2 = replace(doc, "value=\"nonce\"", "value=\"Tm9uY2U=\"");
	free(doc);
	path = testutil_write_str("again.xml", d2);
	free(d2);
	boot_ok(path, NULL, &r);
	ck_assert_int_eq(r.updated, 1);
	ck_assert_str_eq(r.name, "Fleet (renamed)");
	bootstrap_result_free(&r);

	a = load("Fleet");
	expect_key(a, "Name", "Fleet (renamed)");
	expect_key(a, "Ext/luadm/SessionCounter", "7");
	expect_key(a, "Ext/luadm/Query", "a=1");
	expect_key(a, "AppAuth/CLCRED/AAuthData", "learned");
	expect_key(a, "AppAuth/SRVCRED/AAuthData", "Nonce");
	expect_key(a, "AppAuth/CLCRED/AAuthName", "dummy");
	expect_key(a, "DMClient/EntDMID", "device-42");
	account_free(a);
}
END_TEST

/* A document that must be refused: what its error must say. */
struct bad_doc {
	const char	*name;
	const char	*text;
	const char	*why;
};

#define APP_HEAD "<wap-provisioningdoc version=\"1.1\">\n" \
	"<characteristic type=\"APPLICATION\">\n" \
	"<parm name=\"APPID\" value=\"w7\"/>\n"
#define APP_ID "<parm name=\"PROVIDER-ID\" value=\"Bad\"/>\n"
#define APP_ADDR "<parm name=\"ADDR\" value=\"https://bad.example/dm\"/>\n"
#define APP_TAIL "</characteristic>\n</wap-provisioningdoc>\n"

static const struct bad_doc bad_docs[] = {
	{ "mismatch.xml", APP_HEAD APP_ID APP_ADDR "</wap-provisioningdoc>\n",
	    "XML error at line 6" },
	{ "text.xml", "hello", "XML error at line 1" },
	{ "root.xml", "<SyncML/>", "not a wap-provisioningdoc" },
	{ "w4.xml", "<wap-provisioningdoc><characteristic type=\""
	    "APPLICATION\"><parm name=\"APPID\" value=\"w4\"/>" APP_ID APP_ADDR
	    APP_TAIL, "no APPLICATION characteristic with APPID w7" },
	{ "lower.xml", "<wap-provisioningdoc><characteristic type=\""
	    "APPLICATION\"><parm name=\"appid\" value=\"w7\"/>" APP_ID APP_ADDR
	    APP_TAIL, "no APPLICATION characteristic with APPID w7" },
	{ "noid.xml", APP_HEAD APP_ADDR APP_TAIL, ":2: the w7 APPLICATION has "
	    "no PROVIDER-ID" },
	{ "emptyid.xml", APP_HEAD "<parm name=\"PROVIDER-ID\" value=\"\"/>"
	    APP_ADDR APP_TAIL, "no PROVIDER-ID" },
	{ "noaddr.xml", APP_HEAD APP_ID APP_TAIL, ":2: the w7 APPLICATION has "
	    "no ADDR" },
	{ "ftp.xml", APP_HEAD APP_ID "<parm name=\"ADDR\" value=\"ftp://x/\"/>"
	    APP_TAIL, "is not an http(s) URL" },
	{ "port.xml", APP_HEAD APP_ID "<characteristic type=\"APPADDR\"><parm "
	    "name=\"ADDR\" value=\"https://x/\"/><characteristic type=\"PORT\">"
	    "<parm name=\"PORTNBR\" value=\"99999\"/></characteristic>"
	    "</characteristic>" APP_TAIL, "PORTNBR \"99999\"" },
	{ "two.xml", "<wap-provisioningdoc>\n<characteristic type=\""
	    "APPLICATION\"><parm name=\"APPID\" value=\"w7\"/>" APP_ID APP_ADDR
	    "</characteristic>\n<characteristic type=\"APPLICATION\"><parm "
	    "name=\"APPID\" value=\"w7\"/>" APP_ID APP_ADDR APP_TAIL,
	    "a second w7 APPLICATION" },
	{ "authtype.xml", APP_HEAD APP_ID APP_ADDR "<characteristic type=\""
	    "APPAUTH\"><parm name=\"AAUTHLEVEL\" value=\"APPSRV\"/><parm name="
	    "\"AAUTHTYPE\" value=\"NTLM\"/></characteristic>" APP_TAIL,
	    "AAUTHTYPE \"NTLM\" is not supported" },
	{ "nolevel.xml", APP_HEAD APP_ID APP_ADDR "<characteristic type=\""
	    "APPAUTH\"><parm name=\"AAUTHTYPE\" value=\"BASIC\"/>"
	    "</characteristic>" APP_TAIL, "APPAUTH without AAUTHLEVEL" },
	{ "twolevels.xml", APP_HEAD APP_ID APP_ADDR "<characteristic type=\""
	    "APPAUTH\"><parm name=\"AAUTHLEVEL\" value=\"APPSRV\"/>"
	    "</characteristic><characteristic type=\"APPAUTH\"><parm name=\""
	    "AAUTHLEVEL\" value=\"APPSRV\"/></characteristic>" APP_TAIL,
	    "a second APPAUTH" },
	{ "retry.xml", APP_HEAD APP_ID APP_ADDR "<parm name=\"CONNRETRYFREQ\" "
	    "value=\"soon\"/>" APP_TAIL, "CONNRETRYFREQ \"soon\" is not a "
	    "decimal number" },
	{ "laughs.xml", "<?xml version=\"1.0\"?>\n<!DOCTYPE "
	    "wap-provisioningdoc [\n<!ENTITY a \"aaaaaaaaaaaaaaaaaaaa\">\n"
	    "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">\n]>\n" APP_HEAD APP_ID
	    "<parm name=\"NAME\" value=\"&b;\"/>" APP_ADDR APP_TAIL,
	    "entity" },
	{ "xxe.xml", "<!DOCTYPE wap-provisioningdoc [ <!ENTITY x SYSTEM "
	    "\"file:///etc/passwd\"> ]>\n" APP_HEAD APP_ID
	    "<parm name=\"NAME\" value=\"&x;\"/>" APP_ADDR APP_TAIL,
	    "entity" },
	{ "pentity.xml", "<!DOCTYPE wap-provisioningdoc [ <!ELEMENT "
	    "wap-provisioningdoc ANY> ]>\n" APP_HEAD APP_ID APP_ADDR APP_TAIL,
	    "DOCTYPE internal subset refused" },
	{ "undef.xml", APP_HEAD APP_ID "<parm name=\"NAME\" value=\"&undef;\"/>"
	    APP_ADDR APP_TAIL, "XML error" },
	{ "utf8.xml", APP_HEAD "<parm name=\"PROVIDER-ID\" value=\"\xff\"/>"
	    APP_ADDR APP_TAIL, "XML error" },
	{ "empty.xml", "", "empty file" },
	{ NULL, NULL, NULL }
};

START_TEST(test_errors)
{
	struct bootstrap_result r;
	struct buf deep = { 0 };
	char *before, *after, *err = NULL, *big;
	const char *path;
	size_t i;
	int rc;

	/* an account and its files to keep safe */
	boot_ok(FLEET_DOC, NULL, &r);
	bootstrap_result_free(&r);
	before = snapshot();

	for (i = 0; bad_docs[i].name != NULL; i++) {
		path = testutil_write_str(bad_docs[i].name, bad_docs[i].text);
		rc = bootstrap_run(state, path, NULL, &r, &err);
		ck_assert_msg(rc == -1, "%s: accepted", bad_docs[i].name);
		ck_assert_msg(err != NULL && strstr(err, path) != NULL,
		    "%s: the error does not name the file: %s",
		    bad_docs[i].name, err != NULL ? err : "(null)");
		ck_assert_msg(strstr(err, bad_docs[i].why) != NULL,
		    "%s: expected \"%s\" in \"%s\"", bad_docs[i].name,
		    bad_docs[i].why, err);
		free(err);
		err = NULL;
		bootstrap_result_free(&r);
		after = snapshot();
		ck_assert_msg(strcmp(before, after) == 0, "%s: the state "
		    "changed", bad_docs[i].name);
		free(after);
	}

	/* too deep */
	for (i = 0; i < 40; i++)
		buf_addstr(&deep, "<characteristic type=\"x\">");
	for (i = 0; i < 40; i++)
		buf_addstr(&deep, "</characteristic>");
	big = util_asprintf("<wap-provisioningdoc>%s</wap-provisioningdoc>",
	    deep.p);
	path = testutil_write_str("deep.xml", big);
	free(big);
	buf_free(&deep);
	ck_assert_int_eq(bootstrap_run(state, path, NULL, &r, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "deeper"));
	free(err);
	err = NULL;
	bootstrap_result_free(&r);

	/* too big */
	big = malloc(BOOTSTRAP_MAX_FILE + 100);
	ck_assert_ptr_nonnull(big);
	memset(big, ' ', BOOTSTRAP_MAX_FILE + 100);
	memcpy(big, APP_HEAD, strlen(APP_HEAD));
	path = testutil_write("big.xml", big, BOOTSTRAP_MAX_FILE + 100);
	free(big);
	ck_assert_int_eq(bootstrap_run(state, path, NULL, &r, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, path));
	free(err);
	err = NULL;
	bootstrap_result_free(&r);

	/* no such document; no such key; a key that is no key */
	ck_assert_int_eq(bootstrap_run(state, "/nonexistent/doc.xml", NULL,
	    &r, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/doc.xml"));
	free(err);
	err = NULL;
	bootstrap_result_free(&r);
	ck_assert_int_eq(bootstrap_run(state, FLEET_DOC, "/nonexistent/k.pem",
	    &r, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/k.pem"));
	free(err);
	err = NULL;
	bootstrap_result_free(&r);
	path = testutil_write_str("notakey.pem",
	    "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
	ck_assert_int_eq(bootstrap_run(state, FLEET_DOC, path, &r, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "not an unencrypted PEM private "
	    "key"));
	free(err);
	err = NULL;
	bootstrap_result_free(&r);
	/* a real key, but no client certificate anywhere */
	sh("openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:"
	    "prime256v1 -out %s/lonely.key 2>/dev/null", tmpdir);
	{
		char k[512];

		snprintf(k, sizeof(k), "%s/lonely.key", tmpdir);
		ck_assert_int_eq(bootstrap_run(state, FLEET_DOC, k, &r, &err),
		    -1);
		ck_assert_ptr_nonnull(strstr(err, "no client certificate"));
		free(err);
		err = NULL;
		bootstrap_result_free(&r);
	}

	after = snapshot();
	ck_assert_str_eq(before, after);
	free(after);
	free(before);
}
END_TEST

START_TEST(test_warnings)
{
	struct bootstrap_result r;
	struct account *a;
	const char *path;

	path = testutil_write_str("warn.xml",
	    APP_HEAD APP_ID APP_ADDR
	    "<parm name=\"FUTURE-PARM\" value=\"1\"/>\n"
	    "<parm name=\"USEHWDEVID\"/>\n"
	    "<characteristic type=\"RESOURCE\"/>\n"
	    "<characteristic type=\"APPAUTH\"><parm name=\"AAUTHLEVEL\" "
	    "value=\"OBEX\"/></characteristic>\n"
	    "</characteristic>\n"
	    "<characteristic type=\"Registry\"/>\n"
	    "<characteristic type=\"DMClient\"><characteristic type=\""
	    "Provider\"><characteristic type=\"Someone\"><parm name=\"UPN\" "
	    "value=\"x\"/></characteristic></characteristic>"
	    "</characteristic>\n"
	    "<characteristic type=\"CertificateStore\"><characteristic type=\""
	    "CA\"><characteristic type=\"System\"><characteristic type=\"AB\">"
	    "<parm name=\"EncodedCertificate\" value=\"x\"/></characteristic>"
	    "</characteristic></characteristic></characteristic>\n"
	    "</wap-provisioningdoc>\n");
	boot_ok(path, NULL, &r);
	ck_assert_uint_eq(warnings_with(&r, "FUTURE-PARM"), 1);
	ck_assert_uint_eq(warnings_with(&r, "RESOURCE"), 1);
	ck_assert_uint_eq(warnings_with(&r, "OBEX"), 1);
	ck_assert_uint_eq(warnings_with(&r, "Registry"), 1);
	ck_assert_uint_eq(warnings_with(&r, "DMClient/Provider/Someone"), 1);
	ck_assert_uint_eq(warnings_with(&r, "CertificateStore/CA/System/AB"),
	    1);
	ck_assert_uint_eq(r.nwarnings, 6);
	ck_assert_uint_eq(r.ndmclient, 0);
	ck_assert_ptr_null(r.clcred_type);
	bootstrap_result_free(&r);
	a = load("Bad");
	expect_key(a, "Ext/Microsoft/UseHwDevID", "true");
	ck_assert_ptr_null(account_get(a, "DMClient/UPN", NULL));
	account_free(a);
}
END_TEST

static Suite *
bootstrap_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("bootstrap");
	tc = tcase_create("bootstrap");
	tcase_set_timeout(tc, 120);
	testutil_fixtures(tc, setup);
	tcase_add_test(tc, test_ms_sample);
	tcase_add_test(tc, test_fleet_like);
	tcase_add_test(tc, test_real_ca);
	tcase_add_test(tc, test_client_cert);
	tcase_add_test(tc, test_rebootstrap);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_warnings);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testutil_run(bootstrap_suite());
}
