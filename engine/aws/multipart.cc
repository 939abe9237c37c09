// The upload pipeline. The calling thread reads the source part by part into a small pool of
// buffers and hashes the whole stream as it goes; `parallelism` worker threads hash and send
// the parts. A buffer goes back to the pool when its part is acknowledged, which is what
// bounds memory. The first error (or a cancel) stops the reader, aborts the parts in flight
// and the multipart upload.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/aws/crypto.h"
#include "engine/aws/upload.h"

namespace ferry::aws {
namespace {

class FdSource : public ByteSource {
 public:
  FdSource(int fd, std::optional<uint64_t> size) : fd_(fd), size_(size) {}
  ~FdSource() override { ::close(fd_); }
  ssize_t read(char* buf, size_t n, std::string* error) override {
    for (;;) {
      ssize_t r = ::read(fd_, buf, n);
      if (r >= 0) return r;
      if (errno == EINTR) continue;
      *error = std::string("read failed: ") + std::strerror(errno);
      return -1;
    }
  }
  std::optional<uint64_t> size() const override { return size_; }

 private:
  int fd_;
  std::optional<uint64_t> size_;
};

// Fills `buf` up to `n` bytes (a pipe hands out a little at a time).
ssize_t fill(ByteSource& src, char* buf, size_t n, std::string* error) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = src.read(buf + got, n - got, error);
    if (r < 0) return -1;
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return static_cast<ssize_t>(got);
}

using Clock = std::chrono::steady_clock;

// Progress across threads: acknowledged bytes plus each worker's bytes on the wire.
class Progress {
 public:
  Progress(const UploadOptions& o, uint64_t total, int workers)
      : cb_(o.on_progress), total_(total), in_flight_(static_cast<size_t>(workers)), start_(Clock::now()) {
    for (auto& a : in_flight_) a = 0;
  }
  void sending(int worker, uint64_t bytes) {
    in_flight_[static_cast<size_t>(worker)] = bytes;
    report(false);
  }
  void acknowledged(int worker, uint64_t part_bytes) {
    done_ += part_bytes;
    in_flight_[static_cast<size_t>(worker)] = 0;
    report(false);
  }
  void report(bool force) {
    if (!cb_) return;
    std::unique_lock lock(mu_, std::try_to_lock);
    if (!lock.owns_lock()) return;
    auto now = Clock::now();
    if (!force && now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    UploadProgress p;
    p.bytes_sent = done_;
    for (auto& a : in_flight_) p.bytes_sent += a;
    p.total = total_;
    double secs = std::chrono::duration<double>(now - start_).count();
    p.bytes_per_second = secs > 0 ? static_cast<double>(p.bytes_sent) / secs : 0;
    cb_(p);
  }

 private:
  std::function<void(const UploadProgress&)> cb_;
  uint64_t total_;
  std::vector<std::atomic<uint64_t>> in_flight_;
  std::atomic<uint64_t> done_{0};
  std::mutex mu_;
  Clock::time_point start_, last_{};
};

bool cancelled(const UploadOptions& o) { return o.cancel != nullptr && o.cancel->load(); }

AwsError cancel_error() { return AwsError::Make(AwsErrorKind::kCancelled, "Cancelled", "the upload was cancelled"); }

struct Job {
  int part = 0;
  size_t buffer = 0;
  size_t len = 0;
};

class Pipeline {
 public:
  Pipeline(S3Client& client, const S3Location& to, const std::string& upload_id, const UploadOptions& o,
           uint64_t part_size, Progress& progress)
      : client_(client), to_(to), upload_id_(upload_id), opts_(o), progress_(progress) {
    const size_t n = static_cast<size_t>(o.parallelism) + 1;
    buffers_.resize(n);
    for (size_t i = 0; i < n; ++i) free_.push_back(i);
    part_size_ = part_size;
  }

  // Buffer i, allocated on first use (a short stream never needs them all).
  char* buffer(size_t i) {
    if (!buffers_[i]) buffers_[i] = std::make_unique<char[]>(part_size_);
    return buffers_[i].get();
  }

  void start() {
    for (int w = 0; w < opts_.parallelism; ++w) workers_.emplace_back([this, w] { work(w); });
  }

