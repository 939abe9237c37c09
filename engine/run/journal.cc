#include "engine/run/journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/base/durable_file.h"

namespace ferry::engine {
namespace {

// The journal file of a run directory, opened for appending.
class FdJournalFile : public JournalFile {
 public:
  explicit FdJournalFile(int fd) : fd_(fd) {}
  ~FdJournalFile() override { close(fd_); }
  bool append(const std::string& bytes, bool sync, std::string* error) override {
    if (!write_all(fd_, bytes, error) || (sync && fdatasync(fd_) != 0)) {
      if (error->empty()) *error = std::strerror(errno);
      return false;
    }
    return true;
  }

 private:
  int fd_;
};

// A crash mid-write leaves a last line without its newline: it holds no whole event, so it is
// cut off before anything is appended, and every line but the last is always whole (the rule
// read_journal enforces). A journal cut inside its header gets the header again.
bool drop_torn_tail(int fd, const std::string& path, const json& header, const Redactor* redactor,
                    std::string* error) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.empty() || text.back() == '\n') return true;
  size_t keep = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
  if (ftruncate(fd, static_cast<off_t>(keep)) != 0 || fdatasync(fd) != 0) {
    *error = "cannot cut the torn last line off the journal " + path + ": " + std::strerror(errno);
    return false;
  }
  if (keep == 0 && !write_all(fd, redactor->redact_json(header).dump() + "\n", error)) return false;
  return true;
}

}  // namespace

std::unique_ptr<JournalWriter> JournalWriter::open(const std::string& path, const json& header,
                                                   const Redactor* redactor, std::string* error) {
  std::error_code ec;
  bool exists = std::filesystem::exists(path, ec);
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = "cannot open the journal " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  std::unique_ptr<JournalWriter> w(new JournalWriter(std::make_unique<FdJournalFile>(fd), redactor));
  if (!exists) {
    if (!w->write_line(redactor->redact_json(header).dump(), true, error)) return nullptr;
    sync_directory_of(path);
  } else if (!drop_torn_tail(fd, path, header, redactor, error)) {
    return nullptr;
  }
  return w;
}

std::unique_ptr<JournalWriter> JournalWriter::over(std::unique_ptr<JournalFile> file, const Redactor* redactor) {
  return std::unique_ptr<JournalWriter>(new JournalWriter(std::move(file), redactor));
}

bool JournalWriter::write_line(const std::string& line, bool sync, std::string* error) {
  if (!file_->append(line + "\n", sync, error)) {
    *error = "cannot write the journal: " + *error;
    return false;
  }
  return true;
}

bool JournalWriter::append(const json& event, std::string* error, bool sync) {
  // A command's output in a message may not be valid UTF-8: replace such bytes rather than
  // throw, which would end the run without its journal entry.
  constexpr auto kReplace = json::error_handler_t::replace;
  std::string text = redactor_->redact_json(event).dump(-1, ' ', false, kReplace);
  std::lock_guard lock(mu_);
  return write_line(text, sync, error);
}

std::optional<JournalContents> read_journal(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot read the journal " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_journal(text, path, error);
}

std::optional<JournalContents> parse_journal(const std::string& text, const std::string& path, std::string* error) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  const bool ends_whole = !text.empty() && text.back() == '\n';

  JournalContents out;
  for (size_t i = 0; i < lines.size(); ++i) {
    json j = json::parse(lines[i], nullptr, false);
    if (i == 0) {
      if (j.is_discarded() || !j.is_object() || !j.contains("ferry_journal")) {
        *error = path + ":1: not a ferry journal (no \"ferry_journal\" header)";
        return std::nullopt;
      }
      if (j["ferry_journal"] != kJournalVersion) {
        *error = path + ": journal version " + j["ferry_journal"].dump() + " is not one this ferry reads (" +
                 std::to_string(kJournalVersion) + ")";
        return std::nullopt;
      }
      out.header = j;
      continue;
    }
    if (!j.is_discarded() && j.is_object()) {
      out.events.push_back(std::move(j));
      continue;
    }
    // Events are written whole, one at a time, and a writer cuts a torn tail off before it
    // appends: only the last line, without its newline, can be one a crash cut short.
    if (i + 1 == lines.size() && !ends_whole) {
      out.torn_lines.push_back(i + 1);
      continue;
    }
    *error = path + ":" + std::to_string(i + 1) +
             ": the journal is damaged: this line is not a whole event, and only the last line can be cut short by "
             "a crash. ferry will not guess what the run did. Keep a copy of the run directory, see what the line "
             "was (a disk error? an edit?) and what the clusters show, and repair or remove the line before "
             "resuming or rolling back";
    return std::nullopt;
  }
  if (out.header.is_null()) {
    *error = path + ": empty journal";
    return std::nullopt;
  }
  return out;
}

}  // namespace ferry::engine
