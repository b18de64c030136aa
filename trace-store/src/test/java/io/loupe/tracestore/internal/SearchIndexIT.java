package io.loupe.tracestore.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.loupe.model.AttributeCondition;
import io.loupe.model.CompareOp;
import io.loupe.model.SpanRecord;
import io.loupe.model.TagScope;
import io.loupe.model.TraceQuery;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SearchIndexIT {
  @TempDir Path dir;

  @Test
  void anIndexOfAnotherLayoutIsNotOpenedSoThatItIsRebuilt() throws IOException {
    try (FSDirectory d = FSDirectory.open(dir); IndexWriter w = new IndexWriter(d, new IndexWriterConfig())) {
      Document doc = new Document(); // layout 1: one document per span, no layout in the commit
      doc.add(new StringField(SearchIndex.TENANT, "a", Field.Store.NO));
      w.addDocument(doc);
      w.commit();
    }
    assertThat(SearchIndex.openSealed(dir)).isNull();

    SearchIndex fresh = SearchIndex.create(dir);
    fresh.seal();
    fresh.close();
    SearchIndex reopened = SearchIndex.openSealed(dir);
    assertThat(reopened).isNotNull();
    reopened.close();
  }

  @Test
  void anIndexOfLayout3AnswersThePrefilterFromItsTraceIdDocValues() throws IOException {
    byte[] ids = new byte[32]; // two trace ids: 1 and 2
    ids[15] = 1;
    ids[31] = 2;
    try (FSDirectory d = FSDirectory.open(dir); IndexWriter w = new IndexWriter(d, new IndexWriterConfig())) {
      Document doc = new Document();
      doc.add(new StringField(SearchIndex.TENANT, "a", Field.Store.NO));
      doc.add(new org.apache.lucene.document.BinaryDocValuesField(SearchIndex.TRACE,
          new org.apache.lucene.util.BytesRef(ids)));
      doc.add(new org.apache.lucene.document.NumericDocValuesField(SearchIndex.OFFSET, 10));
      w.addDocument(doc);
      w.setLiveCommitData(Map.of(SearchIndex.LAYOUT_KEY, "3").entrySet());
      w.commit();
    }
    SearchIndex index = SearchIndex.openSealed(dir);
    assertThat(index).isNotNull();
    try {
      TraceIdFilter out = new TraceIdFilter(10);
      assertThat(index.collectTraceIds(new org.apache.lucene.search.TermQuery(
          new org.apache.lucene.index.Term(SearchIndex.TENANT, "a")), 10, out, (off, o) -> {
            throw new AssertionError("layout 3 has the ids in doc values: no record read");
          })).isTrue();
      assertThat(out.mightContain(0, 1)).isTrue();
      assertThat(out.mightContain(0, 2)).isTrue();
      assertThat(out.size()).isEqualTo(2);
    } finally {
      index.close();
    }
  }

  private static final long T0 = 1_800_000_000_000_000_000L;

  private static SpanRecord span(String trace, long n, Map<String, Object> resource) {
    String spanId = String.format("%016x", n + 1);
    return new SpanRecord(trace, spanId, "", "", "op", SpanRecord.Kind.SERVER, T0 + n, T0 + n + 1000,
        SpanRecord.StatusCode.UNSET, "", resource, "", "", Map.of("k", "v" + n), List.of(), List.of(), 0);
  }

  private static Map<String, Object> resource(String service, String host, long pid) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(SpanRecord.SERVICE_NAME, service);
    m.put("host.name", host);
    m.put("process.pid", pid);
    return m;
  }

  /** Offsets of the records matching {@code c}. */
  private static Set<Long> records(SearchIndex index, String tenant, AttributeCondition c) throws IOException {
    TraceQuery q = TraceQuery.between(T0 - 1, T0 + 1_000_000, 100).withAttributes(List.of(c));
    Set<Long> out = new TreeSet<>();
    try (SearchIndex.Cursor cur = index.cursor(SearchQueries.of(tenant, q), q.startEpochNanos())) {
      for (List<SearchIndex.Hit> page; !(page = cur.next(50)).isEmpty(); ) {
        page.forEach(h -> out.add(h.offset()));
      }
    }
    return out;
  }

  private static void add(SearchIndex index, String tenant, long offset, List<SpanRecord> spans) throws IOException {
    index.addRecord(tenant, spans, offset);
  }

  @Test
  void resourcesAreIndexedOncePerContentAndJoinedToTheirRecords() throws IOException {
    SearchIndex index = SearchIndex.create(dir);
    try {
      String t1 = "00000000000000000000000000000001";
      String t2 = "00000000000000000000000000000002";
      String t3 = "00000000000000000000000000000003";
      // Equal resources in separate maps (as separate requests decode them): one resource document.
      // One record per call, at offsets 10, 20, 30 (tenant a) and 40 (tenant b).
      add(index, "a", 10, List.of(span(t1, 1, resource("api", "h1", 10)), span(t1, 2, resource("db", "h1", 11))));
      add(index, "a", 20, List.of(span(t2, 3, resource("api", "h1", 10))));
      add(index, "a", 30, List.of(span(t3, 4, resource("api", "h2", 12))));
      // Tenant b's equal resource is its own document, never joined to a's records.
      add(index, "b", 40, List.of(span("0000000000000000000000000000000b", 5, resource("api", "h1", 10))));

      assertThat(records(index, "a", new AttributeCondition(TagScope.RESOURCE, "host.name", "h1")))
          .containsExactly(10L, 20L);
      assertThat(records(index, "a", new AttributeCondition(TagScope.RESOURCE, "service.name", CompareOp.REGEX,
          "d.*"))).containsExactly(10L);
      assertThat(records(index, "a", new AttributeCondition(TagScope.ANY, "host.name", "h2")))
          .containsExactly(30L);
      assertThat(records(index, "a", new AttributeCondition(TagScope.RESOURCE, "process.pid", CompareOp.GT, "10")))
          .containsExactly(10L, 30L);
      assertThat(records(index, "a", new AttributeCondition(TagScope.RESOURCE, "host.name", CompareOp.NE, "x")))
          .containsExactly(10L, 20L, 30L); // a superset: every record with the attribute
      assertThat(records(index, "a", new AttributeCondition(TagScope.RESOURCE, "host.name", "h9"))).isEmpty();
      assertThat(records(index, "b", new AttributeCondition(TagScope.RESOURCE, "host.name", "h1")))
          .containsExactly(40L);

      // The { a } && { b } pre-filter reads the trace ids of each matching record at its offset.
      TraceIdFilter ids = new TraceIdFilter(10);
      List<Long> read = new ArrayList<>();
      assertThat(index.collectTraceIds(new org.apache.lucene.search.TermQuery(
          new org.apache.lucene.index.Term(SearchIndex.TENANT, "a")), 10, ids, (off, out) -> {
            read.add(off);
            out.add(off, off);
          })).isTrue();
      assertThat(read).containsExactly(10L, 20L, 30L);
      assertThat(ids.size()).isEqualTo(3);
      assertThat(index.collectTraceIds(new org.apache.lucene.search.TermQuery(
          new org.apache.lucene.index.Term(SearchIndex.TENANT, "a")), 2, new TraceIdFilter(10), (off, out) -> {
            throw new AssertionError("counted past the budget first: nothing read");
          })).isFalse();

      List<String> keys = new ArrayList<>();
      index.tagNames("a", SearchIndex.RESOURCE_PREFIX, keys);
      assertThat(keys).containsExactlyInAnyOrder("host.name", "process.pid", "service.name");
      List<String> hosts = new ArrayList<>();
      index.terms(SearchIndex.RESOURCE_PREFIX + "host.name", SearchIndex.key("a", ""), 10, hosts);
      assertThat(hosts).containsExactly("h1", "h2");

      // 3 distinct resources of a, 1 of b, 5 trace documents
      index.seal();
      try (org.apache.lucene.index.DirectoryReader r = org.apache.lucene.index.DirectoryReader.open(
          FSDirectory.open(dir))) {
        int resources = 0;
        for (var leaf : r.leaves()) {
          var resIds = leaf.reader().getNumericDocValues(SearchIndex.RESOURCE_ID);
          while (resIds != null && resIds.nextDoc() != org.apache.lucene.search.DocIdSetIterator.NO_MORE_DOCS) {
            resources++;
          }
        }
        assertThat(resources).isEqualTo(4);
        assertThat(r.numDocs()).isEqualTo(4 + 4);
      }
    } finally {
      index.close();
    }
  }

  @Test
  void aResourceMapChangedBetweenRecordsIsIndexedWithItsNewContent() throws IOException {
    SearchIndex index = SearchIndex.create(dir);
    try {
      String t1 = "00000000000000000000000000000001";
      Map<String, Object> mutable = resource("api", "h1", 10);
      add(index, "a", 10, List.of(span(t1, 1, mutable), span(t1, 2, mutable)));
      mutable.put("host.name", "h2"); // the same instance, other content: identity must not stand for content here
      add(index, "a", 20, List.of(span(t1, 3, mutable)));
      // Immutable maps: equal ones and the same one stand for one resource across records.
      Map<String, Object> fixed = Map.of(SpanRecord.SERVICE_NAME, "db", "host.name", "h3");
      add(index, "a", 30, List.of(span(t1, 4, fixed)));
      add(index, "a", 40, List.of(span(t1, 5, fixed), span(t1, 6, Map.copyOf(fixed))));
      add(index, "b", 50, List.of(span(t1, 7, fixed))); // another tenant: its own resource

      assertThat(records(index, "a", new AttributeCondition(TagScope.RESOURCE, "host.name", "h1")))
          .containsExactly(10L);
      assertThat(records(index, "a", new AttributeCondition(TagScope.RESOURCE, "host.name", "h2")))
          .containsExactly(20L);
      assertThat(records(index, "a", new AttributeCondition(TagScope.RESOURCE, "host.name", "h3")))
          .containsExactly(30L, 40L);
      assertThat(records(index, "b", new AttributeCondition(TagScope.RESOURCE, "host.name", "h3")))
          .containsExactly(50L);
      List<String> services = new ArrayList<>();
      index.terms(SearchIndex.SERVICE, SearchIndex.key("b", ""), 10, services);
      assertThat(services).containsExactly("db");

      index.seal();
      try (org.apache.lucene.index.DirectoryReader r = org.apache.lucene.index.DirectoryReader.open(
          FSDirectory.open(dir))) {
        assertThat(r.numDocs()).isEqualTo(5 + 4); // resources: a's h1, h2 and h3, b's h3
      }
    } finally {
      index.close();
    }
  }

  @Test
  void valuesOfEveryTypeAreIndexedOncePerRecordAndFoundByTheirStringForm() throws IOException {
    SearchIndex index = SearchIndex.create(dir);
    try {
      String t1 = "00000000000000000000000000000001";
      Map<String, Object> res = resource("api", "h1", 10);
      List<SpanRecord> spans = new ArrayList<>();
      Object[] values = {5L, "5", 5, 2.5, -0.0, 0.0, true, List.of("l1", 7L), "5", 5L};
      for (int i = 0; i < values.length; i++) {
        spans.add(new SpanRecord(t1, String.format("%016x", i + 1), "", "", "op" + (i % 2),
            SpanRecord.Kind.SERVER, T0 + i, T0 + i + 1000, SpanRecord.StatusCode.UNSET, "", res, "", "",
            Map.of("k", values[i]), List.of(), List.of(), 0));
      }
      add(index, "a", 10, spans);
      List<String> terms = new ArrayList<>();
      index.terms(SearchIndex.SPAN_PREFIX + "k", SearchIndex.key("a", ""), 100, terms);
      assertThat(terms).containsExactly("-0.0", "0.0", "2.5", "5", "7", "l1", "true");
      assertThat(records(index, "a", new AttributeCondition(TagScope.SPAN, "k", CompareOp.GT, "6")))
          .containsExactly(10L); // 7 in the list
      assertThat(records(index, "a", new AttributeCondition(TagScope.SPAN, "k", CompareOp.LT, "3")))
          .containsExactly(10L); // 2.5 and the zeros
      assertThat(records(index, "a", new AttributeCondition(TagScope.SPAN, "k", CompareOp.GT, "7"))).isEmpty();
      List<String> ops = new ArrayList<>();
      index.terms(SearchIndex.OPERATION, SearchIndex.key("a", "api" + SearchIndex.SEP), 10, ops);
      assertThat(ops).containsExactly("op0", "op1");
    } finally {
      index.close();
    }
  }

  @Test
  void attributeKeysBeyondTheFieldCacheAreIndexedToo() throws IOException {
    SearchIndex index = SearchIndex.create(dir);
    try {
      String t1 = "00000000000000000000000000000001";
      Map<String, Object> res = resource("api", "h1", 10);
      List<SpanRecord> spans = new ArrayList<>();
      for (int i = 0; i < 10_100; i += 50) { // 10,100 keys: past the 10,000 the builder caches field names for
        Map<String, Object> attrs = new LinkedHashMap<>();
        for (int k = i; k < i + 50; k++) {
          attrs.put("key" + k, "v" + (k % 7));
          attrs.put("again" + (k % 3), "w"); // a few keys in every span: one term each per record
        }
        spans.add(new SpanRecord(t1, String.format("%016x", i + 1), "", "", "op", SpanRecord.Kind.SERVER, T0 + i,
            T0 + i + 1000, SpanRecord.StatusCode.UNSET, "", res, "", "", attrs, List.of(), List.of(), 0));
      }
      add(index, "a", 10, spans);
      add(index, "a", 20, spans.subList(0, 1)); // the builder starts the next record clean
      assertThat(records(index, "a", new AttributeCondition(TagScope.SPAN, "key10099", "v5"))).containsExactly(10L);
      assertThat(records(index, "a", new AttributeCondition(TagScope.SPAN, "key0", "v0"))).containsExactly(10L, 20L);
      assertThat(records(index, "a", new AttributeCondition(TagScope.SPAN, "key10099", "v4"))).isEmpty();
      List<String> values = new ArrayList<>();
      index.terms(SearchIndex.SPAN_PREFIX + "again2", SearchIndex.key("a", ""), 10, values);
      assertThat(values).containsExactly("w");
    } finally {
      index.close();
    }
  }
}
