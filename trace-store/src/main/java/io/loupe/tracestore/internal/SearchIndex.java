package io.loupe.tracestore.internal;

import io.loupe.model.SpanRecord;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.lucene.document.BinaryDocValuesField;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.DoublePoint;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.DocValues;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.MultiTerms;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.search.FieldDoc;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortField;
import org.apache.lucene.search.TopFieldDocs;
import org.apache.lucene.store.AlreadyClosedException;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.UnicodeUtil;

/**
 * The Lucene index of one segment: one document per record (the spans one write put into the segment, of many
 * traces), holding the union of their terms, the record's offset and its trace ids. A document matching a query
 * therefore only says that some span of the record may match: searches read the record and re-check the exact
 * span-level condition on its decoded spans. While the segment is
 * active an {@link IndexWriter} adds documents and searches go through a near-real-time reader; sealing commits it
 * and reopens read-only. Derived data: recovery rebuilds it from the segment whenever the segment had no index file,
 * and {@link #openSealed} refuses an index of another document layout so that it is rebuilt too. Fields in
 * docs/format/trace-lucene.md.
 */
public final class SearchIndex implements Closeable {
  public static final String TENANT = "tenant";
  /** The record's trace ids, 16 bytes each, in one binary doc value. */
  public static final String TRACE = "trace";
  /** The record's offset in its segment: numeric doc value. */
  public static final String OFFSET = "offset";
  public static final String SERVICE = "service";
  public static final String OPERATION = "op";
  public static final String NAME = "name";
  public static final String KIND = "kind";
  public static final String STATUS = "status";
  /** Newest span start of the record: point (range filter, sort skipping) and doc values (sort key). */
  public static final String START = "start";
  /** Oldest span start of the record: point. */
  public static final String START_MIN = "start.min";
  /** Shortest and longest span duration of the record: one 2-D point. */
  public static final String DURATION = "duration";
  public static final String RESOURCE_PREFIX = "r.";
  /**
   * Trace documents: the ids (in this index) of the resources of their spans. The resource attributes themselves are
   * indexed once per distinct resource, in a resource document ({@link #RESOURCE_ID}, {@code r.*} fields, no tenant
   * field) that resource conditions find first and join through this field ({@link ResourceJoinQuery}).
   */
  public static final String RESOURCE_REF = "res";
  /** Resource documents: their id, as doc values. */
  public static final String RESOURCE_ID = "res.id";
  public static final String SPAN_PREFIX = "s.";
  public static final String RESOURCE_NUMERIC_PREFIX = "rn.";
  public static final String SPAN_NUMERIC_PREFIX = "sn.";
  // Doubles apart from longs: both are 8-byte 1-D points, so one field would mix two encodings in one range query.
  public static final String RESOURCE_DOUBLE_PREFIX = "rd.";
  public static final String SPAN_DOUBLE_PREFIX = "sd.";
  /** Keyword values longer than this are not indexed (Lucene's term limit is 32766 bytes; such values are blobs). */
  static final int MAX_KEYWORD_CHARS = 1024;
  static final char SEP = '\u0000';
  /**
   * The document layout, kept in the commit's user data: 3 = one document per record and one per distinct resource;
   * 2 was one document per (trace, record) with the resource attributes in it, 1 one document per span. An index of
   * another layout is rebuilt from its segment at open.
   */
  static final String LAYOUT_KEY = "loupe.layout";
  static final String LAYOUT = "3";
  // 64 MiB instead of 16: a segment of an hour holds a few hundred MiB of terms, and each flush is one more Lucene
  // segment to merge; one write thread per shard, so this is also the most the buffer holds per shard.
  private static final double RAM_BUFFER_MB = 64;
  private static final int MAX_CACHED_KEYS = 10_000;

  private final Path dir;
  private final Directory directory;
  private IndexWriter writer; // null once sealed
  private volatile SearcherManager searchers;
  // False once searchers reads a commit that never changes (sealed): maybeRefresh there lists the directory and reads
  // segments_N, for nothing; ~7 % of a { a } && { b } search's CPU over 10 segments.
  private volatile boolean live;
  private final DocBuilder builder = new DocBuilder();

