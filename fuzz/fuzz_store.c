/*
 * fuzz_store: map file bytes -> store_map_decode() (core/store.h). Only
 * the canonical form is accepted, so whatever decodes must encode back to
 * the very same bytes; its keys are strictly increasing and each is found
 * by store_map_get(). A refused buffer leaves the map empty.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "store.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_map m;
	const struct store_entry *e;
	char *err = NULL, *buf = NULL;
	size_t len, i, k;

	memset(&m, 0, sizeof(m));
	if (store_map_decode((const char *)data, size, &m, &err) != 0) {
		FUZZ_CHECK(err != NULL, "refused without a reason");
		FUZZ_CHECK(m.n == 0, "a refused map is not empty");
		free(err);
		store_map_free(&m);
		return 0;
	}
	for (i = 0; i < m.n; i++) {
		e = &m.e[i];
		FUZZ_CHECK(e->key[e->klen] == '\0' && e->val[e->vlen] == '\0',
		    "entry %zu not NUL-terminated", i);
		if (i > 0) {
			k = e[-1].klen < e->klen ? e[-1].klen : e->klen;
			FUZZ_CHECK(memcmp(e[-1].key, e->key, k) < 0 ||
			    (memcmp(e[-1].key, e->key, k) == 0 &&
			    e[-1].klen < e->klen), "keys out of order");
		}
		FUZZ_CHECK(store_map_get(&m, e->key, e->klen) == e,
		    "entry %zu not found", i);
	}
	FUZZ_CHECK(store_map_encode(&m, &buf, &len) == 0, "encode");
	FUZZ_CHECK(len == size && memcmp(buf, data, size) == 0,
	    "decode accepted a non-canonical form (%zu bytes in, %zu out)",
	    size, len);
	free(buf);
	store_map_free(&m);
	return 0;
}
