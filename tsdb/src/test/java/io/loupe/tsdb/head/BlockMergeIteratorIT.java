package io.loupe.tsdb.head;

import static org.assertj.core.api.Assertions.assertThat;

import io.loupe.model.Labels;
import io.loupe.model.Matcher;
import io.loupe.model.Tenant;
import io.loupe.tsdb.block.Block;
import io.loupe.tsdb.block.BlockWriter;
import io.loupe.tsdb.block.SeriesChunks;
import io.loupe.tsdb.chunkenc.ChunkIterator;
import io.loupe.tsdb.chunkenc.XorChunk;
import io.loupe.tsdb.wlog.ChannelOpener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compaction's merge: series merged by labels across blocks, their samples re-chunked across the sources' edges. */
class BlockMergeIteratorIT {
  static final long H = 3_600_000L;
  static final long T0 = 1_700_006_400_000L / (6 * H) * (6 * H);
  static final Tenant TENANT = new Tenant("t");

  @TempDir
  Path dir;

  static SeriesChunks xor(String name, long from, long to, long step) {
    List<byte[]> cs = new ArrayList<>();
    XorChunk c = new XorChunk();
    for (long t = from; t < to; t += step) {
      if (c.count() == XorChunk.TARGET_SAMPLES) {
        cs.add(c.freeze().bytes());
        c = new XorChunk();
      }
      c.append(t, (t - T0) / 1000.0);
    }
    cs.add(c.freeze().bytes());
    return new SeriesChunks(Labels.of("__name__", name), cs);
  }

  @Test
  void mergesByLabelsAndReChunksAcrossSourceBlocks() throws Exception {
    List<Block> sources = new ArrayList<>();
    for (int b = 0; b < 3; b++) {
      long lo = T0 + b * 2 * H;
      List<SeriesChunks> series = new ArrayList<>();
      series.add(xor("a", lo, lo + 2 * H, 15_000)); // 480 per block
      if (b == 1) {
        series.add(xor("b", lo + H, lo + H + 60_000 * 10, 60_000)); // 10 samples, only here
      }
      series.add(xor("c", lo + 2 * H - 100 * 15_000, lo + 2 * H, 15_000)); // 100 at each block's end
      sources.add(Block.open(BlockWriter.write(dir, TENANT, lo, lo + 2 * H, series, ChannelOpener.DEFAULT)));
    }
    Path merged = BlockWriter.write(dir, TENANT, T0, T0 + 6 * H, () -> new BlockMergeIterator(sources),
        ChannelOpener.DEFAULT);
    try (Block m = Block.open(merged)) {
      assertThat(m.meta().numSeries()).isEqualTo(3);
      assertThat(m.meta().numSamples()).isEqualTo(3 * 480 + 10 + 300);
      // a: 1440 samples in 3 chunks of 480; b: one chunk; c: its three 100-sample pieces in one chunk of 300
      assertThat(m.meta().numChunks()).isEqualTo(3 + 1 + 1);
      for (Block.SelectedSeries s : m.select(List.of(Matcher.regex("__name__", ".+")), Long.MIN_VALUE,
          Long.MAX_VALUE, true)) {
        long prev = Long.MIN_VALUE;
        int n = 0;
        for (byte[] c : s.chunks()) {
          ChunkIterator it = new ChunkIterator().reset(c);
          while (it.next()) {
            assertThat(it.timestamp()).isGreaterThan(prev);
            assertThat(it.value()).isEqualTo((it.timestamp() - T0) / 1000.0);
            prev = it.timestamp();
            n++;
          }
        }
        assertThat(n).as(s.labels().toString()).isEqualTo(switch (s.labels().get("__name__")) {
          case "a" -> 1440;
          case "b" -> 10;
          default -> 300;
        });
      }
    } finally {
      for (Block b : sources) {
        b.close();
      }
    }
  }
}
