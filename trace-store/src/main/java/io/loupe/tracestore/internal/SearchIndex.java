package io.loupe.tracestore.internal;

import io.loupe.model.SpanRecord;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.DoublePoint;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.SortedDocValuesField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.DocValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.SortedDocValues;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.MultiTerms;
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

/**
 * The Lucene index of one segment: one document per span. While the segment is active an {@link IndexWriter} adds
 * documents and searches go through a near-real-time reader; sealing commits it and reopens read-only. Derived data:
 * recovery rebuilds it from the segment whenever the segment had no index file. Fields in docs/format/trace-lucene.md.
 */
public final class SearchIndex implements Closeable {
  public static final String TENANT = "tenant";
  public static final String TRACE = "trace";
  public static final String SERVICE = "service";
  public static final String OPERATION = "op";
  public static final String NAME = "name";
  public static final String KIND = "kind";
  public static final String STATUS = "status";
  public static final String ROOT = "root";
  public static final String START = "start";
  public static final String DURATION = "duration";
  public static final String TAG = "tag";
  public static final String RESOURCE_PREFIX = "r.";
  public static final String SPAN_PREFIX = "s.";
  public static final String RESOURCE_NUMERIC_PREFIX = "rn.";
  public static final String SPAN_NUMERIC_PREFIX = "sn.";
  // Doubles apart from longs: both are 8-byte 1-D points, so one field would mix two encodings in one range query.
  public static final String RESOURCE_DOUBLE_PREFIX = "rd.";
  public static final String SPAN_DOUBLE_PREFIX = "sd.";
  /** Keyword values longer than this are not indexed (Lucene's term limit is 32766 bytes; such values are blobs). */
  static final int MAX_KEYWORD_CHARS = 1024;
  static final char SEP = '\u0000';

  private final Path dir;
  private final Directory directory;
  private IndexWriter writer; // null once sealed
  private volatile SearcherManager searchers;

  private SearchIndex(Path dir, Directory directory, IndexWriter writer, SearcherManager searchers) {
    this.dir = dir;
    this.directory = directory;
    this.writer = writer;
    this.searchers = searchers;
  }

  /** A new, empty, writable index in {@code dir} (anything there is deleted: it is derived data). */
  public static SearchIndex create(Path dir) throws IOException {
    deleteRecursively(dir);
    Files.createDirectories(dir);
    Directory d = FSDirectory.open(dir);
    IndexWriterConfig c = new IndexWriterConfig();
    c.setOpenMode(IndexWriterConfig.OpenMode.CREATE);
    c.setRAMBufferSizeMB(16);
    c.setCommitOnClose(false);
    IndexWriter w = new IndexWriter(d, c);
    w.commit(); // an empty commit so that a reader can open it at once
    return new SearchIndex(dir, d, w, new SearcherManager(w, null));
  }

