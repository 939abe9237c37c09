// How kubectl (a Go program) writes values as text, for answers that must be byte-identical to
// what it prints: a float64 through fmt's %v, a decoded JSON value through encoding/json's
// Marshal, and what a float64 becomes when kubectl marshals and decodes it again. Only the
// forms a JSON object decoded by apimachinery holds (map[string]interface{}, []interface{},
// string, int64, float64, bool, nil) are covered.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ferry::engine::kube::go {

using json = nlohmann::json;

// fmt.Sprint(float64), i.e. strconv.FormatFloat(f, 'g', -1, 64) (fmt/print.go fmtFloat for
// %v): the shortest digits that read back as f, in exponent form when the decimal exponent is
// < -4 or >= 6 ("1.23456789e+08", "1e-05", "100000", "-0").
std::string format_float(double f);

// encoding/json's float64 encoder (encode.go floatEncoder): 'f' form for 1e-6 <= |f| < 1e21,
// else 'e' with "e-07" cleaned to "e-7".
std::string json_float(double f);

// encoding/json's string encoder with HTML escaping (encode.go appendString): `<`, `>`, `&`,
// U+2028/U+2029 and control bytes as \u00XX (\b \f \n \r \t short), invalid UTF-8 as \ufffd.
void append_json_string(std::string_view s, std::string* out);

// json.Marshal of a value decoded by apimachinery (apimachinery/pkg/util/json: integers that
// fit int64 are int64, other numbers float64): compact, map keys sorted. False when the value
// is nested deeper than `max_depth`, holds a float that is not finite (Go cannot decode one) or
// a kind JSON has not; *out then holds a part.
bool marshal(const json& value, std::string* out, int max_depth);

// The number apimachinery's decoder makes of a JSON number nlohmann read: int64 when the
// literal was an integer that fits, else float64. nlohmann keeps integers above INT64_MAX as
// unsigned; Go reads those as float64.
bool is_go_int(const json& number);
int64_t go_int(const json& number);      // for is_go_int
double go_float(const json& number);     // for !is_go_int

// What kubectl's `get` does to a float64 when it puts several objects into one List
// (get.go printGeneric: json.Marshal, then decoded again): a float whose encoded form is an
// integer that fits int64 ("1", "123456789", "4611686018427388000") comes back an int64.
// True (and *as_int) when that happens to `f`.
bool float_decodes_as_int(double f, int64_t* as_int);

// UTF-8 decoding as Go's utf8.DecodeRuneInString: the rune at the start of `s` and its size;
// an invalid or short sequence is (U+FFFD, 1). `s` must not be empty.
std::pair<char32_t, size_t> decode_rune(std::string_view s);

}  // namespace ferry::engine::kube::go
