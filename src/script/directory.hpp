// Loading a folder of migration files, or a bundle of one (script/bundle).
//
// The folder is flat, as a mounted ConfigMap is: every `*.sql` entry is read,
// symlinks are followed (a ConfigMap's entries point into `..data/`), and
// names that start with `.` are ignored. File names carry no meaning. The
// files' bytes are kept for as long as the process runs (a process loads its
// migrations once): each revision's sections are LazyTexts pointing into them.
#pragma once

#include "script/revision_file.hpp"

#include <string>
#include <vector>

namespace lockstep::script {

// Every revision in `folder`, sorted by file name. When `folder` names a
// file rather than a folder, it is read as a bundle (script/bundle.hpp) and
// gives the same revisions the folder it was made from does. Throws
// Error(usage) for a missing folder or an unreadable or malformed file. A revision id that two
// files declare is found once, where the graph is built (RevisionGraph names
// both files), not here as well: this runs on every pod start.
std::vector<Revision> load_directory(const std::string& folder);

} // namespace lockstep::script
