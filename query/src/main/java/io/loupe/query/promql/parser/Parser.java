package io.loupe.query.promql.parser;

import static java.util.Objects.requireNonNull;

import io.loupe.model.InvalidInputException;
import io.loupe.model.Labels;
import io.loupe.model.Matcher;
import io.loupe.query.promql.parser.Expr.AggOp;
import io.loupe.query.promql.parser.Expr.At;
import io.loupe.query.promql.parser.Expr.BinOp;
import io.loupe.query.promql.parser.Expr.Card;
import io.loupe.query.promql.parser.Lexer.Kind;
import io.loupe.query.promql.parser.Lexer.Token;
import java.util.ArrayList;
import java.util.List;

/**
 * A recursive-descent PromQL parser with Prometheus's precedence (or &lt; and/unless &lt; comparisons &lt; +,- &lt;
 * *,/,%,atan2 &lt; ^, which is right-associative; unary minus binds tighter than everything but ^) and its static type
 * checks. Errors are {@link ParseException}s whose messages read like Prometheus's.
 */
public final class Parser {
  private final String input;
  private final List<Token> tokens;
  private final boolean experimental;
  private final QueryContext context;
  private int p;
  // info()'s second argument selects info series by data labels; it may match the empty string everywhere
  private boolean lenientSelector;

  /**
   * What {@code step()} and {@code range()} mean inside duration expressions ({@code x[step()*2]}, Prometheus 3
   * experimental): they are folded to constants while parsing, so they need the query's step and range.
   */
  public record QueryContext(long stepMs, long rangeMs) {}

  private Parser(String input, boolean experimental, QueryContext context) {
    this.input = input;
    this.tokens = new Lexer(input).tokens();
    this.experimental = experimental;
    this.context = context;
  }

  /** Parses a query, allowing experimental functions and aggregations. */
  public static Expr parse(String input) {
    return parse(input, true);
  }

  /** Parses a query; experimental functions are rejected unless {@code experimental}. */
  public static Expr parse(String input, boolean experimental) {
    return parse(input, experimental, null);
  }

  /**
   * Parses a query for execution: {@code step()} and {@code range()} in durations fold to {@code context}'s values
   * (null: such durations are a parse error).
   */
  public static Expr parse(String input, boolean experimental, QueryContext context) {
    requireNonNull(input, "input");
    Parser ps = new Parser(input, experimental, context);
    if (ps.peek().kind() == Kind.EOF) {
      throw ps.err(ps.peek(), "no expression found in input");
    }
    Expr e = ps.expr(0);
    if (ps.peek().kind() != Kind.EOF) {
      throw ps.unexpected(ps.peek());
    }
    return e;
  }

  // ---- tokens

  private Token peek() {
    return tokens.get(p);
  }

  private Token peek(int ahead) {
    return tokens.get(Math.min(p + ahead, tokens.size() - 1));
  }

  private Token take() {
    Token t = tokens.get(p);
    if (t.kind() != Kind.EOF) {
      p++;
    }
    return t;
  }

  private Token expect(Kind k, String context) {
    Token t = peek();
    if (t.kind() != k) {
      throw err(t, "unexpected " + t.describe() + " in " + context + ", expected " + describe(k));
    }
    return take();
  }

  private static String describe(Kind k) {
    return switch (k) {
      case RPAREN -> "\")\"";
      case LPAREN -> "\"(\"";
      case RBRACE -> "\"}\"";
      case RBRACKET -> "\"]\"";
      case STRING -> "string";
      case IDENT -> "identifier";
      default -> k.name().toLowerCase();
    };
  }

  private boolean isIdent(Token t, String kw) {
    return t.kind() == Kind.IDENT && t.text().equalsIgnoreCase(kw);
  }

  ParseException err(Token t, String msg) {
    return ParseException.at(input, t.pos(), msg);
  }

  private ParseException errAt(int pos, String msg) {
    return ParseException.at(input, pos, msg);
  }

