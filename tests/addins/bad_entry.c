/* Add-ins whose entry point or descriptor points out of their own image, built from this one
 * file with one definition each (tests/addins/CMakeLists.txt). Before the runtime checked the
 * pointers against the add-in's loaded segments, each was called or read blind: the first two
 * crashed msgr_runtime_create (a call to address 42, a call to abort).
 *   BAD_DATA_ENTRY          msgr_addin_entry is a pointer-sized data object that holds 42
 *   BAD_LIBC_ENTRY          msgr_addin_entry points to a libc function (abort)
 *   BAD_HEAP_DESCRIPTOR     the entry returns a (valid) descriptor copied to the heap
 *   BAD_STACK_DESCRIPTOR    the entry returns an address on its stack
 *   BAD_LIBC_DESCRIPTOR     the entry returns a pointer into libc's data (stdin's FILE)
 *   BAD_MISALIGNED_DESCRIPTOR  the entry returns its descriptor's address plus one
 *   BAD_LIBC_LOAD           the descriptor's load function is libc's abort
 *   BAD_HEAP_NAME           the descriptor (static) names itself with a string on the heap
 *   BAD_PLAIN_POINTER       msgr_addin_entry is a right pointer, but not in the "boostdll"
 *                           section (not what MSGR_ADDIN_ENTRY or BOOST_DLL_ALIAS make)
 * Written in C: a cast address is a constant initializer here (a static relocation), as a
 * hand-made entry point of a C add-in would be. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msgr/addin.h"

__attribute__((unused)) static msgr_hresult bad_load(const msgr_host *host, void **state) {
    (void)host;
    *state = NULL;
    return MSGR_S_OK;
}

static void bad_unload(void *state) {
    (void)state;
}

/* void (*)(void) is the generic function pointer type: casts from it are not diagnosed. */
typedef void (*any_fn)(void);

#if defined(BAD_HEAP_NAME)
static char *heap_name;
#endif

/* Unused by the two entry points that are not functions. */
__attribute__((unused)) static const msgr_addin_descriptor descriptor = {
    sizeof(msgr_addin_descriptor),
    MSGR_ADDIN_MAGIC,
    MSGR_ADDIN_ABI_MAJOR,
    MSGR_ADDIN_ABI_MINOR,
    BAD_NAME,
    "0.0.1",
    "an add-in whose pointers leave its image",
    NULL,
    NULL,
#if defined(BAD_LIBC_LOAD)
    (msgr_hresult(*)(const msgr_host *, void **))(any_fn)&abort,
#else
    bad_load,
#endif
    bad_unload,
};

#if defined(BAD_HEAP_DESCRIPTOR)
/* Freed when the runtime unmaps the add-in (it is refused), so no leak checker sees it. */
static msgr_addin_descriptor *heap_copy;
__attribute__((destructor)) static void free_heap_copy(void) {
    free(heap_copy);
}
#endif

#if defined(BAD_HEAP_NAME)
static msgr_addin_descriptor named;
__attribute__((destructor)) static void free_heap_name(void) {
    free(heap_name);
}
#endif

#if !defined(BAD_DATA_ENTRY) && !defined(BAD_LIBC_ENTRY)
static const msgr_addin_descriptor *entry(void) {
#if defined(BAD_HEAP_DESCRIPTOR)
    if (heap_copy == NULL) heap_copy = malloc(sizeof *heap_copy);
    if (heap_copy == NULL) return NULL;
    memcpy(heap_copy, &descriptor, sizeof descriptor);
    return heap_copy;
#elif defined(BAD_STACK_DESCRIPTOR)
    return (const msgr_addin_descriptor *)__builtin_frame_address(0);
#elif defined(BAD_LIBC_DESCRIPTOR)
    return (const msgr_addin_descriptor *)(const void *)stdin;
#elif defined(BAD_MISALIGNED_DESCRIPTOR)
    return (const msgr_addin_descriptor *)(const void *)((const char *)&descriptor + 1);
#elif defined(BAD_HEAP_NAME)
    if (heap_name == NULL) heap_name = strdup(BAD_NAME);
    named = descriptor;
    named.name = heap_name;
    return &named;
#else
    return &descriptor;
#endif
}
#endif

#define BAD_EXPORT __attribute__((section("boostdll"), visibility("default"), used))
#if defined(BAD_DATA_ENTRY)
BAD_EXPORT const uintptr_t msgr_addin_entry = 42;
#elif defined(BAD_LIBC_ENTRY)
BAD_EXPORT const msgr_addin_entry_fn msgr_addin_entry = (msgr_addin_entry_fn)(any_fn)&abort;
#elif defined(BAD_PLAIN_POINTER)
__attribute__((visibility("default"))) const msgr_addin_entry_fn msgr_addin_entry = &entry;
#else
MSGR_ADDIN_ENTRY(entry);
#endif
