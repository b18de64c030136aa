package io.loupe.query.trace.internal;

import io.loupe.model.AttributeCondition;
import io.loupe.model.CompareOp;
import io.loupe.model.InvalidInputException;
import io.loupe.model.SpanFilter;
import io.loupe.model.SpanFilter.IntrinsicField;
import io.loupe.model.TagScope;
import io.loupe.model.TraceSummary;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A parser for the subset of TraceQL (Grafana Tempo's trace query language) that maps onto {@link SpanFilter}s:
 * span sets {@code { cond }} whose conditions compare {@code resource.x}, {@code span.x}, unscoped {@code .x} and
 * the intrinsics {@code name status kind duration} (also spelled {@code span:name} ...) with strings, numbers,
 * booleans, durations and status/kind enums using {@code = != =~ !~ > >= < <=}, combined with {@code &&}, {@code ||}
 * and parentheses; and span sets combined with {@code &&}, {@code ||} and parentheses. Everything else (pipelines,
 * aggregates, {@code select}, structural operators, arithmetic, other scopes) is rejected with an {@link
 * InvalidInputException} that names the construct and its line and column.
 *
 * <p>A trace matches when the boolean expression over its span sets holds, each span set being "some span matches";
 * the expression is brought into conjunctive normal form so that it becomes {@code TraceQuery.spanFilters} (each
 * filter: some span matches), using {@code ∃a ∨ ∃b = ∃(a ∨ b)}.
 */
public final class TraceQl {
  /** A bound on the clauses of the normal form, so that {@code ({a}&&{b}) || ({c}&&{d}) || ...} cannot explode. */
  static final int MAX_CLAUSES = 64;

  private final String src;
  private final List<Token> tokens;
  private int pos;

  private TraceQl(String src) {
    this.src = src;
    this.tokens = new Lexer(src).all();
  }

  /** A condition on a whole trace, as its summary gives it: TraceQL's {@code traceDuration}, {@code rootName} ... */
  public record TraceCondition(TraceField field, CompareOp op, String value) {
    /** Whether {@code t} meets it; regular expressions are Java's, anchored. */
    public boolean matches(TraceSummary t) {
      return switch (field) {
        case ROOT_SERVICE -> SpanSets.text(t.rootServiceName(), op, value);
        case ROOT_NAME -> SpanSets.text(t.rootSpanName(), op, value);
        case DURATION -> SpanSets.number(t.durationNanos(), op, Long.parseLong(value));
      };
    }
  }

  /** Trace-level fields. */
  public enum TraceField { ROOT_SERVICE, ROOT_NAME, DURATION }

  /**
   * A parsed query: a trace matches when, for each of {@code spanFilters}, one of its spans matches (none: every
   * trace, {@code { }}), and it meets every one of {@code traceConditions}.
   */
  public record Query(List<SpanFilter> spanFilters, List<TraceCondition> traceConditions) {}

  /** Parses {@code query}; throws {@link InvalidInputException} naming the construct and its place. */
  public static Query parse(String query) {
    if (query.isBlank()) {
      throw new InvalidInputException(
          "TraceQL: empty query (expected: a span set such as { span.http.method = \"GET\" })");
    }
    TraceQl p = new TraceQl(query);
    Node n = p.spansetOr();
    Token t = p.peek();
    if (t.type != T.EOF) {
      throw p.trailing(t);
    }
    List<TraceCondition> trace = new ArrayList<>();
    p.lift(n, false, trace);
    List<Set<SpanFilter>> cnf = p.cnf(n);
    List<SpanFilter> out = new ArrayList<>(cnf.size());
    for (Set<SpanFilter> clause : cnf) {
      out.add(clause.size() == 1 ? clause.iterator().next() : new SpanFilter.Or(List.copyOf(clause)));
    }
    return new Query(List.copyOf(out), List.copyOf(trace));
  }

  /**
   * Collects the trace-level conditions of span sets that are joined to the query by && only: there {@code { a &&
   * traceDuration > 1s }} is "the trace lasts over 1 s, and some span matches a". Under a span-set || it is not a
   * conjunction any more, and is refused.
   */
  private void lift(Node n, boolean underOr, List<TraceCondition> out) {
    if (n instanceof Spanset s) {
      if (!s.trace.isEmpty() && underOr) {
        throw unsupported(s.traceToken, "trace-level field '" + s.traceToken.text + "' in a span set joined by ||");
      }
      out.addAll(s.trace);
    } else if (n instanceof Both b) {
      lift(b.left, underOr, out);
      lift(b.right, underOr, out);
    } else {
      Either e = (Either) n;
      lift(e.left, true, out);
      lift(e.right, true, out);
    }
  }

  // ---- span-set level ----

  /** A boolean expression over span sets; a null filter is {@code { }}, true for any trace with a span. */
  private sealed interface Node permits Spanset, Both, Either {}

  private record Spanset(SpanFilter filter, List<TraceCondition> trace, Token traceToken) implements Node {}

  /** A condition inside { }: span filter (null: true) and trace-level conditions joined to it by &&. */
  private record Part(SpanFilter filter, List<TraceCondition> trace, Token traceToken) {}

  private record Both(Node left, Node right) implements Node {}

  private record Either(Node left, Node right) implements Node {}

  private Node spansetOr() {
    Node n = spansetAnd();
    while (peek().type == T.OR) {
      next();
      n = new Either(n, spansetAnd());
    }
    return n;
  }

  private Node spansetAnd() {
    Node n = spansetPrimary();
    while (peek().type == T.AND) {
      next();
      n = new Both(n, spansetPrimary());
    }
    return n;
  }

  private Node spansetPrimary() {
    Token t = next();
    if (t.type == T.LPAREN) {
      Node n = spansetOr();
      expect(T.RPAREN, "')' closing the '(' at " + where(t.offset));
      return n;
    }
    if (t.type == T.LBRACE) {
      if (peek().type == T.RBRACE) {
        next();
        return new Spanset(null, List.of(), null);
      }
      Part f = fieldOr();
      Token close = next();
      if (close.type != T.RBRACE) {
        throw error(close, "unexpected " + close.describe() + " (expected: '}' closing the '{' at "
            + where(t.offset) + ", or && or ||)");
      }
      return new Spanset(f.filter, f.trace, f.traceToken);
    }
    if (t.type == T.WORD && isAggregate(t.text)) {
      throw unsupported(t, "aggregate or function '" + t.text + "'");
    }
    throw error(t, "unexpected " + t.describe() + " (expected: a span set such as { span.http.method = \"GET\" })");
  }

  private InvalidInputException trailing(Token t) {
    switch (t.type) {
      case PIPE:
        return unsupported(t, "pipeline '|'");
      case GT:
      case LT:
      case DESCENDANT:
      case ANCESTOR:
      case SIBLING:
      case NRE:
      case NOT:
        return unsupported(t, "structural operator '" + t.text + "'");
      default:
        return error(t, "unexpected " + t.describe() + " (expected: end of query, && or ||)");
    }
  }

  private List<Set<SpanFilter>> cnf(Node n) {
    if (n instanceof Spanset s) {
      // { } is true for every trace: no clause at all
      return s.filter == null ? List.of() : List.of(Set.of(s.filter));
    }
    if (n instanceof Both b) {
      List<Set<SpanFilter>> out = new ArrayList<>(cnf(b.left));
      for (Set<SpanFilter> c : cnf(b.right)) {
        if (!out.contains(c)) {
          out.add(c);
        }
      }
      return limit(out);
    }
    Either e = (Either) n;
    List<Set<SpanFilter>> l = cnf(e.left);
    List<Set<SpanFilter>> r = cnf(e.right);
    if (l.isEmpty() || r.isEmpty()) {
      return List.of();
    }
    List<Set<SpanFilter>> out = new ArrayList<>();
    for (Set<SpanFilter> a : l) {
      for (Set<SpanFilter> b : r) {
        Set<SpanFilter> c = new LinkedHashSet<>(a);
        c.addAll(b);
        if (!out.contains(c)) {
          out.add(c);
        }
        limit(out);
      }
    }
    return out;
  }

  private static List<Set<SpanFilter>> limit(List<Set<SpanFilter>> clauses) {
    if (clauses.size() > MAX_CLAUSES) {
      throw new InvalidInputException("TraceQL: the span sets combine into more than " + MAX_CLAUSES
          + " conditions (expected: fewer || of && groups)");
    }
    return clauses;
  }

  // ---- field level, inside { } ----

  private Part fieldOr() {
    List<Part> parts = new ArrayList<>();
    parts.add(fieldAnd());
    while (peek().type == T.OR) {
      next();
      parts.add(fieldAnd());
    }
    if (parts.size() == 1) {
      return parts.get(0);
    }
    List<SpanFilter> filters = new ArrayList<>();
    for (Part p : parts) {
      if (!p.trace.isEmpty()) {
        throw unsupported(p.traceToken, "trace-level field '" + p.traceToken.text + "' under ||");
      }
      filters.add(p.filter);
    }
    return new Part(new SpanFilter.Or(filters), List.of(), null);
  }

  private Part fieldAnd() {
    List<SpanFilter> filters = new ArrayList<>();
    List<TraceCondition> trace = new ArrayList<>();
    Token traceToken = null;
    do {
      if (!filters.isEmpty() || !trace.isEmpty()) {
        next(); // &&
      }
      Part p = fieldPrimary();
      if (p.filter != null) {
        filters.add(p.filter);
      }
      if (!p.trace.isEmpty() && traceToken == null) {
        traceToken = p.traceToken;
      }
      trace.addAll(p.trace);
    } while (peek().type == T.AND);
    SpanFilter f = filters.isEmpty() ? null : filters.size() == 1 ? filters.get(0) : new SpanFilter.And(filters);
    return new Part(f, trace, traceToken);
  }

  private Part fieldPrimary() {
    Token t = next();
    if (t.type == T.LPAREN) {
      Part f = fieldOr();
      expect(T.RPAREN, "')' closing the '(' at " + where(t.offset));
      return f;
    }
    if (t.type == T.NOT) {
      throw unsupported(t, "negation '!'");
    }
    if (t.type != T.WORD && t.type != T.ATTR) {
      throw error(t, "unexpected " + t.describe()
          + " (expected: a field such as span.http.method, resource.service.name, .x, name, status, kind or duration)");
    }
    TraceField traceField = switch (t.text) {
      case "traceDuration", "trace:duration" -> t.type == T.WORD ? TraceField.DURATION : null;
      case "rootServiceName", "trace:rootService" -> t.type == T.WORD ? TraceField.ROOT_SERVICE : null;
      case "rootName", "trace:rootName" -> t.type == T.WORD ? TraceField.ROOT_NAME : null;
      default -> null;
    };
    Field field = traceField != null ? null : field(t);
    Token op = next();
    CompareOp cop = switch (op.type) {
      case EQ -> CompareOp.EQ;
      case NE -> CompareOp.NE;
      case RE -> CompareOp.REGEX;
      case NRE -> CompareOp.NOT_REGEX;
      case GT -> CompareOp.GT;
      case GE -> CompareOp.GE;
      case LT -> CompareOp.LT;
      case LE -> CompareOp.LE;
      default -> null;
    };
    if (cop == null) {
      if (isArithmetic(op)) {
        throw unsupported(op, "arithmetic '" + op.text + "'");
      }
      throw error(op, "unexpected " + op.describe() + " after " + t.text
          + " (expected: a comparison = != =~ !~ > >= < <=)");
    }
    Token v = next();
    boolean negative = false;
    if (v.type == T.MINUS) {
      negative = true;
      v = next();
      if (v.type != T.NUMBER && v.type != T.DURATION) {
        throw unsupported(v, "arithmetic '-'");
      }
    }
    Token after = peek();
    if (isArithmetic(after)) {
      throw unsupported(after, "arithmetic '" + after.text + "'");
    }
    if (traceField != null) {
      return new Part(null, List.of(traceCondition(traceField, t, op, cop, v, negative)), t);
    }
    SpanFilter f = field.intrinsic != null ? intrinsic(field, t, op, cop, v, negative) : attribute(field, op, cop, v,
        negative);
    return new Part(f, List.of(), null);
  }

  private TraceCondition traceCondition(TraceField field, Token t, Token opToken, CompareOp op, Token v,
      boolean negative) {
    // the same value rules as the span intrinsics: names take strings, durations durations
    SpanFilter.Intrinsic i = (SpanFilter.Intrinsic) intrinsic(
        new Field(field == TraceField.DURATION ? IntrinsicField.DURATION : IntrinsicField.NAME, null, null), t,
        opToken, op, v, negative);
    return new TraceCondition(field, op, i.value());
  }

  private record Field(IntrinsicField intrinsic, TagScope scope, String key) {}

  private Field field(Token t) {
    if (t.type == T.ATTR) {
      return new Field(null, TagScope.ANY, t.text.substring(1));
    }
    String w = t.text;
    switch (w) {
      case "name", "span:name":
        return new Field(IntrinsicField.NAME, null, null);
      case "status", "span:status":
        return new Field(IntrinsicField.STATUS, null, null);
      case "kind", "span:kind":
        return new Field(IntrinsicField.KIND, null, null);
      case "duration", "span:duration":
        return new Field(IntrinsicField.DURATION, null, null);
      case "resource.service.name":
        return new Field(IntrinsicField.SERVICE, null, null);
      default:
        break;
    }
    if (w.startsWith("resource.") && w.length() > "resource.".length()) {
      return new Field(null, TagScope.RESOURCE, w.substring("resource.".length()));
    }
    if (w.startsWith("span.") && w.length() > "span.".length()) {
      return new Field(null, TagScope.SPAN, w.substring("span.".length()));
    }
    if (w.equals("true") || w.equals("false") || w.equals("nil")) {
      throw unsupported(t, "a bare '" + w + "' in a span set");
    }
    if (isAggregate(w)) {
      throw unsupported(t, "aggregate or function '" + w + "'");
    }
    int dot = w.indexOf('.');
    int colon = w.indexOf(':');
    if (colon > 0 && (dot < 0 || colon < dot)) {
      throw unsupported(t, "intrinsic '" + w + "' (served: name, status, kind, duration, and span:name ...)");
    }
    if (dot > 0) {
      throw unsupported(t, "scope '" + w.substring(0, dot) + "' of '" + w
          + "' (served: resource., span. and unscoped .name)");
    }
    throw unsupported(t, "field '" + w + "' (served: resource.x, span.x, .x, name, status, kind, duration)");
  }

  private SpanFilter intrinsic(Field f, Token fieldToken, Token opToken, CompareOp op, Token v, boolean negative) {
    String fname = fieldToken.text;
    boolean regex = op == CompareOp.REGEX || op == CompareOp.NOT_REGEX;
    boolean order = op == CompareOp.GT || op == CompareOp.GE || op == CompareOp.LT || op == CompareOp.LE;
    switch (f.intrinsic) {
      case NAME:
      case SERVICE:
        if (order) {
          throw error(opToken, fname + " " + opToken.text + " (expected: = != =~ !~ for a string field)");
        }
        if (v.type != T.STRING) {
          throw error(v, fname + " compared with " + v.describe() + " (expected: a string in quotes)");
        }
        return new SpanFilter.Intrinsic(f.intrinsic, op, v.text);
      case STATUS:
      case KIND: {
        if (regex || order) {
          throw error(opToken, fname + " " + opToken.text + " (expected: = or !=)");
        }
        boolean status = f.intrinsic == IntrinsicField.STATUS;
        List<String> allowed = status ? List.of("error", "ok", "unset")
            : List.of("unspecified", "internal", "server", "client", "producer", "consumer");
        if (v.type != T.WORD || !allowed.contains(v.text)) {
          throw error(v, fname + " compared with " + v.describe() + " (expected: one of " + String.join(", ", allowed)
              + ")");
        }
        return new SpanFilter.Intrinsic(f.intrinsic, op, v.text);
      }
      default: // DURATION
        if (regex) {
          throw error(opToken, fname + " " + opToken.text + " (expected: = != > >= < <=)");
        }
        if (v.type != T.DURATION && !(v.type == T.NUMBER && v.text.equals("0"))) {
          throw error(v, fname + " compared with " + v.describe() + " (expected: a duration such as 100ms or 1.5s)");
        }
        long nanos = v.type == T.NUMBER ? 0 : GoDurations.parseNanos("duration", v.text);
        return new SpanFilter.Intrinsic(IntrinsicField.DURATION, op, Long.toString(negative ? -nanos : nanos));
    }
  }

  private SpanFilter attribute(Field f, Token opToken, CompareOp op, Token v, boolean negative) {
    boolean regex = op == CompareOp.REGEX || op == CompareOp.NOT_REGEX;
    boolean order = op == CompareOp.GT || op == CompareOp.GE || op == CompareOp.LT || op == CompareOp.LE;
    String value;
    switch (v.type) {
      case STRING:
        if (order) {
          throw error(opToken, "'" + opToken.text + "' with a string (expected: a number after > >= < <=)");
        }
        value = v.text;
        break;
      case NUMBER:
        if (regex) {
          throw error(v, "'" + opToken.text + "' with a number (expected: a regular expression in quotes)");
        }
        value = number(v, negative);
        break;
      case WORD:
        if (v.text.equals("true") || v.text.equals("false")) {
          if (regex || order) {
            throw error(opToken, "'" + opToken.text + "' with a boolean (expected: = or !=)");
          }
          value = v.text;
        } else if (v.text.equals("nil")) {
          if (op != CompareOp.NE) {
            throw unsupported(opToken, "'" + opToken.text + " nil' (served: != nil, 'attribute is present')");
          }
          // present = any value; a regular expression matches the string form of every value type
          return new AttributeCondition(f.scope, f.key, CompareOp.REGEX, ".*");
        } else {
          throw unsupported(v, "comparing an attribute with '" + v.text
              + "' (expected: a string, number or boolean)");
        }
        break;
      case DURATION:
        throw unsupported(v, "comparing an attribute with a duration");
      default:
        throw error(v, "unexpected " + v.describe() + " (expected: a string, number or boolean)");
    }
    return new AttributeCondition(f.scope, f.key, op, value);
  }

  private String number(Token v, boolean negative) {
    String s = negative ? "-" + v.text : v.text;
    if (s.indexOf('.') < 0 && s.indexOf('e') < 0 && s.indexOf('E') < 0) {
      try {
        return Long.toString(Long.parseLong(s));
      } catch (NumberFormatException e) {
        throw error(v, "number " + s + " (expected: a 64-bit integer or a decimal)");
      }
    }
    // doubles as Java prints them, as the store writes double attributes: 1.50 → 1.5
    return Double.toString(Double.parseDouble(s));
  }

  private static boolean isAggregate(String w) {
    return switch (w) {
      case "count", "avg", "min", "max", "sum", "select", "by", "coalesce", "rate", "count_over_time",
          "quantile_over_time", "histogram_over_time", "min_over_time", "max_over_time", "avg_over_time",
          "sum_over_time", "compare", "topk", "bottomk" -> true;
      default -> false;
    };
  }

  private static boolean isArithmetic(Token t) {
    return t.type == T.MINUS || t.type == T.ARITH;
  }

  // ---- tokens ----

  private Token peek() {
    return tokens.get(pos);
  }

  private Token next() {
    Token t = tokens.get(pos);
    if (t.type != T.EOF) {
      pos++;
    }
    return t;
  }

  private void expect(T type, String what) {
    Token t = next();
    if (t.type != type) {
      throw error(t, "unexpected " + t.describe() + " (expected: " + what + ")");
    }
  }

  private InvalidInputException error(Token t, String msg) {
    return new InvalidInputException("TraceQL parse error at " + where(t.offset) + ": " + msg);
  }

  private InvalidInputException unsupported(Token t, String construct) {
    return new InvalidInputException("TraceQL at " + where(t.offset) + ": " + construct
        + " is not supported (Loupe serves span sets { ... } with conditions joined by && and ||, and span sets"
        + " joined by && and ||)");
  }

  /** {@code line L, col C}, both from 1, columns in characters. */
  private String where(int offset) {
    int line = 1;
    int col = 1;
    for (int i = 0; i < offset && i < src.length(); i++) {
      if (src.charAt(i) == '\n') {
        line++;
        col = 1;
      } else {
        col++;
      }
    }
    return "line " + line + ", col " + col;
  }

  enum T {
    LBRACE, RBRACE, LPAREN, RPAREN, AND, OR, PIPE, NOT, EQ, NE, RE, NRE, GT, GE, LT, LE, DESCENDANT, ANCESTOR,
    SIBLING, MINUS, ARITH, STRING, NUMBER, DURATION, WORD, ATTR, EOF
  }

  record Token(T type, String text, int offset) {
    String describe() {
      return switch (type) {
        case EOF -> "end of query";
        case STRING -> "string \"" + text + "\"";
        case NUMBER -> "number " + text;
        case DURATION -> "duration " + text;
        default -> "'" + text + "'";
      };
    }
  }

  private final class Lexer {
    private final String s;
    private int i;

    Lexer(String s) {
      this.s = s;
    }

    List<Token> all() {
      List<Token> out = new ArrayList<>();
      while (true) {
        Token t = token();
        out.add(t);
        if (t.type == T.EOF) {
          return out;
        }
      }
    }

    private Token token() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
      int start = i;
      if (i >= s.length()) {
        return new Token(T.EOF, "", start);
      }
      char c = s.charAt(i);
      char d = i + 1 < s.length() ? s.charAt(i + 1) : '\0';
      switch (c) {
        case '{': i++; return new Token(T.LBRACE, "{", start);
        case '}': i++; return new Token(T.RBRACE, "}", start);
        case '(': i++; return new Token(T.LPAREN, "(", start);
        case ')': i++; return new Token(T.RPAREN, ")", start);
        case '&':
          if (d == '&') {
            i += 2;
            return new Token(T.AND, "&&", start);
          }
          i++;
          return new Token(T.ARITH, "&", start);
        case '|':
          if (d == '|') {
            i += 2;
            return new Token(T.OR, "||", start);
          }
          i++;
          return new Token(T.PIPE, "|", start);
        case '=':
          if (d == '~') {
            i += 2;
            return new Token(T.RE, "=~", start);
          }
          i++;
          return new Token(T.EQ, "=", start);
        case '!':
          if (d == '=') {
            i += 2;
            return new Token(T.NE, "!=", start);
          }
          if (d == '~') {
            i += 2;
            return new Token(T.NRE, "!~", start);
          }
          i++;
          return new Token(T.NOT, "!", start);
        case '>':
          if (d == '>') {
            i += 2;
            return new Token(T.DESCENDANT, ">>", start);
          }
          if (d == '=') {
            i += 2;
            return new Token(T.GE, ">=", start);
          }
          i++;
          return new Token(T.GT, ">", start);
        case '<':
          if (d == '<') {
            i += 2;
            return new Token(T.ANCESTOR, "<<", start);
          }
          if (d == '=') {
            i += 2;
            return new Token(T.LE, "<=", start);
          }
          i++;
          return new Token(T.LT, "<", start);
        case '~': i++; return new Token(T.SIBLING, "~", start);
        case '-': i++; return new Token(T.MINUS, "-", start);
        case '+': case '*': case '/': case '%': case '^': case ',': case '[': case ']':
          i++;
          return new Token(T.ARITH, String.valueOf(c), start);
        case '"': case '`':
          return new Token(T.STRING, string(c), start);
        default:
          break;
      }
      if (c >= '0' && c <= '9') {
        return numberOrDuration(start);
      }
      if (c == '.' && i + 1 < s.length() && (wordChar(d) || d == '"')) {
        i++;
        return new Token(T.ATTR, "." + name(), start);
      }
      if (Character.isLetter(c) || c == '_') {
        return new Token(T.WORD, name(), start);
      }
      throw new InvalidInputException("TraceQL parse error at " + where(start) + ": unexpected character '" + c
          + "'");
    }

    /** An identifier or dotted attribute name; a part in quotes ({@code span."a b"}) joins in. */
    private String name() {
      StringBuilder sb = new StringBuilder();
      while (i < s.length()) {
        char c = s.charAt(i);
        if (wordChar(c)) {
          sb.append(c);
          i++;
        } else if (c == '"' && sb.length() > 0 && sb.charAt(sb.length() - 1) == '.') {
          sb.append(string('"'));
        } else if (c == '"' && sb.length() == 0) {
          sb.append(string('"'));
        } else {
          break;
        }
      }
      return sb.toString();
    }

    private boolean wordChar(char c) {
      return Character.isLetterOrDigit(c) || c == '_' || c == '.' || c == ':' || c == '-' || c == '/' || c == '@';
    }

    private Token numberOrDuration(int start) {
      while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
        i++;
      }
      if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E') && i + 1 < s.length()
          && (Character.isDigit(s.charAt(i + 1)) || s.charAt(i + 1) == '-' || s.charAt(i + 1) == '+')) {
        i += 2;
        while (i < s.length() && Character.isDigit(s.charAt(i))) {
          i++;
        }
        return number(start);
      }
      if (i < s.length() && Character.isLetter(s.charAt(i))) {
        // a Go duration: number-unit pairs such as 1h30m or 1.5s
        while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '.')) {
          i++;
        }
        String text = s.substring(start, i);
        try {
          GoDurations.parseNanos("duration", text);
        } catch (InvalidInputException e) {
          throw new InvalidInputException("TraceQL parse error at " + where(start) + ": duration '" + text
              + "' (expected: a number with a unit ns, us, ms, s, m or h, such as 100ms or 1.5s)");
        }
        return new Token(T.DURATION, text, start);
      }
      return number(start);
    }

    private Token number(int start) {
      String text = s.substring(start, i);
      try {
        Double.parseDouble(text);
      } catch (NumberFormatException e) {
        throw new InvalidInputException("TraceQL parse error at " + where(start) + ": number '" + text + "'");
      }
      return new Token(T.NUMBER, text, start);
    }

    /** A string in double quotes with Go escapes, or in back quotes taken as is. */
    private String string(char quote) {
      int start = i;
      i++;
      StringBuilder sb = new StringBuilder();
      while (i < s.length()) {
        char c = s.charAt(i++);
        if (c == quote) {
          return sb.toString();
        }
        if (c == '\\' && quote == '"' && i < s.length()) {
          char e = s.charAt(i++);
          switch (e) {
            case 'n' -> sb.append('\n');
            case 't' -> sb.append('\t');
            case 'r' -> sb.append('\r');
            case '"', '\\', '\'' -> sb.append(e);
            default -> {
              // keep regex escapes such as \d and \. as written
              sb.append('\\').append(e);
            }
          }
        } else {
          sb.append(c);
        }
      }
      throw new InvalidInputException("TraceQL parse error at " + where(start) + ": string not terminated (expected: "
          + quote + ")");
    }
  }
}