  private ParseException unexpected(Token t) {
    return err(t, "unexpected " + t.describe());
  }

  // ---- expressions

  private BinOp binOp(Token t) {
    return switch (t.kind()) {
      case ADD -> BinOp.ADD;
      case SUB -> BinOp.SUB;
      case MUL -> BinOp.MUL;
      case DIV -> BinOp.DIV;
      case MOD -> BinOp.MOD;
      case POW -> BinOp.POW;
      case EQLC -> BinOp.EQL;
      case NEQ -> BinOp.NEQ;
      case LSS -> BinOp.LSS;
      case LTE -> BinOp.LTE;
      case GTR -> BinOp.GTR;
      case GTE -> BinOp.GTE;
      case IDENT -> switch (t.text().toLowerCase()) {
        case "and" -> BinOp.AND;
        case "or" -> BinOp.OR;
        case "unless" -> BinOp.UNLESS;
        case "atan2" -> BinOp.ATAN2;
        default -> null;
      };
      default -> null;
    };
  }

  private Expr expr(int minPrec) {
    int startPos = peek().pos();
    Expr lhs = unary();
    while (true) {
      Token opTok = peek();
      BinOp op = binOp(opTok);
      if (op == null || op.precedence() < minPrec) {
        return lhs;
      }
      take();
      boolean returnBool = false;
      if (isIdent(peek(), "bool")) {
        take();
        returnBool = true;
      }
      boolean hasMatching = false;
      boolean on = false;
      List<String> matchLabels = List.of();
      Card card = Card.ONE_TO_ONE;
      List<String> include = List.of();
      if (isIdent(peek(), "on") || isIdent(peek(), "ignoring")) {
        on = isIdent(take(), "on");
        hasMatching = true;
        matchLabels = labelList();
      }
      if (isIdent(peek(), "group_left") || isIdent(peek(), "group_right")) {
        Token g = take();
        hasMatching = true;
        card = isIdent(g, "group_left") ? Card.MANY_TO_ONE : Card.ONE_TO_MANY;
        include = peek().kind() == Kind.LPAREN ? labelList() : List.of();
        if (op.isSetOperator()) {
          throw err(g, "no grouping allowed for \"" + op.text() + "\" operation");
        }
      }
      Double fillLeft = null;
      Double fillRight = null;
      while (peek(1).kind() == Kind.LPAREN && (isIdent(peek(), "fill") || isIdent(peek(), "fill_left")
          || isIdent(peek(), "fill_right"))) {
        Token f = take();
        if (!experimental) {
          throw err(f, "fill modifiers are experimental and must be enabled");
        }
        take();
        boolean neg = false;
        if (peek().kind() == Kind.SUB || peek().kind() == Kind.ADD) {
          neg = take().kind() == Kind.SUB;
        }
        Token n = take();
        if (n.kind() != Kind.NUMBER) {
          throw err(n, "unexpected " + n.describe() + " in fill modifier, expected number");
        }
        double v = parseNumber(n);
        v = neg ? -v : v;
        expect(Kind.RPAREN, "fill modifier");
        if (op.isSetOperator()) {
          throw err(f, "fill modifiers are not allowed for set operator \"" + op.text() + "\"");
        }
        hasMatching = true;
        String kw = f.text().toLowerCase();
        if (!kw.equals("fill_right")) {
          fillLeft = v;
        }
        if (!kw.equals("fill_left")) {
          fillRight = v;
        }
      }
      Expr rhs = expr(op == BinOp.POW ? op.precedence() : op.precedence() + 1);
      lhs = binary(startPos, opTok, op, lhs, rhs, returnBool, hasMatching, card, matchLabels, on, include);
      if ((fillLeft != null || fillRight != null) && lhs instanceof Expr.Binary b && b.matching() != null) {
        Expr.VectorMatching vm = b.matching();
        lhs = new Expr.Binary(b.op(), b.lhs(), b.rhs(), new Expr.VectorMatching(vm.card(), vm.labels(), vm.on(),
            vm.include(), fillLeft, fillRight), b.returnBool());
      }
    }
  }