  private SearchIndex(Path dir, Directory directory, IndexWriter writer, SearcherManager searchers) {
    this.dir = dir;
    this.directory = directory;
    this.writer = writer;
    this.searchers = searchers;
    this.live = writer != null;
  }

  private void refresh(SearcherManager m) throws IOException {
    if (live) {
      m.maybeRefresh();
    }
  }

  /** A new, empty, writable index in {@code dir} (anything there is deleted: it is derived data). */
  public static SearchIndex create(Path dir) throws IOException {
    deleteRecursively(dir);
    Files.createDirectories(dir);
    Directory d = FSDirectory.open(dir);
    IndexWriterConfig c = new IndexWriterConfig();
    c.setOpenMode(IndexWriterConfig.OpenMode.CREATE);
    c.setRAMBufferSizeMB(RAM_BUFFER_MB);
    c.setCommitOnClose(false);
    // Compound files copy every flushed file once more; the index is derived, few segments are open at once.
    c.setUseCompoundFile(false);
    IndexWriter w = new IndexWriter(d, c);
    w.setLiveCommitData(Map.of(LAYOUT_KEY, LAYOUT).entrySet());
    w.commit(); // an empty commit so that a reader can open it at once
    return new SearchIndex(dir, d, w, new SearcherManager(w, null));
  }

