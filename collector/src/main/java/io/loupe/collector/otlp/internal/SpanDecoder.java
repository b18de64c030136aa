package io.loupe.collector.otlp.internal;

import io.loupe.model.AppendResult;
import io.loupe.model.InvalidInputException;
import io.loupe.model.RejectReason;
import io.loupe.model.SpanRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Decodes the protobuf bytes of an OTLP {@code ExportTraceServiceRequest} straight into {@link SpanRecord}s, without
 * building the generated message tree first: parsing into {@code Span}/{@code KeyValue}/{@code AnyValue} objects and
 * then copying them out again cost more than the translation itself.
 *
 * <p>It follows protobuf's own reading rules, so it accepts exactly what {@code ExportTraceServiceRequest.parseFrom}
 * accepts and yields the same spans as {@code OtlpSpans.toSpanRecords} of the parsed message: fields in any order,
 * a field repeated keeps its last value (an embedded message repeated is merged, a repeated field appended), unknown
 * fields and fields of an unexpected wire type skipped, strings strictly UTF-8. Within one request, equal ids decode to
 * one shared {@code String}; across requests, short ASCII strings come from the process-wide {@link StringCache} and
 * equal resources (byte for byte) are one shared map from the {@link ResourceCache}, so that the store's hash maps
 * and identity checks downstream meet the same instances request after request.
 *
 * <p>What the caches cost and give, measured on the pipeline workload's 20k-trace pool (2-core box shared with other
 * builds, 4 alternating runs): decoding itself takes the same thread CPU as without them within noise (~1.0-1.2 us a
 * span), allocates 270 bytes a span instead of 485, and hands over resources and keys whose hashes are computed
 * (none were before), so the store's resource lookups meet one map instance per resource.
 *
 * <p>Not thread-safe: one instance per request (the caches it uses are thread-safe).
 */
public final class SpanDecoder {
  // Field tags: field number << 3 | wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32).
  private static final int REQUEST_RESOURCE_SPANS = 1 << 3 | 2;
  private static final int RS_RESOURCE = 1 << 3 | 2;
  private static final int RS_SCOPE_SPANS = 2 << 3 | 2;
  private static final int RESOURCE_ATTRIBUTES = 1 << 3 | 2;
  private static final int SS_SCOPE = 1 << 3 | 2;
  private static final int SS_SPANS = 2 << 3 | 2;
  private static final int SCOPE_NAME = 1 << 3 | 2;
  private static final int SCOPE_VERSION = 2 << 3 | 2;
  private static final int SPAN_TRACE_ID = 1 << 3 | 2;
  private static final int SPAN_SPAN_ID = 2 << 3 | 2;
  private static final int SPAN_TRACE_STATE = 3 << 3 | 2;
  private static final int SPAN_PARENT_SPAN_ID = 4 << 3 | 2;
  private static final int SPAN_NAME = 5 << 3 | 2;
  private static final int SPAN_KIND = 6 << 3;
  private static final int SPAN_START = 7 << 3 | 1;
  private static final int SPAN_END = 8 << 3 | 1;
  private static final int SPAN_ATTRIBUTES = 9 << 3 | 2;
  private static final int SPAN_EVENTS = 11 << 3 | 2;
  private static final int SPAN_LINKS = 13 << 3 | 2;
  private static final int SPAN_STATUS = 15 << 3 | 2;
  private static final int SPAN_FLAGS = 16 << 3 | 5;
  private static final int EVENT_TIME = 1 << 3 | 1;
  private static final int EVENT_NAME = 2 << 3 | 2;
  private static final int EVENT_ATTRIBUTES = 3 << 3 | 2;
  private static final int LINK_TRACE_ID = 1 << 3 | 2;
  private static final int LINK_SPAN_ID = 2 << 3 | 2;
  private static final int LINK_TRACE_STATE = 3 << 3 | 2;
  private static final int LINK_ATTRIBUTES = 4 << 3 | 2;
  private static final int STATUS_MESSAGE = 2 << 3 | 2;
  private static final int STATUS_CODE = 3 << 3;
  private static final int KV_KEY = 1 << 3 | 2;
  private static final int KV_VALUE = 2 << 3 | 2;
  private static final int ANY_STRING = 1 << 3 | 2;
  private static final int ANY_BOOL = 2 << 3;
  private static final int ANY_INT = 3 << 3;
  private static final int ANY_DOUBLE = 4 << 3 | 1;
  private static final int ANY_ARRAY = 5 << 3 | 2;
  private static final int ANY_KVLIST = 6 << 3 | 2;
  private static final int ANY_BYTES = 7 << 3 | 2;
  private static final int LIST_VALUES = 1 << 3 | 2;

