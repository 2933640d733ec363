/*
 * bootstrap.c: wap-provisioningdoc -> DM account (see bootstrap.h).
 *
 * Three steps, so that nothing is written unless the whole document is
 * good: parse (xml_safe_read(): the policy every untrusted XML text
 * meets, with the document's depth/size limits), plan (walk the DOM into the
 * keys to set, the PEM files to write and the warnings; load and check the
 * client key), apply (merge the plan into the account, write the PEM
 * files, then the account map last).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "account.h"
#include "b64.h"
#include "bootstrap.h"
#include "store.h"
#include "syncml.h"
#include "uri.h"
#include "util.h"
#include "xml_safe.h"

#define XML_MAX_DEPTH	32
#define XML_MAX_ELEMENTS 20000

/* A certificate of the document that may become the client's. */
struct cand {
	X509	*x;
	char	*thumb;
};

/* Everything the document asks for, before anything is written. */
struct plan {
	const char	*file;		/* the document, for messages */
	const char	*state_dir;
	struct bootstrap_result *res;
	char		*server_id;
	struct store_map keys;		/* the keys the document sets */
	struct buf	 ca;		/* PEM of the Root/System certs */
	struct cand	*cands;		/* My certificates */
	size_t		 ncands;
	struct cand	*client;	/* the one chosen, or NULL */
	struct buf	 cert;		/* its PEM */
	struct buf	 key;		/* the client key file's bytes */
	struct account	*acc;		/* loaded, or new */
};