  private Expr binary(int startPos, Token opTok, BinOp op, Expr lhs, Expr rhs, boolean returnBool,
      boolean hasMatching, Card card, List<String> labels, boolean on, List<String> include) {
    ValueType lt = lhs.type();
    ValueType rt = rhs.type();
    if ((lt != ValueType.SCALAR && lt != ValueType.VECTOR) || (rt != ValueType.SCALAR && rt != ValueType.VECTOR)) {
      throw errAt(startPos, "binary expression must contain only scalar and instant vector types");
    }
    if (returnBool && !op.isComparison()) {
      throw errAt(startPos, "bool modifier can only be used on comparison operators");
    }
    if (op.isComparison() && lt == ValueType.SCALAR && rt == ValueType.SCALAR && !returnBool) {
      throw errAt(startPos, "comparisons between scalars must use BOOL modifier");
    }
    if (op.isSetOperator() && (lt == ValueType.SCALAR || rt == ValueType.SCALAR)) {
      throw errAt(startPos, "set operator \"" + op.text() + "\" not allowed in binary scalar expression");
    }
    boolean bothVectors = lt == ValueType.VECTOR && rt == ValueType.VECTOR;
    if (!bothVectors && hasMatching) {
      throw errAt(startPos, "vector matching only allowed between instant vectors");
    }
    Expr.VectorMatching m = null;
    if (bothVectors) {
      if (op.isSetOperator()) {
        card = Card.MANY_TO_MANY;
      }
      if (on) {
        for (String l : include) {
          if (labels.contains(l)) {
            throw errAt(startPos, "label \"" + l + "\" must not occur in ON and GROUP clause at once");
          }
        }
      }
      m = new Expr.VectorMatching(card, labels, on, include);
    }
    return new Expr.Binary(op, lhs, rhs, m, returnBool);
  }

  private Expr unary() {
    Token t = peek();
    if (t.kind() == Kind.ADD || t.kind() == Kind.SUB) {
      take();
      Expr e = expr(BinOp.POW.precedence());
      if (e.type() != ValueType.SCALAR && e.type() != ValueType.VECTOR) {
        throw err(t, "unary expression only allowed on expressions of type scalar or instant vector, got \""
            + e.type().apiName() + "\"");
      }
      if (e instanceof Expr.NumberLiteral n) {
        return t.kind() == Kind.SUB ? new Expr.NumberLiteral(-n.value()) : n;
      }
      return new Expr.Unary(t.kind() == Kind.SUB ? BinOp.SUB : BinOp.ADD, e);
    }
    return postfix(primary());
  }

  private Expr postfix(Expr e) {
    while (true) {
      Token t = peek();
      if (t.kind() == Kind.LBRACKET) {
        take();
        long range = durationMs(true, "range");
        if (peek().kind() == Kind.COLON) {
          take();
          long step = 0;
          if (peek().kind() != Kind.RBRACKET) {
            step = durationMs(true, "step");
          }
          expect(Kind.RBRACKET, "subquery selector");
          if (e.type() != ValueType.VECTOR) {
            throw err(t, "subquery is only allowed on instant vector, got " + e.type().text() + " instead");
          }
          e = new Expr.Subquery(e, range, step, 0, At.NONE, 0);
        } else {
          expect(Kind.RBRACKET, "matrix selector");
          if (!(e instanceof Expr.VectorSelector vs)) {
            throw err(t, "ranges only allowed for vector selectors");
          }
          if (vs.offsetMs() != 0) {
            throw err(t, "no offset modifiers allowed before range");
          }
          if (vs.at() != At.NONE) {
            throw err(t, "no @ modifiers allowed before range");
          }
          e = new Expr.MatrixSelector(vs, range);
        }
      } else if (isIdent(t, "offset")) {
        take();
        long off = signedDurationMs("offset");
        e = withOffset(t, e, off);
      } else if (t.kind() == Kind.AT) {
        take();
        e = withAt(t, e);
      } else if ((isIdent(t, "anchored") || isIdent(t, "smoothed"))
          && (e instanceof Expr.VectorSelector || e instanceof Expr.MatrixSelector)) {
        take();
        if (!experimental) {
          throw err(t, "the " + t.text().toLowerCase() + " modifier is experimental and must be enabled");
        }
        Expr.Ext ext = isIdent(t, "anchored") ? Expr.Ext.ANCHORED : Expr.Ext.SMOOTHED;
        if (e instanceof Expr.VectorSelector vs) {
          if (ext == Expr.Ext.ANCHORED) {
            throw err(t, "anchored modifier can only be used with range vectors");
          }
          e = vs.withExt(ext);
        } else {
          Expr.MatrixSelector ms = (Expr.MatrixSelector) e;
          e = new Expr.MatrixSelector(ms.selector().withExt(ext), ms.rangeMs());
        }
      } else {
        return e;
      }
    }
  }