  // protobuf-java's default recursion limit: a message may sit at most this many levels below the request. The
  // depth passed around is the level of the message being read (resource spans 1, scope spans 2, span 3, ...).
  private static final int MAX_DEPTH = 100;

  private static final SpanRecord.Kind[] KINDS = SpanRecord.Kind.values();
  private static final SpanRecord.StatusCode[] CODES = SpanRecord.StatusCode.values();
  private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private final byte[] buf;
  private int pos;
  private final AppendResult.Builder result;
  private final ResourceCache resources;
  private final StringTable strings;
  private final IdTable ids;
  // The attributes of the resource, then of each span in turn (a resource is complete before its spans are decoded).
  private final AttributeMap.Builder attrs;
  // Offsets and lengths of the scope spans of one resource and of the spans of one scope, reused.
  private int[] scopeRanges;
  private int[] spanRanges;

  // The span being decoded.
  private int traceIdOff;
  private int traceIdLen;
  private int spanIdOff;
  private int spanIdLen;
  private int parentOff;
  private int parentLen;
  private String traceState;
  private String name;
  private int kind;
  private long startNanos;
  private long endNanos;
  private int flags;
  private String statusMessage;
  private int statusCode;
  private List<SpanRecord.Event> events;
  private List<LinkParts> links;

  private SpanDecoder(byte[] buf, AppendResult.Builder result, StringCache strings, ResourceCache resources,
      Scratch scratch) {
    this.buf = buf;
    this.result = result;
    this.resources = resources;
    this.strings = scratch.strings;
    this.strings.reset(buf, strings);
    this.ids = scratch.ids;
    this.attrs = scratch.attrs;
    this.scopeRanges = scratch.scopeRanges;
    this.spanRanges = scratch.spanRanges;
  }

  /**
   * The tables and buffers of one decoding, reused by the next: made per request, the id and string tables were
   * about a quarter of the decoder's allocation (~50 KB per request of 500 spans). Emptied when given back, so that
   * they keep no string or body alive, and dropped if a large request grew them.
   */
  static final class Scratch {
    final StringTable strings = new StringTable();
    final IdTable ids = new IdTable();
    final AttributeMap.Builder attrs = new AttributeMap.Builder();
    int[] scopeRanges = new int[16];
    int[] spanRanges = new int[1024];

    /** Empties this for the next decoding; false if it grew too large to keep. */
    boolean clear() {
      boolean keep = strings.clear() & ids.clear() & attrs.clear();
      return keep && scopeRanges.length <= 64 && spanRanges.length <= 4096;
    }
  }

  // A few scratches for the decoders running at once (requests on the blocking executor); more decode with new ones.
  private static final AtomicReferenceArray<Scratch> POOL = new AtomicReferenceArray<>(8);

  private static Scratch acquire() {
    for (int i = 0; i < POOL.length(); i++) {
      Scratch s = POOL.get(i);
      if (s != null && POOL.compareAndSet(i, s, null)) {
        return s;
      }
    }
    return new Scratch();
  }

  private static void release(Scratch s) {
    if (!s.clear()) {
      return;
    }
    for (int i = 0; i < POOL.length(); i++) {
      if (POOL.get(i) == null && POOL.compareAndSet(i, null, s)) {
        return;
      }
    }
  }

