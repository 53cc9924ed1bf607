// Logging: spdlog underneath, two formats on top.
//
// text (default):  2026-11-24T12:00:00.123Z info applied 3f2a9c1e7b4d revision=3f2a9c1e7b4d duration_ms=12
// json:            {"time":"2026-11-24T12:00:00.123Z","level":"info","message":"applied 3f2a9c1e7b4d",
//                   "pod":"web-0","revision":"3f2a9c1e7b4d","duration_ms":12}
// Plain spdlog calls work in both formats; log::event() adds fields.
// Everything goes to stderr: stdout is for command output.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace lockstep::log {

enum class Level { debug, info, warn, error };

// A field's value is written as a JSON number when `number` is set.
struct Field {
  std::string key;
  std::string value;
  bool number = false;
};

Field num(std::string key, long long value);
Field str(std::string key, std::string value);

// `level`: trace, debug, info, warn, error. `pod` is added to every JSON line.
void setup(bool json, const std::string& level, const std::string& pod);

void event(Level level, const std::string& message, const std::vector<Field>& fields = {});

// While it lives, every event() on this thread also carries `fields` (a
// fleet's worker tags each line with its target).
class ThreadFields {
public:
  explicit ThreadFields(std::vector<Field> fields);
  ~ThreadFields();
  ThreadFields(const ThreadFields&) = delete;
  ThreadFields& operator=(const ThreadFields&) = delete;

private:
  std::vector<Field> m_previous;
};

// "a \"b\"" -> "\"a \\\"b\\\"\"" (a JSON string literal).
std::string json_quote(const std::string& text);

} // namespace lockstep::log