  private Expr withOffset(Token t, Expr e, long off) {
    if (e instanceof Expr.VectorSelector vs) {
      if (vs.offsetMs() != 0) {
        throw err(t, "offset may not be set multiple times");
      }
      return vs.withOffset(off);
    } else if (e instanceof Expr.MatrixSelector ms) {
      if (ms.selector().offsetMs() != 0) {
        throw err(t, "offset may not be set multiple times");
      }
      return new Expr.MatrixSelector(ms.selector().withOffset(off), ms.rangeMs());
    } else if (e instanceof Expr.Subquery sq) {
      if (sq.offsetMs() != 0) {
        throw err(t, "offset may not be set multiple times");
      }
      return sq.withOffset(off);
    }
    throw err(t, "offset modifier must be preceded by an instant vector selector or range vector selector or a "
        + "subquery");
  }

  private Expr withAt(Token t, Expr e) {
    At at;
    long ms = 0;
    Token v = peek();
    if ((isIdent(v, "start") || isIdent(v, "end")) && peek(1).kind() == Kind.LPAREN) {
      take();
      take();
      expect(Kind.RPAREN, "@ modifier");
      at = isIdent(v, "start") ? At.START : At.END;
    } else {
      boolean neg = false;
      if (v.kind() == Kind.SUB || v.kind() == Kind.ADD) {
        neg = take().kind() == Kind.SUB;
      }
      Token num = take();
      double secs;
      if (num.kind() == Kind.NUMBER) {
        secs = parseNumber(num);
      } else if (num.kind() == Kind.DURATION) {
        secs = parseDurationMs(num) / 1000.0;
      } else {
        throw err(num, "unexpected " + num.describe() + " in @, expected timestamp");
      }
      if (neg) {
        secs = -secs;
      }
      if (Double.isNaN(secs) || Double.isInfinite(secs) || Math.abs(secs * 1000) > 9.2e18) {
        throw err(num, "timestamp out of bounds for @ modifier: " + secs);
      }
      ms = Math.round(secs * 1000.0);
      at = At.TIME;
    }
    if (e instanceof Expr.VectorSelector vs) {
      if (vs.at() != At.NONE) {
        throw err(t, "@ <timestamp> may not be set multiple times");
      }
      return vs.withAt(at, ms);
    } else if (e instanceof Expr.MatrixSelector m) {
      if (m.selector().at() != At.NONE) {
        throw err(t, "@ <timestamp> may not be set multiple times");
      }
      return new Expr.MatrixSelector(m.selector().withAt(at, ms), m.rangeMs());
    } else if (e instanceof Expr.Subquery sq) {
      if (sq.at() != At.NONE) {
        throw err(t, "@ <timestamp> may not be set multiple times");
      }
      return sq.withAt(at, ms);
    }
    throw err(t, "@ modifier must be preceded by an instant vector selector or range vector selector or a subquery");
  }

