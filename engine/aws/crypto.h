// The hashing ferry's AWS code needs, over OpenSSL EVP: SHA-256 (whole objects, parts, SigV4),
// HMAC-SHA256 (SigV4's signing key), MD5 (Content-MD5), and the hex/base64 forms AWS wants.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace ferry::aws {

// Incremental SHA-256. Feed any number of update()s, then digest() once.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(const void* data, size_t n);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // The 32 raw bytes. The object must not be updated afterwards.
  std::string digest();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

std::string sha256(std::string_view data);  // raw 32 bytes
std::string sha256_hex(std::string_view data);
std::string md5(std::string_view data);     // raw 16 bytes
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw 32 bytes

std::string to_hex(std::string_view bytes);     // lower case, as SigV4 wants
std::string base64(std::string_view bytes);
// The hex SHA-256 of nothing, SigV4's payload hash for an empty body.
inline constexpr std::string_view kEmptySha256Hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

}  // namespace ferry::aws
