// The OpenAPI document is kept true: it describes exactly the routes the
// server has, with the same methods, roles and path parameters.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "server/api.h"

namespace ctlflow {
namespace {

TEST(OpenApi, TheDocumentDescribesExactlyTheServersRoutes) {
  auto doc = nlohmann::json::parse(OpenApiDocument());
  std::set<std::string> documented, routed;
  for (auto& [path, ops] : doc["paths"].items()) {
    for (auto& [method, op] : ops.items()) {
      std::string key = method + " " + path;
      for (auto& c : key) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      documented.insert(key);
    }
  }
  for (const auto& r : ApiRoutes()) {
    std::string key = r.method + " " + r.path;
    for (auto& c : key) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    routed.insert(key);
    std::string method = r.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    ASSERT_TRUE(doc["paths"].contains(r.path)) << r.path;
    ASSERT_TRUE(doc["paths"][r.path].contains(method)) << r.method << " " << r.path;
    const auto& op = doc["paths"][r.path][method];
    if (r.role) {
      EXPECT_EQ(op["x-ctlflow-role"], RoleName(*r.role)) << r.method << " " << r.path;
      EXPECT_TRUE(op["responses"].contains("401")) << r.path;
      EXPECT_TRUE(op["responses"].contains("403")) << r.path;
    } else {
      EXPECT_EQ(op["security"], nlohmann::json::array()) << r.path << " is public";
    }
    EXPECT_EQ(op["summary"], r.summary) << r.path;
    // Every {placeholder} is a declared path parameter.
    std::set<std::string> placeholders, declared;
    std::regex re(R"(\{([a-z_]+)\})");
    for (std::sregex_iterator it(r.path.begin(), r.path.end(), re), end; it != end; ++it) placeholders.insert((*it)[1]);
    for (const auto& p : op.value("parameters", nlohmann::json::array()))
      if (p["in"] == "path") declared.insert(p["name"].get<std::string>());
    EXPECT_EQ(placeholders, declared) << r.path;
  }
  EXPECT_EQ(documented, routed);
}

TEST(Auth, TokensAreRandomAndOnlyTheirHashIsKept) {
  auto a = NewApiToken(), b = NewApiToken();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_EQ(a->size(), 68u);
  EXPECT_EQ(a->rfind("ctl_", 0), 0u);
  EXPECT_EQ(HashToken(*a).size(), 64u);
  EXPECT_EQ(HashToken(*a), HashToken(*a));
  EXPECT_EQ(HashToken(*a).find(a->substr(4, 16)), std::string::npos);
  EXPECT_FALSE(ParseRole("root").ok());
}

TEST(Auth, SessionsExpireWhenIdle) {
  SessionTable sessions(std::chrono::seconds(0), std::chrono::seconds(60));
  auto who = sessions.Create("ann", Role::kOperator);
  ASSERT_TRUE(who.ok());
  EXPECT_FALSE(who->csrf.empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_FALSE(sessions.Find(who->session_id).has_value());
  SessionTable lasting(std::chrono::seconds(60), std::chrono::seconds(60));
  auto kept = lasting.Create("bob", Role::kViewer);
  ASSERT_TRUE(lasting.Find(kept->session_id).has_value());
  lasting.Remove(kept->session_id);
  EXPECT_FALSE(lasting.Find(kept->session_id).has_value());
}

}  // namespace
}  // namespace ctlflow
