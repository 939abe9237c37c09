// The `stream` upload mode: a command's stdout (a pod's file through the kube backend's exec)
// uploaded as it comes, with the command's exit status as the last word on whether it is whole.
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "engine/aws/upload.h"

namespace ferry::aws {
namespace {

// What a failed command said on stderr: its last ~2000 bytes, trimmed (kubectl's reason for a
// failed exec is its last line).
std::string tail_of(FILE* f) {
  if (f == nullptr) return "";
  std::fflush(f);
  long end = (std::fseek(f, 0, SEEK_END) == 0) ? std::ftell(f) : 0;
  std::fseek(f, std::max(0L, end - 2000), SEEK_SET);
  std::string text(2000, '\0');
  text.resize(std::fread(text.data(), 1, text.size(), f));
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

// Reads a child's stdout; at its end, waits for the child and turns a failure into a read error,
// so upload() aborts instead of completing a truncated object.
class CommandSource : public ByteSource {
 public:
  CommandSource(pid_t pid, int fd, FILE* err, std::string name, std::optional<uint64_t> size)
      : pid_(pid), fd_(fd), err_(err), name_(std::move(name)), size_(size) {}
  ~CommandSource() override {
    if (err_ != nullptr) std::fclose(err_);
    if (fd_ >= 0) ::close(fd_);
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);  // the upload stopped early: the command is not needed any more
      ::waitpid(pid_, nullptr, 0);
    }
  }
  ssize_t read(char* buf, size_t n, std::string* error) override {
    for (;;) {
      ssize_t r = ::read(fd_, buf, n);
      if (r > 0) return r;
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) {
        *error = name_ + ": " + std::strerror(errno);
        return -1;
      }
      return finish(error);
    }
  }
  std::optional<uint64_t> size() const override { return size_; }

 private:
  ssize_t finish(std::string* error) {
    if (pid_ <= 0) return 0;
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
    *error = name_ + (WIFEXITED(status) ? " exited with status " + std::to_string(WEXITSTATUS(status))
                                        : " was killed by signal " + std::to_string(WTERMSIG(status)));
    if (std::string said = tail_of(err_); !said.empty()) *error += ": " + said;
    return -1;
  }

  pid_t pid_;
  int fd_;
  FILE* err_;  // the command's stderr (an unlinked temporary file)
  std::string name_;
  std::optional<uint64_t> size_;
};

}  // namespace

AwsError upload_command_output(S3Client& client, const S3Location& to, const std::vector<std::string>& argv,
                               std::optional<uint64_t> size, const UploadOptions& options, UploadResult* out) {
  if (argv.empty()) return AwsError::Make(AwsErrorKind::kInvalid, "NoCommand", "no command to read from");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return AwsError::Make(AwsErrorKind::kFailed, "Pipe", std::string("pipe: ") + std::strerror(errno));
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // stderr goes to a file, not a pipe: nobody has to drain it while the upload runs, and it is
  // read only if the command fails.
  FILE* err = std::tmpfile();
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    if (err != nullptr) std::fclose(err);
    return AwsError::Make(AwsErrorKind::kFailed, "Fork", std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // The command dies with ferry: a killed ferry must not leave a `kubectl exec` streaming.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) _exit(127);
    ::dup2(fds[1], STDOUT_FILENO);
    if (err != nullptr) ::dup2(::fileno(err), STDERR_FILENO);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::execvp(args[0], args.data());
    _exit(127);
  }
  ::close(fds[1]);
  CommandSource source(pid, fds[0], err, "'" + argv[0] + "'", size);
  return upload(client, to, source, options, out);
}

}  // namespace ferry::aws
