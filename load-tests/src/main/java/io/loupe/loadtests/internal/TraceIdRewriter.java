package io.loupe.loadtests.internal;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;

/**
 * Sends a bounded pool of pre-encoded OTLP trace requests again and again as new traces: round {@code r} of a body is
 * a copy whose every trace id (of spans and of span links) has its low 8 bytes XORed with {@code r}. Ids stay distinct
 * across rounds (a trace of round 3 never meets one of round 5), the first byte keeps the generator's non-zero bit,
 * and the copy costs one array copy plus 8 bytes per span: the generator, which shares the node's cores, spends next
 * to nothing per request while a run lasts minutes without pre-encoding minutes of traces.
 *
 * <p>Bodies are {@code ExportTraceServiceRequest} messages, optionally in an uncompressed gRPC frame. Compressed bodies
 * cannot be rewritten in place and are refused.
 */
public final class TraceIdRewriter {
  private final byte[] body;
  private final int[] offsets; // where each 16-byte trace id starts

  private TraceIdRewriter(byte[] body, int[] offsets) {
    this.body = body;
    this.offsets = offsets;
  }

  /** Finds the trace ids of {@code body}; {@code grpcFramed}: the body starts with a 5-byte gRPC message prefix. */
  public static TraceIdRewriter of(byte[] body, boolean grpcFramed) {
    requireNonNull(body, "body");
    int from = 0;
    if (grpcFramed) {
      if (body.length < 5 || body[0] != 0) {
        throw new IllegalArgumentException("gRPC frame flag: " + (body.length == 0 ? "none" : body[0])
            + " (expected: 0, an uncompressed message; rewriting ids needs the message as sent)");
      }
      from = 5;
    }
    IntList out = new IntList();
    // ExportTraceServiceRequest.resource_spans(1) > ResourceSpans.scope_spans(2) > ScopeSpans.spans(2) >
    // Span.trace_id(1) and Span.links(13) > Link.trace_id(1)
    new Walker(body, out).request(from, body.length);
    return new TraceIdRewriter(body, out.toArray());
  }

  /** Trace ids found (spans and links). */
  public int idCount() {
    return offsets.length;
  }

  /** The body of round {@code round}: the original itself for round 0, else a rewritten copy. */
  public byte[] round(long round) {
    if (round == 0) {
      return body;
    }
    byte[] b = body.clone();
    for (int off : offsets) {
      for (int i = 0; i < 8; i++) {
        b[off + 8 + i] ^= (byte) (round >>> (56 - 8 * i));
      }
    }
    return b;
  }

  private static final class IntList {
    int[] a = new int[64];
    int n;

    void add(int v) {
      if (n == a.length) {
        a = Arrays.copyOf(a, n * 2);
      }
      a[n++] = v;
    }

    int[] toArray() {
      return Arrays.copyOf(a, n);
    }
  }

  /** A protobuf walk that descends only into the length-delimited fields on the way to trace ids. */
  private static final class Walker {
    private final byte[] b;
    private final IntList out;
    private int pos;

    Walker(byte[] b, IntList out) {
      this.b = b;
      this.out = out;
    }

    void request(int from, int to) {
      fields(from, to, 0);
    }

    /**
     * Level 0 request, 1 ResourceSpans, 2 ScopeSpans, 3 Span, 4 Link: descends into field 1 at 0, 2 at 1, 2 at 2, 13
     * at 3; records field 1 (16 bytes) at 3 and 4.
     */
    private void fields(int from, int to, int level) {
      pos = from;
      while (pos < to) {
        long tag = varint();
        int field = (int) (tag >>> 3);
        int wire = (int) (tag & 7);
        switch (wire) {
          case 0 -> varint();
          case 1 -> pos += 8;
          case 5 -> pos += 4;
          case 2 -> {
            int len = (int) varint();
            int start = pos;
            int end = start + len;
            if (len < 0 || end > to) {
              throw new IllegalArgumentException("length " + len + " at byte " + start + " runs past " + to);
            }
            if ((level == 3 || level == 4) && field == 1) {
              if (len != 16) {
                throw new IllegalArgumentException("trace id of " + len + " bytes at byte " + start
                    + " (expected: 16)");
              }
              out.add(start);
            } else if ((level == 0 && field == 1) || (level == 1 && field == 2) || (level == 2 && field == 2)
                || (level == 3 && field == 13)) {
              fields(start, end, level + 1);
            }
            pos = end;
          }
          default -> throw new IllegalArgumentException("wire type " + wire + " at byte " + pos + " (expected: 0,"
              + " 1, 2 or 5)");
        }
      }
      if (pos != to) {
        throw new IllegalArgumentException("message ends at byte " + pos + " (expected: " + to + ")");
      }
    }

    private long varint() {
      long v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= b.length) {
          throw new IllegalArgumentException("varint runs past the end at byte " + pos);
        }
        byte x = b[pos++];
        v |= (long) (x & 0x7f) << shift;
        if (x >= 0) {
          return v;
        }
      }
      throw new IllegalArgumentException("varint longer than 10 bytes at byte " + pos);
    }
  }
}
