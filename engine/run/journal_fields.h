// A journal line's fields, read as the type ferry writes them or as absent. A journal is input
// like any other (a crash, a disk error or a hand edit may have made it): a field of another
// type reads as absent, rather than throwing or (a huge float read as an integer) overflowing.
// The run's state (run_state.h) and `ferry report` read journals through these.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ferry::engine::journal_field {

std::string text(const nlohmann::json& e, const char* key);  // "" when absent
int64_t integer(const nlohmann::json& e, const char* key, int64_t absent);
// Outputs are an object wherever ferry writes them; what reads them (a step's `${s.out}`, a
// step's retaint on resume) may rely on it.
nlohmann::json object(const nlohmann::json& e, const char* key);
std::vector<std::string> texts(const nlohmann::json& e, const char* key);  // the strings of a list

}  // namespace ferry::engine::journal_field
