package io.loupe.query.promql;

import io.loupe.model.Labels;
import io.loupe.model.Matcher;
import io.loupe.model.Sample;
import io.loupe.model.Tenant;
import io.loupe.query.promql.parser.Expr;
import io.loupe.query.promql.parser.Parser;
import io.loupe.query.promql.parser.Printer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Runs one Prometheus promqltest script (the DSL of {@code ../shared/conformance/promqltest/DSL.md}) against the
 * engine: {@code load}, {@code clear}, {@code eval instant|range}, {@code expect ...}, and the harness's extra checks
 * (every instant eval re-run with {@code @} pinned at five times, and as a range query whose middle step must agree).
 */
final class PromqlTestScript {
  /**
   * The outcome of one eval command. {@code core}: needs neither native histograms nor experimental features (the
   * "core_float" class of DSL.md section 6: no {@code {{} in the block, no metric with histogram samples referenced,
   * not an opt-in file, no experimental function or modifier).
   */
  record EvalResult(int line, String query, boolean passed, String error, boolean core) {}

  private static final java.util.Set<String> EXPERIMENTAL_FILES = java.util.Set.of("extended_vectors.test",
      "fill-modifier.test", "duration_expression.test", "start_timestamps.test", "type_and_unit.test", "info.test",
      "limit.test");
  private static final Pattern EXPERIMENTAL_USE = Pattern.compile("\\b(limitk|limit_ratio|sort_by_label|sort_by_label_desc"
      + "|ts_of_[a-z_]+|mad_over_time|double_exponential_smoothing|histogram_quantiles|info|min_of|max_of"
      + "|start_timestamp|fill|fill_left|fill_right)\\s*\\(|\\b(start|end|range|step)\\(\\)|\\b(anchored|smoothed)\\b");
  private final java.util.Set<String> histogramNames = new java.util.HashSet<>();
  private boolean experimentalFile;

  private static final Pattern INSTANT = Pattern.compile(
      "^eval(?:_(fail|warn|ordered|info))?\\s+instant\\s+(?:at\\s+(.+?))?\\s+(.+)$");
  private static final Pattern RANGE = Pattern.compile(
      "^eval(?:_(fail|warn|info))?\\s+range\\s+from\\s+(.+)\\s+to\\s+(.+)\\s+step\\s+(.+?)\\s+(.+)$");
  private static final Pattern EXPECT = Pattern.compile(
      "^expect\\s+(ordered|fail|warn|no_warn|info|no_info)(?:\\s+(regex|msg):(.+))?$");
  private static final Pattern EXPECT_RANGE = Pattern.compile(
      "^expect\\s+range\\s+vector\\s+from\\s+(.+)\\s+to\\s+(.+)\\s+step\\s+(.+)$");
  private static final Pattern EXPECT_STRING = Pattern.compile("^expect\\s+string\\s+(\".*\"|`.*`)$");
  private static final Pattern CONTEXT_FUNCS = Pattern.compile("(start|end|range|step)\\(\\)");
  private static final java.util.Set<String> AT_UNSAFE = java.util.Set.of("days_in_month", "day_of_month",
      "day_of_week", "day_of_year", "end", "hour", "minute", "month", "year", "predict_linear", "range", "start",
      "step", "time", "timestamp");

  private final TestStorage storage = new TestStorage();
  // the limits of Prometheus's own harness: 10000 samples, experimental features on
  private final Engine engine = new Engine(storage, EngineOptions.defaults().withMaxSamples(10_000)
      .withExperimentalFunctions(true));
  private final List<EvalResult> results = new ArrayList<>();

