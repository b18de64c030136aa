package io.loupe.collector.otlp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs every row of Prometheus otlptranslator's naming tables (../shared/conformance/otlp/*.tsv, see its README) and
 * asserts the pass counts do not fall.
 */
class NamingConformanceTest {
  // Floors: raise them when a row starts passing, never lower them.
  private static final int METRIC_FLOOR = 84;
  private static final int LABEL_FLOOR = 74;

  @Test
  void metricNames() throws IOException {
    List<String[]> rows = read("metric-names.tsv");
    assertThat(rows).hasSize(84);
    int passed = 0;
    List<String> failures = new ArrayList<>();
    for (String[] r : rows) {
      // case_name namespace utf8_allowed with_suffixes metric_name unit type expected_name expected_unit_name expected_error
      boolean utf8 = Boolean.parseBoolean(r[2]);
      boolean suffixes = Boolean.parseBoolean(r[3]);
      MetricNamer namer = new MetricNamer(r[1], utf8, suffixes);
      String got;
      String gotError = "";
      try {
        got = namer.build(r[4], r[5], type(r[6]));
      } catch (NamingException e) {
        got = "";
        gotError = e.getMessage();
      }
      boolean ok = got.equals(r[7]) && gotError.equals(r[9]);
      if (suffixes) {
        String unitName = MetricNamer.unitName(r[5], utf8);
        ok &= unitName.equals(r[8]);
        if (!unitName.equals(r[8])) {
          gotError += " unit=" + unitName;
        }
      }
      if (ok) {
        passed++;
      } else {
        failures.add(r[0] + ": got '" + got + "' error '" + gotError + "', want '" + r[7] + "' error '" + r[9] + "'");
      }
    }
    System.out.println("otlp metric names: " + passed + "/" + rows.size() + " passed");
    failures.forEach(f -> System.out.println("  FAIL " + f));
    assertThat(passed).as("failures: %s", failures).isGreaterThanOrEqualTo(METRIC_FLOOR);
  }

  @Test
  void labelNames() throws IOException {
    List<String[]> rows = read("label-names.tsv");
    assertThat(rows).hasSize(74);
    int passed = 0;
    List<String> failures = new ArrayList<>();
    for (String[] r : rows) {
      // case_name label utf8_allowed preserve_multiple_underscores underscore_label_sanitization expected expected_error
      LabelNamer namer =
          new LabelNamer(Boolean.parseBoolean(r[2]), Boolean.parseBoolean(r[3]), Boolean.parseBoolean(r[4]));
      String got;
      String gotError = "";
      try {
        got = namer.build(r[1]);
      } catch (NamingException e) {
        got = "";
        gotError = e.getMessage();
      }
      if (got.equals(r[5]) && gotError.equals(r[6])) {
        passed++;
      } else {
        failures.add(r[0] + ": got '" + got + "' error '" + gotError + "', want '" + r[5] + "' error '" + r[6] + "'");
      }
    }
    System.out.println("otlp label names: " + passed + "/" + rows.size() + " passed");
    failures.forEach(f -> System.out.println("  FAIL " + f));
    assertThat(passed).as("failures: %s", failures).isGreaterThanOrEqualTo(LABEL_FLOOR);
  }

  private static MetricType type(String s) {
    return switch (s) {
      case "gauge" -> MetricType.GAUGE;
      case "counter" -> MetricType.MONOTONIC_COUNTER;
      case "non_monotonic_counter" -> MetricType.NON_MONOTONIC_COUNTER;
      case "histogram" -> MetricType.HISTOGRAM;
      case "exponential_histogram" -> MetricType.EXPONENTIAL_HISTOGRAM;
      case "summary" -> MetricType.SUMMARY;
      case "unknown" -> MetricType.UNKNOWN;
      default -> throw new IllegalArgumentException("type: " + s);
    };
  }

  static List<String[]> read(String file) throws IOException {
    String dir = System.getProperty("loupe.shared.dir");
    assertThat(dir).as("system property loupe.shared.dir (set by surefire)").isNotNull();
    Path path = Path.of(dir, "conformance", "otlp", file);
    List<String> lines = Files.readAllLines(path, StandardCharsets.UTF_8);
    int columns = lines.get(0).split("\t", -1).length;
    List<String[]> rows = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      if (line.isEmpty()) {
        continue;
      }
      String[] f = line.split("\t", -1);
      assertThat(f).as("columns of %s", line).hasSize(columns);
      for (int i = 0; i < f.length; i++) {
        f[i] = unescape(f[i]);
      }
      rows.add(f);
    }
    return rows;
  }

  private static String unescape(String s) {
    if (s.indexOf('\\') < 0) {
      return s;
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length()) {
        char n = s.charAt(++i);
        sb.append(switch (n) {
          case 't' -> '\t';
          case 'n' -> '\n';
          case 'r' -> '\r';
          default -> n;
        });
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }
}
