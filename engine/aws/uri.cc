#include "engine/aws/uri.h"

#include <algorithm>

namespace ferry::aws {
namespace {

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string uri_encode(std::string_view s, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3 / 2);
  for (unsigned char c : s) {
    if (unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 15]);
    }
  }
  return out;
}

std::string uri_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    start = end + 1;
  }
  // A trailing "/" (or a trailing "." / ".." segment, which names a directory) is kept.
  bool trailing = !path.empty() && (path.back() == '/' || path.ends_with("/.") || path.ends_with("/.."));
  std::string out;
  for (std::string_view seg : segments) {
    out.push_back('/');
    out.append(seg);
  }
  if (out.empty() || trailing) out.push_back('/');
  return out;
}

QueryParams parse_query(std::string_view query) {
  QueryParams out;
  size_t start = 0;
  while (start < query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(start, end - start);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      if (eq == std::string_view::npos) {
        out.emplace_back(uri_decode(pair), "");
      } else {
        out.emplace_back(uri_decode(pair.substr(0, eq)), uri_decode(pair.substr(eq + 1)));
      }
    }
    start = end + 1;
  }
  return out;
}

std::string canonical_query(const QueryParams& params) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(params.size());
  for (const auto& [k, v] : params) encoded.emplace_back(uri_encode(k), uri_encode(v));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [k, v] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += k;
    out.push_back('=');
    out += v;
  }
  return out;
}

bool parse_url(std::string_view text, Url* out, std::string* error) {
  size_t colon = text.find("://");
  if (colon == std::string_view::npos) {
    *error = "'" + std::string(text) + "' is not a URL (expected http:// or https://)";
    return false;
  }
  out->scheme = std::string(text.substr(0, colon));
  std::transform(out->scheme.begin(), out->scheme.end(), out->scheme.begin(), ::tolower);
  if (out->scheme != "http" && out->scheme != "https") {
    *error = "'" + std::string(text) + "' has scheme '" + out->scheme + "' (expected http or https)";
    return false;
  }
  std::string_view rest = text.substr(colon + 3);
  size_t slash = rest.find_first_of("/?");
  out->host = std::string(rest.substr(0, slash));
  if (out->host.empty()) {
    *error = "'" + std::string(text) + "' has no host";
    return false;
  }
  if (slash == std::string_view::npos) {
    out->path = "/";
    out->query.clear();
    return true;
  }
  rest = rest.substr(slash);
  size_t q = rest.find('?');
  out->path = std::string(rest.substr(0, q));
  if (out->path.empty()) out->path = "/";
  out->query = q == std::string_view::npos ? "" : std::string(rest.substr(q + 1));
  return true;
}

}  // namespace ferry::aws
