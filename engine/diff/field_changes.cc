#include "engine/diff/field_changes.h"

#include <algorithm>
#include <cctype>
#include <map>

namespace ferry::diff {
namespace {

bool plain_key(const std::string& key) {
  if (key.empty() || std::isdigit(static_cast<unsigned char>(key[0]))) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '$';
  });
}

bool all_digits(const std::string& s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

// The segments of an RFC 6901 pointer, unescaped ("/a~1b/0" is {"a/b", "0"}).
std::vector<std::string> segments(const std::string& pointer) {
  std::vector<std::string> out;
  size_t begin = 1;
  while (begin <= pointer.size() && !pointer.empty()) {
    size_t end = pointer.find('/', begin);
    if (end == std::string::npos) end = pointer.size();
    std::string s = pointer.substr(begin, end - begin);
    for (size_t i = 0; (i = s.find('~', i)) != std::string::npos; ++i) s.replace(i, 2, s[i + 1] == '1' ? "/" : "~");
    out.push_back(s);
    begin = end + 1;
  }
  return out;
}

// Renders `segs` in plan terms, asking the documents whether each parent is a list or a map
// (a key "0" of a map and index 0 of a list look alike in a pointer).
std::string plan_path(const std::vector<std::string>& segs, const json& a, const json& b) {
  std::string out;
  const json* pa = &a;
  const json* pb = &b;
  for (const std::string& s : segs) {
    const json* parent = pa && pa->is_structured() ? pa : pb;
    if (parent && parent->is_array()) {
      out += "[" + s + "]";
      size_t i = std::stoul(s);
      pa = pa && pa->is_array() && i < pa->size() ? &(*pa)[i] : nullptr;
      pb = pb && pb->is_array() && i < pb->size() ? &(*pb)[i] : nullptr;
    } else {
      out += key_segment(s);
      pa = pa && pa->is_object() && pa->contains(s) ? &(*pa)[s] : nullptr;
      pb = pb && pb->is_object() && pb->contains(s) ? &(*pb)[s] : nullptr;
    }
  }
  if (!out.empty() && out[0] == '.') out.erase(0, 1);
  return out;
}

// Path order: segment by segment, list indices as numbers (so [2] comes before [10]).
bool segments_less(const std::vector<std::string>& x, const std::vector<std::string>& y) {
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
    if (x[i] == y[i]) continue;
    if (all_digits(x[i]) && all_digits(y[i]) && x[i].size() != y[i].size()) return x[i].size() < y[i].size();
    return x[i] < y[i];
  }
  return x.size() < y.size();
}

}  // namespace

std::string key_segment(const std::string& key) { return plain_key(key) ? "." + key : "[" + json(key).dump() + "]"; }

std::vector<FieldChange> field_changes(const json& old_value, const json& new_value) {
  std::vector<std::pair<std::vector<std::string>, FieldChange>> found;
  std::map<std::string, size_t> appended;  // list pointer -> items appended so far
  for (const json& op : json::diff(old_value, new_value)) {
    std::string pointer = op["path"];
    const std::string kind = op["op"];
    if (pointer.ends_with("/-")) {
      std::string list = pointer.substr(0, pointer.size() - 2);
      size_t index = old_value.at(json::json_pointer(list)).size() + appended[list]++;
      pointer = list + "/" + std::to_string(index);
    }
    json::json_pointer at(pointer);
    FieldChange change;
    if (kind != "add") {
      change.has_old = true;
      change.old_value = old_value.at(at);
    }
    if (kind != "remove") {
      change.has_new = true;
      change.new_value = kind == "add" ? op["value"] : new_value.at(at);
    }
    std::vector<std::string> segs = segments(pointer);
    change.path = plan_path(segs, old_value, new_value);
    found.emplace_back(std::move(segs), std::move(change));
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& x, const auto& y) { return segments_less(x.first, y.first); });
  std::vector<FieldChange> out;
  for (auto& [segs, change] : found) out.push_back(std::move(change));
  return out;
}

}  // namespace ferry::diff
