// db.query.text sanitisation for SQL: every literal (strings, numbers, dollar-quoted and
// escape strings, hex and bit literals) becomes `?`, so no customer data leaves the host
// unless the user asks for raw text. Identifiers, keywords, placeholders and comments stay.
#pragma once

#include <string>
#include <string_view>

namespace obi::sql {

enum class Dialect { Postgres, MySQL };  // MySQL: "..." is a string, \ escapes inside strings

std::string sanitize(std::string_view sql, Dialect dialect);

}  // namespace obi::sql
