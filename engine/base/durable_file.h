// The one way ferry writes a whole file (a saved plan, a run's plan.json, a backup, `fmt
// --write`, `convert --out`): a temp file beside it, fsync, rename over it, fsync of the
// directory. After a crash the file is the old one or the new one, never half of either; a new
// file is private (0600) from its first byte, whatever the umask.
#pragma once

#include <string>
#include <string_view>

namespace ferry::engine {

enum class FileMode {
  kPrivate,       // 0600, also when it replaces a file
  kKeepExisting,  // a replaced file keeps its mode; a new one is 0600
};

// false with *error ("cannot write PATH: why") if any part fails; the temp file is removed.
bool write_file_durably(const std::string& path, std::string_view text, std::string* error,
                        FileMode mode = FileMode::kPrivate);

// Writes all of `data` to `fd` (through EINTR and short writes); false with *error.
bool write_all(int fd, std::string_view data, std::string* error);

// fsyncs the directory holding `path`, so a file created or renamed there survives a crash.
void sync_directory_of(const std::string& path);

}  // namespace ferry::engine
