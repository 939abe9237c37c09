// A plan read from a git revision, ready for the compiler: the file, and the modules it uses by
// relative path (`use "../lib/moves.ferry"`), read from the same revision and written under a
// private temporary directory in their places in the repository, so `use` finds the revision's
// modules. Modules used by name come from the module path as for any plan.
#pragma once

#include <string>

namespace ferry::diff {

class GitPlanCopy {
 public:
  GitPlanCopy() = default;
  GitPlanCopy(const GitPlanCopy&) = delete;
  GitPlanCopy& operator=(const GitPlanCopy&) = delete;
  ~GitPlanCopy();  // removes the temporary directory

  // Reads `spec` (`REV:path`, see git_show). On failure returns false with *error set to a
  // sentence naming `spec`.
  bool open(const std::string& spec, std::string* error);

  // The plan's copy, to compile. REQUIRES: open() succeeded.
  const std::string& path() const { return path_; }

 private:
  std::string dir_;
  std::string path_;
};

}  // namespace ferry::diff
