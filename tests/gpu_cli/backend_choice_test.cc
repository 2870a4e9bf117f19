// `lmmgpu fit --backend`: gpu uses the device or fails (exit 2) naming why; auto falls back to the
// CPU without a device and for small problems; the JSON `backend` field says which ran. Runs
// with and without a device (it reads `lmmgpu --version` to know which to expect), so it is not
// skipped anywhere.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace lmm {
namespace {

struct CliRun {
  int exit_code = -1;
  std::string out, err;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("lmm_gpu_cli_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

// Runs LMMGPU_EXE with arguments already shell-quoted.
CliRun RunCli(const std::string& args) {
  const std::string err_path = TempPath("stderr");
  const std::string command = std::string("'") + LMMGPU_EXE + "' " + args + " 2>'" + err_path + "'";
  CliRun r;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  char buffer[4096];
  size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) r.out.append(buffer, got);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = Slurp(err_path);
  std::filesystem::remove(err_path);
  return r;
}

// What `lmmgpu --version` says about CUDA.
struct CudaFacts {
  bool compiled = false;
  bool device = false;
  std::string no_device_reason;  // "CUDA devices: none (REASON)"
};

const CudaFacts& Facts() {
  static const CudaFacts facts = [] {
    CudaFacts f;
    const CliRun r = RunCli("--version");
    f.compiled = r.out.find("CUDA backend: compiled in") != std::string::npos;
    f.device = r.out.find("CUDA device 0:") != std::string::npos;
    const std::string key = "CUDA devices: none (";
    const size_t at = r.out.find(key);
    if (at != std::string::npos) {
      const size_t end = r.out.find(")\n", at);
      f.no_device_reason = r.out.substr(at + key.size(), end - at - key.size());
    }
    return f;
  }();
  return facts;
}

const std::string kSleepstudy =
    std::string("--data '") + LMM_SHARED_DIR +
    "/data/sleepstudy.csv' --formula 'Reaction ~ Days + (Days | Subject)' --format json";

// 120000 rows (above auto's 1e5-row threshold) of y ~ x + (1 | g), 20000 groups.
const std::string& LargeCsv() {
  static const std::string path = [] {
    const std::string p = TempPath("large.csv");
    std::ofstream out(p);
    out << "y,x,g\n";
    std::mt19937_64 rng(42);
    std::normal_distribution<double> normal(0.0, 1.0);
    std::vector<double> b(20000);
    for (double& v : b) v = normal(rng);
    for (int i = 0; i < 120000; ++i) {
      const int g = i % 20000;
      const double x = normal(rng);
      out << 1.0 + 0.5 * x + b[g] + normal(rng) << "," << x << ",g" << g << "\n";
    }
    return p;
  }();
  return path;
}

std::string BackendOf(const CliRun& r) {
  return nlohmann::json::parse(r.out).at("backend").get<std::string>();
}

TEST(BackendChoice, GpuUsesTheDeviceOrNamesWhyNot) {
  const CliRun r = RunCli("fit " + kSleepstudy + " --backend gpu");
  if (Facts().device) {
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(BackendOf(r), "gpu");
    // The device report: which device, the evaluator's memory, no device pass for 180 rows.
    const nlohmann::json device = nlohmann::json::parse(r.out).at("device");
    ASSERT_TRUE(device.is_object()) << device;
    EXPECT_NE(device.at("name").get<std::string>().find("(device "), std::string::npos);
    EXPECT_GT(device.at("device_bytes").get<int64_t>(), 0);
    EXPECT_TRUE(device.at("one_time_pass").is_null());
    return;
  }
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("--backend gpu: "), std::string::npos) << r.err;
  if (!Facts().compiled) {
    EXPECT_NE(r.err.find("this build has no CUDA backend"), std::string::npos) << r.err;
  } else {
    // The driver's reason, as --version reports it.
    ASSERT_FALSE(Facts().no_device_reason.empty());
    EXPECT_NE(r.err.find("no usable CUDA device (" + Facts().no_device_reason + ")"),
              std::string::npos)
        << r.err;
  }
}

// Nested (two terms) on the device: the multi-term evaluator; the same deviance as the CPU's to
// 1e-8 relative (issue 4's tolerance for fitted estimates).
TEST(BackendChoice, GpuFitsMultiTermModels) {
  if (!Facts().device) GTEST_SKIP() << "the device check comes first; see the test above";
  const std::string model = std::string("fit --data '") + LMM_SHARED_DIR +
                            "/data/pastes.csv' --formula 'strength ~ 1 + (1 | batch/cask)' "
                            "--format json --backend ";
  const CliRun gpu = RunCli(model + "gpu");
  ASSERT_EQ(gpu.exit_code, 0) << gpu.err;
  EXPECT_EQ(BackendOf(gpu), "gpu");
  const CliRun cpu = RunCli(model + "cpu");
  ASSERT_EQ(cpu.exit_code, 0) << cpu.err;
  const double expected = nlohmann::json::parse(cpu.out).at("deviance").get<double>();
  EXPECT_NEAR(nlohmann::json::parse(gpu.out).at("deviance").get<double>(), expected,
              1e-8 * std::abs(expected));
}

TEST(BackendChoice, AutoUsesTheCpuForSmallProblems) {
  const CliRun r = RunCli("fit " + kSleepstudy + " --backend auto");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(BackendOf(r), "cpu");
}

TEST(BackendChoice, AutoUsesTheGpuForLargeProblemsWhenThereIsOne) {
  const CliRun r =
      RunCli("fit --data '" + LargeCsv() + "' --formula 'y ~ x + (1 | g)' --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(BackendOf(r), Facts().device ? "gpu" : "cpu");
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("nobs").get<int64_t>(), 120000);
  // No note either way: the device took the fit, or there was no device to explain.
  EXPECT_TRUE(j.at("backend_note").is_null()) << j.at("backend_note");
}

// The streaming build (--memory-limit): gpu evaluates the clusters on the device or fails naming
// why; auto from 1e5 rows uses the device when there is one; with a device the deviance equals the
// CPU's streamed one to 1e-10 relative (the same per-cluster functions; only the order of the sums
// inside each block of 1,024 clusters differs).
TEST(BackendChoice, StreamedFitsUseTheGpuOrNameWhyNot) {
  const std::string model =
      "fit --data '" + LargeCsv() + "' --formula 'y ~ x + (1 | g)' --format json --memory-limit 256M";
  const CliRun gpu = RunCli(model + " --backend gpu");
  const CliRun autoed = RunCli(model + " --backend auto");
  ASSERT_EQ(autoed.exit_code, 0) << autoed.err;
  EXPECT_EQ(BackendOf(autoed), Facts().device ? "gpu" : "cpu");
  if (!Facts().device) {
    EXPECT_EQ(gpu.exit_code, 2);
    EXPECT_NE(gpu.err.find("--backend gpu: the GPU backend cannot be used: "), std::string::npos)
        << gpu.err;
    if (!Facts().compiled) {
      EXPECT_NE(gpu.err.find("this build has no CUDA backend"), std::string::npos) << gpu.err;
    }
    return;
  }
  ASSERT_EQ(gpu.exit_code, 0) << gpu.err;
  EXPECT_EQ(BackendOf(gpu), "gpu");
  const CliRun cpu = RunCli(model + " --backend cpu");
  ASSERT_EQ(cpu.exit_code, 0) << cpu.err;
  EXPECT_EQ(BackendOf(cpu), "cpu");
  const double expected = nlohmann::json::parse(cpu.out).at("deviance").get<double>();
  EXPECT_NEAR(nlohmann::json::parse(gpu.out).at("deviance").get<double>(), expected,
              1e-10 * std::abs(expected));
}

TEST(BackendChoice, CpuIsAlwaysTheCpu) {
  const CliRun r = RunCli("fit " + kSleepstudy + " --backend cpu");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(BackendOf(r), "cpu");
  EXPECT_TRUE(nlohmann::json::parse(r.out).at("device").is_null());
}

}  // namespace
}  // namespace lmm