  /**
   * The valid spans of an {@code ExportTraceServiceRequest}'s protobuf bytes; invalid spans are counted in {@code
   * result} as {@link RejectReason#INVALID_SPAN}, each with a message naming the span.
   *
   * @throws InvalidInputException if the bytes are not a well-formed message
   */
  public static List<SpanRecord> decode(byte[] body, AppendResult.Builder result) {
    return decode(body, result, StringCache.SHARED, ResourceCache.SHARED);
  }

  /** As {@link #decode(byte[], AppendResult.Builder)}, with caches of the caller's (tests). */
  static List<SpanRecord> decode(byte[] body, AppendResult.Builder result, StringCache strings,
      ResourceCache resources) {
    Scratch scratch = acquire();
    try {
      SpanDecoder d = new SpanDecoder(body, result, strings, resources, scratch);
      List<SpanRecord> out = d.request();
      scratch.scopeRanges = d.scopeRanges;
      scratch.spanRanges = d.spanRanges;
      return out;
    } finally {
      release(scratch);
    }
  }

  private List<SpanRecord> request() {
    // ~150-250 bytes a span in practice: presize past the first few growths
    List<SpanRecord> out = new ArrayList<>(Math.max(16, buf.length / 256));
    int end = buf.length;
    while (pos < end) {
      int tag = tag(end);
      if (tag == REQUEST_RESOURCE_SPANS) {
        int e = length(end);
        resourceSpans(e, out);
        pos = e;
      } else {
        skip(tag, end);
      }
    }
    return out;
  }

  private void resourceSpans(int end, List<SpanRecord> out) {
    // The resource's bytes are kept and decoded after this loop, through the cache, unless the field comes more than
    // once: protobuf merges the occurrences (attributes appended), which is decoded in order, uncached.
    int resourceOff = -1;
    int resourceEnd = -1;
    boolean merged = false;
    int scopes = 0;
    while (pos < end) {
      int tag = tag(end);
      if (tag == RS_RESOURCE) {
        int e = length(end);
        if (resourceOff < 0 && !merged) {
          resourceOff = pos;
          resourceEnd = e;
          pos = e;
        } else {
          if (!merged) {
            int p = pos;
            pos = resourceOff;
            resource(resourceEnd);
            pos = p;
            merged = true;
          }
          resource(e);
        }
      } else if (tag == RS_SCOPE_SPANS) {
        int e = length(end);
        if (2 * scopes + 2 > scopeRanges.length) {
          scopeRanges = Arrays.copyOf(scopeRanges, scopeRanges.length * 2);
        }
        scopeRanges[2 * scopes] = pos;
        scopeRanges[2 * scopes + 1] = e;
        scopes++;
        pos = e;
      } else {
        skip(tag, end);
      }
    }
    // the resource may follow its scope spans on the wire: spans are built once it is complete
    Map<String, Object> attrs; // one map shared by every span of the resource
    if (merged || resourceOff < 0) {
      attrs = this.attrs.build();
    } else {
      attrs = cachedResource(resourceOff, resourceEnd);
    }
    for (int i = 0; i < scopes; i++) {
      pos = scopeRanges[2 * i];
      scopeSpans(scopeRanges[2 * i + 1], attrs, out);
    }
    pos = end;
  }

  /** The attributes of one {@code Resource} message, from {@code pos} to {@code end}, into {@link #attrs}. */
  private void resource(int end) {
    while (pos < end) {
      int t = tag(end);
      if (t == RESOURCE_ATTRIBUTES) {
        keyValue(length(end), attrs, 3);
      } else {
        skip(t, end);
      }
    }
  }

