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

/**
 * Turns a {@link TraceQuery} into a Lucene query over the documents of {@link SearchIndex}. A document holds the
 * union of the terms of several spans of one trace, so these queries match a superset of the documents holding a
 * matching span: conditions meant for one span may be met by different spans of the group, and a negation ({@code !=},
 * {@code !~}) becomes "the field is present", since another span of the group may hold the excluded value. Searches
 * re-check candidates span by span ({@link SpanFilters}).
 */
public final class SearchQueries {
  private SearchQueries() {}

  /** Tenant, time range (groups with a span started within it) and the simple conditions of {@code q}. */
  public static Query of(String tenant, TraceQuery q) {
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    // Every clause is a filter: results are ordered by time, never by score.
    b.add(new TermQuery(new Term(SearchIndex.TENANT, tenant)), BooleanClause.Occur.FILTER);
    // A group overlaps [from, to] when its newest start is >= from and its oldest <= to.
    b.add(LongPoint.newRangeQuery(SearchIndex.START, q.startEpochNanos(), Long.MAX_VALUE),
        BooleanClause.Occur.FILTER);
    b.add(LongPoint.newRangeQuery(SearchIndex.START_MIN, Long.MIN_VALUE, q.endEpochNanos()),
        BooleanClause.Occur.FILTER);
    if (!q.serviceName().isEmpty() && !q.spanName().isEmpty()) {
      // One term for both: tighter than two, since the group's other spans have other services and names.
      b.add(term(SearchIndex.OPERATION, SearchIndex.key(tenant, q.serviceName() + SearchIndex.SEP + q.spanName())),
          BooleanClause.Occur.FILTER);
    } else if (!q.serviceName().isEmpty()) {
      b.add(term(SearchIndex.SERVICE, SearchIndex.key(tenant, q.serviceName())), BooleanClause.Occur.FILTER);
    } else if (!q.spanName().isEmpty()) {
      b.add(term(SearchIndex.NAME, SearchIndex.key(tenant, q.spanName())), BooleanClause.Occur.FILTER);
    }
    if (q.kind() != null) {
      b.add(term(SearchIndex.KIND, q.kind().name().toLowerCase(Locale.ROOT)), BooleanClause.Occur.FILTER);
    }
    if (q.statusCode() != null) {
      b.add(term(SearchIndex.STATUS, q.statusCode().name().toLowerCase(Locale.ROOT)), BooleanClause.Occur.FILTER);
    }
    if (q.minDurationNanos() > 0 || q.maxDurationNanos() < Long.MAX_VALUE) {
      b.add(durationRange(q.minDurationNanos(), q.maxDurationNanos()), BooleanClause.Occur.FILTER);
    }
    for (AttributeCondition c : q.attributes()) {
      b.add(filter(tenant, c), BooleanClause.Occur.FILTER);
    }
    return b.build();
  }

  /** The Lucene query of one span filter, a superset as above (tenant and time are added by the caller). */
  public static Query filter(String tenant, SpanFilter f) {
    if (f instanceof AttributeCondition c) {
      return switch (c.scope()) {
        case RESOURCE -> resource(tenant, c);
        case SPAN -> attribute(tenant, SearchIndex.SPAN_PREFIX, SearchIndex.SPAN_NUMERIC_PREFIX,
            SearchIndex.SPAN_DOUBLE_PREFIX, c);
        case ANY -> new BooleanQuery.Builder()
            .add(resource(tenant, c), BooleanClause.Occur.SHOULD)
            .add(attribute(tenant, SearchIndex.SPAN_PREFIX, SearchIndex.SPAN_NUMERIC_PREFIX,
                SearchIndex.SPAN_DOUBLE_PREFIX, c), BooleanClause.Occur.SHOULD)
            .build();
      };
    }
    if (f instanceof SpanFilter.Intrinsic i) {
      return switch (i.field()) {
        // every span has a name and a service
        case NAME -> keyword(tenant, SearchIndex.NAME, i.op(), i.value(), null);
        case SERVICE -> keyword(tenant, SearchIndex.SERVICE, i.op(), i.value(), null);
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

  /** Resource attributes live in resource documents, which trace documents refer to by id. */
  private static Query resource(String tenant, AttributeCondition c) {
    return new ResourceJoinQuery(attribute(tenant, SearchIndex.RESOURCE_PREFIX, SearchIndex.RESOURCE_NUMERIC_PREFIX,
        SearchIndex.RESOURCE_DOUBLE_PREFIX, c));
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
        return keyword(tenant, prefix + c.key(), c.op(), c.value(),
            new PrefixQuery(new Term(prefix + c.key(), SearchIndex.key(tenant, ""))));
    }
  }

  private static long saturate(double d) {
    return d >= 9.2e18 ? Long.MAX_VALUE : d <= -9.2e18 ? Long.MIN_VALUE : (long) d;
  }

  /**
   * A comparison on a tenant-prefixed keyword field; {@code present} matches the documents having the field (null:
   * every document has it). Negations still compile their value so that a bad expression fails here.
   */
  private static Query keyword(String tenant, String field, CompareOp op, String value, Query present) {
    String prefix = SearchIndex.key(tenant, "");
    Query any = present == null ? new MatchAllDocsQuery() : present;
    return switch (op) {
      case EQ -> term(field, prefix + value);
      case NE -> any;
      case REGEX -> regexp(field, prefix, value);
      case NOT_REGEX -> {
        regexp(field, prefix, value);
        yield any;
      }
      default -> throw new InvalidInputException(field + " " + op + " (expected: = != =~ !~)");
    };
  }

  private static Query plain(String field, CompareOp op, String value) {
    return switch (op) {
      case EQ -> term(field, value);
      case NE -> new MatchAllDocsQuery(); // every span has a kind and a status
      default -> throw new InvalidInputException(field + " " + op + " (expected: = or !=)");
    };
  }

  private static Query duration(CompareOp op, long v) {
    return switch (op) {
      case EQ -> durationRange(v, v);
      case NE -> new MatchAllDocsQuery();
      case GT -> durationRange(v == Long.MAX_VALUE ? v : v + 1, Long.MAX_VALUE);
      case GE -> durationRange(v, Long.MAX_VALUE);
      case LT -> durationRange(Long.MIN_VALUE, v - 1);
      case LE -> durationRange(Long.MIN_VALUE, v);
      default -> throw new InvalidInputException("duration " + op + " (expected: = != > >= < <=)");
    };
  }

  /**
   * Groups that may hold a span with a duration in {@code [lo, hi]}: shortest <= hi and longest >= lo (the group's
   * point is (shortest, longest)).
   */
  private static Query durationRange(long lo, long hi) {
    return LongPoint.newRangeQuery(SearchIndex.DURATION, new long[] {Long.MIN_VALUE, lo},
        new long[] {hi, Long.MAX_VALUE});
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
