/*
 * cmd_tree.c: `luadm tree get|list|stat|add|replace|delete|exec URI
 * [VALUE]`: runs the CSPs locally as the administrator (no server, no ACL
 * checks unless server_id is configured), for CSP authors and for trying
 * a machine's tree by hand.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "dm_status.h"
#include "log.h"
#include "store.h"
#include "tree.h"
#include "uri.h"
#include "util.h"

static void
tree_usage(FILE *f)
{
	fprintf(f,
	    "usage: luadm [-c FILE] [-v] tree get URI\n"
	    "       luadm [-c FILE] [-v] tree list URI\n"
	    "       luadm [-c FILE] [-v] tree stat URI\n"
	    "       luadm [-c FILE] [-v] tree dump URI\n"
	    "       luadm [-c FILE] [-v] tree add URI [VALUE] [--format F] "
	    "[--type T] [--file PATH]\n"
	    "       luadm [-c FILE] [-v] tree replace URI [VALUE] "
	    "[--format F] [--type T] [--file PATH]\n"
	    "       luadm [-c FILE] [-v] tree delete URI\n"
	    "       luadm [-c FILE] [-v] tree exec URI [DATA] "
	    "[--correlator C]\n"
	    "\n"
	    "get prints a leaf's value, or an interior node's children as a "
	    "server sees\nthem (URI-escaped, joined by '/'); list prints one "
	    "child name per line;\nstat prints the node's properties; dump "
	    "prints the whole subtree, one\n\"URI = value\" line per leaf. add "
	    "without VALUE and with --format node\n(the default when there is "
	    "no VALUE) adds an interior node. --file reads the\nvalue from a "
	    "file.\n");
}

/* Prints a failure as "luadm: URI: reason (status)". Returns 1. */
static int
fail(const char *uri, int st, const char *msg)
{
	if (msg != NULL && strncmp(msg, uri, strlen(uri)) == 0 &&
	    msg[strlen(uri)] == ':')
		fprintf(stderr, "luadm: %s (%d)\n", msg, st);
	else
		fprintf(stderr, "luadm: %s: %s (%d)\n", uri,
		    msg != NULL ? msg : dm_status_text(st), st);
	return 1;
}

static int
print_value(const struct csp_value *v)
{
	char *s;

	if (v->format != NULL && strcmp(v->format, "node") == 0) {
		s = tree_join_children(v->children, v->nchildren);
		if (s == NULL)
			return -1;
		printf("%s\n", s);
		free(s);
		return 0;
	}
	if (v->len > 0)
		fwrite(v->data, 1, v->len, stdout);
	if (v->len == 0 || v->data[v->len - 1] != '\n')
		putchar('\n');
	return 0;
}

static void
print_info(const struct csp_info *i)
{
	printf("Format: %s\n", i->format != NULL ? i->format : "chr");
	printf("Type: %s\n", i->type != NULL ? i->type : "text/plain");
	printf("Access: %s\n", i->access != NULL ? i->access :
	    "Add Delete Exec Get Replace");
	if (i->acl != NULL)
		printf("ACL: %s\n", i->acl);
	if (i->title != NULL)
		printf("Title: %s\n", i->title);
	if (i->description != NULL)
		printf("Description: %s\n", i->description);
	if (i->size >= 0)
		printf("Size: %lld\n", i->size);
}

#define DUMP_MAX_DEPTH	URI_MAX_DEPTH

/*
 * Prints the subtree at uri: "URI = value" per leaf, "URI/" per interior
 * node, "URI: reason (status)" for a node that cannot be read. Returns the
 * number of nodes that failed.
 */
static int
dump(struct tree *t, const struct tree_who *who, const char *uri, int depth)
{
	struct csp_value v;
	struct dm_uri u;
	char *msg = NULL, *esc, *child;
	size_t i;
	int st, failed = 0;

	if (uri_parse(uri, &u, NULL) != 0)
		return 1;
	st = tree_get(t, who, &u, &v, &msg);
	uri_free(&u);
	if (st == DM_NOT_ALLOWED) {
		/* a node Get does not reach (a write-only secret) */
		printf("%s (no Get)\n", uri);
		free(msg);
		return 0;
	}
	if (st != DM_OK) {
		printf("%s: %s (%d)\n", uri, msg != NULL ? msg :
		    dm_status_text(st), st);
		free(msg);
		return 1;
	}
	if (v.format != NULL && strcmp(v.format, "node") == 0) {
		printf("%s/\n", uri);
		for (i = 0; i < v.nchildren && depth < DUMP_MAX_DEPTH; i++) {
			esc = uri_escape_segment(v.children[i]);
			child = esc == NULL ? NULL : strcmp(uri, ".") == 0 ?
			    util_asprintf("./%s", esc) :
			    util_asprintf("%s/%s", uri, esc);
			if (child != NULL)
				failed += dump(t, who, child, depth + 1);
			else
				failed++;
			free(esc);
			free(child);
		}
	} else {
		printf("%s = ", uri);
		if (v.len > 0)
			fwrite(v.data, 1, v.len, stdout);
		putchar('\n');
	}
	csp_value_free(&v);
	return failed;
}

