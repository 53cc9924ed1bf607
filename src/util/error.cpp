#include "util/error.hpp"

namespace lockstep {

void throw_usage(const std::string& message)
{
  throw Error(ExitCode::usage, message);
}

void throw_validation(const std::string& message)
{
  throw Error(ExitCode::validation_failed, message);
}

} // namespace lockstep