  /** The resource whose message is the bytes from {@code off} to {@code end}: the shared map, decoded on a miss. */
  private Map<String, Object> cachedResource(int off, int end) {
    int len = end - off;
    if (len > ResourceCache.MAX_BYTES) {
      pos = off;
      resource(end);
      return attrs.build();
    }
    int h = ResourceCache.hash(buf, off, len);
    Map<String, Object> m = resources.get(buf, off, len, h);
    if (m == null) {
      pos = off;
      resource(end);
      m = attrs.build();
      m = resources.put(buf, off, len, h, m);
    }
    return m;
  }

  private void scopeSpans(int end, Map<String, Object> resource, List<SpanRecord> out) {
    String scopeName = "";
    String scopeVersion = "";
    int spans = 0;
    while (pos < end) {
      int tag = tag(end);
      if (tag == SS_SCOPE) {
        int e = length(end);
        while (pos < e) {
          int t = tag(e);
          if (t == SCOPE_NAME) {
            scopeName = string(e);
          } else if (t == SCOPE_VERSION) {
            scopeVersion = string(e);
          } else {
            skip(t, e);
          }
        }
      } else if (tag == SS_SPANS) {
        int e = length(end);
        if (2 * spans + 2 > spanRanges.length) {
          spanRanges = Arrays.copyOf(spanRanges, spanRanges.length * 2);
        }
        spanRanges[2 * spans] = pos;
        spanRanges[2 * spans + 1] = e;
        spans++;
        pos = e;
      } else {
        skip(tag, end);
      }
    }
    for (int i = 0; i < spans; i++) {
      pos = spanRanges[2 * i];
      int e = spanRanges[2 * i + 1];
      span(e, resource, scopeName, scopeVersion, out);
      pos = e;
    }
  }

  private void span(int end, Map<String, Object> resource, String scopeName, String scopeVersion,
      List<SpanRecord> out) {
    traceIdOff = spanIdOff = parentOff = 0;
    traceIdLen = spanIdLen = parentLen = 0;
    traceState = name = statusMessage = "";
    kind = statusCode = flags = 0;
    startNanos = endNanos = 0;
    events = null;
    links = null;
    while (pos < end) {
      int tag = tag(end);
      switch (tag) {
        case SPAN_TRACE_ID -> {
          traceIdLen = length(end) - pos;
          traceIdOff = pos;
          pos += traceIdLen;
        }
        case SPAN_SPAN_ID -> {
          spanIdLen = length(end) - pos;
          spanIdOff = pos;
          pos += spanIdLen;
        }
        case SPAN_PARENT_SPAN_ID -> {
          parentLen = length(end) - pos;
          parentOff = pos;
          pos += parentLen;
        }
        case SPAN_TRACE_STATE -> traceState = string(end);
        case SPAN_NAME -> name = string(end);
        case SPAN_KIND -> kind = (int) varint(end);
        case SPAN_START -> startNanos = fixed64(end);
        case SPAN_END -> endNanos = fixed64(end);
        case SPAN_ATTRIBUTES -> keyValue(length(end), attrs, 4);
        case SPAN_EVENTS -> event(length(end));
        case SPAN_LINKS -> link(length(end));
        case SPAN_STATUS -> {
          int e = length(end);
          while (pos < e) {
            int t = tag(e);
            if (t == STATUS_MESSAGE) {
              statusMessage = string(e);
            } else if (t == STATUS_CODE) {
              statusCode = (int) varint(e);
            } else {
              skip(t, e);
            }
          }
        }
        case SPAN_FLAGS -> flags = fixed32(end);
        default -> skip(tag, end);
      }
    }
    Map<String, Object> attributes = attrs.build();
    String problem = validate();
    if (problem != null) {
      result.reject(RejectReason.INVALID_SPAN, describe() + ": " + problem);
      return;
    }
    try {
      out.add(new SpanRecord(
          ids.traceId(buf, traceIdOff),
          ids.spanId(buf, spanIdOff),
          parentLen == 0 ? "" : ids.spanId(buf, parentOff),
          traceState,
          name,
          kind >= 0 && kind < KINDS.length ? KINDS[kind] : SpanRecord.Kind.UNSPECIFIED,
          startNanos,
          endNanos,
          statusCode >= 0 && statusCode < CODES.length ? CODES[statusCode] : SpanRecord.StatusCode.UNSET,
          statusMessage,
          resource,
          scopeName,
          scopeVersion,
          attributes,
          events == null ? List.of() : List.copyOf(events),
          links == null ? List.of() : toLinks(links),
          flags));
    } catch (InvalidInputException e) { // the record's own checks, should validate() miss one
      result.reject(RejectReason.INVALID_SPAN, describe() + ": " + e.getMessage());
    }
  }

