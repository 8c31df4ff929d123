/* json_arena.c — the per-thread bump arena behind jansson (aq_json_arena.h): its chunks, the
 * scope a request body is parsed in, and the free that tells arena memory from malloc's by
 * address (a header tag would not do: json_dumps' text is handed to libmicrohttpd, which
 * frees it with free(), so everything outside a scope must stay plain malloc memory). */
#include "aq_json_arena.h"

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

/* Under ASan the chunks are kept honest: a chunk is poisoned when made and when rewound, an
 * allocation unpoisons exactly its bytes, and a poisoned red zone follows each, so an
 * overflow or a use after the scope is reported as it would be for malloc. */
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#define REDZONE 16
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define REDZONE 0
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

enum {
	ALIGN = 16,
	FIRST_CHUNK = 64 * 1024,
	MAX_CHUNK = 1024 * 1024,
	/* Bigger allocations go to malloc even in a scope (free tells them apart by address). */
	MAX_IN_ARENA = MAX_CHUNK / 4,
	/* What a thread keeps between scopes: one chunk up to this size (16 worker threads × 256
	 * KB at most; a 1000-reading batch takes about a megabyte). */
	KEEP = 256 * 1024,
};

struct chunk {
	struct chunk *next; /* older chunks */
	size_t size;	    /* bytes in data */
	size_t used;
	unsigned char *data; /* right after this header, aligned */
};

struct arena {
	struct chunk *head;  /* the chunk allocations are carved from; NULL before the first */
	unsigned char *last; /* the latest allocation, which a free can take back */
	bool active;
	bool spilled;	 /* an allocation of this scope went to malloc (too big) */
	bool registered; /* the thread-exit destructor knows this arena */
};

static _Thread_local struct arena arena;
/* Whether jansson allocates through this module at all: without it (a unit test that did not
 * install it) a scope holds nothing, and its values must be freed one by one. */
static bool installed;
static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;

static size_t round_up(size_t n)
{
	return (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
}

static void free_chunks(struct chunk *c)
{
	while (c) {
		struct chunk *next = c->next;
		UNPOISON(c->data, c->size); /* the block goes back to malloc whole */
		free(c);
		c = next;
	}
}

/* A worker thread's chunks die with it. */
static void on_thread_exit(void *value)
{
	struct arena *a = value;
	free_chunks(a->head);
	a->head = NULL;
}

static void make_exit_key(void)
{
	pthread_key_create(&exit_key, on_thread_exit);
}

static bool in_arena(const void *ptr)
{
	const unsigned char *p = ptr;
	for (const struct chunk *c = arena.head; c; c = c->next)
		if (p >= c->data && p < c->data + c->size)
			return true;
	return false;
}

/* A new head chunk with room for need bytes: twice the last one, up to MAX_CHUNK. */
static bool grow(size_t need)
{
	size_t size = arena.head ? arena.head->size * 2 : FIRST_CHUNK;
	if (size > MAX_CHUNK)
		size = MAX_CHUNK;
	if (size < need)
		size = need;
	size_t header = round_up(sizeof(struct chunk));
	struct chunk *c = malloc(header + size);
	if (!c)
		return false;
	c->data = (unsigned char *)c + header;
	c->size = size;
	c->used = 0;
	c->next = arena.head;
	POISON(c->data, c->size);
	arena.head = c;
	arena.last = NULL;
	return true;
}

void *aq_json_arena_malloc(size_t size)
{
	if (!arena.active)
		return malloc(size);
	if (size > MAX_IN_ARENA) {
		arena.spilled = true;
		return malloc(size);
	}
	size_t need = round_up(size + REDZONE);
	if (need == 0)
		need = ALIGN;
	if ((!arena.head || arena.head->size - arena.head->used < need) && !grow(need))
		return NULL;
	unsigned char *p = arena.head->data + arena.head->used;
	arena.head->used += need;
	arena.last = p;
	UNPOISON(p, size);
	return p;
}

void aq_json_arena_free(void *ptr)
{
	if (!ptr)
		return;
	if (!arena.head || !in_arena(ptr)) {
		free(ptr);
		return;
	}
	/* The latest allocation is taken back (jansson grows its buffers and arrays by
	 * malloc, copy, free of the old one); any other waits for the rewind. */
	if (ptr == arena.last) {
		size_t at = (size_t)(arena.last - arena.head->data);
		POISON(arena.last, arena.head->used - at);
		arena.head->used = at;
		arena.last = NULL;
	}
}

void aq_json_arena_install(void)
{
	json_set_alloc_funcs(aq_json_arena_malloc, aq_json_arena_free);
	installed = true;
}

void aq_json_arena_begin(void)
{
	if (arena.active)
		return;
	if (!arena.registered) {
		pthread_once(&exit_once, make_exit_key);
		pthread_setspecific(exit_key, &arena);
		arena.registered = true;
	}
	arena.active = true;
	arena.spilled = false;
}

void aq_json_arena_end(void)
{
	if (!arena.active)
		return;
	arena.active = false;
	arena.last = NULL;
	/* Keep the biggest chunk of at most KEEP bytes; free the others. */
	struct chunk *keep = NULL, *rest = NULL;
	for (struct chunk *c = arena.head, *next; c; c = next) {
		next = c->next;
		if (c->size <= KEEP && (!keep || c->size > keep->size)) {
			if (keep) {
				keep->next = rest;
				rest = keep;
			}
			keep = c;
		} else {
			c->next = rest;
			rest = c;
		}
	}
	free_chunks(rest);
	if (keep) {
		keep->next = NULL;
		keep->used = 0;
		POISON(keep->data, keep->size);
	}
	arena.head = keep;
}

bool aq_json_arena_active(void)
{
	return arena.active;
}

bool aq_json_arena_holds_all(void)
{
	return installed && arena.active && !arena.spilled;
}

size_t aq_json_arena_held(void)
{
	size_t n = 0;
	for (const struct chunk *c = arena.head; c; c = c->next)
		n += c->size;
	return n;
}
