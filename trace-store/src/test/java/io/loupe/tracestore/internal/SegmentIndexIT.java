package io.loupe.tracestore.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The in-memory index of the active segment and the .idx it writes, against a plain map of what was added. */
class SegmentIndexIT {
  @TempDir Path dir;

  @Test
  void answersAsAMapWouldBeforeAndAfterItIsWritten() throws IOException {
    Random rnd = new Random(3);
    String[] tenants = {"a", "b", "tenant-with-a-longer-name"};
    List<long[]> ids = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      // some ids share their high half, some are sorted runs: both stress the table and the sort; some high halves
      // differ only in their low 24 bits, across the 22 low bits the sort keys leave out, some are just below 0
      long hi = switch (i % 7) {
        case 0 -> 42;
        case 1 -> 0x7A5E_0000_0000_0000L + rnd.nextInt(1 << 24);
        case 2 -> -1L - rnd.nextInt(1 << 24);
        default -> rnd.nextLong();
      };
      ids.add(new long[] {hi, i % 5 == 0 ? i : rnd.nextLong()});
    }
    Map<TraceKey, List<long[]>> model = new HashMap<>(); // offset, count
    SegmentIndex.Builder b = new SegmentIndex.Builder();
    long offset = 100;
    for (int rec = 0; rec < 400; rec++) {
      String tenant = tenants[rnd.nextInt(tenants.length)];
      int n = 1 + rnd.nextInt(40);
      byte[][] tids = new byte[n][];
      int[] counts = new int[n];
      java.util.Set<Integer> used = new java.util.HashSet<>();
      for (int i = 0; i < n; i++) {
        int which;
        do {
          which = rnd.nextInt(ids.size());
        } while (!used.add(which));
        long[] id = ids.get(which);
        tids[i] = TraceIds.toBytes(id[0], id[1]);
        counts[i] = 1 + rnd.nextInt(9);
        model.computeIfAbsent(new TraceKey(tenant, id[0], id[1]), k -> new ArrayList<>())
            .add(new long[] {offset, counts[i]});
      }
      b.add(new SpanCodec.Header(1000 + rec, 5 + rec, 10_000 + rec, tenant, tids, counts), offset);
      offset += 1000 + rnd.nextInt(1000);
    }
    assertThat(b.traceCount()).isEqualTo(model.size());
    for (Map.Entry<TraceKey, List<long[]>> e : model.entrySet()) {
      long[] offs = e.getValue().stream().mapToLong(x -> x[0]).toArray();
      int total = e.getValue().stream().mapToInt(x -> (int) x[1]).sum();
      assertThat(b.offsets(e.getKey())).containsExactly(offs);
      assertThat(b.spanCountOrMinusOne(e.getKey())).isEqualTo(total);
      assertThat(b.spanCountOrMinusOne(b.tenantId(e.getKey().tenant()), e.getKey().hi(), e.getKey().lo()))
          .isEqualTo(total);
      assertThat(b.contains(e.getKey())).isTrue();
    }
    TraceKey absent = new TraceKey("a", 1, 2);
    assertThat(b.spanCountOrMinusOne(absent)).isEqualTo(-1);
    assertThat(b.spanCount(absent)).isZero();
    assertThat(b.offsets(absent)).isEmpty();
    assertThat(b.spanCountOrMinusOne(new TraceKey("never-seen", 42, 0))).isEqualTo(-1);

    Path file = dir.resolve("1.idx");
    b.write(file, offset);
    SegmentIndex idx = SegmentIndex.open(file);
    assertThat(idx.meta().segmentLength()).isEqualTo(offset);
    assertThat(idx.meta().minWrittenMs()).isEqualTo(1000);
    assertThat(idx.meta().maxWrittenMs()).isEqualTo(1399);
    assertThat(idx.meta().minStartNanos()).isEqualTo(5);
    assertThat(idx.meta().maxEndNanos()).isEqualTo(10_399);
    for (Map.Entry<TraceKey, List<long[]>> e : model.entrySet()) {
      long[] offs = e.getValue().stream().mapToLong(x -> x[0]).toArray();
      int total = e.getValue().stream().mapToInt(x -> (int) x[1]).sum();
      assertThat(idx.offsets(e.getKey())).as(e.getKey().toString()).containsExactly(offs);
      assertThat(idx.spanCount(e.getKey())).isEqualTo(total);
    }
    List<long[]> visited = new ArrayList<>();
    idx.forEachTrace((hi, lo, th) -> visited.add(new long[] {hi, lo, th}));
    assertThat(visited).hasSize(model.size());
    for (int i = 1; i < visited.size(); i++) { // sorted by (hi, lo, tenant hash) as signed numbers
      long[] p = visited.get(i - 1);
      long[] c = visited.get(i);
      int cmp = Long.compare(p[0], c[0]) != 0 ? Long.compare(p[0], c[0])
          : Long.compare(p[1], c[1]) != 0 ? Long.compare(p[1], c[1]) : Long.compare(p[2], c[2]);
      assertThat(cmp).isNegative();
    }
  }

  @Test
  void theTraceFilterHasNoFalseNegativesAndFewFalsePositives() {
    Random rnd = new Random(11);
    SegmentIndex.Builder b = new SegmentIndex.Builder();
    List<long[]> added = new ArrayList<>();
    for (int rec = 0; rec < 1000; rec++) {
      String tenant = rec % 3 == 0 ? "other" : "t";
      byte[][] ids = new byte[100][];
      int[] counts = new int[100];
      for (int i = 0; i < 100; i++) {
        long hi = rnd.nextLong();
        long lo = rnd.nextLong();
        ids[i] = TraceIds.toBytes(hi, lo);
        counts[i] = 1;
        added.add(new long[] {TraceIds.tenantHash(tenant), hi, lo});
      }
      b.add(new SpanCodec.Header(1, 1, 2, tenant, ids, counts), rec);
    }
    SegmentIndex.TraceFilter f = b.traceFilter();
    for (long[] a : added) {
      assertThat(f.mightContain((int) a[0], a[1], a[2])).isTrue();
    }
    int falsePositives = 0;
    for (int i = 0; i < 100_000; i++) {
      if (f.mightContain(TraceIds.tenantHash("t"), rnd.nextLong(), rnd.nextLong())) {
        falsePositives++;
      }
    }
    assertThat(falsePositives).isLessThan(3000); // ~1.5 % expected with 16 bits per trace
    long[] ofT = added.get(100); // record 1 is tenant "t"'s; the same id of another tenant is (almost always) not in
    assertThat(f.mightContain(TraceIds.tenantHash("t"), ofT[1], ofT[2])).isTrue();
    assertThat(f.mightContain(TraceIds.tenantHash("third"), ofT[1], ofT[2])).isFalse();
  }
}
