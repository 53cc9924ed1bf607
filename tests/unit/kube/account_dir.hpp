// A service-account folder as Kubernetes mounts one (a token and a ca.crt),
// and the environment a pod that uses it sees; removed at the end.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace lockstep::test {

struct AccountDir {
  std::filesystem::path path;
  AccountDir()
  {
    std::string pattern = (std::filesystem::temp_directory_path() / "lockstep-sa-XXXXXX").string();
    path = mkdtemp(pattern.data());
    std::ofstream(path / "token") << "t0k3n\n";
    std::ofstream(path / "ca.crt") << "not read here\n";
  }
  ~AccountDir() { std::filesystem::remove_all(path); }

  std::map<std::string, std::string> env() const
  {
    return {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
            {"KUBERNETES_SERVICE_PORT", "443"},
            {"POD_NAME", "web-0"},
            {"POD_NAMESPACE", "shop"},
            {"LOCKSTEP_SERVICEACCOUNT_DIR", path.string()}};
  }
};

} // namespace lockstep::test
