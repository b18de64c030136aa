package io.loupe.query.promql.parser;

import static java.util.Objects.requireNonNull;

import io.loupe.model.Matcher;
import java.util.List;

/**
 * A parsed PromQL expression. {@link #toString()} prints canonical PromQL (what Prometheus's {@code format_query}
 * prints, modulo whitespace), which parses back to an equal tree.
 */
public sealed interface Expr {
  /** The static type of the expression's result. */
  ValueType type();

  /**
   * Prometheus 3's experimental selector modifiers: {@code anchored} ranges start at the last sample before the range,
   * {@code smoothed} ones interpolate at both ends.
   */
  enum Ext {
    NONE, ANCHORED, SMOOTHED
  }

  /** How an {@code @} modifier pins evaluation time. */
  enum At {
    NONE, TIME, START, END
  }

  /** Binary operators, with Prometheus's precedence (higher binds tighter). */
  enum BinOp {
    OR("or", 1), AND("and", 2), UNLESS("unless", 2),
    EQL("==", 3), NEQ("!=", 3), LSS("<", 3), LTE("<=", 3), GTR(">", 3), GTE(">=", 3),
    ADD("+", 4), SUB("-", 4), MUL("*", 5), DIV("/", 5), MOD("%", 5), ATAN2("atan2", 5), POW("^", 6);

    private final String text;
    private final int precedence;

    BinOp(String text, int precedence) {
      this.text = text;
      this.precedence = precedence;
    }

    public String text() {
      return text;
    }

    public int precedence() {
      return precedence;
    }

    public boolean isComparison() {
      return precedence == 3;
    }

    public boolean isSetOperator() {
      return this == OR || this == AND || this == UNLESS;
    }
  }

  /** Aggregation operators. */
  enum AggOp {
    SUM, AVG, MIN, MAX, COUNT, GROUP, STDDEV, STDVAR, TOPK, BOTTOMK, QUANTILE, COUNT_VALUES, LIMITK, LIMIT_RATIO;

    public String text() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The type of the parameter, or null when the operator takes none. */
    public ValueType paramType() {
      return switch (this) {
        case TOPK, BOTTOMK, QUANTILE, LIMITK, LIMIT_RATIO -> ValueType.SCALAR;
        case COUNT_VALUES -> ValueType.STRING;
        default -> null;
      };
    }

    public boolean experimental() {
      return this == LIMITK || this == LIMIT_RATIO;
    }

    static AggOp of(String s) {
      for (AggOp op : values()) {
        if (op.text().equals(s)) {
          return op;
        }
      }
      return null;
    }
  }

  /** One-to-one, many-to-one (group_left), one-to-many (group_right), or many-to-many (set operators). */
  enum Card {
    ONE_TO_ONE, MANY_TO_ONE, ONE_TO_MANY, MANY_TO_MANY
  }

  record NumberLiteral(double value) implements Expr {
    @Override
    public ValueType type() {
      return ValueType.SCALAR;
    }

    @Override
    public String toString() {
      return Printer.print(this);
    }
  }

  record StringLiteral(String value) implements Expr {
    public StringLiteral {
      requireNonNull(value, "value");
    }

    @Override
    public ValueType type() {
      return ValueType.STRING;
    }

    @Override
    public String toString() {
      return Printer.print(this);
    }
  }

  /**
   * {@code name{matchers} offset o @ t}. {@code matchers} include the {@code __name__} matcher when a name is given.
   * {@code atMs} only counts when {@code at} is {@link At#TIME}.
   */
  record VectorSelector(String name, List<Matcher> matchers, long offsetMs, At at, long atMs, Ext ext)
      implements Expr {
    public VectorSelector {
      requireNonNull(name, "name");
      matchers = List.copyOf(matchers);
      requireNonNull(at, "at");
      requireNonNull(ext, "ext");
    }

    public VectorSelector(String name, List<Matcher> matchers, long offsetMs, At at, long atMs) {
      this(name, matchers, offsetMs, at, atMs, Ext.NONE);
    }

    public VectorSelector withOffset(long o) {
      return new VectorSelector(name, matchers, o, at, atMs, ext);
    }

    public VectorSelector withAt(At a, long t) {
      return new VectorSelector(name, matchers, offsetMs, a, t, ext);
    }

    public VectorSelector withExt(Ext e) {
      return new VectorSelector(name, matchers, offsetMs, at, atMs, e);
    }

    @Override
    public ValueType type() {
      return ValueType.VECTOR;
    }

    @Override
    public String toString() {
      return Printer.print(this);
    }
  }

