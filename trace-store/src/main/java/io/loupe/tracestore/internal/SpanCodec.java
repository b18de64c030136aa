package io.loupe.tracestore.internal;

import io.loupe.model.InvalidInputException;
import io.loupe.model.SpanRecord;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * Encodes the spans of one write (one tenant, one shard) into a record payload and back. Layout in
 * docs/format/span-segment.md: an uncompressed header (tenant, times, trace directory) so recovery and index building
 * never inflate, then a body with a string dictionary, the distinct resource/scope groups and the spans grouped per
 * trace, deflated when that makes it smaller.
 */
public final class SpanCodec {
  public static final int TYPE_SPANS = 1;
  static final int CODEC_RAW = 0;
  static final int CODEC_DEFLATE = 1;
  // Below this a deflate stream's own overhead eats the gain.
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

  private static final ThreadLocal<Deflater> DEFLATER =
      ThreadLocal.withInitial(() -> new Deflater(Deflater.BEST_SPEED, true));
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
   * Encodes {@code traces} (trace id hex → its spans, all with that trace id) of {@code tenant}.
   *
   * @throws InvalidInputException if an attribute value has a type spans cannot carry
   */
  public static byte[] encode(String tenant, long writtenAtMs, Map<String, List<SpanRecord>> traces) {
    Encoder e = new Encoder();
    ByteSink spans = new ByteSink(256 * traces.size());
    ByteSink one = new ByteSink(256);
    long minStart = Long.MAX_VALUE;
    long maxEnd = Long.MIN_VALUE;
    for (List<SpanRecord> list : traces.values()) {
      for (SpanRecord s : list) {
        minStart = Math.min(minStart, s.startEpochNanos());
        maxEnd = Math.max(maxEnd, s.endEpochNanos());
      }
    }
    if (traces.isEmpty()) {
      minStart = 0;
      maxEnd = 0;
    }
    for (List<SpanRecord> list : traces.values()) {
      one.reset();
      for (SpanRecord s : list) {
        e.span(one, s, minStart);
      }
      spans.writeVarInt(one.length());
      spans.writeBytes(one.array(), 0, one.length());
    }
    ByteSink body = new ByteSink(spans.length() + e.dictBytes + 64);
    body.writeVarInt(e.dict.size());
    for (String s : e.dictList) {
      body.writeString(s);
    }
    body.writeVarInt(e.resourceList.size());
    body.writeBytes(e.resources.array(), 0, e.resources.length());
    body.writeBytes(spans.array(), 0, spans.length());

    ByteSink out = new ByteSink(body.length() / 2 + 64 + traces.size() * 18);
    out.writeByte(TYPE_SPANS);
    int codecPos = out.length();
    out.writeByte(CODEC_RAW);
    out.writeLong(writtenAtMs);
    out.writeLong(minStart);
    out.writeLong(maxEnd);
    out.writeString(tenant);
    out.writeVarInt(traces.size());
    for (Map.Entry<String, List<SpanRecord>> t : traces.entrySet()) {
      out.writeBytes(TraceIds.fromHex(t.getKey(), 16, "traceId"));
      out.writeVarInt(t.getValue().size());
    }
    out.writeVarInt(body.length());
    if (body.length() >= MIN_COMPRESS) {
      Deflater d = DEFLATER.get();
      d.reset();
      d.setInput(body.array(), 0, body.length());
      d.finish();
      byte[] tmp = new byte[body.length()];
      int n = 0;
      while (!d.finished() && n < tmp.length) {
        n += d.deflate(tmp, n, tmp.length - n);
      }
      if (d.finished() && n < body.length()) {
        out.array()[codecPos] = CODEC_DEFLATE;
        out.writeBytes(tmp, 0, n);
        return out.toByteArray();
      }
    }
    out.writeBytes(body.array(), 0, body.length());
    return out.toByteArray();
  }

  /** Reads the header of a record payload. */
  public static Header header(byte[] payload) {
    return readHeader(new ByteSource(payload));
  }

