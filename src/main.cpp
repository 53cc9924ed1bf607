#include "cli/app.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>

extern char** environ;

int main(int argc, char** argv)
{
  int code = lockstep::cli::run(argc, argv, lockstep::config::environment_from(environ));
  // Leave without running static destructors: a connection may still be
  // being opened on a detached thread (see Migrator::connect_in_background)
  // when a bad file ends the run, and tearing down the logger under it would
  // crash. Everything lockstep owns was closed when run() returned.
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  std::_Exit(code);
}
