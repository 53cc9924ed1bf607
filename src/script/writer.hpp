// Writing new revision files (`lockstep revision`, `lockstep merge`).
#pragma once

#include "script/revision_file.hpp"

#include <string>

namespace lockstep::script {

// The file's text: header, then both sections. parse_revision() reads it back
// to the same revision (line breaks in the message become spaces: a header
// value is one line).
std::string render_revision(const Revision& rev);

// "<revision>_<slug>.sql"
std::string revision_file_name(const Revision& rev);

// Writes `rev` into `folder` without overwriting anything; returns the path.
// Throws Error(usage) when the file exists or cannot be written, or when
// `folder` is a bundle (read-only: bundles are made from folders).
std::string write_new_revision(const std::string& folder, const Revision& rev);

} // namespace lockstep::script
