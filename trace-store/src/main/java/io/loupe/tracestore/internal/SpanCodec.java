package io.loupe.tracestore.internal;

import io.loupe.model.InvalidInputException;
import io.loupe.model.SpanRecord;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Encodes the spans of one write (one tenant, one shard) into a record payload and back. Layout in
 * docs/format/span-segment.md: an uncompressed header (tenant, times, trace directory) so recovery and index building
 * never inflate, then a body with a string dictionary, the distinct resource/scope groups and the spans grouped per
 * trace, LZ4-compressed when that makes it smaller (deflated in segments of version 1).
 */
public final class SpanCodec {
  public static final int TYPE_SPANS = 1;
  static final int CODEC_RAW = 0;
  static final int CODEC_DEFLATE = 1; // segments of version 1 (still read)
  // An LZ4 block, written by our Lz4 (0.5-0.7x the CPU of Lucene's compressor on record bodies, 0.1 % larger) and
  // read by Lucene's LZ4.decompress: ~5x cheaper than deflate at its fastest level, for ~15 % more segment bytes.
  static final int CODEC_LZ4 = 2;
  // Below this a compressed block's own overhead eats the gain.
  private static final int MIN_COMPRESS = 256;
  private static final int MAX_DEPTH = 32;

  private static final int V_NULL = 0;
  private static final int V_STRING = 1;
  private static final int V_FALSE = 2;
  private static final int V_TRUE = 3;
  private static final int V_LONG = 4;
  private static final int V_DOUBLE = 5;
  private static final int V_BYTES = 6;
  private static final int V_LIST = 7;
  private static final int V_MAP = 8;

  // A span's bits byte: bit 0 it has a parent, bits 1-3 kind, 4-5 status code, and since segment version 3:
  static final int BIT_PARENT = 1;
  /** The parent is given as the index of a span of the same trace in the record (a varint), not as its id. */
  static final int BIT_PARENT_INDEX = 1 << 6;
  /** The start is relative to the start of the trace's previous span in the record, not to the record's oldest. */
  static final int BIT_START_RELATIVE = 1 << 7;

  private static long zigZag(long v) {
    return (v << 1) ^ (v >> 63);
  }

  private static final ThreadLocal<Inflater> INFLATER = ThreadLocal.withInitial(() -> new Inflater(true));

  private SpanCodec() {}

  /** The uncompressed front of a record: enough to rebuild the trace index without decoding spans. */
  public record Header(
      long writtenAtMs, long minStartNanos, long maxEndNanos, String tenant, byte[][] traceIds, int[] spanCounts) {
    public int spanCount() {
      int n = 0;
      for (int c : spanCounts) {
        n += c;
      }
      return n;
    }
  }

  /**
   * Encodes {@code traces} (trace id hex → its spans, all with that trace id) of {@code tenant} with a fresh encoder
   * (tests and tools; the write path keeps an {@link Encoder} per shard).
   *
   * @throws InvalidInputException if an attribute value has a type spans cannot carry
   */
  public static byte[] encode(String tenant, long writtenAtMs, Map<String, List<SpanRecord>> traces) {
    Encoder e = new Encoder();
    e.encode(tenant, writtenAtMs, TraceBatch.of(traces));
    return e.payload();
  }

  /** Reads the header of a record payload. */
  public static Header header(byte[] payload) {
    return readHeader(new ByteSource(payload));
  }

  /**
   * Adds the trace ids of the directory of the record payload in {@code b[off, off + len)} to {@code out}, without
   * building a {@link Header}.
   *
   * @throws IllegalStateException if the bytes end before the directory does, or do not start a spans record
   */
  public static void addTraceIds(byte[] b, int off, int len, TraceIdFilter out) {
    ByteSource in = new ByteSource(b, off, len);
    int type = in.readByte();
    if (type != TYPE_SPANS) {
      throw new IllegalStateException("record type " + type + " (expected: " + TYPE_SPANS + ")");
    }
    in.skip(1 + 3 * 8); // codec, writtenAtMs, minStartNanos, maxEndNanos
    in.skip(in.readLength()); // tenant
    int n = in.readLength();
    for (int i = 0; i < n; i++) {
      long hi = in.readLong();
      long lo = in.readLong();
      in.readVarInt();
      out.add(hi, lo);
    }
  }

  private static Header readHeader(ByteSource in) {
    int type = in.readByte();
    if (type != TYPE_SPANS) {
      throw new IllegalStateException("record type " + type + " (expected: " + TYPE_SPANS + ")");
    }
    int codec = in.readByte();
    if (codec != CODEC_RAW && codec != CODEC_DEFLATE && codec != CODEC_LZ4) {
      throw new IllegalStateException("record codec " + codec + " (expected: 0, 1 or 2)");
    }
    long written = in.readLong();
    long min = in.readLong();
    long max = in.readLong();
    String tenant = in.readString();
    int n = in.readLength();
    byte[][] ids = new byte[n][];
    int[] counts = new int[n];
    for (int i = 0; i < n; i++) {
      ids[i] = in.readBytes(16);
      counts[i] = in.readVarInt();
    }
    return new Header(written, min, max, tenant, ids, counts);
  }

