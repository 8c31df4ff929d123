/* aq_json_arena.h — a per-thread bump arena for jansson, used while a request body is parsed
 * and turned into model structs: thousands of small json values that die together are carved
 * from a few large chunks instead of each being malloc'd and freed (for a 1000-reading batch
 * the malloc/free of jansson's objects were a third of a worker's time).
 *
 * aq_json_arena_install() makes jansson allocate through this module (once, in main, before
 * any thread starts and before any json value exists). Outside a scope every allocation is
 * malloc's and every free is free's, as before. Between aq_json_arena_begin() and
 * aq_json_arena_end() on one thread, that thread's jansson allocations come from its arena;
 * end rewinds the arena, so every json value made in the scope must be gone by then (the
 * caller decrefs them; nothing made in the scope may be kept, put in a reply or logged).
 * A free of memory that is not in the thread's arena (made outside the scope, or by another
 * thread) goes to free(), so values from before the scope may be freed inside it. */
#ifndef AQ_JSON_ARENA_H
#define AQ_JSON_ARENA_H

#include <stdbool.h>
#include <stddef.h>

/* Sets jansson's allocation functions to this module's. Once, before any thread. */
void aq_json_arena_install(void);
/* Opens the calling thread's scope: its jansson allocations come from its arena. Scopes do
 * not nest (a begin inside a scope is a programming error; it is ignored). */
void aq_json_arena_begin(void);
/* Closes the calling thread's scope and rewinds its arena, keeping a chunk for the next
 * scope and freeing the rest. NULL-safe in spirit: without a scope open it does nothing. */
void aq_json_arena_end(void);
/* True while the calling thread has a scope open. */
bool aq_json_arena_active(void);
/* True while the calling thread has a scope open, jansson allocates through this module
 * (installed) and every allocation made in the scope came from the arena (none was too big
 * for it): json values made in the scope may then be dropped by aq_json_arena_end alone,
 * without a json_decref that walks them. */
bool aq_json_arena_holds_all(void);

/* The allocation functions themselves (what install hands to jansson), for tests. */
void *aq_json_arena_malloc(size_t size);
void aq_json_arena_free(void *ptr);
/* Bytes the calling thread's arena holds in chunks (retained between scopes included). */
size_t aq_json_arena_held(void);

#endif
