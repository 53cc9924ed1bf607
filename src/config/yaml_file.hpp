// The YAML config file (a mounted ConfigMap, typically): a mapping whose
// nested mappings flatten to dotted keys, so
//
//   kubernetes:
//     annotate: best-effort
//
// reads as "kubernetes.annotate" = "best-effort". Only scalars are values.
#pragma once

#include <map>
#include <string>

namespace lockstep::config {

struct YamlValue {
  std::string value;
  int line = 0;  // 1-based, for error messages
};

// Throws Error(usage) naming the file (and line) when it cannot be read or
// parsed, or holds something other than nested mappings of scalars.
std::map<std::string, YamlValue> load_yaml_file(const std::string& path);

} // namespace lockstep::config
