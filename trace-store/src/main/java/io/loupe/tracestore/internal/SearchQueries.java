package io.loupe.tracestore.internal;

import io.loupe.model.InvalidInputException;
import io.loupe.model.AttributeCondition;
import io.loupe.model.CompareOp;
import io.loupe.model.SpanFilter;
import io.loupe.model.TraceQuery;
import java.util.Locale;
import org.apache.lucene.document.DoublePoint;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.ConstantScoreQuery;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.PrefixQuery;
import org.apache.lucene.search.RegexpQuery;
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
      b.add(filter(tenant, c), BooleanClause.Occur.FILTER);
    }
    return b.build();
  }

  /** The Lucene query of one span filter (tenant and time are added by the caller). */
  public static Query filter(String tenant, SpanFilter f) {
    if (f instanceof AttributeCondition c) {
      return switch (c.scope()) {
        case RESOURCE -> attribute(tenant, SearchIndex.RESOURCE_PREFIX, SearchIndex.RESOURCE_NUMERIC_PREFIX,
            SearchIndex.RESOURCE_DOUBLE_PREFIX, c);
        case SPAN -> attribute(tenant, SearchIndex.SPAN_PREFIX, SearchIndex.SPAN_NUMERIC_PREFIX,
            SearchIndex.SPAN_DOUBLE_PREFIX, c);
        case ANY -> new BooleanQuery.Builder()
            .add(attribute(tenant, SearchIndex.RESOURCE_PREFIX, SearchIndex.RESOURCE_NUMERIC_PREFIX,
                SearchIndex.RESOURCE_DOUBLE_PREFIX, c), BooleanClause.Occur.SHOULD)
            .add(attribute(tenant, SearchIndex.SPAN_PREFIX, SearchIndex.SPAN_NUMERIC_PREFIX,
                SearchIndex.SPAN_DOUBLE_PREFIX, c), BooleanClause.Occur.SHOULD)
            .build();
      };
    }
    if (f instanceof SpanFilter.Intrinsic i) {
      return switch (i.field()) {
        case NAME -> keyword(tenant, SearchIndex.NAME, i.op(), i.value());
        case SERVICE -> keyword(tenant, SearchIndex.SERVICE, i.op(), i.value());
        case STATUS -> plain(SearchIndex.STATUS, i.op(), i.value().toLowerCase(Locale.ROOT));
        case KIND -> plain(SearchIndex.KIND, i.op(), i.value().toLowerCase(Locale.ROOT));
        case DURATION -> duration(i.op(), Long.parseLong(i.value()));
      };
    }
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    if (f instanceof SpanFilter.And and) {
      for (SpanFilter x : and.filters()) {
        b.add(filter(tenant, x), BooleanClause.Occur.FILTER);
      }
    } else if (f instanceof SpanFilter.Or or) {
      for (SpanFilter x : or.filters()) {
        b.add(filter(tenant, x), BooleanClause.Occur.SHOULD);
      }
      b.setMinimumNumberShouldMatch(1);
    }
    return new ConstantScoreQuery(b.build());
  }

  private static Query attribute(String tenant, String prefix, String longPrefix, String doublePrefix,
      AttributeCondition c) {
    switch (c.op()) {
      case GT:
      case GE:
      case LT:
      case LE: {
        double x = Double.parseDouble(c.value());
        long lo = Long.MIN_VALUE;
        long hi = Long.MAX_VALUE;
        double dlo = Double.NEGATIVE_INFINITY;
        double dhi = Double.POSITIVE_INFINITY;
        switch (c.op()) {
          case GT -> {
            lo = saturate(Math.floor(x) + 1);
            dlo = Math.nextUp(x);
          }
          case GE -> {
            lo = saturate(Math.ceil(x));
            dlo = x;
          }
          case LT -> {
            hi = saturate(Math.ceil(x) - 1);
            dhi = Math.nextDown(x);
          }
          default -> {
            hi = saturate(Math.floor(x));
            dhi = x;
          }
        }
        return new BooleanQuery.Builder()
            .add(LongPoint.newRangeQuery(longPrefix + c.key(), lo, hi), BooleanClause.Occur.SHOULD)
            .add(DoublePoint.newRangeQuery(doublePrefix + c.key(), dlo, dhi), BooleanClause.Occur.SHOULD)
            .build();
      }
      default:
        return keyword(tenant, prefix + c.key(), c.op(), c.value());
    }
  }

  private static long saturate(double d) {
    return d >= 9.2e18 ? Long.MAX_VALUE : d <= -9.2e18 ? Long.MIN_VALUE : (long) d;
  }

  /** A comparison on a tenant-prefixed keyword field. */
  private static Query keyword(String tenant, String field, CompareOp op, String value) {
    String prefix = SearchIndex.key(tenant, "");
    return switch (op) {
      case EQ -> term(field, prefix + value);
      case NE -> present(new PrefixQuery(new Term(field, prefix)), term(field, prefix + value));
      case REGEX -> regexp(field, prefix, value);
      case NOT_REGEX -> present(new PrefixQuery(new Term(field, prefix)), regexp(field, prefix, value));
      default -> throw new InvalidInputException(field + " " + op + " (expected: = != =~ !~)");
    };
  }

  private static Query plain(String field, CompareOp op, String value) {
    return switch (op) {
      case EQ -> term(field, value);
      case NE -> present(new MatchAllDocsQuery(), term(field, value)); // every span has a kind and a status
      default -> throw new InvalidInputException(field + " " + op + " (expected: = or !=)");
    };
  }

  private static Query duration(CompareOp op, long v) {
    return switch (op) {
      case EQ -> LongPoint.newExactQuery(SearchIndex.DURATION, v);
      case NE -> present(new MatchAllDocsQuery(), LongPoint.newExactQuery(SearchIndex.DURATION, v));
      case GT -> LongPoint.newRangeQuery(SearchIndex.DURATION, v == Long.MAX_VALUE ? v : v + 1, Long.MAX_VALUE);
      case GE -> LongPoint.newRangeQuery(SearchIndex.DURATION, v, Long.MAX_VALUE);
      case LT -> LongPoint.newRangeQuery(SearchIndex.DURATION, 0, v - 1);
      case LE -> LongPoint.newRangeQuery(SearchIndex.DURATION, 0, v);
      default -> throw new InvalidInputException("duration " + op + " (expected: = != > >= < <=)");
    };
  }

  /** Documents matching {@code present} and not {@code excluded}. */
  private static Query present(Query present, Query excluded) {
    return new BooleanQuery.Builder().add(present, BooleanClause.Occur.FILTER)
        .add(excluded, BooleanClause.Occur.MUST_NOT).build();
  }

  private static Query regexp(String field, String prefix, String regex) {
    try {
      // The tenant prefix as a quoted literal (tenant ids never contain '"'), then the caller's expression.
      return new RegexpQuery(new Term(field, "\"" + prefix + "\"" + "(" + regex + ")"));
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException("regular expression '" + regex + "': " + e.getMessage() + " (expected: "
          + "Lucene regular expression syntax)");
    }
  }

  private static Query term(String field, String value) {
    return new TermQuery(new Term(field, value));
  }

}