  /** Opens a sealed index read-only; null when there is none (never written, damaged or of an older layout). */
  public static SearchIndex openSealed(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return null;
    }
    Directory d = FSDirectory.open(dir);
    try {
      if (!DirectoryReader.indexExists(d)) {
        d.close();
        return null;
      }
      Map<String, String> data = SegmentInfos.readLatestCommit(d).getUserData();
      if (!LAYOUT.equals(data.get(LAYOUT_KEY))) {
        d.close();
        return null;
      }
      return new SearchIndex(dir, d, null, new SearcherManager(d, null));
    } catch (IOException | RuntimeException e) {
      d.close();
      return null;
    }
  }

  public static String key(String tenant, String value) {
    return tenant + SEP + value;
  }

  /**
   * Indexes the record at {@code offset} of {@code tenant}: its {@code traceIds} (16 bytes each) and every one of its
   * {@code spans}, in one document. Called by one thread at a time (the shard's append lock). Measured on pipeline
   * traces of 6 spans, 32 per record, a document per record costs 2-4 us of CPU per span to index and flush where a
   * document per trace cost 6-8 (the terms of a record's spans repeat across its traces); end to end over OTLP the
   * node went from 21-23 to 16.9 CPU s per million spans.
   */
  public synchronized void addRecord(String tenant, byte[][] traceIds, Iterable<SpanRecord> spans, long offset)
      throws IOException {
    Document d = builder.build(tenant, traceIds, spans, offset);
    for (Document r : builder.newResources) {
      writer.addDocument(r);
    }
    writer.addDocument(d);
  }

  /**
   * Builds documents with terms encoded straight into one byte arena per document (no {@code tenant + value} strings)
   * and each (field, value) pair added once per document.
   */
  private static final class DocBuilder {
    /** The field names of one attribute key, built once, and the values it already added to the current document. */
    private static final class AttributeFields {
      final String keyword;
      final String longs;
      final String doubles;
      final java.util.HashSet<Object> values = new java.util.HashSet<>();
      int doc = -1;

      AttributeFields(String keyword, String longs, String doubles) {
        this.keyword = keyword;
        this.longs = longs;
        this.doubles = doubles;
      }

      /** Whether {@code v} is new in document {@code d}. */
      boolean add(int d, Object v) {
        if (doc != d) {
          doc = d;
          values.clear();
        }
        return values.add(v);
      }
    }

    private final java.util.HashSet<String> services = new java.util.HashSet<>();
    private final java.util.HashSet<String> names = new java.util.HashSet<>();
    private final java.util.HashSet<Operation> operations = new java.util.HashSet<>();
    private int kinds;
    private int statuses;
    /** The resources of the current document by map identity, with their service name. */
    private final java.util.IdentityHashMap<Map<String, Object>, String> resources =
        new java.util.IdentityHashMap<>();
    /** Resources with a document in this index, by content: the id their trace documents refer to. */
    private final Map<ResourceKey, Integer> resourceIds = new java.util.HashMap<>();
    private int nextResourceId;
    private int resourceDocNumber = -1; // counts down: apart from trace documents' numbers
    /** Resource documents the last {@link #build} created, to add to the index before its trace document. */
    final List<Document> newResources = new ArrayList<>();
    private final Map<String, AttributeFields> resourceFields = new java.util.HashMap<>();
    private final Map<String, AttributeFields> spanFields = new java.util.HashMap<>();
    private int docNumber;
    private String tenant = "";
    private byte[] tenantPrefix = {SEP};
    private byte[] arena = new byte[4096];
    private int used;

    private record Operation(String service, String name) {}

    /**
     * A resource by tenant and content, so that one resource sent in many requests is one document. The hash mixes
     * each entry before summing (still independent of order): {@code Map.hashCode} sums {@code key ^ value} hashes,
     * and resources that differ only in a host number then collide often enough that the equality checks were 5% of
     * a node's ingest profile.
     */
    private static final class ResourceKey {
      final String tenant;
      final Map<String, Object> attributes;
      final int hash;

      ResourceKey(String tenant, Map<String, Object> attributes) {
        this.tenant = tenant;
        this.attributes = attributes;
        int h = tenant.hashCode();
        for (Map.Entry<String, Object> e : attributes.entrySet()) {
          h += mix(e.getKey().hashCode() * 31 + java.util.Objects.hashCode(e.getValue()));
        }
        this.hash = h;
      }

      private static int mix(int x) {
        x ^= x >>> 16;
        x *= 0x85ebca6b;
        x ^= x >>> 13;
        x *= 0xc2b2ae35;
        return x ^ (x >>> 16);
      }

      @Override
      public int hashCode() {
        return hash;
      }

      @Override
      public boolean equals(Object o) {
        return o instanceof ResourceKey k && k.hash == hash && k.tenant.equals(tenant)
            && k.attributes.equals(attributes);
      }
    }

    Document build(String tenant, byte[][] traceIds, Iterable<SpanRecord> spans, long offset) {
      if (!tenant.equals(this.tenant)) {
        this.tenant = tenant;
        byte[] t = tenant.getBytes(StandardCharsets.UTF_8);
        tenantPrefix = Arrays.copyOf(t, t.length + 1);
        tenantPrefix[t.length] = SEP;
      }
      // The arena is reused: IndexWriter copies a document's terms before addDocument returns, and add() hands
      // each document over before building the next.
      used = 0;
      docNumber++;
      services.clear();
      names.clear();
      operations.clear();
      kinds = 0;
      statuses = 0;
      resources.clear();
      newResources.clear();
      Document d = new Document();
      d.add(new StringField(TENANT, tenant, Field.Store.NO));
      byte[] ids = new byte[traceIds.length * 16];
      for (int i = 0; i < traceIds.length; i++) {
        System.arraycopy(traceIds[i], 0, ids, i * 16, 16);
      }
      d.add(new BinaryDocValuesField(TRACE, new BytesRef(ids)));
      d.add(new NumericDocValuesField(OFFSET, offset));
      long minStart = Long.MAX_VALUE;
      long maxStart = Long.MIN_VALUE;
      long minDuration = Long.MAX_VALUE;
      long maxDuration = Long.MIN_VALUE;
      for (SpanRecord s : spans) {
        minStart = Math.min(minStart, s.startEpochNanos());
        maxStart = Math.max(maxStart, s.startEpochNanos());
        minDuration = Math.min(minDuration, s.durationNanos());
        maxDuration = Math.max(maxDuration, s.durationNanos());
        String service = resources.get(s.resourceAttributes());
        if (service == null) { // a resource new in this document: its service and its resource document's id
          service = s.serviceName();
          resources.put(s.resourceAttributes(), service);
          d.add(new StringField(RESOURCE_REF, resourceTerm(resourceId(tenant, s.resourceAttributes())),
              Field.Store.NO));
        }
        if (services.add(service)) {
          d.add(new StringField(SERVICE, term(service, null), Field.Store.NO));
        }
        if (operations.add(new Operation(service, s.name()))) {
          d.add(new StringField(OPERATION, term(service, s.name()), Field.Store.NO));
        }
        if (names.add(s.name())) {
          d.add(new StringField(NAME, term(s.name(), null), Field.Store.NO));
        }
        int k = s.kind().ordinal();
        if ((kinds & (1 << k)) == 0) {
          kinds |= 1 << k;
          d.add(new StringField(KIND, KINDS[k], Field.Store.NO));
        }
        int st = s.statusCode().ordinal();
        if ((statuses & (1 << st)) == 0) {
          statuses |= 1 << st;
          d.add(new StringField(STATUS, STATUSES[st], Field.Store.NO));
        }
        attributes(d, s.attributes(), spanFields, SPAN_PREFIX, SPAN_NUMERIC_PREFIX, SPAN_DOUBLE_PREFIX, docNumber);
      }
      d.add(new LongPoint(START, maxStart));
      d.add(new NumericDocValuesField(START, maxStart));
      d.add(new LongPoint(START_MIN, minStart));
      d.add(new LongPoint(DURATION, minDuration, maxDuration));
      return d;
    }

    /**
     * The id of the resource document of {@code attrs}, creating it (into {@link #newResources}) when this index has
     * none. On the OTLP pipeline workload resource attributes were 27 of the ~70 terms of a trace document, and
     * a few hundred distinct resources stand behind millions of spans.
     */
    private int resourceId(String tenant, Map<String, Object> attrs) {
      ResourceKey key = new ResourceKey(tenant, attrs);
      Integer id = resourceIds.get(key);
      if (id != null) {
        return id;
      }
      // The key keeps a copy: a map its caller changed later must not stand for content it no longer has.
      key = new ResourceKey(tenant, new java.util.LinkedHashMap<>(attrs));
      if (resourceIds.size() >= MAX_RESOURCES) {
        // Bounds the memory: a resource seen again after this gets a second document, which costs terms, not results.
        resourceIds.clear();
      }
      int n = nextResourceId++;
      resourceIds.put(key, n);
      Document r = new Document();
      r.add(new NumericDocValuesField(RESOURCE_ID, n));
      attributes(r, attrs, resourceFields, RESOURCE_PREFIX, RESOURCE_NUMERIC_PREFIX, RESOURCE_DOUBLE_PREFIX,
          resourceDocNumber--);
      newResources.add(r);
      return n;
    }

    private void attributes(Document d, Map<String, Object> attrs, Map<String, AttributeFields> cache,
        String prefix, String numericPrefix, String doublePrefix, int doc) {
      for (Map.Entry<String, Object> a : attrs.entrySet()) {
        AttributeFields f = cache.get(a.getKey());
        if (f == null) {
          f = new AttributeFields(prefix + a.getKey(), numericPrefix + a.getKey(), doublePrefix + a.getKey());
          if (cache.size() < MAX_CACHED_KEYS) {
            cache.put(a.getKey(), f);
          }
        }
        value(d, f, a.getValue(), true, doc);
      }
    }

    private void value(Document d, AttributeFields f, Object v, boolean allowList, int doc) {
      if (v instanceof String str) {
        if (str.length() <= MAX_KEYWORD_CHARS && f.add(doc, str)) {
          d.add(new StringField(f.keyword, term(str, null), Field.Store.NO));
        }
      } else if (v instanceof Boolean) {
        if (f.add(doc, v)) {
          d.add(new StringField(f.keyword, term(v.toString(), null), Field.Store.NO));
        }
      } else if (v instanceof Long || v instanceof Integer) {
        long l = ((Number) v).longValue();
        if (f.add(doc, l)) {
          d.add(new StringField(f.keyword, term(Long.toString(l), null), Field.Store.NO));
          d.add(new LongPoint(f.longs, l));
        }
      } else if (v instanceof Double dbl) {
        if (f.add(doc, dbl)) {
          d.add(new StringField(f.keyword, term(String.valueOf(dbl), null), Field.Store.NO));
          d.add(new DoublePoint(f.doubles, dbl));
        }
      } else if (v instanceof List<?> list && allowList) {
        for (Object o : list) {
          value(d, f, o, false, doc);
        }
      }
      // byte[], maps, nested lists, null: stored in the segment, not searchable
    }

    /** {@code tenant \0 a} or {@code tenant \0 a \0 b} in UTF-8, in the arena. */
    private BytesRef term(String a, String b) {
      int max = tenantPrefix.length + a.length() * 3 + (b == null ? 0 : 1 + b.length() * 3);
      if (used + max > arena.length) {
        arena = new byte[Math.max(arena.length * 2, max + 256)]; // earlier terms keep the old array
        used = 0;
      }
      int start = used;
      System.arraycopy(tenantPrefix, 0, arena, used, tenantPrefix.length);
      int end = UnicodeUtil.UTF16toUTF8(a, 0, a.length(), arena, used + tenantPrefix.length);
      if (b != null) {
        arena[end++] = SEP;
        end = UnicodeUtil.UTF16toUTF8(b, 0, b.length(), arena, end);
      }
      used = end;
      return new BytesRef(arena, start, end - start);
    }
  }

  /** Distinct resources an active index remembers (about 1-2 KiB each, the attribute maps they hold). */
  private static final int MAX_RESOURCES = 10_000;

  /** The {@link #RESOURCE_REF} term of resource {@code id}: 4 bytes, big-endian. */
  static BytesRef resourceTerm(int id) {
    return new BytesRef(new byte[] {(byte) (id >>> 24), (byte) (id >>> 16), (byte) (id >>> 8), (byte) id});
  }

  private static final BytesRef[] KINDS = names(SpanRecord.Kind.values());
  private static final BytesRef[] STATUSES = names(SpanRecord.StatusCode.values());

  private static BytesRef[] names(Enum<?>[] values) {
    BytesRef[] out = new BytesRef[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = new BytesRef(values[i].name().toLowerCase(Locale.ROOT));
    }
    return out;
  }

  /** A candidate: a matching record (its offset in the segment) and the newest span start in it. */
  public record Hit(long offset, long startNanos) {}

  private static final long FIRST_WINDOW_NANOS = 60_000_000_000L;
  private static final Sort NEWEST_FIRST = new Sort(new SortField(START, SortField.Type.LONG, true));

  /**
   * Pages through the documents matching a query, newest first, on one point-in-time reader: what a search merges
   * across segments. Not thread-safe; {@link #close} releases the reader.
   */
  public final class Cursor implements Closeable {
    private final SearcherManager manager;
    private final IndexSearcher searcher;
    private final Query query;
    private final long floor; // no group with a newest start below this can match
    private long windowHigh;
    private long windowLow;
    private long width = FIRST_WINDOW_NANOS;
    private FieldDoc after;
    private boolean exhausted;
    private TraceSearch.RecordReader records;

    /** Where the traces of this cursor's records are read: set by the shard that owns the segment. */
    public Cursor records(TraceSearch.RecordReader r) {
      this.records = r;
      return this;
    }

    public TraceSearch.RecordReader records() {
      return records;
    }

    private Cursor(SearcherManager manager, IndexSearcher searcher, Query query, long floor) throws IOException {
      this.manager = manager;
      this.searcher = searcher;
      this.query = query;
      this.floor = floor;
      byte[] max = org.apache.lucene.index.PointValues.getMaxPackedValue(searcher.getIndexReader(), START);
      if (max == null) {
        exhausted = true;
      } else {
        windowHigh = LongPoint.decodeDimension(max, 0);
        windowLow = Math.max(floor, windowHigh - width);
        exhausted = windowHigh < floor;
      }
    }

    /**
     * The next at most {@code n} hits, newest first; empty when there are no more. Documents are added in about
     * ascending time, so a newest-first sort over all of them makes every document competitive (a heap update
     * each): the cursor walks back in time windows of newest start instead (1 minute, then doubling), each a narrow
     * point range that Lucene answers from the BKD tree. Measured on 10 M spans (manual/TraceStoreFiguresMain, loaded
     * box): the last hour without conditions went from p50 97 ms to 11 ms.
     */
    public List<Hit> next(int n) throws IOException {
      ScoreDoc[] docs = new ScoreDoc[0];
      while (!exhausted) {
        Query windowed = new org.apache.lucene.search.BooleanQuery.Builder()
            .add(query, org.apache.lucene.search.BooleanClause.Occur.FILTER)
            .add(LongPoint.newRangeQuery(START, windowLow, windowHigh),
                org.apache.lucene.search.BooleanClause.Occur.FILTER)
            .build();
        TopFieldDocs top = searcher.searchAfter(after, windowed, n, NEWEST_FIRST, false);
        docs = top.scoreDocs;
        if (docs.length == n) {
          after = (FieldDoc) docs[docs.length - 1]; // this window may hold more
          break;
        }
        // the window is done: the next one, older and twice as wide
        after = null;
        if (windowLow <= floor) {
          exhausted = true;
        } else {
          windowHigh = windowLow - 1;
          width = Math.min(width * 2, Long.MAX_VALUE / 4);
          windowLow = windowHigh - width < floor ? floor : windowHigh - width;
        }
        if (docs.length > 0) {
          break;
        }
      }
      if (docs.length == 0) {
        return List.of();
      }
      return hits(docs);
    }

    private List<Hit> hits(ScoreDoc[] docs) throws IOException {
      Integer[] byDoc = new Integer[docs.length];
      for (int i = 0; i < docs.length; i++) {
        byDoc[i] = i;
      }
      Arrays.sort(byDoc, (x, y) -> Integer.compare(docs[x].doc, docs[y].doc)); // doc values iterate forward only
      Hit[] hits = new Hit[docs.length];
      List<LeafReaderContext> leaves = searcher.getIndexReader().leaves();
      int leaf = -1;
      org.apache.lucene.index.NumericDocValues offsets = null;
      for (int i : byDoc) {
        ScoreDoc sd = docs[i];
        int li = ReaderUtil.subIndex(sd.doc, leaves);
        if (li != leaf) {
          leaf = li;
          offsets = DocValues.getNumeric(leaves.get(li).reader(), OFFSET);
        }
        if (!offsets.advanceExact(sd.doc - leaves.get(li).docBase)) {
          continue;
        }
        hits[i] = new Hit(offsets.longValue(), (Long) ((FieldDoc) sd).fields[0]);
      }
      List<Hit> out = new ArrayList<>(hits.length);
      for (Hit h : hits) {
        if (h != null) {
          out.add(h);
        }
      }
      return out;
    }

    @Override
    public void close() throws IOException {
      manager.release(searcher);
    }
  }

  /**
   * Adds to {@code out} the trace ids (as two longs) of every document matching {@code q}; false, with {@code out}
   * partly filled, once {@code out} would exceed {@code max} entries.
   */
  public boolean collectTraceIds(Query q, int max, TraceIdFilter out) throws IOException {
    SearcherManager m = searchers;
    refresh(m);
    IndexSearcher s = m.acquire();
    try {
      // One weight to count and to collect: rewriting and weighing the query twice per segment was ~5 % of a
      // { a } && { b } search's CPU.
      org.apache.lucene.search.Weight w =
          s.createWeight(s.rewrite(q), org.apache.lucene.search.ScoreMode.COMPLETE_NO_SCORES, 1f);
      // Counting first costs nothing for term and match-all queries (doc frequencies): a broad span set gives up
      // here rather than after collecting its budget of ids. Other queries are not counted (Lucene would walk their
      // documents once more); the budget stops a broad one while collecting.
      int count = 0;
      for (LeafReaderContext leaf : s.getIndexReader().leaves()) {
        int c = w.count(leaf);
        if (c < 0) {
          count = 0;
          break;
        }
        count += c;
      }
      if (out.size() + count > max) {
        return false;
      }
      for (LeafReaderContext leaf : s.getIndexReader().leaves()) {
        org.apache.lucene.search.Scorer scorer = w.scorer(leaf);
        if (scorer == null) {
          continue;
        }
        BinaryDocValues ids = DocValues.getBinary(leaf.reader(), TRACE);
        org.apache.lucene.util.Bits live = leaf.reader().getLiveDocs();
        org.apache.lucene.search.DocIdSetIterator it = scorer.iterator();
        for (int doc = it.nextDoc(); doc != org.apache.lucene.search.DocIdSetIterator.NO_MORE_DOCS;
            doc = it.nextDoc()) {
          if ((live != null && !live.get(doc)) || !ids.advanceExact(doc)) {
            continue;
          }
          BytesRef id = ids.binaryValue();
          for (int p = id.offset; p + 16 <= id.offset + id.length; p += 16) {
            long hi = TraceIds.readLong(id.bytes, p);
            long lo = TraceIds.readLong(id.bytes, p + 8);
            out.add(hi, lo);
          }
          if (out.size() > max) {
            return false;
          }
        }
      }
      return true;
    } finally {
      m.release(s);
    }
  }

  /**
   * A cursor over the documents matching {@code q}, on the newest reader; {@code floor}: no document with a newest
   * start below it can match (the query's own range says so; here it bounds the walk back in time).
   */
  public Cursor cursor(Query q, long floor) throws IOException {
    SearcherManager m = searchers;
    IndexSearcher s;
    try {
      refresh(m);
      s = m.acquire();
    } catch (AlreadyClosedException e) {
      if (m == searchers) {
        throw e;
      }
      m = searchers; // sealed meanwhile: the read-only manager replaced it
      s = m.acquire();
    }
    try {
      return new Cursor(m, s, q, floor);
    } catch (IOException | RuntimeException e) {
      m.release(s);
      throw e;
    }
  }

  /**
   * Adds to {@code out} the first {@code limit} terms (in sorted order) of {@code field} that start with {@code
   * prefix}, without the prefix.
   */
  public void terms(String field, String prefix, int limit, java.util.Collection<String> out) throws IOException {
    SearcherManager m = searchers;
    refresh(m);
    IndexSearcher s = m.acquire();
    try {
      IndexReader r = s.getIndexReader();
      Terms terms = MultiTerms.getTerms(r, field);
      if (terms == null) {
        return;
      }
      TermsEnum te = terms.iterator();
      BytesRef p = new BytesRef(prefix);
      if (te.seekCeil(p) == TermsEnum.SeekStatus.END) {
        return;
      }
      int n = 0;
      for (BytesRef t = te.term(); t != null && n < limit; t = te.next(), n++) {
        String str = t.utf8ToString();
        if (!str.startsWith(prefix)) {
          break;
        }
        out.add(str.substring(prefix.length()));
      }
    } finally {
      m.release(s);
    }
  }

  /**
   * Adds to {@code out} the attribute keys of {@code tenant} under {@code prefix} ({@link #RESOURCE_PREFIX} or {@link
   * #SPAN_PREFIX}): the keyword fields with a term of the tenant. A field name alone would show keys of every tenant.
   */
  public void tagNames(String tenant, String prefix, java.util.Collection<String> out) throws IOException {
    SearcherManager m = searchers;
    refresh(m);
    IndexSearcher s = m.acquire();
    try {
      BytesRef p = new BytesRef(key(tenant, ""));
      for (org.apache.lucene.index.FieldInfo fi : org.apache.lucene.index.FieldInfos.getMergedFieldInfos(
          s.getIndexReader())) {
        if (!fi.name.startsWith(prefix) || fi.getIndexOptions() == org.apache.lucene.index.IndexOptions.NONE
            || out.contains(fi.name.substring(prefix.length()))) {
          continue;
        }
        Terms terms = MultiTerms.getTerms(s.getIndexReader(), fi.name);
        if (terms == null) {
          continue;
        }
        TermsEnum te = terms.iterator();
        if (te.seekCeil(p) != TermsEnum.SeekStatus.END && org.apache.lucene.util.StringHelper.startsWith(te.term(), p)) {
          out.add(fi.name.substring(prefix.length()));
        }
      }
    } finally {
      m.release(s);
    }
  }

  /** Commits and turns read-only. */
  public void seal() throws IOException {
    writer.setLiveCommitData(Map.of(LAYOUT_KEY, LAYOUT).entrySet());
    writer.commit();
    SearcherManager old = searchers;
    searchers = new SearcherManager(directory, null);
    live = false; // after the swap: whoever still reads true refreshes the old manager, as before
    old.close();
    writer.close();
    writer = null;
  }

  public Path dir() {
    return dir;
  }

  public boolean isSealed() {
    return writer == null;
  }

  @Override
  public void close() throws IOException {
    try {
      searchers.close();
      if (writer != null) {
        writer.rollback(); // uncommitted documents are rebuilt from the segment at the next open
        writer = null;
      }
    } catch (AlreadyClosedException e) {
      // closed already
    } finally {
      directory.close();
    }
  }

  public void delete() throws IOException {
    close();
    deleteRecursively(dir);
  }

  static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(x);
      }
    }
  }
}
