package io.loupe.loadtests.sidebyside;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A {@code query_range} answer (a matrix) in a form that compares across systems: series sorted by their labels,
 * each with its points.
 */
public record QueryResult(List<Series> series) {
  private static final ObjectMapper JSON = new ObjectMapper();

  public QueryResult {
    series = series.stream().sorted(Comparator.comparing(s -> s.labels().toString())).toList();
  }

  /** One series of the matrix: labels sorted by name, timestamps in milliseconds, values. */
  public record Series(Map<String, String> labels, long[] timestamps, double[] values) {
    public Series {
      labels = new TreeMap<>(requireNonNull(labels, "labels"));
      requireNonNull(timestamps, "timestamps");
      requireNonNull(values, "values");
      if (timestamps.length != values.length) {
        throw new IllegalArgumentException("timestamps: " + timestamps.length + ", values: " + values.length
            + " (expected: as many)");
      }
    }
  }

  public boolean isEmpty() {
    return series.isEmpty();
  }

  public int points() {
    return series.stream().mapToInt(s -> s.values().length).sum();
  }

  /**
   * Parses Prometheus's JSON envelope of a range query: {@code {"status":"success","data":{"resultType":"matrix",
   * "result":[{"metric":{...},"values":[[1700000000.123,"1.5"],...]}]}}}.
   */
  public static QueryResult parse(String body) throws IOException {
    requireNonNull(body, "body");
    JsonNode root = JSON.readTree(body);
    if (!"success".equals(root.path("status").asText())) {
      throw new IOException("query failed: " + abbreviate(body));
    }
    JsonNode data = root.path("data");
    if (!"matrix".equals(data.path("resultType").asText())) {
      throw new IOException("resultType: " + data.path("resultType").asText() + " (expected: matrix)");
    }
    List<Series> out = new ArrayList<>();
    for (JsonNode s : data.path("result")) {
      Map<String, String> labels = new TreeMap<>();
      Iterator<Map.Entry<String, JsonNode>> it = s.path("metric").fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        labels.put(e.getKey(), e.getValue().asText());
      }
      JsonNode values = s.path("values");
      long[] ts = new long[values.size()];
      double[] vs = new double[values.size()];
      for (int i = 0; i < values.size(); i++) {
        // Seconds with up to millisecond decimals: round, since 1700000000.123 * 1000 is not exact in binary.
        ts[i] = Math.round(values.get(i).get(0).asDouble() * 1000);
        vs[i] = parseValue(values.get(i).get(1).asText());
      }
      out.add(new Series(labels, ts, vs));
    }
    return new QueryResult(out);
  }

  static double parseValue(String v) {
    return switch (v) {
      case "NaN" -> Double.NaN;
      case "+Inf", "Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      default -> Double.parseDouble(v);
    };
  }

  /**
   * Empty when {@code other} holds the same series (same label sets) with the same timestamps and values within
   * {@code relTolerance} relative (NaN equals NaN); otherwise the first difference, in words.
   */
  public Optional<String> difference(QueryResult other, double relTolerance) {
    requireNonNull(other, "other");
    if (!series.stream().map(Series::labels).toList().equals(other.series.stream().map(Series::labels).toList())) {
      return Optional.of("series: " + series.size() + " vs " + other.series.size() + firstMissing(other));
    }
    for (int i = 0; i < series.size(); i++) {
      Series a = series.get(i);
      Series b = other.series.get(i);
      if (!Arrays.equals(a.timestamps(), b.timestamps())) {
        return Optional.of("timestamps of " + a.labels() + ": " + a.timestamps().length + " points "
            + range(a.timestamps()) + " vs " + b.timestamps().length + " points " + range(b.timestamps()));
      }
    }
    // Same series and timestamps: count the differing values, name the first.
    String first = null;
    int differing = 0;
    for (int i = 0; i < series.size(); i++) {
      Series a = series.get(i);
      Series b = other.series.get(i);
      for (int j = 0; j < a.values().length; j++) {
        if (!close(a.values()[j], b.values()[j], relTolerance)) {
          if (first == null) {
            first = "value of " + a.labels() + " at " + a.timestamps()[j] + ": " + a.values()[j] + " vs "
                + b.values()[j];
          }
          differing++;
        }
      }
    }
    if (first != null) {
      return Optional.of(differing + " of " + points() + " values differ (expected: within " + relTolerance
          + " relative); first: " + first);
    }
    return Optional.empty();
  }

  static boolean close(double a, double b, double rel) {
    if (Double.isNaN(a) || Double.isNaN(b)) {
      return Double.isNaN(a) && Double.isNaN(b);
    }
    if (a == b) {
      return true; // also equal infinities
    }
    return Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b));
  }

  private String firstMissing(QueryResult other) {
    for (Series s : series) {
      if (other.series.stream().noneMatch(o -> o.labels().equals(s.labels()))) {
        return " (first only on the left: " + s.labels() + ")";
      }
    }
    for (Series s : other.series) {
      if (series.stream().noneMatch(o -> o.labels().equals(s.labels()))) {
        return " (first only on the right: " + s.labels() + ")";
      }
    }
    return "";
  }

  private static String range(long[] ts) {
    return ts.length == 0 ? "[]" : "[" + ts[0] + ".." + ts[ts.length - 1] + "]";
  }

  private static String abbreviate(String s) {
    return s.length() <= 300 ? s : s.substring(0, 300) + "...";
  }
}
