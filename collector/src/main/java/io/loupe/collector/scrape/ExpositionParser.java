package io.loupe.collector.scrape;

import static java.util.Objects.requireNonNull;

import io.loupe.model.Appender;
import io.loupe.model.Exemplar;
import io.loupe.model.InvalidInputException;
import io.loupe.model.Labels;
import io.loupe.model.MetricMetadata;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Parses the Prometheus text exposition format 0.0.4 and OpenMetrics 1.0 text into an {@link Appender}, adding the
 * target's labels with Prometheus's {@code honor_labels: false} semantics: a scraped label that a target label also
 * names is kept as {@code exported_<name>}.
 *
 * <p>A hand-written scanner over the raw bytes (no regex, no per-line String): it runs on every scrape of every
 * target. Not thread-safe; one per scrape loop (it reuses its buffers).
 */
public final class ExpositionParser {
  /** The two text formats, told apart by the response's {@code Content-Type}. */
  public enum Format {
    PROMETHEUS_TEXT, OPENMETRICS;

    /** {@code application/openmetrics-text...} is OpenMetrics; anything else (or null) is the Prometheus text format. */
    public static Format fromContentType(String contentType) {
      if (contentType != null
          && contentType.trim().toLowerCase(Locale.ROOT).startsWith("application/openmetrics-text")) {
        return OPENMETRICS;
      }
      return PROMETHEUS_TEXT;
    }
  }

  private final Labels targetLabels;
  private final Labels.Builder builder = Labels.builder();
  private final StringBuilder sb = new StringBuilder();
  private String[] names = new String[16];
  private String[] values = new String[16];
  private int labelCount;

  // Per-parse state.
  private byte[] b;
  private int lineNo;
  private Format format;
  private String typeFamily;
  private MetricMetadata.Type typeOfFamily;
  private final Map<String, Meta> metadata = new LinkedHashMap<>();
  // Series of this scrape and of the previous one, by the raw text of name and labels; two generations bound the
  // memory to the series of two scrapes.
  private HashMap<String, Labels> cache = new HashMap<>();
  private HashMap<String, Labels> previousCache = new HashMap<>();

  /** A parser that adds {@code targetLabels} (job, instance, configured labels) to every series. */
  public ExpositionParser(Labels targetLabels) {
    this.targetLabels = requireNonNull(targetLabels, "targetLabels");
  }

  /**
   * Parses {@code body[0..length)} and appends every sample (with {@code defaultTimestampMs} unless the line has its
   * own), every exemplar and the metadata of every family to {@code out}. Series appended without an explicit timestamp
   * are added to {@code seen} when it is not null (staleness tracks only those, as in Prometheus).
   *
   * @return the number of samples appended
   * @throws InvalidInputException naming the line and the problem; samples of earlier lines were already appended, so
   *     the caller rolls {@code out} back
   */
  public int parse(byte[] body, int length, Format format, long defaultTimestampMs, Appender out, Set<Labels> seen) {
    requireNonNull(body, "body");
    requireNonNull(format, "format");
    requireNonNull(out, "out");
    if (length < 0 || length > body.length) {
      throw new IllegalArgumentException("length: " + length + " (expected: 0 to " + body.length + ")");
    }
    this.b = body;
    this.format = format;
    this.lineNo = 0;
    this.typeFamily = null;
    this.typeOfFamily = null;
    metadata.clear();
    int samples = 0;
    boolean eof = false;
    int pos = 0;
    try {
      while (pos < length) {
        int nl = pos;
        while (nl < length && b[nl] != '\n') {
          nl++;
        }
        int end = nl;
        if (end > pos && b[end - 1] == '\r') {
          end--;
        }
        lineNo++;
        if (eof) {
          if (end > pos) {
            throw error("unexpected content after # EOF");
          }
        } else {
          int r = line(pos, end, defaultTimestampMs, out, seen);
          if (r == EOF_LINE) {
            eof = true;
          } else {
            samples += r;
          }
        }
        pos = nl + 1;
      }
      if (format == Format.OPENMETRICS && !eof) {
        lineNo++;
        throw error("OpenMetrics exposition does not end with # EOF");
      }
      HashMap<String, Labels> older = previousCache;
      previousCache = cache;
      cache = older;
      cache.clear();
      for (Map.Entry<String, Meta> e : metadata.entrySet()) {
        Meta m = e.getValue();
        out.updateMetadata(new MetricMetadata(e.getKey(), m.type, m.help, m.unit));
      }
      return samples;
    } finally {
      this.b = null;
    }
  }

  private static final int EOF_LINE = -1;