  private static Header readHeader(ByteSource in) {
    int type = in.readByte();
    if (type != TYPE_SPANS) {
      throw new IllegalStateException("record type " + type + " (expected: " + TYPE_SPANS + ")");
    }
    int codec = in.readByte();
    if (codec != CODEC_RAW && codec != CODEC_DEFLATE) {
      throw new IllegalStateException("record codec " + codec + " (expected: 0 or 1)");
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
      for (int k = 0; k < header.spanCounts()[i]; k++) {
        out.add(d.span(hex, header.minStartNanos()));
      }
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

  private static final class Encoder {
    final Map<String, Integer> dict = new HashMap<>();
    final List<String> dictList = new ArrayList<>();
    int dictBytes;
    final Map<Resource, Integer> resourceIds = new HashMap<>();
    final List<Resource> resourceList = new ArrayList<>();
    final ByteSink resources = new ByteSink(256);

    int ref(String s) {
      Integer i = dict.get(s);
      if (i == null) {
        i = dictList.size();
        dict.put(s, i);
        dictList.add(s);
        dictBytes += s.length() + 2;
      }
      return i;
    }

    // The OTLP receiver shares one map among the spans of a resource: identity first, since the record's equality
    // hashes every attribute of the map for every span.
    Map<String, Object> lastResource;
    String lastScopeName;
    String lastScopeVersion;
    int lastRid = -1;

    void span(ByteSink out, SpanRecord s, long base) {
      Integer rid;
      if (s.resourceAttributes() == lastResource && s.scopeName().equals(lastScopeName)
          && s.scopeVersion().equals(lastScopeVersion)) {
        rid = lastRid;
      } else {
        rid = resource(s);
        lastResource = s.resourceAttributes();
        lastScopeName = s.scopeName();
        lastScopeVersion = s.scopeVersion();
        lastRid = rid;
      }
      spanBody(out, s, base, rid);
    }

    // Spans are grouped by trace, so resources alternate from span to span: the map's identity (one map per resource
    // of a request) finds most of them without hashing its content (10% of encoding in a node profile).
    final java.util.IdentityHashMap<Map<String, Object>, Known> byIdentity = new java.util.IdentityHashMap<>();

    private record Known(String scopeName, String scopeVersion, int rid) {}

    private int resource(SpanRecord s) {
      Known known = byIdentity.get(s.resourceAttributes());
      if (known != null && known.scopeName().equals(s.scopeName())
          && known.scopeVersion().equals(s.scopeVersion())) {
        return known.rid();
      }
      int id = resourceByContent(s);
      byIdentity.put(s.resourceAttributes(), new Known(s.scopeName(), s.scopeVersion(), id));
      return id;
    }

    private int resourceByContent(SpanRecord s) {
      Resource r = new Resource(s.resourceAttributes(), s.scopeName(), s.scopeVersion());
      Integer rid = resourceIds.get(r);
      if (rid == null) {
        rid = resourceList.size();
        resourceIds.put(r, rid);
        resourceList.add(r);
        attributes(resources, r.attributes(), 0);
        resources.writeVarInt(ref(r.scopeName()));
        resources.writeVarInt(ref(r.scopeVersion()));
      }
      return rid;
    }

    private void spanBody(ByteSink out, SpanRecord s, long base, int rid) {
      out.writeBytes(TraceIds.fromHex(s.spanId(), 8, "spanId"));
      boolean parent = !s.parentSpanId().isEmpty();
      out.writeByte((parent ? 1 : 0) | (s.kind().ordinal() << 1) | (s.statusCode().ordinal() << 4));
      if (parent) {
        out.writeBytes(TraceIds.fromHex(s.parentSpanId(), 8, "parentSpanId"));
      }
      out.writeVarInt(ref(s.name()));
      out.writeVarInt(ref(s.traceState()));
      out.writeVarInt(ref(s.statusMessage()));
      out.writeVarInt(rid);
      out.writeZigZag(s.startEpochNanos() - base);
      out.writeVarLong(s.endEpochNanos() - s.startEpochNanos());
      out.writeVarInt(s.flags());
      attributes(out, s.attributes(), 0);
      out.writeVarInt(s.events().size());
      for (SpanRecord.Event ev : s.events()) {
        out.writeZigZag(ev.epochNanos() - s.startEpochNanos());
        out.writeVarInt(ref(ev.name()));
        attributes(out, ev.attributes(), 0);
      }
      out.writeVarInt(s.links().size());
      for (SpanRecord.Link l : s.links()) {
        out.writeBytes(TraceIds.fromHex(l.traceId(), 16, "link.traceId"));
        out.writeBytes(TraceIds.fromHex(l.spanId(), 8, "link.spanId"));
        out.writeVarInt(ref(l.traceState()));
        attributes(out, l.attributes(), 0);
      }
    }

    void attributes(ByteSink out, Map<String, Object> attrs, int depth) {
      out.writeVarInt(attrs.size());
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
      if (v == null) {
        out.writeByte(V_NULL);
      } else if (v instanceof String str) {
        out.writeByte(V_STRING);
        out.writeVarInt(ref(str));
      } else if (v instanceof Boolean bool) {
        out.writeByte(bool ? V_TRUE : V_FALSE);
      } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
        out.writeByte(V_LONG);
        out.writeZigZag(((Number) v).longValue());
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

    SpanRecord span(String traceId, long base) {
      String spanId = TraceIds.toHex(in.readBytes(8));
      int bits = in.readByte();
      String parent = (bits & 1) != 0 ? TraceIds.toHex(in.readBytes(8)) : "";
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
      long start = base + in.readZigZag();
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
