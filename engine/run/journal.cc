#include "engine/run/journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ferry::engine {
namespace {

bool write_all(int fd, const std::string& data, std::string* error) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = std::strerror(errno);
      return false;
    }
    done += n;
  }
  return true;
}

void sync_directory_of(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

}  // namespace

JournalWriter::~JournalWriter() {
  if (fd_ >= 0) close(fd_);
}

std::unique_ptr<JournalWriter> JournalWriter::open(const std::string& path, const json& header,
                                                   const Redactor* redactor, std::string* error) {
  std::error_code ec;
  bool exists = std::filesystem::exists(path, ec);
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = "cannot open the journal " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  std::unique_ptr<JournalWriter> w(new JournalWriter(fd, redactor));
  if (!exists) {
    if (!w->write_line(redactor->redact_json(header).dump(), true, error)) return nullptr;
    sync_directory_of(path);
  } else {
    // A torn last line from a crash must not glue itself to the next event: end it.
    std::ifstream in(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!text.empty() && text.back() != '\n' && !write_all(fd, "\n", error)) return nullptr;
  }
  return w;
}

bool JournalWriter::write_line(const std::string& line, bool sync, std::string* error) {
  if (!write_all(fd_, line + "\n", error) || (sync && fdatasync(fd_) != 0)) {
    if (error->empty()) *error = std::strerror(errno);
    *error = "cannot write the journal: " + *error;
    return false;
  }
  return true;
}

bool JournalWriter::append(const json& event, std::string* error, bool sync) {
  // A command's output in a message may not be valid UTF-8: replace such bytes rather than
  // throw, which would end the run without its journal entry.
  constexpr auto kReplace = json::error_handler_t::replace;
  std::string text = redactor_->empty() ? event.dump(-1, ' ', false, kReplace)
                                        : redactor_->redact_json(event).dump(-1, ' ', false, kReplace);
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
    // Events are written whole and synced one at a time, so a line that does not parse is
    // one a crash cut short: the last line, or one a later resume closed with a newline.
    if (j.is_discarded() || !j.is_object()) {
      if (!lines[i].empty()) out.torn_lines.push_back(i + 1);
      continue;
    }
    out.events.push_back(std::move(j));
  }
  if (out.header.is_null()) {
    *error = path + ": empty journal";
    return std::nullopt;
  }
  return out;
}

bool write_file_durably(const std::string& path, const std::string& text, std::string* error) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = "cannot write " + tmp + ": " + std::strerror(errno);
    return false;
  }
  bool ok = write_all(fd, text, error) && fsync(fd) == 0;
  close(fd);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    if (error->empty()) *error = std::strerror(errno);
    *error = "cannot write " + path + ": " + *error;
    std::remove(tmp.c_str());
    return false;
  }
  sync_directory_of(path);
  return true;
}

}  // namespace ferry::engine
