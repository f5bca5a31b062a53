// libmsgr.so: the runtime as a shared library. Its contents are msgr_core (linked whole);
// this file exists so the library target has a source of its own.
#include "msgr/msgr.h"
