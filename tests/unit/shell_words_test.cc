#include "common/shell_words.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ctlflow {
namespace {

using Words = std::vector<std::string>;

Words MustSplit(std::string_view text) {
  auto r = SplitShellWords(text);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : Words{};
}

TEST(ShellWordsTest, SplitsOnWhitespace) {
  EXPECT_EQ(MustSplit("a b\tc\nd"), (Words{"a", "b", "c", "d"}));
  EXPECT_EQ(MustSplit("  leading   and   trailing  "), (Words{"leading", "and", "trailing"}));
}

TEST(ShellWordsTest, EmptyAndBlankInputGiveNoWords) {
  EXPECT_EQ(MustSplit(""), Words{});
  EXPECT_EQ(MustSplit(" \t\n "), Words{});
}

TEST(ShellWordsTest, InjectionLookingInputStaysLiteral) {
  EXPECT_EQ(MustSplit("a; rm -rf /"), (Words{"a;", "rm", "-rf", "/"}));
  EXPECT_EQ(MustSplit("x|y && z > out < in (sub) &"),
            (Words{"x|y", "&&", "z", ">", "out", "<", "in", "(sub)", "&"}));
  EXPECT_EQ(MustSplit("echo $(id) `id` $HOME ~ *.txt"),
            (Words{"echo", "$(id)", "`id`", "$HOME", "~", "*.txt"}));
}

TEST(ShellWordsTest, SingleQuotesAreLiteral) {
  EXPECT_EQ(MustSplit("'a b'  'c\\d' '$x \"y\"'"), (Words{"a b", "c\\d", "$x \"y\""}));
}

TEST(ShellWordsTest, DoubleQuotesAllowOnlyTheShellEscapes) {
  EXPECT_EQ(MustSplit(R"("a \" \\ \$ \` b")"), (Words{"a \" \\ $ ` b"}));
  // Any other backslash stays, as in a shell.
  EXPECT_EQ(MustSplit(R"("c:\dir\n")"), (Words{"c:\\dir\\n"}));
  EXPECT_EQ(MustSplit("\"one\\\ntwo\""), (Words{"onetwo"}));
  EXPECT_EQ(MustSplit("\"keeps\nnewline\""), (Words{"keeps\nnewline"}));
}

TEST(ShellWordsTest, BackslashOutsideQuotesEscapesNextCharacter) {
  EXPECT_EQ(MustSplit(R"(a\ b \'c \"d \\e \;)"), (Words{"a b", "'c", "\"d", "\\e", ";"}));
}

TEST(ShellWordsTest, BackslashNewlineContinuesTheLine) {
  EXPECT_EQ(MustSplit("cmd \\\n  --flag \\\n  value"), (Words{"cmd", "--flag", "value"}));
  EXPECT_EQ(MustSplit("ab\\\ncd"), (Words{"abcd"}));
  EXPECT_EQ(MustSplit("\\\n"), Words{});
}

TEST(ShellWordsTest, AdjacentPartsJoin) {
  EXPECT_EQ(MustSplit(R"(--name="a b"'c d'e\ f)"), (Words{"--name=a bc de f"}));
}

TEST(ShellWordsTest, EmptyQuotesGiveEmptyWords) {
  EXPECT_EQ(MustSplit(R"("" '' a "")"), (Words{"", "", "a", ""}));
  EXPECT_EQ(MustSplit(R"(x"" ''y)"), (Words{"x", "y"}));
}

TEST(ShellWordsTest, UnterminatedSingleQuote) {
  auto r = SplitShellWords("echo 'abc");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalid);
  EXPECT_EQ(r.status().message(), "unterminated single quote starting at offset 5");
}

TEST(ShellWordsTest, UnterminatedDoubleQuote) {
  auto r = SplitShellWords(R"(a "b \" c)");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalid);
  EXPECT_EQ(r.status().message(), "unterminated double quote starting at offset 2");
}

TEST(ShellWordsTest, TrailingBackslashIsAnError) {
  auto r = SplitShellWords("abc\\");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "trailing backslash at offset 3");
}

TEST(ShellWordsTest, QuoteLeavesPlainWordsAlone) {
  EXPECT_EQ(QuoteShellWord("abc"), "abc");
  EXPECT_EQ(QuoteShellWord("--flag=value"), "--flag=value");
  EXPECT_EQ(QuoteShellWord("/usr/bin/x.y,z:1@2%3+4"), "/usr/bin/x.y,z:1@2%3+4");
}

TEST(ShellWordsTest, QuoteQuotesSpecialWords) {
  EXPECT_EQ(QuoteShellWord(""), "''");
  EXPECT_EQ(QuoteShellWord("a b"), "'a b'");
  EXPECT_EQ(QuoteShellWord("it's"), "'it'\\''s'");
  EXPECT_EQ(QuoteShellWord("~"), "'~'");
  EXPECT_EQ(QuoteShellWord("$HOME"), "'$HOME'");
}

TEST(ShellWordsTest, QuoteRoundTripsTrickyWords) {
  const Words tricky = {
      "",          "plain",   "two words",  "it's",      "'",       "''",     "\"",
      "\\",        "a\\b",    "$HOME",      "`id`",      "$(id)",   "a;b",    "a|b&c",
      "> out",     "*.txt",   "~user",      "tab\there", "new\nline", "end\\", "\\\n",
      " lead",     "trail ",  "mixed '\"\\$` all", "#comment", "\x01\x7f", "utf8 \xc3\xa9",
  };
  // One word at a time, and all together as one command line.
  std::string line;
  for (const std::string& w : tricky) {
    EXPECT_EQ(MustSplit(QuoteShellWord(w)), Words{w}) << "word: " << w;
    if (!line.empty()) line += ' ';
    line += QuoteShellWord(w);
  }
  EXPECT_EQ(MustSplit(line), tricky);
}

}  // namespace
}  // namespace ctlflow
