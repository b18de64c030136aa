package io.loupe.query.promql;

import static java.util.Objects.requireNonNull;

import io.loupe.model.Queryable;
import io.loupe.model.Tenant;
import io.loupe.query.promql.internal.Evaluator;
import io.loupe.query.promql.parser.Expr;
import io.loupe.query.promql.parser.Parser;
import io.loupe.query.promql.parser.ValueType;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * The PromQL engine: parses a query and evaluates it step-wise over a {@link Queryable}, loading each selected series
 * once per selector for the whole range. Thread-safe and stateless between queries.
 */
public final class Engine implements QueryEngine {
  private final Queryable queryable;
  private final EngineOptions options;

  public Engine(Queryable queryable, EngineOptions options) {
    this.queryable = requireNonNull(queryable, "queryable");
    this.options = requireNonNull(options, "options");
  }

  public Engine(Queryable queryable) {
    this(queryable, EngineOptions.defaults());
  }

  public EngineOptions options() {
    return options;
  }

  /** Parses {@code query} with this engine's options (experimental functions on or off). */
  public Expr parse(String query) {
    requireNonNull(query, "query");
    return Parser.parse(query, options.experimentalFunctions());
  }

  @Override
  public Value instantQuery(Tenant tenant, String query, long timeMs, Duration timeout, BooleanSupplier cancelled) {
    return instant(tenant, query, timeMs, timeout, cancelled).value();
  }

  /** An instant query of an already parsed expression. */
  public Value instantQuery(Tenant tenant, Expr expr, long timeMs, Duration timeout, BooleanSupplier cancelled) {
    return instant(tenant, expr, timeMs, timeout, cancelled).value();
  }

  /** An instant query, with the warnings and infos Prometheus would attach to its response. */
  public QueryResult instant(Tenant tenant, String query, long timeMs, Duration timeout, BooleanSupplier cancelled) {
    requireNonNull(query, "query");
    return instant(tenant, Parser.parse(query, options.experimentalFunctions(), new Parser.QueryContext(0, 0)),
        timeMs, timeout, cancelled);
  }

  /** An instant query of a parsed expression, with annotations. */
  public QueryResult instant(Tenant tenant, Expr expr, long timeMs, Duration timeout, BooleanSupplier cancelled) {
    requireNonNull(tenant, "tenant");
    requireNonNull(expr, "expr");
    requireNonNull(timeout, "timeout");
    requireNonNull(cancelled, "cancelled");
    Evaluator ev = new Evaluator(queryable, options, tenant, timeout, cancelled, timeMs, timeMs, 1);
    Value v = ev.instant(expr);
    return new QueryResult(v, ev.warnings(), ev.infos());
  }

  @Override
  public Value rangeQuery(Tenant tenant, String query, long startMs, long endMs, long stepMs, Duration timeout,
      BooleanSupplier cancelled) {
    return range(tenant, query, startMs, endMs, stepMs, timeout, cancelled).value();
  }

  /** A range query of an already parsed expression. */
  public Value rangeQuery(Tenant tenant, Expr expr, long startMs, long endMs, long stepMs, Duration timeout,
      BooleanSupplier cancelled) {
    return range(tenant, expr, startMs, endMs, stepMs, timeout, cancelled).value();
  }

  /** A range query, with the warnings and infos Prometheus would attach to its response. */
  public QueryResult range(Tenant tenant, String query, long startMs, long endMs, long stepMs, Duration timeout,
      BooleanSupplier cancelled) {
    requireNonNull(query, "query");
    return range(tenant, Parser.parse(query, options.experimentalFunctions(),
        new Parser.QueryContext(stepMs, endMs - startMs)), startMs, endMs, stepMs, timeout, cancelled);
  }

  /** A range query of a parsed expression, with annotations. */
  public QueryResult range(Tenant tenant, Expr expr, long startMs, long endMs, long stepMs, Duration timeout,
      BooleanSupplier cancelled) {
    requireNonNull(tenant, "tenant");
    requireNonNull(expr, "expr");
    requireNonNull(timeout, "timeout");
    requireNonNull(cancelled, "cancelled");
    if (stepMs <= 0) {
      throw new QueryException(QueryException.ErrorType.BAD_DATA,
          "zero or negative query resolution step widths are not accepted. Try a positive integer");
    }
    if (endMs < startMs) {
      throw new QueryException(QueryException.ErrorType.BAD_DATA, "end timestamp must not be before start time");
    }
    if (expr.type() != ValueType.SCALAR && expr.type() != ValueType.VECTOR) {
      throw new QueryException(QueryException.ErrorType.BAD_DATA, "invalid expression type \"" + expr.type().text()
          + "\" for range query, must be Scalar or instant Vector");
    }
    Evaluator ev = new Evaluator(queryable, options, tenant, timeout, cancelled, startMs, endMs, stepMs);
    Value v = ev.range(expr);
    return new QueryResult(v, ev.warnings(), ev.infos());
  }
}
