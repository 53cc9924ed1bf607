// Compiled as part of src/fleet/ by the architecture test, which expects the
// compiler to refuse it: db/session.hpp is private to src/db.
#include "db/session.hpp"
