// The one JSON writer/reader (util/Json.h): odd text never produces invalid JSON.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "mlad/util/Json.h"

namespace mlad {

TEST(Json, OddStringsRoundTrip) {
    const std::string names[] = {"a\"b",
                                 "back\\slash",
                                 "new\nline\ttab",
                                 "Zürich-λ-日本",
                                 std::string("nul\0byte", 8),
                                 "\x01\x1f control"};
    for (const auto& n : names) {
        Json j = {{"name", n}, {"list", {n, n}}};
        const std::string text = dumpJson(j);
        Json back = Json::parse(text);  // must not throw
        EXPECT_EQ(back["name"].get<std::string>(), n);
        EXPECT_EQ(back["list"][1].get<std::string>(), n);
    }
}

TEST(Json, InvalidUtf8IsReplacedNotThrown) {
    const std::string bad = "run-\xff\xfe-x";
    const std::string text = dumpJson(Json{{"name", bad}});
    Json back = Json::parse(text);
    const std::string name = back["name"].get<std::string>();
    EXPECT_EQ(name, "run-\xEF\xBF\xBD\xEF\xBF\xBD-x");  // each bad byte -> U+FFFD
}

TEST(Json, NonFiniteNumbersBecomeNull) {
    Json j = {{"nan", std::nan("")}, {"inf", 1.0 / 0.0}, {"x", 0.1}};
    Json back = Json::parse(dumpJson(j));
    EXPECT_TRUE(back["nan"].is_null());
    EXPECT_TRUE(back["inf"].is_null());
    EXPECT_DOUBLE_EQ(back["x"].get<double>(), 0.1);
}

TEST(Json, MalformedInputNamesWhatWasRead) {
    try {
        parseJson("{\"a\":", "run config of r1");
        FAIL() << "no exception";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("run config of r1"), std::string::npos);
    }
}

}  // namespace mlad