  // The checks and messages of OtlpSpans.validate, on the raw fields.
  private String validate() {
    String p = checkId(traceIdOff, traceIdLen, 16, "trace_id");
    if (p == null) {
      p = checkId(spanIdOff, spanIdLen, 8, "span_id");
    }
    if (p == null && parentLen != 0) {
      p = checkId(parentOff, parentLen, 8, "parent_span_id");
    }
    if (p != null) {
      return p;
    }
    if (startNanos == 0) {
      return "start_time_unix_nano is not set";
    }
    // fixed64 nanoseconds past 2262 wrap to negative longs.
    if (startNanos < 0 || endNanos < 0) {
      return "start_time_unix_nano or end_time_unix_nano is past the year 2262";
    }
    if (endNanos < startNanos) {
      return "end_time_unix_nano " + endNanos + " < start_time_unix_nano " + startNanos
          + " (expected: end >= start)";
    }
    if (links != null) {
      for (int i = 0; i < links.size(); i++) {
        LinkParts l = links.get(i);
        String lp = checkId(l.traceIdOff, l.traceIdLen, 16, "links[" + i + "].trace_id");
        if (lp == null) {
          lp = checkId(l.spanIdOff, l.spanIdLen, 8, "links[" + i + "].span_id");
        }
        if (lp != null) {
          return lp;
        }
      }
    }
    return null;
  }

  private String checkId(int off, int len, int bytes, String field) {
    if (len != bytes) {
      return field + " has " + len + " bytes (expected: " + bytes + ")";
    }
    for (int i = off; i < off + len; i++) {
      if (buf[i] != 0) {
        return null;
      }
    }
    return field + " is all zeros (expected: a non-zero id)";
  }

  private String describe() {
    String n = name.length() > 100 ? name.substring(0, 100) + "..." : name;
    return "span '" + n + "' (trace_id " + abbreviateHex(traceIdOff, traceIdLen) + ", span_id "
        + abbreviateHex(spanIdOff, spanIdLen) + ")";
  }

  private String abbreviateHex(int off, int len) {
    return len == 0 ? "<empty>" : hex(buf, off, Math.min(len, 32));
  }