  private Expr primary() {
    Token t = peek();
    switch (t.kind()) {
      case NUMBER:
        take();
        return new Expr.NumberLiteral(parseNumber(t));
      case DURATION:
        take();
        return new Expr.NumberLiteral(parseDurationMs(t) / 1000.0);
      case STRING:
        take();
        return new Expr.StringLiteral(t.text());
      case LPAREN: {
        take();
        Expr inner = expr(0);
        expect(Kind.RPAREN, "paren expression");
        return new Expr.Paren(inner);
      }
      case LBRACE:
        return selector(null, t);
      case IDENT:
        break;
      default:
        throw unexpected(t);
    }
    String name = t.text();
    Token next = peek(1);
    AggOp agg = AggOp.of(name.toLowerCase());
    if (agg != null && (next.kind() == Kind.LPAREN || isIdent(next, "by") || isIdent(next, "without"))) {
      return aggregation(agg);
    }
    if (next.kind() == Kind.LPAREN) {
      FunctionDef f = FunctionDef.lookup(name);
      if (f == null) {
        throw err(t, "unknown function with name \"" + name + "\"");
      }
      if (f.experimental() && !experimental) {
        throw err(t, "function \"" + name + "\" is not enabled");
      }
      take();
      return call(t, f);
    }
    if (isKeyword(name)) {
      throw unexpected(t);
    }
    take();
    return selector(name, t);
  }

  private static boolean isKeyword(String s) {
    return switch (s.toLowerCase()) {
      case "and", "or", "unless", "atan2", "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
          "offset" -> true;
      default -> false;
    };
  }

  private Expr call(Token nameTok, FunctionDef f) {
    expect(Kind.LPAREN, "function call");
    List<Expr> args = new ArrayList<>();
    List<Integer> argPos = new ArrayList<>();
    if (peek().kind() != Kind.RPAREN) {
      while (true) {
        argPos.add(peek().pos());
        lenientSelector = f.name().equals("info") && args.size() == 1;
        try {
          args.add(expr(0));
        } finally {
          lenientSelector = false;
        }
        if (peek().kind() == Kind.COMMA) {
          take();
          if (peek().kind() == Kind.RPAREN) {
            break;
          }
          continue;
        }
        break;
      }
    }
    expect(Kind.RPAREN, "function call");
    int n = args.size();
    int want = f.argTypes().size();
    String name = f.name();
    if (f.variadic() == 0) {
      if (n != want) {
        throw err(nameTok, "expected " + want + " argument(s) in call to \"" + name + "\", got " + n);
      }
    } else if (f.variadic() < 0) {
      if (n < want - 1) {
        throw err(nameTok, "expected at least " + (want - 1) + " argument(s) in call to \"" + name + "\", got " + n);
      }
    } else {
      if (n < want - f.variadic()) {
        throw err(nameTok, "expected at least " + (want - f.variadic()) + " argument(s) in call to \"" + name
            + "\", got " + n);
      }
      if (n > want) {
        throw err(nameTok, "expected at most " + want + " argument(s) in call to \"" + name + "\", got " + n);
      }
    }
    for (int i = 0; i < n; i++) {
      ValueType wantT = f.argTypes().get(Math.min(i, want - 1));
      ValueType got = args.get(i).type();
      if (got != wantT) {
        throw errAt(argPos.get(i), "expected type " + wantT.text() + " in call to function \"" + name + "\", got "
            + got.text());
      }
    }
    return new Expr.Call(f, args);
  }