  /** {@code selector[range]}; offset and @ live on the selector. */
  record MatrixSelector(VectorSelector selector, long rangeMs) implements Expr {
    public MatrixSelector {
      requireNonNull(selector, "selector");
    }

    @Override
    public ValueType type() {
      return ValueType.MATRIX;
    }

    @Override
    public String toString() {
      return Printer.print(this);
    }
  }

  /** {@code expr[range:step]}; {@code stepMs} 0 means the default (the query step, or the engine's default). */
  record Subquery(Expr expr, long rangeMs, long stepMs, long offsetMs, At at, long atMs) implements Expr {
    public Subquery {
      requireNonNull(expr, "expr");
      requireNonNull(at, "at");
    }

    public Subquery withOffset(long o) {
      return new Subquery(expr, rangeMs, stepMs, o, at, atMs);
    }

    public Subquery withAt(At a, long t) {
      return new Subquery(expr, rangeMs, stepMs, offsetMs, a, t);
    }

    @Override
    public ValueType type() {
      return ValueType.MATRIX;
    }

    @Override
    public String toString() {
      return Printer.print(this);
    }
  }

  record Paren(Expr expr) implements Expr {
    public Paren {
      requireNonNull(expr, "expr");
    }

    @Override
    public ValueType type() {
      return expr.type();
    }

    @Override
    public String toString() {
      return Printer.print(this);
    }
  }

  /** Unary minus or plus. */
  record Unary(BinOp op, Expr expr) implements Expr {
    public Unary {
      requireNonNull(op, "op");
      requireNonNull(expr, "expr");
    }

    @Override
    public ValueType type() {
      return expr.type();
    }

    @Override
    public String toString() {
      return Printer.print(this);
    }
  }

  /**
   * Label matching of a binary operation between vectors. {@code fillLeft}/{@code fillRight} (experimental
   * {@code fill_left(v)}/{@code fill_right(v)}, null when absent) stand in for a missing left or right operand.
   */
  record VectorMatching(Card card, List<String> labels, boolean on, List<String> include, Double fillLeft,
      Double fillRight) {
    public VectorMatching {
      requireNonNull(card, "card");
      labels = List.copyOf(labels);
      include = List.copyOf(include);
    }

    public VectorMatching(Card card, List<String> labels, boolean on, List<String> include) {
      this(card, labels, on, include, null, null);
    }
  }

  /** {@code lhs op [bool] [on|ignoring(...)] [group_x(...)] rhs}; {@code matching} is null unless both are vectors. */
  record Binary(BinOp op, Expr lhs, Expr rhs, VectorMatching matching, boolean returnBool) implements Expr {
    public Binary {
      requireNonNull(op, "op");
      requireNonNull(lhs, "lhs");
      requireNonNull(rhs, "rhs");
    }

    @Override
    public ValueType type() {
      return lhs.type() == ValueType.SCALAR && rhs.type() == ValueType.SCALAR ? ValueType.SCALAR : ValueType.VECTOR;
    }

    @Override
    public String toString() {
      return Printer.print(this);
    }
  }

  /** {@code op [by|without (grouping)] ([param,] expr)}; {@code param} is null for operators without one. */
  record Aggregate(AggOp op, Expr expr, Expr param, List<String> grouping, boolean without) implements Expr {
    public Aggregate {
      requireNonNull(op, "op");
      requireNonNull(expr, "expr");
      grouping = List.copyOf(grouping);
    }

    @Override
    public ValueType type() {
      return ValueType.VECTOR;
    }

    @Override
    public String toString() {
      return Printer.print(this);
    }
  }

  record Call(FunctionDef func, List<Expr> args) implements Expr {
    public Call {
      requireNonNull(func, "func");
      args = List.copyOf(args);
    }

    @Override
    public ValueType type() {
      return func.returnType();
    }

    @Override
    public String toString() {
      return Printer.print(this);
    }
  }
}