  static String hex(byte[] b, int off, int len) {
    byte[] out = new byte[2 * len];
    for (int i = 0; i < len; i++) {
      int v = b[off + i] & 0xff;
      out[2 * i] = HEX[v >>> 4];
      out[2 * i + 1] = HEX[v & 0xf];
    }
    return new String(out, java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  private void event(int end) {
    long time = 0;
    String eventName = "";
    AttributeMap.Builder eventAttrs = new AttributeMap.Builder(); // events are rare: no pooling
    while (pos < end) {
      int tag = tag(end);
      switch (tag) {
        case EVENT_TIME -> time = fixed64(end);
        case EVENT_NAME -> eventName = string(end);
        case EVENT_ATTRIBUTES -> keyValue(length(end), eventAttrs, 5);
        default -> skip(tag, end);
      }
    }
    if (events == null) {
      events = new ArrayList<>(2);
    }
    events.add(new SpanRecord.Event(time, eventName, eventAttrs.build()));
  }

  private void link(int end) {
    LinkParts l = new LinkParts();
    while (pos < end) {
      int tag = tag(end);
      switch (tag) {
        case LINK_TRACE_ID -> {
          l.traceIdLen = length(end) - pos;
          l.traceIdOff = pos;
          pos += l.traceIdLen;
        }
        case LINK_SPAN_ID -> {
          l.spanIdLen = length(end) - pos;
          l.spanIdOff = pos;
          pos += l.spanIdLen;
        }
        case LINK_TRACE_STATE -> l.traceState = string(end);
        case LINK_ATTRIBUTES -> keyValue(length(end), l.attributes, 5);
        default -> skip(tag, end);
      }
    }
    if (links == null) {
      links = new ArrayList<>(2);
    }
    links.add(l);
  }

  private List<SpanRecord.Link> toLinks(List<LinkParts> parts) {
    List<SpanRecord.Link> out = new ArrayList<>(parts.size());
    for (LinkParts l : parts) {
      out.add(new SpanRecord.Link(ids.traceId(buf, l.traceIdOff), ids.spanId(buf, l.spanIdOff), l.traceState,
          l.attributes.build()));
    }
    return List.copyOf(out);
  }

  /** A link, held until its span is known valid. */
  private static final class LinkParts {
    int traceIdOff;
    int traceIdLen;
    int spanIdOff;
    int spanIdLen;
    String traceState = "";
    final AttributeMap.Builder attributes = new AttributeMap.Builder();
  }

  /** One {@code KeyValue} ending at {@code end} into {@code into}; a key without value maps to "" (an unset value). */
  private void keyValue(int end, AttributeMap.Builder into, int depth) {
    checkDepth(depth);
    String key = "";
    Object value = "";
    while (pos < end) {
      int tag = tag(end);
      if (tag == KV_KEY) {
        key = string(end);
      } else if (tag == KV_VALUE) {
        int e = length(end);
        value = anyValue(e, value, depth + 1);
      } else {
        skip(tag, end);
      }
    }
    into.put(key, finish(value));
  }

  /**
   * One {@code AnyValue} ending at {@code end}. {@code previous} is the value of an earlier occurrence of the same
   * field, which protobuf merges with this one: the last value set wins, except that two arrays (or two kvlists) are
   * concatenated.
   */
  @SuppressWarnings("unchecked")
  private Object anyValue(int end, Object previous, int depth) {
    checkDepth(depth);
    Object v = previous;
    while (pos < end) {
      int tag = tag(end);
      switch (tag) {
        case ANY_STRING -> v = string(end);
        case ANY_BOOL -> v = varint(end) != 0;
        case ANY_INT -> v = varint(end);
        case ANY_DOUBLE -> v = Double.longBitsToDouble(fixed64(end));
        case ANY_BYTES -> {
          int e = length(end);
          v = Arrays.copyOfRange(buf, pos, e);
          pos = e;
        }
        case ANY_ARRAY -> {
          checkDepth(depth + 1);
          int e = length(end);
          List<Object> list = v instanceof ArrayValue a ? a.values : new ArrayList<>();
          while (pos < e) {
            int t = tag(e);
            if (t == LIST_VALUES) {
              int ve = length(e);
              list.add(finish(anyValue(ve, "", depth + 2)));
            } else {
              skip(t, e);
            }
          }
          v = v instanceof ArrayValue a ? a : new ArrayValue(list);
        }
        case ANY_KVLIST -> {
          checkDepth(depth + 1);
          int e = length(end);
          KvList kvs = v instanceof KvList k ? k : new KvList();
          while (pos < e) {
            int t = tag(e);
            if (t == LIST_VALUES) {
              keyValue(length(e), kvs.builder, depth + 2);
            } else {
              skip(t, e);
            }
          }
          v = kvs;
        }
        default -> skip(tag, end);
      }
    }
    return v;
  }

  private void checkDepth(int depth) {
    if (depth > MAX_DEPTH) {
      throw malformed("messages nested more than " + MAX_DEPTH + " deep");
    }
  }

  /** The value of a finished {@code AnyValue}: lists and maps become immutable. */
  private static Object finish(Object v) {
    if (v instanceof ArrayValue a) {
      return Collections.unmodifiableList(a.values);
    }
    if (v instanceof KvList k) {
      return k.builder.build();
    }
    return v;
  }

  /** An array value while it may still grow (a repeated field is merged); finished by {@link #finish}. */
  private static final class ArrayValue {
    final List<Object> values;

    ArrayValue(List<Object> values) {
      this.values = values;
    }
  }

  /** A kvlist value while it may still grow. */
  private static final class KvList {
    final AttributeMap.Builder builder = new AttributeMap.Builder();
  }

  // ---- wire format ----

  private InvalidInputException malformed(String what) {
    return new InvalidInputException("request body: malformed protobuf at byte " + pos + ": " + what);
  }

  // Tags and lengths are varint32s, which protobuf reads from varints of up to 10 bytes keeping the low 32 bits.
  private int tag(int end) {
    int t = (int) varint(end);
    if ((t >>> 3) == 0) {
      throw malformed("invalid field tag " + Integer.toUnsignedString(t) + " (field number 0)");
    }
    return t;
  }

  private long varint(int end) {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= end) {
        throw malformed("truncated varint");
      }
      byte b = buf[pos++];
      v |= (long) (b & 0x7f) << shift;
      if (b >= 0) {
        return v;
      }
    }
    throw malformed("varint longer than 10 bytes");
  }

