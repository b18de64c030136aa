package io.loupe.tracestore.internal;

import io.loupe.model.SpanFilter;
import io.loupe.model.SpanRecord;
import io.loupe.model.TraceQuery;
import io.loupe.model.TraceSummary;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.Query;

/**
 * One trace search. Lucene finds candidate documents (records: the spans of one write, many traces) with a superset
 * query for one span condition set (the simple conditions, else the first span filter), newest record first, merged
 * across every segment of every shard. A candidate record is read and its spans checked: each trace with a span
 * started within the time range that matches that set exactly is a candidate trace, read whole and checked: every
 * other span set must be matched by some span of the trace. The trace's sort key is the newest start among its
 * matching spans, which is at most the newest start of a record holding one; so once {@code limit} traces are found
 * and the next record's newest start is below the worst of them, no unseen trace can enter the result, and the search
 * stops. Results are exact: the same as checking every trace.
 */
public final class TraceSearch {
  /** Reads every span of a trace (sorted by start, duplicates dropped). */
  public interface TraceLoader {
    List<SpanRecord> load(byte[] traceId);

    /**
     * How many spans the store may hold of the trace, counted from its indexes without reading them: at least the
     * true count (retried copies and tenant hash collisions count too).
     */
    int spanCount(byte[] traceId);
  }

  /** The spans one record holds of one trace, decoded on first use: a search skips many traces of a record unread. */
  public static final class RecordTrace {
    private final byte[] traceId;
    private java.util.function.Supplier<List<SpanRecord>> decoder;
    private List<SpanRecord> spans;

    public RecordTrace(byte[] traceId, java.util.function.Supplier<List<SpanRecord>> decoder) {
      this.traceId = traceId;
      this.decoder = decoder;
    }

    public byte[] traceId() {
      return traceId;
    }

    public List<SpanRecord> spans() {
      if (spans == null) {
        spans = decoder.get();
        decoder = null;
      }
      return spans;
    }
  }

  /**
   * The candidate traces a pre-filter lets through: false only for a trace that cannot match every span set (its id
   * is not among those collected, and all its spans are where they were collected from).
   */
  public interface Prefilter {
    boolean mayMatch(byte[] traceId);
  }

  /** Reads the traces of a record of one segment, by offset: the searching tenant's only, empty when gone. */
  public interface RecordReader {
    List<RecordTrace> traces(long offset);
  }

  // Candidates fetched from a segment at a time: most searches stop within the first page of the newest segments.
  private static final int MIN_PAGE = 64;
  private static final int MAX_PAGE = 4096;

  private final String tenant;
  private final TraceQuery query;
  private final SpanFilter primary; // null: any span in the time range
  private final List<SpanFilter> others;
  private final SpanFilters filters = new SpanFilters();
  private int tracesRead;

  public TraceSearch(String tenant, TraceQuery query) {
    this.tenant = tenant;
    this.query = query;
    SpanFilter simple = SpanFilters.simpleConditions(query);
    if (simple != null || query.spanFilters().isEmpty()) {
      primary = simple;
      others = query.spanFilters();
    } else {
      primary = query.spanFilters().get(0);
      others = query.spanFilters().subList(1, query.spanFilters().size());
    }
  }

  /** The Lucene query for candidates. */
  public Query luceneQuery() {
    Query q = SearchQueries.of(tenant, query);
    if (primary != null && SpanFilters.simpleConditions(query) == null) {
      q = new BooleanQuery.Builder()
          .add(q, BooleanClause.Occur.FILTER)
          .add(SearchQueries.filter(tenant, primary), BooleanClause.Occur.FILTER)
          .build();
    }
    return q;
  }

  /** Traces read to check candidates in the last {@link #run}: the cost of the search beyond Lucene. */
  public int tracesRead() {
    return tracesRead;
  }

  private static final class Source {
    final SearchIndex.Cursor cursor;
    List<SearchIndex.Hit> page = List.of();
    int next;
    int pageSize = MIN_PAGE;

    Source(SearchIndex.Cursor cursor) {
      this.cursor = cursor;
    }