  List<EvalResult> run(String fileName, String text) {
    experimentalFile = EXPERIMENTAL_FILES.contains(fileName);
    String[] raw = text.split("\n", -1);
    String[] lines = new String[raw.length];
    for (int i = 0; i < raw.length; i++) {
      String t = raw[i].trim();
      lines[i] = t.startsWith("#") ? "" : t;
    }
    int i = 0;
    while (i < lines.length) {
      if (lines[i].isEmpty()) {
        i++;
        continue;
      }
      String cmd = lines[i];
      int start = i;
      i++;
      if (cmd.split("\\s+")[0].equalsIgnoreCase("clear")) {
        storage.clear(); // a one-line command: the next line may already be a load
        histogramNames.clear();
        continue;
      }
      List<String> body = new ArrayList<>();
      while (i < lines.length && !lines[i].isEmpty()) {
        body.add(lines[i]);
        i++;
      }
      String kw = cmd.split("\\s+")[0].toLowerCase();
      if (kw.equals("clear")) {
        storage.clear();
        histogramNames.clear();
      } else if (kw.startsWith("load")) {
        load(cmd, body);
      } else if (kw.startsWith("eval")) {
        results.add(eval(start + 1, cmd, body));
      } else {
        throw new IllegalArgumentException("line " + (start + 1) + ": unknown command " + cmd);
      }
    }
    return results;
  }

  // ---- load

  private void load(String cmd, List<String> body) {
    String[] parts = cmd.split("\\s+");
    long step = dur(parts[1]);
    for (String line : body) {
      if (line.contains("@st")) {
        continue; // start timestamps: not modelled
      }
      if (line.contains("{{") || cmd.startsWith("load_with_nhcb")) {
        int e = 0;
        while (e < line.length() && (Character.isLetterOrDigit(line.charAt(e)) || line.charAt(e) == '_'
            || line.charAt(e) == ':')) {
          e++;
        }
        String name = line.substring(0, e);
        if (cmd.startsWith("load_with_nhcb")) {
          name = name.replaceAll("_(bucket|count|sum)$", "");
        }
        histogramNames.add(name);
      }
      SeriesLine sl;
      try {
        sl = parseSeriesLine(line, true);
      } catch (RuntimeException e) {
        continue; // values this runner cannot represent
      }
      for (int k = 0; k < sl.values.size(); k++) {
        Double v = sl.values.get(k);
        if (v != null) {
          storage.append(sl.labels, k * step, v);
        }
      }
    }
  }

  record SeriesLine(Labels labels, List<Double> values) {}

  /** Splits on whitespace, keeping {{...}} histogram items whole. */
  private static List<String> splitItems(String s) {
    List<String> out = new ArrayList<>();
    int i = 0;
    while (i < s.length()) {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
      if (i >= s.length()) {
        break;
      }
      int j = i;
      if (s.startsWith("{{", i)) {
        int close = s.indexOf("}}", i);
        j = close < 0 ? s.length() : close + 2;
      }
      while (j < s.length() && !Character.isWhitespace(s.charAt(j))) {
        j++;
      }
      out.add(s.substring(i, j));
      i = j;
    }
    return out;
  }

  /** A series line; with {@code lenientHistograms}, native-histogram items become gaps (the engine is float-only). */
  static SeriesLine parseSeriesLine(String line, boolean lenientHistograms) {
    int p = 0;
    while (p < line.length() && !Character.isWhitespace(line.charAt(p)) && line.charAt(p) != '{') {
      p++;
    }
    if (p < line.length() && line.charAt(p) == '{') {
      boolean inQuote = false;
      char q = 0;
      while (p < line.length()) {
        char ch = line.charAt(p);
        if (inQuote) {
          if (ch == '\\') {
            p++;
          } else if (ch == q) {
            inQuote = false;
          }
        } else if (ch == '"' || ch == '\'' || ch == '`') {
          inQuote = true;
          q = ch;
        } else if (ch == '}') {
          p++;
          break;
        }
        p++;
      }
    }
    String metric = line.substring(0, p).trim();
    String rest = line.substring(p).trim();
    Labels labels = parseLabels(metric);
    List<Double> values = new ArrayList<>();
    if (!rest.isEmpty()) {
      for (String item : splitItems(rest)) {
        if (item.startsWith("{{")) {
          if (!lenientHistograms) {
            throw new IllegalArgumentException("native histogram");
          }
          int x = item.lastIndexOf("}}x");
          int n = x > 0 ? Integer.parseInt(item.substring(x + 3)) + 1 : 1;
          for (int k = 0; k < n; k++) {
            values.add(null);
          }
          continue;
        }
        expand(item, values);
      }
    }
    return new SeriesLine(labels, values);
  }