  private Expr aggregation(AggOp op) {
    Token opTok = take();
    if (op.experimental() && !experimental) {
      throw err(opTok, "limitk() and limit_ratio() are experimental and must be enabled");
    }
    List<String> grouping = List.of();
    boolean without = false;
    boolean grouped = false;
    if (isIdent(peek(), "by") || isIdent(peek(), "without")) {
      without = isIdent(take(), "without");
      grouping = labelList();
      grouped = true;
    }
    expect(Kind.LPAREN, "aggregation");
    List<Expr> args = new ArrayList<>();
    List<Integer> argPos = new ArrayList<>();
    if (peek().kind() != Kind.RPAREN) {
      while (true) {
        argPos.add(peek().pos());
        args.add(expr(0));
        if (peek().kind() == Kind.COMMA) {
          take();
          if (peek().kind() == Kind.RPAREN) {
            break;
          }
          continue;
        }
        break;
      }
    }
    expect(Kind.RPAREN, "aggregation");
    if (!grouped && (isIdent(peek(), "by") || isIdent(peek(), "without"))) {
      without = isIdent(take(), "without");
      grouping = labelList();
    }
    if (args.isEmpty()) {
      throw err(opTok, "no arguments for aggregate expression provided");
    }
    int want = op.paramType() == null ? 1 : 2;
    if (args.size() != want) {
      throw err(opTok, "wrong number of arguments for aggregate expression provided, expected " + want + ", got "
          + args.size());
    }
    Expr param = want == 2 ? args.get(0) : null;
    Expr e = args.get(want - 1);
    if (e.type() != ValueType.VECTOR) {
      throw errAt(argPos.get(want - 1), "expected type instant vector in aggregation expression, got "
          + e.type().text());
    }
    if (param != null && param.type() != op.paramType()) {
      throw errAt(argPos.get(0), "expected type " + op.paramType().text() + " in aggregation parameter, got "
          + param.type().text());
    }
    return new Expr.Aggregate(op, e, param, grouping, without);
  }

  private List<String> labelList() {
    Token open = expect(Kind.LPAREN, "grouping opts");
    List<String> out = new ArrayList<>();
    while (peek().kind() != Kind.RPAREN) {
      Token t = take();
      if (t.kind() == Kind.IDENT || t.kind() == Kind.STRING || (t.kind() == Kind.NUMBER
          && Character.isLetter(t.text().charAt(0)))) {
        if (t.kind() == Kind.IDENT && t.text().contains(":")) {
          throw err(t, "unexpected " + t.describe() + " in grouping opts, expected label");
        }
        out.add(t.text());
      } else {
        throw err(t, "unexpected " + t.describe() + " in grouping opts, expected label");
      }
      if (peek().kind() == Kind.COMMA) {
        take();
      } else if (peek().kind() != Kind.RPAREN) {
        throw err(peek(), "unexpected " + peek().describe() + " in grouping opts, expected \")\" or \",\"");
      }
    }
    take();
    return out;
  }

