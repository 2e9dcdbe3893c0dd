// Decides whether a URL path segment looks like random letters (an id) rather than words,
// with a character-bigram model trained on an English word list (gibberish_model.inc).
#pragma once

#include <string_view>

namespace obi::routes {

// Mean log-probability per transition of one a-z word under the model, in milli-nats
// (boundary -> first letter ... last letter -> boundary). Upper case is folded; bytes
// outside A-Z/a-z must not be passed. Lower = less word-like.
int gibberish_score_milli(std::string_view letters);

// Splits `segment` into runs of letters (anything else separates runs: '.', '_', '-',
// digits) and reports true when any run of at least kGibberishMinWordLen letters scores
// below the model's threshold. Shorter runs are never judged (see gibberish_model.inc for
// the measured accuracy per length).
bool is_gibberish(std::string_view segment);

}  // namespace obi::routes
