package io.loupe.tracestore.internal;

import io.loupe.tracestore.AttributeCondition;
import io.loupe.tracestore.TraceQuery;
import java.util.Locale;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermQuery;

/** Turns a {@link TraceQuery} into a Lucene query over the span documents of {@link SearchIndex}. */
public final class SearchQueries {
  private SearchQueries() {}

  public static Query of(String tenant, TraceQuery q) {
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    // Every clause is a filter: results are ordered by time, never by score.
    b.add(new TermQuery(new Term(SearchIndex.TENANT, tenant)), BooleanClause.Occur.FILTER);
    b.add(LongPoint.newRangeQuery(SearchIndex.START, q.startEpochNanos(), q.endEpochNanos()),
        BooleanClause.Occur.FILTER);
    if (!q.serviceName().isEmpty()) {
      b.add(term(SearchIndex.SERVICE, SearchIndex.key(tenant, q.serviceName())), BooleanClause.Occur.FILTER);
    }
    if (!q.spanName().isEmpty()) {
      b.add(term(SearchIndex.NAME, SearchIndex.key(tenant, q.spanName())), BooleanClause.Occur.FILTER);
    }
    if (q.kind() != null) {
      b.add(term(SearchIndex.KIND, q.kind().name().toLowerCase(Locale.ROOT)), BooleanClause.Occur.FILTER);
    }
    if (q.statusCode() != null) {
      b.add(term(SearchIndex.STATUS, q.statusCode().name().toLowerCase(Locale.ROOT)), BooleanClause.Occur.FILTER);
    }
    if (q.minDurationNanos() > 0 || q.maxDurationNanos() < Long.MAX_VALUE) {
      b.add(LongPoint.newRangeQuery(SearchIndex.DURATION, q.minDurationNanos(), q.maxDurationNanos()),
          BooleanClause.Occur.FILTER);
    }
    for (AttributeCondition c : q.attributes()) {
      String v = SearchIndex.key(tenant, c.value());
      Query r = term(SearchIndex.RESOURCE_PREFIX + c.key(), v);
      Query s = term(SearchIndex.SPAN_PREFIX + c.key(), v);
      Query one = switch (c.scope()) {
        case RESOURCE -> r;
        case SPAN -> s;
        case ANY -> new BooleanQuery.Builder().add(r, BooleanClause.Occur.SHOULD).add(s, BooleanClause.Occur.SHOULD)
            .build();
      };
      b.add(one, BooleanClause.Occur.FILTER);
    }
    return b.build();
  }

  private static Query term(String field, String value) {
    return new TermQuery(new Term(field, value));
  }

}
