package io.loupe.loadtests.jmh;

import io.loupe.collector.otlp.OtlpSpans;
import io.loupe.loadtests.internal.OtlpTraceWorkload;
import io.loupe.loadtests.internal.Prepared;
import io.loupe.model.AppendResult;
import io.loupe.model.SpanRecord;
import io.loupe.tracestore.internal.AttributeLimiter;
import io.loupe.tracestore.internal.SegmentIndex;
import io.loupe.tracestore.internal.SpanCodec;
import io.loupe.tracestore.internal.TraceBatch;
import io.loupe.tracestore.internal.TraceIds;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The trace store's write path apart from the Lucene index, the file and the trace id map: what {@code
 * TraceStore.write} and {@code Shard.append} do to one OTLP request of the pipeline workload (~500 spans, 80 traces, as
 * {@code OtlpSpans.decode} hands them on): attribute limits, grouping by shard and trace, the per-trace limit lookup in
 * the active segment's index, encoding and framing the record, and adding it to the index. One op is one request;
 * {@code spans} is the span rate. With {@code -prof io.loupe.loadtests.jmh.IngestDecodeBenchmark$CpuCores} the rates
 * per CPU second, which on a shared machine vary much less than the scores.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class TraceEncodeBenchmark {
  private static final String TENANT = "bench";
  private static final int SHARDS = 2;

  /** Decoded requests, prepared once. */
  @State(Scope.Benchmark)
  public static class Requests {
    List<SpanRecord>[] spans;

    @Setup(Level.Trial)
    public void setup() {
      // OtlpLoad's pipeline traces (80 per request, 50 hosts), fewer of them: 50 requests.
      List<Prepared> r =
          OtlpTraceWorkload.build(4_000, 80, 50, 1_700_000_000_000_000_000L, 60_000_000_000L, 42, false).requests();
      @SuppressWarnings("unchecked")
      List<SpanRecord>[] decoded = new List[r.size()];
      for (int i = 0; i < decoded.length; i++) {
        decoded[i] = OtlpSpans.decode(r.get(i).body(), new AppendResult.Builder());
      }
      spans = decoded;
    }
  }

  /** One writer's state: an encoder and an active segment index per shard, as a shard keeps them. */
  @State(Scope.Thread)
  public static class Writer {
    int next;
    long offset;
    final SpanCodec.Encoder[] encoders = new SpanCodec.Encoder[SHARDS];
    final SegmentIndex.Builder[] indexes = new SegmentIndex.Builder[SHARDS];

    @Setup(Level.Trial)
    public void setup() {
      for (int i = 0; i < SHARDS; i++) {
        encoders[i] = new SpanCodec.Encoder();
      }
      newSegments();
    }

    void newSegments() {
      for (int i = 0; i < SHARDS; i++) {
        indexes[i] = new SegmentIndex.Builder();
      }
    }

    List<SpanRecord> pick(List<SpanRecord>[] requests) {
      List<SpanRecord> b = requests[next];
      if (++next == requests.length) {
        next = 0;
        newSegments(); // the requests come round again: their trace ids are new to a new segment, as live ones are
      }
      return b;
    }
  }

  /** Spans written, reported by JMH as a rate next to the request rate. */
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  @State(Scope.Thread)
  public static class Spans {
    public long spans;
  }

  @Benchmark
  public long writePath(Requests requests, Writer w, Spans counter) {
    List<SpanRecord> spans = w.pick(requests.spans);
    AttributeLimiter limiter = new AttributeLimiter(4096);
    TraceBatch[] byShard = new TraceBatch[SHARDS];
    String last = null;
    TraceBatch batch = null;
    int trace = 0;
    for (SpanRecord s : spans) {
      SpanRecord limited = limiter.apply(s);
      if (s.traceId() != last && !s.traceId().equals(last)) { // as TraceStore.write
        String hex = s.traceId();
        long hi = TraceIds.highOfHex(hex, "traceId");
        long lo = TraceIds.parseHex64(hex, 16, "traceId");
        int shard = TraceIds.shardOf(hi, lo, SHARDS);
        batch = byShard[shard];
        if (batch == null) {
          batch = byShard[shard] = new TraceBatch();
        }
        trace = batch.trace(hex, hi, lo);
        last = hex;
      }
      batch.add(trace, limited);
    }
    long bytes = 0;
    for (int i = 0; i < SHARDS; i++) {
      TraceBatch b = byShard[i];
      if (b == null) {
        continue;
      }
      SegmentIndex.Builder index = w.indexes[i];
      int tenant = index.tenantId(TENANT);
      int have = 0;
      for (int t = 0; t < b.size(); t++) {
        have += index.spanCountOrMinusOne(tenant, b.hi(t), b.lo(t));
      }
      SpanCodec.Encoder e = w.encoders[i];
      e.encode(TENANT, 1, b);
      bytes += e.frame().remaining() + have;
      index.add(e.header(), w.offset);
      w.offset += e.frame().remaining();
    }
    counter.spans += spans.size();
    return bytes;
  }
}
