#include "config/yaml_file.hpp"

#include "util/error.hpp"
#include "util/read_file.hpp"

#include <yaml-cpp/yaml.h>

namespace lockstep::config {

namespace {

void flatten(const YAML::Node& node, const std::string& prefix, const std::string& path,
             std::map<std::string, YamlValue>& out)
{
  for (const auto& entry : node) {
    std::string key = entry.first.as<std::string>();
    std::string full = prefix.empty() ? key : prefix + "." + key;
    const YAML::Node& value = entry.second;
    int line = value.Mark().line + 1;
    if (value.IsMap()) {
      flatten(value, full, path, out);
    } else if (value.IsScalar()) {
      out[full] = YamlValue{value.Scalar(), line};
    } else if (value.IsNull()) {
      out[full] = YamlValue{"", line};
    } else {
      throw_usage(path + ":" + std::to_string(line) + ": '" + full + "' must be a single value, not a list");
    }
  }
}

} // namespace

std::map<std::string, YamlValue> load_yaml_file(const std::string& path)
{
  std::string text = util::read_file(path);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw_usage(path + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
  }
  std::map<std::string, YamlValue> out;
  if (root.IsNull()) {
    return out;
  }
  if (!root.IsMap()) {
    throw_usage(path + ": the config file must be a mapping of keys to values");
  }
  flatten(root, "", path, out);
  return out;
}

} // namespace lockstep::config
