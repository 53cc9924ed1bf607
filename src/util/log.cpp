#include "util/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace lockstep::log {

namespace {

// Separates a message from its pre-rendered JSON fields inside one spdlog
// payload; the JSON formatter splits them again.
constexpr char kFieldMark = '\x1f';

bool g_json = false;
thread_local std::vector<Field> t_fields;

std::string utc_timestamp(std::chrono::system_clock::time_point when)
{
  auto seconds = std::chrono::system_clock::to_time_t(when);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[40];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buffer, static_cast<int>(millis));
  return out;
}

class JsonFormatter final : public spdlog::formatter {
public:
  explicit JsonFormatter(std::string pod) : m_pod(std::move(pod)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override
  {
    std::string payload(msg.payload.data(), msg.payload.size());
    std::string fields;
    if (size_t mark = payload.find(kFieldMark); mark != std::string::npos) {
      fields = payload.substr(mark + 1);
      payload.resize(mark);
    }
    auto level = spdlog::level::to_string_view(msg.level);
    std::string line = "{\"time\":" + json_quote(utc_timestamp(msg.time)) + ",\"level\":" +
                       json_quote(std::string(level.data(), level.size())) + ",\"message\":" + json_quote(payload);
    if (!m_pod.empty()) {
      line += ",\"pod\":" + json_quote(m_pod);
    }
    line += fields + "}\n";
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(m_pod); }

private:
  std::string m_pod;
};

} // namespace

Field num(std::string key, long long value)
{
  return Field{std::move(key), std::to_string(value), true};
}

Field str(std::string key, std::string value)
{
  return Field{std::move(key), std::move(value), false};
}

void setup(bool json, const std::string& level, const std::string& pod)
{
  g_json = json;
  auto logger = std::make_shared<spdlog::logger>("lockstep", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (json) {
    logger->set_formatter(std::make_unique<JsonFormatter>(pod));
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  }
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

void event(Level level, const std::string& message, const std::vector<Field>& fields)
{
  std::string payload = message;
  std::vector<Field> all = t_fields;
  all.insert(all.end(), fields.begin(), fields.end());
  if (!all.empty()) {
    if (g_json) {
      payload += kFieldMark;
      for (const auto& f : all) {
        payload += "," + json_quote(f.key) + ":" + (f.number ? f.value : json_quote(f.value));
      }
    } else {
      for (const auto& f : all) {
        payload += " " + f.key + "=" + f.value;
      }
    }
  }
  switch (level) {
  case Level::debug: spdlog::debug("{}", payload); break;
  case Level::info: spdlog::info("{}", payload); break;
  case Level::warn: spdlog::warn("{}", payload); break;
  case Level::error: spdlog::error("{}", payload); break;
  }
}

ThreadFields::ThreadFields(std::vector<Field> fields) : m_previous(t_fields)
{
  t_fields.insert(t_fields.end(), fields.begin(), fields.end());
}

ThreadFields::~ThreadFields()
{
  t_fields = std::move(m_previous);
}

std::string json_quote(const std::string& text)
{
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    default:
      if (c < 0x20) {
        char buffer[8];
        std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
        out += buffer;
      } else {
        out += static_cast<char>(c);
      }
    }
  }
  out += '"';
  return out;
}

} // namespace lockstep::log
