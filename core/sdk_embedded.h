/*
 * sdk_embedded: the Lua SDK (lua/ in the source tree) compiled into luadm.
 * The table is generated at build time by cmake/embed_lua.cmake; lua_host
 * installs each entry as a package.preload loader so CSPs can
 * `require "dm.csp"` without any file on disk.
 */
#ifndef LUADM_SDK_EMBEDDED_H
#define LUADM_SDK_EMBEDDED_H

#include <stddef.h>

struct sdk_module {
	const char	*name;		/* module name, e.g. "dm.csp" */
	const char	*chunkname;	/* "@lua/dm/csp.lua" for tracebacks */
	const char	*text;		/* Lua source or bytecode, with a NUL
					   after it */
	size_t		 len;		/* length of text without the NUL */
	int		 binary;	/* text is bytecode (luac) */
};

/* Terminated by an entry whose name is NULL. */
extern const struct sdk_module luadm_sdk_modules[];

#endif
