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
// missing folder or an unreadable or malformed file. A revision id that two
// files declare is found once, where the graph is built (RevisionGraph names
// both files), not here as well: this runs on every pod start.
std::vector<Revision> load_directory(const std::string& folder);

} // namespace lockstep::script