  private static final class Meta {
    MetricMetadata.Type type = MetricMetadata.Type.UNKNOWN;
    String help = "";
    String unit = "";
  }

  /** One line: returns the samples appended (0 or 1), or {@link #EOF_LINE}. */
  private int line(int p, int end, long defaultTs, Appender out, Set<Labels> seen) {
    p = skipBlank(p, end);
    if (p == end) {
      return 0; // blank lines are allowed in the text format; harmless in OpenMetrics
    }
    if (b[p] == '#') {
      return comment(p + 1, end);
    }
    return sample(p, end, defaultTs, out, seen);
  }

  private int comment(int p, int end) {
    p = skipBlank(p, end);
    int wordEnd = p;
    while (wordEnd < end && b[wordEnd] != ' ' && b[wordEnd] != '\t') {
      wordEnd++;
    }
    String kind = word(p, wordEnd);
    if (kind == null) {
      return 0; // an ordinary comment
    }
    if (kind.equals("EOF")) {
      if (format == Format.OPENMETRICS) {
        return EOF_LINE;
      }
      return 0;
    }
    p = skipBlank(wordEnd, end);
    int nameEnd = metricName(p, end);
    if (nameEnd == p) {
      throw error("expected a metric name after # " + kind + ", got " + describe(p, end));
    }
    String family = ascii(p, nameEnd);
    if (nameEnd < end && b[nameEnd] != ' ' && b[nameEnd] != '\t') {
      throw error("invalid character " + describe(nameEnd, end) + " in metric name after # " + kind);
    }
    p = nameEnd < end ? nameEnd + 1 : end; // exactly one separator: the rest of a HELP line is the text
    Meta m = metadata.computeIfAbsent(family, f -> new Meta());
    switch (kind) {
      case "HELP" -> m.help = unescape(p, end, false);
      case "UNIT" -> m.unit = unescape(skipBlank(p, end), trimEnd(p, end), false);
      case "TYPE" -> {
        p = skipBlank(p, end);
        String t = ascii(p, trimEnd(p, end)).toLowerCase(Locale.ROOT);
        MetricMetadata.Type type = switch (t) {
          case "counter" -> MetricMetadata.Type.COUNTER;
          case "gauge" -> MetricMetadata.Type.GAUGE;
          case "histogram" -> MetricMetadata.Type.HISTOGRAM;
          case "summary" -> MetricMetadata.Type.SUMMARY;
          case "untyped", "unknown" -> MetricMetadata.Type.UNKNOWN;
          case "gaugehistogram" -> MetricMetadata.Type.GAUGEHISTOGRAM;
          case "info" -> MetricMetadata.Type.INFO;
          case "stateset" -> MetricMetadata.Type.STATESET;
          default -> throw error("unknown metric type '" + t + "' for " + family
              + " (expected: counter, gauge, histogram, summary, untyped, unknown, gaugehistogram, info, stateset)");
        };
        m.type = type;
        typeFamily = family;
        typeOfFamily = type;
      }
      default -> throw new AssertionError(kind);
    }
    return 0;
  }

  /** HELP, TYPE, UNIT and EOF are keywords; any other first word makes the line a plain comment. */
  private String word(int p, int end) {
    int n = end - p;
    if (n == 4 && b[p] == 'H' && b[p + 1] == 'E' && b[p + 2] == 'L' && b[p + 3] == 'P') {
      return "HELP";
    }
    if (n == 4 && b[p] == 'T' && b[p + 1] == 'Y' && b[p + 2] == 'P' && b[p + 3] == 'E') {
      return "TYPE";
    }
    if (n == 4 && b[p] == 'U' && b[p + 1] == 'N' && b[p + 2] == 'I' && b[p + 3] == 'T') {
      return "UNIT";
    }
    if (n == 3 && b[p] == 'E' && b[p + 1] == 'O' && b[p + 2] == 'F') {
      return "EOF";
    }
    return null;
  }

