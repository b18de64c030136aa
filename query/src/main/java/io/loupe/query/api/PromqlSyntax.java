package io.loupe.query.api;

import io.loupe.model.Matcher;
import io.loupe.query.api.internal.SeriesSelectorParser;
import io.loupe.query.promql.QueryException;
import java.util.List;

/**
 * What the HTTP API needs from a PromQL parser besides evaluation: canonical formatting ({@code /api/v1/format_query}),
 * the syntax tree ({@code /api/v1/parse_query}) and the selectors of an expression ({@code /api/v1/query_exemplars}).
 * The lead wires the PromQL engine's parser in; until then {@link #seriesSelectorsOnly()} serves what it can.
 *
 * <p>Every method throws {@link QueryException} with {@link QueryException.ErrorType#BAD_DATA} when the query does not
 * parse, its message in Prometheus's form ("1:5: parse error: ...").
 */
public interface PromqlSyntax {
  /** The query printed canonically, as Prometheus's {@code format_query} does. */
  String format(String query);

  /**
   * The syntax tree as a JSON-like value: {@code Map<String, ?>} (iteration order kept), {@code List<?>}, {@code
   * String}, {@code Number}, {@code Boolean} or null. Prometheus's shape: {@code {"type":"vectorSelector",...}}.
   */
  Object parseTree(String query);

  /** The matchers of every vector and matrix selector of the query, in order of appearance. */
  List<List<Matcher>> selectors(String query);

  /**
   * A stand-in until a full parser is wired: accepts only a single series selector ({@code up}, {@code
   * rate_total{job="a"}}); {@code format_query} and {@code parse_query} answer {@code unavailable}.
   */
  static PromqlSyntax seriesSelectorsOnly() {
    return new PromqlSyntax() {
      @Override
      public String format(String query) {
        throw new QueryException(QueryException.ErrorType.UNAVAILABLE,
            "format_query: no PromQL parser is configured on this server");
      }

      @Override
      public Object parseTree(String query) {
        throw new QueryException(QueryException.ErrorType.UNAVAILABLE,
            "parse_query: no PromQL parser is configured on this server");
      }

      @Override
      public List<List<Matcher>> selectors(String query) {
        return List.of(SeriesSelectorParser.parse(query));
      }
    };
  }
}