static void	seterr(char **, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	warn(struct plan *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
seterr(char **err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	free(*err);
	va_start(ap, fmt);
	*err = util_vasprintf(fmt, ap);
	va_end(ap);
}

/* Adds a warning to the result. 0 or -1 (out of memory). */
static int
warn(struct plan *p, const char *fmt, ...)
{
	struct bootstrap_result *r = p->res;
	va_list ap;
	char **nv, *s;

	va_start(ap, fmt);
	s = util_vasprintf(fmt, ap);
	va_end(ap);
	if (s == NULL)
		return -1;
	nv = realloc(r->warnings, (r->nwarnings + 1) * sizeof(*nv));
	if (nv == NULL) {
		free(s);
		return -1;
	}
	r->warnings = nv;
	r->warnings[r->nwarnings++] = s;
	return 0;
}

/* ---- parsing ---- */

/*
 * Parses buf under the shared safe-XML policy (xml_safe.h: no DTD
 * declarations, no entities, no network) within the document limits.
 * Returns the document or NULL with *err naming the file.
 */
static xmlDocPtr
parse_xml(const char *file, const char *buf, size_t len, char **err)
{
	struct syncml_limits lim = { BOOTSTRAP_MAX_FILE, XML_MAX_DEPTH,
	    XML_MAX_ELEMENTS };
	char why[XML_SAFE_ERRLEN];
	xmlDocPtr doc;

	doc = xml_safe_read(buf, len, &lim, why, sizeof(why));
	if (doc == NULL)
		seterr(err, "%s: %s", file, why);
	return doc;
}

/* ---- DOM helpers ---- */

static int
is_el(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	    strcmp((const char *)n->name, name) == 0;
}

/* The attribute name of n as a malloc'd string, or NULL when absent. */
static char *
get_attr(const xmlNode *n, const char *name)
{
	xmlChar *v;
	char *s;

	v = xmlGetNoNsProp(n, (const xmlChar *)name);
	if (v == NULL)
		return NULL;
	s = strdup((const char *)v);
	xmlFree(v);
	return s;
}

/* 1 when n is <characteristic type="type">. */
static int
is_char(const xmlNode *n, const char *type)
{
	char *t;
	int r;

	if (!is_el(n, "characteristic"))
		return 0;
	t = get_attr(n, "type");
	r = t != NULL && strcmp(t, type) == 0;
	free(t);
	return r;
}

/* The value of <parm name="name"> directly in n, malloc'd, or NULL. */
static char *
parm_value(const xmlNode *n, const char *name, int *present)
{
	const xmlNode *c;
	char *pn;

	if (present != NULL)
		*present = 0;
	for (c = n->children; c != NULL; c = c->next) {
		if (!is_el(c, "parm"))
			continue;
		pn = get_attr(c, "name");
		if (pn != NULL && strcmp(pn, name) == 0) {
			free(pn);
			if (present != NULL)
				*present = 1;
			return get_attr(c, "value");
		}
		free(pn);
	}
	return NULL;
}

static int
line_of(const xmlNode *n)
{
	return (int)xmlGetLineNo(n);
}

/* ---- plan: the w7 APPLICATION ---- */

static int
key_set(struct plan *p, const char *key, const char *val, size_t len)
{
	return store_map_set(&p->keys, key, strlen(key), val, len);
}

static int
key_set_str(struct plan *p, const char *key, const char *val)
{
	return key_set(p, key, val, strlen(val));
}

static int
is_number(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return i > 0 && i <= 15;
}

/* The Microsoft parms of the w7 APPLICATION and their account keys. */
enum ms_kind { MS_TEXT, MS_NUMBER, MS_FLAG };
static const struct {
	const char	*parm;
	const char	*key;
	enum ms_kind	 kind;
} ms_parms[] = {
	{ "CONNRETRYFREQ", "Ext/Microsoft/ConnRetryFreq", MS_NUMBER },
	{ "INITIALBACKOFFTIME", "Ext/Microsoft/InitialBackOffTime", MS_NUMBER },
	{ "MAXBACKOFFTIME", "Ext/Microsoft/MaxBackOffTime", MS_NUMBER },
	{ "BACKCOMPATRETRYDISABLED", "Ext/Microsoft/BackCompatRetryDisabled",
	    MS_FLAG },
	{ "DEFAULTENCODING", "Ext/Microsoft/DefaultEncoding", MS_TEXT },
	{ "PROTOVER", "Ext/Microsoft/ProtoVer", MS_TEXT },
	{ "ROLE", "Ext/Microsoft/Role", MS_TEXT },
	{ "INIT", "Ext/Microsoft/Init", MS_FLAG },
	{ "USEHWDEVID", "Ext/Microsoft/UseHwDevID", MS_FLAG },
	{ "SSLCLIENTCERTSEARCHCRITERIA",
	    "Ext/Microsoft/SSLClientCertSearchCriteria", MS_TEXT },
	{ NULL, NULL, MS_TEXT }
};

static const char *const auth_types[] = {
	"BASIC", "DIGEST", "HMAC", "HTTP-BASIC", "HTTP-DIGEST", NULL
};

/* Sets a Microsoft parm; 0, -1 with *err for a bad value. */
static int
plan_ms_parm(struct plan *p, int i, const char *val, int line, char **err)
{
	const char *v = val != NULL ? val : "";

	switch (ms_parms[i].kind) {
	case MS_NUMBER:
		if (!is_number(v)) {
			seterr(err, "%s:%d: %s \"%s\" is not a decimal number",
			    p->file, line, ms_parms[i].parm, v);
			return -1;
		}
		break;
	case MS_FLAG:
		/* valueless: present means true */
		if (*v == '\0' || strcmp(v, "1") == 0 ||
		    strcmp(v, "true") == 0)
			v = "true";
		else if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0)
			v = "false";
		else {
			seterr(err, "%s:%d: %s \"%s\" is not true or false",
			    p->file, line, ms_parms[i].parm, v);
			return -1;
		}
		break;
	case MS_TEXT:
		break;
	}
	if (key_set_str(p, ms_parms[i].key, v) != 0) {
		seterr(err, "%s: out of memory", p->file);
		return -1;
	}
	return 0;
}

/* Maps one APPAUTH characteristic. 0 or -1 with *err. */
static int
plan_appauth(struct plan *p, const xmlNode *n, int *seen, char **err)
{
	const xmlNode *c;
	char *name = NULL, *val = NULL, *level = NULL, *key = NULL;
	const char *lvl, *leaf;
	unsigned char *bin;
	size_t blen, i;
	int rc = -1, bit;

	level = parm_value(n, "AAUTHLEVEL", NULL);
	if (level == NULL) {
		seterr(err, "%s:%d: APPAUTH without AAUTHLEVEL", p->file,
		    line_of(n));
		goto out;
	}
	if (strcmp(level, "APPSRV") == 0) {
		lvl = "CLCRED";
		bit = 1;
	} else if (strcmp(level, "CLIENT") == 0) {
		lvl = "SRVCRED";
		bit = 2;
	} else if (strcmp(level, "OBEX") == 0) {
		rc = warn(p, "%s:%d: APPAUTH with AAUTHLEVEL OBEX ignored "
		    "(no OBEX transport)", p->file, line_of(n));
		goto out;
	} else {
		seterr(err, "%s:%d: AAUTHLEVEL \"%s\" is not APPSRV or CLIENT",
		    p->file, line_of(n), level);
		goto out;
	}
	if (*seen & bit) {
		seterr(err, "%s:%d: a second APPAUTH with AAUTHLEVEL %s",
		    p->file, line_of(n), level);
		goto out;
	}
	*seen |= bit;
	key = util_asprintf("AppAuth/%s/AAuthLevel", lvl);
	if (key == NULL || key_set_str(p, key, lvl) != 0)
		goto nomem;
	for (c = n->children; c != NULL; c = c->next) {
		if (is_el(c, "characteristic")) {
			if (warn(p, "%s:%d: characteristic in APPAUTH ignored",
			    p->file, line_of(c)) != 0)
				goto nomem;
			continue;
		}
		if (!is_el(c, "parm"))
			continue;
		free(name);
		free(val);
		name = get_attr(c, "name");
		val = get_attr(c, "value");
		if (name == NULL || strcmp(name, "AAUTHLEVEL") == 0)
			continue;
		if (val == NULL) {
			val = strdup("");
			if (val == NULL)
				goto nomem;
		}
		if (strcmp(name, "AAUTHTYPE") == 0) {
			for (i = 0; auth_types[i] != NULL; i++)
				if (strcmp(val, auth_types[i]) == 0)
					break;
			if (auth_types[i] == NULL) {
				seterr(err, "%s:%d: AAUTHTYPE \"%s\" is not "
				    "supported (BASIC, DIGEST, HMAC, "
				    "HTTP-BASIC, HTTP-DIGEST)", p->file,
				    line_of(c), val);
				goto out;
			}
			leaf = "AAuthType";
		} else if (strcmp(name, "AAUTHNAME") == 0)
			leaf = "AAuthName";
		else if (strcmp(name, "AAUTHSECRET") == 0)
			leaf = "AAuthSecret";
		else if (strcmp(name, "AAUTHDATA") == 0)
			leaf = "AAuthData";
		else {
			if (warn(p, "%s:%d: APPAUTH parm %s ignored", p->file,
			    line_of(c), name) != 0)
				goto nomem;
			continue;
		}
		free(key);
		key = util_asprintf("AppAuth/%s/%s", lvl, leaf);
		if (key == NULL)
			goto nomem;
		if (strcmp(leaf, "AAuthData") == 0) {
			/* base64 of the nonce; placeholders stay as text */
			bin = b64_decode(val, strlen(val), &blen);
			if (bin != NULL && blen > 0) {
				rc = key_set(p, key, (char *)bin, blen);
				free(bin);
			} else {
				free(bin);
				rc = key_set_str(p, key, val);
			}
			if (rc != 0)
				goto nomem;
			rc = -1;
		} else if (key_set_str(p, key, val) != 0)
			goto nomem;
	}
	rc = 0;
	goto out;
nomem:
	seterr(err, "%s: out of memory", p->file);
	rc = -1;
out:
	free(name);
	free(val);
	free(level);
	free(key);
	return rc;
}

/* 1 when s starts with http:// or https:// (any case) and has a host. */
static int
is_http_url(const char *s)
{
	if (strncasecmp(s, "https://", 8) == 0)
		return s[8] != '\0' && s[8] != '/';
	if (strncasecmp(s, "http://", 7) == 0)
		return s[7] != '\0' && s[7] != '/';
	return 0;
}

/* Maps APPADDR (the first one): *addr, *addrtype, *port. */
static int
plan_appaddr(struct plan *p, const xmlNode *n, char **addr, char **type,
    char **port, char **err)
{
	const xmlNode *c;
	int first = 1;

	*addr = parm_value(n, "ADDR", NULL);
	*type = parm_value(n, "ADDRTYPE", NULL);
	for (c = n->children; c != NULL; c = c->next) {
		if (!is_char(c, "PORT"))
			continue;
		if (!first) {
			if (warn(p, "%s:%d: only the first PORT is used",
			    p->file, line_of(c)) != 0)
				goto nomem;
			continue;
		}
		first = 0;
		*port = parm_value(c, "PORTNBR", NULL);
	}
	return 0;
nomem:
	seterr(err, "%s: out of memory", p->file);
	return -1;
}

/* Maps the w7 APPLICATION characteristic into p->keys. */
static int
plan_application(struct plan *p, const xmlNode *app, char **err)
{
	const xmlNode *c;
	char *name = NULL, *val = NULL, *addr = NULL, *aaddr = NULL;
	char *atype = NULL, *port = NULL, *ctype = NULL;
	const char *type;
	int rc = -1, auth_seen = 0, appaddr_seen = 0, i;

	for (c = app->children; c != NULL; c = c->next) {
		if (is_el(c, "characteristic")) {
			free(ctype);
			ctype = get_attr(c, "type");
			if (ctype != NULL && strcmp(ctype, "APPAUTH") == 0) {
				if (plan_appauth(p, c, &auth_seen, err) != 0)
					goto out;
			} else if (ctype != NULL &&
			    strcmp(ctype, "APPADDR") == 0) {
				if (appaddr_seen++) {
					if (warn(p, "%s:%d: only the first "
					    "APPADDR is used", p->file,
					    line_of(c)) != 0)
						goto nomem;
				} else if (plan_appaddr(p, c, &aaddr, &atype,
				    &port, err) != 0)
					goto out;
			} else if (warn(p, "%s:%d: APPLICATION characteristic "
			    "%s ignored", p->file, line_of(c), ctype != NULL ?
			    ctype : "(no type)") != 0)
				goto nomem;
			continue;
		}
		if (!is_el(c, "parm"))
			continue;
		free(name);
		free(val);
		name = get_attr(c, "name");
		val = get_attr(c, "value");
		if (name == NULL)
			continue;
		if (strcmp(name, "APPID") == 0 ||
		    strcmp(name, "TO-NAPID") == 0 ||
		    strcmp(name, "TO-PROXY") == 0)
			continue;	/* checked, or connectivity refs */
		if (strcmp(name, "PROVIDER-ID") == 0) {
			free(p->server_id);
			p->server_id = val;
			val = NULL;
			continue;
		}
		if (strcmp(name, "NAME") == 0) {
			if (key_set_str(p, "Name", val != NULL ? val : "") != 0)
				goto nomem;
			continue;
		}
		if (strcmp(name, "ADDR") == 0) {
			free(addr);
			addr = val;
			val = NULL;
			continue;
		}
		for (i = 0; ms_parms[i].parm != NULL; i++)
			if (strcmp(name, ms_parms[i].parm) == 0)
				break;
		if (ms_parms[i].parm != NULL) {
			if (plan_ms_parm(p, i, val, line_of(c), err) != 0)
				goto out;
		} else if (warn(p, "%s:%d: APPLICATION parm %s is not "
		    "supported; ignored", p->file, line_of(c), name) != 0)
			goto nomem;
	}

	if (p->server_id == NULL || p->server_id[0] == '\0') {
		seterr(err, "%s:%d: the w7 APPLICATION has no PROVIDER-ID",
		    p->file, line_of(app));
		goto out;
	}
	if (account_id(p->server_id, p->res->id) != 0) {
		seterr(err, "%s:%d: PROVIDER-ID is not valid UTF-8", p->file,
		    line_of(app));
		goto out;
	}
	if (addr != NULL && aaddr != NULL && strcmp(addr, aaddr) != 0 &&
	    warn(p, "%s: ADDR and APPADDR/ADDR differ; using ADDR %s",
	    p->file, addr) != 0)
		goto nomem;
	if (addr == NULL) {
		addr = aaddr;
		aaddr = NULL;
	}
	if (addr == NULL || addr[0] == '\0') {
		seterr(err, "%s:%d: the w7 APPLICATION has no ADDR (the "
		    "server's URL)", p->file, line_of(app));
		goto out;
	}
	type = "URI";
	if (atype != NULL) {
		if (strcasecmp(atype, "URI") == 0)
			type = "URI";
		else if (strcasecmp(atype, "IPV4") == 0)
			type = "IPv4";
		else if (strcasecmp(atype, "IPV6") == 0)
			type = "IPv6";
		else {
			seterr(err, "%s:%d: ADDRTYPE \"%s\" is not supported "
			    "(URI, IPv4, IPv6)", p->file, line_of(app), atype);
			goto out;
		}
	}
	if (strcmp(type, "URI") == 0 && !is_http_url(addr)) {
		seterr(err, "%s:%d: ADDR \"%s\" is not an http(s) URL",
		    p->file, line_of(app), addr);
		goto out;
	}
	if (port != NULL && (!is_number(port) || strlen(port) > 5 ||
	    atoi(port) > 65535)) {
		seterr(err, "%s:%d: PORTNBR \"%s\" is not a port number",
		    p->file, line_of(app), port);
		goto out;
	}
	if (key_set_str(p, "AppID", "w7") != 0 ||
	    key_set_str(p, "ServerID", p->server_id) != 0 ||
	    key_set_str(p, "AppAddr/1/Addr", addr) != 0 ||
	    key_set_str(p, "AppAddr/1/AddrType", type) != 0 ||
	    (port != NULL &&
	    key_set_str(p, "AppAddr/1/Port/1/PortNbr", port) != 0))
		goto nomem;
	rc = 0;
	goto out;
nomem:
	seterr(err, "%s: out of memory", p->file);
out:
	free(name);
	free(val);
	free(addr);
	free(aaddr);
	free(atype);
	free(port);
	free(ctype);
	return rc;
}

/* ---- plan: certificates ---- */

/*
 * Decodes an EncodedCertificate: base64 DER (white space ignored), or PEM
 * text. Returns the certificate or NULL.
 */
static X509 *
decode_cert(const char *text)
{
	const unsigned char *q;
	unsigned char *der;
	size_t len;
	X509 *x = NULL;
	BIO *b;

	if (strstr(text, "-----BEGIN CERTIFICATE-----") != NULL) {
		b = BIO_new_mem_buf(text, -1);
		if (b == NULL)
			return NULL;
		x = PEM_read_bio_X509(b, NULL, NULL, NULL);
		BIO_free(b);
		return x;
	}
	der = b64_decode(text, strlen(text), &len);
	if (der == NULL || len == 0 || len > 1024 * 1024) {
		free(der);
		return NULL;
	}
	q = der;
	x = d2i_X509(NULL, &q, (long)len);
	if (x != NULL && q != der + len) {
		X509_free(x);
		x = NULL;
	}
	free(der);
	return x;
}

/* Appends x as PEM to b. 0 or -1. */
static int
pem_append(struct buf *b, X509 *x)
{
	BIO *bio;
	char *data;
	long n;
	int rc = -1;

	bio = BIO_new(BIO_s_mem());
	if (bio == NULL)
		return -1;
	if (PEM_write_bio_X509(bio, x) == 1) {
		n = BIO_get_mem_data(bio, &data);
		if (n > 0 && buf_add(b, data, (size_t)n) == 0)
			rc = 0;
	}
	BIO_free(bio);
	return rc;
}

/* Warns when thumb is not the SHA-1 of x. 0 or -1 (out of memory). */
static int
check_thumb(struct plan *p, const char *where, X509 *x, const char *thumb)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	char hex[2 * EVP_MAX_MD_SIZE + 1];

	if (X509_digest(x, EVP_sha1(), md, &n) != 1)
		return 0;
	for (i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02X", md[i]);
	if (strcasecmp(hex, thumb) == 0)
		return 0;
	return warn(p, "%s: the thumbprint does not match the certificate "
	    "(its SHA-1 is %s); installed anyway", where, hex);
}

/* Handles the certificates under CertificateStore/<store>/<sub>. */
static int
plan_cert_group(struct plan *p, const xmlNode *g, const char *store,
    const char *sub, char **err)
{
	const xmlNode *c;
	struct cand *nc;
	char *thumb = NULL, *text = NULL, *where = NULL;
	int present, rc = -1, is_root, is_my;
	X509 *x = NULL;

	is_root = strcmp(store, "Root") == 0 && strcmp(sub, "System") == 0;
	is_my = strcmp(store, "My") == 0 && (strcmp(sub, "User") == 0 ||
	    strcmp(sub, "System") == 0);
	for (c = g->children; c != NULL; c = c->next) {
		if (!is_el(c, "characteristic"))
			continue;
		free(thumb);
		free(text);
		free(where);
		where = NULL;
		thumb = get_attr(c, "type");
		text = parm_value(c, "EncodedCertificate", &present);
		if (!present || thumb == NULL)
			continue;	/* PrivateKeyContainer, WSTEP, ... */
		where = util_asprintf("%s: CertificateStore/%s/%s/%s",
		    p->file, store, sub, thumb);
		if (where == NULL)
			goto nomem;
		if (!is_root && !is_my) {
			if (warn(p, "%s: not installed (luadm installs "
			    "Root/System and My/User certificates)", where)
			    != 0)
				goto nomem;
			continue;
		}
		x = text != NULL ? decode_cert(text) : NULL;
		if (x == NULL) {
			if (warn(p, "%s: EncodedCertificate is not a base64 "
			    "DER certificate; skipped", where) != 0)
				goto nomem;
			continue;
		}
		if (check_thumb(p, where, x, thumb) != 0)
			goto nomem;
		if (is_root) {
			if (pem_append(&p->ca, x) != 0)
				goto nomem;
			p->res->nca++;
			X509_free(x);
			x = NULL;
			continue;
		}
		nc = realloc(p->cands, (p->ncands + 1) * sizeof(*nc));
		if (nc == NULL)
			goto nomem;
		p->cands = nc;
		p->cands[p->ncands].x = x;
		p->cands[p->ncands].thumb = thumb;
		p->ncands++;
		x = NULL;
		thumb = NULL;
	}
	rc = 0;
	goto out;
nomem:
	seterr(err, "%s: out of memory", p->file);
out:
	X509_free(x);
	free(thumb);
	free(text);
	free(where);
	return rc;
}

static int
plan_certstore(struct plan *p, const xmlNode *cs, char **err)
{
	const xmlNode *s, *g;
	char *store = NULL, *sub = NULL;
	int rc = 0;

	for (s = cs->children; s != NULL && rc == 0; s = s->next) {
		if (!is_el(s, "characteristic"))
			continue;
		free(store);
		store = get_attr(s, "type");
		if (store == NULL)
			continue;
		for (g = s->children; g != NULL && rc == 0; g = g->next) {
			if (!is_el(g, "characteristic"))
				continue;
			free(sub);
			sub = get_attr(g, "type");
			if (sub != NULL)
				rc = plan_cert_group(p, g, store, sub, err);
		}
	}
	free(store);
	free(sub);
	return rc;
}

/* ---- plan: DMClient ---- */

/* Maps the parms and characteristics below n to keys under prefix. */
static int
plan_dmclient_node(struct plan *p, const xmlNode *n, const char *prefix,
    char **err)
{
	const xmlNode *c;
	char *name = NULL, *val = NULL, *key = NULL;
	int rc = -1;

	for (c = n->children; c != NULL; c = c->next) {
		if (!is_el(c, "parm") && !is_el(c, "characteristic"))
			continue;
		free(name);
		free(key);
		key = NULL;
		name = get_attr(c, is_el(c, "parm") ? "name" : "type");
		if (name == NULL || !uri_name_valid(name)) {
			if (warn(p, "%s:%d: DMClient node name \"%s\" is not "
			    "a valid node name; ignored", p->file, line_of(c),
			    name != NULL ? name : "") != 0)
				goto nomem;
			continue;
		}
		key = util_asprintf("%s/%s", prefix, name);
		if (key == NULL)
			goto nomem;
		if (is_el(c, "characteristic")) {
			if (plan_dmclient_node(p, c, key, err) != 0)
				goto out;
			continue;
		}
		free(val);
		val = get_attr(c, "value");
		if (key_set_str(p, key, val != NULL ? val : "") != 0)
			goto nomem;
		p->res->ndmclient++;
	}
	rc = 0;
	goto out;
nomem:
	seterr(err, "%s: out of memory", p->file);
out:
	free(name);
	free(val);
	free(key);
	return rc;
}

static int
plan_dmclient(struct plan *p, const xmlNode *dmc, char **err)
{
	const xmlNode *c, *prov;
	char *type = NULL;
	int rc = 0;

	for (c = dmc->children; c != NULL && rc == 0; c = c->next) {
		if (!is_el(c, "characteristic") && !is_el(c, "parm"))
			continue;
		if (!is_char(c, "Provider")) {
			free(type);
			type = get_attr(c, is_el(c, "parm") ? "name" : "type");
			if (warn(p, "%s:%d: DMClient/%s ignored (only "
			    "DMClient/Provider/<PROVIDER-ID> is used)",
			    p->file, line_of(c), type != NULL ? type : "")
			    != 0)
				rc = -1;
			continue;
		}
		for (prov = c->children; prov != NULL && rc == 0;
		    prov = prov->next) {
			if (!is_el(prov, "characteristic"))
				continue;
			free(type);
			type = get_attr(prov, "type");
			if (type != NULL && strcmp(type, p->server_id) == 0)
				rc = plan_dmclient_node(p, prov, "DMClient",
				    err);
			else if (warn(p, "%s:%d: DMClient/Provider/%s is not "
			    "the w7 PROVIDER-ID %s; ignored", p->file,
			    line_of(prov), type != NULL ? type : "",
			    p->server_id) != 0)
				rc = -1;
		}
	}
	if (rc != 0 && err != NULL && *err == NULL)
		seterr(err, "%s: out of memory", p->file);
	free(type);
	return rc;
}

/* ---- plan: the document ---- */

/* 1 when n is <characteristic type="APPLICATION"> with APPID w7. */
static int
is_w7(const xmlNode *n)
{
	char *id;
	int r;

	if (!is_char(n, "APPLICATION"))
		return 0;
	id = parm_value(n, "APPID", NULL);
	r = id != NULL && strcmp(id, "w7") == 0;
	free(id);
	return r;
}

static int
plan_doc(struct plan *p, xmlDocPtr doc, char **err)
{
	const xmlNode *root, *c, *app = NULL;
	char *type;
	int rc;

	root = xmlDocGetRootElement(doc);
	if (root == NULL || !is_el(root, "wap-provisioningdoc")) {
		seterr(err, "%s: not a wap-provisioningdoc (the root element "
		    "is <%s>)", p->file, root != NULL ?
		    (const char *)root->name : "");
		return -1;
	}
	for (c = root->children; c != NULL; c = c->next) {
		if (!is_w7(c))
			continue;
		if (app != NULL) {
			seterr(err, "%s:%d: a second w7 APPLICATION (line %d "
			    "has one already)", p->file, line_of(c),
			    line_of(app));
			return -1;
		}
		app = c;
	}
	if (app == NULL) {
		seterr(err, "%s: no APPLICATION characteristic with APPID w7 "
		    "(an OMA DM account)", p->file);
		return -1;
	}
	if (plan_application(p, app, err) != 0)
		return -1;
	for (c = root->children; c != NULL; c = c->next) {
		if (!is_el(c, "characteristic") || c == app)
			continue;
		type = get_attr(c, "type");
		if (type == NULL)
			rc = warn(p, "%s:%d: characteristic without type "
			    "ignored", p->file, line_of(c));
		else if (strcmp(type, "CertificateStore") == 0)
			rc = plan_certstore(p, c, err);
		else if (strcmp(type, "DMClient") == 0)
			rc = plan_dmclient(p, c, err);
		else if (strcmp(type, "APPLICATION") == 0)
			rc = warn(p, "%s:%d: APPLICATION that is not w7 "
			    "ignored", p->file, line_of(c));
		else
			rc = warn(p, "%s:%d: characteristic %s ignored (luadm "
			    "does not handle it)", p->file, line_of(c), type);
		free(type);
		if (rc != 0) {
			if (err != NULL && *err == NULL)
				seterr(err, "%s: out of memory", p->file);
			return -1;
		}
	}
	return 0;
}

/* ---- plan: the account and the client key ---- */

static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* Reads a PEM private key file. Returns the key or NULL with *err. */
static EVP_PKEY *
read_key(const char *path, struct buf *bytes, char **err)
{
	EVP_PKEY *k = NULL;
	char *data = NULL, *why = NULL;
	size_t len;
	BIO *b;
	int rc;

	rc = store_read(path, BOOTSTRAP_MAX_FILE, &data, &len, &why);
	if (rc != 0) {
		if (rc == 1)
			seterr(err, "%s: no such file", path);
		else {
			seterr(err, "%s", why != NULL ? why : path);
		}
		free(why);
		return NULL;
	}
	b = BIO_new_mem_buf(data, (int)len);
	if (b != NULL)
		k = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL);
	BIO_free(b);
	if (k == NULL)
		seterr(err, "%s: not an unencrypted PEM private key", path);
	else if (bytes != NULL && buf_add(bytes, data, len) != 0) {
		seterr(err, "%s: out of memory", path);
		EVP_PKEY_free(k);
		k = NULL;
	}
	free(data);
	return k;
}