  static Labels parseLabels(String metric) {
    if (metric.equals("{}")) {
      return Labels.EMPTY;
    }
    Expr e = Parser.parse(metric);
    if (!(e instanceof Expr.VectorSelector vs)) {
      throw new IllegalArgumentException("not a series: " + metric);
    }
    Labels.Builder b = Labels.builder();
    for (Matcher m : vs.matchers()) {
      b.set(m.name(), m.value());
    }
    return b.build();
  }

  private static void expand(String item, List<Double> out) {
    if (item.contains("{{")) {
      throw new IllegalArgumentException("native histogram");
    }
    if (item.equals("_")) {
      out.add(null);
      return;
    }
    if (item.equals("stale")) {
      out.add(Sample.STALE_NAN);
      return;
    }
    int x = item.lastIndexOf('x');
    if (x > 0 && x + 1 < item.length() && item.substring(x + 1).chars()
        .allMatch(Character::isDigit)) {
      String head = item.substring(0, x);
      int n = Integer.parseInt(item.substring(x + 1));
      if (head.equals("_")) {
        for (int k = 0; k < n; k++) {
          out.add(null);
        }
        return;
      }
      int split = -1;
      for (int k = 1; k < head.length(); k++) {
        char ch = head.charAt(k);
        if ((ch == '+' || ch == '-') && head.charAt(k - 1) != 'e' && head.charAt(k - 1) != 'E') {
          split = k;
          break;
        }
      }
      if (split < 0) {
        double a = num(head);
        for (int k = 0; k <= n; k++) {
          out.add(a);
        }
        return;
      }
      double a = num(head.substring(0, split));
      double b = num(head.substring(split + 1));
      if (head.charAt(split) == '-') {
        b = -b;
      }
      // Prometheus accumulates by repeated addition
      double v = a;
      for (int k = 0; k <= n; k++) {
        out.add(v);
        v += b;
      }
      return;
    }
    out.add(num(item));
  }

  static double num(String s) {
    String l = s.toLowerCase();
    switch (l) {
      case "inf", "+inf":
        return Double.POSITIVE_INFINITY;
      case "-inf":
        return Double.NEGATIVE_INFINITY;
      case "nan", "+nan", "-nan":
        return Double.NaN;
      default:
        break;
    }
    if (l.startsWith("0x") || l.startsWith("-0x")) {
      boolean neg = l.startsWith("-");
      long v = Long.parseLong(l.substring(neg ? 3 : 2), 16);
      return neg ? -v : v;
    }
    return Double.parseDouble(s);
  }

  static long dur(String s) {
    s = s.trim();
    if (s.equals("0")) {
      return 0;
    }
    boolean neg = s.startsWith("-");
    long v = Parser.parseDurationText(neg ? s.substring(1) : s);
    return neg ? -v : v;
  }

  // ---- eval

  /** One {@code expect warn|info|no_warn|no_info} line: a kind and an optional exact or regex message. */
  private record AnnotationExpect(String kind, String msg, Pattern regex) {
    boolean matches(String s) {
      if (msg != null) {
        return msg.equals(s);
      }
      return regex == null || regex.matcher(s).find();
    }
  }

  private static final class Expect {
    final List<AnnotationExpect> annotations = new ArrayList<>();
    boolean fail;
    String failMsg;
    Pattern failRegex;
    boolean ordered;
    boolean scalar;
    double scalarValue;
    String string;
    boolean rangeVector;
    long rvStart;
    long rvEnd;
    long rvStep;
    final List<Labels> order = new ArrayList<>();
    final Map<Labels, List<Double>> series = new HashMap<>();
  }

  private boolean isCore(String cmd, List<String> body, String query) {
    if (experimentalFile || EXPERIMENTAL_USE.matcher(query).find()) {
      return false;
    }
    if (cmd.contains("{{") || body.stream().anyMatch(b -> b.contains("{{"))) {
      return false;
    }
    if (!histogramNames.isEmpty() && (query.contains("{") && !query.matches("(?s).*[A-Za-z0-9_:]\\{.*")
        || query.contains("__name__") || query.matches("(?s)^\\{.*"))) {
      return false;
    }
    for (String n : histogramNames) {
      if (!n.isEmpty() && Pattern.compile("(?<![A-Za-z0-9_:])" + Pattern.quote(n) + "(?![A-Za-z0-9_:])")
          .matcher(query).find()) {
        return false;
      }
    }
    return true;
  }

