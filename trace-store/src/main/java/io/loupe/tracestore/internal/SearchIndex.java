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
import org.apache.lucene.index.IndexableField;
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
  /** Layout 3 only: the record's trace ids, 16 bytes each, in one binary doc value. */
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
   * field) that resource conditions find first and join through this field ({@link ResourceJoinQuery}). Terms, not
   * int points: points were ~5 % cheaper to add than a field per term (a pipeline record refers to ~120 resources),
   * but handing the terms over as one field of many terms did as well without changing the index format.
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
   * The document layout, kept in the commit's user data: 4 = one document per record and one per distinct resource;
   * 3 is 4 with the record's trace ids in binary doc values ({@value #TRACE}), still read (its doc values answer
   * {@link #collectTraceIds} without reading the segment); 2 was one document per (trace, record) with the resource
   * attributes in it, 1 one document per span. An index of another layout is rebuilt from its segment at open.
   */
  static final String LAYOUT_KEY = "loupe.layout";
  static final String LAYOUT = "4";
  private static final java.util.Set<String> READ_LAYOUTS = java.util.Set.of("3", LAYOUT);
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
      if (!READ_LAYOUTS.contains(data.get(LAYOUT_KEY))) {
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
   * Indexes the record at {@code offset} of {@code tenant}: every one of its {@code spans}, in one document. Its trace
   * ids are not in it: the record's header in the segment lists them ({@link #collectTraceIds}). Called by one thread at a time (the shard's append lock). Measured on pipeline
   * traces of 6 spans, 32 per record, a document per record costs 2-4 us of CPU per span to index and flush where a
   * document per trace cost 6-8 (the terms of a record's spans repeat across its traces); end to end over OTLP the
   * node went from 21-23 to 16.9 CPU s per million spans.
   */
  public synchronized void addRecord(String tenant, Iterable<SpanRecord> spans, long offset) throws IOException {
    List<IndexableField> d = builder.build(tenant, spans, offset);
    for (List<IndexableField> r : builder.newResources) {
      writer.addDocument(r);
    }
    writer.addDocument(d);
  }

  /**
   * Builds documents with terms encoded straight into one byte arena per document (no {@code tenant + value} strings)
   * and each (field, value) pair added once per document.
   *
   * <p>Hand-tuned for the ingest path (the document was ~18 % of a node's samples, more than Lucene's own inversion of
   * it in TraceWriteBenchmark.pipelineIndex): the once-per-document checks go through one open-addressing table
   * stamped per document ({@link Seen}: no boxing, no clearing, no record per operation), attribute keys find their
   * field names through a direct-mapped identity cache before the map, and resources through an identity table that
   * lives across documents before the content-keyed one.
   */
  private static final class DocBuilder {
    /** The field names of one attribute key, built once. */
    private static final class AttributeFields {
      final String keyword;
      final String longs;
      final String doubles;
      final int hash; // for Seen: identity decides, this only spreads
      final TermStream terms = new TermStream(); // the keyword terms of the record document being built

      AttributeFields(String keyword, String longs, String doubles, int hash) {
        this.keyword = keyword;
        this.longs = longs;
        this.doubles = doubles;
        this.hash = hash;
      }
    }

    /** Attribute fields with keyword terms in the record document being built. */
    private final List<AttributeFields> withTerms = new ArrayList<>();
    /** The record document's resource references, one field of many terms as the attributes' keywords. */
    private final TermStream resourceRefs = new TermStream();

    // Tags of the intrinsic fields in Seen; attribute values are tagged by their AttributeFields.
    private static final Object SERVICES = new Object();
    private static final Object NAMES = new Object();
    private static final Object OPERATIONS = new Object();

    private final Seen seen = new Seen();
    private final Seen resourceSeen = new Seen(); // a resource document's own, built amid a trace document
    private int kinds;
    private int statuses;
    private final Resources resources = new Resources();
    private int nextResourceId;
    /** Resource documents the last {@link #build} created, to add to the index before its trace document. */
    final List<List<IndexableField>> newResources = new ArrayList<>();
    private final ArrayList<IndexableField> fields = new ArrayList<>(1024);
    private final FieldCache resourceFields = new FieldCache(RESOURCE_PREFIX, RESOURCE_NUMERIC_PREFIX,
        RESOURCE_DOUBLE_PREFIX);
    private final FieldCache spanFields = new FieldCache(SPAN_PREFIX, SPAN_NUMERIC_PREFIX, SPAN_DOUBLE_PREFIX);
    private int docNumber;
    private String tenant = "";
    private byte[] tenantPrefix = {SEP};
    private byte[] arena = new byte[4096];
    private int used;
    // The target of attributes(): a reused consumer, so that iterating a map allocates no entry per attribute.
    private List<IndexableField> target;
    private FieldCache targetFields;
    private Seen targetSeen;
    private final java.util.function.BiConsumer<String, Object> addAttribute = (k, v) -> {
      if (v != null) {
        value(target, targetSeen, targetFields.get(k), v, true);
      }
    };

    List<IndexableField> build(String tenant, Iterable<SpanRecord> spans, long offset) {
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
      seen.clear();
      for (AttributeFields f : withTerms) { // emptied when IndexWriter closed their streams, unless it failed first
        f.terms.clear();
      }
      resourceRefs.clear();
      withTerms.clear();
      kinds = 0;
      statuses = 0;
      newResources.clear();
      // One list for every trace document, its capacity kept: growing a Document's list to ~500 fields was 3 % of
      // addRecord. IndexWriter reads it within addDocument only.
      List<IndexableField> d = fields;
      d.clear();
      d.add(new StringField(TENANT, tenant, Field.Store.NO));
      d.add(new NumericDocValuesField(OFFSET, offset));
      long minStart = Long.MAX_VALUE;
      long maxStart = Long.MIN_VALUE;
      long minDuration = Long.MAX_VALUE;
      long maxDuration = Long.MIN_VALUE;
      Map<String, Object> lastAttrs = null;
      Resource last = null;
      for (SpanRecord s : spans) {
        minStart = Math.min(minStart, s.startEpochNanos());
        maxStart = Math.max(maxStart, s.startEpochNanos());
        minDuration = Math.min(minDuration, s.durationNanos());
        maxDuration = Math.max(maxDuration, s.durationNanos());
        Map<String, Object> ra = s.resourceAttributes();
        Resource r = ra == lastAttrs ? last : resource(tenant, ra);
        lastAttrs = ra;
        last = r;
        if (r.doc != docNumber) { // a resource new in this document
          r.doc = docNumber;
          if (resourceRefs.size == 0) {
            d.add(new Field(RESOURCE_REF, resourceRefs, TermStream.TYPE));
          }
          resourceRefs.add(r.ref);
          if (seen.add(SERVICES, 1, r.service)) {
            d.add(new StringField(SERVICE, term(r.service, null), Field.Store.NO));
          }
        }
        String name = s.name();
        if (seen.add(OPERATIONS, 3, r.service, name)) {
          d.add(new StringField(OPERATION, term(r.service, name), Field.Store.NO));
          if (seen.add(NAMES, 2, name)) {
            d.add(new StringField(NAME, term(name, null), Field.Store.NO));
          }
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
        attributes(d, s.attributes(), spanFields, seen);
      }
      for (AttributeFields f : withTerms) {
        d.add(new Field(f.keyword, f.terms, TermStream.TYPE));
      }
      d.add(new LongPoint(START, maxStart));
      d.add(new NumericDocValuesField(START, maxStart));
      d.add(new LongPoint(START_MIN, minStart));
      d.add(new LongPoint(DURATION, minDuration, maxDuration));
      target = null;
      return d;
    }

    /**
     * The resource of {@code attrs}, with the id of its resource document, creating that document (into {@link
     * #newResources}) when this index has none. On the OTLP pipeline workload resource attributes were 27 of the ~70
     * terms of a trace document, and a few hundred distinct resources stand behind millions of spans.
     */
    private Resource resource(String tenant, Map<String, Object> attrs) {
      Resource r = resources.byIdentity(tenant, attrs, docNumber);
      if (r != null) {
        return r;
      }
      boolean immutable = IMMUTABLE.get(attrs.getClass());
      ResourceKey key = new ResourceKey(tenant, attrs);
      r = resources.byContent(key);
      if (r == null) {
        if (resources.size() >= MAX_RESOURCES) {
          // Bounds the memory: a resource seen again after this gets a second document, which costs terms, not
          // results.
          resources.clear();
        }
        // The key keeps a copy of a map its caller may change later: it must not stand for content it no longer has.
        if (!immutable) {
          key = new ResourceKey(tenant, new java.util.LinkedHashMap<>(attrs), key.hash);
        }
        int n = nextResourceId++;
        r = new Resource(key, n, serviceName(attrs));
        resources.put(r);
        List<IndexableField> doc = new ArrayList<>();
        doc.add(new NumericDocValuesField(RESOURCE_ID, n));
        resourceSeen.clear();
        attributes(doc, attrs, resourceFields, resourceSeen);
        newResources.add(doc);
      }
      resources.remember(attrs, r, immutable, docNumber);
      return r;
    }

    private static String serviceName(Map<String, Object> attrs) {
      Object s = attrs.get(SpanRecord.SERVICE_NAME);
      return s instanceof String str && !str.isEmpty() ? str : "unknown_service"; // as SpanRecord.serviceName()
    }

    private void attributes(List<IndexableField> d, Map<String, Object> attrs, FieldCache fields, Seen seen) {
      if (attrs.isEmpty()) {
        return;
      }
      target = d;
      targetFields = fields;
      targetSeen = seen;
      attrs.forEach(addAttribute);
    }

    private void value(List<IndexableField> d, Seen seen, AttributeFields f, Object v, boolean allowList) {
      if (v instanceof String str) {
        if (str.length() <= MAX_KEYWORD_CHARS && seen.add(f, f.hash, str)) {
          keyword(d, seen, f, term(str, null));
        }
      } else if (v instanceof Long || v instanceof Integer) {
        long l = ((Number) v).longValue();
        if (seen.add(f, f.hash, Seen.LONG, l)) {
          keyword(d, seen, f, term(Long.toString(l), null));
          d.add(new LongPoint(f.longs, l));
        }
      } else if (v instanceof Boolean b) {
        if (seen.add(f, f.hash, Seen.BOOLEAN, b ? 1 : 0)) {
          keyword(d, seen, f, term(b.toString(), null));
        }
      } else if (v instanceof Double dbl) {
        // The bits, not the value: -0.0 and 0.0 print apart, and NaN equals itself here as Double.equals has it.
        if (seen.add(f, f.hash, Seen.DOUBLE, Double.doubleToLongBits(dbl))) {
          keyword(d, seen, f, term(String.valueOf(dbl), null));
          d.add(new DoublePoint(f.doubles, dbl));
        }
      } else if (v instanceof List<?> list && allowList) {
        for (Object o : list) {
          if (o != null) {
            value(d, seen, f, o, false);
          }
        }
      }
      // byte[], maps, nested lists, null: stored in the segment, not searchable
    }

    /**
     * Adds a keyword term: to a resource document at once, to the record document through {@code f}'s terms, which
     * become one field of many terms when the document is done. A field per term was ~350 fields per pipeline record,
     * and Lucene's work per field (schema checks, starting the inversion, its per-field writers) was paid for each.
     */
    private void keyword(List<IndexableField> d, Seen seen, AttributeFields f, BytesRef term) {
      if (seen != this.seen) {
        d.add(new StringField(f.keyword, term, Field.Store.NO));
        return;
      }
      if (f.terms.size == 0) {
        withTerms.add(f);
      }
      f.terms.add(term);
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

  /**
   * The keyword terms of one field of a document as one token stream: indexed exactly as that many {@link
   * StringField}s would be (docs only, no norms), for one field's worth of Lucene's per-field work. Emptied as
   * IndexWriter reads it (it ends, then resets for the next document).
   */
  static final class TermStream extends org.apache.lucene.analysis.TokenStream {
    static final org.apache.lucene.document.FieldType TYPE = new org.apache.lucene.document.FieldType();

    static {
      TYPE.setTokenized(true); // more than one term; each is taken as is, no analyzer runs
      TYPE.setOmitNorms(true);
      TYPE.setIndexOptions(org.apache.lucene.index.IndexOptions.DOCS);
      TYPE.freeze();
    }

    private final org.apache.lucene.analysis.tokenattributes.BytesTermAttribute bytes =
        addAttribute(org.apache.lucene.analysis.tokenattributes.BytesTermAttribute.class);
    private BytesRef[] terms = new BytesRef[8];
    int size;
    private int next;

    void add(BytesRef term) {
      if (size == terms.length) {
        terms = Arrays.copyOf(terms, size * 2);
      }
      terms[size++] = term;
    }

    @Override
    public boolean incrementToken() {
      if (next == size) {
        return false;
      }
      clearAttributes();
      bytes.setBytesRef(terms[next++]);
      return true;
    }

    @Override
    public void reset() throws IOException {
      super.reset();
      next = 0;
    }

    @Override
    public void close() throws IOException {
      super.close();
      clear();
    }

    void clear() {
      Arrays.fill(terms, 0, size, null); // the arena's bytes are the next document's
      size = 0;
      next = 0;
    }
  }

  /**
   * Attribute key to field names: a map, with a direct-mapped cache of the last key instance per slot in front of it
   * (a request's keys are one instance each, and a decoder with canonical strings gives the same instance across
   * requests, so most lookups are one hash read and one reference comparison).
   */
  private static final class FieldCache {
    private static final int SLOTS = 256;
    private final String prefix;
    private final String numericPrefix;
    private final String doublePrefix;
    private final Map<String, DocBuilder.AttributeFields> byKey = new java.util.HashMap<>();
    private final String[] keys = new String[SLOTS];
    private final DocBuilder.AttributeFields[] fields = new DocBuilder.AttributeFields[SLOTS];

    FieldCache(String prefix, String numericPrefix, String doublePrefix) {
      this.prefix = prefix;
      this.numericPrefix = numericPrefix;
      this.doublePrefix = doublePrefix;
    }

    DocBuilder.AttributeFields get(String key) {
      int h = key.hashCode();
      int slot = (h ^ (h >>> 16)) & (SLOTS - 1);
      if (keys[slot] == key) {
        return fields[slot];
      }
      DocBuilder.AttributeFields f = byKey.get(key);
      if (f == null) {
        f = new DocBuilder.AttributeFields(prefix + key, numericPrefix + key, doublePrefix + key, h);
        if (byKey.size() < MAX_CACHED_KEYS) {
          byKey.put(key, f);
        }
      }
      keys[slot] = key;
      fields[slot] = f;
      return f;
    }
  }

  /**
   * The (field, value) pairs a document already has: open addressing, each slot stamped with the document it belongs
   * to, so that starting a document is one increment. A field is a tag object compared by identity; values are
   * strings (compared by identity, then hash and content), pairs of strings, or 64-bit numbers of a type. Replaced a
   * {@code HashSet<Object>} per attribute key (boxing, a node per value) and a {@code HashSet<Operation>} (a record
   * per span).
   */
  static final class Seen {
    // Numbers are told apart by type through a marker object in the second reference of their slot.
    static final Object LONG = new Object();
    static final Object DOUBLE = new Object();
    static final Object BOOLEAN = new Object();

    // Per slot: meta = stamp << 32 | hash (one load decides free or candidate), then three references (tag, first,
    // second) side by side and a number: a hit reads two or three cache lines, not one per field.
    private long[] meta = new long[1024];
    private Object[] refs = new Object[3 * 1024];
    private long[] numbers = new long[1024];
    private long stamp = 1;
    private int size;

    /** Forgets every pair. */
    void clear() {
      size = 0;
      if (++stamp == 1L << 31) { // stamps stay positive ints: slots of 2^31 documents ago would look current
        Arrays.fill(meta, 0);
        stamp = 1;
      }
    }

    /** Whether the string {@code v} is new for {@code tag} (whose hash is {@code tagHash}); adds it. */
    boolean add(Object tag, int tagHash, String v) {
      return add(tag, tagHash, v, null, 0, v.hashCode());
    }

    /** Whether the pair ({@code a}, {@code b}) is new for {@code tag}; adds it. */
    boolean add(Object tag, int tagHash, String a, String b) {
      return add(tag, tagHash, a, b, 0, a.hashCode() * 31 + b.hashCode());
    }

    /** Whether the number {@code v} of {@code type} ({@link #LONG}, {@link #DOUBLE}, {@link #BOOLEAN}) is new. */
    boolean add(Object tag, int tagHash, Object type, long v) {
      return add(tag, tagHash, null, type, v, Long.hashCode(v) * 31 + (type == LONG ? 1 : type == DOUBLE ? 2 : 3));
    }

    // The tag is compared by identity; its hash only spreads (two tags of one hash stay apart).
    private boolean add(Object tag, int tagHash, Object a, Object b, long n, int valueHash) {
      int h = mix(tagHash * 0x9e3779b9 + valueHash);
      long m = stamp << 32 | (h & 0xffffffffL);
      int mask = meta.length - 1;
      for (int i = h & mask; ; i = (i + 1) & mask) {
        long x = meta[i];
        if (x >>> 32 != stamp) { // free in this document
          meta[i] = m;
          refs[3 * i] = tag;
          refs[3 * i + 1] = a;
          refs[3 * i + 2] = b;
          numbers[i] = n;
          if (++size * 2 > meta.length) {
            grow();
          }
          return true;
        }
        if (x == m && refs[3 * i] == tag && numbers[i] == n && same(refs[3 * i + 1], a)
            && same(refs[3 * i + 2], b)) {
          return false;
        }
      }
    }

    private static boolean same(Object x, Object y) {
      return x == y || (x != null && x.equals(y));
    }

    private void grow() {
      long[] oldMeta = meta;
      Object[] oldRefs = refs;
      long[] oldNumbers = numbers;
      int n = oldMeta.length * 2;
      meta = new long[n];
      refs = new Object[3 * n];
      numbers = new long[n];
      for (int j = 0; j < oldMeta.length; j++) {
        if (oldMeta[j] >>> 32 != stamp) {
          continue;
        }
        int i = (int) oldMeta[j] & (n - 1);
        while (meta[i] >>> 32 == stamp) {
          i = (i + 1) & (n - 1);
        }
        meta[i] = oldMeta[j];
        System.arraycopy(oldRefs, 3 * j, refs, 3 * i, 3);
        numbers[i] = oldNumbers[j];
      }
    }
  }

  static int mix(int x) {
    x ^= x >>> 16;
    x *= 0x85ebca6b;
    x ^= x >>> 13;
    x *= 0xc2b2ae35;
    return x ^ (x >>> 16);
  }

  /**
   * Map classes whose instances never change, so that one instance stands for the same content in every document:
   * those marked {@link io.loupe.model.FixedAttributes} (the collector's decoded attribute maps) and the JDK's
   * immutable maps. Any other map is trusted only within the document it was checked in, and copied when it
   * becomes a resource key.
   */
  private static final ClassValue<Boolean> IMMUTABLE = new ClassValue<>() {
    @Override
    protected Boolean computeValue(Class<?> c) {
      return io.loupe.model.FixedAttributes.class.isAssignableFrom(c)
          || c == Map.of().getClass() || c == Map.of("k", "v").getClass()
          || c == Map.of("k", "v", "l", "w").getClass();
    }
  };

  /**
   * A resource by tenant and content, so that one resource sent in many requests is one document. The hash mixes
   * each entry before summing (still independent of order): {@code Map.hashCode} sums {@code key ^ value} hashes, and
   * resources that differ only in a host number then collide often enough that the equality checks were 5% of a
   * node's ingest profile.
   */
  static final class ResourceKey implements java.util.function.BiConsumer<String, Object> {
    final String tenant;
    final Map<String, Object> attributes;
    final int hash;
    private int sum; // forEach's accumulator, only while hashing

    ResourceKey(String tenant, Map<String, Object> attributes) {
      this.tenant = tenant;
      this.attributes = attributes;
      sum = tenant.hashCode();
      attributes.forEach(this); // no entry objects, unlike entrySet() over the collector's map
      this.hash = sum;
    }

    ResourceKey(String tenant, Map<String, Object> attributes, int hash) {
      this.tenant = tenant;
      this.attributes = attributes;
      this.hash = hash;
    }

    @Override
    public void accept(String k, Object v) {
      sum += mix(k.hashCode() * 31 + java.util.Objects.hashCode(v));
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ResourceKey k && k.hash == hash && k.tenant.equals(tenant)
          && (k.attributes == attributes || k.attributes.equals(attributes));
    }
  }

  /** A resource with a document in this index. */
  static final class Resource {
    final ResourceKey key;
    final BytesRef ref; // its RESOURCE_REF term (Lucene copies it: shared by every document)
    final String service;
    int doc; // the last trace document that refers to it

    Resource(ResourceKey key, int id, String service) {
      this.key = key;
      this.ref = resourceTerm(id);
      this.service = service;
    }
  }

  /**
   * The resources an active index remembers: by content (the rule), and by map identity in front of it (a hint that
   * saves hashing and comparing a resource's attributes once per document, or once per request when the collector
   * hands the same map instance over for equal resources). An identity entry of a map that may change is only
   * trusted in the document that checked its content.
   */
  static final class Resources {
    private static final int IDENTITY_SLOTS = 1 << 14; // at most half full: 8,192 maps
    private final Map<ResourceKey, Resource> byContent = new java.util.HashMap<>();
    private final Object[] maps = new Object[IDENTITY_SLOTS];
    private final Resource[] resources = new Resource[IDENTITY_SLOTS];
    private final boolean[] immutable = new boolean[IDENTITY_SLOTS];
    private final int[] checkedIn = new int[IDENTITY_SLOTS];
    private int identities;

    /** The resource {@code attrs} was found to be, if that still holds for {@code tenant} in document {@code doc}. */
    Resource byIdentity(String tenant, Map<String, Object> attrs, int doc) {
      for (int i = slot(attrs); ; i = (i + 1) & (IDENTITY_SLOTS - 1)) {
        Object m = maps[i];
        if (m == null) {
          return null;
        }
        if (m == attrs) {
          Resource r = resources[i];
          return (immutable[i] || checkedIn[i] == doc) && r.key.tenant.equals(tenant) ? r : null;
        }
      }
    }

    Resource byContent(ResourceKey key) {
      return byContent.get(key);
    }

    int size() {
      return byContent.size();
    }

    void put(Resource r) {
      byContent.put(r.key, r);
    }

    void remember(Map<String, Object> attrs, Resource r, boolean isImmutable, int doc) {
      if (identities * 2 >= IDENTITY_SLOTS) {
        Arrays.fill(maps, null);
        Arrays.fill(resources, null);
        identities = 0;
      }
      int i = slot(attrs);
      while (maps[i] != null && maps[i] != attrs) {
        i = (i + 1) & (IDENTITY_SLOTS - 1);
      }
      if (maps[i] == null) {
        identities++;
      }
      maps[i] = attrs;
      resources[i] = r;
      immutable[i] = isImmutable;
      checkedIn[i] = doc;
    }

    void clear() {
      byContent.clear();
      Arrays.fill(maps, null);
      Arrays.fill(resources, null);
      identities = 0;
    }

    private static int slot(Object m) {
      return mix(System.identityHashCode(m)) & (IDENTITY_SLOTS - 1);
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

  /** Where a record's trace ids are read from: the header of the record at an offset of this index's segment. */
  @FunctionalInterface
  public interface RecordTraceIds {
    void addTo(long offset, TraceIdFilter out) throws IOException;
  }

  /**
   * Adds the trace ids of every record matching {@code q} to {@code out}, read by {@code records} from the records
   * themselves (an index of layout 3 has them in doc values); false as soon as they are more than {@code max}.
   */
  public boolean collectTraceIds(Query q, int max, TraceIdFilter out, RecordTraceIds records) throws IOException {
    Acquired a = acquire();
    IndexSearcher s = a.searcher();
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
        BinaryDocValues ids = leaf.reader().getBinaryDocValues(TRACE); // layout 3
        org.apache.lucene.index.NumericDocValues offsets = ids != null ? null : DocValues.getNumeric(leaf.reader(),
            OFFSET);
        org.apache.lucene.util.Bits live = leaf.reader().getLiveDocs();
        org.apache.lucene.search.DocIdSetIterator it = scorer.iterator();
        for (int doc = it.nextDoc(); doc != org.apache.lucene.search.DocIdSetIterator.NO_MORE_DOCS;
            doc = it.nextDoc()) {
          if (live != null && !live.get(doc)) {
            continue;
          }
          if (ids == null) {
            if (offsets.advanceExact(doc)) {
              records.addTo(offsets.longValue(), out);
            }
          } else if (ids.advanceExact(doc)) {
            BytesRef id = ids.binaryValue();
            for (int p = id.offset; p + 16 <= id.offset + id.length; p += 16) {
              out.add(TraceIds.readLong(id.bytes, p), TraceIds.readLong(id.bytes, p + 8));
            }
          }
          if (out.size() > max) {
            return false;
          }
        }
      }
      return true;
    } finally {
      a.release();
    }
  }

  /**
   * A cursor over the documents matching {@code q}, on the newest reader; {@code floor}: no document with a newest
   * start below it can match (the query's own range says so; here it bounds the walk back in time).
   */
  public Cursor cursor(Query q, long floor) throws IOException {
    Acquired a = acquire();
    try {
      return new Cursor(a.manager(), a.searcher(), q, floor);
    } catch (IOException | RuntimeException e) {
      a.release();
      throw e;
    }
  }

  /**
   * Adds to {@code out} the first {@code limit} terms (in sorted order) of {@code field} that start with {@code
   * prefix}, without the prefix.
   */
  public void terms(String field, String prefix, int limit, java.util.Collection<String> out) throws IOException {
    Acquired a = acquire();
    IndexSearcher s = a.searcher();
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
      a.release();
    }
  }

  /**
   * Adds to {@code out} the attribute keys of {@code tenant} under {@code prefix} ({@link #RESOURCE_PREFIX} or {@link
   * #SPAN_PREFIX}): the keyword fields with a term of the tenant. A field name alone would show keys of every tenant.
   */
  public void tagNames(String tenant, String prefix, java.util.Collection<String> out) throws IOException {
    Acquired a = acquire();
    IndexSearcher s = a.searcher();
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
      a.release();
    }
  }

  /**
   * A searcher of the newest reader, refreshed first if the index is writable. A seal swaps the manager: a caller that
   * meets the old one closed takes the new one, so that searching a segment while it seals does not fail; one racing
   * a close of the index (retention, shutdown) gets {@link AlreadyClosedException}.
   */
  private Acquired acquire() throws IOException {
    SearcherManager m = searchers;
    try {
      refresh(m);
      return new Acquired(m, m.acquire());
    } catch (AlreadyClosedException e) {
      if (m == searchers) {
        throw e;
      }
      m = searchers; // sealed meanwhile: the read-only manager replaced it
      return new Acquired(m, m.acquire());
    }
  }

  /** A searcher and the manager to release it to. */
  private record Acquired(SearcherManager manager, IndexSearcher searcher) {
    void release() throws IOException {
      manager.release(searcher);
    }
  }

  /**
   * Commits and turns read-only. Called when no more documents come (the segment rolled); searches go on meanwhile:
   * the documents are flushed into a near-real-time reader first (the costly part, done while the old reader still
   * answers), and the commit after it only syncs the files.
   */
  public void seal() throws IOException {
    searchers.maybeRefreshBlocking();
    live = false; // nothing changes any more: searches stop asking for a refresh
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
