// URI encoding as SigV4 defines it (RFC 3986 unreserved characters stay, everything else is
// %XX in upper case), and the few URL operations the AWS clients need.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ferry::aws {

// Percent-encodes every byte but A-Z a-z 0-9 - _ . ~ (and '/' when keep_slash).
std::string uri_encode(std::string_view s, bool keep_slash = false);
// Decodes %XX (a malformed escape stays as it is); '+' is left alone, as SigV4 does.
std::string uri_decode(std::string_view s);
// RFC 3986 dot-segment removal plus collapsing of empty segments ("//"), the normalization
// SigV4 applies for every service but S3. "/a/./b/../c//" -> "/a/c/".
std::string normalize_path(std::string_view path);

using QueryParams = std::vector<std::pair<std::string, std::string>>;  // decoded, in order
// "a=1&b&c=%20" -> {{"a","1"},{"b",""},{"c"," "}}.
QueryParams parse_query(std::string_view query);
// The canonical form SigV4 signs: each key and value uri_encode()d, sorted by key then value.
std::string canonical_query(const QueryParams& params);

// The parts of an http(s) URL this code needs.
struct Url {
  std::string scheme;  // "https"
  std::string host;    // "bucket.s3.amazonaws.com" or "127.0.0.1:9000" (port kept)
  std::string path;    // as written, percent-encoded ("/" when absent)
  std::string query;   // without '?', as written
};
// false (and *error set) if `text` is not an absolute http or https URL.
bool parse_url(std::string_view text, Url* out, std::string* error);

}  // namespace ferry::aws
