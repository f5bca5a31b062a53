// A property check for fuzz targets: a violated property is a finding like a crash, in the
// fuzzers and in the corpus replays of every build (it does not depend on NDEBUG).
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                                     \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            (void)std::fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, \
                               #cond);                                                       \
            std::abort();                                                                    \
        }                                                                                    \
    } while (false)