    /** Loads the next page if needed; false when the cursor is exhausted. */
    boolean advance() throws IOException {
      if (next < page.size()) {
        return true;
      }
      page = cursor.next(pageSize);
      next = 0;
      pageSize = Math.min(MAX_PAGE, pageSize * 4);
      return !page.isEmpty();
    }

    SearchIndex.Hit head() {
      return page.get(next);
    }
  }

  private record Found(TraceSummary summary, long key) {}

  // worst first: smallest key, then the larger trace id (results sort by key descending, then trace id ascending)
  private static final Comparator<Found> WORST_FIRST = Comparator.comparingLong(Found::key)
      .thenComparing(f -> f.summary().traceId(), Comparator.reverseOrder());

  /**
   * Runs the search over {@code cursors} (closed here) and reads traces with {@code loader}, skipping traces outside
   * {@code required} when not null (built on {@link #prefilter}).
   */
  public List<TraceSummary> run(List<SearchIndex.Cursor> cursors, TraceLoader loader, Prefilter required)
      throws IOException {
    tracesRead = 0;
    PriorityQueue<Source> sources = new PriorityQueue<>(
        Comparator.comparingLong((Source s) -> s.head().startNanos()).reversed());
    PriorityQueue<Found> best = new PriorityQueue<>(WORST_FIRST);
    try {
      for (SearchIndex.Cursor c : cursors) {
        Source s = new Source(c);
        if (s.advance()) {
          sources.add(s);
        }
      }
      Set<Key> seen = new HashSet<>();
      while (!sources.isEmpty()) {
        Source s = sources.poll();
        SearchIndex.Hit h = s.head();
        s.next++;
        if (s.advance()) {
          sources.add(s);
        }
        if (best.size() == query.limit() && h.startNanos() < best.peek().key()) {
          break; // every later candidate's matching spans started before the worst result
        }
        // The record's traces with a matching span, newest matching span first. A trace first met here has a key of
        // at most the newer of its matching spans here and the next record's newest start (records with a newer
        // one were visited already): once that is below the worst result, so are the rest of the record's.
        List<RecordTrace> traces = s.cursor.records().traces(h.offset());
        long[] newest = new long[traces.size()];
        List<Integer> order = new ArrayList<>(traces.size());
        for (int i = 0; i < traces.size(); i++) {
          byte[] id = traces.get(i).traceId();
          Key k = new Key(id);
          if (seen.contains(k)) {
            continue; // decided already: not decoded
          }
          if (required != null && !required.mayMatch(id)) {
            seen.add(k); // ruled out by the pre-filter, whichever record holds it
            continue;
          }
          newest[i] = newestMatch(traces.get(i).spans());
          if (newest[i] != Long.MIN_VALUE) {
            order.add(i); // else the record matched for another trace's spans
          }
        }
        order.sort((x, y) -> Long.compare(newest[y], newest[x]));
        long nextRecord = sources.isEmpty() ? Long.MIN_VALUE : sources.peek().head().startNanos();
        for (int i : order) {
          if (best.size() == query.limit() && Math.max(newest[i], nextRecord) < best.peek().key()) {
            break;
          }
          RecordTrace t = traces.get(i);
          Key key = new Key(t.traceId());
          if (!seen.add(key)) {
            continue; // decided in an earlier record
          }
          if (!othersMatch(t.spans()) && loader.spanCount(t.traceId()) == t.spans().size()) {
            // The record holds every span of the trace and they miss a span set: it fails without a read by id
            // (the { a } && { b } searches read hundreds of such traces when b is not rare).
            continue;
          }
          Found f = check(t.traceId(), loader.load(t.traceId()));
          tracesRead++;
          if (f == null) {
            continue;
          }
          if (best.size() < query.limit()) {
            best.add(f);
          } else if (WORST_FIRST.compare(f, best.peek()) > 0) {
            best.poll();
            best.add(f);
          }
        }
      }
    } finally {
      IOException failure = null;
      for (SearchIndex.Cursor c : cursors) {
        try {
          c.close();
        } catch (IOException | RuntimeException e) {
          if (failure == null) {
            failure = e instanceof IOException io ? io : new IOException(e);
          }
        }
      }
      if (failure != null) {
        throw failure;
      }
    }
    List<Found> sorted = new ArrayList<>(best);
    sorted.sort(WORST_FIRST.reversed());
    List<TraceSummary> out = new ArrayList<>(sorted.size());
    for (Found f : sorted) {
      out.add(f.summary());
    }
    return out;
  }

