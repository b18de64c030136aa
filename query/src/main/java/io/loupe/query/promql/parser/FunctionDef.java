package io.loupe.query.promql.parser;

import static io.loupe.query.promql.parser.ValueType.MATRIX;
import static io.loupe.query.promql.parser.ValueType.SCALAR;
import static io.loupe.query.promql.parser.ValueType.STRING;
import static io.loupe.query.promql.parser.ValueType.VECTOR;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A PromQL function's signature. {@code variadic} is 0 for a fixed arity, {@code -1} for "any number of trailing
 * arguments of the last type", and n &gt; 0 for "up to n optional trailing arguments".
 */
public record FunctionDef(String name, List<ValueType> argTypes, int variadic, ValueType returnType,
    boolean experimental) {
  public FunctionDef {
    argTypes = List.copyOf(argTypes);
  }

  private static final Map<String, FunctionDef> ALL = new HashMap<>();

  private static void def(String name, ValueType ret, int variadic, boolean exp, ValueType... args) {
    ALL.put(name, new FunctionDef(name, List.of(args), variadic, ret, exp));
  }

  static {
    for (String f : new String[] {"abs", "ceil", "exp", "floor", "ln", "log10", "log2", "sqrt", "sgn", "deg", "rad",
        "acos", "acosh", "asin", "asinh", "atan", "atanh", "cos", "cosh", "sin", "sinh", "tan", "tanh",
        "histogram_avg", "histogram_count", "histogram_sum", "histogram_stddev", "histogram_stdvar", "sort",
        "sort_desc", "timestamp"}) {
      def(f, VECTOR, 0, false, VECTOR);
    }
    for (String f : new String[] {"day_of_month", "day_of_week", "day_of_year", "days_in_month", "hour", "minute",
        "month", "year"}) {
      def(f, VECTOR, 1, false, VECTOR);
    }
    for (String f : new String[] {"avg_over_time", "count_over_time", "max_over_time", "min_over_time",
        "sum_over_time", "stddev_over_time", "stdvar_over_time", "last_over_time", "first_over_time",
        "present_over_time", "absent_over_time", "changes", "resets", "rate", "irate", "increase", "delta", "idelta",
        "deriv"}) {
      def(f, VECTOR, 0, false, MATRIX);
    }
    for (String f : new String[] {"mad_over_time", "ts_of_max_over_time", "ts_of_min_over_time",
        "ts_of_last_over_time", "ts_of_first_over_time"}) {
      def(f, VECTOR, 0, true, MATRIX);
    }
    def("absent", VECTOR, 0, false, VECTOR);
    def("clamp", VECTOR, 0, false, VECTOR, SCALAR, SCALAR);
    def("clamp_max", VECTOR, 0, false, VECTOR, SCALAR);
    def("clamp_min", VECTOR, 0, false, VECTOR, SCALAR);
    def("histogram_fraction", VECTOR, 0, false, SCALAR, SCALAR, VECTOR);
    def("histogram_quantile", VECTOR, 0, false, SCALAR, VECTOR);
    def("double_exponential_smoothing", VECTOR, 0, true, MATRIX, SCALAR, SCALAR);
    def("label_replace", VECTOR, 0, false, VECTOR, STRING, STRING, STRING, STRING);
    def("label_join", VECTOR, -1, false, VECTOR, STRING, STRING, STRING);
    def("pi", SCALAR, 0, false);
    def("predict_linear", VECTOR, 0, false, MATRIX, SCALAR);
    def("quantile_over_time", VECTOR, 0, false, SCALAR, MATRIX);
    def("round", VECTOR, 1, false, VECTOR, SCALAR);
    def("scalar", SCALAR, 0, false, VECTOR);
    def("sort_by_label", VECTOR, -1, true, VECTOR, STRING);
    def("sort_by_label_desc", VECTOR, -1, true, VECTOR, STRING);
    def("time", SCALAR, 0, false);
    for (String f : new String[] {"step", "range", "start", "end"}) {
      def(f, SCALAR, 0, true);
    }
    def("min_of", SCALAR, 0, true, SCALAR, SCALAR);
    def("info", VECTOR, 1, true, VECTOR, VECTOR);
    def("max_of", SCALAR, 0, true, SCALAR, SCALAR);
    def("vector", VECTOR, 0, false, SCALAR);
  }

  /** The function named {@code name}, or null. */
  public static FunctionDef lookup(String name) {
    return ALL.get(name);
  }
}