  private int sample(int p, int end, long defaultTs, Appender out, Set<Labels> seen) {
    // Series repeat from one scrape to the next: the raw bytes of name and labels find the Labels built last time
    // (Prometheus keeps the same scrape cache). A hit skips decoding, renaming and sorting the labels.
    int keyEnd = seriesEnd(p, end);
    String key = keyEnd > 0 ? ascii(p, keyEnd) : null;
    Labels series = null;
    if (key != null) {
      series = cache.get(key);
      if (series == null) {
        series = previousCache.remove(key);
        if (series != null) {
          cache.put(key, series);
        }
      }
    }
    String name;
    if (series != null) {
      name = series.metricName();
      p = keyEnd;
    } else {
      int nameEnd = metricName(p, end);
      if (nameEnd == p) {
        throw error("expected a metric name, got " + describe(p, end));
      }
      name = ascii(p, nameEnd);
      p = nameEnd;
      labelCount = 0;
      int brace = skipBlank(p, end); // blanks before '{' are tolerated, as the Go text parser of client_golang does
      if (brace < end && b[brace] == '{') {
        p = labels(brace + 1, end);
      }
      series = seriesLabels(name);
      if (key != null && p == keyEnd) {
        cache.put(key, series);
      }
    }
    if (p < end && b[p] != ' ' && b[p] != '\t') {
      throw error("expected a space after the series " + name + ", got " + describe(p, end));
    }
    p = skipBlank(p, end);
    int vEnd = tokenEnd(p, end);
    if (vEnd == p) {
      throw error("expected a value for " + name + ", got end of line");
    }
    double value = parseValue(p, vEnd, "value of " + name);
    p = skipBlank(vEnd, end);
    long ts = defaultTs;
    boolean explicitTs = false;
    if (p < end && b[p] != '#') {
      int tEnd = tokenEnd(p, end);
      ts = parseTimestamp(p, tEnd, "timestamp of " + name);
      explicitTs = true;
      p = skipBlank(tEnd, end);
    }
    Exemplar exemplar = null;
    if (p < end) {
      if (format != Format.OPENMETRICS || b[p] != '#') {
        throw error("unexpected " + describe(p, end) + " after the value of " + name);
      }
      exemplar = exemplar(p + 1, end, ts, name);
    }
    if (format == Format.OPENMETRICS && isCreatedSeries(name)) {
      // Prometheus skips OpenMetrics _created series of counters, histograms and summaries; a start time is not a value
      return 0;
    }
    out.append(series, ts, value);
    if (exemplar != null) {
      out.appendExemplar(series, exemplar);
    }
    if (!explicitTs && seen != null) {
      seen.add(series);
    }
    return 1;
  }

  private boolean isCreatedSeries(String name) {
    if (typeFamily == null || !name.endsWith("_created")
        || name.length() != typeFamily.length() + "_created".length() || !name.startsWith(typeFamily)) {
      return false;
    }
    return typeOfFamily == MetricMetadata.Type.COUNTER || typeOfFamily == MetricMetadata.Type.HISTOGRAM
        || typeOfFamily == MetricMetadata.Type.SUMMARY || typeOfFamily == MetricMetadata.Type.GAUGEHISTOGRAM;
  }

  private Labels seriesLabels(String name) {
    builder.reset();
    builder.set(Labels.METRIC_NAME, name);
    for (int i = 0; i < labelCount; i++) {
      String n = names[i];
      if (targetLabels.has(n)) {
        // honor_labels: false keeps the target's value and the scraped one under exported_<name>
        do {
          n = "exported_" + n;
        } while (targetLabels.has(n) || indexOfScraped(n) >= 0);
      }
      builder.set(n, values[i]);
    }
    targetLabels.forEach(builder::set);
    return builder.build();
  }

  private int indexOfScraped(String n) {
    for (int i = 0; i < labelCount; i++) {
      if (names[i].equals(n)) {
        return i;
      }
    }
    return -1;
  }

  /** Parses {@code name="value", ...}} from just after the brace; returns the position after the closing brace. */
  private int labels(int p, int end) {
    while (true) {
      p = skipBlank(p, end);
      if (p >= end) {
        throw error("unterminated label set: expected '}'");
      }
      if (b[p] == '}') {
        return p + 1;
      }
      int nEnd = labelName(p, end);
      if (nEnd == p) {
        throw error("expected a label name, got " + describe(p, end));
      }
      String n = ascii(p, nEnd);
      p = skipBlank(nEnd, end);
      if (p >= end || b[p] != '=') {
        throw error("expected '=' after label name '" + n + "', got " + describe(p, end));
      }
      p = skipBlank(p + 1, end);
      if (p >= end || b[p] != '"') {
        throw error("expected '\"' to open the value of label '" + n + "', got " + describe(p, end));
      }
      int close = closingQuote(p + 1, end, n);
      String v = unescape(p + 1, close, true);
      if (indexOfScraped(n) >= 0) {
        throw error("duplicate label name '" + n + "'");
      }
      if (n.equals(Labels.METRIC_NAME)) {
        throw error("label name '__name__' inside braces (expected: the metric name before '{')");
      }
      if (labelCount == names.length) {
        names = Arrays.copyOf(names, labelCount * 2);
        values = Arrays.copyOf(values, labelCount * 2);
      }
      names[labelCount] = n;
      values[labelCount] = v;
      labelCount++;
      p = skipBlank(close + 1, end);
      if (p < end && b[p] == ',') {
        p++;
      } else if (p < end && b[p] == '}') {
        return p + 1;
      } else {
        throw error("expected ',' or '}' after the value of label '" + n + "', got " + describe(p, end));
      }
    }
  }

