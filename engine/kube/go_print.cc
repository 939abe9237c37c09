#include "engine/kube/go_print.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <vector>

namespace ferry::engine::kube::go {
namespace {

// The shortest decimal digits of |f| that read back as f, as strconv's genericFtoa has them:
// digits "d1d2...dn" and the decimal point's place `dp` (value = 0.d1d2...dn * 10^dp). Zero has
// no digits and dp 0. std::to_chars gives the same shortest, closest digits (both are exact
// shortest round-trip algorithms).
struct Digits {
  std::string d;
  int dp = 0;
};

Digits shortest(double f) {
  Digits out;
  f = std::fabs(f);
  if (f == 0) return out;
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
  (void)ec;  // 64 bytes hold any double
  std::string_view text(buf, static_cast<size_t>(end - buf));  // "1.2345e+08", "5e-324"
  const size_t e = text.find('e');
  for (char c : text.substr(0, e)) {
    if (c != '.') out.d += c;
  }
  int exp = 0;
  std::string_view ex = text.substr(e + 1);
  const bool neg = !ex.empty() && ex[0] == '-';
  if (!ex.empty() && (ex[0] == '-' || ex[0] == '+')) ex.remove_prefix(1);
  std::from_chars(ex.data(), ex.data() + ex.size(), exp);
  out.dp = (neg ? -exp : exp) + 1;
  return out;
}

// strconv/ftoa.go fmtE: d.ddde±XX (at least two exponent digits).
void fmt_e(bool neg, const Digits& digs, int prec, std::string* out) {
  if (neg) *out += '-';
  *out += digs.d.empty() ? '0' : digs.d[0];
  if (prec > 0) {
    *out += '.';
    int i = 1;
    const int m = std::min(static_cast<int>(digs.d.size()), prec + 1);
    if (i < m) {
      out->append(digs.d, 1, static_cast<size_t>(m - 1));
      i = m;
    }
    for (; i <= prec; ++i) *out += '0';
  }
  *out += 'e';
  int exp = digs.d.empty() ? 0 : digs.dp - 1;
  *out += exp < 0 ? '-' : '+';
  exp = std::abs(exp);
  if (exp < 10) {
    *out += '0';
    *out += static_cast<char>('0' + exp);
  } else if (exp < 100) {
    *out += static_cast<char>('0' + exp / 10);
    *out += static_cast<char>('0' + exp % 10);
  } else {
    *out += static_cast<char>('0' + exp / 100);
    *out += static_cast<char>('0' + exp / 10 % 10);
    *out += static_cast<char>('0' + exp % 10);
  }
}

// strconv/ftoa.go fmtF: the integer part padded with zeros, then `prec` fraction digits.
void fmt_f(bool neg, const Digits& digs, int prec, std::string* out) {
  if (neg) *out += '-';
  const int nd = static_cast<int>(digs.d.size());
  if (digs.dp > 0) {
    int m = std::min(nd, digs.dp);
    out->append(digs.d, 0, static_cast<size_t>(m));
    for (; m < digs.dp; ++m) *out += '0';
  } else {
    *out += '0';
  }
  if (prec > 0) {
    *out += '.';
    for (int i = 1; i <= prec; ++i) {
      const int j = digs.dp + i - 1;
      *out += 0 <= j && j < nd ? digs.d[static_cast<size_t>(j)] : '0';
    }
  }
}

// strconv.FormatFloat(f, 'f', -1, 64).
std::string shortest_f(double f) {
  const Digits digs = shortest(f);
  std::string out;
  fmt_f(std::signbit(f), digs, std::max(static_cast<int>(digs.d.size()) - digs.dp, 0), &out);
  return out;
}

const char kHex[] = "0123456789abcdef";

}  // namespace

std::string format_float(double f) {
  const Digits digs = shortest(f);
  const int nd = static_cast<int>(digs.d.size());
  const int exp = digs.dp - 1;
  std::string out;
  // ftoa.go formatDigits, 'g' with the shortest precision: eprec is 6.
  if (exp < -4 || exp >= 6) {
    fmt_e(std::signbit(f), digs, nd - 1, &out);
  } else {
    fmt_f(std::signbit(f), digs, std::max(nd - digs.dp, 0), &out);
  }
  return out;
}

std::string json_float(double f) {
  const double abs = std::fabs(f);
  if (abs != 0 && (abs < 1e-6 || abs >= 1e21)) {
    const Digits digs = shortest(f);
    std::string out;
    fmt_e(std::signbit(f), digs, std::max(static_cast<int>(digs.d.size()) - 1, 0), &out);
    // encode.go: clean up e-09 to e-9.
    const size_t n = out.size();
    if (n >= 4 && out[n - 4] == 'e' && out[n - 3] == '-' && out[n - 2] == '0') out.erase(n - 2, 1);
    return out;
  }
  return shortest_f(f);
}

std::pair<char32_t, size_t> decode_rune(std::string_view s) {
  constexpr std::pair<char32_t, size_t> kError = {0xFFFD, 1};
  const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = b(0);
  if (c < 0x80) return {c, 1};
  // utf8.go's first/acceptRanges: the valid second bytes of each lead byte.
  size_t size;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    size = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    size = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    size = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return kError;
  }
  if (s.size() < size || b(1) < lo || b(1) > hi) return kError;
  for (size_t i = 2; i < size; ++i) {
    if (b(i) < 0x80 || b(i) > 0xBF) return kError;
  }
  char32_t r = c & (size == 2 ? 0x1F : size == 3 ? 0x0F : 0x07);
  for (size_t i = 1; i < size; ++i) r = (r << 6) | (b(i) & 0x3F);
  return {r, size};
}

