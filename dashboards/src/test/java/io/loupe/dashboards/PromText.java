package io.loupe.dashboards;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the Prometheus text exposition format (version 0.0.4) as served at a node's {@code /metrics}: enough of it
 * to turn one scrape into remote-write series, as Prometheus scraping Loupe would. Comments and timestamps are ignored.
 */
final class PromText {
  record Line(Map<String, String> labels, double value) {}

  private PromText() {}

  static List<Line> parse(String text) {
    List<Line> out = new ArrayList<>();
    for (String raw : text.split("\n")) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      Map<String, String> labels = new LinkedHashMap<>();
      int i = 0;
      while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
        i++;
      }
      labels.put("__name__", line.substring(0, i));
      if (i < line.length() && line.charAt(i) == '{') {
        i++;
        while (line.charAt(i) != '}') {
          int eq = line.indexOf('=', i);
          String name = line.substring(i, eq).strip();
          int j = eq + 2; // past ="
          StringBuilder v = new StringBuilder();
          while (line.charAt(j) != '"') {
            char c = line.charAt(j);
            if (c == '\\') {
              char n = line.charAt(++j);
              v.append(n == 'n' ? '\n' : n);
            } else {
              v.append(c);
            }
            j++;
          }
          labels.put(name, v.toString());
          i = j + 1;
          if (line.charAt(i) == ',') {
            i++;
          }
        }
        i++;
      }
      String[] rest = line.substring(i).strip().split("\\s+");
      out.add(new Line(labels, value(rest[0])));
    }
    return out;
  }

  private static double value(String s) {
    return switch (s) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      default -> Double.parseDouble(s);
    };
  }
}
