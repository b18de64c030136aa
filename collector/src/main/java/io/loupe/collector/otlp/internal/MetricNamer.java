package io.loupe.collector.otlp.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * OTLP metric name + unit + type → Prometheus metric name, following Prometheus's {@code otlptranslator} (the rules are
 * in ../shared/conformance/otlp/MAPPING.md; the facts of its test table are checked by {@code NamingConformanceTest}).
 * Immutable and thread-safe.
 */
public final class MetricNamer {
  // UCUM → Prometheus unit words. "TiBy" → "tibibytes" is what Prometheus produces at the pinned commit (the spec
  // would say "tebibytes"); keeping it means our series names match a Prometheus receiving the same data.
  private static final Map<String, String> UNITS = Map.ofEntries(
      Map.entry("d", "days"), Map.entry("h", "hours"), Map.entry("min", "minutes"), Map.entry("s", "seconds"),
      Map.entry("ms", "milliseconds"), Map.entry("us", "microseconds"), Map.entry("ns", "nanoseconds"),
      Map.entry("By", "bytes"), Map.entry("KiBy", "kibibytes"), Map.entry("MiBy", "mebibytes"),
      Map.entry("GiBy", "gibibytes"), Map.entry("TiBy", "tibibytes"), Map.entry("KBy", "kilobytes"),
      Map.entry("MBy", "megabytes"), Map.entry("GBy", "gigabytes"), Map.entry("TBy", "terabytes"),
      Map.entry("m", "meters"), Map.entry("V", "volts"), Map.entry("A", "amperes"), Map.entry("J", "joules"),
      Map.entry("W", "watts"), Map.entry("g", "grams"), Map.entry("Cel", "celsius"), Map.entry("Hz", "hertz"),
      Map.entry("1", ""), Map.entry("%", "percent"));

  private static final Map<String, String> PER_UNITS = Map.of(
      "s", "second", "m", "minute", "h", "hour", "d", "day", "w", "week", "mo", "month", "y", "year");

  private final String namespace;
  private final boolean utf8Allowed;
  private final boolean withSuffixes;

  public MetricNamer(String namespace, boolean utf8Allowed, boolean withSuffixes) {
    this.namespace = namespace == null ? "" : namespace;
    this.utf8Allowed = utf8Allowed;
    this.withSuffixes = withSuffixes;
  }

  public boolean utf8Allowed() {
    return utf8Allowed;
  }

  public boolean withSuffixes() {
    return withSuffixes;
  }

  /** The Prometheus name of an OTLP metric; the exception message says why there is none. */
  public String build(String name, String unit, MetricType type) throws NamingException {
    unit = unit == null ? "" : unit;
    if (utf8Allowed) {
      return buildUtf8(name, unit, type);
    }
    String result = withSuffixes ? normalize(name, unit, type) : escapeOnly(name);
    if (result.isEmpty()) {
      throw new NamingException("normalization for metric " + quote(name) + " resulted in empty name");
    }
    if (!result.equals(name) && onlyUnderscores(result)) {
      throw new NamingException(
          "normalization for metric " + quote(name) + " resulted in invalid name " + quote(result));
    }
    return result;
  }

  /** The Prometheus unit word of an OTLP (UCUM) unit, as used in UNIT metadata: {@code By/s} → {@code bytes_per_second}. */
  public static String unitName(String unit, boolean utf8Allowed) {
    String[] parts = unitSuffixes(unit == null ? "" : unit);
    String main = parts[0];
    String per = parts[1];
    if (!utf8Allowed) {
      main = cleanUpUnit(main);
      per = cleanUpUnit(per);
    }
    String u;
    if (!main.isEmpty() && !per.isEmpty()) {
      u = main + "_" + per;
    } else if (!main.isEmpty()) {
      u = main;
    } else {
      u = per;
    }
    if (u.startsWith("_")) {
      u = u.substring(1);
    }
    if (u.endsWith("_")) {
      u = u.substring(0, u.length() - 1);
    }
    return u;
  }

  // Escaping without suffixes: runs of characters outside [a-zA-Z0-9:_] become one "_"; underscores already in the
  // name are kept as they are.
  private String escapeOnly(String name) {
    String metric = joinTokens(name, true);
    if (!namespace.isEmpty()) {
      return joinTokens(namespace, true) + "_" + metric;
    }
    if (!metric.isEmpty() && isDigit(metric.charAt(0))) {
      metric = "_" + metric;
    }
    return metric;
  }

