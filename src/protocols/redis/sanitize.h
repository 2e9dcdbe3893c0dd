// db.query.text sanitisation for Redis: the command and its key stay, every other argument
// becomes `?` (values, and always the secrets of AUTH / HELLO / MIGRATE ... AUTH).
#pragma once

#include <string>
#include <string_view>

namespace obi::redis {

// `command_line` is the command and its arguments joined by single spaces.
std::string sanitize(std::string_view command_line);

}  // namespace obi::redis