  private int closingQuote(int p, int end, String label) {
    while (p < end) {
      byte c = b[p];
      if (c == '\\') {
        p += 2;
        continue;
      }
      if (c == '"') {
        return p;
      }
      p++;
    }
    throw error("unterminated value of label '" + label + "': expected '\"'");
  }

  private Exemplar exemplar(int p, int end, long sampleTs, String name) {
    p = skipBlank(p, end);
    if (p >= end || b[p] != '{') {
      throw error("expected '{' to open the exemplar labels of " + name + ", got " + describe(p, end));
    }
    int savedCount = labelCount;
    String[] savedNames = Arrays.copyOf(names, savedCount);
    String[] savedValues = Arrays.copyOf(values, savedCount);
    labelCount = 0;
    p = labels(p + 1, end);
    Labels.Builder eb = Labels.builder();
    int runes = 0;
    for (int i = 0; i < labelCount; i++) {
      eb.set(names[i], values[i]);
      runes += names[i].codePointCount(0, names[i].length()) + values[i].codePointCount(0, values[i].length());
    }
    if (runes > Exemplar.MAX_LABELS_RUNES) {
      throw error("exemplar labels of " + name + " are " + runes + " characters (expected: at most "
          + Exemplar.MAX_LABELS_RUNES + ")");
    }
    System.arraycopy(savedNames, 0, names, 0, savedCount);
    System.arraycopy(savedValues, 0, values, 0, savedCount);
    labelCount = savedCount;
    if (p >= end || (b[p] != ' ' && b[p] != '\t')) {
      throw error("expected a space and a value after the exemplar labels of " + name + ", got " + describe(p, end));
    }
    p = skipBlank(p, end);
    int vEnd = tokenEnd(p, end);
    if (vEnd == p) {
      throw error("expected an exemplar value for " + name + ", got end of line");
    }
    double v = parseValue(p, vEnd, "exemplar value of " + name);
    p = skipBlank(vEnd, end);
    long ts = sampleTs; // as Prometheus: an exemplar without a timestamp takes its sample's
    if (p < end) {
      int tEnd = tokenEnd(p, end);
      ts = parseTimestamp(p, tEnd, "exemplar timestamp of " + name);
      p = skipBlank(tEnd, end);
      if (p < end) {
        throw error("unexpected " + describe(p, end) + " after the exemplar of " + name);
      }
    }
    return new Exemplar(eb.build(), v, ts);
  }

  private double parseValue(int p, int end, String what) {
    int n = end - p;
    // Fast path: a plain integer of up to 15 digits (counters, bucket counts) is exact as a double.
    int q = p;
    boolean neg = false;
    if (b[q] == '-' || b[q] == '+') {
      neg = b[q] == '-';
      q++;
    }
    if (q < end && end - q <= 15) {
      long v = 0;
      int i = q;
      while (i < end && b[i] >= '0' && b[i] <= '9') {
        v = v * 10 + (b[i] - '0');
        i++;
      }
      if (i == end) {
        return neg ? -(double) v : (double) v;
      }
    }
    String s = ascii(p, end);
    switch (s.toLowerCase(Locale.ROOT)) {
      case "nan":
        return Double.NaN;
      case "inf", "+inf", "infinity", "+infinity":
        return Double.POSITIVE_INFINITY;
      case "-inf", "-infinity":
        return Double.NEGATIVE_INFINITY;
      default:
        break;
    }
    for (int i = p; i < end; i++) {
      byte c = b[i];
      boolean ok = (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
      if (!ok) {
        throw error("invalid " + what + " '" + s + "' (expected: a float, NaN, +Inf or -Inf)");
      }
    }
    try {
      return Double.parseDouble(s);
    } catch (NumberFormatException e) {
      throw error("invalid " + what + " '" + s + "' (expected: a float, NaN, +Inf or -Inf)");
    }
  }

  private long parseTimestamp(int p, int end, String what) {
    if (format == Format.OPENMETRICS) {
      double seconds = parseValue(p, end, what);
      if (Double.isNaN(seconds) || Double.isInfinite(seconds)) {
        throw error("invalid " + what + " '" + ascii(p, end) + "' (expected: seconds since the epoch)");
      }
      return Math.round(seconds * 1000.0);
    }
    int i = p;
    boolean neg = false;
    if (b[i] == '-' || b[i] == '+') {
      neg = b[i] == '-';
      i++;
    }
    if (i == end || end - i > 18) {
      throw error("invalid " + what + " '" + ascii(p, end) + "' (expected: integer milliseconds since the epoch)");
    }
    long v = 0;
    for (; i < end; i++) {
      byte c = b[i];
      if (c < '0' || c > '9') {
        throw error("invalid " + what + " '" + ascii(p, end) + "' (expected: integer milliseconds since the epoch)");
      }
      v = v * 10 + (c - '0');
    }
    return neg ? -v : v;
  }

  /** The end of a line's metric name and label set, or -1 when they are not well formed. */
  private int seriesEnd(int p, int end) {
    int nameEnd = metricName(p, end);
    if (nameEnd == p) {
      return -1;
    }
    int q = skipBlank(nameEnd, end);
    if (q >= end || b[q] != '{') {
      return nameEnd;
    }
    boolean quoted = false;
    for (int i = q + 1; i < end; i++) {
      byte c = b[i];
      if (quoted) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          quoted = false;
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == '}') {
        return i + 1;
      }
    }
    return -1;
  }

