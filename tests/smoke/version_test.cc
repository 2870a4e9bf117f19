#include <gtest/gtest.h>
#include "lmm/version.h"
TEST(Version, NamesTheProgram) { EXPECT_NE(lmm::VersionReport().find("lmmgpu"), std::string::npos); }