/* Reads the first certificate of a PEM file, or NULL. */
static X509 *
read_cert_file(const char *path)
{
	char *data = NULL;
	size_t len;
	X509 *x = NULL;
	BIO *b;

	if (store_read(path, BOOTSTRAP_MAX_FILE, &data, &len, NULL) != 0)
		return NULL;
	b = BIO_new_mem_buf(data, (int)len);
	if (b != NULL)
		x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	free(data);
	return x;
}

/*
 * Chooses the client certificate and checks the key: with client_key, the
 * first My certificate it matches (or the account's installed one when
 * the document has none); without, the first My certificate, with a
 * warning unless the account's installed key matches it.
 */
static int
plan_client(struct plan *p, const char *client_key, char **err)
{
	const char *old;
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	size_t i;
	int rc = -1;

	if (client_key != NULL) {
		k = read_key(client_key, &p->key, err);
		if (k == NULL)
			return -1;
		for (i = 0; i < p->ncands && p->client == NULL; i++)
			if (X509_check_private_key(p->cands[i].x, k) == 1)
				p->client = &p->cands[i];
		if (p->ncands > 0 && p->client == NULL) {
			seterr(err, "%s: the key does not match the client "
			    "certificate%s of %s", client_key,
			    p->ncands > 1 ? "s" : "", p->file);
			goto out;
		}
		if (p->ncands == 0) {
			old = account_get(p->acc, "Ext/luadm/ClientCert",
			    NULL);
			x = old != NULL ? read_cert_file(old) : NULL;
			if (x == NULL) {
				seterr(err, "--client-key %s: %s has no client "
				    "certificate (CertificateStore/My/User) "
				    "and none is installed", client_key,
				    p->file);
				goto out;
			}
			if (X509_check_private_key(x, k) != 1) {
				seterr(err, "%s: the key does not match the "
				    "installed client certificate %s",
				    client_key, old);
				goto out;
			}
		}
	} else if (p->ncands > 0) {
		p->client = &p->cands[0];
		old = account_get(p->acc, "Ext/luadm/ClientKey", NULL);
		if (old != NULL)
			k = read_key(old, NULL, NULL);
		if ((k == NULL || X509_check_private_key(p->client->x, k)
		    != 1) && warn(p, "%s: CertificateStore/My/.../%s: the "
		    "client certificate needs its private key, which a "
		    "provisioning document does not carry: run luadm "
		    "bootstrap again with --client-key KEY.pem", p->file,
		    p->client->thumb) != 0)
			goto nomem;
	}
	if (p->client != NULL) {
		if (p->ncands > 1 && warn(p, "%s: %zu client certificates; "
		    "using %s", p->file, p->ncands, p->client->thumb) != 0)
			goto nomem;
		if (pem_append(&p->cert, p->client->x) != 0)
			goto nomem;
	}
	rc = 0;
	goto out;
nomem:
	seterr(err, "%s: out of memory", p->file);
out:
	EVP_PKEY_free(k);
	X509_free(x);
	return rc;
}