  // Blocks for a free buffer; nullopt once the pipeline failed.
  std::optional<size_t> take_free() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !free_.empty() || abort_.load(); });
    if (abort_) return std::nullopt;
    size_t b = free_.front();
    free_.pop_front();
    return b;
  }

  void give_back(size_t b) {
    std::lock_guard lock(mu_);
    free_.push_back(b);
    cv_.notify_all();
  }

  void submit(Job j) {
    std::lock_guard lock(mu_);
    jobs_.push_back(j);
    cv_.notify_all();
  }

  void fail(AwsError e) {
    std::lock_guard lock(mu_);
    if (error_.ok()) error_ = std::move(e);
    abort_ = true;
    cv_.notify_all();
  }

  // No more jobs: the workers drain the queue and stop.
  void finish() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
      cv_.notify_all();
    }
    for (auto& t : workers_) t.join();
  }

  const std::atomic<bool>& aborted() const { return abort_; }
  AwsError error() {
    std::lock_guard lock(mu_);
    return error_;
  }
  std::vector<CompletedPart> parts() {
    std::lock_guard lock(mu_);
    return parts_;
  }

 private:
  void work(int w) {
    for (;;) {
      Job j;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !jobs_.empty() || closed_ || abort_.load(); });
        if (abort_ || jobs_.empty()) return;
        j = jobs_.front();
        jobs_.pop_front();
      }
      std::string_view body(buffers_[j.buffer].get(), j.len);
      std::string sha = sha256(body);
      CompletedPart part;
      // A cancel stops the parts on the wire too, not only the reading of new ones.
      auto on_sent = [&](uint64_t sent) {
        progress_.sending(w, sent);
        if (opts_.cancel != nullptr && opts_.cancel->load() && !abort_.load()) fail(cancel_error());
      };
      AwsError e = client_.upload_part(to_, upload_id_, j.part, body, sha, &part, on_sent, &abort_);
      if (!e.ok()) {
        if (e.kind != AwsErrorKind::kCancelled || error().ok()) {
          e.message = "part " + std::to_string(j.part) + ": " + e.message;
          fail(e);
        }
        return;
      }
      progress_.acknowledged(w, j.len);
      {
        std::lock_guard lock(mu_);
        if (parts_.size() < static_cast<size_t>(j.part)) parts_.resize(static_cast<size_t>(j.part));
        parts_[static_cast<size_t>(j.part) - 1] = part;
      }
      give_back(j.buffer);
    }
  }

  S3Client& client_;
  const S3Location& to_;
  const std::string& upload_id_;
  const UploadOptions& opts_;
  Progress& progress_;
  uint64_t part_size_ = 0;
  std::vector<std::unique_ptr<char[]>> buffers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<size_t> free_;
  std::deque<Job> jobs_;
  bool closed_ = false;
  std::atomic<bool> abort_{false};
  AwsError error_;
  std::vector<CompletedPart> parts_;
  std::vector<std::thread> workers_;
};


}  // namespace

std::unique_ptr<ByteSource> open_file_source(const std::string& path, std::string* error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = "cannot open " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    *error = path + " is not a regular file";
    return nullptr;
  }
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::make_unique<FdSource>(fd, static_cast<uint64_t>(st.st_size));
}

std::unique_ptr<ByteSource> fd_source(int fd, std::optional<uint64_t> size) {
  return std::make_unique<FdSource>(fd, size);
}

uint64_t choose_part_size(std::optional<uint64_t> size, uint64_t requested) {
  uint64_t ps = std::max(requested, kMinPartSize);
  if (size) {
    uint64_t needed = (*size + kMaxParts - 1) / kMaxParts;
    needed = (needed + kMiB - 1) / kMiB * kMiB;
    ps = std::max(ps, needed);
  }
  return std::min(ps, kMaxPartSize);
}

