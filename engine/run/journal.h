// The run journal: an append-only file of JSON lines in the run directory, one event per line,
// each written and fdatasync'd before the engine takes its next action, so after a crash the
// journal says exactly how far the run got. The first line is a header with the format version.
// A torn last line (the crash came mid-write) is reported and ignored, not fatal, and the next
// writer cuts it off; a bad line anywhere else is corruption. See docs/journal.md.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/base/redactor.h"

namespace ferry::engine {

using json = nlohmann::json;

inline constexpr int kJournalVersion = 1;

// Where a journal's lines go: the run directory's file, or in a test one that fails when told
// to (the seam leveldb's Env is for its fault tests).
class JournalFile {
 public:
  virtual ~JournalFile() = default;
  // Appends `bytes`; with `sync`, they and everything before them are on disk when it returns.
  virtual bool append(const std::string& bytes, bool sync, std::string* error) = 0;
};

class JournalWriter {
 public:
  // Creates `path` (0600) with a header line, or opens an existing journal to append to it
  // (first cutting off a torn last line). Every event goes through `redactor` first.
  static std::unique_ptr<JournalWriter> open(const std::string& path, const json& header, const Redactor* redactor,
                                             std::string* error);
  // A writer over `file` as it is (no header written): for tests.
  static std::unique_ptr<JournalWriter> over(std::unique_ptr<JournalFile> file, const Redactor* redactor);
  // Appends one event ({"t": unix_ms, "event": name, ...}) as a line and, with `sync`, syncs it
  // and every earlier line to disk. Thread-safe. An event may skip the sync only when no action
  // outside ferry follows it before the next synced one (a noop step's events). A failed write
  // is fatal for the run: the caller stops (false, with *error).
  bool append(const json& event, std::string* error, bool sync = true);

 private:
  JournalWriter(std::unique_ptr<JournalFile> file, const Redactor* redactor)
      : file_(std::move(file)), redactor_(redactor) {}
  bool write_line(const std::string& line, bool sync, std::string* error);
  std::mutex mu_;
  std::unique_ptr<JournalFile> file_;
  const Redactor* redactor_;
};

struct JournalContents {
  json header;
  std::vector<json> events;
  std::vector<size_t> torn_lines;  // the last line, 1-based, if a crash cut it short (ignored)
};

// Reads a journal. A torn last line is skipped and listed; a bad header, an unknown version,
// or a bad line before the last (corruption, not a crash) is an error naming the line.
std::optional<JournalContents> read_journal(const std::string& path, std::string* error);
// The same from the journal's text (`path` only names it in errors).
std::optional<JournalContents> parse_journal(const std::string& text, const std::string& path, std::string* error);

}  // namespace ferry::engine