/* ---- apply ---- */

/*
 * Sets key in the account, the document winning over the shape of what
 * is there: a leaf above key, or a subtree where key is a leaf, goes.
 */
static int
force_set(struct account *a, const char *key, const char *val, size_t len)
{
	char *pre;
	size_t i;

	if (account_set(a, key, val, len) == 0)
		return 0;
	pre = strdup(key);
	if (pre == NULL)
		return -1;
	for (i = 1; pre[i] != '\0'; i++) {
		if (pre[i] != '/')
			continue;
		pre[i] = '\0';
		account_unset(a, pre);
		pre[i] = '/';
	}
	free(pre);
	account_unset(a, key);
	return account_set(a, key, val, len);
}

/* Writes one file of the account unless b is empty; sets its key. */
static int
write_pem(struct plan *p, const char *suffix, const char *key,
    const struct buf *b, char **out, char **err)
{
	char *path;

	if (b->len == 0)
		return 0;
	path = util_asprintf("%s/accounts/%s%s", p->state_dir, p->res->id,
	    suffix);
	if (path == NULL) {
		seterr(err, "%s: out of memory", p->file);
		return -1;
	}
	if (store_write_atomic(path, b->p, b->len, err) != 0 ||
	    force_set(p->acc, key, path, strlen(path)) != 0) {
		if (err != NULL && *err == NULL)
			seterr(err, "%s: out of memory", p->file);
		free(path);
		return -1;
	}
	*out = path;
	return 0;
}

