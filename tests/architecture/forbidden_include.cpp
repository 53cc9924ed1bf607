// Compiled as part of src/config/ by the architecture test, which expects the
// compiler to refuse it: config may include only util.
#include "script/revision_file.hpp"
