#include "dsl/utf8.h"

#include <algorithm>
#include <cstdio>

namespace ferry::dsl {
namespace {

// The length of the well-formed sequence starting at text[i], or 0 if there is none (Unicode
// table 3-7: the second byte's range depends on the first; later bytes are 0x80..0xBF).
size_t sequence_length(std::string_view text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char b0 = byte(i);
  if (b0 < 0x80) return 1;
  size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the second byte's range
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    if (b0 == 0xE0) low = 0xA0;   // overlong
    if (b0 == 0xED) high = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    if (b0 == 0xF0) low = 0x90;   // overlong
    if (b0 == 0xF4) high = 0x8F;  // past U+10FFFF
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

std::string byte_name(char c) {
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(c));
  return std::string("byte ") + hex;
}

}  // namespace

size_t invalid_utf8_at(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    size_t n = sequence_length(text, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

std::string utf8_problem(std::string_view value) {
  size_t at = invalid_utf8_at(value);
  if (at == std::string_view::npos) return "";
  return "is not valid UTF-8 (" + byte_name(value[at]) + " at position " + std::to_string(at + 1) + ")";
}

Diagnostic* check_utf8(const SourceFile& file, Diagnostics* diags, bool how_to_convert) {
  const std::string& text = file.text();
  size_t at = invalid_utf8_at(text);
  if (at == std::string_view::npos) return nullptr;
  size_t line_start = text.rfind('\n', at);  // text[at] is not a '\n': that is well-formed
  line_start = line_start == std::string::npos ? 0 : line_start + 1;
  auto line = static_cast<uint32_t>(1 + std::count(text.begin(), text.begin() + line_start, '\n'));
  return &diags->error(Span{&file, line, static_cast<uint32_t>(at - line_start + 1)},
                       "invalid UTF-8 (" + byte_name(text[at]) + ")" +
                           (how_to_convert ? "; ferry reads text files as UTF-8 (convert this one, e.g. with `iconv -f "
                                             "latin1 -t utf-8`)"
                                           : ""));
}

std::string to_valid_utf8(std::string_view text) {
  if (invalid_utf8_at(text) == std::string_view::npos) return std::string(text);
  std::string out;
  out.reserve(text.size() + 8);
  for (size_t i = 0; i < text.size();) {
    size_t n = sequence_length(text, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    } else {
      out.append(text, i, n);
      i += n;
    }
  }
  return out;
}

void make_valid_utf8(json* value) {
  if (value->is_string()) {
    std::string& s = value->get_ref<std::string&>();
    if (invalid_utf8_at(s) != std::string_view::npos) s = to_valid_utf8(s);
  } else if (value->is_array()) {
    for (json& item : *value) make_valid_utf8(&item);
  } else if (value->is_object()) {
    json fixed = json::object();
    for (auto& [key, item] : value->items()) {
      make_valid_utf8(&item);
      fixed[to_valid_utf8(key)] = std::move(item);
    }
    *value = std::move(fixed);
  }
}

}  // namespace ferry::dsl