  // Escaping with suffixes: the name is split into tokens at every character outside [a-zA-Z0-9:] (so runs of "_"
  // collapse), unit tokens are added unless present, then "total" / "ratio" are moved to the end.
  private String normalize(String name, String unit, MetricType type) {
    List<String> tokens = tokens(name, false);
    String[] suffixes = unitSuffixes(unit);
    String main = cleanUpUnit(suffixes[0]);
    String per = cleanUpUnit(suffixes[1]);
    if (tokens.contains(main)) {
      main = "";
    }
    if (per.equals("per_")) {
      per = "";
    } else {
      per = trimSuffix(per, "_");
      if (tokens.contains(per)) {
        per = "";
      }
    }
    if (!per.isEmpty()) {
      main = trimSuffix(main, "_");
    }
    if (!main.isEmpty()) {
      tokens.add(main);
    }
    if (!per.isEmpty()) {
      tokens.add(per);
    }
    if (type == MetricType.MONOTONIC_COUNTER) {
      tokens.removeIf("total"::equals);
      tokens.add("total");
    }
    // Unit "1" means a ratio only for gauges: some receivers misuse "1" on counters of objects.
    if (unit.equals("1") && type == MetricType.GAUGE) {
      tokens.removeIf("ratio"::equals);
      tokens.add("ratio");
    }
    if (!namespace.isEmpty()) {
      tokens.add(0, joinTokens(namespace, true));
    }
    String result = String.join("_", tokens);
    if (!result.isEmpty() && isDigit(result.charAt(0))) {
      result = "_" + result;
    }
    return result;
  }

  private String buildUtf8(String input, String unit, MetricType type) {
    String name = namespace.isEmpty() ? input : namespace + "_" + input;
    if (!withSuffixes) {
      return name;
    }
    String outer = "";
    if (unit.equals("1") && type == MetricType.GAUGE) {
      name = trimSuffixAndDelimiter(name, "ratio");
      outer = "_ratio";
    }
    if (type == MetricType.MONOTONIC_COUNTER) {
      name = trimSuffixAndDelimiter(name, "total");
      outer = "_total" + outer;
    }
    String[] suffixes = unitSuffixes(unit);
    String main = suffixes[0];
    String per = suffixes[1];
    if (!per.isEmpty()) {
      name = trimSuffixAndDelimiter(name, per);
      outer = "_" + per + outer;
    }
    if (!main.isEmpty() && !name.endsWith(main)) {
      name = name + "_" + main;
    }
    return name + outer;
  }

  private static String trimSuffixAndDelimiter(String name, String suffix) {
    if (name.endsWith(suffix) && name.length() > suffix.length() + 1) {
      return name.substring(0, name.length() - suffix.length() - 1);
    }
    return name;
  }

  /** {main, per}: the unit words before and after '/', unsanitised; per is "per_<word>" or "". */
  static String[] unitSuffixes(String unit) {
    int slash = unit.indexOf('/');
    String mainOtel = (slash < 0 ? unit : unit.substring(0, slash)).strip();
    String main = "";
    if (!mainOtel.isEmpty() && !hasBraces(mainOtel)) {
      main = UNITS.getOrDefault(mainOtel, mainOtel);
    }
    String per = "";
    if (slash >= 0 && slash + 1 < unit.length()) {
      String perOtel = unit.substring(slash + 1).strip();
      if (!perOtel.isEmpty() && !hasBraces(perOtel)) {
        per = PER_UNITS.getOrDefault(perOtel, perOtel);
      }
      if (!per.isEmpty()) {
        per = "per_" + per;
      }
    }
    return new String[] {main, per};
  }

  private static boolean hasBraces(String s) {
    return s.indexOf('{') >= 0 || s.indexOf('}') >= 0;
  }

  // Characters outside [a-zA-Z0-9:] become "_", runs of "_" collapse, one leading "_" goes.
  static String cleanUpUnit(String unit) {
    if (unit.isEmpty()) {
      return unit;
    }
    StringBuilder sb = new StringBuilder(unit.length());
    for (int i = 0; i < unit.length(); ) {
      int cp = unit.codePointAt(i);
      i += Character.charCount(cp);
      boolean valid = cp < 128 && isMetricChar((char) cp, false);
      char c = valid ? (char) cp : '_';
      if (c == '_' && sb.length() > 0 && sb.charAt(sb.length() - 1) == '_') {
        continue;
      }
      sb.append(c);
    }
    if (sb.length() > 0 && sb.charAt(0) == '_') {
      sb.deleteCharAt(0);
    }
    return sb.toString();
  }

  private static String joinTokens(String s, boolean underscoreValid) {
    return String.join("_", tokens(s, underscoreValid));
  }

  /** The runs of valid characters of {@code s}: [a-zA-Z0-9:], plus "_" when {@code underscoreValid}. */
  private static List<String> tokens(String s, boolean underscoreValid) {
    List<String> out = new ArrayList<>(8);
    int start = -1;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean valid = c < 128 && isMetricChar(c, underscoreValid);
      if (valid && start < 0) {
        start = i;
      } else if (!valid && start >= 0) {
        out.add(s.substring(start, i));
        start = -1;
      }
    }
    if (start >= 0) {
      out.add(s.substring(start));
    }
    return out;
  }

  private static boolean isMetricChar(char c, boolean underscoreValid) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':'
        || (underscoreValid && c == '_');
  }

  private static String trimSuffix(String s, String suffix) {
    return s.endsWith(suffix) ? s.substring(0, s.length() - suffix.length()) : s;
  }

  static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  static boolean onlyUnderscores(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) != '_') {
        return false;
      }
    }
    return true;
  }

  /** Go's %q for the strings these messages carry: quotes, with backslash and quote escaped. */
  static String quote(String s) {
    return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }
}
