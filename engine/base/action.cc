#include "engine/base/action.h"

namespace ferry::engine {

std::string shell_quote(const std::string& arg) {
  if (arg.empty()) return "''";
  bool plain = true;
  for (char c : arg) {
    bool safe = std::isalnum(static_cast<unsigned char>(c)) || std::string_view("@%_+=:,./-<>[]").find(c) != std::string_view::npos;
    if (!safe) plain = false;
  }
  // '<' '>' '[' ']' are safe only inside a word that is ours (placeholders like <snap.path>);
  // a leading one could still be read as a redirection.
  if (plain && arg.front() != '<' && arg.front() != '>') return arg;
  std::string out = "'";
  for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string Action::text() const {
  std::string out;
  if (!argv.empty()) {
    for (size_t i = 0; i < argv.size(); ++i) out += (i ? " " : "") + shell_quote(argv[i]);
  } else if (!method.empty()) {
    out = method + " " + url;
  }
  if (!input.empty()) out += (out.empty() ? "" : "  ") + std::string("<<< ") + input;
  if (!note.empty()) out += (out.empty() ? "" : "  # ") + note;
  return out;
}

nlohmann::json Action::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  if (!argv.empty()) j["argv"] = argv;
  if (!method.empty()) {
    j["method"] = method;
    j["url"] = url;
  }
  if (!input.empty()) j["input"] = input;
  if (!note.empty()) j["note"] = note;
  return j;
}

}  // namespace ferry::engine