  private EvalResult eval(int line, String cmd, List<String> body) {
    EvalResult r = evalInner(line, cmd, body);
    String q = r.query();
    return new EvalResult(r.line(), q, r.passed(), r.error(), isCore(cmd, body, cmd));
  }

  private EvalResult evalInner(int line, String cmd, List<String> body) {
    java.util.regex.Matcher im = INSTANT.matcher(cmd);
    java.util.regex.Matcher rm = RANGE.matcher(cmd);
    Expect ex = new Expect();
    String query;
    boolean range = false;
    long t = 0;
    long start = 0;
    long end = 0;
    long step = 0;
    try {
      String mod;
      if (rm.matches()) {
        range = true;
        mod = rm.group(1);
        start = dur(rm.group(2));
        end = dur(rm.group(3));
        step = dur(rm.group(4));
        query = rm.group(5);
      } else if (im.matches()) {
        mod = im.group(1);
        t = im.group(2) == null ? 0 : dur(im.group(2));
        query = im.group(3);
      } else {
        return new EvalResult(line, cmd, false, "cannot parse eval command", false);
      }
      if ("fail".equals(mod)) {
        ex.fail = true;
      } else if ("ordered".equals(mod)) {
        ex.ordered = true;
      }
      for (String b : body) {
        java.util.regex.Matcher em = EXPECT.matcher(b);
        java.util.regex.Matcher erm = EXPECT_RANGE.matcher(b);
        java.util.regex.Matcher esm = EXPECT_STRING.matcher(b);
        if (em.matches()) {
          switch (em.group(1)) {
            case "fail" -> {
              ex.fail = true;
              if ("msg".equals(em.group(2))) {
                ex.failMsg = em.group(3).trim();
              } else if ("regex".equals(em.group(2))) {
                ex.failRegex = Pattern.compile(em.group(3).trim());
              }
            }
            case "ordered" -> ex.ordered = true;
            default -> ex.annotations.add(new AnnotationExpect(em.group(1),
                "msg".equals(em.group(2)) ? em.group(3).trim() : null,
                "regex".equals(em.group(2)) ? Pattern.compile(em.group(3).trim()) : null));
          }
        } else if (b.startsWith("expected_fail_message")) {
          ex.failMsg = b.substring("expected_fail_message".length()).trim();
        } else if (b.startsWith("expected_fail_regexp")) {
          ex.failRegex = Pattern.compile(b.substring("expected_fail_regexp".length()).trim());
        } else if (erm.matches()) {
          ex.rangeVector = true;
          ex.rvStart = dur(erm.group(1));
          ex.rvEnd = dur(erm.group(2));
          ex.rvStep = dur(erm.group(3));
        } else if (esm.matches()) {
          Expr s = Parser.parse(esm.group(1));
          ex.string = ((Expr.StringLiteral) s).value();
        } else if (isNumber(b)) {
          ex.scalar = true;
          ex.scalarValue = num(b);
          break;
        } else {
          SeriesLine sl = parseSeriesLine(b, false);
          ex.order.add(sl.labels);
          ex.series.put(sl.labels, sl.values);
        }
      }
    } catch (RuntimeException e) {
      return new EvalResult(line, cmd, false, "cannot parse test: " + e, false);
    }
    try {
      if (range) {
        checkRange(query, start, end, step, ex);
      } else {
        checkInstant(query, t, ex);
      }
      return new EvalResult(line, query, true, null, false);
    } catch (AssertionError | RuntimeException e) {
      return new EvalResult(line, query, false, String.valueOf(e.getMessage()), false);
    }
  }