  /** [a-zA-Z_:][a-zA-Z0-9_:]*; returns the end (== p when there is none). */
  private int metricName(int p, int end) {
    int i = p;
    while (i < end) {
      byte c = b[i];
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'
          || (i > p && c >= '0' && c <= '9');
      if (!ok) {
        break;
      }
      i++;
    }
    return i;
  }

  private int labelName(int p, int end) {
    int i = p;
    while (i < end) {
      byte c = b[i];
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (i > p && c >= '0' && c <= '9');
      if (!ok) {
        break;
      }
      i++;
    }
    return i;
  }

  /** Decodes UTF-8 with the escapes {@code \\}, {@code \n} and (in label values, or always in OpenMetrics) {@code \"}. */
  private String unescape(int p, int end, boolean labelValue) {
    int bs = -1;
    for (int i = p; i < end; i++) {
      if (b[i] == '\\') {
        bs = i;
        break;
      }
    }
    if (bs < 0) {
      return new String(b, p, end - p, StandardCharsets.UTF_8);
    }
    // Rare: decode byte runs between escapes.
    sb.setLength(0);
    int runStart = p;
    int i = bs;
    while (i < end) {
      if (b[i] != '\\') {
        i++;
        continue;
      }
      sb.append(new String(b, runStart, i - runStart, StandardCharsets.UTF_8));
      if (i + 1 >= end) {
        if (labelValue) {
          throw error("unterminated escape at the end of a label value");
        }
        sb.append('\\');
        i++;
        runStart = i;
        continue;
      }
      byte e = b[i + 1];
      if (e == '\\') {
        sb.append('\\');
      } else if (e == 'n') {
        sb.append('\n');
      } else if (e == '"' && (labelValue || format == Format.OPENMETRICS)) {
        sb.append('"');
      } else if (labelValue) {
        throw error("invalid escape '\\" + (char) e + "' in a label value (expected: \\\\, \\\" or \\n)");
      } else {
        sb.append('\\').append((char) e); // the text format keeps unknown escapes in HELP as they are
      }
      i += 2;
      runStart = i;
    }
    sb.append(new String(b, runStart, end - runStart, StandardCharsets.UTF_8));
    return sb.toString();
  }

  private int skipBlank(int p, int end) {
    while (p < end && (b[p] == ' ' || b[p] == '\t')) {
      p++;
    }
    return p;
  }

  private int trimEnd(int p, int end) {
    while (end > p && (b[end - 1] == ' ' || b[end - 1] == '\t')) {
      end--;
    }
    return end;
  }

  private int tokenEnd(int p, int end) {
    while (p < end && b[p] != ' ' && b[p] != '\t') {
      p++;
    }
    return p;
  }

  private String ascii(int p, int end) {
    return new String(b, p, end - p, StandardCharsets.ISO_8859_1);
  }

  private String describe(int p, int end) {
    if (p >= end) {
      return "end of line";
    }
    int e = Math.min(end, p + 20);
    return "'" + new String(b, p, e - p, StandardCharsets.UTF_8) + (e < end ? "...'" : "'");
  }

  private InvalidInputException error(String message) {
    return new InvalidInputException("line " + lineNo + ": " + message);
  }
}