  /** A 16-byte trace id as a hash key. */
  public record Key(long hi, long lo) {
    Key(byte[] id) {
      this(TraceIds.high(id), TraceIds.low(id));
    }
  }

  /**
   * Collects the trace ids of a query's documents in the segments the search reads, or says there are more than a
   * budget.
   */
  public interface TraceIdCollector {
    boolean collect(Query q, int max, TraceIdFilter out) throws IOException;
  }

  // Trace ids a search may collect to pre-filter candidates by its other span sets: a 256 KiB TraceIdFilter.
  private static final int PREFILTER_BUDGET = 200_000;

  /**
   * For {@code { a } && { b }}: a trace must have, somewhere, a document matching {@code b}'s superset query. When the
   * traces having one in the segments the search reads are few, they are collected first, and candidates of {@code a}
   * outside them whose spans are all in those segments are skipped without being read: a rare second span set would
   * otherwise make the search read most traces. Null when no span set is selective enough.
   */
  public TraceIdFilter prefilter(TraceIdCollector collector) throws IOException {
    TraceIdFilter required = null;
    for (SpanFilter f : others) {
      Query q = new BooleanQuery.Builder()
          .add(new org.apache.lucene.search.TermQuery(new org.apache.lucene.index.Term(SearchIndex.TENANT, tenant)),
              BooleanClause.Occur.FILTER)
          .add(SearchQueries.filter(tenant, f), BooleanClause.Occur.FILTER)
          .build();
      TraceIdFilter ids = new TraceIdFilter(PREFILTER_BUDGET);
      if (!collector.collect(q, PREFILTER_BUDGET, ids)) {
        continue;
      }
      if (required == null) {
        required = ids;
      } else {
        required.retain(ids);
      }
    }
    return required;
  }

  /**
   * The newest start among the spans of {@code spans} started within the time range that match the primary condition
   * set, or {@link Long#MIN_VALUE} when none does.
   */
  private long newestMatch(List<SpanRecord> spans) {
    long key = Long.MIN_VALUE;
    for (SpanRecord s : spans) {
      long start = s.startEpochNanos();
      if (start >= query.startEpochNanos() && start <= query.endEpochNanos() && start > key
          && (primary == null || filters.matches(s, primary))) {
        key = start;
      }
    }
    return key;
  }

  /** Whether every span set but the first is matched by some span of {@code spans}. */
  private boolean othersMatch(List<SpanRecord> spans) {
    for (SpanFilter f : others) {
      if (!filters.anyMatch(spans, f)) {
        return false;
      }
    }
    return true;
  }

  /** The trace's summary and sort key when it matches, else null. */
  private Found check(byte[] traceId, List<SpanRecord> spans) {
    if (spans.isEmpty()) {
      return null; // dropped by retention between search and read
    }
    long key = newestMatch(spans);
    if (key == Long.MIN_VALUE || !othersMatch(spans)) {
      return null;
    }
    return new Found(summarize(TraceIds.toHex(traceId), spans), key);
  }

  /** Root service and name (the earliest span's when no root arrived), start, duration, span count. */
  static TraceSummary summarize(String traceId, List<SpanRecord> spans) {
    SpanRecord root = null;
    long start = Long.MAX_VALUE;
    long end = Long.MIN_VALUE;
    SpanRecord earliest = null;
    for (SpanRecord s : spans) {
      if (earliest == null || s.startEpochNanos() < earliest.startEpochNanos()) {
        earliest = s;
      }
      start = Math.min(start, s.startEpochNanos());
      end = Math.max(end, s.endEpochNanos());
      if (s.isRoot() && (root == null || s.startEpochNanos() < root.startEpochNanos())) {
        root = s;
      }
    }
    if (root == null) {
      root = earliest;
    }
    return new TraceSummary(traceId, root.serviceName(), root.name(), start, end - start, spans.size());
  }
}