  private static boolean isNumber(String s) {
    try {
      num(s);
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private Value instant(String q, long t, Expect ex) {
    QueryResult r = engine.instant(Tenant.ANONYMOUS, q, t, Duration.ofSeconds(100), () -> false);
    checkAnnotations(r, ex);
    return r.value();
  }

  /** DSL.md: annotations are checked only when the eval has an expect warn/info/no_warn/no_info line. */
  private static void checkAnnotations(QueryResult r, Expect ex) {
    checkKind(r.warnings(), ex, "warn");
    checkKind(r.infos(), ex, "info");
  }

  private static void checkKind(List<String> got, Expect ex, String kind) {
    List<AnnotationExpect> want = ex.annotations.stream().filter(a -> a.kind().equals(kind)).toList();
    boolean none = ex.annotations.stream().anyMatch(a -> a.kind().equals("no_" + kind));
    if (none && !got.isEmpty()) {
      throw new AssertionError("expected no " + kind + " annotations but got " + got);
    }
    for (AnnotationExpect a : want) {
      if (got.stream().noneMatch(a::matches)) {
        throw new AssertionError("expected " + kind + " annotation " + (a.msg() != null ? a.msg() : a.regex())
            + " but got " + got);
      }
    }
    if (!want.isEmpty()) {
      for (String g : got) {
        if (want.stream().noneMatch(a -> a.matches(g))) {
          throw new AssertionError("unexpected " + kind + " annotation " + g);
        }
      }
    }
  }

  private void checkFailure(RuntimeException e, Expect ex) {
    String msg = e.getMessage();
    if (ex.failMsg != null && !ex.failMsg.equals(msg)) {
      throw new AssertionError("expected error \"" + ex.failMsg + "\" but got \"" + msg + "\"");
    }
    if (ex.failRegex != null && !ex.failRegex.matcher(msg).find()) {
      throw new AssertionError("expected error matching " + ex.failRegex + " but got \"" + msg + "\"");
    }
  }

  private void checkInstant(String query, long t, Expect ex) {
    List<String> queries = new ArrayList<>();
    List<Long> times = new ArrayList<>();
    queries.add(query);
    times.add(t);
    String pinned = null;
    try {
      pinned = atRewrite(query, t);
    } catch (RuntimeException e) {
      // the original query will report the parse error
    }
    if (pinned != null) {
      long[] extra = t == 0 ? new long[] {-1000, 0, 1000} : new long[] {-10 * t, 0, t / 5, t, 10 * t};
      for (long et : extra) {
        queries.add(pinned);
        times.add(et);
      }
    }
    for (int k = 0; k < queries.size(); k++) {
      String q = queries.get(k);
      long et = times.get(k);
      Value v;
      try {
        v = instant(q, et, ex);
      } catch (QueryException e) {
        if (ex.fail) {
          checkFailure(e, ex);
          continue;
        }
        throw new AssertionError("error evaluating " + q + " at " + et + ": " + e.getMessage());
      }
      if (ex.fail) {
        throw new AssertionError("expected error evaluating " + q + " but got none");
      }
      try {
        compare(v, ex, et);
      } catch (AssertionError e) {
        throw new AssertionError("[" + q + " @" + et + "] " + e.getMessage());
      }
      if (ex.rangeVector || ex.string != null || CONTEXT_FUNCS.matcher(q).find()) {
        continue;
      }
      Value rv;
      try {
        rv = engine.rangeQuery(Tenant.ANONYMOUS, q, et - 60_000, et + 60_000, 60_000, Duration.ofSeconds(100),
            () -> false);
      } catch (QueryException e) {
        throw new AssertionError("range mode of " + q + ": " + e.getMessage());
      }
      if (ex.ordered) {
        continue;
      }
      Matrix m = (Matrix) rv;
      assertSorted(m);
      List<Vector.Sample> vec = new ArrayList<>();
      for (Matrix.Series s : m.series()) {
        for (int i = 0; i < s.length(); i++) {
          if (s.timestamps()[i] == et) {
            vec.add(new Vector.Sample(s.labels(), et, s.values()[i]));
            break;
          }
        }
      }
      try {
        if (v instanceof Scalar) {
          if (vec.isEmpty()) {
            throw new AssertionError("range mode returned no point for scalar");
          }
          compare(new Scalar(et, vec.get(0).value()), ex, et);
        } else {
          compare(new Vector(vec), ex, et);
        }
      } catch (AssertionError e) {
        throw new AssertionError("range mode [" + q + " @" + et + "] " + e.getMessage());
      }
    }
  }

  private void checkRange(String query, long start, long end, long step, Expect ex) {
    Value v;
    try {
      QueryResult r = engine.range(Tenant.ANONYMOUS, query, start, end, step, Duration.ofSeconds(100), () -> false);
      if (!ex.fail) {
        checkAnnotations(r, ex);
      }
      v = r.value();
    } catch (QueryException e) {
      if (ex.fail) {
        checkFailure(e, ex);
        return;
      }
      throw new AssertionError("error evaluating range query: " + e.getMessage());
    }
    if (ex.fail) {
      throw new AssertionError("expected error but got none");
    }
    compareMatrix((Matrix) v, ex, start, step);
  }

  private static void assertSorted(Matrix m) {
    for (int i = 1; i < m.series().size(); i++) {
      if (m.series().get(i - 1).labels().compareTo(m.series().get(i).labels()) > 0) {
        throw new AssertionError("matrix not sorted by labels");
      }
    }
  }

  private void compare(Value v, Expect ex, long t) {
    if (v instanceof Matrix m) {
      if (ex.ordered) {
        throw new AssertionError("expected ordered result, but query returned a matrix");
      }
      if (ex.scalar) {
        throw new AssertionError("expected scalar but got matrix");
      }
      compareMatrix(m, ex, ex.rvStart, ex.rvStep);
    } else if (v instanceof Vector vec) {
      if (ex.scalar) {
        throw new AssertionError("expected scalar result, but got vector");
      }
      java.util.Set<Labels> seen = new java.util.HashSet<>();
      for (int pos = 0; pos < vec.samples().size(); pos++) {
        Vector.Sample s = vec.samples().get(pos);
        List<Double> exp = ex.series.get(s.labels());
        if (exp == null) {
          throw new AssertionError("unexpected metric " + s.labels() + " in result, has value " + s.value());
        }
        if (ex.ordered && ex.order.indexOf(s.labels()) != pos) {
          throw new AssertionError("expected metric " + s.labels() + " at position " + (ex.order.indexOf(s.labels())
              + 1) + " but was at " + (pos + 1));
        }
        Double e0 = exp.isEmpty() ? null : exp.get(0);
        if (e0 == null || !almostEqual(e0, s.value())) {
          throw new AssertionError("expected " + e0 + " for " + s.labels() + " but got " + s.value());
        }
        seen.add(s.labels());
      }
      for (Labels l : ex.series.keySet()) {
        if (!seen.contains(l)) {
          throw new AssertionError("expected metric " + l + " with " + ex.series.get(l) + " not found");
        }
      }
    } else if (v instanceof Scalar s) {
      if (!ex.scalar) {
        throw new AssertionError("expected vector or matrix result, but got scalar " + s.value());
      }
      if (!almostEqual(ex.scalarValue, s.value())) {
        throw new AssertionError("expected scalar " + ex.scalarValue + " but got " + s.value());
      }
    } else if (v instanceof StringValue s) {
      if (ex.string == null || !ex.string.equals(s.value())) {
        throw new AssertionError("expected string \"" + ex.string + "\" but got \"" + s.value() + "\"");
      }
    }
  }

  private void compareMatrix(Matrix m, Expect ex, long start, long step) {
    if (ex.scalar) {
      throw new AssertionError("expected scalar result, but got matrix");
    }
    assertSorted(m);
    java.util.Set<Labels> seen = new java.util.HashSet<>();
    for (Matrix.Series s : m.series()) {
      List<Double> exp = ex.series.get(s.labels());
      if (exp == null) {
        throw new AssertionError("unexpected metric " + s.labels() + " in result");
      }
      seen.add(s.labels());
      List<long[]> expT = new ArrayList<>();
      List<Double> expV = new ArrayList<>();
      for (int i = 0; i < exp.size(); i++) {
        if (exp.get(i) != null) {
          expT.add(new long[] {start + i * step});
          expV.add(exp.get(i));
        }
      }
      if (expT.size() != s.length()) {
        throw new AssertionError("expected " + expT.size() + " points for " + s.labels() + " but got " + s.length()
            + ": " + describe(s));
      }
      for (int i = 0; i < s.length(); i++) {
        if (expT.get(i)[0] != s.timestamps()[i]) {
          throw new AssertionError("expected timestamp " + expT.get(i)[0] + " for " + s.labels() + " but got "
              + s.timestamps()[i] + ": " + describe(s));
        }
        if (!almostEqual(expV.get(i), s.values()[i])) {
          throw new AssertionError("expected " + expV.get(i) + " at " + s.timestamps()[i] + " for " + s.labels()
              + " but got " + s.values()[i]);
        }
      }
    }
    for (Labels l : ex.series.keySet()) {
      if (!seen.contains(l)) {
        throw new AssertionError("expected metric " + l + " not found");
      }
    }
  }

  private static String describe(Matrix.Series s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      sb.append(s.values()[i]).append('@').append(s.timestamps()[i]).append(' ');
    }
    return sb.toString();
  }

  /** util/almost.Equal with epsilon 1e-6. */
  static boolean almostEqual(double a, double b) {
    if (Sample.isStaleMarker(a) || Sample.isStaleMarker(b)) {
      return Sample.isStaleMarker(a) && Sample.isStaleMarker(b);
    }
    if (Double.isNaN(a) && Double.isNaN(b)) {
      return true;
    }
    if (a == b) {
      return true;
    }
    double eps = 1e-6;
    double absSum = Math.abs(a) + Math.abs(b);
    double diff = Math.abs(a - b);
    if (a == 0 || b == 0 || absSum < Double.MIN_NORMAL) {
      return diff < eps * Double.MIN_NORMAL;
    }
    return diff / Math.min(absSum, Double.MAX_VALUE) < eps;
  }

  // ---- the @ rewrite of the harness

  /** The query with {@code @ t} on every selector and subquery not already pinned, or null when unsafe. */
  static String atRewrite(String query, long t) {
    Expr e = Parser.parse(query);
    if (containsUnsafe(e)) {
      return null;
    }
    return Printer.print(pin(e, t));
  }

  private static boolean containsUnsafe(Expr e) {
    if (e instanceof Expr.Call c) {
      if (AT_UNSAFE.contains(c.func().name())) {
        return true;
      }
      for (Expr a : c.args()) {
        if (containsUnsafe(a)) {
          return true;
        }
      }
      return false;
    }
    return children(e).stream().anyMatch(PromqlTestScript::containsUnsafe);
  }

  private static List<Expr> children(Expr e) {
    if (e instanceof Expr.Paren p) {
      return List.of(p.expr());
    } else if (e instanceof Expr.Unary u) {
      return List.of(u.expr());
    } else if (e instanceof Expr.Binary b) {
      return List.of(b.lhs(), b.rhs());
    } else if (e instanceof Expr.Aggregate a) {
      return a.param() == null ? List.of(a.expr()) : List.of(a.param(), a.expr());
    } else if (e instanceof Expr.Call c) {
      return c.args();
    } else if (e instanceof Expr.Subquery s) {
      return List.of(s.expr());
    }
    return List.of();
  }

  private static Expr pin(Expr e, long t) {
    if (e instanceof Expr.VectorSelector vs) {
      return vs.at() == Expr.At.NONE ? vs.withAt(Expr.At.TIME, t) : vs;
    } else if (e instanceof Expr.MatrixSelector m) {
      Expr.VectorSelector vs = m.selector();
      return vs.at() == Expr.At.NONE ? new Expr.MatrixSelector(vs.withAt(Expr.At.TIME, t), m.rangeMs()) : m;
    } else if (e instanceof Expr.Subquery s) {
      // selectors inside a pinned subquery are left alone, as upstream does
      return s.at() == Expr.At.NONE ? s.withAt(Expr.At.TIME, t) : s;
    } else if (e instanceof Expr.Paren p) {
      return new Expr.Paren(pin(p.expr(), t));
    } else if (e instanceof Expr.Unary u) {
      return new Expr.Unary(u.op(), pin(u.expr(), t));
    } else if (e instanceof Expr.Binary b) {
      return new Expr.Binary(b.op(), pin(b.lhs(), t), pin(b.rhs(), t), b.matching(), b.returnBool());
    } else if (e instanceof Expr.Aggregate a) {
      return new Expr.Aggregate(a.op(), pin(a.expr(), t), a.param() == null ? null : pin(a.param(), t), a.grouping(),
          a.without());
    } else if (e instanceof Expr.Call c) {
      List<Expr> args = new ArrayList<>();
      for (Expr x : c.args()) {
        args.add(pin(x, t));
      }
      return new Expr.Call(c.func(), args);
    }
    return e;
  }
}
