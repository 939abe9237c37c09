#include "engine/base/durable_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace ferry::engine {

bool write_all(int fd, std::string_view data, std::string* error) {
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

bool write_file_durably(const std::string& path, std::string_view text, std::string* error, FileMode mode) {
  mode_t perms = 0600;
  struct stat st {};
  if (mode == FileMode::kKeepExisting && ::stat(path.c_str(), &st) == 0) perms = st.st_mode & 07777;
  std::string tmp = path + ".ferry-tmp-XXXXXX";
  int fd = mkostemp(tmp.data(), O_CLOEXEC);  // 0600 from the start
  auto fail = [&](const std::string& why) {
    *error = "cannot write " + path + ": " + why;
    if (fd >= 0) close(fd);
    std::remove(tmp.c_str());
    return false;
  };
  if (fd < 0) {
    std::string why = std::strerror(errno);
    tmp.clear();
    return fail(why);
  }
  std::string why;
  if (!write_all(fd, text, &why)) return fail(why);
  if ((perms != 0600 && fchmod(fd, perms) != 0) || fsync(fd) != 0) return fail(std::strerror(errno));
  if (close(fd) != 0) {
    fd = -1;
    return fail(std::strerror(errno));
  }
  fd = -1;
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return fail(std::strerror(errno));
  sync_directory_of(path);
  return true;
}

}  // namespace ferry::engine