  private long fixed64(int end) {
    if (end - pos < 8) {
      throw malformed("truncated fixed64");
    }
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = v << 8 | (buf[pos + i] & 0xff);
    }
    pos += 8;
    return v;
  }

  private int fixed32(int end) {
    if (end - pos < 4) {
      throw malformed("truncated fixed32");
    }
    int v = (buf[pos] & 0xff) | (buf[pos + 1] & 0xff) << 8 | (buf[pos + 2] & 0xff) << 16 | (buf[pos + 3] & 0xff) << 24;
    pos += 4;
    return v;
  }

  /** Reads a length prefix and returns where the field's bytes end (they start at {@code pos}). */
  private int length(int end) {
    int len = (int) varint(end);
    if (len < 0) {
      throw malformed("negative length " + len);
    }
    if (len > end - pos) {
      throw malformed("length " + len + " runs past the end of its message (" + (end - pos) + " bytes left)");
    }
    return pos + len;
  }

  private String string(int end) {
    int e = length(end);
    int off = pos;
    pos = e;
    try {
      return strings.get(off, e - off);
    } catch (IllegalArgumentException ex) {
      pos = off;
      throw malformed("a string field is not valid UTF-8");
    }
  }

  private void skip(int tag, int end) {
    switch (tag & 7) {
      case 0 -> varint(end);
      case 1 -> {
        if (end - pos < 8) {
          throw malformed("truncated fixed64");
        }
        pos += 8;
      }
      case 2 -> pos = length(end);
      case 5 -> {
        if (end - pos < 4) {
          throw malformed("truncated fixed32");
        }
        pos += 4;
      }
      case 3 -> skipGroup(tag, end, 0);
      default -> throw malformed("invalid wire type " + (tag & 7));
    }
  }

  // Groups (deprecated, wire types 3 and 4) are still skippable in protobuf: read up to the matching end tag.
  private void skipGroup(int startTag, int end, int depth) {
    if (depth > MAX_DEPTH) {
      throw malformed("nested deeper than " + MAX_DEPTH + " groups");
    }
    int endTag = (startTag & ~7) | 4;
    while (true) {
      if (pos >= end) {
        throw malformed("unterminated group");
      }
      int t = tag(end);
      if (t == endTag) {
        return;
      }
      if ((t & 7) == 3) {
        skipGroup(t, end, depth + 1);
      } else if ((t & 7) == 4) {
        throw malformed("mismatched end group tag");
      } else {
        skip(t, end);
      }
    }
  }
}
