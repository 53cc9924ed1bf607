// Loading a folder of migration files.
//
// The folder is flat, as a mounted ConfigMap is: every `*.sql` entry is read,
// symlinks are followed (a ConfigMap's entries point into `..data/`), and
// names that start with `.` are ignored. File names carry no meaning.
#pragma once

#include "script/revision_file.hpp"

#include <string>
#include <vector>

namespace lockstep::script {

// Every revision in `folder`, sorted by file name. Throws Error(usage) for a
// missing folder, an unreadable or malformed file, or a revision id that two
// files declare (naming both).
std::vector<Revision> load_directory(const std::string& folder);

} // namespace lockstep::script