AwsError upload(S3Client& client, const S3Location& to, ByteSource& source, const UploadOptions& options,
                UploadResult* out) {
  UploadOptions opts = options;
  if (opts.parallelism < 1) opts.parallelism = 1;
  const uint64_t part_size = choose_part_size(source.size(), opts.part_size);
  *out = UploadResult{};
  out->location = to;
  Sha256 whole;
  Progress progress(opts, source.size().value_or(0), opts.parallelism);
  std::string read_error;
  auto read_failed = [&] {
    return AwsError::Make(AwsErrorKind::kFailed, "ReadFailed", "reading the source: " + read_error);
  };
  // A source whose size was known up front must deliver exactly that: a file that grows or
  // shrinks while it is read (or a pod's `cat` cut short) would otherwise go up half-written.
  auto size_changed = [&](uint64_t got) {
    return AwsError::Make(AwsErrorKind::kFailed, "SizeChanged",
                          "the source had " + std::to_string(*source.size()) + " bytes when the upload started but " +
                              std::to_string(got) + " were read: it changed while it was read");
  };

  // The first part decides: a source that fits in one part goes up as a single PUT.
  std::string upload_id;
  std::optional<Pipeline> pipe;
  pipe.emplace(client, to, upload_id, opts, part_size, progress);
  size_t first = *pipe->take_free();
  ssize_t n = fill(source, pipe->buffer(first), part_size, &read_error);
  if (n < 0) return read_failed();
  if (cancelled(opts)) return cancel_error();
  whole.update(pipe->buffer(first), static_cast<size_t>(n));
  const bool fits = static_cast<uint64_t>(n) < part_size ||
                    (source.size() && *source.size() == static_cast<uint64_t>(n));
  if (fits) {
    if (source.size() && *source.size() != static_cast<uint64_t>(n)) return size_changed(static_cast<uint64_t>(n));
    if (static_cast<uint64_t>(n) == part_size) {
      // A full part that the announced size says is all: read on to the end, so a source that
      // grew is caught and a command's exit status is checked.
      char more;
      ssize_t extra = fill(source, &more, 1, &read_error);
      if (extra < 0) return read_failed();
      if (extra > 0) return size_changed(static_cast<uint64_t>(n) + static_cast<uint64_t>(extra));
    }
    std::string_view body(pipe->buffer(first), static_cast<size_t>(n));
    const std::string digest = whole.digest();  // the whole object is this one body
    ObjectInfo info;
    AwsError e = client.put_object(to, body, digest, &info, [&](uint64_t sent) { progress.sending(0, sent); });
    if (!e.ok()) return e;
    progress.acknowledged(0, body.size());
    progress.report(true);
    out->size = body.size();
    out->sha256_hex = to_hex(digest);
    out->etag = info.etag;
    out->version_id = info.version_id;
    return AwsError::Ok();
  }

  AwsError e = client.create_multipart_upload(to, &upload_id);
  if (!e.ok()) return e;
  if (opts.on_multipart_created) opts.on_multipart_created(upload_id);
  pipe->start();
  uint64_t total = 0;
  int part = 0;
  std::optional<size_t> buf = first;
  size_t len = static_cast<size_t>(n);
  AwsError reader_error;
  while (len > 0) {
    if (++part > kMaxParts) {
      reader_error = AwsError::Make(AwsErrorKind::kInvalid, "TooManyParts",
                                    "the source is larger than 10,000 parts of " + std::to_string(part_size / kMiB) +
                                        " MiB; raise part_size");
      break;
    }
    total += len;
    pipe->submit(Job{part, *buf, len});
    buf = pipe->take_free();
    if (!buf) break;  // a part failed
    if (cancelled(opts)) {
      reader_error = cancel_error();
      break;
    }
    n = fill(source, pipe->buffer(*buf), part_size, &read_error);
    if (n < 0) {
      reader_error = read_failed();
      break;
    }
    len = static_cast<size_t>(n);
    whole.update(pipe->buffer(*buf), len);
  }
  if (reader_error.ok() && source.size() && total != *source.size()) reader_error = size_changed(total);
  if (!reader_error.ok()) pipe->fail(reader_error);
  pipe->finish();
  e = pipe->error();
  if (e.ok() && cancelled(opts)) e = cancel_error();
  if (!e.ok()) {
    AwsError a = client.abort_multipart_upload(to, upload_id);
    if (!a.ok()) e.message += " (and aborting upload " + upload_id + " failed: " + a.text() + ")";
    return e;
  }
  std::vector<CompletedPart> parts = pipe->parts();
  ObjectInfo info;
  e = client.complete_multipart_upload(to, upload_id, parts, &info);
  if (!e.ok()) {
    client.abort_multipart_upload(to, upload_id);
    return e;
  }
  progress.report(true);
  out->size = total;
  out->sha256_hex = to_hex(whole.digest());
  out->etag = info.etag;
  out->version_id = info.version_id;
  out->parts = part;
  return AwsError::Ok();
}

}  // namespace ferry::aws