void append_json_string(std::string_view s, std::string* out) {
  *out += '"';
  size_t start = 0;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      // htmlSafeSet: printable ASCII but `"`, `\`, `<`, `>`, `&`.
      if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') {
        ++i;
        continue;
      }
      out->append(s, start, i - start);
      switch (c) {
        case '\\':
        case '"':
          *out += '\\';
          *out += static_cast<char>(c);
          break;
        case '\b': *out += "\\b"; break;
        case '\f': *out += "\\f"; break;
        case '\n': *out += "\\n"; break;
        case '\r': *out += "\\r"; break;
        case '\t': *out += "\\t"; break;
        default:
          *out += "\\u00";
          *out += kHex[c >> 4];
          *out += kHex[c & 0xF];
      }
      start = ++i;
      continue;
    }
    const auto [r, size] = decode_rune(s.substr(i));
    if (r == 0xFFFD && size == 1) {
      out->append(s, start, i - start);
      *out += "\\ufffd";
      start = ++i;
      continue;
    }
    if (r == 0x2028 || r == 0x2029) {
      out->append(s, start, i - start);
      *out += "\\u202";
      *out += kHex[r & 0xF];
      i += size;
      start = i;
      continue;
    }
    i += size;
  }
  out->append(s, start, s.size() - start);
  *out += '"';
}

bool is_go_int(const json& number) {
  if (number.is_number_integer() && !number.is_number_unsigned()) return true;
  return number.is_number_unsigned() &&
         number.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
}

int64_t go_int(const json& number) {
  return number.is_number_unsigned() ? static_cast<int64_t>(number.get<uint64_t>()) : number.get<int64_t>();
}

double go_float(const json& number) {
  if (number.is_number_unsigned()) return static_cast<double>(number.get<uint64_t>());
  if (number.is_number_integer()) return static_cast<double>(number.get<int64_t>());
  return number.get<double>();
}

bool float_decodes_as_int(double f, int64_t* as_int) {
  if (!std::isfinite(f)) return false;
  const std::string text = json_float(f);
  int64_t v = 0;
  // strconv.ParseInt(s, 10, 64), as apimachinery's decoder tries first.
  const char* first = text.data();
  const char* last = text.data() + text.size();
  auto [end, ec] = std::from_chars(first, last, v);
  if (ec != std::errc() || end != last) return false;
  *as_int = v;
  return true;
}

bool marshal(const json& value, std::string* out, int max_depth) {
  if (max_depth < 0) return false;
  switch (value.type()) {
    case json::value_t::null:
      *out += "null";
      return true;
    case json::value_t::boolean:
      *out += value.get<bool>() ? "true" : "false";
      return true;
    case json::value_t::string:
      append_json_string(value.get_ref<const std::string&>(), out);
      return true;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      if (is_go_int(value)) {
        *out += std::to_string(go_int(value));
        return true;
      }
      if (!std::isfinite(go_float(value))) return false;
      *out += json_float(go_float(value));
      return true;
    case json::value_t::array: {
      *out += '[';
      bool first = true;
      for (const json& e : value) {
        if (!first) *out += ',';
        first = false;
        if (!marshal(e, out, max_depth - 1)) return false;
      }
      *out += ']';
      return true;
    }
    case json::value_t::object: {
      // nlohmann's object is a std::map: keys in byte order, as encoding/json sorts them.
      *out += '{';
      bool first = true;
      for (auto it = value.begin(); it != value.end(); ++it) {
        if (!first) *out += ',';
        first = false;
        append_json_string(it.key(), out);
        *out += ':';
        if (!marshal(it.value(), out, max_depth - 1)) return false;
      }
      *out += '}';
      return true;
    }
    default:
      return false;  // binary, discarded: not JSON
  }
}

}  // namespace ferry::engine::kube::go
