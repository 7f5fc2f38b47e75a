// Shell-style word splitting without a shell: turns a command line written in
// a config file into an argv, so users can quote arguments the way they are
// used to while nothing is ever expanded or interpreted by /bin/sh.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ctlflow {

// Splits text into words like a POSIX shell would, but only does quote
// removal:
//   - space, tab and newline separate words;
//   - '...' is literal (a backslash inside is an ordinary character);
//   - "..." is literal except that a backslash escapes \" \\ \$ \` and
//     backslash-newline disappears; before any other character the backslash
//     stays;
//   - outside quotes a backslash escapes the next character, and
//     backslash-newline disappears (a line continuation);
//   - adjacent quoted and unquoted parts join into one word, and "" or ''
//     alone yields an empty word.
// There is no expansion of $, ~, globs or backquotes, and | ; & > < ( ) are
// ordinary characters, so "a; rm -rf /" is the four words "a;" "rm" "-rf" "/".
// Errors (Invalid) name the problem and its byte offset, e.g.
// "unterminated single quote starting at offset 4".
Result<std::vector<std::string>> SplitShellWords(std::string_view text);

// Quotes a word so that SplitShellWords (and a real POSIX shell) gives it back
// unchanged. Words made only of harmless characters are returned as they are,
// so displayed command lines stay readable.
std::string QuoteShellWord(std::string_view word);

}  // namespace ctlflow
