package io.loupe.query.api;

import io.loupe.model.Matcher;
import io.loupe.query.api.internal.ParserSyntax;
import io.loupe.query.promql.QueryException;
import java.util.List;

/**
 * What the HTTP API needs from a PromQL parser besides evaluation: canonical formatting ({@code /api/v1/format_query}),
 * the syntax tree ({@code /api/v1/parse_query}) and the selectors of an expression ({@code /api/v1/query_exemplars}).
 * {@link #standard()} is the engine's own parser ({@code io.loupe.query.promql.parser}), and the default.
 *
 * <p>Every method throws {@link QueryException} with {@link QueryException.ErrorType#BAD_DATA} when the query does not
 * parse, its message in Prometheus's form ("1:5: parse error: ...").
 */
public interface PromqlSyntax {
  /** The query printed canonically, as Prometheus's {@code format_query} does. */
  String format(String query);

  /** The syntax tree as JSON text, Prometheus's shape: {@code {"type":"vectorSelector",...}}. */
  String astJson(String query);

  /** The matchers of every vector and matrix selector of the query, in order of appearance. */
  List<List<Matcher>> selectors(String query);

  /** The PromQL engine's parser, printer and AST JSON. */
  static PromqlSyntax standard() {
    return ParserSyntax.INSTANCE;
  }
}
