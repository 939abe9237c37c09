// The `stream` upload mode: a command's stdout (a pod's file through the kube backend's exec)
// uploaded as it comes, with the command's exit status as the last word on whether it is whole.
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "engine/aws/upload.h"

namespace ferry::aws {
namespace {

constexpr size_t kStderrTail = 2000;

// What a failed command said on stderr (`fd`, a file): its last ~2000 bytes, trimmed, without a
// UTF-8 sequence cut in half at the start (kubectl's reason for a failed exec is its last line).
std::string tail_of(int fd) {
  if (fd < 0) return "";
  const off_t end = ::lseek(fd, 0, SEEK_END);
  const off_t from = end > static_cast<off_t>(kStderrTail) ? end - static_cast<off_t>(kStderrTail) : 0;
  std::string text(kStderrTail, '\0');
  ssize_t n = ::pread(fd, text.data(), text.size(), from);
  text.resize(n > 0 ? static_cast<size_t>(n) : 0);
  size_t start = 0;
  while (from > 0 && start < text.size() && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) ++start;
  text.erase(0, start);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

// Reads a child's stdout; at its end, waits for the child and turns a failure into a read error,
// so upload() aborts instead of completing a truncated object. A read waits at most 200 ms at a
// time for the cancel flag: an exec that stalls (a half-open connection) must not hold the step
// past its timeout or a Ctrl-C.
class CommandSource : public ByteSource {
 public:
  CommandSource(pid_t pid, int fd, int err_fd, std::string name, std::optional<uint64_t> size,
                const std::atomic<bool>* cancel)
      : pid_(pid), fd_(fd), err_fd_(err_fd), name_(std::move(name)), size_(size), cancel_(cancel) {}
  ~CommandSource() override {
    if (fd_ >= 0) ::close(fd_);
    stop_child();
    if (err_fd_ >= 0) ::close(err_fd_);
  }
  ssize_t read(char* buf, size_t n, std::string* error) override {
    for (;;) {
      if (cancel_ != nullptr && cancel_->load()) {
        *error = name_ + ": cancelled";
        return -1;
      }
      pollfd p{fd_, POLLIN, 0};
      int ready = ::poll(&p, 1, 200);
      if (ready == 0 || (ready < 0 && errno == EINTR)) continue;
      ssize_t r = ready < 0 ? -1 : ::read(fd_, buf, n);
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
    if (std::string said = tail_of(err_fd_); !said.empty()) *error += ": " + said;
    return -1;
  }

  // The upload stopped early: the command is not needed any more. SIGTERM, then SIGKILL.
  void stop_child() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 50; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      ::usleep(100 * 1000);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }

  pid_t pid_;
  int fd_;
  int err_fd_;  // the command's stderr: an unlinked temporary file
  std::string name_;
  std::optional<uint64_t> size_;
  const std::atomic<bool>* cancel_;
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
  // read only if the command fails. Close-on-exec, so other steps' commands do not inherit it.
  const int err_fd = ::open(P_tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    for (int fd : {fds[0], fds[1], err_fd, devnull}) {
      if (fd >= 0) ::close(fd);
    }
    return AwsError::Make(AwsErrorKind::kFailed, "Fork", std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // The command dies with ferry: a killed ferry must not leave a `kubectl exec` streaming.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) _exit(127);
    ::dup2(fds[1], STDOUT_FILENO);
    if (err_fd >= 0) ::dup2(err_fd, STDERR_FILENO);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::execvp(args[0], args.data());
    _exit(127);
  }
  ::close(fds[1]);
  if (devnull >= 0) ::close(devnull);
  CommandSource source(pid, fds[0], err_fd, "'" + argv[0] + "'", size, options.cancel);
  return upload(client, to, source, options, out);
}

}  // namespace ferry::aws
