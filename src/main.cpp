#include "cli/app.hpp"

extern char** environ;

int main(int argc, char** argv)
{
  return lockstep::cli::run(argc, argv, lockstep::config::environment_from(environ));
}