int
cmd_tree(const struct config *cfg, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "type", required_argument, NULL, 't' },
		{ "file", required_argument, NULL, 'F' },
		{ "correlator", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct tree_who who = { cfg->server_id, NULL };
	struct csp_value in = { 0 }, out = { 0 };
	struct csp_info info;
	struct dm_uri u = { 0 };
	struct tree *t = NULL;
	const char *verb, *why = NULL, *file = NULL, *correlator = NULL;
	char *msg = NULL, *err = NULL, *fbuf = NULL;
	int ch, st, rc = 1;
	size_t flen;

	/* options may come before or after the positional arguments; "--"
	 * ends them (for a VALUE that starts with "-") */
	optind = 0;
	for (;;) {
		ch = getopt_long(argc, argv, "h", longopts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'f':
			in.format = optarg;
			break;
		case 't':
			in.type = optarg;
			break;
		case 'F':
			file = optarg;
			break;
		case 'C':
			correlator = optarg;
			break;
		case 'h':
			tree_usage(stdout);
			return 0;
		default:
			tree_usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2) {
		tree_usage(stderr);
		return 2;
	}
	verb = argv[0];
	st = uri_parse(argv[1], &u, &why);
	if (st != 0) {
		fprintf(stderr, "luadm: %s: %s (%d)\n", argv[1],
		    why != NULL ? why : "bad URI", st);
		return 1;
	}
	if (file != NULL) {
		/* the CSP gets the file as a luadm.Blob, never in memory */
		if (access(file, R_OK) != 0) {
			fprintf(stderr, "luadm: --file %s: %s\n", file,
			    strerror(errno));
			goto out;
		}
		fbuf = realpath(file, NULL);
		if (fbuf == NULL) {
			fprintf(stderr, "luadm: --file %s: %s\n", file,
			    strerror(errno));
			goto out;
		}
		in.file = fbuf;
	} else if (argc >= 3) {
		in.data = argv[2];
		in.len = strlen(argv[2]);
	}
	t = tree_new(cfg, &err);
	if (t == NULL) {
		fprintf(stderr, "luadm: %s\n", err);
		goto out;
	}
	if (strcmp(verb, "get") == 0 || strcmp(verb, "list") == 0) {
		st = tree_get(t, &who, &u, &out, &msg);
		if (st != DM_OK) {
			rc = fail(argv[1], st, msg);
			goto out;
		}
		if (strcmp(verb, "list") == 0) {
			if (out.format == NULL ||
			    strcmp(out.format, "node") != 0) {
				rc = fail(argv[1], DM_BAD_REQUEST,
				    "not an interior node");
				goto out;
			}
			for (flen = 0; flen < out.nchildren; flen++)
				printf("%s\n", out.children[flen]);
		} else if (print_value(&out) != 0)
			goto out;
		rc = 0;
	} else if (strcmp(verb, "dump") == 0) {
		rc = dump(t, &who, argv[1], 0) == 0 ? 0 : 1;
	} else if (strcmp(verb, "stat") == 0) {
		st = tree_stat(t, &who, &u, &info, &msg);
		if (st != DM_OK) {
			rc = fail(argv[1], st, msg);
			goto out;
		}
		print_info(&info);
		csp_info_free(&info);
		rc = 0;
	} else if (strcmp(verb, "add") == 0 || strcmp(verb, "replace") == 0 ||
	    strcmp(verb, "delete") == 0 || strcmp(verb, "exec") == 0) {
		if (strcmp(verb, "add") == 0) {
			if (in.data == NULL && in.file == NULL &&
			    in.format == NULL)
				in.format = "node";
			st = tree_add(t, &who, &u, &in, &msg);
		} else if (strcmp(verb, "replace") == 0) {
			if (in.data == NULL && in.file == NULL) {
				in.data = "";
				in.len = 0;
			}
			st = tree_replace(t, &who, &u, &in, &msg);
		} else if (strcmp(verb, "delete") == 0)
			st = tree_delete(t, &who, &u, &msg);
		else
			st = tree_exec(t, &who, &u, in.data, in.len,
			    correlator, &msg);
		if (!DM_STATUS_OK(st)) {
			rc = fail(argv[1], st, msg);
			goto out;
		}
		if (st != DM_OK)
			printf("%d %s\n", st, dm_status_text(st));
		rc = 0;
	} else {
		fprintf(stderr, "luadm: tree: unknown command '%s'\n", verb);
		tree_usage(stderr);
		rc = 2;
		goto out;
	}
out:
	if (t != NULL && tree_flush(t) != DM_OK && rc == 0) {
		fprintf(stderr, "luadm: cannot save the CSPs' state (see the "
		    "log above)\n");
		rc = 1;
	}
	tree_free(t);
	csp_value_free(&out);
	uri_free(&u);
	free(msg);
	free(err);
	free(fbuf);
	return rc;
}
