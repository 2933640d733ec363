/*
 * dmcrypto.c: the harness's own crypto primitives for prelude.lua, over
 * OpenSSL EVP: message digests (MD5 for the OMA DM credentials, SHA-1 for
 * certificate thumbprints, SHA-256 for AccountIDs), base64 both ways and
 * random bytes. The credential schemes themselves (Basic, MD5 digest,
 * HMAC) are written in Lua on top of these, independently of core/auth.c.
 */
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "dmtest.h"

#define B64_MAX		((size_t)64 * 1024 * 1024)

/* digest(name, data) -> raw digest bytes. Raises on an unknown name. */
static int
l_digest(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	size_t len;
	const char *data = luaL_checklstring(L, 2, &len);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	const EVP_MD *type;

	type = EVP_get_digestbyname(name);
	if (type == NULL)
		return luaL_error(L, "unknown digest %s", name);
	if (EVP_Digest(data, len, md, &mdlen, type, NULL) != 1)
		return luaL_error(L, "digest %s failed", name);
	lua_pushlstring(L, (const char *)md, mdlen);
	return 1;
}

/* b64encode(data) -> standard base64 with padding, one line. */
static int
l_b64encode(lua_State *L)
{
	size_t len;
	const char *data = luaL_checklstring(L, 1, &len);
	luaL_Buffer b;
	unsigned char *out;
	int n;

	luaL_argcheck(L, len <= B64_MAX, 1, "too large");
	out = (unsigned char *)luaL_buffinitsize(L, &b,
	    4 * ((len + 2) / 3) + 1);
	n = EVP_EncodeBlock(out, (const unsigned char *)data, (int)len);
	luaL_pushresultsize(&b, (size_t)n);
	return 1;
}

/* The value of a base64 character, or -1. */
static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * b64decode(text) -> bytes | nil. Strict: white space is skipped, padding
 * may be left out, anything else that is not base64 gives nil.
 */
static int
l_b64decode(lua_State *L)
{
	size_t len, i;
	const unsigned char *s =
	    (const unsigned char *)luaL_checklstring(L, 1, &len);
	luaL_Buffer b;
	unsigned acc = 0;
	int bits = 0, v, pad = 0;

	luaL_buffinit(L, &b);
	for (i = 0; i < len; i++) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
		    s[i] == '\n')
			continue;
		if (s[i] == '=') {
			pad++;
			continue;
		}
		v = b64val(s[i]);
		if (v < 0 || pad > 0) {
			lua_pushnil(L);
			return 1;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			luaL_addchar(&b, (char)((acc >> bits) & 0xff));
		}
	}
	if (pad > 2 || bits >= 6 || (acc & ((1u << bits) - 1)) != 0) {
		lua_pushnil(L);
		return 1;
	}
	luaL_pushresult(&b);
	return 1;
}

/* random(n) -> n random bytes (RAND_bytes). */
static int
l_random(lua_State *L)
{
	lua_Integer n = luaL_checkinteger(L, 1);
	luaL_Buffer b;
	unsigned char *p;

	luaL_argcheck(L, n >= 0 && n <= 4096, 1, "0..4096 bytes");
	p = (unsigned char *)luaL_buffinitsize(L, &b, (size_t)n);
	if (n > 0 && RAND_bytes(p, (int)n) != 1)
		return luaL_error(L, "RAND_bytes failed");
	luaL_pushresultsize(&b, (size_t)n);
	return 1;
}

void
dmcrypto_register(lua_State *L)
{
	static const luaL_Reg funcs[] = {
		{ "digest", l_digest },
		{ "b64encode", l_b64encode },
		{ "b64decode", l_b64decode },
		{ "random", l_random },
		{ NULL, NULL }
	};

	luaL_setfuncs(L, funcs, 0);
}