static int
apply(struct plan *p, char **err)
{
	struct bootstrap_result *r = p->res;
	const struct store_entry *e;
	char *dir = NULL;
	const char *v;
	size_t i;
	int rc = -1;

	for (i = 0; i < p->keys.n; i++) {
		e = &p->keys.e[i];
		if (force_set(p->acc, e->key, e->val, e->vlen) != 0) {
			seterr(err, "%s: cannot set %s in account %s", p->file,
			    e->key, r->id);
			goto out;
		}
	}
	dir = util_asprintf("%s/accounts", p->state_dir);
	if (dir == NULL) {
		seterr(err, "%s: out of memory", p->file);
		goto out;
	}
	if (store_mkdirs(dir, err) != 0 ||
	    write_pem(p, ".ca.pem", "Ext/luadm/CAFile", &p->ca, &r->ca_file,
	    err) != 0 ||
	    write_pem(p, ".cert.pem", "Ext/luadm/ClientCert", &p->cert,
	    &r->cert_file, err) != 0 ||
	    write_pem(p, ".key.pem", "Ext/luadm/ClientKey", &p->key,
	    &r->key_file, err) != 0 ||
	    account_save(p->acc, err) != 0)
		goto out;
	v = account_get(p->acc, "AppAuth/CLCRED/AAuthType", NULL);
	r->clcred_type = v != NULL ? strdup(v) : NULL;
	v = account_get(p->acc, "AppAuth/CLCRED/AAuthName", NULL);
	r->clcred_name = v != NULL ? strdup(v) : NULL;
	v = account_get(p->acc, "AppAuth/SRVCRED/AAuthType", NULL);
	r->srvcred_type = v != NULL ? strdup(v) : NULL;
	v = account_get(p->acc, "Name", NULL);
	r->name = v != NULL ? strdup(v) : NULL;
	r->addr = strdup(account_get(p->acc, "AppAddr/1/Addr", NULL));
	r->server_id = strdup(p->server_id);
	rc = 0;
out:
	free(dir);
	return rc;
}

