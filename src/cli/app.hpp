// The command line: flags (CLI11), the command table, and the one place
// where errors become messages and exit codes.
#pragma once

#include "config/config.hpp"

namespace lockstep::cli {

// Runs lockstep and returns its exit status. `env` is the process
// environment; nothing else reads it.
int run(int argc, char** argv, const config::Environment& env);

} // namespace lockstep::cli