  /** Opens a sealed index read-only; null when there is none (never written or damaged). */
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
      return new SearchIndex(dir, d, null, new SearcherManager(d, null));
    } catch (IOException | RuntimeException e) {
      d.close();
      return null;
    }
  }

  public static String key(String tenant, String value) {
    return tenant + SEP + value;
  }

  /** Indexes {@code spans} of {@code tenant}. */
  public void add(String tenant, Iterable<SpanRecord> spans) throws IOException {
    List<Document> docs = new ArrayList<>();
    for (SpanRecord s : spans) {
      docs.add(document(tenant, s));
    }
    writer.addDocuments(docs);
  }

  static Document document(String tenant, SpanRecord s) {
    Document d = new Document();
    d.add(new StringField(TENANT, tenant, Field.Store.NO));
    // Doc values, not a stored field: spans of a trace share one ordinal, and reading ids of hits skips the LZ4
    // block decompression that showed at the top of a search profile.
    d.add(new SortedDocValuesField(TRACE, new BytesRef(TraceIds.fromHex(s.traceId(), 16, "traceId"))));
    String service = s.serviceName();
    d.add(new StringField(SERVICE, key(tenant, service), Field.Store.NO));
    d.add(new StringField(OPERATION, key(tenant, service + SEP + s.name()), Field.Store.NO));
    d.add(new StringField(NAME, key(tenant, s.name()), Field.Store.NO));
    d.add(new StringField(KIND, s.kind().name().toLowerCase(Locale.ROOT), Field.Store.NO));
    d.add(new StringField(STATUS, s.statusCode().name().toLowerCase(Locale.ROOT), Field.Store.NO));
    d.add(new StringField(ROOT, s.isRoot() ? "t" : "f", Field.Store.NO));
    d.add(new LongPoint(START, s.startEpochNanos()));
    d.add(new NumericDocValuesField(START, s.startEpochNanos()));
    d.add(new LongPoint(DURATION, s.durationNanos()));
    attributes(d, tenant, s.resourceAttributes(), RESOURCE_PREFIX, RESOURCE_NUMERIC_PREFIX, RESOURCE_DOUBLE_PREFIX);
    attributes(d, tenant, s.attributes(), SPAN_PREFIX, SPAN_NUMERIC_PREFIX, SPAN_DOUBLE_PREFIX);
    return d;
  }

  private static void attributes(Document d, String tenant, Map<String, Object> attrs, String prefix,
      String numericPrefix, String doublePrefix) {
    for (Map.Entry<String, Object> a : attrs.entrySet()) {
      boolean any = value(d, tenant, prefix + a.getKey(), numericPrefix + a.getKey(), doublePrefix + a.getKey(),
          a.getValue(), true);
      if (any) {
        d.add(new StringField(TAG, key(tenant, prefix + a.getKey()), Field.Store.NO));
      }
    }
  }

  private static boolean value(Document d, String tenant, String field, String numericField, String doubleField,
      Object v, boolean allowList) {
    if (v instanceof String str) {
      if (str.length() > MAX_KEYWORD_CHARS) {
        return false;
      }
      d.add(new StringField(field, key(tenant, str), Field.Store.NO));
      return true;
    }
    if (v instanceof Boolean || v instanceof Long || v instanceof Integer) {
      d.add(new StringField(field, key(tenant, String.valueOf(v)), Field.Store.NO));
      if (!(v instanceof Boolean)) {
        d.add(new LongPoint(numericField, ((Number) v).longValue()));
      }
      return true;
    }
    if (v instanceof Double dbl) {
      d.add(new StringField(field, key(tenant, String.valueOf(dbl)), Field.Store.NO));
      d.add(new DoublePoint(doubleField, dbl));
      return true;
    }
    if (v instanceof List<?> list && allowList) {
      boolean any = false;
      for (Object o : list) {
        any |= value(d, tenant, field, numericField, doubleField, o, false);
      }
      return any;
    }
    return false; // byte[], maps, nested lists, null: stored in the segment, not searchable
  }

  /** A hit: the trace id (16 bytes) and start of a matching span. */
  public record Hit(byte[] traceId, long startNanos) {}

  /** The newest {@code n} spans matching {@code q}, by start time descending. */
  public List<Hit> search(Query q, int n) throws IOException {
    SearcherManager m = searchers;
    IndexSearcher s;
    try {
      m.maybeRefresh();
      s = m.acquire();
    } catch (AlreadyClosedException e) {
      if (m == searchers) {
        throw e;
      }
      m = searchers; // sealed meanwhile: the read-only manager replaced it
      s = m.acquire();
    }
    try {
      TopFieldDocs top = s.search(q, n, new Sort(new SortField(START, SortField.Type.LONG, true)), false);
      ScoreDoc[] docs = top.scoreDocs.clone();
      Arrays.sort(docs, (x, y) -> Integer.compare(x.doc, y.doc)); // doc values iterate forward only
      List<Hit> hits = new ArrayList<>(docs.length);
      List<LeafReaderContext> leaves = s.getIndexReader().leaves();
      int leaf = -1;
      SortedDocValues ids = null;
      for (ScoreDoc sd : docs) {
        int li = ReaderUtil.subIndex(sd.doc, leaves);
        if (li != leaf) {
          leaf = li;
          ids = DocValues.getSorted(leaves.get(li).reader(), TRACE);
        }
        if (!ids.advanceExact(sd.doc - leaves.get(li).docBase)) {
          continue;
        }
        BytesRef id = ids.lookupOrd(ids.ordValue());
        long start = (Long) ((FieldDoc) sd).fields[0];
        hits.add(new Hit(Arrays.copyOfRange(id.bytes, id.offset, id.offset + id.length), start));
      }
      return hits;
    } finally {
      m.release(s);
    }
  }

  /**
   * Adds to {@code out} the first {@code limit} terms (in sorted order) of {@code field} that start with {@code
   * prefix}, without the prefix.
   */
  public void terms(String field, String prefix, int limit, java.util.Collection<String> out) throws IOException {
    SearcherManager m = searchers;
    m.maybeRefresh();
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

  /** Commits and turns read-only. */
  public void seal() throws IOException {
    writer.commit();
    SearcherManager old = searchers;
    searchers = new SearcherManager(directory, null);
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
