package io.loupe.query.api.internal;

import static java.util.Objects.requireNonNull;

import io.loupe.model.Labels;
import io.loupe.model.Matcher;
import io.loupe.query.promql.QueryException;
import io.loupe.query.promql.QueryException.ErrorType;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses one series selector, the {@code match[]} argument of {@code /api/v1/series}, {@code labels} and {@code
 * label/<name>/values}: {@code metric}, {@code metric{a="b", c=~"d.*"}}, {@code {__name__!=""}} and Prometheus 3's
 * quoted names {@code {"my.metric", "http.status"="200"}}. Strings take Go's escapes in {@code "..."} and {@code '...'}
 * and none in {@code `...`}. Errors read like Prometheus's: {@code 1:5: parse error: unexpected ...}.
 *
 * <p>A scanner of its own rather than {@code promql.parser.Parser}: {@code match[]} accepts a series selector only (as
 * Prometheus's {@code ParseMetricSelector}), and its errors name what a selector may not contain ({@code up[5m]}:
 * "unexpected character after selector") rather than PromQL type errors. The string escapes follow the same rules
 * as the PromQL lexer; a change there belongs here too.
 */
public final class SeriesSelectorParser {
  private final String in;
  private int pos;

  private SeriesSelectorParser(String in) {
    this.in = in;
  }

  /** The matchers of {@code selector}, the metric name first; at least one of them does not match the empty string. */
  public static List<Matcher> parse(String selector) {
    requireNonNull(selector, "selector");
    return new SeriesSelectorParser(selector).selector();
  }

  private List<Matcher> selector() {
    List<Matcher> out = new ArrayList<>();
    skipSpace();
    if (pos >= in.length()) {
      throw error("unexpected end of input");
    }
    String metric = null;
    if (isIdentStart(in.charAt(pos)) || in.charAt(pos) == ':') {
      int start = pos;
      while (pos < in.length() && (isIdentPart(in.charAt(pos)) || in.charAt(pos) == ':')) {
        pos++;
      }
      metric = in.substring(start, pos);
      skipSpace();
    }
    if (pos < in.length() && in.charAt(pos) == '{') {
      pos++;
      matchers(out);
    } else if (metric == null) {
      throw error("unexpected character: '" + in.charAt(pos) + "'");
    }
    skipSpace();
    if (pos < in.length()) {
      throw error("unexpected character after selector: '" + in.charAt(pos) + "'");
    }
    if (metric != null) {
      for (Matcher m : out) {
        if (m.name().equals(Labels.METRIC_NAME)) {
          throw new QueryException(ErrorType.BAD_DATA,
              "1:" + (pos + 1) + ": parse error: metric name must not be set twice: \"" + metric + "\" or \""
                  + m.value() + "\"");
        }
      }
      out.add(0, Matcher.metricName(metric));
    }
    boolean nonEmpty = false;
    for (Matcher m : out) {
      if (!m.matchesEmpty()) {
        nonEmpty = true;
        break;
      }
    }
    if (!nonEmpty) {
      throw new QueryException(ErrorType.BAD_DATA,
          "1:1: parse error: vector selector must contain at least one non-empty matcher");
    }
    return out;
  }

  private void matchers(List<Matcher> out) {
    while (true) {
      skipSpace();
      if (pos >= in.length()) {
        throw error("unexpected end of input inside braces");
      }
      char c = in.charAt(pos);
      if (c == '}') {
        pos++;
        return;
      }
      String name;
      boolean quoted = false;
      if (c == '"' || c == '\'' || c == '`') {
        name = string();
        quoted = true;
      } else if (isIdentStart(c)) {
        int start = pos;
        while (pos < in.length() && isIdentPart(in.charAt(pos))) {
          pos++;
        }
        name = in.substring(start, pos);
      } else {
        throw error("unexpected character inside braces: '" + c + "'");
      }
      skipSpace();
      if (quoted && pos < in.length() && (in.charAt(pos) == ',' || in.charAt(pos) == '}')) {
        // Prometheus 3: a lone quoted string in braces is the metric name
        addMetricName(out, name);
      } else {
        Matcher.Type type = operator();
        skipSpace();
        if (pos >= in.length() || "\"'`".indexOf(in.charAt(pos)) < 0) {
          throw error("unexpected " + (pos >= in.length() ? "end of input" : "'" + in.charAt(pos) + "'")
              + " in label matching, expected string");
        }
        String value = string();
        out.add(Matcher.of(type, name, value));
      }
      skipSpace();
      if (pos < in.length() && in.charAt(pos) == ',') {
        pos++;
      } else if (pos < in.length() && in.charAt(pos) == '}') {
        pos++;
        return;
      } else {
        throw error(pos >= in.length() ? "unexpected end of input inside braces"
            : "unexpected '" + in.charAt(pos) + "' in label matching, expected ',' or '}'");
      }
    }
  }