  private Expr selector(String name, Token start) {
    List<Matcher> matchers = new ArrayList<>();
    String metric = name;
    if (peek().kind() == Kind.LBRACE) {
      take();
      while (peek().kind() != Kind.RBRACE) {
        Token l = take();
        String label;
        if (l.kind() == Kind.IDENT || (l.kind() == Kind.NUMBER && Character.isLetter(l.text().charAt(0)))) {
          label = l.text();
        } else if (l.kind() == Kind.STRING) {
          label = l.text();
          Kind k = peek().kind();
          if (k == Kind.COMMA || k == Kind.RBRACE) {
            // a bare quoted string is the metric name: {"my.metric"}
            if (metric != null) {
              throw err(l, "metric name must not be set twice: \"" + metric + "\" or \"" + label + "\"");
            }
            metric = label;
            if (peek().kind() == Kind.COMMA) {
              take();
            }
            continue;
          }
        } else {
          throw err(l, "unexpected " + l.describe() + " in label matching, expected label");
        }
        Token op = take();
        Matcher.Type type = switch (op.kind()) {
          case ASSIGN -> Matcher.Type.EQUAL;
          case NEQ -> Matcher.Type.NOT_EQUAL;
          case EQL_REGEX -> Matcher.Type.REGEX;
          case NEQ_REGEX -> Matcher.Type.NOT_REGEX;
          default -> throw err(op, "unexpected " + op.describe() + " in label matching, expected label matching "
              + "operator");
        };
        Token v = take();
        if (v.kind() != Kind.STRING) {
          throw err(v, "unexpected " + v.describe() + " in label matching, expected string");
        }
        try {
          matchers.add(Matcher.of(type, label, v.text()));
        } catch (InvalidInputException e) {
          throw err(v, e.getMessage());
        }
        if (peek().kind() == Kind.COMMA) {
          take();
        } else if (peek().kind() != Kind.RBRACE) {
          throw err(peek(), "unexpected " + peek().describe() + " in label matching, expected \",\" or \"}\"");
        }
      }
      take();
    }
    if (metric != null) {
      for (Matcher m : matchers) {
        if (m.name().equals(Labels.METRIC_NAME)) {
          throw err(start, "metric name must not be set twice: \"" + metric + "\" or \"" + m.value() + "\"");
        }
      }
      matchers.add(0, Matcher.equal(Labels.METRIC_NAME, metric));
    }
    boolean anyNonEmpty = false;
    for (Matcher m : matchers) {
      if (!m.matchesEmpty()) {
        anyNonEmpty = true;
        break;
      }
    }
    if (!anyNonEmpty && !lenientSelector) {
      throw err(start, "vector selector must contain at least one non-empty matcher");
    }
    String vsName = metric == null ? "" : metric;
    if (metric == null) {
      for (Matcher m : matchers) {
        if (m.name().equals(Labels.METRIC_NAME) && m.type() == Matcher.Type.EQUAL) {
          // keep name empty: Prometheus prints {__name__="x"} as written
          break;
        }
      }
    }
    return new Expr.VectorSelector(vsName, matchers, 0, At.NONE, 0);
  }

  // ---- literals and durations

  private double parseNumber(Token t) {
    String s = t.text().replace("_", "");
    String l = s.toLowerCase();
    if (l.equals("inf")) {
      return Double.POSITIVE_INFINITY;
    }
    if (l.equals("nan")) {
      return Double.NaN;
    }
    try {
      if (l.startsWith("0x")) {
        return Long.parseUnsignedLong(s.substring(2), 16);
      }
      if (l.length() > 1 && l.startsWith("0") && l.chars().allMatch(Character::isDigit)) {
        return Long.parseLong(s, 8);
      }
      return Double.parseDouble(s);
    } catch (NumberFormatException e) {
      throw err(t, "bad number or duration syntax: \"" + t.text() + "\"");
    }
  }

  /** Milliseconds of a duration literal like {@code 1h30m}. */
  public static long parseDurationText(String s) {
    long total = 0;
    int i = 0;
    if (s.equals("0")) {
      return 0;
    }
    while (i < s.length()) {
      int j = i;
      while (j < s.length() && Character.isDigit(s.charAt(j))) {
        j++;
      }
      if (j == i) {
        throw new IllegalArgumentException("duration: \"" + s + "\" (expected: like 5m or 1h30m)");
      }
      long n = Long.parseLong(s.substring(i, j));
      long unit;
      if (s.startsWith("ms", j)) {
        unit = 1;
        j += 2;
      } else if (j < s.length()) {
        unit = switch (s.charAt(j)) {
          case 's' -> 1000L;
          case 'm' -> 60_000L;
          case 'h' -> 3_600_000L;
          case 'd' -> 86_400_000L;
          case 'w' -> 7 * 86_400_000L;
          case 'y' -> 365 * 86_400_000L;
          default -> throw new IllegalArgumentException("duration: \"" + s + "\" (expected: units ms,s,m,h,d,w,y)");
        };
        j++;
      } else {
        throw new IllegalArgumentException("duration: \"" + s + "\" (expected: a unit after " + n + ")");
      }
      total = Math.addExact(total, Math.multiplyExact(n, unit));
      i = j;
    }
    return total;
  }

