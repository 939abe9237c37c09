// Plans read from git, so `ferry diff main:plans/x.ferry plans/x.ferry` works in review scripts
// and as a `git difftool`.
#pragma once

#include <string>
#include <vector>

namespace ferry::diff {

// True if `arg` means `REV:path` in git rather than a file: it is not a file on disk and has a
// colon with a revision before it.
bool is_git_spec(const std::string& arg);

// The contents of `spec` (`REV:path`, as `git show` takes it: the path is relative to the top of
// the repository, or to the current directory when it starts with ./) in the repository of the
// current directory. Runs git without a shell. On failure returns false and sets *error to a
// sentence naming `spec` with git's own message.
bool git_show(const std::string& spec, std::string* contents, std::string* error);

// Runs `git ARGS...` (no shell) in the current directory and returns its stdout. On a failure
// returns false and sets *error to git's message (or why git could not run).
bool run_git(const std::vector<std::string>& args, std::string* out, std::string* error);

}  // namespace ferry::diff
