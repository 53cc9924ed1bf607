// A fresh folder under the temporary directory for one unit test, removed
// with everything in it when the test ends.
#pragma once

#include <catch2/catch_test_macros.hpp>

#include <filesystem>
#include <fstream>
#include <stdlib.h>
#include <string>
#include <system_error>

namespace lockstep::test {

class TempFolder {
public:
  explicit TempFolder(const std::string& tag = "unit")
  {
    std::string pattern = (std::filesystem::temp_directory_path() / ("lockstep-" + tag + "-XXXXXX")).string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    m_path = pattern;
  }
  ~TempFolder()
  {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
  }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;

  const std::filesystem::path& path() const { return m_path; }

  // Writes `text` to path()/name, replacing any file there; returns its path.
  std::string write(const std::string& name, const std::string& text) const
  {
    std::string file = (m_path / name).string();
    std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
    return file;
  }

private:
  std::filesystem::path m_path;
};

} // namespace lockstep::test
