#include "engine/diff/git_plan.h"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <set>

#include "dsl/compiler.h"
#include "engine/diff/git_show.h"
#include "engine/base/durable_file.h"

namespace ferry::diff {
namespace {
namespace fs = std::filesystem;

// The loader's rule for a `use` that names a file rather than a module of the module path.
bool path_like(const std::string& name) {
  return name.find('/') != std::string::npos || name.ends_with(".ferry") || name.ends_with(".toml");
}

bool write_file(const fs::path& path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::string error;
  return engine::write_file_durably(path.string(), text, &error);
}

// The paths (from the top of the repository) of the files `file` uses by relative path.
std::vector<std::string> relative_uses(const fs::path& copy, const fs::path& in_repo) {
  dsl::SourceSet sources;
  dsl::Diagnostics diags;  // a file that does not parse is reported when the plan is compiled
  auto file = dsl::load_file(copy.string(), &sources, &diags);
  std::vector<std::string> out;
  if (!file) return out;
  for (const dsl::Use& use : file->uses) {
    if (!path_like(use.path) || fs::path(use.path).is_absolute()) continue;
    fs::path used = (in_repo.parent_path() / use.path).lexically_normal();
    if (!used.empty() && *used.begin() != "..") out.push_back(used.generic_string());
  }
  return out;
}

}  // namespace

GitPlanCopy::~GitPlanCopy() {
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

bool GitPlanCopy::open(const std::string& spec, std::string* error) {
  std::string rev = spec.substr(0, spec.find(':'));
  std::string path = spec.substr(spec.find(':') + 1);
  std::string ext = fs::path(path).extension().string();
  if (ext != ".ferry" && ext != ".toml") {
    *error = "'" + spec + "' is neither a file nor REV:path of a .ferry or .toml plan";
    return false;
  }
  // git reads `REV:./path` from the current directory; the copies need the path from the top.
  fs::path in_repo = path;
  if (path.starts_with("./") || path.starts_with("../")) {
    std::string prefix;
    if (!run_git({"rev-parse", "--show-prefix"}, &prefix, error)) {
      *error = "cannot read '" + spec + "' from git: " + *error;
      return false;
    }
    while (!prefix.empty() && prefix.back() == '\n') prefix.pop_back();
    in_repo = fs::path(prefix) / path;
  }
  in_repo = in_repo.lexically_normal();
  std::string text;
  if (!git_show(spec, &text, error)) return false;
  std::error_code ec;
  fs::path temp = fs::temp_directory_path(ec);
  std::string pattern = (temp / "ferry-diff-XXXXXX").string();
  if (ec || !mkdtemp(pattern.data())) {
    *error = "cannot create a temporary directory for '" + spec + "' in " + (ec ? "$TMPDIR" : temp.string()) + ": " +
             (ec ? ec.message() : std::strerror(errno));
    return false;
  }
  dir_ = pattern;
  path_ = (fs::path(dir_) / in_repo).string();
  if (!write_file(path_, text)) {
    *error = "cannot write a temporary copy of '" + spec + "' in " + dir_;
    return false;
  }
  // The modules it uses by relative path, and theirs, from the same revision. One the revision
  // lacks is left out: compiling the plan then reports it where it is used.
  std::deque<std::string> pending;
  std::set<std::string> seen = {in_repo.generic_string()};
  for (const std::string& used : relative_uses(path_, in_repo)) pending.push_back(used);
  while (!pending.empty()) {
    std::string module = pending.front();
    pending.pop_front();
    if (!seen.insert(module).second) continue;
    std::string module_text, ignored;
    if (!git_show(rev + ":" + module, &module_text, &ignored)) continue;
    fs::path copy = fs::path(dir_) / module;
    if (!write_file(copy, module_text)) continue;
    for (const std::string& used : relative_uses(copy, module)) pending.push_back(used);
  }
  return true;
}

}  // namespace ferry::diff