static void
plan_free(struct plan *p)
{
	size_t i;

	free(p->server_id);
	store_map_free(&p->keys);
	buf_free(&p->ca);
	buf_free(&p->cert);
	if (p->key.p != NULL)
		OPENSSL_cleanse(p->key.p, p->key.len);
	buf_free(&p->key);
	for (i = 0; i < p->ncands; i++) {
		X509_free(p->cands[i].x);
		free(p->cands[i].thumb);
	}
	free(p->cands);
	account_free(p->acc);
}

int
bootstrap_run(const char *state_dir, const char *path,
    const char *client_key, struct bootstrap_result *res, char **err)
{
	struct plan p;
	xmlDocPtr doc = NULL;
	char *buf = NULL, *why = NULL;
	size_t len;
	int rc = -1, r;

	memset(res, 0, sizeof(*res));
	memset(&p, 0, sizeof(p));
	if (err != NULL)
		*err = NULL;
	p.file = path;
	p.state_dir = state_dir;
	p.res = res;
	r = store_read(path, BOOTSTRAP_MAX_FILE, &buf, &len, &why);
	if (r != 0) {
		if (r == 1)
			seterr(err, "%s: no such file", path);
		else
			seterr(err, "%s", why != NULL ? why : path);
		goto out;
	}
	if (len == 0) {
		seterr(err, "%s: empty file", path);
		goto out;
	}
	doc = parse_xml(path, buf, len, err);
	if (doc == NULL)
		goto out;
	if (plan_doc(&p, doc, err) != 0)
		goto out;
	r = account_load(state_dir, res->id, &p.acc, &why);
	if (r == -1) {
		seterr(err, "%s: %s (remove it, or unenroll, to bootstrap "
		    "again)", path, why != NULL ? why : "out of memory");
		goto out;
	}
	res->updated = r == 0;
	if (r == 1) {
		p.acc = account_new(state_dir, p.server_id);
		if (p.acc == NULL) {
			seterr(err, "%s: out of memory", path);
			goto out;
		}
	}
	if (plan_client(&p, client_key, err) != 0)
		goto out;
	/* the whole document is good: write */
	rc = apply(&p, err);
out:
	xmlFreeDoc(doc);
	free(buf);
	free(why);
	plan_free(&p);
	/* placeholders and key checks leave OpenSSL errors behind; they
	 * must not show up in a later TLS handshake's error */
	ERR_clear_error();
	return rc;
}

void
bootstrap_result_free(struct bootstrap_result *res)
{
	size_t i;

	if (res == NULL)
		return;
	free(res->server_id);
	free(res->name);
	free(res->addr);
	free(res->clcred_type);
	free(res->clcred_name);
	free(res->srvcred_type);
	free(res->ca_file);
	free(res->cert_file);
	free(res->key_file);
	for (i = 0; i < res->nwarnings; i++)
		free(res->warnings[i]);
	free(res->warnings);
	memset(res, 0, sizeof(*res));
}
