package io.loupe.query.promql;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Runs Prometheus's own PromQL test scripts (../shared/conformance/promqltest, v3.14.0) and keeps a floor under the
 * number of evals that pass, so conformance never falls. Prints passes per file and every failure's reason.
 */
class PromqlConformanceTest {
  /** Raise as coverage grows; never lower. */
  private static final int FLOOR = 1326;
  /** Evals needing neither native histograms nor experimental features (DSL.md "core_float"); all of them pass. */
  private static final int CORE_FLOOR = 835;

  @Test
  void promqltestScripts() throws IOException {
    Path dir = Path.of(System.getProperty("loupe.shared.dir", "../../shared"), "conformance", "promqltest");
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.toString().endsWith(".test")).sorted().toList();
    }
    assertThat(files).isNotEmpty();
    int total = 0;
    int passed = 0;
    int coreTotal = 0;
    int corePassed = 0;
    StringBuilder report = new StringBuilder();
    boolean verbose = Boolean.getBoolean("loupe.promqltest.verbose");
    for (Path f : files) {
      List<PromqlTestScript.EvalResult> results =
          new PromqlTestScript().run(f.getFileName().toString(), Files.readString(f));
      long ok = results.stream().filter(PromqlTestScript.EvalResult::passed).count();
      long core = results.stream().filter(PromqlTestScript.EvalResult::core).count();
      long coreOk = results.stream().filter(r -> r.core() && r.passed()).count();
      total += results.size();
      passed += (int) ok;
      coreTotal += (int) core;
      corePassed += (int) coreOk;
      report.append(String.format("%-28s %4d / %4d   core %4d / %4d%n", f.getFileName(), ok, results.size(),
          coreOk, core));
      if (verbose) {
        for (PromqlTestScript.EvalResult r : results) {
          if (!r.passed()) {
            report.append(r.core() ? "  FAIL(core) " : "  FAIL ").append(f.getFileName()).append(':').append(r.line()).append(' ')
                .append(r.query()).append("\n       ").append(r.error()).append('\n');
          }
        }
      }
    }
    report.append(String.format("%-28s %4d / %4d   core %4d / %4d%n", "TOTAL", passed, total, corePassed,
        coreTotal));
    System.out.print(report);
    assertThat(passed).as("promqltest evals passing").isGreaterThanOrEqualTo(FLOOR);
    assertThat(corePassed).as("core (float, non-experimental) evals passing").isGreaterThanOrEqualTo(CORE_FLOOR);
  }
}