  /**
   * Decodes the spans of the record whose trace id is {@code traceId} (16 bytes), or all spans when null; empty when
   * the record belongs to another tenant.
   */
  public static List<SpanRecord> decode(byte[] payload, String tenant, byte[] traceId) {
    Header h = readHeader(new ByteSource(payload));
    if (tenant != null && !h.tenant().equals(tenant)) {
      return List.of();
    }
    if (traceId != null && indexOf(h, traceId) < 0) {
      return List.of();
    }
    return parse(payload).spans(tenant, traceId);
  }

  private static int indexOf(Header h, byte[] traceId) {
    for (int i = 0; i < h.traceIds().length; i++) {
      if (java.util.Arrays.equals(h.traceIds()[i], traceId)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * A record inflated once, with its string dictionary and resources decoded and where each trace's spans begin:
   * what a cache keeps so that several traces of one record (a search's candidates often share records) cost one
   * inflate.
   */
  public static final class Parsed {
    private final Header header;
    private final byte[] body;
    private final String[] dict;
    private final Resource[] resources;
    private final int[] starts; // offset in body of each trace's spans, in directory order

    private Parsed(Header header, byte[] body, String[] dict, Resource[] resources, int[] starts) {
      this.header = header;
      this.body = body;
      this.dict = dict;
      this.resources = resources;
      this.starts = starts;
    }

    public Header header() {
      return header;
    }

    /** Bytes held, for cache accounting. */
    public int weight() {
      return body.length + 64 * dict.length;
    }

    /** Spans of the {@code i}-th trace of the record's directory ({@link Header#traceIds()}). */
    public List<SpanRecord> spans(int i) {
      List<SpanRecord> out = new ArrayList<>(header.spanCounts()[i]);
      decodeInto(out, i, false);
      return out;
    }

    private void decodeInto(List<SpanRecord> out, int i, boolean attributesEncoded) {
      ByteSource b = new ByteSource(body);
      b.skip(starts[i]);
      Decoder d = new Decoder(b, dict, resources);
      if (attributesEncoded) {
        d.lazyBody = body;
      }
      String hex = TraceIds.toHex(header.traceIds()[i]);
      int count = header.spanCounts()[i];
      int from = out.size();
      d.startTrace(count, header.minStartNanos());
      for (int k = 0; k < count; k++) {
        out.add(d.span(hex, header.minStartNanos()));
      }
      d.endTrace(out, from);
    }

    /**
     * Spans of the {@code i}-th trace for a search to check, not to return: their span attributes are a view that
     * answers {@code get}/{@code containsKey} from the encoded bytes and builds a map only for anything else.
     * Building a LinkedHashMap per span was ~40 % of decoding candidate traces in { a } && { b } searches, most of
     * whose conditions never look at span attributes.
     */
    public List<SpanRecord> spansToCheck(int i) {
      List<SpanRecord> out = new ArrayList<>(header.spanCounts()[i]);
      decodeInto(out, i, true);
      return out;
    }

    /** Spans of {@code traceId} (all when null) if the record is {@code tenant}'s (any when null). */
    public List<SpanRecord> spans(String tenant, byte[] traceId) {
      if (tenant != null && !header.tenant().equals(tenant)) {
        return List.of();
      }
      List<SpanRecord> out = new ArrayList<>();
      for (int i = 0; i < header.traceIds().length; i++) {
        if (traceId != null && !java.util.Arrays.equals(header.traceIds()[i], traceId)) {
          continue;
        }
        decodeInto(out, i, false);
      }
      return out;
    }
  }

  /** Inflates and parses a record payload. */
  public static Parsed parse(byte[] payload) {
    ByteSource in = new ByteSource(payload);
    Header h = readHeader(in);
    int codec = payload[1];
    int rawLen = in.readVarInt();
    byte[] body;
    if (codec == CODEC_DEFLATE) {
      body = new byte[rawLen];
      Inflater inf = INFLATER.get();
      inf.reset();
      inf.setInput(payload, in.position(), in.remaining());
      try {
        int n = 0;
        while (n < rawLen && !inf.finished()) {
          int k = inf.inflate(body, n, rawLen - n);
          if (k == 0 && (inf.needsInput() || inf.needsDictionary())) {
            break;
          }
          n += k;
        }
        if (n != rawLen) {
          throw new IllegalStateException("inflated " + n + " bytes (expected: " + rawLen + ")");
        }
      } catch (DataFormatException ex) {
        throw new IllegalStateException("bad deflate stream: " + ex.getMessage(), ex);
      }
    } else if (codec == CODEC_LZ4) {
      body = new byte[rawLen];
      try {
        org.apache.lucene.util.compress.LZ4.decompress(
            new org.apache.lucene.store.ByteArrayDataInput(payload, in.position(), in.remaining()), rawLen, body, 0);
      } catch (java.io.IOException | RuntimeException ex) {
        // the frame's CRC passed, so this is a bug or a file damaged before it was framed, not a torn write
        throw new IllegalStateException("bad lz4 block: " + ex, ex);
      }
    } else {
      body = in.readBytes(rawLen);
    }
    ByteSource b = new ByteSource(body);
    Decoder d = new Decoder(b);
    int[] starts = new int[h.traceIds().length];
    for (int i = 0; i < starts.length; i++) {
      int len = b.readLength();
      starts[i] = b.position();
      b.skip(len);
    }
    return new Parsed(h, body, d.dict, d.resources, starts);
  }

  private record Resource(Map<String, Object> attributes, String scopeName, String scopeVersion) {}

  /**
   * Encodes records, reusing its buffers, dictionary table and what it learned about resources from one record to the
   * next: a shard keeps one and uses it under its append lock. Not thread-safe. After {@link #encode} the framed record
   * ({@link #frame}) and its {@link #header} are valid until the next call.
   *
   * <p>Measured in a node profile before this class (encoding was 17.5 % of node CPU): span ids parsed into a byte[]
   * each 4.2 %, the dictionary's {@code HashMap<String, Integer>} 4.0 %, resources found by content per record 5.4 %,
   * and the growing and copying of per-record buffers 13 % of the bytes allocated.
   */
  public static final class Encoder {
    // Buffers that grew past this for one huge record are dropped after it rather than kept for the shard's life.
    private static final int KEEP_BYTES = 4 << 20;
    private static final int MAX_KNOWN_RESOURCES = 4096;

    private ByteSink spans = new ByteSink(64 << 10);
    private ByteSink resources = new ByteSink(8 << 10);
    private ByteSink body = new ByteSink(64 << 10);
    private ByteSink out = new ByteSink(64 << 10);
    private final Lz4 lz4 = new Lz4(); // its hash table, reused from record to record
    private final CRC32C crc = new CRC32C();
    private final StringTable dict = new StringTable();
    private int[] traceEnds = new int[64];
    private Header header;
    private int record; // numbers records, so per-record state in long-lived objects needs no clearing

    // Resources: the last one (a trace's spans in a request mostly share it), then by map identity across records
    // (the OTLP receiver hands equal resources over as one canonical map), checked against a snapshot once per record
    // (identity is a hint: a caller may reuse and change a map), then by content within the record so equal resources
    // in different maps share one entry.
    private final IdentityHashMap<Map<String, Object>, KnownResource> known = new IdentityHashMap<>();
    private final HashMap<ResourceKey, Integer> resourceIds = new HashMap<>();
    private int resourceCount;
    private Map<String, Object> lastMap;
    private String lastScopeName;
    private String lastScopeVersion;
    private int lastRid;

    /**
     * Encodes {@code traces} of {@code tenant} into one framed record ({@code u32 length, u32 crc32c, payload}).
     *
     * @throws InvalidInputException if an attribute value has a type spans cannot carry
     */
    public void encode(String tenant, long writtenAtMs, TraceBatch traces) {
      record++;
      if (out.capacity() > KEEP_BYTES) {
        out = new ByteSink(64 << 10); // the last record was huge; `out` held it until now, for the caller to write
      }
      dict.clear();
      resourceIds.clear();
      resourceCount = 0;
      lastMap = null;
      spans.reset();
      resources.reset();
      body.reset();
      out.reset();
      int n = traces.size();
      long minStart = Long.MAX_VALUE;
      long maxEnd = Long.MIN_VALUE;
      for (int t = 0; t < n; t++) {
        List<SpanRecord> list = traces.spans(t);
        for (int i = 0; i < list.size(); i++) {
          SpanRecord s = list.get(i);
          minStart = Math.min(minStart, s.startEpochNanos());
          maxEnd = Math.max(maxEnd, s.endEpochNanos());
        }
      }
      if (n == 0) {
        minStart = 0;
        maxEnd = 0;
      }
      if (traceEnds.length < n) {
        traceEnds = new int[Math.max(n, traceEnds.length * 2)];
      }
      for (int t = 0; t < n; t++) {
        List<SpanRecord> list = traces.spans(t);
        long previousStart = minStart;
        spanIndexOf = null; // lists may be reused from record to record: the table is of this one only
        for (int i = 0; i < list.size(); i++) {
          SpanRecord s = list.get(i);
          spanBody(spans, s, minStart, rid(s), list, i, previousStart);
          previousStart = s.startEpochNanos();
        }
        traceEnds[t] = spans.length();
      }
      body.writeVarInt(dict.size());
      for (int i = 0; i < dict.size(); i++) {
        body.writeString(dict.get(i));
      }
      body.writeVarInt(resourceCount);
      body.writeBytes(resources.array(), 0, resources.length());
      int from = 0;
      for (int t = 0; t < n; t++) {
        body.writeVarInt(traceEnds[t] - from);
        body.writeBytes(spans.array(), from, traceEnds[t] - from);
        from = traceEnds[t];
      }

      out.skip(SegmentReader.FRAME_HEADER); // length and checksum, filled in last
      out.writeByte(TYPE_SPANS);
      int codecPos = out.length();
      out.writeByte(CODEC_RAW);
      out.writeLong(writtenAtMs);
      out.writeLong(minStart);
      out.writeLong(maxEnd);
      out.writeString(tenant);
      out.writeVarInt(n);
      byte[][] ids = new byte[n][];
      int[] counts = new int[n];
      for (int t = 0; t < n; t++) {
        out.writeLong(traces.hi(t));
        out.writeLong(traces.lo(t));
        counts[t] = traces.spans(t).size();
        out.writeVarInt(counts[t]);
        ids[t] = TraceIds.toBytes(traces.hi(t), traces.lo(t));
      }
      out.writeVarInt(body.length());
      if (!compressBody(codecPos)) {
        out.writeBytes(body.array(), 0, body.length());
      }
      int len = out.length() - SegmentReader.FRAME_HEADER;
      crc.reset();
      crc.update(out.array(), SegmentReader.FRAME_HEADER, len);
      out.setInt(0, len);
      out.setInt(4, (int) crc.getValue());
      header = new Header(writtenAtMs, minStart, maxEnd, tenant, ids, counts);
      if (known.size() > MAX_KNOWN_RESOURCES) {
        known.clear(); // a churn of resource maps (no canonical instances): start over rather than grow
      }
      shrink();
    }

    /** LZ4-compresses the body straight into {@code out} when that makes it smaller; false when it is stored raw. */
    private boolean compressBody(int codecPos) {
      int raw = body.length();
      if (raw < MIN_COMPRESS) {
        return false;
      }
      out.reserve(Lz4.maxCompressedLength(raw));
      int k = lz4.compress(body.array(), 0, raw, out.array(), out.length());
      if (k >= raw) {
        return false;
      }
      out.array()[codecPos] = CODEC_LZ4;
      out.skip(k);
      return true;
    }

    private void shrink() {
      spanIndexOf = null;
      if (spanIndex.size() > 4096) {
        spanIndex = new HashMap<>();
      }
      if (spans.capacity() > KEEP_BYTES) {
        spans = new ByteSink(64 << 10);
      }
      if (resources.capacity() > KEEP_BYTES) {
        resources = new ByteSink(8 << 10);
      }
      if (body.capacity() > KEEP_BYTES) {
        body = new ByteSink(64 << 10);
      }
    }

    /** The framed record of the last {@link #encode}: what the segment appends. */
    public ByteBuffer frame() {
      return ByteBuffer.wrap(out.array(), 0, out.length());
    }

    /** Payload bytes of the last record (without the frame). */
    public int payloadLength() {
      return out.length() - SegmentReader.FRAME_HEADER;
    }

    /** A copy of the last record's payload. */
    public byte[] payload() {
      return Arrays.copyOfRange(out.array(), SegmentReader.FRAME_HEADER, out.length());
    }

    /** The header of the last record, built from its input rather than parsed back. */
    public Header header() {
      return header;
    }

    private int ref(String s) {
      return dict.ref(s);
    }

    private int rid(SpanRecord s) {
      Map<String, Object> m = s.resourceAttributes();
      String sn = s.scopeName();
      String sv = s.scopeVersion();
      if (m == lastMap && sn == lastScopeName && sv == lastScopeVersion) {
        return lastRid;
      }
      KnownResource kr = known.get(m);
      if (kr == null) {
        kr = new KnownResource(m);
        known.put(m, kr);
      }
      if (kr.record != record) {
        kr.verify();
        kr.record = record;
        kr.scopes = 0;
      }
      int rid = kr.rid(sn, sv);
      if (rid < 0) {
        ResourceKey key = new ResourceKey(kr, sn, sv);
        Integer id = resourceIds.get(key);
        if (id == null) {
          id = resourceCount++;
          resourceIds.put(key, id);
          if (kr.flat != null) {
            resources.writeVarInt(kr.flat.length / 2);
            for (int i = 0; i < kr.flat.length; i += 2) {
              String k = (String) kr.flat[i];
              resources.writeVarInt(ref(k));
              value(resources, k, kr.flat[i + 1], 0);
            }
          } else {
            attributes(resources, m, 0);
          }
          resources.writeVarInt(ref(sn));
          resources.writeVarInt(ref(sv));
        }
        rid = id;
        kr.addScope(sn, sv, rid);
      }
      lastMap = m;
      lastScopeName = sn;
      lastScopeVersion = sv;
      lastRid = rid;
      return rid;
    }

    /**
     * Span {@code index} of {@code trace} (that trace's spans in this record). A parent that is a span of {@code trace}
     * is written as its index there (a varint, where an id takes 8 bytes: -2.3 bytes per span after LZ4 on the load
     * generator's pipeline traces), and the start relative to the trace's previous span when that is shorter than
     * relative to the record's oldest start ({@code base}).
     */
    private void spanBody(ByteSink out, SpanRecord s, long base, int rid, List<SpanRecord> trace, int index,
        long previousStart) {
      out.writeHex(s.spanId(), 8, "spanId");
      String parentId = s.parentSpanId();
      boolean parent = !parentId.isEmpty();
      int parentIndex = parent ? indexOf(trace, parentId) : -1;
      long start = s.startEpochNanos();
      long fromBase = zigZag(start - base);
      long fromPrevious = zigZag(start - previousStart);
      boolean relative = index > 0 && Long.numberOfLeadingZeros(fromPrevious) > Long.numberOfLeadingZeros(fromBase);
      out.writeByte((parent ? BIT_PARENT : 0) | (s.kind().ordinal() << 1) | (s.statusCode().ordinal() << 4)
          | (parentIndex >= 0 ? BIT_PARENT_INDEX : 0) | (relative ? BIT_START_RELATIVE : 0));
      if (parentIndex >= 0) {
        out.writeVarInt(parentIndex);
      } else if (parent) {
        out.writeHex(parentId, 8, "parentSpanId");
      }
      out.writeVarInt(ref(s.name()));
      out.writeVarInt(ref(s.traceState()));
      out.writeVarInt(ref(s.statusMessage()));
      out.writeVarInt(rid);
      out.writeVarLong(relative ? fromPrevious : fromBase);
      out.writeVarLong(s.endEpochNanos() - s.startEpochNanos());
      out.writeVarInt(s.flags());
      attributes(out, s.attributes(), 0);
      List<SpanRecord.Event> events = s.events();
      out.writeVarInt(events.size());
      for (int i = 0; i < events.size(); i++) {
        SpanRecord.Event ev = events.get(i);
        out.writeZigZag(ev.epochNanos() - s.startEpochNanos());
        out.writeVarInt(ref(ev.name()));
        attributes(out, ev.attributes(), 0);
      }
      List<SpanRecord.Link> links = s.links();
      out.writeVarInt(links.size());
      for (int i = 0; i < links.size(); i++) {
        SpanRecord.Link l = links.get(i);
        out.writeHex(l.traceId(), 16, "link.traceId");
        out.writeHex(l.spanId(), 8, "link.spanId");
        out.writeVarInt(ref(l.traceState()));
        attributes(out, l.attributes(), 0);
      }
    }

    /**
     * The index in {@code trace} of the span whose id is {@code spanId}; -1 when none is. Linear up to
     * {@value #SCAN_SPANS} spans (a trace's spans in one record are mostly a handful), then by a table built once per
     * trace.
     */
    private int indexOf(List<SpanRecord> trace, String spanId) {
      int n = trace.size();
      if (n <= SCAN_SPANS) {
        for (int j = 0; j < n; j++) {
          if (trace.get(j).spanId().equals(spanId)) {
            return j;
          }
        }
        return -1;
      }
      if (spanIndexOf != trace) {
        spanIndexOf = trace;
        spanIndex.clear();
        for (int j = n - 1; j >= 0; j--) { // the first of equal ids wins, as in the scan
          spanIndex.put(trace.get(j).spanId(), j);
        }
      }
      Integer j = spanIndex.get(spanId);
      return j == null ? -1 : j;
    }

    private static final int SCAN_SPANS = 32;
    private HashMap<String, Integer> spanIndex = new HashMap<>();
    private List<SpanRecord> spanIndexOf; // the trace spanIndex is of

    // Top-level attribute maps are walked with forEach, which the OTLP receiver's maps (and LinkedHashMap) run
    // without an entry object per attribute: entrySet iteration was ~15 % of the write path's samples in
    // TraceEncodeBenchmark. Nested maps (rare) iterate their entries.
    private ByteSink topOut;
    private boolean inTop;
    private final java.util.function.BiConsumer<String, Object> topWriter = (k, v) -> {
      if (k == null) {
        throw new InvalidInputException("attribute key: null (expected: a string)");
      }
      topOut.writeVarInt(ref(k));
      value(topOut, k, v, 0);
    };

    void attributes(ByteSink out, Map<String, Object> attrs, int depth) {
      out.writeVarInt(attrs.size());
      if (depth == 0 && !inTop) {
        inTop = true;
        topOut = out;
        try {
          attrs.forEach(topWriter);
        } finally {
          inTop = false;
          topOut = null;
        }
        return;
      }
      for (Map.Entry<String, Object> a : attrs.entrySet()) {
        if (a.getKey() == null) {
          throw new InvalidInputException("attribute key: null (expected: a string)");
        }
        out.writeVarInt(ref(a.getKey()));
        value(out, a.getKey(), a.getValue(), depth);
      }
    }

    @SuppressWarnings("unchecked")
    void value(ByteSink out, String key, Object v, int depth) {
      if (depth > MAX_DEPTH) {
        throw new InvalidInputException(
            "attribute '" + key + "': nested deeper than " + MAX_DEPTH + " levels (expected: at most " + MAX_DEPTH
                + ")");
      }
      if (v instanceof String str) {
        out.writeByte(V_STRING);
        out.writeVarInt(ref(str));
      } else if (v == null) {
        out.writeByte(V_NULL);
      } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
        out.writeByte(V_LONG);
        out.writeZigZag(((Number) v).longValue());
      } else if (v instanceof Boolean bool) {
        out.writeByte(bool ? V_TRUE : V_FALSE);
      } else if (v instanceof Double || v instanceof Float) {
        out.writeByte(V_DOUBLE);
        out.writeLong(Double.doubleToRawLongBits(((Number) v).doubleValue()));
      } else if (v instanceof byte[] bytes) {
        out.writeByte(V_BYTES);
        out.writeVarInt(bytes.length);
        out.writeBytes(bytes);
      } else if (v instanceof List<?> list) {
        out.writeByte(V_LIST);
        out.writeVarInt(list.size());
        for (Object o : list) {
          value(out, key, o, depth + 1);
        }
      } else if (v instanceof Map<?, ?> map) {
        out.writeByte(V_MAP);
        attributes(out, (Map<String, Object>) map, depth + 1);
      } else {
        throw new InvalidInputException("attribute '" + key + "': value of type " + v.getClass().getName()
            + " (expected: String, Boolean, Long, Double, byte[], List or Map)");
      }
    }
  }

  /**
   * A resource map the encoder has seen, with a snapshot of its content: keys and values in iteration order when every
   * value is a scalar (null, String, Boolean or a number), else null and the map is compared as a map.
   */
  private static final class KnownResource {
    final Map<String, Object> map;
    Object[] flat;
    int hash;
    int record = -1; // the record in which the snapshot was last checked against the map
    // the scopes seen with it in that record and their resource index
    String[] scopeNames = new String[2];
    String[] scopeVersions = new String[2];
    int[] rids = new int[2];
    int scopes;

    KnownResource(Map<String, Object> map) {
      this.map = map;
    }

    /** Checks the snapshot against the map (reference comparisons for canonical strings); retakes it if it changed. */
    void verify() {
      Object[] f = flat;
      if (f != null && map instanceof io.loupe.model.FixedAttributes) {
        return; // never changes: the snapshot taken once holds
      }
      if (f != null && f.length == 2 * map.size()) {
        int i = 0;
        boolean same = true;
        for (Map.Entry<String, Object> e : map.entrySet()) {
          Object k = e.getKey();
          Object v = e.getValue();
          if ((k != f[i] && !java.util.Objects.equals(k, f[i]))
              || (v != f[i + 1] && !java.util.Objects.equals(v, f[i + 1]))) {
            same = false;
            break;
          }
          i += 2;
        }
        if (same) {
          return;
        }
      }
      snapshot();
    }

    private void snapshot() {
      Object[] f = new Object[2 * map.size()];
      int h = 1;
      int i = 0;
      for (Map.Entry<String, Object> e : map.entrySet()) {
        Object v = e.getValue();
        boolean scalar = v == null || v instanceof String || v instanceof Boolean || v instanceof Long
            || v instanceof Double || v instanceof Integer;
        if (!scalar || e.getKey() == null || i >= f.length) {
          flat = null;
          hash = map.hashCode();
          return;
        }
        f[i] = e.getKey();
        f[i + 1] = v;
        h = 31 * (31 * h + e.getKey().hashCode()) + java.util.Objects.hashCode(v);
        i += 2;
      }
      flat = i == f.length ? f : null;
      hash = flat == null ? map.hashCode() : h;
    }

    boolean sameContent(KnownResource o) {
      if (o == this) {
        return true;
      }
      if (flat == null || o.flat == null) {
        return flat == null && o.flat == null && map.equals(o.map);
      }
      if (flat.length != o.flat.length) {
        return false;
      }
      for (int i = 0; i < flat.length; i++) {
        if (flat[i] != o.flat[i] && !java.util.Objects.equals(flat[i], o.flat[i])) {
          return false;
        }
      }
      return true;
    }

    int rid(String sn, String sv) {
      for (int i = 0; i < scopes; i++) {
        if ((scopeNames[i] == sn || scopeNames[i].equals(sn)) && (scopeVersions[i] == sv
            || scopeVersions[i].equals(sv))) {
          return rids[i];
        }
      }
      return -1;
    }

    void addScope(String sn, String sv, int rid) {
      if (scopes == rids.length) {
        scopeNames = Arrays.copyOf(scopeNames, scopes * 2);
        scopeVersions = Arrays.copyOf(scopeVersions, scopes * 2);
        rids = Arrays.copyOf(rids, scopes * 2);
      }
      scopeNames[scopes] = sn;
      scopeVersions[scopes] = sv;
      rids[scopes] = rid;
      scopes++;
    }
  }

  /** A resource with its scope, by content: the key under which a record shares one resource entry. */
  private static final class ResourceKey {
    final KnownResource resource;
    final String scopeName;
    final String scopeVersion;
    final int hash;

    ResourceKey(KnownResource resource, String scopeName, String scopeVersion) {
      this.resource = resource;
      this.scopeName = scopeName;
      this.scopeVersion = scopeVersion;
      this.hash = (resource.hash * 31 + scopeName.hashCode()) * 31 + scopeVersion.hashCode();
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ResourceKey k && k.hash == hash && k.scopeName.equals(scopeName)
          && k.scopeVersion.equals(scopeVersion) && k.resource.sameContent(resource);
    }
  }

  /**
   * The string dictionary of the record being encoded: open addressing over the strings' cached hashes, comparing by
   * reference first (the OTLP receiver hands over canonical strings), cleared per record by a stamp rather than by
   * refilling. Replaces a {@code HashMap<String, Integer>} (a boxed id and a node per string per record).
   */
  private static final class StringTable {
    private String[] keys = new String[1024];
    private int[] hashes = new int[1024];
    private int[] ids = new int[1024];
    private int[] stamps = new int[1024];
    private int stamp = 1;
    private String[] list = new String[256];
    private int size;

    void clear() {
      if (list.length > 1 << 16) {
        list = new String[256]; // a huge record's dictionary is not kept alive
      } else {
        Arrays.fill(list, 0, size, null);
      }
      size = 0;
      if (++stamp == Integer.MAX_VALUE) {
        Arrays.fill(stamps, 0);
        stamp = 1;
      }
    }

    int size() {
      return size;
    }

    String get(int i) {
      return list[i];
    }

    int ref(String s) {
      int h = s.hashCode();
      int mask = keys.length - 1;
      for (int i = (h * 0x9E3779B9 >>> 8) & mask; ; i = (i + 1) & mask) {
        if (stamps[i] != stamp) {
          if (2 * (size + 1) > keys.length) {
            grow();
            return ref(s);
          }
          stamps[i] = stamp;
          keys[i] = s;
          hashes[i] = h;
          ids[i] = size;
          if (size == list.length) {
            list = Arrays.copyOf(list, size * 2);
          }
          list[size] = s;
          return size++;
        }
        String k = keys[i];
        if (k == s || (hashes[i] == h && k.equals(s))) {
          return ids[i];
        }
      }
    }

    private void grow() {
      int cap = keys.length * 2;
      keys = new String[cap];
      hashes = new int[cap];
      ids = new int[cap];
      stamps = new int[cap];
      int mask = cap - 1;
      for (int id = 0; id < size; id++) {
        String s = list[id];
        int h = s.hashCode();
        int i = (h * 0x9E3779B9 >>> 8) & mask;
        while (stamps[i] == stamp) {
          i = (i + 1) & mask;
        }
        stamps[i] = stamp;
        keys[i] = s;
        hashes[i] = h;
        ids[i] = id;
      }
    }
  }

  // values() clones its array: twice per decoded span, 14 % of the bytes a { } && { } search allocated
  private static final SpanRecord.Kind[] KINDS = SpanRecord.Kind.values();
  private static final SpanRecord.StatusCode[] STATUSES = SpanRecord.StatusCode.values();

  private static final class Decoder {
    final ByteSource in;
    final String[] dict;
    final Resource[] resources;

    byte[] lazyBody; // not null: span attributes as LazyAttributes over this body (in's buffer)

    Decoder(ByteSource in, String[] dict, Resource[] resources) {
      this.in = in;
      this.dict = dict;
      this.resources = resources;
    }

    Decoder(ByteSource in) {
      this.in = in;
      dict = new String[in.readLength()];
      for (int i = 0; i < dict.length; i++) {
        dict[i] = in.readString();
      }
      resources = new Resource[in.readLength()];
      for (int i = 0; i < resources.length; i++) {
        resources[i] = new Resource(attributes(0), str(), str());
      }
    }

    String str() {
      int i = in.readVarInt();
      if (i >= dict.length) {
        throw new IllegalStateException("string ref " + i + " (expected: < " + dict.length + ")");
      }
      return dict[i];
    }

    // The trace being decoded: its span ids so far, for parents given by index, and the parents that come later
    // (OTLP exporters send a child before its parent, which ends last): (span, parent) index pairs.
    private String[] spanIds = new String[16];
    private int traceSpans;
    private int decoded;
    private long previousStart;
    private int[] later = new int[8];
    private int laterCount;

    void startTrace(int count, long base) {
      if (spanIds.length < count) {
        spanIds = new String[Math.max(count, spanIds.length * 2)];
      }
      traceSpans = count;
      decoded = 0;
      previousStart = base;
      laterCount = 0;
    }

    /** Gives the spans of the trace from {@code out[from]} on whose parents came after them their parent ids. */
    void endTrace(List<SpanRecord> out, int from) {
      for (int p = 0; p < laterCount; p += 2) {
        SpanRecord s = out.get(from + later[p]);
        out.set(from + later[p], new SpanRecord(s.traceId(), s.spanId(), spanIds[later[p + 1]], s.traceState(),
            s.name(), s.kind(), s.startEpochNanos(), s.endEpochNanos(), s.statusCode(), s.statusMessage(),
            s.resourceAttributes(), s.scopeName(), s.scopeVersion(), s.attributes(), s.events(), s.links(),
            s.flags()));
      }
    }

    /** The next span of the trace {@link #startTrace} began. */
    SpanRecord span(String traceId, long base) {
      if (decoded >= traceSpans) {
        throw new IllegalStateException("span " + decoded + " of a trace of " + traceSpans);
      }
      String spanId = TraceIds.toHex(in.readBytes(8));
      int bits = in.readByte();
      String parent = "";
      if ((bits & BIT_PARENT_INDEX) != 0) {
        int j = in.readVarInt();
        if ((bits & BIT_PARENT) == 0 || j >= traceSpans) {
          throw new IllegalStateException("parent index " + j + " (expected: < " + traceSpans + ", with a parent)");
        }
        if (j < decoded) {
          parent = spanIds[j];
        } else if (j == decoded) {
          parent = spanId;
        } else {
          if (laterCount + 2 > later.length) {
            later = java.util.Arrays.copyOf(later, later.length * 2);
          }
          later[laterCount++] = decoded;
          later[laterCount++] = j;
        }
      } else if ((bits & BIT_PARENT) != 0) {
        parent = TraceIds.toHex(in.readBytes(8));
      }
      if ((bits & BIT_START_RELATIVE) != 0 && decoded == 0) {
        throw new IllegalStateException("the first span of a trace starts relative to a previous one");
      }
      int kind = (bits >>> 1) & 7;
      int status = (bits >>> 4) & 3;
      if (kind >= KINDS.length || status >= STATUSES.length) {
        throw new IllegalStateException("span kind " + kind + " / status " + status + " out of range");
      }
      String name = str();
      String traceState = str();
      String statusMessage = str();
      int rid = in.readVarInt();
      if (rid >= resources.length) {
        throw new IllegalStateException("resource ref " + rid + " (expected: < " + resources.length + ")");
      }
      Resource r = resources[rid];
      long start = ((bits & BIT_START_RELATIVE) != 0 ? previousStart : base) + in.readZigZag();
      previousStart = start;
      spanIds[decoded++] = spanId;
      long end = start + in.readVarLong();
      int flags = in.readVarInt();
      Map<String, Object> attrs;
      if (lazyBody != null) {
        int at = in.position();
        skipAttributes(0);
        attrs = at + 1 == in.position() ? Map.of() : new LazyAttributes(lazyBody, at, dict, resources);
      } else {
        attrs = attributes(0);
      }
      int ne = in.readLength();
      List<SpanRecord.Event> events = ne == 0 ? List.of() : new ArrayList<>(ne); // most spans have none
      for (int i = 0; i < ne; i++) {
        long t = start + in.readZigZag();
        events.add(new SpanRecord.Event(t, str(), attributes(0)));
      }
      int nl = in.readLength();
      List<SpanRecord.Link> links = nl == 0 ? List.of() : new ArrayList<>(nl);
      for (int i = 0; i < nl; i++) {
        String lt = TraceIds.toHex(in.readBytes(16));
        String ls = TraceIds.toHex(in.readBytes(8));
        links.add(new SpanRecord.Link(lt, ls, str(), attributes(0)));
      }
      return new SpanRecord(traceId, spanId, parent, traceState, name, KINDS[kind], start, end,
          STATUSES[status], statusMessage, r.attributes(), r.scopeName(), r.scopeVersion(),
          attrs, ne == 0 ? events : Collections.unmodifiableList(events), nl == 0 ? links : Collections.unmodifiableList(links),
          flags);
    }

    Map<String, Object> attributes(int depth) {
      int n = in.readLength();
      if (n == 0) {
        return Map.of();
      }
      Map<String, Object> m = new LinkedHashMap<>(n * 2);
      for (int i = 0; i < n; i++) {
        String k = str();
        m.put(k, value(depth));
      }
      return Collections.unmodifiableMap(m);
    }

    /** Reads past an attribute map as {@link #attributes} would, building nothing. */
    void skipAttributes(int depth) {
      int n = in.readLength();
      for (int i = 0; i < n; i++) {
        str();
        skipValue(depth);
      }
    }

    void skipValue(int depth) {
      if (depth > MAX_DEPTH) {
        throw new IllegalStateException("attribute nesting deeper than " + MAX_DEPTH);
      }
      int tag = in.readByte();
      switch (tag) {
        case V_NULL, V_FALSE, V_TRUE -> { }
        case V_STRING -> str();
        case V_LONG -> in.readZigZag();
        case V_DOUBLE -> in.readLong();
        case V_BYTES -> in.skip(in.readLength());
        case V_LIST -> {
          int n = in.readLength();
          for (int i = 0; i < n; i++) {
            skipValue(depth + 1);
          }
        }
        case V_MAP -> skipAttributes(depth + 1);
        default -> throw new IllegalStateException("attribute value tag " + tag + " (expected: 0 to 8)");
      }
    }

    /** The value of {@code key} in the attribute map at the source's position, or {@code absent}. */
    Object find(Object key, Object absent) {
      int n = in.readLength();
      for (int i = 0; i < n; i++) {
        String k = str();
        if (k.equals(key)) {
          return value(0);
        }
        skipValue(0);
      }
      return absent;
    }

    Object value(int depth) {
      if (depth > MAX_DEPTH) {
        throw new IllegalStateException("attribute nesting deeper than " + MAX_DEPTH);
      }
      int tag = in.readByte();
      switch (tag) {
        case V_NULL:
          return null;
        case V_STRING:
          return str();
        case V_FALSE:
          return Boolean.FALSE;
        case V_TRUE:
          return Boolean.TRUE;
        case V_LONG:
          return in.readZigZag();
        case V_DOUBLE:
          return Double.longBitsToDouble(in.readLong());
        case V_BYTES:
          return in.readBytes(in.readLength());
        case V_LIST: {
          int n = in.readLength();
          List<Object> l = new ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            l.add(value(depth + 1));
          }
          return Collections.unmodifiableList(l);
        }
        case V_MAP:
          return attributes(depth + 1);
        default:
          throw new IllegalStateException("attribute value tag " + tag + " (expected: 0 to 8)");
      }
    }
  }

  /**
   * Span attributes still encoded (see {@link Parsed#spansToCheck}): {@code get} and {@code containsKey} scan the
   * encoded pairs (a few per span; keys are the record's dictionary strings), anything else decodes the map once.
   */
  private static final class LazyAttributes extends java.util.AbstractMap<String, Object> {
    private static final Object ABSENT = new Object();
    private final byte[] body;
    private final int at;
    private final String[] dict;
    private final Resource[] resources;
    private Map<String, Object> map;

    LazyAttributes(byte[] body, int at, String[] dict, Resource[] resources) {
      this.body = body;
      this.at = at;
      this.dict = dict;
      this.resources = resources;
    }

    private Decoder decoder() {
      ByteSource b = new ByteSource(body);
      b.skip(at);
      return new Decoder(b, dict, resources);
    }

    private Map<String, Object> map() {
      if (map == null) {
        map = decoder().attributes(0);
      }
      return map;
    }

    @Override
    public Object get(Object key) {
      if (map != null) {
        return map.get(key);
      }
      Object v = decoder().find(key, ABSENT);
      return v == ABSENT ? null : v;
    }

    @Override
    public boolean containsKey(Object key) {
      return map != null ? map.containsKey(key) : decoder().find(key, ABSENT) != ABSENT;
    }

    @Override
    public java.util.Set<Map.Entry<String, Object>> entrySet() {
      return map().entrySet();
    }
  }
}
