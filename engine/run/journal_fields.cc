#include "engine/run/journal_fields.h"

namespace ferry::engine::journal_field {

using nlohmann::json;

std::string text(const json& e, const char* key) {
  auto it = e.find(key);
  return it != e.end() && it->is_string() ? it->get<std::string>() : "";
}

int64_t integer(const json& e, const char* key, int64_t absent) {
  auto it = e.find(key);
  return it != e.end() && it->is_number_integer() ? it->get<int64_t>() : absent;
}

json object(const json& e, const char* key) {
  auto it = e.find(key);
  return it != e.end() && it->is_object() ? *it : json::object();
}

std::vector<std::string> texts(const json& e, const char* key) {
  std::vector<std::string> out;
  auto it = e.find(key);
  if (it == e.end() || !it->is_array()) return out;
  for (const json& item : *it) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

}  // namespace ferry::engine::journal_field