  private void addMetricName(List<Matcher> out, String name) {
    for (Matcher m : out) {
      if (m.name().equals(Labels.METRIC_NAME)) {
        throw error("metric name must not be set twice: \"" + m.value() + "\" or \"" + name + "\"");
      }
    }
    out.add(0, Matcher.metricName(name));
  }

  private Matcher.Type operator() {
    if (pos >= in.length()) {
      throw error("unexpected end of input in label matching, expected label matching operator");
    }
    char c = in.charAt(pos);
    char d = pos + 1 < in.length() ? in.charAt(pos + 1) : 0;
    if (c == '=' && d == '~') {
      pos += 2;
      return Matcher.Type.REGEX;
    }
    if (c == '!' && d == '~') {
      pos += 2;
      return Matcher.Type.NOT_REGEX;
    }
    if (c == '!' && d == '=') {
      pos += 2;
      return Matcher.Type.NOT_EQUAL;
    }
    if (c == '=') {
      pos++;
      return Matcher.Type.EQUAL;
    }
    throw error("unexpected '" + c + "' in label matching, expected label matching operator");
  }

  /** Reads a quoted string at {@code pos}, Go's escapes in "" and '', none in ``. */
  private String string() {
    int startPos = pos;
    char q = in.charAt(pos++);
    StringBuilder sb = new StringBuilder();
    while (true) {
      if (pos >= in.length()) {
        throw errorAt(startPos, "unterminated quoted string");
      }
      char c = in.charAt(pos++);
      if (c == q) {
        return sb.toString();
      }
      if (q == '`' || c != '\\') {
        if (q != '`' && c == '\n') {
          throw errorAt(startPos, "unterminated quoted string");
        }
        sb.append(c);
        continue;
      }
      if (pos >= in.length()) {
        throw errorAt(startPos, "unterminated quoted string");
      }
      char e = in.charAt(pos++);
      switch (e) {
        case 'a' -> sb.append('\u0007');
        case 'b' -> sb.append('\b');
        case 'f' -> sb.append('\f');
        case 'n' -> sb.append('\n');
        case 'r' -> sb.append('\r');
        case 't' -> sb.append('\t');
        case 'v' -> sb.append('\u000b');
        case '\\' -> sb.append('\\');
        case '"', '\'' -> {
          if (e != q) {
            throw errorAt(pos - 2, "unknown escape sequence '\\" + e + "'");
          }
          sb.append(e);
        }
        case 'x' -> sb.append((char) hex(2));
        case 'u' -> sb.appendCodePoint(hex(4));
        case 'U' -> {
          int cp = hex(8);
          if (cp > Character.MAX_CODE_POINT) {
            throw errorAt(pos - 10, "escape sequence is an invalid Unicode code point");
          }
          sb.appendCodePoint(cp);
        }
        default -> {
          if (e >= '0' && e <= '7') {
            pos--;
            int v = 0;
            for (int i = 0; i < 3; i++) {
              char o = pos < in.length() ? in.charAt(pos) : 0;
              if (o < '0' || o > '7') {
                throw errorAt(pos, "invalid octal escape sequence");
              }
              v = v * 8 + (o - '0');
              pos++;
            }
            if (v > 255) {
              throw errorAt(pos - 4, "octal escape value > 255: " + v);
            }
            sb.append((char) v);
          } else {
            throw errorAt(pos - 2, "unknown escape sequence '\\" + e + "'");
          }
        }
      }
    }
  }

  private int hex(int digits) {
    int v = 0;
    for (int i = 0; i < digits; i++) {
      int d = pos < in.length() ? Character.digit(in.charAt(pos), 16) : -1;
      if (d < 0) {
        throw errorAt(pos, "invalid hexadecimal escape sequence");
      }
      v = v * 16 + d;
      pos++;
    }
    return v;
  }

  private void skipSpace() {
    while (pos < in.length() && Character.isWhitespace(in.charAt(pos))) {
      pos++;
    }
  }

  private static boolean isIdentStart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  }

  private static boolean isIdentPart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (c >= '0' && c <= '9');
  }

  private QueryException error(String what) {
    return errorAt(pos, what);
  }

  private QueryException errorAt(int at, String what) {
    // line:column as Prometheus counts them (1-based, columns in characters of the line)
    int line = 1;
    int col = 1;
    for (int i = 0; i < at && i < in.length(); i++) {
      if (in.charAt(i) == '\n') {
        line++;
        col = 1;
      } else {
        col++;
      }
    }
    return new QueryException(ErrorType.BAD_DATA, line + ":" + col + ": parse error: " + what);
  }
}