  private long parseDurationMs(Token t) {
    try {
      return parseDurationText(t.text());
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw err(t, "bad number or duration syntax: \"" + t.text() + "\"");
    }
  }

  private long signedDurationMs(String what) {
    Token t = peek();
    if (t.kind() == Kind.SUB) {
      take();
      return -durationMs(false, what);
    }
    if (t.kind() == Kind.ADD) {
      take();
    }
    return durationMs(false, what);
  }

  /**
   * A duration: a literal ({@code 5m}), a number of seconds, or (Prometheus 3 duration arithmetic) an expression of
   * those with + - * / % ^ and parentheses, folded here to milliseconds.
   */
  private long durationMs(boolean arithmetic, String what) {
    Token start = peek();
    double secs = arithmetic ? durExpr(0) : durAtom();
    if (Double.isNaN(secs) || Double.isInfinite(secs)) {
      throw err(start, what + " must be a finite duration");
    }
    long ms = Math.round(secs * 1000);
    if ((what.equals("range") || what.equals("step")) && ms <= 0) {
      throw err(start, what.equals("step") ? "step must be greater than 0" : "duration must be greater than 0");
    }
    return ms;
  }

  private double durExpr(int minPrec) {
    double lhs;
    Token t = peek();
    if (t.kind() == Kind.SUB || t.kind() == Kind.ADD) {
      take();
      double v = durExpr(6);
      lhs = t.kind() == Kind.SUB ? -v : v;
    } else {
      lhs = durAtom();
    }
    while (true) {
      Token o = peek();
      int prec = switch (o.kind()) {
        case ADD, SUB -> 4;
        case MUL, DIV, MOD -> 5;
        case POW -> 6;
        default -> -1;
      };
      if (prec < 0 || prec < minPrec) {
        return lhs;
      }
      take();
      double rhs = durExpr(o.kind() == Kind.POW ? prec : prec + 1);
      lhs = switch (o.kind()) {
        case ADD -> lhs + rhs;
        case SUB -> lhs - rhs;
        case MUL -> lhs * rhs;
        case DIV -> {
          if (rhs == 0) {
            throw err(o, "division by zero");
          }
          yield lhs / rhs;
        }
        case MOD -> {
          if (rhs == 0) {
            throw err(o, "modulo by zero");
          }
          yield lhs % rhs;
        }
        default -> Math.pow(lhs, rhs);
      };
    }
  }

  private double durAtom() {
    Token t = take();
    if (t.kind() == Kind.IDENT && peek().kind() == Kind.LPAREN) {
      String fn = t.text().toLowerCase();
      switch (fn) {
        case "step", "range" -> {
          take();
          expect(Kind.RPAREN, "duration expression");
          if (!experimental) {
            throw err(t, "function \"" + fn + "\" is not enabled");
          }
          if (context == null) {
            throw err(t, fn + "() in a duration needs the query's step and range");
          }
          return (fn.equals("step") ? context.stepMs() : context.rangeMs()) / 1000.0;
        }
        case "min_of", "max_of" -> {
          take();
          double a = durExpr(0);
          expect(Kind.COMMA, "duration expression");
          double b = durExpr(0);
          expect(Kind.RPAREN, "duration expression");
          if (Double.isNaN(a) || Double.isNaN(b)) {
            return Double.NaN;
          }
          return fn.equals("min_of") ? Math.min(a, b) : Math.max(a, b);
        }
        default -> throw err(t, "unexpected " + t.describe() + ", expected duration");
      }
    }
    switch (t.kind()) {
      case DURATION:
        return parseDurationMs(t) / 1000.0;
      case NUMBER:
        return parseNumber(t);
      case LPAREN: {
        double v = durExpr(0);
        expect(Kind.RPAREN, "duration expression");
        return v;
      }
      default:
        throw err(t, "unexpected " + t.describe() + ", expected duration");
    }
  }
}
